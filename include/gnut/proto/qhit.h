/* qhit.h: the query hit (0x81) payload: count [1], port [LE16], IPv4 [4],
 * speed [LE32]; count results (index [LE32], size [LE32], name NUL,
 * extensions NUL); the QHD trailer (vendor [4], open data size [1], open
 * data, private area); and last the 16-byte servent GUID. */
#ifndef GNUT_QHIT_H
#define GNUT_QHIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/wire.h"

#define GNUT_QHIT_HEAD_LEN    11 /* count, port, IPv4, speed */
#define GNUT_QHIT_MIN_LEN     (GNUT_QHIT_HEAD_LEN + 10 + GNUT_GUID_LEN) /* one empty result */
#define GNUT_QHIT_MAX_PAYLOAD (64 * 1024)
#define GNUT_QHIT_MAX_RESULTS 255  /* what the count byte can say */
#define GNUT_QHIT_MAX_NAME    1024 /* bytes of one file name (255 UTF-8 characters fit) */
#define GNUT_QHIT_MAX_EXT     4096 /* bytes of one result's extension area */
#define GNUT_QHIT_VENDOR_LEN  4
#define GNUT_QHIT_MAX_OPEN    255 /* the open data size is one byte */

/* The QHD flags (open data bytes 1 and 2). For PUSH the value is in byte 1
 * and the "is valid" mask in byte 2; for the others it is the reverse. */
#define GNUT_QHIT_F_PUSH     0x01 /* the servent is firewalled: push needed */
#define GNUT_QHIT_F_BUSY     0x04 /* all upload slots are taken */
#define GNUT_QHIT_F_UPLOADED 0x08 /* the servent has uploaded at least one file */
#define GNUT_QHIT_F_SPEED    0x10 /* the speed field was measured, not configured */
#define GNUT_QHIT_F_GGEP     0x20 /* the private area holds a GGEP block */
#define GNUT_QHIT_F_ALL      0x3d

typedef struct {
	uint32_t index;
	uint32_t size;
	const char *name; /* into the buffer; name[name_len] is its NUL */
	size_t name_len;
	gnut_slice ext; /* the bytes between the two NULs: urn text, GGEP, ... */
} gnut_qhit_result;

typedef struct {
	uint16_t port;
	uint32_t ipv4; /* host order value: 1.2.3.4 is 0x01020304 */
	uint32_t speed;
	gnut_qhit_result *results; /* n_results entries, g_malloc'd by the decoder */
	unsigned n_results;
	bool has_trailer; /* false only in very old hits: then the fields below are empty */
	uint8_t vendor[GNUT_QHIT_VENDOR_LEN];
	gnut_slice open_data;    /* all of it, as sent */
	unsigned flags_valid;    /* GNUT_QHIT_F_* the open data says something about */
	unsigned flags;          /* those of flags_valid that are set */
	gnut_slice private_area; /* everything between the open data and the GUID */
	gnut_slice private_ggep; /* the GGEP block found in it; empty when none */
	gnut_guid servent;
} gnut_qhit;

/* Decodes a query hit payload; names and slices point into buf and
 * out->results is allocated (free it with gnut_qhit_clear, also after an
 * error, which leaves *out empty). A count of 0 is GNUT_PROTO_ERR_MALFORMED;
 * a result or trailer cut short is GNUT_PROTO_ERR_TRUNCATED; a name or
 * extension area over its cap, or a payload over GNUT_QHIT_MAX_PAYLOAD, is
 * GNUT_PROTO_ERR_TOO_LARGE. GGEP blocks in a result's extensions must
 * decode (their error is returned); a vendor code that is not four printable
 * ASCII characters is GNUT_PROTO_ERR_MALFORMED. When the flags say the
 * private area holds GGEP,
 * the first block in it (searched for by its magic, as GGEP 0.51 says) must
 * decode, and its absence is GNUT_PROTO_ERR_MALFORMED. Bytes left between
 * the last result and the GUID form the trailer; a hit without them is
 * accepted as one from an old servent (has_trailer false). */
gnut_proto_err gnut_qhit_decode(const uint8_t *buf, size_t len, gnut_qhit *out);

/* Frees what the decoder allocated and empties h. */
void gnut_qhit_clear(gnut_qhit *h);

/* Appends the payload of h with a trailer: vendor, 2 bytes of open data
 * built from flags and flags_valid (GGEP is always marked valid, and set
 * exactly when private_area starts with the GGEP magic), private_area, then
 * the servent GUID (h->has_trailer and h->open_data are not read). Between
 * 1 and 255 results; names and extension areas must hold no NUL and fit
 * their caps, extension areas and a private area starting with the GGEP
 * magic must decode, the vendor code must be printable, and the whole must
 * fit GNUT_QHIT_MAX_PAYLOAD: otherwise an error is returned and nothing is
 * appended. */
gnut_proto_err gnut_qhit_encode(GByteArray *out, const gnut_qhit *h);

/* Appends the extension area of one of our results: "urn:sha1:..." when
 * plain, then (after a 0x1C) a GGEP block with "H" (bitprint when urn has
 * a Tiger root) when ggep_h, COBS-encoded when the digest bytes hold a 0x00
 * (the bytes stay NUL-free either way). A URN without SHA-1 is
 * GNUT_PROTO_ERR_UNSUPPORTED. */
gnut_proto_err gnut_qhit_result_ext_encode(GByteArray *out, const gnut_urn *urn, bool plain,
                                           bool ggep_h);

/* The SHA-1 (and Tiger root, when given) of a result, from a plain
 * "urn:sha1:"/"urn:bitprint:" item or a GGEP "H" extension of its extension
 * area. Returns true when a SHA-1 was found. */
bool gnut_qhit_result_urn(const gnut_qhit_result *r, gnut_urn *out);

#endif
