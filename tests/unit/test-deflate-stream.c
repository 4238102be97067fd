/* test-deflate-stream.c: sync-flushed batches decode at once, the output
 * cap per call holds, bombs and corrupt or trailing data are errors. */
#include "gnut/net/deflate-stream.h"
#include "unit.h"

#include <string.h>
#include <zlib.h>

/* Inflates all of in through a buffer of out_step bytes per call, feeding
 * in_step input bytes at a time; returns FALSE on error (kept in *error). */
static gboolean inflate_all(gnut_inflater *z, const guint8 *in, gsize len, gsize in_step,
                            gsize out_step, GByteArray *out, GError **error)
{
	gsize off = 0;
	guint8 *buf = g_malloc(out_step);
	gboolean ok = TRUE;
	for (;;) {
		gsize feed = MIN(in_step, len - off);
		gsize used = 0, made = 0;
		ok = gnut_inflater_run(z, in + off, feed, &used, buf, out_step, &made, error);
		if (!ok)
			break;
		CU_ASSERT_TRUE(made <= out_step);
		g_byte_array_append(out, buf, (guint)made);
		off += used;
		if (off == len && made < out_step)
			break;
	}
	g_free(buf);
	return ok;
}

static GByteArray *text_sample(gsize len)
{
	GByteArray *a = g_byte_array_sized_new((guint)len);
	for (gsize i = 0; i < len; i++) {
		guint8 c = (guint8)("gnutella query hit pong "[i % 24] ^ (i / 997));
		g_byte_array_append(a, &c, 1);
	}
	return a;
}

static void test_sync_flush_batches_decode_at_once(void)
{
	gnut_deflater *d = gnut_deflater_new(-1);
	gnut_inflater *z = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, 0);
	GByteArray *sample = text_sample(30000);
	GByteArray *plain = g_byte_array_new();
	for (gsize off = 0; off < sample->len; off += 3000) {
		GByteArray *wire = g_byte_array_new();
		gnut_deflater_write(d, sample->data + off, 1000, wire);
		gnut_deflater_write(d, sample->data + off + 1000, 2000, wire);
		gnut_deflater_flush(d, wire);
		/* A sync flush ends with the empty stored block 00 00 ff ff. */
		CU_ASSERT_TRUE(wire->len >= 4);
		CU_ASSERT_EQUAL(memcmp(wire->data + wire->len - 4, "\0\0\xff\xff", 4), 0);
		gsize before = plain->len;
		CU_ASSERT_TRUE(inflate_all(z, wire->data, wire->len, 1 << 20, 4096, plain, NULL));
		/* Everything written so far is decodable: nothing lags behind. */
		CU_ASSERT_EQUAL(plain->len, before + 3000);
		g_byte_array_unref(wire);
	}
	CU_ASSERT_EQUAL(plain->len, sample->len);
	CU_ASSERT_EQUAL(memcmp(plain->data, sample->data, sample->len), 0);
	CU_ASSERT_EQUAL(gnut_deflater_total_in(d), 30000);
	CU_ASSERT_TRUE(gnut_deflater_total_out(d) < 30000);
	CU_ASSERT_EQUAL(gnut_inflater_total_out(z), 30000);
	CU_ASSERT_EQUAL(gnut_inflater_total_in(z), gnut_deflater_total_out(d));
	CU_ASSERT_FALSE(gnut_inflater_is_finished(z));
	g_byte_array_unref(sample);
	g_byte_array_unref(plain);
	gnut_deflater_free(d);
	gnut_inflater_free(z);
}

static void test_byte_at_a_time_and_small_output(void)
{
	gnut_deflater *d = gnut_deflater_new(9);
	GByteArray *sample = text_sample(5000);
	GByteArray *wire = g_byte_array_new();
	gnut_deflater_write(d, sample->data, sample->len, wire);
	gnut_deflater_flush(d, wire);
	gnut_inflater *z = gnut_inflater_new(0, 0);
	GByteArray *plain = g_byte_array_new();
	CU_ASSERT_TRUE(inflate_all(z, wire->data, wire->len, 1, 7, plain, NULL));
	CU_ASSERT_EQUAL(plain->len, 5000);
	CU_ASSERT_EQUAL(memcmp(plain->data, sample->data, 5000), 0);
	g_byte_array_unref(sample);
	g_byte_array_unref(wire);
	g_byte_array_unref(plain);
	gnut_deflater_free(d);
	gnut_inflater_free(z);
}

