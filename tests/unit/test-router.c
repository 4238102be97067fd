/* test-router.c: the routing policy without sockets, on a manual clock:
 * TTL/hops rules, duplicates, flooding, replies routed back (and to our own
 * searches), pushes, link-local messages, per-link facts, link closing and
 * route expiry. */
#include "gnut/core/routing/router.h"
#include "unit.h"

#include <string.h>

#define SEC G_USEC_PER_SEC

/* A small world: we are linked to 1, 2 and 3 (ultrapeers) and 4 (a leaf). */
static const guint64 links[] = {1, 2, 3, 4};
#define N_LINKS G_N_ELEMENTS(links)

typedef struct {
	gnut_clock *clock;
	gnut_router *r;
	gnut_route_decision d;
	gnut_guid me;
	guint filter_calls;
	gboolean filter_answer;
	GPtrArray *payloads; /* buffers the messages below point into */
} world;

static gboolean filter(gpointer data, guint64 link, const gnut_msg_in *query)
{
	world *w = data;
	w->filter_calls++;
	return w->filter_answer;
}

static gnut_guid guid_n(guint n)
{
	gnut_guid g;
	memset(&g, 0, sizeof g);
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(n * 31 + i);
	return g;
}

static void world_init_cfg(world *w, gnut_router_config *cfg)
{
	memset(w, 0, sizeof *w);
	w->clock = gnut_clock_manual_new(1000 * SEC);
	w->me = guid_n(999);
	w->filter_answer = TRUE;
	w->payloads = g_ptr_array_new_with_free_func(g_free);
	gnut_router_config_init(cfg);
	cfg->servent_guid = w->me;
	cfg->query_filter = filter;
	cfg->query_filter_data = w;
}

static void world_start(world *w, const gnut_router_config *cfg)
{
	w->r = gnut_router_new(w->clock, cfg);
	gnut_route_decision_init(&w->d);
	gnut_route_link leaf;
	gnut_route_link_init(&leaf);
	leaf.leaf = TRUE;
	leaf.qrp = TRUE;
	gnut_router_link_set(w->r, 4, &leaf);
}

static void world_init(world *w)
{
	gnut_router_config cfg;
	world_init_cfg(w, &cfg);
	world_start(w, &cfg);
}

static void world_free(world *w)
{
	gnut_route_decision_clear(&w->d);
	gnut_router_free(w->r);
	gnut_clock_free(w->clock);
	g_ptr_array_unref(w->payloads);
}

static gnut_msg_in msg(guint guid, guint8 type, guint8 ttl, guint8 hops)
{
	gnut_msg_in m;
	memset(&m, 0, sizeof m);
	m.guid = guid_n(guid);
	m.type = type;
	m.ttl = ttl;
	m.hops = hops;
	return m;
}

static const gnut_route_decision *decide(world *w, guint64 from, const gnut_msg_in *m)
{
	gnut_router_decide(w->r, from, m, links, N_LINKS, &w->d);
	return &w->d;
}

/* The TTL the decision gives link, or -1 when link is not a destination. */
static int ttl_to(const gnut_route_decision *d, guint64 link)
{
	for (guint i = 0; i < d->dests->len; i++) {
		const gnut_route_dest *dest = &g_array_index(d->dests, gnut_route_dest, i);
		if (dest->link == link)
			return dest->ttl;
	}
	return -1;
}

/* A query hit payload: count, port, IP, speed, one byte standing in for
 * results and trailer, and the servent GUID at the end. */
#define HIT_LEN (12 + GNUT_GUID_LEN)
static gnut_msg_in hit(world *w, guint guid, guint8 ttl, guint8 hops, const gnut_guid *servent)
{
	gnut_msg_in m = msg(guid, GNUT_MSG_QUERY_HIT, ttl, hops);
	guint8 *p = g_malloc(HIT_LEN);
	memset(p, 0xab, HIT_LEN);
	memcpy(p + HIT_LEN - GNUT_GUID_LEN, servent->bytes, GNUT_GUID_LEN);
	g_ptr_array_add(w->payloads, p);
	m.payload = p;
	m.payload_len = HIT_LEN;
	return m;
}

