/* download-item.c: one download of the manager (see download-manager.h):
 * creating it, its sources, its transfers (slots), its partial file, its
 * state, and pausing it.
 *
 * The partial file is open only while the download has transfers, so that
 * only those hold a descriptor; bytes are written with pwrite at their
 * offset, so the order in which ranges arrive does not matter. What is
 * written (done) becomes durable only once synced (download-save.c). */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "gnut/core/transfer/filename.h"
#include "gnut/proto/urn.h"

#define PARTIAL_MODE 0644

static void source_free(gpointer p)
{
	gnut_dl_source *s = p;
	g_free(s->host);
	g_free(s->name);
	g_free(s->error);
	g_free(s->thex_path);
	if (s->avail != NULL)
		g_array_unref(s->avail);
	g_free(s);
}

gnut_dl *gnut_dl_ref(gnut_dl *d)
{
	g_atomic_int_inc(&d->refs);
	return d;
}

void gnut_dl_unref(gnut_dl *d)
{
	if (!g_atomic_int_dec_and_test(&d->refs))
		return;
	g_free(d->name);
	g_free(d->to_dir);
	g_free(d->partial);
	g_free(d->final_path);
	g_free(d->error);
	g_free(d->last_error);
	g_array_unref(d->done);
	g_array_unref(d->durable);
	g_array_unref(d->checking);
	g_ptr_array_unref(d->slots);
	g_ptr_array_unref(d->sources);
	g_hash_table_unref(d->contributors);
	g_clear_pointer(&d->verifier, gnut_thex_verifier_free); /* no fetch holds it */
	if (d->nalts != NULL)
		g_array_unref(d->nalts);
	g_free(d);
}

/* <incomplete>/<BASE32 SHA-1>.part */
static char *partial_path(const gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN])
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	g_autofree char *base = g_strconcat(urn + strlen("urn:sha1:"), ".part", NULL);
	return g_build_filename(m->incomplete_dir, base, NULL);
}

gnut_dl *gnut_dl_new(gnut_downloads *m, guint64 id, const uint8_t sha1[GNUT_SHA1_LEN],
                     const char *name, guint64 size, const char *to_dir)
{
	gnut_dl *d = g_new0(gnut_dl, 1);
	d->refs = 1;
	d->mgr = m;
	d->id = id;
	memcpy(d->sha1, sha1, GNUT_SHA1_LEN);
	d->name = gnut_filename_sanitize(name, -1);
	d->size = size;
	d->to_dir = g_strdup(to_dir);
	d->partial = partial_path(m, sha1);
	d->done = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	d->durable = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	d->checking = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	d->sources = g_ptr_array_new_with_free_func(source_free);
	d->slots = g_ptr_array_new();
	d->contributors = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	d->next_search_us =
	    gnut_clock_now_us(m->clock) + (gint64)m->search_interval_s * G_USEC_PER_SEC;
	d->state = GNUT_DOWNLOAD_WAITING;
	d->fd = -1;
	return d;
}

/* The same source: a firewalled one is its servent GUID (its host:port is
 * often a private address that other firewalled servents share), any other
 * its host:port. */
static gboolean same_source(const gnut_dl_source *s, const gnut_download_source *src)
{
	if (s->firewalled || src->firewalled)
		return s->firewalled && src->firewalled &&
		       memcmp(s->guid.bytes, src->guid.bytes, GNUT_GUID_LEN) == 0;
	return s->port == src->port && g_ascii_strcasecmp(s->host, src->host) == 0;
}

/* Why revive a known source on a new hit: a new offer says it may work
 * again. */
void gnut_dl_merge_source(gnut_dl *d, const gnut_download_source *src, gboolean revive)
{
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (same_source(s, src)) {
			if (revive) {
				s->dead = FALSE;
				s->failures = 0;
			}
			return;
		}
	}
	if (d->sources->len >= GNUT_DOWNLOAD_MAX_SOURCES)
		return;
	gnut_dl_source *s = g_new0(gnut_dl_source, 1);
	s->host = g_strdup(src->host);
	s->port = src->port;
	s->index = src->index;
	s->name = g_strdup(src->name);
	s->get_only = src->get_only;
	s->use_get = src->get_only;
	s->has_guid = src->has_guid;
	s->guid = src->guid;
	s->firewalled = src->firewalled;
	s->tls = src->tls;
	s->bit = d->sources->len;
	g_ptr_array_add(d->sources, s);
}

gboolean gnut_dl_source_alive(const gnut_dl_source *s)
{
	return !s->dead && s->failures < GNUT_DL_MAX_ATTEMPTS;
}

