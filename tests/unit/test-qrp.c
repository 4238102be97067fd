/* test-qrp.c: the QRP hash (Appendix A vectors of doc/gnutella/QRP), the
 * RESET / PATCH codec (Appendix B messages, round trips, truncation and
 * inflated fields), and routing tables: Appendix B sequences applied,
 * our own tables encoded and applied back, incremental updates, merging,
 * prefixes, sequence errors and zlib bombs. */
#include "gnut/proto/keywords.h"
#include "gnut/proto/qrp-msg.h"
#include "gnut/proto/qrp-table.h"
#include "gnut/proto/qrp.h"
#include "unit.h"

#include <string.h>

#include <zlib.h>

/* ---- hash ---- */

static const struct {
	const char *kw;
	unsigned bits;
	uint32_t hash;
} spec_hashes[] = {
    {"", 13, 0},
    {"eb", 13, 6791},
    {"ebc", 13, 7082},
    {"ebck", 13, 6698},
    {"ebckl", 13, 3179},
    {"ebcklm", 13, 3235},
    {"ebcklme", 13, 6438},
    {"ebcklmen", 13, 1062},
    {"ebcklmenq", 13, 3527},
    {"", 16, 0},
    {"n", 16, 65003},
    {"nd", 16, 54193},
    {"ndf", 16, 4953},
    {"ndfl", 16, 58201},
    {"ndfla", 16, 34830},
    {"ndflal", 16, 36910},
    {"ndflale", 16, 34586},
    {"ndflalem", 16, 37658},
    {"ndflaleme", 16, 45559},
    {"ol2j34lj", 10, 318},
    {"asdfas23", 10, 503},
    {"9um3o34fd", 10, 758},
    {"a234d", 10, 281},
    {"a3f", 10, 767},
    {"3nja9", 10, 581},
    {"2459345938032343", 10, 146},
    {"7777a88a8a8a8", 10, 342},
    {"asdfjklkj3k", 10, 861},
    {"adfk32l", 10, 1011},
    {"zzzzzzzzzzz", 10, 944},
    /* Appendix A case tests */
    {"3NJA9", 10, 581},
    {"3nJa9", 10, 581},
    /* Appendix B: "test" hashes to 2 and "qrp" to 7 in an 8-slot table */
    {"test", 3, 2},
    {"qrp", 3, 7},
};

static void test_hash_spec_vectors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(spec_hashes); i++) {
		const char *kw = spec_hashes[i].kw;
		CU_ASSERT_EQUAL(gnut_qrp_hash(kw, strlen(kw), spec_hashes[i].bits),
		                spec_hashes[i].hash);
	}
}

static void test_hash_restrict(void)
{
	uint32_t code = gnut_qrp_hashcode("beatles", 7);
	CU_ASSERT_EQUAL(gnut_qrp_hash_restrict(code, 0), 0);
	CU_ASSERT_EQUAL(gnut_qrp_hash_restrict(code, 32), code);
	/* a smaller table's slot is the bigger one's, shifted: what merging needs */
	for (unsigned b = 1; b <= 22; b++)
		CU_ASSERT_EQUAL(gnut_qrp_hash("beatles", 7, b - 1),
		                gnut_qrp_hash("beatles", 7, b) >> 1);
	/* only ASCII is lower-cased: a UTF-8 byte is hashed as it is */
	CU_ASSERT_EQUAL(gnut_qrp_hashcode("\xc3\x89t\xc3\xa9", 5),
	                gnut_qrp_hashcode("\xc3\x89T\xc3\xa9", 5));
	CU_ASSERT_NOT_EQUAL(gnut_qrp_hashcode("\xc3\x89t\xc3\xa9", 5),
	                    gnut_qrp_hashcode("\xc3\xa9t\xc3\xa9", 5));
}

/* ---- message codec ---- */

/* Appendix B payloads (after the 23-byte header). */
static const uint8_t ex_reset[] = {0, 8, 0, 0, 0, 7};
static const uint8_t ex1_test[] = {1, 1, 1, 0, 8, 0, 0, 0xfa, 0, 0, 0, 0, 0};
static const uint8_t ex1_qrp[] = {1, 1, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0xfa};
static const uint8_t ex1_untest[] = {1, 1, 1, 0, 8, 0, 0, 6, 0, 0, 0, 0, 0};
static const uint8_t ex2_test[] = {1, 1, 1, 0, 4, 0, 0xa0, 0, 0};
static const uint8_t ex2_qrp[] = {1, 1, 1, 0, 4, 0, 0, 0, 0xa0};
static const uint8_t ex2_untest[] = {1, 1, 1, 0, 4, 0, 0x60, 0, 0};
static const uint8_t ex3_test_1[] = {1, 1, 2, 0, 4, 0, 0xa0};
static const uint8_t ex3_test_2[] = {1, 2, 2, 0, 4, 0, 0};
static const uint8_t ex3_qrp_1[] = {1, 1, 2, 0, 4, 0, 0};
static const uint8_t ex3_qrp_2[] = {1, 2, 2, 0, 4, 0, 0xa0};
static const uint8_t ex3_untest_1[] = {1, 1, 2, 0, 4, 0, 0x60};
static const uint8_t ex3_untest_2[] = {1, 2, 2, 0, 4, 0, 0};
static const uint8_t ex4_test[] = {1,    1,    1, 1, 4, 0x78, 0x9c, 0x63, 0x58,
                                   0xc0, 0xc0, 0, 0, 1, 0xe4, 0,    0xa1};
