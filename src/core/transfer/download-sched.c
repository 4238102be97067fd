/* download-sched.c: the scheduler and the source policy of the download
 * manager (see download-manager.h).
 *
 * The scheduler runs from an idle source whenever something changes (and
 * from a timer while a retry time, a wait for a GIV, a paused download's
 * retry or a search for sources is pending). Up to max_active downloads
 * have transfers at once; each gets up to max_sources of them, one per
 * source that is due, as long as its chunks give them work
 * (download-swarm.c). A fetch's outcome decides its source's fate: go on
 * at once (the connection was kept alive to the end, 404 on the URN form
 * with a /get/ form to try), later (503: its Retry-After, and a second more
 * when the source queued us (its X-Queued, see download.h); an error: a
 * back-off doubling from RETRY_BASE_S up to retry_max_s, for ever: after
 * GNUT_DL_MAX_ATTEMPTS errors in a row the source no longer counts, but is
 * still tried), or never (416, wrong file, bad data). A download without a
 * source that counts is waiting, and asks the owner to search for sources
 * by its URN every search_interval_s; so does one short of max_sources.
 *
 * A firewalled source is never connected to: picking it calls the owner's
 * push handler and parks a slot on it until its GIV comes
 * (gnut_dl_fetch_over_giv) or the wait passes, which counts as an error of
 * the source. One push at a time per download.
 *
 * A download with every byte goes to the finishing job (download-verify.c):
 * complete, or, when the SHA-1 does not match, fetched again
 * (gnut_dl_refetch_all), or paused when our own disk fails it.
 *
 * A download's other job is the fetch of its Tiger tree, once per
 * download, from a source whose reply offers one (see the section below).
 *
 * The fetch's body bytes go to the partial file through the manager's rate
 * limiter, one token bucket for all downloads on the injected clock. A
 * write that fails is our disk's fault, not the source's: the download
 * pauses with the reason and is tried again every retry_max_s. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gnut/core/transfer/thex-fetch.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/thex-answer.h"

#define RETRY_BASE_S      5    /* first back-off after an error; doubles */
#define BUSY_DEFAULT_S    60   /* a 503 without Retry-After */
#define BUSY_MAX_S        3600 /* longest Retry-After heeded */
#define SCHEDULE_POLL_MS  1000 /* longest sleep while a retry or a wait is pending */
#define US_PER_MS         1000
#define LIMIT_WAKE_BYTES  4096 /* a fetch paused by the rate limit waits for this many */
#define RATE_WINDOW_US    (2 * G_USEC_PER_SEC)
#define PARTIAL_RECHECK_S 15 /* a partial source with nothing for us: ask again */

/* ---- what an outcome means for a source ---- */

/* An attempt failed (a connection or protocol error, a push without a
 * GIV): try again after a back-off that doubles up to retry_max_s. */
static void source_failed(gnut_dl *d, gnut_dl_source *src, gint64 now, const char *why)
{
	src->failures++;
	gnut_dl_source_error(d, src, why);
	guint shift = MIN(src->failures - 1, 16u);
	guint64 backoff = MIN((guint64)RETRY_BASE_S << shift, (guint64)d->mgr->retry_max_s);
	src->next_try_us = now + (gint64)backoff * G_USEC_PER_SEC;
}

/* A partial source (X-Available-Ranges) had nothing we lack (DONE without
 * data), or refused a range (416). Asked blind, its ranges are now known:
 * again at once. Else its ranges are forgotten, to be learnt anew by the
 * next request when they may have grown: after PARTIAL_RECHECK_S, or the
 * back-off of a failure for a 416 to a range it said it had. */
static void partial_source_wait(gnut_dl *d, gnut_dl_source *src, gint64 now, gboolean blind,
                                gboolean refused)
{
	if (blind && refused) {
		src->next_try_us = now;
		return;
	}
	g_clear_pointer(&src->avail, g_array_unref);
	if (refused)
		source_failed(d, src, now, "range not available");
	else
		src->next_try_us = now + (gint64)PARTIAL_RECHECK_S * G_USEC_PER_SEC;
}

