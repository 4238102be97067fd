/* test-hash-cache.c: the hash cache (lookups keyed on size and mtime, prune,
 * text round trip with awkward paths, every truncation and many corruptions
 * rejected, file load/save) and the atomic file helpers it saves through. */
#include "gnut/base/atomic-file.h"
#include "gnut/core/share/hash-cache.h"
#include "gnut/proto/digest.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static void fill_sha1(uint8_t sha1[GNUT_SHA1_LEN], uint8_t seed)
{
	for (int i = 0; i < GNUT_SHA1_LEN; i++)
		sha1[i] = (uint8_t)(seed * 31 + i);
}

static void test_lookup_keys_on_size_and_mtime(void)
{
	g_autoptr(gnut_hash_cache) c = gnut_hash_cache_new();
	uint8_t sha1[GNUT_SHA1_LEN], out[GNUT_SHA1_LEN];
	fill_sha1(sha1, 1);
	CU_ASSERT_FALSE(gnut_hash_cache_is_dirty(c));
	gnut_hash_cache_store(c, "/share/a.txt", 3, 1700000000123456789, sha1);
	CU_ASSERT_TRUE(gnut_hash_cache_is_dirty(c));
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(c, "/share/a.txt", 3, 1700000000123456789, out));
	CU_ASSERT_EQUAL(memcmp(out, sha1, GNUT_SHA1_LEN), 0);
	CU_ASSERT_FALSE(gnut_hash_cache_lookup(c, "/share/a.txt", 4, 1700000000123456789, out));
	CU_ASSERT_FALSE(gnut_hash_cache_lookup(c, "/share/a.txt", 3, 1700000000123456788, out));
	CU_ASSERT_FALSE(gnut_hash_cache_lookup(c, "/share/b.txt", 3, 1700000000123456789, out));
	/* replacing an entry keeps one */
	fill_sha1(sha1, 2);
	gnut_hash_cache_store(c, "/share/a.txt", 4, 5, sha1);
	CU_ASSERT_EQUAL(gnut_hash_cache_size(c), 1);
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(c, "/share/a.txt", 4, 5, out));
	CU_ASSERT_EQUAL(memcmp(out, sha1, GNUT_SHA1_LEN), 0);
	/* empty and over-long paths are not stored */
	gnut_hash_cache_store(c, "", 1, 1, sha1);
	char *long_path = g_strnfill(GNUT_HASH_CACHE_MAX_PATH + 1, 'x');
	long_path[0] = '/';
	gnut_hash_cache_store(c, long_path, 1, 1, sha1);
	CU_ASSERT_EQUAL(gnut_hash_cache_size(c), 1);
	g_free(long_path);
}

static void test_prune_drops_unseen(void)
{
	g_autoptr(gnut_hash_cache) c = gnut_hash_cache_new();
	uint8_t sha1[GNUT_SHA1_LEN], out[GNUT_SHA1_LEN];
	fill_sha1(sha1, 3);
	gnut_hash_cache_store(c, "/a", 1, 1, sha1);
	gnut_hash_cache_store(c, "/b", 2, 2, sha1);
	gnut_hash_cache_store(c, "/c", 3, 3, sha1);
	CU_ASSERT_EQUAL(gnut_hash_cache_prune(c), 0); /* all stored since: all seen */
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(c, "/b", 2, 2, out));
	CU_ASSERT_EQUAL(gnut_hash_cache_prune(c), 2); /* only /b seen this round */
	CU_ASSERT_EQUAL(gnut_hash_cache_size(c), 1);
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(c, "/b", 2, 2, out));
	CU_ASSERT_FALSE(gnut_hash_cache_lookup(c, "/a", 1, 1, out));
}

/* A cache with paths that need escaping, and one with a negative mtime. */
static gnut_hash_cache *awkward_cache(void)
{
	gnut_hash_cache *c = gnut_hash_cache_new();
	uint8_t sha1[GNUT_SHA1_LEN];
	fill_sha1(sha1, 4);
	gnut_hash_cache_store(c, "/share/line\nbreak %41 100%.txt", G_MAXUINT64, G_MAXINT64, sha1);
	fill_sha1(sha1, 5);
	gnut_hash_cache_store(c, "/share/caf\xc3\xa9 \x01\x7f\t end ", 0, -1500000000, sha1);
	fill_sha1(sha1, 6);
	gnut_hash_cache_store(c, "/share/plain.mp3", 12345, 0, sha1);
	return c;
}

