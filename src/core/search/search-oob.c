/* search-oob.c: claims of out-of-band hits for our searches (see
 * search-oob.h). Claims are kept per search GUID; the table drops the
 * claims of searches that stopped whenever it is consulted for them, and
 * holds at most GNUT_SEARCH_MAX_SEARCHES searches. */
#include "gnut/core/search/search-oob.h"

#include <string.h>

#include "gnut/proto/oob.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/vendor-bear.h"

typedef struct {
	uint32_t ipv4;
	uint16_t port;
	uint8_t token[GNUT_SEARCH_OOB_TOKEN_LEN];
	guint msgs_left;
} oob_claim;

typedef struct {
	gnut_guid guid;
	GArray *claims; /* oob_claim */
	guint claimed;  /* results claimed in all */
} oob_search;

struct gnut_search_oob {
	gnut_searches *searches;
	GHashTable *by_guid; /* gnut_guid* -> oob_search* */
	gnut_search_oob_stats stats;
};

static void oob_search_free(gpointer p)
{
	oob_search *e = p;
	g_array_unref(e->claims);
	g_free(e);
}

gnut_search_oob *gnut_search_oob_new(gnut_searches *searches)
{
	gnut_search_oob *o = g_new0(gnut_search_oob, 1);
	o->searches = searches;
	o->by_guid = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, NULL, oob_search_free);
	return o;
}

void gnut_search_oob_free(gnut_search_oob *o)
{
	if (o == NULL)
		return;
	g_hash_table_unref(o->by_guid);
	g_free(o);
}

static gboolean search_gone(gpointer key, gpointer value, gpointer data)
{
	gnut_search_oob *o = data;
	(void)value;
	return !gnut_searches_owns(o->searches, key);
}

/* The claims of a live search of ours (created when create), or NULL. */
static oob_search *search_for(gnut_search_oob *o, const gnut_guid *guid, gboolean create)
{
	oob_search *e = g_hash_table_lookup(o->by_guid, guid);
	if (!gnut_searches_owns(o->searches, guid)) {
		if (e != NULL)
			g_hash_table_remove(o->by_guid, guid);
		return NULL;
	}
	if (e != NULL || !create)
		return e;
	if (g_hash_table_size(o->by_guid) >= GNUT_SEARCH_MAX_SEARCHES)
		g_hash_table_foreach_remove(o->by_guid, search_gone, o);
	e = g_new0(oob_search, 1);
	e->guid = *guid;
	e->claims = g_array_new(FALSE, TRUE, sizeof(oob_claim));
	g_hash_table_insert(o->by_guid, &e->guid, e);
	return e;
}

static oob_claim *claim_from(oob_search *e, uint32_t ipv4, uint16_t port)
{
	for (guint i = 0; i < e->claims->len; i++) {
		oob_claim *c = &g_array_index(e->claims, oob_claim, i);
		if (c->ipv4 == ipv4 && c->port == port)
			return c;
	}
	return NULL;
}

/* A token no one can guess: random bytes, as GUIDs take them. */
static void fresh_token(uint8_t token[GNUT_SEARCH_OOB_TOKEN_LEN])
{
	gnut_guid g;
	gnut_guid_generate(&g);
	memcpy(token, g.bytes, GNUT_SEARCH_OOB_TOKEN_LEN);
}

gboolean gnut_search_oob_offer(gnut_search_oob *o, const gnut_guid *guid, uint32_t ipv4,
                               uint16_t port, uint8_t offered, GByteArray *claim_out)
{
	oob_search *e = search_for(o, guid, TRUE);
	guint16 kept = e ? gnut_searches_kept(o->searches, guid) : GNUT_BEAR_QSTAT_STOP;
	guint want = MAX(kept, e ? e->claimed : 0);
	if (e == NULL || want >= GNUT_SEARCH_OOB_WANT || claim_from(e, ipv4, port) != NULL ||
	    e->claims->len >= GNUT_SEARCH_OOB_MAX_CLAIMS) {
		o->stats.offers_ignored++;
		return FALSE;
	}
	guint wanted = MIN((guint)offered, GNUT_SEARCH_OOB_WANT - want);
	oob_claim c = {.ipv4 = ipv4, .port = port, .msgs_left = GNUT_SEARCH_OOB_MAX_MSGS};
	fresh_token(c.token);
	if (gnut_oob_claim_encode(claim_out, (uint8_t)wanted, c.token, sizeof c.token) !=
	    GNUT_PROTO_OK)
		return FALSE;
	g_array_append_val(e->claims, c);
	e->claimed += wanted;
	o->stats.claims_sent++;
	return TRUE;
}

/* Whether the hit's private GGEP carries exactly token. */
static gboolean hit_has_token(const guint8 *payload, gsize len, const uint8_t *token,
                              gboolean *malformed)
{
	gnut_qhit hit;
	*malformed = gnut_qhit_decode(payload, len, &hit) != GNUT_PROTO_OK;
	uint8_t got[GNUT_OOB_TOKEN_MAX];
	size_t got_len = 0;
	gboolean ok = !*malformed && gnut_oob_token_find(hit.private_ggep, got, &got_len) &&
	              got_len == GNUT_SEARCH_OOB_TOKEN_LEN &&
	              memcmp(got, token, GNUT_SEARCH_OOB_TOKEN_LEN) == 0;
	gnut_qhit_clear(&hit);
	return ok;
}

gboolean gnut_search_oob_take_hit(gnut_search_oob *o, const gnut_guid *guid, uint32_t ipv4,
                                  uint16_t port, const guint8 *payload, gsize len,
                                  gnut_search_hit_fn added, gpointer data)
{
	oob_search *e = search_for(o, guid, FALSE);
	oob_claim *c = e ? claim_from(e, ipv4, port) : NULL;
	if (c == NULL) {
		o->stats.hits_unclaimed++;
		return FALSE;
	}
	if (c->msgs_left == 0) {
		o->stats.hits_over_claim++;
		return FALSE;
	}
	gboolean malformed = FALSE;
	if (!hit_has_token(payload, len, c->token, &malformed)) {
		if (malformed)
			o->stats.hits_malformed++;
		else
			o->stats.hits_bad_token++;
		return FALSE;
	}
	c->msgs_left--;
	o->stats.hits_received++;
	gnut_searches_take_hit_msg(o->searches, guid, payload, len, added, data);
	return TRUE;
}

const gnut_search_oob_stats *gnut_search_oob_get_stats(const gnut_search_oob *o)
{
	return &o->stats;
}
