/* test-share.c: the share index on real temporary folders: what a scan keeps
 * and skips (hidden, symlinks in and out, special files, bad names, depth and
 * file caps), lookups by index, SHA-1 and keywords, the hash cache across
 * rescans and restarts, a changed file re-hashed, a corrupt cache, old refs
 * surviving a rescan, cancellation and freeing during a rescan, and the
 * confined open of a shared file (no symlink followed, a folder swapped for
 * one refused). Rescans run in a GMainLoop with a deadline. */
#include "gnut/proto/digest.h"
#include "gnut/core/share/hash-cache.h"
#include "gnut/core/share/share-open.h"
#include "gnut/core/share/share-scan.h"
#include "gnut/core/share/share.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEADLINE_MS 30000
#define UNICODE_NAME                                                                               \
	"Caf\xc3\xa9 \xc3\x9cn\xc3\xaf"                                                            \
	"code.txt" /* Café Ünïcode.txt */

/* SHA-1("abc"), FIPS 180 */
static const uint8_t sha1_abc[GNUT_SHA1_LEN] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
                                                0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
                                                0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};

typedef struct {
	char *top;   /* holds share/, outside/, data/ */
	char *share; /* the shared folder */
	char *data;  /* the data dir (hash cache) */
} fixture;

static void write_file(const char *dir, const char *rel, const char *content)
{
	char *path = g_build_filename(dir, rel, NULL);
	char *parent = g_path_get_dirname(path);
	CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(parent, 0700), 0);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, content, -1, NULL));
	g_free(parent);
	g_free(path);
}

static void make_link(const char *target, const char *dir, const char *rel)
{
	char *path = g_build_filename(dir, rel, NULL);
	CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
	g_free(path);
}

/* share/: a.txt ("abc"), Music/The Beatles - Let It Be.mp3, Music/deep/er/
 * song.ogg, "Café Ünïcode.txt", link-inside -> a.txt, loop -> ., and what
 * must not be shared: .hidden.txt, .hiddendir/secret.txt, link-outside ->
 * ../outside/secret.txt, a name that is not UTF-8, a named pipe. */
static fixture make_fixture(void)
{
	fixture fx;
	fx.top = gnut_unit_mkdtemp();
	fx.share = g_build_filename(fx.top, "share", NULL);
	fx.data = g_build_filename(fx.top, "data", NULL);
	write_file(fx.share, "a.txt", "abc");
	write_file(fx.share, "Music/The Beatles - Let It Be.mp3", "let it be");
	write_file(fx.share, "Music/deep/er/song.ogg", "la la la");
	write_file(fx.share, UNICODE_NAME, "unicode");
	write_file(fx.share, ".hidden.txt", "hidden");
	write_file(fx.share, ".hiddendir/secret.txt", "hidden too");
	write_file(fx.share, "bad \xff name.txt", "not utf-8");
	write_file(fx.top, "outside/secret.txt", "outside");
	char *outside = g_build_filename(fx.top, "outside", "secret.txt", NULL);
	make_link(outside, fx.share, "link-outside");
	g_free(outside);
	make_link("a.txt", fx.share, "link-inside");
	make_link(".", fx.share, "loop");
	char *fifo = g_build_filename(fx.share, "pipe", NULL);
	CU_ASSERT_EQUAL(mkfifo(fifo, 0600), 0);
	g_free(fifo);
	return fx;
}

static void free_fixture(fixture *fx)
{
	gnut_unit_rmtree(fx->top);
	g_free(fx->top);
	g_free(fx->share);
	g_free(fx->data);
}

typedef struct {
	GMainLoop *loop;
	gboolean done;
	gboolean ok;
	GError *error;
} rescan_wait;

static void on_rescan_done(GObject *source, GAsyncResult *res, gpointer data)
{
	rescan_wait *w = data;
	/* the share may be gone already (freed during the rescan): not passed */
	w->ok = gnut_share_rescan_finish(NULL, res, &w->error);
	w->done = TRUE;
	g_main_loop_quit(w->loop);
}

