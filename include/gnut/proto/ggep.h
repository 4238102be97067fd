/* ggep.h: GGEP (Gnutella Generic Extension Protocol) blocks: a 0xC3 magic
 * byte followed by extensions, each a flags byte, an ID, a 1..3-byte length
 * and data that may be COBS-encoded and/or deflated. */
#ifndef GNUT_GGEP_H
#define GNUT_GGEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_GGEP_MAGIC          0xC3
#define GNUT_GGEP_MAX_EXTENSIONS 32
#define GNUT_GGEP_MAX_DATA       65536 /* cap on one extension's decoded (inflated) data */
#define GNUT_GGEP_MAX_ID_LEN     15
#define GNUT_GGEP_MAX_WIRE_LEN   262143 /* largest length three 6-bit chunks can carry */

/* Header flag bits of one extension. */
#define GNUT_GGEP_F_LAST     0x80
#define GNUT_GGEP_F_COBS     0x40
#define GNUT_GGEP_F_DEFLATE  0x20
#define GNUT_GGEP_F_RESERVED 0x10
#define GNUT_GGEP_F_IDLEN    0x0f

enum { GNUT_GGEP_COBS = 1, GNUT_GGEP_DEFLATE = 2 }; /* encode flags */

/* id NUL-terminated; data g_malloc'd, COBS undone and inflated. data is
 * followed by a NUL that len does not count, so text payloads can be read as
 * C strings. IDs hold printable ASCII only (0x20..0x7e), as deployed
 * servents require, which also turns away most garbage that starts with
 * 0xC3. */
typedef struct {
	char id[16];
	uint8_t *data;
	size_t len;
} gnut_ggep_ext;

typedef struct {
	gnut_ggep_ext ext[GNUT_GGEP_MAX_EXTENSIONS];
	unsigned count;
} gnut_ggep;

/* Decodes one GGEP block starting at buf[0] (which must be 0xC3); *consumed =
 * bytes the block took. On error, out holds nothing to free. A block the
 * input ends inside (no extension flagged last) is TRUNCATED; more than
 * GNUT_GGEP_MAX_EXTENSIONS extensions, or data over GNUT_GGEP_MAX_DATA once
 * decoded, is TOO_LARGE; bytes after a deflate stream's end are TRAILING. */
gnut_proto_err gnut_ggep_decode(const uint8_t *buf, size_t len, gnut_ggep *out, size_t *consumed);

/* Frees every extension's data and empties g. */
void gnut_ggep_clear(gnut_ggep *g);

/* The first extension whose ID equals id (case-sensitive), or NULL. */
const gnut_ggep_ext *gnut_ggep_find(const gnut_ggep *g, const char *id);

typedef struct {
	const char *id;
	const uint8_t *data;
	size_t len;
	unsigned flags;
} gnut_ggep_item;

/* Appends one GGEP block holding items[0..n) (n >= 1) to out. DEFLATE
 * writes a zlib stream (what deployed servents inflate), COBS is applied
 * after it. IDs must be 1..15 printable ASCII characters (else MALFORMED),
 * other flags are UNSUPPORTED, more than GNUT_GGEP_MAX_EXTENSIONS items or
 * data over GNUT_GGEP_MAX_DATA is TOO_LARGE. On error out is unchanged. */
gnut_proto_err gnut_ggep_encode(const gnut_ggep_item *items, size_t n, GByteArray *out);

/* Length field helpers, exposed for tests. A length is written as 1..3 bytes
 * of 6 data bits each, most significant first; 0x80 marks "more follows" and
 * 0x40 the last byte. */

/* Bytes gnut_ggep_len_encode writes for len (1..3), or 0 when len is over
 * GNUT_GGEP_MAX_WIRE_LEN. */
size_t gnut_ggep_len_size(size_t len);

/* Writes len into out (room for 3 bytes); returns the bytes written, 0 when
 * len is over GNUT_GGEP_MAX_WIRE_LEN. */
size_t gnut_ggep_len_encode(size_t len, uint8_t out[3]);

/* Reads a length field from buf[0..avail); *used = bytes it took. */
gnut_proto_err gnut_ggep_len_decode(const uint8_t *buf, size_t avail, size_t *len, size_t *used);

#endif
