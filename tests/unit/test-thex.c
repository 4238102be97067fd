/* test-thex.c: the THEX codecs: gtk-gnutella's depths, the served level
 * against a naive full tree built here and the published Tiger tree
 * vectors, the serialisation and its reading (every truncation, a wrong
 * root, a shallower tree), slice checks, DIME records byte for byte and
 * truncated at every offset, and the XML description. */
#include "gnut/proto/base32.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/dime.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/thex-xml.h"
#include "gnut/proto/thex.h"
#include "unit.h"

#include <gcrypt.h>
#include <string.h>

/* A deterministic file of len bytes. */
static uint8_t *make_file(size_t len)
{
	uint8_t *p = g_malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 1024);
	return p;
}

static void tiger(uint8_t prefix, const void *a, size_t an, const void *b, size_t bn, uint8_t *out)
{
	gcry_md_hd_t hd;
	gcry_md_open(&hd, GCRY_MD_TIGER1, 0);
	gcry_md_putc(hd, prefix);
	gcry_md_write(hd, a, an);
	gcry_md_write(hd, b, bn);
	memcpy(out, gcry_md_read(hd, GCRY_MD_TIGER1), GNUT_TIGER_LEN);
	gcry_md_close(hd);
}

/* The level at depth by brute force: every leaf, then pairs up. */
static GByteArray *naive_level(const uint8_t *data, size_t len, unsigned depth)
{
	size_t n = len / 1024 + (len % 1024 != 0);
	n = n > 0 ? n : 1;
	GByteArray *lv = g_byte_array_sized_new((guint)(n * GNUT_TIGER_LEN));
	for (size_t i = 0; i < n; i++) {
		uint8_t h[GNUT_TIGER_LEN];
		size_t off = i * 1024, l = MIN((size_t)1024, len - MIN(len, off));
		tiger(0x00, data + MIN(off, len), l, NULL, 0, h);
		g_byte_array_append(lv, h, sizeof h);
	}
	while (n > ((size_t)1 << depth)) {
		size_t m = 0;
		for (size_t i = 0; i + 1 < n; i += 2, m++)
			tiger(0x01, lv->data + i * 24, 24, lv->data + (i + 1) * 24, 24,
			      lv->data + m * 24);
		if (n % 2 != 0)
			memmove(lv->data + m++ * 24, lv->data + (n - 1) * 24, 24);
		n = m;
		g_byte_array_set_size(lv, (guint)(n * 24));
	}
	return lv;
}

static void test_good_depth(void)
{
	CU_ASSERT_EQUAL(gnut_thex_good_depth(0), 0);
	CU_ASSERT_EQUAL(gnut_thex_good_depth((256 << 10) - 1), 0);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(256 << 10), 1);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(1 << 20), 3);
	CU_ASSERT_EQUAL(gnut_thex_good_depth((64u << 20) - 1), 8);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(64u << 20), 9);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(256u << 20), 10);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(1u << 30), 11);
	CU_ASSERT_EQUAL(gnut_thex_good_depth(G_MAXUINT64), GNUT_THEX_MAX_DEPTH);
	/* 3 MiB + 1 = 3073 blocks at depth 4: 3073 -> 1537 -> 769 -> 385 ->
	 * 193 -> 97 -> 49 -> 25 -> 13 nodes, 8 halvings. */
	uint64_t size = (3u << 20) + 1;
	CU_ASSERT_EQUAL(gnut_thex_good_depth(size), 4);
	CU_ASSERT_EQUAL(gnut_thex_level_count(size, 4), 13);
	CU_ASSERT_EQUAL(gnut_thex_slice_size(size, 4), 1024u << 8);
	CU_ASSERT_EQUAL(gnut_thex_level_count(0, 0), 1);
	CU_ASSERT_EQUAL(gnut_thex_tree_nodes(13), 13 + 7 + 4 + 2 + 1);
	CU_ASSERT_EQUAL(gnut_thex_tree_nodes(1), 1);
}

static gboolean root_is(const gnut_thex_level *l, const char *b32)
{
	char got[64];
	gnut_base32_encode(l->root, GNUT_TIGER_LEN, false, got);
	return strcmp(got, b32) == 0;
}

