/* share-open.c: the confined open of a shared file (see share-open.h).
 * openat2(2) resolves the whole path in the kernel under RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS; older kernels get the same rule from a walk that
 * opens one component at a time with O_NOFOLLOW. Either way the path text
 * is checked first, so both refuse the same forms. */
#define _GNU_SOURCE  /* O_PATH */
#define G_LOG_DOMAIN "gnut-share"

#include "gnut/core/share/share-open.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How the file itself is opened, by both ways. */
#define FILE_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)
#define DIR_FLAGS  (O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

/* A relative path of plain components: no leading or doubled '/', no "."
 * or "..", not empty. */
static gboolean plain_relative(const char *rel)
{
	if (rel == NULL || *rel == '\0')
		return FALSE;
	const char *p = rel;
	for (;;) {
		const char *end = strchrnul(p, '/');
		gsize n = (gsize)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return FALSE;
		if (*end == '\0')
			return TRUE;
		p = end + 1;
	}
}

int gnut_open_beneath_walk(int dir_fd, const char *rel)
{
	if (!plain_relative(rel)) {
		errno = EINVAL;
		return -1;
	}
	int cur = dir_fd;
	const char *p = rel;
	const char *slash;
	while ((slash = strchr(p, '/')) != NULL) {
		g_autofree char *name = g_strndup(p, (gsize)(slash - p));
		int next = openat(cur, name, DIR_FLAGS);
		int err = errno;
		if (cur != dir_fd)
			close(cur);
		if (next < 0) {
			errno = err;
			return -1;
		}
		cur = next;
		p = slash + 1;
	}
	int fd = openat(cur, p, FILE_FLAGS);
	int err = errno;
	if (cur != dir_fd)
		close(cur);
	errno = err;
	return fd;
}

int gnut_open_beneath(int dir_fd, const char *rel)
{
	if (!plain_relative(rel)) {
		errno = EINVAL;
		return -1;
	}
	struct open_how how = {
	    .flags = FILE_FLAGS,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dir_fd, rel, &how, sizeof how);
	/* ENOSYS: a kernel before 5.6; EPERM: a seccomp filter (older container
	 * runtimes) that does not know the call. The walk gives the same answer. */
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return gnut_open_beneath_walk(dir_fd, rel);
	return (int)fd;
}

/* The errors that mean the path no longer leads to the file the walk saw
 * (rather than that it cannot be opened). */
static gboolean path_gone(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV || err == EINVAL;
}

static void set_open_error(GError **error, const char *path, int err)
{
	if (path_gone(err))
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            "%s no longer leads to a file beneath its shared folder: %s", path,
		            g_strerror(err));
	else
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot open %s: %s",
		            path, g_strerror(err));
}

int gnut_file_record_open(const gnut_file_record *r, GError **error)
{
	g_return_val_if_fail(r != NULL && r->path != NULL, -1);
	g_return_val_if_fail(r->root_len > 0 && r->root_len < strlen(r->path), -1);
	g_autofree char *root = g_strndup(r->path, r->root_len);
	const char *rel = r->path + r->root_len;
	if (*rel == '/')
		rel++;
	int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		set_open_error(error, r->path, errno);
		return -1;
	}
	int fd = gnut_open_beneath(root_fd, rel);
	int err = errno;
	close(root_fd);
	if (fd < 0)
		set_open_error(error, r->path, err);
	return fd;
}

gboolean gnut_file_record_matches(const gnut_file_record *r, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return FALSE;
	gint64 mtime_ns =
	    (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec;
	return (guint64)st.st_dev == r->dev && (guint64)st.st_ino == r->ino &&
	       (guint64)st.st_size == r->size && mtime_ns == r->mtime_ns;
}
