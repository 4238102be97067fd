/* download-http.c: the HTTP exchange with one source (gnut_download_fetch,
 * see download-private.h).
 *
 * Steps: CONNECTING -> (send a request) HEAD -> BODY -> HEAD -> ... -> OVER.
 * Each request asks one range with "Range: bytes=a-b"; the reply may serve
 * less than asked (the reference servent caps a reply at 512 KiB), and the
 * next request asks from what is still missing, on the same connection
 * unless the source said it would close. The reply head is bounded by
 * gnut_head_scan's caps; the body is bounded by the range we asked, never by
 * what Content-Length claims. Body bytes are handed to the owner as they
 * arrive, within the owner's rate-limit budget: when the budget is spent,
 * reading pauses (the connection stops watching the socket) until a timer
 * says to try again. A watchdog drops a source that stays silent.
 *
 * A source that accepts TLS gets TLS from the first byte; when its TLS
 * handshake fails, the fetch connects once more in plain text and says so
 * in its result, so that the source is not asked for TLS again.
 *
 * A firewalled source connects to us instead (a GIV after our push): the
 * exchange then starts from that connection, with no CONNECTING work of
 * its own, and everything after the connection exists (attach_conn) is
 * the same code for both. */
#define G_LOG_DOMAIN "gnut-core"

#include "config.h"

#include "download-private.h"

#include <string.h>

#include "gnut/net/conn.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/urn.h"

#define FETCH_INPUT_CAP (128 * 1024) /* buffered input: a head, or body bytes */
#define MAX_URNS        32           /* URNs read from X-Gnutella-Content-URN */
#define WATCHDOG_MS     1000         /* how often silence is checked */
#define PAUSE_MIN_MS    5            /* rate-limit waits, bounds */
#define PAUSE_MAX_MS    1000
#define US_PER_MS       1000

typedef enum {
	STEP_CONNECTING,
	STEP_HEAD, /* request sent, waiting for the reply head */
	STEP_BODY,
	STEP_OVER, /* done was called */
} fetch_step;

/* The pending connect outlives a freed fetch: its callback then finds NULL. */
typedef struct {
	gnut_download_fetch *fetch;
} connect_op;

struct gnut_download_fetch {
	char *host_port; /* "host:port" or "[v6]:port": for connect and Host */
	uint8_t sha1[GNUT_SHA1_LEN];
	guint64 size;
	gboolean use_get;
	guint32 index;
	char *name;
	gint64 idle_timeout_us;
	guint connect_timeout_s;
	gboolean tls;        /* the next connection starts with TLS */
	gboolean tls_failed; /* a TLS connection failed: plain since */
	gnut_clock *clock;
	gnut_download_fetch_ops ops;
	gpointer user_data;
	GMainContext *ctx;

	connect_op *op;
	GCancellable *cancel; /* of the connect; NULL for a pushed connection */
	GSource *kickoff_src; /* a pushed connection: the first request, soon */
	gnut_conn *conn;
	fetch_step step;
	guint64 asked_start, asked_len;
	guint64 body_off, body_left;
	gboolean close_after; /* the source closes after this reply */
	gboolean told_receiving;
	guint replies; /* complete replies on this connection */
	guint64 received;
	gint64 last_activity_us;
	gboolean paused;
	GSource *pause_src;
	GSource *watchdog_src;
};

static void on_readable(gnut_conn *conn, gpointer data);
static void on_closed(gnut_conn *conn, const GError *reason, gpointer data);

static void stop_source(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_clear_pointer(src, g_source_unref);
	}
}

static GSource *add_timeout(gnut_download_fetch *f, guint ms, GSourceFunc fn)
{
	GSource *src = g_timeout_source_new(ms);
	g_source_set_callback(src, fn, f, NULL);
	g_source_attach(src, f->ctx);
	return src;
}

static void touch(gnut_download_fetch *f)
{
	f->last_activity_us = gnut_clock_now_us(f->clock);
}

/* Ends the fetch: everything stops, then the owner hears the outcome. The
 * owner may free f from its done callback, so the caller must not touch f
 * afterwards (every caller returns at once). */
