/* test-download.c: downloads against a real HTTP server on loopback,
 * written here with a GThreadedSocketService (a GSocketService that runs
 * each connection in a thread with blocking I/O). It serves a 3 MiB buffer
 * and caps each reply at 512 KiB like the reference servent, keeps the
 * connection alive, and can misbehave: answer 503 first, 404 to the URN
 * form, flip a byte, or cut the connection mid-body.
 *
 * Covered: a whole download over one kept-alive connection, 503 then
 * success, SHA-1 mismatch, a cut connection finished by the next source,
 * the /get/ fallback, back-off and failure when no source works (driven by
 * a manual clock), the rate limit (a manual clock: no byte beyond the
 * budget), resume after destroying the manager mid-download, cancel,
 * argument checks, two files of one name, the state file, and downloads
 * added with no source: waiting until a source comes, failing when none
 * comes within the wait, and waiting again after a restart (manual clock).
 * Firewalled sources: the push handler asked with the source's GUID and
 * index, the GIV connection taken over (the test plays the firewalled
 * servent: a thread that connects to a loopback listener of the test,
 * says GIV and serves the file), a new push for each new attempt, the
 * push wait expiring on the manual clock, no push handler, GIVs nobody
 * waits for, and the flag in the state file.
 *
 * Waits iterate the default main context until a condition holds or a
 * deadline passes; the deadline only turns a hang into a failure. */
#include "gnut/digest.h"
#include "core/download-private.h"
#include "gnut/download.h"
#include "gnut/head.h"
#include "gnut/http-msg.h"
#include "gnut/urn.h"
#include "unit.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define DEADLINE_MS 20000
#define FILE_SIZE   (3 * 1024 * 1024)
#define REPLY_CAP   (512 * 1024)
#define LIMIT       100000 /* bytes/s in the rate-limit tests: burst 12500 */
#define BURST       12500

/* ---- the test server ---- */

typedef struct {
	GSocketService *service;
	guint16 port;
	GBytes *file;
	uint8_t sha1[20];
	/* behaviour, set before the first request */
	guint busy_first;     /* answer 503 to this many first requests */
	gboolean urn_missing; /* 404 to /uri-res/ */
	gboolean get_missing; /* 404 to /get/ */
	gssize corrupt_at;    /* serve this byte flipped (-1: none) */
	gssize cut_after;     /* close after this many body bytes in all (-1: never) */
	gboolean close_each;  /* "Connection: close" on every reply */
	gboolean stall;       /* send the head, then nothing */
	/* what happened, under lock */
	GMutex lock;
	guint busy_sent;
	guint64 body_sent;
	guint connections;
	GPtrArray *targets, *ranges, *agents, *hosts;
	gint running; /* handler threads */
} test_server;

static GBytes *make_file(gsize size, guint32 seed)
{
	guint8 *buf = g_malloc(size);
	guint32 x = seed;
	for (gsize i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (guint8)(x >> 16);
	}
	return g_bytes_new_take(buf, size);
}

static gboolean write_text(GOutputStream *out, const char *text)
{
	return g_output_stream_write_all(out, text, strlen(text), NULL, NULL, NULL);
}

/* Reads one request head (blocking); NULL at end of stream or on error. */
static gnut_head *read_head(GInputStream *in)
{
	guint8 buf[GNUT_HEAD_MAX_SIZE];
	gsize len = 0;
	while (len < sizeof buf) {
		gssize n = g_input_stream_read(in, buf + len, 1, NULL, NULL);
		if (n <= 0)
			return NULL;
		len++;
		size_t head_len = 0;
		gnut_proto_err e = gnut_head_scan(buf, len, &head_len);
		if (e == GNUT_PROTO_ERR_TRUNCATED)
			continue;
		gnut_head *h = NULL;
		if (e != GNUT_PROTO_OK || gnut_head_parse(buf, head_len, &h) != GNUT_PROTO_OK)
			return NULL;
		return h;
	}
	return NULL;
}

static void record(test_server *s, GPtrArray *list, const char *value)
{
	g_mutex_lock(&s->lock);
	g_ptr_array_add(list, g_strdup(value != NULL ? value : ""));
	g_mutex_unlock(&s->lock);
}

/* Sends [start, start+len) of the file, flipped byte and cut included.
 * FALSE when the connection is over. */
static gboolean send_body(test_server *s, GOutputStream *out, gsize start, gsize len)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(s->file, &size);
	guint8 chunk[16384];
	for (gsize off = start; off < start + len;) {
		gsize n = MIN(sizeof chunk, start + len - off);
		memcpy(chunk, data + off, n);
		if (s->corrupt_at >= 0 && (gsize)s->corrupt_at >= off &&
		    (gsize)s->corrupt_at < off + n)
			chunk[s->corrupt_at - (gssize)off] ^= 0xFF;
		g_mutex_lock(&s->lock);
		gboolean cut = FALSE;
		if (s->cut_after >= 0 && s->body_sent + n >= (guint64)s->cut_after) {
			n = (gsize)((guint64)s->cut_after -
			            MIN(s->body_sent, (guint64)s->cut_after));
			cut = TRUE;
		}
		s->body_sent += n;
		g_mutex_unlock(&s->lock);
		if (n > 0 && !g_output_stream_write_all(out, chunk, n, NULL, NULL, NULL))
			return FALSE;
		if (cut)
			return FALSE;
		off += n;
	}
	return TRUE;
}

/* Answers one request; FALSE when the connection is over. */
static gboolean serve_request(test_server *s, GOutputStream *out, const gnut_head *h)
{
	g_auto(gnut_http_request) req = {0};
	if (gnut_http_parse_request_line(gnut_head_start_line(h), &req) != GNUT_PROTO_OK)
		return FALSE;
	record(s, s->targets, req.target);
	record(s, s->ranges, gnut_head_get(h, "Range"));
	record(s, s->agents, gnut_head_get(h, "User-Agent"));
	record(s, s->hosts, gnut_head_get(h, "Host"));
	gboolean is_get = g_str_has_prefix(req.target, "/get/");
	g_mutex_lock(&s->lock);
	gboolean busy = s->busy_sent < s->busy_first;
	s->busy_sent += busy;
	g_mutex_unlock(&s->lock);
	if (busy)
		return write_text(out, "HTTP/1.1 503 Busy\r\nServer: test\r\nRetry-After: 1\r\n"
		                       "Content-Length: 0\r\n\r\n");
	if ((is_get && s->get_missing) || (!is_get && s->urn_missing))
		return write_text(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");

	gsize size = g_bytes_get_size(s->file);
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	const char *range = gnut_head_get(h, "Range");
	guint64 start = 0, end = size - 1;
	if (range != NULL) {
		if (gnut_http_parse_range(range, size, r, &n) != GNUT_HTTP_RANGE_OK)
			return write_text(out, "HTTP/1.1 416 Range Not Satisfiable\r\n"
			                       "Content-Length: 0\r\n\r\n");
		start = r[0].start;
		end = r[0].end;
	}
	end = MIN(end, start + REPLY_CAP - 1);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	g_autofree char *head = g_strdup_printf(
	    "HTTP/1.1 206 Partial Content\r\nServer: test\r\nX-Gnutella-Content-URN: %s\r\n"
	    "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GSIZE_FORMAT
	    "\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n%s\r\n",
	    urn, start, end, size, end - start + 1, s->close_each ? "Connection: close\r\n" : "");
	if (!write_text(out, head) || s->stall)
		return FALSE;
	return send_body(s, out, (gsize)start, (gsize)(end - start + 1)) && !s->close_each;
}

/* Serves requests on conn until it is over (blocking). */
static void serve_conn(test_server *s, GSocketConnection *conn)
{
	g_mutex_lock(&s->lock);
	s->connections++;
	g_mutex_unlock(&s->lock);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), 20);
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	for (;;) {
		g_autoptr(gnut_head) h = read_head(in);
		if (h == NULL || !serve_request(s, out, h))
			break;
	}
	guint8 sink[256];
	while (s->stall && g_input_stream_read(in, sink, sizeof sink, NULL, NULL) > 0)
		continue; /* until the client gives up */
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
}

static gboolean on_run(GThreadedSocketService *svc, GSocketConnection *conn, GObject *source,
                       gpointer data)
{
	test_server *s = data;
	g_atomic_int_inc(&s->running);
	serve_conn(s, conn);
	g_atomic_int_dec_and_test(&s->running);
	return TRUE;
}

static test_server *server_new(guint32 seed)
{
	test_server *s = g_new0(test_server, 1);
	s->file = make_file(FILE_SIZE, seed);
	gnut_sha1_buffer(g_bytes_get_data(s->file, NULL), FILE_SIZE, s->sha1);
	s->corrupt_at = -1;
	s->cut_after = -1;
	g_mutex_init(&s->lock);
	s->targets = g_ptr_array_new_with_free_func(g_free);
	s->ranges = g_ptr_array_new_with_free_func(g_free);
	s->agents = g_ptr_array_new_with_free_func(g_free);
	s->hosts = g_ptr_array_new_with_free_func(g_free);
	s->service = g_threaded_socket_service_new(8);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) err = NULL;
	gboolean ok =
	    g_socket_listener_add_address(G_SOCKET_LISTENER(s->service), addr, G_SOCKET_TYPE_STREAM,
	                                  G_SOCKET_PROTOCOL_TCP, NULL, &bound, &err);
	g_assert_true(ok);
	s->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_signal_connect(s->service, "run", G_CALLBACK(on_run), s);
	g_socket_service_start(s->service);
	return s;
}

