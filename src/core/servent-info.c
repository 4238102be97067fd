/* servent-info.c: the control API's views of the rooms' state (see
 * servent-info.h), and the free functions of those views. */
#include "config.h"

#include "servent-info.h"

#include "gnut/proto/address.h"
#include "gnut/proto/urn.h"

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

void gnut_host_info_free(gpointer p)
{
	gnut_host_info *info = p;
	g_free(info->host);
	g_free(info);
}

GPtrArray *servent_info_hosts(const gnut_hosts *hosts, gint64 now_us)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_host_info_free);
	if (hosts == NULL)
		return out;
	g_autoptr(GArray) list = gnut_hosts_list(hosts);
	for (guint i = 0; i < list->len; i++) {
		const gnut_hostcache_entry *e = &g_array_index(list, gnut_hostcache_entry, i);
		gnut_host_info *info = g_new0(gnut_host_info, 1);
		char ip[GNUT_ADDR_IPV4_LEN];
		gnut_addr_format_ipv4(e->ip, ip);
		info->host = g_strdup(ip);
		info->port = e->port;
		info->ultrapeer = e->ultrapeer;
		info->tls = e->tls;
		info->source = gnut_host_source_name(e->source);
		info->last_seen = MAX(now_us - e->last_seen_us, 0) / G_USEC_PER_SEC;
		info->failures = e->failures;
		g_ptr_array_add(out, info);
	}
	return out;
}

void gnut_share_info_free(gpointer p)
{
	gnut_share_info *info = p;
	g_free(info->path);
	g_free(info->urn);
	g_free(info);
}

GPtrArray *servent_info_peers(const gnut_links *links)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_peer_info_free);
	g_autoptr(GPtrArray) nodes = gnut_links_nodes(links);
	for (guint i = 0; i < nodes->len; i++) {
		const gnut_node *node = g_ptr_array_index(nodes, i);
		gnut_peer_info *p = g_new0(gnut_peer_info, 1);
		p->host = g_strdup(gnut_node_get_host(node));
		p->port = gnut_node_get_port(node);
		p->mode = gnut_node_get_mode(node);
		p->user_agent = g_strdup(gnut_node_get_user_agent(node));
		p->tls = gnut_node_get_peer(node)->tls;
		g_ptr_array_add(out, p);
	}
	return out;
}

static gnut_hit_info *hit_info_new(const gnut_hit *h)
{
	gnut_hit_info *info = g_new0(gnut_hit_info, 1);
	info->id = h->id;
	info->search_id = h->search_id;
	info->name = g_strdup(h->name);
	info->size = h->size;
	if (h->has_sha1)
		info->urn = gnut_urn_sha1_strdup(h->sha1);
	info->host = g_malloc(GNUT_ADDR_IPV4_LEN);
	gnut_addr_format_ipv4(h->ipv4, info->host);
	info->port = h->port;
	return info;
}

GPtrArray *servent_info_hits(GPtrArray *hits)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_hit_info_free);
	for (guint i = 0; i < hits->len; i++)
		g_ptr_array_add(out, hit_info_new(g_ptr_array_index(hits, i)));
	return out;
}

GPtrArray *servent_info_downloads(gnut_downloads *downloads)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_download_info_free);
	g_autoptr(GPtrArray) list = gnut_downloads_list(downloads);
	for (guint i = 0; i < list->len; i++) {
		const gnut_download_status *st = g_ptr_array_index(list, i);
		gnut_download_info *info = g_new0(gnut_download_info, 1);
		info->id = st->id;
		info->name = g_strdup(st->name);
		info->size = st->size;
		info->done = st->done;
		info->state = gnut_download_state_name(st->state);
		info->path = g_strdup(st->path);
		info->error = g_strdup(st->error);
		info->sources = st->sources;
		info->active = st->active;
		info->rate = st->rate;
		info->eta_s = st->eta_s;
		g_ptr_array_add(out, info);
	}
	return out;
}

GPtrArray *servent_info_shares(gnut_share *share)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_share_info_free);
	g_autoptr(GPtrArray) files = gnut_share_list(share);
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
