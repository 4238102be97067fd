/* test-ip-admit.c: the per-address admission table on a manual clock
 * (keys, the reconnection throttle with exact figures, per-address holds,
 * LRU eviction and the table full of holds) and the descriptor budget's
 * admission caps. */
#include "gnut/base/fd-budget.h"
#include "gnut/base/ip-admit.h"
#include "unit.h"

#include <string.h>
#include <sys/resource.h>

#define START_US  G_USEC_PER_SEC
#define SECOND_US ((gint64)G_USEC_PER_SEC)

static gnut_ip_key v4(guint8 a, guint8 b, guint8 c, guint8 d)
{
	const guint8 addr[4] = {a, b, c, d};
	gnut_ip_key k;
	CU_ASSERT_TRUE(gnut_ip_key_from_bytes(&k, addr, sizeof addr));
	return k;
}

static gboolean same_key(const gnut_ip_key *a, const gnut_ip_key *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

static void test_keys(void)
{
	gnut_ip_key a = v4(192, 0, 2, 1), b = v4(192, 0, 2, 2), k;
	CU_ASSERT_FALSE(same_key(&a, &b));
	const guint8 mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
	CU_ASSERT_TRUE(gnut_ip_key_from_bytes(&k, mapped, sizeof mapped));
	CU_ASSERT_TRUE(same_key(&k, &a));
	/* Two addresses of one /64 are one key; another /64 is another. */
	guint8 v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
	gnut_ip_key x, y, z;
	CU_ASSERT_TRUE(gnut_ip_key_from_bytes(&x, v6, sizeof v6));
	v6[15] = 2;
	v6[8] = 0x80;
	CU_ASSERT_TRUE(gnut_ip_key_from_bytes(&y, v6, sizeof v6));
	CU_ASSERT_TRUE(same_key(&x, &y));
	v6[7] = 2;
	CU_ASSERT_TRUE(gnut_ip_key_from_bytes(&z, v6, sizeof v6));
	CU_ASSERT_FALSE(same_key(&x, &z));
	CU_ASSERT_FALSE(gnut_ip_key_from_bytes(&k, v6, 5));
}

/* Burst 4, then one per 15 s: figures to the microsecond. */
static void test_throttle(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	gnut_ip_admit_config c = {.max_entries = 16, .burst = 4, .interval_us = 15 * SECOND_US};
	g_autoptr(gnut_ip_admit) t = gnut_ip_admit_new(clock, &c);
	gnut_ip_key a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	/* Another address has its own bucket. */
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &b));
	/* A refused arrival costs nothing: hammering once a second for 15 s
	 * still earns one arrival at 15 s. */
	for (int i = 0; i < 14; i++) {
		gnut_clock_manual_advance(clock, SECOND_US);
		CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	}
	gnut_clock_manual_advance(clock, SECOND_US - 1);
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	gnut_clock_manual_advance(clock, 1);
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->throttled, 17);
	/* A long idle time refills the burst, and no more than the burst. */
	gnut_clock_manual_advance(clock, 3600 * SECOND_US);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	/* No hold was taken by any of it. */
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 0);
}

static void test_no_throttle(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	gnut_ip_admit_config off = {.max_entries = 4, .burst = 0};
	gnut_ip_admit_config unlimited = {
	    .max_entries = 4, .burst = GNUT_IP_ADMIT_UNLIMITED, .interval_us = SECOND_US};
	g_autoptr(gnut_ip_admit) t = gnut_ip_admit_new(clock, &off);
	g_autoptr(gnut_ip_admit) u = gnut_ip_admit_new(clock, &unlimited);
	gnut_ip_key a = v4(10, 0, 0, 1);
	for (int i = 0; i < 1000; i++) {
		CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &a));
		CU_ASSERT_TRUE(gnut_ip_admit_arrive(u, &a));
	}
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->throttled, 0);
}

