/* servent.h: a whole Gnutella servent as one object: its listening port, its
 * links, its shares, searches, uploads and downloads. The daemon is a thin
 * shell around it and the control API calls only what is declared here. Many
 * servents may share one process and one GMainContext (tests do). */
#ifndef GNUT_SERVENT_H
#define GNUT_SERVENT_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/base/error.h"
#include "gnut/core/links/role.h"
#include "gnut/core/routing/routing.h"
#include "gnut/core/transfer/upload.h"

/* Errors: GNUT_ERROR (gnut/base/error.h). */

/* Everything gnutd's options and gnutd.conf set. Strings are owned by the
 * caller; the servent copies what it keeps. */
typedef struct {
	const char *data_dir;      /* state: host cache, hash cache, incomplete/ */
	const char *download_dir;  /* finished downloads (default data_dir/downloads) */
	const char *listen;        /* "ADDR:PORT"; port 0 picks a free one */
	const char *const *shares; /* NULL-terminated folder list */
	const char *const *peers;  /* NULL-terminated "HOST:PORT" list to dial */
	/* bootstrap services (gnut/core/hosts/seeds.h); either list non-empty
	 * replaces both built-in lists */
	const char *const *uhc;  /* UDP host caches, "HOST:PORT" */
	const char *const *gwc;  /* GWebCache URLs */
	gboolean ultrapeer;      /* TRUE: ultrapeer, FALSE: leaf (both forced; see auto_role) */
	gboolean no_bootstrap;   /* dial only the peers above */
	gboolean no_tls;         /* never offer nor accept TLS (gnut/net/tls.h) */
	gboolean no_compression; /* links and QRP tables uncompressed, for packet captures */
	gboolean firewalled;     /* peers cannot connect to us: the push flag in our
	                            hits, and we connect out to those who push */
	guint64 upload_limit;    /* bytes per second, 0 = unlimited */
	guint64 download_limit;
	guint upload_slots;   /* 0 = default (4) */
	guint max_ultrapeers; /* links to ultrapeers; 0 = default (32) */
	guint max_leaves;     /* as an ultrapeer, links to leaves; 0 = default (300) */
	/* sources fetching one file at once; 0 = default (4) */
	guint download_sources;
	/* longest back-off of a failing download source; 0 = default (600 s) */
	guint download_retry_max_s;
	/* offer nothing of the files still downloading (partial file sharing,
	 * gnut/core/share/partials.h, is on by default) */
	gboolean no_share_partial;
	/* bodies under way to one address at once; 0 = default (1) */
	guint upload_slots_per_ip;
	/* HTTP connections one address may hold open; 0 = default (4) */
	guint upload_connections_per_ip;
	/* the upload queue behind the slots (gnut/core/transfer/upload-queue.h):
	 * entries in all and per address, 0 = defaults (64, 4); no_upload_queue:
	 * none */
	guint upload_queue;
	guint upload_queue_per_ip;
	gboolean no_upload_queue;
	/* Dial loopback and private addresses that peers name (pushes, hits,
	 * pongs) even when not listening on such an address ourselves: for a
	 * servent on 0.0.0.0 within a private network (gnut/proto/dial-rule.h). */
	gboolean allow_private_peers;
	/* connection admission (gnutd(8), LIMITS); 0 = default everywhere, and
	 * GNUT_IP_ADMIT_UNLIMITED (gnut/base/ip-admit.h) lifts a per-address cap
	 * or the throttle */
	guint max_pending;          /* connections before their first line; default:
	                               sized from RLIMIT_NOFILE (gnut/base/fd-budget.h) */
	guint max_handshakes;       /* incoming handshakes under way; default: idem */
	guint per_ip_pending;       /* of the first, from one address (default 4) */
	guint per_ip_handshakes;    /* of the second, from one address (default 4) */
	guint reconnect_burst;      /* connections from one address at once (default 5) */
	guint reconnect_interval_s; /* then one per interval (default 12) */
	/* Caps on what peers can make us do or hold (gnutd(8), LIMITS); 0 = default. */
	guint max_links_per_ip;     /* incoming links from one IP (2) */
	guint leaf_query_rate;      /* queries a second a leaf may send us (1) */
	guint ultrapeer_query_rate; /* queries a second another link may send us (50) */
	guint64 qrp_total_slots;    /* slots of all links' query routing tables (2^24) */
	/* Start as a leaf and become an ultrapeer (and back) by the rules of
	 * gnut/core/links/role.h; ultrapeer is then ignored. */
	gboolean auto_role;
	gnut_role_config role; /* its thresholds, and the ultrapeers a leaf keeps; 0: defaults */
	/* Queries flood at their TTL: no QRP routing, no dynamic querying (the
	 * network benchmark's baseline, tests/bench/bench-network.c). */
	gboolean flood_queries;
} gnut_servent_config;

typedef struct gnut_servent gnut_servent;

/* The counters behind /metrics, beyond those of status: sums over the links
 * up now, and the rooms' own counters (totals since start). */
