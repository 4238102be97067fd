/* test-listener.c: the listener's admission over real loopback sockets:
 * the cap per address on connections before their first line (a peer from
 * another address still gets in), the reconnection throttle on a manual
 * clock, and the pause when accept(2) runs out of descriptors (the test
 * lowers its own RLIMIT_NOFILE): a few retries, one log line, and
 * accepting again once descriptors are back. Client sockets bind a source
 * address of 127/8, which Linux routes over loopback. */
#include "gnut/net/listener.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS  5000
#define LONG_MS  (10 * 60 * 1000) /* a first-line deadline that never passes here */
#define PAUSE_MS 200

/* What the accept callback saw: the first lines, and the connections,
 * kept open (the callee owns them). */
typedef struct {
	GPtrArray *lines;
	GPtrArray *conns;
} accepted;

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	accepted *a = data;
	g_ptr_array_add(a->lines, g_strdup(line));
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	g_ptr_array_add(a->conns, conn);
}

static void accepted_init(accepted *a)
{
	a->lines = g_ptr_array_new_with_free_func(g_free);
	a->conns = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_conn_unref);
}

static void accepted_clear(accepted *a)
{
	g_ptr_array_unref(a->lines);
	g_ptr_array_unref(a->conns);
}

/* A TCP connection from source (an address of 127/8) to 127.0.0.1:port;
 * loopback connects complete in the backlog, before any accept. */
static int dial_from(const char *source, guint16 port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, source, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sa.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* TRUE when the listener closed fd (end of stream or reset). */
static gboolean closed_by_peer(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

typedef struct {
	const gnut_listener_stats *st;
	guint64 n;
} count_wait;

static gboolean accepted_at_least(gpointer data)
{
	count_wait *w = data;
	return w->st->accepted >= w->n;
}

static gboolean dispatched_at_least(gpointer data)
{
	count_wait *w = data;
	return w->st->dispatched >= w->n;
}

static gboolean pending_at_most_3(gpointer data)
{
	return gnut_listener_get_pending(data) <= 3;
}

typedef struct {
	int *fds;
	guint n;
	guint want;
} closed_wait;

static gboolean closed_at_least(gpointer data)
{
	closed_wait *w = data;
	guint closed = 0;
	for (guint i = 0; i < w->n; i++)
		closed += closed_by_peer(w->fds[i]);
	return closed >= w->want;
}

static guint count_closed(const int *fds, guint n)
{
	guint closed = 0;
	for (guint i = 0; i < n; i++)
		closed += closed_by_peer(fds[i]);
	return closed;
}

/* Six silent sockets from 127.0.0.1: four wait, two are closed at once; a
 * peer from 127.0.0.2 still gets in and is dispatched; once a waiting one
 * leaves, 127.0.0.1 gets a place again. */
static void test_per_ip_pending_cap(void)
{
	accepted a;
	accepted_init(&a);
	gnut_listener_config cfg = {.address = "127.0.0.1",
	                            .line_timeout_ms = LONG_MS,
	                            .per_ip_pending = 4,
	                            .reconnect_burst = GNUT_IP_ADMIT_UNLIMITED};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	guint16 port = gnut_listener_get_port(l);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	int silent[6];
	for (int i = 0; i < 6; i++)
		CU_ASSERT_TRUE_FATAL((silent[i] = dial_from("127.0.0.1", port)) >= 0);
	count_wait w = {st, 6};
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->refused_ip, 2);
	CU_ASSERT_EQUAL(st->refused, 0);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 4);
	closed_wait cw = {silent, 6, 2};
	CU_ASSERT_TRUE(gnut_unit_run_until(closed_at_least, &cw, WAIT_MS));
	CU_ASSERT_EQUAL(count_closed(silent, 6), 2);

	int good = dial_from("127.0.0.2", port);
	CU_ASSERT_TRUE_FATAL(good >= 0);
	const char hello[] = "GNUTELLA CONNECT/0.6\r\n";
	CU_ASSERT_EQUAL(send(good, hello, strlen(hello), 0), (ssize_t)strlen(hello));
	count_wait d = {st, 1};
	CU_ASSERT_TRUE(gnut_unit_run_until(dispatched_at_least, &d, WAIT_MS));
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.lines, 0), "GNUTELLA CONNECT/0.6");

	/* A waiting one from 127.0.0.1 leaves: its place is free again. */
	int waiting = -1;
	for (int i = 0; i < 6 && waiting < 0; i++)
		if (!closed_by_peer(silent[i]))
			waiting = i;
	CU_ASSERT_TRUE_FATAL(waiting >= 0);
	close(silent[waiting]);
	silent[waiting] = -1;
	CU_ASSERT_TRUE(gnut_unit_run_until(pending_at_most_3, l, WAIT_MS));
	int again = dial_from("127.0.0.1", port);
	CU_ASSERT_TRUE_FATAL(again >= 0);
	w.n = 8;
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->refused_ip, 2);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 4);

	gnut_listener_free(l);
	for (int i = 0; i < 6; i++)
		if (silent[i] >= 0)
			close(silent[i]);
	close(good);
	close(again);
	accepted_clear(&a);
}

