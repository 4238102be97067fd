/* routing.c: the routing room (see routing.h). The router decides, this
 * file carries the decision out: copies of a relayed message share one
 * GBytes per distinct TTL; a message for us is answered here when the share
 * can answer it (pings, queries), or handed to the owner. Flow control
 * (flow.h) sees every query first, and its Hops Flow messages go out from
 * here, both ways. */
#include "config.h"

#include "gnut/core/routing/routing.h"

#include <string.h>

#include "dquery-run.h"
#include "gnut/core/routing/flow.h"
#include "gnut/core/routing/oob-serve.h"
#include "gnut/core/routing/responder.h"
#include "gnut/core/routing/router.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/push.h"
#include "gnut/proto/qrp-msg.h"
#include "gnut/proto/vendor-bear.h"
#include "push-proxying.h"
#include "qrp-routes.h"

/* The speed our hits claim: hits are sorted by it, and a home line does
 * about this much. */
#define HIT_SPEED_KBPS 1000

/* How often every link's Hops Flow state is looked at (its output queue). */
#define HOPS_FLOW_CHECK_US G_USEC_PER_SEC

struct gnut_routing {
	gnut_routing_config config;
	gnut_routing_handlers handlers;
	gpointer data;
	gnut_router *router;
	gnut_route_decision decision; /* reused for every message */
	gnut_qrp_routes *qrp;
	gnut_dquery_run *dq;
	gnut_flow *flow;
	gnut_oob_serve *oob;
	gnut_proxying *proxying;
	gboolean udp_firewalled;
	gint64 next_hops_flow_check_us;
	gnut_routing_stats stats; /* but those flow and qrp keep */
};

/* Flow control as configured; rates over GNUT_FLOW_MAX_RATE are lowered to
 * it (gnutd's options refuse them before). */
static gnut_flow *flow_new(const gnut_routing_config *config)
{
	gnut_flow_config fc;
	gnut_flow_config_init(&fc);
	if (config->leaf_query_rate != 0)
		fc.leaf_rate = MIN(config->leaf_query_rate, GNUT_FLOW_MAX_RATE);
	if (config->ultrapeer_query_rate != 0)
		fc.ultrapeer_rate = MIN(config->ultrapeer_query_rate, GNUT_FLOW_MAX_RATE);
	return gnut_flow_new(config->clock, &fc);
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
	guint64 qrp_total = config->qrp_total_slots != 0
	                        ? MIN(config->qrp_total_slots, GNUT_ROUTING_QRP_MAX_TOTAL)
	                        : GNUT_ROUTING_QRP_TOTAL_SLOTS;
	r->qrp =
	    gnut_qrp_routes_new(config->links, config->share, config->ultrapeer,
	                        !config->no_compression, GNUT_ROUTING_QRP_LINK_SLOTS, qrp_total);
	gnut_qrp_routes_set_partials(r->qrp, config->partials);
	if (!config->flood_queries) {
		rc.query_filter = gnut_qrp_routes_filter;
		rc.query_filter_data = r->qrp;
	}
	r->router = gnut_router_new(config->clock, &rc);
	gnut_dquery_run_config dc = {
	    .clock = config->clock,
	    .ultrapeer = config->ultrapeer && !config->flood_queries,
	    .links = config->links,
	    .qrp = r->qrp,
	    .router = r->router,
	    .kept_hits = handlers->kept_hits, /* the owner answers directly */
	    .kept_data = data,
	};
	r->dq = gnut_dquery_run_new(&dc);
	r->flow = flow_new(config);
	gnut_oob_serve_config oc = {
	    .clock = config->clock,
	    .share = config->share,
	    .allow_local = config->allow_local,
	    .send = handlers->oob_send,
	    .send_data = data,
	};
	r->oob = gnut_oob_serve_new(&oc);
	gnut_proxying_config pc = {
	    .clock = config->clock,
	    .links = config->links,
	    .guid = config->guid,
	    .ultrapeer = config->ultrapeer,
	    .allow_local = config->allow_local,
	    .bad_log = config->bad_log,
	};
	r->proxying = gnut_proxying_new(&pc);
	r->udp_firewalled = TRUE;
	gnut_route_decision_init(&r->decision);
	return r;
}

