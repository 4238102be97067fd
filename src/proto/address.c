/* address.c: IPv4/IPv6 literals, ports, host names and "host:port" text,
 * parsed strictly from (buffer, length) and formatted into fixed buffers,
 * and the special-purpose classes of IPv4 addresses. The grammar and why it
 * is this strict are in address.h. */
#include "gnut/proto/address.h"

#include <stdio.h>
#include <string.h>

#include "gnut/proto/wire.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The index of the first c in buf[0..len), or len. (memchr would want a
 * non-NULL buf even for len 0.) */
static size_t index_of(const char *buf, size_t len, char c)
{
	size_t i = 0;
	while (i < len && buf[i] != c)
		i++;
	return i;
}

/* Reads one decimal of 1 to max_digits digits from buf[*i..len), without a
 * leading zero unless it is "0" itself, into *out; *i moves past it. The
 * digit count bounds the value, so nothing can overflow. */
static bool take_decimal(const char *buf, size_t len, size_t *i, size_t max_digits, uint32_t *out)
{
	size_t start = *i;
	uint32_t v = 0;
	size_t j = start;
	for (; j < len && j - start < max_digits && is_digit(buf[j]); j++)
		v = v * 10 + (uint32_t)(buf[j] - '0');
	if (j == start || (buf[start] == '0' && j - start > 1))
		return false;
	*i = j;
	*out = v;
	return true;
}

gnut_proto_err gnut_addr_parse_ipv4(const char *buf, size_t len, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		uint32_t octet;
		if (part > 0 && (i >= len || buf[i++] != '.'))
			return GNUT_PROTO_ERR_MALFORMED;
		if (!take_decimal(buf, len, &i, 3, &octet) || octet > 255)
			return GNUT_PROTO_ERR_MALFORMED;
		v = v << 8 | octet;
	}
	if (i != len)
		return GNUT_PROTO_ERR_MALFORMED;
	*ip = v;
	return GNUT_PROTO_OK;
}

/* Reads 1 to 4 hex digits from buf[*i..len) into *out; *i moves past them. */
static bool take_hex_group(const char *buf, size_t len, size_t *i, uint32_t *out)
{
	size_t start = *i;
	uint32_t v = 0;
	size_t j = start;
	for (; j < len && j - start < 4 && g_ascii_isxdigit(buf[j]); j++)
		v = v << 4 | (uint32_t)g_ascii_xdigit_value(buf[j]);
	if (j == start)
		return false;
	*i = j;
	*out = v;
	return true;
}

/* Why by hand: inet_pton wants a NUL-terminated string, and GInetAddress is
 * an object; this reads a span of a header value. Groups fill a[] from the
 * front; at the end the groups after "::" move to the back and the gap in
 * between becomes zeros. */
gnut_proto_err gnut_addr_parse_ipv6(const char *buf, size_t len, uint8_t out[GNUT_ADDR_IPV6_BYTES])
{
	uint8_t a[GNUT_ADDR_IPV6_BYTES] = {0};
	size_t n = 0;  /* bytes of a[] filled */
	long gap = -1; /* where "::" stands in a[], if it does */
	size_t i = 0;
	if (len >= 2 && buf[0] == ':' && buf[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t start = i;
		uint32_t group;
		if (n == GNUT_ADDR_IPV6_BYTES || !take_hex_group(buf, len, &i, &group))
			return GNUT_PROTO_ERR_MALFORMED;
		if (i < len && buf[i] == '.') { /* an IPv4 literal ends the text */
			uint32_t v4;
			if (n > GNUT_ADDR_IPV6_BYTES - 4 ||
			    gnut_addr_parse_ipv4(buf + start, len - start, &v4) != GNUT_PROTO_OK)
				return GNUT_PROTO_ERR_MALFORMED;
			gnut_poke_be32(a + n, v4);
			n += 4;
			break;
		}
		a[n++] = (uint8_t)(group >> 8);
		a[n++] = (uint8_t)group;
		if (i == len)
			break;
		if (buf[i++] != ':' || i == len) /* a fifth digit, or a trailing ':' */
			return GNUT_PROTO_ERR_MALFORMED;
		if (buf[i] == ':') {
			if (gap >= 0)
				return GNUT_PROTO_ERR_MALFORMED;
			gap = (long)n;
			i++;
		}
	}
	if (gap < 0 ? n != GNUT_ADDR_IPV6_BYTES : n == GNUT_ADDR_IPV6_BYTES)
		return GNUT_PROTO_ERR_MALFORMED; /* "::" must stand for one group at least */
	if (gap >= 0) {
		size_t tail = n - (size_t)gap;
		memmove(a + GNUT_ADDR_IPV6_BYTES - tail, a + gap, tail);
		memset(a + gap, 0, GNUT_ADDR_IPV6_BYTES - n);
	}
	memcpy(out, a, GNUT_ADDR_IPV6_BYTES);
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_addr_parse_port(const char *buf, size_t len, uint16_t *port)
{
	size_t i = 0;
	uint32_t v;
	if (!take_decimal(buf, len, &i, 5, &v) || i != len || v == 0 || v > 65535)
		return GNUT_PROTO_ERR_MALFORMED;
	*port = (uint16_t)v;
	return GNUT_PROTO_OK;
}

bool gnut_addr_is_host_name(const char *buf, size_t len)
{
	if (len == 0 || len > GNUT_ADDR_MAX_NAME)
		return false;
	bool last_all_digits = true;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || buf[i] == '.') {
			if (i == label || i - label > 63 || buf[label] == '-' || buf[i - 1] == '-')
				return false;
			label = i + 1;
			if (i < len)
				last_all_digits = true;
		} else if (g_ascii_isalnum(buf[i]) || buf[i] == '-') {
			last_all_digits = last_all_digits && is_digit(buf[i]);
		} else {
			return false;
		}
	}
	return !last_all_digits;
}

