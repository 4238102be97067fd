/* test-node.c: an established link over real loopback sockets: framing of
 * messages split across reads, the payload cap, the opening messages,
 * keep-alive under a manual clock, Bye both ways, deflate against plain
 * zlib on the other end, and two nodes made by two handshakes. Waits
 * iterate the main context until a condition holds; a generous real-time
 * guard only turns a hang into a failure, no assertion depends on timing. */
#include "gnut/proto/bye.h"
#include "gnut/core/links/handshake.h"
#include "gnut/net/listener.h"
#include "gnut/core/links/node.h"
#include "gnut/proto/vendor-msg.h"
#include "unit.h"

#include <string.h>
#include <zlib.h>

#define GUARD_MS 20000
#define SEC      G_USEC_PER_SEC

/* What a node told its owner. */
typedef struct {
	gnut_node *node;
	GPtrArray *msgs; /* GBytes: 23-byte header + payload, as received */
	guint closed_calls;
	char *reason;
	GPtrArray *pinged; /* gnut_guid copies from ping_sent */
	gboolean unref_on_message;
	gboolean bye_on_message;
} owner;

/* The other end, spoken by hand; optionally through zlib both ways. */
typedef struct {
	GSocket *sock;
	GSource *src;
	GByteArray *in; /* plain input (inflated when zlib is on) */
	gboolean eof;
	gboolean zlib;
	z_stream zin;
	z_stream zout;
} raw_peer;

static gboolean run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, GUARD_MS);
}

static void drain_loop(void)
{
	for (int i = 0; i < 50; i++)
		while (g_main_context_iteration(NULL, FALSE))
			;
}

static void on_message(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
                       gpointer data)
{
	owner *o = data;
	GByteArray *m = g_byte_array_new();
	gnut_msg_append(m, &h->guid, h->type, h->ttl, h->hops, payload, h->length);
	g_ptr_array_add(o->msgs, g_byte_array_free_to_bytes(m));
	if (o->bye_on_message)
		gnut_node_bye(node, 200, "Seen enough");
	if (o->unref_on_message)
		g_clear_pointer(&o->node, gnut_node_unref);
}

static void on_closed(gnut_node *node, const char *reason, gpointer data)
{
	owner *o = data;
	o->closed_calls++;
	g_free(o->reason);
	o->reason = g_strdup(reason);
}

static void on_ping_sent(gnut_node *node, const gnut_guid *guid, gpointer data)
{
	owner *o = data;
	g_ptr_array_add(o->pinged, g_memdup2(guid, sizeof *guid));
}

static const gnut_node_handlers handlers = {on_message, on_closed, on_ping_sent};

static void owner_init(owner *o)
{
	memset(o, 0, sizeof *o);
	o->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	o->pinged = g_ptr_array_new_with_free_func(g_free);
}

static void owner_clear(owner *o)
{
	g_clear_pointer(&o->node, gnut_node_unref);
	g_ptr_array_unref(o->msgs);
	g_ptr_array_unref(o->pinged);
	g_free(o->reason);
}

static gboolean owner_closed(gpointer data)
{
	return ((owner *)data)->closed_calls > 0;
}

typedef struct {
	owner *o;
	guint n;
} msg_wait;

static gboolean has_msgs(gpointer data)
{
	msg_wait *w = data;
	return w->o->msgs->len >= w->n;
}

/* Header fields of a received message. */
static gnut_msg_header msg_at(owner *o, guint i, const guint8 **payload)
{
	gnut_msg_header h = {0};
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(g_ptr_array_index(o->msgs, i), &len);
	gnut_msg_header_decode(d, len, GNUT_MSG_MAX_PAYLOAD, &h);
	if (payload != NULL)
		*payload = d + GNUT_MSG_HEADER_LEN;
	return h;
}

/* ---- the raw end ---- */

static void raw_take(raw_peer *p, const guint8 *buf, gsize n)
{
	if (!p->zlib) {
		g_byte_array_append(p->in, buf, (guint)n);
		return;
	}
	p->zin.next_in = (Bytef *)buf;
	p->zin.avail_in = (uInt)n;
	while (p->zin.avail_in > 0) {
		guint8 out[8192];
		p->zin.next_out = out;
		p->zin.avail_out = sizeof out;
		int rc = inflate(&p->zin, Z_SYNC_FLUSH);
		g_byte_array_append(p->in, out, (guint)(sizeof out - p->zin.avail_out));
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
	}
}

