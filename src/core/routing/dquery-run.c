/* dquery-run.c: dynamic querying for the queries of our leaves and our
 * own. As an ultrapeer we do not flood a query to every ultrapeer link at
 * once: our own leaves get it at once (by QRP), the ultrapeer links one step
 * at a time with a growing TTL until enough hits came back (the dquery
 * table decides, this file sends). It is what X-Dynamic-Querying: 0.1
 * promises, and what gtk-gnutella leaves demand of their ultrapeers. For our
 * own queries the hits counted are those our search kept, asked of the
 * owner before each step. This file also speaks the leaf-guided query
 * status messages (BEAR/11 and BEAR/12) both ways. */
#include "config.h"

#include "dquery-run.h"

#include "gnut/core/routing/dquery.h"
#include "gnut/proto/query.h"
#include "gnut/proto/vendor-bear.h"

struct gnut_dquery_run {
	gnut_dquery_run_config config;
	gnut_dquery_table *table;
	GArray *steps;       /* gnut_dquery_step, reused */
	GHashTable *queries; /* gnut_guid* -> dq_query: what their steps send */
	guint own_target;    /* results our own queries want: as a leaf, more kept
	                        tells our ultrapeers to stop */
	gnut_dquery_start_result last_refusal;
	guint64 queries_sent; /* by the steps, in all */
	guint64 status_sent;  /* query status requests and replies, in all */
};

/* What the steps of one dynamic query send again. */
typedef struct {
	GBytes *payload;
	guint8 hops;  /* as relayed */
	gboolean own; /* a query of ours: its count comes from our search */
} dq_query;

static void dq_query_free(gpointer p)
{
	dq_query *q = p;
	g_bytes_unref(q->payload);
	g_free(q);
}

gnut_dquery_run *gnut_dquery_run_new(const gnut_dquery_run_config *config)
{
	gnut_dquery_run *dq = g_new0(gnut_dquery_run, 1);
	dq->config = *config;
	gnut_dquery_config cfg;
	gnut_dquery_config_init(&cfg);
	dq->table = gnut_dquery_table_new(config->clock, &cfg);
	dq->own_target = cfg.results_local;
	dq->steps = gnut_dquery_steps_new();
	dq->queries = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, g_free, dq_query_free);
	return dq;
}

void gnut_dquery_run_free(gnut_dquery_run *dq)
{
	if (dq == NULL)
		return;
	gnut_dquery_table_free(dq->table);
	g_array_unref(dq->steps);
	g_hash_table_unref(dq->queries);
	g_free(dq);
}

static void send_status_request(gnut_dquery_run *dq, gnut_node *leaf, const gnut_guid *guid)
{
	g_autoptr(GByteArray) p = g_byte_array_new();
	gnut_bear_qstat_req_encode(p);
	if (gnut_node_send_msg(leaf, guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len,
	                       GNUT_PRIO_CONTROL))
		dq->status_sent++;
}

/* Carries out the steps the table gave; returns how many copies of a query
 * went out. */
static guint run_steps(gnut_dquery_run *dq)
{
	guint sent = 0;
	for (guint i = 0; i < dq->steps->len; i++) {
		const gnut_dquery_step *st = &g_array_index(dq->steps, gnut_dquery_step, i);
		gnut_node *node = gnut_links_lookup(dq->config.links, st->link);
		dq_query *q = g_hash_table_lookup(dq->queries, &st->guid);
		if (st->action == GNUT_DQUERY_FINISHED) {
			g_debug("dynamic query finished: %s", gnut_dquery_end_str(st->reason));
			g_hash_table_remove(dq->queries, &st->guid);
		} else if (st->action == GNUT_DQUERY_ASK_STATUS && node != NULL) {
			send_status_request(dq, node, &st->guid);
		} else if (st->action == GNUT_DQUERY_SEND && node != NULL && q != NULL &&
		           gnut_router_hops_flow_allows(dq->config.router, st->link, q->hops)) {
			gsize len;
			const guint8 *p = g_bytes_get_data(q->payload, &len);
			gnut_node_send_msg(node, &st->guid, GNUT_MSG_QUERY, st->ttl, q->hops, p,
			                   len, GNUT_PRIO_QUERY);
			sent++;
		}
	}
	dq->queries_sent += sent;
	return sent;
}

