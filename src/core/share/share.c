/* share.c: the share index. A rescan runs in a GTask thread: it walks the
 * folders, takes each file's SHA-1 from the hash cache or hashes it, and
 * builds a complete immutable snapshot (files by stable index, by SHA-1, by
 * name keywords) that replaces the current one under a short lock. Readers
 * take a reference to the snapshot, never a lock for the whole lookup, and
 * the files they get are refcounted, so neither a lookup nor an upload ever
 * sees half an index. Scans run one at a time (scan_lock); everything a scan
 * touches besides the snapshot swap and the counters is guarded by it.
 * Each file keeps what the walk recorded of it (its shared folder, device,
 * inode, mtime in ns): hashing and serving reopen it through that record,
 * confined beneath the folder (share-open.h). */
#define G_LOG_DOMAIN "gnut-share"

#include "gnut/core/share/share.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnut/proto/digest.h"
#include "gnut/core/share/hash-cache.h"
#include "gnut/core/share/keyword-index.h"
#include "gnut/core/share/share-open.h"
#include "gnut/core/share/share-scan.h"

/* A shared file and what the walk recorded of it on disk, to reopen it
 * later beneath its shared folder and tell whether it is still that file. */
typedef struct {
	gnut_shared_file pub; /* first: a gnut_shared_file* is a shared_file_box* */
	gatomicrefcount refs;
	guint32 root_len; /* pub.path[0..root_len) is its shared folder */
	guint64 dev;
	guint64 ino;
	gint64 mtime_ns;
} shared_file_box;

typedef struct {
	gatomicrefcount refs;
	GPtrArray *files;     /* gnut_shared_file* (one ref each), by keyword-index id */
	GHashTable *by_index; /* GUINT_TO_POINTER(index) -> gnut_shared_file* */
	GHashTable *by_sha1;  /* the file's sha1 bytes -> the first file with it */
	gnut_keyword_index *words;
	guint64 total_bytes;
} share_snapshot;

struct gnut_share {
	char *cache_path; /* NULL: the hash cache is not saved */
	GPtrArray *dirs;  /* canonical folder paths, then a NULL */
	GCancellable *stop;

	GMutex lock; /* guards snap, stats, running */
	GCond idle;  /* signalled when running drops */
	share_snapshot *snap;
	gnut_share_stats stats;
	guint running; /* rescans started and not yet done with the share */

	GMutex scan_lock; /* one scan at a time; guards the fields below */
	gnut_hash_cache *cache;
	GHashTable *index_of; /* scan key path -> GUINT_TO_POINTER(stable index) */
	guint32 next_index;
	GHashTable *warned; /* paths already logged as not shared */
};

/* What one rescan needs besides the share, and what it counted. */
typedef struct {
	gnut_share *s;
	char **roots;
	GCancellable *cancel; /* cancelled by the caller's cancellable or by stop */
	guint64 files_hashed;
	guint64 bytes_hashed;
	guint64 cache_hits;
	guint skipped;
} rescan_job;

gnut_shared_file *gnut_shared_file_ref(gnut_shared_file *f)
{
	g_return_val_if_fail(f != NULL, NULL);
	g_atomic_ref_count_inc(&((shared_file_box *)f)->refs);
	return f;
}

void gnut_shared_file_unref(gnut_shared_file *f)
{
	if (f == NULL)
		return;
	shared_file_box *box = (shared_file_box *)f;
	if (!g_atomic_ref_count_dec(&box->refs))
		return;
	g_free(f->path);
	g_free(f->name);
	gnut_thex_level_free(f->thex);
	g_free(box);
}

/* Takes thex (may be NULL). */
static gnut_shared_file *shared_file_new(guint32 index, const gnut_scan_entry *e,
                                         const uint8_t sha1[GNUT_SHA1_LEN], gnut_thex_level *thex)
{
	shared_file_box *box = g_new0(shared_file_box, 1);
	g_atomic_ref_count_init(&box->refs);
	box->pub.index = index;
	box->pub.path = g_strdup(e->path);
	box->pub.name = g_strdup(e->name);
	box->pub.size = e->size;
	box->root_len = (guint32)e->root_len;
	box->dev = e->dev;
	box->ino = e->ino;
	box->mtime_ns = e->mtime_ns;
	box->pub.mtime = e->mtime_ns / G_GINT64_CONSTANT(1000000000);
	if (e->mtime_ns < 0 && e->mtime_ns % G_GINT64_CONSTANT(1000000000) != 0)
		box->pub.mtime--; /* floor, like st_mtim.tv_sec */
	memcpy(box->pub.sha1, sha1, GNUT_SHA1_LEN);
	box->pub.thex = thex;
	return &box->pub;
}

