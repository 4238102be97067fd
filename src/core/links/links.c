/* links.c: the set of Gnutella links (see links.h). Hosts to keep a link to
 * are dialed when due, with a back-off doubling from BACKOFF_MIN_S after
 * each failure (at least NOT_NOW_S after a "not now" refusal); a host from
 * the host cache is dialed once and forgotten. Every connection, ours or a
 * peer's, goes through a handshake; a good one becomes a node under the next
 * link id. Dials run under one GCancellable, cancelled when the set stops or
 * is freed, so a dial's callback never sees a freed set. Each incoming
 * handshake holds a place of its address in a gnut_ip_admit table until it
 * ends.
 *
 * Ultrapeer links and leaf links have caps of their own, and a link on its
 * way counts against the cap of the role it would take: a dial (connecting
 * or in its handshake) an ultrapeer slot, an incoming handshake the slot of
 * the role its headers ask for, once admitted. So dials started together,
 * or peers admitted together, never overshoot a cap. As a leaf, the cap on
 * ultrapeer links is leaf_ultrapeers. The role can change while links run
 * (gnut_links_set_ultrapeer): each link keeps the role it was counted in
 * until it closes. */
#include "config.h"

#include "gnut/core/links/links.h"

#include <string.h>

#include "gnut/base/ip-admit.h"
#include "gnut/base/log-limit.h"
#include "gnut/net/listener.h"
#include "gnut/proto/address.h"
#include "gnut/proto/http-status.h"

/* A host we keep a link to: a --peer, one asked for by `gnut connect`, or
 * one picked from the host cache. */
typedef struct {
	gnut_links *links;
	char *host_port;
	guint64 link;        /* the link to it while up, else 0 */
	gboolean dialing;    /* a connect or handshake is under way */
	gboolean from_cache; /* forgotten when its dial or link ends */
	gboolean speaks_tls; /* its last handshake listed tls (or the host cache
	                        said so): dial it in TLS */
	guint failures;      /* in a row; drives the back-off */
	gint64 next_try_us;
} links_peer;

/* What a link is to us: the caps are per role. */
typedef enum {
	LINK_ROLE_NONE = 0, /* a handshake not admitted (yet) */
	LINK_ROLE_ULTRAPEER,
	LINK_ROLE_LEAF,
} link_role;

/* A handshake under way, and the peer it is for (NULL: incoming). An
 * incoming one holds a place of its address (key) until it ends, and once
 * admitted, a slot of its role. */
typedef struct {
	gnut_links *links;
	gnut_handshake *hs;
	links_peer *peer;
	gboolean held;
	gnut_ip_key key;
	gboolean ip_admitted; /* incoming, admitted: counts against its IP */
	link_role role;       /* incoming, admitted: the slot it holds */
	gboolean refused;     /* by the caps, already logged (rate-limited) */
} links_pending;

struct gnut_links {
	gnut_links_config config;
	gnut_links_handlers handlers;
	gpointer data;
	gboolean ultrapeer; /* our role now */
	GHashTable *roles;  /* guint64* link id -> the link_role it is counted in */
	uint32_t self_ipv4;
	guint16 self_port;
	GCancellable *cancel;
	GHashTable *nodes;         /* guint64* link id -> gnut_node* */
	gnut_ip_admit *link_holds; /* incoming links per address, up or admitted */
	GHashTable *link_keys;     /* guint64* id of an incoming link -> its gnut_ip_key */
	GArray *ids;               /* the keys of nodes */
	guint64 next_id;
	guint ultrapeer_links; /* nodes by role */
	guint leaf_links;
	GPtrArray *pending;          /* links_pending* */
	GPtrArray *peers;            /* links_peer* */
	gnut_ip_admit *admit;        /* incoming handshakes per address */
	guint incoming;              /* incoming handshakes under way */
	guint64 refused_handshakes;  /* closed at once by the caps */
	guint64 refused_full;        /* refused (503) by the caps of their role */
	gnut_log_limit *refusal_log; /* one line a second for those */
};

static void peer_free(gpointer p)
{
	links_peer *peer = p;
	g_free(peer->host_port);
	g_free(peer);
}

