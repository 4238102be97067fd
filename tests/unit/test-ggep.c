/* test-ggep.c: GGEP length chunks (the specification's boundary cases),
 * COBS vectors from the Cheshire & Baker paper, whole-block round trips at
 * the boundary sizes, hand-made wire vectors (including a COBS-encoded "H"
 * as the deployed reference servent sends it), deflate, a deflate bomb, and
 * every decoder fed truncated input and inflated length fields. */
#include "gnut/proto/cobs.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <string.h>
#include <zlib.h>

static const struct {
	size_t len;
	uint8_t wire[3];
	size_t n;
} len_vectors[] = {
    {0, {0x40}, 1},
    {63, {0x7f}, 1},
    {64, {0x81, 0x40}, 2},
    {4095, {0xbf, 0x7f}, 2},
    {4096, {0x81, 0x80, 0x40}, 3},
    {262143, {0xbf, 0xbf, 0x7f}, 3},
};

static void test_len_chunks(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(len_vectors); i++) {
		uint8_t out[3] = {0};
		size_t n = gnut_ggep_len_encode(len_vectors[i].len, out);
		CU_ASSERT_EQUAL(n, len_vectors[i].n);
		CU_ASSERT_EQUAL(gnut_ggep_len_size(len_vectors[i].len), len_vectors[i].n);
		CU_ASSERT_EQUAL(memcmp(out, len_vectors[i].wire, n), 0);
		size_t len = 99, used = 99;
		CU_ASSERT_EQUAL(gnut_ggep_len_decode(len_vectors[i].wire, n, &len, &used),
		                GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(len, len_vectors[i].len);
		CU_ASSERT_EQUAL(used, n);
		/* every shorter prefix is truncated */
		for (size_t cut = 0; cut < n; cut++)
			CU_ASSERT_EQUAL(gnut_ggep_len_decode(len_vectors[i].wire, cut, &len, &used),
			                GNUT_PROTO_ERR_TRUNCATED);
	}
	uint8_t out[3];
	CU_ASSERT_EQUAL(gnut_ggep_len_encode(262144, out), 0);
	CU_ASSERT_EQUAL(gnut_ggep_len_size(262144), 0);
}

