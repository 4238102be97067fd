/* http-msg.c: HTTP/1.1 transfer pieces: request and status lines, Gnutella
 * request targets, byte ranges (Range, Content-Range, X-Available-Ranges).
 * Numbers are read with explicit uint64 overflow
 * checks; every list has a cap. */
#include "gnut/proto/http-msg.h"

#include <string.h>

#include "gnut/proto/http-status.h"

/* A view of part of a NUL-terminated header value. */
typedef struct {
	const char *p;
	size_t n;
} span;

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static span span_trim(span s)
{
	while (s.n > 0 && is_ows(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Walks a comma-separated list: *elem becomes the next element, trimmed
 * (possibly empty), and *cursor moves past it. False at the end. */
static bool next_element(span *cursor, span *elem)
{
	if (cursor->p == NULL)
		return false;
	const char *comma = memchr(cursor->p, ',', cursor->n);
	size_t n = comma != NULL ? (size_t)(comma - cursor->p) : cursor->n;
	*elem = span_trim((span){cursor->p, n});
	if (comma != NULL) {
		cursor->n -= n + 1;
		cursor->p = comma + 1;
	} else {
		cursor->p = NULL;
		cursor->n = 0;
	}
	return true;
}

/* Reads one or more decimal digits from the front of *s into *out,
 * consuming them. False when there is no digit or the number passes
 * UINT64_MAX. */
static bool take_u64(span *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < s->n && g_ascii_isdigit(s->p[i]); i++) {
		unsigned d = (unsigned)(s->p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (i == 0)
		return false;
	s->p += i;
	s->n -= i;
	*out = v;
	return true;
}

static bool take_char(span *s, char c)
{
	if (s->n == 0 || s->p[0] != c)
		return false;
	s->p++;
	s->n--;
	return true;
}

/* Consumes the unit "bytes" (any case) and what separates it from the
 * ranges: '=' (Range, and old servents' Content-Range) or spaces, which a
 * trimmed header value may have lost when no range follows. */
static bool take_bytes_unit(span *s, bool need_equals)
{
	*s = span_trim(*s);
	if (s->n < 5 || g_ascii_strncasecmp(s->p, "bytes", 5) != 0)
		return false;
	s->p += 5;
	s->n -= 5;
	size_t before = s->n;
	*s = span_trim(*s);
	bool eq = take_char(s, '=');
	if (need_equals && !eq)
		return false;
	if (!eq && s->n == before && s->n != 0)
		return false; /* "bytesX": the unit runs into what follows */
	*s = span_trim(*s);
	return true;
}

static span span_of(const char *s)
{
	return (span){s, strlen(s)};
}

/* "HTTP/1.<digit>": single digits as in RFC 7230. Another major version is
 * UNSUPPORTED. */
static gnut_proto_err parse_http_version(span s, unsigned *minor)
{
	if (s.n != 8 || memcmp(s.p, "HTTP/", 5) != 0 || !g_ascii_isdigit(s.p[5]) || s.p[6] != '.' ||
	    !g_ascii_isdigit(s.p[7]))
		return GNUT_PROTO_ERR_MALFORMED;
	if (s.p[5] != '1')
		return GNUT_PROTO_ERR_UNSUPPORTED;
	*minor = (unsigned)(s.p[7] - '0');
	return GNUT_PROTO_OK;
}

static bool is_target_byte(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

static gnut_http_method method_of(const char *name)
{
	if (strcmp(name, "GET") == 0)
		return GNUT_HTTP_GET;
	if (strcmp(name, "HEAD") == 0)
		return GNUT_HTTP_HEAD;
	return GNUT_HTTP_OTHER;
}

gnut_proto_err gnut_http_parse_request_line(const char *line, gnut_http_request *out)
{
	memset(out, 0, sizeof *out);
	const char *sp1 = strchr(line, ' ');
	if (sp1 == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t method_len = (size_t)(sp1 - line);
	if (method_len == 0 || method_len > GNUT_HTTP_MAX_METHOD)
		return GNUT_PROTO_ERR_MALFORMED;
	char method[GNUT_HTTP_MAX_METHOD + 1];
	memcpy(method, line, method_len);
	method[method_len] = '\0';
	if (!gnut_head_is_token(method))
		return GNUT_PROTO_ERR_MALFORMED;

	const char *target = sp1 + 1;
	const char *sp2 = strchr(target, ' ');
	if (sp2 == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t target_len = (size_t)(sp2 - target);
	if (target_len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	if (target_len > GNUT_HTTP_MAX_TARGET)
		return GNUT_PROTO_ERR_TOO_LARGE;
	for (size_t i = 0; i < target_len; i++)
		if (!is_target_byte((uint8_t)target[i]))
			return GNUT_PROTO_ERR_MALFORMED;

	unsigned minor = 0;
	gnut_proto_err err = parse_http_version(span_of(sp2 + 1), &minor);
	if (err != GNUT_PROTO_OK)
		return err;
	out->method = method_of(method);
	out->method_name = g_strdup(method);
	out->target = g_strndup(target, target_len);
	out->minor = minor;
	return GNUT_PROTO_OK;
}

void gnut_http_request_clear(gnut_http_request *r)
{
	g_clear_pointer(&r->method_name, g_free);
	g_clear_pointer(&r->target, g_free);
}

gnut_proto_err gnut_http_parse_status_line(const char *line, gnut_http_status *out)
{
	const char *sp = strchr(line, ' ');
	if (sp == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_http_status st = {0};
	gnut_proto_err err = parse_http_version((span){line, (size_t)(sp - line)}, &st.minor);
	if (err != GNUT_PROTO_OK)
		return err;
	err = gnut_head_parse_code_reason(sp, &st.code, &st.reason);
	if (err != GNUT_PROTO_OK)
		return err;
	*out = st;
	return GNUT_PROTO_OK;
}

char *gnut_http_request_line(const char *method, const char *target, unsigned minor)
{
	g_return_val_if_fail(gnut_head_is_token(method), NULL);
	g_return_val_if_fail(target != NULL && *target != '\0', NULL);
	for (const char *p = target; *p != '\0'; p++)
		g_return_val_if_fail(is_target_byte((uint8_t)*p), NULL);
	g_return_val_if_fail(minor <= 9, NULL);
	return g_strdup_printf("%s %s HTTP/1.%u", method, target, minor);
}

char *gnut_http_status_line(unsigned minor, unsigned code, const char *reason)
{
	g_return_val_if_fail(minor <= 9 && code >= 100 && code <= 999, NULL);
	if (reason == NULL)
		reason = gnut_http_reason_phrase(code);
	g_return_val_if_fail(gnut_head_is_valid_value(reason), NULL);
	return g_strdup_printf("HTTP/1.%u %u %s", minor, code, reason);
}

gnut_head *gnut_http_new_request(const char *method, const char *target)
{
	g_autofree char *line = gnut_http_request_line(method, target, 1);
	g_return_val_if_fail(line != NULL, NULL);
	return gnut_head_new(line);
}

gnut_head *gnut_http_new_response(unsigned code, const char *reason)
{
	g_autofree char *line = gnut_http_status_line(1, code, reason);
	g_return_val_if_fail(line != NULL, NULL);
	return gnut_head_new(line);
}

const char *gnut_http_reason_phrase(unsigned code)
{
	static const struct {
		unsigned code;
		const char *phrase;
	} phrases[] = {
	    {GNUT_HTTP_OK, "OK"},
	    {GNUT_HTTP_ACCEPTED, "Accepted"},
	    {GNUT_HTTP_PARTIAL_CONTENT, "Partial Content"},
	    {GNUT_HTTP_MOVED_PERMANENTLY, "Moved Permanently"},
	    {GNUT_HTTP_FOUND, "Found"},
	    {GNUT_HTTP_BAD_REQUEST, "Bad Request"},
	    {GNUT_HTTP_FORBIDDEN, "Forbidden"},
	    {GNUT_HTTP_NOT_FOUND, "Not Found"},
	    {GNUT_HTTP_CONFLICT, "Conflict"},
	    {GNUT_HTTP_GONE, "Gone"},
	    {GNUT_HTTP_PAYLOAD_TOO_LARGE, "Payload Too Large"},
	    {GNUT_HTTP_URI_TOO_LONG, "URI Too Long"},
	    {GNUT_HTTP_RANGE_NOT_SATISFIABLE, "Requested Range Not Satisfiable"},
	    {GNUT_HTTP_TOO_MANY_REQUESTS, "Too Many Requests"},
	    {GNUT_HTTP_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large"},
	    {GNUT_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error"},
	    {GNUT_HTTP_NOT_IMPLEMENTED, "Not Implemented"},
	    {GNUT_HTTP_SERVICE_UNAVAILABLE, "Service Unavailable"},
	    {GNUT_HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(phrases); i++)
		if (phrases[i].code == code)
			return phrases[i].phrase;
	return "Unknown";
}

/* One byte-range-spec of a Range header ("a-b", "a-", "-n"), checked but not
 * yet held against the file size. */
typedef struct {
	bool suffix;    /* "-n": the last n bytes */
	bool open;      /* "a-": from a to the end */
	uint64_t first; /* a, or n for a suffix */
	uint64_t last;  /* b */
} range_spec;

static bool parse_range_spec(span e, range_spec *rs)
{
	memset(rs, 0, sizeof *rs);
	if (take_char(&e, '-')) {
		rs->suffix = true;
		return take_u64(&e, &rs->first) && e.n == 0;
	}
	if (!take_u64(&e, &rs->first) || !take_char(&e, '-'))
		return false;
	if (e.n == 0) {
		rs->open = true;
		return true;
	}
	return take_u64(&e, &rs->last) && e.n == 0 && rs->last >= rs->first;
}

/* Clips a spec to a file of size bytes; false when no byte of it is in the
 * file (RFC 7233 section 2.1: unsatisfiable). */
static bool resolve_range_spec(const range_spec *rs, uint64_t size, gnut_http_range *out)
{
	if (size == 0)
		return false;
	if (rs->suffix) {
		if (rs->first == 0)
			return false;
		out->start = rs->first >= size ? 0 : size - rs->first;
		out->end = size - 1;
		return true;
	}
	if (rs->first >= size)
		return false;
	out->start = rs->first;
	out->end = rs->open || rs->last >= size ? size - 1 : rs->last;
	return true;
}

gnut_http_range_result gnut_http_parse_range(const char *value, uint64_t size,
                                             gnut_http_range out[GNUT_HTTP_MAX_RANGES],
                                             size_t *n_out)
{
	span rest = span_of(value);
	if (!take_bytes_unit(&rest, true))
		return GNUT_HTTP_RANGE_MALFORMED;
	size_t specs = 0, n = 0;
	span e;
	while (next_element(&rest, &e)) {
		if (e.n == 0)
			continue;
		if (++specs > GNUT_HTTP_MAX_RANGES)
			return GNUT_HTTP_RANGE_TOO_MANY;
		range_spec rs;
		if (!parse_range_spec(e, &rs))
			return GNUT_HTTP_RANGE_MALFORMED;
		if (resolve_range_spec(&rs, size, &out[n]))
			n++;
	}
	if (specs == 0)
		return GNUT_HTTP_RANGE_MALFORMED;
	*n_out = n;
	return n == 0 ? GNUT_HTTP_RANGE_UNSATISFIABLE : GNUT_HTTP_RANGE_OK;
}

/* Appends "a-b,c-d" (no unit). */
static void append_ranges(GString *out, const gnut_http_range *ranges, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(out, "%s%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
		                       i > 0 ? "," : "", ranges[i].start, ranges[i].end);
}

void gnut_http_format_range(GString *out, const gnut_http_range *ranges, size_t n)
{
	g_string_append(out, "bytes=");
	append_ranges(out, ranges, n);
}

/* The part after the unit of a Content-Range: "a-b/total", "a-b/" + "*" or
 * "*" + "/total". */
static gnut_proto_err parse_content_range_body(span s, gnut_http_content_range *cr)
{
	if (take_char(&s, '*')) {
		cr->satisfied = false;
	} else {
		cr->satisfied = true;
		if (!take_u64(&s, &cr->start) || !take_char(&s, '-') || !take_u64(&s, &cr->end))
			return GNUT_PROTO_ERR_MALFORMED;
		if (cr->end < cr->start)
			return GNUT_PROTO_ERR_MALFORMED;
	}
	if (!take_char(&s, '/'))
		return GNUT_PROTO_ERR_MALFORMED;
	if (take_char(&s, '*')) {
		if (!cr->satisfied)
			return GNUT_PROTO_ERR_MALFORMED;
		cr->total_known = false;
	} else {
		if (!take_u64(&s, &cr->total))
			return GNUT_PROTO_ERR_MALFORMED;
		cr->total_known = true;
		if (cr->satisfied && cr->end >= cr->total)
			return GNUT_PROTO_ERR_MALFORMED;
	}
	return span_trim(s).n == 0 ? GNUT_PROTO_OK : GNUT_PROTO_ERR_MALFORMED;
}

gnut_proto_err gnut_http_parse_content_range(const char *value, gnut_http_content_range *out)
{
	span s = span_of(value);
	if (!take_bytes_unit(&s, false))
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_http_content_range cr = {0};
	gnut_proto_err err = parse_content_range_body(s, &cr);
	if (err != GNUT_PROTO_OK)
		return err;
	*out = cr;
	return GNUT_PROTO_OK;
}

void gnut_http_format_content_range(GString *out, const gnut_http_content_range *cr)
{
	g_string_append(out, "bytes ");
	if (cr->satisfied)
		g_string_append_printf(out, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, cr->start,
		                       cr->end);
	else
		g_string_append_c(out, '*');
	g_string_append_c(out, '/');
	if (cr->total_known)
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, cr->total);
	else
		g_string_append_c(out, '*');
}

gnut_proto_err gnut_http_parse_available_ranges(const char *value,
                                                gnut_http_range out[GNUT_HTTP_MAX_AVAILABLE],
                                                size_t *n_out)
{
	span rest = span_of(value);
	if (!take_bytes_unit(&rest, false))
		return GNUT_PROTO_ERR_MALFORMED;
	size_t n = 0;
	span e;
	while (next_element(&rest, &e)) {
		if (e.n == 0)
			continue;
		if (n == GNUT_HTTP_MAX_AVAILABLE)
			return GNUT_PROTO_ERR_TOO_LARGE;
		gnut_http_range r;
		if (!take_u64(&e, &r.start) || !take_char(&e, '-') || !take_u64(&e, &r.end) ||
		    e.n != 0 || r.end < r.start)
			return GNUT_PROTO_ERR_MALFORMED;
		out[n++] = r;
	}
	*n_out = n;
	return GNUT_PROTO_OK;
}

void gnut_http_format_available_ranges(GString *out, const gnut_http_range *ranges, size_t n)
{
	g_string_append(out, "bytes ");
	append_ranges(out, ranges, n);
}

/* Reads a decimal of 1 to max_digits digits no greater than max. */
static bool take_small(span *s, size_t max_digits, uint64_t max, uint64_t *out)
{
	size_t before = s->n;
	span probe = *s;
	if (!take_u64(&probe, out) || before - probe.n > max_digits || *out > max)
		return false;
	*s = probe;
	return true;
}

gnut_proto_err gnut_http_url_decode(const char *s, size_t len, char **out)
{
	GString *buf = g_string_sized_new(len + 1);
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3 || !g_ascii_isxdigit(s[i + 1]) ||
			    !g_ascii_isxdigit(s[i + 2]))
				goto malformed;
			c = g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]);
			i += 2;
		}
		if (c == '\0')
			goto malformed;
		g_string_append_c(buf, (char)c);
	}
	if (!g_utf8_validate(buf->str, (gssize)buf->len, NULL))
		goto malformed;
	*out = g_string_free(buf, FALSE);
	return GNUT_PROTO_OK;
malformed:
	g_string_free(buf, TRUE);
	return GNUT_PROTO_ERR_MALFORMED;
}

void gnut_http_url_encode(GString *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			g_string_append_c(out, (char)c);
		else
			g_string_append_printf(out, "%%%02X", c);
	}
}

gnut_proto_err gnut_http_parse_get_target(const char *target, uint32_t *index, char **name)
{
	static const char prefix[] = "/get/";
	if (strncmp(target, prefix, strlen(prefix)) != 0)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	span s = span_of(target + strlen(prefix));
	uint64_t idx = 0;
	if (!take_small(&s, 10, UINT32_MAX, &idx) || !take_char(&s, '/'))
		return GNUT_PROTO_ERR_MALFORMED;
	const char *query = memchr(s.p, '?', s.n);
	size_t name_len = query != NULL ? (size_t)(query - s.p) : s.n;
	if (name_len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	char *decoded = NULL;
	gnut_proto_err err = gnut_http_url_decode(s.p, name_len, &decoded);
	if (err != GNUT_PROTO_OK)
		return err;
	*index = (uint32_t)idx;
	*name = decoded;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_http_parse_uri_res(const char *target, char service[4], const char **urn)
{
	static const char prefix[] = "/uri-res/";
	size_t plen = strlen(prefix);
	if (g_ascii_strncasecmp(target, prefix, plen) != 0)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	const char *p = target + plen;
	for (int i = 0; i < 3; i++)
		if (!g_ascii_isalnum(p[i]))
			return GNUT_PROTO_ERR_MALFORMED;
	if (p[3] != '?')
		return GNUT_PROTO_ERR_MALFORMED;
	if (p[4] == '\0')
		return GNUT_PROTO_ERR_MALFORMED;
	for (int i = 0; i < 3; i++)
		service[i] = g_ascii_toupper(p[i]);
	service[3] = '\0';
	*urn = p + 4;
	return GNUT_PROTO_OK;
}
