/* download-manager.h: what the files of the download manager share: the
 * manager, its downloads and their sources, and the functions each file
 * offers the files above it. From the bottom up:
 *
 *   download-partial.c what a download offers others (partial file
 *                     sharing) and what a partial source offers us
 *   download-save.c   syncing a partial file, downloads in progress ->
 *                     records -> downloads.xml, now or a little later
 *   download-item.c   one download: its sources, its transfers, its partial
 *                     file, its state; pausing it
 *   download-mesh.c   X-Alt / X-Nalt from replies, X-Alt and X-Nalt on
 *                     requests, the mesh
 *   download-swarm.c  the chunks of a download: which source fetches which,
 *                     the race at the end, a completed chunk (checked
 *                     against the tree), a mismatch
 *   download-sched.c  the scheduler and the source policy: which download
 *                     fetches from which sources, and what an outcome means;
 *                     handing a whole download to the finishing job
 *   download.c        the manager's public API (download.h)
 *
 * A file calls only the files below it (and those of download-private.h,
 * below them all); the callbacks of the lower modules (a fetch's ops, the
 * finishing job's done) are how news travels up. */
#ifndef GNUT_DOWNLOAD_MANAGER_H
#define GNUT_DOWNLOAD_MANAGER_H

#include "download-private.h"

#include "gnut/base/log-limit.h"
#include "gnut/base/rate-limit.h"
#include "gnut/core/transfer/mesh.h"
#include "gnut/core/transfer/thex-verify.h"
#include "gnut/proto/x-queued.h"

typedef struct gnut_dl_slot gnut_dl_slot;
/* A save running in a worker thread (download-save.c). */
typedef struct gnut_downloads_save_job gnut_downloads_save_job;

/* One place a download can be fetched from, as the manager tracks it. */
typedef struct {
	char *host;
	guint16 port;
	guint32 index;
	char *name;
	gboolean get_only;
	gboolean has_guid;
	gnut_guid guid;
	gboolean firewalled; /* reached by push only */
	gboolean tls;        /* accepts TLS, until a TLS connection to it fails */
	gboolean use_get;    /* ask /get/: get_only, or the URN form got a 404 */
	guint failures;      /* errors in a row without data (MAX_ATTEMPTS and more:
	                        not counted as a source, still retried) */
	gint64 next_try_us;
	gboolean dead;      /* given up for good (no file, another file, bad data) */
	guint bit;          /* its index in the download's sources: its bit in
	                       the chunks' contributor masks */
	gnut_dl_slot *slot; /* its transfer now, or NULL */
	guint64 received;   /* body bytes from it this session */
	char *error;        /* its last error, or why it was given up */
	char *thex_path;    /* the tree it offers (X-Thex-URI with our root), or NULL */
	gboolean in_mesh;   /* it served good chunks: it is in the mesh */
	GArray *avail;      /* a partial source: its X-Available-Ranges
	                       (gnut_download_range, sorted); NULL: the whole file */
	/* its upload queue (PARQ): the ID it gave us (sent back on each
	 * request), and, while its last answer was a queued 503, our place */
	char queue_id[GNUT_X_QUEUED_ID_MAX + 1];
	gboolean queued;
	guint queue_position, queue_length;
} gnut_dl_source;

#define GNUT_DL_MAX_ATTEMPTS 4 /* errors in a row before a source stops counting */

struct gnut_dl;

/* One transfer of a download: a source fetching (or, pushed, waiting for
 * its GIV), and the chunk it fetches. */
struct gnut_dl_slot {
	struct gnut_dl *d;
	gnut_dl_source *src;
	gnut_download_fetch *fetch; /* NULL while a push waits for its GIV */
	gint64 push_until_us;       /* while pushing: when to stop waiting */
	gboolean receiving;         /* the source has sent data */
	gboolean has_chunk;
	guint64 chunk;        /* while has_chunk: the index of the chunk it fetches */
	gboolean asked_blind; /* its source's ranges were unknown when it began */
};

/* One download of the manager. Reference counted for the finishing job's
 * callback, which may come after the manager is gone. */
