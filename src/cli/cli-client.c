/* cli-client.c: the control API client gnut uses (and test-ctl, against a
 * real server). It reads the reply with a cap instead of trusting its
 * length, and turns each way a call can fail into one GNUT_CLI_ERROR with a
 * message a user can act on. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "cli-client.h"
#include "gnut/base/atomic-file.h"
#include "gnut/ctl/ctl-protocol.h"

GQuark gnut_cli_error_quark(void)
{
	return g_quark_from_static_string("gnut-cli-error-quark");
}

#define CLI_READ_CHUNK (64 * 1024)
#define CLI_MAX_FILE   4096 /* control.url, control.token */
#define CLI_TIMEOUT_S  60
#define CLI_USER_AGENT "gnut/" PACKAGE_VERSION

struct gnut_cli_client {
	SoupSession *session;
	char *url;
	char *rpc_url;
	char *token;
};

/* One call in flight: its message and the reply read so far. */
typedef struct {
	SoupMessage *msg;
	GInputStream *stream;
	GByteArray *reply;
	char *url;
} cli_call;

static void cli_call_free(gpointer p)
{
	cli_call *call = p;
	g_clear_object(&call->msg);
	g_clear_object(&call->stream);
	g_byte_array_unref(call->reply);
	g_free(call->url);
	g_free(call);
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
	c->session = soup_session_new_with_options("timeout", CLI_TIMEOUT_S, "user-agent",
	                                           CLI_USER_AGENT, NULL);
	/* the daemon is local: an http_proxy in the environment must not apply */
	soup_session_set_proxy_resolver(c->session, NULL);
	return c;
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
	return gnut_cli_client_new(url, token);
}

void gnut_cli_client_free(gnut_cli_client *c)
{
	if (c == NULL)
		return;
	g_object_unref(c->session);
	g_free(c->url);
	g_free(c->rpc_url);
	g_free(c->token);
	g_free(c);
}

const char *gnut_cli_client_url(const gnut_cli_client *c)
{
	return c->url;
}

/* The reply is in: a 200 carries {"result"}, anything else {"error"}. */
static void finish_reply(GTask *task, cli_call *call)
{
	guint status = soup_message_get_status(call->msg);
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonObject *o = NULL;
	if (json_parser_load_from_data(parser, (const char *)call->reply->data,
	                               (gssize)call->reply->len, NULL) &&
	    json_parser_get_root(parser) != NULL &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		o = json_node_get_object(json_parser_get_root(parser));
	JsonNode *err = o ? json_object_get_member(o, "error") : NULL;
	JsonNode *m = err && JSON_NODE_HOLDS_OBJECT(err)
	                  ? json_object_get_member(json_node_get_object(err), "message")
	                  : NULL;
	const char *message = m && JSON_NODE_HOLDS_VALUE(m) ? json_node_get_string(m) : NULL;
	if (status == SOUP_STATUS_UNAUTHORIZED) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNAUTHORIZED,
		                        "gnutd at %s refused the token (%u)", call->url,
		                        SOUP_STATUS_UNAUTHORIZED);
	} else if (status == SOUP_STATUS_OK && o != NULL && json_object_has_member(o, "result")) {
		g_task_return_pointer(task, json_node_copy(json_object_get_member(o, "result")),
		                      (GDestroyNotify)json_node_unref);
	} else if (message != NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR,
		                        status == SOUP_STATUS_NOT_FOUND ? GNUT_CLI_ERROR_NOT_FOUND
		                                                        : GNUT_CLI_ERROR_REMOTE,
		                        "%s", message);
	} else {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		                        "%s answered HTTP %u without a control API reply",
		                        call->url, status);
	}
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data);

/* Asks for the next chunk of the reply; the task travels with the read. */
static void read_more(GTask *task)
{
	cli_call *call = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	g_input_stream_read_bytes_async(call->stream, CLI_READ_CHUNK, G_PRIORITY_DEFAULT,
	                                cancellable, on_read, task);
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	cli_call *call = g_task_get_task_data(task);
	GError *error = NULL;
	g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish(call->stream, res, &error);
	if (chunk == NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE,
		                        "reading the reply from %s: %s", call->url, error->message);
		g_error_free(error);
		return;
	}
	gsize len = g_bytes_get_size(chunk);
	if (len == 0) {
		finish_reply(task, call);
		return;
	}
	if (call->reply->len + len > GNUT_CLI_MAX_REPLY) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		                        "the reply from %s is over %d bytes", call->url,
		                        GNUT_CLI_MAX_REPLY);
		return;
	}
	g_byte_array_append(call->reply, g_bytes_get_data(chunk, NULL), (guint)len);
	read_more(g_steal_pointer(&task));
}

static void on_sent(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	cli_call *call = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	call->stream = soup_session_send_finish(SOUP_SESSION(source), res, &error);
	if (call->stream == NULL) {
		const char *hint = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
		                       ? " (is gnutd running?)"
		                       : "";
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE,
		                        "cannot reach gnutd at %s: %s%s", call->url, error->message,
		                        hint);
		return;
	}
	read_more(g_steal_pointer(&task));
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
	g_task_set_task_data(task, call, cli_call_free);

	JsonObject *body = json_object_new();
	json_object_set_string_member(body, "method", method);
	if (params != NULL)
		json_object_set_object_member(body, "params", json_object_ref(params));
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(root, body);
	char *text = json_to_string(root, FALSE);
	g_autoptr(GBytes) bytes = g_bytes_new_take(text, strlen(text));

	call->msg = soup_message_new(SOUP_METHOD_POST, c->rpc_url);
	if (call->msg == NULL) {
		g_task_return_new_error(task, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP,
		                        "\"%s\" is not a control URL", c->url);
		g_object_unref(task);
		return;
	}
	g_autofree char *auth = g_strconcat(GNUT_CTL_AUTH_SCHEME " ", c->token, NULL);
	soup_message_headers_replace(soup_message_get_request_headers(call->msg),
	                             GNUT_CTL_AUTH_HEADER, auth);
	soup_message_set_request_body_from_bytes(call->msg, GNUT_CTL_CONTENT_TYPE, bytes);
	soup_session_send_async(c->session, call->msg, G_PRIORITY_DEFAULT, cancellable, on_sent,
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