static gboolean is_ultrapeer_link(gnut_dquery_run *dq, guint64 link)
{
	gnut_node *node = gnut_links_lookup(dq->config.links, link);
	return node != NULL && gnut_node_is_ultrapeer(node);
}

/* The ultrapeer destinations of d as the dquery table wants them. */
static GArray *ultrapeer_candidates(gnut_dquery_run *dq, const gnut_msg_in *in,
                                    const gnut_route_decision *d)
{
	GArray *ups = g_array_new(FALSE, FALSE, sizeof(gnut_dquery_link));
	for (guint i = 0; i < d->dests->len; i++) {
		guint64 link = g_array_index(d->dests, gnut_route_dest, i).link;
		if (!is_ultrapeer_link(dq, link))
			continue;
		const gnut_handshake_peer *peer =
		    gnut_node_get_peer(gnut_links_lookup(dq->config.links, link));
		gnut_dquery_link l = {
		    .id = link,
		    .max_ttl = (guint8)MIN(peer->max_ttl, 255),
		    .degree = (guint16)MIN(peer->degree, G_MAXUINT16),
		    .qrp_hit = gnut_qrp_routes_table_hit(dq->config.qrp, link, in),
		    .qrp_miss = gnut_qrp_routes_table_miss(dq->config.qrp, link, in),
		};
		g_array_append_val(ups, l);
	}
	return ups;
}

/* Starts a dynamic query from origin over the ultrapeer destinations of d,
 * which leave d; the probe goes out. *sent: how many links it went to. */
static gnut_dquery_run_result start_over(gnut_dquery_run *dq, guint64 origin, gboolean guided,
                                         const gnut_msg_in *in, gnut_route_decision *d, guint *sent)
{
	*sent = 0;
	g_autoptr(GArray) ups = ultrapeer_candidates(dq, in, d);
	if (ups->len == 0)
		return GNUT_DQUERY_RUN_NOT_MINE;
	gnut_dquery_start_result res =
	    gnut_dquery_start(dq->table, &in->guid, origin, guided,
	                      (gnut_dquery_link *)(void *)ups->data, ups->len, dq->steps);
	if (res != GNUT_DQUERY_STARTED) {
		dq->last_refusal = res;
		return gnut_dquery_refusal_drops(res) ? GNUT_DQUERY_RUN_REFUSED
		                                      : GNUT_DQUERY_RUN_NOT_MINE;
	}
	for (guint i = d->dests->len; i-- > 0;)
		if (is_ultrapeer_link(dq, g_array_index(d->dests, gnut_route_dest, i).link))
			g_array_remove_index(d->dests, i);
	dq_query *saved = g_new0(dq_query, 1);
	saved->payload = g_bytes_new(in->payload, in->payload_len);
	saved->hops = d->hops;
	saved->own = origin == GNUT_DQUERY_US;
	gnut_guid *key = g_new(gnut_guid, 1);
	*key = in->guid;
	g_hash_table_replace(dq->queries, key, saved);
	*sent = run_steps(dq);
	return GNUT_DQUERY_RUN_STARTED;
}

gnut_dquery_run_result gnut_dquery_run_leaf_query(gnut_dquery_run *dq, gnut_node *from,
                                                  const gnut_msg_in *in, gnut_route_decision *d)
{
	if (!dq->config.ultrapeer || gnut_node_is_ultrapeer(from) || in->type != GNUT_MSG_QUERY)
		return GNUT_DQUERY_RUN_NOT_MINE;
	gnut_query q;
	gboolean guided = gnut_query_decode(in->payload, in->payload_len, &q) == GNUT_PROTO_OK &&
	                  (q.flags & GNUT_QUERY_F_MARK) && (q.flags & GNUT_QUERY_F_LEAF_GUIDED);
	guint sent;
	return start_over(dq, gnut_node_get_id(from), guided, in, d, &sent);
}

