/* test-dquery.c: the dynamic query policy on a manual clock, no sockets:
 * the probe, one link per step with a TTL that grows while results are
 * short, TTL-1 steps passing over links whose QRP table misses, the waits, every way a query ends
 * (enough results, leaf stop, link closing, lifetime, horizon, cancel), our own queries counted by
 * what our search kept, small networks, leaf guidance, the caps, and a randomised run checking that
 * no TTL passes a link's cap and no link gets a query twice. Also the BEAR/11 and BEAR/12 vendor
 * payload codecs: vectors, round trips, truncation at every offset (exact-size heap copies, so ASan
 * sees any overread) and wrong heads. */
#include "gnut/core/routing/dquery.h"
#include "gnut/proto/vendor-bear.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define SEC G_USEC_PER_SEC
#define MS  1000

typedef struct {
	gnut_clock *clock;
	gnut_dquery_config cfg;
	gnut_dquery_table *t;
	GArray *out;
	gint64 t0;
} world;

static void world_init_cfg(world *w)
{
	memset(w, 0, sizeof *w);
	w->t0 = 1000 * SEC;
	w->clock = gnut_clock_manual_new(w->t0);
	gnut_dquery_config_init(&w->cfg);
	w->out = gnut_dquery_steps_new();
}

static void world_start(world *w)
{
	w->t = gnut_dquery_table_new(w->clock, &w->cfg);
	g_assert(w->t != NULL);
}

static void world_init(world *w)
{
	world_init_cfg(w);
	world_start(w);
}

static void world_free(world *w)
{
	gnut_dquery_table_free(w->t);
	g_array_unref(w->out);
	gnut_clock_free(w->clock);
}

static void advance(world *w, gint64 us)
{
	gnut_clock_manual_advance(w->clock, us);
}

static void tick(world *w)
{
	gnut_dquery_tick(w->t, w->out);
}

static const gnut_dquery_step *step(const world *w, guint i)
{
	g_assert(i < w->out->len);
	return &g_array_index(w->out, gnut_dquery_step, i);
}

static gnut_guid guid_n(guint n)
{
	gnut_guid g;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(n * 17 + i);
	return g;
}

/* n ultrapeer links with ids first, first + 1, ... */
static gnut_dquery_link *links_new(guint n, guint64 first, guint8 max_ttl, guint16 degree)
{
	gnut_dquery_link *l = g_new0(gnut_dquery_link, n);
	for (guint i = 0; i < n; i++) {
		l[i].id = first + i;
		l[i].max_ttl = max_ttl;
		l[i].degree = degree;
	}
	return l;
}

/* Advances to just before the next step is due, checks nothing happens,
 * then to the due time and ticks. */
static void wait_for_due(world *w, gint64 wait_us)
{
	advance(w, wait_us - 1);
	tick(w);
	CU_ASSERT_EQUAL(w->out->len, 0);
	advance(w, 1);
	tick(w);
}

/* ---- config and strings ---- */

static void test_defaults_and_strings(void)
{
	gnut_dquery_config c;
	gnut_dquery_config_init(&c);
	CU_ASSERT_EQUAL(c.results_local, 150);
	CU_ASSERT_EQUAL(c.results_leaf, 50);
	CU_ASSERT_EQUAL(c.max_ttl, 3);
	CU_ASSERT_EQUAL(c.probe_ttl, 2);
	CU_ASSERT_EQUAL(c.probe_links, 3);
	CU_ASSERT_EQUAL(c.wait_per_hop_us, 2400 * MS);
	CU_ASSERT_EQUAL(c.max_horizon, 200000);
	CU_ASSERT_EQUAL(c.status_timeout_us, 10 * SEC);
	CU_ASSERT_EQUAL(c.max_queries, 64);
	CU_ASSERT_EQUAL(c.max_per_leaf, 16);
	CU_ASSERT_STRING_EQUAL(gnut_dquery_end_str(GNUT_DQUERY_END_LEAF_STOP),
	                       "stopped by the leaf");
	CU_ASSERT_STRING_EQUAL(gnut_dquery_start_result_str(GNUT_DQUERY_REFUSED_FULL),
	                       "too many dynamic queries");
	CU_ASSERT_STRING_EQUAL(gnut_dquery_end_str((gnut_dquery_end)99), "unknown end");

	world w;
	world_init(&w);
	CU_ASSERT_EQUAL(gnut_dquery_next_due(w.t), G_MAXINT64);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	world_free(&w);
}

