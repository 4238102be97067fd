/* servent.c: the servent object. It builds the rooms of src/core (share,
 * search, hosts, links, routing, transfer) from the configuration, wires
 * each room's events to the rooms that act on them, dispatches the
 * listening port's connections by first line, runs the tick, and answers
 * the control API. It is the only file that knows every room; the rooms
 * know only those below them and report upward through handlers. */
#include "config.h"

#include "gnut/core/servent.h"

#include <string.h>

#include "gnut/base/fd-budget.h"
#include "gnut/base/log-limit.h"
#include "gnut/core/hosts/hosts.h"
#include "gnut/core/links/links.h"
#include "gnut/core/routing/routing.h"
#include "gnut/core/search/search-msgs.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/download.h"
#include "gnut/core/transfer/fetch.h"
#include "gnut/core/transfer/push-proxy-client.h"
#include "gnut/core/transfer/push-service.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/net/listener.h"
#include "gnut/net/udp.h"
#include "gnut/net/tls.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/http-status.h"
#include "servent-info.h"
#include "servent-magnet.h"
#include "servent-oob.h"
#include "udp-dispatch.h"
#include "udp-pings.h"

#define TICK_MS              250
#define STOP_DRAIN_MS        2000 /* how long a stop waits for the links' Byes */
#define DEFAULT_UPLOAD_SLOTS 4
/* Descriptors of downloads: 4 fetching at once, a file and up to
 * GNUT_DOWNLOAD_MAX_SWARM sockets each. */
#define DOWNLOAD_FDS (4 * (1 + GNUT_DOWNLOAD_MAX_SWARM))

/* Connection admission, as in gnut_servent_config; the two global caps are
 * sized when left at 0 (see size_admission). */
typedef struct {
	guint max_pending, max_handshakes;
	guint per_ip_pending, per_ip_handshakes, reconnect_burst, reconnect_interval_s;
} servent_admission;

struct gnut_servent {
	/* configuration */
	char *data_dir;
	char *download_dir;
	char *listen_host;
	guint16 listen_port;
	gnut_role *role; /* leaf or ultrapeer, forced or automatic */
	gboolean no_bootstrap;
	gboolean firewalled;
	guint64 upload_limit;
	guint64 download_limit;
	guint download_sources, download_retry_max_s;
	guint64 hits_received;  /* results of our searches, counted for /metrics */
	guint64 closed_msgs_in; /* messages of the links gone (counters_get) */
	guint64 closed_msgs_out;
	guint64 downloads_completed;
	gnut_servent_totals totals_before; /* earlier runs', the owner's count */
	guint upload_slots;
	guint max_ultrapeers; /* links' caps; 0: the defaults */
	guint max_leaves;
	gboolean allow_local; /* peers may make us dial local addresses (dial-rule.h) */
	servent_admission admission;

	gnut_clock *clock;
	gint64 started_us;
	gint64 role_checked_us; /* the role policy looks once a second */
	gnut_guid guid;
	GCancellable *cancel; /* cancelled at stop: the share scan */
	GSource *tick;
	GCallback stop_handler;
	gpointer stop_data;
	GTask *stopping; /* the stop under way, until the links drained */
	GSource *drain;  /* the end of that wait: a deadline, or an idle once drained */
	gboolean stopped;
	gnut_log_limit *bad_log; /* bad input from peers, for every room */
	gnut_listener *listener;
	gnut_udp *udp;                   /* NULL when the port could not be bound */
	gnut_udp_dispatch *udp_dispatch; /* datagrams to the rooms, by message type */
	udp_pings *udp_pings;            /* UDP pings and pongs: host caches, ours too */
	GTlsCertificate *tls_cert;       /* NULL: TLS off */
	gboolean scanning;
	gboolean rescan_again;

	/* the rooms */
	gnut_share *share;
	gnut_partials *partials; /* files still downloading, offered (share-partial) */
	gnut_searches *searches;
	gnut_hosts *hosts; /* NULL under --no-bootstrap */
	gnut_links *links;
	gnut_routing *routing;
	gnut_uploads *uploads;
	gnut_mesh *mesh; /* download mesh: uploads (and later downloads) share it */
	gnut_downloads *downloads;
	gnut_push_service *pushes;
	gnut_proxy_client *proxy_client; /* our pushes by a firewalled servent's push proxies */
	gnut_fetch *fetch;
	servent_oob *oob; /* firewall detection, out-of-band hits over UDP */
};

/* ---- configuration ---- */

/* Splits "ADDR:PORT" ("[v6]:PORT" too) into an IP literal and a port. */
static gboolean parse_listen(const char *listen, char **host, guint16 *port, GError **error)
{
	g_autofree char *h = NULL;
	guint16 p = 0;
	if (!g_str_has_prefix(listen, "[") && strchr(listen, ':') == NULL) {
		h = g_strdup(listen);
		p = GNUT_LINKS_DEFAULT_PORT;
	} else {
		g_autoptr(GNetworkAddress) na = G_NETWORK_ADDRESS(
		    g_network_address_parse(listen, GNUT_LINKS_DEFAULT_PORT, NULL));
		if (na != NULL) {
			h = g_strdup(g_network_address_get_hostname(na));
			p = g_network_address_get_port(na);
		}
	}
	g_autoptr(GInetAddress) addr = h ? g_inet_address_new_from_string(h) : NULL;
	if (addr == NULL) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID, "listen: \"%s\" is not IP:PORT",
		            listen);
		return FALSE;
	}
	*host = g_steal_pointer(&h);
	*port = p;
	return TRUE;
}

/* A peer to dial: a host name or IP literal, and a port (never 0). */
static gboolean valid_host_port(const char *host_port)
{
	gnut_addr_host_port hp;
	return gnut_addr_parse_host_port(host_port, strlen(host_port), 0, &hp) == GNUT_PROTO_OK;
}

static gboolean is_ultrapeer(const gnut_servent *s)
{
	return gnut_role_is_ultrapeer(s->role);
}