static gboolean raw_on_input(GSocket *sock, GIOCondition cond, gpointer data)
{
	raw_peer *p = data;
	guint8 buf[8192];
	g_autoptr(GError) err = NULL;
	gssize n = g_socket_receive(sock, (gchar *)buf, sizeof buf, NULL, &err);
	if (n > 0) {
		raw_take(p, buf, (gsize)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	p->eof = TRUE;
	g_clear_pointer(&p->src, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void raw_send_plain(raw_peer *p, const void *data, gsize len)
{
	gsize off = 0;
	while (off < len) {
		g_autoptr(GError) err = NULL;
		gssize n = g_socket_send(p->sock, (const gchar *)data + off, len - off, NULL, &err);
		if (n < 0 && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return;
		if (n <= 0) {
			g_main_context_iteration(NULL, FALSE);
			continue;
		}
		off += (gsize)n;
	}
}

/* Sends bytes, through zlib (sync-flushed, as gtk-gnutella does) when on. */
static void raw_send(raw_peer *p, const void *data, gsize len)
{
	if (!p->zlib) {
		raw_send_plain(p, data, len);
		return;
	}
	g_autoptr(GByteArray) z = g_byte_array_new();
	p->zout.next_in = (Bytef *)data;
	p->zout.avail_in = (uInt)len;
	do {
		guint8 out[8192];
		p->zout.next_out = out;
		p->zout.avail_out = sizeof out;
		deflate(&p->zout, Z_SYNC_FLUSH);
		g_byte_array_append(z, out, (guint)(sizeof out - p->zout.avail_out));
	} while (p->zout.avail_out == 0);
	raw_send_plain(p, z->data, z->len);
}

static void raw_send_msg(raw_peer *p, guint8 type, guint8 ttl, guint8 hops, const void *payload,
                         gsize len)
{
	gnut_guid g;
	gnut_guid_generate(&g);
	g_autoptr(GByteArray) m = g_byte_array_new();
	gnut_msg_append(m, &g, type, ttl, hops, payload, len);
	raw_send(p, m->data, m->len);
}

static void raw_close(raw_peer *p)
{
	if (p->src != NULL) {
		g_source_destroy(p->src);
		g_clear_pointer(&p->src, g_source_unref);
	}
	g_socket_close(p->sock, NULL);
	g_clear_object(&p->sock);
	g_byte_array_unref(p->in);
	if (p->zlib) {
		inflateEnd(&p->zin);
		deflateEnd(&p->zout);
	}
}

/* A connected TCP pair on 127.0.0.1: a gnut_conn and a raw socket. */
static gnut_conn *tcp_pair(raw_peer *p, gboolean zlib)
{
	memset(p, 0, sizeof *p);
	g_autoptr(GSocket) lsock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_socket_bind(lsock, any, TRUE, NULL);
	g_socket_listen(lsock, NULL);
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(lsock, NULL);
	p->sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	CU_ASSERT_TRUE_FATAL(g_socket_connect(p->sock, bound, NULL, NULL));
	g_autoptr(GSocket) accepted = g_socket_accept(lsock, NULL, NULL);
	g_autoptr(GSocketConnection) sc = g_socket_connection_factory_create_connection(accepted);
	p->in = g_byte_array_new();
	p->zlib = zlib;
	if (zlib) {
		inflateInit(&p->zin);
		deflateInit(&p->zout, Z_DEFAULT_COMPRESSION);
	}
	g_socket_set_blocking(p->sock, FALSE);
	p->src = g_socket_create_source(p->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(p->src, G_SOURCE_FUNC(raw_on_input), p, NULL);
	g_source_attach(p->src, NULL);
	return gnut_conn_new(sc);
}

typedef struct {
	raw_peer *p;
	gnut_msg_header h;
	GBytes *payload;
} raw_msg;

static gboolean raw_has_msg(gpointer data)
{
	raw_msg *m = data;
	gnut_msg_header h;
	if (gnut_msg_header_decode(m->p->in->data, m->p->in->len, GNUT_MSG_MAX_PAYLOAD, &h) !=
	    GNUT_PROTO_OK)
		return m->p->eof;
	return m->p->eof || m->p->in->len >= GNUT_MSG_HEADER_LEN + h.length;
}

/* Waits for the next whole message from the node; FALSE at end of stream. */
static gboolean raw_next(raw_peer *p, raw_msg *m)
{
	memset(m, 0, sizeof *m);
	m->p = p;
	if (!run_until(raw_has_msg, m))
		return FALSE;
	if (gnut_msg_header_decode(p->in->data, p->in->len, GNUT_MSG_MAX_PAYLOAD, &m->h) !=
	        GNUT_PROTO_OK ||
	    p->in->len < GNUT_MSG_HEADER_LEN + m->h.length)
		return FALSE;
	m->payload = g_bytes_new(p->in->data + GNUT_MSG_HEADER_LEN, m->h.length);
	g_byte_array_remove_range(p->in, 0, GNUT_MSG_HEADER_LEN + m->h.length);
	return TRUE;
}

static gboolean raw_eof(gpointer data)
{
	return ((raw_peer *)data)->eof;
}

static void peer_defaults(gnut_handshake_peer *peer, gboolean ultrapeer)
{
	memset(peer, 0, sizeof *peer);
	peer->ultrapeer = ultrapeer;
	peer->has_ultrapeer = TRUE;
	peer->bye_packet = TRUE;
	peer->vendor_messages = TRUE;
	peer->user_agent = (char *)"Raw/1.0";
}

/* A node on a fresh pair, started; the raw end has read its opening
 * messages. */
static void start_node(owner *o, raw_peer *p, const gnut_handshake_peer *peer,
                       gnut_node_config *cfg, gboolean zlib)
{
	owner_init(o);
	gnut_conn *conn = tcp_pair(p, zlib);
	if (zlib) {
		gnut_conn_enable_inflate(conn);
		gnut_conn_enable_deflate(conn);
	}
	o->node = gnut_node_new(conn, peer, cfg, &handlers, o);
	gnut_node_start(o->node);
}

/* Reads the opening vendor message and ping; returns the ping's GUID. */
static void expect_opening(raw_peer *p, owner *o)
{
	raw_msg ms, ping;
	CU_ASSERT_TRUE_FATAL(raw_next(p, &ms));
	CU_ASSERT_EQUAL(ms.h.type, GNUT_MSG_VENDOR);
	CU_ASSERT_EQUAL(ms.h.ttl, 1);
	CU_ASSERT_EQUAL(ms.h.hops, 0);
	CU_ASSERT_TRUE(gnut_guid_is_zero(&ms.h.guid));
	gnut_vendor_msg vm;
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(ms.payload, &len);
	CU_ASSERT_EQUAL(gnut_vendor_msg_decode(d, len, &vm), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_vendor_msg_is_supported_list(&vm));
	gnut_vmsg_supported sup;
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(vm.data.data, vm.data.len, &sup), GNUT_PROTO_OK);
	/* Hops Flow (BEAR/4 version 1), the push proxy request and
	 * acknowledgement (LIME/21 and LIME/22, version 2) */
	CU_ASSERT_EQUAL_FATAL(sup.count, 3);
	static const struct {
		const char *vendor;
		guint16 selector, version;
	} want[] = {{"BEAR", 4, 1}, {"LIME", 21, 2}, {"LIME", 22, 2}};
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		gnut_vmsg_entry e;
		CU_ASSERT_TRUE(gnut_vmsg_supported_get(&sup, i, &e));
		CU_ASSERT_EQUAL(memcmp(e.vendor, want[i].vendor, 4), 0);
		CU_ASSERT_EQUAL(e.selector, want[i].selector);
		CU_ASSERT_EQUAL(e.version, want[i].version);
	}
	CU_ASSERT_TRUE_FATAL(raw_next(p, &ping));
	CU_ASSERT_EQUAL(ping.h.type, GNUT_MSG_PING);
	CU_ASSERT_EQUAL(ping.h.ttl, 1);
	CU_ASSERT_EQUAL(ping.h.length, 0);
	CU_ASSERT_EQUAL_FATAL(o->pinged->len, 1);
	CU_ASSERT_EQUAL(memcmp(g_ptr_array_index(o->pinged, 0), &ping.h.guid, GNUT_GUID_LEN), 0);
	g_bytes_unref(ms.payload);
	g_bytes_unref(ping.payload);
}

/* ---- tests ---- */

static void test_opening_and_accessors(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	peer.listen_ip = (char *)"192.0.2.9";
	peer.listen_port = 6346;
	gnut_node_config cfg = {.id = 42};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	CU_ASSERT_EQUAL(gnut_node_get_id(o.node), 42);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_mode(o.node), "ultrapeer");
	CU_ASSERT_TRUE(gnut_node_is_ultrapeer(o.node));
	CU_ASSERT_STRING_EQUAL(gnut_node_get_user_agent(o.node), "Raw/1.0");
	CU_ASSERT_STRING_EQUAL(gnut_node_get_host(o.node), "192.0.2.9");
	CU_ASSERT_EQUAL(gnut_node_get_port(o.node), 6346);
	CU_ASSERT_TRUE(g_str_has_prefix(gnut_node_get_address(o.node), "127.0.0.1:"));
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_EQUAL(st.msgs_out, 2);
	CU_ASSERT_EQUAL(st.keepalives, 1);
	/* Messages Supported: vendor head 8, count 2, three entries of 8 (BEAR/4,
	 * LIME/21, LIME/22); the ping: none */
	CU_ASSERT_EQUAL(st.bytes_out, 2 * GNUT_MSG_HEADER_LEN + 10 + 3 * GNUT_VMSG_ENTRY_LEN);
	CU_ASSERT_FALSE(gnut_node_is_closing(o.node));
	owner_clear(&o);
	raw_close(&p);

	/* A leaf without vendor messages: no Messages Supported, socket host. */
	peer_defaults(&peer, FALSE);
	peer.vendor_messages = FALSE;
	start_node(&o, &p, &peer, &cfg, FALSE);
	raw_msg m;
	CU_ASSERT_TRUE_FATAL(raw_next(&p, &m));
	CU_ASSERT_EQUAL(m.h.type, GNUT_MSG_PING);
	g_bytes_unref(m.payload);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_mode(o.node), "leaf");
	CU_ASSERT_STRING_EQUAL(gnut_node_get_host(o.node), "127.0.0.1");
	CU_ASSERT_NOT_EQUAL(gnut_node_get_port(o.node), 0);
	owner_clear(&o);
	raw_close(&p);
}

static void test_framing_split_reads(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 1};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	/* Three messages, written one byte at a time. */
	g_autoptr(GByteArray) stream = g_byte_array_new();
	gnut_guid g;
	gnut_guid_generate(&g);
	static const guint8 query[] = {0x80, 0x00, 'a', 'b', 'c', 0};
	gnut_msg_append(stream, &g, GNUT_MSG_QUERY, 3, 0, query, sizeof query);
	gnut_msg_append(stream, &g, GNUT_MSG_PING, 1, 0, NULL, 0);
	guint8 pong[14] = {0xc6, 0x18, 127, 0, 0, 1};
	gnut_msg_append(stream, &g, GNUT_MSG_PONG, 1, 0, pong, sizeof pong);
	for (guint i = 0; i < stream->len; i++) {
		raw_send(&p, stream->data + i, 1);
		drain_loop();
	}
	msg_wait w = {&o, 3};
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &w));
	const guint8 *payload = NULL;
	gnut_msg_header h = msg_at(&o, 0, &payload);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_QUERY);
	CU_ASSERT_EQUAL(h.ttl, 3);
	CU_ASSERT_EQUAL(h.length, sizeof query);
	CU_ASSERT_EQUAL(memcmp(payload, query, sizeof query), 0);
	CU_ASSERT_EQUAL(memcmp(&h.guid, &g, sizeof g), 0);
	CU_ASSERT_EQUAL(msg_at(&o, 1, NULL).type, GNUT_MSG_PING);
	h = msg_at(&o, 2, &payload);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_PONG);
	CU_ASSERT_EQUAL(memcmp(payload, pong, sizeof pong), 0);

	/* A payload at the cap exactly, in one burst with a small one. */
	g_autofree guint8 *big = g_malloc0(GNUT_MSG_MAX_PAYLOAD);
	big[GNUT_MSG_MAX_PAYLOAD - 1] = 0x5a;
	g_byte_array_set_size(stream, 0);
	gnut_msg_append(stream, &g, GNUT_MSG_QUERY_HIT, 2, 1, big, GNUT_MSG_MAX_PAYLOAD);
	gnut_msg_append(stream, &g, GNUT_MSG_PUSH, 2, 1, big, 26);
	raw_send(&p, stream->data, stream->len);
	w.n = 5;
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &w));
	h = msg_at(&o, 3, &payload);
	CU_ASSERT_EQUAL(h.length, GNUT_MSG_MAX_PAYLOAD);
	CU_ASSERT_EQUAL(payload[GNUT_MSG_MAX_PAYLOAD - 1], 0x5a);
	CU_ASSERT_EQUAL(msg_at(&o, 4, NULL).type, GNUT_MSG_PUSH);
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_EQUAL(st.msgs_in, 5);
	CU_ASSERT_EQUAL(st.bytes_in, 5 * GNUT_MSG_HEADER_LEN + sizeof query + sizeof pong +
	                                 GNUT_MSG_MAX_PAYLOAD + 26);
	CU_ASSERT_FALSE(gnut_node_is_closing(o.node));
	owner_clear(&o);
	raw_close(&p);
}

