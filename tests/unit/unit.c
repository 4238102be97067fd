/* unit.c: runs a CUnit suite and turns its failures into an exit status, and
 * gives tests scratch directories. */
#include "unit.h"

#include <CUnit/Basic.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

int gnut_unit_run(const char *suite_name, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {
	    {(char *)suite_name, NULL, NULL, NULL, NULL, tests},
	    CU_SUITE_INFO_NULL,
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "%s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

static gboolean timed_out(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

gboolean gnut_unit_run_until(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms)
{
	GMainContext *ctx = g_main_context_get_thread_default();
	gboolean expired = FALSE;
	GSource *t = g_timeout_source_new(timeout_ms);
	g_source_set_callback(t, timed_out, &expired, NULL);
	g_source_attach(t, ctx);
	while (!cond(data) && !expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	return cond(data);
}

char *gnut_unit_mkdtemp(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("gnut-test-XXXXXX", &err);
	g_assert_no_error(err);
	return dir;
}

void gnut_unit_rmtree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	if (dir != NULL) {
		const char *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			char *child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				gnut_unit_rmtree(child);
			else
				g_unlink(child);
			g_free(child);
		}
		g_dir_close(dir);
	}
	g_rmdir(path);
}