gnut_shared_file *gnut_shared_file_new_outside(guint32 index, const char *path, const char *name,
                                               guint64 size, gint64 mtime,
                                               const uint8_t sha1[GNUT_SHA1_LEN])
{
	shared_file_box *box = g_new0(shared_file_box, 1);
	g_atomic_ref_count_init(&box->refs);
	box->pub.index = index;
	box->pub.path = g_strdup(path);
	box->pub.name = g_strdup(name);
	box->pub.size = size;
	box->pub.mtime = mtime;
	memcpy(box->pub.sha1, sha1, GNUT_SHA1_LEN);
	return &box->pub;
}

guint gnut_sha1_key_hash(gconstpointer p)
{
	guint h;
	memcpy(&h, p, sizeof h); /* a SHA-1 is already uniformly spread */
	return h;
}

gboolean gnut_sha1_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, GNUT_SHA1_LEN) == 0;
}

static share_snapshot *snapshot_new(void)
{
	share_snapshot *snap = g_new0(share_snapshot, 1);
	g_atomic_ref_count_init(&snap->refs);
	snap->files = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_shared_file_unref);
	snap->by_index = g_hash_table_new(g_direct_hash, g_direct_equal);
	snap->by_sha1 = g_hash_table_new(gnut_sha1_key_hash, gnut_sha1_key_equal);
	snap->words = gnut_keyword_index_new();
	return snap;
}

static share_snapshot *snapshot_ref(share_snapshot *snap)
{
	g_atomic_ref_count_inc(&snap->refs);
	return snap;
}

static void snapshot_unref(share_snapshot *snap)
{
	if (snap == NULL || !g_atomic_ref_count_dec(&snap->refs))
		return;
	g_hash_table_unref(snap->by_index);
	g_hash_table_unref(snap->by_sha1);
	gnut_keyword_index_free(snap->words);
	g_ptr_array_unref(snap->files);
	g_free(snap);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(share_snapshot, snapshot_unref)

/* Takes the file (one ref) into the snapshot under construction. */
static void snapshot_add(share_snapshot *snap, gnut_shared_file *f)
{
	g_ptr_array_add(snap->files, f);
	g_hash_table_insert(snap->by_index, GUINT_TO_POINTER(f->index), f);
	if (!g_hash_table_contains(snap->by_sha1, f->sha1))
		g_hash_table_insert(snap->by_sha1, f->sha1, f);
	gnut_keyword_index_add(snap->words, f->name, strlen(f->name));
	snap->total_bytes += f->size;
}

static share_snapshot *current_snapshot(gnut_share *s)
{
	g_mutex_lock(&s->lock);
	share_snapshot *snap = snapshot_ref(s->snap);
	g_mutex_unlock(&s->lock);
	return snap;
}

gnut_share *gnut_share_new(const char *data_dir, GError **error)
{
	gnut_digest_init();
	if (data_dir != NULL && g_mkdir_with_parents(data_dir, 0700) != 0) {
		int err = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
		            "cannot create data folder %s: %s", data_dir, g_strerror(err));
		return NULL;
	}
	gnut_share *s = g_new0(gnut_share, 1);
	s->dirs = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(s->dirs, NULL);
	s->stop = g_cancellable_new();
	g_mutex_init(&s->lock);
	g_cond_init(&s->idle);
	s->snap = snapshot_new();
	gnut_keyword_index_freeze(s->snap->words);
	g_mutex_init(&s->scan_lock);
	s->cache = gnut_hash_cache_new();
	s->index_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->next_index = 1;
	s->warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (data_dir != NULL) {
		GError *local = NULL;
		s->cache_path = g_build_filename(data_dir, GNUT_SHARE_CACHE_NAME, NULL);
		if (!gnut_hash_cache_load(s->cache, s->cache_path, &local)) {
			g_warning("ignoring the hash cache: %s", local->message);
			g_error_free(local);
		}
	}
	return s;
}

