/* test-interop.c: a real gnutd on loopback against the deployed network's
 * reference servent, gtk-gnutella 1.2.3. That servent cannot run here, so two
 * of its ultrapeers are emulated with plain sockets and zlib, behaving as its
 * observed behaviour says (loopback captures of its handshakes and HTTP
 * exchanges; their header blocks are used verbatim below):
 *   B dials gnutd with the CONNECT block it was seen sending;
 *   A is dialed by gnutd (`gnut connect`) and answers with its 200 block.
 * Both refuse what the reference refuses, run deflated links, answer pings,
 * send Messages/Features Supported and a QRP table after the handshake, and A
 * answers queries with query hits shaped like the reference's (vendor GTKG,
 * private GGEP, GGEP "H" COBS-encoded for a SHA-1 holding a 0x00 byte, "CT")
 * and serves its file over HTTP at most 512 KiB a reply, as its uploader does.
 * The tests run in order on one gnutd: handshakes both ways, keep-alive and
 * vendor messages, a search answered by A, a download from A, a download from
 * gnutd with the reference downloader's requests, Bye, and shutdown. Every
 * wait has a deadline; only 127.0.0.1 is used. */
#include "gnut/proto/bye.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/wire.h"
#include "../unit/unit.h"
#include "ref-servent.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define A_GUID "b5853102940f025912d899deb524e298"
#define B_GUID "df473102f65d1dbc4f48da1c4292cb9a"

#define PEER_FILE_NAME   "interopsample-take1.ogg"
#define PEER_FILE_SIZE   (1536 * 1024)
#define PEER_FILE_INDEX  3
#define SEARCH_WORD      "interopsample"
#define SHARED_FILE_NAME "gnutdoffer notes.bin"
#define SHARED_FILE_SIZE 2600000
#define SHARED_WORD      "gnutdoffer"

/* The captured CONNECT block of the reference (stream 0, client B), with
 * its real listening port in Node: and a value in X-Token. */
static const char b_connect_fmt[] = "GNUTELLA CONNECT/0.6\r\n"
                                    "Node: 127.0.0.1:%u\r\n"
                                    "Remote-IP: 127.0.0.1\r\n"
                                    "User-Agent: " REF_UA "\r\n"
                                    "Pong-Caching: 0.1\r\n"
                                    "Bye-Packet: 0.1\r\n"
                                    "GGEP: 0.5\r\n"
                                    "GUID: " B_GUID "\r\n"
                                    "Vendor-Message: 0.2\r\n"
                                    "X-Query-Routing: 0.2\r\n"
                                    "X-Requeries: False\r\n"
                                    "Upgrade: TLS/1.0\r\n"
                                    "Accept-Encoding: deflate\r\n"
                                    "X-Token: " REF_TOKEN "\r\n"
                                    "X-Live-Since: Wed, 15 Jan 2025 05:44:54 +0000\r\n"
                                    "X-Ultrapeer: True\r\n"
                                    "X-Ultrapeer-Query-Routing: 0.1\r\n"
                                    "X-Degree: 46\r\n"
                                    "X-Max-TTL: 4\r\n"
                                    "X-Dynamic-Querying: 0.1\r\n"
                                    "X-Ext-Probes: 0.1\r\n"
                                    "X-Features: tls/1.0, browse/1.0, sflag/0.1, HSEP/0.2\r\n"
                                    "\r\n";

/* The captured 200 block of the reference (stream 0, server A). Its
 * "Connection: Upgrade" accepted the caller's TLS offer and its
 * "Content-Encoding: deflate" the caller's Accept-Encoding: each is sent
 * only when gnutd offered that. */
static const char a_answer_fmt[] = "GNUTELLA/0.6 200 OK\r\n"
                                   "User-Agent: " REF_UA "\r\n"
                                   "Pong-Caching: 0.1\r\n"
                                   "Bye-Packet: 0.1\r\n"
                                   "GGEP: 0.5\r\n"
                                   "GUID: " A_GUID "\r\n"
                                   "Vendor-Message: 0.2\r\n"
                                   "Remote-IP: 127.0.0.1\r\n"
                                   "X-Ultrapeer: True\r\n"
                                   "X-Requeries: False\r\n"
                                   "Upgrade: TLS/1.0\r\n"
                                   "%s"
                                   "Accept-Encoding: deflate\r\n"
                                   "%s"
                                   "X-Ultrapeer-Needed: True\r\n"
                                   "X-Query-Routing: 0.2\r\n"
                                   "X-Ultrapeer-Query-Routing: 0.1\r\n"
                                   "X-Degree: 46\r\n"
                                   "X-Max-TTL: 4\r\n"
                                   "X-Dynamic-Querying: 0.1\r\n"
                                   "X-Ext-Probes: 0.1\r\n"
                                   "X-Token: " REF_TOKEN "\r\n"
                                   "X-Live-Since: Wed, 15 Jan 2025 05:44:51 +0000\r\n"
                                   "X-Features: tls/1.0, browse/1.0, sflag/0.1, HSEP/0.2\r\n"
                                   "\r\n";

/* A gnut command running beside the test. */
typedef struct {
	GPid pid;
	int out_fd;
	GString *out;
} child;

