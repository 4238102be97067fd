/* role.c: the leaf / ultrapeer policy (see role.h). It keeps three clocks:
 * since when a leaf has had no ultrapeer link, since when an ultrapeer has
 * had fewer than few_leaves leaves, and when a leaf was last refused; and
 * the time of the last change with the hold before the next. */
#include "config.h"

#include "gnut/core/links/role.h"

#define SEC G_USEC_PER_SEC

struct gnut_role {
	gnut_role_config config;
	gnut_role_mode mode;
	gboolean ultrapeer;
	char *reason;
	guint changes;
	gint64 switched_us;     /* the last change; 0: none yet */
	guint promote_hold_s;   /* hold before the next promotion */
	gint64 alone_since_us;  /* a leaf without ultrapeer link since; 0: not alone */
	gint64 few_since_us;    /* an ultrapeer short of leaves since; 0: not short */
	gint64 leaf_refused_us; /* the last leaf refused; 0: none */
};

static guint or_default(guint v, guint def)
{
	return v != 0 ? v : def;
}

gnut_role *gnut_role_new(const gnut_role_config *config, gnut_role_mode mode)
{
	gnut_role *r = g_new0(gnut_role, 1);
	gnut_role_config *c = &r->config;
	*c = *config;
	c->uptime_s = or_default(c->uptime_s, GNUT_ROLE_DEFAULT_UPTIME_S);
	if (c->min_upload == 0)
		c->min_upload = GNUT_ROLE_DEFAULT_MIN_UPLOAD;
	if (c->min_download == 0)
		c->min_download = GNUT_ROLE_DEFAULT_MIN_DOWNLOAD;
	c->hold_s = or_default(c->hold_s, GNUT_ROLE_DEFAULT_HOLD_S);
	c->leaf_alone_s = or_default(c->leaf_alone_s, GNUT_ROLE_DEFAULT_LEAF_ALONE_S);
	c->few_leaves = or_default(c->few_leaves, GNUT_ROLE_DEFAULT_FEW_LEAVES);
	c->idle_s = or_default(c->idle_s, GNUT_ROLE_DEFAULT_IDLE_S);
	c->leaf_ultrapeers = or_default(c->leaf_ultrapeers, GNUT_ROLE_DEFAULT_LEAF_ULTRAPEERS);
	c->want_ultrapeers = or_default(c->want_ultrapeers, GNUT_ROLE_DEFAULT_WANT_ULTRAPEERS);
	r->mode = mode;
	r->ultrapeer = mode == GNUT_ROLE_FORCED_ULTRAPEER;
	r->promote_hold_s = c->hold_s;
	r->reason = g_strdup(mode == GNUT_ROLE_FORCED_ULTRAPEER ? "forced by --ultrapeer"
	                     : mode == GNUT_ROLE_FORCED_LEAF    ? "forced by --leaf"
	                                                        : "starting as a leaf");
	return r;
}

void gnut_role_free(gnut_role *r)
{
	if (r == NULL)
		return;
	g_free(r->reason);
	g_free(r);
}

const gnut_role_config *gnut_role_get_config(const gnut_role *r)
{
	return &r->config;
}

gboolean gnut_role_is_ultrapeer(const gnut_role *r)
{
	return r->ultrapeer;
}

gboolean gnut_role_is_auto(const gnut_role *r)
{
	return r->mode == GNUT_ROLE_AUTO;
}

const char *gnut_role_reason(const gnut_role *r)
{
	return r->reason;
}

guint gnut_role_changes(const gnut_role *r)
{
	return r->changes;
}

static gboolean seconds_since(gint64 now_us, gint64 then_us, guint s)
{
	return now_us - then_us >= (gint64)s * SEC;
}

/* A limit too low for an ultrapeer's traffic (0: no limit). */
static gboolean too_low(guint64 limit, guint64 min)
{
	return limit != 0 && limit < min;
}

gboolean gnut_role_qualifies(const gnut_role *r, const gnut_role_facts *f, GString *why)
{
	const gnut_role_config *c = &r->config;
	const char *miss = NULL;
	if (f->tcp_firewalled)
		miss = "TCP-firewalled (no connection reached our listener yet)";
	else if (!seconds_since(f->now_us, f->started_us, c->uptime_s))
		miss = "not up long enough";
	else if (too_low(f->upload_limit, c->min_upload))
		miss = "upload limit too low";
	else if (too_low(f->download_limit, c->min_download))
		miss = "download limit too low";
	else if (f->fd_limit < f->fds_as_ultrapeer)
		miss = "too few file descriptors";
	if (miss != NULL && why != NULL)
		g_string_assign(why, miss);
	return miss == NULL;
}

/* Past the hold since the last change (none yet: no hold). */
static gboolean hold_over(const gnut_role *r, gint64 now_us, guint hold_s)
{
	return r->switched_us == 0 || seconds_since(now_us, r->switched_us, hold_s);
}

