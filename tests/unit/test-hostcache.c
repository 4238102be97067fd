/* test-hostcache.c: the host cache on a manual clock: pick order (ultrapeers
 * first, then the most recently seen), the exclude callback, the cap and its
 * eviction, back-off after failures and its expiry, addresses rejected (and
 * private ones only with the flag), the saved file (round trip, damaged files
 * ignored, every truncation, no temporary file left) and the fresh
 * ultrapeers a UDP host cache answer lists. */
#include "gnut/core/hosts/hostcache.h"
#include "gnut/proto/address.h"
#include "unit.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define IP(a, b, c, d) ((guint32)(a) << 24 | (guint32)(b) << 16 | (guint32)(c) << 8 | (guint32)(d))
#define SEC            ((gint64)G_USEC_PER_SEC)
#define START_US       ((gint64)1000 * SEC)

static gnut_hostcache *memory_cache(gnut_clock *clock, gnut_hostcache_flags flags)
{
	GError *err = NULL;
	gnut_hostcache *hc = gnut_hostcache_new(clock, NULL, flags, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc);
	CU_ASSERT_PTR_NULL(err);
	return hc;
}

/* Picks once; returns the host as "a.b.c.d:port", or "" when none. */
static const char *pick_str(gnut_hostcache *hc, char buf[GNUT_ADDR_IPV4_PORT_LEN])
{
	guint32 ip = 0;
	guint16 port = 0;
	buf[0] = '\0';
	if (gnut_hostcache_pick(hc, NULL, NULL, &ip, &port))
		gnut_addr_format_ipv4_port(ip, port, buf);
	return buf;
}

static gnut_hostcache_entry entry_of(gnut_hostcache *hc, guint32 ip, guint16 port)
{
	gnut_hostcache_entry found = {0};
	g_autoptr(GArray) list = gnut_hostcache_list(hc);
	for (guint i = 0; i < list->len; i++) {
		gnut_hostcache_entry e = g_array_index(list, gnut_hostcache_entry, i);
		if (e.ip == ip && e.port == port)
			found = e;
	}
	return found;
}

static void test_pick_order(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	char buf[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), ""); /* empty cache */
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, IP(1, 1, 1, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE));
	gnut_clock_manual_advance(clock, SEC);
	CU_ASSERT_TRUE(
	    gnut_hostcache_add(hc, IP(2, 2, 2, 2), 6346, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS, TRUE));
	gnut_clock_manual_advance(clock, SEC);
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, IP(3, 3, 3, 3), 6347, GNUT_HOST_SOURCE_PONG, FALSE));
	gnut_clock_manual_advance(clock, SEC);
	CU_ASSERT_TRUE(
	    gnut_hostcache_add(hc, IP(4, 4, 4, 4), 6348, GNUT_HOST_SOURCE_HANDSHAKE, TRUE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 4);
	/* ultrapeers first, newest first; then leaves, newest first */
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "4.4.4.4:6348");
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "2.2.2.2:6346");
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "3.3.3.3:6347");
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "1.1.1.1:6346");
	/* every host is now an attempt in progress */
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "");
	gnut_clock_manual_advance(clock, (gint64)GNUT_HOSTCACHE_ATTEMPT_S * SEC - 1);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "");
	gnut_clock_manual_advance(clock, 1);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "4.4.4.4:6348");
	/* the list shows the recency order */
	g_autoptr(GArray) list = gnut_hostcache_list(hc);
	CU_ASSERT_EQUAL_FATAL(list->len, 4);
	CU_ASSERT_EQUAL(g_array_index(list, gnut_hostcache_entry, 0).ip, IP(4, 4, 4, 4));
	CU_ASSERT_EQUAL(g_array_index(list, gnut_hostcache_entry, 3).ip, IP(1, 1, 1, 1));
	CU_ASSERT_EQUAL(g_array_index(list, gnut_hostcache_entry, 3).source, GNUT_HOST_SOURCE_PONG);
}

