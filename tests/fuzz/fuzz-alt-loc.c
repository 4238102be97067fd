/* fuzz-alt-loc.c: X-Alt / X-Nalt (compact) and X-Gnutella-Alternate-Location
 * (legacy) values. Every accepted entry must pass the address checks, and
 * what is accepted must parse back the same from the formatter. */
#include "fuzz.h"
#include "gnut/proto/alt-loc.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t sha1[GNUT_SHA1_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                            11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

static void check(const gnut_alt *a, size_t n, bool allow_local)
{
	for (size_t i = 0; i < n; i++)
		if (!gnut_alt_address_ok(a[i].ip, a[i].port, allow_local))
			abort();
}

static void same_or_abort(const gnut_alt *a, size_t n, const gnut_alt *b, size_t m, bool tls)
{
	if (n != m)
		abort();
	for (size_t i = 0; i < n; i++)
		if (a[i].ip != b[i].ip || a[i].port != b[i].port || (tls && a[i].tls != b[i].tls))
			abort();
}

static void round_trip(const char *text, bool allow_local)
{
	gnut_alt a[GNUT_ALT_MAX], b[GNUT_ALT_MAX];
	size_t n = 0, m = 0;
	if (gnut_alt_parse_compact(text, allow_local, a, &n, NULL) == GNUT_PROTO_OK) {
		check(a, n, allow_local);
		GString *s = g_string_new(NULL);
		gnut_alt_format_compact(s, a, n);
		if (gnut_alt_parse_compact(s->str, allow_local, b, &m, NULL) != GNUT_PROTO_OK)
			abort();
		same_or_abort(a, n, b, m, true);
		g_string_free(s, TRUE);
	}
	if (gnut_alt_parse_legacy(text, sha1, allow_local, a, &n, NULL) == GNUT_PROTO_OK) {
		check(a, n, allow_local);
		GString *s = g_string_new(NULL);
		gnut_alt_format_legacy(s, sha1, a, n);
		if (gnut_alt_parse_legacy(s->str, sha1, allow_local, b, &m, NULL) != GNUT_PROTO_OK)
			abort();
		same_or_abort(a, n, b, m, false);
		g_string_free(s, TRUE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	round_trip(text, false);
	round_trip(text, true);
	g_free(text);
	return 0;
}
