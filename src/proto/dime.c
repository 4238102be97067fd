/* dime.c: DIME record encoding and the strict decoding of a whole message
 * (dime.h). Every length is checked against the bytes really there before
 * a field is pointed at. */
#include "gnut/proto/dime.h"

#include <string.h>

#include "gnut/proto/wire.h"

#define DIME_VERSION 1
#define FLAG_MB      0x04
#define FLAG_ME      0x02
#define FLAG_CF      0x01

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void append_padded(GByteArray *out, const void *p, size_t n)
{
	static const uint8_t zeros[3];
	if (n > 0)
		g_byte_array_append(out, p, (guint)n);
	g_byte_array_append(out, zeros, (guint)(padded(n) - n));
}

void gnut_dime_append(GByteArray *out, const gnut_dime_record *r, bool first, bool last)
{
	g_return_if_fail(out != NULL && r != NULL);
	g_return_if_fail(r->id_len <= G_MAXUINT16 && r->type_len <= G_MAXUINT16);
	g_return_if_fail(r->data_len <= G_MAXUINT32);
	uint8_t h[GNUT_DIME_HEADER_LEN];
	h[0] = (uint8_t)(DIME_VERSION << 3 | (first ? FLAG_MB : 0) | (last ? FLAG_ME : 0));
	h[1] = (uint8_t)((r->type_format & 0x0f) << 4);
	gnut_poke_be16(h + 2, 0); /* no options */
	gnut_poke_be16(h + 4, (uint16_t)r->id_len);
	gnut_poke_be16(h + 6, (uint16_t)r->type_len);
	gnut_poke_be32(h + 8, (uint32_t)r->data_len);
	g_byte_array_append(out, h, sizeof h);
	append_padded(out, r->id, r->id_len);
	append_padded(out, r->type, r->type_len);
	append_padded(out, r->data, r->data_len);
}

/* Points *field at the next n bytes of [*p, end) and skips their padding. */
static bool take_field(const uint8_t **p, const uint8_t *end, size_t n, const uint8_t **field)
{
	size_t room = (size_t)(end - *p);
	if (n > room || padded(n) > room)
		return false;
	*field = *p;
	*p += padded(n);
	return true;
}

/* One record at *p; sets *flags and advances *p past it. */
static gnut_proto_err decode_record(const uint8_t **p, const uint8_t *end, gnut_dime_record *r,
                                    uint8_t *flags)
{
	if ((size_t)(end - *p) < GNUT_DIME_HEADER_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	const uint8_t *h = *p;
	if (h[0] >> 3 != DIME_VERSION)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	*flags = h[0] & (FLAG_MB | FLAG_ME | FLAG_CF);
	if (*flags & FLAG_CF)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	memset(r, 0, sizeof *r);
	r->type_format = h[1] >> 4;
	size_t options_len = gnut_peek_be16(h + 2);
	r->id_len = gnut_peek_be16(h + 4);
	r->type_len = gnut_peek_be16(h + 6);
	r->data_len = gnut_peek_be32(h + 8);
	const uint8_t *q = h + GNUT_DIME_HEADER_LEN, *options, *id, *type;
	if (!take_field(&q, end, options_len, &options) || !take_field(&q, end, r->id_len, &id) ||
	    !take_field(&q, end, r->type_len, &type) || !take_field(&q, end, r->data_len, &r->data))
		return GNUT_PROTO_ERR_TRUNCATED;
	r->id = (const char *)id;
	r->type = (const char *)type;
	*p = q;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_dime_decode(const uint8_t *buf, size_t len,
                                gnut_dime_record out[GNUT_DIME_MAX_RECORDS], size_t *n)
{
	const uint8_t *p = buf, *end = buf + len;
	*n = 0;
	for (;;) {
		gnut_dime_record r;
		uint8_t flags = 0;
		if (*n == GNUT_DIME_MAX_RECORDS)
			return GNUT_PROTO_ERR_TOO_LARGE;
		gnut_proto_err e = decode_record(&p, end, &r, &flags);
		if (e != GNUT_PROTO_OK)
			return e;
		if (((flags & FLAG_MB) != 0) != (*n == 0))
			return GNUT_PROTO_ERR_MALFORMED;
		out[(*n)++] = r;
		if (flags & FLAG_ME)
			break;
	}
	return p == end ? GNUT_PROTO_OK : GNUT_PROTO_ERR_TRAILING;
}

const gnut_dime_record *gnut_dime_find(const gnut_dime_record *records, size_t n, const char *type,
                                       const char *id)
{
	size_t type_len = strlen(type), id_len = id != NULL ? strlen(id) : 0;
	for (size_t i = 0; i < n; i++) {
		const gnut_dime_record *r = &records[i];
		if (r->type_len != type_len || g_ascii_strncasecmp(r->type, type, type_len) != 0)
			continue;
		if (id != NULL && (r->id_len != id_len || memcmp(r->id, id, id_len) != 0))
			continue;
		return r;
	}
	return NULL;
}
