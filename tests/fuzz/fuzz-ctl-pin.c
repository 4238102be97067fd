/* fuzz-ctl-pin.c: the reading of a certificate fingerprint as a user types
 * it (gnut --fingerprint, control.fingerprint) on arbitrary text. Whatever
 * reads is 64 lowercase hex digits that read back as themselves, and so
 * does their colon form. */
#include "fuzz.h"
#include "gnut/ctl/ctl-protocol.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size); /* cut at a NUL, as argv is */
	char pin[GNUT_CTL_PIN_LEN + 1];
	if (gnut_ctl_fingerprint_parse(text, pin)) {
		char again[GNUT_CTL_PIN_LEN + 1];
		GString *colons = g_string_new(NULL);
		for (size_t i = 0; i < GNUT_CTL_PIN_LEN; i += 2)
			g_string_append_printf(colons, "%s%c%c", i ? ":" : "", pin[i], pin[i + 1]);
		if (strlen(pin) != GNUT_CTL_PIN_LEN ||
		    strspn(pin, "0123456789abcdef") != GNUT_CTL_PIN_LEN ||
		    !gnut_ctl_fingerprint_parse(pin, again) || strcmp(again, pin) != 0 ||
		    !gnut_ctl_fingerprint_parse(colons->str, again) || strcmp(again, pin) != 0)
			abort();
		g_string_free(colons, TRUE);
	}
	g_free(text);
	return 0;
}