/* Burst 2, then one per 10 s, on a manual clock: figures to the
 * millisecond, the throttled closed at once, another address untouched. */
static void test_reconnect_throttle(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	accepted a;
	accepted_init(&a);
	gnut_listener_config cfg = {.address = "127.0.0.1",
	                            .line_timeout_ms = LONG_MS,
	                            .per_ip_pending = GNUT_IP_ADMIT_UNLIMITED,
	                            .reconnect_burst = 2,
	                            .reconnect_interval_ms = 10000,
	                            .clock = clock};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	guint16 port = gnut_listener_get_port(l);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	int fd[6];
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE_FATAL((fd[i] = dial_from("127.0.0.3", port)) >= 0);
	count_wait w = {st, 3};
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->throttled, 1);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 2);
	closed_wait cw = {fd, 3, 1};
	CU_ASSERT_TRUE(gnut_unit_run_until(closed_at_least, &cw, WAIT_MS));
	CU_ASSERT_EQUAL(count_closed(fd, 3), 1);

	CU_ASSERT_TRUE_FATAL((fd[3] = dial_from("127.0.0.4", port)) >= 0);
	w.n = 4;
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->throttled, 1);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 3);

	gnut_clock_manual_advance(clock, 10 * G_USEC_PER_SEC - G_TIME_SPAN_MILLISECOND);
	CU_ASSERT_TRUE_FATAL((fd[4] = dial_from("127.0.0.3", port)) >= 0);
	w.n = 5;
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->throttled, 2);
	gnut_clock_manual_advance(clock, G_TIME_SPAN_MILLISECOND);
	CU_ASSERT_TRUE_FATAL((fd[5] = dial_from("127.0.0.3", port)) >= 0);
	w.n = 6;
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(st->throttled, 2);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 4);

	gnut_listener_free(l);
	for (int i = 0; i < 6; i++)
		close(fd[i]);
	accepted_clear(&a);
}

/* Log lines that say "out of descriptors", counted by the writer below. */
static guint out_of_fds_lines;

static GLogWriterOutput count_log_lines(GLogLevelFlags level, const GLogField *fields,
                                        gsize n_fields, gpointer data)
{
	for (gsize i = 0; i < n_fields; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
		    strstr(fields[i].value, "out of descriptors") != NULL)
			out_of_fds_lines++;
	return g_log_writer_default(level, fields, n_fields, data);
}

static gboolean never(gpointer data)
{
	return FALSE;
}

/* Three peers wait in the backlog while the process has no descriptor
 * left: accept(2) fails with EMFILE, and the listener retries once per
 * pause (not thousands of times), says so once, and admits all three once
 * descriptors are back. */
static void test_out_of_descriptors(void)
{
	static gboolean writer_set;
	if (!writer_set)
		g_log_set_writer_func(count_log_lines, NULL, NULL);
	writer_set = TRUE;
	out_of_fds_lines = 0;
	accepted a;
	accepted_init(&a);
	gnut_listener_config cfg = {.address = "127.0.0.1",
	                            .line_timeout_ms = LONG_MS,
	                            .per_ip_pending = GNUT_IP_ADMIT_UNLIMITED,
	                            .reconnect_burst = GNUT_IP_ADMIT_UNLIMITED,
	                            .fd_pause_ms = PAUSE_MS};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	int c[3];
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE_FATAL((c[i] = dial_from("127.0.0.5", gnut_listener_get_port(l))) >=
		                     0);

	/* The lowest free descriptor becomes the limit: none can be made. */
	struct rlimit saved;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &saved), 0);
	int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CU_ASSERT_TRUE_FATAL(probe >= 0);
	close(probe);
	struct rlimit low = {.rlim_cur = (rlim_t)probe, .rlim_max = saved.rlim_max};
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	gnut_unit_run_until(never, NULL, 1000);
	guint64 pauses = st->fd_pauses;
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &saved), 0);

	CU_ASSERT_EQUAL(st->accepted, 0);
	CU_ASSERT_TRUE(pauses >= 1 && pauses <= 1000 / PAUSE_MS + 2);
	CU_ASSERT_EQUAL(st->accept_errors, pauses);
	CU_ASSERT_EQUAL(out_of_fds_lines, 1);
	count_wait w = {st, 3};
	CU_ASSERT_TRUE(gnut_unit_run_until(accepted_at_least, &w, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 3);
	CU_ASSERT_FALSE(gnut_listener_is_paused(l));
	CU_ASSERT_EQUAL(out_of_fds_lines, 1);

	gnut_listener_free(l);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	accepted_clear(&a);
}

static CU_TestInfo tests[] = {
    {"per-address cap before the first line", test_per_ip_pending_cap},
    {"reconnection throttle", test_reconnect_throttle},
    {"out of descriptors: pause, not a busy loop", test_out_of_descriptors},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("listener admission", tests)
