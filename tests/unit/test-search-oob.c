/* test-search-oob.c: claiming out-of-band hits for our searches: a Reply
 * Number for a live search is claimed once per responder with a token, and
 * only hits from that responder carrying that token get in, as many as the
 * claim allows. */
#include "gnut/core/search/search-oob.h"
#include "gnut/proto/oob.h"
#include "gnut/proto/qhit.h"
#include "unit.h"

#include <string.h>

#define RESPONDER_IP   0x7f000002
#define RESPONDER_PORT 6346

/* A query hit of one result named name, its private area holding "SO" =
 * token (none when token_len is 0). */
static GByteArray *hit_with_token(const char *name, const uint8_t *token, size_t token_len)
{
	g_autoptr(GByteArray) so = g_byte_array_new();
	if (token_len > 0)
		gnut_oob_token_ggep_encode(so, token, token_len);
	gnut_qhit_result r = {.index = 1, .size = 10, .name = name, .name_len = strlen(name)};
	gnut_qhit h = {.port = 6346,
	               .ipv4 = RESPONDER_IP,
	               .results = &r,
	               .n_results = 1,
	               .private_area = {so->data, so->len}};
	memcpy(h.vendor, "GNTU", 4);
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_encode(out, &h), GNUT_PROTO_OK);
	return out;
}

typedef struct {
	gnut_searches *searches;
	gnut_search_oob *oob;
	gnut_guid guid;
	gnut_oob_claim claim;
} fixture;

static void fixture_init(fixture *f)
{
	f->searches = gnut_searches_new();
	f->oob = gnut_search_oob_new(f->searches);
	gnut_searches_start_oob(f->searches, "song", 0x7f000001, 7000, &f->guid);
	g_autoptr(GByteArray) claim = g_byte_array_new();
	CU_ASSERT_TRUE(
	    gnut_search_oob_offer(f->oob, &f->guid, RESPONDER_IP, RESPONDER_PORT, 12, claim));
	CU_ASSERT_EQUAL(gnut_oob_claim_decode(claim->data, claim->len, &f->claim), GNUT_PROTO_OK);
}

static void fixture_clear(fixture *f)
{
	gnut_search_oob_free(f->oob);
	gnut_searches_free(f->searches);
}

static void test_offer_claimed_once(void)
{
	fixture f;
	fixture_init(&f);
	CU_ASSERT_EQUAL(f.claim.version, GNUT_OOB_VERSION);
	CU_ASSERT_EQUAL(f.claim.wanted, 12);
	CU_ASSERT_EQUAL(f.claim.token_len, GNUT_SEARCH_OOB_TOKEN_LEN);
	/* the GUID carries our address */
	uint32_t ip;
	uint16_t port;
	gnut_oob_guid_address(&f.guid, &ip, &port);
	CU_ASSERT_EQUAL(ip, 0x7f000001);
	CU_ASSERT_EQUAL(port, 7000);
	g_autoptr(GByteArray) again = g_byte_array_new();
	CU_ASSERT_FALSE(
	    gnut_search_oob_offer(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT, 5, again));
	gnut_guid other;
	gnut_guid_generate(&other);
	CU_ASSERT_FALSE(
	    gnut_search_oob_offer(f.oob, &other, RESPONDER_IP, RESPONDER_PORT, 5, again));
	CU_ASSERT_EQUAL(again->len, 0);
	CU_ASSERT_EQUAL(gnut_search_oob_get_stats(f.oob)->claims_sent, 1);
	CU_ASSERT_EQUAL(gnut_search_oob_get_stats(f.oob)->offers_ignored, 2);
	/* a stopped search claims nothing more */
	gnut_searches_stop(f.searches, gnut_searches_id(f.searches, &f.guid));
	CU_ASSERT_FALSE(gnut_search_oob_offer(f.oob, &f.guid, RESPONDER_IP, 7777, 5, again));
	fixture_clear(&f);
}

static void test_hits_need_claim_address_and_token(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GByteArray) good = hit_with_token("good.ogg", f.claim.token, f.claim.token_len);
	static const uint8_t wrong[GNUT_SEARCH_OOB_TOKEN_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
	g_autoptr(GByteArray) forged = hit_with_token("forged.ogg", wrong, sizeof wrong);
	g_autoptr(GByteArray) bare = hit_with_token("bare.ogg", NULL, 0);
	CU_ASSERT_FALSE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT + 1,
	                                         good->data, good->len, NULL, NULL));
	CU_ASSERT_FALSE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT,
	                                         forged->data, forged->len, NULL, NULL));
	CU_ASSERT_FALSE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT,
	                                         bare->data, bare->len, NULL, NULL));
	CU_ASSERT_FALSE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT,
	                                         good->data, 10, NULL, NULL));
	CU_ASSERT_TRUE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT,
	                                        good->data, good->len, NULL, NULL));
	const gnut_search_oob_stats *st = gnut_search_oob_get_stats(f.oob);
	CU_ASSERT_EQUAL(st->hits_unclaimed, 1);
	CU_ASSERT_EQUAL(st->hits_bad_token, 2);
	CU_ASSERT_EQUAL(st->hits_malformed, 1);
	CU_ASSERT_EQUAL(st->hits_received, 1);
	g_autoptr(GPtrArray) hits =
	    gnut_searches_hits_after(f.searches, gnut_searches_id(f.searches, &f.guid), 0);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	CU_ASSERT_STRING_EQUAL(((gnut_hit *)g_ptr_array_index(hits, 0))->name, "good.ogg");
	fixture_clear(&f);
}

static void test_claim_caps_messages(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GByteArray) good = hit_with_token("good.ogg", f.claim.token, f.claim.token_len);
	for (int i = 0; i < GNUT_SEARCH_OOB_MAX_MSGS; i++)
		CU_ASSERT_TRUE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP,
		                                        RESPONDER_PORT, good->data, good->len, NULL,
		                                        NULL));
	CU_ASSERT_FALSE(gnut_search_oob_take_hit(f.oob, &f.guid, RESPONDER_IP, RESPONDER_PORT,
	                                         good->data, good->len, NULL, NULL));
	CU_ASSERT_EQUAL(gnut_search_oob_get_stats(f.oob)->hits_over_claim, 1);
	fixture_clear(&f);
}

static CU_TestInfo tests[] = {
    {"offer claimed once", test_offer_claimed_once},
    {"hits need claim address and token", test_hits_need_claim_address_and_token},
    {"claim caps messages", test_claim_caps_messages},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("search-oob", tests)
