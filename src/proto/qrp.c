/* qrp.c: the QRP keyword hash, exactly as Appendix A of doc/gnutella/QRP. */
#include "gnut/proto/qrp.h"

#include <glib.h>

uint32_t gnut_qrp_hashcode(const char *kw, size_t len)
{
	uint32_t fold = 0;
	for (size_t i = 0; i < len; i++) {
		uint32_t b = (uint8_t)kw[i];
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		fold ^= b << (8 * (i & 3));
	}
	return fold * GNUT_QRP_HASH_A;
}

/* The spec keeps bits 31-b+1..31 of the 64-bit product: the top b bits of
 * its low 32-bit half. A shift by 32 is undefined in C, hence bits == 0. */
uint32_t gnut_qrp_hash_restrict(uint32_t hashcode, unsigned bits)
{
	g_return_val_if_fail(bits <= 32, 0);
	if (bits == 0)
		return 0;
	return hashcode >> (32 - bits);
}

uint32_t gnut_qrp_hash(const char *kw, size_t len, unsigned bits)
{
	return gnut_qrp_hash_restrict(gnut_qrp_hashcode(kw, len), bits);
}
