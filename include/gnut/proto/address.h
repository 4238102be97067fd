/* address.h: IP addresses and "host:port" text as peers and users write them
 * (Listen-IP, X-Try-Ultrapeers, X-Alt, Remote-IP, the host cache file,
 * --peer), and the classes of IPv4 addresses (private, reserved, ...).
 *
 * A pure codec: no sockets, no name resolution, no GIO objects. Every parser
 * takes (buffer, length), reads nothing past it (the text needs no NUL), and
 * accepts exactly one spelling per value:
 *
 * - An IPv4 literal is four decimal octets 0..255 separated by dots, each
 *   without leading zeros ("0" is fine, "01" is not), nothing before or after.
 *   This is what inet_pton(AF_INET) accepts (and so GLib's
 *   g_inet_address_new_from_string). inet_aton would read "010" as octal 8
 *   and "1.2.3" as 1.2.0.3; gtk-gnutella's string_to_ip_strict reads "010"
 *   as decimal 10. Both readings exist in the wild, so such text is refused
 *   rather than guessed at; no servent writes it (they all print "%u").
 * - An IPv6 literal is what inet_pton(AF_INET6) accepts: eight groups of 1 to
 *   4 hex digits (either case), one "::" standing for one or more zero
 *   groups, the last 32 bits optionally as an IPv4 literal. No zone ("%eth0").
 * - A port is 1 to 5 decimal digits, no sign, no leading zero, 1..65535.
 * - A host name is dot-separated labels of 1..63 letters, digits and inner
 *   '-' (RFC 1123), at most GNUT_ADDR_MAX_NAME bytes, no trailing dot, and a
 *   last label that is not all digits (so "1.2.3" or "1.2.3.256" are neither
 *   an IPv4 literal nor a name).
 * - "host:port" is an IPv4 literal, a host name or a bracketed IPv6 literal
 *   ("[::1]:6346"), then ':' and a port. An IPv6 literal without brackets is
 *   refused: "::1:6346" could be an address with or without a port.
 *
 * No parser trims white space: a caller that splits a list trims its items.
 * Addresses are in host order: 1.2.3.4 is 0x01020304. */
#ifndef GNUT_ADDRESS_H
#define GNUT_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_ADDR_IPV4_LEN      16  /* "255.255.255.255" + NUL */
#define GNUT_ADDR_IPV4_PORT_LEN 22  /* "255.255.255.255:65535" + NUL */
#define GNUT_ADDR_IPV6_BYTES    16  /* an IPv6 address in network order */
#define GNUT_ADDR_MAX_NAME      253 /* bytes of a host name (RFC 1035 text form) */
#define GNUT_ADDR_MAX_HOST_PORT (GNUT_ADDR_MAX_NAME + 6) /* "<name>:65535" */

/* Parses exactly buf[0..len) as an IPv4 literal into *ip (host order).
 * MALFORMED for anything else (empty text included); *ip is set on OK only. */
gnut_proto_err gnut_addr_parse_ipv4(const char *buf, size_t len, uint32_t *ip);

/* Parses exactly buf[0..len) as an IPv6 literal (no brackets) into out
 * (network order). MALFORMED for anything else; out is set on OK only. */
gnut_proto_err gnut_addr_parse_ipv6(const char *buf, size_t len, uint8_t out[GNUT_ADDR_IPV6_BYTES]);

/* Parses exactly buf[0..len) as a port 1..65535. MALFORMED for anything else
 * ("0", "06346", "+1", "0x10", "65536", ""); *port is set on OK only. */
gnut_proto_err gnut_addr_parse_port(const char *buf, size_t len, uint16_t *port);

/* Whether buf[0..len) is a host name as described above. */
bool gnut_addr_is_host_name(const char *buf, size_t len);

/* "a.b.c.d:port" spanning exactly buf[0..len); a bare "a.b.c.d" takes
 * default_port, unless default_port is 0: then the port is required. A ':'
 * must be followed by a valid port. MALFORMED for anything else; the outputs
 * are set on OK only. */
gnut_proto_err gnut_addr_parse_ipv4_port(const char *buf, size_t len, uint16_t default_port,
                                         uint32_t *ip, uint16_t *port);

