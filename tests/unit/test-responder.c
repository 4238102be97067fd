/* test-responder.c: pongs and query hits built from a real share index on a
 * temporary folder, decoded back with the proto codecs. */
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/core/routing/responder.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

/* The suite's fixture: a share of two files, scanned once by suite_init;
 * the tests only read it. */
static struct {
	char *dir;
	char *data_dir;
	gnut_share *share;
	uint8_t image_sha1[GNUT_SHA1_LEN];
} fx;

typedef struct {
	GMainLoop *loop;
	gboolean ok;
} rescan_wait;

static void rescan_done(GObject *src, GAsyncResult *res, gpointer data)
{
	rescan_wait *w = data;
	w->ok = gnut_share_rescan_finish(fx.share, res, NULL);
	g_main_loop_quit(w->loop);
}

static int suite_cleanup(void)
{
	if (fx.share != NULL)
		gnut_share_free(fx.share);
	if (fx.dir != NULL)
		gnut_unit_rmtree(fx.dir);
	if (fx.data_dir != NULL)
		gnut_unit_rmtree(fx.data_dir);
	g_free(fx.dir);
	g_free(fx.data_dir);
	memset(&fx, 0, sizeof fx);
	return 0;
}

/* Shares image.png ("abc") and "a song.mp3" and scans them. */
static int suite_init(void)
{
	gnut_digest_init();
	fx.dir = gnut_unit_mkdtemp();
	fx.data_dir = gnut_unit_mkdtemp();
	g_autofree char *image = g_build_filename(fx.dir, "image.png", NULL);
	g_autofree char *song = g_build_filename(fx.dir, "a song.mp3", NULL);
	g_file_set_contents(image, "abc", 3, NULL);
	g_file_set_contents(song, "la la la", 8, NULL);
	gnut_sha1_buffer("abc", 3, fx.image_sha1);
	fx.share = gnut_share_new(fx.data_dir, NULL);
	gnut_share_add_dir(fx.share, fx.dir, NULL);
	rescan_wait w = {g_main_loop_new(NULL, FALSE), FALSE};
	gnut_share_rescan_async(fx.share, NULL, rescan_done, &w);
	g_main_loop_run(w.loop);
	g_main_loop_unref(w.loop);
	if (w.ok && gnut_share_count(fx.share) == 2)
		return 0;
	fprintf(stderr, "the share of two files did not scan\n");
	suite_cleanup();
	return 1;
}

static gnut_responder_self self_of_test(void)
{
	gnut_responder_self self = {.ipv4 = 0x7f000001, .port = 6346, .speed_kbps = 1000};
	memset(self.servent.bytes, 0x5a, sizeof self.servent.bytes);
	return self;
}

static GByteArray *query_payload(uint16_t flags, const char *text, const char *urn)
{
	gnut_query q = {.flags = flags, .text = text, .text_len = strlen(text)};
	if (urn != NULL) {
		q.urns[0] = (gnut_slice){(const uint8_t *)urn, strlen(urn)};
		q.n_urns = 1;
	}
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(out, &q), GNUT_PROTO_OK);
	return out;
}

static GPtrArray *ask(const char *text, const char *urn, uint16_t flags, uint8_t hops)
{
	gnut_responder_self self = self_of_test();
	gnut_msg_header qh = {.type = GNUT_MSG_QUERY, .ttl = 2, .hops = hops};
	memset(qh.guid.bytes, 0x11, sizeof qh.guid.bytes);
	g_autoptr(GByteArray) payload = query_payload(flags, text, urn);
	const char *error = "unset";
	GPtrArray *hits =
	    gnut_responder_hits(&self, fx.share, &qh, payload->data, payload->len, &error);
	CU_ASSERT_PTR_NULL(error);
	return hits;
}

/* Decodes one hit message, checks its header, returns the payload's hit. */
static void decode_hit(GBytes *msg, uint8_t want_ttl, gnut_qhit *hit)
{
	gsize len;
	const uint8_t *p = g_bytes_get_data(msg, &len);
	gnut_msg_header h;
	CU_ASSERT_EQUAL_FATAL(gnut_msg_header_decode(p, len, GNUT_MSG_MAX_PAYLOAD, &h),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_QUERY_HIT);
	CU_ASSERT_EQUAL(h.ttl, want_ttl);
	CU_ASSERT_EQUAL(h.hops, 0);
	CU_ASSERT_EQUAL(h.guid.bytes[0], 0x11);
	CU_ASSERT_EQUAL(h.length, len - GNUT_MSG_HEADER_LEN);
	CU_ASSERT_EQUAL_FATAL(gnut_qhit_decode(p + GNUT_MSG_HEADER_LEN, h.length, hit),
	                      GNUT_PROTO_OK);
}