static void server_free(test_server *s)
{
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	gint64 until = g_get_monotonic_time() + DEADLINE_MS * 1000;
	while (g_atomic_int_get(&s->running) > 0 && g_get_monotonic_time() < until) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	g_object_unref(s->service);
	g_bytes_unref(s->file);
	g_ptr_array_unref(s->targets);
	g_ptr_array_unref(s->ranges);
	g_ptr_array_unref(s->agents);
	g_ptr_array_unref(s->hosts);
	g_mutex_clear(&s->lock);
	g_free(s);
}

static char *server_get(test_server *s, GPtrArray *list, guint i)
{
	g_mutex_lock(&s->lock);
	char *v = i < list->len ? g_strdup(g_ptr_array_index(list, i)) : NULL;
	g_mutex_unlock(&s->lock);
	return v;
}

static guint server_count(test_server *s, GPtrArray *list)
{
	g_mutex_lock(&s->lock);
	guint n = list->len;
	g_mutex_unlock(&s->lock);
	return n;
}

/* ---- waiting ---- */

static gboolean deadline_hit(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, DEADLINE_MS);
}

/* Lets the loop run for ms: a chance for something that must not happen
 * to happen, or for cancelled operations to wind down. */
static void spin(guint ms)
{
	gboolean expired = FALSE;
	GSource *t = g_timeout_source_new(ms);
	g_source_set_callback(t, deadline_hit, &expired, NULL);
	g_source_attach(t, NULL);
	while (!expired)
		g_main_context_iteration(NULL, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
}

typedef struct {
	gnut_downloads *m;
	guint64 id;
	guint64 min_done;
	guint connects;
	GArray *states; /* gnut_download_state, as notified */
} watch;

static void on_notify(gnut_downloads *m, guint64 id, gnut_download_state state, gpointer data)
{
	watch *w = data;
	if (id != w->id)
		return;
	g_array_append_val(w->states, state);
	w->connects += state == GNUT_DOWNLOAD_CONNECTING;
}

static gnut_download_status status_of(watch *w)
{
	gnut_download_status st = {0};
	gnut_downloads_get(w->m, w->id, &st);
	return st;
}

static gboolean is_final(gpointer data)
{
	gnut_download_status st = status_of(data);
	gboolean r = gnut_download_state_is_final(st.state);
	gnut_download_status_clear(&st);
	return r;
}

static gboolean has_min_done(gpointer data)
{
	watch *w = data;
	gnut_download_status st = status_of(w);
	gboolean r = st.done >= w->min_done;
	gnut_download_status_clear(&st);
	return r;
}

static gboolean waiting_again(gpointer data)
{
	watch *w = data;
	gnut_download_status st = status_of(w);
	gboolean r = st.state == GNUT_DOWNLOAD_FAILED ||
	             (st.state == GNUT_DOWNLOAD_QUEUED && w->connects >= w->min_done);
	gnut_download_status_clear(&st);
	return r;
}

/* ---- fixtures ---- */

typedef struct {
	char *top;
	char *dl_dir;
	gnut_clock *clock;
	guint source_wait_s; /* 0: the manager's default */
	guint push_wait_s;   /* 0: the manager's default */
	gnut_downloads *m;
	watch w;
} fixture;

static gnut_downloads *manager_new(fixture *fx, guint64 limit)
{
	gnut_downloads_config cfg = {
	    .data_dir = fx->top,
	    .download_dir = fx->dl_dir,
	    .download_limit = limit,
	    .connect_timeout_s = 5,
	    .idle_timeout_s = 10,
	    .source_wait_s = fx->source_wait_s,
	    .push_wait_s = fx->push_wait_s,
	};
	g_autoptr(GError) err = NULL;
	gnut_downloads *m = gnut_downloads_new(&cfg, fx->clock, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	gnut_downloads_set_notify(m, on_notify, &fx->w);
	fx->w.m = m;
	return m;
}

static void fixture_init(fixture *fx, gboolean manual_clock, guint64 limit)
{
	memset(fx, 0, sizeof *fx);
	fx->top = gnut_unit_mkdtemp();
	fx->dl_dir = g_build_filename(fx->top, "done", NULL);
	fx->clock = manual_clock ? gnut_clock_manual_new(1000000) : gnut_clock_system();
	fx->w.states = g_array_new(FALSE, FALSE, sizeof(gnut_download_state));
	fx->m = manager_new(fx, limit);
}

static void fixture_clear(fixture *fx)
{
	gnut_downloads_free(fx->m);
	spin(100); /* cancelled connects report back */
	gnut_clock_free(fx->clock);
	g_array_unref(fx->w.states);
	gnut_unit_rmtree(fx->top);
	g_free(fx->top);
	g_free(fx->dl_dir);
}

static gnut_download_source source_at(const test_server *s)
{
	gnut_download_source src = {
	    .host = "127.0.0.1", .port = s->port, .index = 7, .name = "a b+c.bin"};
	return src;
}

static guint64 add_one(fixture *fx, test_server *s, const char *name)
{
	gnut_download_source src = source_at(s);
	g_autoptr(GError) err = NULL;
	guint64 id = gnut_downloads_add(fx->m, s->sha1, name, FILE_SIZE, NULL, &src, 1, &err);
	CU_ASSERT_NOT_EQUAL(id, 0);
	CU_ASSERT_PTR_NULL(err);
	fx->w.id = id;
	return id;
}

static gboolean file_equals(const char *path, GBytes *want)
{
	g_autofree char *got = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &got, &len, NULL))
		return FALSE;
	gsize wlen = 0;
	const void *w = g_bytes_get_data(want, &wlen);
	return len == wlen && memcmp(got, w, len) == 0;
}

static guint count_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	if (d == NULL)
		return 0;
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	return n;
}

static char *state_file_text(const fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->top, "downloads.xml", NULL);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, NULL);
	return text;
}

static guint count_state(const watch *w, gnut_download_state state)
{
	guint n = 0;
	for (guint i = 0; i < w->states->len; i++)
		n += g_array_index(w->states, gnut_download_state, i) == state;
	return n;
}

/* ---- the tests ---- */

static void test_whole_file_keep_alive(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(1);
	guint64 id = add_one(&fx, s, "../evil/\x01name.bin");
	g_autofree char *saved = state_file_text(&fx);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);

	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.id, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(st.done, FILE_SIZE);
	CU_ASSERT_STRING_EQUAL(st.urn, urn);
	CU_ASSERT_STRING_EQUAL(st.name, "_evil__name.bin");
	g_autofree char *want_path = g_build_filename(fx.dl_dir, "_evil__name.bin", NULL);
	CU_ASSERT_STRING_EQUAL(st.path, want_path);
	CU_ASSERT_TRUE(file_equals(want_path, s->file));
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(gnut_downloads_bytes_in(fx.m), FILE_SIZE);

	/* six 512 KiB replies on one connection, each request asking 1 MiB
	 * from the first missing byte */
	CU_ASSERT_EQUAL(s->connections, 1);
	CU_ASSERT_EQUAL(server_count(s, s->ranges), 6);
	g_autofree char *r0 = server_get(s, s->ranges, 0);
	g_autofree char *r1 = server_get(s, s->ranges, 1);
	g_autofree char *r5 = server_get(s, s->ranges, 5);
	CU_ASSERT_STRING_EQUAL(r0, "bytes=0-1048575");
	CU_ASSERT_STRING_EQUAL(r1, "bytes=524288-1572863");
	CU_ASSERT_STRING_EQUAL(r5, "bytes=2621440-3145727");
	g_autofree char *t0 = server_get(s, s->targets, 0);
	g_autofree char *want_target = g_strconcat("/uri-res/N2R?", urn, NULL);
	CU_ASSERT_STRING_EQUAL(t0, want_target);
	g_autofree char *ua = server_get(s, s->agents, 0);
	CU_ASSERT_TRUE(g_str_has_prefix(ua, "gnutd/"));
	g_autofree char *host = server_get(s, s->hosts, 0);
	g_autofree char *want_host = g_strdup_printf("127.0.0.1:%u", s->port);
	CU_ASSERT_STRING_EQUAL(host, want_host);

	/* connecting, downloading, verifying, complete; nothing left behind */
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 0),
	                GNUT_DOWNLOAD_CONNECTING);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1),
	                GNUT_DOWNLOAD_DOWNLOADING);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 2),
	                GNUT_DOWNLOAD_VERIFYING);
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(count_entries(incomplete), 0);
	g_autofree char *after = state_file_text(&fx);
	CU_ASSERT_PTR_NULL(after != NULL ? strstr(after, urn) : "missing");
	fixture_clear(&fx);
	server_free(s);
}

