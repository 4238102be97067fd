/* cli-client.c: the control API client gnut uses (and test-ctl, against a
 * real server). One call is one HTTP/1.1 POST on a connection of its own
 * ("Connection: close"), spoken over a GSocketClient: gnut needs no more of
 * HTTP than that, and without libsoup (and the dozen libraries it loads)
 * it starts in a third of the time. The reply is read with caps on its
 * head and body instead of trusting its length, and each way a call can
 * fail becomes one GNUT_CLI_ERROR with a message a user can act on. An
 * https:// URL is reached over TLS, trusting exactly the certificate whose
 * SHA-256 fingerprint the client was given (gnutd's is self-signed). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli-client.h"
#include "gnut/base/atomic-file.h"
#include "gnut/ctl/ctl-protocol.h"

GQuark gnut_cli_error_quark(void)
{
	return g_quark_from_static_string("gnut-cli-error-quark");
}

#define CLI_READ_CHUNK    (64 * 1024)
#define CLI_MAX_FILE      4096        /* control.url, control.token */
#define CLI_MAX_HEAD      (16 * 1024) /* status line and headers of a reply */
#define CLI_TIMEOUT_S     60
#define CLI_USER_AGENT    "gnut/" PACKAGE_VERSION
#define HTTP_OK           200
#define HTTP_UNAUTHORIZED 401
#define HTTP_NOT_FOUND    404

struct gnut_cli_client {
	GSocketClient *sockets;
	char *url;
	char *rpc_url;
	char *token;
	char pin[GNUT_CTL_PIN_LEN + 1];  /* the certificate trusted; "" none given */
	char seen[GNUT_CTL_PIN_LEN + 1]; /* the certificate the server showed last */
};

/* One call in flight: its request, its connection and the reply so far. */
typedef struct {
	const gnut_cli_client *client; /* borrowed: outlives its calls */
	char *url;                     /* for messages */
	GBytes *request;
	GSocketConnection *conn;
	GByteArray *reply; /* head and body as read */
	gsize head_len;    /* bytes of the head, blank line included; 0 until complete */
	guint status;
	gint64 content_length; /* -1: none given, the body ends at the close */
} cli_call;

static void cli_call_free(gpointer p)
{
	cli_call *call = p;
	g_free(call->url);
	g_bytes_unref(call->request);
	g_clear_object(&call->conn); /* closes it */
	g_byte_array_unref(call->reply);
	g_free(call);
}

/* The TLS library did not trust the certificate (it is self-signed): it
 * is accepted when it is the one pinned, whatever its name and issuer. */
static gboolean on_accept_certificate(GTlsConnection *conn, GTlsCertificate *cert,
                                      GTlsCertificateFlags errors, gpointer user_data)
{
	gnut_cli_client *c = user_data;
	gnut_ctl_certificate_fingerprint(cert, c->seen);
	return c->pin[0] != '\0' && strcmp(c->seen, c->pin) == 0;
}

static void on_socket_event(GSocketClient *client, GSocketClientEvent event,
                            GSocketConnectable *connectable, GIOStream *conn, gpointer user_data)
{
	if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
		g_signal_connect(conn, "accept-certificate", G_CALLBACK(on_accept_certificate),
		                 user_data);
}

gnut_cli_client *gnut_cli_client_new(const char *url, const char *token)
{
	gnut_cli_client *c = g_new0(gnut_cli_client, 1);
	g_autofree char *trimmed = g_strstrip(g_strdup(url));
	while (g_str_has_suffix(trimmed, "/"))
		trimmed[strlen(trimmed) - 1] = '\0';
	c->url = strstr(trimmed, "://") ? g_strdup(trimmed) : g_strconcat("http://", trimmed, NULL);
	c->rpc_url = g_strconcat(c->url, GNUT_CTL_RPC_PATH, NULL);
	c->token = g_strstrip(g_strdup(token));
	c->sockets = g_socket_client_new();
	g_socket_client_set_timeout(c->sockets, CLI_TIMEOUT_S);
	/* the daemon is local: an http_proxy in the environment must not apply */
	g_socket_client_set_enable_proxy(c->sockets, FALSE);
	if (g_str_has_prefix(c->url, "https://")) {
		g_socket_client_set_tls(c->sockets, TRUE);
		g_signal_connect(c->sockets, "event", G_CALLBACK(on_socket_event), c);
	}
	return c;
}

gboolean gnut_cli_client_set_fingerprint(gnut_cli_client *c, const char *fingerprint)
{
	return gnut_ctl_fingerprint_parse(fingerprint, c->pin);
}

