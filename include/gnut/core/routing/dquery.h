/* dquery.h: dynamic querying (doc/gnutella/dynamic_query, with leaf
 * guidance from doc/gnutella/leaf_guided_queries) as a pure policy: the
 * table decides, the transport sends. Instead of flooding a query from a
 * leaf (or one of our own) to every ultrapeer link, an ultrapeer sends it to
 * a few links first (the probe), then to one more link at a time, each with
 * a TTL computed from the results so far, waiting 2.4 s per hop in between,
 * until enough results came back. Every call fills a list of steps (send the
 * query on this link with this TTL, ask the leaf for its status, the query
 * ended and why) that the caller carries out and a test can inspect. No
 * sockets; time comes from the injected clock.
 *
 * Links are the caller's guint64 ids; GNUT_DQUERY_US (0) as an origin is a
 * query of our own. The choices made where the specification leaves room:
 *   - Results wanted: 150 for our own queries, 50 for a leaf's (the spec's
 *     figures; a leaf asks about three ultrapeers).
 *   - The candidates are the ultrapeer links given at start (links coming up
 *     later are not used: a query lasts minutes at most). Each gets the query
 *     at most once; links whose QRP table matches the query come first.
 *   - Probe: when at least probe_wide_links candidates have a QRP match, the
 *     content is common: the probe goes at TTL 1 to that many of them (the
 *     spec's "5 or more connections with hits"); otherwise to probe_links
 *     candidates at TTL probe_ttl (the spec's "TTL=2 down 3 connections").
 *     Then the wait is probe TTL x wait_per_hop + probe_wait_per_link per
 *     link probed (2 x 2.4 s + 3 x 0.8 s = the spec's 7.2 s). With no more
 *     candidates than probe_links (a small network), the probe would take
 *     them all and leave no step to use what it learns: each gets the query
 *     at the highest TTL it allows instead (what a flood would do).
 *   - Next TTL (spec 2.5.2.1): results still needed / (results per
 *     ultrapeer reached so far) / candidates left = hosts to reach through
 *     this link; the TTL is the highest whose theoretical horizon
 *     hosts(degree, ttl) = Sum[(degree-1)^i, 0 <= i < ttl] does not exceed
 *     that (rounding down favours low TTLs, as the spec asks), at least 1,
 *     never above the link's X-Max-TTL or config max_ttl. No result yet means
 *     the highest TTL allowed. The degree is the link's X-Degree (default_degree
 *     when it sent none: a high guess, so that TTLs err low).
 *   - Wait after a step: TTL x wait_per_hop (2.4 s). For rare content (the
 *     horizon reached rare_horizon with under rare_results results) each
 *     further step waits wait_speedup less per hop, down to
 *     min_wait_per_hop (spec 2.5.2.3).
 *   - The query ends (spec 2.5.2.4) when the results wanted came back, no
 *     candidate is left, the theoretical horizon reached max_horizon (200,000
 *     ultrapeers, the spec's cap: a step's TTL is also lowered so as not to
 *     pass it), the leaf sent status 0xFFFF, the origin link closed, the
 *     lifetime (3 min, the spec's example) ran out, or the caller cancelled.
 *   - Leaf guidance: results are the hits we routed back to the origin
 *     (gnut_dquery_results). Once the leaf sent a Query Status Response, the
 *     count is kept / leaf_ultrapeers (its count covers the hits from all its
 *     ultrapeers, about three) + the hits routed since that status. When the
 *     leaf asked for guidance (bit 12 of the query flags), before each step
 *     after status_every sends we ask it (an ASK_STATUS step) and wait for
 *     its answer up to status_timeout (10 s, the spec's); a leaf that never
 *     answers loses guidance (we go on with our own count) rather than its
 *     query. Unsolicited responses are taken at any time; only the origin
 *     link may send them.
 *   - Our own queries: the results are the hits our search kept, which the
 *     caller reports before each tick (gnut_dquery_own_results: hits that
 *     came out of band count too, duplicates do not); hits routed to us
 *     count in between.
 *   - Our own leaves are not in the steps: the caller hands the query to its
 *     leaves by QRP once, when it starts the query, as for any query.
 */
#ifndef GNUT_DQUERY_H
#define GNUT_DQUERY_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"

/* The origin that means "us": a query of our own. */
#define GNUT_DQUERY_US 0

/* Results our own queries want (results_local): as an ultrapeer, our
 * dynamic query stops there; as a leaf, once our search kept that many, we
 * tell our ultrapeers to stop. */
