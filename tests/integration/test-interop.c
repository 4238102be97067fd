/* test-interop.c: a real gnutd on loopback against the deployed network's
 * reference servent, gtk-gnutella 1.2.3. That servent cannot run here, so two
 * of its ultrapeers are emulated with plain sockets and zlib, behaving as its
 * observed behaviour says (loopback captures of its handshakes and HTTP
 * exchanges; their header blocks are used verbatim below):
 *   B dials gnutd with the CONNECT block it was seen sending;
 *   A is dialed by gnutd (`gnut connect`) and answers with its 200 block.
 * Both take gnutd's TLS offer as the reference does (Upgrade: TLS/1.0 in
 * step 2, Connection: Upgrade in step 3, then TLS with the dialer as
 * client, the deflated stream inside), A's uploader speaks TLS to a
 * downloader that starts with it (A's hits carry GGEP TLS), and
 * both refuse what the reference refuses, run deflated links, answer pings,
 * send Messages/Features Supported and a QRP table after the handshake, and A
 * answers queries with query hits shaped like the reference's (vendor GTKG,
 * private GGEP, GGEP "H" COBS-encoded for a SHA-1 holding a 0x00 byte, "CT")
 * and serves its file over HTTP at most 512 KiB a reply, as its uploader does.
 * The suite's init starts one gnutd sharing a file and links both
 * ultrapeers to it (B dials, gnutd dials A), keeping what gnutd said in
 * each handshake; its cleanup stops it all. The tests share that gnutd and
 * those links and leave them as they found them: the handshake tests check
 * what was kept; then keep-alive and vendor messages, a search answered by
 * A and the download of that hit, a download from gnutd with the reference
 * downloader's requests, an out-of-band (v3) query from B whose hits it
 * claims over UDP (LIME/12, LIME/11 with a token, hits carrying it), a Bye on a third link of the
 * test's own, and shutdown, on a gnutd of the test's own. Every wait has a deadline; only 127.0.0.1
 * is used. */
#include "gnut/proto/bye.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/wire.h"
#include "../unit/unit.h"
#include "ref-servent.h"
#include "ref-tls.h"

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
#define C_GUID "7a193102c8e54d1f2b60ae37d915f04c" /* a third one, for a link of a test's own */

#define PEER_FILE_NAME   "interopsample-take1.ogg"
#define PEER_FILE_SIZE   (1536 * 1024)
#define PEER_FILE_INDEX  3
#define SEARCH_WORD      "interopsample"
#define SHARED_FILE_NAME "gnutdoffer notes.bin"
#define SHARED_FILE_SIZE 2600000
#define SHARED_WORD      "gnutdoffer"

#define POLL_US      (50 * 1000)  /* how often a wait on a process or a file looks again */
#define RETRY_US     (200 * 1000) /* between two gnut commands that wait for a state */
#define START_WAIT_S 10           /* for gnutd to listen and serve its control API */
#define EXIT_WAIT_S  10           /* for gnutd to exit on SIGTERM */

/* The captured CONNECT block of the reference (stream 0, client B), with
 * its real listening port in Node:, a value in X-Token and the GUID of the
 * peer it stands for (B's in the capture). */
static const char b_connect_fmt[] = "GNUTELLA CONNECT/0.6\r\n"
                                    "Node: 127.0.0.1:%u\r\n"
                                    "Remote-IP: 127.0.0.1\r\n"
                                    "User-Agent: " REF_UA "\r\n"
                                    "Pong-Caching: 0.1\r\n"
                                    "Bye-Packet: 0.1\r\n"
                                    "GGEP: 0.5\r\n"
                                    "GUID: %s\r\n"
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

/* A gnutd the tests run, in a temporary folder of its own. */
typedef struct {
	char *top; /* holds data/, share/ and gnutd.log */
	char *data_dir;
	char *log_path;
	GPid pid;   /* 0 once reaped */
	int status; /* its wait status, once reaped */
	guint16 port;
} gnutd_proc;

/* What gnutd sent when B dialed it, for the incoming handshake test. */
typedef struct {
	char *answer;      /* its step 2 */
	guint early_bytes; /* what it sent before our step 3 */
	gboolean pong;     /* it answered the SCP ping sent with our step 3 */
	gboolean tls;      /* the link went on inside TLS */
} incoming_seen;

/* What gnutd sent when it dialed A, for the outgoing handshake test. */
typedef struct {
	int gnut_status; /* of the `gnut connect` that made it dial */
	char *connect;   /* its CONNECT block */
	char *final;     /* its step 3 */
	gboolean tls;    /* the link went on inside TLS */
} outgoing_seen;

/* The suite's fixture, built by suite_init: gnutd sharing shared_file,
 * linked to B (which dialed it) and to A (which it dialed, and whose port
 * then also serves HTTP). */
static struct {
	gnutd_proc gnutd;
	GBytes *shared_file;
	ref_peer peer_a, peer_b;
	ref_link link_a, link_b;
	ref_server server_a;
	incoming_seen b_seen;
	outgoing_seen a_seen;
} fx;

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
	/* TLS offered (or accepted) and listed; sflag not */
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "Upgrade"), "TLS/1.0"));
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "X-Features"), "tls"));
	CU_ASSERT_FALSE(ref_has_token(ref_head_get(h, "X-Features"), "sflag"));
	/* its address: Listen-IP (or Node) with the port it listens on */
	const char *addr = ref_head_get(h, "Listen-IP");
	if (addr == NULL)
		addr = ref_head_get(h, "Node");
	g_autofree char *want = g_strdup_printf("127.0.0.1:%u", fx.gnutd.port);
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
	CU_ASSERT_EQUAL(p.port, fx.gnutd.port);
	CU_ASSERT_EQUAL(p.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(pong.h.hops, 0);
	CU_ASSERT(pong.h.ttl >= 1);
	ref_msg_clear(&pong);
}

/* ---- gnutd and gnut ---- */

/* A program of the build: builddir/src/folder/name. */
static char *built_program(const char *folder, const char *name)
{
	const char *builddir = g_getenv("builddir");
	return g_build_filename(builddir ? builddir : ".", "src", folder, name, NULL);
}

