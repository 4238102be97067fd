/* test-fetch.c: what `gnut get` asks for turned into downloads (fetch.h),
 * over a real download manager in a temporary dir (download-fixture.c),
 * real searches and, where a download must run, the fixture's loopback
 * HTTP server as the servent a hit names. Covered: targets refused (not a
 * hit id, URN or magnet; a relative folder; an unknown hit; a hit without
 * SHA-1), a URN without hits sending one search for its sources (NOT_FOUND
 * until one comes), a magnet with name and size waiting for sources, a URN
 * or hit id whose hits become the download's sources, and a later hit
 * feeding a download in progress. */
#include "download-fixture.h"

#include "gnut/base/error.h"
#include "gnut/core/search/search.h"
#include "gnut/core/transfer/fetch.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>

/* The fixture's manager, our searches, and the searches fetch asked for. */
typedef struct {
	dlfx_fixture fx;
	gnut_searches *searches;
	gnut_fetch *fetch;
	GPtrArray *queries; /* what the search function was given */
} fetch_fx;

static guint64 on_search(const char *query, gpointer data)
{
	fetch_fx *f = data;
	g_ptr_array_add(f->queries, g_strdup(query));
	gnut_guid guid;
	return gnut_searches_start(f->searches, query, &guid);
}

static void fetch_fx_init(fetch_fx *f)
{
	dlfx_fixture_init(&f->fx, FALSE, 0);
	f->searches = gnut_searches_new();
	f->queries = g_ptr_array_new_with_free_func(g_free);
	f->fetch = gnut_fetch_new(f->fx.m, f->searches, TRUE, on_search, f);
}

static void fetch_fx_clear(fetch_fx *f)
{
	gnut_fetch_free(f->fetch);
	dlfx_fixture_clear(&f->fx);
	gnut_searches_free(f->searches);
	g_ptr_array_unref(f->queries);
}

/* A hit for a new search of ours: name at 127.0.0.1:port, with this SHA-1
 * (NULL: none). */
static const gnut_hit *add_hit(fetch_fx *f, const uint8_t *sha1, const char *name, guint64 size,
                               guint16 port)
{
	gnut_guid query;
	gnut_searches_start(f->searches, name, &query);
	gnut_hit h = {
	    .name = (char *)name,
	    .size = size,
	    .ipv4 = 0x7f000001,
	    .port = port,
	    .file_index = 7,
	};
	gnut_guid_generate(&h.servent);
	if (sha1 != NULL) {
		h.has_sha1 = true;
		memcpy(h.sha1, sha1, sizeof h.sha1);
	}
	const gnut_hit *kept = gnut_searches_add(f->searches, &query, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kept);
	return kept;
}

static guint64 start(fetch_fx *f, const char *target, const char *to_dir, GError **error)
{
	return gnut_fetch_start(f->fetch, target, to_dir, error);
}

static void check_refused(fetch_fx *f, const char *target, const char *to_dir, int code)
{
	GError *err = NULL;
	CU_ASSERT_EQUAL(start(f, target, to_dir, &err), 0);
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_ERROR, code));
	g_clear_error(&err);
}

static guint download_count(fetch_fx *f)
{
	g_autoptr(GPtrArray) all = gnut_downloads_list(f->fx.m);
	return all->len;
}

static gnut_download_status status_of(fetch_fx *f, guint64 id)
{
	gnut_download_status st = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(f->fx.m, id, &st));
	return st;
}

static void test_bad_targets(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	check_refused(&f, "some words", NULL, GNUT_ERROR_INVALID);
	check_refused(&f, "0", NULL, GNUT_ERROR_INVALID); /* hit ids start at 1 */
	check_refused(&f, "urn:sha1:TOOSHORT", NULL, GNUT_ERROR_INVALID);
	check_refused(&f, "urn:tree:tiger/:QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X2WM3XYY", NULL,
	              GNUT_ERROR_INVALID); /* no SHA-1 in it */
	check_refused(&f, "magnet:?dn=song.ogg&xl=12", NULL, GNUT_ERROR_INVALID);
	check_refused(&f, "magnet:?xt=urn:sha1:NOTBASE32&dn=x", NULL, GNUT_ERROR_INVALID);
	/* a relative folder, whatever the target */
	check_refused(&f, DLFX_URN_A, "incoming/music", GNUT_ERROR_INVALID);
	check_refused(&f, "1", "incoming", GNUT_ERROR_INVALID);
	CU_ASSERT_EQUAL(f.queries->len, 0);
	CU_ASSERT_EQUAL(download_count(&f), 0);
	fetch_fx_clear(&f);
}

