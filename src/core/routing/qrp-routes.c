/* qrp-routes.c: query routing tables between leaves and ultrapeers (see
 * qrp-routes.h). As a leaf we send each ultrapeer a table of the keywords of
 * our shared files (RESET + PATCH, then increments after a rescan); as an
 * ultrapeer we keep each leaf's table and forward a query to a leaf only when
 * every keyword of it hits that table. An ultrapeer also sends each
 * ultrapeer that speaks ultrapeer QRP its aggregate table (our share's
 * keywords OR'd with every leaf's complete table), brought up to date by
 * patches at most every GNUT_QRP_AGGREGATE_INTERVAL_US, and keeps theirs
 * for the router's last hop. The complete tables are indexed by
 * slot (qrp-index.h), so that a query is checked against all of them at
 * once, when the router first asks about it, and each link's answer is then
 * a bit; GNUT_QRP_INDEX=off in the environment checks each table instead,
 * hashing the words for each, as before the index (the capacity
 * benchmark's baseline). */
#include "config.h"

#include "qrp-routes.h"

#include "qrp-index.h"

#include <string.h>

#include "gnut/proto/keywords.h"
#include "gnut/proto/qrp-msg.h"
#include "gnut/proto/qrp-table.h"
#include "gnut/proto/query.h"
#include "gnut/proto/urn.h"

struct gnut_qrp_routes {
	gnut_links *links;
	gnut_share *share;
	gnut_partials *partials; /* NULL: no partial file in our table */
	gboolean ultrapeer;
	gnut_qrp_routes_send_fn send; /* how a QRP payload goes out on a link */
	gpointer send_data;
	gnut_qrp_encode_opts encode; /* how our table goes out */
	guint32 max_link_slots;
	guint64 max_total_slots;
	guint64 slots_held;        /* of every link's remote table */
	GHashTable *per_link;      /* guint64* link id -> link_qrp */
	gnut_qrp_table *local;     /* our share's table (built on demand) */
	gnut_qrp_table *aggregate; /* as an ultrapeer: local + leaves' tables */
	gboolean aggregate_stale;  /* a leaf's table or our share changed since */
	gint64 next_aggregate_us;  /* no update of it goes out before */
	gnut_qrp_index *index;     /* the complete remote tables; NULL: check each */
	GPtrArray *words;          /* keywords of the query last checked (NULL when
	                              it did not decode) ... */
	gnut_guid words_guid;      /* ... and its GUID */
	gboolean words_valid;
};

/* What we know of one link's tables. */
typedef struct {
	gnut_qrp_table *remote;  /* the table the link sent us */
	gnut_qrp_table *sent;    /* the table we last sent it */
	gnut_qrp_link_role role; /* what its table is to us, what ours is to it */
} link_qrp;

static void link_qrp_free(gpointer p)
{
	link_qrp *q = p;
	g_clear_pointer(&q->remote, gnut_qrp_table_free);
	g_clear_pointer(&q->sent, gnut_qrp_table_free);
	g_free(q);
}

/* The default way out: the link's node, when it is still up. */
static void send_on_link(gpointer data, guint64 link, GBytes *payload)
{
	gnut_qrp_routes *q = data;
	gnut_node *node = q->links != NULL ? gnut_links_lookup(q->links, link) : NULL;
	if (node == NULL)
		return;
	gsize len;
	const guint8 *p = g_bytes_get_data(payload, &len);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	gnut_node_send_msg(node, &guid, GNUT_QRP_MSG_TYPE, 1, 0, p, len, GNUT_PRIO_BULK);
}

void gnut_qrp_routes_set_sender(gnut_qrp_routes *q, gnut_qrp_routes_send_fn send, gpointer data)
{
	q->send = send;
	q->send_data = data;
}

