/* download-private.h: the lower files of the downloads module, which
 * nothing outside the module (but its tests and fuzz targets) should need.
 * None of them knows the manager; the manager's files (download-manager.h)
 * call them, never the other way round:
 *
 *   download-basics.c  the error domain, state names, source and text checks
 *   download-ranges.c  the set of done byte ranges
 *   download-http.c    one HTTP exchange with one source (gnut_download_fetch,
 *                      whose reply heads gnut_download_reply_judge reads
 *                      without I/O)
 *   download-store.c   downloads.xml: records of downloads in progress,
 *                      saved and loaded (gnut_download_record)
 *   download-verify.c  the finishing job: hash the partial file and move it
 *                      into place in a worker thread
 *
 * The public side is include/gnut/core/transfer/download.h. */
#ifndef GNUT_DOWNLOAD_PRIVATE_H
#define GNUT_DOWNLOAD_PRIVATE_H

#include <glib.h>
#include <stdint.h>

#include "gnut/base/clock.h"
#include "gnut/core/transfer/download.h"
#include "gnut/core/transfer/thex-verify.h"
#include "gnut/net/conn.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"

/* ---- download-basics.c ---- */

/* Text that may go into the state file and a header: 1 to max bytes of
 * valid UTF-8, no control character, no noncharacter (XML cannot hold
 * those). */
gboolean gnut_download_text_is_clean(const char *s, gsize max);
/* Sets an IO error "<what> <path>: <strerror(errno)>" and returns FALSE. */
gboolean gnut_download_io_error(GError **error, const char *what, const char *path);

/* ---- download-ranges.c ---- */

/* A half-open byte range [start, end). */
typedef struct {
	guint64 start, end;
} gnut_download_range;

/* Marks [start, end) done in set (gnut_download_range items: sorted,
 * disjoint, not adjacent), merging with overlapping or adjacent ranges;
 * returns how many of those bytes were not done before. */
guint64 gnut_download_ranges_add(GArray *set, guint64 start, guint64 end);
/* Unmarks [start, end) in set. */
void gnut_download_ranges_remove(GArray *set, guint64 start, guint64 end);
/* The first run of bytes of [from, to) that set lacks: [*start, *start +
 * *len); FALSE when set has all of [from, to). */
gboolean gnut_download_ranges_missing_in(const GArray *set, guint64 from, guint64 to,
                                         guint64 *start, guint64 *len);
/* How many bytes of [from, to) set has. */
guint64 gnut_download_ranges_count_in(const GArray *set, guint64 from, guint64 to);
/* The whole chunks (aligned on chunk bytes from 0; the last one may be
 * short: it ends at size) that set has, merged, appended to out as
 * inclusive gnut_http_range items, at most max of them (the first ones):
 * what partial file sharing offers of a download. */
void gnut_download_ranges_whole_chunks(const GArray *set, guint64 size, guint64 chunk, GArray *out,
                                       guint max);

/* ---- download-http.c ---- */

/* One HTTP exchange with one source: connect (or take a connection the
 * source opened to us, after a push), then ask ranges one after the other
 * on the kept-alive connection until the owner has nothing left to ask or
 * something goes wrong; body bytes go to the owner as they arrive. */
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
	gboolean tls_failed; /* TLS was asked and failed: the fetch went on in plain */
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
	/* A reply head, before it is judged (whatever its status: a busy
	 * source's mesh headers are as good as a serving one's): the owner
	 * reads X-Alt, X-Nalt, X-Thex-URI from it. May be NULL. */
	void (*reply_head)(gpointer user_data, const gnut_head *h);
	/* Headers of the owner's own to add to a request (X-Alt, X-Nalt).
	 * May be NULL. */
	void (*request_head)(gpointer user_data, gnut_head *h);
	/* The fetch is over (called once, from the main loop, never inside a
	 * gnut_download_fetch_* call); the owner may free it from here. */
	void (*done)(gpointer user_data, const gnut_download_fetch_result *result);
} gnut_download_fetch_ops;

