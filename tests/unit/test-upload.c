/* test-upload.c: the upload server over real loopback sockets. A gnut_share
 * indexes a temporary folder, a gnut_listener on 127.0.0.1 hands every
 * connection to gnut_uploads, and the test plays the HTTP client on raw
 * sockets. Waits iterate the default main context until the client socket
 * is readable (or a condition holds) or a generous deadline passes: the
 * deadline only turns a hang into a failure, no assertion depends on
 * timing. Rate limiting and timeouts run on a manual clock. */
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/net/listener.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/base32.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/x-queued.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEADLINE_MS  20000
#define ALPHA_SIZE   100000
#define SECRET       "TOP-SECRET-CONTENT"
#define SMALL_NAME   "two words \xc3\xa9.txt"
#define SMALL_BODY   "hello upload\n"
#define INSIDE_BODY  "INSIDE-CONTENT-0\n"
#define OUTSIDE_BODY "OUTSIDE-SECRET-1\n" /* as long as INSIDE_BODY */
#define BIG_SIZE     (32 * 1024 * 1024)   /* more than loopback socket buffers hold */
#define SOME_MTIME   1600000000

typedef struct {
	char *root;
	char *share_dir;
	gnut_share *share;
	gnut_clock *clock; /* manual, or NULL for the system clock */
	gnut_uploads *uploads;
	gnut_listener *listener;
	guint16 port;
} server;

typedef struct {
	int fd;
	GByteArray *in; /* received, not yet taken as a response */
} client;

typedef struct {
	unsigned code;
	gnut_head *head;
	GByteArray *body;
} response;

static guint8 alpha_byte(gsize i)
{
	return (guint8)(i * 7 + i / 251);
}

static void write_file(const char *dir, const char *name, const void *data, gsize len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static void write_alpha(const char *dir, gsize size)
{
	g_autofree guint8 *data = g_malloc(size);
	for (gsize i = 0; i < size; i++)
		data[i] = alpha_byte(i);
	write_file(dir, "alpha.bin", data, size);
}

static gboolean on_deadline(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, DEADLINE_MS);
}

static void on_rescan_done(GObject *source, GAsyncResult *res, gpointer data)
{
	gboolean *done = data;
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_share_rescan_finish(NULL, res, &err));
	*done = TRUE;
}

static gboolean is_true(gpointer data)
{
	return *(gboolean *)data;
}

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	server *srv = data;
	gnut_uploads_take(srv->uploads, conn);
}

static void set_mtime(const char *dir, const char *name, time_t when)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	struct timespec times[2] = {{when, 0}, {when, 0}};
	g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

/* A share of alpha.bin, SMALL_NAME, empty.dat and sub/inner.txt (plus
 * big.bin of big_size bytes when non-zero), with SECRET in a file beside
 * the shared folder and outside/inner.txt, as long and as old as
 * sub/inner.txt but not shared. */
static server *server_new(const gnut_uploads_config *cfg, gboolean manual_clock, gsize big_size)
{
	server *srv = g_new0(server, 1);
	srv->root = gnut_unit_mkdtemp();
	srv->share_dir = g_build_filename(srv->root, "share", NULL);
	g_autofree char *data_dir = g_build_filename(srv->root, "data", NULL);
	g_assert_cmpint(g_mkdir(srv->share_dir, 0700), ==, 0);
	write_alpha(srv->share_dir, ALPHA_SIZE);
	write_file(srv->share_dir, SMALL_NAME, SMALL_BODY, strlen(SMALL_BODY));
	write_file(srv->share_dir, "empty.dat", "", 0);
	write_file(srv->root, "secret.txt", SECRET, strlen(SECRET));
	g_autofree char *sub = g_build_filename(srv->share_dir, "sub", NULL);
	g_autofree char *outside = g_build_filename(srv->root, "outside", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(outside, 0700), ==, 0);
	write_file(sub, "inner.txt", INSIDE_BODY, strlen(INSIDE_BODY));
	write_file(outside, "inner.txt", OUTSIDE_BODY, strlen(OUTSIDE_BODY));
	set_mtime(sub, "inner.txt", SOME_MTIME);
	set_mtime(outside, "inner.txt", SOME_MTIME);
	if (big_size > 0) {
		g_autofree char *big = g_malloc0(big_size);
		write_file(srv->share_dir, "big.bin", big, big_size);
	}
	srv->share = gnut_share_new(data_dir, NULL);
	g_assert_nonnull(srv->share);
	g_assert_true(gnut_share_add_dir(srv->share, srv->share_dir, NULL));
	gboolean done = FALSE;
	gnut_share_rescan_async(srv->share, NULL, on_rescan_done, &done);
	g_assert_true(run_until(is_true, &done));
	if (manual_clock)
		srv->clock = gnut_clock_manual_new(G_USEC_PER_SEC);
	srv->uploads = gnut_uploads_new(srv->share, srv->clock, cfg);
	/* Every request comes from 127.0.0.1, many a second: no throttle. */
	gnut_listener_config lc = {.address = "127.0.0.1",
	                           .reconnect_burst = GNUT_IP_ADMIT_UNLIMITED};
	srv->listener = gnut_listener_new(&lc, on_accept, srv, NULL);
	g_assert_nonnull(srv->listener);
	srv->port = gnut_listener_get_port(srv->listener);
	return srv;
}

static void server_free(server *srv)
{
	gnut_listener_free(srv->listener);
	gnut_uploads_free(srv->uploads);
	gnut_share_free(srv->share);
	gnut_clock_free(srv->clock);
	gnut_unit_rmtree(srv->root);
	g_free(srv->share_dir);
	g_free(srv->root);
	g_free(srv);
}

static gnut_shared_file *shared(server *srv, const char *name)
{
	g_autoptr(GPtrArray) all = gnut_share_list(srv->share);
	for (guint i = 0; i < all->len; i++) {
		gnut_shared_file *f = g_ptr_array_index(all, i);
		if (strcmp(f->name, name) == 0)
			return gnut_shared_file_ref(f);
	}
	g_assert_not_reached();
}

static char *urn_target(server *srv, const char *name)
{
	g_autoptr(gnut_shared_file) f = shared(srv, name);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(f->sha1, urn);
	return g_strdup_printf("/uri-res/N2R?%s", urn);
}

