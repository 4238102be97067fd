/* test-udp.c: the UDP socket over real loopback sockets: datagrams both
 * ways with the sender's address, an oversize datagram dropped whole, the
 * per-sender receive throttle and the per-destination send throttle on a
 * manual clock, and the global byte budget. */
#include "gnut/net/udp.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000

typedef struct {
	GPtrArray *datagrams; /* GBytes */
	guint16 last_port;
	char last_ip[64];
} received;

static void on_recv(gnut_udp *udp, const guint8 *data, gsize len, GInetSocketAddress *from,
                    gpointer user_data)
{
	(void)udp;
	received *r = user_data;
	g_ptr_array_add(r->datagrams, g_bytes_new(data, len));
	r->last_port = g_inet_socket_address_get_port(from);
	g_autofree char *ip = g_inet_address_to_string(g_inet_socket_address_get_address(from));
	g_strlcpy(r->last_ip, ip, sizeof r->last_ip);
}

typedef struct {
	received *r;
	guint want;
} waiting;

static gboolean have(gpointer data)
{
	waiting *w = data;
	return w->r->datagrams->len >= w->want;
}

static gboolean all_read(gpointer data)
{
	const gnut_udp_stats *st = gnut_udp_get_stats(data);
	return st->received + st->throttled_in >= 6;
}

/* A plain socket bound to 127.0.0.1 (port 0), standing for a remote peer. */
static int peer_socket(guint16 *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static void send_to_port(int fd, guint16 port, const void *data, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CU_ASSERT_EQUAL(sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)len);
}

static GInetSocketAddress *loopback(guint16 port)
{
	g_autoptr(GInetAddress) ip = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	return G_INET_SOCKET_ADDRESS(g_inet_socket_address_new(ip, port));
}

static gnut_udp *new_udp(gnut_udp_config *c, received *r)
{
	r->datagrams = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	c->address = "127.0.0.1";
	g_autoptr(GError) error = NULL;
	gnut_udp *u = gnut_udp_new(c, on_recv, r, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_NOT_EQUAL(gnut_udp_get_port(u), 0);
	return u;
}

static void test_both_ways(void)
{
	gnut_udp_config c = {0};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 peer_port = 0;
	int fd = peer_socket(&peer_port);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	send_to_port(fd, gnut_udp_get_port(u), "hello", 5);
	waiting w = {&r, 1};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(have, &w, WAIT_MS));
	CU_ASSERT_EQUAL(g_bytes_get_size(r.datagrams->pdata[0]), 5);
	CU_ASSERT_EQUAL(memcmp(g_bytes_get_data(r.datagrams->pdata[0], NULL), "hello", 5), 0);
	CU_ASSERT_EQUAL(r.last_port, peer_port);
	CU_ASSERT_STRING_EQUAL(r.last_ip, "127.0.0.1");

	g_autoptr(GInetSocketAddress) to = loopback(peer_port);
	CU_ASSERT_TRUE(gnut_udp_send(u, to, (const guint8 *)"world!", 6));
	char buf[16];
	CU_ASSERT_EQUAL(recv(fd, buf, sizeof buf, 0), 6);
	CU_ASSERT_EQUAL(memcmp(buf, "world!", 6), 0);
	const gnut_udp_stats *st = gnut_udp_get_stats(u);
	CU_ASSERT_EQUAL(st->received, 1);
	CU_ASSERT_EQUAL(st->received_bytes, 5);
	CU_ASSERT_EQUAL(st->sent, 1);
	CU_ASSERT_EQUAL(st->sent_bytes, 6);
	close(fd);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
}

/* A datagram from an address we sent nothing to is unsolicited; a reply
 * from one we sent to within GNUT_UDP_SOLICITED_US is not; past that
 * window it is unsolicited again. */
static void test_unsolicited(void)
{
	gnut_clock *clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	gnut_udp_config c = {.clock = clock, .recv_burst = 100};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 peer_port = 0;
	int fd = peer_socket(&peer_port);
	send_to_port(fd, gnut_udp_get_port(u), "a", 1);
	waiting w = {&r, 1};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(have, &w, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->unsolicited, 1);
	g_autoptr(GInetSocketAddress) to = loopback(peer_port);
	CU_ASSERT_TRUE(gnut_udp_send(u, to, (const guint8 *)"b", 1));
	send_to_port(fd, gnut_udp_get_port(u), "c", 1);
	w.want = 2;
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(have, &w, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->unsolicited, 1);
	gnut_clock_manual_advance(clock, GNUT_UDP_SOLICITED_US);
	send_to_port(fd, gnut_udp_get_port(u), "d", 1);
	w.want = 3;
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(have, &w, WAIT_MS));
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->unsolicited, 2);
	close(fd);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
	gnut_clock_free(clock);
}

