/* upload.c: the upload server (see upload.h for the contract).
 *
 * Each HTTP connection is an upload_conn with a small state machine:
 *   READING  waiting for a complete request head (deadline: idle timeout
 *            for the first, keep-alive timeout for the next ones)
 *   SENDING  a body goes out in chunks; reading from the client is paused;
 *            only now does the connection hold a slot
 *   CLOSING  the last answer is being flushed, then the connection closes
 * Connections and slots are held per client address (two gnut_ip_admit
 * tables, as the listener's) so that one address can neither hold every
 * connection nor every slot.
 * A request is answered from inside the readable callback: the response
 * head is queued as raw output and the body handed to the connection's
 * sendfile path one chunk at a time; when the last chunk is out, the
 * connection goes back to READING or closes.
 *
 * A request for a body that finds no slot goes to the upload queue
 * (upload-queue.h), which decides who gets a freed slot; its 503 says the
 * place (X-Queued).
 *
 * Rate limiting: one token bucket (gnut_rate_limit) for all uploads. A
 * limited body waits in a FIFO for each chunk, so uploads take turns chunk
 * by chunk; the FIFO is served when a chunk ends, by a timer armed for the
 * moment the bucket will cover the head of the line, and by the tick. */
#define G_LOG_DOMAIN "gnut-upload"

#include "config.h"

#include "gnut/core/transfer/upload.h"

#include <string.h>
#include <unistd.h>

#include "gnut/base/log-limit.h"
#include "gnut/base/ip-admit.h"
#include "gnut/base/rate-limit.h"
#include "gnut/core/transfer/upload-queue.h"
#include "gnut/net/listener.h"
#include "gnut/proto/address.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/push-proxy.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/x-queued.h"

#include "upload-headers.h"
#include "upload-partial.h"

#define INPUT_CAP         (GNUT_HEAD_MAX_SIZE + 4096) /* room to see a head cross its cap */
#define UNLIMITED_CHUNK   (16 * 1024 * 1024)          /* a new rate limit applies within a chunk */
#define LIMITED_CHUNK_MAX (256 * 1024)                /* turn size between limited uploads */
#define MIN_BURST         512                         /* bytes the bucket holds at least */
#define WAKE_MAX_MS       1000                        /* longest sleep of the waiting FIFO */
#define US_PER_MS         1000
#define LOG_LINE_MAX      200 /* bytes of a request line in a log */
#define HTTP_DATE_LEN     29  /* "Sun, 06 Nov 1994 08:49:37 GMT" */

typedef enum {
	UC_READING,
	UC_SENDING,
	UC_CLOSING,
} uc_state;

typedef struct {
	gnut_uploads *u;
	gnut_conn *conn;
	gboolean keyed; /* key is its address (else no per-address cap applies) */
	gnut_ip_key key;
	gboolean conn_held; /* a place in u->conn_holds */
	uc_state state;
	gboolean has_slot;
	guint requests;     /* request heads taken on this connection */
	gint64 deadline_us; /* READING: the next head is due by then */
	gint64 progress_us; /* SENDING, CLOSING: when output last moved */
	guint64 last_out;   /* the connection's bytes_out at that time */
	/* the body under way (SENDING) */
	gnut_shared_file *file;
	int fd;
	guint64 next_off;    /* next file offset to hand to the connection */
	guint64 left;        /* bytes not yet handed to the connection */
	guint64 body_base;   /* the connection's payload_out when the body began */
	gboolean keep_alive; /* after this answer */
	gboolean waiting;    /* in u->waiting, for tokens */
	/* the file of the last body served here: the next range of it on this
	 * connection goes on without queueing (a slot between two ranges) */
	gboolean served;
	uint8_t served_sha1[GNUT_SHA1_LEN];
} upload_conn;

struct gnut_uploads {
	gnut_share *share;
	gnut_clock *clock;
	GMainContext *ctx;
	guint slots;
	guint max_connections;
	guint slots_per_ip;
	guint connections_per_ip;
	gint64 idle_timeout_us;
	gint64 keepalive_timeout_us;
	gint64 send_timeout_us;
	guint max_requests;
	guint retry_after_s;
	void (*stale)(gpointer data);
	gpointer stale_data;
	unsigned (*push_proxy)(const gnut_guid *servent, uint32_t requester, uint32_t ipv4,
	                       guint16 port, gpointer data);
	gpointer push_proxy_data;
	gnut_mesh *mesh;         /* borrowed; NULL: no mesh headers */
	gnut_partials *partials; /* borrowed; NULL: no partial file served */
	gboolean allow_local;
	GHashTable *conns;         /* set of upload_conn */
	gnut_ip_admit *conn_holds; /* connections per address */
	gnut_ip_admit *slot_holds; /* slots per address */
	gnut_log_limit *log;       /* what clients can make us log */
	guint slots_used;
	gnut_rate_limit *limit;   /* all uploads together */
	gnut_upload_queue *queue; /* behind the slots; NULL: none */
	GQueue waiting;           /* upload_conn waiting for tokens, FIFO */
	GSource *wake;
	gnut_uploads_stats stats; /* bytes_up: of finished bodies only */
};

