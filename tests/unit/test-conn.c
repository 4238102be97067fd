/* test-conn.c: connections, the listener and the connector over real
 * loopback sockets (127.0.0.1, ephemeral ports) in the default main context.
 * Each wait iterates the context until a condition holds or a generous
 * deadline passes; the deadline only turns a hang into a failure, no
 * assertion depends on timing. */
#include "gnut/net/conn.h"
#include "gnut/net/deflate-stream.h"
#include "gnut/net/listener.h"
#include "gnut/proto/wire.h"
#include "unit.h"

#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define DEADLINE_MS 20000

/* One end of a test connection and what happened to it. Frames are a
 * 2-byte big-endian length and that many payload bytes. */
typedef struct {
	gnut_conn *conn;
	GPtrArray *frames; /* GBytes payloads, in arrival order */
	GByteArray *raw;   /* input consumed in raw mode */
	gboolean raw_mode;
	gboolean echo;          /* send each frame back */
	gboolean handshake;     /* wait for "\r\n\r\n", then compress both ways */
	gboolean close_on_read; /* close (and maybe unref) in the readable callback */
	gboolean unref_on_read;
	gboolean unref_on_close;
	gboolean in_readable;
	gsize leftover_at_switch; /* input buffered behind the handshake */
	gboolean nested_close;    /* the closed callback ran inside readable */
	guint closed_calls;
	GError *reason;
} endpoint;

static gboolean run_until(gboolean (*cond)(gpointer), gpointer data)
{
	return gnut_unit_run_until(cond, data, DEADLINE_MS);
}

static GBytes *frame_new(const void *payload, gsize len)
{
	guint8 *buf = g_malloc(len + 2);
	gnut_poke_be16(buf, (uint16_t)len);
	if (len > 0)
		memcpy(buf + 2, payload, len);
	return g_bytes_new_take(buf, len + 2);
}

/* Takes the compressed-both-ways "handshake": a header block ending in an
 * empty line, after which everything is a zlib stream. */
static gboolean take_handshake(endpoint *ep, gnut_conn *conn)
{
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	const char *end = g_strstr_len((const char *)in, (gssize)len, "\r\n\r\n");
	if (end == NULL)
		return FALSE;
	gnut_conn_consume_input(conn, (gsize)(end - (const char *)in) + 4);
	gnut_conn_peek_input(conn, &ep->leftover_at_switch);
	gnut_conn_enable_inflate(conn);
	gnut_conn_enable_deflate(conn);
	ep->handshake = FALSE;
	return TRUE;
}

static void take_frames(endpoint *ep, gnut_conn *conn)
{
	gsize len = 0, off = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	while (len - off >= 2) {
		gsize n = gnut_peek_be16(in + off);
		if (len - off < 2 + n)
			break;
		g_ptr_array_add(ep->frames, g_bytes_new(in + off + 2, n));
		if (ep->echo) {
			GBytes *back = g_bytes_new(in + off, 2 + n);
			gnut_conn_send(conn, back, GNUT_PRIO_HIT);
			g_bytes_unref(back);
		}
		off += 2 + n;
	}
	gnut_conn_consume_input(conn, off);
}

static void on_readable(gnut_conn *conn, gpointer data)
{
	endpoint *ep = data;
	ep->in_readable = TRUE;
	if (ep->close_on_read) {
		GError *why = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "test");
		gnut_conn_close(conn, why);
		g_error_free(why);
		/* Still readable after the close; nothing delivered yet. */
		gsize len = 0;
		gnut_conn_peek_input(conn, &len);
		CU_ASSERT_TRUE(len > 0);
		CU_ASSERT_TRUE(gnut_conn_is_closed(conn));
		CU_ASSERT_EQUAL(ep->closed_calls, 0);
		if (ep->unref_on_read)
			g_clear_pointer(&ep->conn, gnut_conn_unref);
	} else if (ep->raw_mode) {
		gsize len = 0;
		const guint8 *in = gnut_conn_peek_input(conn, &len);
		g_byte_array_append(ep->raw, in, (guint)len);
		gnut_conn_consume_input(conn, len);
	} else if (!ep->handshake || take_handshake(ep, conn)) {
		take_frames(ep, conn);
	}
	ep->in_readable = FALSE;
}

static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	endpoint *ep = data;
	if (ep->in_readable)
		ep->nested_close = TRUE;
	ep->closed_calls++;
	g_clear_error(&ep->reason);
	ep->reason = g_error_copy(reason);
	if (ep->unref_on_close)
		g_clear_pointer(&ep->conn, gnut_conn_unref);
}

static void endpoint_init(endpoint *ep, gnut_conn *conn)
{
	memset(ep, 0, sizeof *ep);
	ep->conn = conn;
	ep->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	ep->raw = g_byte_array_new();
}

static void endpoint_listen(endpoint *ep)
{
	gnut_conn_set_handlers(ep->conn, on_readable, on_closed, ep);
}

static void endpoint_clear(endpoint *ep)
{
	if (ep->conn != NULL) {
		gnut_conn_set_handlers(ep->conn, NULL, NULL, NULL);
		gnut_conn_unref(ep->conn);
	}
	g_ptr_array_unref(ep->frames);
	g_byte_array_unref(ep->raw);
	g_clear_error(&ep->reason);
}

static gboolean ep_closed(gpointer data)
{
	return ((endpoint *)data)->closed_calls > 0;
}

static void conn_pair(endpoint *client, endpoint *server)
{
	GSocketConnection *c, *s;
	gnut_unit_socket_pair(&c, &s);
	endpoint_init(client, gnut_conn_new(c));
	endpoint_init(server, gnut_conn_new(s));
	g_object_unref(c);
	g_object_unref(s);
}