/* A push payload: target servent GUID, file index, IPv4, port. */
#define PUSH_LEN 26
static gnut_msg_in push(world *w, guint guid, guint8 ttl, guint8 hops, const gnut_guid *target)
{
	gnut_msg_in m = msg(guid, GNUT_MSG_PUSH, ttl, hops);
	guint8 *p = g_malloc(PUSH_LEN);
	memset(p, 0x11, PUSH_LEN);
	memcpy(p, target->bytes, GNUT_GUID_LEN);
	g_ptr_array_add(w->payloads, p);
	m.payload = p;
	m.payload_len = PUSH_LEN;
	return m;
}

static void test_defaults(void)
{
	gnut_router_config cfg;
	gnut_router_config_init(&cfg);
	CU_ASSERT_EQUAL(cfg.hard_ttl_limit, 15);
	CU_ASSERT_TRUE(cfg.pong_caching);
	CU_ASSERT_FALSE(cfg.leaf_mode);
	CU_ASSERT_EQUAL(cfg.route_lifetime_us, 600 * SEC);
	CU_ASSERT_EQUAL(cfg.route_max_entries, 65536);
	CU_ASSERT_EQUAL(cfg.route_max_per_link, 8192);
	gnut_route_link l;
	gnut_route_link_init(&l);
	CU_ASSERT_FALSE(l.leaf);
	CU_ASSERT_EQUAL(l.max_ttl, 0);
	CU_ASSERT_EQUAL(l.hops_flow, 255);
}

static void test_query_flood_excludes_arrival_link(void)
{
	world w;
	world_init(&w);
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 3, 1);
	const gnut_route_decision *d = decide(&w, 2, &q);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL | GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(d->hops, 2);
	CU_ASSERT_EQUAL(d->dests->len, 3);
	CU_ASSERT_EQUAL(ttl_to(d, 1), 2);
	CU_ASSERT_EQUAL(ttl_to(d, 2), -1);
	CU_ASSERT_EQUAL(ttl_to(d, 3), 2);
	CU_ASSERT_EQUAL(ttl_to(d, 4), 1); /* the leaf, by QRP */
	world_free(&w);
}

