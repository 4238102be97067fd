/* thex.c: the served level of a Tiger tree, its serialisation root first,
 * the reading of a received tree against a known root, and the check of
 * one slice of the file against its node (thex.h).
 *
 * The slices of a level are aligned on a power of two of blocks, so the
 * pairing inside one slice is the pairing of the whole tree: the node of a
 * slice is the Tiger tree root of its bytes alone (tiger-tree.h), which is
 * how both the builder and the slice check compute it. */
#include "gnut/proto/thex.h"

#include <gcrypt.h>
#include <string.h>

#define MAX_COUNTED_DEPTH 63

static uint64_t block_count(uint64_t size)
{
	uint64_t n = size / GNUT_TIGER_LEAF_SIZE + (size % GNUT_TIGER_LEAF_SIZE != 0);
	return n > 0 ? n : 1; /* an empty file has one empty leaf */
}

unsigned gnut_thex_good_depth(uint64_t size)
{
	static const uint64_t thresholds[] = {
	    256u << 10, 512u << 10, 1u << 20,  2u << 20,   4u << 20, 8u << 20,
	    16u << 20,  32u << 20,  64u << 20, 256u << 20, 1u << 30,
	};
	unsigned depth = 0;
	while (depth < G_N_ELEMENTS(thresholds) && size >= thresholds[depth])
		depth++;
	return depth;
}

/* The halvings k from the leaves up to the level at depth, and its count. */
static unsigned level_height(uint64_t size, unsigned depth, uint64_t *count)
{
	uint64_t max = (uint64_t)1 << MIN(depth, MAX_COUNTED_DEPTH);
	uint64_t n = block_count(size);
	unsigned k = 0;
	while (n > max) {
		n = (n + 1) / 2;
		k++;
	}
	if (count != NULL)
		*count = n;
	return k;
}

uint64_t gnut_thex_level_count(uint64_t size, unsigned depth)
{
	uint64_t n;
	level_height(size, depth, &n);
	return n;
}

uint64_t gnut_thex_slice_size(uint64_t size, unsigned depth)
{
	return (uint64_t)GNUT_TIGER_LEAF_SIZE << level_height(size, depth, NULL);
}

size_t gnut_thex_tree_nodes(size_t n)
{
	size_t total = n;
	while (n > 1) {
		n = (n + 1) / 2;
		total += n;
	}
	return total;
}

/* Tiger(0x01 || a || b): an inner node. */
static void inner_node(gcry_md_hd_t hd, const uint8_t *a, const uint8_t *b, uint8_t *out)
{
	gcry_md_reset(hd);
	gcry_md_putc(hd, 0x01);
	gcry_md_write(hd, a, GNUT_TIGER_LEN);
	gcry_md_write(hd, b, GNUT_TIGER_LEN);
	memcpy(out, gcry_md_read(hd, GCRY_MD_TIGER1), GNUT_TIGER_LEN);
}

static gcry_md_hd_t open_tiger(void)
{
	gcry_md_hd_t hd;
	if (gcry_md_open(&hd, GCRY_MD_TIGER1, 0) != 0)
		g_error("cannot start a Tiger computation");
	return hd;
}

/* Writes the level above src (n nodes) into dst; returns its count. dst
 * may be src. */
static size_t parent_level(gcry_md_hd_t hd, const uint8_t *src, size_t n, uint8_t *dst)
{
	size_t i;
	for (i = 0; i < n / 2; i++)
		inner_node(hd, src + 2 * i * GNUT_TIGER_LEN, src + (2 * i + 1) * GNUT_TIGER_LEN,
		           dst + i * GNUT_TIGER_LEN);
	if (n % 2 != 0)
		memmove(dst + i * GNUT_TIGER_LEN, src + (n - 1) * GNUT_TIGER_LEN, GNUT_TIGER_LEN);
	return i + n % 2;
}

void gnut_thex_root_of_level(const uint8_t *nodes, size_t n, uint8_t root[GNUT_TIGER_LEN])
{
	g_return_if_fail(n >= 1);
	g_autofree uint8_t *work = g_memdup2(nodes, n * GNUT_TIGER_LEN);
	gcry_md_hd_t hd = open_tiger();
	while (n > 1)
		n = parent_level(hd, work, n, work);
	gcry_md_close(hd);
	memcpy(root, work, GNUT_TIGER_LEN);
}

