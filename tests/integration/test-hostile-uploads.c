/* test-hostile-uploads.c: a real gnutd on loopback against peers that abuse
 * its HTTP uploads. Idle keep-alive connections, more of them than upload
 * slots, must not lock another address out; one address opening many
 * connections gets 503 past its cap, and a second body to the same address
 * 503 too, while other addresses are served; a shared folder swapped for a
 * symlink to an outside folder holding a file of the same name, size and
 * mtime gets 404 (never the outside content) and a rescan. Each attack
 * comes from addresses of its own in 127/8 (the client socket is bound to
 * them), so the per-address caps of one test never touch another. The
 * daemon is the suite's fixture: its init hook starts it and waits for its
 * first scan, its cleanup hook requires a clean exit on SIGTERM. */
#include "gnut/proto/digest.h"
#include "gnut/proto/urn.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define START_WAIT_S  60    /* for gnutd to listen and scan its share */
#define REPLY_WAIT_MS 10000 /* for an answer or a close */
#define RESCAN_WAIT_S 30    /* for the rescan a stale file causes */
#define PUBLIC_BODY   GNUTD_FIXTURE_PUBLIC_TEXT
#define INSIDE_BODY   "INSIDE-CONTENT-0\n"
#define OUTSIDE_BODY  "OUTSIDE-SECRET-1\n" /* as long as INSIDE_BODY */
#define BIG_SIZE      (32 * 1024 * 1024)   /* more than loopback socket buffers hold */
#define SOME_MTIME    1600000000
#define CONN_CAP      4 /* gnutd's default HTTP connections per address */
#define IDLE_PER_IP   CONN_CAP
#define MANY          10
#define SCAN_DONE     "sharing 3 files"

static gnutd_fixture fx;

static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_file_set_contents(path, text, -1, NULL);
	struct timespec times[2] = {{SOME_MTIME, 0}, {SOME_MTIME, 0}};
	utimensat(AT_FDCWD, path, times, 0);
}

/* share/: public.txt, big.bin (sparse zeros), sub/inner.txt; beside it,
 * outside/inner.txt, as long and as old as sub/inner.txt. */
static void make_files(void)
{
	g_autofree char *sub = g_build_filename(fx.share, "sub", NULL);
	g_autofree char *outside = g_build_filename(fx.top, "outside", NULL);
	g_mkdir_with_parents(sub, 0700);
	g_mkdir_with_parents(outside, 0700);
	write_file(fx.share, GNUTD_FIXTURE_PUBLIC_NAME, PUBLIC_BODY);
	write_file(sub, "inner.txt", INSIDE_BODY);
	write_file(outside, "inner.txt", OUTSIDE_BODY);
	g_autofree char *big = g_build_filename(fx.share, "big.bin", NULL);
	int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (ftruncate(fd, BIG_SIZE) != 0)
			perror("ftruncate");
		close(fd);
	}
}

/* Starts gnutd sharing top/share and waits for its listener and the end of
 * its first scan. */
static int suite_init(void)
{
	gnutd_fixture_init(&fx);
	make_files();
	/* connection admission lifted: these tests hit the upload caps, which
	 * come after it (test-hostile-admission tests admission) */
	const char *const extra[] = {"--reconnect-limit=0", "--per-ip-pending=0", NULL};
	return gnutd_fixture_start(&fx, extra, SCAN_DONE, START_WAIT_S) ? 0 : 1;
}

static void send_text(int fd, const char *text)
{
	gsize len = strlen(text);
	while (len > 0) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the daemon may close on us: the answer check says so */
		text += n;
		len -= (gsize)n;
	}
}

/* Reads into got until it holds want bytes; FALSE on close or timeout. */
static gboolean read_at_least(int fd, GString *got, gsize want)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)REPLY_WAIT_MS * 1000;
	while (got->len < want) {
		int left = (int)((deadline - g_get_monotonic_time()) / 1000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return FALSE;
		char buf[65536];
		ssize_t n = recv(fd, buf, MIN(sizeof buf, want - got->len), 0);
		if (n <= 0)
			return FALSE;
		g_string_append_len(got, buf, n);
	}
	return TRUE;
}

/* One answer: its status (0 if none came), its head in *head when asked,
 * and its body when with_body (else the body is left unread). */
typedef struct {
	int code;
	GString *head;
	GString *body;
} answer;