static void test_sighting_refreshes(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	char buf[GNUT_ADDR_IPV4_PORT_LEN];
	guint32 a = IP(5, 6, 7, 8);
	gnut_hostcache_add(hc, a, 1000, GNUT_HOST_SOURCE_PONG, FALSE);
	gnut_clock_manual_advance(clock, SEC);
	gnut_hostcache_add(hc, IP(9, 9, 9, 9), 1000, GNUT_HOST_SOURCE_PONG, FALSE);
	gnut_clock_manual_advance(clock, SEC);
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, a, 1000, GNUT_HOST_SOURCE_PONG, FALSE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 2); /* no duplicate */
	CU_ASSERT_EQUAL(entry_of(hc, a, 1000).last_seen_us, START_US + 2 * SEC);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "5.6.7.8:1000");
	/* the ultrapeer mark: hearsay only sets it, the host's own word rules */
	gnut_hostcache_add(hc, a, 1000, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS, TRUE);
	CU_ASSERT_TRUE(entry_of(hc, a, 1000).ultrapeer);
	gnut_hostcache_add(hc, a, 1000, GNUT_HOST_SOURCE_PONG, FALSE);
	CU_ASSERT_TRUE(entry_of(hc, a, 1000).ultrapeer);
	CU_ASSERT_EQUAL(entry_of(hc, a, 1000).source, GNUT_HOST_SOURCE_PONG);
	gnut_hostcache_add(hc, a, 1000, GNUT_HOST_SOURCE_HANDSHAKE, FALSE);
	CU_ASSERT_FALSE(entry_of(hc, a, 1000).ultrapeer);
	/* the same address on another port is another host */
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, a, 1001, GNUT_HOST_SOURCE_USER, FALSE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 3);
	CU_ASSERT_TRUE(gnut_hostcache_remove(hc, a, 1001));
	CU_ASSERT_FALSE(gnut_hostcache_remove(hc, a, 1001));
	CU_ASSERT_FALSE(gnut_hostcache_contains(hc, a, 1001));
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, a, 1000));
}

static gboolean exclude_listed(guint32 ip, guint16 port, gpointer user_data)
{
	GHashTable *excluded = user_data;
	return g_hash_table_contains(excluded, GUINT_TO_POINTER(ip));
}

static void test_exclude_callback(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	g_autoptr(GHashTable) excluded = g_hash_table_new(NULL, NULL);
	gnut_hostcache_add(hc, IP(11, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	gnut_hostcache_add(hc, IP(11, 0, 0, 2), 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	g_hash_table_add(excluded, GUINT_TO_POINTER(IP(11, 0, 0, 2)));
	guint32 ip = 0;
	guint16 port = 0;
	CU_ASSERT_TRUE(gnut_hostcache_pick(hc, exclude_listed, excluded, &ip, &port));
	CU_ASSERT_EQUAL(ip, IP(11, 0, 0, 1));
	CU_ASSERT_EQUAL(port, 6346);
	/* an excluded host is not held back: it is there once no longer excluded */
	CU_ASSERT_FALSE(gnut_hostcache_pick(hc, exclude_listed, excluded, &ip, &port));
	g_hash_table_remove_all(excluded);
	CU_ASSERT_TRUE(gnut_hostcache_pick(hc, exclude_listed, excluded, &ip, &port));
	CU_ASSERT_EQUAL(ip, IP(11, 0, 0, 2));
}

static void test_cap_evicts_least_recently_seen(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	guint added = 0;
	for (guint i = 0; i < GNUT_HOSTCACHE_MAX_HOSTS; i++) {
		added += gnut_hostcache_add(hc, IP(20, 0, i >> 8, i & 0xff), 6346,
		                            GNUT_HOST_SOURCE_PONG, FALSE);
		gnut_clock_manual_advance(clock, SEC);
	}
	CU_ASSERT_EQUAL(added, GNUT_HOSTCACHE_MAX_HOSTS);
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), GNUT_HOSTCACHE_MAX_HOSTS);
	/* seeing host 0 again saves it: host 1 is now the least recently seen */
	gnut_hostcache_add(hc, IP(20, 0, 0, 0), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, IP(21, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), GNUT_HOSTCACHE_MAX_HOSTS);
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(20, 0, 0, 0), 6346));
	CU_ASSERT_FALSE(gnut_hostcache_contains(hc, IP(20, 0, 0, 1), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(20, 0, 0, 2), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(21, 0, 0, 1), 6346));
	gnut_hostcache_add(hc, IP(21, 0, 0, 2), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	CU_ASSERT_FALSE(gnut_hostcache_contains(hc, IP(20, 0, 0, 2), 6346));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), GNUT_HOSTCACHE_MAX_HOSTS);
}