static void pending_free(links_pending *p)
{
	if (p->ip_admitted) /* admitted, but no link came of it */
		gnut_ip_admit_release(p->links->link_holds, &p->key);
	if (p->held) {
		gnut_ip_admit_release(p->links->admit, &p->key);
		p->links->incoming--;
	}
	gnut_handshake_free(p->hs);
	g_free(p);
}

gnut_links *gnut_links_new(const gnut_links_config *config, const gnut_links_handlers *handlers,
                           gpointer data)
{
	gnut_links *l = g_new0(gnut_links, 1);
	l->config = *config;
	if (l->config.max_ultrapeers == 0)
		l->config.max_ultrapeers = GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS;
	if (l->config.max_leaves == 0)
		l->config.max_leaves = GNUT_LINKS_DEFAULT_MAX_LEAVES;
	if (l->config.max_handshakes == 0)
		l->config.max_handshakes = GNUT_LINKS_DEFAULT_MAX_HANDSHAKES;
	if (l->config.per_ip_handshakes == 0)
		l->config.per_ip_handshakes = GNUT_LINKS_DEFAULT_PER_IP_HANDSHAKES;
	if (l->config.leaf_ultrapeers == 0)
		l->config.leaf_ultrapeers = l->config.max_ultrapeers;
	l->ultrapeer = config->ultrapeer;
	l->roles = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	gnut_clock *clock = config->clock != NULL ? config->clock : gnut_clock_system();
	/* more entries than handshakes allowed: the table never fills with holds */
	gnut_ip_admit_config ac = {.max_entries = MIN(l->config.max_handshakes, G_MAXUINT / 2) * 2};
	l->admit = gnut_ip_admit_new(clock, &ac);
	/* incoming links up or admitted are at most 2 * the caps (see admit_peer) */
	guint max_links =
	    MIN(l->config.max_ultrapeers, G_MAXUINT / 8) + MIN(l->config.max_leaves, G_MAXUINT / 8);
	gnut_ip_admit_config lc = {.max_entries = max_links * 2 + 1};
	l->link_holds = gnut_ip_admit_new(clock, &lc);
	l->link_keys = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	l->refusal_log = gnut_log_limit_new(clock);
	if (l->config.max_links_per_ip == 0)
		l->config.max_links_per_ip = GNUT_LINKS_DEFAULT_PER_IP;
	l->handlers = *handlers;
	l->data = data;
	l->cancel = g_cancellable_new();
	l->nodes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	                                 (GDestroyNotify)gnut_node_unref);
	l->ids = g_array_new(FALSE, FALSE, sizeof(guint64));
	l->next_id = 1;
	l->pending = g_ptr_array_new();
	l->peers = g_ptr_array_new_with_free_func(peer_free);
	return l;
}

void gnut_links_free(gnut_links *l)
{
	if (l == NULL)
		return;
	gnut_links_stop(l);
	while (l->pending->len > 0)
		pending_free(g_ptr_array_steal_index(l->pending, l->pending->len - 1));
	g_ptr_array_unref(l->pending);
	gnut_ip_admit_free(l->admit);
	gnut_ip_admit_free(l->link_holds);
	g_hash_table_unref(l->link_keys);
	g_hash_table_unref(l->roles);
	gnut_log_limit_free(l->refusal_log);
	g_hash_table_unref(l->nodes);
	g_array_unref(l->ids);
	g_ptr_array_unref(l->peers);
	g_object_unref(l->cancel);
	g_free(l);
}

void gnut_links_stop(gnut_links *l)
{
	g_cancellable_cancel(l->cancel);
}

void gnut_links_set_self(gnut_links *l, uint32_t ipv4, guint16 port)
{
	l->self_ipv4 = ipv4;
	l->self_port = port;
}

uint32_t gnut_links_self_ipv4(const gnut_links *l)
{
	return l->self_ipv4;
}

guint16 gnut_links_self_port(const gnut_links *l)
{
	return l->self_port;
}

guint gnut_links_count(const gnut_links *l)
{
	return g_hash_table_size(l->nodes);
}

gnut_node *gnut_links_lookup(const gnut_links *l, guint64 link)
{
	return g_hash_table_lookup(l->nodes, &link);
}

