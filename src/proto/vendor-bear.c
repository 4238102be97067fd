/* vendor-bear.c: the Hops Flow (BEAR/4), Query Status Request (BEAR/11) and
 * Response (BEAR/12) payload codecs of vendor-bear.h, on top of the generic
 * vendor message. All three are at version 1. */
#include "gnut/proto/vendor-bear.h"

#include <string.h>

/* Decodes the vendor head of buf and checks it names BEAR/selector with a
 * version we read; the message's data is left in *m. The length checks
 * specific to each message are the caller's. */
static gnut_proto_err bear_head_decode(const uint8_t *buf, size_t len, uint16_t selector,
                                       gnut_vendor_msg *m)
{
	return gnut_vendor_msg_decode_as(buf, len, GNUT_BEAR_VENDOR, selector,
	                                 GNUT_BEAR_QSTAT_VERSION, m);
}

/* Appends a BEAR vendor message of version 1 with data[0..len). */
static void bear_encode(GByteArray *out, uint16_t selector, const uint8_t *data, size_t len)
{
	gnut_vendor_msg_encode_as(out, GNUT_BEAR_VENDOR, selector, GNUT_BEAR_QSTAT_VERSION, data,
	                          len);
}

void gnut_bear_hops_flow_encode(GByteArray *out, uint8_t hops)
{
	bear_encode(out, GNUT_BEAR_SEL_HOPS_FLOW, &hops, 1);
}

gnut_proto_err gnut_bear_hops_flow_decode(const uint8_t *buf, size_t len, uint8_t *hops)
{
	gnut_vendor_msg m;
	gnut_proto_err err = bear_head_decode(buf, len, GNUT_BEAR_SEL_HOPS_FLOW, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.data.len < 1)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (m.version == GNUT_BEAR_QSTAT_VERSION && m.data.len != 1)
		return GNUT_PROTO_ERR_TRAILING;
	*hops = m.data.data[0];
	return GNUT_PROTO_OK;
}

void gnut_bear_qstat_req_encode(GByteArray *out)
{
	bear_encode(out, GNUT_BEAR_SEL_QSTAT_REQ, NULL, 0);
}

gnut_proto_err gnut_bear_qstat_req_decode(const uint8_t *buf, size_t len)
{
	gnut_vendor_msg m;
	gnut_proto_err err = bear_head_decode(buf, len, GNUT_BEAR_SEL_QSTAT_REQ, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.version == GNUT_BEAR_QSTAT_VERSION && m.data.len != 0)
		return GNUT_PROTO_ERR_TRAILING;
	return GNUT_PROTO_OK;
}

void gnut_bear_qstat_reply_encode(GByteArray *out, uint16_t kept)
{
	uint8_t data[2];
	gnut_poke_le16(data, kept);
	bear_encode(out, GNUT_BEAR_SEL_QSTAT_REPLY, data, sizeof data);
}

gnut_proto_err gnut_bear_qstat_reply_decode(const uint8_t *buf, size_t len, uint16_t *kept)
{
	gnut_vendor_msg m;
	gnut_proto_err err = bear_head_decode(buf, len, GNUT_BEAR_SEL_QSTAT_REPLY, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.data.len < 2)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (m.version == GNUT_BEAR_QSTAT_VERSION && m.data.len != 2)
		return GNUT_PROTO_ERR_TRAILING;
	*kept = gnut_peek_le16(m.data.data);
	return GNUT_PROTO_OK;
}
