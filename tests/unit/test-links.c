/* test-links.c: the link set (links.h) over real loopback sockets, several
 * gnut_links on one main context, each listening one with a real
 * gnut_listener that hands "GNUTELLA CONNECT/" connections to
 * gnut_links_accept as the servent does. Covered: a peer dialed by
 * add_peer and tick comes up on both sides (handlers, count, lookup, ids,
 * nodes, handshake_seen, our address learned), messages reach the owner,
 * refusals of ourselves (409 "Connected to self") and of a peer past
 * max_ultrapeers (503 with X-Try-Ultrapeers) with the not-now back-off, the
 * back-off after failed dials, bye_all closing both sides, and hosts given
 * by dial_cached reported and forgotten.
 *
 * Waits iterate the main context until a condition holds (a generous guard
 * only turns a hang into a failure); back-off runs on manual clocks, driven
 * by explicit ticks. A raw client in a thread speaks the handshake by hand
 * where a header the links never send (GUID) must be shown. */
#include "gnut/core/links/links.h"
#include "gnut/net/listener.h"
#include "gnut/net/tls.h"
#include "unit.h"

#include <gio/gio.h>
#include <string.h>

#define GUARD_MS 20000
#define SEC      ((gint64)G_USEC_PER_SEC)
#define START_US ((gint64)1000 * SEC)

/* One gnut_links and what its handlers saw. */
typedef struct {
	gnut_links *links;
	gnut_clock *clock; /* manual, or the system one */
	gnut_guid guid;
	gnut_listener *listener; /* NULL: this side only dials */
	guint16 port;
	GPtrArray *up;     /* gnut_node* (referenced) from the up handler */
	GPtrArray *closed; /* gnut_node* (referenced) from the closed handler */
	guint16 closed_bye_code;
	GPtrArray *seen;          /* gnut_handshake_peer* copies from handshake_seen */
	GPtrArray *msgs;          /* GBytes: header + payload from the message handler */
	GPtrArray *pinged;        /* gnut_guid* from ping_sent */
	GPtrArray *cache_results; /* "host:port ok|failed" from cache_dial_result */
	GPtrArray *tls_failed;    /* "host:port" from cache_tls_failed */
} side;

static void on_message(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
                       gpointer data)
{
	side *s = data;
	GByteArray *m = g_byte_array_new();
	gnut_msg_append(m, &h->guid, h->type, h->ttl, h->hops, payload, h->length);
	g_ptr_array_add(s->msgs, g_byte_array_free_to_bytes(m));
}

static void on_up(gnut_node *node, gpointer data)
{
	side *s = data;
	g_ptr_array_add(s->up, gnut_node_ref(node));
}

static void on_closed(gnut_node *node, gpointer data)
{
	side *s = data;
	/* the node is still one of the links during the call */
	CU_ASSERT_PTR_EQUAL(gnut_links_lookup(s->links, gnut_node_get_id(node)), node);
	s->closed_bye_code = gnut_node_get_bye_code(node);
	g_ptr_array_add(s->closed, gnut_node_ref(node));
}

static void on_ping_sent(gnut_node *node, const gnut_guid *guid, gpointer data)
{
	side *s = data;
	g_ptr_array_add(s->pinged, g_memdup2(guid, sizeof *guid));
}

static void peer_free(gpointer p)
{
	gnut_handshake_peer_clear(p);
	g_free(p);
}

static void on_handshake_seen(const gnut_handshake_peer *peer, gpointer data)
{
	side *s = data;
	gnut_handshake_peer *copy = g_new0(gnut_handshake_peer, 1);
	gnut_handshake_peer_copy(peer, copy);
	g_ptr_array_add(s->seen, copy);
}

static void on_cache_dial_result(const char *host_port, gboolean ok, gpointer data)
{
	side *s = data;
	g_ptr_array_add(s->cache_results,
	                g_strdup_printf("%s %s", host_port, ok ? "ok" : "failed"));
}

static void on_cache_tls_failed(const char *host_port, gpointer data)
{
	side *s = data;
	g_ptr_array_add(s->tls_failed, g_strdup(host_port));
}

static const gnut_links_handlers handlers = {
    .message = on_message,
    .up = on_up,
    .closed = on_closed,
    .ping_sent = on_ping_sent,
    .handshake_seen = on_handshake_seen,
    .cache_dial_result = on_cache_dial_result,
    .cache_tls_failed = on_cache_tls_failed,
};

static void on_accept(gnut_listener *listener, gnut_conn *conn, const char *first_line,
                      gpointer data)
{
	side *s = data;
	if (g_str_has_prefix(first_line, "GNUTELLA CONNECT/")) {
		gnut_links_accept(s->links, conn);
		return;
	}
	gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
}