/* An answer being decided. */
typedef struct {
	unsigned code;
	gboolean keep_alive; /* as the client wants it; errors may still close */
	gboolean is_head;
	gnut_shared_file *file;
	int fd;
	guint64 start, len;         /* the body: whole file (200) or one range (206) */
	gboolean thex;              /* the file's Tiger tree was asked for (N2X) */
	GBytes *thex_body;          /* its THEX answer, sent from memory */
	uint32_t peer_ip;           /* IPv4 of the client (host order), 0 for IPv6 */
	gnut_partial_file *partial; /* file is a partial file (upload-partial.h) */
	gboolean queued;            /* a 503 of the queue: X-Queued and its Retry-After */
	gnut_upload_answer queue;
} upload_reply;

static void on_readable(gnut_conn *conn, gpointer data);
static void on_closed(gnut_conn *conn, const GError *reason, gpointer data);
static void serve_waiting(gnut_uploads *u);
static void on_chunk_done(gnut_conn *conn, gpointer data);

static gint64 now_us(const gnut_uploads *u)
{
	return gnut_clock_now_us(u->clock);
}

static guint or_default(guint v, guint dflt)
{
	return v != 0 ? v : dflt;
}

/* The bucket holds a second of traffic, and at least MIN_BURST. */
static guint64 bucket_capacity(guint64 rate)
{
	return MAX(rate, MIN_BURST);
}

gnut_uploads *gnut_uploads_new(gnut_share *share, gnut_clock *clock,
                               const gnut_uploads_config *config)
{
	g_return_val_if_fail(share != NULL, NULL);
	gnut_uploads_config dflt = {0};
	const gnut_uploads_config *c = config != NULL ? config : &dflt;
	gnut_uploads *u = g_new0(gnut_uploads, 1);
	u->share = share;
	u->clock = clock != NULL ? clock : gnut_clock_system();
	u->ctx = g_main_context_ref_thread_default();
	u->slots = or_default(c->slots, GNUT_UPLOADS_DEFAULT_SLOTS);
	u->max_connections = or_default(c->max_connections, GNUT_UPLOADS_DEFAULT_MAX_CONNECTIONS);
	u->slots_per_ip = or_default(c->slots_per_ip, GNUT_UPLOADS_DEFAULT_SLOTS_PER_IP);
	u->connections_per_ip =
	    or_default(c->connections_per_ip, GNUT_UPLOADS_DEFAULT_CONNECTIONS_PER_IP);
	u->idle_timeout_us =
	    (gint64)or_default(c->idle_timeout_s, GNUT_UPLOADS_DEFAULT_IDLE_TIMEOUT_S) *
	    G_USEC_PER_SEC;
	u->keepalive_timeout_us =
	    (gint64)or_default(c->keepalive_timeout_s, GNUT_UPLOADS_DEFAULT_KEEPALIVE_TIMEOUT_S) *
	    G_USEC_PER_SEC;
	u->send_timeout_us =
	    (gint64)or_default(c->send_timeout_s, GNUT_UPLOADS_DEFAULT_SEND_TIMEOUT_S) *
	    G_USEC_PER_SEC;
	u->max_requests = or_default(c->max_requests, GNUT_UPLOADS_DEFAULT_MAX_REQUESTS);
	u->retry_after_s = or_default(c->retry_after_s, GNUT_UPLOADS_DEFAULT_RETRY_AFTER_S);
	u->stale = c->stale;
	u->stale_data = c->stale_data;
	u->push_proxy = c->push_proxy;
	u->push_proxy_data = c->push_proxy_data;
	u->mesh = c->mesh;
	u->partials = c->partials;
	u->allow_local = c->allow_local;
	u->conns = g_hash_table_new(NULL, NULL);
	/* more entries than connections: the tables never fill with holds */
	gnut_ip_admit_config ac = {.max_entries = u->max_connections + 1};
	u->conn_holds = gnut_ip_admit_new(u->clock, &ac);
	u->slot_holds = gnut_ip_admit_new(u->clock, &ac);
	u->log = gnut_log_limit_new(u->clock);
	g_queue_init(&u->waiting);
	guint64 rate = MIN(c->rate_limit, GNUT_UPLOADS_MAX_RATE);
	u->limit = gnut_rate_limit_new(u->clock, rate, bucket_capacity(rate));
	if (!c->no_queue) {
		gnut_upload_queue_config qc = {.max_length = c->queue_length,
		                               .per_ip = c->queue_per_ip};
		u->queue = gnut_upload_queue_new(u->clock, &qc);
	}
	return u;
}

static void drop_wake(gnut_uploads *u)
{
	if (u->wake != NULL) {
		g_source_destroy(u->wake);
		g_clear_pointer(&u->wake, g_source_unref);
	}
}

static void release_slot(upload_conn *uc)
{
	if (!uc->has_slot)
		return;
	uc->u->slots_used--;
	if (uc->keyed)
		gnut_ip_admit_release(uc->u->slot_holds, &uc->key);
	uc->has_slot = FALSE;
}

/* Lets go of the body: its bytes go to the counters, its file,
 * descriptor and slot are released. */
static void end_body(upload_conn *uc, gboolean complete)
{
	gnut_uploads *u = uc->u;
	gnut_conn_stats st;
	gnut_conn_get_stats(uc->conn, &st);
	u->stats.bytes_up += st.payload_out - uc->body_base;
	if (complete)
		u->stats.uploads_done++;
	if (uc->waiting) {
		g_queue_remove(&u->waiting, uc);
		uc->waiting = FALSE;
	}
	if (uc->fd >= 0)
		close(uc->fd);
	uc->fd = -1;
	g_clear_pointer(&uc->file, gnut_shared_file_unref);
	uc->left = 0;
	release_slot(uc);
}

/* Forgets a connection: its body, its slot, its entries. The caller drops
 * the connection itself. */
