/* base32.h: RFC 4648 base32 (upper-case alphabet A-Z2-7), the encoding of
 * SHA-1 and Tiger digests in URNs. */
#ifndef GNUT_BASE32_H
#define GNUT_BASE32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gnut/proto/proto-error.h"

/* Characters needed to encode n bytes, without the terminating NUL. */
size_t gnut_base32_encoded_len(size_t n, bool pad);

/* Writes the base32 form of in[0..n) and a NUL into out, which must hold
 * gnut_base32_encoded_len(n, pad) + 1 bytes. With pad, '=' fills the last
 * group to 8 characters as RFC 4648 does; Gnutella URNs are unpadded. */
void gnut_base32_encode(const uint8_t *in, size_t n, bool pad, char *out);

/* Decodes len characters of base32 (either case, optional trailing '=')
 * into out (capacity out_cap). Non-alphabet characters, bits left over that
 * are not zero, and padding in the middle are GNUT_PROTO_ERR_MALFORMED; an
 * output that would not fit is GNUT_PROTO_ERR_TOO_LARGE. */
gnut_proto_err gnut_base32_decode(const char *in, size_t len, uint8_t *out, size_t out_cap,
                                  size_t *out_len);

#endif