/* ---- the probe ---- */

static void test_probe(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(1);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 10, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(w.out->len, 3);
	for (guint i = 0; i < w.out->len; i++) {
		CU_ASSERT_EQUAL(step(&w, i)->action, GNUT_DQUERY_SEND);
		CU_ASSERT_EQUAL(step(&w, i)->link, i + 1);
		CU_ASSERT_EQUAL(step(&w, i)->ttl, 2);
		CU_ASSERT(gnut_guid_equal(&step(&w, i)->guid, &g));
	}
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 1);
	/* 2 hops x 2.4 s + 3 links x 0.8 s: the spec's 7.2 s */
	CU_ASSERT_EQUAL(gnut_dquery_next_due(w.t), w.t0 + 7200 * MS);
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 4);
	/* no result at all: the highest TTL allowed */
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	g_free(l);
	world_free(&w);
}

static void test_probe_caps_and_qrp(void)
{
	world w;
	world_init(&w);
	/* a probe's TTL is capped by X-Max-TTL; QRP matches go first */
	gnut_dquery_link *l = links_new(5, 1, 0, 0);
	l[0].max_ttl = 1;
	l[3].qrp_hit = TRUE;
	gnut_guid g = guid_n(2);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 5, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(w.out->len, 3);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 4);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 2);
	CU_ASSERT_EQUAL(step(&w, 1)->link, 1);
	CU_ASSERT_EQUAL(step(&w, 1)->ttl, 1);
	CU_ASSERT_EQUAL(step(&w, 2)->link, 2);
	g_free(l);

	/* five QRP matches: common content, TTL 1 to those five */
	l = links_new(8, 11, 0, 0);
	for (guint i = 2; i < 8; i++)
		l[i].qrp_hit = TRUE;
	g = guid_n(3);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 8, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(w.out->len, 5);
	for (guint i = 0; i < w.out->len; i++) {
		CU_ASSERT_EQUAL(step(&w, i)->link, 13 + i);
		CU_ASSERT_EQUAL(step(&w, i)->ttl, 1);
	}
	g_free(l);
	world_free(&w);
}

/* ---- the standard algorithm ---- */

static void test_growing_ttl_one_link_per_step(void)
{
	world w;
	world_init_cfg(&w);
	w.cfg.max_ttl = 4;
	world_start(&w);
	gnut_dquery_link *l = links_new(12, 1, 0, 32);
	gnut_guid g = guid_n(4);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 12, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &g, 5));

	/* horizon after the probe 3 x 32 = 96; 5 results, 145 needed. The
	 * share per link grows as results stay short and links run out:
	 * 309, 464, 663, 928 (TTL 2: 32 hosts), 1299, 8823, 21363 (TTL 3: 993),
	 * then over 30784 (TTL 4). Past 3000 ultrapeers with under 10 results,
	 * each step waits 100 ms less per hop. */
	static const guint8 ttls[] = {2, 2, 2, 2, 3, 3, 3, 4, 4};
	static const gint64 waits[] = {7200, 4800, 4800, 4800, 4800, 7200, 7200, 7200, 9200};
	for (guint i = 0; i < G_N_ELEMENTS(ttls); i++) {
		wait_for_due(&w, waits[i] * MS);
		CU_ASSERT_EQUAL(w.out->len, 1);
		CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
		CU_ASSERT_EQUAL(step(&w, 0)->link, 4 + i);
		CU_ASSERT_EQUAL(step(&w, 0)->ttl, ttls[i]);
	}
	/* no link left: finished after the last wait (4 x 2.2 s) */
	wait_for_due(&w, 8800 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_FINISHED);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_NO_LINKS);
	CU_ASSERT_EQUAL(step(&w, 0)->link, GNUT_DQUERY_US);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	CU_ASSERT_FALSE(gnut_dquery_results(w.t, &g, 1));
	g_free(l);
	world_free(&w);
}

/* Our query over the 10 links l, 100 results after the probe: the one
 * step that follows. */
static const gnut_dquery_step *step_after_many_results(world *w, const gnut_dquery_link *l)
{
	gnut_guid g = guid_n(5);
	gnut_dquery_start(w->t, &g, GNUT_DQUERY_US, FALSE, l, 10, w->out);
	/* 100 results from 96 ultrapeers: 50 more need about 48, over 7 links */
	gnut_dquery_results(w->t, &g, 100);
	wait_for_due(w, 7200 * MS);
	CU_ASSERT_EQUAL_FATAL(w->out->len, 1);
	return step(w, 0);
}