static void test_oversize_drops_link(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 2};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	guint8 head[GNUT_MSG_HEADER_LEN] = {0};
	head[16] = GNUT_MSG_QUERY;
	head[17] = 3;
	gnut_poke_le32(head + 19, GNUT_MSG_MAX_PAYLOAD + 1);
	raw_send(&p, head, sizeof head);
	raw_msg bye;
	CU_ASSERT_TRUE_FATAL(raw_next(&p, &bye));
	CU_ASSERT_EQUAL(bye.h.type, GNUT_MSG_BYE);
	CU_ASSERT_EQUAL(bye.h.ttl, 1);
	gnut_bye b;
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(bye.payload, &len);
	CU_ASSERT_EQUAL(gnut_bye_decode(d, len, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.code, 400);
	CU_ASSERT_TRUE(b.nul_terminated);
	g_bytes_unref(bye.payload);
	CU_ASSERT_TRUE(run_until(raw_eof, &p));
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_EQUAL(o.msgs->len, 0);
	CU_ASSERT_STRING_EQUAL(o.reason, "we said bye: 400 Message too large");
	CU_ASSERT_TRUE(gnut_node_is_closed(o.node));
	/* Nothing more goes out on a closed link. */
	gnut_guid g = {{0}};
	CU_ASSERT_FALSE(
	    gnut_node_send_msg(o.node, &g, GNUT_MSG_PING, 1, 0, NULL, 0, GNUT_PRIO_PING));
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_EQUAL(st.msgs_dropped, 1);
	owner_clear(&o);
	raw_close(&p);
}

