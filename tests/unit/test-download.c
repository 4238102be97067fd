/* test-download.c: downloads against the loopback HTTP server of
 * download-fixture.c, which can misbehave: answer 503 first, 404 to the
 * URN form, flip a byte, or cut the connection mid-body.
 *
 * Covered: a whole download over one kept-alive connection, 503 then
 * success, SHA-1 mismatch (nothing delivered, the source dropped, another
 * finishes), a cut connection finished by the other source, the /get/
 * fallback, back-off and waiting when no source works (driven by a manual
 * clock), the rate limit (a manual clock: no byte beyond the budget),
 * resume after destroying the manager mid-download, cancel, argument
 * checks, two files of one name, and downloads added with no source:
 * waiting until a source comes, searching by URN now and then, and
 * waiting again after a restart (manual clock). Swarming is in
 * test-download-swarm.c, the state file on its own in
 * test-download-store.c, firewalled sources in test-download-push.c. */
#include "download-fixture.h"

#include "core/transfer/download-private.h"
#include "gnut/proto/digest.h"
#include "gnut/core/transfer/download.h"
#include "gnut/proto/head.h"
#include "gnut/proto/urn.h"
#include "unit.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#define LIMIT 100000 /* bytes/s in the rate-limit tests: burst 12500 */
#define BURST 12500

/* ---- the tests ---- */

