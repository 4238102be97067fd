/* listener.h: the one listening TCP port. Each accepted connection waits,
 * with a deadline and a length cap, for its first line ("GNUTELLA
 * CONNECT/0.6", "GET /uri-res/...", "GIV ..."), then goes to the accept
 * callback with that line, which picks the next owner (handshake, upload,
 * push). The line stays in the connection's input buffer, so that owner
 * parses the request from its first byte. With a certificate configured, a
 * client whose first byte opens a TLS handshake record (0x16) gets a TLS
 * session first, and its first line is awaited inside it, under the same
 * deadline and cap (gnut_conn_is_tls tells the owner).
 *
 * Admission, so that no peer can lock others out or exhaust the daemon: a
 * connection is closed at once, counted, when max_pending connections wait
 * for their first line already; when its address reconnects too often (a
 * token bucket per address: reconnect_burst at once, then one per
 * reconnect_interval_ms); or when its address has per_ip_pending waiting
 * already. Refusals are logged at most once a second. When accept(2) runs
 * out of descriptors (EMFILE, ENFILE) or fails otherwise, accepting pauses
 * for fd_pause_ms (new peers wait in the kernel's backlog), logged once per
 * shortage (it ends when accept finds nothing waiting): never a busy loop.
 * No Gnutella policy lives here. */
#ifndef GNUT_LISTENER_H
#define GNUT_LISTENER_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/base/ip-admit.h"
#include "gnut/net/conn.h"

#define GNUT_LISTENER_DEFAULT_MAX_PENDING  64
#define GNUT_LISTENER_DEFAULT_LINE_TIMEOUT 10000 /* milliseconds */
#define GNUT_LISTENER_DEFAULT_LINE_MAX     4096  /* bytes, line end included */
/* Per address: connections waiting for their first line, and the
 * reconnection throttle (gtk-gnutella lets 5 a minute through: ban.c). */
#define GNUT_LISTENER_DEFAULT_PER_IP_PENDING     4
#define GNUT_LISTENER_DEFAULT_RECONNECT_BURST    5
#define GNUT_LISTENER_DEFAULT_RECONNECT_INTERVAL 12000 /* milliseconds */
#define GNUT_LISTENER_DEFAULT_FD_PAUSE           1000  /* milliseconds */
/* Addresses remembered for admission, beyond max_pending. */
#define GNUT_LISTENER_ADMIT_TABLE 4096

typedef struct gnut_listener gnut_listener;

typedef struct {
	const char *address;   /* an IP literal: "0.0.0.0", "127.0.0.1", "::" */
	guint16 port;          /* 0: an ephemeral port (see gnut_listener_get_port) */
	guint max_pending;     /* connections waiting for their first line; 0: default */
	guint line_timeout_ms; /* deadline for the first line; 0: default */
	gsize line_max;        /* cap on the first line; 0: default */
	/* admission per address: 0 means the default; GNUT_IP_ADMIT_UNLIMITED
	 * means no cap (per_ip_pending) or no throttle (reconnect_burst) */
	guint per_ip_pending;        /* connections from one address waiting */
	guint reconnect_burst;       /* connections from one address let in at once */
	guint reconnect_interval_ms; /* then one per interval */
	guint fd_pause_ms;           /* accepting pauses this long when accept fails */
	gnut_clock *clock;           /* the throttle's clock, not owned; NULL: the system's */
	GTlsCertificate *tls_cert;   /* TLS from the first byte; NULL: plain only. Not owned */
} gnut_listener_config;

typedef struct {
	guint64 accepted;      /* connections accepted */
	guint64 refused;       /* closed at once: too many waiting */
	guint64 dispatched;    /* handed to the accept callback */
	guint64 dropped;       /* closed before a first line: timeout, overlong, peer gone */
	guint64 throttled;     /* closed at once: its address reconnects too often */
	guint64 refused_ip;    /* closed at once: too many waiting from its address */
	guint64 accept_errors; /* accept(2) failures, each followed by a pause */
	guint64 fd_pauses;     /* of them: out of descriptors */
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
/* TRUE while accepting is paused after a failed accept(2). */
gboolean gnut_listener_is_paused(const gnut_listener *listener);

/* The admission key of conn's remote address (see ip-admit.h), for owners
 * that keep their own per-address caps; FALSE when the address is unknown. */
gboolean gnut_listener_conn_key(const gnut_conn *conn, gnut_ip_key *key);

#endif
