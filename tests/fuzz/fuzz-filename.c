/* fuzz-filename.c: a file name as a peer sends it in a query hit (any
 * bytes), through gnut_filename_sanitize. The result must be one safe name
 * to create in a folder, as filename.h promises: non-empty valid UTF-8 of at
 * most GNUT_FILENAME_MAX bytes, no separator, control, bidirectional or
 * noncharacter, no leading dot or space, no trailing space, no ".." run;
 * and sanitising it again must change nothing. */
#include "fuzz.h"
#include "gnut/core/transfer/filename.h"

#include <stdlib.h>
#include <string.h>

static gboolean is_forbidden(gunichar c)
{
	return c == '/' || c == '\\' || c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x200E ||
	       c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	       (c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF);
}

static void check_safe(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > GNUT_FILENAME_MAX || !g_utf8_validate(name, (gssize)len, NULL) ||
	    name[0] == '.' || name[0] == ' ' || name[len - 1] == ' ' || strstr(name, "..") != NULL)
		abort();
	for (const char *p = name; *p != '\0'; p = g_utf8_next_char(p))
		if (is_forbidden(g_utf8_get_char(p)))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = gnut_filename_sanitize((const char *)data, (gssize)size);
	if (name == NULL)
		abort();
	check_safe(name);
	char *again = gnut_filename_sanitize(name, -1);
	if (strcmp(again, name) != 0)
		abort();
	g_free(again);
	g_free(name);
	return 0;
}
