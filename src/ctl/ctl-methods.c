/* ctl-methods.c: the control API's method table (see gnut/ctl/ctl.h for the
 * list, its parameters and results). Each method checks its parameters,
 * calls one gnut_servent_* function and turns the answer into JSON with the
 * contract's field names. Nothing here knows about HTTP. */
#include <string.h>

#include "gnut/core/transfer/download.h"
#include "gnut/ctl/ctl.h"

GQuark gnut_ctl_error_quark(void)
{
	return g_quark_from_static_string("gnut-ctl-error-quark");
}

/* Longest string parameter accepted (a query, a magnet, a folder). */
#define CTL_MAX_STRING 4096

/* Rejects members not in allowed (NULL-terminated): a misspelt optional
 * parameter must not be silently ignored. */
static gboolean check_members(JsonObject *params, const char *const *allowed, GError **error)
{
	g_autoptr(GList) names = json_object_get_members(params);
	for (GList *l = names; l != NULL; l = l->next) {
		if (allowed == NULL || !g_strv_contains(allowed, l->data)) {
			g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
			            "unknown parameter \"%s\"", (const char *)l->data);
			return FALSE;
		}
	}
	return TRUE;
}

/* A string member: *out stays NULL when absent and not required. */
static gboolean param_string(JsonObject *params, const char *name, gboolean required,
                             const char **out, GError **error)
{
	*out = NULL;
	JsonNode *n = json_object_get_member(params, name);
	if (n == NULL) {
		if (!required)
			return TRUE;
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "missing parameter \"%s\"", name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "parameter \"%s\" must be a string", name);
		return FALSE;
	}
	const char *v = json_node_get_string(n);
	if (*v == '\0' || strlen(v) > CTL_MAX_STRING) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "parameter \"%s\" must be 1 to %d bytes long", name, CTL_MAX_STRING);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

/* A folder the daemon will open: relative names would be resolved against
 * the daemon's working folder, not the caller's, so they are refused. */
static gboolean param_folder(JsonObject *params, const char *name, gboolean required,
                             const char **out, GError **error)
{
	if (!param_string(params, name, required, out, error))
		return FALSE;
	if (*out != NULL && !g_path_is_absolute(*out)) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "parameter \"%s\" must be an absolute path", name);
		return FALSE;
	}
	return TRUE;
}

/* A non-negative integer member (ids, hit counters); 0 when absent. */
static gboolean param_uint(JsonObject *params, const char *name, gboolean required, guint64 *out,
                           GError **error)
{
	*out = 0;
	JsonNode *n = json_object_get_member(params, name);
	if (n == NULL) {
		if (!required)
			return TRUE;
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "missing parameter \"%s\"", name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "parameter \"%s\" must be a non-negative integer", name);
		return FALSE;
	}
	*out = (guint64)json_node_get_int(n);
	return TRUE;
}

static JsonNode *ok_result(const char *key, const char *value)
{
	JsonObject *o = json_object_new();
	json_object_set_boolean_member(o, "ok", TRUE);
	if (key != NULL)
		json_object_set_string_member(o, key, value);
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

static JsonNode *object_node(JsonObject *o)
{
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

/* Maps each element of a servent list to a JSON object. */
static JsonNode *array_node(GPtrArray *items, JsonObject *(*to_json)(gconstpointer))
{
	JsonArray *a = json_array_sized_new(items->len);
	for (guint i = 0; i < items->len; i++)
		json_array_add_object_element(a, to_json(g_ptr_array_index(items, i)));
	JsonNode *n = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(n, a);
	return n;
}

static void set_nullable_string(JsonObject *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_string_member(o, key, value);
	else
		json_object_set_null_member(o, key);
}

static JsonObject *peer_json(gconstpointer p)
{
	const gnut_peer_info *info = p;
	JsonObject *o = json_object_new();
	set_nullable_string(o, "host", info->host);
	json_object_set_int_member(o, "port", info->port);
	set_nullable_string(o, "mode", info->mode);
	set_nullable_string(o, "user_agent", info->user_agent);
	json_object_set_boolean_member(o, "tls", info->tls);
	return o;
}

static JsonObject *hit_json(gconstpointer p)
{
	const gnut_hit_info *info = p;
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "id", (gint64)info->id);
	set_nullable_string(o, "name", info->name);
	json_object_set_int_member(o, "size", (gint64)info->size);
	set_nullable_string(o, "urn", info->urn);
	set_nullable_string(o, "host", info->host);
	json_object_set_int_member(o, "port", info->port);
	return o;
}

static JsonObject *download_json(gconstpointer p)
{
	const gnut_download_info *info = p;
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "id", (gint64)info->id);
	set_nullable_string(o, "name", info->name);
	json_object_set_int_member(o, "size", (gint64)info->size);
	json_object_set_int_member(o, "done", (gint64)info->done);
	set_nullable_string(o, "state", info->state);
	set_nullable_string(o, "path", info->path);
	if (info->error != NULL)
		json_object_set_string_member(o, "error", info->error);
	json_object_set_int_member(o, "sources", info->sources);
	json_object_set_int_member(o, "active_sources", info->active);
	json_object_set_int_member(o, "rate", (gint64)info->rate);
	if (info->eta_s >= 0)
		json_object_set_int_member(o, "eta", info->eta_s);
	else
		json_object_set_null_member(o, "eta");
	return o;
}

