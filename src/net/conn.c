/* conn.c: a connection on the main loop (see conn.h for the contract).
 *
 * Data paths:
 *   socket -> [zin -> inflater] -> ibuf -> owner's readable callback
 *   outq -> [deflater -> wbuf] -> socket;  raw bytes -> wbuf -> socket;
 *   then a file range by sendfile(2).
 * Without deflate, queued messages go from the outq's GBytes straight to
 * sendmsg(2), several per call, never copied.
 *
 * Over TLS the socket is replaced by the GTlsConnection's pollable streams:
 * queued messages are first copied into wbuf (GnuTLS wants a write that
 * would block retried with the same bytes, which wbuf keeps stable while
 * the outq may drop or reorder), and file ranges are read with pread(2)
 * into wbuf instead of sendfile(2). The TLS handshake itself runs in
 * glib-networking's thread, while our watches are off.
 *
 * Deferred work (writing, offering buffered input to a new owner, telling
 * the owner about a close) runs from one idle source per connection, so no
 * callback ever runs nested inside an API call (Redis's close-later). */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>

#include "gnut/net/deflate-stream.h"
#include "gnut/net/prefix-stream.h"

#define READ_CHUNK     (64 * 1024)  /* most bytes read per wakeup */
#define ZIN_CAP        (16 * 1024)  /* compressed input waiting for the inflater */
#define DEFLATE_BATCH  (16 * 1024)  /* compressed output buffered before writing */
#define FLUSH_BUDGET   (256 * 1024) /* most bytes written per dispatch (fairness) */
#define MAX_IOV        16           /* queued messages per sendmsg(2) */
#define DEFLATE_LEVEL  (-1)         /* zlib's default, 6: best speed/size trade-off */
#define LINGER_MS      1500         /* after a last write, for the peer to close first */
#define LINGER_CHUNK   4096         /* bytes discarded per read while lingering */
#define TLS_FILE_CHUNK (16 * 1024)  /* file bytes read per pread(2) over TLS */

/* TLS handshakes running now (each holds one of GIO's worker threads until
 * it ends) and the cap on them. Touched from the main thread only. */
static guint tls_handshakes;
static guint tls_handshake_cap = GNUT_CONN_DEFAULT_TLS_HANDSHAKES;

enum {
	DEFER_FLUSH = 1 << 0,  /* write pending output */
	DEFER_INPUT = 1 << 1,  /* offer buffered input to the readable callback */
	DEFER_CLOSED = 1 << 2, /* deliver the closed callback */
};

struct gnut_conn {
	gint ref_count;
	GMainContext *ctx;
	GSocketConnection *sc;
	GSocket *sock; /* owned by sc */
	GInetSocketAddress *remote;
	char *peer;
	/* the streams read and written: the socket's, or the TLS session's */
	GPollableInputStream *in_stream;
	GPollableOutputStream *out_stream;

	/* TLS */
	GIOStream *tls;       /* the session once its handshake is done */
	gboolean tls_pending; /* asked for: waiting for plain output to drain */
	gboolean tls_server;  /* our role in it */
	GTlsCertificate *tls_cert;
	GCancellable *tls_cancel; /* set while the handshake runs */
	gnut_conn_tls_ready_fn tls_ready;
	gpointer tls_data;

	/* input */
	GByteArray *ibuf; /* unconsumed input starts at ibuf_off */
	gsize ibuf_off;
	gsize in_cap;
	gnut_inflater *inflater;
	GByteArray *zin; /* compressed input not yet inflated, from zin_off */
	gsize zin_off;
	gboolean peer_eof;
	guint64 input_epoch; /* bumped by consume, new handlers, inflate on */
	gboolean dispatching;
	GSource *in_src;

	/* output */
	gnut_outq *outq;
	GByteArray *wbuf; /* raw or compressed bytes, unsent from wbuf_off */
	gsize wbuf_off;
	gnut_deflater *deflater;
	GSource *out_src;
	int file_fd;
	goffset file_off;
	gsize file_left;
	gnut_conn_file_done_fn file_done;
	gpointer file_data;
	gboolean close_after_flush;
	GSource *linger_in;       /* discards input until the peer's EOF ... */
	GSource *linger_deadline; /* ... or this */

	/* owner */
	gnut_conn_readable_fn readable;
	gnut_conn_closed_fn closed;
	gpointer user_data;

	GSource *defer_src;
	guint defer_flags;
	gboolean is_closed;
	gboolean close_delivered;
	GError *reason;
	gnut_conn_stats stats;
};

GQuark gnut_conn_error_quark(void)
{
	return g_quark_from_static_string("gnut-conn-error-quark");
}

static gboolean on_readable(GObject *stream, gpointer data);
static gboolean on_writable(GObject *stream, gpointer data);
static gboolean on_deferred(gpointer data);
static void begin_tls(gnut_conn *conn);

static gsize input_len(const gnut_conn *conn)
{
	return conn->ibuf->len - conn->ibuf_off;
}

static gsize wbuf_len(const gnut_conn *conn)
{
	return conn->wbuf->len - conn->wbuf_off;
}

static gboolean output_pending(const gnut_conn *conn)
{
	return wbuf_len(conn) > 0 || !gnut_outq_is_empty(conn->outq) || conn->file_left > 0;
}

