/* test-upload-partial.c: uploads of partial files over loopback: a
 * partial file of the registry (partials.h) served by URN from its file on
 * disk, only within its available ranges (206), 416 outside them, both
 * with X-Available-Ranges; withdrawn, it is 404; the /get/ form never
 * reaches it. The client runs in a thread with blocking sockets while the
 * main loop serves. */
#include "gnut/core/share/partials.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/net/listener.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILE_SIZE   (64 * 1024)
#define DEADLINE_MS 20000

static struct {
	char *root;
	char *part_path;
	gnut_share *share;
	gnut_partials *partials;
	gnut_uploads *uploads;
	gnut_listener *listener;
	guint16 port;
	uint8_t sha1[GNUT_SHA1_LEN];
	char target[128];
} fx;

static guint8 byte_at(gsize i)
{
	return (guint8)(i * 13 + i / 509);
}

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	gnut_uploads_take(fx.uploads, conn);
}

static int suite_cleanup(void)
{
	if (fx.listener != NULL)
		gnut_listener_free(fx.listener);
	gnut_uploads_free(fx.uploads);
	gnut_partials_free(fx.partials);
	if (fx.share != NULL)
		gnut_share_free(fx.share);
	if (fx.root != NULL)
		gnut_unit_rmtree(fx.root);
	g_free(fx.root);
	g_free(fx.part_path);
	memset(&fx, 0, sizeof fx);
	return 0;
}

/* An empty share, a registry, and a partial file of FILE_SIZE bytes. */
static int suite_init(void)
{
	fx.root = gnut_unit_mkdtemp();
	fx.part_path = g_build_filename(fx.root, "X.part", NULL);
	g_autofree guint8 *data = g_malloc(FILE_SIZE);
	for (gsize i = 0; i < FILE_SIZE; i++)
		data[i] = byte_at(i);
	g_file_set_contents(fx.part_path, (const char *)data, FILE_SIZE, NULL);
	fx.share = gnut_share_new(NULL, NULL);
	fx.partials = gnut_partials_new();
	memset(fx.sha1, 0x42, sizeof fx.sha1);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(fx.sha1, urn);
	g_snprintf(fx.target, sizeof fx.target, "/uri-res/N2R?%s", urn);
	gnut_uploads_config cfg = {.partials = fx.partials};
	fx.uploads = gnut_uploads_new(fx.share, NULL, &cfg);
	gnut_listener_config lc = {.address = "127.0.0.1",
	                           .reconnect_burst = GNUT_IP_ADMIT_UNLIMITED};
	fx.listener = gnut_listener_new(&lc, on_accept, NULL, NULL);
	if (fx.listener == NULL) {
		suite_cleanup();
		return 1;
	}
	fx.port = gnut_listener_get_port(fx.listener);
	return 0;
}

/* One exchange, run by the client thread. */
typedef struct {
	char *request;
	GByteArray *answer; /* everything read until the server closed */
	gboolean done;
} exchange;

static gpointer client_thread(gpointer data)
{
	exchange *x = data;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    write(fd, x->request, strlen(x->request)) == (ssize_t)strlen(x->request)) {
		guint8 buf[4096];
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			g_byte_array_append(x->answer, buf, (guint)n);
	}
	if (fd >= 0)
		close(fd);
	g_atomic_int_set(&x->done, TRUE);
	return NULL;
}

static gboolean exchange_done(gpointer data)
{
	return g_atomic_int_get(&((exchange *)data)->done);
}

/* Sends method + our target with range (NULL: none), Connection: close;
 * returns the answer's status, its head in *head and body in *body. */
static unsigned ask(const char *method, const char *range, gnut_head **head, GByteArray **body)
{
	g_autofree char *range_line =
	    range != NULL ? g_strdup_printf("Range: bytes=%s\r\n", range) : g_strdup("");
	exchange x = {.request = g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	                                         "Connection: close\r\n\r\n",
	                                         method, fx.target, range_line),
	              .answer = g_byte_array_new()};
	GThread *t = g_thread_new("client", client_thread, &x);
	CU_ASSERT_TRUE(gnut_unit_run_until(exchange_done, &x, DEADLINE_MS));
	g_thread_join(t);
	g_free(x.request);
	gsize head_len = 0;
	unsigned code = 0;
	gnut_http_status st;
	if (gnut_head_scan(x.answer->data, x.answer->len, &head_len) == GNUT_PROTO_OK &&
	    gnut_head_parse(x.answer->data, head_len, head) == GNUT_PROTO_OK &&
	    gnut_http_parse_status_line(gnut_head_start_line(*head), &st) == GNUT_PROTO_OK)
		code = st.code;
	g_byte_array_remove_range(x.answer, 0, (guint)head_len);
	*body = x.answer;
	return code;
}

