/* servent.c: the servent object's life (configuration, start, the one-second
 * tick, stop) and the calls the control API makes into it. Links live in
 * servent-links.c, searches and transfers in servent-transfers.c. */
#include "config.h"

#include <string.h>

#include "gnut/proto/digest.h"
#include "gnut/proto/urn.h"
#include "servent-private.h"

G_DEFINE_QUARK(gnut - servent - error - quark, gnut_servent_error)

/* Splits "ADDR:PORT" ("[v6]:PORT" too) into an IP literal and a port. */
static gboolean parse_listen(const char *listen, char **host, guint16 *port, GError **error)
{
	g_autofree char *h = NULL;
	guint16 p = 0;
	if (!g_str_has_prefix(listen, "[") && strchr(listen, ':') == NULL) {
		h = g_strdup(listen);
		p = GNUT_SERVENT_DEFAULT_PORT;
	} else {
		g_autoptr(GNetworkAddress) na = G_NETWORK_ADDRESS(
		    g_network_address_parse(listen, GNUT_SERVENT_DEFAULT_PORT, NULL));
		if (na != NULL) {
			h = g_strdup(g_network_address_get_hostname(na));
			p = g_network_address_get_port(na);
		}
	}
	g_autoptr(GInetAddress) addr = h ? g_inet_address_new_from_string(h) : NULL;
	if (addr == NULL) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
		            "listen: \"%s\" is not IP:PORT", listen);
		return FALSE;
	}
	*host = g_steal_pointer(&h);
	*port = p;
	return TRUE;
}

static gboolean valid_host_port(const char *host_port)
{
	g_autoptr(GSocketConnectable) c = g_network_address_parse(host_port, 0, NULL);
	return c != NULL && g_network_address_get_port(G_NETWORK_ADDRESS(c)) != 0;
}

static gboolean copy_config(gnut_servent *s, const gnut_servent_config *c, GError **error)
{
	if (c->data_dir == NULL) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
		            "data_dir: not set");
		return FALSE;
	}
	if (!parse_listen(c->listen ? c->listen : "0.0.0.0:6346", &s->listen_host, &s->listen_port,
	                  error))
		return FALSE;
	s->data_dir = g_strdup(c->data_dir);
	s->download_dir = c->download_dir ? g_strdup(c->download_dir)
	                                  : g_build_filename(c->data_dir, "downloads", NULL);
	s->ultrapeer = c->ultrapeer;
	s->no_bootstrap = c->no_bootstrap;
	s->firewalled = c->firewalled;
	s->upload_limit = c->upload_limit;
	s->download_limit = c->download_limit;
	s->upload_slots = c->upload_slots ? c->upload_slots : 4;
	s->max_links = c->max_links ? c->max_links : GNUT_SERVENT_DEFAULT_MAX_LINKS;
	for (const char *const *p = c->peers; p != NULL && *p != NULL; p++) {
		if (!valid_host_port(*p)) {
			g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
			            "peer: \"%s\" is not HOST:PORT", *p);
			return FALSE;
		}
	}
	return TRUE;
}

gnut_servent *gnut_servent_new(const gnut_servent_config *config, gnut_clock *clock, GError **error)
{
	gnut_digest_init();
	gnut_servent *s = g_new0(gnut_servent, 1);
	s->clock = clock ? clock : gnut_clock_system();
	s->cancel = g_cancellable_new();
	s->tickets = g_ptr_array_new();
	gnut_guid_generate(&s->guid);
	s->searches = gnut_searches_new();
	if (!copy_config(s, config, error)) {
		gnut_servent_free(s);
		return NULL;
	}
	servent_links_init(s); /* after the configuration: the router needs our mode */
	for (const char *const *p = config->peers; p != NULL && *p != NULL; p++)
		servent_add_peer(s, *p);
	if (g_mkdir_with_parents(s->data_dir, 0700) != 0 ||
	    (s->share = gnut_share_new(s->data_dir, error)) == NULL) {
		if (error != NULL && *error == NULL)
			g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_IO,
			            "data_dir: cannot create %s", s->data_dir);
		gnut_servent_free(s);
		return NULL;
	}
	for (const char *const *d = config->shares; d != NULL && *d != NULL; d++)
		if (!gnut_share_add_dir(s->share, *d, error)) {
			gnut_servent_free(s);
			return NULL;
		}
	if (!servent_hosts_init(s, error) || !servent_transfers_init(s, error)) {
		gnut_servent_free(s);
		return NULL;
	}
	return s;
}

static void on_rescan_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	gnut_servent *s = servent_ticket_redeem(user_data, NULL);
	if (s == NULL)
		return; /* the servent was freed while the scan ran */
	g_autoptr(GError) error = NULL;
	gboolean ok = gnut_share_rescan_finish(s->share, res, &error);
	s->scanning = FALSE;
	if (!ok)
		g_warning("share scan failed: %s", error->message);
	else {
		g_message("sharing %u files (%" G_GUINT64_FORMAT " bytes)",
		          gnut_share_count(s->share), gnut_share_total_bytes(s->share));
		servent_qrp_share_changed(s);
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
	gnut_share_rescan_async(s->share, s->cancel, on_rescan_done, servent_ticket_new(s, NULL));
}

static gboolean on_tick(gpointer user_data)
{
	gnut_servent *s = user_data;
	gint64 now = gnut_clock_now_us(s->clock);
	servent_links_tick(s, now);
	servent_hosts_tick(s, now);
	servent_transfers_tick(s, now);
	return G_SOURCE_CONTINUE;
}

