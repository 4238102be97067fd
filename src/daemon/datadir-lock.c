/* datadir-lock.c: the data folder's lock (see datadir-lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "datadir-lock.h"

#define PID_TEXT_MAX 32

struct gnut_datadir_lock {
	int fd;
};

static gboolean set_errno_error(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot %s %s: %s", what, path,
	            g_strerror(err));
	return FALSE;
}

/* The pid the holder wrote, or 0 if unreadable. */
static long holder_pid(int fd)
{
	char text[PID_TEXT_MAX] = {0};
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return 0;
	return strtol(text, NULL, 10);
}

static void write_pid(int fd)
{
	char text[PID_TEXT_MAX];
	int n = g_snprintf(text, sizeof text, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) != n)
		g_warning("cannot write the pid into the data folder's lock file");
}

gnut_datadir_lock *gnut_datadir_lock_take(const char *data_dir, GError **error)
{
	if (g_mkdir_with_parents(data_dir, 0700) != 0) {
		set_errno_error(error, errno, "create", data_dir);
		return NULL;
	}
	g_autofree char *path = g_build_filename(data_dir, GNUT_DATADIR_LOCK_NAME, NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_errno_error(error, errno, "open", path);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		if (err == EWOULDBLOCK)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
			            "%s is in use by another gnutd (pid %ld)", data_dir,
			            holder_pid(fd));
		else
			set_errno_error(error, err, "lock", path);
		close(fd);
		return NULL;
	}
	write_pid(fd);
	gnut_datadir_lock *lock = g_new0(gnut_datadir_lock, 1);
	lock->fd = fd;
	return lock;
}

void gnut_datadir_lock_release(gnut_datadir_lock *lock)
{
	if (lock == NULL)
		return;
	close(lock->fd); /* releases the flock */
	g_free(lock);
}