static gboolean child_start(const gnutd_proc *d, child *c, const char *const *args)
{
	g_autofree char *gnut = built_program("cli", "gnut");
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, gnut);
	g_ptr_array_add(argv, "--data-dir");
	g_ptr_array_add(argv, d->data_dir);
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
		    ref_wait_readable(c->out_fd, g_get_monotonic_time() + POLL_US, NULL)) {
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

/* Runs gnut on gnutd d with args to its end; *out (when given) gets what
 * it printed. */
static int run_gnut(const gnutd_proc *d, const char *const *args, char **out)
{
	child c = {0};
	int status =
	    child_start(d, &c, args) ? child_finish(&c, ref_deadline_in(2 * REF_WAIT_S)) : -1;
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

/* One number of `gnut status --json` on the fixture's gnutd. */
static gint64 status_field(const char *key)
{
	const char *args[] = {"status", "--json", NULL};
	g_autofree char *out = NULL;
	if (run_gnut(&fx.gnutd, args, &out) != 0)
		return -1;
	g_autoptr(GPtrArray) objects = json_lines(out);
	return objects->len > 0 ? json_int(g_ptr_array_index(objects, 0), key) : -1;
}

static gboolean gnutd_alive(gnutd_proc *d)
{
	if (d->pid > 0 && waitpid(d->pid, &d->status, WNOHANG) == d->pid)
		d->pid = 0;
	return d->pid > 0;
}

/* Waits until d has exited, at most EXIT_WAIT_S; TRUE when it has. */
static gboolean gnutd_wait_exit(gnutd_proc *d)
{
	gint64 deadline = g_get_monotonic_time() + EXIT_WAIT_S * G_USEC_PER_SEC;
	while (gnutd_alive(d) && g_get_monotonic_time() < deadline)
		g_usleep(POLL_US);
	return !gnutd_alive(d);
}

/* Kills d if it still runs, shows its log when asked, removes its folder. */
static void gnutd_free(gnutd_proc *d, gboolean show_log)
{
	if (gnutd_alive(d)) {
		kill(d->pid, SIGKILL);
		gnutd_wait_exit(d);
	}
	if (show_log && d->log_path != NULL) {
		g_autofree char *log = NULL;
		g_file_get_contents(d->log_path, &log, NULL, NULL);
		fprintf(stderr, "--- gnutd log\n%s\n", log ? log : "");
	}
	if (d->top != NULL)
		gnut_unit_rmtree(d->top);
	g_free(d->top);
	g_free(d->data_dir);
	g_free(d->log_path);
	memset(d, 0, sizeof *d);
}

/* Starts a gnutd ultrapeer in a fresh folder, sharing shared as
 * SHARED_FILE_NAME (nothing when NULL), and waits until it listens and its
 * control API is up. It runs --no-bootstrap, unless uhc names a loopback
 * UDP host cache to bootstrap from. No CU_ASSERT: the suite's init runs it
 * too. */
static gboolean gnutd_start(gnutd_proc *d, GBytes *shared, const char *uhc)
{
	g_autofree char *gnutd = built_program("daemon", "gnutd");
	d->top = gnut_unit_mkdtemp();
	d->data_dir = g_build_filename(d->top, "data", NULL);
	d->log_path = g_build_filename(d->top, "gnutd.log", NULL);
	g_autofree char *share = g_build_filename(d->top, "share", NULL);
	if (shared != NULL) {
		g_mkdir(share, 0700);
		g_autofree char *file = g_build_filename(share, SHARED_FILE_NAME, NULL);
		g_file_set_contents(file, g_bytes_get_data(shared, NULL),
		                    (gssize)g_bytes_get_size(shared), NULL);
	}
	int log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *argv[] = {gnutd,         "--data-dir",  d->data_dir,
	                "--listen",    "127.0.0.1:0", "--control",
	                "127.0.0.1:0", "--ultrapeer", uhc ? "--uhc" : "--no-bootstrap",
	                (char *)uhc,   NULL,          NULL,
	                NULL};
	int next = uhc ? 10 : 9;
	if (shared != NULL) {
		argv[next++] = "--share";
		argv[next] = share;
	}
	GError *error = NULL;
	gboolean spawned = g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
	                                          NULL, &d->pid, -1, log_fd, log_fd, &error);
	close(log_fd);
	if (!spawned) {
		fprintf(stderr, "cannot start %s: %s\n", gnutd, error->message);
		g_error_free(error);
		return FALSE;
	}
	g_autofree char *url = g_build_filename(d->data_dir, "control.url", NULL);
	gint64 deadline = g_get_monotonic_time() + START_WAIT_S * G_USEC_PER_SEC;
	while ((d->port == 0 || !g_file_test(url, G_FILE_TEST_EXISTS)) &&
	       g_get_monotonic_time() < deadline && gnutd_alive(d)) {
		g_autofree char *log = NULL;
		g_file_get_contents(d->log_path, &log, NULL, NULL);
		const char *at = log ? strstr(log, "listening on 127.0.0.1:") : NULL;
		if (at != NULL)
			d->port = (guint16)atoi(at + strlen("listening on 127.0.0.1:"));
		g_usleep(POLL_US);
	}
	return d->port != 0 && g_file_test(url, G_FILE_TEST_EXISTS);
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
	guint8 sha1[GNUT_SHA1_LEN];
	for (guint32 n = 0; n < 10000; n++) {
		gnut_poke_le32(data + PEER_FILE_SIZE - 4, n);
		ref_sha1(data, PEER_FILE_SIZE, sha1);
		if (memchr(sha1, 0, GNUT_SHA1_LEN) != NULL)
			break;
	}
	ref_peer_share(p, g_bytes_new_take(data, PEER_FILE_SIZE), PEER_FILE_NAME, PEER_FILE_INDEX);
}

/* ---- handshakes: the fixture's links and the tests' own ---- */

/* Links p to gnutd d as the reference dials: its CONNECT block, then step
 * 3 and, in the same write, the first compressed batch (the SCP ping of a
 * link it opened, MS, FS, QRP), and waits for the pong. What gnutd sent
 * goes to *seen; TRUE when the link is up (l open). No CU_ASSERT: the
 * suite's init runs it too; the tests check *seen. */
static gboolean link_incoming(const gnutd_proc *d, ref_peer *p, ref_link *l, incoming_seen *seen)
{
	int fd = ref_dial(d->port);
	if (fd < 0)
		return FALSE;
	g_autofree char *connect_block = g_strdup_printf(b_connect_fmt, p->port, p->guid_hex);
	g_autoptr(GByteArray) rest = g_byte_array_new();
	if (ref_send_all(fd, connect_block, strlen(connect_block)))
		seen->answer = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	g_autofree char *what = g_strdup_printf("gnutd's step 2 to %s", p->name);
	show_block(what, seen->answer);
	g_autoptr(ref_head) h = seen->answer ? ref_head_parse(seen->answer) : NULL;
	if (h == NULL || !g_str_has_prefix(h->start, "GNUTELLA/0.6 200")) {
		close(fd);
		return FALSE;
	}
	seen->early_bytes = rest->len;
	gboolean z_in = ref_has_token(ref_head_get(h, "Content-Encoding"), "deflate");
	gboolean z_out = ref_has_token(ref_head_get(h, "Accept-Encoding"), "deflate");
	/* gnutd took B's offer: step 3 confirms, then TLS, B the client */
	seen->tls = ref_has_token(ref_head_get(h, "Upgrade"), "TLS/1.0") &&
	            ref_has_token(ref_head_get(h, "Connection"), "Upgrade");
	g_autoptr(GString) final = g_string_new("GNUTELLA/0.6 200 OK\r\n");
	if (seen->tls)
		g_string_append(final, "Connection: Upgrade\r\n");
	if (z_out)
		g_string_append(final, "Content-Encoding: deflate\r\n");
	g_string_append(final, "\r\n");
	if (!ref_send_all(fd, final->str, final->len)) {
		close(fd);
		return FALSE;
	}
	g_autofree char *why = NULL;
	if (seen->tls && (fd = ref_tls_wrap(fd, FALSE, rest, &why)) < 0) {
		fprintf(stderr, "B: %s\n", why);
		return FALSE;
	}
	if (seen->tls)
		g_byte_array_set_size(rest, 0); /* they were TLS bytes */
	ref_link_open(l, p, fd, z_in, z_out, rest);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 scp_guid[16];
	ref_ping(batch, 4, TRUE, scp_guid);
	ref_supported(batch);
	ref_qrp(batch, p);
	if (!ref_link_write(l, batch)) {
		ref_link_close(l);
		return FALSE;
	}
	ref_msg pong = {0};
	seen->pong =
	    ref_link_expect(l, GNUT_MSG_PONG, scp_guid, ref_deadline_in(REF_WAIT_S), &pong);
	ref_msg_clear(&pong);
	return TRUE;
}

/* p's side of the handshake gnutd starts, keeping what gnutd sent in
 * *seen; the link on success, -1 when p refused it or it went wrong. */
static int answer_connect(ref_peer *p, int fd, GByteArray *rest, outgoing_seen *seen,
                          gboolean *z_in, gboolean *z_out)
{
	seen->connect = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	g_autofree char *what_connect = g_strdup_printf("gnutd's CONNECT to %s", p->name);
	show_block(what_connect, seen->connect);
	g_autoptr(ref_head) h = seen->connect ? ref_head_parse(seen->connect) : NULL;
	if (h == NULL)
		return -1;
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
	seen->final = ref_read_head(fd, rest, ref_deadline_in(REF_WAIT_S), NULL);
	g_autofree char *what_final = g_strdup_printf("gnutd's step 3 to %s", p->name);
	show_block(what_final, seen->final);
	g_autoptr(ref_head) f = seen->final ? ref_head_parse(seen->final) : NULL;
	if (f == NULL)
		return -1;
	*z_in = ref_has_token(ref_head_get(f, "Content-Encoding"), "deflate");
	if (!g_str_has_prefix(f->start, "GNUTELLA/0.6 200"))
		return -1;
	seen->tls = ref_has_token(ref_head_get(h, "Upgrade"), "TLS/1.0") &&
	            ref_has_token(ref_head_get(f, "Connection"), "Upgrade");
	if (!seen->tls)
		return fd;
	/* TLS right after step 3, p the server; what followed step 3 is TLS */
	g_autofree char *why = NULL;
	int plain = ref_tls_wrap(fd, TRUE, rest, &why);
	g_byte_array_set_size(rest, 0);
	if (plain < 0)
		fprintf(stderr, "%s: %s\n", p->name, why);
	return plain;
}

/* Makes gnutd d dial p (`gnut connect`) and answers as the reference does,
 * then sends what it sends on a link it accepted: MS, FS, QRP. What gnutd
 * sent goes to *seen; TRUE when the link is up (l open). No CU_ASSERT, as
 * for link_incoming. */
static gboolean link_outgoing(const gnutd_proc *d, ref_peer *p, ref_link *l, outgoing_seen *seen)
{
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", p->port);
	const char *args[] = {"connect", addr, NULL};
	seen->gnut_status = run_gnut(d, args, NULL);
	if (seen->gnut_status != 0)
		return FALSE;
	int fd = ref_accept(p->listen_fd, ref_deadline_in(REF_WAIT_S), NULL);
	if (fd < 0)
		return FALSE;
	g_autoptr(GByteArray) rest = g_byte_array_new();
	gboolean z_in = FALSE, z_out = FALSE;
	int link_fd = answer_connect(p, fd, rest, seen, &z_in, &z_out);
	if (link_fd < 0) {
		if (!seen->tls)
			close(fd); /* else the failed TLS closed it */
		return FALSE;
	}
	fd = link_fd;
	ref_link_open(l, p, fd, z_in, z_out, rest);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	ref_supported(batch);
	ref_qrp(batch, p);
	if (!ref_link_write(l, batch)) {
		ref_link_close(l);
		return FALSE;
	}
	return TRUE;
}

/* A third emulated ultrapeer, C, for a test that needs a link of its own:
 * the reference with another GUID, listening on a port of its own (which
 * its Node: header names). */
static gboolean peer_c_open(ref_peer *p)
{
	*p = (ref_peer){.name = "C", .guid_hex = C_GUID};
	p->listen_fd = ref_listen_loopback(&p->port);
	return p->listen_fd >= 0;
}

/* ---- the fixture ---- */

static void incoming_seen_clear(incoming_seen *seen)
{
	g_free(seen->answer);
	memset(seen, 0, sizeof *seen);
}

static void outgoing_seen_clear(outgoing_seen *seen)
{
	g_free(seen->connect);
	g_free(seen->final);
	memset(seen, 0, sizeof *seen);
}

static void fixture_free(gboolean show_log)
{
	ref_server_stop(&fx.server_a);
	ref_link_close(&fx.link_a);
	ref_link_close(&fx.link_b);
	gnutd_free(&fx.gnutd, show_log);
	for (ref_peer *p = &fx.peer_a; p != NULL; p = p == &fx.peer_a ? &fx.peer_b : NULL) {
		if (p->listen_fd >= 0)
			close(p->listen_fd);
		if (p->file != NULL)
			g_bytes_unref(p->file);
	}
	if (fx.shared_file != NULL)
		g_bytes_unref(fx.shared_file);
	incoming_seen_clear(&fx.b_seen);
	outgoing_seen_clear(&fx.a_seen);
	memset(&fx, 0, sizeof fx);
}

/* Shows gnutd's log when a test failed. */
static int suite_cleanup(void)
{
	fixture_free(CU_get_number_of_failures() > 0);
	return 0;
}

static int suite_init(void)
{
	gnut_digest_init();
	fx.peer_a = (ref_peer){.name = "A", .guid_hex = A_GUID};
	fx.peer_b = (ref_peer){.name = "B", .guid_hex = B_GUID};
	fx.link_a.fd = fx.link_b.fd = -1;
	fx.peer_a.listen_fd = ref_listen_loopback(&fx.peer_a.port);
	fx.peer_b.listen_fd = ref_listen_loopback(&fx.peer_b.port);
	make_peer_file(&fx.peer_a);
	fx.shared_file = make_content(SHARED_FILE_SIZE, 0x5eed0001);
	const char *failed = NULL;
	if (fx.peer_a.listen_fd < 0 || fx.peer_b.listen_fd < 0)
		failed = "no loopback port for A and B";
	else if (!gnutd_start(&fx.gnutd, fx.shared_file, NULL))
		failed = "gnutd did not start";
	else if (!link_incoming(&fx.gnutd, &fx.peer_b, &fx.link_b, &fx.b_seen))
		failed = "B could not link to gnutd";
	else if (!link_outgoing(&fx.gnutd, &fx.peer_a, &fx.link_a, &fx.a_seen))
		failed = "gnutd could not link to A";
	if (failed != NULL) {
		fprintf(stderr, "%s\n", failed);
		fixture_free(TRUE);
		return 1;
	}
	/* from now on A's port also serves HTTP, and counts gnutd's redials */
	ref_server_start(&fx.server_a, &fx.peer_a);
	return 0;
}

/* ---- gnutd answers the reference's CONNECT ---- */

static void test_incoming_handshake(void)
{
	g_autoptr(ref_head) h = fx.b_seen.answer ? ref_head_parse(fx.b_seen.answer) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_TRUE(g_str_has_prefix(h->start, "GNUTELLA/0.6 200"));
	check_gnutd_block(h);
	/* deflate negotiated as the capture shows: gnutd accepts ours and
	 * compresses what it sends */
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "Content-Encoding"), "deflate"));
	CU_ASSERT_EQUAL(fx.b_seen.early_bytes, 0); /* nothing before our step 3 */
	/* B's TLS offer taken: the link went on inside TLS */
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(h, "Connection"), "Upgrade"));
	CU_ASSERT_TRUE(fx.b_seen.tls);
	CU_ASSERT_TRUE(fx.b_seen.pong); /* our deflated stream was read, its was inflated */
}

