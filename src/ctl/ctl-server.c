/* ctl-server.c: the HTTP/JSON transport of the control API (see
 * gnut/ctl/ctl-protocol.h for the shape of a call). It checks the bearer token and
 * the size of a request before reading its body, bounds the JSON's nesting
 * before parsing it, then hands {method, params} to the method table in
 * ctl-methods.c and writes back the result or the error. The web UI's static
 * files (ctl-www.c) are answered before the token check. With a
 * certificate, everything is served over HTTPS only: a plaintext client
 * fails the TLS handshake and its connection is closed. */
#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/random.h>

#include "gnut/base/atomic-file.h"
#include "gnut/ctl/ctl-protocol.h"
#include "gnut/ctl/ctl-server.h"
#include "gnut/ctl/ctl-www.h"
#include "gnut/ctl/ctl.h"

#define CTL_TOKEN_BYTES 32

struct gnut_ctl_server {
	gnut_servent *servent;
	SoupServer *soup;
	char *token;
	char *url;
	char *token_path; /* where a rotated token is saved, NULL: nowhere */
	gnut_ctl_change_fn on_change;
	gpointer change_data;
	char *www_dir;                  /* the web UI's static files */
	char pin[GNUT_CTL_PIN_LEN + 1]; /* the certificate's fingerprint; "" without TLS */
};

/* A REPLY_FIRST method waiting for its reply to leave. */
typedef struct {
	gnut_servent *servent;
	const gnut_ctl_method *method;
} ctl_deferred;

/* Sets status and a {"error": {message, code}} body. */
static void reply_error(SoupServerMessage *msg, guint status, const char *code, const char *message)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "message");
	json_builder_add_string_value(b, message);
	json_builder_set_member_name(b, "code");
	json_builder_add_string_value(b, code);
	json_builder_end_object(b);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	char *text = json_to_string(root, FALSE);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, GNUT_CTL_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
	                                 strlen(text));
}

static void reply_result(SoupServerMessage *msg, JsonNode *result)
{
	JsonObject *o = json_object_new();
	json_object_set_member(o, "result", result);
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(root, o);
	char *text = json_to_string(root, FALSE);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, GNUT_CTL_CONTENT_TYPE, SOUP_MEMORY_TAKE, text,
	                                 strlen(text));
}

/* Compares in time independent of where the strings differ, so that the
 * reply time does not leak how much of a guessed token was right. */
static gboolean token_equal(const char *given, const char *expected)
{
	gsize lg = strlen(given), le = strlen(expected);
	unsigned diff = lg != le;
	for (gsize i = 0; i < le; i++)
		diff |= (unsigned)(guchar)(i < lg ? given[i] : 0) ^ (guchar)expected[i];
	return diff == 0;
}

static gboolean authorized(gnut_ctl_server *srv, SoupServerMessage *msg)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	static const char scheme[] = GNUT_CTL_AUTH_SCHEME " ";
	const char *auth = soup_message_headers_get_one(h, GNUT_CTL_AUTH_HEADER);
	if (auth == NULL || g_ascii_strncasecmp(auth, scheme, sizeof scheme - 1) != 0)
		return FALSE;
	const char *given = auth + sizeof scheme - 1;
	while (*given == ' ')
		given++;
	return token_equal(given, srv->token);
}

/* Answers at the headers: the body, if any, is read and thrown away rather
 * than buffered (SoupServer reads it anyway unless the client sent "Expect:
 * 100-continue"); the connection closes after the reply, as every one does. */
static void refuse(SoupServerMessage *msg, guint status, const char *code, const char *message)
{
	soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
	reply_error(msg, status, code, message);
}

/* Runs once the headers are in and before the body is read: a caller
 * without the token, or with a body too large to accept, is answered here
 * and its body is never buffered.
 * Every reply says "Connection: close", and SoupServer then closes the
 * connection once the reply is out. Why: libsoup 3.2 (Debian 12's) never
 * notices that a client closed a kept-alive connection, so each one leaked
 * a descriptor in CLOSE-WAIT (each `gnut` call is one connection). One
 * request per connection costs a loopback connect, nothing more. */