static void test_keepalive(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(5 * SEC);
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 3, .clock = clock, .max_unanswered = 2, .dead_s = 1000};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	/* 19 s of silence: nothing; 20 s: a TTL-1 ping. */
	gnut_clock_manual_advance(clock, 19 * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	drain_loop();
	CU_ASSERT_EQUAL(p.in->len, 0);
	gnut_clock_manual_advance(clock, 1 * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	raw_msg m;
	CU_ASSERT_TRUE_FATAL(raw_next(&p, &m));
	CU_ASSERT_EQUAL(m.h.type, GNUT_MSG_PING);
	CU_ASSERT_EQUAL(m.h.ttl, 1);
	g_bytes_unref(m.payload);
	CU_ASSERT_EQUAL(o.pinged->len, 2);
	/* A pong answers them: the count starts again. */
	guint8 pong[14] = {0};
	raw_send_msg(&p, GNUT_MSG_PONG, 1, 0, pong, sizeof pong);
	msg_wait w = {&o, 1};
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &w));
	gnut_clock_manual_advance(clock, 20 * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	gnut_clock_manual_advance(clock, 20 * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	drain_loop();
	CU_ASSERT_FALSE(gnut_node_is_closing(o.node));
	CU_ASSERT_EQUAL(o.pinged->len, 4);
	/* Two unanswered: the next silence ends the link with Bye 406. */
	gnut_clock_manual_advance(clock, 20 * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	CU_ASSERT_TRUE(gnut_node_is_closing(o.node));
	guint16 code = 0;
	for (;;) {
		CU_ASSERT_TRUE_FATAL(raw_next(&p, &m));
		guint8 type = m.h.type;
		if (type == GNUT_MSG_BYE)
			code = gnut_peek_le16(g_bytes_get_data(m.payload, NULL));
		g_bytes_unref(m.payload);
		if (type == GNUT_MSG_BYE)
			break;
	}
	CU_ASSERT_EQUAL(code, 406);
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_STRING_EQUAL(o.reason, "we said bye: 406 No reply to alive pings");
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_EQUAL(st.keepalives, 4);
	owner_clear(&o);
	raw_close(&p);
}

static void test_dead_link(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	peer.bye_packet = FALSE;
	gnut_node_config cfg = {.id = 4, .clock = clock};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	for (int t = 0; t < 59; t++) {
		gnut_clock_manual_advance(clock, SEC);
		gnut_node_tick(o.node, gnut_clock_now_us(clock));
	}
	CU_ASSERT_FALSE(gnut_node_is_closing(o.node));
	CU_ASSERT_EQUAL(o.pinged->len, 3); /* the first, at 20 s, at 40 s */
	gnut_clock_manual_advance(clock, SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	/* No Bye-Packet: closed at once, no Bye on the wire. */
	CU_ASSERT_TRUE(gnut_node_is_closed(o.node));
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_STRING_EQUAL(o.reason, "we said bye: 405 Activity timeout");
	CU_ASSERT_TRUE(run_until(raw_eof, &p));
	owner_clear(&o);
	raw_close(&p);
}

static void test_bye_received(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, FALSE);
	gnut_node_config cfg = {.id = 5};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	g_autoptr(GByteArray) bye = g_byte_array_new();
	gnut_bye_encode(bye, 201, "Manual close\r\nServer: Raw/1.0\r\n\r\n");
	/* A relayed Bye is dropped; a real one closes; what follows is ignored. */
	raw_send_msg(&p, GNUT_MSG_BYE, 1, 1, bye->data, bye->len);
	raw_send_msg(&p, GNUT_MSG_BYE, 1, 0, bye->data, bye->len);
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_STRING_EQUAL(o.reason, "peer said bye: 201 Manual close");
	CU_ASSERT_EQUAL(gnut_node_get_bye_code(o.node), 201);
	CU_ASSERT_EQUAL(o.msgs->len, 0);
	CU_ASSERT_EQUAL(o.closed_calls, 1);
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_EQUAL(st.msgs_in, 2);
	CU_ASSERT_EQUAL(st.msgs_dropped, 1);
	/* Not answered with a Bye of ours. */
	CU_ASSERT_TRUE(run_until(raw_eof, &p));
	CU_ASSERT_EQUAL(p.in->len, 0);
	drain_loop();
	CU_ASSERT_EQUAL(o.closed_calls, 1);
	owner_clear(&o);
	raw_close(&p);
}

static void test_unref_and_bye_in_callback(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 6};
	owner o;
	raw_peer p;
	/* Bye from inside the message callback: later messages are not read. */
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	o.bye_on_message = TRUE;
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_EQUAL(o.msgs->len, 1);
	CU_ASSERT_STRING_EQUAL(o.reason, "we said bye: 200 Seen enough");
	owner_clear(&o);
	raw_close(&p);

	/* The owner's last reference dropped inside the callback. */
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	o.unref_on_message = TRUE;
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	msg_wait w = {&o, 1};
	CU_ASSERT_TRUE(run_until(has_msgs, &w));
	CU_ASSERT_PTR_NULL(o.node);
	CU_ASSERT_TRUE(run_until(raw_eof, &p));
	CU_ASSERT_EQUAL(o.msgs->len, 1);
	CU_ASSERT_EQUAL(o.closed_calls, 0);
	owner_clear(&o);
	raw_close(&p);
}

static void test_bye_wait_is_bounded(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 7, .clock = clock};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	gnut_node_bye(o.node, 200, "Shutting down");
	CU_ASSERT_TRUE(gnut_node_is_closing(o.node));
	CU_ASSERT_FALSE(gnut_node_is_closed(o.node));
	gnut_node_tick(o.node, gnut_clock_now_us(clock) + 4 * SEC);
	CU_ASSERT_FALSE(gnut_node_is_closed(o.node));
	gnut_node_tick(o.node, gnut_clock_now_us(clock) + 5 * SEC);
	CU_ASSERT_TRUE(gnut_node_is_closed(o.node));
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_STRING_EQUAL(o.reason, "we said bye: 200 Shutting down");
	owner_clear(&o);
	raw_close(&p);
}

