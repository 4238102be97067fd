/* test-head.c: header blocks (scan, parse, serialize, value helpers) and the
 * 0.6 handshake start lines, with blocks captured from gtk-gnutella 1.2.3
 * (shared/interop/handshakes.txt) as vectors. */
#include "gnut/proto/handshake-msg.h"
#include "gnut/proto/head.h"
#include "unit.h"

#include <string.h>

/* Stream 0, step 1: gtk-gnutella connecting as an ultrapeer. */
static const char gtkg_connect[] =
    "GNUTELLA CONNECT/0.6\r\n"
    "Node: 127.0.0.1:36502\r\n"
    "Remote-IP: 127.0.0.1\r\n"
    "User-Agent: gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)\r\n"
    "Pong-Caching: 0.1\r\n"
    "Bye-Packet: 0.1\r\n"
    "GGEP: 0.5\r\n"
    "GUID: df473102f65d1dbc4f48da1c4292cb9a\r\n"
    "Vendor-Message: 0.2\r\n"
    "X-Query-Routing: 0.2\r\n"
    "X-Requeries: False\r\n"
    "Upgrade: TLS/1.0\r\n"
    "Accept-Encoding: deflate\r\n"
    "X-Token: <token elided>\r\n"
    "X-Live-Since: Wed, 15 Jan 2025 05:44:54 +0000\r\n"
    "X-Ultrapeer: True\r\n"
    "X-Ultrapeer-Query-Routing: 0.1\r\n"
    "X-Degree: 46\r\n"
    "X-Max-TTL: 4\r\n"
    "X-Dynamic-Querying: 0.1\r\n"
    "X-Ext-Probes: 0.1\r\n"
    "X-Features: tls/1.0, browse/1.0, sflag/0.1, HSEP/0.2\r\n"
    "\r\n";

/* Stream 1, step 2: gtk-gnutella accepting a leaf. */
static const char gtkg_accept[] =
    "GNUTELLA/0.6 200 OK\r\n"
    "User-Agent: gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)\r\n"
    "Pong-Caching: 0.1\r\n"
    "Bye-Packet: 0.1\r\n"
    "GGEP: 0.5\r\n"
    "GUID: df473102f65d1dbc4f48da1c4292cb9a\r\n"
    "Vendor-Message: 0.2\r\n"
    "Remote-IP: 127.0.0.1\r\n"
    "X-Ultrapeer: True\r\n"
    "X-Requeries: False\r\n"
    "Accept-Encoding: deflate\r\n"
    "Content-Encoding: deflate\r\n"
    "X-Ultrapeer-Needed: True\r\n"
    "X-Query-Routing: 0.1\r\n"
    "X-Ultrapeer-Query-Routing: 0.1\r\n"
    "X-Degree: 46\r\n"
    "X-Max-TTL: 4\r\n"
    "X-Dynamic-Querying: 0.1\r\n"
    "X-Ext-Probes: 0.1\r\n"
    "X-Live-Since: Wed, 15 Jan 2025 05:44:54 +0000\r\n"
    "X-Features: tls/1.0, browse/1.0, sflag/0.1, HSEP/0.2\r\n"
    "\r\n";

/* Stream 0, step 3, and the first bytes of the deflated stream after it. */
static const char gtkg_step3[] = "GNUTELLA/0.6 200 OK\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Content-Encoding: deflate\r\n"
                                 "\r\n"
                                 "\x78\x9c\x62\x60\x00";

/* A heap copy of exactly len bytes, so ASan flags any read past the end. */
static uint8_t *exact_copy(const char *s, size_t len)
{
	return g_memdup2(s, len);
}

static gnut_head *parse_ok(const char *s)
{
	gnut_head *h = NULL;
	uint8_t *copy = exact_copy(s, strlen(s));
	CU_ASSERT_EQUAL(gnut_head_parse(copy, strlen(s), &h), GNUT_PROTO_OK);
	g_free(copy);
	return h;
}

static gnut_proto_err parse_err(const char *s)
{
	gnut_head *h = NULL;
	uint8_t *copy = exact_copy(s, strlen(s));
	gnut_proto_err err = gnut_head_parse(copy, strlen(s), &h);
	g_free(copy);
	gnut_head_free(h);
	return err;
}