static void test_whole_file_keep_alive(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(1);
	guint64 id = dlfx_add_one(&fx, s, "../evil/\x01name.bin");
	g_autofree char *saved = dlfx_state_file_text(&fx);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);

	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.id, id);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(st.done, DLFX_FILE_SIZE);
	CU_ASSERT_STRING_EQUAL(st.urn, urn);
	CU_ASSERT_STRING_EQUAL(st.name, "_evil__name.bin");
	g_autofree char *want_path = g_build_filename(fx.dl_dir, "_evil__name.bin", NULL);
	CU_ASSERT_STRING_EQUAL(st.path, want_path);
	CU_ASSERT_TRUE(dlfx_file_equals(want_path, s->file));
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(gnut_downloads_bytes_in(fx.m), DLFX_FILE_SIZE);

	/* six 512 KiB replies on one connection, each request asking the rest
	 * of its 1 MiB chunk */
	CU_ASSERT_EQUAL(s->connections, 1);
	CU_ASSERT_EQUAL(dlfx_server_count(s, s->ranges), 6);
	g_autofree char *r0 = dlfx_server_get(s, s->ranges, 0);
	g_autofree char *r1 = dlfx_server_get(s, s->ranges, 1);
	g_autofree char *r5 = dlfx_server_get(s, s->ranges, 5);
	CU_ASSERT_STRING_EQUAL(r0, "bytes=0-1048575");
	CU_ASSERT_STRING_EQUAL(r1, "bytes=524288-1048575");
	CU_ASSERT_STRING_EQUAL(r5, "bytes=2621440-3145727");
	g_autofree char *t0 = dlfx_server_get(s, s->targets, 0);
	g_autofree char *want_target = g_strconcat("/uri-res/N2R?", urn, NULL);
	CU_ASSERT_STRING_EQUAL(t0, want_target);
	g_autofree char *ua = dlfx_server_get(s, s->agents, 0);
	CU_ASSERT_TRUE(g_str_has_prefix(ua, "gnutd/"));
	g_autofree char *host = dlfx_server_get(s, s->hosts, 0);
	g_autofree char *want_host = g_strdup_printf("127.0.0.1:%u", s->port);
	CU_ASSERT_STRING_EQUAL(host, want_host);

	/* connecting, downloading, verifying, complete; nothing left behind */
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 0),
	                GNUT_DOWNLOAD_CONNECTING);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1),
	                GNUT_DOWNLOAD_DOWNLOADING);
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 2),
	                GNUT_DOWNLOAD_VERIFYING);
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 0);
	g_autofree char *after = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NULL(after != NULL ? strstr(after, urn) : "missing");
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static void test_busy_then_works(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(2);
	s->busy_first = 1;
	dlfx_add_one(&fx, s, "busy.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(s->busy_sent, 1);
	CU_ASSERT_EQUAL(dlfx_server_count(s, s->ranges), 7);
	/* back to the queue after the 503, then a second connection */
	CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1), GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(fx.w.connects, 2);
	CU_ASSERT_EQUAL(s->connections, 2);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static gboolean source_is_queued(gpointer data)
{
	dlfx_watch *w = data;
	g_autoptr(GPtrArray) srcs = gnut_downloads_sources(w->m, w->id, NULL);
	const gnut_download_source_status *ss = srcs->len > 0 ? g_ptr_array_index(srcs, 0) : NULL;
	return ss != NULL && strcmp(ss->state, "queued") == 0 && ss->queue_position == 2 &&
	       ss->queue_length == 3;
}

static gint64 stamp_of(dlfx_server *s, guint i)
{
	g_autofree char *text = dlfx_server_get(s, s->stamps, i);
	return text != NULL ? g_ascii_strtoll(text, NULL, 10) : 0;
}

/* A source's upload queue (PARQ): X-Queue on every request; after a queued
 * 503 the source is "queued" at its position, is asked again no sooner
 * than Retry-After with its place and ID in X-Queued, and serves then. */
static void test_remote_queue_honoured(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(2);
	s->busy_first = 2;
	s->busy_extra = "X-Queue: 1.1\r\nX-Queued: position=2; length=3; ETA=5; lifetime=70; "
	                "ID=0a1b2c\r\n";
	dlfx_add_one(&fx, s, "queued.bin");
	CU_ASSERT_TRUE(dlfx_run_until(source_is_queued, &fx.w));
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	gnut_download_status_clear(&st);
	guint n = dlfx_server_count(s, s->x_queues);
	CU_ASSERT_TRUE_FATAL(n >= 3);
	for (guint i = 0; i < n; i++) {
		g_autofree char *xq = dlfx_server_get(s, s->x_queues, i);
		CU_ASSERT_STRING_EQUAL(xq, "1.1");
	}
	g_autofree char *first = dlfx_server_get(s, s->x_queued, 0);
	g_autofree char *second = dlfx_server_get(s, s->x_queued, 1);
	g_autofree char *third = dlfx_server_get(s, s->x_queued, 2);
	CU_ASSERT_STRING_EQUAL(first, "");
	CU_ASSERT_STRING_EQUAL(second, "position=2; ID=0a1b2c");
	CU_ASSERT_STRING_EQUAL(third, "position=2; ID=0a1b2c");
	/* each poll waited for Retry-After (1 s) */
	CU_ASSERT_TRUE(stamp_of(s, 1) - stamp_of(s, 0) >= G_USEC_PER_SEC);
	CU_ASSERT_TRUE(stamp_of(s, 2) - stamp_of(s, 1) >= G_USEC_PER_SEC);
	/* served: no longer queued, the ID still sent back */
	g_autoptr(GPtrArray) srcs = gnut_downloads_sources(fx.m, fx.w.id, NULL);
	const gnut_download_source_status *ss = g_ptr_array_index(srcs, 0);
	CU_ASSERT_EQUAL(ss->queue_position, 0);
	g_autofree char *last = dlfx_server_get(s, s->x_queued, n - 1);
	CU_ASSERT_STRING_EQUAL(last, "ID=0a1b2c");
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A flipped byte: the file is not delivered, nor thrown away; the source
 * that served it is given up and the download waits for others. */
static void test_corrupt_byte_not_delivered(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(3);
	s->corrupt_at = 1000000;
	dlfx_add_one(&fx, s, "corrupt.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_waiting, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "SHA-1") : NULL);
	CU_ASSERT_EQUAL(st.sources, 0);
	CU_ASSERT_EQUAL(st.done, 0);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_VERIFYING), 1);
	/* nothing delivered; the partial file stays for the next sources */
	CU_ASSERT_EQUAL(dlfx_count_entries(fx.dl_dir), 0);
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 1);
	g_autoptr(GPtrArray) srcs = gnut_downloads_sources(fx.m, fx.w.id, NULL);
	CU_ASSERT_EQUAL_FATAL(srcs->len, 1);
	const gnut_download_source_status *ss = g_ptr_array_index(srcs, 0);
	CU_ASSERT_STRING_EQUAL(ss->state, "dropped");
	CU_ASSERT_EQUAL(ss->received, DLFX_FILE_SIZE);
	/* a good source brings the right file */
	dlfx_server *good = dlfx_server_new(3);
	gnut_download_source src = dlfx_source_at(good);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, fx.w.id, &src, NULL));
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, good->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 0);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
	dlfx_server_free(good);
}

static void test_cut_connection_next_source(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *a = dlfx_server_new(4);
	dlfx_server *b = dlfx_server_new(4);
	a->cut_after = 300000;
	gnut_download_source src[2] = {dlfx_source_at(a), dlfx_source_at(b)};
	g_autoptr(GError) err = NULL;
	fx.w.id = gnut_downloads_add(fx.m, a->sha1, "cut.bin", DLFX_FILE_SIZE, NULL, src, 2, &err);
	CU_ASSERT_NOT_EQUAL(fx.w.id, 0);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, a->file));
	CU_ASSERT_EQUAL(st.sources, 2);
	gnut_download_status_clear(&st);
	/* both fetched at once; b fetched what a did not send */
	CU_ASSERT_EQUAL(a->body_sent, 300000);
	CU_ASSERT_TRUE(b->body_sent >= DLFX_FILE_SIZE - 300000);
	CU_ASSERT_EQUAL(a->connections, 1);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(a);
	dlfx_server_free(b);
}