static void on_headers(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data)
{
	gnut_ctl_server *srv = user_data;
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
	SoupMessageHeaders *rh = soup_server_message_get_response_headers(msg);
	SoupEncoding encoding = soup_message_headers_get_encoding(h);
	soup_message_headers_replace(rh, "Connection", "close");
	if (gnut_www_serve(srv->www_dir, msg, path))
		return;
	if (!authorized(srv, msg)) {
		soup_message_headers_replace(rh, "WWW-Authenticate",
		                             GNUT_CTL_AUTH_SCHEME " realm=\"gnutd\"");
		refuse(msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
		       "missing or wrong bearer token");
	} else if (strcmp(path, GNUT_CTL_METRICS_PATH) == 0) {
		if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_GET) != 0) {
			soup_message_headers_replace(rh, "Allow", "GET");
			refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
			       "use GET");
		}
	} else if (strcmp(path, GNUT_CTL_RPC_PATH) != 0) {
		refuse(msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such endpoint");
	} else if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_POST) != 0) {
		soup_message_headers_replace(rh, "Allow", "POST");
		refuse(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", "use POST");
	} else if (encoding != SOUP_ENCODING_CONTENT_LENGTH && encoding != SOUP_ENCODING_NONE) {
		refuse(msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
		       "send a Content-Length");
	} else if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
	           soup_message_headers_get_content_length(h) > GNUT_CTL_MAX_REQUEST) {
		refuse(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
		       "request body too large");
	}
}

/* json-glib's parser recurses once per nesting level, so the nesting must be
 * bounded before the text reaches it. Counting every '[' and '{', inside
 * strings too, bounds it whatever json-glib takes for a string or a comment
 * (it accepts single quotes and C comments, which a JSON-only scan would
 * misread). */
static gboolean brackets_ok(const char *text, gsize len)
{
	gsize opening = 0;
	for (gsize i = 0; i < len; i++)
		if (text[i] == '[' || text[i] == '{')
			opening++;
	return opening <= GNUT_CTL_MAX_BRACKETS;
}

/* Checks the body is {"method": string, "params": object|null}: returns the
 * method name and params (NULL when absent), borrowed from root. */
static const char *parse_call(JsonNode *root, JsonObject **params, GError **error)
{
	*params = NULL;
	JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	JsonNode *m = o ? json_object_get_member(o, "method") : NULL;
	if (m == NULL || !JSON_NODE_HOLDS_VALUE(m) ||
	    json_node_get_value_type(m) != G_TYPE_STRING) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "the body must be {\"method\": NAME, \"params\": {...}}");
		return NULL;
	}
	g_autoptr(GList) names = json_object_get_members(o);
	for (GList *l = names; l != NULL; l = l->next)
		if (strcmp(l->data, "method") != 0 && strcmp(l->data, "params") != 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            "unknown member \"%s\" in the call", (const char *)l->data);
			return NULL;
		}
	JsonNode *p = json_object_get_member(o, "params");
	if (p != NULL && !JSON_NODE_HOLDS_NULL(p)) {
		if (!JSON_NODE_HOLDS_OBJECT(p)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            "\"params\" must be an object");
			return NULL;
		}
		*params = json_node_get_object(p);
	}
	return json_node_get_string(m);
}

/* The HTTP status and code for an error of a method. */
static guint error_status(const GError *e, const char **code)
{
	if (e->domain == GNUT_CTL_ERROR && e->code == GNUT_CTL_ERROR_UNKNOWN_METHOD) {
		*code = "unknown_method";
		return SOUP_STATUS_NOT_FOUND;
	}
	if (e->domain == GNUT_CTL_ERROR) {
		*code = "invalid_params";
		return SOUP_STATUS_BAD_REQUEST;
	}
	if (e->domain == GNUT_ERROR && e->code == GNUT_ERROR_NOT_FOUND) {
		*code = "not_found";
		return SOUP_STATUS_NOT_FOUND;
	}
	if (e->domain == GNUT_ERROR && e->code == GNUT_ERROR_INVALID) {
		*code = "invalid";
		return SOUP_STATUS_BAD_REQUEST;
	}
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		*code = "not_found";
		return SOUP_STATUS_NOT_FOUND;
	}
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)) {
		*code = "invalid";
		return SOUP_STATUS_BAD_REQUEST;
	}
	*code = "io";
	return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void run_deferred(SoupServerMessage *msg, gpointer user_data)
{
	ctl_deferred *d = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) result = gnut_ctl_call(d->servent, d->method->name, NULL, &error);
	if (result == NULL)
		g_warning("control: %s: %s", d->method->name, error->message);
}

