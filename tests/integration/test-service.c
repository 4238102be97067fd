/* test-service.c: a real gnutd as a service manager sees it. It tells a
 * test socket given as $NOTIFY_SOCKET READY=1 once serving, RELOADING=1 and
 * READY=1 around a SIGHUP (after which it still runs and logs what
 * changed), STOPPING=1 on SIGTERM; a second gnutd on the same data folder
 * exits 1 with one line; the token, and a folder shared through the control
 * API, are still there after a restart. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli-client.h"
#include "cli/cli-output.h"
#include "gnutd-fixture.h"
#include "../unit/unit.h"

#define WAIT_S 30 /* bound on any wait: turns a hang into a failure */

static int bind_datagram(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	g_strlcpy(addr.sun_path, path, sizeof addr.sun_path);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	return fd;
}

/* Reads datagrams until one holds text (or WAIT_S pass). */
static gboolean receive_state(int fd, const char *text)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < deadline) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		char buf[512] = {0};
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n > 0 && strstr(buf, text) != NULL)
			return TRUE;
	}
	fprintf(stderr, "no %s datagram\n", text);
	return FALSE;
}

static void test_notify_and_reload(void)
{
	gnutd_fixture fx = {0};
	gnutd_fixture_init(&fx);
	g_autofree char *sock = g_build_filename(fx.top, "notify", NULL);
	int fd = bind_datagram(sock);
	g_setenv("NOTIFY_SOCKET", sock, TRUE);
	gboolean started = gnutd_fixture_start(&fx, NULL, NULL, WAIT_S);
	g_unsetenv("NOTIFY_SOCKET");
	CU_ASSERT_TRUE_FATAL(started);
	CU_ASSERT_TRUE(receive_state(fd, "READY=1"));

	g_autofree char *conf = g_build_filename(fx.data_dir, "gnutd.conf", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(conf, "[gnutd]\nupload-limit=64k\n", -1, NULL));
	gsize offset = gnutd_fixture_log_size(&fx);
	kill(fx.pid, SIGHUP);
	CU_ASSERT_TRUE(receive_state(fd, "RELOADING=1"));
	CU_ASSERT_TRUE(receive_state(fd, "READY=1"));
	CU_ASSERT_TRUE(gnutd_fixture_wait_log(&fx, offset, "reload: upload limit 65536", WAIT_S));
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));

	/* a bad file: the settings in force stay, and gnutd keeps running */
	CU_ASSERT_TRUE(g_file_set_contents(conf, "[gnutd]\nupload-limit=fast\n", -1, NULL));
	offset = gnutd_fixture_log_size(&fx);
	kill(fx.pid, SIGHUP);
	CU_ASSERT_TRUE(
	    gnutd_fixture_wait_log(&fx, offset, "keeping the settings in force", WAIT_S));
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));

	CU_ASSERT_TRUE(gnutd_fixture_stop(&fx)); /* SIGTERM, exit 0 */
	CU_ASSERT_TRUE(receive_state(fd, "STOPPING=1"));
	close(fd);
	gnutd_fixture_free(&fx, CU_get_number_of_failures() > 0);
}

/* A second gnutd on a data folder in use: exit 1, one line naming it. */
static void test_lock(void)
{
	gnutd_fixture fx = {0};
	gnutd_fixture_init(&fx);
	CU_ASSERT_TRUE_FATAL(gnutd_fixture_start(&fx, NULL, NULL, WAIT_S));
	const char *builddir = g_getenv("builddir");
	g_autofree char *gnutd =
	    g_build_filename(builddir ? builddir : ".", "src", "daemon", "gnutd", NULL);
	const char *argv[] = {gnutd,         "--data-dir",     fx.data_dir,
	                      "--listen",    "127.0.0.1:0",    "--control",
	                      "127.0.0.1:0", "--no-bootstrap", NULL};
	g_autofree char *out = NULL, *err = NULL;
	int status = 0;
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
	                            &err, &status, &error));
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is in use by another gnutd"));
	CU_ASSERT_EQUAL(strchr(err, '\n') - err + 1, (long)strlen(err)); /* one line */
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
	CU_ASSERT_EQUAL(gnutd_fixture_stop_clean(&fx), 0);
}

/* gnutd prints "listening on" before it writes control.url: wait for it. */
static gboolean control_published(const gnutd_fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->data_dir, "control.url", NULL);
	gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
	while (!g_file_test(path, G_FILE_TEST_EXISTS) && g_get_monotonic_time() < deadline)
		g_usleep(100 * 1000);
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static char *read_token(const gnutd_fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->data_dir, "control.token", NULL);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, NULL);
	return text;
}