/* A link set with this GUID (NULL: a fresh one), on a manual clock or the
 * system's, listening on 127.0.0.1 or not at all, an ultrapeer or a leaf,
 * with these caps (0: the defaults), TLS on with tls_cert (NULL: off). */
static void side_init_tls(side *s, const gnut_guid *guid, gboolean manual_clock, gboolean listen,
                          gboolean ultrapeer, guint max_ultrapeers, guint max_leaves,
                          GTlsCertificate *tls_cert)
{
	memset(s, 0, sizeof *s);
	s->clock = manual_clock ? gnut_clock_manual_new(START_US) : gnut_clock_system();
	if (guid != NULL)
		s->guid = *guid;
	else
		gnut_guid_generate(&s->guid);
	s->up = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_node_unref);
	s->closed = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_node_unref);
	s->seen = g_ptr_array_new_with_free_func(peer_free);
	s->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	s->pinged = g_ptr_array_new_with_free_func(g_free);
	s->cache_results = g_ptr_array_new_with_free_func(g_free);
	s->tls_failed = g_ptr_array_new_with_free_func(g_free);
	gnut_links_config cfg = {
	    .clock = s->clock,
	    .guid = s->guid,
	    .ultrapeer = ultrapeer,
	    .max_ultrapeers = max_ultrapeers,
	    .max_leaves = max_leaves,
	    .tls_cert = tls_cert,
	};
	s->links = gnut_links_new(&cfg, &handlers, s);
	if (!listen)
		return;
	gnut_listener_config lc = {.address = "127.0.0.1", .port = 0};
	GError *err = NULL;
	s->listener = gnut_listener_new(&lc, on_accept, s, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->listener);
	s->port = gnut_listener_get_port(s->listener);
	gnut_links_set_self(s->links, 0x7f000001, s->port);
}

static void side_init_mode(side *s, const gnut_guid *guid, gboolean manual_clock, gboolean listen,
                           gboolean ultrapeer, guint max_ultrapeers, guint max_leaves)
{
	side_init_tls(s, guid, manual_clock, listen, ultrapeer, max_ultrapeers, max_leaves, NULL);
}

/* An ultrapeer's link set (see side_init_tls), max_links its cap of
 * ultrapeers and of leaves. */
static void side_init(side *s, const gnut_guid *guid, gboolean manual_clock, gboolean listen,
                      guint max_links)
{
	side_init_mode(s, guid, manual_clock, listen, TRUE, max_links, max_links);
}

/* Lets callbacks of what was just freed or cancelled run out. */
static void drain_loop(void)
{
	for (int i = 0; i < 50; i++)
		while (g_main_context_iteration(NULL, FALSE))
			;
}

/* The nodes' references are dropped first: freeing the set then cuts its
 * links, and no node outlives the set whose handlers it calls. */
static void side_clear(side *s)
{
	g_ptr_array_set_size(s->up, 0);
	g_ptr_array_set_size(s->closed, 0);
	gnut_links_free(s->links);
	if (s->listener != NULL)
		gnut_listener_free(s->listener);
	drain_loop();
	g_ptr_array_unref(s->up);
	g_ptr_array_unref(s->closed);
	g_ptr_array_unref(s->seen);
	g_ptr_array_unref(s->msgs);
	g_ptr_array_unref(s->pinged);
	g_ptr_array_unref(s->cache_results);
	g_ptr_array_unref(s->tls_failed);
	gnut_clock_free(s->clock);
}

static char *address_of(const side *s)
{
	return g_strdup_printf("127.0.0.1:%u", s->port);
}

static void tick(side *s)
{
	gnut_links_tick(s->links, gnut_clock_now_us(s->clock));
}

/* ---- conditions ---- */

typedef struct {
	GPtrArray *list;
	guint n;
} list_wait;

static gboolean has_n(gpointer data)
{
	list_wait *w = data;
	return w->list->len >= w->n;
}

static gboolean wait_len(GPtrArray *list, guint n)
{
	list_wait w = {list, n};
	return gnut_unit_run_until(has_n, &w, GUARD_MS);
}

static gboolean not_dialing(gpointer data)
{
	return gnut_links_dialing(((side *)data)->links, FALSE) == 0;
}

typedef struct {
	side *a, *b;
} pair;

static gboolean both_up(gpointer data)
{
	pair *p = data;
	return p->a->up->len >= 1 && p->b->up->len >= 1;
}

/* a dials b (add_peer + tick) and both see the link up. */
static void link_up(side *a, side *b)
{
	g_autofree char *where = address_of(b);
	gnut_links_add_peer(a->links, where);
	tick(a);
	pair p = {a, b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_up, &p, GUARD_MS));
}

