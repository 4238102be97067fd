/* fuzz-x-queued.c: the X-Queued parser on arbitrary bytes; what parses is
 * formatted again and must parse to the same fields. */
#include "fuzz.h"
#include "gnut/proto/x-queued.h"

#include <stdlib.h>
#include <string.h>

static bool same(const gnut_x_queued *a, const gnut_x_queued *b)
{
	return a->has_position == b->has_position && a->has_length == b->has_length &&
	       a->has_eta == b->has_eta && a->has_lifetime == b->has_lifetime &&
	       (!a->has_position || a->position == b->position) &&
	       (!a->has_length || a->length == b->length) &&
	       (!a->has_eta || a->eta_s == b->eta_s) &&
	       (!a->has_lifetime || a->lifetime_s == b->lifetime_s) && strcmp(a->id, b->id) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_x_queued q, again;
	if (gnut_x_queued_parse((const char *)data, size, &q) != GNUT_PROTO_OK)
		return 0;
	GString *out = g_string_new(NULL);
	gnut_x_queued_format(out, &q);
	if (gnut_x_queued_parse(out->str, out->len, &again) != GNUT_PROTO_OK || !same(&q, &again))
		abort();
	g_string_free(out, TRUE);
	return 0;
}
