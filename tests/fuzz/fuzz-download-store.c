/* fuzz-download-store.c: downloads.xml, the state file of downloads in
 * progress, read back from disk by gnut_download_store_load. The store has
 * no in-memory entry point, so each input is written to a file of its own
 * (in $TMPDIR, named by the process id) and removed afterwards. Whatever
 * loads must keep the promises of download-private.h (caps, ranges inside
 * the file, only valid sources: none at all for a download waiting for
 * one), and saving it and loading it again must give the same records. */
#include "fuzz.h"
#include "core/transfer/download-private.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The loader warns about every record it skips; at a million inputs that
 * is all the fuzzer would print. The replay keeps the default writer. */
static GLogWriterOutput drop_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                 gpointer user_data)
{
	return G_LOG_WRITER_HANDLED;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_log_set_writer_func(drop_log, NULL, NULL);
	return 0;
}

static char *scratch_path(const char *what)
{
	char *name = g_strdup_printf("gnutd-fuzz-store-%d-%s.xml", (int)getpid(), what);
	char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
	g_free(name);
	return path;
}

static void write_or_abort(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

static void check_source(const gnut_download_source *s)
{
	if (s->host == NULL || s->port == 0 || !gnut_download_source_check(s, NULL))
		abort();
}

/* A loaded record: what parse_download promises to keep out. */
static void check_record(const gnut_download_record *r)
{
	if (r->id == 0 || r->name == NULL || r->size > GNUT_DOWNLOAD_MAX_SIZE ||
	    (r->to_dir != NULL && !g_path_is_absolute(r->to_dir)) ||
	    r->ranges->len > GNUT_DOWNLOAD_STORE_MAX_RANGES ||
	    r->sources->len > GNUT_DOWNLOAD_MAX_SOURCES)
		abort();
	for (guint i = 0; i < r->ranges->len; i++) {
		const gnut_download_range *g = &g_array_index(r->ranges, gnut_download_range, i);
		if (g->start >= g->end || g->end > r->size)
			abort();
	}
	for (guint i = 0; i < r->sources->len; i++)
		check_source(&g_array_index(r->sources, gnut_download_source, i));
}

static gboolean same_source(const gnut_download_source *a, const gnut_download_source *b)
{
	return strcmp(a->host, b->host) == 0 && a->port == b->port && a->index == b->index &&
	       g_strcmp0(a->name, b->name) == 0 && !a->get_only == !b->get_only &&
	       !a->has_guid == !b->has_guid &&
	       (!a->has_guid || memcmp(a->guid.bytes, b->guid.bytes, GNUT_GUID_LEN) == 0);
}

static gboolean same_record(const gnut_download_record *a, const gnut_download_record *b)
{
	if (a->id != b->id || memcmp(a->sha1, b->sha1, GNUT_SHA1_LEN) != 0 || a->size != b->size ||
	    strcmp(a->name, b->name) != 0 || g_strcmp0(a->to_dir, b->to_dir) != 0 ||
	    a->ranges->len != b->ranges->len || a->sources->len != b->sources->len)
		return FALSE;
	if (a->ranges->len > 0 &&
	    memcmp(a->ranges->data, b->ranges->data, a->ranges->len * sizeof(gnut_download_range)))
		return FALSE;
	for (guint i = 0; i < a->sources->len; i++)
		if (!same_source(&g_array_index(a->sources, gnut_download_source, i),
		                 &g_array_index(b->sources, gnut_download_source, i)))
			return FALSE;
	return TRUE;
}

/* save -> load gives the records back, field for field. */
static void check_round_trip(GPtrArray *records)
{
	char *path = scratch_path("saved");
	if (!gnut_download_store_save(path, records, NULL))
		abort();
	GError *err = NULL;
	GPtrArray *back = gnut_download_store_load(path, &err);
	if (back == NULL || back->len != records->len)
		abort();
	for (guint i = 0; i < records->len; i++)
		if (!same_record(g_ptr_array_index(records, i), g_ptr_array_index(back, i)))
			abort();
	g_ptr_array_unref(back);
	g_unlink(path);
	g_free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = scratch_path("input");
	write_or_abort(path, data, size);
	GError *err = NULL;
	GPtrArray *records = gnut_download_store_load(path, &err);
	g_unlink(path);
	g_free(path);
	if (records == NULL) {
		if (!g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_STATE))
			abort();
		g_error_free(err);
		return 0;
	}
	if (err != NULL || records->len > GNUT_DOWNLOAD_STORE_MAX_DOWNLOADS)
		abort();
	for (guint i = 0; i < records->len; i++)
		check_record(g_ptr_array_index(records, i));
	if (records->len > 0)
		check_round_trip(records);
	g_ptr_array_unref(records);
	return 0;
}
