/* servent-magnet.c: magnets for hits, downloads and shared files (see
 * servent-magnet.h), written with gnut/proto/magnet.h's formatter. */
#include <stdlib.h>
#include <string.h>

#include "gnut/base/error.h"
#include "gnut/proto/address.h"
#include "gnut/proto/magnet.h"
#include "servent-magnet.h"

/* Fills m with the file's topic, name and length. */
static void describe(gnut_magnet *m, const uint8_t sha1[GNUT_SHA1_LEN], const uint8_t *tiger,
                     const char *name, guint64 size)
{
	gnut_urn urn = {.has_sha1 = true};
	memcpy(urn.sha1, sha1, GNUT_SHA1_LEN);
	if (tiger != NULL) {
		urn.has_tiger = true;
		memcpy(urn.tiger, tiger, GNUT_TIGER_LEN);
	}
	gnut_magnet_add_xt(m, &urn);
	m->dn = g_strdup(name);
	m->has_xl = true;
	m->xl = size;
}

/* Adds ipv4:port as an exact source; a zero address or port names none. */
static void add_source(gnut_magnet *m, uint32_t ipv4, guint16 port,
                       const uint8_t sha1[GNUT_SHA1_LEN])
{
	if (ipv4 == 0 || port == 0)
		return;
	g_autofree char *url = gnut_magnet_n2r_url(ipv4, port, sha1);
	gnut_magnet_add_xs(m, url);
}

/* The URI of m, which it clears. */
static char *finish(gnut_magnet *m)
{
	GString *out = g_string_new(NULL);
	gnut_magnet_format(m, out);
	gnut_magnet_clear(m);
	return g_string_free(out, FALSE);
}

char *servent_magnet_hit(gnut_searches *searches, guint64 hit_id, GError **error)
{
	const gnut_hit *h = gnut_searches_hit(searches, hit_id);
	if (h == NULL) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND,
		            "no hit %" G_GUINT64_FORMAT " (hits live as long as their search)",
		            hit_id);
		return NULL;
	}
	if (!h->has_sha1) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
		            "hit %" G_GUINT64_FORMAT " gives no SHA-1: no magnet can name it",
		            hit_id);
		return NULL;
	}
	gnut_magnet m = {0};
	describe(&m, h->sha1, NULL, h->name, h->size);
	if (!h->firewalled)
		add_source(&m, h->ipv4, h->port, h->sha1);
	return finish(&m);
}

/* Adds the sources of download id that can be dialed (not firewalled, an
 * IPv4 address and a port, not given up on). */
static void add_download_sources(gnut_magnet *m, gnut_downloads *downloads, guint64 id,
                                 const uint8_t sha1[GNUT_SHA1_LEN])
{
	g_autoptr(GPtrArray) sources = gnut_downloads_sources(downloads, id, NULL);
	for (guint i = 0; sources != NULL && i < sources->len; i++) {
		const gnut_download_source_status *st = g_ptr_array_index(sources, i);
		uint32_t ipv4 = 0;
		if (st->firewalled || g_strcmp0(st->state, "dropped") == 0 || st->host == NULL ||
		    gnut_addr_parse_ipv4(st->host, strlen(st->host), &ipv4) != GNUT_PROTO_OK)
			continue;
		add_source(m, ipv4, st->port, sha1);
	}
}

char *servent_magnet_download(gnut_downloads *downloads, guint64 id, GError **error)
{
	gnut_download_status st = {0};
	gnut_urn urn;
	if (!gnut_downloads_get(downloads, id, &st)) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND,
		            "no download %" G_GUINT64_FORMAT, id);
		return NULL;
	}
	if (st.urn == NULL || gnut_urn_parse(st.urn, strlen(st.urn), &urn) != GNUT_PROTO_OK ||
	    !urn.has_sha1) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
		            "download %" G_GUINT64_FORMAT " has no SHA-1", id);
		gnut_download_status_clear(&st);
		return NULL;
	}
	gnut_magnet m = {0};
	describe(&m, urn.sha1, NULL, st.name, st.size);
	add_download_sources(&m, downloads, id, urn.sha1);
	gnut_download_status_clear(&st);
	return finish(&m);
}

/* The shared file named path, or the one a symlink at path leads to. */
static gnut_shared_file *find_file(gnut_share *share, const char *path)
{
	g_autofree char *real = realpath(path, NULL);
	g_autoptr(GPtrArray) files = gnut_share_list(share);
	for (guint i = 0; i < files->len; i++) {
		gnut_shared_file *f = g_ptr_array_index(files, i);
		if (strcmp(f->path, path) == 0 || g_strcmp0(f->path, real) == 0)
			return gnut_shared_file_ref(f);
	}
	return NULL;
}

char *servent_magnet_file(gnut_share *share, const char *path, uint32_t self_ipv4, guint16 port,
                          GError **error)
{
	g_autoptr(gnut_shared_file) f = find_file(share, path);
	if (f == NULL) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_NOT_FOUND,
		            "%s is not a shared file (see gnut shares)", path);
		return NULL;
	}
	gnut_magnet m = {0};
	describe(&m, f->sha1, f->thex ? f->thex->root : NULL, f->name, f->size);
	add_source(&m, self_ipv4, port, f->sha1);
	return finish(&m);
}
