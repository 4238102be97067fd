/* head.c: bounded scanner, parser and writer of HTTP-style header blocks, and
 * the small value helpers (token lists, versions, booleans, numbers) that
 * the handshake and the transfer code read headers with. */
#include "gnut/proto/head.h"

#include <stdarg.h>
#include <string.h>

struct gnut_head {
	char *start_line;
	GPtrArray *names;   /* char *, as sent */
	GPtrArray *values;  /* char *, trimmed, continuations joined */
	GHashTable *joined; /* name (any case) -> values of that name joined with ", " */
};

/* Hash and equality of header names ignoring ASCII case, so lookups need no
 * lower-cased copy of the name. */
static guint name_hash(gconstpointer key)
{
	guint h = 5381;
	for (const char *p = key; *p != '\0'; p++)
		h = h * 33 + (guint)g_ascii_tolower(*p);
	return h;
}

static gboolean name_equal(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

static gnut_head *head_alloc(void)
{
	gnut_head *h = g_new0(gnut_head, 1);
	h->names = g_ptr_array_new_with_free_func(g_free);
	h->values = g_ptr_array_new_with_free_func(g_free);
	h->joined = g_hash_table_new_full(name_hash, name_equal, g_free, g_free);
	return h;
}

void gnut_head_free(gnut_head *h)
{
	if (h == NULL)
		return;
	g_free(h->start_line);
	g_ptr_array_unref(h->names);
	g_ptr_array_unref(h->values);
	g_hash_table_unref(h->joined);
	g_free(h);
}

/* Bytes a line can hold: HT and everything from SP up but DEL (obs-text,
 * bytes >= 0x80, is let through as RFC 7230 does). */
static bool is_text_byte(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* RFC 7230 tchar. */
static bool is_tchar(uint8_t c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

bool gnut_head_is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!is_tchar((uint8_t)*p))
			return false;
	return true;
}

bool gnut_head_is_valid_value(const char *s)
{
	if (s == NULL)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!is_text_byte((uint8_t)*p))
			return false;
	return true;
}

/* Checks the line that runs unfinished to the end of the buffer: it crosses
 * the cap once it holds more than GNUT_HEAD_MAX_LINE bytes that cannot be
 * followed by just the LF of a CRLF. */
static bool pending_line_too_long(const uint8_t *buf, size_t line_start, size_t len)
{
	size_t n = len - line_start;
	if (n > GNUT_HEAD_MAX_LINE + 1)
		return true;
	return n == GNUT_HEAD_MAX_LINE + 1 && buf[len - 1] != '\r';
}

gnut_proto_err gnut_head_scan(const uint8_t *buf, size_t len, size_t *head_len)
{
	size_t line_start = 0;
	size_t lines = 0;
	for (size_t i = 0; i < len; i++) {
		if (i >= GNUT_HEAD_MAX_SIZE)
			return GNUT_PROTO_ERR_TOO_LARGE;
		if (buf[i] != '\n')
			continue;
		size_t n = i - line_start;
		if (n > 0 && buf[i - 1] == '\r')
			n--;
		if (n > GNUT_HEAD_MAX_LINE)
			return GNUT_PROTO_ERR_TOO_LARGE;
		if (n == 0) {
			*head_len = i + 1;
			return GNUT_PROTO_OK;
		}
		if (line_start > 0 && ++lines > GNUT_HEAD_MAX_LINES)
			return GNUT_PROTO_ERR_TOO_LARGE;
		line_start = i + 1;
	}
	if (pending_line_too_long(buf, line_start, len))
		return GNUT_PROTO_ERR_TOO_LARGE;
	return GNUT_PROTO_ERR_TRUNCATED;
}

/* Trims SP/HT from both ends of [*p, *p + *n). */
static void trim_span(const uint8_t **p, size_t *n)
{
	while (*n > 0 && is_ows((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_ows((*p)[*n - 1]))
		(*n)--;
}

static bool span_is_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_text_byte(p[i]))
			return false;
	return true;
}

/* "Name: value" after the start line; the name must touch the colon. */
static gnut_proto_err add_header_line(gnut_head *h, const uint8_t *line, size_t n)
{
	const uint8_t *colon = memchr(line, ':', n);
	if (colon == NULL || colon == line)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t name_len = (size_t)(colon - line);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar(line[i]))
			return GNUT_PROTO_ERR_MALFORMED;
	const uint8_t *value = colon + 1;
	size_t value_len = n - name_len - 1;
	if (!span_is_text(value, value_len))
		return GNUT_PROTO_ERR_MALFORMED;
	trim_span(&value, &value_len);
	g_ptr_array_add(h->names, g_strndup((const char *)line, name_len));
	g_ptr_array_add(h->values, g_strndup((const char *)value, value_len));
	return GNUT_PROTO_OK;
}

