/* test-servent.c: two real servents in one process and one main loop, linked
 * over loopback by the suite's init: B finds A's file with a search and
 * downloads it, SHA-1 checked; status, peers and shares report what
 * happened; bad arguments are refused. Three tests link servents of
 * their own: three to follow X-Try-Ultrapeers, a pair to stop one of them, an
 * ultrapeer and three leaves to route a query by QRP or flood it. */
#include "gnut/proto/digest.h"
#include "gnut/base/ip-admit.h"
#include "gnut/core/servent.h"
#include "gnut/proto/urn.h"
#include "config.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define WAIT_MS 20000 /* bound on any wait: turns a hang into a failure */

typedef gboolean (*condition_fn)(gpointer data);

static gboolean run_until(condition_fn cond, gpointer data)
{
	return gnut_unit_run_until(cond, data, WAIT_MS);
}

/* The suite's fixture, built by suite_init: A shares image.png (content)
 * and notes.txt, B is linked to A. Tests use the pair and leave it linked. */
static struct {
	char *top;
	gnut_servent *a, *b;
	char content[200000];
} fx;

static gboolean linked(gpointer data)
{
	gnut_status_info sa, sb;
	gnut_servent_status(fx.a, &sa);
	gnut_servent_status(fx.b, &sb);
	return sa.peers == 1 && sb.peers == 1 && sa.shared_files == 2;
}

/* Outside any test: says why on stderr instead of asserting. */
static gnut_servent *start_servent(const char *name, const char *share, const char *peer)
{
	g_autofree char *data = g_build_filename(fx.top, name, NULL);
	const char *shares[] = {share, NULL};
	const char *peers[] = {peer, NULL};
	gnut_servent_config c = {
	    .data_dir = data,
	    .listen = "127.0.0.1:0",
	    .shares = share ? shares : NULL,
	    .peers = peer ? peers : NULL,
	    .ultrapeer = TRUE,
	    .no_bootstrap = TRUE,
	};
	g_autoptr(GError) error = NULL;
	gnut_servent *s = gnut_servent_new(&c, NULL, &error);
	if (s != NULL && !gnut_servent_start(s, &error)) {
		gnut_servent_free(s);
		s = NULL;
	}
	if (s == NULL)
		fprintf(stderr, "servent %s did not start: %s\n", name,
		        error ? error->message : "no reason given");
	return s;
}

static int suite_cleanup(void)
{
	if (fx.b != NULL)
		gnut_servent_free(fx.b);
	if (fx.a != NULL)
		gnut_servent_free(fx.a);
	if (fx.top != NULL)
		gnut_unit_rmtree(fx.top);
	g_free(fx.top);
	memset(&fx, 0, sizeof fx);
	return 0;
}

static int suite_init(void)
{
	fx.top = gnut_unit_mkdtemp();
	g_autofree char *share = g_build_filename(fx.top, "share", NULL);
	g_mkdir(share, 0700);
	for (size_t i = 0; i < sizeof fx.content; i++)
		fx.content[i] = (char)(i * 7 + i / 1000);
	g_autofree char *image = g_build_filename(share, "image.png", NULL);
	g_autofree char *other = g_build_filename(share, "notes.txt", NULL);
	g_file_set_contents(image, fx.content, sizeof fx.content, NULL);
	g_file_set_contents(other, "notes", 5, NULL);
	fx.a = start_servent("a", share, NULL);
	if (fx.a != NULL) {
		g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(fx.a));
		fx.b = start_servent("b", NULL, addr);
	}
	if (fx.b != NULL && run_until(linked, NULL))
		return 0;
	fprintf(stderr, "the two servents did not link\n");
	suite_cleanup();
	return 1;
}

