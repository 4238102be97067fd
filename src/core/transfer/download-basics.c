/* download-basics.c: what every file of the downloads module leans on and
 * that needs none of them: the error domain, the names of the states, the
 * checks of a source and of text that goes into headers and the state
 * file, and the freeing of status snapshots (see download.h and
 * download-private.h). */
#include "download-private.h"

#include <errno.h>
#include <string.h>

/* Why not G_DEFINE_QUARK: its first argument is a bare token with dashes,
 * which clang-format spreads into "gnut - download - error - quark". */
GQuark gnut_download_error_quark(void)
{
	return g_quark_from_static_string("gnut-download-error-quark");
}

static const char *const state_names[] = {
    [GNUT_DOWNLOAD_QUEUED] = "queued",           [GNUT_DOWNLOAD_CONNECTING] = "connecting",
    [GNUT_DOWNLOAD_DOWNLOADING] = "downloading", [GNUT_DOWNLOAD_VERIFYING] = "verifying",
    [GNUT_DOWNLOAD_COMPLETE] = "complete",       [GNUT_DOWNLOAD_FAILED] = "failed",
    [GNUT_DOWNLOAD_CANCELLED] = "cancelled",     [GNUT_DOWNLOAD_WAITING] = "waiting",
    [GNUT_DOWNLOAD_PAUSED] = "paused",
};

const char *gnut_download_state_name(gnut_download_state state)
{
	if ((guint)state >= G_N_ELEMENTS(state_names))
		return "unknown";
	return state_names[state];
}

gboolean gnut_download_state_is_final(gnut_download_state state)
{
	return state == GNUT_DOWNLOAD_COMPLETE || state == GNUT_DOWNLOAD_FAILED ||
	       state == GNUT_DOWNLOAD_CANCELLED;
}

gboolean gnut_download_text_is_clean(const char *s, gsize max)
{
	gsize len = strlen(s);
	if (len == 0 || len > max || !g_utf8_validate(s, (gssize)len, NULL))
		return FALSE;
	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7F || (c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF))
			return FALSE;
	}
	return TRUE;
}

gboolean gnut_download_io_error(GError **error, const char *what, const char *path)
{
	int err = errno;
	g_set_error(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_IO, "%s %s: %s", what, path,
	            g_strerror(err));
	return FALSE;
}

static gboolean invalid(GError **error, const char *why)
{
	g_set_error_literal(error, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID, why);
	return FALSE;
}

gboolean gnut_download_source_check(const gnut_download_source *src, GError **error)
{
	g_return_val_if_fail(src != NULL, FALSE);
	gsize hlen = src->host != NULL ? strlen(src->host) : 0;
	if (hlen == 0 || hlen > GNUT_DOWNLOAD_MAX_HOST)
		return invalid(error, "a source needs a host");
	for (const char *p = src->host; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != ':')
			return invalid(error, "a source's host holds a character hosts do not");
	if (src->port == 0 && !src->firewalled)
		return invalid(error, "a source needs a port");
	if (src->firewalled && !src->has_guid)
		return invalid(error, "a firewalled source needs its servent GUID (for the push)");
	if (src->name != NULL && !gnut_download_text_is_clean(src->name, GNUT_DOWNLOAD_MAX_NAME))
		return invalid(error, "a source's file name is empty, too long or not text");
	if (src->get_only && src->name == NULL)
		return invalid(error, "a /get/ source needs a file name");
	return TRUE;
}

void gnut_download_status_clear(gnut_download_status *st)
{
	if (st == NULL)
		return;
	g_clear_pointer(&st->name, g_free);
	g_clear_pointer(&st->urn, g_free);
	g_clear_pointer(&st->path, g_free);
	g_clear_pointer(&st->error, g_free);
}

void gnut_download_status_free(gpointer st)
{
	gnut_download_status_clear(st);
	g_free(st);
}

void gnut_download_source_status_free(gpointer p)
{
	gnut_download_source_status *st = p;
	if (st == NULL)
		return;
	g_free(st->host);
	g_free(st->error);
	g_free(st);
}
