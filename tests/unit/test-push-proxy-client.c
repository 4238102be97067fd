/* test-push-proxy-client.c: the downloader's side of push proxies against
 * fake proxies on loopback (a thread each: accept one connection, read the
 * request head, answer as told). Proxies are tried in order until one says
 * 202; a refusal, a close without answer or an address the dial rule
 * refuses moves on; when all failed, the fallback runs once; freeing the
 * client ends an exchange under way without a fallback. */
#include "gnut/core/transfer/push-proxy-client.h"
#include "unit.h"

#include <gio/gio.h>
#include <string.h>

#define WAIT_MS 10000

/* One fake proxy. answer NULL: close without answering; "" : never answer
 * (hold the connection until the client closes it). */
typedef struct {
	GSocket *listen;
	guint16 port;
	const char *answer;
	GThread *thread;
	char *request; /* the head it read */
} fake_proxy;

static gpointer proxy_thread(gpointer data)
{
	fake_proxy *fp = data;
	GSocket *s = g_socket_accept(fp->listen, NULL, NULL);
	if (s == NULL)
		return NULL;
	GString *in = g_string_new(NULL);
	char buf[512];
	while (strstr(in->str, "\r\n\r\n") == NULL) {
		gssize n = g_socket_receive(s, buf, sizeof buf, NULL, NULL);
		if (n <= 0)
			break;
		g_string_append_len(in, buf, n);
	}
	fp->request = g_string_free(in, FALSE);
	if (fp->answer != NULL && fp->answer[0] != '\0')
		g_socket_send(s, fp->answer, strlen(fp->answer), NULL, NULL);
	if (fp->answer != NULL && fp->answer[0] == '\0')
		while (g_socket_receive(s, buf, sizeof buf, NULL, NULL) > 0)
			;
	g_socket_close(s, NULL);
	g_object_unref(s);
	return NULL;
}

static void proxy_start(fake_proxy *fp, const char *answer)
{
	memset(fp, 0, sizeof *fp);
	fp->answer = answer;
	fp->listen =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_assert_true(g_socket_bind(fp->listen, any, TRUE, NULL));
	g_assert_true(g_socket_listen(fp->listen, NULL));
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(fp->listen, NULL);
	fp->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	fp->thread = g_thread_new("fake-proxy", proxy_thread, fp);
}

static void proxy_stop(fake_proxy *fp)
{
	g_socket_shutdown(fp->listen, TRUE, TRUE, NULL);
	g_socket_close(fp->listen, NULL);
	g_thread_join(fp->thread);
	g_object_unref(fp->listen);
	g_free(fp->request);
}

typedef struct {
	guint calls;
	gnut_guid servent;
	guint32 index;
} fallback_log;

static void on_fallback(const gnut_guid *servent, guint32 index, gpointer data)
{
	fallback_log *log = data;
	log->calls++;
	log->servent = *servent;
	log->index = index;
}

typedef struct {
	gnut_proxy_client *c;
	fallback_log *log;
	guint64 want; /* accepted + failed + fallbacks */
} progress;

static gboolean settled(gpointer data)
{
	progress *p = data;
	return gnut_proxy_client_accepted(p->c) + gnut_proxy_client_failed(p->c) + p->log->calls >=
	       p->want;
}

static void add_proxy(gnut_push_proxies *pp, uint32_t ipv4, guint16 port)
{
	pp->addr[pp->count++] = (gnut_push_proxy){.ipv4 = ipv4, .port = port};
}

