/* test-urn.c: URNs of the empty file (SHA-1 da39a3ee... and the THEX Tiger
 * root LWPNACQD...) in every accepted spelling, format round trips, the
 * GGEP "H" payloads, and rejects: truncation at every offset, bad base32,
 * unknown schemes, extra characters. */
#include "gnut/proto/digest.h"
#include "gnut/proto/tiger-tree.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>

static const uint8_t empty_sha1[GNUT_SHA1_LEN] = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b,
                                                  0x0d, 0x32, 0x55, 0xbf, 0xef, 0x95, 0x60,
                                                  0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
static const uint8_t empty_tiger[GNUT_TIGER_LEN] = {0x5d, 0x9e, 0xd0, 0x0a, 0x03, 0x0e, 0x63, 0x8b,
                                                    0xdb, 0x75, 0x3a, 0x6a, 0x24, 0xfb, 0x90, 0x0e,
                                                    0x5a, 0x63, 0xb8, 0xe7, 0x3e, 0x6c, 0x25, 0xb6};

#define SHA1_URN "urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
#define TTH_URN  "urn:tree:tiger/:LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"
#define BITPRINT_URN                                                                               \
	"urn:bitprint:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ.LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"

static gnut_proto_err parse(const char *s, gnut_urn *u)
{
	return gnut_urn_parse(s, strlen(s), u);
}

