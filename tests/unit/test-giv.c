/* test-giv.c: the GIV line of push transfers: known lines, round trips,
 * every truncation, rejects, caps, and the block scanner. */
#include "gnut/proto/giv.h"
#include "unit.h"

#include <string.h>

/* The GUID 00 11 22 ... ff in both cases. */
#define HEX_LOWER "00112233445566778899aabbccddeeff"
#define HEX_UPPER "00112233445566778899AABBCCDDEEFF"

static gnut_guid test_guid(void)
{
	gnut_guid g;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(i * 0x11);
	return g;
}

static bool is_test_guid(const gnut_guid *g)
{
	gnut_guid want = test_guid();
	return memcmp(g->bytes, want.bytes, GNUT_GUID_LEN) == 0;
}

/* Parses the first n bytes of s from a heap copy of exactly n bytes, so ASan
 * reports any read past the end. The name is copied out (NUL-terminated) in
 * name, which must hold n + 1 bytes. */
static gnut_proto_err parse_n(const char *s, size_t n, gnut_giv *out, char *name)
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_giv_parse(copy, n, out);
	if (err == GNUT_PROTO_OK && name != NULL) {
		g_assert(out->name >= copy && out->name + out->name_len == copy + n);
		memcpy(name, out->name, out->name_len);
		name[out->name_len] = '\0';
	}
	g_free(copy);
	return err;
}

static gnut_proto_err parse_str(const char *s)
{
	gnut_giv giv;
	return parse_n(s, strlen(s), &giv, NULL);
}

static void test_known_lines(void)
{
	gnut_giv giv;
	char name[256];
	const char *l1 = "GIV 0:" HEX_LOWER "/file.txt";
	CU_ASSERT_EQUAL(parse_n(l1, strlen(l1), &giv, name), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.index, 0);
	CU_ASSERT_TRUE(is_test_guid(&giv.servent));
	CU_ASSERT_STRING_EQUAL(name, "file.txt");

	const char *l2 = "GIV 42:" HEX_UPPER "/a.mp3";
	CU_ASSERT_EQUAL(parse_n(l2, strlen(l2), &giv, name), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.index, 42);
	CU_ASSERT_TRUE(is_test_guid(&giv.servent));
	CU_ASSERT_STRING_EQUAL(name, "a.mp3");

	const char *l3 = "GIV 7:00112233445566778899AaBbCcDdEeFf/";
	CU_ASSERT_EQUAL(parse_n(l3, strlen(l3), &giv, name), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.index, 7);
	CU_ASSERT_TRUE(is_test_guid(&giv.servent));
	CU_ASSERT_EQUAL(giv.name_len, 0);

	/* Spaces, UTF-8 ("– Ünï"), and '/' and ':' inside the name. */
	const char *l4 =
	    "GIV 4294967295:" HEX_LOWER "/My Song \xe2\x80\x93 \xc3\x9cn\xc3\xaf/x:y.ogg";
	CU_ASSERT_EQUAL(parse_n(l4, strlen(l4), &giv, name), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.index, UINT32_MAX);
	CU_ASSERT_STRING_EQUAL(name, "My Song \xe2\x80\x93 \xc3\x9cn\xc3\xaf/x:y.ogg");

	/* Leading zeros are still decimal. */
	const char *l5 = "GIV 000000000000000000012:" HEX_LOWER "/z";
	CU_ASSERT_EQUAL(parse_n(l5, strlen(l5), &giv, name), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.index, 12);
	CU_ASSERT_STRING_EQUAL(name, "z");
}

static void test_format(void)
{
	gnut_guid g = test_guid();
	GByteArray *out = g_byte_array_new();
	g_byte_array_append(out, (const guint8 *)"x", 1);
	gnut_giv_format(out, 5, &g, "a b.txt");
	const char want[] = "xGIV 5:" HEX_LOWER "/a b.txt\n\n";
	CU_ASSERT_EQUAL(out->len, strlen(want));
	CU_ASSERT_EQUAL(memcmp(out->data, want, out->len), 0);

	g_byte_array_set_size(out, 0);
	gnut_giv_format(out, UINT32_MAX, &g, "");
	const char want2[] = "GIV 4294967295:" HEX_LOWER "/\n\n";
	CU_ASSERT_EQUAL(out->len, strlen(want2));
	CU_ASSERT_EQUAL(memcmp(out->data, want2, out->len), 0);
	g_byte_array_unref(out);
}