/* A method that ends the server's process (stop) replies first and runs
 * once the reply has left (SoupServerMessage "finished"). */
static void defer_call(gnut_ctl_server *srv, SoupServerMessage *msg, const gnut_ctl_method *m,
                       JsonObject *params)
{
	if (params != NULL && json_object_get_size(params) > 0) {
		reply_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid_params",
		            "this method takes no parameters");
		return;
	}
	ctl_deferred *d = g_new0(ctl_deferred, 1);
	d->servent = srv->servent;
	d->method = m;
	g_signal_connect_data(msg, "finished", G_CALLBACK(run_deferred), d,
	                      (GClosureNotify)(void (*)(void))g_free, 0);
	JsonObject *o = json_object_new();
	json_object_set_boolean_member(o, "ok", TRUE);
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	reply_result(msg, n);
}

gboolean gnut_ctl_request_parse(const char *body, gsize len, char **method, JsonObject **params,
                                GError **error)
{
	*method = NULL;
	*params = NULL;
	if (len == 0 || len > GNUT_CTL_MAX_REQUEST || !brackets_ok(body, len)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "the body must be 1 to %d bytes of JSON with at most %d '[' and '{'",
		            GNUT_CTL_MAX_REQUEST, GNUT_CTL_MAX_BRACKETS);
		return FALSE;
	}
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) e = NULL;
	if (!json_parser_load_from_data(parser, body, (gssize)len, &e)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not JSON: %s", e->message);
		return FALSE;
	}
	JsonObject *p;
	const char *name = parse_call(json_parser_get_root(parser), &p, error);
	if (name == NULL)
		return FALSE;
	*method = g_strdup(name);
	*params = p ? json_object_ref(p) : NULL;
	return TRUE;
}

/* Replaces the token and saves it where the server was told to: calls
 * that follow must carry the new one. */
static JsonNode *rotate_token(gnut_ctl_server *srv, JsonObject *params, GError **error)
{
	if (params != NULL && json_object_get_size(params) > 0) {
		g_set_error(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS,
		            "this method takes no parameters");
		return NULL;
	}
	g_autofree char *token = gnut_ctl_token_new(error);
	if (token == NULL)
		return NULL;
	if (srv->token_path != NULL && !gnut_ctl_token_save(srv->token_path, token, error))
		return NULL;
	memset(srv->token, 0, strlen(srv->token));
	g_free(srv->token);
	srv->token = g_strdup(token);
	g_message("control: token rotated");
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "token", token);
	memset(token, 0, strlen(token));
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

static void serve_metrics(gnut_ctl_server *srv, SoupServerMessage *msg)
{
	GString *text = gnut_ctl_metrics(srv->servent);
	gsize len = text->len;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, GNUT_CTL_METRICS_TYPE, SOUP_MEMORY_TAKE,
	                                 g_string_free(text, FALSE), len);
}

/* Calls a method of the table, or the server's own token.rotate; a
 * successful call that changes a setting goes to the change handler. */
static JsonNode *dispatch(gnut_ctl_server *srv, const char *name, JsonObject *params,
                          GError **error)
{
	if (strcmp(name, GNUT_CTL_TOKEN_ROTATE) == 0)
		return rotate_token(srv, params, error);
	JsonNode *result = gnut_ctl_call(srv->servent, name, params, error);
	const gnut_ctl_method *m = gnut_ctl_method_lookup(name);
	if (result != NULL && srv->on_change != NULL && (m->flags & GNUT_CTL_METHOD_PERSIST)) {
		g_autoptr(JsonObject) empty = json_object_new();
		srv->on_change(name, params != NULL ? params : empty, srv->change_data);
	}
	return result;
}

