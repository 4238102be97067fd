/* ping.c: the ping payload codec (empty or GGEP; lenient with old payloads). */
#include "gnut/proto/ping.h"

#include "gnut/proto/msg-header.h"

gnut_proto_err gnut_ping_decode(const uint8_t *buf, size_t len, gnut_ping *out)
{
	if (len > GNUT_PING_MAX_PAYLOAD)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_msg_split_tail(buf, len, &out->ggep, &out->legacy);
	return GNUT_PROTO_OK;
}

void gnut_ping_encode(GByteArray *out, const uint8_t *ggep, size_t len)
{
	g_return_if_fail(len <= GNUT_PING_MAX_PAYLOAD);
	g_return_if_fail(len == 0 || ggep[0] == GNUT_MSG_GGEP_MAGIC);
	if (len > 0)
		g_byte_array_append(out, ggep, (guint)len);
}
