/* giv.c: parser, block scanner and writer of the GIV line a firewalled
 * servent sends when it connects back after a push. */
#include "gnut/proto/giv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

static const char giv_prefix[] = "GIV ";
#define GIV_PREFIX_LEN (sizeof giv_prefix - 1)

/* A name is any bytes but control characters: those would end or corrupt the
 * line here and in every log that shows it. */
static bool name_is_valid(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] == 0x7f)
			return false;
	return true;
}

/* "GIV " at the start of buf; a shorter buf that agrees so far is TRUNCATED. */
static gnut_proto_err parse_prefix(const char *buf, size_t len)
{
	size_t n = len < GIV_PREFIX_LEN ? len : GIV_PREFIX_LEN;
	for (size_t i = 0; i < n; i++)
		if (buf[i] != giv_prefix[i])
			return GNUT_PROTO_ERR_MALFORMED;
	return len < GIV_PREFIX_LEN ? GNUT_PROTO_ERR_TRUNCATED : GNUT_PROTO_OK;
}

/* The decimal index at buf[*pos..) and the ':' after it. Digits that run to
 * the end of buf are TRUNCATED (the ':' may still come); a value past
 * UINT32_MAX is MALFORMED as soon as its digits say so. */
static gnut_proto_err parse_index(const char *buf, size_t len, size_t *pos, uint32_t *index)
{
	size_t i = *pos;
	uint32_t v = 0;
	while (i < len && g_ascii_isdigit(buf[i])) {
		uint32_t d = (uint32_t)(buf[i] - '0');
		if (v > (UINT32_MAX - d) / 10)
			return GNUT_PROTO_ERR_MALFORMED;
		v = v * 10 + d;
		i++;
	}
	if (i == len)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (i == *pos || buf[i] != ':')
		return GNUT_PROTO_ERR_MALFORMED;
	*index = v;
	*pos = i + 1;
	return GNUT_PROTO_OK;
}

/* Exactly GNUT_GUID_HEX_LEN hex digits at buf[*pos..) and the '/' after
 * them. Hex digits that run to the end of buf are TRUNCATED; a non-hex byte
 * early, or a byte other than '/' after the last digit, is MALFORMED. */
static gnut_proto_err parse_servent(const char *buf, size_t len, size_t *pos, gnut_guid *servent)
{
	size_t start = *pos;
	size_t i = start;
	while (i < len && i - start < GNUT_GUID_HEX_LEN && g_ascii_isxdigit(buf[i]))
		i++;
	if (i == len)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (i - start != GNUT_GUID_HEX_LEN || buf[i] != '/' ||
	    !gnut_guid_from_hex(buf + start, GNUT_GUID_HEX_LEN, servent))
		return GNUT_PROTO_ERR_MALFORMED;
	*pos = i + 1;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_giv_parse(const char *buf, size_t len, gnut_giv *out)
{
	if (len > GNUT_GIV_MAX_LINE)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_proto_err err = parse_prefix(buf, len);
	if (err != GNUT_PROTO_OK)
		return err;
	gnut_giv giv = {0};
	size_t pos = GIV_PREFIX_LEN;
	err = parse_index(buf, len, &pos, &giv.index);
	if (err != GNUT_PROTO_OK)
		return err;
	err = parse_servent(buf, len, &pos, &giv.servent);
	if (err != GNUT_PROTO_OK)
		return err;
	if (!name_is_valid((const uint8_t *)buf + pos, len - pos))
		return GNUT_PROTO_ERR_MALFORMED;
	giv.name = buf + pos;
	giv.name_len = len - pos;
	*out = giv;
	return GNUT_PROTO_OK;
}

/* The empty line that must start at buf[pos]: LF or CRLF. */
static gnut_proto_err scan_empty_line(const uint8_t *buf, size_t len, size_t pos, size_t *block_len)
{
	if (pos < len && buf[pos] == '\r')
		pos++;
	if (pos >= len)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (buf[pos] != '\n')
		return GNUT_PROTO_ERR_MALFORMED;
	*block_len = pos + 1;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_giv_scan(const uint8_t *buf, size_t len, size_t *block_len)
{
	/* The LF of a line at the cap is at most at GNUT_GIV_MAX_LINE + 1 (after
	 * a CR): never look further. */
	size_t window = len < GNUT_GIV_MAX_LINE + 2 ? len : GNUT_GIV_MAX_LINE + 2;
	const uint8_t *lf = window > 0 ? memchr(buf, '\n', window) : NULL;
	if (lf == NULL) {
		/* Unfinished: over the cap once it cannot end with just a CRLF. */
		if (len > GNUT_GIV_MAX_LINE + 1 ||
		    (len == GNUT_GIV_MAX_LINE + 1 && buf[len - 1] != '\r'))
			return GNUT_PROTO_ERR_TOO_LARGE;
		return GNUT_PROTO_ERR_TRUNCATED;
	}
	size_t end = (size_t)(lf - buf);
	size_t line_len = end > 0 && buf[end - 1] == '\r' ? end - 1 : end;
	if (line_len > GNUT_GIV_MAX_LINE)
		return GNUT_PROTO_ERR_TOO_LARGE;
	return scan_empty_line(buf, len, end + 1, block_len);
}

gnut_proto_err gnut_giv_parse_block(const uint8_t *buf, size_t block_len, gnut_giv *out)
{
	size_t measured = 0;
	gnut_proto_err err = gnut_giv_scan(buf, block_len, &measured);
	if (err != GNUT_PROTO_OK)
		return err;
	if (measured != block_len)
		return GNUT_PROTO_ERR_TRAILING;
	/* The scan found this LF, so it is there. */
	size_t line_len = (size_t)((const uint8_t *)memchr(buf, '\n', block_len) - buf);
	if (line_len > 0 && buf[line_len - 1] == '\r')
		line_len--;
	return gnut_giv_parse((const char *)buf, line_len, out);
}

void gnut_giv_format(GByteArray *out, uint32_t index, const gnut_guid *servent, const char *name)
{
	g_return_if_fail(out != NULL && servent != NULL && name != NULL);
	size_t name_len = strlen(name);
	g_return_if_fail(name_is_valid((const uint8_t *)name, name_len));

	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(servent, hex);
	/* "GIV " + at most 10 digits + ':' + hex + '/' + NUL */
	char head[GIV_PREFIX_LEN + 10 + 1 + GNUT_GUID_HEX_LEN + 1 + 1];
	int head_len = g_snprintf(head, sizeof head, "GIV %" PRIu32 ":%s/", index, hex);
	g_return_if_fail((size_t)head_len + name_len <= GNUT_GIV_MAX_LINE);

	g_byte_array_append(out, (const guint8 *)head, (guint)head_len);
	g_byte_array_append(out, (const guint8 *)name, (guint)name_len);
	g_byte_array_append(out, (const guint8 *)"\n\n", 2);
}
