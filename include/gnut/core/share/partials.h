/* partials.h: the registry of partial files, the files this servent is
 * still downloading that it offers to others (partial file sharing).
 *
 * The downloads (src/core/transfer) publish into it what each partial file
 * can serve: its SHA-1, name, size, path on disk and the byte ranges that
 * are both verified and durable; query answering (src/core/routing) and
 * uploads (src/core/transfer) read it. An entry whose ranges become empty,
 * or whose download ends (complete, cancelled), is withdrawn. Lookups hand
 * out references to immutable snapshots: a publication replaces the
 * snapshot, so an upload under way keeps the ranges it was answered with
 * (they only ever grow while a download runs; a range the download takes
 * back, a Tiger-tree mismatch after a restart, is withdrawn before the
 * bytes are written again, and an upload checks the ranges per request).
 *
 * While disabled (the user's share-partial preference off) lookups and
 * searches find nothing, but publications are kept, so enabling it again
 * takes effect at once. Main loop only (no locking). */
#ifndef GNUT_PARTIALS_H
#define GNUT_PARTIALS_H

#include <glib.h>
#include <stdint.h>

#include "gnut/core/share/share.h"
#include "gnut/proto/http-msg.h"

#define GNUT_PARTIALS_MAX         4096        /* entries (downloads.xml keeps as many downloads) */
#define GNUT_PARTIALS_INDEX_FIRST 0x80000000u /* hit indexes of partial files start here */

typedef struct gnut_partials gnut_partials;

/* One partial file as published: file->path is the partial file on disk,
 * file->index a registry index (GNUT_PARTIALS_INDEX_FIRST and above) for
 * query hits, file->size the complete file's size, file->mtime the time of
 * the last publication. ranges: inclusive, sorted, disjoint, never empty. */
typedef struct {
	gnut_shared_file *file;
	gnut_http_range *ranges;
	guint n_ranges;
	guint64 available; /* bytes in ranges */
} gnut_partial_file;

gnut_partial_file *gnut_partial_file_ref(gnut_partial_file *pf);
void gnut_partial_file_unref(gnut_partial_file *pf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_partial_file, gnut_partial_file_unref)

/* The first part of [first, last] (inclusive, first <= last) that pf can
 * serve: TRUE and [*start, *end]; FALSE when none of it is available. */
gboolean gnut_partial_file_clip(const gnut_partial_file *pf, guint64 first, guint64 last,
                                guint64 *start, guint64 *end);

gnut_partials *gnut_partials_new(void);
void gnut_partials_free(gnut_partials *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_partials, gnut_partials_free)

void gnut_partials_set_enabled(gnut_partials *p, gboolean enabled);
gboolean gnut_partials_enabled(const gnut_partials *p);

/* Publishes (or replaces) the file of this SHA-1: name, size, the partial
 * file's path, ranges[0..n) (inclusive, sorted, disjoint, within size);
 * n 0 withdraws it. FALSE (nothing changed) for ranges that do not fit
 * those rules or a new entry past GNUT_PARTIALS_MAX. mtime is the time of
 * the publication (seconds since the epoch) when the ranges changed. */
gboolean gnut_partials_publish(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN],
                               const char *name, guint64 size, const char *path,
                               const gnut_http_range *ranges, guint n, gint64 mtime);
void gnut_partials_withdraw(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN]);

/* The entry of this SHA-1 (new ref), or NULL (none, or disabled). */
gnut_partial_file *gnut_partials_by_sha1(gnut_partials *p, const uint8_t sha1[GNUT_SHA1_LEN]);
/* Entries whose name matches every keyword of query (word prefixes, the
 * normalisation of keywords.h, as gnut_share_search), at most max, new
 * refs (unref as free func). Empty when disabled or query has no keyword. */
GPtrArray *gnut_partials_search(gnut_partials *p, const char *query, guint max);
/* Every entry (new refs, unref as free func); empty when disabled. */
GPtrArray *gnut_partials_list(gnut_partials *p);
/* Entries published (whether enabled or not). */
guint gnut_partials_count(const gnut_partials *p);

/* Called when the set of files a lookup can find changes: an entry added
 * or withdrawn while enabled, or the switch turned (not when an entry's
 * ranges grow). The query routing table follows it. NULL: nobody. */
void gnut_partials_set_changed(gnut_partials *p, void (*fn)(gpointer data), gpointer data);

#endif
