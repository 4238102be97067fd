/* test-query.c: the query payload codec: vectors after the HUGE 0.94 and
 * GGEP 0.51 examples, caps, round trips, and every truncation. */
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/query.h"
#include "unit.h"

#include <string.h>

#define SPEC_URN "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"

/* The SHA-1 of the HUGE examples, base32 PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB. */
static const uint8_t spec_sha1[GNUT_SHA1_LEN] = {
    0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
    0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};

/* A digest holding 0x00 and 0x1C, the bytes that delimit items. */
static const uint8_t zero_sha1[GNUT_SHA1_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x00, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
};

/* flags 0x8800 (mark, GGEP H), "ubuntu", then a GGEP block written by hand:
 * magic, flags 0x81 (last, ID length 1), "H", length 0x55 (21), 0x01 and
 * the SHA-1. */
static const uint8_t ggep_h_query[] = {
    0x88, 0x00, 'u',  'b',  'u',  'n',  't',  'u',  0x00, 0xc3, 0x81, 'H',
    0x55, 0x01, 0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
    0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};
#define GGEP_H_OFFSET 9 /* where the block starts */

/* A heap copy of exactly len bytes, so ASan sees any read past the end. */
static uint8_t *exact_copy(const void *data, size_t len)
{
	return g_memdup2(len > 0 ? data : "", len > 0 ? len : 1);
}

/* Decodes an exact copy of data, which *keep receives (the slices of q
 * point into it; the caller frees it). */
static gnut_proto_err decode_keep(const void *data, size_t len, gnut_query *q, uint8_t **keep)
{
	*keep = exact_copy(data, len);
	return gnut_query_decode(*keep, len, q);
}

/* The same, for checks that look at no slice afterwards. */
static gnut_proto_err decode_exact(const void *data, size_t len, gnut_query *q)
{
	uint8_t *copy = NULL;
	gnut_proto_err err = decode_keep(data, len, q, &copy);
	g_free(copy);
	return err;
}

static bool slice_is(const gnut_slice *s, const char *text)
{
	return s->len == strlen(text) && memcmp(s->data, text, s->len) == 0;
}

/* A GGEP block holding one "H" extension for sha1 (COBS when asked). */
static GByteArray *ggep_h_block(const uint8_t sha1[GNUT_SHA1_LEN], unsigned flags)
{
	uint8_t payload[1 + GNUT_SHA1_LEN];
	payload[0] = GNUT_GGEP_H_SHA1;
	memcpy(payload + 1, sha1, GNUT_SHA1_LEN);
	gnut_ggep_item item = {"H", payload, sizeof payload, flags};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_OK);
	return out;
}

static void test_huge_sha1_query(void)
{
	/* HUGE 1: "[0x00]urn:sha1:PLST...[0x00]" after a 0.4 minimum speed */
	static const char wire[] = "\x00\x00"
	                           "\x00" SPEC_URN "\x00";
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(decode_exact(wire, sizeof wire - 1, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags, 0);
	CU_ASSERT_EQUAL(q.text_len, 0);
	CU_ASSERT_EQUAL(q.n_urns, 1);
	CU_ASSERT_EQUAL(q.n_ggep, 0);
	CU_ASSERT_EQUAL(q.xml.len, 0);
	uint8_t *copy = exact_copy(wire, sizeof wire - 1);
	CU_ASSERT_EQUAL(gnut_query_decode(copy, sizeof wire - 1, &q), GNUT_PROTO_OK);
	CU_ASSERT(slice_is(&q.urns[0], SPEC_URN));
	gnut_urn urns[4];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 4), 1);
	CU_ASSERT(urns[0].has_sha1);
	CU_ASSERT_FALSE(urns[0].has_tiger);
	CU_ASSERT_EQUAL(memcmp(urns[0].sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	g_free(copy);
}

static void test_huge_urn_request(void)
{
	/* HUGE 4: "Gnutella Protocol[0x00]urn:[0x00]" asks for URNs in hits */
	static const char wire[] = "\x80\x00Gnutella Protocol\x00urn:\x00";
	uint8_t *copy = exact_copy(wire, sizeof wire - 1);
	gnut_query q;
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(copy, sizeof wire - 1, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags, GNUT_QUERY_F_MARK);
	CU_ASSERT_EQUAL(q.text_len, 17);
	CU_ASSERT_STRING_EQUAL(q.text, "Gnutella Protocol");
	CU_ASSERT_EQUAL(q.n_urns, 1);
	CU_ASSERT(slice_is(&q.urns[0], "urn:"));
	gnut_urn urns[2];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 2), 0);
	g_free(copy);
}