static void test_get_fallback(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(5);
	s->urn_missing = TRUE;
	dlfx_add_one(&fx, s, "fallback.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	gnut_download_status_clear(&st);
	g_autofree char *t0 = dlfx_server_get(s, s->targets, 0);
	g_autofree char *t1 = dlfx_server_get(s, s->targets, 1);
	CU_ASSERT_TRUE(g_str_has_prefix(t0, "/uri-res/N2R?urn:sha1:"));
	CU_ASSERT_STRING_EQUAL(t1, "/get/7/a%20b%2Bc.bin");
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static void test_not_found_anywhere_waits(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(6);
	s->urn_missing = TRUE;
	s->get_missing = TRUE;
	dlfx_add_one(&fx, s, "missing.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_waiting, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "not found") : NULL);
	CU_ASSERT_EQUAL(st.sources, 0);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(dlfx_server_count(s, s->targets), 2);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A source that refuses backs off on the clock; after four refusals it
 * no longer counts (the download waits) but is still tried, never more
 * often than retry_max_s; the download never fails. */
static void test_back_off_then_wait(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	gnut_download_source src = {.host = "127.0.0.1", .port = dlfx_dead_port()};
	uint8_t sha1[GNUT_SHA1_LEN] = {1, 2, 3};
	fx.w.id = gnut_downloads_add(fx.m, sha1, "x", 100, NULL, &src, 1, NULL);
	for (guint k = 1; k <= 6; k++) {
		fx.w.min_done = k;
		CU_ASSERT_TRUE(dlfx_run_until(dlfx_waiting_again, &fx.w));
		CU_ASSERT_EQUAL(fx.w.connects, k);
		gnut_download_status st = dlfx_status_of(&fx.w);
		CU_ASSERT_EQUAL(st.state, k < 4 ? GNUT_DOWNLOAD_QUEUED : GNUT_DOWNLOAD_WAITING);
		CU_ASSERT_EQUAL(st.sources, k < 4 ? 1 : 0);
		gnut_download_status_clear(&st);
		/* not before the back-off (5 s, 10 s, ... at most 600 s) */
		dlfx_advance_s_and_spin(&fx, MIN(5 << (k - 1), 600) - 1);
		CU_ASSERT_EQUAL(fx.w.connects, k);
		gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	}
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_FAILED), 0);
	dlfx_fixture_clear(&fx);
}

static void test_rate_limit_and_resume(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, LIMIT);
	dlfx_server *s = dlfx_server_new(7);
	guint64 id = dlfx_add_one(&fx, s, "resume.bin");

	/* the manual clock stands still: one burst, not a byte more */
	fx.w.min_done = BURST;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	dlfx_spin_ms(200);
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.done, BURST);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_DOWNLOADING);
	gnut_download_status_clear(&st);
	/* 100 ms more: LIMIT / 10 bytes more */
	gnut_clock_manual_advance(fx.clock, G_USEC_PER_SEC / 10);
	fx.w.min_done = BURST + LIMIT / 10;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	dlfx_spin_ms(200);
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.done, BURST + LIMIT / 10);
	gnut_download_status_clear(&st);

	/* destroyed mid-download; a new manager on the same data dir goes on */
	gnut_downloads_free(fx.m);
	dlfx_spin_ms(100);
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "end=\"22500\"") : NULL);
	guint asked_before = dlfx_server_count(s, s->ranges);
	fx.m = dlfx_manager_new(&fx, 0);
	GPtrArray *list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL(list->len, 1);
	if (list->len == 1) {
		const gnut_download_status *ls = g_ptr_array_index(list, 0);
		CU_ASSERT_EQUAL(ls->id, id);
		CU_ASSERT_EQUAL(ls->done, BURST + LIMIT / 10);
		CU_ASSERT_EQUAL(ls->state, GNUT_DOWNLOAD_QUEUED);
		CU_ASSERT_STRING_EQUAL(ls->name, "resume.bin");
	}
	g_ptr_array_unref(list);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	g_autofree char *resumed = dlfx_server_get(s, s->ranges, asked_before);
	CU_ASSERT_STRING_EQUAL(resumed, "bytes=22500-1048575");
	/* a new download gets a fresh id */
	gnut_download_source src = dlfx_source_at(s);
	uint8_t other[GNUT_SHA1_LEN] = {9};
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, other, "n", 1, NULL, &src, 1, NULL), id + 1);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A limit changed while a fetch waits for tokens applies to it: halved,
 * 100 ms bring half as much; lifted, the rest comes with the clock still. */