static void test_ttl_rules(void)
{
	world w;
	world_init(&w);
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 0, 2);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->flags, 0);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_TTL_ZERO);

	/* TTL 1: ours to answer, and our leaves', but no ultrapeer gets it. */
	q = msg(2, GNUT_MSG_QUERY, 1, 2);
	const gnut_route_decision *d = decide(&w, 1, &q);
	CU_ASSERT_TRUE(d->flags & GNUT_ROUTE_DELIVER_LOCAL);
	CU_ASSERT_EQUAL(ttl_to(d, 2), -1);
	CU_ASSERT_EQUAL(ttl_to(d, 3), -1);
	CU_ASSERT_EQUAL(ttl_to(d, 4), 1);

	/* hops + TTL = 15 is allowed; 16 is dropped, neither handled nor relayed. */
	q = msg(3, GNUT_MSG_QUERY, 5, 10);
	CU_ASSERT_TRUE(decide(&w, 1, &q)->flags & GNUT_ROUTE_DELIVER_LOCAL);
	q = msg(4, GNUT_MSG_QUERY, 6, 10);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->flags, 0);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_HARD_LIMIT);
	q = msg(5, GNUT_MSG_PING, 1, 255);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->drop, GNUT_ROUTE_DROP_HARD_LIMIT);
	/* a dropped message is not recorded: a sane copy is still new */
	q = msg(4, GNUT_MSG_QUERY, 3, 1);
	CU_ASSERT_TRUE(decide(&w, 1, &q)->flags & GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_relay_trims_to_max_ttl(void)
{
	world w;
	world_init(&w);
	/* hops + TTL = 12: relayed so that hops + TTL <= 7 (hops 3 -> TTL 4) */
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 10, 2);
	const gnut_route_decision *d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(d->hops, 3);
	CU_ASSERT_EQUAL(ttl_to(d, 2), 4);
	/* hops already at 7: nothing left for ultrapeers */
	q = msg(2, GNUT_MSG_QUERY, 3, 6);
	d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 2), -1);
	CU_ASSERT_TRUE(d->flags & GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_duplicates_per_type(void)
{
	world w;
	world_init(&w);
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 3, 0);
	CU_ASSERT_NOT_EQUAL(decide(&w, 1, &q)->flags, 0);
	CU_ASSERT_EQUAL(decide(&w, 2, &q)->flags, 0);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_DUPLICATE);
	CU_ASSERT_EQUAL(w.d.dests->len, 0);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->drop, GNUT_ROUTE_DROP_DUPLICATE);
	gnut_msg_in p = msg(1, GNUT_MSG_PING, 3, 0); /* same GUID, other type */
	CU_ASSERT_EQUAL(decide(&w, 1, &p)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	CU_ASSERT_EQUAL(decide(&w, 3, &p)->drop, GNUT_ROUTE_DROP_DUPLICATE);
	/* after the dedup lifetime the GUID is new again */
	gnut_clock_manual_advance(w.clock, 600 * SEC);
	CU_ASSERT_TRUE(decide(&w, 2, &q)->flags & GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_hits_routed_back(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in h = hit(&w, 7, 3, 2, &servent);
	const gnut_route_decision *d = decide(&w, 3, &h);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD); /* not ours to handle */
	CU_ASSERT_EQUAL(d->dests->len, 1);
	CU_ASSERT_EQUAL(ttl_to(d, 1), 2);
	CU_ASSERT_EQUAL(d->hops, 3);
	/* many hits share the query's GUID: none is a duplicate */
	CU_ASSERT_EQUAL(decide(&w, 2, &h)->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(&w.d, 1), 2);
	/* a hit coming back on the query's own link has nowhere to go */
	CU_ASSERT_EQUAL(decide(&w, 1, &h)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* unknown GUID */
	gnut_msg_in stray = hit(&w, 8, 3, 2, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &stray)->flags, 0);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* a ping GUID does not route hits */
	gnut_msg_in p = msg(9, GNUT_MSG_PING, 2, 0);
	decide(&w, 1, &p);
	gnut_msg_in h9 = hit(&w, 9, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 2, &h9)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	world_free(&w);
}

static void test_hit_once_when_query_arrived_twice(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 4, 0);
	CU_ASSERT_NOT_EQUAL(decide(&w, 1, &q)->flags, 0);
	q.ttl = 3;
	q.hops = 1;
	CU_ASSERT_EQUAL(decide(&w, 2, &q)->drop, GNUT_ROUTE_DROP_DUPLICATE);
	gnut_msg_in h = hit(&w, 7, 4, 1, &servent);
	const gnut_route_decision *d = decide(&w, 3, &h);
	CU_ASSERT_EQUAL(d->dests->len, 1); /* one copy, along the first path */
	CU_ASSERT_EQUAL(ttl_to(d, 1), 3);
	CU_ASSERT_EQUAL(ttl_to(d, 2), -1);
	world_free(&w);
}

static void test_own_query(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_guid own = guid_n(70);
	gnut_router_note_own(w.r, &own, GNUT_MSG_QUERY);
	gnut_msg_in h = hit(&w, 70, 3, 1, &servent);
	const gnut_route_decision *d = decide(&w, 2, &h);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL);
	CU_ASSERT_EQUAL(d->dests->len, 0);
	/* every hit for our search is delivered, even with TTL 1 */
	gnut_msg_in h2 = hit(&w, 70, 1, 3, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &h2)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	/* our own query looping back to us is a duplicate */
	gnut_msg_in q = msg(70, GNUT_MSG_QUERY, 2, 2);
	CU_ASSERT_EQUAL(decide(&w, 3, &q)->drop, GNUT_ROUTE_DROP_DUPLICATE);
	/* and the hit taught us where the servent is, for our downloads' pushes */
	guint64 link = 0;
	CU_ASSERT_TRUE(gnut_router_push_route(w.r, &servent, &link));
	CU_ASSERT_EQUAL(link, 3);
	world_free(&w);
}

