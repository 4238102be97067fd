/* magnet.c: parser and formatter of magnet URIs. The parser is strict about
 * what it understands (URNs, lengths, escapes, UTF-8) and skips what it does
 * not (other keys, other hash schemes), so one foreign parameter does not
 * make a whole link unusable. */
#include "gnut/proto/magnet.h"

#include "gnut/proto/address.h"

#include <string.h>

#define MAGNET_PREFIX "magnet:?"

/* Value of a hex digit, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes v[0..n) into a new NUL-terminated string ('+' becomes a
 * space when plus_is_space). Bad escapes, control characters (NUL
 * included) and invalid UTF-8 are MALFORMED. */
static gnut_proto_err percent_decode(const char *v, size_t n, bool plus_is_space, char **out)
{
	char *s = g_malloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)v[i];
		if (c == '%') {
			int hi = n - i > 2 ? hex_value(v[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(v[i + 2]) : -1;
			if (lo < 0) {
				g_free(s);
				return GNUT_PROTO_ERR_MALFORMED;
			}
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f) {
			g_free(s);
			return GNUT_PROTO_ERR_MALFORMED;
		}
		s[o++] = (char)c;
	}
	s[o] = '\0';
	if (!g_utf8_validate(s, (gssize)o, NULL)) {
		g_free(s);
		return GNUT_PROTO_ERR_MALFORMED;
	}
	*out = s;
	return GNUT_PROTO_OK;
}

/* True for the URN schemes gnut_urn_parse reads; other xt values are
 * skipped rather than refused. */
static bool is_known_urn(const char *s)
{
	return g_ascii_strncasecmp(s, "urn:sha1:", 9) == 0 ||
	       g_ascii_strncasecmp(s, "urn:bitprint:", 13) == 0 ||
	       g_ascii_strncasecmp(s, "urn:tree:tiger", 14) == 0;
}

static gnut_proto_err add_xt_value(gnut_magnet *m, const char *v, size_t n)
{
	char *s = NULL;
	gnut_proto_err err = percent_decode(v, n, false, &s);
	if (err != GNUT_PROTO_OK)
		return err;
	if (is_known_urn(s)) {
		gnut_urn urn;
		if (gnut_urn_parse(s, strlen(s), &urn) != GNUT_PROTO_OK)
			err = GNUT_PROTO_ERR_MALFORMED;
		else if (!gnut_magnet_add_xt(m, &urn))
			err = GNUT_PROTO_ERR_TOO_LARGE;
	}
	g_free(s);
	return err;
}

/* xl: 1 to 20 decimal digits that fit in 64 bits. */
static gnut_proto_err set_xl(gnut_magnet *m, const char *v, size_t n)
{
	uint64_t x = 0;
	if (m->has_xl || n == 0 || n > 20)
		return GNUT_PROTO_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isdigit(v[i]))
			return GNUT_PROTO_ERR_MALFORMED;
		unsigned d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return GNUT_PROTO_ERR_MALFORMED;
		x = x * 10 + d;
	}
	m->xl = x;
	m->has_xl = true;
	return GNUT_PROTO_OK;
}

/* Appends a decoded source URL to list (xs or as), which holds *count. */
static gnut_proto_err add_source(char **list, unsigned *count, const char *v, size_t n)
{
	if (n == 0)
		return GNUT_PROTO_ERR_MALFORMED;
	if (*count == GNUT_MAGNET_MAX_XS)
		return GNUT_PROTO_ERR_TOO_LARGE;
	gnut_proto_err err = percent_decode(v, n, false, &list[*count]);
	if (err == GNUT_PROTO_OK)
		(*count)++;
	return err;
}

/* Applies one key=value pair to m. */
static gnut_proto_err apply_pair(gnut_magnet *m, const char *k, size_t kn, const char *v, size_t vn)
{
	if (kn == 2 && g_ascii_strncasecmp(k, "xt", 2) == 0)
		return add_xt_value(m, v, vn);
	if (kn == 2 && g_ascii_strncasecmp(k, "dn", 2) == 0) {
		if (m->dn != NULL)
			return GNUT_PROTO_ERR_MALFORMED;
		return percent_decode(v, vn, true, &m->dn);
	}
	if (kn == 2 && g_ascii_strncasecmp(k, "xl", 2) == 0)
		return set_xl(m, v, vn);
	if (kn == 2 && g_ascii_strncasecmp(k, "xs", 2) == 0)
		return add_source(m->xs, &m->xs_count, v, vn);
	if (kn == 2 && g_ascii_strncasecmp(k, "as", 2) == 0)
		return add_source(m->as, &m->as_count, v, vn);
	return GNUT_PROTO_OK; /* kt, tr, xt.1, ...: not ours */
}

