/* test-partials.c: the registry of partial files: publish, replace,
 * withdraw, refused ranges, the clip of a request to what is available,
 * keyword search, the enabled switch, and snapshots outliving updates. */
#include "gnut/core/share/partials.h"
#include "unit.h"

#include <string.h>

static const uint8_t sha_a[GNUT_SHA1_LEN] = {1, 2, 3};
static const uint8_t sha_b[GNUT_SHA1_LEN] = {9, 8, 7};

static void test_publish_and_lookup(void)
{
	g_autoptr(gnut_partials) p = gnut_partials_new();
	const gnut_http_range r[] = {{0, 1048575}, {3145728, 4194303}};
	CU_ASSERT_TRUE(
	    gnut_partials_publish(p, sha_a, "Big Song.mp3", 8388608, "/x/A.part", r, 2, 1000));
	g_autoptr(gnut_partial_file) pf = gnut_partials_by_sha1(p, sha_a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pf);
	CU_ASSERT_EQUAL(pf->available, 2u * 1048576);
	CU_ASSERT_EQUAL(pf->file->size, 8388608);
	CU_ASSERT_STRING_EQUAL(pf->file->path, "/x/A.part");
	CU_ASSERT_STRING_EQUAL(pf->file->name, "Big Song.mp3");
	CU_ASSERT_TRUE(pf->file->index >= GNUT_PARTIALS_INDEX_FIRST);
	CU_ASSERT_EQUAL(pf->file->mtime, 1000);
	CU_ASSERT_PTR_NULL(gnut_partials_by_sha1(p, sha_b));

	/* a replacement keeps the index; the old snapshot stays as it was */
	const gnut_http_range more[] = {{0, 4194303}};
	CU_ASSERT_TRUE(
	    gnut_partials_publish(p, sha_a, "Big Song.mp3", 8388608, "/x/A.part", more, 1, 2000));
	g_autoptr(gnut_partial_file) now = gnut_partials_by_sha1(p, sha_a);
	CU_ASSERT_EQUAL(now->available, 4194304);
	CU_ASSERT_EQUAL(now->file->index, pf->file->index);
	CU_ASSERT_EQUAL(now->file->mtime, 2000);
	CU_ASSERT_EQUAL(pf->n_ranges, 2);
	/* the same ranges again: nothing new, the time stays */
	CU_ASSERT_TRUE(
	    gnut_partials_publish(p, sha_a, "Big Song.mp3", 8388608, "/x/A.part", more, 1, 3000));
	g_autoptr(gnut_partial_file) same = gnut_partials_by_sha1(p, sha_a);
	CU_ASSERT_EQUAL(same->file->mtime, 2000);

	/* no range withdraws; so does withdraw */
	CU_ASSERT_TRUE(
	    gnut_partials_publish(p, sha_a, "Big Song.mp3", 8388608, "/x/A.part", NULL, 0, 0));
	CU_ASSERT_PTR_NULL(gnut_partials_by_sha1(p, sha_a));
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_b, "b", 10, "/x/B.part", more, 0, 0));
	CU_ASSERT_EQUAL(gnut_partials_count(p), 0);
	const gnut_http_range tiny[] = {{0, 9}};
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_b, "b", 10, "/x/B.part", tiny, 1, 0));
	CU_ASSERT_EQUAL(gnut_partials_count(p), 1);
	gnut_partials_withdraw(p, sha_b);
	CU_ASSERT_EQUAL(gnut_partials_count(p), 0);
}

static void test_refused_ranges(void)
{
	g_autoptr(gnut_partials) p = gnut_partials_new();
	const gnut_http_range past_end[] = {{0, 10}};
	const gnut_http_range backwards[] = {{5, 4}};
	const gnut_http_range overlap[] = {{0, 5}, {5, 8}};
	const gnut_http_range unsorted[] = {{6, 8}, {0, 2}};
	CU_ASSERT_FALSE(gnut_partials_publish(p, sha_a, "a", 10, "/a", past_end, 1, 0));
	CU_ASSERT_FALSE(gnut_partials_publish(p, sha_a, "a", 10, "/a", backwards, 1, 0));
	CU_ASSERT_FALSE(gnut_partials_publish(p, sha_a, "a", 10, "/a", overlap, 2, 0));
	CU_ASSERT_FALSE(gnut_partials_publish(p, sha_a, "a", 10, "/a", unsorted, 2, 0));
	CU_ASSERT_EQUAL(gnut_partials_count(p), 0);
}

