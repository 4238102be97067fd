/* gwc-client.h: asking GWebCaches (version 2, http:// only: no TLS) for
 * hosts, and announcing ourselves to them while we are a reachable
 * ultrapeer. One request at a time over GIO (GSocketClient resolves names
 * asynchronously); each cache is asked at most once an hour, as the
 * specification asks, whatever the answer. A request is one HTTP/1.0 GET:
 * "get=1" when hosts are wanted, plus "update=1&ip=A.B.C.D:P" when we
 * announce; the whole answer is capped at GNUT_GWC_MAX_RESPONSE bytes and
 * GNUT_GWC_CLIENT_TIMEOUT_S seconds. Redirections are not followed. Hosts
 * of H lines go into the host cache (as ultrapeers: only they update
 * caches), at most GNUT_GWC_MAX_HOSTS an answer, each through the cache's
 * acceptability rule; caches of U lines that name hosts (no literal
 * address) join the list, at most GNUT_GWC_CLIENT_MAX_LEARNED of them. */
#ifndef GNUT_GWC_CLIENT_H
#define GNUT_GWC_CLIENT_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/core/hosts/hostcache.h"

#define GNUT_GWC_CLIENT_TIMEOUT_S    20
#define GNUT_GWC_CLIENT_INTERVAL_S   3600 /* between two requests to one cache */
#define GNUT_GWC_CLIENT_MAX_LEARNED  16
#define GNUT_GWC_CLIENT_MAX_FAILURES 3 /* a learned cache is then forgotten */

typedef struct {
	gnut_clock *clock;         /* not owned */
	gnut_hostcache *cache;     /* not owned */
	const char *const *caches; /* URLs, checked by gnut_seed_check */
	const char *version;       /* ours, for the "version" parameter */
} gnut_gwc_client_config;

typedef struct gnut_gwc_client gnut_gwc_client;

gnut_gwc_client *gnut_gwc_client_new(const gnut_gwc_client_config *config);
/* Cancels a request under way. */
void gnut_gwc_client_free(gnut_gwc_client *c);

/* Ends a request past its time; starts one when none is under way and we
 * want hosts, or announce (self_ip:self_port, we being an ultrapeer that
 * peers can reach) and have not for GNUT_GWC_CLIENT_INTERVAL_S. */
void gnut_gwc_client_tick(gnut_gwc_client *c, gboolean want_hosts, gboolean announce,
                          guint32 self_ip, guint16 self_port);

typedef struct {
	guint64 requests;
	guint64 answers; /* parsed answers (HTTP 200) */
	guint64 failed;  /* requests that ended without a usable answer */
	guint64 added;   /* hosts taken into the host cache */
	guint64 updates; /* updates the cache acknowledged */
	guint caches;
} gnut_gwc_client_stats;

void gnut_gwc_client_get_stats(const gnut_gwc_client *c, gnut_gwc_client_stats *out);

/* Its caches' back-off state and the caches it learned, as group
 * "gwc" of the bootstrap state file (gnut_seed_record lines), so that a
 * restart neither asks a cache sooner than it would have nor forgets the
 * caches it learned. Load ignores a bad record and a configured cache that
 * is no longer configured. */
void gnut_gwc_client_save(const gnut_gwc_client *c, GKeyFile *kf);
void gnut_gwc_client_load(gnut_gwc_client *c, GKeyFile *kf);

#endif