static void finish(gnut_download_fetch *f, gnut_download_fetch_outcome outcome, guint retry_after_s,
                   const GError *error)
{
	stop_source(&f->watchdog_src);
	stop_source(&f->pause_src);
	if (f->conn != NULL) {
		gnut_conn_set_handlers(f->conn, NULL, NULL, NULL);
		gnut_conn_close(f->conn, NULL);
	}
	f->step = STEP_OVER;
	gnut_download_fetch_result r = {
	    .outcome = outcome,
	    .retry_after_s = retry_after_s,
	    .received = f->received,
	    .error = error,
	    .tls_failed = f->tls_failed,
	};
	f->ops.done(f->user_data, &r);
}

static void fail(gnut_download_fetch *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Ends the fetch with a connection or protocol error. */
static void fail(gnut_download_fetch *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autoptr(GError) err = g_error_new(GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_PROTOCOL,
	                                    "%s: %s", f->host_port, msg);
	finish(f, GNUT_DOWNLOAD_FETCH_ERROR, 0, err);
}

static char *request_target(const gnut_download_fetch *f)
{
	GString *t = g_string_new(NULL);
	if (f->use_get) {
		g_string_append_printf(t, "/get/%" G_GUINT32_FORMAT "/", f->index);
		gnut_http_url_encode(t, f->name);
	} else {
		char urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(f->sha1, urn);
		g_string_append_printf(t, "/uri-res/N2R?%s", urn);
	}
	return g_string_free(t, FALSE);
}

/* Asks the next missing range. FALSE when the fetch is over. */
static gboolean send_request(gnut_download_fetch *f)
{
	guint64 start = 0, len = 0;
	if (!f->ops.next_range(f->user_data, &start, &len)) {
		finish(f, GNUT_DOWNLOAD_FETCH_DONE, 0, NULL);
		return FALSE;
	}
	g_autofree char *target = request_target(f);
	g_autoptr(gnut_head) h = gnut_http_new_request("GET", target);
	gnut_head_add(h, "Host", f->host_port);
	gnut_head_add(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
	gnut_head_addf(h, "Range", "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, start,
	               start + len - 1);
	if (f->ops.request_head != NULL)
		f->ops.request_head(f->user_data, h);
	g_autoptr(GString) wire = gnut_head_serialize(h);
	if (!gnut_conn_write_raw(f->conn, wire->str, wire->len)) {
		fail(f, "cannot send the request");
		return FALSE;
	}
	f->asked_start = start;
	f->asked_len = len;
	f->step = STEP_HEAD;
	return TRUE;
}

/* ---- judging a reply head: pure, so tests and fuzzers reach it ---- */

static void judged(gnut_download_reply *out, gnut_download_fetch_outcome outcome, GError **error,
                   const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void judged(gnut_download_reply *out, gnut_download_fetch_outcome outcome, GError **error,
                   const char *fmt, ...)
{
	out->data = FALSE;
	out->outcome = outcome;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_PROTOCOL, msg);
}

/* An X-Gnutella-Content-URN list that names a SHA-1 must name ours. */
static gboolean urn_matches(const uint8_t sha1[GNUT_SHA1_LEN], const char *value)
{
	gboolean other = FALSE;
	g_auto(GStrv) parts = g_strsplit(value, ",", MAX_URNS);
	for (guint i = 0; parts[i] != NULL; i++) {
		const char *u = g_strstrip(parts[i]);
		gnut_urn urn;
		if (gnut_urn_parse(u, strlen(u), &urn) != GNUT_PROTO_OK || !urn.has_sha1)
			continue;
		if (memcmp(urn.sha1, sha1, GNUT_SHA1_LEN) == 0)
			return TRUE;
		other = TRUE;
	}
	return !other;
}

/* The bytes a 200/206 reply brings, checked against the request: a
 * Content-Range within it, or (a 200 without one) the whole file from 0, of
 * which we take what we asked and then close; and a Content-Length, when
 * given, that matches. */
static void judge_data(const gnut_head *h, unsigned code, const gnut_download_request *rq,
                       gnut_download_reply *out, GError **error)
{
	guint64 body_len = 0;
	const char *cr = gnut_head_get(h, "Content-Range");
	gnut_http_content_range c;
	if (cr == NULL && (code != GNUT_HTTP_OK || rq->start != 0)) {
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error, "%u reply without Content-Range",
		       code);
		return;
	}
	if (cr == NULL) {
		out->start = 0;
		out->len = rq->len;
		body_len = rq->size;
		out->close_after |= rq->len < rq->size; /* the rest of the body is not read */
	} else if (gnut_http_parse_content_range(cr, &c) != GNUT_PROTO_OK || !c.satisfied) {
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error, "bad Content-Range");
		return;
	} else if (c.total_known && c.total != rq->size) {
		judged(out, GNUT_DOWNLOAD_FETCH_WRONG_FILE, error,
		       "file of %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT, c.total,
		       rq->size);
		return;
	} else if (c.start < rq->start || c.end - rq->start >= rq->len) {
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error,
		       "Content-Range outside the range asked");
		return;
	} else {
		out->start = c.start;
		out->len = c.end - c.start + 1;
		body_len = out->len;
	}
	const char *cl = gnut_head_get(h, "Content-Length");
	guint64 clen = 0;
	if (cl != NULL && (gnut_head_parse_u64(cl, &clen) != GNUT_PROTO_OK || clen != body_len)) {
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error,
		       "Content-Length does not match the range");
		return;
	}
	out->data = TRUE;
}

