/* udp-pings.c: answering UDP pings and taking UDP pongs (see udp-pings.h). */
#define G_LOG_DOMAIN "gnut-core"

#include "config.h"

#include "udp-pings.h"

#include <stdlib.h>
#include <string.h>

#include "gnut/core/hosts/inet4.h"
#include "gnut/core/hosts/udp-guard.h"
#include "gnut/core/links/node.h"
#include "gnut/core/routing/responder.h"
#include "gnut/proto/uhc.h"

#define DAY_S       86400
#define LEAF_SLOTS  30 /* what UP says we take: our link caps are the real limit */
#define ULTRA_SLOTS 8

struct udp_pings {
	udp_pings_config config;
	gnut_udp *udp;
	gnut_links *links;
	gnut_share *share;
	gnut_hosts *hosts;
	gnut_udp_guard *guard;
	udp_pings_stats stats;
};

/* Do we hold a link with ip? */
static gboolean is_linked(guint32 ip, gpointer data)
{
	udp_pings *p = data;
	if (p->links == NULL)
		return FALSE;
	guint n = 0;
	const guint64 *ids = gnut_links_ids(p->links, &n);
	for (guint i = 0; i < n; i++) {
		gnut_node *node = gnut_links_lookup(p->links, ids[i]);
		const char *host = node != NULL ? gnut_node_get_host(node) : NULL;
		guint32 node_ip;
		if (host != NULL &&
		    gnut_addr_parse_ipv4(host, strlen(host), &node_ip) == GNUT_PROTO_OK &&
		    node_ip == ip)
			return TRUE;
	}
	return FALSE;
}

udp_pings *udp_pings_new(const udp_pings_config *config)
{
	udp_pings *p = g_new0(udp_pings, 1);
	p->config = *config;
	p->guard = gnut_udp_guard_new(config->clock, is_linked, p);
	return p;
}

void udp_pings_free(udp_pings *p)
{
	if (p == NULL)
		return;
	gnut_udp_guard_free(p->guard);
	g_free(p);
}

void udp_pings_attach(udp_pings *p, gnut_udp *udp, gnut_links *links, gnut_share *share,
                      gnut_hosts *hosts)
{
	p->udp = udp;
	p->links = links;
	p->share = share;
	p->hosts = hosts;
}

/* VC's version byte: major << 4 | minor of PACKAGE_VERSION. */
static guint8 version_byte(void)
{
	char *end = NULL;
	guint64 major = g_ascii_strtoull(PACKAGE_VERSION, &end, 10);
	guint64 minor = *end == '.' ? g_ascii_strtoull(end + 1, NULL, 10) : 0;
	return (guint8)(MIN(major, 15) << 4 | MIN(minor, 15));
}

/* The pong message answering ping h; IPP when the ping asked (SCP) and we
 * are an ultrapeer, without the asker itself (its UDP port is its listening
 * port). */
static GBytes *answer_pong(udp_pings *p, const gnut_msg_header *h, gboolean scp, guint32 ip,
                           guint16 port)
{
	gnut_ipv4_port fresh[UDP_PINGS_MAX_IPP + 1], hosts[UDP_PINGS_MAX_IPP];
	size_t n = 0;
	if (scp && p->config.ultrapeer && p->hosts != NULL) {
		guint got = gnut_hosts_fresh_ultrapeers(p->hosts, fresh, G_N_ELEMENTS(fresh));
		for (guint i = 0; i < got && n < UDP_PINGS_MAX_IPP; i++)
			if (fresh[i].ip != ip || fresh[i].port != port)
				hosts[n++] = fresh[i];
	}
	gint64 up_s = (gnut_clock_now_us(p->config.clock) - p->config.started_us) / G_USEC_PER_SEC;
	gnut_uhc_pong_fields f = {
	    .ip = gnut_links_self_ipv4(p->links),
	    .port = gnut_links_self_port(p->links),
	    .files = gnut_share_count(p->share),
	    .kib = (guint32)MIN(gnut_share_total_bytes(p->share) / 1024, G_MAXUINT32),
	    .version = version_byte(),
	    .ultrapeer = p->config.ultrapeer,
	    .tls = p->config.tls,
	    .leaf_slots = LEAF_SLOTS,
	    .ultra_slots = ULTRA_SLOTS,
	    .uptime_s = (guint32)CLAMP(up_s, 1, DAY_S),
	    .hosts = hosts,
	    .n_hosts = n,
	};
	memcpy(f.vendor, GNUT_RESPONDER_VENDOR, 4);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_uhc_pong_encode(payload, &f);
	GByteArray *msg = g_byte_array_new();
	gnut_msg_append(msg, &h->guid, GNUT_MSG_PONG, 1, 0, payload->data, payload->len);
	return g_byte_array_free_to_bytes(msg);
}

