/* uhc.c: the UDP host cache codecs (see uhc.h): IPP lists, the SCP ping and
 * the pongs caches and servents send over UDP. */
#include "gnut/proto/uhc.h"

#include <string.h>

#include "gnut/proto/ggep.h"
#include "gnut/proto/ping.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/wire.h"

#define UP_VERSION 0x01 /* the ultrapeer protocol byte of GGEP UP */

gnut_proto_err gnut_ipp_decode(const uint8_t *buf, size_t len, gnut_ipv4_port *out, size_t max,
                               size_t *n)
{
	if (len % GNUT_IPP_ENTRY_LEN != 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len / GNUT_IPP_ENTRY_LEN > max)
		return GNUT_PROTO_ERR_TOO_LARGE;
	*n = len / GNUT_IPP_ENTRY_LEN;
	for (size_t i = 0; i < *n; i++) {
		const uint8_t *p = buf + i * GNUT_IPP_ENTRY_LEN;
		out[i].ip = gnut_peek_be32(p);
		out[i].port = gnut_peek_le16(p + 4);
	}
	return GNUT_PROTO_OK;
}

void gnut_ipp_encode(GByteArray *out, const gnut_ipv4_port *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t e[GNUT_IPP_ENTRY_LEN];
		gnut_poke_be32(e, hosts[i].ip);
		gnut_poke_le16(e + 4, hosts[i].port);
		g_byte_array_append(out, e, sizeof e);
	}
}

/* UDPHC: a host name, or nothing (the sender itself is the cache). */
static void take_cache_name(const gnut_ggep_ext *e, gnut_uhc_pong *out)
{
	out->is_cache = true;
	if (e->len > 0 && e->len <= GNUT_ADDR_MAX_NAME &&
	    gnut_addr_is_host_name((const char *)e->data, e->len)) {
		memcpy(out->cache_name, e->data, e->len);
		out->cache_name[e->len] = '\0';
	}
}

static gnut_proto_err read_pong_ggep(const gnut_ggep *g, gnut_uhc_pong *out)
{
	const gnut_ggep_ext *e = gnut_ggep_find(g, "UDPHC");
	if (e != NULL)
		take_cache_name(e, out);
	out->ultrapeer = gnut_ggep_find(g, "UP") != NULL;
	out->tls = gnut_ggep_find(g, "TLS") != NULL;
	e = gnut_ggep_find(g, "IPP");
	if (e == NULL)
		return GNUT_PROTO_OK;
	return gnut_ipp_decode(e->data, e->len, out->hosts, GNUT_UHC_MAX_IPP, &out->n_hosts);
}

gnut_proto_err gnut_uhc_pong_decode(const uint8_t *payload, size_t len, gnut_uhc_pong *out)
{
	gnut_pong pong;
	gnut_proto_err err = gnut_pong_decode(payload, len, &pong);
	if (err != GNUT_PROTO_OK)
		return err;
	memset(out, 0, sizeof *out);
	out->ip = pong.ipv4;
	out->port = pong.port;
	if (pong.ggep.len == 0)
		return GNUT_PROTO_OK;
	gnut_ggep g;
	size_t used;
	err = gnut_ggep_decode(pong.ggep.data, pong.ggep.len, &g, &used);
	if (err != GNUT_PROTO_OK)
		return err;
	err = read_pong_ggep(&g, out);
	gnut_ggep_clear(&g);
	if (err != GNUT_PROTO_OK)
		out->n_hosts = 0;
	return err;
}

gnut_proto_err gnut_uhc_ping_decode(const uint8_t *payload, size_t len, bool *scp)
{
	gnut_ping ping;
	gnut_proto_err err = gnut_ping_decode(payload, len, &ping);
	if (err != GNUT_PROTO_OK)
		return err;
	*scp = false;
	if (ping.ggep.len == 0)
		return GNUT_PROTO_OK;
	gnut_ggep g;
	size_t used;
	err = gnut_ggep_decode(ping.ggep.data, ping.ggep.len, &g, &used);
	if (err != GNUT_PROTO_OK)
		return err;
	*scp = gnut_ggep_find(&g, "SCP") != NULL;
	gnut_ggep_clear(&g);
	return GNUT_PROTO_OK;
}

void gnut_uhc_ping_encode(GByteArray *out)
{
	static const uint8_t scp = GNUT_UHC_SCP_ULTRAPEERS;
	gnut_ggep_item item = {.id = "SCP", .data = &scp, .len = 1};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_ggep_encode(&item, 1, ggep);
	gnut_ping_encode(out, ggep->data, ggep->len);
}

/* DU: the uptime in as few little-endian bytes as it needs (1..4). */
static size_t encode_uptime(uint32_t s, uint8_t out[4])
{
	size_t n = 0;
	do {
		out[n++] = (uint8_t)(s & 0xff);
		s >>= 8;
	} while (s != 0);
	return n;
}

void gnut_uhc_pong_encode(GByteArray *out, const gnut_uhc_pong_fields *f)
{
	g_return_if_fail(f->n_hosts <= GNUT_UHC_MAX_IPP);
	uint8_t vc[5], up[3] = {UP_VERSION, f->leaf_slots, f->ultra_slots}, du[4];
	memcpy(vc, f->vendor, 4);
	vc[4] = f->version;
	g_autoptr(GByteArray) ipp = g_byte_array_new();
	gnut_ipp_encode(ipp, f->hosts, f->n_hosts);
	gnut_ggep_item items[5];
	size_t n = 0;
	items[n++] = (gnut_ggep_item){.id = "VC", .data = vc, .len = sizeof vc};
	if (f->ultrapeer)
		items[n++] = (gnut_ggep_item){.id = "UP", .data = up, .len = sizeof up};
	if (f->tls)
		items[n++] = (gnut_ggep_item){.id = "TLS"};
	if (f->uptime_s > 0)
		items[n++] =
		    (gnut_ggep_item){.id = "DU", .data = du, .len = encode_uptime(f->uptime_s, du)};
	if (ipp->len > 0)
		items[n++] = (gnut_ggep_item){.id = "IPP", .data = ipp->data, .len = ipp->len};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_ggep_encode(items, n, ggep);
	gnut_pong pong = {
	    .port = f->port,
	    .ipv4 = f->ip,
	    .files = f->files,
	    .kib = f->kib,
	    .ggep = {.data = ggep->data, .len = ggep->len},
	};
	gnut_pong_encode(out, &pong);
}
