/* test-handshake.c: the Gnutella 0.6 handshake over real loopback sockets
 * (127.0.0.1, ephemeral ports): two of our handshakes talking to each other,
 * a raw client replaying the reference servent's CONNECT block, refusals,
 * deadlines driven by a manual clock, an oversize header block, and the
 * Upgrade: TLS/1.0 path both ways; plus the pure header-set functions. Waits iterate the main
 * context until a condition holds; a generous real-time guard only turns a hang into a failure, no
 * assertion depends on timing. */
#include "config.h"

#include "gnut/core/links/handshake.h"
#include "gnut/proto/handshake-msg.h"
#include "gnut/net/listener.h"
#include "gnut/net/tls.h"
#include "unit.h"

#include <string.h>

#define GUARD_MS 20000

/* The CONNECT block gtk-gnutella 1.2.3 sent as an ultrapeer (from
 * /work/shared/interop/handshakes.txt, stream 0). */
static const char gtkg_connect[] = "GNUTELLA CONNECT/0.6\r\n"
                                   "Node: 127.0.0.1:36502\r\n"
                                   "Remote-IP: 127.0.0.1\r\n"
                                   "User-Agent: gtk-gnutella/1.2.3 (2024-03-03; Topless; "
                                   "Linux x86_64)\r\n"
                                   "Pong-Caching: 0.1\r\n"
                                   "Bye-Packet: 0.1\r\n"
                                   "GGEP: 0.5\r\n"
                                   "GUID: df473102f65d1dbc4f48da1c4292cb9a\r\n"
                                   "Vendor-Message: 0.2\r\n"
                                   "X-Query-Routing: 0.2\r\n"
                                   "X-Requeries: False\r\n"
                                   "Upgrade: TLS/1.0\r\n"
                                   "Accept-Encoding: deflate\r\n"
                                   "X-Token: <token elided>\r\n"
                                   "X-Live-Since: Wed, 15 Jan 2025 05:44:54 +0000\r\n"
                                   "X-Ultrapeer: True\r\n"
                                   "X-Ultrapeer-Query-Routing: 0.1\r\n"
                                   "X-Degree: 46\r\n"
                                   "X-Max-TTL: 4\r\n"
                                   "X-Dynamic-Querying: 0.1\r\n"
                                   "X-Ext-Probes: 0.1\r\n"
                                   "X-Features: tls/1.0, browse/1.0, sflag/0.1, HSEP/0.2\r\n"
                                   "\r\n";

/* What one handshake reported. */
typedef struct {
	gnut_handshake *hs;
	gboolean done;
	guint done_calls;
	gboolean ok;
	guint code;
	gboolean by_peer;
	gboolean not_now;
	gboolean tls_failed;
	char *error;
	gnut_handshake_peer peer;
	gnut_conn *conn; /* taken on success */
	gboolean free_in_done;
	gboolean keep_conn;
} outcome;

/* Our listening side: each accepted connection starts an incoming handshake. */
typedef struct {
	gnut_listener *listener;
	guint16 port;
	gnut_handshake_config config;
	outcome out;
	guint admit_code;
	const char *tries;
	guint admit_calls;
} server;

/* A raw peer: a socket the test writes by hand, its input gathered by a
 * main-loop source. */
typedef struct {
	GSocket *sock;
	GSource *src;
	GByteArray *in;
	gboolean eof;
} raw_peer;

static gboolean run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, GUARD_MS);
}

/* Runs the loop until nothing is pending: lets queued writes and deferred
 * callbacks happen. */
static void drain_loop(void)
{
	for (int i = 0; i < 50; i++)
		while (g_main_context_iteration(NULL, FALSE))
			;
}

static gboolean outcome_done(gpointer data)
{
	return ((outcome *)data)->done;
}

static void on_done(gnut_handshake *hs, const gnut_handshake_result *r, gpointer data)
{
	outcome *o = data;
	o->done = TRUE;
	o->done_calls++;
	o->ok = r->ok;
	o->code = r->code;
	o->by_peer = r->by_peer;
	o->not_now = r->not_now;
	o->tls_failed = r->tls_failed;
	o->error = g_strdup(r->error);
	gnut_handshake_peer_copy(r->peer, &o->peer);
	if (r->ok && o->keep_conn)
		o->conn = gnut_handshake_steal_conn(hs);
	if (o->free_in_done) {
		gnut_handshake_free(hs);
		o->hs = NULL;
	}
}

static void outcome_clear(outcome *o)
{
	g_clear_pointer(&o->hs, gnut_handshake_free);
	g_clear_pointer(&o->conn, gnut_conn_unref);
	gnut_handshake_peer_clear(&o->peer);
	g_clear_pointer(&o->error, g_free);
}

static guint admit_cb(const gnut_handshake_peer *peer, gnut_handshake_dir dir, GString *reason,
                      GString *tries, gpointer data)
{
	server *s = data;
	s->admit_calls++;
	if (s->admit_code != 200) {
		g_string_assign(reason, "Too many connections");
		if (s->tries != NULL)
			g_string_append(tries, s->tries);
	}
	return s->admit_code;
}

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	server *s = data;
	s->out.keep_conn = TRUE;
	s->out.hs = gnut_handshake_new(conn, GNUT_HANDSHAKE_INCOMING, &s->config, on_done, &s->out);
}

/* A server whose listener (and handshake) take TLS when cert is given. */
static void server_start_tls(server *s, gboolean ultrapeer, GTlsCertificate *cert)
{
	memset(s, 0, sizeof *s);
	gnut_handshake_config_init(&s->config);
	s->config.ultrapeer = ultrapeer;
	s->config.listen_addr = "127.0.0.1:6346";
	s->config.admit = admit_cb;
	s->config.admit_data = s;
	s->config.tls_cert = cert;
	s->admit_code = 200;
	gnut_listener_config lc = {.address = "127.0.0.1", .tls_cert = cert};
	GError *err = NULL;
	s->listener = gnut_listener_new(&lc, on_accept, s, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->listener);
	s->port = gnut_listener_get_port(s->listener);
}

static void server_start(server *s, gboolean ultrapeer)
{
	server_start_tls(s, ultrapeer, NULL);
}