static void test_backoff_after_failure(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	char buf[GNUT_ADDR_IPV4_PORT_LEN];
	guint32 up = IP(30, 0, 0, 1), leaf = IP(30, 0, 0, 2);
	gnut_hostcache_add(hc, leaf, 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	gnut_hostcache_add(hc, up, 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "30.0.0.1:6346");
	gnut_hostcache_failed(hc, up, 6346);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).failures, 1);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).retry_at_us,
	                START_US + (gint64)GNUT_HOSTCACHE_BACKOFF_S * SEC);
	/* the failed ultrapeer is held back: the leaf comes next */
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "30.0.0.2:6346");
	gnut_hostcache_failed(hc, leaf, 6346);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "");
	gnut_clock_manual_advance(clock, (gint64)GNUT_HOSTCACHE_BACKOFF_S * SEC - 1);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "");
	gnut_clock_manual_advance(clock, 1);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).retry_at_us, 0);
	CU_ASSERT_STRING_EQUAL(pick_str(hc, buf), "30.0.0.1:6346");
	/* consecutive failures double the back-off */
	gnut_hostcache_failed(hc, up, 6346);
	gint64 now = gnut_clock_now_us(clock);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).retry_at_us,
	                now + 2 * (gint64)GNUT_HOSTCACHE_BACKOFF_S * SEC);
	/* a link that comes up clears it all */
	gnut_hostcache_connected(hc, up, 6346);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).failures, 0);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).retry_at_us, 0);
	CU_ASSERT_EQUAL(entry_of(hc, up, 6346).last_seen_us, now);
	/* unknown hosts are ignored */
	gnut_hostcache_failed(hc, IP(30, 0, 0, 9), 6346);
	gnut_hostcache_connected(hc, IP(30, 0, 0, 9), 6346);
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 2);
}

static void test_backoff_cap_and_drop(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	guint32 ip = IP(31, 0, 0, 1);
	gnut_hostcache_add(hc, ip, 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	gint64 expected_s = GNUT_HOSTCACHE_BACKOFF_S;
	gboolean doubling_ok = TRUE;
	for (guint f = 1; f < GNUT_HOSTCACHE_MAX_FAILURES; f++) {
		gnut_hostcache_failed(hc, ip, 6346);
		gint64 now = gnut_clock_now_us(clock);
		gnut_hostcache_entry e = entry_of(hc, ip, 6346);
		doubling_ok =
		    doubling_ok && e.failures == f &&
		    e.retry_at_us == now + MIN(expected_s, GNUT_HOSTCACHE_MAX_BACKOFF_S) * SEC;
		expected_s *= 2;
		gnut_clock_manual_advance(clock, GNUT_HOSTCACHE_MAX_BACKOFF_S * SEC);
	}
	CU_ASSERT_TRUE(doubling_ok);
	/* the cap was reached before the drop */
	CU_ASSERT_TRUE(expected_s / 2 > GNUT_HOSTCACHE_MAX_BACKOFF_S);
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, ip, 6346));
	gnut_hostcache_failed(hc, ip, 6346);
	CU_ASSERT_FALSE(gnut_hostcache_contains(hc, ip, 6346));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 0);
}

static void test_bogus_addresses_rejected(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_ALLOW_PRIVATE);
	static const guint32 bogus[] = {
	    IP(0, 0, 0, 0),     IP(0, 1, 2, 3),         IP(224, 0, 0, 1),    IP(239, 255, 255, 250),
	    IP(240, 0, 0, 1),   IP(255, 255, 255, 255), IP(192, 0, 2, 1),    IP(198, 51, 100, 7),
	    IP(203, 0, 113, 9), IP(198, 18, 0, 1),      IP(198, 19, 255, 1), IP(192, 0, 0, 8),
	};
	guint accepted = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(bogus); i++)
		accepted += gnut_hostcache_add(hc, bogus[i], 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_FALSE(gnut_hostcache_add(hc, IP(8, 8, 8, 8), 0, GNUT_HOST_SOURCE_PONG, TRUE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 0);
	/* neighbours of the bogus ranges are fine */
	CU_ASSERT_TRUE(gnut_hostcache_add(hc, IP(1, 0, 0, 0), 1, GNUT_HOST_SOURCE_PONG, FALSE));
	CU_ASSERT_TRUE(
	    gnut_hostcache_add(hc, IP(223, 255, 255, 254), 65535, GNUT_HOST_SOURCE_PONG, FALSE));
	CU_ASSERT_TRUE(
	    gnut_hostcache_add(hc, IP(198, 20, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 3);
}

static void test_address_strings(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	CU_ASSERT_TRUE(
	    gnut_hostcache_add_ip_string(hc, "81.2.3.4", 6346, GNUT_HOST_SOURCE_USER, 0));
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(81, 2, 3, 4), 6346));
	static const char *const bad_ips[] = {
	    "",        "1.2.3",  "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
	    "a.b.c.d", "1..2.3", "1.2.3.",    "::1",       "1.2.3.-4", "1.2.3.4x", "1.2.3.1000",
	};
	guint accepted = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(bad_ips); i++)
		accepted +=
		    gnut_hostcache_add_ip_string(hc, bad_ips[i], 6346, GNUT_HOST_SOURCE_USER, 0);
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_FALSE(
	    gnut_hostcache_add_ip_string(hc, "0.0.0.0", 6346, GNUT_HOST_SOURCE_USER, 0));
	CU_ASSERT_TRUE(gnut_hostcache_add_host_port(hc, "82.1.2.3:6347",
	                                            GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS, TRUE));
	CU_ASSERT_TRUE(entry_of(hc, IP(82, 1, 2, 3), 6347).ultrapeer);
	static const char *const bad_host_ports[] = {
	    "82.1.2.3",       "82.1.2.3:",          "82.1.2.3:0",     "82.1.2.3:65536",
	    "82.1.2.3:6346x", "82.1.2.3:06346",     "[::1]:6346",     "host.example:6346",
	    ":6346",          "82.1.2.3:6346:6346", "82.1.2.3 :6346", "82.1.2.3:-1",
	};
	accepted = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(bad_host_ports); i++)
		accepted += gnut_hostcache_add_host_port(hc, bad_host_ports[i],
		                                         GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS, TRUE);
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 2);
	char buf[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(IP(255, 255, 255, 255), 65535, buf);
	CU_ASSERT_STRING_EQUAL(buf, "255.255.255.255:65535");
	CU_ASSERT_STRING_EQUAL(gnut_host_source_name(GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS),
	                       "x-try-ultrapeers");
}

