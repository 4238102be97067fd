/* test-guid.c: GUID generation marks, hex round trip and hashing. */
#include "gnut/proto/guid.h"
#include "unit.h"

#include <string.h>

static void test_generate_marks_modern_servent(void)
{
	gnut_guid a, b;
	gnut_guid_generate(&a);
	gnut_guid_generate(&b);
	CU_ASSERT_EQUAL(a.bytes[8], 0xff);
	CU_ASSERT_EQUAL(a.bytes[15], 0x00);
	CU_ASSERT_FALSE(gnut_guid_equal(&a, &b));
	CU_ASSERT_FALSE(gnut_guid_is_zero(&a));
}

static void test_hex_round_trip(void)
{
	gnut_guid g, back;
	for (int i = 0; i < 16; i++)
		g.bytes[i] = (uint8_t)(0xf0 + i * 3);
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&g, hex);
	CU_ASSERT_STRING_EQUAL(hex, "f0f3f6f9fcff0205080b0e1114171a1d");
	CU_ASSERT_TRUE(gnut_guid_from_hex("F0F3F6F9FCFF0205080B0E1114171A1D", 32, &back));
	CU_ASSERT_TRUE(gnut_guid_equal(&g, &back));
	CU_ASSERT_EQUAL(gnut_guid_hash(&g), gnut_guid_hash(&back));
}

static void test_hex_rejects(void)
{
	gnut_guid g;
	CU_ASSERT_FALSE(gnut_guid_from_hex("f0f3", 4, &g));
	CU_ASSERT_FALSE(gnut_guid_from_hex("g0f3f6f9fcff0205080b0e1114171a1d", 32, &g));
	CU_ASSERT_FALSE(gnut_guid_from_hex("f0f3f6f9fcff0205080b0e1114171a1d00", 34, &g));
	gnut_guid zero;
	memset(&zero, 0, sizeof zero);
	CU_ASSERT_TRUE(gnut_guid_is_zero(&zero));
}

static CU_TestInfo tests[] = {
    {"generate marks a modern servent", test_generate_marks_modern_servent},
    {"hex round trip", test_hex_round_trip},
    {"hex rejects", test_hex_rejects},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("guid", tests)
