/* test-zinflate.c: capped zlib inflation: round trip, the cap at its edge, a
 * deflate bomb, trailing bytes, every truncation, garbage. */
#include "gnut/proto/zinflate.h"
#include "unit.h"

#include <string.h>
#include <zlib.h>

static GByteArray *compress_bytes(const uint8_t *in, size_t len)
{
	uLongf size = compressBound(len);
	GByteArray *out = g_byte_array_sized_new((guint)size);
	g_byte_array_set_size(out, (guint)size);
	CU_ASSERT_EQUAL_FATAL(compress(out->data, &size, in, len), Z_OK);
	g_byte_array_set_size(out, (guint)size);
	return out;
}

static void test_round_trip_and_nul(void)
{
	const char *text = "keyword keyword keyword index";
	g_autoptr(GByteArray) z = compress_bytes((const uint8_t *)text, strlen(text));
	uint8_t *out = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_zinflate(z->data, z->len, 100, &out, &len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(len, strlen(text));
	CU_ASSERT_STRING_EQUAL((char *)out, text); /* NUL after the data */
	g_free(out);
}

static void test_cap_edges_and_bomb(void)
{
	uint8_t *zeros = g_malloc0(1 << 20);
	g_autoptr(GByteArray) z = compress_bytes(zeros, 1000);
	uint8_t *out = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(gnut_zinflate(z->data, z->len, 1000, &out, &len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(len, 1000);
	g_free(out);
	out = NULL;
	CU_ASSERT_EQUAL(gnut_zinflate(z->data, z->len, 999, &out, &len), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(out);
	/* 1 MiB of zeros is about 1 KiB of zlib: refused under a 64 KiB cap */
	g_autoptr(GByteArray) bomb = compress_bytes(zeros, 1 << 20);
	CU_ASSERT_TRUE(bomb->len < 2048);
	CU_ASSERT_EQUAL(gnut_zinflate(bomb->data, bomb->len, 65536, &out, &len),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(out);
	g_free(zeros);
}

static void test_rejects(void)
{
	const char *text = "some text to squeeze";
	g_autoptr(GByteArray) z = compress_bytes((const uint8_t *)text, strlen(text));
	uint8_t *out = NULL;
	size_t len = 0;
	CU_ASSERT_EQUAL(gnut_zinflate(z->data, 0, 100, &out, &len), GNUT_PROTO_ERR_MALFORMED);
	g_autoptr(GByteArray) trailing = g_byte_array_new();
	g_byte_array_append(trailing, z->data, z->len);
	g_byte_array_append(trailing, (const guint8 *)"x", 1);
	CU_ASSERT_EQUAL(gnut_zinflate(trailing->data, trailing->len, 100, &out, &len),
	                GNUT_PROTO_ERR_TRAILING);
	const uint8_t garbage[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	CU_ASSERT_EQUAL(gnut_zinflate(garbage, sizeof garbage, 100, &out, &len),
	                GNUT_PROTO_ERR_MALFORMED);
	guint wrong = 0;
	for (size_t cut = 1; cut < z->len; cut++) {
		uint8_t *copy = g_memdup2(z->data, cut);
		gnut_proto_err err = gnut_zinflate(copy, cut, 100, &out, &len);
		if (err != GNUT_PROTO_ERR_TRUNCATED && err != GNUT_PROTO_ERR_MALFORMED)
			wrong++;
		g_free(copy);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_PTR_NULL(out);
}

static CU_TestInfo tests[] = {
    {"round trip, NUL after the data", test_round_trip_and_nul},
    {"cap edges and a bomb", test_cap_edges_and_bomb},
    {"rejects", test_rejects},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("zinflate", tests)
