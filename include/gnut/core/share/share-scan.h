/* share-scan.h: the two slow halves of a share rescan, both meant to run in a
 * worker thread: walking the shared folders (what is there to share, under
 * the share's rules) and hashing one file's content (SHA-1). gnut_share
 * combines them with its hash cache; they hold no state of their own. */
#ifndef GNUT_SHARE_SCAN_H
#define GNUT_SHARE_SCAN_H

#include <stdint.h>

#include <gio/gio.h>
#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/thex.h"
#include "gnut/core/share/share-open.h"

#define GNUT_SCAN_HASH_BUFFER (1u << 20) /* the read size while hashing */
#define GNUT_SCAN_MAX_WARNED  10000      /* paths remembered as already logged */

/* One file found by the walk. */
typedef struct {
	char *key;      /* its path as found under a shared folder (unique per scan) */
	char *path;     /* the path to read: key, or for a symlink the real path */
	char *name;     /* base name as found (a symlink's own name), UTF-8 */
	gsize root_len; /* path[0..root_len) is the shared folder path lies beneath */
	guint64 dev;    /* what path named when the walk saw it */
	guint64 ino;
	guint64 size;
	gint64 mtime_ns;
} gnut_scan_entry;

void gnut_scan_entry_free(gpointer entry);
/* The record of e (borrowing its path) for share-open.h. */
void gnut_scan_entry_record(const gnut_scan_entry *e, gnut_file_record *out);

typedef struct {
	guint max_files; /* files kept; the rest are skipped with one warning */
	guint max_depth; /* folder levels below a root that are entered */
	GCancellable *cancellable;
	/* Paths already logged as skipped (char* set, owned by the caller) so that
	 * a file skipped at every rescan is logged once per run; NULL logs every
	 * time. At most GNUT_SCAN_MAX_WARNED are remembered. */
	GHashTable *warned;
} gnut_scan_options;

/* Walks the roots (absolute folders) recursively, in name order: skips
 * hidden entries (leading '.'), non-regular files, unreadable files, names
 * that are not valid UTF-8, symlinks whose real path leaves every root, and
 * folders already walked (symlink loops, nested roots). A root that vanished
 * is skipped with a warning. *entries gets the gnut_scan_entry list, *skipped
 * how many entries were passed over. FALSE only when cancelled. */
gboolean gnut_share_scan(const char *const *roots, const gnut_scan_options *opt,
                         GPtrArray **entries, guint *skipped, GError **error);

/* SHA-1 (and, when thex is not NULL, the Tiger tree level, thex.h) of the
 * file r records, opened beneath its shared folder without
 * following a symlink (gnut_file_record_open), read through buf (buf_len
 * bytes, e.g. GNUT_SCAN_HASH_BUFFER) with sequential read-ahead advice.
 * Fails (G_IO_ERROR) when the file cannot be opened or read (NOT_FOUND when
 * its path no longer leads to it), or (BUSY) when it is not the file the
 * walk saw (device, inode, size, mtime) before or after reading: it
 * changed, hash it next time. */
gboolean gnut_share_hash_file(const gnut_file_record *r, guint8 *buf, gsize buf_len,
                              GCancellable *cancellable, uint8_t sha1[GNUT_SHA1_LEN],
                              gnut_thex_level **thex, GError **error);

#endif
