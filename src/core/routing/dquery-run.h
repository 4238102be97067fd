/* dquery-run.h: dynamic querying for the queries of our leaves and our own
 * (as an ultrapeer), private to
 * the routing room: the dquery table decides, this module sends. It also
 * speaks the leaf-guided query status messages (BEAR/11 and BEAR/12) both
 * ways. */
#ifndef GNUT_DQUERY_RUN_H
#define GNUT_DQUERY_RUN_H

#include "gnut/core/links/links.h"
#include "gnut/core/routing/router.h"
#include "qrp-routes.h"

typedef struct gnut_dquery_run gnut_dquery_run;

/* As a leaf: how many hits our search with this GUID kept, or
 * GNUT_BEAR_QSTAT_STOP when it is over. */
typedef guint16 (*gnut_dquery_kept_fn)(const gnut_guid *guid, gpointer data);

typedef struct {
	gnut_clock *clock;
	gboolean ultrapeer;
	gnut_links *links;    /* not owned */
	gnut_qrp_routes *qrp; /* not owned */
	gnut_router *router;  /* not owned: the links' Hops Flow */
	gnut_dquery_kept_fn kept_hits;
	gpointer kept_data;
} gnut_dquery_run_config;

typedef enum {
	GNUT_DQUERY_RUN_NOT_MINE, /* not a leaf's query, or no ultrapeer link for it:
	                             the decision is left as it was */
	GNUT_DQUERY_RUN_STARTED,  /* its ultrapeer destinations are the dynamic query's */
	GNUT_DQUERY_RUN_REFUSED,  /* over the caps: drop it (gnut_dquery_refusal_drops) */
} gnut_dquery_run_result;

gnut_dquery_run *gnut_dquery_run_new(const gnut_dquery_run_config *config);
void gnut_dquery_run_free(gnut_dquery_run *dq);
/* Our role changed (dynamic queries run as an ultrapeer only). */
void gnut_dquery_run_set_ultrapeer(gnut_dquery_run *dq, gboolean ultrapeer);

/* Takes the ultrapeer destinations out of the router's decision d for a
 * query from our leaf and starts a dynamic query over them. A refused one
 * must be dropped: never flooded (d is then left as it was). */
gnut_dquery_run_result gnut_dquery_run_leaf_query(gnut_dquery_run *dq, gnut_node *from,
                                                  const gnut_msg_in *in, gnut_route_decision *d);
/* As an ultrapeer, takes the ultrapeer destinations out of the router's
 * decision d for a query of our own and starts a dynamic query over them;
 * *sent: how many ultrapeer links the probe went to. NOT_MINE (as a leaf, or
 * with no ultrapeer link) and REFUSED (the caps) leave d as it was: our own
 * query is then flooded as before. */
gnut_dquery_run_result gnut_dquery_run_own_query(gnut_dquery_run *dq, const gnut_msg_in *in,
                                                 gnut_route_decision *d, guint *sent);
/* Query messages the dynamic queries' steps sent, in all. */
guint64 gnut_dquery_run_queries_sent(const gnut_dquery_run *dq);
/* Query status messages (BEAR/11 requests and replies) sent, in all. */
guint64 gnut_dquery_run_status_sent(const gnut_dquery_run *dq);
/* Why the last REFUSED was refused, for the log. */
const char *gnut_dquery_run_refusal(const gnut_dquery_run *dq);
/* A query hit the router passes back toward a leaf counts its results. */
void gnut_dquery_run_hit_routed(gnut_dquery_run *dq, const gnut_msg_header *h,
                                const guint8 *payload);
void gnut_dquery_run_tick(gnut_dquery_run *dq, gint64 now_us);
void gnut_dquery_run_link_closed(gnut_dquery_run *dq, guint64 link);
/* A vendor message: a leaf's query status, or an ultrapeer asking ours. */
void gnut_dquery_run_vendor(gnut_dquery_run *dq, gnut_node *from, const gnut_msg_header *h,
                            const guint8 *payload);

#endif