/* A client connected from the loopback address from (any of 127/8). */
static client *client_new_from(server *srv, const char *from)
{
	client *c = g_new0(client, 1);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(c->fd, >=, 0);
	struct sockaddr_in local = {.sin_family = AF_INET};
	g_assert_cmpint(inet_pton(AF_INET, from, &local.sin_addr), ==, 1);
	g_assert_cmpint(bind(c->fd, (struct sockaddr *)&local, sizeof local), ==, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(srv->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	c->in = g_byte_array_new();
	return c;
}

static client *client_new(server *srv)
{
	return client_new_from(srv, "127.0.0.1");
}

static void client_free(client *c)
{
	close(c->fd);
	g_byte_array_unref(c->in);
	g_free(c);
}

static void client_send(client *c, const char *text)
{
	gsize len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		g_assert_cmpint(n, >, 0);
		off += (gsize)n;
	}
}

static gboolean on_fd_ready(gint fd, GIOCondition cond, gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

/* Waits for more bytes: TRUE when some arrived, FALSE at end of stream,
 * on a reset, or at the deadline. */
static gboolean client_fill(client *c)
{
	for (;;) {
		guint8 buf[65536];
		ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			g_byte_array_append(c->in, buf, (guint)n);
			return TRUE;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return FALSE;
		gboolean ready = FALSE, expired = FALSE;
		GSource *s = g_unix_fd_source_new(c->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
		g_source_set_callback(s, G_SOURCE_FUNC(on_fd_ready), &ready, NULL);
		g_source_attach(s, NULL);
		GSource *t = g_timeout_source_new(DEADLINE_MS);
		g_source_set_callback(t, on_deadline, &expired, NULL);
		g_source_attach(t, NULL);
		while (!ready && !expired)
			g_main_context_iteration(NULL, TRUE);
		g_source_destroy(s);
		g_source_unref(s);
		g_source_destroy(t);
		g_source_unref(t);
		if (expired)
			return FALSE;
	}
}

static gboolean client_wait_bytes(client *c, gsize n)
{
	while (c->in->len < n)
		if (!client_fill(c))
			return FALSE;
	return TRUE;
}

/* Takes what has arrived by now, without waiting. */
static void client_drain(client *c)
{
	guint8 buf[65536];
	ssize_t n;
	while ((n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		g_byte_array_append(c->in, buf, (guint)n);
}

/* TRUE when the server closed the connection (end of stream or reset);
 * whatever came before is dropped. */
static gboolean client_closed(client *c)
{
	while (client_fill(c))
		g_byte_array_set_size(c->in, 0);
	guint8 b;
	ssize_t n = recv(c->fd, &b, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void response_clear(response *r)
{
	g_clear_pointer(&r->head, gnut_head_free);
	g_clear_pointer(&r->body, g_byte_array_unref);
	r->code = 0;
}

/* Reads one response (its body too unless head_only); FALSE if none came. */
static gboolean client_response(client *c, gboolean head_only, response *r)
{
	response_clear(r);
	gsize head_len = 0;
	for (;;) {
		gnut_proto_err e = gnut_head_scan(c->in->data, c->in->len, &head_len);
		if (e == GNUT_PROTO_OK)
			break;
		if (e != GNUT_PROTO_ERR_TRUNCATED || !client_fill(c))
			return FALSE;
	}
	if (gnut_head_parse(c->in->data, head_len, &r->head) != GNUT_PROTO_OK)
		return FALSE;
	g_byte_array_remove_range(c->in, 0, (guint)head_len);
	gnut_http_status st;
	if (gnut_http_parse_status_line(gnut_head_start_line(r->head), &st) != GNUT_PROTO_OK)
		return FALSE;
	r->code = st.code;
	const char *cl = gnut_head_get(r->head, "Content-Length");
	gsize len = head_only || cl == NULL ? 0 : (gsize)g_ascii_strtoull(cl, NULL, 10);
	if (!client_wait_bytes(c, len))
		return FALSE;
	r->body = g_byte_array_new();
	g_byte_array_append(r->body, c->in->data, (guint)len);
	g_byte_array_remove_range(c->in, 0, (guint)len);
	return TRUE;
}

/* One request on a fresh connection; returns the status (0 if none). */
static unsigned one_request(server *srv, const char *request, response *r, gboolean *closed)
{
	client *c = client_new(srv);
	client_send(c, request);
	gboolean got = client_response(c, g_str_has_prefix(request, "HEAD "), r);
	if (closed != NULL)
		*closed = client_closed(c);
	client_free(c);
	return got ? r->code : 0;
}

static char *get_request(const char *method, const char *target, const char *extra)
{
	return g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", method, target,
	                       extra != NULL ? extra : "");
}

static gboolean body_is_alpha(const response *r, gsize start)
{
	for (guint i = 0; i < r->body->len; i++)
		if (r->body->data[i] != alpha_byte(start + i))
			return FALSE;
	return TRUE;
}

static gboolean header_is(const response *r, const char *name, const char *value)
{
	const char *v = gnut_head_get(r->head, name);
	return v != NULL && strcmp(v, value) == 0;
}

static void test_get_by_urn(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	response r = {0};
	CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 200);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE);
	CU_ASSERT_TRUE(body_is_alpha(&r, 0));
	CU_ASSERT_TRUE(g_str_has_prefix(gnut_head_get(r.head, "Server"), "gnutd/"));
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "100000"));
	CU_ASSERT_TRUE(header_is(&r, "X-Gnutella-Content-URN", target + strlen("/uri-res/N2R?")));
	CU_ASSERT_TRUE(header_is(&r, "Content-Type", "application/octet-stream"));
	CU_ASSERT_TRUE(header_is(&r, "Connection", "keep-alive"));
	CU_ASSERT_PTR_NULL(gnut_head_get(r.head, "Content-Range"));
	const char *date = gnut_head_get(r.head, "Date");
	CU_ASSERT_TRUE(date != NULL && strlen(date) == 29 && g_str_has_suffix(date, " GMT"));
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.uploads_done, 1);
	CU_ASSERT_EQUAL(st.bytes_up, ALPHA_SIZE);
	CU_ASSERT_EQUAL(st.requests, 1);
	response_clear(&r);
	server_free(srv);
}

/* What the push-proxy callback was handed; it answers code. */
typedef struct {
	guint calls;
	gnut_guid servent;
	uint32_t requester, ipv4;
	guint16 port;
	unsigned code;
} proxy_calls;

static unsigned on_push_proxy(const gnut_guid *servent, uint32_t requester, uint32_t ipv4,
                              guint16 port, gpointer data)
{
	proxy_calls *pc = data;
	pc->calls++;
	pc->servent = *servent;
	pc->requester = requester;
	pc->ipv4 = ipv4;
	pc->port = port;
	return pc->code;
}

/* A push-proxy request (either target form) goes to the callback with the
 * GUID, the requester's address and X-Node, and its status is the answer;
 * a bad target or X-Node is 400 without a call; with no callback, 404. */
static void test_push_proxy_requests(void)
{
	proxy_calls pc = {.code = GNUT_HTTP_ACCEPTED};
	gnut_uploads_config cfg = {.push_proxy = on_push_proxy, .push_proxy_data = &pc};
	server *srv = server_new(&cfg, FALSE, 0);
	response r = {0};
	g_autofree char *spec =
	    get_request("GET", "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4",
	                "X-Node: 127.0.0.1:6348\r\n");
	CU_ASSERT_EQUAL(one_request(srv, spec, &r, NULL), 202);
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "0"));
	response_clear(&r);
	CU_ASSERT_EQUAL(pc.calls, 1);
	CU_ASSERT_EQUAL(pc.servent.bytes[15], 15);
	CU_ASSERT_EQUAL(pc.requester, 0x7f000001);
	CU_ASSERT_EQUAL(pc.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(pc.port, 6348);
	pc.code = GNUT_HTTP_GONE;
	g_autofree char *gtkg =
	    get_request("GET", "/gnet/push-proxy?guid=000102030405060708090a0b0c0d0e0f",
	                "X-Node: 10.0.0.1:80\r\n");
	CU_ASSERT_EQUAL(one_request(srv, gtkg, &r, NULL), 410);
	response_clear(&r);
	CU_ASSERT_EQUAL(pc.calls, 2);
	CU_ASSERT_EQUAL(pc.ipv4, 0x0a000001);
	static const char *const bad[] = {"X-Node: 127.0.0.1\r\n", "X-Node: nowhere:80\r\n",
	                                  "X-Node: 127.0.0.1:0\r\n", NULL};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *req = get_request(
		    "GET", "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4", bad[i]);
		CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 400);
		response_clear(&r);
	}
	g_autofree char *no_guid =
	    get_request("GET", "/gnutella/push-proxy?ServerId=AAAQ", "X-Node: 127.0.0.1:6348\r\n");
	CU_ASSERT_EQUAL(one_request(srv, no_guid, &r, NULL), 400);
	response_clear(&r);
	CU_ASSERT_EQUAL(pc.calls, 2);
	server_free(srv);
	srv = server_new(NULL, FALSE, 0);
	CU_ASSERT_EQUAL(one_request(srv, spec, &r, NULL), 404);
	response_clear(&r);
	server_free(srv);
}

