/* download-swarm.c: the chunks of a download (see download-manager.h).
 *
 * The file is cut into GNUT_DOWNLOAD_CHUNK chunks, aligned from offset 0
 * (a power of two of Tiger-tree leaves, so that a tree verifier checks
 * whole chunks). Each transfer (slot) fetches one chunk at a time:
 *
 *   1. the rest of the chunk it holds;
 *   2. else the first chunk with bytes missing that no slot holds;
 *   3. else, at the end, a race: the chunk held by one slot only with the
 *      most bytes missing. Both then write its bytes (the same bytes, at
 *      the same offsets); the first to complete the chunk wins and the
 *      other slot is cut (its source is tried again at once, for it did
 *      nothing wrong). A stalled source's chunk is so fetched elsewhere.
 *
 * A completed chunk is checked against the download's Tiger tree when it
 * has one (in a worker thread, see below), else by the chunk verifier, if
 * one is set. A
 * bad one (with a tree: its bad slices) is undone and the sources that
 * wrote into it are given up, taken out of the mesh and named in our
 * X-Nalt; a good one's sources join the mesh. A good one (or one nobody
 * can check) is made durable soon (download-save.c).
 * Which sources wrote into each chunk this session is kept as a bit mask
 * per chunk, so that a complete file that fails its SHA-1 knows whom to
 * give up. */
#define G_LOG_DOMAIN "gnut-core"

#include "download-manager.h"

static guint64 chunk_of(guint64 offset)
{
	return offset / GNUT_DOWNLOAD_CHUNK;
}

void gnut_dl_chunk_bounds(const gnut_dl *d, guint64 k, guint64 *start, guint64 *end)
{
	*start = k * GNUT_DOWNLOAD_CHUNK;
	*end = MIN(*start + GNUT_DOWNLOAD_CHUNK, d->size);
}

static guint holders(const gnut_dl *d, guint64 k)
{
	guint n = 0;
	for (guint i = 0; i < d->slots->len; i++) {
		const gnut_dl_slot *s = g_ptr_array_index(d->slots, i);
		n += s->has_chunk && s->chunk == k;
	}
	return n;
}

static guint64 missing_in_chunk(const gnut_dl *d, guint64 k)
{
	guint64 start, end;
	gnut_dl_chunk_bounds(d, k, &start, &end);
	return end - start - gnut_download_ranges_count_in(d->done, start, end);
}

/* The first run of bytes of [from, to) that d lacks and src (NULL: any
 * source) has: [*start, *start + *len). */
static gboolean missing_from(const gnut_dl *d, const gnut_dl_source *src, guint64 from, guint64 to,
                             guint64 *start, guint64 *len)
{
	guint64 s, l;
	while (from < to && gnut_download_ranges_missing_in(d->done, from, to, &s, &l)) {
		if (src == NULL || gnut_dl_source_has(src, s, l, start, len)) {
			if (src == NULL) {
				*start = s;
				*len = l;
			}
			return TRUE;
		}
		from = s + l;
	}
	return FALSE;
}

/* Free chunks (missing bytes that src, NULL: any source, has; no holder),
 * counted up to max; the first in *first. */
static guint free_chunks(const gnut_dl *d, const gnut_dl_source *src, guint max, guint64 *first)
{
	guint n = 0;
	guint64 pos = 0, start, len;
	while (n < max && pos < d->size && missing_from(d, src, pos, d->size, &start, &len)) {
		guint64 k = chunk_of(start);
		if (holders(d, k) == 0 && n++ == 0)
			*first = k;
		pos = (k + 1) * GNUT_DOWNLOAD_CHUNK;
	}
	return n;
}

/* The chunk to race: held by one slot (not by `self`'s source), the most
 * bytes missing. Counts such chunks in *count. */