static void test_many_results_low_ttl(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 32);
	CU_ASSERT_EQUAL(step_after_many_results(&w, l)->ttl, 1);
	g_free(l);
	world_free(&w);
}

/* Links whose QRP table misses the query: passed over when the step would
 * reach them alone (TTL 1), sent to as usual with a wider TTL. */
static void test_last_hop_skips_qrp_misses(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 32);
	l[3].qrp_miss = TRUE;
	l[4].qrp_miss = TRUE;
	const gnut_dquery_step *st = step_after_many_results(&w, l);
	CU_ASSERT_EQUAL(st->link, 6);
	CU_ASSERT_EQUAL(st->ttl, 1);
	world_free(&w);

	world_init(&w);
	gnut_guid g = guid_n(40);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL_FATAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 4);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3); /* no results: as far as it goes */
	g_free(l);
	world_free(&w);
}

static void test_stop_when_enough(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid mine = guid_n(6);
	gnut_guid leafs = guid_n(7);
	gnut_dquery_start(w.t, &mine, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &leafs, 100, FALSE, l, 10, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &mine, 149));
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &mine, 1));
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &leafs, 49)); /* a leaf's: 50 wanted */
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 2);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_FINISHED);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ENOUGH);
	CU_ASSERT(gnut_guid_equal(&step(&w, 0)->guid, &mine));
	CU_ASSERT_EQUAL(step(&w, 1)->action, GNUT_DQUERY_SEND);
	CU_ASSERT(gnut_guid_equal(&step(&w, 1)->guid, &leafs));
	CU_ASSERT_EQUAL(step(&w, 1)->ttl, 1);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 1);
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &leafs, 1));
	wait_for_due(&w, 2400 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ENOUGH);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 100);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	g_free(l);
	world_free(&w);
}

/* ---- our own queries ---- */

static void test_own_count_from_search(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid mine = guid_n(40);
	gnut_guid leafs = guid_n(41);
	gnut_dquery_start(w.t, &mine, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	gnut_dquery_start(w.t, &leafs, 100, FALSE, l, 10, w.out);
	/* hits routed to us count until the search's own count replaces them:
	 * 200 came, but the search kept 120 (duplicates, bad hits) */
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &mine, 200));
	CU_ASSERT_TRUE(gnut_dquery_own_results(w.t, &mine, 120));
	CU_ASSERT_FALSE(gnut_dquery_own_results(w.t, &leafs, 120)); /* not ours */
	gnut_guid unknown = guid_n(42);
	CU_ASSERT_FALSE(gnut_dquery_own_results(w.t, &unknown, 1));
	CU_ASSERT_TRUE(gnut_dquery_results(w.t, &leafs, 50));
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 2);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	CU_ASSERT(gnut_guid_equal(&step(&w, 0)->guid, &mine));
	CU_ASSERT_EQUAL(step(&w, 0)->link, 4);
	CU_ASSERT_EQUAL(step(&w, 1)->reason, GNUT_DQUERY_END_ENOUGH);
	/* 120 from 96 ultrapeers: 30 more need 24, over 7 links: TTL 1 */
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 1);
	/* the search kept hits that came out of band: 150 in all, it ends */
	CU_ASSERT_TRUE(gnut_dquery_own_results(w.t, &mine, GNUT_DQUERY_OWN_RESULTS));
	wait_for_due(&w, 2400 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_FINISHED);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ENOUGH);
	CU_ASSERT_EQUAL(step(&w, 0)->link, GNUT_DQUERY_US);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	g_free(l);
	world_free(&w);
}

/* A rare file: no hit at all, the query widens one link per step at the
 * highest TTL until every link got it, each once. */
static void test_own_widens_without_results(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(6, 1, 0, 0);
	gnut_guid g = guid_n(43);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 6, w.out);
	CU_ASSERT_EQUAL(w.out->len, 3);
	gint64 wait = 7200 * MS;
	for (guint64 link = 4; link <= 6; link++) {
		CU_ASSERT_TRUE(gnut_dquery_own_results(w.t, &g, 0));
		wait_for_due(&w, wait);
		CU_ASSERT_EQUAL_FATAL(w.out->len, 1);
		CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
		CU_ASSERT_EQUAL(step(&w, 0)->link, link);
		CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
		wait = 3 * 2400 * MS;
	}
	wait_for_due(&w, wait);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_NO_LINKS);
	g_free(l);
	world_free(&w);
}

