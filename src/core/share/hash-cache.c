/* hash-cache.c: (path, size, mtime) -> SHA-1 and Tiger tree level, kept in a hash table keyed by
 * path, with a "seen" mark per entry so that a rescan can drop the entries of
 * files that left the share, and a strict little text format on disk. */
#include "gnut/core/share/hash-cache.h"

#include <gio/gio.h>
#include <string.h>

#include "gnut/base/atomic-file.h"

#define CACHE_HEADER    "gnutd-hash-cache 2"
#define CACHE_HEADER_V1 "gnutd-hash-cache 1"

typedef struct {
	guint64 size;
	gint64 mtime_ns;
	uint8_t sha1[GNUT_SHA1_LEN];
	gboolean seen;
	gnut_thex_level *thex; /* NULL: none recorded */
} cache_entry;

static void entry_free(gpointer p)
{
	cache_entry *e = p;
	gnut_thex_level_free(e->thex);
	g_free(e);
}

struct gnut_hash_cache {
	GHashTable *entries; /* char *path -> cache_entry* (both owned) */
	gboolean dirty;
};

gnut_hash_cache *gnut_hash_cache_new(void)
{
	gnut_hash_cache *c = g_new0(gnut_hash_cache, 1);
	c->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	return c;
}

void gnut_hash_cache_free(gnut_hash_cache *c)
{
	if (c == NULL)
		return;
	g_hash_table_unref(c->entries);
	g_free(c);
}

gboolean gnut_hash_cache_lookup(gnut_hash_cache *c, const char *path, guint64 size, gint64 mtime_ns,
                                uint8_t sha1[GNUT_SHA1_LEN])
{
	cache_entry *e = g_hash_table_lookup(c->entries, path);
	if (e == NULL || e->size != size || e->mtime_ns != mtime_ns)
		return FALSE;
	e->seen = TRUE;
	memcpy(sha1, e->sha1, GNUT_SHA1_LEN);
	return TRUE;
}

void gnut_hash_cache_store(gnut_hash_cache *c, const char *path, guint64 size, gint64 mtime_ns,
                           const uint8_t sha1[GNUT_SHA1_LEN])
{
	size_t len = strlen(path);
	if (len == 0 || len > GNUT_HASH_CACHE_MAX_PATH)
		return;
	cache_entry *e = g_hash_table_lookup(c->entries, path);
	if (e == NULL) {
		if (g_hash_table_size(c->entries) >= GNUT_HASH_CACHE_MAX_ENTRIES)
			return;
		e = g_new0(cache_entry, 1);
		g_hash_table_insert(c->entries, g_strdup(path), e);
	}
	e->size = size;
	e->mtime_ns = mtime_ns;
	memcpy(e->sha1, sha1, GNUT_SHA1_LEN);
	g_clear_pointer(&e->thex, gnut_thex_level_free); /* set_thex follows */
	e->seen = TRUE;
	c->dirty = TRUE;
}

gnut_thex_level *gnut_hash_cache_get_thex(gnut_hash_cache *c, const char *path)
{
	cache_entry *e = g_hash_table_lookup(c->entries, path);
	return e != NULL && e->thex != NULL ? gnut_thex_level_copy(e->thex) : NULL;
}

/* Whether l is the level a file of size bytes is served at. */
static gboolean level_fits(const gnut_thex_level *l, guint64 size)
{
	unsigned depth = gnut_thex_good_depth(size);
	return l->file_size == size && l->depth == depth &&
	       l->n_nodes == gnut_thex_level_count(size, depth);
}

void gnut_hash_cache_set_thex(gnut_hash_cache *c, const char *path, const gnut_thex_level *l)
{
	cache_entry *e = g_hash_table_lookup(c->entries, path);
	if (e == NULL || l == NULL || !level_fits(l, e->size))
		return;
	gnut_thex_level_free(e->thex);
	e->thex = gnut_thex_level_copy(l);
	c->dirty = TRUE;
}

static gboolean drop_unseen(gpointer key, gpointer value, gpointer user_data)
{
	cache_entry *e = value;
	gboolean drop = !e->seen;
	e->seen = FALSE;
	return drop;
}

guint gnut_hash_cache_prune(gnut_hash_cache *c)
{
	guint dropped = g_hash_table_foreach_remove(c->entries, drop_unseen, NULL);
	if (dropped > 0)
		c->dirty = TRUE;
	return dropped;
}

guint gnut_hash_cache_size(const gnut_hash_cache *c)
{
	return g_hash_table_size(c->entries);
}

gboolean gnut_hash_cache_is_dirty(const gnut_hash_cache *c)
{
	return c->dirty;
}

/* Paths are arbitrary bytes but for NUL; escaping the line structure ('\n'),
 * the escape itself and other control bytes keeps one entry per line. */