static void test_originate(void)
{
	world w;
	world_init(&w);
	gnut_route_link capped;
	gnut_route_link_init(&capped);
	capped.max_ttl = 2;
	gnut_router_link_set(w.r, 3, &capped);
	gnut_msg_in q = msg(80, GNUT_MSG_QUERY, 4, 0);
	gnut_router_originate(w.r, &q, links, N_LINKS, &w.d);
	CU_ASSERT_EQUAL(w.d.flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(w.d.hops, 0);
	CU_ASSERT_EQUAL(ttl_to(&w.d, 1), 4);
	CU_ASSERT_EQUAL(ttl_to(&w.d, 3), 2); /* X-Max-TTL: 2 */
	CU_ASSERT_EQUAL(ttl_to(&w.d, 4), 1);
	gnut_guid servent = guid_n(501);
	gnut_msg_in h = hit(&w, 80, 4, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 1, &h)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	/* nobody to send to */
	gnut_msg_in q2 = msg(81, GNUT_MSG_QUERY, 4, 0);
	gnut_router_originate(w.r, &q2, NULL, 0, &w.d);
	CU_ASSERT_EQUAL(w.d.flags, 0);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* our own ping goes to ultrapeers only, and its pongs come home */
	gnut_msg_in p = msg(82, GNUT_MSG_PING, 3, 0);
	gnut_router_originate(w.r, &p, links, N_LINKS, &w.d);
	CU_ASSERT_EQUAL(w.d.dests->len, 3);
	CU_ASSERT_EQUAL(ttl_to(&w.d, 4), -1);
	gnut_msg_in pong = msg(82, GNUT_MSG_PONG, 2, 1);
	CU_ASSERT_EQUAL(decide(&w, 2, &pong)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_reply_ttl(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q); /* from ultrapeer 1 */
	gnut_msg_in q2 = msg(8, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 4, &q2); /* from our leaf */

	gnut_msg_in h = hit(&w, 7, 1, 5, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->drop, GNUT_ROUTE_DROP_TTL_EXPIRED);
	gnut_msg_in h2 = hit(&w, 8, 1, 5, &servent);
	const gnut_route_decision *d = decide(&w, 3, &h2);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD); /* bumped for the leaf */
	CU_ASSERT_EQUAL(ttl_to(d, 4), 1);
	/* replies are trimmed, not dropped, over the hard limit */
	gnut_msg_in h3 = hit(&w, 7, 40, 10, &servent);
	d = decide(&w, 3, &h3);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(d, 1), 15);
	CU_ASSERT_EQUAL(d->hops, 11);
	gnut_msg_in h4 = hit(&w, 7, 3, 255, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &h4)->drop, GNUT_ROUTE_DROP_HOPS_MAX);
	gnut_msg_in h5 = hit(&w, 7, 0, 3, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &h5)->drop, GNUT_ROUTE_DROP_TTL_ZERO);
	world_free(&w);
}

static void test_short_hit(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in h = hit(&w, 7, 3, 1, &servent);
	h.payload_len = 26; /* one byte short of the fixed part + GUID */
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->drop, GNUT_ROUTE_DROP_BAD_PAYLOAD);
	CU_ASSERT_FALSE(gnut_router_push_route(w.r, &servent, NULL));
	h.payload = NULL;
	h.payload_len = 0;
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->drop, GNUT_ROUTE_DROP_BAD_PAYLOAD);
	h = hit(&w, 7, 3, 1, &servent);
	h.payload_len = 27;
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->flags, GNUT_ROUTE_FORWARD);
	world_free(&w);
}

