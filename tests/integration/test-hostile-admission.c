/* test-hostile-admission.c: a real gnutd on loopback against peers that try
 * to lock others out or exhaust it with connections they never finish
 * (issue 7, point 2): silent sockets, half-finished handshakes, a
 * reconnection storm from one address, and descriptor exhaustion under a
 * lowered RLIMIT_NOFILE; and the caps of ultrapeer links and leaves (issue
 * 9, point 6), each refusing past its own with a 503 naming it. Each
 * attack comes from an address of its own in 127/8 (a client socket binds
 * it) and must be capped, while a good peer from another address still
 * completes a handshake.
 *
 * The suite's fixture is one gnutd with the default caps; three tests start
 * a gnutd of their own (the handshake cap alone, with the other caps
 * lifted; descriptor exhaustion, under 64 descriptors; the link caps
 * lowered to 1 and 2), and every gnutd must exit 0 on SIGTERM at the end. */
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_US            (50 * 1000) /* how often a wait looks again */
#define START_WAIT_S       20          /* for gnutd to listen */
#define REPLY_WAIT_MS      5000        /* for an answer or a close */
#define IDLE_CLOSE_WAIT_MS 15000       /* past gnutd's deadline on a first line (10 s) */
#define RECOVER_WAIT_MS    20000       /* for a good peer once descriptors are back */
/* gnutd's defaults: per-ip-pending and per-ip-handshakes, reconnect-limit */
#define PER_IP_CAP      4
#define RECONNECT_BURST 5
/* The exhaustion test: gnutd's descriptor limit, the silent sockets that
 * exhaust it, how long its CPU time is watched and the most it may use. */
#define EXHAUST_NOFILE  64
#define EXHAUST_SOCKETS 100
#define CPU_WINDOW_US   (2 * G_USEC_PER_SEC)
#define CPU_MAX_S       0.5

/* The suite's fixture: the gnutd with the default caps that most attacks
 * are made on. */
static gnutd_fixture fx;