static void test_private_only_with_flag(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) strict = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	g_autoptr(gnut_hostcache) open = memory_cache(clock, GNUT_HOSTCACHE_ALLOW_PRIVATE);
	static const guint32 private_ips[] = {
	    IP(127, 0, 0, 1),  IP(127, 255, 0, 9), IP(10, 0, 0, 1),    IP(172, 16, 0, 1),
	    IP(172, 31, 9, 9), IP(192, 168, 1, 1), IP(169, 254, 1, 1), IP(100, 64, 0, 1),
	};
	guint strict_ok = 0, open_ok = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(private_ips); i++) {
		strict_ok +=
		    gnut_hostcache_add(strict, private_ips[i], 6346, GNUT_HOST_SOURCE_USER, 0);
		open_ok += gnut_hostcache_add(open, private_ips[i], 6346, GNUT_HOST_SOURCE_USER, 0);
	}
	CU_ASSERT_EQUAL(strict_ok, 0);
	CU_ASSERT_EQUAL(open_ok, G_N_ELEMENTS(private_ips));
	CU_ASSERT_FALSE(gnut_hostcache_is_acceptable(strict, IP(127, 0, 0, 1), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_is_acceptable(open, IP(127, 0, 0, 1), 6346));
	/* the flag does not open the bogus ranges, nor port 0 */
	CU_ASSERT_FALSE(gnut_hostcache_is_acceptable(open, IP(0, 0, 0, 0), 6346));
	CU_ASSERT_FALSE(gnut_hostcache_is_acceptable(open, IP(127, 0, 0, 1), 0));
	/* just outside the private ranges is public */
	CU_ASSERT_TRUE(gnut_hostcache_is_acceptable(strict, IP(172, 32, 0, 1), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_is_acceptable(strict, IP(172, 15, 255, 255), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_is_acceptable(strict, IP(100, 128, 0, 1), 6346));
	CU_ASSERT_TRUE(gnut_hostcache_is_acceptable(strict, IP(11, 0, 0, 1), 6346));
	/* a loopback test network picks its loopback peers */
	char buf[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_TRUE(gnut_hostcache_remove(open, IP(100, 64, 0, 1), 6346));
	gnut_hostcache_add(open, IP(127, 0, 0, 1), 6346, GNUT_HOST_SOURCE_USER, TRUE);
	CU_ASSERT_STRING_EQUAL(pick_str(open, buf), "127.0.0.1:6346");
}

static gsize count_dir_entries(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	gsize n = 0;
	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	return n;
}

static void fill_sample(gnut_hostcache *hc, gnut_clock *clock)
{
	gnut_hostcache_add(hc, IP(40, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	gnut_clock_manual_advance(clock, 10 * SEC);
	gnut_hostcache_add(hc, IP(40, 0, 0, 2), 6347, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS, TRUE);
	gnut_clock_manual_advance(clock, 10 * SEC);
	gnut_hostcache_add(hc, IP(127, 0, 0, 1), 40001, GNUT_HOST_SOURCE_HANDSHAKE, TRUE);
	gnut_hostcache_set_tls(hc, IP(127, 0, 0, 1), 40001, TRUE);
	gnut_clock_manual_advance(clock, 5 * SEC);
	gnut_hostcache_add(hc, IP(40, 0, 0, 3), 1, GNUT_HOST_SOURCE_USER, FALSE);
	gnut_hostcache_failed(hc, IP(40, 0, 0, 2), 6347);
	gnut_hostcache_failed(hc, IP(40, 0, 0, 2), 6347);
	gnut_clock_manual_advance(clock, 3 * SEC);
}

static void test_save_load_round_trip(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "hosts", NULL);
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	GError *err = NULL;
	gnut_hostcache *hc = gnut_hostcache_new(clock, path, GNUT_HOSTCACHE_ALLOW_PRIVATE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc); /* a missing file is an empty cache */
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 0);
	CU_ASSERT_FALSE(gnut_hostcache_is_dirty(hc));
	fill_sample(hc, clock);
	CU_ASSERT_TRUE(gnut_hostcache_is_dirty(hc));
	CU_ASSERT_TRUE(gnut_hostcache_save(hc, &err));
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FALSE(gnut_hostcache_is_dirty(hc));
	CU_ASSERT_EQUAL(count_dir_entries(dir), 1); /* no temporary file left */
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(text, "gnutd-hostcache 2\n"
	                             "40.0.0.3:1 3 L user 0 -\n"
	                             "127.0.0.1:40001 8 U handshake 0 tls\n"
	                             "40.0.0.2:6347 18 U x-try-ultrapeers 2 -\n"
	                             "40.0.0.1:6346 28 L pong 0 -\n");
	g_autoptr(GArray) before = gnut_hostcache_list(hc);
	gnut_hostcache_free(hc);

	/* another run: another clock origin, same ages, order and marks */
	g_autoptr(gnut_clock) later = gnut_clock_manual_new(77 * SEC);
	g_autoptr(gnut_hostcache) back =
	    gnut_hostcache_new(later, path, GNUT_HOSTCACHE_ALLOW_PRIVATE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_FALSE(gnut_hostcache_is_dirty(back));
	g_autoptr(GArray) after = gnut_hostcache_list(back);
	CU_ASSERT_EQUAL_FATAL(after->len, before->len);
	gboolean same = TRUE;
	for (guint i = 0; i < after->len; i++) {
		gnut_hostcache_entry a = g_array_index(before, gnut_hostcache_entry, i);
		gnut_hostcache_entry b = g_array_index(after, gnut_hostcache_entry, i);
		same = same && a.ip == b.ip && a.port == b.port && a.ultrapeer == b.ultrapeer &&
		       a.tls == b.tls && a.source == b.source && a.failures == b.failures &&
		       START_US + 28 * SEC - a.last_seen_us == 77 * SEC - b.last_seen_us;
	}
	CU_ASSERT_TRUE(same);
	CU_ASSERT_TRUE(gnut_hostcache_speaks_tls(back, IP(127, 0, 0, 1), 40001));
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(back, IP(40, 0, 0, 1), 6346));
	/* hold-backs are not saved: the failed host may be tried again */
	CU_ASSERT_EQUAL(entry_of(back, IP(40, 0, 0, 2), 6347).retry_at_us, 0);
	/* a cache without the flag drops the loopback host it reads */
	g_autoptr(gnut_hostcache) strict =
	    gnut_hostcache_new(later, path, GNUT_HOSTCACHE_FLAGS_NONE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(strict);
	CU_ASSERT_EQUAL(gnut_hostcache_size(strict), 3);
	CU_ASSERT_FALSE(gnut_hostcache_contains(strict, IP(127, 0, 0, 1), 40001));
	gnut_unit_rmtree(dir);
}

static void test_damaged_file_ignored(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "hosts", NULL);
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	static const char *const damaged[] = {
	    "not a host cache\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0", /* truncated: no final newline */
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0\n\x01\x02garbage\n",
	    "",
	};
	GError *err = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(damaged); i++) {
		CU_ASSERT_TRUE(g_file_set_contents(path, damaged[i], -1, NULL));
		g_autoptr(gnut_hostcache) hc =
		    gnut_hostcache_new(clock, path, GNUT_HOSTCACHE_FLAGS_NONE, &err);
		CU_ASSERT_PTR_NOT_NULL(hc);
		CU_ASSERT_PTR_NULL(err);
		if (hc != NULL)
			CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 0);
	}
	/* over the cap: ignored without reading it all */
	g_autofree char *big = g_strnfill(GNUT_HOSTCACHE_MAX_FILE_BYTES + 1, '\n');
	CU_ASSERT_TRUE(g_file_set_contents(path, big, -1, NULL));
	g_autoptr(gnut_hostcache) hc =
	    gnut_hostcache_new(clock, path, GNUT_HOSTCACHE_FLAGS_NONE, &err);
	CU_ASSERT_PTR_NOT_NULL(hc);
	CU_ASSERT_PTR_NULL(err);
	/* a folder where the file should be is an error, not damage */
	g_unlink(path);
	CU_ASSERT_EQUAL(g_mkdir(path, 0700), 0);
	gnut_hostcache *none = gnut_hostcache_new(clock, path, GNUT_HOSTCACHE_FLAGS_NONE, &err);
	CU_ASSERT_PTR_NULL(none);
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	gnut_unit_rmtree(dir);
}

/* A valid text cut at every offset parses only where the cut falls right
 * after a newline (fewer whole lines), and never reads past the cut. */
static void test_every_truncation(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_ALLOW_PRIVATE);
	fill_sample(hc, clock);
	g_autoptr(GBytes) text = gnut_hostcache_serialize(hc);
	gsize len = 0;
	const char *data = g_bytes_get_data(text, &len);
	g_autoptr(gnut_hostcache) other = memory_cache(clock, GNUT_HOSTCACHE_ALLOW_PRIVATE);
	guint wrong = 0;
	for (gsize cut = 0; cut < len; cut++) {
		char *copy = g_memdup2(data, cut);
		gboolean ok = gnut_hostcache_parse(other, copy, cut, NULL);
		wrong += ok != (cut > 0 && data[cut - 1] == '\n');
		g_free(copy);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_TRUE(gnut_hostcache_parse(other, data, len, NULL));
	g_autoptr(GBytes) again = gnut_hostcache_serialize(other);
	CU_ASSERT_TRUE(g_bytes_equal(text, again));
}

static void test_parse_rejects(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	gnut_hostcache_add(hc, IP(50, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, TRUE);
	static const char *const bad[] = {
	    "gnutd-hostcache 3\n",
	    "gnutd-hostcache 1\r\n",
	    "gnutd-hostcache 1\n\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0\r\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346  0 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 X pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 UL pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U ping 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 8\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0 \n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 4294967296 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 -1 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 00 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:0 0 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4 0 U pong 0\n",
	    "gnutd-hostcache 1\nhost:6346 0 U pong 0\n",
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong\n",
	    /* version 1 lines have no TLS mark, version 2 lines must have one */
	    "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0 tls\n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0\n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0 \n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0 TLS\n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0 tlsx\n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0 --\n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 0 tls \n",
	    "gnutd-hostcache 2\n1.2.3.4:6346 0 U pong 8 -\n",
	};
	guint accepted = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		accepted += gnut_hostcache_parse(hc, bad[i], strlen(bad[i]), NULL);
	CU_ASSERT_EQUAL(accepted, 0);
	/* a rejected text leaves the cache as it was */
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 1);
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(50, 0, 0, 1), 6346));
	GError *err = NULL;
	const char *second_line_bad = "gnutd-hostcache 1\n1.2.3.4:6346 0 U pong 0\nxx\n";
	CU_ASSERT_FALSE(gnut_hostcache_parse(hc, second_line_bad, strlen(second_line_bad), &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
	CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err->message, "line 3") : NULL);
	g_clear_error(&err);
	/* the largest age and failure count are fine */
	const char *edge = "gnutd-hostcache 1\n1.2.3.4:65535 4294967295 L user 7\n";
	CU_ASSERT_TRUE(gnut_hostcache_parse(hc, edge, strlen(edge), NULL));
	CU_ASSERT_EQUAL(entry_of(hc, IP(1, 2, 3, 4), 65535).failures, 7);
}

