/* tiger-tree.c: the THEX Tiger tree root, computed as the bytes stream in.
 *
 * Pairing nodes level by level, left to right, with an odd last node
 * promoted, gives the same tree as this: the leaves form complete subtrees of
 * decreasing power-of-two sizes (the binary digits of the leaf count), and
 * the root joins them from the smallest, rightmost one leftwards. So the state
 * is a stack of complete-subtree roots with strictly decreasing heights: a new
 * leaf is pushed and merged with the top while the heights match (binary
 * carry), and finish folds the stack from the top. */
#include "gnut/proto/tiger-tree.h"

#include "gnut/proto/digest.h"

#include <gcrypt.h>
#include <glib.h>
#include <string.h>

/* 2^64 bytes are 2^54 leaves: heights 0..54 at most, one entry each. */
#define TIGER_TREE_MAX_DEPTH 64

typedef struct {
	uint8_t hash[GNUT_TIGER_LEN];
	unsigned height; /* the subtree covers 2^height leaves */
} subtree;

struct gnut_tiger_tree {
	gcry_md_hd_t hd; /* reused (reset) for every leaf and inner node */
	uint8_t leaf[GNUT_TIGER_LEAF_SIZE];
	size_t leaf_len;
	uint64_t leaves; /* complete leaves hashed so far */
	subtree stack[TIGER_TREE_MAX_DEPTH];
	size_t depth;
};

/* Tiger(prefix || a || b) with b optional, into out. GCRY_MD_TIGER1 is the
 * byte order of the original Tiger reference, which THEX uses. */
static void tiger_node(gcry_md_hd_t hd, uint8_t prefix, const void *a, size_t a_len, const void *b,
                       size_t b_len, uint8_t out[GNUT_TIGER_LEN])
{
	gcry_md_reset(hd);
	gcry_md_putc(hd, prefix);
	if (a_len > 0)
		gcry_md_write(hd, a, a_len);
	if (b_len > 0)
		gcry_md_write(hd, b, b_len);
	memcpy(out, gcry_md_read(hd, GCRY_MD_TIGER1), GNUT_TIGER_LEN);
}

/* Hashes one leaf (at most 1024 bytes) and pushes it, merging equal heights. */
static void push_leaf(gnut_tiger_tree *t, const uint8_t *data, size_t len)
{
	subtree node = {.height = 0};

	tiger_node(t->hd, 0x00, data, len, NULL, 0, node.hash);
	while (t->depth > 0 && t->stack[t->depth - 1].height == node.height) {
		subtree *left = &t->stack[--t->depth];
		tiger_node(t->hd, 0x01, left->hash, GNUT_TIGER_LEN, node.hash, GNUT_TIGER_LEN,
		           node.hash);
		node.height++;
	}
	g_assert(t->depth < TIGER_TREE_MAX_DEPTH);
	t->stack[t->depth++] = node;
	t->leaves++;
}

gnut_tiger_tree *gnut_tiger_tree_new(void)
{
	gnut_tiger_tree *t = g_new0(gnut_tiger_tree, 1);
	gcry_error_t err = gcry_md_open(&t->hd, GCRY_MD_TIGER1, 0);

	/* Fails only when out of memory or when Tiger is disabled (FIPS mode). */
	if (err != 0)
		g_error("cannot start a Tiger computation: %s", gcry_strerror(err));
	return t;
}

void gnut_tiger_tree_update(gnut_tiger_tree *t, const void *data, size_t len)
{
	const uint8_t *p = data;

	g_return_if_fail(t != NULL);
	if (t->leaf_len > 0) {
		size_t take = MIN(len, GNUT_TIGER_LEAF_SIZE - t->leaf_len);
		memcpy(t->leaf + t->leaf_len, p, take);
		t->leaf_len += take;
		p += take;
		len -= take;
		if (t->leaf_len < GNUT_TIGER_LEAF_SIZE)
			return;
		push_leaf(t, t->leaf, GNUT_TIGER_LEAF_SIZE);
		t->leaf_len = 0;
	}
	/* Whole leaves straight from the caller's buffer, no copy. A full last
	 * leaf is still hashed now: finish adds no empty leaf after it. */
	while (len >= GNUT_TIGER_LEAF_SIZE) {
		push_leaf(t, p, GNUT_TIGER_LEAF_SIZE);
		p += GNUT_TIGER_LEAF_SIZE;
		len -= GNUT_TIGER_LEAF_SIZE;
	}
	if (len > 0) {
		memcpy(t->leaf, p, len);
		t->leaf_len = len;
	}
}

void gnut_tiger_tree_finish(gnut_tiger_tree *t, uint8_t out[GNUT_TIGER_LEN])
{
	g_return_if_fail(t != NULL);
	/* The short last leaf, or the one empty leaf of an empty file. */
	if (t->leaf_len > 0 || t->leaves == 0)
		push_leaf(t, t->leaf, t->leaf_len);

	uint8_t acc[GNUT_TIGER_LEN];
	memcpy(acc, t->stack[t->depth - 1].hash, GNUT_TIGER_LEN);
	for (size_t i = t->depth - 1; i-- > 0;)
		tiger_node(t->hd, 0x01, t->stack[i].hash, GNUT_TIGER_LEN, acc, GNUT_TIGER_LEN, acc);
	memcpy(out, acc, GNUT_TIGER_LEN);
	gnut_tiger_tree_free(t);
}

void gnut_tiger_tree_free(gnut_tiger_tree *t)
{
	if (t == NULL)
		return;
	gcry_md_close(t->hd);
	g_free(t);
}

void gnut_tiger_tree_buffer(const void *data, size_t len, uint8_t out[GNUT_TIGER_LEN])
{
	gnut_tiger_tree *t = gnut_tiger_tree_new();

	gnut_tiger_tree_update(t, data, len);
	gnut_tiger_tree_finish(t, out);
}