/* The descriptors the servent holds on purpose: links (as an ultrapeer,
 * leaves too), upload connections and their files, downloads, push dials
 * (see gnut/base/fd-budget.h). */
static guint64 reserved_fds(const gnut_servent *s, gboolean ultrapeer)
{
	guint64 links = s->max_ultrapeers ? s->max_ultrapeers : GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS;
	if (ultrapeer)
		links += s->max_leaves ? s->max_leaves : GNUT_LINKS_DEFAULT_MAX_LEAVES;
	return links + GNUT_UPLOADS_DEFAULT_MAX_CONNECTIONS + s->upload_slots + DOWNLOAD_FDS +
	       GNUT_PUSH_MAX_DIALS;
}

/* Keeps c's admission caps, sizing those left at 0 from the descriptor
 * limit after what the servent holds on purpose (as an ultrapeer, when it
 * may become one). */
static void size_admission(gnut_servent *s, const gnut_servent_config *c)
{
	guint64 reserved = reserved_fds(s, c->auto_role || c->ultrapeer);
	guint64 nofile = gnut_fd_budget_limit();
	guint cap = gnut_fd_budget_admission_cap(nofile, reserved);
	servent_admission *a = &s->admission;
	a->max_pending = c->max_pending ? c->max_pending : cap;
	a->max_handshakes = c->max_handshakes ? c->max_handshakes : cap;
	a->per_ip_pending = c->per_ip_pending;
	a->per_ip_handshakes = c->per_ip_handshakes;
	a->reconnect_burst = c->reconnect_burst;
	a->reconnect_interval_s = c->reconnect_interval_s;
	g_message("admission: at most %u connections before their first line and %u incoming "
	          "handshakes (descriptor limit %" G_GUINT64_FORMAT ")",
	          a->max_pending, a->max_handshakes, nofile);
}