const guint64 *gnut_links_ids(const gnut_links *l, guint *n)
{
	*n = l->ids->len;
	return (const guint64 *)(const void *)l->ids->data;
}

GPtrArray *gnut_links_nodes(const gnut_links *l)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(out, value);
	return out;
}

/* ---- peers and their back-off ---- */

static links_peer *peer_of_link(gnut_links *l, guint64 link)
{
	for (guint i = 0; i < l->peers->len; i++) {
		links_peer *peer = g_ptr_array_index(l->peers, i);
		if (peer->link == link)
			return peer;
	}
	return NULL;
}

static links_peer *peer_by_name(const gnut_links *l, const char *host_port)
{
	for (guint i = 0; i < l->peers->len; i++) {
		links_peer *peer = g_ptr_array_index(l->peers, i);
		if (g_ascii_strcasecmp(peer->host_port, host_port) == 0)
			return peer;
	}
	return NULL;
}

static void schedule_retry(gnut_links *l, links_peer *peer, guint at_least_s)
{
	guint backoff = GNUT_LINKS_BACKOFF_MIN_S;
	for (guint i = 1; i < peer->failures && backoff < GNUT_LINKS_BACKOFF_MAX_S; i++)
		backoff *= 2;
	backoff = MIN(MAX(backoff, at_least_s), GNUT_LINKS_BACKOFF_MAX_S);
	peer->next_try_us = gnut_clock_now_us(l->config.clock) + (gint64)backoff * G_USEC_PER_SEC;
}

/* A dial or a link of a peer ended: a cached host is forgotten (the cache
 * decides when to try it again), any other is retried after its back-off. */
static void peer_ended(gnut_links *l, links_peer *peer, gboolean failed, guint at_least_s)
{
	peer->dialing = FALSE;
	peer->link = 0;
	if (peer->from_cache) {
		if (failed && l->handlers.cache_dial_result != NULL)
			l->handlers.cache_dial_result(peer->host_port, FALSE, l->data);
		g_ptr_array_remove_fast(l->peers, peer);
		return;
	}
	peer->failures = failed ? peer->failures + 1 : 1;
	schedule_retry(l, peer, at_least_s);
}

gboolean gnut_links_has_peer(const gnut_links *l, const char *host_port)
{
	return peer_by_name(l, host_port) != NULL;
}

guint gnut_links_dialing(const gnut_links *l, gboolean cache_only)
{
	guint n = 0;
	for (guint i = 0; i < l->peers->len; i++) {
		links_peer *peer = g_ptr_array_index(l->peers, i);
		if (peer->dialing && (peer->from_cache || !cache_only))
			n++;
	}
	return n;
}

/* ---- links ---- */

static void remove_link_id(gnut_links *l, guint64 id)
{
	for (guint i = 0; i < l->ids->len; i++)
		if (g_array_index(l->ids, guint64, i) == id) {
			g_array_remove_index_fast(l->ids, i);
			return;
		}
}

/* A link's role: as a leaf every link is to an ultrapeer (the handshake
 * refuses leaves). */
static link_role role_of(const gnut_links *l, const gnut_handshake_peer *peer)
{
	return !l->ultrapeer || peer->ultrapeer ? LINK_ROLE_ULTRAPEER : LINK_ROLE_LEAF;
}

static guint role_links(const gnut_links *l, link_role role)
{
	return role == LINK_ROLE_LEAF ? l->leaf_links : l->ultrapeer_links;
}

/* A link comes up: counted in the role of its peer (for as long as it
 * lives, whatever our role becomes). */
static void count_link(gnut_links *l, guint64 id, const gnut_handshake_peer *peer)
{
	link_role role = role_of(l, peer);
	if (role == LINK_ROLE_LEAF)
		l->leaf_links++;
	else
		l->ultrapeer_links++;
	guint64 *key = g_new(guint64, 1);
	*key = id;
	g_hash_table_insert(l->roles, key, GINT_TO_POINTER(role));
}