typedef struct {
	endpoint *ep;
	guint n;
} frames_wait;

static gboolean has_frames(gpointer data)
{
	frames_wait *w = data;
	return w->ep->frames->len >= w->n || w->ep->closed_calls > 0;
}

/* Payload of frame i in the echo tests: length and bytes derive from i. */
static GBytes *numbered_frame(guint i)
{
	gsize len = (i * 37) % 3000;
	guint8 *p = g_malloc(len + 1);
	for (gsize j = 0; j < len; j++)
		p[j] = (guint8)(i + j);
	GBytes *f = frame_new(p, len);
	g_free(p);
	return f;
}

static gboolean numbered_frame_ok(GBytes *payload, guint i)
{
	gsize len = 0;
	const guint8 *p = g_bytes_get_data(payload, &len);
	if (len != (i * 37) % 3000)
		return FALSE;
	for (gsize j = 0; j < len; j++)
		if (p[j] != (guint8)(i + j))
			return FALSE;
	return TRUE;
}

static void test_echo_framed(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.echo = TRUE;
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	gnut_conn_set_output_cap(cl.conn, 1 << 20);
	gnut_conn_set_output_cap(sv.conn, 1 << 20);
	GInetSocketAddress *ra = gnut_conn_get_remote_address(sv.conn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	char *expect = g_strdup_printf("127.0.0.1:%u", g_inet_socket_address_get_port(ra));
	CU_ASSERT_STRING_EQUAL(gnut_conn_get_peer(sv.conn), expect);
	g_free(expect);

	const guint n = 300;
	guint accepted = 0;
	for (guint i = 0; i < n; i++) {
		GBytes *f = numbered_frame(i);
		accepted += gnut_conn_send(cl.conn, f, GNUT_PRIO_QUERY) ? 1 : 0;
		g_bytes_unref(f);
	}
	CU_ASSERT_EQUAL(accepted, n);
	frames_wait w = {&cl, n};
	CU_ASSERT_TRUE(run_until(has_frames, &w));
	CU_ASSERT_EQUAL(cl.frames->len, n);
	guint good = 0;
	for (guint i = 0; i < cl.frames->len; i++)
		good += numbered_frame_ok(g_ptr_array_index(cl.frames, i), i) ? 1 : 0;
	CU_ASSERT_EQUAL(good, n);
	gnut_conn_stats cs, ss;
	gnut_conn_get_stats(cl.conn, &cs);
	gnut_conn_get_stats(sv.conn, &ss);
	CU_ASSERT_EQUAL(cs.bytes_out, ss.bytes_in);
	CU_ASSERT_EQUAL(ss.bytes_out, cs.bytes_in);
	CU_ASSERT_EQUAL(cs.payload_out, cs.bytes_out);
	CU_ASSERT_EQUAL(cs.output_queued, 0);
	CU_ASSERT_FALSE(cs.inflating || cs.deflating);
	CU_ASSERT_EQUAL(cl.closed_calls + sv.closed_calls, 0);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_input_cap_overflow(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	gnut_conn_set_input_cap(sv.conn, 1000);
	CU_ASSERT_EQUAL(gnut_conn_get_input_cap(sv.conn), 1000);
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	guint8 payload[5000];
	memset(payload, 'x', sizeof payload);
	GBytes *small = frame_new(payload, 500);
	GBytes *big = frame_new(payload, sizeof payload);
	CU_ASSERT_TRUE(gnut_conn_send(cl.conn, small, GNUT_PRIO_QUERY));
	CU_ASSERT_TRUE(gnut_conn_send(cl.conn, big, GNUT_PRIO_QUERY));
	g_bytes_unref(small);
	g_bytes_unref(big);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_TRUE(g_error_matches(sv.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_INPUT_OVERFLOW));
	CU_ASSERT_EQUAL(sv.frames->len, 1);
	CU_ASSERT_TRUE(gnut_conn_is_closed(sv.conn));
	/* The peer notices (end of stream or reset). */
	CU_ASSERT_TRUE(run_until(ep_closed, &cl));
	CU_ASSERT_EQUAL(cl.closed_calls, 1);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

/* Slow-reader payload: kind (a gnut_prio), sequence number, padding. */
static GBytes *seq_frame(gnut_prio kind, guint32 seq)
{
	guint8 payload[1000];
	memset(payload, 0, sizeof payload);
	payload[0] = (guint8)kind;
	gnut_poke_be32(payload + 1, seq);
	return frame_new(payload, sizeof payload);
}

static guint send_seq(endpoint *ep, gnut_prio kind, guint count, guint32 *seq)
{
	guint ok = 0;
	for (guint i = 0; i < count; i++) {
		GBytes *f = seq_frame(kind, (*seq)++);
		ok += gnut_conn_send(ep->conn, f, kind) ? 1 : 0;
		g_bytes_unref(f);
	}
	return ok;
}

/* Checks what a slow reader finally got: per kind, rising sequence
 * numbers; the control messages (queued last) overtook the queries, which
 * overtook the bulk still queued. */
static void check_slow_reader_order(GPtrArray *frames)
{
	guint counts[GNUT_PRIO_COUNT] = {0};
	gint64 last_seq[GNUT_PRIO_COUNT];
	gint last_idx[GNUT_PRIO_COUNT], first_idx[GNUT_PRIO_COUNT];
	for (int k = 0; k < GNUT_PRIO_COUNT; k++)
		last_seq[k] = last_idx[k] = first_idx[k] = -1;
	gboolean rising = TRUE;
	for (guint i = 0; i < frames->len; i++) {
		const guint8 *p = g_bytes_get_data(g_ptr_array_index(frames, i), NULL);
		guint k = p[0] < GNUT_PRIO_COUNT ? p[0] : 0;
		gint64 seq = gnut_peek_be32(p + 1);
		rising = rising && seq > last_seq[k];
		last_seq[k] = seq;
		counts[k]++;
		if (first_idx[k] < 0)
			first_idx[k] = (gint)i;
		last_idx[k] = (gint)i;
	}
	CU_ASSERT_TRUE(rising);
	CU_ASSERT_EQUAL(counts[GNUT_PRIO_CONTROL], 10);
	CU_ASSERT_EQUAL(counts[GNUT_PRIO_QUERY], 20);
	CU_ASSERT_TRUE(last_idx[GNUT_PRIO_CONTROL] < first_idx[GNUT_PRIO_QUERY]);
	CU_ASSERT_TRUE(last_idx[GNUT_PRIO_QUERY] < last_idx[GNUT_PRIO_BULK]);
}

static void test_slow_reader_drops_low_priority(void)
{
	GSocketConnection *c, *s;
	gnut_unit_socket_pair(&c, &s);
	/* Small kernel buffers so that the queue fills quickly. */
	g_socket_set_option(g_socket_connection_get_socket(c), SOL_SOCKET, SO_SNDBUF, 4096, NULL);
	g_socket_set_option(g_socket_connection_get_socket(s), SOL_SOCKET, SO_RCVBUF, 4096, NULL);
	endpoint wr, rd;
	endpoint_init(&wr, gnut_conn_new(c));
	endpoint_init(&rd, gnut_conn_new(s));
	g_object_unref(c);
	g_object_unref(s);
	const gsize cap = 64 * 1024;
	gnut_conn_set_output_cap(wr.conn, cap);
	gnut_conn_set_handlers(wr.conn, NULL, on_closed, &wr);
	const gnut_outq_stats *st = gnut_outq_get_stats(gnut_conn_get_outq(wr.conn));

	/* The reader reads nothing: the writer's queue fills, then drops. */
	guint32 seq = 0;
	guint accepted = 0, sent = 0;
	gsize peak = 0;
	while (sent < 20000 && st->dropped_msgs[GNUT_PRIO_BULK] < 100) {
		accepted += send_seq(&wr, GNUT_PRIO_BULK, 1, &seq);
		sent++;
		g_main_context_iteration(NULL, FALSE);
		gnut_conn_stats cs;
		gnut_conn_get_stats(wr.conn, &cs);
		peak = MAX(peak, cs.output_queued);
	}
	guint refused = sent - accepted;
	CU_ASSERT_TRUE(st->dropped_msgs[GNUT_PRIO_BULK] >= 100);
	CU_ASSERT_TRUE(peak <= cap);
	CU_ASSERT_TRUE(peak > cap - 1002);
	/* Higher priorities still get in, by evicting queued bulk. */
	CU_ASSERT_EQUAL(send_seq(&wr, GNUT_PRIO_QUERY, 20, &seq), 20);
	CU_ASSERT_EQUAL(send_seq(&wr, GNUT_PRIO_CONTROL, 10, &seq), 10);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_QUERY], 0);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_CONTROL], 0);
	guint evicted = (guint)st->dropped_msgs[GNUT_PRIO_BULK] - refused;
	CU_ASSERT_TRUE(evicted >= 30);
	CU_ASSERT_TRUE(gnut_outq_bytes(gnut_conn_get_outq(wr.conn)) <= cap);

	/* The reader wakes up and gets every message that was not dropped. */
	guint expected = accepted + 30 - evicted;
	endpoint_listen(&rd);
	frames_wait w = {&rd, expected};
	CU_ASSERT_TRUE(run_until(has_frames, &w));
	CU_ASSERT_EQUAL(rd.frames->len, expected);
	check_slow_reader_order(rd.frames);
	CU_ASSERT_EQUAL(rd.closed_calls + wr.closed_calls, 0);
	endpoint_clear(&wr);
	endpoint_clear(&rd);
}