static gboolean copy_config(gnut_servent *s, const gnut_servent_config *c, GError **error)
{
	if (c->data_dir == NULL) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID, "data_dir: not set");
		return FALSE;
	}
	if (!parse_listen(c->listen ? c->listen : "0.0.0.0:6346", &s->listen_host, &s->listen_port,
	                  error))
		return FALSE;
	s->data_dir = g_strdup(c->data_dir);
	s->download_dir = c->download_dir ? g_strdup(c->download_dir)
	                                  : g_build_filename(c->data_dir, "downloads", NULL);
	gnut_role_mode mode = c->auto_role   ? GNUT_ROLE_AUTO
	                      : c->ultrapeer ? GNUT_ROLE_FORCED_ULTRAPEER
	                                     : GNUT_ROLE_FORCED_LEAF;
	s->role = gnut_role_new(&c->role, mode);
	s->no_bootstrap = c->no_bootstrap;
	s->firewalled = c->firewalled;
	s->upload_limit = c->upload_limit;
	s->download_limit = c->download_limit;
	s->download_sources = c->download_sources;
	s->download_retry_max_s = c->download_retry_max_s;
	s->upload_slots = c->upload_slots ? c->upload_slots : DEFAULT_UPLOAD_SLOTS;
	s->max_ultrapeers = c->max_ultrapeers;
	s->max_leaves = c->max_leaves;
	s->allow_local =
	    gnut_dial_allows_local(s->listen_host, strlen(s->listen_host), c->allow_private_peers);
	size_admission(s, c);
	for (const char *const *p = c->peers; p != NULL && *p != NULL; p++) {
		if (!valid_host_port(*p)) {
			g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
			            "peer: \"%s\" is not HOST:PORT", *p);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- wiring: what one room reports, the others act on ---- */

static void on_link_message(gnut_node *node, const gnut_msg_header *h, const guint8 *payload,
                            gpointer data)
{
	gnut_servent *s = data;
	gnut_routing_message(s->routing, node, h, payload);
}

static void on_link_up(gnut_node *node, gpointer data)
{
	gnut_servent *s = data;
	gnut_routing_link_up(s->routing, node);
}

static gboolean finish_stop(gpointer data);

static void on_link_closed(gnut_node *node, gpointer data)
{
	gnut_servent *s = data;
	gnut_node_stats ns;
	gnut_node_get_stats(node, &ns);
	s->closed_msgs_in += ns.msgs_in;
	s->closed_msgs_out += ns.msgs_out;
	gnut_routing_link_closed(s->routing, node);
	if (s->stopping != NULL && gnut_links_count(s->links) <= 1) {
		/* this was the last one: finish once it is gone */
		g_source_destroy(s->drain);
		g_source_unref(s->drain);
		s->drain = g_idle_source_new();
		g_source_set_callback(s->drain, finish_stop, s, NULL);
		g_source_attach(s->drain, g_main_context_get_thread_default());
	}
}

static void on_ping_sent(gnut_node *node, const gnut_guid *guid, gpointer data)
{
	gnut_servent *s = data;
	gnut_routing_ping_sent(s->routing, guid);
}

static void on_handshake_seen(const gnut_handshake_peer *peer, gpointer data)
{
	gnut_servent *s = data;
	if (s->hosts != NULL)
		gnut_hosts_learn_handshake(
		    s->hosts, (const char *const *)peer->try_ultrapeers, peer->listen_ip,
		    peer->listen_port, peer->has_ultrapeer && peer->ultrapeer, peer->features_tls);
}

static void on_cache_dial_result(const char *host_port, gboolean ok, gpointer data)
{
	gnut_servent *s = data;
	if (s->hosts != NULL)
		gnut_hosts_dial_result(s->hosts, host_port, ok);
}

static void on_cache_tls_failed(const char *host_port, gpointer data)
{
	gnut_servent *s = data;
	if (s->hosts != NULL)
		gnut_hosts_tls_failed(s->hosts, host_port);
}

static void on_hit_added(const gnut_hit *hit, gpointer data)
{
	gnut_servent *s = data;
	s->hits_received++;
	if (hit->tls && s->hosts != NULL)
		gnut_hosts_learn_hit_tls(s->hosts, hit->ipv4, hit->port);
	gnut_fetch_hit_added(s->fetch, hit);
}

static void on_routed_hit(const gnut_msg_header *h, const guint8 *payload, gpointer data)
{
	gnut_servent *s = data;
	gnut_proto_err err =
	    gnut_searches_take_hit_msg(s->searches, &h->guid, payload, h->length, on_hit_added, s);
	if (err != GNUT_PROTO_OK)
		gnut_log_limited(s->bad_log, "bad query hit dropped: %s", gnut_proto_strerror(err));
}

static void on_routed_pong(const gnut_msg_header *h, const guint8 *payload, gpointer data)
{
	gnut_servent *s = data;
	if (s->hosts != NULL)
		gnut_hosts_learn_pong(s->hosts, h, payload);
}

static void on_routed_push(const gnut_msg_header *h, const guint8 *payload, gpointer data)
{
	gnut_servent *s = data;
	gnut_push_service_received(s->pushes, h, payload);
}

static gboolean on_oob_send(uint32_t ipv4, guint16 port, GBytes *msg, gpointer data)
{
	gnut_servent *s = data;
	return s->oob != NULL && servent_oob_send(s->oob, ipv4, port, msg);
}

static guint16 on_kept_hits(const gnut_guid *guid, gpointer data)
{
	gnut_servent *s = data;
	return gnut_searches_kept(s->searches, guid);
}

/* No push proxy of a firewalled source took our push: it goes through the
 * network, along the route of its hit. */
static void on_proxies_failed(const gnut_guid *servent, guint32 index, gpointer data)
{
	gnut_servent *s = data;
	gnut_routing_push(s->routing, servent, index, gnut_links_self_ipv4(s->links),
	                  gnut_links_self_port(s->links));
}

/* A download changed state by itself: count the ones that completed. */
static void on_download_state(gnut_downloads *m, guint64 id, gnut_download_state state,
                              gpointer data)
{
	gnut_servent *s = data;
	if (state == GNUT_DOWNLOAD_COMPLETE)
		s->downloads_completed++;
}

/* The downloads want a firewalled source to connect to us: by its push
 * proxies when its hits named any, else (or when they all fail) by a Push
 * routed through the network. */
static void on_push_wanted(gnut_downloads *m, const gnut_guid *servent, guint32 index,
                           gpointer data)
{
	gnut_servent *s = data;
	gnut_push_proxies proxies;
	uint32_t ipv4 = gnut_links_self_ipv4(s->links);
	if (ipv4 != 0 && gnut_searches_push_proxies(s->searches, servent, &proxies))
		gnut_proxy_client_push(s->proxy_client, &proxies, servent, index, ipv4,
		                       gnut_links_self_port(s->links));
	else
		on_proxies_failed(servent, index, s); /* says why when our address is unknown */
}

/* A downloader asks us, as push proxy, to push one of our leaves. */
static unsigned on_push_proxy_request(const gnut_guid *servent, uint32_t requester, uint32_t ipv4,
                                      guint16 port, gpointer data)
{
	gnut_servent *s = data;
	return gnut_routing_push_proxy_request(s->routing, servent, requester, ipv4, port);
}

static guint64 on_fetch_search(const char *query, gpointer data)
{
	return gnut_servent_search_start(data, query, NULL);
}

/* ---- the role ---- */

/* The links the host cache keeps us at: as a leaf, the ultrapeers a leaf
 * keeps; as an ultrapeer, those an ultrapeer keeps (under its cap). */
static guint links_wanted(const gnut_servent *s)
{
	const gnut_role_config *rc = gnut_role_get_config(s->role);
	if (!is_ultrapeer(s))
		return rc->leaf_ultrapeers;
	guint cap = s->max_ultrapeers ? s->max_ultrapeers : GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS;
	return MIN(rc->want_ultrapeers, cap);
}

/* Carries a role change out in every room: the links made for the old role
 * are told Bye, and what we relay, send and announce follows the new. */
static void switch_role(gnut_servent *s, gboolean ultrapeer, const char *reason)
{
	g_message("role: %s -> %s (%s): %s", is_ultrapeer(s) ? "ultrapeer" : "leaf",
	          ultrapeer ? "ultrapeer" : "leaf", gnut_role_is_auto(s->role) ? "auto" : "forced",
	          reason);
	gnut_role_switched(s->role, ultrapeer, gnut_clock_now_us(s->clock), reason);
	gnut_links_set_ultrapeer(s->links, ultrapeer,
	                         ultrapeer ? "Becoming an ultrapeer" : "Becoming a leaf node");
	gnut_routing_set_ultrapeer(s->routing, ultrapeer);
	udp_pings_set_ultrapeer(s->udp_pings, ultrapeer);
	if (s->hosts != NULL)
		gnut_hosts_set_want_links(s->hosts, links_wanted(s));
}

/* What the role policy looks at: ours, and the links'. */
static void role_facts(gnut_servent *s, gint64 now, gnut_role_facts *f)
{
	memset(f, 0, sizeof *f);
	f->now_us = now;
	f->started_us = s->started_us;
	f->tcp_firewalled = servent_oob_tcp_firewalled(s->oob);
	f->upload_limit = s->upload_limit;
	f->download_limit = s->download_limit;
	f->fd_limit = gnut_fd_budget_limit();
	f->fds_as_ultrapeer = reserved_fds(s, TRUE) + GNUT_FD_BUDGET_FIXED;
	gnut_links_role_facts(s->links, f);
}

static void check_role(gnut_servent *s, gint64 now)
{
	gnut_role_facts f;
	role_facts(s, now, &f);
	g_autoptr(GString) why = g_string_new(NULL);
	gnut_role_change c = gnut_role_decide(s->role, &f, why);
	if (c != GNUT_ROLE_STAY)
		switch_role(s, c == GNUT_ROLE_PROMOTE, why->str);
}

/* We took an ultrapeer's leaf guidance while dialing it: a leaf now, its
 * link (about to come up) our first ultrapeer. */
static void on_leaf_guided(const gnut_handshake_peer *peer, const char *address, gpointer data)
{
	gnut_servent *s = data;
	g_autofree char *why = g_strdup_printf("leaf guidance from %s", address);
	switch_role(s, FALSE, why);
}

/* A download short of sources: search for its URN again. */
static void on_find_sources(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN], gpointer data)
{
	gnut_servent *s = data;
	gnut_fetch_find_sources(s->fetch, sha1);
}