static void send_bytes(udp_pings *p, GInetSocketAddress *to, GBytes *b)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(b, &len);
	gnut_udp_send(p->udp, to, data, len);
}

/* A bare ping (header only) carrying the challenge's GUID. */
static void send_challenge(udp_pings *p, GInetSocketAddress *to, const gnut_guid *guid)
{
	g_autoptr(GByteArray) msg = g_byte_array_new();
	gnut_msg_append(msg, guid, GNUT_MSG_PING, 1, 0, NULL, 0);
	gnut_udp_send(p->udp, to, msg->data, msg->len);
}

static void on_ping(const gnut_msg_header *h, const guint8 *payload, GInetSocketAddress *from,
                    gpointer data)
{
	udp_pings *p = data;
	guint32 ip;
	guint16 port;
	bool scp = false;
	p->stats.pings++;
	if (p->udp == NULL || p->links == NULL || !gnut_inet4_from_socket_address(from, &ip, &port))
		return;
	gnut_proto_err err = gnut_uhc_ping_decode(payload, h->length, &scp);
	if (err != GNUT_PROTO_OK) {
		gnut_log_limited(p->config.bad_log, "udp: bad ping dropped: %s",
		                 gnut_proto_strerror(err));
		return;
	}
	g_autoptr(GBytes) answer = answer_pong(p, h, scp, ip, port);
	gnut_guid challenge;
	switch (gnut_udp_guard_check(p->guard, ip, port, GNUT_MSG_HEADER_LEN + h->length, answer,
	                             &challenge)) {
	case GNUT_UDP_GUARD_SEND:
		p->stats.answered++;
		send_bytes(p, from, answer);
		break;
	case GNUT_UDP_GUARD_CHALLENGE:
		p->stats.challenged++;
		send_challenge(p, from, &challenge);
		break;
	case GNUT_UDP_GUARD_DROP:
		p->stats.refused++;
		break;
	}
}

static void on_pong(const gnut_msg_header *h, const guint8 *payload, GInetSocketAddress *from,
                    gpointer data)
{
	udp_pings *p = data;
	guint32 ip;
	guint16 port;
	if (p->udp == NULL || !gnut_inet4_from_socket_address(from, &ip, &port))
		return;
	g_autoptr(GBytes) held = gnut_udp_guard_pong(p->guard, ip, port, &h->guid);
	if (held != NULL) {
		p->stats.released++;
		send_bytes(p, from, held);
		return;
	}
	if (p->hosts != NULL && gnut_hosts_udp_pong(p->hosts, h, payload, from))
		gnut_udp_guard_proved(p->guard, ip, port);
}

void udp_pings_register(udp_pings *p, gnut_udp_dispatch *d)
{
	gnut_udp_dispatch_register(d, GNUT_MSG_PING, on_ping, p);
	gnut_udp_dispatch_register(d, GNUT_MSG_PONG, on_pong, p);
}

gboolean udp_pings_send(GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data)
{
	udp_pings *p = user_data;
	guint32 ip;
	guint16 port;
	if (p->udp == NULL)
		return FALSE;
	if (gnut_inet4_from_socket_address(to, &ip, &port))
		gnut_udp_guard_solicited(p->guard, ip, port);
	return gnut_udp_send(p->udp, to, data, len);
}

const udp_pings_stats *udp_pings_get_stats(const udp_pings *p)
{
	return &p->stats;
}

void udp_pings_set_ultrapeer(udp_pings *p, gboolean ultrapeer)
{
	p->config.ultrapeer = ultrapeer;
}