static void test_link(void)
{
	CU_ASSERT_TRUE_FATAL(run_until(linked, NULL));
	g_autoptr(GPtrArray) peers = gnut_servent_peers(fx.b);
	CU_ASSERT_EQUAL_FATAL(peers->len, 1);
	gnut_peer_info *p = g_ptr_array_index(peers, 0);
	CU_ASSERT_STRING_EQUAL(p->host, "127.0.0.1");
	CU_ASSERT_EQUAL(p->port, gnut_servent_port(fx.a));
	CU_ASSERT_STRING_EQUAL(p->mode, "ultrapeer");
	CU_ASSERT_TRUE(g_str_has_prefix(p->user_agent, "gnutd/"));
	g_autoptr(GPtrArray) shares = gnut_servent_shares(fx.a);
	CU_ASSERT_EQUAL(shares->len, 2);
}

static gboolean has_hit(gpointer data)
{
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(fx.b, *(guint64 *)data, 0, NULL);
	return hits != NULL && hits->len > 0;
}

/* B's download of that id, NULL while B does not list it. */
static gnut_download_info *download_of(GPtrArray *list, guint64 id)
{
	for (guint i = 0; i < list->len; i++) {
		gnut_download_info *d = g_ptr_array_index(list, i);
		if (d->id == id)
			return d;
	}
	return NULL;
}

static gboolean download_final(gpointer data)
{
	g_autoptr(GPtrArray) list = gnut_servent_downloads(fx.b);
	gnut_download_info *d = download_of(list, *(guint64 *)data);
	return d != NULL && (strcmp(d->state, "complete") == 0 || strcmp(d->state, "failed") == 0);
}

