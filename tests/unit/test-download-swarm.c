/* test-download-swarm.c: downloads from several sources at once, against
 * the loopback HTTP servers of download-fixture.c: each source fetches its
 * own 1 MiB chunk; a stalled source's chunk is raced and its transfer cut;
 * a chunk the verifier finds bad is fetched again from another source and
 * its sender given up; X-Alt names more sources; a pause survives a
 * restart and a resume completes the file; the sources' list; and the
 * range-set operations the chunks are built on. */
#include "download-fixture.h"

#include "core/transfer/download-private.h"
#include "gnut/core/transfer/download.h"
#include "unit.h"

#include <glib/gstdio.h>
#include <string.h>

#define CHUNK GNUT_DOWNLOAD_CHUNK

static guint64 add_from(dlfx_fixture *fx, dlfx_server **servers, guint n, const char *name)
{
	gnut_download_source src[4];
	for (guint i = 0; i < n; i++)
		src[i] = dlfx_source_at(servers[i]);
	g_autoptr(GError) err = NULL;
	fx->w.id =
	    gnut_downloads_add(fx->m, servers[0]->sha1, name, DLFX_FILE_SIZE, NULL, src, n, &err);
	CU_ASSERT_PTR_NULL(err);
	return fx->w.id;
}

/* Three sources, three chunks, a rate limit that makes the transfer last
 * a second: each source fetches a chunk of its own; at the end the first
 * done races another's rest, so at most two chunks come twice. */
static void test_three_sources_one_chunk_each(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 3 * CHUNK);
	dlfx_server *s[3] = {dlfx_server_new(40), dlfx_server_new(40), dlfx_server_new(40)};
	add_from(&fx, s, 3, "three.bin");
	fx.w.min_done = CHUNK / 2;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.active, 3);
	CU_ASSERT_EQUAL(st.sources, 3);
	gnut_download_status_clear(&st);
	dlfx_check_complete(&fx, s[0]->file);
	guint64 sent = 0;
	for (guint i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(s[i]->body_sent >= CHUNK / 2);
		sent += s[i]->body_sent;
	}
	CU_ASSERT_TRUE(sent <= DLFX_FILE_SIZE + 2 * CHUNK);
	dlfx_fixture_clear(&fx);
	for (guint i = 0; i < 3; i++)
		dlfx_server_free(s[i]);
}

/* One source answers and then sends nothing: the other fetches every free
 * chunk, then races the stalled one's, wins, and the stalled transfer is
 * cut long before the silence timeout, its source not blamed. */
static void test_stalled_source_raced(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	fx.idle_timeout_s = 60;
	gnut_downloads_free(fx.m);
	fx.m = dlfx_manager_new(&fx, 0);
	dlfx_server *stalled = dlfx_server_new(41);
	dlfx_server *good = dlfx_server_new(41);
	stalled->stall = TRUE;
	dlfx_server *both[2] = {stalled, good};
	gint64 t0 = g_get_monotonic_time();
	guint64 id = add_from(&fx, both, 2, "stall.bin");
	dlfx_check_complete(&fx, good->file);
	CU_ASSERT_TRUE(g_get_monotonic_time() - t0 < 30 * G_USEC_PER_SEC);
	CU_ASSERT_EQUAL(stalled->body_sent, 0);
	CU_ASSERT_EQUAL(good->body_sent, DLFX_FILE_SIZE);
	g_autoptr(GPtrArray) list = gnut_downloads_sources(fx.m, id, NULL);
	CU_ASSERT_EQUAL_FATAL(list->len, 2);
	const gnut_download_source_status *st = g_ptr_array_index(list, 0);
	CU_ASSERT_EQUAL(st->port, stalled->port);
	CU_ASSERT_EQUAL(st->failures, 0);
	CU_ASSERT_PTR_NULL(st->error);
	st = g_ptr_array_index(list, 1);
	CU_ASSERT_EQUAL(st->received, DLFX_FILE_SIZE);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(stalled);
	dlfx_server_free(good);
}

typedef struct {
	guint calls;
	guint bad_left; /* verdicts BAD to give for the chunk at 1 MiB */
} verifier;

static gnut_download_chunk_verdict verify_second_chunk(const uint8_t *sha1, guint64 size, int fd,
                                                       guint64 offset, guint64 len, gpointer data)
{
	verifier *v = data;
	v->calls++;
	CU_ASSERT_TRUE(fd >= 0);
	CU_ASSERT_EQUAL(len, CHUNK);
	if (offset == CHUNK && v->bad_left > 0) {
		v->bad_left--;
		return GNUT_DOWNLOAD_CHUNK_BAD;
	}
	return GNUT_DOWNLOAD_CHUNK_GOOD;
}