/* The message s's owner received with this GUID, or NULL. */
static GBytes *find_msg(side *s, const gnut_guid *guid)
{
	for (guint i = 0; i < s->msgs->len; i++) {
		GBytes *m = g_ptr_array_index(s->msgs, i);
		if (memcmp(g_bytes_get_data(m, NULL), guid->bytes, GNUT_GUID_LEN) == 0)
			return m;
	}
	return NULL;
}

typedef struct {
	side *s;
	const gnut_guid *guid;
} msg_wait;

static gboolean has_msg(gpointer data)
{
	msg_wait *w = data;
	return find_msg(w->s, w->guid) != NULL;
}

/* ---- a raw client, for headers the links never send ---- */

typedef struct {
	guint16 port;
	char *request;
	GString *response; /* the status line and headers, up to the empty line */
	gint done;
} raw_client;

static gpointer raw_client_run(gpointer data)
{
	raw_client *c = data;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_to_host(client, "127.0.0.1", c->port, NULL, NULL);
	if (conn != NULL) {
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
		GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
		g_output_stream_write_all(out, c->request, strlen(c->request), NULL, NULL, NULL);
		char ch;
		while (!g_str_has_suffix(c->response->str, "\r\n\r\n") &&
		       g_input_stream_read(in, &ch, 1, NULL, NULL) == 1)
			g_string_append_c(c->response, ch);
	}
	g_atomic_int_set(&c->done, 1);
	return NULL;
}

static gboolean raw_done(gpointer data)
{
	return g_atomic_int_get(&((raw_client *)data)->done) != 0;
}

/* Sends request to 127.0.0.1:port from a thread while the loop runs; the
 * response head it got (free it). */
static char *raw_handshake(guint16 port, const char *request)
{
	raw_client c = {.port = port, .request = (char *)request, .response = g_string_new(NULL)};
	GThread *t = g_thread_new("raw-client", raw_client_run, &c);
	CU_ASSERT_TRUE(gnut_unit_run_until(raw_done, &c, GUARD_MS));
	g_thread_join(t);
	drain_loop();
	return g_string_free(c.response, FALSE);
}

/* ---- the tests ---- */

static void test_link_up_both_sides(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	g_autofree char *where = address_of(&b);
	gnut_links_add_peer(a.links, where);
	CU_ASSERT_TRUE(gnut_links_has_peer(a.links, where));
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0); /* dials wait for a tick */
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 1);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, TRUE), 0); /* not a cached host */
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_up, &p, GUARD_MS));
	side *sides[] = {&a, &b};
	for (guint i = 0; i < 2; i++) {
		side *s = sides[i];
		CU_ASSERT_EQUAL(s->up->len, 1);
		CU_ASSERT_EQUAL(gnut_links_count(s->links), 1);
		guint n = 0;
		const guint64 *ids = gnut_links_ids(s->links, &n);
		CU_ASSERT_EQUAL_FATAL(n, 1);
		gnut_node *node = g_ptr_array_index(s->up, 0);
		CU_ASSERT_NOT_EQUAL(ids[0], 0);
		CU_ASSERT_EQUAL(gnut_node_get_id(node), ids[0]);
		CU_ASSERT_PTR_EQUAL(gnut_links_lookup(s->links, ids[0]), node);
		CU_ASSERT_PTR_NULL(gnut_links_lookup(s->links, ids[0] + 1));
		g_autoptr(GPtrArray) nodes = gnut_links_nodes(s->links);
		CU_ASSERT_EQUAL_FATAL(nodes->len, 1);
		CU_ASSERT_PTR_EQUAL(g_ptr_array_index(nodes, 0), node);
		CU_ASSERT_TRUE(gnut_node_is_ultrapeer(node));
		CU_ASSERT_TRUE(g_str_has_prefix(gnut_node_get_user_agent(node), "gnutd/"));
		/* the finished handshake was shown to the owner */
		CU_ASSERT_EQUAL_FATAL(s->seen->len, 1);
		const gnut_handshake_peer *seen = g_ptr_array_index(s->seen, 0);
		CU_ASSERT_TRUE(seen->has_ultrapeer && seen->ultrapeer);
		/* the node sent its opening ping */
		CU_ASSERT_TRUE(s->pinged->len >= 1);
	}
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	/* b said where it listens: a's node for it names that address */
	gnut_node *to_b = g_ptr_array_index(a.up, 0);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_host(to_b), "127.0.0.1");
	CU_ASSERT_EQUAL(gnut_node_get_port(to_b), b.port);
	const gnut_handshake_peer *b_seen = g_ptr_array_index(a.seen, 0);
	CU_ASSERT_STRING_EQUAL(b_seen->listen_ip, "127.0.0.1");
	CU_ASSERT_EQUAL(b_seen->listen_port, b.port);
	/* a listens nowhere it knows of: it learned its address from b */
	CU_ASSERT_EQUAL(gnut_links_self_ipv4(a.links), 0x7f000001);
	/* a tick with the link up dials nothing more */
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	CU_ASSERT_EQUAL(gnut_links_count(a.links), 1);
	side_clear(&a);
	side_clear(&b);
}

