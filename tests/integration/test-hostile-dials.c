/* test-hostile-dials.c: a real gnutd on loopback that a hostile peer tries
 * to turn against its user. gnutd listens on 127.0.0.1, shares a file and
 * runs --firewalled, so a PUSH for that file makes it connect to the
 * address the push names and say GIV. The peer links to it as an
 * ultrapeer, learns its servent GUID from a query hit, then sends pushes:
 * to addresses no host has (never dialed), twenty to one IP within a second
 * (at most 5 connect-backs), the same push again and again (one
 * connect-back), and a good one (its GIV comes and the file is served over
 * that connection). Last, the control API: 1,000 requests, kept-alive ones
 * among them, and real `gnut status` runs must leave gnutd's count of open
 * descriptors flat. The daemon is the suite's fixture; its cleanup hook
 * fails the program unless gnutd is still up and exits 0 on SIGTERM.
 *
 * Every address used is in 127.0.0.0/8 (Linux answers on all of it), but
 * for the pushes' targets that must never be dialed. */
#include "gnut/proto/address.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/push.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_US       (50 * 1000) /* how often a wait looks again */
#define START_WAIT_S  20          /* for gnutd to listen and index its share */
#define REPLY_WAIT_MS 10000       /* for an answer, a GIV, a connect-back */
#define DRAIN_MS      500         /* connect-backs still coming after a barrier */
#define BURST         20          /* pushes to one IP within a second */
#define MAX_PER_IP    5           /* the most connect-backs to one IP gnutd may make */
#define CTL_REQUESTS  1000        /* control API requests in the descriptor test */
#define CTL_WARM_UP   20          /* requests before the descriptors are counted */
#define GNUT_RUNS     20          /* real `gnut status` runs among them */
#define FD_SLACK      2           /* descriptors gnutd may open meanwhile */
#define SHARED_NAME   GNUTD_FIXTURE_PUBLIC_NAME
#define SHARED_TEXT   GNUTD_FIXTURE_PUBLIC_TEXT

/* The suite's fixture: one gnutd and what a peer learned about it. */
static struct {
	gnutd_fixture d;
	gnut_guid servent; /* gnutd's servent GUID, from its query hit */
	guint32 index;     /* the shared file's index, from the same hit */
} fx;

/* ---- the daemon ---- */

static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx.d);
}

static char *build_path(const char *dir, const char *name)
{
	const char *builddir = g_getenv("builddir");
	return g_build_filename(builddir ? builddir : ".", "src", dir, name, NULL);
}

/* ---- sockets ---- */

static int dial_to(const char *ip, guint16 port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Appends what fd has to got within timeout_ms; FALSE once it closed. */
static gboolean read_some(int fd, GString *got, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return TRUE;
	char buf[8192];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n <= 0)
		return FALSE;
	g_string_append_len(got, buf, n);
	return TRUE;
}

/* Reads until text appears in got, the peer closes or timeout_ms pass. */
static gboolean read_until(int fd, GString *got, const char *text, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (strstr(got->str, text) == NULL && g_get_monotonic_time() < deadline)
		if (!read_some(fd, got, 100))
			break;
	return strstr(got->str, text) != NULL;
}

/* A listening socket on ip (a loopback address), port chosen by the system. */
typedef struct {
	int fd;
	char ip[GNUT_ADDR_IPV4_LEN];
	guint16 port;
} listener;

static gboolean listener_open(listener *l, const char *ip)
{
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	g_strlcpy(l->ip, ip, sizeof l->ip);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, ip, &sa.sin_addr);
	socklen_t len = sizeof sa;
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l->fd, 64) != 0 ||
	    getsockname(l->fd, (struct sockaddr *)&sa, &len) != 0) {
		close(l->fd);
		return FALSE;
	}
	l->port = ntohs(sa.sin_port);
	return TRUE;
}

/* Accepts the connections waiting on l within timeout_ms (each closed at
 * once); returns how many there were. */
