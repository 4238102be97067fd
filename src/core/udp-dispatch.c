/* udp-dispatch.c: a table of handlers indexed by message type, and the
 * checks a datagram passes before it reaches one (see udp-dispatch.h). */
#define G_LOG_DOMAIN "gnut-core"

#include "udp-dispatch.h"

typedef struct {
	gnut_udp_msg_fn handler;
	gpointer user_data;
} dispatch_entry;

struct gnut_udp_dispatch {
	dispatch_entry by_type[256];
	gnut_log_limit *bad_log;
	gnut_udp_dispatch_stats stats;
};

gnut_udp_dispatch *gnut_udp_dispatch_new(gnut_log_limit *bad_log)
{
	gnut_udp_dispatch *d = g_new0(gnut_udp_dispatch, 1);
	d->bad_log = bad_log;
	return d;
}

void gnut_udp_dispatch_free(gnut_udp_dispatch *d)
{
	g_free(d);
}

void gnut_udp_dispatch_register(gnut_udp_dispatch *d, guint8 type, gnut_udp_msg_fn handler,
                                gpointer user_data)
{
	d->by_type[type] = (dispatch_entry){handler, user_data};
}

static void log_malformed(gnut_udp_dispatch *d, GInetSocketAddress *from, const char *why)
{
	d->stats.malformed++;
	g_autofree char *ip = g_inet_address_to_string(g_inet_socket_address_get_address(from));
	gnut_log_limited(d->bad_log, "udp: datagram from %s:%u dropped: %s", ip,
	                 g_inet_socket_address_get_port(from), why);
}

void gnut_udp_dispatch_datagram(gnut_udp_dispatch *d, const guint8 *data, gsize len,
                                GInetSocketAddress *from)
{
	gnut_msg_header h;
	if (gnut_msg_header_decode(data, len, GNUT_MSG_MAX_PAYLOAD, &h) != GNUT_PROTO_OK) {
		log_malformed(d, from, "no valid message header");
		return;
	}
	if ((gsize)h.length != len - GNUT_MSG_HEADER_LEN) {
		log_malformed(d, from, "payload length disagrees with the header");
		return;
	}
	const dispatch_entry *e = &d->by_type[h.type];
	if (e->handler == NULL) {
		d->stats.unhandled++;
		return;
	}
	d->stats.messages++;
	e->handler(&h, data + GNUT_MSG_HEADER_LEN, from, e->user_data);
}

const gnut_udp_dispatch_stats *gnut_udp_dispatch_get_stats(const gnut_udp_dispatch *d)
{
	return &d->stats;
}