static void judge_source(gnut_dl *d, gnut_dl_source *src, const gnut_download_fetch_result *r,
                         gboolean blind)
{
	gint64 now = gnut_clock_now_us(d->mgr->clock);
	if (r->received > 0)
		src->failures = 0;
	if (r->outcome != GNUT_DOWNLOAD_FETCH_BUSY)
		src->queued = FALSE;
	switch (r->outcome) {
	case GNUT_DOWNLOAD_FETCH_DONE:
	case GNUT_DOWNLOAD_FETCH_CLOSED:
		src->next_try_us = now;
		if (src->avail != NULL && r->received == 0 && d->done_bytes < d->size)
			partial_source_wait(d, src, now, blind, FALSE);
		break;
	case GNUT_DOWNLOAD_FETCH_BUSY: {
		guint s =
		    r->retry_after_s == 0 ? BUSY_DEFAULT_S : MIN(r->retry_after_s, BUSY_MAX_S);
		/* queued: a second more, so that rounding never makes us early */
		src->next_try_us = now + (gint64)(s + (src->queued ? 1 : 0)) * G_USEC_PER_SEC;
		break;
	}
	case GNUT_DOWNLOAD_FETCH_NOT_FOUND:
		if (!src->use_get && src->name != NULL) {
			src->use_get = TRUE; /* try /get/<index>/<name> at once */
			src->next_try_us = now;
		} else {
			gnut_dl_give_up_source(d, src, "file not found");
		}
		break;
	case GNUT_DOWNLOAD_FETCH_BAD_RANGE:
		if (src->avail != NULL)
			partial_source_wait(d, src, now, blind, TRUE);
		else
			gnut_dl_give_up_source(d, src, "range not available");
		break;
	case GNUT_DOWNLOAD_FETCH_WRONG_FILE:
		gnut_dl_give_up_source(d, src, r->error->message);
		break;
	case GNUT_DOWNLOAD_FETCH_LOCAL:
		break; /* bad data (already given up) or our disk: see op_done */
	case GNUT_DOWNLOAD_FETCH_ERROR:
		source_failed(d, src, now, r->error->message);
		break;
	}
}

/* ---- the fetch's callbacks (user data: the slot) ---- */

static gboolean op_next_range(gpointer data, guint64 *start, guint64 *len)
{
	return gnut_dl_next_range(data, start, len);
}

static void count_rate(gnut_dl *d, gsize len)
{
	gint64 now = gnut_clock_now_us(d->mgr->clock);
	if (d->rate_since_us == 0 || now - d->last_data_us > RATE_WINDOW_US) {
		d->rate_since_us = now;
		d->rate_bytes = 0;
	}
	d->rate_bytes += len;
	d->last_data_us = now;
	gint64 elapsed = now - d->rate_since_us;
	if (elapsed >= RATE_WINDOW_US) {
		d->rate = d->rate_bytes * G_USEC_PER_SEC / (guint64)elapsed;
		d->rate_since_us = now;
		d->rate_bytes = 0;
	}
}

