/* dime.h: DIME messages (Direct Internet Message Encapsulation,
 * draft-nielsen-dime-02), the envelope a THEX answer comes in: an XML
 * description record, then the serialised tree record.
 *
 * A record is a 12-byte header (byte 0: version 1 in the top 5 bits, then
 * the MB, ME and CF flags; byte 1: TYPE_T in the top 4 bits; then the
 * big-endian lengths of OPTIONS (16 bits), ID (16), TYPE (16) and DATA
 * (32)), then those four fields in that order, each padded with zeros to a
 * multiple of 4 bytes. The first record of a message has MB, the last ME. */
#ifndef GNUT_DIME_H
#define GNUT_DIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_DIME_HEADER_LEN  12
#define GNUT_DIME_MAX_RECORDS 8 /* records taken from one message */

#define GNUT_DIME_TYPE_MEDIA 0x01 /* TYPE is a media type ("text/xml") */
#define GNUT_DIME_TYPE_URI   0x02 /* TYPE is an absolute URI */

/* One record; on decode the pointers point into the decoded buffer. */
typedef struct {
	uint8_t type_format; /* TYPE_T: GNUT_DIME_TYPE_* or another value */
	const char *id;
	size_t id_len;
	const char *type;
	size_t type_len;
	const uint8_t *data;
	size_t data_len;
} gnut_dime_record;

/* Appends one record; first and last set MB and ME. id and type are at
 * most 65535 bytes, data at most UINT32_MAX (g_return_if_fail otherwise). */
void gnut_dime_append(GByteArray *out, const gnut_dime_record *r, bool first, bool last);

/* Decodes a whole message buf[0..len) into out[0..*n): TRUNCATED when it
 * ends inside a record or before a record with ME, UNSUPPORTED for a
 * version other than 1 or a chunked record (CF), MALFORMED when the first
 * record lacks MB or a later one has it, TOO_LARGE past
 * GNUT_DIME_MAX_RECORDS records, TRAILING for bytes after the ME record. */
gnut_proto_err gnut_dime_decode(const uint8_t *buf, size_t len,
                                gnut_dime_record out[GNUT_DIME_MAX_RECORDS], size_t *n);

/* The first record of type (compared without case) and, when id is not
 * NULL, of that ID; NULL when none. */
const gnut_dime_record *gnut_dime_find(const gnut_dime_record *records, size_t n, const char *type,
                                       const char *id);

#endif
