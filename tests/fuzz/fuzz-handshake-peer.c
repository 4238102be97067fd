/* fuzz-handshake-peer.c: a peer's handshake header block, as the handshake
 * reads it: gnut_head_scan measures it, gnut_head_parse parses it and
 * gnut_handshake_peer_read turns it into a gnut_handshake_peer, whose every
 * field must keep the promises of handshake.h (valid UTF-8 agent without
 * control characters, IP literals that parse, ports not 0, capped lists and
 * numbers). gnut_handshake_parse_host_port also gets the whole input and
 * every header value, and whatever it accepts must format and parse back
 * to the same address. */
#include "fuzz.h"
#include "gnut/core/links/handshake.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* An IP literal as gnut_handshake_parse_host_port returns it: one that
 * GInetAddress parses and prints back byte for byte. */
static void check_ip_literal(const char *ip)
{
	GInetAddress *addr = g_inet_address_new_from_string(ip);
	if (addr == NULL)
		abort();
	char *again = g_inet_address_to_string(addr);
	if (strcmp(again, ip) != 0)
		abort();
	g_free(again);
	g_object_unref(addr);
}

/* Parses s as "ip:port"; what it accepts must survive a format + parse. */
static void check_host_port(const char *s)
{
	char *ip = NULL;
	guint16 port = 0;
	if (!gnut_handshake_parse_host_port(s, &ip, &port)) {
		if (ip != NULL || port != 0)
			abort();
		return;
	}
	if (port == 0)
		abort();
	check_ip_literal(ip);
	char *text = strchr(ip, ':') != NULL ? g_strdup_printf("[%s]:%u", ip, port)
	                                     : g_strdup_printf("%s:%u", ip, port);
	char *ip2 = NULL;
	guint16 port2 = 0;
	if (!gnut_handshake_parse_host_port(text, &ip2, &port2) || port2 != port ||
	    strcmp(ip2, ip) != 0)
		abort();
	g_free(ip2);
	g_free(text);
	g_free(ip);
}

static void check_agent(const char *agent)
{
	if (agent == NULL)
		return;
	/* 256 bytes kept, each at worst replaced by a 3-byte U+FFFD */
	if (!g_utf8_validate(agent, -1, NULL) || strlen(agent) > 3 * GNUT_HANDSHAKE_MAX_AGENT)
		abort();
	for (const char *p = agent; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			abort();
}

/* Every field of what was read against the promises of handshake.h. */
static void check_peer(const gnut_handshake_peer *p)
{
	check_agent(p->user_agent);
	if (p->ultrapeer && !p->has_ultrapeer)
		abort();
	if (p->ultrapeer_needed && !p->has_ultrapeer_needed)
		abort();
	if ((p->listen_ip == NULL) != (p->listen_port == 0))
		abort();
	if (p->listen_ip != NULL)
		check_ip_literal(p->listen_ip);
	if (p->remote_ip != NULL)
		check_ip_literal(p->remote_ip);
	if (p->max_ttl > 255 || p->degree > 65535)
		abort();
	if (p->try_ultrapeers == NULL ||
	    g_strv_length(p->try_ultrapeers) > GNUT_HANDSHAKE_MAX_TRY_HOSTS)
		abort();
	for (guint i = 0; p->try_ultrapeers[i] != NULL; i++) {
		char *ip = NULL;
		guint16 port = 0;
		if (!gnut_handshake_parse_host_port(p->try_ultrapeers[i], &ip, &port))
			abort();
		g_free(ip);
		check_host_port(p->try_ultrapeers[i]);
	}
	/* an unparseable GUID leaves the field empty */
	if (!p->has_guid && !gnut_guid_is_zero(&p->guid))
		abort();
	/* reading the peer never negotiates anything */
	if (p->deflate_in || p->deflate_out || p->leaf_guidance)
		abort();
}

/* A copy must be deep (ASan catches a shared string freed twice) and
 * equal; reading into a filled struct must free what it held. */
static void check_copy_and_reread(const gnut_head *h, gnut_handshake_peer *p)
{
	gnut_handshake_peer copy;
	memset(&copy, 0, sizeof copy);
	gnut_handshake_peer_copy(p, &copy);
	if (g_strcmp0(copy.user_agent, p->user_agent) != 0 ||
	    g_strcmp0(copy.listen_ip, p->listen_ip) != 0 ||
	    g_strcmp0(copy.remote_ip, p->remote_ip) != 0 ||
	    !g_strv_equal((const char *const *)copy.try_ultrapeers,
	                  (const char *const *)p->try_ultrapeers))
		abort();
	gnut_handshake_peer_read(h, p);
	if (g_strcmp0(copy.user_agent, p->user_agent) != 0 || copy.degree != p->degree ||
	    copy.listen_port != p->listen_port)
		abort();
	gnut_handshake_peer_clear(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	check_host_port(text);
	g_free(text);

	size_t head_len = 0;
	if (gnut_head_scan(data, size, &head_len) != GNUT_PROTO_OK)
		return 0;
	gnut_head *h = NULL;
	if (gnut_head_parse(data, head_len, &h) != GNUT_PROTO_OK)
		return 0;
	for (size_t i = 0; i < gnut_head_count(h); i++)
		check_host_port(gnut_head_value(h, i));

	gnut_handshake_peer peer;
	memset(&peer, 0, sizeof peer);
	gnut_handshake_peer_read(h, &peer);
	check_peer(&peer);
	check_copy_and_reread(h, &peer);
	gnut_handshake_peer_clear(&peer);
	gnut_head_free(h);
	return 0;
}
