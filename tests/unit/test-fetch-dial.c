/* test-fetch-dial.c: which hits become download sources. A hit at an
 * address no host has, or at a local address while local addresses are not
 * allowed, is no source (nothing would dial it); a firewalled hit is one
 * whatever its address (it is reached by push, never dialed); both when the
 * download starts and for hits that come later. The main loop is never run here, so
 * no source is ever contacted. */
#include <string.h>

#include "gnut/core/transfer/fetch.h"
#include "gnut/proto/address.h"
#include "unit.h"

#define SIZE 1000

typedef struct {
	char *dir;
	gnut_clock *clock;
	gnut_downloads *downloads;
	gnut_searches *searches;
	gnut_fetch *fetch;
	gnut_guid query;
	guint searches_sent;
	guint8 next_servent;
} fetch_fixture;

static guint64 count_search(const char *query, gpointer data)
{
	fetch_fixture *fx = data;
	fx->searches_sent++;
	return 0;
}

static void fixture_init(fetch_fixture *fx, gboolean allow_local)
{
	memset(fx, 0, sizeof *fx);
	fx->dir = gnut_unit_mkdtemp();
	fx->clock = gnut_clock_manual_new(0);
	gnut_downloads_config dc = {.data_dir = fx->dir};
	g_autoptr(GError) error = NULL;
	fx->downloads = gnut_downloads_new(&dc, fx->clock, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx->downloads);
	fx->searches = gnut_searches_new();
	gnut_searches_start(fx->searches, "file", &fx->query);
	fx->fetch = gnut_fetch_new(fx->downloads, fx->searches, allow_local, count_search, fx);
}

static void fixture_clear(fetch_fixture *fx)
{
	gnut_fetch_free(fx->fetch);
	gnut_downloads_free(fx->downloads);
	gnut_searches_free(fx->searches);
	gnut_clock_free(fx->clock);
	gnut_unit_rmtree(fx->dir);
	g_free(fx->dir);
}

/* A hit of the fixture's search for the file with SHA-1 all sha1_byte. */
static const gnut_hit *add_hit(fetch_fixture *fx, guint8 sha1_byte, const char *address,
                               gboolean firewalled)
{
	gnut_hit h = {
	    .name = "file.bin",
	    .size = SIZE,
	    .has_sha1 = true,
	    .port = 6346,
	    .file_index = 1,
	    .firewalled = firewalled,
	};
	memset(h.sha1, sha1_byte, sizeof h.sha1);
	memset(h.servent.bytes, ++fx->next_servent, sizeof h.servent.bytes);
	CU_ASSERT_EQUAL_FATAL(gnut_addr_parse_ipv4(address, strlen(address), &h.ipv4),
	                      GNUT_PROTO_OK);
	const gnut_hit *added = gnut_searches_add(fx->searches, &fx->query, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(added);
	return added;
}

static guint sources_of(fetch_fixture *fx, guint64 id)
{
	gnut_download_status st = {0};
	CU_ASSERT_TRUE_FATAL(gnut_downloads_get(fx->downloads, id, &st));
	guint n = st.sources;
	gnut_download_status_clear(&st);
	return n;
}

static guint64 start(fetch_fixture *fx, const gnut_hit *h)
{
	g_autofree char *target = g_strdup_printf("%" G_GUINT64_FORMAT, h->id);
	g_autoptr(GError) error = NULL;
	guint64 id = gnut_fetch_start(fx->fetch, target, NULL, &error);
	CU_ASSERT_NOT_EQUAL(id, 0);
	return id;
}

/* A servent on a public address: only the firewalled hit is a source. */
static void test_public_servent(void)
{
	fetch_fixture fx;
	fixture_init(&fx, FALSE);
	const gnut_hit *first = add_hit(&fx, 0xaa, "224.0.0.1", FALSE);
	add_hit(&fx, 0xaa, "192.168.1.5", FALSE);
	add_hit(&fx, 0xaa, "0.0.0.0", FALSE);
	add_hit(&fx, 0xaa, "10.0.0.7", TRUE);
	guint64 id = start(&fx, first);
	CU_ASSERT_EQUAL(sources_of(&fx, id), 1);
	CU_ASSERT_EQUAL(gnut_fetch_refused(fx.fetch), 3);
	/* later hits: the same rule */
	gnut_fetch_hit_added(fx.fetch, add_hit(&fx, 0xaa, "127.0.0.1", FALSE));
	gnut_fetch_hit_added(fx.fetch, add_hit(&fx, 0xaa, "255.255.255.255", FALSE));
	CU_ASSERT_EQUAL(sources_of(&fx, id), 1);
	gnut_fetch_hit_added(fx.fetch, add_hit(&fx, 0xaa, "192.168.9.9", TRUE));
	CU_ASSERT_EQUAL(sources_of(&fx, id), 2);
	CU_ASSERT_EQUAL(gnut_fetch_refused(fx.fetch), 5);
	fixture_clear(&fx);
}

/* A servent on a private network (or with the option): local hits are
 * sources, bogus ones still are not. */
static void test_private_servent(void)
{
	fetch_fixture fx;
	fixture_init(&fx, TRUE);
	const gnut_hit *first = add_hit(&fx, 0xbb, "127.0.0.1", FALSE);
	add_hit(&fx, 0xbb, "240.0.0.1", FALSE);
	guint64 id = start(&fx, first);
	CU_ASSERT_EQUAL(sources_of(&fx, id), 1);
	gnut_fetch_hit_added(fx.fetch, add_hit(&fx, 0xbb, "127.0.0.2", FALSE));
	gnut_fetch_hit_added(fx.fetch, add_hit(&fx, 0xbb, "239.255.255.250", FALSE));
	CU_ASSERT_EQUAL(sources_of(&fx, id), 2);
	CU_ASSERT_EQUAL(gnut_fetch_refused(fx.fetch), 2);
	fixture_clear(&fx);
}

/* No hit can be a source: the download waits for sources, and a search for
 * them goes out. */
static void test_no_usable_hit(void)
{
	fetch_fixture fx;
	fixture_init(&fx, FALSE);
	const gnut_hit *only = add_hit(&fx, 0xcc, "239.1.1.1", FALSE);
	guint64 id = start(&fx, only);
	CU_ASSERT_EQUAL(sources_of(&fx, id), 0);
	CU_ASSERT_EQUAL(fx.searches_sent, 1);
	fixture_clear(&fx);
}

static CU_TestInfo tests[] = {
    {"a public servent takes no bogus or local hit", test_public_servent},
    {"a private servent takes local hits", test_private_servent},
    {"no usable hit: the download waits", test_no_usable_hit},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("fetch-dial", tests)
