/* conn.h: one TCP connection on the main loop, with a bounded input buffer,
 * a prioritised output queue and optional deflate per direction. It knows
 * nothing of Gnutella: its owner (a handshake, a node, an HTTP transfer)
 * parses the input and decides what to send.
 *
 * Input: the socket is read without blocking into a buffer of at most
 * input_cap unconsumed bytes. After each read the owner's readable callback
 * runs and consumes bytes from the head of the buffer (a header block, one
 * or more framed messages); it is called again as long as it consumes
 * something. If the buffer is full and the owner consumed nothing, the input
 * is over its cap: a protocol error that closes the connection.
 *
 * Output: gnut_conn_send queues messages in the gnut_outq; gnut_conn_write_raw
 * queues bytes that go out as they are, ahead of queued messages (handshake
 * text, HTTP headers). Everything is written at the end of the main-loop
 * iteration, in one system call where possible; a G_IO_OUT watch exists only
 * while a write would block. gnut_conn_send_file_range sends a file range with
 * sendfile(2) once the rest is out.
 *
 * Deflate: gnut_conn_enable_inflate / _deflate switch a direction to a zlib
 * stream at any point after the handshake. Input already buffered but not
 * consumed when inflate is enabled is compressed data and is inflated first.
 *
 * TLS: gnut_conn_start_tls switches both directions to a TLS session on the
 * same socket once the output queued before it is written (Gnutella's
 * "Upgrade: TLS/1.0", or TLS from the first byte). Reading pauses during
 * the handshake; input read before the switch and not consumed is taken
 * as the start of the peer's TLS stream (the readable callback is not
 * called again until the session is up). Any peer certificate is accepted:
 * the point is encryption against eavesdroppers, not identity. Compression,
 * file ranges and flush_and_close work on top as on a plain socket.
 *
 * Lifetime: reference counted. A callback never runs nested inside an API
 * call, and the connection holds a reference on itself while it calls its
 * owner, so the owner may close and unref it from any callback. Closing is
 * immediate for the socket, but the closed callback comes later from an idle
 * source, once; dropping the last reference first cancels it. Input left in
 * the buffer stays readable after the close, until the last unref.
 *
 * Every source is attached to the thread-default main context current when
 * the connection is created. */
#ifndef GNUT_CONN_H
#define GNUT_CONN_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/net/outq.h"

#define GNUT_CONN_ERROR (gnut_conn_error_quark())

/* Close reasons of our own; socket errors keep their G_IO_ERROR code and
 * inflate errors their GNUT_DEFLATE_ERROR code. */
typedef enum {
	GNUT_CONN_ERROR_LOCAL,          /* closed by its owner, no reason given */
	GNUT_CONN_ERROR_PEER_CLOSED,    /* the peer closed its side */
	GNUT_CONN_ERROR_INPUT_OVERFLOW, /* input over its cap, owner consumed nothing */
	GNUT_CONN_ERROR_HANDED_OFF,     /* the socket was stolen by a new owner */
	GNUT_CONN_ERROR_BUSY,           /* a steal with output or compression pending */
	GNUT_CONN_ERROR_TLS,            /* the TLS session could not start */
} gnut_conn_error;

GQuark gnut_conn_error_quark(void);

/* Caps until the owner sets its own. */
#define GNUT_CONN_DEFAULT_INPUT_CAP  (64 * 1024)
#define GNUT_CONN_DEFAULT_OUTPUT_CAP (256 * 1024)
/* TLS handshakes under way at once, in the whole process: each occupies a
 * worker thread of GIO's until it ends, so a flood of peers that stall
 * their TLS must not multiply threads. */
#define GNUT_CONN_DEFAULT_TLS_HANDSHAKES 64

typedef struct gnut_conn gnut_conn;

/* Input is waiting: peek it with gnut_conn_peek_input, take what can be
 * used with gnut_conn_consume_input. */
typedef void (*gnut_conn_readable_fn)(gnut_conn *conn, gpointer user_data);
/* The connection closed; reason says why (never NULL). */
typedef void (*gnut_conn_closed_fn)(gnut_conn *conn, const GError *reason, gpointer user_data);
/* The TLS session is up; input and output now go through it. */
typedef void (*gnut_conn_tls_ready_fn)(gnut_conn *conn, gpointer user_data);
/* The whole file range went out. */
typedef void (*gnut_conn_file_done_fn)(gnut_conn *conn, gpointer user_data);

typedef struct {
	guint64 bytes_in;    /* read from the socket (compressed when inflating) */
	guint64 bytes_out;   /* written to the socket (compressed when deflating) */
	guint64 payload_in;  /* delivered to the input buffer (after inflating) */
	guint64 payload_out; /* handed to the socket or the compressor */
	gsize output_queued; /* bytes not yet written: queue, raw and compressed */
	gboolean inflating;
	gboolean deflating;
} gnut_conn_stats;

/* Wraps a connected socket (a reference is taken). Reading starts once a
 * readable callback is set. */
gnut_conn *gnut_conn_new(GSocketConnection *sc);
gnut_conn *gnut_conn_ref(gnut_conn *conn);
/* The last unref closes the socket if still open, without a callback. */
void gnut_conn_unref(gnut_conn *conn);

/* Sets the owner's callbacks (either may be NULL). This is also how a
 * connection is handed to a new owner: bytes already buffered are offered to
 * the new readable callback, at once if called from inside the old one, else
 * from the main loop. A NULL readable pauses reading. */
