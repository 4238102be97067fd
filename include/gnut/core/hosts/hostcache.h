/* hostcache.h: the Gnutella hosts a servent knows and may dial. Hosts (IPv4
 * address + port) are learned from pongs, X-Try-Ultrapeers lists, handshakes
 * (a peer's Listen-IP) and the user; the cache keeps the most recently seen
 * GNUT_HOSTCACHE_MAX_HOSTS of them and hands out the best one to dial next,
 * holding back a host that failed with an exponential per-host back-off. It
 * persists as a small text file written atomically.
 *
 * Time comes from the injected gnut_clock. The cache never resolves names or
 * opens sockets: it only answers "which host next"; whether to use it at all
 * (never under --no-bootstrap) is the servent's decision. Not thread-safe. */
#ifndef GNUT_HOSTCACHE_H
#define GNUT_HOSTCACHE_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/address.h"
#include "gnut/proto/uhc.h"

#define GNUT_HOSTCACHE_MAX_HOSTS      2000         /* past this, least recently seen go */
#define GNUT_HOSTCACHE_MAX_FILE_BYTES (256u << 10) /* larger saved files are damaged */
#define GNUT_HOSTCACHE_BACKOFF_S      60           /* hold-back after a first failure */
#define GNUT_HOSTCACHE_MAX_BACKOFF_S  3600         /* ... doubling up to this */
#define GNUT_HOSTCACHE_MAX_FAILURES   8            /* consecutive failures that drop a host */
#define GNUT_HOSTCACHE_ATTEMPT_S      60           /* a picked host is held back this long */

/* Where a host was learned (kept for the stats list and the saved file). */
typedef enum {
	GNUT_HOST_SOURCE_PONG,
	GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS,
	GNUT_HOST_SOURCE_HANDSHAKE, /* the peer's own Listen-IP: it said if it is an ultrapeer */
	GNUT_HOST_SOURCE_USER,
	GNUT_HOST_SOURCE_UHC, /* a UDP host cache's pong (IPP) */
	GNUT_HOST_SOURCE_GWC, /* a GWebCache's answer */
} gnut_host_source;

typedef enum {
	GNUT_HOSTCACHE_FLAGS_NONE = 0,
	/* Accept loopback (127/8), private (10/8, 172.16/12, 192.168/16), shared
	 * (100.64/10) and link-local (169.254/16) addresses: tests and private
	 * networks run there. Without it such hosts are rejected as unroutable. */
	GNUT_HOSTCACHE_ALLOW_PRIVATE = 1 << 0,
} gnut_hostcache_flags;

/* One host as the stats list shows it. */
typedef struct {
	guint32 ip; /* host order */
	guint16 port;
	gboolean ultrapeer;
	gboolean tls;            /* it said it accepts TLS: dial it in TLS from the first byte */
	gnut_host_source source; /* of the latest sighting */
	guint failures;          /* consecutive, since the last connect */
	gint64 last_seen_us;     /* clock time */
	gint64 retry_at_us;      /* clock time it may be picked again; 0: now */
} gnut_hostcache_entry;

typedef struct gnut_hostcache gnut_hostcache;

/* A cache reading the time from clock (not owned; it must outlive the
 * cache) and saved to path (NULL: memory only). An existing file is loaded:
 * a missing one gives an empty cache, a damaged one (unparsable or over
 * GNUT_HOSTCACHE_MAX_FILE_BYTES) is ignored with a warning; any other read
 * error (not a regular file, no permission) fails with a G_IO_ERROR. */
gnut_hostcache *gnut_hostcache_new(gnut_clock *clock, const char *path, gnut_hostcache_flags flags,
                                   GError **error);
void gnut_hostcache_free(gnut_hostcache *hc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_hostcache, gnut_hostcache_free)

/* Whether ip:port may be cached under this cache's flags: what
 * gnut_dial_check_ipv4 (gnut/proto/dial-rule.h) lets us dial: not port 0 nor
 * a bogus address (gnut_addr_ipv4_is_bogus: 0.0.0.0/8, multicast, reserved
 * (240/4 with broadcast), protocol, documentation or benchmark ranges);
 * local ones (gnut_addr_ipv4_is_local) only with GNUT_HOSTCACHE_ALLOW_PRIVATE. */
gboolean gnut_hostcache_is_acceptable(const gnut_hostcache *hc, guint32 ip, guint16 port);

/* Records a sighting of ip:port (ip in host order) now: a known host moves
 * to the front and keeps its failure count; the ultrapeer mark is replaced
 * for GNUT_HOST_SOURCE_HANDSHAKE (the host said it itself) and otherwise only
 * ever set. A new host may evict the least recently seen one. FALSE when the
 * address is not acceptable. */
gboolean gnut_hostcache_add(gnut_hostcache *hc, guint32 ip, guint16 port, gnut_host_source source,
                            gboolean ultrapeer);
