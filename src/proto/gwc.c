/* gwc.c: the GWebCache codecs (see gwc.h): cache URLs, the request, the
 * HTTP answer's split and the line-based body of version 2. */
#include "gnut/proto/gwc.h"

#include <string.h>

#include "gnut/proto/http-msg.h"

#define SCHEME "http://"

static bool is_path_char(char c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '\\';
}

/* Splits "host[:port]" off the front of [p, end): it runs up to the first
 * '/' or the end. */
static gnut_proto_err parse_authority(const char *p, const char *end, gnut_gwc_url *out,
                                      const char **rest)
{
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *auth_end = slash != NULL ? slash : end;
	gnut_addr_host_port hp;
	gnut_proto_err err =
	    gnut_addr_parse_host_port(p, (size_t)(auth_end - p), GNUT_GWC_DEFAULT_PORT, &hp);
	if (err != GNUT_PROTO_OK)
		return err == GNUT_PROTO_ERR_TOO_LARGE ? err : GNUT_PROTO_ERR_MALFORMED;
	if (hp.kind == GNUT_ADDR_HOST_IPV6)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	memcpy(out->host, hp.host, hp.host_len);
	out->host[hp.host_len] = '\0';
	out->host_is_ipv4 = hp.kind == GNUT_ADDR_HOST_IPV4;
	out->ipv4 = out->host_is_ipv4 ? hp.ipv4 : 0;
	out->port = hp.port;
	*rest = auth_end;
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_gwc_url_parse(const char *url, size_t len, gnut_gwc_url *out)
{
	if (len > GNUT_GWC_MAX_URL)
		return GNUT_PROTO_ERR_TOO_LARGE;
	size_t scheme = strlen(SCHEME);
	if (len < scheme || g_ascii_strncasecmp(url, SCHEME, scheme) != 0) {
		const char *colon = memchr(url, ':', len);
		return colon != NULL && colon + 2 < url + len && colon[1] == '/' && colon[2] == '/'
		           ? GNUT_PROTO_ERR_UNSUPPORTED
		           : GNUT_PROTO_ERR_MALFORMED;
	}
	gnut_gwc_url u;
	const char *end = url + len, *path;
	gnut_proto_err err = parse_authority(url + scheme, end, &u, &path);
	if (err != GNUT_PROTO_OK)
		return err;
	for (const char *c = path; c < end; c++)
		if (!is_path_char(*c))
			return GNUT_PROTO_ERR_MALFORMED;
	if (path == end)
		strcpy(u.path, "/");
	else {
		memcpy(u.path, path, (size_t)(end - path));
		u.path[end - path] = '\0';
	}
	*out = u;
	return GNUT_PROTO_OK;
}

char *gnut_gwc_request(const gnut_gwc_url *u, const char *query, const char *user_agent)
{
	GString *host = g_string_new(NULL);
	if (u->port == GNUT_GWC_DEFAULT_PORT)
		g_string_append(host, u->host);
	else
		gnut_addr_append_host_port(host, u->host, u->port);
	char *req = g_strdup_printf("GET %s?%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: %s\r\n"
	                            "Connection: close\r\n\r\n",
	                            u->path, query, host->str, user_agent);
	g_string_free(host, TRUE);
	return req;
}

/* The field of "X|field|..." that starts at p: up to the next '|' or the
 * end of the line. */
static size_t field_len(const char *p, const char *end)
{
	const char *bar = memchr(p, '|', (size_t)(end - p));
	return (size_t)((bar != NULL ? bar : end) - p);
}

static void take_host(const char *p, size_t len, gnut_gwc_reply *out)
{
	gnut_ipv4_port h;
	if (out->n_hosts < GNUT_GWC_MAX_HOSTS &&
	    gnut_addr_parse_ipv4_port(p, len, 0, &h.ip, &h.port) == GNUT_PROTO_OK)
		out->hosts[out->n_hosts++] = h;
	else
		out->ignored++;
}

static void take_url(const char *p, size_t len, gnut_gwc_reply *out)
{
	gnut_gwc_url u;
	if (out->n_urls < GNUT_GWC_MAX_URLS && gnut_gwc_url_parse(p, len, &u) == GNUT_PROTO_OK) {
		memcpy(out->urls[out->n_urls], p, len);
		out->urls[out->n_urls++][len] = '\0';
	} else
		out->ignored++;
}

static bool line_is(const char *p, const char *end, const char *text)
{
	size_t n = strlen(text);
	return (size_t)(end - p) >= n && g_ascii_strncasecmp(p, text, n) == 0;
}

static void take_line(const char *p, const char *end, gnut_gwc_reply *out)
{
	if (p == end)
		return;
	if (line_is(p, end, "H|"))
		take_host(p + 2, field_len(p + 2, end), out);
	else if (line_is(p, end, "U|"))
		take_url(p + 2, field_len(p + 2, end), out);
	else if (line_is(p, end, "I|update|OK"))
		out->update_ok = true;
	else if (line_is(p, end, "I|update|WARNING") || line_is(p, end, "ERROR"))
		out->refused = true;
	else if (line_is(p, end, "I|"))
		return;
	else
		take_host(p, (size_t)(end - p), out); /* version 1: a bare ip:port */
}

gnut_proto_err gnut_gwc_reply_parse(const char *body, size_t len, gnut_gwc_reply *out)
{
	if (len > GNUT_GWC_MAX_RESPONSE)
		return GNUT_PROTO_ERR_TOO_LARGE;
	memset(out, 0, sizeof *out);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		take_line(p, eol, out);
		p = eol;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	return GNUT_PROTO_OK;
}

/* The end of the header block: after "\r\n\r\n" or "\n\n". */
static const char *header_end(const char *resp, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (resp[i] == '\n' && resp[i + 1] == '\n')
			return resp + i + 2;
		if (i + 3 < len && memcmp(resp + i, "\r\n\r\n", 4) == 0)
			return resp + i + 4;
	}
	return NULL;
}

gnut_proto_err gnut_gwc_http_split(const char *resp, size_t len, unsigned *code,
                                   size_t *body_offset)
{
	if (len > GNUT_GWC_MAX_RESPONSE)
		return GNUT_PROTO_ERR_TOO_LARGE;
	const char *body = header_end(resp, len);
	if (body == NULL)
		return GNUT_PROTO_ERR_TRUNCATED;
	const char *eol = memchr(resp, '\n', (size_t)(body - resp));
	size_t line_len = (size_t)(eol - resp);
	if (line_len > 0 && resp[line_len - 1] == '\r')
		line_len--;
	g_autofree char *line = g_strndup(resp, line_len);
	if (strlen(line) != line_len)
		return GNUT_PROTO_ERR_MALFORMED; /* a NUL in the status line */
	gnut_http_status st;
	gnut_proto_err err = gnut_http_parse_status_line(line, &st);
	if (err != GNUT_PROTO_OK)
		return err;
	*code = st.code;
	*body_offset = (size_t)(body - resp);
	return GNUT_PROTO_OK;
}
