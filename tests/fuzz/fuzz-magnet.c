/* fuzz-magnet.c: magnet parsing of arbitrary text; whatever parses is
 * formatted and parsed again and must give the same fields. */
#include "fuzz.h"
#include "gnut/proto/magnet.h"

#include <stdlib.h>
#include <string.h>

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void same_or_abort(const gnut_magnet *a, const gnut_magnet *b)
{
	if (a->xt_count != b->xt_count || a->xs_count != b->xs_count ||
	    a->as_count != b->as_count || a->has_xl != b->has_xl || a->xl != b->xl ||
	    !same_str(a->dn, b->dn))
		abort();
	if (memcmp(a->xt, b->xt, a->xt_count * sizeof a->xt[0]) != 0)
		abort();
	for (unsigned i = 0; i < a->xs_count; i++)
		if (!same_str(a->xs[i], b->xs[i]))
			abort();
	for (unsigned i = 0; i < a->as_count; i++)
		if (!same_str(a->as[i], b->as[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_magnet m;
	if (gnut_magnet_parse((const char *)data, size, &m) != GNUT_PROTO_OK)
		return 0;
	GString *text = g_string_new(NULL);
	gnut_magnet_format(&m, text);
	gnut_magnet again;
	gnut_proto_err err = gnut_magnet_parse(text->str, text->len, &again);
	/* escaping can push a URI near the cap over it; nothing else may fail */
	if (err == GNUT_PROTO_ERR_TOO_LARGE && text->len > GNUT_MAGNET_MAX_URI) {
		gnut_magnet_clear(&m);
		g_string_free(text, TRUE);
		return 0;
	}
	if (err != GNUT_PROTO_OK)
		abort();
	same_or_abort(&m, &again);
	gnut_magnet_clear(&again);
	gnut_magnet_clear(&m);
	g_string_free(text, TRUE);
	return 0;
}