static void forget_conn(upload_conn *uc)
{
	gnut_uploads *u = uc->u;
	if (uc->state == UC_SENDING)
		end_body(uc, FALSE);
	release_slot(uc);
	if (uc->conn_held)
		gnut_ip_admit_release(u->conn_holds, &uc->key);
	g_hash_table_remove(u->conns, uc);
}

void gnut_uploads_free(gnut_uploads *u)
{
	if (u == NULL)
		return;
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, u->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		upload_conn *uc = key;
		g_hash_table_iter_steal(&it);
		gnut_conn_set_handlers(uc->conn, NULL, NULL, NULL);
		gnut_conn_close(uc->conn, NULL);
		if (uc->state == UC_SENDING)
			end_body(uc, FALSE);
		gnut_conn_unref(uc->conn);
		g_free(uc);
	}
	drop_wake(u);
	g_queue_clear(&u->waiting);
	gnut_rate_limit_free(u->limit);
	gnut_upload_queue_free(u->queue);
	gnut_log_limit_free(u->log);
	gnut_ip_admit_free(u->conn_holds);
	gnut_ip_admit_free(u->slot_holds);
	g_hash_table_unref(u->conns);
	g_main_context_unref(u->ctx);
	g_free(u);
}

gboolean gnut_uploads_wants_line(const char *first_line)
{
	g_return_val_if_fail(first_line != NULL, FALSE);
	const char *sp = strchr(first_line, ' ');
	const char *last = strrchr(first_line, ' ');
	if (sp == NULL || last == sp)
		return FALSE;
	g_autofree char *method = g_strndup(first_line, (gsize)(sp - first_line));
	return gnut_head_is_token(method) && g_str_has_prefix(last + 1, "HTTP/");
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 7231 IMF-fixdate), without the
 * locale that strftime and g_date_time_format would bring in. */
static void format_http_date(gint64 unix_s, char out[HTTP_DATE_LEN + 1])
{
	static const char days[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	GDateTime *dt = g_date_time_new_from_unix_utc(unix_s);
	if (dt == NULL)
		dt = g_date_time_new_from_unix_utc(0);
	g_snprintf(out, HTTP_DATE_LEN + 1, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	           days[g_date_time_get_day_of_week(dt) - 1], g_date_time_get_day_of_month(dt),
	           months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt),
	           g_date_time_get_hour(dt), g_date_time_get_minute(dt),
	           g_date_time_get_second(dt));
	g_date_time_unref(dt);
}

/* A Content-Type from the file name's extension; text/html and other types
 * a browser would run are deliberately absent. */
static const char *content_type(const char *name)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
	    {"mp3", "audio/mpeg"},
	    {"ogg", "audio/ogg"},
	    {"oga", "audio/ogg"},
	    {"opus", "audio/ogg"},
	    {"flac", "audio/flac"},
	    {"wav", "audio/wav"},
	    {"m4a", "audio/mp4"},
	    {"mp4", "video/mp4"},
	    {"m4v", "video/mp4"},
	    {"mkv", "video/x-matroska"},
	    {"webm", "video/webm"},
	    {"avi", "video/x-msvideo"},
	    {"ogv", "video/ogg"},
	    {"jpg", "image/jpeg"},
	    {"jpeg", "image/jpeg"},
	    {"png", "image/png"},
	    {"gif", "image/gif"},
	    {"webp", "image/webp"},
	    {"txt", "text/plain"},
	    {"pdf", "application/pdf"},
	    {"zip", "application/zip"},
	    {"gz", "application/gzip"},
	    {"epub", "application/epub+zip"},
	};
	const char *dot = strrchr(name, '.');
	if (dot != NULL)
		for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
			if (g_ascii_strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* The request line for a log: at most LOG_LINE_MAX bytes of the first line,
 * escaped, so a peer cannot forge log lines or flood the log. */
static char *log_line(const guint8 *buf, gsize len)
{
	gsize n = 0;
	while (n < len && n < LOG_LINE_MAX && buf[n] != '\r' && buf[n] != '\n')
		n++;
	if (n == 0)
		return g_strdup(""); /* nothing read yet: buf may be NULL */
	g_autofree char *raw = g_strndup((const char *)buf, n);
	return g_strescape(raw, NULL);
}

static gboolean is_success(unsigned code)
{
	return code == GNUT_HTTP_OK || code == GNUT_HTTP_PARTIAL_CONTENT;
}

/* The headers of a THEX answer; returns its length. */
static guint64 add_thex_headers(gnut_head *h, const upload_reply *r)
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(r->file->sha1, urn);
	gnut_head_add(h, "X-Gnutella-Content-URN", urn);
	gnut_head_add(h, "Content-Type", GNUT_THEX_CONTENT_TYPE);
	return g_bytes_get_size(r->thex_body);
}

/* A queued 503: X-Queue (gtk-gnutella's downloader reads X-Queued only
 * after it), X-Queued and the entry's Retry-After. */
static void add_queue_headers(gnut_head *h, const gnut_upload_answer *a)
{
	gnut_x_queued xq = {.has_position = true,
	                    .position = a->position,
	                    .has_length = true,
	                    .length = a->length,
	                    .has_eta = a->has_eta,
	                    .eta_s = a->eta_s,
	                    .has_lifetime = true,
	                    .lifetime_s = a->lifetime_s};
	g_strlcpy(xq.id, a->id, sizeof xq.id);
	g_autoptr(GString) v = g_string_new(NULL);
	gnut_x_queued_format(v, &xq);
	gnut_head_add(h, "X-Queue", GNUT_X_QUEUE_VERSION);
	gnut_head_add(h, "X-Queued", v->str);
	gnut_head_addf(h, "Retry-After", "%u", a->retry_after_s);
}