static void server_stop(server *s)
{
	outcome_clear(&s->out);
	gnut_listener_free(s->listener);
	drain_loop();
}

/* Our dialling side. */
typedef struct {
	gnut_handshake_config config;
	outcome out;
	gboolean connect_failed;
} client;

static void on_connected(GObject *src, GAsyncResult *res, gpointer data)
{
	client *c = data;
	gnut_conn *conn = gnut_conn_connect_finish(res, NULL);
	if (conn == NULL) {
		c->connect_failed = TRUE;
		c->out.done = TRUE;
		return;
	}
	c->out.keep_conn = TRUE;
	c->out.hs = gnut_handshake_new(conn, GNUT_HANDSHAKE_OUTGOING, &c->config, on_done, &c->out);
}

static void client_dial(client *c, guint16 port, gboolean ultrapeer)
{
	memset(c, 0, sizeof *c);
	gnut_handshake_config_init(&c->config);
	c->config.ultrapeer = ultrapeer;
	c->config.listen_addr = "127.0.0.1:7000";
	g_autofree char *target = g_strdup_printf("127.0.0.1:%u", port);
	gnut_conn_connect_async(target, 0, 5, NULL, on_connected, c);
}

static gboolean raw_on_input(GSocket *sock, GIOCondition cond, gpointer data)
{
	raw_peer *p = data;
	guint8 buf[4096];
	g_autoptr(GError) err = NULL;
	gssize n = g_socket_receive(sock, (gchar *)buf, sizeof buf, NULL, &err);
	if (n > 0) {
		g_byte_array_append(p->in, buf, (guint)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	p->eof = TRUE;
	g_clear_pointer(&p->src, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void raw_attach(raw_peer *p, GSocket *sock)
{
	p->sock = sock;
	p->in = g_byte_array_new();
	g_socket_set_blocking(sock, FALSE);
	p->src = g_socket_create_source(sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(p->src, G_SOURCE_FUNC(raw_on_input), p, NULL);
	g_source_attach(p->src, NULL);
}

static void raw_connect(raw_peer *p, guint16 port)
{
	memset(p, 0, sizeof *p);
	GSocket *sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);
	CU_ASSERT_TRUE_FATAL(g_socket_connect(sock, sa, NULL, NULL));
	raw_attach(p, sock);
}

static void raw_send(raw_peer *p, const void *data, gsize len)
{
	gsize off = 0;
	while (off < len) {
		g_autoptr(GError) err = NULL;
		gssize n = g_socket_send(p->sock, (const gchar *)data + off, len - off, NULL, &err);
		if (n < 0 && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return; /* the other side is gone: the test checks why */
		if (n <= 0) {
			g_main_context_iteration(NULL, FALSE);
			continue;
		}
		off += (gsize)n;
	}
}

static void raw_close(raw_peer *p)
{
	if (p->src != NULL) {
		g_source_destroy(p->src);
		g_clear_pointer(&p->src, g_source_unref);
	}
	if (p->sock != NULL) {
		g_socket_close(p->sock, NULL);
		g_clear_object(&p->sock);
	}
	if (p->in != NULL)
		g_clear_pointer(&p->in, g_byte_array_unref);
}

static gboolean raw_has_block(gpointer data)
{
	raw_peer *p = data;
	return p->eof || (p->in->len > 0 &&
	                  g_strstr_len((const char *)p->in->data, p->in->len, "\r\n\r\n") != NULL);
}

static gboolean raw_is_eof(gpointer data)
{
	return ((raw_peer *)data)->eof;
}

/* Parses the first header block the raw peer received. */
static gnut_head *raw_take_head(raw_peer *p)
{
	size_t len = 0;
	if (gnut_head_scan(p->in->data, p->in->len, &len) != GNUT_PROTO_OK)
		return NULL;
	gnut_head *h = NULL;
	if (gnut_head_parse(p->in->data, len, &h) != GNUT_PROTO_OK)
		return NULL;
	g_byte_array_remove_range(p->in, 0, (guint)len);
	return h;
}

/* A listening socket that accepts but never speaks. */
static GSocket *mute_server(guint16 *port)
{
	GSocket *sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
	g_socket_bind(sock, sa, TRUE, NULL);
	g_socket_listen(sock, NULL);
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return sock;
}

static gboolean hs_created(gpointer data)
{
	return ((outcome *)data)->hs != NULL;
}

static gboolean hs_waiting_response(gpointer data)
{
	outcome *o = data;
	return o->hs != NULL && gnut_handshake_get_state(o->hs) == GNUT_HANDSHAKE_READ_RESPONSE;
}

/* ---- pure header sets ---- */

static void test_our_headers(void)
{
	gnut_handshake_config c;
	gnut_handshake_config_init(&c);
	CU_ASSERT_EQUAL(c.degree, 32);
	CU_ASSERT_EQUAL(c.max_ttl, 4);
	CU_ASSERT_TRUE(c.deflate);
	CU_ASSERT_FALSE(c.dynamic_querying);
	c.ultrapeer = TRUE;
	c.listen_addr = "10.1.2.3:6346";
	g_autoptr(gnut_head) h = gnut_handshake_new_connect();
	gnut_handshake_add_our_headers(h, &c, "192.0.2.7");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "User-Agent"), PACKAGE_NAME "/" PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Ultrapeer"), "True");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Query-Routing"), "0.2");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Ultrapeer-Query-Routing"), "0.1");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "GGEP"), "0.5");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Pong-Caching"), "0.1");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Bye-Packet"), "0.1");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Vendor-Message"), "0.2");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Remote-IP"), "192.0.2.7");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Listen-IP"), "10.1.2.3:6346");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Max-TTL"), "4");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Degree"), "32");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Accept-Encoding"), "deflate");
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "X-Dynamic-Querying"));
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "Upgrade"));
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "X-Features"));

	/* A leaf without compression, with dynamic querying switched on. */
	c.ultrapeer = FALSE;
	c.deflate = FALSE;
	c.dynamic_querying = TRUE;
	c.listen_addr = NULL;
	g_autoptr(gnut_head) leaf = gnut_handshake_new_connect();
	gnut_handshake_add_our_headers(leaf, &c, NULL);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(leaf, "X-Ultrapeer"), "False");
	CU_ASSERT_PTR_NULL(gnut_head_get(leaf, "X-Ultrapeer-Query-Routing"));
	CU_ASSERT_PTR_NULL(gnut_head_get(leaf, "Accept-Encoding"));
	CU_ASSERT_PTR_NULL(gnut_head_get(leaf, "Listen-IP"));
	CU_ASSERT_PTR_NULL(gnut_head_get(leaf, "Remote-IP"));
	CU_ASSERT_STRING_EQUAL(gnut_head_get(leaf, "X-Dynamic-Querying"), "0.1");
}

