/* router.c: the routing policy of router.h. Each gnut_router_decide call
 * classifies the message (link-local, request, reply), applies the TTL and
 * hop rules, consults and updates the routing memory, and writes the result
 * into the caller's decision. Nothing here sends anything. */
#include "gnut/core/routing/router.h"

#include <string.h>

#include "gnut/core/routing/dedup.h"
#include "gnut/core/routing/route-table.h"

/* Fixed sizes routing reads: a push is servent GUID [16] + file index [4] +
 * IPv4 [4] + port [2]; a query hit has count [1], port [2], IPv4 [4],
 * speed [4] before its results and ends with the servent GUID [16]. */
#define PUSH_MIN_PAYLOAD 26
#define HIT_MIN_PAYLOAD  (11 + GNUT_GUID_LEN)

typedef struct {
	guint64 id; /* the hash key points here */
	gnut_route_link facts;
} link_record;

struct gnut_router {
	gnut_clock *clock;
	gnut_router_config cfg;
	gnut_dedup *seen;           /* (GUID, type) of requests */
	gnut_route_table *pings;    /* ping GUID -> arrival link */
	gnut_route_table *queries;  /* query GUID -> arrival link */
	gnut_route_table *servents; /* servent GUID -> link its hits came on */
	GHashTable *links;          /* guint64 * -> link_record * (owned) */
};

void gnut_route_link_init(gnut_route_link *l)
{
	memset(l, 0, sizeof *l);
	l->hops_flow = 255;
}

void gnut_router_config_init(gnut_router_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->pong_caching = TRUE;
	cfg->hard_ttl_limit = GNUT_ROUTER_HARD_TTL_LIMIT;
	cfg->max_ttl = 7;
	cfg->route_lifetime_us = 10 * 60 * G_USEC_PER_SEC;
	cfg->route_max_entries = 65536;
	cfg->dedup_lifetime_us = 10 * 60 * G_USEC_PER_SEC;
	cfg->dedup_max_entries = 131072;
	cfg->route_max_per_link = cfg->route_max_entries / 8;
}

const char *gnut_route_drop_str(gnut_route_drop drop)
{
	switch (drop) {
	case GNUT_ROUTE_DROP_NONE:
		return "not dropped";
	case GNUT_ROUTE_DROP_DUPLICATE:
		return "duplicate";
	case GNUT_ROUTE_DROP_TTL_ZERO:
		return "arrived with TTL 0";
	case GNUT_ROUTE_DROP_TTL_EXPIRED:
		return "TTL expired";
	case GNUT_ROUTE_DROP_HARD_LIMIT:
		return "hops + TTL over the hard limit";
	case GNUT_ROUTE_DROP_HOPS_MAX:
		return "hop count at its maximum";
	case GNUT_ROUTE_DROP_NO_ROUTE:
		return "no route";
	case GNUT_ROUTE_DROP_ROUTE_LOST:
		return "route lost (link closed)";
	case GNUT_ROUTE_DROP_BAD_PAYLOAD:
		return "payload too short";
	case GNUT_ROUTE_DROP_NOT_LINK_LOCAL:
		return "link-local message was relayed";
	case GNUT_ROUTE_DROP_UNKNOWN_TYPE:
		return "unknown message type";
	}
	return "unknown drop reason";
}

void gnut_route_decision_init(gnut_route_decision *d)
{
	memset(d, 0, sizeof *d);
	d->dests = g_array_new(FALSE, FALSE, sizeof(gnut_route_dest));
}

void gnut_route_decision_clear(gnut_route_decision *d)
{
	if (d->dests != NULL)
		g_array_unref(d->dests);
	memset(d, 0, sizeof *d);
}