static char *top;
static char *log_path;
static char *data_dir;
static char *gnut_path;
static GPid daemon_pid;
static guint16 gnutd_port;
static GBytes *shared_file;
static ref_peer peer_a = {.name = "A", .guid_hex = A_GUID, .listen_fd = -1};
static ref_peer peer_b = {.name = "B", .guid_hex = B_GUID, .listen_fd = -1};
static ref_link link_a, link_b;
static ref_server server_a;
static gint64 hit_id = -1;

static void show_block(const char *what, const char *text)
{
	fprintf(stderr, "--- %s:\n%s\n", what, text != NULL ? text : "(nothing)");
}
/* The points of the reference notes every handshake block of gnutd's must
 * meet, to the reference ultrapeers we emulate. */
static void check_gnutd_block(const ref_head *h)
{
	const char *reason = NULL;
	CU_ASSERT_EQUAL(ref_verdict(h, &reason), 200);
	const char *up = ref_head_get(h, "X-Ultrapeer");
	CU_ASSERT(up != NULL && g_ascii_strcasecmp(up, "True") == 0);
	const char *ua = ref_head_get(h, "User-Agent");
	CU_ASSERT(ua != NULL && *ua != '\0' && !g_str_has_prefix(ua, "gtk-gnutella/"));
	CU_ASSERT_STRING_EQUAL(
	    ref_head_get(h, "Vendor-Message") ? ref_head_get(h, "Vendor-Message") : "", "0.2");
	/* no TLS: not offered, not accepted, not listed */
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "Upgrade"), "TLS"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "Connection"), "Upgrade"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "X-Features"), "tls"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "X-Features"), "sflag"));
	/* its address: Listen-IP (or Node) with the port it listens on */
	const char *addr = ref_head_get(h, "Listen-IP");
	if (addr == NULL)
		addr = ref_head_get(h, "Node");
	g_autofree char *want = g_strdup_printf("127.0.0.1:%u", gnutd_port);
	CU_ASSERT(addr != NULL && strcmp(addr, want) == 0);
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "Accept-Encoding"), "deflate"));
}

/* Sends a ping and checks gnutd's pong: same GUID, its own address. */
static void check_ping_pong(ref_link *l, guint8 ttl, gboolean scp)
{
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 guid[16];
	ref_ping(batch, ttl, scp, guid);
	CU_ASSERT_TRUE_FATAL(ref_link_write(l, batch));
	ref_msg pong = {0};
	gboolean got = ref_link_expect(l, GNUT_MSG_PONG, guid, ref_deadline_in(REF_WAIT_S), &pong);
	CU_ASSERT_TRUE_FATAL(got);
	gnut_pong p;
	CU_ASSERT_EQUAL(gnut_pong_decode(pong.payload->data, pong.payload->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.port, gnutd_port);
	CU_ASSERT_EQUAL(p.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(pong.h.hops, 0);
	CU_ASSERT(pong.h.ttl >= 1);
	ref_msg_clear(&pong);
}

/* ---- gnutd and gnut ---- */

static gboolean child_start(child *c, const char *const *args)
{
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, gnut_path);
	g_ptr_array_add(argv, "--data-dir");
	g_ptr_array_add(argv, data_dir);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	GError *error = NULL;
	c->out = g_string_new(NULL);
	gboolean ok =
	    g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	                             NULL, NULL, &c->pid, NULL, &c->out_fd, NULL, &error);
	g_ptr_array_unref(argv);
	if (!ok) {
		fprintf(stderr, "cannot run gnut: %s\n", error->message);
		g_error_free(error);
		c->out_fd = -1;
	}
	return ok;
}

/* Collects the child's output until it exits; returns its exit status, or
 * -1 when it had to be killed at the deadline or died of a signal. */
static int child_finish(child *c, gint64 deadline)
{
	int status = -1;
	gboolean exited = FALSE;
	while (!exited || c->out_fd >= 0) {
		if (g_get_monotonic_time() >= deadline) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
			fprintf(stderr, "gnut killed at its deadline\n");
			status = -1;
			break;
		}
		if (c->out_fd >= 0 &&
		    ref_wait_readable(c->out_fd, g_get_monotonic_time() + 50000, NULL)) {
			char buf[4096];
			ssize_t n = read(c->out_fd, buf, sizeof buf);
			if (n > 0)
				g_string_append_len(c->out, buf, n);
			else {
				close(c->out_fd);
				c->out_fd = -1;
			}
		}
		int st;
		if (!exited && waitpid(c->pid, &st, WNOHANG) == c->pid) {
			exited = TRUE;
			status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	return status;
}

/* Runs gnut with args to its end; *out (when given) gets what it printed. */
static int run_gnut(const char *const *args, char **out)
{
	child c = {0};
	int status = child_start(&c, args) ? child_finish(&c, ref_deadline_in(2 * REF_WAIT_S)) : -1;
	if (out != NULL)
		*out = g_string_free(c.out, FALSE);
	else if (c.out != NULL)
		g_string_free(c.out, TRUE);
	return status;
}

/* The JSON objects gnut printed, one a line. */
static GPtrArray *json_lines(const char *text)
{
	GPtrArray *objects = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		if (lines[i][0] == '\0' || !json_parser_load_from_data(parser, lines[i], -1, NULL))
			continue;
		JsonNode *root = json_parser_get_root(parser);
		if (root != NULL && JSON_NODE_HOLDS_OBJECT(root))
			g_ptr_array_add(objects, json_object_ref(json_node_get_object(root)));
	}
	return objects;
}

