/* download-sched.c: the scheduler and the source policy of the download
 * manager (see download-manager.h).
 *
 * The scheduler runs from an idle source whenever something changes (and
 * from a timer while a retry time, a wait for a first source or a wait for
 * a GIV is pending). It starts a fetch (download-http.c) for queued
 * downloads up to max_active, each from the first source that is due. A
 * fetch's outcome decides its source's fate: retry at once (connection
 * kept alive to the end, 404 on the URN form with a /get/ form to try),
 * later (503: its Retry-After; an error: back-off doubling from
 * RETRY_BASE_S), or never (416, wrong file, MAX_ATTEMPTS errors in a row
 * without data). When every source is given up the download fails. A
 * download that never had a source waits for one until its wait_until_us,
 * and then fails.
 *
 * A firewalled source is never connected to: picking it calls the owner's
 * push handler and parks the download on it (push_src) until its GIV comes
 * (gnut_dl_fetch_over_giv) or push_until_us passes, which counts as an
 * error of the source. A download waiting for a GIV holds a fetch slot, as
 * one that fetches.
 *
 * The fetch's body bytes go to the partial file through the manager's rate
 * limiter, one token bucket for all downloads on the injected clock. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MAX_ATTEMPTS     4    /* errors in a row before a source is given up */
#define RETRY_BASE_S     5    /* first back-off after an error; doubles */
#define RETRY_MAX_S      600  /* longest back-off */
#define BUSY_DEFAULT_S   60   /* a 503 without Retry-After */
#define BUSY_MAX_S       3600 /* longest Retry-After heeded */
#define SCHEDULE_POLL_MS 1000 /* longest sleep while a retry or a wait is pending */
#define US_PER_MS        1000
#define LIMIT_WAKE_BYTES 4096 /* a fetch paused by the rate limit waits for this many */

/* ---- what an outcome means for a source ---- */

static void give_up_source(gnut_dl *d, gnut_dl_source *src, const char *why)
{
	src->dead = TRUE;
	g_free(d->last_error);
	d->last_error = g_strdup_printf("%s:%u: %s", src->host, src->port, why);
}

/* An attempt failed (a connection or protocol error, a push without a
 * GIV): try again after a back-off that doubles, or give the source up
 * after MAX_ATTEMPTS in a row. */
static void source_failed(gnut_dl *d, gnut_dl_source *src, gint64 now, const char *why)
{
	src->failures++;
	g_free(d->last_error);
	d->last_error = g_strdup(why);
	if (src->failures >= MAX_ATTEMPTS)
		src->dead = TRUE;
	else
		src->next_try_us =
		    now +
		    (gint64)MIN(RETRY_BASE_S << (src->failures - 1), RETRY_MAX_S) * G_USEC_PER_SEC;
}

static void judge_source(gnut_dl *d, gnut_dl_source *src, const gnut_download_fetch_result *r)
{
	gint64 now = gnut_clock_now_us(d->mgr->clock);
	if (r->received > 0)
		src->failures = 0;
	switch (r->outcome) {
	case GNUT_DOWNLOAD_FETCH_DONE:
	case GNUT_DOWNLOAD_FETCH_CLOSED:
		src->next_try_us = now;
		break;
	case GNUT_DOWNLOAD_FETCH_BUSY: {
		guint s =
		    r->retry_after_s == 0 ? BUSY_DEFAULT_S : MIN(r->retry_after_s, BUSY_MAX_S);
		src->next_try_us = now + (gint64)s * G_USEC_PER_SEC;
		break;
	}
	case GNUT_DOWNLOAD_FETCH_NOT_FOUND:
		if (!src->use_get && src->name != NULL) {
			src->use_get = TRUE; /* try /get/<index>/<name> at once */
			src->next_try_us = now;
		} else {
			give_up_source(d, src, "file not found");
		}
		break;
	case GNUT_DOWNLOAD_FETCH_BAD_RANGE:
		give_up_source(d, src, "range not available");
		break;
	case GNUT_DOWNLOAD_FETCH_WRONG_FILE:
		give_up_source(d, src, r->error->message);
		break;
	case GNUT_DOWNLOAD_FETCH_LOCAL:
		break; /* our disk, not the source: op_done fails the download */
	case GNUT_DOWNLOAD_FETCH_ERROR:
		source_failed(d, src, now, r->error->message);
		break;
	}
}

/* ---- the fetch's callbacks ---- */

static gboolean op_next_range(gpointer data, guint64 *start, guint64 *len)
{
	gnut_dl *d = data;
	return gnut_download_ranges_first_missing(d->done, d->size, start, len);
}

