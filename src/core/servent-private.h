/* servent-private.h: the servent object's state, shared by the files that
 * implement it (servent.c: lifecycle and the control API; servent-links.c:
 * dialing, handshakes, links and message routing; servent-hosts.c: the host
 * cache; servent-qrp.c: query routing tables; servent-dquery.c: dynamic
 * querying of our leaves' queries; servent-push.c: firewalled transfers;
 * servent-transfers.c:
 * searches, hits, uploads and downloads). Not an interface: only
 * src/core/servent*.c include it. */
#ifndef GNUT_SERVENT_PRIVATE_H
#define GNUT_SERVENT_PRIVATE_H

#include "gnut/core/transfer/download.h"
#include "gnut/core/routing/dquery.h"
#include "gnut/core/links/handshake.h"
#include "gnut/core/hosts/hostcache.h"
#include "gnut/net/listener.h"
#include "gnut/core/links/node.h"
#include "gnut/proto/qrp-table.h"
#include "gnut/core/routing/responder.h"
#include "gnut/core/routing/router.h"
#include "gnut/core/search/search.h"
#include "gnut/core/servent.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/upload.h"

#define GNUT_SERVENT_DEFAULT_PORT      6346
#define GNUT_SERVENT_DEFAULT_MAX_LINKS 32
#define GNUT_SERVENT_QUERY_TTL         4 /* what today's network uses */
#define GNUT_SERVENT_DIAL_TIMEOUT_S    10
#define GNUT_SERVENT_BACKOFF_MIN_S     2
#define GNUT_SERVENT_BACKOFF_MAX_S     300
#define GNUT_SERVENT_NOT_NOW_S         60 /* after a 409/429/503 */

/* A host we keep a link to: a --peer, or one asked for by `gnut connect`. */
typedef struct {
	char *host_port;
	guint64 link;        /* the link to it while up, else 0 */
	gboolean dialing;    /* a connect or handshake is under way */
	gboolean from_cache; /* picked from the host cache: forgotten when it fails */
	guint failures;      /* in a row; drives the back-off */
	gint64 next_try_us;
} servent_peer;

/* Given as user data to an async call that may finish after the servent is
 * freed: the servent forgets it then, and the callback sees NULL. */
typedef struct {
	gnut_servent *servent;
	gpointer data;
} servent_ticket;

/* A handshake under way, and the peer it is for (NULL: incoming). */
typedef struct {
	gnut_servent *servent;
	gnut_handshake *hs;
	servent_peer *peer;
} servent_pending;

struct gnut_servent {
	/* configuration */
	char *data_dir;
	char *download_dir;
	char *listen_host;
	guint16 listen_port;
	gboolean ultrapeer;
	gboolean no_bootstrap;
	gboolean firewalled;
	guint64 upload_limit;
	guint64 download_limit;
	guint upload_slots;
	guint max_links;

	gnut_clock *clock;
	gint64 started_us;
	gnut_guid guid;
	uint32_t public_ipv4; /* what we write into pongs and hits */
	GCancellable *cancel; /* cancelled at stop: pending connects */
	GPtrArray *tickets;   /* servent_ticket* not yet redeemed */
	GSource *tick;
	GCallback stop_handler;
	gpointer stop_data;
	gboolean stopped;

	/* links */
	gnut_listener *listener;
	gnut_router *router;
	gnut_route_decision decision;
	GHashTable *nodes; /* guint64* link id -> gnut_node* */
	GArray *link_ids;  /* the keys of nodes, for the router */
	guint64 next_link_id;
	GPtrArray *pending; /* servent_pending* */
	GPtrArray *peers;   /* servent_peer* */
	guint64 msgs_dropped;
	gboolean bad_logged; /* servent_log_bad_input's rate limit */
	gint64 bad_log_us;
	guint bad_held_back;
	gnut_hostcache *hostcache; /* NULL under --no-bootstrap */
	gint64 hosts_saved_us;
	gnut_dquery_table *dquery; /* dynamic queries of our leaves' queries */
	GArray *dq_steps;
	GHashTable *dq_queries;    /* gnut_guid* -> what their steps send */
	GHashTable *qrp_links;     /* guint64* link id -> query routing state */
	gnut_qrp_table *qrp_local; /* our table, as a leaf (built on demand) */
	GPtrArray *qrp_words;      /* keywords of the query last checked ... */
	gnut_guid qrp_words_guid;  /* ... which had this GUID */
	gboolean qrp_words_valid;

