/* servent-links.c: the servent's Gnutella links. It dials the configured
 * peers with back-off, runs handshakes both ways, turns each successful one
 * into a gnut_node, and routes every message a node delivers: the router
 * decides, this file carries the decision out (copies to other links,
 * answers of our own, hits to our searches). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "servent-private.h"

static void dial(gnut_servent *s, servent_peer *peer);

static gnut_prio priority_of(guint8 type)
{
	switch (type) {
	case GNUT_MSG_QUERY:
		return GNUT_PRIO_QUERY;
	case GNUT_MSG_QUERY_HIT:
		return GNUT_PRIO_HIT;
	case GNUT_MSG_PING:
		return GNUT_PRIO_PING;
	case GNUT_MSG_PONG:
		return GNUT_PRIO_PONG;
	default:
		return GNUT_PRIO_CONTROL;
	}
}

static void peer_free(gpointer p)
{
	servent_peer *peer = p;
	g_free(peer->host_port);
	g_free(peer);
}

void servent_links_init(gnut_servent *s)
{
	gnut_router_config rc;
	gnut_router_config_init(&rc);
	rc.servent_guid = s->guid;
	rc.leaf_mode = !s->ultrapeer;
	rc.query_filter = servent_qrp_filter;
	rc.query_filter_data = s;
	s->router = gnut_router_new(s->clock, &rc);
	servent_qrp_init(s);
	servent_dq_init(s);
	gnut_route_decision_init(&s->decision);
	s->nodes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	                                 (GDestroyNotify)gnut_node_unref);
	s->link_ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	s->next_link_id = 1;
	s->pending = g_ptr_array_new();
	s->peers = g_ptr_array_new_with_free_func(peer_free);
}

static void pending_free(servent_pending *p)
{
	gnut_handshake_free(p->hs);
	g_free(p);
}

void servent_links_free(gnut_servent *s)
{
	if (s->router == NULL)
		return; /* the configuration was refused before links existed */
	while (s->pending->len > 0)
		pending_free(g_ptr_array_steal_index(s->pending, s->pending->len - 1));
	g_ptr_array_unref(s->pending);
	g_hash_table_unref(s->nodes);
	g_array_unref(s->link_ids);
	g_ptr_array_unref(s->peers);
	servent_qrp_free(s);
	servent_dq_free(s);
	gnut_route_decision_clear(&s->decision);
	gnut_router_free(s->router);
	if (s->listener != NULL)
		gnut_listener_free(s->listener);
}

guint servent_link_count(gnut_servent *s)
{
	return g_hash_table_size(s->nodes);
}

void servent_responder_self(gnut_servent *s, gnut_responder_self *self)
{
	memset(self, 0, sizeof *self);
	self->ipv4 = s->public_ipv4;
	self->port = s->listen_port;
	self->servent = s->guid;
	self->speed_kbps = 1000;
	self->firewalled = s->firewalled;
}

/* Logs bad input from peers, at most one line a second (with the count of
 * lines held back), so that a hostile peer cannot flood the log. */
