/* test-responder.c: pongs and query hits built from a real share index on a
 * temporary folder, decoded back with the proto codecs. */
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/core/routing/oob-serve.h"
#include "gnut/core/routing/responder.h"
#include "gnut/proto/oob.h"
#include "gnut/proto/partial-result.h"
#include "gnut/proto/vendor-msg.h"
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

/* Asks self (with partials) the query text / urn, with GGEP "PR" when
 * wants_partials; returns the hit messages. */
static GPtrArray *ask_partials(gnut_partials *partials, const char *text, const char *urn,
                               gboolean wants_partials)
{
	gnut_responder_self self = self_of_test();
	self.partials = partials;
	gnut_msg_header qh = {.type = GNUT_MSG_QUERY, .ttl = 2, .hops = 0};
	memset(qh.guid.bytes, 0x11, sizeof qh.guid.bytes);
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H,
	                .text = text,
	                .text_len = strlen(text)};
	if (urn != NULL) {
		q.urns[0] = (gnut_slice){(const uint8_t *)urn, strlen(urn)};
		q.n_urns = 1;
	}
	gnut_ggep_item pr = {.id = GNUT_PARTIAL_GGEP_WANTED};
	g_autoptr(GByteArray) block = g_byte_array_new();
	gnut_ggep_encode(&pr, 1, block);
	if (wants_partials) {
		q.ggep[0] = (gnut_slice){block->data, block->len};
		q.n_ggep = 1;
	}
	g_autoptr(GByteArray) payload = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(payload, &q), GNUT_PROTO_OK);
	const char *error = "unset";
	GPtrArray *hits =
	    gnut_responder_hits(&self, fx.share, &qh, payload->data, payload->len, &error);
	CU_ASSERT_PTR_NULL(error);
	return hits;
}

/* A partial file answers a query asking for partial results by keyword,
 * and one naming its URN, with "PRU" (its time and available bytes); a
 * keyword query without "PR" gets nothing of it, nor does anyone once the
 * registry is disabled; a partial file also shared complete is told once,
 * complete. */