static void test_text_round_trip(void)
{
	g_autoptr(gnut_hash_cache) c = awkward_cache();
	g_autoptr(GBytes) text = gnut_hash_cache_serialize(c);
	gsize len = 0;
	const char *data = g_bytes_get_data(text, &len);
	CU_ASSERT(g_str_has_prefix(data, "gnutd-hash-cache 2\n"));
	CU_ASSERT_PTR_NULL(memchr(data, '\t', len)); /* control bytes escaped */
	CU_ASSERT_PTR_NOT_NULL(g_strstr_len(data, (gssize)len, "%0A"));
	CU_ASSERT_PTR_NOT_NULL(g_strstr_len(data, (gssize)len, "%2541 100%25"));

	g_autoptr(gnut_hash_cache) back = gnut_hash_cache_new();
	GError *err = NULL;
	CU_ASSERT_TRUE(gnut_hash_cache_parse(back, data, len, &err));
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(gnut_hash_cache_size(back), 3);
	CU_ASSERT_FALSE(gnut_hash_cache_is_dirty(back));
	uint8_t out[GNUT_SHA1_LEN], want[GNUT_SHA1_LEN];
	fill_sha1(want, 4);
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(back, "/share/line\nbreak %41 100%.txt", G_MAXUINT64,
	                                      G_MAXINT64, out));
	CU_ASSERT_EQUAL(memcmp(out, want, GNUT_SHA1_LEN), 0);
	fill_sha1(want, 5);
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(back, "/share/caf\xc3\xa9 \x01\x7f\t end ", 0,
	                                      -1500000000, out));
	CU_ASSERT_EQUAL(memcmp(out, want, GNUT_SHA1_LEN), 0);
	/* serialising again gives the same bytes (entries in path order) */
	g_autoptr(GBytes) again = gnut_hash_cache_serialize(back);
	CU_ASSERT_TRUE(g_bytes_equal(text, again));
}

/* Every cut of a valid text is either rejected or ends on a line boundary
 * (then it holds the entries before the cut). The copy is exactly n bytes so
 * ASan catches a read past the end. */
static void test_every_truncation(void)
{
	g_autoptr(gnut_hash_cache) c = awkward_cache();
	g_autoptr(GBytes) text = gnut_hash_cache_serialize(c);
	gsize len = 0;
	const char *data = g_bytes_get_data(text, &len);
	guint wrong = 0, accepted = 0;
	g_autoptr(gnut_hash_cache) back = gnut_hash_cache_new();
	for (gsize n = 0; n < len; n++) {
		char *cut = g_memdup2(data, n);
		gboolean ok = gnut_hash_cache_parse(back, cut, n, NULL);
		gboolean at_line_end = n > 0 && data[n - 1] == '\n';
		if (ok != at_line_end)
			wrong++;
		if (!ok && gnut_hash_cache_size(back) != 0)
			wrong++;
		accepted += ok;
		g_free(cut);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(accepted, 3); /* the header alone, then one and two entries */
}

static void test_rejects_corruption(void)
{
	static const char *const bad[] = {
	    "",
	    "gnutd-hash-cache 3\n",
	    "gnutd-hash-cache 1",
	    "gnutd-hash-cache 1 \n",
	    "GNUTD-HASH-CACHE 1\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f101112131 1 2 /x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f10111213zz 1 2 /x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 18446744073709551616 2 "
	    "/x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 9223372036854775808 "
	    "/x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 -1 2 /x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 - /x\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 \n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 relative\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x%0\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x%00y\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x%zzy\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x\ty\n",
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314  1 2 /x\n",
	    "gnutd-hash-cache 1\n\n",
	    /* a lone '%' at the end of a path (was read as "/x") */
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x%\n",
	    /* a bad line after a good one: nothing kept, nothing to save */
	    "gnutd-hash-cache 1\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x\nbad\n",
	};
	g_autoptr(gnut_hash_cache) c = gnut_hash_cache_new();
	guint wrong = 0;
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint8_t sha1[GNUT_SHA1_LEN];
		fill_sha1(sha1, 7);
		gnut_hash_cache_store(c, "/stale", 1, 1, sha1);
		GError *err = NULL;
		size_t n = strlen(bad[i]);
		char *copy = g_memdup2(bad[i], n);
		if (gnut_hash_cache_parse(c, copy, n, &err) ||
		    !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ||
		    gnut_hash_cache_size(c) != 0 || gnut_hash_cache_is_dirty(c)) {
			wrong++;
			g_printerr("accepted bad cache #%u\n", i);
		}
		g_clear_error(&err);
		g_free(copy);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* a path one byte over the cap, at the end of its line, is refused (it
	 * was accepted and then silently dropped) */
	GString *longest = g_string_new("gnutd-hash-cache 1\n"
	                                "0102030405060708090a0b0c0d0e0f1011121314 1 2 /");
	for (int i = 1; i <= GNUT_HASH_CACHE_MAX_PATH; i++)
		g_string_append_c(longest, 'p');
	g_string_append_c(longest, '\n');
	CU_ASSERT_FALSE(gnut_hash_cache_parse(c, longest->str, longest->len, NULL));
	g_string_erase(longest, longest->len - 2, 1); /* exactly at the cap */
	CU_ASSERT_TRUE(gnut_hash_cache_parse(c, longest->str, longest->len, NULL));
	CU_ASSERT_EQUAL(gnut_hash_cache_size(c), 1);
	g_string_free(longest, TRUE);
	/* the good twin of the lines above */
	const char *good = "gnutd-hash-cache 1\n"
	                   "0102030405060708090A0B0C0D0E0F1011121314 1 -2 /x%20y\n";
	CU_ASSERT_TRUE(gnut_hash_cache_parse(c, good, strlen(good), NULL));
	uint8_t out[GNUT_SHA1_LEN];
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(c, "/x y", 1, -2, out));
	CU_ASSERT_EQUAL(out[0], 1);
	CU_ASSERT_EQUAL(out[19], 0x14);
}

