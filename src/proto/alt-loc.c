/* alt-loc.c: the compact (X-Alt, X-Nalt) and legacy (URL) forms of the
 * download mesh headers (alt-loc.h). Items are split on commas and trimmed;
 * each is read exactly, with the address checks of address.h. */
#include "gnut/proto/alt-loc.h"

#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/urn.h"

#define TLS_PREFIX "tls="
#define URL_PREFIX "http://"
#define URI_RES    "/uri-res/N2R?"
#define HTTP_PORT  80

typedef struct {
	const char *p;
	size_t n;
} item;

/* The next comma-separated item of *rest, blanks trimmed; FALSE at the end. */
static bool next_item(const char **rest, item *it)
{
	const char *s = *rest;
	if (s == NULL || *s == '\0')
		return false;
	const char *comma = strchr(s, ',');
	const char *end = comma != NULL ? comma : s + strlen(s);
	*rest = comma != NULL ? comma + 1 : end;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	it->p = s;
	it->n = (size_t)(end - s);
	return true;
}

bool gnut_alt_address_ok(uint32_t ip, uint16_t port, bool allow_local)
{
	if (port == 0 || gnut_addr_ipv4_is_bogus(ip))
		return false;
	return allow_local || !gnut_addr_ipv4_is_local(ip);
}

/* Adds a to out unless it is already there; FALSE when out is full. */
static bool add_unique(gnut_alt *out, size_t *n, const gnut_alt *a)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i].ip == a->ip && out[i].port == a->port) {
			out[i].tls = out[i].tls || a->tls;
			return true;
		}
	if (*n == GNUT_ALT_MAX)
		return false;
	out[(*n)++] = *a;
	return true;
}

/* Bit index of the "tls=" hex string; a bad digit reads as 0. */
static bool tls_bit(const item *hex, size_t index)
{
	if (index / 4 >= hex->n)
		return false;
	int v = g_ascii_xdigit_value(hex->p[index / 4]);
	return v >= 0 && (v >> (3 - index % 4) & 1) != 0;
}

/* Takes one address into out, counting what is dropped. */
static gnut_proto_err take_address(uint32_t ip, uint16_t port, bool tls, bool allow_local,
                                   gnut_alt *out, size_t *n, gnut_alt_counts *c)
{
	if (!gnut_alt_address_ok(ip, port, allow_local)) {
		c->refused++;
		return GNUT_PROTO_OK;
	}
	gnut_alt a = {ip, port, tls};
	return add_unique(out, n, &a) ? GNUT_PROTO_OK : GNUT_PROTO_ERR_TOO_LARGE;
}

gnut_proto_err gnut_alt_parse_compact(const char *value, bool allow_local,
                                      gnut_alt out[GNUT_ALT_MAX], size_t *n,
                                      gnut_alt_counts *counts)
{
	gnut_alt_counts local = {0};
	gnut_alt_counts *c = counts != NULL ? counts : &local;
	*c = (gnut_alt_counts){0};
	*n = 0;
	item it, tls = {"", 0};
	size_t index = 0;
	bool first = true;
	for (const char *rest = value; next_item(&rest, &it); first = false) {
		if (it.n == 0)
			continue;
		if (first && it.n >= strlen(TLS_PREFIX) &&
		    g_ascii_strncasecmp(it.p, TLS_PREFIX, strlen(TLS_PREFIX)) == 0) {
			tls = (item){it.p + strlen(TLS_PREFIX), it.n - strlen(TLS_PREFIX)};
			continue;
		}
		uint32_t ip;
		uint16_t port;
		bool is_tls = tls_bit(&tls, index++);
		if (gnut_addr_parse_ipv4_port(it.p, it.n, GNUT_ALT_DEFAULT_PORT, &ip, &port) !=
		    GNUT_PROTO_OK) {
			c->skipped++;
			continue;
		}
		if (take_address(ip, port, is_tls, allow_local, out, n, c) != GNUT_PROTO_OK)
			return GNUT_PROTO_ERR_TOO_LARGE;
	}
	return GNUT_PROTO_OK;
}

