/* vendor-msg.h: the vendor message (0x31, and 0x32 for standardised ones)
 * payload: vendor [4], selector [LE16], version [LE16], data; and the
 * "Messages Supported" message (vendor 0000, selector 0) whose data lists the
 * vendor messages a servent understands: count [LE16], then per message
 * vendor [4], selector [LE16], version [LE16]. */
#ifndef GNUT_VENDOR_MSG_H
#define GNUT_VENDOR_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/wire.h"

#define GNUT_VENDOR_CODE_LEN    4
#define GNUT_VENDOR_MSG_HEAD    8   /* vendor, selector, version */
#define GNUT_VMSG_ENTRY_LEN     8   /* one entry of Messages Supported */
#define GNUT_VMSG_SUPPORTED_MAX 512 /* cap on its count (servents list some dozens) */

/* Selector of Messages Supported, sent with a vendor code of four zero bytes. */
#define GNUT_VMSG_SEL_SUPPORTED 0

typedef struct {
	uint8_t vendor[GNUT_VENDOR_CODE_LEN]; /* case-sensitive ASCII, e.g. "GTKG"; or zeros */
	uint16_t selector;
	uint16_t version;
	gnut_slice data; /* the rest of the payload, defined by (vendor, selector) */
} gnut_vendor_msg;

typedef struct {
	uint8_t vendor[GNUT_VENDOR_CODE_LEN];
	uint16_t selector;
	uint16_t version;
} gnut_vmsg_entry;

/* A decoded Messages Supported list: count entries of GNUT_VMSG_ENTRY_LEN
 * bytes in entries (pointing into the decoded buffer); read them with
 * gnut_vmsg_supported_get. */
typedef struct {
	uint16_t count;
	gnut_slice entries;
} gnut_vmsg_supported;

/* Decodes a vendor message payload; data points into buf. Fewer than
 * GNUT_VENDOR_MSG_HEAD bytes is GNUT_PROTO_ERR_TRUNCATED. The payload as a
 * whole is capped by the message header's limit. */
gnut_proto_err gnut_vendor_msg_decode(const uint8_t *buf, size_t len, gnut_vendor_msg *out);

/* Appends the payload of m: vendor, selector, version, then m->data. Data
 * that would make the payload exceed GNUT_MSG_MAX_PAYLOAD is a programming
 * error: nothing is written. */
void gnut_vendor_msg_encode(GByteArray *out, const gnut_vendor_msg *m);

/* Decodes buf as vendor (4 characters) / selector at version min_version or
 * later; out->data is the rest. Fewer than GNUT_VENDOR_MSG_HEAD bytes is
 * TRUNCATED, another vendor or selector MALFORMED, an older version
 * UNSUPPORTED. The checks of the data are the caller's. */
gnut_proto_err gnut_vendor_msg_decode_as(const uint8_t *buf, size_t len, const char *vendor,
                                         uint16_t selector, uint16_t min_version,
                                         gnut_vendor_msg *out);
/* Appends the payload of vendor (4 characters) / selector / version with
 * data[0..len). */
void gnut_vendor_msg_encode_as(GByteArray *out, const char *vendor, uint16_t selector,
                               uint16_t version, const uint8_t *data, size_t len);

/* True when m is Messages Supported (vendor 0000, selector 0, any version). */
bool gnut_vendor_msg_is_supported_list(const gnut_vendor_msg *m);

/* Decodes the data of a Messages Supported message. A count over
 * GNUT_VMSG_SUPPORTED_MAX is GNUT_PROTO_ERR_TOO_LARGE; fewer bytes than the
 * count announces is GNUT_PROTO_ERR_TRUNCATED. Bytes after the last entry
 * are ignored, as the reference servent does. */
gnut_proto_err gnut_vmsg_supported_decode(const uint8_t *buf, size_t len, gnut_vmsg_supported *out);

/* Copies entry i of s into out; false when i is not below s->count. */
bool gnut_vmsg_supported_get(const gnut_vmsg_supported *s, size_t i, gnut_vmsg_entry *out);

/* Appends the data of a Messages Supported message listing n entries (only
 * the data: wrap it with gnut_vendor_msg_encode). More than
 * GNUT_VMSG_SUPPORTED_MAX entries is a programming error: nothing is
 * written. */
void gnut_vmsg_supported_encode(GByteArray *out, const gnut_vmsg_entry *entries, size_t n);

#endif
