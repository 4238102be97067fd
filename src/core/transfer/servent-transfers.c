/* servent-transfers.c: what the servent does for its user: searches (our
 * queries out, their hits in) and file transfers (uploads to peers that ask,
 * downloads from the peers that answered). */
#include "config.h"

#include <string.h>

#include "gnut/proto/magnet.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "core/servent-private.h"

guint64 gnut_servent_search_start(gnut_servent *s, const char *query, GError **error)
{
	gnut_urn urn;
	gboolean by_urn = gnut_urn_parse(query, strlen(query), &urn) == GNUT_PROTO_OK;
	if (!by_urn && (strlen(query) == 0 || strlen(query) > GNUT_QUERY_MAX_TEXT ||
	                !g_utf8_validate(query, -1, NULL))) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
		            "a query is 1 to %d bytes of UTF-8 text or a urn:sha1",
		            GNUT_QUERY_MAX_TEXT);
		return 0;
	}
	gnut_guid guid;
	guint64 id = gnut_searches_start(s->searches, query, &guid);
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H};
	char urn_text[GNUT_URN_SHA1_LEN + 1];
	if (by_urn) {
		gnut_urn_format_sha1(urn.sha1, urn_text);
		q.text = "";
		q.urns[0] = (gnut_slice){(const uint8_t *)urn_text, strlen(urn_text)};
		q.n_urns = 1;
	} else {
		q.text = query;
		q.text_len = strlen(query);
	}
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_query_encode(payload, &q);
	guint sent = servent_originate(s, &guid, GNUT_MSG_QUERY, payload->data, payload->len);
	g_message("search %" G_GUINT64_FORMAT " \"%s\" sent to %u links", id, query, sent);
	return id;
}

static gnut_hit_info *hit_info_new(const gnut_hit *h)
{
	gnut_hit_info *info = g_new0(gnut_hit_info, 1);
	info->id = h->id;
	info->search_id = h->search_id;
	info->name = g_strdup(h->name);
	info->size = h->size;
	if (h->has_sha1) {
		info->urn = gnut_urn_sha1_strdup(h->sha1);
	}
	info->host = g_malloc(SERVENT_IPV4_LEN);
	servent_ipv4_format(h->ipv4, info->host);
	info->port = h->port;
	return info;
}

GPtrArray *gnut_servent_search_hits(gnut_servent *s, guint64 search_id, guint64 after_hit_id,
                                    GError **error)
{
	g_autoptr(GPtrArray) hits = gnut_searches_hits_after(s->searches, search_id, after_hit_id);
	if (hits == NULL) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_NOT_FOUND,
		            "no search %" G_GUINT64_FORMAT, search_id);
		return NULL;
	}
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_hit_info_free);
	for (guint i = 0; i < hits->len; i++)
		g_ptr_array_add(out, hit_info_new(g_ptr_array_index(hits, i)));
	return out;
}

void gnut_servent_search_stop(gnut_servent *s, guint64 search_id)
{
	gnut_searches_stop(s->searches, search_id);
}

/* A query hit for one of our searches: each result becomes a hit the user
 * sees (duplicates by a second path are dropped by the searches table). */
void servent_deliver_hit(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload)
{
	if (!gnut_searches_owns(s->searches, &h->guid))
		return;
	gnut_qhit hit;
	gnut_proto_err err = gnut_qhit_decode(payload, h->length, &hit);
	if (err != GNUT_PROTO_OK) {
		servent_log_bad_input(s, "bad query hit dropped: %s", gnut_proto_strerror(err));
		return;
	}
	gboolean firewalled =
	    (hit.flags_valid & GNUT_QHIT_F_PUSH) && (hit.flags & GNUT_QHIT_F_PUSH);
	for (unsigned i = 0; i < hit.n_results; i++) {
		const gnut_qhit_result *r = &hit.results[i];
		gnut_hit result = {
		    .name = (char *)r->name,
		    .size = r->size,
		    .ipv4 = hit.ipv4,
		    .port = hit.port,
		    .file_index = r->index,
		    .servent = hit.servent,
		    .firewalled = firewalled,
		};
		gnut_urn urn;
		if (gnut_qhit_result_urn(r, &urn)) {
			result.has_sha1 = true;
			memcpy(result.sha1, urn.sha1, sizeof result.sha1);
		}
		const gnut_hit *added = gnut_searches_add(s->searches, &h->guid, &result);
		if (added != NULL)
			servent_hit_added(s, added);
	}
	gnut_qhit_clear(&hit);
}

/* ---- uploads and downloads ---- */