/* ---- building the rooms ---- */

/* The partial files we offer changed: so does our QRP table. */
static void on_partials_changed(gpointer data)
{
	gnut_servent *s = data;
	gnut_routing_share_changed(s->routing);
}

static void build_links_and_routing(gnut_servent *s, const gnut_servent_config *config)
{
	static const gnut_links_handlers link_handlers = {
	    .message = on_link_message,
	    .up = on_link_up,
	    .closed = on_link_closed,
	    .ping_sent = on_ping_sent,
	    .handshake_seen = on_handshake_seen,
	    .cache_dial_result = on_cache_dial_result,
	    .cache_tls_failed = on_cache_tls_failed,
	    .leaf_guided = on_leaf_guided,
	};
	gnut_links_config lc = {
	    .clock = s->clock,
	    .guid = s->guid,
	    .ultrapeer = is_ultrapeer(s),
	    /* as an ultrapeer, the routing room runs them; never in a flood */
	    .dynamic_querying = !config->flood_queries,
	    .no_compression = config->no_compression,
	    .max_ultrapeers = s->max_ultrapeers,
	    .max_leaves = s->max_leaves,
	    .max_handshakes = s->admission.max_handshakes,
	    .per_ip_handshakes = s->admission.per_ip_handshakes,
	    .max_links_per_ip = config->max_links_per_ip,
	    .tls_cert = s->tls_cert,
	    .leaf_ultrapeers = gnut_role_get_config(s->role)->leaf_ultrapeers,
	    .role = s->role,
	};
	s->links = gnut_links_new(&lc, &link_handlers, s);
	static const gnut_routing_handlers routing_handlers = {
	    .hit = on_routed_hit,
	    .pong = on_routed_pong,
	    .push = on_routed_push,
	    .kept_hits = on_kept_hits,
	    .oob_send = on_oob_send,
	};
	gnut_routing_config rc = {
	    .clock = s->clock,
	    .guid = s->guid,
	    .ultrapeer = is_ultrapeer(s),
	    .firewalled = s->firewalled,
	    .no_compression = config->no_compression,
	    .allow_local = s->allow_local,
	    .tls = s->tls_cert != NULL,
	    .links = s->links,
	    .share = s->share,
	    .partials = s->partials,
	    .bad_log = s->bad_log,
	    .leaf_query_rate = config->leaf_query_rate,
	    .ultrapeer_query_rate = config->ultrapeer_query_rate,
	    .qrp_total_slots = config->qrp_total_slots,
	    .flood_queries = config->flood_queries,
	};
	s->routing = gnut_routing_new(&rc, &routing_handlers, s);
	gnut_partials_set_changed(s->partials, on_partials_changed, s);
	servent_oob_config oc = {
	    .searches = s->searches,
	    .routing = s->routing,
	    .links = s->links,
	    .bad_log = s->bad_log,
	    .forced_firewalled = s->firewalled,
	    .hit_added = on_hit_added,
	    .hit_data = s,
	};
	s->oob = servent_oob_new(&oc);
}

/* An upload found a shared file no longer the one indexed. */
static void on_share_stale(gpointer data)
{
	gnut_servent_rescan(data);
}

static gboolean build_transfers(gnut_servent *s, const gnut_servent_config *config, GError **error)
{
	gnut_uploads_config uc = {
	    .slots = s->upload_slots,
	    .rate_limit = s->upload_limit,
	    .slots_per_ip = config->upload_slots_per_ip,
	    .connections_per_ip = config->upload_connections_per_ip,
	    .queue_length = config->upload_queue,
	    .queue_per_ip = config->upload_queue_per_ip,
	    .no_queue = config->no_upload_queue,
	    .stale = on_share_stale,
	    .stale_data = s,
	    .push_proxy = on_push_proxy_request,
	    .push_proxy_data = s,
	    .mesh = s->mesh = gnut_mesh_new(0, 0, 0),
	    .allow_local = s->allow_local,
	    .partials = s->partials,
	};
	s->uploads = gnut_uploads_new(s->share, s->clock, &uc);
	gnut_downloads_config dc = {
	    .data_dir = s->data_dir,
	    .download_dir = s->download_dir,
	    .download_limit = s->download_limit,
	    .max_sources = s->download_sources,
	    .retry_max_s = s->download_retry_max_s,
	    .allow_local = s->allow_local,
	    .tls = s->tls_cert != NULL,
	    .mesh = s->mesh,
	    .partials = s->partials,
	};
	s->downloads = gnut_downloads_new(&dc, s->clock, error);
	if (s->downloads == NULL)
		return FALSE;
	gnut_downloads_set_notify(s->downloads, on_download_state, s);
	gnut_downloads_set_push_handler(s->downloads, on_push_wanted, s);
	gnut_downloads_set_source_finder(s->downloads, on_find_sources, s);
	gnut_push_service_config pc = {
	    .clock = s->clock,
	    .guid = s->guid,
	    .share = s->share,
	    .uploads = s->uploads,
	    .downloads = s->downloads,
	    .bad_log = s->bad_log,
	    .allow_local = s->allow_local,
	};
	s->pushes = gnut_push_service_new(&pc);
	s->proxy_client = gnut_proxy_client_new(s->allow_local, on_proxies_failed, s);
	s->fetch = gnut_fetch_new(s->downloads, s->searches, s->allow_local, on_fetch_search, s);
	return TRUE;
}

/* Our certificate, unless TLS is off or cannot work: then one line says
 * why and the servent runs plain. */
static void load_tls(gnut_servent *s, const gnut_servent_config *config)
{
	if (config->no_tls)
		return;
	if (!gnut_tls_available()) {
		g_warning("TLS off: GIO has no TLS backend (install glib-networking)");
		return;
	}
	g_autoptr(GError) err = NULL;
	s->tls_cert = gnut_tls_load_or_create(s->data_dir, &err);
	if (s->tls_cert == NULL)
		g_warning("TLS off: %s", err->message);
}