static void test_get_by_index(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autoptr(gnut_shared_file) f = shared(srv, SMALL_NAME);
	g_autoptr(GString) target = g_string_new(NULL);
	g_string_append_printf(target, "/get/%u/", f->index);
	gnut_http_url_encode(target, SMALL_NAME);
	client *c = client_new(srv);
	g_autofree char *req = get_request("GET", target->str, NULL);
	client_send(c, req);
	response r = {0};
	CU_ASSERT_TRUE_FATAL(client_response(c, FALSE, &r));
	CU_ASSERT_EQUAL(r.code, 200);
	CU_ASSERT_EQUAL(r.body->len, strlen(SMALL_BODY));
	CU_ASSERT_EQUAL(memcmp(r.body->data, SMALL_BODY, r.body->len), 0);
	CU_ASSERT_TRUE(header_is(&r, "Content-Type", "text/plain"));
	/* same index, another name; a name of another case; an unknown index:
	 * all 404, on the same kept-alive connection */
	g_autofree char *wrong = g_strdup_printf("/get/%u/alpha.bin", f->index);
	g_autofree char *upper = g_strdup_printf("/get/%u/TWO%%20WORDS%%20%%C3%%A9.txt", f->index);
	const char *targets[] = {wrong, upper, "/get/4000000000/alpha.bin"};
	for (gsize i = 0; i < G_N_ELEMENTS(targets); i++) {
		g_autofree char *q = get_request("GET", targets[i], NULL);
		client_send(c, q);
		CU_ASSERT_TRUE_FATAL(client_response(c, FALSE, &r));
		CU_ASSERT_EQUAL(r.code, 404);
		CU_ASSERT_EQUAL(r.body->len, 0);
	}
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.not_found, 3);
	CU_ASSERT_EQUAL(st.uploads_done, 1);
	response_clear(&r);
	client_free(c);
	server_free(srv);
}

/* One Range on an open connection: the status, and the body must be
 * alpha's bytes from start. */
static unsigned ranged(client *c, const char *target, const char *range, response *r, gsize start)
{
	g_autofree char *extra = g_strdup_printf("Range: %s\r\n", range);
	g_autofree char *req = get_request("GET", target, extra);
	client_send(c, req);
	if (!client_response(c, FALSE, r))
		return 0;
	CU_ASSERT_TRUE(body_is_alpha(r, start));
	return r->code;
}

static void test_ranges(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	client *c = client_new(srv);
	response r = {0};
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=10-19", &r, 10), 206);
	CU_ASSERT_EQUAL(r.body->len, 10);
	CU_ASSERT_TRUE(header_is(&r, "Content-Range", "bytes 10-19/100000"));
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "10"));
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=-5", &r, 99995), 206);
	CU_ASSERT_EQUAL(r.body->len, 5);
	CU_ASSERT_TRUE(header_is(&r, "Content-Range", "bytes 99995-99999/100000"));
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=99990-", &r, 99990), 206);
	CU_ASSERT_EQUAL(r.body->len, 10);
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=5-2000000", &r, 5), 206);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE - 5);
	/* several ranges: the first one, single-part */
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=0-0,50-59", &r, 0), 206);
	CU_ASSERT_EQUAL(r.body->len, 1);
	CU_ASSERT_TRUE(header_is(&r, "Content-Range", "bytes 0-0/100000"));
	/* 416 keeps the connection */
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=100000-", &r, 0), 416);
	CU_ASSERT_TRUE(header_is(&r, "Content-Range", "bytes */100000"));
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "0"));
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=1000-1999", &r, 1000), 206);
	CU_ASSERT_EQUAL(r.body->len, 1000);
	/* a Range that does not parse: 400, then the connection closes */
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=abc", &r, 0), 400);
	CU_ASSERT_TRUE(header_is(&r, "Connection", "close"));
	CU_ASSERT_TRUE(client_closed(c));
	client_free(c);
	/* an empty file: 200 without a body; any range is unsatisfiable */
	g_autofree char *empty = urn_target(srv, "empty.dat");
	g_autofree char *req = get_request("GET", empty, NULL);
	CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 200);
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "0"));
	g_autofree char *req2 = get_request("GET", empty, "Range: bytes=0-\r\n");
	CU_ASSERT_EQUAL(one_request(srv, req2, &r, NULL), 416);
	response_clear(&r);
	server_free(srv);
}

static void test_bad_requests(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *long_target = g_strnfill(3000, 'a');
	long_target[0] = '/';
	g_autofree char *too_long = g_strdup_printf("GET %s HTTP/1.1\r\n\r\n", long_target);
	const struct {
		const char *request;
		unsigned code;
	} cases[] = {
	    {"GET  /x HTTP/1.1\r\n\r\n", 400},
	    {"GET /x HTTP/2.0\r\n\r\n", 505},
	    {"GET / HTTP/1.1\r\nBogus\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
	    {"GARBAGE\r\n\r\n", 400},
	    {"POST /get/1/alpha.bin HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
	    {"BREW /pot HTTP/1.1\r\n\r\n", 501},
	    {"GET /uri-res/N2R?urn:sha1:ZZZ HTTP/1.1\r\n\r\n", 400},
	    {"GET /uri-res/N2R?urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\n\r\n", 404},
	    {"GET /uri-res/N2X?urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\n\r\n", 404},
	    {"GET /get/x/alpha.bin HTTP/1.1\r\n\r\n", 400},
	    {too_long, 414},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		response r = {0};
		/* every refusal but 404 closes the connection */
		gboolean closed = FALSE;
		gboolean keeps = cases[i].code == 404;
		unsigned code = one_request(srv, cases[i].request, &r, keeps ? NULL : &closed);
		CU_ASSERT_EQUAL(code, cases[i].code);
		CU_ASSERT_TRUE(keeps || closed);
		if (cases[i].code == 405)
			CU_ASSERT_TRUE(header_is(&r, "Allow", "GET, HEAD"));
		response_clear(&r);
	}
	CU_ASSERT_TRUE(gnut_uploads_wants_line("GET / HTTP/1.1"));
	CU_ASSERT_TRUE(gnut_uploads_wants_line("HEAD /x HTTP/1.0"));
	CU_ASSERT_TRUE(gnut_uploads_wants_line("POST /x HTTP/1.1"));
	CU_ASSERT_FALSE(gnut_uploads_wants_line("GNUTELLA CONNECT/0.6"));
	CU_ASSERT_FALSE(gnut_uploads_wants_line("GIV 0:0123456789ABCDEF0123456789ABCDEF/a.mp3"));
	CU_ASSERT_FALSE(gnut_uploads_wants_line("GET"));
	CU_ASSERT_FALSE(gnut_uploads_wants_line(""));
	server_free(srv);
}

static void test_traversal(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autoptr(gnut_shared_file) f = shared(srv, "alpha.bin");
	g_autofree char *secret = g_build_filename(srv->root, "secret.txt", NULL);
	g_autofree char *t1 = g_strdup_printf("/get/%u/../../etc/passwd", f->index);
	g_autofree char *t2 = g_strdup_printf("/get/%u/..%%2fsecret.txt", f->index);
	g_autofree char *t3 =
	    g_strdup_printf("/get/%u/%%2e%%2e%%2f%%2e%%2e%%2fsecret.txt", f->index);
	g_autofree char *t4 = g_strdup_printf("/get/%u/%%2e%%2e", f->index);
	g_autofree char *t5 = g_strdup_printf("/get/%u/%s", f->index, secret);
	g_autofree char *t6 = g_strdup_printf("/get/%u/alpha.bin%%00", f->index);
	const char *targets[] = {t1,
	                         t2,
	                         t3,
	                         t4,
	                         t5,
	                         t6,
	                         secret,
	                         "/../secret.txt",
	                         "/etc/passwd",
	                         "/share/../secret.txt",
	                         "http://127.0.0.1/etc/passwd",
	                         "/uri-res/N2R?../../etc/passwd",
	                         "/uri-res/N2R?urn:sha1:../../../../etc/passwd",
	                         "/get/0/secret.txt"};
	for (gsize i = 0; i < G_N_ELEMENTS(targets); i++) {
		g_autofree char *req = get_request("GET", targets[i], NULL);
		response r = {0};
		unsigned code = one_request(srv, req, &r, NULL);
		CU_ASSERT_TRUE(code == 400 || code == 404);
		CU_ASSERT_TRUE(r.body != NULL && r.body->len == 0);
		CU_ASSERT_TRUE(
		    r.body == NULL || r.body->len == 0 ||
		    g_strstr_len((const char *)r.body->data, (gssize)r.body->len, SECRET) == NULL);
		response_clear(&r);
	}
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.uploads_done, 0);
	CU_ASSERT_EQUAL(st.bytes_up, 0);
	server_free(srv);
}

static void test_head_then_get(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	client *c = client_new(srv);
	g_autofree char *head = get_request("HEAD", target, NULL);
	client_send(c, head);
	response r = {0};
	CU_ASSERT_TRUE_FATAL(client_response(c, TRUE, &r));
	CU_ASSERT_EQUAL(r.code, 200);
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", "100000"));
	CU_ASSERT_PTR_NOT_NULL(gnut_head_get(r.head, "X-Gnutella-Content-URN"));
	/* no body followed: the next bytes are the next answer */
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=0-3", &r, 0), 206);
	CU_ASSERT_EQUAL(r.body->len, 4);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.bytes_up, 4);
	CU_ASSERT_EQUAL(st.requests, 2);
	response_clear(&r);
	client_free(c);
	server_free(srv);
}

