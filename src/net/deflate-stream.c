/* deflate-stream.c: zlib stream compressor and capped decompressor (see
 * deflate-stream.h). zlib counts in uInt, so large buffers are fed in
 * pieces; our own 64-bit totals back the caps.
 *
 * A released compressor frees its zlib state (deflateEnd) at a flush
 * boundary and starts a raw deflate stream (no header) of the same window
 * when written to again: the peer's inflater sees one zlib stream whose
 * later blocks never reach back before the release, which is valid deflate.
 * The zlib trailer (Adler-32) would then be wrong, but a link's stream is
 * never finished: it ends with the connection. */
#include "gnut/net/deflate-stream.h"

#include <string.h>

#include <zlib.h>

/* How much output room the compressor asks for at a time. */
#define DEFLATE_OUT_STEP 4096

struct gnut_deflater {
	z_stream zs;
	int level;
	int window_bits;
	int mem_level;
	gboolean flushed;  /* nothing written since the last flush, which came */
	gboolean released; /* zs is ended: re-created (raw) on the next write */
	guint64 total_in;
	guint64 total_out;
};

struct gnut_inflater {
	z_stream zs;
	guint max_ratio;
	guint64 max_total;
	guint64 total_in;
	guint64 total_out;
	gboolean finished;
	gboolean failed;
};

GQuark gnut_deflate_error_quark(void)
{
	return g_quark_from_static_string("gnut-deflate-error-quark");
}