static void test_partial_results(void)
{
	g_autoptr(gnut_partials) partials = gnut_partials_new();
	const uint8_t sha1[GNUT_SHA1_LEN] = {7, 7, 7};
	const gnut_http_range ranges[] = {{0, 1048575}};
	CU_ASSERT_TRUE(gnut_partials_publish(partials, sha1, "growing movie.mkv", 5000000,
	                                     "/x.part", ranges, 1, 1234567));
	g_autoptr(GPtrArray) hits = ask_partials(partials, "movie", NULL, TRUE);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	gnut_qhit hit;
	decode_hit(g_ptr_array_index(hits, 0), 2, &hit);
	CU_ASSERT_EQUAL_FATAL(hit.n_results, 1);
	CU_ASSERT_EQUAL(hit.results[0].size, 5000000);
	CU_ASSERT_TRUE(hit.results[0].index >= GNUT_PARTIALS_INDEX_FIRST);
	gnut_urn urn;
	CU_ASSERT_TRUE(gnut_qhit_result_urn(&hit.results[0], &urn));
	CU_ASSERT_EQUAL(memcmp(urn.sha1, sha1, GNUT_SHA1_LEN), 0);
	gnut_pru pru;
	CU_ASSERT_TRUE_FATAL(gnut_pru_ext_find(hit.results[0].ext, &pru));
	CU_ASSERT_EQUAL(pru.available, 1048576);
	CU_ASSERT_EQUAL(pru.mtime, 1234567);
	gnut_qhit_clear(&hit);

	g_autoptr(GPtrArray) not_asked = ask_partials(partials, "movie", NULL, FALSE);
	CU_ASSERT_EQUAL(not_asked->len, 0);
	char text[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, text);
	g_autoptr(GPtrArray) by_urn = ask_partials(partials, "", text, FALSE);
	CU_ASSERT_EQUAL(by_urn->len, 1);
	gnut_partials_set_enabled(partials, FALSE);
	g_autoptr(GPtrArray) off = ask_partials(partials, "movie", NULL, TRUE);
	CU_ASSERT_EQUAL(off->len, 0);
	gnut_partials_set_enabled(partials, TRUE);

	/* image.png is shared complete: its partial twin is not told */
	CU_ASSERT_TRUE(gnut_partials_publish(partials, fx.image_sha1, "image.png", 3, "/i.part",
	                                     (const gnut_http_range[]){{0, 2}}, 1, 1));
	g_autoptr(GPtrArray) image = ask_partials(partials, "image", NULL, TRUE);
	CU_ASSERT_EQUAL_FATAL(image->len, 1);
	decode_hit(g_ptr_array_index(image, 0), 2, &hit);
	CU_ASSERT_EQUAL_FATAL(hit.n_results, 1);
	CU_ASSERT_FALSE(gnut_pru_ext_find(hit.results[0].ext, &pru));
	gnut_qhit_clear(&hit);
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

/* ---- out-of-band delivery (oob-serve.h) ---- */

typedef struct {
	GPtrArray *sent; /* GBytes */
	uint32_t ipv4;
	uint16_t port;
} udp_capture;

static gboolean capture_send(uint32_t ipv4, uint16_t port, GBytes *msg, gpointer data)
{
	udp_capture *c = data;
	c->ipv4 = ipv4;
	c->port = port;
	g_ptr_array_add(c->sent, g_bytes_ref(msg));
	return TRUE;
}

/* An OOB v3 query for "image" whose GUID is marked ipv4:7000 (17.x.x.x
 * keeps the first GUID byte decode_hit checks). */
#define QUERIER_IP 0x11000009
static GByteArray *oob_query(gnut_msg_header *qh, uint8_t hops, uint32_t ipv4)
{
	g_autoptr(GByteArray) so = g_byte_array_new();
	gnut_oob_token_ggep_encode(so, NULL, 0);
	gnut_query q = {
	    .flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_OOB, .text = "image", .text_len = 5};
	q.ggep[0] = (gnut_slice){so->data, so->len};
	q.n_ggep = 1;
	GByteArray *payload = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(payload, &q), GNUT_PROTO_OK);
	*qh = (gnut_msg_header){
	    .type = GNUT_MSG_QUERY, .ttl = 2, .hops = hops, .length = payload->len};
	gnut_guid_generate(&qh->guid);
	gnut_oob_guid_mark(&qh->guid, ipv4, 7000);
	return payload;
}

static void claim(gnut_oob_serve *o, const gnut_msg_header *qh, uint32_t ipv4, uint16_t port,
                  const uint8_t *token, size_t len)
{
	g_autoptr(GByteArray) p = g_byte_array_new();
	gnut_oob_claim_encode(p, 10, token, len);
	gnut_msg_header h = {.guid = qh->guid, .type = GNUT_MSG_VENDOR, .ttl = 1, .length = p->len};
	gnut_responder_self self = self_of_test();
	CU_ASSERT_TRUE(gnut_oob_serve_claim(o, &self, &h, p->data, ipv4, port));
}

/* Out-of-band service over the fixture's share, sending into cap. */
static gnut_oob_serve *serve_new(udp_capture *cap, gboolean allow_local)
{
	gnut_oob_serve_config oc = {.clock = gnut_clock_system(),
	                            .share = fx.share,
	                            .allow_local = allow_local,
	                            .send = capture_send,
	                            .send_data = cap};
	return gnut_oob_serve_new(&oc);
}