static JsonObject *source_json(gconstpointer p)
{
	const gnut_download_source_status *st = p;
	JsonObject *o = json_object_new();
	set_nullable_string(o, "host", st->host);
	json_object_set_int_member(o, "port", st->port);
	json_object_set_boolean_member(o, "firewalled", st->firewalled);
	set_nullable_string(o, "state", st->state);
	if (st->error != NULL)
		json_object_set_string_member(o, "error", st->error);
	json_object_set_int_member(o, "received", (gint64)st->received);
	json_object_set_int_member(o, "failures", st->failures);
	json_object_set_int_member(o, "retry_in", st->retry_in_s);
	if (st->queue_position > 0) {
		json_object_set_int_member(o, "queue_position", st->queue_position);
		json_object_set_int_member(o, "queue_length", st->queue_length);
	}
	if (st->range_end > 0) {
		json_object_set_int_member(o, "range_start", (gint64)st->range_start);
		json_object_set_int_member(o, "range_end", (gint64)st->range_end);
	}
	return o;
}

static JsonObject *share_json(gconstpointer p)
{
	const gnut_share_info *info = p;
	JsonObject *o = json_object_new();
	set_nullable_string(o, "path", info->path);
	json_object_set_int_member(o, "size", (gint64)info->size);
	set_nullable_string(o, "urn", info->urn);
	return o;
}

static JsonObject *host_json(gconstpointer p)
{
	const gnut_host_info *info = p;
	JsonObject *o = json_object_new();
	set_nullable_string(o, "host", info->host);
	json_object_set_int_member(o, "port", info->port);
	json_object_set_boolean_member(o, "ultrapeer", info->ultrapeer);
	json_object_set_boolean_member(o, "tls", info->tls);
	set_nullable_string(o, "source", info->source);
	json_object_set_int_member(o, "last_seen", info->last_seen);
	json_object_set_int_member(o, "failures", info->failures);
	return o;
}

static JsonNode *m_status(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	gnut_status_info st = {0};
	gnut_servent_status(s, &st);
	JsonObject *o = json_object_new();
	set_nullable_string(o, "version", st.version);
	set_nullable_string(o, "mode", st.mode);
	json_object_set_int_member(o, "peers", st.peers);
	json_object_set_int_member(o, "shared_files", st.shared_files);
	json_object_set_int_member(o, "bytes_up", (gint64)st.bytes_up);
	json_object_set_int_member(o, "bytes_down", (gint64)st.bytes_down);
	json_object_set_int_member(o, "uptime", st.uptime);
	json_object_set_boolean_member(o, "tcp_firewalled", st.tcp_firewalled);
	json_object_set_boolean_member(o, "udp_firewalled", st.udp_firewalled);
	json_object_set_int_member(o, "oob_claims_sent", (gint64)st.oob_claims_sent);
	json_object_set_int_member(o, "oob_hits_received", (gint64)st.oob_hits_received);
	json_object_set_int_member(o, "oob_hits_dropped", (gint64)st.oob_hits_dropped);
	json_object_set_int_member(o, "oob_offers_sent", (gint64)st.oob_offers_sent);
	json_object_set_int_member(o, "oob_hits_sent", (gint64)st.oob_hits_sent);
	json_object_set_int_member(o, "queries_received", (gint64)st.queries_received);
	json_object_set_int_member(o, "qrp_skipped_leaves", (gint64)st.qrp_skipped_leaves);
	json_object_set_int_member(o, "qrp_skipped_ultrapeers", (gint64)st.qrp_skipped_ultrapeers);
	json_object_set_int_member(o, "qrp_slots_held", (gint64)st.qrp_slots_held);
	json_object_set_int_member(o, "push_proxy_requests", (gint64)st.push_proxy_requests);
	json_object_set_int_member(o, "push_proxy_pushes", (gint64)st.push_proxy_pushes);
	json_object_set_int_member(o, "push_proxies", (gint64)st.push_proxies);
	json_object_set_int_member(o, "push_proxy_used", (gint64)st.push_proxy_used);
	json_object_set_int_member(o, "uploads_queued", (gint64)st.uploads_queued);
	set_nullable_string(o, "role", st.role);
	set_nullable_string(o, "role_reason", st.role_reason);
	return object_node(o);
}

