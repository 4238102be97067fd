/* servent-qrp.c: query routing tables between leaves and ultrapeers. As a
 * leaf we send each ultrapeer a table of the keywords of our shared files
 * (RESET + PATCH, then increments after a rescan); as an ultrapeer we keep
 * each leaf's table and forward a query to a leaf only when every keyword of
 * it hits that table (the router asks servent_qrp_filter). */
#include "config.h"

#include <string.h>

#include "gnut/proto/keywords.h"
#include "gnut/proto/qrp-msg.h"
#include "gnut/proto/qrp-table.h"
#include "gnut/proto/query.h"
#include "gnut/proto/urn.h"
#include "core/servent-private.h"

/* What we know of one link's tables. */
typedef struct {
	gnut_qrp_table *remote; /* the leaf's table (ultrapeer side) */
	gnut_qrp_table *sent;   /* the table we last sent (leaf side) */
} link_qrp;

static void link_qrp_free(gpointer p)
{
	link_qrp *q = p;
	g_clear_pointer(&q->remote, gnut_qrp_table_free);
	g_clear_pointer(&q->sent, gnut_qrp_table_free);
	g_free(q);
}

void servent_qrp_init(gnut_servent *s)
{
	s->qrp_links = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, link_qrp_free);
}

void servent_qrp_free(gnut_servent *s)
{
	g_clear_pointer(&s->qrp_links, g_hash_table_unref);
	g_clear_pointer(&s->qrp_local, gnut_qrp_table_free);
	g_clear_pointer(&s->qrp_words, g_ptr_array_unref);
}

static link_qrp *link_state(gnut_servent *s, guint64 id)
{
	link_qrp *q = g_hash_table_lookup(s->qrp_links, &id);
	if (q == NULL) {
		q = g_new0(link_qrp, 1);
		guint64 *key = g_new(guint64, 1);
		*key = id;
		g_hash_table_insert(s->qrp_links, key, q);
	}
	return q;
}

void servent_qrp_link_closed(gnut_servent *s, guint64 id)
{
	g_hash_table_remove(s->qrp_links, &id);
}

/* Our table: every keyword of every shared file name with its prefixes (our
 * share matches queries by word prefix) and every file's urn:sha1. */
static gnut_qrp_table *build_local_table(gnut_servent *s)
{
	gnut_qrp_table *t = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	g_autoptr(GPtrArray) files = gnut_share_list(s->share);
	for (guint i = 0; i < files->len; i++) {
		const gnut_shared_file *f = g_ptr_array_index(files, i);
		g_autoptr(GPtrArray) words = gnut_keywords_split(f->name, strlen(f->name));
		for (guint w = 0; w < words->len; w++) {
			const char *kw = g_ptr_array_index(words, w);
			gnut_qrp_table_add(t, kw, strlen(kw), true);
		}
		char urn[GNUT_URN_SHA1_LEN + 1];
		gnut_urn_format_sha1(f->sha1, urn);
		gnut_qrp_table_add(t, urn, strlen(urn), false);
	}
	return t;
}

/* Sends node what changed in our table since the last one it got. */
static void send_table(gnut_servent *s, gnut_node *node)
{
	link_qrp *q = link_state(s, gnut_node_get_id(node));
	g_autoptr(GPtrArray) payloads = gnut_qrp_table_encode_update(s->qrp_local, q->sent, NULL);
	for (guint i = 0; i < payloads->len; i++) {
		gsize len;
		const guint8 *p = g_bytes_get_data(g_ptr_array_index(payloads, i), &len);
		gnut_guid guid;
		gnut_guid_generate(&guid);
		gnut_node_send_msg(node, &guid, GNUT_QRP_MSG_TYPE, 1, 0, p, len, GNUT_PRIO_BULK);
	}
	g_clear_pointer(&q->sent, gnut_qrp_table_free);
	q->sent = gnut_qrp_table_copy(s->qrp_local);
}

static gboolean wants_our_table(gnut_servent *s, gnut_node *node)
{
	return !s->ultrapeer && gnut_node_is_ultrapeer(node);
}

void servent_qrp_link_up(gnut_servent *s, gnut_node *node)
{
	if (!wants_our_table(s, node))
		return;
	if (s->qrp_local == NULL)
		s->qrp_local = build_local_table(s);
	send_table(s, node);
}

