/* test-download-tree.c: a download's Tiger tree and its mesh, against the
 * loopback HTTP servers of download-fixture.c: a source whose bytes no
 * longer match the tree it offers (its file changed after hashing) is
 * caught, its bad slice fetched again from a good source, the bad one
 * dropped, taken out of the mesh and named in X-Nalt, the good one put in
 * the mesh; requests carry our X-Alt from the mesh; a legacy
 * alternate-location header brings a source, an X-Nalt takes one out of
 * the mesh. */
#include "download-fixture.h"

#include "gnut/core/transfer/download.h"
#include "gnut/core/transfer/mesh.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>

#define CHUNK GNUT_DOWNLOAD_CHUNK

/* Whether any recorded value of list contains needle. */
static gboolean recorded(dlfx_server *s, GPtrArray *list, const char *needle)
{
	for (guint i = 0; i < dlfx_server_count(s, list); i++) {
		g_autofree char *v = dlfx_server_get(s, list, i);
		if (strstr(v, needle) != NULL)
			return TRUE;
	}
	return FALSE;
}

static gboolean mesh_has(gnut_mesh *mesh, const uint8_t *sha1, guint16 port)
{
	gnut_alt a[GNUT_MESH_DEFAULT_PER_FILE];
	gsize n = gnut_mesh_pick(mesh, sha1, 0, g_get_monotonic_time(), a, G_N_ELEMENTS(a));
	for (gsize i = 0; i < n; i++)
		if (a[i].port == port)
			return TRUE;
	return FALSE;
}

static const char *state_of(gnut_downloads *m, guint64 id, guint16 port)
{
	g_autoptr(GPtrArray) list = gnut_downloads_sources(m, id, NULL);
	for (guint i = 0; list != NULL && i < list->len; i++) {
		gnut_download_source_status *st = g_ptr_array_index(list, i);
		if (st->port == port)
			return st->state; /* a static name */
	}
	return "";
}

/* Two sources offer the same tree; the first serves one flipped byte in
 * the first chunk (which it fetches, being first): the tree catches it,
 * the bad slice alone comes again from the other, the liar is dropped. */
static void test_tree_catches_bad_range(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 2 * CHUNK);
	dlfx_server *bad = dlfx_server_new(60), *good = dlfx_server_new(60);
	dlfx_server_offer_tree(bad);
	dlfx_server_offer_tree(good);
	bad->corrupt_at = CHUNK / 2 + 7;
	gnut_download_source src[2] = {dlfx_source_at(bad), dlfx_source_at(good)};
	guint64 id = fx.w.id =
	    gnut_downloads_add(fx.m, bad->sha1, "tree.bin", DLFX_FILE_SIZE, NULL, src, 2, NULL);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	dlfx_check_complete(&fx, good->file);
	CU_ASSERT_STRING_EQUAL(state_of(fx.m, id, bad->port), "dropped");
	CU_ASSERT_STRING_NOT_EQUAL(state_of(fx.m, id, good->port), "dropped");
	g_autofree char *nalt = g_strdup_printf("127.0.0.1:%u", bad->port);
	CU_ASSERT_TRUE(recorded(good, good->x_nalts, nalt));
	CU_ASSERT_TRUE(recorded(good, good->targets, "/thex") ||
	               recorded(bad, bad->targets, "/thex"));
	/* only the bad part came twice, not the whole file */
	CU_ASSERT_TRUE(bad->body_sent + good->body_sent < DLFX_FILE_SIZE + 2 * CHUNK);
	CU_ASSERT_TRUE(mesh_has(fx.mesh, good->sha1, good->port));
	CU_ASSERT_FALSE(mesh_has(fx.mesh, bad->sha1, bad->port));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(bad);
	dlfx_server_free(good);
}

/* Bytes recorded before the tree is known (here by an earlier run, from a
 * source that offers no tree) are checked once it comes: the bad slice
 * recorded then is fetched again, the rest is not. */
