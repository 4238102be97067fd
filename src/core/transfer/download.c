/* download.c: the download manager's public API (see download.h): creating
 * and freeing the manager (the downloads of downloads.xml come back on
 * creation and are saved on the way out), adding downloads and sources,
 * cancelling, pausing, resuming and retrying, the snapshots for `gnut
 * downloads` and `gnut sources`, the push handler's GIV hand-over, and the
 * rate limit.
 *
 * The work happens in the files below (download-manager.h): the scheduler
 * (download-sched.c) starts fetches and judges their outcomes, the chunks
 * are shared out by download-swarm.c, a download (download-item.c) pauses
 * or goes to the finishing job, and the state file
 * is written by download-save.c. This file only changes what they act on
 * and asks the scheduler to run. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <glib/gstdio.h>
#include <string.h>

#include "gnut/proto/urn.h"

#define DEFAULT_MAX_ACTIVE        4
#define DEFAULT_CONNECT_TIMEOUT_S 20
#define DEFAULT_IDLE_TIMEOUT_S    60
#define DEFAULT_PUSH_WAIT_S       30
#define DEFAULT_MAX_SOURCES       4
#define DEFAULT_RETRY_MAX_S       600
#define DEFAULT_SEARCH_INTERVAL_S 300
#define LIMIT_MIN_BURST           4096 /* bytes the rate limit lets through at once */
#define LIMIT_BURST_DIVISOR       8    /* the burst: an eighth of a second's bytes */
#define MAX_TARGET_DIR            4096 /* bytes of a target folder's path */
#define INCOMPLETE_MODE           0700
#define STATE_FILE                "downloads.xml"
#define INCOMPLETE_DIR            "incomplete"
#define RATE_STALE_US             (5 * G_USEC_PER_SEC) /* no data this long: rate 0 */

static gboolean invalid(GError **error, const char *why)
{
	g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID, why);
	return FALSE;
}

static guint64 limit_burst(guint64 bytes_per_s)
{
	return MAX(bytes_per_s / LIMIT_BURST_DIVISOR, LIMIT_MIN_BURST);
}

/* The download of this SHA-1 still in progress, if any. */
static gnut_dl *find_live_by_sha1(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN])
{
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (!gnut_download_state_is_final(d->state) &&
		    memcmp(d->sha1, sha1, GNUT_SHA1_LEN) == 0)
			return d;
	}
	return NULL;
}

/* ---- creating and freeing ---- */

/* Only ranges the partial file really holds count (it may have been
 * deleted or truncated behind our back). */
static void restore_ranges(gnut_dl *d, const GArray *ranges)
{
	GStatBuf st;
	guint64 have = g_stat(d->partial, &st) == 0 ? (guint64)st.st_size : 0;
	for (guint i = 0; i < ranges->len; i++) {
		const gnut_download_range *r = &g_array_index(ranges, gnut_download_range, i);
		guint64 end = MIN(r->end, MIN(have, d->size));
		if (r->start < end)
			d->done_bytes += gnut_download_ranges_add(d->done, r->start, end);
	}
	g_array_append_vals(d->durable, d->done->data, d->done->len);
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
	const gnut_dl *da = *(gnut_dl *const *)a, *db = *(gnut_dl *const *)b;
	return da->id < db->id ? -1 : da->id > db->id;
}

static void load_state(gnut_downloads *m)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) records = gnut_download_store_load(m->state_path, &err);
	if (records == NULL) {
		g_autofree char *aside = g_strconcat(m->state_path, ".bad", NULL);
		g_warning("%s; starting without saved downloads (kept as %s)", err->message, aside);
		g_rename(m->state_path, aside);
		return;
	}
	for (guint i = 0; i < records->len; i++) {
		const gnut_download_record *r = g_ptr_array_index(records, i);
		if (gnut_dl_find(m, r->id) != NULL || find_live_by_sha1(m, r->sha1) != NULL)
			continue;
		gnut_dl *d = gnut_dl_new(m, r->id, r->sha1, r->name, r->size, r->to_dir);
		restore_ranges(d, r->ranges);
		for (guint j = 0; j < r->sources->len; j++)
			gnut_dl_merge_source(d, &g_array_index(r->sources, gnut_download_source, j),
			                     TRUE);
		gnut_dl_refresh_state(d, FALSE);
		if (r->paused) { /* as the user left it; nothing to stop or save yet */
			d->user_paused = TRUE;
			d->state = GNUT_DOWNLOAD_PAUSED;
		}
		g_ptr_array_add(m->all, d);
		m->next_id = MAX(m->next_id, r->id + 1);
	}
	g_ptr_array_sort(m->all, compare_ids);
}

