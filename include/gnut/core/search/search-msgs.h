/* search-msgs.h: the messages of our searches: the query we send for one,
 * the query hits that answer it, and the query status a leaf gives its
 * ultrapeer (how many hits a search kept). */
#ifndef GNUT_SEARCH_MSGS_H
#define GNUT_SEARCH_MSGS_H

#include <glib.h>

#include "gnut/core/search/search.h"
#include "gnut/proto/proto-error.h"

/* The query payload for a search: words (1 to GNUT_QUERY_MAX_TEXT bytes of
 * UTF-8) or a urn:sha1. FALSE (GNUT_ERROR_INVALID) for anything else.
 * firewalled sets the flag saying we cannot accept connections; oob the
 * flag asking for out-of-band hits, with an empty GGEP "SO" (version 3:
 * the GUID must be marked, see gnut_searches_start_oob); leaf_guided the
 * flag asking our ultrapeers to let us guide their dynamic query (we answer
 * their Query Status Requests: doc/gnutella/leaf_guided_queries). */
gboolean gnut_search_query_encode(const char *query, gboolean firewalled, gboolean oob,
                                  gboolean leaf_guided, GByteArray *out, GError **error);

typedef void (*gnut_search_hit_fn)(const gnut_hit *hit, gpointer data);

/* A query hit message for the query with this GUID: when it is one of our
 * searches, each new result becomes a hit (passed to added, which may be
 * NULL). An error when the message does not decode. */
gnut_proto_err gnut_searches_take_hit_msg(gnut_searches *s, const gnut_guid *guid,
                                          const guint8 *payload, gsize len,
                                          gnut_search_hit_fn added, gpointer data);

/* How many hits our search with this GUID kept, as the query status says
 * it: GNUT_BEAR_QSTAT_STOP when there is no such search. */
guint16 gnut_searches_kept(gnut_searches *s, const gnut_guid *guid);

#endif
