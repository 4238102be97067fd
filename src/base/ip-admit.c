/* ip-admit.c: the per-address admission table of ip-admit.h. Entries live
 * in a hash table keyed by address; those that hold nothing are also on a
 * recency queue (most recent first), whose tail is evicted when the table
 * is full. An entry leaves the queue while it holds something, so eviction
 * is O(1) and never forgets a hold. */
#include "gnut/base/ip-admit.h"

#include <string.h>

typedef struct {
	gnut_ip_key key;
	guint held;
	gint64 tat_us; /* the bucket is full from this time on */
	GList idle;    /* node on the idle queue while held == 0 */
} admit_entry;

struct gnut_ip_admit {
	gnut_clock *clock;
	guint max_entries;
	gboolean throttle;
	gint64 interval_us;
	gint64 burst_span_us; /* (burst - 1) * interval: how far ahead tat may run */
	GHashTable *entries;  /* gnut_ip_key* (inside its entry) -> admit_entry* */
	GQueue idle;          /* entries holding nothing, most recently used first */
	gnut_ip_admit_stats stats;
};

static const guint8 v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

gboolean gnut_ip_key_from_bytes(gnut_ip_key *key, const guint8 *addr, gsize len)
{
	memset(key, 0, sizeof *key);
	if (len == 4) {
		memcpy(key->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix);
		memcpy(key->bytes + 12, addr, 4);
		return TRUE;
	}
	if (len != 16)
		return FALSE;
	if (memcmp(addr, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0)
		memcpy(key->bytes, addr, 16);
	else
		memcpy(key->bytes, addr, 8); /* the /64 */
	return TRUE;
}

guint gnut_ip_key_hash(gconstpointer k)
{
	const guint8 *b = ((const gnut_ip_key *)k)->bytes;
	guint h = 2166136261u; /* FNV-1a */
	for (gsize i = 0; i < sizeof(gnut_ip_key); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

gboolean gnut_ip_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(gnut_ip_key)) == 0;
}

gnut_ip_admit *gnut_ip_admit_new(gnut_clock *clock, const gnut_ip_admit_config *config)
{
	g_return_val_if_fail(clock != NULL && config != NULL, NULL);
	gnut_ip_admit *t = g_new0(gnut_ip_admit, 1);
	t->clock = clock;
	t->max_entries = MAX(config->max_entries, 1);
	guint burst = config->burst;
	t->throttle = burst != 0 && burst != GNUT_IP_ADMIT_UNLIMITED && config->interval_us > 0;
	if (t->throttle) {
		burst = MIN(burst, GNUT_IP_ADMIT_MAX_BURST);
		t->interval_us = MIN(config->interval_us, GNUT_IP_ADMIT_MAX_INTERVAL_US);
		t->burst_span_us = (gint64)(burst - 1) * t->interval_us;
	}
	t->entries = g_hash_table_new_full(gnut_ip_key_hash, gnut_ip_key_equal, NULL, g_free);
	g_queue_init(&t->idle);
	return t;
}

void gnut_ip_admit_free(gnut_ip_admit *t)
{
	if (t == NULL)
		return;
	g_hash_table_destroy(t->entries);
	g_free(t);
}

/* The entry of key, made when new (evicting the least recently used idle
 * entry when the table is full), and moved to the front of the idle queue
 * when idle. NULL when the table is full of held entries. */
static admit_entry *lookup_or_add(gnut_ip_admit *t, const gnut_ip_key *key)
{
	admit_entry *e = g_hash_table_lookup(t->entries, key);
	if (e != NULL) {
		if (e->held == 0) {
			g_queue_unlink(&t->idle, &e->idle);
			g_queue_push_head_link(&t->idle, &e->idle);
		}
		return e;
	}
	if (g_hash_table_size(t->entries) >= t->max_entries) {
		GList *oldest = g_queue_pop_tail_link(&t->idle);
		if (oldest == NULL) {
			t->stats.full++;
			return NULL;
		}
		admit_entry *victim = oldest->data;
		g_hash_table_remove(t->entries, &victim->key);
		t->stats.evicted++;
	}
	e = g_new0(admit_entry, 1);
	e->key = *key;
	e->tat_us = gnut_clock_now_us(t->clock);
	e->idle.data = e;
	g_queue_push_head_link(&t->idle, &e->idle);
	g_hash_table_insert(t->entries, &e->key, e);
	return e;
}

/* GCRA: an arrival is allowed while the theoretical arrival time runs at
 * most (burst - 1) intervals ahead of now; each allowed one pushes it an
 * interval further. Refused arrivals cost nothing. */
gboolean gnut_ip_admit_arrive(gnut_ip_admit *t, const gnut_ip_key *key)
{
	admit_entry *e = lookup_or_add(t, key);
	if (e == NULL)
		return FALSE;
	if (!t->throttle)
		return TRUE;
	gint64 now = gnut_clock_now_us(t->clock);
	gint64 tat = MAX(e->tat_us, now);
	if (tat - now > t->burst_span_us) {
		t->stats.throttled++;
		return FALSE;
	}
	e->tat_us = tat + t->interval_us;
	return TRUE;
}

gboolean gnut_ip_admit_hold(gnut_ip_admit *t, const gnut_ip_key *key, guint max_held)
{
	admit_entry *e = lookup_or_add(t, key);
	if (e == NULL)
		return FALSE;
	if (max_held != GNUT_IP_ADMIT_UNLIMITED && e->held >= max_held) {
		t->stats.busy++;
		return FALSE;
	}
	if (e->held == 0)
		g_queue_unlink(&t->idle, &e->idle);
	e->held++;
	return TRUE;
}

void gnut_ip_admit_release(gnut_ip_admit *t, const gnut_ip_key *key)
{
	admit_entry *e = g_hash_table_lookup(t->entries, key);
	g_return_if_fail(e != NULL && e->held > 0);
	if (--e->held == 0)
		g_queue_push_head_link(&t->idle, &e->idle);
}

guint gnut_ip_admit_held(const gnut_ip_admit *t, const gnut_ip_key *key)
{
	const admit_entry *e = g_hash_table_lookup(t->entries, key);
	return e != NULL ? e->held : 0;
}

guint gnut_ip_admit_size(const gnut_ip_admit *t)
{
	return g_hash_table_size(t->entries);
}

const gnut_ip_admit_stats *gnut_ip_admit_get_stats(const gnut_ip_admit *t)
{
	return &t->stats;
}
