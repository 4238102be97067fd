/* keyword-index.h: finds documents (file names) by word prefixes without
 * looking at every document. Each name is split into normalised keywords
 * (gnut_keywords_split_unique: NFKC, case-folded, split on everything that is
 * not a letter or digit, so also on '.', '_', '-' and spaces). Once frozen,
 * the distinct keywords sit in one sorted array: the keywords starting with a
 * query word are one contiguous range found by binary search. A query is the
 * intersection, smallest range first, of its words' ranges.
 * Build it (add, add, ..., freeze), then query it; a frozen index is
 * read-only, so several threads may query it at once. */
#ifndef GNUT_KEYWORD_INDEX_H
#define GNUT_KEYWORD_INDEX_H

#include <glib.h>

typedef struct gnut_keyword_index gnut_keyword_index;

gnut_keyword_index *gnut_keyword_index_new(void);
void gnut_keyword_index_free(gnut_keyword_index *ki);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_keyword_index, gnut_keyword_index_free)

/* Adds the document name[0..len) (UTF-8; invalid text gives it no keyword)
 * and returns its id: documents are numbered 0, 1, 2... in the order added.
 * Only before gnut_keyword_index_freeze. */
guint32 gnut_keyword_index_add(gnut_keyword_index *ki, const char *name, gsize len);

/* Sorts the keywords and builds the lookup tables; the index is read-only
 * from then on. */
void gnut_keyword_index_freeze(gnut_keyword_index *ki);

/* Ids (guint32, ascending) of the documents that have, for every keyword of
 * query[0..len), a keyword starting with it; at most max of them. A query
 * without keywords matches nothing. Only after gnut_keyword_index_freeze. */
GArray *gnut_keyword_index_query(const gnut_keyword_index *ki, const char *query, gsize len,
                                 guint max);

guint gnut_keyword_index_documents(const gnut_keyword_index *ki);
guint gnut_keyword_index_keywords(const gnut_keyword_index *ki); /* distinct ones */

#endif
