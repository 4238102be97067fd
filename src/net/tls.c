/* tls.c: the servent's self-signed certificate (see tls.h). The key and
 * certificate are made with GnuTLS, the library glib-networking runs TLS
 * with, and handed to GIO as PEM. */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/tls.h"

#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "gnut/base/atomic-file.h"

#define SERIAL_LEN 16

gboolean gnut_tls_available(void)
{
	return g_tls_backend_supports_tls(g_tls_backend_get_default());
}

static gboolean gnutls_ok(int rc, const char *what, GError **error)
{
	if (rc >= 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "GnuTLS: %s: %s", what,
	            gnutls_strerror(rc));
	return FALSE;
}

/* Appends one PEM export to out. */
static int append_pem(GString *out, gnutls_datum_t *pem, int rc)
{
	if (rc >= 0)
		g_string_append_len(out, (const char *)pem->data, (gssize)pem->size);
	gnutls_free(pem->data);
	pem->data = NULL;
	return rc;
}

/* Fills crt as a self-signed certificate for key, valid from now. */
static int sign_certificate(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	guint8 serial[SERIAL_LEN];
	int rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
	serial[0] &= 0x7f; /* a positive integer */
	time_t now = time(NULL);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_version(crt, 3);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_activation_time(crt, now - 24 * 3600);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)GNUT_TLS_VALID_DAYS *
		                                                        24 * 3600);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_dn(crt, "CN=gnutd", NULL);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key(crt, key);
	if (rc >= 0)
		rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	return rc;
}

/* A new P-256 key and its certificate, both PEM, certificate first. */
static GString *make_identity(GError **error)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = {NULL, 0};
	g_autoptr(GString) out = g_string_new(NULL);
	int rc = gnutls_x509_privkey_init(&key);
	if (rc >= 0)
		rc = gnutls_x509_privkey_generate(
		    key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc >= 0)
		rc = gnutls_x509_crt_init(&crt);
	if (rc >= 0)
		rc = sign_certificate(crt, key);
	if (rc >= 0)
		rc = append_pem(out, &pem, gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem));
	if (rc >= 0)
		rc = append_pem(out, &pem,
		                gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
		                                                  GNUTLS_PKCS_PLAIN, &pem));
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	if (!gnutls_ok(rc, "making a self-signed certificate", error))
		return NULL;
	return g_steal_pointer(&out);
}

GTlsCertificate *gnut_tls_load_or_create(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, GNUT_TLS_IDENTITY_FILE, NULL);
	g_autofree char *pem = NULL;
	gsize len = 0;
	GError *read_err = NULL;
	if (!gnut_read_file_capped(path, GNUT_TLS_IDENTITY_MAX, &pem, &len, &read_err)) {
		if (!g_error_matches(read_err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
			g_propagate_prefixed_error(error, read_err, "%s: ", path);
			return NULL;
		}
		g_error_free(read_err);
		g_autoptr(GString) made = make_identity(error);
		if (made == NULL || !gnut_atomic_write(path, made->str, made->len, error))
			return NULL;
		g_message("made a new TLS certificate in %s", path);
		pem = g_string_free(g_steal_pointer(&made), FALSE);
		len = strlen(pem);
	}
	GError *parse_err = NULL;
	GTlsCertificate *cert = g_tls_certificate_new_from_pem(pem, (gssize)len, &parse_err);
	if (cert == NULL)
		g_propagate_prefixed_error(error, parse_err, "%s: ", path);
	return cert;
}