static void test_len_rejects(void)
{
	size_t len = 0, used = 0;
	static const uint8_t zero[] = {0x00};
	static const uint8_t both[] = {0xc0};
	static const uint8_t four[] = {0x81, 0x81, 0x81, 0x40};
	static const uint8_t nonminimal[] = {0x80, 0x41};
	CU_ASSERT_EQUAL(gnut_ggep_len_decode(zero, 1, &len, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_len_decode(both, 1, &len, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_len_decode(four, 4, &len, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_len_decode(nonminimal, 2, &len, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_EQUAL(used, 2);
}

static void check_cobs(const uint8_t *plain, size_t n, const uint8_t *enc, size_t en)
{
	GByteArray *out = g_byte_array_new();
	gnut_cobs_encode(plain, n, out);
	CU_ASSERT_EQUAL(out->len, en);
	CU_ASSERT_EQUAL(memcmp(out->data, enc, MIN(out->len, en)), 0);
	CU_ASSERT(out->len <= gnut_cobs_encoded_max(n));
	uint8_t back[600];
	size_t back_len = 0;
	CU_ASSERT_EQUAL(gnut_cobs_decode(enc, en, back, sizeof back, &back_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back_len, n);
	CU_ASSERT_EQUAL(memcmp(back, plain, MIN(back_len, n)), 0);
	g_byte_array_unref(out);
}

static void test_cobs_vectors(void)
{
	check_cobs((const uint8_t *)"", 0, (const uint8_t *)"\x01", 1);
	check_cobs((const uint8_t *)"\x00", 1, (const uint8_t *)"\x01\x01", 2);
	check_cobs((const uint8_t *)"\x11\x22\x00\x33", 4, (const uint8_t *)"\x03\x11\x22\x02\x33",
	           5);
	check_cobs((const uint8_t *)"\x11\x22\x33\x44", 4, (const uint8_t *)"\x05\x11\x22\x33\x44",
	           5);
	check_cobs((const uint8_t *)"\x11\x00\x00\x00", 4, (const uint8_t *)"\x02\x11\x01\x01\x01",
	           5);

	/* 254 non-zero bytes fill one 0xff block; 255 need a second block */
	uint8_t plain[255], enc[258];
	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = (uint8_t)(i % 255 + 1);
	enc[0] = 0xff;
	memcpy(enc + 1, plain, 254);
	check_cobs(plain, 254, enc, 255);
	enc[255] = 0x02;
	enc[256] = plain[254];
	check_cobs(plain, 255, enc, 257);

	/* the paper's encoder closes a final 0xff block with 0x01: same data */
	uint8_t back[300];
	size_t back_len = 0;
	enc[255] = 0x01;
	CU_ASSERT_EQUAL(gnut_cobs_decode(enc, 256, back, sizeof back, &back_len), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back_len, 254);
}

static void test_cobs_rejects(void)
{
	uint8_t out[16];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"", 0, out, sizeof out, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"\x00", 1, out, sizeof out, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"\x03\x11\x00", 3, out, sizeof out, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"\x05\x11\x22", 3, out, sizeof out, &n),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"\x03\x11\x22\x02\x33", 5, out, 3, &n),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_cobs_decode((const uint8_t *)"\x03\x11\x22\x02\x33", 5, out, 4, &n),
	                GNUT_PROTO_OK);
}

/* A block of two extensions as a servent sends it in a pong: "VC" (vendor
 * code GTKG) then "DU" (daily uptime 0x0e10), marked last. */
static const uint8_t pong_block[] = {0xc3, 0x02, 'V', 'C', 0x44, 'G',  'T', 'K',
                                     'G',  0x82, 'D', 'U', 0x42, 0x10, 0x0e};

static void test_known_block(void)
{
	uint8_t buf[sizeof pong_block + 2];
	memcpy(buf, pong_block, sizeof pong_block);
	buf[sizeof pong_block] = 0x1c; /* whatever follows is not the block's */
	buf[sizeof pong_block + 1] = 0x00;
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(buf, sizeof buf, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(used, sizeof pong_block);
	CU_ASSERT_EQUAL(g.count, 2);
	const gnut_ggep_ext *vc = gnut_ggep_find(&g, "VC");
	const gnut_ggep_ext *du = gnut_ggep_find(&g, "DU");
	CU_ASSERT_PTR_NOT_NULL_FATAL(vc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(du);
	CU_ASSERT_EQUAL(vc->len, 4);
	CU_ASSERT_STRING_EQUAL((const char *)vc->data, "GTKG"); /* NUL-terminated */
	CU_ASSERT_EQUAL(du->len, 2);
	CU_ASSERT_EQUAL(du->data[0], 0x10);
	CU_ASSERT_EQUAL(du->data[1], 0x0e);
	CU_ASSERT_PTR_NULL(gnut_ggep_find(&g, "V"));
	CU_ASSERT_PTR_NULL(gnut_ggep_find(&g, "vc"));

	/* the encoder writes the very same bytes */
	const gnut_ggep_item items[] = {{"VC", (const uint8_t *)"GTKG", 4, 0},
	                                {"DU", (const uint8_t *)"\x10\x0e", 2, 0}};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(items, 2, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof pong_block);
	CU_ASSERT_EQUAL(memcmp(out->data, pong_block, MIN(out->len, sizeof pong_block)), 0);
	g_byte_array_unref(out);
	gnut_ggep_clear(&g);
	CU_ASSERT_EQUAL(g.count, 0);
}

/* Encodes one extension of n bytes with flags, checks the length field on
 * the wire (when not compressed) and decodes it back. */
static void round_trip_size(size_t n, unsigned flags)
{
	uint8_t *data = g_malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	const gnut_ggep_item item = {"SIZE", data, n, flags};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_OK);
	if (flags == 0) {
		uint8_t want[3];
		size_t wn = gnut_ggep_len_encode(n, want);
		CU_ASSERT_EQUAL(out->len, 1 + 1 + 4 + wn + n);
		CU_ASSERT_EQUAL(memcmp(out->data + 6, want, wn), 0);
	}
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(out->data, out->len, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(used, out->len);
	CU_ASSERT_EQUAL(g.count, 1);
	CU_ASSERT_STRING_EQUAL(g.ext[0].id, "SIZE");
	CU_ASSERT_EQUAL(g.ext[0].len, n);
	CU_ASSERT(n == 0 || memcmp(g.ext[0].data, data, n) == 0);
	gnut_ggep_clear(&g);
	g_byte_array_unref(out);
	g_free(data);
}

static void test_round_trip_sizes(void)
{
	static const size_t sizes[] = {0, 1, 63, 64, 4095, 4096, GNUT_GGEP_MAX_DATA};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		round_trip_size(sizes[i], 0);
		round_trip_size(sizes[i], GNUT_GGEP_COBS);
		round_trip_size(sizes[i], GNUT_GGEP_DEFLATE);
		round_trip_size(sizes[i], GNUT_GGEP_COBS | GNUT_GGEP_DEFLATE);
	}
}

/* Builds a raw block by hand: one extension "X", given flag bits and wire
 * bytes, so tests can send what our encoder would refuse to write. */
static GByteArray *raw_block(uint8_t flag_bits, const uint8_t *wire, size_t n)
{
	GByteArray *b = g_byte_array_new();
	uint8_t head[6] = {GNUT_GGEP_MAGIC, (uint8_t)(0x80 | flag_bits | 1), 'X'};
	size_t ln = gnut_ggep_len_encode(n, head + 3);
	g_byte_array_append(b, head, (guint)(3 + ln));
	g_byte_array_append(b, wire, (guint)n);
	return b;
}

static void test_data_cap(void)
{
	/* the largest wire length (262143): raw data over the cap */
	uint8_t *big = g_malloc0(262143);
	memset(big, 'a', 262143);
	GByteArray *b = raw_block(0, big, 262143);
	CU_ASSERT_EQUAL(b->data[3], 0xbf);
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(g.count, 0);
	g_byte_array_unref(b);
	b = raw_block(0, big, GNUT_GGEP_MAX_DATA);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_OK);
	gnut_ggep_clear(&g);
	g_byte_array_unref(b);
	b = raw_block(0, big, GNUT_GGEP_MAX_DATA + 1);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_TOO_LARGE);
	g_byte_array_unref(b);

	/* the encoder refuses data the decoder would */
	const gnut_ggep_item item = {"X", big, GNUT_GGEP_MAX_DATA + 1, 0};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(out->len, 0);
	g_byte_array_unref(out);
	g_free(big);
}

/* The deployed reference servent COBS-encodes GGEP "H" when the payload
 * holds a 0x00 byte. Hand-made: type 0x01, a SHA-1 of 0xaa with a zero at
 * index 5. COBS: code 07 for 01 aa*5 then the zero, code 0f for aa*14. */
static void test_cobs_h_as_deployed(void)
{
	uint8_t wire[4 + 22] = {GNUT_GGEP_MAGIC, 0x80 | 0x40 | 1, 'H', 0x40 | 22};
	uint8_t *p = wire + 4;
	*p++ = 0x07;
	*p++ = 0x01;
	for (int i = 0; i < 5; i++)
		*p++ = 0xaa;
	*p++ = 0x0f;
	for (int i = 0; i < 14; i++)
		*p++ = 0xaa;
	uint8_t sha1[GNUT_SHA1_LEN];
	memset(sha1, 0xaa, sizeof sha1);
	sha1[5] = 0;

	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(wire, sizeof wire, &g, &used), GNUT_PROTO_OK);
	const gnut_ggep_ext *h = gnut_ggep_find(&g, "H");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(h->len, 1 + GNUT_SHA1_LEN);
	gnut_urn urn;
	CU_ASSERT_EQUAL(gnut_ggep_h_decode(h->data, h->len, &urn), GNUT_PROTO_OK);
	CU_ASSERT(urn.has_sha1);
	CU_ASSERT(!urn.has_tiger);
	CU_ASSERT_EQUAL(memcmp(urn.sha1, sha1, GNUT_SHA1_LEN), 0);
	gnut_ggep_clear(&g);

	/* our encoder, asked for COBS, writes the same bytes */
	GByteArray *payload = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_h_encode(&urn, payload), GNUT_PROTO_OK);
	const gnut_ggep_item item = {"H", payload->data, payload->len, GNUT_GGEP_COBS};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, sizeof wire);
	CU_ASSERT_EQUAL(memcmp(out->data, wire, MIN(out->len, sizeof wire)), 0);
	g_byte_array_unref(out);
	g_byte_array_unref(payload);
}

