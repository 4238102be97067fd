/* keyword-index.c: an inverted index over document names, with the keywords
 * in one sorted array so that a word prefix selects a contiguous range of
 * them. Both directions are kept as flat arrays (CSR form): postings (keyword
 * -> ascending document ids) and the forward lists (document -> the ranks of
 * its keywords in the sorted array). A query takes the candidates of its
 * rarest word and keeps those whose forward list has a keyword in the range
 * of every other word: a range test on integers, no string compare. */
#include "gnut/core/share/keyword-index.h"

#include <string.h>

#include "gnut/proto/keywords.h"

struct gnut_keyword_index {
	gboolean frozen;
	guint32 n_docs;
	GHashTable *intern; /* while building: keyword -> its first-seen number + 1 */
	GPtrArray *words;   /* keywords (owned); sorted once frozen */
	GArray *doc_off;    /* guint32 x (n_docs + 1): document d's keywords are
	                       fwd[doc_off[d] .. doc_off[d + 1]) */
	GArray *fwd;        /* guint32 keyword numbers; ranks in words once frozen */
	GArray *post_off;   /* frozen: guint32 x (words + 1), postings of keyword r
	                       are post[post_off[r] .. post_off[r + 1]) */
	GArray *post;       /* frozen: guint32 document ids, ascending per keyword */
};

/* The range [lo, hi) of sorted keywords that start with one query word, and
 * how many postings it covers (the cost of taking it as the candidates). */
typedef struct {
	guint32 lo;
	guint32 hi;
	guint32 postings;
} word_range;

#define U32(arr, i) g_array_index((arr), guint32, (i))

gnut_keyword_index *gnut_keyword_index_new(void)
{
	gnut_keyword_index *ki = g_new0(gnut_keyword_index, 1);
	ki->intern = g_hash_table_new(g_str_hash, g_str_equal);
	ki->words = g_ptr_array_new_with_free_func(g_free);
	ki->doc_off = g_array_new(FALSE, FALSE, sizeof(guint32));
	ki->fwd = g_array_new(FALSE, FALSE, sizeof(guint32));
	guint32 zero = 0;
	g_array_append_val(ki->doc_off, zero);
	return ki;
}

void gnut_keyword_index_free(gnut_keyword_index *ki)
{
	if (ki == NULL)
		return;
	if (ki->intern != NULL)
		g_hash_table_unref(ki->intern);
	g_ptr_array_unref(ki->words);
	g_array_unref(ki->doc_off);
	g_array_unref(ki->fwd);
	if (ki->post_off != NULL)
		g_array_unref(ki->post_off);
	if (ki->post != NULL)
		g_array_unref(ki->post);
	g_free(ki);
}

guint32 gnut_keyword_index_add(gnut_keyword_index *ki, const char *name, gsize len)
{
	g_return_val_if_fail(!ki->frozen, G_MAXUINT32);
	g_return_val_if_fail(ki->n_docs < G_MAXUINT32 - 1, G_MAXUINT32);

	g_autoptr(GPtrArray) kws = gnut_keywords_split_unique(name, len);
	for (guint i = 0; i < kws->len; i++) {
		char *kw = g_ptr_array_index(kws, i);
		gpointer found = g_hash_table_lookup(ki->intern, kw);
		guint32 number;
		if (found != NULL) {
			number = GPOINTER_TO_UINT(found) - 1;
		} else {
			number = ki->words->len;
			kw = g_strdup(kw);
			g_ptr_array_add(ki->words, kw);
			g_hash_table_insert(ki->intern, kw, GUINT_TO_POINTER(number + 1));
		}
		g_array_append_val(ki->fwd, number);
	}
	guint32 end = ki->fwd->len;
	g_array_append_val(ki->doc_off, end);
	return ki->n_docs++;
}

static gint compare_words_at(gconstpointer a, gconstpointer b, gpointer user_data)
{
	GPtrArray *words = user_data;
	return strcmp(g_ptr_array_index(words, *(const guint32 *)a),
	              g_ptr_array_index(words, *(const guint32 *)b));
}

/* Sorts the keywords and renumbers the forward lists by sorted rank. */
static void sort_keywords(gnut_keyword_index *ki)
{
	guint32 n = ki->words->len;
	g_autofree guint32 *order = g_new(guint32, n + 1);
	g_autofree guint32 *rank = g_new(guint32, n + 1);
	for (guint32 i = 0; i < n; i++)
		order[i] = i;
	g_qsort_with_data(order, (gint)n, sizeof *order, compare_words_at, ki->words);
	GPtrArray *sorted = g_ptr_array_new_full(n, g_free);
	for (guint32 r = 0; r < n; r++) {
		rank[order[r]] = r;
		g_ptr_array_add(sorted, ki->words->pdata[order[r]]);
	}
	g_ptr_array_set_free_func(ki->words, NULL);
	g_ptr_array_unref(ki->words);
	ki->words = sorted;
	for (guint i = 0; i < ki->fwd->len; i++)
		U32(ki->fwd, i) = rank[U32(ki->fwd, i)];
}

