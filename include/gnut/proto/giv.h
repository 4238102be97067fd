/* giv.h: the GIV block of a push transfer. A firewalled servent that got a
 * push connects to the downloader and sends "GIV <index>:<32 hex GUID>/<name>"
 * and an empty line; the downloader then sends its HTTP GET on that socket. */
#ifndef GNUT_GIV_H
#define GNUT_GIV_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/guid.h"
#include "gnut/proto/proto-error.h"

#define GNUT_GIV_MAX_LINE 1024 /* bytes of a GIV line, line ends excluded */

typedef struct {
	uint32_t index;    /* the file index of the push */
	gnut_guid servent; /* the GUID of the servent that connected back */
	const char *name;  /* points into the input, not NUL-terminated; may be empty */
	size_t name_len;
} gnut_giv;

/* Parses one GIV line (buf[0..len) without its line end): "GIV " index ':'
 * 32 hex digits (either case) '/' name. The index is decimal, without sign,
 * at most UINT32_MAX (leading zeros allowed). The name is any bytes but
 * control characters (0x00-0x1f, 0x7f); bytes >= 0x80 are not checked as
 * UTF-8.
 * Errors: a line over GNUT_GIV_MAX_LINE bytes is TOO_LARGE; a line that stops
 * before the '/' but is a prefix of a valid line ("GIV 12:0a1b") is
 * TRUNCATED; anything else off the grammar is MALFORMED. A line cut inside
 * the name cannot be told from a shorter name: it parses, with that shorter
 * name. *out is set on OK only. */
gnut_proto_err gnut_giv_parse(const char *buf, size_t len, gnut_giv *out);

/* Finds the end of the GIV block (the line and the empty line after it; each
 * line end is LF or CRLF, so "\n\n" and "\r\n\r\n") in buf: OK and
 * *block_len (bytes up to and including the empty line); TRUNCATED when more
 * bytes are needed; TOO_LARGE as soon as the line holds more than
 * GNUT_GIV_MAX_LINE bytes (even unfinished); MALFORMED when the line after
 * the GIV line is not empty. Reads nothing past buf[len - 1]. */
gnut_proto_err gnut_giv_scan(const uint8_t *buf, size_t len, size_t *block_len);

/* Parses the block gnut_giv_scan measured: buf[0..block_len) must be exactly
 * one block (bytes after the empty line are TRAILING; scan's errors pass
 * through), and its line is parsed with gnut_giv_parse. The name points into
 * buf. */
gnut_proto_err gnut_giv_parse_block(const uint8_t *buf, size_t block_len, gnut_giv *out);

/* Appends "GIV <index>:<lower-case hex GUID>/<name>\n\n" (name as given; the
 * caller passes a sanitised name). A name with a control character, or one
 * that makes the line longer than GNUT_GIV_MAX_LINE, is a programming error:
 * nothing is written. */
void gnut_giv_format(GByteArray *out, uint32_t index, const gnut_guid *servent, const char *name);

#endif
