/* http-status.h: names for the HTTP status codes the servent sends or reads
 * (file transfers, the 0.6 handshake, the control API), so that code says
 * GNUT_HTTP_NOT_FOUND rather than 404. The values are the codes themselves
 * (RFC 9110), usable wherever a code is an unsigned number; the reason
 * phrases are gnut_http_reason_phrase's (http-msg.h).
 *
 * Why gnut_http_status_code and not gnut_http_status: http-msg.h already
 * names a parsed status line gnut_http_status. */
#ifndef GNUT_HTTP_STATUS_H
#define GNUT_HTTP_STATUS_H

typedef enum {
	GNUT_HTTP_OK = 200,
	GNUT_HTTP_ACCEPTED = 202,
	GNUT_HTTP_PARTIAL_CONTENT = 206,
	GNUT_HTTP_MOVED_PERMANENTLY = 301,
	GNUT_HTTP_FOUND = 302,
	GNUT_HTTP_BAD_REQUEST = 400,
	GNUT_HTTP_UNAUTHORIZED = 401,
	GNUT_HTTP_FORBIDDEN = 403,
	GNUT_HTTP_NOT_FOUND = 404,
	GNUT_HTTP_METHOD_NOT_ALLOWED = 405,
	GNUT_HTTP_CONFLICT = 409,
	GNUT_HTTP_GONE = 410,
	GNUT_HTTP_LENGTH_REQUIRED = 411,
	GNUT_HTTP_PAYLOAD_TOO_LARGE = 413,
	GNUT_HTTP_URI_TOO_LONG = 414,
	GNUT_HTTP_RANGE_NOT_SATISFIABLE = 416,
	GNUT_HTTP_TOO_MANY_REQUESTS = 429,
	GNUT_HTTP_HEADER_FIELDS_TOO_LARGE = 431,
	GNUT_HTTP_INTERNAL_SERVER_ERROR = 500,
	GNUT_HTTP_NOT_IMPLEMENTED = 501,
	GNUT_HTTP_SERVICE_UNAVAILABLE = 503,
	GNUT_HTTP_VERSION_NOT_SUPPORTED = 505,
} gnut_http_status_code;

/* The lowest error code: 4xx are client errors, 5xx server errors. */
#define GNUT_HTTP_FIRST_ERROR GNUT_HTTP_BAD_REQUEST

#endif