/* Text that compresses like Gnutella traffic does. */
static GBytes *text_frame(guint i)
{
	char *text = g_strdup_printf("QUERY HIT %u: linux-distro-%u.iso urn:sha1:ABCDEFGHIJKLMNOP "
	                             "size=%u speed=1000 vendor=GNUT",
	                             i, i % 17, i * 1000);
	GBytes *f = frame_new(text, strlen(text));
	g_free(text);
	return f;
}

/* Frames first..last-1 of text_frame came back intact to ep, in order. */
static guint frames_intact(const endpoint *ep, guint first, guint last)
{
	guint good = 0;
	for (guint i = first; i < last && i < ep->frames->len; i++) {
		GBytes *want = text_frame(i);
		gsize wl = 0, gl = 0;
		const guint8 *wd = g_bytes_get_data(want, &wl);
		const guint8 *gd = g_bytes_get_data(g_ptr_array_index(ep->frames, i), &gl);
		good += (gl + 2 == wl && memcmp(gd, wd + 2, gl) == 0) ? 1 : 0;
		g_bytes_unref(want);
	}
	return good;
}

/* A client and an echoing server whose handshake ends at an empty line;
 * the client's hello (asking for deflate) is queued, not yet written. */
static void echo_pair_with_hello(endpoint *cl, endpoint *sv)
{
	conn_pair(cl, sv);
	sv->handshake = TRUE;
	sv->echo = TRUE;
	endpoint_listen(sv);
	endpoint_listen(cl);
	const char hello[] = "HELLO/0.6\r\nAccept-Encoding: deflate\r\n\r\n";
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl->conn, hello, strlen(hello)));
}

