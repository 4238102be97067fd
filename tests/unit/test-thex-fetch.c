/* test-thex-fetch.c: the verifier over a partial file on disk (good,
 * corrupted, short and straddling ranges, the good ranges it reports), and
 * the tree fetch against a loopback server that answers with given bytes:
 * a real answer, a 404, a tree of another file, an answer over the cap,
 * one cut short, an address the dial rule refuses, a cancel. */
#include "gnut/core/transfer/thex-fetch.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/thex-answer.h"
#include "thex-fetch-wait.h"
#include "unit.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_SIZE 700000 /* 3 slices of 256 KiB at depth 2 */

static uint8_t *make_data(void)
{
	uint8_t *p = g_malloc(FILE_SIZE);
	for (gsize i = 0; i < FILE_SIZE; i++)
		p[i] = (uint8_t)(i * 13 + i / 4096);
	return p;
}

/* A temporary file holding data[0..len); returns its descriptor. */
static int temp_file(const uint8_t *data, gsize len, char **path)
{
	int fd = g_file_open_tmp("thex-XXXXXX", path, NULL);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, data, len), ==, (gssize)len);
	return fd;
}

static void test_verifier(void)
{
	gnut_digest_init();
	g_autofree uint8_t *data = make_data();
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, FILE_SIZE);
	data[300000] ^= 0xff; /* slice 1 corrupted on disk */
	g_autofree char *path = NULL;
	int fd = temp_file(data, FILE_SIZE, &path);
	g_autoptr(gnut_thex_verifier) v = gnut_thex_verifier_new(l);
	g_autoptr(GArray) bad = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	/* A range holding no whole slice checks nothing. */
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, fd, 1000, 262144 + 1000, bad, NULL), 0);
	CU_ASSERT_EQUAL(bad->len, 0);
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, fd, 0, FILE_SIZE, bad, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(bad->len, 1);
	CU_ASSERT_EQUAL(g_array_index(bad, gnut_http_range, 0).start, 262144);
	CU_ASSERT_EQUAL(g_array_index(bad, gnut_http_range, 0).end, 524287);
	CU_ASSERT_TRUE(gnut_thex_verifier_is_good(v, 0, 262144));
	CU_ASSERT_FALSE(gnut_thex_verifier_is_good(v, 0, 262145));
	CU_ASSERT_TRUE(gnut_thex_verifier_is_good(v, 524288, FILE_SIZE));
	g_autoptr(GArray) good = gnut_thex_verifier_good_ranges(v);
	CU_ASSERT_EQUAL_FATAL(good->len, 2);
	CU_ASSERT_EQUAL(g_array_index(good, gnut_http_range, 1).start, 524288);
	CU_ASSERT_EQUAL(g_array_index(good, gnut_http_range, 1).end, FILE_SIZE - 1);
	/* The range fetched again, right this time. */
	data[300000] ^= 0xff;
	CU_ASSERT_EQUAL(pwrite(fd, data + 300000, 1, 300000), 1);
	g_array_set_size(bad, 0);
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, fd, 262144, 524288, bad, NULL), 1);
	CU_ASSERT_EQUAL(bad->len, 0);
	g_autoptr(GArray) all = gnut_thex_verifier_good_ranges(v);
	CU_ASSERT_EQUAL_FATAL(all->len, 1);
	CU_ASSERT_EQUAL(g_array_index(all, gnut_http_range, 0).end, FILE_SIZE - 1);
	/* Forgotten slices are read again; a short file reads as bad. */
	gnut_thex_verifier_forget(v, 600000, 600001);
	CU_ASSERT_FALSE(gnut_thex_verifier_is_good(v, 0, FILE_SIZE));
	CU_ASSERT_EQUAL(ftruncate(fd, 600000), 0);
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, fd, 0, FILE_SIZE, bad, NULL), 0);
	CU_ASSERT_EQUAL(bad->len, 1);
	GError *err = NULL;
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, -1, 0, FILE_SIZE, NULL, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	close(fd);
	g_unlink(path);
}

/* A loopback server that reads a request and answers with canned bytes,
 * closing afterwards when asked. */
typedef struct {
	GSocketService *service;
	guint16 port;
	GBytes *answer;
	gboolean close_after;
	GPtrArray *conns;
	guint8 buf[4096];
} canned_server;

