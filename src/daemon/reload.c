/* reload.c: applies a reload's changes to a running servent (see reload.h). */
#include <string.h>

#include "log.h"
#include "options-dump.h"
#include "reload.h"

/* The keys reload_live handles; others wait for a restart. */
static const char *const live_keys[] = {
    "share", "peer", "upload-limit", "download-limit", "log-level", "share-partial", NULL};

/* Calls fn for each item of list missing from other, logging what it did
 * as "reload: DONE ITEM" or the error. */
static void apply_missing(gnut_servent *s, char **list, char **other,
                          gboolean (*fn)(gnut_servent *, const char *, GError **), const char *done)
{
	for (char **p = list; *p != NULL; p++) {
		if (g_strv_contains((const char *const *)other, *p))
			continue;
		g_autoptr(GError) error = NULL;
		if (fn(s, *p, &error))
			g_message("reload: %s %s", done, *p);
		else
			g_warning("reload: %s", error->message);
	}
}

static void reload_peers(gnut_servent *s, char **before, char **after)
{
	apply_missing(s, after, before, gnut_servent_connect, "new peer");
	for (char **p = before; *p != NULL; p++)
		if (!g_strv_contains((const char *const *)after, *p))
			g_message("reload: peer %s removed from the settings: its link stays until "
			          "it ends (gnut disconnect ends it now)",
			          *p);
}

static void reload_live(gnut_servent *s, const gnut_options *before, const gnut_options *after)
{
	apply_missing(s, after->shares, before->shares, gnut_servent_share_add, "sharing");
	apply_missing(s, before->shares, after->shares, gnut_servent_share_remove,
	              "no longer sharing");
	reload_peers(s, before->peers, after->peers);
	if (before->upload_limit != after->upload_limit ||
	    before->download_limit != after->download_limit) {
		gnut_servent_set_limits(s, after->upload_limit, after->download_limit);
		g_message("reload: upload limit %" G_GUINT64_FORMAT
		          ", download limit %" G_GUINT64_FORMAT " bytes per second (0: none)",
		          after->upload_limit, after->download_limit);
	}
	if (before->share_partial != after->share_partial) {
		gnut_servent_set_share_partial(s, after->share_partial);
		g_message("reload: partial file sharing %s", after->share_partial ? "on" : "off");
	}
	if (before->log_level != after->log_level) {
		gnut_log_set_level(after->log_level);
		g_message("reload: log level %s", gnut_log_level_name(after->log_level));
	}
}

guint gnut_reload_apply(gnut_servent *s, const gnut_options *before, const gnut_options *after)
{
	g_autoptr(GKeyFile) old_kf = gnut_options_to_keyfile(before);
	g_autoptr(GKeyFile) new_kf = gnut_options_to_keyfile(after);
	g_auto(GStrv) keys = g_key_file_get_keys(new_kf, "gnutd", NULL, NULL);
	guint changed = 0;
	for (char **k = keys; k != NULL && *k != NULL; k++) {
		g_autofree char *old_value = g_key_file_get_value(old_kf, "gnutd", *k, NULL);
		g_autofree char *new_value = g_key_file_get_value(new_kf, "gnutd", *k, NULL);
		if (g_strcmp0(old_value, new_value) == 0)
			continue;
		changed++;
		if (!g_strv_contains(live_keys, *k))
			g_message("reload: %s changed to \"%s\": takes effect at the next start",
			          *k, new_value);
	}
	reload_live(s, before, after);
	return changed;
}