static void test_gem_two_urns(void)
{
	/* HUGE 3: extension1[0x1C]extension2[0x00]; the second URN is a
	 * bitprint (its SHA-1 part first), then the first again (a repeat) */
	static const char bitprint[] = "urn:bitprint:UOHKXSPXXL2AETVF6GCEMHKCW5ZDYEAA."
	                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	GString *w = g_string_new(NULL);
	g_string_append_len(w, "\xc0\x00mp3\x00", 6);
	g_string_append(w, SPEC_URN "\x1c");
	g_string_append(w, bitprint);
	g_string_append(w, "\x1c" SPEC_URN);
	g_string_append_c(w, '\0');
	gnut_query q;
	uint8_t *copy = exact_copy(w->str, w->len);
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(copy, w->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags, GNUT_QUERY_F_MARK | GNUT_QUERY_F_FIREWALLED);
	CU_ASSERT_EQUAL(q.n_urns, 3);
	CU_ASSERT(slice_is(&q.urns[1], bitprint));
	gnut_urn urns[8];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 8), 2);
	CU_ASSERT_EQUAL(memcmp(urns[0].sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT(urns[1].has_tiger);
	CU_ASSERT_EQUAL(urns[1].tiger[0], 0);
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 1), 1);
	g_free(copy);
	g_string_free(w, TRUE);
}

static void test_flag_bits(void)
{
	static const uint8_t wire[] = {0xfd, 0x01, 'x', 0x00};
	gnut_query q;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL_FATAL(decode_keep(wire, sizeof wire, &q, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags, 0xfd01);
	CU_ASSERT(q.flags & GNUT_QUERY_F_MARK);
	CU_ASSERT(q.flags & GNUT_QUERY_F_FIREWALLED);
	CU_ASSERT(q.flags & GNUT_QUERY_F_XML);
	CU_ASSERT(q.flags & GNUT_QUERY_F_LEAF_GUIDED);
	CU_ASSERT(q.flags & GNUT_QUERY_F_GGEP_H);
	CU_ASSERT(q.flags & GNUT_QUERY_F_OOB);
	CU_ASSERT_FALSE(q.flags & GNUT_QUERY_F_FW_TO_FW);
	CU_ASSERT(q.flags & GNUT_QUERY_F_SR_UDP);
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(out, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof wire);
	CU_ASSERT_EQUAL(memcmp(out->data, wire, sizeof wire), 0);
	g_byte_array_unref(out);
	g_free(copy);
}

static void test_hand_written_ggep_h(void)
{
	gnut_query q;
	uint8_t *copy = exact_copy(ggep_h_query, sizeof ggep_h_query);
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(copy, sizeof ggep_h_query, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.flags, GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H);
	CU_ASSERT_STRING_EQUAL(q.text, "ubuntu");
	CU_ASSERT_EQUAL(q.n_urns, 0);
	CU_ASSERT_EQUAL(q.n_ggep, 1);
	CU_ASSERT_EQUAL(q.ggep[0].len, sizeof ggep_h_query - GGEP_H_OFFSET);
	CU_ASSERT_PTR_EQUAL(q.ggep[0].data, copy + GGEP_H_OFFSET);
	gnut_urn urns[2];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 2), 1);
	CU_ASSERT_EQUAL(memcmp(urns[0].sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	g_free(copy);
}

/* flags, "text", NUL, then an unknown item, a URN, a GGEP block whose H
 * data is not COBS-encoded (so it holds 0x00 and 0x1C) and XML last. */
static GByteArray *mixed_query(void)
{
	GByteArray *w = g_byte_array_new();
	g_byte_array_append(w, (const uint8_t *)"\x84\x00text\x00junk\x1c", 12);
	g_byte_array_append(w, (const uint8_t *)SPEC_URN "\x1c", 42);
	GByteArray *block = ggep_h_block(zero_sha1, 0);
	g_byte_array_append(w, block->data, block->len);
	g_byte_array_unref(block);
	g_byte_array_append(w, (const uint8_t *)"\x1c<audio title=\"x\"/>", 19);
	return w;
}

static void test_mixed_items(void)
{
	GByteArray *w = mixed_query();
	CU_ASSERT(memchr(w->data + 7, 0, w->len - 7) != NULL); /* the GGEP data holds a NUL */
	gnut_query q;
	uint8_t *copy = exact_copy(w->data, w->len);
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(copy, w->len, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.n_urns, 1);
	CU_ASSERT_EQUAL(q.n_ggep, 1);
	CU_ASSERT(slice_is(&q.xml, "<audio title=\"x\"/>"));
	gnut_urn urns[4];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 4), 2);
	CU_ASSERT_EQUAL(memcmp(urns[0].sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(urns[1].sha1, zero_sha1, GNUT_SHA1_LEN), 0);
	g_free(copy);
	g_byte_array_unref(w);
}

