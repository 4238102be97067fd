/* proto-error.h: the typed errors every src/proto decoder returns instead of
 * reading past the end of its input. */
#ifndef GNUT_PROTO_ERROR_H
#define GNUT_PROTO_ERROR_H

typedef enum {
	GNUT_PROTO_OK = 0,
	GNUT_PROTO_ERR_TRUNCATED,   /* the input ends before a field does */
	GNUT_PROTO_ERR_TOO_LARGE,   /* a length, count or size is over its cap */
	GNUT_PROTO_ERR_MALFORMED,   /* the bytes are there but not valid */
	GNUT_PROTO_ERR_UNSUPPORTED, /* valid, but a variant we do not handle */
	GNUT_PROTO_ERR_TRAILING,    /* bytes left over after a complete item */
} gnut_proto_err;

/* A short English description of err, for logs ("truncated input", ...). */
const char *gnut_proto_strerror(gnut_proto_err err);

#endif