static gboolean race_chunk(const gnut_dl *d, const gnut_dl_slot *self, guint64 *chunk, guint *count)
{
	guint64 best_missing = 0;
	*count = 0;
	for (guint i = 0; i < d->slots->len; i++) {
		const gnut_dl_slot *s = g_ptr_array_index(d->slots, i);
		if (s == self || !s->has_chunk || holders(d, s->chunk) != 1)
			continue;
		guint64 missing = missing_in_chunk(d, s->chunk), cs, ce, start, len;
		gnut_dl_chunk_bounds(d, s->chunk, &cs, &ce);
		if (missing == 0 ||
		    (self != NULL && !missing_from(d, self->src, cs, ce, &start, &len)))
			continue;
		(*count)++;
		if (missing > best_missing) {
			best_missing = missing;
			*chunk = s->chunk;
		}
	}
	return best_missing > 0;
}

gboolean gnut_dl_has_work(const gnut_dl *d)
{
	guint idle = 0;
	for (guint i = 0; i < d->slots->len; i++)
		idle += !((const gnut_dl_slot *)g_ptr_array_index(d->slots, i))->has_chunk;
	guint64 first, chunk;
	guint racable = 0;
	race_chunk(d, NULL, &chunk, &racable);
	return free_chunks(d, NULL, idle + 1, &first) + racable > idle;
}

gboolean gnut_dl_next_range(gnut_dl_slot *slot, guint64 *start, guint64 *len)
{
	gnut_dl *d = slot->d;
	guint64 cs, ce;
	if (slot->has_chunk) {
		gnut_dl_chunk_bounds(d, slot->chunk, &cs, &ce);
		if (missing_from(d, slot->src, cs, ce, start, len))
			return TRUE;
		slot->has_chunk = FALSE;
	}
	guint64 k = 0;
	guint racable = 0;
	if (free_chunks(d, slot->src, 1, &k) == 0 && !race_chunk(d, slot, &k, &racable))
		return FALSE;
	slot->has_chunk = TRUE;
	slot->chunk = k;
	gnut_dl_chunk_bounds(d, k, &cs, &ce);
	return missing_from(d, slot->src, cs, ce, start, len);
}

static guint64 *contributors_of(gnut_dl *d, guint64 k)
{
	gpointer key = GSIZE_TO_POINTER((gsize)k + 1);
	guint64 *mask = g_hash_table_lookup(d->contributors, key);
	if (mask == NULL) {
		mask = g_new0(guint64, 1);
		g_hash_table_insert(d->contributors, key, mask);
	}
	return mask;
}

/* Gives up every source whose bit is in mask, for bad data: out of the
 * mesh, and, when a check pinned the data down (proven), into our X-Nalt
 * (a whole file's SHA-1 mismatch blames the good with the bad). */
static void give_up_mask(gnut_dl *d, guint64 mask, const char *why, gboolean proven)
{
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (mask & (G_GUINT64_CONSTANT(1) << s->bit)) {
			gnut_dl_give_up_source(d, s, why);
			gnut_dl_mesh_bad(d, s, proven);
		}
	}
}

/* The sources whose bit is in mask served good data: into the mesh. */
static void praise_mask(gnut_dl *d, guint64 mask)
{
	for (guint i = 0; i < d->sources->len; i++) {
		gnut_dl_source *s = g_ptr_array_index(d->sources, i);
		if (mask & (G_GUINT64_CONSTANT(1) << s->bit))
			gnut_dl_mesh_good(d, s);
	}
}

/* Checks [start, end) of the partial file (open) against the tree: the bad
 * slices' byte ranges (half-open) are appended to bad. FALSE: no tree yet
 * (or the file cannot be read: unknown). */
static gboolean tree_check(gnut_dl *d, guint64 start, guint64 end, GArray *bad)
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

/* Undoes the bad ranges (half-open, from the tree) and gives up the
 * sources that wrote into their chunks. Returns the bytes undone. */
