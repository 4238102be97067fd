/* deflate-stream.h: zlib stream compression for links ("Content-Encoding:
 * deflate" is a zlib-wrapped stream, sync-flushed, one per direction).
 *
 * gnut_deflater compresses a stream in batches; gnut_deflater_flush ends a
 * batch with Z_SYNC_FLUSH so the peer can decode everything sent so far.
 *
 * gnut_inflater decompresses what a peer sends into a caller's buffer of a
 * fixed size per call, so one call never grows memory, and it refuses a
 * stream whose output grows past a total cap or past a ratio of its input
 * (a "deflate bomb" would otherwise cost unbounded CPU and bandwidth to the
 * layers above). */
#ifndef GNUT_DEFLATE_STREAM_H
#define GNUT_DEFLATE_STREAM_H

#include <glib.h>

#define GNUT_DEFLATE_ERROR (gnut_deflate_error_quark())

typedef enum {
	GNUT_DEFLATE_ERROR_CORRUPT,  /* not a valid zlib stream */
	GNUT_DEFLATE_ERROR_BOMB,     /* output over the total or ratio cap */
	GNUT_DEFLATE_ERROR_TRAILING, /* bytes after the end of the stream */
} gnut_deflate_error;

GQuark gnut_deflate_error_quark(void);

/* Output may exceed max_ratio times the input consumed by this much: short
 * streams of a sync-flushed link can legitimately compress very well. */
#define GNUT_INFLATE_RATIO_SLACK (256 * 1024)

/* Defaults for a Gnutella link: typical traffic compresses 2:1, a 64 KiB
 * message of zeros about 600:1; a cumulative 100:1 past the slack is not
 * traffic, it is an attack. */
#define GNUT_INFLATE_LINK_MAX_RATIO 100

typedef struct gnut_deflater gnut_deflater;
typedef struct gnut_inflater gnut_inflater;

/* zlib's defaults: a 32 KiB window, 8 (hash tables of 2^15 entries): about
 * 256 KiB of state. */
#define GNUT_DEFLATE_WINDOW_BITS 15
#define GNUT_DEFLATE_MEM_LEVEL   8

/* A compressor at level (0-9, or -1 for zlib's default, 6), with a window
 * of 2^window_bits bytes (9-15) and zlib's memLevel (1-9): zlib's state is
 * about 2^(window_bits + 2) + 2^(mem_level + 9) bytes. */
gnut_deflater *gnut_deflater_new_sized(int level, int window_bits, int mem_level);
/* gnut_deflater_new_sized with zlib's default window and memLevel. */
gnut_deflater *gnut_deflater_new(int level);
void gnut_deflater_free(gnut_deflater *d);

/* Frees zlib's state, when nothing was written since the last flush (and
 * one came): TRUE then. The next write starts afresh, with an empty
 * dictionary, continuing the same stream for the peer. For a link gone
 * idle: its compressor costs nothing until it sends again. */
gboolean gnut_deflater_release(gnut_deflater *d);
gboolean gnut_deflater_is_released(const gnut_deflater *d);

/* Compresses in[0..len) and appends what zlib emits to out; zlib may keep
 * some of it back until the next flush. */
void gnut_deflater_write(gnut_deflater *d, const guint8 *in, gsize len, GByteArray *out);

/* Appends the bytes that make everything written so far decodable
 * (Z_SYNC_FLUSH), ending the batch on a byte boundary. */
void gnut_deflater_flush(gnut_deflater *d, GByteArray *out);

/* Totals for status: bytes fed in, compressed bytes emitted. */
guint64 gnut_deflater_total_in(const gnut_deflater *d);
guint64 gnut_deflater_total_out(const gnut_deflater *d);

/* A decompressor whose total output may not exceed max_total bytes (0: no
 * total cap) nor max_ratio * input + GNUT_INFLATE_RATIO_SLACK (0: no ratio
 * cap). */
gnut_inflater *gnut_inflater_new(guint max_ratio, guint64 max_total);
void gnut_inflater_free(gnut_inflater *z);

/* Decompresses from in[0..in_len) into out[0..out_cap): on return
 * *consumed input bytes were used and *produced output bytes written. Stops
 * when the input is used up or out is full; call again with more room or
 * more input. FALSE with error on corrupt data, a cap crossed or input after
 * the end of the stream; the inflater is then unusable. */
gboolean gnut_inflater_run(gnut_inflater *z, const guint8 *in, gsize in_len, gsize *consumed,
                           guint8 *out, gsize out_cap, gsize *produced, GError **error);

/* TRUE once the stream's end marker was decoded. */
gboolean gnut_inflater_is_finished(const gnut_inflater *z);

guint64 gnut_inflater_total_in(const gnut_inflater *z);
guint64 gnut_inflater_total_out(const gnut_inflater *z);

#endif