void gnut_routing_free(gnut_routing *r)
{
	if (r == NULL)
		return;
	gnut_flow_free(r->flow);
	gnut_oob_serve_free(r->oob);
	gnut_proxying_free(r->proxying);
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

/* A message of ours went out on a link: the traffic counters. */
static void count_sent(gnut_routing *r, guint8 type)
{
	if (type == GNUT_MSG_QUERY)
		r->stats.queries_sent++;
	else if (type == GNUT_MSG_QUERY_HIT)
		r->stats.hits_sent++;
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
			r->stats.dropped++;
		else
			count_sent(r, h->type);
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
	self->tls = r->config.tls;
	self->partials = r->config.partials;
	gnut_proxying_ours(r->proxying, &self->proxies);
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
	guint results = 0;
	for (guint i = 0; i < hits->len; i++)
		results += ((const guint8 *)g_bytes_get_data(g_ptr_array_index(hits, i),
		                                             NULL))[GNUT_MSG_HEADER_LEN];
	if (results > 0) {
		r->stats.queries_answered++;
		r->stats.results_sent += results;
	}
	if (gnut_oob_serve_offer(r->oob, &self, h, payload, results, !r->udp_firewalled)) {
		g_debug("link %s: query's %u results offered out of band",
		        gnut_node_get_address(from), results);
		return;
	}
	g_debug("link %s: query answered with %u hit messages", gnut_node_get_address(from),
	        hits->len);
	for (guint i = 0; i < hits->len; i++)
		if (gnut_node_send(from, g_ptr_array_index(hits, i), GNUT_PRIO_HIT))
			count_sent(r, GNUT_MSG_QUERY_HIT);
}

/* A link's query routing table is complete: queries go to it only when
 * they hit the table. */
static void route_by_table(gnut_routing *r, gnut_node *node)
{
	gnut_route_link facts;
	gnut_router_link_get(r->router, gnut_node_get_id(node), &facts);
	facts.leaf = r->config.ultrapeer && !gnut_node_is_ultrapeer(node);
	facts.qrp = TRUE;
	facts.max_ttl = (guint8)MIN(gnut_node_get_peer(node)->max_ttl, 255);
	gnut_router_link_set(r->router, gnut_node_get_id(node), &facts);
}

/* A RESET or PATCH: a table complete is routed by; a bad one, or one over
 * the size caps, ends the link (the spec gives no way to refuse a table and
 * keep the link, and a leaf we cannot route to is better off elsewhere). */
static void qrp_message(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                        const guint8 *payload)
{
	const char *why = NULL;
	switch (gnut_qrp_routes_received(r->qrp, gnut_node_get_id(from), h, payload, &why)) {
	case GNUT_QRP_ROUTES_READY:
		route_by_table(r, from);
		break;
	case GNUT_QRP_ROUTES_PENDING:
		break;
	case GNUT_QRP_ROUTES_BAD:
		g_message("link %s: bad query routing table: %s", gnut_node_get_address(from), why);
		gnut_node_bye(from, GNUT_HTTP_BAD_REQUEST, "Bad query routing table");
		break;
	case GNUT_QRP_ROUTES_TOO_LARGE:
	case GNUT_QRP_ROUTES_FULL:
		r->stats.qrp_tables_refused++;
		g_message("link %s: query routing table refused: %s", gnut_node_get_address(from),
		          why);
		gnut_node_bye(from, GNUT_HTTP_PAYLOAD_TOO_LARGE, why);
		break;
	}
}

/* Does a Messages Supported list Hops Flow (BEAR/4, version 1 or later)? */
static gboolean lists_hops_flow(const gnut_vendor_msg *vm)
{
	gnut_vmsg_supported sup;
	if (gnut_vmsg_supported_decode(vm->data.data, vm->data.len, &sup) != GNUT_PROTO_OK)
		return FALSE;
	gnut_vmsg_entry e;
	for (guint i = 0; gnut_vmsg_supported_get(&sup, i, &e); i++)
		if (memcmp(e.vendor, GNUT_BEAR_VENDOR, GNUT_VENDOR_CODE_LEN) == 0 &&
		    e.selector == GNUT_BEAR_SEL_HOPS_FLOW && e.version >= 1)
			return TRUE;
	return FALSE;
}

/* Vendor messages: a peer's Hops Flow (honoured: the router sends it no
 * query over it) and Messages Supported (whether it understands ours) are
 * flow control's; the push proxy messages are push proxying's; the query
 * status messages are dynamic querying's. */
static void vendor_message(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                           const guint8 *payload)
{
	guint64 id = gnut_node_get_id(from);
	guint8 hops;
	gnut_vendor_msg vm;
	if (gnut_bear_hops_flow_decode(payload, h->length, &hops) == GNUT_PROTO_OK) {
		gnut_route_link facts;
		gnut_router_link_get(r->router, id, &facts);
		facts.hops_flow = hops;
		gnut_router_link_set(r->router, id, &facts);
		g_debug("link %s: Hops Flow %u", gnut_node_get_address(from), hops);
	} else if (gnut_vendor_msg_decode(payload, h->length, &vm) == GNUT_PROTO_OK &&
	           gnut_vendor_msg_is_supported_list(&vm)) {
		gnut_flow_link_hops_flow(r->flow, id, lists_hops_flow(&vm));
	} else if (!gnut_proxying_vendor(r->proxying, from, h, payload)) {
		gnut_dquery_run_vendor(r->dq, from, h, payload);
	}
}

/* Sends node the Hops Flow flow control calls for, if any (see flow.h for
 * the rule). */
static void hops_flow_out(gnut_routing *r, gnut_node *node)
{
	guint8 hops;
	if (!gnut_flow_hops_flow_due(r->flow, gnut_node_get_id(node),
	                             gnut_node_output_backed_up(node), &hops))
		return;
	g_autoptr(GByteArray) p = g_byte_array_new();
	gnut_bear_hops_flow_encode(p, hops);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	gnut_node_send_msg(node, &guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len, GNUT_PRIO_CONTROL);
	g_debug("link %s: sent Hops Flow %u", gnut_node_get_address(node), hops);
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
		r->stats.queries_received++;
		answer_query(r, from, h, payload);
		break;
	case GNUT_MSG_QUERY_HIT:
		r->handlers.hit(h, payload, r->data);
		break;
	case GNUT_QRP_MSG_TYPE:
		qrp_message(r, from, h, payload);
		break;
	case GNUT_MSG_VENDOR:
		vendor_message(r, from, h, payload);
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

/* Flow control: a query takes from its link's budget before any routing
 * work; over it, it is dropped (and the link may be told Hops Flow), and a
 * link that keeps flooding is told Bye. FALSE when the query goes no
 * further. */
static gboolean query_within_budget(gnut_routing *r, gnut_node *from)
{
	gnut_flow_verdict v = gnut_flow_query(r->flow, gnut_node_get_id(from));
	if (v == GNUT_FLOW_PASS)
		return TRUE;
	r->stats.dropped++;
	if (v == GNUT_FLOW_CLOSE) {
		g_message("link %s: flooding queries: closing it", gnut_node_get_address(from));
		gnut_node_bye(from, GNUT_FLOW_BYE_CODE, "Flooding");
		return FALSE;
	}
	gnut_log_limited(r->config.bad_log, "link %s: query over the link's budget dropped",
	                 gnut_node_get_address(from));
	hops_flow_out(r, from);
	return FALSE;
}

/* A leaf's query goes to the other ultrapeers by dynamic querying. One the
 * dynamic querying caps refuse is dropped and counted, never flooded (the
 * caps would otherwise buy the widest search there is). FALSE when it was
 * dropped. */
static gboolean leaf_query_taken(gnut_routing *r, gnut_node *from, const gnut_msg_in *in)
{
	if (gnut_dquery_run_leaf_query(r->dq, from, in, &r->decision) != GNUT_DQUERY_RUN_REFUSED)
		return TRUE;
	r->stats.dropped++;
	r->stats.leaf_queries_refused++;
	gnut_log_limited(r->config.bad_log, "link %s: leaf query dropped: %s",
	                 gnut_node_get_address(from), gnut_dquery_run_refusal(r->dq));
	return FALSE;
}

/* A hit for a search of ours counts against its link's share of that
 * search's results (flow.h): one peer cannot fill our searches with its
 * own answers. FALSE when it was dropped. */
static gboolean hit_within_share(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                                 const guint8 *payload)
{
	if (!(r->decision.flags & GNUT_ROUTE_DELIVER_LOCAL) ||
	    gnut_flow_own_hits(r->flow, gnut_node_get_id(from), &h->guid, payload[0]))
		return TRUE;
	r->stats.dropped++;
	gnut_log_limited(r->config.bad_log,
	                 "link %s: hit over the link's share of a search dropped",
	                 gnut_node_get_address(from));
	return FALSE;
}

/* The links the last decision kept a query from by their QRP tables. */
static void count_qrp_skips(gnut_routing *r)
{
	r->stats.qrp_skipped_leaves += r->decision.qrp_skipped_leaves;
	r->stats.qrp_skipped_ultrapeers += r->decision.qrp_skipped_ultrapeers;
}

void gnut_routing_message(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                          const guint8 *payload)
{
	if (h->type == GNUT_MSG_QUERY && !query_within_budget(r, from))
		return;
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
	count_qrp_skips(r);
	if (r->decision.flags == 0) {
		r->stats.dropped++;
		g_debug("link %s: %s dropped: %s", gnut_node_get_address(from),
		        gnut_msg_type_name(h->type), gnut_route_drop_str(r->decision.drop));
		return;
	}
	if (h->type == GNUT_MSG_QUERY_HIT && !hit_within_share(r, from, h, payload))
		return;
	if (h->type == GNUT_MSG_QUERY_HIT)
		gnut_dquery_run_hit_routed(r->dq, h, payload);
	if ((r->decision.flags & GNUT_ROUTE_FORWARD) && h->type == GNUT_MSG_QUERY &&
	    !leaf_query_taken(r, from, &in))
		return;
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
	count_qrp_skips(r);
	if (!(r->decision.flags & GNUT_ROUTE_FORWARD))
		return 0;
	guint probed = 0;
	if (type == GNUT_MSG_QUERY)
		gnut_dquery_run_own_query(r->dq, &in, &r->decision, &probed);
	gnut_msg_header h = {.guid = *guid, .type = type, .length = (uint32_t)len};
	forward(r, &h, payload, &r->decision);
	return r->decision.dests->len + probed;
}

gboolean gnut_routing_push(gnut_routing *r, const gnut_guid *servent, guint32 index, uint32_t ipv4,
                           guint16 port)
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
	gnut_flow_link_up(r->flow, gnut_node_get_id(node),
	                  r->config.ultrapeer && !gnut_node_is_ultrapeer(node));
	gnut_qrp_routes_link_up(r->qrp, node);
	gnut_proxying_link_up(r->proxying, node);
}

void gnut_routing_link_closed(gnut_routing *r, gnut_node *node)
{
	guint64 id = gnut_node_get_id(node);
	gnut_router_link_closed(r->router, id);
	gnut_qrp_routes_link_closed(r->qrp, id);
	gnut_dquery_run_link_closed(r->dq, id);
	gnut_flow_link_closed(r->flow, id);
	gnut_proxying_link_closed(r->proxying, id);
}

void gnut_routing_ping_sent(gnut_routing *r, const gnut_guid *guid)
{
	gnut_router_note_own(r->router, guid, GNUT_MSG_PING);
}

void gnut_routing_share_changed(gnut_routing *r)
{
	gnut_qrp_routes_share_changed(r->qrp);
}

void gnut_routing_get_stats(const gnut_routing *r, gnut_routing_stats *out)
{
	*out = r->stats;
	gnut_flow_stats fs;
	gnut_flow_get_stats(r->flow, &fs);
	out->queries_over_budget = fs.queries_dropped;
	out->links_flooding = fs.links_flooding;
	out->hops_flows_sent = fs.hops_flows;
	out->hits_over_share = fs.hits_dropped;
	out->qrp_slots_held = gnut_qrp_routes_slots_held(r->qrp);
	out->queries_sent += gnut_dquery_run_queries_sent(r->dq);
	out->query_status_sent = gnut_dquery_run_status_sent(r->dq);
	gnut_proxying_stats ps;
	gnut_proxying_get_stats(r->proxying, &ps);
	out->push_proxy_requests = ps.requests;
	out->push_proxy_pushes = ps.pushes_sent;
	out->push_proxy_leaves = ps.leaves;
	out->push_proxies = ps.proxies;
}

unsigned gnut_routing_push_proxy_request(gnut_routing *r, const gnut_guid *servent,
                                         uint32_t requester, uint32_t ipv4, guint16 port)
{
	return gnut_proxying_request(r->proxying, servent, requester, ipv4, port);
}

/* About every second, each link's Hops Flow state: started by a backed-up
 * output queue, lifted once calm (see flow.h). */
static void check_hops_flows(gnut_routing *r, gint64 now_us)
{
	if (now_us < r->next_hops_flow_check_us)
		return;
	r->next_hops_flow_check_us = now_us + HOPS_FLOW_CHECK_US;
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(r->config.links);
	for (guint i = 0; i < nodes->len; i++)
		if (!gnut_node_is_closing(g_ptr_array_index(nodes, i)))
			hops_flow_out(r, g_ptr_array_index(nodes, i));
}

void gnut_routing_tick(gnut_routing *r, gint64 now_us)
{
	gnut_oob_serve_tick(r->oob, now_us);
	gnut_dquery_run_tick(r->dq, now_us);
	gnut_qrp_routes_tick(r->qrp, now_us);
	check_hops_flows(r, now_us);
}

gboolean gnut_routing_udp_vendor(gnut_routing *r, const gnut_msg_header *h, const guint8 *payload,
                                 uint32_t ipv4, guint16 port)
{
	gnut_responder_self self;
	responder_self(r, &self);
	return gnut_oob_serve_claim(r->oob, &self, h, payload, ipv4, port);
}

void gnut_routing_set_firewalled(gnut_routing *r, gboolean tcp, gboolean udp)
{
	r->config.firewalled = tcp;
	r->udp_firewalled = udp;
}

void gnut_routing_set_ultrapeer(gnut_routing *r, gboolean ultrapeer)
{
	r->config.ultrapeer = ultrapeer;
	gnut_router_set_leaf_mode(r->router, !ultrapeer);
	gnut_qrp_routes_set_ultrapeer(r->qrp, ultrapeer);
	gnut_dquery_run_set_ultrapeer(r->dq, ultrapeer && !r->config.flood_queries);
	gnut_proxying_set_ultrapeer(r->proxying, ultrapeer);
}

const gnut_oob_serve_stats *gnut_routing_oob_stats(const gnut_routing *r)
{
	return gnut_oob_serve_get_stats(r->oob);
}
