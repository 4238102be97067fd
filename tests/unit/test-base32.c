/* test-base32.c: RFC 4648 section 10 vectors, round trips and rejects. */
#include "gnut/proto/base32.h"
#include "gnut/proto/digest.h"
#include "unit.h"

#include <string.h>

static const struct {
	const char *plain;
	const char *padded;
} rfc_vectors[] = {
    {"", ""},
    {"f", "MY======"},
    {"fo", "MZXQ===="},
    {"foo", "MZXW6==="},
    {"foob", "MZXW6YQ="},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI======"},
};

static void test_rfc4648_encode(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rfc_vectors); i++) {
		const char *plain = rfc_vectors[i].plain;
		char out[32];
		gnut_base32_encode((const uint8_t *)plain, strlen(plain), true, out);
		CU_ASSERT_STRING_EQUAL(out, rfc_vectors[i].padded);
		CU_ASSERT_EQUAL(strlen(out), gnut_base32_encoded_len(strlen(plain), true));
	}
}

static void test_rfc4648_decode(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rfc_vectors); i++) {
		uint8_t out[16];
		size_t out_len = 99;
		const char *enc = rfc_vectors[i].padded;
		CU_ASSERT_EQUAL(gnut_base32_decode(enc, strlen(enc), out, sizeof out, &out_len),
		                GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(out_len, strlen(rfc_vectors[i].plain));
		CU_ASSERT_EQUAL(memcmp(out, rfc_vectors[i].plain, out_len), 0);
	}
}

static void test_unpadded_and_lower_case(void)
{
	uint8_t out[16];
	size_t out_len = 0;
	CU_ASSERT_EQUAL(gnut_base32_decode("mzxw6ytboi", 10, out, sizeof out, &out_len),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out_len, 6);
	CU_ASSERT_EQUAL(memcmp(out, "foobar", 6), 0);
	char enc[16];
	gnut_base32_encode((const uint8_t *)"foobar", 6, false, enc);
	CU_ASSERT_STRING_EQUAL(enc, "MZXW6YTBOI");
	CU_ASSERT_EQUAL(gnut_base32_encoded_len(GNUT_SHA1_LEN, false), 32);
}

static void test_sha1_sized_round_trip(void)
{
	uint8_t digest[GNUT_SHA1_LEN];
	for (int i = 0; i < GNUT_SHA1_LEN; i++)
		digest[i] = (uint8_t)(i * 37 + 11);
	char enc[40];
	gnut_base32_encode(digest, GNUT_SHA1_LEN, false, enc);
	CU_ASSERT_EQUAL(strlen(enc), 32);
	uint8_t back[GNUT_SHA1_LEN];
	size_t back_len = 0;
	CU_ASSERT_EQUAL(gnut_base32_decode(enc, 32, back, sizeof back, &back_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back_len, GNUT_SHA1_LEN);
	CU_ASSERT_EQUAL(memcmp(back, digest, GNUT_SHA1_LEN), 0);
}

static void test_rejects(void)
{
	uint8_t out[16];
	size_t out_len = 0;
	/* not in the alphabet: 0, 1, 8, 9, punctuation */
	CU_ASSERT_EQUAL(gnut_base32_decode("MZ0W6YTB", 8, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_base32_decode("MZ8W", 4, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	/* 1, 3 and 6 trailing characters carry no whole byte */
	CU_ASSERT_EQUAL(gnut_base32_decode("M", 1, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_base32_decode("MZX", 3, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	/* non-zero leftover bits: MZ would be "f" only with Y (low bits zero) */
	CU_ASSERT_EQUAL(gnut_base32_decode("MZ", 2, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	/* padding in the middle, or not filling a group of 8 */
	CU_ASSERT_EQUAL(gnut_base32_decode("MY==MY==", 8, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_base32_decode("MY=", 3, out, sizeof out, &out_len),
	                GNUT_PROTO_ERR_MALFORMED);
	/* output capacity */
	CU_ASSERT_EQUAL(gnut_base32_decode("MZXW6YTBOI", 10, out, 5, &out_len),
	                GNUT_PROTO_ERR_TOO_LARGE);
}

static void test_strerror(void)
{
	CU_ASSERT_STRING_EQUAL(gnut_proto_strerror(GNUT_PROTO_ERR_TRUNCATED), "truncated input");
	CU_ASSERT_STRING_EQUAL(gnut_proto_strerror(GNUT_PROTO_OK), "no error");
}

static CU_TestInfo tests[] = {
    {"RFC 4648 encode vectors", test_rfc4648_encode},
    {"RFC 4648 decode vectors", test_rfc4648_decode},
    {"unpadded, lower case", test_unpadded_and_lower_case},
    {"SHA-1 sized round trip", test_sha1_sized_round_trip},
    {"rejects malformed input", test_rejects},
    {"error strings", test_strerror},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("base32", tests)
