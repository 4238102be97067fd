/* test-hostile.c: a real gnutd on loopback against a hostile peer. Each
 * attack (bad handshake, oversize message length, truncated query hit,
 * traversal and junk in HTTP requests, an endless header block) must end in a
 * dropped link or an HTTP error status, nothing outside the share may be
 * served, and the daemon must still answer a proper handshake afterwards and
 * exit cleanly on SIGTERM. The daemon is the suite's fixture: its init hook
 * starts it, each test makes its own connections, and its cleanup hook sends
 * SIGTERM after the last test and fails the program unless gnutd exits 0. */
#include "gnut/proto/msg-header.h"
#include "gnut/proto/query.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define START_WAIT_S       10 /* for gnutd to listen */
#define REPLY_WAIT_S       5  /* for an answer or a close */
#define REPLY_WAIT_MS      (REPLY_WAIT_S * 1000)
#define DROP_WAIT_MS       1500  /* for gnutd to read, log and drop bad messages */
#define IDLE_CLOSE_WAIT_MS 12000 /* past gnutd's deadline on a first line */
#define DRAIN_MS           200   /* what gnutd still sends after a burst */

/* The suite's fixture: one gnutd, started by suite_init, that every attack
 * is made on; suite_cleanup stops it and requires a clean exit. */
static gnutd_fixture fx;

static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx);
}

/* Starts gnutd sharing public.txt, with secret.txt beside its share, and
 * waits for its "listening on" line. */
static int suite_init(void)
{
	gnutd_fixture_init(&fx);
	g_autofree char *secret = g_build_filename(fx.top, "secret.txt", NULL);
	g_file_set_contents(secret, "SECRET-OUTSIDE-SHARE\n", -1, NULL);
	/* Every attack comes from 127.0.0.1, dozens a second: no reconnection
	 * throttle here (test-hostile-admission attacks that one). */
	const char *const extra[] = {"--ultrapeer", "--reconnect-limit=0", NULL};
	return gnutd_fixture_start(&fx, extra, NULL, START_WAIT_S) ? 0 : 1;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
			return; /* the daemon may close on us mid-attack: that is fine */
		p += n;
		len -= (size_t)n;
	}
}

/* Reads until the peer closes, timeout_ms passes, or cap bytes came. */
static GString *read_until_close(int fd, int timeout_ms, size_t cap, gboolean *closed)
{
	GString *got = g_string_new(NULL);
	*closed = FALSE;
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * (G_USEC_PER_SEC / 1000);
	while (got->len < cap) {
		int left = (int)((deadline - g_get_monotonic_time()) / (G_USEC_PER_SEC / 1000));
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0) {
			*closed = TRUE;
			break;
		}
		g_string_append_len(got, buf, n);
	}
	return got;
}

