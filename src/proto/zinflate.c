/* zinflate.c: capped one-shot zlib inflation. */
#include "gnut/proto/zinflate.h"

#include <glib.h>
#include <string.h>
#include <zlib.h>

/* Grows the output buffer by doubling, never past limit. */
static void grow_output(z_stream *zs, uint8_t **buf, size_t *size, size_t limit)
{
	size_t bigger = MIN(*size * 2, limit);
	*buf = g_realloc(*buf, bigger);
	zs->next_out = *buf + *size;
	zs->avail_out = (uInt)(bigger - *size);
	*size = bigger;
}

/* Runs inflate over all of zs's input into a buffer that grows up to cap + 1
 * bytes: producing that last byte proves the data is over the cap, without
 * ever allocating more. */
static gnut_proto_err inflate_loop(z_stream *zs, uint8_t **buf, size_t *size, size_t cap)
{
	for (;;) {
		int ret = inflate(zs, Z_NO_FLUSH);
		if (zs->total_out > cap)
			return GNUT_PROTO_ERR_TOO_LARGE;
		if (ret == Z_STREAM_END)
			return zs->avail_in == 0 ? GNUT_PROTO_OK : GNUT_PROTO_ERR_TRAILING;
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return GNUT_PROTO_ERR_MALFORMED;
		if (zs->avail_out == 0)
			grow_output(zs, buf, size, cap + 1);
		else if (zs->avail_in == 0)
			return GNUT_PROTO_ERR_TRUNCATED;
		else if (ret == Z_BUF_ERROR)
			return GNUT_PROTO_ERR_MALFORMED; /* no progress with room on both sides */
	}
}

gnut_proto_err gnut_zinflate(const uint8_t *in, size_t len, size_t cap, uint8_t **out,
                             size_t *out_len)
{
	if (len == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return GNUT_PROTO_ERR_TOO_LARGE; /* zlib could not get its memory */
	size_t size = MIN(MAX(len * 4, (size_t)1024), cap + 1);
	uint8_t *buf = g_malloc(size);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)size;
	gnut_proto_err err = inflate_loop(&zs, &buf, &size, cap);
	size_t produced = zs.total_out;
	inflateEnd(&zs);
	if (err != GNUT_PROTO_OK) {
		g_free(buf);
		return err;
	}
	if (produced == size)
		buf = g_realloc(buf, size + 1);
	buf[produced] = 0;
	*out = buf;
	*out_len = produced;
	return GNUT_PROTO_OK;
}
