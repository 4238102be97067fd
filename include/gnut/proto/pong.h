/* pong.h: the pong (0x01) payload: port [LE16], IPv4 [4, network order],
 * files shared [LE32], KiB shared [LE32], then an optional GGEP block. */
#ifndef GNUT_PONG_H
#define GNUT_PONG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

#define GNUT_PONG_LEN 14 /* the fixed part */

/* Cap on a whole pong payload. The GGEP block of a pong holds a few small
 * extensions, and at most a list of some dozens of hosts (IPP, DHTIPP) in
 * pongs from host caches. */
#define GNUT_PONG_MAX_PAYLOAD 8192

typedef struct {
	uint16_t port;
	uint32_t ipv4; /* host order value: 1.2.3.4 is 0x01020304 */
	uint32_t files;
	uint32_t kib;
	gnut_slice ggep;   /* the GGEP block, unparsed; empty when absent */
	gnut_slice legacy; /* non-GGEP bytes after the fixed part (old servents) */
} gnut_pong;

/* Decodes a pong payload; the slices point into buf. Fewer than
 * GNUT_PONG_LEN bytes is GNUT_PROTO_ERR_TRUNCATED, more than
 * GNUT_PONG_MAX_PAYLOAD is GNUT_PROTO_ERR_TOO_LARGE. Whatever follows the
 * fixed part is split by gnut_msg_split_tail: the GGEP block is validated by
 * the GGEP decoder, not here. */
gnut_proto_err gnut_pong_decode(const uint8_t *buf, size_t len, gnut_pong *out);

/* Whether p's GGEP block decodes and holds an extension named id ("TLS":
 * the pong's host accepts TLS connections). */
bool gnut_pong_ggep_has(const gnut_pong *p, const char *id);

/* Appends the payload of p: the fixed part, then p->ggep (p->legacy is never
 * written). A GGEP block that does not start with the magic or would make
 * the payload exceed GNUT_PONG_MAX_PAYLOAD is a programming error: nothing
 * is written. */
void gnut_pong_encode(GByteArray *out, const gnut_pong *p);

#endif
