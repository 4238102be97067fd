/* handshake-headers.c: the header sets of the Gnutella 0.6 handshake: the
 * capability headers we announce, and the reading of a peer's block into a
 * gnut_handshake_peer. Pure functions over gnut_head: no socket, no clock,
 * so the handshake state machine in handshake.c stays about sequencing. */
#define G_LOG_DOMAIN "gnut-core"

#include "config.h"

#include "gnut/core/links/handshake.h"

#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/http-status.h"

/* Listen address headers, in order of preference: Listen-IP is the 0.6
 * name, the others are what older or other servents send. */
static const char *const listen_headers[] = {"Listen-IP", "X-My-Address", "Node", "X-Node"};
/* Lists of other hosts to try, sent with refusals (and sometimes a 200). */
static const char *const try_headers[] = {"X-Try-Ultrapeers", "X-Try"};

void gnut_handshake_config_init(gnut_handshake_config *c)
{
	memset(c, 0, sizeof *c);
	c->degree = GNUT_HANDSHAKE_DEFAULT_DEGREE;
	c->max_ttl = GNUT_HANDSHAKE_DEFAULT_MAX_TTL;
	c->deflate = TRUE;
	c->timeout_s = GNUT_HANDSHAKE_TIMEOUT_S;
	c->clock = gnut_clock_system();
}