gnut_qrp_routes *gnut_qrp_routes_new(gnut_links *links, gnut_share *share, gboolean ultrapeer,
                                     gboolean compress, guint32 max_link_slots,
                                     guint64 max_total_slots)
{
	gnut_qrp_routes *q = g_new0(gnut_qrp_routes, 1);
	q->encode = GNUT_QRP_ENCODE_DEFAULTS;
	if (!compress)
		q->encode.compressor = GNUT_QRP_COMPRESSOR_NONE;
	q->links = links;
	q->share = share;
	q->ultrapeer = ultrapeer;
	q->max_link_slots = max_link_slots;
	q->max_total_slots = max_total_slots;
	q->per_link = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, link_qrp_free);
	gnut_qrp_routes_set_sender(q, send_on_link, q);
	if (g_strcmp0(g_getenv("GNUT_QRP_INDEX"), "off") != 0)
		q->index = gnut_qrp_index_new();
	return q;
}

void gnut_qrp_routes_free(gnut_qrp_routes *q)
{
	if (q == NULL)
		return;
	g_hash_table_unref(q->per_link);
	gnut_qrp_index_free(q->index);
	g_clear_pointer(&q->local, gnut_qrp_table_free);
	g_clear_pointer(&q->aggregate, gnut_qrp_table_free);
	g_clear_pointer(&q->words, g_ptr_array_unref);
	g_free(q);
}

static link_qrp *link_state(gnut_qrp_routes *q, guint64 id)
{
	link_qrp *lq = g_hash_table_lookup(q->per_link, &id);
	if (lq == NULL) {
		lq = g_new0(link_qrp, 1);
		guint64 *key = g_new(guint64, 1);
		*key = id;
		g_hash_table_insert(q->per_link, key, lq);
	}
	return lq;
}

/* Slots of the table link sent us, 0 when none. */
static guint32 remote_slots(const link_qrp *lq)
{
	return lq != NULL && lq->remote != NULL ? gnut_qrp_table_slots(lq->remote) : 0;
}

/* Is link a leaf whose complete table is in (or due in) our aggregate? */
static gboolean in_aggregate(const link_qrp *lq)
{
	return lq != NULL && lq->role == GNUT_QRP_LINK_LEAF && lq->remote != NULL &&
	       gnut_qrp_table_ready(lq->remote);
}

void gnut_qrp_routes_link_closed(gnut_qrp_routes *q, guint64 link)
{
	link_qrp *lq = g_hash_table_lookup(q->per_link, &link);
	if (in_aggregate(lq))
		q->aggregate_stale = TRUE;
	q->slots_held -= remote_slots(lq);
	if (q->index != NULL)
		gnut_qrp_index_remove(q->index, link);
	g_hash_table_remove(q->per_link, &link);
	q->words_valid = FALSE; /* the index's selection lost a link */
}

guint64 gnut_qrp_routes_slots_held(const gnut_qrp_routes *q)
{
	return q->slots_held;
}

/* One file's name keywords with their prefixes (our share matches queries
 * by word prefix) and its urn:sha1 into t. */
