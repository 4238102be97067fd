/* download-fixture.c: the shared part of the download tests (see
 * download-fixture.h): an HTTP server on loopback written with a
 * GThreadedSocketService (a GSocketService that runs each connection in a
 * thread with blocking I/O). It serves a 3 MiB buffer and caps each reply
 * at 512 KiB like the reference servent, keeps the connection alive, and
 * can misbehave: answer 503 first, 404 to the URN form, flip a byte, cut
 * the connection mid-body, or stall after the head.
 *
 * Waits iterate the default main context until a condition holds or a
 * deadline passes; the deadline only turns a hang into a failure. */
#include "download-fixture.h"

#include "gnut/proto/base32.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/thex.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>

#define REPLY_CAP      (512 * 1024)
#define US_PER_MS      1000
#define SERVER_POLL_US 1000 /* how often dlfx_server_free looks at its handlers */

/* ---- the test server ---- */

GBytes *dlfx_make_file(gsize size, guint32 seed)
{
	guint8 *buf = g_malloc(size);
	guint32 x = seed;
	for (gsize i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (guint8)(x >> 16);
	}
	return g_bytes_new_take(buf, size);
}

gboolean dlfx_write_text(GOutputStream *out, const char *text)
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

static void record(dlfx_server *s, GPtrArray *list, const char *value)
{
	g_mutex_lock(&s->lock);
	g_ptr_array_add(list, g_strdup(value != NULL ? value : ""));
	g_mutex_unlock(&s->lock);
}

/* Sends [start, start+len) of the file, flipped byte and cut included.
 * FALSE when the connection is over. */
static gboolean send_body(dlfx_server *s, GOutputStream *out, gsize start, gsize len)
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

/* The tree's answer, then the connection closes. */
static gboolean serve_tree(dlfx_server *s, GOutputStream *out)
{
	gsize len = 0;
	const void *data = g_bytes_get_data(s->thex_answer, &len);
	g_autofree char *head =
	    g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	                    "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
	                    GNUT_THEX_CONTENT_TYPE, len);
	if (dlfx_write_text(out, head))
		g_output_stream_write_all(out, data, len, NULL, NULL, NULL);
	return FALSE;
}

void dlfx_server_offer_tree(dlfx_server *s)
{
	gsize size = 0;
	const void *data = g_bytes_get_data(s->file, &size);
	g_autoptr(gnut_thex_level) level = gnut_thex_level_of_buffer(data, size);
	s->thex_answer = gnut_thex_answer_build(level);
	char root[64];
	gnut_base32_encode(level->root, GNUT_TIGER_LEN, false, root);
	s->thex_uri = g_strdup_printf("/thex;%s", root);
}