static void test_busy_then_works(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(2);
	s->busy_first = 1;
	add_one(&fx, s, "busy.bin");
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(s->busy_sent, 1);
	CU_ASSERT_EQUAL(server_count(s, s->ranges), 7);
	/* back to the queue after the 503, then a second connection */
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1), GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(fx.w.connects, 2);
	CU_ASSERT_EQUAL(s->connections, 2);
	fixture_clear(&fx);
	server_free(s);
}

static void test_corrupt_byte_fails(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(3);
	s->corrupt_at = 1000000;
	add_one(&fx, s, "corrupt.bin");
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "SHA-1 mismatch") : NULL);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_VERIFYING), 1);
	/* nothing corrupt kept anywhere */
	CU_ASSERT_EQUAL(count_entries(fx.dl_dir), 0);
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(count_entries(incomplete), 0);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(gnut_downloads_cancel(fx.m, fx.w.id, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	fixture_clear(&fx);
	server_free(s);
}

static void test_cut_connection_next_source(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *a = server_new(4);
	test_server *b = server_new(4);
	a->cut_after = 300000;
	gnut_download_source src[2] = {source_at(a), source_at(b)};
	g_autoptr(GError) err = NULL;
	fx.w.id = gnut_downloads_add(fx.m, a->sha1, "cut.bin", FILE_SIZE, NULL, src, 2, &err);
	CU_ASSERT_NOT_EQUAL(fx.w.id, 0);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, a->file));
	CU_ASSERT_EQUAL(st.sources, 2);
	gnut_download_status_clear(&st);
	/* b went on from the first byte a did not send */
	CU_ASSERT_EQUAL(server_count(a, a->ranges), 1);
	g_autofree char *b0 = server_get(b, b->ranges, 0);
	CU_ASSERT_STRING_EQUAL(b0, "bytes=300000-1348575");
	CU_ASSERT_EQUAL(a->body_sent, 300000);
	CU_ASSERT_EQUAL(b->body_sent, FILE_SIZE - 300000);
	fixture_clear(&fx);
	server_free(a);
	server_free(b);
}

static void test_get_fallback(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(5);
	s->urn_missing = TRUE;
	add_one(&fx, s, "fallback.bin");
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	gnut_download_status_clear(&st);
	g_autofree char *t0 = server_get(s, s->targets, 0);
	g_autofree char *t1 = server_get(s, s->targets, 1);
	CU_ASSERT_TRUE(g_str_has_prefix(t0, "/uri-res/N2R?urn:sha1:"));
	CU_ASSERT_STRING_EQUAL(t1, "/get/7/a%20b%2Bc.bin");
	fixture_clear(&fx);
	server_free(s);
}

static void test_not_found_anywhere_fails(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(6);
	s->urn_missing = TRUE;
	s->get_missing = TRUE;
	add_one(&fx, s, "missing.bin");
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "every source failed") : NULL);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "not found") : NULL);
	CU_ASSERT_EQUAL(st.sources, 0);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(server_count(s, s->targets), 2);
	fixture_clear(&fx);
	server_free(s);
}

/* A port nobody listens on: bound, then closed. */
static guint16 dead_port(void)
{
	g_autoptr(GSocket) sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_socket_bind(sock, addr, FALSE, NULL);
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, NULL);
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_socket_close(sock, NULL);
	return port;
}

static void test_back_off_then_fail(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	gnut_download_source src = {.host = "127.0.0.1", .port = dead_port()};
	uint8_t sha1[20] = {1, 2, 3};
	fx.w.id = gnut_downloads_add(fx.m, sha1, "x", 100, NULL, &src, 1, NULL);
	/* each refusal sends the download back to the queue until the clock
	 * passes the back-off; the fourth gives the source up */
	for (guint k = 1; k <= 8; k++) {
		fx.w.min_done = k;
		CU_ASSERT_TRUE(run_until(waiting_again, &fx.w));
		if (is_final(&fx.w))
			break;
		CU_ASSERT_EQUAL(fx.w.connects, k);
		gnut_clock_manual_advance(fx.clock, 601 * G_USEC_PER_SEC);
	}
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "every source failed") : NULL);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(fx.w.connects, 4);
	fixture_clear(&fx);
}

static void test_rate_limit_and_resume(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, LIMIT);
	test_server *s = server_new(7);
	guint64 id = add_one(&fx, s, "resume.bin");

	/* the manual clock stands still: one burst, not a byte more */
	fx.w.min_done = BURST;
	CU_ASSERT_TRUE(run_until(has_min_done, &fx.w));
	spin(200);
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.done, BURST);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_DOWNLOADING);
	gnut_download_status_clear(&st);
	/* 100 ms more: LIMIT / 10 bytes more */
	gnut_clock_manual_advance(fx.clock, 100000);
	fx.w.min_done = BURST + LIMIT / 10;
	CU_ASSERT_TRUE(run_until(has_min_done, &fx.w));
	spin(200);
	st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.done, BURST + LIMIT / 10);
	gnut_download_status_clear(&st);

	/* destroyed mid-download; a new manager on the same data dir goes on */
	gnut_downloads_free(fx.m);
	spin(100);
	g_autofree char *saved = state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "end=\"22500\"") : NULL);
	guint asked_before = server_count(s, s->ranges);
	fx.m = manager_new(&fx, 0);
	GPtrArray *list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL(list->len, 1);
	if (list->len == 1) {
		const gnut_download_status *ls = g_ptr_array_index(list, 0);
		CU_ASSERT_EQUAL(ls->id, id);
		CU_ASSERT_EQUAL(ls->done, BURST + LIMIT / 10);
		CU_ASSERT_EQUAL(ls->state, GNUT_DOWNLOAD_QUEUED);
		CU_ASSERT_STRING_EQUAL(ls->name, "resume.bin");
	}
	g_ptr_array_unref(list);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	g_autofree char *resumed = server_get(s, s->ranges, asked_before);
	CU_ASSERT_STRING_EQUAL(resumed, "bytes=22500-1071075");
	/* a new download gets a fresh id */
	gnut_download_source src = source_at(s);
	uint8_t other[20] = {9};
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, other, "n", 1, NULL, &src, 1, NULL), id + 1);
	fixture_clear(&fx);
	server_free(s);
}

static void test_cancel(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, LIMIT);
	test_server *s = server_new(8);
	guint64 id = add_one(&fx, s, "cancel.bin");
	fx.w.min_done = BURST;
	CU_ASSERT_TRUE(run_until(has_min_done, &fx.w));
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(count_entries(incomplete), 1);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_downloads_cancel(fx.m, id, &err));
	CU_ASSERT_PTR_NULL(err);
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_CANCELLED);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(count_entries(incomplete), 0);
	g_autofree char *saved = state_file_text(&fx);
	CU_ASSERT_PTR_NULL(saved != NULL ? strstr(saved, "cancel.bin") : "missing");
	CU_ASSERT_FALSE(gnut_downloads_cancel(fx.m, id, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_cancel(fx.m, 999, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND));
	/* the cancelled download makes no more progress, and is not notified */
	spin(100);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_CANCELLED), 0);
	CU_ASSERT_EQUAL(count_entries(incomplete), 0);
	fixture_clear(&fx);
	server_free(s);
}

static void check_add_fails(fixture *fx, const gnut_download_source *src, guint n, guint64 size,
                            const char *to_dir)
{
	uint8_t sha1[20] = {7};
	g_autoptr(GError) err = NULL;
	CU_ASSERT_EQUAL(gnut_downloads_add(fx->m, sha1, "n", size, to_dir, src, n, &err), 0);
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
}