static gboolean op_write(gpointer data, guint64 offset, const guint8 *buf, gsize len,
                         GError **error)
{
	gnut_dl_slot *slot = data;
	gnut_dl *d = slot->d;
	gsize off = 0;
	while (off < len) {
		ssize_t n = pwrite(d->fd, buf + off, len - off, (off_t)(offset + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gnut_download_io_error(error, "cannot write", d->partial);
		off += (gsize)n;
	}
	slot->src->received += len;
	d->mgr->bytes_in += len;
	count_rate(d, len);
	gnut_downloads_save_later(d->mgr);
	return gnut_dl_wrote(slot, offset, len, error);
}

static gsize op_budget(gpointer data, gsize want, gint64 *wait_us)
{
	gnut_dl_slot *slot = data;
	gnut_rate_limit *limit = slot->d->mgr->limit;
	gsize take = (gsize)gnut_rate_limit_take(limit, want);
	if (take == 0)
		*wait_us = gnut_rate_limit_wait_us(limit, MIN(want, (gsize)LIMIT_WAKE_BYTES));
	return take;
}

static void op_receiving(gpointer data)
{
	gnut_dl_slot *slot = data;
	slot->receiving = TRUE;
	gnut_dl_refresh_state(slot->d, TRUE);
}

/* A reply's X-Queued (doc/gnutella/PARQ): its ID is kept and sent back;
 * a 503 with a position is a place in the source's upload queue (the
 * source is "queued" until an answer that is not), a 503 without one is
 * plain busy. A value that does not parse is ignored. */
static void read_queue(gnut_dl *d, gnut_dl_source *src, const gnut_head *h)
{
	gnut_http_status st;
	gboolean busy =
	    gnut_http_parse_status_line(gnut_head_start_line(h), &st) == GNUT_PROTO_OK &&
	    st.code == GNUT_HTTP_SERVICE_UNAVAILABLE;
	const char *v = gnut_head_get(h, "X-Queued");
	gnut_x_queued xq;
	gboolean parsed = v != NULL && gnut_x_queued_parse(v, strlen(v), &xq) == GNUT_PROTO_OK;
	if (v != NULL && !parsed)
		gnut_log_limited(d->mgr->log, "download %" G_GUINT64_FORMAT ": %s:%u: bad X-Queued",
		                 d->id, src->host, src->port);
	if (parsed && xq.id[0] != '\0')
		g_strlcpy(src->queue_id, xq.id, sizeof src->queue_id);
	src->queued = busy && parsed && xq.has_position;
	if (!src->queued)
		return;
	src->queue_position = xq.position;
	src->queue_length = xq.has_length ? xq.length : 0;
	g_info("download %" G_GUINT64_FORMAT ": queued by %s:%u at %u of %u", d->id, src->host,
	       src->port, src->queue_position, src->queue_length);
}

/* A partial source's X-Available-Ranges (download-partial.c), the mesh
 * headers of a reply (download-mesh.c), its queue (above) and its offer of
 * a tree (below). */
static void op_reply_head(gpointer data, const gnut_head *h)
{
	gnut_dl_slot *slot = data;
	gnut_dl_source_learn_ranges(slot->d, slot->src, h);
	read_queue(slot->d, slot->src, h);
	if (gnut_dl_mesh_learn(slot->d, slot->src, h)) {
		gnut_downloads_save_later(slot->d->mgr);
		gnut_downloads_schedule_soon(slot->d->mgr);
	}
	const char *thex = gnut_head_get(h, "X-Thex-URI");
	if (thex != NULL)
		gnut_dl_tree_offer(slot->d, slot->src, thex);
}

/* X-Queue on every request (we understand upload queues), X-Queued with
 * our place when the source gave us one. */
static void op_request_head(gpointer data, gnut_head *h)
{
	gnut_dl_slot *slot = data;
	const gnut_dl_source *src = slot->src;
	gnut_dl_mesh_tell(slot->d, src, h);
	gnut_head_add(h, "X-Queue", GNUT_X_QUEUE_VERSION);
	if (src->queue_id[0] == '\0')
		return;
	gnut_x_queued xq = {.has_position = src->queued, .position = src->queue_position};
	g_strlcpy(xq.id, src->queue_id, sizeof xq.id);
	g_autoptr(GString) v = g_string_new(NULL);
	gnut_x_queued_format(v, &xq);
	gnut_head_add(h, "X-Queued", v->str);
}

static void op_done(gpointer data, const gnut_download_fetch_result *r)
{
	gnut_dl_slot *slot = data;
	gnut_dl *d = slot->d;
	gnut_downloads *m = d->mgr;
	gnut_dl_source *src = slot->src;
	if (r->tls_failed)
		src->tls = FALSE; /* plain from now on */
	judge_source(d, src, r, slot->asked_blind);
	g_autofree char *local = NULL;
	if (r->outcome == GNUT_DOWNLOAD_FETCH_LOCAL &&
	    !g_error_matches(r->error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_CORRUPT))
		local = g_strdup(r->error->message);
	gnut_dl_slot_drop(slot);
	if (local != NULL) {
		gnut_dl_pause(d, local, m->retry_max_s, TRUE);
	} else if (d->slots->len == 0) {
		gnut_dl_release_partial(d);
		if (d->done_bytes == d->size)
			gnut_dl_start_verify(d);
	}
	gnut_dl_refresh_state(d, TRUE);
	gnut_downloads_save_later(m);
	gnut_downloads_schedule_soon(m);
}

static const gnut_download_fetch_ops fetch_ops = {
    .next_range = op_next_range,
    .write = op_write,
    .budget = op_budget,
    .receiving = op_receiving,
    .reply_head = op_reply_head,
    .request_head = op_request_head,
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

static gboolean pushing(const gnut_dl *d)
{
	for (guint i = 0; i < d->slots->len; i++)
		if (((const gnut_dl_slot *)g_ptr_array_index(d->slots, i))->fetch == NULL)
			return TRUE;
	return FALSE;
}

/* Asks the owner for a push to a firewalled source, and waits for its GIV
 * (the handler may even bring it at once). */
static void start_push(gnut_dl *d, gnut_dl_source *src)
{
	gnut_downloads *m = d->mgr;
	gnut_dl_slot *slot = gnut_dl_slot_new(d, src);
	slot->push_until_us = gnut_clock_now_us(m->clock) + (gint64)m->push_wait_s * G_USEC_PER_SEC;
	gnut_dl_refresh_state(d, TRUE);
	if (src->slot == slot && m->push != NULL) /* the notify may have cancelled it */
		m->push(m, &src->guid, src->index, m->push_data);
}

/* Tries a source: connects to it, or asks for a push when it is
 * firewalled. FALSE when the partial file cannot be opened (paused). */
static gboolean start_fetch(gnut_dl *d, gnut_dl_source *src)
{
	if (!gnut_dl_open_partial(d)) {
		g_autofree char *why =
		    g_strdup_printf("cannot open %s: %s", d->partial, g_strerror(errno));
		gnut_dl_pause(d, why, d->mgr->retry_max_s, TRUE);
		return FALSE;
	}
	if (src->firewalled) {
		start_push(d, src);
		return TRUE;
	}
	gnut_download_fetch_params p;
	fill_params(d, src, &p);
	gnut_dl_slot *slot = gnut_dl_slot_new(d, src);
	slot->fetch = gnut_download_fetch_start(&p, &fetch_ops, slot);
	gnut_dl_refresh_state(d, TRUE);
	return TRUE;
}

void gnut_dl_fetch_over_giv(gnut_dl_slot *slot, gnut_conn *conn)
{
	gnut_download_fetch_params p;
	fill_params(slot->d, slot->src, &p);
	slot->fetch = gnut_download_fetch_start_on(conn, &p, &fetch_ops, slot);
}

/* ---- the Tiger tree ----
 *
 * Which root: a download knows only its SHA-1, so the root it trusts is
 * the one the first source names in its X-Thex-URI; a source naming
 * another root is not asked for its tree. A first source that lies about
 * the root cannot make a bad file be delivered: the final SHA-1 check
 * still decides, and a tree that finds nothing bad in a file whose SHA-1
 * is wrong is dropped for the session (download-swarm.c), the download then
 * going on as it would without a tree.
 *
 * A file of one chunk fetches no tree: the SHA-1 at the end tells as much.
 * The tree is fetched once per download, from one source at a time
 * (thex-fetch.h: verified against the root and the size); a source whose
 * tree cannot be fetched is not asked again this session, and the next
 * source that offers one is. The tree is not persisted: after a restart it
 * is fetched again, and when it comes every byte already recorded, in this
 * run or an earlier one, is checked against it (gnut_dl_recheck_done). */

static void tree_fetch(gnut_dl *d); /* on_tree tries the next source */

typedef struct {
	gnut_dl *d; /* a reference */
	guint bit;  /* the source asked */
} tree_op;

static void on_tree(GObject *obj, GAsyncResult *res, gpointer data)
{
	(void)obj;
	tree_op *op = data;
	gnut_dl *d = op->d;
	g_autoptr(GError) err = NULL;
	gnut_thex_level *level = gnut_thex_fetch_finish(res, &err);
	if (d->mgr == NULL || g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_clear_pointer(&level, gnut_thex_level_free);
	} else {
		g_clear_object(&d->tree_cancel);
		gnut_dl_source *src = g_ptr_array_index(d->sources, op->bit);
		if (level == NULL) {
			g_message("download %" G_GUINT64_FORMAT ": no tree from %s:%u: %s", d->id,
			          src->host, src->port, err->message);
			g_clear_pointer(&src->thex_path, g_free); /* not asked again */
			tree_fetch(d);
		} else {
			g_info("download %" G_GUINT64_FORMAT ": Tiger tree from %s:%u (depth %u)",
			       d->id, src->host, src->port, level->depth);
			d->verifier = gnut_thex_verifier_new(level);
			gnut_thex_level_free(level);
			if (gnut_dl_in_progress(d) || d->state == GNUT_DOWNLOAD_PAUSED)
				gnut_dl_recheck_done(d);
		}
		gnut_downloads_schedule_soon(d->mgr); /* a complete file may wait for it */
	}
	gnut_dl_unref(d);
	g_free(op);
}

static void tree_fetch(gnut_dl *d)
{
	if (d->verifier != NULL || d->tree_cancel != NULL || !d->has_root)
		return;
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		uint32_t ip;
		if (s->thex_path == NULL || s->dead || !gnut_dl_source_ipv4(s, &ip))
			continue;
		tree_op *op = g_new0(tree_op, 1);
		op->d = gnut_dl_ref(d);
		op->bit = s->bit;
		d->tree_cancel = g_cancellable_new();
		gnut_thex_fetch_async(ip, s->port, s->thex_path, d->size, d->root,
		                      d->mgr->allow_local, d->tree_cancel, on_tree, op);
		return;
	}
}

void gnut_dl_tree_offer(gnut_dl *d, gnut_dl_source *src, const char *value)
{
	char path[GNUT_THEX_URI_MAX + 1];
	bool has_root = false;
	uint8_t root[GNUT_TIGER_LEN];
	if (d->size <= GNUT_DOWNLOAD_CHUNK || d->no_tree || src->thex_path != NULL ||
	    gnut_thex_uri_parse(value, path, &has_root, root) != GNUT_PROTO_OK || !has_root)
		return;
	if (!d->has_root) {
		memcpy(d->root, root, GNUT_TIGER_LEN);
		d->has_root = TRUE;
	} else if (memcmp(d->root, root, GNUT_TIGER_LEN) != 0) {
		gnut_log_limited(d->mgr->log,
		                 "download %" G_GUINT64_FORMAT ": %s:%u offers a tree "
		                 "of another root: not used",
		                 d->id, src->host, src->port);
		return;
	}
	src->thex_path = g_strdup(path);
	tree_fetch(d);
}

void gnut_dl_tree_stop(gnut_dl *d)
{
	if (d->tree_cancel != NULL) {
		g_cancellable_cancel(d->tree_cancel);
		g_clear_object(&d->tree_cancel);
	}
	g_clear_pointer(&d->verifier, gnut_thex_verifier_free);
}

/* ---- the finishing job ---- */

/* The finishing job is over. It only counts while the download still
 * waits for it: a cancel or the manager's end has stopped it and taken
 * its outcome already. A mismatch fetches the file again; our own disk's
 * error pauses it. */
static void on_verified(gnut_download_verify *job, const char *path, const GError *error,
                        gpointer data)
{
	gnut_dl *d = data;
	if (d->job == job)
		d->job = NULL;
	if (d->mgr != NULL && d->state == GNUT_DOWNLOAD_VERIFYING) {
		gnut_downloads *m = d->mgr;
		if (path != NULL) {
			d->final_path = g_strdup(path);
			g_info("download %" G_GUINT64_FORMAT " complete: %s", d->id, d->final_path);
			gnut_dl_set_state(d, GNUT_DOWNLOAD_COMPLETE, TRUE);
			gnut_downloads_save_or_warn(m);
		} else if (g_error_matches(error, GNUT_DOWNLOAD_ERROR,
		                           GNUT_DOWNLOAD_ERROR_CORRUPT)) {
			gnut_dl_refetch_all(d, error->message);
			gnut_downloads_schedule_soon(m);
		} else {
			gnut_dl_pause(d, error->message, m->retry_max_s, TRUE);
		}
	}
	gnut_dl_unref(d);
}

/* Why truncate first: a stale partial file longer than the download would
 * not hash right. Why wait for a tree on its way: it finds the bad slices,
 * where a SHA-1 mismatch without it would give up every source. */
void gnut_dl_start_verify(gnut_dl *d)
{
	gnut_downloads *m = d->mgr;
	if (d->tree_cancel != NULL)
		return; /* a tree on its way judges first (bounded by the fetch's timeouts) */
	if (gnut_dl_checking(d))
		return; /* a chunk's verdict first: the scheduler comes back after it */
	if (!gnut_dl_open_partial(d) || ftruncate(d->fd, (off_t)d->size) != 0) {
		g_autofree char *why =
		    g_strdup_printf("cannot prepare %s: %s", d->partial, g_strerror(errno));
		gnut_dl_pause(d, why, m->retry_max_s, TRUE);
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

/* ---- scheduling ---- */

/* The first source due now, not fetching already (a firewalled one only
 * when no push is waiting), one whose upload queue holds a place for us
 * first (its poll keeps the place); else NULL, and *wake is lowered to the
 * earliest retry time. A queued source takes no place of the download
 * while it waits. */
static gnut_dl_source *pick_source(gnut_dl *d, gint64 now, gint64 *wake)
{
	gboolean may_push = !pushing(d);
	gnut_dl_source *first = NULL;
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->dead || s->slot != NULL || (s->firewalled && !may_push))
			continue;
		if (s->next_try_us > now)
			*wake = MIN(*wake, s->next_try_us);
		else if (s->queued)
			return s;
		else if (first == NULL)
			first = s;
	}
	return first;
}

/* Without a push handler a firewalled source cannot be reached at all. */
static void drop_unreachable(gnut_dl *d)
{
	if (d->mgr->push != NULL)
		return;
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->firewalled && !s->dead)
			gnut_dl_give_up_source(d, s, "firewalled, and no push handler to reach it");
	}
}