/* Three links or fewer: a probe would take them all and leave nothing to
 * widen to, so each gets the highest TTL it allows at once. */
static void test_few_links_no_probe(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(3, 1, 0, 0);
	l[1].max_ttl = 2;
	gnut_guid g = guid_n(44);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 3, w.out);
	CU_ASSERT_EQUAL_FATAL(w.out->len, 3);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	CU_ASSERT_EQUAL(step(&w, 1)->ttl, 2);
	CU_ASSERT_EQUAL(step(&w, 2)->ttl, 3);
	/* 3 hops x 2.4 s + 3 x 0.8 s, then nothing is left */
	wait_for_due(&w, 9600 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_NO_LINKS);
	/* a leaf's query through a single link: TTL 3, not a TTL 2 probe */
	g = guid_n(45);
	gnut_dquery_start(w.t, &g, 100, FALSE, l, 1, w.out);
	CU_ASSERT_EQUAL_FATAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	g_free(l);
	world_free(&w);
}

/* ---- leaf guidance ---- */

static void test_leaf_stop(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(8);
	gnut_guid mine = guid_n(9);
	gnut_dquery_start(w.t, &g, 100, TRUE, l, 10, w.out);
	gnut_dquery_start(w.t, &mine, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	/* only the origin may stop a query, and nobody ours */
	CU_ASSERT_FALSE(gnut_dquery_leaf_status(w.t, 101, &g, GNUT_BEAR_QSTAT_STOP));
	CU_ASSERT_FALSE(gnut_dquery_leaf_status(w.t, GNUT_DQUERY_US, &mine, GNUT_BEAR_QSTAT_STOP));
	CU_ASSERT_FALSE(gnut_dquery_leaf_status(w.t, 100, &mine, GNUT_BEAR_QSTAT_STOP));
	CU_ASSERT_TRUE(gnut_dquery_leaf_status(w.t, 100, &g, GNUT_BEAR_QSTAT_STOP));
	/* it ends at the next tick, without waiting for the probe's results */
	CU_ASSERT_EQUAL(gnut_dquery_next_due(w.t), w.t0);
	advance(&w, 1);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_FINISHED);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_LEAF_STOP);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 100);
	CU_ASSERT_FALSE(gnut_dquery_results(w.t, &g, 1));
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 1);
	g_free(l);
	world_free(&w);
}

static void test_leaf_status_replaces_count(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(10);
	gnut_dquery_start(w.t, &g, 100, FALSE, l, 10, w.out);
	/* 60 hits routed, but the leaf's filters kept 30 of all its ultrapeers'
	 * hits: 30 / 3 = 10 count, 40 still needed */
	gnut_dquery_results(w.t, &g, 60);
	CU_ASSERT_TRUE(gnut_dquery_leaf_status(w.t, 100, &g, 30));
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	/* hits routed since the status add to it: 10 + 40 = 50 */
	gnut_dquery_results(w.t, &g, 39);
	advance(&w, 60 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	gnut_dquery_results(w.t, &g, 1);
	advance(&w, 60 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ENOUGH);

	/* a status alone can be enough: 150 kept / 3 = 50 */
	g = guid_n(11);
	gnut_dquery_start(w.t, &g, 100, FALSE, l, 10, w.out);
	CU_ASSERT_TRUE(gnut_dquery_leaf_status(w.t, 100, &g, 150));
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ENOUGH);
	g_free(l);
	world_free(&w);
}

static void test_guided_asks_before_each_step(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(12);
	gnut_dquery_start(w.t, &g, 100, TRUE, l, 10, w.out);
	/* after the probe: ask the leaf first, even with 60 hits routed */
	gnut_dquery_results(w.t, &g, 60);
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_ASK_STATUS);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 100);
	CU_ASSERT(gnut_guid_equal(&step(&w, 0)->guid, &g));
	advance(&w, 5 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 0); /* still waiting for the answer */
	CU_ASSERT_TRUE(gnut_dquery_leaf_status(w.t, 100, &g, 6));
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	guint8 ttl = step(&w, 0)->ttl;
	/* next time no answer: after 10 s go on, and keep asking (it did answer) */
	wait_for_due(&w, ttl * 2400 * MS);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_ASK_STATUS);
	wait_for_due(&w, 10 * SEC);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	advance(&w, 60 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_ASK_STATUS);
	g_free(l);
	world_free(&w);
}