/* zlib's compress() of "hello", as a fixed vector. */
static const uint8_t hello_z[] = {0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
                                  0x07, 0x00, 0x06, 0x2c, 0x02, 0x15};

static void test_deflate_vector(void)
{
	GByteArray *b = raw_block(0x20, hello_z, sizeof hello_z);
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(g.ext[0].len, 5);
	CU_ASSERT_STRING_EQUAL((const char *)g.ext[0].data, "hello");
	gnut_ggep_clear(&g);
	g_byte_array_unref(b);

	/* a stream cut short, trailing bytes after its end, and garbage */
	b = raw_block(0x20, hello_z, sizeof hello_z - 4);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_TRUNCATED);
	g_byte_array_unref(b);
	uint8_t longer[sizeof hello_z + 1];
	memcpy(longer, hello_z, sizeof hello_z);
	longer[sizeof hello_z] = 0x55;
	b = raw_block(0x20, longer, sizeof longer);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_TRAILING);
	g_byte_array_unref(b);
	b = raw_block(0x20, (const uint8_t *)"garbage!", 8);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	g_byte_array_unref(b);
	/* zero bytes cannot be a deflate stream, nor a COBS encoding */
	b = raw_block(0x20, NULL, 0);
	CU_ASSERT_NOT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_OK);
	g_byte_array_unref(b);
	b = raw_block(0x40, NULL, 0);
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	g_byte_array_unref(b);
}