void servent_qrp_share_changed(gnut_servent *s)
{
	if (s->ultrapeer)
		return;
	g_clear_pointer(&s->qrp_local, gnut_qrp_table_free);
	s->qrp_local = build_local_table(s);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (wants_our_table(s, value))
			send_table(s, value);
}

void servent_qrp_received(gnut_servent *s, gnut_node *from, const gnut_msg_header *h,
                          const guint8 *payload)
{
	guint64 id = gnut_node_get_id(from);
	gnut_qrp_msg msg;
	gnut_proto_err err = gnut_qrp_msg_decode(payload, h->length, &msg);
	link_qrp *q = link_state(s, id);
	if (err == GNUT_PROTO_OK) {
		if (q->remote == NULL)
			q->remote = gnut_qrp_table_new_remote();
		err = gnut_qrp_table_receive(q->remote, &msg);
	}
	if (err != GNUT_PROTO_OK) {
		g_message("link %s: bad query routing table: %s", gnut_node_get_address(from),
		          gnut_proto_strerror(err));
		gnut_node_bye(from, 400, "Bad query routing table");
		return;
	}
	if (gnut_qrp_table_ready(q->remote)) {
		gnut_route_link facts;
		gnut_route_link_init(&facts);
		facts.leaf = s->ultrapeer && !gnut_node_is_ultrapeer(from);
		facts.qrp = TRUE;
		facts.max_ttl = (guint8)MIN(gnut_node_get_peer(from)->max_ttl, 255);
		gnut_router_link_set(s->router, id, &facts);
	}
}

/* The ready table link sent us, or NULL. */
static gnut_qrp_table *ready_table(gnut_servent *s, guint64 link)
{
	link_qrp *q = g_hash_table_lookup(s->qrp_links, &link);
	if (q == NULL || q->remote == NULL || !gnut_qrp_table_ready(q->remote))
		return NULL;
	return q->remote;
}

/* The keywords and SHA-1 URNs of a query, or NULL when it does not decode.
 * The router asks about one query once per link, so the words of the last
 * query are kept, by GUID (a second message with that GUID is a duplicate
 * the router drops before asking). */
static GPtrArray *query_words(gnut_servent *s, const gnut_msg_in *query)
{
	if (s->qrp_words_valid && gnut_guid_equal(&s->qrp_words_guid, &query->guid))
		return s->qrp_words;
	g_clear_pointer(&s->qrp_words, g_ptr_array_unref);
	s->qrp_words_valid = TRUE;
	s->qrp_words_guid = query->guid;
	gnut_query qd;
	if (gnut_query_decode(query->payload, query->payload_len, &qd) != GNUT_PROTO_OK)
		return NULL;
	s->qrp_words = gnut_keywords_split(qd.text, qd.text_len);
	gnut_urn urns[GNUT_QUERY_MAX_URNS];
	unsigned n = gnut_query_sha1s(&qd, urns, G_N_ELEMENTS(urns));
	for (unsigned i = 0; i < n; i++)
		g_ptr_array_add(s->qrp_words, gnut_urn_sha1_strdup(urns[i].sha1));
	return s->qrp_words;
}

/* Do the query's keywords (and SHA-1 URNs) all hit table t? */
static gboolean query_hits_table(gnut_servent *s, const gnut_qrp_table *t, const gnut_msg_in *query)
{
	GPtrArray *words = query_words(s, query);
	return words != NULL && gnut_qrp_table_matches(t, words);
}

/* The router's question: may this query go to link? Yes unless the link
 * sent a table and the query misses it. */
gboolean servent_qrp_filter(gpointer data, guint64 link, const gnut_msg_in *query)
{
	gnut_qrp_table *t = ready_table(data, link);
	return t == NULL || query_hits_table(data, t, query);
}

/* Dynamic querying's question: did link send a table, and does the query
 * hit it? */
gboolean servent_qrp_table_hit(gnut_servent *s, guint64 link, const gnut_msg_in *query)
{
	gnut_qrp_table *t = ready_table(s, link);
	return t != NULL && query_hits_table(s, t, query);
}
