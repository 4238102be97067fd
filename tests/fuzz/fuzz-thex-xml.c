/* fuzz-thex-xml.c: the THEX XML description reader on arbitrary bytes (what
 * it accepts must come back the same from the writer), and the same bytes
 * as an X-Thex-URI header value. */
#include "fuzz.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/thex-xml.h"

#include <stdlib.h>
#include <string.h>

static void thex_uri(const uint8_t *data, size_t size)
{
	char *value = g_strndup((const char *)data, size);
	char uri[GNUT_THEX_URI_MAX + 1];
	uint8_t root[GNUT_TIGER_LEN];
	bool has_root = false;
	if (gnut_thex_uri_parse(value, uri, &has_root, root) == GNUT_PROTO_OK &&
	    (uri[0] != '/' || strlen(uri) > GNUT_THEX_URI_MAX || strpbrk(uri, " \t\r\n") != NULL))
		abort();
	g_free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	thex_uri(data, size);
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