static gboolean build_rooms(gnut_servent *s, const gnut_servent_config *config, GError **error)
{
	if (g_mkdir_with_parents(s->data_dir, 0700) != 0) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_IO, "data_dir: cannot create %s",
		            s->data_dir);
		return FALSE;
	}
	load_tls(s, config);
	if ((s->share = gnut_share_new(s->data_dir, error)) == NULL)
		return FALSE;
	for (const char *const *d = config->shares; d != NULL && *d != NULL; d++)
		if (!gnut_share_add_dir(s->share, *d, error))
			return FALSE;
	s->partials = gnut_partials_new();
	gnut_partials_set_enabled(s->partials, !config->no_share_partial);
	s->searches = gnut_searches_new();
	udp_pings_config upc = {
	    .clock = s->clock,
	    .bad_log = s->bad_log,
	    .ultrapeer = is_ultrapeer(s),
	    .tls = s->tls_cert != NULL,
	    .started_us = gnut_clock_now_us(s->clock),
	};
	s->udp_pings = udp_pings_new(&upc);
	if (!s->no_bootstrap) {
		gnut_hosts_config hc = {
		    .clock = s->clock,
		    .data_dir = s->data_dir,
		    .ultrapeer = is_ultrapeer(s),
		    .allow_private = s->allow_local,
		    .uhc = config->uhc,
		    .gwc = config->gwc,
		    .version = PACKAGE_VERSION,
		    .udp_send = udp_pings_send,
		    .udp_send_data = s->udp_pings,
		};
		if ((s->hosts = gnut_hosts_new(&hc, error)) == NULL)
			return FALSE;
		gnut_hosts_set_want_links(s->hosts, links_wanted(s));
	}
	build_links_and_routing(s, config);
	udp_pings_attach(s->udp_pings, NULL, s->links, s->share, s->hosts);
	udp_pings_register(s->udp_pings, s->udp_dispatch);
	for (const char *const *p = config->peers; p != NULL && *p != NULL; p++)
		gnut_links_add_peer(s->links, *p);
	return build_transfers(s, config, error);
}

gnut_servent *gnut_servent_new(const gnut_servent_config *config, gnut_clock *clock, GError **error)
{
	gnut_digest_init();
	gnut_servent *s = g_new0(gnut_servent, 1);
	s->clock = clock ? clock : gnut_clock_system();
	s->cancel = g_cancellable_new();
	s->bad_log = gnut_log_limit_new(s->clock);
	s->udp_dispatch = gnut_udp_dispatch_new(s->bad_log);
	gnut_guid_generate(&s->guid);
	if (!copy_config(s, config, error) || !build_rooms(s, config, error)) {
		gnut_servent_free(s);
		return NULL;
	}
	return s;
}

/* ---- the share scan ---- */

/* The scan's user data: the servent may be freed while the scan runs; its
 * cancellable, referenced here, says so. */
typedef struct {
	gnut_servent *servent;
	GCancellable *cancel;
} rescan_ctx;

static void on_rescan_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	rescan_ctx *ctx = user_data;
	gboolean gone = g_cancellable_is_cancelled(ctx->cancel);
	gnut_servent *s = ctx->servent;
	g_object_unref(ctx->cancel);
	g_free(ctx);
	if (gone)
		return;
	g_autoptr(GError) error = NULL;
	gboolean ok = gnut_share_rescan_finish(s->share, res, &error);
	s->scanning = FALSE;
	if (!ok)
		g_warning("share scan failed: %s", error->message);
	else {
		g_message("sharing %u files (%" G_GUINT64_FORMAT " bytes)",
		          gnut_share_count(s->share), gnut_share_total_bytes(s->share));
		gnut_routing_share_changed(s->routing);
	}
	if (s->rescan_again) {
		s->rescan_again = FALSE;
		gnut_servent_rescan(s);
	}
}

void gnut_servent_rescan(gnut_servent *s)
{
	if (s->scanning) {
		s->rescan_again = TRUE;
		return;
	}
	s->scanning = TRUE;
	rescan_ctx *ctx = g_new0(rescan_ctx, 1);
	ctx->servent = s;
	ctx->cancel = g_object_ref(s->cancel);
	gnut_share_rescan_async(s->share, s->cancel, on_rescan_done, ctx);
}

/* ---- running ---- */