#define GNUT_DQUERY_OWN_RESULTS 150

/* Bounds the table enforces on link facts and config. */
#define GNUT_DQUERY_MAX_TTL    7    /* no config or link TTL above this */
#define GNUT_DQUERY_MAX_DEGREE 1000 /* X-Degree values are clamped to this */

/* The default caps on what runs at once: what one leaf can make us hold and
 * work on, and what all of them can. A query lasts 3 minutes at most, so a
 * leaf within its query budget (flow.h: 1 a second) could keep ~180
 * running: 16 is what a user searching by hand uses, and each one costs a
 * copy of the query and its candidate links. */
#define GNUT_DQUERY_MAX_QUERIES  64 /* dynamic queries at once */
#define GNUT_DQUERY_MAX_PER_LEAF 16 /* of which from one leaf */

typedef struct {
	guint results_local;           /* for our own queries (GNUT_DQUERY_OWN_RESULTS) */
	guint results_leaf;            /* for a leaf's queries (50) */
	guint8 max_ttl;                /* highest TTL we send (3); X-Max-TTL lowers it */
	guint16 default_degree;        /* a link's degree when it sent no X-Degree (32) */
	guint8 probe_ttl;              /* TTL of an ordinary probe (2) */
	guint probe_links;             /* links in an ordinary probe (3) */
	guint probe_wide_links;        /* QRP matches that make a TTL 1 probe (5; 0: never) */
	gint64 wait_per_hop_us;        /* wait per hop of TTL after a step (2.4 s) */
	gint64 probe_wait_per_link_us; /* extra wait per link probed (0.8 s) */
	gint64 wait_speedup_us;        /* less per hop at each rare step (100 ms) */
	gint64 min_wait_per_hop_us;    /* floor of that speed-up (1.2 s) */
	guint64 rare_horizon;          /* horizon after which rare content speeds up (3000) */
	guint rare_results;            /* "rare": fewer results than this (10) */
	guint64 max_horizon;           /* theoretical ultrapeers reached, at most (200,000) */
	guint leaf_ultrapeers;         /* a leaf's status counts hits of this many (3) */
	guint status_every;            /* links sent to between status requests (1) */
	gint64 status_timeout_us;      /* wait for a leaf's status, at most (10 s) */
	gint64 lifetime_us;            /* a query ends after this long (3 min) */
	guint max_queries;             /* GNUT_DQUERY_MAX_QUERIES; more are refused */
	guint max_per_leaf;            /* GNUT_DQUERY_MAX_PER_LEAF */
} gnut_dquery_config;

/* Fills cfg with the defaults above. */
void gnut_dquery_config_init(gnut_dquery_config *cfg);

/* What the table needs of an ultrapeer link, from its handshake. */
typedef struct {
	guint64 id;
	guint8 max_ttl;    /* its X-Max-TTL; 0 = it sent none */
	guint16 degree;    /* its X-Degree; 0 = it sent none */
	gboolean qrp_hit;  /* its QRP table is known and matches the query */
	gboolean qrp_miss; /* its QRP table is known and misses the query: a step
	                      that would reach only it (TTL 1) is skipped */
} gnut_dquery_link;

typedef enum {
	GNUT_DQUERY_STARTED = 0,
	GNUT_DQUERY_REFUSED_FULL,      /* max_queries running */
	GNUT_DQUERY_REFUSED_LEAF_FULL, /* max_per_leaf running for this origin */
	GNUT_DQUERY_REFUSED_DUPLICATE, /* a query with this GUID is running */
	GNUT_DQUERY_REFUSED_NO_LINKS,  /* no usable ultrapeer link */
} gnut_dquery_start_result;

typedef enum {
	GNUT_DQUERY_END_ENOUGH = 1,    /* the results wanted came back */
	GNUT_DQUERY_END_NO_LINKS,      /* every candidate link got it (or closed) */
	GNUT_DQUERY_END_HORIZON,       /* the theoretical horizon hit max_horizon */
	GNUT_DQUERY_END_LEAF_STOP,     /* the leaf sent status 0xFFFF */
	GNUT_DQUERY_END_ORIGIN_CLOSED, /* the leaf's link closed */
	GNUT_DQUERY_END_LIFETIME,      /* it ran for lifetime_us */
	GNUT_DQUERY_END_CANCELLED,     /* gnut_dquery_cancel */
} gnut_dquery_end;

/* Short English descriptions, for logs and stats. */
const char *gnut_dquery_start_result_str(gnut_dquery_start_result r);