static void test_limit_changed_live(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, LIMIT);
	dlfx_server *s = dlfx_server_new(70);
	dlfx_add_one(&fx, s, "live.bin");
	fx.w.min_done = BURST;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	gnut_downloads_set_limit(fx.m, LIMIT / 2);
	gnut_clock_manual_advance(fx.clock, G_USEC_PER_SEC / 10);
	fx.w.min_done = BURST + LIMIT / 20;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	dlfx_spin_ms(200);
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.done, BURST + LIMIT / 20);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_DOWNLOADING);
	gnut_download_status_clear(&st);
	gnut_downloads_set_limit(fx.m, 0);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static void test_cancel(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, LIMIT);
	dlfx_server *s = dlfx_server_new(8);
	guint64 id = dlfx_add_one(&fx, s, "cancel.bin");
	fx.w.min_done = BURST;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_has_min_done, &fx.w));
	g_autofree char *incomplete = g_build_filename(fx.top, "incomplete", NULL);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 1);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_downloads_cancel(fx.m, id, &err));
	CU_ASSERT_PTR_NULL(err);
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_CANCELLED);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 0);
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NULL(saved != NULL ? strstr(saved, "cancel.bin") : "missing");
	CU_ASSERT_FALSE(gnut_downloads_cancel(fx.m, id, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_cancel(fx.m, 999, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND));
	/* the cancelled download makes no more progress, and is not notified */
	dlfx_spin_ms(100);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_CANCELLED), 0);
	CU_ASSERT_EQUAL(dlfx_count_entries(incomplete), 0);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static void check_add_fails(dlfx_fixture *fx, const gnut_download_source *src, guint n,
                            guint64 size, const char *to_dir)
{
	uint8_t sha1[GNUT_SHA1_LEN] = {7};
	g_autoptr(GError) err = NULL;
	CU_ASSERT_EQUAL(gnut_downloads_add(fx->m, sha1, "n", size, to_dir, src, n, &err), 0);
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
}

