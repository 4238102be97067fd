/* ip-rate.c: the per-key sliding windows of ip-rate.h. Each key holds a ring
 * of its last max_events event times; the ring's oldest time says whether a
 * window's worth of events is already in. A hash table finds a key; a queue
 * of the same entries, most recently used at the head, gives the eviction
 * order (its links are embedded in the entries, as in the host cache). */
#include "gnut/base/ip-rate.h"

typedef struct {
	GList link;     /* in gnut_ip_rate.lru; link.data is this entry */
	guint64 key;    /* the hash table's key */
	guint stored;   /* times held, <= max_events */
	guint next;     /* where the next time goes; the oldest when the ring is full */
	gint64 times[]; /* max_events of them: a ring */
} ip_entry;

struct gnut_ip_rate {
	gnut_clock *clock;
	guint max_events;
	gint64 window_us;
	guint max_keys;
	GHashTable *by_key; /* &entry->key -> entry (owned) */
	GQueue lru;         /* most recently used first */
};

gnut_ip_rate *gnut_ip_rate_new(gnut_clock *clock, guint max_events, gint64 window_us,
                               guint max_keys)
{
	g_return_val_if_fail(clock != NULL, NULL);
	g_return_val_if_fail(max_events >= 1 && max_events <= GNUT_IP_RATE_MAX_EVENTS, NULL);
	g_return_val_if_fail(window_us > 0 && max_keys >= 1, NULL);
	gnut_ip_rate *t = g_new0(gnut_ip_rate, 1);
	t->clock = clock;
	t->max_events = max_events;
	t->window_us = window_us;
	t->max_keys = max_keys;
	t->by_key = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	g_queue_init(&t->lru);
	return t;
}

void gnut_ip_rate_free(gnut_ip_rate *t)
{
	if (t == NULL)
		return;
	g_queue_init(&t->lru); /* its links die with their entries */
	g_hash_table_unref(t->by_key);
	g_free(t);
}

static ip_entry *lookup(const gnut_ip_rate *t, guint64 key)
{
	return g_hash_table_lookup(t->by_key, &key);
}

/* The i-th most recent time of e (0: the latest); i < e->stored. */
static gint64 recent_time(const gnut_ip_rate *t, const ip_entry *e, guint i)
{
	return e->times[(e->next + t->max_events - 1 - i) % t->max_events];
}

guint gnut_ip_rate_count(const gnut_ip_rate *t, guint64 key)
{
	const ip_entry *e = lookup(t, key);
	if (e == NULL)
		return 0;
	gint64 now = gnut_clock_now_us(t->clock);
	guint n = 0;
	while (n < e->stored && now - recent_time(t, e, n) < t->window_us)
		n++;
	return n;
}

gboolean gnut_ip_rate_allows(const gnut_ip_rate *t, guint64 key)
{
	const ip_entry *e = lookup(t, key);
	if (e == NULL || e->stored < t->max_events)
		return TRUE;
	/* a full ring: its oldest time (at next) is the max_events-th latest */
	return gnut_clock_now_us(t->clock) - e->times[e->next] >= t->window_us;
}

static ip_entry *insert(gnut_ip_rate *t, guint64 key)
{
	if (g_hash_table_size(t->by_key) >= t->max_keys) {
		ip_entry *old = t->lru.tail->data;
		g_queue_unlink(&t->lru, &old->link);
		g_hash_table_remove(t->by_key, &old->key); /* frees it */
	}
	ip_entry *e = g_malloc0(sizeof *e + (gsize)t->max_events * sizeof e->times[0]);
	e->link.data = e;
	e->key = key;
	g_hash_table_insert(t->by_key, &e->key, e);
	g_queue_push_head_link(&t->lru, &e->link);
	return e;
}

void gnut_ip_rate_note(gnut_ip_rate *t, guint64 key)
{
	ip_entry *e = lookup(t, key);
	if (e == NULL) {
		e = insert(t, key);
	} else {
		g_queue_unlink(&t->lru, &e->link);
		g_queue_push_head_link(&t->lru, &e->link);
	}
	e->times[e->next] = gnut_clock_now_us(t->clock);
	e->next = (e->next + 1) % t->max_events;
	if (e->stored < t->max_events)
		e->stored++;
}

gboolean gnut_ip_rate_take(gnut_ip_rate *t, guint64 key)
{
	if (!gnut_ip_rate_allows(t, key))
		return FALSE;
	gnut_ip_rate_note(t, key);
	return TRUE;
}

guint gnut_ip_rate_size(const gnut_ip_rate *t)
{
	return g_hash_table_size(t->by_key);
}