/* The response head for r; keep says whether the connection stays open. */
static GString *build_reply(const gnut_uploads *u, const upload_reply *r, gboolean keep)
{
	g_autoptr(gnut_head) h = gnut_http_new_response(r->code, NULL);
	char date[HTTP_DATE_LEN + 1];
	gnut_head_add(h, "Server", PACKAGE_NAME "/" PACKAGE_VERSION);
	format_http_date(g_get_real_time() / G_USEC_PER_SEC, date);
	gnut_head_add(h, "Date", date);
	guint64 body = 0;
	gboolean unsatisfiable = r->code == GNUT_HTTP_RANGE_NOT_SATISFIABLE;
	if (r->thex_body != NULL && is_success(r->code)) {
		body = add_thex_headers(h, r);
	} else if (r->file != NULL && (is_success(r->code) || unsatisfiable)) {
		gnut_http_content_range cr = {.satisfied = !unsatisfiable,
		                              .start = r->start,
		                              .end = r->start + r->len - 1,
		                              .total_known = TRUE,
		                              .total = r->file->size};
		if (r->code != GNUT_HTTP_OK) {
			g_autoptr(GString) v = g_string_new(NULL);
			gnut_http_format_content_range(v, &cr);
			gnut_head_add(h, "Content-Range", v->str);
		}
		char urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(r->file->sha1, urn);
		gnut_head_add(h, "X-Gnutella-Content-URN", urn);
		gnut_head_add(h, "Accept-Ranges", "bytes");
		format_http_date(r->file->mtime, date);
		gnut_head_add(h, "Last-Modified", date);
		if (!unsatisfiable)
			gnut_head_add(h, "Content-Type", content_type(r->file->name));
		body = !unsatisfiable ? r->len : 0;
		if (!unsatisfiable)
			gnut_upload_add_file_headers(h, u->mesh, r->file, r->peer_ip, now_us(u));
		if (r->partial != NULL)
			gnut_upload_partial_add_headers(h, r->partial);
	}
	if (r->queued)
		add_queue_headers(h, &r->queue);
	else if (r->code == GNUT_HTTP_SERVICE_UNAVAILABLE)
		gnut_head_addf(h, "Retry-After", "%u", u->retry_after_s);
	if (r->code == GNUT_HTTP_METHOD_NOT_ALLOWED)
		gnut_head_add(h, "Allow", "GET, HEAD");
	gnut_head_addf(h, "Content-Length", "%" G_GUINT64_FORMAT, body);
	gnut_head_add(h, "Connection", keep ? "keep-alive" : "close");
	return gnut_head_serialize(h);
}

static void count_reply(gnut_uploads *u, unsigned code)
{
	u->stats.requests++;
	if (code == GNUT_HTTP_SERVICE_UNAVAILABLE)
		u->stats.refused_busy++;
	else if (code == GNUT_HTTP_NOT_FOUND)
		u->stats.not_found++;
	else if (code >= GNUT_HTTP_FIRST_ERROR)
		u->stats.errors++;
}

/* Stops reading, flushes what is queued, then closes; the closed callback
 * frees uc. */
static void enter_closing(upload_conn *uc)
{
	uc->state = UC_CLOSING;
	uc->progress_us = now_us(uc->u);
	gnut_conn_set_handlers(uc->conn, NULL, on_closed, uc);
	gnut_conn_flush_and_close(uc->conn);
}

/* Waits for a request head, due within timeout_us. */
static void enter_reading(upload_conn *uc, gint64 timeout_us)
{
	uc->state = UC_READING;
	uc->deadline_us = now_us(uc->u) + timeout_us;
	gnut_conn_set_handlers(uc->conn, on_readable, on_closed, uc);
}

/* Hands the next chunk of the body to the connection (its bytes already
 * paid for when limited). */
static void send_chunk(upload_conn *uc, guint64 n)
{
	uc->progress_us = now_us(uc->u);
	gnut_conn_send_file_range(uc->conn, uc->fd, (goffset)uc->next_off, (gsize)n, on_chunk_done,
	                          uc);
	uc->next_off += n;
	uc->left -= n;
}

/* Unlimited bodies go out at once, in big chunks; limited ones queue for
 * tokens behind the others. */
static void next_chunk(upload_conn *uc)
{
	gnut_uploads *u = uc->u;
	if (gnut_rate_limit_get_rate(u->limit) == 0) {
		send_chunk(uc, MIN(uc->left, UNLIMITED_CHUNK));
		return;
	}
	uc->waiting = TRUE;
	g_queue_push_tail(&u->waiting, uc);
	serve_waiting(u);
}

static void on_chunk_done(gnut_conn *conn, gpointer data)
{
	upload_conn *uc = data;
	if (uc->left > 0) {
		next_chunk(uc);
		return;
	}
	end_body(uc, TRUE);
	if (uc->keep_alive)
		enter_reading(uc, uc->u->keepalive_timeout_us);
	else
		enter_closing(uc);
}

