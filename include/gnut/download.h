/* download.h: downloads, the HTTP client side of Gnutella file transfers.
 *
 * A gnut_downloads manager, owned by the servent, keeps every download of
 * the session. A download is a file named by its SHA-1, with a size, a name
 * and one or more sources (servents that offered it in a query hit). Its
 * data lives in <data_dir>/incomplete/<BASE32 SHA-1>.part and is tracked as
 * a set of done byte ranges, so that a restart resumes it and several
 * sources can later fill different ranges. One source at a time is asked
 * for 1 MiB ranges over a kept-alive HTTP/1.1 connection; a source that
 * fails is retried with back-off, and the download fails when every source
 * has failed. A complete file is checked against its SHA-1 in a worker
 * thread and moved to its target folder under a sanitised, free name.
 *
 * Downloads in progress (urn, name, size, done ranges, sources, target
 * folder) are written atomically to <data_dir>/downloads.xml so that a
 * restart on the same data dir picks them up where they were.
 *
 * Everything runs on the thread-default main context current when the
 * manager is created.
 *
 * The second half of this header is the interface between the three files
 * of the module (download.c: the manager; download-http.c: the HTTP
 * exchange with one source; download-store.c: the state file); nothing
 * outside them should need it. */
#ifndef GNUT_DOWNLOAD_H
#define GNUT_DOWNLOAD_H

#include <gio/gio.h>
#include <glib.h>
#include <stdint.h>

#include "gnut/clock.h"
#include "gnut/guid.h"
#include "gnut/head.h"

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
} gnut_download_state;

/* "queued", "connecting", ... (the names of the JSON contract). */
const char *gnut_download_state_name(gnut_download_state state);
/* TRUE for complete, failed and cancelled. */
gboolean gnut_download_state_is_final(gnut_download_state state);

#define GNUT_DOWNLOAD_CHUNK       (1024 * 1024)                 /* bytes asked per request */
#define GNUT_DOWNLOAD_MAX_SIZE    (G_GUINT64_CONSTANT(1) << 50) /* bytes in one file */
#define GNUT_DOWNLOAD_MAX_SOURCES 64                            /* per download */
#define GNUT_DOWNLOAD_MAX_NAME    1024                          /* bytes of a source's name */
#define GNUT_DOWNLOAD_MAX_HOST    255                           /* bytes of a source's host */

/* Where a download can be fetched from. The strings belong to whoever fills
 * the struct; the manager copies them. */
typedef struct {
	const char *host;  /* IPv4 or IPv6 literal, or a host name */
	guint16 port;      /* not 0 */
	guint32 index;     /* file index at the source, for /get/<index>/<name> */
	const char *name;  /* the file's name at the source; NULL: no /get/ form */
	gboolean get_only; /* the source gave no URN: ask /get/<index>/<name> only */
	gboolean has_guid; /* the servent GUID is known (for a push, later) */
	gnut_guid guid;
} gnut_download_source;

/* Checks a source as gnut_downloads_add does: host of 1 to
 * GNUT_DOWNLOAD_MAX_HOST letters, digits, '.', '-' or ':' (IPv6), a port,
 * a name (NULL, or 1 to GNUT_DOWNLOAD_MAX_NAME bytes of UTF-8 text without
 * control characters or noncharacters), and a name when get_only. Errors:
 * INVALID. */
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
	char *error;   /* why it failed, or NULL */
	guint sources; /* sources not given up on */
} gnut_download_status;

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
/* Bytes per second over all downloads, 0 = unlimited; applies at once. */
void gnut_downloads_set_limit(gnut_downloads *m, guint64 bytes_per_s);

/* Adds a download of the file with this SHA-1, or adds the sources to the
 * download of it still in progress. name is sanitised (filename.h) for the
 * final file; to_dir (absolute) is the target folder, NULL for the manager's.
 * A source's name that gnut_download_source_check refuses is dropped (the
 * URN form needs none); a source that is still refused is skipped, but one
 * at least must be usable. Returns the download's id (never 0), or 0 with
 * INVALID. */
guint64 gnut_downloads_add(gnut_downloads *m, const uint8_t sha1[20], const char *name,
                           guint64 size, const char *to_dir, const gnut_download_source *sources,
                           guint n_sources, GError **error);
/* Adds one source to a download in progress (a known host:port is kept
 * once, and revived if it was given up), checked as in gnut_downloads_add.
 * Errors: NOT_FOUND, INVALID. */
gboolean gnut_downloads_add_source(gnut_downloads *m, guint64 id, const gnut_download_source *src,
                                   GError **error);
/* Stops a download and deletes its partial file. A download being
 * verified waits for its worker (at most a chunk): if the file was already
 * moved into place the download is complete instead. Errors: NOT_FOUND, and
 * INVALID for a download complete (then or before), failed or cancelled. */
gboolean gnut_downloads_cancel(gnut_downloads *m, guint64 id, GError **error);

/* Fills *out (clear it with gnut_download_status_clear); FALSE: no such id. */
gboolean gnut_downloads_get(gnut_downloads *m, guint64 id, gnut_download_status *out);
/* Every download of the session in id order: gnut_download_status items. */
GPtrArray *gnut_downloads_list(gnut_downloads *m);
/* Body bytes received since the manager was created. */
guint64 gnut_downloads_bytes_in(const gnut_downloads *m);
/* Writes downloads.xml now (after syncing the partial files). */
gboolean gnut_downloads_save(gnut_downloads *m, GError **error);

/* ---- Between download.c, download-http.c and download-store.c ---- */

/* A half-open byte range [start, end). */
typedef struct {
	guint64 start, end;
} gnut_download_range;

/* One HTTP exchange with one source: connect, then ask ranges one after the
 * other on the kept-alive connection until the owner has nothing left to
 * ask or something goes wrong; body bytes go to the owner as they arrive. */
