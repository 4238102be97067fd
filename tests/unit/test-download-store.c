/* test-download-store.c: downloads.xml, the state file of downloads in
 * progress, through download-store.c alone: a round trip of every field,
 * refused files (not XML, not ours, a DTD), records that do not make sense
 * skipped, a file cut at every offset refused as a whole, downloads
 * waiting for a source, and a manager that meets a damaged file. */
#include "download-fixture.h"

#include "core/transfer/download-private.h"
#include "gnut/core/transfer/download.h"
#include "gnut/proto/guid.h"
#include "unit.h"

#include <string.h>

static void test_store_round_trip(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 77;
	memset(r->sha1, 0xAB, GNUT_SHA1_LEN);
	r->name = g_strdup("caf\xc3\xa9 & <co>.bin");
	r->size = 5000;
	r->to_dir = g_strdup("/tmp/x");
	gnut_download_range rg[2] = {{0, 100}, {200, 5000}};
	g_array_append_vals(r->ranges, rg, 2);
	gnut_download_source src = {.host = g_strdup("10.0.0.1"),
	                            .port = 6346,
	                            .index = 3,
	                            .name = g_strdup("a\"b.bin"),
	                            .get_only = TRUE,
	                            .has_guid = TRUE,
	                            .tls = TRUE};
	memset(src.guid.bytes, 0x5A, GNUT_GUID_LEN);
	g_array_append_val(r->sources, src);
	g_ptr_array_add(recs, r);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_download_store_save(path, recs, &err));

	g_autoptr(GPtrArray) back = gnut_download_store_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL(b->id, 77);
	CU_ASSERT_EQUAL(memcmp(b->sha1, r->sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_STRING_EQUAL(b->name, r->name);
	CU_ASSERT_EQUAL(b->size, 5000);
	CU_ASSERT_STRING_EQUAL(b->to_dir, "/tmp/x");
	CU_ASSERT_EQUAL_FATAL(b->ranges->len, 2);
	CU_ASSERT_EQUAL(g_array_index(b->ranges, gnut_download_range, 1).start, 200);
	CU_ASSERT_EQUAL(g_array_index(b->ranges, gnut_download_range, 1).end, 5000);
	CU_ASSERT_EQUAL_FATAL(b->sources->len, 1);
	const gnut_download_source *bs = &g_array_index(b->sources, gnut_download_source, 0);
	CU_ASSERT_STRING_EQUAL(bs->host, "10.0.0.1");
	CU_ASSERT_EQUAL(bs->port, 6346);
	CU_ASSERT_EQUAL(bs->index, 3);
	CU_ASSERT_STRING_EQUAL(bs->name, "a\"b.bin");
	CU_ASSERT_TRUE(bs->get_only);
	CU_ASSERT_TRUE(bs->has_guid);
	CU_ASSERT_TRUE(bs->tls);
	CU_ASSERT_FALSE(bs->firewalled);
	CU_ASSERT_EQUAL(memcmp(bs->guid.bytes, src.guid.bytes, GNUT_GUID_LEN), 0);

	/* missing file: nothing to resume */
	g_autofree char *none = g_build_filename(dir, "none.xml", NULL);
	g_autoptr(GPtrArray) empty = gnut_download_store_load(none, &err);
	CU_ASSERT_PTR_NOT_NULL(empty);
	CU_ASSERT_EQUAL(empty != NULL ? empty->len : 99, 0);
	gnut_unit_rmtree(dir);
}

static void check_load_fails(const char *dir, const char *text)
{
	g_autofree char *path = g_build_filename(dir, "bad.xml", NULL);
	g_file_set_contents(path, text, -1, NULL);
	g_autoptr(GError) err = NULL;
	GPtrArray *got = gnut_download_store_load(path, &err);
	CU_ASSERT_PTR_NULL(got);
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE));
	if (got != NULL)
		g_ptr_array_unref(got);
}