void gnut_thex_level_free(gnut_thex_level *l)
{
	if (l == NULL)
		return;
	g_free(l->nodes);
	g_free(l);
}

/* The level without its root. */
static gnut_thex_level *level_alloc(uint64_t file_size, unsigned depth, const uint8_t *nodes,
                                    size_t n)
{
	uint64_t want = gnut_thex_level_count(file_size, depth);
	if (n == 0 || n != want || n > GNUT_THEX_MAX_LEVEL)
		return NULL;
	gnut_thex_level *l = g_new0(gnut_thex_level, 1);
	l->file_size = file_size;
	l->depth = depth;
	l->slice_size = gnut_thex_slice_size(file_size, depth);
	l->n_nodes = n;
	l->nodes = g_memdup2(nodes, n * GNUT_TIGER_LEN);
	return l;
}

gnut_thex_level *gnut_thex_level_new(uint64_t file_size, unsigned depth, const uint8_t *nodes,
                                     size_t n)
{
	gnut_thex_level *l = level_alloc(file_size, depth, nodes, n);
	if (l != NULL)
		gnut_thex_root_of_level(l->nodes, n, l->root);
	return l;
}

gnut_thex_level *gnut_thex_level_restore(uint64_t file_size, const uint8_t root[GNUT_TIGER_LEN],
                                         const uint8_t *nodes, size_t n)
{
	gnut_thex_level *l = level_alloc(file_size, gnut_thex_good_depth(file_size), nodes, n);
	if (l != NULL)
		memcpy(l->root, root, GNUT_TIGER_LEN);
	return l;
}

gnut_thex_level *gnut_thex_level_copy(const gnut_thex_level *l)
{
	gnut_thex_level *c = level_alloc(l->file_size, l->depth, l->nodes, l->n_nodes);
	memcpy(c->root, l->root, GNUT_TIGER_LEN);
	return c;
}

struct gnut_thex_builder {
	uint64_t file_size;
	uint64_t fed;
	uint64_t slice_size;
	uint64_t in_slice; /* bytes of the current slice fed so far */
	gnut_tiger_tree *slice;
	GByteArray *nodes;
	unsigned depth;
};

gnut_thex_builder *gnut_thex_builder_new(uint64_t file_size)
{
	gnut_thex_builder *b = g_new0(gnut_thex_builder, 1);
	b->file_size = file_size;
	b->depth = gnut_thex_good_depth(file_size);
	b->slice_size = gnut_thex_slice_size(file_size, b->depth);
	b->slice = gnut_tiger_tree_new();
	b->nodes = g_byte_array_new();
	return b;
}

static void close_slice(gnut_thex_builder *b)
{
	uint8_t node[GNUT_TIGER_LEN];
	gnut_tiger_tree_finish(b->slice, node);
	g_byte_array_append(b->nodes, node, sizeof node);
	b->slice = gnut_tiger_tree_new();
	b->in_slice = 0;
}

void gnut_thex_builder_update(gnut_thex_builder *b, const void *data, size_t len)
{
	const uint8_t *p = data;
	g_return_if_fail(b != NULL);
	b->fed += len;
	while (len > 0) {
		size_t take = (size_t)MIN((uint64_t)len, b->slice_size - b->in_slice);
		gnut_tiger_tree_update(b->slice, p, take);
		b->in_slice += take;
		p += take;
		len -= take;
		if (b->in_slice == b->slice_size)
			close_slice(b);
	}
}

gnut_thex_level *gnut_thex_builder_finish(gnut_thex_builder *b)
{
	g_return_val_if_fail(b != NULL, NULL);
	/* The short last slice, or the one empty slice of an empty file. */
	if (b->in_slice > 0 || b->nodes->len == 0)
		close_slice(b);
	gnut_thex_level *l = NULL;
	if (b->fed == b->file_size)
		l = gnut_thex_level_new(b->file_size, b->depth, b->nodes->data,
		                        b->nodes->len / GNUT_TIGER_LEN);
	gnut_thex_builder_free(b);
	return l;
}

void gnut_thex_builder_free(gnut_thex_builder *b)
{
	if (b == NULL)
		return;
	gnut_tiger_tree_free(b->slice);
	g_byte_array_unref(b->nodes);
	g_free(b);
}

gnut_thex_level *gnut_thex_level_of_buffer(const void *data, size_t len)
{
	gnut_thex_builder *b = gnut_thex_builder_new(len);
	gnut_thex_builder_update(b, data, len);
	return gnut_thex_builder_finish(b);
}

