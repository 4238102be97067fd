/* tls.h: the servent's TLS identity. Gnutella's TLS is encryption against
 * passive observers, not identity: each servent has one self-signed
 * certificate, made once and kept in its data dir, and accepts any peer's.
 *
 * The certificate and key live in one PEM file (mode 0600, written
 * atomically) so that they can never disagree. GIO runs the TLS sessions
 * through its TLS backend (glib-networking); without one, TLS is off. */
#ifndef GNUT_TLS_H
#define GNUT_TLS_H

#include <gio/gio.h>
#include <glib.h>

/* The file, in the data dir, holding our certificate and private key. */
#define GNUT_TLS_IDENTITY_FILE "tls-identity.pem"
/* Its largest believable size (a P-256 key and certificate are ~1 KiB). */
#define GNUT_TLS_IDENTITY_MAX (64 * 1024)
/* Validity of a new certificate: peers do not check it, but an expired one
 * would look odd; twenty years. */
#define GNUT_TLS_VALID_DAYS (20 * 365)

/* TRUE when GIO has a TLS backend able to run sessions. */
gboolean gnut_tls_available(void);

/* Loads data_dir's identity file, or makes a new key and self-signed
 * certificate and stores them there first. NULL with error when the file
 * is unreadable or damaged (it is never overwritten then) or GnuTLS fails. */
GTlsCertificate *gnut_tls_load_or_create(const char *data_dir, GError **error);

#endif