gnut_router *gnut_router_new(gnut_clock *clock, const gnut_router_config *cfg)
{
	g_return_val_if_fail(clock != NULL && cfg != NULL, NULL);
	g_return_val_if_fail(cfg->route_lifetime_us > 0 && cfg->route_max_entries > 0, NULL);
	g_return_val_if_fail(cfg->dedup_lifetime_us > 0 && cfg->dedup_max_entries > 0, NULL);
	gnut_router *r = g_new0(gnut_router, 1);
	r->clock = clock;
	r->cfg = *cfg;
	r->seen = gnut_dedup_new(clock, cfg->dedup_lifetime_us, cfg->dedup_max_entries);
	r->pings = gnut_route_table_new(clock, cfg->route_lifetime_us, cfg->route_max_entries);
	r->queries = gnut_route_table_new(clock, cfg->route_lifetime_us, cfg->route_max_entries);
	r->servents = gnut_route_table_new(clock, cfg->route_lifetime_us, cfg->route_max_entries);
	gnut_route_table_set_max_per_link(r->pings, cfg->route_max_per_link);
	gnut_route_table_set_max_per_link(r->queries, cfg->route_max_per_link);
	gnut_route_table_set_max_per_link(r->servents, cfg->route_max_per_link);
	r->links = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	return r;
}

void gnut_router_free(gnut_router *r)
{
	if (r == NULL)
		return;
	gnut_dedup_free(r->seen);
	gnut_route_table_free(r->pings);
	gnut_route_table_free(r->queries);
	gnut_route_table_free(r->servents);
	g_hash_table_destroy(r->links);
	g_free(r);
}

void gnut_router_link_set(gnut_router *r, guint64 link, const gnut_route_link *facts)
{
	g_return_if_fail(r != NULL && facts != NULL && link != GNUT_ROUTER_US);
	link_record *rec = g_hash_table_lookup(r->links, &link);
	if (rec == NULL) {
		rec = g_new0(link_record, 1);
		rec->id = link;
		g_hash_table_insert(r->links, &rec->id, rec);
	}
	rec->facts = *facts;
}

void gnut_router_link_closed(gnut_router *r, guint64 link)
{
	g_return_if_fail(r != NULL);
	g_hash_table_remove(r->links, &link);
	gnut_route_table_purge_link(r->pings, link);
	gnut_route_table_purge_link(r->queries, link);
	gnut_route_table_purge_link(r->servents, link);
}

static gnut_route_link link_facts(const gnut_router *r, guint64 link)
{
	const link_record *rec = g_hash_table_lookup(r->links, &link);
	gnut_route_link facts;
	if (rec != NULL)
		return rec->facts;
	gnut_route_link_init(&facts);
	return facts;
}

void gnut_router_link_get(const gnut_router *r, guint64 link, gnut_route_link *facts)
{
	g_return_if_fail(r != NULL && facts != NULL);
	*facts = link_facts(r, link);
}

gboolean gnut_router_hops_flow_allows(const gnut_router *r, guint64 link, guint8 hops)
{
	g_return_val_if_fail(r != NULL, FALSE);
	return hops <= link_facts(r, link).hops_flow;
}

static gboolean link_is_up(const guint64 *links, size_t n_links, guint64 link)
{
	for (size_t i = 0; i < n_links; i++)
		if (links[i] == link)
			return TRUE;
	return FALSE;
}

/* The table whose routes a reply of this type follows back, or that records
 * the arrival link of a request of this type. */
static gnut_route_table *table_for(gnut_router *r, guint8 type)
{
	switch (type) {
	case GNUT_MSG_PING:
	case GNUT_MSG_PONG:
		return r->pings;
	case GNUT_MSG_QUERY:
	case GNUT_MSG_QUERY_HIT:
		return r->queries;
	default:
		return NULL;
	}
}

void gnut_router_note_own(gnut_router *r, const gnut_guid *guid, guint8 type)
{
	g_return_if_fail(r != NULL && guid != NULL);
	g_return_if_fail(type == GNUT_MSG_PING || type == GNUT_MSG_QUERY || type == GNUT_MSG_PUSH);
	gnut_dedup_check_and_add(r->seen, guid, type);
	gnut_route_table *t = table_for(r, type);
	if (t != NULL)
		gnut_route_table_put(t, guid, GNUT_ROUTER_US);
}

