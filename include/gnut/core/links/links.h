/* links.h: the servent's set of Gnutella links. It owns the hosts it keeps a
 * link to (--peer hosts, `gnut connect` ones, and those the owner picked from
 * the host cache), dials them with back-off, runs the 0.6 handshake both ways,
 * admits or refuses peers (self, duplicates, max_ultrapeers, max_leaves,
 * max_links_per_ip), and keeps each link as a gnut_node under a link id. What links carry is not
 * its business: every message, and every link going up or down, goes to the owner's handlers.
 *
 * Incoming handshakes under way are capped, in all (max_handshakes) and per
 * remote address (per_ip_handshakes), so that half-finished handshakes from
 * one peer can neither exhaust descriptors nor lock other peers out: beyond
 * a cap the connection is closed at once, counted, and logged at most once
 * a second. */
#ifndef GNUT_LINKS_H
#define GNUT_LINKS_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/core/links/handshake.h"
#include "gnut/core/links/node.h"
#include "gnut/core/links/role.h"
#include "gnut/net/conn.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"

#define GNUT_LINKS_DEFAULT_PORT              6346
#define GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS    32
#define GNUT_LINKS_DEFAULT_MAX_LEAVES        300
#define GNUT_LINKS_DIAL_TIMEOUT_S            10
#define GNUT_LINKS_BACKOFF_MIN_S             2
#define GNUT_LINKS_BACKOFF_MAX_S             300
#define GNUT_LINKS_NOT_NOW_S                 60  /* after a 409/429/503 */
#define GNUT_LINKS_DEFAULT_MAX_HANDSHAKES    64  /* incoming, under way at once */
#define GNUT_LINKS_DEFAULT_PER_IP_HANDSHAKES 4   /* of them from one address */
#define GNUT_LINKS_DEFAULT_PER_IP            2   /* incoming links from one IP address */
#define GNUT_LINKS_ROLE_BYE_CODE             203 /* the Bye of links dropped by a role change */

typedef struct gnut_links gnut_links;

typedef struct {
	gnut_clock *clock;         /* not owned */
	gnut_guid guid;            /* ours: a peer with it is ourselves */
	gboolean ultrapeer;        /* the role we start in (see gnut_links_set_ultrapeer) */
	gboolean dynamic_querying; /* announce X-Dynamic-Querying (as an ultrapeer) */
	gboolean no_compression;   /* neither offer nor accept deflate on links */
	/* Links to ultrapeers (dials under way included), and as an ultrapeer,
	 * to leaves (incoming handshakes admitted included); past either a peer
	 * is refused with 503 naming the cap. 0: the defaults. */
	guint max_ultrapeers;
	guint max_leaves;
	guint max_handshakes;      /* 0: GNUT_LINKS_DEFAULT_MAX_HANDSHAKES */
	guint per_ip_handshakes;   /* 0: the default; GNUT_IP_ADMIT_UNLIMITED: no cap */
	guint max_links_per_ip;    /* incoming links (leaves and ultrapeers) from one IP,
	                              up or admitted; 0: GNUT_LINKS_DEFAULT_PER_IP */
	GTlsCertificate *tls_cert; /* TLS on (handshake.h); NULL: off. Not owned */
	/* As a leaf, the cap on links to ultrapeers; 0: max_ultrapeers. */
	guint leaf_ultrapeers;
	/* The role policy (not owned): the X-Ultrapeer-Needed we send as an
	 * ultrapeer, whether we take an ultrapeer's leaf guidance, and the
	 * leaves we refuse. NULL: none sent, never taken. */
	gnut_role *role;
} gnut_links_config;

/* What happens on the links, for the owner. message: a node delivered a
 * message; up: a link's handshake succeeded and its node runs; closed: a
 * link is going away (its node is still valid during the call);
 * ping_sent: a node sent a keep-alive ping with this GUID; handshake_seen:
 * the headers of a finished handshake, good or bad (hosts to learn);
 * cache_dial_result: a dial to a host given by gnut_links_dial_cached ended,
 * ok when its link came up; cache_tls_failed: such a host, dialed in TLS
 * from the first byte, failed in TLS (it is dialed again at once in plain
 * text). Any may be NULL. */