static void test_read_gtkg_block(void)
{
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(
	    gnut_head_scan((const uint8_t *)gtkg_connect, strlen(gtkg_connect), &len),
	    GNUT_PROTO_OK);
	g_autoptr(gnut_head) h = NULL;
	CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)gtkg_connect, len, &h),
	                      GNUT_PROTO_OK);
	gnut_handshake_peer p = {0};
	gnut_handshake_peer_read(h, &p);
	CU_ASSERT_STRING_EQUAL(p.user_agent,
	                       "gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)");
	CU_ASSERT_TRUE(p.has_ultrapeer);
	CU_ASSERT_TRUE(p.ultrapeer);
	CU_ASSERT_STRING_EQUAL(p.listen_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(p.listen_port, 36502);
	CU_ASSERT_STRING_EQUAL(p.remote_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(p.degree, 46);
	CU_ASSERT_EQUAL(p.max_ttl, 4);
	CU_ASSERT_TRUE(p.bye_packet && p.vendor_messages && p.ggep && p.pong_caching);
	CU_ASSERT_TRUE(p.query_routing && p.ultrapeer_query_routing && p.dynamic_querying);
	CU_ASSERT_TRUE(p.accepts_deflate);
	CU_ASSERT_FALSE(p.sends_deflate);
	CU_ASSERT_TRUE(p.has_guid);
	CU_ASSERT_EQUAL(p.guid.bytes[0], 0xdf);
	CU_ASSERT_EQUAL(p.guid.bytes[15], 0x9a);
	CU_ASSERT_PTR_NOT_NULL(p.try_ultrapeers);
	CU_ASSERT_PTR_NULL(p.try_ultrapeers[0]);

	gnut_handshake_peer copy = {0};
	gnut_handshake_peer_copy(&p, &copy);
	gnut_handshake_peer_clear(&p);
	CU_ASSERT_STRING_EQUAL(copy.listen_ip, "127.0.0.1");
	gnut_handshake_peer_clear(&copy);
	CU_ASSERT_PTR_NULL(copy.user_agent);
}

static void test_host_port_and_try_list(void)
{
	char *ip = NULL;
	guint16 port = 0;
	CU_ASSERT_TRUE(gnut_handshake_parse_host_port("1.2.3.4:6346", &ip, &port));
	CU_ASSERT_STRING_EQUAL(ip, "1.2.3.4");
	CU_ASSERT_EQUAL(port, 6346);
	g_free(ip);
	CU_ASSERT_TRUE(gnut_handshake_parse_host_port("[::1]:80", &ip, &port));
	CU_ASSERT_STRING_EQUAL(ip, "::1");
	g_free(ip);
	ip = NULL;
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("example.org:6346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4:0", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4:65536", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4:x", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("[::1:80", &ip, &port));
	/* one spelling per address: no leading zeros, no inner white space,
	 * IPv6 only in brackets (gnut_addr_parse_host_port) */
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("01.2.3.4:6346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4:06346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4 :6346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("1.2.3.4: 6346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("::1:6346", &ip, &port));
	CU_ASSERT_FALSE(gnut_handshake_parse_host_port("[fe80::1%eth0]:6346", &ip, &port));
	CU_ASSERT_PTR_NULL(ip);
	port = 0;
	/* IPv6 comes back in the canonical form GInetAddress prints */
	CU_ASSERT_TRUE(gnut_handshake_parse_host_port("[2001:DB8:0:0::0:1]:6346", &ip, &port));
	CU_ASSERT_STRING_EQUAL(ip, "2001:db8::1");
	CU_ASSERT_EQUAL(port, 6346);
	g_free(ip);
	CU_ASSERT_TRUE(gnut_handshake_parse_host_port("[::ffff:1.2.3.4]:1", &ip, &port));
	CU_ASSERT_STRING_EQUAL(ip, "::ffff:1.2.3.4");
	g_free(ip);
	ip = NULL;

	/* Bad entries are skipped, the list is capped. */
	g_autoptr(GString) block = g_string_new("GNUTELLA/0.6 503 Full\r\nX-Try-Ultrapeers: "
	                                        "1.1.1.1:1, junk, host.example:5, 2.2.2.2:2");
	for (int i = 0; i < 40; i++)
		g_string_append_printf(block, ", 3.3.3.%d:3", i);
	/* a GUID that does not parse (bad last digit) leaves the field zero */
	g_string_append(block, "\r\nX-Ultrapeer: maybe\r\n"
	                       "GUID: df473102f65d1dbc4f48da1c4292cb9z\r\n\r\n");
	g_autoptr(gnut_head) h = NULL;
	CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)block->str, block->len, &h),
	                      GNUT_PROTO_OK);
	gnut_handshake_peer p = {0};
	gnut_handshake_peer_read(h, &p);
	CU_ASSERT_EQUAL(g_strv_length(p.try_ultrapeers), GNUT_HANDSHAKE_MAX_TRY_HOSTS);
	CU_ASSERT_STRING_EQUAL(p.try_ultrapeers[0], "1.1.1.1:1");
	CU_ASSERT_STRING_EQUAL(p.try_ultrapeers[1], "2.2.2.2:2");
	CU_ASSERT_FALSE(p.has_ultrapeer);
	CU_ASSERT_PTR_NULL(p.user_agent);
	CU_ASSERT_FALSE(p.has_guid);
	CU_ASSERT_TRUE(gnut_guid_is_zero(&p.guid));
	gnut_handshake_peer_clear(&p);

	/* Remote-IP and Listen-IP in IPv6 come back canonical; a Remote-IP that
	 * is not exactly an IP literal is left out. */
	static const char v6[] = "GNUTELLA/0.6 200 OK\r\nRemote-IP: 2001:DB8:0::1\r\n"
	                         "Listen-IP: [2001:db8::0:2]:6346\r\n\r\n";
	g_autoptr(gnut_head) h6 = NULL;
	CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)v6, strlen(v6), &h6), GNUT_PROTO_OK);
	gnut_handshake_peer_read(h6, &p);
	CU_ASSERT_STRING_EQUAL(p.remote_ip, "2001:db8::1");
	CU_ASSERT_STRING_EQUAL(p.listen_ip, "2001:db8::2");
	CU_ASSERT_EQUAL(p.listen_port, 6346);
	static const char bad[] = "GNUTELLA/0.6 200 OK\r\nRemote-IP: 1.2.3.4:5\r\n\r\n";
	g_autoptr(gnut_head) hb = NULL;
	CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)bad, strlen(bad), &hb),
	                      GNUT_PROTO_OK);
	gnut_handshake_peer_read(hb, &p);
	CU_ASSERT_PTR_NULL(p.remote_ip);
	gnut_handshake_peer_clear(&p);
}