static guint or_default(guint v, guint dflt)
{
	return v != 0 ? v : dflt;
}

gnut_downloads *gnut_downloads_new(const gnut_downloads_config *config, gnut_clock *clock,
                                   GError **error)
{
	g_return_val_if_fail(config != NULL && config->data_dir != NULL && clock != NULL, NULL);
	gnut_digest_init();
	g_autofree char *incomplete = g_build_filename(config->data_dir, INCOMPLETE_DIR, NULL);
	if (g_mkdir_with_parents(incomplete, INCOMPLETE_MODE) != 0) {
		gnut_download_io_error(error, "cannot create", incomplete);
		return NULL;
	}
	gnut_downloads *m = g_new0(gnut_downloads, 1);
	m->incomplete_dir = g_steal_pointer(&incomplete);
	m->download_dir = config->download_dir != NULL
	                      ? g_strdup(config->download_dir)
	                      : g_build_filename(config->data_dir, "downloads", NULL);
	m->state_path = g_build_filename(config->data_dir, STATE_FILE, NULL);
	m->clock = clock;
	m->ctx = g_main_context_ref_thread_default();
	m->max_active = or_default(config->max_active, DEFAULT_MAX_ACTIVE);
	m->connect_timeout_s = or_default(config->connect_timeout_s, DEFAULT_CONNECT_TIMEOUT_S);
	m->idle_timeout_s = or_default(config->idle_timeout_s, DEFAULT_IDLE_TIMEOUT_S);
	m->push_wait_s = or_default(config->push_wait_s, DEFAULT_PUSH_WAIT_S);
	m->max_sources =
	    MIN(or_default(config->max_sources, DEFAULT_MAX_SOURCES), GNUT_DOWNLOAD_MAX_SWARM);
	m->retry_max_s = or_default(config->retry_max_s, DEFAULT_RETRY_MAX_S);
	m->search_interval_s = or_default(config->search_interval_s, DEFAULT_SEARCH_INTERVAL_S);
	m->allow_local = config->allow_local;
	m->tls = config->tls;
	m->mesh = config->mesh;
	m->partials = config->partials;
	m->log = gnut_log_limit_new(clock);
	m->limit =
	    gnut_rate_limit_new(clock, config->download_limit, limit_burst(config->download_limit));
	m->all = g_ptr_array_new();
	m->reschedule = gnut_downloads_schedule_soon;
	m->next_id = 1;
	load_state(m);
	gnut_downloads_schedule_soon(m);
	return m;
}

void gnut_downloads_free(gnut_downloads *m)
{
	if (m == NULL)
		return;
	/* the workers' callbacks hold references (and may schedule: first) */
	gnut_downloads_wait_checks(m);
	gnut_downloads_wait_saves(m);
	gnut_downloads_stop_source(&m->schedule_src);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		gnut_dl_stop_transfer(d);
		if (gnut_dl_stop_verify(d))
			gnut_dl_set_state(d, GNUT_DOWNLOAD_COMPLETE, FALSE);
	}
	gnut_downloads_save_or_warn(m);
	gnut_downloads_withdraw_all(m);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		gnut_dl_close_partial(d);
		gnut_dl_tree_stop(d);
		d->mgr = NULL;
		gnut_dl_unref(d);
	}
	g_ptr_array_unref(m->all);
	gnut_rate_limit_free(m->limit);
	gnut_log_limit_free(m->log);
	g_main_context_unref(m->ctx);
	g_free(m->incomplete_dir);
	g_free(m->download_dir);
	g_free(m->state_path);
	g_free(m);
}

void gnut_downloads_set_notify(gnut_downloads *m, gnut_downloads_notify_fn fn, gpointer user_data)
{
	g_return_if_fail(m != NULL);
	m->notify = fn;
	m->notify_data = user_data;
}