/* A side whose links neither offer nor accept deflate links uncompressed
 * with one that compresses: neither direction deflates, and the other side
 * saw no Accept-Encoding. */
static void test_no_compression(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	gnut_links_free(a.links);
	gnut_links_config cfg = {
	    .clock = a.clock, .guid = a.guid, .ultrapeer = TRUE, .no_compression = TRUE};
	a.links = gnut_links_new(&cfg, &handlers, &a);
	g_autofree char *where = address_of(&b);
	gnut_links_add_peer(a.links, where);
	tick(&a);
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_up, &p, GUARD_MS));
	side *sides[] = {&a, &b};
	for (guint i = 0; i < 2; i++) {
		const gnut_handshake_peer *peer =
		    gnut_node_get_peer(g_ptr_array_index(sides[i]->up, 0));
		CU_ASSERT_FALSE(peer->deflate_in);
		CU_ASSERT_FALSE(peer->deflate_out);
	}
	const gnut_handshake_peer *a_seen_by_b = g_ptr_array_index(b.seen, 0);
	CU_ASSERT_FALSE(a_seen_by_b->accepts_deflate);
	const gnut_handshake_peer *b_seen_by_a = g_ptr_array_index(a.seen, 0);
	CU_ASSERT_TRUE(b_seen_by_a->accepts_deflate);
	side_clear(&a);
	side_clear(&b);
}

/* What a node receives goes to its owner's message handler: a's opening
 * ping (the GUID ping_sent told a), then a message a sends. */
static void test_messages_reach_owner(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	link_up(&a, &b);
	CU_ASSERT_TRUE_FATAL(a.pinged->len >= 1);
	const gnut_guid *a_ping = g_ptr_array_index(a.pinged, 0);
	msg_wait ping = {&b, a_ping};
	CU_ASSERT_TRUE(gnut_unit_run_until(has_msg, &ping, GUARD_MS));
	gsize len = 0;
	const guint8 *got = g_bytes_get_data(find_msg(&b, a_ping), &len);
	CU_ASSERT_EQUAL(got != NULL ? got[GNUT_GUID_LEN] : 0xff, GNUT_MSG_PING);
	gnut_node *to_b = g_ptr_array_index(a.up, 0);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	static const guint8 payload[] = {'h', 'e', 'l', 'l', 'o'};
	CU_ASSERT_TRUE(gnut_node_send_msg(to_b, &guid, GNUT_MSG_VENDOR, 1, 0, payload,
	                                  sizeof payload, GNUT_PRIO_CONTROL));
	msg_wait mine = {&b, &guid};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(has_msg, &mine, GUARD_MS));
	got = g_bytes_get_data(find_msg(&b, &guid), &len);
	CU_ASSERT_EQUAL_FATAL(len, GNUT_MSG_HEADER_LEN + sizeof payload);
	CU_ASSERT_EQUAL(got[GNUT_GUID_LEN], GNUT_MSG_VENDOR);
	CU_ASSERT_EQUAL(memcmp(got + GNUT_MSG_HEADER_LEN, payload, sizeof payload), 0);
	side_clear(&a);
	side_clear(&b);
}

static gboolean both_closed(gpointer data)
{
	pair *p = data;
	return p->a->closed->len >= 1 && p->b->closed->len >= 1;
}

static void test_bye_all(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	link_up(&a, &b);
	gnut_links_bye_all(a.links);
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_closed, &p, GUARD_MS));
	CU_ASSERT_EQUAL(a.closed->len, 1);
	CU_ASSERT_EQUAL(b.closed->len, 1);
	CU_ASSERT_PTR_EQUAL(g_ptr_array_index(a.closed, 0), g_ptr_array_index(a.up, 0));
	CU_ASSERT_PTR_EQUAL(g_ptr_array_index(b.closed, 0), g_ptr_array_index(b.up, 0));
	CU_ASSERT_EQUAL(gnut_links_count(a.links), 0);
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 0);
	guint n = 1;
	gnut_links_ids(a.links, &n);
	CU_ASSERT_EQUAL(n, 0);
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(b.links);
	CU_ASSERT_EQUAL(nodes->len, 0);
	/* a --peer host stays known, to be dialed again later */
	g_autofree char *where = address_of(&b);
	CU_ASSERT_TRUE(gnut_links_has_peer(a.links, where));
	side_clear(&a);
	side_clear(&b);
}

