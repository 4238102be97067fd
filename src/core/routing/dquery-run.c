/* dquery-run.c: dynamic querying for the queries of our leaves. As an
 * ultrapeer we do not flood a leaf's query to every ultrapeer link at once:
 * our own leaves get it at once (by QRP), the ultrapeer links one step at a
 * time with a growing TTL until enough hits came back (the dquery table
 * decides, this file sends). It is what X-Dynamic-Querying: 0.1 promises,
 * and what gtk-gnutella leaves demand of their ultrapeers. Our own queries
 * keep the flood at TTL 4. This file also speaks the leaf-guided query
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
	gnut_dquery_start_result last_refusal;
};

/* What the steps of one dynamic query send again. */
typedef struct {
	GBytes *payload;
	guint8 hops; /* as relayed */
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

static void send_status_request(gnut_node *leaf, const gnut_guid *guid)
{
	g_autoptr(GByteArray) p = g_byte_array_new();
	gnut_bear_qstat_req_encode(p);
	gnut_node_send_msg(leaf, guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len, GNUT_PRIO_CONTROL);
}

/* Carries out the steps the table gave. */
static void run_steps(gnut_dquery_run *dq)
{
	for (guint i = 0; i < dq->steps->len; i++) {
		const gnut_dquery_step *st = &g_array_index(dq->steps, gnut_dquery_step, i);
		gnut_node *node = gnut_links_lookup(dq->config.links, st->link);
		dq_query *q = g_hash_table_lookup(dq->queries, &st->guid);
		if (st->action == GNUT_DQUERY_FINISHED) {
			g_debug("dynamic query finished: %s", gnut_dquery_end_str(st->reason));
			g_hash_table_remove(dq->queries, &st->guid);
		} else if (st->action == GNUT_DQUERY_ASK_STATUS && node != NULL) {
			send_status_request(node, &st->guid);
		} else if (st->action == GNUT_DQUERY_SEND && node != NULL && q != NULL &&
		           gnut_router_hops_flow_allows(dq->config.router, st->link, q->hops)) {
			gsize len;
			const guint8 *p = g_bytes_get_data(q->payload, &len);
			gnut_node_send_msg(node, &st->guid, GNUT_MSG_QUERY, st->ttl, q->hops, p,
			                   len, GNUT_PRIO_QUERY);
		}
	}
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
		};
		g_array_append_val(ups, l);
	}
	return ups;
}

gnut_dquery_run_result gnut_dquery_run_leaf_query(gnut_dquery_run *dq, gnut_node *from,
                                                  const gnut_msg_in *in, gnut_route_decision *d)
{
	if (!dq->config.ultrapeer || gnut_node_is_ultrapeer(from) || in->type != GNUT_MSG_QUERY)
		return GNUT_DQUERY_RUN_NOT_MINE;
	g_autoptr(GArray) ups = ultrapeer_candidates(dq, in, d);
	if (ups->len == 0)
		return GNUT_DQUERY_RUN_NOT_MINE;
	gnut_query q;
	gboolean guided = gnut_query_decode(in->payload, in->payload_len, &q) == GNUT_PROTO_OK &&
	                  (q.flags & GNUT_QUERY_F_MARK) && (q.flags & GNUT_QUERY_F_LEAF_GUIDED);
	gnut_dquery_start_result res =
	    gnut_dquery_start(dq->table, &in->guid, gnut_node_get_id(from), guided,
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
	gnut_guid *key = g_new(gnut_guid, 1);
	*key = in->guid;
	g_hash_table_replace(dq->queries, key, saved);
	run_steps(dq);
	return GNUT_DQUERY_RUN_STARTED;
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

void gnut_dquery_run_tick(gnut_dquery_run *dq, gint64 now_us)
{
	if (gnut_dquery_count(dq->table) == 0 || now_us < gnut_dquery_next_due(dq->table))
		return;
	gnut_dquery_tick(dq->table, dq->steps);
	run_steps(dq);
}

void gnut_dquery_run_link_closed(gnut_dquery_run *dq, guint64 link)
{
	gnut_dquery_link_closed(dq->table, link);
}

/* Query status messages: a leaf's answer (we are its ultrapeer) or an
 * ultrapeer's question (we are its leaf). Other vendor messages are not
 * ours to handle. */
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
		g_autoptr(GByteArray) p = g_byte_array_new();
		gnut_bear_qstat_reply_encode(p,
		                             dq->config.kept_hits(&h->guid, dq->config.kept_data));
		gnut_node_send_msg(from, &h->guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len,
		                   GNUT_PRIO_CONTROL);
	}
}