static const char *json_str(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
	           ? json_node_get_string(n)
	           : "";
}

static gint64 json_int(JsonObject *o, const char *key)
{
	JsonNode *n = json_object_get_member(o, key);
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
	           ? json_node_get_int(n)
	           : -1;
}

/* One number of `gnut status --json`. */
static gint64 status_field(const char *key)
{
	const char *args[] = {"status", "--json", NULL};
	g_autofree char *out = NULL;
	if (run_gnut(args, &out) != 0)
		return -1;
	g_autoptr(GPtrArray) objects = json_lines(out);
	return objects->len > 0 ? json_int(g_ptr_array_index(objects, 0), key) : -1;
}

static gboolean daemon_alive(void)
{
	return daemon_pid > 0 && waitpid(daemon_pid, NULL, WNOHANG) == 0;
}

/* Deterministic bytes: the same on every run. */
static GBytes *make_content(gsize len, guint32 seed)
{
	GRand *rand = g_rand_new_with_seed(seed);
	guint8 *data = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)g_rand_int(rand);
	g_rand_free(rand);
	return g_bytes_new_take(data, len);
}

/* A's file: 1.5 MiB whose SHA-1 holds a 0x00 byte, so that the reference
 * sends its GGEP "H" COBS-encoded. The last 4 bytes are varied until so. */
static void make_peer_file(ref_peer *p)
{
	GBytes *base = make_content(PEER_FILE_SIZE, 0x1f2e3d4c);
	guint8 *data = g_bytes_unref_to_data(base, &(gsize){0});
	guint8 sha1[20];
	for (guint32 n = 0; n < 10000; n++) {
		gnut_poke_le32(data + PEER_FILE_SIZE - 4, n);
		ref_sha1(data, PEER_FILE_SIZE, sha1);
		if (memchr(sha1, 0, 20) != NULL)
			break;
	}
	ref_peer_share(p, g_bytes_new_take(data, PEER_FILE_SIZE), PEER_FILE_NAME, PEER_FILE_INDEX);
}

/* Starts gnutd sharing one file, waits until it listens and its control
 * API is up. Runs before the suite: no CU_ASSERT. */
static int start_daemon(void)
{
	const char *builddir = g_getenv("builddir");
	g_autofree char *gnutd =
	    g_build_filename(builddir ? builddir : ".", "src", "daemon", "gnutd", NULL);
	gnut_path = g_build_filename(builddir ? builddir : ".", "src", "cli", "gnut", NULL);
	top = gnut_unit_mkdtemp();
	data_dir = g_build_filename(top, "data", NULL);
	g_autofree char *share = g_build_filename(top, "share", NULL);
	g_mkdir(share, 0700);
	shared_file = make_content(SHARED_FILE_SIZE, 0x5eed0001);
	g_autofree char *file = g_build_filename(share, SHARED_FILE_NAME, NULL);
	g_file_set_contents(file, g_bytes_get_data(shared_file, NULL), SHARED_FILE_SIZE, NULL);
	log_path = g_build_filename(top, "gnutd.log", NULL);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *argv[] = {gnutd,         "--data-dir", data_dir,      "--listen",
	                "127.0.0.1:0", "--control",  "127.0.0.1:0", "--no-bootstrap",
	                "--ultrapeer", "--share",    share,         NULL};
	GError *error = NULL;
	if (!g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
	                            &daemon_pid, -1, log_fd, log_fd, &error)) {
		fprintf(stderr, "cannot start %s: %s\n", gnutd, error->message);
		g_error_free(error);
		return 1;
	}
	close(log_fd);
	g_autofree char *url = g_build_filename(data_dir, "control.url", NULL);
	for (int i = 0; i < 200 && (gnutd_port == 0 || !g_file_test(url, G_FILE_TEST_EXISTS));
	     i++) {
		g_autofree char *log = NULL;
		g_file_get_contents(log_path, &log, NULL, NULL);
		const char *at = log ? strstr(log, "listening on 127.0.0.1:") : NULL;
		if (at != NULL)
			gnutd_port = (guint16)atoi(at + strlen("listening on 127.0.0.1:"));
		g_usleep(50000);
	}
	return gnutd_port == 0 || !g_file_test(url, G_FILE_TEST_EXISTS);
}

/* ---- 1. gnutd answers the reference's CONNECT ---- */

