/* test-search.c: our searches: GUID ownership, hit ids, duplicates dropped,
 * "hits after", sources by SHA-1 and the caps. */
#include "gnut/core/search/search.h"
#include "gnut/proto/digest.h"
#include "unit.h"

#include <string.h>

static gnut_hit make_result(uint8_t servent_byte, uint32_t index, const char *name)
{
	gnut_hit r;
	memset(&r, 0, sizeof r);
	r.name = (char *)name;
	r.size = 1000 + index;
	r.ipv4 = 0x7f000001;
	r.port = 6346;
	r.file_index = index;
	memset(r.servent.bytes, servent_byte, sizeof r.servent.bytes);
	return r;
}

static void test_start_owns_and_stop(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid g1, g2, other;
	guint64 a = gnut_searches_start(s, "image png", &g1);
	guint64 b = gnut_searches_start(s, "song", &g2);
	CU_ASSERT_NOT_EQUAL(a, 0);
	CU_ASSERT_NOT_EQUAL(a, b);
	CU_ASSERT_FALSE(gnut_guid_equal(&g1, &g2));
	CU_ASSERT_TRUE(gnut_searches_owns(s, &g1));
	CU_ASSERT_EQUAL(gnut_searches_id(s, &g1), a);
	CU_ASSERT_EQUAL(gnut_searches_id(s, &g2), b);
	gnut_guid_generate(&other);
	CU_ASSERT_FALSE(gnut_searches_owns(s, &other));
	gnut_hit r = make_result(1, 1, "kept.png");
	const gnut_hit *h = gnut_searches_add(s, &g1, &r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	guint64 hit_id = h->id;
	gnut_searches_stop(s, a);
	CU_ASSERT_FALSE(gnut_searches_owns(s, &g1));
	/* a stopped search keeps its hits for gnut get, and takes no more */
	CU_ASSERT_TRUE(gnut_searches_exists(s, a));
	CU_ASSERT_PTR_NOT_NULL(gnut_searches_hit(s, hit_id));
	gnut_hit late = make_result(2, 1, "late.png");
	CU_ASSERT_PTR_NULL(gnut_searches_add(s, &g1, &late));
	CU_ASSERT_TRUE(gnut_searches_exists(s, b));
	gnut_searches_free(s);
}

static void test_hits_and_duplicates(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid g, stranger;
	guint64 id = gnut_searches_start(s, "image", &g);
	gnut_hit r1 = make_result(1, 7, "image.png");
	gnut_hit r2 = make_result(2, 7, "image.png");
	const gnut_hit *h1 = gnut_searches_add(s, &g, &r1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h1);
	CU_ASSERT_EQUAL(h1->search_id, id);
	CU_ASSERT_STRING_EQUAL(h1->name, "image.png");
	/* the same result by a second path is dropped */
	CU_ASSERT_PTR_NULL(gnut_searches_add(s, &g, &r1));
	const gnut_hit *h2 = gnut_searches_add(s, &g, &r2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h2);
	CU_ASSERT_TRUE(h2->id > h1->id);
	gnut_guid_generate(&stranger);
	CU_ASSERT_PTR_NULL(gnut_searches_add(s, &stranger, &r1));

	GPtrArray *all = gnut_searches_hits_after(s, id, 0);
	CU_ASSERT_EQUAL(all->len, 2);
	g_ptr_array_unref(all);
	GPtrArray *later = gnut_searches_hits_after(s, id, h1->id);
	CU_ASSERT_EQUAL(later->len, 1);
	CU_ASSERT_PTR_EQUAL(g_ptr_array_index(later, 0), h2);
	g_ptr_array_unref(later);
	CU_ASSERT_PTR_EQUAL(gnut_searches_hit(s, h2->id), h2);
	CU_ASSERT_PTR_NULL(gnut_searches_hits_after(s, id + 100, 0));
	gnut_searches_free(s);
}

static void test_sources_by_sha1(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid g;
	gnut_searches_start(s, "image", &g);
	gnut_hit r1 = make_result(1, 1, "a.png"), r2 = make_result(2, 2, "b.png"),
	         r3 = make_result(3, 3, "c.png");
	r1.has_sha1 = r2.has_sha1 = r3.has_sha1 = true;
	memset(r1.sha1, 0xaa, GNUT_SHA1_LEN);
	memset(r2.sha1, 0xaa, GNUT_SHA1_LEN);
	memset(r3.sha1, 0xbb, GNUT_SHA1_LEN);
	gnut_searches_add(s, &g, &r1);
	gnut_searches_add(s, &g, &r2);
	gnut_searches_add(s, &g, &r3);
	uint8_t want[GNUT_SHA1_LEN];
	memset(want, 0xaa, GNUT_SHA1_LEN);
	GPtrArray *src = gnut_searches_sources(s, want);
	CU_ASSERT_EQUAL(src->len, 2);
	g_ptr_array_unref(src);
	gnut_searches_free(s);
}

static void test_caps_and_names(void)
{
	gnut_searches *s = gnut_searches_new();
	gnut_guid first, g;
	guint64 first_id = gnut_searches_start(s, "first", &first);
	for (int i = 0; i < GNUT_SEARCH_MAX_SEARCHES; i++)
		gnut_searches_start(s, "more", &g);
	CU_ASSERT_FALSE(gnut_searches_exists(s, first_id));
	CU_ASSERT_FALSE(gnut_searches_owns(s, &first));

	int added = 0;
	for (uint32_t i = 0; i < GNUT_SEARCH_MAX_HITS + 10; i++) {
		gnut_hit r = make_result(9, i, "x");
		if (gnut_searches_add(s, &g, &r) != NULL)
			added++;
	}
	CU_ASSERT_EQUAL(added, GNUT_SEARCH_MAX_HITS);

	gnut_guid g2;
	gnut_searches_start(s, "bad names", &g2);
	gnut_hit bad = make_result(4, 1, "caf\xc3\xa9\xff.png");
	const gnut_hit *h = gnut_searches_add(s, &g2, &bad);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_TRUE(g_utf8_validate(h->name, -1, NULL));
	char *longname = g_malloc(GNUT_SEARCH_MAX_NAME * 2 + 1);
	memset(longname, 'n', GNUT_SEARCH_MAX_NAME * 2);
	longname[GNUT_SEARCH_MAX_NAME * 2] = '\0';
	gnut_hit big = make_result(5, 1, longname);
	h = gnut_searches_add(s, &g2, &big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(strlen(h->name), GNUT_SEARCH_MAX_NAME);
	g_free(longname);
	gnut_searches_free(s);
}

static CU_TestInfo tests[] = {
    {"start, own, stop", test_start_owns_and_stop},
    {"hits and duplicates", test_hits_and_duplicates},
    {"sources by SHA-1", test_sources_by_sha1},
    {"caps and names", test_caps_and_names},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("search", tests)