static const uint8_t ex4_qrp[] = {1,    1,    1, 1, 4, 0x78, 0x9c, 0x63, 0x60,
                                  0x60, 0x58, 0, 0, 0, 0xa4, 0,    0xa1};
static const uint8_t ex4_untest[] = {1,    1,    1, 1, 4, 0x78, 0x9c, 0x63, 0x48,
                                     0x60, 0x60, 0, 0, 1, 0x24, 0,    0x61};
static const uint8_t ex5_test_1[] = {1,    1,    2,    1, 4, 0x78, 0x9c, 0x63,
                                     0x58, 0xc0, 0xc0, 0, 0, 1,    0xe4};
static const uint8_t ex5_test_2[] = {1, 2, 2, 1, 4, 0, 0xa1};
static const uint8_t ex5_qrp_1[] = {1,    1,    2,    1, 4, 0x78, 0x9c, 0x63,
                                    0x60, 0x60, 0x58, 0, 0, 0,    0xa4};
static const uint8_t ex5_qrp_2[] = {1, 2, 2, 1, 4, 0, 0xa1};
static const uint8_t ex5_untest_1[] = {1,    1,    2,    1, 4, 0x78, 0x9c, 0x63,
                                       0x48, 0x60, 0x60, 0, 0, 1,    0x24};
static const uint8_t ex5_untest_2[] = {1, 2, 2, 1, 4, 0, 0x61};

static void test_decode_spec_messages(void)
{
	gnut_qrp_msg m;
	CU_ASSERT_EQUAL(gnut_qrp_msg_decode(ex_reset, sizeof ex_reset, &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.variant, GNUT_QRP_VARIANT_RESET);
	CU_ASSERT_EQUAL(m.u.reset.table_length, 8);
	CU_ASSERT_EQUAL(m.u.reset.infinity, 7);

	CU_ASSERT_EQUAL(gnut_qrp_msg_decode(ex5_test_1, sizeof ex5_test_1, &m), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.variant, GNUT_QRP_VARIANT_PATCH);
	CU_ASSERT_EQUAL(m.u.patch.seq_no, 1);
	CU_ASSERT_EQUAL(m.u.patch.seq_size, 2);
	CU_ASSERT_EQUAL(m.u.patch.compressor, GNUT_QRP_COMPRESSOR_ZLIB);
	CU_ASSERT_EQUAL(m.u.patch.entry_bits, 4);
	CU_ASSERT_EQUAL(m.u.patch.data.len, 10);
	CU_ASSERT_PTR_EQUAL(m.u.patch.data.data, ex5_test_1 + 5);
}

static void test_round_trips(void)
{
	gnut_qrp_reset resets[] = {{1, 1}, {8, 7}, {65536, 2}, {GNUT_QRP_MAX_SLOTS, 255}};
	for (size_t i = 0; i < G_N_ELEMENTS(resets); i++) {
		g_autoptr(GByteArray) b = g_byte_array_new();
		gnut_qrp_reset_encode(&resets[i], b);
		CU_ASSERT_EQUAL(b->len, GNUT_QRP_RESET_SIZE);
		gnut_qrp_msg m;
		CU_ASSERT_EQUAL(gnut_qrp_msg_decode(b->data, b->len, &m), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(m.u.reset.table_length, resets[i].table_length);
		CU_ASSERT_EQUAL(m.u.reset.infinity, resets[i].infinity);
	}
	const uint8_t bits[] = {1, 2, 4, 8};
	uint8_t data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < G_N_ELEMENTS(bits); i++) {
		gnut_qrp_patch p = {3, 9, (uint8_t)(i & 1), bits[i], {data, 1 + i * 90}};
		g_autoptr(GByteArray) b = g_byte_array_new();
		gnut_qrp_patch_encode(&p, b);
		gnut_qrp_msg m;
		CU_ASSERT_EQUAL(gnut_qrp_msg_decode(b->data, b->len, &m), GNUT_PROTO_OK);
		CU_ASSERT(m.u.patch.seq_no == 3 && m.u.patch.seq_size == 9);
		CU_ASSERT_EQUAL(m.u.patch.compressor, i & 1);
		CU_ASSERT_EQUAL(m.u.patch.entry_bits, bits[i]);
		CU_ASSERT(m.u.patch.data.len == p.data.len &&
		          memcmp(m.u.patch.data.data, data, p.data.len) == 0);
	}
}

/* Both variants cut at every offset: a RESET is an error anywhere; a PATCH
 * is one while its fixed fields are cut, and past them the data slice is
 * shorter than the table needs, which applying the sequence catches. */
static void test_truncation_everywhere(void)
{
	gnut_qrp_msg m;
	for (size_t cut = 0; cut < sizeof ex_reset; cut++)
		CU_ASSERT_EQUAL(gnut_qrp_msg_decode(ex_reset, cut, &m), GNUT_PROTO_ERR_TRUNCATED);
	const uint8_t *patches[] = {ex1_test, ex2_test, ex4_test};
	const size_t lens[] = {sizeof ex1_test, sizeof ex2_test, sizeof ex4_test};
	for (size_t k = 0; k < G_N_ELEMENTS(patches); k++) {
		for (size_t cut = 0; cut < lens[k]; cut++) {
			gnut_proto_err err = gnut_qrp_msg_decode(patches[k], cut, &m);
			if (cut <= GNUT_QRP_PATCH_HEAD_SIZE) {
				CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_TRUNCATED);
				continue;
			}
			CU_ASSERT_EQUAL_FATAL(err, GNUT_PROTO_OK);
			g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
			gnut_qrp_msg r;
			CU_ASSERT_EQUAL(gnut_qrp_msg_decode(ex_reset, sizeof ex_reset, &r),
			                GNUT_PROTO_OK);
			CU_ASSERT_EQUAL(gnut_qrp_table_receive(t, &r), GNUT_PROTO_OK);
			CU_ASSERT_EQUAL(gnut_qrp_table_receive(t, &m), GNUT_PROTO_ERR_TRUNCATED);
			CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
		}
	}
}