/* The Bye of bye_all reaches the peer although messages were still coming
 * from it (its opening ones, here): the peer's link closes on "peer said
 * bye: 200", not on a connection reset that loses the Bye. */
static void test_bye_heard(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	link_up(&a, &b);
	gnut_links_bye_all(a.links);
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_closed, &p, GUARD_MS));
	gnut_node *a_at_b = g_ptr_array_index(b.closed, 0);
	CU_ASSERT_EQUAL(b.closed_bye_code, 200);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_close_reason(a_at_b),
	                       "peer said bye: 200 Servent shutdown");
	side_clear(&a);
	side_clear(&b);
}

/* A peer announcing our own GUID (as another servent's header would) is
 * refused with 409 "Connected to self". */
static void test_self_refused_raw(void)
{
	side b;
	side_init(&b, NULL, FALSE, TRUE, 0);
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&b.guid, hex);
	g_autofree char *request = g_strdup_printf("GNUTELLA CONNECT/0.6\r\n"
	                                           "User-Agent: raw/1.0\r\n"
	                                           "X-Ultrapeer: True\r\n"
	                                           "GUID: %s\r\n\r\n",
	                                           hex);
	g_autofree char *response = raw_handshake(b.port, request);
	CU_ASSERT_TRUE(g_str_has_prefix(response, "GNUTELLA/0.6 409 Connected to self\r\n"));
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 0);
	CU_ASSERT_EQUAL(b.up->len, 0);
	side_clear(&b);
}

/* A link set with the listener's own GUID is that servent dialing itself:
 * refused ("Connected to self", 409), and the dialer backs off as after
 * any "not now" refusal (GNUT_LINKS_NOT_NOW_S). */
static void test_self_refused(void)
{
	side b, c;
	side_init(&b, NULL, FALSE, TRUE, 0);
	side_init(&c, &b.guid, TRUE, FALSE, 0);
	g_autofree char *where = address_of(&b);
	gnut_links_add_peer(c.links, where);
	tick(&c);
	CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 1);
	CU_ASSERT_TRUE(wait_len(c.seen, 1));
	CU_ASSERT_TRUE(gnut_unit_run_until(not_dialing, &c, GUARD_MS));
	CU_ASSERT_EQUAL(gnut_links_count(c.links), 0);
	CU_ASSERT_EQUAL(c.up->len, 0);
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 0);
	CU_ASSERT_EQUAL(b.up->len, 0);
	if (gnut_links_count(c.links) == 0) {
		/* backed off: not redialed at once, nor after the ordinary
		 * back-off, only once the not-now wait passed */
		tick(&c);
		CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 0);
		gnut_clock_manual_advance(c.clock, GNUT_LINKS_BACKOFF_MIN_S * SEC);
		tick(&c);
		CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 0);
		gnut_clock_manual_advance(c.clock,
		                          (GNUT_LINKS_NOT_NOW_S - GNUT_LINKS_BACKOFF_MIN_S) * SEC);
		tick(&c);
		CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 1);
		CU_ASSERT_TRUE(wait_len(c.seen, 2));
		CU_ASSERT_EQUAL(gnut_links_count(c.links), 0);
	}
	side_clear(&c);
	side_clear(&b);
}

