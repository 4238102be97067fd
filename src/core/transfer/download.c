/* download.c: the download manager (see download.h).
 *
 * Each download keeps a sorted set of done ranges, and its partial file
 * open while it fetches; bytes are written with pwrite at their offset, so the
 * order in which ranges arrive does not matter. A scheduler, run from an idle
 * source whenever something changes (and from a timer while a source's retry
 * time is pending), starts a fetch (download-http.c) for queued downloads up
 * to max_active, each from the first source that is due. A fetch's outcome
 * decides its source's fate: retry at once (connection kept alive to the
 * end, 404 on the URN form with a /get/ form to try), later (503: its
 * Retry-After; an error: back-off doubling from RETRY_BASE_S), or never
 * (416, wrong file, MAX_ATTEMPTS errors in a row without data). When every
 * source is given up the download fails. A download that never had a source
 * waits for one in the queue until wait_until_us of the injected clock, the
 * scheduler's timer waking for that time as for a retry, and then fails.
 *
 * A firewalled source is never connected to: picking it calls the owner's
 * push handler and parks the download on it (push_src) until its GIV comes
 * (gnut_downloads_take_giv starts the fetch over the connection the source
 * opened) or push_until_us passes, which the scheduler checks like a retry
 * time and counts as an error of the source. A download waiting for a GIV
 * holds a fetch slot, as one that fetches.
 *
 * The rate limit is one token bucket for all downloads, read on the
 * injected clock. Progress is saved to downloads.xml at most every
 * SAVE_DELAY_MS, after fdatasync of the partial files (the state never
 * claims bytes the disk does not hold); adding, cancelling and finishing a
 * download save at once. A complete file is hashed and moved by a GTask in
 * a worker thread; the job owns copies of what it needs, and a cancel or
 * the manager's end waits for it (it checks for cancellation every chunk)
 * so that whether the file was moved is known for sure. The download object
 * is reference counted for the task's callback, which may come after the
 * manager is gone. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnut/proto/digest.h"
#include "gnut/core/transfer/filename.h"
#include "gnut/proto/urn.h"

#define DEFAULT_MAX_ACTIVE        4
#define DEFAULT_CONNECT_TIMEOUT_S 20
#define DEFAULT_IDLE_TIMEOUT_S    60
#define DEFAULT_SOURCE_WAIT_S     120
#define DEFAULT_PUSH_WAIT_S       30
#define MAX_ATTEMPTS              4   /* errors in a row before a source is given up */
#define RETRY_BASE_S              5   /* first back-off after an error; doubles */
#define RETRY_MAX_S               600 /* longest back-off */
#define BUSY_DEFAULT_S            60  /* a 503 without Retry-After */
#define BUSY_MAX_S                3600
#define SCHEDULE_POLL_MS          1000 /* longest sleep while a retry or a wait is pending */
#define SAVE_DELAY_MS             5000
#define BUCKET_MIN_BURST          4096.0 /* bytes the rate limit lets through at once */
#define BUCKET_WAKE_BYTES         4096   /* a paused fetch waits for this many tokens */
#define VERIFY_CHUNK              (1024 * 1024)
#define STATE_FILE                "downloads.xml"
#define INCOMPLETE_DIR            "incomplete"

G_DEFINE_QUARK(gnut - download - error - quark, gnut_download_error)

typedef struct {
	char *host;
	guint16 port;
	guint32 index;
	char *name;
	gboolean get_only;
	gboolean has_guid;
	gnut_guid guid;
	gboolean firewalled; /* reached by push only */
	gboolean use_get;    /* ask /get/: get_only, or the URN form got a 404 */
	guint failures;      /* errors in a row without data */
	gint64 next_try_us;
	gboolean dead;
} dl_source;

typedef struct verify_job verify_job;

typedef struct download {
	gint refs;
	gnut_downloads *mgr; /* NULL once the manager is gone */
	guint64 id;
	uint8_t sha1[20];
	char *name; /* sanitised */
	guint64 size;
	char *to_dir;
	char *partial;
	char *final_path;
	char *error;      /* why it failed */
	char *last_error; /* the last source error, for the failure message */
	GArray *done;     /* gnut_download_range: sorted, disjoint, not adjacent */
	guint64 done_bytes;
	GPtrArray *sources;   /* dl_source; never shrinks (a source is marked dead) */
	gint64 wait_until_us; /* while sources is empty: when to stop waiting for one */
	gnut_download_state state;
	int fd;
	gboolean unsynced; /* written since the last fdatasync */
	gnut_download_fetch *fetch;
	dl_source *fetch_src;
	dl_source *push_src;  /* a push was asked for it: waiting for its GIV */
	gint64 push_until_us; /* while push_src: when to stop waiting */
	GCancellable *verify_cancel;
	verify_job *job; /* while verifying; owned by its GTask */
} download;

