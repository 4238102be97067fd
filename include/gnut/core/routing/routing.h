/* routing.h: the routing room as one object. It takes every message the
 * links deliver, has the router decide, and carries the decision out:
 * copies to other links, pongs and query hits of our own (from the share),
 * query routing tables, dynamic queries of our leaves' queries and our own.
 * What is for the servent's other rooms (hits for our searches, pongs to
 * learn hosts from, pushes for our uploads) goes to the owner's handlers.
 *
 * It also keeps links in check (flow.h has the rules and their figures):
 * every query first takes from its link's budget, and one over it is
 * dropped before any routing work (a link that keeps flooding is told Bye
 * 429 "Flooding"); a peer's Hops Flow is honoured and ours sent when a link
 * is in trouble; a leaf's query the dynamic querying caps refuse is dropped,
 * never flooded; a link brings each of our searches a share of its results
 * at most; a RESET over the table size caps is refused with a Bye 413
 * (GNUT_ROUTING_QRP_*); route tables are capped per link (router.h). */
#ifndef GNUT_ROUTING_H
#define GNUT_ROUTING_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/base/log-limit.h"
#include "gnut/core/links/links.h"
#include "gnut/core/routing/oob-serve.h"
#include "gnut/core/share/partials.h"
#include "gnut/core/share/share.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"

/* Our queries as a leaf (what today's network uses), and as an ultrapeer
 * when dynamic querying cannot take them (no ultrapeer link, its caps). */
#define GNUT_ROUTING_QUERY_TTL 4
#define GNUT_ROUTING_PUSH_TTL  7 /* a push travels the hit's path back: 7 covers any */

/* The query routing tables peers may make us hold, in slots (a bit each,
 * two while a patch streams in, and a bit in the slot index for 64K-slot
 * tables). Per link: gtk-gnutella's largest table (2^21), so that no
 * deployed servent is refused; all links together: 2^25, the default 300
 * leaves (and 212 more) with the usual 64K tables or 16 with the largest,
 * 4 MiB of bitmaps (8 MiB while every table is patched at once). */
#define GNUT_ROUTING_QRP_LINK_SLOTS  (1u << 21)
#define GNUT_ROUTING_QRP_TOTAL_SLOTS (G_GUINT64_CONSTANT(1) << 25)
#define GNUT_ROUTING_QRP_MAX_TOTAL   (G_GUINT64_CONSTANT(1) << 32) /* the highest total accepted */

typedef struct gnut_routing gnut_routing;

typedef struct {
	gnut_clock *clock; /* not owned */
	gnut_guid guid;    /* our servent GUID, in our hits */
	gboolean ultrapeer;
	gboolean firewalled;     /* the push flag in our hits (see gnut_routing_set_firewalled) */
	gboolean no_compression; /* our QRP patches go out raw, not zlib-compressed */
	gboolean allow_local;    /* OOB queriers may have local addresses (dial-rule.h) */
	gboolean tls;            /* GGEP TLS in our hits and pongs: we accept TLS */
	gnut_links *links;       /* not owned: the links messages come from and go to */
	gnut_share *share;       /* not owned: what our pongs and hits tell */
	gnut_partials *partials; /* not owned: partial files our hits (and our QRP table)
	                            tell too; NULL: none */
	gnut_log_limit *bad_log; /* not owned: where bad input from peers is logged */
	/* 0 for the defaults; higher than the bounds are lowered to them */
	guint leaf_query_rate; /* a second from a leaf: GNUT_FLOW_LEAF_RATE, GNUT_FLOW_MAX_RATE */
	guint ultrapeer_query_rate; /* from others: GNUT_FLOW_ULTRAPEER_RATE, GNUT_FLOW_MAX_RATE */
	guint64 qrp_total_slots; /* all links' tables: GNUT_ROUTING_QRP_TOTAL_SLOTS, _MAX_TOTAL */
	/* No query routing: no QRP filter (leaves and last hops get every
	 * query) and no dynamic querying (every query floods at its TTL). The
	 * network benchmark's baseline; tables are still exchanged. */
	gboolean flood_queries;
} gnut_routing_config;

/* Messages for the other rooms. kept_hits: how many hits our search with
 * this GUID kept (GNUT_BEAR_QSTAT_STOP: none such, or it stopped): what a
 * leaf tells its ultrapeers, and what ends an ultrapeer's own dynamic
 * query. */
typedef struct {
	void (*hit)(const gnut_msg_header *h, const guint8 *payload, gpointer data);
	void (*pong)(const gnut_msg_header *h, const guint8 *payload, gpointer data);
	void (*push)(const gnut_msg_header *h, const guint8 *payload, gpointer data);
	guint16 (*kept_hits)(const gnut_guid *guid, gpointer data);
	/* sends a message over UDP (out-of-band hits, oob-serve.h); NULL:
	 * every query is answered over TCP */
	gnut_oob_send_fn oob_send;
} gnut_routing_handlers;

gnut_routing *gnut_routing_new(const gnut_routing_config *config,
                               const gnut_routing_handlers *handlers, gpointer data);
void gnut_routing_free(gnut_routing *r);