static void test_guided_leaf_never_answers(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(13);
	gnut_dquery_start(w.t, &g, 100, TRUE, l, 10, w.out);
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_ASK_STATUS);
	wait_for_due(&w, 10 * SEC);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	/* guidance dropped: the next step goes without asking */
	advance(&w, 60 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	g_free(l);
	world_free(&w);
}

/* As a leaf: our count, or stop once the search kept what we want or is
 * over. */
static void test_leaf_answer(void)
{
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(0, GNUT_DQUERY_OWN_RESULTS), 0);
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(149, GNUT_DQUERY_OWN_RESULTS), 149);
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(150, GNUT_DQUERY_OWN_RESULTS),
	                GNUT_BEAR_QSTAT_STOP);
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(2000, GNUT_DQUERY_OWN_RESULTS),
	                GNUT_BEAR_QSTAT_STOP);
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(GNUT_BEAR_QSTAT_STOP, GNUT_DQUERY_OWN_RESULTS),
	                GNUT_BEAR_QSTAT_STOP);
	CU_ASSERT_EQUAL(gnut_dquery_leaf_answer(GNUT_BEAR_QSTAT_STOP - 1, G_MAXUINT),
	                GNUT_BEAR_QSTAT_STOP - 1);
	/* our own ultrapeer takes that stop from the query's origin */
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 0);
	gnut_guid g = guid_n(46);
	gnut_dquery_start(w.t, &g, 100, TRUE, l, 10, w.out);
	CU_ASSERT_TRUE(gnut_dquery_leaf_status(w.t, 100, &g, gnut_dquery_leaf_answer(151, 150)));
	advance(&w, 1);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_LEAF_STOP);
	g_free(l);
	world_free(&w);
}

/* ---- links closing, caps ---- */

static void test_link_closed(void)
{
	world w;
	world_init(&w);
	gnut_dquery_link *l = links_new(5, 1, 0, 0);
	gnut_guid g = guid_n(14);
	gnut_guid other = guid_n(15);
	gnut_dquery_start(w.t, &g, 100, FALSE, l, 5, w.out);
	gnut_dquery_start(w.t, &other, 200, FALSE, l, 5, w.out);
	gnut_dquery_link_closed(w.t, 4);
	wait_for_due(&w, 7200 * MS);
	CU_ASSERT_EQUAL(w.out->len, 2);
	CU_ASSERT_EQUAL(step(&w, 0)->link, 5); /* 4 is gone */
	CU_ASSERT_EQUAL(step(&w, 1)->link, 5);
	/* the origin of one closes: it ends at once, the other goes on */
	gnut_dquery_link_closed(w.t, 100);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_ORIGIN_CLOSED);
	CU_ASSERT(gnut_guid_equal(&step(&w, 0)->guid, &g));
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 1);
	advance(&w, 60 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_NO_LINKS);
	CU_ASSERT(gnut_guid_equal(&step(&w, 0)->guid, &other));
	g_free(l);
	world_free(&w);
}

static void test_caps(void)
{
	world w;
	world_init_cfg(&w);
	w.cfg.max_queries = 3;
	w.cfg.max_per_leaf = 1;
	world_start(&w);
	gnut_dquery_link *l = links_new(4, 1, 0, 0);
	gnut_guid g1 = guid_n(16), g2 = guid_n(17), g3 = guid_n(18), g4 = guid_n(19);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g1, 100, FALSE, l, 4, w.out), GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g1, 200, FALSE, l, 4, w.out),
	                GNUT_DQUERY_REFUSED_DUPLICATE);
	CU_ASSERT_EQUAL(w.out->len, 0);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g2, 100, FALSE, l, 4, w.out),
	                GNUT_DQUERY_REFUSED_LEAF_FULL);
	CU_ASSERT_EQUAL(w.out->len, 0);
	/* the origin itself, id 0 and repeats are no candidates */
	gnut_dquery_link only[] = {{.id = 200}, {.id = 0}, {.id = 200}};
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g2, 200, FALSE, only, 3, w.out),
	                GNUT_DQUERY_REFUSED_NO_LINKS);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g2, 200, FALSE, l, 4, w.out), GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g3, GNUT_DQUERY_US, FALSE, l, 4, w.out),
	                GNUT_DQUERY_STARTED);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g4, GNUT_DQUERY_US, FALSE, l, 4, w.out),
	                GNUT_DQUERY_REFUSED_FULL);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 3);
	/* a finished query frees its slot */
	CU_ASSERT_TRUE(gnut_dquery_cancel(w.t, &g3));
	CU_ASSERT_FALSE(gnut_dquery_cancel(w.t, &g3));
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g4, GNUT_DQUERY_US, FALSE, l, 4, w.out),
	                GNUT_DQUERY_REFUSED_FULL); /* until reported */
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_CANCELLED);
	CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g4, GNUT_DQUERY_US, FALSE, l, 4, w.out),
	                GNUT_DQUERY_STARTED);
	g_free(l);
	world_free(&w);
}

