/* thex.h: the part of a file's Tiger tree (tiger-tree.h) that servents
 * exchange (THEX, "Tree Hash EXchange"): the nodes of one level of the tree
 * and everything above it, and the checks a downloader makes with them.
 *
 * Levels are counted as gtk-gnutella counts them. The tree has one leaf per
 * 1024-byte block (one empty leaf for an empty file); a level is built from
 * the one below by hashing pairs left to right, an odd last node promoted.
 * The level "at depth d" is the lowest level with at most 2^d nodes, so each
 * of its nodes is the Tiger tree root of one slice of the file: slice i
 * covers bytes [i * slice_size, (i + 1) * slice_size), the last one shorter,
 * with slice_size = 1024 * 2^k after k halvings. A file is served at its
 * "good depth" (gnut_thex_good_depth: 0 below 256 KiB, 11 from 1 GiB on),
 * so a served level never has more than 2048 nodes.
 *
 * The serialised tree (the THEX "breadthfirst" record) is the root, then
 * each level down to the served one, left to right, 24 bytes a node. */
#ifndef GNUT_THEX_H
#define GNUT_THEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/tiger-tree.h"

#define GNUT_THEX_MAX_DEPTH 11                          /* the good depth of files from 1 GiB on */
#define GNUT_THEX_MAX_LEVEL (1u << GNUT_THEX_MAX_DEPTH) /* nodes of a served level */
#define GNUT_THEX_MAX_NODES (2 * GNUT_THEX_MAX_LEVEL - 1) /* of a serialised tree */

/* One level of a file's tree and the root above it. Immutable once built. */
typedef struct {
	uint64_t file_size;
	unsigned depth;      /* the level is the one "at depth" (see above) */
	uint64_t slice_size; /* bytes under one node; the last slice may be shorter */
	size_t n_nodes;      /* 1..GNUT_THEX_MAX_LEVEL */
	uint8_t root[GNUT_TIGER_LEN];
	uint8_t *nodes; /* n_nodes * GNUT_TIGER_LEN bytes, owned */
} gnut_thex_level;

void gnut_thex_level_free(gnut_thex_level *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_thex_level, gnut_thex_level_free)

/* gtk-gnutella's depth for a file of size bytes: 0 under 256 KiB, one more
 * per doubling up to 64 MiB (depth 8), 9 under 256 MiB, 10 under 1 GiB, 11
 * from there. */
unsigned gnut_thex_good_depth(uint64_t size);
/* Nodes of the level at depth for a file of size bytes (>= 1), and the
 * bytes under each of them. depth is capped at 63. */
uint64_t gnut_thex_level_count(uint64_t size, unsigned depth);
uint64_t gnut_thex_slice_size(uint64_t size, unsigned depth);
/* Nodes of the serialised tree whose lowest level has n nodes (n >= 1). */
size_t gnut_thex_tree_nodes(size_t n);

/* The root over a level of n >= 1 nodes (nodes: n * 24 bytes). */
void gnut_thex_root_of_level(const uint8_t *nodes, size_t n, uint8_t root[GNUT_TIGER_LEN]);

/* Builds the level at the good depth as the file's bytes stream in, one
 * Tiger tree per slice. Call gnut_digest_init() first. */
typedef struct gnut_thex_builder gnut_thex_builder;
gnut_thex_builder *gnut_thex_builder_new(uint64_t file_size);
void gnut_thex_builder_update(gnut_thex_builder *b, const void *data, size_t len);
/* The level, or NULL when the bytes fed were not file_size; frees b. */
gnut_thex_level *gnut_thex_builder_finish(gnut_thex_builder *b);
void gnut_thex_builder_free(gnut_thex_builder *b);
/* The level of data[0..len) in one call. */
gnut_thex_level *gnut_thex_level_of_buffer(const void *data, size_t len);

/* A level from its nodes (n * 24 bytes), the root computed: NULL when n is
 * not the node count of the level at depth for file_size, or over
 * GNUT_THEX_MAX_LEVEL. */
gnut_thex_level *gnut_thex_level_new(uint64_t file_size, unsigned depth, const uint8_t *nodes,
                                     size_t n);

/* A level whose root is already known (from our own hash cache, written
 * from a level built here): the root is taken as given, not recomputed.
 * NULL as gnut_thex_level_new. */
gnut_thex_level *gnut_thex_level_restore(uint64_t file_size, const uint8_t root[GNUT_TIGER_LEN],
                                         const uint8_t *nodes, size_t n);
gnut_thex_level *gnut_thex_level_copy(const gnut_thex_level *l);

/* Appends the serialised tree of l (root first, down to l's level). */
void gnut_thex_serialize(const gnut_thex_level *l, GByteArray *out);

/* Reads a serialised tree received for a file of file_size bytes whose root
 * is known, as gtk-gnutella reads one: the depth announced in the XML
 * description (capped at the good depth) names the lowest level; a tree
 * with fewer nodes than that is read at the deepest level it holds whole.
 * TRUNCATED when len is not a non-zero multiple of 24 or holds too few
 * nodes, MALFORMED when the first node or the root recomputed from the
 * level is not root, TOO_LARGE over GNUT_THEX_MAX_NODES nodes. On OK *out
 * is the level (free it). */
gnut_proto_err gnut_thex_parse_tree(const uint8_t *data, size_t len, uint64_t file_size,
                                    unsigned depth, const uint8_t root[GNUT_TIGER_LEN],
                                    gnut_thex_level **out);

/* Whether data[0..len) is slice index of the file: len must be that slice's
 * length and its Tiger tree root the level's node. */
bool gnut_thex_check_slice(const gnut_thex_level *l, uint64_t index, const void *data, size_t len);
/* The slices wholly inside the byte range [start, end) (end exclusive,
 * clipped to the file): FALSE when there is none, else *first and *count. */
bool gnut_thex_slices_within(const gnut_thex_level *l, uint64_t start, uint64_t end,
                             uint64_t *first, uint64_t *count);
/* Byte range [*start, *end) of slice index (< n_nodes). */
void gnut_thex_slice_bounds(const gnut_thex_level *l, uint64_t index, uint64_t *start,
                            uint64_t *end);

#endif
