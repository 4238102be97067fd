/* qrp-table.h: a query routing table: 2^bits slots, each "present" (some
 * keyword hashed there) or not. One object serves both sides of a link:
 * - our own table, built from our keywords (and, as an ultrapeer, merged
 *   with our leaves' tables), turned into RESET + PATCH payloads;
 * - a peer's table, rebuilt from the RESET and PATCH messages it sends.
 * Slots hold presence only, not hop counts: the ultrapeer scheme routes on
 * the last hop only and requires bit tables (doc/gnutella/ultrapeer_qrp,
 * section 2.4), and the reference servent (gtk-gnutella) keeps one bit per
 * slot too. A patch entry with the sign bit set marks its slot present, a
 * positive one absent, 0 leaves it alone; with 1-bit entries a 1 flips the
 * slot (gtk-gnutella's reading of them). */
#ifndef GNUT_QRP_TABLE_H
#define GNUT_QRP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/qrp-msg.h"

/* Our table's size: the 64K slots ultrapeer_qrp 2.5 recommends for leaves and
 * ultrapeers, and what LimeWire sends. */
#define GNUT_QRP_DEFAULT_SLOTS 65536u

/* Words shorter than this many characters are never checked by
 * gnut_qrp_table_matches (gtk-gnutella leaves them out of its tables, so
 * demanding them would hide its leaves' files), and with prefixes on, the
 * shortest prefix inserted is this long (gtk-gnutella's rule). */
#define GNUT_QRP_MIN_WORD 3

/* The slice size of the PATCH messages we send when the caller does not say. */
#define GNUT_QRP_DEFAULT_CHUNK 4096

typedef struct gnut_qrp_table gnut_qrp_table;

/* A table of `slots` slots (a power of two, 1 to GNUT_QRP_MAX_SLOTS), all
 * absent, ready. */
gnut_qrp_table *gnut_qrp_table_new(uint32_t slots);

/* The table of a link before the peer's first RESET: no slots, not ready. */
gnut_qrp_table *gnut_qrp_table_new_remote(void);

/* A copy of t's slots (keep it as "the table last sent" for the next
 * incremental update); a PATCH sequence in progress is not copied. */
gnut_qrp_table *gnut_qrp_table_copy(const gnut_qrp_table *t);

void gnut_qrp_table_free(gnut_qrp_table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_qrp_table, gnut_qrp_table_free)

uint32_t gnut_qrp_table_slots(const gnut_qrp_table *t);
/* log2 of the slot count: the `bits` argument of gnut_qrp_hash. */
unsigned gnut_qrp_table_bits(const gnut_qrp_table *t);
/* How many slots are present. */
uint32_t gnut_qrp_table_count(const gnut_qrp_table *t);
bool gnut_qrp_table_get(const gnut_qrp_table *t, uint32_t slot);
/* True for tables built here, and for a peer's once a whole PATCH sequence
 * has been applied after its last RESET. Until then the spec says to treat
 * the link as if it had no table. */
bool gnut_qrp_table_ready(const gnut_qrp_table *t);
/* Same size and same present slots. */
bool gnut_qrp_table_equal(const gnut_qrp_table *a, const gnut_qrp_table *b);

/* Marks keyword kw[0..len) present (kw as gnut_keywords_split returns it).
 * With prefixes, every leading part of it of GNUT_QRP_MIN_WORD characters or
 * more is marked as well, as gtk-gnutella does so that a query for "beat"
 * reaches a file named "beatles". Use prefixes exactly when the share index
 * answers queries by word prefix; whole words alone keep the table sparser. */
void gnut_qrp_table_add(gnut_qrp_table *t, const char *kw, size_t len, bool prefixes);

/* A new table of `slots` slots with every keyword of the array added. */
gnut_qrp_table *gnut_qrp_table_from_keywords(uint32_t slots, const GPtrArray *keywords,
                                             bool prefixes);

/* ORs src into dst, scaling between sizes as the spec's interpolation does
 * (a smaller src spreads each slot over several of dst's; a larger one folds
 * several of its slots into one). How an ultrapeer builds the table it sends
 * other ultrapeers: its own keywords merged with every leaf's table. */
