/* oob-serve.c: queries held for out-of-band delivery (see oob-serve.h).
 * Each held query keeps its header and a copy of its payload (a query is
 * at most GNUT_QUERY_MAX_PAYLOAD bytes); its hits are built again when it
 * is claimed, so that they carry the claim's token. */
#include "gnut/core/routing/oob-serve.h"

#include <string.h>

#include "gnut/proto/dial-rule.h"
#include "gnut/proto/oob.h"
#include "gnut/proto/query.h"

typedef struct {
	gnut_msg_header qh;
	GBytes *payload;
	uint32_t ipv4;
	uint16_t port;
	gint64 held_us;
} held_query;

struct gnut_oob_serve {
	gnut_oob_serve_config config;
	GHashTable *by_guid; /* gnut_guid* (qh.guid) -> held_query* */
	GHashTable *per_ip;  /* GUINT_TO_POINTER(ipv4) -> count held */
	gnut_oob_serve_stats stats;
};

static void held_free(gpointer p)
{
	held_query *q = p;
	g_bytes_unref(q->payload);
	g_free(q);
}

gnut_oob_serve *gnut_oob_serve_new(const gnut_oob_serve_config *config)
{
	gnut_oob_serve *o = g_new0(gnut_oob_serve, 1);
	o->config = *config;
	o->by_guid = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, NULL, held_free);
	o->per_ip = g_hash_table_new(g_direct_hash, g_direct_equal);
	return o;
}

void gnut_oob_serve_free(gnut_oob_serve *o)
{
	if (o == NULL)
		return;
	g_hash_table_unref(o->by_guid);
	g_hash_table_unref(o->per_ip);
	g_free(o);
}

static guint held_for(gnut_oob_serve *o, uint32_t ipv4)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(o->per_ip, GUINT_TO_POINTER(ipv4)));
}

static void count_ip(gnut_oob_serve *o, uint32_t ipv4, int delta)
{
	guint n = held_for(o, ipv4) + (guint)delta;
	if (n == 0)
		g_hash_table_remove(o->per_ip, GUINT_TO_POINTER(ipv4));
	else
		g_hash_table_insert(o->per_ip, GUINT_TO_POINTER(ipv4), GUINT_TO_POINTER(n));
}

static void forget(gnut_oob_serve *o, held_query *q)
{
	count_ip(o, q->ipv4, -1);
	g_hash_table_remove(o->by_guid, &q->qh.guid);
}

/* Whether the query asks for OOB v3 and its GUID names a querier we may
 * send to: dialable, not us. */
static gboolean wants_oob(const gnut_oob_serve *o, const gnut_responder_self *self,
                          const gnut_msg_header *qh, const guint8 *payload, uint32_t *ipv4,
                          uint16_t *port)
{
	gnut_query q;
	if (qh->hops < 1 || gnut_query_decode(payload, qh->length, &q) != GNUT_PROTO_OK ||
	    !gnut_oob_query_wants_v3(&q))
		return FALSE;
	gnut_oob_guid_address(&qh->guid, ipv4, port);
	if (*ipv4 == self->ipv4 && *port == self->port)
		return FALSE;
	return gnut_dial_check_ipv4(*ipv4, *port, o->config.allow_local) == GNUT_DIAL_OK;
}

/* Our LIME/12 for a held query. */
static GBytes *reply_number(const gnut_guid *guid, guint n_results, gboolean unsolicited)
{
	g_autoptr(GByteArray) p = g_byte_array_new();
	gnut_oob_reply_encode(p, (uint8_t)MIN(n_results, 255), unsolicited);
	GByteArray *msg = g_byte_array_sized_new(GNUT_MSG_HEADER_LEN + p->len);
	gnut_msg_append(msg, guid, GNUT_MSG_VENDOR, 1, 0, p->data, p->len);
	return g_byte_array_free_to_bytes(msg);
}

