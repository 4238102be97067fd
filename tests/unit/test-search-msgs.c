/* test-search-msgs.c: the messages of our searches (search-msgs.h) over a
 * real gnut_searches: the query payload for words and for a urn:sha1, read
 * back with the query decoder; what is refused (empty, too long, not UTF-8)
 * with GNUT_ERROR_INVALID; query hits built by the qhit encoder taken in
 * (only for our searches, each result once, the push flag as firewalled,
 * nothing from a payload cut short); and the kept count of the query
 * status, GNUT_BEAR_QSTAT_STOP for a search that is not (or no longer)
 * ours. */
#include "gnut/core/search/search-msgs.h"
#include "gnut/base/error.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/vendor-bear.h"
#include "gnut/proto/partial-result.h"
#include "unit.h"

#include <string.h>

#define URN_A "urn:sha1:PLSTHIPQQ2TMMPIOKZP4XDMVQUYB4VRX"

/* ---- queries ---- */

static void test_query_words(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	GError *err = NULL;
	CU_ASSERT_TRUE(
	    gnut_search_query_encode("free software ogg", FALSE, FALSE, FALSE, out, &err));
	CU_ASSERT_PTR_NULL(err);
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.text_len, strlen("free software ogg"));
	CU_ASSERT_STRING_EQUAL(q.text, "free software ogg");
	/* the flag form, saying we read GGEP "H" in hits */
	CU_ASSERT_TRUE(q.flags & GNUT_QUERY_F_MARK);
	CU_ASSERT_TRUE(q.flags & GNUT_QUERY_F_GGEP_H);
	CU_ASSERT_FALSE(q.flags & GNUT_QUERY_F_FIREWALLED);
	CU_ASSERT_FALSE(q.flags & GNUT_QUERY_F_LEAF_GUIDED);
	CU_ASSERT_EQUAL(q.n_urns, 0);
	/* partial results wanted too (GGEP "PR"), as gtk-gnutella asks */
	CU_ASSERT_EQUAL(q.n_ggep, 1);
	CU_ASSERT_TRUE(gnut_query_wants_partials(&q));
	/* a leaf's query asks to guide its ultrapeers' dynamic query (bit 12) */
	g_byte_array_set_size(out, 0);
	CU_ASSERT_TRUE(
	    gnut_search_query_encode("free software ogg", FALSE, FALSE, TRUE, out, &err));
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags & 0xF000, GNUT_QUERY_F_MARK | GNUT_QUERY_F_LEAF_GUIDED);
	CU_ASSERT_EQUAL(q.flags & GNUT_QUERY_F_LEAF_GUIDED, 1u << 12);
	/* UTF-8 words, exactly GNUT_QUERY_MAX_TEXT bytes */
	g_byte_array_set_size(out, 0);
	CU_ASSERT_TRUE(
	    gnut_search_query_encode("caf\xc3\xa9 na\xc3\xafve", FALSE, FALSE, FALSE, out, &err));
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(q.text, "caf\xc3\xa9 na\xc3\xafve");
	g_autofree char *longest = g_strnfill(GNUT_QUERY_MAX_TEXT, 'w');
	g_byte_array_set_size(out, 0);
	CU_ASSERT_TRUE(gnut_search_query_encode(longest, FALSE, FALSE, FALSE, out, &err));
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.text_len, GNUT_QUERY_MAX_TEXT);
}

