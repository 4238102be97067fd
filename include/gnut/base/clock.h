/* clock.h: the one source of time for the engine. Expiry, retry and keep-alive
 * logic read the time through an injected gnut_clock so that tests can drive
 * it by hand (a manual clock) instead of sleeping. Times are monotonic
 * microseconds: only differences between two readings mean anything. */
#ifndef GNUT_CLOCK_H
#define GNUT_CLOCK_H

#include <glib.h>

typedef struct gnut_clock gnut_clock;

/* Now, in monotonic microseconds. */
gint64 gnut_clock_now_us(const gnut_clock *c);

/* The system's monotonic clock (g_get_monotonic_time). It holds no state, so
 * one shared instance serves every servent; gnut_clock_free ignores it. */
gnut_clock *gnut_clock_system(void);

/* A clock that only moves when told to: it starts at start_us and advances by
 * gnut_clock_manual_advance (us >= 0; a monotonic clock never goes back). */
gnut_clock *gnut_clock_manual_new(gint64 start_us);
void gnut_clock_manual_advance(gnut_clock *c, gint64 us);

/* Frees a manual clock; does nothing for the system clock or NULL. */
void gnut_clock_free(gnut_clock *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_clock, gnut_clock_free)

#endif
