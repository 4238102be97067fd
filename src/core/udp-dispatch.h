/* udp-dispatch.h: turns the datagrams of the servent's UDP socket into
 * Gnutella messages and hands each to the room that handles its type. A
 * datagram carries exactly one message: its 23-byte header, then exactly the
 * payload the header announces (no more, no less), else it is dropped,
 * counted and logged (at most a line a second). A type nobody registered is
 * dropped and counted too. Private to src/core: servent.c builds it and
 * registers the rooms' handlers. */
#ifndef GNUT_UDP_DISPATCH_H
#define GNUT_UDP_DISPATCH_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/log-limit.h"
#include "gnut/proto/msg-header.h"

/* One message that arrived over UDP from `from`; payload holds h->length
 * bytes and is valid during the call only. */
typedef void (*gnut_udp_msg_fn)(const gnut_msg_header *h, const guint8 *payload,
                                GInetSocketAddress *from, gpointer user_data);

typedef struct {
	guint64 messages;  /* handed to a handler */
	guint64 malformed; /* dropped: no header, or a length that disagrees */
	guint64 unhandled; /* dropped: a type with no handler */
} gnut_udp_dispatch_stats;

typedef struct gnut_udp_dispatch gnut_udp_dispatch;

/* bad_log: where malformed datagrams are logged (not owned). */
gnut_udp_dispatch *gnut_udp_dispatch_new(gnut_log_limit *bad_log);
void gnut_udp_dispatch_free(gnut_udp_dispatch *d);
/* Messages of type go to handler (one handler per type; a later call
 * replaces an earlier one). */
void gnut_udp_dispatch_register(gnut_udp_dispatch *d, guint8 type, gnut_udp_msg_fn handler,
                                gpointer user_data);
/* One datagram of len bytes from `from`. */
void gnut_udp_dispatch_datagram(gnut_udp_dispatch *d, const guint8 *data, gsize len,
                                GInetSocketAddress *from);
const gnut_udp_dispatch_stats *gnut_udp_dispatch_get_stats(const gnut_udp_dispatch *d);

#endif
