/* hash-cache.h: what a rescan must not do again. Maps (path, size, mtime) to
 * the SHA-1 of the file's content and its Tiger tree level (thex.h), so that a file unchanged since
 * it was last hashed (in this run or a previous one) is not read again. Saved as a small line-based
 * text file written atomically; a file that does not parse is rejected as a whole. Not thread-safe:
 * one owner at a time. */
#ifndef GNUT_HASH_CACHE_H
#define GNUT_HASH_CACHE_H

#include <stdint.h>

#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/thex.h"

#define GNUT_HASH_CACHE_MAX_BYTES                                                                  \
	(512u << 20) /* largest cache file read (trees: 64 KiB a 1 GiB file) */
#define GNUT_HASH_CACHE_MAX_ENTRIES 400000 /* stores past this are dropped */
#define GNUT_HASH_CACHE_MAX_PATH    4096   /* bytes of a path, unescaped */

typedef struct gnut_hash_cache gnut_hash_cache;

gnut_hash_cache *gnut_hash_cache_new(void);
void gnut_hash_cache_free(gnut_hash_cache *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_hash_cache, gnut_hash_cache_free)

/* The SHA-1 recorded for path if its size and mtime (nanoseconds) still are
 * the recorded ones; marks the entry as seen (see gnut_hash_cache_prune). */
gboolean gnut_hash_cache_lookup(gnut_hash_cache *c, const char *path, guint64 size, gint64 mtime_ns,
                                uint8_t sha1[GNUT_SHA1_LEN]);
/* Records (or replaces) the entry for path, marked as seen. Ignored for an
 * empty or over-long path, or when the cache is full. */
void gnut_hash_cache_store(gnut_hash_cache *c, const char *path, guint64 size, gint64 mtime_ns,
                           const uint8_t sha1[GNUT_SHA1_LEN]);
/* The Tiger tree level recorded with path's entry (a copy: free it), or NULL
 * when there is none (an entry of a version 1 file, or none stored). */
gnut_thex_level *gnut_hash_cache_get_thex(gnut_hash_cache *c, const char *path);
/* Records l (copied) with path's existing entry; ignored when there is no
 * entry or l is not the level of the entry's size at its good depth. */
void gnut_hash_cache_set_thex(gnut_hash_cache *c, const char *path, const gnut_thex_level *l);
/* Drops every entry not looked up or stored since the last prune (files gone
 * from the share) and clears the marks; returns how many were dropped. */
guint gnut_hash_cache_prune(gnut_hash_cache *c);
guint gnut_hash_cache_size(const gnut_hash_cache *c);
/* Whether the entries changed since the last load, parse or save. */
gboolean gnut_hash_cache_is_dirty(const gnut_hash_cache *c);

/* The text form: a "gnutd-hash-cache 2" line, then one line per entry:
 * "<sha1 hex> <size> <mtime ns> <tree> <path>", tree "-" or the base64 of
 * the Tiger root and the nodes of the level at the good depth, path with
 * '%', control bytes and DEL written as %XX. Entries in path order (stable
 * output). A version 1 file (no tree field) still parses: its entries have
 * no tree, so their files are read once more to build one. */
GBytes *gnut_hash_cache_serialize(const gnut_hash_cache *c);
/* Replaces the entries with those of data[0..len). On any malformed line the
 * cache is left empty and the error is G_IO_ERROR_INVALID_DATA naming the line. */
gboolean gnut_hash_cache_parse(gnut_hash_cache *c, const char *data, gsize len, GError **error);

/* The same through a file. A missing file loads as an empty cache (TRUE);
 * one over GNUT_HASH_CACHE_MAX_BYTES is an error. Saving is atomic. */
gboolean gnut_hash_cache_load(gnut_hash_cache *c, const char *path, GError **error);
gboolean gnut_hash_cache_save(gnut_hash_cache *c, const char *path, GError **error);

#endif