static gnut_proto_err decode_bytes(const uint8_t *b, size_t n)
{
	gnut_qrp_msg m;
	return gnut_qrp_msg_decode(b, n, &m);
}

/* Every length-like field pushed past what is valid. */
static void test_inflated_fields(void)
{
	uint8_t r[] = {0, 0, 0, 0x40, 0, 7}; /* 2^22 slots: the cap itself */
	CU_ASSERT_EQUAL(decode_bytes(r, sizeof r), GNUT_PROTO_OK);
	r[4] = 0x80; /* 2^22 + 2^31 */
	CU_ASSERT_EQUAL(decode_bytes(r, sizeof r), GNUT_PROTO_ERR_TOO_LARGE);
	uint8_t r2[] = {0, 0, 0, 0x80, 0, 7}; /* 2^23 */
	CU_ASSERT_EQUAL(decode_bytes(r2, sizeof r2), GNUT_PROTO_ERR_TOO_LARGE);
	uint8_t r3[] = {0, 0xff, 0xff, 0xff, 0xff, 7};
	CU_ASSERT_EQUAL(decode_bytes(r3, sizeof r3), GNUT_PROTO_ERR_TOO_LARGE);
	uint8_t r4[] = {0, 6, 0, 0, 0, 7}; /* not a power of two */
	CU_ASSERT_EQUAL(decode_bytes(r4, sizeof r4), GNUT_PROTO_ERR_MALFORMED);
	uint8_t r5[] = {0, 0, 0, 0, 0, 7}; /* zero slots */
	CU_ASSERT_EQUAL(decode_bytes(r5, sizeof r5), GNUT_PROTO_ERR_MALFORMED);
	uint8_t r6[] = {0, 8, 0, 0, 0, 0}; /* infinity 0 */
	CU_ASSERT_EQUAL(decode_bytes(r6, sizeof r6), GNUT_PROTO_ERR_MALFORMED);
	uint8_t r7[] = {0, 8, 0, 0, 0, 7, 0}; /* a byte too many */
	CU_ASSERT_EQUAL(decode_bytes(r7, sizeof r7), GNUT_PROTO_ERR_TRAILING);

	uint8_t p[] = {1, 1, 1, 0, 4, 0};
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_OK);
	p[1] = 2; /* seq_no over seq_size */
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_ERR_MALFORMED);
	p[1] = 0; /* seq_no 0 */
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_ERR_MALFORMED);
	p[1] = 1;
	p[4] = 3; /* entry bits */
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_ERR_MALFORMED);
	p[4] = 16;
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_ERR_MALFORMED);
	p[4] = 4;
	p[3] = 2; /* compressor */
	CU_ASSERT_EQUAL(decode_bytes(p, sizeof p), GNUT_PROTO_ERR_UNSUPPORTED);
	uint8_t v[] = {2, 0, 0, 0, 0, 0}; /* variant */
	CU_ASSERT_EQUAL(decode_bytes(v, sizeof v), GNUT_PROTO_ERR_UNSUPPORTED);

	size_t big = GNUT_QRP_PATCH_HEAD_SIZE + GNUT_QRP_MAX_PATCH_DATA;
	g_autofree uint8_t *huge = g_malloc0(big + 1);
	memcpy(huge, (uint8_t[]){1, 1, 1, 1, 8}, 5);
	CU_ASSERT_EQUAL(decode_bytes(huge, big), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(decode_bytes(huge, big + 1), GNUT_PROTO_ERR_TOO_LARGE);
}

/* ---- tables ---- */

static gnut_proto_err feed(gnut_qrp_table *t, const uint8_t *b, size_t n)
{
	gnut_qrp_msg m;
	gnut_proto_err err = gnut_qrp_msg_decode(b, n, &m);
	if (err != GNUT_PROTO_OK)
		return err;
	return gnut_qrp_table_receive(t, &m);
}

#define FEED(t, a) feed((t), (a), sizeof(a))

static bool only_slots(const gnut_qrp_table *t, uint32_t a, uint32_t b)
{
	for (uint32_t s = 0; s < gnut_qrp_table_slots(t); s++)
		if (gnut_qrp_table_get(t, s) != (s == a || s == b))
			return false;
	return true;
}

/* Each example of Appendix B: the RESET, then the three updates, each
 * checked against the slots "test" (2) and "qrp" should leave. "qrp" hashes
 * to 7, and the 8-bit example puts it there, but the 4-bit examples write
 * its -6 as 0xa0 in the last byte: by the spec's own rule (entries most
 * significant first, "001011110000" is [2, -1, 0]), which gtk-gnutella
 * follows, that is slot 6. The appendix slipped there; we read it as the
 * rule says, so those examples leave slot 6. */
