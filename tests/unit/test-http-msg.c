/* test-http-msg.c: HTTP transfer lines and values, with the exchanges of
 * gtk-gnutella 1.2.3 (shared/interop/http.txt) as vectors: request and status
 * lines, targets, Range, Content-Range, X-Available-Ranges. */
#include "gnut/proto/alt-loc.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "unit.h"

#include <string.h>

/* The downloader's follow-up request and the uploader's first reply. */
static const char gtkg_request[] =
    "GET /uri-res/N2R?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5 HTTP/1.1\r\n"
    "Host: 127.0.0.1:36501\r\n"
    "Accept-Encoding: deflate\r\n"
    "X-Queue: 1.1\r\n"
    "X-Queued: position=0; ID=38bc6a9cbb233137db2b22d7e64345b3\r\n"
    "X-Node: 127.0.0.1:36502\r\n"
    "Range: bytes=2621440-3145727\r\n"
    "X-Downloaded: 524288\r\n"
    "X-Alt: tls=8, 127.0.0.1:36502\r\n"
    "X-Gnutella-Content-URN: urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5\r\n"
    "\r\n";

static const char gtkg_reply[] =
    "HTTP/1.1 206 Partial Content\r\n"
    "Server: gtk-gnutella/1.2.3 (2024-03-03; Topless; Linux x86_64)\r\n"
    "Date: Wed, 15 Jan 2025 05:41:13 GMT\r\n"
    "X-Token: <token elided>\r\n"
    "X-Features: tls/1.0, browse/1.0, fwalt/0.1, queue/1.1\r\n"
    "X-Queued: ID=38bc6a9cbb233137db2b22d7e64345b3\r\n"
    "Content-Range: bytes 0-524287/3145728\r\n"
    "Content-Length: 524288\r\n"
    "Last-Modified: Sat, 21 Nov 2026 05:41:00 GMT\r\n"
    "Content-Type: image/png\r\n"
    "Content-Disposition: inline; filename*=\"utf-8'en'image.png\"\r\n"
    "X-Gnutella-Content-URN: urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5\r\n"
    "X-Thex-URI: "
    "/uri-res/"
    "N2X?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5;2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y\r\n"
    "\r\n";

static gnut_head *parse_block(const char *s)
{
	gnut_head *h = NULL;
	CU_ASSERT_EQUAL(gnut_head_parse((const uint8_t *)s, strlen(s), &h), GNUT_PROTO_OK);
	return h;
}

/* A NUL-terminated heap copy of s[0..len), so ASan sees reads past it. */
static char *prefix_copy(const char *s, size_t len)
{
	return g_strndup(s, len);
}