gboolean gnut_servent_start(gnut_servent *s, GError **error)
{
	if (!servent_listen(s, error))
		return FALSE;
	s->started_us = gnut_clock_now_us(s->clock);
	g_message("listening on %s:%u", s->listen_host, s->listen_port);
	gnut_servent_rescan(s);
	s->tick = g_timeout_source_new(250);
	g_source_set_callback(s->tick, on_tick, s, NULL);
	g_source_attach(s->tick, g_main_context_get_thread_default());
	on_tick(s);
	return TRUE;
}

/* Lets the main loop run until every link has said Bye (bounded), so the
 * peers hear why we leave. */
static void drain_links(gnut_servent *s)
{
	GMainContext *ctx = g_main_context_get_thread_default();
	gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (servent_link_count(s) > 0 && g_get_monotonic_time() < deadline)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(10000);
}

uint32_t servent_ipv4_parse(const char *ip)
{
	g_autoptr(GInetAddress) a = ip ? g_inet_address_new_from_string(ip) : NULL;
	if (a == NULL || g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV4)
		return 0;
	const guint8 *b = g_inet_address_to_bytes(a);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void servent_ipv4_format(uint32_t ip, char out[SERVENT_IPV4_LEN])
{
	g_snprintf(out, SERVENT_IPV4_LEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
	           (ip >> 8) & 0xff, ip & 0xff);
}

servent_ticket *servent_ticket_new(gnut_servent *s, gpointer data)
{
	servent_ticket *t = g_new(servent_ticket, 1);
	t->servent = s;
	t->data = data;
	g_ptr_array_add(s->tickets, t);
	return t;
}

gnut_servent *servent_ticket_redeem(servent_ticket *t, gpointer *data)
{
	gnut_servent *s = t->servent;
	if (s != NULL)
		g_ptr_array_remove_fast(s->tickets, t);
	if (data != NULL)
		*data = t->data;
	g_free(t);
	return s;
}

void gnut_servent_stop(gnut_servent *s)
{
	if (s->stopped || s->listener == NULL)
		return;
	s->stopped = TRUE;
	g_message("stopping");
	servent_links_bye_all(s);
	drain_links(s);
	servent_transfers_stop(s);
	g_cancellable_cancel(s->cancel);
	if (s->tick != NULL) {
		g_source_destroy(s->tick);
		g_clear_pointer(&s->tick, g_source_unref);
	}
}

void gnut_servent_free(gnut_servent *s)
{
	if (s == NULL)
		return;
	gnut_servent_stop(s);
	servent_transfers_free(s);
	servent_hosts_free(s);
	servent_links_free(s);
	gnut_searches_free(s->searches);
	if (s->share != NULL)
		gnut_share_free(s->share);
	g_object_unref(s->cancel);
	for (guint i = 0; i < s->tickets->len; i++)
		((servent_ticket *)g_ptr_array_index(s->tickets, i))->servent = NULL;
	g_ptr_array_unref(s->tickets);
	g_free(s->data_dir);
	g_free(s->download_dir);
	g_free(s->listen_host);
	g_free(s);
}

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
	out->version = PACKAGE_VERSION;
	out->mode = s->ultrapeer ? "ultrapeer" : "leaf";
	out->peers = servent_link_count(s);
	out->shared_files = gnut_share_count(s->share);
	servent_transfer_bytes(s, &out->bytes_up, &out->bytes_down);
	out->uptime = (gnut_clock_now_us(s->clock) - s->started_us) / G_USEC_PER_SEC;
}

GPtrArray *gnut_servent_peers(gnut_servent *s)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_peer_info_free);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		gnut_peer_info *p = g_new0(gnut_peer_info, 1);
		p->host = g_strdup(gnut_node_get_host(value));
		p->port = gnut_node_get_port(value);
		p->mode = gnut_node_get_mode(value);
		p->user_agent = g_strdup(gnut_node_get_user_agent(value));
		g_ptr_array_add(out, p);
	}
	return out;
}

gboolean gnut_servent_connect(gnut_servent *s, const char *host_port, GError **error)
{
	if (!valid_host_port(host_port)) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
		            "\"%s\" is not HOST:PORT", host_port);
		return FALSE;
	}
	servent_add_peer(s, host_port);
	return TRUE;
}

GPtrArray *gnut_servent_shares(gnut_servent *s)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_share_info_free);
	g_autoptr(GPtrArray) files = gnut_share_list(s->share);
	for (guint i = 0; i < files->len; i++) {
		const gnut_shared_file *f = g_ptr_array_index(files, i);
		gnut_share_info *info = g_new0(gnut_share_info, 1);
		info->path = g_strdup(f->path);
		info->size = f->size;
		info->urn = gnut_urn_sha1_strdup(f->sha1);
		g_ptr_array_add(out, info);
	}
	return out;
}

gboolean gnut_servent_share_add(gnut_servent *s, const char *dir, GError **error)
{
	if (!gnut_share_add_dir(s->share, dir, error))
		return FALSE;
	gnut_servent_rescan(s);
	return TRUE;
}

void gnut_peer_info_free(gpointer p)
{
	gnut_peer_info *info = p;
	g_free(info->host);
	g_free(info->user_agent);
	g_free(info);
}

void gnut_hit_info_free(gpointer p)
{
	gnut_hit_info *info = p;
	g_free(info->name);
	g_free(info->urn);
	g_free(info->host);
	g_free(info);
}

void gnut_download_info_free(gpointer p)
{
	gnut_download_info *info = p;
	g_free(info->name);
	g_free(info->path);
	g_free(info->error);
	g_free(info);
}

void gnut_share_info_free(gpointer p)
{
	gnut_share_info *info = p;
	g_free(info->path);
	g_free(info->urn);
	g_free(info);
}
