/* share.h: the files this servent shares and how queries find them. Folders
 * are scanned recursively off the main loop; new or changed files are hashed
 * (SHA-1 and Tiger tree, thex.h) while unchanged ones come from a persistent hash cache; the
 * finished index (files by stable index, by SHA-1, by name keywords) replaces the old one in one
 * swap. Lookups hand out references, so an upload that still reads a file of the previous index
 * keeps a valid record across a rescan. A file is opened only through gnut_share_open_file,
 * confined beneath its shared folder and checked against what was indexed. */
#ifndef GNUT_SHARE_H
#define GNUT_SHARE_H

#include <stdint.h>

#include <gio/gio.h>
#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/thex.h"

#define GNUT_SHARE_MAX_FILES  200000         /* files kept by one scan; the rest are skipped */
#define GNUT_SHARE_MAX_DEPTH  64             /* folder levels below a shared folder */
#define GNUT_SHARE_MAX_DIRS   64             /* shared folders */
#define GNUT_SHARE_CACHE_NAME "hashes.cache" /* the hash cache file in data_dir */

typedef struct gnut_share gnut_share;

/* One shared file. Immutable once published; refcounted: a rescan may replace
 * it while an upload still reads it. */
typedef struct {
	guint32 index; /* stable per path across rescans of one run (never 0); used by
	                  /get/<index>/<name> and in query hits */
	char *path;    /* absolute path on disk (for a symlink: the real path it names) */
	char *name;    /* base name, UTF-8 (for a symlink: the link's own name) */
	guint64 size;
	gint64 mtime; /* seconds since the epoch */
	uint8_t sha1[GNUT_SHA1_LEN];
	/* The Tiger tree level served as THEX (its root is the file's Tiger
	 * tree root), computed with the SHA-1; NULL when not known. */
	gnut_thex_level *thex;
} gnut_shared_file;

gnut_shared_file *gnut_shared_file_ref(gnut_shared_file *f);
void gnut_shared_file_unref(gnut_shared_file *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_shared_file, gnut_shared_file_unref)

/* A record for a file outside the index (a partial file, partials.h): the
 * same fields, no tree; never opened through gnut_share_open_file. */
gnut_shared_file *gnut_shared_file_new_outside(guint32 index, const char *path, const char *name,
                                               guint64 size, gint64 mtime,
                                               const uint8_t sha1[GNUT_SHA1_LEN]);

/* GHashTable functions for keys that are GNUT_SHA1_LEN bytes of SHA-1. */
guint gnut_sha1_key_hash(gconstpointer sha1);
gboolean gnut_sha1_key_equal(gconstpointer a, gconstpointer b);

/* Counters since gnut_share_new (the last_* ones: of the last finished scan). */
typedef struct {
	guint64 files_hashed; /* files whose content was read and hashed */
	guint64 bytes_hashed;
	guint64 cache_hits;  /* files whose SHA-1 came from the hash cache */
	guint scans;         /* scans finished (not cancelled) */
	guint last_files;    /* files in the index of the last scan */
	guint last_skipped;  /* entries skipped by the last scan: hidden, special,
	                        unreadable, non-UTF-8, outside symlinks, over a cap */
	guint64 stale_opens; /* gnut_share_open_file calls that found the file
	                        no longer the one indexed */
} gnut_share_stats;

/* A share whose hash cache lives in data_dir (created if missing; NULL keeps
 * the cache in memory only). A missing or corrupt cache file is not an error
 * (a corrupt one is ignored with a warning); failing to create data_dir is. */
gnut_share *gnut_share_new(const char *data_dir, GError **error);
/* Cancels a running rescan and waits for its thread to let go of the share;
 * its callback still runs later with G_IO_ERROR_CANCELLED (do not touch the
 * freed share in it). References handed out stay valid. */
void gnut_share_free(gnut_share *s);

/* Remembers a folder to share (canonical absolute path; adding one twice is
 * not an error); takes effect at the next rescan. Fails if dir is not an
 * existing folder or past GNUT_SHARE_MAX_DIRS folders. */
gboolean gnut_share_add_dir(gnut_share *s, const char *dir, GError **error);

/* Forgets a shared folder (given as added, or any name of it); its files
 * leave the index at the next rescan. G_IO_ERROR_NOT_FOUND if not shared. */
gboolean gnut_share_remove_dir(gnut_share *s, const char *dir, GError **error);

/* Scans every folder and hashes new/changed files off the main loop (GTask
 * thread); the callback runs on the caller's thread-default main context; the
 * index is swapped in atomically when done. Two rescans run one after the
 * other. A folder that vanished is skipped with a warning. Cancelling keeps
 * the old index (and the hashes done so far, in the cache). */
void gnut_share_rescan_async(gnut_share *s, GCancellable *c, GAsyncReadyCallback cb, gpointer data);
gboolean gnut_share_rescan_finish(gnut_share *s, GAsyncResult *res, GError **error);

gnut_shared_file *gnut_share_by_index(gnut_share *s, guint32 index); /* new ref or NULL */
gnut_shared_file *gnut_share_by_sha1(gnut_share *s,
                                     const uint8_t sha1[GNUT_SHA1_LEN]); /* new ref or NULL */

/* Opens f (read-only, non-blocking, close-on-exec) beneath the shared
 * folder it was found in, following no symlink in any component below that
 * folder, and checks the descriptor is the file that was indexed: a regular
 * file of the same device, inode, size and mtime. TRUE and *fd (the caller
 * closes it), or FALSE and *fd = -1 with G_IO_ERROR_NOT_FOUND when the file
 * on disk is no longer the one indexed (gone, moved, changed, replaced, a
 * folder on its path swapped for a symlink: the index is stale and a rescan
 * will see it anew), another G_IO_ERROR code when it cannot be opened. */
gboolean gnut_share_open_file(gnut_share *s, const gnut_shared_file *f, int *fd, GError **error);

/* Files whose name keywords match every keyword of query (word-prefix match,
 * case-insensitive after NFKC + case folding, as gtk-gnutella does), at most
 * max, in scan order, as new refs in a GPtrArray with unref as free func.
 * Uses the keyword index, never a scan of all files. A query without any
 * keyword matches nothing. */
GPtrArray *gnut_share_search(gnut_share *s, const char *query, guint max);
/* All files, in scan order, new refs (unref as free func). */
GPtrArray *gnut_share_list(gnut_share *s);
/* The shared folders, NULL-terminated; valid until the next gnut_share_add_dir. */
const char *const *gnut_share_dirs(gnut_share *s);
guint gnut_share_count(gnut_share *s);
guint64 gnut_share_total_bytes(gnut_share *s);
void gnut_share_get_stats(gnut_share *s, gnut_share_stats *out);

#endif
