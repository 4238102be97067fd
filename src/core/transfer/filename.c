/* filename.c: sanitising file names from peers and claiming a free name in
 * a folder (see filename.h). */
#include "gnut/core/transfer/filename.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#define REPLACEMENT_CHAR 0xFFFD

/* Characters that reorder the text around them: a name such as
 * "invoice\u202Efdp.exe" would display as "invoiceexe.pdf". */
static gboolean is_bidi_control(gunichar c)
{
	return c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* Noncharacters are valid UTF-8 but not XML: a name holding one could not
 * be written to a state file. */
static gboolean is_noncharacter(gunichar c)
{
	return (c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF);
}

static gboolean is_unsafe_char(gunichar c)
{
	return c == '/' || c == '\\' || c < 0x20 || (c >= 0x7F && c <= 0x9F) ||
	       is_bidi_control(c) || is_noncharacter(c);
}

/* The largest n <= len such that s[0..n) ends on a character boundary of the
 * valid UTF-8 string s. */
static gsize utf8_cut(const char *s, gsize len, gsize n)
{
	if (n >= len)
		return len;
	while (n > 0 && ((guchar)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Length of the extension of name[0..len) (the last '.' and what follows,
 * when the dot is not the first byte and the whole is short enough to be an
 * extension), or 0. */
static gsize extension_len(const char *name, gsize len)
{
	const char *dot = g_strrstr_len(name, (gssize)len, ".");
	if (dot == NULL || dot == name)
		return 0;
	gsize ext = len - (gsize)(dot - name);
	return ext <= GNUT_FILENAME_MAX_EXT ? ext : 0;
}

/* stem + suffix + ext, with the stem shortened (on a character boundary, and
 * without the spaces or dots the cut leaves at its end) so that the whole
 * stays within GNUT_FILENAME_MAX bytes. suffix and ext are short ASCII or
 * at most GNUT_FILENAME_MAX_EXT bytes, so there is always room. */
static char *fit_name(const char *stem, gsize stem_len, const char *suffix, const char *ext,
                      gsize ext_len)
{
	gsize fixed = strlen(suffix) + ext_len;
	gsize keep = stem_len;
	if (stem_len + fixed > GNUT_FILENAME_MAX) {
		keep = utf8_cut(stem, stem_len, GNUT_FILENAME_MAX - fixed);
		while (keep > 0 && (stem[keep - 1] == ' ' || stem[keep - 1] == '.'))
			keep--;
	}
	GString *out = g_string_sized_new(keep + fixed + 1);
	g_string_append_len(out, stem, (gssize)keep);
	g_string_append(out, suffix);
	g_string_append_len(out, ext, (gssize)ext_len);
	return g_string_free(out, FALSE);
}

/* Pass one: valid UTF-8, unsafe characters replaced, dot runs collapsed. */
static GString *clean_chars(const char *name, gsize len)
{
	GString *out = g_string_sized_new(MIN(len, 4 * GNUT_FILENAME_MAX) + 1);
	gsize i = 0;
	while (i < len) {
		gunichar c = g_utf8_get_char_validated(name + i, (gssize)(len - i));
		gsize step;
		if (name[i] == '\0') {
			c = '_'; /* get_char_validated reports a NUL as a partial sequence */
			step = 1;
		} else if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* one replacement for a bad lead byte and the continuation
			 * bytes that follow it (a cut or overlong sequence) */
			c = REPLACEMENT_CHAR;
			step = 1;
			while (step < 4 && i + step < len &&
			       ((guchar)name[i + step] & 0xC0) == 0x80)
				step++;
		} else {
			step = (gsize)(g_utf8_next_char(name + i) - (name + i));
		}
		i += step;
		if (is_unsafe_char(c))
			c = '_';
		if (c == '.' && out->len > 0 && out->str[out->len - 1] == '.')
			continue;
		g_string_append_unichar(out, c);
	}
	return out;
}

char *gnut_filename_sanitize(const char *name, gssize len)
{
	g_return_val_if_fail(name != NULL || len == 0, NULL);
	gsize n = len < 0 ? strlen(name) : (gsize)len;
	g_autoptr(GString) clean = clean_chars(name, n);

	gsize start = 0;
	while (start < clean->len && (clean->str[start] == '.' || clean->str[start] == ' '))
		start++;
	gsize end = clean->len;
	while (end > start && clean->str[end - 1] == ' ')
		end--;
	if (end == start)
		return g_strdup(GNUT_FILENAME_FALLBACK);

	const char *s = clean->str + start;
	gsize slen = end - start;
	gsize ext = extension_len(s, slen);
	char *fitted = fit_name(s, slen - ext, "", s + slen - ext, ext);
	if (*fitted == '\0') {
		g_free(fitted);
		return g_strdup(GNUT_FILENAME_FALLBACK);
	}
	return fitted;
}

int gnut_filename_create_unique(const char *dir, const char *name, char **path, GError **error)
{
	g_return_val_if_fail(dir != NULL && name != NULL && path != NULL, -1);
	g_return_val_if_fail(*name != '\0' && strchr(name, '/') == NULL, -1);
	g_return_val_if_fail(strcmp(name, ".") != 0 && strcmp(name, "..") != 0, -1);

	gsize len = strlen(name);
	gsize ext = extension_len(name, len);
	for (guint i = 0; i < GNUT_FILENAME_MAX_TRIES; i++) {
		g_autofree char *suffix = i == 0 ? g_strdup("") : g_strdup_printf(" (%u)", i);
		g_autofree char *candidate =
		    fit_name(name, len - ext, suffix, name + len - ext, ext);
		g_autofree char *full = g_build_filename(dir, candidate, NULL);
		int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			*path = g_steal_pointer(&full);
			return fd;
		}
		if (errno != EEXIST) {
			int err = errno;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			            "cannot create %s: %s", full, g_strerror(err));
			return -1;
		}
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "no free name for %s in %s", name, dir);
	return -1;
}
