/* keywords.c: text -> normalised keywords (NFKC, case-folded, split on
 * everything that is not a letter or digit). The share index, our QRP table
 * and incoming queries all go through here, so a word is the same bytes
 * wherever it comes from. */
#include "gnut/proto/keywords.h"

#include <string.h>

/* NFKC, then case-fold, then NFKC again: folding can leave text that is no
 * longer in NFKC (U+0130 folds to 'i' + U+0307), and the QRP hash compares
 * bytes, so the result must be in one canonical form. NULL if the text is
 * over the cap, not UTF-8, or holds a NUL byte. */
static char *normalise_text(const char *text, size_t len)
{
	if (len > GNUT_KEYWORDS_MAX_INPUT)
		return NULL;
	if (len == 0)
		return g_strdup("");
	if (!g_utf8_validate_len(text, len, NULL))
		return NULL;
	g_autofree char *nfkc = g_utf8_normalize(text, (gssize)len, G_NORMALIZE_NFKC);
	if (nfkc == NULL)
		return NULL;
	g_autofree char *folded = g_utf8_casefold(nfkc, -1);
	return g_utf8_normalize(folded, -1, G_NORMALIZE_NFKC);
}

char *gnut_keyword_normalise(const char *word, size_t len)
{
	return normalise_text(word, len);
}

/* Letters and digits make words; a combining mark continues one (it never
 * starts one), so Devanagari or Thai words are not cut at every vowel sign. */
static bool is_word_char(gunichar c, bool in_word)
{
	if (g_unichar_isalpha(c) || g_unichar_isdigit(c))
		return true;
	return in_word && g_unichar_ismark(c);
}

static bool already_listed(const GPtrArray *words, const char *word, size_t len)
{
	for (guint i = 0; i < words->len; i++) {
		const char *w = g_ptr_array_index(words, i);
		if (strlen(w) == len && memcmp(w, word, len) == 0)
			return true;
	}
	return false;
}

/* Adds word[0..len) unless it is empty, too long, or (with unique) a
 * duplicate. */
static void add_word(GPtrArray *words, const char *word, size_t len, bool unique)
{
	if (len == 0 || len > GNUT_KEYWORD_MAX_LEN)
		return;
	if (unique && already_listed(words, word, len))
		return;
	g_ptr_array_add(words, g_strndup(word, len));
}

static GPtrArray *split(const char *text, size_t len, bool unique)
{
	GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *norm = normalise_text(text, len);
	if (norm == NULL)
		return words;

	const char *start = NULL; /* start of the word being read, if any */
	const char *p = norm;
	while (*p != '\0' && words->len < GNUT_KEYWORDS_MAX) {
		gunichar c = g_utf8_get_char(p);
		const char *next = g_utf8_next_char(p);
		if (is_word_char(c, start != NULL)) {
			if (start == NULL)
				start = p;
		} else if (start != NULL) {
			add_word(words, start, (size_t)(p - start), unique);
			start = NULL;
		}
		p = next;
	}
	if (start != NULL && words->len < GNUT_KEYWORDS_MAX)
		add_word(words, start, (size_t)(p - start), unique);
	return words;
}

GPtrArray *gnut_keywords_split(const char *text, size_t len)
{
	return split(text, len, false);
}

GPtrArray *gnut_keywords_split_unique(const char *text, size_t len)
{
	return split(text, len, true);
}