/* Answers one request; FALSE when the connection is over. */
static gboolean serve_request(dlfx_server *s, GOutputStream *out, const gnut_head *h)
{
	g_auto(gnut_http_request) req = {0};
	if (gnut_http_parse_request_line(gnut_head_start_line(h), &req) != GNUT_PROTO_OK)
		return FALSE;
	record(s, s->targets, req.target);
	record(s, s->ranges, gnut_head_get(h, "Range"));
	record(s, s->agents, gnut_head_get(h, "User-Agent"));
	record(s, s->hosts, gnut_head_get(h, "Host"));
	record(s, s->x_alts, gnut_head_get(h, "X-Alt"));
	record(s, s->x_nalts, gnut_head_get(h, "X-Nalt"));
	record(s, s->x_queues, gnut_head_get(h, "X-Queue"));
	record(s, s->x_queued, gnut_head_get(h, "X-Queued"));
	g_autofree char *stamp = g_strdup_printf("%" G_GINT64_FORMAT, g_get_monotonic_time());
	record(s, s->stamps, stamp);
	if (s->thex_answer != NULL && strcmp(req.target, "/thex") == 0)
		return serve_tree(s, out);
	gboolean is_get = g_str_has_prefix(req.target, "/get/");
	g_mutex_lock(&s->lock);
	gboolean busy = s->busy_sent < s->busy_first;
	s->busy_sent += busy;
	g_mutex_unlock(&s->lock);
	if (busy) {
		g_autofree char *reply =
		    g_strdup_printf("HTTP/1.1 503 Busy\r\nServer: test\r\nRetry-After: 1\r\n%s"
		                    "Content-Length: 0\r\n\r\n",
		                    s->busy_extra != NULL ? s->busy_extra : "");
		return dlfx_write_text(out, reply);
	}
	if ((is_get && s->get_missing) || (!is_get && s->urn_missing))
		return dlfx_write_text(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");

	gsize size = g_bytes_get_size(s->file);
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	const char *range = gnut_head_get(h, "Range");
	guint64 start = 0, end = size - 1;
	if (range != NULL) {
		if (gnut_http_parse_range(range, size, r, &n) != GNUT_HTTP_RANGE_OK)
			return dlfx_write_text(out, "HTTP/1.1 416 Range Not Satisfiable\r\n"
			                            "Content-Length: 0\r\n\r\n");
		start = r[0].start;
		end = r[0].end;
	}
	g_autofree char *avail =
	    s->partial_end == 0
	        ? g_strdup("")
	        : g_strdup_printf("X-Available-Ranges: bytes 0-%" G_GSIZE_FORMAT "\r\n",
	                          s->partial_end - 1);
	if (s->partial_end != 0 && start >= s->partial_end) {
		g_autofree char *refusal = g_strdup_printf(
		    "HTTP/1.1 416 Range Not Satisfiable\r\n%sContent-Length: 0\r\n\r\n", avail);
		return dlfx_write_text(out, refusal);
	}
	if (s->partial_end != 0)
		end = MIN(end, s->partial_end - 1);
	end = MIN(end, start + REPLY_CAP - 1);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	g_autofree char *head = g_strdup_printf(
	    "HTTP/1.1 206 Partial Content\r\nServer: test\r\nX-Gnutella-Content-URN: %s\r\n"
	    "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GSIZE_FORMAT
	    "\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n%s%s%s%s%s%s%s%s%s\r\n",
	    urn, start, end, size, end - start + 1, avail,
	    s->close_each ? "Connection: close\r\n" : "", s->x_alt != NULL ? "X-Alt: " : "",
	    s->x_alt != NULL ? s->x_alt : "", s->x_alt != NULL ? "\r\n" : "",
	    s->extra != NULL ? s->extra : "", s->thex_uri != NULL ? "X-Thex-URI: " : "",
	    s->thex_uri != NULL ? s->thex_uri : "", s->thex_uri != NULL ? "\r\n" : "");
	if (!dlfx_write_text(out, head) || s->stall)
		return FALSE;
	return send_body(s, out, (gsize)start, (gsize)(end - start + 1)) && !s->close_each;
}

/* Serves requests on conn until it is over (blocking). */
void dlfx_serve_conn(dlfx_server *s, GSocketConnection *conn)
{
	g_mutex_lock(&s->lock);
	s->connections++;
	g_mutex_unlock(&s->lock);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), DLFX_SOCKET_TIMEOUT_S);
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
	dlfx_server *s = data;
	g_atomic_int_inc(&s->running);
	dlfx_serve_conn(s, conn);
	g_atomic_int_dec_and_test(&s->running);
	return TRUE;
}

