/* router.h: where each Gnutella message goes. Routing decides, transport
 * sends: gnut_router_decide looks at one message that arrived on a link and
 * fills a gnut_route_decision (deliver it locally, forward copies to these
 * links with this TTL and hops, or drop it and why) that the caller carries
 * out and a test can inspect. No sockets, no main loop; time comes from the
 * injected clock that ages the routing memory.
 *
 * Links are named by guint64 ids chosen by the caller; 0 is "us" and is never
 * a real link. The router remembers:
 *   - (GUID, type) of every ping, query and push seen: later copies are
 *     duplicates and dropped;
 *   - ping GUID -> arrival link (pongs go back there);
 *   - query GUID -> arrival link (query hits go back there);
 *   - servent GUID (last 16 bytes of a hit) -> link the hit came from
 *     (pushes for that servent go there).
 *
 * The rules, with the choices made where servents differ:
 *   - A message arriving with TTL 0 is dropped. Relays decrement TTL and
 *     increment hops (out->hops, the per-destination TTL in out->dests).
 *   - Requests (ping, query, push) whose hops + TTL is over the hard limit
 *     (15) are dropped outright, neither handled nor relayed: gtk-gnutella
 *     refuses to relay them too, and only a misbehaving servent sends them.
 *     Relayed broadcasts are further trimmed so that hops + TTL stays within
 *     config max_ttl (7), as the reference servent does.
 *   - Replies (pong, query hit) are never dropped for hops + TTL: they are
 *     precious and travel one path, so like gtk-gnutella we only trim their
 *     TTL to the hard limit. A reply whose TTL runs out at us is dropped,
 *     unless the next hop is a leaf of ours, which is bumped to TTL 1 (the
 *     leaf is the last hop and relays nothing).
 *   - Pings are answered locally. With pong caching on (the default, as the
 *     ping-pong scheme and gtk-gnutella do) they are never relayed: we answer
 *     from our pong cache and refresh that cache with pings of our own. With
 *     it off they are flooded like queries, but never to leaves.
 *   - Queries are delivered locally and flooded to every other link while TTL
 *     remains. Ultrapeer and leaves are one unit (ultrapeer query routing):
 *     a leaf gets a query whatever TTL is left (written as 1), but only once
 *     its QRP table is known and the query filter passes it; an ultrapeer
 *     link with a QRP table is filtered on the last hop (TTL 1) only. A link's
 *     X-Max-TTL caps the TTL we send it (the spec asks it of fresh queries;
 *     we honour it for relayed ones too), and its Hops Flow (BEAR/4) stops
 *     queries whose hops would exceed it.
 *   - Query hits and pongs go back along the route table: delivered locally
 *     when the GUID is our own (see gnut_router_note_own), dropped when the
 *     GUID is unknown. A hit routed successfully teaches its servent GUID ->
 *     arrival link, so pushes can follow.
 *   - Pushes go to the link that brought the target servent's hits, or are
 *     delivered locally when the target is our servent GUID.
 *   - Bye, vendor and QRP messages are link-local: delivered, never relayed;
 *     one with hops > 0 was wrongly relayed by someone and is dropped.
 *   - As a leaf we relay nothing: everything that is for us is delivered.
 *   - Memory: each route table holds at most route_max_entries, and at most
 *     route_max_per_link naming one link (an eighth of the table by
 *     default): a link flooding requests or hits evicts its own routes, not
 *     the others'. The seen set is global (max dedup_max_entries); the
 *     routing room's per-link query budgets (flow.h) bound what one link
 *     puts in it.
 *   - Cost: a decision is O(links) (the flood) plus O(1) amortised in the
 *     route tables and the seen set, whatever they hold: nothing is scanned
 *     per message.
 */
#ifndef GNUT_ROUTER_H
#define GNUT_ROUTER_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"

/* The link id that means "us": the origin of what we send ourselves. */
#define GNUT_ROUTER_US 0

/* The reference servent's hard limit on hops + TTL. */
#define GNUT_ROUTER_HARD_TTL_LIMIT 15

/* What routing needs of a message: its header fields (as decoded into a
 * gnut_msg_header) and a view of its payload (owned by the caller, only read
 * during the call). The router reads a push's first 16 payload bytes (the
 * target servent GUID) and a query hit's last 16 (the answering servent's
 * GUID), after checking they are there. */
typedef struct {
	gnut_guid guid;
	guint8 type; /* gnut_msg_type, or anything else off the wire */
	guint8 ttl;
	guint8 hops;
	const guint8 *payload; /* may be NULL when payload_len is 0 */
	gsize payload_len;
} gnut_msg_in;

/* What the router knows of one link, from its handshake and messages. */
typedef struct {
	gboolean leaf;    /* it is a leaf of ours (we are its ultrapeer) */
	gboolean qrp;     /* its QRP table is complete: consult the query filter */
	guint8 max_ttl;   /* its X-Max-TTL; 0 = it declared none */
	guint8 hops_flow; /* highest hops it wants in queries (Hops Flow); 255 = all */
} gnut_route_link;

/* Defaults: an ultrapeer link, no QRP table, no X-Max-TTL, no Hops Flow. */
void gnut_route_link_init(gnut_route_link *l);

/* Does the query match link's QRP table? Asked only when the rules above
 * call for it. */
typedef gboolean (*gnut_route_query_filter)(gpointer data, guint64 link, const gnut_msg_in *query);