static void on_request(GObject *source, GAsyncResult *res, gpointer data)
{
	GSocketConnection *conn = data;
	canned_server *srv = g_object_get_data(G_OBJECT(conn), "server");
	if (g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL) <= 0)
		return;
	gsize len = 0;
	const void *p = g_bytes_get_data(srv->answer, &len);
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	g_output_stream_write_all(out, p, len, NULL, NULL, NULL);
	if (srv->close_after)
		g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
                            gpointer data)
{
	canned_server *srv = data;
	g_ptr_array_add(srv->conns, g_object_ref(conn));
	g_object_set_data(G_OBJECT(conn), "server", srv);
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	g_input_stream_read_async(in, srv->buf, sizeof srv->buf, G_PRIORITY_DEFAULT, NULL,
	                          on_request, conn);
	return TRUE;
}

static canned_server *canned_new(GBytes *answer, gboolean close_after)
{
	canned_server *srv = g_new0(canned_server, 1);
	srv->service = g_socket_service_new();
	srv->answer = answer;
	srv->close_after = close_after;
	srv->conns = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) eff = NULL;
	g_assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), sa,
	                                            G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
	                                            NULL, &eff, NULL));
	srv->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(eff));
	g_signal_connect(srv->service, "incoming", G_CALLBACK(on_incoming), srv);
	g_socket_service_start(srv->service);
	return srv;
}

static void canned_free(canned_server *srv)
{
	g_socket_service_stop(srv->service);
	g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
	g_object_unref(srv->service);
	g_ptr_array_unref(srv->conns);
	g_bytes_unref(srv->answer);
	g_free(srv);
}

/* Fetches from a canned server answering head + body. */
static gnut_thex_level *fetch_canned(const char *head, GBytes *body, gboolean close_after,
                                     const gnut_thex_level *l, GCancellable *cancel, GError **error)
{
	GByteArray *all = g_byte_array_new();
	g_byte_array_append(all, (const guint8 *)head, (guint)strlen(head));
	if (body != NULL)
		g_byte_array_append(all, g_bytes_get_data(body, NULL),
		                    (guint)g_bytes_get_size(body));
	canned_server *srv = canned_new(g_byte_array_free_to_bytes(all), close_after);
	gnut_thex_level *level = thex_fetch_wait(0x7f000001, srv->port, "/uri-res/N2X?urn:sha1:X",
	                                         l->file_size, l->root, TRUE, cancel, 20000, error);
	canned_free(srv);
	return level;
}

static char *ok_head(gsize len)
{
	return g_strdup_printf("HTTP/1.1 200 OK\r\nServer: x\r\nContent-Type: application/dime\r\n"
	                       "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
	                       len);
}

static void test_fetch(void)
{
	gnut_digest_init();
	g_autofree uint8_t *data = make_data();
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, FILE_SIZE);
	g_autoptr(GBytes) answer = gnut_thex_answer_build(l);
	g_autofree char *head = ok_head(g_bytes_get_size(answer));
	GError *err = NULL;
	g_autoptr(gnut_thex_level) got = fetch_canned(head, answer, FALSE, l, NULL, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->n_nodes, l->n_nodes);
	CU_ASSERT_EQUAL(memcmp(got->nodes, l->nodes, l->n_nodes * GNUT_TIGER_LEN), 0);

	CU_ASSERT_PTR_NULL(fetch_canned("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", NULL,
	                                FALSE, l, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);

	/* The tree of another file: its root is not the one we know. */
	data[0] ^= 1;
	g_autoptr(gnut_thex_level) other = gnut_thex_level_of_buffer(data, FILE_SIZE);
	g_autoptr(GBytes) wrong = gnut_thex_answer_build(other);
	CU_ASSERT_PTR_NULL(fetch_canned(head, wrong, FALSE, l, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
	g_clear_error(&err);

	g_autofree char *huge = ok_head(GNUT_THEX_ANSWER_MAX + 1);
	CU_ASSERT_PTR_NULL(fetch_canned(huge, answer, FALSE, l, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
	g_clear_error(&err);

	g_autoptr(GBytes) half = g_bytes_new_from_bytes(answer, 0, g_bytes_get_size(answer) / 2);
	CU_ASSERT_PTR_NULL(fetch_canned(head, half, TRUE, l, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED));
	g_clear_error(&err);

	g_autoptr(GCancellable) cancel = g_cancellable_new();
	CU_ASSERT_PTR_NULL(fetch_canned(head, answer, FALSE, l, cancel, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	g_clear_error(&err);

	/* Loopback is not for a servent on the open Internet. */
	CU_ASSERT_PTR_NULL(
	    thex_fetch_wait(0x7f000001, 1, "/x", l->file_size, l->root, FALSE, NULL, 5000, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED));
	g_clear_error(&err);
}

static CU_TestInfo tests[] = {
    {"verifier: good, bad, straddling, short, good ranges", test_verifier},
    {"fetch: answer, 404, wrong root, cap, cut short, cancel, dial rule", test_fetch},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("thex-fetch", tests)