static void add_file(gnut_qrp_table *t, const gnut_shared_file *f)
{
	g_autoptr(GPtrArray) words = gnut_keywords_split(f->name, strlen(f->name));
	for (guint w = 0; w < words->len; w++) {
		const char *kw = g_ptr_array_index(words, w);
		gnut_qrp_table_add(t, kw, strlen(kw), true);
	}
	char urn[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(f->sha1, urn);
	gnut_qrp_table_add(t, urn, strlen(urn), false);
}

/* Our table: every shared file, and every partial file we offer (a query
 * that matches only one of those must reach us too). */
static gnut_qrp_table *build_local_table(gnut_qrp_routes *q)
{
	gnut_qrp_table *t = gnut_qrp_table_new(GNUT_QRP_DEFAULT_SLOTS);
	if (q->share == NULL)
		return t; /* a test's ultrapeer shares nothing */
	g_autoptr(GPtrArray) files = gnut_share_list(q->share);
	for (guint i = 0; i < files->len; i++)
		add_file(t, g_ptr_array_index(files, i));
	g_autoptr(GPtrArray) partials =
	    q->partials != NULL ? gnut_partials_list(q->partials) : g_ptr_array_new();
	for (guint i = 0; i < partials->len; i++)
		add_file(t, ((gnut_partial_file *)g_ptr_array_index(partials, i))->file);
	return t;
}

void gnut_qrp_routes_set_partials(gnut_qrp_routes *q, gnut_partials *partials)
{
	q->partials = partials;
}

/* Sends link what changed in table since the last one it got. */
static void send_table(gnut_qrp_routes *q, guint64 link, link_qrp *lq, const gnut_qrp_table *table)
{
	g_autoptr(GPtrArray) payloads = gnut_qrp_table_encode_update(table, lq->sent, &q->encode);
	for (guint i = 0; i < payloads->len; i++)
		q->send(q->send_data, link, g_ptr_array_index(payloads, i));
	if (payloads->len == 0)
		return;
	g_clear_pointer(&lq->sent, gnut_qrp_table_free);
	lq->sent = gnut_qrp_table_copy(table);
}

/* The table a link with this role gets from us, NULL for none: as a leaf,
 * our share's to our ultrapeers; as an ultrapeer, the aggregate to the
 * ultrapeers that asked for it. */
static const gnut_qrp_table *table_for(gnut_qrp_routes *q, gnut_qrp_link_role role)
{
	if (!q->ultrapeer && role == GNUT_QRP_LINK_ULTRAPEER) {
		if (q->local == NULL)
			q->local = build_local_table(q);
		return q->local;
	}
	if (q->ultrapeer && role == GNUT_QRP_LINK_ULTRAPEER_QRP) {
		if (q->aggregate == NULL)
			gnut_qrp_routes_aggregate_update(q);
		return q->aggregate;
	}
	return NULL;
}

/* Sends every link that gets a table from us what changed in it. */
static void send_tables(gnut_qrp_routes *q)
{
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, q->per_link);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		link_qrp *lq = value;
		const gnut_qrp_table *t = table_for(q, lq->role);
		if (t != NULL)
			send_table(q, *(const guint64 *)key, lq, t);
	}
}

void gnut_qrp_routes_link_role(gnut_qrp_routes *q, guint64 link, gnut_qrp_link_role role)
{
	link_qrp *lq = link_state(q, link);
	gboolean was_in_aggregate = in_aggregate(lq);
	lq->role = role;
	if (in_aggregate(lq) != was_in_aggregate)
		q->aggregate_stale = TRUE;
	const gnut_qrp_table *t = table_for(q, role);
	if (t != NULL)
		send_table(q, link, lq, t);
}

/* What a link is to us, from its handshake. */
static gnut_qrp_link_role role_of(const gnut_qrp_routes *q, gnut_node *node)
{
	if (!gnut_node_is_ultrapeer(node))
		return q->ultrapeer ? GNUT_QRP_LINK_LEAF : GNUT_QRP_LINK_OTHER;
	if (q->ultrapeer && gnut_node_get_peer(node)->ultrapeer_query_routing)
		return GNUT_QRP_LINK_ULTRAPEER_QRP;
	return GNUT_QRP_LINK_ULTRAPEER;
}

void gnut_qrp_routes_link_up(gnut_qrp_routes *q, gnut_node *node)
{
	gnut_qrp_routes_link_role(q, gnut_node_get_id(node), role_of(q, node));
}

void gnut_qrp_routes_share_changed(gnut_qrp_routes *q)
{
	g_clear_pointer(&q->local, gnut_qrp_table_free);
	if (q->ultrapeer) {
		q->aggregate_stale = TRUE; /* goes out with the next update */
		return;
	}
	send_tables(q);
}

void gnut_qrp_routes_aggregate_update(gnut_qrp_routes *q)
{
	if (q->local == NULL)
		q->local = build_local_table(q);
	gnut_qrp_table *t = gnut_qrp_table_copy(q->local);
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, q->per_link);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (in_aggregate(value))
			gnut_qrp_table_merge(t, ((link_qrp *)value)->remote);
	g_clear_pointer(&q->aggregate, gnut_qrp_table_free);
	q->aggregate = t;
	q->aggregate_stale = FALSE;
}

const gnut_qrp_table *gnut_qrp_routes_aggregate(const gnut_qrp_routes *q)
{
	return q->aggregate;
}