typedef struct {
	gnut_guid servent_guid;               /* ours: pushes for it are delivered locally */
	gboolean leaf_mode;                   /* we are a leaf: relay nothing */
	gboolean pong_caching;                /* never relay pings (default TRUE) */
	guint8 hard_ttl_limit;                /* GNUT_ROUTER_HARD_TTL_LIMIT */
	guint8 max_ttl;                       /* hops + TTL cap on relayed broadcasts (7) */
	gint64 route_lifetime_us;             /* how long a route is remembered (10 min) */
	guint route_max_entries;              /* cap per route table (65536) */
	gint64 dedup_lifetime_us;             /* how long a GUID counts as seen (10 min) */
	guint dedup_max_entries;              /* cap on the seen set (131072) */
	gnut_route_query_filter query_filter; /* NULL: every query passes */
	gpointer query_filter_data;
	guint route_max_per_link; /* routes one link may hold in each table (8192) */
} gnut_router_config;

/* Fills cfg with the defaults above and a zero servent GUID. */
void gnut_router_config_init(gnut_router_config *cfg);

typedef enum {
	GNUT_ROUTE_DROP_NONE = 0,
	GNUT_ROUTE_DROP_DUPLICATE,      /* same (GUID, type) seen recently */
	GNUT_ROUTE_DROP_TTL_ZERO,       /* arrived with TTL 0 */
	GNUT_ROUTE_DROP_TTL_EXPIRED,    /* must be relayed, but no TTL is left */
	GNUT_ROUTE_DROP_HARD_LIMIT,     /* request with hops + TTL over the limit */
	GNUT_ROUTE_DROP_HOPS_MAX,       /* hops 255: one more cannot be counted */
	GNUT_ROUTE_DROP_NO_ROUTE,       /* reply or push with no route (or one
	                                   leading back where it came from) */
	GNUT_ROUTE_DROP_ROUTE_LOST,     /* the route's link is no longer up */
	GNUT_ROUTE_DROP_BAD_PAYLOAD,    /* too short for what routing reads */
	GNUT_ROUTE_DROP_NOT_LINK_LOCAL, /* link-local message with hops > 0 */
	GNUT_ROUTE_DROP_UNKNOWN_TYPE,
} gnut_route_drop;

/* A short English description ("duplicate", ...), for logs and stats. */
const char *gnut_route_drop_str(gnut_route_drop drop);

enum {
	GNUT_ROUTE_DELIVER_LOCAL = 1u << 0, /* hand it to our own handlers */
	GNUT_ROUTE_FORWARD = 1u << 1,       /* send copies to out->dests */
};

typedef struct {
	guint64 link;
	guint8 ttl; /* TTL to write into the copy sent on link */
} gnut_route_dest;

typedef struct {
	guint flags;          /* GNUT_ROUTE_DELIVER_LOCAL | GNUT_ROUTE_FORWARD; 0 = dropped */
	gnut_route_drop drop; /* why it was dropped when flags is 0 */
	guint8 hops;          /* hops to write into every forwarded copy */
	GArray *dests;        /* of gnut_route_dest; non-empty iff FORWARD */
	/* Links a query was kept from because it missed their QRP table:
	 * leaves, and ultrapeers on the last hop. */
	guint qrp_skipped_leaves;
	guint qrp_skipped_ultrapeers;
} gnut_route_decision;

/* A decision is reused across calls: init once, clear when done. */
void gnut_route_decision_init(gnut_route_decision *d);
void gnut_route_decision_clear(gnut_route_decision *d);

typedef struct gnut_router gnut_router;

/* Copies cfg. The clock must outlive the router. */
gnut_router *gnut_router_new(gnut_clock *clock, const gnut_router_config *cfg);
void gnut_router_free(gnut_router *r);
/* Our role changed: as a leaf (leaf_mode) we relay nothing. */
void gnut_router_set_leaf_mode(gnut_router *r, gboolean leaf_mode);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_router, gnut_router_free)

/* Records (or replaces) what we know of link; unknown links get the defaults
 * of gnut_route_link_init. */
void gnut_router_link_set(gnut_router *r, guint64 link, const gnut_route_link *facts);

/* What we know of link (gnut_route_link_init's defaults for a link never
 * set): read it before changing one fact, so as to keep the others. */
void gnut_router_link_get(const gnut_router *r, guint64 link, gnut_route_link *facts);

/* Whether a query written with this hops count may go to link: its Hops
 * Flow (BEAR/4) allows it. What the router checks for its floods, for
 * those who send queries themselves (dynamic querying). */
gboolean gnut_router_hops_flow_allows(const gnut_router *r, guint64 link, guint8 hops);

/* The link closed: forget its facts and every route through it. */
void gnut_router_link_closed(gnut_router *r, guint64 link);

/* We originate the ping, query or push guid: later copies of it are
 * duplicates, and pongs / query hits for it are delivered locally. Calling it
 * again for the same GUID keeps the route to us alive (a long search). */
void gnut_router_note_own(gnut_router *r, const gnut_guid *guid, guint8 type);

/* Decides where a message that arrived on from_link (not GNUT_ROUTER_US)
 * goes. links[0..n_links) are the links up now (from_link among them or
 * not). out must have been initialised; its previous content is replaced. */
void gnut_router_decide(gnut_router *r, guint64 from_link, const gnut_msg_in *msg,
                        const guint64 *links, size_t n_links, gnut_route_decision *out);

/* For a ping or query of our own (hops as we will send it, usually 0): notes
 * it as ours and decides which links get it with which TTL, by the same
 * rules as a relayed one (leaves by QRP, X-Max-TTL, hard limit). Dropped
 * with NO_ROUTE when no link qualifies. */
void gnut_router_originate(gnut_router *r, const gnut_msg_in *msg, const guint64 *links,
                           size_t n_links, gnut_route_decision *out);

/* The link that brought hits from servent (where a push for it must go);
 * FALSE when none is known. The link may have closed since: check. */
gboolean gnut_router_push_route(const gnut_router *r, const gnut_guid *servent, guint64 *link);

#endif
