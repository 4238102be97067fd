/* search-oob.h: the querier's side of out-of-band hit delivery
 * (gnut/proto/oob.h). A responder tells us over UDP how many hits it holds
 * for one of our searches (LIME/12); we claim what the search still wants
 * with a fresh random token (LIME/11), remember the claim, and take the UDP
 * hits for that search only from that responder's address, only with that
 * token and only as many messages as claimed. Everything else is dropped
 * and counted: hits nobody claimed, a wrong or missing token, hits over a
 * claim. Bounded: claims per search, and searches with claims. */
#ifndef GNUT_SEARCH_OOB_H
#define GNUT_SEARCH_OOB_H

#include <stdint.h>

#include <glib.h>

#include "gnut/core/search/search-msgs.h"
#include "gnut/core/search/search.h"

#define GNUT_SEARCH_OOB_MAX_CLAIMS 32  /* responders claimed from, per search */
#define GNUT_SEARCH_OOB_WANT       200 /* results a search claims in all, at most */
#define GNUT_SEARCH_OOB_MAX_MSGS   16  /* hit messages one claim lets in */
#define GNUT_SEARCH_OOB_TOKEN_LEN  8

typedef struct gnut_search_oob gnut_search_oob;

typedef struct {
	guint64 claims_sent;     /* LIME/11 we answered a LIME/12 with */
	guint64 offers_ignored;  /* LIME/12 not for a live search, or not wanted */
	guint64 hits_received;   /* UDP hit messages taken */
	guint64 hits_unclaimed;  /* dropped: no claim of ours from that address */
	guint64 hits_bad_token;  /* dropped: without the claim's token */
	guint64 hits_over_claim; /* dropped: more messages than claimed */
	guint64 hits_malformed;  /* dropped: the hit does not decode */
} gnut_search_oob_stats;

/* searches: not owned; claims follow its live searches. */
gnut_search_oob *gnut_search_oob_new(gnut_searches *searches);
void gnut_search_oob_free(gnut_search_oob *o);

/* A Reply Number for query guid offering `offered` hits arrived from
 * ipv4:port. When guid is a live search of ours that still wants results
 * and that address holds no claim yet, records a claim and appends the
 * LIME/11 payload to claim_out: TRUE then (send it to ipv4:port). */
gboolean gnut_search_oob_offer(gnut_search_oob *o, const gnut_guid *guid, uint32_t ipv4,
                               uint16_t port, uint8_t offered, GByteArray *claim_out);

/* A query hit (payload[0..len)) that arrived over UDP from ipv4:port: taken
 * (gnut_searches_take_hit_msg, added as there) when a claim of ours for
 * guid from that address exists, has messages left and the hit carries its
 * token; TRUE then. Dropped and counted otherwise. */
gboolean gnut_search_oob_take_hit(gnut_search_oob *o, const gnut_guid *guid, uint32_t ipv4,
                                  uint16_t port, const guint8 *payload, gsize len,
                                  gnut_search_hit_fn added, gpointer data);

const gnut_search_oob_stats *gnut_search_oob_get_stats(const gnut_search_oob *o);

#endif
