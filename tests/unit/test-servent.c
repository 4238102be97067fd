/* test-servent.c: two real servents in one process and one main loop, linked
 * over loopback: B finds A's file with a search and downloads it, SHA-1
 * checked; status, peers and shares report what happened; bad arguments are
 * refused. */
#include "gnut/proto/digest.h"
#include "gnut/core/servent.h"
#include "gnut/proto/urn.h"
#include "config.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <string.h>

typedef gboolean (*condition_fn)(gpointer data);

static gboolean run_until(condition_fn cond, gpointer data)
{
	return gnut_unit_run_until(cond, data, 20000);
}

static char *top;
static gnut_servent *a, *b;
static char content[200000];

static gboolean linked(gpointer data)
{
	gnut_status_info sa, sb;
	gnut_servent_status(a, &sa);
	gnut_servent_status(b, &sb);
	return sa.peers == 1 && sb.peers == 1 && sa.shared_files == 2;
}

static gnut_servent *make_servent(const char *name, const char *share, const char *peer)
{
	g_autofree char *data = g_build_filename(top, name, NULL);
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
	GError *error = NULL;
	gnut_servent *s = gnut_servent_new(&c, NULL, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(gnut_servent_start(s, &error));
	CU_ASSERT_PTR_NULL(error);
	return s;
}

static void test_link(void)
{
	top = gnut_unit_mkdtemp();
	g_autofree char *share = g_build_filename(top, "share", NULL);
	g_mkdir(share, 0700);
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (char)(i * 7 + i / 1000);
	g_autofree char *image = g_build_filename(share, "image.png", NULL);
	g_autofree char *other = g_build_filename(share, "notes.txt", NULL);
	g_file_set_contents(image, content, sizeof content, NULL);
	g_file_set_contents(other, "notes", 5, NULL);
	a = make_servent("a", share, NULL);
	g_autofree char *addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(a));
	b = make_servent("b", NULL, addr);
	CU_ASSERT_TRUE_FATAL(run_until(linked, NULL));
	g_autoptr(GPtrArray) peers = gnut_servent_peers(b);
	CU_ASSERT_EQUAL_FATAL(peers->len, 1);
	gnut_peer_info *p = g_ptr_array_index(peers, 0);
	CU_ASSERT_STRING_EQUAL(p->host, "127.0.0.1");
	CU_ASSERT_EQUAL(p->port, gnut_servent_port(a));
	CU_ASSERT_STRING_EQUAL(p->mode, "ultrapeer");
	CU_ASSERT_TRUE(g_str_has_prefix(p->user_agent, "gnutd/"));
	g_autoptr(GPtrArray) shares = gnut_servent_shares(a);
	CU_ASSERT_EQUAL(shares->len, 2);
}

static guint64 search_id;

static gboolean has_hit(gpointer data)
{
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(b, search_id, 0, NULL);
	return hits != NULL && hits->len > 0;
}

static guint64 download_id;

static gboolean download_final(gpointer data)
{
	g_autoptr(GPtrArray) list = gnut_servent_downloads(b);
	for (guint i = 0; i < list->len; i++) {
		gnut_download_info *d = g_ptr_array_index(list, i);
		if (d->id == download_id)
			return strcmp(d->state, "complete") == 0 || strcmp(d->state, "failed") == 0;
	}
	return FALSE;
}

