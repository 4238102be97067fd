/* route-table.c: an expiring, bounded GUID -> link id map.
 *
 * A hash table finds an entry by GUID; a queue threads the entries in the
 * order they were last put, so the oldest is at the head. Because the clock
 * is monotonic, that order is also expiry order: expiring and evicting both
 * pop from the head, in O(1) per entry. A second queue per link threads
 * that link's entries in the same order: the per-link cap evicts the head
 * of it, and a link that closes is purged in O(its entries). The queue links
 * live inside the entries, so a put costs one allocation (and one more for
 * a link's first entry). */
#include "gnut/core/routing/route-table.h"

typedef struct {
	gnut_guid guid; /* the hash key points here */
	guint64 link;
	gint64 stamp_us; /* when last put */
	GList node;      /* this entry's place in the age queue; data = entry */
	GList link_node; /* its place in its link's queue; data = entry */
} route_entry;

/* The entries of one link, oldest first. */
typedef struct {
	guint64 link; /* the hash key points here */
	GQueue entries;
} link_routes;

struct gnut_route_table {
	gnut_clock *clock;
	gint64 lifetime_us;
	guint max_entries;
	guint max_per_link;  /* 0: no cap but max_entries */
	GHashTable *by_guid; /* gnut_guid * -> route_entry * (not owned) */
	GQueue age;          /* oldest first; owns the entries */
	GHashTable *by_link; /* guint64 * -> link_routes * (owned) */
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
	t->by_link = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	return t;
}

void gnut_route_table_set_max_per_link(gnut_route_table *t, guint max_per_link)
{
	g_return_if_fail(t != NULL);
	t->max_per_link = max_per_link;
}

static link_routes *routes_of(gnut_route_table *t, guint64 link)
{
	link_routes *lr = g_hash_table_lookup(t->by_link, &link);
	if (lr == NULL) {
		lr = g_new0(link_routes, 1);
		lr->link = link;
		g_queue_init(&lr->entries);
		g_hash_table_insert(t->by_link, &lr->link, lr);
	}
	return lr;
}

/* Takes e out of its link's queue, forgetting a link left with none. */
static void unlink_from_link(gnut_route_table *t, route_entry *e)
{
	link_routes *lr = g_hash_table_lookup(t->by_link, &e->link);
	g_queue_unlink(&lr->entries, &e->link_node);
	if (lr->entries.length == 0)
		g_hash_table_remove(t->by_link, &e->link);
}

static void drop_entry(gnut_route_table *t, route_entry *e)
{
	g_hash_table_remove(t->by_guid, &e->guid);
	g_queue_unlink(&t->age, &e->node);
	unlink_from_link(t, e);
	g_free(e);
}

void gnut_route_table_free(gnut_route_table *t)
{
	if (t == NULL)
		return;
	while (t->age.head != NULL)
		drop_entry(t, t->age.head->data);
	g_hash_table_destroy(t->by_guid);
	g_hash_table_destroy(t->by_link);
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

/* Makes room for one more entry of link: the table's oldest goes when the
 * table is full, the link's oldest when the link holds its cap, so that a
 * link that floods evicts its own routes and not the others'. */
static void make_room(gnut_route_table *t, guint64 link)
{
	link_routes *lr = g_hash_table_lookup(t->by_link, &link);
	if (t->max_per_link != 0 && lr != NULL && lr->entries.length >= t->max_per_link)
		drop_entry(t, lr->entries.head->data);
	while (t->age.length >= t->max_entries)
		drop_entry(t, t->age.head->data);
}

void gnut_route_table_put(gnut_route_table *t, const gnut_guid *guid, guint64 link)
{
	g_return_if_fail(t != NULL && guid != NULL);
	gnut_route_table_expire(t);
	route_entry *e = g_hash_table_lookup(t->by_guid, guid);
	if (e != NULL && e->link == link) {
		g_queue_unlink(&t->age, &e->node);
		g_queue_unlink(&routes_of(t, link)->entries, &e->link_node);
	} else if (e != NULL) {
		g_queue_unlink(&t->age, &e->node);
		unlink_from_link(t, e);
		make_room(t, link); /* e is out of the queues: never the one evicted */
	} else {
		make_room(t, link);
		e = g_new0(route_entry, 1);
		e->guid = *guid;
		e->node.data = e;
		e->link_node.data = e;
		g_hash_table_insert(t->by_guid, &e->guid, e);
	}
	e->link = link;
	e->stamp_us = gnut_clock_now_us(t->clock);
	g_queue_push_tail_link(&t->age, &e->node);
	g_queue_push_tail_link(&routes_of(t, link)->entries, &e->link_node);
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
	link_routes *lr;
	while ((lr = g_hash_table_lookup(t->by_link, &link)) != NULL) {
		drop_entry(t, lr->entries.head->data);
		purged++;
	}
	return purged;
}

guint gnut_route_table_link_size(const gnut_route_table *t, guint64 link)
{
	g_return_val_if_fail(t != NULL, 0);
	const link_routes *lr = g_hash_table_lookup(t->by_link, &link);
	return lr != NULL ? lr->entries.length : 0;
}

guint gnut_route_table_size(const gnut_route_table *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->age.length;
}
