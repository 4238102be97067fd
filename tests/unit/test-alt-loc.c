/* test-alt-loc.c: the download mesh headers: gtk-gnutella's compact X-Alt
 * with its "tls=" bit string (as captured in interop/http.txt), entries
 * without a port, the address checks, push and IPv6 entries skipped, the
 * cap, and the legacy URL form with dates. */
#include "gnut/proto/alt-loc.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static void test_compact_gtkg_capture(void)
{
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	gnut_alt_counts c;
	CU_ASSERT_EQUAL(gnut_alt_parse_compact("tls=8, 127.0.0.1:36502", true, a, &n, &c),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(a[0].ip, IP(127, 0, 0, 1));
	CU_ASSERT_EQUAL(a[0].port, 36502);
	CU_ASSERT_TRUE(a[0].tls);
	/* The same from a servent on a public address: loopback refused. */
	CU_ASSERT_EQUAL(gnut_alt_parse_compact("tls=8, 127.0.0.1:36502", false, a, &n, &c),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(c.refused, 1);
}

static void test_compact_tls_bits_and_ports(void)
{
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	const char *v = "TLS=48, 1.2.3.4:1, 5.6.7.8, 9.9.9.9:3, 8.8.8.8:4, 11.0.0.1:5, 12.0.0.1:6";
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(v, false, a, &n, NULL), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	/* 0x4 = 0100: entry 1; 0x8 = 1000: entry 4. */
	gboolean want[] = {FALSE, TRUE, FALSE, FALSE, TRUE, FALSE};
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(a[i].tls, want[i]);
	CU_ASSERT_EQUAL(a[1].port, GNUT_ALT_DEFAULT_PORT);
	g_autoptr(GString) s = g_string_new(NULL);
	gnut_alt_format_compact(s, a, n);
	CU_ASSERT_STRING_EQUAL(s->str, "tls=48, 1.2.3.4:1, 5.6.7.8:6346, 9.9.9.9:3, 8.8.8.8:4, "
	                               "11.0.0.1:5, 12.0.0.1:6");
	g_string_truncate(s, 0);
	gnut_alt plain = {IP(1, 2, 3, 4), 80, false};
	gnut_alt_format_compact(s, &plain, 1);
	CU_ASSERT_STRING_EQUAL(s->str, "1.2.3.4:80");
}

static void test_compact_refusals_and_skips(void)
{
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	gnut_alt_counts c;
	const char *v = "0.0.0.0:1, 224.0.0.1:2, 255.255.255.255:3, 1.2.3.4:0, 10.0.0.1:4, "
	                "192.168.1.1:5, [::1]:6, AAAAAAAAAAAAAAAAAAAAAAAAAA;1.2.3.4:7, "
	                "host.example:8, 01.2.3.4:9, 1.2.3.4:10, 1.2.3.4:10, , 192.0.2.1:11";
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(v, false, a, &n, &c), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(a[0].port, 10);
	CU_ASSERT_EQUAL(c.refused, 6); /* 192.0.2.1 is documentation */
	CU_ASSERT_EQUAL(c.skipped, 5); /* 1.2.3.4:0 is not even well-formed */
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(v, true, a, &n, &c), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 3); /* 10.0.0.1 and 192.168.1.1 too */
	CU_ASSERT_EQUAL(gnut_alt_parse_compact("", false, a, &n, &c), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_FALSE(gnut_alt_address_ok(IP(1, 2, 3, 4), 0, true));
	CU_ASSERT_TRUE(gnut_alt_address_ok(IP(1, 2, 3, 4), 1, false));
}

static void test_compact_cap(void)
{
	g_autoptr(GString) v = g_string_new(NULL);
	for (int i = 0; i < GNUT_ALT_MAX + 3; i++)
		g_string_append_printf(v, "%s8.8.%d.%d:6346", i ? "," : "", i / 200, i % 200 + 1);
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(v->str, false, a, &n, NULL),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(n, GNUT_ALT_MAX);
	CU_ASSERT_EQUAL(a[0].ip, IP(8, 8, 0, 1));
}

static void test_legacy(void)
{
	uint8_t sha1[GNUT_SHA1_LEN], other[GNUT_SHA1_LEN];
	for (int i = 0; i < GNUT_SHA1_LEN; i++) {
		sha1[i] = (uint8_t)i;
		other[i] = (uint8_t)(i + 1);
	}
	char urn[GNUT_URN_SHA1_LEN + 1], urn2[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	gnut_urn_format_sha1(other, urn2);
	g_autofree char *v = g_strdup_printf(
	    "http://1.2.3.4:6352/uri-res/N2R?%s 2002-04-09T20:32:33Z, "
	    "HTTP://5.6.7.8/uri-res/N2R?%s Mon, 17 Jun 2002 07:53:14 +0200, "
	    "http://9.9.9.9:1/uri-res/N2R?%s, http://8.8.8.8:2/get/2/a%%20b.mpg, "
	    "http://127.0.0.1:3/uri-res/N2R?%s, http://host.example:4/uri-res/N2R?%s",
	    urn, urn, urn2, urn, urn);
	gnut_alt a[GNUT_ALT_MAX];
	size_t n = 0;
	gnut_alt_counts c;
	CU_ASSERT_EQUAL(gnut_alt_parse_legacy(v, sha1, false, a, &n, &c), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(a[0].ip, IP(1, 2, 3, 4));
	CU_ASSERT_EQUAL(a[0].port, 6352);
	CU_ASSERT_EQUAL(a[1].ip, IP(5, 6, 7, 8));
	CU_ASSERT_EQUAL(a[1].port, 80);
	CU_ASSERT_EQUAL(c.refused, 1);
	g_autoptr(GString) s = g_string_new(NULL);
	gnut_alt_format_legacy(s, sha1, a, n);
	g_autofree char *want = g_strdup_printf(
	    "http://1.2.3.4:6352/uri-res/N2R?%s, http://5.6.7.8:80/uri-res/N2R?%s", urn, urn);
	CU_ASSERT_STRING_EQUAL(s->str, want);
	size_t m = 0;
	gnut_alt b[GNUT_ALT_MAX];
	CU_ASSERT_EQUAL(gnut_alt_parse_legacy(s->str, sha1, false, b, &m, NULL), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m, 2);
}

static CU_TestInfo tests[] = {
    {"compact: gtk-gnutella's captured X-Alt", test_compact_gtkg_capture},
    {"compact: tls bits, default port, format", test_compact_tls_bits_and_ports},
    {"compact: address refusals, skipped kinds", test_compact_refusals_and_skips},
    {"compact: cap", test_compact_cap},
    {"legacy URLs with dates", test_legacy},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("alt-loc", tests)