/* zlib's one-shot compress() of n zero bytes: a classic bomb. */
static GByteArray *zeros_compressed(gsize n)
{
	guint8 *zeros = g_malloc0(n);
	uLongf out_len = compressBound(n);
	GByteArray *out = g_byte_array_sized_new((guint)out_len);
	g_byte_array_set_size(out, (guint)out_len);
	CU_ASSERT_EQUAL(compress2(out->data, &out_len, zeros, n, 9), Z_OK);
	g_byte_array_set_size(out, (guint)out_len);
	g_free(zeros);
	return out;
}

static void test_bomb_total_cap(void)
{
	GByteArray *bomb = zeros_compressed(8 * 1024 * 1024);
	CU_ASSERT_TRUE(bomb->len < 10000);
	gnut_inflater *z = gnut_inflater_new(0, 1024 * 1024);
	GByteArray *plain = g_byte_array_new();
	GError *err = NULL;
	CU_ASSERT_FALSE(inflate_all(z, bomb->data, bomb->len, 1 << 20, 65536, plain, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_BOMB));
	/* It stopped one byte past the cap, not at 8 MiB. */
	CU_ASSERT_TRUE(plain->len <= 1024 * 1024);
	CU_ASSERT_EQUAL(gnut_inflater_total_out(z), 1024 * 1024 + 1);
	g_clear_error(&err);
	g_byte_array_unref(plain);
	g_byte_array_unref(bomb);
	gnut_inflater_free(z);
}

static void test_bomb_ratio_cap(void)
{
	GByteArray *bomb = zeros_compressed(16 * 1024 * 1024);
	gnut_inflater *z = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, 0);
	GByteArray *plain = g_byte_array_new();
	GError *err = NULL;
	CU_ASSERT_FALSE(inflate_all(z, bomb->data, bomb->len, 1 << 20, 65536, plain, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_BOMB));
	/* Stopped within one output buffer of the allowance. */
	guint64 allowed =
	    gnut_inflater_total_in(z) * GNUT_INFLATE_LINK_MAX_RATIO + GNUT_INFLATE_RATIO_SLACK;
	CU_ASSERT_TRUE(gnut_inflater_total_out(z) <= allowed + 65536);
	CU_ASSERT_TRUE(plain->len < 16 * 1024 * 1024);
	g_clear_error(&err);
	g_byte_array_unref(plain);
	g_byte_array_unref(bomb);
	gnut_inflater_free(z);
}

static void test_corrupt_and_trailing(void)
{
	gnut_inflater *z = gnut_inflater_new(0, 0);
	guint8 out[64];
	gsize used = 0, made = 0;
	GError *err = NULL;
	/* Not a zlib header (0x78 ..). */
	const guint8 junk[] = {'G', 'N', 'U', 'T', 'E', 'L', 'L', 'A'};
	CU_ASSERT_FALSE(
	    gnut_inflater_run(z, junk, sizeof junk, &used, out, sizeof out, &made, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_CORRUPT));
	g_clear_error(&err);
	gnut_inflater_free(z);

	/* A complete stream followed by more bytes. */
	uLongf clen = 64;
	guint8 comp[64 + 3];
	CU_ASSERT_EQUAL(compress(comp, &clen, (const Bytef *)"hello", 5), Z_OK);
	memcpy(comp + clen, "xyz", 3);
	z = gnut_inflater_new(0, 0);
	CU_ASSERT_FALSE(gnut_inflater_run(z, comp, clen + 3, &used, out, sizeof out, &made, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_TRAILING));
	CU_ASSERT_TRUE(gnut_inflater_is_finished(z));
	CU_ASSERT_EQUAL(made, 5);
	CU_ASSERT_EQUAL(memcmp(out, "hello", 5), 0);
	g_clear_error(&err);
	gnut_inflater_free(z);

	/* The same stream alone finishes cleanly; empty calls are no-ops. */
	z = gnut_inflater_new(0, 0);
	CU_ASSERT_TRUE(gnut_inflater_run(z, comp, clen, &used, out, sizeof out, &made, NULL));
	CU_ASSERT_EQUAL(used, clen);
	CU_ASSERT_TRUE(gnut_inflater_is_finished(z));
	CU_ASSERT_TRUE(gnut_inflater_run(z, NULL, 0, &used, out, sizeof out, &made, NULL));
	CU_ASSERT_EQUAL(made, 0);
	gnut_inflater_free(z);
}

