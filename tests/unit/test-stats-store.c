/* test-stats-store.c: stats.state, the totals gnut stats reports across
 * restarts: a save loads back field for field; a missing file is zero; a
 * damaged one (garbage, a key missing, a value that is no count, the file
 * cut at every offset) is an error naming the file, never a crash; the
 * keeper gives a servent its earlier runs' totals, sets a damaged file
 * aside and starts from zero, saves every interval and, at the end,
 * earlier plus this session. */
#include <glib/gstdio.h>
#include <string.h>

#include "daemon/stats-store.h"
#include "gnut/base/clock.h"
#include "unit.h"

static const gnut_servent_totals sample = {
    .bytes_up = 1,
    .bytes_down = G_MAXUINT64,
    .uploads_completed = 3,
    .downloads_completed = 4,
    .queries_sent = 5,
    .queries_answered = 6,
    .hits_received = 7,
    .messages_received = 8,
    .messages_sent = 9,
    .messages_dropped = 10,
    .uptime = 11,
};

static void test_round_trip(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, GNUT_STATS_FILE_NAME, NULL);
	gnut_servent_totals back;
	g_autoptr(GError) error = NULL;
	memset(&back, 0xff, sizeof back);
	CU_ASSERT_TRUE(gnut_stats_load(path, &back, &error)); /* missing: zero */
	gnut_servent_totals zero = {0};
	CU_ASSERT_EQUAL(memcmp(&back, &zero, sizeof back), 0);

	CU_ASSERT_TRUE_FATAL(gnut_stats_save(path, &sample, &error));
	CU_ASSERT_TRUE(gnut_stats_load(path, &back, &error));
	CU_ASSERT_EQUAL(memcmp(&back, &sample, sizeof back), 0);
	gnut_unit_rmtree(dir);
}

/* Loads text from a file; FALSE when refused, the error naming the file. */
static gboolean load_text(const char *path, const char *text, gsize len, char **message)
{
	g_assert(g_file_set_contents(path, text, (gssize)len, NULL));
	gnut_servent_totals t;
	GError *error = NULL;
	gboolean ok = gnut_stats_load(path, &t, &error);
	*message = error ? g_strdup(error->message) : NULL;
	if (!ok) {
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
		gnut_servent_totals zero = {0};
		CU_ASSERT_EQUAL(memcmp(&t, &zero, sizeof t), 0);
	}
	g_clear_error(&error);
	return ok;
}

static void test_damaged(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, GNUT_STATS_FILE_NAME, NULL);
	char *why = NULL;
	CU_ASSERT_FALSE(load_text(path, "\x01\x02garbage", 9, &why));
	g_free(why);
	CU_ASSERT_FALSE(load_text(path, "[totals]\nbytes-up=12\n", 21, &why));
	CU_ASSERT_PTR_NOT_NULL(why ? strstr(why, "bytes-down") : NULL);
	g_free(why);

	CU_ASSERT_TRUE_FATAL(gnut_stats_save(path, &sample, NULL));
	g_autofree char *good = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &good, &len, NULL));
	static const char *const bad_values[] = {"-3",  "12x",  "",
	                                         "1 2", "0x10", "99999999999999999999"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad_values); i++) {
		const char *rest = strstr(good, "\nbytes-down");
		g_autofree char *damaged =
		    g_strdup_printf("[totals]\nbytes-up=%s%s", bad_values[i], rest);
		CU_ASSERT_FALSE(load_text(path, damaged, strlen(damaged), &why));
		CU_ASSERT_PTR_NOT_NULL(why ? strstr(why, "bytes-up") : NULL);
		g_free(why);
	}
	/* cut at every offset: refused, or (cut inside the last number's
	 * digits: "uptime=1", or before its newline) loaded */
	for (gsize n = 0; n < len; n++) {
		gboolean ok = load_text(path, good, n, &why);
		CU_ASSERT_TRUE(!ok || n + 2 >= len);
		g_free(why);
	}
	gnut_unit_rmtree(dir);
}

