/* download-item.c: one download of the manager (see download-manager.h):
 * creating it, its sources, its partial file, its state changes, and the
 * two ways it ends by itself: failing, or being handed, once every byte is
 * here, to the finishing job of download-verify.c.
 *
 * The partial file is open only while the download fetches, so that only
 * those hold a descriptor; bytes are written with pwrite at their offset,
 * so the order in which ranges arrive does not matter, and synced before
 * the file closes, since the state file may already claim them. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
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
	g_ptr_array_unref(d->sources);
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
	d->sources = g_ptr_array_new_with_free_func(source_free);
	d->wait_until_us = gnut_clock_now_us(m->clock) + (gint64)m->source_wait_s * G_USEC_PER_SEC;
	d->state = GNUT_DOWNLOAD_QUEUED;
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

/* Why revive a known source: a new offer says it may work again. */
void gnut_dl_merge_source(gnut_dl *d, const gnut_download_source *src)
{
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (same_source(s, src)) {
			s->dead = FALSE;
			s->failures = 0;
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
	g_ptr_array_add(d->sources, s);
}

guint gnut_dl_count_alive(const gnut_dl *d)
{
	guint n = 0;
	for (guint i = 0; i < d->sources->len; i++)
		n += !((const gnut_dl_source *)g_ptr_array_index(d->sources, i))->dead;
	return n;
}

void gnut_dl_set_state(gnut_dl *d, gnut_download_state state, gboolean notify)
{
	if (d->state == state)
		return;
	d->state = state;
	gnut_downloads *m = d->mgr;
	if (notify && m != NULL && m->notify != NULL)
		m->notify(m, d->id, state, m->notify_data);
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
	if (d->fd >= 0 && d->unsynced && fdatasync(d->fd) != 0)
		g_warning("cannot sync %s: %s", d->partial, g_strerror(errno));
	gnut_dl_close_partial(d);
}

void gnut_dl_stop_transfer(gnut_dl *d)
{
	g_clear_pointer(&d->fetch, gnut_download_fetch_free);
	d->fetch_src = NULL;
	d->push_src = NULL;
}

void gnut_dl_fail(gnut_dl *d, const char *why, gboolean notify)
{
	gnut_dl_stop_transfer(d);
	gnut_dl_close_partial(d);
	g_unlink(d->partial);
	g_free(d->error);
	d->error = g_strdup(why);
	g_info("download %" G_GUINT64_FORMAT " (%s) failed: %s", d->id, d->name, why);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_FAILED, notify);
	if (d->mgr != NULL)
		gnut_downloads_save_or_warn(d->mgr);
}

/* The finishing job is over. It only counts while the download still
 * waits for it: a cancel or the manager's end has stopped it and taken
 * its outcome already. */
static void on_verified(gnut_download_verify *job, const char *path, const GError *error,
                        gpointer data)
{
	gnut_dl *d = data;
	if (d->job == job)
		d->job = NULL;
	if (d->mgr != NULL && d->state == GNUT_DOWNLOAD_VERIFYING) {
		if (path != NULL) {
			d->final_path = g_strdup(path);
			g_info("download %" G_GUINT64_FORMAT " complete: %s", d->id, d->final_path);
			gnut_dl_set_state(d, GNUT_DOWNLOAD_COMPLETE, TRUE);
			gnut_downloads_save_or_warn(d->mgr);
		} else {
			gnut_dl_fail(d, error->message, TRUE);
		}
	}
	gnut_dl_unref(d);
}

/* Why truncate first: a stale partial file longer than the download would
 * not hash right. */
void gnut_dl_start_verify(gnut_dl *d)
{
	gnut_downloads *m = d->mgr;
	if (!gnut_dl_open_partial(d) || ftruncate(d->fd, (off_t)d->size) != 0) {
		g_autofree char *why =
		    g_strdup_printf("cannot prepare %s: %s", d->partial, g_strerror(errno));
		gnut_dl_fail(d, why, TRUE);
		return;
	}
	gnut_dl_close_partial(d);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_VERIFYING, TRUE);
	gnut_download_verify_params p = {
	    .partial = d->partial,
	    .sha1 = d->sha1,
	    .size = d->size,
	    .dir = d->to_dir != NULL ? d->to_dir : m->download_dir,
	    .name = d->name,
	};
	d->job = gnut_download_verify_start(&p, on_verified, gnut_dl_ref(d));
}

gboolean gnut_dl_stop_verify(gnut_dl *d)
{
	if (d->job == NULL)
		return FALSE;
	g_autofree char *moved = gnut_download_verify_stop(g_steal_pointer(&d->job));
	if (moved == NULL)
		return FALSE;
	g_free(d->final_path);
	d->final_path = g_steal_pointer(&moved);
	return TRUE;
}
