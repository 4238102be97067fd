/* qrp-index.c: slot -> links index of query routing tables (see
 * qrp-index.h). Each indexed link owns a column; row r of the index is a
 * bitset of the columns whose table has index slot r present. Columns are
 * reused when links go; the rows widen by 64 columns when all are taken.
 * Clearing a column touches every row (the whole index), so a link going
 * away only gives its column back, cleared when a new link takes it: a
 * servent dropping its hundreds of leaves at shutdown does no such work. */
#include "config.h"

#include "qrp-index.h"

#include <string.h>

#include "gnut/proto/qrp.h"

#define INDEX_ROWS (1u << GNUT_QRP_INDEX_BITS)

struct gnut_qrp_index {
	guint words;          /* 64-bit words per row */
	guint64 *rows;        /* INDEX_ROWS rows of `words` words */
	guint64 *selected;    /* `words` words: the columns the last select chose */
	gboolean select_all;  /* the last select had no hashcode */
	GArray *codes;        /* uint32_t: the last select's hashcodes */
	GPtrArray *folded;    /* by column: its table when folded onto the index (checked
	                         again for the candidates its rows let through), else NULL */
	GArray *free_columns; /* guint: columns of links gone, not cleared yet */
	GHashTable *by_link;  /* guint64* link -> column + 1 */
};

gnut_qrp_index *gnut_qrp_index_new(void)
{
	gnut_qrp_index *x = g_new0(gnut_qrp_index, 1);
	x->codes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	x->folded = g_ptr_array_new();
	x->free_columns = g_array_new(FALSE, FALSE, sizeof(guint));
	x->by_link = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return x;
}

void gnut_qrp_index_free(gnut_qrp_index *x)
{
	if (x == NULL)
		return;
	g_free(x->rows);
	g_free(x->selected);
	g_array_unref(x->codes);
	g_ptr_array_unref(x->folded);
	g_array_unref(x->free_columns);
	g_hash_table_unref(x->by_link);
	g_free(x);
}

/* Room for 64 more columns: every row is one word wider. */
static void widen(gnut_qrp_index *x)
{
	guint words = x->words + 1;
	guint64 *rows = g_new0(guint64, (gsize)INDEX_ROWS * words);
	for (gsize r = 0; r < INDEX_ROWS && x->words > 0; r++)
		memcpy(rows + r * words, x->rows + r * x->words, x->words * sizeof(guint64));
	g_free(x->rows);
	x->rows = rows;
	x->words = words;
	x->selected = g_renew(guint64, x->selected, words);
	memset(x->selected, 0, words * sizeof(guint64));
}

static void clear_column(gnut_qrp_index *x, guint col)
{
	guint64 keep = ~(G_GUINT64_CONSTANT(1) << (col % 64));
	guint64 *word = x->rows + col / 64;
	for (gsize r = 0; r < INDEX_ROWS; r++, word += x->words)
		*word &= keep;
}

static guint take_column(gnut_qrp_index *x)
{
	if (x->free_columns->len > 0) {
		guint col = g_array_index(x->free_columns, guint, x->free_columns->len - 1);
		g_array_set_size(x->free_columns, x->free_columns->len - 1);
		clear_column(x, col);
		return col;
	}
	if (x->folded->len == x->words * 64)
		widen(x);
	g_ptr_array_add(x->folded, NULL);
	return x->folded->len - 1;
}

/* Marks index rows first..last present in column col. */
static void mark_rows(gnut_qrp_index *x, guint col, guint32 first, guint32 last)
{
	guint64 bit = G_GUINT64_CONSTANT(1) << (col % 64);
	for (gsize r = first; r <= last; r++)
		x->rows[r * x->words + col / 64] |= bit;
}

/* Copies t's present slots into column col: a table of fewer bits than the
 * index covers 2^(index bits - its bits) rows a slot; one of more folds
 * 2^(its bits - index bits) slots into a row. */
