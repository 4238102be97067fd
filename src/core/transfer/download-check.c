/* download-check.c: the Tiger-tree check of a completed chunk in a GTask
 * worker thread (see download-private.h), so that the main loop goes on
 * receiving while the chunk is hashed.
 *
 * The job owns what it reads: a reference to the verifier (thread-safe)
 * and its own descriptor of the partial file (a dup, still readable when
 * the download closes or deletes its own). Its verdict comes back on the
 * main context of the thread that started it; the caller decides there
 * whether it still counts. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-private.h"

#include <unistd.h>

typedef struct {
	gnut_thex_verifier *verifier;
	int fd;
	guint64 start, end;
	gnut_download_check_done_fn done;
	gpointer user_data;
} check_job;

static void check_job_free(gpointer p)
{
	check_job *job = p;
	gnut_thex_verifier_free(job->verifier);
	close(job->fd);
	g_free(job);
}

/* Returns the bad slices as half-open gnut_download_range. */
static void check_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	(void)source;
	(void)cancel;
	check_job *job = data;
	g_autoptr(GArray) slices = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	GError *err = NULL;
	if (gnut_thex_verifier_check(job->verifier, job->fd, job->start, job->end, slices, &err) <
	    0) {
		g_task_return_error(task, err);
		return;
	}
	GArray *bad = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	for (guint i = 0; i < slices->len; i++) {
		const gnut_http_range *r = &g_array_index(slices, gnut_http_range, i);
		gnut_download_range br = {.start = r->start, .end = r->end + 1};
		g_array_append_val(bad, br);
	}
	g_task_return_pointer(task, bad, (GDestroyNotify)g_array_unref);
}

static void check_done(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	(void)data;
	check_job *job = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) err = NULL;
	g_autoptr(GArray) bad = g_task_propagate_pointer(G_TASK(res), &err);
	job->done(job->verifier, bad, err, job->user_data);
}

gboolean gnut_download_check_start(gnut_thex_verifier *verifier, int fd, guint64 start, guint64 end,
                                   gnut_download_check_done_fn done, gpointer user_data)
{
	g_return_val_if_fail(verifier != NULL && done != NULL, FALSE);
	int own_fd = dup(fd);
	if (own_fd < 0)
		return FALSE;
	check_job *job = g_new0(check_job, 1);
	job->verifier = gnut_thex_verifier_ref(verifier);
	job->fd = own_fd;
	job->start = start;
	job->end = end;
	job->done = done;
	job->user_data = user_data;
	GTask *task = g_task_new(NULL, NULL, check_done, NULL);
	g_task_set_task_data(task, job, check_job_free);
	g_task_run_in_thread(task, check_thread);
	g_object_unref(task);
	return TRUE;
}