static void test_add_checks_and_merge(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	gnut_download_source good = {.host = "127.0.0.1", .port = 9};
	gnut_download_source bad_port = {.host = "127.0.0.1", .port = 0};
	gnut_download_source bad_host = {.host = "a b", .port = 1};
	gnut_download_source bad_name = {.host = "h", .port = 1, .name = "x\ny", .get_only = TRUE};
	gnut_download_source get_no_name = {.host = "h", .port = 1, .get_only = TRUE};
	check_add_fails(&fx, &bad_port, 1, 10, NULL);
	check_add_fails(&fx, &bad_host, 1, 10, NULL);
	check_add_fails(&fx, &bad_name, 1, 10, NULL);
	check_add_fails(&fx, &get_no_name, 1, 10, NULL);
	check_add_fails(&fx, &good, 1, GNUT_DOWNLOAD_MAX_SIZE + 1, NULL);
	check_add_fails(&fx, &good, 1, 10, "relative/dir");

	/* a name that cannot be used costs the /get/ form, not the source; an
	 * unusable source is skipped when another one works */
	gnut_download_source odd_name = {.host = "127.0.0.1", .port = 8, .name = "x\ny"};
	gnut_download_source two[2] = {bad_port, odd_name};
	uint8_t sha_odd[GNUT_SHA1_LEN] = {43};
	guint64 odd = gnut_downloads_add(fx.m, sha_odd, "o", 10, NULL, two, 2, NULL);
	CU_ASSERT_NOT_EQUAL(odd, 0);
	gnut_download_status ost = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, odd, &ost));
	CU_ASSERT_EQUAL(ost.sources, 1);
	gnut_download_status_clear(&ost);
	CU_ASSERT_EQUAL(gnut_downloads_find(fx.m, sha_odd), odd);
	uint8_t sha_unknown[GNUT_SHA1_LEN] = {42};
	CU_ASSERT_EQUAL(gnut_downloads_find(fx.m, sha_unknown), 0);
	CU_ASSERT_TRUE(gnut_downloads_cancel(fx.m, odd, NULL));
	CU_ASSERT_EQUAL(gnut_downloads_find(fx.m, sha_odd), 0); /* no longer in progress */

	/* no source at all is accepted (the download waits for one), with or
	 * without an array; the arguments are still checked */
	uint8_t sha_none[GNUT_SHA1_LEN] = {44};
	g_autoptr(GError) none_err = NULL;
	guint64 none = gnut_downloads_add(fx.m, sha_none, "w", 10, NULL, &good, 0, &none_err);
	CU_ASSERT_NOT_EQUAL(none, 0);
	CU_ASSERT_PTR_NULL(none_err);
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha_none, "w", 10, NULL, NULL, 0, NULL), none);
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, none, &ost));
	CU_ASSERT_EQUAL(ost.sources, 0);
	CU_ASSERT_EQUAL(ost.state, GNUT_DOWNLOAD_WAITING);
	gnut_download_status_clear(&ost);
	check_add_fails(&fx, NULL, 0, GNUT_DOWNLOAD_MAX_SIZE + 1, NULL);
	check_add_fails(&fx, NULL, 0, 10, "relative/dir");

	/* one SHA-1, one download: sources merge, a known host:port once */
	uint8_t sha1[GNUT_SHA1_LEN] = {42};
	gnut_download_source v6 = {.host = "::1", .port = 9};
	guint64 id = gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &good, 1, NULL);
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &good, 1, NULL), id);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &v6, NULL));
	gnut_download_status st = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, id, &st));
	CU_ASSERT_EQUAL(st.sources, 2);
	CU_ASSERT_STRING_EQUAL(gnut_download_state_name(st.state), "queued");
	gnut_download_status_clear(&st);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_EQUAL(gnut_downloads_add(fx.m, sha1, "m", 11, NULL, &good, 1, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	CU_ASSERT_FALSE(gnut_downloads_add_source(fx.m, 12345, &good, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_NOT_FOUND));
	CU_ASSERT_FALSE(gnut_downloads_get(fx.m, 12345, &st));
	CU_ASSERT_STRING_EQUAL(gnut_download_state_name(GNUT_DOWNLOAD_CANCELLED), "cancelled");
	dlfx_fixture_clear(&fx);
}

static void test_empty_file(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	uint8_t sha1[GNUT_SHA1_LEN];
	gnut_sha1_buffer("", 0, sha1);
	g_autofree char *to = g_build_filename(fx.top, "elsewhere", NULL);
	gnut_download_source src = {.host = "127.0.0.1", .port = dlfx_dead_port()};
	fx.w.id = gnut_downloads_add(fx.m, sha1, "empty.txt", 0, to, &src, 1, NULL);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	g_autofree char *want = g_build_filename(to, "empty.txt", NULL);
	CU_ASSERT_STRING_EQUAL(st.path, want);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(fx.w.connects, 0);
	dlfx_fixture_clear(&fx);
}

static void test_same_name_twice(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *a = dlfx_server_new(10);
	dlfx_server *b = dlfx_server_new(11);
	guint64 ida = dlfx_add_one(&fx, a, "same.bin");
	guint64 idb = dlfx_add_one(&fx, b, "same.bin");
	CU_ASSERT_NOT_EQUAL(ida, idb);
	fx.w.id = ida;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	fx.w.id = idb;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	g_autoptr(GPtrArray) list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL_FATAL(list->len, 2);
	const gnut_download_status *sa = g_ptr_array_index(list, 0);
	const gnut_download_status *sb = g_ptr_array_index(list, 1);
	CU_ASSERT_EQUAL(sa->state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(sb->state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_STRING_NOT_EQUAL(sa->path, sb->path);
	CU_ASSERT_TRUE(dlfx_file_equals(sa->path, a->file));
	CU_ASSERT_TRUE(dlfx_file_equals(sb->path, b->file));
	CU_ASSERT_EQUAL(dlfx_count_entries(fx.dl_dir), 2);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(a);
	dlfx_server_free(b);
}

static void test_connection_close_each_reply(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(12);
	s->close_each = TRUE;
	dlfx_add_one(&fx, s, "close.bin");
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	/* a new connection per reply, none counted against the source */
	CU_ASSERT_EQUAL(s->connections, 6);
	CU_ASSERT_EQUAL(fx.w.connects, 6);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static gboolean is_downloading(gpointer data)
{
	gnut_download_status st = dlfx_status_of(data);
	gboolean r = st.state == GNUT_DOWNLOAD_DOWNLOADING;
	gnut_download_status_clear(&st);
	return r;
}

static void test_silent_source_dropped(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	dlfx_server *s = dlfx_server_new(13);
	s->stall = TRUE;
	dlfx_add_one(&fx, s, "stall.bin");
	CU_ASSERT_TRUE(dlfx_run_until(is_downloading, &fx.w));
	/* the idle timeout is 10 s of the injected clock */
	gnut_clock_manual_advance(fx.clock, 11 * G_USEC_PER_SEC);
	fx.w.min_done = 1;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_waiting_again, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(st.done, 0);
	CU_ASSERT_EQUAL(st.sources, 1);
	gnut_download_status_clear(&st);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A source said it accepts TLS (GGEP TLS in its hit) but speaks plain
 * HTTP: the TLS-first connection fails (this server waits for a request
 * head that the ClientHello never completes: the idle timeout ends the TLS
 * handshake), the fetch connects again in plain text and the download
 * completes; the source is not asked for TLS again. */
static void test_tls_source_falls_back_to_plain(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	gnut_downloads_free(fx.m);
	fx.tls = TRUE;
	fx.idle_timeout_s = 2;
	fx.m = dlfx_manager_new(&fx, 0);
	dlfx_server *s = dlfx_server_new(17);
	gnut_download_source src = dlfx_source_at(s);
	src.tls = TRUE;
	g_autoptr(GError) err = NULL;
	guint64 id =
	    gnut_downloads_add(fx.m, s->sha1, "tls.bin", DLFX_FILE_SIZE, NULL, &src, 1, &err);
	CU_ASSERT_TRUE_FATAL(id != 0);
	fx.w.id = id;
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	gnut_download_status_clear(&st);
	/* the TLS attempt, then one plain connection for the whole file */
	CU_ASSERT_EQUAL(s->connections, 2);
	CU_ASSERT_EQUAL(dlfx_server_count(s, s->ranges), 6);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

#define URN_ZERO  "urn:sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define URN_OTHER "urn:sha1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

typedef struct {
	const char *head;   /* without the final empty line */
	guint64 start, len; /* the request, of a 1000-byte file */
	gboolean data;
	gnut_download_fetch_outcome outcome;
	guint64 rstart, rlen;
	gboolean close_after;
	guint retry;
} judge_case;

static const judge_case judge_cases[] = {
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 500", 0, 1000, TRUE, 0,
     0, 500, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nConnection: close", 0, 1000, TRUE, 0, 0,
     500, TRUE, 0},
    {"HTTP/1.0 206 OK\r\nContent-Range: bytes 10-19/1000", 10, 10, TRUE, 0, 10, 10, TRUE, 0},
    {"HTTP/1.0 206 OK\r\nContent-Range: bytes 10-19/1000\r\nConnection: Keep-Alive", 10, 10, TRUE,
     0, 10, 10, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/*", 0, 1000, TRUE, 0, 0, 500, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 600-699/1000", 500, 500, TRUE, 0, 600, 100, FALSE, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1000", 0, 500, TRUE, 0, 0, 500, TRUE, 0},
    {"HTTP/1.1 200 OK", 0, 1000, TRUE, 0, 0, 1000, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nX-Gnutella-Content-URN: " URN_ZERO, 0, 10,
     TRUE, 0, 0, 10, FALSE, 0},
    {"HTTP/1.1 200 OK\r\nContent-Length: 999", 0, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0,
     FALSE, 0},
    {"HTTP/1.1 200 OK", 500, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK", 0, 500, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1001", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_WRONG_FILE, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 50-99/1000", 100, 400, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-100/1000", 0, 100, FALSE, GNUT_DOWNLOAD_FETCH_ERROR,
     0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 501", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-499/1000\r\nContent-Length: 5x", 0, 1000, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes */1000", 0, 1000, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0,
     0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nX-Gnutella-Content-URN: " URN_OTHER, 0,
     10, FALSE, GNUT_DOWNLOAD_FETCH_WRONG_FILE, 0, 0, FALSE, 0},
    {"HTTP/1.1 206 OK\r\nContent-Range: bytes 0-9/1000\r\nTransfer-Encoding: chunked", 0, 10, FALSE,
     GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/1.1 503 Busy\r\nRetry-After: 30", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE,
     30},
    {"HTTP/1.1 503 Busy", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE, 0},
    {"HTTP/1.1 503 Busy\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT", 0, 10, FALSE,
     GNUT_DOWNLOAD_FETCH_BUSY, 0, 0, FALSE, 0},
    {"HTTP/1.1 404 Not Found", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_NOT_FOUND, 0, 0, FALSE, 0},
    {"HTTP/1.1 410 Gone", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_NOT_FOUND, 0, 0, FALSE, 0},
    {"HTTP/1.1 416 Range Not Satisfiable", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_BAD_RANGE, 0, 0, FALSE,
     0},
    {"HTTP/1.1 302 Found\r\nLocation: /x", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"HTTP/2 200 OK", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
    {"GNUTELLA/0.6 200 OK", 0, 10, FALSE, GNUT_DOWNLOAD_FETCH_ERROR, 0, 0, FALSE, 0},
};

static void test_reply_judge(void)
{
	uint8_t sha1[GNUT_SHA1_LEN] = {0};
	for (guint i = 0; i < G_N_ELEMENTS(judge_cases); i++) {
		const judge_case *jc = &judge_cases[i];
		g_autofree char *text = g_strconcat(jc->head, "\r\n\r\n", NULL);
		g_autoptr(gnut_head) h = NULL;
		CU_ASSERT_EQUAL_FATAL(gnut_head_parse((const uint8_t *)text, strlen(text), &h),
		                      GNUT_PROTO_OK);
		gnut_download_request rq = {
		    .sha1 = sha1, .size = 1000, .start = jc->start, .len = jc->len};
		gnut_download_reply r;
		g_autoptr(GError) err = NULL;
		gnut_download_reply_judge(h, &rq, &r, &err);
		if (r.data != jc->data || (!r.data && r.outcome != jc->outcome))
			fprintf(stderr, "\njudge case %u: data %d outcome %d\n", i, r.data,
			        r.outcome);
		CU_ASSERT_EQUAL(r.data, jc->data);
		if (jc->data) {
			CU_ASSERT_EQUAL(r.start, jc->rstart);
			CU_ASSERT_EQUAL(r.len, jc->rlen);
			CU_ASSERT_EQUAL(r.close_after, jc->close_after);
			CU_ASSERT_PTR_NULL(err);
		} else {
			CU_ASSERT_EQUAL(r.outcome, jc->outcome);
			CU_ASSERT_EQUAL(r.retry_after_s, jc->retry);
			gboolean has_reason = jc->outcome == GNUT_DOWNLOAD_FETCH_ERROR ||
			                      jc->outcome == GNUT_DOWNLOAD_FETCH_WRONG_FILE;
			CU_ASSERT_EQUAL(err != NULL, has_reason);
		}
	}
}

static gboolean is_verifying(gpointer data)
{
	dlfx_watch *w = data;
	for (guint i = 0; i < w->states->len; i++)
		if (g_array_index(w->states, gnut_download_state, i) == GNUT_DOWNLOAD_VERIFYING)
			return TRUE;
	return FALSE;
}

/* A partial file already whole when the manager starts: it is verified at
 * once; a manager freed while it verifies leaves the next one to finish. */
static void test_whole_partial_on_start(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	gnut_downloads_free(fx.m);
	GBytes *file = dlfx_make_file(DLFX_FILE_SIZE, 14);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 41;
	gnut_sha1_buffer(g_bytes_get_data(file, NULL), DLFX_FILE_SIZE, r->sha1);
	r->name = g_strdup("whole.bin");
	r->size = DLFX_FILE_SIZE;
	gnut_download_range all = {0, DLFX_FILE_SIZE};
	g_array_append_val(r->ranges, all);
	gnut_download_source src = {.host = g_strdup("127.0.0.1"), .port = dlfx_dead_port()};
	g_array_append_val(r->sources, src);
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(r->sha1, urn);
	g_autofree char *part_name = g_strconcat(urn + 9, ".part", NULL);
	g_autofree char *part = g_build_filename(fx.top, "incomplete", part_name, NULL);
	CU_ASSERT_TRUE(
	    g_file_set_contents(part, g_bytes_get_data(file, NULL), DLFX_FILE_SIZE, NULL));
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	g_ptr_array_add(recs, r);
	g_autofree char *state = g_build_filename(fx.top, "downloads.xml", NULL);
	CU_ASSERT_TRUE(gnut_download_store_save(state, recs, NULL));

	fx.m = dlfx_manager_new(&fx, 0);
	fx.w.id = 41;
	CU_ASSERT_TRUE(dlfx_run_until(is_verifying, &fx.w));
	gnut_downloads_free(fx.m); /* the verify job may be running */
	dlfx_spin_ms(200);
	/* the free waited for the job: either it had moved the file (and the
	 * download is over, gone from the state) or the new manager verifies
	 * it again; either way it ends in the folder once, never fetched */
	fx.m = dlfx_manager_new(&fx, 0);
	gnut_download_status st = {0};
	if (gnut_downloads_get(fx.m, 41, &st)) {
		gnut_download_status_clear(&st);
		CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
		st = dlfx_status_of(&fx.w);
		CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
		gnut_download_status_clear(&st);
	}
	g_autofree char *done_path = g_build_filename(fx.dl_dir, "whole.bin", NULL);
	CU_ASSERT_TRUE(dlfx_file_equals(done_path, file));
	CU_ASSERT_FALSE(g_file_test(part, G_FILE_TEST_EXISTS));
	CU_ASSERT_EQUAL(fx.w.connects, 0);
	CU_ASSERT_EQUAL(dlfx_count_entries(fx.dl_dir), 1);
	g_bytes_unref(file);
	dlfx_fixture_clear(&fx);
}

/* ---- downloads without a source ---- */

static void add_sourceless(dlfx_fixture *fx, const uint8_t sha1[GNUT_SHA1_LEN], const char *name)
{
	g_autoptr(GError) err = NULL;
	fx->w.id = gnut_downloads_add(fx->m, sha1, name, DLFX_FILE_SIZE, NULL, NULL, 0, &err);
	CU_ASSERT_NOT_EQUAL(fx->w.id, 0);
	CU_ASSERT_PTR_NULL(err);
}

/* Waiting with no source, nothing done, no error. */
static void check_waiting(dlfx_watch *w)
{
	gnut_download_status st = {0};
	CU_ASSERT_TRUE_FATAL(gnut_downloads_get(w->m, w->id, &st));
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_EQUAL(st.sources, 0);
	CU_ASSERT_EQUAL(st.done, 0);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
}

static void test_no_source_waits_then_starts(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	dlfx_server *s = dlfx_server_new(15);
	add_sourceless(&fx, s->sha1, "later.bin");
	dlfx_spin_ms(100);
	check_waiting(&fx.w);
	/* two minutes pass: still waiting, nothing asked */
	dlfx_advance_s_and_spin(&fx, 119);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);
	CU_ASSERT_EQUAL(s->connections, 0);

	gnut_download_source src = dlfx_source_at(s);
	g_autoptr(GError) err = NULL;
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, fx.w.id, &src, &err));
	CU_ASSERT_PTR_NULL(err);
	/* past the end of the wait before the scheduler runs: with a source,
	 * the download no longer waits, it fetches */
	gnut_clock_manual_advance(fx.clock, 2 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	CU_ASSERT_EQUAL(st.done, DLFX_FILE_SIZE);
	CU_ASSERT_EQUAL(st.sources, 1);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* it started as any download: connecting, downloading, verifying,
	 * complete, over one connection */
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_CONNECTING), 1);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_COMPLETE), 1);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_FAILED), 0);
	CU_ASSERT_EQUAL(s->connections, 1);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static void count_search(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN], gpointer data)
{
	(*(guint *)data)++;
}