static void test_add_checks_and_merge(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	gnut_download_source good = {.host = "127.0.0.1", .port = 9};
	gnut_download_source bad_port = {.host = "127.0.0.1", .port = 0};
	gnut_download_source bad_host = {.host = "a b", .port = 1};
	gnut_download_source bad_name = {.host = "h", .port = 1, .name = "x\ny", .get_only = TRUE};
	gnut_download_source get_no_name = {.host = "h", .port = 1, .get_only = TRUE};
	check_add_fails(&fx, &bad_port, 1, 10, NULL);
	check_add_fails(&fx, &bad_host, 1, 10, NULL);
	check_add_fails(&fx, &bad_name, 1, 10, NULL);
	check_add_fails(&fx, &get_no_name, 1, 10, NULL);
	check_add_fails(&fx, &good, 1, GNUT_DOWNLOAD_MAX_SIZE + 1, NULL);
	check_add_fails(&fx, &good, 1, 10, "relative/dir");

	/* a name that cannot be used costs the /get/ form, not the source; an
	 * unusable source is skipped when another one works */
	gnut_download_source odd_name = {.host = "127.0.0.1", .port = 8, .name = "x\ny"};
	gnut_download_source two[2] = {bad_port, odd_name};
	uint8_t sha_odd[20] = {43};
	guint64 odd = gnut_downloads_add(fx.m, sha_odd, "o", 10, NULL, two, 2, NULL);
	CU_ASSERT_NOT_EQUAL(odd, 0);
	gnut_download_status ost = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, odd, &ost));
	CU_ASSERT_EQUAL(ost.sources, 1);
	gnut_download_status_clear(&ost);

	/* no source at all is accepted (the download waits for one), with or
	 * without an array; the arguments are still checked */
	uint8_t sha_none[20] = {44};
	g_autoptr(GError) none_err = NULL;
	guint64 none = gnut_downloads_add(fx.m, sha_none, "w", 10, NULL, &good, 0, &none_err);
	CU_ASSERT_NOT_EQUAL(none, 0);
	CU_ASSERT_PTR_NULL(none_err);
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha_none, "w", 10, NULL, NULL, 0, NULL), none);
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, none, &ost));
	CU_ASSERT_EQUAL(ost.sources, 0);
	CU_ASSERT_EQUAL(ost.state, GNUT_DOWNLOAD_QUEUED);
	gnut_download_status_clear(&ost);
	check_add_fails(&fx, NULL, 0, GNUT_DOWNLOAD_MAX_SIZE + 1, NULL);
	check_add_fails(&fx, NULL, 0, 10, "relative/dir");

	/* one SHA-1, one download: sources merge, a known host:port once */
	uint8_t sha1[20] = {42};
	gnut_download_source v6 = {.host = "::1", .port = 9};
	guint64 id = gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &good, 1, NULL);
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &good, 1, NULL), id);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &v6, NULL));
	gnut_download_status st = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, id, &st));
	CU_ASSERT_EQUAL(st.sources, 2);
	CU_ASSERT_STRING_EQUAL(gnut_download_state_name(st.state), "queued");
	gnut_download_status_clear(&st);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha1, "m", 11, NULL, &good, 1, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_add_source(fx.m, 12345, &good, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND));
	CU_ASSERT_FALSE(gnut_downloads_get(fx.m, 12345, &st));
	CU_ASSERT_STRING_EQUAL(gnut_download_state_name(GNUT_DOWNLOAD_CANCELLED), "cancelled");
	fixture_clear(&fx);
}

static void test_empty_file(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	uint8_t sha1[20];
	gnut_sha1_buffer("", 0, sha1);
	g_autofree char *to = g_build_filename(fx.top, "elsewhere", NULL);
	gnut_download_source src = {.host = "127.0.0.1", .port = dead_port()};
	fx.w.id = gnut_downloads_add(fx.m, sha1, "empty.txt", 0, to, &src, 1, NULL);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	g_autofree char *want = g_build_filename(to, "empty.txt", NULL);
	CU_ASSERT_STRING_EQUAL(st.path, want);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(fx.w.connects, 0);
	fixture_clear(&fx);
}

static void test_same_name_twice(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *a = server_new(10);
	test_server *b = server_new(11);
	guint64 ida = add_one(&fx, a, "same.bin");
	guint64 idb = add_one(&fx, b, "same.bin");
	CU_ASSERT_NOT_EQUAL(ida, idb);
	fx.w.id = ida;
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	fx.w.id = idb;
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	g_autoptr(GPtrArray) list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL_FATAL(list->len, 2);
	const gnut_download_status *sa = g_ptr_array_index(list, 0);
	const gnut_download_status *sb = g_ptr_array_index(list, 1);
	CU_ASSERT_EQUAL(sa->state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(sb->state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_STRING_NOT_EQUAL(sa->path, sb->path);
	CU_ASSERT_TRUE(file_equals(sa->path, a->file));
	CU_ASSERT_TRUE(file_equals(sb->path, b->file));
	CU_ASSERT_EQUAL(count_entries(fx.dl_dir), 2);
	fixture_clear(&fx);
	server_free(a);
	server_free(b);
}

static void test_store_round_trip(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 77;
	memset(r->sha1, 0xAB, 20);
	r->name = g_strdup("caf\xc3\xa9 & <co>.bin");
	r->size = 5000;
	r->to_dir = g_strdup("/tmp/x");
	gnut_download_range rg[2] = {{0, 100}, {200, 5000}};
	g_array_append_vals(r->ranges, rg, 2);
	gnut_download_source src = {.host = g_strdup("10.0.0.1"),
	                            .port = 6346,
	                            .index = 3,
	                            .name = g_strdup("a\"b.bin"),
	                            .get_only = TRUE,
	                            .has_guid = TRUE};
	memset(src.guid.bytes, 0x5A, 16);
	g_array_append_val(r->sources, src);
	g_ptr_array_add(recs, r);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_download_store_save(path, recs, &err));

	g_autoptr(GPtrArray) back = gnut_download_store_load(path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL(b->id, 77);
	CU_ASSERT_EQUAL(memcmp(b->sha1, r->sha1, 20), 0);
	CU_ASSERT_STRING_EQUAL(b->name, r->name);
	CU_ASSERT_EQUAL(b->size, 5000);
	CU_ASSERT_STRING_EQUAL(b->to_dir, "/tmp/x");
	CU_ASSERT_EQUAL_FATAL(b->ranges->len, 2);
	CU_ASSERT_EQUAL(g_array_index(b->ranges, gnut_download_range, 1).start, 200);
	CU_ASSERT_EQUAL(g_array_index(b->ranges, gnut_download_range, 1).end, 5000);
	CU_ASSERT_EQUAL_FATAL(b->sources->len, 1);
	const gnut_download_source *bs = &g_array_index(b->sources, gnut_download_source, 0);
	CU_ASSERT_STRING_EQUAL(bs->host, "10.0.0.1");
	CU_ASSERT_EQUAL(bs->port, 6346);
	CU_ASSERT_EQUAL(bs->index, 3);
	CU_ASSERT_STRING_EQUAL(bs->name, "a\"b.bin");
	CU_ASSERT_TRUE(bs->get_only);
	CU_ASSERT_TRUE(bs->has_guid);
	CU_ASSERT_EQUAL(memcmp(bs->guid.bytes, src.guid.bytes, 16), 0);

	/* missing file: nothing to resume */
	g_autofree char *none = g_build_filename(dir, "none.xml", NULL);
	g_autoptr(GPtrArray) empty = gnut_download_store_load(none, &err);
	CU_ASSERT_PTR_NOT_NULL(empty);
	CU_ASSERT_EQUAL(empty != NULL ? empty->len : 99, 0);
	gnut_unit_rmtree(dir);
}

static void check_load_fails(const char *dir, const char *text)
{
	g_autofree char *path = g_build_filename(dir, "bad.xml", NULL);
	g_file_set_contents(path, text, -1, NULL);
	g_autoptr(GError) err = NULL;
	GPtrArray *got = gnut_download_store_load(path, &err);
	CU_ASSERT_PTR_NULL(got);
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE));
	if (got != NULL)
		g_ptr_array_unref(got);
}

#define URN_A "urn:sha1:VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV"

