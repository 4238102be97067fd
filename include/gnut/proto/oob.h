/* oob.h: out-of-band query hit delivery (doc/gnutella/out-of-band and
 * out-of-band-v3). A querier that can receive UDP marks its query: flag
 * GNUT_QUERY_F_OOB, its IPv4 in GUID bytes 0-3 and its UDP port in bytes
 * 13-14 (little-endian), and an empty GGEP "SO" to say it speaks v3. A
 * responder with hits sends the querier, over UDP, a Reply Number (LIME/12)
 * with the query's GUID; the querier claims them with an Ack (LIME/11) that
 * carries a security token; the hits then travel over UDP, each with the
 * token in GGEP "SO" of its trailer's private area.
 *
 * Wire forms (whole vendor message payloads, after the 23-byte header):
 *   LIME/12 v2, v3: vendor "LIME", selector 12 [LE16], version [LE16],
 *     hits [1] (1..255; 255 means 255 or more), flags [1] (0x01: the
 *     responder can receive unsolicited UDP); bytes after these are ignored
 *     in v3 and later (the spec asks so), trailing in v2.
 *   LIME/11 v2: vendor, selector 11, version 2, wanted [1].
 *   LIME/11 v3: vendor, selector 11, version 3, wanted [1], then a GGEP block
 *     holding "SO" = the token (at least one byte). The v3 text says "after
 *     the original two bytes of v2", but v2 is one byte and LimeWire, which
 *     defined both, writes the GGEP right after the one byte: so do we.
 * Version 1 of either is obsolete and refused. Pure functions. */
#ifndef GNUT_OOB_H
#define GNUT_OOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"
#include "gnut/proto/query.h"
#include "gnut/proto/vendor-msg.h"
#include "gnut/proto/wire.h"

#define GNUT_OOB_VENDOR              "LIME"
#define GNUT_OOB_SEL_CLAIM           11 /* LIME/11, the Ack */
#define GNUT_OOB_SEL_REPLY_NUMBER    12 /* LIME/12, the Reply Number */
#define GNUT_OOB_VERSION             3  /* what we send */
#define GNUT_OOB_OLDEST_VERSION      2  /* what we still read */
#define GNUT_OOB_GGEP_TOKEN          "SO"
#define GNUT_OOB_TOKEN_MAX           32 /* longest token kept (LimeWire's are 8..16 bytes) */
#define GNUT_OOB_REPLY_F_UNSOLICITED 0x01
#define GNUT_OOB_REPLY_LEN           (GNUT_VENDOR_MSG_HEAD + 2) /* 10 */
#define GNUT_OOB_CLAIM_V2_LEN        (GNUT_VENDOR_MSG_HEAD + 1) /* 9 */

typedef struct {
	uint16_t version;
	uint8_t hits;     /* 1..255 */
	bool unsolicited; /* the responder can receive unsolicited UDP */
} gnut_oob_reply;

typedef struct {
	uint16_t version;
	uint8_t wanted; /* 1..255 */
	uint8_t token[GNUT_OOB_TOKEN_MAX];
	size_t token_len; /* 0 for version 2 */
} gnut_oob_claim;

/* Appends a LIME/12 v3 payload (10 bytes). hits 0 is raised to 1. */
void gnut_oob_reply_encode(GByteArray *out, uint8_t hits, bool unsolicited);

/* Decodes a LIME/12. Fewer than 10 bytes is TRUNCATED; another vendor or
 * selector, or a hit count of 0, is MALFORMED; version 0 or 1 is
 * UNSUPPORTED; bytes after a v2 payload are TRAILING. *out is written only
 * on success. */
gnut_proto_err gnut_oob_reply_decode(const uint8_t *buf, size_t len, gnut_oob_reply *out);

/* Appends a LIME/11 v3 payload claiming wanted hits with token[0..len).
 * wanted 0, a token of 0 or over GNUT_OOB_TOKEN_MAX bytes is
 * GNUT_PROTO_ERR_MALFORMED / TOO_LARGE and nothing is appended. */
gnut_proto_err gnut_oob_claim_encode(GByteArray *out, uint8_t wanted, const uint8_t *token,
                                     size_t len);

/* Decodes a LIME/11. Fewer bytes than the version needs is TRUNCATED;
 * another vendor or selector, wanted 0, or a v3 GGEP block without "SO" or
 * with an empty one is MALFORMED; a token over GNUT_OOB_TOKEN_MAX bytes is
 * TOO_LARGE; version 0 or 1 is UNSUPPORTED; bytes after a v2 byte or a v3
 * GGEP block are TRAILING (a later version's are ignored). The GGEP
 * decoder's errors are returned as they are. *out is written only on
 * success. */
gnut_proto_err gnut_oob_claim_decode(const uint8_t *buf, size_t len, gnut_oob_claim *out);

/* Marks a query GUID with the querier's IPv4 (host order) and UDP port. */
void gnut_oob_guid_mark(gnut_guid *g, uint32_t ipv4, uint16_t port);

/* The IPv4 (host order) and port a query GUID is marked with (whatever the
 * bytes say: the caller checks them with the dial rule). */
void gnut_oob_guid_address(const gnut_guid *g, uint32_t *ipv4, uint16_t *port);

/* Appends a GGEP block holding "SO" = token[0..len): empty in a query (v3
 * understood), the token in a hit's private area. TOO_LARGE over
 * GNUT_OOB_TOKEN_MAX; nothing is appended on error. */
gnut_proto_err gnut_oob_token_ggep_encode(GByteArray *out, const uint8_t *token, size_t len);

/* Finds "SO" in the GGEP block ggep (a whole block, magic included; empty
 * means none). Copies it into token (room for GNUT_OOB_TOKEN_MAX) and its
 * length into *len; false when the block does not decode, has no "SO", or
 * holds one over GNUT_OOB_TOKEN_MAX bytes. */
bool gnut_oob_token_find(gnut_slice ggep, uint8_t *token, size_t *len);

/* Whether a decoded query asks for out-of-band hits of version 3: the flag
 * form with GNUT_QUERY_F_OOB, and an "SO" in one of its GGEP blocks. */
bool gnut_oob_query_wants_v3(const gnut_query *q);

#endif