static void check_example(const uint8_t *const *msgs, const size_t *lens, size_t per_update,
                          uint32_t qrp)
{
	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
	CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
	CU_ASSERT_EQUAL(FEED(t, ex_reset), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_qrp_table_slots(t), 8);
	CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
	const uint32_t want[3][2] = {{2, 2}, {2, qrp}, {qrp, qrp}};
	for (size_t u = 0; u < 3; u++) {
		for (size_t k = 0; k < per_update; k++) {
			size_t i = u * per_update + k;
			CU_ASSERT_EQUAL(feed(t, msgs[i], lens[i]), GNUT_PROTO_OK);
		}
		CU_ASSERT_TRUE(gnut_qrp_table_ready(t));
		CU_ASSERT_TRUE(only_slots(t, want[u][0], want[u][1]));
	}
}

#define MSGS(...)                                                                                  \
	(const uint8_t *const[])                                                                   \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

static void test_apply_spec_examples(void)
{
	check_example(MSGS(ex1_test, ex1_qrp, ex1_untest),
	              (size_t[]){sizeof ex1_test, sizeof ex1_qrp, sizeof ex1_untest}, 1, 7);
	check_example(MSGS(ex2_test, ex2_qrp, ex2_untest),
	              (size_t[]){sizeof ex2_test, sizeof ex2_qrp, sizeof ex2_untest}, 1, 6);
	check_example(
	    MSGS(ex3_test_1, ex3_test_2, ex3_qrp_1, ex3_qrp_2, ex3_untest_1, ex3_untest_2),
	    (size_t[]){7, 7, 7, 7, 7, 7}, 2, 6);
	check_example(MSGS(ex4_test, ex4_qrp, ex4_untest),
	              (size_t[]){sizeof ex4_test, sizeof ex4_qrp, sizeof ex4_untest}, 1, 6);
	check_example(
	    MSGS(ex5_test_1, ex5_test_2, ex5_qrp_1, ex5_qrp_2, ex5_untest_1, ex5_untest_2),
	    (size_t[]){15, 7, 15, 7, 15, 7}, 2, 6);
}

static bool payload_is(GPtrArray *msgs, guint i, const uint8_t *want, size_t len)
{
	if (i >= msgs->len)
		return false;
	gsize n = 0;
	const uint8_t *d = g_bytes_get_data(g_ptr_array_index(msgs, i), &n);
	return n == len && memcmp(d, want, len) == 0;
}

#define PAYLOAD_IS(msgs, i, a) payload_is((msgs), (i), (a), sizeof(a))

/* Our encoder writes Appendix B's bytes: the spec's own reading of itself. */
static void test_encode_spec_examples(void)
{
	g_autoptr(gnut_qrp_table) t1 = gnut_qrp_table_new(8);
	gnut_qrp_table_add(t1, "test", 4, false);
	g_autoptr(gnut_qrp_table) t2 = gnut_qrp_table_copy(t1);
	gnut_qrp_table_add(t2, "qrp", 3, false);
	g_autoptr(gnut_qrp_table) t3 = gnut_qrp_table_new(8);
	gnut_qrp_table_add(t3, "qrp", 3, false);

	gnut_qrp_encode_opts o = {8, 7, GNUT_QRP_COMPRESSOR_NONE, 1024};
	g_autoptr(GPtrArray) a = gnut_qrp_table_encode_update(t1, NULL, &o);
	CU_ASSERT_EQUAL(a->len, 2);
	CU_ASSERT_TRUE(PAYLOAD_IS(a, 0, ex_reset));
	CU_ASSERT_TRUE(PAYLOAD_IS(a, 1, ex1_test));
	g_autoptr(GPtrArray) b = gnut_qrp_table_encode_update(t2, t1, &o);
	CU_ASSERT_EQUAL(b->len, 1);
	CU_ASSERT_TRUE(PAYLOAD_IS(b, 0, ex1_qrp));
	g_autoptr(GPtrArray) c = gnut_qrp_table_encode_update(t3, t2, &o);
	CU_ASSERT_TRUE(PAYLOAD_IS(c, 0, ex1_untest));

	o.entry_bits = 4;
	o.chunk_size = 2;
	g_autoptr(GPtrArray) d = gnut_qrp_table_encode_update(t1, NULL, &o);
	CU_ASSERT_EQUAL(d->len, 3);
	CU_ASSERT_TRUE(PAYLOAD_IS(d, 1, ex3_test_1));
	CU_ASSERT_TRUE(PAYLOAD_IS(d, 2, ex3_test_2));
	g_autoptr(GPtrArray) e = gnut_qrp_table_encode_update(t3, t2, &o);
	CU_ASSERT_TRUE(PAYLOAD_IS(e, 0, ex3_untest_1));
	CU_ASSERT_TRUE(PAYLOAD_IS(e, 1, ex3_untest_2));

	o.compressor = GNUT_QRP_COMPRESSOR_ZLIB;
	o.chunk_size = 4096;
	g_autoptr(GPtrArray) g = gnut_qrp_table_encode_update(t1, NULL, &o);
	CU_ASSERT_TRUE(PAYLOAD_IS(g, 1, ex4_test));
	g_autoptr(GPtrArray) h = gnut_qrp_table_encode_update(t3, t2, &o);
	CU_ASSERT_TRUE(PAYLOAD_IS(h, 0, ex4_untest));

	/* the 4-bit "qrp" updates mark slot 6 (see check_example): the table
	 * rebuilt from the spec's messages encodes back into the same bytes */
	g_autoptr(gnut_qrp_table) s6 = gnut_qrp_table_new_remote();
	CU_ASSERT_EQUAL(FEED(s6, ex_reset), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(s6, ex2_test), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(s6, ex2_qrp), GNUT_PROTO_OK);
	o.chunk_size = 10;
	g_autoptr(GPtrArray) f = gnut_qrp_table_encode_update(s6, t1, &o);
	CU_ASSERT_EQUAL(f->len, 2);
	CU_ASSERT_TRUE(PAYLOAD_IS(f, 0, ex5_qrp_1));
	CU_ASSERT_TRUE(PAYLOAD_IS(f, 1, ex5_qrp_2));
	o.compressor = GNUT_QRP_COMPRESSOR_NONE;
	o.chunk_size = 2;
	g_autoptr(GPtrArray) q = gnut_qrp_table_encode_update(s6, t1, &o);
	CU_ASSERT_TRUE(PAYLOAD_IS(q, 0, ex3_qrp_1));
	CU_ASSERT_TRUE(PAYLOAD_IS(q, 1, ex3_qrp_2));
}

