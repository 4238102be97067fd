/* test-qrp-routes.c: the query routing tables an ultrapeer keeps for its
 * links (the routing room's private qrp-routes.h): tables received whole,
 * bad ones refused, and the memory caps: a table's slots per link, and all
 * links' together, with what a link gave back on closing or shrinking
 * counted out; and routing through the slot index answers as checking each
 * table does (GNUT_QRP_INDEX=off), as tables are reset, patched and
 * dropped; and ultrapeer QRP: the aggregate of the leaves' tables one
 * ultrapeer sends another, kept up to date by rate-limited patches. */
#include "core/routing/qrp-routes.h"
#include "gnut/core/share/partials.h"
#include "gnut/proto/qrp-table.h"
#include "unit.h"

#include <string.h>

#define LINK_CAP  (1u << 12)
#define TOTAL_CAP (3u << 12)

typedef struct {
	gnut_qrp_routes *q;
} fixture;

static void fixture_init(fixture *fx)
{
	fx->q = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, LINK_CAP, TOTAL_CAP);
}

static void fixture_clear(fixture *fx)
{
	gnut_qrp_routes_free(fx->q);
}

static gnut_qrp_routes_result feed(fixture *fx, guint64 link, GBytes *payload, const char **why)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(payload, &len);
	gnut_msg_header h = {.type = GNUT_QRP_MSG_TYPE, .ttl = 1, .length = (uint32_t)len};
	*why = NULL;
	return gnut_qrp_routes_received(fx->q, link, &h, p, why);
}

/* Sends link a whole table of `slots` slots with the word "beatles" in it;
 * returns the result of the last message. */
static gnut_qrp_routes_result send_table(fixture *fx, guint64 link, guint32 slots, const char **why)
{
	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new(slots);
	gnut_qrp_table_add(t, "beatles", 7, false);
	g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(t, NULL, NULL);
	gnut_qrp_routes_result res = GNUT_QRP_ROUTES_BAD;
	for (guint i = 0; i < msgs->len; i++) {
		res = feed(fx, link, g_ptr_array_index(msgs, i), why);
		if (res != GNUT_QRP_ROUTES_PENDING && res != GNUT_QRP_ROUTES_READY)
			break;
	}
	return res;
}

/* Just a RESET of `slots` slots (what an attacker sends, the largest). */
static gnut_qrp_routes_result send_reset(fixture *fx, guint64 link, guint32 slots, const char **why)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	gnut_qrp_reset r = {.table_length = slots, .infinity = 7};
	gnut_qrp_reset_encode(&r, b);
	g_autoptr(GBytes) payload = g_bytes_new(b->data, b->len);
	return feed(fx, link, payload, why);
}

static gnut_msg_in query_for(const char *text, guint8 *buf, gsize cap)
{
	gsize n = strlen(text);
	g_assert(n + 3 <= cap);
	buf[0] = 0;
	buf[1] = 0;
	memcpy(buf + 2, text, n + 1);
	gnut_msg_in m = {.type = GNUT_MSG_QUERY, .ttl = 1, .payload = buf, .payload_len = n + 3};
	m.guid.bytes[0] = (guint8)n; /* words are kept per GUID: one per text */
	m.guid.bytes[1] = (guint8)text[0];
	return m;
}