static void uncount_link(gnut_links *l, guint64 id)
{
	link_role role = GPOINTER_TO_INT(g_hash_table_lookup(l->roles, &id));
	if (role == LINK_ROLE_LEAF)
		l->leaf_links--;
	else if (role == LINK_ROLE_ULTRAPEER)
		l->ultrapeer_links--;
	g_hash_table_remove(l->roles, &id);
}

static void on_node_message(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
                            gpointer user_data)
{
	gnut_links *l = user_data;
	if (l->handlers.message != NULL)
		l->handlers.message(node, h, payload, l->data);
}

static void on_node_closed(gnut_node *node, const char *reason, gpointer user_data)
{
	gnut_links *l = user_data;
	guint64 id = gnut_node_get_id(node);
	g_message("link %s closed: %s", gnut_node_get_address(node), reason);
	if (l->handlers.closed != NULL)
		l->handlers.closed(node, l->data);
	remove_link_id(l, id);
	uncount_link(l, id);
	gnut_ip_key *key = g_hash_table_lookup(l->link_keys, &id);
	if (key != NULL) {
		gnut_ip_admit_release(l->link_holds, key);
		g_hash_table_remove(l->link_keys, &id);
	}
	links_peer *peer = peer_of_link(l, id);
	if (peer != NULL)
		peer_ended(l, peer, FALSE, 0);
	g_hash_table_remove(l->nodes, &id);
}

static void on_ping_sent(gnut_node *node, const gnut_guid *guid, gpointer user_data)
{
	gnut_links *l = user_data;
	if (l->handlers.ping_sent != NULL)
		l->handlers.ping_sent(node, guid, l->data);
}

/* Learns the address peers see us at when we listen on a wildcard address. */
static void learn_self_address(gnut_links *l, const gnut_handshake_peer *peer)
{
	uint32_t ip;
	if (l->self_ipv4 == 0 && peer->remote_ip != NULL &&
	    gnut_addr_parse_ipv4(peer->remote_ip, strlen(peer->remote_ip), &ip) == GNUT_PROTO_OK)
		l->self_ipv4 = ip;
}

static guint64 add_node(gnut_links *l, gnut_conn *conn, const gnut_handshake_peer *peer,
                        links_peer *dialed)
{
	static const gnut_node_handlers handlers = {
	    .message = on_node_message,
	    .closed = on_node_closed,
	    .ping_sent = on_ping_sent,
	};
	gnut_node_config nc = {.id = l->next_id++, .clock = l->config.clock};
	gnut_node *node = gnut_node_new(conn, peer, &nc, &handlers, l);
	guint64 *key = g_new(guint64, 1);
	*key = nc.id;
	g_hash_table_insert(l->nodes, key, node);
	g_array_append_val(l->ids, nc.id);
	count_link(l, nc.id, peer);
	learn_self_address(l, peer);
	if (dialed != NULL) {
		dialed->link = nc.id;
		dialed->failures = 0;
		if (dialed->from_cache && l->handlers.cache_dial_result != NULL)
			l->handlers.cache_dial_result(dialed->host_port, TRUE, l->data);
	}
	g_message("link %s up: %s, %s", gnut_node_get_address(node), gnut_node_get_mode(node),
	          gnut_node_get_user_agent(node));
	gnut_node_start(node);
	if (l->handlers.up != NULL)
		l->handlers.up(node, l->data);
	return nc.id;
}

static void dial(gnut_links *l, links_peer *peer);
static void note_leaf_refused(gnut_links *l, const gnut_handshake_result *r);
static gboolean settle_guidance(gnut_links *l, links_pending *p, gnut_handshake *hs,
                                const gnut_handshake_result *r);