/* Checks that payload asks for exactly the file with this SHA-1 by URN. */
static void check_urn_query(const GByteArray *payload, const char *want_urn)
{
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(payload->data, payload->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.text_len, 0);
	CU_ASSERT_TRUE(q.flags & GNUT_QUERY_F_MARK);
	CU_ASSERT_TRUE(q.flags & GNUT_QUERY_F_GGEP_H);
	CU_ASSERT_EQUAL_FATAL(q.n_urns, 1);
	CU_ASSERT_EQUAL(q.urns[0].len, strlen(want_urn));
	CU_ASSERT_EQUAL(memcmp(q.urns[0].data, want_urn, strlen(want_urn)), 0);
	gnut_urn want, got[2];
	CU_ASSERT_EQUAL_FATAL(gnut_urn_parse(want_urn, strlen(want_urn), &want), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(gnut_query_sha1s(&q, got, 2), 1);
	CU_ASSERT_EQUAL(memcmp(got[0].sha1, want.sha1, sizeof want.sha1), 0);
}

static void test_query_urn(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	GError *err = NULL;
	CU_ASSERT_TRUE(gnut_search_query_encode(URN_A, FALSE, FALSE, FALSE, out, &err));
	CU_ASSERT_PTR_NULL(err);
	check_urn_query(out, URN_A);
	/* any case in: the canonical form out */
	g_autofree char *lower = g_ascii_strdown(URN_A, -1);
	g_byte_array_set_size(out, 0);
	CU_ASSERT_TRUE(gnut_search_query_encode(lower, FALSE, FALSE, FALSE, out, &err));
	check_urn_query(out, URN_A);
	/* a bitprint names the same file: asked for by its SHA-1 */
	g_autofree char *bitprint = g_strconcat("urn:bitprint:", URN_A + strlen("urn:sha1:"), ".",
	                                        "QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X2WM3XYY", NULL);
	g_byte_array_set_size(out, 0);
	CU_ASSERT_TRUE(gnut_search_query_encode(bitprint, FALSE, FALSE, FALSE, out, &err));
	check_urn_query(out, URN_A);
	CU_ASSERT_PTR_NULL(err);
}

/* A URN that names no SHA-1 (a Tiger tree root) is not a urn:sha1: it must
 * not become a query for a SHA-1 nobody gave. */
static void test_query_urn_without_sha1(void)
{
	static const char tth[] = "urn:tree:tiger/:QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X2WM3XYY";
	g_autoptr(GByteArray) out = g_byte_array_new();
	GError *err = NULL;
	if (!gnut_search_query_encode(tth, FALSE, FALSE, FALSE, out, &err)) {
		CU_ASSERT_TRUE(g_error_matches(err, GNUT_ERROR, GNUT_ERROR_INVALID));
		CU_ASSERT_EQUAL(out->len, 0);
		g_clear_error(&err);
		return;
	}
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	gnut_urn got[2];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, got, 2), 0);
}

static void check_refused(const char *query)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	GError *err = NULL;
	CU_ASSERT_FALSE(gnut_search_query_encode(query, FALSE, FALSE, FALSE, out, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_ERROR, GNUT_ERROR_INVALID));
	CU_ASSERT_EQUAL(out->len, 0);
	g_clear_error(&err);
}

static void test_query_refused(void)
{
	check_refused("");
	g_autofree char *too_long = g_strnfill(GNUT_QUERY_MAX_TEXT + 1, 'w');
	check_refused(too_long);
	check_refused("abc\xff\xfe");
	check_refused("caf\xc3"); /* cut in the middle of a character */
	/* a malformed urn:sha1 is not one: sent as words, never as a URN */
	g_autoptr(GByteArray) out = g_byte_array_new();
	CU_ASSERT_TRUE(
	    gnut_search_query_encode("urn:sha1:TOOSHORT", FALSE, FALSE, FALSE, out, NULL));
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(out->data, out->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(q.text, "urn:sha1:TOOSHORT");
	CU_ASSERT_EQUAL(q.n_urns, 0);
}

/* ---- query hits ---- */

/* What the added callback saw. */
typedef struct {
	guint calls;
	GPtrArray *hits; /* const gnut_hit*, owned by the searches */
} added_log;

static void on_added(const gnut_hit *hit, gpointer data)
{
	added_log *log = data;
	log->calls++;
	g_ptr_array_add(log->hits, (gpointer)hit);
}

static void added_log_init(added_log *log)
{
	log->calls = 0;
	log->hits = g_ptr_array_new();
}

/* A query hit payload from 127.0.0.9:6346 by servent: "song.ogg" (index 3,
 * URN_A in its extensions) and "notes.txt" (index 4, no URN), with the QHD
 * push flag set (push) or cleared, and marked valid either way. */
/* A hit from servent with two results; the push flag when push, GGEP
 * "TLS" in its private area when tls, and "PUSH" with proxy_data when not
 * NULL. */
static GByteArray *hit_payload_with(const gnut_guid *servent, gboolean push, gboolean tls,
                                    const uint8_t *proxy_data, size_t proxy_len)
{
	gnut_urn urn;
	CU_ASSERT_EQUAL_FATAL(gnut_urn_parse(URN_A, strlen(URN_A), &urn), GNUT_PROTO_OK);
	g_autoptr(GByteArray) ext = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_qhit_result_ext_encode(ext, &urn, TRUE, TRUE), GNUT_PROTO_OK);
	gnut_qhit_result results[2] = {
	    {.index = 3,
	     .size = 4000000,
	     .name = "song.ogg",
	     .name_len = 8,
	     .ext = {ext->data, ext->len}},
	    {.index = 4, .size = 1234, .name = "notes.txt", .name_len = 9},
	};
	gnut_qhit h = {
	    .port = 6346,
	    .ipv4 = 0x7f000009,
	    .speed = 1000,
	    .results = results,
	    .n_results = 2,
	    .vendor = {'G', 'N', 'U', 'T'},
	    .flags_valid = GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY,
	    .flags = push ? GNUT_QHIT_F_PUSH : 0,
	    .servent = *servent,
	};
	g_autoptr(GByteArray) private_ggep = g_byte_array_new();
	gnut_ggep_item items[2];
	size_t n = 0;
	if (tls)
		items[n++] = (gnut_ggep_item){.id = "TLS"};
	if (proxy_data != NULL)
		items[n++] = (gnut_ggep_item){
		    .id = GNUT_PUSH_PROXY_GGEP_ID, .data = proxy_data, .len = proxy_len};
	if (n > 0)
		gnut_ggep_encode(items, n, private_ggep);
	h.private_area = (gnut_slice){private_ggep->data, private_ggep->len};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_qhit_encode(out, &h), GNUT_PROTO_OK);
	return out;
}