/* ---- two of our handshakes ---- */

static gboolean both_done(gpointer data)
{
	outcome **o = data;
	return o[0]->done && o[1]->done;
}

static void run_pair(server *s, client *c, gboolean server_up, gboolean client_up)
{
	server_start(s, server_up);
	client_dial(c, s->port, client_up);
	outcome *both[2] = {&s->out, &c->out};
	CU_ASSERT_TRUE(run_until(both_done, both));
}

static void test_ultrapeer_pair(void)
{
	server s;
	client c;
	run_pair(&s, &c, TRUE, TRUE);
	CU_ASSERT_TRUE(s.out.ok);
	CU_ASSERT_TRUE(c.out.ok);
	CU_ASSERT_EQUAL(c.out.code, 200);
	CU_ASSERT_EQUAL(s.admit_calls, 1);
	CU_ASSERT_EQUAL(s.out.done_calls, 1);
	/* What each learnt of the other. */
	CU_ASSERT_TRUE(s.out.peer.ultrapeer);
	CU_ASSERT_TRUE(c.out.peer.ultrapeer);
	CU_ASSERT_STRING_EQUAL(s.out.peer.user_agent, PACKAGE_NAME "/" PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(s.out.peer.listen_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(s.out.peer.listen_port, 7000);
	CU_ASSERT_EQUAL(c.out.peer.listen_port, 6346);
	CU_ASSERT_STRING_EQUAL(c.out.peer.remote_ip, "127.0.0.1");
	CU_ASSERT_TRUE(c.out.peer.bye_packet && c.out.peer.vendor_messages && c.out.peer.ggep);
	CU_ASSERT_EQUAL(c.out.peer.degree, 32);
	/* Compression both ways, switched on in the connections handed over. */
	CU_ASSERT_TRUE(s.out.peer.deflate_in && s.out.peer.deflate_out);
	CU_ASSERT_TRUE(c.out.peer.deflate_in && c.out.peer.deflate_out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.out.conn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.out.conn);
	gnut_conn_stats st;
	gnut_conn_get_stats(s.out.conn, &st);
	CU_ASSERT_TRUE(st.inflating && st.deflating);
	CU_ASSERT_EQUAL(gnut_handshake_get_state(s.out.hs), GNUT_HANDSHAKE_SUCCEEDED);
	CU_ASSERT_PTR_NULL(gnut_handshake_steal_conn(s.out.hs));
	outcome_clear(&c.out);
	server_stop(&s);
}

static void test_leaf_to_ultrapeer(void)
{
	server s;
	client c;
	run_pair(&s, &c, TRUE, FALSE);
	CU_ASSERT_TRUE(s.out.ok && c.out.ok);
	CU_ASSERT_FALSE(s.out.peer.ultrapeer);
	CU_ASSERT_TRUE(c.out.peer.ultrapeer);
	CU_ASSERT_TRUE(c.out.peer.ultrapeer_query_routing);
	CU_ASSERT_FALSE(s.out.peer.ultrapeer_query_routing);
	outcome_clear(&c.out);
	server_stop(&s);
}

static gnut_handshake_needed say_false(const gnut_handshake_peer *peer, gpointer data)
{
	return GNUT_HANDSHAKE_NEEDED_FALSE;
}

static gnut_handshake_needed say_true(const gnut_handshake_peer *peer, gpointer data)
{
	return GNUT_HANDSHAKE_NEEDED_TRUE;
}

static gboolean take_it(const gnut_handshake_peer *peer, gpointer data)
{
	return TRUE;
}

static gboolean decline_it(const gnut_handshake_peer *peer, gpointer data)
{
	return FALSE;
}

static void finish_pair(server *s, client *c)
{
	outcome_clear(&c->out);
	server_stop(s);
}

/* Two ultrapeers; the server guides with needed, the client decides with
 * take (NULL: the client has no say). */
static void run_guided_pair(server *s, client *c,
                            gnut_handshake_needed (*needed)(const gnut_handshake_peer *, gpointer),
                            gboolean (*take)(const gnut_handshake_peer *, gpointer))
{
	server_start(s, TRUE);
	s->config.ultrapeer_needed = needed;
	client_dial(c, s->port, TRUE);
	c->config.take_leaf_guidance = take; /* copied once the dial connects */
	outcome *both[2] = {&s->out, &c->out};
	CU_ASSERT_TRUE(run_until(both_done, both));
	CU_ASSERT_TRUE(s->out.ok && c->out.ok);
}

/* doc/gnutella/ultra-peers 3.5: X-Ultrapeer-Needed: False in step 2, the
 * dialer's X-Ultrapeer: False in step 3: it is the server's leaf. Declined,
 * or "True", or no header: two ultrapeers. */
static void test_leaf_guidance(void)
{
	static const struct {
		gnut_handshake_needed (*needed)(const gnut_handshake_peer *, gpointer);
		gboolean (*take)(const gnut_handshake_peer *, gpointer);
		gboolean heard, heard_true; /* what the client read */
		gboolean guided;            /* both sides: leaf guidance taken */
	} cases[] = {
	    {say_false, take_it, TRUE, FALSE, TRUE},
	    {say_false, decline_it, TRUE, FALSE, FALSE},
	    {say_true, take_it, TRUE, TRUE, FALSE},
	    {NULL, take_it, FALSE, FALSE, FALSE},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		server s;
		client c;
		run_guided_pair(&s, &c, cases[i].needed, cases[i].take);
		CU_ASSERT_EQUAL(c.out.peer.has_ultrapeer_needed, cases[i].heard);
		CU_ASSERT_EQUAL(c.out.peer.ultrapeer_needed, cases[i].heard_true);
		CU_ASSERT_EQUAL(c.out.peer.leaf_guidance, cases[i].guided);
		CU_ASSERT_EQUAL(s.out.peer.leaf_guidance, cases[i].guided);
		CU_ASSERT_TRUE(c.out.peer.ultrapeer); /* the server stays an ultrapeer */
		/* the client is the server's leaf when guided */
		CU_ASSERT_EQUAL(s.out.peer.ultrapeer, !cases[i].guided);
		finish_pair(&s, &c);
	}
}

static void test_leaf_refuses_leaf(void)
{
	server s;
	client c;
	run_pair(&s, &c, FALSE, FALSE);
	CU_ASSERT_FALSE(s.out.ok);
	CU_ASSERT_EQUAL(s.out.code, 503);
	CU_ASSERT_FALSE(s.out.by_peer);
	CU_ASSERT_FALSE(c.out.ok);
	CU_ASSERT_EQUAL(c.out.code, 503);
	CU_ASSERT_TRUE(c.out.by_peer);
	CU_ASSERT_TRUE(c.out.not_now);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.out.error, "Shielded leaf node"));
	CU_ASSERT_EQUAL(s.admit_calls, 0);
	outcome_clear(&c.out);
	server_stop(&s);
}