static void test_refused_then_accepted(void)
{
	fake_proxy gone, ok;
	proxy_start(&gone, "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\n\r\n");
	proxy_start(&ok, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
	fallback_log log = {0};
	gnut_proxy_client *c = gnut_proxy_client_new(TRUE, on_fallback, &log);
	gnut_push_proxies pp = {0};
	add_proxy(&pp, 0x7f000001, gone.port);
	add_proxy(&pp, 0x7f000001, ok.port);
	gnut_guid servent;
	for (unsigned i = 0; i < GNUT_GUID_LEN; i++)
		servent.bytes[i] = (guint8)i;
	gnut_proxy_client_push(c, &pp, &servent, 5, 0x7f000001, 6348);
	progress p = {c, &log, 2};
	CU_ASSERT_TRUE(gnut_unit_run_until(settled, &p, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_proxy_client_failed(c), 1);
	CU_ASSERT_EQUAL(gnut_proxy_client_accepted(c), 1);
	CU_ASSERT_EQUAL(log.calls, 0);
	CU_ASSERT_TRUE(g_str_has_prefix(
	    ok.request,
	    "GET /gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4 HTTP/1.1\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ok.request, "\r\nX-Node: 127.0.0.1:6348\r\n"));
	proxy_stop(&gone);
	proxy_stop(&ok);
	gnut_proxy_client_free(c);
}

/* A proxy the dial rule refuses (local addresses, not allowed here) is
 * skipped without a connect; every proxy failing ends in the fallback. */
static void test_all_fail_then_fallback(void)
{
	fake_proxy mute;
	proxy_start(&mute, NULL);
	fallback_log log = {0};
	gnut_proxy_client *c = gnut_proxy_client_new(TRUE, on_fallback, &log);
	gnut_push_proxies pp = {0};
	add_proxy(&pp, 0x7f000001, 0);
	add_proxy(&pp, 0x7f000001, mute.port);
	gnut_guid servent = {{9}};
	gnut_proxy_client_push(c, &pp, &servent, 11, 0x7f000001, 6348);
	progress p = {c, &log, 3};
	CU_ASSERT_TRUE(gnut_unit_run_until(settled, &p, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_proxy_client_failed(c), 2);
	CU_ASSERT_EQUAL(log.calls, 1);
	CU_ASSERT_EQUAL(log.servent.bytes[0], 9);
	CU_ASSERT_EQUAL(log.index, 11);
	proxy_stop(&mute);
	gnut_proxy_client_free(c);
	/* no proxy at all: the fallback at once; local addresses refused */
	log.calls = 0;
	c = gnut_proxy_client_new(FALSE, on_fallback, &log);
	pp.count = 0;
	gnut_proxy_client_push(c, &pp, &servent, 1, 0x7f000001, 6348);
	CU_ASSERT_EQUAL(log.calls, 1);
	add_proxy(&pp, 0x7f000001, 6346);
	gnut_proxy_client_push(c, &pp, &servent, 1, 0x7f000001, 6348);
	CU_ASSERT_EQUAL(log.calls, 2);
	CU_ASSERT_EQUAL(gnut_proxy_client_failed(c), 1);
	gnut_proxy_client_free(c);
}

static gboolean proxy_has_request(gpointer data)
{
	return ((fake_proxy *)data)->request != NULL;
}

/* Freed while a proxy holds its answer: the exchange ends, no fallback. */
static void test_free_under_way(void)
{
	fake_proxy slow;
	proxy_start(&slow, "");
	fallback_log log = {0};
	gnut_proxy_client *c = gnut_proxy_client_new(TRUE, on_fallback, &log);
	gnut_push_proxies pp = {0};
	add_proxy(&pp, 0x7f000001, slow.port);
	gnut_guid servent = {{1}};
	gnut_proxy_client_push(c, &pp, &servent, 1, 0x7f000001, 6348);
	CU_ASSERT_TRUE(gnut_unit_run_until(proxy_has_request, &slow, WAIT_MS));
	gnut_proxy_client_free(c);
	proxy_stop(&slow); /* returns once the client's close reached it */
	CU_ASSERT_EQUAL(log.calls, 0);
}

static CU_TestInfo tests[] = {
    {"a refusal, then a proxy that accepts", test_refused_then_accepted},
    {"every proxy fails: the fallback", test_all_fail_then_fallback},
    {"freed with an exchange under way", test_free_under_way},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("push-proxy-client", tests)