/* The port after a host that ends at buf[host_end]: nothing (the default,
 * if there is one) or ':' and a port. */
static gnut_proto_err parse_port_after(const char *buf, size_t len, size_t host_end,
                                       uint16_t default_port, uint16_t *port)
{
	if (host_end == len) {
		if (default_port == 0)
			return GNUT_PROTO_ERR_MALFORMED;
		*port = default_port;
		return GNUT_PROTO_OK;
	}
	if (buf[host_end] != ':')
		return GNUT_PROTO_ERR_MALFORMED;
	return gnut_addr_parse_port(buf + host_end + 1, len - host_end - 1, port);
}

gnut_proto_err gnut_addr_parse_ipv4_port(const char *buf, size_t len, uint16_t default_port,
                                         uint32_t *ip, uint16_t *port)
{
	size_t host_len = index_of(buf, len, ':');
	uint32_t v;
	uint16_t p;
	if (gnut_addr_parse_ipv4(buf, host_len, &v) != GNUT_PROTO_OK ||
	    parse_port_after(buf, len, host_len, default_port, &p) != GNUT_PROTO_OK)
		return GNUT_PROTO_ERR_MALFORMED;
	*ip = v;
	*port = p;
	return GNUT_PROTO_OK;
}

/* The host part of "host:port" that does not start with '[': up to the
 * first ':', an IPv4 literal or else a host name. */
static gnut_proto_err parse_plain_host(const char *buf, size_t len, gnut_addr_host_port *hp)
{
	hp->host = buf;
	hp->host_len = index_of(buf, len, ':');
	if (gnut_addr_parse_ipv4(buf, hp->host_len, &hp->ipv4) == GNUT_PROTO_OK) {
		hp->kind = GNUT_ADDR_HOST_IPV4;
		return GNUT_PROTO_OK;
	}
	if (hp->host_len > GNUT_ADDR_MAX_NAME)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (!gnut_addr_is_host_name(buf, hp->host_len))
		return GNUT_PROTO_ERR_MALFORMED;
	hp->kind = GNUT_ADDR_HOST_NAME;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_addr_parse_host_port(const char *buf, size_t len, uint16_t default_port,
                                         gnut_addr_host_port *out)
{
	if (len > GNUT_ADDR_MAX_HOST_PORT)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_addr_host_port hp = {0};
	size_t host_end;
	if (len > 0 && buf[0] == '[') {
		size_t close = index_of(buf, len, ']');
		if (close == len)
			return GNUT_PROTO_ERR_MALFORMED;
		hp.kind = GNUT_ADDR_HOST_IPV6;
		hp.host = buf + 1;
		hp.host_len = close - 1;
		if (gnut_addr_parse_ipv6(hp.host, hp.host_len, hp.ipv6) != GNUT_PROTO_OK)
			return GNUT_PROTO_ERR_MALFORMED;
		host_end = hp.host_len + 2;
	} else {
		gnut_proto_err err = parse_plain_host(buf, len, &hp);
		if (err != GNUT_PROTO_OK)
			return err;
		host_end = hp.host_len;
	}
	if (parse_port_after(buf, len, host_end, default_port, &hp.port) != GNUT_PROTO_OK)
		return GNUT_PROTO_ERR_MALFORMED;
	*out = hp;
	return GNUT_PROTO_OK;
}

size_t gnut_addr_format_ipv4(uint32_t ip, char out[GNUT_ADDR_IPV4_LEN])
{
	int n = snprintf(out, GNUT_ADDR_IPV4_LEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
	                 (ip >> 8) & 0xff, ip & 0xff);
	return (size_t)n;
}

size_t gnut_addr_format_ipv4_port(uint32_t ip, uint16_t port, char out[GNUT_ADDR_IPV4_PORT_LEN])
{
	size_t n = gnut_addr_format_ipv4(ip, out);
	return n + (size_t)snprintf(out + n, GNUT_ADDR_IPV4_PORT_LEN - n, ":%u", (unsigned)port);
}

void gnut_addr_append_host_port(GString *out, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL)
		g_string_append_printf(out, "[%s]:%u", host, (unsigned)port);
	else
		g_string_append_printf(out, "%s:%u", host, (unsigned)port);
}

