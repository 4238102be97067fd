/* rate-limit.c: the token bucket of rate-limit.h in integers.
 *
 * Tokens are whole bytes; what a refill earns beyond them is kept in frac,
 * in byte-microseconds (a byte is G_USEC_PER_SEC of them), so that no
 * fraction is lost between refills however often they come. With rate and
 * capacity capped at GNUT_RATE_LIMIT_MAX (2^40) every product below stays
 * under 2^60. */
#include "gnut/base/rate-limit.h"

#include <errno.h>
#include <string.h>

#define USEC_PER_SEC  ((guint64)G_USEC_PER_SEC)
#define RATE_MAX_TEXT 32 /* characters of a rate in text */

struct gnut_rate_limit {
	gnut_clock *clock;
	guint64 rate;     /* bytes per second; 0: unlimited */
	guint64 capacity; /* bytes, >= 1 */
	guint64 tokens;   /* whole bytes available, <= capacity */
	guint64 frac;     /* byte-microseconds earned beyond tokens, < USEC_PER_SEC */
	gint64 stamp_us;  /* the time up to which tokens were credited */
};

static guint64 clamp_rate(guint64 rate)
{
	return MIN(rate, GNUT_RATE_LIMIT_MAX);
}

static guint64 clamp_capacity(guint64 capacity)
{
	return CLAMP(capacity, 1, GNUT_RATE_LIMIT_MAX);
}

static void fill(gnut_rate_limit *rl)
{
	rl->tokens = rl->capacity;
	rl->frac = 0;
}

/* Credits the time since stamp_us. Why split the elapsed time into whole
 * seconds and microseconds: a long idle time times the rate could pass 64
 * bits, and whole seconds beyond what fills the bucket need no product. */
static void refill(gnut_rate_limit *rl, gint64 now)
{
	if (now <= rl->stamp_us)
		return;
	guint64 elapsed = (guint64)(now - rl->stamp_us);
	rl->stamp_us = now;
	if (rl->rate == 0)
		return;
	if (rl->tokens >= rl->capacity) {
		fill(rl); /* time spent full earns nothing */
		return;
	}
	guint64 missing = rl->capacity - rl->tokens;
	guint64 secs = elapsed / USEC_PER_SEC;
	if (secs > missing / rl->rate) { /* secs * rate > missing */
		fill(rl);
		return;
	}
	guint64 credit = (elapsed % USEC_PER_SEC) * rl->rate + rl->frac;
	guint64 add = secs * rl->rate + credit / USEC_PER_SEC;
	if (add >= missing) {
		fill(rl);
		return;
	}
	rl->tokens += add;
	rl->frac = credit % USEC_PER_SEC;
}

gnut_rate_limit *gnut_rate_limit_new(gnut_clock *clock, guint64 rate, guint64 capacity)
{
	g_return_val_if_fail(clock != NULL, NULL);
	gnut_rate_limit *rl = g_new0(gnut_rate_limit, 1);
	rl->clock = clock;
	rl->rate = clamp_rate(rate);
	rl->capacity = clamp_capacity(capacity);
	rl->stamp_us = gnut_clock_now_us(clock);
	fill(rl);
	return rl;
}

void gnut_rate_limit_free(gnut_rate_limit *rl)
{
	g_free(rl);
}

void gnut_rate_limit_set_rate(gnut_rate_limit *rl, guint64 rate, guint64 capacity)
{
	g_return_if_fail(rl != NULL);
	gboolean was_unlimited = rl->rate == 0;
	refill(rl, gnut_clock_now_us(rl->clock));
	rl->rate = clamp_rate(rate);
	rl->capacity = clamp_capacity(capacity);
	if (was_unlimited || rl->tokens >= rl->capacity)
		fill(rl);
}

guint64 gnut_rate_limit_get_rate(const gnut_rate_limit *rl)
{
	g_return_val_if_fail(rl != NULL, 0);
	return rl->rate;
}

guint64 gnut_rate_limit_get_capacity(const gnut_rate_limit *rl)
{
	g_return_val_if_fail(rl != NULL, 0);
	return rl->capacity;
}

guint64 gnut_rate_limit_available(gnut_rate_limit *rl)
{
	g_return_val_if_fail(rl != NULL, 0);
	refill(rl, gnut_clock_now_us(rl->clock));
	return rl->rate == 0 ? G_MAXUINT64 : rl->tokens;
}

guint64 gnut_rate_limit_take(gnut_rate_limit *rl, guint64 want)
{
	g_return_val_if_fail(rl != NULL, 0);
	refill(rl, gnut_clock_now_us(rl->clock));
	if (rl->rate == 0)
		return want;
	guint64 got = MIN(want, rl->tokens);
	rl->tokens -= got;
	return got;
}

gint64 gnut_rate_limit_wait_us(gnut_rate_limit *rl, guint64 n)
{
	g_return_val_if_fail(rl != NULL, 0);
	refill(rl, gnut_clock_now_us(rl->clock));
	n = MIN(n, rl->capacity);
	if (rl->rate == 0 || rl->tokens >= n)
		return 0;
	/* The byte-microseconds still to earn, at rate per microsecond,
	 * rounded up: after that long the refill covers n. */
	guint64 owed = (n - rl->tokens) * USEC_PER_SEC - rl->frac;
	return (gint64)((owed + rl->rate - 1) / rl->rate);
}

gboolean gnut_rate_limit_parse(const char *text, guint64 *out)
{
	if (text == NULL || *text == '\0' || strlen(text) > RATE_MAX_TEXT ||
	    !g_ascii_isdigit(*text))
		return FALSE;
	char *end = NULL;
	errno = 0;
	guint64 v = g_ascii_strtoull(text, &end, 10);
	if (errno == ERANGE)
		return FALSE;
	guint64 unit = 1;
	if (*end == 'k' || *end == 'K')
		unit = 1024;
	else if (*end == 'M')
		unit = 1024 * 1024;
	if (unit != 1)
		end++;
	if (*end != '\0' || v > G_MAXUINT64 / unit)
		return FALSE;
	*out = v * unit;
	return TRUE;
}
