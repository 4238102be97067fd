/* fuzz-qhit.c: query hit payload decoding of arbitrary bytes, URN
 * extraction from every result, and the round trip of whatever decodes and
 * re-encodes. */
#include "fuzz.h"
#include "gnut/proto/qhit.h"

#include <stdlib.h>
#include <string.h>

static bool same_slice(const gnut_slice *a, const gnut_slice *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool same_results(const gnut_qhit *a, const gnut_qhit *b)
{
	if (a->n_results != b->n_results)
		return false;
	for (unsigned i = 0; i < a->n_results; i++) {
		const gnut_qhit_result *x = &a->results[i], *y = &b->results[i];
		if (x->index != y->index || x->size != y->size || x->name_len != y->name_len ||
		    (x->name_len > 0 && memcmp(x->name, y->name, x->name_len) != 0) ||
		    !same_slice(&x->ext, &y->ext))
			return false;
	}
	return true;
}

/* Our encoder writes its own open data, so only the flags it keeps (all but
 * GGEP, which follows the private area) are compared. */
static bool same_hit(const gnut_qhit *a, const gnut_qhit *b)
{
	unsigned keep = GNUT_QHIT_F_ALL & ~(unsigned)GNUT_QHIT_F_GGEP;
	return a->port == b->port && a->ipv4 == b->ipv4 && a->speed == b->speed &&
	       same_results(a, b) && b->has_trailer &&
	       memcmp(a->vendor, b->vendor, GNUT_QHIT_VENDOR_LEN) == 0 &&
	       (a->flags_valid & keep) == (b->flags_valid & keep) &&
	       (a->flags & keep) == (b->flags & keep) &&
	       same_slice(&a->private_area, &b->private_area) &&
	       memcmp(&a->servent, &b->servent, sizeof a->servent) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_qhit h;
	if (gnut_qhit_decode(data, size, &h) != GNUT_PROTO_OK) {
		if (h.results != NULL || h.n_results != 0)
			abort();
		return 0;
	}
	for (unsigned i = 0; i < h.n_results; i++) {
		gnut_urn u;
		if (gnut_qhit_result_urn(&h.results[i], &u) && !u.has_sha1)
			abort();
	}
	GByteArray *out = g_byte_array_new();
	if (gnut_qhit_encode(out, &h) == GNUT_PROTO_OK) {
		gnut_qhit back;
		if (gnut_qhit_decode(out->data, out->len, &back) != GNUT_PROTO_OK ||
		    !same_hit(&h, &back))
			abort();
		gnut_qhit_clear(&back);
	}
	g_byte_array_unref(out);
	gnut_qhit_clear(&h);
	return 0;
}
