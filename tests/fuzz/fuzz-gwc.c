/* fuzz-gwc.c: a GWebCache answer from arbitrary bytes: the HTTP split, the
 * body's lines and every URL it yields, which must parse again. */
#include "fuzz.h"
#include "gnut/proto/gwc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	unsigned code;
	size_t body = 0;
	if (gnut_gwc_http_split(text, size, &code, &body) == GNUT_PROTO_OK &&
	    (body > size || code < 100 || code > 999))
		abort();
	gnut_gwc_reply r;
	if (gnut_gwc_reply_parse(text + body, size - body, &r) != GNUT_PROTO_OK)
		return 0;
	if (r.n_hosts > GNUT_GWC_MAX_HOSTS || r.n_urls > GNUT_GWC_MAX_URLS)
		abort();
	for (size_t i = 0; i < r.n_urls; i++) {
		gnut_gwc_url u;
		if (gnut_gwc_url_parse(r.urls[i], strlen(r.urls[i]), &u) != GNUT_PROTO_OK)
			abort();
	}
	gnut_gwc_url u;
	if (gnut_gwc_url_parse(text, size, &u) == GNUT_PROTO_OK) {
		char *req = gnut_gwc_request(&u, "get=1", "x");
		g_free(req);
	}
	return 0;
}