/* A file written before the TLS mark loads: its hosts are not known to
 * speak TLS; saved again, it takes the current form. */
static void test_parse_version_1(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	const char *old = "gnutd-hostcache 1\n"
	                  "60.0.0.1:1 5 U handshake 1\n"
	                  "60.0.0.2:2 9 L pong 0\n";
	CU_ASSERT_TRUE_FATAL(gnut_hostcache_parse(hc, old, strlen(old), NULL));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), 2);
	CU_ASSERT_EQUAL(entry_of(hc, IP(60, 0, 0, 1), 1).failures, 1);
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(60, 0, 0, 1), 1));
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(60, 0, 0, 2), 2));
	gnut_hostcache_set_tls(hc, IP(60, 0, 0, 2), 2, TRUE);
	CU_ASSERT_TRUE(gnut_hostcache_is_dirty(hc));
	g_autoptr(GBytes) text = gnut_hostcache_serialize(hc);
	const char *expected = "gnutd-hostcache 2\n"
	                       "60.0.0.1:1 5 U handshake 1 -\n"
	                       "60.0.0.2:2 9 L pong 0 tls\n";
	gsize len = 0;
	const char *data = g_bytes_get_data(text, &len);
	CU_ASSERT_EQUAL(len, strlen(expected));
	CU_ASSERT_EQUAL(memcmp(data, expected, MIN(len, strlen(expected))), 0);
}

