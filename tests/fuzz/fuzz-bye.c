/* fuzz-bye.c: bye payload decoding of arbitrary bytes: the reason and its
 * parts must lie inside the input, and a well-formed bye (code, reason, NUL
 * and nothing after) must encode back to the same bytes. */
#include "fuzz.h"
#include "gnut/proto/bye.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_bye b;
	if (gnut_bye_decode(data, size, &b) != GNUT_PROTO_OK)
		return 0;
	const char *start = (const char *)data;
	if (b.reason < start || b.reason + b.reason_len > start + size ||
	    b.reason_len > GNUT_BYE_MAX_REASON || b.line_len > b.reason_len ||
	    b.headers + b.headers_len != b.reason + b.reason_len ||
	    memchr(b.reason, '\0', b.reason_len) != NULL)
		abort();
	size_t whole = (size_t)(b.reason - start) + b.reason_len + 1;
	if (!b.has_code || !b.nul_terminated || whole != size)
		return 0;
	char *reason = g_strndup(b.reason, b.reason_len);
	GByteArray *out = g_byte_array_new();
	gnut_bye_encode(out, b.code, reason);
	if (out->len != size || memcmp(out->data, data, size) != 0)
		abort();
	g_byte_array_unref(out);
	g_free(reason);
	return 0;
}
