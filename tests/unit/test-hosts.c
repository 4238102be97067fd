/* test-hosts.c: the hosts room (gnut_hosts) on a manual clock and a real
 * temporary data dir: when gnut_hosts_next_dial gives a host (links and
 * dials short of what a leaf or an ultrapeer wants, at most
 * GNUT_HOSTS_MAX_CACHE_DIALS cache dials, hosts the known callback names
 * left out), hosts learned from a real pong payload and from handshake
 * headers, a failed dial holding a host back and a good one clearing the
 * hold, the cache file written at free and by the tick only once the save
 * interval passed with changes, and a new object over the same dir picking
 * the saved hosts again. Addresses are only strings in a cache: nothing is
 * dialed. */
#include "gnut/core/hosts/hosts.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/pong.h"
#include "unit.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define SEC      ((gint64)G_USEC_PER_SEC)
#define START_US ((gint64)1000 * SEC)

/* A hosts object over dir (a private network: loopback hosts are kept). Its
 * only bootstrap service is a GWebCache on a dead loopback port, so that the
 * built-in lists are never used; no UDP. */
static const char *const dead_gwc[] = {"http://127.0.0.1:1/", NULL};

static gnut_hosts *hosts_new(gnut_clock *clock, const char *dir, gboolean ultrapeer,
                             gboolean allow_private)
{
	gnut_hosts_config cfg = {
	    .clock = clock,
	    .data_dir = dir,
	    .ultrapeer = ultrapeer,
	    .allow_private = allow_private,
	    .gwc = dead_gwc,
	};
	GError *err = NULL;
	gnut_hosts *h = gnut_hosts_new(&cfg, &err);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

/* The known callback: names every host it is asked about (asked) and says
 * TRUE for those in known. */
typedef struct {
	const char *const *known;
	GPtrArray *asked;
} known_list;

static gboolean is_known(const char *host_port, gpointer data)
{
	known_list *k = data;
	g_ptr_array_add(k->asked, g_strdup(host_port));
	return k->known != NULL && g_strv_contains(k->known, host_port);
}

static gboolean nothing_known(const char *host_port, gpointer data)
{
	return FALSE;
}

/* The next host next_dial gives with links and dials as given, or "". */
static const char *next(gnut_hosts *h, guint links, guint dialing, guint cache_dialing,
                        char out[GNUT_ADDR_IPV4_PORT_LEN])
{
	gboolean tls;
	if (!gnut_hosts_next_dial(h, links, dialing, cache_dialing, nothing_known, NULL, out, &tls))
		out[0] = '\0';
	return out;
}

/* A host learned the way a peer's Listen-IP teaches it. */
static void learn_listen(gnut_hosts *h, const char *ip, guint16 port)
{
	gnut_hosts_learn_handshake(h, NULL, ip, port, TRUE, FALSE);
}

static char *cache_path(const char *dir)
{
	return g_build_filename(dir, GNUT_HOSTS_FILE, NULL);
}

static void test_leaf_wants_three_links(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), ""); /* nothing learned yet */
	learn_listen(h, "127.0.0.2", 6346);
	/* links + dialing at GNUT_HOSTS_WANT_LINKS_LEAF: no dial */
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF, 0, 0, out), "");
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF - 1, 1, 0, out), "");
	CU_ASSERT_STRING_EQUAL(next(h, 0, GNUT_HOSTS_WANT_LINKS_LEAF, 0, out), "");
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF + 5, 0, 0, out), "");
	/* too many cache dials under way, however few the links */
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, GNUT_HOSTS_MAX_CACHE_DIALS, out), "");
	/* one short: the host, which the refusals above did not use up */
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF - 1, 0, 0, out),
	                       "127.0.0.2:6346");
	/* picked: being dialed, it is not given twice */
	CU_ASSERT_STRING_EQUAL(next(h, 0, 1, 1, out), "");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_ultrapeer_wants_eight_links(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, TRUE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	for (guint i = 0; i < 4; i++) {
		g_autofree char *ip = g_strdup_printf("127.0.1.%u", i + 1);
		learn_listen(h, ip, 6346);
		gnut_clock_manual_advance(clock, SEC);
	}
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_UP, 0, 0, out), "");
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_UP - 2, 2, 0, out), "");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, GNUT_HOSTS_MAX_CACHE_DIALS, out), "");
	/* a leaf's count is no reason for an ultrapeer to stop */
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF, 0, 0, out), "127.0.1.4:6346");
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_UP - 2, 1, 0, out), "127.0.1.3:6346");
	/* one cache dial under way leaves room for one more */
	CU_ASSERT_STRING_EQUAL(next(h, 0, 2, GNUT_HOSTS_MAX_CACHE_DIALS - 1, out),
	                       "127.0.1.2:6346");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_known_hosts_excluded(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	learn_listen(h, "127.0.0.2", 6346);
	gnut_clock_manual_advance(clock, SEC);
	learn_listen(h, "127.0.0.3", 6347); /* newer: picked first */
	const char *const linked[] = {"127.0.0.3:6347", NULL};
	known_list k = {linked, g_ptr_array_new_with_free_func(g_free)};
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	gboolean tls;
	CU_ASSERT_TRUE(gnut_hosts_next_dial(h, 0, 0, 0, is_known, &k, out, &tls));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.2:6346");
	/* the callback was asked about the newer host, as "a.b.c.d:port" */
	CU_ASSERT_TRUE(
	    g_ptr_array_find_with_equal_func(k.asked, "127.0.0.3:6347", g_str_equal, NULL));
	/* every host known (or being dialed): none */
	const char *const all[] = {"127.0.0.2:6346", "127.0.0.3:6347", NULL};
	k.known = all;
	CU_ASSERT_FALSE(gnut_hosts_next_dial(h, 0, 0, 0, is_known, &k, out, &tls));
	/* the excluded host was not used up by being excluded */
	k.known = NULL;
	CU_ASSERT_TRUE(gnut_hosts_next_dial(h, 0, 0, 0, is_known, &k, out, &tls));
	CU_ASSERT_STRING_EQUAL(out, "127.0.0.3:6347");
	g_ptr_array_unref(k.asked);
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

/* A pong payload for ip:port built by the pong encoder; with tls, its GGEP
 * block holds TLS, as gtk-gnutella's and gnutd's do. */
static GByteArray *pong_payload(guint32 ip, guint16 port, gboolean tls)
{
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_ggep_item item = {.id = "TLS"};
	if (tls)
		gnut_ggep_encode(&item, 1, ggep);
	GByteArray *payload = g_byte_array_new();
	gnut_pong p = {
	    .port = port, .ipv4 = ip, .files = 12, .kib = 3456, .ggep = {ggep->data, ggep->len}};
	gnut_pong_encode(payload, &p);
	CU_ASSERT_EQUAL(payload->len, GNUT_PONG_LEN + ggep->len);
	return payload;
}

static void test_learn_pong(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	g_autoptr(GByteArray) pong = pong_payload(0x7f000005, 6350, FALSE); /* 127.0.0.5 */
	gnut_msg_header mh = {.type = GNUT_MSG_PONG, .ttl = 1, .hops = 2, .length = pong->len};
	gnut_guid_generate(&mh.guid);
	/* a payload shorter than a pong teaches nothing */
	gnut_msg_header cut = mh;
	cut.length = GNUT_PONG_LEN - 1;
	gnut_hosts_learn_pong(h, &cut, pong->data);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	gnut_hosts_learn_pong(h, &mh, pong->data);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.5:6350");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

/* The next host and whether the cache says it speaks TLS ("" and FALSE:
 * none). */
static const char *next_tls(gnut_hosts *h, char out[GNUT_ADDR_IPV4_PORT_LEN], gboolean *tls)
{
	*tls = FALSE;
	if (!gnut_hosts_next_dial(h, 0, 0, 0, nothing_known, NULL, out, tls))
		out[0] = '\0';
	return out;
}

/* Pongs with GGEP TLS, handshakes listing tls and hits with GGEP TLS mark
 * a host as speaking TLS; a failed TLS dial forgets it; the mark is saved. */
static void test_learn_tls(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	gboolean tls;
	gnut_msg_header mh = {.type = GNUT_MSG_PONG, .ttl = 1};
	g_autoptr(GByteArray) with = pong_payload(0x7f000005, 6350, TRUE);
	mh.length = with->len;
	gnut_hosts_learn_pong(h, &mh, with->data);
	CU_ASSERT_STRING_EQUAL(next_tls(h, out, &tls), "127.0.0.5:6350");
	CU_ASSERT_TRUE(tls);
	/* a pong without TLS about the same host does not unlearn it */
	g_autoptr(GByteArray) plain = pong_payload(0x7f000005, 6350, FALSE);
	mh.length = plain->len;
	gnut_hosts_learn_pong(h, &mh, plain->data);
	g_autoptr(GByteArray) other = pong_payload(0x7f000006, 6351, FALSE);
	gnut_hosts_learn_pong(h, &mh, other->data);
	CU_ASSERT_STRING_EQUAL(next_tls(h, out, &tls), "127.0.0.6:6351");
	CU_ASSERT_FALSE(tls);
	/* a failed TLS dial forgets it, a handshake listing tls teaches it */
	gnut_hosts_tls_failed(h, "127.0.0.5:6350");
	gnut_hosts_tls_failed(h, "not an address");
	gnut_hosts_learn_handshake(h, NULL, "127.0.0.7", 6352, TRUE, TRUE);
	/* a hit's TLS marks a cached host, and adds none */
	gnut_hosts_learn_hit_tls(h, 0x7f000006, 6351);
	gnut_hosts_learn_hit_tls(h, 0x7f000009, 6359);
	gnut_hosts_free(h); /* saved */
	h = hosts_new(clock, dir, FALSE, TRUE);
	g_autoptr(GArray) list = gnut_hosts_list(h);
	CU_ASSERT_EQUAL(list->len, 3);
	guint with_tls = 0;
	for (guint i = 0; i < list->len; i++) {
		const gnut_hostcache_entry *e = &g_array_index(list, gnut_hostcache_entry, i);
		with_tls += e->tls;
		CU_ASSERT_EQUAL(e->tls, e->ip != 0x7f000005);
	}
	CU_ASSERT_EQUAL(with_tls, 2);
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_learn_pong_public_only(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, FALSE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_msg_header mh = {.type = GNUT_MSG_PONG, .ttl = 1};
	g_autoptr(GByteArray) loop = pong_payload(0x7f000005, 6350, FALSE);
	mh.length = loop->len;
	gnut_hosts_learn_pong(h, &mh, loop->data);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), ""); /* loopback: not on the Internet */
	g_autoptr(GByteArray) pub = pong_payload(0x05060708, 6351, FALSE); /* 5.6.7.8 */
	mh.length = pub->len;
	gnut_hosts_learn_pong(h, &mh, pub->data);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "5.6.7.8:6351");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_learn_handshake(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, TRUE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	/* no listening address: nothing from it */
	gnut_hosts_learn_handshake(h, NULL, NULL, 6346, TRUE, FALSE);
	gnut_hosts_learn_handshake(h, NULL, "127.0.0.9", 0, TRUE, FALSE);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	/* X-Try-Ultrapeers entries are ultrapeers, picked before a leaf's own
	 * Listen-IP even though that one was seen as recently */
	const char *const tries[] = {"127.0.0.2:6346", "127.0.0.3:6347", NULL};
	gnut_hosts_learn_handshake(h, tries, "127.0.0.4", 6348, FALSE, FALSE);
	g_autoptr(GPtrArray) first_two = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(first_two, g_strdup(next(h, 0, 0, 0, out)));
	g_ptr_array_add(first_two, g_strdup(next(h, 0, 0, 0, out)));
	CU_ASSERT_TRUE(
	    g_ptr_array_find_with_equal_func(first_two, "127.0.0.2:6346", g_str_equal, NULL));
	CU_ASSERT_TRUE(
	    g_ptr_array_find_with_equal_func(first_two, "127.0.0.3:6347", g_str_equal, NULL));
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.4:6348");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_learn_handshake_public_only(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, FALSE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	const char *const tries[] = {"192.168.1.2:6346", "5.6.7.8:6346", "not a host", NULL};
	gnut_hosts_learn_handshake(h, tries, "10.0.0.1", 6346, TRUE, FALSE);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "5.6.7.8:6346");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	gnut_hosts_learn_handshake(h, NULL, "1.2.3.4", 6349, TRUE, FALSE);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "1.2.3.4:6349");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_dial_result(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	learn_listen(h, "127.0.0.2", 6346);
	gnut_clock_manual_advance(clock, SEC);
	learn_listen(h, "127.0.0.3", 6346); /* newer: picked first */
	/* a good dial clears the hold of the attempt at once */
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.3:6346");
	gnut_hosts_dial_result(h, "127.0.0.3:6346", TRUE);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.3:6346");
	gnut_hosts_dial_result(h, "127.0.0.3:6346", TRUE);
	/* a failed one holds the host back past the attempt's own hold:
	 * picked at t, failed at t + 30 s, still held at t + attempt */
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.3:6346");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.2:6346");
	gnut_clock_manual_advance(clock, 30 * SEC);
	gnut_hosts_dial_result(h, "127.0.0.3:6346", FALSE);
	gnut_hosts_dial_result(h, "not an address", FALSE); /* ignored */
	gnut_clock_manual_advance(clock, (gint64)GNUT_HOSTCACHE_ATTEMPT_S * SEC - 30 * SEC);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.2:6346");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	gnut_clock_manual_advance(clock, 30 * SEC);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.3:6346");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_saved_at_free(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = cache_path(dir);
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	const char *const tries[] = {"127.0.0.7:6346", NULL};
	gnut_hosts_learn_handshake(h, tries, "127.0.0.8", 6347, FALSE, FALSE);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.7:6346"); /* an attempt */
	gnut_hosts_free(h);
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "127.0.0.7:6346"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "127.0.0.8:6347"));
	/* a new object over the same dir: the saved hosts, no hold-back kept,
	 * the ultrapeer still first */
	h = hosts_new(clock, dir, FALSE, TRUE);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.7:6346");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.8:6347");
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_saved_by_tick_when_dirty(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = cache_path(dir);
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	learn_listen(h, "127.0.0.2", 6346);
	/* changed, but the interval has not passed */
	gnut_clock_manual_advance(clock, GNUT_HOSTS_SAVE_INTERVAL_US - 1);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	/* it has: saved */
	gnut_clock_manual_advance(clock, 1);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "127.0.0.2:6346"));
	/* another interval without a change: not written again */
	CU_ASSERT_EQUAL(g_unlink(path), 0);
	gnut_clock_manual_advance(clock, GNUT_HOSTS_SAVE_INTERVAL_US);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	/* a change after that interval: written at the next tick */
	learn_listen(h, "127.0.0.3", 6347);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	g_free(text);
	text = NULL;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "127.0.0.3:6347"));
	/* a change right after a save waits for the next interval */
	CU_ASSERT_EQUAL(g_unlink(path), 0);
	learn_listen(h, "127.0.0.4", 6348);
	gnut_clock_manual_advance(clock, GNUT_HOSTS_SAVE_INTERVAL_US / 2);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	/* what the tick saved is what a new object over the dir picks */
	gnut_clock_manual_advance(clock, GNUT_HOSTS_SAVE_INTERVAL_US / 2);
	gnut_hosts_tick(h, gnut_clock_now_us(clock), FALSE, 0, 0);
	CU_ASSERT_TRUE(g_file_test(path, G_FILE_TEST_EXISTS));
	gnut_hosts *again = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_STRING_EQUAL(next(again, 0, 0, 0, out), "127.0.0.4:6348");
	CU_ASSERT_STRING_EQUAL(next(again, 0, 0, 0, out), "127.0.0.3:6347");
	CU_ASSERT_STRING_EQUAL(next(again, 0, 0, 0, out), "127.0.0.2:6346");
	gnut_hosts_free(again);
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static void test_unusable_cache_file(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = cache_path(dir);
	CU_ASSERT_EQUAL(g_mkdir(path, 0700), 0); /* not a regular file */
	gnut_hosts_config cfg = {.clock = clock, .data_dir = dir, .allow_private = TRUE};
	GError *err = NULL;
	CU_ASSERT_PTR_NULL(gnut_hosts_new(&cfg, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	gnut_unit_rmtree(dir);
}

/* The caches are wanted when no cached host is left to dial while links
 * are: at once with an empty cache, after the grace period with hosts that
 * are all held back; not while links suffice. */
static void test_wants_bootstrap(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_hosts *h = hosts_new(clock, dir, FALSE, TRUE);
	char out[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_FALSE(gnut_hosts_wants_bootstrap(h));
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	CU_ASSERT_TRUE(gnut_hosts_wants_bootstrap(h)); /* empty: at once */
	CU_ASSERT_STRING_EQUAL(next(h, GNUT_HOSTS_WANT_LINKS_LEAF, 0, 0, out), "");
	CU_ASSERT_FALSE(gnut_hosts_wants_bootstrap(h)); /* links enough */
	learn_listen(h, "127.0.0.2", 6346);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "127.0.0.2:6346");
	CU_ASSERT_FALSE(gnut_hosts_wants_bootstrap(h));
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), ""); /* held back after the pick */
	CU_ASSERT_FALSE(gnut_hosts_wants_bootstrap(h));
	gnut_clock_manual_advance(clock, (GNUT_HOSTS_BOOTSTRAP_GRACE_S - 1) * SEC);
	next(h, 0, 0, 0, out);
	CU_ASSERT_FALSE(gnut_hosts_wants_bootstrap(h));
	gnut_hosts_dial_result(h, "127.0.0.2:6346", FALSE); /* backed off */
	gnut_clock_manual_advance(clock, 1 * SEC);
	CU_ASSERT_STRING_EQUAL(next(h, 0, 0, 0, out), "");
	CU_ASSERT_TRUE(gnut_hosts_wants_bootstrap(h));
	gnut_hosts_free(h);
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"a leaf dials while short of three links", test_leaf_wants_three_links},
    {"an ultrapeer dials while short of eight links", test_ultrapeer_wants_eight_links},
    {"the known callback excludes hosts", test_known_hosts_excluded},
    {"a pong teaches its host", test_learn_pong},
    {"TLS learned from pongs, handshakes and hits, forgotten on failure", test_learn_tls},
    {"pongs: only public hosts without allow_private", test_learn_pong_public_only},
    {"a handshake teaches X-Try-Ultrapeers and Listen-IP", test_learn_handshake},
    {"handshakes: only public hosts without allow_private", test_learn_handshake_public_only},
    {"dial results: failure holds back, success clears", test_dial_result},
    {"saved at free, picked by a new object", test_saved_at_free},
    {"saved by the tick after the interval when changed", test_saved_by_tick_when_dirty},
    {"an unusable cache file fails the object", test_unusable_cache_file},
    {"bootstrap wanted: empty cache, grace, enough links", test_wants_bootstrap},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("hosts", tests)
