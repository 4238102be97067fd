/* test-keyword-index.c: word-prefix queries over file names (case, accents,
 * separators, invalid UTF-8, max), and a brute-force cross-check of the
 * sorted-range intersection on a few thousand generated names. */
#include "gnut/core/share/keyword-index.h"
#include "gnut/proto/keywords.h"
#include "unit.h"

#include <string.h>

static const char *names[] = {
    "The Beatles - Let It Be.mp3", /* 0 */
    "beat_it-michael_jackson.ogg", /* 1 */
    "Readme.TXT",                  /* 2 */
    "Caf\xc3\xa9 del Mar.flac",    /* 3: Café */
    "\303\211COLE notes.pdf",      /* 4: ÉCOLE (octal: no hex run-on) */
    "bad \xff name.txt",           /* 5: not UTF-8 */
    "report-2024_final.DOCX",      /* 6 */
};

static gnut_keyword_index *sample_index(void)
{
	gnut_keyword_index *ki = gnut_keyword_index_new();
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		CU_ASSERT_EQUAL(gnut_keyword_index_add(ki, names[i], strlen(names[i])), i);
	gnut_keyword_index_freeze(ki);
	return ki;
}

/* The ids a query returns, as "0,3" (empty string for none). */
static char *query_ids(const gnut_keyword_index *ki, const char *q, guint max)
{
	g_autoptr(GArray) ids = gnut_keyword_index_query(ki, q, strlen(q), max);
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(out, "%s%u", i > 0 ? "," : "",
		                       g_array_index(ids, guint32, i));
	return g_string_free(out, FALSE);
}

#define ASSERT_QUERY(ki, q, max, expected)                                                         \
	do {                                                                                       \
		char *got_ = query_ids((ki), (q), (max));                                          \
		CU_ASSERT_STRING_EQUAL(got_, (expected));                                          \
		g_free(got_);                                                                      \
	} while (0)

static void test_prefix_and_case(void)
{
	gnut_keyword_index *ki = sample_index();
	ASSERT_QUERY(ki, "beat", 100, "0,1");
	ASSERT_QUERY(ki, "beatles", 100, "0");
	ASSERT_QUERY(ki, "BEATLES", 100, "0");
	ASSERT_QUERY(ki, "let be", 100, "0");
	ASSERT_QUERY(ki, "it", 100, "0,1");
	ASSERT_QUERY(ki, "mp3", 100, "0");
	ASSERT_QUERY(ki, "txt", 100, "2");
	ASSERT_QUERY(ki, "readme TXT", 100, "2");
	ASSERT_QUERY(ki, "eatles", 100, ""); /* a word prefix, not a substring */
	ASSERT_QUERY(ki, "beatlesx", 100, "");
	ASSERT_QUERY(ki, "beat zzz", 100, "");
	gnut_keyword_index_free(ki);
}

static void test_separators_and_accents(void)
{
	gnut_keyword_index *ki = sample_index();
	ASSERT_QUERY(ki, "michael", 100, "1");
	ASSERT_QUERY(ki, "jackson ogg", 100, "1");
	ASSERT_QUERY(ki, "2024 final docx", 100, "6");
	ASSERT_QUERY(ki, "report_final", 100, "6");
	ASSERT_QUERY(ki, "caf\xc3\xa9", 100, "3");
	ASSERT_QUERY(ki, "CAF\xc3\x89 mar", 100, "3");
	ASSERT_QUERY(ki, "caf", 100, "3");
	ASSERT_QUERY(ki, "cafe", 100, "");          /* accents are kept, as in the QRP table */
	ASSERT_QUERY(ki, "\303\251cole", 100, "4"); /* école */
	gnut_keyword_index_free(ki);
}

