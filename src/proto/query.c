/* query.c: the query payload codec, and the walker of the HUGE/GGEP
 * extension areas that queries and query hit results carry. */
#include "gnut/proto/query.h"

#include <string.h>

#include "gnut/proto/ggep.h"

#define EXT_SEPARATOR  0x1C /* HUGE "file separator" between items */
#define URN_PREFIX     "urn:"
#define URN_PREFIX_LEN 4

/* The largest "u" payload worth parsing: "bitprint:" + 32 + "." + 39. */
#define GGEP_U_MAX 96

static bool is_separator(uint8_t c)
{
	return c == EXT_SEPARATOR || c == 0x00;
}

static bool has_urn_prefix(const uint8_t *data, size_t len)
{
	return len >= URN_PREFIX_LEN &&
	       g_ascii_strncasecmp((const char *)data, URN_PREFIX, URN_PREFIX_LEN) == 0;
}

static gnut_ext_kind classify_text_item(const uint8_t *data, size_t len)
{
	if (has_urn_prefix(data, len))
		return GNUT_EXT_URN;
	if (data[0] == '<')
		return GNUT_EXT_XML;
	return GNUT_EXT_UNKNOWN;
}

/* Why GGEP blocks are decoded here: they are the only items not delimited by
 * a separator (their data may hold 0x1C and even 0x00 in a query), so the
 * GGEP decoder is what tells where a block ends. */
gnut_proto_err gnut_ext_next(const uint8_t *area, size_t len, size_t *pos, gnut_ext_item *item)
{
	size_t p = *pos;
	while (p < len && is_separator(area[p]))
		p++;
	if (p >= len) {
		*pos = len;
		return GNUT_PROTO_ERR_TRAILING;
	}
	if (area[p] == GNUT_GGEP_MAGIC) {
		gnut_ggep g;
		size_t used = 0;
		gnut_proto_err err = gnut_ggep_decode(area + p, len - p, &g, &used);
		if (err != GNUT_PROTO_OK)
			return err;
		gnut_ggep_clear(&g);
		item->kind = GNUT_EXT_GGEP;
		item->data = (gnut_slice){area + p, used};
		p += used;
	} else {
		size_t q = p;
		while (q < len && !is_separator(area[q]))
			q++;
		item->kind = classify_text_item(area + p, q - p);
		item->data = (gnut_slice){area + p, q - p};
		p = q;
	}
	if (p < len && is_separator(area[p]))
		p++;
	*pos = p;
	return GNUT_PROTO_OK;
}

static bool merge_urn(gnut_urn *out, const gnut_urn *found)
{
	if (found->has_sha1) {
		out->has_sha1 = true;
		memcpy(out->sha1, found->sha1, sizeof out->sha1);
	}
	if (found->has_tiger) {
		out->has_tiger = true;
		memcpy(out->tiger, found->tiger, sizeof out->tiger);
	}
	return found->has_sha1 || found->has_tiger;
}

/* HUGE 0.94 section 8: a "u" extension is a HUGE string without its "urn:". */
static bool ggep_u_urn(const gnut_ggep_ext *e, gnut_urn *out)
{
	char text[URN_PREFIX_LEN + GGEP_U_MAX];
	if (e->len == 0 || e->len > GGEP_U_MAX)
		return false;
	memcpy(text, URN_PREFIX, URN_PREFIX_LEN);
	memcpy(text + URN_PREFIX_LEN, e->data, e->len);
	gnut_urn u = {0};
	if (gnut_urn_parse(text, URN_PREFIX_LEN + e->len, &u) != GNUT_PROTO_OK)
		return false;
	return merge_urn(out, &u);
}

static bool ggep_block_urn(const gnut_slice *block, gnut_urn *out)
{
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(block->data, block->len, &g, &used) != GNUT_PROTO_OK)
		return false;
	bool found = false;
	const gnut_ggep_ext *h = gnut_ggep_find(&g, "H");
	gnut_urn u = {0};
	if (h != NULL && gnut_ggep_h_decode(h->data, h->len, &u) == GNUT_PROTO_OK)
		found = merge_urn(out, &u);
	const gnut_ggep_ext *hu = gnut_ggep_find(&g, "u");
	if (hu != NULL && ggep_u_urn(hu, out))
		found = true;
	gnut_ggep_clear(&g);
	return found;
}

