/* push-proxying.c: push proxies over our links (see push-proxying.h): the
 * leaf's requests and the proxies it was given, the ultrapeer's leaves and
 * the Pushes it relays for downloaders. */
#include "config.h"

#include "push-proxying.h"

#include <string.h>

#include "gnut/base/ip-rate.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/push.h"
#include "gnut/proto/vendor-msg.h"

#define ALL_KEY 0 /* the one key of the overall cap */

struct gnut_proxying {
	gnut_proxying_config config;
	GHashTable *leaves;  /* gnut_guid * (owned) -> link id, as an ultrapeer */
	GHashTable *proxies; /* link id -> gnut_push_proxy * (owned), as a leaf */
	gnut_ip_rate *per_ip;
	gnut_ip_rate *all;
	gnut_proxying_stats stats;
};

gnut_proxying *gnut_proxying_new(const gnut_proxying_config *config)
{
	gnut_proxying *p = g_new0(gnut_proxying, 1);
	p->config = *config;
	p->leaves = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, g_free, g_free);
	p->proxies = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	gint64 window = (gint64)GNUT_PROXYING_WINDOW_S * G_USEC_PER_SEC;
	p->per_ip =
	    gnut_ip_rate_new(config->clock, GNUT_PROXYING_PER_IP, window, GNUT_PROXYING_ALL);
	p->all = gnut_ip_rate_new(config->clock, GNUT_PROXYING_ALL, window, 1);
	return p;
}

void gnut_proxying_free(gnut_proxying *p)
{
	if (p == NULL)
		return;
	g_hash_table_unref(p->leaves);
	g_hash_table_unref(p->proxies);
	gnut_ip_rate_free(p->per_ip);
	gnut_ip_rate_free(p->all);
	g_free(p);
}

static void send_vendor(gnut_node *node, const gnut_guid *guid, GByteArray *payload)
{
	gnut_node_send_msg(node, guid, GNUT_MSG_VENDOR, 1, 0, payload->data, payload->len,
	                   GNUT_PRIO_CONTROL);
}

void gnut_proxying_link_up(gnut_proxying *p, gnut_node *node)
{
	if (p->config.ultrapeer || !gnut_node_is_ultrapeer(node))
		return;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_proxy_req_encode(payload);
	send_vendor(node, &p->config.guid, payload);
	g_debug("link %s: asked for push proxying", gnut_node_get_address(node));
}

static gboolean is_link(gpointer key, gpointer value, gpointer data)
{
	return *(guint64 *)value == *(guint64 *)data;
}

void gnut_proxying_link_closed(gnut_proxying *p, guint64 link)
{
	g_hash_table_remove(p->proxies, &link);
	g_hash_table_foreach_remove(p->leaves, is_link, &link);
}

/* An ultrapeer's side: a leaf asks; we take it (while there is room) and
 * tell it our address. */
static void proxy_request(gnut_proxying *p, gnut_node *from, const gnut_msg_header *h)
{
	gnut_links *links = p->config.links;
	uint32_t ipv4 = gnut_links_self_ipv4(links);
	guint16 port = gnut_links_self_port(links);
	gboolean known = g_hash_table_contains(p->leaves, &h->guid);
	if (!p->config.ultrapeer || gnut_node_is_ultrapeer(from) || ipv4 == 0 || port == 0 ||
	    (!known && g_hash_table_size(p->leaves) >= GNUT_PROXYING_MAX_LEAVES)) {
		g_debug("link %s: push proxying not offered", gnut_node_get_address(from));
		return;
	}
	guint64 *link = g_new(guint64, 1);
	*link = gnut_node_get_id(from);
	g_hash_table_replace(p->leaves, g_memdup2(&h->guid, sizeof h->guid), link);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_proxy_ack_encode(payload, ipv4, port);
	send_vendor(from, &h->guid, payload);
	g_debug("link %s: push proxy for its servent", gnut_node_get_address(from));
}

/* A leaf's side: an ultrapeer is our proxy at ipv4:port (0: the link's
 * address), unless the dial rule refuses that address. */
