/* test-flow.c: the flow control policy of flow.h on a manual clock: query
 * budgets per link (stricter for leaves), drops, the Bye for a link that
 * keeps flooding, when a Hops Flow goes out and with which value, and each
 * link's share of the results of our searches. */
#include "gnut/core/routing/flow.h"
#include "unit.h"

#include <string.h>

#define SEC G_USEC_PER_SEC

enum { LEAF = 1, UP = 2, UP_MUTE = 3 };

typedef struct {
	gnut_clock *clock;
	gnut_flow *flow;
} fixture;

static void fixture_init(fixture *fx, const gnut_flow_config *cfg)
{
	gnut_flow_config defaults;
	gnut_flow_config_init(&defaults);
	fx->clock = gnut_clock_manual_new(0);
	fx->flow = gnut_flow_new(fx->clock, cfg != NULL ? cfg : &defaults);
	gnut_flow_link_up(fx->flow, LEAF, TRUE);
	gnut_flow_link_up(fx->flow, UP, FALSE);
	gnut_flow_link_hops_flow(fx->flow, UP, TRUE);
	gnut_flow_link_up(fx->flow, UP_MUTE, FALSE);
}

static void fixture_clear(fixture *fx)
{
	gnut_flow_free(fx->flow);
	gnut_clock_free(fx->clock);
}

/* How many of n queries sent at once on link pass. */
static guint passed_of(fixture *fx, guint64 link, guint n)
{
	guint passed = 0;
	for (guint i = 0; i < n; i++)
		passed += gnut_flow_query(fx->flow, link) == GNUT_FLOW_PASS;
	return passed;
}

static void test_defaults(void)
{
	gnut_flow_config c;
	gnut_flow_config_init(&c);
	CU_ASSERT_EQUAL(c.leaf_rate, 1);
	CU_ASSERT_EQUAL(c.ultrapeer_rate, 50);
	CU_ASSERT_EQUAL(c.burst_s, 10);
	CU_ASSERT_EQUAL(c.flood_drops, 100);
	CU_ASSERT_EQUAL(c.flood_window_s, 10);
	CU_ASSERT_EQUAL(c.calm_s, 5);
	CU_ASSERT_EQUAL(c.hits_per_search, 500);
}

/* A leaf: a burst of 10, then 1 a second; an ultrapeer link: 500, then 50
 * a second. What is over is dropped, and counted. */
static void test_budgets(void)
{
	fixture fx;
	fixture_init(&fx, NULL);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 15), 10);
	CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, LEAF), GNUT_FLOW_DROP);
	gnut_clock_manual_advance(fx.clock, SEC);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 3), 1);
	gnut_clock_manual_advance(fx.clock, 3 * SEC);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 5), 3);
	CU_ASSERT_EQUAL(passed_of(&fx, UP, 590), 500);
	gnut_clock_manual_advance(fx.clock, SEC);
	CU_ASSERT_EQUAL(passed_of(&fx, UP, 60), 50);
	gnut_flow_stats st;
	gnut_flow_get_stats(fx.flow, &st);
	CU_ASSERT_EQUAL(st.queries_dropped, 5 + 1 + 2 + 2 + 90 + 10);
	CU_ASSERT_EQUAL(st.links_flooding, 0);
	fixture_clear(&fx);
}

/* Rates come from the config; a link never announced is an ultrapeer link;
 * a link that closes and comes back starts afresh. */
static void test_config_and_link_life(void)
{
	gnut_flow_config c;
	gnut_flow_config_init(&c);
	c.leaf_rate = 3;
	c.ultrapeer_rate = 7;
	c.burst_s = 2;
	fixture fx;
	fixture_init(&fx, &c);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 10), 6);
	CU_ASSERT_EQUAL(passed_of(&fx, UP, 20), 14);
	CU_ASSERT_EQUAL(passed_of(&fx, 99, 20), 14);
	gnut_flow_link_closed(fx.flow, LEAF);
	gnut_flow_link_up(fx.flow, LEAF, TRUE);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 10), 6);
	fixture_clear(&fx);
}

/* More than 100 drops in one 10 s window: the verdict is CLOSE (and stays
 * so while the flood goes on); as many spread over two windows are not. */
static void test_flooding_link_closed(void)
{
	fixture fx;
	fixture_init(&fx, NULL);
	CU_ASSERT_EQUAL(passed_of(&fx, LEAF, 10), 10);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, LEAF), GNUT_FLOW_DROP);
	CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, LEAF), GNUT_FLOW_CLOSE);
	CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, LEAF), GNUT_FLOW_CLOSE);
	gnut_flow_stats st;
	gnut_flow_get_stats(fx.flow, &st);
	CU_ASSERT_EQUAL(st.links_flooding, 2);
	CU_ASSERT_EQUAL(st.queries_dropped, 102);

	/* the ultrapeer link: 90 drops, a new window, 90 more: never closed */
	CU_ASSERT_EQUAL(passed_of(&fx, UP, 500), 500);
	for (int i = 0; i < 90; i++)
		CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, UP), GNUT_FLOW_DROP);
	gnut_clock_manual_advance(fx.clock, 10 * SEC);
	CU_ASSERT_EQUAL(passed_of(&fx, UP, 500), 500); /* refilled: 10 s at 50 */
	for (int i = 0; i < 90; i++)
		CU_ASSERT_EQUAL(gnut_flow_query(fx.flow, UP), GNUT_FLOW_DROP);
	fixture_clear(&fx);
}