void gnut_conn_set_handlers(gnut_conn *conn, gnut_conn_readable_fn readable,
                            gnut_conn_closed_fn closed, gpointer user_data);

/* Input cap: at most this many unconsumed bytes are buffered. */
void gnut_conn_set_input_cap(gnut_conn *conn, gsize cap);
gsize gnut_conn_get_input_cap(const gnut_conn *conn);
/* Output cap: the output queue's byte cap (see outq.h). */
void gnut_conn_set_output_cap(gnut_conn *conn, gsize cap);

/* The unconsumed input (length in *len); valid until the next consume or
 * the return of the current callback. */
const guint8 *gnut_conn_peek_input(const gnut_conn *conn, gsize *len);
void gnut_conn_consume_input(gnut_conn *conn, gsize n);

/* Queues msg (referenced, not copied) at prio. FALSE when the queue dropped
 * it or the connection is closed or closing. */
gboolean gnut_conn_send(gnut_conn *conn, GBytes *msg, gnut_prio prio);

/* Queues len bytes to go out as they are, before any queued message not yet
 * written. FALSE when closed or over the output cap. Not after deflate was
 * enabled (the bytes would corrupt the stream). */
gboolean gnut_conn_write_raw(gnut_conn *conn, const void *data, gsize len);

/* Sends len bytes of fd from offset with sendfile(2) once everything queued
 * before is written, then calls done from the main loop. fd stays the
 * caller's and must stay open until done or the closed callback. Nothing
 * else may be sent until done; not while deflating. Rate limiting: send
 * smaller ranges and start the next one from done when the budget allows. */
void gnut_conn_send_file_range(gnut_conn *conn, int fd, goffset offset, gsize len,
                               gnut_conn_file_done_fn done, gpointer user_data);

/* Switch the input / output direction to a zlib stream (see above). */
void gnut_conn_enable_inflate(gnut_conn *conn);
void gnut_conn_enable_deflate(gnut_conn *conn);
/* Output deflated with a window of 2^window_bits and zlib's mem_level (see
 * gnut_deflater_new_sized): less memory for links that carry little. */
void gnut_conn_enable_deflate_sized(gnut_conn *conn, int window_bits, int mem_level);
/* For a connection gone idle: when no output is pending, frees the
 * compressor's zlib state (it comes back on the next write, see
 * gnut_deflater_release) and the buffers' memory, and returns TRUE; FALSE
 * (nothing done: try later) while output is pending. */
gboolean gnut_conn_release_idle(gnut_conn *conn);

/* Starts TLS as server (cert required) or client (cert optional) once the
 * output queued so far is written; ready runs from the main loop when the
 * session is up. A failed handshake closes the connection with
 * GNUT_CONN_ERROR_TLS. Messages sent meanwhile wait and go inside TLS. Not
 * while compressing or sending a file range, nor twice. */
void gnut_conn_start_tls(gnut_conn *conn, gboolean server, GTlsCertificate *cert,
                         gnut_conn_tls_ready_fn ready, gpointer user_data);
/* TRUE once the TLS session is up. */
gboolean gnut_conn_is_tls(const gnut_conn *conn);
/* Sets the cap on TLS handshakes under way (main thread, before starting
 * any; tests lower it): one more fails at once with GNUT_CONN_ERROR_TLS. */
void gnut_conn_set_tls_handshake_cap(guint cap);
/* TLS handshakes under way now. */
guint gnut_conn_tls_handshakes(void);

/* Closes now. reason (copied; NULL means GNUT_CONN_ERROR_LOCAL) is what the
 * closed callback and gnut_conn_get_close_reason report. Unwritten output is
 * discarded. A second close keeps the first reason. */
void gnut_conn_close(gnut_conn *conn, const GError *reason);
/* Stops reading, writes what is queued, then closes our sending side and
 * closes once the peer closes its own (at most 1.5 s later), so that the
 * peer reads our last words (a Bye) instead of a reset. */
void gnut_conn_flush_and_close(gnut_conn *conn);

gboolean gnut_conn_is_closed(const gnut_conn *conn);
/* NULL while open. */
const GError *gnut_conn_get_close_reason(const gnut_conn *conn);

/* "1.2.3.4:6346" or "[::1]:6346". */
const char *gnut_conn_get_peer(const gnut_conn *conn);
GInetSocketAddress *gnut_conn_get_remote_address(const gnut_conn *conn);

void gnut_conn_get_stats(const gnut_conn *conn, gnut_conn_stats *out);
const gnut_outq *gnut_conn_get_outq(const gnut_conn *conn);

/* Hands the socket to code that wants it whole: returns the connection (the
 * caller owns it; the gnut_conn keeps no reference) and, in *buffered, the input read but not
 * consumed, which the new owner must treat as the start of the stream. The gnut_conn ends up closed
 * (GNUT_CONN_ERROR_HANDED_OFF) without a closed callback. Fails with GNUT_CONN_ERROR_BUSY while
 * output is pending or a direction is compressed. */
GSocketConnection *gnut_conn_steal_socket(gnut_conn *conn, GBytes **buffered, GError **error);

/* Connects to "host:port" (default_port when none is given) within
 * timeout_s seconds (0: the system's own), without any proxy. The finish
 * function returns a new gnut_conn or NULL with error. */
void gnut_conn_connect_async(const char *host_and_port, guint16 default_port, guint timeout_s,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
gnut_conn *gnut_conn_connect_finish(GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_conn, gnut_conn_unref)

#endif
