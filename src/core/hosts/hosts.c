/* hosts.c: the hosts room (see hosts.h): learning hosts into the host
 * cache, picking the next ones to dial, saving the cache now and then. */
#include "config.h"

#include "gnut/core/hosts/hosts.h"

#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/pong.h"

struct gnut_hosts {
	gnut_hosts_config config; /* data_dir not kept */
	gnut_hostcache *cache;
	gint64 saved_us;
	guint64 refused; /* hosts peers named that the cache would not take */
	/* the exclusion callback's context while next_dial runs */
	gnut_hosts_known_fn known;
	gpointer known_data;
};

gnut_hosts *gnut_hosts_new(const gnut_hosts_config *config, GError **error)
{
	g_autofree char *path = g_build_filename(config->data_dir, GNUT_HOSTS_FILE, NULL);
	gnut_hostcache *cache = gnut_hostcache_new(
	    config->clock, path,
	    config->allow_private ? GNUT_HOSTCACHE_ALLOW_PRIVATE : GNUT_HOSTCACHE_FLAGS_NONE,
	    error);
	if (cache == NULL)
		return NULL;
	gnut_hosts *h = g_new0(gnut_hosts, 1);
	h->config = *config;
	h->config.data_dir = NULL;
	h->cache = cache;
	h->saved_us = gnut_clock_now_us(config->clock);
	return h;
}

static void save(gnut_hosts *h)
{
	g_autoptr(GError) error = NULL;
	if (!gnut_hostcache_save(h->cache, &error))
		g_warning("cannot save the host cache: %s", error->message);
}

void gnut_hosts_free(gnut_hosts *h)
{
	if (h == NULL)
		return;
	save(h);
	gnut_hostcache_free(h->cache);
	g_free(h);
}

void gnut_hosts_learn_pong(gnut_hosts *h, const gnut_msg_header *mh, const guint8 *payload)
{
	gnut_pong pong;
	if (gnut_pong_decode(payload, mh->length, &pong) == GNUT_PROTO_OK &&
	    !gnut_hostcache_add(h->cache, pong.ipv4, pong.port, GNUT_HOST_SOURCE_PONG, FALSE))
		h->refused++;
}

void gnut_hosts_learn_handshake(gnut_hosts *h, const char *const *try_ultrapeers,
                                const char *listen_ip, guint16 listen_port, gboolean ultrapeer)
{
	for (const char *const *t = try_ultrapeers; t != NULL && *t != NULL; t++)
		if (!gnut_hostcache_add_host_port(h->cache, *t, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS,
		                                  TRUE))
			h->refused++;
	if (listen_ip != NULL && listen_port != 0 &&
	    !gnut_hostcache_add_ip_string(h->cache, listen_ip, listen_port,
	                                  GNUT_HOST_SOURCE_HANDSHAKE, ultrapeer))
		h->refused++;
}

guint64 gnut_hosts_refused(const gnut_hosts *h)
{
	return h->refused;
}

void gnut_hosts_dial_result(gnut_hosts *h, const char *host_port, gboolean ok)
{
	uint32_t ip;
	guint16 port;
	if (gnut_addr_parse_ipv4_port(host_port, strlen(host_port), 0, &ip, &port) != GNUT_PROTO_OK)
		return;
	if (ok)
		gnut_hostcache_connected(h->cache, ip, port);
	else
		gnut_hostcache_failed(h->cache, ip, port);
}

static gboolean exclude_known(guint32 ip, guint16 port, gpointer user_data)
{
	gnut_hosts *h = user_data;
	char addr[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(ip, port, addr);
	return h->known(addr, h->known_data);
}

gboolean gnut_hosts_next_dial(gnut_hosts *h, guint links, guint dialing, guint cache_dialing,
                              gnut_hosts_known_fn known, gpointer data,
                              char out[GNUT_ADDR_IPV4_PORT_LEN])
{
	guint want = h->config.ultrapeer ? GNUT_HOSTS_WANT_LINKS_UP : GNUT_HOSTS_WANT_LINKS_LEAF;
	if (links + dialing >= want || cache_dialing >= GNUT_HOSTS_MAX_CACHE_DIALS)
		return FALSE;
	h->known = known;
	h->known_data = data;
	guint32 ip;
	guint16 port;
	if (!gnut_hostcache_pick(h->cache, exclude_known, h, &ip, &port))
		return FALSE;
	gnut_addr_format_ipv4_port(ip, port, out);
	return TRUE;
}

void gnut_hosts_tick(gnut_hosts *h, gint64 now_us)
{
	if (now_us - h->saved_us >= GNUT_HOSTS_SAVE_INTERVAL_US &&
	    gnut_hostcache_is_dirty(h->cache)) {
		save(h);
		h->saved_us = now_us;
	}
}