dlfx_server *dlfx_server_new(guint32 seed)
{
	dlfx_server *s = g_new0(dlfx_server, 1);
	s->file = dlfx_make_file(DLFX_FILE_SIZE, seed);
	gnut_sha1_buffer(g_bytes_get_data(s->file, NULL), DLFX_FILE_SIZE, s->sha1);
	s->corrupt_at = -1;
	s->cut_after = -1;
	g_mutex_init(&s->lock);
	s->targets = g_ptr_array_new_with_free_func(g_free);
	s->ranges = g_ptr_array_new_with_free_func(g_free);
	s->agents = g_ptr_array_new_with_free_func(g_free);
	s->hosts = g_ptr_array_new_with_free_func(g_free);
	s->x_alts = g_ptr_array_new_with_free_func(g_free);
	s->x_nalts = g_ptr_array_new_with_free_func(g_free);
	s->x_queues = g_ptr_array_new_with_free_func(g_free);
	s->x_queued = g_ptr_array_new_with_free_func(g_free);
	s->stamps = g_ptr_array_new_with_free_func(g_free);
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

void dlfx_server_free(dlfx_server *s)
{
	g_socket_service_stop(s->service);
	g_socket_listener_close(G_SOCKET_LISTENER(s->service));
	gint64 until = g_get_monotonic_time() + DLFX_DEADLINE_MS * US_PER_MS;
	while (g_atomic_int_get(&s->running) > 0 && g_get_monotonic_time() < until) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(SERVER_POLL_US);
	}
	g_object_unref(s->service);
	g_bytes_unref(s->file);
	g_ptr_array_unref(s->targets);
	g_ptr_array_unref(s->ranges);
	g_ptr_array_unref(s->agents);
	g_ptr_array_unref(s->hosts);
	g_ptr_array_unref(s->x_alts);
	g_ptr_array_unref(s->x_nalts);
	g_ptr_array_unref(s->x_queues);
	g_ptr_array_unref(s->x_queued);
	g_ptr_array_unref(s->stamps);
	g_clear_pointer(&s->thex_answer, g_bytes_unref);
	g_free(s->thex_uri);
	g_mutex_clear(&s->lock);
	g_free(s);
}

char *dlfx_server_get(dlfx_server *s, GPtrArray *list, guint i)
{
	g_mutex_lock(&s->lock);
	char *v = i < list->len ? g_strdup(g_ptr_array_index(list, i)) : NULL;
	g_mutex_unlock(&s->lock);
	return v;
}

guint dlfx_server_count(dlfx_server *s, GPtrArray *list)
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

gboolean dlfx_run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, DLFX_DEADLINE_MS);
}

/* Lets the loop run for ms: a chance for something that must not happen
 * to happen, or for cancelled operations to wind down. */
void dlfx_spin_ms(guint ms)
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

static void on_notify(gnut_downloads *m, guint64 id, gnut_download_state state, gpointer data)
{
	dlfx_watch *w = data;
	if (id != w->id)
		return;
	g_array_append_val(w->states, state);
	w->connects += state == GNUT_DOWNLOAD_CONNECTING;
}

gnut_download_status dlfx_status_of(dlfx_watch *w)
{
	gnut_download_status st = {0};
	gnut_downloads_get(w->m, w->id, &st);
	return st;
}

gboolean dlfx_is_final(gpointer data)
{
	gnut_download_status st = dlfx_status_of(data);
	gboolean r = gnut_download_state_is_final(st.state);
	gnut_download_status_clear(&st);
	return r;
}

gboolean dlfx_has_min_done(gpointer data)
{
	dlfx_watch *w = data;
	gnut_download_status st = dlfx_status_of(w);
	gboolean r = st.done >= w->min_done;
	gnut_download_status_clear(&st);
	return r;
}

gboolean dlfx_is_waiting(gpointer data)
{
	gnut_download_status st = dlfx_status_of(data);
	gboolean r = st.state == GNUT_DOWNLOAD_WAITING;
	gnut_download_status_clear(&st);
	return r;
}

gboolean dlfx_waiting_again(gpointer data)
{
	dlfx_watch *w = data;
	gnut_download_status st = dlfx_status_of(w);
	gboolean r = st.state == GNUT_DOWNLOAD_FAILED ||
	             ((st.state == GNUT_DOWNLOAD_QUEUED || st.state == GNUT_DOWNLOAD_WAITING) &&
	              w->connects >= w->min_done);
	gnut_download_status_clear(&st);
	return r;
}

/* ---- fixtures ---- */

