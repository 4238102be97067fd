/* handshake.h: the Gnutella 0.6 handshake as an opaque object with an
 * explicit state machine, for both directions.
 *
 *   outgoing: SEND_CONNECT -> READ_RESPONSE -> SEND_FINAL -> SUCCEEDED
 *   incoming: READ_CONNECT -> SEND_RESPONSE -> READ_FINAL -> SUCCEEDED
 *   either:   -> REFUSING (our refusal is being flushed) -> FAILED, or -> FAILED
 *
 * A handshake takes over a gnut_conn (an outgoing one fresh from
 * gnut_conn_connect_finish, or an incoming one from the listener with the
 * "GNUTELLA CONNECT/0.6" line still buffered), exchanges the three header
 * blocks, negotiates deflate per direction, and reports once to its done
 * callback. On success the owner takes the connection with
 * gnut_handshake_steal_conn (typically to make a gnut_node); whatever is not
 * taken is closed. Every step has a deadline, checked by
 * gnut_handshake_tick against the injected clock, so tests never sleep.
 *
 * What we answer: 403 to a peer without X-Ultrapeer (legacy servents), 503
 * "Shielded leaf node" to a leaf when we are a leaf, and whatever the
 * owner's admit callback decides (503 with X-Try-Ultrapeers when full). A
 * 409, 429 or 503 from the remote is "not now": the owner should back off.
 *
 * Leaf guidance (doc/gnutella/ultra-peers, 3.5): as an ultrapeer we may say
 * X-Ultrapeer-Needed in step 2 (the owner's ultrapeer_needed); an
 * ultrapeer that dialed us and hears False may answer X-Ultrapeer: False in
 * step 3 and is then our leaf. As the dialer, the owner's
 * take_leaf_guidance decides whether we do so.
 * We never offer TLS and never answer a peer's "Upgrade: TLS/1.0". */
#ifndef GNUT_HANDSHAKE_H
#define GNUT_HANDSHAKE_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/net/conn.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/head.h"

#define GNUT_HANDSHAKE_TIMEOUT_S       10  /* deadline of each step */
#define GNUT_HANDSHAKE_DEFAULT_DEGREE  32  /* X-Degree: >= 16 or gtk-gnutella leaves refuse us */
#define GNUT_HANDSHAKE_DEFAULT_MAX_TTL 4   /* X-Max-TTL: what today's network uses */
#define GNUT_HANDSHAKE_MAX_TRY_HOSTS   32  /* X-Try-Ultrapeers entries kept */
#define GNUT_HANDSHAKE_MAX_AGENT       256 /* bytes of User-Agent kept */
/* Our compressor on a link between a leaf and an ultrapeer: a 4 KiB window
 * and memLevel 5 (tests/bench/bench-capacity measures what it costs in
 * ratio); links between ultrapeers keep zlib's defaults. */
#define GNUT_HANDSHAKE_LEAF_WINDOW_BITS 12
#define GNUT_HANDSHAKE_LEAF_MEM_LEVEL   5

typedef enum {
	GNUT_HANDSHAKE_OUTGOING, /* we dialled: we send CONNECT */
	GNUT_HANDSHAKE_INCOMING, /* they dialled: they sent CONNECT */
} gnut_handshake_dir;

typedef enum {
	GNUT_HANDSHAKE_SEND_CONNECT,  /* outgoing: write step 1 */
	GNUT_HANDSHAKE_READ_RESPONSE, /* outgoing: wait for their step 2 */
	GNUT_HANDSHAKE_SEND_FINAL,    /* outgoing: write our step 3 */
	GNUT_HANDSHAKE_READ_CONNECT,  /* incoming: wait for their step 1 */
	GNUT_HANDSHAKE_SEND_RESPONSE, /* incoming: write our step 2 */
	GNUT_HANDSHAKE_READ_FINAL,    /* incoming: wait for their step 3 */
	GNUT_HANDSHAKE_REFUSING,      /* our refusal is being written out */
	GNUT_HANDSHAKE_TLS,           /* both: the TLS handshake after step 3 runs */
	GNUT_HANDSHAKE_SUCCEEDED,     /* link established (terminal) */
	GNUT_HANDSHAKE_FAILED,        /* refused, timed out or broken (terminal) */
} gnut_handshake_state;

/* What the peer told us in its headers, plus what was negotiated. Strings
 * are owned by the struct (gnut_handshake_peer_clear frees them); absent or
 * unparseable headers leave their field empty (NULL, 0, FALSE). */
