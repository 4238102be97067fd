/* push.c: the push payload codec. */
#include "gnut/proto/push.h"

#include <string.h>

#include "gnut/proto/msg-header.h"

gnut_proto_err gnut_push_decode(const uint8_t *buf, size_t len, gnut_push *out)
{
	if (len < GNUT_PUSH_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > GNUT_PUSH_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	memcpy(out->servent.bytes, buf, GNUT_GUID_LEN);
	out->file_index = gnut_peek_le32(buf + 16);
	out->ipv4 = gnut_peek_be32(buf + 20);
	out->port = gnut_peek_le16(buf + 24);
	gnut_msg_split_tail(buf + GNUT_PUSH_LEN, len - GNUT_PUSH_LEN, &out->ggep, &out->legacy);
	return GNUT_PROTO_OK;
}

void gnut_push_encode(GByteArray *out, const gnut_push *p)
{
	g_return_if_fail(p->ggep.len <= GNUT_PUSH_MAX_PAYLOAD - GNUT_PUSH_LEN);
	g_return_if_fail(p->ggep.len == 0 || p->ggep.data[0] == GNUT_MSG_GGEP_MAGIC);
	uint8_t fixed[GNUT_PUSH_LEN];
	memcpy(fixed, p->servent.bytes, GNUT_GUID_LEN);
	gnut_poke_le32(fixed + 16, p->file_index);
	gnut_poke_be32(fixed + 20, p->ipv4);
	gnut_poke_le16(fixed + 24, p->port);
	g_byte_array_append(out, fixed, sizeof fixed);
	if (p->ggep.len > 0)
		g_byte_array_append(out, p->ggep.data, (guint)p->ggep.len);
}
