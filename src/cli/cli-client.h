/* cli-client.h: gnut's side of the control API: one call is one POST of
 * {"method", "params"} to the daemon's /rpc with its bearer token (see
 * gnut/ctl/ctl-protocol.h), on a connection of its own that never goes
 * through a proxy. */
#ifndef GNUT_CLI_CLIENT_H
#define GNUT_CLI_CLIENT_H

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#define GNUT_CLI_ERROR (gnut_cli_error_quark())
GQuark gnut_cli_error_quark(void);

typedef enum {
	GNUT_CLI_ERROR_SETUP,        /* no control.url / control.token to read */
	GNUT_CLI_ERROR_UNREACHABLE,  /* nothing answers at the control URL */
	GNUT_CLI_ERROR_UNAUTHORIZED, /* 401: the token is not the daemon's */
	GNUT_CLI_ERROR_REMOTE,       /* the daemon answered with an error */
	GNUT_CLI_ERROR_NOT_FOUND,    /* ... which was "not_found" (HTTP 404) */
	GNUT_CLI_ERROR_PROTOCOL,     /* the reply is not what the API promises */
	GNUT_CLI_ERROR_UNTRUSTED,    /* over TLS: not the certificate pinned */
} gnut_cli_error;

/* Largest reply read (a long hit or share list fits many times over). */
#define GNUT_CLI_MAX_REPLY (32 * 1024 * 1024)

typedef struct gnut_cli_client gnut_cli_client;

/* url: "http://HOST:PORT" or "https://HOST:PORT" (a bare "HOST:PORT" gets
 * http:// added). Over https, set the fingerprint before calling. */
gnut_cli_client *gnut_cli_client_new(const char *url, const char *token);
/* Pins the certificate an https URL must show (a SHA-256 fingerprint as
 * gnut_ctl_fingerprint_parse reads it); FALSE when it is not one. */
gboolean gnut_cli_client_set_fingerprint(gnut_cli_client *c, const char *fingerprint);
/* Reads control.url and control.token that gnutd wrote into data_dir, and
 * control.fingerprint when the URL is https. */
gnut_cli_client *gnut_cli_client_new_from_dir(const char *data_dir, GError **error);
void gnut_cli_client_free(gnut_cli_client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_cli_client, gnut_cli_client_free)

const char *gnut_cli_client_url(const gnut_cli_client *c);
/* The bearer token the client sends. */
const char *gnut_cli_client_token(const gnut_cli_client *c);

/* params may be NULL; it is serialised before this returns. The result is
 * the reply's "result" member; a reply with "error" is GNUT_CLI_ERROR_REMOTE
 * carrying the daemon's message. */
void gnut_cli_client_call_async(gnut_cli_client *c, const char *method, JsonObject *params,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
JsonNode *gnut_cli_client_call_finish(gnut_cli_client *c, GAsyncResult *result, GError **error);

/* The same, waiting: iterates the thread-default main context until the
 * reply is in, so a server on that context (a test's) keeps serving. */
JsonNode *gnut_cli_client_call(gnut_cli_client *c, const char *method, JsonObject *params,
                               GError **error);

#endif
