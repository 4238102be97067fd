/* search.c: our searches and their hits. Hits of a search are kept in arrival
 * order so that "hits after id N" is a cheap scan from the end; a per-search
 * set of result keys drops duplicates that come back by a second path. */
#include "gnut/core/search/search.h"

#include <string.h>

#include "gnut/proto/oob.h"

typedef struct {
	guint64 id;
	gnut_guid guid;
	char *text;
	GPtrArray *hits;  /* gnut_hit*, owned, in id order */
	GHashTable *seen; /* result key strings */
} search_entry;

struct gnut_searches {
	GQueue order;        /* search_entry*, oldest first */
	GHashTable *by_guid; /* gnut_guid* -> search_entry* */
	GHashTable *hits;    /* guint64* hit id -> gnut_hit* (owned by the search) */
	guint64 next_search_id;
	guint64 next_hit_id;
};

static void hit_free(gpointer p)
{
	gnut_hit *h = p;
	g_free(h->name);
	g_free(h);
}

gnut_searches *gnut_searches_new(void)
{
	gnut_searches *s = g_new0(gnut_searches, 1);
	g_queue_init(&s->order);
	s->by_guid = g_hash_table_new(gnut_guid_hash, gnut_guid_equal);
	s->hits = g_hash_table_new(g_int64_hash, g_int64_equal);
	s->next_search_id = 1;
	s->next_hit_id = 1;
	return s;
}

static void entry_forget(gnut_searches *s, search_entry *e)
{
	for (guint i = 0; i < e->hits->len; i++) {
		gnut_hit *h = g_ptr_array_index(e->hits, i);
		g_hash_table_remove(s->hits, &h->id);
	}
	g_hash_table_remove(s->by_guid, &e->guid);
	g_queue_remove(&s->order, e);
	g_ptr_array_unref(e->hits);
	g_hash_table_unref(e->seen);
	g_free(e->text);
	g_free(e);
}

void gnut_searches_free(gnut_searches *s)
{
	if (s == NULL)
		return;
	while (!g_queue_is_empty(&s->order))
		entry_forget(s, g_queue_peek_head(&s->order));
	g_hash_table_unref(s->by_guid);
	g_hash_table_unref(s->hits);
	g_free(s);
}

guint64 gnut_searches_start(gnut_searches *s, const char *text, gnut_guid *guid)
{
	return gnut_searches_start_oob(s, text, 0, 0, guid);
}

guint64 gnut_searches_start_oob(gnut_searches *s, const char *text, uint32_t ipv4, uint16_t port,
                                gnut_guid *guid)
{
	if (g_queue_get_length(&s->order) >= GNUT_SEARCH_MAX_SEARCHES)
		entry_forget(s, g_queue_peek_head(&s->order));
	search_entry *e = g_new0(search_entry, 1);
	e->id = s->next_search_id++;
	gnut_guid_generate(&e->guid);
	if (port != 0)
		gnut_oob_guid_mark(&e->guid, ipv4, port);
	e->text = g_strdup(text);
	e->hits = g_ptr_array_new_with_free_func(hit_free);
	e->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_push_tail(&s->order, e);
	g_hash_table_insert(s->by_guid, &e->guid, e);
	*guid = e->guid;
	return e->id;
}

static search_entry *entry_by_id(gnut_searches *s, guint64 id)
{
	for (GList *l = s->order.head; l != NULL; l = l->next) {
		search_entry *e = l->data;
		if (e->id == id)
			return e;
	}
	return NULL;
}

void gnut_searches_stop(gnut_searches *s, guint64 search_id)
{
	search_entry *e = entry_by_id(s, search_id);
	if (e != NULL)
		g_hash_table_remove(s->by_guid, &e->guid);
}

bool gnut_searches_exists(gnut_searches *s, guint64 search_id)
{
	return entry_by_id(s, search_id) != NULL;
}

guint64 gnut_searches_id(gnut_searches *s, const gnut_guid *query_guid)
{
	search_entry *e = g_hash_table_lookup(s->by_guid, query_guid);
	return e != NULL ? e->id : 0;
}

bool gnut_searches_owns(gnut_searches *s, const gnut_guid *query_guid)
{
	return g_hash_table_contains(s->by_guid, query_guid);
}

/* Names a result for duplicate detection: one servent's file, by index, size
 * and name (servents may reuse an index after a rescan). */
static char *result_key(const gnut_hit *r, const char *name)
{
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&r->servent, hex);
	return g_strdup_printf("%s/%08x:%u/%u/%" G_GUINT64_FORMAT "/%s", hex, r->ipv4, r->port,
	                       r->file_index, r->size, name);
}

const gnut_hit *gnut_searches_add(gnut_searches *s, const gnut_guid *query_guid,
                                  const gnut_hit *result)
{
	search_entry *e = g_hash_table_lookup(s->by_guid, query_guid);
	if (e == NULL || e->hits->len >= GNUT_SEARCH_MAX_HITS)
		return NULL;
	size_t n = strnlen(result->name, GNUT_SEARCH_MAX_NAME);
	char *name = g_utf8_make_valid(result->name, (gssize)n);
	char *key = result_key(result, name);
	if (g_hash_table_contains(e->seen, key)) {
		g_free(key);
		g_free(name);
		return NULL;
	}
	g_hash_table_add(e->seen, key);
	gnut_hit *h = g_new(gnut_hit, 1);
	*h = *result;
	h->name = name;
	h->id = s->next_hit_id++;
	h->search_id = e->id;
	g_ptr_array_add(e->hits, h);
	g_hash_table_insert(s->hits, &h->id, h);
	return h;
}

bool gnut_searches_push_proxies(gnut_searches *s, const gnut_guid *servent, gnut_push_proxies *out)
{
	const gnut_hit *latest = NULL;
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->hits);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const gnut_hit *h = value;
		if (h->proxies.count > 0 && gnut_guid_equal(&h->servent, servent) &&
		    (latest == NULL || h->id > latest->id))
			latest = h;
	}
	memset(out, 0, sizeof *out);
	if (latest != NULL)
		*out = latest->proxies;
	return latest != NULL;
}

const gnut_hit *gnut_searches_hit(gnut_searches *s, guint64 hit_id)
{
	return g_hash_table_lookup(s->hits, &hit_id);
}

GPtrArray *gnut_searches_hits_after(gnut_searches *s, guint64 search_id, guint64 after_id)
{
	search_entry *e = entry_by_id(s, search_id);
	if (e == NULL)
		return NULL;
	guint first = e->hits->len;
	while (first > 0 && ((gnut_hit *)g_ptr_array_index(e->hits, first - 1))->id > after_id)
		first--;
	GPtrArray *out = g_ptr_array_new();
	for (guint i = first; i < e->hits->len; i++)
		g_ptr_array_add(out, g_ptr_array_index(e->hits, i));
	return out;
}

GPtrArray *gnut_searches_sources(gnut_searches *s, const uint8_t sha1[GNUT_SHA1_LEN])
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, s->hits);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		gnut_hit *h = value;
		if (h->has_sha1 && memcmp(h->sha1, sha1, GNUT_SHA1_LEN) == 0)
			g_ptr_array_add(out, h);
	}
	return out;
}
