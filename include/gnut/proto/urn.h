/* urn.h: the content URNs Gnutella names files by (urn:sha1,
 * urn:bitprint, urn:tree:tiger) and the binary GGEP "H" form of them. */
#ifndef GNUT_URN_H
#define GNUT_URN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/proto-error.h"
#include "gnut/proto/tiger-tree.h" /* GNUT_TIGER_LEN */

typedef struct {
	bool has_sha1;
	uint8_t sha1[GNUT_SHA1_LEN];
	bool has_tiger;
	uint8_t tiger[GNUT_TIGER_LEN];
} gnut_urn;

/* Parses urn:sha1:<32 base32>, urn:bitprint:<32>.<39>, urn:tree:tiger/:<39>
 * (also urn:tree:tiger: without slash), case-insensitive prefix. */
gnut_proto_err gnut_urn_parse(const char *s, size_t len, gnut_urn *out);

#define GNUT_URN_SHA1_LEN     41 /* "urn:sha1:" + 32 */
#define GNUT_URN_BITPRINT_LEN 85 /* "urn:bitprint:" + 32 + "." + 39 */
#define GNUT_URN_TTH_LEN      55 /* "urn:tree:tiger/:" + 39 */

void gnut_urn_format_sha1(const uint8_t sha1[GNUT_SHA1_LEN], char out[GNUT_URN_SHA1_LEN + 1]);
/* The same in a new string (g_free). */
char *gnut_urn_sha1_strdup(const uint8_t sha1[GNUT_SHA1_LEN]);
void gnut_urn_format_bitprint(const uint8_t sha1[GNUT_SHA1_LEN],
                              const uint8_t tiger[GNUT_TIGER_LEN],
                              char out[GNUT_URN_BITPRINT_LEN + 1]);
void gnut_urn_format_tth(const uint8_t tiger[GNUT_TIGER_LEN], char out[GNUT_URN_TTH_LEN + 1]);

/* GGEP "H" payload types. */
#define GNUT_GGEP_H_SHA1     0x01
#define GNUT_GGEP_H_BITPRINT 0x02

/* Decodes a GGEP "H" payload: 0x01 + SHA-1[20] or 0x02 + SHA-1[20] +
 * Tiger[24]. */
gnut_proto_err gnut_ggep_h_decode(const uint8_t *data, size_t len, gnut_urn *out);

/* Appends the GGEP "H" payload for u (bitprint when it has both digests,
 * SHA-1 alone otherwise); a URN without SHA-1 is GNUT_PROTO_ERR_UNSUPPORTED. */
gnut_proto_err gnut_ggep_h_encode(const gnut_urn *u, GByteArray *out);

#endif
