/* fuzz-thex-xml.c: the THEX XML description reader on arbitrary bytes; what
 * it accepts must come back the same from the writer. */
#include "fuzz.h"
#include "gnut/proto/thex-xml.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_thex_xml got;
	if (gnut_thex_xml_parse((const char *)data, size, &got) != GNUT_PROTO_OK)
		return 0;
	if (strlen(got.uri) == 0 || got.depth > GNUT_THEX_XML_MAX_DEPTH)
		abort();
	/* The writer escapes nothing: round-trip only URIs that need none. */
	if (strpbrk(got.uri, "<>&\"") != NULL)
		return 0;
	char *again = gnut_thex_xml_build(got.file_size, got.depth, got.uri);
	gnut_thex_xml back;
	if (gnut_thex_xml_parse(again, strlen(again), &back) != GNUT_PROTO_OK ||
	    back.file_size != got.file_size || back.depth != got.depth ||
	    strcmp(back.uri, got.uri) != 0)
		abort();
	g_free(again);
	return 0;
}
