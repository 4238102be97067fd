/* download.h: downloads, the HTTP client side of Gnutella file transfers.
 *
 * A gnut_downloads manager, owned by the servent, keeps every download of
 * the session. A download is a file named by its SHA-1, with a size, a name
 * and up to GNUT_DOWNLOAD_MAX_SOURCES sources (servents that offered it in
 * a query hit, an X-Alt header, or a later hit for its URN). Its data lives
 * in <data_dir>/incomplete/<BASE32 SHA-1>.part and is tracked as a set of
 * done byte ranges.
 *
 * Swarming: the file is cut into GNUT_DOWNLOAD_CHUNK chunks (aligned, so a
 * Tiger-tree verifier can check each one); up to max_sources sources fetch
 * at once, each a chunk nobody else has, over kept-alive HTTP/1.1
 * connections. When no free chunk is left, an idle source races the chunk
 * another has most left of (the first to complete it wins, the other is
 * cut): a stalled source's range is so fetched again elsewhere. A source
 * that fails backs off (doubling up to retry_max_s) and is tried again; one
 * that does not have the file, serves another, or sends data that fails a
 * check is given up. A download whose sources are all given up, or that
 * never had one, does not fail: it is "waiting", and asks its owner to
 * search for sources by URN every search_interval_s; its partial file is
 * kept until it is cancelled.
 *
 * Never lose data: the partial file is synced (fdatasync) before
 * downloads.xml, written atomically, claims its bytes; that happens when a
 * chunk completes (at most every few hundred ms) and every few seconds
 * while data flows, so that after a crash nothing recorded is fetched
 * again. A write that fails (disk full) pauses the download with the
 * reason; it is tried again every retry_max_s, or at once by
 * gnut_downloads_resume. A complete file is checked against its SHA-1 in a
 * worker thread and moved to its target folder under a sanitised, free
 * name; a mismatch does not deliver the file, nor discard it: with a Tiger
 * tree only the slices it finds bad are fetched again; without one (or when
 * the tree finds nothing bad: it lied, and is dropped) the sources that
 * served its bytes this session are given up and every byte is fetched
 * again from the others (or from new ones, waiting).
 *
 * Tiger trees: the root of the first source's X-Thex-URI is the one the
 * download trusts (the final SHA-1 is what protects against a first source
 * that lies); the tree is fetched once (thex-fetch.h) from a source naming
 * that root, not persisted (fetched again after a restart, when every
 * recorded byte is checked against it), and each chunk is checked against
 * it as it completes; a bad slice is fetched again elsewhere and the
 * sources that wrote into its chunk given up, taken out of the mesh and
 * named in X-Nalt. Without a tree, the chunk verifier (if set) checks.
 *
 * The mesh (config.mesh, shared with uploads): sources' X-Alt (compact and
 * legacy) enter it and the download's sources, X-Nalt leaves it; sources of
 * good chunks join it; requests carry X-Alt from it (never the source's own
 * address) and X-Nalt with the sources found bad.
 *
 * Partial file sharing (config.partials): a download in progress or
 * paused offers its whole chunks that are durable (synced, as
 * downloads.xml claims them) and, when it has a Tiger tree, checked
 * against it; while its tree is on its way it offers nothing; without a
 * tree (the source offered none, or it was dropped) its durable chunks are
 * offered unverified, as gtk-gnutella does: whoever fetches them checks
 * them against its own tree or the SHA-1. The offer is renewed at each
 * save, taken back at once when a check undoes bytes, and withdrawn when
 * the download is verified, complete, cancelled or the manager goes.
 * From a source that sends X-Available-Ranges (a partial source), only
 * chunks inside those ranges are asked for; a 416 with the header is not a
 * failure, and a partial source with nothing new for us is asked again
 * (a ranges probe) 15 s later, as its ranges grow.
 *
 * The manager never learns a size from its sources (a source serving
 * another size is given up as the wrong file).
 *
 * Upload queues (doc/gnutella/PARQ): every request says X-Queue: 1.1. A
 * source whose 503 carries X-Queued with a position has a place for us in
 * its queue: the source is "queued" (its position and queue length in
 * gnut_downloads_sources), is asked again one second after its Retry-After,
 * never sooner, with "X-Queued: position=<ours>; ID=<its ID>", and is not
 * counted as failing. A queued source takes no place of the download while
 * it waits; when its poll is due it gets the next free place before any
 * other source, so that it keeps its place in the queue (when every place
 * is busy downloading it waits, and may lose its place: the download goes
 * on meanwhile). The ID a source gives, on a 503 or with data, is sent back
 * on every later request to it (not kept across restarts).
 *
 * Downloads in progress (urn, name, size, synced ranges, sources, target
 * folder, paused) are written atomically to <data_dir>/downloads.xml so
 * that a restart on the same data dir picks them up where they were.
 *
 * A firewalled source (its query hit had the push flag) cannot be reached:
 * when the scheduler picks one it asks the owner's push handler to send a
 * PUSH for the source's servent GUID and file index, and the download
 * waits ("connecting", a source "pushing") up to push_wait_s of the injected clock for the
 * source to connect to us and say GIV. The owner's listener hands that
 * connection over with gnut_downloads_take_giv, and the HTTP exchange
 * then runs over it as over a connection we made. Every later attempt
 * from such a source (after the connection closed, a 503, an error) is a
 * new push. A push that brings no GIV in time counts as a failed attempt
 * ("no GIV after push", with back-off); without a push handler a
 * firewalled source is given up when the scheduler meets it.
 *
 * Everything runs on the thread-default main context current when the
 * manager is created.
 *
 * The module's own files share two private headers in src/core/transfer/:
 * download-private.h (the lower files: the HTTP exchange with one source,
 * the state file, the finishing job, the done ranges) and
 * download-manager.h (the manager's files above them). */