guint gnut_dl_count_alive(const gnut_dl *d)
{
	guint n = 0;
	for (guint i = 0; i < d->sources->len; i++)
		n += gnut_dl_source_alive(g_ptr_array_index(d->sources, i));
	return n;
}

void gnut_dl_source_error(gnut_dl *d, gnut_dl_source *src, const char *why)
{
	g_free(src->error);
	src->error = g_strdup(why);
	g_free(d->last_error);
	d->last_error = g_strdup(why);
}

void gnut_dl_give_up_source(gnut_dl *d, gnut_dl_source *src, const char *why)
{
	src->dead = TRUE;
	g_autofree char *msg = g_strdup_printf("%s:%u: %s", src->host, src->port, why);
	gnut_dl_source_error(d, src, msg);
}

void gnut_dl_set_state(gnut_dl *d, gnut_download_state state, gboolean notify)
{
	if (d->state == state)
		return;
	d->state = state;
	if (state == GNUT_DOWNLOAD_VERIFYING || gnut_download_state_is_final(state))
		gnut_dl_publish(d); /* withdrawn: the partial file is about to move or go */
	gnut_downloads *m = d->mgr;
	if (notify && m != NULL && m->notify != NULL)
		m->notify(m, d->id, state, m->notify_data);
}

gboolean gnut_dl_in_progress(const gnut_dl *d)
{
	switch (d->state) {
	case GNUT_DOWNLOAD_QUEUED:
	case GNUT_DOWNLOAD_CONNECTING:
	case GNUT_DOWNLOAD_DOWNLOADING:
	case GNUT_DOWNLOAD_WAITING:
		return TRUE;
	default:
		return FALSE;
	}
}

void gnut_dl_refresh_state(gnut_dl *d, gboolean notify)
{
	if (!gnut_dl_in_progress(d))
		return;
	gnut_download_state st =
	    gnut_dl_count_alive(d) > 0 ? GNUT_DOWNLOAD_QUEUED : GNUT_DOWNLOAD_WAITING;
	for (guint i = 0; i < d->slots->len; i++) {
		const gnut_dl_slot *slot = g_ptr_array_index(d->slots, i);
		if (slot->receiving) {
			st = GNUT_DOWNLOAD_DOWNLOADING;
			break;
		}
		st = GNUT_DOWNLOAD_CONNECTING;
	}
	gnut_dl_set_state(d, st, notify);
}

gboolean gnut_dl_open_partial(gnut_dl *d)
{
	if (d->fd < 0)
		d->fd = open(d->partial, O_RDWR | O_CREAT | O_CLOEXEC, PARTIAL_MODE);
	return d->fd >= 0;
}

void gnut_dl_close_partial(gnut_dl *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	d->unsynced = FALSE;
}

void gnut_dl_release_partial(gnut_dl *d)
{
	gnut_dl_sync(d);
	gnut_dl_close_partial(d);
}

gnut_dl_slot *gnut_dl_slot_new(gnut_dl *d, gnut_dl_source *src)
{
	gnut_dl_slot *slot = g_new0(gnut_dl_slot, 1);
	slot->d = d;
	slot->src = src;
	slot->asked_blind = src->avail == NULL;
	src->slot = slot;
	g_ptr_array_add(d->slots, slot);
	return slot;
}

void gnut_dl_slot_drop(gnut_dl_slot *slot)
{
	g_clear_pointer(&slot->fetch, gnut_download_fetch_free);
	slot->src->slot = NULL;
	g_ptr_array_remove(slot->d->slots, slot);
	g_free(slot);
}

void gnut_dl_stop_transfer(gnut_dl *d)
{
	while (d->slots->len > 0)
		gnut_dl_slot_drop(g_ptr_array_index(d->slots, d->slots->len - 1));
}

void gnut_dl_pause(gnut_dl *d, const char *why, guint retry_in_s, gboolean notify)
{
	gnut_dl_stop_transfer(d);
	gnut_dl_release_partial(d);
	g_free(d->error);
	d->error = g_strdup(why);
	d->user_paused = why == NULL;
	d->resume_at_us = 0;
	if (retry_in_s > 0 && d->mgr != NULL)
		d->resume_at_us =
		    gnut_clock_now_us(d->mgr->clock) + (gint64)retry_in_s * G_USEC_PER_SEC;
	if (why != NULL)
		g_warning("download %" G_GUINT64_FORMAT " (%s) paused: %s", d->id, d->name, why);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_PAUSED, notify);
	if (d->mgr != NULL)
		gnut_downloads_save_or_warn(d->mgr);
}