struct gnut_downloads {
	char *incomplete_dir;
	char *download_dir;
	char *state_path;
	gnut_clock *clock;
	GMainContext *ctx;
	guint max_active;
	guint connect_timeout_s;
	guint idle_timeout_s;
	guint source_wait_s;
	guint push_wait_s;
	guint64 limit;
	double tokens;
	gint64 tokens_at_us;
	GPtrArray *all; /* download, in id order */
	guint64 next_id;
	guint64 bytes_in;
	GSource *schedule_src;
	GSource *save_src;
	gnut_downloads_notify_fn notify;
	gpointer notify_data;
	gnut_downloads_push_fn push;
	gpointer push_data;
};

static const char *const state_names[] = {
    [GNUT_DOWNLOAD_QUEUED] = "queued",           [GNUT_DOWNLOAD_CONNECTING] = "connecting",
    [GNUT_DOWNLOAD_DOWNLOADING] = "downloading", [GNUT_DOWNLOAD_VERIFYING] = "verifying",
    [GNUT_DOWNLOAD_COMPLETE] = "complete",       [GNUT_DOWNLOAD_FAILED] = "failed",
    [GNUT_DOWNLOAD_CANCELLED] = "cancelled",
};

const char *gnut_download_state_name(gnut_download_state state)
{
	if ((guint)state >= G_N_ELEMENTS(state_names))
		return "unknown";
	return state_names[state];
}

gboolean gnut_download_state_is_final(gnut_download_state state)
{
	return state == GNUT_DOWNLOAD_COMPLETE || state == GNUT_DOWNLOAD_FAILED ||
	       state == GNUT_DOWNLOAD_CANCELLED;
}

/* ---- checks ---- */

/* Text that may go into the state file and a header: valid UTF-8, no
 * control character, no noncharacter (XML cannot hold those). */
static gboolean is_clean_text(const char *s, gsize max)
{
	gsize len = strlen(s);
	if (len == 0 || len > max || !g_utf8_validate(s, (gssize)len, NULL))
		return FALSE;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7F || (c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF))
			return FALSE;
	}
	return TRUE;
}

static gboolean invalid(GError **error, const char *why)
{
	g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID, why);
	return FALSE;
}

gboolean gnut_download_source_check(const gnut_download_source *src, GError **error)
{
	g_return_val_if_fail(src != NULL, FALSE);
	gsize hlen = src->host != NULL ? strlen(src->host) : 0;
	if (hlen == 0 || hlen > GNUT_DOWNLOAD_MAX_HOST)
		return invalid(error, "a source needs a host");
	for (const char *p = src->host; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != ':')
			return invalid(error, "a source's host holds a character hosts do not");
	if (src->port == 0 && !src->firewalled)
		return invalid(error, "a source needs a port");
	if (src->firewalled && !src->has_guid)
		return invalid(error, "a firewalled source needs its servent GUID (for the push)");
	if (src->name != NULL && !is_clean_text(src->name, GNUT_DOWNLOAD_MAX_NAME))
		return invalid(error, "a source's file name is empty, too long or not text");
	if (src->get_only && src->name == NULL)
		return invalid(error, "a /get/ source needs a file name");
	return TRUE;
}

/* ---- done ranges ---- */

/* Marks [start, end) done, merging with overlapping or adjacent ranges;
 * returns how many of those bytes were not done before. */
static guint64 ranges_add(GArray *set, guint64 start, guint64 end)
{
	guint64 added = end - start;
	guint i = 0;
	while (i < set->len && g_array_index(set, gnut_download_range, i).end < start)
		i++;
	guint j = i;
	guint64 s = start, e = end;
	while (j < set->len && g_array_index(set, gnut_download_range, j).start <= end) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, j);
		guint64 lo = MAX(r->start, start), hi = MIN(r->end, end);
		if (hi > lo)
			added -= hi - lo;
		s = MIN(s, r->start);
		e = MAX(e, r->end);
		j++;
	}
	g_array_remove_range(set, i, j - i);
	gnut_download_range merged = {s, e};
	g_array_insert_val(set, i, merged);
	return added;
}

/* The first missing bytes, at most GNUT_DOWNLOAD_CHUNK of them. */
static gboolean ranges_first_missing(const GArray *set, guint64 size, guint64 *start, guint64 *len)
{
	guint64 pos = 0, end = size;
	for (guint i = 0; i < set->len; i++) {
		const gnut_download_range *r = &g_array_index(set, gnut_download_range, i);
		if (r->start > pos) {
			end = r->start;
			break;
		}
		pos = MAX(pos, r->end);
	}
	if (pos >= end)
		return FALSE;
	*start = pos;
	*len = MIN(end - pos, (guint64)GNUT_DOWNLOAD_CHUNK);
	return TRUE;
}

/* ---- objects ---- */

static void dl_source_free(gpointer p)
{
	dl_source *s = p;
	g_free(s->host);
	g_free(s->name);
	g_free(s);
}

static download *download_ref(download *d)
{
	g_atomic_int_inc(&d->refs);
	return d;
}

static void download_unref(download *d)
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

static char *partial_path(const gnut_downloads *m, const uint8_t sha1[20])
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	g_autofree char *base = g_strconcat(urn + strlen("urn:sha1:"), ".part", NULL);
	return g_build_filename(m->incomplete_dir, base, NULL);
}

