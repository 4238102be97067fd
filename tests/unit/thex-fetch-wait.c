/* thex-fetch-wait.c: a THEX fetch waited for (thex-fetch-wait.h). */
#include "thex-fetch-wait.h"

#include "unit.h"

typedef struct {
	gboolean done;
	gnut_thex_level *level;
	GError *error;
} fetch_result;

static void on_fetched(GObject *source, GAsyncResult *res, gpointer data)
{
	fetch_result *r = data;
	r->level = gnut_thex_fetch_finish(res, &r->error);
	r->done = TRUE;
}

static gboolean is_done(gpointer data)
{
	return ((fetch_result *)data)->done;
}

gnut_thex_level *thex_fetch_wait(uint32_t ip, guint16 port, const char *path, guint64 file_size,
                                 const uint8_t root[GNUT_TIGER_LEN], gboolean allow_local,
                                 GCancellable *cancel, guint wait_ms, GError **error)
{
	fetch_result *r = g_new0(fetch_result, 1);
	gnut_thex_fetch_async(ip, port, path, file_size, root, allow_local, cancel, on_fetched, r);
	if (cancel != NULL)
		g_cancellable_cancel(cancel);
	if (!gnut_unit_run_until(is_done, r, wait_ms)) {
		/* r is left to the callback still to come: a leak, not a crash */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the fetch did not end");
		return NULL;
	}
	gnut_thex_level *level = r->level;
	if (r->error != NULL)
		g_propagate_error(error, r->error);
	g_free(r);
	return level;
}