static void test_deflate_both_ends(void)
{
	endpoint cl, sv;
	echo_pair_with_hello(&cl, &sv);
	/* The header is queued, not yet written: it still goes out plain, and
	 * the compressed frames right behind it reach the server in the same
	 * read, before it has switched its input to inflate. */
	gnut_conn_enable_deflate(cl.conn);
	gnut_conn_enable_inflate(cl.conn);
	const guint n = 200;
	for (guint i = 0; i < n; i++) {
		GBytes *f = text_frame(i);
		gnut_conn_send(cl.conn, f, GNUT_PRIO_HIT);
		g_bytes_unref(f);
	}
	frames_wait w = {&cl, n};
	CU_ASSERT_TRUE(run_until(has_frames, &w));
	CU_ASSERT_EQUAL(cl.frames->len, n);
	CU_ASSERT_EQUAL(sv.frames->len, n);
	/* The path under test: compressed bytes were already buffered. */
	CU_ASSERT_TRUE(sv.leftover_at_switch > 0);
	CU_ASSERT_EQUAL(frames_intact(&cl, 0, n), n);
	gnut_conn_stats cs, ss;
	gnut_conn_get_stats(cl.conn, &cs);
	gnut_conn_get_stats(sv.conn, &ss);
	CU_ASSERT_TRUE(cs.deflating && cs.inflating && ss.deflating && ss.inflating);
	CU_ASSERT_TRUE(cs.bytes_out < cs.payload_out);
	CU_ASSERT_TRUE(ss.payload_in > ss.bytes_in);
	CU_ASSERT_EQUAL(cs.bytes_out, ss.bytes_in);
	CU_ASSERT_EQUAL(cs.payload_in, ss.payload_out);
	CU_ASSERT_EQUAL(cl.closed_calls + sv.closed_calls, 0);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

/* A small window, and both ends giving back their compressor and buffers
 * between rounds of traffic: the streams still decode, every frame intact. */
static void test_deflate_sized_released_idle(void)
{
	endpoint cl, sv;
	echo_pair_with_hello(&cl, &sv);
	gnut_conn_enable_deflate_sized(cl.conn, 12, 5);
	gnut_conn_enable_inflate(cl.conn);
	const guint per_round = 60, rounds = 3;
	for (guint r = 0; r < rounds; r++) {
		for (guint i = r * per_round; i < (r + 1) * per_round; i++) {
			GBytes *f = text_frame(i);
			gnut_conn_send(cl.conn, f, GNUT_PRIO_HIT);
			g_bytes_unref(f);
		}
		frames_wait w = {&cl, (r + 1) * per_round};
		CU_ASSERT_TRUE_FATAL(run_until(has_frames, &w));
		CU_ASSERT_TRUE(gnut_conn_release_idle(cl.conn));
		CU_ASSERT_TRUE(gnut_conn_release_idle(sv.conn));
	}
	CU_ASSERT_EQUAL(frames_intact(&cl, 0, rounds * per_round), rounds * per_round);
	CU_ASSERT_EQUAL(cl.closed_calls + sv.closed_calls, 0);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_inflate_corrupt_input(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.handshake = TRUE;
	endpoint_listen(&sv);
	endpoint_listen(&cl);
	const char junk[] = "HI\r\n\r\nthis is not a zlib stream at all";
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, junk, strlen(junk)));
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_TRUE(g_error_matches(sv.reason, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_CORRUPT));
	CU_ASSERT_EQUAL(sv.frames->len, 0);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_inflate_bomb_closes(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.raw_mode = TRUE;
	gnut_conn_enable_inflate(sv.conn);
	endpoint_listen(&sv);
	endpoint_listen(&cl);
	/* 32 MiB of zeros in about 32 KB. */
	gsize big = 32 * 1024 * 1024;
	guint8 *zeros = g_malloc0(big);
	uLongf clen = compressBound(big);
	guint8 *bomb = g_malloc(clen);
	CU_ASSERT_EQUAL_FATAL(compress2(bomb, &clen, zeros, big, 9), Z_OK);
	g_free(zeros);
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, bomb, clen));
	g_free(bomb);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_TRUE(g_error_matches(sv.reason, GNUT_DEFLATE_ERROR, GNUT_DEFLATE_ERROR_BOMB));
	gnut_conn_stats ss;
	gnut_conn_get_stats(sv.conn, &ss);
	CU_ASSERT_TRUE(ss.payload_in <= ss.bytes_in * GNUT_INFLATE_LINK_MAX_RATIO +
	                                    GNUT_INFLATE_RATIO_SLACK + GNUT_CONN_DEFAULT_INPUT_CAP);
	CU_ASSERT_TRUE(sv.raw->len < big);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_peer_close_after_flush(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	for (guint i = 0; i < 3; i++) {
		GBytes *f = numbered_frame(i + 10);
		gnut_conn_send(cl.conn, f, GNUT_PRIO_CONTROL);
		g_bytes_unref(f);
	}
	gnut_conn_flush_and_close(cl.conn);
	GBytes *late = numbered_frame(1);
	CU_ASSERT_FALSE(gnut_conn_send(cl.conn, late, GNUT_PRIO_CONTROL));
	g_bytes_unref(late);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_EQUAL(sv.frames->len, 3);
	CU_ASSERT_TRUE(g_error_matches(sv.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_PEER_CLOSED));
	CU_ASSERT_TRUE(g_error_matches(gnut_conn_get_close_reason(sv.conn), GNUT_CONN_ERROR,
	                               GNUT_CONN_ERROR_PEER_CLOSED));
	CU_ASSERT_TRUE(run_until(ep_closed, &cl));
	CU_ASSERT_TRUE(g_error_matches(cl.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL));
	CU_ASSERT_EQUAL(cl.closed_calls, 1);
	CU_ASSERT_EQUAL(sv.closed_calls, 1);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void send_one(endpoint *ep)
{
	GBytes *f = numbered_frame(5);
	gnut_conn_send(ep->conn, f, GNUT_PRIO_QUERY);
	g_bytes_unref(f);
}

static void test_close_and_unref_inside_readable(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.close_on_read = TRUE;
	sv.unref_on_read = TRUE;
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	send_one(&cl);
	/* The server drops its last reference inside its own callback. */
	CU_ASSERT_TRUE(run_until(ep_closed, &cl));
	CU_ASSERT_PTR_NULL(sv.conn);
	/* Gone for good: no closed callback reaches an owner that let go. */
	CU_ASSERT_EQUAL(sv.closed_calls, 0);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_close_inside_readable_delivers_later(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.close_on_read = TRUE;
	sv.unref_on_close = TRUE;
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	send_one(&cl);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_EQUAL(sv.closed_calls, 1);
	CU_ASSERT_FALSE(sv.nested_close);
	CU_ASSERT_TRUE(g_error_matches(sv.reason, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
	CU_ASSERT_PTR_NULL(sv.conn); /* released from inside the closed callback */
	CU_ASSERT_TRUE(run_until(ep_closed, &cl));
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static void test_second_close_keeps_first_reason(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	gnut_conn_close(cl.conn, NULL);
	GError *other = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "other");
	gnut_conn_close(cl.conn, other);
	g_error_free(other);
	CU_ASSERT_EQUAL(cl.closed_calls, 0); /* never from inside the call */
	GBytes *x = g_bytes_new_static("x", 1);
	CU_ASSERT_FALSE(gnut_conn_send(cl.conn, x, GNUT_PRIO_BULK));
	g_bytes_unref(x);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_TRUE(run_until(ep_closed, &cl));
	CU_ASSERT_EQUAL(cl.closed_calls, 1);
	CU_ASSERT_TRUE(g_error_matches(cl.reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL));
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

/* What the listener's accept callback saw, and what it does: hand the
 * connection to `owner` (a raw reader) or steal its socket. */
typedef struct {
	GPtrArray *lines;
	endpoint owner;
	gboolean owner_set;
	gboolean steal;
	GSocketConnection *stolen;
	GBytes *stolen_buffered;
} accept_ctx;

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	accept_ctx *a = data;
	g_ptr_array_add(a->lines, g_strdup(line));
	if (a->steal) {
		a->stolen = gnut_conn_steal_socket(conn, &a->stolen_buffered, NULL);
		gnut_conn_unref(conn);
		return;
	}
	/* The hand-off happens inside the listener's own readable callback. */
	endpoint_init(&a->owner, conn);
	a->owner.raw_mode = TRUE;
	a->owner_set = TRUE;
	endpoint_listen(&a->owner);
}

static void accept_ctx_clear(accept_ctx *a)
{
	g_ptr_array_unref(a->lines);
	if (a->owner_set)
		endpoint_clear(&a->owner);
	g_clear_object(&a->stolen);
	g_clear_pointer(&a->stolen_buffered, g_bytes_unref);
}

typedef struct {
	gboolean done;
	gnut_conn *conn;
	GError *error;
} connect_result;

static void on_connect_done(GObject *source, GAsyncResult *res, gpointer data)
{
	connect_result *r = data;
	r->conn = gnut_conn_connect_finish(res, &r->error);
	r->done = TRUE;
}

static gboolean connect_done(gpointer data)
{
	return ((connect_result *)data)->done;
}

/* An endpoint connected to 127.0.0.1:port with gnut_conn_connect_async. */
static gboolean dial(endpoint *ep, guint16 port)
{
	char *where = g_strdup_printf("127.0.0.1:%u", port);
	connect_result r = {0};
	gnut_conn_connect_async(where, 0, 5, NULL, on_connect_done, &r);
	g_free(where);
	run_until(connect_done, &r);
	if (r.conn == NULL) {
		g_clear_error(&r.error);
		return FALSE;
	}
	endpoint_init(ep, r.conn);
	endpoint_listen(ep);
	return TRUE;
}

typedef struct {
	accept_ctx *a;
	gsize want;
} owner_wait;

static gboolean owner_has(gpointer data)
{
	owner_wait *w = data;
	return w->a->owner_set && w->a->owner.raw->len >= w->want;
}

typedef struct {
	endpoint *ep;
	gsize want;
} raw_wait;

static gboolean raw_has(gpointer data)
{
	raw_wait *w = data;
	return w->ep->raw->len >= w->want || w->ep->closed_calls > 0;
}

static void test_listener_dispatch_and_handoff(void)
{
	accept_ctx a = {.lines = g_ptr_array_new_with_free_func(g_free)};
	gnut_listener_config cfg = {.address = "127.0.0.1", .port = 0};
	GError *err = NULL;
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_TRUE(gnut_listener_get_port(l) > 0);
	endpoint cl;
	CU_ASSERT_TRUE_FATAL(dial(&cl, gnut_listener_get_port(l)));
	char *peer = g_strdup_printf("127.0.0.1:%u", gnut_listener_get_port(l));
	CU_ASSERT_STRING_EQUAL(gnut_conn_get_peer(cl.conn), peer);
	g_free(peer);
	cl.raw_mode = TRUE;
	const char req[] = "GET /uri-res/N2R?urn:sha1:X HTTP/1.1\r\nHost: a\r\n\r\nBODY";
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, req, strlen(req)));
	owner_wait w = {&a, strlen(req)};
	CU_ASSERT_TRUE_FATAL(run_until(owner_has, &w));
	CU_ASSERT_EQUAL(a.lines->len, 1);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.lines, 0),
	                       "GET /uri-res/N2R?urn:sha1:X HTTP/1.1");
	/* The new owner saw the request from its first byte. */
	CU_ASSERT_EQUAL(a.owner.raw->len, strlen(req));
	CU_ASSERT_EQUAL(memcmp(a.owner.raw->data, req, strlen(req)), 0);
	CU_ASSERT_EQUAL(gnut_conn_get_input_cap(a.owner.conn), GNUT_CONN_DEFAULT_INPUT_CAP);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	CU_ASSERT_EQUAL(st->accepted, 1);
	CU_ASSERT_EQUAL(st->dispatched, 1);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 0);
	/* The owner answers; the listener has no part in it any more. */
	gnut_listener_free(l);
	const char reply[] = "HTTP/1.1 200 OK\r\n\r\n";
	CU_ASSERT_TRUE(gnut_conn_write_raw(a.owner.conn, reply, strlen(reply)));
	raw_wait rw = {&cl, strlen(reply)};
	CU_ASSERT_TRUE(run_until(raw_has, &rw));
	CU_ASSERT_EQUAL(cl.raw->len, strlen(reply));
	CU_ASSERT_EQUAL(memcmp(cl.raw->data, reply, strlen(reply)), 0);
	endpoint_clear(&cl);
	accept_ctx_clear(&a);
}

