/* http-msg.h: the HTTP/1.1 pieces of Gnutella file transfers: request and
 * status lines, request targets (/get/<index>/<name>, /uri-res/N2R?<urn>),
 * Range, Content-Range and X-Available-Ranges (the download mesh headers are
 * alt-loc.h's).
 * The header block around them is a gnut_head (head.h). */
#ifndef GNUT_HTTP_MSG_H
#define GNUT_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/head.h"
#include "gnut/proto/proto-error.h"

#define GNUT_HTTP_MAX_METHOD    16   /* bytes in a method name */
#define GNUT_HTTP_MAX_TARGET    2048 /* bytes in a request-target */
#define GNUT_HTTP_MAX_RANGES    16   /* byte-range-specs in one Range header */
#define GNUT_HTTP_MAX_AVAILABLE 64   /* ranges in one X-Available-Ranges header */

typedef enum {
	GNUT_HTTP_GET,
	GNUT_HTTP_HEAD,
	GNUT_HTTP_OTHER, /* any other token: answer 501 */
} gnut_http_method;

/* A parsed request line; the strings are owned (gnut_http_request_clear). */
typedef struct {
	gnut_http_method method;
	char *method_name; /* as sent: "GET", "POST", ... */
	char *target;      /* request-target as sent, still percent-encoded */
	unsigned minor;    /* HTTP/1.<minor>: 0 for 1.0, 1 for 1.1 (or later 1.x) */
} gnut_http_request;

/* A parsed status line. */
typedef struct {
	unsigned minor;     /* HTTP/1.<minor> */
	unsigned code;      /* 100..999 */
	const char *reason; /* points into the parsed line; "" when absent */
} gnut_http_status;

/* An inclusive byte range [start, end]. */
typedef struct {
	uint64_t start, end;
} gnut_http_range;

/* A Content-Range value: "bytes a-b/total", "bytes a-b/" + "*" (total
 * unknown) or "bytes " + "*" + "/total" (in a 416 answer). */
typedef struct {
	bool satisfied;      /* false for the 416 form: no range, only the total */
	uint64_t start, end; /* inclusive; only when satisfied */
	bool total_known;    /* false when the total is written "*" */
	uint64_t total;      /* only when total_known */
} gnut_http_content_range;

typedef enum {
	GNUT_HTTP_RANGE_OK = 0,
	GNUT_HTTP_RANGE_MALFORMED,     /* not a "bytes=" range set: answer 400 */
	GNUT_HTTP_RANGE_TOO_MANY,      /* over GNUT_HTTP_MAX_RANGES specs: answer 400 */
	GNUT_HTTP_RANGE_UNSATISFIABLE, /* no spec within the file: answer 416 */
} gnut_http_range_result;

/* "METHOD SP target SP HTTP/1.x", single spaces. A method that is not a token
 * or over GNUT_HTTP_MAX_METHOD, an empty target or one with a control
 * character or space is MALFORMED; a target over GNUT_HTTP_MAX_TARGET is
 * TOO_LARGE; a version other than HTTP/1.x is UNSUPPORTED. On OK the caller
 * owns out's strings; on error out is left empty. */
gnut_proto_err gnut_http_parse_request_line(const char *line, gnut_http_request *out);
void gnut_http_request_clear(gnut_http_request *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(gnut_http_request, gnut_http_request_clear)

/* "HTTP/1.x SP <3-digit code>[ SP reason]". A version other than HTTP/1.x is
 * UNSUPPORTED; anything else that does not fit is MALFORMED. */
gnut_proto_err gnut_http_parse_status_line(const char *line, gnut_http_status *out);

/* "METHOD target HTTP/1.<minor>" and "HTTP/1.<minor> code reason" (g_free
 * them). A NULL reason takes gnut_http_reason_phrase(code). */
char *gnut_http_request_line(const char *method, const char *target, unsigned minor);
char *gnut_http_status_line(unsigned minor, unsigned code, const char *reason);

/* Header blocks to fill and send: an HTTP/1.1 request and response. */
gnut_head *gnut_http_new_request(const char *method, const char *target);
gnut_head *gnut_http_new_response(unsigned code, const char *reason);

/* The standard reason phrase of a status code ("Partial Content" for 206),
 * or "Unknown" for a code it does not know. */
const char *gnut_http_reason_phrase(unsigned code);

/* Resolves a Range value ("bytes=0-99", "bytes=100-", "bytes=-500", or
 * several, comma-separated) against a file of size bytes into inclusive ranges
 * clipped to the file, in the order asked; specs that start past the end are
 * dropped (RFC 7233). out holds GNUT_HTTP_MAX_RANGES entries. A number past
 * UINT64_MAX, a last position before the first, or a unit other than "bytes"
 * is MALFORMED. An uploader that sends no multipart answer serves out[0]. */
gnut_http_range_result gnut_http_parse_range(const char *value, uint64_t size,
                                             gnut_http_range out[GNUT_HTTP_MAX_RANGES],
                                             size_t *n_out);

/* Appends "bytes=a-b,c-d" for n >= 1 ranges (a downloader's Range value). */
void gnut_http_format_range(GString *out, const gnut_http_range *ranges, size_t n);

/* Parses a Content-Range value (the unit "bytes" followed by a space, or by
 * '=' as some old servents write it). A range with end < start, or end >= a
 * known total, and numbers past UINT64_MAX are MALFORMED. */
gnut_proto_err gnut_http_parse_content_range(const char *value, gnut_http_content_range *out);
void gnut_http_format_content_range(GString *out, const gnut_http_content_range *cr);

/* "bytes a-b,c-d" (X-Available-Ranges, partial file sharing): inclusive
 * ranges in the order given; end < start or a bad number is MALFORMED, more
 * than GNUT_HTTP_MAX_AVAILABLE ranges TOO_LARGE. */
gnut_proto_err gnut_http_parse_available_ranges(const char *value,
                                                gnut_http_range out[GNUT_HTTP_MAX_AVAILABLE],
                                                size_t *n_out);
void gnut_http_format_available_ranges(GString *out, const gnut_http_range *ranges, size_t n);

/* Percent-decodes s[0..len) into a new NUL-terminated string (g_free it).
 * A '%' not followed by two hex digits, a decoded NUL, or a result that is not
 * valid UTF-8 is MALFORMED. '+' stays '+' (this is a path, not a form). */
gnut_proto_err gnut_http_url_decode(const char *s, size_t len, char **out);

/* Appends s with every byte outside RFC 3986 unreserved characters written
 * as %XX, for a /get/<index>/<name> target. */
void gnut_http_url_encode(GString *out, const char *s);

/* Splits "/get/<index>/<name>" (name percent-encoded, non-empty; a '?' ends
 * it): index a decimal up to UINT32_MAX, *name newly allocated and decoded.
 * A target of another form is UNSUPPORTED; a bad one MALFORMED. */
gnut_proto_err gnut_http_parse_get_target(const char *target, uint32_t *index, char **name);

/* Splits "/uri-res/<service>?<urn>" (service N2R, N2X, ...: three letters or
 * digits): copies the service, upper-cased, into service[4] and points *urn
 * into target (the URN is left to urn.h: THEX requests append ";<root>").
 * A target of another form is UNSUPPORTED; an empty URN MALFORMED. */
gnut_proto_err gnut_http_parse_uri_res(const char *target, char service[4], const char **urn);

#endif