#ifndef GNUT_DOWNLOAD_H
#define GNUT_DOWNLOAD_H

#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>

#include "gnut/base/clock.h"
#include "gnut/core/share/partials.h"
#include "gnut/core/transfer/mesh.h"
#include "gnut/net/conn.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/guid.h"

#define GNUT_DOWNLOAD_ERROR (gnut_download_error_quark())
GQuark gnut_download_error_quark(void);

typedef enum {
	GNUT_DOWNLOAD_ERROR_INVALID,   /* a bad argument: URN, size, source, folder */
	GNUT_DOWNLOAD_ERROR_NOT_FOUND, /* no download with that id */
	GNUT_DOWNLOAD_ERROR_IO,        /* our disk: partial file, target folder */
	GNUT_DOWNLOAD_ERROR_SOURCES,   /* every source failed */
	GNUT_DOWNLOAD_ERROR_PROTOCOL,  /* a source broke the HTTP exchange */
	GNUT_DOWNLOAD_ERROR_CORRUPT,   /* the data does not match the SHA-1 */
	GNUT_DOWNLOAD_ERROR_STATE,     /* the state file cannot be read */
} gnut_download_error;

typedef enum {
	GNUT_DOWNLOAD_QUEUED,      /* waiting for a slot or a source's retry time */
	GNUT_DOWNLOAD_CONNECTING,  /* connecting to a source, or waiting for its reply */
	GNUT_DOWNLOAD_DOWNLOADING, /* receiving data */
	GNUT_DOWNLOAD_VERIFYING,   /* every byte is here: checking the SHA-1 and moving */
	GNUT_DOWNLOAD_COMPLETE,
	GNUT_DOWNLOAD_FAILED,
	GNUT_DOWNLOAD_CANCELLED,
	GNUT_DOWNLOAD_WAITING, /* no usable source: searching for sources by URN */
	GNUT_DOWNLOAD_PAUSED,  /* by the user, or by a local error (disk full) */
} gnut_download_state;

/* "queued", "connecting", ... (the names of the JSON contract). */
const char *gnut_download_state_name(gnut_download_state state);
/* TRUE for complete, failed and cancelled. */
gboolean gnut_download_state_is_final(gnut_download_state state);

