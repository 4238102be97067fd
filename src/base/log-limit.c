/* log-limit.c: at most one log line per interval (see log-limit.h). */
#include "gnut/base/log-limit.h"

#include <stdarg.h>

struct gnut_log_limit {
	gnut_clock *clock;
	gboolean logged; /* a line went out, at last_us */
	gint64 last_us;
	guint held_back;
};

gnut_log_limit *gnut_log_limit_new(gnut_clock *clock)
{
	gnut_log_limit *l = g_new0(gnut_log_limit, 1);
	l->clock = clock ? clock : gnut_clock_system();
	return l;
}

void gnut_log_limit_free(gnut_log_limit *l)
{
	g_free(l);
}

gboolean gnut_log_limited(gnut_log_limit *l, const char *fmt, ...)
{
	gint64 now = gnut_clock_now_us(l->clock);
	if (l->logged && now - l->last_us < GNUT_LOG_LIMIT_INTERVAL_US) {
		l->held_back++;
		return FALSE;
	}
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (l->held_back > 0)
		g_message("%s (and %u more like it held back)", line, l->held_back);
	else
		g_message("%s", line);
	l->logged = TRUE;
	l->last_us = now;
	l->held_back = 0;
	return TRUE;
}

guint gnut_log_limit_held_back(const gnut_log_limit *l)
{
	return l->held_back;
}
