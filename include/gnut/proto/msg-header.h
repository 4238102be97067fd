/* msg-header.h: the 23-byte header that frames every Gnutella message
 * (GUID[16], type[1], TTL[1], hops[1], payload length[4, little-endian]) and
 * the list of message types. */
#ifndef GNUT_MSG_HEADER_H
#define GNUT_MSG_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

#define GNUT_MSG_HEADER_LEN  23
#define GNUT_MSG_MAX_PAYLOAD (64 * 1024) /* what deployed peers accept */

/* First byte of a GGEP block. Ping, pong and push payloads may end with one. */
#define GNUT_MSG_GGEP_MAGIC 0xC3

typedef enum {
	GNUT_MSG_PING = 0x00,
	GNUT_MSG_PONG = 0x01,
	GNUT_MSG_BYE = 0x02,
	GNUT_MSG_QRP = 0x30,
	GNUT_MSG_VENDOR = 0x31,
	GNUT_MSG_VENDOR_STD = 0x32,
	GNUT_MSG_PUSH = 0x40,
	GNUT_MSG_QUERY = 0x80,
	GNUT_MSG_QUERY_HIT = 0x81,
} gnut_msg_type;

typedef struct {
	gnut_guid guid;
	uint8_t type, ttl, hops;
	uint32_t length; /* payload bytes that follow the header */
} gnut_msg_header;

/* A short lower-case name for logs ("ping", "query hit", ...); "unknown" for
 * a type not in gnut_msg_type. */
const char *gnut_msg_type_name(uint8_t type);

/* Decodes the header at buf. Fewer than GNUT_MSG_HEADER_LEN bytes is
 * GNUT_PROTO_ERR_TRUNCATED; a payload length over max_payload is
 * GNUT_PROTO_ERR_TOO_LARGE (the caller drops the link: the stream cannot be
 * resynchronised). Bytes after the header (the payload) are not looked at,
 * and any type byte is accepted: unknown types are the router's business. */
gnut_proto_err gnut_msg_header_decode(const uint8_t *buf, size_t len, uint32_t max_payload,
                                      gnut_msg_header *out);

void gnut_msg_header_encode(const gnut_msg_header *h, uint8_t out[GNUT_MSG_HEADER_LEN]);

/* Appends a whole message (header, then len bytes of payload) to out. A
 * payload over GNUT_MSG_MAX_PAYLOAD is a programming error: nothing is
 * written. */
void gnut_msg_append(GByteArray *out, const gnut_guid *guid, uint8_t type, uint8_t ttl,
                     uint8_t hops, const uint8_t *payload, size_t len);

/* Splits the optional tail of a ping, pong or push payload: when it starts
 * with GNUT_MSG_GGEP_MAGIC it is the GGEP block (ggep, left unparsed),
 * otherwise it is bytes from an old servent (legacy) that callers may log and
 * must not interpret. Both are empty when len is 0. */
void gnut_msg_split_tail(const uint8_t *tail, size_t len, gnut_slice *ggep, gnut_slice *legacy);

#endif