static void drop_source(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_clear_pointer(src, g_source_unref);
	}
}

/* A watch on the stream in use (socket or TLS): G_IO_IN or G_IO_OUT. */
static GSource *attach_stream_source(gnut_conn *conn, GIOCondition cond, GPollableSourceFunc fn)
{
	GSource *src = cond == G_IO_IN
	                   ? g_pollable_input_stream_create_source(conn->in_stream, NULL)
	                   : g_pollable_output_stream_create_source(conn->out_stream, NULL);
	g_source_set_callback(src, G_SOURCE_FUNC(fn), conn, NULL);
	g_source_attach(src, conn->ctx);
	return src;
}

/* Queues deferred work; one idle source carries all of it. */
static void defer(gnut_conn *conn, guint flags)
{
	conn->defer_flags |= flags;
	if (conn->defer_src != NULL)
		return;
	conn->defer_src = g_idle_source_new();
	g_source_set_priority(conn->defer_src, G_PRIORITY_DEFAULT);
	g_source_set_callback(conn->defer_src, on_deferred, conn, NULL);
	g_source_attach(conn->defer_src, conn->ctx);
}

/* Writing waits for the end of the iteration, so that everything queued in
 * it goes out in one system call (and one sync flush when deflating);
 * while a write would block, the G_IO_OUT watch does the job instead. */
static void schedule_flush(gnut_conn *conn)
{
	if (conn->out_src == NULL)
		defer(conn, DEFER_FLUSH);
}

/* Reading is watched only while somebody consumes input and more can come. */
static void update_in_watch(gnut_conn *conn)
{
	gboolean want = !conn->is_closed && !conn->peer_eof && !conn->close_after_flush &&
	                conn->readable != NULL && !conn->tls_pending && conn->tls_cancel == NULL;
	if (want && conn->in_src == NULL)
		conn->in_src = attach_stream_source(conn, G_IO_IN, on_readable);
	else if (!want)
		drop_source(&conn->in_src);
}

static void update_out_watch(gnut_conn *conn, gboolean pending)
{
	if (pending && conn->out_src == NULL)
		conn->out_src = attach_stream_source(conn, G_IO_OUT, on_writable);
	else if (!pending)
		drop_source(&conn->out_src);
}

static char *describe_peer(GInetSocketAddress *remote)
{
	if (remote == NULL)
		return g_strdup("unknown");
	GInetAddress *addr = g_inet_socket_address_get_address(remote);
	g_autofree char *ip = g_inet_address_to_string(addr);
	guint16 port = g_inet_socket_address_get_port(remote);
	if (g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6)
		return g_strdup_printf("[%s]:%u", ip, port);
	return g_strdup_printf("%s:%u", ip, port);
}

gnut_conn *gnut_conn_new(GSocketConnection *sc)
{
	g_return_val_if_fail(G_IS_SOCKET_CONNECTION(sc), NULL);
	gnut_conn *conn = g_new0(gnut_conn, 1);
	conn->ref_count = 1;
	conn->ctx = g_main_context_ref_thread_default();
	conn->sc = g_object_ref(sc);
	conn->sock = g_socket_connection_get_socket(sc);
	/* Every call on the socket must return at once; a timeout (left by
	 * GSocketClient) would make an idle link's watch report errors. */
	g_socket_set_blocking(conn->sock, FALSE);
	g_socket_set_timeout(conn->sock, 0);
	if (g_socket_get_protocol(conn->sock) == G_SOCKET_PROTOCOL_TCP)
		g_socket_set_option(conn->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
	conn->in_stream = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(sc)));
	conn->out_stream = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(sc)));
	GSocketAddress *remote = g_socket_connection_get_remote_address(sc, NULL);
	if (remote != NULL && G_IS_INET_SOCKET_ADDRESS(remote))
		conn->remote = G_INET_SOCKET_ADDRESS(remote);
	else if (remote != NULL)
		g_object_unref(remote);
	conn->peer = describe_peer(conn->remote);
	conn->ibuf = g_byte_array_new();
	conn->zin = g_byte_array_new();
	conn->wbuf = g_byte_array_new();
	conn->in_cap = GNUT_CONN_DEFAULT_INPUT_CAP;
	conn->outq = gnut_outq_new(GNUT_CONN_DEFAULT_OUTPUT_CAP);
	conn->file_fd = -1;
	return conn;
}

gnut_conn *gnut_conn_ref(gnut_conn *conn)
{
	g_return_val_if_fail(conn != NULL, NULL);
	conn->ref_count++;
	return conn;
}

void gnut_conn_unref(gnut_conn *conn)
{
	g_return_if_fail(conn != NULL);
	if (--conn->ref_count > 0)
		return;
	drop_source(&conn->in_src);
	drop_source(&conn->out_src);
	drop_source(&conn->defer_src);
	if (!conn->is_closed)
		g_io_stream_close(G_IO_STREAM(conn->sc), NULL, NULL);
	g_clear_object(&conn->tls);
	g_clear_object(&conn->tls_cert);
	g_clear_object(&conn->sc);
	g_clear_object(&conn->remote);
	g_main_context_unref(conn->ctx);
	g_free(conn->peer);
	g_byte_array_unref(conn->ibuf);
	g_byte_array_unref(conn->zin);
	g_byte_array_unref(conn->wbuf);
	gnut_inflater_free(conn->inflater);
	gnut_deflater_free(conn->deflater);
	gnut_outq_free(conn->outq);
	g_clear_error(&conn->reason);
	g_free(conn);
}

