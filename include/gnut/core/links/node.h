/* node.h: one established Gnutella link ("node" in servent parlance).
 *
 * A node owns the gnut_conn a successful handshake handed over. It frames
 * the input into messages (23-byte header, payload capped at
 * GNUT_MSG_MAX_PAYLOAD: a larger length cannot be resynchronised and drops
 * the link) and gives each to its owner; it queues output by priority,
 * sharing one GBytes between links; it keeps the link alive (a TTL-1 ping
 * after a silence, the link dropped when pings stay unanswered or nothing at
 * all arrives for long), and it says and hears Bye.
 *
 * Right after gnut_node_start it sends a Messages Supported vendor message
 * listing Hops Flow (BEAR/4 v1) (GUID zero, TTL 1; only if the peer
 * announced Vendor-Message), and a TTL-1 ping. It does not answer pings itself: pongs are the
 * owner's (router's) business, like every message but Bye. A Bye received is logged and closes the
 * link; it is not delivered as a message.
 *
 * Time: the node reads the injected clock when messages arrive, and
 * gnut_node_tick(now) (the owner calls it about every second) runs the
 * keep-alive and the bounded wait of a Bye being flushed.
 *
 * Lifetime: reference counted. The node holds a reference on itself while
 * it calls its owner, so a callback may drop the owner's reference; the
 * closed callback comes once, from the main loop. Drop the last reference
 * only after the closed callback (or to cut the link without ceremony). */
#ifndef GNUT_NODE_H
#define GNUT_NODE_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/net/conn.h"
#include "gnut/proto/guid.h"
#include "gnut/core/links/handshake.h"
#include "gnut/proto/msg-header.h"
#include "gnut/net/outq.h"

#define GNUT_NODE_KEEPALIVE_UP_S   20 /* silence before a ping, to an ultrapeer */
#define GNUT_NODE_KEEPALIVE_LEAF_S 60 /* silence before a ping, to a leaf */
#define GNUT_NODE_MAX_UNANSWERED   4  /* pings without a pong before we give up */
#define GNUT_NODE_BYE_WAIT_S       5  /* a Bye's flush may take this long */
#define GNUT_NODE_MIN_DEAD_S       60 /* no traffic for this long drops the link */
#define GNUT_NODE_BACKED_UP_S      30 /* output queue 3/4 full this long drops it */
#define GNUT_NODE_IDLE_RELEASE_S                                                                   \
	5 /* nothing sent this long: compressor and                                                \
	     buffers freed (gnut_conn_release_idle) */

typedef struct gnut_node gnut_node;

typedef struct {
	guint64 id;           /* the owner's link id (see router.h); 0 is "us": not a link */
	gnut_clock *clock;    /* not owned; NULL: the system clock */
	guint keepalive_s;    /* 0: by the peer's mode, see above */
	guint max_unanswered; /* 0: GNUT_NODE_MAX_UNANSWERED */
	guint dead_s;         /* 0: 3 * keepalive_s, at least GNUT_NODE_MIN_DEAD_S */
	guint bye_wait_s;     /* 0: GNUT_NODE_BYE_WAIT_S */
	gsize output_cap;     /* bytes of queued output; 0: the connection's default */
} gnut_node_config;

typedef struct {
	guint64 msgs_in;      /* messages received (Bye included) */
	guint64 msgs_out;     /* messages queued for sending */
	guint64 msgs_dropped; /* ours shed or refused by the queue, theirs discarded */
	guint64 bytes_in;     /* on the socket (compressed when deflating) */
	guint64 bytes_out;
	guint64 keepalives; /* pings we sent (the first one included) */
	gint64 since_us;    /* start time, on the node's clock */
} gnut_node_stats;

/* A message: h->length payload bytes at payload, valid during the call. */
typedef void (*gnut_node_message_fn)(gnut_node *node, const gnut_msg_header *h,
                                     const guint8 *payload, gpointer user_data);