/* ---- gnutd dials the reference ---- */

static void test_outgoing_handshake(void)
{
	CU_ASSERT_EQUAL(fx.a_seen.gnut_status, 0);
	g_autoptr(ref_head) h = fx.a_seen.connect ? ref_head_parse(fx.a_seen.connect) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(h->start, "GNUTELLA CONNECT/0.6");
	check_gnutd_block(h);
	g_autoptr(ref_head) f = fx.a_seen.final ? ref_head_parse(fx.a_seen.final) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE(g_str_has_prefix(f->start, "GNUTELLA/0.6 200"));
	/* A took gnutd's offer: gnutd's step 3 confirms, TLS follows */
	CU_ASSERT_TRUE(ref_has_token(ref_head_get(f, "Connection"), "Upgrade"));
	CU_ASSERT_TRUE(fx.a_seen.tls);
	check_ping_pong(&fx.link_a, 1, FALSE);
}

/* Both links are listed with what the reference said about itself. */
static void test_peers_listed(void)
{
	const char *args[] = {"peers", "--json", NULL};
	g_autofree char *out = NULL;
	CU_ASSERT_EQUAL(run_gnut(&fx.gnutd, args, &out), 0);
	g_autoptr(GPtrArray) peers = json_lines(out);
	CU_ASSERT_EQUAL(peers->len, 2);
	guint seen = 0;
	for (guint i = 0; i < peers->len; i++) {
		JsonObject *o = g_ptr_array_index(peers, i);
		CU_ASSERT_STRING_EQUAL(json_str(o, "mode"), "ultrapeer");
		CU_ASSERT_STRING_EQUAL(json_str(o, "user_agent"), REF_UA);
		CU_ASSERT_STRING_EQUAL(json_str(o, "host"), "127.0.0.1");
		CU_ASSERT_TRUE(json_object_get_boolean_member_with_default(o, "tls", FALSE));
		gint64 port = json_int(o, "port");
		seen |= (port == fx.peer_a.port ? 1u : 0) | (port == fx.peer_b.port ? 2u : 0);
	}
	CU_ASSERT_EQUAL(seen, 3u); /* B by its Node: port, A by the port dialed */
}