/* Stops all I/O and drops pending output. The input buffer stays: the owner
 * may be holding a pointer into it right now. */
static void conn_shutdown(gnut_conn *conn, gboolean close_socket)
{
	conn->is_closed = TRUE;
	drop_source(&conn->in_src);
	drop_source(&conn->out_src);
	drop_source(&conn->linger_in);
	drop_source(&conn->linger_deadline);
	gnut_outq_clear(conn->outq);
	g_byte_array_set_size(conn->wbuf, 0);
	conn->wbuf_off = 0;
	g_byte_array_set_size(conn->zin, 0);
	conn->zin_off = 0;
	conn->file_left = 0;
	conn->file_fd = -1;
	conn->file_done = NULL;
	conn->file_data = NULL;
	conn->tls_pending = FALSE;
	if (conn->tls_cancel != NULL)
		g_cancellable_cancel(conn->tls_cancel);
	/* The socket itself, not the TLS session: its close would block to
	 * send a close_notify. */
	if (close_socket)
		g_io_stream_close(G_IO_STREAM(conn->sc), NULL, NULL);
}

void gnut_conn_close(gnut_conn *conn, const GError *reason)
{
	g_return_if_fail(conn != NULL);
	if (conn->is_closed)
		return;
	conn->reason = reason != NULL ? g_error_copy(reason)
	                              : g_error_new_literal(GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL,
	                                                    "closed locally");
	g_debug("%s: closed: %s", conn->peer, conn->reason->message);
	conn_shutdown(conn, TRUE);
	defer(conn, DEFER_CLOSED);
}

static void close_with(gnut_conn *conn, gnut_conn_error code, const char *message)
{
	g_autoptr(GError) err = g_error_new_literal(GNUT_CONN_ERROR, code, message);
	gnut_conn_close(conn, err);
}

void gnut_conn_flush_and_close(gnut_conn *conn)
{
	g_return_if_fail(conn != NULL);
	if (conn->is_closed)
		return;
	conn->close_after_flush = TRUE;
	update_in_watch(conn);
	schedule_flush(conn);
}

gboolean gnut_conn_is_closed(const gnut_conn *conn)
{
	return conn->is_closed;
}

const GError *gnut_conn_get_close_reason(const gnut_conn *conn)
{
	return conn->reason;
}

const char *gnut_conn_get_peer(const gnut_conn *conn)
{
	return conn->peer;
}

GInetSocketAddress *gnut_conn_get_remote_address(const gnut_conn *conn)
{
	return conn->remote;
}

void gnut_conn_get_stats(const gnut_conn *conn, gnut_conn_stats *out)
{
	*out = conn->stats;
	out->output_queued = wbuf_len(conn) + gnut_outq_bytes(conn->outq) + conn->file_left;
	out->inflating = conn->inflater != NULL;
	out->deflating = conn->deflater != NULL;
}

const gnut_outq *gnut_conn_get_outq(const gnut_conn *conn)
{
	return conn->outq;
}

void gnut_conn_set_handlers(gnut_conn *conn, gnut_conn_readable_fn readable,
                            gnut_conn_closed_fn closed, gpointer user_data)
{
	g_return_if_fail(conn != NULL);
	conn->readable = readable;
	conn->closed = closed;
	conn->user_data = user_data;
	conn->input_epoch++;
	update_in_watch(conn);
	/* Inside the readable loop the new epoch makes it go round again. */
	gboolean buffered = input_len(conn) > 0 || conn->zin->len > conn->zin_off;
	if (readable != NULL && buffered && !conn->dispatching && !conn->is_closed)
		defer(conn, DEFER_INPUT);
}

void gnut_conn_set_input_cap(gnut_conn *conn, gsize cap)
{
	g_return_if_fail(conn != NULL && cap > 0);
	conn->in_cap = cap;
}

gsize gnut_conn_get_input_cap(const gnut_conn *conn)
{
	return conn->in_cap;
}

void gnut_conn_set_output_cap(gnut_conn *conn, gsize cap)
{
	g_return_if_fail(conn != NULL && cap > 0);
	gnut_outq_set_cap(conn->outq, cap);
}

const guint8 *gnut_conn_peek_input(const gnut_conn *conn, gsize *len)
{
	*len = input_len(conn);
	return conn->ibuf->data + conn->ibuf_off;
}

void gnut_conn_consume_input(gnut_conn *conn, gsize n)
{
	g_return_if_fail(conn != NULL && n <= input_len(conn));
	if (n == 0)
		return;
	conn->ibuf_off += n;
	if (conn->ibuf_off == conn->ibuf->len) {
		g_byte_array_set_size(conn->ibuf, 0);
		conn->ibuf_off = 0;
	}
	conn->input_epoch++;
}

/* Moves unconsumed input to the front so the free space is contiguous;
 * done once per read, not per consume, so many small messages cost one
 * memmove of the last partial one. */