/* The verifier finds the second chunk bad once: its sender is given up,
 * the chunk comes again, the file is right. */
static void test_bad_chunk_refetched(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	verifier v = {.bad_left = 1};
	gnut_downloads_set_chunk_verifier(fx.m, verify_second_chunk, &v);
	dlfx_server *s[2] = {dlfx_server_new(42), dlfx_server_new(42)};
	guint64 id = add_from(&fx, s, 2, "bad-chunk.bin");
	dlfx_check_complete(&fx, s[0]->file);
	CU_ASSERT_EQUAL(v.calls, 4);
	g_autoptr(GPtrArray) list = gnut_downloads_sources(fx.m, id, NULL);
	guint dropped = 0;
	for (guint i = 0; i < list->len; i++) {
		const gnut_download_source_status *st = g_ptr_array_index(list, i);
		dropped += strcmp(st->state, "dropped") == 0;
	}
	/* Its sender is dropped: one source, or both when the end race (a
	 * loaded machine slows one) had them write into the same chunk. The
	 * bad chunk came twice; the race may add at most one chunk more. */
	CU_ASSERT_TRUE(dropped >= 1);
	guint64 sent = s[0]->body_sent + s[1]->body_sent;
	CU_ASSERT_TRUE(sent >= DLFX_FILE_SIZE + CHUNK && sent <= DLFX_FILE_SIZE + 2 * CHUNK);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s[0]);
	dlfx_server_free(s[1]);
}

/* A source claiming bytes up to 2^64 - 1 (the largest end a peer can
 * write) has the whole file: the end is clipped, not wrapped to 0. */
static void test_available_to_the_last_offset(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(47);
	s->extra = "X-Available-Ranges: bytes 0-18446744073709551615\r\n";
	dlfx_add_one(&fx, s, "claims-all.bin");
	dlfx_check_complete(&fx, s->file);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A source's X-Alt names another: it becomes a source too. */
static void test_x_alt_adds_sources(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 3 * CHUNK);
	dlfx_server *first = dlfx_server_new(43);
	dlfx_server *other = dlfx_server_new(43);
	g_autofree char *alt = g_strdup_printf("127.0.0.1:%u, 10.1.2.3:6346", other->port);
	first->x_alt = alt;
	guint64 id = dlfx_add_one(&fx, first, "alt.bin");
	dlfx_check_complete(&fx, first->file);
	g_autoptr(GPtrArray) list = gnut_downloads_sources(fx.m, id, NULL);
	CU_ASSERT_EQUAL(list->len, 3);
	CU_ASSERT_TRUE(other->body_sent > 0);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(first);
	dlfx_server_free(other);
}

/* Paused mid-download (a rate limit on a manual clock keeps it there): no
 * transfer, still paused after a restart, and a resume completes it. */