static void test_incoming_handshake(void)
{
	int fd = ref_dial(gnutd_port);
	CU_ASSERT_FATAL(fd >= 0);
	g_autofree char *connect_block = g_strdup_printf(b_connect_fmt, peer_b.port);
	CU_ASSERT_FATAL(ref_send_all(fd, connect_block, strlen(connect_block)));
	g_autoptr(GByteArray) rest = g_byte_array_new();
	g_autofree char *text = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's step 2 to B", text);
	g_autoptr(ref_head) h = text ? ref_head_parse(text) : NULL;
	if (h == NULL)
		close(fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_TRUE(g_str_has_prefix(h->start, "GNUTELLA/0.6 200"));
	check_gnutd_block(h);
	/* deflate negotiated as the capture shows: gnutd accepts ours and
	 * compresses what it sends */
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "Content-Encoding"), "deflate"));
	CU_ASSERT_EQUAL(rest->len, 0); /* nothing before our step 3 */

	gboolean z_in = ref_has_token(ref_head_get(h, "Content-Encoding"), "deflate");
	gboolean z_out = ref_has_token(ref_head_get(h, "Accept-Encoding"), "deflate");
	GString *final = g_string_new("GNUTELLA/0.6 200 OK\r\n");
	if (ref_has_token(ref_head_get(h, "Upgrade"), "TLS"))
		g_string_append(final, "Connection: Upgrade\r\n");
	if (z_out)
		g_string_append(final, "Content-Encoding: deflate\r\n");
	g_string_append(final, "\r\n");
	ref_link_open(&link_b, &peer_b, fd, z_in, z_out, rest);
	/* step 3 and, in the same write, the first compressed batch: the
	 * SCP ping of a link it opened, MS, FS, QRP */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 scp_guid[16];
	ref_ping(batch, 4, TRUE, scp_guid);
	ref_supported(batch);
	ref_qrp(batch, &peer_b);
	CU_ASSERT_FATAL(ref_send_all(fd, final->str, final->len));
	g_string_free(final, TRUE);
	CU_ASSERT_TRUE_FATAL(ref_link_write(&link_b, batch));
	ref_msg pong = {0};
	gboolean got =
	    ref_link_expect(&link_b, GNUT_MSG_PONG, scp_guid, ref_deadline_in(REF_WAIT_S), &pong);
	CU_ASSERT_TRUE(got); /* our deflated stream was read, its was inflated */
	ref_msg_clear(&pong);
}

/* ---- 2. gnutd dials the reference ---- */

/* A's side of the handshake gnutd starts; the link on success, -1 when it
 * was refused or went wrong (the checks have said why). */
static int answer_connect(int fd, GByteArray *rest, gboolean *z_in, gboolean *z_out)
{
	g_autofree char *text = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's CONNECT to A", text);
	g_autoptr(ref_head) h = text ? ref_head_parse(text) : NULL;
	CU_ASSERT_PTR_NOT_NULL(h);
	if (h == NULL)
		return -1;
	CU_ASSERT_STRING_EQUAL(h->start, "GNUTELLA CONNECT/0.6");
	check_gnutd_block(h);
	const char *reason = NULL;
	guint code = ref_verdict(h, &reason);
	if (code != 200) {
		g_autofree char *no = g_strdup_printf("GNUTELLA/0.6 %u %s\r\n\r\n", code, reason);
		ref_send_all(fd, no, strlen(no));
		return -1;
	}
	*z_out = ref_has_token(ref_head_get(h, "Accept-Encoding"), "deflate");
	g_autofree char *answer = g_strdup_printf(
	    a_answer_fmt,
	    ref_has_token(ref_head_get(h, "Upgrade"), "TLS") ? "Connection: Upgrade\r\n" : "",
	    *z_out ? "Content-Encoding: deflate\r\n" : "");
	if (!ref_send_all(fd, answer, strlen(answer)))
		return -1;
	g_autofree char *final = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's step 3 to A", final);
	g_autoptr(ref_head) f = final ? ref_head_parse(final) : NULL;
	CU_ASSERT_PTR_NOT_NULL(f);
	if (f == NULL)
		return -1;
	CU_ASSERT_TRUE(g_str_has_prefix(f->start, "GNUTELLA/0.6 200"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(f, "Connection"), "Upgrade"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(f, "Upgrade"), "TLS"));
	*z_in = ref_has_token(ref_head_get(f, "Content-Encoding"), "deflate");
	return g_str_has_prefix(f->start, "GNUTELLA/0.6 200") ? fd : -1;
}

static void test_outgoing_handshake(void)
{
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", peer_a.port);
	const char *args[] = {"connect", addr, NULL};
	CU_ASSERT_EQUAL_FATAL(run_gnut(args, NULL), 0);
	int fd = ref_accept(peer_a.listen_fd, ref_deadline_in(REF_WAIT_S), NULL);
	CU_ASSERT_FATAL(fd >= 0);
	g_autoptr(GByteArray) rest = g_byte_array_new();
	gboolean z_in = FALSE, z_out = FALSE;
	if (answer_connect(fd, rest, &z_in, &z_out) < 0) {
		close(fd);
		CU_FAIL_FATAL("the handshake gnutd started did not complete");
	}
	ref_link_open(&link_a, &peer_a, fd, z_in, z_out, rest);
	/* what the reference sends on a link it accepted: MS, FS, QRP */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	ref_supported(batch);
	ref_qrp(batch, &peer_a);
	CU_ASSERT_TRUE_FATAL(ref_link_write(&link_a, batch));
	check_ping_pong(&link_a, 1, FALSE);
	/* from now on A's port also serves HTTP, and counts gnutd's redials */
	ref_server_start(&server_a, &peer_a);
}