static JsonObject *totals_json(const gnut_servent_totals *t)
{
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "bytes_up", (gint64)t->bytes_up);
	json_object_set_int_member(o, "bytes_down", (gint64)t->bytes_down);
	json_object_set_int_member(o, "uploads_completed", (gint64)t->uploads_completed);
	json_object_set_int_member(o, "downloads_completed", (gint64)t->downloads_completed);
	json_object_set_int_member(o, "queries_sent", (gint64)t->queries_sent);
	json_object_set_int_member(o, "queries_answered", (gint64)t->queries_answered);
	json_object_set_int_member(o, "hits_received", (gint64)t->hits_received);
	json_object_set_int_member(o, "messages_received", (gint64)t->messages_received);
	json_object_set_int_member(o, "messages_sent", (gint64)t->messages_sent);
	json_object_set_int_member(o, "messages_dropped", (gint64)t->messages_dropped);
	json_object_set_int_member(o, "uptime", (gint64)t->uptime);
	return o;
}

/* This session's counts and those of every run the daemon kept. */
static JsonNode *m_stats(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	gnut_servent_totals session, total;
	gnut_servent_totals_session(s, &session);
	gnut_servent_totals_all(s, &total);
	JsonObject *o = json_object_new();
	json_object_set_object_member(o, "session", totals_json(&session));
	json_object_set_object_member(o, "total", totals_json(&total));
	return object_node(o);
}

static JsonNode *m_peers(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	g_autoptr(GPtrArray) peers = gnut_servent_peers(s);
	return array_node(peers, peer_json);
}

static JsonNode *m_hosts(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	g_autoptr(GPtrArray) hosts = gnut_servent_hosts(s);
	return array_node(hosts, host_json);
}

/* connect and disconnect: {address} -> {ok, address}. */
static JsonNode *address_method(gnut_servent *s, JsonObject *params,
                                gboolean (*fn)(gnut_servent *, const char *, GError **),
                                GError **error)
{
	static const char *const allowed[] = {"address", NULL};
	const char *address;
	if (!check_members(params, allowed, error) ||
	    !param_string(params, "address", TRUE, &address, error) || !fn(s, address, error))
		return NULL;
	return ok_result("address", address);
}

static JsonNode *m_connect(gnut_servent *s, JsonObject *params, GError **error)
{
	return address_method(s, params, gnut_servent_connect, error);
}

static JsonNode *m_disconnect(gnut_servent *s, JsonObject *params, GError **error)
{
	return address_method(s, params, gnut_servent_disconnect, error);
}

static JsonNode *m_search_start(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"query", NULL};
	const char *query;
	if (!check_members(params, allowed, error) ||
	    !param_string(params, "query", TRUE, &query, error))
		return NULL;
	GError *e = NULL;
	guint64 id = gnut_servent_search_start(s, query, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return NULL;
	}
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "search_id", (gint64)id);
	return object_node(o);
}

static JsonNode *m_search_hits(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"search_id", "after", NULL};
	guint64 search_id, after;
	if (!check_members(params, allowed, error) ||
	    !param_uint(params, "search_id", TRUE, &search_id, error) ||
	    !param_uint(params, "after", FALSE, &after, error))
		return NULL;
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(s, search_id, after, error);
	if (hits == NULL)
		return NULL;
	return array_node(hits, hit_json);
}

static JsonNode *m_search_stop(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"search_id", NULL};
	guint64 search_id;
	if (!check_members(params, allowed, error) ||
	    !param_uint(params, "search_id", TRUE, &search_id, error))
		return NULL;
	gnut_servent_search_stop(s, search_id);
	return ok_result(NULL, NULL);
}

