/* role.h: whether the servent is a leaf or an ultrapeer, and when an
 * automatic one changes (doc/gnutella/ultra-peers, "Ultrapeer Election").
 *
 * A forced role (--leaf, --ultrapeer) never changes. An automatic one
 * starts as a leaf and becomes an ultrapeer once it qualifies:
 *   - not TCP-firewalled (a remote connection reached our listener),
 *   - up for uptime_s,
 *   - an upload and a download limit, when set, of at least min_upload and
 *     min_download bytes a second (the spec asks 10 and 15 KB/s),
 *   - enough descriptors for an ultrapeer's links at both caps and the
 *     rest it holds on purpose (gnut/base/fd-budget.h),
 * and a leaf is not what the network needs of it: it had no ultrapeer link
 * for leaf_alone_s, or one of its ultrapeers said X-Ultrapeer-Needed: True,
 * or leaves asked it for links in the last GNUT_ROLE_ASKING_S.
 * An automatic ultrapeer becomes a leaf again when it no longer qualifies,
 * or when it had fewer than few_leaves leaves for idle_s while one of its
 * ultrapeer links has room for leaves (it said X-Ultrapeer-Needed: False);
 * and, dialing an ultrapeer that guides it to be a leaf (X-Ultrapeer-Needed:
 * False), with fewer than few_leaves leaves it takes the guidance.
 * Automatic changes but guidance are at least hold_s apart; the hold before
 * the next promotion doubles at each demotion (up to GNUT_ROLE_MAX_HOLD_S),
 * so that a servent the network keeps sending back does not flap.
 *
 * As an ultrapeer we guide others in step 2 of the handshakes they start:
 * X-Ultrapeer-Needed: True while we have fewer than want_ultrapeers
 * ultrapeer links and leaves ask us for links, False once we have as many
 * and room for leaves (an automatic ultrapeer dialing us then becomes our
 * leaf).
 *
 * Pure policy: the servent gathers the facts and carries the changes out;
 * the clock is the facts' now_us, so tests need no sleep. */
#ifndef GNUT_ROLE_H
#define GNUT_ROLE_H

#include <glib.h>

#define GNUT_ROLE_DEFAULT_UPTIME_S        600 /* the spec's "several minutes" */
#define GNUT_ROLE_DEFAULT_MIN_UPLOAD      (10 * 1024)
#define GNUT_ROLE_DEFAULT_MIN_DOWNLOAD    (15 * 1024)
#define GNUT_ROLE_DEFAULT_HOLD_S          1800
#define GNUT_ROLE_MAX_HOLD_S              61200 /* 17 hours, as gtk-gnutella */
#define GNUT_ROLE_DEFAULT_LEAF_ALONE_S    300
#define GNUT_ROLE_DEFAULT_FEW_LEAVES      3
#define GNUT_ROLE_DEFAULT_IDLE_S          3600
#define GNUT_ROLE_DEFAULT_LEAF_ULTRAPEERS 3   /* ultrapeers a leaf keeps links to */
#define GNUT_ROLE_DEFAULT_WANT_ULTRAPEERS 8   /* ultrapeer links an ultrapeer keeps */
#define GNUT_ROLE_ASKING_S                600 /* a leaf refused this recently: leaves ask */

typedef enum {
	GNUT_ROLE_AUTO = 0,
	GNUT_ROLE_FORCED_LEAF,
	GNUT_ROLE_FORCED_ULTRAPEER,
} gnut_role_mode;

/* The thresholds above; 0 everywhere: the defaults. */
typedef struct {
	guint uptime_s;
	guint64 min_upload; /* bytes a second */
	guint64 min_download;
	guint hold_s;
	guint leaf_alone_s;
	guint few_leaves;
	guint idle_s;
	guint leaf_ultrapeers;
	guint want_ultrapeers;
} gnut_role_config;

/* What the servent knows now. */
typedef struct {
	gint64 now_us;
	gint64 started_us;
	gboolean tcp_firewalled;
	guint64 upload_limit; /* bytes a second, 0: none */
	guint64 download_limit;
	guint64 fd_limit;           /* soft descriptor limit, G_MAXUINT64: none */
	guint64 fds_as_ultrapeer;   /* what an ultrapeer would hold on purpose */
	guint ultrapeer_links;      /* links up to ultrapeers */
	guint leaf_links;           /* links up to leaves (as an ultrapeer) */
	guint max_leaves;           /* the cap on them */
	guint ultrapeers_needing;   /* ultrapeer links that said X-Ultrapeer-Needed: True */
	guint ultrapeers_with_room; /* ... False: they have room for leaves */
} gnut_role_facts;

typedef enum {
	GNUT_ROLE_STAY,
	GNUT_ROLE_PROMOTE, /* leaf -> ultrapeer */
	GNUT_ROLE_DEMOTE,  /* ultrapeer -> leaf */
} gnut_role_change;

/* What X-Ultrapeer-Needed to send (nothing, True or False). */
typedef enum {
	GNUT_ROLE_NEEDED_NONE,
	GNUT_ROLE_NEEDED_TRUE,
	GNUT_ROLE_NEEDED_FALSE,
} gnut_role_needed;

typedef struct gnut_role gnut_role;

/* A role in mode: a leaf unless forced ultrapeer. */
gnut_role *gnut_role_new(const gnut_role_config *config, gnut_role_mode mode);
void gnut_role_free(gnut_role *r);

/* The configuration with the defaults filled in. */
const gnut_role_config *gnut_role_get_config(const gnut_role *r);
gboolean gnut_role_is_ultrapeer(const gnut_role *r);
gboolean gnut_role_is_auto(const gnut_role *r);
/* Why the role is what it is: the reason of the last change, or of the
 * start ("forced by --leaf", "starting as a leaf"). */
const char *gnut_role_reason(const gnut_role *r);
/* Role changes so far. */
guint gnut_role_changes(const gnut_role *r);

/* TRUE when f meets every condition to be an ultrapeer; else FALSE and,
 * with why, the first condition missed. */
gboolean gnut_role_qualifies(const gnut_role *r, const gnut_role_facts *f, GString *why);

/* What should change now (call about once a second: it keeps the time a
 * leaf has been alone and an ultrapeer short of leaves); why says why for
 * a change. Always STAY for a forced role. */
gnut_role_change gnut_role_decide(gnut_role *r, const gnut_role_facts *f, GString *why);

/* Records a change the caller carried out (by decide or by guidance). */
void gnut_role_switched(gnut_role *r, gboolean ultrapeer, gint64 now_us, const char *reason);

/* A leaf asked us for a link we could not give (we are a leaf, or our leaf
 * slots are full): leaves are asking. */
void gnut_role_leaf_refused(gnut_role *r, gint64 now_us);

/* The X-Ultrapeer-Needed of step 2 to a peer that dialed us. */
gnut_role_needed gnut_role_guidance(const gnut_role *r, const gnut_role_facts *f);

/* Whether we take the leaf guidance of an ultrapeer we dialed
 * (X-Ultrapeer-Needed: False): an automatic ultrapeer with few leaves. */
gboolean gnut_role_takes_guidance(const gnut_role *r, const gnut_role_facts *f);

#endif
