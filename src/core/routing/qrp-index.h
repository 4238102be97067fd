/* qrp-index.h: which links' query routing tables a query hits, without
 * checking every table, private to the routing room. The index maps each
 * slot of a 2^GNUT_QRP_INDEX_BITS table to the set of links whose table has
 * it present (one bit per link: slot-major bitsets), so a query costs one
 * AND of a few rows (one per keyword) however many links there are, and a
 * link's answer is then one bit.
 *
 * QRP slots are the top bits of a 32-bit hashcode, so a table of fewer bits
 * is indexed exactly (each of its slots covers several index slots); a
 * table of more bits is folded onto the index (a row marks "some slot under
 * it present") and those links' candidates are checked against their own
 * table. Indexing a table costs a pass over its present slots and one
 * column of the index; it is done once a PATCH sequence completes. */
#ifndef GNUT_QRP_INDEX_H
#define GNUT_QRP_INDEX_H

#include <glib.h>

#include "gnut/proto/qrp-table.h"

#define GNUT_QRP_INDEX_BITS 16

typedef struct gnut_qrp_index gnut_qrp_index;

gnut_qrp_index *gnut_qrp_index_new(void);
void gnut_qrp_index_free(gnut_qrp_index *x);

/* Indexes link's table t (ready; replaces what was indexed for link). The
 * index keeps a pointer to t for links whose table it folds: t must stay
 * valid, unchanged, until the link is set again or removed. */
void gnut_qrp_index_set(gnut_qrp_index *x, guint64 link, const gnut_qrp_table *t);
/* Forgets link (nothing happens when it is not indexed). */
void gnut_qrp_index_remove(gnut_qrp_index *x, guint64 link);
gboolean gnut_qrp_index_has(const gnut_qrp_index *x, guint64 link);

/* Selects the links whose table every hashcode of codes[0..n) hits (as
 * gnut_qrp_query_hashcodes gives them); gnut_qrp_index_selected answers
 * for one link until the next select or change. With n == 0 every link is
 * selected, as gnut_qrp_table_matches passes a query with no word to
 * check. */
void gnut_qrp_index_select(gnut_qrp_index *x, const uint32_t *codes, guint n);
gboolean gnut_qrp_index_selected(const gnut_qrp_index *x, guint64 link);

typedef enum {
	GNUT_QRP_INDEX_ABSENT = 0, /* link is not indexed */
	GNUT_QRP_INDEX_MISS,       /* indexed, not selected */
	GNUT_QRP_INDEX_HIT,        /* indexed and selected */
} gnut_qrp_index_answer;

/* gnut_qrp_index_has and gnut_qrp_index_selected in one look-up: what the
 * router asks of every link for every query. */
gnut_qrp_index_answer gnut_qrp_index_lookup(const gnut_qrp_index *x, guint64 link);

/* Bytes the index holds (for status and the capacity benchmark). */
gsize gnut_qrp_index_bytes(const gnut_qrp_index *x);

#endif
