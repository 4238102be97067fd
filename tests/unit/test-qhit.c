/* test-qhit.c: the query hit payload codec: the HUGE 0.94 example, a hit
 * shaped like the reference servent's, the QHD flag bytes, round trips of
 * our own hits, caps, and every truncation and inflated field. */
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/tiger-tree.h"
#include "unit.h"

#include <string.h>

#define SPEC_URN "urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB"

static const uint8_t spec_sha1[GNUT_SHA1_LEN] = {
    0x7a, 0xe5, 0x33, 0xa1, 0xf0, 0x34, 0xa5, 0x99, 0xcb, 0xa5,
    0x4d, 0x1e, 0x05, 0x53, 0x36, 0xa1, 0xb1, 0x0c, 0x3c, 0xa1,
};

/* A digest holding 0x00 (so GGEP "H" needs COBS) and 0x1C. */
static const uint8_t zero_sha1[GNUT_SHA1_LEN] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x00, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
};

/* Shaped like the reference servent's hits: two results, the first with
 * GGEP "H" COBS-encoded and "CT", the second with a plain urn:sha1; vendor
 * GTKG, 2 bytes of open data, private GGEP (GTKGV, TLS, BH), GUID. */
// clang-format off
static const uint8_t gtkg_hit[] = {
	0x02,                   /* 2 results */
	0xca, 0x18,             /* port 6346 */
	0x01, 0x02, 0x03, 0x04, /* 1.2.3.4 */
	0xc8, 0x00, 0x00, 0x00, /* speed 200 */
	/* result 1: index 1, size 1 MiB, "ubuntu iso.txt" */
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
	'u', 'b', 'u', 'n', 't', 'u', ' ', 'i', 's', 'o', '.', 't', 'x', 't', 0x00,
	/* GGEP: H (0x41: COBS, ID length 1), 22 wire bytes: COBS of 0x01 +
	 * zero_sha1; CT (0xc2: last, COBS, ID length 2), 6 wire bytes */
	0xc3, 0x41, 'H', 0x56,
	0x07, 0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x0f, 0x16, 0x17, 0x18, 0x19,
	0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
	0xc2, 'C', 'T', 0x46, 0x06, 0x5e, 0x1a, 0x2b, 0x3c, 0x01,
	0x00,
	/* result 2: index 2, size 4096, "readme.txt", urn:sha1 */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
	'r', 'e', 'a', 'd', 'm', 'e', '.', 't', 'x', 't', 0x00,
	'u', 'r', 'n', ':', 's', 'h', 'a', '1', ':',
	'P', 'L', 'S', 'T', 'H', 'I', 'P', 'Q', 'G', 'S', 'S', 'Z', 'T', 'S', '5', 'F',
	'J', 'U', 'P', 'A', 'K', 'U', 'Z', 'W', 'U', 'G', 'Y', 'Q', 'Y', 'P', 'F', 'B',
	0x00,
	/* trailer: GTKG, open data 2: byte 1 = push value 0x01 + masks 0x04
	 * 0x08 0x20; byte 2 = push mask 0x01 + uploaded 0x08 + GGEP 0x20 */
	'G', 'T', 'K', 'G', 0x02, 0x2d, 0x29,
	/* private GGEP: GTKGV (14 bytes, holding NULs), TLS, BH (last) */
	0xc3, 0x05, 'G', 'T', 'K', 'G', 'V', 0x4e,
	0x01, 0x01, 0x02, 0x03, 0x00, 0x5e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x03, 'T', 'L', 'S', 0x40,
	0x82, 'B', 'H', 0x40,
	/* servent GUID */
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};
// clang-format on
#define GTKG_TRAILER_LEN  38 /* vendor 4, size 1, open 2, private 31 */
#define GTKG_PRIVATE_LEN  31
#define GTKG_OPEN_SIZE_AT (sizeof gtkg_hit - 16 - GTKG_TRAILER_LEN + 4)

/* HUGE 0.94 section 1: one result with its urn:sha1 between the NULs and
 * the servent identifier right after: a hit without QHD trailer. */