/* What the links report (see gnut_links_handlers). */
void gnut_routing_message(gnut_routing *r, gnut_node *from, const gnut_msg_header *h,
                          const guint8 *payload);
void gnut_routing_link_up(gnut_routing *r, gnut_node *node);
void gnut_routing_link_closed(gnut_routing *r, gnut_node *node);
void gnut_routing_ping_sent(gnut_routing *r, const gnut_guid *guid);

/* Our share changed: a leaf sends its ultrapeers its new table, an
 * ultrapeer its ultrapeers its new aggregate (at the next update). */
void gnut_routing_share_changed(gnut_routing *r);
/* Sends a message of our own (a query) to every link the router picks, at
 * GNUT_ROUTING_QUERY_TTL; returns how many links got it. As an ultrapeer, a
 * query goes to our leaves by QRP at once and to the other ultrapeers by
 * dynamic querying (dquery.h: a probe now, more links later until our
 * search kept GNUT_DQUERY_OWN_RESULTS hits); as a leaf, to our ultrapeers,
 * which query for us, guided by what our search kept. */
guint gnut_routing_originate(gnut_routing *r, const gnut_guid *guid, guint8 type,
                             const guint8 *payload, gsize len);
/* Asks the firewalled servent to connect to us at ipv4:port for a file, by
 * a PUSH along the link its hit came from. FALSE (logged) when there is no
 * route to it or our address is unknown. */
gboolean gnut_routing_push(gnut_routing *r, const gnut_guid *servent, guint32 index, uint32_t ipv4,
                           guint16 port);

/* A downloader at requester (IPv4, host order; 0 over IPv6) asked us, over
 * HTTP, to push the leaf servent to connect to ipv4:port (its X-Node, which
 * must be its own address). Returns the HTTP status to answer: 202 when a
 * Push (index 0, TTL 1) went to that leaf, 410 when we proxy no such leaf,
 * 400 for a refused X-Node, 429 over the caps (push-proxying.h). As a leaf,
 * we ask our ultrapeers for proxying when the link comes up (LIME/21), and
 * while firewalled our hits name the proxies they acknowledged (LIME/22). */
unsigned gnut_routing_push_proxy_request(gnut_routing *r, const gnut_guid *servent,
                                         uint32_t requester, uint32_t ipv4, guint16 port);

/* What flow control and the memory caps did. */
typedef struct {
	guint64 dropped;              /* every message dropped: no route, duplicates, full
	                                 queues, flow control */
	guint64 queries_over_budget;  /* queries over their link's budget (flow.h) */
	guint64 links_flooding;       /* links told Bye for flooding */
	guint64 leaf_queries_refused; /* leaf queries over the dynamic querying caps */
	guint64 hops_flows_sent;      /* Hops Flow messages we sent */
	guint64 hits_over_share;      /* hits for our searches over their link's share */
	guint64 qrp_tables_refused;   /* RESETs over the table size caps */
	guint64 qrp_slots_held;       /* slots of every link's table, now */
	guint64 push_proxy_requests;  /* HTTP push-proxy requests for our leaves */
	guint64 push_proxy_pushes;    /* of them, relayed as a Push to the leaf */
	guint64 push_proxy_leaves;    /* leaves we are push proxy for, now */
	guint64 push_proxies;         /* as a leaf: ultrapeers that are our push proxies */

	/* Queries delivered to us (not duplicates); links a query was kept
	 * from because it missed their QRP table: leaves, and ultrapeers on
	 * the query's last hop (their aggregate table). */
	guint64 queries_received;
	guint64 qrp_skipped_leaves;
	guint64 qrp_skipped_ultrapeers;
	/* Queries our share had results for, and those results (over TCP or
	 * offered out of band). */
	guint64 queries_answered;
	guint64 results_sent;
	/* Query and query hit messages we sent on links: relayed, our own,
	 * dynamic querying's steps (out-of-band hits are the OOB stats'). */
	guint64 queries_sent;
	guint64 hits_sent;
	guint64 query_status_sent; /* BEAR/11 requests and replies */
} gnut_routing_stats;
void gnut_routing_get_stats(const gnut_routing *r, gnut_routing_stats *out);
void gnut_routing_tick(gnut_routing *r, gint64 now_us);

/* A vendor message that arrived over UDP from ipv4:port: a LIME/11 claiming
 * hits we hold is served (oob-serve.h). FALSE when it was no LIME/11. */
gboolean gnut_routing_udp_vendor(gnut_routing *r, const gnut_msg_header *h, const guint8 *payload,
                                 uint32_t ipv4, guint16 port);
/* What firewall detection learned: tcp sets the push flag of our hits, udp
 * says in our LIME/12 whether we can receive unsolicited datagrams. */
void gnut_routing_set_firewalled(gnut_routing *r, gboolean tcp, gboolean udp);
/* Our role changed (gnut_links_set_ultrapeer drops the links of the old
 * one): what we relay, the tables we send and keep, dynamic querying and
 * push proxying follow the new one. */
void gnut_routing_set_ultrapeer(gnut_routing *r, gboolean ultrapeer);
const gnut_oob_serve_stats *gnut_routing_oob_stats(const gnut_routing *r);

#endif