typedef enum {
	GNUT_ADDR_HOST_IPV4, /* an IPv4 literal: ipv4 holds it */
	GNUT_ADDR_HOST_IPV6, /* a bracketed IPv6 literal: ipv6 holds it */
	GNUT_ADDR_HOST_NAME, /* a host name, to be resolved by whoever dials it */
} gnut_addr_host_kind;

/* One parsed "host:port". */
typedef struct {
	gnut_addr_host_kind kind;
	const char *host; /* points into the input, not NUL-terminated: the name, the
	                     IPv4 literal or the IPv6 literal without its brackets */
	size_t host_len;
	uint32_t ipv4;                      /* GNUT_ADDR_HOST_IPV4 only; host order */
	uint8_t ipv6[GNUT_ADDR_IPV6_BYTES]; /* GNUT_ADDR_HOST_IPV6 only */
	uint16_t port;                      /* never 0 */
} gnut_addr_host_port;

/* Parses exactly buf[0..len) as "host:port" (see above); a host without
 * ":port" takes default_port, unless default_port is 0: then the port is
 * required. TOO_LARGE when len is over GNUT_ADDR_MAX_HOST_PORT or a host
 * (not an IP literal) over GNUT_ADDR_MAX_NAME bytes, MALFORMED for anything
 * else off the grammar. *out is set on OK only. */
gnut_proto_err gnut_addr_parse_host_port(const char *buf, size_t len, uint16_t default_port,
                                         gnut_addr_host_port *out);

/* Writes "a.b.c.d" (NUL-terminated) into out; returns its length. */
size_t gnut_addr_format_ipv4(uint32_t ip, char out[GNUT_ADDR_IPV4_LEN]);

/* Writes "a.b.c.d:port" (NUL-terminated) into out; returns its length. */
size_t gnut_addr_format_ipv4_port(uint32_t ip, uint16_t port, char out[GNUT_ADDR_IPV4_PORT_LEN]);

/* Appends "host:port", or "[host]:port" when host holds a ':' (an IPv6
 * literal), to out. host is written as given. */
void gnut_addr_append_host_port(GString *out, const char *host, uint16_t port);

/* What an IPv4 address is, by the IANA special-purpose registry (RFC 6890)
 * as far as a Gnutella servent cares. */
typedef enum {
	GNUT_ADDR_IPV4_PUBLIC,        /* none of the below: a host on the Internet */
	GNUT_ADDR_IPV4_UNSPECIFIED,   /* 0.0.0.0/8 "this network" (0.0.0.0 itself) */
	GNUT_ADDR_IPV4_LOOPBACK,      /* 127.0.0.0/8 */
	GNUT_ADDR_IPV4_PRIVATE,       /* RFC 1918: 10/8, 172.16/12, 192.168/16 */
	GNUT_ADDR_IPV4_SHARED,        /* RFC 6598 carrier-grade NAT: 100.64/10 */
	GNUT_ADDR_IPV4_LINK_LOCAL,    /* 169.254/16 */
	GNUT_ADDR_IPV4_PROTOCOL,      /* 192.0.0.0/24 IETF protocol assignments */
	GNUT_ADDR_IPV4_DOCUMENTATION, /* RFC 5737: 192.0.2/24, 198.51.100/24, 203.0.113/24 */
	GNUT_ADDR_IPV4_BENCHMARK,     /* RFC 2544: 198.18/15 */
	GNUT_ADDR_IPV4_MULTICAST,     /* 224/4 */
	GNUT_ADDR_IPV4_RESERVED,      /* 240/4 but the broadcast address */
	GNUT_ADDR_IPV4_BROADCAST,     /* 255.255.255.255 */
} gnut_addr_ipv4_class;

gnut_addr_ipv4_class gnut_addr_ipv4_classify(uint32_t ip);

/* "public", "loopback", "private", "shared", ... (for logs). */
const char *gnut_addr_ipv4_class_name(gnut_addr_ipv4_class c);

/* Reachable only inside a site: loopback, private, shared or link-local.
 * Tests and private networks run there; the open Internet never does. */
bool gnut_addr_ipv4_is_local(uint32_t ip);

/* Never the unicast address of a Gnutella host on any network: unspecified,
 * protocol assignments, documentation, benchmarking, multicast, reserved
 * and broadcast. Nothing should dial or advertise it. */
bool gnut_addr_ipv4_is_bogus(uint32_t ip);

#endif
