/* test-qrp-index.c: the slot -> links index of query routing tables (the
 * routing room's private qrp-index.h) answers exactly as checking each
 * link's table does (gnut_qrp_table_matches): on random tables of sizes
 * below, at and above the index's, rebuilt from random RESET + PATCH
 * sequences, with links coming and going across the 64-column steps, for
 * random queries, under fixed seeds. */
#include "core/routing/qrp-index.h"
#include "gnut/proto/qrp-table.h"
#include "unit.h"

#include <string.h>

#define VOCABULARY 3000 /* words tables and queries draw from */
#define MAX_LINKS  150  /* three column steps */
#define QUERIES    120  /* checked after each round of changes */

typedef struct {
	GRand *rand;
	gnut_qrp_index *index;
	gnut_qrp_table *tables[MAX_LINKS]; /* the link's table as received, or NULL */
} world;

static char *word(GRand *rand)
{
	return g_strdup_printf("w%u", g_rand_int_range(rand, 0, VOCABULARY));
}

/* A table of 2^10 .. 2^18 slots holding a random number of words. */
static gnut_qrp_table *random_table(GRand *rand)
{
	gnut_qrp_table *t = gnut_qrp_table_new(1u << g_rand_int_range(rand, 10, 19));
	gint words = g_rand_int_range(rand, 0, 2) == 0 ? g_rand_int_range(rand, 0, 40)
	                                               : g_rand_int_range(rand, 100, 2500);
	for (gint i = 0; i < words; i++) {
		g_autofree char *w = word(rand);
		gnut_qrp_table_add(t, w, strlen(w), g_rand_boolean(rand));
	}
	return t;
}

/* The link's table becomes a new random one, as a peer would send it: a
 * PATCH sequence against what it sent before (a RESET first when the size
 * changes), received message by message. */
static void send_new_table(world *w, guint link)
{
	g_autoptr(gnut_qrp_table) next = random_table(w->rand);
	gnut_qrp_table *sent = w->tables[link];
	g_autoptr(GPtrArray) payloads = gnut_qrp_table_encode_update(next, sent, NULL);
	if (sent == NULL)
		sent = w->tables[link] = gnut_qrp_table_new_remote();
	for (guint i = 0; i < payloads->len; i++) {
		gsize len;
		const guint8 *p = g_bytes_get_data(g_ptr_array_index(payloads, i), &len);
		gnut_qrp_msg msg;
		CU_ASSERT_EQUAL_FATAL(gnut_qrp_msg_decode(p, len, &msg), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL_FATAL(gnut_qrp_table_receive(sent, &msg), GNUT_PROTO_OK);
	}
	CU_ASSERT_TRUE(gnut_qrp_table_equal(sent, next));
	gnut_qrp_index_set(w->index, link, sent);
}

static void drop_link(world *w, guint link)
{
	gnut_qrp_index_remove(w->index, link);
	g_clear_pointer(&w->tables[link], gnut_qrp_table_free);
	CU_ASSERT_FALSE(gnut_qrp_index_has(w->index, link));
}

/* 1 to 4 words, now and then a short one (never checked) or none. */
static GPtrArray *random_query(GRand *rand)
{
	GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
	gint n = g_rand_int_range(rand, 0, 5);
	for (gint i = 0; i < n; i++)
		g_ptr_array_add(words,
		                g_rand_int_range(rand, 0, 8) == 0 ? g_strdup("ab") : word(rand));
	return words;
}

/* Every link's answer from the index equals its table's. */
static guint check_queries(world *w)
{
	guint hits = 0;
	for (guint q = 0; q < QUERIES; q++) {
		g_autoptr(GPtrArray) words = random_query(w->rand);
		g_autoptr(GArray) codes = gnut_qrp_query_hashcodes(words);
		gnut_qrp_index_select(w->index, (const uint32_t *)(const void *)codes->data,
		                      codes->len);
		for (guint link = 0; link < MAX_LINKS; link++) {
			gboolean want = w->tables[link] != NULL &&
			                gnut_qrp_table_matches(w->tables[link], words);
			CU_ASSERT_EQUAL(gnut_qrp_index_selected(w->index, link), want);
			hits += want;
		}
	}
	return hits;
}

static void run_seed(guint32 seed)
{
	world w = {.rand = g_rand_new_with_seed(seed), .index = gnut_qrp_index_new()};
	guint hits = 0;
	for (guint round = 0; round < 12; round++) {
		/* the first rounds fill the links; later ones change, drop and add */
		guint changes = round < 2 ? MAX_LINKS : MAX_LINKS / 5;
		for (guint c = 0; c < changes; c++) {
			guint link = round < 2 ? c : (guint)g_rand_int_range(w.rand, 0, MAX_LINKS);
			if (round >= 2 && g_rand_int_range(w.rand, 0, 3) == 0)
				drop_link(&w, link);
			else if (round > 0 || c % 2 == 0)
				send_new_table(&w, link);
		}
		hits += check_queries(&w);
	}
	CU_ASSERT_TRUE(hits > 0); /* the queries did hit tables, not only miss */
	CU_ASSERT_TRUE(gnut_qrp_index_bytes(w.index) > 0);
	for (guint link = 0; link < MAX_LINKS; link++)
		drop_link(&w, link);
	gnut_qrp_index_free(w.index);
	g_rand_free(w.rand);
}

static void test_index_equals_tables(void)
{
	static const guint32 seeds[] = {1, 7, 2026, 0xC0FFEE};
	for (guint i = 0; i < G_N_ELEMENTS(seeds); i++)
		run_seed(seeds[i]);
}

/* A link never indexed is not selected; a query with no word to check
 * selects every indexed link, even one whose table is empty. */
static void test_edges(void)
{
	gnut_qrp_index *x = gnut_qrp_index_new();
	g_autoptr(gnut_qrp_table) empty = gnut_qrp_table_new(1024);
	gnut_qrp_index_set(x, 5, empty);
	gnut_qrp_index_select(x, NULL, 0);
	CU_ASSERT_TRUE(gnut_qrp_index_selected(x, 5));
	CU_ASSERT_FALSE(gnut_qrp_index_selected(x, 6));
	uint32_t code = 12345;
	gnut_qrp_index_select(x, &code, 1);
	CU_ASSERT_FALSE(gnut_qrp_index_selected(x, 5));
	gnut_qrp_index_free(x);
}

static CU_TestInfo tests[] = {
    {"index answers as the tables on random tables and patches", test_index_equals_tables},
    {"unknown links and queries with no word", test_edges},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("qrp-index", tests)
