/* thex-fetch.h: what a downloader needs to check every range of a file as
 * it arrives, by its Tiger tree (the verifier is thex-verify.h):
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

#include "gnut/core/transfer/thex-verify.h"
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

#endif