/* A leaf's query refused by the caps (or as a duplicate) is dropped, never
 * flooded; only the lack of any ultrapeer link lets it be routed as it was. */
static void test_refusals_drop(void)
{
	CU_ASSERT_TRUE(gnut_dquery_refusal_drops(GNUT_DQUERY_REFUSED_FULL));
	CU_ASSERT_TRUE(gnut_dquery_refusal_drops(GNUT_DQUERY_REFUSED_LEAF_FULL));
	CU_ASSERT_TRUE(gnut_dquery_refusal_drops(GNUT_DQUERY_REFUSED_DUPLICATE));
	CU_ASSERT_FALSE(gnut_dquery_refusal_drops(GNUT_DQUERY_REFUSED_NO_LINKS));
	CU_ASSERT_FALSE(gnut_dquery_refusal_drops(GNUT_DQUERY_STARTED));
}

static void test_lifetime(void)
{
	world w;
	world_init_cfg(&w);
	w.cfg.lifetime_us = 20 * SEC;
	world_start(&w);
	gnut_dquery_link *l = links_new(40, 1, 0, 0);
	gnut_guid g = guid_n(20);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 40, w.out);
	wait_for_due(&w, 7200 * MS); /* 7.2 s */
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	wait_for_due(&w, 7200 * MS); /* 14.4 s */
	CU_ASSERT_EQUAL(step(&w, 0)->action, GNUT_DQUERY_SEND);
	/* the next step would be at 21.6 s; the lifetime ends at 20 s */
	CU_ASSERT_EQUAL(gnut_dquery_next_due(w.t), w.t0 + 20 * SEC);
	wait_for_due(&w, 5600 * MS);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_LIFETIME);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	g_free(l);
	world_free(&w);
}