/* The link is gone; reason is a line for the log ("peer said bye: 200 ..."). */
typedef void (*gnut_node_closed_fn)(gnut_node *node, const char *reason, gpointer user_data);
/* We sent a ping of our own with this GUID (the router must know its pongs
 * are for us). Runs inside gnut_node_start / gnut_node_tick. */
typedef void (*gnut_node_ping_fn)(gnut_node *node, const gnut_guid *guid, gpointer user_data);

typedef struct {
	gnut_node_message_fn message;
	gnut_node_closed_fn closed;
	gnut_node_ping_fn ping_sent; /* may be NULL */
} gnut_node_handlers;

/* Wraps conn (taking over the caller's reference, as gnut_handshake_steal_conn
 * returns it) for the peer the handshake described (copied). Nothing is read
 * or sent before gnut_node_start. */
gnut_node *gnut_node_new(gnut_conn *conn, const gnut_handshake_peer *peer,
                         const gnut_node_config *config, const gnut_node_handlers *handlers,
                         gpointer user_data);
/* Starts reading and sends the opening messages. */
void gnut_node_start(gnut_node *node);

gnut_node *gnut_node_ref(gnut_node *node);
void gnut_node_unref(gnut_node *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_node, gnut_node_unref)

/* Queues a whole message (header and payload; referenced, not copied) at
 * prio. FALSE when it was refused: link closing or closed, queue full. */
gboolean gnut_node_send(gnut_node *node, GBytes *msg, gnut_prio prio);
/* Builds the message and queues it. */
gboolean gnut_node_send_msg(gnut_node *node, const gnut_guid *guid, guint8 type, guint8 ttl,
                            guint8 hops, const guint8 *payload, gsize len, gnut_prio prio);

/* Says goodbye: queues a Bye (when the peer announced Bye-Packet) with code
 * and reason, stops reading, and closes once it is written (at most
 * bye_wait_s later, by gnut_node_tick). Without Bye-Packet it closes now. */
void gnut_node_bye(gnut_node *node, guint16 code, const char *reason);
/* Closes at once, without a Bye (reason for the log). */
void gnut_node_close(gnut_node *node, const char *reason);

/* Keep-alive and Bye deadlines, against now_us from the node's clock, and
 * the backed-up check: a link whose output queue stays 3/4 full for
 * GNUT_NODE_BACKED_UP_S is closed (no Bye: it could not be sent). */
void gnut_node_tick(gnut_node *node, gint64 now_us);

/* TRUE while 3/4 or more of the output queue's cap is queued: the peer
 * reads slower than we send (flow control asks it to send us less). */
gboolean gnut_node_output_backed_up(const gnut_node *node);

guint64 gnut_node_get_id(const gnut_node *node);
const gnut_handshake_peer *gnut_node_get_peer(const gnut_node *node);
/* The peer's mode, for `gnut peers`: "ultrapeer" or "leaf". */
const char *gnut_node_get_mode(const gnut_node *node);
gboolean gnut_node_is_ultrapeer(const gnut_node *node);
/* The peer's User-Agent, "" when it sent none. */
const char *gnut_node_get_user_agent(const gnut_node *node);
/* The peer's listening address when it told us (Listen-IP), else the
 * socket's remote end. */
const char *gnut_node_get_host(const gnut_node *node);
guint16 gnut_node_get_port(const gnut_node *node);
/* "ip:port" of the socket, for logs. */
const char *gnut_node_get_address(const gnut_node *node);
void gnut_node_get_stats(const gnut_node *node, gnut_node_stats *out);
/* TRUE once the link is closing (Bye queued) or closed. */
gboolean gnut_node_is_closing(const gnut_node *node);
gboolean gnut_node_is_closed(const gnut_node *node);
/* The code of the Bye the peer sent, 0 when none. */
guint16 gnut_node_get_bye_code(const gnut_node *node);
/* Why the link closed (NULL while open). */
const char *gnut_node_get_close_reason(const gnut_node *node);

#endif