static void test_hit_ids(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	check_refused(&f, "42", NULL, GNUT_ERROR_NOT_FOUND);
	/* a hit that gave no SHA-1 could not be verified */
	const gnut_hit *plain = add_hit(&f, NULL, "plain.txt", 100, 6346);
	g_autofree char *plain_id = g_strdup_printf("%" G_GUINT64_FORMAT, plain->id);
	check_refused(&f, plain_id, NULL, GNUT_ERROR_INVALID);
	/* ids of hits that were never given */
	g_autofree char *next_id = g_strdup_printf("%" G_GUINT64_FORMAT, plain->id + 1);
	check_refused(&f, next_id, NULL, GNUT_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.queries->len, 0);
	CU_ASSERT_EQUAL(download_count(&f), 0);
	fetch_fx_clear(&f);
}

static void test_urn_without_hits_searches_once(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	gnut_urn urn;
	CU_ASSERT_EQUAL_FATAL(gnut_urn_parse(DLFX_URN_A, strlen(DLFX_URN_A), &urn), GNUT_PROTO_OK);
	check_refused(&f, DLFX_URN_A, NULL, GNUT_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL_FATAL(f.queries->len, 1);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(f.queries, 0), DLFX_URN_A);
	/* asked again (in any case) while that search exists: no new search */
	g_autofree char *lower = g_ascii_strdown(DLFX_URN_A, -1);
	check_refused(&f, lower, NULL, GNUT_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.queries->len, 1);
	CU_ASSERT_EQUAL(download_count(&f), 0);
	/* once newer searches pushed it out, a new one goes */
	for (guint i = 0; i < GNUT_SEARCH_MAX_SEARCHES; i++) {
		gnut_guid guid;
		gnut_searches_start(f.searches, "something else", &guid);
	}
	check_refused(&f, DLFX_URN_A, NULL, GNUT_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.queries->len, 2);
	fetch_fx_clear(&f);
}

static void test_magnet_waits_for_sources(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	g_autofree char *magnet =
	    g_strdup_printf("magnet:?xt=%s&dn=My+Song.ogg&xl=%u", DLFX_URN_A, 4321u);
	GError *err = NULL;
	guint64 id = start(&f, magnet, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	gnut_download_status st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_EQUAL(st.sources, 0);
	CU_ASSERT_EQUAL(st.size, 4321);
	CU_ASSERT_STRING_EQUAL(st.name, "My Song.ogg");
	CU_ASSERT_STRING_EQUAL(st.urn, DLFX_URN_A);
	gnut_download_status_clear(&st);
	/* and a search for its sources went out */
	CU_ASSERT_EQUAL_FATAL(f.queries->len, 1);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(f.queries, 0), DLFX_URN_A);
	/* a magnet of another folder and no name/size: NOT_FOUND, no second
	 * search for the same URN */
	g_autofree char *bare = g_strdup_printf("magnet:?xt=%s", DLFX_URN_A);
	check_refused(&f, bare, f.fx.top, GNUT_ERROR_NOT_FOUND);
	CU_ASSERT_EQUAL(f.queries->len, 1);
	CU_ASSERT_EQUAL(download_count(&f), 1);
	fetch_fx_clear(&f);
}

/* A urn whose hits exist: every one is a source, and the download really
 * fetches from the servent a hit names. */
static void test_urn_with_hits(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	dlfx_server *s = dlfx_server_new(3);
	add_hit(&f, s->sha1, "from-hit.bin", DLFX_FILE_SIZE, s->port);
	add_hit(&f, s->sha1, "other-name.bin", DLFX_FILE_SIZE, dlfx_dead_port());
	uint8_t other_sha1[GNUT_SHA1_LEN] = {1, 2, 3};
	add_hit(&f, other_sha1, "other-file.bin", 99, s->port); /* another file */
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	GError *err = NULL;
	guint64 id = start(&f, urn, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	CU_ASSERT_EQUAL(f.queries->len, 0); /* sources known: no search */
	gnut_download_status st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.sources, 2);
	CU_ASSERT_EQUAL(st.size, DLFX_FILE_SIZE);
	CU_ASSERT_STRING_EQUAL(st.name, "from-hit.bin"); /* the first hit's */
	CU_ASSERT_STRING_EQUAL(st.urn, urn);
	gnut_download_status_clear(&st);
	f.fx.w.id = id;
	CU_ASSERT_TRUE_FATAL(dlfx_run_until(dlfx_is_final, &f.fx.w));
	st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	g_autofree char *target = dlfx_server_get(s, s->targets, 0);
	g_autofree char *want = g_strconcat("/uri-res/N2R?", urn, NULL);
	CU_ASSERT_STRING_EQUAL(target, want);
	fetch_fx_clear(&f);
	dlfx_server_free(s);
}

