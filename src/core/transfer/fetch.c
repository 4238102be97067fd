/* fetch.c: targets the user asks for, turned into downloads (see fetch.h).
 * A hit becomes a source only when we may connect to it: a firewalled one is
 * reached by push (we never dial its address), any other must pass the dial
 * rule (gnut/proto/dial-rule.h), so that hits cannot point our downloads at
 * the user's LAN or at addresses no host has. */
#include "config.h"

#include "gnut/core/transfer/fetch.h"

#include <string.h>

#include "gnut/base/error.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/magnet.h"
#include "gnut/proto/urn.h"

struct gnut_fetch {
	gnut_downloads *downloads;
	gnut_searches *searches;
	gboolean allow_local;
	gnut_fetch_search_fn search;
	gpointer search_data;
	GHashTable *urn_searches; /* "urn:sha1:..." -> id of the search for its sources */
	guint64 refused;          /* hits not taken as sources: we may not dial them */
};

gnut_fetch *gnut_fetch_new(gnut_downloads *downloads, gnut_searches *searches, gboolean allow_local,
                           gnut_fetch_search_fn search, gpointer search_data)
{
	gnut_fetch *f = g_new0(gnut_fetch, 1);
	f->downloads = downloads;
	f->searches = searches;
	f->allow_local = allow_local;
	f->search = search;
	f->search_data = search_data;
	f->urn_searches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return f;
}

void gnut_fetch_free(gnut_fetch *f)
{
	if (f == NULL)
		return;
	g_hash_table_unref(f->urn_searches);
	g_free(f);
}

/* Whether the hit can be a source: reached by push, or at an address we
 * may dial. Counted when not. */
static gboolean usable_hit(gnut_fetch *f, const gnut_hit *h)
{
	if (h->firewalled || gnut_dial_check_ipv4(h->ipv4, h->port, f->allow_local) == GNUT_DIAL_OK)
		return TRUE;
	f->refused++;
	return FALSE;
}

static void source_of_hit(const gnut_hit *h, char host[GNUT_ADDR_IPV4_LEN],
                          gnut_download_source *src)
{
	gnut_addr_format_ipv4(h->ipv4, host);
	*src = (gnut_download_source){
	    .host = host,
	    .port = h->port,
	    .index = h->file_index,
	    .name = h->name,
	    .get_only = !h->has_sha1,
	    .has_guid = TRUE,
	    .guid = h->servent,
	    .firewalled = h->firewalled,
	    .tls = h->tls,
	};
}

static gboolean search_gone(gpointer key, gpointer value, gpointer data)
{
	return !gnut_searches_exists(data, GPOINTER_TO_SIZE(value));
}

/* Sends a query for this URN unless one is out already: its hits become the
 * download's sources (gnut_fetch_hit_added). */
static void search_sources(gnut_fetch *f, const char *urn)
{
	guint64 id = GPOINTER_TO_SIZE(g_hash_table_lookup(f->urn_searches, urn));
	if (id != 0 && gnut_searches_exists(f->searches, id))
		return;
	/* Searches are forgotten past GNUT_SEARCH_MAX_SEARCHES: so are these. */
	g_hash_table_foreach_remove(f->urn_searches, search_gone, f->searches);
	id = f->search(urn, f->search_data);
	if (id != 0)
		g_hash_table_insert(f->urn_searches, g_strdup(urn), GSIZE_TO_POINTER(id));
}

/* The hits for sha1 that can be sources, at most GNUT_DOWNLOAD_MAX_SOURCES;
 * *first is the first hit of all, usable or not (NULL: none). */
static GPtrArray *usable_hits(gnut_fetch *f, const uint8_t sha1[GNUT_SHA1_LEN],
                              const gnut_hit **first)
{
	g_autoptr(GPtrArray) hits = gnut_searches_sources(f->searches, sha1);
	GPtrArray *usable = g_ptr_array_new();
	*first = hits->len > 0 ? g_ptr_array_index(hits, 0) : NULL;
	for (guint i = 0; i < hits->len && usable->len < GNUT_DOWNLOAD_MAX_SOURCES; i++)
		if (usable_hit(f, g_ptr_array_index(hits, i)))
			g_ptr_array_add(usable, g_ptr_array_index(hits, i));
	return usable;
}

/* Starts (or feeds) the download of the file with this SHA-1 from every hit
 * we have for it that can be a source. With none yet, a search for the URN
 * goes out; when the name and size are known (a magnet with dn and xl, or
 * hits we may not dial) the download waits for the sources it finds, else
 * it is NOT_FOUND until the search found one. */
