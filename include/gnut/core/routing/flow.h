/* flow.h: flow control on links, as a pure policy: the table decides, the
 * routing room sends. No sockets; time comes from the injected clock.
 *
 * Queries in. Every link has a token bucket of queries: a leaf of ours gets
 * leaf_rate a second, any other link (an ultrapeer, or our ultrapeer when
 * we are a leaf) ultrapeer_rate, each with burst_s seconds of it as burst.
 * A query over the budget is dropped before any routing work is done on it
 * (no duplicate check, no route recorded, no answer), so a flood costs O(1)
 * per message. A link that keeps flooding, more than flood_drops queries
 * dropped within one flood_window_s window, is closed with a Bye
 * (GNUT_FLOW_BYE_CODE "Flooding").
 *
 * Why these figures. A leaf sends only its user's searches: gtk-gnutella
 * (the reference servent) paces a leaf's queries through a search queue,
 * seconds apart per ultrapeer, and re-sends a search at most every half
 * hour; 1 a second with a burst of 10 (a user starting a dozen searches at
 * once, or a leaf re-sending its open searches to a new ultrapeer) is more
 * than any such leaf uses. An ultrapeer link relays the queries of a whole
 * part of the network: with dynamic querying an ultrapeer hears a few to a
 * few tens a second in all, spread over its ultrapeer links, so 50 a
 * second per link (burst 500) leaves a margin of ten and more while still
 * bounding what one link can make us relay to all the others.
 *
 * Hops Flow (BEAR/4) out. The rule we follow: a link is "in trouble" when
 * our output queue to it is backed up (gnut_node_output_backed_up: its hits
 * could not reach it anyway) or when we dropped one of its queries for its
 * rate. An ultrapeer link that listed Hops Flow in its Messages Supported is
 * sent Hops Flow GNUT_FLOW_HOPS_OWN_ONLY (0: relay us nothing, send only
 * your own queries) when trouble starts, and GNUT_FLOW_HOPS_ALL (255) once
 * it has been out of trouble for calm_s seconds; nothing is sent in between
 * (one message per change). Leaves are never sent one: they relay nothing,
 * and their own queries (hops 0) pass any Hops Flow.
 *
 * Hits in. A link may bring our own searches at most hits_per_search
 * results each (a quarter of what the search room keeps for a search,
 * GNUT_SEARCH_MAX_HITS): one peer cannot fill a search with its own
 * answers. The count is kept for the last GNUT_FLOW_SEARCHES_KEPT searches
 * each link answered; only our own searches' GUIDs are counted (the router
 * vouches for them), so a peer cannot make that state grow.
 *
 * Hops Flow in (what a peer asks of us) is the router's: see router.h. */
#ifndef GNUT_FLOW_H
#define GNUT_FLOW_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"

#define GNUT_FLOW_LEAF_RATE      1   /* queries a second from a leaf of ours */
#define GNUT_FLOW_ULTRAPEER_RATE 50  /* queries a second from any other link */
#define GNUT_FLOW_BURST_S        10  /* burst: this many seconds of the rate */
#define GNUT_FLOW_FLOOD_DROPS    100 /* more drops than this in a window: Bye */
#define GNUT_FLOW_FLOOD_WINDOW_S 10
#define GNUT_FLOW_CALM_S         5 /* out of trouble this long: lift Hops Flow */
#define GNUT_FLOW_MAX_RATE                                                                         \
	10000000                      /* the highest rate accepted: a bound on the                 \
	                                maths, and enough to lift the budget */
#define GNUT_FLOW_HITS_PER_SEARCH 500 /* results one link may bring one of our searches */
#define GNUT_FLOW_SEARCHES_KEPT   256 /* searches whose results are counted per link */

#define GNUT_FLOW_BYE_CODE      429 /* "Flooding" */
#define GNUT_FLOW_HOPS_OWN_ONLY 0   /* Hops Flow: send us only your own queries */
#define GNUT_FLOW_HOPS_ALL      255 /* Hops Flow: send us everything */

typedef struct {
	guint leaf_rate;       /* GNUT_FLOW_LEAF_RATE; 1 to GNUT_FLOW_MAX_RATE */
	guint ultrapeer_rate;  /* GNUT_FLOW_ULTRAPEER_RATE; 1 to GNUT_FLOW_MAX_RATE */
	guint burst_s;         /* GNUT_FLOW_BURST_S; at least 1 */
	guint flood_drops;     /* GNUT_FLOW_FLOOD_DROPS */
	guint flood_window_s;  /* GNUT_FLOW_FLOOD_WINDOW_S; at least 1 */
	guint calm_s;          /* GNUT_FLOW_CALM_S */
	guint hits_per_search; /* GNUT_FLOW_HITS_PER_SEARCH; at least 1 */
} gnut_flow_config;

/* Fills cfg with the defaults above. */
void gnut_flow_config_init(gnut_flow_config *cfg);

typedef enum {
	GNUT_FLOW_PASS = 0, /* within the link's budget: route it */
	GNUT_FLOW_DROP,     /* over it: drop it (counted) */
	GNUT_FLOW_CLOSE,    /* over it, and the link keeps flooding: drop it, say Bye */
} gnut_flow_verdict;

typedef struct {
	guint64 queries_dropped; /* over their link's budget */
	guint64 links_flooding;  /* CLOSE verdicts given */
	guint64 hops_flows;      /* Hops Flow messages called for */
	guint64 hits_dropped;    /* hits for our searches over their link's share */
} gnut_flow_stats;

typedef struct gnut_flow gnut_flow;

/* Copies cfg (out-of-range values are a programming error: NULL). The
 * clock must outlive the table. */
gnut_flow *gnut_flow_new(gnut_clock *clock, const gnut_flow_config *cfg);
void gnut_flow_free(gnut_flow *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_flow, gnut_flow_free)

/* A link came up: leaf when it is a leaf of ours; hops_flow when it listed
 * Hops Flow (it may also be said later, see gnut_flow_link_hops_flow). A
 * link never announced counts as an ultrapeer link, full bucket. */
void gnut_flow_link_up(gnut_flow *f, guint64 link, gboolean leaf);
/* The link's Messages Supported listed Hops Flow (or no longer does). */
void gnut_flow_link_hops_flow(gnut_flow *f, guint64 link, gboolean understands);
void gnut_flow_link_closed(gnut_flow *f, guint64 link);

/* A query arrived on link: takes one from its budget. */
gnut_flow_verdict gnut_flow_query(gnut_flow *f, guint64 link);

/* A query hit with `results` results for our own search guid arrived on
 * link: FALSE (drop it) when that would take the results the link brought
 * that search over hits_per_search. */
gboolean gnut_flow_own_hits(gnut_flow *f, guint64 link, const gnut_guid *guid, guint results);

/* Whether link must be sent a Hops Flow now, and which (*hops), given
 * whether our output to it is backed up. Call it after a DROP verdict and
 * about every second for every link; TRUE means send it (it is counted as
 * sent). */
gboolean gnut_flow_hops_flow_due(gnut_flow *f, guint64 link, gboolean backed_up, guint8 *hops);

void gnut_flow_get_stats(const gnut_flow *f, gnut_flow_stats *out);

#endif
