/* hosts.c: the hosts room (see hosts.h): learning hosts into the host
 * cache, picking the next ones to dial, saving the cache now and then. */
#include "config.h"

#include "gnut/core/hosts/hosts.h"

#include <string.h>

#include "gnut/base/atomic-file.h"
#include "gnut/core/hosts/gwc-client.h"
#include "gnut/core/hosts/seeds.h"
#include "gnut/proto/address.h"
#include "gnut/proto/pong.h"

struct gnut_hosts {
	gnut_hosts_config config; /* data_dir not kept */
	char *state_path;         /* the caches' state: GNUT_HOSTS_STATE_FILE */
	gnut_hostcache *cache;
	gint64 saved_us;
	guint64 refused; /* hosts peers named that the cache would not take */
	/* the exclusion callback's context while next_dial runs */
	gnut_hosts_known_fn known;
	gpointer known_data;
	gnut_uhc_client *uhc; /* NULL: no UDP */
	gnut_gwc_client *gwc;
	gboolean want_bootstrap; /* links wanted, no cached host to dial (long enough) */
	gint64 starved_us;       /* since when no cached host was left to dial; 0: one is */
	guint want_links;        /* 0: by config.ultrapeer (see gnut_hosts_set_want_links) */
};

static gboolean has_entries(const char *const *list)
{
	return list != NULL && list[0] != NULL;
}

/* The built-in list of kind; a missing or bad file leaves it empty. */
static GStrv builtin_list(gnut_seed_kind kind)
{
	g_autoptr(GError) error = NULL;
	GStrv list = gnut_seeds_builtin(kind, &error);
	if (list == NULL) {
		g_warning("bootstrap: no built-in list: %s", error->message);
		list = g_new0(char *, 1);
	}
	return list;
}

static void build_clients(gnut_hosts *h, const gnut_hosts_config *config)
{
	gboolean user = has_entries(config->uhc) || has_entries(config->gwc);
	g_auto(GStrv) uhc = user ? g_strdupv((char **)config->uhc) : builtin_list(GNUT_SEED_UHC);
	g_auto(GStrv) gwc = user ? g_strdupv((char **)config->gwc) : builtin_list(GNUT_SEED_GWC);
	if (config->udp_send != NULL) {
		gnut_uhc_client_config uc = {
		    .clock = config->clock,
		    .cache = h->cache,
		    .caches = (const char *const *)uhc,
		    .send = config->udp_send,
		    .send_data = config->udp_send_data,
		};
		h->uhc = gnut_uhc_client_new(&uc);
	}
	gnut_gwc_client_config gc = {
	    .clock = config->clock,
	    .cache = h->cache,
	    .caches = (const char *const *)gwc,
	    .version = config->version ? config->version : "0",
	};
	h->gwc = gnut_gwc_client_new(&gc);
}

/* The caches' state file: a damaged one is ignored (the caches then start
 * afresh), as the host cache's is. */
static void load_state(gnut_hosts *h)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	if (!g_file_test(h->state_path, G_FILE_TEST_EXISTS))
		return;
	if (!g_key_file_load_from_file(kf, h->state_path, G_KEY_FILE_NONE, &error)) {
		g_warning("ignoring the bootstrap state %s: %s", h->state_path, error->message);
		return;
	}
	if (h->uhc != NULL)
		gnut_uhc_client_load(h->uhc, kf);
	gnut_gwc_client_load(h->gwc, kf);
}

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
	h->state_path = g_build_filename(config->data_dir, GNUT_HOSTS_STATE_FILE, NULL);
	build_clients(h, config);
	load_state(h);
	return h;
}

static void save(gnut_hosts *h)
{
	g_autoptr(GError) error = NULL;
	if (!gnut_hostcache_save(h->cache, &error))
		g_warning("cannot save the host cache: %s", error->message);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (h->uhc != NULL)
		gnut_uhc_client_save(h->uhc, kf);
	gnut_gwc_client_save(h->gwc, kf);
	gsize len = 0;
	g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
	g_clear_error(&error);
	if (!gnut_atomic_write(h->state_path, text, len, &error))
		g_warning("cannot save the bootstrap state: %s", error->message);
}

void gnut_hosts_free(gnut_hosts *h)
{
	if (h == NULL)
		return;
	save(h);
	gnut_uhc_client_free(h->uhc);
	gnut_gwc_client_free(h->gwc);
	gnut_hostcache_free(h->cache);
	g_free(h->state_path);
	g_free(h);
}

void gnut_hosts_learn_pong(gnut_hosts *h, const gnut_msg_header *mh, const guint8 *payload)
{
	gnut_pong pong;
	if (gnut_pong_decode(payload, mh->length, &pong) != GNUT_PROTO_OK)
		return;
	if (!gnut_hostcache_add(h->cache, pong.ipv4, pong.port, GNUT_HOST_SOURCE_PONG, FALSE))
		h->refused++;
	else if (gnut_pong_ggep_has(&pong, "TLS"))
		gnut_hostcache_set_tls(h->cache, pong.ipv4, pong.port, TRUE);
}