static void test_keep_alive(void)
{
	gnut_uploads_config cfg = {.max_requests = 3};
	server *srv = server_new(&cfg, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	client *c = client_new(srv);
	/* two pipelined requests, answered in order */
	g_autofree char *r1 = get_request("GET", target, "Range: bytes=0-99\r\n");
	g_autofree char *r2 = get_request("GET", target, "Range: bytes=500-\r\n");
	g_autofree char *both = g_strconcat(r1, r2, NULL);
	client_send(c, both);
	response r = {0};
	CU_ASSERT_TRUE_FATAL(client_response(c, FALSE, &r));
	CU_ASSERT_EQUAL(r.code, 206);
	CU_ASSERT_EQUAL(r.body->len, 100);
	CU_ASSERT_TRUE(body_is_alpha(&r, 0));
	CU_ASSERT_TRUE_FATAL(client_response(c, FALSE, &r));
	CU_ASSERT_EQUAL(r.code, 206);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE - 500);
	CU_ASSERT_TRUE(body_is_alpha(&r, 500));
	CU_ASSERT_TRUE(header_is(&r, "Connection", "keep-alive"));
	/* the third is the last this connection may make */
	CU_ASSERT_EQUAL(ranged(c, target, "bytes=7-8", &r, 7), 206);
	CU_ASSERT_TRUE(header_is(&r, "Connection", "close"));
	CU_ASSERT_TRUE(client_closed(c));
	client_free(c);
	/* HTTP/1.0 and "Connection: close" close after the body */
	g_autofree char *old = g_strdup_printf("GET %s HTTP/1.0\r\n\r\n", target);
	gboolean closed = FALSE;
	CU_ASSERT_EQUAL(one_request(srv, old, &r, &closed), 200);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE);
	CU_ASSERT_TRUE(header_is(&r, "Connection", "close"));
	CU_ASSERT_TRUE(closed);
	g_autofree char *bye = get_request("GET", target, "Connection: close\r\n");
	CU_ASSERT_EQUAL(one_request(srv, bye, &r, &closed), 200);
	CU_ASSERT_TRUE(closed);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.uploads_done, 5);
	response_clear(&r);
	server_free(srv);
}

static gboolean no_slot_taken(gpointer data)
{
	gnut_uploads_stats st;
	gnut_uploads_get_stats(data, &st);
	return st.active == 0 && st.connections == 0;
}

static gboolean one_slot_taken(gpointer data)
{
	gnut_uploads_stats st;
	gnut_uploads_get_stats(data, &st);
	return st.active == 1;
}

static gboolean no_slot_active(gpointer data)
{
	gnut_uploads_stats st;
	gnut_uploads_get_stats(data, &st);
	return st.active == 0;
}

/* Asks for big.bin on c, which does not read it: the body stays under way
 * and holds a slot until c reads or goes. */
static void start_stalled_body(server *srv, client *c)
{
	g_autofree char *target = urn_target(srv, "big.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	client_send(c, req);
	CU_ASSERT_TRUE_FATAL(run_until(one_slot_taken, srv->uploads));
}

static void test_busy(void)
{
	gnut_uploads_config cfg = {.slots = 1, .retry_after_s = 42, .no_queue = TRUE};
	server *srv = server_new(&cfg, FALSE, BIG_SIZE);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	/* A's body is under way: A holds the only slot */
	client *a = client_new(srv);
	start_stalled_body(srv, a);
	client *b = client_new_from(srv, "127.0.0.2");
	client_send(b, req);
	response r = {0};
	CU_ASSERT_TRUE(client_response(b, FALSE, &r) && r.code == 503);
	CU_ASSERT_TRUE(header_is(&r, "Retry-After", "42"));
	CU_ASSERT_TRUE(client_closed(b));
	client_free(b);
	/* HEAD needs no slot */
	g_autofree char *head = get_request("HEAD", target, NULL);
	CU_ASSERT_EQUAL(one_request(srv, head, &r, NULL), 200);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.active, 1);
	CU_ASSERT_EQUAL(st.slots, 1);
	CU_ASSERT_EQUAL(st.refused_busy, 1);
	CU_ASSERT_EQUAL(st.refused_per_ip, 0);
	/* once A's body is out the slot is free again, A still connected */
	CU_ASSERT_TRUE(client_response(a, FALSE, &r) && r.code == 200);
	CU_ASSERT_EQUAL(r.body->len, BIG_SIZE);
	CU_ASSERT_TRUE(run_until(no_slot_active, srv->uploads));
	CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 200);
	client_free(a);
	CU_ASSERT_TRUE(run_until(no_slot_taken, srv->uploads));
	response_clear(&r);
	server_free(srv);

	/* too many connections: refused before the request is read */
	gnut_uploads_config one = {.max_connections = 1};
	srv = server_new(&one, FALSE, 0);
	gboolean closed = FALSE;
	a = client_new(srv);
	client_send(a, "HEAD /get/1/x HTTP/1.1\r\n\r\n");
	CU_ASSERT_TRUE(client_response(a, TRUE, &r) && r.code == 404);
	CU_ASSERT_EQUAL(one_request(srv, req, &r, &closed), 503);
	CU_ASSERT_TRUE(closed);
	client_free(a);
	response_clear(&r);
	server_free(srv);
}

/* Idle keep-alive connections, more of them than slots, lock nobody out:
 * a connection between requests holds no slot. */