static void answer_clear(answer *a)
{
	if (a->head != NULL)
		g_string_free(a->head, TRUE);
	if (a->body != NULL)
		g_string_free(a->body, TRUE);
	memset(a, 0, sizeof *a);
}

static gboolean read_answer(int fd, gboolean with_body, answer *a)
{
	answer_clear(a);
	a->head = g_string_new(NULL);
	a->body = g_string_new(NULL);
	while (strstr(a->head->str, "\r\n\r\n") == NULL)
		if (!read_at_least(fd, a->head, a->head->len + 1))
			return FALSE;
	if (g_str_has_prefix(a->head->str, "HTTP/1."))
		a->code = atoi(a->head->str + 9);
	const char *cl = strstr(a->head->str, "\r\nContent-Length: ");
	gsize len = cl != NULL ? (gsize)g_ascii_strtoull(cl + 18, NULL, 10) : 0;
	return !with_body || read_at_least(fd, a->body, len);
}

/* Whether gnutd closed fd (end of stream or reset) within the wait. */
static gboolean closed_by_peer(int fd)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)REPLY_WAIT_MS * 1000;
	for (;;) {
		int left = (int)((deadline - g_get_monotonic_time()) / 1000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return FALSE;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return TRUE;
	}
}

/* A request for the shared file whose content is content[0..len), by its
 * SHA-1. */
static char *request_for(const char *method, const void *content, gsize len)
{
	uint8_t sha1[GNUT_SHA1_LEN];
	gnut_sha1_buffer(content, len, sha1);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	return g_strdup_printf("%s /uri-res/N2R?%s HTTP/1.1\r\nHost: x\r\n\r\n", method, urn);
}

static char *get_of(const char *method, const char *text)
{
	return request_for(method, text, strlen(text));
}

/* GET public.txt on a new connection from from: its status. */
static int fetch_public(const char *from)
{
	int fd = gnutd_fixture_dial_from(&fx, from);
	if (fd < 0)
		return -1;
	g_autofree char *req = get_of("GET", PUBLIC_BODY);
	send_text(fd, req);
	answer a = {0};
	int code = read_answer(fd, TRUE, &a) ? a.code : 0;
	if (code == 200 && strcmp(a.body->str, PUBLIC_BODY) != 0)
		code = -2;
	answer_clear(&a);
	close(fd);
	return code;
}

/* Idle kept-alive connections from two addresses, more than the upload
 * slots, each after one download: a third address still downloads. */
static void test_idle_keep_alive(void)
{
	const char *from[] = {"127.0.0.11", "127.0.0.12"};
	int idle[G_N_ELEMENTS(from) * IDLE_PER_IP];
	g_autofree char *req = get_of("GET", PUBLIC_BODY);
	answer a = {0};
	for (gsize i = 0; i < G_N_ELEMENTS(idle); i++) {
		idle[i] = gnutd_fixture_dial_from(&fx, from[i / IDLE_PER_IP]);
		CU_ASSERT_FATAL(idle[i] >= 0);
		send_text(idle[i], req);
		CU_ASSERT_TRUE(read_answer(idle[i], TRUE, &a));
		CU_ASSERT_EQUAL(a.code, 200);
		CU_ASSERT_PTR_NOT_NULL(strstr(a.head->str, "Connection: keep-alive"));
	}
	CU_ASSERT_EQUAL(fetch_public("127.0.0.13"), 200);
	/* the idle ones are still open and may ask again */
	send_text(idle[0], req);
	CU_ASSERT_TRUE(read_answer(idle[0], TRUE, &a));
	CU_ASSERT_EQUAL(a.code, 200);
	for (gsize i = 0; i < G_N_ELEMENTS(idle); i++)
		close(idle[i]);
	answer_clear(&a);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* One address opens many connections: past its cap each gets 503 with
 * Retry-After and is closed, and a second body to it is refused while
 * the first is under way; another address is served all along. */
static void test_many_connections_one_ip(void)
{
	const char *bad = "127.0.0.21";
	g_autofree char *head = get_of("HEAD", PUBLIC_BODY);
	int held[CONN_CAP];
	answer a = {0};
	for (gsize i = 0; i < G_N_ELEMENTS(held); i++) {
		held[i] = gnutd_fixture_dial_from(&fx, bad);
		CU_ASSERT_FATAL(held[i] >= 0);
		send_text(held[i], head);
		CU_ASSERT_TRUE(read_answer(held[i], FALSE, &a));
		CU_ASSERT_EQUAL(a.code, 200);
	}
	for (int i = CONN_CAP; i < MANY; i++) {
		int fd = gnutd_fixture_dial_from(&fx, bad);
		CU_ASSERT_FATAL(fd >= 0);
		send_text(fd, head);
		CU_ASSERT_TRUE(read_answer(fd, FALSE, &a));
		CU_ASSERT_EQUAL(a.code, 503);
		CU_ASSERT_PTR_NOT_NULL(strstr(a.head->str, "\r\nRetry-After: "));
		CU_ASSERT_TRUE(closed_by_peer(fd));
		close(fd);
	}
	CU_ASSERT_EQUAL(fetch_public("127.0.0.22"), 200);
	/* a body under way to the address (not read: it stays under way)... */
	g_autofree char *zeros = g_malloc0(BIG_SIZE);
	g_autofree char *big = request_for("GET", zeros, BIG_SIZE);
	send_text(held[0], big);
	CU_ASSERT_TRUE(read_answer(held[0], FALSE, &a));
	CU_ASSERT_EQUAL(a.code, 200);
	/* ...and a second one to it is refused, not to another address */
	g_autofree char *get = get_of("GET", PUBLIC_BODY);
	send_text(held[1], get);
	CU_ASSERT_TRUE(read_answer(held[1], FALSE, &a));
	CU_ASSERT_EQUAL(a.code, 503);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.head->str, "\r\nRetry-After: "));
	CU_ASSERT_EQUAL(fetch_public("127.0.0.22"), 200);
	for (gsize i = 0; i < G_N_ELEMENTS(held); i++)
		close(held[i]);
	answer_clear(&a);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* share/sub swapped for a symlink to outside/, whose inner.txt has the
 * name, size and mtime of the one indexed: 404, never the outside
 * content; the shares are rescanned, after which the file is gone. */