static guint count_dir_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	if (d != NULL)
		g_dir_close(d);
	return n;
}

static void test_file_save_load(void)
{
	char *dir = gnut_unit_mkdtemp();
	char *path = g_build_filename(dir, "hashes.cache", NULL);
	g_autoptr(gnut_hash_cache) c = awkward_cache();
	GError *err = NULL;

	g_autoptr(gnut_hash_cache) empty = gnut_hash_cache_new();
	CU_ASSERT_TRUE(gnut_hash_cache_load(empty, path, &err)); /* missing: empty */
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(gnut_hash_cache_size(empty), 0);

	CU_ASSERT_TRUE(gnut_hash_cache_save(c, path, &err));
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_FALSE(gnut_hash_cache_is_dirty(c));
	CU_ASSERT_EQUAL(count_dir_entries(dir), 1); /* no temporary file left */
	CU_ASSERT_TRUE(gnut_hash_cache_load(empty, path, &err));
	CU_ASSERT_EQUAL(gnut_hash_cache_size(empty), 3);

	/* a damaged file is rejected and leaves the cache empty */
	CU_ASSERT_TRUE(g_file_set_contents(path, "gnutd-hash-cache 1\ngarbage\n", -1, NULL));
	CU_ASSERT_FALSE(gnut_hash_cache_load(empty, path, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
	g_clear_error(&err);
	CU_ASSERT_EQUAL(gnut_hash_cache_size(empty), 0);

	/* one larger than the cap is not even read (a sparse file: no disk used) */
	int fd = g_open(path, O_WRONLY | O_TRUNC, 0600);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, (off_t)GNUT_HASH_CACHE_MAX_BYTES + 1), 0);
	close(fd);
	CU_ASSERT_FALSE(gnut_hash_cache_load(empty, path, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NO_SPACE));
	g_clear_error(&err);

	/* saving into a folder that is gone fails cleanly */
	char *nowhere = g_build_filename(dir, "gone", "hashes.cache", NULL);
	CU_ASSERT_FALSE(gnut_hash_cache_save(c, nowhere, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	g_free(nowhere);
	g_free(path);
	gnut_unit_rmtree(dir);
	g_free(dir);
}

static void test_atomic_write_and_capped_read(void)
{
	char *dir = gnut_unit_mkdtemp();
	char *path = g_build_filename(dir, "state", NULL);
	GError *err = NULL;
	char *got = NULL;
	gsize len = 0;

	CU_ASSERT_TRUE(gnut_atomic_write(path, "first version", 13, &err));
	CU_ASSERT_TRUE(gnut_atomic_write(path, "second", 6, &err));
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_TRUE(gnut_read_file_capped(path, 6, &got, &len, &err));
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_STRING_EQUAL(got, "second"); /* NUL-terminated */
	g_free(got);
	got = NULL;
	CU_ASSERT_FALSE(gnut_read_file_capped(path, 5, &got, &len, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NO_SPACE));
	CU_ASSERT_PTR_NULL(got);
	g_clear_error(&err);
	CU_ASSERT_TRUE(gnut_atomic_write(path, NULL, 0, &err));
	CU_ASSERT_TRUE(gnut_read_file_capped(path, 0, &got, &len, &err));
	CU_ASSERT_EQUAL(len, 0);
	g_free(got);
	CU_ASSERT_EQUAL(count_dir_entries(dir), 1);

	/* a folder is not a file to read; a missing file is NOT_FOUND */
	CU_ASSERT_FALSE(gnut_read_file_capped(dir, 100, &got, &len, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	char *missing = g_build_filename(dir, "missing", NULL);
	CU_ASSERT_FALSE(gnut_read_file_capped(missing, 100, &got, &len, &err));
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	g_clear_error(&err);
	/* renaming onto a folder fails, and the temporary file is removed */
	CU_ASSERT_EQUAL(g_mkdir(missing, 0700), 0);
	CU_ASSERT_FALSE(gnut_atomic_write(missing, "x", 1, &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	g_clear_error(&err);
	CU_ASSERT_EQUAL(count_dir_entries(dir), 2);
	g_free(missing);
	g_free(path);
	gnut_unit_rmtree(dir);
	g_free(dir);
}

/* The tree travels with its entry; a version 1 file loads without trees;
 * a bad tree field rejects the file; a new store drops the old tree. */
static void test_thex_field(void)
{
	gnut_digest_init();
	g_autoptr(gnut_hash_cache) c = gnut_hash_cache_new();
	uint8_t sha1[GNUT_SHA1_LEN];
	fill_sha1(sha1, 7);
	g_autofree uint8_t *data = g_malloc0(300000);
	g_autoptr(gnut_thex_level) l = gnut_thex_level_of_buffer(data, 300000);
	gnut_hash_cache_store(c, "/t", 300000, 1, sha1);
	gnut_hash_cache_set_thex(c, "/t", l);
	gnut_hash_cache_store(c, "/none", 5, 1, sha1);
	gnut_hash_cache_set_thex(c, "/none", l); /* another size: ignored */
	CU_ASSERT_PTR_NULL(gnut_hash_cache_get_thex(c, "/none"));
	g_autoptr(GBytes) text = gnut_hash_cache_serialize(c);
	gsize len = 0;
	const char *t = g_bytes_get_data(text, &len);
	g_autoptr(gnut_hash_cache) back = gnut_hash_cache_new();
	CU_ASSERT_TRUE_FATAL(gnut_hash_cache_parse(back, t, len, NULL));
	g_autoptr(gnut_thex_level) got = gnut_hash_cache_get_thex(back, "/t");
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(got->n_nodes, l->n_nodes);
	CU_ASSERT_EQUAL(memcmp(got->root, l->root, GNUT_TIGER_LEN), 0);
	CU_ASSERT_EQUAL(memcmp(got->nodes, l->nodes, l->n_nodes * GNUT_TIGER_LEN), 0);
	CU_ASSERT_PTR_NULL(gnut_hash_cache_get_thex(back, "/none"));
	gnut_hash_cache_store(back, "/t", 300000, 2, sha1);
	CU_ASSERT_PTR_NULL(gnut_hash_cache_get_thex(back, "/t"));

	static const char v1[] = "gnutd-hash-cache 1\n"
	                         "0102030405060708090a0b0c0d0e0f1011121314 1 2 /x\n";
	uint8_t out[GNUT_SHA1_LEN];
	CU_ASSERT_TRUE(gnut_hash_cache_parse(back, v1, strlen(v1), NULL));
	CU_ASSERT_TRUE(gnut_hash_cache_lookup(back, "/x", 1, 2, out));
	CU_ASSERT_PTR_NULL(gnut_hash_cache_get_thex(back, "/x"));
	static const char *const bad[] = {
	    "gnutd-hash-cache 2\n0102030405060708090a0b0c0d0e0f1011121314 1 2 /x\n",
	    "gnutd-hash-cache 2\n0102030405060708090a0b0c0d0e0f1011121314 1 2 AAAA /x\n",
	    "gnutd-hash-cache 2\n0102030405060708090a0b0c0d0e0f1011121314 1 2 A*AA /x\n",
	    "gnutd-hash-cache 2\n0102030405060708090a0b0c0d0e0f1011121314 1 2  /x\n",
	    "gnutd-hash-cache 3\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_FALSE(gnut_hash_cache_parse(back, bad[i], strlen(bad[i]), NULL));
	static const char none[] = "gnutd-hash-cache 2\n"
	                           "0102030405060708090a0b0c0d0e0f1011121314 1 2 - /x\n";
	CU_ASSERT_TRUE(gnut_hash_cache_parse(back, none, strlen(none), NULL));
}

static CU_TestInfo tests[] = {
    {"Tiger tree field, version 1 files", test_thex_field},
    {"lookup keyed on size and mtime", test_lookup_keys_on_size_and_mtime},
    {"prune drops unseen entries", test_prune_drops_unseen},
    {"text round trip, awkward paths", test_text_round_trip},
    {"every truncation rejected or whole lines", test_every_truncation},
    {"corrupt texts rejected", test_rejects_corruption},
    {"file save and load", test_file_save_load},
    {"atomic write, capped read", test_atomic_write_and_capped_read},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("hash-cache", tests)
