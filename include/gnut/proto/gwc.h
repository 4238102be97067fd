/* gwc.h: the GWebCache protocol, version 2 (the one deployed caches speak):
 * a client sends an HTTP GET of the cache's URL with a query string
 * ("get=1&net=gnutella&client=GNTU&version=V" for hosts and caches,
 * "update=1&ip=A.B.C.D:P&..." to announce itself) and the body answers one
 * item per line (LF, CRLF or CR): "H|ip:port|age..." a host, "U|url|age..."
 * another cache, "I|..." information ("I|update|OK" after an update),
 * "ERROR..." a refusal. Version 1 "hostfile" answers (bare "ip:port" lines)
 * are read as hosts too. Only http:// URLs exist in this protocol.
 * Pure codecs: no sockets. */
#ifndef GNUT_GWC_H
#define GNUT_GWC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/address.h"
#include "gnut/proto/proto-error.h"
#include "gnut/proto/uhc.h"

#define GNUT_GWC_MAX_RESPONSE (64 * 1024) /* bytes of a whole HTTP answer */
#define GNUT_GWC_MAX_HOSTS    32          /* H lines taken from one answer */
#define GNUT_GWC_MAX_URLS     8           /* U lines taken from one answer */
#define GNUT_GWC_MAX_URL      255         /* bytes of a cache URL */
#define GNUT_GWC_DEFAULT_PORT 80

/* A cache URL: http://host[:port][/path], no query, no fragment. */
typedef struct {
	char host[GNUT_ADDR_MAX_NAME + 1]; /* a host name or an IPv4 literal */
	bool host_is_ipv4;
	uint32_t ipv4; /* when host_is_ipv4; host order */
	uint16_t port;
	char path[GNUT_GWC_MAX_URL + 1]; /* starts with '/' */
} gnut_gwc_url;

/* Parses exactly url[0..len): "http://" (any case), a host name or IPv4
 * literal (gnut_addr_parse_host_port), an optional port, an optional path
 * of printable ASCII without space, '?', '#' or '\\'. TOO_LARGE over
 * GNUT_GWC_MAX_URL bytes; UNSUPPORTED for another scheme (https:// too);
 * MALFORMED otherwise. */
gnut_proto_err gnut_gwc_url_parse(const char *url, size_t len, gnut_gwc_url *out);

/* The HTTP/1.0 request for u with the given query string (already
 * encoded): request line, Host, User-Agent, Connection: close, empty line. */
char *gnut_gwc_request(const gnut_gwc_url *u, const char *query, const char *user_agent);

/* What an answer body said. */
typedef struct {
	gnut_ipv4_port hosts[GNUT_GWC_MAX_HOSTS]; /* as written: not yet validated */
	size_t n_hosts;
	char urls[GNUT_GWC_MAX_URLS][GNUT_GWC_MAX_URL + 1]; /* each parses as a gnut_gwc_url */
	size_t n_urls;
	bool update_ok; /* "I|update|OK" */
	bool refused;   /* an "ERROR" line, or "I|update|WARNING" */
	size_t ignored; /* H/U lines past the caps or malformed, and unknown lines */
} gnut_gwc_reply;

/* Reads an answer body. Never fails on content: what does not parse is
 * counted in ignored. Over GNUT_GWC_MAX_RESPONSE bytes is TOO_LARGE. */
gnut_proto_err gnut_gwc_reply_parse(const char *body, size_t len, gnut_gwc_reply *out);

/* Splits a whole HTTP answer: *code = its status code, *body_offset = where
 * the body starts. TRUNCATED without the end of the header block, MALFORMED
 * or UNSUPPORTED for a status line that is not HTTP/1.x (see
 * gnut_http_parse_status_line), TOO_LARGE over GNUT_GWC_MAX_RESPONSE. */
gnut_proto_err gnut_gwc_http_split(const char *resp, size_t len, unsigned *code,
                                   size_t *body_offset);

#endif