void gnut_hosts_learn_handshake(gnut_hosts *h, const char *const *try_ultrapeers,
                                const char *listen_ip, guint16 listen_port, gboolean ultrapeer,
                                gboolean tls)
{
	for (const char *const *t = try_ultrapeers; t != NULL && *t != NULL; t++)
		if (!gnut_hostcache_add_host_port(h->cache, *t, GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS,
		                                  TRUE))
			h->refused++;
	if (listen_ip == NULL || listen_port == 0)
		return;
	if (!gnut_hostcache_add_ip_string(h->cache, listen_ip, listen_port,
	                                  GNUT_HOST_SOURCE_HANDSHAKE, ultrapeer)) {
		h->refused++;
		return;
	}
	guint32 ip;
	if (tls && gnut_addr_parse_ipv4(listen_ip, strlen(listen_ip), &ip) == GNUT_PROTO_OK)
		gnut_hostcache_set_tls(h->cache, ip, listen_port, TRUE);
}

void gnut_hosts_learn_hit_tls(gnut_hosts *h, guint32 ip, guint16 port)
{
	gnut_hostcache_set_tls(h->cache, ip, port, TRUE);
}

void gnut_hosts_tls_failed(gnut_hosts *h, const char *host_port)
{
	guint32 ip;
	guint16 port;
	if (gnut_addr_parse_ipv4_port(host_port, strlen(host_port), 0, &ip, &port) == GNUT_PROTO_OK)
		gnut_hostcache_set_tls(h->cache, ip, port, FALSE);
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

/* No cached host is left to dial: the caches are asked at once when the
 * cache is empty (a first start), else only once the hosts we have had
 * GNUT_HOSTS_BOOTSTRAP_GRACE_S to answer (a restart tries its saved hosts
 * first, and their hold-backs end in time). */
static void note_starved(gnut_hosts *h)
{
	gint64 now = gnut_clock_now_us(h->config.clock);
	if (h->starved_us == 0)
		h->starved_us = now;
	h->want_bootstrap = gnut_hostcache_size(h->cache) == 0 ||
	                    now - h->starved_us >= GNUT_HOSTS_BOOTSTRAP_GRACE_S * G_USEC_PER_SEC;
}

gboolean gnut_hosts_next_dial(gnut_hosts *h, guint links, guint dialing, guint cache_dialing,
                              gnut_hosts_known_fn known, gpointer data,
                              char out[GNUT_ADDR_IPV4_PORT_LEN], gboolean *tls)
{
	guint want = h->want_links;
	if (want == 0)
		want = h->config.ultrapeer ? GNUT_HOSTS_WANT_LINKS_UP : GNUT_HOSTS_WANT_LINKS_LEAF;
	if (links + dialing >= want) {
		h->starved_us = 0;
		h->want_bootstrap = FALSE;
		return FALSE;
	}
	if (cache_dialing >= GNUT_HOSTS_MAX_CACHE_DIALS)
		return FALSE;
	h->known = known;
	h->known_data = data;
	guint32 ip;
	guint16 port;
	if (!gnut_hostcache_pick(h->cache, exclude_known, h, &ip, &port)) {
		note_starved(h);
		return FALSE;
	}
	h->starved_us = 0;
	h->want_bootstrap = FALSE;
	gnut_addr_format_ipv4_port(ip, port, out);
	*tls = gnut_hostcache_speaks_tls(h->cache, ip, port);
	return TRUE;
}

void gnut_hosts_tick(gnut_hosts *h, gint64 now_us, gboolean announce, guint32 self_ip,
                     guint16 self_port)
{
	if (h->uhc != NULL)
		gnut_uhc_client_tick(h->uhc, h->want_bootstrap);
	/* GWebCaches cost more (a TCP connection, an HTTP exchange): asked only
	 * when no UDP host cache is listed or they leave queries unanswered */
	gnut_uhc_client_stats us = {0};
	if (h->uhc != NULL)
		gnut_uhc_client_get_stats(h->uhc, &us);
	gboolean gwc_wanted = h->want_bootstrap && (us.caches == 0 || us.queries > us.answers + 1);
	gnut_gwc_client_tick(h->gwc, gwc_wanted, announce, self_ip, self_port);
	/* the caches' state changes with the host cache: saved with it */
	if (now_us - h->saved_us >= GNUT_HOSTS_SAVE_INTERVAL_US &&
	    gnut_hostcache_is_dirty(h->cache)) {
		save(h);
		h->saved_us = now_us;
	}
}

gboolean gnut_hosts_udp_pong(gnut_hosts *h, const gnut_msg_header *mh, const guint8 *payload,
                             GInetSocketAddress *from)
{
	return h->uhc != NULL && gnut_uhc_client_pong(h->uhc, mh, payload, from);
}

GArray *gnut_hosts_list(const gnut_hosts *h)
{
	return gnut_hostcache_list(h->cache);
}

guint gnut_hosts_fresh_ultrapeers(const gnut_hosts *h, gnut_ipv4_port *out, guint max)
{
	return gnut_hostcache_fresh_ultrapeers(h->cache, GNUT_HOSTS_FRESH_S, out, max);
}

gboolean gnut_hosts_wants_bootstrap(const gnut_hosts *h)
{
	return h->want_bootstrap;
}

void gnut_hosts_set_want_links(gnut_hosts *h, guint want)
{
	h->want_links = want;
}