bool gnut_ext_item_urn(const gnut_ext_item *item, gnut_urn *out)
{
	gnut_urn u = {0};
	switch (item->kind) {
	case GNUT_EXT_URN:
		if (gnut_urn_parse((const char *)item->data.data, item->data.len, &u) !=
		    GNUT_PROTO_OK)
			return false;
		return merge_urn(out, &u);
	case GNUT_EXT_GGEP:
		return ggep_block_urn(&item->data, out);
	case GNUT_EXT_XML:
	case GNUT_EXT_UNKNOWN:
		break;
	}
	return false;
}

/* Files one decoded item into q, enforcing the per-kind caps. */
static gnut_proto_err query_add_item(gnut_query *q, const gnut_ext_item *item)
{
	switch (item->kind) {
	case GNUT_EXT_URN:
		if (q->n_urns == GNUT_QUERY_MAX_URNS)
			return GNUT_PROTO_ERR_TOO_LARGE;
		q->urns[q->n_urns++] = item->data;
		break;
	case GNUT_EXT_GGEP:
		if (q->n_ggep == GNUT_QUERY_MAX_GGEP)
			return GNUT_PROTO_ERR_TOO_LARGE;
		q->ggep[q->n_ggep++] = item->data;
		break;
	case GNUT_EXT_XML:
		if (q->xml.len == 0)
			q->xml = item->data;
		break;
	case GNUT_EXT_UNKNOWN:
		break;
	}
	return GNUT_PROTO_OK;
}

static gnut_proto_err query_decode_extensions(const uint8_t *area, size_t len, gnut_query *q)
{
	size_t pos = 0;
	for (unsigned items = 0;; items++) {
		gnut_ext_item item;
		gnut_proto_err err = gnut_ext_next(area, len, &pos, &item);
		if (err == GNUT_PROTO_ERR_TRAILING)
			return GNUT_PROTO_OK;
		if (err != GNUT_PROTO_OK)
			return err;
		if (items == GNUT_QUERY_MAX_ITEMS)
			return GNUT_PROTO_ERR_TOO_LARGE;
		err = query_add_item(q, &item);
		if (err != GNUT_PROTO_OK)
			return err;
	}
}

