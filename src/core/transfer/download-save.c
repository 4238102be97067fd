/* download-save.c: the manager's downloads in progress written to
 * downloads.xml (see download-manager.h). Each download becomes a record
 * for download-store.c, after its partial file's bytes are synced: the
 * state file claims only the durable ranges (download-item.c), never bytes
 * the disk may not hold. Progress saves at most every SAVE_DELAY_MS; a
 * completed chunk saves at once unless the last save is younger than
 * CHUNK_SAVE_MIN_MS, and then when it is that old (so a swarm at full
 * speed syncs a few times a second, not once per chunk); adding,
 * cancelling, pausing and finishing a download save at once.
 *
 * The timely saves (progress, completed chunks) run in a worker thread:
 * the main loop takes a snapshot (a dup of each partial file's descriptor,
 * the bytes to claim once it is synced, the records), the worker runs the
 * fdatasyncs and writes the file, and the main loop then records what
 * became durable. One such save runs at a time; one wanted meanwhile runs
 * after it. A save at once (gnut_downloads_save_now) first waits for the
 * worker, so the file is written in the order the saves were taken. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#define SAVE_DELAY_MS     5000
#define CHUNK_SAVE_MIN_MS 250
#define US_PER_MS         1000

/* Why take back on failure: a failed fdatasync may have dropped the pages,
 * so the bytes not known durable are not known to be anywhere. */
static void take_back_unsynced(gnut_dl *d, int sync_errno)
{
	g_warning("cannot sync %s: %s; its unsynced bytes will be fetched again", d->partial,
	          g_strerror(sync_errno));
	g_array_set_size(d->done, 0);
	g_array_append_vals(d->done, d->durable->data, d->durable->len);
	d->undone++;
	d->done_bytes = gnut_download_ranges_count_in(d->done, 0, d->size);
}

gboolean gnut_dl_sync(gnut_dl *d)
{
	if (d->fd >= 0 && d->unsynced && fdatasync(d->fd) != 0) {
		take_back_unsynced(d, errno);
		return FALSE;
	}
	d->unsynced = FALSE;
	g_array_set_size(d->durable, 0);
	g_array_append_vals(d->durable, d->done->data, d->done->len);
	for (guint i = 0; i < d->checking->len; i++) {
		const gnut_download_range *r = &g_array_index(d->checking, gnut_download_range, i);
		gnut_download_ranges_remove(d->durable, r->start, r->end);
	}
	return TRUE;
}

static void add_record_source(gnut_download_record *r, const gnut_dl_source *s)
{
	gnut_download_source rs = {
	    .host = g_strdup(s->host),
	    .port = s->port,
	    .index = s->index,
	    .name = g_strdup(s->name),
	    .get_only = s->use_get,
	    .has_guid = s->has_guid,
	    .guid = s->guid,
	    .firewalled = s->firewalled,
	    .tls = s->tls,
	};
	g_array_append_val(r->sources, rs);
}

static gnut_download_record *record_of(const gnut_dl *d)
{
	gnut_download_record *r = gnut_download_record_new();
	r->id = d->id;
	memcpy(r->sha1, d->sha1, GNUT_SHA1_LEN);
	r->name = g_strdup(d->name);
	r->size = d->size;
	r->to_dir = g_strdup(d->to_dir);
	g_array_append_vals(r->ranges, d->durable->data, d->durable->len);
	r->paused = d->user_paused;
	for (guint i = 0; i < d->sources->len; i++) {
		const gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (!s->dead)
			add_record_source(r, s);
	}
	return r;
}

/* ---- the save in a worker thread ---- */

/* One download in the worker's save. */
typedef struct {
	guint64 id;   /* of its download (downloads stay in the manager until its end) */
	int fd;       /* a dup of its partial file's, or -1: nothing to sync */
	GArray *want; /* what it claims once synced: done less the chunks in check */
	guint undone; /* d->undone at the snapshot */
	gboolean synced;
	int sync_errno;
	gnut_download_record *record; /* its ranges: durable, or want once synced */
} save_item;

struct gnut_downloads_save_job {
	char *state_path;
	GPtrArray *items; /* save_item */
	GMutex lock;
	GCond cond;
	gboolean over; /* under lock: the worker has finished */
};

static void save_item_free(gpointer p)
{
	save_item *it = p;
	if (it->fd >= 0)
		close(it->fd);
	g_array_unref(it->want);
	gnut_download_record_free(it->record);
	g_free(it);
}

static void save_job_free(gpointer p)
{
	gnut_downloads_save_job *job = p;
	g_free(job->state_path);
	g_ptr_array_unref(job->items);
	g_mutex_clear(&job->lock);
	g_cond_clear(&job->cond);
	g_free(job);
}

static save_item *snapshot_item(gnut_dl *d)
{
	save_item *it = g_new0(save_item, 1);
	it->id = d->id;
	it->fd = d->fd >= 0 && d->unsynced ? dup(d->fd) : -1;
	it->want = g_array_copy(d->done);
	for (guint i = 0; i < d->checking->len; i++) {
		const gnut_download_range *r = &g_array_index(d->checking, gnut_download_range, i);
		gnut_download_ranges_remove(it->want, r->start, r->end);
	}
	it->undone = d->undone;
	it->record = record_of(d);
	return it;
}

