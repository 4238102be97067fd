/* replay-main.c: runs a fuzz target over every file of its saved corpus so that
 * make check replays all inputs with any compiler. Program replay-NAME reads
 * $srcdir/tests/fuzz/corpus/NAME/; arguments name other files or folders. An
 * empty or missing corpus is a failure, so a replay can never pass vacuously. */
#include "fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static int replay_file(const char *path)
{
	gchar *data = NULL;
	gsize len = 0;
	GError *err = NULL;
	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		g_error_free(err);
		return -1;
	}
	/* A private copy of exactly len bytes, so ASan sees any overread. */
	uint8_t *copy = g_memdup2(data, len);
	LLVMFuzzerTestOneInput(copy, len);
	g_free(copy);
	g_free(data);
	return 1;
}

static int replay_path(const char *path)
{
	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return replay_file(path);
	GDir *dir = g_dir_open(path, 0, NULL);
	if (dir == NULL)
		return -1;
	int count = 0;
	const char *name;
	while ((name = g_dir_read_name(dir)) != NULL) {
		char *child = g_build_filename(path, name, NULL);
		int n = replay_path(child);
		g_free(child);
		if (n < 0) {
			count = -1;
			break;
		}
		count += n;
	}
	g_dir_close(dir);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			int n = replay_path(argv[i]);
			if (n < 0)
				return 1;
			total += n;
		}
	} else {
		char *base = g_path_get_basename(argv[0]);
		const char *name = g_str_has_prefix(base, "replay-") ? base + 7 : base;
		const char *srcdir = g_getenv("srcdir");
		char *dir =
		    g_build_filename(srcdir ? srcdir : ".", "tests", "fuzz", "corpus", name, NULL);
		total = replay_path(dir);
		if (total < 0)
			fprintf(stderr, "replay: cannot read corpus %s\n", dir);
		g_free(dir);
		g_free(base);
		if (total < 0)
			return 1;
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
