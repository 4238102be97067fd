/* test-oob.c: the out-of-band codecs against known wire vectors (the
 * LIME/11 v2 one is LimeWire's, as its sources document it), round trips,
 * refusals, and truncation at every offset. */
#include "gnut/proto/ggep.h"
#include "gnut/proto/oob.h"
#include "unit.h"

#include <string.h>

/* LIME/11 version 2 asking for 3 hits. */
static const uint8_t claim_v2_vec[] = {'L', 'I', 'M', 'E', 0x0b, 0x00, 0x02, 0x00, 0x03};
/* LIME/11 version 3 asking for 5 hits, token 01..08: GGEP magic, one
 * extension flagged last with a 2-byte ID "SO", length 8 (0x40 | 8). */
static const uint8_t claim_v3_vec[] = {'L',  'I',  'M',  'E',  0x0b, 0x00, 0x03, 0x00,
                                       0x05, 0xc3, 0x82, 'S',  'O',  0x48, 0x01, 0x02,
                                       0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
/* LIME/12 version 3: 7 hits, can receive unsolicited UDP. */
static const uint8_t reply_v3_vec[] = {'L', 'I', 'M', 'E', 0x0c, 0x00, 0x03, 0x00, 0x07, 0x01};
/* LIME/12 version 2: 255 hits, firewalled for UDP. */
static const uint8_t reply_v2_vec[] = {'L', 'I', 'M', 'E', 0x0c, 0x00, 0x02, 0x00, 0xff, 0x00};

static void test_reply_vectors(void)
{
	gnut_oob_reply r;
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(reply_v3_vec, sizeof reply_v3_vec, &r),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.version, 3);
	CU_ASSERT_EQUAL(r.hits, 7);
	CU_ASSERT_TRUE(r.unsolicited);
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(reply_v2_vec, sizeof reply_v2_vec, &r),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.version, 2);
	CU_ASSERT_EQUAL(r.hits, 255);
	CU_ASSERT_FALSE(r.unsolicited);
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_oob_reply_encode(out, 7, true);
	CU_ASSERT_EQUAL(out->len, sizeof reply_v3_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, reply_v3_vec, out->len), 0);
}

static void test_reply_refusals(void)
{
	gnut_oob_reply r = {0};
	uint8_t buf[16];
	memcpy(buf, reply_v3_vec, sizeof reply_v3_vec);
	buf[8] = 0; /* no hits */
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(buf, 10, &r), GNUT_PROTO_ERR_MALFORMED);
	memcpy(buf, reply_v3_vec, sizeof reply_v3_vec);
	buf[6] = 1; /* version 1: obsolete */
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(buf, 10, &r), GNUT_PROTO_ERR_UNSUPPORTED);
	memcpy(buf, reply_v3_vec, sizeof reply_v3_vec);
	buf[4] = 11; /* another selector */
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(buf, 10, &r), GNUT_PROTO_ERR_MALFORMED);
	memcpy(buf, reply_v2_vec, sizeof reply_v2_vec);
	buf[10] = 0; /* v2 is exactly two bytes of data */
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(buf, 11, &r), GNUT_PROTO_ERR_TRAILING);
	memcpy(buf, reply_v3_vec, sizeof reply_v3_vec);
	buf[10] = 0xc3; /* v3 may grow: the extra is ignored */
	CU_ASSERT_EQUAL(gnut_oob_reply_decode(buf, 11, &r), GNUT_PROTO_OK);
	for (size_t cut = 0; cut < sizeof reply_v3_vec; cut++)
		CU_ASSERT_EQUAL(gnut_oob_reply_decode(reply_v3_vec, cut, &r),
		                GNUT_PROTO_ERR_TRUNCATED);
}

static void test_claim_vectors(void)
{
	gnut_oob_claim c;
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(claim_v2_vec, sizeof claim_v2_vec, &c),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(c.version, 2);
	CU_ASSERT_EQUAL(c.wanted, 3);
	CU_ASSERT_EQUAL(c.token_len, 0);
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(claim_v3_vec, sizeof claim_v3_vec, &c),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(c.version, 3);
	CU_ASSERT_EQUAL(c.wanted, 5);
	static const uint8_t token[] = {1, 2, 3, 4, 5, 6, 7, 8};
	CU_ASSERT_EQUAL(c.token_len, sizeof token);
	CU_ASSERT_EQUAL(memcmp(c.token, token, sizeof token), 0);
	g_autoptr(GByteArray) out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_oob_claim_encode(out, 5, token, sizeof token), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof claim_v3_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, claim_v3_vec, out->len), 0);
}