/* A table received whole is routed by; a bad message is refused. */
static void test_table_received(void)
{
	fixture fx;
	fixture_init(&fx);
	const char *why;
	CU_ASSERT_EQUAL(send_table(&fx, 1, 1024, &why), GNUT_QRP_ROUTES_READY);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), 1024);
	guint8 buf[64];
	gnut_msg_in hit = query_for("beatles", buf, sizeof buf);
	CU_ASSERT_TRUE(gnut_qrp_routes_table_hit(fx.q, 1, &hit));
	CU_ASSERT_TRUE(gnut_qrp_routes_filter(fx.q, 1, &hit));
	guint8 buf2[64];
	gnut_msg_in miss = query_for("zappa", buf2, sizeof buf2);
	CU_ASSERT_FALSE(gnut_qrp_routes_filter(fx.q, 1, &miss));
	CU_ASSERT_TRUE(gnut_qrp_routes_filter(fx.q, 2, &miss)); /* no table: passes */
	/* dynamic querying's questions: a miss needs a table */
	CU_ASSERT_TRUE(gnut_qrp_routes_table_miss(fx.q, 1, &miss));
	CU_ASSERT_FALSE(gnut_qrp_routes_table_miss(fx.q, 1, &hit));
	CU_ASSERT_FALSE(gnut_qrp_routes_table_miss(fx.q, 2, &miss));
	CU_ASSERT_FALSE(gnut_qrp_routes_table_hit(fx.q, 2, &hit));
	g_autoptr(GBytes) junk = g_bytes_new_static("\x01\x01\x01\x00\x04", 5);
	CU_ASSERT_EQUAL(feed(&fx, 3, junk, &why), GNUT_QRP_ROUTES_BAD);
	CU_ASSERT_PTR_NOT_NULL(why);
	fixture_clear(&fx);
}

/* Over the cap per link: refused, whatever the room left in all; the
 * link's table stays as it was. */
static void test_link_cap(void)
{
	fixture fx;
	fixture_init(&fx);
	const char *why;
	CU_ASSERT_EQUAL(send_reset(&fx, 1, GNUT_QRP_MAX_SLOTS, &why), GNUT_QRP_ROUTES_TOO_LARGE);
	CU_ASSERT_STRING_EQUAL(why, "QRP table too large");
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), 0);
	CU_ASSERT_EQUAL(send_table(&fx, 1, LINK_CAP, &why), GNUT_QRP_ROUTES_READY);
	CU_ASSERT_EQUAL(send_reset(&fx, 1, LINK_CAP * 2, &why), GNUT_QRP_ROUTES_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), LINK_CAP);
	guint8 buf[64];
	gnut_msg_in hit = query_for("beatles", buf, sizeof buf);
	CU_ASSERT_TRUE(gnut_qrp_routes_table_hit(fx.q, 1, &hit));
	fixture_clear(&fx);
}

/* All links together: the table that would pass the total is refused; a
 * link closing, or shrinking its table, makes room; a link's own table
 * does not count against its next one. */
static void test_total_cap(void)
{
	fixture fx;
	fixture_init(&fx);
	const char *why;
	for (guint64 link = 1; link <= 3; link++)
		CU_ASSERT_EQUAL(send_table(&fx, link, LINK_CAP, &why), GNUT_QRP_ROUTES_READY);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), TOTAL_CAP);
	CU_ASSERT_EQUAL(send_reset(&fx, 4, 1, &why), GNUT_QRP_ROUTES_FULL);
	CU_ASSERT_STRING_EQUAL(why, "QRP tables full");
	CU_ASSERT_EQUAL(send_reset(&fx, 3, LINK_CAP, &why), GNUT_QRP_ROUTES_PENDING);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), TOTAL_CAP);
	CU_ASSERT_EQUAL(send_table(&fx, 3, LINK_CAP / 4, &why), GNUT_QRP_ROUTES_READY);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), TOTAL_CAP - LINK_CAP / 4 * 3);
	CU_ASSERT_EQUAL(send_table(&fx, 4, LINK_CAP / 2, &why), GNUT_QRP_ROUTES_READY);
	CU_ASSERT_EQUAL(send_reset(&fx, 5, LINK_CAP / 2, &why), GNUT_QRP_ROUTES_FULL);
	gnut_qrp_routes_link_closed(fx.q, 1);
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q), LINK_CAP + LINK_CAP / 4 + LINK_CAP / 2);
	CU_ASSERT_EQUAL(send_table(&fx, 5, LINK_CAP, &why), GNUT_QRP_ROUTES_READY);
	gnut_qrp_routes_link_closed(fx.q, 42); /* never sent one: nothing changes */
	CU_ASSERT_EQUAL(gnut_qrp_routes_slots_held(fx.q),
	                2 * LINK_CAP + LINK_CAP / 4 + LINK_CAP / 2);
	fixture_clear(&fx);
}

