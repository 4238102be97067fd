/* test-ip-rate.c: the per-key sliding windows on a manual clock: at most N
 * events per window and never 2N across a window's edge, keys counted
 * apart, the least recently used key forgotten past the table's size, and
 * a flood of keys kept within it. */
#include "gnut/base/ip-rate.h"
#include "unit.h"

#define SEC    G_USEC_PER_SEC
#define WINDOW (30 * SEC)

static void test_cap_per_window(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(0);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 5, WINDOW, 16);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_TRUE(gnut_ip_rate_take(t, 0x7f000001));
	CU_ASSERT_FALSE(gnut_ip_rate_take(t, 0x7f000001));
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 0x7f000001), 5);
	gnut_clock_manual_advance(c, WINDOW - 1);
	CU_ASSERT_FALSE(gnut_ip_rate_allows(t, 0x7f000001));
	gnut_clock_manual_advance(c, 1);
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 0x7f000001), 0);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_TRUE(gnut_ip_rate_take(t, 0x7f000001));
	CU_ASSERT_FALSE(gnut_ip_rate_take(t, 0x7f000001));
}

/* Events spread over the window: one leaves, one more may come. A token
 * bucket would let a second burst in before the first left the window. */
static void test_sliding(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(1000);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 3, WINDOW, 16);
	guint allowed = 0;
	/* one try a second for 90 s: 3 per 30 s, 9 in all */
	for (int s = 0; s < 90; s++) {
		allowed += gnut_ip_rate_take(t, 42);
		gnut_clock_manual_advance(c, SEC);
	}
	CU_ASSERT_EQUAL(allowed, 9);
	/* events at 0, 10 and 20 s: the fourth waits until 30 s */
	g_autoptr(gnut_ip_rate) u = gnut_ip_rate_new(c, 3, WINDOW, 16);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(gnut_ip_rate_take(u, 7));
		gnut_clock_manual_advance(c, 10 * SEC);
	}
	CU_ASSERT_TRUE(gnut_ip_rate_take(u, 7)); /* at 30 s: the one at 0 s left */
	gnut_clock_manual_advance(c, 5 * SEC);
	CU_ASSERT_FALSE(gnut_ip_rate_take(u, 7)); /* 10, 20, 30 in the window */
	gnut_clock_manual_advance(c, 5 * SEC);
	CU_ASSERT_TRUE(gnut_ip_rate_take(u, 7));
}

static void test_keys_apart(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(0);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 2, WINDOW, 16);
	CU_ASSERT_TRUE(gnut_ip_rate_take(t, 1));
	CU_ASSERT_TRUE(gnut_ip_rate_take(t, 1));
	CU_ASSERT_FALSE(gnut_ip_rate_take(t, 1));
	CU_ASSERT_TRUE(gnut_ip_rate_take(t, 2));
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 2), 1);
	CU_ASSERT_EQUAL(gnut_ip_rate_size(t), 2);
	/* allows changes nothing; note counts even past the cap */
	CU_ASSERT_TRUE(gnut_ip_rate_allows(t, 3));
	CU_ASSERT_EQUAL(gnut_ip_rate_size(t), 2);
	gnut_ip_rate_note(t, 2);
	gnut_ip_rate_note(t, 2);
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 2), 2);
	CU_ASSERT_FALSE(gnut_ip_rate_allows(t, 2));
}

static void test_lru_eviction(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(0);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 1, WINDOW, 3);
	gnut_ip_rate_note(t, 1);
	gnut_ip_rate_note(t, 2);
	gnut_ip_rate_note(t, 3);
	gnut_ip_rate_note(t, 1); /* 2 is now the least recently used */
	gnut_ip_rate_note(t, 4);
	CU_ASSERT_EQUAL(gnut_ip_rate_size(t), 3);
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 2), 0);
	CU_ASSERT_TRUE(gnut_ip_rate_allows(t, 2));
	CU_ASSERT_FALSE(gnut_ip_rate_allows(t, 1));
	CU_ASSERT_FALSE(gnut_ip_rate_allows(t, 3));
	CU_ASSERT_FALSE(gnut_ip_rate_allows(t, 4));
}

/* 100,000 keys through a table of 256: it never holds more. */
static void test_flood_of_keys(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(0);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 5, WINDOW, 256);
	for (guint64 k = 0; k < 100000; k++) {
		CU_ASSERT_TRUE(gnut_ip_rate_take(t, k));
		gnut_clock_manual_advance(c, 1);
	}
	CU_ASSERT_EQUAL(gnut_ip_rate_size(t), 256);
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 99999), 1);
	CU_ASSERT_EQUAL(gnut_ip_rate_count(t, 0), 0);
}

/* One key counts events overall. */
static void test_overall_cap(void)
{
	g_autoptr(gnut_clock) c = gnut_clock_manual_new(0);
	g_autoptr(gnut_ip_rate) t = gnut_ip_rate_new(c, 20, WINDOW, 1);
	guint allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += gnut_ip_rate_take(t, 0);
	CU_ASSERT_EQUAL(allowed, 20);
}

static CU_TestInfo tests[] = {
    {"at most N per window", test_cap_per_window},
    {"the window slides", test_sliding},
    {"keys are counted apart", test_keys_apart},
    {"the least recently used key goes", test_lru_eviction},
    {"a flood of keys stays within the size", test_flood_of_keys},
    {"one key: an overall cap", test_overall_cap},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ip-rate", tests)
