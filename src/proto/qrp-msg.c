/* qrp-msg.c: RESET / PATCH payloads of QRP route table updates (type 0x30),
 * decoded against the bytes really there and the caps of qrp-msg.h. */
#include "gnut/proto/qrp-msg.h"

#include <stdbool.h>

static bool is_power_of_two(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static bool valid_entry_bits(uint8_t bits)
{
	return bits == 1 || bits == 2 || bits == 4 || bits == 8;
}

static gnut_proto_err decode_reset(const uint8_t *buf, size_t len, gnut_qrp_reset *out)
{
	if (len < GNUT_QRP_RESET_SIZE)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > GNUT_QRP_RESET_SIZE)
		return GNUT_PROTO_ERR_TRAILING;
	uint32_t length = gnut_peek_le32(buf + 1);
	if (length > GNUT_QRP_MAX_SLOTS)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (!is_power_of_two(length) || buf[5] == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	out->table_length = length;
	out->infinity = buf[5];
	return GNUT_PROTO_OK;
}

/* The data runs to the end of the payload; an empty slice is refused as the
 * reference servent does, since a sequence of empty slices would let a peer
 * keep a sequence open for nothing. */
static gnut_proto_err decode_patch(const uint8_t *buf, size_t len, gnut_qrp_patch *out)
{
	if (len <= GNUT_QRP_PATCH_HEAD_SIZE)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len - GNUT_QRP_PATCH_HEAD_SIZE > GNUT_QRP_MAX_PATCH_DATA)
		return GNUT_PROTO_ERR_TOO_LARGE;
	uint8_t seq_no = buf[1], seq_size = buf[2], compressor = buf[3], bits = buf[4];
	if (seq_no == 0 || seq_no > seq_size || !valid_entry_bits(bits))
		return GNUT_PROTO_ERR_MALFORMED;
	if (compressor != GNUT_QRP_COMPRESSOR_NONE && compressor != GNUT_QRP_COMPRESSOR_ZLIB)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	out->seq_no = seq_no;
	out->seq_size = seq_size;
	out->compressor = compressor;
	out->entry_bits = bits;
	out->data.data = buf + GNUT_QRP_PATCH_HEAD_SIZE;
	out->data.len = len - GNUT_QRP_PATCH_HEAD_SIZE;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_qrp_msg_decode(const uint8_t *buf, size_t len, gnut_qrp_msg *out)
{
	if (len == 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	switch (buf[0]) {
	case GNUT_QRP_VARIANT_RESET:
		out->variant = GNUT_QRP_VARIANT_RESET;
		return decode_reset(buf, len, &out->u.reset);
	case GNUT_QRP_VARIANT_PATCH:
		out->variant = GNUT_QRP_VARIANT_PATCH;
		return decode_patch(buf, len, &out->u.patch);
	default:
		return GNUT_PROTO_ERR_UNSUPPORTED;
	}
}

void gnut_qrp_reset_encode(const gnut_qrp_reset *reset, GByteArray *out)
{
	g_return_if_fail(is_power_of_two(reset->table_length));
	g_return_if_fail(reset->table_length <= GNUT_QRP_MAX_SLOTS);
	g_return_if_fail(reset->infinity != 0);
	uint8_t b[GNUT_QRP_RESET_SIZE];
	b[0] = GNUT_QRP_VARIANT_RESET;
	gnut_poke_le32(b + 1, reset->table_length);
	b[5] = reset->infinity;
	g_byte_array_append(out, b, sizeof b);
}

void gnut_qrp_patch_encode(const gnut_qrp_patch *patch, GByteArray *out)
{
	g_return_if_fail(patch->seq_no != 0 && patch->seq_no <= patch->seq_size);
	g_return_if_fail(patch->compressor <= GNUT_QRP_COMPRESSOR_ZLIB);
	g_return_if_fail(valid_entry_bits(patch->entry_bits));
	g_return_if_fail(patch->data.len != 0 && patch->data.len <= GNUT_QRP_MAX_PATCH_DATA);
	uint8_t b[GNUT_QRP_PATCH_HEAD_SIZE] = {GNUT_QRP_VARIANT_PATCH, patch->seq_no,
	                                       patch->seq_size, patch->compressor,
	                                       patch->entry_bits};
	g_byte_array_append(out, b, sizeof b);
	g_byte_array_append(out, patch->data.data, (guint)patch->data.len);
}