void gnut_share_free(gnut_share *s)
{
	if (s == NULL)
		return;
	g_cancellable_cancel(s->stop);
	g_mutex_lock(&s->lock);
	while (s->running > 0)
		g_cond_wait(&s->idle, &s->lock);
	g_mutex_unlock(&s->lock);

	snapshot_unref(s->snap);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->idle);
	g_mutex_clear(&s->scan_lock);
	gnut_hash_cache_free(s->cache);
	g_hash_table_unref(s->index_of);
	g_hash_table_unref(s->warned);
	g_object_unref(s->stop);
	g_ptr_array_unref(s->dirs);
	g_free(s->cache_path);
	g_free(s);
}

gboolean gnut_share_add_dir(gnut_share *s, const char *dir, GError **error)
{
	g_return_val_if_fail(s != NULL && dir != NULL, FALSE);
	g_autofree char *real = NULL;
	char *resolved = realpath(dir, NULL);
	if (resolved == NULL) {
		int err = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot share %s: %s",
		            dir, g_strerror(err));
		return FALSE;
	}
	real = g_strdup(resolved);
	free(resolved);
	struct stat st;
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
		            "cannot share %s: not a folder", dir);
		return FALSE;
	}
	guint n = s->dirs->len - 1; /* without the NULL */
	for (guint i = 0; i < n; i++)
		if (strcmp(g_ptr_array_index(s->dirs, i), real) == 0)
			return TRUE;
	if (n >= GNUT_SHARE_MAX_DIRS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
		            "cannot share %s: already sharing %d folders", dir,
		            GNUT_SHARE_MAX_DIRS);
		return FALSE;
	}
	g_ptr_array_insert(s->dirs, (gint)n, g_steal_pointer(&real));
	return TRUE;
}

gboolean gnut_share_remove_dir(gnut_share *s, const char *dir, GError **error)
{
	g_return_val_if_fail(s != NULL && dir != NULL, FALSE);
	char *resolved = realpath(dir, NULL); /* NULL when the folder is gone */
	g_autofree char *real = resolved ? g_strdup(resolved) : g_canonicalize_filename(dir, "/");
	free(resolved);
	for (guint i = 0; i + 1 < s->dirs->len; i++)
		if (strcmp(g_ptr_array_index(s->dirs, i), real) == 0 ||
		    strcmp(g_ptr_array_index(s->dirs, i), dir) == 0) {
			g_ptr_array_remove_index(s->dirs, i);
			return TRUE;
		}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not shared", dir);
	return FALSE;
}

const char *const *gnut_share_dirs(gnut_share *s)
{
	return (const char *const *)s->dirs->pdata;
}

/* Logs a file that could not be hashed, once per path per run. */
static void note_unhashable(gnut_share *s, const char *path, const GError *err)
{
	if (g_hash_table_contains(s->warned, path) ||
	    g_hash_table_size(s->warned) >= GNUT_SCAN_MAX_WARNED)
		return;
	g_hash_table_add(s->warned, g_strdup(path));
	g_message("not sharing %s: %s", path, err->message);
}

/* The SHA-1 and Tiger tree level of one walked file, from the cache when
 * its size and mtime are unchanged (and the cache has its tree), else by
 * reading it. FALSE when it cannot be hashed now (the error says why;
 * G_IO_ERROR_CANCELLED stops the whole scan). */
static gboolean entry_hashes(rescan_job *job, const gnut_scan_entry *e, guint8 *buf,
                             uint8_t sha1[GNUT_SHA1_LEN], gnut_thex_level **thex, GError **error)
{
	gnut_share *s = job->s;
	if (gnut_hash_cache_lookup(s->cache, e->path, e->size, e->mtime_ns, sha1) &&
	    (*thex = gnut_hash_cache_get_thex(s->cache, e->path)) != NULL) {
		job->cache_hits++;
		return TRUE;
	}
	gnut_file_record r;
	gnut_scan_entry_record(e, &r);
	if (!gnut_share_hash_file(&r, buf, GNUT_SCAN_HASH_BUFFER, job->cancel, sha1, thex, error))
		return FALSE;
	job->files_hashed++;
	job->bytes_hashed += e->size;
	gnut_hash_cache_store(s->cache, e->path, e->size, e->mtime_ns, sha1);
	gnut_hash_cache_set_thex(s->cache, e->path, *thex);
	return TRUE;
}

