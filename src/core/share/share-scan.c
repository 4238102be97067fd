/* share-scan.c: the folder walk and the file hashing of a share rescan. The
 * walk resolves every symlink and keeps it only when its real path stays in
 * a shared folder, and enters each real folder once (by device and inode),
 * so links can neither leak files from outside nor loop. Each file found
 * is recorded with the shared folder it lies beneath and its device and
 * inode; hashing opens it again through that record (share-open.h), so
 * what is hashed is what the walk saw. */
#define G_LOG_DOMAIN "gnut-share"

#include "gnut/core/share/share-scan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnut/proto/digest.h"

typedef struct {
	dev_t dev;
	ino_t ino;
} dir_id;

typedef struct {
	const gnut_scan_options *opt;
	GPtrArray *roots;    /* real paths of the roots being walked */
	GHashTable *visited; /* dir_id* set */
	GPtrArray *entries;  /* gnut_scan_entry* */
	guint skipped;
	gboolean full_reported;
} walk_state;

void gnut_scan_entry_free(gpointer entry)
{
	gnut_scan_entry *e = entry;
	if (e == NULL)
		return;
	g_free(e->key);
	g_free(e->path);
	g_free(e->name);
	g_free(e);
}

void gnut_scan_entry_record(const gnut_scan_entry *e, gnut_file_record *out)
{
	*out = (gnut_file_record){e->path, e->root_len, e->dev, e->ino, e->size, e->mtime_ns};
}

static guint dir_id_hash(gconstpointer p)
{
	const dir_id *d = p;
	guint64 mix = (guint64)d->ino * 0x9E3779B97F4A7C15ull ^ (guint64)d->dev;
	return (guint)(mix ^ (mix >> 32));
}

static gboolean dir_id_equal(gconstpointer a, gconstpointer b)
{
	const dir_id *x = a, *y = b;
	return x->dev == y->dev && x->ino == y->ino;
}

/* TRUE the first time a folder is seen in this walk. */
static gboolean first_visit(walk_state *w, const struct stat *st)
{
	dir_id key = {st->st_dev, st->st_ino};
	if (g_hash_table_contains(w->visited, &key))
		return FALSE;
	g_hash_table_add(w->visited, g_memdup2(&key, sizeof key));
	return TRUE;
}

/* Counts a skipped entry and logs why, once per path per run when the
 * caller keeps a set of logged paths. */
static void skip(walk_state *w, const char *path, const char *why)
{
	w->skipped++;
	GHashTable *warned = w->opt->warned;
	if (warned != NULL) {
		if (g_hash_table_contains(warned, path) ||
		    g_hash_table_size(warned) >= GNUT_SCAN_MAX_WARNED)
			return;
		g_hash_table_add(warned, g_strdup(path));
	}
	g_message("not sharing %s: %s", path, why);
}

/* The length of the deepest root that real lies beneath (a prefix ending
 * at a '/'), or 0 when it leaves every root. */
