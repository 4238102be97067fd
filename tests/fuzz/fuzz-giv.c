/* fuzz-giv.c: GIV parsing and block scanning of arbitrary bytes, and the
 * round trip of whatever parses (format, scan, parse again: same fields). */
#include "fuzz.h"
#include "gnut/proto/giv.h"

#include <stdlib.h>
#include <string.h>

/* A parsed line, formatted and read back, gives the same index, GUID and
 * name, as one block that scan measures to the end. */
static void check_round_trip(const gnut_giv *giv)
{
	char *name = g_strndup(giv->name, giv->name_len);
	GByteArray *out = g_byte_array_new();
	gnut_giv_format(out, giv->index, &giv->servent, name);
	size_t block_len = 0;
	gnut_giv back;
	if (gnut_giv_scan(out->data, out->len, &block_len) != GNUT_PROTO_OK ||
	    block_len != out->len ||
	    gnut_giv_parse_block(out->data, out->len, &back) != GNUT_PROTO_OK ||
	    back.index != giv->index ||
	    memcmp(back.servent.bytes, giv->servent.bytes, GNUT_GUID_LEN) != 0 ||
	    back.name_len != giv->name_len || memcmp(back.name, name, back.name_len) != 0)
		abort();
	g_byte_array_unref(out);
	g_free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_giv giv;
	if (gnut_giv_parse((const char *)data, size, &giv) == GNUT_PROTO_OK) {
		if (size > GNUT_GIV_MAX_LINE || giv.name < (const char *)data ||
		    giv.name + giv.name_len != (const char *)data + size)
			abort();
		check_round_trip(&giv);
	}

	size_t block_len = 0;
	gnut_proto_err err = gnut_giv_scan(data, size, &block_len);
	if (err == GNUT_PROTO_OK) {
		if (block_len < 2 || block_len > size || data[block_len - 1] != '\n')
			abort();
		if (gnut_giv_parse_block(data, block_len, &giv) == GNUT_PROTO_OK &&
		    (giv.name < (const char *)data ||
		     giv.name + giv.name_len > (const char *)data + block_len))
			abort();
	} else if (err != GNUT_PROTO_ERR_TRUNCATED && err != GNUT_PROTO_ERR_TOO_LARGE &&
	           err != GNUT_PROTO_ERR_MALFORMED) {
		abort();
	}
	return 0;
}