static void test_round_trips(void)
{
	static const struct {
		uint32_t index;
		const char *name;
	} cases[] = {
	    {0, "file.txt"},
	    {1, ""},
	    {123456, "with spaces and \xc3\xa9\xc3\xa8 UTF-8.flac"},
	    {UINT32_MAX, "a/b:c"},
	};
	gnut_guid g = test_guid();
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *out = g_byte_array_new();
		gnut_giv_format(out, cases[i].index, &g, cases[i].name);
		size_t block_len = 0;
		CU_ASSERT_EQUAL(gnut_giv_scan(out->data, out->len, &block_len), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(block_len, out->len);
		gnut_giv giv;
		CU_ASSERT_EQUAL_FATAL(gnut_giv_parse_block(out->data, out->len, &giv),
		                      GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(giv.index, cases[i].index);
		CU_ASSERT_TRUE(is_test_guid(&giv.servent));
		CU_ASSERT_EQUAL(giv.name_len, strlen(cases[i].name));
		CU_ASSERT_EQUAL(memcmp(giv.name, cases[i].name, giv.name_len), 0);
		g_byte_array_unref(out);
	}
}

/* Cut before the name: TRUNCATED (a prefix of a valid line). Cut inside the
 * name: it parses, with the name cut at the same place. */
static void test_every_truncation(void)
{
	const char line[] = "GIV 4294967295:" HEX_UPPER "/na me \xc3\xa9.txt";
	const size_t len = strlen(line);
	const size_t name_at = (size_t)(strchr(line, '/') - line) + 1;
	size_t truncated = 0, shorter = 0;
	for (size_t k = 0; k < len; k++) {
		gnut_giv giv;
		char name[sizeof line];
		gnut_proto_err err = parse_n(line, k, &giv, name);
		if (k < name_at) {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_TRUNCATED);
			truncated += err == GNUT_PROTO_ERR_TRUNCATED;
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(err, GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(giv.index, UINT32_MAX);
		CU_ASSERT_TRUE(is_test_guid(&giv.servent));
		CU_ASSERT_EQUAL(giv.name_len, k - name_at);
		CU_ASSERT_EQUAL(memcmp(name, line + name_at, k - name_at), 0);
		shorter++;
	}
	CU_ASSERT_EQUAL(truncated, name_at);
	CU_ASSERT_EQUAL(shorter, len - name_at);
}

static void test_bad_prefix(void)
{
	CU_ASSERT_EQUAL(parse_str(""), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(parse_str("GI"), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(parse_str("X"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("giv 1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GET /get/1/a HTTP/1.1"), GNUT_PROTO_ERR_MALFORMED);
}

static void test_bad_index(void)
{
	CU_ASSERT_EQUAL(parse_str("GIV -1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV +1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV :" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV  1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1 :" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 0x1:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 4294967296:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 99999999999:" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	/* Overflow is known before the line ends. */
	CU_ASSERT_EQUAL(parse_str("GIV 4294967296"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 4294967295"), GNUT_PROTO_ERR_TRUNCATED);
	/* No ':' at all: the GUID runs on as index digits, or the '/' comes too early. */
	CU_ASSERT_EQUAL(parse_str("GIV 1" HEX_LOWER "/a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1/a"), GNUT_PROTO_ERR_MALFORMED);
}

static void test_bad_guid(void)
{
	/* 31 and 33 digits */
	CU_ASSERT_EQUAL(parse_str("GIV 1:0112233445566778899aabbccddeeff/a"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1:" HEX_LOWER "0/a"), GNUT_PROTO_ERR_MALFORMED);
	/* non-hex digits: g, space, '-' of a UUID form */
	CU_ASSERT_EQUAL(parse_str("GIV 1:00112233445566778899aabbccddeefg/a"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1:0011223344556677 899aabbccddeeff/a"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1:00112233-4455-6677-8899-aabbccddeeff/a"),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1:/a"), GNUT_PROTO_ERR_MALFORMED);
	/* a short GUID at the very end: 32 digits must not be read from 4 */
	CU_ASSERT_EQUAL(parse_str("GIV 1:0011/"), GNUT_PROTO_ERR_MALFORMED);
	/* no '/' after the GUID */
	CU_ASSERT_EQUAL(parse_str("GIV 1:" HEX_LOWER " a"), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_str("GIV 1:" HEX_LOWER ":a"), GNUT_PROTO_ERR_MALFORMED);
}

static void test_control_characters(void)
{
	static const char bad[] = {'\0', '\t', '\r', '\n', 0x1b, 0x1f, 0x7f};
	for (size_t i = 0; i < sizeof bad; i++) {
		char line[] = "GIV 1:" HEX_LOWER "/a?b";
		*strchr(line, '?') = bad[i];
		gnut_giv giv;
		CU_ASSERT_EQUAL(parse_n(line, sizeof line - 1, &giv, NULL),
		                GNUT_PROTO_ERR_MALFORMED);
	}
	/* A trailing CR means the caller left the line end in. */
	CU_ASSERT_EQUAL(parse_str("GIV 1:" HEX_LOWER "/a\r"), GNUT_PROTO_ERR_MALFORMED);
	/* Every byte from 0x20 up but DEL is a name byte. */
	char line[] = "GIV 1:" HEX_LOWER "/?";
	size_t ok = 0;
	for (int c = 0x20; c <= 0xff; c++) {
		line[sizeof line - 2] = (char)c;
		gnut_giv giv;
		ok += parse_n(line, sizeof line - 1, &giv, NULL) == GNUT_PROTO_OK;
	}
	CU_ASSERT_EQUAL(ok, 0xff - 0x20);
}

/* A valid line of exactly len bytes (name of 'n's), in a fresh string. */
static char *line_of_len(size_t len)
{
	const char head[] = "GIV 1:" HEX_LOWER "/";
	char *s = g_malloc(len + 1);
	memcpy(s, head, sizeof head - 1);
	memset(s + sizeof head - 1, 'n', len - (sizeof head - 1));
	s[len] = '\0';
	return s;
}

static void test_line_cap(void)
{
	gnut_giv giv;
	char *at_cap = line_of_len(GNUT_GIV_MAX_LINE);
	CU_ASSERT_EQUAL(parse_n(at_cap, GNUT_GIV_MAX_LINE, &giv, NULL), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.name_len, GNUT_GIV_MAX_LINE - strlen("GIV 1:" HEX_LOWER "/"));
	g_free(at_cap);
	char *over = line_of_len(GNUT_GIV_MAX_LINE + 1);
	CU_ASSERT_EQUAL(parse_n(over, GNUT_GIV_MAX_LINE + 1, &giv, NULL), GNUT_PROTO_ERR_TOO_LARGE);
	g_free(over);
	char *far_over = line_of_len(10 * GNUT_GIV_MAX_LINE);
	CU_ASSERT_EQUAL(parse_str(far_over), GNUT_PROTO_ERR_TOO_LARGE);
	g_free(far_over);

	/* Format writes a line at the cap, which scan and parse take back. */
	GByteArray *out = g_byte_array_new();
	gnut_guid g = test_guid();
	char *name = g_strnfill(GNUT_GIV_MAX_LINE - strlen("GIV 1:" HEX_LOWER "/"), 'n');
	gnut_giv_format(out, 1, &g, name);
	CU_ASSERT_EQUAL(out->len, GNUT_GIV_MAX_LINE + 2);
	CU_ASSERT_EQUAL(gnut_giv_parse_block(out->data, out->len, &giv), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(giv.name_len, strlen(name));
	g_free(name);
	g_byte_array_unref(out);
}

/* Scans the first n bytes of s from an exact heap copy. */
static gnut_proto_err scan_n(const char *s, size_t n, size_t *block_len)
{
	uint8_t *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_giv_scan(copy, n, block_len);
	g_free(copy);
	return err;
}

static void test_scan_line_ends(void)
{
	static const char *const blocks[] = {
	    "GIV 1:" HEX_LOWER "/a b\n\n",
	    "GIV 1:" HEX_LOWER "/a b\r\n\r\n",
	    "GIV 1:" HEX_LOWER "/a b\r\n\n",
	    "GIV 1:" HEX_LOWER "/a b\n\r\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(blocks); i++) {
		const char *b = blocks[i];
		size_t len = strlen(b);
		size_t block_len = 0;
		/* Whatever follows (the peer's next bytes) is not part of the block. */
		char *more = g_strconcat(b, "GET /", NULL);
		CU_ASSERT_EQUAL(scan_n(more, strlen(more), &block_len), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(block_len, len);
		g_free(more);
		size_t truncated = 0;
		for (size_t k = 0; k < len; k++)
			truncated += scan_n(b, k, &block_len) == GNUT_PROTO_ERR_TRUNCATED;
		CU_ASSERT_EQUAL(truncated, len);

		gnut_giv giv;
		CU_ASSERT_EQUAL(gnut_giv_parse_block((const uint8_t *)b, len, &giv), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(giv.name_len, 3);
		CU_ASSERT_EQUAL(memcmp(giv.name, "a b", 3), 0);
	}
}

static void test_scan_rejects(void)
{
	size_t block_len = 0;
	/* The second line must be empty. */
	const char *two = "GIV 1:" HEX_LOWER "/a\nGET / HTTP/1.1\r\n\r\n";
	CU_ASSERT_EQUAL(scan_n(two, strlen(two), &block_len), GNUT_PROTO_ERR_MALFORMED);
	const char *cr_x = "GIV 1:" HEX_LOWER "/a\n\rX";
	CU_ASSERT_EQUAL(scan_n(cr_x, strlen(cr_x), &block_len), GNUT_PROTO_ERR_MALFORMED);

	/* Caps: a line of exactly GNUT_GIV_MAX_LINE bytes fits with either end. */
	char *buf = g_malloc(GNUT_GIV_MAX_LINE + 8);
	memset(buf, 'a', GNUT_GIV_MAX_LINE + 8);
	memcpy(buf + GNUT_GIV_MAX_LINE, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 4, &block_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(block_len, GNUT_GIV_MAX_LINE + 4);
	/* Unfinished at the cap plus a CR: the LF may still come. */
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 1, &block_len), GNUT_PROTO_ERR_TRUNCATED);
	memcpy(buf + GNUT_GIV_MAX_LINE, "\n\n", 2);
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 2, &block_len), GNUT_PROTO_OK);
	/* One byte more, finished or not, is over. */
	buf[GNUT_GIV_MAX_LINE] = 'a';
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 1, &block_len), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 2, &block_len), GNUT_PROTO_ERR_TOO_LARGE);
	memcpy(buf + GNUT_GIV_MAX_LINE + 1, "\r\n\r\n", 4);
	CU_ASSERT_EQUAL(scan_n(buf, GNUT_GIV_MAX_LINE + 5, &block_len), GNUT_PROTO_ERR_TOO_LARGE);
	g_free(buf);
	CU_ASSERT_EQUAL(scan_n("", 0, &block_len), GNUT_PROTO_ERR_TRUNCATED);
}

static void test_parse_block_errors(void)
{
	gnut_giv giv = {.index = 99};
	const char *extra = "GIV 1:" HEX_LOWER "/a\n\nX";
	CU_ASSERT_EQUAL(gnut_giv_parse_block((const uint8_t *)extra, strlen(extra), &giv),
	                GNUT_PROTO_ERR_TRAILING);
	const char *part = "GIV 1:" HEX_LOWER "/a\n";
	CU_ASSERT_EQUAL(gnut_giv_parse_block((const uint8_t *)part, strlen(part), &giv),
	                GNUT_PROTO_ERR_TRUNCATED);
	const char *bad = "GIV 1:" HEX_LOWER "a\r\n\r\n";
	CU_ASSERT_EQUAL(gnut_giv_parse_block((const uint8_t *)bad, strlen(bad), &giv),
	                GNUT_PROTO_ERR_MALFORMED);
	const char *empty = "\n\n";
	CU_ASSERT_EQUAL(gnut_giv_parse_block((const uint8_t *)empty, 2, &giv),
	                GNUT_PROTO_ERR_TRUNCATED);
	/* Errors leave *out alone. */
	CU_ASSERT_EQUAL(giv.index, 99);
}

static CU_TestInfo tests[] = {
    {"known lines", test_known_lines},
    {"format", test_format},
    {"round trips", test_round_trips},
    {"every truncation", test_every_truncation},
    {"bad prefix", test_bad_prefix},
    {"bad index", test_bad_index},
    {"bad GUID, missing separators", test_bad_guid},
    {"control characters", test_control_characters},
    {"line cap", test_line_cap},
    {"scan: line ends, partial input", test_scan_line_ends},
    {"scan: rejects and caps", test_scan_rejects},
    {"parse_block errors", test_parse_block_errors},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("giv", tests)