static void test_captured_request(void)
{
	g_autoptr(gnut_head) h = parse_block(gtkg_request);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	g_auto(gnut_http_request) req = {0};
	CU_ASSERT_EQUAL(gnut_http_parse_request_line(gnut_head_start_line(h), &req), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(req.method, GNUT_HTTP_GET);
	CU_ASSERT_STRING_EQUAL(req.method_name, "GET");
	CU_ASSERT_STRING_EQUAL(req.target,
	                       "/uri-res/N2R?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5");
	CU_ASSERT_EQUAL(req.minor, 1);
	char service[4];
	const char *urn = NULL;
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res(req.target, service, &urn), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(service, "N2R");
	CU_ASSERT_STRING_EQUAL(urn, "urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5");

	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_http_parse_range(gnut_head_get(h, "Range"), 3145728, r, &n),
	                GNUT_HTTP_RANGE_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(r[0].start, 2621440);
	CU_ASSERT_EQUAL(r[0].end, 3145727);

	gnut_alt alts[GNUT_ALT_MAX];
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(gnut_head_get(h, "X-Alt"), true, alts, &n, NULL),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(alts[0].ip, 0x7f000001);
	CU_ASSERT_EQUAL(alts[0].port, 36502);
	CU_ASSERT_TRUE(gnut_head_value_has_token(gnut_head_get(h, "Accept-Encoding"), "deflate"));
}

static void test_captured_reply(void)
{
	g_autoptr(gnut_head) h = parse_block(gtkg_reply);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	gnut_http_status st;
	CU_ASSERT_EQUAL(gnut_http_parse_status_line(gnut_head_start_line(h), &st), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.minor, 1);
	CU_ASSERT_EQUAL(st.code, 206);
	CU_ASSERT_STRING_EQUAL(st.reason, "Partial Content");
	CU_ASSERT_EQUAL(gnut_head_count(h), 12);

	gnut_http_content_range cr;
	CU_ASSERT_EQUAL(gnut_http_parse_content_range(gnut_head_get(h, "content-range"), &cr),
	                GNUT_PROTO_OK);
	CU_ASSERT_TRUE(cr.satisfied);
	CU_ASSERT_TRUE(cr.total_known);
	CU_ASSERT_EQUAL(cr.start, 0);
	CU_ASSERT_EQUAL(cr.end, 524287);
	CU_ASSERT_EQUAL(cr.total, 3145728);
	uint64_t length = 0;
	CU_ASSERT_EQUAL(gnut_head_parse_u64(gnut_head_get(h, "Content-Length"), &length),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(length, cr.end - cr.start + 1);
	CU_ASSERT_STRING_EQUAL(gnut_head_get(h, "Content-Disposition"),
	                       "inline; filename*=\"utf-8'en'image.png\"");
	CU_ASSERT_PTR_NOT_NULL(gnut_head_get(h, "Server"));

	char service[4];
	const char *urn = NULL;
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res(gnut_head_get(h, "X-Thex-URI"), service, &urn),
	                GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(service, "N2X");
	CU_ASSERT_TRUE(g_str_has_suffix(urn, ";2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y"));
}

static void test_request_lines(void)
{
	g_auto(gnut_http_request) req = {0};
	CU_ASSERT_EQUAL(gnut_http_parse_request_line("HEAD /get/1/a.txt HTTP/1.0", &req),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(req.method, GNUT_HTTP_HEAD);
	CU_ASSERT_EQUAL(req.minor, 0);
	gnut_http_request_clear(&req);
	CU_ASSERT_EQUAL(gnut_http_parse_request_line("POST / HTTP/1.1", &req), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(req.method, GNUT_HTTP_OTHER);
	CU_ASSERT_STRING_EQUAL(req.method_name, "POST");
	gnut_http_request_clear(&req);
	CU_ASSERT_EQUAL(gnut_http_parse_request_line("GET / HTTP/2.0", &req),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_PTR_NULL(req.target);
	static const char *bad[] = {
	    "GET  / HTTP/1.1",
	    "GET / HTTP/1.1 ",
	    "GET /",
	    "GET / http/1.1",
	    "GET / HTTP/1.10",
	    "GET / HTTP/1",
	    "G(T / HTTP/1.1",
	    " GET / HTTP/1.1",
	    "GET /\x7f HTTP/1.1",
	    "GET",
	    "ABCDEFGHIJKLMNOPQ / HTTP/1.1",
	    "",
	    "GNUTELLA CONNECT/0.6",
	};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		if (gnut_http_parse_request_line(bad[i], &req) != GNUT_PROTO_ERR_MALFORMED)
			accepted++;
		gnut_http_request_clear(&req);
	}
	CU_ASSERT_EQUAL(accepted, 0);

	/* the target cap: GNUT_HTTP_MAX_TARGET bytes pass, one more is TOO_LARGE */
	GString *line = g_string_new("GET /");
	while (line->len < 4 + GNUT_HTTP_MAX_TARGET)
		g_string_append_c(line, 'x');
	g_string_append(line, " HTTP/1.1");
	CU_ASSERT_EQUAL(gnut_http_parse_request_line(line->str, &req), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(strlen(req.target), GNUT_HTTP_MAX_TARGET);
	gnut_http_request_clear(&req);
	g_string_insert_c(line, 5, 'y');
	CU_ASSERT_EQUAL(gnut_http_parse_request_line(line->str, &req), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(line, TRUE);

	/* every proper prefix of a request line is refused */
	const char *full = "GET /uri-res/N2R?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5 HTTP/1.1";
	size_t ok = 0;
	for (size_t i = 0; i < strlen(full); i++) {
		char *p = prefix_copy(full, i);
		if (gnut_http_parse_request_line(p, &req) == GNUT_PROTO_OK)
			ok++;
		gnut_http_request_clear(&req);
		g_free(p);
	}
	CU_ASSERT_EQUAL(ok, 0);

	g_autofree char *made = gnut_http_request_line("GET", "/get/3/a%20b", 1);
	CU_ASSERT_STRING_EQUAL(made, "GET /get/3/a%20b HTTP/1.1");
}

static void test_status_lines(void)
{
	gnut_http_status st;
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("HTTP/1.0 503", &st), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 503);
	CU_ASSERT_EQUAL(st.minor, 0);
	CU_ASSERT_STRING_EQUAL(st.reason, "");
	CU_ASSERT_EQUAL(
	    gnut_http_parse_status_line("HTTP/1.1 416 Requested Range Not Satisfiable", &st),
	    GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(st.code, 416);
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("HTTP/3.0 200 OK", &st),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("HTTP/1.1 20 OK", &st),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("HTTP/1.1", &st), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("GNUTELLA/0.6 200 OK", &st),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_status_line("HTTP/1.1 200 O\nK", &st),
	                GNUT_PROTO_ERR_MALFORMED);
	const char *full = "HTTP/1.1 206 Partial Content";
	size_t ok = 0;
	for (size_t i = 0; i < strlen("HTTP/1.1 206"); i++) {
		char *p = prefix_copy(full, i);
		if (gnut_http_parse_status_line(p, &st) == GNUT_PROTO_OK)
			ok++;
		g_free(p);
	}
	CU_ASSERT_EQUAL(ok, 0);

	g_autofree char *line = gnut_http_status_line(1, 416, NULL);
	CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 416 Requested Range Not Satisfiable");
	CU_ASSERT_STRING_EQUAL(gnut_http_reason_phrase(206), "Partial Content");
	CU_ASSERT_STRING_EQUAL(gnut_http_reason_phrase(299), "Unknown");

	g_autoptr(gnut_head) h = gnut_http_new_response(503, "Busy");
	gnut_head_add(h, "Retry-After", "60");
	GString *wire = gnut_head_serialize(h);
	CU_ASSERT_STRING_EQUAL(wire->str, "HTTP/1.1 503 Busy\r\nRetry-After: 60\r\n\r\n");
	g_string_free(wire, TRUE);
	g_autoptr(gnut_head) req = gnut_http_new_request("HEAD", "/");
	CU_ASSERT_STRING_EQUAL(gnut_head_start_line(req), "HEAD / HTTP/1.1");
}

/* Resolves value against size and checks it gives exactly the n ranges of
 * want (pairs of start, end). */
static bool range_is(const char *value, uint64_t size, size_t n, const uint64_t *want)
{
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t got = 0;
	if (gnut_http_parse_range(value, size, r, &got) != GNUT_HTTP_RANGE_OK || got != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r[i].start != want[2 * i] || r[i].end != want[2 * i + 1])
			return false;
	return true;
}

static gnut_http_range_result range_result(const char *value, uint64_t size)
{
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	return gnut_http_parse_range(value, size, r, &n);
}

static void test_range_vectors(void)
{
	CU_ASSERT_TRUE(range_is("bytes=0-499", 10000, 1, (uint64_t[]){0, 499}));
	CU_ASSERT_TRUE(range_is("bytes=500-999", 10000, 1, (uint64_t[]){500, 999}));
	CU_ASSERT_TRUE(range_is("bytes=-500", 10000, 1, (uint64_t[]){9500, 9999}));
	CU_ASSERT_TRUE(range_is("bytes=9500-", 10000, 1, (uint64_t[]){9500, 9999}));
	CU_ASSERT_TRUE(range_is("bytes=0-0,-1", 10000, 2, (uint64_t[]){0, 0, 9999, 9999}));
	CU_ASSERT_TRUE(
	    range_is("bytes=500-600,601-999", 10000, 2, (uint64_t[]){500, 600, 601, 999}));
	CU_ASSERT_TRUE(range_is("bytes=0-20000", 10000, 1, (uint64_t[]){0, 9999}));
	CU_ASSERT_TRUE(range_is("bytes=-20000", 10000, 1, (uint64_t[]){0, 9999}));
	CU_ASSERT_TRUE(range_is("bytes=0-1048575", 3145728, 1, (uint64_t[]){0, 1048575}));
	CU_ASSERT_TRUE(range_is("BYTES=1-2", 10, 1, (uint64_t[]){1, 2}));
	CU_ASSERT_TRUE(range_is(" bytes = 1-2 , 3-4 ", 10, 2, (uint64_t[]){1, 2, 3, 4}));
	CU_ASSERT_TRUE(range_is("bytes=1-2,,3-4,", 10, 2, (uint64_t[]){1, 2, 3, 4}));
	/* unsatisfiable specs are dropped when another one is satisfiable */
	CU_ASSERT_TRUE(range_is("bytes=20000-,0-1", 10000, 1, (uint64_t[]){0, 1}));
	CU_ASSERT_TRUE(range_is("bytes=-18446744073709551615", 10000, 1, (uint64_t[]){0, 9999}));
	CU_ASSERT_TRUE(range_is("bytes=0-18446744073709551615", UINT64_MAX, 1,
	                        (uint64_t[]){0, UINT64_MAX - 1}));

	CU_ASSERT_EQUAL(range_result("bytes=10000-", 10000), GNUT_HTTP_RANGE_UNSATISFIABLE);
	CU_ASSERT_EQUAL(range_result("bytes=10000-10001", 10000), GNUT_HTTP_RANGE_UNSATISFIABLE);
	CU_ASSERT_EQUAL(range_result("bytes=-0", 10000), GNUT_HTTP_RANGE_UNSATISFIABLE);
	CU_ASSERT_EQUAL(range_result("bytes=0-", 0), GNUT_HTTP_RANGE_UNSATISFIABLE);
	CU_ASSERT_EQUAL(range_result("bytes=-5", 0), GNUT_HTTP_RANGE_UNSATISFIABLE);
	CU_ASSERT_EQUAL(range_result("bytes=18446744073709551615-18446744073709551615", 10000),
	                GNUT_HTTP_RANGE_UNSATISFIABLE);

	static const char *bad[] = {
	    "bytes=",
	    "bytes=5-4",
	    "bytes=a-b",
	    "bytes=1-2-3",
	    "items=0-1",
	    "bytes 0-1",
	    "bytes=-",
	    "bytes=--1",
	    "bytes=+1-2",
	    "bytes=1 -2",
	    "bytes=1- 2",
	    "bytes=0x10-",
	    "bytes=,",
	    "",
	    "bytes=1-2;x",
	    "bytes=18446744073709551616-",
	    "bytes=0-18446744073709551616",
	    "bytes=-18446744073709551616",
	    "bytes=99999999999999999999999999-1",
	    "bytes=0-1,bad",
	};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (range_result(bad[i], 10000) != GNUT_HTTP_RANGE_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);
}

static void test_range_cap_and_format(void)
{
	GString *v = g_string_new("bytes=");
	for (int i = 0; i < GNUT_HTTP_MAX_RANGES; i++)
		g_string_append_printf(v, "%s%d-%d", i > 0 ? "," : "", i * 10, i * 10 + 4);
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_http_parse_range(v->str, 1000, r, &n), GNUT_HTTP_RANGE_OK);
	CU_ASSERT_EQUAL(n, GNUT_HTTP_MAX_RANGES);
	CU_ASSERT_EQUAL(r[15].start, 150);
	g_string_append(v, ",900-901");
	CU_ASSERT_EQUAL(gnut_http_parse_range(v->str, 1000, r, &n), GNUT_HTTP_RANGE_TOO_MANY);
	g_string_free(v, TRUE);

	gnut_http_range two[] = {{0, 1048575}, {2097152, 3145727}};
	GString *out = g_string_new(NULL);
	gnut_http_format_range(out, two, 2);
	CU_ASSERT_STRING_EQUAL(out->str, "bytes=0-1048575,2097152-3145727");
	CU_ASSERT_EQUAL(gnut_http_parse_range(out->str, 3145728, r, &n), GNUT_HTTP_RANGE_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(memcmp(r, two, sizeof two), 0);
	g_string_free(out, TRUE);
}

static bool content_range_is(const char *value, bool satisfied, uint64_t start, uint64_t end,
                             bool total_known, uint64_t total)
{
	gnut_http_content_range cr;
	if (gnut_http_parse_content_range(value, &cr) != GNUT_PROTO_OK)
		return false;
	if (cr.satisfied != satisfied || cr.total_known != total_known)
		return false;
	if (satisfied && (cr.start != start || cr.end != end))
		return false;
	return !total_known || cr.total == total;
}

static void test_content_range(void)
{
	CU_ASSERT_TRUE(content_range_is("bytes 0-524287/3145728", true, 0, 524287, true, 3145728));
	CU_ASSERT_TRUE(content_range_is("bytes 2621440-3145727/3145728", true, 2621440, 3145727,
	                                true, 3145728));
	CU_ASSERT_TRUE(content_range_is("bytes=0-99/100", true, 0, 99, true, 100));
	CU_ASSERT_TRUE(content_range_is("Bytes 0-99/*", true, 0, 99, false, 0));
	CU_ASSERT_TRUE(content_range_is("bytes */3145728", false, 0, 0, true, 3145728));
	CU_ASSERT_TRUE(content_range_is(" bytes  0-0/1 ", true, 0, 0, true, 1));
	CU_ASSERT_TRUE(content_range_is("bytes 0-18446744073709551614/18446744073709551615", true,
	                                0, UINT64_MAX - 1, true, UINT64_MAX));

	static const char *bad[] = {
	    "bytes */*",
	    "bytes 100-99/200",
	    "bytes 0-100/100",
	    "bytes 0-99",
	    "0-99/100",
	    "bytes0-99/100",
	    "bytes 0-99/100x",
	    "bytes 0-/100",
	    "bytes -1/100",
	    "bytes 0-99 /100",
	    "bytes 0-18446744073709551616/*",
	    "bytes 0-1/18446744073709551616",
	    "",
	    "bytes ",
	};
	size_t accepted = 0;
	gnut_http_content_range cr;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (gnut_http_parse_content_range(bad[i], &cr) != GNUT_PROTO_ERR_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);

	/* every proper prefix of the captured value is refused */
	const char *full = "bytes 0-524287/3145728";
	size_t ok = 0;
	for (size_t i = 0; i < strlen(full); i++) {
		char *p = prefix_copy(full, i);
		if (gnut_http_parse_content_range(p, &cr) == GNUT_PROTO_OK)
			ok++;
		g_free(p);
	}
	CU_ASSERT_EQUAL(ok, 0);

	GString *out = g_string_new(NULL);
	gnut_http_content_range a = {true, 0, 524287, true, 3145728};
	gnut_http_format_content_range(out, &a);
	CU_ASSERT_STRING_EQUAL(out->str, "bytes 0-524287/3145728");
	g_string_truncate(out, 0);
	gnut_http_content_range unsat = {false, 0, 0, true, 3145728};
	gnut_http_format_content_range(out, &unsat);
	CU_ASSERT_STRING_EQUAL(out->str, "bytes */3145728");
	CU_ASSERT_TRUE(content_range_is(out->str, false, 0, 0, true, 3145728));
	g_string_truncate(out, 0);
	gnut_http_content_range unknown = {true, 5, 9, false, 0};
	gnut_http_format_content_range(out, &unknown);
	CU_ASSERT_STRING_EQUAL(out->str, "bytes 5-9/*");
	g_string_free(out, TRUE);
}

static void test_available_ranges(void)
{
	gnut_http_range r[GNUT_HTTP_MAX_AVAILABLE];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes 0-1023,2048-4095", r, &n),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(r[1].start, 2048);
	CU_ASSERT_EQUAL(r[1].end, 4095);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes=7-7", r, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes 5-1", r, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes 0-", r, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes -5", r, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("0-5", r, &n), GNUT_PROTO_ERR_MALFORMED);
	/* nothing available: what the formatter writes for no range reads back */
	GString *none = g_string_new(NULL);
	gnut_http_format_available_ranges(none, r, 0);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges(none->str, r, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes", r, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytesX", r, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	g_string_free(none, TRUE);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges("bytes 0-99999999999999999999", r, &n),
	                GNUT_PROTO_ERR_MALFORMED);

	GString *v = g_string_new(NULL);
	gnut_http_range many[GNUT_HTTP_MAX_AVAILABLE + 1];
	for (size_t i = 0; i <= GNUT_HTTP_MAX_AVAILABLE; i++)
		many[i] = (gnut_http_range){i * 100, i * 100 + 49};
	gnut_http_format_available_ranges(v, many, GNUT_HTTP_MAX_AVAILABLE);
	CU_ASSERT_TRUE(g_str_has_prefix(v->str, "bytes 0-49,100-149,"));
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges(v->str, r, &n), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(n, GNUT_HTTP_MAX_AVAILABLE);
	CU_ASSERT_EQUAL(memcmp(r, many, sizeof r), 0);
	g_string_truncate(v, 0);
	gnut_http_format_available_ranges(v, many, GNUT_HTTP_MAX_AVAILABLE + 1);
	CU_ASSERT_EQUAL(gnut_http_parse_available_ranges(v->str, r, &n), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(v, TRUE);
}

static gnut_proto_err decode(const char *s, char **out)
{
	return gnut_http_url_decode(s, strlen(s), out);
}

static void test_url_decoding(void)
{
	char *s = NULL;
	CU_ASSERT_EQUAL(decode("hello%20world.txt", &s), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(s, "hello world.txt");
	g_free(s);
	CU_ASSERT_EQUAL(decode("%C3%a9t%C3%A9+x", &s), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(s, "\xc3\xa9t\xc3\xa9+x");
	g_free(s);
	static const char *bad[] = {"%00", "a%G0", "a%4", "%", "%FF", "\xc3", "a%c3%28"};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (decode(bad[i], &s) != GNUT_PROTO_ERR_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);
	static const char with_nul[] = "a\0b";
	CU_ASSERT_EQUAL(gnut_http_url_decode(with_nul, 3, &s), GNUT_PROTO_ERR_MALFORMED);

	GString *enc = g_string_new(NULL);
	gnut_http_url_encode(enc, "my song (live) \xc3\xa9.mp3");
	CU_ASSERT_STRING_EQUAL(enc->str, "my%20song%20%28live%29%20%C3%A9.mp3");
	CU_ASSERT_EQUAL(decode(enc->str, &s), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(s, "my song (live) \xc3\xa9.mp3");
	g_free(s);
	g_string_free(enc, TRUE);
}

static void test_targets(void)
{
	uint32_t index = 0;
	char *name = NULL;
	CU_ASSERT_EQUAL(gnut_http_parse_get_target("/get/12/my%20file.mp3", &index, &name),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(index, 12);
	CU_ASSERT_STRING_EQUAL(name, "my file.mp3");
	g_free(name);
	CU_ASSERT_EQUAL(gnut_http_parse_get_target("/get/4294967295/a?x=1", &index, &name),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(index, UINT32_MAX);
	CU_ASSERT_STRING_EQUAL(name, "a");
	g_free(name);
	static const char *bad[] = {"/get/4294967296/x", "/get/12/",   "/get//x",  "/get/12",
	                            "/get/-1/x",         "/get/1/%00", "/get/1/?q"};
	size_t accepted = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		if (gnut_http_parse_get_target(bad[i], &index, &name) != GNUT_PROTO_ERR_MALFORMED)
			accepted++;
	CU_ASSERT_EQUAL(accepted, 0);
	CU_ASSERT_EQUAL(gnut_http_parse_get_target("/uri-res/N2R?x", &index, &name),
	                GNUT_PROTO_ERR_UNSUPPORTED);

	char service[4];
	const char *urn = NULL;
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res("/URI-RES/n2r?urn:x", service, &urn),
	                GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(service, "N2R");
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res("/uri-res/N2R?", service, &urn),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res("/uri-res/N2?x", service, &urn),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res("/uri-res/", service, &urn),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_http_parse_uri_res("/get/1/a", service, &urn),
	                GNUT_PROTO_ERR_UNSUPPORTED);
}

static CU_TestInfo tests[] = {
    {"captured gtk-gnutella request", test_captured_request},
    {"captured gtk-gnutella 206 reply", test_captured_reply},
    {"request lines", test_request_lines},
    {"status lines", test_status_lines},
    {"Range vectors", test_range_vectors},
    {"Range cap and format", test_range_cap_and_format},
    {"Content-Range", test_content_range},
    {"X-Available-Ranges", test_available_ranges},
    {"percent-decoding", test_url_decoding},
    {"request targets", test_targets},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("http-msg", tests)
