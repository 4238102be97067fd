/* fuzz-base32.c: base32 decoding of arbitrary text, and the round trip of
 * whatever decodes. */
#include "fuzz.h"
#include "gnut/proto/base32.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[256];
	size_t out_len = 0;
	if (gnut_base32_decode((const char *)data, size, out, sizeof out, &out_len) !=
	    GNUT_PROTO_OK)
		return 0;
	char text[512];
	gnut_base32_encode(out, out_len, false, text);
	uint8_t again[256];
	size_t again_len = 0;
	if (gnut_base32_decode(text, strlen(text), again, sizeof again, &again_len) !=
	        GNUT_PROTO_OK ||
	    again_len != out_len || memcmp(out, again, out_len) != 0)
		abort();
	return 0;
}
