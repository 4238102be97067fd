/* qrp-routes.h: query routing tables between leaves and ultrapeers, private
 * to the routing room. As a leaf we send each ultrapeer a table of the
 * keywords of our shared files; as an ultrapeer we keep each leaf's table and
 * tell the router which links may get a query (gnut_qrp_routes_filter).
 * What peers make us hold is capped: a table's slots per link and all
 * links' together (each slot costs a bit, two while a patch streams in). */
#ifndef GNUT_QRP_ROUTES_H
#define GNUT_QRP_ROUTES_H

#include "gnut/core/links/links.h"
#include "gnut/core/routing/router.h"
#include "gnut/core/share/share.h"

typedef struct gnut_qrp_routes gnut_qrp_routes;

/* links and share are not owned and outlive the routes (NULL for either
 * when we are an ultrapeer that only receives tables: a test's). A link's
 * table may have at most max_link_slots slots, all links' together at most
 * max_total_slots. */
/* compress: our table's patches go out zlib-compressed (else raw). */
gnut_qrp_routes *gnut_qrp_routes_new(gnut_links *links, gnut_share *share, gboolean ultrapeer,
                                     gboolean compress, guint32 max_link_slots,
                                     guint64 max_total_slots);
void gnut_qrp_routes_free(gnut_qrp_routes *q);

void gnut_qrp_routes_link_up(gnut_qrp_routes *q, gnut_node *node);
void gnut_qrp_routes_link_closed(gnut_qrp_routes *q, guint64 link);
/* Our share changed: a leaf sends its ultrapeers what changed in its table. */
void gnut_qrp_routes_share_changed(gnut_qrp_routes *q);
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

#endif