static void test_horizon_cap(void)
{
	world w;
	world_init_cfg(&w);
	w.cfg.max_horizon = 1150;
	world_start(&w);
	gnut_dquery_link *l = links_new(10, 1, 0, 32);
	gnut_guid g = guid_n(21);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	/* 96 after the probe; TTL 3 adds 993 (1089); TTL 3 again would pass
	 * 1150, TTL 2 fits (1121); then only TTL 1 (1122) */
	advance(&w, 30 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	advance(&w, 30 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 2);
	advance(&w, 30 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 1);
	world_free(&w);

	/* reaching the cap exactly ends the query */
	world_init_cfg(&w);
	w.cfg.max_horizon = 1089;
	world_start(&w);
	gnut_dquery_start(w.t, &g, GNUT_DQUERY_US, FALSE, l, 10, w.out);
	advance(&w, 30 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(step(&w, 0)->ttl, 3);
	advance(&w, 30 * SEC);
	tick(&w);
	CU_ASSERT_EQUAL(w.out->len, 1);
	CU_ASSERT_EQUAL(step(&w, 0)->reason, GNUT_DQUERY_END_HORIZON);
	g_free(l);
	world_free(&w);
}

/* Random links (some with X-Max-TTL 1..7 or none, any degree), random
 * results and closings, many queries at once: every SEND respects its link's
 * cap and our max_ttl, no link gets a query twice, the origin never gets it,
 * and every query finishes exactly once. */
static void test_random_ttl_caps_and_once(void)
{
	world w;
	world_init_cfg(&w);
	w.cfg.max_ttl = 5;
	w.cfg.lifetime_us = 10 * 60 * SEC;
	world_start(&w);
	GRand *rnd = g_rand_new_with_seed(20260601);
	enum { N_LINKS = 30, N_QUERIES = 8 };
	gnut_dquery_link l[N_LINKS];
	for (guint i = 0; i < N_LINKS; i++) {
		l[i].id = i + 1;
		l[i].max_ttl = (guint8)g_rand_int_range(rnd, 0, 8);
		l[i].degree = (guint16)g_rand_int_range(rnd, 0, 60);
		l[i].qrp_hit = g_rand_int_range(rnd, 0, 4) == 0;
	}
	GHashTable *sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint finished = 0, sends = 0, bad_ttl = 0, twice = 0, to_origin = 0;
	for (guint q = 0; q < N_QUERIES; q++) {
		gnut_guid g = guid_n(100 + q);
		guint64 origin = q % 2 == 0 ? GNUT_DQUERY_US : 500 + q;
		CU_ASSERT_EQUAL(gnut_dquery_start(w.t, &g, origin, FALSE, l, N_LINKS, w.out),
		                GNUT_DQUERY_STARTED);
		for (guint round = 0; round < 400 && (q < N_QUERIES - 1 || finished < N_QUERIES);
		     round++) {
			for (guint i = 0; i < w.out->len; i++) {
				const gnut_dquery_step *s = step(&w, i);
				if (s->action == GNUT_DQUERY_FINISHED) {
					finished++;
					continue;
				}
				if (s->action != GNUT_DQUERY_SEND)
					continue;
				sends++;
				if (s->link < 1 || s->link > N_LINKS) {
					to_origin++;
					continue;
				}
				const gnut_dquery_link *to = &l[s->link - 1];
				guint8 cap = to->max_ttl == 0 ? 5 : MIN(to->max_ttl, 5);
				if (s->ttl < 1 || s->ttl > cap)
					bad_ttl++;
				char hex[GNUT_GUID_HEX_LEN + 1];
				gnut_guid_to_hex(&s->guid, hex);
				char *key = g_strdup_printf("%s/%" G_GUINT64_FORMAT, hex, s->link);
				if (!g_hash_table_add(sent, key))
					twice++;
			}
			if (q < N_QUERIES - 1 && round == 3)
				break; /* start the next query while this one runs */
			gnut_dquery_results(w.t, &g, (guint)g_rand_int_range(rnd, 0, 6));
			if (g_rand_int_range(rnd, 0, 40) == 0)
				gnut_dquery_link_closed(w.t, (guint64)g_rand_int_range(rnd, 1, 31));
			advance(&w, g_rand_int_range(rnd, 1, 4) * SEC);
			tick(&w);
		}
	}
	CU_ASSERT_EQUAL(finished, N_QUERIES);
	CU_ASSERT_EQUAL(gnut_dquery_count(w.t), 0);
	CU_ASSERT(sends > N_QUERIES * 3);
	CU_ASSERT_EQUAL(bad_ttl, 0);
	CU_ASSERT_EQUAL(twice, 0);
	CU_ASSERT_EQUAL(to_origin, 0);
	g_hash_table_unref(sent);
	g_rand_free(rnd);
	world_free(&w);
}

/* ---- BEAR/11 and BEAR/12 payloads ---- */

static const uint8_t qstat_req_vec[] = {'B', 'E', 'A', 'R', 0x0b, 0x00, 0x01, 0x00};
static const uint8_t qstat_reply_vec[] = {'B', 'E', 'A', 'R', 0x0c, 0x00, 0x01, 0x00, 0x34, 0x12};

static uint8_t *prefix_copy(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n);
	g_assert(copy != NULL || n == 0);
	if (n > 0)
		memcpy(copy, p, n);
	return copy;
}

static void test_bear_vectors(void)
{
	GByteArray *out = g_byte_array_new();
	gnut_bear_qstat_req_encode(out);
	CU_ASSERT_EQUAL(out->len, GNUT_BEAR_QSTAT_REQ_LEN);
	CU_ASSERT_EQUAL(memcmp(out->data, qstat_req_vec, sizeof qstat_req_vec), 0);
	CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(out->data, out->len), GNUT_PROTO_OK);
	g_byte_array_set_size(out, 0);
	gnut_bear_qstat_reply_encode(out, 0x1234);
	CU_ASSERT_EQUAL(out->len, GNUT_BEAR_QSTAT_REPLY_LEN);
	CU_ASSERT_EQUAL(memcmp(out->data, qstat_reply_vec, sizeof qstat_reply_vec), 0);
	uint16_t kept = 0;
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(out->data, out->len, &kept), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(kept, 0x1234);
	for (guint v = 0; v <= 0xffff; v += 0x3333) {
		g_byte_array_set_size(out, 0);
		gnut_bear_qstat_reply_encode(out, (uint16_t)v);
		CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(out->data, out->len, &kept),
		                GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(kept, v);
	}
	CU_ASSERT_EQUAL(kept, GNUT_BEAR_QSTAT_STOP);
	g_byte_array_unref(out);
}