/* Ends the pushes whose GIV is late (an error of their source); else
 * lowers *wake to when one will be. */
static void settle_pushes(gnut_dl *d, gint64 now, gint64 *wake)
{
	for (guint i = d->slots->len; i-- > 0;) {
		gnut_dl_slot *slot = g_ptr_array_index(d->slots, i);
		if (slot->fetch != NULL)
			continue;
		if (now < slot->push_until_us) {
			*wake = MIN(*wake, slot->push_until_us);
			continue;
		}
		gnut_dl_source *src = slot->src;
		g_autofree char *why =
		    g_strdup_printf("%s:%u: no GIV after push", src->host, src->port);
		gnut_dl_slot_drop(slot);
		source_failed(d, src, now, why);
		if (d->slots->len == 0)
			gnut_dl_release_partial(d);
		gnut_dl_refresh_state(d, TRUE);
	}
}

/* A download short of sources asks for a search by URN, at most every
 * search_interval_s. */
static void maybe_search(gnut_dl *d, gint64 now, gint64 *wake)
{
	gnut_downloads *m = d->mgr;
	if (m->find == NULL || gnut_dl_count_alive(d) >= m->max_sources)
		return;
	if (now < d->next_search_us) {
		*wake = MIN(*wake, d->next_search_us);
		return;
	}
	d->next_search_us = now + (gint64)m->search_interval_s * G_USEC_PER_SEC;
	*wake = MIN(*wake, d->next_search_us);
	m->find(m, d->sha1, m->find_data);
}

