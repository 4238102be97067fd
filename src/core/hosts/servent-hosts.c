/* servent-hosts.c: the hosts the servent learns on its own (from pongs, from
 * X-Try-Ultrapeers in handshakes, from its peers' Listen-IP), kept in a host
 * cache saved in the data dir, and dialed while the servent has fewer links
 * than it wants. Never used under --no-bootstrap: then only --peer hosts and
 * those given by `gnut connect` are dialed, and nothing is learned. */
#include "config.h"

#include <string.h>

#include "gnut/core/hosts/hostcache.h"
#include "gnut/proto/pong.h"
#include "core/servent-private.h"

#define HOSTS_FILE       "hosts.cache"
#define WANT_LINKS_UP    8 /* links an ultrapeer keeps to other ultrapeers */
#define WANT_LINKS_LEAF  3 /* ultrapeers a leaf keeps */
#define MAX_CACHE_DIALS  2 /* cache dials under way at once */
#define SAVE_INTERVAL_US (300 * G_USEC_PER_SEC)

/* A servent listening on a loopback or private address is on a private
 * network: its cache must keep such addresses, which the public network's
 * hosts never announce. */
static gnut_hostcache_flags cache_flags(gnut_servent *s)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(s->listen_host);
	if (a != NULL && (g_inet_address_get_is_loopback(a) || g_inet_address_get_is_site_local(a)))
		return GNUT_HOSTCACHE_ALLOW_PRIVATE;
	return GNUT_HOSTCACHE_FLAGS_NONE;
}

gboolean servent_hosts_init(gnut_servent *s, GError **error)
{
	if (s->no_bootstrap)
		return TRUE;
	g_autofree char *path = g_build_filename(s->data_dir, HOSTS_FILE, NULL);
	s->hostcache = gnut_hostcache_new(s->clock, path, cache_flags(s), error);
	s->hosts_saved_us = gnut_clock_now_us(s->clock);
	return s->hostcache != NULL;
}

void servent_hosts_free(gnut_servent *s)
{
	if (s->hostcache == NULL)
		return;
	g_autoptr(GError) error = NULL;
	if (!gnut_hostcache_save(s->hostcache, &error))
		g_warning("cannot save the host cache: %s", error->message);
	g_clear_pointer(&s->hostcache, gnut_hostcache_free);
}

void servent_hosts_learn_pong(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload)
{
	gnut_pong pong;
	if (s->hostcache == NULL || gnut_pong_decode(payload, h->length, &pong) != GNUT_PROTO_OK)
		return;
	gnut_hostcache_add(s->hostcache, pong.ipv4, pong.port, GNUT_HOST_SOURCE_PONG, FALSE);
}

void servent_hosts_learn_handshake(gnut_servent *s, const gnut_handshake_peer *peer)
{
	if (s->hostcache == NULL)
		return;
	for (char **t = peer->try_ultrapeers; t != NULL && *t != NULL; t++)
		gnut_hostcache_add_host_port(s->hostcache, *t, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS,
		                             TRUE);
	if (peer->listen_ip != NULL && peer->listen_port != 0)
		gnut_hostcache_add_ip_string(s->hostcache, peer->listen_ip, peer->listen_port,
		                             GNUT_HOST_SOURCE_HANDSHAKE,
		                             peer->has_ultrapeer && peer->ultrapeer);
}

/* "a.b.c.d:port" of a cached host, to compare with our peers' strings. */
static void host_string(guint32 ip, guint16 port, char buf[GNUT_HOSTCACHE_ADDR_LEN])
{
	gnut_hostcache_format(ip, port, buf);
}

/* A cached host we are linked or dialing to already is not picked again. */
static gboolean already_known(guint32 ip, guint16 port, gpointer user_data)
{
	gnut_servent *s = user_data;
	char addr[GNUT_HOSTCACHE_ADDR_LEN];
	host_string(ip, port, addr);
	return servent_has_peer(s, addr) || (ip == s->public_ipv4 && port == s->listen_port);
}

/* Reports how a dial to a cached host ended; ok: the link is up. */
void servent_hosts_dial_result(gnut_servent *s, const char *host_port, gboolean ok)
{
	if (s->hostcache == NULL)
		return;
	g_autofree char *ip = NULL;
	guint16 port = 0;
	if (!gnut_handshake_parse_host_port(host_port, &ip, &port))
		return;
	guint32 v4 = servent_ipv4_parse(ip);
	if (v4 == 0)
		return;
	if (ok)
		gnut_hostcache_connected(s->hostcache, v4, port);
	else
		gnut_hostcache_failed(s->hostcache, v4, port);
}

void servent_hosts_tick(gnut_servent *s, gint64 now_us)
{
	if (s->hostcache == NULL)
		return;
	guint want = s->ultrapeer ? WANT_LINKS_UP : WANT_LINKS_LEAF;
	guint32 ip;
	guint16 port;
	while (servent_link_count(s) + servent_dialing_count(s) < want &&
	       servent_cache_dialing_count(s) < MAX_CACHE_DIALS &&
	       gnut_hostcache_pick(s->hostcache, already_known, s, &ip, &port)) {
		char addr[GNUT_HOSTCACHE_ADDR_LEN];
		host_string(ip, port, addr);
		servent_dial_cached(s, addr);
	}
	if (now_us - s->hosts_saved_us >= SAVE_INTERVAL_US &&
	    gnut_hostcache_is_dirty(s->hostcache)) {
		g_autoptr(GError) error = NULL;
		if (!gnut_hostcache_save(s->hostcache, &error))
			g_warning("cannot save the host cache: %s", error->message);
		s->hosts_saved_us = now_us;
	}
}
