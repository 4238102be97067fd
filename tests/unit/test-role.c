/* test-role.c: the leaf / ultrapeer policy (role.h) on facts built by hand,
 * the clock being the facts' now_us: forced roles stay, the conditions to
 * qualify (each one missed names itself), the three reasons a qualified
 * leaf is promoted, the hold and its doubling after a demotion, the two
 * demotions, the X-Ultrapeer-Needed we send, and who takes leaf guidance. */
#include "gnut/core/links/role.h"
#include "unit.h"

#include <string.h>

#define SEC      ((gint64)G_USEC_PER_SEC)
#define START_US ((gint64)1000 * SEC)

/* Facts of a servent that qualifies, up for `up_s` seconds. */
static gnut_role_facts facts_at(gint64 up_s)
{
	gnut_role_facts f = {
	    .now_us = START_US + up_s * SEC,
	    .started_us = START_US,
	    .tcp_firewalled = FALSE,
	    .fd_limit = 4096,
	    .fds_as_ultrapeer = 500,
	    .max_leaves = 300,
	};
	return f;
}

/* A role on short, distinct thresholds. */
static gnut_role *role_new(gnut_role_mode mode)
{
	gnut_role_config c = {
	    .uptime_s = 60,
	    .hold_s = 100,
	    .leaf_alone_s = 30,
	    .few_leaves = 3,
	    .idle_s = 200,
	    .want_ultrapeers = 4,
	};
	return gnut_role_new(&c, mode);
}

static gnut_role_change decide(gnut_role *r, const gnut_role_facts *f)
{
	g_autoptr(GString) why = g_string_new(NULL);
	return gnut_role_decide(r, f, why);
}

static void test_defaults(void)
{
	gnut_role_config zero = {0};
	gnut_role *r = gnut_role_new(&zero, GNUT_ROLE_AUTO);
	const gnut_role_config *c = gnut_role_get_config(r);
	CU_ASSERT_EQUAL(c->uptime_s, GNUT_ROLE_DEFAULT_UPTIME_S);
	CU_ASSERT_EQUAL(c->min_upload, GNUT_ROLE_DEFAULT_MIN_UPLOAD);
	CU_ASSERT_EQUAL(c->min_download, GNUT_ROLE_DEFAULT_MIN_DOWNLOAD);
	CU_ASSERT_EQUAL(c->hold_s, GNUT_ROLE_DEFAULT_HOLD_S);
	CU_ASSERT_EQUAL(c->leaf_ultrapeers, 3);
	CU_ASSERT_EQUAL(c->want_ultrapeers, GNUT_ROLE_DEFAULT_WANT_ULTRAPEERS);
	CU_ASSERT_FALSE(gnut_role_is_ultrapeer(r));
	CU_ASSERT_TRUE(gnut_role_is_auto(r));
	CU_ASSERT_STRING_EQUAL(gnut_role_reason(r), "starting as a leaf");
	/* with the defaults, 10 minutes of uptime are needed */
	gnut_role_facts f = facts_at(GNUT_ROLE_DEFAULT_UPTIME_S - 1);
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, NULL));
	f = facts_at(GNUT_ROLE_DEFAULT_UPTIME_S);
	CU_ASSERT_TRUE(gnut_role_qualifies(r, &f, NULL));
	gnut_role_free(r);
}

static void test_forced_roles_stay(void)
{
	gnut_role *leaf = role_new(GNUT_ROLE_FORCED_LEAF);
	gnut_role *up = role_new(GNUT_ROLE_FORCED_ULTRAPEER);
	CU_ASSERT_FALSE(gnut_role_is_ultrapeer(leaf));
	CU_ASSERT_TRUE(gnut_role_is_ultrapeer(up));
	CU_ASSERT_STRING_EQUAL(gnut_role_reason(leaf), "forced by --leaf");
	CU_ASSERT_STRING_EQUAL(gnut_role_reason(up), "forced by --ultrapeer");
	for (gint64 t = 0; t < 10000; t += 50) {
		gnut_role_facts f = facts_at(t); /* alone, qualified, no leaves */
		f.ultrapeers_with_room = 1;
		CU_ASSERT_EQUAL(decide(leaf, &f), GNUT_ROLE_STAY);
		f.tcp_firewalled = TRUE; /* an ultrapeer that no longer qualifies */
		CU_ASSERT_EQUAL(decide(up, &f), GNUT_ROLE_STAY);
	}
	gnut_role_facts f = facts_at(1000);
	CU_ASSERT_FALSE(gnut_role_takes_guidance(up, &f));
	CU_ASSERT_FALSE(gnut_role_takes_guidance(leaf, &f));
	CU_ASSERT_EQUAL(gnut_role_changes(leaf) + gnut_role_changes(up), 0);
	gnut_role_free(leaf);
	gnut_role_free(up);
}