/* The TLS mark: set and cleared on known hosts only, kept across sightings. */
static void test_tls_mark(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	gnut_hostcache_set_tls(hc, IP(61, 0, 0, 1), 6346, TRUE); /* unknown: ignored */
	CU_ASSERT_FALSE(gnut_hostcache_contains(hc, IP(61, 0, 0, 1), 6346));
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(61, 0, 0, 1), 6346));
	gnut_hostcache_add(hc, IP(61, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(61, 0, 0, 1), 6346));
	gnut_hostcache_set_tls(hc, IP(61, 0, 0, 1), 6346, TRUE);
	gnut_hostcache_add(hc, IP(61, 0, 0, 1), 6346, GNUT_HOST_SOURCE_HANDSHAKE, TRUE);
	CU_ASSERT_TRUE(gnut_hostcache_speaks_tls(hc, IP(61, 0, 0, 1), 6346));
	CU_ASSERT_TRUE(entry_of(hc, IP(61, 0, 0, 1), 6346).tls);
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(61, 0, 0, 1), 6347)); /* other port */
	gnut_hostcache_set_tls(hc, IP(61, 0, 0, 1), 6346, FALSE);
	CU_ASSERT_FALSE(gnut_hostcache_speaks_tls(hc, IP(61, 0, 0, 1), 6346));
}

