/* handshake-msg.h: the start lines of the Gnutella 0.6 handshake:
 * "GNUTELLA CONNECT/0.6" (step 1) and "GNUTELLA/0.6 <code> <reason>" (steps 2
 * and 3). The headers that follow them are a gnut_head (head.h). */
#ifndef GNUT_HANDSHAKE_MSG_H
#define GNUT_HANDSHAKE_MSG_H

#include "gnut/proto/head.h"
#include "gnut/proto/proto-error.h"

#define GNUT_HANDSHAKE_MAJOR 0
#define GNUT_HANDSHAKE_MINOR 6

/* A step 2 or step 3 status line. */
typedef struct {
	unsigned major, minor; /* protocol version the peer wrote */
	unsigned code;         /* 100..999; 200 accepts, anything else refuses */
	const char *reason;    /* points into the parsed line; "" when absent */
} gnut_handshake_status;

/* Recognises "GNUTELLA CONNECT/<major>.<minor>" exactly (no extra spaces) and
 * tells the version: 0.6 today; the specification says a later version (0.7)
 * is legal and is answered with 0.6, and an old 0.4 connect is the caller's to
 * refuse. Anything else is MALFORMED (so the first line of a connection that
 * is HTTP or GIV is not a handshake). */
gnut_proto_err gnut_handshake_parse_connect(const char *line, unsigned *major, unsigned *minor);

/* True when line is a connect line of version 0.6 or later. */
bool gnut_handshake_is_connect(const char *line);

/* Parses "GNUTELLA/<major>.<minor> <3-digit code>[ <reason>]". The 0.4 reply
 * "GNUTELLA OK" is UNSUPPORTED; anything else that does not fit is MALFORMED. */
gnut_proto_err gnut_handshake_parse_status(const char *line, gnut_handshake_status *out);

/* "GNUTELLA CONNECT/0.6" (g_free the result). */
char *gnut_handshake_connect_line(void);

/* "GNUTELLA/0.6 <code> <reason>" (g_free the result); code must be 100..999
 * and reason a valid header value (API misuse otherwise). */
char *gnut_handshake_status_line(unsigned code, const char *reason);

/* Header blocks to fill with gnut_head_add and send: step 1, and steps 2/3. */
gnut_head *gnut_handshake_new_connect(void);
gnut_head *gnut_handshake_new_status(unsigned code, const char *reason);

#endif
