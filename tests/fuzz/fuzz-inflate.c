/* fuzz-inflate.c: the link decompressor fed arbitrary bytes, cut in pieces
 * and drained through output buffers whose sizes the first two input bytes
 * pick. It must never overrun a buffer, never exceed its caps, and always
 * make progress or fail; and the input, compressed in sync-flushed batches,
 * must inflate back to itself. */
#include "fuzz.h"
#include "gnut/net/deflate-stream.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TOTAL (1024 * 1024)

/* Inflates data through the capped inflater; aborts on any broken promise. */
static void inflate_pieces(const uint8_t *data, size_t size, size_t in_step, size_t out_step)
{
	gnut_inflater *z = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, MAX_TOTAL);
	uint8_t *out = g_malloc(out_step);
	size_t off = 0;
	for (;;) {
		size_t feed = MIN(in_step, size - off);
		gsize used = 0, made = 0;
		GError *err = NULL;
		gboolean ok =
		    gnut_inflater_run(z, data + off, feed, &used, out, out_step, &made, &err);
		if (used > feed || made > out_step)
			abort();
		if (!ok) {
			if (err == NULL || err->domain != GNUT_DEFLATE_ERROR)
				abort();
			g_error_free(err);
			break;
		}
		if (gnut_inflater_total_out(z) > MAX_TOTAL)
			abort();
		off += used;
		if (gnut_inflater_is_finished(z) || (off == size && made < out_step))
			break;
		/* Room and input both there, yet nothing happened: a stall. */
		if (used == 0 && made == 0)
			abort();
	}
	g_free(out);
	gnut_inflater_free(z);
}

/* Compresses data in two sync-flushed batches and inflates it back. */
static void round_trip(const uint8_t *data, size_t size)
{
	gnut_deflater *d = gnut_deflater_new(-1);
	GByteArray *wire = g_byte_array_new();
	size_t half = size / 2;
	gnut_deflater_write(d, data, half, wire);
	gnut_deflater_flush(d, wire);
	gnut_deflater_write(d, data + half, size - half, wire);
	gnut_deflater_flush(d, wire);
	gnut_inflater *z = gnut_inflater_new(0, 0);
	uint8_t *back = g_malloc(size + 1);
	gsize used = 0, made = 0;
	if (!gnut_inflater_run(z, wire->data, wire->len, &used, back, size + 1, &made, NULL) ||
	    used != wire->len || made != size || memcmp(back, data, size) != 0)
		abort();
	g_free(back);
	gnut_inflater_free(z);
	g_byte_array_unref(wire);
	gnut_deflater_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t in_step = 1 + (size_t)data[0] * data[0];
	size_t out_step = 1 + (size_t)data[1] * 97;
	inflate_pieces(data + 2, size - 2, in_step, out_step);
	round_trip(data + 2, size - 2);
	return 0;
}