/* A 200/206 must be our file, sent as it is. */
static void judge_ok(const gnut_head *h, unsigned code, const gnut_download_request *rq,
                     gnut_download_reply *out, GError **error)
{
	const char *urn = gnut_head_get(h, "X-Gnutella-Content-URN");
	const char *te = gnut_head_get(h, "Transfer-Encoding");
	if (urn != NULL && !urn_matches(rq->sha1, urn))
		judged(out, GNUT_DOWNLOAD_FETCH_WRONG_FILE, error, "serves another file (%s)", urn);
	else if (te != NULL && g_ascii_strcasecmp(te, "identity") != 0)
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error, "unsupported Transfer-Encoding");
	else
		judge_data(h, code, rq, out, error);
}

void gnut_download_reply_judge(const gnut_head *h, const gnut_download_request *rq,
                               gnut_download_reply *out, GError **error)
{
	g_return_if_fail(h != NULL && rq != NULL && rq->sha1 != NULL && out != NULL);
	g_return_if_fail(rq->len >= 1 && rq->start + rq->len <= rq->size);
	memset(out, 0, sizeof *out);
	gnut_http_status st;
	if (gnut_http_parse_status_line(gnut_head_start_line(h), &st) != GNUT_PROTO_OK) {
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error, "bad status line");
		return;
	}
	const char *conn_hdr = gnut_head_get(h, "Connection");
	if (st.minor >= 1)
		out->close_after = conn_hdr != NULL && gnut_head_value_has_token(conn_hdr, "close");
	else
		out->close_after =
		    conn_hdr == NULL || !gnut_head_value_has_token(conn_hdr, "keep-alive");
	const char *retry = gnut_head_get(h, "Retry-After");
	guint64 secs = 0;
	switch (st.code) {
	case GNUT_HTTP_OK:
	case GNUT_HTTP_PARTIAL_CONTENT:
		judge_ok(h, st.code, rq, out, error);
		break;
	case GNUT_HTTP_SERVICE_UNAVAILABLE:
		if (retry == NULL || gnut_head_parse_u64(retry, &secs) != GNUT_PROTO_OK)
			secs = 0;
		out->outcome = GNUT_DOWNLOAD_FETCH_BUSY;
		out->retry_after_s = (guint)MIN(secs, G_MAXUINT);
		break;
	case GNUT_HTTP_NOT_FOUND:
	case GNUT_HTTP_GONE:
		out->outcome = GNUT_DOWNLOAD_FETCH_NOT_FOUND;
		break;
	case GNUT_HTTP_RANGE_NOT_SATISFIABLE:
		out->outcome = GNUT_DOWNLOAD_FETCH_BAD_RANGE;
		break;
	default:
		judged(out, GNUT_DOWNLOAD_FETCH_ERROR, error, "unexpected reply %u %s", st.code,
		       st.reason);
		break;
	}
}

