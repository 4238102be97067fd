/* guid.c: GUID generation from the kernel's random source, hex forms and hashing. */
#include "gnut/proto/guid.h"

#include <string.h>
#include <sys/random.h>

void gnut_guid_generate(gnut_guid *out)
{
	size_t got = 0;
	while (got < GNUT_GUID_LEN) {
		ssize_t n = getrandom(out->bytes + got, GNUT_GUID_LEN - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	out->bytes[8] = 0xff;
	out->bytes[15] = 0x00;
}

void gnut_guid_to_hex(const gnut_guid *g, char out[GNUT_GUID_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < GNUT_GUID_LEN; i++) {
		out[2 * i] = digits[g->bytes[i] >> 4];
		out[2 * i + 1] = digits[g->bytes[i] & 0x0f];
	}
	out[GNUT_GUID_HEX_LEN] = '\0';
}

bool gnut_guid_from_hex(const char *hex, size_t len, gnut_guid *out)
{
	if (len != GNUT_GUID_HEX_LEN)
		return false;
	for (int i = 0; i < GNUT_GUID_LEN; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out->bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool gnut_guid_is_zero(const gnut_guid *g)
{
	static const gnut_guid zero;
	return memcmp(g->bytes, zero.bytes, GNUT_GUID_LEN) == 0;
}

guint gnut_guid_hash(gconstpointer key)
{
	const uint8_t *b = ((const gnut_guid *)key)->bytes;
	/* The bytes are random already: fold them. */
	guint h = 0;
	for (int i = 0; i < GNUT_GUID_LEN; i += 4)
		h ^= (guint)b[i] | (guint)b[i + 1] << 8 | (guint)b[i + 2] << 16 |
		     (guint)b[i + 3] << 24;
	return h;
}

gboolean gnut_guid_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, GNUT_GUID_LEN) == 0;
}
