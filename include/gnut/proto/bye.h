/* bye.h: the bye (0x02) payload: code [LE16], then a reason, NUL-terminated.
 * The reason is one line, or a line, CRLF and HTTP-like headers ("Server:
 * ...") ended by an empty line. */
#ifndef GNUT_BYE_H
#define GNUT_BYE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_BYE_CODE_LEN   2
#define GNUT_BYE_MAX_REASON 4096 /* reason bytes, without the NUL */

typedef struct {
	uint16_t code;       /* 2xx: we chose to close, 4xx: the peer erred, 5xx: our error */
	bool has_code;       /* false for a code-less bye (old GnucDNA); code is then 0 */
	bool nul_terminated; /* false when the payload ended without the NUL */
	const char *reason;  /* into the decoded buffer; NOT NUL-terminated there */
	size_t reason_len;   /* bytes of reason, up to the NUL or the payload's end */
	size_t line_len;     /* bytes of the first line, without its CRLF */
	const char *headers; /* what follows the first CRLF (may be empty) */
	size_t headers_len;
} gnut_bye;

/* Decodes a bye payload; the pointers point into buf. Fewer than 2 bytes is
 * GNUT_PROTO_ERR_TRUNCATED, a reason over GNUT_BYE_MAX_REASON is
 * GNUT_PROTO_ERR_TOO_LARGE.
 *
 * Leniency, as the reference servent practises on the deployed network:
 * - a payload that ends without the NUL is accepted (nul_terminated false):
 *   some servents never sent it, and the bye is the last thing on the link;
 * - bytes after the NUL are ignored;
 * - a "code" over 999 made of two ASCII letters or digits is the start of the
 *   reason from a servent that forgot the code: has_code is false and the
 *   reason starts at the first byte.
 * The reason may hold any byte but NUL: sanitise it before logging. */
gnut_proto_err gnut_bye_decode(const uint8_t *buf, size_t len, gnut_bye *out);

/* Appends a bye payload: code, reason, NUL. A reason longer than
 * GNUT_BYE_MAX_REASON is a programming error: nothing is written. */
void gnut_bye_encode(GByteArray *out, uint16_t code, const char *reason);

#endif