static gboolean stolen_ready(gpointer data)
{
	return ((accept_ctx *)data)->lines->len > 0;
}

static gboolean output_drained(gpointer data)
{
	endpoint *ep = data;
	gnut_conn_stats st;
	gnut_conn_get_stats(ep->conn, &st);
	return st.output_queued == 0 || ep->closed_calls > 0;
}

static void test_listener_steal_socket(void)
{
	accept_ctx a = {.lines = g_ptr_array_new_with_free_func(g_free), .steal = TRUE};
	gnut_listener_config cfg = {.address = "127.0.0.1"};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	endpoint cl;
	CU_ASSERT_TRUE_FATAL(dial(&cl, gnut_listener_get_port(l)));
	const char first[] = "GIV 0:0123456789ABCDEF0123456789ABCDEF/file.txt\n\n";
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, first, strlen(first)));
	CU_ASSERT_TRUE_FATAL(run_until(stolen_ready, &a));
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.lines, 0),
	                       "GIV 0:0123456789ABCDEF0123456789ABCDEF/file.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.stolen);
	gsize blen = 0;
	const char *bdata = g_bytes_get_data(a.stolen_buffered, &blen);
	/* At least the first line was read before the steal, and goes with it. */
	CU_ASSERT_TRUE(blen > strlen("GIV 0:") && blen <= strlen(first));
	CU_ASSERT_EQUAL(memcmp(bdata, first, blen), 0);

	/* Later bytes reach the new owner through the socket itself. */
	const char tail[] = "TAIL-DATA";
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, tail, strlen(tail)));
	CU_ASSERT_TRUE(run_until(output_drained, &cl));
	GString *all = g_string_new_len(bdata, (gssize)blen);
	gsize rest = strlen(first) - blen + strlen(tail);
	char *buf = g_malloc(rest);
	gsize got = 0;
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(a.stolen));
	CU_ASSERT_TRUE(g_input_stream_read_all(in, buf, rest, &got, NULL, NULL));
	g_string_append_len(all, buf, (gssize)got);
	char *expect = g_strconcat(first, tail, NULL);
	CU_ASSERT_STRING_EQUAL(all->str, expect);
	g_free(expect);
	g_free(buf);
	g_string_free(all, TRUE);
	CU_ASSERT_EQUAL(gnut_listener_get_stats(l)->dispatched, 1);
	gnut_listener_free(l);
	endpoint_clear(&cl);
	accept_ctx_clear(&a);
}

