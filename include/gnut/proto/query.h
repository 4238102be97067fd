/* query.h: the query (0x80) payload: flags [2], NUL-terminated UTF-8 search
 * text, then an extension area of HUGE items ("urn:..."), GGEP blocks and
 * XML, separated by 0x1C (HUGE 0.94 section 3, GGEP 0.51 appendix B). Also
 * the walker of such extension areas, which query hit results share. */
#ifndef GNUT_QUERY_H
#define GNUT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/wire.h"

/* The flags field, with the first wire byte in the high 8 bits (the field
 * was once a little-endian minimum speed; the 0x8000 mark says it is not). */
#define GNUT_QUERY_F_MARK        0x8000 /* flag form: the other bits mean what follows */
#define GNUT_QUERY_F_FIREWALLED  0x4000 /* the querying servent is firewalled */
#define GNUT_QUERY_F_XML         0x2000 /* XML metadata wanted in hits */
#define GNUT_QUERY_F_LEAF_GUIDED 0x1000 /* the leaf guides its dynamic query */
#define GNUT_QUERY_F_GGEP_H      0x0800 /* the querier understands GGEP "H" in hits */
#define GNUT_QUERY_F_OOB         0x0400 /* hits may be delivered out of band (UDP) */
#define GNUT_QUERY_F_FW_TO_FW    0x0200 /* firewall-to-firewall transfers possible */
#define GNUT_QUERY_F_SR_UDP      0x0100 /* semi-reliable UDP understood */

#define GNUT_QUERY_MIN_LEN     3    /* flags + the text's NUL */
#define GNUT_QUERY_MAX_PAYLOAD 4096 /* far over any real query; peers kick at 512 or more */
#define GNUT_QUERY_MAX_TEXT    256  /* bytes of search text, without its NUL */
#define GNUT_QUERY_MAX_URNS    8    /* HUGE "urn:" items kept */
#define GNUT_QUERY_MAX_GGEP    4    /* GGEP blocks in the extension area */
#define GNUT_QUERY_MAX_ITEMS   32   /* extension items of any kind, ignored ones included */

typedef struct {
	uint16_t flags;
	const char *text; /* into the buffer; text[text_len] is its NUL */
	size_t text_len;
	gnut_slice urns[GNUT_QUERY_MAX_URNS]; /* "urn:..." items, as sent (not validated) */
	unsigned n_urns;
	gnut_slice ggep[GNUT_QUERY_MAX_GGEP]; /* whole GGEP blocks, magic included */
	unsigned n_ggep;
	gnut_slice xml; /* an item starting with '<'; empty when absent */
} gnut_query;

/* Decodes a query payload; the text and slices point into buf. No NUL after
 * the text is GNUT_PROTO_ERR_TRUNCATED, text that is not UTF-8 is
 * GNUT_PROTO_ERR_MALFORMED, and text, URN, GGEP or item counts over their
 * caps are GNUT_PROTO_ERR_TOO_LARGE, as is a payload over
 * GNUT_QUERY_MAX_PAYLOAD. Each GGEP block is checked by the GGEP decoder
 * (its error is returned). Unknown items are skipped; a second XML item too.
 * On error *out is zeroed. */
gnut_proto_err gnut_query_decode(const uint8_t *buf, size_t len, gnut_query *out);

/* Appends the payload of q: flags, text and NUL, then the URNs, the XML and
 * the GGEP blocks, separated by 0x1C. Text that holds a NUL or is not UTF-8,
 * a URN that does not start with "urn:" or holds a 0x00 or 0x1C, XML that
 * does not start with '<' or holds those bytes, a GGEP block that does not
 * start with the magic, and anything over the caps above are errors: nothing
 * is appended then. */
gnut_proto_err gnut_query_encode(GByteArray *out, const gnut_query *q);

/* Collects the content URNs a query asks for, from its "urn:sha1:" and
 * "urn:bitprint:" items and from GGEP "H" (and HUGE-in-GGEP "u") extensions,
 * skipping those that do not parse and repeats of the same SHA-1. Writes at
 * most max into out; returns how many it wrote (each has_sha1). */
unsigned gnut_query_sha1s(const gnut_query *q, gnut_urn *out, unsigned max);

/* One item of an extension area (query or query hit result). */
typedef enum {
	GNUT_EXT_URN,     /* text starting with "urn:" (any case) */
	GNUT_EXT_GGEP,    /* a whole GGEP block, checked by the GGEP decoder */
	GNUT_EXT_XML,     /* text starting with '<' */
	GNUT_EXT_UNKNOWN, /* anything else: to be ignored */
} gnut_ext_kind;

typedef struct {
	gnut_ext_kind kind;
	gnut_slice data;
} gnut_ext_item;

/* Reads the item at area[*pos] and moves *pos past it and past one 0x1C or
 * 0x00 separator. Returns GNUT_PROTO_OK with an item, GNUT_PROTO_ERR_TRAILING
 * when *pos is at the end (no item), or the GGEP decoder's error for a bad
 * block. A non-GGEP item ends at 0x1C, 0x00 or the end of the area; empty
 * ones (two separators in a row) are skipped. */
gnut_proto_err gnut_ext_next(const uint8_t *area, size_t len, size_t *pos, gnut_ext_item *item);

/* The content URN an item names: a "urn:" item that gnut_urn_parse accepts,
 * or a GGEP block with an "H" extension (or a "u" one holding
 * "sha1:..."/"bitprint:..."). Merges into *out what it finds (a digest
 * already in *out is replaced); returns true when it found one. */
bool gnut_ext_item_urn(const gnut_ext_item *item, gnut_urn *out);

#endif