static GByteArray *hit_payload(const gnut_guid *servent, gboolean push, gboolean tls)
{
	return hit_payload_with(servent, push, tls, NULL, 0);
}

static void test_hit_not_ours_ignored(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, other, servent;
	guint64 id = gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&other);
	gnut_guid_generate(&servent);
	g_autoptr(GByteArray) msg = hit_payload(&servent, FALSE, FALSE);
	added_log log;
	added_log_init(&log);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &other, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(log.calls, 0);
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(hits->len, 0);
	/* a stopped search is no longer ours either */
	gnut_searches_stop(s, id);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(log.calls, 0);
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

static void test_hit_results_added_once(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, servent;
	guint64 id = gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&servent);
	g_autoptr(GByteArray) msg = hit_payload(&servent, FALSE, FALSE);
	added_log log;
	added_log_init(&log);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(log.calls, 2);
	const gnut_hit *song = g_ptr_array_index(log.hits, 0);
	const gnut_hit *notes = g_ptr_array_index(log.hits, 1);
	CU_ASSERT_STRING_EQUAL(song->name, "song.ogg");
	CU_ASSERT_EQUAL(song->size, 4000000);
	CU_ASSERT_EQUAL(song->file_index, 3);
	CU_ASSERT_EQUAL(song->ipv4, 0x7f000009);
	CU_ASSERT_EQUAL(song->port, 6346);
	CU_ASSERT_TRUE(gnut_guid_equal(&song->servent, &servent));
	CU_ASSERT_EQUAL(song->search_id, id);
	CU_ASSERT_FALSE(song->firewalled);
	CU_ASSERT_TRUE(song->has_sha1);
	gnut_urn urn;
	gnut_urn_parse(URN_A, strlen(URN_A), &urn);
	CU_ASSERT_EQUAL(memcmp(song->sha1, urn.sha1, sizeof urn.sha1), 0);
	CU_ASSERT_STRING_EQUAL(notes->name, "notes.txt");
	CU_ASSERT_EQUAL(notes->file_index, 4);
	CU_ASSERT_FALSE(notes->has_sha1);
	/* the hits the callback saw are the search's, by id */
	CU_ASSERT_PTR_EQUAL(gnut_searches_hit(s, song->id), song);
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(hits->len, 2);
	/* the same message again (a second path): nothing new */
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(log.calls, 2);
	g_autoptr(GPtrArray) again = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(again->len, 2);
	/* no callback: the results are still kept */
	gnut_guid other_servent;
	gnut_guid_generate(&other_servent);
	g_autoptr(GByteArray) other = hit_payload(&other_servent, FALSE, FALSE);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, other->data, other->len, NULL, NULL),
	                GNUT_PROTO_OK);
	g_autoptr(GPtrArray) four = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(four->len, 4);
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

static void test_hit_truncated(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, servent;
	guint64 id = gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&servent);
	g_autoptr(GByteArray) msg = hit_payload(&servent, FALSE, FALSE);
	added_log log;
	added_log_init(&log);
	/* cut inside the head, inside the first result, inside the second */
	const gsize cuts[] = {0, GNUT_QHIT_HEAD_LEN - 1, GNUT_QHIT_HEAD_LEN + 10,
	                      GNUT_QHIT_HEAD_LEN + 8 + 9 + 40};
	for (guint i = 0; i < G_N_ELEMENTS(cuts); i++) {
		CU_ASSERT_NOT_EQUAL(
		    gnut_searches_take_hit_msg(s, &ours, msg->data, cuts[i], on_added, &log),
		    GNUT_PROTO_OK);
	}
	CU_ASSERT_EQUAL(log.calls, 0);
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(hits->len, 0);
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &ours), 0);
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

