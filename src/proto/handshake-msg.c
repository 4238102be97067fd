/* handshake-msg.c: reading and writing the Gnutella 0.6 handshake start
 * lines. Strict about the fixed words, because the first line of a
 * connection is what tells a handshake from an HTTP request or a GIV. */
#include "gnut/proto/handshake-msg.h"

#include <string.h>

#define CONNECT_PREFIX "GNUTELLA CONNECT/"
#define STATUS_PREFIX  "GNUTELLA/"

/* Reads "<digits>.<digits>" at the start of s up to the first space (or the
 * end), leaving *rest there. */
static gnut_proto_err parse_version_word(const char *s, unsigned *major, unsigned *minor,
                                         const char **rest)
{
	const char *sp = strchr(s, ' ');
	size_t n = sp != NULL ? (size_t)(sp - s) : strlen(s);
	if (n == 0 || s[0] == '\t' || s[n - 1] == '\t')
		return GNUT_PROTO_ERR_MALFORMED;
	char word[16];
	if (n >= sizeof word)
		return GNUT_PROTO_ERR_MALFORMED;
	memcpy(word, s, n);
	word[n] = '\0';
	*rest = s + n;
	return gnut_head_parse_version(word, major, minor);
}

gnut_proto_err gnut_handshake_parse_connect(const char *line, unsigned *major, unsigned *minor)
{
	if (strncmp(line, CONNECT_PREFIX, strlen(CONNECT_PREFIX)) != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	const char *rest = NULL;
	unsigned maj = 0, min = 0;
	gnut_proto_err err = parse_version_word(line + strlen(CONNECT_PREFIX), &maj, &min, &rest);
	if (err != GNUT_PROTO_OK)
		return err;
	if (*rest != '\0')
		return GNUT_PROTO_ERR_MALFORMED;
	*major = maj;
	*minor = min;
	return GNUT_PROTO_OK;
}

bool gnut_handshake_is_connect(const char *line)
{
	unsigned major = 0, minor = 0;
	if (gnut_handshake_parse_connect(line, &major, &minor) != GNUT_PROTO_OK)
		return false;
	return major > GNUT_HANDSHAKE_MAJOR ||
	       (major == GNUT_HANDSHAKE_MAJOR && minor >= GNUT_HANDSHAKE_MINOR);
}

gnut_proto_err gnut_handshake_parse_status(const char *line, gnut_handshake_status *out)
{
	if (strcmp(line, "GNUTELLA OK") == 0)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	if (strncmp(line, STATUS_PREFIX, strlen(STATUS_PREFIX)) != 0)
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_handshake_status st = {0};
	const char *rest = NULL;
	gnut_proto_err err =
	    parse_version_word(line + strlen(STATUS_PREFIX), &st.major, &st.minor, &rest);
	if (err != GNUT_PROTO_OK)
		return err;
	err = gnut_head_parse_code_reason(rest, &st.code, &st.reason);
	if (err != GNUT_PROTO_OK)
		return err;
	*out = st;
	return GNUT_PROTO_OK;
}

char *gnut_handshake_connect_line(void)
{
	return g_strdup_printf(CONNECT_PREFIX "%u.%u", GNUT_HANDSHAKE_MAJOR, GNUT_HANDSHAKE_MINOR);
}

char *gnut_handshake_status_line(unsigned code, const char *reason)
{
	g_return_val_if_fail(code >= 100 && code <= 999, NULL);
	g_return_val_if_fail(gnut_head_is_valid_value(reason), NULL);
	return g_strdup_printf(STATUS_PREFIX "%u.%u %u %s", GNUT_HANDSHAKE_MAJOR,
	                       GNUT_HANDSHAKE_MINOR, code, reason);
}

gnut_head *gnut_handshake_new_connect(void)
{
	g_autofree char *line = gnut_handshake_connect_line();
	return gnut_head_new(line);
}

gnut_head *gnut_handshake_new_status(unsigned code, const char *reason)
{
	g_autofree char *line = gnut_handshake_status_line(code, reason);
	g_return_val_if_fail(line != NULL, NULL);
	return gnut_head_new(line);
}
