/* unit.h: the shared runner of the CUnit test programs. Each tests/unit/test-X.c
 * lists its cases in a CU_TestInfo array and ends with GNUT_UNIT_MAIN. */
#ifndef GNUT_UNIT_H
#define GNUT_UNIT_H

#include <CUnit/CUnit.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Runs one suite verbosely; returns the process exit status (0 when every
 * assertion passed, 1 otherwise). */
int gnut_unit_run(const char *suite_name, CU_TestInfo *tests);

/* Iterates the thread-default main context until cond(data) holds or
 * timeout_ms pass; returns cond(data). Tests wait on conditions, never on
 * fixed sleeps. */
gboolean gnut_unit_run_until(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms);

/* A fresh temporary directory for a test (removed by gnut_unit_rmtree). */
char *gnut_unit_mkdtemp(void);
void gnut_unit_rmtree(const char *path);

#define GNUT_UNIT_MAIN(name, tests)                                                                \
	int main(void)                                                                             \
	{                                                                                          \
		return gnut_unit_run(name, tests);                                                 \
	}

#endif