static void test_parse_sha1(void)
{
	gnut_urn u;
	CU_ASSERT_EQUAL_FATAL(parse(SHA1_URN, &u), GNUT_PROTO_OK);
	CU_ASSERT(u.has_sha1);
	CU_ASSERT(!u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.sha1, empty_sha1, GNUT_SHA1_LEN), 0);
	/* prefix and digest in any case */
	CU_ASSERT_EQUAL(parse("URN:SHA1:3i42h3s6nnfq2msvx7xzkyayscx5qbyj", &u), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(memcmp(u.sha1, empty_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_EQUAL(parse("Urn:Sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", &u), GNUT_PROTO_OK);
}

static void test_parse_tiger_and_bitprint(void)
{
	gnut_urn u;
	CU_ASSERT_EQUAL_FATAL(parse(TTH_URN, &u), GNUT_PROTO_OK);
	CU_ASSERT(!u.has_sha1);
	CU_ASSERT(u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.tiger, empty_tiger, GNUT_TIGER_LEN), 0);
	CU_ASSERT_EQUAL(parse("urn:tree:tiger:LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ", &u),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(memcmp(u.tiger, empty_tiger, GNUT_TIGER_LEN), 0);
	CU_ASSERT_EQUAL(parse("URN:TREE:TIGER/:LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ", &u),
	                GNUT_PROTO_OK);

	CU_ASSERT_EQUAL_FATAL(parse(BITPRINT_URN, &u), GNUT_PROTO_OK);
	CU_ASSERT(u.has_sha1);
	CU_ASSERT(u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.sha1, empty_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(u.tiger, empty_tiger, GNUT_TIGER_LEN), 0);
}

static void test_format(void)
{
	char sha1[GNUT_URN_SHA1_LEN + 1];
	char tth[GNUT_URN_TTH_LEN + 1];
	char bp[GNUT_URN_BITPRINT_LEN + 1];
	gnut_urn_format_sha1(empty_sha1, sha1);
	gnut_urn_format_tth(empty_tiger, tth);
	gnut_urn_format_bitprint(empty_sha1, empty_tiger, bp);
	CU_ASSERT_STRING_EQUAL(sha1, SHA1_URN);
	CU_ASSERT_STRING_EQUAL(tth, TTH_URN);
	CU_ASSERT_STRING_EQUAL(bp, BITPRINT_URN);
	CU_ASSERT_EQUAL(strlen(sha1), GNUT_URN_SHA1_LEN);
	CU_ASSERT_EQUAL(strlen(tth), GNUT_URN_TTH_LEN);
	CU_ASSERT_EQUAL(strlen(bp), GNUT_URN_BITPRINT_LEN);
	char *dup = gnut_urn_sha1_strdup(empty_sha1);
	CU_ASSERT_STRING_EQUAL(dup, SHA1_URN);
	g_free(dup);
}

static void test_round_trip(void)
{
	for (int seed = 0; seed < 8; seed++) {
		uint8_t s[GNUT_SHA1_LEN], t[GNUT_TIGER_LEN];
		for (int i = 0; i < GNUT_SHA1_LEN; i++)
			s[i] = (uint8_t)(seed * 31 + i * 17);
		for (int i = 0; i < GNUT_TIGER_LEN; i++)
			t[i] = (uint8_t)(seed * 7 + i * 41);
		char bp[GNUT_URN_BITPRINT_LEN + 1];
		gnut_urn_format_bitprint(s, t, bp);
		gnut_urn u;
		CU_ASSERT_EQUAL(parse(bp, &u), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(memcmp(u.sha1, s, GNUT_SHA1_LEN), 0);
		CU_ASSERT_EQUAL(memcmp(u.tiger, t, GNUT_TIGER_LEN), 0);
	}
}

/* Every proper prefix of a valid URN is an error, never a shorter URN. */
static void test_truncation_every_offset(void)
{
	static const char *const urns[] = {SHA1_URN, TTH_URN, BITPRINT_URN};
	for (size_t k = 0; k < G_N_ELEMENTS(urns); k++) {
		size_t n = strlen(urns[k]);
		for (size_t cut = 0; cut < n; cut++) {
			char *copy = g_memdup2(urns[k], cut);
			gnut_urn u;
			CU_ASSERT_NOT_EQUAL(gnut_urn_parse(copy, cut, &u), GNUT_PROTO_OK);
			g_free(copy);
		}
	}
}

static void test_rejects(void)
{
	gnut_urn u;
	CU_ASSERT_EQUAL(parse(SHA1_URN "A", &u), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(parse(SHA1_URN " ", &u), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(parse(TTH_URN "A", &u), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(parse(BITPRINT_URN "A", &u), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(parse("urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBY1", &u),
	                GNUT_PROTO_ERR_MALFORMED); /* '1' is not base32 */
	CU_ASSERT_EQUAL(parse("urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QB==", &u),
	                GNUT_PROTO_ERR_MALFORMED);
	/* 39 characters carry 3 spare bits: they must be zero */
	CU_ASSERT_EQUAL(parse("urn:tree:tiger/:LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNR", &u),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse("urn:bitprint:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ:"
	                      "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ",
	                      &u),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse("urn:ed2k:31D6CFE0D16AE931B73C59D7E0C089C0", &u),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(parse("urn:btih:ABCDEF", &u), GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(parse("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", &u),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse(" urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", &u),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse("", &u), GNUT_PROTO_ERR_TRUNCATED);
}

static void test_ggep_h(void)
{
	uint8_t sha1_form[1 + GNUT_SHA1_LEN] = {0x01};
	memcpy(sha1_form + 1, empty_sha1, GNUT_SHA1_LEN);
	uint8_t bp_form[1 + GNUT_SHA1_LEN + GNUT_TIGER_LEN] = {0x02};
	memcpy(bp_form + 1, empty_sha1, GNUT_SHA1_LEN);
	memcpy(bp_form + 1 + GNUT_SHA1_LEN, empty_tiger, GNUT_TIGER_LEN);

	gnut_urn u;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_h_decode(sha1_form, sizeof sha1_form, &u), GNUT_PROTO_OK);
	CU_ASSERT(u.has_sha1 && !u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.sha1, empty_sha1, GNUT_SHA1_LEN), 0);
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_h_encode(&u, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof sha1_form);
	CU_ASSERT_EQUAL(memcmp(out->data, sha1_form, sizeof sha1_form), 0);

	CU_ASSERT_EQUAL_FATAL(gnut_ggep_h_decode(bp_form, sizeof bp_form, &u), GNUT_PROTO_OK);
	CU_ASSERT(u.has_sha1 && u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.tiger, empty_tiger, GNUT_TIGER_LEN), 0);
	g_byte_array_set_size(out, 0);
	CU_ASSERT_EQUAL(gnut_ggep_h_encode(&u, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof bp_form);
	CU_ASSERT_EQUAL(memcmp(out->data, bp_form, sizeof bp_form), 0);

	for (size_t cut = 0; cut < sizeof sha1_form; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_ggep_h_decode(sha1_form, cut, &u), GNUT_PROTO_OK);
	for (size_t cut = 0; cut < sizeof bp_form; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_ggep_h_decode(bp_form, cut, &u), GNUT_PROTO_OK);
	uint8_t longer[46] = {0x02};
	CU_ASSERT_EQUAL(gnut_ggep_h_decode(longer, sizeof longer, &u), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(gnut_ggep_h_decode(longer, 22, &u), GNUT_PROTO_ERR_TRUNCATED);
	longer[0] = 0x03; /* MD5: not ours */
	CU_ASSERT_EQUAL(gnut_ggep_h_decode(longer, 17, &u), GNUT_PROTO_ERR_UNSUPPORTED);

	gnut_urn tiger_only = {.has_tiger = true};
	g_byte_array_set_size(out, 0);
	CU_ASSERT_EQUAL(gnut_ggep_h_encode(&tiger_only, out), GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(out->len, 0);
	g_byte_array_unref(out);
}

static CU_TestInfo tests[] = {
    {"urn:sha1", test_parse_sha1},
    {"urn:tree:tiger and urn:bitprint", test_parse_tiger_and_bitprint},
    {"format", test_format},
    {"round trip", test_round_trip},
    {"truncation at every offset", test_truncation_every_offset},
    {"rejects", test_rejects},
    {"GGEP H payloads", test_ggep_h},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("urn", tests)