/* Both links are listed with what the reference said about itself. */
static void test_peers_listed(void)
{
	const char *args[] = {"peers", "--json", NULL};
	g_autofree char *out = NULL;
	CU_ASSERT_EQUAL(run_gnut(args, &out), 0);
	g_autoptr(GPtrArray) peers = json_lines(out);
	CU_ASSERT_EQUAL(peers->len, 2);
	guint seen = 0;
	for (guint i = 0; i < peers->len; i++) {
		JsonObject *o = g_ptr_array_index(peers, i);
		CU_ASSERT_STRING_EQUAL(json_str(o, "mode"), "ultrapeer");
		CU_ASSERT_STRING_EQUAL(json_str(o, "user_agent"), REF_UA);
		CU_ASSERT_STRING_EQUAL(json_str(o, "host"), "127.0.0.1");
		gint64 port = json_int(o, "port");
		seen |= (port == peer_a.port ? 1u : 0) | (port == peer_b.port ? 2u : 0);
	}
	CU_ASSERT_EQUAL(seen, 3u); /* B by its Node: port, A by the port dialed */
}

/* ---- 3. keep-alive and vendor messages ---- */

static void test_keepalive_and_vendor(void)
{
	check_ping_pong(&link_b, 1, FALSE);
	check_ping_pong(&link_b, 4, TRUE);
	/* MS and FS again, and vendor messages gnutd does not know */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	ref_supported(batch);
	const guint8 info[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	ref_vendor(batch, "GTKG", 23, 2, info, sizeof info);
	ref_vendor(batch, "NOPE", 7, 1, info, 3);
	CU_ASSERT_TRUE_FATAL(ref_link_write(&link_b, batch));
	/* still linked: pings are answered on both links */
	check_ping_pong(&link_b, 1, FALSE);
	check_ping_pong(&link_a, 1, FALSE);
	CU_ASSERT_TRUE(daemon_alive());
}

/* ---- 4. a search answered by the reference ---- */

/* gnutd's query as the reference judges it: flag mark set, hops 0, a TTL
 * within the X-Max-TTL 4 it announced, our word in the text. */
static void check_query(ref_link *l)
{
	ref_msg m = {0};
	gboolean got = ref_link_expect(l, GNUT_MSG_QUERY, NULL, ref_deadline_in(REF_WAIT_S), &m);
	CU_ASSERT_TRUE(got);
	if (!got)
		return;
	fprintf(stderr, "query to %s: ttl %u hops %u flags 0x%02x\n", l->peer->name, m.h.ttl,
	        m.h.hops, m.payload->len > 0 ? m.payload->data[0] : 0);
	CU_ASSERT(m.payload->len >= 3 && (m.payload->data[0] & 0x80) != 0);
	CU_ASSERT_EQUAL(m.h.hops, 0);
	CU_ASSERT(m.h.ttl >= 1 && m.h.ttl <= 4);
	gnut_query q;
	CU_ASSERT_EQUAL(gnut_query_decode(m.payload->data, m.payload->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_PTR_NOT_NULL(g_strstr_len(q.text, (gssize)q.text_len, SEARCH_WORD));
	ref_msg_clear(&m);
}

static void test_search(void)
{
	CU_ASSERT_PTR_NOT_NULL(memchr(peer_a.sha1, 0, 20)); /* so "H" goes COBS-encoded */
	child c = {0};
	const char *args[] = {"search", "--timeout", "3", "--json", SEARCH_WORD, NULL};
	CU_ASSERT_FATAL(child_start(&c, args));
	check_query(&link_a); /* A answers it with its hit */
	check_query(&link_b);
	CU_ASSERT_EQUAL(link_a.hits_sent, 1);
	CU_ASSERT_EQUAL(child_finish(&c, ref_deadline_in(2 * REF_WAIT_S)), 0);
	fprintf(stderr, "gnut search printed:\n%s", c.out->str);
	g_autoptr(GPtrArray) hits = json_lines(c.out->str);
	g_string_free(c.out, TRUE);
	JsonObject *hit = NULL;
	for (guint i = 0; i < hits->len && hit == NULL; i++)
		if (strcmp(json_str(g_ptr_array_index(hits, i), "name"), PEER_FILE_NAME) == 0)
			hit = g_ptr_array_index(hits, i);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
	CU_ASSERT_STRING_EQUAL(json_str(hit, "urn"), peer_a.urn);
	CU_ASSERT_EQUAL(json_int(hit, "size"), PEER_FILE_SIZE);
	CU_ASSERT_STRING_EQUAL(json_str(hit, "host"), "127.0.0.1");
	CU_ASSERT_EQUAL(json_int(hit, "port"), peer_a.port);
	hit_id = json_int(hit, "id");
}

/* ---- 5. gnutd downloads from the reference ---- */

static void test_download_from_reference(void)
{
	CU_ASSERT_FATAL(hit_id >= 0);
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, hit_id);
	g_autofree char *to = g_build_filename(top, "got", NULL);
	g_mkdir(to, 0700);
	const char *args[] = {"get", "--wait", "--to", to, id, NULL};
	CU_ASSERT_EQUAL(run_gnut(args, NULL), 0);
	g_autofree char *path = g_build_filename(to, PEER_FILE_NAME, NULL);
	g_autofree char *got = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE(g_file_get_contents(path, &got, &len, NULL));
	CU_ASSERT_EQUAL(len, PEER_FILE_SIZE);
	CU_ASSERT(got != NULL && len == PEER_FILE_SIZE &&
	          memcmp(got, g_bytes_get_data(peer_a.file, NULL), len) == 0);
	g_mutex_lock(&server_a.lock);
	fprintf(stderr, "A served %u requests (%u ranged) on %u connections\n", server_a.requests,
	        server_a.ranged, server_a.http_conns);
	/* 512 KiB a reply: at least 3 requests, kept on one connection */
	CU_ASSERT(server_a.requests >= PEER_FILE_SIZE / REF_REPLY_CAP);
	CU_ASSERT_EQUAL(server_a.http_conns, 1);
	CU_ASSERT_EQUAL(server_a.gnutella_conns, 0);
	CU_ASSERT_PTR_NULL(server_a.problem);
	g_mutex_unlock(&server_a.lock);
}

/* ---- 6. the reference downloads from gnutd ---- */

/* B's query for gnutd's file, as the reference sends it (flag mark, GGEP H
 * understood); returns the SHA-1 gnutd's hit names. */
static gboolean find_shared_file(guint8 sha1[20])
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	const guint8 flags[2] = {0x88, 0x00};
	g_byte_array_append(pl, flags, 2);
	g_byte_array_append(pl, (const guint8 *)SHARED_WORD, sizeof SHARED_WORD);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 guid[16];
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_QUERY, 4, 0, pl->data, pl->len);
	if (!ref_link_write(&link_b, batch))
		return FALSE;
	ref_msg m = {0};
	if (!ref_link_expect(&link_b, GNUT_MSG_QUERY_HIT, guid, ref_deadline_in(REF_WAIT_S), &m))
		return FALSE;
	gnut_qhit hit;
	gboolean found = FALSE;
	CU_ASSERT_EQUAL(gnut_qhit_decode(m.payload->data, m.payload->len, &hit), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hit.port, gnutd_port);
	CU_ASSERT_EQUAL(hit.ipv4, 0x7f000001);
	for (unsigned i = 0; i < hit.n_results && !found; i++) {
		gnut_urn urn;
		if (strcmp(hit.results[i].name, SHARED_FILE_NAME) == 0 &&
		    gnut_qhit_result_urn(&hit.results[i], &urn)) {
			memcpy(sha1, urn.sha1, 20);
			found = TRUE;
		}
	}
	gnut_qhit_clear(&hit);
	ref_msg_clear(&m);
	return found;
}

