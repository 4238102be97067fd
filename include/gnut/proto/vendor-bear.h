/* vendor-bear.h: the BEAR vendor messages we speak. Hops Flow, "BEAR"
 * selector 4 version 1, data hops [1]: the sender wants no query whose hops
 * count is over that (0: only the receiver's own queries; 255: all), the
 * flow control of the vendor_msg specification. And the two vendor messages
 * of leaf-guided dynamic querying (doc/gnutella/leaf_guided_queries), both
 * sent with the header GUID of the query they are about:
 *   - Query Status Request, "BEAR" selector 11 version 1, no data: an
 *     ultrapeer asks its leaf how many hits of that query it kept;
 *   - Query Status Response, "BEAR" selector 12 version 1, data kept [LE16]:
 *     the leaf's answer (also sent unsolicited); 0xFFFF asks the ultrapeer to
 *     stop the query.
 * The codecs read and write whole vendor message payloads (vendor, selector,
 * version, data), the part after the 23-byte message header. */
#ifndef GNUT_VENDOR_BEAR_H
#define GNUT_VENDOR_BEAR_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/vendor-msg.h"

#define GNUT_BEAR_VENDOR          "BEAR"
#define GNUT_BEAR_SEL_HOPS_FLOW   4
#define GNUT_BEAR_HOPS_FLOW_LEN   (GNUT_VENDOR_MSG_HEAD + 1) /* 9: hops [1] */
#define GNUT_BEAR_SEL_QSTAT_REQ   11
#define GNUT_BEAR_SEL_QSTAT_REPLY 12
#define GNUT_BEAR_QSTAT_VERSION   1
#define GNUT_BEAR_QSTAT_REQ_LEN   GNUT_VENDOR_MSG_HEAD       /* 8: no data */
#define GNUT_BEAR_QSTAT_REPLY_LEN (GNUT_VENDOR_MSG_HEAD + 2) /* 10: kept [LE16] */
#define GNUT_BEAR_QSTAT_STOP      0xFFFF /* kept value meaning "stop my query" */

/* Appends a Hops Flow payload (9 bytes) saying hops. */
void gnut_bear_hops_flow_encode(GByteArray *out, uint8_t hops);

/* Decodes a Hops Flow into *hops. Fewer than 9 bytes is TRUNCATED; another
 * vendor or selector is MALFORMED; version 0 is UNSUPPORTED; bytes after a
 * version 1 value are TRAILING (a later version's are ignored). *hops is
 * written only on success. */
gnut_proto_err gnut_bear_hops_flow_decode(const uint8_t *buf, size_t len, uint8_t *hops);

/* Appends a Query Status Request payload (8 bytes). */
void gnut_bear_qstat_req_encode(GByteArray *out);

/* Checks that buf holds a Query Status Request. Fewer than 8 bytes is
 * TRUNCATED; another vendor or selector is MALFORMED; version 0 is
 * UNSUPPORTED; data after a version 1 request is TRAILING (a later version
 * may carry data: it is accepted and the data ignored). */
gnut_proto_err gnut_bear_qstat_req_decode(const uint8_t *buf, size_t len);

/* Appends a Query Status Response payload (10 bytes) saying kept. */
void gnut_bear_qstat_reply_encode(GByteArray *out, uint16_t kept);

/* Decodes a Query Status Response into *kept (GNUT_BEAR_QSTAT_STOP included).
 * Fewer than 10 bytes is TRUNCATED; another vendor or selector is MALFORMED;
 * version 0 is UNSUPPORTED; bytes after a version 1 count are TRAILING (a
 * later version's are ignored). *kept is written only on success. */
gnut_proto_err gnut_bear_qstat_reply_decode(const uint8_t *buf, size_t len, uint16_t *kept);

#endif