void gnut_downloads_set_push_handler(gnut_downloads *m, gnut_downloads_push_fn fn,
                                     gpointer user_data)
{
	g_return_if_fail(m != NULL);
	m->push = fn;
	m->push_data = user_data;
}

void gnut_downloads_set_source_finder(gnut_downloads *m, gnut_downloads_find_fn fn,
                                      gpointer user_data)
{
	g_return_if_fail(m != NULL);
	m->find = fn;
	m->find_data = user_data;
}

void gnut_downloads_set_chunk_verifier(gnut_downloads *m, gnut_downloads_chunk_fn fn,
                                       gpointer user_data)
{
	g_return_if_fail(m != NULL);
	m->verify_chunk = fn;
	m->verify_chunk_data = user_data;
}

/* The push waiting for a GIV from this servent: the one for this file
 * index if several wait for it, else the first. */
static gnut_dl_slot *find_push_waiting(gnut_downloads *m, const gnut_guid *servent, guint32 index)
{
	gnut_dl_slot *first = NULL;
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		for (guint j = 0; j < d->slots->len; j++) {
			gnut_dl_slot *slot = g_ptr_array_index(d->slots, j);
			const gnut_dl_source *s = slot->src;
			if (slot->fetch != NULL ||
			    memcmp(s->guid.bytes, servent->bytes, GNUT_GUID_LEN) != 0)
				continue;
			if (s->index == index)
				return slot;
			if (first == NULL)
				first = slot;
		}
	}
	return first;
}

gboolean gnut_downloads_take_giv(gnut_downloads *m, gnut_conn *conn, const gnut_guid *servent,
                                 guint32 index)
{
	g_return_val_if_fail(m != NULL && conn != NULL && servent != NULL, FALSE);
	gnut_dl_slot *slot = find_push_waiting(m, servent, index);
	if (slot == NULL)
		return FALSE;
	gnut_dl_fetch_over_giv(slot, conn);
	return TRUE;
}

void gnut_downloads_set_limit(gnut_downloads *m, guint64 bytes_per_s)
{
	g_return_if_fail(m != NULL);
	gnut_rate_limit_set_rate(m->limit, bytes_per_s, limit_burst(bytes_per_s));
}

/* ---- adding ---- */

/* The source as the download will use it: a file name that could not go
 * in a header or the state file is dropped (the URN form needs none); FALSE
 * when even so it cannot be used. */
static gboolean usable_source(const gnut_download_source *in, gnut_download_source *out,
                              GError **error)
{
	*out = *in;
	if (out->name != NULL && !out->get_only &&
	    !gnut_download_text_is_clean(out->name, GNUT_DOWNLOAD_MAX_NAME))
		out->name = NULL;
	return gnut_download_source_check(out, error);
}

/* Checks the arguments of an add; sources that cannot be used are skipped
 * later, but when there are sources one at least must be usable. */
static gboolean check_new_download(const char *name, guint64 size, const char *to_dir,
                                   const gnut_download_source *sources, guint n_sources,
                                   GError **error)
{
	if (name == NULL)
		return invalid(error, "a download needs a name");
	if (size > GNUT_DOWNLOAD_MAX_SIZE)
		return invalid(error, "file too large");
	if (to_dir != NULL &&
	    (!g_path_is_absolute(to_dir) || !gnut_download_text_is_clean(to_dir, MAX_TARGET_DIR)))
		return invalid(error, "the target folder must be an absolute path in UTF-8");
	if (n_sources == 0)
		return TRUE; /* it waits for sources */
	g_autoptr(GError) last = NULL;
	for (guint i = 0; i < n_sources; i++) {
		gnut_download_source use;
		g_clear_error(&last);
		if (usable_source(&sources[i], &use, &last))
			return TRUE;
	}
	g_propagate_error(error, g_steal_pointer(&last));
	return FALSE;
}

