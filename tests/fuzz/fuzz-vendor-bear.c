/* fuzz-vendor-bear.c: the Hops Flow, Query Status Request and Response decoders on
 * arbitrary bytes; whatever decodes is encoded again and must decode to the
 * same value (byte for byte for a version 1 message, the only one we write). */
#include "fuzz.h"
#include "gnut/proto/vendor-bear.h"

#include <stdlib.h>
#include <string.h>

static void check_request(const uint8_t *data, size_t size)
{
	if (gnut_bear_qstat_req_decode(data, size) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_bear_qstat_req_encode(out);
	if (gnut_bear_qstat_req_decode(out->data, out->len) != GNUT_PROTO_OK)
		abort();
	if (gnut_peek_le16(data + 6) == GNUT_BEAR_QSTAT_VERSION &&
	    (out->len != size || memcmp(out->data, data, size) != 0))
		abort();
	g_byte_array_unref(out);
}

static void check_reply(const uint8_t *data, size_t size)
{
	uint16_t kept = 0;
	if (gnut_bear_qstat_reply_decode(data, size, &kept) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_bear_qstat_reply_encode(out, kept);
	uint16_t again = 0;
	if (gnut_bear_qstat_reply_decode(out->data, out->len, &again) != GNUT_PROTO_OK ||
	    again != kept)
		abort();
	if (gnut_peek_le16(data + 6) == GNUT_BEAR_QSTAT_VERSION &&
	    (out->len != size || memcmp(out->data, data, size) != 0))
		abort();
	g_byte_array_unref(out);
}

static void check_hops_flow(const uint8_t *data, size_t size)
{
	uint8_t hops = 0;
	if (gnut_bear_hops_flow_decode(data, size, &hops) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_bear_hops_flow_encode(out, hops);
	uint8_t again = 0;
	if (gnut_bear_hops_flow_decode(out->data, out->len, &again) != GNUT_PROTO_OK ||
	    again != hops)
		abort();
	if (gnut_peek_le16(data + 6) == GNUT_BEAR_QSTAT_VERSION &&
	    (out->len != size || memcmp(out->data, data, size) != 0))
		abort();
	g_byte_array_unref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_reply(data, size);
	check_hops_flow(data, size);
	return 0;
}
