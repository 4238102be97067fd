/* x-queued.h: the X-Queued header of upload queues (doc/gnutella/PARQ):
 * a list of name=value items separated by ';' (spaces around them
 * optional, names case-insensitive, order free):
 *   position  the entry's place in the queue (1: next to be served)
 *   length    entries in the queue
 *   ETA       seconds until a slot is expected
 *   lifetime  seconds the server keeps the entry without a new request
 *   ID        the entry's token, given back by the client on each request
 * The server sends it on its 503 (and gtk-gnutella on a 206, ID alone);
 * a queued client sends "position=<last>; ID=<id>" back. Unknown names are
 * skipped (newer versions may add some); the numbers are decimal, at most
 * 32 bits; the ID is 1 to GNUT_X_QUEUED_ID_MAX letters and digits (a
 * GUID in hex, as gtk-gnutella sends it). The parser needs no field at
 * all: which ones matter is the reader's business. Pure: no I/O. */
#ifndef GNUT_X_QUEUED_H
#define GNUT_X_QUEUED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"

#define GNUT_X_QUEUED_ID_MAX    64    /* characters of an ID */
#define GNUT_X_QUEUED_VALUE_MAX 512   /* bytes of a header value read */
#define GNUT_X_QUEUE_VERSION    "1.1" /* what X-Queue says we understand */

typedef struct {
	bool has_position, has_length, has_eta, has_lifetime;
	uint32_t position;
	uint32_t length;
	uint32_t eta_s;
	uint32_t lifetime_s;
	char id[GNUT_X_QUEUED_ID_MAX + 1]; /* "" when absent */
} gnut_x_queued;

/* Reads len bytes of value (no NUL needed). MALFORMED: an item without
 * '=', a number that is not one, a known name twice, an ID with another
 * character; TOO_LARGE: a value over GNUT_X_QUEUED_VALUE_MAX, a number over
 * 32 bits, an ID over GNUT_X_QUEUED_ID_MAX. *out is set only on success. */
gnut_proto_err gnut_x_queued_parse(const char *value, size_t len, gnut_x_queued *out);

/* Appends q's present fields to out, in the specification's order
 * ("position=1; length=3; ETA=20; lifetime=90; ID=..."). */
void gnut_x_queued_format(GString *out, const gnut_x_queued *q);

#endif