static char *read_control_file(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) e = NULL;
	if (!gnut_read_file_capped(path, CLI_MAX_FILE, &text, &len, &e)) {
		if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
			g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP,
			            "no %s in %s: is gnutd running with --data-dir %s?", name, dir,
			            dir);
		else
			g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP, "%s: %s", path,
			            e->message);
		return NULL;
	}
	g_strstrip(text);
	if (*text == '\0' || strchr(text, '\n') != NULL) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP, "%s: not one line", path);
		g_free(text);
		return NULL;
	}
	return text;
}

gnut_cli_client *gnut_cli_client_new_from_dir(const char *data_dir, GError **error)
{
	g_autofree char *url = read_control_file(data_dir, GNUT_CTL_URL_FILE, error);
	if (url == NULL)
		return NULL;
	g_autofree char *token = read_control_file(data_dir, GNUT_CTL_TOKEN_FILE, error);
	if (token == NULL)
		return NULL;
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new(url, token);
	if (!g_str_has_prefix(c->url, "https://"))
		return g_steal_pointer(&c);
	g_autofree char *pin = read_control_file(data_dir, GNUT_CTL_PIN_FILE, error);
	if (pin == NULL)
		return NULL;
	if (!gnut_cli_client_set_fingerprint(c, pin)) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP,
		            "%s/%s: not a SHA-256 fingerprint", data_dir, GNUT_CTL_PIN_FILE);
		return NULL;
	}
	return g_steal_pointer(&c);
}

void gnut_cli_client_free(gnut_cli_client *c)
{
	if (c == NULL)
		return;
	g_object_unref(c->sockets);
	g_free(c->url);
	g_free(c->rpc_url);
	g_free(c->token);
	g_free(c);
}

const char *gnut_cli_client_url(const gnut_cli_client *c)
{
	return c->url;
}

const char *gnut_cli_client_token(const gnut_cli_client *c)
{
	return c->token;
}

/* ---- the request ---- */

/* The request for body to rpc_url, or NULL when rpc_url is no http URL. */
static GBytes *build_request(const gnut_cli_client *c, const char *body)
{
	g_autoptr(GUri) uri = g_uri_parse(c->rpc_url, G_URI_FLAGS_NONE, NULL);
	const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
	if (uri == NULL || (g_strcmp0(scheme, "http") != 0 && g_strcmp0(scheme, "https") != 0) ||
	    g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0')
		return NULL;
	const char *host = g_uri_get_host(uri);
	int port = g_uri_get_port(uri);
	GString *r = g_string_new(NULL);
	g_string_append_printf(r, "POST %s HTTP/1.1\r\nHost: ", g_uri_get_path(uri));
	g_string_append_printf(r, strchr(host, ':') ? "[%s]" : "%s", host);
	if (port > 0)
		g_string_append_printf(r, ":%d", port);
	g_string_append_printf(r,
	                       "\r\nUser-Agent: " CLI_USER_AGENT "\r\n"
	                       "%s: " GNUT_CTL_AUTH_SCHEME " %s\r\n"
	                       "Content-Type: " GNUT_CTL_CONTENT_TYPE "\r\n"
	                       "Content-Length: %zu\r\n"
	                       "Connection: close\r\n\r\n%s",
	                       GNUT_CTL_AUTH_HEADER, c->token, strlen(body), body);
	return g_string_free_to_bytes(r);
}

/* ---- the reply ---- */

/* The reply is in: a 200 carries {"result"}, anything else {"error"}. */
static void finish_reply(GTask *task, cli_call *call)
{
	const char *body = (const char *)call->reply->data + call->head_len;
	gsize len = call->reply->len - call->head_len;
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonObject *o = NULL;
	if (json_parser_load_from_data(parser, body, (gssize)len, NULL) &&
	    json_parser_get_root(parser) != NULL &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		o = json_node_get_object(json_parser_get_root(parser));
	JsonNode *err = o ? json_object_get_member(o, "error") : NULL;
	JsonNode *m = err && JSON_NODE_HOLDS_OBJECT(err)
	                  ? json_object_get_member(json_node_get_object(err), "message")
	                  : NULL;
	const char *message = m && JSON_NODE_HOLDS_VALUE(m) ? json_node_get_string(m) : NULL;
	if (call->status == HTTP_UNAUTHORIZED) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNAUTHORIZED,
		                        "gnutd at %s refused the token (%u)", call->url,
		                        HTTP_UNAUTHORIZED);
	} else if (call->status == HTTP_OK && o != NULL && json_object_has_member(o, "result")) {
		g_task_return_pointer(task, json_node_copy(json_object_get_member(o, "result")),
		                      (GDestroyNotify)json_node_unref);
	} else if (message != NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR,
		                        call->status == HTTP_NOT_FOUND ? GNUT_CLI_ERROR_NOT_FOUND
		                                                       : GNUT_CLI_ERROR_REMOTE,
		                        "%s", message);
	} else {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		                        "%s answered HTTP %u without a control API reply",
		                        call->url, call->status);
	}
}