static void test_truncated_stream_waits(void)
{
	gnut_deflater *d = gnut_deflater_new(-1);
	GByteArray *wire = g_byte_array_new();
	gnut_deflater_write(d, (const guint8 *)"0123456789", 10, wire);
	gnut_deflater_flush(d, wire);
	/* Every prefix is accepted: it is simply not all there yet. */
	for (guint cut = 0; cut < wire->len; cut++) {
		gnut_inflater *z = gnut_inflater_new(0, 0);
		guint8 out[32];
		gsize used = 0, made = 0;
		CU_ASSERT_TRUE(
		    gnut_inflater_run(z, wire->data, cut, &used, out, sizeof out, &made, NULL));
		CU_ASSERT_EQUAL(used, cut);
		CU_ASSERT_TRUE(made <= 10);
		gnut_inflater_free(z);
	}
	g_byte_array_unref(wire);
	gnut_deflater_free(d);
}

/* Small windows, and a compressor released between batches, make one
 * stream that any inflater decodes whole, batch by batch: the releases cost
 * ratio (each restart has an empty dictionary), never correctness. */
static void test_sized_and_released(void)
{
	static const int sizes[][2] = {{15, 8}, {12, 5}, {11, 4}, {9, 1}};
	for (gsize k = 0; k < G_N_ELEMENTS(sizes); k++) {
		gnut_deflater *d = gnut_deflater_new_sized(-1, sizes[k][0], sizes[k][1]);
		gnut_inflater *z = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, 0);
		GByteArray *sample = text_sample(40000);
		GByteArray *plain = g_byte_array_new();
		GByteArray *wire = g_byte_array_new();
		CU_ASSERT_FALSE(gnut_deflater_release(d)); /* no flush yet: the header */
		for (gsize off = 0; off < sample->len; off += 4000) {
			g_byte_array_set_size(wire, 0);
			gnut_deflater_write(d, sample->data + off, 4000, wire);
			CU_ASSERT_FALSE(gnut_deflater_release(d)); /* written, not flushed */
			gnut_deflater_flush(d, wire);
			if ((off / 4000) % 3 != 2) {
				CU_ASSERT_TRUE(gnut_deflater_release(d));
				CU_ASSERT_TRUE(gnut_deflater_is_released(d));
				CU_ASSERT_FALSE(gnut_deflater_release(d));
				gnut_deflater_flush(d, wire); /* nothing to flush */
			}
			gsize before = plain->len;
			CU_ASSERT_TRUE(
			    inflate_all(z, wire->data, wire->len, 1 << 20, 4096, plain, NULL));
			CU_ASSERT_EQUAL(plain->len, before + 4000);
		}
		CU_ASSERT_EQUAL(plain->len, sample->len);
		CU_ASSERT_EQUAL(memcmp(plain->data, sample->data, sample->len), 0);
		g_byte_array_unref(wire);
		g_byte_array_unref(sample);
		g_byte_array_unref(plain);
		gnut_deflater_free(d);
		gnut_inflater_free(z);
	}
}

static CU_TestInfo tests[] = {
    {"sync-flushed batches decode at once", test_sync_flush_batches_decode_at_once},
    {"byte at a time, small output", test_byte_at_a_time_and_small_output},
    {"bomb: total cap", test_bomb_total_cap},
    {"bomb: ratio cap", test_bomb_ratio_cap},
    {"corrupt and trailing data", test_corrupt_and_trailing},
    {"truncated stream waits", test_truncated_stream_waits},
    {"small windows, released between batches", test_sized_and_released},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("deflate-stream", tests)