/* The download's current record, or a bare {id} if it already left the list. */
static JsonNode *download_node(gnut_servent *s, guint64 id)
{
	g_autoptr(GPtrArray) downloads = gnut_servent_downloads(s);
	for (guint i = 0; i < downloads->len; i++) {
		const gnut_download_info *d = g_ptr_array_index(downloads, i);
		if (d->id == id)
			return object_node(download_json(d));
	}
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "id", (gint64)id);
	return object_node(o);
}

static JsonNode *m_download_start(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"target", "to", NULL};
	const char *target, *to;
	if (!check_members(params, allowed, error) ||
	    !param_string(params, "target", TRUE, &target, error) ||
	    !param_folder(params, "to", FALSE, &to, error))
		return NULL;
	GError *e = NULL;
	guint64 id = gnut_servent_download_start(s, target, to, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return NULL;
	}
	return download_node(s, id);
}

static JsonNode *m_downloads(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	g_autoptr(GPtrArray) downloads = gnut_servent_downloads(s);
	return array_node(downloads, download_json);
}

/* download.cancel, .pause, .resume, .retry: {id} in, {ok, id} out. */
static JsonNode *download_action(gnut_servent *s, JsonObject *params,
                                 gboolean (*act)(gnut_servent *, guint64, GError **),
                                 GError **error)
{
	static const char *const allowed[] = {"id", NULL};
	guint64 id;
	if (!check_members(params, allowed, error) || !param_uint(params, "id", TRUE, &id, error) ||
	    !act(s, id, error))
		return NULL;
	JsonNode *n = ok_result(NULL, NULL);
	json_object_set_int_member(json_node_get_object(n), "id", (gint64)id);
	return n;
}

static JsonNode *m_download_cancel(gnut_servent *s, JsonObject *params, GError **error)
{
	return download_action(s, params, gnut_servent_download_cancel, error);
}

static JsonNode *m_download_pause(gnut_servent *s, JsonObject *params, GError **error)
{
	return download_action(s, params, gnut_servent_download_pause, error);
}

static JsonNode *m_download_resume(gnut_servent *s, JsonObject *params, GError **error)
{
	return download_action(s, params, gnut_servent_download_resume, error);
}

static JsonNode *m_download_retry(gnut_servent *s, JsonObject *params, GError **error)
{
	return download_action(s, params, gnut_servent_download_retry, error);
}

static JsonNode *m_download_sources(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"id", NULL};
	guint64 id;
	if (!check_members(params, allowed, error) || !param_uint(params, "id", TRUE, &id, error))
		return NULL;
	g_autoptr(GPtrArray) sources = gnut_servent_download_sources(s, id, error);
	if (sources == NULL)
		return NULL;
	return array_node(sources, source_json);
}

static JsonNode *m_shares(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	g_autoptr(GPtrArray) shares = gnut_servent_shares(s);
	return array_node(shares, share_json);
}

/* share.add and share.remove: {path} -> {ok, path}. */
static JsonNode *folder_method(gnut_servent *s, JsonObject *params,
                               gboolean (*fn)(gnut_servent *, const char *, GError **),
                               GError **error)
{
	static const char *const allowed[] = {"path", NULL};
	const char *path;
	if (!check_members(params, allowed, error) ||
	    !param_folder(params, "path", TRUE, &path, error) || !fn(s, path, error))
		return NULL;
	return ok_result("path", path);
}

static JsonNode *m_share_add(gnut_servent *s, JsonObject *params, GError **error)
{
	return folder_method(s, params, gnut_servent_share_add, error);
}

static JsonNode *m_share_remove(gnut_servent *s, JsonObject *params, GError **error)
{
	return folder_method(s, params, gnut_servent_share_remove, error);
}

/* magnet: exactly one of {hit}, {download} or {path} -> {magnet}. */
static JsonNode *m_magnet(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"hit", "download", "path", NULL};
	guint64 hit, download;
	const char *path;
	if (!check_members(params, allowed, error) ||
	    !param_uint(params, "hit", FALSE, &hit, error) ||
	    !param_uint(params, "download", FALSE, &download, error) ||
	    !param_folder(params, "path", FALSE, &path, error))
		return NULL;
	if (json_object_get_size(params) != 1) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "give one of \"hit\", \"download\" or \"path\"");
		return NULL;
	}
	g_autofree char *magnet = NULL;
	if (json_object_has_member(params, "hit"))
		magnet = gnut_servent_magnet_hit(s, hit, error);
	else if (json_object_has_member(params, "download"))
		magnet = gnut_servent_magnet_download(s, download, error);
	else
		magnet = gnut_servent_magnet_file(s, path, error);
	if (magnet == NULL)
		return NULL;
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "magnet", magnet);
	return object_node(o);
}

