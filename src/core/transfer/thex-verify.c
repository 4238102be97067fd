/* thex-verify.c: which slices of a partial file match the source's Tiger
 * tree (thex-verify.h): a byte per slice, set once the slice's bytes, read
 * back from the file and hashed as they stream, gave the slice's node. */
#include "gnut/core/transfer/thex-verify.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define READ_BUFFER (64 * 1024)

struct gnut_thex_verifier {
	gint refs;
	GMutex lock; /* guards good */
	gnut_thex_level *level;
	guint8 *good; /* one byte per slice: checked good */
};

gnut_thex_verifier *gnut_thex_verifier_new(const gnut_thex_level *level)
{
	gnut_thex_verifier *v = g_new0(gnut_thex_verifier, 1);
	v->refs = 1;
	g_mutex_init(&v->lock);
	v->level = gnut_thex_level_copy(level);
	v->good = g_new0(guint8, level->n_nodes);
	return v;
}

gnut_thex_verifier *gnut_thex_verifier_ref(gnut_thex_verifier *v)
{
	g_atomic_int_inc(&v->refs);
	return v;
}

void gnut_thex_verifier_free(gnut_thex_verifier *v)
{
	if (v == NULL || !g_atomic_int_dec_and_test(&v->refs))
		return;
	gnut_thex_level_free(v->level);
	g_free(v->good);
	g_mutex_clear(&v->lock);
	g_free(v);
}

const gnut_thex_level *gnut_thex_verifier_level(const gnut_thex_verifier *v)
{
	return v->level;
}

/* Whether the bytes of slice i in fd hash to its node: 1 good, 0 bad (or
 * short), -1 on a read error. */
static int slice_matches(const gnut_thex_level *l, guint64 i, int fd, guint8 *buf, GError **error)
{
	guint64 start, end;
	gnut_thex_slice_bounds(l, i, &start, &end);
	gnut_tiger_tree *t = gnut_tiger_tree_new();
	for (guint64 off = start; off < end;) {
		ssize_t n =
		    pread(fd, buf, (size_t)MIN((guint64)READ_BUFFER, end - off), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			gnut_tiger_tree_free(t);
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			            "cannot read the partial file: %s", g_strerror(err));
			return -1;
		}
		if (n == 0) {
			gnut_tiger_tree_free(t);
			return 0;
		}
		gnut_tiger_tree_update(t, buf, (size_t)n);
		off += (guint64)n;
	}
	uint8_t got[GNUT_TIGER_LEN];
	gnut_tiger_tree_finish(t, got);
	return memcmp(got, l->nodes + i * GNUT_TIGER_LEN, GNUT_TIGER_LEN) == 0;
}

gint64 gnut_thex_verifier_check(gnut_thex_verifier *v, int fd, guint64 start, guint64 end,
                                GArray *bad, GError **error)
{
	guint64 first, count;
	if (!gnut_thex_slices_within(v->level, start, end, &first, &count))
		return 0;
	g_autofree guint8 *buf = g_malloc(READ_BUFFER);
	gint64 checked = 0;
	for (guint64 i = first; i < first + count; i++) {
		g_mutex_lock(&v->lock);
		gboolean known = v->good[i];
		g_mutex_unlock(&v->lock);
		if (known)
			continue;
		int ok = slice_matches(v->level, i, fd, buf, error);
		if (ok < 0)
			return -1;
		if (ok) {
			g_mutex_lock(&v->lock);
			v->good[i] = 1;
			g_mutex_unlock(&v->lock);
			checked++;
		} else if (bad != NULL) {
			guint64 s, e;
			gnut_thex_slice_bounds(v->level, i, &s, &e);
			gnut_http_range r = {s, e > s ? e - 1 : s};
			g_array_append_val(bad, r);
		}
	}
	return checked;
}

/* The slices touching [start, end): [*a, *b). */
static void touching(const gnut_thex_level *l, guint64 start, guint64 end, guint64 *a, guint64 *b)
{
	*a = MIN(start / l->slice_size, l->n_nodes);
	*b = end == 0 ? 0 : MIN((end - 1) / l->slice_size + 1, l->n_nodes);
}

gboolean gnut_thex_verifier_is_good(gnut_thex_verifier *v, guint64 start, guint64 end)
{
	guint64 a, b;
	touching(v->level, start, end, &a, &b);
	gboolean all = a < b;
	g_mutex_lock(&v->lock);
	for (guint64 i = a; i < b && all; i++)
		all = v->good[i] != 0;
	g_mutex_unlock(&v->lock);
	return all;
}

GArray *gnut_thex_verifier_good_ranges(gnut_thex_verifier *v)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	g_mutex_lock(&v->lock);
	for (guint64 i = 0; i < v->level->n_nodes; i++) {
		if (!v->good[i])
			continue;
		guint64 s, e;
		gnut_thex_slice_bounds(v->level, i, &s, &e);
		if (e == s)
			continue; /* the one empty slice of an empty file */
		gnut_http_range *last =
		    out->len > 0 ? &g_array_index(out, gnut_http_range, out->len - 1) : NULL;
		if (last != NULL && last->end + 1 == s) {
			last->end = e - 1;
		} else {
			gnut_http_range r = {s, e - 1};
			g_array_append_val(out, r);
		}
	}
	g_mutex_unlock(&v->lock);
	return out;
}

void gnut_thex_verifier_forget(gnut_thex_verifier *v, guint64 start, guint64 end)
{
	guint64 a, b;
	touching(v->level, start, end, &a, &b);
	g_mutex_lock(&v->lock);
	for (guint64 i = a; i < b; i++)
		v->good[i] = 0;
	g_mutex_unlock(&v->lock);
}