static void test_captured_connect(void)
{
	size_t head_len = 0;
	CU_ASSERT_EQUAL(
	    gnut_head_scan((const uint8_t *)gtkg_connect, strlen(gtkg_connect), &head_len),
	    GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(head_len, strlen(gtkg_connect));
	g_autoptr(gnut_head) h = parse_ok(gtkg_connect);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(gnut_head_start_line(h), "GNUTELLA CONNECT/0.6");
	CU_ASSERT_TRUE(gnut_handshake_is_connect(gnut_head_start_line(h)));
	CU_ASSERT_EQUAL(gnut_head_count(h), 21);
	CU_ASSERT_STRING_EQUAL(gnut_head_name(h, 0), "Node");
	CU_ASSERT_STRING_EQUAL(gnut_head_value(h, 0), "127.0.0.1:36502");
	CU_ASSERT_STRING_EQUAL(gnut_head_name(h, 20), "X-Features");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "x-ultrapeer"), "True");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "USER-AGENT"),
	                       "gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Live-Since"), "Wed, 15 Jan 2025 05:44:54 +0000");
	CU_ASSERT_PTR_NULL(gnut_head_get(h, "Content-Encoding"));
	CU_ASSERT_TRUE(gnut_head_value_has_token(gnut_head_get(h, "Accept-Encoding"), "deflate"));

	bool up = false;
	CU_ASSERT_EQUAL(gnut_head_parse_bool(gnut_head_get(h, "X-Ultrapeer"), &up), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(up);
	uint64_t degree = 0;
	CU_ASSERT_EQUAL(gnut_head_parse_u64(gnut_head_get(h, "X-Degree"), &degree), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(degree, 46);
	unsigned major = 9, minor = 9;
	CU_ASSERT_EQUAL(
	    gnut_head_parse_version(gnut_head_get(h, "X-Query-Routing"), &major, &minor),
	    GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(major, 0);
	CU_ASSERT_EQUAL(minor, 2);
	const char *features = gnut_head_get(h, "X-Features");
	CU_ASSERT_TRUE(gnut_head_feature_version(features, "browse", &major, &minor));
	CU_ASSERT_EQUAL(major, 1);
	CU_ASSERT_EQUAL(minor, 0);
	CU_ASSERT_TRUE(gnut_head_feature_version(features, "hsep", &major, &minor));
	CU_ASSERT_EQUAL(minor, 2);
	CU_ASSERT_FALSE(gnut_head_feature_version(features, "fwalt", &major, &minor));
}

static void test_captured_accept_and_step3(void)
{
	g_autoptr(gnut_head) h = parse_ok(gtkg_accept);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	gnut_handshake_status st;
	CU_ASSERT_EQUAL(gnut_handshake_parse_status(gnut_head_start_line(h), &st), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 200);
	CU_ASSERT_STRING_EQUAL(st.reason, "OK");
	CU_ASSERT_EQUAL(st.major, 0);
	CU_ASSERT_EQUAL(st.minor, 6);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "content-encoding"), "deflate");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Ultrapeer-Needed"), "True");

	/* step 3 is followed at once by compressed data: scan stops at the block */
	size_t len = sizeof gtkg_step3 - 1;
	size_t head_len = 0;
	CU_ASSERT_EQUAL(gnut_head_scan((const uint8_t *)gtkg_step3, len, &head_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(head_len, len - 5);
	gnut_head *h3 = NULL;
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)gtkg_step3, len, &h3),
	                GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_PTR_NULL(h3);
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)gtkg_step3, head_len, &h3), GNUT_PROTO_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h3);
	CU_ASSERT_EQUAL(gnut_head_count(h3), 2);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h3, "Connection"), "Upgrade");
	gnut_head_free(h3);
}

