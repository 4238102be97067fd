/* listener.h: the one listening TCP port. Each accepted connection waits,
 * with a deadline and a length cap, for its first line ("GNUTELLA
 * CONNECT/0.6", "GET /uri-res/...", "GIV ..."), then goes to the accept
 * callback with that line, which picks the next owner (handshake, upload,
 * push). The line stays in the connection's input buffer, so that owner
 * parses the request from its first byte.
 *
 * A bounded number of connections may wait for their first line at once;
 * beyond that, new ones are closed on accept, so a flood of idle sockets
 * cannot exhaust the daemon. No Gnutella policy lives here. */
#ifndef GNUT_LISTENER_H
#define GNUT_LISTENER_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/net/conn.h"

#define GNUT_LISTENER_DEFAULT_MAX_PENDING  64
#define GNUT_LISTENER_DEFAULT_LINE_TIMEOUT 10000 /* milliseconds */
#define GNUT_LISTENER_DEFAULT_LINE_MAX     4096  /* bytes, line end included */

typedef struct gnut_listener gnut_listener;

typedef struct {
	const char *address;   /* an IP literal: "0.0.0.0", "127.0.0.1", "::" */
	guint16 port;          /* 0: an ephemeral port (see gnut_listener_get_port) */
	guint max_pending;     /* connections waiting for their first line; 0: default */
	guint line_timeout_ms; /* deadline for the first line; 0: default */
	gsize line_max;        /* cap on the first line; 0: default */
} gnut_listener_config;

typedef struct {
	guint64 accepted;   /* connections accepted */
	guint64 refused;    /* closed at once: too many waiting */
	guint64 dispatched; /* handed to the accept callback */
	guint64 dropped;    /* closed before a first line: timeout, overlong, peer gone */
} gnut_listener_stats;

/* Receives conn (the callee owns this reference) with the request line
 * (without its CR LF, cut at a NUL byte). conn has no handlers and the
 * default input cap: the new owner sets its own, and the input buffered so
 * far, first line included, is then offered to it. */
typedef void (*gnut_listener_accept_fn)(gnut_listener *listener, gnut_conn *conn,
                                        const char *first_line, gpointer user_data);

/* Binds and starts listening on the thread-default main context. NULL with
 * error when the address is not an IP literal or cannot be bound. */
gnut_listener *gnut_listener_new(const gnut_listener_config *config, gnut_listener_accept_fn accept,
                                 gpointer user_data, GError **error);
/* Stops listening and closes the connections still waiting; those already
 * dispatched are their owners'. Safe from inside the accept callback. */
void gnut_listener_free(gnut_listener *listener);

/* The bound port (the ephemeral one when config asked for 0). */
guint16 gnut_listener_get_port(const gnut_listener *listener);
/* Connections waiting for their first line. */
guint gnut_listener_get_pending(const gnut_listener *listener);
const gnut_listener_stats *gnut_listener_get_stats(const gnut_listener *listener);

#endif