static void test_deflate_round_trip(void)
{
	GString *text = g_string_new(NULL);
	for (int i = 0; i < 200; i++)
		g_string_append_printf(text, "alt-loc 10.0.0.%d:6346 ", i % 7);
	const gnut_ggep_item item = {"ALT", (const uint8_t *)text->str, text->len,
	                             GNUT_GGEP_DEFLATE};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_encode(&item, 1, out), GNUT_PROTO_OK);
	CU_ASSERT(out->len < text->len / 4);
	CU_ASSERT_EQUAL(out->data[1], 0x80 | 0x20 | 3);
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(out->data, out->len, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(g.ext[0].len, text->len);
	CU_ASSERT_EQUAL(memcmp(g.ext[0].data, text->str, text->len), 0);
	gnut_ggep_clear(&g);
	g_byte_array_unref(out);
	g_string_free(text, TRUE);
}

/* zlib-compresses n zero bytes into a new array. */
static GByteArray *zeros_deflated(size_t n)
{
	uint8_t *zeros = g_malloc0(n);
	uLongf zn = compressBound((uLong)n);
	GByteArray *z = g_byte_array_sized_new((guint)zn);
	g_byte_array_set_size(z, (guint)zn);
	CU_ASSERT_EQUAL(compress2(z->data, &zn, zeros, (uLong)n, 9), Z_OK);
	g_byte_array_set_size(z, (guint)zn);
	g_free(zeros);
	return z;
}

static void test_deflate_bomb(void)
{
	static const size_t sizes[] = {GNUT_GGEP_MAX_DATA, GNUT_GGEP_MAX_DATA + 1, 16u << 20};
	static const gnut_proto_err want[] = {GNUT_PROTO_OK, GNUT_PROTO_ERR_TOO_LARGE,
	                                      GNUT_PROTO_ERR_TOO_LARGE};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		GByteArray *z = zeros_deflated(sizes[i]);
		GByteArray *b = raw_block(0x20, z->data, z->len);
		gnut_ggep g;
		size_t used = 0;
		CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), want[i]);
		if (want[i] == GNUT_PROTO_OK) {
			CU_ASSERT_EQUAL(g.ext[0].len, sizes[i]);
		} else {
			CU_ASSERT_EQUAL(g.count, 0);
		}
		gnut_ggep_clear(&g);
		g_byte_array_unref(b);

		/* the same bomb behind COBS */
		GByteArray *c = g_byte_array_new();
		gnut_cobs_encode(z->data, z->len, c);
		b = raw_block(0x60, c->data, c->len);
		CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), want[i]);
		gnut_ggep_clear(&g);
		g_byte_array_unref(b);
		g_byte_array_unref(c);
		g_byte_array_unref(z);
	}
}

/* A block mixing plain, COBS, deflate and both, used by the truncation and
 * inflation tests. */
static GByteArray *mixed_block(void)
{
	static const uint8_t bin[] = {0x00, 0x01, 0x00, 0xff, 0x00};
	const gnut_ggep_item items[] = {
	    {"GUE", (const uint8_t *)"\x01", 1, 0},
	    {"B", bin, sizeof bin, GNUT_GGEP_COBS},
	    {"Z", (const uint8_t *)"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 30, GNUT_GGEP_DEFLATE},
	    {"BZ", bin, sizeof bin, GNUT_GGEP_COBS | GNUT_GGEP_DEFLATE},
	    {"NONE", NULL, 0, 0},
	};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(items, G_N_ELEMENTS(items), out), GNUT_PROTO_OK);
	return out;
}