static bool in_net(uint32_t ip, uint32_t net, unsigned bits)
{
	return ip >> (32 - bits) == net >> (32 - bits);
}

/* The special-purpose blocks, most specific first where they nest
 * (the broadcast address lies inside 240/4). */
static const struct {
	uint32_t net;
	unsigned bits;
	gnut_addr_ipv4_class cls;
} special_blocks[] = {
    {0xffffffff, 32, GNUT_ADDR_IPV4_BROADCAST},     {0x00000000, 8, GNUT_ADDR_IPV4_UNSPECIFIED},
    {0x7f000000, 8, GNUT_ADDR_IPV4_LOOPBACK},       {0x0a000000, 8, GNUT_ADDR_IPV4_PRIVATE},
    {0xac100000, 12, GNUT_ADDR_IPV4_PRIVATE},       {0xc0a80000, 16, GNUT_ADDR_IPV4_PRIVATE},
    {0x64400000, 10, GNUT_ADDR_IPV4_SHARED},        {0xa9fe0000, 16, GNUT_ADDR_IPV4_LINK_LOCAL},
    {0xc0000000, 24, GNUT_ADDR_IPV4_PROTOCOL},      {0xc0000200, 24, GNUT_ADDR_IPV4_DOCUMENTATION},
    {0xc6336400, 24, GNUT_ADDR_IPV4_DOCUMENTATION}, {0xcb007100, 24, GNUT_ADDR_IPV4_DOCUMENTATION},
    {0xc6120000, 15, GNUT_ADDR_IPV4_BENCHMARK},     {0xe0000000, 4, GNUT_ADDR_IPV4_MULTICAST},
    {0xf0000000, 4, GNUT_ADDR_IPV4_RESERVED},
};

gnut_addr_ipv4_class gnut_addr_ipv4_classify(uint32_t ip)
{
	for (size_t i = 0; i < G_N_ELEMENTS(special_blocks); i++)
		if (in_net(ip, special_blocks[i].net, special_blocks[i].bits))
			return special_blocks[i].cls;
	return GNUT_ADDR_IPV4_PUBLIC;
}

const char *gnut_addr_ipv4_class_name(gnut_addr_ipv4_class c)
{
	static const char *const names[] = {
	    [GNUT_ADDR_IPV4_PUBLIC] = "public",
	    [GNUT_ADDR_IPV4_UNSPECIFIED] = "unspecified",
	    [GNUT_ADDR_IPV4_LOOPBACK] = "loopback",
	    [GNUT_ADDR_IPV4_PRIVATE] = "private",
	    [GNUT_ADDR_IPV4_SHARED] = "shared",
	    [GNUT_ADDR_IPV4_LINK_LOCAL] = "link-local",
	    [GNUT_ADDR_IPV4_PROTOCOL] = "protocol",
	    [GNUT_ADDR_IPV4_DOCUMENTATION] = "documentation",
	    [GNUT_ADDR_IPV4_BENCHMARK] = "benchmark",
	    [GNUT_ADDR_IPV4_MULTICAST] = "multicast",
	    [GNUT_ADDR_IPV4_RESERVED] = "reserved",
	    [GNUT_ADDR_IPV4_BROADCAST] = "broadcast",
	};
	return (size_t)c < G_N_ELEMENTS(names) ? names[c] : "?";
}

bool gnut_addr_ipv4_is_local(uint32_t ip)
{
	switch (gnut_addr_ipv4_classify(ip)) {
	case GNUT_ADDR_IPV4_LOOPBACK:
	case GNUT_ADDR_IPV4_PRIVATE:
	case GNUT_ADDR_IPV4_SHARED:
	case GNUT_ADDR_IPV4_LINK_LOCAL:
		return true;
	default:
		return false;
	}
}

bool gnut_addr_ipv4_is_bogus(uint32_t ip)
{
	gnut_addr_ipv4_class c = gnut_addr_ipv4_classify(ip);
	return c != GNUT_ADDR_IPV4_PUBLIC && !gnut_addr_ipv4_is_local(ip);
}