#define GNUT_DOWNLOAD_MAX_SIZE    (G_GUINT64_CONSTANT(1) << 50) /* bytes in one file */
#define GNUT_DOWNLOAD_MAX_SOURCES 64                            /* per download */
#define GNUT_DOWNLOAD_MAX_NAME    1024                          /* bytes of a source's name */
#define GNUT_DOWNLOAD_MAX_HOST    255                           /* bytes of a source's host */
#define GNUT_DOWNLOAD_MAX_SWARM   16            /* sources fetching one file at once */
#define GNUT_DOWNLOAD_CHUNK       (1024 * 1024) /* bytes of a chunk (1024 Tiger leaves) */

/* Where a download can be fetched from. The strings belong to whoever fills
 * the struct; the manager copies them. */
typedef struct {
	const char *host;    /* IPv4 or IPv6 literal, or a host name */
	guint16 port;        /* not 0, unless firewalled */
	guint32 index;       /* file index at the source, for /get/<index>/<name> */
	const char *name;    /* the file's name at the source; NULL: no /get/ form */
	gboolean get_only;   /* the source gave no URN: ask /get/<index>/<name> only */
	gboolean has_guid;   /* the servent GUID is known */
	gnut_guid guid;      /* the servent GUID (of the query hit) */
	gboolean firewalled; /* reached by a push only (needs has_guid); host and
	                        port then only name it */
	gboolean tls;        /* it accepts TLS (GGEP TLS in its hit): connect in TLS,
	                        falling back to plain once if its TLS fails */
} gnut_download_source;

/* Checks a source as gnut_downloads_add does: host of 1 to
 * GNUT_DOWNLOAD_MAX_HOST letters, digits, '.', '-' or ':' (IPv6), a port
 * (any, 0 included, for a firewalled source), a name (NULL, or 1 to
 * GNUT_DOWNLOAD_MAX_NAME bytes of UTF-8 text without control characters or
 * noncharacters), a name when get_only, and a GUID when firewalled.
 * Errors: INVALID. */
gboolean gnut_download_source_check(const gnut_download_source *src, GError **error);

/* A snapshot of one download, for `gnut downloads` (g_free'd strings). */
typedef struct {
	guint64 id;
	char *name;
	char *urn; /* "urn:sha1:..." */
	guint64 size;
	guint64 done; /* bytes on disk */
	gnut_download_state state;
	char *path;    /* the final file once complete, else the partial file */
	char *error;   /* why it is paused (or failed); waiting: the last source error */
	guint sources; /* sources not given up on (0 while waiting for one) */
	guint active;  /* sources connected now */
	guint64 rate;  /* bytes per second received lately */
	gint64 eta_s;  /* seconds left at that rate, -1 when unknown */
} gnut_download_status;

/* One source of a download, for `gnut sources ID` (g_free'd strings). */
typedef struct {
	char *host;
	guint16 port;
	gboolean firewalled;
	const char *state;              /* "downloading", "connecting", "pushing", "ready",
	                                   "backoff", "queued", "dropped" */
	char *error;                    /* the last error, or why it was dropped; NULL */
	guint64 received;               /* body bytes from it this session */
	guint failures;                 /* errors in a row */
	gint64 retry_in_s;              /* "backoff", "queued": seconds until the next try */
	guint queue_position;           /* "queued": our place in its upload queue (1: next) */
	guint queue_length;             /* "queued": entries in its queue (0: not said) */
	guint64 range_start, range_end; /* the chunk it fetches [start, end), or 0, 0 */
} gnut_download_source_status;

void gnut_download_source_status_free(gpointer st);

void gnut_download_status_clear(gnut_download_status *st);
/* For GPtrArray free functions. */
void gnut_download_status_free(gpointer st);