static void test_full_server_gives_try_list(void)
{
	server s;
	client c;
	server_start(&s, TRUE);
	s.admit_code = 503;
	s.tries = "10.0.0.1:6346,10.0.0.2:6347";
	client_dial(&c, s.port, TRUE);
	outcome *both[2] = {&s.out, &c.out};
	CU_ASSERT_TRUE(run_until(both_done, both));
	CU_ASSERT_FALSE(c.out.ok);
	CU_ASSERT_TRUE(c.out.not_now);
	CU_ASSERT_EQUAL(c.out.code, 503);
	CU_ASSERT_EQUAL_FATAL(g_strv_length(c.out.peer.try_ultrapeers), 2);
	CU_ASSERT_STRING_EQUAL(c.out.peer.try_ultrapeers[0], "10.0.0.1:6346");
	CU_ASSERT_STRING_EQUAL(c.out.peer.try_ultrapeers[1], "10.0.0.2:6347");
	CU_ASSERT_EQUAL(s.out.code, 503);
	CU_ASSERT_PTR_NULL(c.out.conn);
	outcome_clear(&c.out);
	server_stop(&s);
}

/* ---- a raw client speaking the reference servent's lines ---- */

/* Sends the reference's CONNECT block to s from a new raw peer p and
 * returns our step 2 (NULL if none came). */
static gnut_head *gtkg_connect_to(server *s, raw_peer *p)
{
	raw_connect(p, s->port);
	raw_send(p, gtkg_connect, strlen(gtkg_connect));
	CU_ASSERT_TRUE(run_until(raw_has_block, p));
	gnut_head *h = raw_take_head(p);
	CU_ASSERT_STRING_EQUAL(h != NULL ? gnut_head_start_line(h) : "", "GNUTELLA/0.6 200 OK");
	return h;
}

static void test_raw_gtkg_client(void)
{
	server s;
	server_start(&s, TRUE);
	s.config.dynamic_querying = TRUE;
	raw_peer p;
	g_autoptr(gnut_head) h = gtkg_connect_to(&s, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_TRUE(g_str_has_prefix(gnut_head_get(h, "User-Agent"), "gnutd/"));
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Ultrapeer"), "True");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Encoding"), "deflate");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Accept-Encoding"), "deflate");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Remote-IP"), "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Dynamic-Querying"), "0.1");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Listen-IP"), "127.0.0.1:6346");
	uint64_t degree = 0;
	CU_ASSERT_EQUAL(gnut_head_parse_u64(gnut_head_get(h, "X-Degree"), &degree), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(degree >= 16);
	/* Its TLS offer is ignored: no upgrade of ours. */
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "Connection"));
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "Upgrade"));
	CU_ASSERT_FALSE(s.out.done);
	CU_ASSERT_EQUAL(gnut_handshake_get_state(s.out.hs), GNUT_HANDSHAKE_READ_FINAL);

	static const char final[] =
	    "GNUTELLA/0.6 200 OK\r\nConnection: Upgrade\r\nContent-Encoding: deflate\r\n\r\n";
	raw_send(&p, final, strlen(final));
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_TRUE(s.out.ok);
	CU_ASSERT_TRUE(s.out.peer.deflate_in);
	CU_ASSERT_TRUE(s.out.peer.deflate_out);
	CU_ASSERT_STRING_EQUAL(s.out.peer.listen_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(s.out.peer.listen_port, 36502);
	raw_close(&p);
	server_stop(&s);
}

/* Sends block to a fresh server and returns the answer's start line. */
static char *refusal_of(server *s, const char *block, raw_peer *p)
{
	raw_connect(p, s->port);
	raw_send(p, block, strlen(block));
	CU_ASSERT_TRUE(run_until(raw_is_eof, p));
	g_autoptr(gnut_head) h = raw_take_head(p);
	if (h == NULL)
		return NULL;
	const char *tries = gnut_head_get(h, "X-Try-Ultrapeers");
	return g_strdup_printf("%s|%s", gnut_head_start_line(h), tries != NULL ? tries : "");
}