static gnut_proto_err feed_all(gnut_qrp_table *t, GPtrArray *msgs)
{
	for (guint i = 0; i < msgs->len; i++) {
		gsize n = 0;
		const uint8_t *d = g_bytes_get_data(g_ptr_array_index(msgs, i), &n);
		gnut_proto_err err = feed(t, d, n);
		if (err != GNUT_PROTO_OK)
			return err;
	}
	return GNUT_PROTO_OK;
}

static GPtrArray *words(const char *text)
{
	return gnut_keywords_split(text, strlen(text));
}

/* The table a leaf sends, built from its file names, rebuilt on the other
 * side and asked about queries. */
static void test_keywords_table_round_trip(void)
{
	g_autoptr(GPtrArray) kws = words("The Beatles - Let It Be (1970) Remastered.flac");
	g_autoptr(gnut_qrp_table) ours =
	    gnut_qrp_table_from_keywords(GNUT_QRP_DEFAULT_SLOTS, kws, false);
	CU_ASSERT_TRUE(gnut_qrp_table_count(ours) >= 6 && gnut_qrp_table_count(ours) <= 8);
	g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(ours, NULL, NULL);
	CU_ASSERT_EQUAL(msgs->len, 2); /* a sparse 64K table deflates into one slice */
	g_autoptr(gnut_qrp_table) theirs = gnut_qrp_table_new_remote();
	CU_ASSERT_EQUAL(feed_all(theirs, msgs), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_qrp_table_ready(theirs));
	CU_ASSERT_TRUE(gnut_qrp_table_equal(ours, theirs));

	g_autoptr(GPtrArray) q1 = words("beatles let it be");
	g_autoptr(GPtrArray) q2 = words("BEATLES remastered");
	g_autoptr(GPtrArray) q3 = words("beatles yesterday");
	g_autoptr(GPtrArray) q4 = words("it be"); /* nothing long enough to check */
	CU_ASSERT_TRUE(gnut_qrp_table_matches(theirs, q1));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(theirs, q2));
	CU_ASSERT_FALSE(gnut_qrp_table_matches(theirs, q3));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(theirs, q4));
	/* an unreset link knows nothing */
	g_autoptr(gnut_qrp_table) blank = gnut_qrp_table_new_remote();
	CU_ASSERT_FALSE(gnut_qrp_table_matches(blank, q1));
}

static void test_incremental_updates(void)
{
	g_autoptr(GPtrArray) kws = words("alpha bravo charlie");
	g_autoptr(gnut_qrp_table) v1 = gnut_qrp_table_from_keywords(1024, kws, false);
	g_autoptr(gnut_qrp_table) v2 = gnut_qrp_table_copy(v1);
	gnut_qrp_table_add(v2, "delta", 5, false);
	g_autoptr(gnut_qrp_table) peer = gnut_qrp_table_new_remote();
	g_autoptr(GPtrArray) m1 = gnut_qrp_table_encode_update(v1, NULL, NULL);
	CU_ASSERT_EQUAL(feed_all(peer, m1), GNUT_PROTO_OK);
	g_autoptr(GPtrArray) m2 = gnut_qrp_table_encode_update(v2, v1, NULL);
	CU_ASSERT_EQUAL(m2->len, 1); /* no RESET */
	CU_ASSERT_EQUAL(feed_all(peer, m2), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_qrp_table_equal(peer, v2));
	/* and back: removal */
	g_autoptr(GPtrArray) m3 = gnut_qrp_table_encode_update(v1, v2, NULL);
	CU_ASSERT_EQUAL(feed_all(peer, m3), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_qrp_table_equal(peer, v1));
	/* nothing changed: nothing to send */
	g_autoptr(GPtrArray) m4 = gnut_qrp_table_encode_update(v1, v1, NULL);
	CU_ASSERT_EQUAL(m4->len, 0);
	/* another size: a RESET again */
	g_autoptr(gnut_qrp_table) big = gnut_qrp_table_from_keywords(4096, kws, false);
	g_autoptr(GPtrArray) m5 = gnut_qrp_table_encode_update(big, v1, NULL);
	CU_ASSERT_TRUE(m5->len == 2 && g_bytes_get_size(g_ptr_array_index(m5, 0)) == 6);
	CU_ASSERT_EQUAL(feed_all(peer, m5), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_qrp_table_equal(peer, big));
}