void gnut_alt_format_compact(GString *out, const gnut_alt *alts, size_t n)
{
	size_t last_tls = 0;
	for (size_t i = 0; i < n; i++)
		if (alts[i].tls)
			last_tls = i + 1;
	const char *sep = "";
	if (last_tls > 0) {
		g_string_append(out, TLS_PREFIX);
		for (size_t nib = 0; nib * 4 < last_tls; nib++) {
			unsigned v = 0;
			for (size_t b = 0; b < 4; b++)
				if (nib * 4 + b < n && alts[nib * 4 + b].tls)
					v |= 8u >> b;
			g_string_append_c(out, "0123456789abcdef"[v]);
		}
		sep = ", ";
	}
	for (size_t i = 0; i < n; i++) {
		char text[GNUT_ADDR_IPV4_PORT_LEN];
		g_string_append(out, sep);
		g_string_append_len(
		    out, text, (gssize)gnut_addr_format_ipv4_port(alts[i].ip, alts[i].port, text));
		sep = ", ";
	}
}

/* "http://a.b.c.d[:port]/uri-res/N2R?urn:sha1:<32>" spanning the first
 * word of it: OK and the address, UNSUPPORTED for another kind of URL or
 * another file, MALFORMED for a bad one. */
static gnut_proto_err parse_url(const item *it, const uint8_t sha1[GNUT_SHA1_LEN], uint32_t *ip,
                                uint16_t *port)
{
	const char *end = memchr(it->p, ' ', it->n);
	size_t len = end != NULL ? (size_t)(end - it->p) : it->n;
	size_t plen = strlen(URL_PREFIX);
	if (len < plen || g_ascii_strncasecmp(it->p, URL_PREFIX, plen) != 0)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	const char *host = it->p + plen, *stop = it->p + len;
	const char *slash = memchr(host, '/', (size_t)(stop - host));
	if (slash == NULL)
		return GNUT_PROTO_ERR_MALFORMED;
	if (gnut_addr_parse_ipv4_port(host, (size_t)(slash - host), HTTP_PORT, ip, port) !=
	    GNUT_PROTO_OK)
		return GNUT_PROTO_ERR_UNSUPPORTED; /* a host name, IPv6 or junk */
	size_t rlen = strlen(URI_RES), rest = (size_t)(stop - slash);
	if (rest < rlen || memcmp(slash, URI_RES, rlen) != 0)
		return GNUT_PROTO_ERR_UNSUPPORTED; /* /get/<index>/<name> */
	gnut_urn urn;
	if (gnut_urn_parse(slash + rlen, rest - rlen, &urn) != GNUT_PROTO_OK || !urn.has_sha1)
		return GNUT_PROTO_ERR_MALFORMED;
	return memcmp(urn.sha1, sha1, GNUT_SHA1_LEN) == 0 ? GNUT_PROTO_OK
	                                                  : GNUT_PROTO_ERR_UNSUPPORTED;
}

gnut_proto_err gnut_alt_parse_legacy(const char *value, const uint8_t sha1[GNUT_SHA1_LEN],
                                     bool allow_local, gnut_alt out[GNUT_ALT_MAX], size_t *n,
                                     gnut_alt_counts *counts)
{
	gnut_alt_counts local = {0};
	gnut_alt_counts *c = counts != NULL ? counts : &local;
	*c = (gnut_alt_counts){0};
	*n = 0;
	item it;
	for (const char *rest = value; next_item(&rest, &it);) {
		uint32_t ip;
		uint16_t port;
		if (it.n == 0)
			continue;
		if (parse_url(&it, sha1, &ip, &port) != GNUT_PROTO_OK) {
			c->skipped++; /* also the pieces of a date with a comma */
			continue;
		}
		if (take_address(ip, port, false, allow_local, out, n, c) != GNUT_PROTO_OK)
			return GNUT_PROTO_ERR_TOO_LARGE;
	}
	return GNUT_PROTO_OK;
}

void gnut_alt_format_legacy(GString *out, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *alts,
                            size_t n)
{
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	for (size_t i = 0; i < n; i++) {
		char text[GNUT_ADDR_IPV4_PORT_LEN];
		gnut_addr_format_ipv4_port(alts[i].ip, alts[i].port, text);
		g_string_append_printf(out, "%s" URL_PREFIX "%s" URI_RES "%s", i > 0 ? ", " : "",
		                       text, urn);
	}
}