/* Every proper prefix of a block is TRUNCATED for both scan and parse. */
static void check_every_prefix(const char *block)
{
	size_t len = strlen(block);
	size_t bad = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t *copy = exact_copy(block, i);
		size_t head_len = 0;
		gnut_head *h = NULL;
		if (gnut_head_scan(copy, i, &head_len) != GNUT_PROTO_ERR_TRUNCATED ||
		    gnut_head_parse(copy, i, &h) != GNUT_PROTO_ERR_TRUNCATED || h != NULL)
			bad++;
		g_free(copy);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_truncated_at_every_offset(void)
{
	check_every_prefix(gtkg_connect);
	check_every_prefix(gtkg_accept);
	check_every_prefix("GIV 12:0123456789abcdef0123456789abcdef/file.txt\n\n");
	check_every_prefix("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n");
}

static void test_bare_lf_and_giv(void)
{
	g_autoptr(gnut_head) h = parse_ok("GNUTELLA/0.6 200 OK\nX-Ultrapeer: False\r\n\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Ultrapeer"), "False");
	g_autoptr(gnut_head) giv = parse_ok("GIV 7:0123456789abcdef0123456789abcdef/a b.txt\n\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(giv);
	CU_ASSERT_STRING_EQUAL(gnut_head_start_line(giv),
	                       "GIV 7:0123456789abcdef0123456789abcdef/a b.txt");
	CU_ASSERT_EQUAL(gnut_head_count(giv), 0);
}

static void test_folding_duplicates_trimming(void)
{
	g_autoptr(gnut_head) h = parse_ok("GNUTELLA CONNECT/0.6\r\n"
	                                  "X-Try-Ultrapeers: 1.2.3.4:6346,\r\n"
	                                  " \t5.6.7.8:6347  \r\n"
	                                  "\t   \r\n"
	                                  "Accept:   \t\r\n"
	                                  "  text/plain\r\n"
	                                  "X-Dup: one\r\n"
	                                  "x-dup:two  \r\n"
	                                  "X-DUP:\t three\r\n"
	                                  "Empty:\r\n"
	                                  "\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(gnut_head_count(h), 6);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Try-Ultrapeers"), "1.2.3.4:6346, 5.6.7.8:6347");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Accept"), "text/plain");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-Dup"), "one, two, three");
	CU_ASSERT_STRING_EQUAL(gnut_head_value(h, 3), "two");
	CU_ASSERT_STRING_EQUAL(gnut_head_name(h, 3), "x-dup");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Empty"), "");
	CU_ASSERT_STRING_EQUAL(gnut_head_value(h, 5), "");
	CU_ASSERT_STRING_EQUAL(gnut_head_name(h, 5), "Empty");
}