/* window_bits negative: a raw stream (no zlib header). */
static void deflater_init(gnut_deflater *d, int window_bits)
{
	memset(&d->zs, 0, sizeof d->zs);
	/* Only Z_MEM_ERROR is possible with valid arguments; GLib aborts on
	 * out-of-memory everywhere else, so do the same. */
	if (deflateInit2(&d->zs, d->level, Z_DEFLATED, window_bits, d->mem_level,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		g_error("deflateInit2: out of memory");
}

gnut_deflater *gnut_deflater_new_sized(int level, int window_bits, int mem_level)
{
	g_return_val_if_fail(level >= -1 && level <= 9, NULL);
	g_return_val_if_fail(window_bits >= 9 && window_bits <= 15, NULL);
	g_return_val_if_fail(mem_level >= 1 && mem_level <= 9, NULL);
	gnut_deflater *d = g_new0(gnut_deflater, 1);
	d->level = level;
	d->window_bits = window_bits;
	d->mem_level = mem_level;
	deflater_init(d, window_bits);
	return d;
}

gnut_deflater *gnut_deflater_new(int level)
{
	return gnut_deflater_new_sized(level, GNUT_DEFLATE_WINDOW_BITS, GNUT_DEFLATE_MEM_LEVEL);
}

void gnut_deflater_free(gnut_deflater *d)
{
	if (d == NULL)
		return;
	if (!d->released)
		deflateEnd(&d->zs);
	g_free(d);
}

gboolean gnut_deflater_release(gnut_deflater *d)
{
	g_return_val_if_fail(d != NULL, FALSE);
	if (d->released || !d->flushed)
		return FALSE;
	deflateEnd(&d->zs);
	d->released = TRUE;
	return TRUE;
}

gboolean gnut_deflater_is_released(const gnut_deflater *d)
{
	return d->released;
}

/* Runs deflate over in[0..len) with the given flush mode, growing out as
 * needed. With Z_SYNC_FLUSH zlib is done once it leaves output room unused. */
static void deflate_run(gnut_deflater *d, const guint8 *in, gsize len, int flush, GByteArray *out)
{
	gsize off = 0;
	do {
		uInt chunk = (uInt)MIN(len - off, (gsize)G_MAXUINT);
		d->zs.next_in = (Bytef *)(in + off);
		d->zs.avail_in = chunk;
		gboolean last = off + chunk == len;
		int mode = last ? flush : Z_NO_FLUSH;
		do {
			guint old = out->len;
			g_byte_array_set_size(out, old + DEFLATE_OUT_STEP);
			d->zs.next_out = out->data + old;
			d->zs.avail_out = DEFLATE_OUT_STEP;
			int rc = deflate(&d->zs, mode);
			/* Z_BUF_ERROR only means "no progress possible", which
			 * ends the loop below anyway. */
			g_assert(rc == Z_OK || rc == Z_BUF_ERROR);
			guint made = DEFLATE_OUT_STEP - d->zs.avail_out;
			g_byte_array_set_size(out, old + made);
			d->total_out += made;
		} while (d->zs.avail_out == 0 || d->zs.avail_in > 0);
		off += chunk;
		d->total_in += chunk;
	} while (off < len);
}

void gnut_deflater_write(gnut_deflater *d, const guint8 *in, gsize len, GByteArray *out)
{
	g_return_if_fail(d != NULL && (in != NULL || len == 0) && out != NULL);
	if (len == 0)
		return;
	if (d->released) {
		deflater_init(d, -d->window_bits);
		d->released = FALSE;
	}
	d->flushed = FALSE;
	deflate_run(d, in, len, Z_NO_FLUSH, out);
}

void gnut_deflater_flush(gnut_deflater *d, GByteArray *out)
{
	g_return_if_fail(d != NULL && out != NULL);
	if (d->released)
		return; /* nothing written since the release: nothing to flush */
	deflate_run(d, NULL, 0, Z_SYNC_FLUSH, out);
	d->flushed = TRUE;
}

guint64 gnut_deflater_total_in(const gnut_deflater *d)
{
	return d->total_in;
}

guint64 gnut_deflater_total_out(const gnut_deflater *d)
{
	return d->total_out;
}

gnut_inflater *gnut_inflater_new(guint max_ratio, guint64 max_total)
{
	gnut_inflater *z = g_new0(gnut_inflater, 1);
	z->max_ratio = max_ratio;
	z->max_total = max_total;
	/* Window 0: the one the stream's header names, allocated when first
	 * needed; a peer with a small window costs us a small one. */
	if (inflateInit2(&z->zs, 0) != Z_OK)
		g_error("inflateInit2: out of memory");
	return z;
}

void gnut_inflater_free(gnut_inflater *z)
{
	if (z == NULL)
		return;
	inflateEnd(&z->zs);
	g_free(z);
}

static gboolean inflate_fail(gnut_inflater *z, GError **error, gnut_deflate_error code,
                             const char *what)
{
	z->failed = TRUE;
	g_set_error(error, GNUT_DEFLATE_ERROR, code, "inflate: %s", what);
	return FALSE;
}

/* Checks the caps after a run; output past max_total is detected because
 * the run was allowed exactly one byte more than the cap. */
static gboolean inflate_check_caps(gnut_inflater *z, GError **error)
{
	if (z->max_total > 0 && z->total_out > z->max_total)
		return inflate_fail(z, error, GNUT_DEFLATE_ERROR_BOMB,
		                    "output over the total size cap");
	if (z->max_ratio > 0 &&
	    z->total_out > z->total_in * z->max_ratio + GNUT_INFLATE_RATIO_SLACK)
		return inflate_fail(z, error, GNUT_DEFLATE_ERROR_BOMB,
		                    "output over the compression ratio cap");
	return TRUE;
}

gboolean gnut_inflater_run(gnut_inflater *z, const guint8 *in, gsize in_len, gsize *consumed,
                           guint8 *out, gsize out_cap, gsize *produced, GError **error)
{
	g_return_val_if_fail(z != NULL && !z->failed, FALSE);
	g_return_val_if_fail((in != NULL || in_len == 0) && (out != NULL || out_cap == 0), FALSE);
	*consumed = 0;
	*produced = 0;
	gsize limit = out_cap;
	if (z->max_total > 0)
		limit = MIN(limit, z->max_total - z->total_out + 1);
	while (!z->finished && *produced < limit) {
		uInt in_chunk = (uInt)MIN(in_len - *consumed, (gsize)G_MAXUINT);
		uInt out_chunk = (uInt)MIN(limit - *produced, (gsize)G_MAXUINT);
		z->zs.next_in = (Bytef *)(in + *consumed);
		z->zs.avail_in = in_chunk;
		z->zs.next_out = out + *produced;
		z->zs.avail_out = out_chunk;
		int rc = inflate(&z->zs, Z_NO_FLUSH);
		gsize used = in_chunk - z->zs.avail_in;
		gsize made = out_chunk - z->zs.avail_out;
		*consumed += used;
		*produced += made;
		z->total_in += used;
		z->total_out += made;
		/* Errors first: zlib may report one without consuming a byte. */
		if (rc == Z_STREAM_END)
			z->finished = TRUE;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return inflate_fail(z, error, GNUT_DEFLATE_ERROR_CORRUPT,
			                    z->zs.msg != NULL ? z->zs.msg : "corrupt stream");
		else if (rc == Z_BUF_ERROR || (used == 0 && made == 0))
			break; /* needs more input */
	}
	if (!inflate_check_caps(z, error))
		return FALSE;
	if (z->finished && *consumed < in_len)
		return inflate_fail(z, error, GNUT_DEFLATE_ERROR_TRAILING,
		                    "data after the end of the stream");
	return TRUE;
}

gboolean gnut_inflater_is_finished(const gnut_inflater *z)
{
	return z->finished;
}

guint64 gnut_inflater_total_in(const gnut_inflater *z)
{
	return z->total_in;
}

guint64 gnut_inflater_total_out(const gnut_inflater *z)
{
	return z->total_out;
}
