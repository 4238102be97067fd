/* head.h: HTTP-style header blocks, the framing shared by the Gnutella 0.6
 * handshake and HTTP/1.1 transfers: a start line, "Name: value" lines, and an
 * empty line. Bounded on every axis (line, line count, block), so the network
 * layer can refuse a peer's block as soon as it grows past a cap. */
#ifndef GNUT_HEAD_H
#define GNUT_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_HEAD_MAX_LINE  4096  /* bytes in one line, CRLF excluded */
#define GNUT_HEAD_MAX_LINES 100   /* header lines (continuations included) */
#define GNUT_HEAD_MAX_SIZE  16384 /* whole block */

typedef struct gnut_head gnut_head; /* opaque: a start line and ordered (name, value) headers */

/* Finds the end of a header block (the first empty line; CRLF, and bare LF
 * tolerated) in buf. OK and *head_len (bytes up to and including the empty
 * line) when complete; TRUNCATED when more bytes are needed; TOO_LARGE as soon
 * as a cap is crossed: a line over GNUT_HEAD_MAX_LINE bytes (even unfinished),
 * more than GNUT_HEAD_MAX_LINES lines after the start line, or a block over
 * GNUT_HEAD_MAX_SIZE bytes. This is how the network layer decides it has a
 * whole block. Reads nothing past buf[len - 1]. */
gnut_proto_err gnut_head_scan(const uint8_t *buf, size_t len, size_t *head_len);

/* Parses exactly one block: buf[0..len) must be what gnut_head_scan measured
 * (bytes after the empty line are TRAILING; no empty line is TRUNCATED).
 * Continuation lines (leading SP/HT) are joined to the previous value with
 * one space; names must be HTTP tokens, directly followed by ':'; values are
 * trimmed of SP/HT; control characters other than HT, a line without a
 * colon, an empty or indented start line are MALFORMED. *out is set on OK
 * only; free it with gnut_head_free. */
gnut_proto_err gnut_head_parse(const uint8_t *buf, size_t len, gnut_head **out);

const char *gnut_head_start_line(const gnut_head *h);

/* Case-insensitive lookup; duplicate headers are joined with ", " (RFC 7230),
 * NULL if absent. The string lives as long as h (or until the next add of the
 * same name). */
const char *gnut_head_get(const gnut_head *h, const char *name);

/* The headers in wire order: i-th name (as sent) and its value. */
size_t gnut_head_count(const gnut_head *h);
const char *gnut_head_name(const gnut_head *h, size_t i);
const char *gnut_head_value(const gnut_head *h, size_t i);

void gnut_head_free(gnut_head *h);

/* A block to send. start_line must be non-empty and pass
 * gnut_head_is_valid_value; names must be tokens and values valid (API
 * misuse otherwise: g_return_if_fail). Text from a peer or from disk must be
 * checked (or percent-encoded) by the caller before it goes in a header. */
gnut_head *gnut_head_new(const char *start_line);
void gnut_head_add(gnut_head *h, const char *name, const char *value);
void gnut_head_addf(gnut_head *h, const char *name, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* The block as wire text: start line, "Name: value" lines, each CRLF-ended,
 * then an empty line. */
GString *gnut_head_serialize(const gnut_head *h);

/* True for a non-empty RFC 7230 token (a valid header name or method). */
bool gnut_head_is_token(const char *s);

/* True when s holds no control character but HT (so it cannot break a line). */
bool gnut_head_is_valid_value(const char *s);

/* True when the comma-separated list value has an element equal to token,
 * ignoring case, surrounding SP/HT and any ";parameters" ("deflate" in
 * "gzip, Deflate;q=1"). */
bool gnut_head_value_has_token(const char *value, const char *token);

/* Parses a "<major>.<minor>" protocol version such as "0.2" (each part 1 to 5
 * digits, at most 65535; SP/HT around the whole allowed). MALFORMED otherwise. */
gnut_proto_err gnut_head_parse_version(const char *s, unsigned *major, unsigned *minor);

/* Finds "name/<major>.<minor>" in an X-Features style list ("tls/1.0,
 * browse/1.0"), name compared ignoring case. False when absent or when its
 * version does not parse. */
bool gnut_head_feature_version(const char *value, const char *name, unsigned *major,
                               unsigned *minor);

/* "True"/"False" in any case, SP/HT around allowed (X-Ultrapeer). */
gnut_proto_err gnut_head_parse_bool(const char *s, bool *out);

/* A decimal number (Content-Length, Retry-After, X-Degree): digits only, SP/HT
 * around allowed; MALFORMED when empty or not digits, TOO_LARGE past
 * UINT64_MAX. */
gnut_proto_err gnut_head_parse_u64(const char *s, uint64_t *out);

/* Reads the tail that handshake and HTTP status lines share: " <code>" then
 * optionally " <reason>" to the end of s; the code is three digits, 100 to
 * 999. *reason points into s ("" when absent). MALFORMED otherwise. */
gnut_proto_err gnut_head_parse_code_reason(const char *s, unsigned *code, const char **reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_head, gnut_head_free)

#endif