/* Sends link a table of random words from w0..w499 to both routes. */
static void send_random_table(gnut_qrp_routes *both[2], guint64 link, GRand *rand)
{
	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new(1u << g_rand_int_range(rand, 10, 13));
	for (gint i = g_rand_int_range(rand, 0, 200); i > 0; i--) {
		g_autofree char *w = g_strdup_printf("w%d", g_rand_int_range(rand, 0, 500));
		gnut_qrp_table_add(t, w, strlen(w), false);
	}
	g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(t, NULL, NULL);
	for (guint i = 0; i < msgs->len; i++)
		for (guint r = 0; r < 2; r++) {
			fixture fx = {.q = both[r]};
			const char *why;
			CU_ASSERT_NOT_EQUAL(feed(&fx, link, g_ptr_array_index(msgs, i), &why),
			                    GNUT_QRP_ROUTES_BAD);
		}
}

/* The index's answers are the tables' answers, for every link and query,
 * while links send new tables, reset them, or go. */
static void test_index_as_tables(void)
{
	gnut_qrp_routes *both[2];
	both[0] = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, LINK_CAP, 1u << 24);
	g_setenv("GNUT_QRP_INDEX", "off", TRUE);
	both[1] = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, LINK_CAP, 1u << 24);
	g_unsetenv("GNUT_QRP_INDEX");
	GRand *rand = g_rand_new_with_seed(9);
	guint passed = 0;
	for (guint round = 0; round < 200; round++) {
		guint64 link = (guint64)g_rand_int_range(rand, 1, 80);
		gint what = g_rand_int_range(rand, 0, 6);
		const char *why;
		if (what == 0)
			for (guint r = 0; r < 2; r++)
				gnut_qrp_routes_link_closed(both[r], link);
		else if (what == 1)
			for (guint r = 0; r < 2; r++) {
				fixture fx = {.q = both[r]};
				send_reset(&fx, link, 1024, &why);
			}
		else
			send_random_table(both, link, rand);
		g_autofree char *text = g_strdup_printf("w%d w%d", g_rand_int_range(rand, 0, 500),
		                                        g_rand_int_range(rand, 0, 500));
		guint8 buf[64];
		gnut_msg_in query = query_for(text, buf, sizeof buf);
		query.guid.bytes[2] = (guint8)round; /* a new query each round */
		for (guint64 l = 0; l < 80; l++) {
			gboolean indexed = gnut_qrp_routes_filter(both[0], l, &query);
			CU_ASSERT_EQUAL(indexed, gnut_qrp_routes_filter(both[1], l, &query));
			CU_ASSERT_EQUAL(gnut_qrp_routes_table_hit(both[0], l, &query),
			                gnut_qrp_routes_table_hit(both[1], l, &query));
			CU_ASSERT_EQUAL(gnut_qrp_routes_table_miss(both[0], l, &query),
			                gnut_qrp_routes_table_miss(both[1], l, &query));
			passed += indexed;
		}
	}
	CU_ASSERT_TRUE(passed > 0);
	g_rand_free(rand);
	gnut_qrp_routes_free(both[0]);
	gnut_qrp_routes_free(both[1]);
}

/* A table of `slots` slots holding the words of a space-separated list. */
static gnut_qrp_table *table_of(guint32 slots, const char *words)
{
	gnut_qrp_table *t = gnut_qrp_table_new(slots);
	g_auto(GStrv) list = g_strsplit(words, " ", -1);
	for (guint i = 0; list[i] != NULL; i++)
		gnut_qrp_table_add(t, list[i], strlen(list[i]), false);
	return t;
}

/* Sends link of q what brings its table from `from` (NULL: none) to `to`. */
static void send_update(gnut_qrp_routes *q, guint64 link, const gnut_qrp_table *from,
                        const gnut_qrp_table *to)
{
	g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(to, from, NULL);
	fixture fx = {.q = q};
	for (guint i = 0; i < msgs->len; i++) {
		const char *why;
		CU_ASSERT_NOT_EQUAL(feed(&fx, link, g_ptr_array_index(msgs, i), &why),
		                    GNUT_QRP_ROUTES_BAD);
	}
}

