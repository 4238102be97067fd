/* download-save.c: the manager's downloads in progress written to
 * downloads.xml (see download-manager.h). Each download becomes a record
 * for download-store.c, after its partial file's bytes are synced: the
 * state file claims only the durable ranges (download-item.c), never bytes
 * the disk may not hold. Progress saves at most every SAVE_DELAY_MS; a
 * completed chunk saves at once unless the last save is younger than
 * CHUNK_SAVE_MIN_MS, and then when it is that old (so a swarm at full
 * speed syncs a few times a second, not once per chunk); adding,
 * cancelling, pausing and finishing a download save at once. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define SAVE_DELAY_MS     5000
#define CHUNK_SAVE_MIN_MS 250
#define US_PER_MS         1000

/* Why take back on failure: a failed fdatasync may have dropped the pages,
 * so the bytes not known durable are not known to be anywhere. */
gboolean gnut_dl_sync(gnut_dl *d)
{
	if (d->fd >= 0 && d->unsynced && fdatasync(d->fd) != 0) {
		g_warning("cannot sync %s: %s; its unsynced bytes will be fetched again",
		          d->partial, g_strerror(errno));
		g_array_set_size(d->done, 0);
		g_array_append_vals(d->done, d->durable->data, d->durable->len);
		d->done_bytes = gnut_download_ranges_count_in(d->done, 0, d->size);
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

gboolean gnut_downloads_save_now(gnut_downloads *m, GError **error)
{
	gnut_downloads_stop_source(&m->save_src);
	g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(gnut_download_record_free);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (gnut_download_state_is_final(d->state))
			continue;
		gnut_dl_sync(d);
		g_ptr_array_add(records, record_of(d));
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
	gnut_downloads_save_or_warn(data);
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
	if (since_ms >= CHUNK_SAVE_MIN_MS || since_ms < 0)
		gnut_downloads_save_or_warn(m);
	else
		save_within(m, (guint)(CHUNK_SAVE_MIN_MS - since_ms));
}