/* A peer that stops reading: the queue sheds what it can, and the link is
 * closed once the queue has stayed nearly full for GNUT_NODE_BACKED_UP_S. */
static void test_backed_up_link_closed(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_handshake_peer peer;
	peer_defaults(&peer, TRUE);
	gnut_node_config cfg = {.id = 9, .clock = clock, .output_cap = 64 * 1024};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, FALSE);
	expect_opening(&p, &o);
	CU_ASSERT_FALSE(gnut_node_output_backed_up(o.node));
	g_source_destroy(p.src); /* the peer stops reading */
	g_clear_pointer(&p.src, g_source_unref);
	guint8 query[1000] = {0x80, 0x00};
	gnut_guid guid;
	gnut_guid_generate(&guid);
	gnut_node_stats st = {0};
	for (guint i = 0; i < 200000 && st.msgs_dropped == 0; i++) {
		gnut_node_send_msg(o.node, &guid, GNUT_MSG_QUERY, 3, 0, query, sizeof query,
		                   GNUT_PRIO_QUERY);
		if (i % 32 == 0)
			drain_loop();
		gnut_node_get_stats(o.node, &st);
	}
	CU_ASSERT_TRUE_FATAL(st.msgs_dropped > 0);
	CU_ASSERT_TRUE(gnut_node_output_backed_up(o.node));
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	gnut_clock_manual_advance(clock, (GNUT_NODE_BACKED_UP_S - 1) * SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	CU_ASSERT_FALSE(gnut_node_is_closed(o.node));
	gnut_clock_manual_advance(clock, SEC);
	gnut_node_tick(o.node, gnut_clock_now_us(clock));
	CU_ASSERT_TRUE(gnut_node_is_closed(o.node));
	CU_ASSERT_TRUE(run_until(owner_closed, &o));
	CU_ASSERT_STRING_EQUAL(o.reason, "output queue stayed full: the peer does not read");
	owner_clear(&o);
	raw_close(&p);
}

