/* ctl-server.h: the control API over HTTP (libsoup-3), for gnut and other
 * local remotes: the server side of gnut/ctl/ctl-protocol.h, which gives
 * the shape of a call, its error codes and statuses, and the files the
 * server publishes. A request refused from its headers has its body read
 * and dropped, never buffered, and its connection closed. */
#ifndef GNUT_CTL_SERVER_H
#define GNUT_CTL_SERVER_H

#include <gio/gio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "gnut/core/servent.h"
#include "gnut/ctl/ctl-protocol.h"

typedef struct gnut_ctl_server gnut_ctl_server;

/* Listens on address ("ADDR:PORT", "ADDR" = port 0, "[v6]:PORT"; an IP
 * literal; port 0 picks a free one) for calls into s, accepting only token.
 * Errors are G_IO_ERROR, the message naming the address. */
gnut_ctl_server *gnut_ctl_server_new(gnut_servent *s, const char *address, const char *token,
                                     GError **error);
/* The same over HTTPS with cert (its key included) when cert is not NULL:
 * the URL is then https:// and the server has a fingerprint. */
gnut_ctl_server *gnut_ctl_server_new_tls(gnut_servent *s, const char *address, const char *token,
                                         GTlsCertificate *cert, GError **error);
/* Stops listening; calls in progress are dropped. */
void gnut_ctl_server_free(gnut_ctl_server *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_ctl_server, gnut_ctl_server_free)

/* "http://127.0.0.1:PORT": where a local client reaches the server (a
 * wildcard bind is reached through loopback). The RPC endpoint is this URL
 * followed by GNUT_CTL_RPC_PATH. */
const char *gnut_ctl_server_url(const gnut_ctl_server *srv);
/* The SHA-256 fingerprint of the certificate served (ctl-protocol.h), NULL
 * without TLS. */
const char *gnut_ctl_server_fingerprint(const gnut_ctl_server *srv);

/* Writes control.token (0600), control.fingerprint (over TLS; removed
 * otherwise) and control.url into data_dir, atomically;
 * a rotated token (token.rotate) is saved there too from then on. */
gboolean gnut_ctl_server_publish(gnut_ctl_server *srv, const char *data_dir, GError **error);
/* Removes control.url again (at exit), so gnut says "not running" instead
 * of trying a dead address. The token stays: remotes keep it across
 * restarts (the data folder's lock keeps a second daemon from using it). */
void gnut_ctl_server_unpublish(const char *data_dir);

/* Called after each successful call of a method flagged
 * GNUT_CTL_METHOD_PERSIST with its name and (never NULL) params, so that the
 * daemon can keep the change across restarts. */
typedef void (*gnut_ctl_change_fn)(const char *method, JsonObject *params, gpointer data);
void gnut_ctl_server_set_change_handler(gnut_ctl_server *srv, gnut_ctl_change_fn fn, gpointer data);

/* The Prometheus text exposition of s's counters (ctl-metrics.c), served
 * at GET GNUT_CTL_METRICS_PATH with the bearer token. */
GString *gnut_ctl_metrics(gnut_servent *s);

/* Decodes a request body, {"method": NAME, "params": {...}} (params absent
 * or null: *params NULL). Refuses an empty body, one over
 * GNUT_CTL_MAX_REQUEST bytes or with over GNUT_CTL_MAX_BRACKETS brackets
 * (which bounds the parser's recursion), text that is not JSON and any other
 * shape (G_IO_ERROR_INVALID_DATA). On success
 * *method is g_malloc'd and *params holds a reference. */
gboolean gnut_ctl_request_parse(const char *body, gsize len, char **method, JsonObject **params,
                                GError **error);

/* A fresh random token (256 bits from the kernel's CSPRNG, as hex). */
char *gnut_ctl_token_new(GError **error);
/* The token saved in data_dir/control.token, or a fresh one when there is
 * none (or the file is not one gnutd wrote). */
char *gnut_ctl_token_load_or_new(const char *data_dir, GError **error);
/* Writes "token\n" to path atomically, mode 0600. */
gboolean gnut_ctl_token_save(const char *path, const char *token, GError **error);

#endif
