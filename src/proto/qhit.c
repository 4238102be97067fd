/* qhit.c: the query hit payload codec, the extension area of our own
 * results, and the URN extraction from a result. */
#include "gnut/proto/qhit.h"

#include <string.h>

#include "gnut/proto/ggep.h"
#include "gnut/proto/query.h"

#define TRAILER_FIXED  5 /* vendor code and open data size */
#define OPEN_DATA_LEN  2 /* what we send: the two flag bytes */
#define RESULT_MIN_LEN 10
#define FLAGS_REVERSED                                                                             \
	(GNUT_QHIT_F_BUSY | GNUT_QHIT_F_UPLOADED | GNUT_QHIT_F_SPEED | GNUT_QHIT_F_GGEP)

/* Why two rules: BearShare defined the push bit first (value in byte 1,
 * "valid" in byte 2) and every later bit the other way round; the reference
 * servent still writes them so. */
static void flags_from_open_data(const gnut_slice *open, unsigned *valid, unsigned *set)
{
	*valid = 0;
	*set = 0;
	if (open->len < 2)
		return;
	uint8_t b1 = open->data[0], b2 = open->data[1];
	if (b2 & GNUT_QHIT_F_PUSH) {
		*valid |= GNUT_QHIT_F_PUSH;
		*set |= b1 & GNUT_QHIT_F_PUSH;
	}
	*valid |= b1 & FLAGS_REVERSED;
	*set |= b1 & b2 & FLAGS_REVERSED;
}

static void flags_to_open_data(unsigned valid, unsigned set, uint8_t out[OPEN_DATA_LEN])
{
	out[0] = (uint8_t)((set & GNUT_QHIT_F_PUSH) | (valid & FLAGS_REVERSED));
	out[1] = (uint8_t)((valid & GNUT_QHIT_F_PUSH) | (set & FLAGS_REVERSED));
}

/* Why the result extensions are walked at all: the GGEP decoder is the only
 * judge of a block, and the reference servent drops a hit whose result
 * extensions are broken rather than keep half of it. */
static gnut_proto_err check_ext_area(const gnut_slice *ext)
{
	size_t pos = 0;
	gnut_ext_item item;
	gnut_proto_err err;
	while ((err = gnut_ext_next(ext->data, ext->len, &pos, &item)) == GNUT_PROTO_OK)
		continue;
	return err == GNUT_PROTO_ERR_TRAILING ? GNUT_PROTO_OK : err;
}