static void test_malformed_blocks(void)
{
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nNo colon here\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nName : v\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\n: v\r\n\r\n"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nNa(me: v\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nName: a\rb\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nName: a\x01\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\nName: a\x7f\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GNUTELLA CONNECT/0.6\r\n folded first\r\n\r\n"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("\r\n"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err(" GET / HTTP/1.1\r\n\r\n"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err("GET /\x02 HTTP/1.1\r\n\r\n"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_err(""), GNUT_PROTO_ERR_TRUNCATED);

	/* a NUL inside a value */
	static const char nul_block[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
	gnut_head *h = NULL;
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)nul_block, sizeof nul_block - 1, &h),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_PTR_NULL(h);
}

/* A block whose one header line carries value_len bytes of value. */
static GString *block_with_value(size_t value_len)
{
	GString *s = g_string_new("GET / HTTP/1.1\r\nX-Long: ");
	for (size_t i = 0; i < value_len; i++)
		g_string_append_c(s, (char)('a' + i % 26));
	g_string_append(s, "\r\n\r\n");
	return s;
}

static gnut_proto_err scan_string(const GString *s, size_t *head_len)
{
	uint8_t *copy = exact_copy(s->str, s->len);
	gnut_proto_err err = gnut_head_scan(copy, s->len, head_len);
	g_free(copy);
	return err;
}

static void test_line_cap(void)
{
	size_t head_len = 0;
	/* "X-Long: " is 8 bytes: value 4088 makes a line of exactly 4096 */
	GString *ok = block_with_value(GNUT_HEAD_MAX_LINE - 8);
	CU_ASSERT_EQUAL(scan_string(ok, &head_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(head_len, ok->len);
	gnut_head *h = NULL;
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)ok->str, ok->len, &h), GNUT_PROTO_OK);
	gnut_head_free(h);
	g_string_free(ok, TRUE);

	GString *over = block_with_value(GNUT_HEAD_MAX_LINE - 7);
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	h = NULL;
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)over->str, over->len, &h),
	                GNUT_PROTO_ERR_TOO_LARGE);
	/* unfinished: 4097 bytes of line with no CR yet is already too long */
	size_t line0 = strlen("GET / HTTP/1.1\r\n");
	uint8_t *part = exact_copy(over->str, line0 + GNUT_HEAD_MAX_LINE + 1);
	CU_ASSERT_EQUAL(gnut_head_scan(part, line0 + GNUT_HEAD_MAX_LINE + 1, &head_len),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_head_scan(part, line0 + GNUT_HEAD_MAX_LINE, &head_len),
	                GNUT_PROTO_ERR_TRUNCATED);
	g_free(part);
	g_string_free(over, TRUE);

	/* 4096 bytes then CR: still waiting for the LF */
	GString *cr = block_with_value(GNUT_HEAD_MAX_LINE - 8);
	CU_ASSERT_EQUAL(
	    gnut_head_scan((const uint8_t *)cr->str, line0 + GNUT_HEAD_MAX_LINE + 1, &head_len),
	    GNUT_PROTO_ERR_TRUNCATED);
	g_string_free(cr, TRUE);

	/* a long start line counts too, even with no LF in sight */
	GString *start = g_string_new("GET /");
	while (start->len <= GNUT_HEAD_MAX_LINE + 1)
		g_string_append_c(start, 'x');
	CU_ASSERT_EQUAL(scan_string(start, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(start, TRUE);
}

static GString *block_with_lines(size_t lines)
{
	GString *s = g_string_new("GNUTELLA CONNECT/0.6\r\n");
	for (size_t i = 0; i < lines; i++)
		g_string_append_printf(s, "X-H%zu: %zu\r\n", i, i);
	g_string_append(s, "\r\n");
	return s;
}

static void test_line_count_cap(void)
{
	size_t head_len = 0;
	GString *ok = block_with_lines(GNUT_HEAD_MAX_LINES);
	CU_ASSERT_EQUAL(scan_string(ok, &head_len), GNUT_PROTO_OK);
	g_autoptr(gnut_head) h = parse_ok(ok->str);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(gnut_head_count(h), GNUT_HEAD_MAX_LINES);
	g_string_free(ok, TRUE);

	GString *over = block_with_lines(GNUT_HEAD_MAX_LINES + 1);
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_err(over->str), GNUT_PROTO_ERR_TOO_LARGE);
	/* crossed as soon as the 101st line ends, before the block does */
	over->len -= 2;
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(over, TRUE);

	/* continuation lines count as lines */
	GString *folds = g_string_new("GNUTELLA CONNECT/0.6\r\nX-A: a\r\n");
	for (size_t i = 0; i < GNUT_HEAD_MAX_LINES; i++)
		g_string_append(folds, " more\r\n");
	g_string_append(folds, "\r\n");
	CU_ASSERT_EQUAL(scan_string(folds, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(folds, TRUE);
}

/* A block of exactly total bytes: four long lines and one that fills up. */
static GString *block_of_size(size_t total)
{
	GString *s = g_string_new("GET / HTTP/1.1\r\n");
	for (int i = 0; i < 4; i++) {
		g_string_append_printf(s, "X-F%d: ", i);
		for (int j = 0; j < 4000; j++)
			g_string_append_c(s, 'f');
		g_string_append(s, "\r\n");
	}
	g_string_append(s, "X-Z: ");
	while (s->len < total - 4)
		g_string_append_c(s, 'z');
	g_string_append(s, "\r\n\r\n");
	return s;
}

static void test_size_cap(void)
{
	size_t head_len = 0;
	GString *ok = block_of_size(GNUT_HEAD_MAX_SIZE);
	CU_ASSERT_EQUAL(ok->len, GNUT_HEAD_MAX_SIZE);
	CU_ASSERT_EQUAL(scan_string(ok, &head_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(head_len, GNUT_HEAD_MAX_SIZE);
	CU_ASSERT_EQUAL(parse_err(ok->str), GNUT_PROTO_OK);
	g_string_free(ok, TRUE);

	GString *over = block_of_size(GNUT_HEAD_MAX_SIZE + 1);
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_err(over->str), GNUT_PROTO_ERR_TOO_LARGE);
	/* crossed before the end is even in the buffer */
	over->len = GNUT_HEAD_MAX_SIZE + 1;
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TOO_LARGE);
	over->len = GNUT_HEAD_MAX_SIZE;
	CU_ASSERT_EQUAL(scan_string(over, &head_len), GNUT_PROTO_ERR_TRUNCATED);
	g_string_free(over, TRUE);
}

static void test_build_and_serialize(void)
{
	g_autoptr(gnut_head) h = gnut_handshake_new_status(200, "OK");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	gnut_head_add(h, "User-Agent", "gnutd/0.1");
	gnut_head_add(h, "X-Ultrapeer", "False");
	gnut_head_addf(h, "X-Degree", "%d", 32);
	gnut_head_add(h, "X-Dup", "a");
	gnut_head_add(h, "x-dup", "  b ");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "X-DUP"), "a, b");
	CU_ASSERT_EQUAL(gnut_head_count(h), 5);
	GString *wire = gnut_head_serialize(h);
	CU_ASSERT_STRING_EQUAL(wire->str, "GNUTELLA/0.6 200 OK\r\n"
	                                  "User-Agent: gnutd/0.1\r\n"
	                                  "X-Ultrapeer: False\r\n"
	                                  "X-Degree: 32\r\n"
	                                  "X-Dup: a\r\n"
	                                  "x-dup: b\r\n"
	                                  "\r\n");
	g_autoptr(gnut_head) back = parse_ok(wire->str);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL(gnut_head_count(back), 5);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(back, "x-degree"), "32");
	CU_ASSERT_STRING_EQUAL(gnut_head_get(back, "x-dup"), "a, b");
	g_string_free(wire, TRUE);

	/* the captured block comes back byte for byte */
	g_autoptr(gnut_head) cap = parse_ok(gtkg_connect);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
	GString *again = gnut_head_serialize(cap);
	CU_ASSERT_STRING_EQUAL(again->str, gtkg_connect);
	g_string_free(again, TRUE);

	g_autoptr(gnut_head) c = gnut_handshake_new_connect();
	GString *cw = gnut_head_serialize(c);
	CU_ASSERT_STRING_EQUAL(cw->str, "GNUTELLA CONNECT/0.6\r\n\r\n");
	g_string_free(cw, TRUE);
}

