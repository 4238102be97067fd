/* servent-oob.h: the servent's out-of-band wiring and firewall detection.
 * It owns what the servent knows about its reachability:
 *  - TCP: firewalled until a connection from a remote host arrives (a
 *    Gnutella handshake, an HTTP request, a GIV): nobody dialed by us
 *    opens those; --firewalled keeps it firewalled regardless;
 *  - UDP: firewalled until a datagram arrives from an address we sent
 *    nothing to lately (gnut_udp_stats.unsolicited).
 * The push flag of our hits follows the TCP state, the "can receive
 * unsolicited" byte of our LIME/12 the UDP one, and our queries ask for
 * out-of-band hits (marked GUID, OOB flag, GGEP "SO") only when UDP is not
 * firewalled and our address is known. It takes the UDP vendor messages
 * (LIME/12 to claim for our searches, LIME/11 for the routing room to
 * serve) and UDP query hits (claimed ones only, search-oob.h). Private to
 * src/core. */
#ifndef GNUT_SERVENT_OOB_H
#define GNUT_SERVENT_OOB_H

#include <glib.h>

#include "gnut/base/log-limit.h"
#include "gnut/core/links/links.h"
#include "gnut/core/routing/routing.h"
#include "gnut/core/search/search-oob.h"
#include "gnut/core/servent.h"
#include "gnut/net/udp.h"
#include "udp-dispatch.h"

typedef struct {
	gnut_searches *searches;      /* not owned */
	gnut_routing *routing;        /* not owned */
	gnut_links *links;            /* not owned: our address as peers see it */
	gnut_log_limit *bad_log;      /* not owned */
	gboolean forced_firewalled;   /* --firewalled */
	gnut_search_hit_fn hit_added; /* each new hit of an OOB hit message */
	gpointer hit_data;
} servent_oob_config;

typedef struct servent_oob servent_oob;

servent_oob *servent_oob_new(const servent_oob_config *config);
void servent_oob_free(servent_oob *o);

/* The UDP socket (not owned; NULL when it could not be bound): registers
 * the VENDOR and QUERY_HIT handlers on d. */
void servent_oob_attach(servent_oob *o, gnut_udp *udp, gnut_udp_dispatch *d);

/* Sends msg over UDP to ipv4:port; FALSE without a socket or over a cap. */
gboolean servent_oob_send(servent_oob *o, uint32_t ipv4, guint16 port, GBytes *msg);

/* A connection from peer (for the log) reached us: TCP is not firewalled. */
void servent_oob_incoming_seen(servent_oob *o, const char *peer);
/* A datagram was received: checks whether one was unsolicited. */
void servent_oob_datagram_seen(servent_oob *o);

/* Whether our next query asks for OOB hits; *ipv4 and *port then say what
 * to mark its GUID with. *firewalled: the query's firewalled flag. */
gboolean servent_oob_query_marking(servent_oob *o, uint32_t *ipv4, guint16 *port,
                                   gboolean *firewalled);

/* TRUE until a remote connection reached us (always with --firewalled). */
gboolean servent_oob_tcp_firewalled(const servent_oob *o);

/* Fills the firewall and out-of-band fields of a status. */
void servent_oob_status(servent_oob *o, gnut_status_info *out);

#endif
