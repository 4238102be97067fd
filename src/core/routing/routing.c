/* routing.c: the routing room (see routing.h). The router decides, this
 * file carries the decision out: copies of a relayed message share one
 * GBytes per distinct TTL; a message for us is answered here when the share
 * can answer it (pings, queries), or handed to the owner. */
#include "config.h"

#include "gnut/core/routing/routing.h"

#include <string.h>

#include "dquery-run.h"
#include "gnut/core/routing/responder.h"
#include "gnut/core/routing/router.h"
#include "gnut/proto/push.h"
#include "gnut/proto/qrp-msg.h"
#include "qrp-routes.h"

/* The speed our hits claim: hits are sorted by it, and a home line does
 * about this much. */
#define HIT_SPEED_KBPS 1000

struct gnut_routing {
	gnut_routing_config config;
	gnut_routing_handlers handlers;
	gpointer data;
	gnut_router *router;
	gnut_route_decision decision; /* reused for every message */
	gnut_qrp_routes *qrp;
	gnut_dquery_run *dq;
	guint64 dropped;
};

static guint16 kept_hits(const gnut_guid *guid, gpointer data)
{
	gnut_routing *r = data;
	return r->handlers.kept_hits(guid, r->data);
}

gnut_routing *gnut_routing_new(const gnut_routing_config *config,
                               const gnut_routing_handlers *handlers, gpointer data)
{
	gnut_routing *r = g_new0(gnut_routing, 1);
	r->config = *config;
	r->handlers = *handlers;
	r->data = data;
	gnut_router_config rc;
	gnut_router_config_init(&rc);
	rc.servent_guid = config->guid;
	rc.leaf_mode = !config->ultrapeer;
	r->qrp = gnut_qrp_routes_new(config->links, config->share, config->ultrapeer);
	rc.query_filter = gnut_qrp_routes_filter;
	rc.query_filter_data = r->qrp;
	r->router = gnut_router_new(config->clock, &rc);
	gnut_dquery_run_config dc = {
	    .clock = config->clock,
	    .ultrapeer = config->ultrapeer,
	    .links = config->links,
	    .qrp = r->qrp,
	    .kept_hits = kept_hits,
	    .kept_data = r,
	};
	r->dq = gnut_dquery_run_new(&dc);
	gnut_route_decision_init(&r->decision);
	return r;
}

void gnut_routing_free(gnut_routing *r)
{
	if (r == NULL)
		return;
	gnut_dquery_run_free(r->dq);
	gnut_qrp_routes_free(r->qrp);
	gnut_route_decision_clear(&r->decision);
	gnut_router_free(r->router);
	g_free(r);
}

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

/* Sends copies of a relayed message to the decision's links, one GBytes per
 * distinct TTL shared between the links that get it. */
static void forward(gnut_routing *r, const gnut_msg_header *h, const guint8 *payload,
                    const gnut_route_decision *d)
{
	GBytes *copy = NULL;
	guint8 copy_ttl = 0;
	for (guint i = 0; i < d->dests->len; i++) {
		const gnut_route_dest *dest = &g_array_index(d->dests, gnut_route_dest, i);
		gnut_node *node = gnut_links_lookup(r->config.links, dest->link);
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
			r->dropped++;
	}
	if (copy != NULL)
		g_bytes_unref(copy);
}

static void responder_self(gnut_routing *r, gnut_responder_self *self)
{
	memset(self, 0, sizeof *self);
	self->ipv4 = gnut_links_self_ipv4(r->config.links);
	self->port = gnut_links_self_port(r->config.links);
	self->servent = r->config.guid;
	self->speed_kbps = HIT_SPEED_KBPS;
	self->firewalled = r->config.firewalled;
}

static void answer_ping(gnut_routing *r, gnut_node *from, const gnut_msg_header *h)
{
	gnut_responder_self self;
	responder_self(r, &self);
	g_autoptr(GBytes) pong = gnut_responder_pong(&self, r->config.share, h);
	gnut_node_send(from, pong, GNUT_PRIO_PONG);
}

static void answer_query(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                         const guint8 *payload)
{
	gnut_responder_self self;
	responder_self(r, &self);
	const char *error = NULL;
	g_autoptr(GPtrArray) hits =
	    gnut_responder_hits(&self, r->config.share, h, payload, h->length, &error);
	if (error != NULL) {
		gnut_log_limited(r->config.bad_log, "link %s: bad query dropped: %s",
		                 gnut_node_get_address(from), error);
		return;
	}
	g_debug("link %s: query answered with %u hit messages", gnut_node_get_address(from),
	        hits->len);
	for (guint i = 0; i < hits->len; i++)
		gnut_node_send(from, g_ptr_array_index(hits, i), GNUT_PRIO_HIT);
}

/* A link's query routing table is complete: queries go to it only when
 * they hit the table. */
static void route_by_table(gnut_routing *r, gnut_node *node)
{
	gnut_route_link facts;
	gnut_route_link_init(&facts);
	facts.leaf = r->config.ultrapeer && !gnut_node_is_ultrapeer(node);
	facts.qrp = TRUE;
	facts.max_ttl = (guint8)MIN(gnut_node_get_peer(node)->max_ttl, 255);
	gnut_router_link_set(r->router, gnut_node_get_id(node), &facts);
}