static void check_image_hit(uint16_t flags)
{
	g_autoptr(GPtrArray) hits = ask("IMAGE", NULL, flags, 1);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	gnut_qhit hit;
	decode_hit(g_ptr_array_index(hits, 0), 3, &hit);
	CU_ASSERT_EQUAL(hit.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(hit.port, 6346);
	CU_ASSERT_EQUAL(memcmp(hit.vendor, "GNTU", 4), 0);
	CU_ASSERT_TRUE(hit.flags_valid & GNUT_QHIT_F_PUSH);
	CU_ASSERT_FALSE(hit.flags & GNUT_QHIT_F_PUSH);
	CU_ASSERT_EQUAL(hit.servent.bytes[3], 0x5a);
	CU_ASSERT_EQUAL_FATAL(hit.n_results, 1);
	CU_ASSERT_EQUAL(hit.results[0].size, 3);
	CU_ASSERT_EQUAL(hit.results[0].name_len, strlen("image.png"));
	CU_ASSERT_EQUAL(memcmp(hit.results[0].name, "image.png", 9), 0);
	gnut_urn urn;
	CU_ASSERT_TRUE(gnut_qhit_result_urn(&hit.results[0], &urn));
	CU_ASSERT_EQUAL(memcmp(urn.sha1, fx.image_sha1, GNUT_SHA1_LEN), 0);
	gnut_shared_file *f = gnut_share_by_index(fx.share, hit.results[0].index);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->name, "image.png");
	gnut_shared_file_unref(f);
	gnut_qhit_clear(&hit);
}

static void test_keyword_hit_plain_urn(void)
{
	check_image_hit(GNUT_QUERY_F_MARK);
}

static void test_keyword_hit_ggep_h(void)
{
	check_image_hit(GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H);
}

/* The one hit self answers an "image" query with, decoded into *hit,
 * which points into the message returned. */
static GBytes *image_hit_of(const gnut_responder_self *self, gnut_qhit *hit)
{
	gnut_msg_header qh = {.type = GNUT_MSG_QUERY, .ttl = 2, .hops = 0};
	memset(qh.guid.bytes, 0x11, sizeof qh.guid.bytes); /* decode_hit checks it */
	g_autoptr(GByteArray) payload = query_payload(GNUT_QUERY_F_MARK, "image", NULL);
	const char *error = NULL;
	g_autoptr(GPtrArray) hits =
	    gnut_responder_hits(self, fx.share, &qh, payload->data, payload->len, &error);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	GBytes *msg = g_bytes_ref(g_ptr_array_index(hits, 0));
	decode_hit(msg, 2, hit);
	return msg;
}

static void test_firewalled_sets_push(void)
{
	gnut_responder_self self = self_of_test();
	self.firewalled = true;
	gnut_qhit hit;
	g_autoptr(GBytes) msg = image_hit_of(&self, &hit);
	CU_ASSERT_TRUE(hit.flags_valid & GNUT_QHIT_F_PUSH);
	CU_ASSERT_TRUE(hit.flags & GNUT_QHIT_F_PUSH);
	gnut_qhit_clear(&hit);
}

static void test_sha1_query(void)
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(fx.image_sha1, urn);
	g_autoptr(GPtrArray) hits = ask("", urn, GNUT_QUERY_F_MARK, 0);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	gnut_qhit hit;
	decode_hit(g_ptr_array_index(hits, 0), 2, &hit);
	CU_ASSERT_EQUAL(hit.n_results, 1);
	gnut_qhit_clear(&hit);
	uint8_t other[GNUT_SHA1_LEN] = {1, 2, 3};
	gnut_urn_format_sha1(other, urn);
	g_autoptr(GPtrArray) none = ask("", urn, GNUT_QUERY_F_MARK, 0);
	CU_ASSERT_EQUAL(none->len, 0);
}