/* ---- keep-alive and vendor messages ---- */

static void test_keepalive_and_vendor(void)
{
	check_ping_pong(&fx.link_b, 1, FALSE);
	check_ping_pong(&fx.link_b, 4, TRUE);
	/* MS and FS again, and vendor messages gnutd does not know */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	ref_supported(batch);
	const guint8 info[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	ref_vendor(batch, "GTKG", 23, 2, info, sizeof info);
	ref_vendor(batch, "NOPE", 7, 1, info, 3);
	CU_ASSERT_TRUE_FATAL(ref_link_write(&fx.link_b, batch));
	/* still linked: pings are answered on both links */
	check_ping_pong(&fx.link_b, 1, FALSE);
	check_ping_pong(&fx.link_a, 1, FALSE);
	CU_ASSERT_TRUE(gnutd_alive(&fx.gnutd));
}

/* ---- a search answered by the reference, and the download of its hit ---- */

/* Whether a query payload's text holds SEARCH_WORD (the text follows the
 * two bytes of flags, up to a NUL). */
static gboolean query_is_ours(const GByteArray *payload)
{
	return payload->len > 2 && g_strstr_len((const char *)payload->data + 2,
	                                        (gssize)payload->len - 2, SEARCH_WORD) != NULL;
}

/* gnutd's query as the reference judges it: flag mark set, hops 0, a TTL
 * within the X-Max-TTL 4 it announced, our word in the text. Queries
 * without our word (another test's, relayed by gnutd) are passed over. */
static void check_query(ref_link *l)
{
	ref_msg m = {0};
	gint64 deadline = ref_deadline_in(REF_WAIT_S);
	gboolean got = FALSE;
	while (!got && ref_link_expect(l, GNUT_MSG_QUERY, NULL, deadline, &m)) {
		got = query_is_ours(m.payload);
		if (!got)
			ref_msg_clear(&m);
	}
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

/* `gnut search`: gnutd queries A and B, A answers with its hit, gnut
 * prints it; returns the hit's id. */
static gint64 search_reference(void)
{
	CU_ASSERT_PTR_NOT_NULL(
	    memchr(fx.peer_a.sha1, 0, GNUT_SHA1_LEN)); /* so "H" goes COBS-encoded */
	guint hits_before = fx.link_a.hits_sent;
	child c = {0};
	const char *args[] = {"search", "--timeout", "3", "--json", SEARCH_WORD, NULL};
	CU_ASSERT_FATAL(child_start(&fx.gnutd, &c, args));
	check_query(&fx.link_a); /* A answers it with its hit */
	check_query(&fx.link_b);
	CU_ASSERT_EQUAL(fx.link_a.hits_sent - hits_before, 1);
	CU_ASSERT_EQUAL(child_finish(&c, ref_deadline_in(2 * REF_WAIT_S)), 0);
	fprintf(stderr, "gnut search printed:\n%s", c.out->str);
	g_autoptr(GPtrArray) hits = json_lines(c.out->str);
	g_string_free(c.out, TRUE);
	JsonObject *hit = NULL;
	for (guint i = 0; i < hits->len && hit == NULL; i++)
		if (strcmp(json_str(g_ptr_array_index(hits, i), "name"), PEER_FILE_NAME) == 0)
			hit = g_ptr_array_index(hits, i);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
	CU_ASSERT_STRING_EQUAL(json_str(hit, "urn"), fx.peer_a.urn);
	CU_ASSERT_EQUAL(json_int(hit, "size"), PEER_FILE_SIZE);
	CU_ASSERT_STRING_EQUAL(json_str(hit, "host"), "127.0.0.1");
	CU_ASSERT_EQUAL(json_int(hit, "port"), fx.peer_a.port);
	return json_int(hit, "id");
}

/* `gnut get --wait` of that hit: the file comes whole from A's uploader,
 * 512 KiB a reply, all on one connection. */
static void download_from_reference(gint64 hit_id)
{
	CU_ASSERT_FATAL(hit_id >= 0);
	g_mutex_lock(&fx.server_a.lock);
	guint requests_before = fx.server_a.requests, conns_before = fx.server_a.http_conns;
	guint tls_before = fx.server_a.tls_conns;
	g_mutex_unlock(&fx.server_a.lock);
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, hit_id);
	g_autofree char *to = g_build_filename(fx.gnutd.top, "got", NULL);
	g_mkdir(to, 0700);
	const char *args[] = {"get", "--wait", "--to", to, id, NULL};
	CU_ASSERT_EQUAL(run_gnut(&fx.gnutd, args, NULL), 0);
	g_autofree char *path = g_build_filename(to, PEER_FILE_NAME, NULL);
	g_autofree char *got = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE(g_file_get_contents(path, &got, &len, NULL));
	CU_ASSERT_EQUAL(len, PEER_FILE_SIZE);
	CU_ASSERT(got != NULL && len == PEER_FILE_SIZE &&
	          memcmp(got, g_bytes_get_data(fx.peer_a.file, NULL), len) == 0);
	g_mutex_lock(&fx.server_a.lock);
	guint requests = fx.server_a.requests - requests_before;
	guint conns = fx.server_a.http_conns - conns_before;
	fprintf(stderr, "A served %u requests (%u ranged in all) on %u connections\n", requests,
	        fx.server_a.ranged, conns);
	/* 512 KiB a reply: at least 3 requests, kept on one connection; and
	 * one more connection, of its own, for the tree A's X-Thex-URI offers */
	CU_ASSERT(requests >= PEER_FILE_SIZE / REF_REPLY_CAP);
	CU_ASSERT_EQUAL(conns, 2);
	/* A's hit carried GGEP TLS: gnutd connected in TLS from the first byte */
	CU_ASSERT_EQUAL(fx.server_a.tls_conns - tls_before, 1);
	CU_ASSERT_EQUAL(fx.server_a.gnutella_conns, 0);
	CU_ASSERT_PTR_NULL(fx.server_a.problem);
	g_mutex_unlock(&fx.server_a.lock);
}

/* One scenario, one test: the download is of the hit the search found. */
static void test_search_and_download_from_reference(void)
{
	download_from_reference(search_reference());
}

/* ---- the reference downloads from gnutd ---- */

/* B's query for gnutd's file, as the reference sends it (flag mark, GGEP H
 * understood); returns the SHA-1 gnutd's hit names. */
static gboolean find_shared_file(guint8 sha1[GNUT_SHA1_LEN])
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	const guint8 flags[2] = {0x88, 0x00};
	g_byte_array_append(pl, flags, 2);
	g_byte_array_append(pl, (const guint8 *)SHARED_WORD, sizeof SHARED_WORD);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 guid[16];
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_QUERY, 4, 0, pl->data, pl->len);
	if (!ref_link_write(&fx.link_b, batch))
		return FALSE;
	ref_msg m = {0};
	if (!ref_link_expect(&fx.link_b, GNUT_MSG_QUERY_HIT, guid, ref_deadline_in(REF_WAIT_S), &m))
		return FALSE;
	gnut_qhit hit;
	gboolean found = FALSE;
	CU_ASSERT_EQUAL(gnut_qhit_decode(m.payload->data, m.payload->len, &hit), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hit.port, fx.gnutd.port);
	CU_ASSERT_EQUAL(hit.ipv4, 0x7f000001);
	for (unsigned i = 0; i < hit.n_results && !found; i++) {
		gnut_urn urn;
		if (strcmp(hit.results[i].name, SHARED_FILE_NAME) == 0 &&
		    gnut_qhit_result_urn(&hit.results[i], &urn)) {
			memcpy(sha1, urn.sha1, GNUT_SHA1_LEN);
			found = TRUE;
		}
	}
	gnut_qhit_clear(&hit);
	ref_msg_clear(&m);
	return found;
}

