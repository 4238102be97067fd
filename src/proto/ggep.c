/* ggep.c: decoder and encoder of GGEP blocks. The decoder returns every
 * extension's data ready to use (COBS undone, deflate inflated) in freshly
 * allocated buffers capped at GNUT_GGEP_MAX_DATA bytes, so a deflate bomb
 * costs at most that much memory before it is refused. */
#include "gnut/proto/ggep.h"
#include "gnut/proto/cobs.h"
#include "gnut/proto/zinflate.h"

#include <string.h>
#include <zlib.h>

#define LEN_MORE  0x80
#define LEN_LAST  0x40
#define LEN_VALUE 0x3f

size_t gnut_ggep_len_size(size_t len)
{
	if (len < 64)
		return 1;
	if (len < 4096)
		return 2;
	if (len <= GNUT_GGEP_MAX_WIRE_LEN)
		return 3;
	return 0;
}

size_t gnut_ggep_len_encode(size_t len, uint8_t out[3])
{
	size_t n = gnut_ggep_len_size(len);
	for (size_t i = 0; i < n; i++) {
		unsigned shift = (unsigned)(6 * (n - 1 - i));
		uint8_t chunk = (uint8_t)((len >> shift) & LEN_VALUE);
		out[i] = chunk | (i + 1 == n ? LEN_LAST : LEN_MORE);
	}
	return n;
}

/* Exactly one of the two marker bits must be set in each chunk, which is
 * what keeps 0x00 out of the field. Non-minimal forms (a leading 0x80) are
 * accepted, as deployed servents do. */
gnut_proto_err gnut_ggep_len_decode(const uint8_t *buf, size_t avail, size_t *len, size_t *used)
{
	size_t value = 0;
	for (size_t i = 0; i < 3; i++) {
		if (i >= avail)
			return GNUT_PROTO_ERR_TRUNCATED;
		uint8_t b = buf[i];
		uint8_t marks = b & (LEN_MORE | LEN_LAST);
		if (marks == 0 || marks == (LEN_MORE | LEN_LAST))
			return GNUT_PROTO_ERR_MALFORMED;
		value = (value << 6) | (b & LEN_VALUE);
		if (marks == LEN_LAST) {
			*len = value;
			*used = i + 1;
			return GNUT_PROTO_OK;
		}
	}
	return GNUT_PROTO_ERR_MALFORMED; /* a fourth chunk would be needed */
}

/* IDs are binary in the specification, but deployed servents only accept
 * printable ASCII: that also rejects most garbage that starts with 0xC3. */