static void test_recorded_bytes_rechecked(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *bad = dlfx_server_new(63), *good = dlfx_server_new(63);
	dlfx_server_offer_tree(good);
	bad->corrupt_at = 1000;
	bad->cut_after = 2 * CHUNK; /* then it breaks off: chunks 0 and 1 recorded */
	guint64 id = dlfx_add_one(&fx, bad, "later.bin");
	fx.w.min_done = 2 * CHUNK;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	bad->urn_missing = bad->get_missing = TRUE; /* gone for good */
	gnut_downloads_free(fx.m);
	fx.m = dlfx_manager_new(&fx, 0);
	gnut_download_source src = dlfx_source_at(good);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &src, NULL));
	dlfx_check_complete(&fx, good->file);
	/* the missing third chunk and the bad slice of the first, no more */
	CU_ASSERT_TRUE(good->body_sent < 2 * CHUNK);
	CU_ASSERT_TRUE(good->body_sent > CHUNK);
	CU_ASSERT_STRING_EQUAL(state_of(fx.m, id, bad->port), "dropped");
	dlfx_fixture_clear(&fx);
	dlfx_server_free(bad);
	dlfx_server_free(good);
}

/* A source whose X-Thex-URI names another root than the first source's is
 * not asked for its tree. */
static void test_other_root_not_fetched(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 2 * CHUNK);
	dlfx_server *first = dlfx_server_new(61), *other = dlfx_server_new(61);
	dlfx_server_offer_tree(first);
	other->thex_answer = g_bytes_ref(first->thex_answer);
	other->thex_uri = g_strdup("/thex;QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQA");
	other->busy_first = 1; /* answers after the first source has */
	gnut_download_source src[2] = {dlfx_source_at(first), dlfx_source_at(other)};
	fx.w.id =
	    gnut_downloads_add(fx.m, first->sha1, "root.bin", DLFX_FILE_SIZE, NULL, src, 2, NULL);
	dlfx_check_complete(&fx, first->file);
	CU_ASSERT_TRUE(recorded(first, first->targets, "/thex"));
	CU_ASSERT_FALSE(recorded(other, other->targets, "/thex"));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(first);
	dlfx_server_free(other);
}

/* Our X-Alt comes from the mesh (never the source's own address); a legacy
 * alternate location becomes a source; an X-Nalt takes a mesh entry out. */
static void test_mesh_both_ways(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 3 * CHUNK);
	dlfx_server *s = dlfx_server_new(62), *other = dlfx_server_new(62);
	gint64 now = g_get_monotonic_time();
	gnut_alt known = {.ip = 0x7F000002, .port = 7000},
	         doomed = {.ip = 0x7F000003, .port = 7001};
	gnut_mesh_add(fx.mesh, s->sha1, &known, now);
	gnut_mesh_add(fx.mesh, s->sha1, &doomed, now);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	g_autofree char *extra = g_strdup_printf("X-Gnutella-Alternate-Location: "
	                                         "http://127.0.0.1:%u/uri-res/N2R?%s\r\n"
	                                         "X-Nalt: 127.0.0.3:7001\r\n",
	                                         other->port, urn);
	s->extra = extra;
	dlfx_add_one(&fx, s, "mesh.bin");
	dlfx_check_complete(&fx, s->file);
	CU_ASSERT_TRUE(recorded(s, s->x_alts, "127.0.0.2:7000"));
	CU_ASSERT_FALSE(recorded(s, s->x_alts, "127.0.0.1"));
	CU_ASSERT_TRUE(other->body_sent > 0);
	CU_ASSERT_TRUE(mesh_has(fx.mesh, s->sha1, 7000));
	CU_ASSERT_FALSE(mesh_has(fx.mesh, s->sha1, 7001));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
	dlfx_server_free(other);
}

static CU_TestInfo tests[] = {
    {"the tree catches a bad range: refetched, sender dropped", test_tree_catches_bad_range},
    {"bytes recorded before the tree came are checked", test_recorded_bytes_rechecked},
    {"a tree of another root is not fetched", test_other_root_not_fetched},
    {"the mesh both ways", test_mesh_both_ways},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download-tree", tests)