static gnut_proto_err query_decode_fields(const uint8_t *buf, size_t len, gnut_query *out)
{
	if (len > GNUT_QUERY_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (len < GNUT_QUERY_MIN_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	out->flags = gnut_peek_be16(buf);
	const uint8_t *text = buf + 2;
	const uint8_t *nul = memchr(text, 0, len - 2);
	if (nul == NULL)
		return GNUT_PROTO_ERR_TRUNCATED;
	size_t text_len = (size_t)(nul - text);
	if (text_len > GNUT_QUERY_MAX_TEXT)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (!g_utf8_validate((const char *)text, (gssize)text_len, NULL))
		return GNUT_PROTO_ERR_MALFORMED;
	out->text = (const char *)text;
	out->text_len = text_len;
	const uint8_t *area = nul + 1;
	return query_decode_extensions(area, (size_t)(buf + len - area), out);
}

gnut_proto_err gnut_query_decode(const uint8_t *buf, size_t len, gnut_query *out)
{
	memset(out, 0, sizeof *out);
	gnut_proto_err err = query_decode_fields(buf, len, out);
	if (err != GNUT_PROTO_OK)
		memset(out, 0, sizeof *out);
	return err;
}

static bool holds_separator(const gnut_slice *s)
{
	for (size_t i = 0; i < s->len; i++)
		if (is_separator(s->data[i]))
			return true;
	return false;
}

/* A GGEP block is only valid as an item when it decodes to exactly its own
 * length: anything after it would be read back as another item. */
static bool ggep_block_exact(const gnut_slice *s)
{
	if (s->len == 0 || s->data[0] != GNUT_GGEP_MAGIC)
		return false;
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(s->data, s->len, &g, &used) != GNUT_PROTO_OK)
		return false;
	gnut_ggep_clear(&g);
	return used == s->len;
}

/* Checks q against what the decoder accepts; *size = payload bytes. */
static gnut_proto_err query_check(const gnut_query *q, size_t *size)
{
	if (q->text_len > GNUT_QUERY_MAX_TEXT || q->n_urns > GNUT_QUERY_MAX_URNS ||
	    q->n_ggep > GNUT_QUERY_MAX_GGEP)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if ((q->text_len > 0 && memchr(q->text, 0, q->text_len) != NULL) ||
	    !g_utf8_validate(q->text_len > 0 ? q->text : "", (gssize)q->text_len, NULL))
		return GNUT_PROTO_ERR_MALFORMED;
	size_t total = GNUT_QUERY_MIN_LEN + q->text_len;
	for (unsigned i = 0; i < q->n_urns; i++) {
		if (!has_urn_prefix(q->urns[i].data, q->urns[i].len) ||
		    holds_separator(&q->urns[i]))
			return GNUT_PROTO_ERR_MALFORMED;
		total += q->urns[i].len + 1;
	}
	if (q->xml.len > 0) {
		if (q->xml.data[0] != '<' || holds_separator(&q->xml))
			return GNUT_PROTO_ERR_MALFORMED;
		total += q->xml.len + 1;
	}
	for (unsigned i = 0; i < q->n_ggep; i++) {
		if (!ggep_block_exact(&q->ggep[i]))
			return GNUT_PROTO_ERR_MALFORMED;
		total += q->ggep[i].len + 1;
	}
	if (total > GNUT_QUERY_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	*size = total;
	return GNUT_PROTO_OK;
}

static void append_item(GByteArray *out, const gnut_slice *s, bool *first)
{
	static const uint8_t sep = EXT_SEPARATOR;
	if (!*first)
		g_byte_array_append(out, &sep, 1);
	g_byte_array_append(out, s->data, (guint)s->len);
	*first = false;
}

gnut_proto_err gnut_query_encode(GByteArray *out, const gnut_query *q)
{
	size_t size = 0;
	gnut_proto_err err = query_check(q, &size);
	if (err != GNUT_PROTO_OK)
		return err;
	uint8_t flags[2];
	gnut_poke_be16(flags, q->flags);
	g_byte_array_append(out, flags, sizeof flags);
	if (q->text_len > 0)
		g_byte_array_append(out, (const uint8_t *)q->text, (guint)q->text_len);
	static const uint8_t nul = 0;
	g_byte_array_append(out, &nul, 1);
	bool first = true;
	for (unsigned i = 0; i < q->n_urns; i++)
		append_item(out, &q->urns[i], &first);
	if (q->xml.len > 0)
		append_item(out, &q->xml, &first);
	for (unsigned i = 0; i < q->n_ggep; i++)
		append_item(out, &q->ggep[i], &first);
	return GNUT_PROTO_OK;
}

static bool has_sha1(const gnut_urn *list, unsigned n, const uint8_t sha1[GNUT_SHA1_LEN])
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(list[i].sha1, sha1, GNUT_SHA1_LEN) == 0)
			return true;
	return false;
}

static void collect_sha1(const gnut_ext_item *item, gnut_urn *out, unsigned max, unsigned *n)
{
	gnut_urn u = {0};
	if (*n >= max || !gnut_ext_item_urn(item, &u) || !u.has_sha1)
		return;
	if (!has_sha1(out, *n, u.sha1))
		out[(*n)++] = u;
}

unsigned gnut_query_sha1s(const gnut_query *q, gnut_urn *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < q->n_urns && i < GNUT_QUERY_MAX_URNS; i++) {
		gnut_ext_item item = {GNUT_EXT_URN, q->urns[i]};
		collect_sha1(&item, out, max, &n);
	}
	for (unsigned i = 0; i < q->n_ggep && i < GNUT_QUERY_MAX_GGEP; i++) {
		gnut_ext_item item = {GNUT_EXT_GGEP, q->ggep[i]};
		collect_sha1(&item, out, max, &n);
	}
	return n;
}
