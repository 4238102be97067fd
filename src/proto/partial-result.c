/* partial-result.c: the partial-file markers of queries and query hits
 * (partial-result.h): GGEP "PR" in a query, GGEP "PRU" in a result. */
#include "gnut/proto/partial-result.h"

#include <string.h>

#include "gnut/proto/ggep.h"

#define PRU_TIME_LEN 4

size_t gnut_pru_encode(const gnut_pru *pru, uint8_t out[GNUT_PRU_MAX_LEN])
{
	out[0] = (uint8_t)(pru->mtime >> 24);
	out[1] = (uint8_t)(pru->mtime >> 16);
	out[2] = (uint8_t)(pru->mtime >> 8);
	out[3] = (uint8_t)pru->mtime;
	size_t n = PRU_TIME_LEN;
	for (uint64_t v = pru->available; v != 0; v >>= 8)
		out[n++] = (uint8_t)(v & 0xff);
	return n;
}

gnut_proto_err gnut_pru_decode(const uint8_t *buf, size_t len, gnut_pru *out)
{
	memset(out, 0, sizeof *out);
	if (len == 0)
		return GNUT_PROTO_OK;
	if (len < PRU_TIME_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > GNUT_PRU_MAX_LEN)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (len > PRU_TIME_LEN && buf[len - 1] == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	out->has_info = true;
	out->mtime =
	    (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	for (size_t i = len; i-- > PRU_TIME_LEN;)
		out->available = out->available << 8 | buf[i];
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_pru_ext_append(GByteArray *ext, const gnut_pru *pru)
{
	uint8_t payload[GNUT_PRU_MAX_LEN];
	size_t len = gnut_pru_encode(pru, payload);
	bool has_nul = memchr(payload, 0, len) != NULL;
	gnut_ggep_item item = {GNUT_PARTIAL_GGEP_RESULT, payload, len,
	                       has_nul ? GNUT_GGEP_COBS : 0};
	g_autoptr(GByteArray) block = g_byte_array_new();
	gnut_proto_err err = gnut_ggep_encode(&item, 1, block);
	if (err != GNUT_PROTO_OK)
		return err;
	static const uint8_t sep = 0x1C;
	if (ext->len > 0)
		g_byte_array_append(ext, &sep, 1);
	g_byte_array_append(ext, block->data, block->len);
	return GNUT_PROTO_OK;
}

/* Whether the GGEP block block holds id; with out, also decodes it as
 * "PRU" (false when that payload does not decode). */
static bool block_has(gnut_slice block, const char *id, gnut_pru *out)
{
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(block.data, block.len, &g, &used) != GNUT_PROTO_OK)
		return false;
	const gnut_ggep_ext *e = gnut_ggep_find(&g, id);
	bool found =
	    e != NULL && (out == NULL || gnut_pru_decode(e->data, e->len, out) == GNUT_PROTO_OK);
	gnut_ggep_clear(&g);
	return found;
}

bool gnut_pru_ext_find(gnut_slice ext, gnut_pru *out)
{
	size_t pos = 0;
	gnut_ext_item item;
	while (gnut_ext_next(ext.data, ext.len, &pos, &item) == GNUT_PROTO_OK)
		if (item.kind == GNUT_EXT_GGEP &&
		    block_has(item.data, GNUT_PARTIAL_GGEP_RESULT, out))
			return true;
	return false;
}

bool gnut_query_wants_partials(const gnut_query *q)
{
	for (unsigned i = 0; i < q->n_ggep; i++)
		if (block_has(q->ggep[i], GNUT_PARTIAL_GGEP_WANTED, NULL))
			return true;
	return false;
}