static void proxy_ack(gnut_proxying *p, gnut_node *from, uint32_t ipv4, guint16 port)
{
	if (p->config.ultrapeer || !gnut_node_is_ultrapeer(from))
		return;
	const char *host = gnut_node_get_host(from);
	if (ipv4 == 0 && gnut_addr_parse_ipv4(host, strlen(host), &ipv4) != GNUT_PROTO_OK)
		return;
	gnut_dial_verdict v = gnut_dial_check_ipv4(ipv4, port, p->config.allow_local);
	if (v != GNUT_DIAL_OK) {
		gnut_log_limited(p->config.bad_log, "link %s: push proxy address refused: %s",
		                 gnut_node_get_address(from), gnut_dial_verdict_name(v));
		return;
	}
	guint64 *link = g_new(guint64, 1);
	*link = gnut_node_get_id(from);
	gnut_push_proxy *proxy = g_new(gnut_push_proxy, 1);
	*proxy = (gnut_push_proxy){.ipv4 = ipv4, .port = port};
	g_hash_table_replace(p->proxies, link, proxy);
	g_debug("link %s: is our push proxy", gnut_node_get_address(from));
}

gboolean gnut_proxying_vendor(gnut_proxying *p, gnut_node *from, const gnut_msg_header *h,
                              const guint8 *payload)
{
	uint32_t ipv4;
	guint16 port;
	if (gnut_proxy_req_decode(payload, h->length) == GNUT_PROTO_OK) {
		proxy_request(p, from, h);
		return TRUE;
	}
	gnut_proto_err err = gnut_proxy_ack_decode(payload, h->length, &ipv4, &port);
	if (err == GNUT_PROTO_OK)
		proxy_ack(p, from, ipv4, port);
	else if (err != GNUT_PROTO_ERR_MALFORMED)
		gnut_log_limited(p->config.bad_log, "link %s: bad push proxy acknowledgement: %s",
		                 gnut_node_get_address(from), gnut_proto_strerror(err));
	return err != GNUT_PROTO_ERR_MALFORMED;
}

void gnut_proxying_ours(const gnut_proxying *p, gnut_push_proxies *out)
{
	memset(out, 0, sizeof *out);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, p->proxies);
	while (out->count < GNUT_PUSH_PROXY_MAX && g_hash_table_iter_next(&it, NULL, &value))
		out->addr[out->count++] = *(const gnut_push_proxy *)value;
}

/* The leaf's link, if we proxy for servent and the link is still there. */
static gnut_node *leaf_link(gnut_proxying *p, const gnut_guid *servent)
{
	const guint64 *link = g_hash_table_lookup(p->leaves, servent);
	return link != NULL ? gnut_links_lookup(p->config.links, *link) : NULL;
}

static unsigned refuse(gnut_proxying *p, unsigned code)
{
	p->stats.refused++;
	return code;
}

unsigned gnut_proxying_request(gnut_proxying *p, const gnut_guid *servent, uint32_t requester,
                               uint32_t ipv4, guint16 port)
{
	p->stats.requests++;
	if (!gnut_ip_rate_allows(p->all, ALL_KEY) || !gnut_ip_rate_allows(p->per_ip, requester))
		return refuse(p, GNUT_HTTP_TOO_MANY_REQUESTS);
	gnut_ip_rate_note(p->all, ALL_KEY);
	gnut_ip_rate_note(p->per_ip, requester);
	if (ipv4 != requester ||
	    gnut_dial_check_ipv4(ipv4, port, p->config.allow_local) != GNUT_DIAL_OK)
		return refuse(p, GNUT_HTTP_BAD_REQUEST);
	gnut_node *leaf = leaf_link(p, servent);
	if (leaf == NULL || gnut_node_is_closing(leaf))
		return refuse(p, GNUT_HTTP_GONE);
	gnut_push push = {.servent = *servent, .file_index = 0, .ipv4 = ipv4, .port = port};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_push_encode(payload, &push);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	if (!gnut_node_send_msg(leaf, &guid, GNUT_MSG_PUSH, 1, 0, payload->data, payload->len,
	                        GNUT_PRIO_CONTROL))
		return refuse(p, GNUT_HTTP_SERVICE_UNAVAILABLE);
	p->stats.pushes_sent++;
	return GNUT_HTTP_ACCEPTED;
}

void gnut_proxying_get_stats(const gnut_proxying *p, gnut_proxying_stats *out)
{
	*out = p->stats;
	out->leaves = g_hash_table_size(p->leaves);
	out->proxies = g_hash_table_size(p->proxies);
}

void gnut_proxying_set_ultrapeer(gnut_proxying *p, gboolean ultrapeer)
{
	p->config.ultrapeer = ultrapeer;
}
