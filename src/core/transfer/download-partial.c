/* download-partial.c: partial file sharing on the downloads' side (see
 * download.h): what a download offers others from its partial file, and
 * what a partial source says it can serve us (X-Available-Ranges).
 *
 * Offered: whole chunks only (a chunk is the unit a tree checks and a
 * save makes durable), of the durable ranges (what downloads.xml claims:
 * synced), and only when those chunks were checked: with a tree every
 * chunk was checked as it completed, and the chunks of an earlier run when
 * the tree came; while the tree is on its way nothing is offered. Without
 * a tree the durable chunks go unverified, as gtk-gnutella offers them. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

/* Whether d's partial file may be offered at all now. */
static gboolean offerable(const gnut_dl *d)
{
	if (d->state == GNUT_DOWNLOAD_VERIFYING || gnut_download_state_is_final(d->state))
		return FALSE;          /* the file is being moved, or over */
	return d->tree_cancel == NULL; /* no tree on its way */
}

void gnut_dl_publish(gnut_dl *d)
{
	gnut_partials *p = d->mgr != NULL ? d->mgr->partials : NULL;
	if (p == NULL)
		return;
	g_autoptr(GArray) offer = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	if (offerable(d))
		gnut_download_ranges_whole_chunks(d->durable, d->size, GNUT_DOWNLOAD_CHUNK, offer,
		                                  GNUT_HTTP_MAX_AVAILABLE);
	gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
	if (!gnut_partials_publish(p, d->sha1, d->name, d->size, d->partial,
	                           (const gnut_http_range *)(void *)offer->data, offer->len, now_s))
		gnut_partials_withdraw(p, d->sha1);
}

void gnut_downloads_withdraw_all(gnut_downloads *m)
{
	if (m->partials == NULL)
		return;
	for (guint i = 0; i < m->all->len; i++)
		gnut_partials_withdraw(m->partials,
		                       ((gnut_dl *)g_ptr_array_index(m->all, i))->sha1);
}

void gnut_dl_source_learn_ranges(gnut_dl *d, gnut_dl_source *src, const gnut_head *h)
{
	const char *value = gnut_head_get(h, "X-Available-Ranges");
	if (value == NULL) {
		g_clear_pointer(&src->avail, g_array_unref);
		return;
	}
	gnut_http_range r[GNUT_HTTP_MAX_AVAILABLE];
	size_t n = 0;
	if (src->avail == NULL)
		src->avail = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	g_array_set_size(src->avail, 0);
	if (gnut_http_parse_available_ranges(value, r, &n) != GNUT_PROTO_OK) {
		gnut_log_limited(d->mgr->log, "source %s:%u: bad X-Available-Ranges: taken as none",
		                 src->host, src->port);
		return;
	}
	/* end is inclusive and may be 2^64 - 1: clipped before the + 1 */
	for (size_t i = 0; i < n; i++)
		if (r[i].start < d->size)
			gnut_download_ranges_add(src->avail, r[i].start,
			                         MIN(r[i].end, d->size - 1) + 1);
}

gboolean gnut_dl_source_has(const gnut_dl_source *src, guint64 start, guint64 len,
                            guint64 *out_start, guint64 *out_len)
{
	if (src->avail == NULL) {
		*out_start = start;
		*out_len = len;
		return TRUE;
	}
	for (guint i = 0; i < src->avail->len; i++) {
		const gnut_download_range *r = &g_array_index(src->avail, gnut_download_range, i);
		if (r->end <= start)
			continue;
		if (r->start >= start + len)
			return FALSE;
		*out_start = MAX(start, r->start);
		*out_len = MIN(start + len, r->end) - *out_start;
		return TRUE;
	}
	return FALSE;
}