gboolean gnut_router_push_route(const gnut_router *r, const gnut_guid *servent, guint64 *link)
{
	g_return_val_if_fail(r != NULL && servent != NULL, FALSE);
	return gnut_route_table_lookup(r->servents, servent, link);
}

static void decision_reset(gnut_route_decision *out, guint8 hops)
{
	out->flags = 0;
	out->drop = GNUT_ROUTE_DROP_NONE;
	out->hops = hops;
	out->qrp_skipped_leaves = 0;
	out->qrp_skipped_ultrapeers = 0;
	g_array_set_size(out->dests, 0);
}

static void drop(gnut_route_decision *out, gnut_route_drop why)
{
	out->flags = 0;
	out->drop = why;
	g_array_set_size(out->dests, 0);
}

static void add_dest(gnut_route_decision *out, guint64 link, guint8 ttl)
{
	gnut_route_dest d = {.link = link, .ttl = ttl};
	g_array_append_val(out->dests, d);
	out->flags |= GNUT_ROUTE_FORWARD;
}

static gboolean query_passes(const gnut_router *r, guint64 link, const gnut_msg_in *msg)
{
	return r->cfg.query_filter == NULL ||
	       r->cfg.query_filter(r->cfg.query_filter_data, link, msg);
}

/* The TTL one link gets for a broadcast that has ttl_left after our own
 * decrement and trimming, or 0 when that link must not get it at all.
 * Why leaves get queries with no TTL left: ultrapeer query routing treats an
 * ultrapeer and its leaves as one unit, so the leaf is reached "at" the
 * ultrapeer's hop and only its QRP table decides. */
static guint8 broadcast_ttl(const gnut_router *r, guint64 link, const gnut_msg_in *msg,
                            guint8 ttl_left, gnut_route_decision *out)
{
	gnut_route_link facts = link_facts(r, link);
	gboolean query = msg->type == GNUT_MSG_QUERY;
	if (query && !gnut_router_hops_flow_allows(r, link, out->hops))
		return 0;
	if (facts.leaf) {
		if (!query || !facts.qrp)
			return 0;
		if (!query_passes(r, link, msg)) {
			out->qrp_skipped_leaves++;
			return 0;
		}
		return 1;
	}
	guint8 ttl = ttl_left;
	if (facts.max_ttl != 0 && ttl > facts.max_ttl)
		ttl = facts.max_ttl;
	if (ttl == 0)
		return 0;
	if (query && ttl == 1 && facts.qrp && !query_passes(r, link, msg)) {
		out->qrp_skipped_ultrapeers++; /* the last hop: its table misses */
		return 0;
	}
	return ttl;
}

static void flood(gnut_router *r, guint64 from_link, const gnut_msg_in *msg, guint8 ttl_left,
                  const guint64 *links, size_t n_links, gnut_route_decision *out)
{
	for (size_t i = 0; i < n_links; i++) {
		if (links[i] == from_link || links[i] == GNUT_ROUTER_US)
			continue;
		guint8 ttl = broadcast_ttl(r, links[i], msg, ttl_left, out);
		if (ttl != 0)
			add_dest(out, links[i], ttl);
	}
}

/* TTL left for relaying a broadcast: one less than it came with, trimmed so
 * that hops + TTL stays within max_ttl (the reference servent's guard
 * against floods from servents that still send TTL 7 and more). */
static guint8 relay_ttl(const gnut_router *r, const gnut_msg_in *msg, guint8 hops_out)
{
	guint8 ttl = (guint8)(msg->ttl - 1);
	guint8 cap = r->cfg.max_ttl > hops_out ? (guint8)(r->cfg.max_ttl - hops_out) : 0;
	return MIN(ttl, cap);
}

