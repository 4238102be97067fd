/* unit.c: runs a CUnit suite (all its tests, or the ones named on the
 * command line) with its fixture hooks and turns its failures into an exit
 * status, and gives tests scratch directories. */
#include "unit.h"

#include <CUnit/Basic.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

/* Whether the run just finished failed. CUnit counts three kinds of
 * failure apart: failed assertions, failed tests, and suites whose init or
 * cleanup hook failed. A failed init skips the suite's tests without
 * counting an assertion or a test, so the suites count must be read too, or
 * a fixture that cannot be built would pass as "no test failed". */
static gboolean run_failed(void)
{
	return CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
	           CU_get_number_of_suites_failed() >
	       0;
}

/* Runs the named tests one by one; CUnit runs the suite's init and cleanup
 * around each, so each passes or fails on its own. */
static int run_named(CU_pSuite suite, CU_TestInfo *tests, int n, char **names)
{
	gboolean failed = FALSE;
	for (int i = 0; i < n; i++) {
		CU_pTest test = CU_get_test(suite, names[i]);
		if (test == NULL) {
			fprintf(stderr, "no test named \"%s\"; the tests are:\n", names[i]);
			for (CU_TestInfo *t = tests; t->pName != NULL; t++)
				fprintf(stderr, "  %s\n", t->pName);
			return 2;
		}
		CU_basic_run_test(suite, test);
		failed |= run_failed();
	}
	return failed ? 1 : 0;
}

int gnut_unit_main(int argc, char **argv, const char *suite_name, CU_TestInfo *tests,
                   CU_InitializeFunc init, CU_CleanupFunc cleanup)
{
	CU_SuiteInfo suites[] = {
	    {(char *)suite_name, init, cleanup, NULL, NULL, tests},
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
	int rc;
	if (argc > 1) {
		rc = run_named(CU_get_suite(suite_name), tests, argc - 1, argv + 1);
	} else {
		CU_basic_run_tests();
		rc = run_failed() ? 1 : 0;
	}
	CU_cleanup_registry();
	return rc;
}

int gnut_unit_run(const char *suite_name, CU_TestInfo *tests)
{
	return gnut_unit_main(0, NULL, suite_name, tests, NULL, NULL);
}

static gboolean timed_out(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean keep_ticking(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

/* The condition may turn true in another thread (a test's fake server),
 * which does not wake the main loop: a tick every POLL_MS makes the loop
 * look again, so the wait never lasts until some unrelated timer fires. */
#define POLL_MS 10

gboolean gnut_unit_run_until(gboolean (*cond)(gpointer), gpointer data, guint timeout_ms)
{
	GMainContext *ctx = g_main_context_get_thread_default();
	gboolean expired = FALSE;
	GSource *t = g_timeout_source_new(timeout_ms);
	g_source_set_callback(t, timed_out, &expired, NULL);
	g_source_attach(t, ctx);
	GSource *tick = g_timeout_source_new(POLL_MS);
	g_source_set_callback(tick, keep_ticking, NULL, NULL);
	g_source_attach(tick, ctx);
	while (!cond(data) && !expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(tick);
	g_source_unref(tick);
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

/* A connected pair of plain sockets, made synchronously: loopback connects
 * complete in the kernel's backlog before accept is even called. */
void gnut_unit_socket_pair(GSocketConnection **client, GSocketConnection **server)
{
	GSocketListener *l = g_socket_listener_new();
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *want = g_inet_socket_address_new(lo, 0);
	GSocketAddress *bound = NULL;
	g_assert_true(g_socket_listener_add_address(l, want, G_SOCKET_TYPE_STREAM,
	                                            G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
	GSocketClient *c = g_socket_client_new();
	g_socket_client_set_enable_proxy(c, FALSE);
	*client = g_socket_client_connect(c, G_SOCKET_CONNECTABLE(bound), NULL, NULL);
	*server = g_socket_listener_accept(l, NULL, NULL, NULL);
	g_assert_nonnull(*client);
	g_assert_nonnull(*server);
	g_object_unref(c);
	g_object_unref(bound);
	g_object_unref(want);
	g_object_unref(lo);
	g_socket_listener_close(l);
	g_object_unref(l);
}