static void compact_input(gnut_conn *conn)
{
	if (conn->ibuf_off > 0) {
		g_byte_array_remove_range(conn->ibuf, 0, (guint)conn->ibuf_off);
		conn->ibuf_off = 0;
	}
	if (conn->zin_off > 0) {
		g_byte_array_remove_range(conn->zin, 0, (guint)conn->zin_off);
		conn->zin_off = 0;
	}
}

/* The READ_CHUNK bytes every connection of a thread reads and inflates
 * into before keeping what it got: a connection's buffers then grow only
 * with what it has not consumed yet, not to the largest read possible
 * (hundreds of links each holding 64 KiB+ of buffer add up). */
static guint8 *scratch_buffer(void)
{
	static GPrivate key = G_PRIVATE_INIT(g_free);
	guint8 *buf = g_private_get(&key);
	if (buf == NULL) {
		buf = g_malloc(READ_CHUNK);
		g_private_set(&key, buf);
	}
	return buf;
}

/* Reads once from the socket into the input buffer, or into the compressed
 * backlog when inflating. A full buffer reads nothing: process_input then
 * reports the overflow. */
static void read_some(gnut_conn *conn)
{
	compact_input(conn);
	GByteArray *dst = conn->inflater != NULL ? conn->zin : conn->ibuf;
	gsize cap = conn->inflater != NULL ? ZIN_CAP : conn->in_cap;
	if (dst->len >= cap)
		return;
	gsize want = MIN(cap - dst->len, READ_CHUNK);
	guint8 *scratch = scratch_buffer();
	g_autoptr(GError) err = NULL;
	gssize got =
	    g_pollable_input_stream_read_nonblocking(conn->in_stream, scratch, want, NULL, &err);
	if (got > 0)
		g_byte_array_append(dst, scratch, (guint)got);
	if (got < 0) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			gnut_conn_close(conn, err);
		return;
	}
	if (got == 0) {
		conn->peer_eof = TRUE;
		update_in_watch(conn);
		return;
	}
	conn->stats.bytes_in += (guint64)got;
	if (conn->inflater == NULL)
		conn->stats.payload_in += (guint64)got;
}

/* Inflates compressed backlog into the input buffer, up to its cap, through
 * the scratch buffer a chunk at a time. */
static void pump_inflater(gnut_conn *conn)
{
	if (conn->inflater == NULL)
		return; /* (with no backlog, zlib may still hold output from the last run) */
	compact_input(conn);
	guint8 *scratch = scratch_buffer();
	gsize made = 0, room = 0;
	do { /* until zlib leaves room unused: it holds no more output then */
		gsize len = conn->ibuf->len, used = 0;
		if (len >= conn->in_cap)
			return;
		room = MIN(conn->in_cap - len, READ_CHUNK);
		g_autoptr(GError) err = NULL;
		gboolean ok = gnut_inflater_run(conn->inflater, conn->zin->data + conn->zin_off,
		                                conn->zin->len - conn->zin_off, &used, scratch,
		                                room, &made, &err);
		g_byte_array_append(conn->ibuf, scratch, (guint)made);
		conn->zin_off += used;
		conn->stats.payload_in += made;
		if (!ok) {
			gnut_conn_close(conn, err);
			return;
		}
	} while (made == room);
}

/* Offers the input to the owner until it stops consuming, then judges what
 * is left: a full buffer nobody can parse is an overflow, and after the
 * peer's end of stream nothing more can come. */
static void process_input(gnut_conn *conn)
{
	if (conn->dispatching || conn->is_closed)
		return;
	conn->dispatching = TRUE;
	for (;;) {
		pump_inflater(conn);
		if (conn->is_closed || conn->readable == NULL || input_len(conn) == 0 ||
		    conn->tls_pending || conn->tls_cancel != NULL)
			break;
		guint64 epoch = conn->input_epoch;
		conn->readable(conn, conn->user_data);
		if (conn->is_closed || epoch == conn->input_epoch)
			break;
	}
	conn->dispatching = FALSE;
	if (conn->is_closed || conn->tls_pending || conn->tls_cancel != NULL)
		return;
	/* A full compressed backlog that nothing drains would otherwise keep
	 * the level-triggered read watch spinning. */
	gboolean backlog_full = conn->zin->len - conn->zin_off >= ZIN_CAP;
	if (conn->readable != NULL && (input_len(conn) >= conn->in_cap || backlog_full))
		close_with(conn, GNUT_CONN_ERROR_INPUT_OVERFLOW,
		           "input over its cap: message or header too large");
	else if (conn->peer_eof)
		close_with(conn, GNUT_CONN_ERROR_PEER_CLOSED, "connection closed by peer");
}

static gboolean on_readable(GObject *stream, gpointer data)
{
	gnut_conn *conn = gnut_conn_ref(data);
	read_some(conn);
	process_input(conn);
	gnut_conn_unref(conn);
	return G_SOURCE_CONTINUE;
}