typedef struct {
	const char *data_dir;     /* downloads.xml and incomplete/ (required) */
	const char *download_dir; /* default target folder; NULL: data_dir/downloads */
	guint64 download_limit;   /* bytes per second over all downloads, 0 = unlimited */
	guint max_active;         /* downloads fetching at once; 0: 4 */
	guint connect_timeout_s;  /* 0: 20 s */
	guint idle_timeout_s;     /* a source silent this long is dropped; 0: 60 s */
	guint max_sources;        /* sources fetching one file at once; 0: 4
	                             (at most GNUT_DOWNLOAD_MAX_SWARM) */
	guint retry_max_s;        /* longest back-off of a failing source, and the
	                             period of a paused-by-error download's retry;
	                             0: 600 s */
	guint search_interval_s;  /* a download short of sources asks for a URN
	                             search this often; 0: 300 s */
	gboolean allow_local;     /* X-Alt sources at local addresses may be dialed */
	guint push_wait_s;        /* how long a push waits for its GIV; 0: 30 s */
	gboolean tls;             /* TLS on: connect TLS-first to sources that accept it */
	gnut_mesh *mesh;          /* the download mesh shared with uploads (borrowed,
	                             outlives the manager); NULL: none */
	gnut_partials *partials;  /* where downloads in progress offer their verified,
	                             durable whole chunks to others (partial file
	                             sharing; borrowed, outlives the manager); NULL:
	                             nothing is offered */
} gnut_downloads_config;

typedef struct gnut_downloads gnut_downloads;

/* Called from the main loop when a download changes state by itself
 * (never for the change a gnut_downloads_* call makes). */
typedef void (*gnut_downloads_notify_fn)(gnut_downloads *m, guint64 id, gnut_download_state state,
                                         gpointer user_data);

/* Creates the data folders, loads downloads.xml (a damaged file is renamed
 * downloads.xml.bad, with a warning) and queues the downloads it lists.
 * clock is borrowed and must outlive the manager. Errors: IO. */
gnut_downloads *gnut_downloads_new(const gnut_downloads_config *config, gnut_clock *clock,
                                   GError **error);
/* Stops every transfer (no notification; a verification is cancelled and
 * waited for, at most a chunk), saves the state of those in progress so
 * that a new manager resumes them, and frees everything. */
void gnut_downloads_free(gnut_downloads *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_downloads, gnut_downloads_free)

void gnut_downloads_set_notify(gnut_downloads *m, gnut_downloads_notify_fn fn, gpointer user_data);

/* Asked to send a PUSH for the file index at the firewalled servent named
 * servent (the GUID of its query hit). Called from the main loop, never
 * inside a gnut_downloads_* call; it may call gnut_downloads_take_giv at
 * once, but must not free the manager. */
typedef void (*gnut_downloads_push_fn)(gnut_downloads *m, const gnut_guid *servent, guint32 index,
                                       gpointer user_data);
/* Sets (or, with NULL, removes) the push handler. Set it before the main
 * loop runs: a firewalled source the scheduler meets while there is none is
 * given up ("no push handler"). */
void gnut_downloads_set_push_handler(gnut_downloads *m, gnut_downloads_push_fn fn,
                                     gpointer user_data);
/* A firewalled servent connected to us and said "GIV index:guid/name"
 * (the caller has consumed that line and its empty line). When a download
 * waits for a GIV from that servent GUID, it takes over conn and the
 * caller's reference, and asks its ranges over it; the index breaks a tie
 * between downloads waiting for the same servent, but need not match (a
 * push proxy's PUSH carries index 0). Input already buffered in conn is
 * left as it is. FALSE, conn untouched and still the caller's, when no
 * download waits for that servent. */
gboolean gnut_downloads_take_giv(gnut_downloads *m, gnut_conn *conn, const gnut_guid *servent,
                                 guint32 index);
/* Asked to search the network for sources of this SHA-1 (the hits come
 * back through gnut_downloads_add_source). Called from the main loop at
 * most every search_interval_s per download. */
typedef void (*gnut_downloads_find_fn)(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN],
                                       gpointer user_data);
void gnut_downloads_set_source_finder(gnut_downloads *m, gnut_downloads_find_fn fn,
                                      gpointer user_data);

typedef enum {
	GNUT_DOWNLOAD_CHUNK_UNKNOWN, /* no way to tell (no tree for this file yet) */
	GNUT_DOWNLOAD_CHUNK_GOOD,
	GNUT_DOWNLOAD_CHUNK_BAD,
} gnut_download_chunk_verdict;

