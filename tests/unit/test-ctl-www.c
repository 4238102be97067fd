/* test-ctl-www.c: the web UI's static files (ctl-www.c): which request paths
 * name a file, their Content-Types, the folder lookup and its override, and
 * the reader's refusals (a symbolic link, a folder, a file over the cap).
 * Serving over HTTP with its headers: test-ctl ("HTTP: the web UI's files
 * without the token") and, in a browser, tests/integration/test-webui.sh. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gnut/ctl/ctl-www.h"
#include "unit.h"

static void check_name(const char *path, const char *want)
{
	g_autofree char *got = gnut_www_file_name(path);
	if (want == NULL) {
		CU_ASSERT_PTR_NULL(got);
	} else {
		CU_ASSERT_STRING_EQUAL(got != NULL ? got : "(null)", want);
	}
}

static void test_file_names(void)
{
	check_name("/", "index.html");
	check_name("/app.js", "app.js");
	check_name("/style.css", "style.css");
	check_name("/favicon.svg", "favicon.svg");
	check_name("/web-ui2.html", "web-ui2.html");
	check_name("", NULL);
	check_name("app.js", NULL);
	check_name("/rpc", NULL);
	check_name("/metrics", NULL);
	check_name("/../app.js", NULL);
	check_name("/..", NULL);
	check_name("/.js", NULL);
	check_name("/.hidden.js", NULL);
	check_name("/sub/app.js", NULL);
	check_name("//app.js", NULL);
	check_name("/App.js", NULL);
	check_name("/app.min.js", NULL);
	check_name("/app.js/", NULL);
	check_name("/app.jsx", NULL);
	check_name("/app.txt", NULL);
	check_name("/control.token", NULL);
	check_name("/app%2ejs", NULL);
	check_name("/app.js\n", NULL);
	g_autofree char *longest = g_strnfill(GNUT_WWW_MAX_NAME - 3, 'a');
	g_autofree char *ok_path = g_strconcat("/", longest, ".js", NULL);
	g_autofree char *long_path = g_strconcat("/", longest, "a.js", NULL);
	check_name(ok_path, ok_path + 1);
	check_name(long_path, NULL);
}

static void test_content_types(void)
{
	CU_ASSERT_STRING_EQUAL(gnut_www_content_type("index.html"), "text/html; charset=utf-8");
	CU_ASSERT_STRING_EQUAL(gnut_www_content_type("app.js"), "text/javascript; charset=utf-8");
	CU_ASSERT_STRING_EQUAL(gnut_www_content_type("style.css"), "text/css; charset=utf-8");
	CU_ASSERT_STRING_EQUAL(gnut_www_content_type("favicon.svg"), "image/svg+xml");
	CU_ASSERT_PTR_NULL(gnut_www_content_type("control.token"));
}

static void test_dir_lookup(void)
{
	g_setenv(GNUT_WWW_DIR_ENV, "/some/where", TRUE);
	g_autofree char *overridden = gnut_www_dir();
	CU_ASSERT_STRING_EQUAL(overridden, "/some/where");
	g_unsetenv(GNUT_WWW_DIR_ENV);
	/* not installed in this build: the source tree's share/www, with the UI */
	g_autofree char *dir = gnut_www_dir();
	g_autofree char *index = g_build_filename(dir, GNUT_WWW_INDEX, NULL);
	CU_ASSERT_TRUE(g_file_test(index, G_FILE_TEST_IS_REGULAR));
	g_autoptr(GBytes) page = gnut_www_load(dir, GNUT_WWW_INDEX, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(page);
	gsize len = 0;
	const char *text = g_bytes_get_data(page, &len);
	CU_ASSERT_PTR_NOT_NULL(g_strstr_len(text, (gssize)len, "app.js"));
}

static void write_file(const char *dir, const char *name, gsize size)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *data = g_strnfill(size, 'x');
	CU_ASSERT_TRUE(g_file_set_contents(path, data, (gssize)size, NULL));
}

static void check_refused(const char *dir, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = gnut_www_load(dir, name, &error);
	CU_ASSERT_PTR_NULL(bytes);
	CU_ASSERT_PTR_NOT_NULL(error);
}

static void test_load(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	write_file(dir, "page.html", 11);
	write_file(dir, "empty.css", 0);
	write_file(dir, "max.js", GNUT_WWW_MAX_FILE);
	write_file(dir, "big.js", GNUT_WWW_MAX_FILE + 1);
	g_autofree char *outside = g_build_filename(dir, "secret.txt", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(outside, "secret", -1, NULL));
	g_autofree char *link = g_build_filename(dir, "link.js", NULL);
	CU_ASSERT_EQUAL(symlink(outside, link), 0);
	g_autofree char *sub = g_build_filename(dir, "sub.js", NULL);
	CU_ASSERT_EQUAL(g_mkdir(sub, 0700), 0);

	g_autoptr(GBytes) page = gnut_www_load(dir, "page.html", NULL);
	CU_ASSERT_PTR_NOT_NULL(page);
	CU_ASSERT_EQUAL(page ? g_bytes_get_size(page) : 0, 11);
	g_autoptr(GBytes) empty = gnut_www_load(dir, "empty.css", NULL);
	CU_ASSERT_PTR_NOT_NULL(empty);
	g_autoptr(GBytes) max = gnut_www_load(dir, "max.js", NULL);
	CU_ASSERT_EQUAL(max ? g_bytes_get_size(max) : 0, GNUT_WWW_MAX_FILE);
	check_refused(dir, "big.js");
	check_refused(dir, "link.js");
	check_refused(dir, "sub.js");
	check_refused(dir, "missing.js");
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"request paths that name a file", test_file_names},
    {"content types", test_content_types},
    {"the folder and its override", test_dir_lookup},
    {"loading refuses links, folders and big files", test_load},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ctl-www", tests)