/* Whether the daemon lists a share under folder. */
static gboolean shares_under(const gnutd_fixture *fx, const char *folder)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new_from_dir(fx->data_dir, &error);
	g_autoptr(JsonNode) shares = c ? gnut_cli_client_call(c, "shares", NULL, &error) : NULL;
	if (shares == NULL || !JSON_NODE_HOLDS_ARRAY(shares))
		return FALSE;
	JsonArray *a = json_node_get_array(shares);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		const char *path = gnut_cli_str(json_array_get_object_element(a, i), "path");
		if (path != NULL && g_str_has_prefix(path, folder))
			return TRUE;
	}
	return FALSE;
}

static gboolean eventually_shares(const gnutd_fixture *fx, const char *folder)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
	while (!shares_under(fx, folder) && g_get_monotonic_time() < deadline)
		g_usleep(100 * 1000);
	return shares_under(fx, folder);
}

static void test_restart_keeps_settings(void)
{
	gnutd_fixture fx = {0};
	gnutd_fixture_init(&fx);
	CU_ASSERT_TRUE_FATAL(gnutd_fixture_start(&fx, NULL, NULL, WAIT_S));
	CU_ASSERT_TRUE_FATAL(control_published(&fx));
	g_autofree char *token = read_token(&fx);
	g_autofree char *extra = g_build_filename(fx.top, "extra", NULL);
	g_mkdir(extra, 0700);
	g_autofree char *file = g_build_filename(extra, "added.txt", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(file, "added through the API\n", -1, NULL));
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new_from_dir(fx.data_dir, &error);
	g_autoptr(JsonObject) params = json_object_new();
	json_object_set_string_member(params, "path", extra);
	g_autoptr(JsonNode) added = gnut_cli_client_call(c, "share.add", params, &error);
	CU_ASSERT_PTR_NOT_NULL(added);
	CU_ASSERT_TRUE(eventually_shares(&fx, extra));
	CU_ASSERT_TRUE_FATAL(gnutd_fixture_stop(&fx));

	CU_ASSERT_TRUE_FATAL(gnutd_fixture_start(&fx, NULL, NULL, WAIT_S));
	CU_ASSERT_TRUE_FATAL(control_published(&fx));
	g_autofree char *again = read_token(&fx);
	CU_ASSERT_STRING_EQUAL(token, again);
	CU_ASSERT_TRUE(eventually_shares(&fx, extra));
	CU_ASSERT_EQUAL(gnutd_fixture_stop_clean(&fx), 0);
}

/* Holds 127.0.0.1:6345 unless something else already does. */
static GSocket *take_default_control_port(void)
{
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 6345);
	GSocket *sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	if (!g_socket_bind(sock, sa, FALSE, NULL) || !g_socket_listen(sock, NULL))
		g_clear_object(&sock); /* taken already: as good */
	return sock;
}

/* Without --control gnutd takes 127.0.0.1:6345; when that is taken it
 * says so and listens on a free port, which control.url names. */
static void test_default_control_port_taken(void)
{
	g_autoptr(GSocket) holder = take_default_control_port();
	g_autofree char *top = gnut_unit_mkdtemp();
	g_autofree char *data = g_build_filename(top, "data", NULL);
	g_autofree char *log_path = g_build_filename(top, "gnutd.log", NULL);
	const char *builddir = g_getenv("builddir");
	g_autofree char *gnutd =
	    g_build_filename(builddir ? builddir : ".", "src", "daemon", "gnutd", NULL);
	const char *argv[] = {gnutd,         "--data-dir",     data, "--listen",
	                      "127.0.0.1:0", "--no-bootstrap", NULL};
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	GPid pid = 0;
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE_FATAL(g_spawn_async_with_fds(NULL, (char **)argv, NULL,
	                                            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, -1,
	                                            log_fd, log_fd, &error));
	close(log_fd);
	gnutd_fixture fx = {.data_dir = data};
	CU_ASSERT_TRUE(control_published(&fx));
	g_autofree char *url = NULL, *log = NULL;
	g_autofree char *url_path = g_build_filename(data, "control.url", NULL);
	g_file_get_contents(url_path, &url, NULL, NULL);
	g_file_get_contents(log_path, &log, NULL, NULL);
	CU_ASSERT_TRUE(url != NULL && g_str_has_prefix(url, "http://127.0.0.1:"));
	CU_ASSERT_TRUE(url != NULL && strcmp(url, "http://127.0.0.1:6345\n") != 0);
	CU_ASSERT_PTR_NOT_NULL(log ? strstr(log, "127.0.0.1:6345 is taken") : NULL);
	kill(pid, SIGTERM);
	int status = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_spawn_close_pid(pid);
	gnut_unit_rmtree(top);
}

static CU_TestInfo tests[] = {
    {"sd_notify: READY, RELOADING, STOPPING; SIGHUP reloads", test_notify_and_reload},
    {"a second gnutd on the data folder exits 1", test_lock},
    {"the token and API changes outlive a restart", test_restart_keeps_settings},
    {"the default control port, taken", test_default_control_port_taken},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("service", tests)