static void answer_clear(gnut_head **h, GByteArray **body)
{
	g_clear_pointer(h, gnut_head_free);
	g_clear_pointer(body, g_byte_array_unref);
}

static gboolean body_is_file(const GByteArray *body, gsize start)
{
	for (guint i = 0; i < body->len; i++)
		if (body->data[i] != byte_at(start + i))
			return FALSE;
	return TRUE;
}

static void publish(const gnut_http_range *r, guint n)
{
	CU_ASSERT_TRUE(gnut_partials_publish(fx.partials, fx.sha1, "growing.bin", FILE_SIZE * 4,
	                                     fx.part_path, r, n, 1000));
}

static void test_available_ranges(void)
{
	const gnut_http_range r[] = {{0, 1023}, {8192, 16383}};
	publish(r, 2);
	g_autoptr(gnut_head) h = NULL;
	g_autoptr(GByteArray) body = NULL;
	CU_ASSERT_EQUAL(ask("GET", "100-199", &h, &body), 206);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Available-Ranges"), "bytes 0-1023,8192-16383");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Range"), "bytes 100-199/262144");
	CU_ASSERT_EQUAL(body->len, 100);
	CU_ASSERT_TRUE(body_is_file(body, 100));
	answer_clear(&h, &body);
	/* a range across a hole: its first available part only */
	CU_ASSERT_EQUAL(ask("GET", "1000-9000", &h, &body), 206);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Range"), "bytes 1000-1023/262144");
	CU_ASSERT_TRUE(body_is_file(body, 1000));
	CU_ASSERT_EQUAL(body->len, 24);
	answer_clear(&h, &body);
	CU_ASSERT_EQUAL(ask("GET", "2000-", &h, &body), 206);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Range"), "bytes 8192-16383/262144");
	CU_ASSERT_TRUE(body_is_file(body, 8192));
	answer_clear(&h, &body);
	/* no Range: the first available range */
	CU_ASSERT_EQUAL(ask("HEAD", NULL, &h, &body), 206);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Range"), "bytes 0-1023/262144");
	CU_ASSERT_EQUAL(body->len, 0);
	answer_clear(&h, &body);
}

static void test_unavailable(void)
{
	const gnut_http_range r[] = {{0, 1023}};
	publish(r, 1);
	g_autoptr(gnut_head) h = NULL;
	g_autoptr(GByteArray) body = NULL;
	CU_ASSERT_EQUAL(ask("GET", "1024-2047", &h, &body), 416);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Available-Ranges"), "bytes 0-1023");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Range"), "bytes */262144");
	CU_ASSERT_EQUAL(body->len, 0);
	answer_clear(&h, &body);
	/* past the partial file's end on disk, but within the file: 416 too */
	CU_ASSERT_EQUAL(ask("GET", "200000-200099", &h, &body), 416);
	answer_clear(&h, &body);
	/* ranges the file on disk does not hold are never served */
	const gnut_http_range beyond[] = {{0, FILE_SIZE}};
	publish(beyond, 1);
	CU_ASSERT_EQUAL(ask("GET", "0-99", &h, &body), 500);
	answer_clear(&h, &body);
	gnut_partials_withdraw(fx.partials, fx.sha1);
	CU_ASSERT_EQUAL(ask("GET", "0-99", &h, &body), 404);
	answer_clear(&h, &body);
	publish(r, 1);
	gnut_partials_set_enabled(fx.partials, FALSE);
	CU_ASSERT_EQUAL(ask("GET", "0-99", &h, &body), 404);
	gnut_partials_set_enabled(fx.partials, TRUE);
}

static CU_TestInfo tests[] = {
    {"available ranges served", test_available_ranges},
    {"unavailable ranges refused", test_unavailable},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("upload-partial", tests, suite_init, suite_cleanup)