/* Hosts from the cache are dialed while we have fewer links than we want. */
static gboolean is_known_host(const char *host_port, gpointer data)
{
	gnut_servent *s = data;
	char self[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(gnut_links_self_ipv4(s->links), s->listen_port, self);
	return gnut_links_has_peer(s->links, host_port) || strcmp(host_port, self) == 0;
}

static void dial_cached_hosts(gnut_servent *s)
{
	char addr[GNUT_ADDR_IPV4_PORT_LEN];
	gboolean tls;
	while (gnut_hosts_next_dial(
	    s->hosts, gnut_links_count(s->links), gnut_links_dialing(s->links, FALSE),
	    gnut_links_dialing(s->links, TRUE), is_known_host, s, addr, &tls))
		gnut_links_dial_cached(s->links, addr, tls);
}

static gboolean on_tick(gpointer user_data)
{
	gnut_servent *s = user_data;
	gint64 now = gnut_clock_now_us(s->clock);
	gnut_routing_tick(s->routing, now);
	gnut_links_tick(s->links, now);
	if (s->hosts != NULL) {
		dial_cached_hosts(s);
		gnut_hosts_tick(s->hosts, now, is_ultrapeer(s) && !s->firewalled,
		                gnut_links_self_ipv4(s->links), s->listen_port);
	}
	gnut_uploads_tick(s->uploads, now);
	if (now - s->role_checked_us >= G_USEC_PER_SEC) {
		s->role_checked_us = now;
		check_role(s, now);
	}
	return G_SOURCE_CONTINUE;
}

/* Routes a new connection by its first line: the Gnutella handshake, a GIV
 * of a pushed download, an HTTP request for a shared file, or nothing we
 * serve. */
static void on_accept(gnut_listener *listener, gnut_conn *conn, const char *first_line,
                      gpointer user_data)
{
	gnut_servent *s = user_data;
	servent_oob_incoming_seen(s->oob, gnut_conn_get_peer(conn));
	if (g_str_has_prefix(first_line, "GNUTELLA CONNECT/")) {
		gnut_links_accept(s->links, conn);
		return;
	}
	if (g_str_has_prefix(first_line, "GIV ")) {
		gnut_push_service_take_giv(s->pushes, conn);
		return;
	}
	if (gnut_uploads_wants_line(first_line)) {
		gnut_uploads_take(s->uploads, conn);
		return;
	}
	g_autofree char *shown = g_strescape(first_line, NULL);
	g_message("connection from %s refused: unknown request \"%.80s\"", gnut_conn_get_peer(conn),
	          shown);
	gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
}

static void on_datagram(gnut_udp *udp, const guint8 *data, gsize len, GInetSocketAddress *from,
                        gpointer user_data)
{
	(void)udp;
	gnut_servent *s = user_data;
	gnut_udp_dispatch_datagram(s->udp_dispatch, data, len, from);
	servent_oob_datagram_seen(s->oob);
}

/* The UDP socket on the listening address and port. Without it the servent
 * still runs, as one that cannot receive datagrams. */
static void start_udp(gnut_servent *s)
{
	gnut_udp_config uc = {.address = s->listen_host, .port = s->listen_port, .clock = s->clock};
	g_autoptr(GError) error = NULL;
	s->udp = gnut_udp_new(&uc, on_datagram, s, &error);
	if (s->udp == NULL)
		g_warning("no UDP on %s:%u: %s", s->listen_host, s->listen_port, error->message);
	servent_oob_attach(s->oob, s->udp, s->udp_dispatch);
	udp_pings_attach(s->udp_pings, s->udp, s->links, s->share, s->hosts);
}

gboolean gnut_servent_start(gnut_servent *s, GError **error)
{
	const servent_admission *a = &s->admission;
	gnut_listener_config lc = {
	    .address = s->listen_host,
	    .port = s->listen_port,
	    .max_pending = a->max_pending,
	    .per_ip_pending = a->per_ip_pending,
	    .reconnect_burst = a->reconnect_burst,
	    .reconnect_interval_ms = a->reconnect_interval_s > G_MAXUINT / 1000
	                                 ? G_MAXUINT
	                                 : a->reconnect_interval_s * 1000,
	    .clock = s->clock,
	    .tls_cert = s->tls_cert,
	};
	s->listener = gnut_listener_new(&lc, on_accept, s, error);
	if (s->listener == NULL)
		return FALSE;
	s->listen_port = gnut_listener_get_port(s->listener);
	start_udp(s);
	uint32_t ipv4 = 0; /* stays 0 for the wildcard: learned from peers */
	if (gnut_addr_parse_ipv4(s->listen_host, strlen(s->listen_host), &ipv4) != GNUT_PROTO_OK)
		ipv4 = 0;
	gnut_links_set_self(s->links, ipv4, s->listen_port);
	s->started_us = gnut_clock_now_us(s->clock);
	g_message("listening on %s:%u", s->listen_host, s->listen_port);
	gnut_servent_rescan(s);
	s->tick = g_timeout_source_new(TICK_MS);
	g_source_set_callback(s->tick, on_tick, s, NULL);
	g_source_attach(s->tick, g_main_context_get_thread_default());
	on_tick(s);
	return TRUE;
}

/* ---- stopping ---- */

/* Ends a stop: the links said Bye (or the wait ran out). State goes to
 * disk and nothing is dialed or scanned any more. */
static gboolean finish_stop(gpointer data)
{
	gnut_servent *s = data;
	if (s->stopping == NULL)
		return G_SOURCE_REMOVE; /* finished already */
	if (s->drain != NULL) {
		g_source_destroy(s->drain);
		g_clear_pointer(&s->drain, g_source_unref);
	}
	g_autoptr(GError) error = NULL;
	if (!gnut_downloads_save(s->downloads, &error))
		g_warning("cannot save downloads: %s", error->message);
	g_cancellable_cancel(s->cancel);
	gnut_links_stop(s->links);
	gnut_push_service_stop(s->pushes);
	if (s->tick != NULL) {
		g_source_destroy(s->tick);
		g_clear_pointer(&s->tick, g_source_unref);
	}
	GTask *task = g_steal_pointer(&s->stopping);
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
	return G_SOURCE_REMOVE;
}

void gnut_servent_stop_async(gnut_servent *s, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, NULL, callback, user_data);
	g_task_set_source_tag(task, gnut_servent_stop_async);
	if (s->stopped || s->listener == NULL) {
		g_task_return_boolean(task, TRUE); /* never started, or stopped already */
		g_object_unref(task);
		return;
	}
	s->stopped = TRUE;
	s->stopping = task;
	g_message("stopping");
	if (gnut_links_count(s->links) == 0) {
		finish_stop(s);
		return;
	}
	gnut_links_bye_all(s->links);
	s->drain = g_timeout_source_new(STOP_DRAIN_MS);
	g_source_set_callback(s->drain, finish_stop, s, NULL);
	g_source_attach(s->drain, g_main_context_get_thread_default());
}

