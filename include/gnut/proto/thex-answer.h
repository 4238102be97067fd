/* thex-answer.h: the whole body of a THEX answer (what GET
 * /uri-res/N2X?urn:sha1:... returns, Content-Type application/dime): a DIME
 * message (dime.h) of two records, as gtk-gnutella serves and reads it:
 *
 *   1. MB, media type "text/xml", no ID: the XML description (thex-xml.h);
 *   2. ME, URI type GNUT_THEX_TREE_TYPE, ID the description's uri
 *      ("uuid:" and 32 hex digits in 8-4-4-4-12 groups, from the root): the
 *      serialised tree (thex.h), root first.
 *
 * Reading follows gtk-gnutella's downloader: the description must match the
 * file's size; the tree record is found by type and ID, else by type alone
 * (a known BearShare quirk); the tree must lead to the known root. */
#ifndef GNUT_THEX_ANSWER_H
#define GNUT_THEX_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/thex.h"

#define GNUT_THEX_ANSWER_MAX   (128u << 10) /* bytes of an answer we read */
#define GNUT_THEX_CONTENT_TYPE "application/dime"
#define GNUT_THEX_URI_MAX      512 /* bytes of the path in X-Thex-URI */

/* The answer serving l. */
GBytes *gnut_thex_answer_build(const gnut_thex_level *l);

/* Reads an answer for a file of file_size bytes whose Tiger root is root:
 * TOO_LARGE over GNUT_THEX_ANSWER_MAX; the DIME, XML and tree errors as
 * their decoders give them; MALFORMED when a record is missing or the
 * description names another size. On OK *out is the level (free it). */
gnut_proto_err gnut_thex_answer_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                                      const uint8_t root[GNUT_TIGER_LEN], gnut_thex_level **out);

/* An X-Thex-URI value, "<path>;<root>" as gtk-gnutella and LimeWire write
 * it (blanks around the ';' allowed): path absolute ("/..."), without blanks
 * or control characters, at most GNUT_THEX_URI_MAX bytes, copied to uri;
 * root the 39 base32 characters of a Tiger root, or absent (*has_root
 * false: the root must then come from elsewhere, a bitprint). MALFORMED or
 * TOO_LARGE otherwise; outputs are set on OK only. */
gnut_proto_err gnut_thex_uri_parse(const char *value, char uri[GNUT_THEX_URI_MAX + 1],
                                   bool *has_root, uint8_t root[GNUT_TIGER_LEN]);

#endif
