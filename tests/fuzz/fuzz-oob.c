/* fuzz-oob.c: the LIME/12 and LIME/11 decoders and the "SO" token finder on
 * arbitrary bytes; whatever decodes is encoded again and must decode to the
 * same value (byte for byte for a version 3 Reply Number, the one we
 * write). */
#include "fuzz.h"
#include "gnut/proto/oob.h"

#include <stdlib.h>
#include <string.h>

static void check_reply(const uint8_t *data, size_t size)
{
	gnut_oob_reply r;
	if (gnut_oob_reply_decode(data, size, &r) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_oob_reply_encode(out, r.hits, r.unsolicited);
	gnut_oob_reply again;
	if (gnut_oob_reply_decode(out->data, out->len, &again) != GNUT_PROTO_OK ||
	    again.hits != r.hits || again.unsolicited != r.unsolicited)
		abort();
	if (r.version == GNUT_OOB_VERSION && size == out->len && data[9] <= 1 &&
	    memcmp(out->data, data, size) != 0)
		abort();
	g_byte_array_unref(out);
}

static void check_claim(const uint8_t *data, size_t size)
{
	gnut_oob_claim c;
	if (gnut_oob_claim_decode(data, size, &c) != GNUT_PROTO_OK)
		return;
	if (c.version == GNUT_OOB_OLDEST_VERSION) {
		if (c.token_len != 0)
			abort();
		return;
	}
	GByteArray *out = g_byte_array_new();
	if (gnut_oob_claim_encode(out, c.wanted, c.token, c.token_len) != GNUT_PROTO_OK)
		abort();
	gnut_oob_claim again;
	if (gnut_oob_claim_decode(out->data, out->len, &again) != GNUT_PROTO_OK ||
	    again.wanted != c.wanted || again.token_len != c.token_len ||
	    memcmp(again.token, c.token, c.token_len) != 0)
		abort();
	g_byte_array_unref(out);
}

static void check_token(const uint8_t *data, size_t size)
{
	uint8_t token[GNUT_OOB_TOKEN_MAX];
	size_t len = 0;
	if (gnut_oob_token_find((gnut_slice){data, size}, token, &len) && len > GNUT_OOB_TOKEN_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size);
	check_claim(data, size);
	check_token(data, size);
	return 0;
}
