/* fuzz-hostcache.c: the host cache file parser on arbitrary text (twice: with
 * and without private addresses allowed), and the round trip of whatever
 * parses: serializing, parsing that and serializing again gives the same
 * bytes. Picks and failures then run over the loaded hosts. */
#include "fuzz.h"
#include "gnut/core/hosts/hostcache.h"

#include <stdlib.h>

static void round_trip(gnut_clock *clock, gnut_hostcache_flags flags, const uint8_t *data,
                       size_t size)
{
	gnut_hostcache *hc = gnut_hostcache_new(clock, NULL, flags, NULL);
	if (!gnut_hostcache_parse(hc, (const char *)data, size, NULL)) {
		if (gnut_hostcache_size(hc) != 0)
			abort(); /* a rejected text leaves the (empty) cache as it was */
		gnut_hostcache_free(hc);
		return;
	}
	if (gnut_hostcache_size(hc) > GNUT_HOSTCACHE_MAX_HOSTS)
		abort();
	GBytes *first = gnut_hostcache_serialize(hc);
	gnut_hostcache *again = gnut_hostcache_new(clock, NULL, flags, NULL);
	gsize len = 0;
	const char *text = g_bytes_get_data(first, &len);
	if (!gnut_hostcache_parse(again, text, len, NULL))
		abort();
	GBytes *second = gnut_hostcache_serialize(again);
	if (!g_bytes_equal(first, second) || gnut_hostcache_size(again) != gnut_hostcache_size(hc))
		abort();
	guint32 ip;
	guint16 port;
	while (gnut_hostcache_pick(hc, NULL, NULL, &ip, &port)) {
		if (!gnut_hostcache_is_acceptable(hc, ip, port))
			abort();
		gnut_hostcache_failed(hc, ip, port);
	}
	g_bytes_unref(second);
	g_bytes_unref(first);
	gnut_hostcache_free(again);
	gnut_hostcache_free(hc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_clock *clock = gnut_clock_manual_new(0);
	round_trip(clock, GNUT_HOSTCACHE_FLAGS_NONE, data, size);
	round_trip(clock, GNUT_HOSTCACHE_ALLOW_PRIVATE, data, size);
	gnut_clock_free(clock);
	return 0;
}
