/* thex-verify.h: the check of a partial file against a file's Tiger tree
 * level (thex.h), slice by slice, as ranges arrive (see thex-fetch.h for
 * where the level comes from and how a downloader uses this). */
#ifndef GNUT_THEX_VERIFY_H
#define GNUT_THEX_VERIFY_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/proto/http-msg.h"
#include "gnut/proto/thex.h"

/* Which slices of a file have been checked good. Thread-safe: checks may
 * run off the main loop (a slice is the whole file under 256 KiB, 128 KiB
 * to 1 MiB up to 1 GiB, 1/2048 to 1/1024 of a larger file). */
typedef struct gnut_thex_verifier gnut_thex_verifier;

gnut_thex_verifier *gnut_thex_verifier_new(const gnut_thex_level *level); /* copied */
/* Another reference (a check running in a worker thread holds one). */
gnut_thex_verifier *gnut_thex_verifier_ref(gnut_thex_verifier *v);
/* Drops a reference; the last frees it. */
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
