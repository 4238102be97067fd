/* dquery.c: the dynamic query policy of dquery.h. Each running query keeps
 * its candidate links, the theoretical horizon reached, the results counted
 * and the time its next step is due; gnut_dquery_tick moves the queries whose
 * time came and writes the steps into the caller's array. Nothing here sends
 * anything. */
#include "gnut/core/routing/dquery.h"

#include <string.h>

#include "gnut/proto/vendor-bear.h"

/* hosts() saturates here: far over any max_horizon, far under G_MAXUINT64. */
#define HORIZON_SATURATED ((guint64)1 << 50)

typedef struct {
	gnut_guid guid; /* the hash key points here */
	guint64 origin;
	guint wanted;
	gint64 started_us;
	gint64 due_us;        /* the next step, once the wait after the last passed */
	gint64 status_due_us; /* awaiting_status: give up on the leaf then */
	GArray *candidates;   /* gnut_dquery_link not sent to yet, normalised, in order */
	guint64 horizon;      /* ultrapeers theoretically reached */
	guint routed;         /* results routed back, in all */
	guint routed_since_status;
	guint kept;              /* the leaf's last status */
	guint sent_since_status; /* links sent to since the last status (or start) */
	guint rare_steps;        /* steps sent while the content looked rare */
	gboolean guided;         /* ask the leaf for its status */
	gboolean got_status;     /* the leaf sent a status: count with kept */
	gboolean awaiting_status;
	gnut_dquery_end end; /* 0 while running */
} dquery;

struct gnut_dquery_table {
	gnut_clock *clock;
	gnut_dquery_config cfg;
	GHashTable *by_guid; /* gnut_guid * -> dquery * (owned) */
	GPtrArray *order;    /* the same dquery *, in the order they started */
};

void gnut_dquery_config_init(gnut_dquery_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->results_local = GNUT_DQUERY_OWN_RESULTS;
	cfg->results_leaf = 50;
	cfg->max_ttl = 3;
	cfg->default_degree = 32;
	cfg->probe_ttl = 2;
	cfg->probe_links = 3;
	cfg->probe_wide_links = 5;
	cfg->wait_per_hop_us = 2400 * 1000;
	cfg->probe_wait_per_link_us = 800 * 1000;
	cfg->wait_speedup_us = 100 * 1000;
	cfg->min_wait_per_hop_us = 1200 * 1000;
	cfg->rare_horizon = 3000;
	cfg->rare_results = 10;
	cfg->max_horizon = 200000;
	cfg->leaf_ultrapeers = 3;
	cfg->status_every = 1;
	cfg->status_timeout_us = 10 * G_USEC_PER_SEC;
	cfg->lifetime_us = 3 * 60 * G_USEC_PER_SEC;
	cfg->max_queries = GNUT_DQUERY_MAX_QUERIES;
	cfg->max_per_leaf = GNUT_DQUERY_MAX_PER_LEAF;
}

const char *gnut_dquery_start_result_str(gnut_dquery_start_result r)
{
	switch (r) {
	case GNUT_DQUERY_STARTED:
		return "started";
	case GNUT_DQUERY_REFUSED_FULL:
		return "too many dynamic queries";
	case GNUT_DQUERY_REFUSED_LEAF_FULL:
		return "too many dynamic queries from this leaf";
	case GNUT_DQUERY_REFUSED_DUPLICATE:
		return "already running";
	case GNUT_DQUERY_REFUSED_NO_LINKS:
		return "no ultrapeer link";
	}
	return "unknown start result";
}

gboolean gnut_dquery_refusal_drops(gnut_dquery_start_result r)
{
	return r == GNUT_DQUERY_REFUSED_FULL || r == GNUT_DQUERY_REFUSED_LEAF_FULL ||
	       r == GNUT_DQUERY_REFUSED_DUPLICATE;
}

const char *gnut_dquery_end_str(gnut_dquery_end e)
{
	switch (e) {
	case GNUT_DQUERY_END_ENOUGH:
		return "enough results";
	case GNUT_DQUERY_END_NO_LINKS:
		return "no link left";
	case GNUT_DQUERY_END_HORIZON:
		return "horizon reached";
	case GNUT_DQUERY_END_LEAF_STOP:
		return "stopped by the leaf";
	case GNUT_DQUERY_END_ORIGIN_CLOSED:
		return "origin link closed";
	case GNUT_DQUERY_END_LIFETIME:
		return "lifetime over";
	case GNUT_DQUERY_END_CANCELLED:
		return "cancelled";
	}
	return "unknown end";
}

