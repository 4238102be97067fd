/* test-magnet.c: magnet URIs as servents write them, exact formatting,
 * round trips through special characters, the caps, and rejects. */
#include "gnut/proto/magnet.h"
#include "unit.h"

#include <string.h>

#define SHA1 "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
#define TTH  "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"

static gnut_proto_err parse(const char *s, gnut_magnet *m)
{
	return gnut_magnet_parse(s, strlen(s), m);
}

static void test_parse_full(void)
{
	gnut_magnet m;
	const char *uri = "magnet:?xt=urn:sha1:" SHA1 "&xt=urn:tree:tiger/:" TTH
	                  "&xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
	                  "&dn=Free+Software%20Song.ogg&xl=1234567&tr=udp%3A%2F%2Ft"
	                  "&xs=http%3A%2F%2F10.0.0.1%3A6346%2Furi-res%2FN2R%3Furn%3Asha1%3A" SHA1
	                  "&xs=http://10.0.0.2:6346/get/1/a+b.ogg&as=http://example.org/a.ogg&&";
	CU_ASSERT_EQUAL_FATAL(parse(uri, &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.xt_count, 2); /* btih skipped */
	CU_ASSERT(m.xt[0].has_sha1 && !m.xt[0].has_tiger);
	CU_ASSERT_EQUAL(m.xt[0].sha1[0], 0xda);
	CU_ASSERT(!m.xt[1].has_sha1 && m.xt[1].has_tiger);
	CU_ASSERT_EQUAL(m.xt[1].tiger[0], 0x5d);
	CU_ASSERT_STRING_EQUAL(m.dn, "Free Software Song.ogg");
	CU_ASSERT(m.has_xl);
	CU_ASSERT_EQUAL(m.xl, 1234567);
	CU_ASSERT_EQUAL_FATAL(m.xs_count, 2);
	CU_ASSERT_STRING_EQUAL(m.xs[0], "http://10.0.0.1:6346/uri-res/N2R?urn:sha1:" SHA1);
	CU_ASSERT_STRING_EQUAL(m.xs[1], "http://10.0.0.2:6346/get/1/a+b.ogg"); /* '+' kept */
	CU_ASSERT_EQUAL_FATAL(m.as_count, 1);
	CU_ASSERT_STRING_EQUAL(m.as[0], "http://example.org/a.ogg");
	gnut_magnet_clear(&m);
	CU_ASSERT_PTR_NULL(m.dn);
	CU_ASSERT_EQUAL(m.xs_count, 0);
}

static void test_parse_variants(void)
{
	gnut_magnet m;
	CU_ASSERT_EQUAL(parse("MAGNET:?XT=urn:bitprint:" SHA1 "." TTH "&DN=%C3%A9t%C3%A9", &m),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.xt_count, 1);
	CU_ASSERT(m.xt[0].has_sha1 && m.xt[0].has_tiger);
	CU_ASSERT_STRING_EQUAL(m.dn, "\xc3\xa9t\xc3\xa9");
	gnut_magnet_clear(&m);
	/* the URN itself percent-encoded, and an empty magnet */
	CU_ASSERT_EQUAL(parse("magnet:?xt=urn%3Asha1%3A" SHA1, &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.xt_count, 1);
	gnut_magnet_clear(&m);
	CU_ASSERT_EQUAL(parse("magnet:?", &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.xt_count, 0);
	CU_ASSERT_PTR_NULL(m.dn);
	CU_ASSERT(!m.has_xl);
	gnut_magnet_clear(&m);
	CU_ASSERT_EQUAL(parse("magnet:?xl=18446744073709551615", &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.xl, UINT64_MAX);
	gnut_magnet_clear(&m);
	CU_ASSERT_EQUAL(parse("magnet:?xl=0&dn=", &m), GNUT_PROTO_OK);
	CU_ASSERT(m.has_xl);
	CU_ASSERT_EQUAL(m.xl, 0);
	CU_ASSERT_STRING_EQUAL(m.dn, "");
	gnut_magnet_clear(&m);
}

static void test_rejects(void)
{
	static const struct {
		const char *uri;
		gnut_proto_err want;
	} bad[] = {
	    {"", GNUT_PROTO_ERR_TRUNCATED},
	    {"magnet:", GNUT_PROTO_ERR_TRUNCATED},
	    {"magnet:xt=urn:sha1:" SHA1, GNUT_PROTO_ERR_MALFORMED},
	    {"http://x/?xt=urn:sha1:" SHA1, GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xt=urn:sha1:" SHA1 "X", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xt=urn:sha1:3I42H3S6", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xt=urn:tree:tiger/:" TTH "A", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a%zzb", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a%4", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a%", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a%00b", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a%0Ab", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=%C3%28", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?dn=a&dn=b", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xl=12a", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xl=-1", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xl=", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xl=18446744073709551616", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xl=1&xl=1", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xs=", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?xt", GNUT_PROTO_ERR_MALFORMED},
	    {"magnet:?=x", GNUT_PROTO_ERR_MALFORMED},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		gnut_magnet m;
		gnut_proto_err err = parse(bad[i].uri, &m);
		CU_ASSERT_EQUAL(err, bad[i].want);
		if (err != bad[i].want)
			fprintf(stderr, "\n  %s: %s\n", bad[i].uri, gnut_proto_strerror(err));
		/* nothing to free after an error */
		CU_ASSERT_PTR_NULL(m.dn);
		CU_ASSERT_EQUAL(m.xs_count + m.as_count + m.xt_count, 0);
	}
}

/* A magnet holding count repetitions of pair. */
static char *repeated(const char *pair, int count)
{
	GString *s = g_string_new("magnet:?");
	for (int i = 0; i < count; i++)
		g_string_append_printf(s, "%s%s", i ? "&" : "", pair);
	return g_string_free(s, FALSE);
}

static void test_caps(void)
{
	static const char *const pairs[] = {"xt=urn:sha1:" SHA1, "xs=http://h/", "as=http://h/"};
	for (size_t k = 0; k < G_N_ELEMENTS(pairs); k++) {
		gnut_magnet m;
		char *ok = repeated(pairs[k], 16);
		char *over = repeated(pairs[k], 17);
		CU_ASSERT_EQUAL(parse(ok, &m), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(m.xt_count + m.xs_count + m.as_count, 16);
		gnut_magnet_clear(&m);
		CU_ASSERT_EQUAL(parse(over, &m), GNUT_PROTO_ERR_TOO_LARGE);
		g_free(ok);
		g_free(over);
	}
	/* the whole URI: 8 KiB is fine, one byte more is not */
	GString *s = g_string_new("magnet:?dn=");
	while (s->len < GNUT_MAGNET_MAX_URI)
		g_string_append_c(s, 'a');
	gnut_magnet m;
	CU_ASSERT_EQUAL(gnut_magnet_parse(s->str, s->len, &m), GNUT_PROTO_OK);
	gnut_magnet_clear(&m);
	g_string_append_c(s, 'a');
	CU_ASSERT_EQUAL(gnut_magnet_parse(s->str, s->len, &m), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(s, TRUE);

	gnut_magnet b = {0};
	for (int i = 0; i < GNUT_MAGNET_MAX_XS; i++)
		CU_ASSERT(gnut_magnet_add_xs(&b, "http://h/"));
	CU_ASSERT(!gnut_magnet_add_xs(&b, "http://h/"));
	gnut_magnet_clear(&b);
}

static void test_format(void)
{
	gnut_magnet m = {0};
	gnut_urn bp = {.has_sha1 = true, .has_tiger = true};
	gnut_urn sha = {.has_sha1 = true};
	bp.sha1[0] = sha.sha1[0] = 0xff;
	CU_ASSERT(gnut_magnet_add_xt(&m, &bp));
	CU_ASSERT(gnut_magnet_add_xt(&m, &sha));
	m.dn = g_strdup("a&b+c %d\xc3\xa9.txt");
	m.has_xl = true;
	m.xl = 42;
	CU_ASSERT(gnut_magnet_add_xs(&m, "http://[::1]:6346/get/1/x y&z"));
	CU_ASSERT(gnut_magnet_add_as(&m, "http://h/a"));
	GString *out = g_string_new(NULL);
	gnut_magnet_format(&m, out);
	CU_ASSERT_STRING_EQUAL(out->str, "magnet:?xt=urn:bitprint:74AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA."
	                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                                 "&xt=urn:sha1:74AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                                 "&dn=a%26b%2Bc%20%25d%C3%A9.txt&xl=42"
	                                 "&xs=http://[::1]:6346/get/1/x%20y%26z&as=http://h/a");

	/* and back */
	gnut_magnet back;
	CU_ASSERT_EQUAL_FATAL(gnut_magnet_parse(out->str, out->len, &back), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back.xt_count, 2);
	CU_ASSERT_EQUAL(memcmp(&back.xt[0], &bp, sizeof bp), 0);
	CU_ASSERT_EQUAL(memcmp(&back.xt[1], &sha, sizeof sha), 0);
	CU_ASSERT_STRING_EQUAL(back.dn, m.dn);
	CU_ASSERT_EQUAL(back.xl, 42);
	CU_ASSERT_STRING_EQUAL(back.xs[0], m.xs[0]);
	CU_ASSERT_STRING_EQUAL(back.as[0], m.as[0]);
	gnut_magnet_clear(&back);
	gnut_magnet_clear(&m);

	/* an empty magnet, and a tree:tiger-only xt */
	gnut_urn tth = {.has_tiger = true};
	CU_ASSERT(gnut_magnet_add_xt(&m, &tth));
	g_string_truncate(out, 0);
	gnut_magnet_format(&m, out);
	CU_ASSERT_STRING_EQUAL(
	    out->str, "magnet:?xt=urn:tree:tiger/:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	gnut_magnet_clear(&m);
	g_string_truncate(out, 0);
	gnut_magnet_format(&m, out);
	CU_ASSERT_STRING_EQUAL(out->str, "magnet:?");
	g_string_free(out, TRUE);
}

/* Cutting a URN short anywhere inside an xt value is an error: a magnet may
 * lose a whole trailing pair and stay valid, but never a half URN. */
static void test_truncated_xt(void)
{
	const char *uri = "magnet:?xt=urn:bitprint:" SHA1 "." TTH;
	const size_t value_at = strlen("magnet:?xt=");
	for (size_t cut = value_at; cut < strlen(uri); cut++) {
		char *copy = g_memdup2(uri, cut);
		gnut_magnet m;
		gnut_proto_err err = gnut_magnet_parse(copy, cut, &m);
		/* before the whole "urn:bitprint:" the value names no scheme we
		 * know, and is skipped like urn:btih */
		if (cut - value_at >= strlen("urn:bitprint:")) {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_MALFORMED);
		} else {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_OK);
			CU_ASSERT_EQUAL(m.xt_count, 0);
		}
		gnut_magnet_clear(&m);
		g_free(copy);
	}
}

/* The exact source URL of a file at a host, and its way through a magnet. */
static void test_n2r_url(void)
{
	uint8_t sha1[GNUT_SHA1_LEN] = {0};
	sha1[0] = 0xff;
	g_autofree char *url = gnut_magnet_n2r_url(0x0a000001, 6346, sha1);
	CU_ASSERT_STRING_EQUAL(
	    url, "http://10.0.0.1:6346/uri-res/N2R?urn:sha1:74AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	g_autofree char *top = gnut_magnet_n2r_url(0xffffffff, 65535, sha1);
	CU_ASSERT_TRUE(g_str_has_prefix(top, "http://255.255.255.255:65535/uri-res/N2R?"));

	gnut_magnet m = {0};
	CU_ASSERT(gnut_magnet_add_xs(&m, url));
	GString *out = g_string_new(NULL);
	gnut_magnet_format(&m, out);
	gnut_magnet_clear(&m);
	CU_ASSERT_STRING_EQUAL(out->str, "magnet:?xs=http://10.0.0.1:6346/uri-res/N2R?urn:sha1:"
	                                 "74AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	CU_ASSERT_EQUAL_FATAL(gnut_magnet_parse(out->str, out->len, &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(m.xs_count, 1);
	CU_ASSERT_STRING_EQUAL(m.xs[0], url);
	gnut_magnet_clear(&m);
	g_string_free(out, TRUE);
}

static CU_TestInfo tests[] = {
    {"parse a full magnet", test_parse_full},
    {"parse variants", test_parse_variants},
    {"rejects", test_rejects},
    {"caps", test_caps},
    {"format and round trip", test_format},
    {"truncated xt", test_truncated_xt},
    {"N2R source URL", test_n2r_url},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("magnet", tests)