static void start_body(upload_conn *uc, upload_reply *r, gboolean keep)
{
	uc->state = UC_SENDING;
	uc->file = g_steal_pointer(&r->file);
	uc->fd = r->fd;
	r->fd = -1;
	uc->next_off = r->start;
	uc->left = r->len;
	uc->keep_alive = keep;
	uc->served = TRUE;
	memcpy(uc->served_sha1, uc->file->sha1, GNUT_SHA1_LEN);
	/* Reading pauses: pipelined requests wait in the kernel until the
	 * body is out, and cannot fill our input buffer meanwhile. */
	gnut_conn_set_handlers(uc->conn, NULL, on_closed, uc);
	gnut_conn_stats st;
	gnut_conn_get_stats(uc->conn, &st);
	uc->body_base = st.payload_out;
	uc->last_out = st.bytes_out;
	next_chunk(uc);
}

/* Queues a THEX answer's bytes after its head (at most
 * GNUT_THEX_ANSWER_MAX: no slot, no sendfile). */
static gboolean write_thex_body(upload_conn *uc, const upload_reply *r)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(r->thex_body, &len);
	uc->u->stats.bytes_up += len;
	return gnut_conn_write_raw(uc->conn, data, len);
}

/* Sends the answer r to the request logged as line, then reads the next
 * request, sends the body, or closes. */
static void send_reply(upload_conn *uc, upload_reply *r, const char *line)
{
	gnut_uploads *u = uc->u;
	gboolean keep =
	    r->keep_alive && (r->code < GNUT_HTTP_FIRST_ERROR || r->code == GNUT_HTTP_NOT_FOUND ||
	                      r->code == GNUT_HTTP_RANGE_NOT_SATISFIABLE);
	gboolean body = is_success(r->code) && !r->is_head && r->len > 0;
	g_autoptr(GString) text = build_reply(u, r, keep);
	guint64 sent = r->thex_body != NULL && !r->is_head ? g_bytes_get_size(r->thex_body)
	               : body                              ? r->len
	                                                   : 0;
	g_info("%s \"%s\" %u %" G_GUINT64_FORMAT "%s", gnut_conn_get_peer(uc->conn), line, r->code,
	       sent, gnut_conn_is_tls(uc->conn) ? " (TLS)" : "");
	count_reply(u, r->code);
	if (!gnut_conn_write_raw(uc->conn, text->str, text->len) ||
	    (r->thex_body != NULL && !r->is_head && !write_thex_body(uc, r))) {
		gnut_conn_close(uc->conn, NULL);
		return;
	}
	if (body && r->thex_body == NULL)
		start_body(uc, r, keep);
	else if (keep)
		uc->deadline_us = now_us(u) + u->keepalive_timeout_us;
	else
		enter_closing(uc);
}

/* N2R (the file) or N2X (its Tiger tree, *thex): "urn:sha1:<32>", for N2X
 * optionally followed by ";<Tiger root>" as X-Thex-URI writes it. */
static unsigned resolve_urn(gnut_uploads *u, const char *service, const char *urn_text,
                            gnut_shared_file **out, gboolean *thex, gnut_partial_file **partial)
{
	*thex = strcmp(service, "N2X") == 0;
	if (strcmp(service, "N2R") != 0 && !*thex)
		return GNUT_HTTP_NOT_FOUND;
	const char *semicolon = *thex ? strchr(urn_text, ';') : NULL;
	size_t urn_len = semicolon != NULL ? (size_t)(semicolon - urn_text) : strlen(urn_text);
	g_autofree char *decoded = NULL;
	if (gnut_http_url_decode(urn_text, urn_len, &decoded) != GNUT_PROTO_OK)
		return GNUT_HTTP_BAD_REQUEST;
	gnut_urn urn;
	if (gnut_urn_parse(decoded, strlen(decoded), &urn) != GNUT_PROTO_OK)
		return GNUT_HTTP_BAD_REQUEST;
	if (!urn.has_sha1)
		return GNUT_HTTP_NOT_FOUND;
	*out = gnut_share_by_sha1(u->share, urn.sha1);
	if (*out == NULL && u->partials != NULL &&
	    (*partial = gnut_partials_by_sha1(u->partials, urn.sha1)) != NULL)
		*out = gnut_shared_file_ref((*partial)->file);
	return *out != NULL ? 0 : GNUT_HTTP_NOT_FOUND;
}

/* Maps a request target to a shared file through the index only: 0 and
 * *out, or the status to answer. */
static unsigned resolve_target(gnut_uploads *u, const char *target, gnut_shared_file **out,
                               gboolean *thex, gnut_partial_file **partial)
{
	char service[4];
	const char *urn_text = NULL;
	gnut_proto_err e = gnut_http_parse_uri_res(target, service, &urn_text);
	if (e == GNUT_PROTO_OK)
		return resolve_urn(u, service, urn_text, out, thex, partial);
	if (e != GNUT_PROTO_ERR_UNSUPPORTED)
		return GNUT_HTTP_BAD_REQUEST;
	guint32 index = 0;
	g_autofree char *name = NULL;
	e = gnut_http_parse_get_target(target, &index, &name);
	if (e != GNUT_PROTO_OK)
		return e == GNUT_PROTO_ERR_UNSUPPORTED ? GNUT_HTTP_NOT_FOUND
		                                       : GNUT_HTTP_BAD_REQUEST;
	gnut_shared_file *f = gnut_share_by_index(u->share, index);
	if (f != NULL && strcmp(f->name, name) == 0) {
		*out = f;
		return 0;
	}
	if (f != NULL)
		gnut_shared_file_unref(f);
	return GNUT_HTTP_NOT_FOUND;
}

/* Opens the indexed file through the share, confined beneath its shared
 * folder and checked against what was indexed: 0 and r->fd, else the
 * status. A file that is no longer the one indexed is a 404 and a stale
 * index: the owner is asked to rescan. */