typedef struct gnut_dl {
	gint refs;
	gnut_downloads *mgr; /* NULL once the manager is gone */
	guint64 id;
	uint8_t sha1[GNUT_SHA1_LEN];
	char *name; /* sanitised */
	guint64 size;
	char *to_dir;
	char *partial;
	char *final_path;
	char *error;      /* why it is paused (or failed) */
	char *last_error; /* the last source error, shown while waiting */
	GArray *done;     /* gnut_download_range: written (sorted, disjoint, not adjacent) */
	GArray *durable;  /* the part of done known to be on the disk (synced) */
	guint64 done_bytes;
	GPtrArray *sources;       /* gnut_dl_source; never shrinks (a source is marked dead) */
	GPtrArray *slots;         /* gnut_dl_slot: its transfers now */
	GHashTable *contributors; /* chunk index -> guint64 mask of the sources that
	                             wrote into it this session */
	gnut_download_state state;
	gboolean user_paused;
	gint64 resume_at_us;   /* paused by an error: when to try again (0: never) */
	gint64 next_search_us; /* when it may next ask for a URN search */
	int fd;
	gboolean unsynced; /* written since the last fdatasync */
	guint undone;      /* times bytes were taken out of done (a save in a worker
	                      then claims none of what it synced) */
	guint64 rate;      /* bytes per second over the last window */
	guint64 rate_bytes;
	gint64 rate_since_us, last_data_us;
	gnut_download_verify *job; /* while verifying */
	/* Its Tiger tree (download-tree.c): the root it must have (that of
	 * the first source's X-Thex-URI), the fetch of the tree, the check. */
	gboolean has_root;
	gboolean no_tree; /* a tree disagreed with the SHA-1: none this session */
	uint8_t root[GNUT_TIGER_LEN];
	GCancellable *tree_cancel;    /* while a tree fetch runs */
	gnut_thex_verifier *verifier; /* once the tree is here */
	guint checks;                 /* completed chunks whose tree check runs */
	GArray *checking;             /* gnut_download_range: their bytes (not durable yet) */
	GArray *nalts;                /* gnut_alt: sources found bad, told in X-Nalt */
} gnut_dl;

struct gnut_downloads {
	char *incomplete_dir;
	char *download_dir;
	char *state_path;
	gnut_clock *clock;
	GMainContext *ctx;
	guint max_active;
	guint connect_timeout_s;
	guint idle_timeout_s;
	guint push_wait_s;
	guint max_sources;
	guint retry_max_s;
	guint search_interval_s;
	gboolean allow_local;
	gboolean tls;
	gnut_rate_limit *limit; /* all downloads together */
	GPtrArray *all;         /* gnut_dl, in id order */
	guint64 next_id;
	guint64 bytes_in;
	GSource *schedule_src;
	GSource *save_src;
	gint64 last_save_us;
	gnut_downloads_save_job *save_job; /* the save running in a worker */
	gboolean save_again;               /* one more wanted after it */
	gnut_downloads_notify_fn notify;
	gpointer notify_data;
	gnut_downloads_push_fn push;
	gpointer push_data;
	gnut_downloads_find_fn find;
	gpointer find_data;
	gnut_downloads_chunk_fn verify_chunk;
	gpointer verify_chunk_data;
	void (*reschedule)(gnut_downloads *m); /* the scheduler, soon (download-sched.c),
	                                          for the files below it */
	gnut_mesh *mesh;                       /* borrowed; NULL: no mesh */
	gnut_partials *partials;               /* borrowed; NULL: nothing offered */
	gnut_log_limit *log;                   /* peers' refused headers */
};

/* The download of this id, whatever its state; NULL: none. */
static inline gnut_dl *gnut_dl_find(gnut_downloads *m, guint64 id)
{
	for (guint i = 0; i < m->all->len; i++) {
		gnut_dl *d = g_ptr_array_index(m->all, i);
		if (d->id == id)
			return d;
	}
	return NULL;
}

/* Destroys and drops a GSource the manager keeps (NULL: nothing). */
static inline void gnut_downloads_stop_source(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_clear_pointer(src, g_source_unref);
	}
}

/* Attaches src to the manager's context with fn(m) as its callback. */
static inline GSource *gnut_downloads_attach(gnut_downloads *m, GSource *src, GSourceFunc fn)
{
	g_source_set_callback(src, fn, m, NULL);
	g_source_attach(src, m->ctx);
	return src;
}

/* ---- download-partial.c ---- */

/* Offers d's verified, durable whole chunks in the manager's registry of
 * partial files (download.h), or withdraws d when it has none to offer,
 * is being verified or is over. */