gboolean gnut_servent_stop_finish(gnut_servent *s, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void gnut_servent_free(gnut_servent *s)
{
	if (s == NULL)
		return;
	if (s->stopping != NULL)
		finish_stop(s);
	g_cancellable_cancel(s->cancel);
	if (s->tick != NULL) {
		g_source_destroy(s->tick);
		g_source_unref(s->tick);
	}
	gnut_fetch_free(s->fetch);
	gnut_push_service_free(s->pushes);
	gnut_proxy_client_free(s->proxy_client);
	g_clear_pointer(&s->uploads, gnut_uploads_free);
	g_clear_pointer(&s->mesh, gnut_mesh_free);
	g_clear_pointer(&s->downloads, gnut_downloads_free);
	gnut_links_free(s->links); /* first: its handlers reach the routing room */
	servent_oob_free(s->oob);
	if (s->partials != NULL)
		gnut_partials_set_changed(s->partials, NULL, NULL);
	gnut_routing_free(s->routing);
	if (s->listener != NULL)
		gnut_listener_free(s->listener);
	gnut_udp_free(s->udp);
	gnut_udp_dispatch_free(s->udp_dispatch);
	udp_pings_free(s->udp_pings);
	gnut_hosts_free(s->hosts);
	if (s->searches != NULL)
		gnut_searches_free(s->searches);
	if (s->share != NULL)
		gnut_share_free(s->share);
	g_clear_pointer(&s->partials, gnut_partials_free); /* after its readers and writers */
	gnut_log_limit_free(s->bad_log);
	gnut_role_free(s->role);
	g_clear_object(&s->tls_cert);
	g_object_unref(s->cancel);
	g_free(s->data_dir);
	g_free(s->download_dir);
	g_free(s->listen_host);
	g_free(s);
}

/* ---- the control API ---- */

guint16 gnut_servent_port(const gnut_servent *s)
{
	return s->listen_port;
}

void gnut_servent_set_stop_handler(gnut_servent *s, GCallback handler, gpointer data)
{
	s->stop_handler = handler;
	s->stop_data = data;
}

void gnut_servent_request_stop(gnut_servent *s)
{
	if (s->stop_handler != NULL)
		((void (*)(gpointer))s->stop_handler)(s->stop_data);
}

void gnut_servent_status(gnut_servent *s, gnut_status_info *out)
{
	gnut_uploads_stats up;
	gnut_uploads_get_stats(s->uploads, &up);
	out->version = PACKAGE_VERSION;
	out->mode = is_ultrapeer(s) ? "ultrapeer" : "leaf";
	out->role = gnut_role_is_auto(s->role) ? "auto" : "forced";
	out->role_reason = gnut_role_reason(s->role);
	out->peers = gnut_links_count(s->links);
	out->shared_files = gnut_share_count(s->share);
	out->bytes_up = up.bytes_up;
	out->uploads_queued = up.queued;
	out->bytes_down = gnut_downloads_bytes_in(s->downloads);
	out->uptime = (gnut_clock_now_us(s->clock) - s->started_us) / G_USEC_PER_SEC;
	servent_oob_status(s->oob, out);
	gnut_routing_stats rs;
	gnut_routing_get_stats(s->routing, &rs);
	out->queries_received = rs.queries_received;
	out->qrp_skipped_leaves = rs.qrp_skipped_leaves;
	out->qrp_skipped_ultrapeers = rs.qrp_skipped_ultrapeers;
	out->qrp_slots_held = rs.qrp_slots_held;
	out->push_proxy_requests = rs.push_proxy_requests;
	out->push_proxy_pushes = rs.push_proxy_pushes;
	out->push_proxies = rs.push_proxies;
	out->push_proxy_used = gnut_proxy_client_accepted(s->proxy_client);
}

GPtrArray *gnut_servent_peers(gnut_servent *s)
{
	return servent_info_peers(s->links);
}

/* Whether node is the link to host_port: the peer's listening port when it
 * told it (as gnut peers shows it), or its socket's address. */
static gboolean node_is(const gnut_node *node, const char *host_port)
{
	g_autofree char *name =
	    g_strdup_printf("%s:%u", gnut_node_get_host(node), gnut_node_get_port(node));
	return g_ascii_strcasecmp(name, host_port) == 0 ||
	       g_ascii_strcasecmp(gnut_node_get_address(node), host_port) == 0;
}

/* The link up to host_port, or NULL. */
static gnut_node *linked_to(gnut_servent *s, const char *host_port)
{
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(s->links);
	for (guint i = 0; i < nodes->len; i++)
		if (node_is(g_ptr_array_index(nodes, i), host_port))
			return g_ptr_array_index(nodes, i);
	return NULL;
}

gboolean gnut_servent_connect(gnut_servent *s, const char *host_port, GError **error)
{
	if (!valid_host_port(host_port)) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID, "\"%s\" is not HOST:PORT",
		            host_port);
		return FALSE;
	}
	if (linked_to(s, host_port) != NULL) { /* it dialed us: no second link */
		g_message("already linked to %s", host_port);
		return TRUE;
	}
	gnut_links_add_peer(s->links, host_port);
	return TRUE;
}

guint64 gnut_servent_search_start(gnut_servent *s, const char *query, GError **error)
{
	uint32_t ipv4;
	guint16 port;
	gboolean firewalled;
	gboolean oob = servent_oob_query_marking(s->oob, &ipv4, &port, &firewalled);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	if (!gnut_search_query_encode(query, firewalled, oob, !is_ultrapeer(s), payload, error))
		return 0;
	gnut_guid guid;
	guint64 id = gnut_searches_start_oob(s->searches, query, ipv4, oob ? port : 0, &guid);
	guint sent =
	    gnut_routing_originate(s->routing, &guid, GNUT_MSG_QUERY, payload->data, payload->len);
	g_message("search %" G_GUINT64_FORMAT " \"%s\" sent to %u links%s", id, query, sent,
	          oob ? " (hits out of band welcome)" : "");
	return id;
}

GPtrArray *gnut_servent_search_hits(gnut_servent *s, guint64 search_id, guint64 after_hit_id,
                                    GError **error)
{
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s->searches, search_id, after_hit_id);
	if (hits == NULL) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND, "no search %" G_GUINT64_FORMAT,
		            search_id);
		return NULL;
	}
	return servent_info_hits(hits);
}

void gnut_servent_search_stop(gnut_servent *s, guint64 search_id)
{
	gnut_searches_stop(s->searches, search_id);
}

guint64 gnut_servent_download_start(gnut_servent *s, const char *target, const char *to_dir,
                                    GError **error)
{
	return gnut_fetch_start(s->fetch, target, to_dir, error);
}