static void test_steal_refused_while_output_pending(void)
{
	endpoint cl, sv;
	conn_pair(&cl, &sv);
	sv.raw_mode = TRUE;
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	CU_ASSERT_TRUE(gnut_conn_write_raw(cl.conn, "abc", 3));
	GBytes *buffered = NULL;
	GError *err = NULL;
	CU_ASSERT_PTR_NULL(gnut_conn_steal_socket(cl.conn, &buffered, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_CONN_ERROR, GNUT_CONN_ERROR_BUSY));
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_conn_is_closed(cl.conn));
	raw_wait w = {&sv, 3};
	CU_ASSERT_TRUE(run_until(raw_has, &w));
	/* Output written: now it can go. */
	GSocketConnection *sc = gnut_conn_steal_socket(cl.conn, &buffered, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	CU_ASSERT_EQUAL(g_bytes_get_size(buffered), 0);
	CU_ASSERT_TRUE(gnut_conn_is_closed(cl.conn));
	CU_ASSERT_TRUE(g_error_matches(gnut_conn_get_close_reason(cl.conn), GNUT_CONN_ERROR,
	                               GNUT_CONN_ERROR_HANDED_OFF));
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(sc));
	CU_ASSERT_TRUE(g_output_stream_write_all(out, "def", 3, NULL, NULL, NULL));
	w.want = 6;
	CU_ASSERT_TRUE(run_until(raw_has, &w));
	CU_ASSERT_EQUAL(memcmp(sv.raw->data, "abcdef", 6), 0);
	g_object_unref(sc); /* closes the socket: the server sees the end */
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_EQUAL(cl.closed_calls, 0);
	g_bytes_unref(buffered);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
}

