/* dial-rule.c: the addresses a servent may dial on a peer's word (see
 * dial-rule.h), on top of the IPv4 classes of address.h. */
#include "gnut/proto/dial-rule.h"

#include <string.h>

#include "gnut/proto/address.h"

/* IPv6 local addresses: loopback, link-local, unique local, site-local, and
 * IPv4-mapped ones whose IPv4 address is local. */
static bool ipv6_is_local(const uint8_t a[GNUT_ADDR_IPV6_BYTES])
{
	static const uint8_t loopback[GNUT_ADDR_IPV6_BYTES] = {[15] = 1};
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (memcmp(a, loopback, sizeof loopback) == 0)
		return true;
	if (a[0] == 0xfe && (a[1] & 0x80) == 0x80) /* fe80::/10 and fec0::/10 */
		return true;
	if ((a[0] & 0xfe) == 0xfc) /* fc00::/7 */
		return true;
	if (memcmp(a, mapped, sizeof mapped) == 0) {
		uint32_t v4 =
		    (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
		return gnut_addr_ipv4_is_local(v4);
	}
	return false;
}

bool gnut_dial_allows_local(const char *listen_host, size_t len, bool allow_private)
{
	if (allow_private)
		return true;
	uint32_t v4;
	uint8_t v6[GNUT_ADDR_IPV6_BYTES];
	if (gnut_addr_parse_ipv4(listen_host, len, &v4) == GNUT_PROTO_OK)
		return gnut_addr_ipv4_is_local(v4);
	if (gnut_addr_parse_ipv6(listen_host, len, v6) == GNUT_PROTO_OK)
		return ipv6_is_local(v6);
	return false;
}

gnut_dial_verdict gnut_dial_check_ipv4(uint32_t ip, uint16_t port, bool allow_local)
{
	if (port == 0)
		return GNUT_DIAL_NO_PORT;
	if (gnut_addr_ipv4_is_bogus(ip))
		return GNUT_DIAL_BOGUS;
	if (gnut_addr_ipv4_is_local(ip) && !allow_local)
		return GNUT_DIAL_LOCAL;
	return GNUT_DIAL_OK;
}

const char *gnut_dial_verdict_name(gnut_dial_verdict v)
{
	switch (v) {
	case GNUT_DIAL_OK:
		return "ok";
	case GNUT_DIAL_NO_PORT:
		return "no port";
	case GNUT_DIAL_BOGUS:
		return "bogus address";
	case GNUT_DIAL_LOCAL:
		return "local address";
	}
	return "?";
}