/* Routes a push toward the servent it names; the arrival checks are done. */
static void route_push(gnut_router *r, guint64 from_link, const gnut_msg_in *msg,
                       const guint64 *links, size_t n_links, gnut_route_decision *out)
{
	gnut_guid target;
	memcpy(target.bytes, msg->payload, GNUT_GUID_LEN);
	if (gnut_guid_equal(&target, &r->cfg.servent_guid)) {
		out->flags = GNUT_ROUTE_DELIVER_LOCAL;
		return;
	}
	guint64 link;
	if (r->cfg.leaf_mode || !gnut_route_table_lookup(r->servents, &target, &link) ||
	    link == from_link || link == GNUT_ROUTER_US) {
		drop(out, GNUT_ROUTE_DROP_NO_ROUTE);
		return;
	}
	if (!link_is_up(links, n_links, link)) {
		drop(out, GNUT_ROUTE_DROP_ROUTE_LOST);
		return;
	}
	guint8 ttl = (guint8)(msg->ttl - 1);
	if (ttl == 0) {
		if (!link_facts(r, link).leaf) {
			drop(out, GNUT_ROUTE_DROP_TTL_EXPIRED);
			return;
		}
		ttl = 1;
	}
	/* A push in use keeps its servent's route alive. */
	gnut_route_table_put(r->servents, &target, link);
	add_dest(out, link, ttl);
}

/* Pings, queries and pushes: the hard limit, duplicates, then per type. */
static void route_request(gnut_router *r, guint64 from_link, const gnut_msg_in *msg,
                          const guint64 *links, size_t n_links, gnut_route_decision *out)
{
	if ((guint)msg->ttl + msg->hops > r->cfg.hard_ttl_limit) {
		drop(out, GNUT_ROUTE_DROP_HARD_LIMIT);
		return;
	}
	/* Check the payload before recording the GUID, so that a malformed copy
	 * cannot make the well-formed one look like a duplicate. */
	if (msg->type == GNUT_MSG_PUSH && msg->payload_len < PUSH_MIN_PAYLOAD) {
		drop(out, GNUT_ROUTE_DROP_BAD_PAYLOAD);
		return;
	}
	if (gnut_dedup_check_and_add(r->seen, &msg->guid, msg->type)) {
		drop(out, GNUT_ROUTE_DROP_DUPLICATE);
		return;
	}
	switch (msg->type) {
	case GNUT_MSG_PING:
		gnut_route_table_put(r->pings, &msg->guid, from_link);
		out->flags = GNUT_ROUTE_DELIVER_LOCAL;
		if (!r->cfg.leaf_mode && !r->cfg.pong_caching)
			flood(r, from_link, msg, relay_ttl(r, msg, out->hops), links, n_links, out);
		break;
	case GNUT_MSG_QUERY:
		gnut_route_table_put(r->queries, &msg->guid, from_link);
		out->flags = GNUT_ROUTE_DELIVER_LOCAL;
		if (!r->cfg.leaf_mode)
			flood(r, from_link, msg, relay_ttl(r, msg, out->hops), links, n_links, out);
		break;
	default:
		route_push(r, from_link, msg, links, n_links, out);
		break;
	}
}

/* A hit that found its way (to us or onward) teaches where its servent is:
 * learning only from routed hits keeps unsolicited ones from planting push
 * routes. Our own servent GUID coming from outside is never learnt. */
static void learn_servent(gnut_router *r, guint64 from_link, const gnut_msg_in *msg)
{
	gnut_guid servent;
	memcpy(servent.bytes, msg->payload + msg->payload_len - GNUT_GUID_LEN, GNUT_GUID_LEN);
	if (!gnut_guid_equal(&servent, &r->cfg.servent_guid))
		gnut_route_table_put(r->servents, &servent, from_link);
}