static guint accept_all(listener *l, int timeout_ms)
{
	guint n = 0;
	struct pollfd p = {.fd = l->fd, .events = POLLIN};
	while (poll(&p, 1, timeout_ms) > 0) {
		int c = accept(l->fd, NULL, NULL);
		if (c < 0)
			break;
		close(c);
		n++;
		timeout_ms = 0;
	}
	return n;
}

/* Waits for one connect-back on l and reads its GIV block; the connection,
 * or -1 when none came in time. */
static int accept_giv(listener *l, GString *giv)
{
	struct pollfd p = {.fd = l->fd, .events = POLLIN};
	if (poll(&p, 1, REPLY_WAIT_MS) <= 0)
		return -1;
	int c = accept(l->fd, NULL, NULL);
	if (c >= 0 && !read_until(c, giv, "\n\n", REPLY_WAIT_MS)) {
		close(c);
		return -1;
	}
	return c;
}

/* ---- a link to gnutd ---- */

/* Dials gnutd and completes a handshake as an ultrapeer; -1 when refused. */
static int handshake(void)
{
	int fd = dial_to("127.0.0.1", fx.d.port);
	if (fd < 0)
		return -1;
	const char *connect_block = "GNUTELLA CONNECT/0.6\r\nUser-Agent: hostile-dials/1\r\n"
	                            "X-Ultrapeer: True\r\nBye-Packet: 0.1\r\n\r\n";
	send_all(fd, connect_block, strlen(connect_block));
	GString *got = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_MS * 1000;
	while (strstr(got->str, "\r\n\r\n") == NULL && g_get_monotonic_time() < deadline) {
		char c;
		if (recv(fd, &c, 1, 0) != 1)
			break;
		g_string_append_c(got, c);
	}
	gboolean ok = g_str_has_prefix(got->str, "GNUTELLA/0.6 200");
	g_string_free(got, TRUE);
	if (!ok) {
		close(fd);
		return -1;
	}
	send_all(fd, "GNUTELLA/0.6 200 OK\r\n\r\n", 23);
	return fd;
}

/* Reads messages from the link until the query hit for query_guid; fills
 * fx.servent and fx.index from it. */
static gboolean read_hit(int fd, const gnut_guid *query_guid)
{
	GString *in = g_string_new(NULL);
	gboolean found = FALSE;
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_MS * 1000;
	while (!found && g_get_monotonic_time() < deadline) {
		gnut_msg_header h;
		if (gnut_msg_header_decode((const uint8_t *)in->str, in->len, GNUT_MSG_MAX_PAYLOAD,
		                           &h) != GNUT_PROTO_OK ||
		    in->len < GNUT_MSG_HEADER_LEN + h.length) {
			if (!read_some(fd, in, 100))
				break;
			continue;
		}
		const uint8_t *payload = (const uint8_t *)in->str + GNUT_MSG_HEADER_LEN;
		gnut_qhit hit;
		if (h.type == GNUT_MSG_QUERY_HIT && gnut_guid_equal(&h.guid, query_guid) &&
		    gnut_qhit_decode(payload, h.length, &hit) == GNUT_PROTO_OK) {
			found = hit.n_results > 0;
			if (found) {
				fx.servent = hit.servent;
				fx.index = hit.results[0].index;
			}
			gnut_qhit_clear(&hit);
		}
		g_string_erase(in, 0, (gssize)(GNUT_MSG_HEADER_LEN + h.length));
	}
	g_string_free(in, TRUE);
	return found;
}

/* Asks gnutd for its file, as any peer may, to learn its servent GUID. */
static gboolean learn_servent(void)
{
	int fd = handshake();
	if (fd < 0)
		return FALSE;
	gnut_query q = {.flags = GNUT_QUERY_F_MARK, .text = "public", .text_len = 6};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_query_encode(payload, &q);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	g_autoptr(GByteArray) msg = g_byte_array_new();
	gnut_msg_append(msg, &guid, GNUT_MSG_QUERY, 1, 0, payload->data, payload->len);
	send_all(fd, msg->data, msg->len);
	gboolean found = read_hit(fd, &guid);
	close(fd);
	return found;
}