static guint64 by_sha1(gnut_fetch *f, const uint8_t sha1[GNUT_SHA1_LEN], const char *name,
                       gboolean has_size, guint64 size, const char *to_dir, GError **error)
{
	const gnut_hit *first;
	g_autoptr(GPtrArray) hits = usable_hits(f, sha1, &first);
	if (first != NULL) {
		name = name ? name : first->name;
		size = has_size ? size : first->size;
		has_size = TRUE;
	}
	if (hits->len == 0) {
		g_autofree char *urn = gnut_urn_sha1_strdup(sha1);
		search_sources(f, urn);
		if (name != NULL && has_size)
			return gnut_downloads_add(f->downloads, sha1, name, size, to_dir, NULL, 0,
			                          error);
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND,
		            "no source known yet for %s: a search for it went out", urn);
		return 0;
	}
	guint n = hits->len;
	gnut_download_source *sources = g_new0(gnut_download_source, n);
	char *hosts = g_malloc0((gsize)n * GNUT_ADDR_IPV4_LEN); /* dotted quads */
	for (guint i = 0; i < n; i++)
		source_of_hit(g_ptr_array_index(hits, i), hosts + GNUT_ADDR_IPV4_LEN * i,
		              &sources[i]);
	guint64 id = gnut_downloads_add(f->downloads, sha1, name, size, to_dir, sources, n, error);
	g_free(sources);
	g_free(hosts);
	return id;
}

/* A hit without a SHA-1 could only be fetched unverified: refused. */
static guint64 by_hit(gnut_fetch *f, const gnut_hit *h, const char *to_dir, GError **error)
{
	if (h->has_sha1)
		return by_sha1(f, h->sha1, h->name, TRUE, h->size, to_dir, error);
	g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
	            "hit %" G_GUINT64_FORMAT " gives no SHA-1: it cannot be verified", h->id);
	return 0;
}

/* An exact source of a magnet, "http://a.b.c.d:port/..." (the form
 * servents write: /uri-res/N2R?urn), as a source of the download, when we
 * may dial it. Host names are not looked up. */
static void add_magnet_source(gnut_fetch *f, guint64 id, const char *xs)
{
	static const char scheme[] = "http://";
	if (g_ascii_strncasecmp(xs, scheme, strlen(scheme)) != 0)
		return;
	const char *hp = xs + strlen(scheme);
	size_t len = strcspn(hp, "/");
	uint32_t ip = 0;
	uint16_t port = 0;
	if (gnut_addr_parse_ipv4_port(hp, len, 80, &ip, &port) != GNUT_PROTO_OK ||
	    gnut_dial_check_ipv4(ip, port, f->allow_local) != GNUT_DIAL_OK) {
		f->refused++;
		return;
	}
	char host[GNUT_ADDR_IPV4_LEN];
	gnut_addr_format_ipv4(ip, host);
	gnut_download_source src = {.host = host, .port = port};
	gnut_downloads_add_source(f->downloads, id, &src, NULL);
}

static guint64 by_magnet(gnut_fetch *f, const char *uri, const char *to_dir, GError **error)
{
	gnut_magnet m = {0};
	gnut_proto_err err = gnut_magnet_parse(uri, strlen(uri), &m);
	guint64 id = 0;
	const gnut_urn *urn = NULL;
	for (unsigned i = 0; err == GNUT_PROTO_OK && i < m.xt_count && urn == NULL; i++)
		if (m.xt[i].has_sha1)
			urn = &m.xt[i];
	if (err != GNUT_PROTO_OK || urn == NULL)
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID, "magnet: %s",
		            err ? gnut_proto_strerror(err) : "no urn:sha1 in xt");
	else
		id = by_sha1(f, urn->sha1, m.dn, m.has_xl, m.xl, to_dir, error);
	for (unsigned i = 0; id != 0 && i < m.xs_count; i++)
		add_magnet_source(f, id, m.xs[i]);
	gnut_magnet_clear(&m);
	return id;
}

guint64 gnut_fetch_start(gnut_fetch *f, const char *target, const char *to_dir, GError **error)
{
	if (to_dir != NULL && !g_path_is_absolute(to_dir)) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
		            "to: \"%s\" is not an absolute folder", to_dir);
		return 0;
	}
	guint64 hit_id;
	if (g_ascii_string_to_unsigned(target, 10, 1, G_MAXUINT64, &hit_id, NULL)) {
		const gnut_hit *h = gnut_searches_hit(f->searches, hit_id);
		if (h != NULL)
			return by_hit(f, h, to_dir, error);
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND,
		            "no hit %s (hits live as long as their search)", target);
		return 0;
	}
	if (g_ascii_strncasecmp(target, "magnet:", 7) == 0)
		return by_magnet(f, target, to_dir, error);
	gnut_urn urn;
	if (gnut_urn_parse(target, strlen(target), &urn) == GNUT_PROTO_OK && urn.has_sha1)
		return by_sha1(f, urn.sha1, NULL, FALSE, 0, to_dir, error);
	g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
	            "\"%s\" is not a hit id, urn:sha1 or magnet URI", target);
	return 0;
}

void gnut_fetch_hit_added(gnut_fetch *f, const gnut_hit *h)
{
	guint64 id = h->has_sha1 ? gnut_downloads_find(f->downloads, h->sha1) : 0;
	if (id == 0 || !usable_hit(f, h))
		return;
	char host[GNUT_ADDR_IPV4_LEN];
	gnut_download_source src;
	source_of_hit(h, host, &src);
	gnut_downloads_add_source(f->downloads, id, &src, NULL);
}

void gnut_fetch_find_sources(gnut_fetch *f, const uint8_t sha1[GNUT_SHA1_LEN])
{
	g_autofree char *urn = gnut_urn_sha1_strdup(sha1);
	search_sources(f, urn);
}

guint64 gnut_fetch_refused(const gnut_fetch *f)
{
	return f->refused;
}