static void test_no_match_and_bad_query(void)
{
	g_autoptr(GPtrArray) none = ask("nothing here", NULL, GNUT_QUERY_F_MARK, 0);
	CU_ASSERT_EQUAL(none->len, 0);
	gnut_responder_self self = self_of_test();
	gnut_msg_header qh = {.type = GNUT_MSG_QUERY, .ttl = 2};
	const uint8_t junk[] = {0x80, 0x00, 'a', 'b'}; /* text without its NUL */
	const char *error = NULL;
	g_autoptr(GPtrArray) bad =
	    gnut_responder_hits(&self, fx.share, &qh, junk, sizeof junk, &error);
	CU_ASSERT_EQUAL(bad->len, 0);
	CU_ASSERT_PTR_NOT_NULL(error);
}

static void test_pong(void)
{
	gnut_responder_self self = self_of_test();
	gnut_msg_header ping = {.type = GNUT_MSG_PING, .ttl = 1, .hops = 0};
	memset(ping.guid.bytes, 0x22, sizeof ping.guid.bytes);
	g_autoptr(GBytes) msg = gnut_responder_pong(&self, fx.share, &ping);
	gsize len;
	const uint8_t *p = g_bytes_get_data(msg, &len);
	gnut_msg_header h;
	CU_ASSERT_EQUAL_FATAL(gnut_msg_header_decode(p, len, GNUT_MSG_MAX_PAYLOAD, &h),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_PONG);
	CU_ASSERT_TRUE(gnut_guid_equal(&h.guid, &ping.guid));
	CU_ASSERT_EQUAL(h.ttl, 2);
	gnut_pong pong;
	CU_ASSERT_EQUAL_FATAL(gnut_pong_decode(p + GNUT_MSG_HEADER_LEN, h.length, &pong),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(pong.port, 6346);
	CU_ASSERT_EQUAL(pong.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(pong.files, 2);
	CU_ASSERT_EQUAL(pong.kib, 0);
}

/* The first extension of a GGEP block, or "" when there is none. */
static char *first_ggep_id(gnut_slice block)
{
	gnut_ggep g;
	size_t used = 0;
	if (block.len == 0 || gnut_ggep_decode(block.data, block.len, &g, &used) != GNUT_PROTO_OK)
		return g_strdup("");
	char *id = g_strdup(g.count > 0 ? g.ext[0].id : "");
	gnut_ggep_clear(&g);
	return id;
}

/* With TLS on, GGEP "TLS" in our hits' private area and in our pongs;
 * without it neither carries a GGEP block of ours. */
static void test_tls_advertised(void)
{
	for (int tls = 0; tls < 2; tls++) {
		gnut_responder_self self = self_of_test();
		self.tls = tls;
		gnut_qhit hit;
		g_autoptr(GBytes) hit_msg = image_hit_of(&self, &hit);
		g_autofree char *hit_id = first_ggep_id(hit.private_ggep);
		CU_ASSERT_STRING_EQUAL(hit_id, tls ? "TLS" : "");
		gnut_qhit_clear(&hit);
		gnut_msg_header ping = {.type = GNUT_MSG_PING, .ttl = 1};
		g_autoptr(GBytes) msg = gnut_responder_pong(&self, fx.share, &ping);
		gsize len;
		const uint8_t *p = g_bytes_get_data(msg, &len);
		gnut_pong pong;
		CU_ASSERT_EQUAL_FATAL(
		    gnut_pong_decode(p + GNUT_MSG_HEADER_LEN, len - GNUT_MSG_HEADER_LEN, &pong),
		    GNUT_PROTO_OK);
		g_autofree char *pong_id = first_ggep_id(pong.ggep);
		CU_ASSERT_STRING_EQUAL(pong_id, tls ? "TLS" : "");
	}
}

static CU_TestInfo tests[] = {
    {"keyword query, plain urn", test_keyword_hit_plain_urn},
    {"keyword query, GGEP H", test_keyword_hit_ggep_h},
    {"firewalled: push flag", test_firewalled_sets_push},
    {"TLS: GGEP TLS in hits and pongs", test_tls_advertised},
    {"SHA-1 query", test_sha1_query},
    {"no match, bad query", test_no_match_and_bad_query},
    {"pong", test_pong},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("responder", tests, suite_init, suite_cleanup)
