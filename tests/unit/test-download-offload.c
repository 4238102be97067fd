/* test-download-offload.c: the work the download manager runs in worker
 * threads (download-check.c, download-save.c), against the loopback HTTP
 * servers of download-fixture.c, looking at the manager's insides
 * (download-manager.h): a download cancelled, or a manager freed, while a
 * chunk's tree check runs is not touched after it is gone (ASan would
 * tell); a save wanted while a save runs is run after it, so the state
 * file ends up with the later bytes. */
#include "download-fixture.h"

#include "core/transfer/download-manager.h"
#include "unit.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK GNUT_DOWNLOAD_CHUNK

static gnut_dl *only_download(gnut_downloads *m)
{
	CU_ASSERT_EQUAL_FATAL(m->all->len, 1);
	return g_ptr_array_index(m->all, 0);
}

static gboolean check_running(gpointer data)
{
	return gnut_dl_checking(data);
}

static gboolean check_over(gpointer data)
{
	return !gnut_dl_checking(data);
}

/* A download from a source offering a tree, run until a completed chunk's
 * check is running in its worker (the verdict needs another turn of the
 * loop, so it is still running when the condition is seen). */
static gnut_dl *start_until_checking(dlfx_fixture *fx, dlfx_server **s)
{
	dlfx_fixture_init(fx, FALSE, 2 * CHUNK);
	*s = dlfx_server_new(71);
	dlfx_server_offer_tree(*s);
	dlfx_add_one(fx, *s, "checked.bin");
	gnut_dl *d = only_download(fx->m);
	CU_ASSERT_TRUE_FATAL(dlfx_run_until(check_running, d));
	return d;
}

static void test_cancel_while_checking(void)
{
	dlfx_fixture fx;
	dlfx_server *s;
	gnut_dl *d = start_until_checking(&fx, &s);
	CU_ASSERT_TRUE(gnut_downloads_cancel(fx.m, fx.w.id, NULL));
	CU_ASSERT_TRUE(dlfx_run_until(check_over, d));
	CU_ASSERT_EQUAL(d->state, GNUT_DOWNLOAD_CANCELLED);
	CU_ASSERT_EQUAL(d->slots->len, 0);
	CU_ASSERT_FALSE(g_file_test(d->partial, G_FILE_TEST_EXISTS));
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* The manager's end waits for the verdict: the state file then claims the
 * chunk, checked good. */
static void test_free_while_checking(void)
{
	dlfx_fixture fx;
	dlfx_server *s;
	gnut_dl *d = start_until_checking(&fx, &s);
	guint64 checked_end = 0;
	if (d->checking->len > 0)
		checked_end = g_array_index(d->checking, gnut_download_range, 0).end;
	CU_ASSERT_TRUE(checked_end >= CHUNK);
	gnut_downloads_free(g_steal_pointer(&fx.m));
	g_autofree char *text = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	const char *first = strstr(text, "<range start=\"0\" end=\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	guint64 claimed = g_ascii_strtoull(first + strlen("<range start=\"0\" end=\""), NULL, 10);
	CU_ASSERT_TRUE(claimed >= checked_end);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* Writes n bytes at offset into d's partial file and records them done,
 * as a transfer would. */
static void write_done(gnut_dl *d, guint64 offset, gsize n)
{
	CU_ASSERT_TRUE_FATAL(gnut_dl_open_partial(d));
	g_autofree guint8 *buf = g_malloc0(n);
	CU_ASSERT_EQUAL_FATAL(pwrite(d->fd, buf, n, (off_t)offset), (ssize_t)n);
	d->done_bytes += gnut_download_ranges_add(d->done, offset, offset + n);
	d->unsynced = TRUE;
}

static gboolean saves_over(gpointer data)
{
	gnut_downloads *m = data;
	return m->save_job == NULL && !m->save_again;
}

static void test_save_during_save_kept(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	uint8_t sha1[GNUT_SHA1_LEN] = {1, 2, 3};
	guint64 id = gnut_downloads_add(fx.m, sha1, "saved.bin", 4 * CHUNK, NULL, NULL, 0, NULL);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	gnut_dl *d = only_download(fx.m);
	write_done(d, 0, 1000);
	gnut_clock_manual_advance(fx.clock, G_USEC_PER_SEC);
	gnut_downloads_save_soon(fx.m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.m->save_job); /* in a worker until the loop turns */
	write_done(d, 1000, 2000);
	gnut_clock_manual_advance(fx.clock, G_USEC_PER_SEC);
	gnut_downloads_save_soon(fx.m);
	CU_ASSERT_TRUE(fx.m->save_again);
	CU_ASSERT_TRUE_FATAL(dlfx_run_until(saves_over, fx.m));
	g_autofree char *text = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "<range start=\"0\" end=\"3000\"/>"));
	CU_ASSERT_EQUAL(gnut_download_ranges_count_in(d->durable, 0, d->size), 3000);
	dlfx_fixture_clear(&fx);
}

static CU_TestInfo tests[] = {
    {"a download cancelled while a chunk check runs", test_cancel_while_checking},
    {"the manager freed while a chunk check runs", test_free_while_checking},
    {"a save wanted during a save is not lost", test_save_during_save_kept},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download-offload", tests)
