/* test-keywords.c: splitting text into normalised keywords: case folding,
 * NFKC (accents, ligatures, full-width forms), punctuation, combining marks,
 * invalid UTF-8, and the caps on count, word length and input length. */
#include "gnut/proto/keywords.h"
#include "unit.h"

#include <string.h>

/* Joins the keywords of text with '|' (g_free the result). */
static char *split_joined(const char *text, size_t len)
{
	g_autoptr(GPtrArray) kws = gnut_keywords_split(text, len);
	g_ptr_array_add(kws, NULL);
	char *joined = g_strjoinv("|", (char **)kws->pdata);
	return joined;
}

static void check(const char *text, const char *want)
{
	g_autofree char *got = split_joined(text, strlen(text));
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		g_printerr("split(\"%s\") = \"%s\", want \"%s\"\n", text, got, want);
}

static void test_basic_split(void)
{
	check("Hello, World!", "hello|world");
	check("  spaces\tand\nnewlines  ", "spaces|and|newlines");
	check("", "");
	check(" -_.!? ", "");
	check("track01 of 12", "track01|of|12");
	check("a.b_c-d+e", "a|b|c|d|e");
}

static void test_file_names(void)
{
	check("Song.MP3", "song|mp3");
	check("The_Beatles-Let_It_Be(1970).flac", "the|beatles|let|it|be|1970|flac");
	check("don't stop", "don|t|stop");
	check("C:\\music\\a&b.ogg", "c|music|a|b|ogg");
}

static void test_case_folding(void)
{
	check("ÀÉÎÕÜ", "àéîõü");
	check("STRASSE Straße", "strasse|strasse"); /* full folding: ß -> ss */
	check("ΣΊΣΥΦΟΣ", "σίσυφοσ");
	check("МОСКВА", "москва");
}

static void test_nfkc(void)
{
	/* e + combining acute composes to é: both spellings give one keyword */
	check("caf\x65\xcc\x81", "caf\xc3\xa9");
	check("caf\xc3\xa9", "caf\xc3\xa9");
	check("\xef\xac\x81le", "file");                      /* ﬁ ligature */
	check("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "abc"); /* full-width ＡＢＣ */
	check("x\xc2\xb2", "x2");                             /* superscript two */
	check("\xe2\x91\xa0st", "1st");                       /* circled digit one */
	check("a\xc2\xa0"
	      "b",
	      "a|b");                      /* no-break space */
	check("\xe2\x84\xab", "\xc3\xa5"); /* Ångström sign -> å */
}

static void test_scripts_and_marks(void)
{
	/* CJK has no spaces: a run of ideographs is one keyword */
	check("日本語 テスト", "日本語|テスト");
	/* Devanagari vowel signs are marks and stay inside the word */
	check("हिन्दी गाना", "हिन्दी|गाना");
	/* a mark after a separator starts nothing */
	check("a \xcc\x81"
	      "b",
	      "a|b");
	/* Arabic letters */
	check("مرحبا بالعالم", "مرحبا|بالعالم");
}

static void test_invalid_input(void)
{
	g_autoptr(GPtrArray) bad = gnut_keywords_split("ok \xff\xfe words", 12);
	CU_ASSERT_EQUAL(bad->len, 0);
	g_autoptr(GPtrArray) cut = gnut_keywords_split("caf\xc3\xa9", 4); /* half of é */
	CU_ASSERT_EQUAL(cut->len, 0);
	g_autoptr(GPtrArray) nul = gnut_keywords_split("one\0two", 7);
	CU_ASSERT_EQUAL(nul->len, 0);
	g_autoptr(GPtrArray) overlong = gnut_keywords_split("\xc0\xaf", 2);
	CU_ASSERT_EQUAL(overlong->len, 0);
	g_autoptr(GPtrArray) surrogate = gnut_keywords_split("\xed\xa0\x80", 3);
	CU_ASSERT_EQUAL(surrogate->len, 0);
	/* only len bytes are read: no NUL needed */
	g_autoptr(GPtrArray) part = gnut_keywords_split("alpha beta", 5);
	CU_ASSERT_EQUAL(part->len, 1);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(part, 0), "alpha");
	g_autoptr(GPtrArray) none = gnut_keywords_split(NULL, 0);
	CU_ASSERT_EQUAL(none->len, 0);
}