static int suite_init(void)
{
	gnutd_fixture_init(&fx.d);
	const char *const extra[] = {"--ultrapeer", "--firewalled", NULL};
	if (!gnutd_fixture_start(&fx.d, extra, "sharing 1 files", START_WAIT_S))
		return 1;
	if (!learn_servent()) {
		fprintf(stderr, "gnutd sent no query hit for its file\n");
		gnutd_fixture_free(&fx.d, TRUE);
		return 1;
	}
	return 0;
}

/* Sends a PUSH for the shared file over link, asking gnutd to connect to
 * ip:port; each under a new message GUID. */
static void send_push(int link, const char *ip, guint16 port)
{
	gnut_push push = {.servent = fx.servent, .file_index = fx.index, .port = port};
	gnut_addr_parse_ipv4(ip, strlen(ip), &push.ipv4);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_push_encode(payload, &push);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	g_autoptr(GByteArray) msg = g_byte_array_new();
	gnut_msg_append(msg, &guid, GNUT_MSG_PUSH, 1, 0, payload->data, payload->len);
	send_all(link, msg->data, msg->len);
}

/* Pushes a connect-back to a fresh listener on barrier_ip and waits for
 * its GIV: gnutd handles a link's messages in order, so every push sent
 * before this one has been decided on. */
static gboolean barrier(int link, const char *barrier_ip)
{
	listener l;
	CU_ASSERT_TRUE_FATAL(listener_open(&l, barrier_ip));
	send_push(link, l.ip, l.port);
	g_autoptr(GString) giv = g_string_new(NULL);
	int c = accept_giv(&l, giv);
	gboolean ok = c >= 0 && g_str_has_prefix(giv->str, "GIV ");
	if (c >= 0)
		close(c);
	close(l.fd);
	return ok;
}

/* ---- the attacks ---- */

/* Pushes aimed at addresses no host has are never dialed: gnutd says
 * nothing of connecting to them, and a trap on 127.0.0.1 (where Linux
 * sends a connect to 0.0.0.0) gets no connection. */
static void test_bogus_targets(void)
{
	static const char *const targets[] = {"0.0.0.0", "224.0.0.1", "255.255.255.255",
	                                      "240.0.0.1"};
	gsize log_start = gnutd_fixture_log_size(&fx.d);
	listener trap;
	CU_ASSERT_TRUE_FATAL(listener_open(&trap, "127.0.0.1"));
	int link = handshake();
	CU_ASSERT_FATAL(link >= 0);
	for (size_t i = 0; i < G_N_ELEMENTS(targets); i++)
		send_push(link, targets[i], trap.port);
	CU_ASSERT_TRUE(barrier(link, "127.0.0.20"));
	CU_ASSERT_EQUAL(accept_all(&trap, DRAIN_MS), 0);
	g_autofree char *log = gnutd_fixture_log_from(&fx.d, log_start);
	for (size_t i = 0; i < G_N_ELEMENTS(targets); i++) {
		g_autofree char *dialed = g_strdup_printf("connecting back to %s:", targets[i]);
		CU_ASSERT_PTR_NULL(strstr(log, dialed));
	}
	/* the barrier's own line proves the phrase is the one gnutd writes */
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "connecting back to 127.0.0.20:"));
	close(link);
	close(trap.fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx.d));
}

/* Twenty pushes to one IP within a second, each to its own port: at most
 * MAX_PER_IP connect-backs reach it. */