static gboolean op_write(gpointer data, guint64 offset, const guint8 *buf, gsize len,
                         GError **error)
{
	gnut_dl *d = data;
	gsize off = 0;
	while (off < len) {
		ssize_t n = pwrite(d->fd, buf + off, len - off, (off_t)(offset + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gnut_download_io_error(error, "cannot write", d->partial);
		off += (gsize)n;
	}
	d->done_bytes += gnut_download_ranges_add(d->done, offset, offset + len);
	d->unsynced = TRUE;
	d->mgr->bytes_in += len;
	gnut_downloads_save_later(d->mgr);
	return TRUE;
}

static gsize op_budget(gpointer data, gsize want, gint64 *wait_us)
{
	gnut_dl *d = data;
	gnut_rate_limit *limit = d->mgr->limit;
	gsize take = (gsize)gnut_rate_limit_take(limit, want);
	if (take == 0)
		*wait_us = gnut_rate_limit_wait_us(limit, MIN(want, (gsize)LIMIT_WAKE_BYTES));
	return take;
}

static void op_receiving(gpointer data)
{
	gnut_dl_set_state(data, GNUT_DOWNLOAD_DOWNLOADING, TRUE);
}

static void op_done(gpointer data, const gnut_download_fetch_result *r)
{
	gnut_dl *d = data;
	gnut_downloads *m = d->mgr;
	gnut_dl_source *src = d->fetch_src;
	g_clear_pointer(&d->fetch, gnut_download_fetch_free);
	d->fetch_src = NULL;
	if (r->tls_failed)
		src->tls = FALSE; /* plain from now on */
	judge_source(d, src, r);
	if (r->outcome == GNUT_DOWNLOAD_FETCH_LOCAL) {
		gnut_dl_fail(d, r->error->message, TRUE);
	} else if (d->done_bytes == d->size) {
		gnut_dl_start_verify(d);
	} else {
		gnut_dl_release_partial(d);
		gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, TRUE);
	}
	gnut_downloads_save_later(m);
	gnut_downloads_schedule_soon(m);
}

static const gnut_download_fetch_ops fetch_ops = {
    .next_range = op_next_range,
    .write = op_write,
    .budget = op_budget,
    .receiving = op_receiving,
    .done = op_done,
};

static void fill_params(const gnut_dl *d, const gnut_dl_source *src, gnut_download_fetch_params *p)
{
	const gnut_downloads *m = d->mgr;
	*p = (gnut_download_fetch_params){
	    .host = src->host,
	    .port = src->port,
	    .sha1 = d->sha1,
	    .size = d->size,
	    .use_get = src->use_get,
	    .index = src->index,
	    .name = src->name,
	    .connect_timeout_s = m->connect_timeout_s,
	    .tls = m->tls && src->tls,
	    .idle_timeout_s = m->idle_timeout_s,
	    .clock = m->clock,
	};
}

/* ---- starting a fetch or a push ---- */

/* Asks the owner for a push to a firewalled source, and waits for its GIV
 * (the handler may even bring it at once). */
static void start_push(gnut_dl *d, gnut_dl_source *src)
{
	gnut_downloads *m = d->mgr;
	d->push_src = src;
	d->push_until_us = gnut_clock_now_us(m->clock) + (gint64)m->push_wait_s * G_USEC_PER_SEC;
	gnut_dl_set_state(d, GNUT_DOWNLOAD_CONNECTING, TRUE);
	if (d->push_src == src && m->push != NULL) /* the notify may have cancelled it */
		m->push(m, &src->guid, src->index, m->push_data);
}

/* Tries a source: connects to it, or asks for a push when it is
 * firewalled. */
static void start_fetch(gnut_dl *d, gnut_dl_source *src)
{
	if (!gnut_dl_open_partial(d)) {
		g_autofree char *why =
		    g_strdup_printf("cannot open %s: %s", d->partial, g_strerror(errno));
		gnut_dl_fail(d, why, TRUE);
		return;
	}
	if (src->firewalled) {
		start_push(d, src);
		return;
	}
	gnut_download_fetch_params p;
	fill_params(d, src, &p);
	d->fetch_src = src;
	d->fetch = gnut_download_fetch_start(&p, &fetch_ops, d);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_CONNECTING, TRUE);
}

void gnut_dl_fetch_over_giv(gnut_dl *d, gnut_conn *conn)
{
	gnut_dl_source *src = g_steal_pointer(&d->push_src);
	gnut_download_fetch_params p;
	fill_params(d, src, &p);
	d->fetch_src = src;
	d->fetch = gnut_download_fetch_start_on(conn, &p, &fetch_ops, d);
}

