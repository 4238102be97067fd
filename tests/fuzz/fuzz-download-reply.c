/* fuzz-download-reply.c: a source's HTTP reply head, as a download reads
 * it: gnut_head_scan measures it, gnut_head_parse parses it and
 * gnut_download_reply_judge decides what it means for each of a few
 * requests (the captured gtk-gnutella exchange, a one-byte file, the
 * largest file, a request spanning all of 2^64 - 1 bytes). A body may only
 * be accepted for bytes inside the request; anything else is one of the
 * documented outcomes, with an error exactly for ERROR and WRONG_FILE. */
#include "fuzz.h"
#include "core/transfer/download-private.h"
#include "gnut/proto/head.h"

#include <stdlib.h>

/* urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5, the captured file's SHA-1 */
static const uint8_t captured_sha1[GNUT_SHA1_LEN] = {0xf5, 0x29, 0xe9, 0xc2, 0xa3, 0x07, 0x81,
                                                     0x8a, 0xf6, 0x60, 0x57, 0xd0, 0x70, 0xe3,
                                                     0x2e, 0x64, 0x2b, 0xb7, 0x86, 0x1d};

static void check_reply(const gnut_download_request *rq, const gnut_download_reply *r,
                        const GError *err)
{
	if (r->data) {
		/* inside the request, and nothing past it */
		if (err != NULL || r->len == 0 || r->start < rq->start ||
		    r->start - rq->start >= rq->len || r->len > rq->len - (r->start - rq->start))
			abort();
		return;
	}
	gboolean needs_error = FALSE;
	switch (r->outcome) {
	case GNUT_DOWNLOAD_FETCH_ERROR:
	case GNUT_DOWNLOAD_FETCH_WRONG_FILE:
		needs_error = TRUE;
		break;
	case GNUT_DOWNLOAD_FETCH_BUSY:
	case GNUT_DOWNLOAD_FETCH_NOT_FOUND:
	case GNUT_DOWNLOAD_FETCH_BAD_RANGE:
		break;
	default:
		abort();
	}
	if (needs_error != (err != NULL) ||
	    (err != NULL &&
	     !g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_PROTOCOL)) ||
	    (r->retry_after_s != 0 && r->outcome != GNUT_DOWNLOAD_FETCH_BUSY))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const gnut_download_request requests[] = {
	    {captured_sha1, 3145728, 0, 1048576},
	    {captured_sha1, 3145728, 2621440, 524288},
	    {captured_sha1, 1, 0, 1},
	    {captured_sha1, GNUT_DOWNLOAD_MAX_SIZE, GNUT_DOWNLOAD_MAX_SIZE - 1048576, 1048576},
	    {captured_sha1, G_MAXUINT64, 0, G_MAXUINT64},
	};
	size_t head_len = 0;
	if (gnut_head_scan(data, size, &head_len) != GNUT_PROTO_OK)
		return 0;
	gnut_head *h = NULL;
	if (gnut_head_parse(data, head_len, &h) != GNUT_PROTO_OK)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(requests); i++) {
		gnut_download_reply r;
		GError *err = NULL;
		gnut_download_reply_judge(h, &requests[i], &r, &err);
		check_reply(&requests[i], &r, err);
		g_clear_error(&err);
	}
	gnut_head_free(h);
	return 0;
}
