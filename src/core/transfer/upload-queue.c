/* upload-queue.c: the queue behind the upload slots (see upload-queue.h).
 *
 * Entries live in an array in arrival order and in a table by ID. The
 * queue is small (at most GNUT_UPLOAD_QUEUE_MAX_LENGTH entries) and only
 * asked once per request, so each ask sorts a fresh copy of the entries by
 * rank: simple, and always right about the uploads under way now. */
#define G_LOG_DOMAIN "gnut-upload"

#include "config.h"

#include "gnut/core/transfer/upload-queue.h"

#include <string.h>

#include "gnut/proto/digest.h"
#include "gnut/proto/guid.h"

typedef struct {
	char id[GNUT_UPLOAD_QUEUE_ID_LEN + 1];
	gnut_ip_key key;
	uint8_t sha1[GNUT_SHA1_LEN];
	guint64 len;        /* bytes last asked */
	guint64 seq;        /* arrival order */
	gboolean active;    /* the client sent X-Queue */
	gint64 earliest_us; /* an active client's ID poll before this is early */
	gint64 deadline_us; /* dropped when not asked for again by then */
	guint rank;         /* while ordering: see upload-queue.h */
	gboolean eligible;  /* while ordering: a free slot waits for it */
} queue_entry;

struct gnut_upload_queue {
	gnut_clock *clock;
	guint max_length;
	guint per_ip;
	GPtrArray *entries; /* queue_entry, arrival order, owned */
	GHashTable *by_id;  /* id -> queue_entry */
	guint64 next_seq;
	gnut_upload_queue_stats stats;
};

gnut_upload_queue *gnut_upload_queue_new(gnut_clock *clock, const gnut_upload_queue_config *config)
{
	gnut_upload_queue *q = g_new0(gnut_upload_queue, 1);
	q->clock = clock != NULL ? clock : gnut_clock_system();
	guint length = config != NULL ? config->max_length : 0;
	guint per_ip = config != NULL ? config->per_ip : 0;
	q->max_length = MIN(length != 0 ? length : GNUT_UPLOAD_QUEUE_DEFAULT_LENGTH,
	                    GNUT_UPLOAD_QUEUE_MAX_LENGTH);
	q->per_ip = per_ip != 0 ? per_ip : GNUT_UPLOAD_QUEUE_DEFAULT_PER_IP;
	q->entries = g_ptr_array_new_with_free_func(g_free);
	q->by_id = g_hash_table_new(g_str_hash, g_str_equal);
	return q;
}

void gnut_upload_queue_free(gnut_upload_queue *q)
{
	if (q == NULL)
		return;
	g_hash_table_unref(q->by_id);
	g_ptr_array_unref(q->entries);
	g_free(q);
}

static void remove_entry(gnut_upload_queue *q, queue_entry *e)
{
	g_hash_table_remove(q->by_id, e->id);
	g_ptr_array_remove(q->entries, e); /* frees e; keeps the arrival order */
}

void gnut_upload_queue_expire(gnut_upload_queue *q)
{
	g_return_if_fail(q != NULL);
	gint64 now = gnut_clock_now_us(q->clock);
	for (guint i = q->entries->len; i-- > 0;) {
		queue_entry *e = g_ptr_array_index(q->entries, i);
		if (e->deadline_us > now)
			continue;
		g_debug("upload queue: entry %s expired", e->id);
		q->stats.expired++;
		remove_entry(q, e);
	}
}

/* The entry this request is (see upload-queue.h), or NULL. */
static queue_entry *find_entry(gnut_upload_queue *q, const gnut_upload_ask *ask, gboolean *by_id)
{
	*by_id = FALSE;
	queue_entry *e = ask->id != NULL ? g_hash_table_lookup(q->by_id, ask->id) : NULL;
	if (e != NULL && gnut_ip_key_equal(&e->key, &ask->key)) {
		*by_id = TRUE;
		return e;
	}
	for (guint i = 0; i < q->entries->len; i++) {
		e = g_ptr_array_index(q->entries, i);
		if (gnut_ip_key_equal(&e->key, &ask->key) &&
		    memcmp(e->sha1, ask->sha1, GNUT_SHA1_LEN) == 0)
			return e;
	}
	return NULL;
}

static guint entries_of(const gnut_upload_queue *q, const gnut_ip_key *key)
{
	guint n = 0;
	for (guint i = 0; i < q->entries->len; i++)
		n +=
		    gnut_ip_key_equal(&((queue_entry *)g_ptr_array_index(q->entries, i))->key, key);
	return n;
}

static guint uploads_of(const gnut_upload_ask *ask, const gnut_ip_key *key)
{
	return ask->uploads != NULL ? gnut_ip_admit_held(ask->uploads, key) : 0;
}

