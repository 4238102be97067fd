/* bye.c: the bye payload codec, lenient in the ways real peers need. */
#include "gnut/proto/bye.h"

#include <string.h>

#include "gnut/proto/wire.h"

static bool is_ascii_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Splits the reason at its first CRLF into the status line and the header
 * block that follows, so the caller can show the line and parse headers. */
static void split_first_line(gnut_bye *out)
{
	out->line_len = out->reason_len;
	out->headers = out->reason + out->reason_len;
	out->headers_len = 0;
	for (size_t i = 0; i + 1 < out->reason_len; i++) {
		if (out->reason[i] == '\r' && out->reason[i + 1] == '\n') {
			out->line_len = i;
			out->headers = out->reason + i + 2;
			out->headers_len = out->reason_len - i - 2;
			return;
		}
	}
}

gnut_proto_err gnut_bye_decode(const uint8_t *buf, size_t len, gnut_bye *out)
{
	if (len < GNUT_BYE_CODE_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	uint16_t code = gnut_peek_le16(buf);
	size_t start = GNUT_BYE_CODE_LEN;
	bool has_code = true;
	/* Codes are three digits; two text bytes there mean the code is missing. */
	if (code > 999 && is_ascii_alnum(buf[0]) && is_ascii_alnum(buf[1])) {
		code = 0;
		start = 0;
		has_code = false;
	}
	const uint8_t *text = buf + start;
	size_t avail = len - start;
	const uint8_t *nul = memchr(text, '\0', avail);
	size_t reason_len = nul != NULL ? (size_t)(nul - text) : avail;
	if (reason_len > GNUT_BYE_MAX_REASON)
		return GNUT_PROTO_ERR_TOO_LARGE;
	out->code = code;
	out->has_code = has_code;
	out->nul_terminated = nul != NULL;
	out->reason = (const char *)text;
	out->reason_len = reason_len;
	split_first_line(out);
	return GNUT_PROTO_OK;
}

void gnut_bye_encode(GByteArray *out, uint16_t code, const char *reason)
{
	size_t len = strlen(reason);
	g_return_if_fail(len <= GNUT_BYE_MAX_REASON);
	uint8_t head[GNUT_BYE_CODE_LEN];
	gnut_poke_le16(head, code);
	g_byte_array_append(out, head, sizeof head);
	/* len + 1 writes the terminating NUL too */
	g_byte_array_append(out, (const guint8 *)reason, (guint)(len + 1));
}
