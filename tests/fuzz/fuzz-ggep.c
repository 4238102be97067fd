/* fuzz-ggep.c: GGEP block decoding of arbitrary bytes. Whatever decodes is
 * re-encoded (plain, then COBS + deflate) and must decode to the same
 * extensions; any "H" found goes through the H payload decoder. */
#include "fuzz.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/urn.h"

#include <stdlib.h>
#include <string.h>

static void same_or_abort(const gnut_ggep *a, const gnut_ggep *b)
{
	if (a->count != b->count)
		abort();
	for (unsigned i = 0; i < a->count; i++)
		if (strcmp(a->ext[i].id, b->ext[i].id) != 0 || a->ext[i].len != b->ext[i].len ||
		    memcmp(a->ext[i].data, b->ext[i].data, a->ext[i].len) != 0)
			abort();
}

static void reencode(const gnut_ggep *g, unsigned flags)
{
	gnut_ggep_item items[GNUT_GGEP_MAX_EXTENSIONS];
	for (unsigned i = 0; i < g->count; i++)
		items[i] = (gnut_ggep_item){g->ext[i].id, g->ext[i].data, g->ext[i].len, flags};
	GByteArray *out = g_byte_array_new();
	if (gnut_ggep_encode(items, g->count, out) != GNUT_PROTO_OK)
		abort();
	gnut_ggep again;
	size_t used = 0;
	if (gnut_ggep_decode(out->data, out->len, &again, &used) != GNUT_PROTO_OK ||
	    used != out->len)
		abort();
	same_or_abort(g, &again);
	gnut_ggep_clear(&again);
	g_byte_array_unref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(data, size, &g, &used) != GNUT_PROTO_OK)
		return 0;
	if (used > size || g.count == 0)
		abort();
	reencode(&g, 0);
	reencode(&g, GNUT_GGEP_COBS | GNUT_GGEP_DEFLATE);
	const gnut_ggep_ext *h = gnut_ggep_find(&g, "H");
	gnut_urn urn;
	if (h != NULL && gnut_ggep_h_decode(h->data, h->len, &urn) == GNUT_PROTO_OK) {
		GByteArray *back = g_byte_array_new();
		if (gnut_ggep_h_encode(&urn, back) != GNUT_PROTO_OK || back->len != h->len ||
		    memcmp(back->data, h->data, h->len) != 0)
			abort();
		g_byte_array_unref(back);
	}
	gnut_ggep_clear(&g);
	return 0;
}