static gint by_rank(gconstpointer a, gconstpointer b)
{
	const queue_entry *x = *(queue_entry *const *)a, *y = *(queue_entry *const *)b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The entries in serving order (a new array, entries borrowed), each
 * marked eligible or not; *reserved: the slots kept for the eligible. */
static GPtrArray *ordered(gnut_upload_queue *q, const gnut_upload_ask *ask, guint *reserved)
{
	GPtrArray *order = g_ptr_array_sized_new(q->entries->len);
	/* address -> entries of it seen so far, in arrival order */
	g_autoptr(GHashTable) seen = g_hash_table_new(gnut_ip_key_hash, gnut_ip_key_equal);
	for (guint i = 0; i < q->entries->len; i++) {
		queue_entry *e = g_ptr_array_index(q->entries, i);
		guint before = GPOINTER_TO_UINT(g_hash_table_lookup(seen, &e->key));
		g_hash_table_insert(seen, &e->key, GUINT_TO_POINTER(before + 1));
		e->rank = before + uploads_of(ask, &e->key);
		g_ptr_array_add(order, e);
	}
	g_ptr_array_sort(order, by_rank);
	*reserved = 0;
	for (guint i = 0; i < order->len; i++) {
		queue_entry *e = g_ptr_array_index(order, i);
		e->eligible =
		    *reserved < ask->free_slots && uploads_of(ask, &e->key) < ask->slots_per_ip;
		*reserved += e->eligible;
	}
	return order;
}

/* Retry-After for a position (see upload-queue.h). */
static guint retry_for(guint position)
{
	if (position > GNUT_UPLOAD_QUEUE_STEP_PLACES)
		return GNUT_UPLOAD_QUEUE_FAR_POLL_S;
	return GNUT_UPLOAD_QUEUE_FIRST_POLL_S + GNUT_UPLOAD_QUEUE_POLL_STEP_S * (position - 1);
}

static queue_entry *new_entry(gnut_upload_queue *q, const gnut_upload_ask *ask)
{
	queue_entry *e = g_new0(queue_entry, 1);
	gnut_guid g;
	do {
		gnut_guid_generate(&g);
		gnut_guid_to_hex(&g, e->id);
	} while (g_hash_table_contains(q->by_id, e->id));
	e->key = ask->key;
	memcpy(e->sha1, ask->sha1, GNUT_SHA1_LEN);
	e->seq = q->next_seq++;
	g_ptr_array_add(q->entries, e);
	g_hash_table_insert(q->by_id, e->id, e);
	return e;
}

/* Fills out for e, now queued, and sets its times. */
static void answer_queued(gnut_upload_queue *q, const gnut_upload_ask *ask, queue_entry *e,
                          gnut_upload_answer *out)
{
	guint reserved;
	g_autoptr(GPtrArray) order = ordered(q, ask, &reserved);
	guint64 ahead = 0;
	guint i = 0;
	for (; i < order->len && g_ptr_array_index(order, i) != e; i++)
		ahead += ((queue_entry *)g_ptr_array_index(order, i))->len;
	out->verdict = GNUT_UPLOAD_QUEUE_QUEUED;
	out->position = i + 1;
	out->length = order->len;
	out->has_eta = ask->rate > 0;
	out->eta_s = ask->rate > 0 ? (guint)MIN(ahead / ask->rate, G_MAXUINT) : 0;
	out->retry_after_s = retry_for(out->position);
	out->lifetime_s = out->retry_after_s + GNUT_UPLOAD_QUEUE_LIFETIME_S;
	if (!e->active)
		out->lifetime_s = MAX(out->lifetime_s, GNUT_UPLOAD_QUEUE_PASSIVE_S);
	memcpy(out->id, e->id, sizeof out->id);
	gint64 now = gnut_clock_now_us(q->clock);
	e->earliest_us =
	    now + ((gint64)out->retry_after_s - GNUT_UPLOAD_QUEUE_EARLY_SLACK_S) * G_USEC_PER_SEC;
	e->deadline_us = now + (gint64)out->lifetime_s * G_USEC_PER_SEC;
}

/* A request without an entry: a slot beyond those kept for the queue, or
 * a new entry, or a refusal. */
static queue_entry *admit_new(gnut_upload_queue *q, const gnut_upload_ask *ask,
                              gnut_upload_answer *out)
{
	guint reserved;
	g_autoptr(GPtrArray) order = ordered(q, ask, &reserved);
	if (reserved < ask->free_slots && uploads_of(ask, &ask->key) < ask->slots_per_ip) {
		out->verdict = GNUT_UPLOAD_QUEUE_SERVE;
		return NULL;
	}
	out->verdict = GNUT_UPLOAD_QUEUE_FULL;
	if (q->entries->len >= q->max_length) {
		q->stats.refused_full++;
		return NULL;
	}
	if (entries_of(q, &ask->key) >= q->per_ip) {
		q->stats.refused_per_ip++;
		return NULL;
	}
	return new_entry(q, ask);
}

/* Whether e, found by its ID, comes before its Retry-After (then it is
 * dropped). */
static gboolean too_early(gnut_upload_queue *q, queue_entry *e)
{
	if (!e->active || gnut_clock_now_us(q->clock) >= e->earliest_us)
		return FALSE;
	g_debug("upload queue: entry %s polled early: queued anew", e->id);
	q->stats.early++;
	remove_entry(q, e);
	return TRUE;
}

void gnut_upload_queue_ask(gnut_upload_queue *q, const gnut_upload_ask *ask,
                           gnut_upload_answer *out)
{
	g_return_if_fail(q != NULL && ask != NULL && ask->sha1 != NULL && out != NULL);
	memset(out, 0, sizeof *out);
	gnut_upload_queue_expire(q);
	gboolean by_id;
	queue_entry *e = find_entry(q, ask, &by_id);
	if (e != NULL && by_id && too_early(q, e)) {
		out->penalised = TRUE;
		e = NULL;
	}
	if (e != NULL) {
		guint reserved;
		g_autoptr(GPtrArray) order = ordered(q, ask, &reserved);
		if (e->eligible) {
			out->verdict = GNUT_UPLOAD_QUEUE_SERVE;
			q->stats.served++;
			remove_entry(q, e);
			return;
		}
	} else if ((e = admit_new(q, ask, out)) == NULL) {
		return;
	}
	e->len = ask->len;
	e->active = ask->active;
	answer_queued(q, ask, e, out);
}

void gnut_upload_queue_get_stats(const gnut_upload_queue *q, gnut_upload_queue_stats *out)
{
	g_return_if_fail(q != NULL && out != NULL);
	*out = q->stats;
	out->queued = q->entries->len;
}