static void test_refusals(void)
{
	static const char no_up[] = "GNUTELLA CONNECT/0.6\r\nUser-Agent: Old/1.0\r\n\r\n";
	server s;
	server_start(&s, TRUE);
	raw_peer p;
	g_autofree char *r403 = refusal_of(&s, no_up, &p);
	CU_ASSERT_STRING_EQUAL(r403, "GNUTELLA/0.6 403 X-Ultrapeer required|");
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_EQUAL(s.out.code, 403);
	CU_ASSERT_FALSE(s.out.ok);
	raw_close(&p);
	server_stop(&s);

	static const char leaf[] = "GNUTELLA CONNECT/0.6\r\nX-Ultrapeer: False\r\n\r\n";
	server_start(&s, TRUE);
	s.admit_code = 503;
	s.tries = "192.0.2.1:6346";
	g_autofree char *r503 = refusal_of(&s, leaf, &p);
	CU_ASSERT_STRING_EQUAL(r503, "GNUTELLA/0.6 503 Too many connections|192.0.2.1:6346");
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_EQUAL(s.out.code, 503);
	CU_ASSERT_EQUAL(s.out.done_calls, 1);
	raw_close(&p);
	server_stop(&s);
}

/* The remote's refusal codes and a bogus answer, from a raw server. */
static void check_answer(const char *answer, gboolean ok, guint code, gboolean not_now)
{
	guint16 port = 0;
	g_autoptr(GSocket) lsock = mute_server(&port);
	client c;
	client_dial(&c, port, TRUE);
	CU_ASSERT_TRUE_FATAL(run_until(hs_waiting_response, &c.out));
	raw_peer p = {0};
	raw_attach(&p, g_socket_accept(lsock, NULL, NULL));
	CU_ASSERT_TRUE(run_until(raw_has_block, &p));
	g_autoptr(gnut_head) connect = raw_take_head(&p);
	CU_ASSERT_PTR_NOT_NULL(connect);
	if (connect != NULL)
		CU_ASSERT_STRING_EQUAL(gnut_head_start_line(connect), "GNUTELLA CONNECT/0.6");
	raw_send(&p, answer, strlen(answer));
	CU_ASSERT_TRUE(run_until(outcome_done, &c.out));
	CU_ASSERT_EQUAL(c.out.ok, ok);
	CU_ASSERT_EQUAL(c.out.code, code);
	CU_ASSERT_EQUAL(c.out.not_now, not_now);
	if (ok) {
		/* Our step 3 follows, without Connection: Upgrade. */
		CU_ASSERT_TRUE(run_until(raw_has_block, &p));
		g_autoptr(gnut_head) final = raw_take_head(&p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(final);
		CU_ASSERT_STRING_EQUAL(gnut_head_start_line(final), "GNUTELLA/0.6 200 OK");
		CU_ASSERT_PTR_NULL(gnut_head_get(final, "Connection"));
	}
	outcome_clear(&c.out);
	raw_close(&p);
	g_socket_close(lsock, NULL);
}

static void test_remote_answers(void)
{
	check_answer("GNUTELLA/0.6 429 Banned for 5m\r\n\r\n", FALSE, 429, TRUE);
	check_answer("GNUTELLA/0.6 409 Already connected\r\n\r\n", FALSE, 409, TRUE);
	check_answer("GNUTELLA/0.6 403 Normal nodes refused\r\n\r\n", FALSE, 403, FALSE);
	check_answer("HTTP/1.1 200 OK\r\n\r\n", FALSE, 0, FALSE);
	/* A 200 without X-Ultrapeer is refused by us in step 3. */
	check_answer("GNUTELLA/0.6 200 OK\r\nUser-Agent: X\r\n\r\n", FALSE, 403, FALSE);
	check_answer("GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\nUpgrade: TLS/1.0\r\n"
	             "Connection: Upgrade\r\n\r\n",
	             TRUE, 200, FALSE);
}

/* ---- deadlines and caps ---- */

static void test_deadline_outgoing(void)
{
	guint16 port = 0;
	g_autoptr(GSocket) lsock = mute_server(&port);
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1 * G_USEC_PER_SEC);
	client c;
	client_dial(&c, port, TRUE);
	c.config.clock = clock;
	CU_ASSERT_TRUE_FATAL(run_until(hs_waiting_response, &c.out));
	gnut_handshake_tick(c.out.hs, gnut_clock_now_us(clock));
	gnut_clock_manual_advance(clock, 9 * G_USEC_PER_SEC);
	gnut_handshake_tick(c.out.hs, gnut_clock_now_us(clock));
	drain_loop();
	CU_ASSERT_FALSE(c.out.done);
	gnut_clock_manual_advance(clock, 1 * G_USEC_PER_SEC);
	gnut_handshake_tick(c.out.hs, gnut_clock_now_us(clock));
	CU_ASSERT_FALSE(c.out.done); /* reported from the main loop, not from tick */
	CU_ASSERT_TRUE(run_until(outcome_done, &c.out));
	CU_ASSERT_FALSE(c.out.ok);
	CU_ASSERT_EQUAL(c.out.code, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.out.error, "timed out"));
	CU_ASSERT_EQUAL(gnut_handshake_get_state(c.out.hs), GNUT_HANDSHAKE_FAILED);
	outcome_clear(&c.out);
	g_socket_close(lsock, NULL);
}

static void test_deadline_incoming(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	server s;
	server_start(&s, TRUE);
	s.config.clock = clock;
	s.out.free_in_done = TRUE;
	raw_peer p;
	raw_connect(&p, s.port);
	raw_send(&p, "GNUTELLA CONNECT/0.6\r\nX-Ultra", 29);
	CU_ASSERT_TRUE_FATAL(run_until(hs_created, &s.out));
	drain_loop();
	CU_ASSERT_EQUAL(gnut_handshake_get_state(s.out.hs), GNUT_HANDSHAKE_READ_CONNECT);
	gnut_clock_manual_advance(clock, 10 * G_USEC_PER_SEC);
	gnut_handshake_tick(s.out.hs, gnut_clock_now_us(clock));
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_FALSE(s.out.ok);
	CU_ASSERT_PTR_NULL(s.out.hs); /* freed inside its done callback */
	CU_ASSERT_TRUE(run_until(raw_is_eof, &p));
	raw_close(&p);
	server_stop(&s);
}