static gboolean three_accepted(gpointer data)
{
	return ((const gnut_listener_stats *)data)->accepted >= 3;
}

static gboolean one_of_three_closed(gpointer data)
{
	endpoint *c = data;
	return c[0].closed_calls + c[1].closed_calls + c[2].closed_calls >= 1;
}

static gboolean all_three_closed(gpointer data)
{
	endpoint *c = data;
	return c[0].closed_calls && c[1].closed_calls && c[2].closed_calls;
}

static void test_listener_pending_cap(void)
{
	accept_ctx a = {.lines = g_ptr_array_new_with_free_func(g_free)};
	gnut_listener_config cfg = {.address = "127.0.0.1",
	                            .max_pending = 2,
	                            .line_timeout_ms = 10 * 60 * 1000 /* never, here */};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	endpoint c[3];
	for (int i = 0; i < 3; i++)
		CU_ASSERT_TRUE_FATAL(dial(&c[i], gnut_listener_get_port(l)));
	CU_ASSERT_TRUE(run_until(three_accepted, (gpointer)st));
	CU_ASSERT_EQUAL(st->refused, 1);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 2);
	/* The refused one is closed at once; the two others wait. */
	CU_ASSERT_TRUE(run_until(one_of_three_closed, c));
	CU_ASSERT_EQUAL(c[0].closed_calls + c[1].closed_calls + c[2].closed_calls, 1);
	/* Freeing the listener closes those still waiting. */
	gnut_listener_free(l);
	CU_ASSERT_TRUE(run_until(all_three_closed, c));
	CU_ASSERT_EQUAL(a.lines->len, 0);
	for (int i = 0; i < 3; i++)
		endpoint_clear(&c[i]);
	accept_ctx_clear(&a);
}

static gboolean two_dropped_one_dispatched(gpointer data)
{
	const gnut_listener_stats *st = data;
	return st->dropped >= 2 && st->dispatched >= 1;
}

static void test_listener_drops_silent_and_overlong(void)
{
	accept_ctx a = {.lines = g_ptr_array_new_with_free_func(g_free)};
	gnut_listener_config cfg = {
	    .address = "127.0.0.1", .max_pending = 8, .line_timeout_ms = 200, .line_max = 64};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	const gnut_listener_stats *st = gnut_listener_get_stats(l);
	endpoint silent, chatty, good;
	CU_ASSERT_TRUE_FATAL(dial(&silent, gnut_listener_get_port(l)));
	CU_ASSERT_TRUE_FATAL(dial(&chatty, gnut_listener_get_port(l)));
	CU_ASSERT_TRUE_FATAL(dial(&good, gnut_listener_get_port(l)));
	char noise[100];
	memset(noise, 'x', sizeof noise);
	CU_ASSERT_TRUE(gnut_conn_write_raw(chatty.conn, noise, sizeof noise));
	const char hello[] = "GNUTELLA CONNECT/0.6\r\nUser-Agent: t\r\n\r\n";
	CU_ASSERT_TRUE(gnut_conn_write_raw(good.conn, hello, strlen(hello)));
	CU_ASSERT_TRUE(run_until(two_dropped_one_dispatched, (gpointer)st));
	CU_ASSERT_EQUAL(st->dropped, 2);
	CU_ASSERT_EQUAL(st->dispatched, 1);
	CU_ASSERT_EQUAL(gnut_listener_get_pending(l), 0);
	CU_ASSERT_STRING_EQUAL(g_ptr_array_index(a.lines, 0), "GNUTELLA CONNECT/0.6");
	CU_ASSERT_TRUE(run_until(ep_closed, &silent));
	CU_ASSERT_TRUE(run_until(ep_closed, &chatty));
	owner_wait w = {&a, strlen(hello)};
	CU_ASSERT_TRUE(run_until(owner_has, &w));
	CU_ASSERT_FALSE(gnut_conn_is_closed(good.conn));
	gnut_listener_free(l);
	endpoint_clear(&silent);
	endpoint_clear(&chatty);
	endpoint_clear(&good);
	accept_ctx_clear(&a);
}

