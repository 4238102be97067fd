/* test-dedup.c: duplicate detection per (GUID, type), expiry on a manual
 * clock without refresh on repeats, and the size cap. */
#include "gnut/core/routing/dedup.h"
#include "unit.h"

#define SEC      G_USEC_PER_SEC
#define LIFETIME (10 * 60 * SEC)

static gnut_guid guid_n(guint n)
{
	gnut_guid g;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(n >> (8 * (i % 4)) ^ (i * 7));
	return g;
}

static void test_second_copy_is_duplicate(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_dedup *d = gnut_dedup_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1), b = guid_n(2);
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &a, 0x80));
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x80));
	CU_ASSERT_TRUE(gnut_dedup_seen(d, &a, 0x80));
	CU_ASSERT_TRUE(gnut_dedup_check_and_add(d, &a, 0x80));
	CU_ASSERT_TRUE(gnut_dedup_check_and_add(d, &a, 0x80));
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &b, 0x80));
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 2);
	gnut_dedup_free(d);
	gnut_clock_free(c);
}

static void test_per_type(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_dedup *d = gnut_dedup_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1);
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x80)); /* query */
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x00)); /* ping, same GUID */
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x40)); /* push, same GUID */
	CU_ASSERT_TRUE(gnut_dedup_check_and_add(d, &a, 0x00));
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &a, 0x81));
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 3);
	gnut_dedup_free(d);
	gnut_clock_free(c);
}

static void test_seen_does_not_record(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_dedup *d = gnut_dedup_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(5);
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &a, 0x80));
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &a, 0x80));
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 0);
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x80));
	gnut_dedup_free(d);
	gnut_clock_free(c);
}

static void test_expiry_without_refresh(void)
{
	gnut_clock *c = gnut_clock_manual_new(77);
	gnut_dedup *d = gnut_dedup_new(c, LIFETIME, 100);
	gnut_guid a = guid_n(1);
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x80));
	gnut_clock_manual_advance(c, LIFETIME - 1);
	CU_ASSERT_TRUE(gnut_dedup_check_and_add(d, &a, 0x80)); /* does not refresh */
	gnut_clock_manual_advance(c, 1);
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &a, 0x80));
	CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &a, 0x80)); /* new again */
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 1);
	gnut_clock_manual_advance(c, LIFETIME / 2);
	CU_ASSERT_TRUE(gnut_dedup_check_and_add(d, &a, 0x80));
	gnut_clock_manual_advance(c, LIFETIME / 2);
	gnut_dedup_expire(d);
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 0);
	gnut_dedup_free(d);
	gnut_clock_free(c);
}

static void test_cap(void)
{
	gnut_clock *c = gnut_clock_manual_new(0);
	gnut_dedup *d = gnut_dedup_new(c, LIFETIME, 50);
	for (guint i = 0; i < 200; i++) {
		gnut_guid g = guid_n(i);
		CU_ASSERT_FALSE(gnut_dedup_check_and_add(d, &g, 0x80));
	}
	CU_ASSERT_EQUAL(gnut_dedup_size(d), 50);
	gnut_guid oldest = guid_n(0), newest = guid_n(199), first_kept = guid_n(150);
	CU_ASSERT_FALSE(gnut_dedup_seen(d, &oldest, 0x80));
	CU_ASSERT_TRUE(gnut_dedup_seen(d, &newest, 0x80));
	CU_ASSERT_TRUE(gnut_dedup_seen(d, &first_kept, 0x80));
	gnut_dedup_free(d);
	gnut_clock_free(c);
}

static CU_TestInfo tests[] = {
    {"second copy is a duplicate", test_second_copy_is_duplicate},
    {"per message type", test_per_type},
    {"seen does not record", test_seen_does_not_record},
    {"expiry without refresh", test_expiry_without_refresh},
    {"cap", test_cap},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("dedup", tests)
