/* test-filename.c: sanitising peers' file names (traversal, control
 * characters, leading dots, long names, UTF-8) and claiming free names in a
 * folder, also from several threads at once. */
#include "gnut/core/transfer/filename.h"
#include "unit.h"

#include <gio/gio.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check_sanitize(const char *in, gssize len, const char *want)
{
	g_autofree char *got = gnut_filename_sanitize(in, len);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_TRUE(g_utf8_validate(got, -1, NULL));
	CU_ASSERT_TRUE(strlen(got) <= GNUT_FILENAME_MAX);
}

static void test_plain_names_unchanged(void)
{
	check_sanitize("song.mp3", -1, "song.mp3");
	check_sanitize("My Holiday (2019) - part 1.avi", -1, "My Holiday (2019) - part 1.avi");
	check_sanitize("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt", -1,
	               "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.txt");
	check_sanitize("a.b", 1, "a"); /* length honoured */
}

static void test_traversal(void)
{
	check_sanitize("../../etc/passwd", -1, "_._etc_passwd");
	check_sanitize("..\\..\\boot.ini", -1, "_._boot.ini");
	check_sanitize("/etc/shadow", -1, "_etc_shadow");
	check_sanitize("a/../b", -1, "a_._b");
	check_sanitize("file..txt", -1, "file.txt");
	check_sanitize("..", -1, GNUT_FILENAME_FALLBACK);
	check_sanitize(".", -1, GNUT_FILENAME_FALLBACK);
	g_autofree char *dots = gnut_filename_sanitize("x/....../y", -1);
	CU_ASSERT_PTR_NULL(strstr(dots, ".."));
	CU_ASSERT_PTR_NULL(strchr(dots, '/'));
}

static void test_control_characters(void)
{
	check_sanitize("a\nb\tc\x7f", -1, "a_b_c_");
	check_sanitize("a\0b", 3, "a_b");
	check_sanitize("bell\x07.txt", -1, "bell_.txt");
	check_sanitize("c1\xc2\x85x", -1, "c1_x"); /* U+0085, a C1 control */
	/* U+202E RIGHT-TO-LEFT OVERRIDE would show "evil" + "exe.txt" reversed */
	check_sanitize("evil\xe2\x80\xaetxt.exe", -1, "evil_txt.exe");
	check_sanitize("\r\n", -1, "__");
}

static void test_leading_dots_and_spaces(void)
{
	check_sanitize(".bashrc", -1, "bashrc");
	check_sanitize("...hidden", -1, "hidden");
	check_sanitize(" . .x", -1, "x");
	check_sanitize("  name  ", -1, "name");
	check_sanitize("", -1, GNUT_FILENAME_FALLBACK);
	check_sanitize("   ", -1, GNUT_FILENAME_FALLBACK);
	check_sanitize(NULL, 0, GNUT_FILENAME_FALLBACK);
}

static void test_invalid_utf8(void)
{
	check_sanitize("caf\xe9.txt", -1, "caf\xef\xbf\xbd.txt");
	check_sanitize("\xff\xfe", -1, "\xef\xbf\xbd\xef\xbf\xbd");
	/* a sequence cut short by the length */
	check_sanitize("ok\xe6\x97", 4, "ok\xef\xbf\xbd");
}

static void test_long_names(void)
{
	g_autoptr(GString) in = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append_c(in, 'a');
	g_string_append(in, ".mp3");
	g_autofree char *out = gnut_filename_sanitize(in->str, -1);
	CU_ASSERT_EQUAL(strlen(out), GNUT_FILENAME_MAX);
	CU_ASSERT_TRUE(g_str_has_suffix(out, ".mp3"));

	/* three-byte characters: the cut must not split one */
	g_string_truncate(in, 0);
	for (int i = 0; i < 200; i++)
		g_string_append(in, "\xe6\x97\xa5");
	g_string_append(in, ".txt");
	g_autofree char *cjk = gnut_filename_sanitize(in->str, -1);
	CU_ASSERT_TRUE(g_utf8_validate(cjk, -1, NULL));
	CU_ASSERT_EQUAL(strlen(cjk), 83 * 3 + 4);
	CU_ASSERT_TRUE(g_str_has_suffix(cjk, ".txt"));

	/* an "extension" too long to be one is cut like the rest */
	g_string_assign(in, "a.");
	for (int i = 0; i < 300; i++)
		g_string_append_c(in, 'b');
	g_autofree char *longext = gnut_filename_sanitize(in->str, -1);
	CU_ASSERT_EQUAL(strlen(longext), GNUT_FILENAME_MAX);
	CU_ASSERT_TRUE(g_str_has_prefix(longext, "a.bbb"));
}