static void test_push_routing(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in h = hit(&w, 7, 3, 1, &servent);
	decide(&w, 3, &h); /* servent 500 is behind link 3 */

	gnut_msg_in p = push(&w, 20, 4, 1, &servent);
	const gnut_route_decision *d = decide(&w, 1, &p);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(d->dests->len, 1);
	CU_ASSERT_EQUAL(ttl_to(d, 3), 3);
	CU_ASSERT_EQUAL(d->hops, 2);
	CU_ASSERT_EQUAL(decide(&w, 2, &p)->drop, GNUT_ROUTE_DROP_DUPLICATE);

	/* a push for us */
	gnut_msg_in mine = push(&w, 21, 4, 2, &w.me);
	CU_ASSERT_EQUAL(decide(&w, 1, &mine)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	/* a push for a servent we never saw */
	gnut_guid other = guid_n(600);
	gnut_msg_in lost = push(&w, 22, 4, 2, &other);
	CU_ASSERT_EQUAL(decide(&w, 1, &lost)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* a push arriving from the servent's own side */
	gnut_msg_in back = push(&w, 23, 4, 2, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &back)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* TTL used up */
	gnut_msg_in old = push(&w, 24, 1, 6, &servent);
	CU_ASSERT_EQUAL(decide(&w, 1, &old)->drop, GNUT_ROUTE_DROP_TTL_EXPIRED);
	/* too short to name a servent: rejected before being recorded */
	gnut_msg_in bad = push(&w, 25, 4, 1, &servent);
	bad.payload_len = 25;
	CU_ASSERT_EQUAL(decide(&w, 1, &bad)->drop, GNUT_ROUTE_DROP_BAD_PAYLOAD);
	bad.payload_len = 26;
	CU_ASSERT_EQUAL(decide(&w, 1, &bad)->flags, GNUT_ROUTE_FORWARD);
	/* over the hard limit */
	gnut_msg_in high = push(&w, 26, 10, 6, &servent);
	CU_ASSERT_EQUAL(decide(&w, 1, &high)->drop, GNUT_ROUTE_DROP_HARD_LIMIT);
	world_free(&w);
}

static void test_push_to_leaf(void)
{
	world w;
	world_init(&w);
	gnut_guid leaf_servent = guid_n(510);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in h = hit(&w, 7, 3, 0, &leaf_servent);
	CU_ASSERT_EQUAL(decide(&w, 4, &h)->flags, GNUT_ROUTE_FORWARD);
	/* a push reaching us with TTL 1 still gets to our leaf */
	gnut_msg_in p = push(&w, 30, 1, 3, &leaf_servent);
	const gnut_route_decision *d = decide(&w, 2, &p);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(d, 4), 1);
	world_free(&w);
}

static void test_latest_hit_wins_push_route(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in h = hit(&w, 7, 3, 1, &servent);
	decide(&w, 3, &h);
	decide(&w, 2, &h);
	guint64 link = 0;
	CU_ASSERT_TRUE(gnut_router_push_route(w.r, &servent, &link));
	CU_ASSERT_EQUAL(link, 2);
	/* our own servent GUID in a hit from outside is not learnt */
	gnut_msg_in fake = hit(&w, 7, 3, 1, &w.me);
	decide(&w, 3, &fake);
	CU_ASSERT_FALSE(gnut_router_push_route(w.r, &w.me, NULL));
	world_free(&w);
}

static void test_pings_with_pong_caching(void)
{
	world w;
	world_init(&w);
	gnut_msg_in p = msg(40, GNUT_MSG_PING, 3, 0);
	const gnut_route_decision *d = decide(&w, 1, &p);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL); /* answered from our cache */
	CU_ASSERT_EQUAL(d->dests->len, 0);
	p = msg(41, GNUT_MSG_PING, 1, 0); /* keep-alive */
	CU_ASSERT_EQUAL(decide(&w, 1, &p)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	/* a pong for a ping that reached us from 1 goes back to 1 */
	gnut_msg_in pong = msg(40, GNUT_MSG_PONG, 3, 1);
	d = decide(&w, 2, &pong);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(d, 1), 2);
	gnut_msg_in stray = msg(42, GNUT_MSG_PONG, 3, 1);
	CU_ASSERT_EQUAL(decide(&w, 2, &stray)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	world_free(&w);
}

static void test_pings_flooded_without_pong_caching(void)
{
	world w;
	gnut_router_config cfg;
	world_init_cfg(&w, &cfg);
	cfg.pong_caching = FALSE;
	world_start(&w, &cfg);
	gnut_msg_in p = msg(40, GNUT_MSG_PING, 3, 0);
	const gnut_route_decision *d = decide(&w, 1, &p);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL | GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(d, 2), 2);
	CU_ASSERT_EQUAL(ttl_to(d, 3), 2);
	CU_ASSERT_EQUAL(ttl_to(d, 4), -1); /* leaves get no pings */
	CU_ASSERT_EQUAL(ttl_to(d, 1), -1);
	p = msg(41, GNUT_MSG_PING, 1, 0);
	CU_ASSERT_EQUAL(decide(&w, 1, &p)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_leaves_and_qrp(void)
{
	world w;
	world_init(&w);
	gnut_msg_in q = msg(50, GNUT_MSG_QUERY, 3, 0);
	w.filter_answer = FALSE;
	const gnut_route_decision *d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 4), -1); /* its table misses */
	CU_ASSERT_EQUAL(ttl_to(d, 2), 2);  /* not the last hop: no filtering */
	CU_ASSERT_EQUAL(w.filter_calls, 1);
	CU_ASSERT_EQUAL(d->qrp_skipped_leaves, 1);
	CU_ASSERT_EQUAL(d->qrp_skipped_ultrapeers, 0);

	/* ultrapeer 2 sent a QRP table: filtered on the last hop only */
	gnut_route_link up;
	gnut_route_link_init(&up);
	up.qrp = TRUE;
	gnut_router_link_set(w.r, 2, &up);
	q = msg(51, GNUT_MSG_QUERY, 2, 1);
	d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 2), -1);
	CU_ASSERT_EQUAL(ttl_to(d, 3), 1);
	CU_ASSERT_EQUAL(d->qrp_skipped_leaves, 1);
	CU_ASSERT_EQUAL(d->qrp_skipped_ultrapeers, 1);
	w.filter_answer = TRUE;
	q = msg(52, GNUT_MSG_QUERY, 2, 1);
	d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 2), 1);
	CU_ASSERT_EQUAL(ttl_to(d, 4), 1);
	CU_ASSERT_EQUAL(d->qrp_skipped_leaves + d->qrp_skipped_ultrapeers, 0);

	/* a leaf whose table has not arrived gets nothing */
	gnut_route_link fresh;
	gnut_route_link_init(&fresh);
	fresh.leaf = TRUE;
	gnut_router_link_set(w.r, 4, &fresh);
	q = msg(53, GNUT_MSG_QUERY, 3, 0);
	CU_ASSERT_EQUAL(ttl_to(decide(&w, 1, &q), 4), -1);
	world_free(&w);
}

