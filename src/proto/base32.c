/* base32.c: RFC 4648 base32 encoder and a strict decoder. */
#include "gnut/proto/base32.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t gnut_base32_encoded_len(size_t n, bool pad)
{
	if (pad)
		return (n + 4) / 5 * 8;
	return (n * 8 + 4) / 5;
}

void gnut_base32_encode(const uint8_t *in, size_t n, bool pad, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 0x1f];
	if (pad)
		while (o % 8 != 0)
			out[o++] = '=';
	out[o] = '\0';
}

/* Value of one base32 character, or -1 when it is not in the alphabet. */
static int base32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* True when an unpadded group of rem characters (rem = len % 8) can end a
 * base32 string: 2, 4, 5 and 7 characters carry 1 to 4 whole bytes. */
static bool valid_tail(size_t rem)
{
	return rem == 0 || rem == 2 || rem == 4 || rem == 5 || rem == 7;
}

gnut_proto_err gnut_base32_decode(const char *in, size_t len, uint8_t *out, size_t out_cap,
                                  size_t *out_len)
{
	size_t data_len = len;
	while (data_len > 0 && in[data_len - 1] == '=')
		data_len--;
	if (data_len != len && (len % 8 != 0 || len - data_len > 6))
		return GNUT_PROTO_ERR_MALFORMED;
	if (!valid_tail(data_len % 8))
		return GNUT_PROTO_ERR_MALFORMED;
	if (data_len * 5 / 8 > out_cap)
		return GNUT_PROTO_ERR_TOO_LARGE;

	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < data_len; i++) {
		int v = base32_value(in[i]);
		if (v < 0)
			return GNUT_PROTO_ERR_MALFORMED;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	*out_len = o;
	return GNUT_PROTO_OK;
}
