/* clock.c: the system monotonic clock and a manual clock for tests. */
#include "gnut/base/clock.h"

struct gnut_clock {
	gboolean manual; /* FALSE: read g_get_monotonic_time(); TRUE: now_us */
	gint64 now_us;
};

/* Why a static instance: the system clock carries no state at all (manual is
 * FALSE and never changes), so sharing it is as safe as sharing a function. */
static gnut_clock system_clock = {.manual = FALSE, .now_us = 0};

gint64 gnut_clock_now_us(const gnut_clock *c)
{
	g_return_val_if_fail(c != NULL, 0);
	return c->manual ? c->now_us : g_get_monotonic_time();
}

gnut_clock *gnut_clock_system(void)
{
	return &system_clock;
}

gnut_clock *gnut_clock_manual_new(gint64 start_us)
{
	gnut_clock *c = g_new0(gnut_clock, 1);
	c->manual = TRUE;
	c->now_us = start_us;
	return c;
}

void gnut_clock_manual_advance(gnut_clock *c, gint64 us)
{
	g_return_if_fail(c != NULL && c->manual);
	g_return_if_fail(us >= 0);
	c->now_us += us;
}

void gnut_clock_free(gnut_clock *c)
{
	if (c != NULL && c->manual)
		g_free(c);
}