static void test_clip(void)
{
	g_autoptr(gnut_partials) p = gnut_partials_new();
	const gnut_http_range r[] = {{100, 199}, {300, 399}};
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_a, "a", 1000, "/a", r, 2, 0));
	g_autoptr(gnut_partial_file) pf = gnut_partials_by_sha1(p, sha_a);
	guint64 s = 0, e = 0;
	CU_ASSERT_TRUE(gnut_partial_file_clip(pf, 0, 999, &s, &e));
	CU_ASSERT_EQUAL(s, 100);
	CU_ASSERT_EQUAL(e, 199);
	CU_ASSERT_TRUE(gnut_partial_file_clip(pf, 150, 350, &s, &e));
	CU_ASSERT_EQUAL(s, 150);
	CU_ASSERT_EQUAL(e, 199);
	CU_ASSERT_TRUE(gnut_partial_file_clip(pf, 200, 350, &s, &e));
	CU_ASSERT_EQUAL(s, 300);
	CU_ASSERT_EQUAL(e, 350);
	CU_ASSERT_TRUE(gnut_partial_file_clip(pf, 399, 399, &s, &e));
	CU_ASSERT_EQUAL(s, 399);
	CU_ASSERT_FALSE(gnut_partial_file_clip(pf, 200, 299, &s, &e));
	CU_ASSERT_FALSE(gnut_partial_file_clip(pf, 0, 99, &s, &e));
	CU_ASSERT_FALSE(gnut_partial_file_clip(pf, 400, 999, &s, &e));
}

static void test_search_and_switch(void)
{
	g_autoptr(gnut_partials) p = gnut_partials_new();
	const gnut_http_range r[] = {{0, 9}};
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_a, "Partial Movie.MKV", 10, "/a", r, 1, 0));
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_b, "other thing.txt", 10, "/b", r, 1, 0));
	g_autoptr(GPtrArray) hits = gnut_partials_search(p, "movie part", 10);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	CU_ASSERT_STRING_EQUAL(((gnut_partial_file *)g_ptr_array_index(hits, 0))->file->name,
	                       "Partial Movie.MKV");
	g_autoptr(GPtrArray) none = gnut_partials_search(p, "movie nothing", 10);
	CU_ASSERT_EQUAL(none->len, 0);
	g_autoptr(GPtrArray) empty = gnut_partials_search(p, " ..", 10);
	CU_ASSERT_EQUAL(empty->len, 0);
	g_autoptr(GPtrArray) capped = gnut_partials_search(p, "t", 1);
	CU_ASSERT_EQUAL(capped->len, 1);

	gnut_partials_set_enabled(p, FALSE);
	CU_ASSERT_FALSE(gnut_partials_enabled(p));
	CU_ASSERT_PTR_NULL(gnut_partials_by_sha1(p, sha_a));
	g_autoptr(GPtrArray) off = gnut_partials_search(p, "movie", 10);
	CU_ASSERT_EQUAL(off->len, 0);
	gnut_partials_set_enabled(p, TRUE);
	g_autoptr(gnut_partial_file) back = gnut_partials_by_sha1(p, sha_a);
	CU_ASSERT_PTR_NOT_NULL(back);
}

static void count_change(gpointer data)
{
	(*(guint *)data)++;
}

/* The owner hears of files coming and going (and of the switch), not of
 * ranges growing; the list follows the switch. */
static void test_changed_and_list(void)
{
	g_autoptr(gnut_partials) p = gnut_partials_new();
	guint changes = 0;
	gnut_partials_set_changed(p, count_change, &changes);
	const gnut_http_range small[] = {{0, 9}};
	const gnut_http_range more[] = {{0, 19}};
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_a, "a", 100, "/a", small, 1, 0));
	CU_ASSERT_EQUAL(changes, 1);
	CU_ASSERT_TRUE(gnut_partials_publish(p, sha_a, "a", 100, "/a", more, 1, 0));
	CU_ASSERT_EQUAL(changes, 1);
	g_autoptr(GPtrArray) all = gnut_partials_list(p);
	CU_ASSERT_EQUAL(all->len, 1);
	gnut_partials_set_enabled(p, FALSE);
	CU_ASSERT_EQUAL(changes, 2);
	g_autoptr(GPtrArray) none = gnut_partials_list(p);
	CU_ASSERT_EQUAL(none->len, 0);
	gnut_partials_withdraw(p, sha_a); /* disabled: nothing a lookup saw changes */
	CU_ASSERT_EQUAL(changes, 2);
	gnut_partials_set_enabled(p, TRUE);
	CU_ASSERT_EQUAL(changes, 3);
	gnut_partials_withdraw(p, sha_b); /* not there: no change */
	CU_ASSERT_EQUAL(changes, 3);
	gnut_partials_set_changed(p, NULL, NULL);
}

static CU_TestInfo tests[] = {
    {"publish and lookup", test_publish_and_lookup},
    {"refused ranges", test_refused_ranges},
    {"clip", test_clip},
    {"search and switch", test_search_and_switch},
    {"changes told, and the list", test_changed_and_list},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("partials", tests)
