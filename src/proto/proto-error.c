/* proto-error.c: descriptions of the codec error codes. */
#include "gnut/proto/proto-error.h"

const char *gnut_proto_strerror(gnut_proto_err err)
{
	switch (err) {
	case GNUT_PROTO_OK:
		return "no error";
	case GNUT_PROTO_ERR_TRUNCATED:
		return "truncated input";
	case GNUT_PROTO_ERR_TOO_LARGE:
		return "size over limit";
	case GNUT_PROTO_ERR_MALFORMED:
		return "malformed input";
	case GNUT_PROTO_ERR_UNSUPPORTED:
		return "unsupported variant";
	case GNUT_PROTO_ERR_TRAILING:
		return "trailing bytes";
	}
	return "unknown error";
}