/* A datagram one byte over the cap is dropped; one at the cap arrives. */
static void test_oversize_dropped(void)
{
	gnut_udp_config c = {.max_datagram = 100};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 peer_port = 0;
	int fd = peer_socket(&peer_port);
	guint8 big[101] = {0};
	send_to_port(fd, gnut_udp_get_port(u), big, 101);
	send_to_port(fd, gnut_udp_get_port(u), big, 100);
	waiting w = {&r, 1};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(have, &w, WAIT_MS));
	CU_ASSERT_EQUAL(g_bytes_get_size(r.datagrams->pdata[0]), 100);
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->oversize, 1);
	close(fd);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
}

/* Burst 3 from one sender, then one per second of the manual clock. */
static void test_receive_throttle(void)
{
	gnut_clock *clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	gnut_udp_config c = {.recv_burst = 3, .recv_interval_ms = 1000, .clock = clock};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 peer_port = 0;
	int fd = peer_socket(&peer_port);
	for (int i = 0; i < 5; i++)
		send_to_port(fd, gnut_udp_get_port(u), "x", 1);
	send_to_port(fd, gnut_udp_get_port(u), "end", 3);
	/* all six are read: three delivered, three throttled */
	CU_ASSERT_TRUE(gnut_unit_run_until(all_read, u, WAIT_MS));
	CU_ASSERT_EQUAL(r.datagrams->len, 3);
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->throttled_in, 3);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC);
	send_to_port(fd, gnut_udp_get_port(u), "later", 5);
	waiting w = {&r, 4};
	CU_ASSERT_TRUE(gnut_unit_run_until(have, &w, WAIT_MS));
	close(fd);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
	gnut_clock_free(clock);
}

/* Per destination: burst 2; a second destination is not affected. */
static void test_send_throttle(void)
{
	gnut_clock *clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	gnut_udp_config c = {.send_burst = 2, .send_interval_ms = 1000, .clock = clock};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 p1 = 0;
	int fd1 = peer_socket(&p1);
	g_autoptr(GInetSocketAddress) to1 = loopback(p1);
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, (const guint8 *)"a", 1));
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, (const guint8 *)"b", 1));
	CU_ASSERT_FALSE(gnut_udp_send(u, to1, (const guint8 *)"c", 1));
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->throttled_out, 1);
	/* 127.0.0.2 is another address of loopback: its own bucket */
	g_autoptr(GInetAddress) ip2 = g_inet_address_new_from_string("127.0.0.2");
	g_autoptr(GSocketAddress) to2 = g_inet_socket_address_new(ip2, p1);
	CU_ASSERT_TRUE(gnut_udp_send(u, G_INET_SOCKET_ADDRESS(to2), (const guint8 *)"d", 1));
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC);
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, (const guint8 *)"e", 1));
	close(fd1);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
	gnut_clock_free(clock);
}

/* A budget of 1000 bytes a second (burst: max_datagram = 1000 bytes). */
static void test_global_budget(void)
{
	gnut_clock *clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	gnut_udp_config c = {
	    .send_rate = 1000, .max_datagram = 1000, .send_burst = 1000, .clock = clock};
	received r = {0};
	gnut_udp *u = new_udp(&c, &r);
	guint16 p1 = 0;
	int fd1 = peer_socket(&p1);
	g_autoptr(GInetSocketAddress) to1 = loopback(p1);
	guint8 payload[400] = {0};
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, payload, 400));
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, payload, 400));
	CU_ASSERT_FALSE(gnut_udp_send(u, to1, payload, 400));
	CU_ASSERT_EQUAL(gnut_udp_get_stats(u)->over_budget, 1);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 2);
	CU_ASSERT_TRUE(gnut_udp_send(u, to1, payload, 400));
	close(fd1);
	gnut_udp_free(u);
	g_ptr_array_unref(r.datagrams);
	gnut_clock_free(clock);
}

static CU_TestInfo tests[] = {
    {"unsolicited datagrams counted", test_unsolicited},
    {"datagrams both ways, with the sender's address", test_both_ways},
    {"an oversize datagram is dropped whole", test_oversize_dropped},
    {"a sender over its rate is dropped", test_receive_throttle},
    {"a destination gets at most its burst", test_send_throttle},
    {"the global byte budget", test_global_budget},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("udp socket", tests)