static void test_qualifies_names_the_miss(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	g_autoptr(GString) why = g_string_new(NULL);
	gnut_role_facts f = facts_at(60);
	CU_ASSERT_TRUE(gnut_role_qualifies(r, &f, why));
	f.tcp_firewalled = TRUE;
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, why));
	CU_ASSERT_PTR_NOT_NULL(strstr(why->str, "firewalled"));
	f = facts_at(59);
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, why));
	CU_ASSERT_STRING_EQUAL(why->str, "not up long enough");
	f = facts_at(60);
	f.upload_limit = GNUT_ROLE_DEFAULT_MIN_UPLOAD - 1;
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, why));
	CU_ASSERT_STRING_EQUAL(why->str, "upload limit too low");
	f.upload_limit = GNUT_ROLE_DEFAULT_MIN_UPLOAD; /* the floor itself is enough */
	CU_ASSERT_TRUE(gnut_role_qualifies(r, &f, NULL));
	f.download_limit = GNUT_ROLE_DEFAULT_MIN_DOWNLOAD - 1;
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, why));
	CU_ASSERT_STRING_EQUAL(why->str, "download limit too low");
	f = facts_at(60);
	f.fd_limit = 499;
	CU_ASSERT_FALSE(gnut_role_qualifies(r, &f, why));
	CU_ASSERT_STRING_EQUAL(why->str, "too few file descriptors");
	f.fd_limit = G_MAXUINT64; /* unlimited */
	CU_ASSERT_TRUE(gnut_role_qualifies(r, &f, NULL));
	gnut_role_free(r);
}

/* A leaf alone: promoted once it qualifies and has been alone long enough,
 * never while firewalled. */
static void test_promoted_when_alone(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	gnut_role_facts f = facts_at(0);
	f.ultrapeer_links = 1;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	for (gint64 t = 10; t <= 100; t += 10) { /* alone from t = 10 on, firewalled */
		f = facts_at(t);
		f.tcp_firewalled = TRUE;
		CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	}
	gnut_role *r2 = role_new(GNUT_ROLE_AUTO);
	f = facts_at(59);
	CU_ASSERT_EQUAL(decide(r2, &f), GNUT_ROLE_STAY); /* alone since 59, uptime short */
	f = facts_at(60);
	CU_ASSERT_EQUAL(decide(r2, &f), GNUT_ROLE_STAY); /* qualifies, alone 1 s */
	f = facts_at(88);
	CU_ASSERT_EQUAL(decide(r2, &f), GNUT_ROLE_STAY);
	f = facts_at(89);
	g_autoptr(GString) why = g_string_new(NULL);
	CU_ASSERT_EQUAL(gnut_role_decide(r2, &f, why), GNUT_ROLE_PROMOTE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why->str, "no ultrapeer link for 30 s"));
	/* the firewalled one is promoted at once when a connection reaches it */
	f = facts_at(110);
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_PROMOTE);
	gnut_role_free(r);
	gnut_role_free(r2);
}

/* A leaf with ultrapeer links: promoted when one of them asks for
 * ultrapeers, or when leaves asked us recently; else it stays. */
static void test_promoted_when_needed(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	for (gint64 t = 60; t < 1000; t += 100) {
		gnut_role_facts f = facts_at(t);
		f.ultrapeer_links = 3;
		CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	}
	gnut_role_facts f = facts_at(1000);
	f.ultrapeer_links = 3;
	f.ultrapeers_needing = 1;
	g_autoptr(GString) why = g_string_new(NULL);
	CU_ASSERT_EQUAL(gnut_role_decide(r, &f, why), GNUT_ROLE_PROMOTE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why->str, "X-Ultrapeer-Needed: True"));
	f.ultrapeers_needing = 0;
	gnut_role_leaf_refused(r, f.now_us);
	CU_ASSERT_EQUAL(gnut_role_decide(r, &f, why), GNUT_ROLE_PROMOTE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why->str, "leaves asked"));
	f.now_us += (GNUT_ROLE_ASKING_S - 1) * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_PROMOTE);
	f.now_us += SEC; /* that was too long ago */
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	gnut_role_free(r);
}

/* An automatic ultrapeer: demoted after idle_s with fewer than few_leaves
 * leaves while an ultrapeer link has room, not before the hold, not
 * without such a link; and promoted again only after the doubled hold. */