typedef struct {
	guint64 link_msgs_in; /* messages received on the links up now */
	guint64 link_msgs_out;
	guint64 link_msgs_dropped;
	guint64 link_bytes_in;
	guint64 link_bytes_out;
	guint64 handshakes_refused; /* closed at once by the admission caps */
	guint64 links_refused_full; /* 503: the cap of their role was full */
	guint64 hits_received;      /* hits for our searches */
	/* Since start, links gone included (the link_ ones count only the
	 * links up now): messages received and sent; downloads complete. */
	guint64 msgs_in;
	guint64 msgs_out;
	guint64 downloads_completed;
	gnut_routing_stats routing;
	gnut_uploads_stats uploads;
} gnut_servent_counters;

/* What status reports (field names follow the JSON contract). */
typedef struct {
	const char *version;
	const char *mode; /* "ultrapeer" or "leaf" */
	guint peers;
	guint shared_files;
	guint64 bytes_up;
	guint64 bytes_down;
	gint64 uptime;             /* seconds */
	gboolean tcp_firewalled;   /* no incoming connection seen yet (or --firewalled) */
	gboolean udp_firewalled;   /* no unsolicited datagram seen yet */
	guint64 oob_claims_sent;   /* LIME/11 claims we sent for our searches */
	guint64 oob_hits_received; /* hit messages taken over UDP */
	guint64 oob_hits_dropped;  /* UDP hits dropped: unclaimed, bad token, over claim */
	guint64 oob_offers_sent;   /* LIME/12 we sent for queries we hold hits for */
	guint64 oob_hits_sent;     /* hit messages we sent over UDP */

	/* Queries that reached us (duplicates not counted); as an ultrapeer,
	 * leaves, and ultrapeers on a query's last hop, a query was kept from
	 * because it missed their QRP table; slots of the tables links sent. */
	guint64 queries_received;
	guint64 qrp_skipped_leaves;
	guint64 qrp_skipped_ultrapeers;
	guint64 qrp_slots_held;
	guint64 push_proxy_requests; /* HTTP push-proxy requests for our leaves */
	guint64 push_proxy_pushes;   /* of them, relayed to the leaf as a Push */
	guint64 push_proxies;        /* as a leaf: ultrapeers acting as our push proxies */
	guint64 push_proxy_used;     /* our pushes that went by a push proxy (202) */
	guint64 uploads_queued;      /* requests in the upload queue now */
	const char *role;            /* "auto" or "forced" */
	const char *role_reason;     /* why mode is what it is (the last change), until the next */
} gnut_status_info;

typedef struct {
	char *host;
	guint16 port; /* the peer's listening port when known, else the socket's */
	const char *mode;
	char *user_agent;
	gboolean tls; /* the link runs inside TLS */
} gnut_peer_info;

typedef struct {
	guint64 id;
	guint64 search_id;
	char *name;
	guint64 size;
	char *urn; /* "urn:sha1:..." or NULL */
	char *host;
	guint16 port;
} gnut_hit_info;

typedef struct {
	guint64 id;
	char *name;
	guint64 size;
	guint64 done;
	const char *state; /* "queued", "connecting", "downloading", "verifying",
	                      "complete", "failed", "cancelled", "waiting", "paused" */
	char *path;        /* final path once complete, else the partial file */
	char *error;       /* why it failed or is paused, or NULL */
	guint sources;     /* sources that count */
	guint active;      /* sources connected now */
	guint64 rate;      /* bytes per second lately */
	gint64 eta_s;      /* seconds left, -1 unknown */
} gnut_download_info;

typedef struct {
	char *path;
	guint64 size;
	char *urn;
} gnut_share_info;

/* One host of the host cache (field names follow the JSON contract). */
typedef struct {
	char *host; /* "a.b.c.d" */
	guint16 port;
	gboolean ultrapeer;
	gboolean tls;       /* it said it accepts TLS: dialed in TLS from the first byte */
	const char *source; /* "pong", "x-try-ultrapeers", "handshake", "user", "uhc", "gwc" */
	gint64 last_seen;   /* seconds ago */
	guint failures;     /* consecutive failed dials */
} gnut_host_info;

gnut_servent *gnut_servent_new(const gnut_servent_config *config, gnut_clock *clock,
                               GError **error);
/* Binds the listening port, starts the share scan and dials the peers. */
gboolean gnut_servent_start(gnut_servent *s, GError **error);
/* Says Bye on every link, waits (at most 2 s) until they are flushed, then
 * saves the downloads and stops dialing and scanning. The callback runs
 * from the main loop once that is done. */
void gnut_servent_stop_async(gnut_servent *s, GAsyncReadyCallback callback, gpointer user_data);
gboolean gnut_servent_stop_finish(gnut_servent *s, GAsyncResult *result, GError **error);
/* Frees at once: links still up are dropped without a Bye. */
void gnut_servent_free(gnut_servent *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_servent, gnut_servent_free)

/* The bound listening address, valid after start. */
guint16 gnut_servent_port(const gnut_servent *s);