static void test_store_rejects(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	check_load_fails(dir, "not xml at all <");
	check_load_fails(dir, "<other version=\"1\"/>");
	check_load_fails(dir, "<gnutd-downloads version=\"2\"/>");
	check_load_fails(dir, "<!DOCTYPE gnutd-downloads [<!ENTITY a \"aaaa\">]>"
	                      "<gnutd-downloads version=\"1\"/>");
	/* records that do not make sense are skipped, the others kept */
	const char *mixed =
	    "<gnutd-downloads version=\"1\">"
	    "<download id=\"1\" urn=\"" URN_A "\" size=\"10\" name=\"ok\">"
	    "<range start=\"0\" end=\"5\"/><source host=\"1.2.3.4\" port=\"1\" index=\"0\"/>"
	    "</download>"
	    "<download id=\"2\" urn=\"" URN_A "\" size=\"10\" name=\"past end\">"
	    "<range start=\"0\" end=\"11\"/><source host=\"1.2.3.4\" port=\"1\" index=\"0\"/>"
	    "</download>"
	    "<download id=\"3\" urn=\"urn:sha1:short\" size=\"10\" name=\"bad urn\">"
	    "<source host=\"1.2.3.4\" port=\"1\" index=\"0\"/></download>"
	    "<download id=\"4\" urn=\"" URN_A "\" size=\"10\" name=\"no source\">"
	    "<source host=\"1.2.3.4\" port=\"0\" index=\"0\"/></download>"
	    "<download id=\"5\" urn=\"" URN_A "\" size=\"10\" name=\"relative\" to=\"x\">"
	    "<source host=\"1.2.3.4\" port=\"1\" index=\"0\"/></download>"
	    "</gnutd-downloads>";
	g_autofree char *path = g_build_filename(dir, "mixed.xml", NULL);
	g_file_set_contents(path, mixed, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->len, 1);
	if (got->len == 1)
		CU_ASSERT_EQUAL(((gnut_download_record *)g_ptr_array_index(got, 0))->id, 1);

	/* a manager facing a damaged file starts empty and keeps it aside */
	g_autofree char *state = g_build_filename(dir, "downloads.xml", NULL);
	g_file_set_contents(state, "<broken", -1, NULL);
	gnut_downloads_config cfg = {.data_dir = dir};
	gnut_downloads *m = gnut_downloads_new(&cfg, gnut_clock_system(), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	g_autoptr(GPtrArray) list = gnut_downloads_list(m);
	CU_ASSERT_EQUAL(list->len, 0);
	g_autofree char *aside = g_build_filename(dir, "downloads.xml.bad", NULL);
	CU_ASSERT_TRUE(g_file_test(aside, G_FILE_TEST_EXISTS));
	gnut_downloads_free(m);
	spin(50);
	gnut_unit_rmtree(dir);
}

static void test_connection_close_each_reply(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(12);
	s->close_each = TRUE;
	add_one(&fx, s, "close.bin");
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	/* a new connection per reply, none counted against the source */
	CU_ASSERT_EQUAL(s->connections, 6);
	CU_ASSERT_EQUAL(fx.w.connects, 6);
	fixture_clear(&fx);
	server_free(s);
}

static gboolean is_downloading(gpointer data)
{
	gnut_download_status st = status_of(data);
	gboolean r = st.state == GNUT_DOWNLOAD_DOWNLOADING;
	gnut_download_status_clear(&st);
	return r;
}

static void test_silent_source_dropped(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	test_server *s = server_new(13);
	s->stall = TRUE;
	add_one(&fx, s, "stall.bin");
	CU_ASSERT_TRUE(run_until(is_downloading, &fx.w));
	/* the idle timeout is 10 s of the injected clock */
	gnut_clock_manual_advance(fx.clock, 11 * G_USEC_PER_SEC);
	fx.w.min_done = 1;
	CU_ASSERT_TRUE(run_until(waiting_again, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(st.done, 0);
	CU_ASSERT_EQUAL(st.sources, 1);
	gnut_download_status_clear(&st);
	fixture_clear(&fx);
	server_free(s);
}

#define URN_ZERO  "urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define URN_OTHER "urn:sha1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

typedef struct {
	const char *head;   /* without the final empty line */
	guint64 start, len; /* the request, of a 1000-byte file */
	gboolean data;
	gnut_download_fetch_outcome outcome;
	guint64 rstart, rlen;
	gboolean close_after;
	guint retry;
} judge_case;

static const judge_case judge_cases[] = {
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 500", 0, 1000, TRUE, 0,
     0, 500, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nConnection: close", 0, 1000, TRUE, 0, 0,
     500, TRUE, 0},
    {"HTTP/1.0 206 OK\r\nContent-Range: bytes 10-19/1000", 10, 10, TRUE, 0, 10, 10, TRUE, 0},
    {"HTTP/1.0 206 OK\r\nContent-Range: bytes 10-19/1000\r\nConnection: Keep-Alive", 10, 10, TRUE,
     0, 10, 10, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/*", 0, 1000, TRUE, 0, 0, 500, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 600-699/1000", 500, 500, TRUE, 0, 600, 100, FALSE, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1000", 0, 500, TRUE, 0, 0, 500, TRUE, 0},
    {"HTTP/1.1 200 OK", 0, 1000, TRUE, 0, 0, 1000, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nX-Gnutella-Content-URN: " URN_ZERO, 0, 10,
     TRUE, 0, 0, 10, FALSE, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 999", 0, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0,
     FALSE, 0},
    {"HTTP/1.1 200 OK", 500, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK", 0, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1001", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_WRONG_FILE, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 50-99/1000", 100, 400, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-100/1000", 0, 100, FALSE, GNUT_DOWNLOAD_FETCH_ERROR,
     0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 501", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 5x", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes */1000", 0, 1000, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0,
     0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nX-Gnutella-Content-URN: " URN_OTHER, 0,
     10, FALSE, GNUT_DOWNLOAD_FETCH_WRONG_FILE, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nTransfer-Encoding: chunked", 0, 10, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 503 Busy\r\nRetry-After: 30", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE,
     30},
    {"HTTP/1.1 503 Busy", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE, 0},
    {"HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT", 0, 10, FALSE,
     GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE, 0},
    {"HTTP/1.1 404 Not Found", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_NOT_FOUND, 0, 0, FALSE, 0},
    {"HTTP/1.1 410 Gone", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_NOT_FOUND, 0, 0, FALSE, 0},
    {"HTTP/1.1 416 Range Not Satisfiable", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BAD_RANGE, 0, 0, FALSE,
     0},
    {"HTTP/1.1 302 Found\r\nLocation: /x", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/2 200 OK", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"GNUTELLA/0.6 200 OK", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
};

static void test_reply_judge(void)
{
	uint8_t sha1[20] = {0};
	for (guint i = 0; i < G_N_ELEMENTS(judge_cases); i++) {
		const judge_case *jc = &judge_cases[i];
		g_autofree char *text = g_strconcat(jc->head, "\r\n\r\n", NULL);
		g_autoptr(gnut_head) h = NULL;
		CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)text, strlen(text), &h),
		                      GNUT_PROTO_OK);
		gnut_download_request rq = {
		    .sha1 = sha1, .size = 1000, .start = jc->start, .len = jc->len};
		gnut_download_reply r;
		g_autoptr(GError) err = NULL;
		gnut_download_reply_judge(h, &rq, &r, &err);
		if (r.data != jc->data || (!r.data && r.outcome != jc->outcome))
			fprintf(stderr, "\njudge case %u: data %d outcome %d\n", i, r.data,
			        r.outcome);
		CU_ASSERT_EQUAL(r.data, jc->data);
		if (jc->data) {
			CU_ASSERT_EQUAL(r.start, jc->rstart);
			CU_ASSERT_EQUAL(r.len, jc->rlen);
			CU_ASSERT_EQUAL(r.close_after, jc->close_after);
			CU_ASSERT_PTR_NULL(err);
		} else {
			CU_ASSERT_EQUAL(r.outcome, jc->outcome);
			CU_ASSERT_EQUAL(r.retry_after_s, jc->retry);
			gboolean has_reason = jc->outcome == GNUT_DOWNLOAD_FETCH_ERROR ||
			                      jc->outcome == GNUT_DOWNLOAD_FETCH_WRONG_FILE;
			CU_ASSERT_EQUAL(err != NULL, has_reason);
		}
	}
}

static void test_store_truncated_everywhere(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "full.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 5;
	r->name = g_strdup("t.bin");
	r->size = 100;
	gnut_download_range rg = {0, 50};
	g_array_append_val(r->ranges, rg);
	gnut_download_source src = {.host = g_strdup("h"), .port = 1};
	g_array_append_val(r->sources, src);
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autofree char *text = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, &len, NULL));
	g_autofree char *cut = g_build_filename(dir, "cut.xml", NULL);
	guint loaded = 0, state_errors = 0;
	gsize body_end = (gsize)(g_strrstr(text, ">") - text); /* the root's closing '>' */
	for (gsize n = 0; n <= body_end; n++) {
		g_file_set_contents(cut, text, (gssize)n, NULL);
		g_autoptr(GError) err = NULL;
		GPtrArray *got = gnut_download_store_load(cut, &err);
		if (got != NULL) {
			loaded++;
			g_ptr_array_unref(got);
		} else {
			state_errors +=
			    g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE);
		}
	}
	/* every cut, the empty file included, is refused as a whole */
	CU_ASSERT_EQUAL(loaded, 0);
	CU_ASSERT_EQUAL(state_errors, body_end + 1);
	gnut_unit_rmtree(dir);
}

static gboolean is_verifying(gpointer data)
{
	watch *w = data;
	for (guint i = 0; i < w->states->len; i++)
		if (g_array_index(w->states, gnut_download_state, i) == GNUT_DOWNLOAD_VERIFYING)
			return TRUE;
	return FALSE;
}

/* A partial file already whole when the manager starts: it is verified at
 * once; a manager freed while it verifies leaves the next one to finish. */
