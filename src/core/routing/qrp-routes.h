/* qrp-routes.h: query routing tables between leaves and ultrapeers, private
 * to the routing room. As a leaf we send each ultrapeer a table of the
 * keywords of our shared files; as an ultrapeer we keep each leaf's table and
 * tell the router which links may get a query (gnut_qrp_routes_filter).
 * Ultrapeer QRP (doc/gnutella/ultrapeer_qrp): an ultrapeer sends each
 * ultrapeer that announced X-Ultrapeer-Query-Routing its aggregate table,
 * the OR of its own share's keywords and every leaf's complete table, in
 * our usual size (64K slots: the spec's recommendation for both kinds of
 * table; a leaf's table of another size is scaled into it), and keeps the
 * tables ultrapeers send it, which the router checks on a query's last hop.
 * The aggregate is rebuilt and its patches sent at most once every
 * GNUT_QRP_AGGREGATE_INTERVAL_US, when something in it changed.
 * What peers make us hold is capped: a table's slots per link and all
 * links' together (each slot costs a bit, two while a patch streams in). */
#ifndef GNUT_QRP_ROUTES_H
#define GNUT_QRP_ROUTES_H

#include "gnut/core/links/links.h"
#include "gnut/core/routing/router.h"
#include "gnut/core/share/partials.h"
#include "gnut/core/share/share.h"
#include "gnut/proto/qrp-table.h"

typedef struct gnut_qrp_routes gnut_qrp_routes;

/* The spec asks ultrapeers to look for changes to send "every minute" and
 * more often than leaves do (leaves send after each rescan): at most one
 * update every 30 s, leaves' tables coming and going in between batched. */
#define GNUT_QRP_AGGREGATE_INTERVAL_US (30 * G_USEC_PER_SEC)

/* What a link is to our tables. */
typedef enum {
	GNUT_QRP_LINK_OTHER = 0,     /* nothing: its table, if any, is only routed by */
	GNUT_QRP_LINK_LEAF,          /* our leaf (we are an ultrapeer): its table
	                                goes into our aggregate */
	GNUT_QRP_LINK_ULTRAPEER,     /* an ultrapeer: as a leaf, we send it our table */
	GNUT_QRP_LINK_ULTRAPEER_QRP, /* an ultrapeer speaking ultrapeer QRP: as an
	                                ultrapeer, we send it our aggregate */
} gnut_qrp_link_role;

/* Sends one QRP payload on link (as a message of type GNUT_QRP_MSG_TYPE,
 * TTL 1, hops 0). */
typedef void (*gnut_qrp_routes_send_fn)(gpointer data, guint64 link, GBytes *payload);

/* links and share are not owned and outlive the routes (NULL for either
 * when we are an ultrapeer that only receives tables: a test's). A link's
 * table may have at most max_link_slots slots, all links' together at most
 * max_total_slots. */
/* compress: our table's patches go out zlib-compressed (else raw). */
gnut_qrp_routes *gnut_qrp_routes_new(gnut_links *links, gnut_share *share, gboolean ultrapeer,
                                     gboolean compress, guint32 max_link_slots,
                                     guint64 max_total_slots);
void gnut_qrp_routes_free(gnut_qrp_routes *q);
/* Where our tables go: by default on the link's node (gnut_links_lookup);
 * a test hands them to another routes object. */
void gnut_qrp_routes_set_sender(gnut_qrp_routes *q, gnut_qrp_routes_send_fn send, gpointer data);

/* A link is up: its role from its handshake (gnut_qrp_routes_link_role). */
void gnut_qrp_routes_link_up(gnut_qrp_routes *q, gnut_node *node);
/* Sets link's role; a link that gets a table from us gets it now (what
 * changed since the last one it got). */
void gnut_qrp_routes_link_role(gnut_qrp_routes *q, guint64 link, gnut_qrp_link_role role);
void gnut_qrp_routes_link_closed(gnut_qrp_routes *q, guint64 link);
/* Our share changed: a leaf sends its ultrapeers what changed in its table;
 * an ultrapeer's aggregate has it in its next update. */
void gnut_qrp_routes_share_changed(gnut_qrp_routes *q);
/* The partial files we offer (not owned, outlives the routes; NULL: none)
 * go into our table too; tell gnut_qrp_routes_share_changed when they
 * change. */
void gnut_qrp_routes_set_partials(gnut_qrp_routes *q, gnut_partials *partials);
/* As an ultrapeer: when the aggregate changed and the last update is
 * GNUT_QRP_AGGREGATE_INTERVAL_US old, rebuilds it and sends each
 * ultrapeer QRP link the patch of the difference. */
void gnut_qrp_routes_tick(gnut_qrp_routes *q, gint64 now_us);
/* Our role changed; the links of the old one are going (their state goes
 * with gnut_qrp_routes_link_closed); the aggregate is built afresh. */
void gnut_qrp_routes_set_ultrapeer(gnut_qrp_routes *q, gboolean ultrapeer);
/* Rebuilds the aggregate now (the tick does it; a link that needs one
 * before the first tick too). */
void gnut_qrp_routes_aggregate_update(gnut_qrp_routes *q);
/* The aggregate as last built, NULL before. */
const gnut_qrp_table *gnut_qrp_routes_aggregate(const gnut_qrp_routes *q);
typedef enum {
	GNUT_QRP_ROUTES_PENDING = 0, /* taken; the link's table is not complete yet */
	GNUT_QRP_ROUTES_READY,       /* taken; the table is complete: route by it */
	GNUT_QRP_ROUTES_BAD,         /* a bad message: the link must go (400) */
	GNUT_QRP_ROUTES_TOO_LARGE,   /* a RESET over max_link_slots: refused (413) */
	GNUT_QRP_ROUTES_FULL,        /* a RESET over max_total_slots with the
	                                others' tables: refused (413) */
} gnut_qrp_routes_result;

/* A RESET or PATCH from link. A refused RESET leaves the link's table as it
 * was (the link is about to go); *why says what was wrong, for the log. */
gnut_qrp_routes_result gnut_qrp_routes_received(gnut_qrp_routes *q, guint64 link,
                                                const gnut_msg_header *h, const guint8 *payload,
                                                const char **why);
/* Slots of every link's table together (what max_total_slots caps). */
guint64 gnut_qrp_routes_slots_held(const gnut_qrp_routes *q);
/* The router's question (a gnut_router_config query_filter): may this query
 * go to link? Yes unless the link sent a table and the query misses it. */
gboolean gnut_qrp_routes_filter(gpointer q, guint64 link, const gnut_msg_in *query);
/* Dynamic querying's question: did link send a table, and does the query
 * hit it? */
gboolean gnut_qrp_routes_table_hit(gnut_qrp_routes *q, guint64 link, const gnut_msg_in *query);
/* ... did it send a complete table, and does the query miss it? */
gboolean gnut_qrp_routes_table_miss(gnut_qrp_routes *q, guint64 link, const gnut_msg_in *query);

#endif