typedef struct gnut_download_fetch gnut_download_fetch;

typedef enum {
	GNUT_DOWNLOAD_FETCH_DONE,       /* the owner had nothing left to ask */
	GNUT_DOWNLOAD_FETCH_CLOSED,     /* the source ended the connection after
	                                   serving data: reconnect */
	GNUT_DOWNLOAD_FETCH_BUSY,       /* 503: try again after retry_after_s */
	GNUT_DOWNLOAD_FETCH_NOT_FOUND,  /* 404 or 410 to the request form used */
	GNUT_DOWNLOAD_FETCH_BAD_RANGE,  /* 416: the source lacks the range */
	GNUT_DOWNLOAD_FETCH_WRONG_FILE, /* another size or URN than ours */
	GNUT_DOWNLOAD_FETCH_ERROR,      /* connection or protocol error */
	GNUT_DOWNLOAD_FETCH_LOCAL,      /* our write callback failed */
} gnut_download_fetch_outcome;

typedef struct {
	gnut_download_fetch_outcome outcome;
	guint retry_after_s; /* BUSY: what the source asked (0: did not say) */
	guint64 received;    /* body bytes handed to the write callback */
	const GError *error; /* ERROR, LOCAL and WRONG_FILE: why; else NULL */
} gnut_download_fetch_result;

typedef struct {
	/* The next range to ask for ([*start, *start + *len), *len >= 1), or
	 * FALSE when nothing is missing. */
	gboolean (*next_range)(gpointer user_data, guint64 *start, guint64 *len);
	/* Body bytes for offset; FALSE with *error stops the fetch (LOCAL). */
	gboolean (*write)(gpointer user_data, guint64 offset, const guint8 *data, gsize len,
	                  GError **error);
	/* How many of want bytes may be taken now (the rate limit); 0 with
	 * *wait_us set: try again that much later. */
	gsize (*budget)(gpointer user_data, gsize want, gint64 *wait_us);
	/* The source accepted a request and data follows (first time only). */
	void (*receiving)(gpointer user_data);
	/* The fetch is over (called once, from the main loop, never inside a
	 * gnut_download_fetch_* call); the owner may free it from here. */
	void (*done)(gpointer user_data, const gnut_download_fetch_result *result);
} gnut_download_fetch_ops;

typedef struct {
	const char *host;
	guint16 port;
	const uint8_t *sha1; /* 20 bytes */
	guint64 size;
	gboolean use_get; /* ask /get/<index>/<name> instead of /uri-res/N2R? */
	guint32 index;
	const char *name; /* required with use_get */
	guint connect_timeout_s;
	guint idle_timeout_s;
	gnut_clock *clock; /* borrowed */
} gnut_download_fetch_params;

/* Starts connecting (the params' strings are copied). */
gnut_download_fetch *gnut_download_fetch_start(const gnut_download_fetch_params *params,
                                               const gnut_download_fetch_ops *ops,
                                               gpointer user_data);
/* Stops at once, closing the connection, without calling done. */
void gnut_download_fetch_free(gnut_download_fetch *f);

/* A request as gnut_download_reply_judge needs it: [start, start + len) of
 * the file of this size and SHA-1 (len >= 1, within the size). */
typedef struct {
	const uint8_t *sha1;
	guint64 size;
	guint64 start, len;
} gnut_download_request;

/* What a reply head means (see gnut_download_reply_judge). */
typedef struct {
	gboolean data;                       /* TRUE: a body of [start, start + len) follows */
	gnut_download_fetch_outcome outcome; /* else: BUSY, NOT_FOUND, BAD_RANGE, WRONG_FILE
	                                        or ERROR */
	guint64 start, len;                  /* within the request, len >= 1 */
	gboolean close_after;                /* the connection cannot be used again */
	guint retry_after_s;                 /* BUSY: what the source asked, 0 if nothing */
} gnut_download_reply;

/* Judges the reply head h to the request rq, without I/O: 200/206 with the
 * right file and a range inside the request (a 200 without Content-Range
 * only for a request from 0: the whole file, of which the request's bytes
 * are taken), 503 + Retry-After, 404/410, 416; anything else, or a
 * Content-Length that does not match, is ERROR. *error (PROTOCOL) says why
 * for ERROR and WRONG_FILE. */
void gnut_download_reply_judge(const gnut_head *h, const gnut_download_request *rq,
                               gnut_download_reply *out, GError **error);

/* A download as downloads.xml keeps it. The sources' strings are owned by
 * the record (gnut_download_record_free frees them). */
typedef struct {
	guint64 id;
	uint8_t sha1[20];
	char *name;
	guint64 size;
	char *to_dir;    /* NULL: the manager's download folder */
	GArray *ranges;  /* gnut_download_range, done bytes */
	GArray *sources; /* gnut_download_source */
} gnut_download_record;

#define GNUT_DOWNLOAD_STORE_MAX_BYTES     (8 * 1024 * 1024) /* size of downloads.xml read */
#define GNUT_DOWNLOAD_STORE_MAX_DOWNLOADS 4096
#define GNUT_DOWNLOAD_STORE_MAX_RANGES    4096 /* per download */

gnut_download_record *gnut_download_record_new(void);
void gnut_download_record_free(gpointer record);

/* Writes records (gnut_download_record items) to path atomically. */
gboolean gnut_download_store_save(const char *path, GPtrArray *records, GError **error);
/* Reads path back: a GPtrArray of records (free function set). A missing
 * file is an empty array. A file over the caps, not XML, or not ours is
 * STATE; a record that does not make sense (bad URN, range past the size,
 * no valid source) is skipped with a warning. */
GPtrArray *gnut_download_store_load(const char *path, GError **error);

#endif