static void test_empty_invalid_and_max(void)
{
	gnut_keyword_index *ki = sample_index();
	CU_ASSERT_EQUAL(gnut_keyword_index_documents(ki), G_N_ELEMENTS(names));
	CU_ASSERT(gnut_keyword_index_keywords(ki) > 20);
	ASSERT_QUERY(ki, "", 100, "");
	ASSERT_QUERY(ki, " - _ . ", 100, "");
	ASSERT_QUERY(ki, "bad", 100, "");  /* its name was not UTF-8: no keywords */
	ASSERT_QUERY(ki, "\xff", 100, ""); /* nor is this query */
	ASSERT_QUERY(ki, "beat", 1, "0");
	ASSERT_QUERY(ki, "beat", 0, "");
	ASSERT_QUERY(ki, "beat beat BEAT", 100, "0,1");
	gnut_keyword_index_free(ki);

	gnut_keyword_index *none = gnut_keyword_index_new();
	gnut_keyword_index_freeze(none);
	ASSERT_QUERY(none, "anything", 10, "");
	CU_ASSERT_EQUAL(gnut_keyword_index_keywords(none), 0);
	gnut_keyword_index_free(none);
}

/* Whether name matches query the slow way: every query keyword is a prefix of
 * some name keyword. */
static gboolean naive_match(const char *name, const char *query)
{
	g_autoptr(GPtrArray) nk = gnut_keywords_split(name, strlen(name));
	g_autoptr(GPtrArray) qk = gnut_keywords_split(query, strlen(query));
	if (qk->len == 0)
		return FALSE;
	for (guint q = 0; q < qk->len; q++) {
		gboolean found = FALSE;
		for (guint n = 0; n < nk->len && !found; n++)
			found =
			    g_str_has_prefix(g_ptr_array_index(nk, n), g_ptr_array_index(qk, q));
		if (!found)
			return FALSE;
	}
	return TRUE;
}

static void test_matches_brute_force(void)
{
	static const char *parts[] = {"alpha", "alps", "beta",  "bet", "gamma", "game",
	                              "delta", "del",  "omega", "om",  "zeta"};
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
	gnut_keyword_index *ki = gnut_keyword_index_new();
	GRand *rand = g_rand_new_with_seed(42);
	for (guint i = 0; i < 3000; i++) {
		char *name = g_strdup_printf("%s %s-%u_%s.dat",
		                             parts[g_rand_int_range(rand, 0, G_N_ELEMENTS(parts))],
		                             parts[g_rand_int_range(rand, 0, G_N_ELEMENTS(parts))],
		                             i % 97, parts[g_rand_int_range(rand, 0, 11)]);
		gnut_keyword_index_add(ki, name, strlen(name));
		g_ptr_array_add(all, name);
	}
	gnut_keyword_index_freeze(ki);
	static const char *queries[] = {"al", "alps", "bet gam", "del 5", "om zeta 42",
	                                "a",  "dat",  "g o",     "1",     "delta delta dat"};
	guint mismatches = 0, total = 0;
	for (guint q = 0; q < G_N_ELEMENTS(queries); q++) {
		g_autoptr(GArray) ids =
		    gnut_keyword_index_query(ki, queries[q], strlen(queries[q]), G_MAXUINT);
		guint k = 0;
		for (guint d = 0; d < all->len; d++) {
			gboolean want = naive_match(g_ptr_array_index(all, d), queries[q]);
			gboolean got = k < ids->len && g_array_index(ids, guint32, k) == d;
			if (got)
				k++;
			if (want != got)
				mismatches++;
			total += want;
		}
		CU_ASSERT_EQUAL(k, ids->len); /* ascending, nothing out of range */
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(total > 1000); /* the queries did match something */
	g_rand_free(rand);
	gnut_keyword_index_free(ki);
	g_ptr_array_unref(all);
}

static CU_TestInfo tests[] = {
    {"word prefixes, case-insensitive", test_prefix_and_case},
    {"separators and accents", test_separators_and_accents},
    {"empty, invalid UTF-8, max", test_empty_invalid_and_max},
    {"same answers as a brute-force match", test_matches_brute_force},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("keyword-index", tests)
