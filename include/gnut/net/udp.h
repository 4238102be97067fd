/* udp.h: the servent's one UDP socket, bound to the address and port of the
 * listening TCP socket. It knows nothing of Gnutella: each datagram that
 * arrives goes to the owner's receive callback with its sender's address,
 * and the owner sends datagrams to addresses it chooses.
 *
 * Every cap here is one a stranger could otherwise fill:
 *  - a datagram longer than max_datagram is dropped (counted), never read
 *    in part;
 *  - each sender address (gnut_ip_key: an IPv4 address or an IPv6 /64) may
 *    deliver recv_burst datagrams at once, then one per recv_interval_ms;
 *    the rest is dropped unread by the owner (counted, logged once a second);
 *  - what we send is capped twice: per destination address (send_burst
 *    datagrams at once, then one per send_interval_ms), so that nobody can
 *    make us flood one victim, and globally in bytes per second
 *    (send_rate), so that nobody can make us flood the uplink. A datagram
 *    over either cap is not sent (gnut_udp_send returns FALSE).
 * Whether an answer may be sent at all (reflection: a reply larger than the
 * request to an address that never proved it asked) is the owner's policy.
 * The addresses we sent to lately are remembered (as many as the address
 * table holds) so that a datagram from any other counts as unsolicited:
 * what firewall detection needs to know that strangers can reach us.
 *
 * Reading drains at most RECV_BATCH datagrams per wake-up so that the rest
 * of the main loop runs under a flood. Sources are attached to the
 * thread-default main context current at creation. */
#ifndef GNUT_UDP_H
#define GNUT_UDP_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/clock.h"

#define GNUT_UDP_DEFAULT_MAX_DATAGRAM  (16 * 1024)
#define GNUT_UDP_DEFAULT_RECV_BURST    20
#define GNUT_UDP_DEFAULT_RECV_INTERVAL 100 /* milliseconds: 10 a second */
#define GNUT_UDP_DEFAULT_SEND_BURST    10
#define GNUT_UDP_DEFAULT_SEND_INTERVAL 200         /* milliseconds: 5 a second */
#define GNUT_UDP_DEFAULT_SEND_RATE     (64 * 1024) /* bytes per second */
/* Sender addresses remembered for the per-address caps. */
#define GNUT_UDP_ADDRESS_TABLE 4096
/* A datagram from an address we sent nothing to within this long is
 * unsolicited: it proves we can receive datagrams nobody asked for. */
#define GNUT_UDP_SOLICITED_US (5 * 60 * G_USEC_PER_SEC)

typedef struct gnut_udp gnut_udp;

typedef struct {
	const char *address; /* an IP literal, as the listener's */
	guint16 port;        /* 0: an ephemeral port */
	gsize max_datagram;  /* 0: default */
	/* 0 means the default; GNUT_IP_ADMIT_UNLIMITED (ip-admit.h) as a burst
	 * lifts that cap */
	guint recv_burst;
	guint recv_interval_ms;
	guint send_burst;
	guint send_interval_ms;
	guint64 send_rate; /* bytes per second; G_MAXUINT64: unlimited */
	gnut_clock *clock; /* not owned; NULL: the system's */
} gnut_udp_config;

typedef struct {
	guint64 received; /* datagrams handed to the owner */
	guint64 received_bytes;
	guint64 unsolicited;  /* of them, from addresses we sent nothing to lately */
	guint64 oversize;     /* dropped: longer than max_datagram */
	guint64 throttled_in; /* dropped: their sender sends too often */
	guint64 sent;         /* datagrams written */
	guint64 sent_bytes;
	guint64 throttled_out; /* not sent: that destination gets too many */
	guint64 over_budget;   /* not sent: the global byte budget is spent */
	guint64 send_errors;   /* not sent: the socket refused them */
} gnut_udp_stats;

/* A datagram of len bytes (len <= max_datagram) from the address from. The
 * bytes are valid during the call only. */
typedef void (*gnut_udp_recv_fn)(gnut_udp *udp, const guint8 *data, gsize len,
                                 GInetSocketAddress *from, gpointer user_data);

/* Binds and starts reading. NULL with error when the address is not an IP
 * literal or the port cannot be bound. */
gnut_udp *gnut_udp_new(const gnut_udp_config *config, gnut_udp_recv_fn recv, gpointer user_data,
                       GError **error);
void gnut_udp_free(gnut_udp *udp);
guint16 gnut_udp_get_port(const gnut_udp *udp);
/* Sends one datagram to `to` unless a cap above refuses it or the socket
 * would block; TRUE when it went out whole. */
gboolean gnut_udp_send(gnut_udp *udp, GInetSocketAddress *to, const guint8 *data, gsize len);
const gnut_udp_stats *gnut_udp_get_stats(const gnut_udp *udp);

#endif