static void test_connect_and_listen_errors(void)
{
	accept_ctx a = {.lines = g_ptr_array_new_with_free_func(g_free)};
	gnut_listener_config cfg = {.address = "127.0.0.1"};
	gnut_listener *l = gnut_listener_new(&cfg, on_accept, &a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	guint16 port = gnut_listener_get_port(l);
	/* The same port twice cannot be bound. */
	GError *err = NULL;
	gnut_listener_config twice = {.address = "127.0.0.1", .port = port};
	CU_ASSERT_PTR_NULL(gnut_listener_new(&twice, on_accept, &a, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
	g_clear_error(&err);
	gnut_listener_config bad = {.address = "not-an-ip"};
	CU_ASSERT_PTR_NULL(gnut_listener_new(&bad, on_accept, &a, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
	g_clear_error(&err);
	gnut_listener_free(l);

	/* Nobody listens there any more. */
	char *where = g_strdup_printf("127.0.0.1:%u", port);
	connect_result r = {0};
	gnut_conn_connect_async(where, 0, 5, NULL, on_connect_done, &r);
	CU_ASSERT_TRUE(run_until(connect_done, &r));
	CU_ASSERT_PTR_NULL(r.conn);
	CU_ASSERT_TRUE(g_error_matches(r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
	g_clear_error(&r.error);
	g_free(where);

	connect_result bad_port = {0};
	gnut_conn_connect_async("127.0.0.1:notaport", 0, 5, NULL, on_connect_done, &bad_port);
	CU_ASSERT_TRUE(run_until(connect_done, &bad_port));
	CU_ASSERT_PTR_NULL(bad_port.conn);
	CU_ASSERT_PTR_NOT_NULL(bad_port.error);
	g_clear_error(&bad_port.error);

	GCancellable *cancel = g_cancellable_new();
	g_cancellable_cancel(cancel);
	connect_result cancelled = {0};
	gnut_conn_connect_async("127.0.0.1:1", 0, 5, cancel, on_connect_done, &cancelled);
	CU_ASSERT_TRUE(run_until(connect_done, &cancelled));
	CU_ASSERT_TRUE(g_error_matches(cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	g_clear_error(&cancelled.error);
	g_object_unref(cancel);
	accept_ctx_clear(&a);
}

typedef struct {
	guint calls;
	int fd;
} file_ctx;

static void on_file_done(gnut_conn *conn, gpointer data)
{
	file_ctx *f = data;
	f->calls++;
	if (f->calls == 1) /* the next range, as a rate limiter would */
		gnut_conn_send_file_range(conn, f->fd, 0, 5000, on_file_done, f);
}

static void test_send_file_range(void)
{
	char *dir = gnut_unit_mkdtemp();
	char *path = g_build_filename(dir, "share.bin", NULL);
	const gsize size = 300000;
	guint8 *content = g_malloc(size);
	for (gsize i = 0; i < size; i++)
		content[i] = (guint8)(i * 7 + i / 256);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, (const char *)content, size, NULL));
	file_ctx f = {0, open(path, O_RDONLY)};
	CU_ASSERT_TRUE_FATAL(f.fd >= 0);

	endpoint cl, sv;
	conn_pair(&cl, &sv);
	cl.raw_mode = TRUE;
	endpoint_listen(&cl);
	endpoint_listen(&sv);
	CU_ASSERT_TRUE(gnut_conn_write_raw(sv.conn, "HDR\n", 4));
	gnut_conn_send_file_range(sv.conn, f.fd, 1000, 250000, on_file_done, &f);
	raw_wait w = {&cl, 4 + 250000 + 5000};
	CU_ASSERT_TRUE(run_until(raw_has, &w));
	CU_ASSERT_EQUAL(cl.raw->len, 4 + 250000 + 5000);
	CU_ASSERT_EQUAL(memcmp(cl.raw->data, "HDR\n", 4), 0);
	CU_ASSERT_EQUAL(memcmp(cl.raw->data + 4, content + 1000, 250000), 0);
	CU_ASSERT_EQUAL(memcmp(cl.raw->data + 250004, content, 5000), 0);
	CU_ASSERT_EQUAL(f.calls, 2);
	gnut_conn_stats ss;
	gnut_conn_get_stats(sv.conn, &ss);
	CU_ASSERT_EQUAL(ss.bytes_out, 4 + 250000 + 5000);
	CU_ASSERT_EQUAL(ss.output_queued, 0);

	/* A range past the end of the file fails once the file runs out. */
	gnut_conn_send_file_range(sv.conn, f.fd, (goffset)size - 1000, 5000, on_file_done, &f);
	CU_ASSERT_TRUE(run_until(ep_closed, &sv));
	CU_ASSERT_TRUE(g_error_matches(sv.reason, G_IO_ERROR, G_IO_ERROR_FAILED));
	CU_ASSERT_EQUAL(f.calls, 2);
	w.want = 4 + 250000 + 5000 + 1000;
	CU_ASSERT_TRUE(run_until(raw_has, &w));
	CU_ASSERT_EQUAL(memcmp(cl.raw->data + 255004, content + size - 1000, 1000), 0);

	close(f.fd);
	endpoint_clear(&cl);
	endpoint_clear(&sv);
	g_free(content);
	gnut_unit_rmtree(dir);
	g_free(path);
	g_free(dir);
}

static CU_TestInfo tests[] = {
    {"echo of framed data", test_echo_framed},
    {"input cap crossed: closed with an error", test_input_cap_overflow},
    {"slow reader: low priority dropped, memory bounded", test_slow_reader_drops_low_priority},
    {"deflate on both ends, switched mid-buffer", test_deflate_both_ends},
    {"deflate with a small window, released when idle", test_deflate_sized_released_idle},
    {"corrupt compressed input", test_inflate_corrupt_input},
    {"deflate bomb closes the link", test_inflate_bomb_closes},
    {"peer close detected after a flush", test_peer_close_after_flush},
    {"close and unref inside readable", test_close_and_unref_inside_readable},
    {"close inside readable, delivered later", test_close_inside_readable_delivers_later},
    {"a second close keeps the first reason", test_second_close_keeps_first_reason},
    {"listener: dispatch and hand-off", test_listener_dispatch_and_handoff},
    {"listener: steal the socket", test_listener_steal_socket},
    {"steal refused while output pending", test_steal_refused_while_output_pending},
    {"listener: pending cap", test_listener_pending_cap},
    {"listener: silent and overlong dropped", test_listener_drops_silent_and_overlong},
    {"connect and listen errors", test_connect_and_listen_errors},
    {"file range by sendfile", test_send_file_range},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("conn", tests)
