/* rate-limit.h: one token bucket, the rate limiter of uploads and downloads.
 *
 * The bucket fills at rate bytes per second of an injected gnut_clock, up
 * to capacity bytes (the largest burst after an idle time); a transfer takes
 * tokens before it moves bytes. Time is counted in microseconds and the
 * fraction of a byte earned between two readings is carried over, so that
 * many small refills add up to exactly what one long refill gives. A rate
 * of 0 means unlimited: every take is granted in full.
 *
 * The limiter only counts; it owns no timer. A caller that gets fewer bytes
 * than it wants asks gnut_rate_limit_wait_us when to look again. */
#ifndef GNUT_RATE_LIMIT_H
#define GNUT_RATE_LIMIT_H

#include <glib.h>

#include "gnut/base/clock.h"

/* The largest rate and capacity (bytes); larger values are capped. The
 * cap keeps every product of the maths within 64 bits. */
#define GNUT_RATE_LIMIT_MAX (G_GUINT64_CONSTANT(1) << 40)

typedef struct gnut_rate_limit gnut_rate_limit;

/* A limiter of rate bytes per second (0: unlimited) holding at most
 * capacity bytes (at least 1), full at first. clock is borrowed and must
 * outlive the limiter. */
gnut_rate_limit *gnut_rate_limit_new(gnut_clock *clock, guint64 rate, guint64 capacity);
void gnut_rate_limit_free(gnut_rate_limit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_rate_limit, gnut_rate_limit_free)

/* Changes the rate and capacity at once: the time up to now is credited at
 * the old rate, the tokens then kept up to the new capacity. Going from
 * unlimited to a limit starts with a full bucket. */
void gnut_rate_limit_set_rate(gnut_rate_limit *rl, guint64 rate, guint64 capacity);
/* The rate in bytes per second (0: unlimited), and the capacity. */
guint64 gnut_rate_limit_get_rate(const gnut_rate_limit *rl);
guint64 gnut_rate_limit_get_capacity(const gnut_rate_limit *rl);

/* The whole bytes available now (G_MAXUINT64 when unlimited). */
guint64 gnut_rate_limit_available(gnut_rate_limit *rl);
/* Takes up to want bytes; returns how many were granted (want when
 * unlimited, else at most what is available, possibly 0). */
guint64 gnut_rate_limit_take(gnut_rate_limit *rl, guint64 want);
/* Microseconds until n bytes are available (0: now, or unlimited). n is
 * taken as at most the capacity, since the bucket never holds more. */
gint64 gnut_rate_limit_wait_us(gnut_rate_limit *rl, guint64 n);

/* A rate as the options and gnut take it: decimal digits with an optional
 * k (1024) or M (1048576) suffix, "0", "12345", "64k", "2M" -> bytes per
 * second. FALSE (out untouched) for anything else or a value past 64 bits. */
gboolean gnut_rate_limit_parse(const char *text, guint64 *out);

#endif
