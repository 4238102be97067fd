/* test-log-limit.c: one line per interval on a manual clock, the count of
 * lines held back, and that the line after a quiet interval goes out. */
#include "gnut/base/log-limit.h"
#include "unit.h"

#define SEC G_USEC_PER_SEC

static void test_one_line_per_interval(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_log_limit *l = gnut_log_limit_new(c);
	CU_ASSERT_TRUE(gnut_log_limited(l, "bad input %d", 1));
	CU_ASSERT_FALSE(gnut_log_limited(l, "bad input %d", 2));
	gnut_clock_manual_advance(c, SEC - 1);
	CU_ASSERT_FALSE(gnut_log_limited(l, "bad input %d", 3));
	CU_ASSERT_EQUAL(gnut_log_limit_held_back(l), 2);
	gnut_clock_manual_advance(c, 1);
	CU_ASSERT_TRUE(gnut_log_limited(l, "bad input %d", 4));
	CU_ASSERT_EQUAL(gnut_log_limit_held_back(l), 0);
	gnut_log_limit_free(l);
	gnut_clock_free(c);
}

static void test_flood_bounded(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_log_limit *l = gnut_log_limit_new(c);
	guint out = 0;
	/* 10,000 lines over 10 s of clock: 10 go out */
	for (guint i = 0; i < 10000; i++) {
		out += gnut_log_limited(l, "flood %u", i);
		gnut_clock_manual_advance(c, SEC / 1000);
	}
	CU_ASSERT_EQUAL(out, 10);
	gnut_log_limit_free(l);
	gnut_clock_free(c);
}

static CU_TestInfo tests[] = {
    {"one line per interval", test_one_line_per_interval},
    {"a flood is bounded", test_flood_bounded},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("log-limit", tests)