static void test_bear_truncated(void)
{
	uint16_t kept = 7;
	for (size_t n = 0; n < sizeof qstat_req_vec; n++) {
		uint8_t *cut = prefix_copy(qstat_req_vec, n);
		CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(cut, n), GNUT_PROTO_ERR_TRUNCATED);
		free(cut);
	}
	for (size_t n = 0; n < sizeof qstat_reply_vec; n++) {
		uint8_t *cut = prefix_copy(qstat_reply_vec, n);
		CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(cut, n, &kept),
		                GNUT_PROTO_ERR_TRUNCATED);
		free(cut);
	}
	CU_ASSERT_EQUAL(kept, 7); /* untouched on error */
}

static void test_bear_rejects(void)
{
	uint16_t kept = 0;
	uint8_t buf[12];

	/* the other message, another vendor */
	CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(qstat_reply_vec, sizeof qstat_reply_vec),
	                GNUT_PROTO_ERR_MALFORMED);
	memcpy(buf, qstat_req_vec, 8);
	buf[4] = 0x0c;
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(buf, 8, &kept), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(qstat_req_vec, 8, &kept),
	                GNUT_PROTO_ERR_MALFORMED);
	memcpy(buf, qstat_reply_vec, 10);
	memcpy(buf, "GTKG", 4);
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(buf, 10, &kept), GNUT_PROTO_ERR_MALFORMED);

	/* version 0 unknown; bytes after a version 1 body; a later version's extra data */
	memcpy(buf, qstat_reply_vec, 10);
	buf[6] = 0;
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(buf, 10, &kept), GNUT_PROTO_ERR_UNSUPPORTED);
	buf[6] = 1;
	buf[10] = buf[11] = 0xaa;
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(buf, 11, &kept), GNUT_PROTO_ERR_TRAILING);
	buf[6] = 2;
	CU_ASSERT_EQUAL(gnut_bear_qstat_reply_decode(buf, 12, &kept), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(kept, 0x1234);
	memcpy(buf, qstat_req_vec, 8);
	buf[8] = 0;
	CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(buf, 9), GNUT_PROTO_ERR_TRAILING);
	buf[6] = 0;
	CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(buf, 8), GNUT_PROTO_ERR_UNSUPPORTED);
	buf[6] = 2;
	CU_ASSERT_EQUAL(gnut_bear_qstat_req_decode(buf, 9), GNUT_PROTO_OK);
}

static CU_TestInfo tests[] = {
    {"config defaults and strings", test_defaults_and_strings},
    {"probe: three links at TTL 2, 7.2 s wait", test_probe},
    {"probe: X-Max-TTL cap, QRP matches first, wide TTL 1 probe", test_probe_caps_and_qrp},
    {"one link per step, TTL growing while results are short", test_growing_ttl_one_link_per_step},
    {"many results: TTL 1", test_many_results_low_ttl},
    {"TTL 1 passes over QRP misses", test_last_hop_skips_qrp_misses},
    {"stops with enough results (150 ours, 50 a leaf's)", test_stop_when_enough},
    {"ours: the search's kept count replaces the hits routed", test_own_count_from_search},
    {"ours: a rare file widens link by link until none is left", test_own_widens_without_results},
    {"three links or fewer: no probe, each its highest TTL", test_few_links_no_probe},
    {"leaf status 0xFFFF stops the query", test_leaf_stop},
    {"leaf status replaces the count", test_leaf_status_replaces_count},
    {"guided: ask the leaf before each step", test_guided_asks_before_each_step},
    {"guided: a leaf that never answers loses guidance", test_guided_leaf_never_answers},
    {"as a leaf: our count, stop once enough", test_leaf_answer},
    {"a link closing mid-query", test_link_closed},
    {"caps: concurrent, per leaf, duplicate, no links", test_caps},
    {"a leaf query the caps refused is dropped", test_refusals_drop},
    {"lifetime", test_lifetime},
    {"horizon cap", test_horizon_cap},
    {"random run: TTL caps, each link at most once", test_random_ttl_caps_and_once},
    {"BEAR/11 and BEAR/12 vectors and round trips", test_bear_vectors},
    {"BEAR payloads truncated at every offset", test_bear_truncated},
    {"BEAR payloads with wrong heads or extra bytes", test_bear_rejects},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("dquery", tests)