static bool id_byte_ok(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Turns the wire bytes of one extension into its data: COBS is undone
 * first, then deflate (the encoder compressed first, then encoded). GGEP's
 * deflate is a zlib stream, as the deployed servents send it. */
static gnut_proto_err decode_data(uint8_t flags, const uint8_t *wire, size_t wire_len,
                                  gnut_ggep_ext *ext)
{
	const bool deflated = (flags & GNUT_GGEP_F_DEFLATE) != 0;

	if (!(flags & GNUT_GGEP_F_COBS)) {
		if (deflated)
			return gnut_zinflate(wire, wire_len, GNUT_GGEP_MAX_DATA, &ext->data,
			                     &ext->len);
		if (wire_len > GNUT_GGEP_MAX_DATA)
			return GNUT_PROTO_ERR_TOO_LARGE;
		ext->data = g_malloc(wire_len + 1);
		if (wire_len > 0)
			memcpy(ext->data, wire, wire_len);
		ext->data[wire_len] = 0;
		ext->len = wire_len;
		return GNUT_PROTO_OK;
	}

	/* Compressed bytes may exceed the data cap; the inflater caps those. */
	size_t cap = deflated ? wire_len : MIN(wire_len, (size_t)GNUT_GGEP_MAX_DATA);
	uint8_t *plain = g_malloc(cap + 1);
	size_t plain_len = 0;
	gnut_proto_err err = gnut_cobs_decode(wire, wire_len, plain, cap, &plain_len);
	if (err == GNUT_PROTO_OK && deflated) {
		err = gnut_zinflate(plain, plain_len, GNUT_GGEP_MAX_DATA, &ext->data, &ext->len);
		g_free(plain);
		return err;
	}
	if (err != GNUT_PROTO_OK) {
		g_free(plain);
		return err;
	}
	plain[plain_len] = 0;
	ext->data = plain;
	ext->len = plain_len;
	return GNUT_PROTO_OK;
}

/* Parses the header of one extension at buf[*pos]: flags, ID and length.
 * On success *pos is at the first wire byte of its data. */
static gnut_proto_err decode_header(const uint8_t *buf, size_t len, size_t *pos, uint8_t *flags,
                                    char id[16], size_t *wire_len)
{
	size_t p = *pos;
	if (p >= len)
		return GNUT_PROTO_ERR_TRUNCATED;
	*flags = buf[p++];
	if (*flags & GNUT_GGEP_F_RESERVED)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t id_len = *flags & GNUT_GGEP_F_IDLEN;
	if (id_len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	if (len - p < id_len)
		return GNUT_PROTO_ERR_TRUNCATED;
	for (size_t i = 0; i < id_len; i++) {
		if (!id_byte_ok(buf[p + i]))
			return GNUT_PROTO_ERR_MALFORMED;
		id[i] = (char)buf[p + i];
	}
	id[id_len] = '\0';
	p += id_len;

	size_t used = 0;
	gnut_proto_err err = gnut_ggep_len_decode(buf + p, len - p, wire_len, &used);
	if (err != GNUT_PROTO_OK)
		return err;
	p += used;
	if (*wire_len > len - p)
		return GNUT_PROTO_ERR_TRUNCATED;
	*pos = p;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_ggep_decode(const uint8_t *buf, size_t len, gnut_ggep *out, size_t *consumed)
{
	memset(out, 0, sizeof *out);
	if (len == 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (buf[0] != GNUT_GGEP_MAGIC)
		return GNUT_PROTO_ERR_MALFORMED;

	size_t pos = 1;
	gnut_proto_err err = GNUT_PROTO_OK;
	for (;;) {
		uint8_t flags = 0;
		size_t wire_len = 0;
		if (out->count == GNUT_GGEP_MAX_EXTENSIONS) {
			err = GNUT_PROTO_ERR_TOO_LARGE;
			break;
		}
		gnut_ggep_ext *ext = &out->ext[out->count];
		err = decode_header(buf, len, &pos, &flags, ext->id, &wire_len);
		if (err == GNUT_PROTO_OK)
			err = decode_data(flags, buf + pos, wire_len, ext);
		if (err != GNUT_PROTO_OK) {
			memset(ext, 0, sizeof *ext);
			break;
		}
		out->count++;
		pos += wire_len;
		if (flags & GNUT_GGEP_F_LAST)
			break;
	}
	if (err != GNUT_PROTO_OK) {
		gnut_ggep_clear(out);
		return err;
	}
	*consumed = pos;
	return GNUT_PROTO_OK;
}

void gnut_ggep_clear(gnut_ggep *g)
{
	for (unsigned i = 0; i < g->count; i++)
		g_free(g->ext[i].data);
	memset(g, 0, sizeof *g);
}

const gnut_ggep_ext *gnut_ggep_find(const gnut_ggep *g, const char *id)
{
	for (unsigned i = 0; i < g->count; i++)
		if (strcmp(g->ext[i].id, id) == 0)
			return &g->ext[i];
	return NULL;
}

/* zlib-wraps data (gnut_zinflate reads it back) into a new array. */
static GByteArray *deflate_data(const uint8_t *data, size_t len)
{
	static const uint8_t none = 0;
	uLongf bound = compressBound((uLong)len);
	GByteArray *z = g_byte_array_sized_new((guint)bound);
	g_byte_array_set_size(z, (guint)bound);
	int ret =
	    compress2(z->data, &bound, len > 0 ? data : &none, (uLong)len, Z_DEFAULT_COMPRESSION);
	g_assert(ret == Z_OK); /* the buffer is compressBound-sized */
	g_byte_array_set_size(z, (guint)bound);
	return z;
}

/* Checks an item's ID and flags; returns the ID length through id_len. */
static gnut_proto_err check_item(const gnut_ggep_item *item, size_t *id_len)
{
	if (item->id == NULL || (item->data == NULL && item->len > 0))
		return GNUT_PROTO_ERR_MALFORMED;
	size_t n = strnlen(item->id, GNUT_GGEP_MAX_ID_LEN + 1);
	if (n == 0 || n > GNUT_GGEP_MAX_ID_LEN)
		return GNUT_PROTO_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++)
		if (!id_byte_ok((uint8_t)item->id[i]))
			return GNUT_PROTO_ERR_MALFORMED;
	if (item->flags & ~(unsigned)(GNUT_GGEP_COBS | GNUT_GGEP_DEFLATE))
		return GNUT_PROTO_ERR_UNSUPPORTED;
	if (item->len > GNUT_GGEP_MAX_DATA)
		return GNUT_PROTO_ERR_TOO_LARGE;
	*id_len = n;
	return GNUT_PROTO_OK;
}

/* Appends one extension (header and wire data) to out. */
static gnut_proto_err encode_item(const gnut_ggep_item *item, bool last, GByteArray *out)
{
	size_t id_len = 0;
	gnut_proto_err err = check_item(item, &id_len);
	if (err != GNUT_PROTO_OK)
		return err;

	GByteArray *wire = NULL;
	if (item->flags & GNUT_GGEP_DEFLATE)
		wire = deflate_data(item->data, item->len);
	if (item->flags & GNUT_GGEP_COBS) {
		GByteArray *cobs = g_byte_array_new();
		gnut_cobs_encode(wire ? wire->data : item->data, wire ? wire->len : item->len,
		                 cobs);
		if (wire)
			g_byte_array_unref(wire);
		wire = cobs;
	}
	const uint8_t *bytes = wire ? wire->data : item->data;
	size_t n = wire ? wire->len : item->len;

	uint8_t head[1 + GNUT_GGEP_MAX_ID_LEN + 3];
	size_t h = 0;
	head[h++] = (uint8_t)((last ? GNUT_GGEP_F_LAST : 0) |
	                      (item->flags & GNUT_GGEP_COBS ? GNUT_GGEP_F_COBS : 0) |
	                      (item->flags & GNUT_GGEP_DEFLATE ? GNUT_GGEP_F_DEFLATE : 0) | id_len);
	memcpy(head + h, item->id, id_len);
	h += id_len;
	/* Data is capped at GNUT_GGEP_MAX_DATA, so even COBS or a deflate that
	 * grows it stays far below the largest length three chunks hold. */
	size_t len_bytes = gnut_ggep_len_encode(n, head + h);
	g_assert(len_bytes > 0);
	g_byte_array_append(out, head, (guint)(h + len_bytes));
	if (n > 0)
		g_byte_array_append(out, bytes, (guint)n);
	if (wire)
		g_byte_array_unref(wire);
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_ggep_encode(const gnut_ggep_item *items, size_t n, GByteArray *out)
{
	if (n == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	if (n > GNUT_GGEP_MAX_EXTENSIONS)
		return GNUT_PROTO_ERR_TOO_LARGE;

	const guint start = out->len;
	const uint8_t magic = GNUT_GGEP_MAGIC;
	g_byte_array_append(out, &magic, 1);
	for (size_t i = 0; i < n; i++) {
		gnut_proto_err err = encode_item(&items[i], i + 1 == n, out);
		if (err != GNUT_PROTO_OK) {
			g_byte_array_set_size(out, start);
			return err;
		}
	}
	return GNUT_PROTO_OK;
}
