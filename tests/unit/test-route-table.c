/* test-route-table.c: the injectable clock, and the route table's lookups,
 * expiry on a manual clock, size cap with oldest-first eviction, the cap per
 * link, and purge of a closed link's routes. */
#include "gnut/base/clock.h"
#include "gnut/core/routing/route-table.h"
#include "unit.h"

#define SEC      G_USEC_PER_SEC
#define LIFETIME (10 * 60 * SEC)

static gnut_guid guid_n(guint n)
{
	gnut_guid g;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(n >> (8 * (i % 4)) ^ i);
	return g;
}

static void test_manual_clock(void)
{
	gnut_clock *c = gnut_clock_manual_new(1000);
	CU_ASSERT_EQUAL(gnut_clock_now_us(c), 1000);
	gnut_clock_manual_advance(c, 0);
	CU_ASSERT_EQUAL(gnut_clock_now_us(c), 1000);
	gnut_clock_manual_advance(c, 5 * SEC);
	CU_ASSERT_EQUAL(gnut_clock_now_us(c), 1000 + 5 * SEC);
	gnut_clock_free(c);
}

static void test_system_clock(void)
{
	gnut_clock *s = gnut_clock_system();
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_PTR_EQUAL(s, gnut_clock_system());
	gint64 a = gnut_clock_now_us(s);
	gint64 b = gnut_clock_now_us(s);
	CU_ASSERT_TRUE(b >= a);
	gnut_clock_free(s); /* a no-op: still usable afterwards */
	CU_ASSERT_TRUE(gnut_clock_now_us(s) >= b);
	gnut_clock_free(NULL);
}

static void test_put_lookup(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1), b = guid_n(2);
	guint64 link = 99;

	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &a, &link));
	CU_ASSERT_EQUAL(link, 99); /* untouched on a miss */
	gnut_route_table_put(t, &a, 7);
	gnut_route_table_put(t, &b, 0);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, &link));
	CU_ASSERT_EQUAL(link, 7);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &b, &link));
	CU_ASSERT_EQUAL(link, 0); /* "us" is a route like any other */
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, NULL));
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 2);

	gnut_route_table_put(t, &a, 8); /* replaces, does not add */
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, &link));
	CU_ASSERT_EQUAL(link, 8);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 2);

	CU_ASSERT_TRUE(gnut_route_table_remove(t, &a));
	CU_ASSERT_FALSE(gnut_route_table_remove(t, &a));
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &a, NULL));
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 1);
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static void test_expiry(void)
{
	gnut_clock *c = gnut_clock_manual_new(123);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1), b = guid_n(2);

	gnut_route_table_put(t, &a, 1);
	gnut_clock_manual_advance(c, LIFETIME / 2);
	gnut_route_table_put(t, &b, 2);
	gnut_clock_manual_advance(c, LIFETIME / 2 - 1);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, NULL)); /* one µs to go */
	gnut_clock_manual_advance(c, 1);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &a, NULL)); /* expired */
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &b, NULL));
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 2); /* not yet freed */
	gnut_route_table_expire(t);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 1);
	gnut_clock_manual_advance(c, LIFETIME);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &b, NULL));
	gnut_route_table_put(t, &a, 3); /* put frees expired entries as it goes */
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 1);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, NULL));
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static void test_put_refreshes(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1);
	gnut_route_table_put(t, &a, 1);
	gnut_clock_manual_advance(c, LIFETIME - SEC);
	gnut_route_table_put(t, &a, 1);
	gnut_clock_manual_advance(c, LIFETIME - SEC);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &a, NULL));
	gnut_clock_manual_advance(c, SEC);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &a, NULL));
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static void test_cap_evicts_oldest(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 3);
	gnut_guid g[5];
	for (guint i = 0; i < 5; i++)
		g[i] = guid_n(i + 1);
	for (guint i = 0; i < 3; i++) {
		gnut_route_table_put(t, &g[i], i + 1);
		gnut_clock_manual_advance(c, SEC);
	}
	gnut_route_table_put(t, &g[0], 1); /* refreshed: g[1] is now the oldest */
	gnut_route_table_put(t, &g[3], 4);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 3);
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &g[0], NULL));
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &g[1], NULL));
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &g[2], NULL));
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &g[3], NULL));
	gnut_route_table_put(t, &g[4], 5);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &g[2], NULL));
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 3);
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static void test_cap_under_load(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	for (guint i = 0; i < 1000; i++) {
		gnut_guid g = guid_n(i);
		gnut_route_table_put(t, &g, i % 7 + 1);
	}
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 100);
	guint found = 0;
	for (guint i = 0; i < 1000; i++) {
		gnut_guid g = guid_n(i);
		guint64 link;
		if (gnut_route_table_lookup(t, &g, &link)) {
			found++;
			CU_ASSERT_TRUE(i >= 900 && link == i % 7 + 1);
		}
	}
	CU_ASSERT_EQUAL(found, 100);
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static void test_purge_link(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	for (guint i = 0; i < 30; i++) {
		gnut_guid g = guid_n(i);
		gnut_route_table_put(t, &g, i % 3 + 1);
	}
	CU_ASSERT_EQUAL(gnut_route_table_purge_link(t, 2), 10);
	CU_ASSERT_EQUAL(gnut_route_table_purge_link(t, 2), 0);
	CU_ASSERT_EQUAL(gnut_route_table_purge_link(t, 42), 0);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 20);
	guint left = 0;
	for (guint i = 0; i < 30; i++) {
		gnut_guid g = guid_n(i);
		guint64 link;
		if (gnut_route_table_lookup(t, &g, &link)) {
			left++;
			CU_ASSERT_NOT_EQUAL(link, 2);
		}
	}
	CU_ASSERT_EQUAL(left, 20);
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

