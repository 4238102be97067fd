/* responder.c: pongs and query hits built from the share index, and from
 * the registry of partial files (results marked GGEP "PRU"). */
#include "gnut/core/routing/responder.h"

#include <string.h>

#include "gnut/proto/ggep.h"
#include "gnut/proto/partial-result.h"
#include "gnut/proto/oob.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/core/routing/router.h"

/* A reply must outlive the path its request took (hops links) with some
 * slack, and never exceed the hard limit. */
static uint8_t reply_ttl(uint8_t hops)
{
	unsigned ttl = (unsigned)hops + 2;
	return (uint8_t)MIN(ttl, GNUT_ROUTER_HARD_TTL_LIMIT);
}

static GBytes *message_bytes(const gnut_guid *guid, uint8_t type, uint8_t ttl, GByteArray *payload)
{
	GByteArray *msg = g_byte_array_sized_new(GNUT_MSG_HEADER_LEN + payload->len);
	gnut_msg_append(msg, guid, type, ttl, 0, payload->data, payload->len);
	return g_byte_array_free_to_bytes(msg);
}

/* GGEP "TLS" without payload: this servent accepts TLS connections (as
 * gtk-gnutella puts it in its hits' trailer and in its pongs). */
static void append_tls_ggep(GByteArray *out)
{
	static const gnut_ggep_item tls = {.id = "TLS"};
	gnut_ggep_encode(&tls, 1, out);
}

GBytes *gnut_responder_pong(const gnut_responder_self *self, gnut_share *share,
                            const gnut_msg_header *ping)
{
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	if (self->tls)
		append_tls_ggep(ggep);
	gnut_pong pong = {
	    .port = self->port,
	    .ipv4 = self->ipv4,
	    .files = gnut_share_count(share),
	    .kib = (uint32_t)MIN(gnut_share_total_bytes(share) / 1024, G_MAXUINT32),
	    .ggep = {ggep->data, ggep->len},
	};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_pong_encode(payload, &pong);
	return message_bytes(&ping->guid, GNUT_MSG_PONG, reply_ttl(ping->hops), payload);
}

/* The files a query asks for: by SHA-1 when it names URNs, else by keywords.
 * An empty result for a query without either. */
static GPtrArray *matching_files(gnut_share *share, const gnut_query *q)
{
	gnut_urn urns[GNUT_QUERY_MAX_URNS];
	unsigned n = gnut_query_sha1s(q, urns, G_N_ELEMENTS(urns));
	if (n == 0) {
		g_autofree char *text = g_strndup(q->text, q->text_len);
		return gnut_share_search(share, text, GNUT_RESPONDER_MAX_RESULTS);
	}
	GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_shared_file_unref);
	for (unsigned i = 0; i < n; i++) {
		gnut_shared_file *f = gnut_share_by_sha1(share, urns[i].sha1);
		if (f != NULL)
			g_ptr_array_add(files, f);
	}
	return files;
}

/* One GGEP block for the private area of our hits: TLS when we accept it,
 * a claim's out-of-band token ("SO") for hits over UDP, and our push
 * proxies ("PUSH") while firewalled. Empty when there is nothing to say. */
static GByteArray *private_ggep(const gnut_responder_self *self)
{
	gnut_ggep_item items[3];
	size_t n_items = 0;
	if (self->tls)
		items[n_items++] = (gnut_ggep_item){.id = "TLS"};
	if (self->oob_token.len > 0 && self->oob_token.len <= GNUT_OOB_TOKEN_MAX)
		items[n_items++] = (gnut_ggep_item){.id = GNUT_OOB_GGEP_TOKEN,
		                                    .data = self->oob_token.data,
		                                    .len = self->oob_token.len};
	g_autoptr(GByteArray) proxies = g_byte_array_new();
	if (self->firewalled && self->proxies.count > 0) {
		gnut_push_proxies_encode(proxies, &self->proxies);
		items[n_items++] = (gnut_ggep_item){
		    .id = GNUT_PUSH_PROXY_GGEP_ID, .data = proxies->data, .len = proxies->len};
	}
	GByteArray *out = g_byte_array_new();
	if (n_items > 0)
		gnut_ggep_encode(items, n_items, out);
	return out;
}

/* The files a query gets as partial results (gnut_partial_file refs): by
 * SHA-1 when it names URNs, else by keywords when it asks for partial
 * results; none when self offers no partial file. */
static GPtrArray *matching_partials(const gnut_responder_self *self, const gnut_query *q)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)gnut_partial_file_unref);
	if (self->partials == NULL)
		return out;
	gnut_urn urns[GNUT_QUERY_MAX_URNS];
	unsigned n = gnut_query_sha1s(q, urns, G_N_ELEMENTS(urns));
	for (unsigned i = 0; i < n; i++) {
		gnut_partial_file *pf = gnut_partials_by_sha1(self->partials, urns[i].sha1);
		if (pf != NULL)
			g_ptr_array_add(out, pf);
	}
	if (n == 0 && gnut_query_wants_partials(q)) {
		g_autofree char *text = g_strndup(q->text, q->text_len);
		g_ptr_array_unref(out);
		out = gnut_partials_search(self->partials, text, GNUT_RESPONDER_MAX_RESULTS);
	}
	return out;
}