/* Why a qualified leaf should become an ultrapeer, or NULL. */
static const char *promotion_reason(const gnut_role *r, const gnut_role_facts *f, GString *why)
{
	if (r->alone_since_us != 0 &&
	    seconds_since(f->now_us, r->alone_since_us, r->config.leaf_alone_s)) {
		g_string_printf(why, "no ultrapeer link for %u s", r->config.leaf_alone_s);
		return why->str;
	}
	if (f->ultrapeers_needing > 0) {
		g_string_assign(why, "an ultrapeer said X-Ultrapeer-Needed: True");
		return why->str;
	}
	if (r->leaf_refused_us != 0 &&
	    !seconds_since(f->now_us, r->leaf_refused_us, GNUT_ROLE_ASKING_S)) {
		g_string_assign(why, "leaves asked us for links");
		return why->str;
	}
	return NULL;
}

static gnut_role_change decide_as_leaf(gnut_role *r, const gnut_role_facts *f, GString *why)
{
	if (f->ultrapeer_links > 0)
		r->alone_since_us = 0;
	else if (r->alone_since_us == 0)
		r->alone_since_us = f->now_us;
	if (!hold_over(r, f->now_us, r->promote_hold_s) || !gnut_role_qualifies(r, f, NULL))
		return GNUT_ROLE_STAY;
	g_autoptr(GString) because = g_string_new(NULL);
	if (promotion_reason(r, f, because) == NULL)
		return GNUT_ROLE_STAY;
	g_string_printf(why, "qualifies and %s", because->str);
	return GNUT_ROLE_PROMOTE;
}

static gnut_role_change decide_as_ultrapeer(gnut_role *r, const gnut_role_facts *f, GString *why)
{
	const gnut_role_config *c = &r->config;
	if (f->leaf_links >= c->few_leaves)
		r->few_since_us = 0;
	else if (r->few_since_us == 0)
		r->few_since_us = f->now_us;
	if (!hold_over(r, f->now_us, c->hold_s))
		return GNUT_ROLE_STAY;
	g_autoptr(GString) miss = g_string_new(NULL);
	if (!gnut_role_qualifies(r, f, miss)) {
		g_string_printf(why, "no longer qualifies: %s", miss->str);
		return GNUT_ROLE_DEMOTE;
	}
	if (r->few_since_us != 0 && seconds_since(f->now_us, r->few_since_us, c->idle_s) &&
	    f->ultrapeers_with_room > 0) {
		g_string_printf(
		    why,
		    "fewer than %u leaves for %u s while an ultrapeer link has room for "
		    "leaves",
		    c->few_leaves, c->idle_s);
		return GNUT_ROLE_DEMOTE;
	}
	return GNUT_ROLE_STAY;
}

gnut_role_change gnut_role_decide(gnut_role *r, const gnut_role_facts *f, GString *why)
{
	if (r->mode != GNUT_ROLE_AUTO)
		return GNUT_ROLE_STAY;
	return r->ultrapeer ? decide_as_ultrapeer(r, f, why) : decide_as_leaf(r, f, why);
}

void gnut_role_switched(gnut_role *r, gboolean ultrapeer, gint64 now_us, const char *reason)
{
	if (r->ultrapeer && !ultrapeer) /* sent back: wait longer before the next try */
		r->promote_hold_s = MIN(r->promote_hold_s * 2, GNUT_ROLE_MAX_HOLD_S);
	r->ultrapeer = ultrapeer;
	r->switched_us = now_us;
	r->alone_since_us = 0;
	r->few_since_us = 0;
	r->leaf_refused_us = 0;
	r->changes++;
	g_free(r->reason);
	r->reason = g_strdup(reason);
}

void gnut_role_leaf_refused(gnut_role *r, gint64 now_us)
{
	r->leaf_refused_us = now_us;
}

gnut_role_needed gnut_role_guidance(const gnut_role *r, const gnut_role_facts *f)
{
	if (!r->ultrapeer)
		return GNUT_ROLE_NEEDED_NONE;
	gboolean leaves_ask = f->leaf_links > 0 ||
	                      (r->leaf_refused_us != 0 &&
	                       !seconds_since(f->now_us, r->leaf_refused_us, GNUT_ROLE_ASKING_S));
	if (f->ultrapeer_links < r->config.want_ultrapeers)
		return leaves_ask ? GNUT_ROLE_NEEDED_TRUE : GNUT_ROLE_NEEDED_NONE;
	return f->leaf_links < f->max_leaves ? GNUT_ROLE_NEEDED_FALSE : GNUT_ROLE_NEEDED_NONE;
}

gboolean gnut_role_takes_guidance(const gnut_role *r, const gnut_role_facts *f)
{
	return r->mode == GNUT_ROLE_AUTO && r->ultrapeer && f->leaf_links < r->config.few_leaves;
}