/* The cap per link: a link flooding new GUIDs evicts its own oldest routes
 * and never another link's, even with the table full; a route moving to a
 * link counts against that link. */
static void test_cap_per_link(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_route_table *t = gnut_route_table_new(c, LIFETIME, 100);
	gnut_route_table_set_max_per_link(t, 10);
	for (guint i = 0; i < 5; i++) {
		gnut_guid g = guid_n(100000 + i);
		gnut_route_table_put(t, &g, 1);
	}
	for (guint i = 0; i < 5000; i++) {
		gnut_guid g = guid_n(i);
		gnut_route_table_put(t, &g, 2);
	}
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 1), 5);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 2), 10);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 15);
	for (guint i = 0; i < 5; i++) {
		gnut_guid g = guid_n(100000 + i);
		CU_ASSERT_TRUE(gnut_route_table_lookup(t, &g, NULL));
	}
	for (guint i = 4990; i < 5000; i++) {
		gnut_guid g = guid_n(i);
		CU_ASSERT_TRUE(gnut_route_table_lookup(t, &g, NULL));
	}
	gnut_guid old = guid_n(4989);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &old, NULL));
	/* one of link 1's routes moves to link 2: link 2's oldest goes */
	gnut_guid moved = guid_n(100000);
	gnut_route_table_put(t, &moved, 2);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 1), 4);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 2), 10);
	gnut_guid oldest = guid_n(4990);
	CU_ASSERT_FALSE(gnut_route_table_lookup(t, &oldest, NULL));
	guint64 link = 0;
	CU_ASSERT_TRUE(gnut_route_table_lookup(t, &moved, &link));
	CU_ASSERT_EQUAL(link, 2);
	/* refreshing a route of a full link evicts nothing */
	gnut_route_table_put(t, &moved, 2);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 2), 10);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 14);
	/* expiry and purge keep the per-link counts */
	gnut_clock_manual_advance(c, LIFETIME);
	gnut_route_table_expire(t);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 1), 0);
	CU_ASSERT_EQUAL(gnut_route_table_link_size(t, 2), 0);
	gnut_route_table_put(t, &moved, 3);
	CU_ASSERT_EQUAL(gnut_route_table_purge_link(t, 3), 1);
	CU_ASSERT_EQUAL(gnut_route_table_size(t), 0);
	gnut_route_table_free(t);
	gnut_clock_free(c);
}

static CU_TestInfo tests[] = {
    {"manual clock", test_manual_clock},
    {"system clock", test_system_clock},
    {"put and lookup", test_put_lookup},
    {"expiry on the injected clock", test_expiry},
    {"put refreshes the lifetime", test_put_refreshes},
    {"cap evicts the oldest", test_cap_evicts_oldest},
    {"cap under load", test_cap_under_load},
    {"cap per link", test_cap_per_link},
    {"purge a closed link", test_purge_link},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("route-table", tests)