static download *download_new(gnut_downloads *m, guint64 id, const uint8_t sha1[20],
                              const char *name, guint64 size, const char *to_dir)
{
	download *d = g_new0(download, 1);
	d->refs = 1;
	d->mgr = m;
	d->id = id;
	memcpy(d->sha1, sha1, 20);
	d->name = gnut_filename_sanitize(name, -1);
	d->size = size;
	d->to_dir = g_strdup(to_dir);
	d->partial = partial_path(m, sha1);
	d->done = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	d->sources = g_ptr_array_new_with_free_func(dl_source_free);
	d->wait_until_us = gnut_clock_now_us(m->clock) + (gint64)m->source_wait_s * G_USEC_PER_SEC;
	d->state = GNUT_DOWNLOAD_QUEUED;
	d->fd = -1;
	return d;
}

/* The same source: a firewalled one is its servent GUID (its host:port is
 * often a private address that other firewalled servents share), any other
 * its host:port. */
static gboolean same_source(const dl_source *s, const gnut_download_source *src)
{
	if (s->firewalled || src->firewalled)
		return s->firewalled && src->firewalled &&
		       memcmp(s->guid.bytes, src->guid.bytes, GNUT_GUID_LEN) == 0;
	return s->port == src->port && g_ascii_strcasecmp(s->host, src->host) == 0;
}

/* Adds a checked source; one already known is revived instead, since a new
 * offer says it may work again. */
static void merge_source(download *d, const gnut_download_source *src)
{
	for (guint i = 0; i < d->sources->len; i++) {
		dl_source *s = g_ptr_array_index(d->sources, i);
		if (same_source(s, src)) {
			s->dead = FALSE;
			s->failures = 0;
			return;
		}
	}
	if (d->sources->len >= GNUT_DOWNLOAD_MAX_SOURCES)
		return;
	dl_source *s = g_new0(dl_source, 1);
	s->host = g_strdup(src->host);
	s->port = src->port;
	s->index = src->index;
	s->name = g_strdup(src->name);
	s->get_only = src->get_only;
	s->use_get = src->get_only;
	s->has_guid = src->has_guid;
	s->guid = src->guid;
	s->firewalled = src->firewalled;
	g_ptr_array_add(d->sources, s);
}

static download *find_by_id(gnut_downloads *m, guint64 id)
{
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		if (d->id == id)
			return d;
	}
	return NULL;
}

/* The download of this SHA-1 still in progress, if any. */
static download *find_live_by_sha1(gnut_downloads *m, const uint8_t sha1[20])
{
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		if (!gnut_download_state_is_final(d->state) && memcmp(d->sha1, sha1, 20) == 0)
			return d;
	}
	return NULL;
}

static void stop_source(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_clear_pointer(src, g_source_unref);
	}
}

static GSource *attach(gnut_downloads *m, GSource *src, GSourceFunc fn)
{
	g_source_set_callback(src, fn, m, NULL);
	g_source_attach(src, m->ctx);
	return src;
}

static void set_state(download *d, gnut_download_state state, gboolean notify)
{
	if (d->state == state)
		return;
	d->state = state;
	gnut_downloads *m = d->mgr;
	if (notify && m != NULL && m->notify != NULL)
		m->notify(m, d->id, state, m->notify_data);
}

/* Closes the partial file without syncing it: it is about to be deleted,
 * or the verify job syncs it. */
static void close_partial(download *d)
{
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	d->unsynced = FALSE;
}

/* Closes the partial file between fetches, so that only downloads that
 * fetch hold a descriptor; its bytes reach the disk first, since the state
 * file may already claim them. */
static void release_partial(download *d)
{
	if (d->fd >= 0 && d->unsynced && fdatasync(d->fd) != 0)
		g_warning("cannot sync %s: %s", d->partial, g_strerror(errno));
	close_partial(d);
}

/* ---- saving ---- */

static gnut_download_record *record_of(const download *d)
{
	gnut_download_record *r = gnut_download_record_new();
	r->id = d->id;
	memcpy(r->sha1, d->sha1, 20);
	r->name = g_strdup(d->name);
	r->size = d->size;
	r->to_dir = g_strdup(d->to_dir);
	g_array_append_vals(r->ranges, d->done->data, d->done->len);
	for (guint i = 0; i < d->sources->len; i++) {
		const dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->dead)
			continue;
		gnut_download_source rs = {
		    .host = g_strdup(s->host),
		    .port = s->port,
		    .index = s->index,
		    .name = g_strdup(s->name),
		    .get_only = s->use_get,
		    .has_guid = s->has_guid,
		    .guid = s->guid,
		    .firewalled = s->firewalled,
		};
		g_array_append_val(r->sources, rs);
	}
	return r;
}

/* Syncs the partial files, then writes the state of every download in
 * progress: the file never claims bytes that are not on the disk. */
static gboolean save_now(gnut_downloads *m, GError **error)
{
	stop_source(&m->save_src);
	g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(gnut_download_record_free);
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		if (gnut_download_state_is_final(d->state))
			continue;
		if (d->fd >= 0 && d->unsynced) {
			if (fdatasync(d->fd) != 0)
				g_warning("cannot sync %s: %s", d->partial, g_strerror(errno));
			d->unsynced = FALSE;
		}
		g_ptr_array_add(records, record_of(d));
	}
	return gnut_download_store_save(m->state_path, records, error);
}

