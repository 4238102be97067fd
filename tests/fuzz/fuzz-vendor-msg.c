/* fuzz-vendor-msg.c: vendor message decoding of arbitrary bytes, its round
 * trip, and the Messages Supported list decoded from the message data. */
#include "fuzz.h"
#include "gnut/proto/vendor-msg.h"

#include <stdlib.h>
#include <string.h>

/* Reads every entry of s and checks that encoding them gives back the
 * bytes they were read from. */
static void check_supported(const uint8_t *data, const gnut_vmsg_supported *s)
{
	gnut_vmsg_entry *entries = g_new0(gnut_vmsg_entry, s->count + 1);
	for (size_t i = 0; i < s->count; i++)
		if (!gnut_vmsg_supported_get(s, i, &entries[i]))
			abort();
	if (gnut_vmsg_supported_get(s, s->count, &entries[s->count]))
		abort();
	GByteArray *out = g_byte_array_new();
	gnut_vmsg_supported_encode(out, entries, s->count);
	size_t expect = 2 + (size_t)s->count * GNUT_VMSG_ENTRY_LEN;
	if (out->len != expect || memcmp(out->data, data, expect) != 0)
		abort();
	g_byte_array_unref(out);
	g_free(entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_vendor_msg m;
	if (gnut_vendor_msg_decode(data, size, &m) != GNUT_PROTO_OK)
		return 0;
	GByteArray *out = g_byte_array_new();
	gnut_vendor_msg_encode(out, &m);
	if (out->len != size || memcmp(out->data, data, size) != 0)
		abort();
	g_byte_array_unref(out);

	/* decode the data as a list whatever the selector, to reach that code */
	gnut_vmsg_supported s;
	if (gnut_vmsg_supported_decode(m.data.data, m.data.len, &s) == GNUT_PROTO_OK)
		check_supported(m.data.data, &s);
	return 0;
}