guint64 gnut_downloads_add(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN], const char *name,
                           guint64 size, const char *to_dir, const gnut_download_source *sources,
                           guint n_sources, GError **error)
{
	g_return_val_if_fail(m != NULL && sha1 != NULL, 0);
	g_return_val_if_fail(sources != NULL || n_sources == 0, 0);
	if (!check_new_download(name, size, to_dir, sources, n_sources, error))
		return 0;
	gnut_dl *d = find_live_by_sha1(m, sha1);
	if (d != NULL && d->size != size) {
		invalid(error, "this file is already being downloaded with another size");
		return 0;
	}
	if (d == NULL) {
		d = gnut_dl_new(m, m->next_id++, sha1, name, size, to_dir);
		g_ptr_array_add(m->all, d);
	}
	for (guint i = 0; i < n_sources; i++) {
		gnut_download_source use;
		if (usable_source(&sources[i], &use, NULL))
			gnut_dl_merge_source(d, &use, TRUE);
	}
	gnut_dl_refresh_state(d, FALSE);
	gnut_downloads_save_or_warn(m);
	gnut_downloads_schedule_soon(m);
	return d->id;
}

static gnut_dl *find_or_error(gnut_downloads *m, guint64 id, GError **error)
{
	gnut_dl *d = gnut_dl_find(m, id);
	if (d == NULL)
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND,
		            "no download %" G_GUINT64_FORMAT, id);
	return d;
}

gboolean gnut_downloads_add_source(gnut_downloads *m, guint64 id, const gnut_download_source *src,
                                   GError **error)
{
	g_return_val_if_fail(m != NULL && src != NULL, FALSE);
	gnut_dl *d = find_or_error(m, id, error);
	if (d == NULL)
		return FALSE;
	if (gnut_download_state_is_final(d->state))
		return invalid(error, "the download is over");
	gnut_download_source use;
	if (!usable_source(src, &use, error))
		return FALSE;
	gnut_dl_merge_source(d, &use, TRUE);
	gnut_dl_refresh_state(d, FALSE);
	gnut_downloads_save_later(m);
	gnut_downloads_schedule_soon(m);
	return TRUE;
}

guint64 gnut_downloads_find(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN])
{
	gnut_dl *d = find_live_by_sha1(m, sha1);
	return d != NULL ? d->id : 0;
}

/* ---- cancelling, pausing, resuming, retrying ---- */

gboolean gnut_downloads_cancel(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	gnut_dl *d = find_or_error(m, id, error);
	if (d == NULL)
		return FALSE;
	if (gnut_download_state_is_final(d->state))
		return invalid(error, "the download is over");
	if (gnut_dl_stop_verify(d)) {
		gnut_dl_set_state(d, GNUT_DOWNLOAD_COMPLETE, FALSE);
		gnut_downloads_save_or_warn(m);
		return invalid(error, "the download completed before it could be cancelled");
	}
	gnut_dl_stop_transfer(d);
	gnut_dl_close_partial(d);
	g_unlink(d->partial);
	g_clear_pointer(&d->error, g_free);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_CANCELLED, FALSE);
	gnut_downloads_save_or_warn(m);
	gnut_downloads_schedule_soon(m);
	return TRUE;
}

/* A download that can be paused or retried: not over, not verifying. */
static gnut_dl *find_changeable(gnut_downloads *m, guint64 id, GError **error)
{
	gnut_dl *d = find_or_error(m, id, error);
	if (d == NULL)
		return NULL;
	if (gnut_download_state_is_final(d->state) || d->state == GNUT_DOWNLOAD_VERIFYING) {
		invalid(error, "the download is over or being verified");
		return NULL;
	}
	return d;
}

gboolean gnut_downloads_pause(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	gnut_dl *d = find_changeable(m, id, error);
	if (d == NULL)
		return FALSE;
	gnut_dl_pause(d, NULL, 0, FALSE);
	gnut_downloads_schedule_soon(m);
	return TRUE;
}

static void unpause(gnut_dl *d)
{
	d->user_paused = FALSE;
	d->resume_at_us = 0;
	g_clear_pointer(&d->error, g_free);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, FALSE);
	gnut_dl_refresh_state(d, FALSE);
}

gboolean gnut_downloads_resume(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	gnut_dl *d = find_or_error(m, id, error);
	if (d == NULL)
		return FALSE;
	if (d->state != GNUT_DOWNLOAD_PAUSED)
		return invalid(error, "the download is not paused");
	unpause(d);
	gnut_downloads_save_or_warn(m);
	gnut_downloads_schedule_soon(m);
	return TRUE;
}