void gnut_conn_enable_inflate(gnut_conn *conn)
{
	g_return_if_fail(conn != NULL && conn->inflater == NULL && !conn->is_closed);
	conn->inflater = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, 0);
	/* Whatever the peer sent after its handshake may already be buffered
	 * as plain input: it is compressed, so it goes through the inflater. */
	gsize moved = input_len(conn);
	g_byte_array_append(conn->zin, conn->ibuf->data + conn->ibuf_off, (guint)moved);
	g_byte_array_set_size(conn->ibuf, 0);
	conn->ibuf_off = 0;
	conn->stats.payload_in -= moved;
	conn->input_epoch++;
	if (moved > 0 && !conn->dispatching && conn->readable != NULL)
		defer(conn, DEFER_INPUT);
}

void gnut_conn_enable_deflate_sized(gnut_conn *conn, int window_bits, int mem_level)
{
	g_return_if_fail(conn != NULL && conn->deflater == NULL && !conn->is_closed);
	g_return_if_fail(conn->file_left == 0);
	conn->deflater = gnut_deflater_new_sized(DEFLATE_LEVEL, window_bits, mem_level);
}

void gnut_conn_enable_deflate(gnut_conn *conn)
{
	gnut_conn_enable_deflate_sized(conn, GNUT_DEFLATE_WINDOW_BITS, GNUT_DEFLATE_MEM_LEVEL);
}

/* A buffer with nothing left in it, given back to the allocator (a
 * GByteArray keeps what it grew to). */
static void shrink_if_empty(GByteArray **buf, gsize *off)
{
	if ((*buf)->len != *off)
		return;
	g_byte_array_unref(*buf);
	*buf = g_byte_array_new();
	*off = 0;
}

gboolean gnut_conn_release_idle(gnut_conn *conn)
{
	g_return_val_if_fail(conn != NULL, FALSE);
	if (conn->is_closed || conn->dispatching || output_pending(conn))
		return FALSE;
	shrink_if_empty(&conn->wbuf, &conn->wbuf_off);
	shrink_if_empty(&conn->ibuf, &conn->ibuf_off);
	shrink_if_empty(&conn->zin, &conn->zin_off);
	if (conn->deflater != NULL)
		gnut_deflater_release(conn->deflater);
	return TRUE;
}

static void compact_output(gnut_conn *conn)
{
	if (conn->wbuf_off > 0) {
		g_byte_array_remove_range(conn->wbuf, 0, (guint)conn->wbuf_off);
		conn->wbuf_off = 0;
	}
}

gboolean gnut_conn_send(gnut_conn *conn, GBytes *msg, gnut_prio prio)
{
	g_return_val_if_fail(conn != NULL && msg != NULL, FALSE);
	g_return_val_if_fail(conn->file_left == 0, FALSE);
	if (conn->is_closed || conn->close_after_flush)
		return FALSE;
	if (!gnut_outq_push(conn->outq, msg, prio))
		return FALSE;
	schedule_flush(conn);
	return TRUE;
}

gboolean gnut_conn_write_raw(gnut_conn *conn, const void *data, gsize len)
{
	g_return_val_if_fail(conn != NULL && (data != NULL || len == 0), FALSE);
	g_return_val_if_fail(conn->deflater == NULL && conn->file_left == 0, FALSE);
	if (conn->is_closed || conn->close_after_flush)
		return FALSE;
	if (wbuf_len(conn) + len > gnut_outq_get_cap(conn->outq))
		return FALSE;
	compact_output(conn);
	g_byte_array_append(conn->wbuf, data, (guint)len);
	conn->stats.payload_out += len;
	schedule_flush(conn);
	return TRUE;
}

void gnut_conn_send_file_range(gnut_conn *conn, int fd, goffset offset, gsize len,
                               gnut_conn_file_done_fn done, gpointer user_data)
{
	g_return_if_fail(conn != NULL && fd >= 0 && offset >= 0 && len > 0);
	g_return_if_fail(conn->file_left == 0 && conn->deflater == NULL);
	if (conn->is_closed || conn->close_after_flush)
		return;
	conn->file_fd = fd;
	conn->file_off = offset;
	conn->file_left = len;
	conn->file_done = done;
	conn->file_data = user_data;
	schedule_flush(conn);
}

/* What a non-blocking write returned: the bytes written, 0 when it would
 * block or failed (a failure closes the connection). */
static gsize count_written(gnut_conn *conn, gssize n, const GError *err)
{
	if (n < 0) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			gnut_conn_close(conn, err);
		return 0;
	}
	conn->stats.bytes_out += (guint64)n;
	return (gsize)n;
}

/* sendmsg(2) without blocking; as count_written. */
static gsize send_vectors(gnut_conn *conn, GOutputVector *vec, guint nv)
{
	g_autoptr(GError) err = NULL;
	gssize n = g_socket_send_message(conn->sock, NULL, vec, (gint)nv, NULL, 0, 0, NULL, &err);
	return count_written(conn, n, err);
}

/* Trims vectors so their total is at most budget; returns how many remain. */
static guint clip_vectors(GOutputVector *vec, guint nv, gsize budget)
{
	for (guint i = 0; i < nv; i++) {
		if (vec[i].size >= budget) {
			vec[i].size = budget;
			return i + 1;
		}
		budget -= vec[i].size;
	}
	return nv;
}

/* A write to the TLS session without blocking; as count_written. */
static gsize send_tls(gnut_conn *conn, const guint8 *data, gsize len)
{
	g_autoptr(GError) err = NULL;
	gssize n =
	    g_pollable_output_stream_write_nonblocking(conn->out_stream, data, len, NULL, &err);
	return count_written(conn, n, err);
}

