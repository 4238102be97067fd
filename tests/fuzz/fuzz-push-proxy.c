/* fuzz-push-proxy.c: the GGEP "PUSH" payload, LIME/21, LIME/22 and
 * push-proxy target decoders on arbitrary bytes; what decodes is encoded
 * again and must decode to the same value. */
#include "fuzz.h"
#include "gnut/proto/push-proxy.h"

#include <stdlib.h>
#include <string.h>

static void check_proxies(const uint8_t *data, size_t size)
{
	gnut_push_proxies p, again;
	if (gnut_push_proxies_decode(data, size, &p) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_push_proxies_encode(out, &p);
	if (gnut_push_proxies_decode(out->data, out->len, &again) != GNUT_PROTO_OK ||
	    again.count != p.count || memcmp(again.addr, p.addr, sizeof p.addr) != 0)
		abort();
	if (size <= sizeof p.addr / sizeof p.addr[0] * GNUT_PUSH_PROXY_ENTRY_LEN &&
	    (out->len != size || memcmp(out->data, data, size) != 0))
		abort();
	g_byte_array_unref(out);
}

static void check_ack(const uint8_t *data, size_t size)
{
	uint32_t ip = 0, ip2 = 0;
	uint16_t port = 0, port2 = 0;
	if (gnut_proxy_ack_decode(data, size, &ip, &port) != GNUT_PROTO_OK)
		return;
	GByteArray *out = g_byte_array_new();
	gnut_proxy_ack_encode(out, ip, port);
	if (gnut_proxy_ack_decode(out->data, out->len, &ip2, &port2) != GNUT_PROTO_OK ||
	    ip2 != ip || port2 != port)
		abort();
	g_byte_array_unref(out);
}

static void check_target(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	gnut_guid guid, again;
	if (gnut_push_proxy_parse_target(text, &guid) == GNUT_PROTO_OK) {
		char *formatted = gnut_push_proxy_format_target(&guid);
		if (gnut_push_proxy_parse_target(formatted, &again) != GNUT_PROTO_OK ||
		    memcmp(&again, &guid, sizeof guid) != 0)
			abort();
		g_free(formatted);
	}
	g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_proxies(data, size);
	(void)gnut_proxy_req_decode(data, size);
	check_ack(data, size);
	check_target(data, size);
	return 0;
}