/* What becomes of a leaf's query the table did not start. Refused by the
 * caps (FULL, LEAF_FULL) or as a DUPLICATE, it is dropped (and counted):
 * flooding it instead, as was done once, made the caps a way to get the
 * widest search there is. NO_LINKS only means there is no ultrapeer link to
 * send it to: it is routed as it was (our answer, our leaves by QRP). */
gboolean gnut_dquery_refusal_drops(gnut_dquery_start_result r);
const char *gnut_dquery_end_str(gnut_dquery_end e);

typedef enum {
	GNUT_DQUERY_SEND = 1,   /* send the query on link with ttl */
	GNUT_DQUERY_ASK_STATUS, /* send a Query Status Request (BEAR/11) to link */
	GNUT_DQUERY_FINISHED,   /* the query ended (reason); link is its origin */
} gnut_dquery_action;

typedef struct {
	gnut_dquery_action action;
	gnut_guid guid;         /* the query's */
	guint64 link;           /* SEND: an ultrapeer link; else the origin */
	guint8 ttl;             /* SEND: the TTL to write into the copy */
	gnut_dquery_end reason; /* FINISHED: why */
} gnut_dquery_step;

/* Steps are gathered in a GArray of gnut_dquery_step; each call below
 * replaces its content. */
GArray *gnut_dquery_steps_new(void);

typedef struct gnut_dquery_table gnut_dquery_table;

/* Copies cfg. The clock must outlive the table. */
gnut_dquery_table *gnut_dquery_table_new(gnut_clock *clock, const gnut_dquery_config *cfg);
void gnut_dquery_table_free(gnut_dquery_table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_dquery_table, gnut_dquery_table_free)

/* Starts a dynamic query for guid from origin (GNUT_DQUERY_US or a leaf's
 * link) over the ultrapeer links[0..n) (the origin, id 0 and repeated ids
 * are skipped); leaf_guided when the leaf set GNUT_QUERY_F_LEAF_GUIDED.
 * Fills out with the probe's SEND steps. Refused (out left empty), the
 * caller does what gnut_dquery_refusal_drops says. Every started query later
 * yields exactly one FINISHED step, from gnut_dquery_tick. */
gnut_dquery_start_result gnut_dquery_start(gnut_dquery_table *t, const gnut_guid *guid,
                                           guint64 origin, gboolean leaf_guided,
                                           const gnut_dquery_link *links, size_t n, GArray *out);

/* n more results (the hit count of a query hit we routed to the origin, or
 * that reached our own search). FALSE when no such query is running. */
gboolean gnut_dquery_results(gnut_dquery_table *t, const gnut_guid *guid, guint n);

/* For a query of our own: our search kept that many hits in all; they
 * replace the count so far. FALSE when no query of ours with that GUID
 * runs. */
gboolean gnut_dquery_own_results(gnut_dquery_table *t, const gnut_guid *guid, guint kept);

/* A Query Status Response for guid arrived on from_link: the leaf kept that
 * many hits, or GNUT_BEAR_QSTAT_STOP (0xFFFF): stop. FALSE (and ignored)
 * unless from_link is the origin of a running query with that GUID. */
gboolean gnut_dquery_leaf_status(gnut_dquery_table *t, guint64 from_link, const gnut_guid *guid,
                                 guint16 kept);

/* As a leaf: the Query Status Response (BEAR/12) we answer our ultrapeer's
 * request with, from the hits our search kept (GNUT_BEAR_QSTAT_STOP when the
 * search is over): GNUT_BEAR_QSTAT_STOP too once they reach wanted (our
 * results_local), so that the ultrapeer stops whatever it makes of a count. */
guint16 gnut_dquery_leaf_answer(guint16 kept, guint wanted);

/* Our own search for guid stopped: the query ends. FALSE when not running. */
gboolean gnut_dquery_cancel(gnut_dquery_table *t, const gnut_guid *guid);

/* The link closed: it is no longer a candidate, and queries it originated
 * end. */
void gnut_dquery_link_closed(gnut_dquery_table *t, guint64 link);

/* Moves every query whose time came: fills out with the next steps (in the
 * order queries started) and forgets the queries that finished. */
void gnut_dquery_tick(gnut_dquery_table *t, GArray *out);

/* When gnut_dquery_tick has something to do next (monotonic us), or
 * G_MAXINT64 when no query runs: the caller's timer. */
gint64 gnut_dquery_next_due(const gnut_dquery_table *t);

/* Queries running (started and not yet reported FINISHED). */
guint gnut_dquery_count(const gnut_dquery_table *t);

#endif