static void save_or_warn(gnut_downloads *m)
{
	g_autoptr(GError) err = NULL;
	if (!save_now(m, &err))
		g_warning("cannot save the downloads: %s", err->message);
}

static gboolean on_save_timer(gpointer data)
{
	save_or_warn(data);
	return G_SOURCE_REMOVE;
}

static void save_later(gnut_downloads *m)
{
	if (m->save_src == NULL)
		m->save_src = attach(m, g_timeout_source_new(SAVE_DELAY_MS), on_save_timer);
}

gboolean gnut_downloads_save(gnut_downloads *m, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	return save_now(m, error);
}

/* ---- rate limit ---- */

static double bucket_burst(guint64 limit)
{
	return MAX((double)limit / 8.0, BUCKET_MIN_BURST);
}

/* Takes up to want bytes from the token bucket (refilled at limit bytes
 * per second of the injected clock, up to one burst). */
static gsize bucket_take(gnut_downloads *m, gsize want, gint64 *wait_us)
{
	if (m->limit == 0)
		return want;
	gint64 now = gnut_clock_now_us(m->clock);
	double rate = (double)m->limit;
	m->tokens += (double)(now - m->tokens_at_us) * rate / (double)G_USEC_PER_SEC;
	m->tokens = MIN(m->tokens, bucket_burst(m->limit));
	m->tokens_at_us = now;
	gsize take = (gsize)MIN((double)want, floor(m->tokens));
	if (take == 0) {
		double need = (double)MIN(want, (gsize)BUCKET_WAKE_BYTES) - m->tokens;
		*wait_us = (gint64)ceil(need * (double)G_USEC_PER_SEC / rate);
		return 0;
	}
	m->tokens -= (double)take;
	return take;
}

void gnut_downloads_set_limit(gnut_downloads *m, guint64 bytes_per_s)
{
	g_return_if_fail(m != NULL);
	m->limit = bytes_per_s;
	m->tokens = bucket_burst(bytes_per_s);
	m->tokens_at_us = gnut_clock_now_us(m->clock);
}

/* ---- failing, verifying ---- */

static void schedule_soon(gnut_downloads *m);

/* Ends a download for good: its partial file goes, its error stays. */
static void fail_download(download *d, const char *why, gboolean notify)
{
	g_clear_pointer(&d->fetch, gnut_download_fetch_free);
	d->fetch_src = NULL;
	d->push_src = NULL;
	close_partial(d);
	g_unlink(d->partial);
	g_free(d->error);
	d->error = g_strdup(why);
	g_info("download %" G_GUINT64_FORMAT " (%s) failed: %s", d->id, d->name, why);
	set_state(d, GNUT_DOWNLOAD_FAILED, notify);
	if (d->mgr != NULL)
		save_or_warn(d->mgr);
}

/* What the worker thread needs, copied, and how it ended: the main thread
 * may wait for the end (stop_verify) while the task is still alive. */
struct verify_job {
	char *partial;
	uint8_t sha1[20];
	guint64 size;
	char *dir;
	char *name;
	GMutex lock;
	GCond cond;
	gboolean over;  /* under lock: the worker has finished */
	char *moved_to; /* under lock: where the verified file went, if it did */
};

static void verify_job_free(gpointer p)
{
	verify_job *job = p;
	g_free(job->partial);
	g_free(job->dir);
	g_free(job->name);
	g_free(job->moved_to);
	g_mutex_clear(&job->lock);
	g_cond_clear(&job->cond);
	g_free(job);
}

static gboolean errno_error(GError **error, const char *what, const char *path)
{
	int err = errno;
	g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_IO, "%s %s: %s", what, path,
	            g_strerror(err));
	return FALSE;
}

/* Hashes the first size bytes of fd, checking for cancellation between
 * chunks (a shutdown must not wait for a whole large file). */
static gboolean hash_fd(int fd, guint64 size, uint8_t out[20], GCancellable *cancel, GError **error)
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
 * mismatch deletes it: nothing corrupt is kept. */