GPtrArray *gnut_servent_downloads(gnut_servent *s)
{
	return servent_info_downloads(s->downloads);
}

gboolean gnut_servent_download_cancel(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_cancel(s->downloads, id, error);
}

gboolean gnut_servent_download_pause(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_pause(s->downloads, id, error);
}

gboolean gnut_servent_download_resume(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_resume(s->downloads, id, error);
}

gboolean gnut_servent_download_retry(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_retry(s->downloads, id, error);
}

GPtrArray *gnut_servent_download_sources(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_sources(s->downloads, id, error);
}

GPtrArray *gnut_servent_shares(gnut_servent *s)
{
	return servent_info_shares(s->share);
}

char *gnut_servent_magnet_hit(gnut_servent *s, guint64 hit_id, GError **error)
{
	return servent_magnet_hit(s->searches, hit_id, error);
}

char *gnut_servent_magnet_download(gnut_servent *s, guint64 id, GError **error)
{
	return servent_magnet_download(s->downloads, id, error);
}

char *gnut_servent_magnet_file(gnut_servent *s, const char *path, GError **error)
{
	uint32_t self = s->firewalled ? 0 : gnut_links_self_ipv4(s->links);
	return servent_magnet_file(s->share, path, self, s->listen_port, error);
}

GPtrArray *gnut_servent_hosts(gnut_servent *s)
{
	return servent_info_hosts(s->hosts, gnut_clock_now_us(s->clock));
}

gboolean gnut_servent_share_add(gnut_servent *s, const char *dir, GError **error)
{
	if (!gnut_share_add_dir(s->share, dir, error))
		return FALSE;
	gnut_servent_rescan(s);
	return TRUE;
}

gboolean gnut_servent_share_remove(gnut_servent *s, const char *dir, GError **error)
{
	if (!gnut_share_remove_dir(s->share, dir, error))
		return FALSE;
	gnut_servent_rescan(s);
	return TRUE;
}

void gnut_servent_set_limits(gnut_servent *s, guint64 upload_limit, guint64 download_limit)
{
	s->upload_limit = upload_limit;
	s->download_limit = download_limit;
	gnut_uploads_set_rate_limit(s->uploads, upload_limit);
	gnut_downloads_set_limit(s->downloads, download_limit);
}

void gnut_servent_set_share_partial(gnut_servent *s, gboolean on)
{
	gnut_partials_set_enabled(s->partials, on);
}

void gnut_servent_limits(const gnut_servent *s, guint64 *upload_limit, guint64 *download_limit)
{
	*upload_limit = s->upload_limit;
	*download_limit = s->download_limit;
}

void gnut_servent_counters_get(gnut_servent *s, gnut_servent_counters *out)
{
	memset(out, 0, sizeof *out);
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(s->links);
	for (guint i = 0; i < nodes->len; i++) {
		gnut_node_stats ns;
		gnut_node_get_stats(g_ptr_array_index(nodes, i), &ns);
		out->link_msgs_in += ns.msgs_in;
		out->link_msgs_out += ns.msgs_out;
		out->link_msgs_dropped += ns.msgs_dropped;
		out->link_bytes_in += ns.bytes_in;
		out->link_bytes_out += ns.bytes_out;
	}
	out->handshakes_refused = gnut_links_refused_handshakes(s->links);
	out->links_refused_full = gnut_links_refused_full(s->links);
	gnut_routing_get_stats(s->routing, &out->routing);
	gnut_uploads_get_stats(s->uploads, &out->uploads);
	out->hits_received = s->hits_received;
	out->msgs_in = s->closed_msgs_in + out->link_msgs_in;
	out->msgs_out = s->closed_msgs_out + out->link_msgs_out;
	out->downloads_completed = s->downloads_completed;
}

void gnut_servent_set_totals_before(gnut_servent *s, const gnut_servent_totals *before)
{
	s->totals_before = *before;
}

void gnut_servent_totals_session(gnut_servent *s, gnut_servent_totals *out)
{
	gnut_servent_counters c;
	gnut_servent_counters_get(s, &c);
	*out = (gnut_servent_totals){
	    .bytes_up = c.uploads.bytes_up,
	    .bytes_down = gnut_downloads_bytes_in(s->downloads),
	    .uploads_completed = c.uploads.uploads_done,
	    .downloads_completed = c.downloads_completed,
	    .queries_sent = c.routing.queries_sent,
	    .queries_answered = c.routing.queries_answered,
	    .hits_received = c.hits_received,
	    .messages_received = c.msgs_in,
	    .messages_sent = c.msgs_out,
	    .messages_dropped = c.routing.dropped,
	    .uptime = (guint64)MAX(gnut_clock_now_us(s->clock) - s->started_us, 0) / G_USEC_PER_SEC,
	};
}

void gnut_servent_totals_all(gnut_servent *s, gnut_servent_totals *out)
{
	gnut_servent_totals_session(s, out);
	const gnut_servent_totals *b = &s->totals_before;
	out->bytes_up += b->bytes_up;
	out->bytes_down += b->bytes_down;
	out->uploads_completed += b->uploads_completed;
	out->downloads_completed += b->downloads_completed;
	out->queries_sent += b->queries_sent;
	out->queries_answered += b->queries_answered;
	out->hits_received += b->hits_received;
	out->messages_received += b->messages_received;
	out->messages_sent += b->messages_sent;
	out->messages_dropped += b->messages_dropped;
	out->uptime += b->uptime;
}

gboolean gnut_servent_disconnect(gnut_servent *s, const char *host_port, GError **error)
{
	gboolean found = gnut_links_forget_peer(s->links, host_port);
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(s->links);
	for (guint i = 0; i < nodes->len; i++) {
		gnut_node *node = g_ptr_array_index(nodes, i);
		if (node_is(node, host_port)) {
			gnut_node_bye(node, GNUT_HTTP_OK, "Disconnected by the user");
			found = TRUE;
		}
	}
	if (!found)
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND, "not linked to %s", host_port);
	else
		g_message("disconnecting from %s", host_port);
	return found;
}