/* The other end of an ultrapeer link: what one routes object sends there
 * is fed to another, as what arrives on link `as`. */
typedef struct {
	gnut_qrp_routes *to;
	guint64 as;
	guint resets;
	guint patches;
} wire;

static void wire_send(gpointer data, guint64 link, GBytes *payload)
{
	wire *w = data;
	gsize len;
	const guint8 *p = g_bytes_get_data(payload, &len);
	gnut_qrp_msg msg;
	CU_ASSERT_EQUAL_FATAL(gnut_qrp_msg_decode(p, len, &msg), GNUT_PROTO_OK);
	if (msg.variant == GNUT_QRP_VARIANT_RESET)
		w->resets++;
	else
		w->patches++;
	if (w->to == NULL)
		return;
	fixture fx = {.q = w->to};
	const char *why;
	CU_ASSERT_NOT_EQUAL(feed(&fx, w->as, payload, &why), GNUT_QRP_ROUTES_BAD);
	(void)link;
}

/* Does the query text pass link of q (a fresh GUID each call)? */
static gboolean passes(gnut_qrp_routes *q, guint64 link, const char *text)
{
	static guint8 n;
	guint8 buf[64];
	gnut_msg_in m = query_for(text, buf, sizeof buf);
	m.guid.bytes[3] = ++n;
	return gnut_qrp_routes_filter(q, link, &m);
}

/* A leaf's table holds the partial files it offers too: once one is
 * published and the routes told, its ultrapeer passes it the queries that
 * only that file matches, and no longer once it is withdrawn. */
static void test_partials_in_leaf_table(void)
{
	g_autoptr(GError) err = NULL;
	gnut_share *share = gnut_share_new(NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(share);
	g_autoptr(gnut_partials) partials = gnut_partials_new();
	gnut_qrp_routes *up = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, 1u << 20, 1u << 24);
	gnut_qrp_routes *leaf = gnut_qrp_routes_new(NULL, share, FALSE, TRUE, 1u << 20, 1u << 24);
	gnut_qrp_routes_set_partials(leaf, partials);
	wire w = {.to = up, .as = 5};
	gnut_qrp_routes_set_sender(leaf, wire_send, &w);
	gnut_qrp_routes_link_role(up, 5, GNUT_QRP_LINK_LEAF);
	gnut_qrp_routes_link_role(leaf, 1, GNUT_QRP_LINK_ULTRAPEER);
	CU_ASSERT_EQUAL(w.resets, 1);
	CU_ASSERT_FALSE(passes(up, 5, "growing"));
	const uint8_t sha1[GNUT_SHA1_LEN] = {3};
	const gnut_http_range r[] = {{0, 99}};
	CU_ASSERT_TRUE(
	    gnut_partials_publish(partials, sha1, "growing file.iso", 1000, "/p", r, 1, 1));
	gnut_qrp_routes_share_changed(leaf);
	CU_ASSERT_TRUE(passes(up, 5, "growing"));
	CU_ASSERT_TRUE(passes(up, 5, "file"));
	CU_ASSERT_FALSE(passes(up, 5, "other"));
	gnut_partials_withdraw(partials, sha1);
	gnut_qrp_routes_share_changed(leaf);
	CU_ASSERT_FALSE(passes(up, 5, "growing"));
	gnut_qrp_routes_free(leaf);
	gnut_qrp_routes_free(up);
	gnut_share_free(share);
}

/* Two ultrapeers: up1 with leaves 1 and 2 and ultrapeer link 10 (up2's
 * link 7 to it), an ultrapeer link 11 without ultrapeer QRP, and ultrapeer
 * QRP link 12, whose table must not enter the aggregate. */
typedef struct {
	gnut_qrp_routes *up1, *up2;
	wire w10, w11, w12;
} pair;

static void pair_send(gpointer data, guint64 link, GBytes *payload)
{
	pair *p = data;
	wire_send(link == 10 ? &p->w10 : link == 11 ? &p->w11 : &p->w12, link, payload);
}