static unsigned open_indexed(gnut_uploads *u, upload_reply *r)
{
	g_autoptr(GError) err = NULL;
	if (gnut_share_open_file(u->share, r->file, &r->fd, &err))
		return 0;
	if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		gnut_log_limited(u->log, "shared file not served: %s", err->message);
		return GNUT_HTTP_INTERNAL_SERVER_ERROR;
	}
	u->stats.stale++;
	gnut_log_limited(u->log, "shared file not served: %s: rescanning the shares", err->message);
	if (u->stale != NULL)
		u->stale(u->stale_data);
	return GNUT_HTTP_NOT_FOUND;
}

/* 200 for the whole file, 206 for the first satisfiable range, 416 when
 * none is, 400 for a Range that does not parse. */
static unsigned pick_range(const gnut_head *head, upload_reply *r)
{
	const char *value = gnut_head_get(head, "Range");
	r->start = 0;
	r->len = r->file->size;
	if (value == NULL)
		return GNUT_HTTP_OK;
	gnut_http_range out[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	switch (gnut_http_parse_range(value, r->file->size, out, &n)) {
	case GNUT_HTTP_RANGE_OK:
		r->start = out[0].start;
		r->len = out[0].end - out[0].start + 1;
		return GNUT_HTTP_PARTIAL_CONTENT;
	case GNUT_HTTP_RANGE_UNSATISFIABLE:
		r->len = 0;
		return GNUT_HTTP_RANGE_NOT_SATISFIABLE;
	default:
		return GNUT_HTTP_BAD_REQUEST;
	}
}

/* A slot for the body about to go out, if one is free in all and for the
 * client's address; a refusal for the address alone is counted. */
static gboolean take_slot(upload_conn *uc)
{
	gnut_uploads *u = uc->u;
	if (u->slots_used >= u->slots)
		return FALSE;
	if (uc->keyed && !gnut_ip_admit_hold(u->slot_holds, &uc->key, u->slots_per_ip)) {
		u->stats.refused_per_ip++;
		return FALSE;
	}
	u->slots_used++;
	uc->has_slot = TRUE;
	return TRUE;
}

/* The ID of a request's X-Queued (parsed into xq), or NULL. */
static const char *request_queue_id(const gnut_head *head, gnut_x_queued *xq)
{
	const char *v = gnut_head_get(head, "X-Queued");
	if (v == NULL || gnut_x_queued_parse(v, strlen(v), xq) != GNUT_PROTO_OK ||
	    xq->id[0] == '\0')
		return NULL;
	return xq->id;
}

/* A slot for a body, through the queue (upload-queue.h) unless there is
 * none, the client has no address key, or it asks for the next range of
 * the file it was just served on this connection. FALSE: a 503, queued
 * (r->queued) or not. */
static gboolean claim_slot(upload_conn *uc, const gnut_head *head, upload_reply *r)
{
	gnut_uploads *u = uc->u;
	gboolean next_range =
	    uc->served && memcmp(uc->served_sha1, r->file->sha1, GNUT_SHA1_LEN) == 0;
	if (u->queue == NULL || !uc->keyed || next_range)
		return take_slot(uc);
	gnut_x_queued xq;
	gnut_upload_ask ask = {.key = uc->key,
	                       .sha1 = r->file->sha1,
	                       .len = r->len,
	                       .active = gnut_head_get(head, "X-Queue") != NULL,
	                       .id = request_queue_id(head, &xq),
	                       .free_slots = u->slots - MIN(u->slots_used, u->slots),
	                       .uploads = u->slot_holds,
	                       .slots_per_ip = u->slots_per_ip,
	                       .rate = gnut_rate_limit_get_rate(u->limit)};
	gnut_upload_queue_ask(u->queue, &ask, &r->queue);
	if (r->queue.verdict == GNUT_UPLOAD_QUEUE_SERVE)
		return take_slot(uc);
	r->queued = r->queue.verdict == GNUT_UPLOAD_QUEUE_QUEUED;
	return FALSE;
}

static unsigned refused_method(const char *name)
{
	static const char *const known[] = {"POST",    "PUT",   "DELETE", "PATCH",
	                                    "OPTIONS", "TRACE", "CONNECT"};
	for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(name, known[i]) == 0)
			return GNUT_HTTP_METHOD_NOT_ALLOWED;
	return GNUT_HTTP_NOT_IMPLEMENTED;
}

/* HTTP/1.1 stays open unless told otherwise, HTTP/1.0 closes; so does a
 * request with a body (we would read it as the next request) and the last
 * request a connection may make. */
static gboolean wants_keep_alive(const upload_conn *uc, const gnut_http_request *req,
                                 const gnut_head *head)
{
	const char *connection = gnut_head_get(head, "Connection");
	const char *length = gnut_head_get(head, "Content-Length");
	if (req->minor == 0 || uc->requests >= uc->u->max_requests)
		return FALSE;
	if (connection != NULL && gnut_head_value_has_token(connection, "close"))
		return FALSE;
	if (gnut_head_get(head, "Transfer-Encoding") != NULL)
		return FALSE;
	return length == NULL || strcmp(length, "0") == 0;
}

