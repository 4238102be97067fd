/* urn.c: content URNs in text (urn:sha1, urn:bitprint, urn:tree:tiger) and
 * in the binary GGEP "H" form. Digests are base32 without padding: 32
 * characters for SHA-1's 20 bytes, 39 for Tiger's 24. */
#include "gnut/proto/urn.h"
#include "gnut/proto/base32.h"

#include <string.h>

#define SHA1_B32_LEN  32
#define TIGER_B32_LEN 39

#define PREFIX_SHA1     "urn:sha1:"
#define PREFIX_BITPRINT "urn:bitprint:"
#define PREFIX_TTH      "urn:tree:tiger/:"
#define PREFIX_TTH_NOSL "urn:tree:tiger:"
#define PREFIX_URN      "urn:"

/* Length of prefix when s[0..len) starts with it (ASCII case ignored),
 * else 0. */
static size_t match_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n || g_ascii_strncasecmp(s, prefix, n) != 0)
		return 0;
	return n;
}

/* Decodes exactly chars base32 characters into a digest of exactly n
 * bytes; shorter text is TRUNCATED, longer is TRAILING. */
static gnut_proto_err decode_digest(const char *s, size_t len, size_t chars, uint8_t *digest,
                                    size_t n)
{
	if (len < chars)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > chars)
		return GNUT_PROTO_ERR_TRAILING;
	size_t got = 0;
	gnut_proto_err err = gnut_base32_decode(s, chars, digest, n, &got);
	if (err != GNUT_PROTO_OK)
		return err == GNUT_PROTO_ERR_TOO_LARGE ? GNUT_PROTO_ERR_MALFORMED : err;
	return got == n ? GNUT_PROTO_OK : GNUT_PROTO_ERR_MALFORMED;
}

/* urn:bitprint:<sha1>.<tiger> */
static gnut_proto_err parse_bitprint(const char *s, size_t len, gnut_urn *out)
{
	if (len <= SHA1_B32_LEN)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (s[SHA1_B32_LEN] != '.')
		return GNUT_PROTO_ERR_MALFORMED;
	gnut_proto_err err = decode_digest(s, SHA1_B32_LEN, SHA1_B32_LEN, out->sha1, GNUT_SHA1_LEN);
	if (err == GNUT_PROTO_OK)
		err = decode_digest(s + SHA1_B32_LEN + 1, len - SHA1_B32_LEN - 1, TIGER_B32_LEN,
		                    out->tiger, GNUT_TIGER_LEN);
	if (err == GNUT_PROTO_OK)
		out->has_sha1 = out->has_tiger = true;
	return err;
}

gnut_proto_err gnut_urn_parse(const char *s, size_t len, gnut_urn *out)
{
	gnut_urn u;
	gnut_proto_err err;
	size_t n;

	memset(&u, 0, sizeof u);
	if ((n = match_prefix(s, len, PREFIX_SHA1)) != 0) {
		err = decode_digest(s + n, len - n, SHA1_B32_LEN, u.sha1, GNUT_SHA1_LEN);
		u.has_sha1 = true;
	} else if ((n = match_prefix(s, len, PREFIX_BITPRINT)) != 0) {
		err = parse_bitprint(s + n, len - n, &u);
	} else if ((n = match_prefix(s, len, PREFIX_TTH)) != 0 ||
	           (n = match_prefix(s, len, PREFIX_TTH_NOSL)) != 0) {
		err = decode_digest(s + n, len - n, TIGER_B32_LEN, u.tiger, GNUT_TIGER_LEN);
		u.has_tiger = true;
	} else if (match_prefix(s, len, PREFIX_URN) != 0) {
		err = GNUT_PROTO_ERR_UNSUPPORTED; /* urn:ed2k:, urn:btih:, ... */
	} else {
		err =
		    len < strlen(PREFIX_URN) ? GNUT_PROTO_ERR_TRUNCATED : GNUT_PROTO_ERR_MALFORMED;
	}
	if (err != GNUT_PROTO_OK)
		return err;
	*out = u;
	return GNUT_PROTO_OK;
}

void gnut_urn_format_sha1(const uint8_t sha1[GNUT_SHA1_LEN], char out[GNUT_URN_SHA1_LEN + 1])
{
	memcpy(out, PREFIX_SHA1, strlen(PREFIX_SHA1));
	gnut_base32_encode(sha1, GNUT_SHA1_LEN, false, out + strlen(PREFIX_SHA1));
}

char *gnut_urn_sha1_strdup(const uint8_t sha1[GNUT_SHA1_LEN])
{
	char *out = g_malloc(GNUT_URN_SHA1_LEN + 1);
	gnut_urn_format_sha1(sha1, out);
	return out;
}

void gnut_urn_format_bitprint(const uint8_t sha1[GNUT_SHA1_LEN],
                              const uint8_t tiger[GNUT_TIGER_LEN],
                              char out[GNUT_URN_BITPRINT_LEN + 1])
{
	size_t p = strlen(PREFIX_BITPRINT);
	memcpy(out, PREFIX_BITPRINT, p);
	gnut_base32_encode(sha1, GNUT_SHA1_LEN, false, out + p);
	p += SHA1_B32_LEN;
	out[p++] = '.';
	gnut_base32_encode(tiger, GNUT_TIGER_LEN, false, out + p);
}

void gnut_urn_format_tth(const uint8_t tiger[GNUT_TIGER_LEN], char out[GNUT_URN_TTH_LEN + 1])
{
	memcpy(out, PREFIX_TTH, strlen(PREFIX_TTH));
	gnut_base32_encode(tiger, GNUT_TIGER_LEN, false, out + strlen(PREFIX_TTH));
}

gnut_proto_err gnut_ggep_h_decode(const uint8_t *data, size_t len, gnut_urn *out)
{
	size_t want;

	if (len == 0)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (data[0] == GNUT_GGEP_H_SHA1)
		want = 1 + GNUT_SHA1_LEN;
	else if (data[0] == GNUT_GGEP_H_BITPRINT)
		want = 1 + GNUT_SHA1_LEN + GNUT_TIGER_LEN;
	else
		return GNUT_PROTO_ERR_UNSUPPORTED;
	if (len < want)
		return GNUT_PROTO_ERR_TRUNCATED;
	if (len > want)
		return GNUT_PROTO_ERR_TRAILING;

	memset(out, 0, sizeof *out);
	out->has_sha1 = true;
	memcpy(out->sha1, data + 1, GNUT_SHA1_LEN);
	if (data[0] == GNUT_GGEP_H_BITPRINT) {
		out->has_tiger = true;
		memcpy(out->tiger, data + 1 + GNUT_SHA1_LEN, GNUT_TIGER_LEN);
	}
	return GNUT_PROTO_OK;
}

gnut_proto_err gnut_ggep_h_encode(const gnut_urn *u, GByteArray *out)
{
	if (!u->has_sha1)
		return GNUT_PROTO_ERR_UNSUPPORTED;
	const uint8_t type = u->has_tiger ? GNUT_GGEP_H_BITPRINT : GNUT_GGEP_H_SHA1;
	g_byte_array_append(out, &type, 1);
	g_byte_array_append(out, u->sha1, GNUT_SHA1_LEN);
	if (u->has_tiger)
		g_byte_array_append(out, u->tiger, GNUT_TIGER_LEN);
	return GNUT_PROTO_OK;
}