void gnut_dl_publish(gnut_dl *d);
/* Withdraws every download of the manager from the registry. */
void gnut_downloads_withdraw_all(gnut_downloads *m);
/* A reply head's X-Available-Ranges into src->avail (a missing header:
 * the whole file, NULL); a bad one is logged and taken as no range. */
void gnut_dl_source_learn_ranges(gnut_dl *d, gnut_dl_source *src, const gnut_head *h);
/* The first bytes of [start, start + len) src has: TRUE and the part in
 * [*out_start, *out_start + *out_len); FALSE when it has none. */
gboolean gnut_dl_source_has(const gnut_dl_source *src, guint64 start, guint64 len,
                            guint64 *out_start, guint64 *out_len);

/* ---- download-save.c ---- */

/* Syncs the partial file's new bytes: what is written becomes durable; a
 * sync that fails takes back what was not durable (fetched again). */
gboolean gnut_dl_sync(gnut_dl *d);
/* Syncs the partial files, then writes the state of every download in
 * progress: the file never claims bytes that are not on the disk. */
gboolean gnut_downloads_save_now(gnut_downloads *m, GError **error);
/* The same, with a warning for an error. */
void gnut_downloads_save_or_warn(gnut_downloads *m);
/* Runs the main context until no save runs in a worker (the manager's
 * end). */
void gnut_downloads_wait_saves(gnut_downloads *m);
/* Saves within a few seconds (progress as it flows), in a worker. */
void gnut_downloads_save_later(gnut_downloads *m);
/* Saves now (in a worker), or, when the last save is very recent, as soon as it is not
 * (a chunk completed: its bytes become durable at once, but the disk is
 * not synced more than a few times a second). */
void gnut_downloads_save_soon(gnut_downloads *m);

/* ---- download-item.c ---- */

/* A waiting download of the manager, without sources yet; name is
 * sanitised. */
gnut_dl *gnut_dl_new(gnut_downloads *m, guint64 id, const uint8_t sha1[GNUT_SHA1_LEN],
                     const char *name, guint64 size, const char *to_dir);
gnut_dl *gnut_dl_ref(gnut_dl *d);
void gnut_dl_unref(gnut_dl *d);
/* Adds a checked source; one already known is revived instead when revive
 * (a new hit), else left as it is (an X-Alt may not revive what we gave
 * up). */
void gnut_dl_merge_source(gnut_dl *d, const gnut_download_source *src, gboolean revive);
/* Whether a source counts: not given up, not failing again and again. */
gboolean gnut_dl_source_alive(const gnut_dl_source *s);
/* Sources that count. */
guint gnut_dl_count_alive(const gnut_dl *d);
/* Records a source's error as its own and the download's last. */
void gnut_dl_source_error(gnut_dl *d, gnut_dl_source *src, const char *why);
/* Gives a source up for good. */
void gnut_dl_give_up_source(gnut_dl *d, gnut_dl_source *src, const char *why);
/* Changes the state, telling the owner when notify is set. */
void gnut_dl_set_state(gnut_dl *d, gnut_download_state state, gboolean notify);
/* A download in progress (not paused, verifying or over) takes the state
 * its transfers say: downloading, connecting, queued (sources that count)
 * or waiting (none). */
void gnut_dl_refresh_state(gnut_dl *d, gboolean notify);
/* Whether the state is one of those gnut_dl_refresh_state sets. */
gboolean gnut_dl_in_progress(const gnut_dl *d);
/* Opens (creating) the partial file if it is not open; FALSE, with errno,
 * when it cannot be. */
gboolean gnut_dl_open_partial(gnut_dl *d);
/* Closes the partial file without syncing it (about to be deleted, or the
 * finishing job syncs it). */
void gnut_dl_close_partial(gnut_dl *d);
/* Closes the partial file between fetches, its bytes synced first. */
void gnut_dl_release_partial(gnut_dl *d);
/* Adds a slot for src (its fetch or push is the caller's to start). */
gnut_dl_slot *gnut_dl_slot_new(gnut_dl *d, gnut_dl_source *src);
/* Ends one transfer without a word to anybody (its fetch freed). */
void gnut_dl_slot_drop(gnut_dl_slot *slot);
/* Stops every transfer; the sources may be tried again at once. */
void gnut_dl_stop_transfer(gnut_dl *d);
/* Pauses: transfers stop, the partial file is synced and closed. why
 * (NULL for the user's pause) is kept as the error; with retry_in_s (not
 * 0) it is tried again that much later. */
