/* test-partial-result.c: GGEP "PRU" payloads against known vectors (the
 * layout gtk-gnutella writes: 32-bit big-endian time, then the size
 * little-endian without its high zero bytes), refusals, truncation at every
 * offset, the extension-area round trip, and "PR" in queries. */
#include "gnut/proto/ggep.h"
#include "gnut/proto/partial-result.h"
#include "unit.h"

#include <string.h>

/* 2020-09-13 12:26:40 UTC (0x5F5E1000), 8 MiB available. */
static const uint8_t pru_8mib[] = {0x5f, 0x5e, 0x10, 0x00, 0x00, 0x00, 0x80};
/* A "PRU" GGEP block without NUL bytes: last extension, ID length 3,
 * length 6 (0x40 | 6), time 0x01020304, 0x0605 bytes available. */
static const uint8_t pru_block[] = {0xc3, 0x83, 'P',  'R',  'U',  0x46,
                                    0x01, 0x02, 0x03, 0x04, 0x05, 0x06};

static void test_vectors(void)
{
	gnut_pru p;
	CU_ASSERT_EQUAL(gnut_pru_decode(pru_8mib, sizeof pru_8mib, &p), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(p.has_info);
	CU_ASSERT_EQUAL(p.mtime, 0x5F5E1000u);
	CU_ASSERT_EQUAL(p.available, 8u * 1024 * 1024);
	uint8_t out[GNUT_PRU_MAX_LEN];
	CU_ASSERT_EQUAL(gnut_pru_encode(&p, out), sizeof pru_8mib);
	CU_ASSERT_EQUAL(memcmp(out, pru_8mib, sizeof pru_8mib), 0);

	gnut_pru zero = {.has_info = true, .mtime = 7, .available = 0};
	CU_ASSERT_EQUAL(gnut_pru_encode(&zero, out), 4);
	CU_ASSERT_EQUAL(gnut_pru_decode(out, 4, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.mtime, 7);
	CU_ASSERT_EQUAL(p.available, 0);

	gnut_pru big = {.has_info = true, .mtime = 0xffffffffu, .available = G_MAXUINT64};
	CU_ASSERT_EQUAL(gnut_pru_encode(&big, out), GNUT_PRU_MAX_LEN);
	CU_ASSERT_EQUAL(gnut_pru_decode(out, GNUT_PRU_MAX_LEN, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.available, G_MAXUINT64);
	CU_ASSERT_EQUAL(p.mtime, 0xffffffffu);
}

static void test_refusals(void)
{
	gnut_pru p;
	CU_ASSERT_EQUAL(gnut_pru_decode(NULL, 0, &p), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(p.has_info);
	for (size_t cut = 1; cut < 4; cut++)
		CU_ASSERT_EQUAL(gnut_pru_decode(pru_8mib, cut, &p), GNUT_PROTO_ERR_TRUNCATED);
	/* cut inside the size: a shorter size, or a high zero byte left in */
	CU_ASSERT_EQUAL(gnut_pru_decode(pru_8mib, 5, &p), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_pru_decode(pru_8mib, 6, &p), GNUT_PROTO_ERR_MALFORMED);
	uint8_t long_one[GNUT_PRU_MAX_LEN + 1];
	memset(long_one, 1, sizeof long_one);
	CU_ASSERT_EQUAL(gnut_pru_decode(long_one, sizeof long_one, &p), GNUT_PROTO_ERR_TOO_LARGE);
}

static void test_ext_area(void)
{
	gnut_pru p = {.has_info = true, .mtime = 0x01020304u, .available = 0x0605};
	g_autoptr(GByteArray) ext = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_pru_ext_append(ext, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ext->len, sizeof pru_block);
	CU_ASSERT_EQUAL(memcmp(ext->data, pru_block, sizeof pru_block), 0);

	/* after a URN, with a payload holding NULs (COBS): still found */
	g_autoptr(GByteArray) area = g_byte_array_new();
	g_byte_array_append(area, (const uint8_t *)"urn:sha1:AAAA", 13);
	gnut_pru q = {.has_info = true, .mtime = 0x5F5E1000u, .available = 8u << 20};
	CU_ASSERT_EQUAL(gnut_pru_ext_append(area, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(area->data[13], 0x1C);
	CU_ASSERT_PTR_NULL(memchr(area->data, 0, area->len));
	gnut_pru back;
	CU_ASSERT_TRUE(gnut_pru_ext_find((gnut_slice){area->data, area->len}, &back));
	CU_ASSERT_EQUAL(back.available, 8u << 20);
	CU_ASSERT_EQUAL(back.mtime, 0x5F5E1000u);
	/* truncated anywhere inside the block: no "PRU" */
	for (size_t cut = 14; cut < area->len; cut++)
		CU_ASSERT_FALSE(gnut_pru_ext_find((gnut_slice){area->data, cut}, &back));
	CU_ASSERT_FALSE(gnut_pru_ext_find((gnut_slice){area->data, 13}, &back));
}

static void test_query_wants(void)
{
	gnut_ggep_item pr = {.id = GNUT_PARTIAL_GGEP_WANTED};
	g_autoptr(GByteArray) block = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(&pr, 1, block), GNUT_PROTO_OK);
	gnut_query q = {.flags = GNUT_QUERY_F_MARK, .text = "song", .text_len = 4};
	CU_ASSERT_FALSE(gnut_query_wants_partials(&q));
	q.ggep[0] = (gnut_slice){block->data, block->len};
	q.n_ggep = 1;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_query_encode(payload, &q), GNUT_PROTO_OK);
	gnut_query back;
	CU_ASSERT_EQUAL(gnut_query_decode(payload->data, payload->len, &back), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_query_wants_partials(&back));
	/* "PRU" in a query is not "PR" */
	gnut_ggep_item pru = {.id = GNUT_PARTIAL_GGEP_RESULT};
	g_autoptr(GByteArray) other = g_byte_array_new();
	CU_ASSERT_EQUAL(gnut_ggep_encode(&pru, 1, other), GNUT_PROTO_OK);
	q.ggep[0] = (gnut_slice){other->data, other->len};
	CU_ASSERT_FALSE(gnut_query_wants_partials(&q));
}

static CU_TestInfo tests[] = {
    {"pru vectors", test_vectors},
    {"pru refusals and truncation", test_refusals},
    {"pru in an extension area", test_ext_area},
    {"pr in a query", test_query_wants},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("partial-result", tests)
