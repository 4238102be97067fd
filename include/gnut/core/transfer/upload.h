/* upload.h: the HTTP server side of file transfers. A gnut_uploads object,
 * owned by the servent, takes over the connections whose first line is an
 * HTTP request (GET, HEAD, or any other method, which it refuses) and serves
 * shared files from them, resolved ONLY through the share index:
 *
 *   GET|HEAD /uri-res/N2R?urn:sha1:<32 base32>   by content hash
 *   GET|HEAD /get/<index>/<name>                  by index; the decoded name
 *                                                 must equal the file's name
 *   GET|HEAD /uri-res/N2X?urn:sha1:<32>[;<root>]  the file's Tiger tree: its
 *            THEX answer (thex-answer.h), 200 application/dime, from memory,
 *            whole (Range ignored), without a slot; 404 when the file has
 *            no tree
 *
 * The request path never reaches the file system: a target is either one of
 * those two forms naming a file of the index, or it is refused (404, or 400
 * when it is malformed). One more form is no file: a downloader's push-proxy
 * request (GET /gnutella/push-proxy?ServerId=... or /gnet/push-proxy?guid=...,
 * with X-Node: <IPv4>:<port>, gnut/proto/push-proxy.h) is handed to the
 * push_proxy callback, whose status is the answer (202, 400, 410, 429);
 * without a callback, or without a valid X-Node, it is 404 or 400.
 *
 * Answers (always "HTTP/1.1", with Server: gnutd/<version>, Date and
 * Content-Length):
 *   200  the whole file;  206  one range (Range: bytes=a-b, a-, -n), with
 *        Content-Range. A Range of several specs is served as a single-part
 *        206 of its first satisfiable range (no multipart): the Content-Range
 *        tells the client what it got, and Gnutella downloaders loop on ranges
 *        anyway;
 *   416  no satisfiable range, with Content-Range: "bytes " "*" "/<size>";
 *   400  a malformed request head, request line, target, URN or Range, and a
 *        head over the caps of head.h; 414 a target over GNUT_HTTP_MAX_TARGET;
 *        505 a version other than HTTP/1.x;
 *   404  a target that names no shared file, or a file that is no longer the
 *        one indexed (gnut_share_open_file: gone, changed, replaced, or a
 *        folder on its way swapped for a symlink): logged at most once a
 *        second, and the stale callback asks the owner to rescan;
 *   405  a standard method other than GET/HEAD (with Allow); 501 any other;
 *   500  a shared file that cannot be opened for another reason;
 *   503  with Retry-After when every upload slot is taken, when the
 *        client's address already has its slots_per_ip bodies under way, or
 *        when too many HTTP connections are open, in all or from the
 *        client's address (connections_per_ip): then before the request is
 *        even read. A request for a body that finds no slot is queued
 *        (upload-queue.h, unless no_queue): its 503 carries X-Queue,
 *        X-Queued (position, length, ETA, lifetime, ID) and the queue's
 *        Retry-After; a full queue, or an address with its share of it, is
 *        a plain 503. The next range of the file a connection was just
 *        served is not queued: it takes a free slot at once.
 * Successful answers carry X-Gnutella-Content-URN, Content-Type (by file
 * extension, application/octet-stream otherwise), Accept-Ranges and
 * Last-Modified, X-Thex-URI: /uri-res/N2X?urn:sha1:<32>;<Tiger root base32>
 * when the file has a tree, and X-Alt with up to 10 sources of the file from
 * the mesh (mesh.h), none on the client's own address. HEAD gets the same
 * headers as GET, without a body.
 *
 * Mesh: every request for a shared file teaches the mesh (when one is
 * given): the X-Alt entries and legacy alternate locations it carries are
 * added (the downloader itself is typically one), its X-Nalt entries
 * removed; each address is checked as alt-loc.h says (loopback and private
 * ones only with allow_local).
 *
 * Connections: HTTP/1.1 is kept alive unless the client says
 * "Connection: close"; HTTP/1.0 is closed after the answer. Successive
 * requests on a connection are served in order, up to max_requests. The
 * first request head must be complete within idle_timeout_s of the
 * connection's hand-over, each next one within keepalive_timeout_s of the
 * previous answer (short: an idle connection costs a descriptor and counts
 * against its address's connections). Every 4xx/5xx
 * answer but 404 and 416 closes the connection (after 400 the stream cannot
 * be trusted; a 503 client should come back later rather than hold a
 * socket), and so does a request that announces a body (we never read one).
 *
 * Slots: a GET with a non-empty body takes one of the upload slots, and one
 * of its address's slots_per_ip, for as long as the body is being sent;
 * a connection between requests holds none, so idle keep-alive connections
 * never lock anyone out. HEAD, errors and empty files take no slot.
 *
 * Body: sent zero-copy with sendfile(2) from the file's descriptor through
 * gnut_conn_send_file_range, in chunks; reading from the client pauses
 * meanwhile. A body that makes no progress for send_timeout_s is dropped.
 * The rate limit (bytes per second, all uploads together, 0 = unlimited) is
 * a token bucket on the injected clock holding at most one second of
 * traffic: a chunk is handed to the socket only when the bucket covers it.
 * The clock decides how many bytes may go; a real timer only decides when to
 * look again, and gnut_uploads_tick looks too.
 *
 * Partial files (config.partials, upload-partial.h): a /uri-res/N2R
 * request for a SHA-1 the share does not have but the registry of partial
 * files does is served from the partial file on disk, read-only, only
 * within the ranges published as available: 206 for the first available
 * bytes of the first Range spec that has any (no Range: of the whole
 * file), 416 when the Range holds none; every answer about it carries
 * X-Available-Ranges: bytes a-b,c-d (PFSP), and no X-Thex-URI.
 *
 * Every request is logged at info level: peer, request line, status, bytes. */
