/* test-uhc.c: the UDP host cache codecs: IPP known vectors and lengths, a
 * hand-made cache pong (UDPHC, UP, IPP) decoded field by field and cut at
 * every offset, SCP pings, and our own pongs read back. */
#include "gnut/proto/ggep.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/uhc.h"
#include "unit.h"

#include <string.h>

/* 1.2.3.4:6346 and 10.0.0.1:1 */
static const uint8_t ipp_two[] = {1, 2, 3, 4, 0xca, 0x18, 10, 0, 0, 1, 0x01, 0x00};

static void test_ipp_vector(void)
{
	gnut_ipv4_port h[4];
	size_t n = 99;
	CU_ASSERT_EQUAL(gnut_ipp_decode(ipp_two, sizeof ipp_two, h, 4, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(h[0].ip, 0x01020304);
	CU_ASSERT_EQUAL(h[0].port, 6346);
	CU_ASSERT_EQUAL(h[1].ip, 0x0a000001);
	CU_ASSERT_EQUAL(h[1].port, 1);
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_ipp_encode(out, h, n);
	CU_ASSERT_EQUAL(out->len, sizeof ipp_two);
	CU_ASSERT_EQUAL(memcmp(out->data, ipp_two, sizeof ipp_two), 0);
	CU_ASSERT_EQUAL(gnut_ipp_decode(ipp_two, 0, h, 4, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 0);
}

static void test_ipp_lengths(void)
{
	gnut_ipv4_port h[2];
	size_t n;
	for (size_t cut = 1; cut < sizeof ipp_two; cut++)
		if (cut != GNUT_IPP_ENTRY_LEN)
			CU_ASSERT_EQUAL(gnut_ipp_decode(ipp_two, cut, h, 2, &n),
			                GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(gnut_ipp_decode(ipp_two, sizeof ipp_two, h, 1, &n),
	                GNUT_PROTO_ERR_TOO_LARGE);
}

/* A pong as a cache sends it: 5.6.7.8:6346, UDPHC "uhc.example.org", UP,
 * IPP with the two hosts above. */
static GByteArray *cache_pong(const char *udphc)
{
	uint8_t up[3] = {1, 30, 2};
	gnut_ggep_item items[] = {
	    {.id = "UDPHC", .data = (const uint8_t *)udphc, .len = strlen(udphc)},
	    {.id = "UP", .data = up, .len = sizeof up},
	    {.id = "IPP", .data = ipp_two, .len = sizeof ipp_two},
	};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(items, G_N_ELEMENTS(items), ggep), GNUT_PROTO_OK);
	gnut_pong p = {.port = 6346, .ipv4 = 0x05060708, .ggep = {ggep->data, ggep->len}};
	GByteArray *out = g_byte_array_new();
	gnut_pong_encode(out, &p);
	return out;
}

static void test_cache_pong(void)
{
	g_autoptr(GByteArray) wire = cache_pong("uhc.example.org");
	gnut_uhc_pong p;
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(wire->data, wire->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ip, 0x05060708);
	CU_ASSERT_EQUAL(p.port, 6346);
	CU_ASSERT_TRUE(p.is_cache);
	CU_ASSERT_TRUE(p.ultrapeer);
	CU_ASSERT_STRING_EQUAL(p.cache_name, "uhc.example.org");
	CU_ASSERT_EQUAL(p.n_hosts, 2);
	CU_ASSERT_EQUAL(p.hosts[0].ip, 0x01020304);
	CU_ASSERT_EQUAL(p.hosts[1].port, 1);
	/* an empty name (the sender is the cache) and a name that is an address */
	g_autoptr(GByteArray) empty = cache_pong("");
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(empty->data, empty->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(p.is_cache);
	CU_ASSERT_STRING_EQUAL(p.cache_name, "");
	g_autoptr(GByteArray) literal = cache_pong("1.2.3.4");
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(literal->data, literal->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(p.cache_name, "");
}

static void test_cache_pong_truncated(void)
{
	g_autoptr(GByteArray) wire = cache_pong("uhc.example.org");
	gnut_uhc_pong p;
	for (size_t cut = 0; cut < GNUT_PONG_LEN; cut++)
		CU_ASSERT_EQUAL(gnut_uhc_pong_decode(wire->data, cut, &p),
		                GNUT_PROTO_ERR_TRUNCATED);
	/* a plain pong, then a GGEP block the input ends inside */
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(wire->data, GNUT_PONG_LEN, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.n_hosts, 0);
	for (size_t cut = GNUT_PONG_LEN + 1; cut < wire->len; cut++) {
		CU_ASSERT_NOT_EQUAL(gnut_uhc_pong_decode(wire->data, cut, &p), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(p.n_hosts, 0);
	}
}

static void test_bad_ipp_in_pong(void)
{
	static const uint8_t five[5] = {1, 2, 3, 4, 5};
	gnut_ggep_item item = {.id = "IPP", .data = five, .len = sizeof five};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_ggep_encode(&item, 1, ggep);
	gnut_pong pong = {.port = 1, .ipv4 = 1, .ggep = {ggep->data, ggep->len}};
	g_autoptr(GByteArray) wire = g_byte_array_new();
	gnut_pong_encode(wire, &pong);
	gnut_uhc_pong p;
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(wire->data, wire->len, &p), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(p.n_hosts, 0);
}

static void test_scp_ping(void)
{
	g_autoptr(GByteArray) ping = g_byte_array_new();
	gnut_uhc_ping_encode(ping);
	/* C3, flags 0x83 (last, ID length 3), "SCP", length 1 (0x41), 0x01 */
	static const uint8_t expect[] = {0xc3, 0x83, 'S', 'C', 'P', 0x41, 0x01};
	CU_ASSERT_EQUAL(ping->len, sizeof expect);
	CU_ASSERT_EQUAL(memcmp(ping->data, expect, sizeof expect), 0);
	bool scp = false;
	CU_ASSERT_EQUAL(gnut_uhc_ping_decode(ping->data, ping->len, &scp), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(scp);
	CU_ASSERT_EQUAL(gnut_uhc_ping_decode(ping->data, 0, &scp), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(scp);
	for (size_t cut = 1; cut < ping->len; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_uhc_ping_decode(ping->data, cut, &scp), GNUT_PROTO_OK);
	static const uint8_t legacy[] = {'x', 'y'};
	CU_ASSERT_EQUAL(gnut_uhc_ping_decode(legacy, sizeof legacy, &scp), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(scp);
}

static void test_our_pong(void)
{
	gnut_ipv4_port hosts[] = {{0x01020304, 6346}, {0x05060708, 6347}};
	gnut_uhc_pong_fields f = {
	    .ip = 0x7f000001,
	    .port = 4242,
	    .files = 3,
	    .kib = 9,
	    .vendor = {'G', 'N', 'T', 'U'},
	    .version = 0x01,
	    .ultrapeer = true,
	    .leaf_slots = 30,
	    .ultra_slots = 4,
	    .uptime_s = 70000,
	    .hosts = hosts,
	    .n_hosts = 2,
	};
	g_autoptr(GByteArray) wire = g_byte_array_new();
	gnut_uhc_pong_encode(wire, &f);
	gnut_uhc_pong p;
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(wire->data, wire->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ip, 0x7f000001);
	CU_ASSERT_EQUAL(p.port, 4242);
	CU_ASSERT_TRUE(p.ultrapeer);
	CU_ASSERT_FALSE(p.is_cache);
	CU_ASSERT_EQUAL(p.n_hosts, 2);
	CU_ASSERT_EQUAL(p.hosts[1].ip, 0x05060708);
	CU_ASSERT_EQUAL(p.hosts[1].port, 6347);
	gnut_pong pong;
	CU_ASSERT_EQUAL(gnut_pong_decode(wire->data, wire->len, &pong), GNUT_PROTO_OK);
	gnut_ggep g;
	size_t used;
	CU_ASSERT_EQUAL(gnut_ggep_decode(pong.ggep.data, pong.ggep.len, &g, &used), GNUT_PROTO_OK);
	const gnut_ggep_ext *vc = gnut_ggep_find(&g, "VC");
	const gnut_ggep_ext *du = gnut_ggep_find(&g, "DU");
	const gnut_ggep_ext *up = gnut_ggep_find(&g, "UP");
	CU_ASSERT_TRUE(vc != NULL && vc->len == 5 && memcmp(vc->data, "GNTU\x01", 5) == 0);
	/* 70000 = 0x011170: three bytes, little-endian */
	CU_ASSERT_TRUE(du != NULL && du->len == 3 && memcmp(du->data, "\x70\x11\x01", 3) == 0);
	CU_ASSERT_TRUE(up != NULL && up->len == 3 && memcmp(up->data, "\x01\x1e\x04", 3) == 0);
	gnut_ggep_clear(&g);
	/* a leaf's pong: no UP, no IPP, no DU */
	gnut_uhc_pong_fields leaf = {.vendor = {'G', 'N', 'T', 'U'}, .port = 1, .ip = 1};
	g_autoptr(GByteArray) w2 = g_byte_array_new();
	gnut_uhc_pong_encode(w2, &leaf);
	CU_ASSERT_EQUAL(w2->len, GNUT_PONG_LEN + 1 + 1 + 2 + 1 + 5);
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(w2->data, w2->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(p.ultrapeer);
	CU_ASSERT_FALSE(p.tls);
	/* with TLS on: GGEP TLS without data (flags, "TLS", length 0) */
	leaf.tls = true;
	g_autoptr(GByteArray) w3 = g_byte_array_new();
	gnut_uhc_pong_encode(w3, &leaf);
	CU_ASSERT_EQUAL_FATAL(w3->len, w2->len + 1 + 3 + 1);
	/* the last extension: flags (last, ID length 3), "TLS", length 0 (last byte) */
	CU_ASSERT_EQUAL(memcmp(w3->data + w3->len - 5, "\x83TLS\x40", 5), 0);
	CU_ASSERT_EQUAL(gnut_uhc_pong_decode(w3->data, w3->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(p.tls);
	CU_ASSERT_TRUE(gnut_pong_decode(w3->data, w3->len, &pong) == GNUT_PROTO_OK &&
	               gnut_pong_ggep_has(&pong, "TLS") && !gnut_pong_ggep_has(&pong, "UP"));
	CU_ASSERT_TRUE(gnut_pong_decode(w2->data, w2->len, &pong) == GNUT_PROTO_OK &&
	               !gnut_pong_ggep_has(&pong, "TLS"));
}

static CU_TestInfo tests[] = {
    {"IPP known vector", test_ipp_vector},
    {"IPP lengths", test_ipp_lengths},
    {"a cache's pong", test_cache_pong},
    {"a cache's pong cut at every offset", test_cache_pong_truncated},
    {"a pong with a broken IPP", test_bad_ipp_in_pong},
    {"SCP ping", test_scp_ping},
    {"our pong read back", test_our_pong},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("uhc", tests)
