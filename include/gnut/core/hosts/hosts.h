/* hosts.h: the hosts room as one object: the hosts the servent learns on its
 * own (from pongs, from X-Try-Ultrapeers and Listen-IP in handshakes, from
 * UDP host caches and GWebCaches), kept in a host cache saved in the data
 * dir, and the choice of which of them to dial while the servent has fewer
 * links than it wants. The caches are asked only when the host cache has no
 * host left to dial while links are wanted (at once when it is empty,
 * after GNUT_HOSTS_BOOTSTRAP_GRACE_S otherwise): a restart dials the saved
 * hosts first. The servent makes
 * none under --no-bootstrap: then only --peer hosts and those given by `gnut
 * connect` are dialed, and nothing is learned. */
#ifndef GNUT_HOSTS_H
#define GNUT_HOSTS_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/core/hosts/hostcache.h"
#include "gnut/core/hosts/uhc-client.h"
#include "gnut/proto/address.h"
#include "gnut/proto/msg-header.h"

#define GNUT_HOSTS_FILE             "hosts.cache"
#define GNUT_HOSTS_STATE_FILE       "bootstrap.state" /* the caches' back-off, learned caches */
#define GNUT_HOSTS_WANT_LINKS_UP    8 /* links an ultrapeer keeps to other ultrapeers */
#define GNUT_HOSTS_WANT_LINKS_LEAF  3 /* ultrapeers a leaf keeps */
#define GNUT_HOSTS_MAX_CACHE_DIALS  2 /* cache dials under way at once */
#define GNUT_HOSTS_SAVE_INTERVAL_US (300 * G_USEC_PER_SEC)
/* With hosts cached but none to dial now, the caches are asked only after
 * this many seconds (an empty cache asks at once). */
#define GNUT_HOSTS_BOOTSTRAP_GRACE_S 60

typedef struct gnut_hosts gnut_hosts;

typedef struct {
	gnut_clock *clock; /* not owned */
	const char *data_dir;
	gboolean ultrapeer;     /* how many links we want */
	gboolean allow_private; /* keep loopback and private addresses: the servent is on a
	                           private network, or --allow-private-peers
	                           (gnut_dial_allows_local) */
	/* The bootstrap services: when either list is non-empty (the user's
	 * --uhc / --gwc) both replace the built-in lists (gnut/core/hosts/seeds.h). */
	const char *const *uhc;    /* HOST:PORT */
	const char *const *gwc;    /* URLs */
	const char *version;       /* ours, told to GWebCaches */
	gnut_udp_send_fn udp_send; /* how UDP host cache pings go out; NULL: no UHC */
	gpointer udp_send_data;
} gnut_hosts_config;

/* Is host_port ("a.b.c.d:port") one we are linked or dialing to already, or
 * ourselves? Such a host is not picked. */
typedef gboolean (*gnut_hosts_known_fn)(const char *host_port, gpointer data);

/* Loads the saved cache; NULL (error set) when it cannot be used. */
gnut_hosts *gnut_hosts_new(const gnut_hosts_config *config, GError **error);
/* Saves the cache and frees it. */
void gnut_hosts_free(gnut_hosts *h);

/* The pong's host, marked as speaking TLS when the pong carries GGEP TLS. */
void gnut_hosts_learn_pong(gnut_hosts *h, const gnut_msg_header *mh, const guint8 *payload);
/* What a handshake told: X-Try-Ultrapeers entries, and the peer's own
 * listening address (listen_ip NULL or port 0: none), marked as speaking TLS
 * when tls (its X-Features listed tls). */
void gnut_hosts_learn_handshake(gnut_hosts *h, const char *const *try_ultrapeers,
                                const char *listen_ip, guint16 listen_port, gboolean ultrapeer,
                                gboolean tls);
/* A query hit from ip:port (host order) carried GGEP TLS: a cached host so
 * named is marked as speaking TLS (hits add no host: a hit's servent may be
 * a leaf that takes no links). */
void gnut_hosts_learn_hit_tls(gnut_hosts *h, guint32 ip, guint16 port);
/* A dial in TLS from the first byte to a cached host failed in TLS: it is
 * no longer marked as speaking TLS. */
void gnut_hosts_tls_failed(gnut_hosts *h, const char *host_port);
/* Hosts peers named (pongs, X-Try-Ultrapeers, Listen-IP) that the cache
 * refused: malformed, or an address we must not dial (gnut/proto/dial-rule.h). */
guint64 gnut_hosts_refused(const gnut_hosts *h);
/* How a dial to a cached host ended; ok: the link is up. */
void gnut_hosts_dial_result(gnut_hosts *h, const char *host_port, gboolean ok);

/* The next cached host to dial, while links + dialing is short of what we
 * want and fewer than GNUT_HOSTS_MAX_CACHE_DIALS cache dials are under way;
 * *tls: the cache says it speaks TLS. FALSE: none now. */
gboolean gnut_hosts_next_dial(gnut_hosts *h, guint links, guint dialing, guint cache_dialing,
                              gnut_hosts_known_fn known, gpointer data,
                              char out[GNUT_ADDR_IPV4_PORT_LEN], gboolean *tls);
/* The links next_dial keeps us at (our role's, when it changes); 0: by
 * config.ultrapeer (GNUT_HOSTS_WANT_LINKS_UP or _LEAF). */
void gnut_hosts_set_want_links(gnut_hosts *h, guint want);
/* Saves the cache every GNUT_HOSTS_SAVE_INTERVAL_US when it changed, and
 * runs the cache clients: they ask for hosts while the last
 * gnut_hosts_next_dial found none to dial though links were wanted; the
 * GWebCaches are told self_ip:self_port when announce (we are an ultrapeer
 * peers can reach). */
void gnut_hosts_tick(gnut_hosts *h, gint64 now_us, gboolean announce, guint32 self_ip,
                     guint16 self_port);
/* A pong that arrived over UDP: TRUE when it answered one of our UDP host
 * cache queries (and its hosts were taken). */
gboolean gnut_hosts_udp_pong(gnut_hosts *h, const gnut_msg_header *mh, const guint8 *payload,
                             GInetSocketAddress *from);
/* Every cached host (gnut_hostcache_list) and the fresh ultrapeers a UDP
 * host cache answer lists (gnut_hostcache_fresh_ultrapeers). */
GArray *gnut_hosts_list(const gnut_hosts *h);
guint gnut_hosts_fresh_ultrapeers(const gnut_hosts *h, gnut_ipv4_port *out, guint max);
/* Whether the cache clients are wanted now (for tests and stats). */
gboolean gnut_hosts_wants_bootstrap(const gnut_hosts *h);

#define GNUT_HOSTS_FRESH_S 3600 /* an ultrapeer seen this recently is "fresh" */

#endif