static gboolean verify_partial(const verify_job *job, GCancellable *cancel, GError **error)
{
	int fd = open(job->partial, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_error(error, "cannot open", job->partial);
	uint8_t got[20];
	gboolean ok = hash_fd(fd, job->size, got, cancel, error);
	if (ok && fsync(fd) != 0)
		ok = errno_error(error, "cannot sync", job->partial);
	close(fd);
	if (!ok)
		return FALSE;
	if (memcmp(got, job->sha1, 20) != 0) {
		char want_urn[GNUT_URN_SHA1_LEN + 1], got_urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(job->sha1, want_urn);
		gnut_urn_format_sha1(got, got_urn);
		g_unlink(job->partial);
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_CORRUPT,
		            "SHA-1 mismatch: the data is %s, not %s", got_urn, want_urn);
		return FALSE;
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
		return errno_error(error, "cannot open", from);
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
		if (n < 0) {
			ok = errno_error(error, "cannot read", from);
			break;
		}
		if (n == 0)
			break;
		for (ssize_t w = 0; w < n && ok;) {
			ssize_t k = write(out_fd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				ok = errno_error(error, "cannot write", to);
			else
				w += k;
		}
		if (!ok)
			break;
	}
	close(in);
	if (ok && fsync(out_fd) != 0)
		ok = errno_error(error, "cannot sync", to);
	if (ok)
		g_unlink(from);
	return ok;
}

/* Moves the verified file to a free name in the target folder; returns its
 * path. The name is claimed first (O_EXCL), then the file renamed over the
 * claim, so a concurrent writer never loses a file to us. */
static char *move_into_place(const verify_job *job, GCancellable *cancel, GError **error)
{
	if (g_mkdir_with_parents(job->dir, 0755) != 0) {
		errno_error(error, "cannot create", job->dir);
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
			ok = copy_into(job->partial, fd, path, cancel, error);
		else
			ok = errno_error(error, "cannot move the download to", path);
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
	verify_job *job = data;
	GError *err = NULL;
	char *path = NULL;
	if (verify_partial(job, cancel, &err))
		path = move_into_place(job, cancel, &err);
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
	download *d = data;
	g_autoptr(GError) err = NULL;
	g_autofree char *path = g_task_propagate_pointer(G_TASK(res), &err);
	g_clear_object(&d->verify_cancel);
	d->job = NULL;
	if (d->mgr != NULL && d->state == GNUT_DOWNLOAD_VERIFYING) {
		if (path != NULL) {
			d->final_path = g_steal_pointer(&path);
			g_info("download %" G_GUINT64_FORMAT " complete: %s", d->id, d->final_path);
			set_state(d, GNUT_DOWNLOAD_COMPLETE, TRUE);
			save_or_warn(d->mgr);
		} else {
			fail_download(d, err->message, TRUE);
		}
	}
	download_unref(d);
}

/* Every byte is here: truncate the file to its size (a stale longer file
 * would not hash right), close it and hand it to a worker thread. */
static void start_verify(download *d)
{
	gnut_downloads *m = d->mgr;
	if (d->fd < 0)
		d->fd = open(d->partial, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->fd < 0 || ftruncate(d->fd, (off_t)d->size) != 0) {
		g_autofree char *why =
		    g_strdup_printf("cannot prepare %s: %s", d->partial, g_strerror(errno));
		fail_download(d, why, TRUE);
		return;
	}
	close_partial(d);
	set_state(d, GNUT_DOWNLOAD_VERIFYING, TRUE);
	verify_job *job = g_new0(verify_job, 1);
	job->partial = g_strdup(d->partial);
	memcpy(job->sha1, d->sha1, 20);
	job->size = d->size;
	job->dir = g_strdup(d->to_dir != NULL ? d->to_dir : m->download_dir);
	job->name = g_strdup(d->name);
	g_mutex_init(&job->lock);
	g_cond_init(&job->cond);
	d->job = job;
	d->verify_cancel = g_cancellable_new();
	GTask *task = g_task_new(NULL, d->verify_cancel, verify_done, download_ref(d));
	g_task_set_task_data(task, job, verify_job_free);
	g_task_run_in_thread(task, verify_thread);
	g_object_unref(task);
}

/* Cancels a verification and waits for its worker, which stops within a
 * chunk: the caller then knows for sure whether the file was moved into
 * place (TRUE: the download is complete, at d->final_path). */
static gboolean stop_verify(download *d)
{
	if (d->job == NULL)
		return FALSE;
	verify_job *job = g_steal_pointer(&d->job);
	g_cancellable_cancel(d->verify_cancel);
	g_mutex_lock(&job->lock);
	while (!job->over)
		g_cond_wait(&job->cond, &job->lock);
	gboolean moved = job->moved_to != NULL;
	if (moved)
		d->final_path = g_strdup(job->moved_to);
	g_mutex_unlock(&job->lock);
	return moved;
}

/* ---- fetching ---- */

static gboolean op_next_range(gpointer data, guint64 *start, guint64 *len)
{
	download *d = data;
	return ranges_first_missing(d->done, d->size, start, len);
}

static gboolean op_write(gpointer data, guint64 offset, const guint8 *buf, gsize len,
                         GError **error)
{
	download *d = data;
	gsize off = 0;
	while (off < len) {
		ssize_t n = pwrite(d->fd, buf + off, len - off, (off_t)(offset + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno_error(error, "cannot write", d->partial);
		off += (gsize)n;
	}
	d->done_bytes += ranges_add(d->done, offset, offset + len);
	d->unsynced = TRUE;
	d->mgr->bytes_in += len;
	save_later(d->mgr);
	return TRUE;
}

static gsize op_budget(gpointer data, gsize want, gint64 *wait_us)
{
	download *d = data;
	return bucket_take(d->mgr, want, wait_us);
}

static void op_receiving(gpointer data)
{
	set_state(data, GNUT_DOWNLOAD_DOWNLOADING, TRUE);
}

static void give_up_source(download *d, dl_source *src, const char *why)
{
	src->dead = TRUE;
	g_free(d->last_error);
	d->last_error = g_strdup_printf("%s:%u: %s", src->host, src->port, why);
}

/* An attempt failed (a connection or protocol error, a push without a
 * GIV): try again after a back-off that doubles, or give the source up
 * after MAX_ATTEMPTS in a row. */
static void source_failed(download *d, dl_source *src, gint64 now, const char *why)
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

/* What a fetch's outcome means for its source. */
static void judge_source(download *d, dl_source *src, const gnut_download_fetch_result *r)
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

static void op_done(gpointer data, const gnut_download_fetch_result *r)
{
	download *d = data;
	gnut_downloads *m = d->mgr;
	dl_source *src = d->fetch_src;
	g_clear_pointer(&d->fetch, gnut_download_fetch_free);
	d->fetch_src = NULL;
	judge_source(d, src, r);
	if (r->outcome == GNUT_DOWNLOAD_FETCH_LOCAL) {
		fail_download(d, r->error->message, TRUE);
	} else {
		if (d->done_bytes == d->size) {
			start_verify(d);
		} else {
			release_partial(d);
			set_state(d, GNUT_DOWNLOAD_QUEUED, TRUE);
		}
	}
	save_later(m);
	schedule_soon(m);
}

static const gnut_download_fetch_ops fetch_ops = {
    .next_range = op_next_range,
    .write = op_write,
    .budget = op_budget,
    .receiving = op_receiving,
    .done = op_done,
};

static void fill_params(const download *d, const dl_source *src, gnut_download_fetch_params *p)
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
	    .idle_timeout_s = m->idle_timeout_s,
	    .clock = m->clock,
	};
}

/* Asks the owner for a push to a firewalled source, and waits for its GIV
 * (the handler may even bring it at once). */
static void start_push(download *d, dl_source *src)
{
	gnut_downloads *m = d->mgr;
	d->push_src = src;
	d->push_until_us = gnut_clock_now_us(m->clock) + (gint64)m->push_wait_s * G_USEC_PER_SEC;
	set_state(d, GNUT_DOWNLOAD_CONNECTING, TRUE);
	if (d->push_src == src && m->push != NULL) /* the notify may have cancelled it */
		m->push(m, &src->guid, src->index, m->push_data);
}

/* Tries a source: connects to it, or asks for a push when it is
 * firewalled. */
static void start_fetch(download *d, dl_source *src)
{
	if (d->fd < 0)
		d->fd = open(d->partial, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->fd < 0) {
		g_autofree char *why =
		    g_strdup_printf("cannot open %s: %s", d->partial, g_strerror(errno));
		fail_download(d, why, TRUE);
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
	set_state(d, GNUT_DOWNLOAD_CONNECTING, TRUE);
}

/* A push brought no GIV in time: an error of its source, and the download
 * goes back to the queue. */
static void push_expired(download *d, gint64 now)
{
	dl_source *src = g_steal_pointer(&d->push_src);
	g_autofree char *why = g_strdup_printf("%s:%u: no GIV after push", src->host, src->port);
	source_failed(d, src, now, why);
	release_partial(d);
	set_state(d, GNUT_DOWNLOAD_QUEUED, TRUE);
}

/* ---- scheduling ---- */

/* The first source due now; else NULL, and *wake is lowered to the
 * earliest retry time. */
static dl_source *pick_source(download *d, gint64 now, gint64 *wake)
{
	for (guint i = 0; i < d->sources->len; i++) {
		dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->dead)
			continue;
		if (s->next_try_us <= now)
			return s;
		*wake = MIN(*wake, s->next_try_us);
	}
	return NULL;
}

/* Without a push handler a firewalled source cannot be reached at all. */
static void drop_unreachable(download *d)
{
	if (d->mgr->push != NULL)
		return;
	for (guint i = 0; i < d->sources->len; i++) {
		dl_source *s = g_ptr_array_index(d->sources, i);
		if (s->firewalled && !s->dead)
			give_up_source(d, s, "firewalled, and no push handler to reach it");
	}
}

static guint count_alive(const download *d)
{
	guint n = 0;
	for (guint i = 0; i < d->sources->len; i++)
		n += !((const dl_source *)g_ptr_array_index(d->sources, i))->dead;
	return n;
}

/* A queued download that cannot fetch, whatever the free slots: one that
 * never had a source fails when its wait is over (else *wake is lowered to
 * that time, so that the schedule timer comes back then); one whose every
 * source is given up fails at once. FALSE when it may fetch. */
static gboolean settle_sourceless(download *d, gint64 now, gint64 *wake)
{
	if (d->sources->len == 0) {
		if (now >= d->wait_until_us)
			fail_download(d, "no source found", TRUE);
		else
			*wake = MIN(*wake, d->wait_until_us);
		return TRUE;
	}
	drop_unreachable(d);
	if (count_alive(d) > 0)
		return FALSE;
	g_autofree char *why =
	    g_strdup_printf("every source failed%s%s", d->last_error != NULL ? "; last: " : "",
	                    d->last_error != NULL ? d->last_error : "");
	fail_download(d, why, TRUE);
	return TRUE;
}

static gboolean is_busy(const download *d)
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
		download *d = g_ptr_array_index(m->all, i);
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
		download *d = g_ptr_array_index(m->all, i);
		if (d->state != GNUT_DOWNLOAD_QUEUED)
			continue;
		if (d->done_bytes == d->size) {
			start_verify(d);
			continue;
		}
		if (settle_sourceless(d, now, &wake) || fetching >= m->max_active)
			continue;
		dl_source *src = pick_source(d, now, &wake);
		if (src != NULL) {
			start_fetch(d, src);
			fetching += is_busy(d);
			if (d->push_src != NULL)
				wake = MIN(wake, d->push_until_us);
		}
	}
	if (wake != G_MAXINT64 && m->schedule_src == NULL) { /* a notify may have set it */
		gint64 ms = CLAMP((wake - now + 999) / 1000, 1, SCHEDULE_POLL_MS);
		m->schedule_src = attach(m, g_timeout_source_new((guint)ms), on_schedule);
	}
}

