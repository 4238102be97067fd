/* test-rate-limit.c: the token bucket of rate-limit.h on a manual clock,
 * with exact figures: refills, the capacity, fractions carried across
 * refills, waits, the unlimited rate and changes of rate while it runs;
 * and the text form of a rate (gnut_rate_limit_parse). */
#include "gnut/base/rate-limit.h"
#include "unit.h"

#define START_US G_USEC_PER_SEC

/* A full bucket of capacity at rate, emptied. */
static gnut_rate_limit *drained(gnut_clock *clock, guint64 rate, guint64 capacity)
{
	gnut_rate_limit *rl = gnut_rate_limit_new(clock, rate, capacity);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, G_MAXUINT64), capacity);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 0);
	return rl;
}

static void test_starts_full(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = gnut_rate_limit_new(clock, 1000, 1500);
	CU_ASSERT_EQUAL(gnut_rate_limit_get_rate(rl), 1000);
	CU_ASSERT_EQUAL(gnut_rate_limit_get_capacity(rl), 1500);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 1500);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 400), 400);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 2000), 1100);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 1), 0);
}

static void test_half_second_refill(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = drained(clock, 1000, 1000);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 2);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 500);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 800), 500);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 0);
}

static void test_capacity_caps_idle(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = drained(clock, 1000, 300);
	gnut_clock_manual_advance(clock, (gint64)3600 * G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 300);
	/* 2^24 s (194 days) idle at the largest rate, 2^40 B/s: seconds times
	 * rate would be 2^64, 0 in 64 bits; still the capacity */
	g_autoptr(gnut_rate_limit) big = drained(clock, GNUT_RATE_LIMIT_MAX, GNUT_RATE_LIMIT_MAX);
	gnut_clock_manual_advance(clock, (gint64)(1 << 24) * G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(big), GNUT_RATE_LIMIT_MAX);
	/* emptied again, 0.1 s earns 0.1 s worth */
	CU_ASSERT_EQUAL(gnut_rate_limit_take(big, G_MAXUINT64), GNUT_RATE_LIMIT_MAX);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 10);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(big), GNUT_RATE_LIMIT_MAX / 10);
}

static void test_fractions_accumulate(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	/* 3 B/s read every 0.1 s: 0.3 B each time, 3 B after ten reads */
	g_autoptr(gnut_rate_limit) rl = drained(clock, 3, 100);
	for (int i = 0; i < 10; i++) {
		gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 10);
		CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), (guint64)(3 * (i + 1) / 10));
	}
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 3);
	/* 1000 B/s read every microsecond: a byte per 1000 reads, none lost */
	gnut_rate_limit_set_rate(rl, 1000, 100);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 100), 3);
	for (int i = 0; i < 5000; i++) {
		gnut_clock_manual_advance(clock, 1);
		gnut_rate_limit_available(rl);
	}
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 5);
}

static void test_wait(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = drained(clock, 1000, 4000);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 0), 0);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 1), 1000);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 250), G_USEC_PER_SEC / 4);
	/* more than the bucket holds waits for a full bucket */
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 10000), 4 * G_USEC_PER_SEC);
	/* part of the way there, the fraction counted: 0.1005 s earned 100.5 B */
	gnut_clock_manual_advance(clock, 100500);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 100);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 250), 149500);
	gnut_clock_manual_advance(clock, 149499);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 249);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 250), 1);
	gnut_clock_manual_advance(clock, 1);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 250), 0);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 250), 250);
	/* a rate that does not divide a second rounds the wait up */
	g_autoptr(gnut_rate_limit) odd = drained(clock, 3, 10);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(odd, 1), 333334);
	gnut_clock_manual_advance(clock, 333334);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(odd, 1), 1);
}

static void test_unlimited(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = gnut_rate_limit_new(clock, 0, 10);
	CU_ASSERT_EQUAL(gnut_rate_limit_get_rate(rl), 0);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 123456789), 123456789);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, G_MAXUINT64), G_MAXUINT64);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), G_MAXUINT64);
	CU_ASSERT_EQUAL(gnut_rate_limit_wait_us(rl, 1000000), 0);
}

static void test_set_rate_live(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_rate_limit) rl = drained(clock, 1000, 10000);
	/* 0.5 s at 1000 B/s, then 0.5 s at 4000 B/s */
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 2);
	gnut_rate_limit_set_rate(rl, 4000, 10000);
	CU_ASSERT_EQUAL(gnut_rate_limit_get_rate(rl), 4000);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC / 2);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 500 + 2000);
	/* a smaller capacity cuts what the bucket holds */
	gnut_rate_limit_set_rate(rl, 4000, 1000);
	CU_ASSERT_EQUAL(gnut_rate_limit_get_capacity(rl), 1000);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 1000);
	/* lifting the limit grants everything; a new limit starts full */
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 1000), 1000);
	gnut_rate_limit_set_rate(rl, 0, 1000);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 1u << 30), 1u << 30);
	gnut_clock_manual_advance(clock, 10 * G_USEC_PER_SEC);
	gnut_rate_limit_set_rate(rl, 100, 700);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 700);
	CU_ASSERT_EQUAL(gnut_rate_limit_take(rl, 700), 700);
	gnut_clock_manual_advance(clock, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(gnut_rate_limit_available(rl), 100);
}

static void test_parse(void)
{
	static const struct {
		const char *text;
		guint64 value;
	} good[] = {
	    {"0", 0},
	    {"1", 1},
	    {"65536", 65536},
	    {"64k", 65536},
	    {"64K", 65536},
	    {"2M", 2097152},
	    {"18446744073709551615", G_MAXUINT64},
	    {"17592186044415M", 17592186044415ULL * 1048576},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		guint64 v = 42;
		CU_ASSERT_TRUE(gnut_rate_limit_parse(good[i].text, &v));
		CU_ASSERT_EQUAL(v, good[i].value);
	}
	static const char *const bad[] = {
	    "",
	    "k",
	    "1.5k",
	    "-1",
	    " 1",
	    "1 k",
	    "1kk",
	    "1G",
	    "1m",
	    "+1",
	    "0x10",
	    "1M ",
	    "18446744073709551616",
	    "17592186044416M",
	    "18014398509481984k",
	    "123456789012345678901234567890123",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		guint64 v = 42;
		CU_ASSERT_FALSE(gnut_rate_limit_parse(bad[i], &v));
		CU_ASSERT_EQUAL(v, 42);
	}
	CU_ASSERT_FALSE(gnut_rate_limit_parse(NULL, NULL));
}

static CU_TestInfo tests[] = {
    {"starts full, takes what it has", test_starts_full},
    {"0.5 s at 1000 B/s refills 500", test_half_second_refill},
    {"the capacity caps a long idle", test_capacity_caps_idle},
    {"fractions accumulate across refills", test_fractions_accumulate},
    {"how long until n bytes", test_wait},
    {"rate 0 is unlimited", test_unlimited},
    {"changing the rate live", test_set_rate_live},
    {"rates in text, k/M suffixes", test_parse},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("rate-limit", tests)