static void test_max_links(void)
{
	side a, b, c;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 1);
	side_init(&c, NULL, TRUE, FALSE, 0);
	link_up(&a, &b);
	/* on the wire: 503, naming the ultrapeer b is linked to */
	gnut_node *a_at_b = g_ptr_array_index(b.up, 0);
	g_autofree char *a_addr =
	    g_strdup_printf("%s:%u", gnut_node_get_host(a_at_b), gnut_node_get_port(a_at_b));
	g_autofree char *response = raw_handshake(b.port, "GNUTELLA CONNECT/0.6\r\n"
	                                                  "User-Agent: raw/1.0\r\n"
	                                                  "X-Ultrapeer: True\r\n\r\n");
	CU_ASSERT_TRUE(g_str_has_prefix(response, "GNUTELLA/0.6 503 "));
	g_autofree char *tries = g_strdup_printf("X-Try-Ultrapeers: %s\r\n", a_addr);
	CU_ASSERT_PTR_NOT_NULL(strstr(response, tries));
	/* a link set dialing b: refused, shown the hosts to try instead */
	g_autofree char *where = address_of(&b);
	gnut_links_add_peer(c.links, where);
	tick(&c);
	CU_ASSERT_TRUE_FATAL(wait_len(c.seen, 1));
	CU_ASSERT_TRUE(gnut_unit_run_until(not_dialing, &c, GUARD_MS));
	CU_ASSERT_EQUAL(gnut_links_count(c.links), 0);
	CU_ASSERT_EQUAL(c.up->len, 0);
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 1);
	const gnut_handshake_peer *seen = g_ptr_array_index(c.seen, 0);
	CU_ASSERT_TRUE(g_strv_contains((const char *const *)seen->try_ultrapeers, a_addr));
	/* "not now": no redial before GNUT_LINKS_NOT_NOW_S */
	tick(&c);
	CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 0);
	gnut_clock_manual_advance(c.clock, GNUT_LINKS_BACKOFF_MIN_S * SEC);
	tick(&c);
	CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 0);
	gnut_clock_manual_advance(c.clock, (GNUT_LINKS_NOT_NOW_S - GNUT_LINKS_BACKOFF_MIN_S) * SEC);
	tick(&c);
	CU_ASSERT_EQUAL(gnut_links_dialing(c.links, FALSE), 1);
	CU_ASSERT_TRUE(wait_len(c.seen, 2));
	CU_ASSERT_TRUE(gnut_unit_run_until(not_dialing, &c, GUARD_MS));
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 1);
	side_clear(&c);
	side_clear(&a);
	side_clear(&b);
}

/* up and leaf dial the ultrapeer hub: one link of each role. */
static void link_one_of_each(side *hub, side *up, side *leaf)
{
	link_up(up, hub);
	link_up(leaf, hub);
	CU_ASSERT_TRUE_FATAL(wait_len(hub->up, 2));
	CU_ASSERT_EQUAL(gnut_links_count_role(hub->links, FALSE), 1);
	CU_ASSERT_EQUAL(gnut_links_count_role(hub->links, TRUE), 1);
}

/* Leaves have slots of their own: with its one ultrapeer link taken, an
 * ultrapeer still takes a leaf, then refuses the next leaf and another
 * ultrapeer, each with 503 naming the cap that is full. */
static void test_leaf_slots(void)
{
	side a, b, l1, l2;
	side_init_mode(&b, NULL, FALSE, TRUE, TRUE, 1, 1);
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init_mode(&l1, NULL, FALSE, FALSE, FALSE, 0, 0);
	side_init_mode(&l2, NULL, TRUE, FALSE, FALSE, 0, 0);
	link_one_of_each(&b, &a, &l1);
	g_autofree char *where = address_of(&b);
	gnut_links_add_peer(l2.links, where);
	tick(&l2);
	CU_ASSERT_TRUE(gnut_unit_run_until(not_dialing, &l2, GUARD_MS));
	CU_ASSERT_EQUAL(gnut_links_count(l2.links), 0);
	CU_ASSERT_EQUAL(gnut_links_refused_full(b.links), 1);
	g_autofree char *response = raw_handshake(b.port, "GNUTELLA CONNECT/0.6\r\n"
	                                                  "User-Agent: raw/1.0\r\n"
	                                                  "X-Ultrapeer: True\r\n\r\n");
	CU_ASSERT_TRUE(g_str_has_prefix(response, "GNUTELLA/0.6 503 Ultrapeer links full (1)\r\n"));
	g_autofree char *leaf = raw_handshake(b.port, "GNUTELLA CONNECT/0.6\r\n"
	                                              "User-Agent: raw/1.0\r\n"
	                                              "X-Ultrapeer: False\r\n\r\n");
	CU_ASSERT_TRUE(g_str_has_prefix(leaf, "GNUTELLA/0.6 503 Leaf slots full (1)\r\n"));
	CU_ASSERT_EQUAL(gnut_links_refused_full(b.links), 3);
	CU_ASSERT_EQUAL(gnut_links_count(b.links), 2);
	side_clear(&l2);
	side_clear(&l1);
	side_clear(&a);
	side_clear(&b);
}

static gboolean all_closed(gpointer data)
{
	return gnut_links_count(((side *)data)->links) == 0;
}

/* A role change (the owner's, here by hand): every link hears Bye 203 and
 * goes, each uncounted from the role it came up in; the new role's rules
 * apply at once (a leaf refuses a leaf). */