/* Each option of the encoder, and a table as big as we accept. */
static void test_encode_options_and_sizes(void)
{
	const gnut_qrp_encode_opts opts[] = {
	    {4, 2, GNUT_QRP_COMPRESSOR_NONE, 512},
	    {8, 128, GNUT_QRP_COMPRESSOR_NONE, 512},
	    {8, 7, GNUT_QRP_COMPRESSOR_ZLIB, 100},
	    {4, 8, GNUT_QRP_COMPRESSOR_ZLIB, 4096},
	};
	g_autoptr(GPtrArray) kws = words("one two three four five six seven eight nine ten");
	for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
		g_autoptr(gnut_qrp_table) t = gnut_qrp_table_from_keywords(1u << 20, kws, true);
		g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(t, NULL, &opts[i]);
		CU_ASSERT_TRUE(msgs->len >= 2 && msgs->len <= 256); /* at most 255 PATCHes */
		g_autoptr(gnut_qrp_table) peer = gnut_qrp_table_new_remote();
		CU_ASSERT_EQUAL(feed_all(peer, msgs), GNUT_PROTO_OK);
		CU_ASSERT_TRUE(gnut_qrp_table_equal(peer, t));
	}
	g_autoptr(gnut_qrp_table) max =
	    gnut_qrp_table_from_keywords(GNUT_QRP_MAX_SLOTS, kws, false);
	CU_ASSERT_EQUAL(gnut_qrp_table_bits(max), 22);
	g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(max, NULL, NULL);
	g_autoptr(gnut_qrp_table) peer = gnut_qrp_table_new_remote();
	CU_ASSERT_EQUAL(feed_all(peer, msgs), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_qrp_table_equal(peer, max));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(peer, kws));
}

/* 1- and 2-bit entries, which gtk-gnutella accepts: a 1 flips a slot, a
 * 2-bit 0b11 (-1) sets one and 0b01 (+1) clears one. */
