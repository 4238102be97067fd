/* dedup.c: an expiring, bounded set of (GUID, type).
 *
 * Same shape as the route table: a hash set finds a record, a queue keeps
 * records oldest first. Records are never refreshed, so the queue is in
 * insertion order, which (the clock being monotonic) is expiry order too. */
#include "gnut/core/routing/dedup.h"

#include <string.h>

typedef struct {
	gnut_guid guid;
	guint8 type;
} dedup_key;

typedef struct {
	dedup_key key; /* the hash key points here */
	gint64 stamp_us;
	GList node; /* place in the age queue; data = record */
} dedup_record;

struct gnut_dedup {
	gnut_clock *clock;
	gint64 lifetime_us;
	guint max_entries;
	GHashTable *set; /* dedup_key * -> dedup_record * (not owned) */
	GQueue age;      /* oldest first; owns the records */
};

static guint key_hash(gconstpointer p)
{
	const dedup_key *k = p;
	/* Spread the type over the word so GUID ^ type does not cluster. */
	return gnut_guid_hash(&k->guid) ^ ((guint)k->type * 0x9e3779b1u);
}

/* Why not memcmp on the whole key: the struct may have padding bytes. */
static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const dedup_key *x = a, *y = b;
	return x->type == y->type && memcmp(x->guid.bytes, y->guid.bytes, GNUT_GUID_LEN) == 0;
}

gnut_dedup *gnut_dedup_new(gnut_clock *clock, gint64 lifetime_us, guint max_entries)
{
	g_return_val_if_fail(clock != NULL, NULL);
	g_return_val_if_fail(lifetime_us > 0 && max_entries > 0, NULL);
	gnut_dedup *d = g_new0(gnut_dedup, 1);
	d->clock = clock;
	d->lifetime_us = lifetime_us;
	d->max_entries = max_entries;
	d->set = g_hash_table_new(key_hash, key_equal);
	g_queue_init(&d->age);
	return d;
}

static void drop_record(gnut_dedup *d, dedup_record *r)
{
	g_hash_table_remove(d->set, &r->key);
	g_queue_unlink(&d->age, &r->node);
	g_free(r);
}

void gnut_dedup_free(gnut_dedup *d)
{
	if (d == NULL)
		return;
	while (d->age.head != NULL)
		drop_record(d, d->age.head->data);
	g_hash_table_destroy(d->set);
	g_free(d);
}

static gboolean is_expired(const gnut_dedup *d, const dedup_record *r, gint64 now)
{
	return now - r->stamp_us >= d->lifetime_us;
}

void gnut_dedup_expire(gnut_dedup *d)
{
	g_return_if_fail(d != NULL);
	gint64 now = gnut_clock_now_us(d->clock);
	while (d->age.head != NULL && is_expired(d, d->age.head->data, now))
		drop_record(d, d->age.head->data);
}

gboolean gnut_dedup_seen(const gnut_dedup *d, const gnut_guid *guid, guint8 type)
{
	g_return_val_if_fail(d != NULL && guid != NULL, FALSE);
	dedup_key k;
	memset(&k, 0, sizeof k);
	k.guid = *guid;
	k.type = type;
	const dedup_record *r = g_hash_table_lookup(d->set, &k);
	return r != NULL && !is_expired(d, r, gnut_clock_now_us(d->clock));
}

gboolean gnut_dedup_check_and_add(gnut_dedup *d, const gnut_guid *guid, guint8 type)
{
	g_return_val_if_fail(d != NULL && guid != NULL, FALSE);
	/* Expiring first means an expired record is gone before the lookup, so
	 * a GUID seen long ago counts as new and is recorded afresh. */
	gnut_dedup_expire(d);
	if (gnut_dedup_seen(d, guid, type))
		return TRUE;
	while (d->age.length >= d->max_entries)
		drop_record(d, d->age.head->data);
	dedup_record *r = g_new0(dedup_record, 1);
	r->key.guid = *guid;
	r->key.type = type;
	r->stamp_us = gnut_clock_now_us(d->clock);
	r->node.data = r;
	g_hash_table_insert(d->set, &r->key, r);
	g_queue_push_tail_link(&d->age, &r->node);
	return FALSE;
}

guint gnut_dedup_size(const gnut_dedup *d)
{
	g_return_val_if_fail(d != NULL, 0);
	return d->age.length;
}