static gboolean on_schedule(gpointer data)
{
	gnut_downloads *m = data;
	stop_source(&m->schedule_src);
	run_schedule(m);
	return G_SOURCE_REMOVE;
}

static void schedule_soon(gnut_downloads *m)
{
	stop_source(&m->schedule_src);
	m->schedule_src = attach(m, g_idle_source_new(), on_schedule);
}

/* ---- the manager ---- */

/* Only ranges the partial file really holds count (it may have been
 * deleted or truncated behind our back). */
static void restore_ranges(download *d, const GArray *ranges)
{
	GStatBuf st;
	guint64 have = g_stat(d->partial, &st) == 0 ? (guint64)st.st_size : 0;
	for (guint i = 0; i < ranges->len; i++) {
		const gnut_download_range *r = &g_array_index(ranges, gnut_download_range, i);
		guint64 end = MIN(r->end, MIN(have, d->size));
		if (r->start < end)
			d->done_bytes += ranges_add(d->done, r->start, end);
	}
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
	const download *da = *(download *const *)a, *db = *(download *const *)b;
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
		if (find_by_id(m, r->id) != NULL || find_live_by_sha1(m, r->sha1) != NULL)
			continue;
		download *d = download_new(m, r->id, r->sha1, r->name, r->size, r->to_dir);
		restore_ranges(d, r->ranges);
		for (guint j = 0; j < r->sources->len; j++)
			merge_source(d, &g_array_index(r->sources, gnut_download_source, j));
		g_ptr_array_add(m->all, d);
		m->next_id = MAX(m->next_id, r->id + 1);
	}
	g_ptr_array_sort(m->all, compare_ids);
}