/* The value of header name in a head's lines, or NULL; points into head
 * (ends at "\r\n"). */
static const char *header_value(const char *head, const char *name)
{
	gsize n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line != NULL;
	     line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;
		if (g_ascii_strncasecmp(l, name, n) == 0 && l[n] == ':') {
			l += n + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			return l;
		}
	}
	return NULL;
}

/* Reads the head once its blank line is in: the status, and how the body
 * ends. Why so little of HTTP: the server is gnutd's, which sends a
 * Content-Length (or closes) and never chunks; anything else is refused. */
static gboolean parse_head(cli_call *call, GError **error)
{
	const char *data = (const char *)call->reply->data;
	const char *end = g_strstr_len(data, (gssize)call->reply->len, "\r\n\r\n");
	if (end == NULL)
		return TRUE; /* not all in yet */
	g_autofree char *head = g_strndup(data, (gsize)(end - data) + 2);
	call->head_len = (gsize)(end - data) + 4;
	if (!g_str_has_prefix(head, "HTTP/1.") || !g_ascii_isdigit(head[7]) || head[8] != ' ' ||
	    !g_ascii_isdigit(head[9]) || !g_ascii_isdigit(head[10]) || !g_ascii_isdigit(head[11])) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "%s answered something other than HTTP", call->url);
		return FALSE;
	}
	call->status = (guint)atoi(head + 9);
	const char *te = header_value(head, "Transfer-Encoding");
	if (te != NULL && g_ascii_strncasecmp(te, "identity\r\n", 10) != 0) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "%s sent its reply in a transfer encoding gnut does not read",
		            call->url);
		return FALSE;
	}
	const char *cl = header_value(head, "Content-Length");
	guint64 length = 0;
	g_autofree char *digits = cl ? g_strstrip(g_strndup(cl, strcspn(cl, "\r"))) : NULL;
	if (digits != NULL &&
	    !g_ascii_string_to_unsigned(digits, 10, 0, GNUT_CLI_MAX_REPLY, &length, NULL)) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "the reply from %s has a bad or too large Content-Length", call->url);
		return FALSE;
	}
	call->content_length = digits != NULL ? (gint64)length : -1;
	return TRUE;
}

/* Whether the reply is whole: the head in, and the body as long as it said. */
static gboolean reply_complete(const cli_call *call)
{
	return call->head_len > 0 && call->content_length >= 0 &&
	       call->reply->len - call->head_len >= (guint64)call->content_length;
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data);

/* A plain-HTTP call that got no reply at all may have reached a port that
 * speaks only TLS (gnutd --control-tls): say so. */
static const char *tls_hint(const cli_call *call)
{
	if (call->reply->len > 0 || !g_str_has_prefix(call->url, "http://"))
		return "";
	return " (does it speak HTTPS? then use its https:// URL and --fingerprint)";
}

static void read_more(GTask *task)
{
	cli_call *call = g_task_get_task_data(task);
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(call->conn));
	g_input_stream_read_bytes_async(in, CLI_READ_CHUNK, G_PRIORITY_DEFAULT,
	                                g_task_get_cancellable(task), on_read, task);
}

/* Takes one chunk of the reply; FALSE (error set) when it breaks a cap or
 * the head is bad. */
static gboolean take_chunk(cli_call *call, GBytes *chunk, GError **error)
{
	gsize len = g_bytes_get_size(chunk);
	gsize cap = (call->head_len > 0 ? call->head_len : CLI_MAX_HEAD) + GNUT_CLI_MAX_REPLY;
	if (call->reply->len + len > cap) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "the reply from %s is over %d bytes", call->url, GNUT_CLI_MAX_REPLY);
		return FALSE;
	}
	g_byte_array_append(call->reply, g_bytes_get_data(chunk, NULL), (guint)len);
	if (call->head_len == 0 && !parse_head(call, error))
		return FALSE;
	if (call->head_len == 0 && call->reply->len > CLI_MAX_HEAD) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "the reply from %s has a head over %d bytes", call->url, CLI_MAX_HEAD);
		return FALSE;
	}
	return TRUE;
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	cli_call *call = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(GBytes) chunk =
	    g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), res, &error);
	if (chunk == NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE,
		                        "reading the reply from %s: %s%s", call->url,
		                        error->message, tls_hint(call));
		g_error_free(error);
		return;
	}
	if (g_bytes_get_size(chunk) == 0) { /* the server closed */
		if (call->head_len == 0 || call->content_length >= 0)
			g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
			                        "%s closed before its reply was complete%s",
			                        call->url, tls_hint(call));
		else
			finish_reply(task, call);
		return;
	}
	if (!take_chunk(call, chunk, &error)) {
		g_task_return_error(task, error);
		return;
	}
	if (reply_complete(call)) {
		g_byte_array_set_size(call->reply,
		                      (guint)(call->head_len + (gsize)call->content_length));
		finish_reply(task, call);
		return;
	}
	read_more(g_steal_pointer(&task));
}