static void test_small_entries(void)
{
	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
	CU_ASSERT_EQUAL(FEED(t, ex_reset), GNUT_PROTO_OK);
	const uint8_t one_bit[] = {1, 1, 1, 0, 1, 0x81}; /* flip slots 0 and 7 */
	CU_ASSERT_EQUAL(FEED(t, one_bit), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(only_slots(t, 0, 7));
	const uint8_t one_bit_again[] = {1, 1, 1, 0, 1, 0x01}; /* flip 7 back */
	CU_ASSERT_EQUAL(FEED(t, one_bit_again), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(only_slots(t, 0, 0));
	const uint8_t two_bit[] = {1, 1, 1, 0, 2, 0x43, 0x00}; /* +1 on 0, -1 on 3 */
	CU_ASSERT_EQUAL(FEED(t, two_bit), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(only_slots(t, 3, 3));
	CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 1);
	/* 2-slot table, 4-bit entries: one byte, no padding issue */
	const uint8_t r2[] = {0, 2, 0, 0, 0, 2};
	const uint8_t p2[] = {1, 1, 1, 0, 4, 0x0f};
	CU_ASSERT_EQUAL(FEED(t, r2), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, p2), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(only_slots(t, 1, 1));
}

static void test_sequence_errors(void)
{
	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
	/* PATCH before any RESET */
	CU_ASSERT_EQUAL(FEED(t, ex2_test), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(FEED(t, ex_reset), GNUT_PROTO_OK);
	/* starting at message 2 */
	CU_ASSERT_EQUAL(FEED(t, ex3_test_2), GNUT_PROTO_ERR_MALFORMED);
	/* message 1 twice */
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_ERR_MALFORMED);
	/* entry bits changing mid-sequence */
	const uint8_t bits8_2of2[] = {1, 2, 2, 0, 8, 0, 0};
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, bits8_2of2), GNUT_PROTO_ERR_MALFORMED);
	/* compressor changing mid-sequence */
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, ex5_test_2), GNUT_PROTO_ERR_MALFORMED);
	/* seq_size changing mid-sequence */
	const uint8_t of3[] = {1, 2, 3, 0, 4, 0};
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, of3), GNUT_PROTO_ERR_MALFORMED);
	/* none of that touched the slots */
	CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 0);
	CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
	/* a RESET drops a sequence in progress */
	CU_ASSERT_EQUAL(FEED(t, ex3_test_1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, ex_reset), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, ex3_test_2), GNUT_PROTO_ERR_MALFORMED);
	/* uncompressed size mismatch: a byte too many, a byte short */
	const uint8_t long8[] = {1, 1, 1, 0, 4, 0, 0xa0, 0, 0, 0};
	const uint8_t short8[] = {1, 1, 1, 0, 4, 0, 0xa0, 0};
	CU_ASSERT_EQUAL(FEED(t, long8), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(FEED(t, short8), GNUT_PROTO_ERR_TRUNCATED);
	/* too much data across a sequence */
	const uint8_t part1[] = {1, 1, 2, 0, 4, 0, 0xa0, 0};
	const uint8_t part2[] = {1, 2, 2, 0, 4, 0, 0};
	CU_ASSERT_EQUAL(FEED(t, part1), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(FEED(t, part2), GNUT_PROTO_ERR_TOO_LARGE);
	/* still usable after all that */
	CU_ASSERT_EQUAL(FEED(t, ex2_test), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(only_slots(t, 2, 2));
	CU_ASSERT_TRUE(gnut_qrp_table_ready(t));
}

/* A PATCH whose data is the given bytes deflated, for an 8-slot table. */
static gnut_proto_err feed_deflated(gnut_qrp_table *t, const uint8_t *raw, size_t n,
                                    const uint8_t *tail, size_t tail_len)
{
	uLongf cap = compressBound(n);
	g_autofree uint8_t *z = g_malloc(cap + tail_len + 5);
	memcpy(z, (uint8_t[]){1, 1, 1, 1, 8}, 5);
	CU_ASSERT_EQUAL_FATAL(compress2(z + 5, &cap, raw, n, 9), Z_OK);
	if (tail_len != 0)
		memcpy(z + 5 + cap, tail, tail_len);
	return feed(t, z, 5 + cap + tail_len);
}

static void test_zlib_rejects(void)
{
	/* a bomb: 1 MiB of -6 entries deflate to about 1 KiB, under the cap on
	 * collected data, so it is the inflate cap (the 1 KiB this 1024-slot
	 * table needs) that stops it */
	g_autoptr(gnut_qrp_table) big = gnut_qrp_table_new_remote();
	const uint8_t reset1k[] = {0, 0, 4, 0, 0, 7};
	CU_ASSERT_EQUAL(FEED(big, reset1k), GNUT_PROTO_OK);
	size_t bomb = 1u << 20;
	g_autofree uint8_t *lots = g_malloc(bomb);
	memset(lots, 0xfa, bomb);
	uLongf zlen = compressBound(bomb);
	g_autofree uint8_t *z = g_malloc(5 + zlen);
	memcpy(z, (uint8_t[]){1, 1, 1, 1, 8}, 5);
	CU_ASSERT_EQUAL_FATAL(compress2(z + 5, &zlen, lots, bomb, 9), Z_OK);
	CU_ASSERT_TRUE(zlen < 2048);
	CU_ASSERT_EQUAL(feed(big, z, 5 + zlen), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(big), 0);
	CU_ASSERT_FALSE(gnut_qrp_table_ready(big));

	g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
	CU_ASSERT_EQUAL(FEED(t, ex_reset), GNUT_PROTO_OK);
	/* the same bomb on an 8-slot table is over the cap on collected data */
	CU_ASSERT_EQUAL(feed(t, z, 5 + zlen), GNUT_PROTO_ERR_TOO_LARGE);
	/* one entry too many, one too few */
	CU_ASSERT_EQUAL(feed_deflated(t, lots, 9, NULL, 0), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(feed_deflated(t, lots, 7, NULL, 0), GNUT_PROTO_ERR_TRUNCATED);
	/* bytes after the end of the stream */
	CU_ASSERT_EQUAL(feed_deflated(t, lots, 8, (const uint8_t *)"x", 1),
	                GNUT_PROTO_ERR_TRAILING);
	/* not zlib at all */
	const uint8_t junk[] = {1, 1, 1, 1, 8, 0x12, 0x34, 0x56, 0x78};
	CU_ASSERT_EQUAL(FEED(t, junk), GNUT_PROTO_ERR_MALFORMED);
	/* a stream cut short */
	const uint8_t cut[] = {1, 1, 1, 1, 4, 0x78, 0x9c, 0x63, 0x58};
	CU_ASSERT_EQUAL(FEED(t, cut), GNUT_PROTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 0);
	/* the exact size goes through */
	CU_ASSERT_EQUAL(feed_deflated(t, lots, 8, NULL, 0), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 8);
	/* compressed data received is capped too, even when it inflates to
	 * nothing: a zlib header then empty stored blocks (5 bytes each), 2 x
	 * 1 KiB of them for 8 slots */
	g_autofree uint8_t *slab = g_malloc0(5 + 1024);
	memcpy(slab, (uint8_t[]){1, 1, 2, 1, 8, 0x78, 0x01}, 7);
	for (size_t off = 7; off + 5 <= 5 + 1024; off += 5)
		memcpy(slab + off, (uint8_t[]){0x00, 0x00, 0x00, 0xff, 0xff}, 5);
	CU_ASSERT_EQUAL(feed(t, slab, 5 + 1022), GNUT_PROTO_OK);
	memcpy(slab, (uint8_t[]){1, 2, 2, 1, 8}, 5);
	for (size_t off = 5; off + 5 <= 5 + 1024; off += 5)
		memcpy(slab + off, (uint8_t[]){0x00, 0x00, 0x00, 0xff, 0xff}, 5);
	CU_ASSERT_EQUAL(feed(t, slab, 5 + 1020), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 8);
}

/* A sequence is applied as it streams in, yet all at once or not at all:
 * a sequence that fails at its last message leaves the slots as they were,
 * and the same messages with a good ending replace them. */
static void test_streamed_sequence_all_or_nothing(void)
{
	const uint32_t slots = 1u << 16;
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < 2000; i++)
		g_ptr_array_add(words, g_strdup_printf("word%d", i));
	g_autoptr(gnut_qrp_table) src = gnut_qrp_table_from_keywords(slots, words, false);
	for (int compressed = 0; compressed < 2; compressed++) {
		gnut_qrp_encode_opts o = GNUT_QRP_ENCODE_DEFAULTS;
		o.chunk_size = 512;
		o.entry_bits = 8;
		o.compressor = compressed ? GNUT_QRP_COMPRESSOR_ZLIB : GNUT_QRP_COMPRESSOR_NONE;
		g_autoptr(GPtrArray) msgs = gnut_qrp_table_encode_update(src, NULL, &o);
		CU_ASSERT_FATAL(msgs->len >= 3); /* a RESET, then two PATCH or more */
		g_autoptr(gnut_qrp_table) t = gnut_qrp_table_new_remote();
		for (guint i = 0; i + 1 < msgs->len; i++) {
			gsize n;
			const uint8_t *d = g_bytes_get_data(g_ptr_array_index(msgs, i), &n);
			CU_ASSERT_EQUAL(feed(t, d, n), GNUT_PROTO_OK);
		}
		CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 0);
		CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
		/* the last message cut short: the sequence fails, nothing applied */
		gsize n;
		const uint8_t *last = g_bytes_get_data(g_ptr_array_index(msgs, msgs->len - 1), &n);
		CU_ASSERT_EQUAL(feed(t, last, n - 1), GNUT_PROTO_ERR_TRUNCATED);
		CU_ASSERT_EQUAL(gnut_qrp_table_count(t), 0);
		CU_ASSERT_FALSE(gnut_qrp_table_ready(t));
		/* the whole patch again, whole: the table is the source's */
		for (guint i = 1; i < msgs->len; i++) {
			const uint8_t *d = g_bytes_get_data(g_ptr_array_index(msgs, i), &n);
			CU_ASSERT_EQUAL(feed(t, d, n), GNUT_PROTO_OK);
		}
		CU_ASSERT_TRUE(gnut_qrp_table_ready(t));
		CU_ASSERT_TRUE(gnut_qrp_table_equal(t, src));
	}
}

static void test_prefixes_and_short_words(void)
{
	g_autoptr(gnut_qrp_table) whole = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	g_autoptr(gnut_qrp_table) pre = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	gnut_qrp_table_add(whole, "beatles", 7, false);
	gnut_qrp_table_add(pre, "beatles", 7, true);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(whole), 1);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(pre), 5); /* bea beat beatl beatle beatles */
	g_autoptr(GPtrArray) beat = words("beat");
	g_autoptr(GPtrArray) be = words("be"); /* too short to check */
	CU_ASSERT_FALSE(gnut_qrp_table_matches(whole, beat));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(pre, beat));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(whole, be));
	/* prefixes never cut a UTF-8 character: "été" is 3 characters, 5 bytes */
	g_autoptr(gnut_qrp_table) utf = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	gnut_qrp_table_add(utf, "\xc3\xa9t\xc3\xa9s", 6, true);
	CU_ASSERT_EQUAL(gnut_qrp_table_count(utf), 2);
	CU_ASSERT_TRUE(gnut_qrp_table_get(utf, gnut_qrp_hash("\xc3\xa9t\xc3\xa9", 5, 16)));
}

