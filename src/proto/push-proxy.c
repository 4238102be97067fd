/* push-proxy.c: the GGEP "PUSH" payload, the LIME/21 and LIME/22 vendor
 * payloads and the push-proxy request target of push-proxy.h. */
#include "gnut/proto/push-proxy.h"

#include <string.h>

#include "gnut/proto/base32.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/vendor-msg.h"
#include "gnut/proto/wire.h"

gnut_proto_err gnut_push_proxies_decode(const uint8_t *buf, size_t len, gnut_push_proxies *out)
{
	if (len == 0 || len % GNUT_PUSH_PROXY_ENTRY_LEN != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_push_proxies p = {0};
	for (size_t off = 0; off < len && p.count < GNUT_PUSH_PROXY_MAX;
	     off += GNUT_PUSH_PROXY_ENTRY_LEN) {
		p.addr[p.count].ipv4 = gnut_peek_be32(buf + off);
		p.addr[p.count].port = gnut_peek_le16(buf + off + 4);
		p.count++;
	}
	*out = p;
	return GNUT_PROTO_OK;
}

void gnut_push_proxies_encode(GByteArray *out, const gnut_push_proxies *p)
{
	for (unsigned i = 0; i < MIN(p->count, GNUT_PUSH_PROXY_MAX); i++) {
		uint8_t entry[GNUT_PUSH_PROXY_ENTRY_LEN];
		gnut_poke_be32(entry, p->addr[i].ipv4);
		gnut_poke_le16(entry + 4, p->addr[i].port);
		g_byte_array_append(out, entry, sizeof entry);
	}
}

void gnut_proxy_req_encode(GByteArray *out)
{
	gnut_vendor_msg_encode_as(out, GNUT_LIME_VENDOR, GNUT_LIME_SEL_PROXY_REQ,
	                          GNUT_PROXY_REQ_VERSION, NULL, 0);
}

gnut_proto_err gnut_proxy_req_decode(const uint8_t *buf, size_t len)
{
	gnut_vendor_msg m;
	return gnut_vendor_msg_decode_as(buf, len, GNUT_LIME_VENDOR, GNUT_LIME_SEL_PROXY_REQ, 0,
	                                 &m);
}

void gnut_proxy_ack_encode(GByteArray *out, uint32_t ipv4, uint16_t port)
{
	uint8_t data[GNUT_PUSH_PROXY_ENTRY_LEN];
	gnut_poke_be32(data, ipv4);
	gnut_poke_le16(data + 4, port);
	gnut_vendor_msg_encode_as(out, GNUT_LIME_VENDOR, GNUT_LIME_SEL_PROXY_ACK,
	                          GNUT_PROXY_ACK_VERSION, data, sizeof data);
}

gnut_proto_err gnut_proxy_ack_decode(const uint8_t *buf, size_t len, uint32_t *ipv4, uint16_t *port)
{
	gnut_vendor_msg m;
	gnut_proto_err err =
	    gnut_vendor_msg_decode_as(buf, len, GNUT_LIME_VENDOR, GNUT_LIME_SEL_PROXY_ACK, 1, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	if (m.version == 1) {
		if (m.data.len < 2)
			return GNUT_PROTO_ERR_TRUNCATED;
		*ipv4 = 0;
		*port = gnut_peek_le16(m.data.data);
		return GNUT_PROTO_OK;
	}
	if (m.data.len < GNUT_PUSH_PROXY_ENTRY_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	*ipv4 = gnut_peek_be32(m.data.data);
	*port = gnut_peek_le16(m.data.data + 4);
	return GNUT_PROTO_OK;
}

/* The value of parameter name (case-insensitive) in the query string q,
 * URL-decoded (g_free it), or NULL. */
static char *query_param(const char *q, const char *name)
{
	size_t name_len = strlen(name);
	while (*q != '\0') {
		const char *end = strchr(q, '&');
		size_t len = end != NULL ? (size_t)(end - q) : strlen(q);
		if (len > name_len && q[name_len] == '=' &&
		    g_ascii_strncasecmp(q, name, name_len) == 0) {
			char *value = NULL;
			if (gnut_http_url_decode(q + name_len + 1, len - name_len - 1, &value) !=
			    GNUT_PROTO_OK)
				return NULL;
			return value;
		}
		q += len + (end != NULL ? 1 : 0);
	}
	return NULL;
}

static gnut_proto_err guid_from_base32(const char *text, gnut_guid *out)
{
	uint8_t bytes[GNUT_GUID_LEN + 1];
	size_t n = 0;
	if (gnut_base32_decode(text, strlen(text), bytes, sizeof bytes, &n) != GNUT_PROTO_OK ||
	    n != GNUT_GUID_LEN)
		return GNUT_PROTO_ERR_MALFORMED;
	memcpy(out->bytes, bytes, GNUT_GUID_LEN);
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_push_proxy_parse_target(const char *target, gnut_guid *out)
{
	const char *q = strchr(target, '?');
	size_t path_len = q != NULL ? (size_t)(q - target) : strlen(target);
	gboolean spec = path_len == strlen(GNUT_PUSH_PROXY_PATH) &&
	                memcmp(target, GNUT_PUSH_PROXY_PATH, path_len) == 0;
	gboolean gtkg = path_len == strlen(GNUT_PUSH_PROXY_GTKG_PATH) &&
	                memcmp(target, GNUT_PUSH_PROXY_GTKG_PATH, path_len) == 0;
	if (!spec && !gtkg)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	if (q == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	g_autofree char *value = query_param(q + 1, spec ? "ServerId" : "guid");
	if (value == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	if (spec)
		return guid_from_base32(value, out);
	return gnut_guid_from_hex(value, strlen(value), out) ? GNUT_PROTO_OK
	                                                     : GNUT_PROTO_ERR_MALFORMED;
}

char *gnut_push_proxy_format_target(const gnut_guid *servent)
{
	char b32[GNUT_GUID_LEN * 2];
	gnut_base32_encode(servent->bytes, GNUT_GUID_LEN, false, b32);
	return g_strdup_printf("%s?ServerId=%s", GNUT_PUSH_PROXY_PATH, b32);
}
