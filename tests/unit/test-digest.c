/* test-digest.c: SHA-1 (FIPS 180 vectors) and the THEX Tiger tree root
 * (the published vectors of the THEX draft, also used by gtk-gnutella and
 * the bitprint tools), incremental against one-shot, and a naive
 * level-by-level tree built here as an independent cross-check. */
#include "gnut/proto/base32.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/tiger-tree.h"
#include "unit.h"

#include <gcrypt.h>
#include <string.h>

/* Lower-case hex of n bytes into out (2n + 1 chars). */
static void to_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static gboolean sha1_hex_is(const void *data, size_t len, const char *hex)
{
	uint8_t d[GNUT_SHA1_LEN];
	char got[2 * GNUT_SHA1_LEN + 1];
	gnut_sha1_buffer(data, len, d);
	to_hex(d, sizeof d, got);
	return strcmp(got, hex) == 0;
}

/* Root of data[0..len) in base32, the form the vectors are published in. */
static gboolean tiger_tree_is(const void *data, size_t len, const char *b32)
{
	uint8_t root[GNUT_TIGER_LEN];
	char got[64];
	gnut_tiger_tree_buffer(data, len, root);
	gnut_base32_encode(root, sizeof root, false, got);
	if (strcmp(got, b32) != 0)
		fprintf(stderr, "\n  tiger tree of %zu bytes: %s, expected %s\n", len, got, b32);
	return strcmp(got, b32) == 0;
}

