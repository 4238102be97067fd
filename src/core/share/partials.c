/* partials.c: the registry of partial files offered to others
 * (partials.h): a table SHA-1 -> immutable, refcounted snapshot. */
#include "gnut/core/share/partials.h"

#include <string.h>

#include "gnut/proto/keywords.h"

typedef struct {
	gnut_partial_file pub; /* first: a gnut_partial_file* is a partial_box* */
	gatomicrefcount refs;
} partial_box;

struct gnut_partials {
	GHashTable *by_sha1; /* sha1 bytes (the snapshot's) -> gnut_partial_file */
	gboolean enabled;
	guint32 next_index;
	void (*changed)(gpointer data);
	gpointer changed_data;
};

/* Tells the owner that the files lookups find changed. */
static void tell_changed(const gnut_partials *p)
{
	if (p->changed != NULL)
		p->changed(p->changed_data);
}

gnut_partial_file *gnut_partial_file_ref(gnut_partial_file *pf)
{
	g_return_val_if_fail(pf != NULL, NULL);
	g_atomic_ref_count_inc(&((partial_box *)pf)->refs);
	return pf;
}

void gnut_partial_file_unref(gnut_partial_file *pf)
{
	if (pf == NULL)
		return;
	partial_box *box = (partial_box *)pf;
	if (!g_atomic_ref_count_dec(&box->refs))
		return;
	gnut_shared_file_unref(pf->file);
	g_free(pf->ranges);
	g_free(box);
}

gboolean gnut_partial_file_clip(const gnut_partial_file *pf, guint64 first, guint64 last,
                                guint64 *start, guint64 *end)
{
	for (guint i = 0; i < pf->n_ranges; i++) {
		const gnut_http_range *r = &pf->ranges[i];
		if (r->end < first)
			continue;
		if (r->start > last)
			return FALSE;
		*start = MAX(first, r->start);
		*end = MIN(last, r->end);
		return TRUE;
	}
	return FALSE;
}

gnut_partials *gnut_partials_new(void)
{
	gnut_partials *p = g_new0(gnut_partials, 1);
	p->by_sha1 = g_hash_table_new_full(gnut_sha1_key_hash, gnut_sha1_key_equal, NULL,
	                                   (GDestroyNotify)gnut_partial_file_unref);
	p->enabled = TRUE;
	p->next_index = GNUT_PARTIALS_INDEX_FIRST;
	return p;
}

void gnut_partials_free(gnut_partials *p)
{
	if (p == NULL)
		return;
	g_hash_table_destroy(p->by_sha1);
	g_free(p);
}

void gnut_partials_set_enabled(gnut_partials *p, gboolean enabled)
{
	gboolean was = p->enabled;
	p->enabled = enabled;
	if (was != enabled)
		tell_changed(p);
}

void gnut_partials_set_changed(gnut_partials *p, void (*fn)(gpointer data), gpointer data)
{
	p->changed = fn;
	p->changed_data = data;
}

gboolean gnut_partials_enabled(const gnut_partials *p)
{
	return p->enabled;
}

/* Inclusive, sorted, disjoint, within size. */
static gboolean ranges_valid(const gnut_http_range *ranges, guint n, guint64 size)
{
	for (guint i = 0; i < n; i++) {
		if (ranges[i].end < ranges[i].start || ranges[i].end >= size)
			return FALSE;
		if (i > 0 && ranges[i].start <= ranges[i - 1].end)
			return FALSE;
	}
	return TRUE;
}

static gboolean same_ranges(const gnut_partial_file *old, const gnut_http_range *ranges, guint n)
{
	return old->n_ranges == n && memcmp(old->ranges, ranges, n * sizeof *ranges) == 0;
}

/* A hit index for a new entry: from GNUT_PARTIALS_INDEX_FIRST up, wrapping
 * there, never one in use. */
