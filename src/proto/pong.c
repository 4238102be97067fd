/* pong.c: the pong payload codec. */
#include "gnut/proto/pong.h"

#include "gnut/proto/ggep.h"
#include "gnut/proto/msg-header.h"

gnut_proto_err gnut_pong_decode(const uint8_t *buf, size_t len, gnut_pong *out)
{
	if (len < GNUT_PONG_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > GNUT_PONG_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	out->port = gnut_peek_le16(buf);
	out->ipv4 = gnut_peek_be32(buf + 2);
	out->files = gnut_peek_le32(buf + 6);
	out->kib = gnut_peek_le32(buf + 10);
	gnut_msg_split_tail(buf + GNUT_PONG_LEN, len - GNUT_PONG_LEN, &out->ggep, &out->legacy);
	return GNUT_PROTO_OK;
}

bool gnut_pong_ggep_has(const gnut_pong *p, const char *id)
{
	gnut_ggep g;
	size_t used;
	if (p->ggep.len == 0 ||
	    gnut_ggep_decode(p->ggep.data, p->ggep.len, &g, &used) != GNUT_PROTO_OK)
		return false;
	bool found = gnut_ggep_find(&g, id) != NULL;
	gnut_ggep_clear(&g);
	return found;
}

void gnut_pong_encode(GByteArray *out, const gnut_pong *p)
{
	g_return_if_fail(p->ggep.len <= GNUT_PONG_MAX_PAYLOAD - GNUT_PONG_LEN);
	g_return_if_fail(p->ggep.len == 0 || p->ggep.data[0] == GNUT_MSG_GGEP_MAGIC);
	uint8_t fixed[GNUT_PONG_LEN];
	gnut_poke_le16(fixed, p->port);
	gnut_poke_be32(fixed + 2, p->ipv4);
	gnut_poke_le32(fixed + 6, p->files);
	gnut_poke_le32(fixed + 10, p->kib);
	g_byte_array_append(out, fixed, sizeof fixed);
	if (p->ggep.len > 0)
		g_byte_array_append(out, p->ggep.data, (guint)p->ggep.len);
}