void gnut_handshake_add_our_headers(gnut_head *h, const gnut_handshake_config *c,
                                    const char *remote_ip)
{
	gnut_head_add(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
	gnut_head_add(h, "X-Ultrapeer", c->ultrapeer ? "True" : "False");
	gnut_head_add(h, "X-Query-Routing", "0.2");
	if (c->ultrapeer)
		gnut_head_add(h, "X-Ultrapeer-Query-Routing", "0.1");
	gnut_head_add(h, "GGEP", "0.5");
	gnut_head_add(h, "Pong-Caching", "0.1");
	gnut_head_add(h, "Bye-Packet", "0.1");
	gnut_head_add(h, "Vendor-Message", "0.2");
	if (c->guid != NULL) {
		char hex[GNUT_GUID_HEX_LEN + 1];
		gnut_guid_to_hex(c->guid, hex);
		gnut_head_add(h, "GUID", hex);
	}
	if (remote_ip != NULL && gnut_head_is_valid_value(remote_ip))
		gnut_head_add(h, "Remote-IP", remote_ip);
	if (c->listen_addr != NULL && gnut_head_is_valid_value(c->listen_addr))
		gnut_head_add(h, "Listen-IP", c->listen_addr);
	gnut_head_addf(h, "X-Max-TTL", "%u", c->max_ttl);
	gnut_head_addf(h, "X-Degree", "%u", c->degree);
	if (c->dynamic_querying)
		gnut_head_add(h, "X-Dynamic-Querying", "0.1");
	if (c->deflate)
		gnut_head_add(h, "Accept-Encoding", "deflate");
	if (c->tls_cert != NULL)
		gnut_head_add(h, "X-Features", "tls/1.0");
}

const char *gnut_handshake_reason_for(guint code)
{
	switch (code) {
	case GNUT_HTTP_OK:
		return "OK";
	case GNUT_HTTP_FORBIDDEN:
		return "Forbidden";
	case GNUT_HTTP_CONFLICT:
		return "Already connected";
	case GNUT_HTTP_TOO_MANY_REQUESTS:
		return "Too many requests";
	case GNUT_HTTP_SERVICE_UNAVAILABLE:
		return "Service Unavailable";
	default:
		return code >= GNUT_HTTP_OK && code < 300 ? "OK" : "Refused";
	}
}

/* The text of an IP literal as GInetAddress prints it: dotted quad, or
 * IPv6 in its canonical compressed form (RFC 5952), so equal addresses
 * compare equal as strings. */
static char *ip_text(const gnut_addr_host_port *hp)
{
	if (hp->kind == GNUT_ADDR_HOST_IPV4) {
		char text[GNUT_ADDR_IPV4_LEN];
		gnut_addr_format_ipv4(hp->ipv4, text);
		return g_strdup(text);
	}
	g_autoptr(GInetAddress) a = g_inet_address_new_from_bytes(hp->ipv6, G_SOCKET_FAMILY_IPV6);
	return g_inet_address_to_string(a);
}

/* Why not g_network_address_parse: it accepts host names and would let a
 * peer's header make us resolve names; here only IP literals pass. */
gboolean gnut_handshake_parse_host_port(const char *s, char **ip, guint16 *port)
{
	gnut_addr_host_port hp;
	if (gnut_addr_parse_host_port(s, strlen(s), 0, &hp) != GNUT_PROTO_OK ||
	    hp.kind == GNUT_ADDR_HOST_NAME)
		return FALSE;
	*ip = ip_text(&hp);
	*port = hp.port;
	return TRUE;
}

/* Remote-IP: an IPv4 or IPv6 literal without port, normalised; NULL for
 * anything else. */
static char *parse_ip_literal(const char *s)
{
	gnut_addr_host_port hp = {.kind = GNUT_ADDR_HOST_IPV4};
	if (gnut_addr_parse_ipv4(s, strlen(s), &hp.ipv4) != GNUT_PROTO_OK) {
		hp.kind = GNUT_ADDR_HOST_IPV6;
		if (gnut_addr_parse_ipv6(s, strlen(s), hp.ipv6) != GNUT_PROTO_OK)
			return NULL;
	}
	return ip_text(&hp);
}

static char *format_host_port(const char *ip, guint16 port)
{
	GString *s = g_string_new(NULL);
	gnut_addr_append_host_port(s, ip, port);
	return g_string_free(s, FALSE);
}

/* A User-Agent fit for logs and `gnut peers`: capped, valid UTF-8, no
 * control characters (the header parser already refused all but HT). */
static char *clean_agent(const char *value)
{
	gsize len = MIN(strlen(value), (gsize)GNUT_HANDSHAKE_MAX_AGENT);
	char *s = g_utf8_make_valid(value, (gssize)len);
	for (char *p = s; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* Appends the valid "ip:port" entries of a comma list to out, up to the cap;
 * invalid entries are skipped, not fatal: the list is only advice. */
static void read_try_list(const char *value, GPtrArray *out)
{
	g_auto(GStrv) items = g_strsplit(value, ",", -1);
	for (guint i = 0; items[i] != NULL && out->len < GNUT_HANDSHAKE_MAX_TRY_HOSTS; i++) {
		g_autofree char *ip = NULL;
		guint16 port = 0;
		if (gnut_handshake_parse_host_port(g_strstrip(items[i]), &ip, &port))
			g_ptr_array_add(out, format_host_port(ip, port));
	}
}

/* TRUE when the header is present with a "major.minor" version. */
static gboolean has_version(const gnut_head *h, const char *name)
{
	const char *v = gnut_head_get(h, name);
	unsigned major = 0, minor = 0;
	return v != NULL && gnut_head_parse_version(v, &major, &minor) == GNUT_PROTO_OK;
}

/* A small decimal header, clamped: X-Degree and X-Max-TTL only inform us. */
static guint read_number(const gnut_head *h, const char *name, guint max)
{
	const char *v = gnut_head_get(h, name);
	uint64_t n = 0;
	if (v == NULL || gnut_head_parse_u64(v, &n) != GNUT_PROTO_OK)
		return 0;
	return (guint)MIN(n, (uint64_t)max);
}

static void read_addresses(const gnut_head *h, gnut_handshake_peer *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(listen_headers) && out->listen_ip == NULL; i++) {
		const char *v = gnut_head_get(h, listen_headers[i]);
		if (v != NULL)
			gnut_handshake_parse_host_port(v, &out->listen_ip, &out->listen_port);
	}
	const char *remote = gnut_head_get(h, "Remote-IP");
	if (remote != NULL)
		out->remote_ip = parse_ip_literal(remote);
	GPtrArray *tries = g_ptr_array_new();
	for (guint i = 0; i < G_N_ELEMENTS(try_headers); i++) {
		const char *v = gnut_head_get(h, try_headers[i]);
		if (v != NULL)
			read_try_list(v, tries);
	}
	g_ptr_array_add(tries, NULL);
	out->try_ultrapeers = (GStrv)g_ptr_array_free(tries, FALSE);
}

void gnut_handshake_peer_read(const gnut_head *h, gnut_handshake_peer *out)
{
	gnut_handshake_peer_clear(out);
	const char *v = gnut_head_get(h, "User-Agent");
	out->user_agent = v != NULL ? clean_agent(v) : NULL;
	bool up = false;
	v = gnut_head_get(h, "X-Ultrapeer");
	out->has_ultrapeer = v != NULL && gnut_head_parse_bool(v, &up) == GNUT_PROTO_OK;
	out->ultrapeer = out->has_ultrapeer && up;
	bool needed = false;
	v = gnut_head_get(h, "X-Ultrapeer-Needed");
	out->has_ultrapeer_needed = v != NULL && gnut_head_parse_bool(v, &needed) == GNUT_PROTO_OK;
	out->ultrapeer_needed = out->has_ultrapeer_needed && needed;
	read_addresses(h, out);
	out->max_ttl = read_number(h, "X-Max-TTL", 255);
	out->degree = read_number(h, "X-Degree", 65535);
	out->bye_packet = has_version(h, "Bye-Packet");
	out->vendor_messages = has_version(h, "Vendor-Message");
	out->ggep = has_version(h, "GGEP");
	out->pong_caching = has_version(h, "Pong-Caching");
	out->query_routing = has_version(h, "X-Query-Routing");
	out->ultrapeer_query_routing = has_version(h, "X-Ultrapeer-Query-Routing");
	out->dynamic_querying = has_version(h, "X-Dynamic-Querying");
	v = gnut_head_get(h, "Accept-Encoding");
	out->accepts_deflate = v != NULL && gnut_head_value_has_token(v, "deflate");
	v = gnut_head_get(h, "Content-Encoding");
	out->sends_deflate = v != NULL && gnut_head_value_has_token(v, "deflate");
	v = gnut_head_get(h, "Upgrade");
	out->offers_tls = v != NULL && gnut_head_value_has_token(v, "TLS/1.0");
	unsigned major = 0, minor = 0;
	v = gnut_head_get(h, "X-Features");
	out->features_tls = v != NULL && gnut_head_feature_version(v, "tls", &major, &minor);
	v = gnut_head_get(h, "GUID");
	gnut_guid guid;
	out->has_guid = v != NULL && gnut_guid_from_hex(v, strlen(v), &guid);
	if (out->has_guid) /* a GUID that does not parse leaves the field empty */
		out->guid = guid;
}

void gnut_handshake_peer_copy(const gnut_handshake_peer *src, gnut_handshake_peer *dst)
{
	*dst = *src;
	dst->user_agent = g_strdup(src->user_agent);
	dst->listen_ip = g_strdup(src->listen_ip);
	dst->remote_ip = g_strdup(src->remote_ip);
	dst->try_ultrapeers = g_strdupv(src->try_ultrapeers);
}

void gnut_handshake_peer_clear(gnut_handshake_peer *p)
{
	g_free(p->user_agent);
	g_free(p->listen_ip);
	g_free(p->remote_ip);
	g_strfreev(p->try_ultrapeers);
	memset(p, 0, sizeof *p);
}