static void test_idle_keep_alive_holds_no_slot(void)
{
	gnut_uploads_config cfg = {.slots = 2};
	server *srv = server_new(&cfg, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	const char *from[] = {"127.0.0.1", "127.0.0.1", "127.0.0.3", "127.0.0.4"};
	client *idle[G_N_ELEMENTS(from)];
	response r = {0};
	for (gsize i = 0; i < G_N_ELEMENTS(from); i++) {
		idle[i] = client_new_from(srv, from[i]);
		client_send(idle[i], req);
		CU_ASSERT_TRUE(client_response(idle[i], FALSE, &r) && r.code == 200);
		CU_ASSERT_TRUE(header_is(&r, "Connection", "keep-alive"));
	}
	CU_ASSERT_TRUE(run_until(no_slot_active, srv->uploads));
	client *b = client_new_from(srv, "127.0.0.2");
	client_send(b, req);
	CU_ASSERT_TRUE(client_response(b, FALSE, &r) && r.code == 200);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE);
	client_free(b);
	/* and the idle ones may still ask again */
	client_send(idle[0], req);
	CU_ASSERT_TRUE(client_response(idle[0], FALSE, &r) && r.code == 200);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.refused_busy, 0);
	CU_ASSERT_EQUAL(st.uploads_done, G_N_ELEMENTS(from) + 2);
	for (gsize i = 0; i < G_N_ELEMENTS(from); i++)
		client_free(idle[i]);
	response_clear(&r);
	server_free(srv);
}

/* One body at a time per address by default, more when configured; other
 * addresses are served meanwhile. */
static void test_slots_per_ip(void)
{
	gnut_uploads_config no_queue = {.no_queue = TRUE};
	server *srv = server_new(&no_queue, FALSE, BIG_SIZE);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	client *a1 = client_new(srv);
	start_stalled_body(srv, a1);
	client *a2 = client_new(srv);
	client_send(a2, req);
	response r = {0};
	CU_ASSERT_TRUE(client_response(a2, FALSE, &r) && r.code == 503);
	g_autofree char *retry = g_strdup_printf("%d", GNUT_UPLOADS_DEFAULT_RETRY_AFTER_S);
	CU_ASSERT_TRUE(header_is(&r, "Retry-After", retry));
	CU_ASSERT_TRUE(client_closed(a2));
	client_free(a2);
	client *b = client_new_from(srv, "127.0.0.2");
	client_send(b, req);
	CU_ASSERT_TRUE(client_response(b, FALSE, &r) && r.code == 200);
	client_free(b);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.refused_busy, 1);
	CU_ASSERT_EQUAL(st.refused_per_ip, 1);
	client_free(a1);
	CU_ASSERT_TRUE(run_until(no_slot_taken, srv->uploads));
	server_free(srv);

	gnut_uploads_config two = {.slots_per_ip = 2};
	srv = server_new(&two, FALSE, BIG_SIZE);
	g_autofree char *target2 = urn_target(srv, "alpha.bin");
	g_autofree char *req2 = get_request("GET", target2, NULL);
	a1 = client_new(srv);
	start_stalled_body(srv, a1);
	CU_ASSERT_EQUAL(one_request(srv, req2, &r, NULL), 200);
	client_free(a1);
	response_clear(&r);
	server_free(srv);
}

/* A queued 503 from c: its X-Queued (position, length, lifetime, ID) and
 * Retry-After; the connection is closed after it. */
static gboolean queued_reply(client *c, guint position, guint length, guint retry,
                             gnut_x_queued *xq)
{
	response r = {0};
	gboolean ok = client_response(c, FALSE, &r) && r.code == 503 &&
	              header_is(&r, "X-Queue", GNUT_X_QUEUE_VERSION);
	const char *v = ok ? gnut_head_get(r.head, "X-Queued") : NULL;
	g_autofree char *retry_text = g_strdup_printf("%u", retry);
	ok = ok && v != NULL && gnut_x_queued_parse(v, strlen(v), xq) == GNUT_PROTO_OK &&
	     xq->position == position && xq->length == length && xq->has_lifetime &&
	     xq->lifetime_s > retry && !xq->has_eta && strlen(xq->id) == 32 &&
	     header_is(&r, "Retry-After", retry_text) && client_closed(c);
	response_clear(&r);
	return ok;
}

/* A request for a body from 127.0.0.<host> with X-Queue (and X-Queued
 * naming id when given). */
static client *queued_request(server *srv, const char *target, int host, const char *id)
{
	g_autofree char *from = g_strdup_printf("127.0.0.%d", host);
	g_autofree char *extra = id != NULL ? g_strdup_printf("X-Queue: 1.1\r\nX-Queued: "
	                                                      "position=1; ID=%s\r\n",
	                                                      id)
	                                    : g_strdup("X-Queue: 1.1\r\n");
	g_autofree char *req = get_request("GET", target, extra);
	client *c = client_new_from(srv, from);
	client_send(c, req);
	return c;
}

/* Slots full: requests queue (X-Queued, Retry-After by position); a freed
 * slot is kept for the head, not given to a newcomer; a poll before
 * Retry-After loses its place; the head that comes in time is served. */
static void test_queue(void)
{
	gnut_uploads_config cfg = {.slots = 1};
	server *srv = server_new(&cfg, TRUE, BIG_SIZE);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	client *a = client_new(srv);
	start_stalled_body(srv, a);
	gnut_x_queued b_q, c_q, d_q;
	client *b = queued_request(srv, target, 2, NULL);
	CU_ASSERT_TRUE(queued_reply(b, 1, 1, 30, &b_q));
	client *c = queued_request(srv, target, 3, NULL);
	CU_ASSERT_TRUE(queued_reply(c, 2, 2, 50, &c_q));
	response r = {0};
	CU_ASSERT_TRUE(client_response(a, FALSE, &r) && r.code == 200);
	CU_ASSERT_TRUE(run_until(no_slot_active, srv->uploads));
	/* the slot is kept for b: a newcomer queues behind */
	client *d = queued_request(srv, target, 4, NULL);
	CU_ASSERT_TRUE(queued_reply(d, 3, 3, 70, &d_q));
	/* b comes back too early: queued anew, at the tail */
	client *b2 = queued_request(srv, target, 2, b_q.id);
	gnut_x_queued again;
	CU_ASSERT_TRUE(queued_reply(b2, 3, 3, 70, &again));
	CU_ASSERT_STRING_NOT_EQUAL(again.id, b_q.id);
	/* c, now the head, comes back in time: served */
	gnut_clock_manual_advance(srv->clock, 50 * G_USEC_PER_SEC);
	client *c2 = queued_request(srv, target, 3, c_q.id);
	CU_ASSERT_TRUE(client_response(c2, FALSE, &r) && r.code == 200);
	CU_ASSERT_EQUAL(r.body->len, ALPHA_SIZE);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.queued, 2);
	CU_ASSERT_EQUAL(st.queue_served, 1);
	CU_ASSERT_EQUAL(st.queue_early, 1);
	client *clients[] = {a, b, c, d, b2, c2};
	for (gsize i = 0; i < G_N_ELEMENTS(clients); i++)
		client_free(clients[i]);
	response_clear(&r);
	server_free(srv);
}

static gboolean connections_are(server *srv, guint n)
{
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	return st.connections == n;
}

static gboolean three_connections(gpointer data)
{
	return connections_are(data, 3);
}

/* Past connections_per_ip from one address: 503 before the request is
 * read, and closed; other addresses are served. */