/* Runs with the whole body in: parses the call and dispatches it. */
static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data)
{
	gnut_ctl_server *srv = user_data;
	if (strcmp(path, GNUT_CTL_METRICS_PATH) == 0) {
		serve_metrics(srv, msg);
		return;
	}
	g_autoptr(GBytes) body =
	    soup_message_body_flatten(soup_server_message_get_request_body(msg));
	gsize len = 0;
	const char *text = g_bytes_get_data(body, &len);
	g_autoptr(GError) error = NULL;
	g_autofree char *name = NULL;
	g_autoptr(JsonObject) params = NULL;
	if (!gnut_ctl_request_parse(text, len, &name, &params, &error)) {
		reply_error(msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
		return;
	}
	const gnut_ctl_method *m = gnut_ctl_method_lookup(name);
	if (m != NULL && (m->flags & GNUT_CTL_METHOD_REPLY_FIRST)) {
		defer_call(srv, msg, m, params);
		return;
	}
	JsonNode *result = dispatch(srv, name, params, &error);
	if (result == NULL) {
		const char *code;
		guint status = error_status(error, &code);
		g_debug("control: %s: %s", name, error->message);
		reply_error(msg, status, code, error->message);
		return;
	}
	reply_result(msg, result);
}

/* Turns "ADDR[:PORT]" into a socket address; ADDR must be an IP literal. */
static GSocketAddress *parse_address(const char *address, GError **error)
{
	g_autoptr(GSocketConnectable) na = g_network_address_parse(address, 0, NULL);
	g_autoptr(GInetAddress) ip = na ? g_inet_address_new_from_string(
	                                      g_network_address_get_hostname(G_NETWORK_ADDRESS(na)))
	                                : NULL;
	if (ip == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "control: \"%s\" is not ADDR:PORT with an IP address", address);
		return NULL;
	}
	return g_inet_socket_address_new(ip, g_network_address_get_port(G_NETWORK_ADDRESS(na)));
}

/* The URL a local client uses: the bound address, with a wildcard bind
 * replaced by loopback of the same family. */
static char *local_url(SoupServer *soup, const char *scheme)
{
	GSList *listeners = soup_server_get_listeners(soup); /* sockets not owned */
	g_autoptr(GSocketAddress) sa =
	    listeners ? g_socket_get_local_address(listeners->data, NULL) : NULL;
	g_slist_free(listeners);
	if (sa == NULL || !G_IS_INET_SOCKET_ADDRESS(sa))
		return NULL;
	GInetAddress *ip = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(sa));
	GSocketFamily family = g_inet_address_get_family(ip);
	g_autoptr(GInetAddress) loop = NULL;
	if (g_inet_address_get_is_any(ip))
		ip = loop = g_inet_address_new_loopback(family);
	g_autofree char *host = g_inet_address_to_string(ip);
	if (family == G_SOCKET_FAMILY_IPV6)
		return g_strdup_printf("%s://[%s]:%u", scheme, host, port);
	return g_strdup_printf("%s://%s:%u", scheme, host, port);
}

/* Serves over TLS with cert from now on, and notes its fingerprint. */
static void use_certificate(gnut_ctl_server *srv, GTlsCertificate *cert)
{
	gnut_ctl_certificate_fingerprint(cert, srv->pin);
	g_object_set(srv->soup, "tls-certificate", cert, NULL);
}

gnut_ctl_server *gnut_ctl_server_new(gnut_servent *s, const char *address, const char *token,
                                     GError **error)
{
	return gnut_ctl_server_new_tls(s, address, token, NULL, error);
}

gnut_ctl_server *gnut_ctl_server_new_tls(gnut_servent *s, const char *address, const char *token,
                                         GTlsCertificate *cert, GError **error)
{
	g_return_val_if_fail(s != NULL && address != NULL && token != NULL && *token != '\0', NULL);
	g_autoptr(GSocketAddress) sa = parse_address(address, error);
	if (sa == NULL)
		return NULL;
	gnut_ctl_server *srv = g_new0(gnut_ctl_server, 1);
	srv->servent = s;
	srv->token = g_strdup(token);
	srv->www_dir = gnut_www_dir();
	srv->soup = soup_server_new("server-header", "gnutd-control ", NULL);
	soup_server_add_early_handler(srv->soup, NULL, on_headers, srv, NULL);
	soup_server_add_handler(srv->soup, NULL, on_request, srv, NULL);
	if (cert != NULL)
		use_certificate(srv, cert);
	GError *e = NULL;
	if (!soup_server_listen(srv->soup, sa, cert ? SOUP_SERVER_LISTEN_HTTPS : 0, &e)) {
		g_set_error(error, G_IO_ERROR, e->code, "control: cannot listen on %s: %s", address,
		            e->message);
		g_error_free(e);
		gnut_ctl_server_free(srv);
		return NULL;
	}
	srv->url = local_url(srv->soup, cert ? "https" : "http");
	if (srv->url == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		            "control: no local address for %s", address);
		gnut_ctl_server_free(srv);
		return NULL;
	}
	return srv;
}