static void save_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
	(void)source;
	(void)cancel;
	gnut_downloads_save_job *job = data;
	g_autoptr(GPtrArray) records = g_ptr_array_new();
	for (guint i = 0; i < job->items->len; i++) {
		save_item *it = g_ptr_array_index(job->items, i);
		it->synced = it->fd < 0 || fdatasync(it->fd) == 0;
		it->sync_errno = it->synced ? 0 : errno;
		if (it->synced && it->fd >= 0) {
			g_array_set_size(it->record->ranges, 0);
			g_array_append_vals(it->record->ranges, it->want->data, it->want->len);
		}
		g_ptr_array_add(records, it->record);
	}
	GError *err = NULL;
	gboolean ok = gnut_download_store_save(job->state_path, records, &err);
	g_mutex_lock(&job->lock);
	job->over = TRUE;
	g_cond_signal(&job->cond);
	g_mutex_unlock(&job->lock);
	if (ok)
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, err);
}

/* What the worker synced becomes durable, unless bytes were taken out of
 * done since the snapshot (those offsets may hold newer, unsynced bytes). */
static void apply_synced(gnut_downloads *m, const save_item *it)
{
	gnut_dl *d = gnut_dl_find(m, it->id);
	if (d == NULL)
		return;
	if (it->fd < 0 || d->undone != it->undone)
		return;
	if (!it->synced)
		take_back_unsynced(d, it->sync_errno);
	for (guint i = 0; it->synced && i < it->want->len; i++) {
		const gnut_download_range *r = &g_array_index(it->want, gnut_download_range, i);
		gnut_download_ranges_add(d->durable, r->start, r->end);
	}
	gnut_dl_publish(d); /* what a partial file offers follows the durable ranges */
}

static void start_save_job(gnut_downloads *m);

static void on_saved(GObject *source, GAsyncResult *res, gpointer data)
{
	(void)source;
	gnut_downloads *m = data;
	gnut_downloads_save_job *job = g_task_get_task_data(G_TASK(res));
	g_autoptr(GError) err = NULL;
	if (!g_task_propagate_boolean(G_TASK(res), &err))
		g_warning("cannot save the downloads: %s", err->message);
	for (guint i = 0; i < job->items->len; i++)
		apply_synced(m, g_ptr_array_index(job->items, i));
	m->save_job = NULL;
	if (m->save_again) {
		m->save_again = FALSE;
		start_save_job(m);
	}
}

/* Why the manager in the callback is safe: gnut_downloads_free waits for
 * the job's callback (gnut_downloads_wait_saves). */
static void start_save_job(gnut_downloads *m)
{
	if (m->save_job != NULL) {
		m->save_again = TRUE;
		return;
	}
	gnut_downloads_save_job *job = g_new0(gnut_downloads_save_job, 1);
	job->state_path = g_strdup(m->state_path);
	job->items = g_ptr_array_new_with_free_func(save_item_free);
	g_mutex_init(&job->lock);
	g_cond_init(&job->cond);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (!gnut_download_state_is_final(d->state))
			g_ptr_array_add(job->items, snapshot_item(d));
	}
	m->last_save_us = gnut_clock_now_us(m->clock);
	m->save_job = job;
	GTask *task = g_task_new(NULL, NULL, on_saved, m);
	g_task_set_task_data(task, job, save_job_free);
	g_task_run_in_thread(task, save_thread);
	g_object_unref(task);
}

/* Waits for the worker of the save in flight, if any (its callback comes
 * later). */
static void wait_save_worker(gnut_downloads *m)
{
	gnut_downloads_save_job *job = m->save_job;
	if (job == NULL)
		return;
	g_mutex_lock(&job->lock);
	while (!job->over)
		g_cond_wait(&job->cond, &job->lock);
	g_mutex_unlock(&job->lock);
}

void gnut_downloads_wait_saves(gnut_downloads *m)
{
	while (m->save_job != NULL) {
		m->save_again = FALSE;
		g_main_context_iteration(m->ctx, TRUE);
	}
}

gboolean gnut_downloads_save_now(gnut_downloads *m, GError **error)
{
	gnut_downloads_stop_source(&m->save_src);
	wait_save_worker(m);
	g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(gnut_download_record_free);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (!gnut_download_state_is_final(d->state)) {
			gnut_dl_sync(d);
			g_ptr_array_add(records, record_of(d));
		}
		gnut_dl_publish(d);
	}
	m->last_save_us = gnut_clock_now_us(m->clock);
	return gnut_download_store_save(m->state_path, records, error);
}

void gnut_downloads_save_or_warn(gnut_downloads *m)
{
	g_autoptr(GError) err = NULL;
	if (!gnut_downloads_save_now(m, &err))
		g_warning("cannot save the downloads: %s", err->message);
}

static gboolean on_save_timer(gpointer data)
{
	gnut_downloads *m = data;
	g_clear_pointer(&m->save_src, g_source_unref);
	start_save_job(m);
	return G_SOURCE_REMOVE;
}

/* Saves within ms, unless a save is due sooner already. */
static void save_within(gnut_downloads *m, guint ms)
{
	gint64 due = g_get_monotonic_time() + (gint64)ms * US_PER_MS;
	if (m->save_src != NULL && g_source_get_ready_time(m->save_src) <= due)
		return;
	gnut_downloads_stop_source(&m->save_src);
	m->save_src = gnut_downloads_attach(m, g_timeout_source_new(ms), on_save_timer);
}

void gnut_downloads_save_later(gnut_downloads *m)
{
	if (m->save_src == NULL)
		save_within(m, SAVE_DELAY_MS);
}

void gnut_downloads_save_soon(gnut_downloads *m)
{
	gint64 since_ms = (gnut_clock_now_us(m->clock) - m->last_save_us) / US_PER_MS;
	if (since_ms >= CHUNK_SAVE_MIN_MS || since_ms < 0) {
		gnut_downloads_stop_source(&m->save_src);
		start_save_job(m);
	} else {
		save_within(m, (guint)(CHUNK_SAVE_MIN_MS - since_ms));
	}
}
