/* push-proxying.h: push proxies over our links, private to the routing
 * room (doc/gnutella/push_proxy). Both sides:
 *   - as a leaf, we ask each ultrapeer link for proxying (LIME/21, with our
 *     servent GUID as the message GUID) and keep the addresses their
 *     acknowledgements (LIME/22) give, checked by the dial rule, for the
 *     GGEP "PUSH" of our hits; a link's proxy goes with the link;
 *   - as an ultrapeer, we acknowledge a leaf's request with our address and
 *     remember its GUID; a downloader's HTTP push-proxy request (served by
 *     the upload room, handed here) then becomes a Push (file index 0, TTL
 *     1) over that leaf's link. Requests are capped per requesting address
 *     and overall, and the X-Node address must be the requester's own (a
 *     proxy is no way to make a leaf dial a third party). */
#ifndef GNUT_PUSH_PROXYING_H
#define GNUT_PUSH_PROXYING_H

#include "gnut/base/clock.h"
#include "gnut/base/log-limit.h"
#include "gnut/core/links/links.h"
#include "gnut/proto/push-proxy.h"

#define GNUT_PROXYING_PER_IP     10  /* push-proxy requests from one address ... */
#define GNUT_PROXYING_ALL        200 /* ... and from all of them, per window */
#define GNUT_PROXYING_WINDOW_S   60
#define GNUT_PROXYING_MAX_LEAVES 1024 /* leaves we proxy for at most */

typedef struct gnut_proxying gnut_proxying;

typedef struct {
	gnut_clock *clock; /* not owned */
	gnut_links *links; /* not owned */
	gnut_guid guid;    /* our servent GUID */
	gboolean ultrapeer;
	gboolean allow_local;    /* proxies and X-Node may be local addresses (dial-rule.h) */
	gnut_log_limit *bad_log; /* not owned */
} gnut_proxying_config;

typedef struct {
	guint64 requests;    /* HTTP push-proxy requests handed to us */
	guint64 pushes_sent; /* of them, relayed to a leaf as a Push (202) */
	guint64 refused;     /* answered 4xx/5xx: unknown leaf, bad X-Node, over a cap */
	guint64 leaves;      /* leaves we proxy for, now */
	guint64 proxies;     /* as a leaf: our proxies, now */
} gnut_proxying_stats;

gnut_proxying *gnut_proxying_new(const gnut_proxying_config *config);
void gnut_proxying_free(gnut_proxying *p);
/* Our role changed: as a leaf we ask for proxies, as an ultrapeer we are one. */
void gnut_proxying_set_ultrapeer(gnut_proxying *p, gboolean ultrapeer);

/* A link is up: a leaf asks an ultrapeer to be its proxy. */
void gnut_proxying_link_up(gnut_proxying *p, gnut_node *node);
void gnut_proxying_link_closed(gnut_proxying *p, guint64 link);
/* A vendor message for us: TRUE when it was LIME/21 or LIME/22 (handled). */
gboolean gnut_proxying_vendor(gnut_proxying *p, gnut_node *from, const gnut_msg_header *h,
                              const guint8 *payload);
/* Our proxies (as a leaf), at most GNUT_PUSH_PROXY_MAX. */
void gnut_proxying_ours(const gnut_proxying *p, gnut_push_proxies *out);
/* A downloader at requester (IPv4, host order; 0 when it came over IPv6)
 * asks us to push the leaf servent to connect to ipv4:port. Returns the
 * HTTP status: 202 when the Push went out, 410 when we proxy no such leaf
 * (or its link is gone), 400 for an X-Node address the dial rule refuses or
 * that is not the requester's, 429 over a cap. */
unsigned gnut_proxying_request(gnut_proxying *p, const gnut_guid *servent, uint32_t requester,
                               uint32_t ipv4, guint16 port);
void gnut_proxying_get_stats(const gnut_proxying *p, gnut_proxying_stats *out);

#endif
