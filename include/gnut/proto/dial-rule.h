/* dial-rule.h: which addresses a servent may connect to on a peer's word.
 * Peers name hosts for us to dial: the downloader of a PUSH, the servent of
 * a query hit, the hosts of pongs and X-Try-Ultrapeers. A hostile peer would
 * name the user's own LAN, localhost, or addresses no host has (broadcast,
 * multicast) to turn the servent against its user or its network. The rule:
 *
 * - never an address that is no unicast host anywhere: 0.0.0.0/8,
 *   multicast, reserved (240/4), broadcast, and the protocol, documentation
 *   and benchmarking blocks (gnut_addr_ipv4_is_bogus), nor port 0;
 * - a loopback, private, shared (CGNAT) or link-local address
 *   (gnut_addr_ipv4_is_local) only when local addresses are allowed: the
 *   servent itself listens on such an address (it runs on a private network,
 *   as tests do on 127.0.0.1), or the user said so (--allow-private-peers).
 *
 * What the user asks for (--peer, `gnut connect`) is the user's choice and
 * goes through no rule. Pure functions of their arguments. */
#ifndef GNUT_DIAL_RULE_H
#define GNUT_DIAL_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	GNUT_DIAL_OK,      /* may be dialed */
	GNUT_DIAL_NO_PORT, /* port 0 */
	GNUT_DIAL_BOGUS,   /* no unicast host has this address */
	GNUT_DIAL_LOCAL,   /* loopback or private, and local addresses are not allowed */
} gnut_dial_verdict;

/* Whether a servent that listens on listen_host[0..len) may dial local
 * addresses: allow_private, or listen_host is an IPv4 or IPv6 literal of a
 * local address: IPv4 as gnut_addr_ipv4_is_local, IPv6 loopback (::1),
 * link-local (fe80::/10), unique local (fc00::/7), site-local (fec0::/10) or
 * an IPv4-mapped local one. The wildcards (0.0.0.0, ::) are not local: a
 * servent listening on every address is on the Internet. Text that is no IP
 * literal is not local either. */
bool gnut_dial_allows_local(const char *listen_host, size_t len, bool allow_private);

/* The verdict on dialing ip:port (ip in host order). */
gnut_dial_verdict gnut_dial_check_ipv4(uint32_t ip, uint16_t port, bool allow_local);

/* "ok", "no port", "bogus address", "local address" (for logs). */
const char *gnut_dial_verdict_name(gnut_dial_verdict v);

#endif