/* The other end is plain zlib, as on a gtk-gnutella link. */
static void test_deflate_against_zlib(void)
{
	gnut_handshake_peer peer;
	peer_defaults(&peer, FALSE);
	gnut_node_config cfg = {.id = 8};
	owner o;
	raw_peer p;
	start_node(&o, &p, &peer, &cfg, TRUE);
	expect_opening(&p, &o);
	g_autofree guint8 *text = g_malloc(20000);
	for (guint i = 0; i < 20000; i++)
		text[i] = (guint8)("gnutella "[i % 9]);
	raw_send_msg(&p, GNUT_MSG_QUERY, 2, 0, text, 20000);
	raw_send_msg(&p, GNUT_MSG_PING, 1, 0, NULL, 0);
	msg_wait w = {&o, 2};
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &w));
	const guint8 *payload = NULL;
	gnut_msg_header h = msg_at(&o, 0, &payload);
	CU_ASSERT_EQUAL(h.length, 20000);
	CU_ASSERT_EQUAL(memcmp(payload, text, 20000), 0);
	/* And back: one shared GBytes, compressed on the wire. */
	g_autoptr(GByteArray) m = g_byte_array_new();
	gnut_msg_append(m, &h.guid, GNUT_MSG_QUERY_HIT, 3, 0, text, 20000);
	g_autoptr(GBytes) hit = g_byte_array_free_to_bytes(g_steal_pointer(&m));
	CU_ASSERT_TRUE(gnut_node_send(o.node, hit, GNUT_PRIO_HIT));
	raw_msg back;
	CU_ASSERT_TRUE_FATAL(raw_next(&p, &back));
	CU_ASSERT_EQUAL(back.h.type, GNUT_MSG_QUERY_HIT);
	CU_ASSERT_TRUE(g_bytes_get_size(back.payload) == 20000 &&
	               memcmp(g_bytes_get_data(back.payload, NULL), text, 20000) == 0);
	g_bytes_unref(back.payload);
	gnut_node_stats st;
	gnut_node_get_stats(o.node, &st);
	CU_ASSERT_TRUE(st.bytes_out < 2000);
	CU_ASSERT_TRUE(st.bytes_in < 2000);
	owner_clear(&o);
	raw_close(&p);
}