static void test_role_change(void)
{
	side a, u, l;
	side_init(&a, NULL, FALSE, TRUE, 0);
	side_init(&u, NULL, FALSE, FALSE, 0);
	side_init_mode(&l, NULL, FALSE, FALSE, FALSE, 0, 0);
	link_one_of_each(&a, &u, &l);
	CU_ASSERT_TRUE(gnut_links_is_ultrapeer(a.links));
	gnut_links_set_ultrapeer(a.links, FALSE, "Becoming a leaf node");
	CU_ASSERT_FALSE(gnut_links_is_ultrapeer(a.links));
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(all_closed, &a, GUARD_MS));
	CU_ASSERT_TRUE_FATAL(wait_len(l.closed, 1));
	CU_ASSERT_EQUAL(l.closed_bye_code, GNUT_LINKS_ROLE_BYE_CODE);
	CU_ASSERT_STRING_EQUAL(gnut_node_get_close_reason(g_ptr_array_index(l.closed, 0)),
	                       "peer said bye: 203 Becoming a leaf node");
	CU_ASSERT_EQUAL(gnut_links_count_role(a.links, TRUE), 0);
	CU_ASSERT_EQUAL(gnut_links_count_role(a.links, FALSE), 0);
	g_autofree char *leaf = raw_handshake(a.port, "GNUTELLA CONNECT/0.6\r\n"
	                                              "User-Agent: raw/1.0\r\n"
	                                              "X-Ultrapeer: False\r\n\r\n");
	CU_ASSERT_TRUE(g_str_has_prefix(leaf, "GNUTELLA/0.6 503 Shielded leaf node\r\n"));
	side_clear(&l);
	side_clear(&u);
	side_clear(&a);
}

typedef struct {
	side *s;
	guint n;
} count_wait;

static gboolean has_links(gpointer data)
{
	count_wait *w = data;
	return gnut_links_count(w->s->links) >= w->n && gnut_links_dialing(w->s->links, FALSE) == 0;
}

/* Dials under way hold ultrapeer slots: four hosts to keep, a cap of two,
 * two dials and two links, never more. */
static void test_dials_counted(void)
{
	side a, hosts[4];
	side_init(&a, NULL, FALSE, FALSE, 2);
	for (guint i = 0; i < G_N_ELEMENTS(hosts); i++) {
		side_init(&hosts[i], NULL, FALSE, TRUE, 0);
		g_autofree char *where = address_of(&hosts[i]);
		gnut_links_add_peer(a.links, where);
	}
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 2);
	count_wait w = {&a, 2};
	CU_ASSERT_TRUE(gnut_unit_run_until(has_links, &w, GUARD_MS));
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	CU_ASSERT_EQUAL(gnut_links_count(a.links), 2);
	side_clear(&a);
	for (guint i = 0; i < G_N_ELEMENTS(hosts); i++)
		side_clear(&hosts[i]);
}

/* A loopback port nobody listens on: bound, then closed. */
static guint16 dead_port(void)
{
	g_autoptr(GSocket) sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	CU_ASSERT_TRUE(g_socket_bind(sock, addr, FALSE, NULL));
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_socket_close(sock, NULL);
	return port;
}

/* One dial of s that fails: a tick starts it, the loop runs it out. */
static void dial_fails(side *s)
{
	tick(s);
	CU_ASSERT_EQUAL(gnut_links_dialing(s->links, FALSE), 1);
	CU_ASSERT_TRUE(gnut_unit_run_until(not_dialing, s, GUARD_MS));
}

static void test_backoff_after_failed_dials(void)
{
	side a;
	side_init(&a, NULL, TRUE, FALSE, 0);
	g_autofree char *where = g_strdup_printf("127.0.0.1:%u", dead_port());
	gnut_links_add_peer(a.links, where);
	dial_fails(&a);
	CU_ASSERT_TRUE(gnut_links_has_peer(a.links, where)); /* kept, to retry */
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	gnut_clock_manual_advance(a.clock, GNUT_LINKS_BACKOFF_MIN_S * SEC - 1);
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	gnut_clock_manual_advance(a.clock, 1);
	dial_fails(&a);
	/* a second failure doubles the wait */
	gnut_clock_manual_advance(a.clock, 2 * GNUT_LINKS_BACKOFF_MIN_S * SEC - 1);
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	gnut_clock_manual_advance(a.clock, 1);
	dial_fails(&a);
	/* asking for the host again retries it now */
	gnut_links_add_peer(a.links, where);
	dial_fails(&a);
	/* stopped: nothing is dialed any more */
	gnut_links_stop(a.links);
	gnut_clock_manual_advance(a.clock, GNUT_LINKS_BACKOFF_MAX_S * SEC);
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	side_clear(&a);
}

static gboolean has_cache_result(gpointer data)
{
	return ((side *)data)->cache_results->len > 0;
}

