/* fuzz-seeds.c: the bootstrap files from arbitrary bytes: a seed list of
 * either kind (every entry it yields must pass the built-in check again)
 * and a state record (what parses formats back to the same text). */
#include "fuzz.h"
#include "gnut/core/hosts/seeds.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = GNUT_SEED_UHC; kind <= GNUT_SEED_GWC; kind++) {
		GStrv list = gnut_seeds_parse((gnut_seed_kind)kind, (const char *)data, size, NULL);
		for (char **p = list; p != NULL && *p != NULL; p++)
			if (!gnut_seed_check((gnut_seed_kind)kind, *p, TRUE, NULL))
				abort();
		g_strfreev(list);
		char *text = g_strndup((const char *)data, size);
		gnut_seed_record r;
		if (gnut_seed_record_parse((gnut_seed_kind)kind, text, &r)) {
			char *again = gnut_seed_record_format(&r);
			gnut_seed_record r2;
			if (!gnut_seed_record_parse((gnut_seed_kind)kind, again, &r2) ||
			    r2.wait_s != r.wait_s || r2.failures != r.failures ||
			    strcmp(r2.entry, r.entry) != 0)
				abort();
			g_free(again);
		}
		g_free(text);
	}
	return 0;
}