/* Called when a remote asks the servent to stop (the control API's "stop"). */
void gnut_servent_set_stop_handler(gnut_servent *s, GCallback handler, gpointer data);
void gnut_servent_request_stop(gnut_servent *s);

void gnut_servent_status(gnut_servent *s, gnut_status_info *out);
void gnut_servent_counters_get(gnut_servent *s, gnut_servent_counters *out);

/* What the control API's stats reports for a stretch of time: this
 * session, or every run the owner kept count of (gnutd: stats-store.h). */
typedef struct {
	guint64 bytes_up; /* file bytes */
	guint64 bytes_down;
	guint64 uploads_completed; /* bodies sent to their last byte */
	guint64 downloads_completed;
	guint64 queries_sent;     /* query messages sent on links, relayed ones too */
	guint64 queries_answered; /* queries our share had results for */
	guint64 hits_received;    /* hits for our searches */
	guint64 messages_received;
	guint64 messages_sent;
	guint64 messages_dropped; /* by the router: no route, duplicates, full queues */
	guint64 uptime;           /* seconds */
} gnut_servent_totals;

/* This session's totals, from the counters above. */
void gnut_servent_totals_session(gnut_servent *s, gnut_servent_totals *out);
/* The totals of earlier runs, which the owner keeps (on disk); zero until
 * set. gnut_servent_totals_all adds this session's to them. */
void gnut_servent_set_totals_before(gnut_servent *s, const gnut_servent_totals *before);
void gnut_servent_totals_all(gnut_servent *s, gnut_servent_totals *out);
/* Arrays of gnut_peer_info / gnut_hit_info / ... with their free functions set. */
GPtrArray *gnut_servent_peers(gnut_servent *s);
gboolean gnut_servent_connect(gnut_servent *s, const char *host_port, GError **error);
/* Says Bye to the links to host_port and stops dialing it;
 * GNUT_ERROR_NOT_FOUND when it is neither linked nor a peer. */
gboolean gnut_servent_disconnect(gnut_servent *s, const char *host_port, GError **error);

guint64 gnut_servent_search_start(gnut_servent *s, const char *query, GError **error);
/* Hits of a search with an id greater than after_hit_id, oldest first. */
GPtrArray *gnut_servent_search_hits(gnut_servent *s, guint64 search_id, guint64 after_hit_id,
                                    GError **error);
void gnut_servent_search_stop(gnut_servent *s, guint64 search_id);

/* target: a hit id, "urn:sha1:...", or a magnet URI; to_dir NULL = download_dir. */
guint64 gnut_servent_download_start(gnut_servent *s, const char *target, const char *to_dir,
                                    GError **error);
GPtrArray *gnut_servent_downloads(gnut_servent *s);
gboolean gnut_servent_download_cancel(gnut_servent *s, guint64 id, GError **error);
gboolean gnut_servent_download_pause(gnut_servent *s, guint64 id, GError **error);
gboolean gnut_servent_download_resume(gnut_servent *s, guint64 id, GError **error);
gboolean gnut_servent_download_retry(gnut_servent *s, guint64 id, GError **error);
/* The download's sources: gnut_download_source_status items
 * (gnut/core/transfer/download.h), or NULL with error. */
GPtrArray *gnut_servent_download_sources(gnut_servent *s, guint64 id, GError **error);

GPtrArray *gnut_servent_shares(gnut_servent *s);
/* The host cache, most recently seen first; empty under --no-bootstrap. */
GPtrArray *gnut_servent_hosts(gnut_servent *s);
/* A magnet URI (g_free it) for a hit, a download, or the shared file at an
 * absolute path; NULL with GNUT_ERROR_NOT_FOUND when there is no such
 * thing, GNUT_ERROR_INVALID when it has no SHA-1. The file's names this
 * servent as its exact source unless it runs firewalled or does not know
 * its address yet (a wildcard listen before any peer told it). */
char *gnut_servent_magnet_hit(gnut_servent *s, guint64 hit_id, GError **error);
char *gnut_servent_magnet_download(gnut_servent *s, guint64 id, GError **error);
char *gnut_servent_magnet_file(gnut_servent *s, const char *path, GError **error);
gboolean gnut_servent_share_add(gnut_servent *s, const char *dir, GError **error);
void gnut_servent_rescan(gnut_servent *s);
/* Stops sharing a folder (gnut_share_remove_dir) and rescans. */
gboolean gnut_servent_share_remove(gnut_servent *s, const char *dir, GError **error);
/* Changes the rate limits at once (bytes per second, 0 = unlimited). */
void gnut_servent_set_limits(gnut_servent *s, guint64 upload_limit, guint64 download_limit);
void gnut_servent_limits(const gnut_servent *s, guint64 *upload_limit, guint64 *download_limit);
/* Turns partial file sharing on or off at once (no_share_partial). */
void gnut_servent_set_share_partial(gnut_servent *s, gboolean on);

void gnut_peer_info_free(gpointer p);
void gnut_hit_info_free(gpointer p);
void gnut_download_info_free(gpointer p);
void gnut_share_info_free(gpointer p);
void gnut_host_info_free(gpointer p);

#endif
