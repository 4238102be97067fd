/* test-mesh.c: the download mesh store: freshest first, refresh and tls,
 * removal, the caps per file and in all (least recently seen goes), expiry
 * on the injected time, the excluded address, and the share of one
 * announcer. */
#include "gnut/core/transfer/mesh.h"
#include "unit.h"

#define SEC G_USEC_PER_SEC

static const uint8_t file_a[GNUT_SHA1_LEN] = {1};
static const uint8_t file_b[GNUT_SHA1_LEN] = {2};

static gnut_alt alt(uint32_t ip, guint16 port)
{
	gnut_alt a = {ip, port, false};
	return a;
}

static void test_pick_order_refresh_remove(void)
{
	g_autoptr(gnut_mesh) m = gnut_mesh_new(0, 0, 0);
	gnut_alt a = alt(0x08080801, 1), b = alt(0x08080802, 2), c = alt(0x08080803, 3);
	gnut_mesh_add(m, file_a, &a, 1 * SEC);
	gnut_mesh_add(m, file_a, &b, 2 * SEC);
	gnut_mesh_add(m, file_a, &c, 3 * SEC);
	gnut_mesh_add(m, file_b, &a, 3 * SEC);
	gnut_alt out[8];
	CU_ASSERT_EQUAL_FATAL(gnut_mesh_pick(m, file_a, 0, 4 * SEC, out, 8), 3);
	CU_ASSERT_EQUAL(out[0].port, 3);
	CU_ASSERT_EQUAL(out[2].port, 1);
	a.tls = true;
	gnut_mesh_add(m, file_a, &a, 5 * SEC); /* seen again, now with TLS */
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 5 * SEC, out, 2), 2);
	CU_ASSERT_EQUAL(out[0].port, 1);
	CU_ASSERT_TRUE(out[0].tls);
	CU_ASSERT_EQUAL(gnut_mesh_size(m), 4);
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0x08080803, 5 * SEC, out, 8), 2);
	CU_ASSERT_TRUE(gnut_mesh_remove(m, file_a, 0x08080802, 2));
	CU_ASSERT_FALSE(gnut_mesh_remove(m, file_a, 0x08080802, 2));
	CU_ASSERT_FALSE(gnut_mesh_remove(m, file_a, 0x08080801, 9));
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 5 * SEC, out, 8), 2);
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_b, 0, 5 * SEC, out, 8), 1);
}

static void test_caps(void)
{
	g_autoptr(gnut_mesh) m = gnut_mesh_new(3, 5, 0);
	for (guint16 p = 1; p <= 4; p++) {
		gnut_alt a = alt(0x08080800 + p, p);
		gnut_mesh_add(m, file_a, &a, p * SEC);
	}
	gnut_alt out[8];
	CU_ASSERT_EQUAL_FATAL(gnut_mesh_pick(m, file_a, 0, 5 * SEC, out, 8), 3);
	CU_ASSERT_EQUAL(out[2].port, 2); /* port 1, the oldest, went */
	for (guint16 p = 1; p <= 3; p++) {
		gnut_alt a = alt(0x09090900 + p, p);
		gnut_mesh_add(m, file_b, &a, (10 + p) * SEC);
	}
	CU_ASSERT_EQUAL(gnut_mesh_size(m), 5);
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 14 * SEC, out, 8), 2);
}

static void test_expiry(void)
{
	g_autoptr(gnut_mesh) m = gnut_mesh_new(0, 0, 10 * SEC);
	gnut_alt a = alt(0x08080801, 1), b = alt(0x08080802, 2);
	gnut_mesh_add(m, file_a, &a, 0);
	gnut_mesh_add(m, file_a, &b, 5 * SEC);
	gnut_alt out[4];
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 9 * SEC, out, 4), 2);
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 10 * SEC, out, 4), 1);
	gnut_mesh_expire(m, 15 * SEC);
	CU_ASSERT_EQUAL(gnut_mesh_size(m), 0);
	CU_ASSERT_EQUAL(gnut_mesh_pick(m, file_a, 0, 15 * SEC, out, 4), 0);
	gnut_mesh_free(NULL);
}

/* One peer names many sources of a file: only its GNUT_MESH_PER_ANNOUNCER
 * latest stay, and the entries of others and our own are not pushed out. */
static void test_per_announcer_cap(void)
{
	g_autoptr(gnut_mesh) m = gnut_mesh_new(0, 0, 0);
	const uint32_t liar = 0x0a000001, other = 0x0a000002;
	gnut_alt ours = alt(0x01020304, 6346), theirs = alt(0x01020305, 6346);
	gnut_mesh_add(m, file_a, &ours, 1 * SEC);
	gnut_mesh_add_announced(m, file_a, &theirs, other, 2 * SEC);
	for (guint16 p = 1; p <= 20; p++) {
		gnut_alt a = alt(0x05060708, p);
		gnut_mesh_add_announced(m, file_a, &a, liar, (2 + p) * SEC);
	}
	CU_ASSERT_EQUAL(gnut_mesh_size(m), 2 + GNUT_MESH_PER_ANNOUNCER);
	gnut_alt out[40];
	gsize n = gnut_mesh_pick(m, file_a, 0, 30 * SEC, out, G_N_ELEMENTS(out));
	CU_ASSERT_EQUAL(n, 2 + GNUT_MESH_PER_ANNOUNCER);
	CU_ASSERT_EQUAL(out[0].port, 20); /* the liar's latest, freshest first */
	CU_ASSERT_EQUAL(out[GNUT_MESH_PER_ANNOUNCER - 1].port, 20 - GNUT_MESH_PER_ANNOUNCER + 1);
	CU_ASSERT_EQUAL(out[n - 2].ip, theirs.ip);
	CU_ASSERT_EQUAL(out[n - 1].ip, ours.ip);
	/* the same peer's share of another file is its own */
	gnut_alt b = alt(0x05060708, 1);
	gnut_mesh_add_announced(m, file_b, &b, liar, 31 * SEC);
	CU_ASSERT_EQUAL(gnut_mesh_size(m), 3 + GNUT_MESH_PER_ANNOUNCER);
}

static CU_TestInfo tests[] = {
    {"pick order, refresh, tls, exclusion, remove", test_pick_order_refresh_remove},
    {"caps per file and in all", test_caps},
    {"expiry on the caller's clock", test_expiry},
    {"one announcer holds at most its share of a file", test_per_announcer_cap},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("mesh", tests)