static void test_holds(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	gnut_ip_admit_config c = {.max_entries = 16};
	g_autoptr(gnut_ip_admit) t = gnut_ip_admit_new(clock, &c);
	gnut_ip_key a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 0);
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &a, 2));
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &a, 2));
	CU_ASSERT_FALSE(gnut_ip_admit_hold(t, &a, 2));
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->busy, 1);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 2);
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &b, 2));
	gnut_ip_admit_release(t, &a);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 1);
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &a, 2));
	CU_ASSERT_FALSE(gnut_ip_admit_hold(t, &a, 0));
	for (int i = 0; i < 100; i++)
		CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &b, GNUT_IP_ADMIT_UNLIMITED));
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &b), 101);
	for (int i = 0; i < 101; i++)
		gnut_ip_admit_release(t, &b);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &b), 0);
}

/* Three entries at most: the least recently used idle one goes first, a
 * held one never, and a table full of holds refuses newcomers. */
static void test_lru_eviction(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	gnut_ip_admit_config c = {.max_entries = 3, .burst = 1, .interval_us = 60 * SECOND_US};
	g_autoptr(gnut_ip_admit) t = gnut_ip_admit_new(clock, &c);
	gnut_ip_key a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2), k3 = v4(10, 0, 0, 3),
	            d = v4(10, 0, 0, 4), e = v4(10, 0, 0, 5);
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &b));
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &k3));
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a)); /* a used again: b is now the oldest */
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &d));
	CU_ASSERT_EQUAL(gnut_ip_admit_size(t), 3);
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->evicted, 1);
	/* a is remembered (its bucket is empty); b was forgotten and comes
	 * back with a full bucket, evicting k3, now the oldest. */
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &a));
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &b));
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->evicted, 2);
	/* Entries that hold something stay, however old. */
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &a, 1));
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &b, 1));
	CU_ASSERT_TRUE(gnut_ip_admit_hold(t, &d, 1));
	CU_ASSERT_FALSE(gnut_ip_admit_arrive(t, &e));
	CU_ASSERT_FALSE(gnut_ip_admit_hold(t, &e, 1));
	CU_ASSERT_EQUAL(gnut_ip_admit_get_stats(t)->full, 2);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 1);
	gnut_ip_admit_release(t, &b);
	CU_ASSERT_TRUE(gnut_ip_admit_arrive(t, &e));
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &a), 1);
	CU_ASSERT_EQUAL(gnut_ip_admit_held(t, &d), 1);
	CU_ASSERT_EQUAL(gnut_ip_admit_size(t), 3);
}

static void test_fd_budget(void)
{
	/* reserved 108: 32 links, 64 upload connections, 4 downloads, 8 push dials */
	CU_ASSERT_EQUAL(gnut_fd_budget_admission_cap(1024, 108), (1024 - 64 - 108) / 4);
	CU_ASSERT_EQUAL(gnut_fd_budget_admission_cap(64, 108), GNUT_FD_BUDGET_CAP_MIN);
	CU_ASSERT_EQUAL(gnut_fd_budget_admission_cap(180, 108), GNUT_FD_BUDGET_CAP_MIN);
	CU_ASSERT_EQUAL(gnut_fd_budget_admission_cap(1 << 20, 108), GNUT_FD_BUDGET_CAP_MAX);
	CU_ASSERT_EQUAL(gnut_fd_budget_admission_cap(G_MAXUINT64, 108), GNUT_FD_BUDGET_CAP_MAX);
	struct rlimit rl;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &rl), 0);
	CU_ASSERT_EQUAL(gnut_fd_budget_limit(), (guint64)rl.rlim_cur);
	/* Raised to the hard limit, then lowered back for the other tests. */
	guint64 before = 0, after = 0;
	CU_ASSERT_TRUE(gnut_fd_budget_raise(&before, &after, NULL));
	CU_ASSERT_EQUAL(before, (guint64)rl.rlim_cur);
	CU_ASSERT_EQUAL(after, (guint64)rl.rlim_max);
	CU_ASSERT_EQUAL(gnut_fd_budget_limit(), after);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static CU_TestInfo tests[] = {
    {"keys", test_keys},
    {"throttle: burst then one per interval", test_throttle},
    {"no throttle", test_no_throttle},
    {"holds per address", test_holds},
    {"LRU eviction, holds never evicted", test_lru_eviction},
    {"descriptor budget", test_fd_budget},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ip-admit", tests)
