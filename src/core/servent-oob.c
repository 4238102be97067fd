/* servent-oob.c: firewall detection and the UDP side of out-of-band hits
 * (see servent-oob.h). */
#define G_LOG_DOMAIN "gnut-core"

#include "servent-oob.h"

#include "gnut/proto/oob.h"
#include "gnut/proto/wire.h"

struct servent_oob {
	servent_oob_config config;
	gnut_search_oob *search_oob;
	gnut_udp *udp; /* not owned */
	gboolean tcp_firewalled;
	gboolean udp_firewalled;
};

static void tell_routing(servent_oob *o)
{
	gnut_routing_set_firewalled(o->config.routing, o->tcp_firewalled, o->udp_firewalled);
}

servent_oob *servent_oob_new(const servent_oob_config *config)
{
	servent_oob *o = g_new0(servent_oob, 1);
	o->config = *config;
	o->search_oob = gnut_search_oob_new(config->searches);
	o->tcp_firewalled = TRUE;
	o->udp_firewalled = TRUE;
	tell_routing(o);
	return o;
}

void servent_oob_free(servent_oob *o)
{
	if (o == NULL)
		return;
	gnut_search_oob_free(o->search_oob);
	g_free(o);
}

/* The IPv4 and port of a sender; FALSE for an IPv6 one. */
static gboolean sender_ipv4(GInetSocketAddress *from, uint32_t *ipv4, guint16 *port)
{
	GInetAddress *ip = g_inet_socket_address_get_address(from);
	if (g_inet_address_get_family(ip) != G_SOCKET_FAMILY_IPV4)
		return FALSE;
	*ipv4 = gnut_peek_be32(g_inet_address_to_bytes(ip));
	*port = g_inet_socket_address_get_port(from);
	return TRUE;
}

gboolean servent_oob_send(servent_oob *o, uint32_t ipv4, guint16 port, GBytes *msg)
{
	if (o->udp == NULL)
		return FALSE;
	guint8 bytes[4];
	gnut_poke_be32(bytes, ipv4);
	g_autoptr(GInetAddress) ip = g_inet_address_new_from_bytes(bytes, G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) to = g_inet_socket_address_new(ip, port);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(msg, &len);
	return gnut_udp_send(o->udp, G_INET_SOCKET_ADDRESS(to), data, len);
}

/* A LIME/12 for one of our searches is claimed; a LIME/11 is the routing
 * room's; other vendor messages over UDP are not ours to handle. */
static void on_udp_vendor(const gnut_msg_header *h, const guint8 *payload, GInetSocketAddress *from,
                          gpointer data)
{
	servent_oob *o = data;
	uint32_t ipv4;
	guint16 port;
	if (!sender_ipv4(from, &ipv4, &port))
		return;
	gnut_oob_reply reply;
	if (gnut_oob_reply_decode(payload, h->length, &reply) == GNUT_PROTO_OK) {
		g_autoptr(GByteArray) claim = g_byte_array_new();
		if (!gnut_search_oob_offer(o->search_oob, &h->guid, ipv4, port, reply.hits, claim))
			return;
		GByteArray *msg = g_byte_array_sized_new(GNUT_MSG_HEADER_LEN + claim->len);
		gnut_msg_append(msg, &h->guid, GNUT_MSG_VENDOR, 1, 0, claim->data, claim->len);
		g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(msg);
		servent_oob_send(o, ipv4, port, bytes);
		return;
	}
	gnut_routing_udp_vendor(o->config.routing, h, payload, ipv4, port);
}

static void on_udp_hit(const gnut_msg_header *h, const guint8 *payload, GInetSocketAddress *from,
                       gpointer data)
{
	servent_oob *o = data;
	uint32_t ipv4;
	guint16 port;
	if (!sender_ipv4(from, &ipv4, &port) ||
	    !gnut_search_oob_take_hit(o->search_oob, &h->guid, ipv4, port, payload, h->length,
	                              o->config.hit_added, o->config.hit_data)) {
		g_autofree char *ip =
		    g_inet_address_to_string(g_inet_socket_address_get_address(from));
		gnut_log_limited(o->config.bad_log,
		                 "udp: query hit from %s:%u dropped: not claimed, or no token", ip,
		                 g_inet_socket_address_get_port(from));
	}
}

void servent_oob_attach(servent_oob *o, gnut_udp *udp, gnut_udp_dispatch *d)
{
	o->udp = udp;
	if (udp == NULL)
		return;
	gnut_udp_dispatch_register(d, GNUT_MSG_VENDOR, on_udp_vendor, o);
	gnut_udp_dispatch_register(d, GNUT_MSG_QUERY_HIT, on_udp_hit, o);
}

void servent_oob_incoming_seen(servent_oob *o, const char *peer)
{
	if (!o->tcp_firewalled || o->config.forced_firewalled)
		return;
	o->tcp_firewalled = FALSE;
	g_message("firewall: connection from %s: not firewalled for TCP", peer);
	tell_routing(o);
}

void servent_oob_datagram_seen(servent_oob *o)
{
	if (!o->udp_firewalled || o->udp == NULL || gnut_udp_get_stats(o->udp)->unsolicited == 0)
		return;
	o->udp_firewalled = FALSE;
	g_message("firewall: unsolicited datagram received: not firewalled for UDP");
	tell_routing(o);
}

gboolean servent_oob_query_marking(servent_oob *o, uint32_t *ipv4, guint16 *port,
                                   gboolean *firewalled)
{
	*firewalled = o->tcp_firewalled;
	*ipv4 = gnut_links_self_ipv4(o->config.links);
	*port = o->udp != NULL ? gnut_udp_get_port(o->udp) : 0;
	return !o->udp_firewalled && *ipv4 != 0 && *port != 0;
}

void servent_oob_status(servent_oob *o, gnut_status_info *out)
{
	const gnut_search_oob_stats *q = gnut_search_oob_get_stats(o->search_oob);
	const gnut_oob_serve_stats *r = gnut_routing_oob_stats(o->config.routing);
	out->tcp_firewalled = o->tcp_firewalled;
	out->udp_firewalled = o->udp_firewalled;
	out->oob_claims_sent = q->claims_sent;
	out->oob_hits_received = q->hits_received;
	out->oob_hits_dropped =
	    q->hits_unclaimed + q->hits_bad_token + q->hits_over_claim + q->hits_malformed;
	out->oob_offers_sent = r->offered;
	out->oob_hits_sent = r->hits_sent;
}

gboolean servent_oob_tcp_firewalled(const servent_oob *o)
{
	return o->tcp_firewalled;
}