/* The stable index of a scan key: the one it had in the previous scan, else a
 * new one. Keys seen by this scan move to next_index_of, so keys of files gone
 * from the share are forgotten. */
static guint32 stable_index(gnut_share *s, GHashTable *next_index_of, const char *key)
{
	gpointer old = g_hash_table_lookup(s->index_of, key);
	guint32 index = old != NULL ? GPOINTER_TO_UINT(old) : s->next_index++;
	g_hash_table_insert(next_index_of, g_strdup(key), GUINT_TO_POINTER(index));
	return index;
}

/* Walks, hashes and indexes: the new snapshot, or NULL when cancelled.
 * Called with scan_lock held. */
static share_snapshot *build_snapshot(rescan_job *job, GError **error)
{
	gnut_share *s = job->s;
	gnut_scan_options opt = {GNUT_SHARE_MAX_FILES, GNUT_SHARE_MAX_DEPTH, job->cancel,
	                         s->warned};
	g_autoptr(GPtrArray) entries = NULL;
	if (!gnut_share_scan((const char *const *)job->roots, &opt, &entries, &job->skipped, error))
		return NULL;
	g_autofree guint8 *buf = g_malloc(GNUT_SCAN_HASH_BUFFER);
	g_autoptr(share_snapshot) snap = snapshot_new();
	g_autoptr(GHashTable) next_index_of =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < entries->len; i++) {
		const gnut_scan_entry *e = g_ptr_array_index(entries, i);
		uint8_t sha1[GNUT_SHA1_LEN];
		gnut_thex_level *thex = NULL;
		GError *local = NULL;
		if (!entry_hashes(job, e, buf, sha1, &thex, &local)) {
			if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
				g_propagate_error(error, local);
				return NULL;
			}
			note_unhashable(s, e->key, local);
			g_error_free(local);
			job->skipped++;
			continue;
		}
		guint32 index = stable_index(s, next_index_of, e->key);
		snapshot_add(snap, shared_file_new(index, e, sha1, thex));
	}
	gnut_keyword_index_freeze(snap->words);
	g_hash_table_unref(s->index_of);
	s->index_of = g_steal_pointer(&next_index_of);
	gnut_hash_cache_prune(s->cache);
	return g_steal_pointer(&snap);
}

/* Saves the hash cache when it changed: also after a cancelled scan, so the
 * hashing already done survives a shutdown. Called with scan_lock held. */
static void save_cache(gnut_share *s)
{
	GError *err = NULL;
	if (s->cache_path == NULL || !gnut_hash_cache_is_dirty(s->cache))
		return;
	if (!gnut_hash_cache_save(s->cache, s->cache_path, &err)) {
		g_warning("cannot save the hash cache: %s", err->message);
		g_error_free(err);
	}
}

static void forward_cancel(GCancellable *from, gpointer to)
{
	g_cancellable_cancel(to);
}

/* Publishes the outcome of a scan and lets go of the share: once running
 * drops, gnut_share_free may free it, so nothing may touch it afterwards. */
static void finish_scan(rescan_job *job, share_snapshot *snap)
{
	gnut_share *s = job->s;
	share_snapshot *old = NULL;
	g_mutex_lock(&s->lock);
	s->stats.files_hashed += job->files_hashed;
	s->stats.bytes_hashed += job->bytes_hashed;
	s->stats.cache_hits += job->cache_hits;
	if (snap != NULL) {
		old = s->snap;
		s->snap = snap;
		s->stats.scans++;
		s->stats.last_files = snap->files->len;
		s->stats.last_skipped = job->skipped;
	}
	s->running--;
	g_cond_broadcast(&s->idle);
	g_mutex_unlock(&s->lock);
	job->s = NULL;
	snapshot_unref(old);
}

static void rescan_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *c)
{
	rescan_job *job = task_data;
	gnut_share *s = job->s;
	gulong by_caller =
	    c != NULL ? g_cancellable_connect(c, G_CALLBACK(forward_cancel), job->cancel, NULL) : 0;
	gulong by_stop =
	    g_cancellable_connect(s->stop, G_CALLBACK(forward_cancel), job->cancel, NULL);

	GError *err = NULL;
	g_mutex_lock(&s->scan_lock);
	share_snapshot *snap = build_snapshot(job, &err);
	save_cache(s);
	g_mutex_unlock(&s->scan_lock);

	if (c != NULL)
		g_cancellable_disconnect(c, by_caller);
	g_cancellable_disconnect(s->stop, by_stop);
	finish_scan(job, snap);
	if (snap != NULL)
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, err);
}