/* One scenario: the download is of the hit the search found. */
static void test_search_and_download(void)
{
	GError *error = NULL;
	guint64 search_id = gnut_servent_search_start(fx.b, "IMAGE", &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_NOT_EQUAL_FATAL(search_id, 0);
	CU_ASSERT_TRUE_FATAL(run_until(has_hit, &search_id));
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(fx.b, search_id, 0, NULL);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	gnut_hit_info *h = g_ptr_array_index(hits, 0);
	CU_ASSERT_STRING_EQUAL(h->name, "image.png");
	CU_ASSERT_EQUAL(h->size, sizeof fx.content);
	CU_ASSERT_STRING_EQUAL(h->host, "127.0.0.1");
	CU_ASSERT_EQUAL(h->port, gnut_servent_port(fx.a));
	uint8_t sha1[GNUT_SHA1_LEN];
	gnut_sha1_buffer(fx.content, sizeof fx.content, sha1);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	CU_ASSERT_STRING_EQUAL(h->urn, urn);

	g_autofree char *to = g_build_filename(fx.top, "got", NULL);
	g_mkdir(to, 0700);
	g_autofree char *hit_id = g_strdup_printf("%" G_GUINT64_FORMAT, h->id);
	guint64 download_id = gnut_servent_download_start(fx.b, hit_id, to, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_NOT_EQUAL_FATAL(download_id, 0);
	CU_ASSERT_TRUE_FATAL(run_until(download_final, &download_id));
	g_autoptr(GPtrArray) list = gnut_servent_downloads(fx.b);
	gnut_download_info *d = download_of(list, download_id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->state, "complete");
	CU_ASSERT_EQUAL(d->done, sizeof fx.content);
	g_autofree char *got = g_build_filename(to, "image.png", NULL);
	CU_ASSERT_STRING_EQUAL(d->path, got);
	g_autofree char *bytes = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(got, &bytes, &len, NULL));
	CU_ASSERT_EQUAL(len, sizeof fx.content);
	CU_ASSERT_EQUAL(memcmp(bytes, fx.content, len), 0);
	gnut_status_info sa, sb;
	gnut_servent_status(fx.a, &sa);
	gnut_servent_status(fx.b, &sb);
	CU_ASSERT_EQUAL(sa.bytes_up, sizeof fx.content);
	CU_ASSERT_EQUAL(sb.bytes_down, sizeof fx.content);
	CU_ASSERT_STRING_EQUAL(sb.version, PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(sb.mode, "ultrapeer");
}

static void test_bad_arguments(void)
{
	GError *error = NULL;
	CU_ASSERT_EQUAL(gnut_servent_search_start(fx.b, "", &error), 0);
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(fx.b, "999999", NULL, &error), 0);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND));
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(fx.b, "nonsense", NULL, &error), 0);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_ERROR, GNUT_ERROR_INVALID));
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(fx.b, "1", "relative/dir", &error), 0);
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_FALSE(gnut_servent_connect(fx.b, "no port here", &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(gnut_servent_search_hits(fx.b, 424242, 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	gnut_servent_config bad = {.data_dir = fx.top, .listen = "not-an-address"};
	CU_ASSERT_PTR_NULL(gnut_servent_new(&bad, NULL, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
}

/* Three servents of the host cache test: A dials B, B is full and names C. */
typedef struct {
	gnut_servent *a, *b, *c;
} trio;

static guint peers_of(gnut_servent *s)
{
	gnut_status_info st;
	gnut_servent_status(s, &st);
	return st.peers;
}

static gboolean b_linked_to_c(gpointer data)
{
	trio *t = data;
	return peers_of(t->b) == 1 && peers_of(t->c) == 1;
}

static gboolean a_linked(gpointer data)
{
	trio *t = data;
	return peers_of(t->a) == 1 && peers_of(t->c) == 2;
}

/* Without --no-bootstrap a servent learns hosts: A dials B, which is full
 * and refuses it naming C in X-Try-Ultrapeers; A's host cache then gives C,
 * A links to C, and C is in the hosts file A saves. (Only loopback hosts
 * exist here, and no bootstrap service is ever dialed.) */
static void test_host_cache_follows_x_try(void)
{
	g_autofree char *c_dir = g_build_filename(fx.top, "hc-c", NULL);
	g_autofree char *b_dir = g_build_filename(fx.top, "hc-b", NULL);
	g_autofree char *a_dir = g_build_filename(fx.top, "hc-a", NULL);
	GError *error = NULL;
	trio t = {0};
	gnut_servent_config cc = {
	    .data_dir = c_dir, .listen = "127.0.0.1:0", .ultrapeer = TRUE, .no_bootstrap = TRUE};
	t.c = gnut_servent_new(&cc, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.c);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(t.c, &error));
	g_autofree char *c_addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(t.c));
	const char *b_peers[] = {c_addr, NULL};
	gnut_servent_config bc = {.data_dir = b_dir,
	                          .listen = "127.0.0.1:0",
	                          .ultrapeer = TRUE,
	                          .no_bootstrap = TRUE,
	                          .peers = b_peers,
	                          .max_ultrapeers = 1};
	t.b = gnut_servent_new(&bc, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.b);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(t.b, &error));
	CU_ASSERT_TRUE_FATAL(run_until(b_linked_to_c, &t));

	g_autofree char *b_addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(t.b));
	const char *a_peers[] = {b_addr, NULL};
	/* its only bootstrap service a dead loopback port: never the built-in lists */
	const char *a_uhc[] = {"127.0.0.1:1", NULL};
	gnut_servent_config ac = {.data_dir = a_dir,
	                          .listen = "127.0.0.1:0",
	                          .ultrapeer = TRUE,
	                          .no_bootstrap = FALSE,
	                          .peers = a_peers,
	                          .uhc = a_uhc};
	t.a = gnut_servent_new(&ac, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.a);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(t.a, &error));
	CU_ASSERT_TRUE_FATAL(run_until(a_linked, &t));
	g_autoptr(GPtrArray) peers = gnut_servent_peers(t.a);
	CU_ASSERT_EQUAL_FATAL(peers->len, 1);
	CU_ASSERT_EQUAL(((gnut_peer_info *)g_ptr_array_index(peers, 0))->port,
	                gnut_servent_port(t.c));
	CU_ASSERT_EQUAL(peers_of(t.b), 1);

	gnut_servent_free(t.a);
	g_autofree char *hosts_file = g_build_filename(a_dir, "hosts.cache", NULL);
	g_autofree char *hosts = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(hosts_file, &hosts, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(hosts ? strstr(hosts, c_addr) : NULL);
	gnut_servent_free(t.b);
	gnut_servent_free(t.c);
	/* under --no-bootstrap nothing is learned or saved */
	g_autofree char *b_hosts = g_build_filename(b_dir, "hosts.cache", NULL);
	CU_ASSERT_FALSE(g_file_test(b_hosts, G_FILE_TEST_EXISTS));
}

typedef struct {
	gnut_servent *servent;
	gboolean stopped;
} stop_wait;

static void on_stopped(GObject *source, GAsyncResult *res, gpointer data)
{
	stop_wait *w = data;
	w->stopped = gnut_servent_stop_finish(w->servent, res, NULL);
}

static gboolean is_stopped(gpointer data)
{
	return ((stop_wait *)data)->stopped;
}

static gboolean has_no_link(gpointer data)
{
	gnut_status_info st;
	gnut_servent_status(data, &st);
	return st.peers == 0;
}

static gboolean pair_linked(gpointer data)
{
	gnut_servent **pair = data;
	gnut_status_info s0, s1;
	gnut_servent_status(pair[0], &s0);
	gnut_servent_status(pair[1], &s1);
	return s0.peers == 1 && s1.peers == 1;
}

/* A stop of its own pair: it says Bye, and the other servent sees the link
 * go before the stop completes its task. */
static void test_stop(void)
{
	gnut_servent *pair[2] = {start_servent("stop-c", NULL, NULL), NULL};
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair[0]);
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(pair[0]));
	pair[1] = start_servent("stop-d", NULL, addr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pair[1]);
	CU_ASSERT_TRUE(run_until(pair_linked, pair));
	stop_wait w = {.servent = pair[1]};
	gnut_servent_stop_async(pair[1], on_stopped, &w);
	CU_ASSERT_TRUE(run_until(is_stopped, &w));
	CU_ASSERT_TRUE(run_until(has_no_link, pair[0]));
	/* a second stop completes at once */
	w.stopped = FALSE;
	gnut_servent_stop_async(pair[1], on_stopped, &w);
	CU_ASSERT_TRUE(run_until(is_stopped, &w));
	gnut_servent_free(pair[1]);
	gnut_servent_free(pair[0]);
}