/* ---- two nodes from two handshakes ---- */

typedef struct {
	gnut_listener *listener;
	gnut_handshake_config config;
	gnut_handshake *hs[2];
	owner *o[2]; /* [0] incoming side, [1] outgoing side */
	guint done;
} pair;

static void on_hs_done(gnut_handshake *hs, const gnut_handshake_result *r, gpointer data)
{
	pair *pr = data;
	guint side = gnut_handshake_get_direction(hs) == GNUT_HANDSHAKE_INCOMING ? 0 : 1;
	pr->done++;
	CU_ASSERT_TRUE_FATAL(r->ok);
	gnut_node_config cfg = {.id = 100 + side};
	owner *o = pr->o[side];
	o->node = gnut_node_new(gnut_handshake_steal_conn(hs), r->peer, &cfg, &handlers, o);
	gnut_node_start(o->node);
}

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	pair *pr = data;
	pr->hs[0] = gnut_handshake_new(conn, GNUT_HANDSHAKE_INCOMING, &pr->config, on_hs_done, pr);
}

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	pair *pr = data;
	gnut_conn *conn = gnut_conn_connect_finish(res, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	pr->hs[1] = gnut_handshake_new(conn, GNUT_HANDSHAKE_OUTGOING, &pr->config, on_hs_done, pr);
}