/* The same with a dotted-quad IPv4 literal ("a.b.c.d", no leading zeros:
 * gnut_addr_parse_ipv4). */
gboolean gnut_hostcache_add_ip_string(gnut_hostcache *hc, const char *ip, guint16 port,
                                      gnut_host_source source, gboolean ultrapeer);
/* The same with "a.b.c.d:port" (an X-Try-Ultrapeers entry, a Listen-IP), the
 * port required (gnut_addr_parse_ipv4_port). */
gboolean gnut_hostcache_add_host_port(gnut_hostcache *hc, const char *host_port,
                                      gnut_host_source source, gboolean ultrapeer);
/* Whether a cached ip:port accepts TLS: set when it said so (GGEP TLS in
 * a pong or hit, tls in a handshake's X-Features), cleared when a TLS dial
 * to it failed. Unknown hosts are ignored. */
void gnut_hostcache_set_tls(gnut_hostcache *hc, guint32 ip, guint16 port, gboolean tls);
/* FALSE for a host not cached. */
gboolean gnut_hostcache_speaks_tls(const gnut_hostcache *hc, guint32 ip, guint16 port);
/* Forgets ip:port; FALSE when it was not cached. */
gboolean gnut_hostcache_remove(gnut_hostcache *hc, guint32 ip, guint16 port);
gboolean gnut_hostcache_contains(const gnut_hostcache *hc, guint32 ip, guint16 port);
guint gnut_hostcache_size(const gnut_hostcache *hc);

/* TRUE when the servent does not want ip:port now (already linked to it,
 * dialing it, or it is our own address). */
typedef gboolean (*gnut_hostcache_exclude_fn)(guint32 ip, guint16 port, gpointer user_data);

/* The host to dial next: among hosts neither held back nor excluded (exclude
 * may be NULL), an ultrapeer before a leaf, then the most recently seen.
 * Picking counts as an attempt: the host is held back for
 * GNUT_HOSTCACHE_ATTEMPT_S unless gnut_hostcache_failed or _connected says
 * how it went. FALSE when no host qualifies. */
gboolean gnut_hostcache_pick(gnut_hostcache *hc, gnut_hostcache_exclude_fn exclude,
                             gpointer user_data, guint32 *ip, guint16 *port);
/* A dial or handshake to ip:port failed: it is held back for
 * GNUT_HOSTCACHE_BACKOFF_S doubled for each further consecutive failure (up
 * to GNUT_HOSTCACHE_MAX_BACKOFF_S), and dropped at the
 * GNUT_HOSTCACHE_MAX_FAILURES-th. Unknown hosts are ignored. */
void gnut_hostcache_failed(gnut_hostcache *hc, guint32 ip, guint16 port);
/* A link to ip:port came up: its failures and hold-back are cleared and it
 * counts as seen now. Unknown hosts are ignored (add them first). */
void gnut_hostcache_connected(gnut_hostcache *hc, guint32 ip, guint16 port);

/* Every host, most recently seen first (a GArray of gnut_hostcache_entry). */
GArray *gnut_hostcache_list(const gnut_hostcache *hc);
/* Up to max ultrapeers seen in the last max_age_s seconds that did not
 * fail since, most recently seen first, into out; returns how many (what a
 * UDP host cache answer lists in IPP). */
guint gnut_hostcache_fresh_ultrapeers(const gnut_hostcache *hc, gint64 max_age_s,
                                      gnut_ipv4_port *out, guint max);
/* "pong", "x-try-ultrapeers", "handshake", "user", "uhc", "gwc" (the saved
 * file's words). */
const char *gnut_host_source_name(gnut_host_source source);

/* The text form: a "gnutd-hostcache 2" line, then one line per host, most
 * recently seen first:
 * "<a.b.c.d>:<port> <age s> <U|L> <source> <failures> <tls|->". Ages are
 * relative to the time of saving, so the time the daemon was down does not
 * count. Hold-backs are not saved (a restart retries every host). Files
 * written before the TLS mark ("gnutd-hostcache 1", lines without the last
 * field) still load, their hosts not known to speak TLS. */
GBytes *gnut_hostcache_serialize(const gnut_hostcache *hc);
/* Replaces the hosts with those of data[0..len). A host this cache would
 * not accept is skipped, a repeated one keeps its most recent line, and past
 * GNUT_HOSTCACHE_MAX_HOSTS the oldest go. Any malformed line rejects the whole
 * text (G_IO_ERROR_INVALID_DATA naming the line) and leaves the cache as it
 * was. */
gboolean gnut_hostcache_parse(gnut_hostcache *hc, const char *data, gsize len, GError **error);
/* Saves to the path given to gnut_hostcache_new, atomically (a crash leaves
 * the old file or the new one). TRUE without writing for a memory-only cache. */
gboolean gnut_hostcache_save(gnut_hostcache *hc, GError **error);
/* Whether the hosts changed since the last load, parse or save. */
gboolean gnut_hostcache_is_dirty(const gnut_hostcache *hc);

#endif
