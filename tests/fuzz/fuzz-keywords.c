/* fuzz-keywords.c: the keyword splitter and the QRP hash over arbitrary
 * bytes, as a peer's query text or a shared file's name reaches them.
 * Keywords must keep the promises of keywords.h (capped count and length,
 * valid UTF-8, a letter or digit first, uniqueness for split_unique) and be
 * stable: a keyword split again is that one keyword, or a query built from
 * our keywords would route to other QRP slots. The hash must be
 * ASCII-case-blind and fit its table size. */
#include "fuzz.h"
#include "gnut/proto/keywords.h"
#include "gnut/proto/qrp.h"

#include <stdlib.h>
#include <string.h>

/* By hand: g_ascii_strdown stops at a NUL byte, the hash does not. */
static char *ascii_case_copy(const char *s, size_t len, gboolean up)
{
	char *copy = g_malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		copy[i] = up ? g_ascii_toupper(s[i]) : g_ascii_tolower(s[i]);
	copy[len] = '\0';
	return copy;
}

static void check_hash(const char *kw, size_t len)
{
	static const unsigned bits[] = {0, 1, 8, 13, 16, 20, 24, 31, 32};
	uint32_t code = gnut_qrp_hashcode(kw, len);
	char *lower = ascii_case_copy(kw, len, FALSE);
	char *upper = ascii_case_copy(kw, len, TRUE);
	if (gnut_qrp_hashcode(lower, len) != code || gnut_qrp_hashcode(upper, len) != code)
		abort();
	g_free(upper);
	g_free(lower);
	for (size_t i = 0; i < G_N_ELEMENTS(bits); i++) {
		uint32_t slot = gnut_qrp_hash(kw, len, bits[i]);
		if (slot != gnut_qrp_hash_restrict(code, bits[i]) ||
		    (bits[i] < 32 && slot >= (UINT32_C(1) << bits[i])))
			abort();
	}
}

/* One keyword: non-empty, capped, UTF-8, starting with a letter or digit,
 * already normalised, and splitting into exactly itself. */
static void check_keyword(const char *kw)
{
	size_t len = strlen(kw);
	if (len == 0 || len > GNUT_KEYWORD_MAX_LEN || !g_utf8_validate(kw, (gssize)len, NULL))
		abort();
	gunichar first = g_utf8_get_char(kw);
	if (!g_unichar_isalpha(first) && !g_unichar_isdigit(first))
		abort();
	char *norm = gnut_keyword_normalise(kw, len);
	if (norm == NULL || strcmp(norm, kw) != 0)
		abort();
	g_free(norm);
	GPtrArray *again = gnut_keywords_split(kw, len);
	if (again->len != 1 || strcmp(g_ptr_array_index(again, 0), kw) != 0)
		abort();
	g_ptr_array_unref(again);
	check_hash(kw, len);
}

static gboolean listed(const GPtrArray *words, guint upto, const char *kw)
{
	for (guint i = 0; i < upto; i++)
		if (strcmp(g_ptr_array_index(words, i), kw) == 0)
			return TRUE;
	return FALSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	check_hash(text, size);

	GPtrArray *words = gnut_keywords_split(text, size);
	GPtrArray *unique = gnut_keywords_split_unique(text, size);
	if (words->len > GNUT_KEYWORDS_MAX || unique->len > GNUT_KEYWORDS_MAX ||
	    (words->len < GNUT_KEYWORDS_MAX && unique->len > words->len))
		abort();
	for (guint i = 0; i < words->len; i++)
		check_keyword(g_ptr_array_index(words, i));
	for (guint i = 0; i < unique->len; i++) {
		const char *kw = g_ptr_array_index(unique, i);
		/* distinct, and (below the cap) the same words as the plain split */
		if (listed(unique, i, kw) ||
		    (words->len < GNUT_KEYWORDS_MAX && !listed(words, words->len, kw)))
			abort();
	}
	if (words->len < GNUT_KEYWORDS_MAX)
		for (guint i = 0; i < words->len; i++)
			if (!listed(unique, unique->len, g_ptr_array_index(words, i)))
				abort();
	g_ptr_array_unref(unique);
	g_ptr_array_unref(words);

	/* the whole text as one word: NULL exactly when it is not UTF-8 */
	char *norm = gnut_keyword_normalise(text, size);
	if (norm != NULL && !g_utf8_validate(norm, -1, NULL))
		abort();
	g_free(norm);
	return 0;
}