static gboolean pair_done(gpointer data)
{
	return ((pair *)data)->done == 2;
}

static void test_two_nodes_over_handshake(void)
{
	owner a, b;
	owner_init(&a);
	owner_init(&b);
	pair pr = {.o = {&a, &b}};
	gnut_handshake_config_init(&pr.config);
	pr.config.ultrapeer = TRUE;
	gnut_listener_config lc = {.address = "127.0.0.1"};
	pr.listener = gnut_listener_new(&lc, on_accept, &pr, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr.listener);
	g_autofree char *target =
	    g_strdup_printf("127.0.0.1:%u", gnut_listener_get_port(pr.listener));
	gnut_conn_connect_async(target, 0, 5, NULL, on_connected, &pr);
	CU_ASSERT_TRUE_FATAL(run_until(pair_done, &pr));
	/* Each side gets the other's opening vendor message and ping. */
	msg_wait wa = {&a, 2}, wb = {&b, 2};
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &wa));
	CU_ASSERT_TRUE_FATAL(run_until(has_msgs, &wb));
	CU_ASSERT_EQUAL(msg_at(&a, 0, NULL).type, GNUT_MSG_VENDOR);
	CU_ASSERT_EQUAL(msg_at(&b, 1, NULL).type, GNUT_MSG_PING);
	gnut_msg_header ping = msg_at(&a, 1, NULL);
	CU_ASSERT_EQUAL(memcmp(&ping.guid, g_ptr_array_index(b.pinged, 0), GNUT_GUID_LEN), 0);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_mode(a.node), "ultrapeer");
	CU_ASSERT_TRUE(g_str_has_prefix(gnut_node_get_user_agent(a.node), "gnutd/"));
	CU_ASSERT_TRUE(gnut_node_get_peer(a.node)->deflate_in);
	/* A Bye from b reaches a, which closes without answering. */
	gnut_node_bye(b.node, 200, "Shutting down");
	CU_ASSERT_TRUE(run_until(owner_closed, &a));
	CU_ASSERT_TRUE(run_until(owner_closed, &b));
	CU_ASSERT_STRING_EQUAL(a.reason, "peer said bye: 200 Shutting down");
	CU_ASSERT_EQUAL(gnut_node_get_bye_code(a.node), 200);
	CU_ASSERT_STRING_EQUAL(b.reason, "we said bye: 200 Shutting down");
	gnut_handshake_free(pr.hs[0]);
	gnut_handshake_free(pr.hs[1]);
	owner_clear(&a);
	owner_clear(&b);
	gnut_listener_free(pr.listener);
	drain_loop();
}

static CU_TestInfo tests[] = {
    {"opening messages and accessors", test_opening_and_accessors},
    {"framing across split reads, payload at the cap", test_framing_split_reads},
    {"oversize length: Bye 400 and the link dropped", test_oversize_drops_link},
    {"keep-alive pings and Bye 406 (manual clock)", test_keepalive},
    {"no traffic for 60 s drops the link", test_dead_link},
    {"Bye received closes, relayed Bye dropped", test_bye_received},
    {"Bye and unref from inside the callback", test_unref_and_bye_in_callback},
    {"waiting for a Bye to flush is bounded", test_bye_wait_is_bounded},
    {"backed-up link closed", test_backed_up_link_closed},
    {"deflate both ways against plain zlib", test_deflate_against_zlib},
    {"two nodes made by two handshakes", test_two_nodes_over_handshake},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("node", tests)