/* A hit id: downloaded under that hit's name into to_dir, from every hit
 * of its SHA-1. */
static void test_hit_id_with_sha1(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	dlfx_server *s = dlfx_server_new(4);
	add_hit(&f, s->sha1, "first.bin", DLFX_FILE_SIZE, dlfx_dead_port());
	const gnut_hit *chosen = add_hit(&f, s->sha1, "chosen.bin", DLFX_FILE_SIZE, s->port);
	g_autofree char *hit_id = g_strdup_printf("%" G_GUINT64_FORMAT, chosen->id);
	g_autofree char *to_dir = g_build_filename(f.fx.top, "elsewhere", NULL);
	GError *err = NULL;
	guint64 id = start(&f, hit_id, to_dir, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	gnut_download_status st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.sources, 2);
	CU_ASSERT_STRING_EQUAL(st.name, "chosen.bin");
	gnut_download_status_clear(&st);
	f.fx.w.id = id;
	CU_ASSERT_TRUE_FATAL(dlfx_run_until(dlfx_is_final, &f.fx.w));
	st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	g_autofree char *want_path = g_build_filename(to_dir, "chosen.bin", NULL);
	CU_ASSERT_STRING_EQUAL(st.path, want_path);
	CU_ASSERT_TRUE(dlfx_file_equals(want_path, s->file));
	gnut_download_status_clear(&st);
	fetch_fx_clear(&f);
	dlfx_server_free(s);
}

/* A hit arriving for a download in progress becomes its source. */
static void test_hit_added_feeds_download(void)
{
	fetch_fx f;
	fetch_fx_init(&f);
	dlfx_server *s = dlfx_server_new(5);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	g_autofree char *magnet =
	    g_strdup_printf("magnet:?xt=%s&dn=later.bin&xl=%u", urn, (unsigned)DLFX_FILE_SIZE);
	GError *err = NULL;
	guint64 id = start(&f, magnet, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	/* hits of other files, or without SHA-1, change nothing */
	uint8_t other_sha1[GNUT_SHA1_LEN] = {9, 9, 9};
	gnut_fetch_hit_added(f.fetch, add_hit(&f, other_sha1, "other.bin", 10, s->port));
	gnut_fetch_hit_added(f.fetch, add_hit(&f, NULL, "later.bin", DLFX_FILE_SIZE, s->port));
	gnut_download_status st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.sources, 0);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	gnut_download_status_clear(&st);
	/* the hit of its file: one source, and the download runs from it */
	gnut_fetch_hit_added(f.fetch, add_hit(&f, s->sha1, "later.bin", DLFX_FILE_SIZE, s->port));
	st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.sources, 1);
	gnut_download_status_clear(&st);
	f.fx.w.id = id;
	CU_ASSERT_TRUE_FATAL(dlfx_run_until(dlfx_is_final, &f.fx.w));
	st = status_of(&f, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	/* once complete, a new hit for it starts nothing */
	gnut_fetch_hit_added(f.fetch, add_hit(&f, s->sha1, "again.bin", DLFX_FILE_SIZE, s->port));
	CU_ASSERT_EQUAL(download_count(&f), 1);
	fetch_fx_clear(&f);
	dlfx_server_free(s);
}

static CU_TestInfo tests[] = {
    {"bad targets and folders refused", test_bad_targets},
    {"hit ids: unknown, or without SHA-1", test_hit_ids},
    {"a urn without hits searches once", test_urn_without_hits_searches_once},
    {"a magnet with name and size waits for sources", test_magnet_waits_for_sources},
    {"a urn's hits are the download's sources", test_urn_with_hits},
    {"a hit id: its name, every hit of its SHA-1", test_hit_id_with_sha1},
    {"a later hit feeds the download", test_hit_added_feeds_download},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("fetch", tests)