gboolean gnut_downloads_retry(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	gnut_dl *d = find_changeable(m, id, error);
	if (d == NULL)
		return FALSE;
	gint64 now = gnut_clock_now_us(m->clock);
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		s->dead = FALSE;
		s->failures = 0;
		s->next_try_us = now;
		s->use_get = s->get_only; /* the URN form again */
	}
	d->next_search_us = now;
	if (d->state == GNUT_DOWNLOAD_PAUSED)
		unpause(d);
	gnut_dl_refresh_state(d, FALSE);
	gnut_downloads_save_or_warn(m);
	gnut_downloads_schedule_soon(m);
	return TRUE;
}

/* ---- status, saving ---- */

static void fill_status(const gnut_dl *d, gnut_download_status *out)
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(d->sha1, urn);
	out->id = d->id;
	out->name = g_strdup(d->name);
	out->urn = g_strdup(urn);
	out->size = d->size;
	out->done = d->done_bytes;
	out->state = d->state;
	out->path = g_strdup(d->final_path != NULL ? d->final_path : d->partial);
	out->error = g_strdup(d->error != NULL                    ? d->error
	                      : d->state == GNUT_DOWNLOAD_WAITING ? d->last_error
	                                                          : NULL);
	out->sources = gnut_dl_count_alive(d);
	out->active = d->slots->len;
	gboolean flowing = d->mgr != NULL && d->slots->len > 0 &&
	                   gnut_clock_now_us(d->mgr->clock) - d->last_data_us < RATE_STALE_US;
	out->rate = flowing ? d->rate : 0;
	out->eta_s = out->rate > 0 ? (gint64)((d->size - d->done_bytes) / out->rate) : -1;
}

static const char *source_state(const gnut_dl_source *s, gint64 now)
{
	if (s->slot != NULL)
		return s->slot->fetch == NULL ? "pushing"
		       : s->slot->receiving   ? "downloading"
		                              : "connecting";
	if (s->dead)
		return "dropped";
	if (s->queued)
		return "queued";
	return s->next_try_us > now ? "backoff" : "ready";
}

static gnut_download_source_status *source_status(const gnut_dl *d, const gnut_dl_source *s,
                                                  gint64 now)
{
	gnut_download_source_status *st = g_new0(gnut_download_source_status, 1);
	st->host = g_strdup(s->host);
	st->port = s->port;
	st->firewalled = s->firewalled;
	st->state = source_state(s, now);
	st->error = g_strdup(s->error);
	st->received = s->received;
	st->failures = s->failures;
	if ((strcmp(st->state, "backoff") == 0 || s->queued) && s->next_try_us > now)
		st->retry_in_s = (s->next_try_us - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
	if (s->queued) {
		st->queue_position = s->queue_position;
		st->queue_length = s->queue_length;
	}
	if (s->slot != NULL && s->slot->has_chunk)
		gnut_dl_chunk_bounds(d, s->slot->chunk, &st->range_start, &st->range_end);
	return st;
}

GPtrArray *gnut_downloads_sources(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, NULL);
	gnut_dl *d = find_or_error(m, id, error);
	if (d == NULL)
		return NULL;
	gint64 now = gnut_clock_now_us(m->clock);
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_download_source_status_free);
	for (guint i = 0; i < d->sources->len; i++)
		g_ptr_array_add(out, source_status(d, g_ptr_array_index(d->sources, i), now));
	return out;
}

gboolean gnut_downloads_get(gnut_downloads *m, guint64 id, gnut_download_status *out)
{
	g_return_val_if_fail(m != NULL && out != NULL, FALSE);
	gnut_dl *d = gnut_dl_find(m, id);
	if (d == NULL)
		return FALSE;
	fill_status(d, out);
	return TRUE;
}

GPtrArray *gnut_downloads_list(gnut_downloads *m)
{
	g_return_val_if_fail(m != NULL, NULL);
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_download_status_free);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_download_status *st = g_new0(gnut_download_status, 1);
		fill_status(g_ptr_array_index(m->all, i), st);
		g_ptr_array_add(out, st);
	}
	return out;
}

guint64 gnut_downloads_bytes_in(const gnut_downloads *m)
{
	g_return_val_if_fail(m != NULL, 0);
	return m->bytes_in;
}

gboolean gnut_downloads_save(gnut_downloads *m, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	return gnut_downloads_save_now(m, error);
}