static void test_max_ttl_and_hops_flow(void)
{
	world w;
	world_init(&w);
	gnut_route_link l;
	gnut_route_link_init(&l);
	l.max_ttl = 1;
	gnut_router_link_set(w.r, 2, &l);
	gnut_route_link_init(&l);
	l.hops_flow = 1;
	gnut_router_link_set(w.r, 3, &l);
	gnut_msg_in q = msg(60, GNUT_MSG_QUERY, 4, 0);
	const gnut_route_decision *d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 2), 1); /* X-Max-TTL: 1 */
	CU_ASSERT_EQUAL(ttl_to(d, 3), 3); /* hops 1 <= flow 1 */
	q = msg(61, GNUT_MSG_QUERY, 4, 1);
	d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(ttl_to(d, 3), -1); /* hops 2 > flow 1 */
	CU_ASSERT_EQUAL(ttl_to(d, 2), 1);
	world_free(&w);
}

/* Facts are read back to change one (the routing room sets Hops Flow and
 * the QRP flag at different times), and Hops Flow is asked by those who
 * send queries themselves. */
static void test_link_facts_read_back(void)
{
	world w;
	world_init(&w);
	gnut_route_link l;
	gnut_router_link_get(w.r, 2, &l);
	CU_ASSERT_FALSE(l.leaf);
	CU_ASSERT_EQUAL(l.hops_flow, 255);
	CU_ASSERT_TRUE(gnut_router_hops_flow_allows(w.r, 2, 255));
	l.hops_flow = 0;
	gnut_router_link_set(w.r, 2, &l);
	gnut_router_link_get(w.r, 4, &l);
	CU_ASSERT_TRUE(l.leaf && l.qrp);
	CU_ASSERT_TRUE(gnut_router_hops_flow_allows(w.r, 2, 0));
	CU_ASSERT_FALSE(gnut_router_hops_flow_allows(w.r, 2, 1));
	gnut_msg_in q = msg(62, GNUT_MSG_QUERY, 4, 0);
	CU_ASSERT_EQUAL(ttl_to(decide(&w, 1, &q), 2), -1); /* relayed: hops 1 > 0 */
	/* our own queries (hops 0) still go */
	gnut_msg_in own = msg(63, GNUT_MSG_QUERY, 4, 0);
	gnut_router_originate(w.r, &own, links, N_LINKS, &w.d);
	CU_ASSERT_EQUAL(ttl_to(&w.d, 2), 4);
	gnut_router_link_closed(w.r, 2);
	CU_ASSERT_TRUE(gnut_router_hops_flow_allows(w.r, 2, 7));
	world_free(&w);
}