/* No source: it never fails, and asks for a search by URN every
 * search_interval_s (300 s by default), not more often. */
static void test_no_source_waits_and_searches(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	guint searches = 0;
	gnut_downloads_set_source_finder(fx.m, count_search, &searches);
	uint8_t sha1[GNUT_SHA1_LEN] = {21};
	add_sourceless(&fx, sha1, "never.bin");
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(sha1, urn);
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);
	dlfx_advance_s_and_spin(&fx, 299);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(searches, 0);
	dlfx_advance_s_and_spin(&fx, 2);
	CU_ASSERT_EQUAL(searches, 1);
	dlfx_advance_s_and_spin(&fx, 200);
	CU_ASSERT_EQUAL(searches, 1);
	dlfx_advance_s_and_spin(&fx, 100);
	CU_ASSERT_EQUAL(searches, 2);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);
	/* a retry searches at once */
	CU_ASSERT_TRUE(gnut_downloads_retry(fx.m, fx.w.id, NULL));
	dlfx_spin_ms(50);
	CU_ASSERT_EQUAL(searches, 3);
	g_autofree char *after = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(after != NULL ? strstr(after, urn) : NULL);
	dlfx_fixture_clear(&fx);
}

static void test_no_source_survives_restart(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	dlfx_server *s = dlfx_server_new(16);
	add_sourceless(&fx, s->sha1, "restart.bin");
	guint64 id = fx.w.id;
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(s->sha1, urn);
	dlfx_advance_s_and_spin(&fx, 100);
	check_waiting(&fx.w);

	gnut_downloads_free(fx.m);
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, urn) : NULL);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "restart.bin") : NULL);
	CU_ASSERT_PTR_NULL(saved != NULL ? strstr(saved, "<source") : "missing");
	fx.m = dlfx_manager_new(&fx, 0);
	g_autoptr(GPtrArray) list = gnut_downloads_list(fx.m);
	CU_ASSERT_EQUAL_FATAL(list->len, 1);
	const gnut_download_status *ls = g_ptr_array_index(list, 0);
	CU_ASSERT_EQUAL(ls->id, id);
	CU_ASSERT_STRING_EQUAL(ls->name, "restart.bin");
	CU_ASSERT_STRING_EQUAL(ls->urn, urn);
	CU_ASSERT_EQUAL(ls->size, DLFX_FILE_SIZE);
	check_waiting(&fx.w);
	/* a fresh wait: 100 s more, 200 s since the add, and it still waits */
	dlfx_advance_s_and_spin(&fx, 100);
	check_waiting(&fx.w);
	CU_ASSERT_EQUAL(fx.w.states->len, 0);

	gnut_download_source src = dlfx_source_at(s);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &src, NULL));
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* The domain's name is what a GError prints; it was once spaced out by
 * clang-format inside G_DEFINE_QUARK. */