/* Checks one completed chunk, [offset, offset + len) of the file of this
 * SHA-1 and size, whose bytes can be read from fd (pread) before they are
 * recorded. A BAD chunk is fetched again, and the sources that served it
 * are given up for this file. Called from the main loop; must not call
 * back into the manager. */
typedef gnut_download_chunk_verdict (*gnut_downloads_chunk_fn)(const uint8_t sha1[GNUT_SHA1_LEN],
                                                               guint64 size, int fd, guint64 offset,
                                                               guint64 len, gpointer user_data);
void gnut_downloads_set_chunk_verifier(gnut_downloads *m, gnut_downloads_chunk_fn fn,
                                       gpointer user_data);

/* Bytes per second over all downloads, 0 = unlimited; applies at once. */
void gnut_downloads_set_limit(gnut_downloads *m, guint64 bytes_per_s);

/* Adds a download of the file with this SHA-1, or adds the sources to the
 * download of it still in progress. name is sanitised (filename.h) for the
 * final file; to_dir (absolute) is the target folder, NULL for the manager's.
 * A source's name that gnut_download_source_check refuses is dropped (the
 * URN form needs none); a source that is still refused is skipped, but
 * when sources are given one at least must be usable. With no source
 * (n_sources 0, sources may be NULL) a new download waits for one (see the
 * top of this file). Returns the download's id (never 0), or 0 with
 * INVALID. */
guint64 gnut_downloads_add(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN], const char *name,
                           guint64 size, const char *to_dir, const gnut_download_source *sources,
                           guint n_sources, GError **error);
/* Adds one source to a download in progress (a known host:port is kept
 * once, and revived if it was given up), checked as in gnut_downloads_add;
 * a download waiting for sources starts. Errors: NOT_FOUND, INVALID. */
gboolean gnut_downloads_add_source(gnut_downloads *m, guint64 id, const gnut_download_source *src,
                                   GError **error);
/* The id of the download of the file with this SHA-1 still in progress,
 * or 0. */
guint64 gnut_downloads_find(gnut_downloads *m, const uint8_t sha1[GNUT_SHA1_LEN]);

/* Stops a download and deletes its partial file (the only way a partial
 * file goes, but for a complete download's). A download being
 * verified waits for its worker (at most a chunk): if the file was already
 * moved into place the download is complete instead. Errors: NOT_FOUND, and
 * INVALID for a download complete (then or before) or cancelled. */
gboolean gnut_downloads_cancel(gnut_downloads *m, guint64 id, GError **error);

/* Stops a download's transfers and keeps it, synced, until resumed (a
 * restart keeps it paused). Errors: NOT_FOUND, INVALID when it is over or
 * verifying. */
gboolean gnut_downloads_pause(gnut_downloads *m, guint64 id, GError **error);
/* Resumes a paused download. Errors: NOT_FOUND, INVALID when not paused. */
gboolean gnut_downloads_resume(gnut_downloads *m, guint64 id, GError **error);
/* Tries every source of a download again at once, given up ones included,
 * and searches for more (a paused download resumes). Errors: NOT_FOUND,
 * INVALID when it is over or verifying. */
gboolean gnut_downloads_retry(gnut_downloads *m, guint64 id, GError **error);
/* The download's sources (gnut_download_source_status items), or NULL
 * with NOT_FOUND. */
GPtrArray *gnut_downloads_sources(gnut_downloads *m, guint64 id, GError **error);

/* Fills *out (clear it with gnut_download_status_clear); FALSE: no such id. */
gboolean gnut_downloads_get(gnut_downloads *m, guint64 id, gnut_download_status *out);
/* Every download of the session in id order: gnut_download_status items. */
GPtrArray *gnut_downloads_list(gnut_downloads *m);
/* Body bytes received since the manager was created. */
guint64 gnut_downloads_bytes_in(const gnut_downloads *m);
/* Writes downloads.xml now (after syncing the partial files). */
gboolean gnut_downloads_save(gnut_downloads *m, GError **error);

#endif
