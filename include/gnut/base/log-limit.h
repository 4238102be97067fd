/* log-limit.h: a log line rate limit for what peers can cause. Bad input
 * from a hostile peer must not flood the log: at most one line per interval
 * goes out, and the next one that does says how many were held back. */
#ifndef GNUT_LOG_LIMIT_H
#define GNUT_LOG_LIMIT_H

#include <glib.h>

#include "gnut/base/clock.h"

#define GNUT_LOG_LIMIT_INTERVAL_US G_USEC_PER_SEC

typedef struct gnut_log_limit gnut_log_limit;

/* clock: not owned (NULL: the system clock). */
gnut_log_limit *gnut_log_limit_new(gnut_clock *clock);
void gnut_log_limit_free(gnut_log_limit *l);

/* Logs a message line unless one went out less than an interval ago;
 * TRUE when this one went out. */
gboolean gnut_log_limited(gnut_log_limit *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Lines held back since the last one that went out. */
guint gnut_log_limit_held_back(const gnut_log_limit *l);

#endif