void gnut_qrp_table_merge(gnut_qrp_table *dst, const gnut_qrp_table *src);

/* True when every keyword of at least GNUT_QRP_MIN_WORD characters hashes to
 * a present slot (keywords: g_malloc'd normalised strings, as from
 * gnut_keywords_split). A query with no such keyword matches: the table
 * cannot tell, and sending it costs less than hiding files. */
bool gnut_qrp_table_matches(const gnut_qrp_table *t, const GPtrArray *keywords);

/* The QRP hashcodes (gnut_qrp_hashcode) of the keywords that
 * gnut_qrp_table_matches checks, those of GNUT_QRP_MIN_WORD characters or
 * more: hashed once per query, whatever the number of tables it is checked
 * against (a GArray of uint32_t). */
GArray *gnut_qrp_query_hashcodes(const GPtrArray *keywords);
/* gnut_qrp_table_matches with the keywords already hashed. */
bool gnut_qrp_table_matches_codes(const gnut_qrp_table *t, const uint32_t *codes, size_t n);

/* The first present slot at or after `from`, or the slot count when none. */
uint32_t gnut_qrp_table_next_present(const gnut_qrp_table *t, uint32_t from);

/* Feeds one decoded QRP message received from the peer whose table t is.
 * RESET resizes and empties the table (and drops a sequence in progress).
 * PATCH messages are applied as they come (each one's data inflated, zlib,
 * never beyond the size the table needs) to a staging copy of the slots,
 * which replaces them when the last message of the sequence checks out: a
 * table being patched holds two bitmaps and a zlib stream, whatever the
 * entry size, compression or slicing of the patch. Errors (close the link:
 * the spec gives no way to recover): GNUT_PROTO_ERR_MALFORMED for a PATCH
 * before any RESET, out of order, or changing seq_size / compressor /
 * entry_bits mid-sequence, or for zlib data that does not inflate;
 * GNUT_PROTO_ERR_TOO_LARGE when the data received or inflated is bigger
 * than the table needs; GNUT_PROTO_ERR_TRUNCATED when the sequence ends
 * short of it (or mid-stream); GNUT_PROTO_ERR_TRAILING for bytes after the
 * end of the zlib stream. On error the sequence is dropped and the slots
 * are unchanged; a sequence is applied all at once or not at all. */
gnut_proto_err gnut_qrp_table_receive(gnut_qrp_table *t, const gnut_qrp_msg *msg);

/* How gnut_qrp_table_encode_update writes the table. */
typedef struct {
	uint8_t entry_bits; /* 4 or 8 */
	uint8_t infinity;   /* the RESET's; 2 to 8 with 4-bit entries, to 128 with 8 */
	uint8_t compressor; /* GNUT_QRP_COMPRESSOR_NONE or _ZLIB */
	size_t chunk_size;  /* data bytes per PATCH, raised if 255 would not hold it */
} gnut_qrp_encode_opts;

/* zlib, 4-bit entries, infinity 7 (the spec's examples; adding a keyword is
 * the delta -6), 4 KiB slices. */
#define GNUT_QRP_ENCODE_DEFAULTS                                                                   \
	((gnut_qrp_encode_opts){4, 7, GNUT_QRP_COMPRESSOR_ZLIB, GNUT_QRP_DEFAULT_CHUNK})

/* The QRP payloads (GBytes, in sending order) that bring a peer holding
 * `sent` (the table last sent to it, or NULL for none) up to t: a RESET when
 * sent is NULL or of another size, then the PATCH sequence of the
 * difference (at most 255 messages). An empty array when nothing changed.
 * opts NULL means GNUT_QRP_ENCODE_DEFAULTS. Each payload goes out as a
 * message of type GNUT_QRP_MSG_TYPE with TTL 1 and hops 0. */
GPtrArray *gnut_qrp_table_encode_update(const gnut_qrp_table *t, const gnut_qrp_table *sent,
                                        const gnut_qrp_encode_opts *opts);

#endif