static void test_parse_orders_and_dedups(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	/* hand-edited: ages out of order, a repeated host, one unroutable */
	const char *text = "gnutd-hostcache 1\n"
	                   "60.0.0.1:1 50 L pong 0\n"
	                   "60.0.0.2:2 5 L pong 1\n"
	                   "224.0.0.1:3 0 U pong 0\n"
	                   "60.0.0.1:1 7 U handshake 3\n"
	                   "60.0.0.3:3 5 L user 0\n";
	CU_ASSERT_TRUE(gnut_hostcache_parse(hc, text, strlen(text), NULL));
	CU_ASSERT_FALSE(gnut_hostcache_is_dirty(hc));
	g_autoptr(GArray) list = gnut_hostcache_list(hc);
	CU_ASSERT_EQUAL_FATAL(list->len, 3);
	gnut_hostcache_entry e0 = g_array_index(list, gnut_hostcache_entry, 0);
	gnut_hostcache_entry e1 = g_array_index(list, gnut_hostcache_entry, 1);
	gnut_hostcache_entry e2 = g_array_index(list, gnut_hostcache_entry, 2);
	CU_ASSERT_EQUAL(e0.ip, IP(60, 0, 0, 2)); /* equal ages keep the file's order */
	CU_ASSERT_EQUAL(e1.ip, IP(60, 0, 0, 3));
	CU_ASSERT_EQUAL(e2.ip, IP(60, 0, 0, 1)); /* its most recent line won */
	CU_ASSERT_TRUE(e2.ultrapeer);
	CU_ASSERT_EQUAL(e2.failures, 3);
	CU_ASSERT_EQUAL(e2.source, GNUT_HOST_SOURCE_HANDSHAKE);
	CU_ASSERT_EQUAL(e2.last_seen_us, START_US - 7 * SEC);
}

static void test_parse_caps_hosts(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	g_autoptr(GString) text = g_string_new("gnutd-hostcache 1\n");
	/* written oldest first: the cap must keep the newest ones */
	for (guint i = GNUT_HOSTCACHE_MAX_HOSTS + 10; i > 0; i--)
		g_string_append_printf(text, "70.0.%u.%u:6346 %u L pong 0\n", i >> 8, i & 0xff, i);
	CU_ASSERT_TRUE(gnut_hostcache_parse(hc, text->str, text->len, NULL));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), GNUT_HOSTCACHE_MAX_HOSTS);
	CU_ASSERT_TRUE(gnut_hostcache_contains(hc, IP(70, 0, 0, 1), 6346));
	CU_ASSERT_FALSE(gnut_hostcache_contains(
	    hc,
	    IP(70, 0, (GNUT_HOSTCACHE_MAX_HOSTS + 1) >> 8, (GNUT_HOSTCACHE_MAX_HOSTS + 1) & 0xff),
	    6346));
	/* text over the file cap is refused as a whole */
	g_autofree char *big = g_strnfill(GNUT_HOSTCACHE_MAX_FILE_BYTES + 1, 'x');
	CU_ASSERT_FALSE(gnut_hostcache_parse(hc, big, GNUT_HOSTCACHE_MAX_FILE_BYTES + 1, NULL));
	CU_ASSERT_EQUAL(gnut_hostcache_size(hc), GNUT_HOSTCACHE_MAX_HOSTS);
}