/* GGEP TLS in the trailer marks every result of the hit; without it none. */
static void test_hit_tls(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, servent;
	gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&servent);
	added_log log;
	added_log_init(&log);
	for (int tls = 0; tls < 2; tls++) {
		servent.bytes[0]++; /* another servent: not a duplicate */
		g_autoptr(GByteArray) msg = hit_payload(&servent, FALSE, tls);
		CU_ASSERT_EQUAL(
		    gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
		    GNUT_PROTO_OK);
	}
	CU_ASSERT_EQUAL_FATAL(log.calls, 4);
	for (guint i = 0; i < 4; i++) {
		const gnut_hit *h = g_ptr_array_index(log.hits, i);
		CU_ASSERT_EQUAL(h->tls, i >= 2);
	}
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

/* GGEP PUSH in the trailer gives every result of the hit the servent's
 * proxies, and gnut_searches_push_proxies finds them by servent GUID; a
 * PUSH that does not decode (5 bytes) gives none. */
static void test_hit_push_proxies(void)
{
	static const uint8_t proxies[] = {0x7f, 0x00, 0x00, 0x02, 0x39, 0x30,
	                                  0x7f, 0x00, 0x00, 0x03, 0x3a, 0x30};
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, servent, bad_servent;
	gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&servent);
	bad_servent = servent;
	bad_servent.bytes[0]++;
	g_autoptr(GByteArray) msg =
	    hit_payload_with(&servent, TRUE, FALSE, proxies, sizeof proxies);
	g_autoptr(GByteArray) bad = hit_payload_with(&bad_servent, TRUE, TRUE, proxies, 5);
	added_log log;
	added_log_init(&log);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, bad->data, bad->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(log.calls, 4);
	const gnut_hit *h = g_ptr_array_index(log.hits, 1);
	CU_ASSERT_EQUAL(h->proxies.count, 2);
	CU_ASSERT_EQUAL(h->proxies.addr[1].ipv4, 0x7f000003);
	CU_ASSERT_EQUAL(h->proxies.addr[1].port, 12346);
	h = g_ptr_array_index(log.hits, 2);
	CU_ASSERT_EQUAL(h->proxies.count, 0);
	CU_ASSERT_TRUE(h->tls);
	gnut_push_proxies got;
	CU_ASSERT_TRUE(gnut_searches_push_proxies(s, &servent, &got));
	CU_ASSERT_EQUAL(got.count, 2);
	CU_ASSERT_EQUAL(got.addr[0].ipv4, 0x7f000002);
	CU_ASSERT_EQUAL(got.addr[0].port, 12345);
	CU_ASSERT_FALSE(gnut_searches_push_proxies(s, &bad_servent, &got));
	CU_ASSERT_EQUAL(got.count, 0);
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

static void test_hit_push_flag(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, servent;
	gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&servent);
	g_autoptr(GByteArray) msg = hit_payload(&servent, TRUE, FALSE);
	added_log log;
	added_log_init(&log);
	CU_ASSERT_EQUAL(gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, on_added, &log),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(log.calls, 2);
	for (guint i = 0; i < 2; i++) {
		const gnut_hit *h = g_ptr_array_index(log.hits, i);
		CU_ASSERT_TRUE(h->firewalled);
	}
	g_ptr_array_unref(log.hits);
	gnut_searches_free(s);
}

static void test_kept(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid ours, unknown, servent;
	guint64 id = gnut_searches_start(s, "song", &ours);
	gnut_guid_generate(&unknown);
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &unknown), GNUT_BEAR_QSTAT_STOP);
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &ours), 0);
	gnut_guid_generate(&servent);
	g_autoptr(GByteArray) msg = hit_payload(&servent, FALSE, FALSE);
	gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, NULL, NULL);
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &ours), 2);
	gnut_searches_take_hit_msg(s, &ours, msg->data, msg->len, NULL, NULL); /* repeats */
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &ours), 2);
	/* stopped: the leaf's ultrapeer is told to stop, though the hits stay */
	gnut_searches_stop(s, id);
	CU_ASSERT_EQUAL(gnut_searches_kept(s, &ours), GNUT_BEAR_QSTAT_STOP);
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(hits->len, 2);
	gnut_searches_free(s);
}

static CU_TestInfo tests[] = {
    {"query for words", test_query_words},
    {"query for a urn:sha1", test_query_urn},
    {"a URN without SHA-1 is no SHA-1 query", test_query_urn_without_sha1},
    {"queries refused", test_query_refused},
    {"hits for a search not ours are ignored", test_hit_not_ours_ignored},
    {"each result is added once", test_hit_results_added_once},
    {"a truncated hit adds nothing", test_hit_truncated},
    {"the push flag makes hits firewalled", test_hit_push_flag},
    {"GGEP TLS in the trailer: tls hits", test_hit_tls},
    {"GGEP PUSH: the servent's push proxies", test_hit_push_proxies},
    {"kept count and stop", test_kept},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("search-msgs", tests)