/* ---- the reference claims gnutd's hits out of band ---- */

/* B's query for gnutd's file as the reference sends an OOB v3 one, relayed
 * once (hops 1): flags 0x8c (mark, GGEP H, OOB), an empty GGEP "SO", and
 * its UDP address in GUID bytes 0-3 (127.0.0.1) and 13-14 (port, LE). */
static gboolean send_oob_query(guint16 udp_port, guint8 guid[16])
{
	g_autoptr(GByteArray) pl = g_byte_array_new();
	const guint8 flags[2] = {0x8c, 0x00};
	g_byte_array_append(pl, flags, 2);
	g_byte_array_append(pl, (const guint8 *)SHARED_WORD, sizeof SHARED_WORD);
	const guint8 so[] = {0xc3, 0x82, 'S', 'O', 0x40};
	g_byte_array_append(pl, so, sizeof so);
	ref_new_guid(guid);
	const guint8 loopback[4] = {127, 0, 0, 1};
	memcpy(guid, loopback, 4);
	guid[13] = (guint8)udp_port;
	guid[14] = (guint8)(udp_port >> 8);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	ref_frame(batch, guid, GNUT_MSG_QUERY, 3, 1, pl->data, pl->len);
	return ref_link_write(&fx.link_b, batch);
}

/* The next datagram from gnutd's port carrying a message of type for guid;
 * its payload (exactly what the header announces) goes to payload. */