/* An ultrapeer U and three leaves: L[0] shares alpha, L[1] beta, L[2]
 * searches for beta. */
typedef struct {
	gnut_servent *up;
	gnut_servent *leaf[3];
} star;

static gnut_servent *star_servent(const char *name, const char *file, gboolean ultrapeer,
                                  gboolean flood)
{
	g_autofree char *data = g_build_filename(fx.top, name, "data", NULL);
	g_autofree char *share = g_build_filename(fx.top, name, "share", NULL);
	g_mkdir_with_parents(share, 0700);
	if (file != NULL) {
		g_autofree char *path = g_build_filename(share, file, NULL);
		g_file_set_contents(path, name, -1, NULL);
	}
	const char *shares[] = {share, NULL};
	gnut_servent_config c = {
	    .data_dir = data,
	    .listen = "127.0.0.1:0",
	    .shares = shares,
	    .ultrapeer = ultrapeer,
	    .no_bootstrap = TRUE,
	    .max_links_per_ip = GNUT_IP_ADMIT_UNLIMITED, /* the leaves all come from 127.0.0.1 */
	    .flood_queries = flood,
	};
	gnut_servent *s = gnut_servent_new(&c, NULL, NULL);
	if (s != NULL && !gnut_servent_start(s, NULL))
		g_clear_pointer(&s, gnut_servent_free);
	return s;
}