/* The reference's downloader fetching gnutd's file on one connection. */
typedef struct {
	int fd;
	GByteArray *buf;  /* read past the last reply */
	GByteArray *file; /* what arrived, at its offsets */
	GByteArray *have; /* 1 for each byte that arrived */
	char urn[GNUT_URN_SHA1_LEN + 1];
	char *queued_id; /* echoed in X-Queued when gnutd queued us */
	char *thex;      /* X-Thex-URI, when gnutd offered one */
	guint64 downloaded;
} ref_download;

/* Its request: the first one on a connection says who it is (User-Agent,
 * X-Features, X-Token), follow-ups carry what it learnt (X-Alt, X-Queued,
 * the URN). */
static char *download_request(const ref_download *d, guint64 a, guint64 b)
{
	GString *r = g_string_new(NULL);
	g_string_append_printf(r, "GET /uri-res/N2R?%s HTTP/1.1\r\n", d->urn);
	if (d->downloaded == 0)
		g_string_append(r, "User-Agent: " REF_UA "\r\n");
	g_string_append_printf(r, "Host: 127.0.0.1:%u\r\n", gnutd_port);
	if (d->downloaded == 0)
		g_string_append(r, "X-Features: " REF_FEATURES "\r\nX-Token: " REF_TOKEN "\r\n");
	g_string_append(r, "Accept-Encoding: deflate\r\nX-Queue: 1.1\r\n");
	if (d->queued_id != NULL)
		g_string_append_printf(r, "X-Queued: position=0; ID=%s\r\n", d->queued_id);
	g_string_append_printf(r,
	                       "X-Node: 127.0.0.1:%u\r\n"
	                       "Range: bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\r\n"
	                       "X-Downloaded: %" G_GUINT64_FORMAT "\r\n",
	                       peer_b.port, a, b, d->downloaded);
	if (d->downloaded > 0)
		g_string_append_printf(
		    r, "X-Alt: tls=8, 127.0.0.1:%u\r\nX-Gnutella-Content-URN: %s\r\n", peer_b.port,
		    d->urn);
	g_string_append(r, "\r\n");
	return g_string_free(r, FALSE);
}

/* A body sent with Content-Encoding: deflate (a zlib stream), inflated
 * into exactly want bytes; FALSE when it does not. */
static gboolean inflate_body(const GByteArray *in, gsize want, GByteArray *out)
{
	g_byte_array_set_size(out, (guint)want);
	uLongf len = want;
	return uncompress(out->data, &len, in->data, in->len) == Z_OK && len == want;
}

/* Remembers what gnutd's reply offers for later requests: its queue ID
 * and its Tiger tree. */
static void note_reply(ref_download *d, const ref_head *h)
{
	const char *queued = ref_head_get(h, "X-Queued");
	const char *id = queued != NULL ? strstr(queued, "ID=") : NULL;
	if (id != NULL) {
		g_free(d->queued_id);
		d->queued_id = g_strndup(id + 3, strcspn(id + 3, " ;,"));
	}
	if (d->thex == NULL && ref_head_get(h, "X-Thex-URI") != NULL)
		d->thex = g_strdup(ref_head_get(h, "X-Thex-URI"));
}

