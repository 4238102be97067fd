/* oob.c: the out-of-band delivery codecs of oob.h: LIME/12 and LIME/11 on
 * top of the generic vendor message, the GUID marking, and the "SO" token
 * in GGEP blocks. */
#include "gnut/proto/oob.h"

#include <string.h>

#include "gnut/proto/ggep.h"

/* Decodes the vendor head of buf and checks it names LIME/selector at a
 * version we read; the message's data is left in *m. */
static gnut_proto_err lime_head_decode(const uint8_t *buf, size_t len, uint16_t selector,
                                       gnut_vendor_msg *m)
{
	return gnut_vendor_msg_decode_as(buf, len, GNUT_OOB_VENDOR, selector,
	                                 GNUT_OOB_OLDEST_VERSION, m);
}

static void lime_encode(GByteArray *out, uint16_t selector, const uint8_t *data, size_t len)
{
	gnut_vendor_msg_encode_as(out, GNUT_OOB_VENDOR, selector, GNUT_OOB_VERSION, data, len);
}

void gnut_oob_reply_encode(GByteArray *out, uint8_t hits, bool unsolicited)
{
	uint8_t data[2] = {hits ? hits : 1, unsolicited ? GNUT_OOB_REPLY_F_UNSOLICITED : 0};
	lime_encode(out, GNUT_OOB_SEL_REPLY_NUMBER, data, sizeof data);
}

gnut_proto_err gnut_oob_reply_decode(const uint8_t *buf, size_t len, gnut_oob_reply *out)
{
	gnut_vendor_msg m;
	gnut_proto_err err = lime_head_decode(buf, len, GNUT_OOB_SEL_REPLY_NUMBER, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.data.len < 2)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (m.version == GNUT_OOB_OLDEST_VERSION && m.data.len != 2)
		return GNUT_PROTO_ERR_TRAILING;
	if (m.data.data[0] == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	out->version = m.version;
	out->hits = m.data.data[0];
	out->unsolicited = (m.data.data[1] & GNUT_OOB_REPLY_F_UNSOLICITED) != 0;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_oob_token_ggep_encode(GByteArray *out, const uint8_t *token, size_t len)
{
	if (len > GNUT_OOB_TOKEN_MAX)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_ggep_item item = {.id = GNUT_OOB_GGEP_TOKEN, .data = token, .len = len};
	return gnut_ggep_encode(&item, 1, out);
}

gnut_proto_err gnut_oob_claim_encode(GByteArray *out, uint8_t wanted, const uint8_t *token,
                                     size_t len)
{
	if (wanted == 0 || len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	g_autoptr(GByteArray) data = g_byte_array_new();
	g_byte_array_append(data, &wanted, 1);
	gnut_proto_err err = gnut_oob_token_ggep_encode(data, token, len);
	if (err != GNUT_PROTO_OK)
		return err;
	lime_encode(out, GNUT_OOB_SEL_CLAIM, data->data, data->len);
	return GNUT_PROTO_OK;
}

/* The token of a v3 claim: the GGEP block at data[0..len) with a non-empty
 * "SO"; *used is what the block took. */
static gnut_proto_err claim_token_decode(const uint8_t *data, size_t len, gnut_oob_claim *out,
                                         size_t *used)
{
	if (len == 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (data[0] != GNUT_GGEP_MAGIC)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_ggep g;
	gnut_proto_err err = gnut_ggep_decode(data, len, &g, used);
	if (err != GNUT_PROTO_OK)
		return err;
	const gnut_ggep_ext *so = gnut_ggep_find(&g, GNUT_OOB_GGEP_TOKEN);
	if (so == NULL || so->len == 0)
		err = GNUT_PROTO_ERR_MALFORMED;
	else if (so->len > GNUT_OOB_TOKEN_MAX)
		err = GNUT_PROTO_ERR_TOO_LARGE;
	else {
		memcpy(out->token, so->data, so->len);
		out->token_len = so->len;
	}
	gnut_ggep_clear(&g);
	return err;
}

gnut_proto_err gnut_oob_claim_decode(const uint8_t *buf, size_t len, gnut_oob_claim *out)
{
	gnut_vendor_msg m;
	gnut_proto_err err = lime_head_decode(buf, len, GNUT_OOB_SEL_CLAIM, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.data.len < 1)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (m.data.data[0] == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_oob_claim c = {.version = m.version, .wanted = m.data.data[0]};
	size_t used = 1;
	if (m.version > GNUT_OOB_OLDEST_VERSION) {
		size_t block = 0;
		err = claim_token_decode(m.data.data + 1, m.data.len - 1, &c, &block);
		if (err != GNUT_PROTO_OK)
			return err;
		used += block;
	}
	if (m.version <= GNUT_OOB_VERSION && used != m.data.len)
		return GNUT_PROTO_ERR_TRAILING;
	*out = c;
	return GNUT_PROTO_OK;
}

void gnut_oob_guid_mark(gnut_guid *g, uint32_t ipv4, uint16_t port)
{
	gnut_poke_be32(g->bytes, ipv4);
	gnut_poke_le16(g->bytes + 13, port);
}

void gnut_oob_guid_address(const gnut_guid *g, uint32_t *ipv4, uint16_t *port)
{
	*ipv4 = gnut_peek_be32(g->bytes);
	*port = gnut_peek_le16(g->bytes + 13);
}

bool gnut_oob_token_find(gnut_slice ggep, uint8_t *token, size_t *len)
{
	if (ggep.len == 0 || ggep.data[0] != GNUT_GGEP_MAGIC)
		return false;
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(ggep.data, ggep.len, &g, &used) != GNUT_PROTO_OK)
		return false;
	const gnut_ggep_ext *so = gnut_ggep_find(&g, GNUT_OOB_GGEP_TOKEN);
	bool found = so != NULL && so->len <= GNUT_OOB_TOKEN_MAX;
	if (found) {
		memcpy(token, so->data, so->len);
		*len = so->len;
	}
	gnut_ggep_clear(&g);
	return found;
}

bool gnut_oob_query_wants_v3(const gnut_query *q)
{
	if (!(q->flags & GNUT_QUERY_F_MARK) || !(q->flags & GNUT_QUERY_F_OOB))
		return false;
	uint8_t token[GNUT_OOB_TOKEN_MAX];
	size_t len = 0;
	for (unsigned i = 0; i < q->n_ggep; i++)
		if (gnut_oob_token_find(q->ggep[i], token, &len))
			return true;
	return false;
}