/* Acts on a reply head. FALSE when the fetch is over. */
static gboolean handle_reply(gnut_download_fetch *f, const gnut_head *h)
{
	if (f->ops.reply_head != NULL)
		f->ops.reply_head(f->user_data, h);
	gnut_download_request rq = {
	    .sha1 = f->sha1, .size = f->size, .start = f->asked_start, .len = f->asked_len};
	gnut_download_reply r;
	g_autoptr(GError) err = NULL;
	gnut_download_reply_judge(h, &rq, &r, &err);
	if (!r.data) {
		if (err != NULL)
			g_prefix_error(&err, "%s: ", f->host_port);
		finish(f, r.outcome, r.retry_after_s, err);
		return FALSE;
	}
	f->close_after = r.close_after;
	f->body_off = r.start;
	f->body_left = r.len;
	f->step = STEP_BODY;
	if (!f->told_receiving) {
		f->told_receiving = TRUE;
		f->ops.receiving(f->user_data);
	}
	return TRUE;
}

/* Takes a whole reply head from the input. FALSE: wait for more, or over. */
static gboolean take_head(gnut_download_fetch *f)
{
	gsize avail = 0;
	const guint8 *in = gnut_conn_peek_input(f->conn, &avail);
	size_t head_len = 0;
	gnut_proto_err e = gnut_head_scan(in, avail, &head_len);
	if (e == GNUT_PROTO_ERR_TRUNCATED)
		return FALSE;
	if (e != GNUT_PROTO_OK) {
		fail(f, "reply head: %s", gnut_proto_strerror(e));
		return FALSE;
	}
	g_autoptr(gnut_head) h = NULL;
	e = gnut_head_parse(in, head_len, &h);
	gnut_conn_consume_input(f->conn, head_len);
	touch(f);
	if (e != GNUT_PROTO_OK) {
		fail(f, "reply head: %s", gnut_proto_strerror(e));
		return FALSE;
	}
	return handle_reply(f, h);
}

static gboolean on_resume(gpointer data)
{
	gnut_download_fetch *f = data;
	stop_source(&f->pause_src);
	f->paused = FALSE;
	touch(f);
	gnut_conn_set_handlers(f->conn, on_readable, on_closed, f);
	return G_SOURCE_REMOVE;
}

/* The rate limit is spent: stop watching the socket (TCP then slows the
 * source down) and try again later. */
static void pause_reading(gnut_download_fetch *f, gint64 wait_us)
{
	f->paused = TRUE;
	gnut_conn_set_handlers(f->conn, NULL, on_closed, f);
	gint64 ms = CLAMP((wait_us + US_PER_MS - 1) / US_PER_MS, PAUSE_MIN_MS, PAUSE_MAX_MS);
	f->pause_src = add_timeout(f, (guint)ms, on_resume);
}

/* A reply's body is all here: ask for more, or end. */
static gboolean reply_done(gnut_download_fetch *f)
{
	f->replies++;
	guint64 start = 0, len = 0;
	if (!f->ops.next_range(f->user_data, &start, &len)) {
		finish(f, GNUT_DOWNLOAD_FETCH_DONE, 0, NULL);
		return FALSE;
	}
	if (f->close_after) {
		finish(f, GNUT_DOWNLOAD_FETCH_CLOSED, 0, NULL);
		return FALSE;
	}
	return send_request(f);
}

/* Hands body bytes to the owner, no more than the reply has left and the
 * budget allows. FALSE: wait for more, or over. */
static gboolean take_body(gnut_download_fetch *f)
{
	gsize avail = 0;
	const guint8 *in = gnut_conn_peek_input(f->conn, &avail);
	if (avail == 0)
		return FALSE;
	gsize want = (gsize)MIN((guint64)avail, f->body_left);
	gint64 wait_us = 0;
	gsize allowed = f->ops.budget(f->user_data, want, &wait_us);
	gsize take = MIN(allowed, want);
	if (take == 0) {
		pause_reading(f, wait_us);
		return FALSE;
	}
	g_autoptr(GError) err = NULL;
	if (!f->ops.write(f->user_data, f->body_off, in, take, &err)) {
		finish(f, GNUT_DOWNLOAD_FETCH_LOCAL, 0, err);
		return FALSE;
	}
	gnut_conn_consume_input(f->conn, take);
	touch(f);
	f->body_off += take;
	f->body_left -= take;
	f->received += take;
	if (f->body_left > 0)
		return TRUE;
	return reply_done(f);
}