static void test_atomic_save(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "hosts", NULL);
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	GError *err = NULL;
	g_autoptr(gnut_hostcache) hc =
	    gnut_hostcache_new(clock, path, GNUT_HOSTCACHE_FLAGS_NONE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hc);
	CU_ASSERT_TRUE(g_file_set_contents(path, "old contents\n", -1, NULL));
	gboolean all_saved = TRUE;
	for (guint i = 1; i <= 20; i++) {
		gnut_hostcache_add(hc, IP(80, 0, 0, i), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
		all_saved = all_saved && gnut_hostcache_save(hc, NULL);
	}
	CU_ASSERT_TRUE(all_saved);
	CU_ASSERT_EQUAL(count_dir_entries(dir), 1);
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_TRUE(g_str_has_prefix(text, "gnutd-hostcache 2\n80.0.0.20:6346 0 L pong 0 -\n"));
	/* a save that cannot happen reports it and leaves the cache dirty */
	g_autofree char *lost = g_build_filename(dir, "missing", "hosts", NULL);
	g_autoptr(gnut_hostcache) nowhere =
	    gnut_hostcache_new(clock, lost, GNUT_HOSTCACHE_FLAGS_NONE, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nowhere);
	gnut_hostcache_add(nowhere, IP(80, 0, 0, 1), 6346, GNUT_HOST_SOURCE_PONG, FALSE);
	CU_ASSERT_FALSE(gnut_hostcache_save(nowhere, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	CU_ASSERT_TRUE(gnut_hostcache_is_dirty(nowhere));
	CU_ASSERT_EQUAL(count_dir_entries(dir), 1);
	/* a memory-only cache has nothing to save */
	g_autoptr(gnut_hostcache) mem = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	CU_ASSERT_TRUE(gnut_hostcache_save(mem, NULL));
	gnut_unit_rmtree(dir);
}

static void test_fresh_ultrapeers(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(START_US);
	g_autoptr(gnut_hostcache) hc = memory_cache(clock, GNUT_HOSTCACHE_FLAGS_NONE);
	gnut_ipv4_port out[4];
	CU_ASSERT_EQUAL(gnut_hostcache_fresh_ultrapeers(hc, 60, out, 4), 0);
	gnut_hostcache_add(hc, IP(1, 1, 1, 1), 1, GNUT_HOST_SOURCE_UHC, TRUE);
	gnut_clock_manual_advance(clock, 100 * SEC);
	gnut_hostcache_add(hc, IP(2, 2, 2, 2), 2, GNUT_HOST_SOURCE_GWC, TRUE);
	gnut_hostcache_add(hc, IP(3, 3, 3, 3), 3, GNUT_HOST_SOURCE_PONG, FALSE); /* a leaf */
	gnut_hostcache_add(hc, IP(4, 4, 4, 4), 4, GNUT_HOST_SOURCE_PONG, TRUE);
	gnut_hostcache_add(hc, IP(5, 5, 5, 5), 5, GNUT_HOST_SOURCE_PONG, TRUE);
	gnut_hostcache_failed(hc, IP(5, 5, 5, 5), 5);
	/* 1.1.1.1 is too old, 3.3.3.3 a leaf, 5.5.5.5 failed */
	CU_ASSERT_EQUAL(gnut_hostcache_fresh_ultrapeers(hc, 60, out, 4), 2);
	CU_ASSERT_EQUAL(out[0].ip, IP(4, 4, 4, 4));
	CU_ASSERT_EQUAL(out[1].ip, IP(2, 2, 2, 2));
	CU_ASSERT_EQUAL(gnut_hostcache_fresh_ultrapeers(hc, 60, out, 1), 1);
	CU_ASSERT_EQUAL(gnut_hostcache_fresh_ultrapeers(hc, 200, out, 4), 3);
	CU_ASSERT_STRING_EQUAL(gnut_host_source_name(GNUT_HOST_SOURCE_UHC), "uhc");
	CU_ASSERT_STRING_EQUAL(gnut_host_source_name(GNUT_HOST_SOURCE_GWC), "gwc");
}

static CU_TestInfo tests[] = {
    {"pick order: ultrapeers, then most recent", test_pick_order},
    {"a new sighting refreshes a host", test_sighting_refreshes},
    {"exclude callback", test_exclude_callback},
    {"cap evicts the least recently seen", test_cap_evicts_least_recently_seen},
    {"back-off after failure and its expiry", test_backoff_after_failure},
    {"back-off doubles to a cap, then the host goes", test_backoff_cap_and_drop},
    {"bogus addresses rejected", test_bogus_addresses_rejected},
    {"address strings", test_address_strings},
    {"loopback and private only with the flag", test_private_only_with_flag},
    {"save/load round trip", test_save_load_round_trip},
    {"a damaged file is ignored", test_damaged_file_ignored},
    {"every truncation", test_every_truncation},
    {"malformed lines rejected", test_parse_rejects},
    {"parse orders by age and drops repeats", test_parse_orders_and_dedups},
    {"a file without TLS marks still loads", test_parse_version_1},
    {"the TLS mark", test_tls_mark},
    {"parse keeps the newest hosts up to the cap", test_parse_caps_hosts},
    {"atomic save leaves no temporary file", test_atomic_save},
    {"fresh ultrapeers", test_fresh_ultrapeers},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("hostcache", tests)