GArray *gnut_dquery_steps_new(void)
{
	return g_array_new(FALSE, TRUE, sizeof(gnut_dquery_step));
}

static void dquery_free(gpointer p)
{
	dquery *q = p;
	g_array_unref(q->candidates);
	g_free(q);
}

/* Why: a config the arithmetic below cannot work with (a zero wait, TTL or
 * cap) is a programming error, caught once here instead of in every step. */
static gboolean config_valid(const gnut_dquery_config *c)
{
	return c->results_local > 0 && c->results_leaf > 0 && c->max_ttl >= 1 &&
	       c->max_ttl <= GNUT_DQUERY_MAX_TTL && c->default_degree >= 1 &&
	       c->default_degree <= GNUT_DQUERY_MAX_DEGREE && c->probe_ttl >= 1 &&
	       c->probe_links >= 1 && c->wait_per_hop_us > 0 && c->probe_wait_per_link_us >= 0 &&
	       c->wait_speedup_us >= 0 && c->min_wait_per_hop_us > 0 &&
	       c->min_wait_per_hop_us <= c->wait_per_hop_us && c->max_horizon > 0 &&
	       c->leaf_ultrapeers >= 1 && c->status_every >= 1 && c->status_timeout_us > 0 &&
	       c->lifetime_us > 0 && c->max_queries >= 1 && c->max_per_leaf >= 1;
}

gnut_dquery_table *gnut_dquery_table_new(gnut_clock *clock, const gnut_dquery_config *cfg)
{
	g_return_val_if_fail(clock != NULL && cfg != NULL, NULL);
	g_return_val_if_fail(config_valid(cfg), NULL);
	gnut_dquery_table *t = g_new0(gnut_dquery_table, 1);
	t->clock = clock;
	t->cfg = *cfg;
	t->by_guid = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, NULL, dquery_free);
	t->order = g_ptr_array_new();
	return t;
}

void gnut_dquery_table_free(gnut_dquery_table *t)
{
	if (t == NULL)
		return;
	g_ptr_array_unref(t->order);
	g_hash_table_destroy(t->by_guid);
	g_free(t);
}

static guint add_saturated(guint a, guint b)
{
	return G_MAXUINT - a < b ? G_MAXUINT : a + b;
}

/* The spec's theoretical horizon of one link (2.5.2.2):
 * hosts(degree, ttl) = Sum[(degree-1)^i, 0 <= i <= ttl-1], saturated at
 * HORIZON_SATURATED (degree <= GNUT_DQUERY_MAX_DEGREE keeps the product under
 * 2^60 before the check). */
static guint64 horizon_hosts(guint degree, guint ttl)
{
	guint64 sum = 0;
	guint64 term = 1;
	for (guint i = 0; i < ttl; i++) {
		sum += term;
		if (sum >= HORIZON_SATURATED)
			return HORIZON_SATURATED;
		term *= degree - 1;
	}
	return sum;
}

/* The link as the steps use it: its TTL cap (X-Max-TTL within our own
 * max_ttl) and degree (X-Degree, or our guess) filled in. */
static gnut_dquery_link candidate_of(const gnut_dquery_table *t, const gnut_dquery_link *l)
{
	gnut_dquery_link c = *l;
	c.max_ttl = l->max_ttl == 0 ? t->cfg.max_ttl : MIN(l->max_ttl, t->cfg.max_ttl);
	c.degree = l->degree == 0 ? t->cfg.default_degree : MIN(l->degree, GNUT_DQUERY_MAX_DEGREE);
	return c;
}

static gboolean candidates_have(const GArray *c, guint64 id)
{
	for (guint i = 0; i < c->len; i++)
		if (g_array_index(c, gnut_dquery_link, i).id == id)
			return TRUE;
	return FALSE;
}

/* The usable links, QRP matches first (each group in the caller's order):
 * they are the likeliest to bring results, so they get the query first. */
static GArray *candidates_new(const gnut_dquery_table *t, guint64 origin,
                              const gnut_dquery_link *links, size_t n)
{
	GArray *c = g_array_new(FALSE, FALSE, sizeof(gnut_dquery_link));
	for (int pass = 0; pass < 2; pass++) {
		gboolean want_hit = pass == 0;
		for (size_t i = 0; i < n; i++) {
			const gnut_dquery_link *l = &links[i];
			gboolean hit = l->qrp_hit != FALSE;
			if (l->id == GNUT_DQUERY_US || l->id == origin || hit != want_hit ||
			    candidates_have(c, l->id))
				continue;
			gnut_dquery_link norm = candidate_of(t, l);
			g_array_append_val(c, norm);
		}
	}
	return c;
}

