/* uhc-client.h: asking UDP host caches for hosts. While the servent wants
 * hosts, the client takes the next cache of its list in turn (a name is
 * resolved asynchronously with GResolver, never blocking), sends it a UDP
 * ping with TTL 1 and GGEP SCP, and waits GNUT_UHC_CLIENT_TIMEOUT_S for a
 * pong of the same GUID from that address. The answer's hosts (IPP, and the
 * cache itself when it says it is an ultrapeer) go into the host cache,
 * at most GNUT_UHC_CLIENT_MAX_ADD of them, each through the cache's own
 * acceptability rule; a cache name in UDPHC joins the list (at most
 * GNUT_UHC_CLIENT_MAX_LEARNED learned ones). A cache that does not answer is
 * backed off (doubling from GNUT_UHC_CLIENT_BACKOFF_S up to an hour; a
 * learned one is forgotten after GNUT_UHC_CLIENT_MAX_FAILURES); one that
 * answered is asked again only after GNUT_UHC_CLIENT_REASK_S. One query at
 * a time. Sending goes through the owner's callback (which records the
 * destination as one we solicited). */
#ifndef GNUT_UHC_CLIENT_H
#define GNUT_UHC_CLIENT_H

#include <gio/gio.h>
#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/core/hosts/hostcache.h"
#include "gnut/proto/msg-header.h"

#define GNUT_UHC_CLIENT_TIMEOUT_S    5
#define GNUT_UHC_CLIENT_BACKOFF_S    60
#define GNUT_UHC_CLIENT_REASK_S      1800
#define GNUT_UHC_CLIENT_MAX_ADD      20
#define GNUT_UHC_CLIENT_MAX_LEARNED  16
#define GNUT_UHC_CLIENT_MAX_FAILURES 4

/* Sends len bytes to `to`; TRUE when it went out. */
typedef gboolean (*gnut_udp_send_fn)(GInetSocketAddress *to, const guint8 *data, gsize len,
                                     gpointer user_data);

typedef struct {
	gnut_clock *clock;         /* not owned */
	gnut_hostcache *cache;     /* not owned: learned hosts go there */
	const char *const *caches; /* HOST:PORT, checked by gnut_seed_check */
	gnut_udp_send_fn send;
	gpointer send_data;
} gnut_uhc_client_config;

typedef struct gnut_uhc_client gnut_uhc_client;

gnut_uhc_client *gnut_uhc_client_new(const gnut_uhc_client_config *config);
/* Cancels a resolution under way. */
void gnut_uhc_client_free(gnut_uhc_client *c);

/* Ends a query that timed out; starts the next one when want_hosts and no
 * query is under way. */
void gnut_uhc_client_tick(gnut_uhc_client *c, gboolean want_hosts);
/* A pong that arrived over UDP. TRUE when it answered our query (its hosts
 * are taken); FALSE when it is none of ours. */
gboolean gnut_uhc_client_pong(gnut_uhc_client *c, const gnut_msg_header *h, const guint8 *payload,
                              GInetSocketAddress *from);

typedef struct {
	guint64 queries; /* pings sent to caches */
	guint64 answers; /* answered */
	guint64 added;   /* hosts taken into the host cache */
	guint caches;    /* in the list now */
} gnut_uhc_client_stats;

void gnut_uhc_client_get_stats(const gnut_uhc_client *c, gnut_uhc_client_stats *out);

/* Its caches' back-off state and the caches it learned, as group
 * "uhc" of the bootstrap state file (gnut_seed_record lines), so that a
 * restart neither asks a cache sooner than it would have nor forgets the
 * caches it learned. Load ignores a bad record and a configured cache that
 * is no longer configured. */
void gnut_uhc_client_save(const gnut_uhc_client *c, GKeyFile *kf);
void gnut_uhc_client_load(gnut_uhc_client *c, GKeyFile *kf);

#endif