gnut_downloads *dlfx_manager_new(dlfx_fixture *fx, guint64 limit)
{
	gnut_downloads_config cfg = {
	    .data_dir = fx->top,
	    .download_dir = fx->dl_dir,
	    .download_limit = limit,
	    .connect_timeout_s = 5,
	    .idle_timeout_s = fx->idle_timeout_s != 0 ? fx->idle_timeout_s : 10,
	    .push_wait_s = fx->push_wait_s,
	    .allow_local = TRUE, /* X-Alt sources on loopback */
	    .tls = fx->tls,
	    .mesh = fx->mesh,
	};
	g_autoptr(GError) err = NULL;
	gnut_downloads *m = gnut_downloads_new(&cfg, fx->clock, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	gnut_downloads_set_notify(m, on_notify, &fx->w);
	fx->w.m = m;
	return m;
}

void dlfx_fixture_init(dlfx_fixture *fx, gboolean manual_clock, guint64 limit)
{
	memset(fx, 0, sizeof *fx);
	fx->top = gnut_unit_mkdtemp();
	fx->dl_dir = g_build_filename(fx->top, "done", NULL);
	fx->clock = manual_clock ? gnut_clock_manual_new(G_USEC_PER_SEC) : gnut_clock_system();
	fx->w.states = g_array_new(FALSE, FALSE, sizeof(gnut_download_state));
	fx->mesh = gnut_mesh_new(0, 0, 0);
	fx->m = dlfx_manager_new(fx, limit);
}

void dlfx_fixture_clear(dlfx_fixture *fx)
{
	gnut_downloads_free(fx->m);
	dlfx_spin_ms(100); /* cancelled connects report back */
	gnut_mesh_free(fx->mesh);
	gnut_clock_free(fx->clock);
	g_array_unref(fx->w.states);
	gnut_unit_rmtree(fx->top);
	g_free(fx->top);
	g_free(fx->dl_dir);
}

gnut_download_source dlfx_source_at(const dlfx_server *s)
{
	gnut_download_source src = {
	    .host = "127.0.0.1", .port = s->port, .index = 7, .name = "a b+c.bin"};
	return src;
}

guint64 dlfx_add_one(dlfx_fixture *fx, dlfx_server *s, const char *name)
{
	gnut_download_source src = dlfx_source_at(s);
	g_autoptr(GError) err = NULL;
	guint64 id = gnut_downloads_add(fx->m, s->sha1, name, DLFX_FILE_SIZE, NULL, &src, 1, &err);
	CU_ASSERT_NOT_EQUAL(id, 0);
	CU_ASSERT_PTR_NULL(err);
	fx->w.id = id;
	return id;
}

gboolean dlfx_file_equals(const char *path, GBytes *want)
{
	g_autofree char *got = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &got, &len, NULL))
		return FALSE;
	gsize wlen = 0;
	const void *w = g_bytes_get_data(want, &wlen);
	return len == wlen && memcmp(got, w, len) == 0;
}

guint dlfx_count_entries(const char *dir)
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

char *dlfx_state_file_text(const dlfx_fixture *fx)
{
	g_autofree char *path = g_build_filename(fx->top, "downloads.xml", NULL);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, NULL);
	return text;
}

guint dlfx_count_state(const dlfx_watch *w, gnut_download_state state)
{
	guint n = 0;
	for (guint i = 0; i < w->states->len; i++)
		n += g_array_index(w->states, gnut_download_state, i) == state;
	return n;
}

/* A port nobody listens on: bound, then closed. */
guint16 dlfx_dead_port(void)
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

/* Moves the manual clock, then gives the schedule timer (which polls at
 * least every second of the loop) its chance to act on it. */
void dlfx_advance_s_and_spin(dlfx_fixture *fx, gint64 seconds)
{
	gnut_clock_manual_advance(fx->clock, seconds * G_USEC_PER_SEC);
	dlfx_spin_ms(1200);
}

void dlfx_check_complete(dlfx_fixture *fx, GBytes *want)
{
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx->w));
	gnut_download_status st = dlfx_status_of(&fx->w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, want));
	gnut_download_status_clear(&st);
}