static void push_step(GArray *out, gnut_dquery_action action, const dquery *q, guint64 link,
                      guint8 ttl, gnut_dquery_end reason)
{
	gnut_dquery_step s;
	memset(&s, 0, sizeof s);
	s.action = action;
	s.guid = q->guid;
	s.link = link;
	s.ttl = ttl;
	s.reason = reason;
	g_array_append_val(out, s);
}

/* Sends q on link with ttl, lowered so that the horizon stays within
 * max_horizon (TTL 1 always goes: the loop only runs while a step is
 * allowed, i.e. below the cap). Returns the TTL used. */
static guint8 send_to(gnut_dquery_table *t, dquery *q, const gnut_dquery_link *link, guint8 ttl,
                      GArray *out)
{
	guint64 reach = horizon_hosts(link->degree, ttl);
	while (ttl > 1 && q->horizon + reach > t->cfg.max_horizon)
		reach = horizon_hosts(link->degree, --ttl);
	q->horizon = MIN(q->horizon + reach, HORIZON_SATURATED);
	q->sent_since_status++;
	push_step(out, GNUT_DQUERY_SEND, q, link->id, ttl, 0);
	return ttl;
}

/* The probe (spec 2.5.1): several links at once, a low TTL, then one wait
 * for all of them. Many QRP matches mean common content: TTL 1 to those. */
static void send_probe(gnut_dquery_table *t, dquery *q, gint64 now, GArray *out)
{
	const gnut_dquery_config *cfg = &t->cfg;
	guint hits = 0;
	while (hits < q->candidates->len &&
	       g_array_index(q->candidates, gnut_dquery_link, hits).qrp_hit)
		hits++;
	guint n_probe = MIN(cfg->probe_links, q->candidates->len);
	guint8 ttl = cfg->probe_ttl;
	if (cfg->probe_wide_links > 0 && hits >= cfg->probe_wide_links) {
		n_probe = cfg->probe_wide_links;
		ttl = 1;
	} else if (n_probe == q->candidates->len) {
		ttl = GNUT_DQUERY_MAX_TTL; /* no later step: each link's highest */
	}
	guint8 longest = 0;
	for (guint i = 0; i < n_probe; i++) {
		const gnut_dquery_link *l = &g_array_index(q->candidates, gnut_dquery_link, i);
		guint8 sent = send_to(t, q, l, MIN(ttl, l->max_ttl), out);
		longest = MAX(longest, sent);
	}
	g_array_remove_range(q->candidates, 0, n_probe);
	q->due_us = now + longest * cfg->wait_per_hop_us + n_probe * cfg->probe_wait_per_link_us;
}

static guint count_from(const gnut_dquery_table *t, guint64 origin)
{
	guint n = 0;
	for (guint i = 0; i < t->order->len; i++)
		if (((const dquery *)g_ptr_array_index(t->order, i))->origin == origin)
			n++;
	return n;
}

gnut_dquery_start_result gnut_dquery_start(gnut_dquery_table *t, const gnut_guid *guid,
                                           guint64 origin, gboolean leaf_guided,
                                           const gnut_dquery_link *links, size_t n, GArray *out)
{
	g_return_val_if_fail(t != NULL && guid != NULL && out != NULL,
	                     GNUT_DQUERY_REFUSED_NO_LINKS);
	g_return_val_if_fail(links != NULL || n == 0, GNUT_DQUERY_REFUSED_NO_LINKS);
	g_array_set_size(out, 0);
	if (g_hash_table_contains(t->by_guid, guid))
		return GNUT_DQUERY_REFUSED_DUPLICATE;
	if (t->order->len >= t->cfg.max_queries)
		return GNUT_DQUERY_REFUSED_FULL;
	if (origin != GNUT_DQUERY_US && count_from(t, origin) >= t->cfg.max_per_leaf)
		return GNUT_DQUERY_REFUSED_LEAF_FULL;
	GArray *candidates = candidates_new(t, origin, links, n);
	if (candidates->len == 0) {
		g_array_unref(candidates);
		return GNUT_DQUERY_REFUSED_NO_LINKS;
	}

	dquery *q = g_new0(dquery, 1);
	q->guid = *guid;
	q->origin = origin;
	q->wanted = origin == GNUT_DQUERY_US ? t->cfg.results_local : t->cfg.results_leaf;
	q->started_us = gnut_clock_now_us(t->clock);
	q->candidates = candidates;
	q->guided = origin != GNUT_DQUERY_US && leaf_guided;
	send_probe(t, q, q->started_us, out);
	g_hash_table_insert(t->by_guid, &q->guid, q);
	g_ptr_array_add(t->order, q);
	return GNUT_DQUERY_STARTED;
}

