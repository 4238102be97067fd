/* qrp-routes.h: query routing tables between leaves and ultrapeers, private
 * to the routing room. As a leaf we send each ultrapeer a table of the
 * keywords of our shared files; as an ultrapeer we keep each leaf's table and
 * tell the router which links may get a query (gnut_qrp_routes_filter). */
#ifndef GNUT_QRP_ROUTES_H
#define GNUT_QRP_ROUTES_H

#include "gnut/core/links/links.h"
#include "gnut/core/routing/router.h"
#include "gnut/core/share/share.h"

typedef struct gnut_qrp_routes gnut_qrp_routes;

/* links and share are not owned and outlive the routes. */
gnut_qrp_routes *gnut_qrp_routes_new(gnut_links *links, gnut_share *share, gboolean ultrapeer);
void gnut_qrp_routes_free(gnut_qrp_routes *q);

void gnut_qrp_routes_link_up(gnut_qrp_routes *q, gnut_node *node);
void gnut_qrp_routes_link_closed(gnut_qrp_routes *q, guint64 link);
/* Our share changed: a leaf sends its ultrapeers what changed in its table. */
void gnut_qrp_routes_share_changed(gnut_qrp_routes *q);
/* A RESET or PATCH from a link; a bad one says Bye to it. TRUE when the
 * link's table is complete: the router may then route by it. */
gboolean gnut_qrp_routes_received(gnut_qrp_routes *q, gnut_node *from, const gnut_msg_header *h,
                                  const guint8 *payload);
/* The router's question (a gnut_router_config query_filter): may this query
 * go to link? Yes unless the link sent a table and the query misses it. */
gboolean gnut_qrp_routes_filter(gpointer q, guint64 link, const gnut_msg_in *query);
/* Dynamic querying's question: did link send a table, and does the query
 * hit it? */
gboolean gnut_qrp_routes_table_hit(gnut_qrp_routes *q, guint64 link, const gnut_msg_in *query);

#endif