typedef struct {
	const char *host;    /* gnut_download_fetch_start only */
	guint16 port;        /* gnut_download_fetch_start only */
	const uint8_t *sha1; /* GNUT_SHA1_LEN bytes */
	guint64 size;
	gboolean use_get; /* ask /get/<index>/<name> instead of /uri-res/N2R? */
	guint32 index;
	const char *name; /* required with use_get */
	guint connect_timeout_s;
	guint idle_timeout_s;
	gnut_clock *clock; /* borrowed */
	gboolean tls;      /* gnut_download_fetch_start: TLS from the first byte, and
	                      once more in plain if the TLS handshake fails */
} gnut_download_fetch_params;

/* Starts connecting (the params' strings are copied). */
gnut_download_fetch *gnut_download_fetch_start(const gnut_download_fetch_params *params,
                                               const gnut_download_fetch_ops *ops,
                                               gpointer user_data);
/* Runs the exchange over conn, a connection the source opened (a GIV):
 * takes over conn and the caller's reference, and stops its previous
 * owner's callbacks at once. params->host and port are not used (the Host
 * header and error messages name conn's peer), nor connect_timeout_s.
 * Input already buffered in conn is read as the start of the first reply.
 * The first request goes out from the main loop, so done, too, never comes
 * inside this call. */
gnut_download_fetch *gnut_download_fetch_start_on(gnut_conn *conn,
                                                  const gnut_download_fetch_params *params,
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

/* ---- download-store.c ---- */

/* A download as downloads.xml keeps it. The sources' strings are owned by
 * the record (gnut_download_record_free frees them). */
typedef struct {
	guint64 id;
	uint8_t sha1[GNUT_SHA1_LEN];
	char *name;
	guint64 size;
	char *to_dir;    /* NULL: the manager's download folder */
	GArray *ranges;  /* gnut_download_range, done bytes */
	GArray *sources; /* gnut_download_source; empty: waiting for sources */
	gboolean paused; /* paused by the user */
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
 * sources listed but none of them valid) is skipped with a warning. A
 * record that lists no source at all is a download waiting for sources,
 * and loads with an empty sources array. */
GPtrArray *gnut_download_store_load(const char *path, GError **error);

/* ---- download-verify.c ---- */

/* The finishing job of a complete download: in a worker thread, hash the
 * first size bytes of the partial file against sha1 (a mismatch leaves it
 * where it is, for the manager to fetch again), sync it, and move it to a free name
 * in dir (created if need be), by rename or, across file systems, by copy.
 * The strings are copied. */
typedef struct {
	const char *partial;
	const uint8_t *sha1; /* GNUT_SHA1_LEN bytes */
	guint64 size;
	const char *dir;
	const char *name; /* sanitised */
} gnut_download_verify_params;

typedef struct gnut_download_verify gnut_download_verify;

/* The job is over: the file is at path, or error (IO, CORRUPT, or
 * G_IO_ERROR_CANCELLED) says why not. Called from the main context current
 * at the start, once, even after gnut_download_verify_stop (which has
 * already told the outcome; job is then no longer the caller's). */
typedef void (*gnut_download_verify_done_fn)(gnut_download_verify *job, const char *path,
                                             const GError *error, gpointer user_data);

gnut_download_verify *gnut_download_verify_start(const gnut_download_verify_params *params,
                                                 gnut_download_verify_done_fn done,
                                                 gpointer user_data);
/* Cancels the job and waits for its worker, which stops within a chunk:
 * the caller then knows for sure whether the file was moved into place.
 * Returns where it went (g_free it), or NULL. */
char *gnut_download_verify_stop(gnut_download_verify *job);

/* ---- download-check.c: a completed chunk's tree check, off the main loop ---- */

/* The verdict: bad holds the byte ranges (half-open gnut_download_range)
 * of the bad slices (empty: good), or it is NULL and error says why the
 * file could not be read. verifier is the one checked against. */
typedef void (*gnut_download_check_done_fn)(gnut_thex_verifier *verifier, const GArray *bad,
                                            const GError *error, gpointer user_data);
/* Checks the slices inside [start, end) of the file open as fd against
 * verifier in a worker thread; done comes on the calling thread's main
 * context. FALSE (nothing started) when fd cannot be duplicated. */
gboolean gnut_download_check_start(gnut_thex_verifier *verifier, int fd, guint64 start, guint64 end,
                                   gnut_download_check_done_fn done, gpointer user_data);

#endif