static void on_written(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	cli_call *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error)) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE,
		                        "sending the call to %s: %s", call->url, error->message);
		return;
	}
	read_more(g_steal_pointer(&task));
}

static GError *untrusted(const gnut_cli_client *c, const char *url, const char *seen)
{
	return g_error_new(GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNTRUSTED,
	                   "%s showed a certificate with SHA-256 fingerprint %s, not the one "
	                   "pinned (%s): refused (a stale pin, or someone in between?)",
	                   url, seen, c->pin);
}

/* Over TLS, checks the certificate is the pinned one even where the TLS
 * library trusted it by itself (a certificate authority's): the pin decides. */
static gboolean pinned_certificate(gnut_cli_client *c, cli_call *call, GError **error)
{
	if (!G_IS_TCP_WRAPPER_CONNECTION(call->conn))
		return TRUE;
	GIOStream *base =
	    g_tcp_wrapper_connection_get_base_io_stream(G_TCP_WRAPPER_CONNECTION(call->conn));
	GTlsCertificate *cert = G_IS_TLS_CONNECTION(base)
	                            ? g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(base))
	                            : NULL;
	if (cert != NULL)
		gnut_ctl_certificate_fingerprint(cert, c->seen);
	if (cert != NULL && strcmp(c->seen, c->pin) == 0)
		return TRUE;
	g_propagate_error(error, untrusted(c, call->url, cert ? c->seen : "(none)"));
	return FALSE;
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	cli_call *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	gnut_cli_client *c = (gnut_cli_client *)call->client;
	call->conn = g_socket_client_connect_to_uri_finish(G_SOCKET_CLIENT(source), res, &error);
	if (call->conn != NULL && !pinned_certificate(c, call, &error))
		g_clear_object(&call->conn);
	if (call->conn == NULL && error->domain == GNUT_CLI_ERROR) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (call->conn == NULL &&
	    g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
		g_task_return_error(task, untrusted(c, call->url, c->seen));
		return;
	}
	if (call->conn == NULL) {
		const char *hint = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
		                       ? " (is gnutd running?)"
		                       : "";
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE,
		                        "cannot reach gnutd at %s: %s%s", call->url, error->message,
		                        hint);
		return;
	}
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(call->conn));
	GCancellable *cancellable = g_task_get_cancellable(task);
	gsize len = 0;
	const void *data = g_bytes_get_data(call->request, &len);
	g_output_stream_write_all_async(out, data, len, G_PRIORITY_DEFAULT, cancellable, on_written,
	                                g_steal_pointer(&task));
}

void gnut_cli_client_call_async(gnut_cli_client *c, const char *method, JsonObject *params,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(task, gnut_cli_client_call_async);
	cli_call *call = g_new0(cli_call, 1);
	call->reply = g_byte_array_new();
	call->url = g_strdup(c->url);
	call->client = c;
	call->content_length = -1;
	g_task_set_task_data(task, call, cli_call_free);

	JsonObject *body = json_object_new();
	json_object_set_string_member(body, "method", method);
	if (params != NULL)
		json_object_set_object_member(body, "params", json_object_ref(params));
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(root, body);
	g_autofree char *text = json_to_string(root, FALSE);
	call->request = build_request(c, text);
	if (call->request != NULL && g_str_has_prefix(c->url, "https://") && c->pin[0] == '\0') {
		g_task_return_new_error(
		    task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP,
		    "%s is HTTPS: give the SHA-256 fingerprint of its certificate "
		    "(--fingerprint; gnutd writes it to %s)",
		    c->url, GNUT_CTL_PIN_FILE);
		g_object_unref(task);
		return;
	}
	if (call->request == NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP,
		                        "\"%s\" is not a control URL", c->url);
		g_object_unref(task);
		return;
	}
	g_socket_client_connect_to_uri_async(c->sockets, c->rpc_url, 80, cancellable, on_connected,
	                                     task);
}

JsonNode *gnut_cli_client_call_finish(gnut_cli_client *c, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void on_call_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **out = user_data;
	*out = g_object_ref(res);
}

JsonNode *gnut_cli_client_call(gnut_cli_client *c, const char *method, JsonObject *params,
                               GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GMainContext) ctx = g_main_context_ref_thread_default();
	gnut_cli_client_call_async(c, method, params, NULL, on_call_done, &res);
	while (res == NULL)
		g_main_context_iteration(ctx, TRUE);
	return gnut_cli_client_call_finish(c, res, error);
}