void gnut_thex_serialize(const gnut_thex_level *l, GByteArray *out)
{
	g_return_if_fail(l != NULL && out != NULL);
	/* Levels bottom-up in one buffer, then appended top-down. */
	size_t total = gnut_thex_tree_nodes(l->n_nodes);
	g_autofree uint8_t *all = g_malloc(total * GNUT_TIGER_LEN);
	size_t offset[64], count[64]; /* 2048 nodes make 12 levels */
	size_t levels = 0, at = 0, n = l->n_nodes;
	memcpy(all, l->nodes, n * GNUT_TIGER_LEN);
	gcry_md_hd_t hd = open_tiger();
	for (;;) {
		offset[levels] = at;
		count[levels++] = n;
		if (n == 1)
			break;
		size_t up =
		    parent_level(hd, all + at * GNUT_TIGER_LEN, n, all + (at + n) * GNUT_TIGER_LEN);
		at += n;
		n = up;
	}
	gcry_md_close(hd);
	for (size_t i = levels; i-- > 0;)
		g_byte_array_append(out, all + offset[i] * GNUT_TIGER_LEN,
		                    (guint)(count[i] * GNUT_TIGER_LEN));
}

/* The depth of the deepest level a tree of n_nodes holds whole. */
static unsigned depth_held(uint64_t file_size, unsigned depth, size_t n_nodes)
{
	while (depth > 0 && gnut_thex_tree_nodes(gnut_thex_level_count(file_size, depth)) > n_nodes)
		depth--;
	return depth;
}

gnut_proto_err gnut_thex_parse_tree(const uint8_t *data, size_t len, uint64_t file_size,
                                    unsigned depth, const uint8_t root[GNUT_TIGER_LEN],
                                    gnut_thex_level **out)
{
	*out = NULL;
	if (len == 0 || len % GNUT_TIGER_LEN != 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	size_t n_nodes = len / GNUT_TIGER_LEN;
	if (n_nodes > GNUT_THEX_MAX_NODES)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (memcmp(data, root, GNUT_TIGER_LEN) != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	depth = MIN(depth, gnut_thex_good_depth(file_size));
	depth = depth_held(file_size, depth, n_nodes);
	uint64_t n = gnut_thex_level_count(file_size, depth);
	size_t start = gnut_thex_tree_nodes((size_t)n) - (size_t)n;
	if (n_nodes < start + n)
		return GNUT_PROTO_ERR_TRUNCATED;
	g_autoptr(gnut_thex_level) l =
	    gnut_thex_level_new(file_size, depth, data + start * GNUT_TIGER_LEN, (size_t)n);
	if (l == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	if (memcmp(l->root, root, GNUT_TIGER_LEN) != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	*out = g_steal_pointer(&l);
	return GNUT_PROTO_OK;
}

void gnut_thex_slice_bounds(const gnut_thex_level *l, uint64_t index, uint64_t *start,
                            uint64_t *end)
{
	*start = MIN(index * l->slice_size, l->file_size);
	*end = MIN(*start + l->slice_size, l->file_size);
}

bool gnut_thex_check_slice(const gnut_thex_level *l, uint64_t index, const void *data, size_t len)
{
	g_return_val_if_fail(l != NULL, false);
	if (index >= l->n_nodes)
		return false;
	uint64_t start, end;
	gnut_thex_slice_bounds(l, index, &start, &end);
	if ((uint64_t)len != end - start)
		return false;
	uint8_t got[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer(data, len, got);
	return memcmp(got, l->nodes + index * GNUT_TIGER_LEN, GNUT_TIGER_LEN) == 0;
}

bool gnut_thex_slices_within(const gnut_thex_level *l, uint64_t start, uint64_t end,
                             uint64_t *first, uint64_t *count)
{
	g_return_val_if_fail(l != NULL, false);
	end = MIN(end, l->file_size);
	if (start >= end && !(l->file_size == 0 && start == 0))
		return false;
	uint64_t a = start / l->slice_size + (start % l->slice_size != 0);
	/* A slice ends on a multiple of slice_size, or at the end of the file. */
	uint64_t b = end == l->file_size ? l->n_nodes : end / l->slice_size;
	if (b <= a)
		return false;
	*first = a;
	*count = b - a;
	return true;
}
