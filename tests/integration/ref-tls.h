/* ref-tls.h: TLS for the emulated reference servent, as gtk-gnutella does
 * it: after a handshake that agreed "Upgrade: TLS/1.0" (the dialer as
 * client), or from the first byte of a connection (its uploader). Its
 * certificate is self-signed and it checks no peer's.
 *
 * The emulation's code reads and writes plain sockets; ref_tls_wrap gives
 * it one: the TLS session runs on the real socket and a thread carries the
 * bytes between it and the plain socket handed back, both ways, until
 * either side closes. */
#ifndef GNUT_REF_TLS_H
#define GNUT_REF_TLS_H

#include <glib.h>

/* Runs a TLS handshake on fd (taken), as server or client, within
 * REF_WAIT_S; already_read (may be NULL) holds bytes of the peer's TLS
 * stream read off fd before. Returns the plain socket, or -1 with *why (a
 * g_malloc'd line) when the handshake failed; fd is closed then. */
int ref_tls_wrap(int fd, gboolean server, const GByteArray *already_read, char **why);

/* TRUE when the first byte waiting on fd (not read) opens a TLS record. */
gboolean ref_tls_first_byte(int fd);

#endif