/* Handles a message the router delivered to us. */
static void deliver(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                    const guint8 *payload)
{
	switch (h->type) {
	case GNUT_MSG_PING:
		answer_ping(r, from, h);
		break;
	case GNUT_MSG_QUERY:
		answer_query(r, from, h, payload);
		break;
	case GNUT_MSG_QUERY_HIT:
		r->handlers.hit(h, payload, r->data);
		break;
	case GNUT_QRP_MSG_TYPE:
		if (gnut_qrp_routes_received(r->qrp, from, h, payload))
			route_by_table(r, from);
		break;
	case GNUT_MSG_VENDOR:
		gnut_dquery_run_vendor(r->dq, from, h, payload);
		break;
	case GNUT_MSG_PONG:
		r->handlers.pong(h, payload, r->data);
		break;
	case GNUT_MSG_PUSH:
		r->handlers.push(h, payload, r->data);
		break;
	default:
		break; /* unknown types */
	}
}

void gnut_routing_message(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                          const guint8 *payload)
{
	gnut_msg_in in = {
	    .guid = h->guid,
	    .type = h->type,
	    .ttl = h->ttl,
	    .hops = h->hops,
	    .payload = payload,
	    .payload_len = h->length,
	};
	guint n_links;
	const guint64 *links = gnut_links_ids(r->config.links, &n_links);
	gnut_router_decide(r->router, gnut_node_get_id(from), &in, links, n_links, &r->decision);
	if (r->decision.flags == 0) {
		r->dropped++;
		g_debug("link %s: %s dropped: %s", gnut_node_get_address(from),
		        gnut_msg_type_name(h->type), gnut_route_drop_str(r->decision.drop));
		return;
	}
	if (h->type == GNUT_MSG_QUERY_HIT)
		gnut_dquery_run_hit_routed(r->dq, h, payload);
	if ((r->decision.flags & GNUT_ROUTE_FORWARD) && h->type == GNUT_MSG_QUERY)
		gnut_dquery_run_leaf_query(r->dq, from, &in, &r->decision);
	if (r->decision.flags & GNUT_ROUTE_FORWARD)
		forward(r, h, payload, &r->decision);
	if (r->decision.flags & GNUT_ROUTE_DELIVER_LOCAL)
		deliver(r, from, h, payload);
}

guint gnut_routing_originate(gnut_routing *r, const gnut_guid *guid, guint8 type,
                             const guint8 *payload, gsize len)
{
	gnut_msg_in in = {
	    .guid = *guid,
	    .type = type,
	    .ttl = GNUT_ROUTING_QUERY_TTL,
	    .hops = 0,
	    .payload = payload,
	    .payload_len = len,
	};
	guint n_links;
	const guint64 *links = gnut_links_ids(r->config.links, &n_links);
	gnut_router_originate(r->router, &in, links, n_links, &r->decision);
	if (!(r->decision.flags & GNUT_ROUTE_FORWARD))
		return 0;
	gnut_msg_header h = {.guid = *guid, .type = type, .length = (uint32_t)len};
	forward(r, &h, payload, &r->decision);
	return r->decision.dests->len;
}

gboolean gnut_routing_push(gnut_routing *r, const gnut_guid *servent, guint32 index,
                           uint32_t ipv4, guint16 port)
{
	guint64 link;
	gnut_node *node = NULL;
	if (gnut_router_push_route(r->router, servent, &link))
		node = gnut_links_lookup(r->config.links, link);
	if (node == NULL || ipv4 == 0) {
		g_message("cannot push to a firewalled source: %s",
		          node == NULL ? "no route to it" : "our address is not known");
		return FALSE;
	}
	gnut_push push = {.servent = *servent, .file_index = index, .ipv4 = ipv4, .port = port};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_push_encode(payload, &push);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	gnut_router_note_own(r->router, &guid, GNUT_MSG_PUSH);
	gnut_node_send_msg(node, &guid, GNUT_MSG_PUSH, GNUT_ROUTING_PUSH_TTL, 0, payload->data,
	                   payload->len, GNUT_PRIO_CONTROL);
	return TRUE;
}

void gnut_routing_link_up(gnut_routing *r, gnut_node *node)
{
	const gnut_handshake_peer *peer = gnut_node_get_peer(node);
	gnut_route_link facts;
	gnut_route_link_init(&facts);
	facts.leaf = r->config.ultrapeer && peer->has_ultrapeer && !peer->ultrapeer;
	facts.max_ttl = (guint8)MIN(peer->max_ttl, 255);
	gnut_router_link_set(r->router, gnut_node_get_id(node), &facts);
	gnut_qrp_routes_link_up(r->qrp, node);
}

void gnut_routing_link_closed(gnut_routing *r, gnut_node *node)
{
	guint64 id = gnut_node_get_id(node);
	gnut_router_link_closed(r->router, id);
	gnut_qrp_routes_link_closed(r->qrp, id);
	gnut_dquery_run_link_closed(r->dq, id);
}

void gnut_routing_ping_sent(gnut_routing *r, const gnut_guid *guid)
{
	gnut_router_note_own(r->router, guid, GNUT_MSG_PING);
}

void gnut_routing_share_changed(gnut_routing *r)
{
	gnut_qrp_routes_share_changed(r->qrp);
}

guint64 gnut_routing_dropped(const gnut_routing *r)
{
	return r->dropped;
}

void gnut_routing_tick(gnut_routing *r, gint64 now_us)
{
	gnut_dquery_run_tick(r->dq, now_us);
}
