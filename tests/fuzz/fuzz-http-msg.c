/* fuzz-http-msg.c: the HTTP transfer parsers (request and status lines,
 * Range, Content-Range, X-Available-Ranges, request targets,
 * percent-decoding) on arbitrary text, with the round trip of whatever
 * parses. */
#include "fuzz.h"
#include "gnut/proto/http-msg.h"

#include <stdlib.h>
#include <string.h>

static void check_lines(const char *s)
{
	gnut_http_request req;
	if (gnut_http_parse_request_line(s, &req) == GNUT_PROTO_OK) {
		/* the grammar is strict, so the line is rebuilt byte for byte */
		char *again = gnut_http_request_line(req.method_name, req.target, req.minor);
		if (again == NULL || strcmp(again, s) != 0 ||
		    strlen(req.target) > GNUT_HTTP_MAX_TARGET)
			abort();
		g_free(again);
		gnut_http_request_clear(&req);
	}
	gnut_http_status st;
	if (gnut_http_parse_status_line(s, &st) == GNUT_PROTO_OK) {
		char *again = gnut_http_status_line(st.minor, st.code, st.reason);
		gnut_http_status st2;
		if (gnut_http_parse_status_line(again, &st2) != GNUT_PROTO_OK ||
		    st2.code != st.code || st2.minor != st.minor || strcmp(st2.reason, st.reason))
			abort();
		g_free(again);
	}
}

static void check_range(const char *s, uint64_t size)
{
	gnut_http_range r[GNUT_HTTP_MAX_RANGES];
	size_t n = 0;
	if (gnut_http_parse_range(s, size, r, &n) != GNUT_HTTP_RANGE_OK)
		return;
	if (n == 0 || n > GNUT_HTTP_MAX_RANGES)
		abort();
	for (size_t i = 0; i < n; i++)
		if (r[i].start > r[i].end || r[i].end >= size)
			abort();
	GString *out = g_string_new(NULL);
	gnut_http_format_range(out, r, n);
	gnut_http_range back[GNUT_HTTP_MAX_RANGES];
	size_t m = 0;
	if (gnut_http_parse_range(out->str, size, back, &m) != GNUT_HTTP_RANGE_OK || m != n ||
	    memcmp(back, r, n * sizeof r[0]) != 0)
		abort();
	g_string_free(out, TRUE);
}

static void check_content_range(const char *s)
{
	gnut_http_content_range cr;
	if (gnut_http_parse_content_range(s, &cr) != GNUT_PROTO_OK)
		return;
	GString *out = g_string_new(NULL);
	gnut_http_format_content_range(out, &cr);
	gnut_http_content_range back;
	if (gnut_http_parse_content_range(out->str, &back) != GNUT_PROTO_OK ||
	    back.satisfied != cr.satisfied || back.total_known != cr.total_known ||
	    (cr.satisfied && (back.start != cr.start || back.end != cr.end)) ||
	    (cr.total_known && back.total != cr.total))
		abort();
	g_string_free(out, TRUE);
}

static void check_available(const char *s)
{
	gnut_http_range r[GNUT_HTTP_MAX_AVAILABLE];
	size_t n = 0;
	if (gnut_http_parse_available_ranges(s, r, &n) != GNUT_PROTO_OK)
		return;
	GString *out = g_string_new(NULL);
	gnut_http_format_available_ranges(out, r, n);
	gnut_http_range back[GNUT_HTTP_MAX_AVAILABLE];
	size_t m = 0;
	if (gnut_http_parse_available_ranges(out->str, back, &m) != GNUT_PROTO_OK || m != n ||
	    memcmp(back, r, n * sizeof r[0]) != 0)
		abort();
	g_string_free(out, TRUE);
}

static void check_targets(const uint8_t *data, size_t size, const char *s)
{
	char *decoded = NULL;
	if (gnut_http_url_decode((const char *)data, size, &decoded) == GNUT_PROTO_OK) {
		GString *enc = g_string_new(NULL);
		gnut_http_url_encode(enc, decoded);
		char *again = NULL;
		if (gnut_http_url_decode(enc->str, enc->len, &again) != GNUT_PROTO_OK ||
		    strcmp(again, decoded) != 0)
			abort();
		g_free(again);
		g_string_free(enc, TRUE);
		g_free(decoded);
	}
	uint32_t index = 0;
	char *name = NULL;
	if (gnut_http_parse_get_target(s, &index, &name) == GNUT_PROTO_OK) {
		if (*name == '\0')
			abort();
		g_free(name);
	}
	char service[4];
	const char *urn = NULL;
	if (gnut_http_parse_uri_res(s, service, &urn) == GNUT_PROTO_OK &&
	    (strlen(service) != 3 || *urn == '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = g_strndup((const char *)data, size);
	check_lines(s);
	static const uint64_t sizes[] = {0, 1, 1000, 3145728, UINT64_MAX};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
		check_range(s, sizes[i]);
	check_content_range(s);
	check_available(s);
	check_targets(data, size, s);
	g_free(s);
	return 0;
}
