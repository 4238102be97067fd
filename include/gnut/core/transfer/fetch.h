/* fetch.h: what the user asks to download, turned into downloads with
 * sources. A target is a hit id, a urn:sha1 or a magnet URI; the sources are
 * every hit our searches collected for that SHA-1, and later hits for it
 * become more sources of the download in progress. With no hit yet, a search
 * for the URN goes out (through the owner's search function). A hit is a
 * source only when it is reached by push or at an address the dial rule
 * lets us connect to (gnut/proto/dial-rule.h); others are counted. */
#ifndef GNUT_FETCH_H
#define GNUT_FETCH_H

#include <glib.h>

#include "gnut/core/search/search.h"
#include "gnut/core/transfer/download.h"

typedef struct gnut_fetch gnut_fetch;

/* Starts a search for query (here always a "urn:sha1:..."); its id, or 0. */
typedef guint64 (*gnut_fetch_search_fn)(const char *query, gpointer data);

/* downloads and searches are not owned and outlive the fetcher.
 * allow_local: hits at local addresses may be dialed (gnut_dial_allows_local). */
gnut_fetch *gnut_fetch_new(gnut_downloads *downloads, gnut_searches *searches, gboolean allow_local,
                           gnut_fetch_search_fn search, gpointer search_data);
void gnut_fetch_free(gnut_fetch *f);

/* target: a hit id, "urn:sha1:...", or a magnet URI; to_dir NULL = the
 * download dir. The download's id, or 0 with error set (GNUT_ERROR). */
guint64 gnut_fetch_start(gnut_fetch *f, const char *target, const char *to_dir, GError **error);
/* A new hit of one of our searches: one more source for a download of its
 * file in progress. */
void gnut_fetch_hit_added(gnut_fetch *f, const gnut_hit *h);
/* Sends a query for this SHA-1's URN (unless one is out already): its hits
 * become sources of the download in progress. */
void gnut_fetch_find_sources(gnut_fetch *f, const uint8_t sha1[GNUT_SHA1_LEN]);
/* Hits not taken as sources because we may not dial their address. */
guint64 gnut_fetch_refused(const gnut_fetch *f);

#endif