static GByteArray *huge_hit(void)
{
	static const uint8_t head[] = {0x01, 0xca, 0x18, 0x0a, 0x00, 0x00, 0x0a, 0x38, 0x00, 0x00,
	                               0x00, 0xa4, 0x09, 0x00, 0x00, 0xd7, 0x11, 0x00, 0x00};
	GByteArray *w = g_byte_array_new();
	g_byte_array_append(w, head, sizeof head);
	g_byte_array_append(w, (const uint8_t *)"GnutellaProtocol04.pdf\0" SPEC_URN, 23 + 42);
	for (uint8_t i = 0; i < 16; i++)
		g_byte_array_append(w, &i, 1);
	return w;
}

static uint8_t *exact_copy(const void *data, size_t len)
{
	return g_memdup2(len > 0 ? data : "", len > 0 ? len : 1);
}

/* Decodes an exact copy of data (the slices point into *keep). */
static gnut_proto_err decode_keep(const void *data, size_t len, gnut_qhit *h, uint8_t **keep)
{
	*keep = exact_copy(data, len);
	return gnut_qhit_decode(*keep, len, h);
}

/* Decodes an exact copy and frees everything: for the error code alone. */
static gnut_proto_err decode_err(const void *data, size_t len)
{
	gnut_qhit h;
	uint8_t *copy = NULL;
	gnut_proto_err err = decode_keep(data, len, &h, &copy);
	gnut_qhit_clear(&h);
	g_free(copy);
	return err;
}

static bool slice_is(const gnut_slice *s, const void *data, size_t len)
{
	return s->len == len && (len == 0 || memcmp(s->data, data, len) == 0);
}