static gnut_servent *servent_at(const char *dir, gnut_clock *clock)
{
	gnut_servent_config config = {
	    .data_dir = dir,
	    .listen = "127.0.0.1:0",
	    .no_bootstrap = TRUE,
	};
	g_autoptr(GError) error = NULL;
	gnut_servent *s = gnut_servent_new(&config, clock, &error);
	CU_ASSERT_PTR_NOT_NULL(s);
	if (s != NULL && !gnut_servent_start(s, &error)) {
		CU_FAIL("the servent did not start");
		g_clear_pointer(&s, gnut_servent_free);
	}
	return s;
}

/* Earlier runs' totals reach the servent; the last save adds the session. */
static void test_keeper(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, GNUT_STATS_FILE_NAME, NULL);
	CU_ASSERT_TRUE_FATAL(gnut_stats_save(path, &sample, NULL));
	gnut_clock *clock = gnut_clock_manual_new(1000 * G_USEC_PER_SEC);
	gnut_servent *s = servent_at(dir, clock);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	gnut_stats_keeper *k = gnut_stats_keeper_new(s, path, 60);
	gnut_clock_manual_advance(clock, 42 * G_USEC_PER_SEC);
	gnut_servent_totals session, all;
	gnut_servent_totals_session(s, &session);
	gnut_servent_totals_all(s, &all);
	CU_ASSERT_EQUAL(session.uptime, 42);
	CU_ASSERT_EQUAL(all.uptime, sample.uptime + 42);
	CU_ASSERT_EQUAL(all.hits_received, sample.hits_received + session.hits_received);
	CU_ASSERT_EQUAL(all.bytes_down, sample.bytes_down + session.bytes_down);
	gnut_stats_keeper_free(k);
	gnut_servent_totals back;
	CU_ASSERT_TRUE(gnut_stats_load(path, &back, NULL));
	CU_ASSERT_EQUAL(back.uptime, sample.uptime + 42);
	CU_ASSERT_EQUAL(back.queries_answered, sample.queries_answered + session.queries_answered);
	gnut_servent_free(s);
	gnut_clock_free(clock);
	gnut_unit_rmtree(dir);
}

/* A damaged file: set aside as .bad, counting starts from zero, the next
 * save writes a good file. */
static void test_keeper_damaged(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, GNUT_STATS_FILE_NAME, NULL);
	g_autofree char *bad = g_strconcat(path, ".bad", NULL);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, "[totals]\nbytes-up=oops\n", -1, NULL));
	gnut_clock *clock = gnut_clock_manual_new(0);
	gnut_servent *s = servent_at(dir, clock);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	gnut_stats_keeper *k = gnut_stats_keeper_new(s, path, 60);
	CU_ASSERT_TRUE(g_file_test(bad, G_FILE_TEST_EXISTS));
	CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
	gnut_clock_manual_advance(clock, 5 * G_USEC_PER_SEC);
	gnut_servent_totals all;
	gnut_servent_totals_all(s, &all);
	CU_ASSERT_EQUAL(all.uptime, 5);
	CU_ASSERT_EQUAL(all.bytes_up, 0);
	gnut_stats_keeper_free(k);
	gnut_servent_totals back;
	CU_ASSERT_TRUE(gnut_stats_load(path, &back, NULL));
	CU_ASSERT_EQUAL(back.uptime, 5);
	gnut_servent_free(s);
	gnut_clock_free(clock);
	gnut_unit_rmtree(dir);
}

static gboolean file_exists(gpointer path)
{
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Saved while running, not only at the end (a SIGKILL loses one interval):
 * here an interval of 1 s, waited for with a generous bound. */
static void test_keeper_periodic(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, GNUT_STATS_FILE_NAME, NULL);
	gnut_servent *s = servent_at(dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	gnut_stats_keeper *k = gnut_stats_keeper_new(s, path, 1);
	CU_ASSERT_FALSE(file_exists(path));
	CU_ASSERT_TRUE(gnut_unit_run_until(file_exists, path, 30000));
	gnut_servent_totals back;
	CU_ASSERT_TRUE(gnut_stats_load(path, &back, NULL));
	gnut_stats_keeper_free(k);
	gnut_servent_free(s);
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"stats.state round trip", test_round_trip},
    {"damaged stats.state refused", test_damaged},
    {"keeper adds earlier runs", test_keeper},
    {"keeper sets a damaged file aside", test_keeper_damaged},
    {"keeper saves while running", test_keeper_periodic},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("stats-store", tests)