/* The IPv4 address (host order) of the connection's peer; 0 for IPv6. */
static uint32_t peer_ipv4(const upload_conn *uc)
{
	GInetSocketAddress *sa = gnut_conn_get_remote_address(uc->conn);
	GInetAddress *a = sa != NULL ? g_inet_socket_address_get_address(sa) : NULL;
	if (a == NULL || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
		return 0;
	const guint8 *b = g_inet_address_to_bytes(a);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A push-proxy request (upload.h): TRUE and r->code when target is one. */
static gboolean push_proxy_request(upload_conn *uc, const char *target, const gnut_head *head,
                                   upload_reply *r)
{
	gnut_guid servent;
	gnut_proto_err e = gnut_push_proxy_parse_target(target, &servent);
	if (e == GNUT_PROTO_ERR_UNSUPPORTED)
		return FALSE;
	const char *node = gnut_head_get(head, "X-Node");
	uint32_t ipv4 = 0;
	uint16_t port = 0;
	if (uc->u->push_proxy == NULL)
		r->code = GNUT_HTTP_NOT_FOUND;
	else if (e != GNUT_PROTO_OK || node == NULL ||
	         gnut_addr_parse_ipv4_port(node, strlen(node), 0, &ipv4, &port) != GNUT_PROTO_OK ||
	         port == 0)
		r->code = GNUT_HTTP_BAD_REQUEST;
	else
		r->code =
		    uc->u->push_proxy(&servent, peer_ipv4(uc), ipv4, port, uc->u->push_proxy_data);
	return TRUE;
}

/* Fills r for one parsed request head. */
static void decide(upload_conn *uc, const gnut_head *head, upload_reply *r)
{
	g_auto(gnut_http_request) req = {0};
	gnut_proto_err e = gnut_http_parse_request_line(gnut_head_start_line(head), &req);
	if (e != GNUT_PROTO_OK) {
		r->code = e == GNUT_PROTO_ERR_TOO_LARGE     ? GNUT_HTTP_URI_TOO_LONG
		          : e == GNUT_PROTO_ERR_UNSUPPORTED ? GNUT_HTTP_VERSION_NOT_SUPPORTED
		                                            : GNUT_HTTP_BAD_REQUEST;
		return;
	}
	if (req.method == GNUT_HTTP_OTHER) {
		r->code = refused_method(req.method_name);
		return;
	}
	r->is_head = req.method == GNUT_HTTP_HEAD;
	r->keep_alive = wants_keep_alive(uc, &req, head);
	if (push_proxy_request(uc, req.target, head, r))
		return;
	if ((r->code = resolve_target(uc->u, req.target, &r->file, &r->thex, &r->partial)) != 0)
		return;
	r->peer_ip = peer_ipv4(uc);
	gnut_upload_learn_mesh(uc->u->mesh, r->file, head, r->peer_ip, uc->u->allow_local,
	                       now_us(uc->u), uc->u->log);
	if (r->thex) {
		/* The tree is in memory: no file to open, no slot, no range. */
		r->code = r->file->thex != NULL ? GNUT_HTTP_OK : GNUT_HTTP_NOT_FOUND;
		if (r->file->thex != NULL)
			r->thex_body = gnut_thex_answer_build(r->file->thex);
		return;
	}
	if (r->partial != NULL) {
		if ((r->code = gnut_upload_partial_open(r->partial, &r->fd)) != 0)
			return;
		r->code = gnut_upload_partial_pick_range(head, r->partial, &r->start, &r->len);
	} else {
		if ((r->code = open_indexed(uc->u, r)) != 0)
			return;
		r->code = pick_range(head, r);
	}
	if (is_success(r->code) && !r->is_head && r->len > 0 && !claim_slot(uc, head, r))
		r->code = GNUT_HTTP_SERVICE_UNAVAILABLE;
}

static void reply_clear(upload_reply *r)
{
	g_clear_pointer(&r->file, gnut_shared_file_unref);
	g_clear_pointer(&r->partial, gnut_partial_file_unref);
	g_clear_pointer(&r->thex_body, g_bytes_unref);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void on_readable(gnut_conn *conn, gpointer data)
{
	upload_conn *uc = data;
	if (uc->state != UC_READING)
		return;
	gsize len = 0, head_len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	gnut_proto_err e = gnut_head_scan(in, len, &head_len);
	if (e == GNUT_PROTO_ERR_TRUNCATED)
		return;
	g_autoptr(gnut_head) head = NULL;
	if (e == GNUT_PROTO_OK)
		e = gnut_head_parse(in, head_len, &head);
	g_autofree char *line = log_line(in, len);
	upload_reply r = {.code = GNUT_HTTP_BAD_REQUEST, .fd = -1};
	uc->requests++;
	if (e == GNUT_PROTO_OK) {
		gnut_conn_consume_input(conn, head_len);
		decide(uc, head, &r);
	}
	send_reply(uc, &r, line);
	reply_clear(&r);
}

static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	upload_conn *uc = data;
	g_debug("%s: upload connection closed: %s", gnut_conn_get_peer(conn), reason->message);
	forget_conn(uc);
	gnut_conn_unref(uc->conn);
	g_free(uc);
}

/* Counts a new connection against its address; FALSE when it is over the
 * caps, in all or for the address (a refused one holds no place of its
 * address, but is counted in all until it is closed). */
static gboolean admit_conn(gnut_uploads *u, upload_conn *uc)
{
	uc->keyed = gnut_listener_conn_key(uc->conn, &uc->key);
	gboolean ok = g_hash_table_size(u->conns) < u->max_connections;
	if (ok && uc->keyed) {
		uc->conn_held = gnut_ip_admit_hold(u->conn_holds, &uc->key, u->connections_per_ip);
		if (!uc->conn_held) {
			u->stats.refused_per_ip++;
			ok = FALSE;
		}
	}
	g_hash_table_add(u->conns, uc);
	return ok;
}

void gnut_uploads_take(gnut_uploads *u, gnut_conn *conn)
{
	g_return_if_fail(u != NULL && conn != NULL);
	upload_conn *uc = g_new0(upload_conn, 1);
	uc->u = u;
	uc->conn = conn;
	uc->fd = -1;
	gboolean admitted = admit_conn(u, uc);
	gnut_conn_set_input_cap(conn, INPUT_CAP);
	if (admitted) {
		enter_reading(uc, u->idle_timeout_us);
		return;
	}
	/* Too many connections: refused before the request is even read. */
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	g_autofree char *line = log_line(in, len);
	upload_reply r = {.code = GNUT_HTTP_SERVICE_UNAVAILABLE, .fd = -1};
	send_reply(uc, &r, line);
}

/* The smallest chunk worth a wakeup: a tenth of a second of traffic. */
static guint64 bucket_quantum(guint64 rate)
{
	return MIN(bucket_capacity(rate), MAX(rate / 10, MIN_BURST));
}

static gboolean on_wake(gpointer data)
{
	gnut_uploads *u = data;
	g_clear_pointer(&u->wake, g_source_unref);
	serve_waiting(u);
	return G_SOURCE_REMOVE;
}

/* Arms the timer for when the bucket will cover the head of the line. */
static void arm_wake(gnut_uploads *u, guint64 need)
{
	drop_wake(u);
	gint64 ms = (gnut_rate_limit_wait_us(u->limit, need) + US_PER_MS - 1) / US_PER_MS;
	u->wake = g_timeout_source_new((guint)CLAMP(ms, 1, WAKE_MAX_MS));
	g_source_set_callback(u->wake, on_wake, u, NULL);
	g_source_attach(u->wake, u->ctx);
}

/* Hands chunks to waiting bodies, first come first served, while the
 * bucket covers them. */
static void serve_waiting(gnut_uploads *u)
{
	guint64 rate = gnut_rate_limit_get_rate(u->limit);
	upload_conn *uc;
	while ((uc = g_queue_peek_head(&u->waiting)) != NULL) {
		guint64 n = MIN(uc->left, UNLIMITED_CHUNK);
		if (rate > 0) {
			guint64 need = MIN(uc->left, bucket_quantum(rate));
			guint64 have = gnut_rate_limit_available(u->limit);
			if (have < need) {
				arm_wake(u, need);
				return;
			}
			n = gnut_rate_limit_take(u->limit, MIN(n, MIN(have, LIMITED_CHUNK_MAX)));
		}
		g_queue_pop_head(&u->waiting);
		uc->waiting = FALSE;
		send_chunk(uc, n);
	}
	drop_wake(u);
}

void gnut_uploads_set_rate_limit(gnut_uploads *u, guint64 bytes_per_s)
{
	g_return_if_fail(u != NULL);
	guint64 rate = MIN(bytes_per_s, GNUT_UPLOADS_MAX_RATE);
	gnut_rate_limit_set_rate(u->limit, rate, bucket_capacity(rate));
	serve_waiting(u);
}

/* Output that has not moved for send_timeout: the client stopped reading.
 * A body held back by the rate limiter is not stalled. */
static gboolean stalled(upload_conn *uc, gint64 now)
{
	if (uc->waiting) {
		uc->progress_us = now;
		return FALSE;
	}
	gnut_conn_stats st;
	gnut_conn_get_stats(uc->conn, &st);
	if (st.bytes_out != uc->last_out) {
		uc->last_out = st.bytes_out;
		uc->progress_us = now;
		return FALSE;
	}
	return now - uc->progress_us >= uc->u->send_timeout_us;
}

void gnut_uploads_tick(gnut_uploads *u, gint64 now)
{
	g_return_if_fail(u != NULL);
	if (!g_queue_is_empty(&u->waiting))
		serve_waiting(u);
	if (u->queue != NULL)
		gnut_upload_queue_expire(u->queue);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, u->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		upload_conn *uc = key;
		const char *why = NULL;
		if (uc->state == UC_READING && now >= uc->deadline_us)
			why = "no request in time";
		else if (uc->state != UC_READING && stalled(uc, now))
			why = "output stalled";
		if (why == NULL || gnut_conn_is_closed(uc->conn))
			continue;
		g_debug("%s: upload connection dropped: %s", gnut_conn_get_peer(uc->conn), why);
		/* The closed callback comes later, outside this loop. */
		g_autoptr(GError) err = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, why);
		gnut_conn_close(uc->conn, err);
	}
}

void gnut_uploads_get_stats(const gnut_uploads *u, gnut_uploads_stats *out)
{
	g_return_if_fail(u != NULL && out != NULL);
	*out = u->stats;
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, u->conns);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const upload_conn *uc = key;
		if (uc->state != UC_SENDING)
			continue;
		gnut_conn_stats st;
		gnut_conn_get_stats(uc->conn, &st);
		out->bytes_up += st.payload_out - uc->body_base;
	}
	out->connections = g_hash_table_size(u->conns);
	out->active = u->slots_used;
	out->slots = u->slots;
	if (u->queue != NULL) {
		gnut_upload_queue_stats qs;
		gnut_upload_queue_get_stats(u->queue, &qs);
		out->queued = qs.queued;
		out->queue_served = qs.served;
		out->queue_expired = qs.expired;
		out->queue_early = qs.early;
	}
}