static void test_demoted_when_idle(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	gnut_role_switched(r, TRUE, START_US + 100 * SEC, "test");
	CU_ASSERT_TRUE(gnut_role_is_ultrapeer(r));
	CU_ASSERT_EQUAL(gnut_role_changes(r), 1);
	gnut_role_facts f;
	for (gint64 t = 100; t <= 400; t += 10) { /* 2 leaves, no link with room */
		f = facts_at(t);
		f.leaf_links = 2;
		f.ultrapeer_links = 5;
		CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	}
	f.ultrapeers_with_room = 1; /* t = 400: short of leaves for 300 s */
	g_autoptr(GString) why = g_string_new(NULL);
	CU_ASSERT_EQUAL(gnut_role_decide(r, &f, why), GNUT_ROLE_DEMOTE);
	CU_ASSERT_PTR_NOT_NULL(strstr(why->str, "fewer than 3 leaves for 200 s"));
	/* three leaves reset the count */
	f.leaf_links = 3;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	f.leaf_links = 2;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	f.now_us += 199 * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	f.now_us += 1 * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_DEMOTE);
	gint64 demoted_us = f.now_us;
	gnut_role_switched(r, FALSE, demoted_us, "test");
	/* alone and qualified: promoted after the doubled hold (200 s) */
	f = facts_at(0);
	f.now_us = demoted_us + 150 * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY); /* alone from here on */
	f.now_us = demoted_us + 199 * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY);
	f.now_us = demoted_us + 200 * SEC;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_PROMOTE);
	gnut_role_free(r);
}

/* An automatic ultrapeer that no longer qualifies is demoted, once the
 * hold since its promotion is over. */
static void test_demoted_when_unqualified(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	gnut_role_switched(r, TRUE, START_US + 100 * SEC, "test");
	gnut_role_facts f = facts_at(150);
	f.leaf_links = 10;
	f.fd_limit = 100;
	CU_ASSERT_EQUAL(decide(r, &f), GNUT_ROLE_STAY); /* within the hold */
	f = facts_at(200);
	f.leaf_links = 10;
	f.fd_limit = 100;
	g_autoptr(GString) why = g_string_new(NULL);
	CU_ASSERT_EQUAL(gnut_role_decide(r, &f, why), GNUT_ROLE_DEMOTE);
	CU_ASSERT_STRING_EQUAL(why->str, "no longer qualifies: too few file descriptors");
	gnut_role_free(r);
}

static void test_guidance_we_send(void)
{
	gnut_role *leaf = role_new(GNUT_ROLE_AUTO);
	gnut_role *up = role_new(GNUT_ROLE_FORCED_ULTRAPEER);
	gnut_role_facts f = facts_at(10);
	f.leaf_links = 5;
	CU_ASSERT_EQUAL(gnut_role_guidance(leaf, &f), GNUT_ROLE_NEEDED_NONE);
	/* few ultrapeer links (want 4): True while leaves ask */
	f.ultrapeer_links = 3;
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_TRUE);
	f.leaf_links = 0;
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_NONE);
	gnut_role_leaf_refused(up, f.now_us);
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_TRUE);
	f.now_us += GNUT_ROLE_ASKING_S * SEC;
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_NONE);
	/* enough ultrapeer links and room for leaves: be our leaf */
	f.ultrapeer_links = 4;
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_FALSE);
	f.leaf_links = 299;
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_FALSE);
	f.leaf_links = 300; /* no room */
	CU_ASSERT_EQUAL(gnut_role_guidance(up, &f), GNUT_ROLE_NEEDED_NONE);
	gnut_role_free(leaf);
	gnut_role_free(up);
}

static void test_who_takes_guidance(void)
{
	gnut_role *r = role_new(GNUT_ROLE_AUTO);
	gnut_role_facts f = facts_at(10);
	CU_ASSERT_FALSE(gnut_role_takes_guidance(r, &f)); /* a leaf already */
	gnut_role_switched(r, TRUE, f.now_us, "test");
	f.leaf_links = 2;
	CU_ASSERT_TRUE(gnut_role_takes_guidance(r, &f));
	f.leaf_links = 3; /* as many as few_leaves: it keeps them */
	CU_ASSERT_FALSE(gnut_role_takes_guidance(r, &f));
	gnut_role_switched(r, FALSE, f.now_us, "leaf guidance from 127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(gnut_role_reason(r), "leaf guidance from 127.0.0.1:1");
	CU_ASSERT_EQUAL(gnut_role_changes(r), 2);
	gnut_role_free(r);
}

static CU_TestInfo tests[] = {
    {"defaults", test_defaults},
    {"forced roles never change", test_forced_roles_stay},
    {"qualifying: each condition missed names itself", test_qualifies_names_the_miss},
    {"a qualified leaf alone is promoted", test_promoted_when_alone},
    {"a leaf is promoted when ultrapeers or leaves ask", test_promoted_when_needed},
    {"an idle ultrapeer next to one with room is demoted", test_demoted_when_idle},
    {"an ultrapeer that no longer qualifies is demoted", test_demoted_when_unqualified},
    {"the X-Ultrapeer-Needed we send", test_guidance_we_send},
    {"who takes leaf guidance", test_who_takes_guidance},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("role", tests)
