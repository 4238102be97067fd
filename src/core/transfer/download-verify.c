/* download-verify.c: the finishing job of a complete download (see
 * download-private.h): hash the partial file, then move it into place, in
 * a GTask worker thread.
 *
 * The job owns copies of everything it reads, so the download may change
 * or go while it runs. Its end is recorded under a lock as well as
 * returned through the task: gnut_download_verify_stop cancels the job and
 * waits on that record (the worker checks for cancellation every chunk),
 * so a cancel or a shutdown knows for sure whether the file was moved;
 * the task's callback still comes afterwards, from the main loop. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gnut/core/transfer/filename.h"
#include "gnut/proto/urn.h"

#define VERIFY_CHUNK (1024 * 1024) /* bytes read between cancellation checks */
#define TARGET_MODE  0755          /* of a target folder we create */

struct gnut_download_verify {
	char *partial;
	uint8_t sha1[GNUT_SHA1_LEN];
	guint64 size;
	char *dir;
	char *name;
	GCancellable *cancel;
	gnut_download_verify_done_fn done;
	gpointer user_data;
	GMutex lock;
	GCond cond;
	gboolean over;  /* under lock: the worker has finished */
	char *moved_to; /* under lock: where the verified file went, if it did */
};

static void job_free(gpointer p)
{
	gnut_download_verify *job = p;
	g_free(job->partial);
	g_free(job->dir);
	g_free(job->name);
	g_free(job->moved_to);
	g_clear_object(&job->cancel);
	g_mutex_clear(&job->lock);
	g_cond_clear(&job->cond);
	g_free(job);
}

/* Hashes the first size bytes of fd, checking for cancellation between
 * chunks (a shutdown must not wait for a whole large file). */
static gboolean hash_fd(int fd, guint64 size, uint8_t out[GNUT_SHA1_LEN], GCancellable *cancel,
                        GError **error)
{
	g_autofree guint8 *buf = g_malloc(VERIFY_CHUNK);
	gnut_sha1 *h = gnut_sha1_new();
	guint64 off = 0;
	while (off < size) {
		if (g_cancellable_set_error_if_cancelled(cancel, error)) {
			gnut_sha1_free(h);
			return FALSE;
		}
		ssize_t n =
		    pread(fd, buf, (size_t)MIN(size - off, (guint64)VERIFY_CHUNK), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gnut_sha1_free(h);
			g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_IO,
			                    n == 0 ? "partial file shorter than the download"
			                           : g_strerror(errno));
			return FALSE;
		}
		gnut_sha1_update(h, buf, (size_t)n);
		off += (guint64)n;
	}
	gnut_sha1_finish(h, out);
	return TRUE;
}

/* The partial file holds the right bytes (and they are on the disk). A
 * mismatch is CORRUPT: the file stays, nothing of it is delivered. */
static gboolean verify_partial(const gnut_download_verify *job, GError **error)
{
	int fd = open(job->partial, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gnut_download_io_error(error, "cannot open", job->partial);
	uint8_t got[GNUT_SHA1_LEN];
	gboolean ok = hash_fd(fd, job->size, got, job->cancel, error);
	if (ok && fsync(fd) != 0)
		ok = gnut_download_io_error(error, "cannot sync", job->partial);
	close(fd);
	if (!ok)
		return FALSE;
	if (memcmp(got, job->sha1, GNUT_SHA1_LEN) != 0) {
		char want_urn[GNUT_URN_SHA1_LEN + 1], got_urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(job->sha1, want_urn);
		gnut_urn_format_sha1(got, got_urn);
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_CORRUPT,
		            "SHA-1 mismatch: the data is %s, not %s", got_urn, want_urn);
		return FALSE;
	}
	return TRUE;
}

/* Writes all of buf[0..n) to out_fd. */
static gboolean write_all(int out_fd, const guint8 *buf, gsize n, const char *to, GError **error)
{
	for (gsize w = 0; w < n;) {
		ssize_t k = write(out_fd, buf + w, n - w);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return gnut_download_io_error(error, "cannot write", to);
		w += (gsize)k;
	}
	return TRUE;
}

/* Copies the partial file into out_fd (the target is on another file
 * system), syncs it and removes the partial file. */