gnut_downloads *gnut_downloads_new(const gnut_downloads_config *config, gnut_clock *clock,
                                   GError **error)
{
	g_return_val_if_fail(config != NULL && config->data_dir != NULL && clock != NULL, NULL);
	gnut_digest_init();
	g_autofree char *incomplete = g_build_filename(config->data_dir, INCOMPLETE_DIR, NULL);
	if (g_mkdir_with_parents(incomplete, 0700) != 0) {
		errno_error(error, "cannot create", incomplete);
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
	m->max_active = config->max_active != 0 ? config->max_active : DEFAULT_MAX_ACTIVE;
	m->connect_timeout_s =
	    config->connect_timeout_s != 0 ? config->connect_timeout_s : DEFAULT_CONNECT_TIMEOUT_S;
	m->idle_timeout_s =
	    config->idle_timeout_s != 0 ? config->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
	m->source_wait_s =
	    config->source_wait_s != 0 ? config->source_wait_s : DEFAULT_SOURCE_WAIT_S;
	m->push_wait_s = config->push_wait_s != 0 ? config->push_wait_s : DEFAULT_PUSH_WAIT_S;
	m->all = g_ptr_array_new();
	m->next_id = 1;
	gnut_downloads_set_limit(m, config->download_limit);
	load_state(m);
	schedule_soon(m);
	return m;
}

void gnut_downloads_free(gnut_downloads *m)
{
	if (m == NULL)
		return;
	stop_source(&m->schedule_src);
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		g_clear_pointer(&d->fetch, gnut_download_fetch_free);
		d->fetch_src = NULL;
		d->push_src = NULL;
		if (stop_verify(d))
			set_state(d, GNUT_DOWNLOAD_COMPLETE, FALSE);
	}
	save_or_warn(m);
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		close_partial(d);
		d->mgr = NULL;
		download_unref(d);
	}
	g_ptr_array_unref(m->all);
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

/* The download waiting for a GIV from this servent: the one that pushed
 * for this file index if several wait for it, else the first. */
static download *find_push_waiting(gnut_downloads *m, const gnut_guid *servent, guint32 index)
{
	download *first = NULL;
	for (guint i = 0; i < m->all->len; i++) {
		download *d = g_ptr_array_index(m->all, i);
		const dl_source *s = d->push_src;
		if (s == NULL || memcmp(s->guid.bytes, servent->bytes, GNUT_GUID_LEN) != 0)
			continue;
		if (s->index == index)
			return d;
		if (first == NULL)
			first = d;
	}
	return first;
}