/* A continuation line (obsolete line folding): its text, trimmed, extends the
 * previous header's value after one space. */
static gnut_proto_err fold_line(gnut_head *h, const uint8_t *line, size_t n)
{
	if (h->values->len == 0 || !span_is_text(line, n))
		return GNUT_PROTO_ERR_MALFORMED;
	trim_span(&line, &n);
	if (n == 0)
		return GNUT_PROTO_OK;
	char **slot = (char **)&h->values->pdata[h->values->len - 1];
	char *more = g_strndup((const char *)line, n);
	char *joined = **slot == '\0' ? g_strdup(more) : g_strconcat(*slot, " ", more, NULL);
	g_free(more);
	g_free(*slot);
	*slot = joined;
	return GNUT_PROTO_OK;
}

static gnut_proto_err set_start_line(gnut_head *h, const uint8_t *line, size_t n)
{
	if (n == 0 || is_ows(line[0]) || !span_is_text(line, n))
		return GNUT_PROTO_ERR_MALFORMED;
	h->start_line = g_strndup((const char *)line, n);
	return GNUT_PROTO_OK;
}

/* Records header i under its name, after the values already there. */
static void index_header(gnut_head *h, size_t i)
{
	const char *name = h->names->pdata[i];
	const char *value = h->values->pdata[i];
	const char *before = g_hash_table_lookup(h->joined, name);
	char *joined = before == NULL ? g_strdup(value) : g_strconcat(before, ", ", value, NULL);
	g_hash_table_insert(h->joined, g_strdup(name), joined);
}

gnut_proto_err gnut_head_parse(const uint8_t *buf, size_t len, gnut_head **out)
{
	size_t head_len = 0;
	gnut_proto_err err = gnut_head_scan(buf, len, &head_len);
	if (err != GNUT_PROTO_OK)
		return err;
	if (head_len != len)
		return GNUT_PROTO_ERR_TRAILING;

	g_autoptr(gnut_head) h = head_alloc();
	size_t pos = 0;
	for (;;) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		if (nl == NULL)
			return GNUT_PROTO_ERR_TRUNCATED;
		const uint8_t *line = buf + pos;
		size_t n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		pos = (size_t)(nl - buf) + 1;
		if (n == 0)
			break;
		if (h->start_line == NULL)
			err = set_start_line(h, line, n);
		else if (is_ows(line[0]))
			err = fold_line(h, line, n);
		else
			err = add_header_line(h, line, n);
		if (err != GNUT_PROTO_OK)
			return err;
	}
	if (h->start_line == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	for (size_t i = 0; i < h->names->len; i++)
		index_header(h, i);
	*out = g_steal_pointer(&h);
	return GNUT_PROTO_OK;
}

const char *gnut_head_start_line(const gnut_head *h)
{
	return h->start_line;
}

const char *gnut_head_get(const gnut_head *h, const char *name)
{
	return g_hash_table_lookup(h->joined, name);
}

size_t gnut_head_count(const gnut_head *h)
{
	return h->names->len;
}

const char *gnut_head_name(const gnut_head *h, size_t i)
{
	g_return_val_if_fail(i < h->names->len, NULL);
	return h->names->pdata[i];
}

const char *gnut_head_value(const gnut_head *h, size_t i)
{
	g_return_val_if_fail(i < h->values->len, NULL);
	return h->values->pdata[i];
}

gnut_head *gnut_head_new(const char *start_line)
{
	g_return_val_if_fail(start_line != NULL && *start_line != '\0', NULL);
	g_return_val_if_fail(gnut_head_is_valid_value(start_line), NULL);
	g_return_val_if_fail(!is_ows((uint8_t)start_line[0]), NULL);
	gnut_head *h = head_alloc();
	h->start_line = g_strdup(start_line);
	return h;
}

void gnut_head_add(gnut_head *h, const char *name, const char *value)
{
	g_return_if_fail(h != NULL);
	g_return_if_fail(gnut_head_is_token(name));
	g_return_if_fail(gnut_head_is_valid_value(value));
	const uint8_t *v = (const uint8_t *)value;
	size_t n = strlen(value);
	trim_span(&v, &n);
	g_ptr_array_add(h->names, g_strdup(name));
	g_ptr_array_add(h->values, g_strndup((const char *)v, n));
	index_header(h, h->names->len - 1);
}

void gnut_head_addf(gnut_head *h, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *value = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	gnut_head_add(h, name, value);
	g_free(value);
}

GString *gnut_head_serialize(const gnut_head *h)
{
	GString *out = g_string_sized_new(256);
	g_string_append(out, h->start_line);
	g_string_append(out, "\r\n");
	for (size_t i = 0; i < h->names->len; i++) {
		g_string_append(out, h->names->pdata[i]);
		g_string_append(out, ": ");
		g_string_append(out, h->values->pdata[i]);
		g_string_append(out, "\r\n");
	}
	g_string_append(out, "\r\n");
	return out;
}