gnut_proto_err gnut_magnet_parse(const char *uri, size_t len, gnut_magnet *out)
{
	const size_t plen = strlen(MAGNET_PREFIX);
	memset(out, 0, sizeof *out);
	if (len > GNUT_MAGNET_MAX_URI)
		return GNUT_PROTO_ERR_TOO_LARGE;
	if (len < plen)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (g_ascii_strncasecmp(uri, MAGNET_PREFIX, plen) != 0)
		return GNUT_PROTO_ERR_MALFORMED;

	gnut_proto_err err = GNUT_PROTO_OK;
	size_t i = plen;
	while (i < len && err == GNUT_PROTO_OK) {
		const char *pair = uri + i;
		const char *amp = memchr(pair, '&', len - i);
		size_t n = amp ? (size_t)(amp - pair) : len - i;
		i += n + 1;
		if (n == 0)
			continue; /* "&&" or a trailing '&' */
		const char *eq = memchr(pair, '=', n);
		if (eq == NULL || eq == pair)
			err = GNUT_PROTO_ERR_MALFORMED;
		else
			err = apply_pair(out, pair, (size_t)(eq - pair), eq + 1,
			                 n - (size_t)(eq - pair) - 1);
	}
	if (err != GNUT_PROTO_OK)
		gnut_magnet_clear(out);
	return err;
}

void gnut_magnet_clear(gnut_magnet *m)
{
	g_free(m->dn);
	for (unsigned i = 0; i < m->xs_count; i++)
		g_free(m->xs[i]);
	for (unsigned i = 0; i < m->as_count; i++)
		g_free(m->as[i]);
	memset(m, 0, sizeof *m);
}

bool gnut_magnet_add_xt(gnut_magnet *m, const gnut_urn *urn)
{
	if (m->xt_count == GNUT_MAGNET_MAX_XT)
		return false;
	m->xt[m->xt_count++] = *urn;
	return true;
}

bool gnut_magnet_add_xs(gnut_magnet *m, const char *url)
{
	if (m->xs_count == GNUT_MAGNET_MAX_XS)
		return false;
	m->xs[m->xs_count++] = g_strdup(url);
	return true;
}

bool gnut_magnet_add_as(gnut_magnet *m, const char *url)
{
	if (m->as_count == GNUT_MAGNET_MAX_XS)
		return false;
	m->as[m->as_count++] = g_strdup(url);
	return true;
}

/* Appends s percent-encoded: RFC 3986 unreserved characters stay, and so do
 * keep (the URL punctuation that is harmless inside a value); '&', '+',
 * '%', '#', spaces, controls and non-ASCII bytes are escaped. */
static void append_escaped(GString *out, const char *s, const char *keep)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (g_ascii_isalnum(*p) || strchr("-._~", *p) || strchr(keep, *p))
			g_string_append_c(out, (char)*p);
		else
			g_string_append_printf(out, "%%%02X", *p);
	}
}

/* Appends "&key=" (or "key=" for the first pair). */
static void append_key(GString *out, size_t start, const char *key)
{
	if (out->len > start)
		g_string_append_c(out, '&');
	g_string_append(out, key);
	g_string_append_c(out, '=');
}

static void append_xt(GString *out, size_t start, const gnut_urn *u)
{
	char text[GNUT_URN_BITPRINT_LEN + 1];
	if (u->has_sha1 && u->has_tiger)
		gnut_urn_format_bitprint(u->sha1, u->tiger, text);
	else if (u->has_sha1)
		gnut_urn_format_sha1(u->sha1, text);
	else if (u->has_tiger)
		gnut_urn_format_tth(u->tiger, text);
	else
		return; /* no digest: nothing to name */
	append_key(out, start, "xt");
	g_string_append(out, text);
}

void gnut_magnet_format(const gnut_magnet *m, GString *out)
{
	static const char url_keep[] = ":/?=@!$'()*,;[]";
	g_string_append(out, MAGNET_PREFIX);
	const size_t start = out->len;
	for (unsigned i = 0; i < m->xt_count; i++)
		append_xt(out, start, &m->xt[i]);
	if (m->dn != NULL) {
		append_key(out, start, "dn");
		append_escaped(out, m->dn, "");
	}
	if (m->has_xl) {
		append_key(out, start, "xl");
		g_string_append_printf(out, "%" G_GUINT64_FORMAT, (guint64)m->xl);
	}
	for (unsigned i = 0; i < m->xs_count; i++) {
		append_key(out, start, "xs");
		append_escaped(out, m->xs[i], url_keep);
	}
	for (unsigned i = 0; i < m->as_count; i++) {
		append_key(out, start, "as");
		append_escaped(out, m->as[i], url_keep);
	}
}

char *gnut_magnet_n2r_url(uint32_t ipv4, uint16_t port, const uint8_t sha1[GNUT_SHA1_LEN])
{
	char host[GNUT_ADDR_IPV4_PORT_LEN];
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_addr_format_ipv4_port(ipv4, port, host);
	gnut_urn_format_sha1(sha1, urn);
	return g_strdup_printf("http://%s/uri-res/N2R?%s", host, urn);
}
