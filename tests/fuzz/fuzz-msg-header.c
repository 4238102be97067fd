/* fuzz-msg-header.c: message header decoding of arbitrary bytes, and the
 * round trip of whatever decodes. */
#include "fuzz.h"
#include "gnut/proto/msg-header.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_msg_header h;
	if (gnut_msg_header_decode(data, size, GNUT_MSG_MAX_PAYLOAD, &h) != GNUT_PROTO_OK)
		return 0;
	if (size < GNUT_MSG_HEADER_LEN || h.length > GNUT_MSG_MAX_PAYLOAD ||
	    gnut_msg_type_name(h.type) == NULL)
		abort();
	uint8_t out[GNUT_MSG_HEADER_LEN];
	gnut_msg_header_encode(&h, out);
	if (memcmp(out, data, GNUT_MSG_HEADER_LEN) != 0)
		abort();
	return 0;
}