static void test_rejects(void)
{
	gnut_query q;
	CU_ASSERT_EQUAL(decode_exact("\x80", 1, &q), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(decode_exact("\x80\x00", 2, &q), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(decode_exact("\x80\x00"
	                             "abc",
	                             5, &q),
	                GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(decode_exact("\x80\x00\xff\xfe\x00", 5, &q), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(decode_exact("\x80\x00\xc3\x00", 4, &q), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_PTR_NULL(q.text); /* zeroed on error */
	/* a GGEP block with a reserved flag bit, and one cut short */
	CU_ASSERT_EQUAL(decode_exact("\x80\x00x\x00\xc3\x91H\x40", 8, &q),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(decode_exact("\x80\x00x\x00\xc3\x81H", 7, &q), GNUT_PROTO_ERR_TRUNCATED);
	/* an empty query is valid for the codec (policy is the caller's) */
	CU_ASSERT_EQUAL(decode_exact("\x80\x00\x00", 3, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.text_len, 0);
}

static void expect_size(GByteArray *w, gnut_proto_err want)
{
	gnut_query q;
	CU_ASSERT_EQUAL(decode_exact(w->data, w->len, &q), want);
}

static void test_caps(void)
{
	GByteArray *w = g_byte_array_new();
	g_byte_array_append(w, (const uint8_t *)"\x80\x00", 2);
	for (int i = 0; i < GNUT_QUERY_MAX_TEXT; i++)
		g_byte_array_append(w, (const uint8_t *)"a", 1);
	g_byte_array_append(w, (const uint8_t *)"", 1);
	expect_size(w, GNUT_PROTO_OK);
	g_byte_array_set_size(w, w->len - 1);
	g_byte_array_append(w, (const uint8_t *)"a", 2); /* one more byte, and the NUL */
	expect_size(w, GNUT_PROTO_ERR_TOO_LARGE);

	g_byte_array_set_size(w, 0);
	g_byte_array_append(w, (const uint8_t *)"\x80\x00x", 4);
	for (int i = 0; i < GNUT_QUERY_MAX_URNS; i++)
		g_byte_array_append(w, (const uint8_t *)"urn:\x1c", 5);
	expect_size(w, GNUT_PROTO_OK);
	g_byte_array_append(w, (const uint8_t *)"urn:", 4);
	expect_size(w, GNUT_PROTO_ERR_TOO_LARGE);

	g_byte_array_set_size(w, 0);
	g_byte_array_append(w, (const uint8_t *)"\x80\x00x", 4);
	for (int i = 0; i < GNUT_QUERY_MAX_GGEP; i++)
		g_byte_array_append(w, (const uint8_t *)"\xc3\x82GV\x40", 5);
	expect_size(w, GNUT_PROTO_OK);
	g_byte_array_append(w, (const uint8_t *)"\xc3\x82GV\x40", 5);
	expect_size(w, GNUT_PROTO_ERR_TOO_LARGE);

	g_byte_array_set_size(w, 0);
	g_byte_array_append(w, (const uint8_t *)"\x80\x00x", 4);
	for (int i = 0; i < GNUT_QUERY_MAX_ITEMS; i++)
		g_byte_array_append(w, (const uint8_t *)"zz\x1c", 3);
	expect_size(w, GNUT_PROTO_OK);
	g_byte_array_append(w, (const uint8_t *)"zz", 2);
	expect_size(w, GNUT_PROTO_ERR_TOO_LARGE);

	g_byte_array_set_size(w, GNUT_QUERY_MAX_PAYLOAD + 1);
	memset(w->data, 0, w->len);
	expect_size(w, GNUT_PROTO_ERR_TOO_LARGE);
	g_byte_array_unref(w);
}

static void test_round_trip(void)
{
	GByteArray *h1 = ggep_h_block(spec_sha1, GNUT_GGEP_COBS);
	GByteArray *h2 = ggep_h_block(zero_sha1, 0);
	static const char text[] = "caf\xc3\xa9 na\xc3\xafve";
	gnut_query q = {
	    .flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H | GNUT_QUERY_F_OOB,
	    .text = text,
	    .text_len = strlen(text),
	    .urns = {{(const uint8_t *)"urn:", 4}, {(const uint8_t *)SPEC_URN, 41}},
	    .n_urns = 2,
	    .ggep = {{h1->data, h1->len}, {h2->data, h2->len}},
	    .n_ggep = 2,
	    .xml = {(const uint8_t *)"<q/>", 4},
	};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_query_encode(out, &q), GNUT_PROTO_OK);
	gnut_query back;
	uint8_t *copy = exact_copy(out->data, out->len);
	CU_ASSERT_EQUAL_FATAL(gnut_query_decode(copy, out->len, &back), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back.flags, q.flags);
	CU_ASSERT_EQUAL(back.text_len, q.text_len);
	CU_ASSERT_EQUAL(memcmp(back.text, text, q.text_len), 0);
	CU_ASSERT_EQUAL(back.n_urns, 2);
	CU_ASSERT(slice_is(&back.urns[1], SPEC_URN));
	CU_ASSERT_EQUAL(back.n_ggep, 2);
	CU_ASSERT_EQUAL(back.ggep[1].len, h2->len);
	CU_ASSERT_EQUAL(memcmp(back.ggep[1].data, h2->data, h2->len), 0);
	CU_ASSERT(slice_is(&back.xml, "<q/>"));
	gnut_urn urns[4];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&back, urns, 4), 2);
	CU_ASSERT_EQUAL(memcmp(urns[1].sha1, zero_sha1, GNUT_SHA1_LEN), 0);
	GByteArray *again = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(again, &back), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(again->len, out->len);
	CU_ASSERT_EQUAL(memcmp(again->data, out->data, out->len), 0);
	g_free(copy);
	g_byte_array_unref(again);
	g_byte_array_unref(out);
	g_byte_array_unref(h1);
	g_byte_array_unref(h2);
}

static void expect_encode_error(const gnut_query *q, gnut_proto_err want)
{
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(out, q), want);
	CU_ASSERT_EQUAL(out->len, 0);
	g_byte_array_unref(out);
}

static void test_encode_rejects(void)
{
	gnut_query q = {.flags = GNUT_QUERY_F_MARK, .text = "a\0b", .text_len = 3};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.text = "\xff", .text_len = 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.text = "a", .text_len = GNUT_QUERY_MAX_TEXT + 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_TOO_LARGE);
	q = (gnut_query){.urns = {{(const uint8_t *)"urx:", 4}}, .n_urns = 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.urns = {{(const uint8_t *)"urn:a\x1c", 6}}, .n_urns = 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.n_urns = GNUT_QUERY_MAX_URNS + 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_TOO_LARGE);
	q = (gnut_query){.xml = {(const uint8_t *)"xml", 3}};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.ggep = {{(const uint8_t *)"\xc4\x82GV\x40", 5}}, .n_ggep = 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	/* a valid block with a byte after it would not read back the same */
	q = (gnut_query){.ggep = {{(const uint8_t *)"\xc3\x82GV\x40z", 6}}, .n_ggep = 1};
	expect_encode_error(&q, GNUT_PROTO_ERR_MALFORMED);
	q = (gnut_query){.ggep = {{(const uint8_t *)"\xc3\x82GV\x40", 5}}, .n_ggep = 1};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(out, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, 8);
	g_byte_array_unref(out);
}

static size_t kept_bytes(const gnut_query *q)
{
	size_t n = q->text_len + q->xml.len;
	for (unsigned i = 0; i < q->n_urns; i++)
		n += q->urns[i].len;
	for (unsigned i = 0; i < q->n_ggep; i++)
		n += q->ggep[i].len;
	return n;
}

/* A cut inside the text is always an error. A cut in the extension area
 * can leave a shorter valid query (items are optional), so there the
 * decoder must either fail or keep strictly less than the whole. */
static void test_truncation_every_offset(void)
{
	GByteArray *w = mixed_query();
	gnut_query whole;
	CU_ASSERT_EQUAL_FATAL(decode_exact(w->data, w->len, &whole), GNUT_PROTO_OK);
	size_t text_end = 2 + whole.text_len + 1;
	size_t all = kept_bytes(&whole);
	unsigned errors = 0, wrong = 0;
	for (size_t cut = 0; cut < w->len; cut++) {
		gnut_query q;
		gnut_proto_err err = decode_exact(w->data, cut, &q);
		if (err != GNUT_PROTO_OK)
			errors++;
		else if (cut < text_end || kept_bytes(&q) >= all)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(errors, text_end + 24); /* and every cut inside the GGEP block */
	g_byte_array_unref(w);
}

static void test_inflated_ggep_length(void)
{
	uint8_t bad[sizeof ggep_h_query];
	memcpy(bad, ggep_h_query, sizeof bad);
	gnut_query q;
	bad[GGEP_H_OFFSET + 3] = 0x56; /* 22 where 21 bytes follow */
	CU_ASSERT_EQUAL(decode_exact(bad, sizeof bad, &q), GNUT_PROTO_ERR_TRUNCATED);
	bad[GGEP_H_OFFSET + 3] = 0x7f;
	CU_ASSERT_EQUAL(decode_exact(bad, sizeof bad, &q), GNUT_PROTO_ERR_TRUNCATED);
	bad[GGEP_H_OFFSET + 3] = 0xbf; /* a 2-byte length with no second byte */
	CU_ASSERT_NOT_EQUAL(decode_exact(bad, sizeof bad, &q), GNUT_PROTO_OK);
	/* a smaller length ends the block early: its last byte becomes an
	 * unknown item, and H of 20 bytes is no SHA-1 */
	bad[GGEP_H_OFFSET + 3] = 0x54;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL(decode_keep(bad, sizeof bad, &q, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.n_ggep, 1);
	gnut_urn urns[1];
	CU_ASSERT_EQUAL(gnut_query_sha1s(&q, urns, 1), 0);
	g_free(copy);
}

static void test_ext_walker(void)
{
	static const uint8_t area[] = "\x1c\x1curn:x\x1c\xc3\x82GV\x40tail\x00\x00";
	size_t pos = 0;
	gnut_ext_item item;
	CU_ASSERT_EQUAL(gnut_ext_next(area, sizeof area - 1, &pos, &item), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(item.kind, GNUT_EXT_URN);
	CU_ASSERT(slice_is(&item.data, "urn:x"));
	CU_ASSERT_EQUAL(gnut_ext_next(area, sizeof area - 1, &pos, &item), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(item.kind, GNUT_EXT_GGEP);
	CU_ASSERT_EQUAL(item.data.len, 5);
	CU_ASSERT_EQUAL(gnut_ext_next(area, sizeof area - 1, &pos, &item), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(item.kind, GNUT_EXT_UNKNOWN);
	CU_ASSERT(slice_is(&item.data, "tail"));
	CU_ASSERT_EQUAL(gnut_ext_next(area, sizeof area - 1, &pos, &item), GNUT_PROTO_ERR_TRAILING);
	CU_ASSERT_EQUAL(pos, sizeof area - 1);
	gnut_urn u = {0};
	CU_ASSERT_FALSE(gnut_ext_item_urn(&item, &u));
}

static void test_ggep_u(void)
{
	/* HUGE 8: GGEP "u" holds the HUGE string without its "urn:" */
	static const char data[] = "sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB";
	gnut_ggep_item it = {"u", (const uint8_t *)data, strlen(data), 0};
	GByteArray *block = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_encode(&it, 1, block), GNUT_PROTO_OK);
	gnut_ext_item item = {GNUT_EXT_GGEP, {block->data, block->len}};
	gnut_urn u = {0};
	CU_ASSERT(gnut_ext_item_urn(&item, &u));
	CU_ASSERT(u.has_sha1);
	CU_ASSERT_EQUAL(memcmp(u.sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	g_byte_array_unref(block);
}

static CU_TestInfo tests[] = {
    {"HUGE query by SHA-1", test_huge_sha1_query},
    {"HUGE request for URNs", test_huge_urn_request},
    {"HUGE GEM items, bitprint, repeat", test_gem_two_urns},
    {"flag bits", test_flag_bits},
    {"hand-written GGEP H", test_hand_written_ggep_h},
    {"mixed items, NUL inside GGEP", test_mixed_items},
    {"rejects", test_rejects},
    {"caps", test_caps},
    {"round trip", test_round_trip},
    {"encoder rejects", test_encode_rejects},
    {"truncation at every offset", test_truncation_every_offset},
    {"inflated GGEP length", test_inflated_ggep_length},
    {"extension walker", test_ext_walker},
    {"GGEP u", test_ggep_u},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("query", tests)
