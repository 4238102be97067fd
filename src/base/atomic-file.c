/* atomic-file.c: write-to-temporary, fsync, rename, fsync-the-folder; and a
 * whole-file read with a size cap. */
#include "gnut/base/atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean set_errno_error(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "%s %s: %s", what, path,
	            g_strerror(err));
	return FALSE;
}

static gboolean write_all(int fd, const void *data, gsize len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* The rename is only durable once the folder entry itself reaches the disk. */
static gboolean fsync_dir_of(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return set_errno_error(error, errno, "cannot open folder", dir);
	int rc = fsync(fd);
	int err = errno;
	close(fd);
	/* Some file systems cannot fsync a folder; the data is safe anyway. */
	if (rc != 0 && err != EINVAL && err != ENOTSUP)
		return set_errno_error(error, err, "cannot sync folder", dir);
	return TRUE;
}

gboolean gnut_atomic_write(const char *path, const void *data, gsize len, GError **error)
{
	g_return_val_if_fail(path != NULL, FALSE);
	g_return_val_if_fail(data != NULL || len == 0, FALSE);

	g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return set_errno_error(error, errno, "cannot create temporary file", tmp);
	int err = 0;
	const char *what = NULL;
	errno = 0;
	if (!write_all(fd, data, len)) {
		err = errno != 0 ? errno : EIO;
		what = "cannot write";
	} else if (fsync(fd) != 0) {
		err = errno;
		what = "cannot sync";
	}
	if (close(fd) != 0 && what == NULL) {
		err = errno;
		what = "cannot close";
	}
	if (what != NULL) {
		g_unlink(tmp);
		return set_errno_error(error, err, what, tmp);
	}
	if (rename(tmp, path) != 0) {
		err = errno;
		g_unlink(tmp);
		return set_errno_error(error, err, "cannot rename a temporary file onto", path);
	}
	return fsync_dir_of(path, error);
}

/* Reads up to max_len + 1 bytes so that a file that grew past the cap after
 * fstat is still caught, without ever allocating more than the cap. */
static gboolean read_capped_fd(int fd, const char *path, gsize max_len, GByteArray *buf,
                               GError **error)
{
	guint8 chunk[65536];
	for (;;) {
		gsize want = MIN(sizeof chunk, max_len + 1 - buf->len);
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return set_errno_error(error, errno, "cannot read", path);
		if (n == 0)
			return TRUE;
		g_byte_array_append(buf, chunk, (guint)n);
		if (buf->len > max_len) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
			            "%s is too large (over %" G_GSIZE_FORMAT " bytes)", path,
			            max_len);
			return FALSE;
		}
	}
}

gboolean gnut_read_file_capped(const char *path, gsize max_len, char **contents, gsize *len,
                               GError **error)
{
	g_return_val_if_fail(path != NULL && contents != NULL && len != NULL, FALSE);
	g_return_val_if_fail(max_len < G_MAXUINT - 65536, FALSE);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_errno_error(error, errno, "cannot open", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return set_errno_error(error, err, "cannot stat", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
		            "%s is not a regular file", path);
		return FALSE;
	}
	if ((guint64)st.st_size > max_len) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
		            "%s is too large (over %" G_GSIZE_FORMAT " bytes)", path, max_len);
		return FALSE;
	}
	GByteArray *buf = g_byte_array_sized_new((guint)st.st_size + 1);
	gboolean ok = read_capped_fd(fd, path, max_len, buf, error);
	close(fd);
	if (!ok) {
		g_byte_array_unref(buf);
		return FALSE;
	}
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	*contents = (char *)g_byte_array_free(buf, FALSE);
	return TRUE;
}
