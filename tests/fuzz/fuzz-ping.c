/* fuzz-ping.c: ping payload decoding of arbitrary bytes; a GGEP-looking
 * payload must encode back to the same bytes. */
#include "fuzz.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/ping.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_ping p;
	if (gnut_ping_decode(data, size, &p) != GNUT_PROTO_OK)
		return 0;
	if (p.ggep.len + p.legacy.len != size || (p.ggep.len > 0 && p.legacy.len > 0))
		abort();
	if (p.legacy.len > 0)
		return 0;
	GByteArray *out = g_byte_array_new();
	gnut_ping_encode(out, p.ggep.data, p.ggep.len);
	if (out->len != size || (size > 0 && memcmp(out->data, data, size) != 0))
		abort();
	g_byte_array_unref(out);
	return 0;
}