static void on_readable(gnut_conn *conn, gpointer data)
{
	gnut_download_fetch *f = data;
	gboolean more = TRUE;
	while (more) {
		if (f->step == STEP_HEAD)
			more = take_head(f);
		else if (f->step == STEP_BODY)
			more = take_body(f);
		else
			more = FALSE;
	}
}

/* The source closed. Between replies, after serving data, that is how a
 * source ends a kept-alive connection: reconnect. Anywhere else it is an
 * error (a cut body, no reply). */
static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	gnut_download_fetch *f = data;
	gsize pending = 0;
	gnut_conn_peek_input(conn, &pending);
	if (f->step == STEP_HEAD && f->replies > 0 && pending == 0) {
		finish(f, GNUT_DOWNLOAD_FETCH_CLOSED, 0, NULL);
		return;
	}
	if (f->step == STEP_BODY)
		fail(f, "connection lost with %" G_GUINT64_FORMAT " bytes of the reply missing: %s",
		     f->body_left, reason->message);
	else
		fail(f, "connection lost: %s", reason->message);
}

static void tls_fallback(gnut_download_fetch *f, const char *why);

static gboolean on_watchdog(gpointer data)
{
	gnut_download_fetch *f = data;
	if (f->paused || gnut_clock_now_us(f->clock) - f->last_activity_us <= f->idle_timeout_us)
		return G_SOURCE_CONTINUE;
	if (f->step == STEP_CONNECTING) { /* a TLS handshake that hangs */
		tls_fallback(f, "TLS handshake timed out");
		return G_SOURCE_CONTINUE; /* it destroyed this source */
	}
	fail(f, "no data for %" G_GINT64_FORMAT " s", f->idle_timeout_us / G_USEC_PER_SEC);
	return G_SOURCE_CONTINUE; /* finish destroyed it if it fired */
}

/* The connection exists, whoever opened it: read replies from it, watch
 * for silence, and ask the first range. */
static void attach_conn(gnut_download_fetch *f)
{
	gnut_conn_set_input_cap(f->conn, FETCH_INPUT_CAP);
	gnut_conn_set_handlers(f->conn, on_readable, on_closed, f);
	touch(f);
	stop_source(&f->watchdog_src);
	f->watchdog_src = add_timeout(f, WATCHDOG_MS, on_watchdog);
	send_request(f);
}

static void start_connect(gnut_download_fetch *f);

static void on_tls_ready(gnut_conn *conn, gpointer data)
{
	gnut_download_fetch *f = data;
	g_debug("%s: download connection in TLS", f->host_port);
	attach_conn(f);
}

/* TLS did not come up: once more, in plain text. */
static void tls_fallback(gnut_download_fetch *f, const char *why)
{
	g_message("%s: TLS failed (%s): trying in plain text", f->host_port, why);
	stop_source(&f->watchdog_src);
	gnut_conn_set_handlers(f->conn, NULL, NULL, NULL);
	gnut_conn_close(f->conn, NULL);
	g_clear_pointer(&f->conn, gnut_conn_unref);
	f->tls = FALSE;
	f->tls_failed = TRUE;
	start_connect(f);
}

static void on_tls_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	tls_fallback(data, reason->message);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
	connect_op *op = data;
	g_autoptr(GError) err = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &err);
	gnut_download_fetch *f = op->fetch;
	g_free(op);
	if (f == NULL) { /* freed while connecting */
		g_clear_pointer(&conn, gnut_conn_unref);
		return;
	}
	f->op = NULL;
	if (conn == NULL) {
		g_prefix_error(&err, "%s: ", f->host_port);
		finish(f, GNUT_DOWNLOAD_FETCH_ERROR, 0, err);
		return;
	}
	f->conn = conn;
	if (!f->tls) {
		attach_conn(f);
		return;
	}
	gnut_conn_set_handlers(conn, NULL, on_tls_closed, f);
	touch(f);
	f->watchdog_src = add_timeout(f, WATCHDOG_MS, on_watchdog);
	gnut_conn_start_tls(conn, FALSE, NULL, on_tls_ready, f);
}