/* A push brought no GIV in time: an error of its source, and the download
 * goes back to the queue. */
static void push_expired(gnut_dl *d, gint64 now)
{
	gnut_dl_source *src = g_steal_pointer(&d->push_src);
	g_autofree char *why = g_strdup_printf("%s:%u: no GIV after push", src->host, src->port);
	source_failed(d, src, now, why);
	gnut_dl_release_partial(d);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, TRUE);
}

/* ---- scheduling ---- */

/* The first source due now; else NULL, and *wake is lowered to the
 * earliest retry time. */
static gnut_dl_source *pick_source(gnut_dl *d, gint64 now, gint64 *wake)
{
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->dead)
			continue;
		if (s->next_try_us <= now)
			return s;
		*wake = MIN(*wake, s->next_try_us);
	}
	return NULL;
}

/* Without a push handler a firewalled source cannot be reached at all. */
static void drop_unreachable(gnut_dl *d)
{
	if (d->mgr->push != NULL)
		return;
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->firewalled && !s->dead)
			give_up_source(d, s, "firewalled, and no push handler to reach it");
	}
}

/* A queued download that cannot fetch, whatever the free slots: one that
 * never had a source fails when its wait is over (else *wake is lowered to
 * that time, so that the schedule timer comes back then); one whose every
 * source is given up fails at once. FALSE when it may fetch. */
static gboolean settle_sourceless(gnut_dl *d, gint64 now, gint64 *wake)
{
	if (d->sources->len == 0) {
		if (now >= d->wait_until_us)
			gnut_dl_fail(d, "no source found", TRUE);
		else
			*wake = MIN(*wake, d->wait_until_us);
		return TRUE;
	}
	drop_unreachable(d);
	if (gnut_dl_count_alive(d) > 0)
		return FALSE;
	g_autofree char *why =
	    g_strdup_printf("every source failed%s%s", d->last_error != NULL ? "; last: " : "",
	                    d->last_error != NULL ? d->last_error : "");
	gnut_dl_fail(d, why, TRUE);
	return TRUE;
}

static gboolean is_busy(const gnut_dl *d)
{
	return d->fetch != NULL || d->push_src != NULL;
}

/* Downloads holding a slot: fetching, or waiting for a GIV. */
static guint count_busy(const gnut_downloads *m)
{
	guint n = 0;
	for (guint i = 0; i < m->all->len; i++)
		n += is_busy(g_ptr_array_index(m->all, i));
	return n;
}

/* Ends the pushes whose GIV is late; else lowers *wake to when one will
 * be. */
static void settle_pushes(gnut_downloads *m, gint64 now, gint64 *wake)
{
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (d->push_src == NULL)
			continue;
		if (now >= d->push_until_us)
			push_expired(d, now);
		else
			*wake = MIN(*wake, d->push_until_us);
	}
}

static gboolean on_schedule(gpointer data);

static void run_schedule(gnut_downloads *m)
{
	gint64 now = gnut_clock_now_us(m->clock);
	gint64 wake = G_MAXINT64;
	settle_pushes(m, now, &wake);
	guint fetching = count_busy(m);
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (d->state != GNUT_DOWNLOAD_QUEUED)
			continue;
		if (d->done_bytes == d->size) {
			gnut_dl_start_verify(d);
			continue;
		}
		if (settle_sourceless(d, now, &wake) || fetching >= m->max_active)
			continue;
		gnut_dl_source *src = pick_source(d, now, &wake);
		if (src != NULL) {
			start_fetch(d, src);
			fetching += is_busy(d);
			if (d->push_src != NULL)
				wake = MIN(wake, d->push_until_us);
		}
	}
	if (wake != G_MAXINT64 && m->schedule_src == NULL) { /* a notify may have set it */
		gint64 ms = CLAMP((wake - now + US_PER_MS - 1) / US_PER_MS, 1, SCHEDULE_POLL_MS);
		m->schedule_src =
		    gnut_downloads_attach(m, g_timeout_source_new((guint)ms), on_schedule);
	}
}

static gboolean on_schedule(gpointer data)
{
	gnut_downloads *m = data;
	gnut_downloads_stop_source(&m->schedule_src);
	run_schedule(m);
	return G_SOURCE_REMOVE;
}

void gnut_downloads_schedule_soon(gnut_downloads *m)
{
	gnut_downloads_stop_source(&m->schedule_src);
	m->schedule_src = gnut_downloads_attach(m, g_idle_source_new(), on_schedule);
}
