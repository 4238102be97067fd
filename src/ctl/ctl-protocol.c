/* ctl-protocol.c: the one part of the control protocol that is code rather
 * than a constant, in an object of its own so that gnut links no more of the
 * engine than it (see gnut/ctl/ctl-protocol.h): the default data folder and
 * the certificate fingerprints that TLS control connections are pinned to. */
#include <string.h>

#include <gio/gio.h>
#include <glib.h>

#include "gnut/ctl/ctl-protocol.h"

char *gnut_ctl_default_data_dir(void)
{
	return g_build_filename(g_get_user_data_dir(), "gnutd", NULL);
}

void gnut_ctl_fingerprint(const guint8 *der, gsize len, char out[GNUT_CTL_PIN_LEN + 1])
{
	g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, der, len);
	g_strlcpy(out, hex, GNUT_CTL_PIN_LEN + 1);
}

void gnut_ctl_certificate_fingerprint(GTlsCertificate *cert, char out[GNUT_CTL_PIN_LEN + 1])
{
	g_autoptr(GByteArray) der = NULL;
	g_object_get(cert, "certificate", &der, NULL);
	gnut_ctl_fingerprint(der->data, der->len, out);
}

/* Skips a "sha256:" or "sha256=" prefix, any case. */
static const char *skip_pin_prefix(const char *text)
{
	static const char name[] = "sha256";
	if (g_ascii_strncasecmp(text, name, sizeof name - 1) == 0 &&
	    (text[sizeof name - 1] == ':' || text[sizeof name - 1] == '='))
		return text + sizeof name;
	return text;
}

gboolean gnut_ctl_fingerprint_parse(const char *text, char out[GNUT_CTL_PIN_LEN + 1])
{
	const char *p = skip_pin_prefix(text);
	/* "ab:cd:...": every third character a ':' */
	gsize step = strchr(p, ':') != NULL ? 3 : 2;
	gsize len = strlen(p);
	if (len != GNUT_CTL_PIN_LEN / 2 * step - (step - 2))
		return FALSE;
	for (gsize i = 0, n = 0; i < len; i += step) {
		if (!g_ascii_isxdigit(p[i]) || !g_ascii_isxdigit(p[i + 1]) ||
		    (step == 3 && i + 2 < len && p[i + 2] != ':'))
			return FALSE;
		out[n++] = g_ascii_tolower(p[i]);
		out[n++] = g_ascii_tolower(p[i + 1]);
	}
	out[GNUT_CTL_PIN_LEN] = '\0';
	return TRUE;
}