typedef struct {
	void (*message)(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
	                gpointer data);
	void (*up)(gnut_node *node, gpointer data);
	void (*closed)(gnut_node *node, gpointer data);
	void (*ping_sent)(gnut_node *node, const gnut_guid *guid, gpointer data);
	void (*handshake_seen)(const gnut_handshake_peer *peer, gpointer data);
	void (*cache_dial_result)(const char *host_port, gboolean ok, gpointer data);
	void (*cache_tls_failed)(const char *host_port, gpointer data);
	/* We took the leaf guidance of the ultrapeer at address (peer): the
	 * owner makes us a leaf (gnut_links_set_ultrapeer) before its link
	 * comes up, as our ultrapeer. */
	void (*leaf_guided)(const gnut_handshake_peer *peer, const char *address, gpointer data);
} gnut_links_handlers;

gnut_links *gnut_links_new(const gnut_links_config *config, const gnut_links_handlers *handlers,
                           gpointer data);
/* Drops every link and handshake at once (no Bye: see gnut_links_bye_all). */
void gnut_links_free(gnut_links *l);

/* Our address as peers see it: set from the listening address (ipv4 0 for
 * the wildcard), then learned from the first handshake that tells it. */
void gnut_links_set_self(gnut_links *l, uint32_t ipv4, guint16 port);
uint32_t gnut_links_self_ipv4(const gnut_links *l);
guint16 gnut_links_self_port(const gnut_links *l);

/* A host to keep a link to ("HOST:PORT"); asking again for a known one
 * retries it now. */
void gnut_links_add_peer(gnut_links *l, const char *host_port);
/* Dials a host of the host cache once: it is forgotten when the dial or its
 * link ends (see cache_dial_result). With tls (the cache says it speaks
 * TLS) and TLS on, in TLS from the first byte, falling back to plain text
 * once (see cache_tls_failed). */
void gnut_links_dial_cached(gnut_links *l, const char *host_port, gboolean tls);
gboolean gnut_links_has_peer(const gnut_links *l, const char *host_port);
/* Stops keeping a link to host_port (no more dials); its link, if up, is
 * the caller's to close. FALSE when it was not a peer. */
gboolean gnut_links_forget_peer(gnut_links *l, const char *host_port);
/* Hosts being dialed; cache_only: only those given by dial_cached. */
guint gnut_links_dialing(const gnut_links *l, gboolean cache_only);

/* An incoming connection whose first line was "GNUTELLA CONNECT/..."
 * (taken over; closed at once beyond the handshake caps). */
void gnut_links_accept(gnut_links *l, gnut_conn *conn);
/* Incoming handshakes under way, and those refused by the caps so far. */
guint gnut_links_incoming_handshakes(const gnut_links *l);
guint64 gnut_links_refused_handshakes(const gnut_links *l);
/* Peers refused (503) because the cap of their role was full. */
guint64 gnut_links_refused_full(const gnut_links *l);

guint gnut_links_count(const gnut_links *l);
/* Links up to ultrapeers, or (leaves) to leaves. */
guint gnut_links_count_role(const gnut_links *l, gboolean leaves);
gnut_node *gnut_links_lookup(const gnut_links *l, guint64 link);
/* The ids of every link, valid until a link comes or goes. */
const guint64 *gnut_links_ids(const gnut_links *l, guint *n);
/* The links' nodes, in no particular order (a new array of borrowed nodes). */
GPtrArray *gnut_links_nodes(const gnut_links *l);

/* Our role now. */
gboolean gnut_links_is_ultrapeer(const gnut_links *l);
/* Changes our role: every link is told Bye (203, why: it was made for
 * the other role) and every handshake under way is dropped; dials go on,
 * as the new role, under its caps. */
void gnut_links_set_ultrapeer(gnut_links *l, gboolean ultrapeer, const char *why);
/* The link facts of the role policy: ultrapeer and leaf links, the leaf
 * cap, and the ultrapeer links whose handshake said X-Ultrapeer-Needed
 * True or False. Other fields are left alone. */
void gnut_links_role_facts(const gnut_links *l, gnut_role_facts *f);

/* Keep-alives, handshake deadlines, and dials that are due. */
void gnut_links_tick(gnut_links *l, gint64 now_us);
/* Says Bye on every link; each closes once its Bye is flushed. */
void gnut_links_bye_all(gnut_links *l);
/* Stops dialing: dials under way are cancelled. */
void gnut_links_stop(gnut_links *l);

#endif
