/* filename.h: file names that come from peers, made safe to create on our
 * disk. A name in a query hit is whatever the remote servent chose to send:
 * it may hold path separators, "..", control characters, invalid UTF-8 or
 * hundreds of bytes. gnut_filename_sanitize turns it into one plain name
 * that stays inside the folder it is created in; gnut_filename_create_unique
 * then claims a free name there without racing another writer. */
#ifndef GNUT_FILENAME_H
#define GNUT_FILENAME_H

#include <glib.h>

#define GNUT_FILENAME_MAX       255       /* bytes: the usual file system limit */
#define GNUT_FILENAME_MAX_EXT   32        /* bytes of an extension kept apart from the stem */
#define GNUT_FILENAME_MAX_TRIES 10000     /* "name (N).ext" candidates tried */
#define GNUT_FILENAME_FALLBACK  "unnamed" /* what an empty result becomes */

/* A safe, newly allocated copy of name[0..len) (len < 0: NUL-terminated):
 * invalid UTF-8 is replaced (one U+FFFD per bad sequence); '/', '\\',
 * control characters, bidirectional overrides and noncharacters become '_';
 * a run of dots becomes one dot; leading dots and spaces and trailing spaces
 * are dropped; and the result is cut to GNUT_FILENAME_MAX bytes on a
 * character boundary, keeping a short extension. Sanitising the result
 * again changes nothing. Never returns NULL; an empty result is
 * GNUT_FILENAME_FALLBACK. */
char *gnut_filename_sanitize(const char *name, gssize len);

/* Creates a new, empty file in dir (which must exist) named name, or else
 * "stem (1).ext", "stem (2).ext", ... with O_CREAT|O_EXCL, so two writers
 * never get the same name; each candidate is kept within
 * GNUT_FILENAME_MAX bytes. name must already be sanitised. Returns the open
 * file descriptor (write-only, mode 0644) and its path in *path (g_free it),
 * or -1 with a G_IO_ERROR. */
int gnut_filename_create_unique(const char *dir, const char *name, char **path, GError **error);

#endif
