/* download-manager.h: what the files of the download manager share: the
 * manager, its downloads and their sources, and the functions each file
 * offers the files above it. From the bottom up:
 *
 *   download-save.c   downloads in progress -> records -> downloads.xml,
 *                     now or a little later
 *   download-item.c   one download: its sources, its partial file, its
 *                     state; failing it, handing it to the finishing job
 *   download-sched.c  the scheduler and the source policy: which download
 *                     fetches from which source, and what an outcome means
 *   download.c        the manager's public API (download.h)
 *
 * A file calls only the files below it (and those of download-private.h,
 * below them all); the callbacks of the lower modules (a fetch's ops, the
 * finishing job's done) are how news travels up. */
#ifndef GNUT_DOWNLOAD_MANAGER_H
#define GNUT_DOWNLOAD_MANAGER_H

#include "download-private.h"

#include "gnut/base/rate-limit.h"

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
	guint failures;      /* errors in a row without data */
	gint64 next_try_us;
	gboolean dead;
} gnut_dl_source;

/* One download of the manager. Reference counted for the finishing job's
 * callback, which may come after the manager is gone. */
typedef struct {
	gint refs;
	gnut_downloads *mgr; /* NULL once the manager is gone */
	guint64 id;
	uint8_t sha1[GNUT_SHA1_LEN];
	char *name; /* sanitised */
	guint64 size;
	char *to_dir;
	char *partial;
	char *final_path;
	char *error;      /* why it failed */
	char *last_error; /* the last source error, for the failure message */
	GArray *done;     /* gnut_download_range: sorted, disjoint, not adjacent */
	guint64 done_bytes;
	GPtrArray *sources;   /* gnut_dl_source; never shrinks (a source is marked dead) */
	gint64 wait_until_us; /* while sources is empty: when to stop waiting for one */
	gnut_download_state state;
	int fd;
	gboolean unsynced; /* written since the last fdatasync */
	gnut_download_fetch *fetch;
	gnut_dl_source *fetch_src;
	gnut_dl_source *push_src;  /* a push was asked for it: waiting for its GIV */
	gint64 push_until_us;      /* while push_src: when to stop waiting */
	gnut_download_verify *job; /* while verifying */
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
	guint source_wait_s;
	guint push_wait_s;
	gboolean tls;
	gnut_rate_limit *limit; /* all downloads together */
	GPtrArray *all;         /* gnut_dl, in id order */
	guint64 next_id;
	guint64 bytes_in;
	GSource *schedule_src;
	GSource *save_src;
	gnut_downloads_notify_fn notify;
	gpointer notify_data;
	gnut_downloads_push_fn push;
	gpointer push_data;
};

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

/* ---- download-save.c ---- */

/* Syncs the partial files, then writes the state of every download in
 * progress: the file never claims bytes that are not on the disk. */
gboolean gnut_downloads_save_now(gnut_downloads *m, GError **error);
/* The same, with a warning for an error. */
void gnut_downloads_save_or_warn(gnut_downloads *m);
/* Saves within a few seconds (progress is not worth a write per chunk). */
void gnut_downloads_save_later(gnut_downloads *m);

/* ---- download-item.c ---- */

/* A queued download of the manager, without sources yet (its wait for one
 * starts now); name is sanitised. */
gnut_dl *gnut_dl_new(gnut_downloads *m, guint64 id, const uint8_t sha1[GNUT_SHA1_LEN],
                     const char *name, guint64 size, const char *to_dir);
gnut_dl *gnut_dl_ref(gnut_dl *d);
void gnut_dl_unref(gnut_dl *d);
/* Adds a checked source; one already known is revived instead. */
void gnut_dl_merge_source(gnut_dl *d, const gnut_download_source *src);
/* Sources not given up on. */
guint gnut_dl_count_alive(const gnut_dl *d);
/* Changes the state, telling the owner when notify is set. */
void gnut_dl_set_state(gnut_dl *d, gnut_download_state state, gboolean notify);
/* Opens (creating) the partial file if it is not open; FALSE, with errno,
 * when it cannot be. */
gboolean gnut_dl_open_partial(gnut_dl *d);
/* Closes the partial file without syncing it (about to be deleted, or the
 * finishing job syncs it). */
void gnut_dl_close_partial(gnut_dl *d);
/* Closes the partial file between fetches, its bytes synced first. */
void gnut_dl_release_partial(gnut_dl *d);
/* Stops the fetch or the wait for a GIV, if any. */
void gnut_dl_stop_transfer(gnut_dl *d);
/* Ends a download for good: its partial file goes, its error stays. */
void gnut_dl_fail(gnut_dl *d, const char *why, gboolean notify);
/* Every byte is here: hands the file to the finishing job. */
void gnut_dl_start_verify(gnut_dl *d);
/* Stops the finishing job, if any, and waits for it: TRUE when the file
 * was moved into place all the same (it is at d->final_path). */
gboolean gnut_dl_stop_verify(gnut_dl *d);

/* ---- download-sched.c ---- */

/* Runs the scheduler from an idle callback. */
void gnut_downloads_schedule_soon(gnut_downloads *m);
/* Fetches from src, waited for by d, over conn: the connection the source
 * opened with a GIV (takes over conn and the caller's reference). */
void gnut_dl_fetch_over_giv(gnut_dl *d, gnut_conn *conn);

#endif