static guint64 undo_bad(gnut_dl *d, const GArray *bad, const char *why)
{
	guint64 undone = 0;
	for (guint i = 0; i < bad->len; i++) {
		const gnut_download_range *r = &g_array_index(bad, gnut_download_range, i);
		guint64 had = gnut_download_ranges_count_in(d->done, r->start, r->end);
		gnut_download_ranges_remove(d->done, r->start, r->end);
		gnut_download_ranges_remove(d->durable, r->start, r->end);
		d->done_bytes -= had;
		d->undone++;
		undone += had;
		gnut_thex_verifier_forget(d->verifier, r->start, r->end);
		g_message("download %" G_GUINT64_FORMAT ": bytes %" G_GUINT64_FORMAT
		          "-%" G_GUINT64_FORMAT " failed the Tiger tree: fetched again",
		          d->id, r->start, r->end - 1);
		for (guint64 k = chunk_of(r->start); k <= chunk_of(r->end - 1); k++) {
			guint64 *mask = contributors_of(d, k);
			give_up_mask(d, *mask, why, TRUE);
			*mask = 0;
		}
	}
	if (undone > 0)
		gnut_dl_publish(d); /* no longer offered, before they are written again */
	return undone;
}

/* The slots other than winner still on chunk k (or on any chunk, when the
 * file is whole) lost the race: cut, their sources free to go on. */
static void cut_losers(gnut_dl *d, const gnut_dl_slot *winner, guint64 k)
{
	gboolean whole = d->done_bytes == d->size;
	for (guint i = d->slots->len; i-- > 0;) {
		gnut_dl_slot *s = g_ptr_array_index(d->slots, i);
		if (s == winner || !(whole || (s->has_chunk && s->chunk == k)))
			continue;
		if (s->fetch == NULL)
			continue; /* a push waiting for its GIV: it finds nothing left */
		s->src->next_try_us = gnut_clock_now_us(d->mgr->clock);
		gnut_dl_slot_drop(s);
	}
}

static gboolean chunk_failed(gnut_dl *d, guint64 k, GError **error)
{
	guint64 cs, ce;
	gnut_dl_chunk_bounds(d, k, &cs, &ce);
	gnut_download_ranges_remove(d->done, cs, ce);
	d->done_bytes -= ce - cs;
	d->undone++;
	guint64 *mask = contributors_of(d, k);
	give_up_mask(d, *mask, "sent a chunk that failed its check", TRUE);
	*mask = 0;
	g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_CORRUPT,
	            "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " failed their check", cs,
	            ce - 1);
	return FALSE;
}

/* Checks completed chunk k: by the tree when there is one, else by the
 * manager's chunk verifier, if any. */
static gnut_download_chunk_verdict check_chunk(gnut_dl *d, guint64 k, GArray *bad)
{
	guint64 cs, ce;
	gnut_dl_chunk_bounds(d, k, &cs, &ce);
	if (tree_check(d, cs, ce, bad))
		return bad->len > 0 ? GNUT_DOWNLOAD_CHUNK_BAD : GNUT_DOWNLOAD_CHUNK_GOOD;
	gnut_downloads *m = d->mgr;
	if (m->verify_chunk == NULL)
		return GNUT_DOWNLOAD_CHUNK_UNKNOWN;
	return m->verify_chunk(d->sha1, d->size, d->fd, cs, ce - cs, m->verify_chunk_data);
}

/* ---- the tree check off the main loop ----
 *
 * A completed chunk of a download with a tree is checked in a worker
 * (download-check.c): its slot takes its next chunk at once. Until the
 * verdict the chunk's bytes are done (nobody fetches them) but in
 * d->checking, which keeps them out of the state file. The verdict counts
 * only while the download is in the manager, not finished, checked
 * against the same tree and the chunk still whole; a bad one undoes the
 * bad slices and stops the transfers of the sources given up for it. */

typedef struct {
	gnut_dl *d; /* a reference */
	guint64 chunk;
} chunk_check;

gboolean gnut_dl_checking(const gnut_dl *d)
{
	return d->checks > 0;
}