static void test_oversize_block(void)
{
	server s;
	server_start(&s, TRUE);
	raw_peer p;
	raw_connect(&p, s.port);
	raw_send(&p, "GNUTELLA CONNECT/0.6\r\n", 22);
	g_autofree char *line = g_strnfill(200, 'a');
	g_autofree char *junk = g_strdup_printf("X-Junk: %s\r\n", line);
	for (int i = 0; i < 100 && !s.out.done; i++) {
		raw_send(&p, junk, strlen(junk));
		g_main_context_iteration(NULL, FALSE);
	}
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_FALSE(s.out.ok);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.out.error, "size over limit"));
	CU_ASSERT_TRUE(run_until(raw_is_eof, &p));
	/* Nothing was answered: the link was just closed. */
	CU_ASSERT_EQUAL(p.in->len, 0);
	raw_close(&p);
	server_stop(&s);
}

static void test_free_before_done(void)
{
	server s;
	server_start(&s, TRUE);
	raw_peer p;
	raw_connect(&p, s.port);
	raw_send(&p, "GNUTELLA CONNECT/0.6\r\n", 22);
	CU_ASSERT_TRUE_FATAL(run_until(hs_created, &s.out));
	gnut_handshake_free(s.out.hs);
	s.out.hs = NULL;
	CU_ASSERT_TRUE(run_until(raw_is_eof, &p));
	drain_loop();
	CU_ASSERT_FALSE(s.out.done);
	raw_close(&p);
	server_stop(&s);
}

/* ---- Upgrade: TLS/1.0 ---- */

static GTlsCertificate *test_cert(void)
{
	char *dir = gnut_unit_mkdtemp();
	GTlsCertificate *cert = gnut_tls_load_or_create(dir, NULL);
	gnut_unit_rmtree(dir);
	g_free(dir);
	g_assert_nonnull(cert);
	return cert;
}

static gboolean client_created(gpointer data)
{
	return ((client *)data)->out.hs != NULL || ((client *)data)->out.done;
}

/* Both sides with TLS on: the link continues inside TLS, compressed. */
static void test_tls_upgrade_pair(void)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	server s;
	client c;
	server_start(&s, TRUE);
	s.config.tls_cert = cert;
	client_dial(&c, s.port, TRUE);
	c.config.tls_cert = cert; /* read when the connect completes */
	outcome *both[2] = {&s.out, &c.out};
	CU_ASSERT_TRUE(run_until(both_done, both));
	CU_ASSERT_TRUE(s.out.ok && c.out.ok);
	CU_ASSERT_TRUE(s.out.peer.offers_tls && s.out.peer.features_tls);
	CU_ASSERT_TRUE(c.out.peer.offers_tls && c.out.peer.features_tls);
	CU_ASSERT_TRUE(s.out.peer.tls && c.out.peer.tls);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.out.conn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.out.conn);
	CU_ASSERT_TRUE(gnut_conn_is_tls(s.out.conn) && gnut_conn_is_tls(c.out.conn));
	gnut_conn_stats st;
	gnut_conn_get_stats(c.out.conn, &st);
	CU_ASSERT_TRUE(st.inflating && st.deflating);
	outcome_clear(&c.out);
	server_stop(&s);
}

/* Our offer to an acceptor without TLS: it ignores it, the link is plain. */
static void test_tls_offer_ignored(void)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	server s;
	client c;
	server_start(&s, TRUE);
	client_dial(&c, s.port, TRUE);
	c.config.tls_cert = cert;
	CU_ASSERT_TRUE(run_until(client_created, &c));
	outcome *both[2] = {&s.out, &c.out};
	CU_ASSERT_TRUE(run_until(both_done, both));
	CU_ASSERT_TRUE(s.out.ok && c.out.ok);
	CU_ASSERT_TRUE(s.out.peer.offers_tls);
	CU_ASSERT_FALSE(c.out.peer.offers_tls || c.out.peer.features_tls);
	CU_ASSERT_FALSE(s.out.peer.tls || c.out.peer.tls);
	CU_ASSERT_FALSE(gnut_conn_is_tls(c.out.conn) || gnut_conn_is_tls(s.out.conn));
	outcome_clear(&c.out);
	server_stop(&s);
}

static gboolean conn_tls_up(gpointer data)
{
	return gnut_conn_is_tls(data) || gnut_conn_is_closed(data);
}

/* The reference servent's CONNECT (with Upgrade: TLS/1.0) to us with TLS
 * on: our 200 takes the offer, its step 3 confirms, and TLS follows with
 * the dialer as client; or, when the dialer then speaks no TLS, the
 * handshake fails and the link is dropped. */
static void gtkg_upgrade(gboolean speak_tls)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	server s;
	server_start(&s, TRUE);
	s.config.tls_cert = cert;
	raw_peer p;
	g_autoptr(gnut_head) h = gtkg_connect_to(&s, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Upgrade"), "TLS/1.0");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Connection"), "Upgrade");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Features"), "tls/1.0");
	static const char final[] =
	    "GNUTELLA/0.6 200 OK\r\nConnection: Upgrade\r\nContent-Encoding: deflate\r\n\r\n";
	raw_send(&p, final, strlen(final));
	g_source_destroy(p.src);
	g_clear_pointer(&p.src, g_source_unref);
	if (!speak_tls) {
		static const char junk[] = "GNUTELLA/0.6 200 OK\r\n\r\n";
		raw_send(&p, junk, strlen(junk));
		CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
		CU_ASSERT_FALSE(s.out.ok);
		CU_ASSERT_PTR_NOT_NULL(strstr(s.out.error, "TLS"));
		raw_close(&p);
		server_stop(&s);
		return;
	}
	GSocketConnection *sc = g_socket_connection_factory_create_connection(p.sock);
	gnut_conn *tls = gnut_conn_new(sc);
	g_object_unref(sc);
	gnut_conn_start_tls(tls, FALSE, NULL, NULL, NULL);
	CU_ASSERT_TRUE(run_until(conn_tls_up, tls));
	CU_ASSERT_TRUE(run_until(outcome_done, &s.out));
	CU_ASSERT_TRUE(gnut_conn_is_tls(tls));
	CU_ASSERT_TRUE(s.out.ok && s.out.peer.tls);
	CU_ASSERT_TRUE(s.out.peer.deflate_in && s.out.peer.deflate_out);
	CU_ASSERT_TRUE(s.out.conn != NULL && gnut_conn_is_tls(s.out.conn));
	gnut_conn_unref(tls);
	raw_close(&p);
	server_stop(&s);
}

