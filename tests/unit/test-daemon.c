/* test-daemon.c: the parts of gnutd around the engine: the data folder's
 * lock, the systemd notification datagram and watchdog interval, the two
 * log formats (journal and terminal), and settings.state (what the control
 * API changed, kept across restarts and laid over the options). */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/datadir-lock.h"
#include "daemon/log.h"
#include "daemon/options.h"
#include "daemon/sd-notify.h"
#include "daemon/state.h"
#include "unit.h"

static void test_lock(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *data = g_build_filename(dir, "data", NULL);
	GError *error = NULL;
	gnut_datadir_lock *first = gnut_datadir_lock_take(data, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_TRUE(g_file_test(data, G_FILE_TEST_IS_DIR));
	gnut_datadir_lock *second = gnut_datadir_lock_take(data, &error);
	CU_ASSERT_PTR_NULL(second);
	CU_ASSERT_TRUE(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BUSY));
	g_autofree char *pid = g_strdup_printf("(pid %ld)", (long)getpid());
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, pid) : NULL);
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "in use by another gnutd") : NULL);
	g_clear_error(&error);
	gnut_datadir_lock_release(first);
	gnut_datadir_lock *again = gnut_datadir_lock_take(data, &error);
	CU_ASSERT_PTR_NOT_NULL(again);
	gnut_datadir_lock_release(again);
	gnut_unit_rmtree(dir);
}

/* A datagram socket bound at name (a path, or "@x" for the abstract
 * namespace), as systemd's notification socket is. */
static int bind_notify_socket(const char *name)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	gsize len = strlen(name);
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&addr, alen), 0);
	return fd;
}

static void assert_received(int fd, const char *expected)
{
	char buf[256] = {0};
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	CU_ASSERT_EQUAL(n, (ssize_t)strlen(expected));
	CU_ASSERT_STRING_EQUAL(buf, expected);
}

static void test_notify(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	int fd = bind_notify_socket(path);
	g_setenv("NOTIFY_SOCKET", path, TRUE);
	CU_ASSERT_TRUE(gnut_sd_notify("READY=1\nSTATUS=serving"));
	assert_received(fd, "READY=1\nSTATUS=serving");
	CU_ASSERT_TRUE(gnut_sd_notify("WATCHDOG=1"));
	assert_received(fd, "WATCHDOG=1");
	close(fd);

	g_autofree char *abstract = g_strdup_printf("@gnut-test-notify-%ld", (long)getpid());
	fd = bind_notify_socket(abstract);
	g_setenv("NOTIFY_SOCKET", abstract, TRUE);
	CU_ASSERT_TRUE(gnut_sd_notify("STOPPING=1"));
	assert_received(fd, "STOPPING=1");
	close(fd);

	g_unsetenv("NOTIFY_SOCKET");
	CU_ASSERT_FALSE(gnut_sd_notify("READY=1"));
	gnut_unit_rmtree(dir);
}

static void test_watchdog(void)
{
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
	CU_ASSERT_EQUAL(gnut_sd_watchdog_usec(), 0);
	g_setenv("WATCHDOG_USEC", "30000000", TRUE);
	CU_ASSERT_EQUAL(gnut_sd_watchdog_usec(), 30000000);
	g_autofree char *me = g_strdup_printf("%ld", (long)getpid());
	g_setenv("WATCHDOG_PID", me, TRUE);
	CU_ASSERT_EQUAL(gnut_sd_watchdog_usec(), 30000000);
	g_setenv("WATCHDOG_PID", "1", TRUE); /* meant for another process */
	CU_ASSERT_EQUAL(gnut_sd_watchdog_usec(), 0);
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
}