static JsonNode *limits_node(gnut_servent *s)
{
	guint64 up, down;
	gnut_servent_limits(s, &up, &down);
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "upload_limit", (gint64)up);
	json_object_set_int_member(o, "download_limit", (gint64)down);
	return object_node(o);
}

static JsonNode *m_limits(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	return limits_node(s);
}

/* Sets either limit or both (bytes per second, 0 = none); the other keeps
 * its value. */
static JsonNode *m_limits_set(gnut_servent *s, JsonObject *params, GError **error)
{
	static const char *const allowed[] = {"upload_limit", "download_limit", NULL};
	guint64 up, down, new_up, new_down;
	gnut_servent_limits(s, &up, &down);
	if (!check_members(params, allowed, error) ||
	    !param_uint(params, "upload_limit", FALSE, &new_up, error) ||
	    !param_uint(params, "download_limit", FALSE, &new_down, error))
		return NULL;
	if (json_object_has_member(params, "upload_limit"))
		up = new_up;
	if (json_object_has_member(params, "download_limit"))
		down = new_down;
	gnut_servent_set_limits(s, up, down);
	g_message("control: upload limit %" G_GUINT64_FORMAT ", download limit %" G_GUINT64_FORMAT
	          " bytes per second (0: none)",
	          up, down);
	return limits_node(s);
}

static JsonNode *m_rescan(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	gnut_servent_rescan(s);
	return ok_result(NULL, NULL);
}

static JsonNode *m_stop(gnut_servent *s, JsonObject *params, GError **error)
{
	if (!check_members(params, NULL, error))
		return NULL;
	gnut_servent_request_stop(s);
	return ok_result(NULL, NULL);
}

static const gnut_ctl_method methods[] = {
    {"status", m_status, GNUT_CTL_METHOD_NONE},
    {"stats", m_stats, GNUT_CTL_METHOD_NONE},
    {"peers", m_peers, GNUT_CTL_METHOD_NONE},
    {"hosts", m_hosts, GNUT_CTL_METHOD_NONE},
    {"connect", m_connect, GNUT_CTL_METHOD_PERSIST},
    {"disconnect", m_disconnect, GNUT_CTL_METHOD_PERSIST},
    {"search.start", m_search_start, GNUT_CTL_METHOD_NONE},
    {"search.hits", m_search_hits, GNUT_CTL_METHOD_NONE},
    {"search.stop", m_search_stop, GNUT_CTL_METHOD_NONE},
    {"download.start", m_download_start, GNUT_CTL_METHOD_NONE},
    {"downloads", m_downloads, GNUT_CTL_METHOD_NONE},
    {"download.cancel", m_download_cancel, GNUT_CTL_METHOD_NONE},
    {"download.pause", m_download_pause, GNUT_CTL_METHOD_NONE},
    {"download.resume", m_download_resume, GNUT_CTL_METHOD_NONE},
    {"download.retry", m_download_retry, GNUT_CTL_METHOD_NONE},
    {"download.sources", m_download_sources, GNUT_CTL_METHOD_NONE},
    {"shares", m_shares, GNUT_CTL_METHOD_NONE},
    {"share.add", m_share_add, GNUT_CTL_METHOD_PERSIST},
    {"share.remove", m_share_remove, GNUT_CTL_METHOD_PERSIST},
    {"magnet", m_magnet, GNUT_CTL_METHOD_NONE},
    {"limits", m_limits, GNUT_CTL_METHOD_NONE},
    {"limits.set", m_limits_set, GNUT_CTL_METHOD_PERSIST},
    {"rescan", m_rescan, GNUT_CTL_METHOD_NONE},
    {"stop", m_stop, GNUT_CTL_METHOD_REPLY_FIRST},
};

const gnut_ctl_method *gnut_ctl_methods(gsize *n_methods)
{
	*n_methods = G_N_ELEMENTS(methods);
	return methods;
}

const gnut_ctl_method *gnut_ctl_method_lookup(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

JsonNode *gnut_ctl_call(gnut_servent *s, const char *name, JsonObject *params, GError **error)
{
	const gnut_ctl_method *m = gnut_ctl_method_lookup(name);
	if (m == NULL) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_UNKNOWN_METHOD,
		            "unknown method \"%s\"", name);
		return NULL;
	}
	g_autoptr(JsonObject) empty = NULL;
	if (params == NULL)
		params = empty = json_object_new();
	return m->fn(s, params, error);
}