typedef struct {
	char *user_agent;       /* valid UTF-8, control characters replaced, capped */
	gboolean has_ultrapeer; /* X-Ultrapeer was present and readable */
	gboolean ultrapeer;
	char *listen_ip;                  /* from Listen-IP, X-My-Address, Node or X-Node */
	guint16 listen_port;              /* its port (0 when unknown) */
	char *remote_ip;                  /* our address as the peer saw it (Remote-IP) */
	guint max_ttl;                    /* X-Max-TTL */
	guint degree;                     /* X-Degree */
	gboolean bye_packet;              /* Bye-Packet: 0.1 */
	gboolean vendor_messages;         /* Vendor-Message */
	gboolean ggep;                    /* GGEP */
	gboolean pong_caching;            /* Pong-Caching */
	gboolean query_routing;           /* X-Query-Routing */
	gboolean ultrapeer_query_routing; /* X-Ultrapeer-Query-Routing */
	gboolean dynamic_querying;        /* X-Dynamic-Querying */
	gboolean accepts_deflate;         /* Accept-Encoding lists deflate */
	gboolean sends_deflate;           /* Content-Encoding: deflate */
	gboolean has_guid;
	gnut_guid guid;        /* GUID: their servent GUID */
	GStrv try_ultrapeers;  /* "ip:port" from X-Try-Ultrapeers / X-Try; never NULL once read */
	gboolean deflate_in;   /* negotiated: they compress what they send us */
	gboolean deflate_out;  /* negotiated: we compress what we send them */
	gboolean offers_tls;   /* Upgrade: TLS/1.0 (an offer in step 1, an answer in step 2) */
	gboolean features_tls; /* X-Features lists tls: the host speaks TLS */
	gboolean tls;          /* negotiated: the link runs inside TLS (upgraded or TLS-first) */
	gboolean has_ultrapeer_needed; /* X-Ultrapeer-Needed was present and readable */
	gboolean ultrapeer_needed; /* True: it wants ultrapeers; False: it has room for leaves */
	gboolean leaf_guidance;    /* negotiated: leaf guidance was taken (outgoing: we are now
	                              its leaf; incoming: it is now ours, ultrapeer FALSE) */
} gnut_handshake_peer;

/* Fills *out (any previous content is freed) from one of the peer's header
 * blocks. Pure: no I/O. */
void gnut_handshake_peer_read(const gnut_head *h, gnut_handshake_peer *out);
/* Deep copy into *dst (which must be cleared or zeroed). */
void gnut_handshake_peer_copy(const gnut_handshake_peer *src, gnut_handshake_peer *dst);
void gnut_handshake_peer_clear(gnut_handshake_peer *p);

/* Parses "1.2.3.4:6346" or "[::1]:6346" (gnut_addr_parse_host_port: the
 * port required, no white space, no leading zeros, IPv6 only in brackets)
 * into a normalised IP literal (g_free) and a port 1..65535. FALSE for
 * anything else (host names included), leaving *ip and *port alone. */
gboolean gnut_handshake_parse_host_port(const char *s, char **ip, guint16 *port);

/* Asked once the peer's main header block is known (both directions):
 * return 200 to go on, or a status code that refuses the peer (503 full,
 * 409 already connected...), optionally with a reason (default: a standard
 * text for the code) and a comma-separated "ip:port" list appended to
 * try_ultrapeers (sent as X-Try-Ultrapeers). */
typedef guint (*gnut_handshake_admit_fn)(const gnut_handshake_peer *peer, gnut_handshake_dir dir,
                                         GString *reason, GString *try_ultrapeers,
                                         gpointer user_data);

/* What X-Ultrapeer-Needed says, when sent. */
typedef enum {
	GNUT_HANDSHAKE_NEEDED_NONE,  /* not sent */
	GNUT_HANDSHAKE_NEEDED_TRUE,  /* ultrapeers are wanted */
	GNUT_HANDSHAKE_NEEDED_FALSE, /* enough ultrapeers: be a leaf (leaf guidance) */
} gnut_handshake_needed;