void gnut_dl_pause(gnut_dl *d, const char *why, guint retry_in_s, gboolean notify);

/* ---- download-mesh.c ---- */

/* The source's IPv4 address (host order), when it is a direct IPv4 one. */
gboolean gnut_dl_source_ipv4(const gnut_dl_source *s, uint32_t *ip);
/* A reply head from source from: X-Alt (compact and legacy) into the mesh
 * (announced by from) and the download's sources, X-Nalt out of the mesh.
 * TRUE when a source is new. */
gboolean gnut_dl_mesh_learn(gnut_dl *d, const gnut_dl_source *from, const gnut_head *h);
/* Our X-Alt (the mesh, never to's own address) and X-Nalt (the sources
 * found bad) on a request to the source to. */
void gnut_dl_mesh_tell(gnut_dl *d, const gnut_dl_source *to, gnut_head *h);
/* src served good data: into the mesh. */
void gnut_dl_mesh_good(gnut_dl *d, gnut_dl_source *src);
/* src served bad data: out of the mesh, and, with announce, told in X-Nalt
 * from now on. */
void gnut_dl_mesh_bad(gnut_dl *d, gnut_dl_source *src, gboolean announce);

/* ---- download-swarm.c ---- */

/* [start, end) of chunk k. */
void gnut_dl_chunk_bounds(const gnut_dl *d, guint64 k, guint64 *start, guint64 *end);
/* The next range slot should ask for: the rest of its chunk, else a chunk
 * nobody fetches, else (the end) the chunk another slot has most left of.
 * FALSE: nothing left for it. */
gboolean gnut_dl_next_range(gnut_dl_slot *slot, guint64 *start, guint64 *len);
/* Whether a new slot would find something to fetch. */
gboolean gnut_dl_has_work(const gnut_dl *d);
/* Bytes written at offset by slot's source are now done. FALSE, with
 * *error (CORRUPT), when the chunk they completed failed its check: the
 * source is given up, the chunk undone. */
gboolean gnut_dl_wrote(gnut_dl_slot *slot, guint64 offset, gsize len, GError **error);
/* Whether a chunk's tree check runs (the file is not finished before). */
gboolean gnut_dl_checking(const gnut_dl *d);
/* Runs the main context until no download of m has a chunk check
 * running (the manager's end). */
void gnut_downloads_wait_checks(gnut_downloads *m);
/* The tree has come: every recorded byte is checked against it (bytes
 * recorded in an earlier run included); bad slices are undone. Returns the
 * bytes undone. */
guint64 gnut_dl_recheck_done(gnut_dl *d);
/* The complete file failed its SHA-1. With a tree, only the bad slices are
 * undone and their chunks' sources given up; a tree that finds nothing bad
 * disagrees with the SHA-1 and is dropped. Without one, the sources that
 * wrote the file this session are given up, and every byte is to be
 * fetched again. */
void gnut_dl_refetch_all(gnut_dl *d, const char *why);

/* An X-Thex-URI value from src (the Tiger tree section of
 * download-sched.c); may start the fetch of the tree. */
void gnut_dl_tree_offer(gnut_dl *d, gnut_dl_source *src, const char *value);
/* Stops the fetch of the tree and forgets the tree (the manager's end). */
void gnut_dl_tree_stop(gnut_dl *d);

/* ---- download-sched.c ---- */

/* Every byte is here: hands the file to the finishing job, unless a tree
 * is on its way (the scheduler tries again when it has come or failed). */
void gnut_dl_start_verify(gnut_dl *d);
/* Stops the finishing job, if any, and waits for it: TRUE when the file
 * was moved into place all the same (it is at d->final_path). */
gboolean gnut_dl_stop_verify(gnut_dl *d);
/* Runs the scheduler from an idle callback. */
void gnut_downloads_schedule_soon(gnut_downloads *m);
/* Fetches from the pushed source of slot over conn: the connection it
 * opened with a GIV (takes over conn and the caller's reference). */
void gnut_dl_fetch_over_giv(gnut_dl_slot *slot, gnut_conn *conn);

#endif