static gboolean copy_into(const char *from, int out_fd, const char *to, GCancellable *cancel,
                          GError **error)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return gnut_download_io_error(error, "cannot open", from);
	g_autofree guint8 *buf = g_malloc(VERIFY_CHUNK);
	gboolean ok = TRUE;
	for (;;) {
		if (g_cancellable_set_error_if_cancelled(cancel, error)) {
			ok = FALSE;
			break;
		}
		ssize_t n = read(in, buf, VERIFY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = gnut_download_io_error(error, "cannot read", from);
		else if (n > 0)
			ok = write_all(out_fd, buf, (gsize)n, to, error);
		if (n <= 0 || !ok)
			break;
	}
	close(in);
	if (ok && fsync(out_fd) != 0)
		ok = gnut_download_io_error(error, "cannot sync", to);
	if (ok)
		g_unlink(from);
	return ok;
}

/* Moves the verified file to a free name in the target folder; returns its
 * path. The name is claimed first (O_EXCL), then the file renamed over the
 * claim, so a concurrent writer never loses a file to us. */
static char *move_into_place(const gnut_download_verify *job, GError **error)
{
	if (g_mkdir_with_parents(job->dir, TARGET_MODE) != 0) {
		gnut_download_io_error(error, "cannot create", job->dir);
		return NULL;
	}
	g_autofree char *path = NULL;
	g_autoptr(GError) err = NULL;
	int fd = gnut_filename_create_unique(job->dir, job->name, &path, &err);
	if (fd < 0) {
		g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_IO,
		                    err->message);
		return NULL;
	}
	gboolean ok = TRUE;
	if (rename(job->partial, path) != 0) {
		if (errno == EXDEV)
			ok = copy_into(job->partial, fd, path, job->cancel, error);
		else
			ok = gnut_download_io_error(error, "cannot move the download to", path);
	}
	close(fd);
	if (!ok) {
		g_unlink(path);
		return NULL;
	}
	return g_steal_pointer(&path);
}

static void verify_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	gnut_download_verify *job = data;
	GError *err = NULL;
	char *path = NULL;
	if (verify_partial(job, &err))
		path = move_into_place(job, &err);
	g_mutex_lock(&job->lock);
	job->over = TRUE;
	job->moved_to = g_strdup(path);
	g_cond_signal(&job->cond);
	g_mutex_unlock(&job->lock);
	if (path != NULL)
		g_task_return_pointer(task, path, g_free);
	else
		g_task_return_error(task, err);
}

static void verify_done(GObject *source, GAsyncResult *res, gpointer data)
{
	gnut_download_verify *job = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) err = NULL;
	g_autofree char *path = g_task_propagate_pointer(G_TASK(res), &err);
	job->done(job, path, err, job->user_data);
}

gnut_download_verify *gnut_download_verify_start(const gnut_download_verify_params *params,
                                                 gnut_download_verify_done_fn done,
                                                 gpointer user_data)
{
	g_return_val_if_fail(params != NULL && done != NULL, NULL);
	gnut_download_verify *job = g_new0(gnut_download_verify, 1);
	job->partial = g_strdup(params->partial);
	memcpy(job->sha1, params->sha1, GNUT_SHA1_LEN);
	job->size = params->size;
	job->dir = g_strdup(params->dir);
	job->name = g_strdup(params->name);
	job->cancel = g_cancellable_new();
	job->done = done;
	job->user_data = user_data;
	g_mutex_init(&job->lock);
	g_cond_init(&job->cond);
	GTask *task = g_task_new(NULL, job->cancel, verify_done, NULL);
	g_task_set_task_data(task, job, job_free);
	g_task_run_in_thread(task, verify_thread);
	g_object_unref(task);
	return job;
}

char *gnut_download_verify_stop(gnut_download_verify *job)
{
	g_return_val_if_fail(job != NULL, NULL);
	g_cancellable_cancel(job->cancel);
	g_mutex_lock(&job->lock);
	while (!job->over)
		g_cond_wait(&job->cond, &job->lock);
	char *moved = g_strdup(job->moved_to);
	g_mutex_unlock(&job->lock);
	return moved;
}