typedef struct {
	gboolean ultrapeer;      /* our mode */
	const gnut_guid *guid;   /* our servent GUID, sent as GUID (so that a peer sees a
	                            link to itself); NULL: not sent */
	const char *listen_addr; /* "ip:port" announced as Listen-IP; NULL: not sent */
	guint degree;            /* X-Degree */
	guint max_ttl;           /* X-Max-TTL */
	gboolean
	    dynamic_querying; /* announce X-Dynamic-Querying: 0.1 (only if the servent does it) */
	gboolean deflate;     /* offer and accept Content-Encoding: deflate */
	GTlsCertificate *tls_cert; /* non-NULL: TLS is on: offer and accept Upgrade: TLS/1.0
	                              and list tls/1.0 in X-Features; not owned */
	gboolean tls_first;        /* outgoing, with tls_cert: TLS from the first byte (a host known
	                              to speak it), under the first step's deadline */
	guint timeout_s;           /* per-step deadline */
	gnut_clock *clock;         /* deadlines; not owned, must outlive the handshake */
	gnut_handshake_admit_fn admit; /* NULL: admit everyone our rules allow */
	gpointer admit_data;           /* for admit and the two below */
	/* As an ultrapeer, the X-Ultrapeer-Needed of our step 2 to a peer that
	 * dialed us, asked once it is admitted. NULL: none sent. */
	gnut_handshake_needed (*ultrapeer_needed)(const gnut_handshake_peer *peer,
	                                          gpointer admit_data);
	/* As an ultrapeer that dialed an ultrapeer answering X-Ultrapeer-Needed:
	 * False: TRUE takes its leaf guidance (our step 3 says X-Ultrapeer:
	 * False and the link is ours as a leaf). NULL: never taken. */
	gboolean (*take_leaf_guidance)(const gnut_handshake_peer *peer, gpointer admit_data);
} gnut_handshake_config;

/* Defaults: leaf, no Listen-IP, degree 32, max TTL 4, no dynamic querying,
 * deflate on, 10 s per step, the system clock, no admit callback. */
void gnut_handshake_config_init(gnut_handshake_config *c);

/* Appends the capability headers we send in step 1 (CONNECT) and in a 200
 * step 2: User-Agent, X-Ultrapeer, query routing, GGEP, pong caching, bye,
 * vendor messages, GUID (when configured), Remote-IP (remote_ip, when not
 * NULL), Listen-IP, X-Max-TTL,
 * X-Degree, X-Dynamic-Querying when configured, Accept-Encoding: deflate when
 * configured. */
void gnut_handshake_add_our_headers(gnut_head *h, const gnut_handshake_config *c,
                                    const char *remote_ip);

/* The standard reason text for a handshake status code ("OK", "Service
 * Unavailable", ...). */
const char *gnut_handshake_reason_for(guint code);

typedef struct gnut_handshake gnut_handshake;

typedef struct {
	gboolean ok;
	gnut_handshake_dir direction;
	guint code;          /* 200 when ok; the refusing status (theirs or ours); 0: no status */
	gboolean by_peer;    /* the peer refused (code is theirs) */
	gboolean not_now;    /* the peer said 409/429/503: retry later, with back-off */
	gboolean tls_failed; /* the TLS handshake failed (TLS-first or upgrade) */
	const char *error;   /* NULL when ok, else a line for the log */
	const gnut_handshake_peer *peer; /* what the peer told (may be mostly empty) */
} gnut_handshake_result;

/* Called once, from the main loop (never from inside a gnut_handshake_*
 * call). r lives until the callback returns; hs may be freed from inside it.
 * To keep a successful link, call gnut_handshake_steal_conn inside it. */
typedef void (*gnut_handshake_done_fn)(gnut_handshake *hs, const gnut_handshake_result *r,
                                       gpointer user_data);

/* Starts a handshake on conn, taking over the caller's reference to it (and
 * its handlers). config is copied. */
gnut_handshake *gnut_handshake_new(gnut_conn *conn, gnut_handshake_dir dir,
                                   const gnut_handshake_config *config, gnut_handshake_done_fn done,
                                   gpointer user_data);

/* The explicit hand-off: after success, returns the connection (the caller
 * now owns this reference) with no handlers set and any input that followed
 * the handshake still buffered, deflate switched on as negotiated. NULL when
 * the handshake did not succeed or the connection was already taken. */
gnut_conn *gnut_handshake_steal_conn(gnut_handshake *hs);

/* Checks the current step's deadline against now_us (the config's clock);
 * past it, the handshake fails (the done callback follows from the main
 * loop). Call it about every second. */
void gnut_handshake_tick(gnut_handshake *hs, gint64 now_us);

gnut_handshake_state gnut_handshake_get_state(const gnut_handshake *hs);
gnut_handshake_dir gnut_handshake_get_direction(const gnut_handshake *hs);
const char *gnut_handshake_state_name(gnut_handshake_state state);
/* "1.2.3.4:6346": the socket's remote end. */
const char *gnut_handshake_get_peer_address(const gnut_handshake *hs);

/* Frees the handshake and closes a connection not taken. Without a done
 * callback when called before it; from inside it, freeing waits for its
 * return. */
void gnut_handshake_free(gnut_handshake *hs);

#endif