static void rescan_job_free(gpointer p)
{
	rescan_job *job = p;
	g_strfreev(job->roots);
	g_object_unref(job->cancel);
	g_free(job);
}

void gnut_share_rescan_async(gnut_share *s, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
	g_return_if_fail(s != NULL);
	rescan_job *job = g_new0(rescan_job, 1);
	job->s = s;
	job->roots = g_strdupv((char **)s->dirs->pdata);
	job->cancel = g_cancellable_new();
	g_mutex_lock(&s->lock);
	s->running++;
	g_mutex_unlock(&s->lock);

	g_autoptr(GTask) task = g_task_new(NULL, c, cb, data);
	g_task_set_source_tag(task, gnut_share_rescan_async);
	g_task_set_task_data(task, job, rescan_job_free);
	g_task_run_in_thread(task, rescan_thread);
}

gboolean gnut_share_rescan_finish(gnut_share *s, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, NULL), FALSE);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(res)) == gnut_share_rescan_async, FALSE);
	return g_task_propagate_boolean(G_TASK(res), error);
}

gnut_shared_file *gnut_share_by_index(gnut_share *s, guint32 index)
{
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	gnut_shared_file *f = g_hash_table_lookup(snap->by_index, GUINT_TO_POINTER(index));
	return f != NULL ? gnut_shared_file_ref(f) : NULL;
}

gnut_shared_file *gnut_share_by_sha1(gnut_share *s, const uint8_t sha1[GNUT_SHA1_LEN])
{
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	gnut_shared_file *f = g_hash_table_lookup(snap->by_sha1, sha1);
	return f != NULL ? gnut_shared_file_ref(f) : NULL;
}

GPtrArray *gnut_share_search(gnut_share *s, const char *query, guint max)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_shared_file_unref);
	if (query == NULL)
		return out;
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	g_autoptr(GArray) ids = gnut_keyword_index_query(snap->words, query, strlen(query), max);
	for (guint i = 0; i < ids->len; i++) {
		guint32 id = g_array_index(ids, guint32, i);
		g_ptr_array_add(out, gnut_shared_file_ref(g_ptr_array_index(snap->files, id)));
	}
	return out;
}

GPtrArray *gnut_share_list(gnut_share *s)
{
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	GPtrArray *out =
	    g_ptr_array_new_full(snap->files->len, (GDestroyNotify)gnut_shared_file_unref);
	for (guint i = 0; i < snap->files->len; i++)
		g_ptr_array_add(out, gnut_shared_file_ref(g_ptr_array_index(snap->files, i)));
	return out;
}

guint gnut_share_count(gnut_share *s)
{
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	return snap->files->len;
}

guint64 gnut_share_total_bytes(gnut_share *s)
{
	g_autoptr(share_snapshot) snap = current_snapshot(s);
	return snap->total_bytes;
}

gboolean gnut_share_open_file(gnut_share *s, const gnut_shared_file *f, int *fd, GError **error)
{
	g_return_val_if_fail(s != NULL && f != NULL && fd != NULL, FALSE);
	const shared_file_box *box = (const shared_file_box *)f;
	gnut_file_record r = {f->path, box->root_len, box->dev, box->ino, f->size, box->mtime_ns};
	GError *local = NULL;
	*fd = gnut_file_record_open(&r, &local);
	if (*fd >= 0 && !gnut_file_record_matches(&r, *fd)) {
		close(*fd);
		*fd = -1;
		local = g_error_new(G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		                    "%s is no longer the file that was indexed", f->path);
	}
	if (*fd >= 0)
		return TRUE;
	if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		g_mutex_lock(&s->lock);
		s->stats.stale_opens++;
		g_mutex_unlock(&s->lock);
	}
	g_propagate_error(error, local);
	return FALSE;
}

void gnut_share_get_stats(gnut_share *s, gnut_share_stats *out)
{
	g_mutex_lock(&s->lock);
	*out = s->stats;
	g_mutex_unlock(&s->lock);
}