/* Walks a comma-separated list: sets [*elem, *elem + *elem_len) to the next
 * element, trimmed, and advances *cursor past it. False at the end. */
static bool next_element(const char **cursor, const char **elem, size_t *elem_len)
{
	const char *p = *cursor;
	if (p == NULL)
		return false;
	const char *comma = strchr(p, ',');
	size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
	const uint8_t *e = (const uint8_t *)p;
	trim_span(&e, &n);
	*elem = (const char *)e;
	*elem_len = n;
	*cursor = comma != NULL ? comma + 1 : NULL;
	return true;
}

bool gnut_head_value_has_token(const char *value, const char *token)
{
	size_t token_len = strlen(token);
	const char *cursor = value;
	const char *elem;
	size_t n;
	while (next_element(&cursor, &elem, &n)) {
		const char *semi = memchr(elem, ';', n);
		if (semi != NULL) {
			const uint8_t *e = (const uint8_t *)elem;
			n = (size_t)(semi - elem);
			trim_span(&e, &n);
		}
		if (n == token_len && g_ascii_strncasecmp(elem, token, n) == 0)
			return true;
	}
	return false;
}

/* Reads 1 to 5 digits at *p into a value up to 65535, advancing *p. */
static bool parse_version_part(const char **p, const char *end, unsigned *out)
{
	unsigned v = 0;
	size_t digits = 0;
	while (*p < end && g_ascii_isdigit(**p) && digits < 6) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || digits > 5 || v > 65535)
		return false;
	*out = v;
	return true;
}

/* The version in [s, s + n) after trimming; shared by the public parser and
 * the X-Features lookup, which sees it inside a longer list. */
static gnut_proto_err parse_version_span(const char *s, size_t n, unsigned *major, unsigned *minor)
{
	const uint8_t *b = (const uint8_t *)s;
	trim_span(&b, &n);
	const char *p = (const char *)b;
	const char *end = p + n;
	unsigned maj = 0, min = 0;
	if (!parse_version_part(&p, end, &maj) || p >= end || *p != '.')
		return GNUT_PROTO_ERR_MALFORMED;
	p++;
	if (!parse_version_part(&p, end, &min) || p != end)
		return GNUT_PROTO_ERR_MALFORMED;
	*major = maj;
	*minor = min;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_head_parse_version(const char *s, unsigned *major, unsigned *minor)
{
	return parse_version_span(s, strlen(s), major, minor);
}

bool gnut_head_feature_version(const char *value, const char *name, unsigned *major,
                               unsigned *minor)
{
	size_t name_len = strlen(name);
	const char *cursor = value;
	const char *elem;
	size_t n;
	while (next_element(&cursor, &elem, &n)) {
		const char *slash = memchr(elem, '/', n);
		if (slash == NULL || (size_t)(slash - elem) != name_len ||
		    g_ascii_strncasecmp(elem, name, name_len) != 0)
			continue;
		size_t rest = n - name_len - 1;
		return parse_version_span(slash + 1, rest, major, minor) == GNUT_PROTO_OK;
	}
	return false;
}

gnut_proto_err gnut_head_parse_bool(const char *s, bool *out)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t n = strlen(s);
	trim_span(&b, &n);
	if (n == 4 && g_ascii_strncasecmp((const char *)b, "true", 4) == 0)
		*out = true;
	else if (n == 5 && g_ascii_strncasecmp((const char *)b, "false", 5) == 0)
		*out = false;
	else
		return GNUT_PROTO_ERR_MALFORMED;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_head_parse_u64(const char *s, uint64_t *out)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t n = strlen(s);
	trim_span(&b, &n);
	if (n == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isdigit(b[i]))
			return GNUT_PROTO_ERR_MALFORMED;
		unsigned d = (unsigned)(b[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return GNUT_PROTO_ERR_TOO_LARGE;
		v = v * 10 + d;
	}
	*out = v;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_head_parse_code_reason(const char *s, unsigned *code, const char **reason)
{
	if (s[0] != ' ')
		return GNUT_PROTO_ERR_MALFORMED;
	s++;
	if (s[0] < '1' || s[0] > '9' || !g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]))
		return GNUT_PROTO_ERR_MALFORMED;
	unsigned c = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	s += 3;
	if (*s != '\0' && *s != ' ')
		return GNUT_PROTO_ERR_MALFORMED;
	if (*s == ' ')
		s++;
	if (!gnut_head_is_valid_value(s))
		return GNUT_PROTO_ERR_MALFORMED;
	*code = c;
	*reason = s;
	return GNUT_PROTO_OK;
}