static gboolean write_wbuf(gnut_conn *conn, gsize *budget)
{
	GOutputVector vec = {conn->wbuf->data + conn->wbuf_off, MIN(wbuf_len(conn), *budget)};
	gsize n =
	    conn->tls != NULL ? send_tls(conn, vec.buffer, vec.size) : send_vectors(conn, &vec, 1);
	if (n == 0)
		return FALSE;
	conn->wbuf_off += n;
	if (conn->wbuf_off == conn->wbuf->len) {
		g_byte_array_set_size(conn->wbuf, 0);
		conn->wbuf_off = 0;
	}
	*budget -= n;
	return TRUE;
}

static gboolean write_outq(gnut_conn *conn, gsize *budget)
{
	GOutputVector vec[MAX_IOV];
	guint nv = gnut_outq_peek(conn->outq, vec, MAX_IOV);
	nv = clip_vectors(vec, nv, *budget);
	gsize n = send_vectors(conn, vec, nv);
	if (n == 0)
		return FALSE;
	gnut_outq_consume(conn->outq, n);
	conn->stats.payload_out += n;
	*budget -= n;
	return TRUE;
}

/* Moves queued messages into wbuf until a batch is ready: compressed, with
 * a sync flush so the peer can decode all of it, or as they are over TLS.
 * Messages are gone from the queue once batched: drops only ever hit
 * unsent messages. */
static void batch_output(gnut_conn *conn)
{
	compact_output(conn);
	while (!gnut_outq_is_empty(conn->outq) && conn->wbuf->len < DEFLATE_BATCH) {
		GOutputVector vec;
		gnut_outq_peek(conn->outq, &vec, 1);
		if (conn->deflater != NULL)
			gnut_deflater_write(conn->deflater, vec.buffer, vec.size, conn->wbuf);
		else
			g_byte_array_append(conn->wbuf, vec.buffer, (guint)vec.size);
		gnut_outq_consume(conn->outq, vec.size);
		conn->stats.payload_out += vec.size;
	}
	if (conn->deflater != NULL)
		gnut_deflater_flush(conn->deflater, conn->wbuf);
}

/* Over TLS a file chunk is read into wbuf, then written like raw bytes;
 * returns the bytes read, or -1 with errno. */
static ssize_t read_file_chunk(gnut_conn *conn, off_t *off, gsize len)
{
	compact_output(conn);
	guint old = conn->wbuf->len;
	len = MIN(len, TLS_FILE_CHUNK);
	g_byte_array_set_size(conn->wbuf, old + (guint)len);
	ssize_t n = pread(conn->file_fd, conn->wbuf->data + old, len, *off);
	g_byte_array_set_size(conn->wbuf, old + (guint)MAX(n, 0));
	if (n > 0)
		*off += n;
	return n;
}

/* One sendfile(2) call (or one pread(2) over TLS); when the range is done,
 * tells the owner (the caller holds a reference, so the owner may do
 * anything to the connection). sendfile has no MSG_NOSIGNAL, but GSocket
 * ignores SIGPIPE process-wide, so a peer gone away is an EPIPE error here,
 * not a dead daemon. */
static gboolean send_file_chunk(gnut_conn *conn, gsize *budget)
{
	off_t off = (off_t)conn->file_off;
	gsize want = MIN(conn->file_left, *budget);
	ssize_t n = conn->tls != NULL
	                ? read_file_chunk(conn, &off, want)
	                : sendfile(g_socket_get_fd(conn->sock), conn->file_fd, &off, want);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return FALSE;
	if (n <= 0) {
		int e = n < 0 ? errno : 0;
		g_autoptr(GError) err =
		    e != 0 ? g_error_new(G_IO_ERROR, g_io_error_from_errno(e), "sendfile: %s",
		                         g_strerror(e))
		           : g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED,
		                                 "sendfile: file shorter than the range");
		gnut_conn_close(conn, err);
		return FALSE;
	}
	conn->file_off = off;
	conn->file_left -= (gsize)n;
	if (conn->tls == NULL)
		conn->stats.bytes_out += (guint64)n;
	conn->stats.payload_out += (guint64)n;
	*budget -= conn->tls == NULL ? (gsize)n : 0;
	if (conn->file_left == 0) {
		gnut_conn_file_done_fn done = conn->file_done;
		gpointer data = conn->file_data;
		conn->file_fd = -1;
		conn->file_done = NULL;
		conn->file_data = NULL;
		if (done != NULL)
			done(conn, data);
	}
	return TRUE;
}

static gboolean on_linger_deadline(gpointer data)
{
	gnut_conn *conn = gnut_conn_ref(data);
	gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
	return G_SOURCE_REMOVE;
}

/* Reads and drops what the peer still sends, until its EOF (it heard us
 * and closed) or an error; at most READ_CHUNK bytes a wakeup, so that a peer
 * that keeps sending cannot hold the main loop here. */
