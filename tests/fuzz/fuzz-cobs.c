/* fuzz-cobs.c: COBS decoding of arbitrary bytes (what decodes must survive
 * encode + decode unchanged), and encoding of the raw input, which must
 * hold no 0x00 and decode back to the input. */
#include "fuzz.h"
#include "gnut/proto/cobs.h"

#include <stdlib.h>
#include <string.h>

static void round_trip_or_abort(const uint8_t *plain, size_t n)
{
	GByteArray *enc = g_byte_array_new();
	gnut_cobs_encode(plain, n, enc);
	if (enc->len > gnut_cobs_encoded_max(n) || memchr(enc->data, 0, enc->len) != NULL)
		abort();
	uint8_t *back = g_malloc(n + 1);
	size_t back_len = 0;
	if (gnut_cobs_decode(enc->data, enc->len, back, n, &back_len) != GNUT_PROTO_OK ||
	    back_len != n || (n > 0 && memcmp(back, plain, n) != 0))
		abort();
	g_free(back);
	g_byte_array_unref(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip_or_abort(data, size);
	uint8_t *plain = g_malloc(size + 1);
	size_t plain_len = 0;
	if (gnut_cobs_decode(data, size, plain, size, &plain_len) == GNUT_PROTO_OK) {
		if (plain_len >= size)
			abort(); /* COBS always adds at least one byte */
		round_trip_or_abort(plain, plain_len);
	}
	g_free(plain);
	return 0;
}
