/* tiger-tree.h: the Tiger tree hash (THEX) of a file: 1024-byte leaves hashed
 * as Tiger(0x00 || leaf), inner nodes as Tiger(0x01 || left || right), a node
 * without a partner promoted unchanged to the next level. The root is what
 * urn:tree:tiger/: and the bitprint carry. Call gnut_digest_init() first. */
#ifndef GNUT_TIGER_TREE_H
#define GNUT_TIGER_TREE_H

#include <stddef.h>
#include <stdint.h>

#define GNUT_TIGER_LEN       24
#define GNUT_TIGER_LEAF_SIZE 1024

/* An incremental Tiger tree computation. Memory stays O(log n): it keeps only
 * the roots of the complete subtrees not yet paired, never every leaf. */
typedef struct gnut_tiger_tree gnut_tiger_tree;

gnut_tiger_tree *gnut_tiger_tree_new(void);
/* Feeds the next len bytes of the file, in chunks of any size. */
void gnut_tiger_tree_update(gnut_tiger_tree *t, const void *data, size_t len);
/* Writes the root to out and frees t. */
void gnut_tiger_tree_finish(gnut_tiger_tree *t, uint8_t out[GNUT_TIGER_LEN]);
/* Drops an unfinished computation. NULL is ignored. */
void gnut_tiger_tree_free(gnut_tiger_tree *t);

/* Root of the Tiger tree of data[0..len) in one call. */
void gnut_tiger_tree_buffer(const void *data, size_t len, uint8_t out[GNUT_TIGER_LEN]);

#endif