static gboolean has_role(const gnut_qrp_routes *q, gnut_qrp_link_role role)
{
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, q->per_link);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((const link_qrp *)value)->role == role)
			return TRUE;
	return FALSE;
}

void gnut_qrp_routes_tick(gnut_qrp_routes *q, gint64 now_us)
{
	if (!q->ultrapeer || !q->aggregate_stale)
		return;
	if (!has_role(q, GNUT_QRP_LINK_ULTRAPEER_QRP)) {
		/* no one to send it to: the next ultrapeer gets it built fresh */
		g_clear_pointer(&q->aggregate, gnut_qrp_table_free);
		return;
	}
	if (now_us < q->next_aggregate_us)
		return;
	q->next_aggregate_us = now_us + GNUT_QRP_AGGREGATE_INTERVAL_US;
	gnut_qrp_routes_aggregate_update(q);
	g_debug("ultrapeer QRP: aggregate table updated, %u of %u slots present",
	        gnut_qrp_table_count(q->aggregate), gnut_qrp_table_slots(q->aggregate));
	send_tables(q);
}

/* May the link's table become `slots` slots? Not over the cap per link, nor
 * over what all links' tables may hold together: without the caps one peer
 * announcing the largest tables on a few links made us hold ~150 MB. */
static gnut_qrp_routes_result admit_reset(const gnut_qrp_routes *q, const link_qrp *lq,
                                          guint32 slots, const char **why)
{
	if (slots > q->max_link_slots) {
		*why = "QRP table too large";
		return GNUT_QRP_ROUTES_TOO_LARGE;
	}
	if (q->slots_held - remote_slots(lq) + slots > q->max_total_slots) {
		*why = "QRP tables full";
		return GNUT_QRP_ROUTES_FULL;
	}
	return GNUT_QRP_ROUTES_PENDING;
}

/* A RESET takes link's table out of the index (not ready: every query
 * passes it); the last PATCH of a sequence puts the new slots in. */
static void index_update(gnut_qrp_routes *q, guint64 link, const gnut_qrp_table *t,
                         const gnut_qrp_msg *msg)
{
	if (q->index == NULL)
		return;
	if (msg->variant == GNUT_QRP_VARIANT_RESET)
		gnut_qrp_index_remove(q->index, link);
	else if (msg->variant == GNUT_QRP_VARIANT_PATCH &&
	         msg->u.patch.seq_no == msg->u.patch.seq_size && gnut_qrp_table_ready(t))
		gnut_qrp_index_set(q->index, link, t);
	else
		return;
	q->words_valid = FALSE; /* the index's selection is stale */
}

gnut_qrp_routes_result gnut_qrp_routes_received(gnut_qrp_routes *q, guint64 link,
                                                const gnut_msg_header *h, const guint8 *payload,
                                                const char **why)
{
	gnut_qrp_msg msg;
	gnut_proto_err err = gnut_qrp_msg_decode(payload, h->length, &msg);
	link_qrp *lq = link_state(q, link);
	if (err == GNUT_PROTO_OK && msg.variant == GNUT_QRP_VARIANT_RESET) {
		gnut_qrp_routes_result refused = admit_reset(q, lq, msg.u.reset.table_length, why);
		if (refused != GNUT_QRP_ROUTES_PENDING)
			return refused;
	}
	guint32 before = remote_slots(lq);
	gboolean was_in_aggregate = in_aggregate(lq);
	if (err == GNUT_PROTO_OK) {
		if (lq->remote == NULL)
			lq->remote = gnut_qrp_table_new_remote();
		err = gnut_qrp_table_receive(lq->remote, &msg);
	}
	q->slots_held = q->slots_held - before + remote_slots(lq);
	if (err == GNUT_PROTO_OK)
		index_update(q, link, lq->remote, &msg);
	if (err == GNUT_PROTO_OK && (was_in_aggregate || in_aggregate(lq)))
		q->aggregate_stale = TRUE; /* a leaf's table came, went or changed */
	if (err != GNUT_PROTO_OK) {
		*why = gnut_proto_strerror(err);
		return GNUT_QRP_ROUTES_BAD;
	}
	return gnut_qrp_table_ready(lq->remote) ? GNUT_QRP_ROUTES_READY : GNUT_QRP_ROUTES_PENDING;
}