static void on_handshake_done(gnut_handshake *hs, const gnut_handshake_result *r,
                              gpointer user_data)
{
	links_pending *p = user_data;
	gnut_links *l = p->links;
	g_ptr_array_remove_fast(l->pending, p);
	if (l->handlers.handshake_seen != NULL)
		l->handlers.handshake_seen(r->peer, l->data);
	if (p->peer != NULL && r->ok)
		p->peer->speaks_tls = r->peer->features_tls;
	if (p->peer != NULL && r->tls_failed && p->peer->speaks_tls) {
		/* Its TLS failed: at once again in plain text, TLS forgotten. */
		g_message("TLS with %s failed: dialing again in plain text", p->peer->host_port);
		p->peer->speaks_tls = FALSE;
		if (p->peer->from_cache && l->handlers.cache_tls_failed != NULL)
			l->handlers.cache_tls_failed(p->peer->host_port, l->data);
		dial(l, p->peer);
		pending_free(p);
		return;
	}
	note_leaf_refused(l, r);
	if (r->ok && !settle_guidance(l, p, hs, r)) {
		pending_free(p);
		return;
	}
	if (r->ok) {
		if (p->peer != NULL)
			p->peer->dialing = FALSE;
		guint64 id = add_node(l, gnut_handshake_steal_conn(hs), r->peer, p->peer);
		if (p->ip_admitted) { /* its hold of the address goes with the link */
			guint64 *k = g_new(guint64, 1);
			*k = id;
			g_hash_table_insert(l->link_keys, k, g_memdup2(&p->key, sizeof p->key));
			p->ip_admitted = FALSE;
		}
	} else {
		if (!p->refused)
			g_message("handshake with %s failed: %s",
			          gnut_handshake_get_peer_address(hs), r->error);
		if (p->peer != NULL)
			peer_ended(l, p->peer, TRUE, r->not_now ? GNUT_LINKS_NOT_NOW_S : 0);
	}
	pending_free(p);
}

/* Names our ultrapeer links, for a peer we refuse or accept, so that it
 * learns where else to go. */
static void list_ultrapeers(gnut_links *l, GString *out)
{
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (!gnut_node_is_ultrapeer(value))
			continue;
		if (out->len > 0)
			g_string_append(out, ",");
		g_string_append_printf(out, "%s:%u", gnut_node_get_host(value),
		                       gnut_node_get_port(value));
	}
}

/* ---- links per IP ---- */

/* Refuses an incoming link from an IP that already has max_links_per_ip
 * incoming links with us, up or admitted and finishing their handshake:
 * one host must not take the link slots, nor the memory each link may make
 * us hold (a query routing table, routes, dynamic queries). Links we dialed
 * do not count: we chose them. */
static guint admit_per_ip(gnut_links *l, links_pending *p, GString *reason)
{
	if (p->held && !gnut_ip_admit_hold(l->link_holds, &p->key, l->config.max_links_per_ip)) {
		g_string_assign(reason, "Too many links from your address");
		return GNUT_HTTP_TOO_MANY_REQUESTS;
	}
	p->ip_admitted = p->held;
	return GNUT_HTTP_OK;
}

/* Slots of a role taken, but p's: links up, incoming handshakes admitted
 * to it and, for ultrapeers, our dials under way (we dial ultrapeers). */
static guint role_taken(const gnut_links *l, link_role role, const links_pending *p)
{
	guint n = role_links(l, role);
	for (guint i = 0; i < l->pending->len; i++) {
		const links_pending *o = g_ptr_array_index(l->pending, i);
		n += o != p && o->role == role;
	}
	if (role == LINK_ROLE_ULTRAPEER)
		n += gnut_links_dialing(l, FALSE);
	return n;
}

static guint role_cap(const gnut_links *l, link_role role)
{
	if (role == LINK_ROLE_LEAF)
		return l->config.max_leaves;
	return l->ultrapeer ? l->config.max_ultrapeers : l->config.leaf_ultrapeers;
}

/* Takes a slot of the role the peer of p would have, or says (503, logged
 * at most once a second) which cap is full. A dial's ultrapeer slot was
 * taken when it started; one that finds a leaf takes a leaf slot. */
static guint admit_role(gnut_links *l, links_pending *p, const gnut_handshake_peer *peer,
                        GString *reason)
{
	link_role role = role_of(l, peer);
	if (p->peer != NULL && role == LINK_ROLE_ULTRAPEER)
		return GNUT_HTTP_OK;
	if (role_taken(l, role, p) >= role_cap(l, role)) {
		g_string_printf(reason, "%s full (%u)",
		                role == LINK_ROLE_LEAF ? "Leaf slots" : "Ultrapeer links",
		                role_cap(l, role));
		p->refused = TRUE;
		l->refused_full++;
		gnut_log_limited(l->refusal_log, "handshake with %s refused: %s",
		                 gnut_handshake_get_peer_address(p->hs), reason->str);
		return GNUT_HTTP_SERVICE_UNAVAILABLE;
	}
	p->role = role;
	return GNUT_HTTP_OK;
}