static gboolean udp_expect(int fd, const guint8 guid[16], guint8 type, GByteArray *payload)
{
	gint64 deadline = ref_deadline_in(REF_WAIT_S);
	g_autoptr(GByteArray) d = g_byte_array_new();
	guint16 from = 0;
	while (ref_udp_recv(fd, d, &from, deadline)) {
		if (from != fx.gnutd.port || d->len < GNUT_MSG_HEADER_LEN ||
		    memcmp(d->data, guid, 16) != 0 || d->data[16] != type)
			continue;
		if (gnut_peek_le32(d->data + 19) != d->len - GNUT_MSG_HEADER_LEN)
			return FALSE;
		g_byte_array_set_size(payload, 0);
		g_byte_array_append(payload, d->data + GNUT_MSG_HEADER_LEN,
		                    d->len - GNUT_MSG_HEADER_LEN);
		return TRUE;
	}
	return FALSE;
}

/* gnutd's UDP hit: its file, and the claim's token in GGEP "SO" of the
 * private area, as OOB v3 requires. */
static void check_oob_hit(const GByteArray *payload, const guint8 *token, gsize token_len)
{
	gnut_qhit hit;
	CU_ASSERT_EQUAL_FATAL(gnut_qhit_decode(payload->data, payload->len, &hit), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(hit.results[0].name, SHARED_FILE_NAME);
	gnut_ggep g;
	gsize used = 0;
	CU_ASSERT_EQUAL_FATAL(
	    gnut_ggep_decode(hit.private_ggep.data, hit.private_ggep.len, &g, &used),
	    GNUT_PROTO_OK);
	const gnut_ggep_ext *so = gnut_ggep_find(&g, "SO");
	CU_ASSERT_PTR_NOT_NULL(so);
	CU_ASSERT_TRUE(so != NULL && so->len == token_len &&
	               memcmp(so->data, token, token_len) == 0);
	gnut_ggep_clear(&g);
	gnut_qhit_clear(&hit);
}

/* The reference queries out of band: gnutd answers with a LIME/12 v3 over
 * UDP instead of TCP hits; the reference claims them with a LIME/11 v3
 * carrying its token (one byte of which is 0x00), and the hits come over UDP
 * with that token. */
static void test_oob_claim_of_gnutd_hits(void)
{
	guint16 udp_port = 0;
	int fd = ref_udp_loopback(&udp_port);
	CU_ASSERT_FATAL(fd >= 0);
	guint8 guid[16];
	CU_ASSERT_FATAL(send_oob_query(udp_port, guid));
	g_autoptr(GByteArray) p = g_byte_array_new();
	gboolean offered = udp_expect(fd, guid, GNUT_MSG_VENDOR, p);
	CU_ASSERT_TRUE(offered);
	if (offered) {
		CU_ASSERT_EQUAL(p->len, 10); /* vendor, selector 12, version 3, hits, flags */
		CU_ASSERT_EQUAL(memcmp(p->data, "LIME\x0c\x00\x03\x00", 8), 0);
		CU_ASSERT(p->data[8] >= 1);
		const guint8 claim[] = {'L',  'I',  'M', 'E', 0x0b, 0x00, 0x03, 0x00, p->data[8],
		                        0xc3, 0x82, 'S', 'O', 0x44, 0x5a, 0x00, 0xa5, 0x17};
		g_autoptr(GByteArray) d = g_byte_array_new();
		ref_frame(d, guid, GNUT_MSG_VENDOR, 1, 0, claim, sizeof claim);
		CU_ASSERT(ref_udp_send(fd, fx.gnutd.port, d));
		gboolean hit_came = udp_expect(fd, guid, GNUT_MSG_QUERY_HIT, p);
		CU_ASSERT_TRUE(hit_came);
		if (hit_came)
			check_oob_hit(p, claim + 14, 4);
	}
	CU_ASSERT(status_field("oob_hits_sent") >= 1);
	close(fd);
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
	g_string_append_printf(r, "Host: 127.0.0.1:%u\r\n", fx.gnutd.port);
	if (d->downloaded == 0)
		g_string_append(r, "X-Features: " REF_FEATURES "\r\nX-Token: " REF_TOKEN "\r\n");
	g_string_append(r, "Accept-Encoding: deflate\r\nX-Queue: 1.1\r\n");
	if (d->queued_id != NULL)
		g_string_append_printf(r, "X-Queued: position=0; ID=%s\r\n", d->queued_id);
	g_string_append_printf(r,
	                       "X-Node: 127.0.0.1:%u\r\n"
	                       "Range: bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\r\n"
	                       "X-Downloaded: %" G_GUINT64_FORMAT "\r\n",
	                       fx.peer_b.port, a, b, d->downloaded);
	if (d->downloaded > 0)
		g_string_append_printf(
		    r, "X-Alt: tls=8, 127.0.0.1:%u\r\nX-Gnutella-Content-URN: %s\r\n",
		    fx.peer_b.port, d->urn);
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
	    fx.gnutd.port);
	CU_ASSERT_TRUE(ref_send_all(fd, req, strlen(req)));
	g_autofree char *text = ref_read_head(fd, buf, ref_deadline_in(REF_WAIT_S), NULL);
	show_block("gnutd's THEX reply", text);
	CU_ASSERT(text != NULL && g_str_has_prefix(text, "HTTP/1.1 200"));
}