/* Dials and completes a handshake as an ultrapeer; -1 when refused. */
static int handshake(void)
{
	int fd = dial();
	if (fd < 0)
		return -1;
	const char *connect_block = "GNUTELLA CONNECT/0.6\r\nUser-Agent: hostile/1\r\n"
	                            "X-Ultrapeer: True\r\nBye-Packet: 0.1\r\n\r\n";
	send_all(fd, connect_block, strlen(connect_block));
	GString *got = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_S * G_USEC_PER_SEC;
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

static void test_bad_handshake(void)
{
	int fd = dial();
	CU_ASSERT_FATAL(fd >= 0);
	const char *bad = "GNUTELLA CONNECT/0.6\r\nthis line has no colon\r\n\r\n";
	send_all(fd, bad, strlen(bad));
	gboolean closed;
	GString *got = read_until_close(fd, REPLY_WAIT_MS, 65536, &closed);
	CU_ASSERT_TRUE(closed);
	CU_ASSERT_FALSE(g_str_has_prefix(got->str, "GNUTELLA/0.6 200"));
	g_string_free(got, TRUE);
	close(fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static void test_oversize_length(void)
{
	int fd = handshake();
	CU_ASSERT_FATAL(fd >= 0);
	uint8_t header[GNUT_MSG_HEADER_LEN] = {0};
	header[16] = GNUT_MSG_QUERY;
	header[17] = 3;
	gnut_poke_le32(header + 19, 0x7fffffff);
	send_all(fd, header, sizeof header);
	gboolean closed;
	GString *got = read_until_close(fd, REPLY_WAIT_MS, 1 << 20, &closed);
	CU_ASSERT_TRUE(closed);
	g_string_free(got, TRUE);
	close(fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* The port of our end of fd: gnutd names the link by it in its log. */
static guint16 local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	return ntohs(sa.sin_port);
}

static void test_truncated_messages(void)
{
	g_autofree char *before = gnutd_fixture_log_from(&fx, 0);
	gsize log_start = strlen(before); /* what the other tests made gnutd log */
	int fd = handshake();
	CU_ASSERT_FATAL(fd >= 0);
	g_autofree char *dropped =
	    g_strdup_printf("link 127.0.0.1:%u: bad query dropped", local_port(fd));
	/* A query hit cut short (count 5, one half result), and a query whose
	 * text has no NUL: each is logged and dropped. */
	uint8_t msg[GNUT_MSG_HEADER_LEN + 16] = {0};
	memset(msg, 0x42, 16);
	msg[16] = GNUT_MSG_QUERY_HIT;
	msg[17] = 2;
	gnut_poke_le32(msg + 19, 16);
	msg[GNUT_MSG_HEADER_LEN] = 5;
	send_all(fd, msg, sizeof msg);
	uint8_t query[GNUT_MSG_HEADER_LEN + 4] = {0};
	query[16] = GNUT_MSG_QUERY;
	query[17] = 2;
	gnut_poke_le32(query + 19, 4);
	memcpy(query + GNUT_MSG_HEADER_LEN,
	       "\x80\x00"
	       "ab",
	       4);
	/* gnutd logs one bad message a second and holds back the others (an
	 * attack just before this one may have used that second): the query
	 * goes again, under a new GUID, until gnutd logs it for this link. */
	gboolean logged = FALSE, closed = FALSE;
	gint64 deadline = g_get_monotonic_time() + REPLY_WAIT_S * G_USEC_PER_SEC;
	for (guint8 n = 0x43; !logged && !closed && g_get_monotonic_time() < deadline; n++) {
		memset(query, n, 16);
		send_all(fd, query, sizeof query);
		GString *got = read_until_close(fd, DROP_WAIT_MS, 1 << 20, &closed);
		g_string_free(got, TRUE);
		g_autofree char *log = gnutd_fixture_log_from(&fx, log_start);
		logged = strstr(log, dropped) != NULL;
	}
	close(fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
	CU_ASSERT_TRUE(logged);
}

/* Sends one HTTP request and returns the status code (0: closed without one)
 * and the whole answer in *answer. */
static int http_request(const char *request, GString **answer)
{
	int fd = dial();
	if (fd < 0)
		return -1;
	send_all(fd, request, strlen(request));
	gboolean closed;
	*answer = read_until_close(fd, REPLY_WAIT_MS, 1 << 20, &closed);
	close(fd);
	int code = 0;
	if (g_str_has_prefix((*answer)->str, "HTTP/1."))
		code = atoi((*answer)->str + 9);
	return code;
}

static void expect_refused(const char *request)
{
	GString *answer = NULL;
	int code = http_request(request, &answer);
	CU_ASSERT_TRUE(code == 0 || (code >= 400 && code < 600));
	CU_ASSERT_PTR_NULL(strstr(answer->str, "SECRET-OUTSIDE-SHARE"));
	CU_ASSERT_PTR_NULL(strstr(answer->str, "root:"));
	g_string_free(answer, TRUE);
}

static void test_http_traversal(void)
{
	expect_refused("GET /get/1/../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	expect_refused(
	    "GET /get/1/..%2fsecret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	expect_refused("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	expect_refused("GET /etc/passwd HTTP/1.0\r\n\r\n");
	expect_refused("GET /uri-res/N2R?urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
	               "HTTP/1.1\r\nConnection: close\r\n\r\n");
	expect_refused(
	    "GET /uri-res/N2R?urn:sha1:../../secret HTTP/1.1\r\nConnection: close\r\n\r\n");
	expect_refused("GET /get/99/public.txt HTTP/1.1\r\nConnection: close\r\n\r\n");
	expect_refused(
	    "GET /get/1/public.txt HTTP/1.1\r\nRange: bytes=zz\r\nConnection: close\r\n\r\n");
	expect_refused("GET /get/1/public.txt HTTP/1.1\r\nRange: bytes=5000-6000\r\nConnection: "
	               "close\r\n\r\n");
	expect_refused("DELETE /get/1/public.txt HTTP/1.1\r\nConnection: close\r\n\r\n");
	/* an endless header block: cut at the cap */
	GString *big = g_string_new("GET /get/1/public.txt HTTP/1.1\r\n");
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(big, "X-Junk-%d: %0100d\r\n", i, i);
	g_string_append(big, "\r\n");
	expect_refused(big->str);
	g_string_free(big, TRUE);
	/* the real file is still served */
	GString *answer = NULL;
	int code = http_request("GET /get/1/public.txt HTTP/1.0\r\n\r\n", &answer);
	CU_ASSERT_EQUAL(code, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(answer->str, "public content"));
	CU_ASSERT_PTR_NOT_NULL(strstr(answer->str, "Server: gnutd/"));
	g_string_free(answer, TRUE);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static void test_garbage_first_line(void)
{
	int fd = dial();
	CU_ASSERT_FATAL(fd >= 0);
	uint8_t junk[512];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 13 + 1);
	send_all(fd, junk, sizeof junk);
	gboolean closed;
	GString *got = read_until_close(fd, IDLE_CLOSE_WAIT_MS, 65536, &closed);
	CU_ASSERT_TRUE(closed);
	g_string_free(got, TRUE);
	close(fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* Well-framed messages with random types, TTLs and payloads on many links,
 * from a fixed seed: every one must be refused or handled without harm. */
static void test_random_messages(void)
{
	/* no Bye, no QRP: they would end the link after a few messages */
	static const guint8 types[] = {GNUT_MSG_PING,       GNUT_MSG_PONG, GNUT_MSG_VENDOR,
	                               GNUT_MSG_VENDOR_STD, GNUT_MSG_PUSH, GNUT_MSG_QUERY,
	                               GNUT_MSG_QUERY_HIT,  0x55};
	GRand *rand = g_rand_new_with_seed(20261121);
	guint8 msg[GNUT_MSG_HEADER_LEN + 2048];
	for (int link = 0; link < 20; link++) {
		int fd = handshake();
		CU_ASSERT_FATAL(fd >= 0);
		for (int i = 0; i < 100; i++) {
			guint32 len = (guint32)g_rand_int_range(rand, 0, 2048);
			for (guint32 b = 0; b < GNUT_MSG_HEADER_LEN + len; b++)
				msg[b] = (guint8)g_rand_int(rand);
			msg[16] = types[g_rand_int_range(rand, 0, G_N_ELEMENTS(types))];
			msg[17] = (guint8)g_rand_int_range(rand, 0, 8); /* TTL */
			msg[18] = (guint8)g_rand_int_range(rand, 0, 8); /* hops */
			if (msg[16] == GNUT_MSG_QUERY && len > 2)
				msg[GNUT_MSG_HEADER_LEN] |= 0x80; /* mostly well-formed flags */
			gnut_poke_le32(msg + 19, len);
			send_all(fd, msg, GNUT_MSG_HEADER_LEN + len);
		}
		gboolean closed;
		GString *got = read_until_close(fd, DRAIN_MS, 1 << 22, &closed);
		g_string_free(got, TRUE);
		close(fd);
	}
	g_rand_free(rand);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* gnutd still links after the attacks (its clean exit is checked by
 * suite_cleanup, after the last test). */
static void test_still_serving(void)
{
	int fd = handshake();
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static CU_TestInfo tests[] = {
    {"bad handshake", test_bad_handshake},
    {"oversize message length", test_oversize_length},
    {"truncated hit and query", test_truncated_messages},
    {"HTTP traversal and junk", test_http_traversal},
    {"garbage first line", test_garbage_first_line},
    {"random messages on 20 links", test_random_messages},
    {"still serving", test_still_serving},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("hostile peer", tests, suite_init, suite_cleanup)