static void test_error_domain_name(void)
{
	CU_ASSERT_STRING_EQUAL(g_quark_to_string(GNUT_DOWNLOAD_ERROR), "gnut-download-error-quark");
}

static CU_TestInfo tests[] = {
    {"whole file over one kept-alive connection", test_whole_file_keep_alive},
    {"503 with Retry-After, then the file", test_busy_then_works},
    {"a source's upload queue is honoured", test_remote_queue_honoured},
    {"a flipped byte: not delivered, its source dropped", test_corrupt_byte_not_delivered},
    {"cut mid-body: the next source finishes", test_cut_connection_next_source},
    {"404 to the URN form: /get/<index>/<name>", test_get_fallback},
    {"404 everywhere: the download waits", test_not_found_anywhere_waits},
    {"refused: back-off on the clock, then waiting", test_back_off_then_wait},
    {"rate limit, then resume in a new manager", test_rate_limit_and_resume},
    {"a limit changed live applies to a running fetch", test_limit_changed_live},
    {"cancel", test_cancel},
    {"a whole partial file is verified at start", test_whole_partial_on_start},
    {"argument checks and source merging", test_add_checks_and_merge},
    {"an empty file needs no transfer", test_empty_file},
    {"two files of one name", test_same_name_twice},
    {"Connection: close on every reply", test_connection_close_each_reply},
    {"a silent source is dropped on the clock", test_silent_source_dropped},
    {"a TLS source that speaks plain: plain once", test_tls_source_falls_back_to_plain},
    {"reply heads judged", test_reply_judge},
    {"no source: waits, then a source starts it", test_no_source_waits_then_starts},
    {"no source: waits, searching by URN now and then", test_no_source_waits_and_searches},
    {"no source: still waiting after a restart", test_no_source_survives_restart},
    {"the error domain's name", test_error_domain_name},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download", tests)
