/* mesh.c: the download mesh (mesh.h): a table SHA-1 -> bucket of sources,
 * each source on two lists, its bucket's and one global list, both in
 * order of last sight, so that the oldest entry of a file, the oldest
 * entry overall and the expired ones are all found at a list head. */
#include "gnut/core/transfer/mesh.h"

#include <string.h>

typedef struct mesh_bucket mesh_bucket;

typedef struct {
	gnut_alt alt;
	uint32_t announcer; /* the peer that named it; 0: we know it good */
	gint64 seen_us;
	mesh_bucket *bucket;
	GList by_file; /* link in bucket->entries, data = the entry */
	GList by_age;  /* link in m->age, data = the entry */
} mesh_entry;

struct mesh_bucket {
	uint8_t sha1[GNUT_SHA1_LEN];
	GQueue entries; /* oldest first */
};

struct gnut_mesh {
	guint per_file;
	guint max_entries;
	gint64 ttl_us;
	GHashTable *buckets; /* sha1 bytes (in the bucket) -> mesh_bucket* */
	GQueue age;          /* every entry, oldest first */
};

static guint sha1_hash(gconstpointer p)
{
	guint h;
	memcpy(&h, p, sizeof h);
	return h;
}

static gboolean sha1_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, GNUT_SHA1_LEN) == 0;
}

gnut_mesh *gnut_mesh_new(guint per_file, guint max_entries, gint64 ttl_us)
{
	gnut_mesh *m = g_new0(gnut_mesh, 1);
	m->per_file = per_file ? per_file : GNUT_MESH_DEFAULT_PER_FILE;
	m->max_entries = max_entries ? max_entries : GNUT_MESH_DEFAULT_MAX;
	m->ttl_us = ttl_us > 0 ? ttl_us : GNUT_MESH_DEFAULT_TTL_US;
	m->buckets = g_hash_table_new_full(sha1_hash, sha1_equal, NULL, g_free);
	g_queue_init(&m->age);
	return m;
}

static void drop_entry(gnut_mesh *m, mesh_entry *e)
{
	mesh_bucket *b = e->bucket;
	g_queue_unlink(&b->entries, &e->by_file);
	g_queue_unlink(&m->age, &e->by_age);
	g_free(e);
	if (g_queue_is_empty(&b->entries))
		g_hash_table_remove(m->buckets, b->sha1);
}

void gnut_mesh_free(gnut_mesh *m)
{
	if (m == NULL)
		return;
	while (!g_queue_is_empty(&m->age))
		drop_entry(m, m->age.head->data);
	g_hash_table_unref(m->buckets);
	g_free(m);
}

void gnut_mesh_expire(gnut_mesh *m, gint64 now_us)
{
	while (!g_queue_is_empty(&m->age)) {
		mesh_entry *e = m->age.head->data;
		if (now_us - e->seen_us < m->ttl_us)
			break;
		drop_entry(m, e);
	}
}

static mesh_entry *find_entry(mesh_bucket *b, uint32_t ip, guint16 port)
{
	for (GList *l = b->entries.head; l != NULL; l = l->next) {
		mesh_entry *e = l->data;
		if (e->alt.ip == ip && e->alt.port == port)
			return e;
	}
	return NULL;
}

/* Moves e to the young end of both lists. */
static void touch(gnut_mesh *m, mesh_entry *e, gint64 now_us)
{
	e->seen_us = now_us;
	g_queue_unlink(&e->bucket->entries, &e->by_file);
	g_queue_push_tail_link(&e->bucket->entries, &e->by_file);
	g_queue_unlink(&m->age, &e->by_age);
	g_queue_push_tail_link(&m->age, &e->by_age);
}

static mesh_bucket *bucket_for(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN])
{
	mesh_bucket *b = g_hash_table_lookup(m->buckets, sha1);
	if (b == NULL) {
		b = g_new0(mesh_bucket, 1);
		memcpy(b->sha1, sha1, GNUT_SHA1_LEN);
		g_queue_init(&b->entries);
		g_hash_table_insert(m->buckets, b->sha1, b);
	}
	return b;
}

/* The oldest entry of b that announcer named, when it named its share of
 * them already; NULL otherwise (and for our own entries). */
static mesh_entry *announcer_full(mesh_bucket *b, uint32_t announcer)
{
	if (announcer == 0)
		return NULL;
	mesh_entry *oldest = NULL;
	guint n = 0;
	for (GList *l = b->entries.head; l != NULL; l = l->next) {
		mesh_entry *e = l->data;
		if (e->announcer == announcer && n++ == 0)
			oldest = e;
	}
	return n >= GNUT_MESH_PER_ANNOUNCER ? oldest : NULL;
}

void gnut_mesh_add(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *a,
                   gint64 now_us)
{
	gnut_mesh_add_announced(m, sha1, a, 0, now_us);
}

void gnut_mesh_add_announced(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *a,
                             uint32_t announcer_ip, gint64 now_us)
{
	gnut_mesh_expire(m, now_us);
	mesh_bucket *b = g_hash_table_lookup(m->buckets, sha1);
	mesh_entry *e = b != NULL ? find_entry(b, a->ip, a->port) : NULL;
	if (e != NULL) {
		e->alt.tls = e->alt.tls || a->tls;
		if (announcer_ip == 0)
			e->announcer = 0; /* now known good by us */
		touch(m, e, now_us);
		return;
	}
	mesh_entry *full = b != NULL ? announcer_full(b, announcer_ip) : NULL;
	if (full != NULL)
		drop_entry(m, full);
	else if (b != NULL && b->entries.length >= m->per_file)
		drop_entry(m, b->entries.head->data);
	if (m->age.length >= m->max_entries)
		drop_entry(m, m->age.head->data);
	b = bucket_for(m, sha1); /* again: a drop may have freed it */
	e = g_new0(mesh_entry, 1);
	e->alt = *a;
	e->announcer = announcer_ip;
	e->seen_us = now_us;
	e->bucket = b;
	e->by_file.data = e;
	e->by_age.data = e;
	g_queue_push_tail_link(&b->entries, &e->by_file);
	g_queue_push_tail_link(&m->age, &e->by_age);
}

gboolean gnut_mesh_remove(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], uint32_t ip,
                          guint16 port)
{
	mesh_bucket *b = g_hash_table_lookup(m->buckets, sha1);
	mesh_entry *e = b != NULL ? find_entry(b, ip, port) : NULL;
	if (e == NULL)
		return FALSE;
	drop_entry(m, e);
	return TRUE;
}

gsize gnut_mesh_pick(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], uint32_t exclude_ip,
                     gint64 now_us, gnut_alt *out, gsize max)
{
	gnut_mesh_expire(m, now_us);
	mesh_bucket *b = g_hash_table_lookup(m->buckets, sha1);
	gsize n = 0;
	for (GList *l = b != NULL ? b->entries.tail : NULL; l != NULL && n < max; l = l->prev) {
		const mesh_entry *e = l->data;
		if (exclude_ip == 0 || e->alt.ip != exclude_ip)
			out[n++] = e->alt;
	}
	return n;
}

guint gnut_mesh_size(const gnut_mesh *m)
{
	return m->age.length;
}
