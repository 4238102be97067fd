/* msg-header.c: the Gnutella message header codec and message type names. */
#include "gnut/proto/msg-header.h"

#include <string.h>

const char *gnut_msg_type_name(uint8_t type)
{
	switch ((gnut_msg_type)type) {
	case GNUT_MSG_PING:
		return "ping";
	case GNUT_MSG_PONG:
		return "pong";
	case GNUT_MSG_BYE:
		return "bye";
	case GNUT_MSG_QRP:
		return "qrp";
	case GNUT_MSG_VENDOR:
		return "vendor";
	case GNUT_MSG_VENDOR_STD:
		return "vendor std";
	case GNUT_MSG_PUSH:
		return "push";
	case GNUT_MSG_QUERY:
		return "query";
	case GNUT_MSG_QUERY_HIT:
		return "query hit";
	}
	return "unknown";
}

gnut_proto_err gnut_msg_header_decode(const uint8_t *buf, size_t len, uint32_t max_payload,
                                      gnut_msg_header *out)
{
	if (len < GNUT_MSG_HEADER_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	uint32_t length = gnut_peek_le32(buf + 19);
	if (length > max_payload)
		return GNUT_PROTO_ERR_TOO_LARGE;
	memcpy(out->guid.bytes, buf, GNUT_GUID_LEN);
	out->type = buf[16];
	out->ttl = buf[17];
	out->hops = buf[18];
	out->length = length;
	return GNUT_PROTO_OK;
}

void gnut_msg_header_encode(const gnut_msg_header *h, uint8_t out[GNUT_MSG_HEADER_LEN])
{
	memcpy(out, h->guid.bytes, GNUT_GUID_LEN);
	out[16] = h->type;
	out[17] = h->ttl;
	out[18] = h->hops;
	gnut_poke_le32(out + 19, h->length);
}

void gnut_msg_append(GByteArray *out, const gnut_guid *guid, uint8_t type, uint8_t ttl,
                     uint8_t hops, const uint8_t *payload, size_t len)
{
	g_return_if_fail(len <= GNUT_MSG_MAX_PAYLOAD);
	gnut_msg_header h = {.guid = *guid, .type = type, .ttl = ttl, .hops = hops};
	h.length = (uint32_t)len;
	uint8_t head[GNUT_MSG_HEADER_LEN];
	gnut_msg_header_encode(&h, head);
	g_byte_array_append(out, head, sizeof head);
	if (len > 0)
		g_byte_array_append(out, payload, (guint)len);
}

void gnut_msg_split_tail(const uint8_t *tail, size_t len, gnut_slice *ggep, gnut_slice *legacy)
{
	gnut_slice empty = {tail, 0};
	gnut_slice all = {tail, len};
	bool is_ggep = len > 0 && tail[0] == GNUT_MSG_GGEP_MAGIC;
	*ggep = is_ggep ? all : empty;
	*legacy = is_ggep || len == 0 ? empty : all;
}
