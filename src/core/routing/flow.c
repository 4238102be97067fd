/* flow.c: the flow control policy of flow.h. Each link has a token bucket of
 * queries (the rate limiter of gnut/base), a count of the queries dropped in
 * the current flood window, the Hops Flow state we last told it, and the
 * results it brought our last searches. All of it is per link and bounded:
 * a call costs O(1) whatever the traffic. */
#include "gnut/core/routing/flow.h"

#include <string.h>

#include "gnut/base/rate-limit.h"

typedef struct {
	gboolean leaf;
	gboolean understands_hops_flow;
	gnut_rate_limit *budget; /* tokens are queries */
	gint64 window_start_us;  /* the flood window the drops below count in */
	guint window_drops;
	gboolean troubled;  /* trouble_us is set */
	gint64 trouble_us;  /* last drop or backed-up output seen */
	gboolean held_back; /* we sent it GNUT_FLOW_HOPS_OWN_ONLY, not lifted since */
	GHashTable *hits;   /* gnut_guid * -> own_search * (owned): results brought */
	GQueue hit_order;   /* the same own_search *, the last answered at the tail */
} flow_link;

/* The results a link brought one of our searches. */
typedef struct {
	gnut_guid guid; /* the hash key points here */
	guint results;
	GList node; /* its place in hit_order; data = this */
} own_search;

struct gnut_flow {
	gnut_clock *clock;
	gnut_flow_config cfg;
	GHashTable *links; /* guint64 * -> flow_link * (both owned) */
	gnut_flow_stats stats;
};

void gnut_flow_config_init(gnut_flow_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->leaf_rate = GNUT_FLOW_LEAF_RATE;
	cfg->ultrapeer_rate = GNUT_FLOW_ULTRAPEER_RATE;
	cfg->burst_s = GNUT_FLOW_BURST_S;
	cfg->flood_drops = GNUT_FLOW_FLOOD_DROPS;
	cfg->flood_window_s = GNUT_FLOW_FLOOD_WINDOW_S;
	cfg->calm_s = GNUT_FLOW_CALM_S;
	cfg->hits_per_search = GNUT_FLOW_HITS_PER_SEARCH;
}

static gboolean rate_valid(guint rate)
{
	return rate >= 1 && rate <= GNUT_FLOW_MAX_RATE;
}

static void flow_link_free(gpointer p)
{
	flow_link *fl = p;
	gnut_rate_limit_free(fl->budget);
	g_hash_table_unref(fl->hits);
	g_free(fl);
}

gnut_flow *gnut_flow_new(gnut_clock *clock, const gnut_flow_config *cfg)
{
	g_return_val_if_fail(clock != NULL && cfg != NULL, NULL);
	g_return_val_if_fail(rate_valid(cfg->leaf_rate) && rate_valid(cfg->ultrapeer_rate), NULL);
	g_return_val_if_fail(cfg->burst_s >= 1 && cfg->flood_window_s >= 1, NULL);
	g_return_val_if_fail(cfg->hits_per_search >= 1, NULL);
	gnut_flow *f = g_new0(gnut_flow, 1);
	f->clock = clock;
	f->cfg = *cfg;
	f->links = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, flow_link_free);
	return f;
}

void gnut_flow_free(gnut_flow *f)
{
	if (f == NULL)
		return;
	g_hash_table_unref(f->links);
	g_free(f);
}

/* The link's state, made (as an ultrapeer link, full bucket) if new. */
static flow_link *link_state(gnut_flow *f, guint64 link)
{
	flow_link *fl = g_hash_table_lookup(f->links, &link);
	if (fl != NULL)
		return fl;
	fl = g_new0(flow_link, 1);
	fl->hits = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, NULL, g_free);
	g_queue_init(&fl->hit_order);
	guint rate = f->cfg.ultrapeer_rate;
	fl->budget = gnut_rate_limit_new(f->clock, rate, (guint64)rate * f->cfg.burst_s);
	guint64 *key = g_new(guint64, 1);
	*key = link;
	g_hash_table_insert(f->links, key, fl);
	return fl;
}

void gnut_flow_link_up(gnut_flow *f, guint64 link, gboolean leaf)
{
	g_return_if_fail(f != NULL);
	flow_link *fl = link_state(f, link);
	fl->leaf = leaf;
	guint rate = leaf ? f->cfg.leaf_rate : f->cfg.ultrapeer_rate;
	gnut_rate_limit_free(fl->budget);
	fl->budget = gnut_rate_limit_new(f->clock, rate, (guint64)rate * f->cfg.burst_s);
}