static void fill_column(gnut_qrp_index *x, guint col, const gnut_qrp_table *t)
{
	unsigned bits = gnut_qrp_table_bits(t);
	uint32_t slots = gnut_qrp_table_slots(t);
	for (uint32_t s = gnut_qrp_table_next_present(t, 0); s < slots;
	     s = gnut_qrp_table_next_present(t, s + 1)) {
		if (bits <= GNUT_QRP_INDEX_BITS) {
			unsigned spread = GNUT_QRP_INDEX_BITS - bits;
			mark_rows(x, col, s << spread, ((s + 1) << spread) - 1);
		} else {
			guint32 row = s >> (bits - GNUT_QRP_INDEX_BITS);
			mark_rows(x, col, row, row);
		}
	}
}

void gnut_qrp_index_set(gnut_qrp_index *x, guint64 link, const gnut_qrp_table *t)
{
	gpointer found = g_hash_table_lookup(x->by_link, &link);
	guint col;
	if (found != NULL) {
		col = GPOINTER_TO_UINT(found) - 1;
		clear_column(x, col);
	} else {
		col = take_column(x);
		guint64 *key = g_new(guint64, 1);
		*key = link;
		g_hash_table_insert(x->by_link, key, GUINT_TO_POINTER(col + 1));
	}
	g_ptr_array_index(x->folded, col) =
	    gnut_qrp_table_bits(t) > GNUT_QRP_INDEX_BITS ? (gpointer)t : NULL;
	fill_column(x, col, t);
	x->selected[col / 64] &= ~(G_GUINT64_CONSTANT(1) << (col % 64));
}

void gnut_qrp_index_remove(gnut_qrp_index *x, guint64 link)
{
	gpointer found = g_hash_table_lookup(x->by_link, &link);
	if (found == NULL)
		return;
	guint col = GPOINTER_TO_UINT(found) - 1;
	g_ptr_array_index(x->folded, col) = NULL;
	g_array_append_val(x->free_columns, col);
	g_hash_table_remove(x->by_link, &link);
}

gboolean gnut_qrp_index_has(const gnut_qrp_index *x, guint64 link)
{
	return g_hash_table_contains(x->by_link, &link);
}

void gnut_qrp_index_select(gnut_qrp_index *x, const uint32_t *codes, guint n)
{
	g_array_set_size(x->codes, 0);
	g_array_append_vals(x->codes, codes, n);
	x->select_all = n == 0;
	if (x->select_all || x->words == 0)
		return;
	const guint64 *first =
	    x->rows + (gsize)gnut_qrp_hash_restrict(codes[0], GNUT_QRP_INDEX_BITS) * x->words;
	memcpy(x->selected, first, x->words * sizeof(guint64));
	for (guint i = 1; i < n; i++) {
		gsize row = gnut_qrp_hash_restrict(codes[i], GNUT_QRP_INDEX_BITS);
		const guint64 *r = x->rows + row * x->words;
		for (guint w = 0; w < x->words; w++)
			x->selected[w] &= r[w];
	}
}

gnut_qrp_index_answer gnut_qrp_index_lookup(const gnut_qrp_index *x, guint64 link)
{
	gpointer found = g_hash_table_lookup(x->by_link, &link);
	if (found == NULL)
		return GNUT_QRP_INDEX_ABSENT;
	if (x->select_all)
		return GNUT_QRP_INDEX_HIT;
	guint col = GPOINTER_TO_UINT(found) - 1;
	if (!((x->selected[col / 64] >> (col % 64)) & 1))
		return GNUT_QRP_INDEX_MISS;
	const gnut_qrp_table *folded = g_ptr_array_index(x->folded, col);
	gboolean hit = folded == NULL ||
	               gnut_qrp_table_matches_codes(
	                   folded, (const uint32_t *)(const void *)x->codes->data, x->codes->len);
	return hit ? GNUT_QRP_INDEX_HIT : GNUT_QRP_INDEX_MISS;
}

gboolean gnut_qrp_index_selected(const gnut_qrp_index *x, guint64 link)
{
	return gnut_qrp_index_lookup(x, link) == GNUT_QRP_INDEX_HIT;
}

gsize gnut_qrp_index_bytes(const gnut_qrp_index *x)
{
	return (gsize)INDEX_ROWS * x->words * sizeof(guint64) + x->words * sizeof(guint64) +
	       x->folded->len * sizeof(gpointer) + x->codes->len * sizeof(uint32_t);
}
