/* zinflate.h: one-shot inflation of a zlib stream under a hard cap, for the
 * compressed pieces of messages (GGEP extensions, QRP patches). A stream that
 * would inflate past the cap is refused after producing at most cap + 1
 * bytes, so a deflate bomb costs no more memory than that. */
#ifndef GNUT_ZINFLATE_H
#define GNUT_ZINFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "gnut/proto/proto-error.h"

/* Inflates the whole zlib stream in[0..len). OK: *out is g_malloc'd, holds
 * *out_len <= cap bytes and a NUL after them. TOO_LARGE: it inflates past
 * cap; TRAILING: bytes follow the end of the stream; TRUNCATED: the input
 * ends mid-stream; MALFORMED: not a zlib stream (an empty input included).
 * On error nothing is allocated. */
gnut_proto_err gnut_zinflate(const uint8_t *in, size_t len, size_t cap, uint8_t **out,
                             size_t *out_len);

#endif