/* Refuses a second link to a servent we are already linked to (or to
 * ourselves), a link past the cap of its role, and an incoming one past the
 * links its IP may have. */
static guint admit_peer(const gnut_handshake_peer *peer, gnut_handshake_dir dir, GString *reason,
                        GString *try_ultrapeers, gpointer user_data)
{
	links_pending *p = user_data;
	gnut_links *l = p->links;
	if (peer->has_guid && gnut_guid_equal(&peer->guid, &l->config.guid)) {
		g_string_assign(reason, "Connected to self");
		return GNUT_HTTP_CONFLICT;
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const gnut_handshake_peer *other = gnut_node_get_peer(value);
		if (peer->has_guid && other->has_guid && gnut_guid_equal(&peer->guid, &other->guid))
			return GNUT_HTTP_CONFLICT;
	}
	if (dir == GNUT_HANDSHAKE_INCOMING)
		list_ultrapeers(l, try_ultrapeers);
	guint code = admit_role(l, p, peer, reason);
	if (code == GNUT_HTTP_OK && dir == GNUT_HANDSHAKE_INCOMING)
		code = admit_per_ip(l, p, reason);
	if (code != GNUT_HTTP_OK)
		p->role = LINK_ROLE_NONE;
	return code;
}

/* ---- the role policy's part in handshakes ---- */

void gnut_links_role_facts(const gnut_links *l, gnut_role_facts *f)
{
	f->ultrapeer_links = l->ultrapeer_links;
	f->leaf_links = l->leaf_links;
	f->max_leaves = l->config.max_leaves;
	f->ultrapeers_needing = 0;
	f->ultrapeers_with_room = 0;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, l->roles);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		gnut_node *node = g_hash_table_lookup(l->nodes, key);
		const gnut_handshake_peer *peer = node ? gnut_node_get_peer(node) : NULL;
		if (GPOINTER_TO_INT(value) != LINK_ROLE_ULTRAPEER || peer == NULL ||
		    !peer->has_ultrapeer_needed || gnut_node_is_closing(node))
			continue;
		if (peer->ultrapeer_needed)
			f->ultrapeers_needing++;
		else
			f->ultrapeers_with_room++;
	}
}

static void role_facts_now(const gnut_links *l, gnut_role_facts *f)
{
	memset(f, 0, sizeof *f);
	f->now_us = gnut_clock_now_us(l->config.clock);
	gnut_links_role_facts(l, f);
}

/* The X-Ultrapeer-Needed of our step 2, as an ultrapeer. */
static gnut_handshake_needed guidance_for(const gnut_handshake_peer *peer, gpointer data)
{
	links_pending *p = data;
	gnut_role_facts f;
	role_facts_now(p->links, &f);
	switch (gnut_role_guidance(p->links->config.role, &f)) {
	case GNUT_ROLE_NEEDED_TRUE:
		return GNUT_HANDSHAKE_NEEDED_TRUE;
	case GNUT_ROLE_NEEDED_FALSE:
		return GNUT_HANDSHAKE_NEEDED_FALSE;
	case GNUT_ROLE_NEEDED_NONE:
		break;
	}
	return GNUT_HANDSHAKE_NEEDED_NONE;
}

static gboolean takes_guidance(const gnut_handshake_peer *peer, gpointer data)
{
	links_pending *p = data;
	gnut_role_facts f;
	role_facts_now(p->links, &f);
	return gnut_role_takes_guidance(p->links->config.role, &f);
}

/* A leaf asked us for a link and was refused (we are a leaf, or our leaf
 * slots are full): the role policy counts leaves asking. */
static void note_leaf_refused(gnut_links *l, const gnut_handshake_result *r)
{
	if (l->config.role != NULL && !r->ok && !r->by_peer &&
	    r->direction == GNUT_HANDSHAKE_INCOMING && r->code == GNUT_HTTP_SERVICE_UNAVAILABLE &&
	    r->peer->has_ultrapeer && !r->peer->ultrapeer)
		gnut_role_leaf_refused(l->config.role, gnut_clock_now_us(l->config.clock));
}

