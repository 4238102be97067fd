/* bench-hash.c: how fast the share index hashes. Indexes one folder with a
 * fresh gnut_share (a new, empty data dir, so every file is read and hashed)
 * and prints the files, bytes, seconds and MB/s (10^6 bytes per second).
 * Usage: bench-hash FOLDER. tests/bench/bench-hash.sh compares it with
 * `openssl sha1` on the same data. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "gnut/core/share/share.h"

typedef struct {
	GMainLoop *loop;
	gboolean ok;
	GError *error;
} bench_wait;

static void on_rescan_done(GObject *source, GAsyncResult *res, gpointer data)
{
	bench_wait *w = data;
	w->ok = gnut_share_rescan_finish(NULL, res, &w->error);
	g_main_loop_quit(w->loop);
}

/* A data dir that holds nothing yet: no hash cache, so nothing is skipped. */
static void remove_data_dir(const char *dir)
{
	g_autofree char *cache = g_build_filename(dir, GNUT_SHARE_CACHE_NAME, NULL);
	remove(cache);
	remove(dir);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
		return 2;
	}
	GError *err = NULL;
	g_autofree char *data_dir = g_dir_make_tmp("gnut-bench-XXXXXX", &err);
	gnut_share *s = data_dir != NULL ? gnut_share_new(data_dir, &err) : NULL;
	if (s == NULL || !gnut_share_add_dir(s, argv[1], &err)) {
		fprintf(stderr, "bench-hash: %s\n", err->message);
		return 1;
	}
	bench_wait w = {g_main_loop_new(NULL, FALSE), FALSE, NULL};
	gint64 start = g_get_monotonic_time();
	gnut_share_rescan_async(s, NULL, on_rescan_done, &w);
	g_main_loop_run(w.loop);
	gint64 elapsed_us = g_get_monotonic_time() - start;
	g_main_loop_unref(w.loop);
	if (!w.ok) {
		fprintf(stderr, "bench-hash: %s\n", w.error->message);
		return 1;
	}
	gnut_share_stats st;
	gnut_share_get_stats(s, &st);
	double secs = (double)MAX(elapsed_us, 1) / 1e6;
	printf("files %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT " seconds %.3f MB/s %.1f\n",
	       st.files_hashed, st.bytes_hashed, secs, (double)st.bytes_hashed / 1e6 / secs);
	gnut_share_free(s);
	remove_data_dir(data_dir);
	return 0;
}