static void test_mixed_block(void)
{
	GByteArray *b = mixed_block();
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(g.count, 5);
	CU_ASSERT_EQUAL(used, b->len);
	const gnut_ggep_ext *bz = gnut_ggep_find(&g, "BZ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(bz);
	CU_ASSERT_EQUAL(bz->len, 5);
	CU_ASSERT_EQUAL(memcmp(bz->data, "\x00\x01\x00\xff\x00", 5), 0);
	const gnut_ggep_ext *none = gnut_ggep_find(&g, "NONE");
	CU_ASSERT_PTR_NOT_NULL_FATAL(none);
	CU_ASSERT_EQUAL(none->len, 0);
	/* no 0x00 in the COBS-encoded extension's wire bytes */
	CU_ASSERT_PTR_NULL(memchr(b->data + 1 + 1 + 3 + 1 + 1 + 1 + 1 + 1, 0, 6));
	gnut_ggep_clear(&g);
	g_byte_array_unref(b);
}

static void test_truncation_every_offset(void)
{
	GByteArray *b = mixed_block();
	for (size_t cut = 0; cut < b->len; cut++) {
		uint8_t *copy = g_memdup2(b->data, cut);
		gnut_ggep g;
		size_t used = 0;
		gnut_proto_err err = gnut_ggep_decode(copy, cut, &g, &used);
		CU_ASSERT_NOT_EQUAL(err, GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(g.count, 0);
		g_free(copy);
	}
	g_byte_array_unref(b);
	for (size_t cut = 0; cut < sizeof pong_block; cut++) {
		gnut_ggep g;
		size_t used = 0;
		CU_ASSERT_EQUAL(gnut_ggep_decode(pong_block, cut, &g, &used),
		                GNUT_PROTO_ERR_TRUNCATED);
	}
}

/* Every one-byte length field of the pong vector raised to each larger
 * value runs past the data and must be refused. */
static void test_inflated_lengths(void)
{
	static const size_t len_at[] = {4, 12};
	for (size_t i = 0; i < G_N_ELEMENTS(len_at); i++) {
		uint8_t copy[sizeof pong_block];
		unsigned orig = pong_block[len_at[i]] & 0x3f;
		for (unsigned v = orig + 1; v <= 0x3f; v++) {
			memcpy(copy, pong_block, sizeof copy);
			copy[len_at[i]] = (uint8_t)(0x40 | v);
			gnut_ggep g;
			size_t used = 0;
			CU_ASSERT_NOT_EQUAL(gnut_ggep_decode(copy, sizeof copy, &g, &used),
			                    GNUT_PROTO_OK);
		}
	}
	/* a two-chunk length where one was: 64 and up */
	uint8_t two[] = {0xc3, 0x81, 'X', 0x81, 0x40, 'a'};
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL(gnut_ggep_decode(two, sizeof two, &g, &used), GNUT_PROTO_ERR_TRUNCATED);
}

static void test_header_rejects(void)
{
	gnut_ggep g;
	size_t used = 0;
	static const uint8_t no_magic[] = {0xc4, 0x81, 'X', 0x40};
	static const uint8_t reserved[] = {0xc3, 0x91, 'X', 0x40};
	static const uint8_t no_id[] = {0xc3, 0x80, 0x40};
	static const uint8_t nul_id[] = {0xc3, 0x82, 'X', 0x00, 0x40};
	static const uint8_t ctl_id[] = {0xc3, 0x81, 0x07, 0x40};
	static const uint8_t not_last[] = {0xc3, 0x01, 'X', 0x40};
	static const uint8_t ok[] = {0xc3, 0x81, 'X', 0x40};
	CU_ASSERT_EQUAL(gnut_ggep_decode(no_magic, 4, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(reserved, 4, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(no_id, 3, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(nul_id, 5, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(ctl_id, 4, &g, &used), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(not_last, 4, &g, &used), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(ok, 0, &g, &used), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(gnut_ggep_decode(ok, 4, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(used, 4);
	CU_ASSERT_EQUAL(g.ext[0].len, 0);
	gnut_ggep_clear(&g);
}

/* 32 extensions fit; a 33rd is over the cap. */
static void test_extension_cap(void)
{
	GByteArray *b = g_byte_array_new();
	const uint8_t magic = GNUT_GGEP_MAGIC;
	g_byte_array_append(b, &magic, 1);
	for (int i = 0; i < GNUT_GGEP_MAX_EXTENSIONS + 1; i++) {
		uint8_t ext[] = {i == GNUT_GGEP_MAX_EXTENSIONS ? 0x81 : 0x01, 'X', 0x41, 'v'};
		g_byte_array_append(b, ext, sizeof ext);
	}
	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_ERR_TOO_LARGE);
	b->data[1 + 4 * (GNUT_GGEP_MAX_EXTENSIONS - 1)] |= 0x80; /* make the 32nd the last */
	CU_ASSERT_EQUAL(gnut_ggep_decode(b->data, b->len, &g, &used), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(g.count, GNUT_GGEP_MAX_EXTENSIONS);
	CU_ASSERT_EQUAL(used, 1 + 4 * GNUT_GGEP_MAX_EXTENSIONS);
	gnut_ggep_clear(&g);

	gnut_ggep_item items[GNUT_GGEP_MAX_EXTENSIONS + 1];
	for (size_t i = 0; i < G_N_ELEMENTS(items); i++)
		items[i] = (gnut_ggep_item){"X", NULL, 0, 0};
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(items, G_N_ELEMENTS(items), out),
	                GNUT_PROTO_ERR_TOO_LARGE);
	g_byte_array_unref(out);
	g_byte_array_unref(b);
}

static void test_encode_rejects(void)
{
	GByteArray *out = g_byte_array_new();
	g_byte_array_append(out, (const uint8_t *)"keep", 4);
	const gnut_ggep_item good = {"OK", (const uint8_t *)"x", 1, 0};
	const gnut_ggep_item bad[] = {
	    {"", NULL, 0, 0},
	    {"SIXTEEN-BYTES-ID", NULL, 0, 0},
	    {"tab\t", NULL, 0, 0},
	    {"F", NULL, 0, 4},
	};
	const gnut_proto_err want[] = {GNUT_PROTO_ERR_MALFORMED, GNUT_PROTO_ERR_MALFORMED,
	                               GNUT_PROTO_ERR_MALFORMED, GNUT_PROTO_ERR_UNSUPPORTED};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		const gnut_ggep_item pair[] = {good, bad[i]};
		CU_ASSERT_EQUAL(gnut_ggep_encode(pair, 2, out), want[i]);
		CU_ASSERT_EQUAL(out->len, 4); /* nothing half-written stays */
	}
	CU_ASSERT_EQUAL(gnut_ggep_encode(&good, 0, out), GNUT_PROTO_ERR_MALFORMED);
	const gnut_ggep_item fifteen = {"FIFTEEN-BYTE-ID", NULL, 0, 0};
	CU_ASSERT_EQUAL(gnut_ggep_encode(&fifteen, 1, out), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->data[5], 0x80 | 15);
	g_byte_array_unref(out);
}

/* Extension blocks may hold several GGEP blocks back to back. */
static void test_consecutive_blocks(void)
{
	uint8_t two[sizeof pong_block * 2];
	memcpy(two, pong_block, sizeof pong_block);
	memcpy(two + sizeof pong_block, pong_block, sizeof pong_block);
	gnut_ggep g;
	size_t used = 0, total = 0;
	int blocks = 0;
	while (total < sizeof two &&
	       gnut_ggep_decode(two + total, sizeof two - total, &g, &used) == GNUT_PROTO_OK) {
		total += used;
		blocks++;
		gnut_ggep_clear(&g);
	}
	CU_ASSERT_EQUAL(blocks, 2);
	CU_ASSERT_EQUAL(total, sizeof two);
}

static CU_TestInfo tests[] = {
    {"length chunks: boundary cases", test_len_chunks},
    {"length chunks: rejects", test_len_rejects},
    {"COBS: paper vectors", test_cobs_vectors},
    {"COBS: rejects", test_cobs_rejects},
    {"known pong block", test_known_block},
    {"round trips at boundary sizes", test_round_trip_sizes},
    {"data cap and the largest length", test_data_cap},
    {"COBS-encoded H as deployed", test_cobs_h_as_deployed},
    {"deflate vector and broken streams", test_deflate_vector},
    {"deflate round trip", test_deflate_round_trip},
    {"deflate bomb", test_deflate_bomb},
    {"mixed block", test_mixed_block},
    {"truncation at every offset", test_truncation_every_offset},
    {"inflated length fields", test_inflated_lengths},
    {"header rejects", test_header_rejects},
    {"extension count cap", test_extension_cap},
    {"encoder rejects", test_encode_rejects},
    {"consecutive blocks", test_consecutive_blocks},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ggep", tests)