#ifndef GNUT_UPLOAD_H
#define GNUT_UPLOAD_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/net/conn.h"
#include "gnut/core/share/partials.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/mesh.h"
#include "gnut/proto/guid.h"

#define GNUT_UPLOADS_DEFAULT_SLOTS               4
#define GNUT_UPLOADS_DEFAULT_MAX_CONNECTIONS     64
#define GNUT_UPLOADS_DEFAULT_IDLE_TIMEOUT_S      20    /* for a (next) request head */
#define GNUT_UPLOADS_DEFAULT_SEND_TIMEOUT_S      60    /* output that does not move */
#define GNUT_UPLOADS_DEFAULT_MAX_REQUESTS        10000 /* per connection */
#define GNUT_UPLOADS_DEFAULT_RETRY_AFTER_S       60
#define GNUT_UPLOADS_DEFAULT_SLOTS_PER_IP        1  /* bodies under way to one address */
#define GNUT_UPLOADS_DEFAULT_CONNECTIONS_PER_IP  4  /* HTTP connections from one address */
#define GNUT_UPLOADS_DEFAULT_KEEPALIVE_TIMEOUT_S 15 /* idle between requests */
#define GNUT_UPLOADS_MAX_RATE                    (G_GUINT64_CONSTANT(1) << 40) /* bytes/s cap */

typedef struct gnut_uploads gnut_uploads;

/* Zero fields take the defaults above. */
typedef struct {
	guint slots;           /* uploads at once */
	guint max_connections; /* HTTP connections held at once (beyond: 503) */
	guint64 rate_limit;    /* bytes per second, all uploads; 0 = unlimited */
	guint idle_timeout_s;
	guint send_timeout_s;
	guint max_requests;
	guint retry_after_s; /* Retry-After of a 503 */
	guint slots_per_ip;
	guint connections_per_ip;
	guint keepalive_timeout_s;
	/* Called (from a request's handling, never nested in an API call) when a
	 * requested file is no longer the one indexed: the owner rescans the
	 * shares. NULL: nobody is told. */
	void (*stale)(gpointer data);
	gpointer stale_data;
	/* A push-proxy request for servent from requester (IPv4, host order; 0
	 * over IPv6) whose X-Node says ipv4:port: returns the HTTP status to
	 * answer. NULL: such requests are 404. */
	unsigned (*push_proxy)(const gnut_guid *servent, uint32_t requester, uint32_t ipv4,
	                       guint16 port, gpointer data);
	gpointer push_proxy_data;
	/* The download mesh to read and feed (borrowed, outlives the object);
	 * NULL: no X-Alt is sent or taken. */
	gnut_mesh *mesh;
	/* Whether loopback and private addresses may enter the mesh (we are
	 * on such a network ourselves: dial-rule.h). */
	gboolean allow_local;
	/* Partial files to serve by URN when the share has no file of that
	 * SHA-1 (borrowed, outlives the object); NULL: none. */
	gnut_partials *partials;
	/* The queue behind the slots (upload-queue.h): entries in all and per
	 * address (0: the defaults there); no_queue: none, a request that
	 * finds no slot is a plain 503. */
	guint queue_length;
	guint queue_per_ip;
	gboolean no_queue;
} gnut_uploads_config;

typedef struct {
	guint64 bytes_up;       /* body bytes written to sockets (live) */
	guint64 requests;       /* request heads answered */
	guint64 uploads_done;   /* bodies (200/206) sent to their last byte */
	guint64 refused_busy;   /* 503 answers */
	guint64 not_found;      /* 404 answers */
	guint64 errors;         /* other 4xx/5xx answers */
	guint connections;      /* HTTP connections held now */
	guint active;           /* slots taken now */
	guint slots;            /* slots in all */
	guint64 refused_per_ip; /* 503 answers for an address over its caps */
	guint64 stale;          /* 404 answers for a file no longer the one indexed */
	guint queued;           /* entries in the upload queue now */
	guint64 queue_served;   /* queue entries that got their slot */
	guint64 queue_expired;  /* entries dropped at the end of their lifetime */
	guint64 queue_early;    /* entries lost by a poll before Retry-After */
} gnut_uploads_stats;

/* share and clock are borrowed and must outlive the object (NULL clock: the
 * system clock; NULL config: defaults). Sources attach to the
 * thread-default main context current now. */
gnut_uploads *gnut_uploads_new(gnut_share *share, gnut_clock *clock,
                               const gnut_uploads_config *config);
/* Closes every connection it holds, without callbacks. */
void gnut_uploads_free(gnut_uploads *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_uploads, gnut_uploads_free)

/* True when first_line (from the listener, CR LF removed) looks like an HTTP
 * request ("<token> <target> HTTP/..."): the line the servent hands to
 * gnut_uploads_take. "GNUTELLA CONNECT/0.6" and "GIV ..." are not. */
gboolean gnut_uploads_wants_line(const char *first_line);

/* Takes over conn (and the caller's reference) as the listener hands it:
 * no handlers, the request still in its input buffer. */
void gnut_uploads_take(gnut_uploads *u, gnut_conn *conn);

/* Changes the rate limit (0 = unlimited) for the chunks handed out next. */
void gnut_uploads_set_rate_limit(gnut_uploads *u, guint64 bytes_per_s);

/* Deadlines (request heads, stalled output) and the rate limiter's refill,
 * against now_us of the injected clock; the owner calls it about every
 * second. */
void gnut_uploads_tick(gnut_uploads *u, gint64 now_us);

void gnut_uploads_get_stats(const gnut_uploads *u, gnut_uploads_stats *out);

#endif