void gnut_ctl_server_free(gnut_ctl_server *srv)
{
	if (srv == NULL)
		return;
	soup_server_disconnect(srv->soup);
	g_object_unref(srv->soup);
	if (srv->token != NULL)
		memset(srv->token, 0, strlen(srv->token));
	g_free(srv->token);
	g_free(srv->url);
	g_free(srv->token_path);
	g_free(srv->www_dir);
	g_free(srv);
}

void gnut_ctl_server_set_change_handler(gnut_ctl_server *srv, gnut_ctl_change_fn fn, gpointer data)
{
	srv->on_change = fn;
	srv->change_data = data;
}

const char *gnut_ctl_server_url(const gnut_ctl_server *srv)
{
	return srv->url;
}

const char *gnut_ctl_server_fingerprint(const gnut_ctl_server *srv)
{
	return srv->pin[0] != '\0' ? srv->pin : NULL;
}

/* Writes control.fingerprint over TLS; removes a stale one otherwise, so
 * that no client pins a certificate no longer served. */
static gboolean publish_pin(gnut_ctl_server *srv, const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, GNUT_CTL_PIN_FILE, NULL);
	if (srv->pin[0] == '\0') {
		g_unlink(path);
		return TRUE;
	}
	g_autofree char *line = g_strdup_printf("%s\n", srv->pin);
	return gnut_atomic_write(path, line, strlen(line), error);
}

gboolean gnut_ctl_server_publish(gnut_ctl_server *srv, const char *data_dir, GError **error)
{
	if (g_mkdir_with_parents(data_dir, 0700) != 0) {
		int err = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err), "cannot create %s: %s",
		            data_dir, g_strerror(err));
		return FALSE;
	}
	g_autofree char *token_path = g_build_filename(data_dir, GNUT_CTL_TOKEN_FILE, NULL);
	g_autofree char *url_path = g_build_filename(data_dir, GNUT_CTL_URL_FILE, NULL);
	g_autofree char *url_line = g_strdup_printf("%s\n", srv->url);
	/* the token and pin first: a client that sees the URL must find them */
	if (!gnut_ctl_token_save(token_path, srv->token, error) ||
	    !publish_pin(srv, data_dir, error) ||
	    !gnut_atomic_write(url_path, url_line, strlen(url_line), error))
		return FALSE;
	g_free(srv->token_path);
	srv->token_path = g_steal_pointer(&token_path);
	return TRUE;
}

void gnut_ctl_server_unpublish(const char *data_dir)
{
	g_autofree char *url_path = g_build_filename(data_dir, GNUT_CTL_URL_FILE, NULL);
	g_unlink(url_path);
}

gboolean gnut_ctl_token_save(const char *path, const char *token, GError **error)
{
	g_autofree char *line = g_strdup_printf("%s\n", token);
	gboolean ok = gnut_atomic_write(path, line, strlen(line), error);
	memset(line, 0, strlen(line));
	return ok;
}

/* A saved token is 2 * CTL_TOKEN_BYTES lowercase hex digits and a newline. */
static gboolean token_well_formed(const char *text, gsize len)
{
	if (len != 2 * CTL_TOKEN_BYTES + 1 || text[len - 1] != '\n')
		return FALSE;
	for (gsize i = 0; i + 1 < len; i++)
		if (!g_ascii_isxdigit(text[i]) || g_ascii_isupper(text[i]))
			return FALSE;
	return TRUE;
}

char *gnut_ctl_token_load_or_new(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, GNUT_CTL_TOKEN_FILE, NULL);
	g_autofree char *text = NULL;
	gsize len = 0;
	if (gnut_read_file_capped(path, 4 * CTL_TOKEN_BYTES, &text, &len, NULL) &&
	    token_well_formed(text, len)) {
		char *token = g_strndup(text, len - 1);
		memset(text, 0, len);
		return token;
	}
	if (text != NULL) {
		g_warning("%s is not a token gnutd wrote: making a new one", path);
		memset(text, 0, len);
	}
	return gnut_ctl_token_new(error);
}

char *gnut_ctl_token_new(GError **error)
{
	guint8 raw[CTL_TOKEN_BYTES];
	gsize got = 0;
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			            "no random bytes for the control token: %s", g_strerror(err));
			return NULL;
		}
		got += (gsize)n;
	}
	char *hex = g_malloc(2 * sizeof raw + 1);
	for (gsize i = 0; i < sizeof raw; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	memset(raw, 0, sizeof raw);
	return hex;
}