gboolean servent_transfers_init(gnut_servent *s, GError **error)
{
	gnut_uploads_config uc = {.slots = s->upload_slots, .rate_limit = s->upload_limit};
	s->uploads = gnut_uploads_new(s->share, s->clock, &uc);
	gnut_downloads_config dc = {
	    .data_dir = s->data_dir,
	    .download_dir = s->download_dir,
	    .download_limit = s->download_limit,
	};
	s->downloads = gnut_downloads_new(&dc, s->clock, error);
	s->urn_searches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s->giv_readers = g_ptr_array_new();
	if (s->downloads != NULL)
		gnut_downloads_set_push_handler(s->downloads, servent_push_request, s);
	return s->downloads != NULL;
}

void servent_transfers_tick(gnut_servent *s, gint64 now_us)
{
	gnut_uploads_tick(s->uploads, now_us);
}

void servent_transfers_stop(gnut_servent *s)
{
	g_autoptr(GError) error = NULL;
	if (s->downloads != NULL && !gnut_downloads_save(s->downloads, &error))
		g_warning("cannot save downloads: %s", error->message);
}

void servent_transfers_free(gnut_servent *s)
{
	if (s->giv_readers != NULL)
		servent_push_free(s);
	g_clear_pointer(&s->uploads, gnut_uploads_free);
	g_clear_pointer(&s->downloads, gnut_downloads_free);
	g_clear_pointer(&s->urn_searches, g_hash_table_unref);
}

gboolean servent_take_http(gnut_servent *s, gnut_conn *conn, const char *first_line)
{
	if (g_str_has_prefix(first_line, "GIV ")) {
		servent_take_giv(s, conn);
		return TRUE;
	}
	if (!gnut_uploads_wants_line(first_line))
		return FALSE;
	gnut_uploads_take(s->uploads, conn);
	return TRUE;
}

void servent_transfer_bytes(gnut_servent *s, guint64 *up, guint64 *down)
{
	gnut_uploads_stats st;
	gnut_uploads_get_stats(s->uploads, &st);
	*up = st.bytes_up;
	*down = gnut_downloads_bytes_in(s->downloads);
}

static void source_of_hit(const gnut_hit *h, char host[SERVENT_IPV4_LEN], gnut_download_source *src)
{
	servent_ipv4_format(h->ipv4, host);
	*src = (gnut_download_source){
	    .host = host,
	    .port = h->port,
	    .index = h->file_index,
	    .name = h->name,
	    .get_only = !h->has_sha1,
	    .has_guid = TRUE,
	    .guid = h->servent,
	    .firewalled = h->firewalled,
	};
}

/* Sends a query for this URN unless one is out already: its hits become the
 * download's sources (servent_hit_added). */
static gboolean search_gone(gpointer key, gpointer value, gpointer data)
{
	return !gnut_searches_exists(data, GPOINTER_TO_SIZE(value));
}

static void search_sources(gnut_servent *s, const char *urn)
{
	guint64 id = GPOINTER_TO_SIZE(g_hash_table_lookup(s->urn_searches, urn));
	if (id != 0 && gnut_searches_exists(s->searches, id))
		return;
	/* Searches are forgotten past GNUT_SEARCH_MAX_SEARCHES: so are these. */
	g_hash_table_foreach_remove(s->urn_searches, search_gone, s->searches);
	id = gnut_servent_search_start(s, urn, NULL);
	if (id != 0)
		g_hash_table_insert(s->urn_searches, g_strdup(urn), GSIZE_TO_POINTER(id));
}

/* Starts (or feeds) the download of the file with this SHA-1 from every hit
 * we have for it. With no hit yet, a search for the URN goes out; when the
 * name and size are known (a magnet with dn and xl) the download waits for
 * the sources it finds, else it is NOT_FOUND until the search found one. */
static guint64 download_by_sha1(gnut_servent *s, const uint8_t sha1[20], const char *name,
                                gboolean has_size, guint64 size, const char *to_dir, GError **error)
{
	g_autoptr(GPtrArray) hits = gnut_searches_sources(s->searches, sha1);
	if (hits->len == 0) {
		g_autofree char *urn = gnut_urn_sha1_strdup(sha1);
		search_sources(s, urn);
		if (name != NULL && has_size)
			return gnut_downloads_add(s->downloads, sha1, name, size, to_dir, NULL, 0,
			                          error);
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_NOT_FOUND,
		            "no source known yet for %s: a search for it went out", urn);
		return 0;
	}
	guint n = MIN(hits->len, GNUT_DOWNLOAD_MAX_SOURCES);
	gnut_download_source *sources = g_new0(gnut_download_source, n);
	char *hosts = g_malloc0((gsize)n * SERVENT_IPV4_LEN); /* dotted quads */
	const gnut_hit *first = g_ptr_array_index(hits, 0);
	for (guint i = 0; i < n; i++)
		source_of_hit(g_ptr_array_index(hits, i), hosts + SERVENT_IPV4_LEN * i,
		              &sources[i]);
	guint64 id = gnut_downloads_add(s->downloads, sha1, name ? name : first->name,
	                                has_size ? size : first->size, to_dir, sources, n, error);
	g_free(sources);
	g_free(hosts);
	return id;
}