/* Leaf guidance settled in a handshake that succeeded: as the dialer we
 * are now a leaf (the owner switches our role); as the acceptor the peer
 * takes a leaf slot instead of its ultrapeer one. FALSE when that slot is
 * gone (the link is dropped). */
static gboolean settle_guidance(gnut_links *l, links_pending *p, gnut_handshake *hs,
                                const gnut_handshake_result *r)
{
	if (!r->peer->leaf_guidance)
		return TRUE;
	const char *address = gnut_handshake_get_peer_address(hs);
	if (r->direction == GNUT_HANDSHAKE_OUTGOING) {
		g_message("%s guided us to be its leaf", address);
		if (l->handlers.leaf_guided != NULL)
			l->handlers.leaf_guided(r->peer, address, l->data);
		return TRUE;
	}
	p->role = LINK_ROLE_NONE;
	if (role_taken(l, LINK_ROLE_LEAF, p) >= l->config.max_leaves) {
		gnut_log_limited(l->refusal_log,
		                 "%s took our leaf guidance but the leaf slots are full", address);
		return FALSE;
	}
	g_message("%s took our leaf guidance: it is our leaf", address);
	return TRUE;
}

static links_pending *start_handshake(gnut_links *l, gnut_conn *conn, gnut_handshake_dir dir,
                                      links_peer *peer)
{
	gnut_handshake_config hc;
	gnut_handshake_config_init(&hc);
	hc.ultrapeer = l->ultrapeer;
	hc.guid = &l->config.guid;
	hc.dynamic_querying = l->config.dynamic_querying && l->ultrapeer;
	if (l->config.role != NULL) {
		hc.ultrapeer_needed = guidance_for;
		hc.take_leaf_guidance = takes_guidance;
	}
	hc.deflate = !l->config.no_compression;
	hc.clock = l->config.clock;
	hc.admit = admit_peer;
	hc.tls_cert = l->config.tls_cert;
	hc.tls_first = peer != NULL && peer->speaks_tls;
	char listen[GNUT_ADDR_IPV4_PORT_LEN];
	if (l->self_ipv4 != 0) {
		gnut_addr_format_ipv4_port(l->self_ipv4, l->self_port, listen);
		hc.listen_addr = listen;
	}
	links_pending *p = g_new0(links_pending, 1);
	p->links = l;
	p->peer = peer;
	hc.admit_data = p;
	g_ptr_array_add(l->pending, p);
	p->hs = gnut_handshake_new(conn, dir, &hc, on_handshake_done, p);
	return p;
}

/* Why an incoming handshake on conn is refused; NULL when admitted, with a
 * place of its address taken (key). */
static const char *handshake_refusal(gnut_links *l, gnut_conn *conn, gnut_ip_key *key)
{
	if (l->incoming >= l->config.max_handshakes)
		return "too many handshakes under way";
	if (!gnut_listener_conn_key(conn, key))
		return "no peer address";
	if (!gnut_ip_admit_hold(l->admit, key, l->config.per_ip_handshakes))
		return "too many handshakes from this address";
	return NULL;
}

void gnut_links_accept(gnut_links *l, gnut_conn *conn)
{
	gnut_ip_key key;
	const char *why = handshake_refusal(l, conn, &key);
	if (why != NULL) {
		l->refused_handshakes++;
		gnut_log_limited(l->refusal_log, "handshake from %s refused: %s",
		                 gnut_conn_get_peer(conn), why);
		gnut_conn_close(conn, NULL);
		gnut_conn_unref(conn);
		return;
	}
	links_pending *p = start_handshake(l, conn, GNUT_HANDSHAKE_INCOMING, NULL);
	p->held = TRUE;
	p->key = key;
	l->incoming++;
}

guint gnut_links_incoming_handshakes(const gnut_links *l)
{
	return l->incoming;
}

guint64 gnut_links_refused_handshakes(const gnut_links *l)
{
	return l->refused_handshakes;
}