/* Results that count against wanted. With a status from the leaf, its kept
 * count stands for the hits up to then (shared among the ultrapeers it asks,
 * about leaf_ultrapeers), plus what we routed since. */
static guint results_so_far(const gnut_dquery_table *t, const dquery *q)
{
	if (!q->got_status)
		return q->routed;
	return add_saturated(q->kept / t->cfg.leaf_ultrapeers, q->routed_since_status);
}

/* The next TTL for link (spec 2.5.2.1): results still needed over results
 * per ultrapeer reached is the number of ultrapeers to reach, split among the
 * candidates left (link included); the TTL is the highest whose horizon
 * through link does not exceed that share, at least 1. No results yet: the
 * content is rare, go as far as link allows. */
static guint8 select_ttl(const dquery *q, const gnut_dquery_link *link, guint have)
{
	if (q->routed == 0 || q->horizon == 0)
		return link->max_ttl;
	double per_ultrapeer = (double)q->routed / (double)q->horizon;
	double to_reach = (double)(q->wanted - have) / per_ultrapeer;
	double per_link = to_reach / (double)q->candidates->len;
	guint8 ttl = 1;
	for (guint8 x = 2; x <= link->max_ttl; x++)
		if ((double)horizon_hosts(link->degree, x) <= per_link)
			ttl = x;
	return ttl;
}

/* The wait per hop of TTL after a step: the spec's 2.4 s, shortened a little
 * at each step once the horizon is wide and results are still few (rare
 * content, spec 2.5.2.3), never under min_wait_per_hop. */
static gint64 wait_per_hop(const gnut_dquery_table *t, dquery *q)
{
	const gnut_dquery_config *cfg = &t->cfg;
	if (q->horizon >= cfg->rare_horizon && q->routed < cfg->rare_results)
		q->rare_steps++;
	gint64 cut = (gint64)q->rare_steps * cfg->wait_speedup_us;
	if (cut >= cfg->wait_per_hop_us - cfg->min_wait_per_hop_us)
		return cfg->min_wait_per_hop_us;
	return cfg->wait_per_hop_us - cut;
}

/* One step of the standard algorithm (spec 2.5.2): either the query is done
 * (q->end set, TRUE) or it goes to the next candidate. A candidate the step
 * would reach alone (TTL 1) whose QRP table misses the query is passed over:
 * the router's last hop rule (ultrapeer QRP), applied to our own steps. */
static gboolean next_step(gnut_dquery_table *t, dquery *q, gint64 now, GArray *out)
{
	guint have = results_so_far(t, q);
	if (have >= q->wanted)
		q->end = GNUT_DQUERY_END_ENOUGH;
	else if (q->candidates->len == 0)
		q->end = GNUT_DQUERY_END_NO_LINKS;
	else if (q->horizon >= t->cfg.max_horizon)
		q->end = GNUT_DQUERY_END_HORIZON;
	if (q->end != 0)
		return TRUE;
	gnut_dquery_link link = g_array_index(q->candidates, gnut_dquery_link, 0);
	guint8 ttl = select_ttl(q, &link, have);
	g_array_remove_index(q->candidates, 0);
	if (ttl == 1 && link.qrp_miss)
		return next_step(t, q, now, out); /* its table says nothing is there */
	gint64 per_hop = wait_per_hop(t, q);
	q->due_us = now + send_to(t, q, &link, ttl, out) * per_hop;
	return FALSE;
}

/* The leaf did not answer our status request in time. A leaf that never sent
 * a status probably does not understand the request: stop asking and go on
 * with our own count rather than dropping its query. */
static void status_timed_out(dquery *q)
{
	q->awaiting_status = FALSE;
	q->sent_since_status = 0;
	if (!q->got_status)
		q->guided = FALSE;
}

/* Moves q if its time came; TRUE when it finished (q->end set). A guided
 * query asks the leaf before each step, since the leaf's filters may have
 * dropped hits we counted. */
