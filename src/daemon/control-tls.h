/* control-tls.h: whether the control API speaks HTTPS (--control-tls) and
 * with which certificate (--control-cert, else the servent's own). */
#ifndef GNUT_DAEMON_CONTROL_TLS_H
#define GNUT_DAEMON_CONTROL_TLS_H

#include <gio/gio.h>

#include "options.h"

/* Whether an "ADDR:PORT" control address is a loopback one (127.0.0.0/8,
 * ::1); FALSE for anything else, wildcards included. */
gboolean gnut_control_address_is_loopback(const char *address);

/* Whether o asks for TLS on o->control: on, or auto and not loopback. */
gboolean gnut_control_wants_tls(const gnut_options *o);

/* The certificate to serve the control API with, or NULL and no error when
 * TLS is off (with a warning in the log when the address is not loopback:
 * the token then crosses the network in the clear). NULL and error when TLS
 * is wanted but GIO has no TLS backend or the certificate cannot be read. */
GTlsCertificate *gnut_control_tls_certificate(const gnut_options *o, GError **error);

#endif
