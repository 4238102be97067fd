/* push-proxy.h: the wire pieces of push proxies (doc/gnutella/push_proxy):
 *   - GGEP "PUSH" in a firewalled servent's query hits: its proxies, each
 *     IPv4 [4, network order] then port [LE16], 6 bytes an entry, at least
 *     one (as gtk-gnutella reads it: a length that is not a non-zero
 *     multiple of 6 is invalid);
 *   - Push Proxy Request, "LIME" selector 21 (we send version 1, as
 *     gtk-gnutella does for LimeWire's sake; any version is read), no data,
 *     sent by a leaf to its ultrapeer with the leaf's servent GUID as the
 *     message GUID;
 *   - Push Proxy Acknowledgement, "LIME" selector 22: version 2 data is the
 *     proxy's IPv4 [4, network order] and port [LE16]; version 1 holds the
 *     port alone (the address is the link's). Same message GUID as the
 *     request;
 *   - the HTTP request a downloader sends the proxy: GET
 *     /gnutella/push-proxy?ServerId=<base32 GUID> (the specification) or
 *     /gnet/push-proxy?guid=<hex GUID> (gtk-gnutella's form), with an
 *     X-Node: <IPv4>:<port> header saying where the GIV should go.
 * The vendor codecs read and write whole vendor message payloads. */
#ifndef GNUT_PUSH_PROXY_H
#define GNUT_PUSH_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"

#define GNUT_PUSH_PROXY_GGEP_ID   "PUSH"
#define GNUT_PUSH_PROXY_ENTRY_LEN 6
#define GNUT_PUSH_PROXY_MAX       4 /* proxies we keep or advertise per servent */
#define GNUT_LIME_VENDOR          "LIME"
#define GNUT_LIME_SEL_PROXY_REQ   21
#define GNUT_LIME_SEL_PROXY_ACK   22
#define GNUT_PROXY_REQ_VERSION    1
#define GNUT_PROXY_ACK_VERSION    2
#define GNUT_PROXY_ACK_LEN        14 /* vendor head (8) + IPv4 + port */
#define GNUT_PUSH_PROXY_PATH      "/gnutella/push-proxy"
#define GNUT_PUSH_PROXY_GTKG_PATH "/gnet/push-proxy"

typedef struct {
	uint32_t ipv4; /* host order */
	uint16_t port;
} gnut_push_proxy;

typedef struct {
	gnut_push_proxy addr[GNUT_PUSH_PROXY_MAX];
	unsigned count;
} gnut_push_proxies;

/* Decodes a GGEP "PUSH" payload; entries past GNUT_PUSH_PROXY_MAX are
 * ignored. Empty, or a length not a multiple of 6, is MALFORMED. Entries
 * are not judged here (the caller's dial rule does that). */
gnut_proto_err gnut_push_proxies_decode(const uint8_t *buf, size_t len, gnut_push_proxies *out);
/* Appends the payload of a GGEP "PUSH" for p (at most GNUT_PUSH_PROXY_MAX
 * entries are written). */
void gnut_push_proxies_encode(GByteArray *out, const gnut_push_proxies *p);

/* Appends a Push Proxy Request payload (LIME/21 version 1, 8 bytes). */
void gnut_proxy_req_encode(GByteArray *out);
/* OK when buf is a Push Proxy Request of any version (its data, if any, is
 * ignored); fewer than 8 bytes is TRUNCATED, another vendor message is
 * MALFORMED. */
gnut_proto_err gnut_proxy_req_decode(const uint8_t *buf, size_t len);

/* Appends a Push Proxy Acknowledgement version 2 (14 bytes). */
void gnut_proxy_ack_encode(GByteArray *out, uint32_t ipv4, uint16_t port);
/* Decodes a Push Proxy Acknowledgement: version 1 sets *ipv4 to 0 (the
 * link's address is meant) and reads the port; version 2 and later read
 * both (bytes after them are ignored). Too short is TRUNCATED, another
 * vendor message MALFORMED, version 0 UNSUPPORTED. Outputs are written only
 * on success. */
gnut_proto_err gnut_proxy_ack_decode(const uint8_t *buf, size_t len, uint32_t *ipv4,
                                     uint16_t *port);

/* Parses a push-proxy request target (either form above; the query may
 * carry other parameters, and parameter names are case-insensitive) into
 * the servent GUID. A target with another path is UNSUPPORTED; one without
 * a GUID parameter, or whose GUID does not decode to 16 bytes, MALFORMED. */
gnut_proto_err gnut_push_proxy_parse_target(const char *target, gnut_guid *out);
/* The target of our request for servent: the specification's form. */
char *gnut_push_proxy_format_target(const gnut_guid *servent);

#endif
