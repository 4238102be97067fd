/* cobs.h: Consistent Overhead Byte Stuffing (Cheshire & Baker), which GGEP
 * uses to keep 0x00 bytes out of extension data. */
#ifndef GNUT_COBS_H
#define GNUT_COBS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

/* Largest output gnut_cobs_encode can write for n input bytes. */
size_t gnut_cobs_encoded_max(size_t n);

/* Appends the COBS form of in[0..n) to out; it holds no 0x00 byte. */
void gnut_cobs_encode(const uint8_t *in, size_t n, GByteArray *out);

/* Decodes in[0..n) into out (capacity out_cap), *out_len = bytes written. A
 * 0x00 byte or a code that runs past the end is GNUT_PROTO_ERR_MALFORMED; an
 * output over out_cap is GNUT_PROTO_ERR_TOO_LARGE. */
gnut_proto_err gnut_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                                size_t *out_len);

#endif