static void test_store_rejects(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	check_load_fails(dir, "not xml at all <");
	check_load_fails(dir, "<other version=\"1\"/>");
	check_load_fails(dir, "<gnutd-downloads version=\"2\"/>");
	check_load_fails(dir, "<!DOCTYPE gnutd-downloads [<!ENTITY a \"aaaa\">]>"
	                      "<gnutd-downloads version=\"1\"/>");
	/* records that do not make sense are skipped, the others kept */
	const char *mixed =
	    "<gnutd-downloads version=\"1\">"
	    "<download id=\"1\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"ok\">"
	    "<range start=\"0\" end=\"5\"/><source host=\"1.2.3.4\" port=\"1\" index=\"0\"/>"
	    "</download>"
	    "<download id=\"2\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"past end\">"
	    "<range start=\"0\" end=\"11\"/><source host=\"1.2.3.4\" port=\"1\" index=\"0\"/>"
	    "</download>"
	    "<download id=\"3\" urn=\"urn:sha1:short\" size=\"10\" name=\"bad urn\">"
	    "<source host=\"1.2.3.4\" port=\"1\" index=\"0\"/></download>"
	    "<download id=\"4\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"no source\">"
	    "<source host=\"1.2.3.4\" port=\"0\" index=\"0\"/></download>"
	    "<download id=\"5\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"relative\" to=\"x\">"
	    "<source host=\"1.2.3.4\" port=\"1\" index=\"0\"/></download>"
	    "</gnutd-downloads>";
	g_autofree char *path = g_build_filename(dir, "mixed.xml", NULL);
	g_file_set_contents(path, mixed, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->len, 1);
	if (got->len == 1)
		CU_ASSERT_EQUAL(((gnut_download_record *)g_ptr_array_index(got, 0))->id, 1);

	/* a manager facing a damaged file starts empty and keeps it aside */
	g_autofree char *state = g_build_filename(dir, "downloads.xml", NULL);
	g_file_set_contents(state, "<broken", -1, NULL);
	gnut_downloads_config cfg = {.data_dir = dir};
	gnut_downloads *m = gnut_downloads_new(&cfg, gnut_clock_system(), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	g_autoptr(GPtrArray) list = gnut_downloads_list(m);
	CU_ASSERT_EQUAL(list->len, 0);
	g_autofree char *aside = g_build_filename(dir, "downloads.xml.bad", NULL);
	CU_ASSERT_TRUE(g_file_test(aside, G_FILE_TEST_EXISTS));
	gnut_downloads_free(m);
	dlfx_spin_ms(50);
	gnut_unit_rmtree(dir);
}

static void test_store_truncated_everywhere(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "full.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 5;
	r->name = g_strdup("t.bin");
	r->size = 100;
	gnut_download_range rg = {0, 50};
	g_array_append_val(r->ranges, rg);
	gnut_download_source src = {.host = g_strdup("h"), .port = 1};
	g_array_append_val(r->sources, src);
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autofree char *text = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, &len, NULL));
	g_autofree char *cut = g_build_filename(dir, "cut.xml", NULL);
	guint loaded = 0, state_errors = 0;
	gsize body_end = (gsize)(g_strrstr(text, ">") - text); /* the root's closing '>' */
	for (gsize n = 0; n <= body_end; n++) {
		g_file_set_contents(cut, text, (gssize)n, NULL);
		g_autoptr(GError) err = NULL;
		GPtrArray *got = gnut_download_store_load(cut, &err);
		if (got != NULL) {
			loaded++;
			g_ptr_array_unref(got);
		} else {
			state_errors +=
			    g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE);
		}
	}
	/* every cut, the empty file included, is refused as a whole */
	CU_ASSERT_EQUAL(loaded, 0);
	CU_ASSERT_EQUAL(state_errors, body_end + 1);
	gnut_unit_rmtree(dir);
}

/* A record with no <source> is a download waiting for one: it is saved and
 * loaded as such (one whose sources are all bad is still skipped: see
 * test_store_rejects). */
static void test_store_sourceless(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 3;
	memset(r->sha1, 0x11, GNUT_SHA1_LEN);
	r->name = g_strdup("w.bin");
	r->size = 10;
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autoptr(GPtrArray) back = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL(b->id, 3);
	CU_ASSERT_STRING_EQUAL(b->name, "w.bin");
	CU_ASSERT_EQUAL(b->sources->len, 0);

	const char *mixed =
	    "<gnutd-downloads version=\"1\">"
	    "<download id=\"1\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"waits\">"
	    "<range start=\"0\" end=\"5\"/></download>"
	    "<download id=\"2\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"bad only\">"
	    "<source host=\"1.2.3.4\" port=\"0\" index=\"0\"/></download>"
	    "</gnutd-downloads>";
	g_file_set_contents(path, mixed, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(got->len, 1);
	const gnut_download_record *g = g_ptr_array_index(got, 0);
	CU_ASSERT_EQUAL(g->id, 1);
	CU_ASSERT_EQUAL(g->sources->len, 0);
	CU_ASSERT_EQUAL(g->ranges->len, 1);
	gnut_unit_rmtree(dir);
}

/* What partial file sharing offers of done ranges: their whole chunks
 * (the last, short one too), merged. */
static void test_whole_chunks(void)
{
	g_autoptr(GArray) set = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	gnut_download_ranges_add(set, 0, 2500);    /* chunks 0, 1; part of 2 */
	gnut_download_ranges_add(set, 3000, 5000); /* part of 2, chunks 3 and 4 */
	gnut_download_ranges_add(set, 6000, 9500); /* chunks 6..9 (9 short, the last) */
	g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	gnut_download_ranges_whole_chunks(set, 9500, 1000, out, 10);
	CU_ASSERT_EQUAL_FATAL(out->len, 3);
	const gnut_http_range *r = (const gnut_http_range *)(void *)out->data;
	CU_ASSERT_EQUAL(r[0].start, 0);
	CU_ASSERT_EQUAL(r[0].end, 1999);
	CU_ASSERT_EQUAL(r[1].start, 3000);
	CU_ASSERT_EQUAL(r[1].end, 4999);
	CU_ASSERT_EQUAL(r[2].start, 6000);
	CU_ASSERT_EQUAL(r[2].end, 9499);
	g_array_set_size(out, 0);
	gnut_download_ranges_whole_chunks(set, 9500, 1000, out, 1);
	CU_ASSERT_EQUAL(out->len, 1);
	g_autoptr(GArray) none = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	gnut_download_ranges_add(none, 1, 1999);
	g_array_set_size(out, 0);
	gnut_download_ranges_whole_chunks(none, 9500, 1000, out, 10);
	CU_ASSERT_EQUAL(out->len, 0);
}

static CU_TestInfo tests[] = {
    {"state file round trip", test_store_round_trip},
    {"state file truncated at every offset", test_store_truncated_everywhere},
    {"state file rejects", test_store_rejects},
    {"state file: a download without a source", test_store_sourceless},
    {"whole chunks offered", test_whole_chunks},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download-store", tests)