	/* content */
	gnut_share *share;
	gboolean scanning;
	gboolean rescan_again;
	gnut_searches *searches;
	gnut_uploads *uploads;
	gnut_downloads *downloads;
	GHashTable *urn_searches; /* "urn:sha1:..." -> id of the search for its sources */
	GPtrArray *giv_readers;   /* connections that must say GIV (servent-push.c) */
	guint push_dials;         /* connects for peers' pushes under way */
};

/* servent.c */
#define SERVENT_IPV4_LEN 16 /* "255.255.255.255" + NUL */
/* An IPv4 literal as a host-order value (1.2.3.4 is 0x01020304); 0 for
 * anything else (IPv6, names, the wildcard). */
uint32_t servent_ipv4_parse(const char *ip);
void servent_ipv4_format(uint32_t ip, char out[SERVENT_IPV4_LEN]);
servent_ticket *servent_ticket_new(gnut_servent *s, gpointer data);
/* The servent (NULL when freed meanwhile) and the data; frees the ticket. */
gnut_servent *servent_ticket_redeem(servent_ticket *t, gpointer *data);

/* servent-links.c */
void servent_links_init(gnut_servent *s);
void servent_links_free(gnut_servent *s);
gboolean servent_listen(gnut_servent *s, GError **error);
void servent_add_peer(gnut_servent *s, const char *host_port);
void servent_links_tick(gnut_servent *s, gint64 now_us);
void servent_links_bye_all(gnut_servent *s);
guint servent_link_count(gnut_servent *s);
/* Sends a message of our own (a query) to every link the router picks. */
guint servent_originate(gnut_servent *s, const gnut_guid *guid, guint8 type, const guint8 *payload,
                        gsize len);
void servent_responder_self(gnut_servent *s, gnut_responder_self *self);

void servent_log_bad_input(gnut_servent *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
gboolean servent_has_peer(gnut_servent *s, const char *host_port);
guint servent_dialing_count(gnut_servent *s);
guint servent_cache_dialing_count(gnut_servent *s);
void servent_dial_cached(gnut_servent *s, const char *host_port);

/* servent-hosts.c */
gboolean servent_hosts_init(gnut_servent *s, GError **error);
void servent_hosts_free(gnut_servent *s);
void servent_hosts_learn_pong(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload);
void servent_hosts_learn_handshake(gnut_servent *s, const gnut_handshake_peer *peer);
void servent_hosts_dial_result(gnut_servent *s, const char *host_port, gboolean ok);
void servent_hosts_tick(gnut_servent *s, gint64 now_us);

/* servent-dquery.c */
void servent_dq_init(gnut_servent *s);
void servent_dq_free(gnut_servent *s);
gboolean servent_dq_leaf_query(gnut_servent *s, gnut_node *from, const gnut_msg_in *in,
                               gnut_route_decision *d);
void servent_dq_hit_routed(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload);
void servent_dq_tick(gnut_servent *s, gint64 now_us);
void servent_dq_link_closed(gnut_servent *s, guint64 link);
void servent_dq_vendor(gnut_servent *s, gnut_node *from, const gnut_msg_header *h,
                       const guint8 *payload);

/* servent-qrp.c */
void servent_qrp_init(gnut_servent *s);
void servent_qrp_free(gnut_servent *s);
void servent_qrp_link_up(gnut_servent *s, gnut_node *node);
void servent_qrp_link_closed(gnut_servent *s, guint64 id);
void servent_qrp_share_changed(gnut_servent *s);
void servent_qrp_received(gnut_servent *s, gnut_node *from, const gnut_msg_header *h,
                          const guint8 *payload);
gboolean servent_qrp_filter(gpointer data, guint64 link, const gnut_msg_in *query);
gboolean servent_qrp_table_hit(gnut_servent *s, guint64 link, const gnut_msg_in *query);

/* servent-push.c */
void servent_push_request(gnut_downloads *m, const gnut_guid *servent, guint32 index,
                          gpointer user_data);
void servent_take_giv(gnut_servent *s, gnut_conn *conn);
void servent_push_received(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload);
void servent_push_free(gnut_servent *s);

/* servent-transfers.c */
gboolean servent_transfers_init(gnut_servent *s, GError **error);
void servent_transfers_tick(gnut_servent *s, gint64 now_us);
void servent_transfers_stop(gnut_servent *s);
void servent_transfers_free(gnut_servent *s);
void servent_deliver_hit(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload);
/* Takes an HTTP connection (first line GET/HEAD/GIV); FALSE: not ours. */
gboolean servent_take_http(gnut_servent *s, gnut_conn *conn, const char *first_line);
void servent_hit_added(gnut_servent *s, const gnut_hit *h);
/* Body bytes uploaded and downloaded since start. */
void servent_transfer_bytes(gnut_servent *s, guint64 *up, guint64 *down);

#endif