static void test_huge_example(void)
{
	GByteArray *w = huge_hit();
	gnut_qhit h;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL_FATAL(decode_keep(w->data, w->len, &h, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.port, 6346);
	CU_ASSERT_EQUAL(h.ipv4, 0x0a00000a);
	CU_ASSERT_EQUAL(h.speed, 56);
	CU_ASSERT_EQUAL(h.n_results, 1);
	CU_ASSERT_EQUAL(h.results[0].index, 2468);
	CU_ASSERT_EQUAL(h.results[0].size, 4567);
	CU_ASSERT_STRING_EQUAL(h.results[0].name, "GnutellaProtocol04.pdf");
	CU_ASSERT(slice_is(&h.results[0].ext, SPEC_URN, 41));
	CU_ASSERT_FALSE(h.has_trailer);
	CU_ASSERT_EQUAL(h.flags_valid, 0);
	CU_ASSERT_EQUAL(h.servent.bytes[15], 15);
	gnut_urn u;
	CU_ASSERT(gnut_qhit_result_urn(&h.results[0], &u));
	CU_ASSERT_EQUAL(memcmp(u.sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_FALSE(u.has_tiger);
	gnut_qhit_clear(&h);
	CU_ASSERT_PTR_NULL(h.results);
	g_free(copy);
	g_byte_array_unref(w);
}

static void test_reference_shaped_hit(void)
{
	gnut_qhit h;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL_FATAL(decode_keep(gtkg_hit, sizeof gtkg_hit, &h, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.port, 6346);
	CU_ASSERT_EQUAL(h.ipv4, 0x01020304);
	CU_ASSERT_EQUAL(h.speed, 200);
	CU_ASSERT_EQUAL_FATAL(h.n_results, 2);
	CU_ASSERT_EQUAL(h.results[0].index, 1);
	CU_ASSERT_EQUAL(h.results[0].size, 1048576);
	CU_ASSERT_STRING_EQUAL(h.results[0].name, "ubuntu iso.txt");
	CU_ASSERT_EQUAL(h.results[0].ext.len, 36);
	CU_ASSERT_EQUAL(h.results[1].index, 2);
	CU_ASSERT_EQUAL(h.results[1].size, 4096);
	CU_ASSERT_EQUAL(h.results[1].name_len, 10);
	CU_ASSERT(h.has_trailer);
	CU_ASSERT_EQUAL(memcmp(h.vendor, "GTKG", 4), 0);
	CU_ASSERT_EQUAL(h.open_data.len, 2);
	CU_ASSERT_EQUAL(h.flags_valid, GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY | GNUT_QHIT_F_UPLOADED |
	                                   GNUT_QHIT_F_GGEP);
	CU_ASSERT_EQUAL(h.flags, GNUT_QHIT_F_PUSH | GNUT_QHIT_F_UPLOADED | GNUT_QHIT_F_GGEP);
	CU_ASSERT_EQUAL(h.private_area.len, GTKG_PRIVATE_LEN);
	CU_ASSERT(slice_is(&h.private_ggep, h.private_area.data, GTKG_PRIVATE_LEN));
	CU_ASSERT_EQUAL(h.servent.bytes[0], 0xa0);
	CU_ASSERT_EQUAL(h.servent.bytes[15], 0xaf);

	gnut_ggep g;
	size_t used = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(h.private_ggep.data, h.private_ggep.len, &g, &used),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(g.count, 3);
	const gnut_ggep_ext *v = gnut_ggep_find(&g, "GTKGV");
	CU_ASSERT(v != NULL && v->len == 14);
	CU_ASSERT_PTR_NOT_NULL(gnut_ggep_find(&g, "TLS"));
	CU_ASSERT_PTR_NOT_NULL(gnut_ggep_find(&g, "BH"));
	gnut_ggep_clear(&g);

	gnut_urn u;
	CU_ASSERT(gnut_qhit_result_urn(&h.results[0], &u));
	CU_ASSERT_EQUAL(memcmp(u.sha1, zero_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT(gnut_qhit_result_urn(&h.results[1], &u));
	CU_ASSERT_EQUAL(memcmp(u.sha1, spec_sha1, GNUT_SHA1_LEN), 0);
	gnut_qhit_clear(&h);
	g_free(copy);
}

/* A one-result hit with the given open data bytes and no private area. */
static GByteArray *flags_hit(uint8_t b1, uint8_t b2)
{
	static const uint8_t head[] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0,
	                               0,    0, 0, 0, 0, 0, 0, 0, 'a', 0, 0};
	GByteArray *w = g_byte_array_new();
	g_byte_array_append(w, head, sizeof head);
	g_byte_array_append(w, (const uint8_t *)"TEST\x02", 5);
	g_byte_array_append(w, &b1, 1);
	g_byte_array_append(w, &b2, 1);
	for (uint8_t i = 0; i < 16; i++)
		g_byte_array_append(w, &i, 1);
	return w;
}

static void check_flags(uint8_t b1, uint8_t b2, unsigned valid, unsigned set)
{
	GByteArray *w = flags_hit(b1, b2);
	gnut_qhit h;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL(decode_keep(w->data, w->len, &h, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.flags_valid, valid);
	CU_ASSERT_EQUAL(h.flags, set);
	gnut_qhit_clear(&h);
	g_free(copy);
	g_byte_array_unref(w);
}

static void test_flag_bytes_decode(void)
{
	check_flags(0x01, 0x00, 0, 0);                /* push value, no mask */
	check_flags(0x00, 0x01, GNUT_QHIT_F_PUSH, 0); /* known: not firewalled */
	check_flags(0x01, 0x01, GNUT_QHIT_F_PUSH, GNUT_QHIT_F_PUSH);
	check_flags(0x04, 0x00, GNUT_QHIT_F_BUSY, 0); /* busy mask in byte 1 */
	check_flags(0x00, 0x04, 0, 0);                /* value without mask */
	check_flags(0x1c, 0x1c, 0x1c, 0x1c);          /* busy, uploaded, speed */
	check_flags(0x3c, 0x1c, 0x3c, 0x1c);          /* GGEP known, not there */
	check_flags(0xc0, 0xc2, 0, 0);                /* unknown bits ignored */
	/* GGEP said present but the private area is empty */
	GByteArray *w = flags_hit(0x20, 0x20);
	CU_ASSERT_EQUAL(decode_err(w->data, w->len), GNUT_PROTO_ERR_MALFORMED);
	g_byte_array_unref(w);
}

static GByteArray *encode_one(const gnut_qhit *h)
{
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_encode(out, h), GNUT_PROTO_OK);
	return out;
}

static void test_flag_bytes_encode(void)
{
	gnut_qhit_result r = {.name = "a", .name_len = 1};
	gnut_qhit h = {.results = &r, .n_results = 1, .vendor = {'G', 'N', 'U', 'T'}};
	h.flags_valid = GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY;
	h.flags = GNUT_QHIT_F_PUSH;
	GByteArray *out = encode_one(&h);
	size_t at = GNUT_QHIT_HEAD_LEN + 8 + 3; /* the trailer */
	CU_ASSERT_EQUAL_FATAL(out->len, at + 7 + 16);
	CU_ASSERT_EQUAL(memcmp(out->data + at, "GNUT\x02", 5), 0);
	CU_ASSERT_EQUAL(out->data[at + 5], 0x01 | 0x04 | 0x20);
	CU_ASSERT_EQUAL(out->data[at + 6], 0x01);
	g_byte_array_unref(out);

	/* GGEP follows the private area, whatever the flags say */
	h.flags_valid = GNUT_QHIT_F_UPLOADED | GNUT_QHIT_F_SPEED;
	h.flags = GNUT_QHIT_F_ALL;
	h.private_area = (gnut_slice){(const uint8_t *)"\xc3\x82"
	                                               "BH\x40",
	                              5};
	out = encode_one(&h);
	CU_ASSERT_EQUAL(out->data[at + 5], 0x08 | 0x10 | 0x20);
	CU_ASSERT_EQUAL(out->data[at + 6], 0x08 | 0x10 | 0x20);
	gnut_qhit back;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL(decode_keep(out->data, out->len, &back, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back.flags, GNUT_QHIT_F_UPLOADED | GNUT_QHIT_F_SPEED | GNUT_QHIT_F_GGEP);
	CU_ASSERT_EQUAL(back.private_ggep.len, 5);
	gnut_qhit_clear(&back);
	g_free(copy);
	g_byte_array_unref(out);
}

static void test_result_ext_encode(void)
{
	gnut_urn u = {.has_sha1 = true};
	memcpy(u.sha1, spec_sha1, GNUT_SHA1_LEN);
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(out, &u, true, false), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(out->len, 41);
	CU_ASSERT_EQUAL(memcmp(out->data, SPEC_URN, 41), 0);

	/* no 0x00 in the digest: plain GGEP, written here by hand */
	g_byte_array_set_size(out, 0);
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(out, &u, false, true), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(out->len, 25);
	CU_ASSERT_EQUAL(memcmp(out->data, "\xc3\x81H\x55\x01", 5), 0);
	CU_ASSERT_EQUAL(memcmp(out->data + 5, spec_sha1, GNUT_SHA1_LEN), 0);

	/* a 0x00 in the digest: COBS, and still no NUL in the bytes */
	memcpy(u.sha1, zero_sha1, GNUT_SHA1_LEN);
	g_byte_array_set_size(out, 0);
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(out, &u, true, true), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(out->len, 41 + 1 + 26);
	CU_ASSERT_EQUAL(out->data[41], 0x1c);
	CU_ASSERT_EQUAL(out->data[43], 0xc1);
	CU_ASSERT_PTR_NULL(memchr(out->data, 0, out->len));

	/* no SHA-1: nothing written */
	g_byte_array_set_size(out, 0);
	gnut_urn none = {.has_tiger = true};
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(out, &none, true, true),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(out->len, 0);
	g_byte_array_unref(out);
}

static void test_result_urn_variants(void)
{
	static const char bitprint[] = "urn:bitprint:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB."
	                               "AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAI";
	gnut_qhit_result r = {.ext = {(const uint8_t *)bitprint, strlen(bitprint)}};
	gnut_urn u;
	CU_ASSERT(gnut_qhit_result_urn(&r, &u));
	CU_ASSERT(u.has_tiger);
	CU_ASSERT_EQUAL(u.tiger[0], 0x01);

	r.ext = (gnut_slice){(const uint8_t *)"junk\x1c" SPEC_URN, 46};
	CU_ASSERT(gnut_qhit_result_urn(&r, &u));
	CU_ASSERT_FALSE(u.has_tiger);

	r.ext = (gnut_slice){(const uint8_t *)"\xc3\x81H\x56\x01", 5}; /* cut short */
	CU_ASSERT_FALSE(gnut_qhit_result_urn(&r, &u));
	r.ext = (gnut_slice){NULL, 0};
	CU_ASSERT_FALSE(gnut_qhit_result_urn(&r, &u));
	r.ext = (gnut_slice){
	    (const uint8_t *)"urn:tree:tiger/:AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAI", 55};
	CU_ASSERT_FALSE(gnut_qhit_result_urn(&r, &u));
	CU_ASSERT(u.has_tiger);

	/* bitprint in GGEP H */
	gnut_urn both = {.has_sha1 = true, .has_tiger = true};
	memcpy(both.sha1, zero_sha1, GNUT_SHA1_LEN);
	memset(both.tiger, 0x55, GNUT_TIGER_LEN);
	GByteArray *ext = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(ext, &both, false, true), GNUT_PROTO_OK);
	r.ext = (gnut_slice){ext->data, ext->len};
	CU_ASSERT(gnut_qhit_result_urn(&r, &u));
	CU_ASSERT(u.has_tiger);
	CU_ASSERT_EQUAL(memcmp(u.tiger, both.tiger, GNUT_TIGER_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(u.sha1, zero_sha1, GNUT_SHA1_LEN), 0);
	g_byte_array_unref(ext);
}

static void test_round_trip_own_hit(void)
{
	gnut_urn a = {.has_sha1 = true}, b = {.has_sha1 = true, .has_tiger = true};
	memcpy(a.sha1, zero_sha1, GNUT_SHA1_LEN);
	memcpy(b.sha1, spec_sha1, GNUT_SHA1_LEN);
	memset(b.tiger, 0x42, GNUT_TIGER_LEN);
	GByteArray *ext_a = g_byte_array_new(), *ext_b = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(ext_a, &a, true, true), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_qhit_result_ext_encode(ext_b, &b, false, true), GNUT_PROTO_OK);
	gnut_ggep_item items[] = {{"GTKGV", (const uint8_t *)"\x01\x01\x02\x00", 4, 0},
	                          {"BH", NULL, 0, 0}};
	GByteArray *priv = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(items, 2, priv), GNUT_PROTO_OK);
	gnut_qhit_result res[3] = {
	    {7, 123456, "song.ogg", 8, {ext_a->data, ext_a->len}},
	    {8, 0xffffffffu, "big file.iso", 12, {ext_b->data, ext_b->len}},
	    {9, 0, "", 0, {NULL, 0}},
	};
	gnut_qhit h = {.port = 6347,
	               .ipv4 = 0x7f000001,
	               .speed = 1000,
	               .results = res,
	               .n_results = 3,
	               .vendor = {'G', 'N', 'U', 'T'},
	               .flags_valid = GNUT_QHIT_F_BUSY,
	               .flags = GNUT_QHIT_F_BUSY,
	               .private_area = {priv->data, priv->len}};
	for (int i = 0; i < 16; i++)
		h.servent.bytes[i] = (uint8_t)(0xf0 + i);
	GByteArray *out = encode_one(&h);
	gnut_qhit back;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL_FATAL(decode_keep(out->data, out->len, &back, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back.port, 6347);
	CU_ASSERT_EQUAL(back.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(back.speed, 1000);
	CU_ASSERT_EQUAL_FATAL(back.n_results, 3);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(back.results[i].index, res[i].index);
		CU_ASSERT_EQUAL(back.results[i].size, res[i].size);
		CU_ASSERT_STRING_EQUAL(back.results[i].name, res[i].name);
		CU_ASSERT(slice_is(&back.results[i].ext, res[i].ext.data, res[i].ext.len));
	}
	CU_ASSERT_EQUAL(memcmp(back.vendor, "GNUT", 4), 0);
	CU_ASSERT_EQUAL(back.flags, GNUT_QHIT_F_BUSY | GNUT_QHIT_F_GGEP);
	CU_ASSERT(slice_is(&back.private_ggep, priv->data, priv->len));
	CU_ASSERT_EQUAL(memcmp(&back.servent, &h.servent, 16), 0);
	gnut_urn u;
	CU_ASSERT(gnut_qhit_result_urn(&back.results[0], &u));
	CU_ASSERT_EQUAL(memcmp(u.sha1, zero_sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT(gnut_qhit_result_urn(&back.results[1], &u));
	CU_ASSERT(u.has_tiger && u.tiger[23] == 0x42);
	CU_ASSERT_FALSE(gnut_qhit_result_urn(&back.results[2], &u));
	GByteArray *again = encode_one(&back);
	CU_ASSERT(again->len == out->len && memcmp(again->data, out->data, out->len) == 0);
	gnut_qhit_clear(&back);
	g_free(copy);
	g_byte_array_unref(again);
	g_byte_array_unref(out);
	g_byte_array_unref(priv);
	g_byte_array_unref(ext_a);
	g_byte_array_unref(ext_b);
}

static void test_rejects(void)
{
	uint8_t bad[sizeof gtkg_hit];
	memcpy(bad, gtkg_hit, sizeof bad);
	bad[0] = 0;
	CU_ASSERT_EQUAL(decode_err(bad, sizeof bad), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(decode_err(gtkg_hit, GNUT_QHIT_MIN_LEN - 1), GNUT_PROTO_ERR_TRUNCATED);
	memcpy(bad, gtkg_hit, sizeof bad);
	bad[GTKG_OPEN_SIZE_AT - 4] = 0x01; /* a vendor code that is no name */
	CU_ASSERT_EQUAL(decode_err(bad, sizeof bad), GNUT_PROTO_ERR_MALFORMED);
	memcpy(bad, gtkg_hit, sizeof bad);
	bad[GTKG_OPEN_SIZE_AT + 3] = 0xc4; /* the private block loses its magic */
	CU_ASSERT_EQUAL(decode_err(bad, sizeof bad), GNUT_PROTO_ERR_MALFORMED);
	memcpy(bad, gtkg_hit, sizeof bad);
	bad[60] = 0xd2; /* a reserved bit in the CT header of result 1 */
	CU_ASSERT_EQUAL(decode_err(bad, sizeof bad), GNUT_PROTO_ERR_MALFORMED);

	GByteArray *w = g_byte_array_new();
	g_byte_array_set_size(w, GNUT_QHIT_MAX_PAYLOAD + 1);
	memset(w->data, 1, w->len);
	CU_ASSERT_EQUAL(decode_err(w->data, w->len), GNUT_PROTO_ERR_TOO_LARGE);
	/* a name at its cap, then one byte over */
	static const uint8_t head[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	for (size_t name = GNUT_QHIT_MAX_NAME; name <= GNUT_QHIT_MAX_NAME + 1; name++) {
		g_byte_array_set_size(w, 0);
		g_byte_array_append(w, head, sizeof head);
		g_byte_array_set_size(w, sizeof head + name + 2 + 16);
		memset(w->data + sizeof head, 'n', name);
		memset(w->data + sizeof head + name, 0, 2 + 16);
		CU_ASSERT_EQUAL(decode_err(w->data, w->len), name > GNUT_QHIT_MAX_NAME
		                                                 ? GNUT_PROTO_ERR_TOO_LARGE
		                                                 : GNUT_PROTO_OK);
	}
	g_byte_array_set_size(w, 0);
	g_byte_array_append(w, head, sizeof head);
	g_byte_array_set_size(w, sizeof head + 1 + GNUT_QHIT_MAX_EXT + 1 + 1 + GNUT_GUID_LEN);
	memset(w->data + sizeof head, 0, w->len - sizeof head);
	memset(w->data + sizeof head + 1, 'e', GNUT_QHIT_MAX_EXT + 1); /* NUL, ext, NUL, GUID */
	CU_ASSERT_EQUAL(decode_err(w->data, w->len), GNUT_PROTO_ERR_TOO_LARGE);
	g_byte_array_unref(w);
}

static void expect_encode_error(const gnut_qhit *h, gnut_proto_err want)
{
	GByteArray *out = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_qhit_encode(out, h), want);
	CU_ASSERT_EQUAL(out->len, 0);
	g_byte_array_unref(out);
}

static void test_encode_rejects(void)
{
	gnut_qhit_result *many = g_new0(gnut_qhit_result, GNUT_QHIT_MAX_RESULTS + 1);
	gnut_qhit h = {.results = many, .n_results = 0, .vendor = {'G', 'N', 'U', 'T'}};
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	h.n_results = GNUT_QHIT_MAX_RESULTS + 1;
	expect_encode_error(&h, GNUT_PROTO_ERR_TOO_LARGE);
	h.n_results = 1;
	many[0] = (gnut_qhit_result){.name = "a\0b", .name_len = 3};
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	many[0] = (gnut_qhit_result){.ext = {(const uint8_t *)"x\0y", 3}};
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	many[0] = (gnut_qhit_result){.ext = {(const uint8_t *)"\xc3\x81H\x56", 4}};
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	many[0] = (gnut_qhit_result){.name = "a", .name_len = GNUT_QHIT_MAX_NAME + 1};
	expect_encode_error(&h, GNUT_PROTO_ERR_TOO_LARGE);
	many[0] = (gnut_qhit_result){0};
	h.private_area = (gnut_slice){(const uint8_t *)"\xc3\x91x", 3};
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	h.private_area = (gnut_slice){NULL, 0};
	memcpy(h.vendor, "GT\x01G", 4);
	expect_encode_error(&h, GNUT_PROTO_ERR_MALFORMED);
	memcpy(h.vendor, "GNUT", 4);

	/* 255 results whose names fill the payload beyond 64 KiB */
	char *name = g_malloc(GNUT_QHIT_MAX_NAME);
	memset(name, 'n', GNUT_QHIT_MAX_NAME);
	for (unsigned i = 0; i < GNUT_QHIT_MAX_RESULTS; i++)
		many[i] = (gnut_qhit_result){i, i, name, GNUT_QHIT_MAX_NAME, {NULL, 0}};
	h.n_results = GNUT_QHIT_MAX_RESULTS;
	expect_encode_error(&h, GNUT_PROTO_ERR_TOO_LARGE);

	/* 255 short ones fit, and read back */
	for (unsigned i = 0; i < GNUT_QHIT_MAX_RESULTS; i++)
		many[i].name_len = 3;
	GByteArray *out = encode_one(&h);
	gnut_qhit back;
	uint8_t *copy = NULL;
	CU_ASSERT_EQUAL(decode_keep(out->data, out->len, &back, &copy), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(back.n_results, GNUT_QHIT_MAX_RESULTS);
	CU_ASSERT_EQUAL(back.results[254].index, 254);
	gnut_qhit_clear(&back);
	g_free(copy);
	g_byte_array_unref(out);
	g_free(name);
	g_free(many);
}

/* Every cut is an error but one: removing exactly the trailer leaves an
 * old-style hit whose last 16 bytes pass for a GUID. That one must read
 * back without a trailer. */
static void test_truncation_every_offset(void)
{
	unsigned errors = 0, without_trailer = 0;
	for (size_t cut = 0; cut < sizeof gtkg_hit; cut++) {
		gnut_qhit h;
		uint8_t *copy = NULL;
		gnut_proto_err err = decode_keep(gtkg_hit, cut, &h, &copy);
		if (err != GNUT_PROTO_OK) {
			errors++;
			CU_ASSERT_PTR_NULL(h.results);
		} else if (!h.has_trailer && cut == sizeof gtkg_hit - GTKG_TRAILER_LEN) {
			without_trailer++;
		}
		gnut_qhit_clear(&h);
		g_free(copy);
	}
	CU_ASSERT_EQUAL(errors, sizeof gtkg_hit - 1);
	CU_ASSERT_EQUAL(without_trailer, 1);

	GByteArray *w = huge_hit(); /* no trailer: every cut fails */
	errors = 0;
	for (size_t cut = 0; cut < w->len; cut++)
		if (decode_err(w->data, cut) != GNUT_PROTO_OK)
			errors++;
	CU_ASSERT_EQUAL(errors, w->len);
	g_byte_array_unref(w);
}

static void expect_bad_byte(size_t at, uint8_t value)
{
	uint8_t bad[sizeof gtkg_hit];
	memcpy(bad, gtkg_hit, sizeof bad);
	bad[at] = value;
	CU_ASSERT_NOT_EQUAL(decode_err(bad, sizeof bad), GNUT_PROTO_OK);
}

static void test_inflated_fields(void)
{
	expect_bad_byte(0, 3);                 /* one result more */
	expect_bad_byte(0, 255);               /* the most the byte says */
	expect_bad_byte(0, 1);                 /* one less: result 2 is no trailer */
	expect_bad_byte(GTKG_OPEN_SIZE_AT, 3); /* open data size */
	expect_bad_byte(GTKG_OPEN_SIZE_AT, 255);
	expect_bad_byte(GTKG_OPEN_SIZE_AT + 10, 0x4f); /* GTKGV length in the private GGEP */
	expect_bad_byte(GTKG_OPEN_SIZE_AT + 10, 0x7f);
	expect_bad_byte(37, 0x57); /* H length in result 1 */
	expect_bad_byte(37, 0x7f);
	expect_bad_byte(63, 0x47); /* CT length in result 1 */
}

static CU_TestInfo tests[] = {
    {"HUGE example, no trailer", test_huge_example},
    {"reference-shaped hit", test_reference_shaped_hit},
    {"QHD flag bytes, decoding", test_flag_bytes_decode},
    {"QHD flag bytes, encoding", test_flag_bytes_encode},
    {"result extensions we send", test_result_ext_encode},
    {"URNs of results", test_result_urn_variants},
    {"round trip of our own hit", test_round_trip_own_hit},
    {"rejects and caps", test_rejects},
    {"encoder rejects, 255 results", test_encode_rejects},
    {"truncation at every offset", test_truncation_every_offset},
    {"inflated counts and lengths", test_inflated_fields},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("qhit", tests)