static void test_merge_scaling(void)
{
	g_autoptr(GPtrArray) kws = words("leaf music video");
	g_autoptr(gnut_qrp_table) leaf = gnut_qrp_table_from_keywords(1024, kws, false);
	g_autoptr(gnut_qrp_table) bigger = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	g_autoptr(gnut_qrp_table) smaller = gnut_qrp_table_new(64);
	gnut_qrp_table_merge(bigger, leaf);
	gnut_qrp_table_merge(smaller, leaf);
	CU_ASSERT_TRUE(gnut_qrp_table_matches(bigger, kws));
	CU_ASSERT_TRUE(gnut_qrp_table_matches(smaller, kws));
	CU_ASSERT_EQUAL(gnut_qrp_table_count(bigger), 64 * gnut_qrp_table_count(leaf));
	CU_ASSERT_TRUE(gnut_qrp_table_count(smaller) <= gnut_qrp_table_count(leaf));
	/* merging the same size is a plain OR */
	g_autoptr(gnut_qrp_table) same = gnut_qrp_table_new(1024);
	gnut_qrp_table_merge(same, leaf);
	CU_ASSERT_TRUE(gnut_qrp_table_equal(same, leaf));
}

static CU_TestInfo tests[] = {
    {"hash: spec appendix A vectors", test_hash_spec_vectors},
    {"hash: restrict and byte semantics", test_hash_restrict},
    {"msg: spec appendix B messages decode", test_decode_spec_messages},
    {"msg: round trips", test_round_trips},
    {"msg: truncated at every offset", test_truncation_everywhere},
    {"msg: inflated fields", test_inflated_fields},
    {"table: spec appendix B sequences applied", test_apply_spec_examples},
    {"table: encoder writes appendix B bytes", test_encode_spec_examples},
    {"table: keywords -> messages -> peer table", test_keywords_table_round_trip},
    {"table: incremental updates", test_incremental_updates},
    {"table: encode options, 2^22 slots", test_encode_options_and_sizes},
    {"table: 1- and 2-bit entries", test_small_entries},
    {"table: sequence errors", test_sequence_errors},
    {"table: zlib bomb and bad streams", test_zlib_rejects},
    {"table: a streamed sequence applies all or nothing", test_streamed_sequence_all_or_nothing},
    {"table: prefixes and short words", test_prefixes_and_short_words},
    {"table: merge across sizes", test_merge_scaling},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("qrp", tests)