static void start_connect(gnut_download_fetch *f)
{
	f->op = g_new0(connect_op, 1);
	f->op->fetch = f;
	gnut_conn_connect_async(f->host_port, 0, f->connect_timeout_s, f->cancel, on_connected,
	                        f->op);
}

/* What both ways of starting share; host_port is taken. */
static gnut_download_fetch *fetch_new(const gnut_download_fetch_params *params,
                                      const gnut_download_fetch_ops *ops, gpointer user_data,
                                      char *host_port)
{
	gnut_download_fetch *f = g_new0(gnut_download_fetch, 1);
	f->host_port = host_port;
	memcpy(f->sha1, params->sha1, GNUT_SHA1_LEN);
	f->size = params->size;
	f->use_get = params->use_get;
	f->index = params->index;
	f->name = g_strdup(params->name);
	f->idle_timeout_us = (gint64)params->idle_timeout_s * G_USEC_PER_SEC;
	f->clock = params->clock;
	f->ops = *ops;
	f->user_data = user_data;
	f->ctx = g_main_context_ref_thread_default();
	f->step = STEP_CONNECTING;
	return f;
}

gnut_download_fetch *gnut_download_fetch_start(const gnut_download_fetch_params *params,
                                               const gnut_download_fetch_ops *ops,
                                               gpointer user_data)
{
	g_return_val_if_fail(params != NULL && ops != NULL && params->host != NULL, NULL);
	g_return_val_if_fail(params->port != 0 && params->sha1 != NULL && params->clock != NULL,
	                     NULL);
	g_return_val_if_fail(!params->use_get || params->name != NULL, NULL);

	char *host_port = strchr(params->host, ':') != NULL
	                      ? g_strdup_printf("[%s]:%u", params->host, params->port)
	                      : g_strdup_printf("%s:%u", params->host, params->port);
	gnut_download_fetch *f = fetch_new(params, ops, user_data, host_port);
	f->cancel = g_cancellable_new();
	f->connect_timeout_s = params->connect_timeout_s;
	f->tls = params->tls;
	start_connect(f);
	return f;
}

static gboolean on_kickoff(gpointer data)
{
	gnut_download_fetch *f = data;
	stop_source(&f->kickoff_src);
	attach_conn(f);
	return G_SOURCE_REMOVE;
}

gnut_download_fetch *gnut_download_fetch_start_on(gnut_conn *conn,
                                                  const gnut_download_fetch_params *params,
                                                  const gnut_download_fetch_ops *ops,
                                                  gpointer user_data)
{
	g_return_val_if_fail(conn != NULL && params != NULL && ops != NULL, NULL);
	g_return_val_if_fail(params->sha1 != NULL && params->clock != NULL, NULL);
	g_return_val_if_fail(!params->use_get || params->name != NULL, NULL);

	gnut_download_fetch *f =
	    fetch_new(params, ops, user_data, g_strdup(gnut_conn_get_peer(conn)));
	f->conn = conn;
	/* Nothing of the previous owner (the listener that read the GIV) may
	 * run from now on; reading waits for the first request. */
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	f->kickoff_src = g_idle_source_new();
	g_source_set_callback(f->kickoff_src, on_kickoff, f, NULL);
	g_source_attach(f->kickoff_src, f->ctx);
	return f;
}

void gnut_download_fetch_free(gnut_download_fetch *f)
{
	if (f == NULL)
		return;
	if (f->op != NULL) {
		f->op->fetch = NULL;
		g_cancellable_cancel(f->cancel);
	}
	stop_source(&f->kickoff_src);
	stop_source(&f->watchdog_src);
	stop_source(&f->pause_src);
	if (f->conn != NULL) {
		gnut_conn_set_handlers(f->conn, NULL, NULL, NULL);
		gnut_conn_close(f->conn, NULL);
		gnut_conn_unref(f->conn);
	}
	g_clear_object(&f->cancel);
	g_main_context_unref(f->ctx);
	g_free(f->host_port);
	g_free(f->name);
	g_free(f);
}