void servent_log_bad_input(gnut_servent *s, const char *fmt, ...)
{
	gint64 now = gnut_clock_now_us(s->clock);
	if (s->bad_logged && now - s->bad_log_us < G_USEC_PER_SEC) {
		s->bad_held_back++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (s->bad_held_back > 0)
		g_message("%s (and %u more bad messages)", line, s->bad_held_back);
	else
		g_message("%s", line);
	s->bad_logged = TRUE;
	s->bad_log_us = now;
	s->bad_held_back = 0;
}

/* ---- carrying out routing decisions ---- */

/* Sends copies of a relayed message to the decision's links, one GBytes per
 * distinct TTL shared between the links that get it. */
static void forward(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload,
                    const gnut_route_decision *d)
{
	GBytes *copy = NULL;
	guint8 copy_ttl = 0;
	for (guint i = 0; i < d->dests->len; i++) {
		const gnut_route_dest *dest = &g_array_index(d->dests, gnut_route_dest, i);
		gnut_node *node = g_hash_table_lookup(s->nodes, &dest->link);
		if (node == NULL)
			continue;
		if (copy == NULL || copy_ttl != dest->ttl) {
			if (copy != NULL)
				g_bytes_unref(copy);
			GByteArray *msg = g_byte_array_sized_new(GNUT_MSG_HEADER_LEN + h->length);
			gnut_msg_append(msg, &h->guid, h->type, dest->ttl, d->hops, payload,
			                h->length);
			copy = g_byte_array_free_to_bytes(msg);
			copy_ttl = dest->ttl;
		}
		if (!gnut_node_send(node, copy, priority_of(h->type)))
			s->msgs_dropped++;
	}
	if (copy != NULL)
		g_bytes_unref(copy);
}

static void answer_query(gnut_servent *s, gnut_node *from, const gnut_msg_header *h,
                         const guint8 *payload)
{
	gnut_responder_self self;
	servent_responder_self(s, &self);
	const char *error = NULL;
	g_autoptr(GPtrArray) hits =
	    gnut_responder_hits(&self, s->share, h, payload, h->length, &error);
	if (error != NULL) {
		servent_log_bad_input(s, "link %s: bad query dropped: %s",
		                      gnut_node_get_address(from), error);
		return;
	}
	g_debug("link %s: query answered with %u hit messages", gnut_node_get_address(from),
	        hits->len);
	for (guint i = 0; i < hits->len; i++)
		gnut_node_send(from, g_ptr_array_index(hits, i), GNUT_PRIO_HIT);
}

/* Handles a message the router delivered to us. */
static void deliver(gnut_servent *s, gnut_node *from, const gnut_msg_header *h,
                    const guint8 *payload)
{
	switch (h->type) {
	case GNUT_MSG_PING: {
		gnut_responder_self self;
		servent_responder_self(s, &self);
		g_autoptr(GBytes) pong = gnut_responder_pong(&self, s->share, h);
		gnut_node_send(from, pong, GNUT_PRIO_PONG);
		break;
	}
	case GNUT_MSG_QUERY:
		answer_query(s, from, h, payload);
		break;
	case GNUT_MSG_QUERY_HIT:
		servent_deliver_hit(s, h, payload);
		break;
	case GNUT_QRP_MSG_TYPE:
		servent_qrp_received(s, from, h, payload);
		break;
	case GNUT_MSG_VENDOR:
		servent_dq_vendor(s, from, h, payload);
		break;
	case GNUT_MSG_PONG:
		servent_hosts_learn_pong(s, h, payload);
		break;
	case GNUT_MSG_PUSH:
		servent_push_received(s, h, payload);
		break;
	default:
		break; /* unknown types */
	}
}

static void on_node_message(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
                            gpointer user_data)
{
	gnut_servent *s = user_data;
	gnut_msg_in in = {
	    .guid = h->guid,
	    .type = h->type,
	    .ttl = h->ttl,
	    .hops = h->hops,
	    .payload = payload,
	    .payload_len = h->length,
	};
	gnut_router_decide(s->router, gnut_node_get_id(node), &in, (guint64 *)s->link_ids->data,
	                   s->link_ids->len, &s->decision);
	if (s->decision.flags == 0) {
		s->msgs_dropped++;
		g_debug("link %s: %s dropped: %s", gnut_node_get_address(node),
		        gnut_msg_type_name(h->type), gnut_route_drop_str(s->decision.drop));
		return;
	}
	if (h->type == GNUT_MSG_QUERY_HIT)
		servent_dq_hit_routed(s, h, payload);
	if ((s->decision.flags & GNUT_ROUTE_FORWARD) && h->type == GNUT_MSG_QUERY)
		servent_dq_leaf_query(s, node, &in, &s->decision);
	if (s->decision.flags & GNUT_ROUTE_FORWARD)
		forward(s, h, payload, &s->decision);
	if (s->decision.flags & GNUT_ROUTE_DELIVER_LOCAL)
		deliver(s, node, h, payload);
}

guint servent_originate(gnut_servent *s, const gnut_guid *guid, guint8 type, const guint8 *payload,
                        gsize len)
{
	gnut_msg_in in = {
	    .guid = *guid,
	    .type = type,
	    .ttl = GNUT_SERVENT_QUERY_TTL,
	    .hops = 0,
	    .payload = payload,
	    .payload_len = len,
	};
	gnut_router_originate(s->router, &in, (guint64 *)s->link_ids->data, s->link_ids->len,
	                      &s->decision);
	if (!(s->decision.flags & GNUT_ROUTE_FORWARD))
		return 0;
	gnut_msg_header h = {.guid = *guid, .type = type, .length = (uint32_t)len};
	forward(s, &h, payload, &s->decision);
	return s->decision.dests->len;
}

/* ---- links ---- */

static servent_peer *peer_of_link(gnut_servent *s, guint64 link)
{
	for (guint i = 0; i < s->peers->len; i++) {
		servent_peer *peer = g_ptr_array_index(s->peers, i);
		if (peer->link == link)
			return peer;
	}
	return NULL;
}

static void schedule_retry(gnut_servent *s, servent_peer *peer, guint at_least_s)
{
	guint backoff = GNUT_SERVENT_BACKOFF_MIN_S;
	for (guint i = 1; i < peer->failures && backoff < GNUT_SERVENT_BACKOFF_MAX_S; i++)
		backoff *= 2;
	backoff = MIN(MAX(backoff, at_least_s), GNUT_SERVENT_BACKOFF_MAX_S);
	peer->next_try_us = gnut_clock_now_us(s->clock) + (gint64)backoff * G_USEC_PER_SEC;
}

/* A dial to a host of the host cache ended badly, or its link closed: the
 * cache decides when to try it again, so the peer entry goes. */
static void forget_cached_peer(gnut_servent *s, servent_peer *peer, gboolean failed)
{
	if (failed)
		servent_hosts_dial_result(s, peer->host_port, FALSE);
	g_ptr_array_remove_fast(s->peers, peer);
}

static void remove_link_id(gnut_servent *s, guint64 id)
{
	for (guint i = 0; i < s->link_ids->len; i++)
		if (g_array_index(s->link_ids, guint64, i) == id) {
			g_array_remove_index_fast(s->link_ids, i);
			return;
		}
}

static void on_node_closed(gnut_node *node, const char *reason, gpointer user_data)
{
	gnut_servent *s = user_data;
	guint64 id = gnut_node_get_id(node);
	g_message("link %s closed: %s", gnut_node_get_address(node), reason);
	gnut_router_link_closed(s->router, id);
	servent_qrp_link_closed(s, id);
	servent_dq_link_closed(s, id);
	remove_link_id(s, id);
	servent_peer *peer = peer_of_link(s, id);
	if (peer != NULL && peer->from_cache) {
		forget_cached_peer(s, peer, FALSE);
	} else if (peer != NULL) {
		peer->link = 0;
		peer->failures = 1;
		schedule_retry(s, peer, 0);
	}
	g_hash_table_remove(s->nodes, &id);
}

static void on_ping_sent(gnut_node *node, const gnut_guid *guid, gpointer user_data)
{
	gnut_servent *s = user_data;
	gnut_router_note_own(s->router, guid, GNUT_MSG_PING);
}

/* Learns the address peers see us at when we listen on a wildcard address. */
static void learn_public_address(gnut_servent *s, const gnut_handshake_peer *peer)
{
	if (s->public_ipv4 == 0)
		s->public_ipv4 = servent_ipv4_parse(peer->remote_ip);
}

static void add_node(gnut_servent *s, gnut_conn *conn, const gnut_handshake_peer *peer,
                     servent_peer *dialed)
{
	static const gnut_node_handlers handlers = {
	    .message = on_node_message,
	    .closed = on_node_closed,
	    .ping_sent = on_ping_sent,
	};
	gnut_node_config nc = {.id = s->next_link_id++, .clock = s->clock};
	gnut_node *node = gnut_node_new(conn, peer, &nc, &handlers, s);
	guint64 *key = g_new(guint64, 1);
	*key = nc.id;
	g_hash_table_insert(s->nodes, key, node);
	g_array_append_val(s->link_ids, nc.id);
	gnut_route_link facts;
	gnut_route_link_init(&facts);
	facts.leaf = s->ultrapeer && peer->has_ultrapeer && !peer->ultrapeer;
	facts.max_ttl = (guint8)MIN(peer->max_ttl, 255);
	gnut_router_link_set(s->router, nc.id, &facts);
	learn_public_address(s, peer);
	if (dialed != NULL) {
		dialed->link = nc.id;
		dialed->failures = 0;
		if (dialed->from_cache)
			servent_hosts_dial_result(s, dialed->host_port, TRUE);
	}
	g_message("link %s up: %s, %s", gnut_node_get_address(node), gnut_node_get_mode(node),
	          gnut_node_get_user_agent(node));
	gnut_node_start(node);
	servent_qrp_link_up(s, node);
}

static void on_handshake_done(gnut_handshake *hs, const gnut_handshake_result *r,
                              gpointer user_data)
{
	servent_pending *p = user_data;
	gnut_servent *s = p->servent;
	g_ptr_array_remove_fast(s->pending, p);
	const char *addr = gnut_handshake_get_peer_address(hs);
	if (p->peer != NULL)
		p->peer->dialing = FALSE;
	servent_hosts_learn_handshake(s, r->peer);
	if (r->ok) {
		gnut_conn *conn = gnut_handshake_steal_conn(hs);
		add_node(s, conn, r->peer, p->peer);
	} else {
		g_message("handshake with %s failed: %s", addr, r->error);
		if (p->peer != NULL && p->peer->from_cache) {
			forget_cached_peer(s, p->peer, TRUE);
		} else if (p->peer != NULL) {
			p->peer->failures++;
			schedule_retry(s, p->peer, r->not_now ? GNUT_SERVENT_NOT_NOW_S : 0);
		}
	}
	pending_free(p);
}

/* Refuses a second link to a servent we are already linked to (or to
 * ourselves), and any link past max_links, naming our other links so the
 * peer learns where else to go. */
static guint admit_peer(const gnut_handshake_peer *peer, gnut_handshake_dir dir, GString *reason,
                        GString *try_ultrapeers, gpointer user_data)
{
	gnut_servent *s = user_data;
	if (peer->has_guid && gnut_guid_equal(&peer->guid, &s->guid)) {
		g_string_assign(reason, "Connected to self");
		return 409;
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const gnut_handshake_peer *other = gnut_node_get_peer(value);
		if (peer->has_guid && other->has_guid && gnut_guid_equal(&peer->guid, &other->guid))
			return 409;
		if (dir == GNUT_HANDSHAKE_INCOMING && gnut_node_is_ultrapeer(value)) {
			if (try_ultrapeers->len > 0)
				g_string_append(try_ultrapeers, ",");
			g_string_append_printf(try_ultrapeers, "%s:%u", gnut_node_get_host(value),
			                       gnut_node_get_port(value));
		}
	}
	if (dir == GNUT_HANDSHAKE_INCOMING && servent_link_count(s) >= s->max_links)
		return 503;
	return 200;
}

static void start_handshake(gnut_servent *s, gnut_conn *conn, gnut_handshake_dir dir,
                            servent_peer *peer)
{
	gnut_handshake_config hc;
	gnut_handshake_config_init(&hc);
	hc.ultrapeer = s->ultrapeer;
	hc.dynamic_querying = s->ultrapeer; /* servent-dquery.c */
	hc.clock = s->clock;
	hc.admit = admit_peer;
	hc.admit_data = s;
	g_autofree char *listen = NULL;
	if (s->public_ipv4 != 0) {
		char ip[SERVENT_IPV4_LEN];
		servent_ipv4_format(s->public_ipv4, ip);
		listen = g_strdup_printf("%s:%u", ip, s->listen_port);
	}
	hc.listen_addr = listen;
	servent_pending *p = g_new0(servent_pending, 1);
	p->servent = s;
	p->peer = peer;
	g_ptr_array_add(s->pending, p);
	p->hs = gnut_handshake_new(conn, dir, &hc, on_handshake_done, p);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	servent_peer *peer = NULL;
	gnut_servent *s = servent_ticket_redeem(user_data, (gpointer *)&peer);
	if (s == NULL || s->stopped) {
		if (conn != NULL) /* the servent went away meanwhile */
			gnut_conn_unref(conn);
		if (s != NULL)
			peer->dialing = FALSE;
		return;
	}
	if (conn == NULL) {
		g_message("cannot connect to %s: %s", peer->host_port, error->message);
		peer->dialing = FALSE;
		if (peer->from_cache) {
			forget_cached_peer(s, peer, TRUE);
			return;
		}
		peer->failures++;
		schedule_retry(s, peer, 0);
		return;
	}
	start_handshake(s, conn, GNUT_HANDSHAKE_OUTGOING, peer);
}

static void dial(gnut_servent *s, servent_peer *peer)
{
	peer->dialing = TRUE;
	g_message("dialing %s", peer->host_port);
	gnut_conn_connect_async(peer->host_port, GNUT_SERVENT_DEFAULT_PORT,
	                        GNUT_SERVENT_DIAL_TIMEOUT_S, s->cancel, on_connected,
	                        servent_ticket_new(s, peer));
}

gboolean servent_has_peer(gnut_servent *s, const char *host_port)
{
	for (guint i = 0; i < s->peers->len; i++) {
		servent_peer *peer = g_ptr_array_index(s->peers, i);
		if (g_ascii_strcasecmp(peer->host_port, host_port) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Peers being dialed; from_cache_only: only those picked from the cache. */
static guint dialing_count(gnut_servent *s, gboolean from_cache_only)
{
	guint n = 0;
	for (guint i = 0; i < s->peers->len; i++) {
		servent_peer *peer = g_ptr_array_index(s->peers, i);
		if (peer->dialing && (peer->from_cache || !from_cache_only))
			n++;
	}
	return n;
}

guint servent_dialing_count(gnut_servent *s)
{
	return dialing_count(s, FALSE);
}

guint servent_cache_dialing_count(gnut_servent *s)
{
	return dialing_count(s, TRUE);
}

void servent_dial_cached(gnut_servent *s, const char *host_port)
{
	servent_peer *peer = g_new0(servent_peer, 1);
	peer->host_port = g_strdup(host_port);
	peer->from_cache = TRUE;
	g_ptr_array_add(s->peers, peer);
	dial(s, peer);
}

void servent_add_peer(gnut_servent *s, const char *host_port)
{
	for (guint i = 0; i < s->peers->len; i++) {
		servent_peer *peer = g_ptr_array_index(s->peers, i);
		if (g_ascii_strcasecmp(peer->host_port, host_port) == 0) {
			peer->next_try_us = 0; /* asked again: try now */
			return;
		}
	}
	servent_peer *peer = g_new0(servent_peer, 1);
	peer->host_port = g_strdup(host_port);
	g_ptr_array_add(s->peers, peer);
}

void servent_links_tick(gnut_servent *s, gint64 now_us)
{
	servent_dq_tick(s, now_us);
	for (guint i = 0; i < s->pending->len; i++) {
		servent_pending *p = g_ptr_array_index(s->pending, i);
		gnut_handshake_tick(p->hs, now_us);
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		gnut_node_tick(value, now_us);
	for (guint i = 0; i < s->peers->len; i++) {
		servent_peer *peer = g_ptr_array_index(s->peers, i);
		if (peer->link == 0 && !peer->dialing && now_us >= peer->next_try_us &&
		    servent_link_count(s) < s->max_links)
			dial(s, peer);
	}
}

void servent_links_bye_all(gnut_servent *s)
{
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		gnut_node_bye(value, 200, "Servent shutdown");
}

/* Routes a new connection by its first line: the Gnutella handshake, an HTTP
 * request for a shared file, or nothing we serve. */
static void on_accept(gnut_listener *listener, gnut_conn *conn, const char *first_line,
                      gpointer user_data)
{
	gnut_servent *s = user_data;
	if (g_str_has_prefix(first_line, "GNUTELLA CONNECT/")) {
		start_handshake(s, conn, GNUT_HANDSHAKE_INCOMING, NULL);
		return;
	}
	if (servent_take_http(s, conn, first_line))
		return;
	g_autofree char *shown = g_strescape(first_line, NULL);
	g_message("connection from %s refused: unknown request \"%.80s\"", gnut_conn_get_peer(conn),
	          shown);
	gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
}

gboolean servent_listen(gnut_servent *s, GError **error)
{
	gnut_listener_config lc = {.address = s->listen_host, .port = s->listen_port};
	s->listener = gnut_listener_new(&lc, on_accept, s, error);
	if (s->listener == NULL)
		return FALSE;
	s->listen_port = gnut_listener_get_port(s->listener);
	s->public_ipv4 = servent_ipv4_parse(s->listen_host); /* 0 for the wildcard */
	return TRUE;
}
