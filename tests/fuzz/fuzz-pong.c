/* fuzz-pong.c: pong payload decoding of arbitrary bytes, the round trip of
 * whatever decodes (non-GGEP trailing bytes are not re-encoded), and the
 * look-up of GGEP TLS in its GGEP block. */
#include "fuzz.h"
#include "gnut/proto/pong.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_pong p;
	if (gnut_pong_decode(data, size, &p) != GNUT_PROTO_OK)
		return 0;
	if (p.ggep.len + p.legacy.len != size - GNUT_PONG_LEN)
		abort();
	if (gnut_pong_ggep_has(&p, "TLS") && p.ggep.len < 5) /* flags, "TLS", length */
		abort();
	GByteArray *out = g_byte_array_new();
	gnut_pong_encode(out, &p);
	size_t expect = GNUT_PONG_LEN + p.ggep.len;
	if (out->len != expect || memcmp(out->data, data, expect) != 0)
		abort();
	g_byte_array_unref(out);
	return 0;
}