static void test_whole_partial_on_start(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	gnut_downloads_free(fx.m);
	GBytes *file = make_file(FILE_SIZE, 14);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 41;
	gnut_sha1_buffer(g_bytes_get_data(file, NULL), FILE_SIZE, r->sha1);
	r->name = g_strdup("whole.bin");
	r->size = FILE_SIZE;
	gnut_download_range all = {0, FILE_SIZE};
	g_array_append_val(r->ranges, all);
	gnut_download_source src = {.host = g_strdup("127.0.0.1"), .port = dead_port()};
	g_array_append_val(r->sources, src);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(r->sha1, urn);
	g_autofree char *part_name = g_strconcat(urn + 9, ".part", NULL);
	g_autofree char *part = g_build_filename(fx.top, "incomplete", part_name, NULL);
	CU_ASSERT_TRUE(g_file_set_contents(part, g_bytes_get_data(file, NULL), FILE_SIZE, NULL));
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	g_ptr_array_add(recs, r);
	g_autofree char *state = g_build_filename(fx.top, "downloads.xml", NULL);
	CU_ASSERT_TRUE(gnut_download_store_save(state, recs, NULL));

	fx.m = manager_new(&fx, 0);
	fx.w.id = 41;
	CU_ASSERT_TRUE(run_until(is_verifying, &fx.w));
	gnut_downloads_free(fx.m); /* the verify job may be running */
	spin(200);
	/* the free waited for the job: either it had moved the file (and the
	 * download is over, gone from the state) or the new manager verifies
	 * it again; either way it ends in the folder once, never fetched */
	fx.m = manager_new(&fx, 0);
	gnut_download_status st = {0};
	if (gnut_downloads_get(fx.m, 41, &st)) {
		gnut_download_status_clear(&st);
		CU_ASSERT_TRUE(run_until(is_final, &fx.w));
		st = status_of(&fx.w);
		CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
		gnut_download_status_clear(&st);
	}
	g_autofree char *done_path = g_build_filename(fx.dl_dir, "whole.bin", NULL);
	CU_ASSERT_TRUE(file_equals(done_path, file));
	CU_ASSERT_FALSE(g_file_test(part, G_FILE_TEST_EXISTS));
	CU_ASSERT_EQUAL(fx.w.connects, 0);
	CU_ASSERT_EQUAL(count_entries(fx.dl_dir), 1);
	g_bytes_unref(file);
	fixture_clear(&fx);
}

/* ---- downloads without a source ---- */

static void add_sourceless(fixture *fx, const uint8_t sha1[20], const char *name)
{
	g_autoptr(GError) err = NULL;
	fx->w.id = gnut_downloads_add(fx->m, sha1, name, FILE_SIZE, NULL, NULL, 0, &err);
	CU_ASSERT_NOT_EQUAL(fx->w.id, 0);
	CU_ASSERT_PTR_NULL(err);
}

/* Queued with no source, nothing done, no error. */
static void check_waiting(watch *w)
{
	gnut_download_status st = {0};
	CU_ASSERT_TRUE_FATAL(gnut_downloads_get(w->m, w->id, &st));
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(st.sources, 0);
	CU_ASSERT_EQUAL(st.done, 0);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
}

/* Moves the manual clock, then gives the schedule timer (which polls at
 * least every second of the loop) its chance to act on it. */
static void advance_and_spin(fixture *fx, gint64 seconds)
{
	gnut_clock_manual_advance(fx->clock, seconds * G_USEC_PER_SEC);
	spin(1200);
}

static void test_no_source_waits_then_starts(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	test_server *s = server_new(15);
	add_sourceless(&fx, s->sha1, "later.bin");
	spin(100);
	check_waiting(&fx.w);
	/* most of the default wait (120 s) passes: still waiting, nothing asked */
	advance_and_spin(&fx, 119);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);
	CU_ASSERT_EQUAL(s->connections, 0);

	gnut_download_source src = source_at(s);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, fx.w.id, &src, &err));
	CU_ASSERT_PTR_NULL(err);
	/* past the end of the wait before the scheduler runs: with a source,
	 * the download no longer waits, it fetches */
	gnut_clock_manual_advance(fx.clock, 2 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	CU_ASSERT_EQUAL(st.done, FILE_SIZE);
	CU_ASSERT_EQUAL(st.sources, 1);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* it started as any download: connecting, downloading, verifying,
	 * complete, over one connection */
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_CONNECTING), 1);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_COMPLETE), 1);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_FAILED), 0);
	CU_ASSERT_EQUAL(s->connections, 1);
	fixture_clear(&fx);
	server_free(s);
}

static void test_no_source_fails_after_wait(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	gnut_downloads_free(fx.m);
	fx.source_wait_s = 30;
	fx.m = manager_new(&fx, 0);
	uint8_t sha1[20] = {21};
	add_sourceless(&fx, sha1, "never.bin");
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	g_autofree char *saved = state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);
	advance_and_spin(&fx, 29);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);

	gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_STRING_EQUAL(st.error != NULL ? st.error : "", "no source found");
	CU_ASSERT_EQUAL(st.sources, 0);
	gnut_download_status_clear(&st);
	/* the failure was notified, once; the state file forgets it */
	CU_ASSERT_EQUAL(fx.w.states->len, 1);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_FAILED), 1);
	g_autofree char *after = state_file_text(&fx);
	CU_ASSERT_PTR_NULL(after != NULL ? strstr(after, urn) : "missing");
	/* too late for a source; a new add of the file is a new download */
	gnut_download_source src = {.host = "127.0.0.1", .port = 9};
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(gnut_downloads_add_source(fx.m, fx.w.id, &src, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	guint64 old = fx.w.id;
	add_sourceless(&fx, sha1, "never.bin");
	CU_ASSERT_NOT_EQUAL(fx.w.id, old);
	check_waiting(&fx.w);
	fixture_clear(&fx);
}

static void test_no_source_survives_restart(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	test_server *s = server_new(16);
	add_sourceless(&fx, s->sha1, "restart.bin");
	guint64 id = fx.w.id;
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	advance_and_spin(&fx, 100);
	check_waiting(&fx.w);

	gnut_downloads_free(fx.m);
	g_autofree char *saved = state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "restart.bin") : NULL);
	CU_ASSERT_PTR_NULL(saved != NULL ? strstr(saved, "<source") : "missing");
	fx.m = manager_new(&fx, 0);
	g_autoptr(GPtrArray) list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL_FATAL(list->len, 1);
	const gnut_download_status *ls = g_ptr_array_index(list, 0);
	CU_ASSERT_EQUAL(ls->id, id);
	CU_ASSERT_STRING_EQUAL(ls->name, "restart.bin");
	CU_ASSERT_STRING_EQUAL(ls->urn, urn);
	CU_ASSERT_EQUAL(ls->size, FILE_SIZE);
	check_waiting(&fx.w);
	/* a fresh wait: 100 s more, 200 s since the add, and it still waits */
	advance_and_spin(&fx, 100);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);

	gnut_download_source src = source_at(s);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &src, NULL));
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	fixture_clear(&fx);
	server_free(s);
}

/* A record with no <source> is a download waiting for one: it is saved and
 * loaded as such (one whose sources are all bad is still skipped: see
 * test_store_rejects). */
static void test_store_sourceless(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 3;
	memset(r->sha1, 0x11, 20);
	r->name = g_strdup("w.bin");
	r->size = 10;
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autoptr(GPtrArray) back = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL(b->id, 3);
	CU_ASSERT_STRING_EQUAL(b->name, "w.bin");
	CU_ASSERT_EQUAL(b->sources->len, 0);

	const char *mixed = "<gnutd-downloads version=\"1\">"
	                    "<download id=\"1\" urn=\"" URN_A "\" size=\"10\" name=\"waits\">"
	                    "<range start=\"0\" end=\"5\"/></download>"
	                    "<download id=\"2\" urn=\"" URN_A "\" size=\"10\" name=\"bad only\">"
	                    "<source host=\"1.2.3.4\" port=\"0\" index=\"0\"/></download>"
	                    "</gnutd-downloads>";
	g_file_set_contents(path, mixed, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(got->len, 1);
	const gnut_download_record *g = g_ptr_array_index(got, 0);
	CU_ASSERT_EQUAL(g->id, 1);
	CU_ASSERT_EQUAL(g->sources->len, 0);
	CU_ASSERT_EQUAL(g->ranges->len, 1);
	gnut_unit_rmtree(dir);
}

/* ---- firewalled sources ---- */

#define PUSH_INDEX 7

/* The owner's side of pushes: the handler records each push and, when told
 * to answer, plays the firewalled servent (a thread that connects to us,
 * says GIV, then serves the test server's file over that connection) and
 * the listener (reads the GIV, hands the connection over). */
typedef struct {
	test_server *s;
	gnut_guid guid;     /* the firewalled servent's */
	gboolean answer;    /* connect back after a push */
	guint32 giv_index;  /* what the GIV names */
	guint calls;        /* pushes asked */
	guint min_calls;    /* for has_calls */
	gnut_guid got_guid; /* the last push asked */
	guint32 got_index;
	guint taken; /* GIVs the manager took */
	guint gived; /* GIVs sent */
} pusher;

typedef struct {
	test_server *s;
	GSocketConnection *conn;
	char *giv;
} uploader;

/* The firewalled servent after the push: GIV, then it only answers. */
static gpointer uploader_thread(gpointer data)
{
	uploader *u = data;
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(u->conn));
	if (write_text(out, u->giv))
		serve_conn(u->s, u->conn);
	g_io_stream_close(G_IO_STREAM(u->conn), NULL, NULL);
	g_atomic_int_dec_and_test(&u->s->running);
	g_object_unref(u->conn);
	g_free(u->giv);
	g_free(u);
	return NULL;
}

