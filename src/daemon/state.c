/* state.c: the settings changed through the control API (see state.h). */
#include <string.h>

#include "gnut/base/atomic-file.h"
#include "state.h"

#define STATE_GROUP "state"

struct gnut_state {
	char *path;
	GPtrArray *shares_added; /* char*, each list without duplicates */
	GPtrArray *shares_removed;
	GPtrArray *peers_added;
	GPtrArray *peers_removed;
	gint64 upload_limit; /* -1: not set through the API */
	gint64 download_limit;
};

static const char *const list_keys[] = {"share-added", "share-removed", "peer-added",
                                        "peer-removed"};

static GPtrArray **list_of(gnut_state *st, gsize i)
{
	GPtrArray **lists[] = {&st->shares_added, &st->shares_removed, &st->peers_added,
	                       &st->peers_removed};
	return lists[i];
}

static gboolean list_has(GPtrArray *list, const char *item)
{
	for (guint i = 0; i < list->len; i++)
		if (strcmp(g_ptr_array_index(list, i), item) == 0)
			return TRUE;
	return FALSE;
}

static void list_add(GPtrArray *list, const char *item)
{
	if (!list_has(list, item))
		g_ptr_array_add(list, g_strdup(item));
}

static void list_remove(GPtrArray *list, const char *item)
{
	for (guint i = 0; i < list->len; i++)
		if (strcmp(g_ptr_array_index(list, i), item) == 0)
			g_ptr_array_remove_index(list, i--);
}

static gboolean load_limit(GKeyFile *kf, const char *key, gint64 *out, GError **error)
{
	*out = -1;
	if (!g_key_file_has_key(kf, STATE_GROUP, key, NULL))
		return TRUE;
	GError *e = NULL;
	gint64 v = g_key_file_get_int64(kf, STATE_GROUP, key, &e);
	if (e != NULL || v < 0) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		            "%s: expected bytes per second", key);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

static gboolean load_file(gnut_state *st, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, st->path, G_KEY_FILE_NONE, error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(list_keys); i++) {
		g_auto(GStrv) items =
		    g_key_file_get_string_list(kf, STATE_GROUP, list_keys[i], NULL, NULL);
		for (char **p = items; p != NULL && *p != NULL; p++)
			if (**p != '\0')
				list_add(*list_of(st, i), *p);
	}
	return load_limit(kf, "upload-limit", &st->upload_limit, error) &&
	       load_limit(kf, "download-limit", &st->download_limit, error);
}

gnut_state *gnut_state_load(const char *path, GError **error)
{
	g_autoptr(gnut_state) st = g_new0(gnut_state, 1);
	st->path = g_strdup(path);
	for (gsize i = 0; i < G_N_ELEMENTS(list_keys); i++)
		*list_of(st, i) = g_ptr_array_new_with_free_func(g_free);
	st->upload_limit = st->download_limit = -1;
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return g_steal_pointer(&st);
	GError *e = NULL;
	if (!load_file(st, &e)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, e->message);
		g_error_free(e);
		return NULL;
	}
	return g_steal_pointer(&st);
}

void gnut_state_free(gnut_state *st)
{
	if (st == NULL)
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(list_keys); i++)
		if (*list_of(st, i) != NULL)
			g_ptr_array_unref(*list_of(st, i));
	g_free(st->path);
	g_free(st);
}

/* list, less removed, plus added (a new NULL-terminated vector). */
static char **apply_list(char **list, GPtrArray *added, GPtrArray *removed)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	for (char **p = list; p != NULL && *p != NULL; p++)
		if (!list_has(removed, *p) && !list_has(out, *p))
			g_ptr_array_add(out, g_strdup(*p));
	for (guint i = 0; i < added->len; i++)
		list_add(out, g_ptr_array_index(added, i));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

void gnut_state_apply(const gnut_state *st, gnut_options *o)
{
	char **shares = apply_list(o->shares, st->shares_added, st->shares_removed);
	g_strfreev(o->shares);
	o->shares = shares;
	char **peers = apply_list(o->peers, st->peers_added, st->peers_removed);
	g_strfreev(o->peers);
	o->peers = peers;
	if (st->upload_limit >= 0)
		o->upload_limit = (guint64)st->upload_limit;
	if (st->download_limit >= 0)
		o->download_limit = (guint64)st->download_limit;
}

static gboolean save(const gnut_state *st, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_key_file_set_comment(kf, NULL, NULL,
	                       " Settings changed through gnutd's control API; gnutd rewrites "
	                       "this file.",
	                       NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(list_keys); i++) {
		GPtrArray *list = *list_of((gnut_state *)st, i);
		if (list->len > 0)
			g_key_file_set_string_list(kf, STATE_GROUP, list_keys[i],
			                           (const char *const *)list->pdata, list->len);
	}
	if (st->upload_limit >= 0)
		g_key_file_set_int64(kf, STATE_GROUP, "upload-limit", st->upload_limit);
	if (st->download_limit >= 0)
		g_key_file_set_int64(kf, STATE_GROUP, "download-limit", st->download_limit);
	gsize len = 0;
	g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
	return gnut_atomic_write(st->path, text, len, error);
}

/* Records that item was added (or removed) through the API. */
static void record_change(GPtrArray *added, GPtrArray *removed, const char *item, gboolean add)
{
	list_remove(add ? removed : added, item);
	list_add(add ? added : removed, item);
}

static void record_limit(JsonObject *params, const char *member, gint64 *out)
{
	if (json_object_has_member(params, member))
		*out = json_object_get_int_member(params, member);
}

gboolean gnut_state_record(gnut_state *st, const char *method, JsonObject *params, GError **error)
{
	gboolean add = strcmp(method, "share.add") == 0 || strcmp(method, "connect") == 0;
	if (add || strcmp(method, "share.remove") == 0 || strcmp(method, "disconnect") == 0) {
		gboolean share = g_str_has_prefix(method, "share.");
		const char *item =
		    json_object_get_string_member(params, share ? "path" : "address");
		if (share) {
			g_autofree char *folder = g_canonicalize_filename(item, "/");
			record_change(st->shares_added, st->shares_removed, folder, add);
		} else {
			record_change(st->peers_added, st->peers_removed, item, add);
		}
	} else if (strcmp(method, "limits.set") == 0) {
		record_limit(params, "upload_limit", &st->upload_limit);
		record_limit(params, "download_limit", &st->download_limit);
	} else {
		return TRUE;
	}
	return save(st, error);
}