static void test_download_from_gnutd(void)
{
	gint64 deadline = ref_deadline_in(3 * REF_WAIT_S);
	while (status_field("shared_files") != 1 && g_get_monotonic_time() < deadline)
		g_usleep(RETRY_US);
	guint8 sha1[GNUT_SHA1_LEN], want[GNUT_SHA1_LEN];
	CU_ASSERT_TRUE_FATAL(find_shared_file(sha1));
	ref_sha1(g_bytes_get_data(fx.shared_file, NULL), SHARED_FILE_SIZE, want);
	CU_ASSERT_EQUAL(memcmp(sha1, want, GNUT_SHA1_LEN), 0);
	ref_download d = {.fd = ref_dial(fx.gnutd.port)};
	CU_ASSERT_FATAL(d.fd >= 0);
	gnut_urn_format_sha1(sha1, d.urn);
	d.buf = g_byte_array_new();
	d.file = g_byte_array_sized_new(SHARED_FILE_SIZE);
	g_byte_array_set_size(d.file, SHARED_FILE_SIZE);
	d.have = g_byte_array_sized_new(SHARED_FILE_SIZE);
	g_byte_array_set_size(d.have, SHARED_FILE_SIZE);
	memset(d.have->data, 0, SHARED_FILE_SIZE);
	download_ranges(&d);
	CU_ASSERT_EQUAL(
	    memcmp(d.file->data, g_bytes_get_data(fx.shared_file, NULL), SHARED_FILE_SIZE), 0);
	if (d.thex != NULL)
		fetch_thex(d.fd, d.buf, d.thex);
	close(d.fd);
	g_byte_array_unref(d.buf);
	g_byte_array_unref(d.file);
	g_byte_array_unref(d.have);
	g_free(d.queued_id);
	g_free(d.thex);
}

/* ---- Bye ---- */

/* The number of links `gnut peers` lists once it lists want, or at the
 * deadline (gnutd notices a link's end a moment after it). */
static guint peers_listed(guint want)
{
	const char *args[] = {"peers", "--json", NULL};
	guint links = 0;
	for (gint64 deadline = ref_deadline_in(REF_WAIT_S); g_get_monotonic_time() < deadline;
	     g_usleep(RETRY_US)) {
		g_autofree char *out = NULL;
		run_gnut(&fx.gnutd, args, &out);
		g_autoptr(GPtrArray) peers = json_lines(out);
		links = peers->len;
		if (links == want)
			break;
	}
	return links;
}

/* The reference's Bye on l: gnutd closes the link. */
static void say_bye(ref_link *l)
{
	const char text[] = "Servent shutdown\r\nServer: " REF_UA "\r\n\r\n";
	g_autoptr(GByteArray) pl = g_byte_array_new();
	ref_put_le16(pl, 200);
	g_byte_array_append(pl, (const guint8 *)text, sizeof text); /* with its NUL */
	g_autoptr(GByteArray) batch = g_byte_array_new();
	guint8 guid[16];
	ref_new_guid(guid);
	ref_frame(batch, guid, GNUT_MSG_BYE, 1, 0, pl->data, pl->len);
	CU_ASSERT_TRUE(ref_link_write(l, batch));
	ref_msg m = {0};
	while (ref_link_next(l, ref_deadline_in(REF_WAIT_S), &m))
		ref_msg_clear(&m);
	CU_ASSERT_TRUE(l->broken); /* gnutd closed the link */
	CU_ASSERT_STRING_EQUAL(l->why ? l->why : "", "closed by gnutd");
}