void gnut_downloads_wait_checks(gnut_downloads *m)
{
	for (guint i = 0; i < m->all->len; i++)
		while (gnut_dl_checking(g_ptr_array_index(m->all, i)))
			g_main_context_iteration(m->ctx, TRUE);
}

/* The transfers of sources given up (a verdict that came while they
 * fetch other chunks). */
static void drop_dead_slots(gnut_dl *d)
{
	for (guint i = d->slots->len; i-- > 0;) {
		gnut_dl_slot *s = g_ptr_array_index(d->slots, i);
		if (s->src->dead && s->fetch != NULL)
			gnut_dl_slot_drop(s);
	}
}

static gboolean verdict_counts(const gnut_dl *d, const gnut_thex_verifier *v, guint64 k)
{
	if (d->mgr == NULL || gnut_download_state_is_final(d->state) ||
	    d->state == GNUT_DOWNLOAD_VERIFYING || d->verifier != v)
		return FALSE;
	return missing_in_chunk(d, k) == 0;
}

static void on_chunk_checked(gnut_thex_verifier *v, const GArray *bad, const GError *error,
                             gpointer data)
{
	chunk_check *c = data;
	gnut_dl *d = c->d;
	guint64 cs, ce;
	gnut_dl_chunk_bounds(d, c->chunk, &cs, &ce);
	d->checks--;
	gnut_download_ranges_remove(d->checking, cs, ce);
	if (d->fd >= 0)
		d->unsynced = TRUE; /* its bytes become durable at the next sync */
	if (verdict_counts(d, v, c->chunk)) {
		if (error != NULL)
			g_warning("download %" G_GUINT64_FORMAT ": %s", d->id, error->message);
		else if (bad->len > 0)
			undo_bad(d, bad, "sent data that failed the Tiger tree");
		else
			praise_mask(d, *contributors_of(d, c->chunk));
		/* a closed partial file was synced as it was closed */
		if (d->fd < 0 && (error != NULL || bad->len == 0))
			gnut_download_ranges_add(d->durable, cs, ce);
		drop_dead_slots(d);
		gnut_dl_refresh_state(d, TRUE);
		gnut_downloads_save_soon(d->mgr);
	}
	if (d->mgr != NULL)
		d->mgr->reschedule(d->mgr); /* the file may be whole now */
	gnut_dl_unref(d);
	g_free(c);
}

/* Starts the check of chunk k in a worker; FALSE when it cannot (no tree,
 * or no descriptor to spare: checked here as before). */
static gboolean start_chunk_check(gnut_dl *d, guint64 k)
{
	if (d->verifier == NULL || d->fd < 0)
		return FALSE;
	guint64 cs, ce;
	gnut_dl_chunk_bounds(d, k, &cs, &ce);
	chunk_check *c = g_new0(chunk_check, 1);
	c->d = gnut_dl_ref(d);
	c->chunk = k;
	if (!gnut_download_check_start(d->verifier, d->fd, cs, ce, on_chunk_checked, c)) {
		gnut_dl_unref(d);
		g_free(c);
		return FALSE;
	}
	d->checks++;
	gnut_download_ranges_add(d->checking, cs, ce);
	return TRUE;
}