static gnut_proto_err decode_result(const uint8_t *buf, size_t end, size_t *pos,
                                    gnut_qhit_result *r)
{
	size_t p = *pos;
	if (end - p < RESULT_MIN_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	r->index = gnut_peek_le32(buf + p);
	r->size = gnut_peek_le32(buf + p + 4);
	p += 8;
	const uint8_t *nul = memchr(buf + p, 0, end - p);
	if (nul == NULL)
		return GNUT_PROTO_ERR_TRUNCATED;
	size_t name_len = (size_t)(nul - (buf + p));
	if (name_len > GNUT_QHIT_MAX_NAME)
		return GNUT_PROTO_ERR_TOO_LARGE;
	r->name = (const char *)(buf + p);
	r->name_len = name_len;
	p += name_len + 1;
	nul = memchr(buf + p, 0, end - p);
	if (nul == NULL)
		return GNUT_PROTO_ERR_TRUNCATED;
	size_t ext_len = (size_t)(nul - (buf + p));
	if (ext_len > GNUT_QHIT_MAX_EXT)
		return GNUT_PROTO_ERR_TOO_LARGE;
	r->ext = (gnut_slice){buf + p, ext_len};
	*pos = p + ext_len + 1;
	return check_ext_area(&r->ext);
}

/* GGEP 0.51 "QHD Private Data": some servents put their own bytes before the
 * block, so it is found by its magic rather than expected at offset 0. */
static gnut_proto_err find_private_ggep(gnut_qhit *h)
{
	const uint8_t *priv = h->private_area.data;
	size_t len = h->private_area.len;
	const uint8_t *magic = len > 0 ? memchr(priv, GNUT_GGEP_MAGIC, len) : NULL;
	if (magic == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	size_t avail = len - (size_t)(magic - priv);
	gnut_ggep g;
	size_t used = 0;
	gnut_proto_err err = gnut_ggep_decode(magic, avail, &g, &used);
	if (err != GNUT_PROTO_OK)
		return err;
	gnut_ggep_clear(&g);
	h->private_ggep = (gnut_slice){magic, used};
	return GNUT_PROTO_OK;
}

/* Vendor codes are four-letter names (GTKG, LIME, BEAR...); anything else
 * means the bytes taken for a trailer are not one. */
static bool vendor_ok(const uint8_t *v)
{
	for (size_t i = 0; i < GNUT_QHIT_VENDOR_LEN; i++)
		if (!g_ascii_isprint(v[i]))
			return false;
	return true;
}

static gnut_proto_err decode_trailer(const uint8_t *t, size_t n, gnut_qhit *h)
{
	if (n < TRAILER_FIXED)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (!vendor_ok(t))
		return GNUT_PROTO_ERR_MALFORMED;
	memcpy(h->vendor, t, GNUT_QHIT_VENDOR_LEN);
	size_t open_len = t[4];
	if (n - TRAILER_FIXED < open_len)
		return GNUT_PROTO_ERR_TRUNCATED;
	h->has_trailer = true;
	h->open_data = (gnut_slice){t + TRAILER_FIXED, open_len};
	h->private_area = (gnut_slice){t + TRAILER_FIXED + open_len, n - TRAILER_FIXED - open_len};
	flags_from_open_data(&h->open_data, &h->flags_valid, &h->flags);
	if (h->flags & GNUT_QHIT_F_GGEP)
		return find_private_ggep(h);
	return GNUT_PROTO_OK;
}

static gnut_proto_err qhit_decode_fields(const uint8_t *buf, size_t len, gnut_qhit *h)
{
	if (len > GNUT_QHIT_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (len < GNUT_QHIT_MIN_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	unsigned count = buf[0];
	if (count == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	h->port = gnut_peek_le16(buf + 1);
	h->ipv4 = gnut_peek_be32(buf + 3);
	h->speed = gnut_peek_le32(buf + 7);
	size_t end = len - GNUT_GUID_LEN;
	memcpy(h->servent.bytes, buf + end, GNUT_GUID_LEN);
	h->results = g_new0(gnut_qhit_result, count);
	size_t pos = GNUT_QHIT_HEAD_LEN;
	for (unsigned i = 0; i < count; i++) {
		gnut_proto_err err = decode_result(buf, end, &pos, &h->results[i]);
		if (err != GNUT_PROTO_OK)
			return err;
		h->n_results = i + 1;
	}
	if (pos == end)
		return GNUT_PROTO_OK;
	return decode_trailer(buf + pos, end - pos, h);
}

gnut_proto_err gnut_qhit_decode(const uint8_t *buf, size_t len, gnut_qhit *out)
{
	memset(out, 0, sizeof *out);
	gnut_proto_err err = qhit_decode_fields(buf, len, out);
	if (err != GNUT_PROTO_OK)
		gnut_qhit_clear(out);
	return err;
}

void gnut_qhit_clear(gnut_qhit *h)
{
	g_free(h->results);
	memset(h, 0, sizeof *h);
}

static bool private_ggep_ok(const gnut_slice *priv)
{
	if (priv->len == 0 || priv->data[0] != GNUT_GGEP_MAGIC)
		return true;
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(priv->data, priv->len, &g, &used) != GNUT_PROTO_OK)
		return false;
	gnut_ggep_clear(&g);
	return true;
}

/* Checks h against what the decoder accepts; *size = payload bytes. */
static gnut_proto_err qhit_check(const gnut_qhit *h, size_t *size)
{
	if (h->n_results == 0 || h->results == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	if (h->n_results > GNUT_QHIT_MAX_RESULTS)
		return GNUT_PROTO_ERR_TOO_LARGE;
	size_t total = GNUT_QHIT_HEAD_LEN;
	for (unsigned i = 0; i < h->n_results; i++) {
		const gnut_qhit_result *r = &h->results[i];
		if (r->name_len > GNUT_QHIT_MAX_NAME || r->ext.len > GNUT_QHIT_MAX_EXT)
			return GNUT_PROTO_ERR_TOO_LARGE;
		if ((r->name_len > 0 && memchr(r->name, 0, r->name_len) != NULL) ||
		    (r->ext.len > 0 && memchr(r->ext.data, 0, r->ext.len) != NULL) ||
		    check_ext_area(&r->ext) != GNUT_PROTO_OK)
			return GNUT_PROTO_ERR_MALFORMED;
		total += RESULT_MIN_LEN + r->name_len + r->ext.len;
	}
	if (h->private_area.len > GNUT_QHIT_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (!vendor_ok(h->vendor) || !private_ggep_ok(&h->private_area))
		return GNUT_PROTO_ERR_MALFORMED;
	total += TRAILER_FIXED + OPEN_DATA_LEN + h->private_area.len + GNUT_GUID_LEN;
	if (total > GNUT_QHIT_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	*size = total;
	return GNUT_PROTO_OK;
}

static void append_result(GByteArray *out, const gnut_qhit_result *r)
{
	static const uint8_t nul = 0;
	uint8_t fixed[8];
	gnut_poke_le32(fixed, r->index);
	gnut_poke_le32(fixed + 4, r->size);
	g_byte_array_append(out, fixed, sizeof fixed);
	if (r->name_len > 0)
		g_byte_array_append(out, (const uint8_t *)r->name, (guint)r->name_len);
	g_byte_array_append(out, &nul, 1);
	if (r->ext.len > 0)
		g_byte_array_append(out, r->ext.data, (guint)r->ext.len);
	g_byte_array_append(out, &nul, 1);
}

static void append_trailer(GByteArray *out, const gnut_qhit *h)
{
	const gnut_slice *priv = &h->private_area;
	bool ggep = priv->len > 0 && priv->data[0] == GNUT_GGEP_MAGIC;
	unsigned valid = (h->flags_valid & GNUT_QHIT_F_ALL) | GNUT_QHIT_F_GGEP;
	unsigned set =
	    (h->flags & valid & ~(unsigned)GNUT_QHIT_F_GGEP) | (ggep ? GNUT_QHIT_F_GGEP : 0);
	uint8_t head[TRAILER_FIXED + OPEN_DATA_LEN];
	memcpy(head, h->vendor, GNUT_QHIT_VENDOR_LEN);
	head[4] = OPEN_DATA_LEN;
	flags_to_open_data(valid, set, head + TRAILER_FIXED);
	g_byte_array_append(out, head, sizeof head);
	if (priv->len > 0)
		g_byte_array_append(out, priv->data, (guint)priv->len);
}

gnut_proto_err gnut_qhit_encode(GByteArray *out, const gnut_qhit *h)
{
	size_t size = 0;
	gnut_proto_err err = qhit_check(h, &size);
	if (err != GNUT_PROTO_OK)
		return err;
	uint8_t head[GNUT_QHIT_HEAD_LEN];
	head[0] = (uint8_t)h->n_results;
	gnut_poke_le16(head + 1, h->port);
	gnut_poke_be32(head + 3, h->ipv4);
	gnut_poke_le32(head + 7, h->speed);
	g_byte_array_append(out, head, sizeof head);
	for (unsigned i = 0; i < h->n_results; i++)
		append_result(out, &h->results[i]);
	append_trailer(out, h);
	g_byte_array_append(out, h->servent.bytes, GNUT_GUID_LEN);
	return GNUT_PROTO_OK;
}

/* Why COBS only when needed: the reference servent does the same, and
 * result extensions must hold no 0x00 (the NUL ends the area). */
static gnut_proto_err append_ggep_h(GByteArray *out, const gnut_urn *urn)
{
	GByteArray *payload = g_byte_array_new();
	gnut_proto_err err = gnut_ggep_h_encode(urn, payload);
	if (err == GNUT_PROTO_OK) {
		bool has_nul = memchr(payload->data, 0, payload->len) != NULL;
		gnut_ggep_item item = {"H", payload->data, payload->len,
		                       has_nul ? GNUT_GGEP_COBS : 0};
		err = gnut_ggep_encode(&item, 1, out);
	}
	g_byte_array_unref(payload);
	return err;
}

gnut_proto_err gnut_qhit_result_ext_encode(GByteArray *out, const gnut_urn *urn, bool plain,
                                           bool ggep_h)
{
	if (!urn->has_sha1)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	GByteArray *ext = g_byte_array_new();
	if (plain) {
		char text[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(urn->sha1, text);
		g_byte_array_append(ext, (const uint8_t *)text, GNUT_URN_SHA1_LEN);
	}
	gnut_proto_err err = GNUT_PROTO_OK;
	if (ggep_h) {
		static const uint8_t sep = 0x1C;
		if (plain)
			g_byte_array_append(ext, &sep, 1);
		err = append_ggep_h(ext, urn);
	}
	if (err == GNUT_PROTO_OK && ext->len > 0 && memchr(ext->data, 0, ext->len) != NULL)
		err = GNUT_PROTO_ERR_MALFORMED;
	if (err == GNUT_PROTO_OK && ext->len > 0)
		g_byte_array_append(out, ext->data, ext->len);
	g_byte_array_unref(ext);
	return err;
}

bool gnut_qhit_result_urn(const gnut_qhit_result *r, gnut_urn *out)
{
	gnut_urn found = {0};
	size_t pos = 0;
	gnut_ext_item item;
	while (gnut_ext_next(r->ext.data, r->ext.len, &pos, &item) == GNUT_PROTO_OK)
		gnut_ext_item_urn(&item, &found);
	*out = found;
	return found.has_sha1;
}