/* One request and gnutd's reply, checked as the reference does: Server
 * present, 206 with a Content-Range inside what was asked (shorter is
 * fine), the connection kept. Returns the bytes served, 0 on failure. */
static guint64 fetch_range(ref_download *d, guint64 a, guint64 b)
{
	g_autofree char *request = download_request(d, a, b);
	if (!ref_send_all(d->fd, request, strlen(request)))
		return 0;
	g_autofree char *text = ref_read_head(d->fd, d->buf, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's reply", text);
	g_autoptr(ref_head) h = text ? ref_head_parse(text) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_TRUE(g_str_has_prefix(h->start, "HTTP/1.1 206"));
	const char *server = ref_head_get(h, "Server");
	CU_ASSERT(server != NULL && *server != '\0');
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "Connection"), "close"));
	guint64 s = 0, e = 0, total = 0, clen = 0;
	const char *cr = ref_head_get(h, "Content-Range");
	const char *cl = ref_head_get(h, "Content-Length");
	gboolean ok =
	    cr != NULL && cl != NULL &&
	    sscanf(cr, "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, &s,
	           &e, &total) == 3 &&
	    sscanf(cl, "%" G_GUINT64_FORMAT, &clen) == 1 && clen <= 2 * REF_DL_RANGE;
	CU_ASSERT_TRUE(ok);
	gboolean deflated = ref_has_token(ref_head_get(h, "Content-Encoding"), "deflate");
	if (!ok || s != a || e > b || e < s || total != SHARED_FILE_SIZE ||
	    (!deflated && clen != e - s + 1)) {
		CU_FAIL("Content-Range/Content-Length do not fit the range asked");
		return 0;
	}
	note_reply(d, h);
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autoptr(GByteArray) plain = g_byte_array_new();
	CU_ASSERT_TRUE_FATAL(
	    ref_read_exact(d->fd, d->buf, clen, body, ref_deadline_in(REF_WAIT_S)));
	if (deflated)
		CU_ASSERT_TRUE_FATAL(inflate_body(body, e - s + 1, plain));
	memcpy(d->file->data + s, deflated ? plain->data : body->data, e - s + 1);
	memset(d->have->data + s, 1, e - s + 1);
	d->downloaded += e - s + 1;
	return e - s + 1;
}

/* The reference downloader's ranges: 1 MiB from the start, then the tail,
 * then what is still missing, 1 MiB at a time, all on one connection. */
static void download_ranges(ref_download *d)
{
	guint64 size = SHARED_FILE_SIZE;
	for (int round = 0; round < 16; round++) {
		const guint8 *gap = memchr(d->have->data, 0, size);
		if (gap == NULL)
			return;
		guint64 a = (guint64)(gap - d->have->data);
		if (round == 1)
			a = size - REF_REPLY_CAP;
		const guint8 *next = memchr(d->have->data + a, 1, size - a);
		guint64 end = next != NULL ? (guint64)(next - d->have->data) : size;
		if (fetch_range(d, a, MIN(end, a + REF_DL_RANGE) - 1) == 0)
			return;
	}
	CU_ASSERT_PTR_NULL(memchr(d->have->data, 0, size));
}