/* Two ends of one loopback TCP connection: *up connected to *ours. */
static gboolean loopback_pair(GSocketConnection **up, GSocketConnection **ours)
{
	g_autoptr(GSocketListener) l = g_socket_listener_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	if (!g_socket_listener_add_address(l, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
	                                   NULL, &bound, NULL))
		return FALSE;
	g_autoptr(GSocketClient) c = g_socket_client_new();
	*up = g_socket_client_connect(c, G_SOCKET_CONNECTABLE(bound), NULL, NULL);
	*ours = *up != NULL ? g_socket_listener_accept(l, NULL, NULL, NULL) : NULL;
	g_socket_listener_close(l);
	if (*ours == NULL)
		g_clear_object(up);
	return *ours != NULL;
}

/* Connects back as the firewalled servent would, and reads its GIV as our
 * listener would; returns our end of the connection, or NULL. */
static GSocketConnection *connect_back(pusher *p)
{
	GSocketConnection *up = NULL, *ours = NULL;
	CU_ASSERT_TRUE(loopback_pair(&up, &ours));
	if (ours == NULL)
		return NULL;
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&p->guid, hex);
	uploader *u = g_new0(uploader, 1);
	u->s = p->s;
	u->conn = up;
	u->giv = g_strdup_printf("GIV %" G_GUINT32_FORMAT ":%s/a b+c.bin\n\n", p->giv_index, hex);
	g_socket_set_timeout(g_socket_connection_get_socket(up), 20);
	g_socket_set_timeout(g_socket_connection_get_socket(ours), 20);
	g_autofree char *want = g_strdup(u->giv);
	g_atomic_int_inc(&p->s->running);
	g_thread_unref(g_thread_new("uploader", uploader_thread, u));
	char got[128] = {0};
	gsize n = 0;
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(ours));
	g_input_stream_read_all(in, got, strlen(want), &n, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	p->gived++;
	return ours;
}

static void on_push(gnut_downloads *m, const gnut_guid *servent, guint32 index, gpointer data)
{
	pusher *p = data;
	p->calls++;
	p->got_guid = *servent;
	p->got_index = index;
	if (!p->answer)
		return;
	GSocketConnection *ours = connect_back(p);
	if (ours == NULL)
		return;
	gnut_conn *conn = gnut_conn_new(ours);
	g_object_unref(ours);
	if (gnut_downloads_take_giv(m, conn, &p->guid, p->giv_index))
		p->taken++;
	else
		gnut_conn_unref(conn);
}

static gboolean has_calls(gpointer data)
{
	const pusher *p = data;
	return p->calls >= p->min_calls;
}

static void pusher_init(pusher *p, fixture *fx, test_server *s, guint8 guid_byte)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	memset(p->guid.bytes, guid_byte, GNUT_GUID_LEN);
	p->answer = TRUE;
	p->giv_index = PUSH_INDEX;
	gnut_downloads_set_push_handler(fx->m, on_push, p);
}

static gnut_download_source firewalled_at(const pusher *p)
{
	/* a direct connect would be refused there, never reach anyone */
	gnut_download_source src = {.host = "127.0.0.1",
	                            .port = dead_port(),
	                            .index = PUSH_INDEX,
	                            .name = "a b+c.bin",
	                            .has_guid = TRUE,
	                            .guid = p->guid,
	                            .firewalled = TRUE};
	return src;
}

static void add_firewalled(fixture *fx, const pusher *p, const uint8_t sha1[20])
{
	gnut_download_source src = firewalled_at(p);
	g_autoptr(GError) err = NULL;
	fx->w.id = gnut_downloads_add(fx->m, sha1, "pushed.bin", FILE_SIZE, NULL, &src, 1, &err);
	CU_ASSERT_NOT_EQUAL(fx->w.id, 0);
	CU_ASSERT_PTR_NULL(err);
}

/* A GIV nobody waits for: FALSE, and the connection stays the caller's,
 * open. */
static void check_giv_refused(fixture *fx, const gnut_guid *guid, guint32 index)
{
	GSocketConnection *up = NULL, *ours = NULL;
	CU_ASSERT_TRUE_FATAL(loopback_pair(&up, &ours));
	gnut_conn *conn = gnut_conn_new(ours);
	gboolean taken = gnut_downloads_take_giv(fx->m, conn, guid, index);
	CU_ASSERT_FALSE(taken);
	if (!taken) { /* else the manager owns it now */
		CU_ASSERT_FALSE(gnut_conn_is_closed(conn));
		gnut_conn_unref(conn);
	}
	g_object_unref(ours);
	g_object_unref(up);
}

static void test_push_whole_file(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(17);
	pusher p;
	pusher_init(&p, &fx, s, 0x5C);
	add_firewalled(&fx, &p, s->sha1);
	/* the scheduler has not run yet: no push, so no GIV is wanted */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);

	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(st.done, FILE_SIZE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* one push, for the source's GUID and index; one connection, the one
	 * the source opened, kept alive for the six replies */
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(memcmp(p.got_guid.bytes, p.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(s->connections, 1);
	CU_ASSERT_EQUAL(server_count(s, s->ranges), 6);
	g_autofree char *r0 = server_get(s, s->ranges, 0);
	CU_ASSERT_STRING_EQUAL(r0 != NULL ? r0 : "", "bytes=0-1048575");
	g_autofree char *t0 = server_get(s, s->targets, 0);
	CU_ASSERT_TRUE(t0 != NULL && g_str_has_prefix(t0, "/uri-res/N2R?urn:sha1:"));
	g_autofree char *host = server_get(s, s->hosts, 0);
	CU_ASSERT_TRUE(host != NULL && g_str_has_prefix(host, "127.0.0.1:"));
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	if (fx.w.states->len == 4) {
		CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 0),
		                GNUT_DOWNLOAD_CONNECTING);
		CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1),
		                GNUT_DOWNLOAD_DOWNLOADING);
	}
	/* over: the GUID is wanted no more, and an unknown one never was */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);
	gnut_guid unknown;
	memset(unknown.bytes, 0x77, GNUT_GUID_LEN);
	check_giv_refused(&fx, &unknown, PUSH_INDEX);
	fixture_clear(&fx);
	server_free(s);
}

/* The source closes after each reply: each attempt is a new push, never a
 * direct connect; and a GIV with another index (a push proxy says 0) is
 * matched on the GUID. */
static void test_push_again_after_close(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(18);
	s->close_each = TRUE;
	pusher p;
	pusher_init(&p, &fx, s, 0x6D);
	p.giv_index = 0;
	add_firewalled(&fx, &p, s->sha1);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(s->connections, 6);
	CU_ASSERT_EQUAL(p.calls, 6);
	CU_ASSERT_EQUAL(p.taken, 6);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(fx.w.connects, 6);
	fixture_clear(&fx);
	server_free(s);
}

static gboolean is_queued_again(gpointer data)
{
	return count_state(data, GNUT_DOWNLOAD_QUEUED) >= 1;
}

static void check_state(watch *w, gnut_download_state want)
{
	gnut_download_status st = status_of(w);
	CU_ASSERT_EQUAL(st.state, want);
	gnut_download_status_clear(&st);
}

/* No GIV within push_wait_s of the injected clock: the source failed, and
 * after its back-off the next attempt is a new push, which works. */
static void test_push_wait_expires_then_retry(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	test_server *s = server_new(19);
	pusher p;
	pusher_init(&p, &fx, s, 0x2B);
	p.answer = FALSE;
	add_firewalled(&fx, &p, s->sha1);
	p.min_calls = 1;
	CU_ASSERT_TRUE(run_until(has_calls, &p));
	check_state(&fx.w, GNUT_DOWNLOAD_CONNECTING);
	/* the default wait is 30 s */
	advance_and_spin(&fx, 29);
	check_state(&fx.w, GNUT_DOWNLOAD_CONNECTING);
	CU_ASSERT_EQUAL(count_state(&fx.w, GNUT_DOWNLOAD_QUEUED), 0);
	gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(run_until(is_queued_again, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(st.sources, 1);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* a late GIV finds nobody waiting */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);
	/* the first back-off is 5 s: no push before */
	advance_and_spin(&fx, 4);
	CU_ASSERT_EQUAL(p.calls, 1);
	p.answer = TRUE;
	gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 2);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(fx.w.connects, 2);
	fixture_clear(&fx);
	server_free(s);
}

/* A source that never says GIV fails as one that refuses connections:
 * MAX_ATTEMPTS pushes with back-off, then the download fails. */
static void test_push_never_answered_fails(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	gnut_downloads_free(fx.m);
	fx.push_wait_s = 10;
	fx.m = manager_new(&fx, 0);
	pusher p;
	pusher_init(&p, &fx, NULL, 0x3A);
	p.answer = FALSE;
	uint8_t sha1[20] = {31};
	add_firewalled(&fx, &p, sha1);
	for (guint k = 1; k <= 8; k++) {
		p.min_calls = k;
		gboolean pushed = run_until(has_calls, &p);
		CU_ASSERT_TRUE(pushed);
		CU_ASSERT_EQUAL(p.calls, k);
		gnut_clock_manual_advance(fx.clock, 11 * G_USEC_PER_SEC);
		fx.w.min_done = k;
		gboolean queued = pushed && run_until(waiting_again, &fx.w);
		CU_ASSERT_TRUE(queued);
		if (!queued || is_final(&fx.w))
			break;
		gnut_clock_manual_advance(fx.clock, 601 * G_USEC_PER_SEC);
	}
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "every source failed") : NULL);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "no GIV after push") : NULL);
	CU_ASSERT_EQUAL(st.sources, 0);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 4);
	CU_ASSERT_EQUAL(fx.w.connects, 4);
	fixture_clear(&fx);
}

