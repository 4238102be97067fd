/* download-tree.c: the Tiger tree of a download (see download-manager.h).
 *
 * Which root: a download knows only its SHA-1, so the root it trusts is
 * the one the first source names in its X-Thex-URI; a source naming
 * another root is not asked for its tree. A first source that lies about
 * the root cannot make a bad file be delivered: the final SHA-1 check
 * still decides, and a tree that finds nothing bad in a file whose SHA-1
 * is wrong is dropped with its root (download-swarm.c), the download then
 * going on as it would without a tree.
 *
 * The tree is fetched once per download, from one source at a time
 * (thex-fetch.h: verified against the root and the size); a source whose
 * tree cannot be fetched is not asked again this session, and the next
 * source that offers one is. The tree is not persisted: after a restart it
 * is fetched again, and when it comes every byte already recorded, in this
 * run or an earlier one, is checked against it (gnut_dl_recheck_done). */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

#include <string.h>

#include "gnut/core/transfer/thex-fetch.h"
#include "gnut/proto/thex-answer.h"

void gnut_dl_tree_offer(gnut_dl *d, gnut_dl_source *src, const char *value)
{
	char path[GNUT_THEX_URI_MAX + 1];
	bool has_root = false;
	uint8_t root[GNUT_TIGER_LEN];
	if (d->no_tree || src->thex_path != NULL ||
	    gnut_thex_uri_parse(value, path, &has_root, root) != GNUT_PROTO_OK || !has_root)
		return;
	if (!d->has_root) {
		memcpy(d->root, root, GNUT_TIGER_LEN);
		d->has_root = TRUE;
	} else if (memcmp(d->root, root, GNUT_TIGER_LEN) != 0) {
		gnut_log_limited(d->mgr->log,
		                 "download %" G_GUINT64_FORMAT ": %s:%u offers a tree "
		                 "of another root: not used",
		                 d->id, src->host, src->port);
		return;
	}
	src->thex_path = g_strdup(path);
	gnut_dl_tree_fetch(d);
}

typedef struct {
	gnut_dl *d; /* a reference */
	guint bit;  /* the source asked */
} tree_op;

static void on_tree(GObject *obj, GAsyncResult *res, gpointer data)
{
	(void)obj;
	tree_op *op = data;
	gnut_dl *d = op->d;
	g_autoptr(GError) err = NULL;
	gnut_thex_level *level = gnut_thex_fetch_finish(res, &err);
	if (d->mgr == NULL || g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_clear_pointer(&level, gnut_thex_level_free);
	} else {
		g_clear_object(&d->tree_cancel);
		gnut_dl_source *src = g_ptr_array_index(d->sources, op->bit);
		if (level == NULL) {
			g_message("download %" G_GUINT64_FORMAT ": no tree from %s:%u: %s", d->id,
			          src->host, src->port, err->message);
			g_clear_pointer(&src->thex_path, g_free); /* not asked again */
			gnut_dl_tree_fetch(d);
		} else {
			g_info("download %" G_GUINT64_FORMAT ": Tiger tree from %s:%u (depth %u)",
			       d->id, src->host, src->port, level->depth);
			d->verifier = gnut_thex_verifier_new(level);
			gnut_thex_level_free(level);
			gnut_dl_recheck_done(d);
		}
	}
	gnut_dl_unref(d);
	g_free(op);
}

void gnut_dl_tree_fetch(gnut_dl *d)
{
	if (d->verifier != NULL || d->tree_cancel != NULL || !d->has_root)
		return;
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		uint32_t ip;
		if (s->thex_path == NULL || s->dead || !gnut_dl_source_ipv4(s, &ip))
			continue;
		tree_op *op = g_new0(tree_op, 1);
		op->d = gnut_dl_ref(d);
		op->bit = s->bit;
		d->tree_cancel = g_cancellable_new();
		gnut_thex_fetch_async(ip, s->port, s->thex_path, d->size, d->root,
		                      d->mgr->allow_local, d->tree_cancel, on_tree, op);
		return;
	}
}

void gnut_dl_tree_stop(gnut_dl *d)
{
	if (d->tree_cancel != NULL) {
		g_cancellable_cancel(d->tree_cancel);
		g_clear_object(&d->tree_cancel);
	}
	g_clear_pointer(&d->verifier, gnut_thex_verifier_free);
}

gboolean gnut_dl_tree_check(gnut_dl *d, guint64 start, guint64 end, GArray *bad)
{
	if (d->verifier == NULL || d->fd < 0)
		return FALSE;
	g_autoptr(GArray) slices = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	g_autoptr(GError) err = NULL;
	if (gnut_thex_verifier_check(d->verifier, d->fd, start, end, slices, &err) < 0) {
		g_warning("download %" G_GUINT64_FORMAT ": %s", d->id, err->message);
		return FALSE;
	}
	for (guint i = 0; i < slices->len; i++) {
		const gnut_http_range *r = &g_array_index(slices, gnut_http_range, i);
		gnut_download_range br = {.start = r->start, .end = r->end + 1};
		g_array_append_val(bad, br);
	}
	return TRUE;
}