void gnut_flow_link_hops_flow(gnut_flow *f, guint64 link, gboolean understands)
{
	g_return_if_fail(f != NULL);
	link_state(f, link)->understands_hops_flow = understands;
}

void gnut_flow_link_closed(gnut_flow *f, guint64 link)
{
	g_return_if_fail(f != NULL);
	g_hash_table_remove(f->links, &link);
}

/* Counts one more drop in the link's flood window; TRUE once the window
 * holds more than flood_drops. Fixed windows: a link is closed only for a
 * flood that lasts, not for one burst over the budget. */
static gboolean flooding(gnut_flow *f, flow_link *fl, gint64 now)
{
	gint64 window = (gint64)f->cfg.flood_window_s * G_USEC_PER_SEC;
	if (fl->window_drops == 0 || now - fl->window_start_us >= window) {
		fl->window_start_us = now;
		fl->window_drops = 0;
	}
	fl->window_drops++;
	return fl->window_drops > f->cfg.flood_drops;
}

gnut_flow_verdict gnut_flow_query(gnut_flow *f, guint64 link)
{
	g_return_val_if_fail(f != NULL, GNUT_FLOW_DROP);
	flow_link *fl = link_state(f, link);
	if (gnut_rate_limit_take(fl->budget, 1) == 1)
		return GNUT_FLOW_PASS;
	gint64 now = gnut_clock_now_us(f->clock);
	fl->troubled = TRUE;
	fl->trouble_us = now;
	f->stats.queries_dropped++;
	if (!flooding(f, fl, now))
		return GNUT_FLOW_DROP;
	f->stats.links_flooding++;
	return GNUT_FLOW_CLOSE;
}

/* The count of guid's results on fl, made (forgetting the search answered
 * longest ago when GNUT_FLOW_SEARCHES_KEPT are counted) if new, and moved
 * to the tail of hit_order. */
static own_search *own_search_of(flow_link *fl, const gnut_guid *guid)
{
	own_search *os = g_hash_table_lookup(fl->hits, guid);
	if (os != NULL) {
		g_queue_unlink(&fl->hit_order, &os->node);
	} else {
		if (fl->hit_order.length >= GNUT_FLOW_SEARCHES_KEPT) {
			own_search *old = g_queue_pop_head(&fl->hit_order);
			g_hash_table_remove(fl->hits, &old->guid);
		}
		os = g_new0(own_search, 1);
		os->guid = *guid;
		os->node.data = os;
		g_hash_table_insert(fl->hits, &os->guid, os);
	}
	g_queue_push_tail_link(&fl->hit_order, &os->node);
	return os;
}

gboolean gnut_flow_own_hits(gnut_flow *f, guint64 link, const gnut_guid *guid, guint results)
{
	g_return_val_if_fail(f != NULL && guid != NULL, FALSE);
	own_search *os = own_search_of(link_state(f, link), guid);
	if (results > f->cfg.hits_per_search - MIN(os->results, f->cfg.hits_per_search)) {
		f->stats.hits_dropped++;
		return FALSE;
	}
	os->results += results;
	return TRUE;
}

gboolean gnut_flow_hops_flow_due(gnut_flow *f, guint64 link, gboolean backed_up, guint8 *hops)
{
	g_return_val_if_fail(f != NULL && hops != NULL, FALSE);
	flow_link *fl = g_hash_table_lookup(f->links, &link);
	if (fl == NULL || fl->leaf || !fl->understands_hops_flow)
		return FALSE;
	gint64 now = gnut_clock_now_us(f->clock);
	if (backed_up) {
		fl->troubled = TRUE;
		fl->trouble_us = now;
	}
	gboolean in_trouble =
	    fl->troubled && now - fl->trouble_us < (gint64)f->cfg.calm_s * G_USEC_PER_SEC;
	if (in_trouble == fl->held_back)
		return FALSE;
	fl->held_back = in_trouble;
	*hops = in_trouble ? GNUT_FLOW_HOPS_OWN_ONLY : GNUT_FLOW_HOPS_ALL;
	f->stats.hops_flows++;
	return TRUE;
}

void gnut_flow_get_stats(const gnut_flow *f, gnut_flow_stats *out)
{
	g_return_if_fail(f != NULL && out != NULL);
	*out = f->stats;
}