guint64 gnut_links_refused_full(const gnut_links *l)
{
	return l->refused_full;
}

guint gnut_links_count_role(const gnut_links *l, gboolean leaves)
{
	return leaves ? l->leaf_links : l->ultrapeer_links;
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* stopped or freed: user_data may be gone */
	links_peer *peer = user_data;
	gnut_links *l = peer->links;
	if (conn == NULL) {
		g_message("cannot connect to %s: %s", peer->host_port, error->message);
		peer_ended(l, peer, TRUE, 0);
		return;
	}
	start_handshake(l, conn, GNUT_HANDSHAKE_OUTGOING, peer);
}

static void dial(gnut_links *l, links_peer *peer)
{
	peer->dialing = TRUE;
	gboolean tls = peer->speaks_tls && l->config.tls_cert != NULL;
	g_message("dialing %s%s", peer->host_port, tls ? " in TLS" : "");
	gnut_conn_connect_async(peer->host_port, GNUT_LINKS_DEFAULT_PORT, GNUT_LINKS_DIAL_TIMEOUT_S,
	                        l->cancel, on_connected, peer);
}

static links_peer *peer_new(gnut_links *l, const char *host_port, gboolean from_cache)
{
	links_peer *peer = g_new0(links_peer, 1);
	peer->links = l;
	peer->host_port = g_strdup(host_port);
	peer->from_cache = from_cache;
	g_ptr_array_add(l->peers, peer);
	return peer;
}

void gnut_links_dial_cached(gnut_links *l, const char *host_port, gboolean tls)
{
	links_peer *peer = peer_new(l, host_port, TRUE);
	peer->speaks_tls = tls;
	dial(l, peer);
}

void gnut_links_add_peer(gnut_links *l, const char *host_port)
{
	links_peer *peer = peer_by_name(l, host_port);
	if (peer != NULL)
		peer->next_try_us = 0; /* asked again: try now */
	else
		peer_new(l, host_port, FALSE);
}

gboolean gnut_links_forget_peer(gnut_links *l, const char *host_port)
{
	links_peer *peer = peer_by_name(l, host_port);
	if (peer == NULL)
		return FALSE;
	if (peer->dialing)
		peer->from_cache = TRUE; /* on_connected holds it: dropped when the dial ends */
	else
		g_ptr_array_remove_fast(l->peers, peer); /* its link, if up, stays until told Bye */
	return TRUE;
}

void gnut_links_tick(gnut_links *l, gint64 now_us)
{
	for (guint i = 0; i < l->pending->len; i++) {
		links_pending *p = g_ptr_array_index(l->pending, i);
		gnut_handshake_tick(p->hs, now_us);
	}
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		gnut_node_tick(value, now_us);
	if (g_cancellable_is_cancelled(l->cancel))
		return;
	for (guint i = 0; i < l->peers->len; i++) {
		links_peer *peer = g_ptr_array_index(l->peers, i);
		if (peer->link == 0 && !peer->dialing && now_us >= peer->next_try_us &&
		    role_taken(l, LINK_ROLE_ULTRAPEER, NULL) < l->config.max_ultrapeers)
			dial(l, peer);
	}
}

gboolean gnut_links_is_ultrapeer(const gnut_links *l)
{
	return l->ultrapeer;
}

/* Drops the handshakes under way (made for the role we leave); a dialed
 * peer is retried as the new role. */
static void drop_pending(gnut_links *l)
{
	while (l->pending->len > 0) {
		links_pending *p = g_ptr_array_steal_index(l->pending, l->pending->len - 1);
		if (p->peer != NULL)
			peer_ended(l, p->peer, FALSE, 0);
		pending_free(p);
	}
}

void gnut_links_set_ultrapeer(gnut_links *l, gboolean ultrapeer, const char *why)
{
	if (l->ultrapeer == ultrapeer)
		return;
	l->ultrapeer = ultrapeer;
	drop_pending(l);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		gnut_node_bye(value, GNUT_LINKS_ROLE_BYE_CODE, why);
}

void gnut_links_bye_all(gnut_links *l)
{
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, l->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		gnut_node_bye(value, GNUT_HTTP_OK, "Servent shutdown");
}
