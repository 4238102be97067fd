/* share-open.h: opening a file of the share so that nothing but the file
 * that was indexed can come out. The walk records, for each file, the
 * shared folder it lies beneath, its path (canonical: no symlink in it when
 * it was scanned) and what it was (device, inode, size, mtime). Reopening
 * it later opens the shared folder, then the rest of the path beneath it
 * without following a symlink in any component and without leaving the
 * folder, then checks the descriptor against the record: a folder swapped
 * for a symlink to somewhere else, or a file replaced since, is refused
 * rather than served. Thread-safe: no state, only system calls. */
#ifndef GNUT_SHARE_OPEN_H
#define GNUT_SHARE_OPEN_H

#include <gio/gio.h>
#include <glib.h>

/* What the index keeps of a file on disk. */
typedef struct {
	const char *path; /* absolute, canonical when scanned */
	gsize root_len;   /* path[0..root_len) is the shared folder it lies beneath */
	guint64 dev;
	guint64 ino;
	guint64 size;
	gint64 mtime_ns;
} gnut_file_record;

/* Opens rel (relative, no "." or ".." component, no empty one) beneath the
 * folder dir_fd, read-only, non-blocking (a FIFO never blocks the open) and
 * close-on-exec, following no symlink, in the last component or any
 * other. Uses openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, and
 * gnut_open_beneath_walk where the kernel lacks it (ENOSYS) or a seccomp
 * filter refuses it (EPERM). Returns the
 * descriptor, or -1 with errno: ELOOP or ENOTDIR for a symlink on the way,
 * EXDEV for a way out of dir_fd, EINVAL for a rel of the wrong form, or what
 * openat(2) says. */
int gnut_open_beneath(int dir_fd, const char *rel);
/* The same, one component at a time with openat(2): O_PATH | O_DIRECTORY |
 * O_NOFOLLOW for each folder, O_NOFOLLOW for the file. Public so that the
 * fallback is tested on kernels that have openat2. */
int gnut_open_beneath_walk(int dir_fd, const char *rel);

/* Opens the file r names beneath its shared folder (the folder itself is
 * opened as named). The descriptor, or -1 and an error: G_IO_ERROR_NOT_FOUND
 * when the path no longer leads to a file beneath the folder without a
 * symlink (gone, moved, a component swapped for a symlink), another
 * G_IO_ERROR code when it cannot be opened for another reason. The file is
 * not checked against the record: see gnut_file_record_matches. */
int gnut_file_record_open(const gnut_file_record *r, GError **error);
/* Whether fd is a regular file with r's device, inode, size and mtime. */
gboolean gnut_file_record_matches(const gnut_file_record *r, int fd);

#endif