static void test_pause_survives_restart(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 100000);
	dlfx_server *s = dlfx_server_new(44);
	guint64 id = dlfx_add_one(&fx, s, "pause.bin");
	fx.w.min_done = 1;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	CU_ASSERT_TRUE(gnut_downloads_pause(fx.m, id, NULL));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_PAUSED);
	CU_ASSERT_EQUAL(st.active, 0);
	CU_ASSERT_PTR_NULL(st.error);
	guint64 done = st.done;
	gnut_download_status_clear(&st);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(gnut_downloads_pause(fx.m, 999, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND));
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "paused=\"1\"") : NULL);

	gnut_downloads_free(fx.m);
	fx.m = dlfx_manager_new(&fx, 0);
	dlfx_spin_ms(300);
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_PAUSED);
	CU_ASSERT_EQUAL(st.done, done);
	gnut_download_status_clear(&st);
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_resume(fx.m, 999, &err));
	CU_ASSERT_TRUE(gnut_downloads_resume(fx.m, id, NULL));
	dlfx_check_complete(&fx, s->file);
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_resume(fx.m, id, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	CU_ASSERT_FALSE(gnut_downloads_retry(fx.m, id, NULL));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A retry brings a given-up source back at once. */
static void test_retry_revives(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(45);
	s->urn_missing = TRUE;
	s->get_missing = TRUE;
	guint64 id = dlfx_add_one(&fx, s, "retry.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_waiting, &fx.w));
	s->urn_missing = FALSE; /* the file is back */
	CU_ASSERT_TRUE(gnut_downloads_retry(fx.m, id, NULL));
	dlfx_check_complete(&fx, s->file);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* Whether every range asked of s starts before its partial end (its
 * first, blind request asks chunk 0, which it has; the blind probe a
 * partial source gets when it had nothing new 15 s ago comes later than
 * this test lasts). */
static gboolean asked_only_what_it_has(dlfx_server *s)
{
	guint n = dlfx_server_count(s, s->ranges);
	for (guint i = 0; i < n; i++) {
		g_autofree char *range = dlfx_server_get(s, s->ranges, i);
		guint64 start = g_ascii_strtoull(range + strlen("bytes="), NULL, 10);
		if (start >= s->partial_end)
			return FALSE;
	}
	return n > 0;
}

static gboolean partial_done(gpointer data)
{
	dlfx_fixture *fx = data;
	gnut_download_status st = dlfx_status_of(&fx->w);
	gboolean done = st.done >= CHUNK;
	gnut_download_status_clear(&st);
	return done;
}

/* A partial source (X-Available-Ranges: its first chunk) is asked only
 * for what it has, is not given up when it has nothing more, and a full
 * source added later completes the file. */
static void test_partial_source(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *part = dlfx_server_new(46);
	part->partial_end = CHUNK;
	dlfx_server *full = dlfx_server_new(46);
	guint64 id = dlfx_add_one(&fx, part, "partial.bin");
	CU_ASSERT_TRUE(dlfx_run_until(partial_done, &fx));
	dlfx_spin_ms(300);
	CU_ASSERT_TRUE(asked_only_what_it_has(part));
	g_autoptr(GPtrArray) list = gnut_downloads_sources(fx.m, id, NULL);
	CU_ASSERT_EQUAL_FATAL(list->len, 1);
	CU_ASSERT_STRING_NOT_EQUAL(
	    ((gnut_download_source_status *)g_ptr_array_index(list, 0))->state, "dropped");
	gnut_download_source src = dlfx_source_at(full);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &src, NULL));
	dlfx_check_complete(&fx, full->file);
	CU_ASSERT_TRUE(asked_only_what_it_has(part));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(part);
	dlfx_server_free(full);
}

static void add_range(GArray *set, guint64 start, guint64 end)
{
	gnut_download_ranges_add(set, start, end);
}

/* Removing from, searching and counting in a set of done ranges. */
static void test_range_set(void)
{
	g_autoptr(GArray) set = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	add_range(set, 10, 20);
	add_range(set, 30, 40);
	guint64 start = 0, len = 0;
	CU_ASSERT_TRUE(gnut_download_ranges_missing_in(set, 0, 50, &start, &len));
	CU_ASSERT_EQUAL(start, 0);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_TRUE(gnut_download_ranges_missing_in(set, 10, 50, &start, &len));
	CU_ASSERT_EQUAL(start, 20);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_TRUE(gnut_download_ranges_missing_in(set, 35, 50, &start, &len));
	CU_ASSERT_EQUAL(start, 40);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_FALSE(gnut_download_ranges_missing_in(set, 12, 18, &start, &len));
	CU_ASSERT_FALSE(gnut_download_ranges_missing_in(set, 30, 40, &start, &len));
	CU_ASSERT_EQUAL(gnut_download_ranges_count_in(set, 0, 100), 20);
	CU_ASSERT_EQUAL(gnut_download_ranges_count_in(set, 15, 35), 10);
	CU_ASSERT_EQUAL(gnut_download_ranges_count_in(set, 20, 30), 0);
	/* a hole in the middle of a range splits it; across two trims both */
	gnut_download_ranges_remove(set, 12, 14);
	CU_ASSERT_EQUAL_FATAL(set->len, 3);
	CU_ASSERT_EQUAL(g_array_index(set, gnut_download_range, 0).end, 12);
	CU_ASSERT_EQUAL(g_array_index(set, gnut_download_range, 1).start, 14);
	gnut_download_ranges_remove(set, 16, 35);
	CU_ASSERT_EQUAL_FATAL(set->len, 3);
	CU_ASSERT_EQUAL(g_array_index(set, gnut_download_range, 1).end, 16);
	CU_ASSERT_EQUAL(g_array_index(set, gnut_download_range, 2).start, 35);
	CU_ASSERT_EQUAL(gnut_download_ranges_count_in(set, 0, 100), 2 + 2 + 5);
	gnut_download_ranges_remove(set, 0, 100);
	CU_ASSERT_EQUAL(set->len, 0);
}

static CU_TestInfo tests[] = {
    {"the range set: remove, missing, count", test_range_set},
    {"three sources: one chunk each", test_three_sources_one_chunk_each},
    {"a stalled source's chunk is raced and cut", test_stalled_source_raced},
    {"a bad chunk: fetched again, its sender dropped", test_bad_chunk_refetched},
    {"X-Alt names more sources", test_x_alt_adds_sources},
    {"paused: survives a restart, resume completes", test_pause_survives_restart},
    {"retry revives a given-up source", test_retry_revives},
    {"a partial source: asked only what it has", test_partial_source},
    {"available ranges to the last offset", test_available_to_the_last_offset},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download-swarm", tests)