/* Hops Flow out: 0 when trouble starts (a drop, or our output backed up),
 * 255 once calm for 5 s, one message per change; never to a leaf, never to
 * a link that did not list Hops Flow. */
static void test_hops_flow_out(void)
{
	fixture fx;
	fixture_init(&fx, NULL);
	guint8 hops = 42;
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	passed_of(&fx, UP, 501);
	passed_of(&fx, UP_MUTE, 501);
	passed_of(&fx, LEAF, 11);
	CU_ASSERT_TRUE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	CU_ASSERT_EQUAL(hops, GNUT_FLOW_HOPS_OWN_ONLY);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP_MUTE, FALSE, &hops));
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, LEAF, TRUE, &hops));
	gnut_clock_manual_advance(fx.clock, 5 * SEC - 1);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	gnut_clock_manual_advance(fx.clock, 1);
	hops = 42;
	CU_ASSERT_TRUE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	CU_ASSERT_EQUAL(hops, GNUT_FLOW_HOPS_ALL);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	/* our output to it backs up: held back again, and for as long as it
	 * stays backed up */
	CU_ASSERT_TRUE(gnut_flow_hops_flow_due(fx.flow, UP, TRUE, &hops));
	CU_ASSERT_EQUAL(hops, GNUT_FLOW_HOPS_OWN_ONLY);
	gnut_clock_manual_advance(fx.clock, 60 * SEC);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, TRUE, &hops));
	gnut_clock_manual_advance(fx.clock, 4 * SEC);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	gnut_clock_manual_advance(fx.clock, SEC);
	CU_ASSERT_TRUE(gnut_flow_hops_flow_due(fx.flow, UP, FALSE, &hops));
	CU_ASSERT_EQUAL(hops, GNUT_FLOW_HOPS_ALL);
	/* a link that stops listing it is no longer told */
	gnut_flow_link_hops_flow(fx.flow, UP, FALSE);
	CU_ASSERT_FALSE(gnut_flow_hops_flow_due(fx.flow, UP, TRUE, &hops));
	gnut_flow_stats st;
	gnut_flow_get_stats(fx.flow, &st);
	CU_ASSERT_EQUAL(st.hops_flows, 4);
	fixture_clear(&fx);
}

/* Hits for our searches: a link brings one search 500 results at most (a
 * hit that would pass it is dropped whole); other searches and other links
 * have shares of their own; the count is kept for the last 256 searches a
 * link answered. */
static void test_own_hits_per_link(void)
{
	fixture fx;
	fixture_init(&fx, NULL);
	gnut_guid s1, s2;
	memset(&s1, 1, sizeof s1);
	memset(&s2, 2, sizeof s2);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s1, 99));
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s1, 5));
	CU_ASSERT_FALSE(gnut_flow_own_hits(fx.flow, UP, &s1, 6));
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s1, 0));
	CU_ASSERT_FALSE(gnut_flow_own_hits(fx.flow, UP, &s1, 1));
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s2, 255));
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, LEAF, &s1, 255));
	CU_ASSERT_FALSE(gnut_flow_own_hits(fx.flow, UP, &s1, 1)); /* s1 answered after s2 */
	/* 255 more searches answered: s2, the one answered longest ago, is
	 * forgotten; s1 is still counted */
	for (guint i = 0; i < 255; i++) {
		gnut_guid g;
		memset(&g, 0, sizeof g);
		g.bytes[0] = 0x80;
		g.bytes[1] = (guint8)i;
		CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &g, 1));
	}
	CU_ASSERT_FALSE(gnut_flow_own_hits(fx.flow, UP, &s1, 1));
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s2, 500));
	gnut_flow_stats st;
	gnut_flow_get_stats(fx.flow, &st);
	CU_ASSERT_EQUAL(st.hits_dropped, 4);
	/* the count goes with the link */
	gnut_flow_link_closed(fx.flow, UP);
	CU_ASSERT_TRUE(gnut_flow_own_hits(fx.flow, UP, &s1, 500));
	fixture_clear(&fx);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"query budgets: leaf and ultrapeer", test_budgets},
    {"rates from the config, links come and go", test_config_and_link_life},
    {"a link that keeps flooding is closed", test_flooding_link_closed},
    {"Hops Flow sent on trouble, lifted when calm", test_hops_flow_out},
    {"hits for our searches: a share per link", test_own_hits_per_link},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("flow", tests)