/* One link flooding queries with fresh GUIDs fills only its share of the
 * query route table: the route of another link's query survives, and its
 * hits still go back. */
static void test_routes_capped_per_link(void)
{
	world w;
	gnut_router_config cfg;
	world_init_cfg(&w, &cfg);
	cfg.route_max_entries = 100;
	cfg.route_max_per_link = 10;
	world_start(&w, &cfg);
	gnut_msg_in q = msg(250, GNUT_MSG_QUERY, 3, 0);
	CU_ASSERT_TRUE(decide(&w, 1, &q)->flags & GNUT_ROUTE_FORWARD);
	for (guint i = 0; i < 200; i++) { /* guid_n has 256 distinct GUIDs */
		gnut_msg_in flood = msg(i, GNUT_MSG_QUERY, 3, 0);
		decide(&w, 2, &flood);
	}
	gnut_guid servent = guid_n(800);
	gnut_msg_in h = hit(&w, 250, 3, 1, &servent);
	const gnut_route_decision *d = decide(&w, 3, &h);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_FORWARD);
	CU_ASSERT_EQUAL(ttl_to(d, 1), 2);
	/* link 2's own oldest routes are the ones gone */
	gnut_msg_in old_hit = hit(&w, 0, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &old_hit)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	gnut_msg_in new_hit = hit(&w, 199, 3, 1, &servent);
	CU_ASSERT_EQUAL(ttl_to(decide(&w, 3, &new_hit), 2), 2);
	world_free(&w);
}

static void test_link_local(void)
{
	world w;
	world_init(&w);
	const guint8 types[] = {GNUT_MSG_BYE, GNUT_MSG_VENDOR, GNUT_MSG_VENDOR_STD, GNUT_MSG_QRP};
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		gnut_msg_in m = msg(90, types[i], 5, 0);
		const gnut_route_decision *d = decide(&w, 1, &m);
		CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL);
		CU_ASSERT_EQUAL(d->dests->len, 0);
		/* the same GUID again is fine: link-local messages are not deduplicated */
		CU_ASSERT_EQUAL(decide(&w, 2, &m)->flags, GNUT_ROUTE_DELIVER_LOCAL);
		m.hops = 1;
		CU_ASSERT_EQUAL(decide(&w, 1, &m)->drop, GNUT_ROUTE_DROP_NOT_LINK_LOCAL);
		m.hops = 0;
		m.ttl = 0;
		CU_ASSERT_EQUAL(decide(&w, 1, &m)->drop, GNUT_ROUTE_DROP_TTL_ZERO);
	}
	gnut_msg_in unknown = msg(91, 0x33, 1, 0);
	CU_ASSERT_EQUAL(decide(&w, 1, &unknown)->drop, GNUT_ROUTE_DROP_UNKNOWN_TYPE);
	world_free(&w);
}

static void test_leaf_mode(void)
{
	world w;
	gnut_router_config cfg;
	world_init_cfg(&w, &cfg);
	cfg.leaf_mode = TRUE;
	world_start(&w, &cfg);
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 3, 2);
	const gnut_route_decision *d = decide(&w, 1, &q);
	CU_ASSERT_EQUAL(d->flags, GNUT_ROUTE_DELIVER_LOCAL);
	CU_ASSERT_EQUAL(d->dests->len, 0);
	gnut_guid servent = guid_n(500);
	gnut_msg_in h = hit(&w, 1, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 2, &h)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	gnut_msg_in p = push(&w, 2, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 1, &p)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	gnut_msg_in mine = push(&w, 3, 3, 1, &w.me);
	CU_ASSERT_EQUAL(decide(&w, 1, &mine)->flags, GNUT_ROUTE_DELIVER_LOCAL);
	world_free(&w);
}

