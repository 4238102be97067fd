/* responder.h: what this servent answers to other peers' requests: a pong for
 * a ping, query hits for a query that matches our shares. It builds whole
 * messages (header and payload) and sends nothing: the servent routes them
 * back on the link the request came from. */
#ifndef GNUT_RESPONDER_H
#define GNUT_RESPONDER_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/push-proxy.h"
#include "gnut/proto/wire.h"
#include "gnut/core/share/partials.h"
#include "gnut/core/share/share.h"

#define GNUT_RESPONDER_VENDOR          "GNTU" /* our vendor code in query hits */
#define GNUT_RESPONDER_RESULTS_PER_HIT 10     /* results in one query hit message */
#define GNUT_RESPONDER_MAX_RESULTS     50     /* results sent for one query */

/* Who we are, as written into pongs and hits. */
typedef struct {
	uint32_t ipv4; /* host order: 1.2.3.4 is 0x01020304 */
	uint16_t port;
	gnut_guid servent;
	uint32_t speed_kbps;
	bool busy;       /* every upload slot taken */
	bool uploaded;   /* we have uploaded at least one file */
	bool firewalled; /* peers cannot connect to us: downloaders must push */
	bool tls;        /* we accept TLS: GGEP TLS (empty) in our hits' private area and pongs */
	/* a claim's out-of-band security token: sent as GGEP "SO" in the
	 * private area of our hits; empty for hits over TCP */
	gnut_slice oob_token;
	/* our push proxies: GGEP "PUSH" in the private area of our hits while
	 * firewalled */
	gnut_push_proxies proxies;
	/* files still downloading that we offer (NULL: none): a query naming
	 * one's URN, or asking for partial results (GGEP "PR") with keywords
	 * matching its name, gets a result for it marked with GGEP "PRU"
	 * (gnut/proto/partial-result.h), after the complete files' */
	gnut_partials *partials;
} gnut_responder_self;

/* The pong answering ping (same GUID, TTL = its hops + 1, hops 0) with our
 * address and what we share. */
GBytes *gnut_responder_pong(const gnut_responder_self *self, gnut_share *share,
                            const gnut_msg_header *ping);

/* Query hit messages (GBytes, oldest first) for a query that arrived with
 * header qh and payload[0..len), or an empty array when nothing matches or
 * the payload is not a valid query (*error then says why, else NULL). A query
 * with SHA-1 URNs is answered by hash, else by keywords; results are capped
 * per message and per query; files of 4 GiB or more are left out (the size
 * field has 32 bits). */
GPtrArray *gnut_responder_hits(const gnut_responder_self *self, gnut_share *share,
                               const gnut_msg_header *qh, const uint8_t *payload, size_t len,
                               const char **error);

#endif