static void test_connections_per_ip(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *head = get_request("HEAD", target, NULL);
	client *held[GNUT_UPLOADS_DEFAULT_CONNECTIONS_PER_IP];
	response r = {0};
	for (gsize i = 0; i < G_N_ELEMENTS(held); i++) {
		held[i] = client_new(srv);
		client_send(held[i], head);
		CU_ASSERT_TRUE(client_response(held[i], TRUE, &r) && r.code == 200);
	}
	gboolean closed = FALSE;
	CU_ASSERT_EQUAL(one_request(srv, head, &r, &closed), 503);
	CU_ASSERT_PTR_NOT_NULL(gnut_head_get(r.head, "Retry-After"));
	CU_ASSERT_TRUE(closed);
	client *b = client_new_from(srv, "127.0.0.2");
	g_autofree char *req = get_request("GET", target, NULL);
	client_send(b, req);
	CU_ASSERT_TRUE(client_response(b, FALSE, &r) && r.code == 200);
	client_free(b);
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.refused_per_ip, 1);
	/* one goes: room for another */
	client_free(held[0]);
	CU_ASSERT_TRUE_FATAL(run_until(three_connections, srv));
	held[0] = client_new(srv);
	client_send(held[0], head);
	CU_ASSERT_TRUE(client_response(held[0], TRUE, &r) && r.code == 200);
	for (gsize i = 0; i < G_N_ELEMENTS(held); i++)
		client_free(held[i]);
	server_free(srv);

	gnut_uploads_config two = {.connections_per_ip = 2};
	srv = server_new(&two, FALSE, 0);
	client *c1 = client_new(srv), *c2 = client_new(srv);
	client_send(c1, head);
	client_send(c2, head);
	CU_ASSERT_TRUE(client_response(c1, TRUE, &r) && r.code == 200);
	CU_ASSERT_TRUE(client_response(c2, TRUE, &r) && r.code == 200);
	CU_ASSERT_EQUAL(one_request(srv, head, &r, NULL), 503);
	client_free(c1);
	client_free(c2);
	response_clear(&r);
	server_free(srv);
}

static void test_oversize_head(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autoptr(GString) big = g_string_new("GET / HTTP/1.1\r\n");
	for (int i = 0; i < 200; i++)
		g_string_append_printf(big, "X-Pad-%d: %0100d\r\n", i, i);
	g_string_append(big, "\r\n");
	g_autofree char *long_value = g_strnfill(5000, 'v');
	g_autofree char *long_line = g_strdup_printf("GET / HTTP/1.1\r\nX: %s\r\n\r\n", long_value);
	const char *requests[] = {big->str, long_line};
	for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
		response r = {0};
		gboolean closed = FALSE;
		unsigned code = one_request(srv, requests[i], &r, &closed);
		/* 400, or a reset that beat it: either way the connection ends */
		CU_ASSERT_TRUE(code == 400 || code == 0);
		CU_ASSERT_TRUE(closed);
		response_clear(&r);
	}
	server_free(srv);
}

static gboolean one_connection(gpointer data)
{
	return connections_are(data, 1);
}

static void test_idle_timeouts(void)
{
	gnut_uploads_config cfg = {.idle_timeout_s = 5, .keepalive_timeout_s = 5};
	server *srv = server_new(&cfg, TRUE, 0);
	/* a head that never completes */
	client *c = client_new(srv);
	client_send(c, "GET /get/1/x HTTP/1.1\r\n");
	CU_ASSERT_TRUE_FATAL(run_until(one_connection, srv));
	gnut_clock_manual_advance(srv->clock, 4 * G_USEC_PER_SEC);
	gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
	g_main_context_iteration(NULL, FALSE);
	CU_ASSERT_TRUE(connections_are(srv, 1));
	gnut_clock_manual_advance(srv->clock, 2 * G_USEC_PER_SEC);
	gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
	CU_ASSERT_TRUE(client_closed(c));
	client_free(c);
	/* a kept-alive connection with no next request */
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	c = client_new(srv);
	client_send(c, req);
	response r = {0};
	CU_ASSERT_TRUE(client_response(c, FALSE, &r) && r.code == 200);
	gnut_clock_manual_advance(srv->clock, 6 * G_USEC_PER_SEC);
	gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
	CU_ASSERT_TRUE(client_closed(c));
	CU_ASSERT_TRUE(run_until(no_slot_taken, srv->uploads));
	client_free(c);
	response_clear(&r);
	server_free(srv);
}

static void pump(void);

static void advance_and_tick(server *srv, gint64 seconds)
{
	gnut_clock_manual_advance(srv->clock, seconds * G_USEC_PER_SEC);
	gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
}

/* By default an idle kept-alive connection goes after the keep-alive
 * timeout, sooner than a first request head is given up on. */
static void test_keep_alive_timeout(void)
{
	const gint64 keep = GNUT_UPLOADS_DEFAULT_KEEPALIVE_TIMEOUT_S;
	CU_ASSERT_TRUE(keep < GNUT_UPLOADS_DEFAULT_IDLE_TIMEOUT_S);
	server *srv = server_new(NULL, TRUE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	client *slow = client_new(srv);
	client_send(slow, "GET /get/1/x HTTP/1.1\r\n");
	CU_ASSERT_TRUE_FATAL(run_until(one_connection, srv));
	client *c = client_new(srv);
	client_send(c, req);
	response r = {0};
	CU_ASSERT_TRUE(client_response(c, FALSE, &r) && r.code == 200);
	advance_and_tick(srv, keep - 1);
	pump();
	CU_ASSERT_TRUE(connections_are(srv, 2));
	advance_and_tick(srv, 2);
	CU_ASSERT_TRUE(client_closed(c));
	/* the first head still has until the idle timeout */
	CU_ASSERT_TRUE(run_until(one_connection, srv));
	advance_and_tick(srv, GNUT_UPLOADS_DEFAULT_IDLE_TIMEOUT_S - keep - 2);
	pump();
	CU_ASSERT_TRUE(connections_are(srv, 1));
	advance_and_tick(srv, 2);
	CU_ASSERT_TRUE(client_closed(slow));
	client_free(c);
	client_free(slow);
	response_clear(&r);
	server_free(srv);
}

/* Runs the main context without blocking, so the server does all it can
 * without the clock moving. */
static void pump(void)
{
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
}

/* Waits until a reply head has arrived; its length. */
static gsize client_wait_head(client *c)
{
	gsize head_len = 0;
	while (gnut_head_scan(c->in->data, c->in->len, &head_len) != GNUT_PROTO_OK)
		CU_ASSERT_TRUE_FATAL(client_fill(c));
	return head_len;
}

static void test_rate_limit(void)
{
	gnut_uploads_config cfg = {.rate_limit = 2048};
	server *srv = server_new(&cfg, TRUE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, "Range: bytes=0-9999\r\n");
	client *c = client_new(srv);
	client_send(c, req);
	gsize head_len = client_wait_head(c);
	/* a full bucket, one second's worth, then nothing until the clock moves */
	CU_ASSERT_TRUE_FATAL(client_wait_bytes(c, head_len + 2048));
	pump();
	client_drain(c);
	CU_ASSERT_EQUAL(c->in->len, head_len + 2048);
	int seconds = 0;
	while (c->in->len < head_len + 10000 && seconds < 20) {
		gnut_clock_manual_advance(srv->clock, G_USEC_PER_SEC);
		gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
		seconds++;
		gsize want = MIN(head_len + 2048 + (gsize)seconds * 2048, head_len + 10000);
		CU_ASSERT_TRUE(client_wait_bytes(c, want));
		pump();
		client_drain(c);
		CU_ASSERT_EQUAL(c->in->len, want);
	}
	CU_ASSERT_EQUAL(seconds, 4);
	response r = {0};
	CU_ASSERT_TRUE(client_response(c, FALSE, &r) && r.code == 206);
	CU_ASSERT_TRUE(r.body != NULL && r.body->len == 10000 && body_is_alpha(&r, 0));
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.bytes_up, 10000);
	CU_ASSERT_EQUAL(st.uploads_done, 1);
	/* lifting the limit lets the next body go at once */
	gnut_uploads_set_rate_limit(srv->uploads, 0);
	g_autofree char *whole = get_request("GET", target, NULL);
	client_send(c, whole);
	CU_ASSERT_TRUE(client_response(c, FALSE, &r) && r.body->len == ALPHA_SIZE);
	response_clear(&r);
	client_free(c);
	server_free(srv);
}