static gboolean star_scanned(gpointer data)
{
	star *st = data;
	gnut_status_info a, b;
	gnut_servent_status(st->leaf[0], &a);
	gnut_servent_status(st->leaf[1], &b);
	return a.shared_files == 1 && b.shared_files == 1;
}

/* Each leaf's table reached the ultrapeer. */
static gboolean star_linked(gpointer data)
{
	gnut_status_info up;
	gnut_servent_status(((star *)data)->up, &up);
	return up.peers == 3 && up.qrp_slots_held == 3 * 65536;
}

static gboolean star_found(gpointer data)
{
	star *st = data;
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(st->leaf[2], 1, 0, NULL);
	return hits != NULL && hits->len == 1;
}

/* L[2]'s search for beta; returns the query messages U sent, and *alpha_got
 * the queries L[0] received. */
static guint64 star_search(gboolean flood, guint64 *alpha_got)
{
	star st = {0};
	const char *mode = flood ? "flood" : "routed";
	g_autofree char *up_name = g_strdup_printf("star-%s-up", mode);
	const char *files[3] = {"alpha song.txt", "beta song.txt", NULL};
	st.up = star_servent(up_name, NULL, TRUE, flood);
	for (int i = 0; i < 3; i++) {
		g_autofree char *name = g_strdup_printf("star-%s-leaf%d", mode, i);
		st.leaf[i] = star_servent(name, files[i], FALSE, flood);
	}
	guint64 up_sent = G_MAXUINT64;
	if (st.up != NULL && st.leaf[0] != NULL && st.leaf[1] != NULL && st.leaf[2] != NULL &&
	    run_until(star_scanned, &st)) {
		g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(st.up));
		for (int i = 0; i < 3; i++)
			gnut_servent_connect(st.leaf[i], addr, NULL);
		CU_ASSERT_TRUE(run_until(star_linked, &st));
		CU_ASSERT_EQUAL(gnut_servent_search_start(st.leaf[2], "beta", NULL), 1);
		CU_ASSERT_TRUE(run_until(star_found, &st));
		gnut_servent_counters up, beta, searcher;
		gnut_servent_counters_get(st.up, &up);
		gnut_servent_counters_get(st.leaf[1], &beta);
		gnut_servent_counters_get(st.leaf[2], &searcher);
		CU_ASSERT_EQUAL(searcher.routing.queries_sent, 1);
		CU_ASSERT_EQUAL(beta.routing.hits_sent, 1);
		CU_ASSERT_EQUAL(up.routing.hits_sent, 1);
		gnut_status_info alpha;
		gnut_servent_status(st.leaf[0], &alpha);
		*alpha_got = alpha.queries_received;
		up_sent = up.routing.queries_sent;
	}
	for (int i = 0; i < 3; i++)
		if (st.leaf[i] != NULL)
			gnut_servent_free(st.leaf[i]);
	if (st.up != NULL)
		gnut_servent_free(st.up);
	return up_sent;
}

/* As built, the ultrapeer sends the query to the leaf whose table has it
 * only; with flood_queries, to every leaf. The counters say so. */
static void test_flood_queries(void)
{
	guint64 alpha_got = 99;
	CU_ASSERT_EQUAL(star_search(FALSE, &alpha_got), 1);
	CU_ASSERT_EQUAL(alpha_got, 0);
	CU_ASSERT_EQUAL(star_search(TRUE, &alpha_got), 2);
	CU_ASSERT_EQUAL(alpha_got, 1);
}

static CU_TestInfo tests[] = {
    {"two servents link", test_link},
    {"search and download", test_search_and_download},
    {"bad arguments", test_bad_arguments},
    {"host cache follows X-Try-Ultrapeers", test_host_cache_follows_x_try},
    {"a stop says Bye", test_stop},
    {"flood_queries floods, QRP routes otherwise", test_flood_queries},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("servent", tests, suite_init, suite_cleanup)
