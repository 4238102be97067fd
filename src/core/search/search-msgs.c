/* search-msgs.c: the messages of our searches (see search-msgs.h). */
#include "gnut/core/search/search-msgs.h"

#include <string.h>

#include "gnut/base/error.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/partial-result.h"
#include "gnut/proto/oob.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/vendor-bear.h"

gboolean gnut_search_query_encode(const char *query, gboolean firewalled, gboolean oob,
                                  gboolean leaf_guided, GByteArray *out, GError **error)
{
	gnut_urn urn;
	gboolean by_urn =
	    gnut_urn_parse(query, strlen(query), &urn) == GNUT_PROTO_OK && urn.has_sha1;
	if (!by_urn && (strlen(query) == 0 || strlen(query) > GNUT_QUERY_MAX_TEXT ||
	                !g_utf8_validate(query, -1, NULL))) {
		g_set_error(error, GNUT_ERROR, GNUT_ERROR_INVALID,
		            "a query is 1 to %d bytes of UTF-8 text or a urn:sha1",
		            GNUT_QUERY_MAX_TEXT);
		return FALSE;
	}
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H |
	                         (firewalled ? GNUT_QUERY_F_FIREWALLED : 0) |
	                         (oob ? GNUT_QUERY_F_OOB : 0) |
	                         (leaf_guided ? GNUT_QUERY_F_LEAF_GUIDED : 0)};
	/* One GGEP block: an empty "SO" asks for OOB v3; "PR" for partial
	 * results too (files still downloading), as gtk-gnutella asks. */
	gnut_ggep_item items[2];
	size_t n_items = 0;
	if (oob)
		items[n_items++] = (gnut_ggep_item){.id = GNUT_OOB_GGEP_TOKEN};
	if (!by_urn)
		items[n_items++] = (gnut_ggep_item){.id = GNUT_PARTIAL_GGEP_WANTED};
	g_autoptr(GByteArray) block = g_byte_array_new();
	if (n_items > 0 && gnut_ggep_encode(items, n_items, block) == GNUT_PROTO_OK) {
		q.ggep[0] = (gnut_slice){block->data, block->len};
		q.n_ggep = 1;
	}
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
	gnut_query_encode(out, &q);
	return TRUE;
}

/* What the hit's private GGEP block (already checked by the decoder) says:
 * whether it holds "TLS", and the push proxies of "PUSH" (none when absent
 * or invalid). */
static void private_ggep_read(const gnut_qhit *hit, gboolean *tls, gnut_push_proxies *proxies)
{
	*tls = FALSE;
	memset(proxies, 0, sizeof *proxies);
	if (hit->private_ggep.len == 0)
		return;
	gnut_ggep g;
	size_t used = 0;
	if (gnut_ggep_decode(hit->private_ggep.data, hit->private_ggep.len, &g, &used) !=
	    GNUT_PROTO_OK)
		return;
	*tls = gnut_ggep_find(&g, "TLS") != NULL;
	const gnut_ggep_ext *push = gnut_ggep_find(&g, GNUT_PUSH_PROXY_GGEP_ID);
	if (push != NULL &&
	    gnut_push_proxies_decode(push->data, push->len, proxies) != GNUT_PROTO_OK)
		memset(proxies, 0, sizeof *proxies);
	gnut_ggep_clear(&g);
}

gnut_proto_err gnut_searches_take_hit_msg(gnut_searches *s, const gnut_guid *guid,
                                          const guint8 *payload, gsize len,
                                          gnut_search_hit_fn added, gpointer data)
{
	if (!gnut_searches_owns(s, guid))
		return GNUT_PROTO_OK;
	gnut_qhit hit;
	gnut_proto_err err = gnut_qhit_decode(payload, len, &hit);
	if (err != GNUT_PROTO_OK)
		return err;
	gboolean firewalled =
	    (hit.flags_valid & GNUT_QHIT_F_PUSH) && (hit.flags & GNUT_QHIT_F_PUSH);
	gboolean tls;
	gnut_push_proxies proxies;
	private_ggep_read(&hit, &tls, &proxies);
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
		    .tls = tls,
		    .proxies = proxies,
		};
		gnut_urn urn;
		if (gnut_qhit_result_urn(r, &urn)) {
			result.has_sha1 = true;
			memcpy(result.sha1, urn.sha1, sizeof result.sha1);
		}
		const gnut_hit *kept = gnut_searches_add(s, guid, &result);
		if (kept != NULL && added != NULL)
			added(kept, data);
	}
	gnut_qhit_clear(&hit);
	return GNUT_PROTO_OK;
}

guint16 gnut_searches_kept(gnut_searches *s, const gnut_guid *guid)
{
	guint64 id = gnut_searches_id(s, guid);
	g_autoptr(GPtrArray) hits = id ? gnut_searches_hits_after(s, id, 0) : NULL;
	if (hits == NULL)
		return GNUT_BEAR_QSTAT_STOP;
	return (guint16)MIN(hits->len, GNUT_BEAR_QSTAT_STOP - 1);
}