static void pair_init(pair *p)
{
	memset(p, 0, sizeof *p);
	p->up1 = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, 1u << 20, 1u << 24);
	p->up2 = gnut_qrp_routes_new(NULL, NULL, TRUE, TRUE, 1u << 20, 1u << 24);
	p->w10 = (wire){.to = p->up2, .as = 7};
	p->w11 = (wire){.to = p->up2, .as = 8};
	gnut_qrp_routes_set_sender(p->up1, pair_send, p);
	gnut_qrp_routes_link_role(p->up1, 1, GNUT_QRP_LINK_LEAF);
	gnut_qrp_routes_link_role(p->up1, 2, GNUT_QRP_LINK_LEAF);
	gnut_qrp_routes_link_role(p->up1, 11, GNUT_QRP_LINK_ULTRAPEER);
	gnut_qrp_routes_link_role(p->up1, 12, GNUT_QRP_LINK_ULTRAPEER_QRP);
}

static void pair_free(pair *p)
{
	gnut_qrp_routes_free(p->up1);
	gnut_qrp_routes_free(p->up2);
}

/* Ultrapeer QRP links get the OR of the leaves' complete tables (of any
 * size), not other ultrapeers' tables: a new link at once the aggregate as
 * it stands, the update at the next tick; a query misses the ultrapeer
 * exactly when it misses every leaf. */