/* The ready table link sent us, or NULL. */
static gnut_qrp_table *ready_table(gnut_qrp_routes *q, guint64 link)
{
	link_qrp *lq = g_hash_table_lookup(q->per_link, &link);
	if (lq == NULL || lq->remote == NULL || !gnut_qrp_table_ready(lq->remote))
		return NULL;
	return lq->remote;
}

/* The keywords and SHA-1 URNs of a query, NULL when it does not decode;
 * with the index, its selection of the tables they hit is made too.
 * The router asks about one query once per link, so this is done once per
 * query, by GUID (a second message with that GUID is a duplicate the
 * router drops before asking). */
static GPtrArray *query_words(gnut_qrp_routes *q, const gnut_msg_in *query)
{
	if (q->words_valid && gnut_guid_equal(&q->words_guid, &query->guid))
		return q->words;
	g_clear_pointer(&q->words, g_ptr_array_unref);
	q->words_valid = TRUE;
	q->words_guid = query->guid;
	gnut_query qd;
	if (gnut_query_decode(query->payload, query->payload_len, &qd) != GNUT_PROTO_OK)
		return NULL;
	q->words = gnut_keywords_split(qd.text, qd.text_len);
	gnut_urn urns[GNUT_QUERY_MAX_URNS];
	unsigned n = gnut_query_sha1s(&qd, urns, G_N_ELEMENTS(urns));
	for (unsigned i = 0; i < n; i++)
		g_ptr_array_add(q->words, gnut_urn_sha1_strdup(urns[i].sha1));
	if (q->index != NULL) {
		g_autoptr(GArray) codes = gnut_qrp_query_hashcodes(q->words);
		gnut_qrp_index_select(q->index, (const uint32_t *)(const void *)codes->data,
		                      codes->len);
	}
	return q->words;
}

/* Do the query's keywords (and SHA-1 URNs) all hit link's table t? */
static gboolean query_hits_table(gnut_qrp_routes *q, guint64 link, const gnut_qrp_table *t,
                                 const gnut_msg_in *query)
{
	if (query_words(q, query) == NULL)
		return FALSE;
	if (q->index != NULL)
		return gnut_qrp_index_selected(q->index, link);
	return gnut_qrp_table_matches(t, q->words);
}

/* With the index, one look-up answers: a link is indexed exactly while its
 * table is ready. */
gboolean gnut_qrp_routes_filter(gpointer data, guint64 link, const gnut_msg_in *query)
{
	gnut_qrp_routes *q = data;
	if (q->index == NULL) {
		gnut_qrp_table *t = ready_table(q, link);
		return t == NULL || query_hits_table(q, link, t, query);
	}
	GPtrArray *words = query_words(q, query); /* selects, once per query */
	gnut_qrp_index_answer answer = gnut_qrp_index_lookup(q->index, link);
	return answer == GNUT_QRP_INDEX_ABSENT || (words != NULL && answer == GNUT_QRP_INDEX_HIT);
}

gboolean gnut_qrp_routes_table_hit(gnut_qrp_routes *q, guint64 link, const gnut_msg_in *query)
{
	gnut_qrp_table *t = ready_table(q, link);
	return t != NULL && query_hits_table(q, link, t, query);
}

void gnut_qrp_routes_set_ultrapeer(gnut_qrp_routes *q, gboolean ultrapeer)
{
	q->ultrapeer = ultrapeer;
	g_clear_pointer(&q->aggregate, gnut_qrp_table_free);
	q->aggregate_stale = FALSE;
}

gboolean gnut_qrp_routes_table_miss(gnut_qrp_routes *q, guint64 link, const gnut_msg_in *query)
{
	gnut_qrp_table *t = ready_table(q, link);
	return t != NULL && !query_hits_table(q, link, t, query);
}