static void test_link_closed(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_msg_in q2 = msg(8, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 2, &q2);
	gnut_msg_in h = hit(&w, 8, 3, 1, &servent);
	decide(&w, 3, &h);
	CU_ASSERT_TRUE(gnut_router_push_route(w.r, &servent, NULL));

	/* link 1 is gone from the list but not yet reported closed */
	const guint64 without_1[] = {2, 3, 4};
	gnut_msg_in h7 = hit(&w, 7, 3, 1, &servent);
	gnut_router_decide(w.r, 3, &h7, without_1, 3, &w.d);
	CU_ASSERT_EQUAL(w.d.drop, GNUT_ROUTE_DROP_ROUTE_LOST);

	gnut_router_link_closed(w.r, 1);
	CU_ASSERT_EQUAL(decide(&w, 3, &h7)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->flags, GNUT_ROUTE_FORWARD); /* 2 unaffected */
	gnut_router_link_closed(w.r, 3);
	CU_ASSERT_FALSE(gnut_router_push_route(w.r, &servent, NULL));
	gnut_msg_in p = push(&w, 9, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 2, &p)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	/* closing the leaf forgets its facts: a new link 4 is an ultrapeer */
	gnut_router_link_closed(w.r, 4);
	gnut_msg_in q3 = msg(10, GNUT_MSG_QUERY, 3, 0);
	CU_ASSERT_EQUAL(ttl_to(decide(&w, 1, &q3), 4), 2);
	world_free(&w);
}

static void test_routes_expire(void)
{
	world w;
	world_init(&w);
	gnut_guid servent = guid_n(500);
	gnut_msg_in q = msg(7, GNUT_MSG_QUERY, 3, 0);
	decide(&w, 1, &q);
	gnut_clock_manual_advance(w.clock, 599 * SEC);
	gnut_msg_in h = hit(&w, 7, 3, 1, &servent);
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->flags, GNUT_ROUTE_FORWARD); /* and refreshes */
	gnut_clock_manual_advance(w.clock, 599 * SEC);
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->flags, GNUT_ROUTE_FORWARD);
	gnut_clock_manual_advance(w.clock, 600 * SEC);
	CU_ASSERT_EQUAL(decide(&w, 3, &h)->drop, GNUT_ROUTE_DROP_NO_ROUTE);
	CU_ASSERT_FALSE(gnut_router_push_route(w.r, &servent, NULL));
	world_free(&w);
}

static void test_decision_reuse_and_strings(void)
{
	world w;
	world_init(&w);
	gnut_msg_in q = msg(1, GNUT_MSG_QUERY, 3, 0);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->dests->len, 3);
	CU_ASSERT_EQUAL(decide(&w, 1, &q)->dests->len, 0); /* replaced, not appended */
	for (int i = GNUT_ROUTE_DROP_NONE; i <= GNUT_ROUTE_DROP_UNKNOWN_TYPE; i++) {
		const char *s = gnut_route_drop_str((gnut_route_drop)i);
		CU_ASSERT_PTR_NOT_NULL(s);
		if (i > GNUT_ROUTE_DROP_NONE)
			CU_ASSERT_STRING_NOT_EQUAL(s,
			                           gnut_route_drop_str((gnut_route_drop)(i - 1)));
	}
	CU_ASSERT_STRING_EQUAL(gnut_route_drop_str(GNUT_ROUTE_DROP_DUPLICATE), "duplicate");
	world_free(&w);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"query flood excludes the arrival link", test_query_flood_excludes_arrival_link},
    {"TTL and hops rules", test_ttl_rules},
    {"relay trims to max TTL", test_relay_trims_to_max_ttl},
    {"duplicates per type", test_duplicates_per_type},
    {"hits routed back", test_hits_routed_back},
    {"hit once when the query arrived twice", test_hit_once_when_query_arrived_twice},
    {"own query", test_own_query},
    {"originate", test_originate},
    {"reply TTL", test_reply_ttl},
    {"short hit", test_short_hit},
    {"push routing", test_push_routing},
    {"push to a leaf", test_push_to_leaf},
    {"latest hit wins the push route", test_latest_hit_wins_push_route},
    {"pings with pong caching", test_pings_with_pong_caching},
    {"pings flooded without pong caching", test_pings_flooded_without_pong_caching},
    {"leaves and QRP", test_leaves_and_qrp},
    {"X-Max-TTL and Hops Flow", test_max_ttl_and_hops_flow},
    {"link facts read back, Hops Flow asked", test_link_facts_read_back},
    {"query routes capped per link", test_routes_capped_per_link},
    {"link-local messages", test_link_local},
    {"leaf mode", test_leaf_mode},
    {"link closed", test_link_closed},
    {"routes expire", test_routes_expire},
    {"decision reuse and strings", test_decision_reuse_and_strings},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("router", tests)