static void test_dial_cached(void)
{
	side a, b;
	side_init(&a, NULL, FALSE, FALSE, 0);
	side_init(&b, NULL, FALSE, TRUE, 0);
	/* a closed port: reported failed, forgotten */
	g_autofree char *dead = g_strdup_printf("127.0.0.1:%u", dead_port());
	gnut_links_dial_cached(a.links, dead, FALSE);
	CU_ASSERT_TRUE(gnut_links_has_peer(a.links, dead));
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, TRUE), 1);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 1);
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(has_cache_result, &a, GUARD_MS));
	g_autofree char *want = g_strdup_printf("%s failed", dead);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.cache_results, 0), want);
	CU_ASSERT_FALSE(gnut_links_has_peer(a.links, dead));
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, TRUE), 0);
	tick(&a); /* never redialed */
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	/* a live one: reported ok once up, forgotten once its link ends */
	g_ptr_array_set_size(a.cache_results, 0);
	g_autofree char *live = address_of(&b);
	gnut_links_dial_cached(a.links, live, FALSE);
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_up, &p, GUARD_MS));
	CU_ASSERT_EQUAL_FATAL(a.cache_results->len, 1);
	g_autofree char *ok = g_strdup_printf("%s ok", live);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.cache_results, 0), ok);
	CU_ASSERT_TRUE(gnut_links_has_peer(a.links, live));
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, TRUE), 0);
	gnut_links_bye_all(b.links);
	CU_ASSERT_TRUE(gnut_unit_run_until(both_closed, &p, GUARD_MS));
	CU_ASSERT_FALSE(gnut_links_has_peer(a.links, live));
	CU_ASSERT_EQUAL(a.cache_results->len, 1); /* no second report */
	tick(&a);
	CU_ASSERT_EQUAL(gnut_links_dialing(a.links, FALSE), 0);
	side_clear(&a);
	side_clear(&b);
}

/* Time passes for a manual-clock side: deadlines (a TLS handshake's) end. */
static gboolean advance_and_tick(gpointer data)
{
	side *s = data;
	gnut_clock_manual_advance(s->clock, SEC);
	tick(s);
	return G_SOURCE_CONTINUE;
}

static gboolean has_tls_failure(gpointer data)
{
	return ((side *)data)->tls_failed->len > 0;
}

/* A cached host said to speak TLS but plain (b takes no TLS): the dial in
 * TLS from the first byte fails, is reported as such, and the host is
 * dialed again at once in plain text. */
static void test_dial_cached_tls_falls_back(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autoptr(GTlsCertificate) cert = gnut_tls_load_or_create(dir, NULL);
	gnut_unit_rmtree(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
	side a, b;
	side_init_tls(&a, NULL, TRUE, FALSE, TRUE, 0, 0, cert);
	side_init(&b, NULL, FALSE, TRUE, 0);
	g_autofree char *where = address_of(&b);
	gnut_links_dial_cached(a.links, where, TRUE);
	guint ticker = g_timeout_add(20, advance_and_tick, &a);
	gboolean failed = gnut_unit_run_until(has_tls_failure, &a, GUARD_MS);
	g_source_remove(ticker);
	CU_ASSERT_TRUE_FATAL(failed);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.tls_failed, 0), where);
	CU_ASSERT_EQUAL(a.cache_results->len, 0); /* not a failed dial: it goes on */
	pair p = {&a, &b};
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(both_up, &p, GUARD_MS));
	CU_ASSERT_EQUAL_FATAL(a.cache_results->len, 1);
	g_autofree char *ok = g_strdup_printf("%s ok", where);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.cache_results, 0), ok);
	CU_ASSERT_FALSE(gnut_node_get_peer(g_ptr_array_index(a.up, 0))->tls);
	CU_ASSERT_EQUAL(a.tls_failed->len, 1);
	side_clear(&a);
	side_clear(&b);
}

static CU_TestInfo tests[] = {
    {"a dialed peer comes up on both sides", test_link_up_both_sides},
    {"no_compression: links stay uncompressed both ways", test_no_compression},
    {"messages reach the owner", test_messages_reach_owner},
    {"bye_all closes both sides", test_bye_all},
    {"the peer hears the Bye of bye_all", test_bye_heard},
    {"a peer with our GUID is refused (raw)", test_self_refused_raw},
    {"links with our GUID are refused and back off", test_self_refused},
    {"max_ultrapeers refuses with 503 and the dialer backs off", test_max_links},
    {"leaves have slots of their own", test_leaf_slots},
    {"a role change says Bye 203 to every link", test_role_change},
    {"dials under way hold ultrapeer slots", test_dials_counted},
    {"failed dials back off, doubling", test_backoff_after_failed_dials},
    {"cached hosts: reported and forgotten", test_dial_cached},
    {"a cached host's failed TLS is reported, then plain text", test_dial_cached_tls_falls_back},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("links", tests)