/* A hit without a SHA-1 can only be fetched from its servent, by index. */
static guint64 download_hit(gnut_servent *s, const gnut_hit *h, const char *to_dir, GError **error)
{
	if (h->has_sha1)
		return download_by_sha1(s, h->sha1, h->name, TRUE, h->size, to_dir, error);
	g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
	            "hit %" G_GUINT64_FORMAT " gives no SHA-1: it cannot be verified", h->id);
	return 0;
}

static guint64 download_magnet(gnut_servent *s, const char *uri, const char *to_dir, GError **error)
{
	gnut_magnet m = {0};
	gnut_proto_err err = gnut_magnet_parse(uri, strlen(uri), &m);
	guint64 id = 0;
	const gnut_urn *urn = NULL;
	for (unsigned i = 0; err == GNUT_PROTO_OK && i < m.xt_count && urn == NULL; i++)
		if (m.xt[i].has_sha1)
			urn = &m.xt[i];
	if (err != GNUT_PROTO_OK || urn == NULL)
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID, "magnet: %s",
		            err ? gnut_proto_strerror(err) : "no urn:sha1 in xt");
	else
		id = download_by_sha1(s, urn->sha1, m.dn, m.has_xl, m.xl, to_dir, error);
	gnut_magnet_clear(&m);
	return id;
}

guint64 gnut_servent_download_start(gnut_servent *s, const char *target, const char *to_dir,
                                    GError **error)
{
	if (to_dir != NULL && !g_path_is_absolute(to_dir)) {
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
		            "to: \"%s\" is not an absolute folder", to_dir);
		return 0;
	}
	guint64 hit_id;
	if (g_ascii_string_to_unsigned(target, 10, 1, G_MAXUINT64, &hit_id, NULL)) {
		const gnut_hit *h = gnut_searches_hit(s->searches, hit_id);
		if (h != NULL)
			return download_hit(s, h, to_dir, error);
		g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_NOT_FOUND,
		            "no hit %s (hits live as long as their search)", target);
		return 0;
	}
	if (g_ascii_strncasecmp(target, "magnet:", 7) == 0)
		return download_magnet(s, target, to_dir, error);
	gnut_urn urn;
	if (gnut_urn_parse(target, strlen(target), &urn) == GNUT_PROTO_OK && urn.has_sha1)
		return download_by_sha1(s, urn.sha1, NULL, FALSE, 0, to_dir, error);
	g_set_error(error, GNUT_SERVENT_ERROR, GNUT_SERVENT_ERROR_INVALID,
	            "\"%s\" is not a hit id, urn:sha1 or magnet URI", target);
	return 0;
}

/* A new hit may be one more source for a download in progress. */
void servent_hit_added(gnut_servent *s, const gnut_hit *h)
{
	guint64 id = h->has_sha1 ? gnut_downloads_find(s->downloads, h->sha1) : 0;
	if (id == 0)
		return;
	char host[SERVENT_IPV4_LEN];
	gnut_download_source src;
	source_of_hit(h, host, &src);
	gnut_downloads_add_source(s->downloads, id, &src, NULL);
}

GPtrArray *gnut_servent_downloads(gnut_servent *s)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(gnut_download_info_free);
	g_autoptr(GPtrArray) list = gnut_downloads_list(s->downloads);
	for (guint i = 0; i < list->len; i++) {
		const gnut_download_status *st = g_ptr_array_index(list, i);
		gnut_download_info *info = g_new0(gnut_download_info, 1);
		info->id = st->id;
		info->name = g_strdup(st->name);
		info->size = st->size;
		info->done = st->done;
		info->state = gnut_download_state_name(st->state);
		info->path = g_strdup(st->path);
		info->error = g_strdup(st->error);
		g_ptr_array_add(out, info);
	}
	return out;
}

gboolean gnut_servent_download_cancel(gnut_servent *s, guint64 id, GError **error)
{
	return gnut_downloads_cancel(s->downloads, id, error);
}
