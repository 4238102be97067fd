/* ip-rate.h: how often each address made us do something lately, for caps
 * such as "at most 5 push connect-backs to one IP per 30 s". The table keeps,
 * for each key (an IPv4 address in host order, or any other 64-bit name of
 * a peer), the times of its last max_events events on the injected clock;
 * one more event is allowed while fewer than max_events fall within the
 * last window. A table of a single key counts events overall.
 *
 * Why a sliding window of times rather than a token bucket (rate-limit.h):
 * a bucket of N tokens refilling N per window lets 2N through in one window,
 * while these caps are stated as "at most N per window". Memory is bounded:
 * at most max_keys keys of max_events times each; past max_keys the least
 * recently used key is forgotten, and with it its count. Size max_keys so
 * that a key outlives its window at the rate new keys can come (an overall
 * cap of T per window lets no more than T new keys in one: max_keys >= T
 * keeps every key of the window). Not thread-safe. */
#ifndef GNUT_IP_RATE_H
#define GNUT_IP_RATE_H

#include <glib.h>

#include "gnut/base/clock.h"

#define GNUT_IP_RATE_MAX_EVENTS 1024 /* the largest max_events (times kept per key) */

typedef struct gnut_ip_rate gnut_ip_rate;

/* A table allowing max_events (1 .. GNUT_IP_RATE_MAX_EVENTS) per key within
 * window_us (> 0), holding at most max_keys (>= 1) keys. clock is borrowed
 * and must outlive the table. */
gnut_ip_rate *gnut_ip_rate_new(gnut_clock *clock, guint max_events, gint64 window_us,
                               guint max_keys);
void gnut_ip_rate_free(gnut_ip_rate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_ip_rate, gnut_ip_rate_free)

/* Whether one more event for key now stays within the cap. Changes nothing:
 * a caller with several caps asks each, then notes the event in each. */
gboolean gnut_ip_rate_allows(const gnut_ip_rate *t, guint64 key);
/* Records an event for key now, allowed or not; key becomes the most
 * recently used (a new key may push out the least recently used one). */
void gnut_ip_rate_note(gnut_ip_rate *t, guint64 key);
/* Notes the event when gnut_ip_rate_allows; returns what that said. */
gboolean gnut_ip_rate_take(gnut_ip_rate *t, guint64 key);
/* Events of key within the window now (0 for a key not held). */
guint gnut_ip_rate_count(const gnut_ip_rate *t, guint64 key);
/* Keys held (at most max_keys). */
guint gnut_ip_rate_size(const gnut_ip_rate *t);

#endif