static void test_sha1_fips180_vectors(void)
{
	gnut_digest_init();
	CU_ASSERT_TRUE(sha1_hex_is("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d"));
	CU_ASSERT_TRUE(sha1_hex_is("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
	CU_ASSERT_TRUE(sha1_hex_is(NULL, 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CU_ASSERT_TRUE(sha1_hex_is(two_blocks, strlen(two_blocks),
	                           "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
}

static void test_sha1_million_a(void)
{
	gnut_digest_init();
	size_t len = 1000000;
	char *a = g_malloc(len);
	memset(a, 'a', len);
	CU_ASSERT_TRUE(sha1_hex_is(a, len, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"));

	/* the same bytes fed in uneven pieces, and in 1000 pieces of 1000 */
	static const size_t chunks[] = {1, 63, 64, 65, 999, 4097};
	gnut_sha1 *h = gnut_sha1_new();
	size_t off = 0;
	for (size_t i = 0; off < len; i++) {
		size_t n = MIN(chunks[i % G_N_ELEMENTS(chunks)], len - off);
		gnut_sha1_update(h, a + off, n);
		off += n;
	}
	uint8_t d[GNUT_SHA1_LEN];
	char hex[2 * GNUT_SHA1_LEN + 1];
	gnut_sha1_finish(h, d);
	to_hex(d, sizeof d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	h = gnut_sha1_new();
	for (int i = 0; i < 1000; i++)
		gnut_sha1_update(h, a, 1000);
	gnut_sha1_finish(h, d);
	to_hex(d, sizeof d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	g_free(a);
}

/* SHA-1 in base32 as urn:sha1 carries it: the bitprint vectors' first half. */
static void test_sha1_urn_form(void)
{
	gnut_digest_init();
	char a[1025];
	memset(a, 'A', sizeof a);
	uint8_t d[GNUT_SHA1_LEN];
	char b32[40];
	gnut_sha1_buffer(a, 1024, d);
	gnut_base32_encode(d, sizeof d, false, b32);
	CU_ASSERT_STRING_EQUAL(b32, "ORWD6TJINRJR4BS6RL3W4CWAQ2EDDRVU");
	gnut_sha1_buffer(a, 1025, d);
	gnut_base32_encode(d, sizeof d, false, b32);
	CU_ASSERT_STRING_EQUAL(b32, "UUHHSQPHQXN5X6EMYK6CD7IJ7BHZTE77");
}

static void test_sha1_free_unfinished(void)
{
	gnut_digest_init();
	gnut_sha1 *h = gnut_sha1_new();
	gnut_sha1_update(h, "partial", 7);
	gnut_sha1_free(h);
	gnut_sha1_free(NULL);
	/* an empty update changes nothing */
	h = gnut_sha1_new();
	gnut_sha1_update(h, "ab", 2);
	gnut_sha1_update(h, NULL, 0);
	gnut_sha1_update(h, "c", 1);
	uint8_t d[GNUT_SHA1_LEN];
	char hex[2 * GNUT_SHA1_LEN + 1];
	gnut_sha1_finish(h, d);
	to_hex(d, sizeof d, hex);
	CU_ASSERT_STRING_EQUAL(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void test_tiger_tree_thex_vectors(void)
{
	gnut_digest_init();
	char a[10000];
	memset(a, 'A', sizeof a);
	CU_ASSERT_TRUE(tiger_tree_is("", 0, "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"));
	CU_ASSERT_TRUE(tiger_tree_is(NULL, 0, "LWPNACQDBZRYXW3VHJVCJ64QBZNGHOHHHZWCLNQ"));
	CU_ASSERT_TRUE(tiger_tree_is("\0", 1, "VK54ZIEEVTWNAUI5D5RDFIL37LX2IQNSTAXFKSA"));
	CU_ASSERT_TRUE(tiger_tree_is("abc", 3, "ASD4UJSEH5M47PDYB46KBTSQTSGDKLBHYXOMUIA"));
	CU_ASSERT_TRUE(tiger_tree_is(a, 1024, "L66Q4YVNAFWVS23X2HJIRA5ZJ7WXR3F26RSASFA"));
	CU_ASSERT_TRUE(tiger_tree_is(a, 1025, "PZMRYHGY6LTBEH63ZWAHDORHSYTLO4LEFUIKHWY"));
	CU_ASSERT_TRUE(tiger_tree_is(a, 10000, "UJUIOGYVALWRB56PRJEB6ZH3G4OLTELOEQ3UKMY"));
}

/* Large published vectors: 1 MiB of zeros (a full tree of 1024 leaves) and
 * 1 MiB + 777 (an odd leaf promoted up ten levels). */
static void test_tiger_tree_large_vectors(void)
{
	gnut_digest_init();
	size_t len = (1u << 20) + 777;
	uint8_t *zeros = g_malloc0(len);
	CU_ASSERT_TRUE(tiger_tree_is(zeros, 1u << 20, "MUACEID6UTVUKTRE2MTZKOPTZTMS6A2OF6B4ZNY"));
	CU_ASSERT_TRUE(tiger_tree_is(zeros, len, "GTMUI3C5NS42NYNRDZC7546KFUK23ZG3IULUPCA"));
	g_free(zeros);
}

/* Tiger(prefix || a || b) straight from libgcrypt, for the naive tree. */
static void naive_node(uint8_t prefix, const uint8_t *a, size_t a_len, const uint8_t *b,
                       size_t b_len, uint8_t *out)
{
	uint8_t *buf = g_malloc(1 + a_len + b_len);
	buf[0] = prefix;
	if (a_len > 0)
		memcpy(buf + 1, a, a_len);
	if (b_len > 0)
		memcpy(buf + 1 + a_len, b, b_len);
	gcry_md_hash_buffer(GCRY_MD_TIGER1, out, buf, 1 + a_len + b_len);
	g_free(buf);
}

/* The tree as THEX describes it: hash every leaf, then pair each level left
 * to right, promoting an odd last node, until one node is left. */
static void naive_tiger_tree(const uint8_t *data, size_t len, uint8_t out[GNUT_TIGER_LEN])
{
	size_t n = len == 0 ? 1 : (len + 1023) / 1024;
	uint8_t *level = g_malloc(n * GNUT_TIGER_LEN);
	for (size_t i = 0; i < n; i++) {
		size_t leaf_len = MIN((size_t)1024, len - MIN(len, i * 1024));
		naive_node(0x00, data + i * 1024, leaf_len, NULL, 0, level + i * GNUT_TIGER_LEN);
	}
	while (n > 1) {
		size_t m = 0;
		for (size_t i = 0; i < n; i += 2, m++) {
			uint8_t *dst = level + m * GNUT_TIGER_LEN;
			if (i + 1 < n)
				naive_node(0x01, level + i * GNUT_TIGER_LEN, GNUT_TIGER_LEN,
				           level + (i + 1) * GNUT_TIGER_LEN, GNUT_TIGER_LEN, dst);
			else
				memmove(dst, level + i * GNUT_TIGER_LEN, GNUT_TIGER_LEN);
		}
		n = m;
	}
	memcpy(out, level, GNUT_TIGER_LEN);
	g_free(level);
}

/* Every shape up to 17 leaves, plus sizes around the leaf boundaries. */
static void test_tiger_tree_matches_naive_tree(void)
{
	gnut_digest_init();
	size_t max = 17 * 1024 + 5;
	uint8_t *data = g_malloc(max);
	for (size_t i = 0; i < max; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8));
	static const int deltas[] = {-1, 0, 5};
	unsigned mismatches = 0, checked = 0;
	for (size_t leaves = 0; leaves <= 17; leaves++) {
		for (size_t d = 0; d < G_N_ELEMENTS(deltas); d++) {
			if (leaves == 0 && deltas[d] < 0)
				continue;
			size_t len = (size_t)((int)leaves * 1024 + deltas[d]);
			uint8_t a[GNUT_TIGER_LEN], b[GNUT_TIGER_LEN];
			gnut_tiger_tree_buffer(data, len, a);
			naive_tiger_tree(data, len, b);
			mismatches += memcmp(a, b, sizeof a) != 0;
			checked++;
		}
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT_EQUAL(checked, 53);
	g_free(data);
}

/* Updates in odd chunk sizes (straddling leaves or not) give the one-shot root. */
static void test_tiger_tree_incremental(void)
{
	gnut_digest_init();
	size_t len = 13 * 1024 + 333;
	uint8_t *data = g_malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i ^ (i >> 7));
	uint8_t one_shot[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer(data, len, one_shot);

	static const size_t chunk_sets[][4] = {
	    {1, 1, 1, 1}, {7, 1023, 3, 2049}, {1025, 1025, 1025, 1025}, {1024, 0, 5000, 17}};
	for (size_t s = 0; s < G_N_ELEMENTS(chunk_sets); s++) {
		gnut_tiger_tree *t = gnut_tiger_tree_new();
		size_t off = 0;
		for (size_t i = 0; off < len; i++) {
			size_t n = MIN(chunk_sets[s][i % 4], len - off);
			gnut_tiger_tree_update(t, data + off, n);
			off += n;
		}
		uint8_t root[GNUT_TIGER_LEN];
		gnut_tiger_tree_finish(t, root);
		CU_ASSERT_EQUAL(memcmp(root, one_shot, sizeof root), 0);
	}
	/* exactly one whole leaf per update: no empty leaf is appended */
	gnut_tiger_tree *t = gnut_tiger_tree_new();
	for (size_t i = 0; i < 13; i++)
		gnut_tiger_tree_update(t, data + i * 1024, 1024);
	uint8_t root[GNUT_TIGER_LEN], expect[GNUT_TIGER_LEN];
	gnut_tiger_tree_finish(t, root);
	gnut_tiger_tree_buffer(data, 13 * 1024, expect);
	CU_ASSERT_EQUAL(memcmp(root, expect, sizeof root), 0);
	g_free(data);
}

/* The 0x00/0x01 prefixes keep a leaf from being taken for an inner node:
 * the 48 bytes of two leaf hashes, hashed as a file, are not their parent. */
static void test_tiger_tree_leaf_inner_separation(void)
{
	gnut_digest_init();
	char a[2048];
	memset(a, 'A', sizeof a);
	uint8_t leaf[GNUT_TIGER_LEN], pair[2 * GNUT_TIGER_LEN], parent[GNUT_TIGER_LEN];
	uint8_t as_file[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer(a, 1024, leaf);
	memcpy(pair, leaf, GNUT_TIGER_LEN);
	memcpy(pair + GNUT_TIGER_LEN, leaf, GNUT_TIGER_LEN);
	gnut_tiger_tree_buffer(a, 2048, parent);
	gnut_tiger_tree_buffer(pair, sizeof pair, as_file);
	CU_ASSERT_NOT_EQUAL(memcmp(parent, as_file, GNUT_TIGER_LEN), 0);
	uint8_t direct[GNUT_TIGER_LEN];
	naive_node(0x01, leaf, GNUT_TIGER_LEN, leaf, GNUT_TIGER_LEN, direct);
	CU_ASSERT_EQUAL(memcmp(parent, direct, GNUT_TIGER_LEN), 0);
}

static gpointer hash_in_thread(gpointer data)
{
	gnut_digest_init();
	uint8_t root[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer("abc", 3, root);
	return GINT_TO_POINTER(memcmp(root, data, GNUT_TIGER_LEN) == 0);
}

static void test_init_idempotent_and_threads(void)
{
	gnut_digest_init();
	gnut_digest_init();
	CU_ASSERT_NOT_EQUAL(gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P), 0);
	uint8_t expect[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer("abc", 3, expect);
	GThread *threads[4];
	for (int i = 0; i < 4; i++)
		threads[i] = g_thread_new("digest", hash_in_thread, expect);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(GPOINTER_TO_INT(g_thread_join(threads[i])));
	gnut_tiger_tree *t = gnut_tiger_tree_new();
	gnut_tiger_tree_update(t, "unfinished", 10);
	gnut_tiger_tree_free(t);
	gnut_tiger_tree_free(NULL);
}

static CU_TestInfo tests[] = {
    {"SHA-1 FIPS 180 vectors", test_sha1_fips180_vectors},
    {"SHA-1 of a million 'a', whole and in pieces", test_sha1_million_a},
    {"SHA-1 in base32 (bitprint vectors)", test_sha1_urn_form},
    {"SHA-1 free unfinished, empty update", test_sha1_free_unfinished},
    {"Tiger tree THEX vectors", test_tiger_tree_thex_vectors},
    {"Tiger tree 1 MiB vectors", test_tiger_tree_large_vectors},
    {"Tiger tree equals a naive full tree", test_tiger_tree_matches_naive_tree},
    {"Tiger tree incremental equals one-shot", test_tiger_tree_incremental},
    {"Tiger tree leaf/inner prefixes", test_tiger_tree_leaf_inner_separation},
    {"init idempotent, hashing from threads", test_init_idempotent_and_threads},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("digest", tests)
