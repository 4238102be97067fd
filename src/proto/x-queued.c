/* x-queued.c: the X-Queued header of upload queues (see x-queued.h). */
#include "config.h"

#include "gnut/proto/x-queued.h"

#include <string.h>

#define U32_DIGITS_MAX 10

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* [*start, *end) without the spaces at either end. */
static void trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && is_space(s[*start]))
		(*start)++;
	while (*end > *start && is_space(s[*end - 1]))
		(*end)--;
}

static gnut_proto_err parse_u32(const char *s, size_t len, uint32_t *out)
{
	if (len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return GNUT_PROTO_ERR_MALFORMED;
		if (i >= U32_DIGITS_MAX)
			return GNUT_PROTO_ERR_TOO_LARGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	*out = (uint32_t)v;
	return GNUT_PROTO_OK;
}

static gnut_proto_err parse_id(const char *s, size_t len, char *out)
{
	if (len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(s[i]))
			return GNUT_PROTO_ERR_MALFORMED;
	if (len > GNUT_X_QUEUED_ID_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	memcpy(out, s, len);
	out[len] = '\0';
	return GNUT_PROTO_OK;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && g_ascii_strncasecmp(name, want, len) == 0;
}

/* A number item: once at most. */
static gnut_proto_err number_item(const char *v, size_t vlen, bool *has, uint32_t *out)
{
	if (*has)
		return GNUT_PROTO_ERR_MALFORMED;
	*has = true;
	return parse_u32(v, vlen, out);
}

/* One "name=value" item, already trimmed and not empty. */
static gnut_proto_err parse_item(const char *s, size_t len, gnut_x_queued *q)
{
	const char *eq = memchr(s, '=', len);
	if (eq == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t nstart = 0, nend = (size_t)(eq - s);
	size_t vstart = nend + 1, vend = len;
	trim(s, &nstart, &nend);
	trim(s, &vstart, &vend);
	const char *name = s + nstart, *v = s + vstart;
	size_t nlen = nend - nstart, vlen = vend - vstart;
	if (nlen == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	if (name_is(name, nlen, "position"))
		return number_item(v, vlen, &q->has_position, &q->position);
	if (name_is(name, nlen, "length"))
		return number_item(v, vlen, &q->has_length, &q->length);
	if (name_is(name, nlen, "ETA"))
		return number_item(v, vlen, &q->has_eta, &q->eta_s);
	if (name_is(name, nlen, "lifetime"))
		return number_item(v, vlen, &q->has_lifetime, &q->lifetime_s);
	if (name_is(name, nlen, "ID"))
		return q->id[0] != '\0' ? GNUT_PROTO_ERR_MALFORMED : parse_id(v, vlen, q->id);
	return GNUT_PROTO_OK; /* a name of a later version */
}

gnut_proto_err gnut_x_queued_parse(const char *value, size_t len, gnut_x_queued *out)
{
	if (out == NULL || (value == NULL && len > 0))
		return GNUT_PROTO_ERR_MALFORMED;
	if (len > GNUT_X_QUEUED_VALUE_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_x_queued q;
	memset(&q, 0, sizeof q);
	size_t pos = 0;
	while (len > 0 && pos <= len) {
		const char *semi = memchr(value + pos, ';', len - pos);
		size_t end = semi != NULL ? (size_t)(semi - value) : len;
		size_t start = pos;
		trim(value, &start, &end);
		if (end > start) {
			gnut_proto_err e = parse_item(value + start, end - start, &q);
			if (e != GNUT_PROTO_OK)
				return e;
		}
		if (semi == NULL)
			break;
		pos = (size_t)(semi - value) + 1;
	}
	*out = q;
	return GNUT_PROTO_OK;
}

/* Appends "; " between items. */
static void separate(GString *out, gsize start)
{
	if (out->len > start)
		g_string_append(out, "; ");
}

void gnut_x_queued_format(GString *out, const gnut_x_queued *q)
{
	g_return_if_fail(out != NULL && q != NULL);
	gsize start = out->len;
	const struct {
		bool has;
		const char *name;
		uint32_t value;
	} numbers[] = {
	    {q->has_position, "position", q->position},
	    {q->has_length, "length", q->length},
	    {q->has_eta, "ETA", q->eta_s},
	    {q->has_lifetime, "lifetime", q->lifetime_s},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(numbers); i++) {
		if (!numbers[i].has)
			continue;
		separate(out, start);
		g_string_append_printf(out, "%s=%" G_GUINT32_FORMAT, numbers[i].name,
		                       numbers[i].value);
	}
	if (q->id[0] != '\0') {
		separate(out, start);
		g_string_append_printf(out, "ID=%s", q->id);
	}
}