static void test_level_vectors(void)
{
	gnut_digest_init();
	g_autoptr(gnut_thex_level) empty = gnut_thex_level_of_buffer("", 0);
	CU_ASSERT_TRUE(root_is(empty, "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"));
	CU_ASSERT_EQUAL(empty->n_nodes, 1);
	uint8_t a[1025];
	memset(a, 'A', sizeof a);
	g_autoptr(gnut_thex_level) a1024 = gnut_thex_level_of_buffer(a, 1024);
	g_autoptr(gnut_thex_level) a1025 = gnut_thex_level_of_buffer(a, 1025);
	CU_ASSERT_TRUE(root_is(a1024, "L66Q4YVNAFWVS23X2HJIRA5ZJ7WXR3F26RSASFA"));
	CU_ASSERT_TRUE(root_is(a1025, "PZMRYHGY6LTBEH63ZWAHDORHSYTLO4LEFUIKHWY"));
}

static void test_level_matches_naive(void)
{
	gnut_digest_init();
	static const size_t sizes[] = {1, 1023, 1024, 262143, 262144, 262145, 700000, 3145729};
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autofree uint8_t *data = make_file(sizes[i]);
		g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, sizes[i]);
		unsigned depth = gnut_thex_good_depth(sizes[i]);
		g_autoptr(GByteArray) want = naive_level(data, sizes[i], depth);
		CU_ASSERT_EQUAL_FATAL(l->n_nodes * 24, want->len);
		CU_ASSERT_EQUAL(memcmp(l->nodes, want->data, want->len), 0);
		CU_ASSERT_EQUAL(l->depth, depth);
		uint8_t root[GNUT_TIGER_LEN];
		gnut_tiger_tree_buffer(data, sizes[i], root);
		CU_ASSERT_EQUAL(memcmp(l->root, root, sizeof root), 0);
	}
}

static void test_builder_chunks_and_size(void)
{
	gnut_digest_init();
	size_t len = 600000;
	g_autofree uint8_t *data = make_file(len);
	g_autoptr(gnut_thex_level) whole = gnut_thex_level_of_buffer(data, len);
	gnut_thex_builder *b = gnut_thex_builder_new(len);
	for (size_t off = 0; off < len; off += 777)
		gnut_thex_builder_update(b, data + off, MIN((size_t)777, len - off));
	g_autoptr(gnut_thex_level) pieces = gnut_thex_builder_finish(b);
	CU_ASSERT_EQUAL_FATAL(pieces->n_nodes, whole->n_nodes);
	CU_ASSERT_EQUAL(memcmp(pieces->nodes, whole->nodes, whole->n_nodes * 24), 0);
	b = gnut_thex_builder_new(len + 1); /* fed one byte short */
	gnut_thex_builder_update(b, data, len);
	CU_ASSERT_PTR_NULL(gnut_thex_builder_finish(b));
	gnut_thex_builder_free(gnut_thex_builder_new(5));
	gnut_thex_builder_free(NULL);
}