static void test_search_and_download(void)
{
	GError *error = NULL;
	search_id = gnut_servent_search_start(b, "IMAGE", &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_NOT_EQUAL_FATAL(search_id, 0);
	CU_ASSERT_TRUE_FATAL(run_until(has_hit, NULL));
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(b, search_id, 0, NULL);
	CU_ASSERT_EQUAL_FATAL(hits->len, 1);
	gnut_hit_info *h = g_ptr_array_index(hits, 0);
	CU_ASSERT_STRING_EQUAL(h->name, "image.png");
	CU_ASSERT_EQUAL(h->size, sizeof content);
	CU_ASSERT_STRING_EQUAL(h->host, "127.0.0.1");
	CU_ASSERT_EQUAL(h->port, gnut_servent_port(a));
	uint8_t sha1[20];
	gnut_sha1_buffer(content, sizeof content, sha1);
	char urn[64];
	gnut_urn_format_sha1(sha1, urn);
	CU_ASSERT_STRING_EQUAL(h->urn, urn);

	g_autofree char *to = g_build_filename(top, "got", NULL);
	g_mkdir(to, 0700);
	g_autofree char *hit_id = g_strdup_printf("%" G_GUINT64_FORMAT, h->id);
	download_id = gnut_servent_download_start(b, hit_id, to, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_NOT_EQUAL_FATAL(download_id, 0);
	CU_ASSERT_TRUE_FATAL(run_until(download_final, NULL));
	g_autoptr(GPtrArray) list = gnut_servent_downloads(b);
	gnut_download_info *d = g_ptr_array_index(list, 0);
	CU_ASSERT_STRING_EQUAL(d->state, "complete");
	CU_ASSERT_EQUAL(d->done, sizeof content);
	g_autofree char *got = g_build_filename(to, "image.png", NULL);
	CU_ASSERT_STRING_EQUAL(d->path, got);
	g_autofree char *bytes = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(got, &bytes, &len, NULL));
	CU_ASSERT_EQUAL(len, sizeof content);
	CU_ASSERT_EQUAL(memcmp(bytes, content, len), 0);
	gnut_status_info sa, sb;
	gnut_servent_status(a, &sa);
	gnut_servent_status(b, &sb);
	CU_ASSERT_EQUAL(sa.bytes_up, sizeof content);
	CU_ASSERT_EQUAL(sb.bytes_down, sizeof content);
	CU_ASSERT_STRING_EQUAL(sb.version, PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(sb.mode, "ultrapeer");
}

static void test_bad_arguments(void)
{
	GError *error = NULL;
	CU_ASSERT_EQUAL(gnut_servent_search_start(b, "", &error), 0);
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(b, "999999", NULL, &error), 0);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND));
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(b, "nonsense", NULL, &error), 0);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_ERROR, GNUT_ERROR_INVALID));
	g_clear_error(&error);
	CU_ASSERT_EQUAL(gnut_servent_download_start(b, "1", "relative/dir", &error), 0);
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_FALSE(gnut_servent_connect(b, "no port here", &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(gnut_servent_search_hits(b, 424242, 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	gnut_servent_config bad = {.data_dir = top, .listen = "not-an-address"};
	CU_ASSERT_PTR_NULL(gnut_servent_new(&bad, NULL, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
}

static gnut_servent *hc_a, *hc_b, *hc_c;

static guint peers_of(gnut_servent *s)
{
	gnut_status_info st;
	gnut_servent_status(s, &st);
	return st.peers;
}

static gboolean b_linked_to_c(gpointer data)
{
	return peers_of(hc_b) == 1 && peers_of(hc_c) == 1;
}

static gboolean a_linked(gpointer data)
{
	return peers_of(hc_a) == 1 && peers_of(hc_c) == 2;
}

/* Without --no-bootstrap a servent learns hosts: A dials B, which is full
 * and refuses it naming C in X-Try-Ultrapeers; A's host cache then gives C,
 * A links to C, and C is in the hosts file A saves. (Only loopback hosts
 * exist here, and no bootstrap service is ever dialed.) */
static void test_host_cache_follows_x_try(void)
{
	g_autofree char *c_dir = g_build_filename(top, "hc-c", NULL);
	g_autofree char *b_dir = g_build_filename(top, "hc-b", NULL);
	g_autofree char *a_dir = g_build_filename(top, "hc-a", NULL);
	GError *error = NULL;
	gnut_servent_config cc = {
	    .data_dir = c_dir, .listen = "127.0.0.1:0", .ultrapeer = TRUE, .no_bootstrap = TRUE};
	hc_c = gnut_servent_new(&cc, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc_c);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(hc_c, &error));
	g_autofree char *c_addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(hc_c));
	const char *b_peers[] = {c_addr, NULL};
	gnut_servent_config bc = {.data_dir = b_dir,
	                          .listen = "127.0.0.1:0",
	                          .ultrapeer = TRUE,
	                          .no_bootstrap = TRUE,
	                          .peers = b_peers,
	                          .max_links = 1};
	hc_b = gnut_servent_new(&bc, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc_b);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(hc_b, &error));
	CU_ASSERT_TRUE_FATAL(run_until(b_linked_to_c, NULL));

	g_autofree char *b_addr = g_strdup_printf("127.0.0.1:%u", gnut_servent_port(hc_b));
	const char *a_peers[] = {b_addr, NULL};
	gnut_servent_config ac = {.data_dir = a_dir,
	                          .listen = "127.0.0.1:0",
	                          .ultrapeer = TRUE,
	                          .no_bootstrap = FALSE,
	                          .peers = a_peers};
	hc_a = gnut_servent_new(&ac, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc_a);
	CU_ASSERT_TRUE_FATAL(gnut_servent_start(hc_a, &error));
	CU_ASSERT_TRUE_FATAL(run_until(a_linked, NULL));
	g_autoptr(GPtrArray) peers = gnut_servent_peers(hc_a);
	CU_ASSERT_EQUAL_FATAL(peers->len, 1);
	CU_ASSERT_EQUAL(((gnut_peer_info *)g_ptr_array_index(peers, 0))->port,
	                gnut_servent_port(hc_c));
	CU_ASSERT_EQUAL(peers_of(hc_b), 1);

	gnut_servent_free(hc_a);
	g_autofree char *hosts_file = g_build_filename(a_dir, "hosts.cache", NULL);
	g_autofree char *hosts = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(hosts_file, &hosts, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(hosts ? strstr(hosts, c_addr) : NULL);
	gnut_servent_free(hc_b);
	gnut_servent_free(hc_c);
	/* under --no-bootstrap nothing is learned or saved */
	g_autofree char *b_hosts = g_build_filename(b_dir, "hosts.cache", NULL);
	CU_ASSERT_FALSE(g_file_test(b_hosts, G_FILE_TEST_EXISTS));
}

static void on_stopped(GObject *source, GAsyncResult *res, gpointer data)
{
	*(gboolean *)data = gnut_servent_stop_finish(b, res, NULL);
}

static gboolean is_set(gpointer data)
{
	return *(gboolean *)data;
}

static gboolean a_has_no_link(gpointer data)
{
	gnut_status_info st;
	gnut_servent_status(a, &st);
	return st.peers == 0;
}

/* A stop says Bye: the other servent sees the link go. */
static void test_stop(void)
{
	gboolean stopped = FALSE;
	gnut_servent_stop_async(b, on_stopped, &stopped);
	CU_ASSERT_TRUE(gnut_unit_run_until(is_set, &stopped, 5000));
	CU_ASSERT_TRUE(gnut_unit_run_until(a_has_no_link, NULL, 5000));
	gnut_servent_free(b);
	gnut_servent_free(a);
	gnut_unit_rmtree(top);
	g_free(top);
}

static CU_TestInfo tests[] = {
    {"two servents link", test_link},
    {"search and download", test_search_and_download},
    {"bad arguments", test_bad_arguments},
    {"host cache follows X-Try-Ultrapeers", test_host_cache_follows_x_try},
    {"stop", test_stop},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("servent", tests)