static gboolean on_linger_readable(GObject *stream, gpointer data)
{
	gnut_conn *conn = gnut_conn_ref(data);
	char buf[LINGER_CHUNK];
	gssize got = 0;
	gsize budget = READ_CHUNK;
	g_autoptr(GError) err = NULL;
	while (budget > 0 && (got = g_pollable_input_stream_read_nonblocking(
	                          conn->in_stream, buf, sizeof buf, NULL, &err)) > 0)
		budget -= MIN(budget, (gsize)got);
	if (got == 0 || (got < 0 && !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
		gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
	return G_SOURCE_CONTINUE;
}

/* Everything is written and the owner asked to close after it (a Bye, an
 * HTTP error). Closing the socket now, with the peer's input unread, would
 * send a reset that can destroy our last words before the peer reads them;
 * so we close our sending side and wait for the peer to close, reading and
 * dropping what still comes, for at most LINGER_MS. */
static void linger_then_close(gnut_conn *conn)
{
	if (conn->linger_deadline != NULL)
		return;
	if (conn->peer_eof || !g_socket_shutdown(conn->sock, FALSE, TRUE, NULL)) {
		gnut_conn_close(conn, NULL);
		return;
	}
	conn->linger_in = attach_stream_source(conn, G_IO_IN, on_linger_readable);
	conn->linger_deadline = g_timeout_source_new(LINGER_MS);
	g_source_set_callback(conn->linger_deadline, on_linger_deadline, conn, NULL);
	g_source_attach(conn->linger_deadline, conn->ctx);
}

/* Writes pending output in order (raw or compressed bytes, queued
 * messages, the file range) until the socket would block or this
 * dispatch's budget is spent; watches for writability only if output
 * remains. Runs only from the main loop, holding a reference. */
static void conn_flush(gnut_conn *conn)
{
	if (conn->tls_cancel != NULL)
		return; /* the TLS handshake owns the socket */
	gsize budget = FLUSH_BUDGET;
	gboolean blocked = FALSE;
	while (!conn->is_closed && !blocked && budget > 0) {
		if (wbuf_len(conn) > 0)
			blocked = !write_wbuf(conn, &budget);
		else if (conn->tls_pending)
			break; /* the rest goes inside TLS */
		else if (!gnut_outq_is_empty(conn->outq) && (conn->deflater != NULL || conn->tls))
			batch_output(conn);
		else if (!gnut_outq_is_empty(conn->outq))
			blocked = !write_outq(conn, &budget);
		else if (conn->file_left > 0)
			blocked = !send_file_chunk(conn, &budget);
		else
			break;
	}
	if (conn->is_closed)
		return;
	gboolean pending = conn->tls_pending ? wbuf_len(conn) > 0 : output_pending(conn);
	update_out_watch(conn, pending);
	if (!pending && conn->close_after_flush)
		linger_then_close(conn);
	else if (!pending && conn->tls_pending)
		begin_tls(conn);
}

static gboolean on_writable(GObject *stream, gpointer data)
{
	gnut_conn *conn = gnut_conn_ref(data);
	conn_flush(conn);
	gnut_conn_unref(conn);
	return G_SOURCE_CONTINUE;
}

static gboolean on_deferred(gpointer data)
{
	gnut_conn *conn = gnut_conn_ref(data);
	guint flags = conn->defer_flags;
	conn->defer_flags = 0;
	/* Work queued from here on needs a new source: this one ends. */
	g_clear_pointer(&conn->defer_src, g_source_unref);
	if ((flags & DEFER_FLUSH) != 0)
		conn_flush(conn);
	if ((flags & DEFER_INPUT) != 0)
		process_input(conn);
	if ((flags & DEFER_CLOSED) != 0 && !conn->close_delivered) {
		conn->close_delivered = TRUE;
		if (conn->closed != NULL)
			conn->closed(conn, conn->reason, conn->user_data);
	}
	gnut_conn_unref(conn);
	return G_SOURCE_REMOVE;
}

GSocketConnection *gnut_conn_steal_socket(gnut_conn *conn, GBytes **buffered, GError **error)
{
	g_return_val_if_fail(conn != NULL && buffered != NULL, NULL);
	g_return_val_if_fail(!conn->is_closed, NULL);
	if (output_pending(conn) || conn->inflater != NULL || conn->deflater != NULL ||
	    conn->tls != NULL || conn->tls_pending || conn->tls_cancel != NULL) {
		g_set_error_literal(error, GNUT_CONN_ERROR, GNUT_CONN_ERROR_BUSY,
		                    "cannot hand off: output pending, stream compressed or in TLS");
		return NULL;
	}
	*buffered = g_bytes_new(conn->ibuf->data + conn->ibuf_off, input_len(conn));
	g_byte_array_set_size(conn->ibuf, 0);
	conn->ibuf_off = 0;
	conn->reason = g_error_new_literal(GNUT_CONN_ERROR, GNUT_CONN_ERROR_HANDED_OFF,
	                                   "socket handed to a new owner");
	conn->close_delivered = TRUE;
	conn_shutdown(conn, FALSE);
	g_socket_set_blocking(conn->sock, TRUE);
	/* Our reference goes too, so the new owner's unref closes the socket. */
	conn->sock = NULL;
	return g_steal_pointer(&conn->sc);
}

/* Any certificate will do: Gnutella's TLS is against eavesdroppers only. */
static gboolean accept_any_certificate(GTlsConnection *tls, GTlsCertificate *cert,
                                       GTlsCertificateFlags errors, gpointer data)
{
	return TRUE;
}

static void on_tls_handshake(GObject *source, GAsyncResult *res, gpointer data)
{
	gnut_conn *conn = data; /* the reference taken by begin_tls */
	GIOStream *tls = G_IO_STREAM(source);
	g_autoptr(GError) err = NULL;
	gboolean ok = g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), res, &err);
	g_clear_object(&conn->tls_cancel);
	tls_handshakes--;
	if (!conn->is_closed && !ok) {
		g_autoptr(GError) reason = g_error_new(GNUT_CONN_ERROR, GNUT_CONN_ERROR_TLS,
		                                       "TLS handshake failed: %s", err->message);
		gnut_conn_close(conn, reason);
	} else if (!conn->is_closed) {
		conn->tls = g_object_ref(tls);
		conn->in_stream = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(tls));
		conn->out_stream = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(tls));
		g_debug("%s: TLS up (%s)", conn->peer, conn->tls_server ? "server" : "client");
		update_in_watch(conn);
		schedule_flush(conn);
		if (conn->tls_ready != NULL)
			conn->tls_ready(conn, conn->tls_data);
	}
	g_object_unref(tls);
	gnut_conn_unref(conn);
}