gnut_dquery_run_result gnut_dquery_run_own_query(gnut_dquery_run *dq, const gnut_msg_in *in,
                                                 gnut_route_decision *d, guint *sent)
{
	*sent = 0;
	if (!dq->config.ultrapeer || in->type != GNUT_MSG_QUERY)
		return GNUT_DQUERY_RUN_NOT_MINE;
	return start_over(dq, GNUT_DQUERY_US, FALSE, in, d, sent);
}

guint64 gnut_dquery_run_queries_sent(const gnut_dquery_run *dq)
{
	return dq->queries_sent;
}

guint64 gnut_dquery_run_status_sent(const gnut_dquery_run *dq)
{
	return dq->status_sent;
}

const char *gnut_dquery_run_refusal(const gnut_dquery_run *dq)
{
	return gnut_dquery_start_result_str(dq->last_refusal);
}

void gnut_dquery_run_hit_routed(gnut_dquery_run *dq, const gnut_msg_header *h,
                                const guint8 *payload)
{
	if (h->length >= 1)
		gnut_dquery_results(dq->table, &h->guid, payload[0]);
}

/* Our own queries count what our search kept (out-of-band hits too); a
 * search that is over ends its query. */
static void own_results_update(gnut_dquery_run *dq)
{
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, dq->queries);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		if (!((dq_query *)value)->own)
			continue;
		guint16 kept = dq->config.kept_hits(key, dq->config.kept_data);
		if (kept == GNUT_BEAR_QSTAT_STOP)
			gnut_dquery_cancel(dq->table, key);
		else
			gnut_dquery_own_results(dq->table, key, kept);
	}
}

void gnut_dquery_run_tick(gnut_dquery_run *dq, gint64 now_us)
{
	if (gnut_dquery_count(dq->table) == 0 || now_us < gnut_dquery_next_due(dq->table))
		return;
	own_results_update(dq);
	gnut_dquery_tick(dq->table, dq->steps);
	run_steps(dq);
}

void gnut_dquery_run_link_closed(gnut_dquery_run *dq, guint64 link)
{
	gnut_dquery_link_closed(dq->table, link);
}

/* Query status messages: a leaf's answer (we are its ultrapeer) or an
 * ultrapeer's question (we are its leaf: we answer with the hits our search
 * kept, or stop once they reach what our own queries want, or the search is
 * over). Other vendor messages are not ours to handle. */
void gnut_dquery_run_vendor(gnut_dquery_run *dq, gnut_node *from, const gnut_msg_header *h,
                            const guint8 *payload)
{
	guint16 kept;
	if (gnut_bear_qstat_reply_decode(payload, h->length, &kept) == GNUT_PROTO_OK) {
		gnut_dquery_leaf_status(dq->table, gnut_node_get_id(from), &h->guid, kept);
		return;
	}
	if (gnut_bear_qstat_req_decode(payload, h->length) == GNUT_PROTO_OK &&
	    gnut_node_is_ultrapeer(from)) {
		kept = dq->config.kept_hits(&h->guid, dq->config.kept_data);
		g_autoptr(GByteArray) p = g_byte_array_new();
		gnut_bear_qstat_reply_encode(p, gnut_dquery_leaf_answer(kept, dq->own_target));
		if (gnut_node_send_msg(from, &h->guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len,
		                       GNUT_PRIO_CONTROL))
			dq->status_sent++;
	}
}

void gnut_dquery_run_set_ultrapeer(gnut_dquery_run *dq, gboolean ultrapeer)
{
	dq->config.ultrapeer = ultrapeer;
}
