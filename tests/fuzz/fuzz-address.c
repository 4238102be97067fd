/* fuzz-address.c: every address parser over arbitrary bytes. Since each
 * accepts one spelling per value, whatever parses must format back to the
 * very input; with glibc, the literals must also be exactly what inet_pton
 * accepts, with the same value. */
#include "fuzz.h"
#include "gnut/proto/address.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void same_text(const char *want, const char *data, size_t size)
{
	if (strlen(want) != size || memcmp(want, data, size) != 0)
		abort();
}

/* The literals and the port: canonical, and as the libc reads them. */
static void check_literals(const char *data, size_t size, const char *z, bool has_nul)
{
	uint32_t ip = 0;
	bool v4 = gnut_addr_parse_ipv4(data, size, &ip) == GNUT_PROTO_OK;
	if (v4) {
		char text[GNUT_ADDR_IPV4_LEN];
		gnut_addr_format_ipv4(ip, text);
		same_text(text, data, size);
		gnut_addr_ipv4_class c = gnut_addr_ipv4_classify(ip);
		if (strcmp(gnut_addr_ipv4_class_name(c), "?") == 0 ||
		    (gnut_addr_ipv4_is_local(ip) && gnut_addr_ipv4_is_bogus(ip)))
			abort();
	}
	uint8_t v6[GNUT_ADDR_IPV6_BYTES];
	bool is_v6 = gnut_addr_parse_ipv6(data, size, v6) == GNUT_PROTO_OK;
	if (v4 && is_v6)
		abort();
#ifdef __GLIBC__
	if (!has_nul) {
		struct in_addr a;
		uint8_t b[16];
		if ((inet_pton(AF_INET, z, &a) == 1) != v4 || (v4 && ntohl(a.s_addr) != ip))
			abort();
		if ((inet_pton(AF_INET6, z, b) == 1) != is_v6 || (is_v6 && memcmp(b, v6, 16) != 0))
			abort();
	}
#endif
	uint16_t port = 0;
	if (gnut_addr_parse_port(data, size, &port) == GNUT_PROTO_OK) {
		char text[8];
		snprintf(text, sizeof text, "%u", (unsigned)port);
		same_text(text, data, size);
	}
}

/* a.b.c.d[:port]: with a required port it formats back to the input; with
 * a default, a bare address also parses. */
static void check_ipv4_port(const char *data, size_t size)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	char text[GNUT_ADDR_IPV4_PORT_LEN];
	if (gnut_addr_parse_ipv4_port(data, size, 0, &ip, &port) == GNUT_PROTO_OK) {
		gnut_addr_format_ipv4_port(ip, port, text);
		same_text(text, data, size);
	}
	if (gnut_addr_parse_ipv4_port(data, size, 6346, &ip, &port) == GNUT_PROTO_OK) {
		if (memchr(data, ':', size) != NULL)
			gnut_addr_format_ipv4_port(ip, port, text);
		else if (port == 6346)
			gnut_addr_format_ipv4(ip, text);
		else
			abort();
		same_text(text, data, size);
	}
}

/* host:port: the host lies inside the input and is of its kind, and the
 * text rebuilt from host and port is the input. */
static void check_host_port(const char *data, size_t size, uint16_t def)
{
	gnut_addr_host_port hp;
	gnut_proto_err err = gnut_addr_parse_host_port(data, size, def, &hp);
	if (err == GNUT_PROTO_ERR_TOO_LARGE && size <= GNUT_ADDR_MAX_NAME)
		abort();
	if (err != GNUT_PROTO_OK)
		return;
	if (size > GNUT_ADDR_MAX_HOST_PORT || hp.port == 0 || hp.host < data ||
	    hp.host + hp.host_len > data + size)
		abort();
	uint32_t ip;
	uint8_t v6[GNUT_ADDR_IPV6_BYTES];
	switch (hp.kind) {
	case GNUT_ADDR_HOST_IPV4:
		if (gnut_addr_parse_ipv4(hp.host, hp.host_len, &ip) != GNUT_PROTO_OK ||
		    ip != hp.ipv4)
			abort();
		break;
	case GNUT_ADDR_HOST_IPV6:
		if (gnut_addr_parse_ipv6(hp.host, hp.host_len, v6) != GNUT_PROTO_OK ||
		    memcmp(v6, hp.ipv6, sizeof v6) != 0)
			abort();
		break;
	case GNUT_ADDR_HOST_NAME:
		if (!gnut_addr_is_host_name(hp.host, hp.host_len))
			abort();
		break;
	default:
		abort();
	}
	char *host = g_strndup(hp.host, hp.host_len);
	GString *again = g_string_new(NULL);
	gnut_addr_append_host_port(again, host, hp.port);
	bool port_given = def == 0 || again->len == size;
	if (!port_given) { /* the default was taken: no ":port" in the input */
		g_string_truncate(again, again->len - strlen(strrchr(again->str, ':')));
		if (hp.port != def)
			abort();
	}
	same_text(again->str, data, size);
	g_string_free(again, TRUE);
	g_free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	char *z = g_strndup(data, size);
	bool has_nul = memchr(data, '\0', size) != NULL;
	check_literals(data, size, z, has_nul);
	check_ipv4_port(data, size);
	check_host_port(data, size, 0);
	check_host_port(data, size, 6346);
	if (gnut_addr_is_host_name(data, size) && size > GNUT_ADDR_MAX_NAME)
		abort();
	g_free(z);
	return 0;
}