gboolean gnut_oob_serve_offer(gnut_oob_serve *o, const gnut_responder_self *self,
                              const gnut_msg_header *qh, const guint8 *payload, guint n_results,
                              gboolean unsolicited)
{
	uint32_t ipv4 = 0;
	uint16_t port = 0;
	if (n_results == 0 || !wants_oob(o, self, qh, payload, &ipv4, &port))
		return FALSE;
	if (o->config.send == NULL || g_hash_table_contains(o->by_guid, &qh->guid) ||
	    g_hash_table_size(o->by_guid) >= GNUT_OOB_SERVE_MAX ||
	    held_for(o, ipv4) >= GNUT_OOB_SERVE_PER_IP) {
		o->stats.refused++;
		return FALSE;
	}
	g_autoptr(GBytes) lime12 = reply_number(&qh->guid, n_results, unsolicited);
	if (!o->config.send(ipv4, port, lime12, o->config.send_data)) {
		o->stats.refused++;
		return FALSE;
	}
	held_query *q = g_new0(held_query, 1);
	q->qh = *qh;
	q->payload = g_bytes_new(payload, qh->length);
	q->ipv4 = ipv4;
	q->port = port;
	q->held_us = gnut_clock_now_us(o->config.clock);
	g_hash_table_insert(o->by_guid, &q->qh.guid, q);
	count_ip(o, ipv4, +1);
	o->stats.offered++;
	return TRUE;
}

/* Sends the hits of q with the claim's token, whole messages while the
 * results sent are fewer than wanted. */
static void deliver(gnut_oob_serve *o, const gnut_responder_self *self, const held_query *q,
                    const gnut_oob_claim *claim)
{
	gnut_responder_self with_token = *self;
	with_token.oob_token = (gnut_slice){claim->token, claim->token_len};
	gsize len = 0;
	const guint8 *payload = g_bytes_get_data(q->payload, &len);
	const char *error = NULL;
	g_autoptr(GPtrArray) hits =
	    gnut_responder_hits(&with_token, o->config.share, &q->qh, payload, len, &error);
	guint sent_results = 0;
	for (guint i = 0; i < hits->len && sent_results < claim->wanted; i++) {
		GBytes *msg = g_ptr_array_index(hits, i);
		sent_results +=
		    g_bytes_get_size(msg) > GNUT_MSG_HEADER_LEN
		        ? ((const guint8 *)g_bytes_get_data(msg, NULL))[GNUT_MSG_HEADER_LEN]
		        : 0;
		if (o->config.send(q->ipv4, q->port, msg, o->config.send_data))
			o->stats.hits_sent++;
	}
}

gboolean gnut_oob_serve_claim(gnut_oob_serve *o, const gnut_responder_self *self,
                              const gnut_msg_header *h, const guint8 *payload, uint32_t ipv4,
                              uint16_t port)
{
	gnut_vendor_msg vm;
	if (gnut_vendor_msg_decode(payload, h->length, &vm) != GNUT_PROTO_OK ||
	    memcmp(vm.vendor, GNUT_OOB_VENDOR, GNUT_VENDOR_CODE_LEN) != 0 ||
	    vm.selector != GNUT_OOB_SEL_CLAIM)
		return FALSE;
	gnut_oob_claim claim;
	held_query *q = g_hash_table_lookup(o->by_guid, &h->guid);
	/* v3 only: hits without the querier's token could be forged by anyone */
	if (gnut_oob_claim_decode(payload, h->length, &claim) != GNUT_PROTO_OK ||
	    claim.token_len == 0 || q == NULL || q->ipv4 != ipv4 || q->port != port) {
		o->stats.claims_bogus++;
		return TRUE;
	}
	o->stats.claimed++;
	deliver(o, self, q, &claim);
	forget(o, q);
	return TRUE;
}

void gnut_oob_serve_tick(gnut_oob_serve *o, gint64 now_us)
{
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, o->by_guid);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		held_query *q = value;
		if (now_us - q->held_us < GNUT_OOB_SERVE_EXPIRE_US)
			continue;
		o->stats.expired++;
		count_ip(o, q->ipv4, -1);
		g_hash_table_iter_remove(&it);
	}
}

const gnut_oob_serve_stats *gnut_oob_serve_get_stats(const gnut_oob_serve *o)
{
	return &o->stats;
}
