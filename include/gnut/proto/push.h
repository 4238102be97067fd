/* push.h: the push (0x40) payload: servent GUID [16], file index [LE32],
 * IPv4 [4, network order], port [LE16], then an optional GGEP block. */
#ifndef GNUT_PUSH_H
#define GNUT_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

#define GNUT_PUSH_LEN 26 /* the fixed part */

/* Cap on a whole push payload: the GGEP block of a push holds a few small
 * extensions (TLS, an IPv6 address). */
#define GNUT_PUSH_MAX_PAYLOAD 4096

typedef struct {
	gnut_guid servent;   /* the firewalled servent asked to connect back */
	uint32_t file_index; /* the file it should offer */
	uint32_t ipv4;       /* where to connect: host order value, 1.2.3.4 is 0x01020304 */
	uint16_t port;
	gnut_slice ggep;   /* the GGEP block, unparsed; empty when absent */
	gnut_slice legacy; /* non-GGEP bytes after the fixed part (old servents) */
} gnut_push;

/* Decodes a push payload; the slices point into buf. Fewer than
 * GNUT_PUSH_LEN bytes is GNUT_PROTO_ERR_TRUNCATED, more than
 * GNUT_PUSH_MAX_PAYLOAD is GNUT_PROTO_ERR_TOO_LARGE. */
gnut_proto_err gnut_push_decode(const uint8_t *buf, size_t len, gnut_push *out);

/* Appends the payload of p: the fixed part, then p->ggep (p->legacy is never
 * written). A GGEP block that does not start with the magic or would make
 * the payload exceed GNUT_PUSH_MAX_PAYLOAD is a programming error: nothing
 * is written. */
void gnut_push_encode(GByteArray *out, const gnut_push *p);

#endif