/* A limit changed while a body is being sent applies to that body: halved,
 * a second brings half as much; lifted, the rest goes with the clock still. */
static void test_rate_limit_changed_live(void)
{
	gnut_uploads_config cfg = {.rate_limit = 2048};
	server *srv = server_new(&cfg, TRUE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	client *c = client_new(srv);
	client_send(c, req);
	gsize head_len = client_wait_head(c);
	CU_ASSERT_TRUE_FATAL(client_wait_bytes(c, head_len + 2048));
	gnut_uploads_set_rate_limit(srv->uploads, 1024);
	gnut_clock_manual_advance(srv->clock, G_USEC_PER_SEC);
	gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
	CU_ASSERT_TRUE(client_wait_bytes(c, head_len + 2048 + 1024));
	pump();
	client_drain(c);
	CU_ASSERT_EQUAL(c->in->len, head_len + 2048 + 1024);
	gnut_uploads_set_rate_limit(srv->uploads, 0);
	response r = {0};
	CU_ASSERT_TRUE(client_response(c, FALSE, &r) && r.code == 200);
	CU_ASSERT_TRUE(r.body != NULL && r.body->len == ALPHA_SIZE && body_is_alpha(&r, 0));
	response_clear(&r);
	client_free(c);
	server_free(srv);
}

/* On the system clock the limiter's own timer resumes the body: 50 kB/s
 * sends the first 50 kB at once, the rest as the bucket refills. */
static void test_rate_limit_timer(void)
{
	gnut_uploads_config cfg = {.rate_limit = 50000};
	server *srv = server_new(&cfg, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	response r = {0};
	CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 200);
	CU_ASSERT_TRUE(r.body != NULL && r.body->len == ALPHA_SIZE && body_is_alpha(&r, 0));
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.bytes_up, ALPHA_SIZE);
	response_clear(&r);
	server_free(srv);
}

static void test_stalled_client_dropped(void)
{
	const gsize big = 32 * 1024 * 1024;
	server *srv = server_new(NULL, TRUE, big);
	g_autofree char *target = urn_target(srv, "big.bin");
	g_autofree char *req = get_request("GET", target, NULL);
	client *c = client_new(srv);
	client_send(c, req);
	/* the client reads nothing: the body fills the socket buffers, then
	 * makes no progress for the send timeout */
	int rounds = 0;
	while (!connections_are(srv, 0) && rounds < 1000) {
		pump();
		gnut_clock_manual_advance(srv->clock, (GNUT_UPLOADS_DEFAULT_SEND_TIMEOUT_S + 1) *
		                                          G_USEC_PER_SEC);
		gnut_uploads_tick(srv->uploads, gnut_clock_now_us(srv->clock));
		pump();
		rounds++;
	}
	CU_ASSERT_TRUE(connections_are(srv, 0));
	gnut_uploads_stats st;
	gnut_uploads_get_stats(srv->uploads, &st);
	CU_ASSERT_EQUAL(st.uploads_done, 0);
	CU_ASSERT_TRUE(st.bytes_up < big);
	CU_ASSERT_EQUAL(st.active, 0);
	client_free(c);
	server_free(srv);
}

static void test_changed_on_disk(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autofree char *alpha = urn_target(srv, "alpha.bin");
	g_autofree char *small = urn_target(srv, SMALL_NAME);
	g_autofree char *empty = urn_target(srv, "empty.dat");
	/* grown, removed, and replaced by a FIFO since the scan */
	write_alpha(srv->share_dir, ALPHA_SIZE + 1);
	g_autofree char *small_path = g_build_filename(srv->share_dir, SMALL_NAME, NULL);
	g_autofree char *empty_path = g_build_filename(srv->share_dir, "empty.dat", NULL);
	CU_ASSERT_EQUAL(g_unlink(small_path), 0);
	CU_ASSERT_EQUAL(g_unlink(empty_path), 0);
	CU_ASSERT_EQUAL(mkfifo(empty_path, 0600), 0);
	const char *targets[] = {alpha, small, empty};
	for (gsize i = 0; i < G_N_ELEMENTS(targets); i++) {
		g_autofree char *req = get_request("GET", targets[i], NULL);
		response r = {0};
		CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 404);
		response_clear(&r);
	}
	server_free(srv);
}

static void count_call(gpointer data)
{
	(*(guint *)data)++;
}

static gboolean body_has(const response *r, const char *text)
{
	return r->body != NULL && r->body->len > 0 &&
	       g_strstr_len((const char *)r->body->data, (gssize)r->body->len, text) != NULL;
}

/* sub/ swapped for a symlink to outside/, whose inner.txt has the size and
 * mtime of the one indexed: 404, never the outside content, and the owner
 * is told to rescan. The same for a file replaced in place by another of
 * the same size and mtime. */
static void test_swapped_folder(void)
{
	guint stale = 0;
	gnut_uploads_config cfg = {.stale = count_call, .stale_data = &stale};
	server *srv = server_new(&cfg, FALSE, 0);
	g_autoptr(gnut_shared_file) f = shared(srv, "inner.txt");
	g_autofree char *target = urn_target(srv, "inner.txt");
	g_autofree char *by_index = g_strdup_printf("/get/%u/inner.txt", f->index);
	g_autofree char *req = get_request("GET", target, NULL);
	g_autofree char *req2 = get_request("GET", by_index, NULL);
	response r = {0};
	CU_ASSERT_EQUAL(one_request(srv, req, &r, NULL), 200);
	CU_ASSERT_TRUE(body_has(&r, INSIDE_BODY));
	g_autofree char *sub = g_build_filename(srv->share_dir, "sub", NULL);
	g_autofree char *moved = g_build_filename(srv->root, "sub.moved", NULL);
	g_autofree char *outside = g_build_filename(srv->root, "outside", NULL);
	CU_ASSERT_EQUAL_FATAL(rename(sub, moved), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, sub), 0);
	const char *requests[] = {req, req2};
	for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
		CU_ASSERT_EQUAL(one_request(srv, requests[i], &r, NULL), 404);
		CU_ASSERT_TRUE(r.body != NULL && r.body->len == 0);
		CU_ASSERT_FALSE(body_has(&r, "OUTSIDE"));
	}
	CU_ASSERT_EQUAL(stale, 2);
	/* alpha.bin replaced in place: same size and mtime, other bytes */
	struct stat st;
	g_autofree char *alpha = g_build_filename(srv->share_dir, "alpha.bin", NULL);
	CU_ASSERT_EQUAL_FATAL(stat(alpha, &st), 0);
	g_autofree char *target3 = urn_target(srv, "alpha.bin");
	g_autofree char *zeros = g_malloc0(ALPHA_SIZE);
	write_file(srv->root, "alpha.new", zeros, ALPHA_SIZE);
	g_autofree char *fresh = g_build_filename(srv->root, "alpha.new", NULL);
	struct timespec times[2] = {st.st_mtim, st.st_mtim};
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, fresh, times, 0), 0);
	CU_ASSERT_EQUAL_FATAL(rename(fresh, alpha), 0);
	g_autofree char *req3 = get_request("GET", target3, NULL);
	CU_ASSERT_EQUAL(one_request(srv, req3, &r, NULL), 404);
	CU_ASSERT_EQUAL(stale, 3);
	gnut_uploads_stats ust;
	gnut_uploads_get_stats(srv->uploads, &ust);
	CU_ASSERT_EQUAL(ust.stale, 3);
	CU_ASSERT_EQUAL(ust.uploads_done, 1);
	CU_ASSERT_EQUAL(ust.bytes_up, strlen(INSIDE_BODY));
	response_clear(&r);
	server_free(srv);
}