static void test_serialize_and_parse(void)
{
	gnut_digest_init();
	size_t len = 3145729;
	g_autofree uint8_t *data = make_file(len);
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, len);
	g_autoptr(GByteArray) tree = g_byte_array_new();
	gnut_thex_serialize(l, tree);
	CU_ASSERT_EQUAL_FATAL(tree->len, gnut_thex_tree_nodes(l->n_nodes) * 24);
	CU_ASSERT_EQUAL(memcmp(tree->data, l->root, 24), 0);
	CU_ASSERT_EQUAL(memcmp(tree->data + tree->len - l->n_nodes * 24, l->nodes, l->n_nodes * 24),
	                0);
	gnut_thex_level *got = NULL;
	CU_ASSERT_EQUAL(gnut_thex_parse_tree(tree->data, tree->len, len, l->depth, l->root, &got),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(got != NULL, TRUE);
	CU_ASSERT_EQUAL(got->n_nodes, l->n_nodes);
	gnut_thex_level_free(got);
	/* An announced depth past the good depth is read at the good one. */
	CU_ASSERT_EQUAL(gnut_thex_parse_tree(tree->data, tree->len, len, 9, l->root, &got),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(got->depth, l->depth);
	gnut_thex_level_free(got);
	uint8_t wrong[24];
	memcpy(wrong, l->root, 24);
	wrong[5] ^= 1;
	CU_ASSERT_EQUAL(gnut_thex_parse_tree(tree->data, tree->len, len, l->depth, wrong, &got),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_PTR_NULL(got);
	/* A level node flipped: the recomputed root no longer matches. */
	tree->data[tree->len - 1] ^= 0x40;
	CU_ASSERT_EQUAL(gnut_thex_parse_tree(tree->data, tree->len, len, l->depth, l->root, &got),
	                GNUT_PROTO_ERR_MALFORMED);
	tree->data[tree->len - 1] ^= 0x40;
	for (size_t cut = 0; cut < tree->len; cut++) {
		gnut_proto_err e =
		    gnut_thex_parse_tree(tree->data, cut, len, l->depth, l->root, &got);
		/* Whole upper levels alone still verify, at a lower depth. */
		if (e == GNUT_PROTO_OK) {
			CU_ASSERT_TRUE(got->depth < l->depth);
			CU_ASSERT_EQUAL(cut % 24, 0);
			gnut_thex_level_free(got);
		} else {
			CU_ASSERT_PTR_NULL(got);
		}
	}
}

static void test_slices(void)
{
	gnut_digest_init();
	size_t len = 700000; /* depth 2: 684 blocks -> 4 nodes of 256 KiB? */
	g_autofree uint8_t *data = make_file(len);
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, len);
	CU_ASSERT_EQUAL(l->depth, 2);
	CU_ASSERT_EQUAL(l->n_nodes, 3);
	CU_ASSERT_EQUAL(l->slice_size, 256 << 10);
	for (uint64_t i = 0; i < l->n_nodes; i++) {
		uint64_t s, e;
		gnut_thex_slice_bounds(l, i, &s, &e);
		CU_ASSERT_TRUE(gnut_thex_check_slice(l, i, data + s, e - s));
		CU_ASSERT_FALSE(gnut_thex_check_slice(l, i, data + s, e - s - 1));
		data[s + 10] ^= 1;
		CU_ASSERT_FALSE(gnut_thex_check_slice(l, i, data + s, e - s));
		data[s + 10] ^= 1;
	}
	CU_ASSERT_FALSE(gnut_thex_check_slice(l, 3, data, 10));
	uint64_t first = 99, count = 99;
	CU_ASSERT_TRUE(gnut_thex_slices_within(l, 0, len, &first, &count));
	CU_ASSERT_EQUAL(first, 0);
	CU_ASSERT_EQUAL(count, 3);
	CU_ASSERT_TRUE(gnut_thex_slices_within(l, 1, len, &first, &count));
	CU_ASSERT_EQUAL(first, 1);
	CU_ASSERT_EQUAL(count, 2);
	CU_ASSERT_FALSE(gnut_thex_slices_within(l, 1, 300000, &first, &count));
	CU_ASSERT_TRUE(gnut_thex_slices_within(l, 262144, 524288, &first, &count));
	CU_ASSERT_EQUAL(first, 1);
	CU_ASSERT_EQUAL(count, 1);
	CU_ASSERT_TRUE(gnut_thex_slices_within(l, 600000, 900000, &first, &count) == FALSE);
	CU_ASSERT_TRUE(gnut_thex_slices_within(l, 524288, 900000, &first, &count));
	CU_ASSERT_EQUAL(first, 2);
	CU_ASSERT_EQUAL(count, 1);
}

static void test_level_new_checks_count(void)
{
	uint8_t nodes[3 * 24] = {0};
	CU_ASSERT_PTR_NULL(gnut_thex_level_new(700000, 2, nodes, 2));
	CU_ASSERT_PTR_NULL(gnut_thex_level_new(700000, 2, nodes, 0));
	g_autoptr(gnut_thex_level) l = gnut_thex_level_new(700000, 2, nodes, 3);
	CU_ASSERT_PTR_NOT_NULL(l);
}

/* The THEX answer of gtk-gnutella's layout: an XML record (MB, media type
 * text/xml, no ID) and a tree record (ME, URI type, the uuid ID). */
static const uint8_t dime_vector[] = {
    0x0c, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, /* MB, media */
    't',  'e',  'x',  't',  '/',  'x',  'm',  'l',                          /* type */
    '<',  'x',  '/',  '>',  '\n', 0x00, 0x00, 0x00,                         /* data + pad */
    0x0a, 0x20, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* ME, URI */
    'i',  'd',  '1',  0x00,                                                 /* id + pad */
    'u',  0x00, 0x00, 0x00,                                                 /* type + pad */
    0xab, 0xcd, 0x00, 0x00,                                                 /* data + pad */
};

static void test_dime_vector(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_dime_record xml = {.type_format = GNUT_DIME_TYPE_MEDIA,
	                        .type = "text/xml",
	                        .type_len = 8,
	                        .data = (const uint8_t *)"<x/>\n",
	                        .data_len = 5};
	gnut_dime_record tree = {.type_format = GNUT_DIME_TYPE_URI,
	                         .id = "id1",
	                         .id_len = 3,
	                         .type = "u",
	                         .type_len = 1,
	                         .data = (const uint8_t *)"\xab\xcd",
	                         .data_len = 2};
	gnut_dime_append(out, &xml, true, false);
	gnut_dime_append(out, &tree, false, true);
	CU_ASSERT_EQUAL_FATAL(out->len, sizeof dime_vector);
	CU_ASSERT_EQUAL(memcmp(out->data, dime_vector, sizeof dime_vector), 0);
	gnut_dime_record r[GNUT_DIME_MAX_RECORDS];
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_dime_decode(dime_vector, sizeof dime_vector, r, &n),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(r[0].type_format, GNUT_DIME_TYPE_MEDIA);
	CU_ASSERT_EQUAL(r[0].data_len, 5);
	CU_ASSERT_EQUAL(memcmp(r[0].data, "<x/>\n", 5), 0);
	CU_ASSERT_EQUAL(r[1].id_len, 3);
	CU_ASSERT_EQUAL(r[1].data[1], 0xcd);
	CU_ASSERT_PTR_EQUAL(gnut_dime_find(r, n, "TEXT/XML", NULL), &r[0]);
	CU_ASSERT_PTR_EQUAL(gnut_dime_find(r, n, "u", "id1"), &r[1]);
	CU_ASSERT_PTR_NULL(gnut_dime_find(r, n, "u", "id2"));
	for (size_t cut = 0; cut < sizeof dime_vector; cut++)
		CU_ASSERT_EQUAL(gnut_dime_decode(dime_vector, cut, r, &n),
		                GNUT_PROTO_ERR_TRUNCATED);
}

static void test_dime_errors(void)
{
	uint8_t buf[sizeof dime_vector + 4];
	gnut_dime_record r[GNUT_DIME_MAX_RECORDS];
	size_t n;
	memcpy(buf, dime_vector, sizeof dime_vector);
	memset(buf + sizeof dime_vector, 0, 4);
	CU_ASSERT_EQUAL(gnut_dime_decode(buf, sizeof buf, r, &n), GNUT_PROTO_ERR_TRAILING);
	buf[0] = 0x10 | 0x04 | 0x02; /* version 2 */
	CU_ASSERT_EQUAL(gnut_dime_decode(buf, sizeof dime_vector, r, &n),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	buf[0] = 0x08 | 0x04 | 0x01; /* chunked */
	CU_ASSERT_EQUAL(gnut_dime_decode(buf, sizeof dime_vector, r, &n),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	buf[0] = 0x08; /* first record without MB */
	CU_ASSERT_EQUAL(gnut_dime_decode(buf, sizeof dime_vector, r, &n), GNUT_PROTO_ERR_MALFORMED);
	/* Nine empty records, none with ME. */
	g_autoptr(GByteArray) many = g_byte_array_new();
	gnut_dime_record empty = {0};
	for (int i = 0; i < 9; i++)
		gnut_dime_append(many, &empty, i == 0, false);
	CU_ASSERT_EQUAL(gnut_dime_decode(many->data, many->len, r, &n), GNUT_PROTO_ERR_TOO_LARGE);
	/* A data length that wraps past the buffer. */
	uint8_t huge[12] = {0x0e, 0x10, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe};
	CU_ASSERT_EQUAL(gnut_dime_decode(huge, sizeof huge, r, &n), GNUT_PROTO_ERR_TRUNCATED);
}

static void test_xml_round_trip(void)
{
	g_autofree char *xml = gnut_thex_xml_build(3145729, 4, "uuid:0102-abc");
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<file size=\"3145729\" segmentsize=\"1024\"/>"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(xml, "SYSTEM \"http://open-content.net/spec/thex/thex.dtd\""));
	gnut_thex_xml got;
	CU_ASSERT_EQUAL_FATAL(gnut_thex_xml_parse(xml, strlen(xml), &got), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(got.file_size, 3145729);
	CU_ASSERT_EQUAL(got.depth, 4);
	CU_ASSERT_STRING_EQUAL(got.uri, "uuid:0102-abc");
	for (size_t cut = 0; cut < strlen(xml) - 3; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_thex_xml_parse(xml, cut, &got), GNUT_PROTO_OK);
}

static gnut_proto_err parse_text(const char *text)
{
	gnut_thex_xml got;
	return gnut_thex_xml_parse(text, strlen(text), &got);
}

static void test_xml_refusals(void)
{
	static const char *const bad[] = {
	    "<hashtree><file size=\"1\" segmentsize=\"1024\"/></hashtree>",
	    "<other/>",
	    "<hashtree><file size=\"01\" segmentsize=\"1024\"/><digest algorithm=\"http://"
	    "open-content.net/spec/digest/tiger\" outputsize=\"24\"/><serializedtree depth=\"1\" "
	    "type=\"http://open-content.net/spec/thex/breadthfirst\" uri=\"x\"/></hashtree>",
	    "<hashtree><file size=\"1\" segmentsize=\"512\"/><digest algorithm=\"http://"
	    "open-content.net/spec/digest/tiger\" outputsize=\"24\"/><serializedtree depth=\"1\" "
	    "type=\"http://open-content.net/spec/thex/breadthfirst\" uri=\"x\"/></hashtree>",
	    "<hashtree><file size=\"1\" segmentsize=\"1024\"/><digest algorithm=\"http://"
	    "open-content.net/spec/digest/tiger\" outputsize=\"24\"/><serializedtree depth=\"64\" "
	    "type=\"http://open-content.net/spec/thex/breadthfirst\" uri=\"x\"/></hashtree>",
	    "<!DOCTYPE hashtree [<!ENTITY a \"aaaa\">]><hashtree><file size=\"1\" "
	    "segmentsize=\"1024\"/><digest algorithm=\"http://open-content.net/spec/digest/tiger\" "
	    "outputsize=\"24\"/><serializedtree depth=\"1\" type=\"http://open-content.net/spec/"
	    "thex/breadthfirst\" uri=\"&a;\"/></hashtree>",
	    "",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_EQUAL(parse_text(bad[i]), GNUT_PROTO_ERR_MALFORMED);
	g_autofree char *big = g_strnfill(GNUT_THEX_XML_MAX + 1, ' ');
	CU_ASSERT_EQUAL(parse_text(big), GNUT_PROTO_ERR_TOO_LARGE);
	g_autofree char *long_uri = g_strnfill(GNUT_THEX_XML_MAX_URI + 1, 'u');
	g_autofree char *xml = gnut_thex_xml_build(1, 0, long_uri);
	CU_ASSERT_EQUAL(parse_text(xml), GNUT_PROTO_ERR_TOO_LARGE);
}

static void test_answer(void)
{
	gnut_digest_init();
	size_t len = 700000;
	g_autofree uint8_t *data = make_file(len);
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, len);
	g_autoptr(GBytes) answer = gnut_thex_answer_build(l);
	gsize n = 0;
	const uint8_t *p = g_bytes_get_data(answer, &n);
	gnut_dime_record r[GNUT_DIME_MAX_RECORDS];
	size_t nr = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_dime_decode(p, n, r, &nr), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(nr, 2);
	CU_ASSERT_EQUAL(r[1].id_len, 41);
	CU_ASSERT_EQUAL(memcmp(r[1].id, "uuid:", 5), 0);
	gnut_thex_level *got = NULL;
	CU_ASSERT_EQUAL_FATAL(gnut_thex_answer_parse(p, n, len, l->root, &got), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(got->n_nodes, 3);
	CU_ASSERT_EQUAL(memcmp(got->nodes, l->nodes, 3 * 24), 0);
	gnut_thex_level_free(got);
	CU_ASSERT_EQUAL(gnut_thex_answer_parse(p, n, len + 1, l->root, &got),
	                GNUT_PROTO_ERR_MALFORMED);
	for (size_t cut = 0; cut < n; cut++)
		CU_ASSERT_NOT_EQUAL(gnut_thex_answer_parse(p, cut, len, l->root, &got),
		                    GNUT_PROTO_OK);
	/* A tree record whose ID does not match the description is still
	 * found by its type. */
	g_autofree uint8_t *copy = g_memdup2(p, n);
	copy[(const uint8_t *)r[1].id - p + 6] ^= 1;
	CU_ASSERT_EQUAL(gnut_thex_answer_parse(copy, n, len, l->root, &got), GNUT_PROTO_OK);
	gnut_thex_level_free(got);
}

static void test_thex_uri(void)
{
	char uri[GNUT_THEX_URI_MAX + 1];
	uint8_t root[GNUT_TIGER_LEN];
	bool has_root = false;
	/* As captured from gtk-gnutella 1.2.3 (interop/http.txt). */
	const char *gtkg = "/uri-res/N2X?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5;"
	                   "2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y";
	CU_ASSERT_EQUAL_FATAL(gnut_thex_uri_parse(gtkg, uri, &has_root, root), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(uri, "/uri-res/N2X?urn:sha1:6UU6TQVDA6AYV5TAK7IHBYZOMQV3PBQ5");
	CU_ASSERT_TRUE(has_root);
	char b32[64];
	gnut_base32_encode(root, sizeof root, false, b32);
	CU_ASSERT_STRING_EQUAL(b32, "2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y");
	/* LimeWire's form, blanks around the ';'; and no root at all. */
	CU_ASSERT_EQUAL(gnut_thex_uri_parse("/x?y ; 2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y ", uri,
	                                    &has_root, root),
	                GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(uri, "/x?y");
	CU_ASSERT_EQUAL(gnut_thex_uri_parse("/x", uri, &has_root, root), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(has_root);
	static const char *const bad[] = {"",
	                                  "x/y;2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y",
	                                  "/a b;2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4Y",
	                                  "/a;2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU4",
	                                  "/a;",
	                                  "/a;2TIIL3C24A6XGHUS7SPYGCOA23U7X4KWVUQTU41"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_EQUAL(gnut_thex_uri_parse(bad[i], uri, &has_root, root),
		                GNUT_PROTO_ERR_MALFORMED);
	g_autofree char *long_path = g_strnfill(GNUT_THEX_URI_MAX + 1, 'a');
	long_path[0] = '/';
	CU_ASSERT_EQUAL(gnut_thex_uri_parse(long_path, uri, &has_root, root),
	                GNUT_PROTO_ERR_TOO_LARGE);
}

static CU_TestInfo tests[] = {
    {"X-Thex-URI values", test_thex_uri},
    {"THEX answer: build, parse, size, truncations, ID quirk", test_answer},
    {"good depth, level counts and slice sizes", test_good_depth},
    {"level roots: published Tiger tree vectors", test_level_vectors},
    {"level equals a naive full tree", test_level_matches_naive},
    {"builder: chunked input, wrong size", test_builder_chunks_and_size},
    {"serialised tree: layout, parse, wrong root, truncations", test_serialize_and_parse},
    {"slices: check, bounds, ranges", test_slices},
    {"level from nodes checks the count", test_level_new_checks_count},
    {"DIME: byte vector, decode, truncation at every offset", test_dime_vector},
    {"DIME: trailing, version, chunked, MB, too many, huge length", test_dime_errors},
    {"XML description: round trip, truncations", test_xml_round_trip},
    {"XML description: refusals", test_xml_refusals},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("thex", tests)
