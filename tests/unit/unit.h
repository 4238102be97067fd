/* unit.h: the shared runner of the CUnit test programs. Each tests/unit/test-X.c
 * lists its cases in a CU_TestInfo array and ends with GNUT_UNIT_MAIN, or with
 * GNUT_UNIT_MAIN_WITH_FIXTURE when its tests share something costly to build.
 *
 * No test may depend on another: each builds what it needs, or uses what the
 * suite's init hook built, never what an earlier test left behind. A program
 * given test names (`./test-X "case name" ...`) runs only those, each between
 * its own init and cleanup, which is how a test is checked to pass alone. */
#ifndef GNUT_UNIT_H
#define GNUT_UNIT_H

#include <CUnit/CUnit.h>
#include <gio/gio.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* Runs the suite verbosely: every test, or only those argv[1..argc) name.
 * init and cleanup (either may be NULL) are the suite's fixture hooks:
 * init runs once before the first test and builds what the tests share
 * (servents linked, a folder scanned, a daemon started); it returns 0, or
 * says why on stderr, frees what it built and returns nonzero: then no test
 * runs and the program fails. cleanup runs once after the last test and
 * frees the fixture; nonzero fails the program too. Both run outside any
 * test: no CU_ASSERT in them. A test may use the fixture but must leave it
 * as it found it.
 * Returns the process exit status: 0 when every assertion passed and the
 * hooks succeeded; 1 when an assertion, a test, init or cleanup failed; 2
 * when an argument names no test; 99 when CUnit itself failed. */
int gnut_unit_main(int argc, char **argv, const char *suite_name, CU_TestInfo *tests,
                   CU_InitializeFunc init, CU_CleanupFunc cleanup);

/* Every test of a suite without a fixture; the exit status as above. */
int gnut_unit_run(const char *suite_name, CU_TestInfo *tests);

/* Iterates the thread-default main context until cond(data) holds or
 * timeout_ms pass; returns cond(data). Tests wait on conditions, never on
 * fixed sleeps. */
gboolean gnut_unit_run_until(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms);

/* A fresh temporary directory for a test (removed by gnut_unit_rmtree). */
char *gnut_unit_mkdtemp(void);
void gnut_unit_rmtree(const char *path);

/* A connected pair of TCP sockets on 127.0.0.1, made synchronously. */
void gnut_unit_socket_pair(GSocketConnection **client, GSocketConnection **server);

#define GNUT_UNIT_MAIN(name, tests) GNUT_UNIT_MAIN_WITH_FIXTURE(name, tests, NULL, NULL)

/* The main of a program whose suite has init and cleanup hooks, each an
 * int (*)(void) (see gnut_unit_main). */
#define GNUT_UNIT_MAIN_WITH_FIXTURE(name, tests, init_hook, cleanup_hook)                          \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return gnut_unit_main(argc, argv, name, tests, init_hook, cleanup_hook);           \
	}

#endif
