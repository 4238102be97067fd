/* route-table.c: an expiring, bounded GUID -> link id map.
 *
 * A hash table finds an entry by GUID; a queue threads the entries in the
 * order they were last put, so the oldest is at the head. Because the clock
 * is monotonic, that order is also expiry order: expiring and evicting both
 * pop from the head, in O(1) per entry. The queue links live inside the
 * entries, so a put costs one allocation. */
#include "gnut/core/routing/route-table.h"

typedef struct {
	gnut_guid guid; /* the hash key points here */
	guint64 link;
	gint64 stamp_us; /* when last put */
	GList node;      /* this entry's place in the age queue; data = entry */
} route_entry;

struct gnut_route_table {
	gnut_clock *clock;
	gint64 lifetime_us;
	guint max_entries;
	GHashTable *by_guid; /* gnut_guid * -> route_entry * (not owned) */
	GQueue age;          /* oldest first; owns the entries */
};

gnut_route_table *gnut_route_table_new(gnut_clock *clock, gint64 lifetime_us, guint max_entries)
{
	g_return_val_if_fail(clock != NULL, NULL);
	g_return_val_if_fail(lifetime_us > 0 && max_entries > 0, NULL);
	gnut_route_table *t = g_new0(gnut_route_table, 1);
	t->clock = clock;
	t->lifetime_us = lifetime_us;
	t->max_entries = max_entries;
	t->by_guid = g_hash_table_new(gnut_guid_hash, gnut_guid_equal);
	g_queue_init(&t->age);
	return t;
}

static void drop_entry(gnut_route_table *t, route_entry *e)
{
	g_hash_table_remove(t->by_guid, &e->guid);
	g_queue_unlink(&t->age, &e->node);
	g_free(e);
}

void gnut_route_table_free(gnut_route_table *t)
{
	if (t == NULL)
		return;
	while (t->age.head != NULL)
		drop_entry(t, t->age.head->data);
	g_hash_table_destroy(t->by_guid);
	g_free(t);
}

static gboolean is_expired(const gnut_route_table *t, const route_entry *e, gint64 now)
{
	return now - e->stamp_us >= t->lifetime_us;
}

void gnut_route_table_expire(gnut_route_table *t)
{
	g_return_if_fail(t != NULL);
	gint64 now = gnut_clock_now_us(t->clock);
	while (t->age.head != NULL && is_expired(t, t->age.head->data, now))
		drop_entry(t, t->age.head->data);
}

void gnut_route_table_put(gnut_route_table *t, const gnut_guid *guid, guint64 link)
{
	g_return_if_fail(t != NULL && guid != NULL);
	gnut_route_table_expire(t);
	route_entry *e = g_hash_table_lookup(t->by_guid, guid);
	if (e != NULL) {
		g_queue_unlink(&t->age, &e->node);
	} else {
		while (t->age.length >= t->max_entries)
			drop_entry(t, t->age.head->data);
		e = g_new0(route_entry, 1);
		e->guid = *guid;
		e->node.data = e;
		g_hash_table_insert(t->by_guid, &e->guid, e);
	}
	e->link = link;
	e->stamp_us = gnut_clock_now_us(t->clock);
	g_queue_push_tail_link(&t->age, &e->node);
}

gboolean gnut_route_table_lookup(const gnut_route_table *t, const gnut_guid *guid, guint64 *link)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	const route_entry *e = g_hash_table_lookup(t->by_guid, guid);
	if (e == NULL || is_expired(t, e, gnut_clock_now_us(t->clock)))
		return FALSE;
	if (link != NULL)
		*link = e->link;
	return TRUE;
}

gboolean gnut_route_table_remove(gnut_route_table *t, const gnut_guid *guid)
{
	g_return_val_if_fail(t != NULL && guid != NULL, FALSE);
	route_entry *e = g_hash_table_lookup(t->by_guid, guid);
	if (e == NULL)
		return FALSE;
	drop_entry(t, e);
	return TRUE;
}

guint gnut_route_table_purge_link(gnut_route_table *t, guint64 link)
{
	g_return_val_if_fail(t != NULL, 0);
	guint purged = 0;
	GList *l = t->age.head;
	while (l != NULL) {
		GList *next = l->next;
		route_entry *e = l->data;
		if (e->link == link) {
			drop_entry(t, e);
			purged++;
		}
		l = next;
	}
	return purged;
}

guint gnut_route_table_size(const gnut_route_table *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->age.length;
}
