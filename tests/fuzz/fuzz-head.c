/* fuzz-head.c: header block scanning and parsing of arbitrary bytes, the
 * round trip of whatever parses (serialize, parse again, same headers), the
 * value helpers on every header, and the handshake start-line parsers. */
#include "fuzz.h"
#include "gnut/proto/handshake-msg.h"
#include "gnut/proto/head.h"

#include <stdlib.h>
#include <string.h>

/* Every helper on one value; they must not crash whatever it holds. */
static void poke_value(const char *value)
{
	unsigned major = 0, minor = 0, code = 0;
	bool b = false;
	uint64_t u = 0;
	const char *reason = NULL;
	(void)gnut_head_value_has_token(value, "deflate");
	(void)gnut_head_feature_version(value, "browse", &major, &minor);
	(void)gnut_head_parse_version(value, &major, &minor);
	(void)gnut_head_parse_bool(value, &b);
	(void)gnut_head_parse_u64(value, &u);
	if (gnut_head_parse_code_reason(value, &code, &reason) == GNUT_PROTO_OK &&
	    (code < 100 || code > 999))
		abort();
}

static void check_start_line(const char *line)
{
	unsigned major = 0, minor = 0;
	(void)gnut_handshake_parse_connect(line, &major, &minor);
	gnut_handshake_status st;
	if (gnut_handshake_parse_status(line, &st) != GNUT_PROTO_OK)
		return;
	if (!gnut_head_is_valid_value(st.reason))
		abort();
	char *again = gnut_handshake_status_line(st.code, st.reason);
	gnut_handshake_status st2;
	if (gnut_handshake_parse_status(again, &st2) != GNUT_PROTO_OK || st2.code != st.code ||
	    strcmp(st2.reason, st.reason) != 0)
		abort();
	g_free(again);
}

/* Serializing a parsed block and parsing it again gives the same headers
 * (or TOO_LARGE, as joined continuations can make a line longer). */
static void check_round_trip(const gnut_head *h)
{
	GString *wire = gnut_head_serialize(h);
	gnut_head *back = NULL;
	gnut_proto_err err = gnut_head_parse((const uint8_t *)wire->str, wire->len, &back);
	if (err == GNUT_PROTO_ERR_TOO_LARGE) {
		g_string_free(wire, TRUE);
		return;
	}
	if (err != GNUT_PROTO_OK || strcmp(gnut_head_start_line(h), gnut_head_start_line(back)) ||
	    gnut_head_count(h) != gnut_head_count(back))
		abort();
	for (size_t i = 0; i < gnut_head_count(h); i++) {
		const char *name = gnut_head_name(h, i);
		if (strcmp(name, gnut_head_name(back, i)) != 0 ||
		    strcmp(gnut_head_value(h, i), gnut_head_value(back, i)) != 0 ||
		    strcmp(gnut_head_get(h, name), gnut_head_get(back, name)) != 0)
			abort();
	}
	gnut_head_free(back);
	g_string_free(wire, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t head_len = 0;
	gnut_proto_err scanned = gnut_head_scan(data, size, &head_len);
	gnut_head *h = NULL;
	gnut_proto_err err = gnut_head_parse(data, size, &h);
	if (scanned == GNUT_PROTO_OK && head_len > size)
		abort();
	if (scanned != GNUT_PROTO_OK && err != scanned)
		abort();
	if (scanned == GNUT_PROTO_OK && head_len < size && err != GNUT_PROTO_ERR_TRAILING)
		abort();
	if (err == GNUT_PROTO_OK) {
		check_start_line(gnut_head_start_line(h));
		for (size_t i = 0; i < gnut_head_count(h); i++)
			poke_value(gnut_head_value(h, i));
		check_round_trip(h);
		gnut_head_free(h);
	} else if (h != NULL) {
		abort();
	}

	char *text = g_strndup((const char *)data, size);
	check_start_line(text);
	poke_value(text);
	g_free(text);
	return 0;
}