static void test_caps(void)
{
	/* 40 words: only the first 32 */
	GString *many = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append_printf(many, "w%d ", i);
	g_autoptr(GPtrArray) kws = gnut_keywords_split(many->str, many->len);
	CU_ASSERT_EQUAL(kws->len, GNUT_KEYWORDS_MAX);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(kws, 31), "w31");
	g_string_free(many, TRUE);

	/* 64 bytes kept, 65 dropped, neighbours kept */
	g_autofree char *w64 = g_strnfill(64, 'a');
	g_autofree char *w65 = g_strnfill(65, 'b');
	g_autofree char *text = g_strdup_printf("x %s %s y", w64, w65);
	g_autoptr(GPtrArray) lens = gnut_keywords_split(text, strlen(text));
	CU_ASSERT_EQUAL(lens->len, 3);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(lens, 1), w64);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(lens, 2), "y");
	/* the byte cap applies after normalisation: 32 x "é" is 64 bytes,
	 * 33 x is 66 */
	GString *e32 = g_string_new(NULL);
	for (int i = 0; i < 33; i++)
		g_string_append(e32, "\xc3\x89");
	g_autoptr(GPtrArray) e33 = gnut_keywords_split(e32->str, e32->len);
	CU_ASSERT_EQUAL(e33->len, 0);
	g_autoptr(GPtrArray) e32k = gnut_keywords_split(e32->str, e32->len - 2);
	CU_ASSERT_EQUAL(e32k->len, 1);
	g_string_free(e32, TRUE);

	/* dropped words do not count towards the 32 */
	GString *mixed = g_string_new(NULL);
	for (int i = 0; i < 40; i++)
		g_string_append_printf(mixed, "%s k%d ", w65, i);
	g_autoptr(GPtrArray) m = gnut_keywords_split(mixed->str, mixed->len);
	CU_ASSERT_EQUAL(m->len, GNUT_KEYWORDS_MAX);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(m, 0), "k0");
	g_string_free(mixed, TRUE);

	/* input over the cap: nothing at all */
	g_autofree char *huge = g_strnfill(GNUT_KEYWORDS_MAX_INPUT + 1, 'z');
	huge[1] = ' ';
	g_autoptr(GPtrArray) h = gnut_keywords_split(huge, GNUT_KEYWORDS_MAX_INPUT + 1);
	CU_ASSERT_EQUAL(h->len, 0);
	g_autoptr(GPtrArray) h2 = gnut_keywords_split(huge, GNUT_KEYWORDS_MAX_INPUT);
	CU_ASSERT_EQUAL(h2->len, 1); /* "z", then a word too long */
}

static void test_unique_and_normalise(void)
{
	g_autoptr(GPtrArray) u = gnut_keywords_split_unique("Love me, love ME do", 19);
	CU_ASSERT_EQUAL(u->len, 3);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(u, 0), "love");
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(u, 1), "me");
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(u, 2), "do");
	g_autoptr(GPtrArray) all = gnut_keywords_split("Love me, love ME do", 19);
	CU_ASSERT_EQUAL(all->len, 5);

	g_autofree char *n = gnut_keyword_normalise("Caf\x65\xcc\x81", 6);
	CU_ASSERT_STRING_EQUAL(n, "caf\xc3\xa9");
	g_autofree char *keep = gnut_keyword_normalise("A-B", 3); /* no splitting */
	CU_ASSERT_STRING_EQUAL(keep, "a-b");
	char *bad = gnut_keyword_normalise("\xff", 1);
	CU_ASSERT_PTR_NULL(bad);
	/* folding then composing: U+0130 (İ) folds to i + U+0307, stays that */
	g_autofree char *dot = gnut_keyword_normalise("\xc4\xb0", 2);
	CU_ASSERT_STRING_EQUAL(dot, "i\xcc\x87");
	/* idempotent */
	g_autofree char *again = gnut_keyword_normalise(dot, strlen(dot));
	CU_ASSERT_STRING_EQUAL(again, dot);
}

static CU_TestInfo tests[] = {
    {"basic splitting", test_basic_split},
    {"file names", test_file_names},
    {"case folding", test_case_folding},
    {"NFKC", test_nfkc},
    {"scripts and combining marks", test_scripts_and_marks},
    {"invalid UTF-8", test_invalid_input},
    {"caps", test_caps},
    {"unique split and one-word normalise", test_unique_and_normalise},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("keywords", tests)