/* One request from a loopback address; the status, r filled. */
static unsigned request_from(server *srv, const char *from, const char *req, response *r)
{
	client *c = client_new_from(srv, from);
	client_send(c, req);
	gboolean got = client_response(c, g_str_has_prefix(req, "HEAD "), r);
	client_free(c);
	return got ? r->code : 0;
}

static void test_thex_answer(void)
{
	server *srv = server_new(NULL, FALSE, 0);
	g_autoptr(gnut_shared_file) f = shared(srv, "alpha.bin");
	g_autofree guint8 *alpha = g_malloc(ALPHA_SIZE);
	for (gsize i = 0; i < ALPHA_SIZE; i++)
		alpha[i] = alpha_byte(i);
	uint8_t root[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer(alpha, ALPHA_SIZE, root);
	char urn[GNUT_URN_SHA1_LEN + 1], b32[64];
	gnut_urn_format_sha1(f->sha1, urn);
	gnut_base32_encode(root, sizeof root, false, b32);
	g_autofree char *thex_uri = g_strdup_printf("/uri-res/N2X?%s;%s", urn, b32);
	/* The file's answer names the tree, root included. */
	g_autofree char *target = urn_target(srv, "alpha.bin");
	g_autofree char *get = get_request("GET", target, "Range: bytes=0-9\r\n");
	response r = {0};
	CU_ASSERT_EQUAL(one_request(srv, get, &r, NULL), 206);
	CU_ASSERT_TRUE(header_is(&r, "X-Thex-URI", thex_uri));
	/* The tree: a DIME answer leading to the root computed here. */
	g_autofree char *tree_get = get_request("GET", thex_uri, NULL);
	CU_ASSERT_EQUAL_FATAL(one_request(srv, tree_get, &r, NULL), 200);
	CU_ASSERT_TRUE(header_is(&r, "Content-Type", "application/dime"));
	gnut_thex_level *l = NULL;
	CU_ASSERT_EQUAL(gnut_thex_answer_parse(r.body->data, r.body->len, ALPHA_SIZE, root, &l),
	                GNUT_PROTO_OK);
	CU_ASSERT_TRUE(l != NULL && gnut_thex_check_slice(l, 0, alpha, ALPHA_SIZE));
	gnut_thex_level_free(l);
	gsize body_len = r.body->len;
	g_autofree char *head = get_request("HEAD", thex_uri, NULL);
	CU_ASSERT_EQUAL(one_request(srv, head, &r, NULL), 200);
	g_autofree char *len_text = g_strdup_printf("%" G_GSIZE_FORMAT, body_len);
	CU_ASSERT_TRUE(header_is(&r, "Content-Length", len_text));
	CU_ASSERT_EQUAL(r.body->len, 0);
	/* Without the root, and for a file we do not share. */
	g_autofree char *bare = g_strdup_printf("/uri-res/N2X?%s", urn);
	g_autofree char *bare_get = get_request("GET", bare, NULL);
	CU_ASSERT_EQUAL(one_request(srv, bare_get, &r, NULL), 200);
	g_autofree char *unknown =
	    get_request("GET", "/uri-res/N2X?urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL);
	CU_ASSERT_EQUAL(one_request(srv, unknown, &r, NULL), 404);
	response_clear(&r);
	server_free(srv);
}

static void test_mesh_headers(void)
{
	g_autoptr(gnut_mesh) mesh = gnut_mesh_new(0, 0, 0);
	gnut_uploads_config cfg = {.mesh = mesh, .allow_local = TRUE, .connections_per_ip = 8};
	server *srv = server_new(&cfg, FALSE, 0);
	g_autofree char *target = urn_target(srv, "alpha.bin");
	response r = {0};
	g_autofree char *announce =
	    get_request("HEAD", target,
	                "X-Alt: tls=8, 127.0.0.5:7000, 10.0.0.9:1234, 0.0.0.0:1, 224.0.0.1:5\r\n");
	CU_ASSERT_EQUAL(request_from(srv, "127.0.0.1", announce, &r), 200);
	CU_ASSERT_EQUAL(gnut_mesh_size(mesh), 2);
	/* The next downloader hears of both, the TLS one marked. */
	g_autofree char *plain = get_request("HEAD", target, NULL);
	CU_ASSERT_EQUAL(request_from(srv, "127.0.0.2", plain, &r), 200);
	CU_ASSERT_TRUE(header_is(&r, "X-Alt", "tls=4, 10.0.0.9:1234, 127.0.0.5:7000"));
	/* Nobody is told about itself. */
	CU_ASSERT_EQUAL(request_from(srv, "127.0.0.5", plain, &r), 200);
	CU_ASSERT_TRUE(header_is(&r, "X-Alt", "10.0.0.9:1234"));
	/* X-Nalt forgets a source. */
	g_autofree char *nalt = get_request("HEAD", target, "X-Nalt: 10.0.0.9:1234\r\n");
	CU_ASSERT_EQUAL(request_from(srv, "127.0.0.3", nalt, &r), 200);
	CU_ASSERT_TRUE(header_is(&r, "X-Alt", "tls=8, 127.0.0.5:7000"));
	CU_ASSERT_EQUAL(gnut_mesh_size(mesh), 1);
	response_clear(&r);
	server_free(srv);
	/* A servent on a public address takes no loopback or private source. */
	g_autoptr(gnut_mesh) strict = gnut_mesh_new(0, 0, 0);
	gnut_uploads_config pub = {.mesh = strict};
	srv = server_new(&pub, FALSE, 0);
	g_free(target);
	target = urn_target(srv, "alpha.bin");
	g_autofree char *again =
	    get_request("HEAD", target, "X-Alt: 127.0.0.5:7000, 10.0.0.9:1234, 8.8.8.8:6346\r\n");
	CU_ASSERT_EQUAL(request_from(srv, "127.0.0.1", again, &r), 200);
	CU_ASSERT_EQUAL(gnut_mesh_size(strict), 1);
	response_clear(&r);
	server_free(srv);
}

static CU_TestInfo tests[] = {
    {"THEX: X-Thex-URI, N2X GET and HEAD, 404", test_thex_answer},
    {"mesh: X-Alt learnt and sent, X-Nalt, address checks", test_mesh_headers},
    {"GET by urn:sha1", test_get_by_urn},
    {"push-proxy requests", test_push_proxy_requests},
    {"GET by /get/<index>/<name>", test_get_by_index},
    {"ranges, 416 and 400", test_ranges},
    {"malformed and refused requests", test_bad_requests},
    {"traversal attempts never leave the index", test_traversal},
    {"HEAD sends no body", test_head_then_get},
    {"keep-alive, pipelining, close", test_keep_alive},
    {"503 when slots or connections are full", test_busy},
    {"the queue behind the slots", test_queue},
    {"idle keep-alive connections hold no slot", test_idle_keep_alive_holds_no_slot},
    {"one slot per address by default", test_slots_per_ip},
    {"connections per address capped", test_connections_per_ip},
    {"oversize request head", test_oversize_head},
    {"idle timeouts", test_idle_timeouts},
    {"keep-alive timeout shorter than the first head's", test_keep_alive_timeout},
    {"rate limit on the manual clock", test_rate_limit},
    {"rate limit on its timer", test_rate_limit_timer},
    {"a rate limit changed live applies to a running body", test_rate_limit_changed_live},
    {"stalled client dropped", test_stalled_client_dropped},
    {"file changed or vanished on disk", test_changed_on_disk},
    {"a folder swapped for a symlink is not followed", test_swapped_folder},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("upload", tests)