static guint32 fresh_index(gnut_partials *p)
{
	for (;;) {
		guint32 index = p->next_index;
		p->next_index = index == G_MAXUINT32 ? GNUT_PARTIALS_INDEX_FIRST : index + 1;
		gboolean used = FALSE;
		GHashTableIter it;
		gpointer value;
		g_hash_table_iter_init(&it, p->by_sha1);
		while (!used && g_hash_table_iter_next(&it, NULL, &value))
			used = ((gnut_partial_file *)value)->file->index == index;
		if (!used)
			return index;
	}
}

gboolean gnut_partials_publish(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN],
                               const char *name, guint64 size, const char *path,
                               const gnut_http_range *ranges, guint n, gint64 mtime)
{
	if (n == 0) {
		gnut_partials_withdraw(p, sha1);
		return TRUE;
	}
	if (!ranges_valid(ranges, n, size))
		return FALSE;
	gnut_partial_file *old = g_hash_table_lookup(p->by_sha1, sha1);
	if (old == NULL && g_hash_table_size(p->by_sha1) >= GNUT_PARTIALS_MAX)
		return FALSE;
	if (old != NULL && same_ranges(old, ranges, n) && strcmp(old->file->path, path) == 0)
		return TRUE; /* nothing new: keep the old time */
	guint32 index = old != NULL ? old->file->index : fresh_index(p);
	partial_box *box = g_new0(partial_box, 1);
	g_atomic_ref_count_init(&box->refs);
	gnut_partial_file *pf = &box->pub;
	pf->file = gnut_shared_file_new_outside(index, path, name, size, mtime, sha1);
	pf->ranges = g_memdup2(ranges, n * sizeof *ranges);
	pf->n_ranges = n;
	for (guint i = 0; i < n; i++)
		pf->available += ranges[i].end - ranges[i].start + 1;
	g_hash_table_replace(p->by_sha1, pf->file->sha1, pf);
	if (old == NULL && p->enabled)
		tell_changed(p);
	return TRUE;
}

void gnut_partials_withdraw(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN])
{
	if (g_hash_table_remove(p->by_sha1, sha1) && p->enabled)
		tell_changed(p);
}

gnut_partial_file *gnut_partials_by_sha1(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN])
{
	if (!p->enabled)
		return NULL;
	gnut_partial_file *pf = g_hash_table_lookup(p->by_sha1, sha1);
	return pf != NULL ? gnut_partial_file_ref(pf) : NULL;
}

/* Whether every query word starts one of the name's keywords. */
static gboolean name_matches(const char *name, const GPtrArray *words)
{
	g_autoptr(GPtrArray) keys = gnut_keywords_split_unique(name, strlen(name));
	for (guint i = 0; i < words->len; i++) {
		const char *w = g_ptr_array_index(words, i);
		gboolean found = FALSE;
		for (guint j = 0; !found && j < keys->len; j++)
			found = g_str_has_prefix(g_ptr_array_index(keys, j), w);
		if (!found)
			return FALSE;
	}
	return TRUE;
}

GPtrArray *gnut_partials_search(gnut_partials *p, const char *query, guint max)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_partial_file_unref);
	g_autoptr(GPtrArray) words = gnut_keywords_split_unique(query, strlen(query));
	if (!p->enabled || words->len == 0)
		return out;
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, p->by_sha1);
	while (out->len < max && g_hash_table_iter_next(&it, NULL, &value)) {
		gnut_partial_file *pf = value;
		if (name_matches(pf->file->name, words))
			g_ptr_array_add(out, gnut_partial_file_ref(pf));
	}
	return out;
}

GPtrArray *gnut_partials_list(gnut_partials *p)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_partial_file_unref);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, p->by_sha1);
	while (p->enabled && g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(out, gnut_partial_file_ref(value));
	return out;
}

guint gnut_partials_count(const gnut_partials *p)
{
	return g_hash_table_size(p->by_sha1);
}
