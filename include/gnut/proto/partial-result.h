/* partial-result.h: what query traffic says about partial files (partial
 * file sharing, as gtk-gnutella deploys it):
 *
 *   - a query that carries GGEP "PR" (no payload) asks for partial results
 *     too, that is files the answering servent is still downloading;
 *   - a query hit result for such a file carries GGEP "PRU" ("partial
 *     result, unverified": gtk-gnutella's only partial marker in hits; the
 *     "PR0".."PR4" keys with Tiger-tree node numbers were never deployed):
 *     the file's last modification time as 4 bytes big-endian, then the
 *     bytes available as a variable-length little-endian integer with its
 *     high zero bytes left out (0 to 8 bytes). An empty "PRU" (servents
 *     before gtk-gnutella 0.98.4) says "partial" and nothing more. */
#ifndef GNUT_PARTIAL_RESULT_H
#define GNUT_PARTIAL_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/query.h"

#define GNUT_PARTIAL_GGEP_WANTED "PR"  /* in a query: partial results wanted */
#define GNUT_PARTIAL_GGEP_RESULT "PRU" /* in a hit result: a partial file */
#define GNUT_PRU_MAX_LEN         12    /* 4 bytes of time + at most 8 of size */

typedef struct {
	bool has_info;      /* false: an empty "PRU" (partial, nothing more said) */
	uint32_t mtime;     /* seconds since the epoch (the wire keeps 32 bits) */
	uint64_t available; /* bytes of the file the servent can serve */
} gnut_pru;

/* Writes the "PRU" payload of pru (has_info is taken as true) into out;
 * returns its length (4 to GNUT_PRU_MAX_LEN). */
size_t gnut_pru_encode(const gnut_pru *pru, uint8_t out[GNUT_PRU_MAX_LEN]);
/* Reads a "PRU" payload: empty (has_info false), or 4 bytes of time and 0
 * to 8 of size. 1 to 3 bytes is TRUNCATED, more than GNUT_PRU_MAX_LEN is
 * TOO_LARGE, and a size whose last (most significant) byte is 0 is
 * MALFORMED (the encoding leaves high zero bytes out, so such a payload
 * has a second spelling). */
gnut_proto_err gnut_pru_decode(const uint8_t *buf, size_t len, gnut_pru *out);

/* Appends to a result's extension area (as gnut_qhit_result_ext_encode
 * wrote it; may be empty) a 0x1C when it is not empty, then a GGEP block
 * holding "PRU" with pru's payload, COBS-encoded when that payload holds a
 * 0x00 (an extension area must hold none). */
gnut_proto_err gnut_pru_ext_append(GByteArray *ext, const gnut_pru *pru);
/* Finds "PRU" in a result's extension area: true (and *out) when one of
 * its GGEP blocks has a "PRU" whose payload decodes. */
bool gnut_pru_ext_find(gnut_slice ext, gnut_pru *out);

/* Whether one of the query's GGEP blocks holds "PR". */
bool gnut_query_wants_partials(const gnut_query *q);

#endif
