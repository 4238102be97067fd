/* fuzz-push.c: push payload decoding of arbitrary bytes, and the round trip
 * of whatever decodes (non-GGEP trailing bytes are not re-encoded). */
#include "fuzz.h"
#include "gnut/proto/push.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_push p;
	if (gnut_push_decode(data, size, &p) != GNUT_PROTO_OK)
		return 0;
	if (p.ggep.len + p.legacy.len != size - GNUT_PUSH_LEN)
		abort();
	GByteArray *out = g_byte_array_new();
	gnut_push_encode(out, &p);
	size_t expect = GNUT_PUSH_LEN + p.ggep.len;
	if (out->len != expect || memcmp(out->data, data, expect) != 0)
		abort();
	g_byte_array_unref(out);
	return 0;
}
