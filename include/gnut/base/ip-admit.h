/* ip-admit.h: connection admission per remote address, in a bounded table.
 *
 * Each address (an IPv4 address, or an IPv6 /64: what one subscriber
 * usually holds) has two things here:
 *  - a reconnection throttle: a token bucket on the injected clock that
 *    lets `burst` arrivals through at once, then one per `interval_us`
 *    (kept as the GCRA "theoretical arrival time": one timestamp, exact,
 *    no fractions);
 *  - a count of what it holds now (connections before their first line,
 *    handshakes under way), which the owner caps per address.
 *
 * The table holds at most max_entries addresses. An address that holds
 * nothing can be forgotten at any time: the least recently used of those
 * is evicted to make room (it then comes back with a full bucket). An
 * address that holds something is never evicted; when every entry holds
 * something the table refuses newcomers (fail closed), so size it above
 * the owner's global cap on what may be held.
 *
 * No sockets here: the owner turns its peer's address into a gnut_ip_key.
 * (Named ip-admit to stay apart from other per-address tables, e.g. a rate
 * table for dials; they may share this one later.) */
#ifndef GNUT_IP_ADMIT_H
#define GNUT_IP_ADMIT_H

#include <glib.h>

#include "gnut/base/clock.h"

/* A cap or burst that never refuses. */
#define GNUT_IP_ADMIT_UNLIMITED G_MAXUINT

/* Bounds that keep burst * interval within 64 bits. */
#define GNUT_IP_ADMIT_MAX_BURST       (1u << 20)
#define GNUT_IP_ADMIT_MAX_INTERVAL_US ((gint64)24 * 3600 * G_USEC_PER_SEC)

/* An address as a table key: IPv4 as ::ffff:a.b.c.d, IPv6 cut to its /64. */
typedef struct {
	guint8 bytes[16];
} gnut_ip_key;

/* Fills key from an address in network order: 4 bytes (IPv4) or 16
 * (IPv6; an IPv4-mapped one counts as its IPv4 address). FALSE for any
 * other length. */
gboolean gnut_ip_key_from_bytes(gnut_ip_key *key, const guint8 *addr, gsize len);
/* GHashTable functions for keys that point to a gnut_ip_key. */
guint gnut_ip_key_hash(gconstpointer key);
gboolean gnut_ip_key_equal(gconstpointer a, gconstpointer b);

typedef struct {
	guint max_entries;  /* addresses remembered (at least 1) */
	guint burst;        /* arrivals let through at once; 0 or UNLIMITED: no throttle */
	gint64 interval_us; /* then one arrival per interval (> 0 when throttling) */
} gnut_ip_admit_config;

typedef struct {
	guint64 throttled; /* arrivals refused by the bucket */
	guint64 busy;      /* holds refused by the per-address cap */
	guint64 full;      /* refused: every entry held something */
	guint64 evicted;   /* idle addresses forgotten to make room */
} gnut_ip_admit_stats;

typedef struct gnut_ip_admit gnut_ip_admit;

/* clock is borrowed and must outlive the table. */
gnut_ip_admit *gnut_ip_admit_new(gnut_clock *clock, const gnut_ip_admit_config *config);
void gnut_ip_admit_free(gnut_ip_admit *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_ip_admit, gnut_ip_admit_free)

/* An arrival from key: TRUE when its bucket had a token (now taken), FALSE
 * when it comes too often or the table is full of held entries. */
gboolean gnut_ip_admit_arrive(gnut_ip_admit *t, const gnut_ip_key *key);
/* Takes one hold for key unless it holds max_held already (UNLIMITED: no
 * cap) or the table is full of held entries; TRUE when taken. */
gboolean gnut_ip_admit_hold(gnut_ip_admit *t, const gnut_ip_key *key, guint max_held);
/* Gives back one hold taken by gnut_ip_admit_hold. */
void gnut_ip_admit_release(gnut_ip_admit *t, const gnut_ip_key *key);

/* What key holds now (0 for an unknown address). */
guint gnut_ip_admit_held(const gnut_ip_admit *t, const gnut_ip_key *key);
/* Addresses in the table. */
guint gnut_ip_admit_size(const gnut_ip_admit *t);
const gnut_ip_admit_stats *gnut_ip_admit_get_stats(const gnut_ip_admit *t);

#endif