static void test_value_helpers(void)
{
	CU_ASSERT_TRUE(gnut_head_value_has_token("gzip, Deflate;q=1", "deflate"));
	CU_ASSERT_TRUE(gnut_head_value_has_token(" deflate ", "DEFLATE"));
	CU_ASSERT_TRUE(gnut_head_value_has_token("a,,deflate ;q=0.5", "deflate"));
	CU_ASSERT_FALSE(gnut_head_value_has_token("deflated, x-deflate", "deflate"));
	CU_ASSERT_FALSE(gnut_head_value_has_token("", "deflate"));

	unsigned major = 0, minor = 0;
	CU_ASSERT_EQUAL(gnut_head_parse_version(" 0.1 ", &major, &minor), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(minor, 1);
	CU_ASSERT_EQUAL(gnut_head_parse_version("65535.0", &major, &minor), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(major, 65535);
	CU_ASSERT_EQUAL(gnut_head_parse_version("65536.0", &major, &minor),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version("0.000001", &major, &minor),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version("1", &major, &minor), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version("1.", &major, &minor), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version(".1", &major, &minor), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version("1.2.3", &major, &minor), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_version("-1.2", &major, &minor), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_FALSE(gnut_head_feature_version("tls/x.0", "tls", &major, &minor));
	CU_ASSERT_FALSE(gnut_head_feature_version("tlsx/1.0", "tls", &major, &minor));

	bool b = true;
	CU_ASSERT_EQUAL(gnut_head_parse_bool("FALSE", &b), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(gnut_head_parse_bool("yes", &b), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_bool("", &b), GNUT_PROTO_ERR_MALFORMED);

	uint64_t v = 0;
	CU_ASSERT_EQUAL(gnut_head_parse_u64("18446744073709551615", &v), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(gnut_head_parse_u64("18446744073709551616", &v), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_head_parse_u64("99999999999999999999999", &v),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_head_parse_u64(" 524288\t", &v), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(v, 524288);
	CU_ASSERT_EQUAL(gnut_head_parse_u64("-1", &v), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_u64("12 3", &v), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_head_parse_u64("", &v), GNUT_PROTO_ERR_MALFORMED);

	CU_ASSERT_TRUE(gnut_head_is_token("X-Ultrapeer"));
	CU_ASSERT_FALSE(gnut_head_is_token("X Ultrapeer"));
	CU_ASSERT_FALSE(gnut_head_is_token(""));
	CU_ASSERT_TRUE(gnut_head_is_valid_value("a\tb \xc3\xa9"));
	CU_ASSERT_FALSE(gnut_head_is_valid_value("a\r\nInjected: yes"));
}

static void test_connect_lines(void)
{
	unsigned major = 9, minor = 9;
	CU_ASSERT_EQUAL(gnut_handshake_parse_connect("GNUTELLA CONNECT/0.6", &major, &minor),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(major, 0);
	CU_ASSERT_EQUAL(minor, 6);
	CU_ASSERT_EQUAL(gnut_handshake_parse_connect("GNUTELLA CONNECT/0.7", &major, &minor),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(minor, 7);
	CU_ASSERT_TRUE(gnut_handshake_is_connect("GNUTELLA CONNECT/0.7"));
	CU_ASSERT_TRUE(gnut_handshake_is_connect("GNUTELLA CONNECT/1.0"));
	CU_ASSERT_EQUAL(gnut_handshake_parse_connect("GNUTELLA CONNECT/0.4", &major, &minor),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(minor, 4);
	CU_ASSERT_FALSE(gnut_handshake_is_connect("GNUTELLA CONNECT/0.4"));
	static const char *bad[] = {
	    "GNUTELLA CONNECT/0.6 ",
	    "GNUTELLA  CONNECT/0.6",
	    "gnutella connect/0.6",
	    "GNUTELLA CONNECT/",
	    "GNUTELLA CONNECT/0.",
	    "GNUTELLA CONNECT/0.6x",
	    "GNUTELLA CONNECT/ 0.6",
	    "GET / HTTP/1.1",
	    "GIV 1:00/x",
	    "GNUTELLA/0.6 200 OK",
	    "",
	};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (gnut_handshake_parse_connect(bad[i], &major, &minor) !=
		    GNUT_PROTO_ERR_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);
	g_autofree char *line = gnut_handshake_connect_line();
	CU_ASSERT_STRING_EQUAL(line, "GNUTELLA CONNECT/0.6");
}

static void test_status_lines(void)
{
	gnut_handshake_status st;
	CU_ASSERT_EQUAL(gnut_handshake_parse_status("GNUTELLA/0.6 503 Too many connections", &st),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 503);
	CU_ASSERT_STRING_EQUAL(st.reason, "Too many connections");
	CU_ASSERT_EQUAL(gnut_handshake_parse_status(
	                    "GNUTELLA/0.6 403 High Outdegree and Dynamic Querying Required", &st),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 403);
	CU_ASSERT_EQUAL(gnut_handshake_parse_status("GNUTELLA/0.7 200", &st), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.minor, 7);
	CU_ASSERT_STRING_EQUAL(st.reason, "");
	CU_ASSERT_EQUAL(gnut_handshake_parse_status("GNUTELLA/0.6 429 Banned for 5m", &st),
	                GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(st.reason, "Banned for 5m");
	CU_ASSERT_EQUAL(gnut_handshake_parse_status("GNUTELLA OK", &st),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	static const char *bad[] = {
	    "GNUTELLA/0.6 20 OK",   "GNUTELLA/0.6 2000 OK", "GNUTELLA/0.6 099 x",
	    "GNUTELLA/0.6  200 OK", "GNUTELLA/0.6 2x0 OK",  "GNUTELLA/0.6",
	    "GNUTELLA/ 200 OK",     "HTTP/1.1 200 OK",      "GNUTELLA/0.6 200 a\rb",
	};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (gnut_handshake_parse_status(bad[i], &st) != GNUT_PROTO_ERR_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);
	g_autofree char *line = gnut_handshake_status_line(503, "Busy");
	CU_ASSERT_STRING_EQUAL(line, "GNUTELLA/0.6 503 Busy");
	CU_ASSERT_EQUAL(gnut_handshake_parse_status(line, &st), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 503);
}

static CU_TestInfo tests[] = {
    {"captured gtk-gnutella connect block", test_captured_connect},
    {"captured accept and step 3 with data after it", test_captured_accept_and_step3},
    {"truncated at every offset", test_truncated_at_every_offset},
    {"bare LF line ends and a GIV line", test_bare_lf_and_giv},
    {"folding, duplicates, trimming", test_folding_duplicates_trimming},
    {"malformed blocks", test_malformed_blocks},
    {"line length cap", test_line_cap},
    {"line count cap", test_line_count_cap},
    {"block size cap", test_size_cap},
    {"build, serialize, parse back", test_build_and_serialize},
    {"value helpers", test_value_helpers},
    {"handshake connect lines", test_connect_lines},
    {"handshake status lines", test_status_lines},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("head", tests)