/* The extension area of one result: its URN, and "PRU" for a partial one. */
static GByteArray *result_ext(const gnut_shared_file *f, const gnut_partial_file *partial,
                              bool ggep_h)
{
	gnut_urn urn = {.has_sha1 = true};
	memcpy(urn.sha1, f->sha1, sizeof urn.sha1);
	GByteArray *ext = g_byte_array_new();
	gnut_qhit_result_ext_encode(ext, &urn, !ggep_h, ggep_h);
	if (partial != NULL) {
		gnut_pru pru = {.has_info = true,
		                .mtime = (uint32_t)CLAMP(f->mtime, 0, (gint64)G_MAXUINT32),
		                .available = partial->available};
		gnut_pru_ext_append(ext, &pru);
	}
	return ext;
}

/* Encodes one query hit message holding files[first..first+count);
 * partial_of[i] is the partial file files[i] stands for, or NULL. */
static GBytes *hit_message(const gnut_responder_self *self, const gnut_msg_header *qh, bool ggep_h,
                           GPtrArray *files, GPtrArray *partial_of, guint first, guint count)
{
	gnut_qhit hit = {
	    .port = self->port,
	    .ipv4 = self->ipv4,
	    .speed = self->speed_kbps,
	    .n_results = count,
	    .has_trailer = true,
	    .flags_valid = GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY | GNUT_QHIT_F_UPLOADED,
	    .flags = (self->busy ? GNUT_QHIT_F_BUSY : 0) |
	             (self->uploaded ? GNUT_QHIT_F_UPLOADED : 0) |
	             (self->firewalled ? GNUT_QHIT_F_PUSH : 0),
	    .servent = self->servent,
	};
	memcpy(hit.vendor, GNUT_RESPONDER_VENDOR, GNUT_QHIT_VENDOR_LEN);
	gnut_qhit_result results[GNUT_RESPONDER_RESULTS_PER_HIT];
	GByteArray *exts[GNUT_RESPONDER_RESULTS_PER_HIT];
	for (guint i = 0; i < count; i++) {
		const gnut_shared_file *f = g_ptr_array_index(files, first + i);
		exts[i] = result_ext(f, g_ptr_array_index(partial_of, first + i), ggep_h);
		results[i] = (gnut_qhit_result){
		    .index = f->index,
		    .size = (uint32_t)f->size,
		    .name = f->name,
		    .name_len = strlen(f->name),
		    .ext = {exts[i]->data, exts[i]->len},
		};
	}
	hit.results = results;
	g_autoptr(GByteArray) private_area = private_ggep(self);
	hit.private_area = (gnut_slice){private_area->data, private_area->len};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_proto_err err = gnut_qhit_encode(payload, &hit);
	for (guint i = 0; i < count; i++)
		g_byte_array_unref(exts[i]);
	if (err != GNUT_PROTO_OK)
		return NULL;
	return message_bytes(&qh->guid, GNUT_MSG_QUERY_HIT, reply_ttl(qh->hops), payload);
}

GPtrArray *gnut_responder_hits(const gnut_responder_self *self, gnut_share *share,
                               const gnut_msg_header *qh, const uint8_t *payload, size_t len,
                               const char **error)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	gnut_query q;
	gnut_proto_err err = gnut_query_decode(payload, len, &q);
	*error = err == GNUT_PROTO_OK ? NULL : gnut_proto_strerror(err);
	if (err != GNUT_PROTO_OK)
		return out;
	g_autoptr(GPtrArray) found = matching_files(share, &q);
	g_autoptr(GPtrArray) partials = matching_partials(self, &q);
	/* Only files whose size fits the 32-bit field, and names that fit a
	 * hit; the complete files first, then the partial ones. */
	g_autoptr(GPtrArray) files = g_ptr_array_new();
	g_autoptr(GPtrArray) partial_of = g_ptr_array_new();
	for (guint i = 0; i < found->len + partials->len; i++) {
		gnut_partial_file *pf =
		    i < found->len ? NULL : g_ptr_array_index(partials, i - found->len);
		gnut_shared_file *f = pf != NULL ? pf->file : g_ptr_array_index(found, i);
		g_autoptr(gnut_shared_file) complete =
		    pf != NULL ? gnut_share_by_sha1(share, f->sha1) : NULL;
		if (complete == NULL && files->len < GNUT_RESPONDER_MAX_RESULTS &&
		    f->size <= G_MAXUINT32 && strlen(f->name) <= GNUT_QHIT_MAX_NAME) {
			g_ptr_array_add(files, f);
			g_ptr_array_add(partial_of, pf);
		}
	}
	bool ggep_h = (q.flags & GNUT_QUERY_F_MARK) && (q.flags & GNUT_QUERY_F_GGEP_H);
	for (guint first = 0; first < files->len; first += GNUT_RESPONDER_RESULTS_PER_HIT) {
		guint count = MIN(GNUT_RESPONDER_RESULTS_PER_HIT, files->len - first);
		GBytes *msg = hit_message(self, qh, ggep_h, files, partial_of, first, count);
		if (msg != NULL)
			g_ptr_array_add(out, msg);
	}
	return out;
}