static void test_tls_gtkg_upgrade(void)
{
	gtkg_upgrade(TRUE);
}

static void test_tls_failed_upgrade_drops(void)
{
	gtkg_upgrade(FALSE);
}

/* A dialer that knows the host speaks TLS starts with it: the listener
 * sees a TLS ClientHello, runs TLS, then the first line inside it; no
 * Upgrade is offered on a link already in TLS. */
static void test_tls_first_dial(void)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	server s;
	client c;
	server_start_tls(&s, TRUE, cert);
	client_dial(&c, s.port, TRUE);
	c.config.tls_cert = cert;
	c.config.tls_first = TRUE;
	outcome *both[2] = {&s.out, &c.out};
	CU_ASSERT_TRUE(run_until(both_done, both));
	CU_ASSERT_TRUE(s.out.ok && c.out.ok);
	CU_ASSERT_TRUE(s.out.peer.tls && c.out.peer.tls);
	CU_ASSERT_FALSE(s.out.peer.offers_tls || c.out.peer.offers_tls);
	CU_ASSERT_TRUE(s.out.peer.features_tls && c.out.peer.features_tls);
	CU_ASSERT_TRUE(gnut_conn_is_tls(s.out.conn) && gnut_conn_is_tls(c.out.conn));
	outcome_clear(&c.out);
	server_stop(&s);
}

static gboolean hs_in_tls(gpointer data)
{
	outcome *o = data;
	return o->hs != NULL && gnut_handshake_get_state(o->hs) == GNUT_HANDSHAKE_TLS;
}

/* TLS-first to a host that does not speak it (it waits for a first line
 * that never comes): the step deadline ends it and the result says TLS
 * failed, so that the owner dials again in plain text. */
static void test_tls_first_refused(void)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	guint16 port = 0;
	g_autoptr(GSocket) lsock = mute_server(&port);
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1 * G_USEC_PER_SEC);
	client c;
	client_dial(&c, port, TRUE);
	c.config.tls_cert = cert;
	c.config.tls_first = TRUE;
	c.config.clock = clock;
	CU_ASSERT_TRUE_FATAL(run_until(hs_in_tls, &c.out));
	gnut_clock_manual_advance(clock, 11 * G_USEC_PER_SEC);
	gnut_handshake_tick(c.out.hs, gnut_clock_now_us(clock));
	CU_ASSERT_TRUE(run_until(outcome_done, &c.out));
	CU_ASSERT_FALSE(c.out.ok);
	CU_ASSERT_TRUE(c.out.tls_failed);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.out.error, "timed out in tls"));
	outcome_clear(&c.out);
	g_socket_close(lsock, NULL);
}

/* An acceptor's Upgrade: TLS/1.0 without Connection: Upgrade is its own
 * offer, not an answer to ours: the link stays plain and our step 3 does
 * not ask for the upgrade. */
static void test_tls_upgrade_without_connection(void)
{
	g_autoptr(GTlsCertificate) cert = test_cert();
	guint16 port = 0;
	g_autoptr(GSocket) lsock = mute_server(&port);
	client c;
	client_dial(&c, port, TRUE);
	c.config.tls_cert = cert;
	CU_ASSERT_TRUE_FATAL(run_until(hs_waiting_response, &c.out));
	raw_peer p = {0};
	raw_attach(&p, g_socket_accept(lsock, NULL, NULL));
	CU_ASSERT_TRUE(run_until(raw_has_block, &p));
	g_autoptr(gnut_head) connect = raw_take_head(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(connect);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(connect, "Upgrade"), "TLS/1.0");
	static const char answer[] =
	    "GNUTELLA/0.6 200 OK\r\nX-Ultrapeer: True\r\nUpgrade: TLS/1.0\r\n\r\n";
	raw_send(&p, answer, strlen(answer));
	CU_ASSERT_TRUE(run_until(outcome_done, &c.out));
	CU_ASSERT_TRUE(run_until(raw_has_block, &p));
	g_autoptr(gnut_head) final = raw_take_head(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(final);
	CU_ASSERT_PTR_NULL(gnut_head_get(final, "Connection"));
	CU_ASSERT_TRUE(c.out.ok);
	CU_ASSERT_FALSE(c.out.peer.tls);
	CU_ASSERT_FALSE(gnut_conn_is_tls(c.out.conn));
	outcome_clear(&c.out);
	raw_close(&p);
	g_socket_close(lsock, NULL);
}

static CU_TestInfo tests[] = {
    {"our header set", test_our_headers},
    {"reads the gtk-gnutella CONNECT block", test_read_gtkg_block},
    {"host:port and X-Try-Ultrapeers", test_host_port_and_try_list},
    {"ultrapeer to ultrapeer over loopback", test_ultrapeer_pair},
    {"leaf to ultrapeer over loopback", test_leaf_to_ultrapeer},
    {"leaf guidance: taken, declined, Needed: True, none", test_leaf_guidance},
    {"a leaf refuses a leaf", test_leaf_refuses_leaf},
    {"full server: 503 and X-Try-Ultrapeers", test_full_server_gives_try_list},
    {"raw gtk-gnutella client gets our 200", test_raw_gtkg_client},
    {"403 without X-Ultrapeer, 503 when full", test_refusals},
    {"remote answers: 429, 409, 403, junk, 200", test_remote_answers},
    {"outgoing step deadline (manual clock)", test_deadline_outgoing},
    {"incoming step deadline, freed in done", test_deadline_incoming},
    {"oversize header block closes", test_oversize_block},
    {"freed before done: no callback", test_free_before_done},
    {"TLS upgrade between two of ours", test_tls_upgrade_pair},
    {"TLS offer ignored without a certificate", test_tls_offer_ignored},
    {"gtk-gnutella's Upgrade: TLS/1.0 taken", test_tls_gtkg_upgrade},
    {"a failed TLS upgrade drops the link", test_tls_failed_upgrade_drops},
    {"TLS from the first byte to our listener", test_tls_first_dial},
    {"TLS-first to a plain host: tls_failed", test_tls_first_refused},
    {"Upgrade without Connection: Upgrade: plain", test_tls_upgrade_without_connection},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("handshake", tests)