static void test_log_formats(void)
{
	g_autoptr(GDateTime) t = g_date_time_new_local(2026, 3, 4, 5, 6, 7.089);
	g_autofree char *journal =
	    gnut_log_format(G_LOG_LEVEL_WARNING, "gnut-net", "bad\npeer", TRUE, t);
	CU_ASSERT_STRING_EQUAL(journal, "<4>[gnut-net] bad peer");
	g_autofree char *info =
	    gnut_log_format(G_LOG_LEVEL_INFO, NULL, "download 1 complete", TRUE, t);
	CU_ASSERT_STRING_EQUAL(info, "<6>download 1 complete");
	g_autofree char *notice = gnut_log_format(G_LOG_LEVEL_MESSAGE, NULL, "link up", FALSE, t);
	CU_ASSERT_STRING_EQUAL(notice, "2026-03-04 05:06:07.089 notice link up");
	g_autofree char *debug = gnut_log_format(G_LOG_LEVEL_DEBUG, "x", "y", FALSE, t);
	CU_ASSERT_STRING_EQUAL(debug, "2026-03-04 05:06:07.089 debug [x] y");
	gnut_log_level level;
	CU_ASSERT_TRUE(gnut_log_level_parse("debug", &level));
	CU_ASSERT_EQUAL(level, GNUT_LOG_DEBUG);
	CU_ASSERT_FALSE(gnut_log_level_parse("verbose", &level));
	CU_ASSERT_STRING_EQUAL(gnut_log_level_name(GNUT_LOG_WARNING), "warning");
}

static JsonObject *params_of(const char *key, const char *value)
{
	JsonObject *p = json_object_new();
	json_object_set_string_member(p, key, value);
	return p;
}

static void record(gnut_state *st, const char *method, JsonObject *params)
{
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE(gnut_state_record(st, method, params, &error));
	json_object_unref(params);
}

static void test_state(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "settings.state", NULL);
	GError *error = NULL;
	g_autoptr(gnut_state) st = gnut_state_load(path, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	record(st, "share.add", params_of("path", "/srv/music/"));
	record(st, "share.remove", params_of("path", "/srv/old"));
	record(st, "connect", params_of("address", "127.0.0.1:7000"));
	record(st, "status", json_object_new()); /* ignored */
	JsonObject *limits = json_object_new();
	json_object_set_int_member(limits, "upload_limit", 4096);
	record(st, "limits.set", limits);
	CU_ASSERT_TRUE(g_file_test(path, G_FILE_TEST_IS_REGULAR));

	g_autoptr(gnut_state) back = gnut_state_load(path, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	gnut_options o = {0};
	const char *shares[] = {"/srv/old", "/srv/keep", NULL};
	const char *peers[] = {"127.0.0.1:6346", NULL};
	o.shares = g_strdupv((char **)shares);
	o.peers = g_strdupv((char **)peers);
	o.download_limit = 99;
	gnut_state_apply(back, &o);
	CU_ASSERT_EQUAL(g_strv_length(o.shares), 2);
	CU_ASSERT_STRING_EQUAL(o.shares[0], "/srv/keep");
	CU_ASSERT_STRING_EQUAL(o.shares[1], "/srv/music");
	CU_ASSERT_EQUAL(g_strv_length(o.peers), 2);
	CU_ASSERT_STRING_EQUAL(o.peers[1], "127.0.0.1:7000");
	CU_ASSERT_EQUAL(o.upload_limit, 4096);
	CU_ASSERT_EQUAL(o.download_limit, 99); /* never set through the API */

	/* adding back what was removed undoes the removal */
	record(back, "share.add", params_of("path", "/srv/old"));
	record(back, "disconnect", params_of("address", "127.0.0.1:7000"));
	g_autoptr(gnut_state) third = gnut_state_load(path, &error);
	gnut_state_apply(third, &o);
	CU_ASSERT_TRUE(g_strv_contains((const char *const *)o.shares, "/srv/old"));
	CU_ASSERT_FALSE(g_strv_contains((const char *const *)o.peers, "127.0.0.1:7000"));
	g_strfreev(o.shares);
	g_strfreev(o.peers);

	CU_ASSERT_TRUE(g_file_set_contents(path, "[state]\nupload-limit=lots\n", -1, NULL));
	g_autoptr(gnut_state) bad = gnut_state_load(path, &error);
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "upload-limit") : NULL);
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"one gnutd per data folder", test_lock},
    {"sd_notify datagrams", test_notify},
    {"watchdog interval", test_watchdog},
    {"log lines for the journal and a terminal", test_log_formats},
    {"settings.state", test_state},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("daemon", tests)
