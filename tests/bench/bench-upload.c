/* bench-upload.c: the upload server alone in a process, for
 * bench-upload.sh: a gnut_share over one folder, a gnut_listener on
 * 127.0.0.1 (ephemeral port) and gnut_uploads behind it, ticked every
 * 250 ms like the servent does. Once the folder is indexed it prints
 *   port <port>
 *   file <urn> <index> <size> <name>      (one line per shared file)
 *   ready
 * on stdout, then serves until SIGINT or SIGTERM and prints its counters
 * on stderr.
 *
 *   usage: bench-upload SHARE_DIR DATA_DIR [RATE_LIMIT_BYTES_PER_S] */
#include "gnut/net/listener.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/proto/urn.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	GMainLoop *loop;
	gnut_uploads *uploads;
	gboolean scanned;
	GError *scan_error;
} bench;

static void on_accept(gnut_listener *l, gnut_conn *conn, const char *line, gpointer data)
{
	bench *b = data;
	if (gnut_uploads_wants_line(line))
		gnut_uploads_take(b->uploads, conn);
	else
		gnut_conn_unref(conn);
}

static void on_scanned(GObject *source, GAsyncResult *res, gpointer data)
{
	bench *b = data;
	gnut_share_rescan_finish(NULL, res, &b->scan_error);
	b->scanned = TRUE;
	g_main_loop_quit(b->loop);
}

static gboolean on_tick(gpointer data)
{
	bench *b = data;
	gnut_uploads_tick(b->uploads, gnut_clock_now_us(gnut_clock_system()));
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(((bench *)data)->loop);
	return G_SOURCE_CONTINUE;
}

static void print_files(gnut_share *share)
{
	g_autoptr(GPtrArray) files = gnut_share_list(share);
	for (guint i = 0; i < files->len; i++) {
		const gnut_shared_file *f = g_ptr_array_index(files, i);
		char urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(f->sha1, urn);
		printf("file %s %u %" G_GUINT64_FORMAT " %s\n", urn, f->index, f->size, f->name);
	}
}

/* Indexes the folder, synchronously as far as the caller is concerned. */
static gnut_share *index_share(bench *b, const char *dir, const char *data_dir)
{
	GError *err = NULL;
	gnut_share *share = gnut_share_new(data_dir, &err);
	if (share == NULL || !gnut_share_add_dir(share, dir, &err)) {
		fprintf(stderr, "bench-upload: %s\n", err->message);
		exit(1);
	}
	gnut_share_rescan_async(share, NULL, on_scanned, b);
	if (!b->scanned)
		g_main_loop_run(b->loop);
	if (b->scan_error != NULL) {
		fprintf(stderr, "bench-upload: scan: %s\n", b->scan_error->message);
		exit(1);
	}
	return share;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench-upload SHARE_DIR DATA_DIR [RATE_LIMIT]\n");
		return 2;
	}
	bench b = {.loop = g_main_loop_new(NULL, FALSE)};
	gnut_share *share = index_share(&b, argv[1], argv[2]);
	gnut_uploads_config cfg = {.rate_limit =
	                               argc == 4 ? g_ascii_strtoull(argv[3], NULL, 10) : 0};
	b.uploads = gnut_uploads_new(share, NULL, &cfg);
	gnut_listener_config lc = {.address = "127.0.0.1"};
	GError *err = NULL;
	gnut_listener *listener = gnut_listener_new(&lc, on_accept, &b, &err);
	if (listener == NULL) {
		fprintf(stderr, "bench-upload: %s\n", err->message);
		return 1;
	}
	printf("port %u\n", gnut_listener_get_port(listener));
	print_files(share);
	printf("ready\n");
	fflush(stdout);
	g_timeout_add(250, on_tick, &b);
	g_unix_signal_add(SIGINT, on_signal, &b);
	g_unix_signal_add(SIGTERM, on_signal, &b);
	g_main_loop_run(b.loop);

	gnut_uploads_stats st;
	gnut_uploads_get_stats(b.uploads, &st);
	fprintf(stderr,
	        "bench-upload: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT
	        " uploads, %" G_GUINT64_FORMAT " bytes up\n",
	        st.requests, st.uploads_done, st.bytes_up);
	gnut_listener_free(listener);
	gnut_uploads_free(b.uploads);
	gnut_share_free(share);
	g_main_loop_unref(b.loop);
	return 0;
}
