/* test-tls.c: the servent's TLS certificate (made once, kept 0600, reused,
 * never overwritten when damaged) and connections over TLS on real
 * loopback sockets: the switch from plain text to TLS with the peer's
 * first TLS bytes already buffered, deflate inside TLS, a file range
 * through TLS, flush-and-close, and a handshake that fails. */
#include "gnut/net/conn.h"
#include "gnut/net/tls.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEADLINE_MS 20000
#define HELLO       "HELLO\r\n\r\n"

static void test_cert_made_once_and_reused(void)
{
	char *dir = gnut_unit_mkdtemp();
	GError *err = NULL;
	GTlsCertificate *a = gnut_tls_load_or_create(dir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char *path = g_build_filename(dir, GNUT_TLS_IDENTITY_FILE, NULL);
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	char *pem = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &pem, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(pem, "BEGIN CERTIFICATE"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pem, "PRIVATE KEY"));
	GTlsCertificate *b = gnut_tls_load_or_create(dir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(g_tls_certificate_is_same(a, b));
	char *again = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &again, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(pem, again);
	g_object_unref(a);
	g_object_unref(b);
	g_free(pem);
	g_free(again);
	g_free(path);
	gnut_unit_rmtree(dir);
	g_free(dir);
}

static void test_damaged_cert_kept(void)
{
	char *dir = gnut_unit_mkdtemp();
	char *path = g_build_filename(dir, GNUT_TLS_IDENTITY_FILE, NULL);
	CU_ASSERT_TRUE(g_file_set_contents(path, "not a PEM file\n", -1, NULL));
	GError *err = NULL;
	CU_ASSERT_PTR_NULL(gnut_tls_load_or_create(dir, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	char *text = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(text, "not a PEM file\n");
	g_free(text);
	g_free(path);
	gnut_unit_rmtree(dir);
	g_free(dir);
}

/* One end: collects everything it reads once past its HELLO. */
typedef struct {
	gnut_conn *conn;
	GByteArray *got;
	gboolean want_hello; /* wait for HELLO, then start TLS as server */
	gboolean compress;   /* deflate both ways once TLS is up */
	gboolean ready;
	gboolean closed;
	GError *reason;
	GTlsCertificate *cert;
} end;

static void on_ready(gnut_conn *conn, gpointer data)
{
	end *e = data;
	e->ready = TRUE;
	if (e->compress) {
		gnut_conn_enable_inflate(conn);
		gnut_conn_enable_deflate(conn);
	}
}

static void on_readable(gnut_conn *conn, gpointer data)
{
	end *e = data;
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	if (e->want_hello) {
		if (len < strlen(HELLO))
			return;
		CU_ASSERT_EQUAL(memcmp(in, HELLO, strlen(HELLO)), 0);
		gnut_conn_consume_input(conn, strlen(HELLO));
		e->want_hello = FALSE;
		gnut_conn_start_tls(conn, TRUE, e->cert, on_ready, e);
		return;
	}
	g_byte_array_append(e->got, in, (guint)len);
	gnut_conn_consume_input(conn, len);
}

static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	end *e = data;
	e->closed = TRUE;
	e->reason = g_error_copy(reason);
}

static void end_init(end *e, GSocketConnection *sc, GTlsCertificate *cert)
{
	memset(e, 0, sizeof *e);
	e->conn = gnut_conn_new(sc);
	e->got = g_byte_array_new();
	e->cert = cert;
	gnut_conn_set_handlers(e->conn, on_readable, on_closed, e);
	g_object_unref(sc);
}

static void end_clear(end *e)
{
	gnut_conn_set_handlers(e->conn, NULL, NULL, NULL);
	gnut_conn_unref(e->conn);
	g_byte_array_unref(e->got);
	g_clear_error(&e->reason);
}

static gboolean both_ready(gpointer data)
{
	end *e = data;
	return (e[0].ready && e[1].ready) || e[0].closed || e[1].closed;
}

typedef struct {
	end *e;
	gsize want;
} got_wait;

static gboolean has_bytes(gpointer data)
{
	got_wait *w = data;
	return w->e->got->len >= w->want || w->e->closed;
}

static gboolean client_hello_waiting(gpointer data)
{
	GSocket *sock = data;
	return g_socket_get_available_bytes(sock) > (gssize)strlen(HELLO);
}

static gboolean keep_watching(GSocket *sock, GIOCondition cond, gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* A client and a server conn in TLS. The server's conn reads nothing until
 * the client's ClientHello is queued behind HELLO in its socket, so the
 * server's first read takes both: the buffered-prefix path. */
static GTlsCertificate *tls_pair(end *e, gboolean compress)
{
	char *dir = gnut_unit_mkdtemp();
	GTlsCertificate *cert = gnut_tls_load_or_create(dir, NULL);
	gnut_unit_rmtree(dir);
	g_free(dir);
	g_assert_nonnull(cert);
	GSocketConnection *c, *s;
	gnut_unit_socket_pair(&c, &s);
	GSocket *server_sock = g_object_ref(g_socket_connection_get_socket(s));
	end_init(&e[0], c, cert);
	end_init(&e[1], s, cert);
	e[0].compress = e[1].compress = compress;
	e[1].want_hello = TRUE;
	gnut_conn_set_handlers(e[1].conn, NULL, on_closed, &e[1]);
	CU_ASSERT_TRUE(gnut_conn_write_raw(e[0].conn, HELLO, strlen(HELLO)));
	gnut_conn_start_tls(e[0].conn, FALSE, NULL, on_ready, &e[0]);
	/* A watch that wakes the loop while bytes wait (it spins only until
	 * the ClientHello follows HELLO). */
	GSource *watch = g_socket_create_source(server_sock, G_IO_IN, NULL);
	g_source_set_callback(watch, G_SOURCE_FUNC(keep_watching), NULL, NULL);
	g_source_attach(watch, NULL);
	CU_ASSERT_TRUE(gnut_unit_run_until(client_hello_waiting, server_sock, DEADLINE_MS));
	g_source_destroy(watch);
	g_source_unref(watch);
	g_object_unref(server_sock);
	gnut_conn_set_handlers(e[1].conn, on_readable, on_closed, &e[1]);
	CU_ASSERT_TRUE(gnut_unit_run_until(both_ready, e, DEADLINE_MS));
	CU_ASSERT_TRUE(gnut_conn_is_tls(e[0].conn) && gnut_conn_is_tls(e[1].conn));
	return cert;
}

static GBytes *pattern(gsize len, guint seed)
{
	guint8 *p = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		p[i] = (guint8)(i * seed + i / 251);
	return g_bytes_new_take(p, len);
}

static void exchange(gboolean compress)
{
	end e[2];
	GTlsCertificate *cert = tls_pair(e, compress);
	const guint n = 200;
	for (guint i = 0; i < n; i++) {
		g_autoptr(GBytes) a = pattern(1000, 3);
		g_autoptr(GBytes) b = pattern(1000, 5);
		CU_ASSERT_TRUE(gnut_conn_send(e[0].conn, a, GNUT_PRIO_HIT));
		CU_ASSERT_TRUE(gnut_conn_send(e[1].conn, b, GNUT_PRIO_HIT));
	}
	got_wait w0 = {&e[0], n * 1000}, w1 = {&e[1], n * 1000};
	CU_ASSERT_TRUE(gnut_unit_run_until(has_bytes, &w0, DEADLINE_MS));
	CU_ASSERT_TRUE(gnut_unit_run_until(has_bytes, &w1, DEADLINE_MS));
	CU_ASSERT_EQUAL(e[0].got->len, n * 1000);
	CU_ASSERT_EQUAL(e[1].got->len, n * 1000);
	g_autoptr(GBytes) a = pattern(1000, 3);
	g_autoptr(GBytes) b = pattern(1000, 5);
	guint good = 0;
	for (guint i = 0; i < n && e[1].got->len == n * 1000 && e[0].got->len == n * 1000; i++)
		good += memcmp(e[1].got->data + i * 1000, g_bytes_get_data(a, NULL), 1000) == 0 &&
		        memcmp(e[0].got->data + i * 1000, g_bytes_get_data(b, NULL), 1000) == 0;
	CU_ASSERT_EQUAL(good, n);
	gnut_conn_stats st;
	gnut_conn_get_stats(e[0].conn, &st);
	CU_ASSERT_EQUAL(st.deflating, compress);
	CU_ASSERT_TRUE(compress ? st.bytes_out < st.payload_out : st.bytes_out == st.payload_out);
	CU_ASSERT_FALSE(e[0].closed || e[1].closed);
	end_clear(&e[0]);
	end_clear(&e[1]);
	g_object_unref(cert);
}

static void test_tls_both_ways(void)
{
	exchange(FALSE);
}

static void test_tls_with_deflate(void)
{
	exchange(TRUE);
}

static gboolean both_closed_pred(gpointer data)
{
	end *e = data;
	return e[0].closed && e[1].closed;
}

static void test_tls_file_range_and_close(void)
{
	char *dir = gnut_unit_mkdtemp();
	char *path = g_build_filename(dir, "share.bin", NULL);
	g_autoptr(GBytes) content = pattern(300000, 7);
	CU_ASSERT_TRUE_FATAL(
	    g_file_set_contents(path, g_bytes_get_data(content, NULL), 300000, NULL));
	int fd = open(path, O_RDONLY);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	end e[2];
	GTlsCertificate *cert = tls_pair(e, FALSE);
	CU_ASSERT_TRUE(gnut_conn_write_raw(e[1].conn, "HDR\n", 4));
	gnut_conn_send_file_range(e[1].conn, fd, 1000, 250000, NULL, NULL);
	gnut_conn_flush_and_close(e[1].conn);
	got_wait w = {&e[0], 4 + 250000};
	CU_ASSERT_TRUE(gnut_unit_run_until(has_bytes, &w, DEADLINE_MS));
	CU_ASSERT_EQUAL_FATAL(e[0].got->len, 4 + 250000);
	CU_ASSERT_EQUAL(memcmp(e[0].got->data, "HDR\n", 4), 0);
	CU_ASSERT_EQUAL(memcmp(e[0].got->data + 4,
	                       (const guint8 *)g_bytes_get_data(content, NULL) + 1000, 250000),
	                0);
	/* Our side saw the end of the stream; theirs closed cleanly. */
	CU_ASSERT_TRUE(gnut_unit_run_until(both_closed_pred, e, DEADLINE_MS));
	CU_ASSERT_TRUE(g_error_matches(e[0].reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_PEER_CLOSED));
	CU_ASSERT_TRUE(g_error_matches(e[1].reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL));
	close(fd);
	end_clear(&e[0]);
	end_clear(&e[1]);
	g_object_unref(cert);
	gnut_unit_rmtree(dir);
	g_free(path);
	g_free(dir);
}

static gboolean has_tls_handshake(gpointer data)
{
	return gnut_conn_tls_handshakes() > 0;
}

static gboolean first_closed(gpointer data)
{
	return ((end *)data)->closed;
}

/* A client whose peer answers in plain text: the handshake fails and the
 * close reason says so. */
static void test_tls_handshake_failure(void)
{
	GSocketConnection *c, *s;
	gnut_unit_socket_pair(&c, &s);
	end cl;
	end_init(&cl, c, NULL);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(s));
	const char junk[] = "HTTP/1.1 400 Not TLS\r\n\r\n";
	gnut_conn_start_tls(cl.conn, FALSE, NULL, on_ready, &cl);
	CU_ASSERT_TRUE(g_output_stream_write_all(out, junk, strlen(junk), NULL, NULL, NULL));
	CU_ASSERT_TRUE(gnut_unit_run_until(first_closed, &cl, DEADLINE_MS));
	CU_ASSERT_FALSE(cl.ready);
	CU_ASSERT_TRUE(g_error_matches(cl.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_TLS));
	CU_ASSERT_FALSE(gnut_conn_is_tls(cl.conn));
	end_clear(&cl);
	g_io_stream_close(G_IO_STREAM(s), NULL, NULL);
	g_object_unref(s);
}

static gboolean no_tls_handshake(gpointer data)
{
	return gnut_conn_tls_handshakes() == 0;
}

/* With the cap at one, a second TLS handshake while one stalls fails at
 * once; closing the stalled one frees its place. */
static void test_tls_handshake_cap(void)
{
	gnut_conn_set_tls_handshake_cap(1);
	GSocketConnection *c1, *s1, *c2, *s2;
	gnut_unit_socket_pair(&c1, &s1);
	gnut_unit_socket_pair(&c2, &s2);
	end stalled, refused;
	end_init(&stalled, c1, NULL);
	end_init(&refused, c2, NULL);
	gnut_conn_start_tls(stalled.conn, FALSE, NULL, on_ready, &stalled);
	CU_ASSERT_TRUE(gnut_unit_run_until(has_tls_handshake, NULL, DEADLINE_MS));
	gnut_conn_start_tls(refused.conn, FALSE, NULL, on_ready, &refused);
	CU_ASSERT_TRUE(gnut_unit_run_until(first_closed, &refused, DEADLINE_MS));
	CU_ASSERT_TRUE(g_error_matches(refused.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_TLS));
	CU_ASSERT_PTR_NOT_NULL(refused.reason ? strstr(refused.reason->message, "too many") : NULL);
	CU_ASSERT_FALSE(stalled.closed || stalled.ready);
	gnut_conn_close(stalled.conn, NULL);
	CU_ASSERT_TRUE(gnut_unit_run_until(no_tls_handshake, NULL, DEADLINE_MS));
	gnut_conn_set_tls_handshake_cap(GNUT_CONN_DEFAULT_TLS_HANDSHAKES);
	end_clear(&stalled);
	end_clear(&refused);
	g_object_unref(s1);
	g_object_unref(s2);
}

static int need_backend(void)
{
	if (gnut_tls_available())
		return 0;
	fprintf(stderr, "GIO has no TLS backend: install glib-networking\n");
	return 1;
}

static CU_TestInfo tests[] = {
    {"certificate made once, 0600, reused", test_cert_made_once_and_reused},
    {"damaged certificate file kept, error", test_damaged_cert_kept},
    {"TLS both ways after plain text", test_tls_both_ways},
    {"TLS with deflate inside", test_tls_with_deflate},
    {"TLS file range, flush and close", test_tls_file_range_and_close},
    {"TLS handshake failure is a close reason", test_tls_handshake_failure},
    {"TLS handshakes under way are capped", test_tls_handshake_cap},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("tls", tests, need_backend, NULL)