static void append_escaped_path(GString *out, const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '%' || *p < 0x20 || *p == 0x7f)
			g_string_append_printf(out, "%%%02X", *p);
		else
			g_string_append_c(out, (char)*p);
	}
}

/* "-", or the base64 of the root then the level's nodes. */
static void append_thex(GString *out, const gnut_thex_level *l)
{
	if (l == NULL) {
		g_string_append_c(out, '-');
		return;
	}
	gsize len = (1 + l->n_nodes) * GNUT_TIGER_LEN;
	g_autofree guint8 *blob = g_malloc(len);
	memcpy(blob, l->root, GNUT_TIGER_LEN);
	memcpy(blob + GNUT_TIGER_LEN, l->nodes, l->n_nodes * GNUT_TIGER_LEN);
	g_autofree char *text = g_base64_encode(blob, len);
	g_string_append(out, text);
}

static gint compare_key_ptrs(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GBytes *gnut_hash_cache_serialize(const gnut_hash_cache *c)
{
	GString *out = g_string_new(CACHE_HEADER "\n");
	g_autofree gpointer *keys = g_hash_table_get_keys_as_array(c->entries, NULL);
	guint n = g_hash_table_size(c->entries);
	g_qsort_with_data(keys, (gint)n, sizeof *keys, compare_key_ptrs, NULL);
	for (guint i = 0; i < n; i++) {
		const cache_entry *e = g_hash_table_lookup(c->entries, keys[i]);
		for (int b = 0; b < 20; b++)
			g_string_append_printf(out, "%02x", e->sha1[b]);
		g_string_append_printf(out, " %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " ", e->size,
		                       e->mtime_ns);
		append_thex(out, e->thex);
		g_string_append_c(out, ' ');
		append_escaped_path(out, keys[i]);
		g_string_append_c(out, '\n');
	}
	return g_string_free_to_bytes(out);
}

/* A cursor over one line of the cache file. */
typedef struct {
	const char *p;
	const char *end;
} line_cursor;

static gboolean parse_hex_sha1(line_cursor *lc, uint8_t sha1[GNUT_SHA1_LEN])
{
	if (lc->end - lc->p < 40)
		return FALSE;
	for (int i = 0; i < 20; i++) {
		int hi = g_ascii_xdigit_value(lc->p[2 * i]);
		int lo = g_ascii_xdigit_value(lc->p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FALSE;
		sha1[i] = (uint8_t)(hi << 4 | lo);
	}
	lc->p += 40;
	return TRUE;
}

static gboolean parse_space(line_cursor *lc)
{
	if (lc->p >= lc->end || *lc->p != ' ')
		return FALSE;
	lc->p++;
	return TRUE;
}

/* Decimal digits up to limit, without overflow; at least one digit. */
static gboolean parse_decimal(line_cursor *lc, guint64 limit, guint64 *out)
{
	guint64 v = 0;
	const char *start = lc->p;
	while (lc->p < lc->end && g_ascii_isdigit(*lc->p)) {
		guint d = (guint)(*lc->p - '0');
		if (v > (limit - d) / 10)
			return FALSE;
		v = v * 10 + d;
		lc->p++;
	}
	*out = v;
	return lc->p > start;
}

static gboolean parse_mtime(line_cursor *lc, gint64 *out)
{
	gboolean negative = lc->p < lc->end && *lc->p == '-';
	if (negative)
		lc->p++;
	guint64 v;
	if (!parse_decimal(lc, (guint64)G_MAXINT64, &v))
		return FALSE;
	*out = negative ? -(gint64)v : (gint64)v;
	return TRUE;
}

/* The rest of the line, %XX unescaped; it must be an absolute path without
 * NUL bytes, at most GNUT_HASH_CACHE_MAX_PATH bytes. */
static char *parse_path(line_cursor *lc)
{
	GString *path = g_string_new(NULL);
	gboolean bad = FALSE;
	while (lc->p < lc->end && !bad) {
		char ch = *lc->p++;
		if (ch == '%') {
			int hi = lc->end - lc->p >= 2 ? g_ascii_xdigit_value(lc->p[0]) : -1;
			int lo = lc->end - lc->p >= 2 ? g_ascii_xdigit_value(lc->p[1]) : -1;
			bad = hi < 0 || lo < 0 || (hi == 0 && lo == 0);
			if (!bad) {
				ch = (char)(hi << 4 | lo);
				lc->p += 2;
			}
		} else {
			bad = (unsigned char)ch < 0x20 || ch == 0x7f;
		}
		g_string_append_c(path, ch);
		bad = bad || path->len > GNUT_HASH_CACHE_MAX_PATH;
	}
	if (bad || path->len == 0 || path->str[0] != '/') {
		g_string_free(path, TRUE);
		return NULL;
	}
	return g_string_free(path, FALSE);
}

/* The tree field: "-" (NULL, TRUE) or a level of a file of size bytes in
 * strict base64 (*out, TRUE); FALSE for anything else. */
static gboolean parse_thex(line_cursor *lc, guint64 size, gnut_thex_level **out)
{
	const char *start = lc->p;
	while (lc->p < lc->end && *lc->p != ' ')
		lc->p++;
	size_t len = (size_t)(lc->p - start);
	*out = NULL;
	if (len == 1 && *start == '-')
		return TRUE;
	if (len == 0 || len % 4 != 0 ||
	    len > 4 * (GNUT_THEX_MAX_LEVEL + 1) * GNUT_TIGER_LEN / 3 + 4 ||
	    strspn(start, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") <
	        len)
		return FALSE;
	g_autofree char *text = g_strndup(start, len);
	gsize n = 0;
	g_autofree guint8 *blob = g_base64_decode(text, &n);
	if (n < 2 * GNUT_TIGER_LEN || n % GNUT_TIGER_LEN != 0)
		return FALSE;
	*out = gnut_thex_level_restore(size, blob, blob + GNUT_TIGER_LEN, n / GNUT_TIGER_LEN - 1);
	return *out != NULL;
}

static gboolean parse_entry(gnut_hash_cache *c, const char *line, const char *end,
                            gboolean with_thex)
{
	line_cursor lc = {line, end};
	uint8_t sha1[GNUT_SHA1_LEN];
	guint64 size;
	gint64 mtime_ns;
	if (!parse_hex_sha1(&lc, sha1) || !parse_space(&lc) ||
	    !parse_decimal(&lc, G_MAXUINT64, &size) || !parse_space(&lc) ||
	    !parse_mtime(&lc, &mtime_ns) || !parse_space(&lc))
		return FALSE;
	g_autoptr(gnut_thex_level) thex = NULL;
	if (with_thex && (!parse_thex(&lc, size, &thex) || !parse_space(&lc)))
		return FALSE;
	char *path = parse_path(&lc);
	if (path == NULL)
		return FALSE;
	gnut_hash_cache_store(c, path, size, mtime_ns, sha1);
	gnut_hash_cache_set_thex(c, path, thex);
	g_free(path);
	return TRUE;
}

/* Which version line[0..len) announces: 2, 1, or 0 for none. */
static int header_version(const char *line, size_t len)
{
	if (len == strlen(CACHE_HEADER) && memcmp(line, CACHE_HEADER, len) == 0)
		return 2;
	if (len == strlen(CACHE_HEADER_V1) && memcmp(line, CACHE_HEADER_V1, len) == 0)
		return 1;
	return 0;
}

gboolean gnut_hash_cache_parse(gnut_hash_cache *c, const char *data, gsize len, GError **error)
{
	g_hash_table_remove_all(c->entries);
	c->dirty = FALSE;
	const char *p = data;
	const char *end = data + len;
	guint line_no = 0;
	int version = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line_no++;
		gboolean ok;
		if (nl == NULL)
			ok = FALSE; /* the last line was cut short */
		else if (line_no == 1)
			ok = (version = header_version(p, (size_t)(nl - p))) != 0;
		else
			ok = parse_entry(c, p, nl, version == 2);
		if (!ok) {
			g_hash_table_remove_all(c->entries);
			c->dirty = FALSE;
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            "hash cache line %u is malformed", line_no);
			return FALSE;
		}
		p = nl + 1;
	}
	if (line_no == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "hash cache has no header line");
		return FALSE;
	}
	/* A freshly loaded cache has nothing seen yet: a prune right after a
	 * scan drops what the scan did not find. */
	GHashTableIter it;
	gpointer value;
	g_hash_table_iter_init(&it, c->entries);
	while (g_hash_table_iter_next(&it, NULL, &value))
		((cache_entry *)value)->seen = FALSE;
	c->dirty = FALSE;
	return TRUE;
}

gboolean gnut_hash_cache_load(gnut_hash_cache *c, const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	GError *local = NULL;
	if (!gnut_read_file_capped(path, GNUT_HASH_CACHE_MAX_BYTES, &data, &len, &local)) {
		g_hash_table_remove_all(c->entries);
		c->dirty = FALSE;
		if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
			g_error_free(local);
			return TRUE;
		}
		g_propagate_error(error, local);
		return FALSE;
	}
	if (!gnut_hash_cache_parse(c, data, len, &local)) {
		g_propagate_prefixed_error(error, local, "%s: ", path);
		return FALSE;
	}
	return TRUE;
}

gboolean gnut_hash_cache_save(gnut_hash_cache *c, const char *path, GError **error)
{
	g_autoptr(GBytes) bytes = gnut_hash_cache_serialize(c);
	gsize len = 0;
	const void *data = g_bytes_get_data(bytes, &len);
	if (!gnut_atomic_write(path, data, len, error))
		return FALSE;
	c->dirty = FALSE;
	return TRUE;
}