static gboolean on_deadline(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

/* Runs a main loop until w->done or the deadline. */
static void wait_done(rescan_wait *w)
{
	GSource *deadline = g_timeout_source_new(DEADLINE_MS);
	g_source_set_callback(deadline, on_deadline, w->loop, NULL);
	g_source_attach(deadline, g_main_loop_get_context(w->loop));
	if (!w->done)
		g_main_loop_run(w->loop);
	g_source_destroy(deadline);
	g_source_unref(deadline);
	CU_ASSERT_TRUE(w->done);
}

/* One rescan, waited for; TRUE if it succeeded. */
static gboolean rescan(gnut_share *s, GCancellable *cancel, GError **error)
{
	rescan_wait w = {g_main_loop_new(NULL, FALSE), FALSE, FALSE, NULL};
	gnut_share_rescan_async(s, cancel, on_rescan_done, &w);
	wait_done(&w);
	g_main_loop_unref(w.loop);
	if (w.error != NULL)
		g_propagate_error(error, w.error);
	return w.ok;
}

static gnut_share *new_share(const fixture *fx)
{
	GError *err = NULL;
	gnut_share *s = gnut_share_new(fx->data, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(gnut_share_add_dir(s, fx->share, &err));
	CU_ASSERT_PTR_NULL(err);
	return s;
}

static gnut_shared_file *find_by_name(gnut_share *s, const char *name)
{
	g_autoptr(GPtrArray) all = gnut_share_list(s);
	for (guint i = 0; i < all->len; i++) {
		gnut_shared_file *f = g_ptr_array_index(all, i);
		if (strcmp(f->name, name) == 0)
			return gnut_shared_file_ref(f);
	}
	return NULL;
}

static guint search_count(gnut_share *s, const char *query)
{
	g_autoptr(GPtrArray) hits = gnut_share_search(s, query, 100);
	return hits->len;
}

static void test_scan_keeps_and_skips(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	CU_ASSERT_EQUAL(gnut_share_count(s), 0); /* nothing before the first rescan */
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	/* a.txt, Let It Be.mp3, song.ogg, Café Ünïcode.txt, link-inside */
	CU_ASSERT_EQUAL(gnut_share_count(s), 5);
	CU_ASSERT_EQUAL(gnut_share_total_bytes(s), 3 + 9 + 8 + 7 + 3);
	g_autoptr(GPtrArray) all = gnut_share_list(s);
	CU_ASSERT_EQUAL(all->len, 5);
	for (guint i = 0; i < all->len; i++) {
		gnut_shared_file *f = g_ptr_array_index(all, i);
		CU_ASSERT(f->name[0] != '.');
		CU_ASSERT(strstr(f->path, "outside") == NULL);
		CU_ASSERT(strstr(f->name, "secret") == NULL && strstr(f->name, "bad") == NULL);
		CU_ASSERT(g_path_is_absolute(f->path));
		CU_ASSERT_NOT_EQUAL(f->index, 0);
	}
	g_autoptr(gnut_shared_file) link = find_by_name(s, "link-inside");
	g_autoptr(gnut_shared_file) a = find_by_name(s, "a.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(link);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(link->path, a->path); /* the real path, not the link */
	CU_ASSERT_NOT_EQUAL(link->index, a->index);
	CU_ASSERT_EQUAL(memcmp(a->sha1, sha1_abc, GNUT_SHA1_LEN), 0);
	CU_ASSERT_EQUAL(a->size, 3);
	CU_ASSERT(a->mtime > 1000000000);
	g_autoptr(gnut_shared_file) deep = find_by_name(s, "song.ogg");
	CU_ASSERT_PTR_NOT_NULL(deep);
	g_autoptr(gnut_shared_file) uni = find_by_name(s, UNICODE_NAME);
	CU_ASSERT_PTR_NOT_NULL(uni);

	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 4); /* link-inside reuses a.txt's hash */
	CU_ASSERT_EQUAL(st.cache_hits, 1);
	CU_ASSERT_EQUAL(st.bytes_hashed, 3 + 9 + 8 + 7);
	CU_ASSERT_EQUAL(st.scans, 1);
	CU_ASSERT_EQUAL(st.last_files, 5);
	/* .hidden.txt, .hiddendir, bad name, link-outside, pipe */
	CU_ASSERT_EQUAL(st.last_skipped, 5);
	const char *const *dirs = gnut_share_dirs(s);
	CU_ASSERT_PTR_NOT_NULL(dirs[0]);
	CU_ASSERT_PTR_NULL(dirs[1]);
	gnut_share_free(s);
	free_fixture(&fx);
}

static void test_lookups(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE_FATAL(rescan(s, NULL, NULL));

	uint8_t want[GNUT_SHA1_LEN];
	gnut_sha1_buffer("let it be", 9, want);
	g_autoptr(gnut_shared_file) song = gnut_share_by_sha1(s, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(song);
	CU_ASSERT_STRING_EQUAL(song->name, "The Beatles - Let It Be.mp3");
	g_autoptr(gnut_shared_file) same = gnut_share_by_index(s, song->index);
	CU_ASSERT_PTR_EQUAL(same, song);
	g_autoptr(gnut_shared_file) abc = gnut_share_by_sha1(s, sha1_abc);
	CU_ASSERT_PTR_NOT_NULL(abc);
	CU_ASSERT_PTR_NULL(gnut_share_by_index(s, 0));
	CU_ASSERT_PTR_NULL(gnut_share_by_index(s, 999999));
	gnut_sha1_buffer("hidden", 6, want);
	CU_ASSERT_PTR_NULL(gnut_share_by_sha1(s, want));
	gnut_sha1_buffer("outside", 7, want);
	CU_ASSERT_PTR_NULL(gnut_share_by_sha1(s, want));

	CU_ASSERT_EQUAL(search_count(s, "beatles"), 1);
	CU_ASSERT_EQUAL(search_count(s, "BEAT let"), 1);
	CU_ASSERT_EQUAL(search_count(s, "mp3"), 1);
	CU_ASSERT_EQUAL(search_count(s, "txt"), 2); /* a.txt, Café Ünïcode.txt */
	CU_ASSERT_EQUAL(search_count(s, "caf\xc3\xa9"), 1);
	CU_ASSERT_EQUAL(search_count(s, "\xc3\xbcn"), 1); /* "ün" finds "Ünïcode" */
	CU_ASSERT_EQUAL(search_count(s, "link"), 1);
	CU_ASSERT_EQUAL(search_count(s, "secret"), 0);
	CU_ASSERT_EQUAL(search_count(s, "hidden"), 0);
	CU_ASSERT_EQUAL(search_count(s, "beatles zzz"), 0);
	CU_ASSERT_EQUAL(search_count(s, ""), 0);
	g_autoptr(GPtrArray) one = gnut_share_search(s, "txt", 1);
	CU_ASSERT_EQUAL(one->len, 1);
	gnut_share_free(s);
	free_fixture(&fx);
}

static void test_cache_across_rescans_and_restart(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE_FATAL(rescan(s, NULL, NULL));
	g_autoptr(gnut_shared_file) song = find_by_name(s, "song.ogg");
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 4); /* nothing hashed again */
	CU_ASSERT_EQUAL(st.cache_hits, 1 + 5);
	g_autoptr(gnut_shared_file) again = find_by_name(s, "song.ogg");
	CU_ASSERT_EQUAL(again->index, song->index); /* stable across rescans */
	gnut_share_free(s);

	char *cache = g_build_filename(fx.data, GNUT_SHARE_CACHE_NAME, NULL);
	CU_ASSERT_TRUE(g_file_test(cache, G_FILE_TEST_IS_REGULAR));
	s = new_share(&fx); /* a restart on the same data dir */
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 0);
	CU_ASSERT_EQUAL(st.cache_hits, 5);
	CU_ASSERT_EQUAL(gnut_share_count(s), 5);
	g_autoptr(gnut_shared_file) abc = gnut_share_by_sha1(s, sha1_abc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(abc);
	/* The Tiger tree came back from the cache with the SHA-1. */
	uint8_t root[GNUT_TIGER_LEN];
	gnut_tiger_tree_buffer("abc", 3, root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(abc->thex);
	CU_ASSERT_EQUAL(memcmp(abc->thex->root, root, sizeof root), 0);
	CU_ASSERT_EQUAL(abc->thex->n_nodes, 1);
	gnut_share_free(s);
	g_free(cache);
	free_fixture(&fx);
}

static void set_mtime(const char *path, time_t when)
{
	struct timespec times[2] = {{when, 0}, {when, 0}};
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void test_changed_file_rehashed(void)
{
	fixture fx = make_fixture();
	char *a_path = g_build_filename(fx.share, "a.txt", NULL);
	set_mtime(a_path, 1600000000);
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE_FATAL(rescan(s, NULL, NULL));
	g_autoptr(gnut_shared_file) before = find_by_name(s, "a.txt");
	CU_ASSERT_EQUAL(before->mtime, 1600000000);

	/* same size, new content and mtime */
	CU_ASSERT_TRUE(g_file_set_contents(a_path, "xyz", 3, NULL));
	set_mtime(a_path, 1600000100);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 4 + 1);
	uint8_t want[GNUT_SHA1_LEN];
	gnut_sha1_buffer("xyz", 3, want);
	g_autoptr(gnut_shared_file) now = gnut_share_by_sha1(s, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(now);
	CU_ASSERT_EQUAL(now->index, before->index);
	CU_ASSERT_PTR_NULL(gnut_share_by_sha1(s, sha1_abc));
	/* the old record is still whole */
	CU_ASSERT_EQUAL(memcmp(before->sha1, sha1_abc, GNUT_SHA1_LEN), 0);
	CU_ASSERT_STRING_EQUAL(before->name, "a.txt");

	/* a new size with the same mtime is a change too */
	CU_ASSERT_TRUE(g_file_set_contents(a_path, "abcd", 4, NULL));
	set_mtime(a_path, 1600000100);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 4 + 2);
	g_autoptr(gnut_shared_file) grown = gnut_share_by_index(s, before->index);
	CU_ASSERT_PTR_NOT_NULL_FATAL(grown);
	CU_ASSERT_EQUAL(grown->size, 4);
	g_free(a_path);
	gnut_share_free(s);
	free_fixture(&fx);
}

static void test_rescan_replaces_index(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE_FATAL(rescan(s, NULL, NULL));
	gnut_shared_file *song = find_by_name(s, "song.ogg");
	guint32 old_index = song->index;
	g_autoptr(GPtrArray) old_hits = gnut_share_search(s, "song", 10);
	CU_ASSERT_EQUAL(old_hits->len, 1);

	char *song_path = g_build_filename(fx.share, "Music", "deep", "er", "song.ogg", NULL);
	CU_ASSERT_EQUAL(g_unlink(song_path), 0);
	write_file(fx.share, "new song.flac", "brand new");
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	CU_ASSERT_EQUAL(gnut_share_count(s), 5);
	CU_ASSERT_PTR_NULL(gnut_share_by_index(s, old_index));
	CU_ASSERT_EQUAL(search_count(s, "song"), 1);
	g_autoptr(gnut_shared_file) fresh = find_by_name(s, "new song.flac");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
	CU_ASSERT_NOT_EQUAL(fresh->index, old_index);
	/* refs from the old index are still valid */
	CU_ASSERT_STRING_EQUAL(song->name, "song.ogg");
	CU_ASSERT_STRING_EQUAL(song->path, song_path);
	gnut_shared_file *hit = g_ptr_array_index(old_hits, 0);
	CU_ASSERT_STRING_EQUAL(hit->name, "song.ogg");
	gnut_shared_file_unref(song);
	g_free(song_path);
	gnut_share_free(s);
	free_fixture(&fx);
}

static void test_corrupt_cache_ignored(void)
{
	fixture fx = make_fixture();
	CU_ASSERT_EQUAL(g_mkdir_with_parents(fx.data, 0700), 0);
	char *cache = g_build_filename(fx.data, GNUT_SHARE_CACHE_NAME, NULL);
	CU_ASSERT_TRUE(g_file_set_contents(cache, "gnutd-hash-cache 1\n\xff\xfe junk", -1, NULL));
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.files_hashed, 4);
	CU_ASSERT_EQUAL(gnut_share_count(s), 5);
	gnut_share_free(s);
	/* the cache was rewritten whole */
	g_autoptr(gnut_hash_cache) c = gnut_hash_cache_new();
	CU_ASSERT_TRUE(gnut_hash_cache_load(c, cache, NULL));
	CU_ASSERT_EQUAL(gnut_hash_cache_size(c), 4);
	g_free(cache);
	free_fixture(&fx);
}

static void test_add_dir_rules(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	GError *err = NULL;
	char *missing = g_build_filename(fx.top, "missing", NULL);
	CU_ASSERT_FALSE(gnut_share_add_dir(s, missing, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	char *file = g_build_filename(fx.share, "a.txt", NULL);
	CU_ASSERT_FALSE(gnut_share_add_dir(s, file, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY));
	g_clear_error(&err);
	char *dotted = g_build_filename(fx.share, "Music", "..", NULL);
	CU_ASSERT_TRUE(gnut_share_add_dir(s, dotted, &err)); /* the same folder again */
	char *nested = g_build_filename(fx.share, "Music", NULL);
	CU_ASSERT_TRUE(gnut_share_add_dir(s, nested, &err));
	const char *const *dirs = gnut_share_dirs(s);
	CU_ASSERT_PTR_NOT_NULL(dirs[1]);
	CU_ASSERT_PTR_NULL(dirs[2]);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	CU_ASSERT_EQUAL(gnut_share_count(s), 5); /* the nested folder is walked once */
	g_free(missing);
	g_free(file);
	g_free(dotted);
	g_free(nested);
	gnut_share_free(s);
	free_fixture(&fx);
}

static void test_cancel_and_free_during_rescan(void)
{
	fixture fx = make_fixture();
	gnut_share *s = new_share(&fx);
	GCancellable *cancel = g_cancellable_new();
	g_cancellable_cancel(cancel);
	GError *err = NULL;
	CU_ASSERT_FALSE(rescan(s, cancel, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	g_clear_error(&err);
	CU_ASSERT_EQUAL(gnut_share_count(s), 0); /* the old (empty) index stays */
	g_object_unref(cancel);

	/* two rescans in a row both finish, one after the other */
	rescan_wait w1 = {g_main_loop_new(NULL, FALSE), FALSE, FALSE, NULL};
	rescan_wait w2 = {g_main_loop_new(NULL, FALSE), FALSE, FALSE, NULL};
	gnut_share_rescan_async(s, NULL, on_rescan_done, &w1);
	gnut_share_rescan_async(s, NULL, on_rescan_done, &w2);
	wait_done(&w1);
	wait_done(&w2);
	CU_ASSERT_TRUE(w1.ok && w2.ok);
	CU_ASSERT_EQUAL(gnut_share_count(s), 5);

	/* freeing the share while a rescan runs: it waits, the callback comes */
	rescan_wait w3 = {g_main_loop_new(NULL, FALSE), FALSE, FALSE, NULL};
	gnut_share_rescan_async(s, NULL, on_rescan_done, &w3);
	gnut_share_free(s);
	wait_done(&w3);
	CU_ASSERT_TRUE(w3.ok || g_error_matches(w3.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	g_clear_error(&w3.error);
	g_main_loop_unref(w1.loop);
	g_main_loop_unref(w2.loop);
	g_main_loop_unref(w3.loop);
	free_fixture(&fx);
}

static void test_depth_and_file_caps(void)
{
	char *top = gnut_unit_mkdtemp();
	GString *dir = g_string_new(top);
	for (int level = 1; level <= GNUT_SHARE_MAX_DEPTH + 3; level++) {
		g_string_append(dir, "/d");
		char *name = g_strdup_printf("level %d.txt", level);
		write_file(dir->str, name, "x");
		g_free(name);
	}
	GError *err = NULL;
	gnut_share *s = gnut_share_new(NULL, &err); /* no data dir: cache in memory */
	CU_ASSERT_TRUE(gnut_share_add_dir(s, top, &err));
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	CU_ASSERT_EQUAL(gnut_share_count(s), GNUT_SHARE_MAX_DEPTH);
	g_autoptr(GPtrArray) deepest = gnut_share_search(s, "level 64", 10);
	CU_ASSERT_EQUAL(deepest->len, 1);
	CU_ASSERT_EQUAL(search_count(s, "level 65"), 0);
	gnut_share_free(s);

	/* the walk itself, with small caps */
	const char *roots[] = {top, NULL};
	gnut_scan_options opt = {3, 5, NULL, NULL};
	GPtrArray *entries = NULL;
	guint skipped = 0;
	CU_ASSERT_TRUE(gnut_share_scan(roots, &opt, &entries, &skipped, &err));
	CU_ASSERT_EQUAL(entries->len, 3);
	CU_ASSERT_EQUAL(skipped, 2 + 1); /* files 4 and 5, folder 6 */
	gnut_scan_entry *first = g_ptr_array_index(entries, 0);
	CU_ASSERT_STRING_EQUAL(first->name, "level 1.txt");
	g_ptr_array_unref(entries);
	GCancellable *cancel = g_cancellable_new();
	g_cancellable_cancel(cancel);
	opt.cancellable = cancel;
	entries = NULL;
	CU_ASSERT_FALSE(gnut_share_scan(roots, &opt, &entries, &skipped, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED));
	CU_ASSERT_PTR_NULL(entries);
	g_clear_error(&err);
	g_object_unref(cancel);
	g_string_free(dir, TRUE);
	gnut_unit_rmtree(top);
	g_free(top);
}

/* The record the walk would make of path, beneath root. */
static gnut_file_record record_of(const char *root, const char *path)
{
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	gnut_file_record r = {
	    path,      strlen(root), st.st_dev,
	    st.st_ino, st.st_size,   (gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec};
	return r;
}

static void test_hash_file(void)
{
	char *top = gnut_unit_mkdtemp();
	char *path = g_build_filename(top, "big.bin", NULL);
	gsize len = 3 * GNUT_SCAN_HASH_BUFFER + 12345; /* several reads, a short last one */
	guint8 *content = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		content[i] = (guint8)(i * 7 + (i >> 13));
	CU_ASSERT_TRUE(g_file_set_contents(path, (char *)content, (gssize)len, NULL));
	gnut_file_record r = record_of(top, path);
	guint8 *buf = g_malloc(GNUT_SCAN_HASH_BUFFER);
	uint8_t got[GNUT_SHA1_LEN], want[GNUT_SHA1_LEN];
	gnut_sha1_buffer(content, len, want);
	GError *err = NULL;
	CU_ASSERT_TRUE(gnut_share_hash_file(&r, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	CU_ASSERT_EQUAL(memcmp(got, want, GNUT_SHA1_LEN), 0);
	/* a size, mtime or inode other than the walk saw: changed, not hashed */
	gnut_file_record other = r;
	other.size = len - 1;
	CU_ASSERT_FALSE(
	    gnut_share_hash_file(&other, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_BUSY));
	g_clear_error(&err);
	other = r;
	other.mtime_ns++;
	CU_ASSERT_FALSE(
	    gnut_share_hash_file(&other, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	g_clear_error(&err);
	other = r;
	other.ino++;
	CU_ASSERT_FALSE(
	    gnut_share_hash_file(&other, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_BUSY));
	g_clear_error(&err);
	char *missing = g_build_filename(top, "missing", NULL);
	other = r;
	other.path = missing;
	CU_ASSERT_FALSE(
	    gnut_share_hash_file(&other, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	/* reached through a symlinked folder: not opened */
	char *via = g_build_filename(top, "via", NULL);
	char *via_path = g_build_filename(via, "big.bin", NULL);
	CU_ASSERT_EQUAL(symlink(top, via), 0);
	other = r;
	other.path = via_path;
	CU_ASSERT_FALSE(
	    gnut_share_hash_file(&other, buf, GNUT_SCAN_HASH_BUFFER, NULL, got, NULL, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	g_free(via_path);
	g_free(via);
	g_free(missing);
	g_free(buf);
	g_free(content);
	g_free(path);
	gnut_unit_rmtree(top);
	g_free(top);
}

/* Opens rel beneath dir both ways; both must agree. The descriptor of
 * the first, or -1 with its errno. */
static int open_both_ways(const char *dir, const char *rel)
{
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_TRUE_FATAL(dir_fd >= 0);
	int fd = gnut_open_beneath(dir_fd, rel);
	int err = errno;
	int walked = gnut_open_beneath_walk(dir_fd, rel);
	int walk_err = errno;
	CU_ASSERT_EQUAL(fd >= 0, walked >= 0);
	if (walked >= 0)
		close(walked);
	else if (fd < 0)
		CU_ASSERT_TRUE(walk_err == err || (err == ELOOP && walk_err == ENOTDIR) ||
		               (err == ENOTDIR && walk_err == ELOOP));
	close(dir_fd);
	errno = err;
	return fd;
}

static gboolean opens_with(const char *dir, const char *rel, const char *content)
{
	int fd = open_both_ways(dir, rel);
	if (fd < 0)
		return FALSE;
	char buf[64] = {0};
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n >= 0 && strcmp(buf, content) == 0;
}

static gboolean refused(const char *dir, const char *rel, int want_errno)
{
	int fd = open_both_ways(dir, rel);
	int err = errno;
	if (fd >= 0)
		close(fd);
	return fd < 0 && (want_errno == 0 || err == want_errno);
}

static void test_open_beneath(void)
{
	fixture fx = make_fixture();
	make_link("Music", fx.share, "music-link");
	CU_ASSERT_TRUE(opens_with(fx.share, "a.txt", "abc"));
	CU_ASSERT_TRUE(opens_with(fx.share, "Music/deep/er/song.ogg", "la la la"));
	/* a symlink as the file, as a folder on the way, leading out or in */
	CU_ASSERT_TRUE(refused(fx.share, "link-inside", ELOOP));
	CU_ASSERT_TRUE(refused(fx.share, "link-outside", ELOOP));
	CU_ASSERT_TRUE(refused(fx.share, "loop/a.txt", 0));
	CU_ASSERT_TRUE(refused(fx.share, "music-link/The Beatles - Let It Be.mp3", 0));
	/* forms that could leave the folder or say nothing */
	const char *bad[] = {
	    "../outside/secret.txt",   "Music/../a.txt", "./a.txt", "/etc/passwd", "",
	    "Music//deep/er/song.ogg", "Music/"};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_TRUE(refused(fx.share, bad[i], EINVAL));
	CU_ASSERT_TRUE(refused(fx.share, "missing.txt", ENOENT));
	/* a FIFO does not block the open */
	int fd = open_both_ways(fx.share, "pipe");
	CU_ASSERT_TRUE(fd >= 0);
	if (fd >= 0)
		close(fd);
	free_fixture(&fx);
}

/* Reads what an open descriptor holds (up to 63 bytes). */
static char *read_fd(int fd)
{
	char buf[64] = {0};
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	return g_strndup(buf, n > 0 ? (gsize)n : 0);
}

#define INSIDE_TEXT  "INSIDE-CONTENT-0\n"
#define OUTSIDE_TEXT "OUTSIDE-SECRET-1\n" /* as long as INSIDE_TEXT */

/* share/sub/inner.txt, then sub swapped for a symlink to outside/, which
 * holds an inner.txt of the same size and mtime: the file is no longer
 * the one indexed, and never opened. The same for a file replaced in
 * place by another of the same size and mtime (another inode). */
static void test_open_file_after_swap(void)
{
	fixture fx = make_fixture();
	char *sub = g_build_filename(fx.share, "sub", NULL);
	char *inner = g_build_filename(sub, "inner.txt", NULL);
	char *outside = g_build_filename(fx.top, "outside", NULL);
	char *outer = g_build_filename(outside, "inner.txt", NULL);
	write_file(sub, "inner.txt", INSIDE_TEXT);
	write_file(outside, "inner.txt", OUTSIDE_TEXT);
	set_mtime(inner, 1600000000);
	set_mtime(outer, 1600000000);
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE_FATAL(rescan(s, NULL, NULL));
	g_autoptr(gnut_shared_file) f = find_by_name(s, "inner.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	int fd = -1;
	GError *err = NULL;
	CU_ASSERT_TRUE_FATAL(gnut_share_open_file(s, f, &fd, &err));
	g_autofree char *got = read_fd(fd);
	CU_ASSERT_STRING_EQUAL(got, INSIDE_TEXT);
	close(fd);

	char *moved = g_build_filename(fx.top, "sub.moved", NULL);
	CU_ASSERT_EQUAL_FATAL(rename(sub, moved), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, sub), 0);
	/* the attack is real: the indexed path now names the outside file */
	g_autofree char *via_path = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(f->path, &via_path, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(via_path, OUTSIDE_TEXT);
	CU_ASSERT_FALSE(gnut_share_open_file(s, f, &fd, &err));
	CU_ASSERT_EQUAL(fd, -1);
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.stale_opens, 1);
	/* a rescan drops it: the symlink leads out of the share */
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	g_autoptr(gnut_shared_file) gone = find_by_name(s, "inner.txt");
	CU_ASSERT_PTR_NULL(gone);

	/* replaced in place: same size and mtime, another inode */
	char *a_path = g_build_filename(fx.share, "a.txt", NULL);
	set_mtime(a_path, 1600000000);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	g_autoptr(gnut_shared_file) a = find_by_name(s, "a.txt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char *tmp = g_build_filename(fx.share, ".a.new", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(tmp, "xyz", 3, NULL));
	set_mtime(tmp, 1600000000);
	CU_ASSERT_EQUAL(rename(tmp, a_path), 0);
	CU_ASSERT_FALSE(gnut_share_open_file(s, a, &fd, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	gnut_share_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.stale_opens, 2);
	gnut_share_free(s);
	g_free(tmp);
	g_free(a_path);
	g_free(moved);
	g_free(outer);
	g_free(outside);
	g_free(inner);
	g_free(sub);
	free_fixture(&fx);
}

/* Root reads every file, so only another user can see one skipped. */
static void test_unreadable_file_skipped(void)
{
	if (geteuid() == 0)
		return;
	fixture fx = make_fixture();
	char *a_path = g_build_filename(fx.share, "a.txt", NULL);
	CU_ASSERT_EQUAL(chmod(a_path, 0), 0);
	gnut_share *s = new_share(&fx);
	CU_ASSERT_TRUE(rescan(s, NULL, NULL));
	CU_ASSERT_EQUAL(gnut_share_count(s), 3); /* a.txt and the link to it */
	CU_ASSERT_PTR_NULL(gnut_share_by_sha1(s, sha1_abc));
	gnut_share_free(s);
	g_free(a_path);
	free_fixture(&fx);
}

static CU_TestInfo tests[] = {
    {"scan keeps and skips the right files", test_scan_keeps_and_skips},
    {"lookups by sha1, index, keywords", test_lookups},
    {"cache across rescans and a restart", test_cache_across_rescans_and_restart},
    {"changed file re-hashed", test_changed_file_rehashed},
    {"rescan replaces the index, old refs live", test_rescan_replaces_index},
    {"corrupt cache ignored", test_corrupt_cache_ignored},
    {"add_dir rules", test_add_dir_rules},
    {"cancel, queue, free during rescan", test_cancel_and_free_during_rescan},
    {"depth and file caps", test_depth_and_file_caps},
    {"hashing one file", test_hash_file},
    {"open beneath a folder, no symlink followed", test_open_beneath},
    {"a shared file swapped since the scan is not opened", test_open_file_after_swap},
    {"unreadable file skipped", test_unreadable_file_skipped},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("share", tests)