static void test_burst_to_one_ip(void)
{
	listener targets[BURST];
	for (int i = 0; i < BURST; i++)
		CU_ASSERT_TRUE_FATAL(listener_open(&targets[i], "127.0.0.2"));
	int link = handshake();
	CU_ASSERT_FATAL(link >= 0);
	gint64 started = g_get_monotonic_time();
	for (int i = 0; i < BURST; i++)
		send_push(link, targets[i].ip, targets[i].port);
	CU_ASSERT_TRUE(g_get_monotonic_time() - started < G_USEC_PER_SEC);
	CU_ASSERT_TRUE(barrier(link, "127.0.0.21"));
	guint arrived = 0;
	for (int i = 0; i < BURST; i++)
		arrived += accept_all(&targets[i], i == 0 ? DRAIN_MS : 0);
	/* a last look, in case one was slow to come */
	for (int i = 0; i < BURST; i++)
		arrived += accept_all(&targets[i], 0);
	CU_ASSERT_TRUE(arrived >= 1);
	CU_ASSERT_TRUE(arrived <= MAX_PER_IP);
	if (arrived > MAX_PER_IP)
		fprintf(stderr, "%u connect-backs to 127.0.0.2\n", arrived);
	for (int i = 0; i < BURST; i++)
		close(targets[i].fd);
	close(link);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx.d));
}

/* The same push three times at once, then twice more once it was answered:
 * one connect-back in all. */
static void test_repeats_merged(void)
{
	listener l;
	CU_ASSERT_TRUE_FATAL(listener_open(&l, "127.0.0.3"));
	int link = handshake();
	CU_ASSERT_FATAL(link >= 0);
	for (int i = 0; i < 3; i++)
		send_push(link, l.ip, l.port);
	CU_ASSERT_TRUE(barrier(link, "127.0.0.22"));
	guint arrived = accept_all(&l, DRAIN_MS);
	CU_ASSERT_EQUAL(arrived, 1);
	for (int i = 0; i < 2; i++)
		send_push(link, l.ip, l.port);
	CU_ASSERT_TRUE(barrier(link, "127.0.0.23"));
	CU_ASSERT_EQUAL(accept_all(&l, DRAIN_MS), 0);
	close(l.fd);
	close(link);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx.d));
}

/* After all that, a good push gets its GIV, naming gnutd and its file, and
 * the file is served over that connection. */
static void test_good_push_served(void)
{
	listener l;
	CU_ASSERT_TRUE_FATAL(listener_open(&l, "127.0.0.30"));
	int link = handshake();
	CU_ASSERT_FATAL(link >= 0);
	send_push(link, l.ip, l.port);
	g_autoptr(GString) giv = g_string_new(NULL);
	int c = accept_giv(&l, giv);
	CU_ASSERT_FATAL(c >= 0);
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&fx.servent, hex);
	g_autofree char *expected = g_strdup_printf("GIV %u:%s/", fx.index, hex);
	CU_ASSERT_TRUE(g_ascii_strncasecmp(giv->str, expected, strlen(expected)) == 0);
	g_autofree char *get = g_strdup_printf(
	    "GET /get/%u/" SHARED_NAME " HTTP/1.1\r\nConnection: close\r\n\r\n", fx.index);
	send_all(c, get, strlen(get));
	g_autoptr(GString) answer = g_string_new(NULL);
	CU_ASSERT_TRUE(read_until(c, answer, SHARED_TEXT, REPLY_WAIT_MS));
	CU_ASSERT_TRUE(g_str_has_prefix(answer->str, "HTTP/1.1 200"));
	close(c);
	close(l.fd);
	close(link);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx.d));
}

/* ---- the control API ---- */

static guint open_fds(void)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)fx.d.pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	guint n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static char *read_line_file(const char *name)
{
	g_autofree char *path = g_build_filename(fx.d.data_dir, name, NULL);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, NULL);
	return text ? g_strstrip(text) : g_strdup("");
}

/* The ways a client may talk to the control API: as libsoup does (HTTP/1.1,
 * kept alive: the client closes when it is done), two requests on one
 * connection, HTTP/1.0, and a wrong token. */