/* A download paused by an error is tried again when its time comes. */
static void maybe_resume(gnut_dl *d, gint64 now, gint64 *wake)
{
	if (d->resume_at_us == 0)
		return;
	if (now < d->resume_at_us) {
		*wake = MIN(*wake, d->resume_at_us);
		return;
	}
	d->resume_at_us = 0;
	g_clear_pointer(&d->error, g_free);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, FALSE);
	gnut_dl_refresh_state(d, TRUE);
}

/* Starts as many transfers for d as it has work and sources for. */
static void fill_slots(gnut_dl *d, gint64 now, gint64 *wake)
{
	while (d->slots->len < d->mgr->max_sources && gnut_dl_has_work(d)) {
		gnut_dl_source *src = pick_source(d, now, wake);
		if (src == NULL || !start_fetch(d, src))
			break;
	}
}

static guint count_busy(const gnut_downloads *m)
{
	guint n = 0;
	for (guint i = 0; i < m->all->len; i++)
		n += ((gnut_dl *)g_ptr_array_index(m->all, i))->slots->len > 0;
	return n;
}

static void schedule_one(gnut_dl *d, gint64 now, gint64 *wake, guint *busy)
{
	if (d->state == GNUT_DOWNLOAD_PAUSED)
		maybe_resume(d, now, wake);
	if (!gnut_dl_in_progress(d))
		return;
	settle_pushes(d, now, wake);
	if (d->done_bytes == d->size && d->slots->len == 0) {
		gnut_dl_start_verify(d);
		return;
	}
	drop_unreachable(d);
	maybe_search(d, now, wake);
	gboolean had = d->slots->len > 0;
	if (had || *busy < d->mgr->max_active) {
		fill_slots(d, now, wake);
		settle_pushes(d, now, wake); /* the wake-up for the new pushes' wait */
	}
	*busy += !had && d->slots->len > 0;
	gnut_dl_refresh_state(d, TRUE);
}

static gboolean on_schedule(gpointer data);

static void run_schedule(gnut_downloads *m)
{
	gint64 now = gnut_clock_now_us(m->clock);
	gint64 wake = G_MAXINT64;
	guint busy = count_busy(m);
	for (guint i = 0; i < m->all->len; i++)
		schedule_one(g_ptr_array_index(m->all, i), now, &wake, &busy);
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