static void test_swapped_folder(void)
{
	const char *from = "127.0.0.31";
	g_autofree char *req = get_of("GET", INSIDE_BODY);
	int fd = gnutd_fixture_dial_from(&fx, from);
	CU_ASSERT_FATAL(fd >= 0);
	send_text(fd, req);
	answer a = {0};
	CU_ASSERT_TRUE(read_answer(fd, TRUE, &a));
	CU_ASSERT_EQUAL(a.code, 200);
	CU_ASSERT_STRING_EQUAL(a.body->str, INSIDE_BODY);
	close(fd);

	g_autofree char *sub = g_build_filename(fx.top, "share", "sub", NULL);
	g_autofree char *moved = g_build_filename(fx.top, "sub.moved", NULL);
	g_autofree char *outside = g_build_filename(fx.top, "outside", NULL);
	CU_ASSERT_EQUAL_FATAL(rename(sub, moved), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, sub), 0);
	gsize log_start = gnutd_fixture_log_size(&fx);
	for (int round = 0; round < 2; round++) {
		fd = gnutd_fixture_dial_from(&fx, from);
		CU_ASSERT_FATAL(fd >= 0);
		send_text(fd, req);
		CU_ASSERT_TRUE(read_answer(fd, TRUE, &a));
		CU_ASSERT_EQUAL(a.code, 404);
		CU_ASSERT_PTR_NULL(strstr(a.head->str, "OUTSIDE"));
		CU_ASSERT_PTR_NULL(strstr(a.body->str, "OUTSIDE"));
		/* nothing more comes on the connection either */
		send_text(fd, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
		g_autoptr(GString) rest = g_string_new(NULL);
		read_at_least(fd, rest, 1 << 20);
		CU_ASSERT_PTR_NULL(strstr(rest->str, "OUTSIDE"));
		close(fd);
		/* the first 404 starts a rescan; the second comes after it */
		if (round == 0)
			CU_ASSERT_TRUE(gnutd_fixture_wait_log(&fx, log_start, "sharing 2 files",
			                                      RESCAN_WAIT_S));
	}
	answer_clear(&a);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* After it all, a good peer is still served. */
static void test_still_serving(void)
{
	CU_ASSERT_EQUAL(fetch_public("127.0.0.41"), 200);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static CU_TestInfo tests[] = {
    {"idle keep-alive connections lock nobody out", test_idle_keep_alive},
    {"one address, many connections: 503 past its caps", test_many_connections_one_ip},
    {"a shared folder swapped for a symlink: 404", test_swapped_folder},
    {"still serving", test_still_serving},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("hostile uploads", tests, suite_init, suite_cleanup)
