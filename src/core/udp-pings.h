/* udp-pings.h: pings and pongs over the servent's UDP socket. A UDP ping is
 * answered with a pong about us (address, shares, GGEP VC, UP as an
 * ultrapeer, DU, and TLS when we accept it); as an ultrapeer, a ping
 * carrying GGEP SCP also gets IPP with a few fresh ultrapeers of the host
 * cache: gnutd is then a UDP host cache for others. What goes back obeys the
 * reflection rule (gnut/core/hosts/udp-guard.h): an answer larger than the
 * ping goes to a verified address only, others get a bare challenge ping
 * first. A UDP pong releases an answer its challenge held back, or answers a
 * UDP host cache query of the hosts room. Private to src/core: servent.c
 * builds it. */
#ifndef GNUT_UDP_PINGS_H
#define GNUT_UDP_PINGS_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/base/log-limit.h"
#include "gnut/core/hosts/hosts.h"
#include "gnut/core/links/links.h"
#include "gnut/core/share/share.h"
#include "gnut/net/udp.h"
#include "udp-dispatch.h"

#define UDP_PINGS_MAX_IPP 10 /* ultrapeers listed in one answer */

typedef struct {
	gnut_clock *clock; /* not owned */
	gnut_log_limit *bad_log;
	gboolean ultrapeer;
	gboolean tls;      /* we accept TLS: our pongs say so (GGEP TLS) */
	gint64 started_us; /* for DU */
} udp_pings_config;

typedef struct {
	guint64 pings;      /* UDP pings received */
	guint64 answered;   /* pongs sent at once */
	guint64 challenged; /* answers held back behind a challenge */
	guint64 released;   /* held answers sent once their challenge was answered */
	guint64 refused;    /* answers neither sent nor held (caps) */
} udp_pings_stats;

typedef struct udp_pings udp_pings;

udp_pings *udp_pings_new(const udp_pings_config *config);
void udp_pings_free(udp_pings *p);
/* What it answers with and through; any may change while it runs (udp is
 * NULL until the socket is bound; hosts NULL under --no-bootstrap). */
void udp_pings_attach(udp_pings *p, gnut_udp *udp, gnut_links *links, gnut_share *share,
                      gnut_hosts *hosts);
/* Registers the ping and pong handlers. */
void udp_pings_register(udp_pings *p, gnut_udp_dispatch *d);
/* Sends a datagram of our own initiative (a UDP host cache query): the
 * destination counts as solicited (udp-guard.h). A gnut_udp_send_fn. */
gboolean udp_pings_send(GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data);
const udp_pings_stats *udp_pings_get_stats(const udp_pings *p);
/* Our role changed: as an ultrapeer our pongs offer slots and host lists. */
void udp_pings_set_ultrapeer(udp_pings *p, gboolean ultrapeer);

#endif