static guint count_in_log(const gnutd_fixture *d, const char *needle)
{
	g_autofree char *log = gnutd_fixture_log_from(d, 0);
	guint n = 0;
	for (const char *p = strstr(log, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Starts an ultrapeer gnutd in a folder of its own with the extra options
 * (NULL-ended), under a descriptor limit of nofile (0: the test's own), and
 * waits for its "listening on" line. */
static gboolean start_daemon(gnutd_fixture *d, const char *const *extra, rlim_t nofile)
{
	gnutd_fixture_init(d);
	d->nofile = nofile;
	return gnutd_fixture_start(d, extra, NULL, START_WAIT_S);
}

/* Stops a test's own gnutd with SIGTERM: TRUE when it exited 0. Kills it
 * otherwise, printing its log, and removes its folder either way. */
static gboolean stop_daemon(gnutd_fixture *d)
{
	gboolean clean = gnutd_fixture_stop(d);
	gnutd_fixture_free(d, !clean);
	return clean;
}

static int suite_init(void)
{
	const char *const extra[] = {"--ultrapeer", NULL};
	return start_daemon(&fx, extra, 0) ? 0 : 1;
}

/* After the last test the fixture's gnutd must still run and exit 0. */
static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx);
}

/* ---- the peers ---- */

/* A TCP connection from source (an address of 127/8) to 127.0.0.1:port.
 * nonblocking: the connect may still be under way on return (a full
 * backlog holds it back). -1 when it cannot be made. */
static int dial_from(const char *source, guint16 port, gboolean nonblocking)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, source, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sa.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
	    !(nonblocking && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* closed on us: the caller looks */
		text += n;
		len -= (size_t)n;
	}
}

/* TRUE when gnutd closed fd (end of stream or reset). */
static gboolean closed_by_peer(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static guint count_closed(const int *fds, guint n)
{
	guint closed = 0;
	for (guint i = 0; i < n; i++)
		closed += closed_by_peer(fds[i]);
	return closed;
}

/* Waits until at least want of fds are closed by gnutd. */
static gboolean wait_closed(const int *fds, guint n, guint want, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	while (count_closed(fds, n) < want && g_get_monotonic_time() < deadline)
		g_usleep(POLL_US);
	return count_closed(fds, n) >= want;
}

static void close_all(int *fds, guint n)
{
	for (guint i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Reads gnutd's answer to a CONNECT: its header block, or what came before
 * a close or the deadline. */
static GString *read_answer(int fd)
{
	GString *got = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	while (strstr(got->str, "\r\n\r\n") == NULL) {
		int left = (int)((deadline - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;
		if (left <= 0 || poll(&p, 1, left) <= 0 || recv(fd, &c, 1, 0) != 1)
			break;
		g_string_append_c(got, c);
	}
	return got;
}

/* A full ultrapeer handshake from source: the linked socket, or -1 when
 * gnutd refused or closed it. */
static int handshake_from(const char *source, guint16 port)
{
	int fd = dial_from(source, port, FALSE);
	if (fd < 0)
		return -1;
	send_all(fd, "GNUTELLA CONNECT/0.6\r\nUser-Agent: admission-test/1\r\n"
	             "X-Ultrapeer: True\r\nBye-Packet: 0.1\r\n\r\n");
	GString *got = read_answer(fd);
	gboolean ok = g_str_has_prefix(got->str, "GNUTELLA/0.6 200");
	g_string_free(got, TRUE);
	if (!ok) {
		close(fd);
		return -1;
	}
	send_all(fd, "GNUTELLA/0.6 200 OK\r\n\r\n");
	return fd;
}

/* A handshake from source announcing an ultrapeer or a leaf: the linked
 * socket, or -1 with gnutd's answer head in *refusal (free it). */
static int link_as(const char *source, guint16 port, gboolean ultrapeer, char **refusal)
{
	*refusal = NULL;
	int fd = dial_from(source, port, FALSE);
	if (fd < 0)
		return -1;
	send_all(fd, ultrapeer ? "GNUTELLA CONNECT/0.6\r\nUser-Agent: admission-test/1\r\n"
	                         "X-Ultrapeer: True\r\n\r\n"
	                       : "GNUTELLA CONNECT/0.6\r\nUser-Agent: admission-test/1\r\n"
	                         "X-Ultrapeer: False\r\nX-Query-Routing: 0.1\r\n\r\n");
	GString *got = read_answer(fd);
	if (!g_str_has_prefix(got->str, "GNUTELLA/0.6 200")) {
		*refusal = g_string_free(got, FALSE);
		close(fd);
		return -1;
	}
	g_string_free(got, TRUE);
	send_all(fd, "GNUTELLA/0.6 200 OK\r\n\r\n");
	return fd;
}

/* A good peer links at its first try. */
static gboolean good_peer_links(const char *source, guint16 port)
{
	int fd = handshake_from(source, port);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* A good peer links within timeout_ms, trying again while gnutd refuses
 * (while it recovers). */
static gboolean good_peer_links_within(const char *source, guint16 port, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;
	for (;;) {
		if (good_peer_links(source, port))
			return TRUE;
		if (g_get_monotonic_time() >= deadline)
			return FALSE;
		g_usleep(10 * POLL_US);
	}
}

/* ---- the attacks ---- */

/* 80 silent sockets from 127.0.0.1, more than the old global cap of 64:
 * all but a handful are closed at once, a peer from 127.0.0.2 links, and
 * those let in are closed by the first-line deadline. */
static void test_silent_sockets(void)
{
	enum { N = 80 };
	int fds[N];
	for (int i = 0; i < N; i++)
		CU_ASSERT_TRUE_FATAL((fds[i] = dial_from("127.0.0.1", fx.port, FALSE)) >= 0);
	CU_ASSERT_TRUE(wait_closed(fds, N, N - PER_IP_CAP, REPLY_WAIT_MS));
	CU_ASSERT_TRUE(count_closed(fds, N) >= N - PER_IP_CAP);
	CU_ASSERT_TRUE(good_peer_links("127.0.0.2", fx.port));
	CU_ASSERT_TRUE(wait_closed(fds, N, N, IDLE_CLOSE_WAIT_MS));
	close_all(fds, N);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* 20 connections from one address that send "GNUTELLA CONNECT/0.6" and the
 * start of a header block, then nothing: at most a handful stay open, the
 * rest are closed at once, and a peer from another address links. */
static void half_handshakes(gnutd_fixture *d, const char *attacker, const char *good)
{
	enum { N = 20 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		CU_ASSERT_TRUE_FATAL((fds[i] = dial_from(attacker, d->port, FALSE)) >= 0);
		send_all(fds[i], "GNUTELLA CONNECT/0.6\r\nUser-Agent: slow/1\r\n");
	}
	CU_ASSERT_TRUE(wait_closed(fds, N, N - PER_IP_CAP, REPLY_WAIT_MS));
	CU_ASSERT_TRUE(count_closed(fds, N) >= N - PER_IP_CAP);
	CU_ASSERT_TRUE(good_peer_links(good, d->port));
	close_all(fds, N);
	CU_ASSERT_TRUE(gnutd_fixture_alive(d));
}

static void test_half_handshakes(void)
{
	half_handshakes(&fx, "127.0.0.3", "127.0.0.4");
}

/* The handshake cap alone: a gnutd with no throttle and no cap per address
 * before the first line lets all 20 reach their handshake, and holds
 * exactly PER_IP_CAP of them. */
static void test_handshake_cap(void)
{
	const char *const extra[] = {"--ultrapeer", "--reconnect-limit=0", "--per-ip-pending=0",
	                             NULL};
	gnutd_fixture d;
	CU_ASSERT_TRUE_FATAL(start_daemon(&d, extra, 0));
	half_handshakes(&d, "127.0.0.10", "127.0.0.11");
	CU_ASSERT_TRUE(count_in_log(&d, "too many handshakes from this address") >= 1);
	CU_ASSERT_TRUE(stop_daemon(&d));
}

/* 30 handshakes in a row from 127.0.0.5: the first few link, the rest are
 * closed at once; 127.0.0.6 links meanwhile. The refusals are logged at
 * most once a second (a line from an earlier test may hold them back for
 * that second): another try, now and then, must show one. */
static void test_reconnect_storm(void)
{
	guint linked = 0;
	for (int i = 0; i < 30; i++) {
		int fd = handshake_from("127.0.0.5", fx.port);
		if (fd >= 0) {
			linked++;
			close(fd);
		}
		if (i == 15)
			CU_ASSERT_TRUE(good_peer_links("127.0.0.6", fx.port));
	}
	CU_ASSERT_TRUE(linked >= 1 && linked <= RECONNECT_BURST);
	const char *line = "from 127.0.0.5 refused: reconnecting too often";
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	while (count_in_log(&fx, line) == 0 && g_get_monotonic_time() < deadline) {
		CU_ASSERT_FALSE(good_peer_links("127.0.0.5", fx.port));
		g_usleep(4 * POLL_US);
	}
	CU_ASSERT_TRUE(count_in_log(&fx, line) >= 1);
	CU_ASSERT_TRUE(good_peer_links("127.0.0.6", fx.port));
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* utime + stime of pid, in seconds. */
static double cpu_seconds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *stat = NULL;
	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return -1;
	const char *after = strrchr(stat, ')'); /* the name may hold spaces */
	g_auto(GStrv) f = g_strsplit(after ? after + 2 : "", " ", 0);
	/* after "pid (comm) ", field 3 (state) is f[0]: utime (14) and stime (15) */
	if (g_strv_length(f) < 13)
		return -1;
	return (double)(g_ascii_strtoull(f[11], NULL, 10) + g_ascii_strtoull(f[12], NULL, 10)) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* A gnutd under 64 descriptors, its caps lifted so that silent sockets from
 * one address exhaust them: it pauses accepting instead of spinning (CPU
 * time well under 0.5 s over 2 s of exhaustion), says so in one line, and
 * lets a good peer in once the sockets are gone. */
static void test_out_of_descriptors(void)
{
	const char *const extra[] = {"--ultrapeer", "--max-pending=200", "--per-ip-pending=0",
	                             "--reconnect-limit=0", NULL};
	gnutd_fixture d;
	CU_ASSERT_TRUE_FATAL(start_daemon(&d, extra, EXHAUST_NOFILE));
	int fds[EXHAUST_SOCKETS];
	for (int i = 0; i < EXHAUST_SOCKETS; i++)
		CU_ASSERT_TRUE_FATAL((fds[i] = dial_from("127.0.0.7", d.port, TRUE)) >= 0);
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_MS * G_TIME_SPAN_MILLISECOND;
	while (count_in_log(&d, "out of descriptors") == 0 && g_get_monotonic_time() < deadline)
		g_usleep(POLL_US);
	CU_ASSERT_EQUAL_FATAL(count_in_log(&d, "out of descriptors"), 1);
	double before = cpu_seconds(d.pid);
	g_usleep(CPU_WINDOW_US); /* a measurement window, not a wait for a condition */
	double used = cpu_seconds(d.pid) - before;
	CU_ASSERT_TRUE(before >= 0 && used >= 0 && used < CPU_MAX_S);
	CU_ASSERT_EQUAL(count_in_log(&d, "out of descriptors"), 1);
	close_all(fds, EXHAUST_SOCKETS);
	CU_ASSERT_TRUE(good_peer_links_within("127.0.0.8", d.port, RECOVER_WAIT_MS));
	CU_ASSERT_EQUAL(count_in_log(&d, "out of descriptors"), 1);
	if (used >= CPU_MAX_S)
		fprintf(stderr, "gnutd used %.2f s of CPU in 2 s out of descriptors\n", used);
	CU_ASSERT_TRUE(stop_daemon(&d));
}

/* --max-ultrapeers=1 --max-leaves=2: one ultrapeer and two leaves link,
 * the next of each is refused with 503 naming its full cap (and told where
 * else to go), and the refusals are logged. */
static void test_link_caps(void)
{
	const char *const extra[] = {"--ultrapeer", "--max-ultrapeers=1", "--max-leaves=2", NULL};
	gnutd_fixture d;
	CU_ASSERT_TRUE_FATAL(start_daemon(&d, extra, 0));
	static const struct {
		const char *source;
		gboolean ultrapeer;
		const char *refused; /* NULL: links */
	} peers[] = {
	    {"127.0.3.1", TRUE, NULL},
	    {"127.0.3.2", FALSE, NULL},
	    {"127.0.3.3", FALSE, NULL},
	    {"127.0.3.4", TRUE, "GNUTELLA/0.6 503 Ultrapeer links full (1)\r\n"},
	    {"127.0.3.5", FALSE, "GNUTELLA/0.6 503 Leaf slots full (2)\r\n"},
	};
	int fds[G_N_ELEMENTS(peers)];
	for (gsize i = 0; i < G_N_ELEMENTS(peers); i++) {
		g_autofree char *refusal = NULL;
		fds[i] = link_as(peers[i].source, d.port, peers[i].ultrapeer, &refusal);
		if (peers[i].refused == NULL) {
			CU_ASSERT_TRUE(fds[i] >= 0);
			continue;
		}
		CU_ASSERT_TRUE(fds[i] < 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(refusal);
		CU_ASSERT_TRUE(g_str_has_prefix(refusal, peers[i].refused));
		CU_ASSERT_PTR_NOT_NULL(strstr(refusal, "X-Try-Ultrapeers: "));
	}
	CU_ASSERT_TRUE(gnutd_fixture_wait_log(&d, 0, "refused: Ultrapeer links full (1)", 5));
	for (gsize i = 0; i < G_N_ELEMENTS(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CU_ASSERT_TRUE(stop_daemon(&d));
}

static void test_still_serving(void)
{
	CU_ASSERT_TRUE(good_peer_links("127.0.0.9", fx.port));
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static CU_TestInfo tests[] = {
    {"80 silent sockets from one address", test_silent_sockets},
    {"half-finished handshakes from one address", test_half_handshakes},
    {"the handshake cap alone", test_handshake_cap},
    {"reconnection storm from one address", test_reconnect_storm},
    {"out of descriptors", test_out_of_descriptors},
    {"ultrapeer and leaf caps", test_link_caps},
    {"still serving", test_still_serving},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("hostile admission", tests, suite_init, suite_cleanup)
