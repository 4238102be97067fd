/* thex-fetch.h: what a downloader needs to check every range of a file as
 * it arrives, by its Tiger tree:
 *
 * 1. From a source's answer, the X-Thex-URI header (gnut_thex_uri_parse in
 *    thex-answer.h: the path and the root; a root from a bitprint or GGEP
 *    "H" in the hit does as well).
 * 2. gnut_thex_fetch_async: one GET of that path from the source, with
 *    "Connection: close", the answer capped (GNUT_THEX_ANSWER_MAX) and
 *    timed out, read and verified against the root and the file's size:
 *    the level of the tree (thex.h) or an error.
 * 3. A gnut_thex_verifier over that level: after a range is written to the
 *    partial file, gnut_thex_verifier_check reads back the tree slices lying
 *    wholly inside it and says which are good and which are bad; the bad
 *    ones are fetched again from another source, and the source that sent
 *    them dropped for the file and announced in X-Nalt. Slices that straddle
 *    a range boundary are checked once a later range completes them (check
 *    the union of adjacent finished ranges, or the whole file's finished
 *    ranges after each write). */
#ifndef GNUT_THEX_FETCH_H
#define GNUT_THEX_FETCH_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/proto/http-msg.h"
#include "gnut/proto/thex.h"

#define GNUT_THEX_FETCH_TIMEOUT_S 30 /* connect and answer, each */

/* Fetches path (an X-Thex-URI path) from ip:port (IPv4, host order; the
 * dial rule applies: loopback and private addresses only with allow_local)
 * for a file of file_size bytes whose Tiger root is root; the callback runs
 * on the caller's thread-default main context. Errors: G_IO_ERROR_NOT_FOUND
 * for a status other than 200, G_IO_ERROR_INVALID_DATA for an answer that
 * does not read or verify (too large, chunked, wrong root or size),
 * G_IO_ERROR_TIMED_OUT, G_IO_ERROR_PERMISSION_DENIED for an address the
 * dial rule refuses, G_IO_ERROR_CANCELLED, and connection errors. */
void gnut_thex_fetch_async(uint32_t ip, guint16 port, const char *path, guint64 file_size,
                           const uint8_t root[GNUT_TIGER_LEN], gboolean allow_local,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
/* The verified level (free it), or NULL and error. */
gnut_thex_level *gnut_thex_fetch_finish(GAsyncResult *result, GError **error);

/* Which slices of a file have been checked good. Thread-safe: checks of
 * large slices may run off the main loop (a slice is at most 1/1024 of the
 * file, 64 KiB to 512 KiB below 1 GiB). */
typedef struct gnut_thex_verifier gnut_thex_verifier;

gnut_thex_verifier *gnut_thex_verifier_new(const gnut_thex_level *level); /* copied */
void gnut_thex_verifier_free(gnut_thex_verifier *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_thex_verifier, gnut_thex_verifier_free)

const gnut_thex_level *gnut_thex_verifier_level(const gnut_thex_verifier *v);

/* Reads the slices wholly inside the bytes [start, end) of fd (the partial
 * file, at the file's own offsets) with pread and checks each against the
 * tree; those not yet known good are read. Good ones are remembered; the
 * byte ranges of the bad ones (inclusive ranges) are appended to bad (may
 * be NULL). Returns how many slices were checked good now, or -1 with
 * error when fd cannot be read (a short file reads as bad slices). */
gint64 gnut_thex_verifier_check(gnut_thex_verifier *v, int fd, guint64 start, guint64 end,
                                GArray *bad, GError **error);

/* Whether every slice touching [start, end) is known good. */
gboolean gnut_thex_verifier_is_good(gnut_thex_verifier *v, guint64 start, guint64 end);
/* The known good bytes as inclusive ranges, merged, in order (a new array
 * of gnut_http_range): what partial file sharing may offer. */
GArray *gnut_thex_verifier_good_ranges(gnut_thex_verifier *v);
/* Forgets what [start, end) was checked as (the bytes are being rewritten). */
void gnut_thex_verifier_forget(gnut_thex_verifier *v, guint64 start, guint64 end);

#endif