/* The Tiger tree the reference asks for when X-Thex-URI names one. */
static void fetch_thex(int fd, GByteArray *buf, const char *thex)
{
	g_autofree char *req = g_strdup_printf(
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: " REF_UA "\r\n\r\n", thex,
	    gnutd_port);
	CU_ASSERT_TRUE(ref_send_all(fd, req, strlen(req)));
	g_autofree char *text = ref_read_head(fd, buf, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's THEX reply", text);
	CU_ASSERT(text != NULL && g_str_has_prefix(text, "HTTP/1.1 200"));
}

static void test_download_from_gnutd(void)
{
	gint64 deadline = ref_deadline_in(3 * REF_WAIT_S);
	while (status_field("shared_files") != 1 && g_get_monotonic_time() < deadline)
		g_usleep(200000);
	guint8 sha1[20], want[20];
	CU_ASSERT_TRUE_FATAL(find_shared_file(sha1));
	ref_sha1(g_bytes_get_data(shared_file, NULL), SHARED_FILE_SIZE, want);
	CU_ASSERT_EQUAL(memcmp(sha1, want, 20), 0);
	ref_download d = {.fd = ref_dial(gnutd_port)};
	CU_ASSERT_FATAL(d.fd >= 0);
	gnut_urn_format_sha1(sha1, d.urn);
	d.buf = g_byte_array_new();
	d.file = g_byte_array_sized_new(SHARED_FILE_SIZE);
	g_byte_array_set_size(d.file, SHARED_FILE_SIZE);
	d.have = g_byte_array_sized_new(SHARED_FILE_SIZE);
	g_byte_array_set_size(d.have, SHARED_FILE_SIZE);
	memset(d.have->data, 0, SHARED_FILE_SIZE);
	download_ranges(&d);
	CU_ASSERT_EQUAL(memcmp(d.file->data, g_bytes_get_data(shared_file, NULL), SHARED_FILE_SIZE),
	                0);
	if (d.thex != NULL)
		fetch_thex(d.fd, d.buf, d.thex);
	close(d.fd);
	g_byte_array_unref(d.buf);
	g_byte_array_unref(d.file);
	g_byte_array_unref(d.have);
	g_free(d.queued_id);
	g_free(d.thex);
}

/* ---- 7. Bye ---- */

static void test_bye(void)
{
	const char text[] = "Servent shutdown\r\nServer: " REF_UA "\r\n\r\n";
	g_autoptr(GByteArray) pl = g_byte_array_new();
	ref_put_le16(pl, 200);
	g_byte_array_append(pl, (const guint8 *)text, sizeof text); /* with its NUL */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 guid[16];
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_BYE, 1, 0, pl->data, pl->len);
	CU_ASSERT_TRUE_FATAL(ref_link_write(&link_b, batch));
	ref_msg m = {0};
	while (ref_link_next(&link_b, ref_deadline_in(REF_WAIT_S), &m))
		ref_msg_clear(&m);
	CU_ASSERT_TRUE(link_b.broken); /* gnutd closed the link */
	CU_ASSERT_STRING_EQUAL(link_b.why ? link_b.why : "", "closed by gnutd");
	ref_link_close(&link_b);
	CU_ASSERT_TRUE(daemon_alive());
	const char *args[] = {"peers", "--json", NULL};
	guint links = 0;
	for (gint64 deadline = ref_deadline_in(REF_WAIT_S); g_get_monotonic_time() < deadline;
	     g_usleep(200000)) {
		g_autofree char *out = NULL;
		run_gnut(args, &out);
		g_autoptr(GPtrArray) peers = json_lines(out);
		links = peers->len;
		if (links == 1)
			break;
	}
	CU_ASSERT_EQUAL(links, 1);
	check_ping_pong(&link_a, 1, FALSE); /* the other link is untouched */
}

/* ---- 8. shutdown: the reference said Bye-Packet: 0.1 ---- */

static void test_shutdown(void)
{
	CU_ASSERT_TRUE_FATAL(daemon_alive());
	kill(daemon_pid, SIGTERM);
	ref_msg m = {0};
	gboolean got =
	    ref_link_expect(&link_a, GNUT_MSG_BYE, NULL, ref_deadline_in(REF_WAIT_S), &m);
	CU_ASSERT_TRUE(got);
	if (got) {
		gnut_bye bye;
		CU_ASSERT_EQUAL(gnut_bye_decode(m.payload->data, m.payload->len, &bye),
		                GNUT_PROTO_OK);
		CU_ASSERT_TRUE(bye.has_code && bye.code >= 200 && bye.code < 300);
		CU_ASSERT_TRUE(bye.nul_terminated);
		CU_ASSERT_EQUAL(m.h.hops, 0);
		CU_ASSERT_EQUAL(m.h.ttl, 1);
		ref_msg_clear(&m);
	}
	int status = -1;
	for (int i = 0; i < 100; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
			daemon_pid = 0;
			break;
		}
		g_usleep(100000);
	}
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

static CU_TestInfo tests[] = {
    {"1 incoming: gnutd answers the reference's CONNECT", test_incoming_handshake},
    {"2 outgoing: gnutd dials the reference", test_outgoing_handshake},
    {"2b both links listed", test_peers_listed},
    {"3 keep-alive pings, vendor messages", test_keepalive_and_vendor},
    {"4 search answered with a reference hit", test_search},
    {"5 download from the reference", test_download_from_reference},
    {"6 the reference downloads from gnutd", test_download_from_gnutd},
    {"7 Bye from the reference", test_bye},
    {"8 shutdown says Bye", test_shutdown},
    CU_TEST_INFO_NULL,
};

static void teardown(void)
{
	ref_server_stop(&server_a);
	ref_link_close(&link_a);
	ref_link_close(&link_b);
	if (daemon_alive()) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	for (ref_peer *p = &peer_a; p != NULL; p = p == &peer_a ? &peer_b : NULL) {
		if (p->listen_fd >= 0)
			close(p->listen_fd);
		if (p->file != NULL)
			g_bytes_unref(p->file);
	}
	if (shared_file != NULL)
		g_bytes_unref(shared_file);
}

int main(void)
{
	gnut_digest_init();
	link_a.fd = link_b.fd = -1;
	peer_a.listen_fd = ref_listen_loopback(&peer_a.port);
	peer_b.listen_fd = ref_listen_loopback(&peer_b.port);
	make_peer_file(&peer_a);
	if (peer_a.listen_fd < 0 || peer_b.listen_fd < 0 || start_daemon() != 0) {
		fprintf(stderr, "gnutd did not start\n");
		teardown();
		return 1;
	}
	int rc = gnut_unit_run("interop with the reference servent", tests);
	teardown();
	if (rc != 0) {
		g_autofree char *log = NULL;
		g_file_get_contents(log_path, &log, NULL, NULL);
		fprintf(stderr, "--- gnutd log\n%s\n", log ? log : "");
	}
	gnut_unit_rmtree(top);
	g_free(top);
	g_free(log_path);
	g_free(data_dir);
	g_free(gnut_path);
	return rc;
}
