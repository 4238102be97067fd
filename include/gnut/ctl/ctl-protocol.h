/* ctl-protocol.h: what the two ends of the control API must agree on,
 * gnutd's server (ctl-server.c) and gnut (src/cli), in a header that pulls
 * in nothing of the engine, so that the CLI depends on none of it. One
 * endpoint:
 *
 *   POST /rpc   Authorization: Bearer <token>   Content-Type: application/json
 *   {"method": "NAME", "params": {...}}          (params optional)
 *   -> 200 {"result": ...}
 *   -> 4xx/5xx {"error": {"message": "...", "code": "..."}}
 *
 * Codes and statuses: unauthorized 401 (no or wrong token), not_found 404
 * (other path, or the thing named does not exist), method_not_allowed 405,
 * length_required 411 (chunked body), too_large 413 (body over
 * GNUT_CTL_MAX_REQUEST), bad_request 400 (not JSON, too many brackets, not
 * {method, params}), unknown_method 404, invalid_params 400, invalid 400 (a
 * bad value: an address, a target, a file where a folder is wanted), io 500
 * (anything else the engine reports).
 * GET /metrics with the same token answers Prometheus text.
 * The daemon writes the token and the URL that reaches it to
 * <data-dir>/control.token (mode 0600) and <data-dir>/control.url, one line
 * each, so that a local user who can read the data folder can drive the
 * daemon and nobody else can.
 *
 * Over TLS (gnutd --control-tls) the URL is https:// and the daemon writes
 * the SHA-256 fingerprint of its certificate to <data-dir>/control.fingerprint
 * (64 lowercase hex digits): the certificate is self-signed, so a client
 * trusts the one certificate whose fingerprint it was given (pinning), never
 * a certificate authority's word nor the host name. */
#ifndef GNUT_CTL_PROTOCOL_H
#define GNUT_CTL_PROTOCOL_H

#include <gio/gio.h>
#include <glib.h>

#define GNUT_CTL_URL_FILE     "control.url"
#define GNUT_CTL_TOKEN_FILE   "control.token"
#define GNUT_CTL_PIN_FILE     "control.fingerprint"
#define GNUT_CTL_RPC_PATH     "/rpc"
#define GNUT_CTL_METRICS_PATH "/metrics" /* GET, Prometheus text format 0.0.4 */
#define GNUT_CTL_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* A method of the transport itself: a new token, saved in control.token
 * and in force for the calls that follow; -> {"token": NEW} */
#define GNUT_CTL_TOKEN_ROTATE "token.rotate"
#define GNUT_CTL_AUTH_HEADER  "Authorization"
#define GNUT_CTL_AUTH_SCHEME  "Bearer" /* then one space and the token */
#define GNUT_CTL_CONTENT_TYPE "application/json"
#define GNUT_CTL_MAX_REQUEST  (64 * 1024) /* bytes of request body */
#define GNUT_CTL_MAX_BRACKETS 64          /* '[' and '{' in a body, strings included */

/* The data folder when none is given: $XDG_DATA_HOME/gnutd, i.e.
 * ~/.local/share/gnutd. gnutd keeps its state there and gnut looks there.
 * g_free it. */
char *gnut_ctl_default_data_dir(void);

/* Characters of a fingerprint as control.fingerprint holds it. */
#define GNUT_CTL_PIN_LEN 64

/* The SHA-256 of a certificate's DER form, as GNUT_CTL_PIN_LEN lowercase
 * hex digits (NUL-terminated in out). */
void gnut_ctl_fingerprint(const guint8 *der, gsize len, char out[GNUT_CTL_PIN_LEN + 1]);
/* The same of cert (its first certificate, the one a server shows). */
void gnut_ctl_certificate_fingerprint(GTlsCertificate *cert, char out[GNUT_CTL_PIN_LEN + 1]);

/* Reads a fingerprint as a user may write it: hex digits in either case,
 * optionally in pairs separated by ':' (as openssl prints them), optionally
 * after "sha256:" or "SHA256=". FALSE when it is not one SHA-256; else out
 * holds the canonical form. */
gboolean gnut_ctl_fingerprint_parse(const char *text, char out[GNUT_CTL_PIN_LEN + 1]);

#endif
