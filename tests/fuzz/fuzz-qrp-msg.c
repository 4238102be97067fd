/* fuzz-qrp-msg.c: QRP RESET / PATCH payload decoding of arbitrary bytes;
 * whatever decodes must encode back into exactly the same bytes. */
#include "fuzz.h"
#include "gnut/proto/qrp-msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_qrp_msg m;
	if (gnut_qrp_msg_decode(data, size, &m) != GNUT_PROTO_OK)
		return 0;
	GByteArray *out = g_byte_array_new();
	if (m.variant == GNUT_QRP_VARIANT_RESET) {
		gnut_qrp_reset_encode(&m.u.reset, out);
	} else {
		const gnut_qrp_patch *p = &m.u.patch;
		if (p->data.data != data + GNUT_QRP_PATCH_HEAD_SIZE || p->data.len == 0)
			abort();
		gnut_qrp_patch_encode(p, out);
	}
	if (out->len != size || memcmp(out->data, data, size) != 0)
		abort();
	g_byte_array_unref(out);
	return 0;
}
