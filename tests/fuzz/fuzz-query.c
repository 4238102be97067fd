/* fuzz-query.c: query payload decoding of arbitrary bytes; whatever decodes
 * must re-encode, decode again to the same fields and yield the same URNs. */
#include "fuzz.h"
#include "gnut/proto/query.h"

#include <stdlib.h>
#include <string.h>

static bool same_slice(const gnut_slice *a, const gnut_slice *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Why no byte comparison with the input: separators and ignored items are
 * not kept, so only the decoded fields must survive a round trip. */
static bool same_query(const gnut_query *a, const gnut_query *b)
{
	if (a->flags != b->flags || a->text_len != b->text_len ||
	    memcmp(a->text, b->text, a->text_len) != 0 || a->n_urns != b->n_urns ||
	    a->n_ggep != b->n_ggep || !same_slice(&a->xml, &b->xml))
		return false;
	for (unsigned i = 0; i < a->n_urns; i++)
		if (!same_slice(&a->urns[i], &b->urns[i]))
			return false;
	for (unsigned i = 0; i < a->n_ggep; i++)
		if (!same_slice(&a->ggep[i], &b->ggep[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_query q;
	if (gnut_query_decode(data, size, &q) != GNUT_PROTO_OK)
		return 0;
	gnut_urn urns[GNUT_QUERY_MAX_URNS + GNUT_QUERY_MAX_GGEP];
	unsigned n = gnut_query_sha1s(&q, urns, G_N_ELEMENTS(urns));
	GByteArray *out = g_byte_array_new();
	gnut_proto_err err = gnut_query_encode(out, &q);
	if (err == GNUT_PROTO_ERR_TOO_LARGE) { /* adjacent blocks gain separators */
		g_byte_array_unref(out);
		return 0;
	}
	gnut_query back;
	if (err != GNUT_PROTO_OK ||
	    gnut_query_decode(out->data, out->len, &back) != GNUT_PROTO_OK ||
	    !same_query(&q, &back))
		abort();
	gnut_urn again[G_N_ELEMENTS(urns)];
	if (gnut_query_sha1s(&back, again, G_N_ELEMENTS(again)) != n ||
	    (n > 0 && memcmp(urns, again, n * sizeof urns[0]) != 0))
		abort();
	g_byte_array_unref(out);
	return 0;
}