gboolean gnut_downloads_take_giv(gnut_downloads *m, gnut_conn *conn, const gnut_guid *servent,
                                 guint32 index)
{
	g_return_val_if_fail(m != NULL && conn != NULL && servent != NULL, FALSE);
	download *d = find_push_waiting(m, servent, index);
	if (d == NULL)
		return FALSE;
	dl_source *src = g_steal_pointer(&d->push_src);
	gnut_download_fetch_params p;
	fill_params(d, src, &p);
	d->fetch_src = src;
	d->fetch = gnut_download_fetch_start_on(conn, &p, &fetch_ops, d);
	return TRUE;
}

/* The source as the download will use it: a file name that could not go
 * in a header or the state file is dropped (the URN form needs none); FALSE
 * when even so it cannot be used. */
static gboolean usable_source(const gnut_download_source *in, gnut_download_source *out,
                              GError **error)
{
	*out = *in;
	if (out->name != NULL && !out->get_only &&
	    !is_clean_text(out->name, GNUT_DOWNLOAD_MAX_NAME))
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
	if (to_dir != NULL && (!g_path_is_absolute(to_dir) || !is_clean_text(to_dir, 4096)))
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

guint64 gnut_downloads_add(gnut_downloads *m, const uint8_t sha1[20], const char *name,
                           guint64 size, const char *to_dir, const gnut_download_source *sources,
                           guint n_sources, GError **error)
{
	g_return_val_if_fail(m != NULL && sha1 != NULL, 0);
	g_return_val_if_fail(sources != NULL || n_sources == 0, 0);
	if (!check_new_download(name, size, to_dir, sources, n_sources, error))
		return 0;
	download *d = find_live_by_sha1(m, sha1);
	if (d != NULL && d->size != size) {
		invalid(error, "this file is already being downloaded with another size");
		return 0;
	}
	if (d == NULL) {
		d = download_new(m, m->next_id++, sha1, name, size, to_dir);
		g_ptr_array_add(m->all, d);
	}
	for (guint i = 0; i < n_sources; i++) {
		gnut_download_source use;
		if (usable_source(&sources[i], &use, NULL))
			merge_source(d, &use);
	}
	save_or_warn(m);
	schedule_soon(m);
	return d->id;
}

static download *find_or_error(gnut_downloads *m, guint64 id, GError **error)
{
	download *d = find_by_id(m, id);
	if (d == NULL)
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND,
		            "no download %" G_GUINT64_FORMAT, id);
	return d;
}

gboolean gnut_downloads_add_source(gnut_downloads *m, guint64 id, const gnut_download_source *src,
                                   GError **error)
{
	g_return_val_if_fail(m != NULL && src != NULL, FALSE);
	download *d = find_or_error(m, id, error);
	if (d == NULL)
		return FALSE;
	if (gnut_download_state_is_final(d->state))
		return invalid(error, "the download is over");
	gnut_download_source use;
	if (!usable_source(src, &use, error))
		return FALSE;
	merge_source(d, &use);
	save_later(m);
	schedule_soon(m);
	return TRUE;
}

guint64 gnut_downloads_find(gnut_downloads *m, const uint8_t sha1[20])
{
	download *d = find_live_by_sha1(m, sha1);
	return d != NULL ? d->id : 0;
}

gboolean gnut_downloads_cancel(gnut_downloads *m, guint64 id, GError **error)
{
	g_return_val_if_fail(m != NULL, FALSE);
	download *d = find_or_error(m, id, error);
	if (d == NULL)
		return FALSE;
	if (gnut_download_state_is_final(d->state))
		return invalid(error, "the download is over");
	if (stop_verify(d)) {
		set_state(d, GNUT_DOWNLOAD_COMPLETE, FALSE);
		save_or_warn(m);
		return invalid(error, "the download completed before it could be cancelled");
	}
	g_clear_pointer(&d->fetch, gnut_download_fetch_free);
	d->fetch_src = NULL;
	d->push_src = NULL;
	close_partial(d);
	g_unlink(d->partial);
	set_state(d, GNUT_DOWNLOAD_CANCELLED, FALSE);
	save_or_warn(m);
	schedule_soon(m);
	return TRUE;
}

static void fill_status(const download *d, gnut_download_status *out)
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
	out->error = g_strdup(d->error);
	out->sources = count_alive(d);
}

void gnut_download_status_clear(gnut_download_status *st)
{
	if (st == NULL)
		return;
	g_clear_pointer(&st->name, g_free);
	g_clear_pointer(&st->urn, g_free);
	g_clear_pointer(&st->path, g_free);
	g_clear_pointer(&st->error, g_free);
}

void gnut_download_status_free(gpointer st)
{
	gnut_download_status_clear(st);
	g_free(st);
}

gboolean gnut_downloads_get(gnut_downloads *m, guint64 id, gnut_download_status *out)
{
	g_return_val_if_fail(m != NULL && out != NULL, FALSE);
	download *d = find_by_id(m, id);
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