static void test_aggregate_sent(void)
{
	pair p;
	pair_init(&p);
	g_autoptr(gnut_qrp_table) l1 = table_of(1024, "beatles kinks");
	g_autoptr(gnut_qrp_table) l2 = table_of(1u << 17, "zappa");
	g_autoptr(gnut_qrp_table) u12 = table_of(65536, "mozart");
	send_update(p.up1, 1, NULL, l1);
	send_update(p.up1, 2, NULL, l2);
	send_update(p.up1, 12, NULL, u12);
	gnut_qrp_routes_link_role(p.up1, 10, GNUT_QRP_LINK_ULTRAPEER_QRP);
	CU_ASSERT_EQUAL(p.w10.resets, 1);
	CU_ASSERT_EQUAL(p.w12.resets, 1);
	CU_ASSERT_FALSE(passes(p.up2, 7, "beatles")); /* built when 12 came */
	gnut_qrp_routes_tick(p.up1, G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(p.w10.resets, 1);
	CU_ASSERT_TRUE(p.w10.patches >= 2);
	CU_ASSERT_TRUE(p.w12.patches >= 2);
	CU_ASSERT_EQUAL(p.w11.resets + p.w11.patches, 0); /* no ultrapeer QRP */
	const gnut_qrp_table *agg = gnut_qrp_routes_aggregate(p.up1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(agg);
	CU_ASSERT_EQUAL(gnut_qrp_table_slots(agg), GNUT_QRP_DEFAULT_SLOTS);
	CU_ASSERT_TRUE(passes(p.up2, 7, "beatles"));
	CU_ASSERT_TRUE(passes(p.up2, 7, "kinks"));
	CU_ASSERT_TRUE(passes(p.up2, 7, "zappa"));
	CU_ASSERT_TRUE(passes(p.up2, 7, "zappa beatles")); /* a unit: leaves together */
	CU_ASSERT_FALSE(passes(p.up2, 7, "mozart"));       /* ultrapeer 12's */
	CU_ASSERT_FALSE(passes(p.up2, 7, "hendrix"));
	CU_ASSERT_TRUE(passes(p.up2, 9, "hendrix")); /* no table: passes */
	pair_free(&p);
}

/* A leaf's new table, or a leaf gone, reaches the other ultrapeer as a
 * PATCH (no RESET), at most once every GNUT_QRP_AGGREGATE_INTERVAL_US,
 * changes in between batched; nothing goes when nothing changed. */
static void test_aggregate_patched(void)
{
	pair p;
	pair_init(&p);
	g_autoptr(gnut_qrp_table) l1 = table_of(1024, "beatles");
	g_autoptr(gnut_qrp_table) l1b = table_of(1024, "hendrix");
	g_autoptr(gnut_qrp_table) l2 = table_of(65536, "zappa");
	gnut_qrp_routes_link_role(p.up1, 10, GNUT_QRP_LINK_ULTRAPEER_QRP);
	send_update(p.up1, 1, NULL, l1);
	gint64 t = 1000 * G_USEC_PER_SEC;
	gnut_qrp_routes_tick(p.up1, t);
	CU_ASSERT_TRUE(passes(p.up2, 7, "beatles"));
	guint sent = p.w10.patches;
	gnut_qrp_routes_tick(p.up1, t + GNUT_QRP_AGGREGATE_INTERVAL_US);
	CU_ASSERT_EQUAL(p.w10.patches, sent); /* nothing changed */
	t += GNUT_QRP_AGGREGATE_INTERVAL_US;
	send_update(p.up1, 1, l1, l1b);
	gnut_qrp_routes_tick(p.up1, t);
	CU_ASSERT_TRUE(p.w10.patches > sent);
	CU_ASSERT_EQUAL(p.w10.resets, 1);
	CU_ASSERT_FALSE(passes(p.up2, 7, "beatles"));
	CU_ASSERT_TRUE(passes(p.up2, 7, "hendrix"));
	sent = p.w10.patches;
	send_update(p.up1, 2, NULL, l2);
	gnut_qrp_routes_tick(p.up1, t + GNUT_QRP_AGGREGATE_INTERVAL_US / 2);
	CU_ASSERT_EQUAL(p.w10.patches, sent); /* too soon */
	CU_ASSERT_FALSE(passes(p.up2, 7, "zappa"));
	gnut_qrp_routes_link_closed(p.up1, 1);
	gnut_qrp_routes_tick(p.up1, t + GNUT_QRP_AGGREGATE_INTERVAL_US);
	CU_ASSERT_TRUE(p.w10.patches > sent); /* both changes at once */
	CU_ASSERT_TRUE(passes(p.up2, 7, "zappa"));
	CU_ASSERT_FALSE(passes(p.up2, 7, "hendrix"));
	CU_ASSERT_EQUAL(p.w10.resets, 1);
	pair_free(&p);
}

/* With no ultrapeer QRP link the aggregate is not kept up to date; the
 * first such link gets it built fresh, with every leaf's table. */
static void test_aggregate_fresh_for_first_link(void)
{
	pair p;
	pair_init(&p);
	gnut_qrp_routes_link_closed(p.up1, 12);
	g_autoptr(gnut_qrp_table) l1 = table_of(1024, "beatles");
	g_autoptr(gnut_qrp_table) l2 = table_of(1024, "zappa");
	send_update(p.up1, 1, NULL, l1);
	gnut_qrp_routes_link_role(p.up1, 10, GNUT_QRP_LINK_ULTRAPEER_QRP);
	gnut_qrp_routes_link_closed(p.up1, 10);
	send_update(p.up1, 2, NULL, l2);
	gnut_qrp_routes_tick(p.up1, G_USEC_PER_SEC);
	CU_ASSERT_PTR_NULL(gnut_qrp_routes_aggregate(p.up1));
	gnut_qrp_routes_link_closed(p.up2, 7);
	gnut_qrp_routes_link_role(p.up1, 10, GNUT_QRP_LINK_ULTRAPEER_QRP);
	CU_ASSERT_TRUE(passes(p.up2, 7, "zappa"));
	CU_ASSERT_TRUE(passes(p.up2, 7, "beatles"));
	CU_ASSERT_FALSE(passes(p.up2, 7, "hendrix"));
	pair_free(&p);
}

static CU_TestInfo tests[] = {
    {"tables received, bad ones refused", test_table_received},
    {"cap per link", test_link_cap},
    {"cap over all links", test_total_cap},
    {"the index answers as each table does", test_index_as_tables},
    {"ultrapeer QRP: the aggregate sent", test_aggregate_sent},
    {"ultrapeer QRP: the aggregate patched, rate-limited", test_aggregate_patched},
    {"ultrapeer QRP: the aggregate fresh for the first link", test_aggregate_fresh_for_first_link},
    {"a leaf's table holds its partial files", test_partials_in_leaf_table},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("qrp-routes", tests)
