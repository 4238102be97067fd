/* fuzz-hash-cache.c: the share's hash cache file (text read back from disk)
 * through gnut_hash_cache_parse, the in-memory half of gnut_hash_cache_load.
 * A rejected file leaves an empty cache and an INVALID_DATA error; an
 * accepted one must serialize to text that parses back to the same text,
 * and a freshly parsed cache has nothing marked as seen. */
#include "fuzz.h"
#include "gnut/core/share/hash-cache.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* serialize -> parse -> serialize gives the same bytes and entry count. */
static void check_round_trip(const gnut_hash_cache *c)
{
	GBytes *text = gnut_hash_cache_serialize(c);
	gsize len = 0;
	const char *data = g_bytes_get_data(text, &len);
	gnut_hash_cache *back = gnut_hash_cache_new();
	if (!gnut_hash_cache_parse(back, data, len, NULL) ||
	    gnut_hash_cache_size(back) != gnut_hash_cache_size(c) || gnut_hash_cache_is_dirty(back))
		abort();
	GBytes *again = gnut_hash_cache_serialize(back);
	if (!g_bytes_equal(text, again))
		abort();
	/* nothing was looked up since the parse: a prune drops everything */
	if (gnut_hash_cache_prune(back) != gnut_hash_cache_size(c) ||
	    gnut_hash_cache_size(back) != 0)
		abort();
	g_bytes_unref(again);
	g_bytes_unref(text);
	gnut_hash_cache_free(back);
}

/* The cache still works as a map after whatever the file held. */
static void check_store_lookup(gnut_hash_cache *c)
{
	uint8_t sha1[GNUT_SHA1_LEN], got[GNUT_SHA1_LEN];
	memset(sha1, 0xa5, sizeof sha1);
	gnut_hash_cache_store(c, "/fuzz/probe", 7, -3, sha1);
	if (!gnut_hash_cache_lookup(c, "/fuzz/probe", 7, -3, got) ||
	    memcmp(got, sha1, GNUT_SHA1_LEN) != 0 ||
	    gnut_hash_cache_lookup(c, "/fuzz/probe", 8, -3, got) || !gnut_hash_cache_is_dirty(c))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_hash_cache *c = gnut_hash_cache_new();
	/* A stale entry that any parse must drop; no file can hold its mtime
	 * (the text form stops at -G_MAXINT64). */
	uint8_t stale[GNUT_SHA1_LEN] = {0};
	gnut_hash_cache_store(c, "/stale", 1, G_MININT64, stale);
	GError *err = NULL;
	gboolean ok = gnut_hash_cache_parse(c, (const char *)data, size, &err);
	if (gnut_hash_cache_lookup(c, "/stale", 1, G_MININT64, stale))
		abort();
	if (ok) {
		if (err != NULL || gnut_hash_cache_is_dirty(c))
			abort();
		check_round_trip(c);
	} else {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA) ||
		    gnut_hash_cache_size(c) != 0 || gnut_hash_cache_is_dirty(c))
			abort();
		g_error_free(err);
	}
	check_store_lookup(c);
	gnut_hash_cache_free(c);
	return 0;
}
