/* stats-store.c: the totals of every run in stats.state (see
 * stats-store.h). One table maps each key of the file to its field, so
 * that loading and saving cannot disagree on the list. */
#include <stddef.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gnut/base/atomic-file.h"
#include "stats-store.h"

#define STATS_GROUP    "totals"
#define STATS_MAX_FILE (16 * 1024) /* the file holds a dozen short lines */

static const struct {
	const char *key;
	size_t offset;
} fields[] = {
    {"bytes-up", offsetof(gnut_servent_totals, bytes_up)},
    {"bytes-down", offsetof(gnut_servent_totals, bytes_down)},
    {"uploads-completed", offsetof(gnut_servent_totals, uploads_completed)},
    {"downloads-completed", offsetof(gnut_servent_totals, downloads_completed)},
    {"queries-sent", offsetof(gnut_servent_totals, queries_sent)},
    {"queries-answered", offsetof(gnut_servent_totals, queries_answered)},
    {"hits-received", offsetof(gnut_servent_totals, hits_received)},
    {"messages-received", offsetof(gnut_servent_totals, messages_received)},
    {"messages-sent", offsetof(gnut_servent_totals, messages_sent)},
    {"messages-dropped", offsetof(gnut_servent_totals, messages_dropped)},
    {"uptime", offsetof(gnut_servent_totals, uptime)},
};

static guint64 *field_of(gnut_servent_totals *t, gsize i)
{
	return (guint64 *)((char *)t + fields[i].offset);
}

/* One value: decimal digits only (g_key_file_get_uint64 would take a
 * sign, spaces or a number cut short by a damaged line's garbage). */
static gboolean load_field(GKeyFile *kf, const char *key, guint64 *out, GError **error)
{
	g_autofree char *text = g_key_file_get_value(kf, STATS_GROUP, key, NULL);
	if (text == NULL) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
		            "no \"%s\" (the file is cut short?)", key);
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, out, NULL)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		            "\"%s\" is not a count", key);
		return FALSE;
	}
	return TRUE;
}

/* The totals in the text of a stats file; FALSE with the reason. */
static gboolean parse_totals(const char *text, gsize len, gnut_servent_totals *out, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		if (!load_field(kf, fields[i].key, field_of(out, i), error))
			return FALSE;
	return TRUE;
}

gboolean gnut_stats_load(const char *path, gnut_servent_totals *out, GError **error)
{
	memset(out, 0, sizeof *out);
	g_autofree char *text = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!gnut_read_file_capped(path, STATS_MAX_FILE, &text, &len, &e)) {
		if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
			g_error_free(e);
			return TRUE;
		}
		g_propagate_prefixed_error(error, e, "%s: ", path);
		return FALSE;
	}
	gnut_servent_totals t = {0};
	if (!parse_totals(text, len, &t, &e)) {
		g_propagate_prefixed_error(error, e, "%s: ", path);
		return FALSE;
	}
	*out = t;
	return TRUE;
}

gboolean gnut_stats_save(const char *path, const gnut_servent_totals *totals, GError **error)
{
	GString *text = g_string_new("# gnutd: the totals of every run (gnut stats), saved every "
	                             "minute and at stop\n[" STATS_GROUP "]\n");
	gnut_servent_totals copy = *totals;
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		g_string_append_printf(text, "%s=%" G_GUINT64_FORMAT "\n", fields[i].key,
		                       *field_of(&copy, i));
	gboolean ok = gnut_atomic_write(path, text->str, text->len, error);
	g_string_free(text, TRUE);
	return ok;
}

struct gnut_stats_keeper {
	gnut_servent *servent;
	char *path;
	GSource *timer;
};

static void keeper_save(gnut_stats_keeper *k)
{
	gnut_servent_totals all;
	gnut_servent_totals_all(k->servent, &all);
	g_autoptr(GError) error = NULL;
	if (!gnut_stats_save(k->path, &all, &error))
		g_warning("cannot save the totals: %s", error->message);
}

static gboolean on_save_timer(gpointer data)
{
	keeper_save(data);
	return G_SOURCE_CONTINUE;
}

/* Earlier runs' totals, or zero (said, and the damaged file kept aside for
 * a look) when the file cannot be read. */
static void load_or_zero(const char *path, gnut_servent_totals *out)
{
	g_autoptr(GError) error = NULL;
	if (gnut_stats_load(path, out, &error))
		return;
	g_autofree char *bad = g_strconcat(path, ".bad", NULL);
	if (g_rename(path, bad) == 0)
		g_warning("totals: %s; counting from zero (the damaged file is now %s)",
		          error->message, bad);
	else
		g_warning("totals: %s; counting from zero", error->message);
}

gnut_stats_keeper *gnut_stats_keeper_new(gnut_servent *s, const char *path, guint interval_s)
{
	gnut_stats_keeper *k = g_new0(gnut_stats_keeper, 1);
	k->servent = s;
	k->path = g_strdup(path);
	gnut_servent_totals before;
	load_or_zero(path, &before);
	gnut_servent_set_totals_before(s, &before);
	k->timer = g_timeout_source_new_seconds(MAX(interval_s, 1));
	g_source_set_callback(k->timer, on_save_timer, k, NULL);
	g_source_attach(k->timer, g_main_context_get_thread_default());
	return k;
}

void gnut_stats_keeper_free(gnut_stats_keeper *k)
{
	if (k == NULL)
		return;
	g_source_destroy(k->timer);
	g_source_unref(k->timer);
	keeper_save(k);
	g_free(k->path);
	g_free(k);
}