/* Plain output is out: the TLS session starts on the socket, fed first
 * with whatever input was read past the owner's last plain message. */
static void begin_tls(gnut_conn *conn)
{
	conn->tls_pending = FALSE;
	if (tls_handshakes >= tls_handshake_cap) {
		close_with(conn, GNUT_CONN_ERROR_TLS, "too many TLS handshakes under way");
		return;
	}
	g_autoptr(GBytes) prefix = g_bytes_new(conn->ibuf->data + conn->ibuf_off, input_len(conn));
	g_byte_array_set_size(conn->ibuf, 0);
	conn->ibuf_off = 0;
	g_autoptr(GIOStream) base = gnut_prefix_io_stream_new(prefix, G_IO_STREAM(conn->sc));
	g_autoptr(GError) err = NULL;
	GIOStream *tls = conn->tls_server ? g_tls_server_connection_new(base, conn->tls_cert, &err)
	                                  : g_tls_client_connection_new(base, NULL, &err);
	if (tls == NULL) {
		g_autoptr(GError) reason = g_error_new(GNUT_CONN_ERROR, GNUT_CONN_ERROR_TLS,
		                                       "cannot start TLS: %s", err->message);
		gnut_conn_close(conn, reason);
		return;
	}
	if (!conn->tls_server && conn->tls_cert != NULL)
		g_tls_connection_set_certificate(G_TLS_CONNECTION(tls), conn->tls_cert);
	g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(tls), FALSE);
	g_signal_connect(tls, "accept-certificate", G_CALLBACK(accept_any_certificate), NULL);
	conn->tls_cancel = g_cancellable_new();
	tls_handshakes++;
	g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT,
	                                 conn->tls_cancel, on_tls_handshake, gnut_conn_ref(conn));
}

void gnut_conn_start_tls(gnut_conn *conn, gboolean server, GTlsCertificate *cert,
                         gnut_conn_tls_ready_fn ready, gpointer user_data)
{
	g_return_if_fail(conn != NULL && (cert != NULL || !server));
	g_return_if_fail(conn->tls == NULL && !conn->tls_pending && conn->tls_cancel == NULL);
	g_return_if_fail(conn->inflater == NULL && conn->deflater == NULL && conn->file_left == 0);
	if (conn->is_closed || conn->close_after_flush)
		return;
	conn->tls_pending = TRUE;
	conn->tls_server = server;
	g_set_object(&conn->tls_cert, cert);
	conn->tls_ready = ready;
	conn->tls_data = user_data;
	update_in_watch(conn);
	schedule_flush(conn);
}

gboolean gnut_conn_is_tls(const gnut_conn *conn)
{
	return conn->tls != NULL;
}

void gnut_conn_set_tls_handshake_cap(guint cap)
{
	tls_handshake_cap = cap;
}

guint gnut_conn_tls_handshakes(void)
{
	return tls_handshakes;
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	GError *err = NULL;
	GSocketConnection *sc = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), res, &err);
	if (sc == NULL) {
		g_task_return_error(task, err);
	} else {
		g_task_return_pointer(task, gnut_conn_new(sc), (GDestroyNotify)gnut_conn_unref);
		g_object_unref(sc);
	}
	g_object_unref(task);
}

void gnut_conn_connect_async(const char *host_and_port, guint16 default_port, guint timeout_s,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
	g_return_if_fail(host_and_port != NULL);
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(task, gnut_conn_connect_async);
	GError *err = NULL;
	GSocketConnectable *target = g_network_address_parse(host_and_port, default_port, &err);
	if (target == NULL) {
		g_task_return_error(task, err);
		g_object_unref(task);
		return;
	}
	GSocketClient *client = g_socket_client_new();
	/* Gnutella links are direct; never let the environment pick a proxy. */
	g_socket_client_set_enable_proxy(client, FALSE);
	g_socket_client_set_timeout(client, timeout_s);
	g_socket_client_connect_async(client, target, cancellable, on_connected, task);
	g_object_unref(client);
	g_object_unref(target);
}

gnut_conn *gnut_conn_connect_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