static gsize root_len_of(const walk_state *w, const char *real)
{
	gsize best = 0;
	for (guint i = 0; i < w->roots->len; i++) {
		const char *root = g_ptr_array_index(w->roots, i);
		gsize n = strlen(root);
		if (strcmp(root, "/") == 0)
			best = MAX(best, 1);
		else if (strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/'))
			best = MAX(best, n);
	}
	return best;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in dir, sorted (a stable scan order), or NULL if it cannot be
 * read. */
static GPtrArray *sorted_names(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (d == NULL)
		return NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	return names;
}

static void add_file(walk_state *w, const char *key, const char *path, const char *name,
                     const struct stat *st)
{
	g_autofree char *utf8 = g_filename_to_utf8(name, -1, NULL, NULL, NULL);
	if (utf8 == NULL || !g_utf8_validate(utf8, -1, NULL)) {
		skip(w, key, "its name is not valid UTF-8");
		return;
	}
	if (access(path, R_OK) != 0) {
		skip(w, key, "it cannot be read");
		return;
	}
	if (w->entries->len >= w->opt->max_files) {
		w->skipped++;
		if (!w->full_reported)
			g_warning("sharing only the first %u files found", w->opt->max_files);
		w->full_reported = TRUE;
		return;
	}
	gnut_scan_entry *e = g_new0(gnut_scan_entry, 1);
	e->key = g_strdup(key);
	e->path = g_strdup(path);
	e->name = g_steal_pointer(&utf8);
	e->root_len = root_len_of(w, path);
	e->dev = (guint64)st->st_dev;
	e->ino = (guint64)st->st_ino;
	e->size = (guint64)st->st_size;
	e->mtime_ns =
	    (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st->st_mtim.tv_nsec;
	g_ptr_array_add(w->entries, e);
}

/* One folder entry: a symlink is replaced by what its real path names, if
 * that stays inside the share; regular files are listed, and a folder not
 * walked yet is returned (g_malloc'd path) to be entered after the files. */
static char *walk_entry(walk_state *w, const char *dir, const char *name, guint depth)
{
	g_autofree char *key = g_build_filename(dir, name, NULL);
	g_autofree char *real = NULL;
	struct stat st;
	if (lstat(key, &st) != 0) {
		skip(w, key, g_strerror(errno));
		return NULL;
	}
	if (S_ISLNK(st.st_mode)) {
		real = realpath(key, NULL);
		if (real == NULL) {
			skip(w, key, "a symlink that cannot be resolved");
			return NULL;
		}
		if (root_len_of(w, real) == 0) {
			skip(w, key, "a symlink leading out of the shared folders");
			return NULL;
		}
		if (stat(real, &st) != 0) {
			skip(w, key, g_strerror(errno));
			return NULL;
		}
	}
	const char *path = real != NULL ? real : key;
	if (S_ISDIR(st.st_mode)) {
		if (depth >= w->opt->max_depth)
			skip(w, key, "too deep below its shared folder");
		else if (first_visit(w, &st))
			return g_strdup(path);
	} else if (S_ISREG(st.st_mode)) {
		add_file(w, key, path, name, &st);
	} else {
		w->skipped++; /* sockets, pipes, devices: nothing to share */
	}
	return NULL;
}

/* Files first, then subfolders: when the file cap is reached, the files
 * nearer the top of the share are the ones kept. */
static void walk_dir(walk_state *w, const char *dir, guint depth)
{
	if (g_cancellable_is_cancelled(w->opt->cancellable))
		return;
	g_autoptr(GPtrArray) names = sorted_names(dir);
	if (names == NULL) {
		skip(w, dir, "the folder cannot be read");
		return;
	}
	g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		char *sub = NULL;
		if (name[0] == '.')
			w->skipped++;
		else
			sub = walk_entry(w, dir, name, depth);
		if (sub != NULL)
			g_ptr_array_add(subdirs, sub);
	}
	for (guint i = 0; i < subdirs->len; i++)
		walk_dir(w, g_ptr_array_index(subdirs, i), depth + 1);
}

gboolean gnut_share_scan(const char *const *roots, const gnut_scan_options *opt,
                         GPtrArray **entries, guint *skipped, GError **error)
{
	walk_state w = {opt,
	                g_ptr_array_new_with_free_func(free),
	                g_hash_table_new_full(dir_id_hash, dir_id_equal, g_free, NULL),
	                g_ptr_array_new_with_free_func(gnut_scan_entry_free),
	                0,
	                FALSE};
	for (guint i = 0; roots != NULL && roots[i] != NULL; i++) {
		char *real = realpath(roots[i], NULL);
		if (real == NULL)
			g_warning("shared folder %s is gone: %s", roots[i], g_strerror(errno));
		else
			g_ptr_array_add(w.roots, real);
	}
	for (guint i = 0; i < w.roots->len; i++) {
		const char *root = g_ptr_array_index(w.roots, i);
		struct stat st;
		if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
			g_warning("shared folder %s is not a folder any more", root);
		else if (first_visit(&w, &st))
			walk_dir(&w, root, 0);
	}
	g_ptr_array_unref(w.roots);
	g_hash_table_unref(w.visited);
	if (g_cancellable_set_error_if_cancelled(opt->cancellable, error)) {
		g_ptr_array_unref(w.entries);
		return FALSE;
	}
	*entries = w.entries;
	*skipped = w.skipped;
	return TRUE;
}

/* Reads fd to its end into the digest; the total must be the expected size. */
static gboolean hash_fd(int fd, const char *path, guint64 size, guint8 *buf, gsize buf_len,
                        GCancellable *cancellable, gnut_sha1 *h, gnut_thex_builder *tb,
                        GError **error)
{
	guint64 total = 0;
	for (;;) {
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		ssize_t n = read(fd, buf, buf_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			            "cannot read %s: %s", path, g_strerror(err));
			return FALSE;
		}
		if (n == 0)
			break;
		gnut_sha1_update(h, buf, (size_t)n);
		if (tb != NULL)
			gnut_thex_builder_update(tb, buf, (size_t)n);
		total += (guint64)n;
		if (total > size)
			break;
	}
	if (total != size) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s changed while being hashed",
		            path);
		return FALSE;
	}
	return TRUE;
}

gboolean gnut_share_hash_file(const gnut_file_record *r, guint8 *buf, gsize buf_len,
                              GCancellable *cancellable, uint8_t sha1[GNUT_SHA1_LEN],
                              gnut_thex_level **thex, GError **error)
{
	g_return_val_if_fail(r != NULL && buf != NULL && buf_len > 0, FALSE);
	int fd = gnut_file_record_open(r, error);
	if (fd < 0)
		return FALSE;
	if (!gnut_file_record_matches(r, fd)) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s changed since the scan",
		            r->path);
		return FALSE;
	}
	/* Tells the kernel to read ahead aggressively; advice only. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	gnut_sha1 *h = gnut_sha1_new();
	gnut_thex_builder *tb = thex != NULL ? gnut_thex_builder_new(r->size) : NULL;
	gboolean ok = hash_fd(fd, r->path, r->size, buf, buf_len, cancellable, h, tb, error);
	if (ok && !gnut_file_record_matches(r, fd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s changed while being hashed",
		            r->path);
		ok = FALSE;
	}
	close(fd);
	if (ok) {
		gnut_sha1_finish(h, sha1);
		if (tb != NULL)
			*thex = gnut_thex_builder_finish(g_steal_pointer(&tb));
	} else {
		gnut_sha1_free(h);
	}
	gnut_thex_builder_free(tb);
	return ok;
}