typedef enum { CTL_KEEP_ALIVE, CTL_TWO, CTL_HTTP10, CTL_BAD_TOKEN, CTL_KINDS } ctl_kind;

static void ctl_request(const char *ip, guint16 port, const char *token, ctl_kind kind)
{
	static const char body[] = "{\"method\":\"status\"}";
	g_autofree char *one =
	    g_strdup_printf("POST /rpc HTTP/1.%d\r\nHost: %s:%u\r\nAuthorization: Bearer %s\r\n"
	                    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                    kind == CTL_HTTP10 ? 0 : 1, ip, port,
	                    kind == CTL_BAD_TOKEN ? "wrong" : token, strlen(body), body);
	int fd = dial_to(ip, port);
	CU_ASSERT_FATAL(fd >= 0);
	send_all(fd, one, strlen(one));
	if (kind == CTL_TWO)
		send_all(fd, one, strlen(one));
	/* the reply, up to its JSON's end or a close (two for CTL_TWO) */
	g_autoptr(GString) got = g_string_new(NULL);
	const char *end = kind == CTL_BAD_TOKEN ? "}}" : "\"uptime\"";
	read_until(fd, got, end, REPLY_WAIT_MS);
	CU_ASSERT_PTR_NOT_NULL(strstr(got->str, end));
	close(fd);
}

static gboolean run_gnut_status(void)
{
	g_autofree char *gnut = build_path("cli", "gnut");
	char *argv[] = {gnut, "--data-dir", fx.d.data_dir, "status", NULL};
	int status = -1;
	g_autofree char *out = NULL;
	gboolean ran = g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
	                            NULL, &status, NULL);
	return ran && g_spawn_check_wait_status(status, NULL) && strstr(out, "uptime") != NULL;
}

/* Waits until gnutd holds at most limit descriptors; FALSE when it still
 * holds more after timeout_ms. */
static gboolean wait_fds_within(guint limit, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (open_fds() > limit && g_get_monotonic_time() < deadline)
		g_usleep(POLL_US);
	return open_fds() <= limit;
}

/* 1,000 control requests of every kind and real `gnut status` runs: gnutd
 * holds no descriptor for any of them once they are answered. */
static void test_control_descriptors(void)
{
	g_autofree char *url = read_line_file("control.url");
	g_autofree char *token = read_line_file("control.token");
	char ip[GNUT_ADDR_IPV4_LEN] = "";
	unsigned port = 0;
	CU_ASSERT_FATAL(sscanf(url, "http://%15[0-9.]:%u", ip, &port) == 2);
	for (int i = 0; i < CTL_WARM_UP; i++)
		ctl_request(ip, (guint16)port, token, (ctl_kind)(i % CTL_KINDS));
	CU_ASSERT_TRUE(run_gnut_status());
	guint before = open_fds();
	guint gnut_ok = 0;
	for (int i = 0; i < CTL_REQUESTS; i++) {
		ctl_request(ip, (guint16)port, token, (ctl_kind)(i % CTL_KINDS));
		if (i % (CTL_REQUESTS / GNUT_RUNS) == 0)
			gnut_ok += run_gnut_status();
	}
	CU_ASSERT_EQUAL(gnut_ok, GNUT_RUNS);
	/* gnutd sees the last closes a moment later: wait for it */
	CU_ASSERT_TRUE(wait_fds_within(before + FD_SLACK, REPLY_WAIT_MS));
	guint after = open_fds();
	if (after > before + FD_SLACK)
		fprintf(stderr, "gnutd held %u descriptors before, %u after\n", before, after);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx.d));
}

static CU_TestInfo tests[] = {
    {"pushes to addresses no host has", test_bogus_targets},
    {"20 pushes to one IP in a second", test_burst_to_one_ip},
    {"repeated pushes merged", test_repeats_merged},
    {"a good push still served", test_good_push_served},
    {"control API descriptors flat", test_control_descriptors},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("hostile dials", tests, suite_init, suite_cleanup)
