/* atomic-file.h: state files written so that a crash or SIGKILL leaves either
 * the old file or the new one, never a half-written one (temporary file in the
 * same folder, fsync, rename, fsync of the folder), and read back with a cap
 * on their size, since a state file may have been damaged or replaced. */
#ifndef GNUT_ATOMIC_FILE_H
#define GNUT_ATOMIC_FILE_H

#include <glib.h>

/* Replaces path with data[0..len) atomically (mode 0600). On failure path is
 * untouched and no temporary file is left behind. Errors are G_IO_ERROR. */
gboolean gnut_atomic_write(const char *path, const void *data, gsize len, GError **error);

/* Reads the whole of path if it holds at most max_len bytes: *contents gets a
 * g_malloc'd copy with a NUL appended (not counted in *len). A larger file is
 * G_IO_ERROR_NO_SPACE ("too large"), a missing one G_IO_ERROR_NOT_FOUND. */
gboolean gnut_read_file_capped(const char *path, gsize max_len, char **contents, gsize *len,
                               GError **error);

#endif