static void test_oob_offer_then_claim(void)
{
	udp_capture cap = {.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
	gnut_oob_serve *o = serve_new(&cap, TRUE);
	gnut_responder_self self = self_of_test();
	gnut_msg_header qh;
	g_autoptr(GByteArray) payload = oob_query(&qh, 0, QUERIER_IP);
	/* a neighbour's query is answered over TCP */
	CU_ASSERT_FALSE(gnut_oob_serve_offer(o, &self, &qh, payload->data, 1, TRUE));
	qh.hops = 1;
	CU_ASSERT_TRUE(gnut_oob_serve_offer(o, &self, &qh, payload->data, 1, TRUE));
	CU_ASSERT_EQUAL_FATAL(cap.sent->len, 1);
	CU_ASSERT_EQUAL(cap.ipv4, QUERIER_IP);
	CU_ASSERT_EQUAL(cap.port, 7000);
	gsize len;
	const uint8_t *m = g_bytes_get_data(g_ptr_array_index(cap.sent, 0), &len);
	CU_ASSERT_EQUAL(len, GNUT_MSG_HEADER_LEN + GNUT_OOB_REPLY_LEN);
	gnut_oob_reply r;
	CU_ASSERT_EQUAL(
	    gnut_oob_reply_decode(m + GNUT_MSG_HEADER_LEN, len - GNUT_MSG_HEADER_LEN, &r),
	    GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.hits, 1);
	/* a claim from another address is refused; from the querier it is served */
	static const uint8_t token[] = {0xde, 0xad, 0xbe, 0xef};
	claim(o, &qh, QUERIER_IP, 7001, token, sizeof token);
	CU_ASSERT_EQUAL(cap.sent->len, 1);
	claim(o, &qh, QUERIER_IP, 7000, token, sizeof token);
	CU_ASSERT_EQUAL_FATAL(cap.sent->len, 2);
	gnut_qhit hit;
	decode_hit(g_ptr_array_index(cap.sent, 1), 3, &hit);
	uint8_t got[GNUT_OOB_TOKEN_MAX];
	size_t got_len = 0;
	CU_ASSERT_TRUE(gnut_oob_token_find(hit.private_ggep, got, &got_len));
	CU_ASSERT_EQUAL(got_len, sizeof token);
	CU_ASSERT_EQUAL(memcmp(got, token, sizeof token), 0);
	gnut_qhit_clear(&hit);
	/* claimed once only */
	claim(o, &qh, QUERIER_IP, 7000, token, sizeof token);
	CU_ASSERT_EQUAL(cap.sent->len, 2);
	const gnut_oob_serve_stats *st = gnut_oob_serve_get_stats(o);
	CU_ASSERT_EQUAL(st->offered, 1);
	CU_ASSERT_EQUAL(st->claimed, 1);
	CU_ASSERT_EQUAL(st->claims_bogus, 2);
	CU_ASSERT_EQUAL(st->hits_sent, 1);
	gnut_oob_serve_free(o);
	g_ptr_array_unref(cap.sent);
}

static void test_oob_refusals_and_expiry(void)
{
	udp_capture cap = {.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
	gnut_oob_serve *o = serve_new(&cap, FALSE);
	gnut_responder_self self = self_of_test();
	gnut_msg_header qh;
	g_autoptr(GByteArray) payload = oob_query(&qh, 1, 0x7f000009);
	/* a loopback querier, local addresses not allowed */
	CU_ASSERT_FALSE(gnut_oob_serve_offer(o, &self, &qh, payload->data, 1, TRUE));
	gnut_oob_serve_free(o);
	o = serve_new(&cap, TRUE);
	/* per querier IP cap */
	for (int i = 0; i < GNUT_OOB_SERVE_PER_IP; i++) {
		g_autoptr(GByteArray) p = oob_query(&qh, 1, QUERIER_IP);
		CU_ASSERT_TRUE(gnut_oob_serve_offer(o, &self, &qh, p->data, 1, TRUE));
	}
	CU_ASSERT_FALSE(gnut_oob_serve_offer(o, &self, &qh, payload->data, 1, TRUE));
	CU_ASSERT_EQUAL(gnut_oob_serve_get_stats(o)->refused, 1);
	gnut_oob_serve_tick(o, gnut_clock_now_us(gnut_clock_system()) + GNUT_OOB_SERVE_EXPIRE_US);
	CU_ASSERT_EQUAL(gnut_oob_serve_get_stats(o)->expired, GNUT_OOB_SERVE_PER_IP);
	g_autoptr(GByteArray) p = oob_query(&qh, 1, QUERIER_IP);
	CU_ASSERT_TRUE(gnut_oob_serve_offer(o, &self, &qh, p->data, 1, TRUE));
	gnut_oob_serve_free(o);
	g_ptr_array_unref(cap.sent);
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

/* With TLS on and a claim's token, one GGEP block in the private area
 * carries both (gtk-gnutella reads one block there). */
static void test_tls_and_oob_token_share_a_block(void)
{
	gnut_responder_self self = self_of_test();
	self.tls = true;
	static const uint8_t token[] = {1, 0, 3, 4, 5, 6, 7, 8};
	self.oob_token = (gnut_slice){token, sizeof token};
	gnut_qhit hit;
	g_autoptr(GBytes) hit_msg = image_hit_of(&self, &hit);
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(
	    gnut_ggep_decode(hit.private_ggep.data, hit.private_ggep.len, &g, &used),
	    GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(used, hit.private_ggep.len);
	CU_ASSERT_PTR_NOT_NULL(gnut_ggep_find(&g, "TLS"));
	const gnut_ggep_ext *so = gnut_ggep_find(&g, GNUT_OOB_GGEP_TOKEN);
	CU_ASSERT_TRUE_FATAL(so != NULL);
	CU_ASSERT_EQUAL(so->len, sizeof token);
	CU_ASSERT_EQUAL(memcmp(so->data, token, sizeof token), 0);
	gnut_ggep_clear(&g);
	gnut_qhit_clear(&hit);
}

/* Our push proxies go into the private GGEP block as "PUSH" (IPv4 in
 * network order, port little-endian, 6 bytes each) while firewalled, and
 * never when we are reachable (a downloader connects to us then). */
static void test_push_proxies_advertised(void)
{
	static const uint8_t want[] = {0x7f, 0x00, 0x00, 0x02, 0x39, 0x30,
	                               0x0a, 0x01, 0x02, 0x03, 0xe2, 0x18};
	for (int firewalled = 0; firewalled < 2; firewalled++) {
		gnut_responder_self self = self_of_test();
		self.firewalled = firewalled;
		self.proxies.count = 2;
		self.proxies.addr[0] = (gnut_push_proxy){.ipv4 = 0x7f000002, .port = 12345};
		self.proxies.addr[1] = (gnut_push_proxy){.ipv4 = 0x0a010203, .port = 6370};
		gnut_qhit hit;
		g_autoptr(GBytes) hit_msg = image_hit_of(&self, &hit);
		gnut_ggep g = {0};
		size_t used = 0;
		const gnut_ggep_ext *push = NULL;
		if (hit.private_ggep.len > 0 &&
		    gnut_ggep_decode(hit.private_ggep.data, hit.private_ggep.len, &g, &used) ==
		        GNUT_PROTO_OK)
			push = gnut_ggep_find(&g, GNUT_PUSH_PROXY_GGEP_ID);
		CU_ASSERT_EQUAL(push != NULL, firewalled);
		if (push != NULL) {
			CU_ASSERT_EQUAL(push->len, sizeof want);
			CU_ASSERT_EQUAL(memcmp(push->data, want, sizeof want), 0);
			gnut_ggep_clear(&g);
		}
		gnut_qhit_clear(&hit);
	}
}

static CU_TestInfo tests[] = {
    {"oob: offer then claim", test_oob_offer_then_claim},
    {"oob: refusals and expiry", test_oob_refusals_and_expiry},
    {"keyword query, plain urn", test_keyword_hit_plain_urn},
    {"keyword query, GGEP H", test_keyword_hit_ggep_h},
    {"firewalled: push flag", test_firewalled_sets_push},
    {"TLS: GGEP TLS in hits and pongs", test_tls_advertised},
    {"TLS and an OOB token share one GGEP block", test_tls_and_oob_token_share_a_block},
    {"push proxies: GGEP PUSH while firewalled", test_push_proxies_advertised},
    {"SHA-1 query", test_sha1_query},
    {"no match, bad query", test_no_match_and_bad_query},
    {"pong", test_pong},
    {"partial results", test_partial_results},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("responder", tests, suite_init, suite_cleanup)
