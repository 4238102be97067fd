/* outq.c: the bounded priority output queue (see outq.h for the policy).
 * One GQueue of GBytes per priority plus the head being written and the
 * offset into it; byte totals per priority make the drop decision O(1). */
#include "gnut/net/outq.h"

struct gnut_outq {
	gsize cap;
	GQueue queues[GNUT_PRIO_COUNT];
	gsize queued_bytes[GNUT_PRIO_COUNT]; /* bytes waiting in each queue */
	GBytes *head;                        /* partly written message, or NULL */
	gsize head_off;                      /* bytes of head already written */
	gsize total;                         /* unsent bytes, head included */
	gnut_outq_stats stats;
};

gnut_outq *gnut_outq_new(gsize cap)
{
	g_return_val_if_fail(cap > 0, NULL);
	gnut_outq *q = g_new0(gnut_outq, 1);
	q->cap = cap;
	for (int p = 0; p < GNUT_PRIO_COUNT; p++)
		g_queue_init(&q->queues[p]);
	return q;
}

void gnut_outq_clear(gnut_outq *q)
{
	for (int p = 0; p < GNUT_PRIO_COUNT; p++) {
		g_queue_clear_full(&q->queues[p], (GDestroyNotify)g_bytes_unref);
		q->queued_bytes[p] = 0;
	}
	g_clear_pointer(&q->head, g_bytes_unref);
	q->head_off = 0;
	q->total = 0;
}

void gnut_outq_free(gnut_outq *q)
{
	if (q == NULL)
		return;
	gnut_outq_clear(q);
	g_free(q);
}

void gnut_outq_set_cap(gnut_outq *q, gsize cap)
{
	g_return_if_fail(cap > 0);
	q->cap = cap;
}

gsize gnut_outq_get_cap(const gnut_outq *q)
{
	return q->cap;
}

gsize gnut_outq_bytes(const gnut_outq *q)
{
	return q->total;
}

guint gnut_outq_length(const gnut_outq *q)
{
	guint n = q->head != NULL ? 1 : 0;
	for (int p = 0; p < GNUT_PRIO_COUNT; p++)
		n += q->queues[p].length;
	return n;
}

gboolean gnut_outq_is_empty(const gnut_outq *q)
{
	return q->total == 0;
}

const gnut_outq_stats *gnut_outq_get_stats(const gnut_outq *q)
{
	return &q->stats;
}

static void count_drop(gnut_outq *q, gnut_prio prio, gsize len)
{
	q->stats.dropped_msgs[prio]++;
	q->stats.dropped_bytes[prio] += len;
}

/* Evicts queued messages below prio, lowest priority and newest first,
 * until need more bytes fit. The caller checked that they can be found. */
static void evict_below(gnut_outq *q, gnut_prio prio, gsize need)
{
	for (int p = 0; p < (int)prio && q->total + need > q->cap; p++) {
		while (q->total + need > q->cap && !g_queue_is_empty(&q->queues[p])) {
			GBytes *victim = g_queue_pop_tail(&q->queues[p]);
			gsize len = g_bytes_get_size(victim);
			q->queued_bytes[p] -= len;
			q->total -= len;
			count_drop(q, (gnut_prio)p, len);
			g_bytes_unref(victim);
		}
	}
}

gboolean gnut_outq_push(gnut_outq *q, GBytes *msg, gnut_prio prio)
{
	g_return_val_if_fail(q != NULL && msg != NULL, FALSE);
	g_return_val_if_fail((guint)prio < GNUT_PRIO_COUNT, FALSE);
	gsize len = g_bytes_get_size(msg);
	if (len == 0) {
		q->stats.queued_msgs++;
		q->stats.sent_msgs++;
		return TRUE;
	}
	if (q->total + len > q->cap) {
		gsize droppable = 0;
		for (int p = 0; p < (int)prio; p++)
			droppable += q->queued_bytes[p];
		/* Evict nothing unless the evictions really make room. */
		if (len > q->cap || q->total - droppable + len > q->cap) {
			count_drop(q, prio, len);
			return FALSE;
		}
		evict_below(q, prio, len);
	}
	g_queue_push_tail(&q->queues[prio], g_bytes_ref(msg));
	q->queued_bytes[prio] += len;
	q->total += len;
	q->stats.queued_msgs++;
	return TRUE;
}

guint gnut_outq_peek(const gnut_outq *q, GOutputVector *vec, guint max_vec)
{
	guint n = 0;
	if (q->head != NULL && n < max_vec) {
		gsize size = 0;
		const guint8 *data = g_bytes_get_data(q->head, &size);
		vec[n].buffer = data + q->head_off;
		vec[n].size = size - q->head_off;
		n++;
	}
	for (int p = GNUT_PRIO_COUNT - 1; p >= 0 && n < max_vec; p--) {
		for (GList *l = q->queues[p].head; l != NULL && n < max_vec; l = l->next) {
			gsize size = 0;
			vec[n].buffer = g_bytes_get_data(l->data, &size);
			vec[n].size = size;
			n++;
		}
	}
	return n;
}

/* Makes the next message in send order the head: the highest non-empty
 * priority's oldest message. */
static void take_next_head(gnut_outq *q)
{
	for (int p = GNUT_PRIO_COUNT - 1; p >= 0; p--) {
		if (!g_queue_is_empty(&q->queues[p])) {
			q->head = g_queue_pop_head(&q->queues[p]);
			q->head_off = 0;
			q->queued_bytes[p] -= g_bytes_get_size(q->head);
			return;
		}
	}
}

void gnut_outq_consume(gnut_outq *q, gsize n)
{
	g_return_if_fail(n <= q->total);
	while (n > 0) {
		if (q->head == NULL)
			take_next_head(q);
		gsize left = g_bytes_get_size(q->head) - q->head_off;
		gsize take = MIN(n, left);
		q->head_off += take;
		q->total -= take;
		n -= take;
		if (take == left) {
			g_clear_pointer(&q->head, g_bytes_unref);
			q->head_off = 0;
			q->stats.sent_msgs++;
		}
	}
}

const char *gnut_prio_name(gnut_prio prio)
{
	switch (prio) {
	case GNUT_PRIO_BULK:
		return "bulk";
	case GNUT_PRIO_QUERY:
		return "query";
	case GNUT_PRIO_HIT:
		return "hit";
	case GNUT_PRIO_PING:
		return "ping";
	case GNUT_PRIO_PONG:
		return "pong";
	case GNUT_PRIO_CONTROL:
		return "control";
	case GNUT_PRIO_COUNT:
		break;
	}
	return "unknown";
}
