/* test-udp-dispatch.c: datagrams to handlers by message type: a whole
 * message reaches its handler with its sender, a datagram cut at every
 * offset or with a payload length that disagrees is dropped as malformed,
 * and a type without a handler is counted as unhandled. */
#include "core/udp-dispatch.h"
#include "unit.h"

#include <string.h>

typedef struct {
	guint calls;
	gnut_msg_header h;
	guint8 payload[64];
	guint16 port;
} seen;

static void on_msg(const gnut_msg_header *h, const guint8 *payload, GInetSocketAddress *from,
                   gpointer user_data)
{
	seen *s = user_data;
	s->calls++;
	s->h = *h;
	memcpy(s->payload, payload, MIN(h->length, sizeof s->payload));
	s->port = g_inet_socket_address_get_port(from);
}

static GByteArray *message(guint8 type, const char *payload)
{
	GByteArray *b = g_byte_array_new();
	gnut_guid guid;
	memset(guid.bytes, 0x5A, sizeof guid.bytes);
	gnut_msg_append(b, &guid, type, 1, 0, (const guint8 *)payload, strlen(payload));
	return b;
}

static GInetSocketAddress *sender(void)
{
	g_autoptr(GInetAddress) ip = g_inet_address_new_from_string("127.0.0.9");
	return G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(ip, 6346));
}

static void test_dispatch_by_type(void)
{
	gnut_log_limit *log = gnut_log_limit_new(NULL);
	gnut_udp_dispatch *d = gnut_udp_dispatch_new(log);
	seen pings = {0}, pongs = {0};
	gnut_udp_dispatch_register(d, GNUT_MSG_PING, on_msg, &pings);
	gnut_udp_dispatch_register(d, GNUT_MSG_PONG, on_msg, &pongs);
	g_autoptr(GInetSocketAddress) from = sender();
	g_autoptr(GByteArray) ping = message(GNUT_MSG_PING, "");
	g_autoptr(GByteArray) pong = message(GNUT_MSG_PONG, "abcdefghijklmn");
	g_autoptr(GByteArray) push = message(GNUT_MSG_PUSH, "xyz");
	gnut_udp_dispatch_datagram(d, ping->data, ping->len, from);
	gnut_udp_dispatch_datagram(d, pong->data, pong->len, from);
	gnut_udp_dispatch_datagram(d, push->data, push->len, from);
	CU_ASSERT_EQUAL(pings.calls, 1);
	CU_ASSERT_EQUAL(pings.h.length, 0);
	CU_ASSERT_EQUAL(pings.port, 6346);
	CU_ASSERT_EQUAL(pongs.calls, 1);
	CU_ASSERT_EQUAL(pongs.h.length, 14);
	CU_ASSERT_EQUAL(pongs.h.type, GNUT_MSG_PONG);
	CU_ASSERT_EQUAL(pongs.h.guid.bytes[15], 0x5A);
	CU_ASSERT_EQUAL(memcmp(pongs.payload, "abcdefghijklmn", 14), 0);
	const gnut_udp_dispatch_stats *st = gnut_udp_dispatch_get_stats(d);
	CU_ASSERT_EQUAL(st->messages, 2);
	CU_ASSERT_EQUAL(st->unhandled, 1);
	CU_ASSERT_EQUAL(st->malformed, 0);
	gnut_udp_dispatch_free(d);
	gnut_log_limit_free(log);
}

/* Every cut of a pong and the pong with one byte too many are malformed. */
static void test_truncated_and_overlong(void)
{
	gnut_log_limit *log = gnut_log_limit_new(NULL);
	gnut_udp_dispatch *d = gnut_udp_dispatch_new(log);
	seen pongs = {0};
	gnut_udp_dispatch_register(d, GNUT_MSG_PONG, on_msg, &pongs);
	g_autoptr(GInetSocketAddress) from = sender();
	g_autoptr(GByteArray) pong = message(GNUT_MSG_PONG, "abcdefghijklmn");
	for (guint cut = 0; cut < pong->len; cut++)
		gnut_udp_dispatch_datagram(d, pong->data, cut, from);
	g_byte_array_append(pong, (const guint8 *)"!", 1);
	gnut_udp_dispatch_datagram(d, pong->data, pong->len, from);
	CU_ASSERT_EQUAL(pongs.calls, 0);
	CU_ASSERT_EQUAL(gnut_udp_dispatch_get_stats(d)->malformed, pong->len);
	gnut_udp_dispatch_free(d);
	gnut_log_limit_free(log);
}

static CU_TestInfo tests[] = {
    {"messages go to their type's handler", test_dispatch_by_type},
    {"cut or overlong datagrams are malformed", test_truncated_and_overlong},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("udp dispatch", tests)