/* Without a push handler a firewalled source is given up: alone, the
 * download fails; with a direct source too, that one serves the file. */
static void test_push_without_handler(void)
{
	fixture fx;
	fixture_init(&fx, FALSE, 0);
	test_server *s = server_new(20);
	pusher p;
	pusher_init(&p, &fx, s, 0x4E);
	gnut_downloads_set_push_handler(fx.m, NULL, NULL);
	uint8_t sha1[20] = {32};
	add_firewalled(&fx, &p, sha1);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_FAILED);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "no push handler") : NULL);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(fx.w.connects, 0);

	g_array_set_size(fx.w.states, 0);
	fx.w.connects = 0;
	gnut_download_source two[2] = {firewalled_at(&p), source_at(s)};
	fx.w.id = gnut_downloads_add(fx.m, s->sha1, "mixed.bin", FILE_SIZE, NULL, two, 2, NULL);
	CU_ASSERT_NOT_EQUAL(fx.w.id, 0);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	CU_ASSERT_EQUAL(st.sources, 1);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 0);
	CU_ASSERT_EQUAL(fx.w.connects, 1);
	fixture_clear(&fx);
	server_free(s);
}

/* Checks of a firewalled source, and merging: a firewalled source is its
 * GUID, whatever host:port its hit gave. */
static void test_push_source_checks(void)
{
	gnut_download_source src = {.host = "192.168.1.2", .port = 0, .firewalled = TRUE};
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(gnut_download_source_check(&src, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	src.has_guid = TRUE;
	memset(src.guid.bytes, 1, GNUT_GUID_LEN);
	CU_ASSERT_TRUE(gnut_download_source_check(&src, NULL));
	src.firewalled = FALSE;
	CU_ASSERT_FALSE(gnut_download_source_check(&src, NULL));

	fixture fx;
	fixture_init(&fx, TRUE, 0);
	gnut_download_source a = {
	    .host = "127.0.0.1", .port = dead_port(), .has_guid = TRUE, .firewalled = TRUE};
	memset(a.guid.bytes, 0xA1, GNUT_GUID_LEN);
	gnut_download_source b = a;
	memset(b.guid.bytes, 0xB2, GNUT_GUID_LEN);
	gnut_download_source a_moved = a;
	a_moved.port = dead_port();
	gnut_download_source direct = a;
	direct.firewalled = FALSE;
	uint8_t sha1[20] = {33};
	guint64 id = gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &a, 1, NULL);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &b, NULL));
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &a_moved, NULL));
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &direct, NULL));
	gnut_download_status st = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, id, &st));
	CU_ASSERT_EQUAL(st.sources, 3);
	gnut_download_status_clear(&st);
	gnut_downloads_cancel(fx.m, id, NULL);
	fixture_clear(&fx);
}

/* firewalled="1" in downloads.xml, read back; a file from before the
 * attribute existed means FALSE; a firewalled source without a GUID is a
 * bad source. */
static void test_push_store(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 9;
	memset(r->sha1, 0x22, 20);
	r->name = g_strdup("fw.bin");
	r->size = 10;
	gnut_download_source fw = {.host = g_strdup("192.168.0.3"),
	                           .port = 0,
	                           .index = 4,
	                           .has_guid = TRUE,
	                           .firewalled = TRUE};
	memset(fw.guid.bytes, 0xC3, GNUT_GUID_LEN);
	gnut_download_source direct = {.host = g_strdup("10.0.0.2"), .port = 6346};
	g_array_append_val(r->sources, fw);
	g_array_append_val(r->sources, direct);
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(text != NULL ? strstr(text, "firewalled=\"1\"") : NULL);
	g_autoptr(GPtrArray) back = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL_FATAL(b->sources->len, 2);
	const gnut_download_source *bf = &g_array_index(b->sources, gnut_download_source, 0);
	const gnut_download_source *bd = &g_array_index(b->sources, gnut_download_source, 1);
	CU_ASSERT_TRUE(bf->firewalled);
	CU_ASSERT_TRUE(bf->has_guid);
	CU_ASSERT_EQUAL(memcmp(bf->guid.bytes, fw.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(bf->port, 0);
	CU_ASSERT_EQUAL(bf->index, 4);
	CU_ASSERT_FALSE(bd->firewalled);

	const char *old = "<gnutd-downloads version=\"1\">"
	                  "<download id=\"1\" urn=\"" URN_A "\" size=\"10\" name=\"old\">"
	                  "<source host=\"1.2.3.4\" port=\"1\" index=\"0\" get-only=\"0\" "
	                  "guid=\"0123456789abcdef0123456789abcdef\"/></download>"
	                  "<download id=\"2\" urn=\"" URN_A "\" size=\"10\" name=\"no guid\">"
	                  "<source host=\"1.2.3.4\" port=\"1\" index=\"0\" firewalled=\"1\"/>"
	                  "</download></gnutd-downloads>";
	g_file_set_contents(path, old, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(got->len, 1);
	const gnut_download_record *g = g_ptr_array_index(got, 0);
	CU_ASSERT_EQUAL(g->id, 1);
	CU_ASSERT_EQUAL_FATAL(g->sources->len, 1);
	const gnut_download_source *gs = &g_array_index(g->sources, gnut_download_source, 0);
	CU_ASSERT_TRUE(gs->has_guid);
	CU_ASSERT_FALSE(gs->firewalled);
	gnut_unit_rmtree(dir);
}

/* A manager restarted on the same data dir still knows the source is
 * firewalled: its first attempt is a push again, and the GIV finishes it. */
static void test_push_survives_restart(void)
{
	fixture fx;
	fixture_init(&fx, TRUE, 0);
	test_server *s = server_new(21);
	pusher p;
	pusher_init(&p, &fx, s, 0x1F);
	p.answer = FALSE;
	add_firewalled(&fx, &p, s->sha1);
	p.min_calls = 1;
	CU_ASSERT_TRUE(run_until(has_calls, &p));
	gnut_downloads_free(fx.m);
	g_autofree char *saved = state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "firewalled=\"1\"") : NULL);

	fx.m = manager_new(&fx, 0);
	pusher_init(&p, &fx, s, 0x1F);
	CU_ASSERT_TRUE(run_until(is_final, &fx.w));
	gnut_download_status st = status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(memcmp(p.got_guid.bytes, p.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(s->connections, 1);
	fixture_clear(&fx);
	server_free(s);
}

static CU_TestInfo tests[] = {
    {"whole file over one kept-alive connection", test_whole_file_keep_alive},
    {"503 with Retry-After, then the file", test_busy_then_works},
    {"a flipped byte fails the SHA-1 check", test_corrupt_byte_fails},
    {"cut mid-body: the next source finishes", test_cut_connection_next_source},
    {"404 to the URN form: /get/<index>/<name>", test_get_fallback},
    {"404 everywhere: every source failed", test_not_found_anywhere_fails},
    {"refused: back-off on the clock, then failed", test_back_off_then_fail},
    {"rate limit, then resume in a new manager", test_rate_limit_and_resume},
    {"cancel", test_cancel},
    {"a whole partial file is verified at start", test_whole_partial_on_start},
    {"argument checks and source merging", test_add_checks_and_merge},
    {"an empty file needs no transfer", test_empty_file},
    {"two files of one name", test_same_name_twice},
    {"Connection: close on every reply", test_connection_close_each_reply},
    {"a silent source is dropped on the clock", test_silent_source_dropped},
    {"reply heads judged", test_reply_judge},
    {"state file round trip", test_store_round_trip},
    {"state file truncated at every offset", test_store_truncated_everywhere},
    {"state file rejects", test_store_rejects},
    {"no source: waits, then a source starts it", test_no_source_waits_then_starts},
    {"no source within the wait: no source found", test_no_source_fails_after_wait},
    {"no source: still waiting after a restart", test_no_source_survives_restart},
    {"state file: a download without a source", test_store_sourceless},
    {"firewalled: push, GIV, the file over it", test_push_whole_file},
    {"firewalled: a new push after each close", test_push_again_after_close},
    {"firewalled: no GIV in time, then a retry", test_push_wait_expires_then_retry},
    {"firewalled: never a GIV: the source fails", test_push_never_answered_fails},
    {"firewalled: no push handler", test_push_without_handler},
    {"firewalled: checks and merging", test_push_source_checks},
    {"firewalled: state file", test_push_store},
    {"firewalled: still pushed after a restart", test_push_survives_restart},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download", tests)
