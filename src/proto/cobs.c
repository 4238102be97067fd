/* cobs.c: Consistent Overhead Byte Stuffing, after Listings 1 and 2 of the
 * Cheshire & Baker paper. Each block is a code byte n (1..255) followed by
 * n - 1 non-zero bytes; a code below 255 stands for a 0x00 after its bytes,
 * except at the very end, where that zero is the phantom one the encoder
 * appended to the input. */
#include "gnut/proto/cobs.h"

size_t gnut_cobs_encoded_max(size_t n)
{
	return n + n / 254 + 1;
}

void gnut_cobs_encode(const uint8_t *in, size_t n, GByteArray *out)
{
	const uint8_t zero = 0;
	guint code_at = out->len;
	uint8_t code = 1;
	uint8_t last_code = 0;

	g_byte_array_append(out, &zero, 1); /* placeholder for the first code */
	for (size_t i = 0; i < n; i++) {
		if (in[i] != 0) {
			g_byte_array_append(out, &in[i], 1);
			code++;
		}
		if (in[i] == 0 || code == 0xff) {
			out->data[code_at] = last_code = code;
			code_at = out->len;
			code = 1;
			g_byte_array_append(out, &zero, 1);
		}
	}
	/* A full 254-byte block ending the input needs no closing code: the
	 * decoder adds no zero after a 0xff block. */
	if (last_code == 0xff && code == 1)
		g_byte_array_set_size(out, code_at);
	else
		out->data[code_at] = code;
}

gnut_proto_err gnut_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
	size_t i = 0;
	size_t o = 0;

	if (n == 0)
		return GNUT_PROTO_ERR_MALFORMED; /* even empty data encodes as 0x01 */
	while (i < n) {
		uint8_t code = in[i++];
		if (code == 0)
			return GNUT_PROTO_ERR_MALFORMED;
		size_t run = (size_t)code - 1;
		if (run > n - i)
			return GNUT_PROTO_ERR_MALFORMED;
		if (run > out_cap - o)
			return GNUT_PROTO_ERR_TOO_LARGE;
		for (size_t k = 0; k < run; k++) {
			if (in[i + k] == 0)
				return GNUT_PROTO_ERR_MALFORMED;
			out[o++] = in[i + k];
		}
		i += run;
		if (code != 0xff && i < n) {
			if (o == out_cap)
				return GNUT_PROTO_ERR_TOO_LARGE;
			out[o++] = 0;
		}
	}
	*out_len = o;
	return GNUT_PROTO_OK;
}
