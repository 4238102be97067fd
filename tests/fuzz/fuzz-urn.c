/* fuzz-urn.c: URN parsing of arbitrary text, with a format + parse round
 * trip of whatever parses, and the GGEP "H" payload decoder on the same
 * bytes, whose encoder must give them back. */
#include "fuzz.h"
#include "gnut/proto/urn.h"

#include <stdlib.h>
#include <string.h>

static void format_or_abort(const gnut_urn *u)
{
	char text[GNUT_URN_BITPRINT_LEN + 1];
	if (u->has_sha1 && u->has_tiger)
		gnut_urn_format_bitprint(u->sha1, u->tiger, text);
	else if (u->has_sha1)
		gnut_urn_format_sha1(u->sha1, text);
	else if (u->has_tiger)
		gnut_urn_format_tth(u->tiger, text);
	else
		abort();
	gnut_urn again;
	if (gnut_urn_parse(text, strlen(text), &again) != GNUT_PROTO_OK ||
	    memcmp(&again, u, sizeof again) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_urn u;
	memset(&u, 0, sizeof u);
	if (gnut_urn_parse((const char *)data, size, &u) == GNUT_PROTO_OK)
		format_or_abort(&u);
	memset(&u, 0, sizeof u);
	if (gnut_ggep_h_decode(data, size, &u) == GNUT_PROTO_OK) {
		GByteArray *back = g_byte_array_new();
		if (gnut_ggep_h_encode(&u, back) != GNUT_PROTO_OK || back->len != size ||
		    memcmp(back->data, data, size) != 0)
			abort();
		g_byte_array_unref(back);
	}
	return 0;
}