static void test_claim_refusals(void)
{
	gnut_oob_claim c;
	g_autoptr(GByteArray) out = g_byte_array_new();
	uint8_t big[GNUT_OOB_TOKEN_MAX + 1] = {0};
	CU_ASSERT_EQUAL(gnut_oob_claim_encode(out, 0, big, 4), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_oob_claim_encode(out, 1, big, 0), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_oob_claim_encode(out, 1, big, sizeof big), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(out->len, 0);
	uint8_t buf[64];
	memcpy(buf, claim_v3_vec, sizeof claim_v3_vec);
	buf[12] = 'X'; /* "SX": no token */
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(buf, sizeof claim_v3_vec, &c),
	                GNUT_PROTO_ERR_MALFORMED);
	memcpy(buf, claim_v3_vec, sizeof claim_v3_vec);
	buf[sizeof claim_v3_vec] = 0;
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(buf, sizeof claim_v3_vec + 1, &c),
	                GNUT_PROTO_ERR_TRAILING);
	memcpy(buf, claim_v2_vec, sizeof claim_v2_vec);
	buf[8] = 0; /* wants nothing */
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(buf, sizeof claim_v2_vec, &c),
	                GNUT_PROTO_ERR_MALFORMED);
	buf[6] = 1;
	buf[8] = 1;
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(buf, sizeof claim_v2_vec, &c),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	/* a token longer than we keep */
	out = g_byte_array_new();
	g_byte_array_append(out, claim_v3_vec, 9);
	gnut_ggep_item item = {.id = "SO", .data = big, .len = sizeof big};
	CU_ASSERT_EQUAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(out->data, out->len, &c), GNUT_PROTO_ERR_TOO_LARGE);
	for (size_t cut = 0; cut < sizeof claim_v3_vec; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_oob_claim_decode(claim_v3_vec, cut, &c), GNUT_PROTO_OK);
	for (size_t cut = 0; cut < sizeof claim_v2_vec; cut++)
		CU_ASSERT_EQUAL(gnut_oob_claim_decode(claim_v2_vec, cut, &c),
		                GNUT_PROTO_ERR_TRUNCATED);
}

static void test_guid_marking(void)
{
	gnut_guid g;
	memset(&g, 0xaa, sizeof g);
	gnut_oob_guid_mark(&g, 0xc0a80102, 6346); /* 192.168.1.2:6346 */
	static const uint8_t want[GNUT_GUID_LEN] = {0xc0, 0xa8, 0x01, 0x02, 0xaa, 0xaa, 0xaa, 0xaa,
	                                            0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xca, 0x18, 0xaa};
	CU_ASSERT_EQUAL(memcmp(g.bytes, want, sizeof want), 0);
	uint32_t ip = 0;
	uint16_t port = 0;
	gnut_oob_guid_address(&g, &ip, &port);
	CU_ASSERT_EQUAL(ip, 0xc0a80102);
	CU_ASSERT_EQUAL(port, 6346);
}

static void test_token_in_ggep_and_query(void)
{
	g_autoptr(GByteArray) block = g_byte_array_new();
	static const uint8_t token[] = {9, 8, 7};
	CU_ASSERT_EQUAL(gnut_oob_token_ggep_encode(block, token, sizeof token), GNUT_PROTO_OK);
	uint8_t got[GNUT_OOB_TOKEN_MAX];
	size_t len = 0;
	CU_ASSERT_TRUE(gnut_oob_token_find((gnut_slice){block->data, block->len}, got, &len));
	CU_ASSERT_EQUAL(len, sizeof token);
	CU_ASSERT_EQUAL(memcmp(got, token, len), 0);
	CU_ASSERT_FALSE(gnut_oob_token_find((gnut_slice){NULL, 0}, got, &len));
	for (size_t cut = 0; cut < block->len; cut++)
		CU_ASSERT_FALSE(gnut_oob_token_find((gnut_slice){block->data, cut}, got, &len));

	/* a query with an empty "SO" and the OOB flag asks for v3 */
	g_autoptr(GByteArray) so = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_oob_token_ggep_encode(so, NULL, 0), GNUT_PROTO_OK);
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_OOB, .text = "x", .text_len = 1};
	q.ggep[0] = (gnut_slice){so->data, so->len};
	q.n_ggep = 1;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(payload, &q), GNUT_PROTO_OK);
	gnut_query back;
	CU_ASSERT_EQUAL(gnut_query_decode(payload->data, payload->len, &back), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_oob_query_wants_v3(&back));
	back.flags &= (uint16_t)~GNUT_QUERY_F_OOB;
	CU_ASSERT_FALSE(gnut_oob_query_wants_v3(&back));
}

static CU_TestInfo tests[] = {
    {"reply number vectors", test_reply_vectors},
    {"reply number refusals", test_reply_refusals},
    {"claim vectors", test_claim_vectors},
    {"claim refusals", test_claim_refusals},
    {"guid marking", test_guid_marking},
    {"token in ggep and query", test_token_in_ggep_and_query},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("oob", tests)