/* On a third link, C's, so that A's and B's stay for the other tests. */
static void test_bye(void)
{
	ref_peer c;
	CU_ASSERT_FATAL(peer_c_open(&c));
	ref_link l = {.fd = -1};
	incoming_seen seen = {0};
	gboolean up = link_incoming(&fx.gnutd, &c, &l, &seen);
	CU_ASSERT_TRUE(up);
	if (up) {
		CU_ASSERT_EQUAL(peers_listed(3), 3);
		say_bye(&l);
	}
	ref_link_close(&l);
	close(c.listen_fd);
	incoming_seen_clear(&seen);
	CU_ASSERT_TRUE(gnutd_alive(&fx.gnutd));
	CU_ASSERT_EQUAL(peers_listed(2), 2);
	check_ping_pong(&fx.link_a, 1, FALSE); /* the other links are untouched */
	check_ping_pong(&fx.link_b, 1, FALSE);
}

/* ---- shutdown: the reference said Bye-Packet: 0.1 ---- */

/* SIGTERM: gnutd says Bye on l, then exits 0. */
static void check_shutdown(gnutd_proc *d, ref_link *l)
{
	CU_ASSERT_TRUE(gnutd_alive(d));
	kill(d->pid, SIGTERM);
	ref_msg m = {0};
	gboolean got = ref_link_expect(l, GNUT_MSG_BYE, NULL, ref_deadline_in(REF_WAIT_S), &m);
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
	CU_ASSERT_TRUE(gnutd_wait_exit(d));
	CU_ASSERT_TRUE(WIFEXITED(d->status));
	CU_ASSERT_EQUAL(WEXITSTATUS(d->status), 0);
}

/* On a gnutd of the test's own, linked to C: stopping the fixture's would
 * leave nothing for the tests after this one. */
static void test_shutdown(void)
{
	ref_peer c;
	CU_ASSERT_FATAL(peer_c_open(&c));
	gnutd_proc d = {0};
	ref_link l = {.fd = -1};
	incoming_seen seen = {0};
	gboolean started = gnutd_start(&d, NULL, NULL);
	CU_ASSERT_TRUE(started);
	gboolean up = started && link_incoming(&d, &c, &l, &seen);
	CU_ASSERT_TRUE(up);
	if (up)
		check_shutdown(&d, &l);
	ref_link_close(&l);
	close(c.listen_fd);
	incoming_seen_clear(&seen);
	gnutd_free(&d, CU_get_number_of_failures() > 0);
}

/* ---- gnutd bootstraps from the reference as a UDP host cache ---- */

/* gnut hosts --json of d lists every port of want. */
static gboolean hosts_listed(gnutd_proc *d, const guint16 *want, gsize n)
{
	const char *args[] = {"hosts", "--json", NULL};
	g_autofree char *out = NULL;
	if (run_gnut(d, args, &out) != 0)
		return FALSE;
	g_autoptr(GPtrArray) objects = json_lines(out);
	gsize found = 0;
	for (gsize i = 0; i < n; i++)
		for (guint j = 0; j < objects->len; j++)
			if (json_int(g_ptr_array_index(objects, j), "port") == want[i]) {
				found++;
				break;
			}
	return found == n;
}

/* A fresh gnutd given only --uhc C sends C a UDP ping with SCP; C answers
 * as the reference does (DU, UP, VC, TLS, IPP) and gnutd caches C itself
 * (an ultrapeer, from UP) and the host of IPP. Neither accepts the links
 * gnutd then tries: that is the host cache's business, tested elsewhere. */
static void test_bootstrap_from_reference_uhc(void)
{
	ref_peer c = {.name = "C", .guid_hex = A_GUID};
	ref_peer other = {.name = "D", .guid_hex = B_GUID};
	c.listen_fd = ref_listen_loopback(&c.port);
	other.listen_fd = ref_listen_loopback(&other.port);
	CU_ASSERT_TRUE_FATAL(c.listen_fd >= 0 && other.listen_fd >= 0);
	g_autofree char *ipp0 = g_strdup_printf("127.0.0.1:%u", other.port);
	const char *ipp[] = {ipp0, NULL};
	ref_udp u = {.fd = -1};
	CU_ASSERT_TRUE_FATAL(ref_udp_start(&u, &c, ipp));
	g_autofree char *uhc = g_strdup_printf("127.0.0.1:%u", c.port);
	gnutd_proc d = {0};
	CU_ASSERT_TRUE(gnutd_start(&d, NULL, uhc));
	const guint16 want[] = {c.port, other.port};
	gint64 deadline = g_get_monotonic_time() + START_WAIT_S * G_USEC_PER_SEC;
	gboolean listed = FALSE;
	while (!listed && g_get_monotonic_time() < deadline && gnutd_alive(&d)) {
		listed = g_atomic_int_get(&u.answered) > 0 && hosts_listed(&d, want, 2);
		if (!listed)
			g_usleep(POLL_US);
	}
	CU_ASSERT_TRUE(listed);
	CU_ASSERT_EQUAL(g_atomic_int_get(&u.pings), 1); /* one query: it answered */
	ref_udp_stop(&u);
	close(c.listen_fd);
	close(other.listen_fd);
	gnutd_free(&d, CU_get_number_of_failures() > 0);
}

static CU_TestInfo tests[] = {
    {"incoming: gnutd answers the reference's CONNECT", test_incoming_handshake},
    {"outgoing: gnutd dials the reference", test_outgoing_handshake},
    {"both links listed", test_peers_listed},
    {"keep-alive pings, vendor messages", test_keepalive_and_vendor},
    {"search answered with a reference hit, download of that hit",
     test_search_and_download_from_reference},
    {"the reference downloads from gnutd", test_download_from_gnutd},
    {"the reference claims gnutd's hits out of band", test_oob_claim_of_gnutd_hits},
    {"Bye from the reference", test_bye},
    {"bootstrap from the reference as a UDP host cache", test_bootstrap_from_reference_uhc},
    {"shutdown says Bye", test_shutdown},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("interop with the reference servent", tests, suite_init, suite_cleanup)
