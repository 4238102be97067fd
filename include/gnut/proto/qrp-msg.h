/* qrp-msg.h: the payload of a ROUTE_TABLE_UPDATE message (type 0x30, sent
 * with TTL 1 and hops 0): the RESET variant that sizes and empties the
 * receiver's table and the PATCH variant that carries one slice of a
 * (usually zlib-compressed) table diff (doc/gnutella/QRP, "Gnutella Protocol
 * Changes"). Only the wire form lives here; assembling a PATCH sequence and
 * applying it is qrp-table.h. */
#ifndef GNUT_QRP_MSG_H
#define GNUT_QRP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

#define GNUT_QRP_MSG_TYPE 0x30

#define GNUT_QRP_VARIANT_RESET 0x00
#define GNUT_QRP_VARIANT_PATCH 0x01

#define GNUT_QRP_COMPRESSOR_NONE 0x00
#define GNUT_QRP_COMPRESSOR_ZLIB 0x01

/* Bytes of a RESET payload and of the PATCH fields before the data. */
#define GNUT_QRP_RESET_SIZE      6
#define GNUT_QRP_PATCH_HEAD_SIZE 5

/* Largest table we accept: 2^22 slots. The spec sets no limit; deployed
 * tables are 2^16 slots (LimeWire, and ultrapeer_qrp section 2.5 recommends
 * 64K for leaves and ultrapeers); gtk-gnutella builds at most 2^21 (2^17
 * between ultrapeers) and shrinks received ones to 2^21. 2^22 leaves
 * room above all of them while bounding what one peer makes us hold: 512 KiB
 * of presence bits, and at most 4 MiB of inflated 8-bit patch. */
#define GNUT_QRP_MAX_SLOTS (1u << 22)

/* Largest PATCH data slice: a Gnutella payload is capped at 64 KiB. Senders
 * use 512 bytes to 4 KiB. */
#define GNUT_QRP_MAX_PATCH_DATA (65536 - GNUT_QRP_PATCH_HEAD_SIZE)

/* RESET: the receiver's table becomes table_length slots, all "infinity"
 * (nothing present). table_length is a power of two in [1,
 * GNUT_QRP_MAX_SLOTS]; infinity is at least 1 (gtk-gnutella accepts 1: with
 * presence-only tables the hop count does not matter). */
typedef struct {
	uint32_t table_length;
	uint8_t infinity;
} gnut_qrp_reset;

/* PATCH: message seq_no (1-based) of seq_size, all of a sequence sharing
 * seq_size, compressor and entry_bits. entry_bits is 4 or 8 in the spec; 1
 * and 2 are accepted too because the reference servent (gtk-gnutella)
 * accepts them. data points into the decoded buffer and is never empty. */
typedef struct {
	uint8_t seq_no;
	uint8_t seq_size;
	uint8_t compressor;
	uint8_t entry_bits;
	gnut_slice data;
} gnut_qrp_patch;

typedef struct {
	uint8_t variant; /* GNUT_QRP_VARIANT_RESET or GNUT_QRP_VARIANT_PATCH */
	union {
		gnut_qrp_reset reset;
		gnut_qrp_patch patch;
	} u;
} gnut_qrp_msg;

/* Decodes one QRP payload of len bytes. Errors: empty or short input
 * GNUT_PROTO_ERR_TRUNCATED (a PATCH with no data byte too); bytes after a
 * RESET GNUT_PROTO_ERR_TRAILING; a table length over GNUT_QRP_MAX_SLOTS or
 * data over GNUT_QRP_MAX_PATCH_DATA GNUT_PROTO_ERR_TOO_LARGE; a table length
 * that is 0 or not a power of two, infinity 0, seq_no 0 or over seq_size, or
 * entry_bits not 1, 2, 4 or 8 GNUT_PROTO_ERR_MALFORMED; another variant or
 * compressor GNUT_PROTO_ERR_UNSUPPORTED. */
gnut_proto_err gnut_qrp_msg_decode(const uint8_t *buf, size_t len, gnut_qrp_msg *out);

/* Append the payload of a RESET / PATCH to out. The fields must be valid as
 * gnut_qrp_msg_decode defines them (misuse is a g_return_if_fail). */
void gnut_qrp_reset_encode(const gnut_qrp_reset *reset, GByteArray *out);
void gnut_qrp_patch_encode(const gnut_qrp_patch *patch, GByteArray *out);

#endif
