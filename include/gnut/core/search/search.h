/* search.h: the searches this servent started and the hits they collected.
 * Each search is named by the GUID of its query; each hit gets a small id the
 * user can pass to `gnut get`. The same result reaching us by two paths (or
 * twice from one servent) is kept once. Bounded: searches, and hits per search. */
#ifndef GNUT_SEARCH_H
#define GNUT_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/guid.h"
#include "gnut/proto/push-proxy.h"

#define GNUT_SEARCH_MAX_SEARCHES 64   /* the oldest is forgotten past this */
#define GNUT_SEARCH_MAX_HITS     2000 /* per search; later hits are dropped */
#define GNUT_SEARCH_MAX_NAME     1024 /* bytes of a result name kept */

/* One result as the servent extracted it from a query hit. */
typedef struct {
	guint64 id;
	guint64 search_id;
	char *name;
	guint64 size;
	bool has_sha1;
	uint8_t sha1[GNUT_SHA1_LEN];
	uint32_t ipv4; /* host order: 1.2.3.4 is 0x01020304 */
	uint16_t port;
	uint32_t file_index;
	gnut_guid servent;
	bool firewalled;
	bool tls;                  /* GGEP TLS in the hit's trailer: the servent accepts TLS */
	gnut_push_proxies proxies; /* GGEP PUSH in the hit's trailer (firewalled servents) */
} gnut_hit;

typedef struct gnut_searches gnut_searches;

gnut_searches *gnut_searches_new(void);
void gnut_searches_free(gnut_searches *s);

/* Records a new search for text; *guid receives the GUID its query must carry.
 * Returns the search id (never 0). */
guint64 gnut_searches_start(gnut_searches *s, const char *text, gnut_guid *guid);
/* The same for a search whose hits may come out of band: the GUID is marked
 * with our IPv4 (host order) and UDP port (gnut/proto/oob.h); port 0 marks
 * nothing. */
guint64 gnut_searches_start_oob(gnut_searches *s, const char *text, uint32_t ipv4, uint16_t port,
                                gnut_guid *guid);
/* Stops collecting hits for a search; the hits it has stay (for `gnut get
 * HIT-ID` after `gnut search` ended) until GNUT_SEARCH_MAX_SEARCHES newer
 * searches push it out. */
void gnut_searches_stop(gnut_searches *s, guint64 search_id);
bool gnut_searches_exists(gnut_searches *s, guint64 search_id);

/* The id of the live search whose query carries query_guid, or 0. */
guint64 gnut_searches_id(gnut_searches *s, const gnut_guid *query_guid);

/* Is this query GUID one of our live searches? */
bool gnut_searches_owns(gnut_searches *s, const gnut_guid *query_guid);

/* Adds one result of a hit for query_guid. The name is copied (cut at
 * GNUT_SEARCH_MAX_NAME bytes, made valid UTF-8). Returns the new hit, or NULL
 * when the GUID is not ours, the search is full, or the same result (same
 * servent, file index, size and name) is already there. */
const gnut_hit *gnut_searches_add(gnut_searches *s, const gnut_guid *query_guid,
                                  const gnut_hit *result);

/* The push proxies of the servent with this GUID, from its most recent hit
 * naming any; FALSE (out->count 0) when none did. */
bool gnut_searches_push_proxies(gnut_searches *s, const gnut_guid *servent, gnut_push_proxies *out);

/* The hit with this id, or NULL (hits of forgotten searches are gone). */
const gnut_hit *gnut_searches_hit(gnut_searches *s, guint64 hit_id);

/* Hits of one search with an id above after_id, oldest first (pointers owned
 * by s, valid until the next call that changes s). NULL: no such search. */
GPtrArray *gnut_searches_hits_after(gnut_searches *s, guint64 search_id, guint64 after_id);

/* Every hit, of any search, whose SHA-1 is sha1: the sources of a download. */
GPtrArray *gnut_searches_sources(gnut_searches *s, const uint8_t sha1[GNUT_SHA1_LEN]);

#endif