void gnut_keyword_index_freeze(gnut_keyword_index *ki)
{
	g_return_if_fail(!ki->frozen);
	g_hash_table_unref(ki->intern);
	ki->intern = NULL;
	sort_keywords(ki);

	guint32 n = ki->words->len;
	ki->post_off = g_array_sized_new(FALSE, TRUE, sizeof(guint32), n + 1);
	g_array_set_size(ki->post_off, n + 1);
	for (guint i = 0; i < ki->fwd->len; i++)
		U32(ki->post_off, U32(ki->fwd, i) + 1)++;
	for (guint32 r = 0; r < n; r++)
		U32(ki->post_off, r + 1) += U32(ki->post_off, r);

	ki->post = g_array_sized_new(FALSE, FALSE, sizeof(guint32), ki->fwd->len);
	g_array_set_size(ki->post, ki->fwd->len);
	g_autofree guint32 *fill = g_new(guint32, n + 1);
	memcpy(fill, ki->post_off->data, (n + 1) * sizeof(guint32));
	/* Documents in ascending order: each posting list comes out sorted. */
	for (guint32 d = 0; d < ki->n_docs; d++)
		for (guint32 i = U32(ki->doc_off, d); i < U32(ki->doc_off, d + 1); i++)
			U32(ki->post, fill[U32(ki->fwd, i)]++) = d;
	ki->frozen = TRUE;
}

/* How many sorted keywords sort before prefix (skip_matches FALSE) or before
 * or with it (TRUE), comparing only the prefix's bytes: strncmp against a
 * fixed prefix is monotone over a strcmp-sorted array, so the keywords that
 * start with prefix lie between the two answers. */
static guint32 bound(const gnut_keyword_index *ki, const char *prefix, gboolean skip_matches)
{
	size_t plen = strlen(prefix);
	guint32 lo = 0, hi = ki->words->len;
	while (lo < hi) {
		guint32 mid = lo + (hi - lo) / 2;
		int c = strncmp(g_ptr_array_index(ki->words, mid), prefix, plen);
		if (c < 0 || (skip_matches && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static gint compare_u32(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

static gint compare_ranges_by_cost(gconstpointer a, gconstpointer b)
{
	const word_range *x = a, *y = b;
	return x->postings < y->postings ? -1 : x->postings > y->postings;
}

/* The documents of one range: its posting lists merged, ascending, unique. */
static GArray *range_documents(const gnut_keyword_index *ki, const word_range *r)
{
	guint32 from = U32(ki->post_off, r->lo), to = U32(ki->post_off, r->hi);
	GArray *docs = g_array_sized_new(FALSE, FALSE, sizeof(guint32), to - from);
	g_array_append_vals(docs, &U32(ki->post, from), to - from);
	if (r->hi - r->lo > 1) {
		g_array_sort(docs, compare_u32);
		guint out = 0;
		for (guint i = 0; i < docs->len; i++)
			if (out == 0 || U32(docs, i) != U32(docs, out - 1))
				U32(docs, out++) = U32(docs, i);
		g_array_set_size(docs, out);
	}
	return docs;
}

static gboolean document_in_range(const gnut_keyword_index *ki, guint32 doc, const word_range *r)
{
	for (guint32 i = U32(ki->doc_off, doc); i < U32(ki->doc_off, doc + 1); i++) {
		guint32 rank = U32(ki->fwd, i);
		if (rank >= r->lo && rank < r->hi)
			return TRUE;
	}
	return FALSE;
}

GArray *gnut_keyword_index_query(const gnut_keyword_index *ki, const char *query, gsize len,
                                 guint max)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint32));
	g_return_val_if_fail(ki->frozen, out);

	g_autoptr(GPtrArray) qwords = gnut_keywords_split_unique(query, len);
	if (qwords->len == 0 || max == 0)
		return out;
	g_autoptr(GArray) ranges = g_array_sized_new(FALSE, FALSE, sizeof(word_range), qwords->len);
	for (guint i = 0; i < qwords->len; i++) {
		const char *w = g_ptr_array_index(qwords, i);
		word_range r = {bound(ki, w, FALSE), bound(ki, w, TRUE), 0};
		if (r.lo == r.hi)
			return out; /* a word nothing starts with: no match at all */
		r.postings = U32(ki->post_off, r.hi) - U32(ki->post_off, r.lo);
		g_array_append_val(ranges, r);
	}
	/* Rarest word first: fewest candidates, and the most selective tests
	 * run first on each. */
	g_array_sort(ranges, compare_ranges_by_cost);
	g_autoptr(GArray) candidates = range_documents(ki, &g_array_index(ranges, word_range, 0));
	for (guint c = 0; c < candidates->len && out->len < max; c++) {
		guint32 doc = U32(candidates, c);
		guint w = 1;
		while (w < ranges->len &&
		       document_in_range(ki, doc, &g_array_index(ranges, word_range, w)))
			w++;
		if (w == ranges->len)
			g_array_append_val(out, doc);
	}
	return out;
}

guint gnut_keyword_index_documents(const gnut_keyword_index *ki)
{
	return ki->n_docs;
}

guint gnut_keyword_index_keywords(const gnut_keyword_index *ki)
{
	return ki->words->len;
}