static void test_create_unique(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	const char *want[] = {"a.txt", "a (1).txt", "a (2).txt"};
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autofree char *path = NULL;
		g_autoptr(GError) err = NULL;
		int fd = gnut_filename_create_unique(dir, "a.txt", &path, &err);
		CU_ASSERT_TRUE(fd >= 0);
		CU_ASSERT_PTR_NULL(err);
		g_autofree char *base = g_path_get_basename(path);
		CU_ASSERT_STRING_EQUAL(base, want[i]);
		if (fd >= 0)
			close(fd);
	}
	g_autofree char *p1 = NULL, *p2 = NULL;
	int fd = gnut_filename_create_unique(dir, "noext", &p1, NULL);
	close(fd);
	fd = gnut_filename_create_unique(dir, "noext", &p2, NULL);
	close(fd);
	CU_ASSERT_TRUE(g_str_has_suffix(p2, "/noext (1)"));

	/* a dangling symlink is a taken name, never followed */
	g_autofree char *link = g_build_filename(dir, "l.bin", NULL);
	g_autofree char *target = g_build_filename(dir, "elsewhere", NULL);
	CU_ASSERT_EQUAL(symlink(target, link), 0);
	g_autofree char *p3 = NULL;
	fd = gnut_filename_create_unique(dir, "l.bin", &p3, NULL);
	close(fd);
	CU_ASSERT_TRUE(g_str_has_suffix(p3, "/l (1).bin"));
	CU_ASSERT_FALSE(g_file_test(target, G_FILE_TEST_EXISTS));
	gnut_unit_rmtree(dir);
}

static void test_create_unique_long_and_errors(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autoptr(GString) in = g_string_new(NULL);
	for (int i = 0; i < 400; i++)
		g_string_append_c(in, 'z');
	g_string_append(in, ".iso");
	g_autofree char *name = gnut_filename_sanitize(in->str, -1);
	for (int round = 0; round < 2; round++) {
		g_autofree char *path = NULL;
		int fd = gnut_filename_create_unique(dir, name, &path, NULL);
		CU_ASSERT_TRUE(fd >= 0);
		close(fd);
		g_autofree char *base = g_path_get_basename(path);
		CU_ASSERT_TRUE(strlen(base) <= GNUT_FILENAME_MAX);
		CU_ASSERT_TRUE(g_str_has_suffix(base, round == 0 ? "z.iso" : "z (1).iso"));
	}
	g_autofree char *missing = g_build_filename(dir, "no-such-folder", NULL);
	g_autofree char *path = NULL;
	g_autoptr(GError) err = NULL;
	CU_ASSERT_EQUAL(gnut_filename_create_unique(missing, "x", &path, &err), -1);
	CU_ASSERT_TRUE(g_error_matches(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
	CU_ASSERT_PTR_NULL(path);
	gnut_unit_rmtree(dir);
}

typedef struct {
	const char *dir;
	GPtrArray *paths; /* under lock */
	GMutex lock;
} race_ctx;

static gpointer race_worker(gpointer data)
{
	race_ctx *rc = data;
	for (int i = 0; i < 10; i++) {
		char *path = NULL;
		int fd = gnut_filename_create_unique(rc->dir, "same.dat", &path, NULL);
		if (fd >= 0)
			close(fd);
		g_mutex_lock(&rc->lock);
		g_ptr_array_add(rc->paths, path);
		g_mutex_unlock(&rc->lock);
	}
	return NULL;
}

static void test_create_unique_race(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	race_ctx rc = {.dir = dir, .paths = g_ptr_array_new_with_free_func(g_free)};
	g_mutex_init(&rc.lock);
	GThread *threads[8];
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("race", race_worker, &rc);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	CU_ASSERT_EQUAL(rc.paths->len, 80);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	guint nulls = 0;
	for (guint i = 0; i < rc.paths->len; i++) {
		const char *p = g_ptr_array_index(rc.paths, i);
		if (p == NULL)
			nulls++;
		else
			g_hash_table_add(seen, (gpointer)p);
	}
	CU_ASSERT_EQUAL(nulls, 0);
	CU_ASSERT_EQUAL(g_hash_table_size(seen), 80);
	g_ptr_array_unref(rc.paths);
	g_mutex_clear(&rc.lock);
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"plain names unchanged", test_plain_names_unchanged},
    {"path traversal", test_traversal},
    {"control characters", test_control_characters},
    {"leading dots and spaces", test_leading_dots_and_spaces},
    {"invalid UTF-8 replaced", test_invalid_utf8},
    {"long names cut on a character boundary", test_long_names},
    {"free names: name (N).ext", test_create_unique},
    {"free names: long names, errors", test_create_unique_long_and_errors},
    {"free names: no two threads get one name", test_create_unique_race},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("filename", tests)