/* Pongs and query hits: back along the route their request took. */
static void route_reply(gnut_router *r, guint64 from_link, const gnut_msg_in *msg,
                        const guint64 *links, size_t n_links, gnut_route_decision *out)
{
	gboolean hit = msg->type == GNUT_MSG_QUERY_HIT;
	if (msg->hops == 255) {
		drop(out, GNUT_ROUTE_DROP_HOPS_MAX);
		return;
	}
	if (hit && msg->payload_len < HIT_MIN_PAYLOAD) {
		drop(out, GNUT_ROUTE_DROP_BAD_PAYLOAD);
		return;
	}
	gnut_route_table *t = table_for(r, msg->type);
	guint64 link;
	if (!gnut_route_table_lookup(t, &msg->guid, &link) || link == from_link ||
	    (r->cfg.leaf_mode && link != GNUT_ROUTER_US)) {
		drop(out, GNUT_ROUTE_DROP_NO_ROUTE);
		return;
	}
	if (link == GNUT_ROUTER_US) {
		out->flags = GNUT_ROUTE_DELIVER_LOCAL;
	} else if (!link_is_up(links, n_links, link)) {
		drop(out, GNUT_ROUTE_DROP_ROUTE_LOST);
		return;
	} else {
		guint8 ttl = MIN((guint8)(msg->ttl - 1), r->cfg.hard_ttl_limit);
		if (ttl == 0) {
			if (!link_facts(r, link).leaf) {
				drop(out, GNUT_ROUTE_DROP_TTL_EXPIRED);
				return;
			}
			ttl = 1;
		}
		add_dest(out, link, ttl);
	}
	/* Replies flowing back keep their request's route alive. */
	gnut_route_table_put(t, &msg->guid, link);
	if (hit)
		learn_servent(r, from_link, msg);
}

void gnut_router_decide(gnut_router *r, guint64 from_link, const gnut_msg_in *msg,
                        const guint64 *links, size_t n_links, gnut_route_decision *out)
{
	g_return_if_fail(r != NULL && msg != NULL && out != NULL && out->dests != NULL);
	g_return_if_fail(from_link != GNUT_ROUTER_US);
	g_return_if_fail(links != NULL || n_links == 0);
	g_return_if_fail(msg->payload != NULL || msg->payload_len == 0);

	decision_reset(out, msg->hops < 255 ? (guint8)(msg->hops + 1) : 255);
	if (msg->ttl == 0) {
		drop(out, GNUT_ROUTE_DROP_TTL_ZERO);
		return;
	}
	switch (msg->type) {
	case GNUT_MSG_BYE:
	case GNUT_MSG_QRP:
	case GNUT_MSG_VENDOR:
	case GNUT_MSG_VENDOR_STD:
		if (msg->hops != 0)
			drop(out, GNUT_ROUTE_DROP_NOT_LINK_LOCAL);
		else
			out->flags = GNUT_ROUTE_DELIVER_LOCAL;
		return;
	case GNUT_MSG_PING:
	case GNUT_MSG_QUERY:
	case GNUT_MSG_PUSH:
		route_request(r, from_link, msg, links, n_links, out);
		return;
	case GNUT_MSG_PONG:
	case GNUT_MSG_QUERY_HIT:
		route_reply(r, from_link, msg, links, n_links, out);
		return;
	default:
		drop(out, GNUT_ROUTE_DROP_UNKNOWN_TYPE);
		return;
	}
}

void gnut_router_originate(gnut_router *r, const gnut_msg_in *msg, const guint64 *links,
                           size_t n_links, gnut_route_decision *out)
{
	g_return_if_fail(r != NULL && msg != NULL && out != NULL && out->dests != NULL);
	g_return_if_fail(msg->type == GNUT_MSG_PING || msg->type == GNUT_MSG_QUERY);
	g_return_if_fail(links != NULL || n_links == 0);

	gnut_router_note_own(r, &msg->guid, msg->type);
	decision_reset(out, msg->hops);
	guint limit = r->cfg.hard_ttl_limit > msg->hops ? r->cfg.hard_ttl_limit - msg->hops : 0;
	guint8 ttl = (guint8)MIN((guint)msg->ttl, limit);
	flood(r, GNUT_ROUTER_US, msg, ttl, links, n_links, out);
	if (out->dests->len == 0)
		drop(out, GNUT_ROUTE_DROP_NO_ROUTE);
}

void gnut_router_set_leaf_mode(gnut_router *r, gboolean leaf_mode)
{
	r->cfg.leaf_mode = leaf_mode;
}