gboolean gnut_dl_wrote(gnut_dl_slot *slot, guint64 offset, gsize len, GError **error)
{
	gnut_dl *d = slot->d;
	guint64 k = chunk_of(offset);
	*contributors_of(d, k) |= G_GUINT64_CONSTANT(1) << slot->src->bit;
	d->done_bytes += gnut_download_ranges_add(d->done, offset, offset + len);
	d->unsynced = TRUE;
	if (missing_in_chunk(d, k) > 0)
		return TRUE;
	if (start_chunk_check(d, k)) {
		cut_losers(d, slot, k);
		return TRUE;
	}
	g_autoptr(GArray) bad = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	gnut_download_chunk_verdict verdict = check_chunk(d, k, bad);
	if (verdict == GNUT_DOWNLOAD_CHUNK_BAD && bad->len > 0) {
		undo_bad(d, bad, "sent data that failed the Tiger tree");
		g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_CORRUPT,
		            "chunk %" G_GUINT64_FORMAT " failed the Tiger tree", k);
		return FALSE;
	}
	if (verdict == GNUT_DOWNLOAD_CHUNK_BAD)
		return chunk_failed(d, k, error);
	if (verdict == GNUT_DOWNLOAD_CHUNK_GOOD)
		praise_mask(d, *contributors_of(d, k));
	cut_losers(d, slot, k);
	gnut_downloads_save_soon(d->mgr);
	return TRUE;
}

guint64 gnut_dl_recheck_done(gnut_dl *d)
{
	gboolean opened = d->fd < 0;
	if (opened && !gnut_dl_open_partial(d))
		return 0; /* checked as chunks complete, and at the end */
	g_autoptr(GArray) bad = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	g_autoptr(GArray) done = g_array_copy(d->done);
	for (guint i = 0; i < done->len; i++) {
		const gnut_download_range *r = &g_array_index(done, gnut_download_range, i);
		tree_check(d, r->start, r->end, bad);
	}
	if (opened && d->slots->len == 0)
		gnut_dl_release_partial(d);
	guint64 undone = undo_bad(d, bad, "sent data that failed the Tiger tree");
	if (undone > 0) {
		gnut_dl_refresh_state(d, TRUE);
		gnut_downloads_save_soon(d->mgr);
	}
	return undone;
}

/* With a tree: undoes the bad slices only. FALSE when the tree finds
 * nothing bad (it disagrees with the SHA-1: dropped) or cannot tell. */
static gboolean refetch_bad_slices(gnut_dl *d)
{
	if (d->verifier == NULL || !gnut_dl_open_partial(d))
		return FALSE;
	g_autoptr(GArray) bad = g_array_new(FALSE, FALSE, sizeof(gnut_download_range));
	gboolean checked = tree_check(d, 0, d->size, bad);
	gnut_dl_release_partial(d);
	if (checked && bad->len > 0) {
		undo_bad(d, bad, "served data that failed the Tiger tree");
		return TRUE;
	}
	g_warning("download %" G_GUINT64_FORMAT " (%s): its Tiger tree finds no bad slice in a "
	          "file that fails the SHA-1: the tree is not used",
	          d->id, d->name);
	g_clear_pointer(&d->verifier, gnut_thex_verifier_free);
	d->no_tree = TRUE;
	return FALSE;
}

void gnut_dl_refetch_all(gnut_dl *d, const char *why)
{
	if (refetch_bad_slices(d)) {
		g_free(d->last_error);
		d->last_error = g_strdup_printf("%s; fetching the bad slices again", why);
		gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, FALSE);
		gnut_dl_refresh_state(d, TRUE);
		gnut_downloads_save_or_warn(d->mgr);
		return;
	}
	guint64 blamed = 0;
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, d->contributors);
	while (g_hash_table_iter_next(&it, NULL, &value))
		blamed |= *(guint64 *)value;
	g_warning("download %" G_GUINT64_FORMAT " (%s): %s; fetching it again", d->id, d->name,
	          why);
	give_up_mask(d, blamed, "served data that failed the SHA-1 check", FALSE);
	g_hash_table_remove_all(d->contributors);
	g_array_set_size(d->done, 0);
	g_array_set_size(d->durable, 0);
	d->done_bytes = 0;
	d->undone++;
	g_free(d->last_error);
	d->last_error = g_strdup_printf("%s; fetching it again", why);
	gnut_dl_set_state(d, GNUT_DOWNLOAD_QUEUED, FALSE);
	gnut_dl_refresh_state(d, TRUE);
	gnut_downloads_save_or_warn(d->mgr);
}