static gboolean dquery_advance(gnut_dquery_table *t, dquery *q, gint64 now, GArray *out)
{
	if (q->end == 0 && now - q->started_us >= t->cfg.lifetime_us)
		q->end = GNUT_DQUERY_END_LIFETIME;
	if (q->end != 0)
		return TRUE;
	if (q->awaiting_status) {
		if (now < q->status_due_us)
			return FALSE;
		status_timed_out(q);
	} else if (now < q->due_us) {
		return FALSE;
	}
	if (q->guided && q->sent_since_status >= t->cfg.status_every) {
		push_step(out, GNUT_DQUERY_ASK_STATUS, q, q->origin, 0, 0);
		q->awaiting_status = TRUE;
		q->status_due_us = now + t->cfg.status_timeout_us;
		return FALSE;
	}
	return next_step(t, q, now, out);
}

void gnut_dquery_tick(gnut_dquery_table *t, GArray *out)
{
	g_return_if_fail(t != NULL && out != NULL);
	g_array_set_size(out, 0);
	gint64 now = gnut_clock_now_us(t->clock);
	guint i = 0;
	while (i < t->order->len) {
		dquery *q = g_ptr_array_index(t->order, i);
		if (!dquery_advance(t, q, now, out)) {
			i++;
			continue;
		}
		push_step(out, GNUT_DQUERY_FINISHED, q, q->origin, 0, q->end);
		g_ptr_array_remove_index(t->order, i);
		g_hash_table_remove(t->by_guid, &q->guid);
	}
}

/* The running query with that GUID, or NULL (also when it has ended and
 * only waits for its FINISHED step). */
static dquery *running(const gnut_dquery_table *t, const gnut_guid *guid)
{
	dquery *q = g_hash_table_lookup(t->by_guid, guid);
	return q != NULL && q->end == 0 ? q : NULL;
}

gboolean gnut_dquery_results(gnut_dquery_table *t, const gnut_guid *guid, guint n)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	dquery *q = running(t, guid);
	if (q == NULL)
		return FALSE;
	q->routed = add_saturated(q->routed, n);
	q->routed_since_status = add_saturated(q->routed_since_status, n);
	return TRUE;
}

gboolean gnut_dquery_own_results(gnut_dquery_table *t, const gnut_guid *guid, guint kept)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	dquery *q = running(t, guid);
	if (q == NULL || q->origin != GNUT_DQUERY_US)
		return FALSE;
	q->routed = kept;
	return TRUE;
}

gboolean gnut_dquery_leaf_status(gnut_dquery_table *t, guint64 from_link, const gnut_guid *guid,
                                 guint16 kept)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	dquery *q = running(t, guid);
	if (q == NULL || q->origin == GNUT_DQUERY_US || q->origin != from_link)
		return FALSE;
	if (kept == GNUT_BEAR_QSTAT_STOP) {
		q->end = GNUT_DQUERY_END_LEAF_STOP;
		return TRUE;
	}
	q->kept = kept;
	q->got_status = TRUE;
	q->routed_since_status = 0;
	q->sent_since_status = 0;
	q->awaiting_status = FALSE;
	return TRUE;
}

guint16 gnut_dquery_leaf_answer(guint16 kept, guint wanted)
{
	return kept >= wanted ? GNUT_BEAR_QSTAT_STOP : kept;
}

gboolean gnut_dquery_cancel(gnut_dquery_table *t, const gnut_guid *guid)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	dquery *q = running(t, guid);
	if (q == NULL)
		return FALSE;
	q->end = GNUT_DQUERY_END_CANCELLED;
	return TRUE;
}

void gnut_dquery_link_closed(gnut_dquery_table *t, guint64 link)
{
	g_return_if_fail(t != NULL);
	if (link == GNUT_DQUERY_US)
		return;
	for (guint i = 0; i < t->order->len; i++) {
		dquery *q = g_ptr_array_index(t->order, i);
		for (guint j = 0; j < q->candidates->len; j++)
			if (g_array_index(q->candidates, gnut_dquery_link, j).id == link) {
				g_array_remove_index(q->candidates, j);
				break;
			}
		if (q->origin == link && q->end == 0)
			q->end = GNUT_DQUERY_END_ORIGIN_CLOSED;
	}
}

gint64 gnut_dquery_next_due(const gnut_dquery_table *t)
{
	g_return_val_if_fail(t != NULL, G_MAXINT64);
	gint64 next = G_MAXINT64;
	for (guint i = 0; i < t->order->len; i++) {
		const dquery *q = g_ptr_array_index(t->order, i);
		gint64 due = q->awaiting_status ? q->status_due_us : q->due_us;
		if (q->end != 0)
			due = q->started_us; /* in the past: at once */
		next = MIN(next, MIN(due, q->started_us + t->cfg.lifetime_us));
	}
	return next;
}

guint gnut_dquery_count(const gnut_dquery_table *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->order->len;
}
