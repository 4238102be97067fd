/* ping.h: the ping (0x00) payload: empty, or a GGEP block. */
#ifndef GNUT_PING_H
#define GNUT_PING_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

/* Cap on a ping payload. Pings carry at most a few small GGEP extensions
 * (SCP, DNA, IP, ...); anything near this size is abuse. */
#define GNUT_PING_MAX_PAYLOAD 4096

typedef struct {
	gnut_slice ggep;   /* the GGEP block, unparsed; empty when absent */
	gnut_slice legacy; /* a non-GGEP payload from an old servent, ignored */
} gnut_ping;

/* Decodes a ping payload; out points into buf. An empty payload or one that
 * starts with the GGEP magic is what the specifications allow. Old servents
 * sent other payloads (LimeWire's group and "big" pings), so anything else is
 * accepted too and handed back as legacy rather than rejected: a ping costs
 * us nothing to answer and dropping the link over it would only lose a
 * neighbour. Only a payload over GNUT_PING_MAX_PAYLOAD is an error
 * (GNUT_PROTO_ERR_TOO_LARGE). */
gnut_proto_err gnut_ping_decode(const uint8_t *buf, size_t len, gnut_ping *out);

/* Appends a ping payload carrying the given GGEP block (len may be 0 for the
 * classic empty ping; otherwise ggep must start with the GGEP magic). */
void gnut_ping_encode(GByteArray *out, const uint8_t *ggep, size_t len);

#endif
