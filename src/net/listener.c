/* listener.c: a GSocketService that wraps each accepted socket in a
 * gnut_conn, waits for its first line under a deadline, and dispatches it
 * (see listener.h). Waiting connections live in a table keyed by conn. */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/listener.h"

#include <string.h>

#define LISTEN_BACKLOG 64

struct gnut_listener {
	GSocketService *service;
	GMainContext *ctx;
	guint16 port;
	guint max_pending;
	guint line_timeout_ms;
	gsize line_max;
	gnut_listener_accept_fn accept;
	gpointer user_data;
	GHashTable *pending; /* gnut_conn * -> pending_conn * */
	gnut_listener_stats stats;
};

/* A connection waiting for its first line. */
typedef struct {
	gnut_listener *listener;
	gnut_conn *conn;
	GSource *timer;
} pending_conn;

static void pending_free(gpointer data)
{
	pending_conn *p = data;
	if (p->timer != NULL) {
		g_source_destroy(p->timer);
		g_source_unref(p->timer);
	}
	gnut_conn_unref(p->conn);
	g_free(p);
}

/* Hands the connection over: our handlers and deadline go away first, so
 * that the accept callback (which may even free the listener) finds a
 * connection with no trace of us. */
static void dispatch(pending_conn *p, const char *line)
{
	gnut_listener *l = p->listener;
	gnut_conn *conn = gnut_conn_ref(p->conn);
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	gnut_conn_set_input_cap(conn, GNUT_CONN_DEFAULT_INPUT_CAP);
	g_hash_table_remove(l->pending, conn);
	l->stats.dispatched++;
	l->accept(l, conn, line, l->user_data);
}

static void on_pending_readable(gnut_conn *conn, gpointer data)
{
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	const guint8 *nl = memchr(in, '\n', len);
	if (nl == NULL)
		return; /* more to come, or the input cap closes it */
	gsize line_len = (gsize)(nl - in);
	if (line_len > 0 && in[line_len - 1] == '\r')
		line_len--;
	g_autofree char *line = g_strndup((const char *)in, line_len);
	dispatch(data, line);
}

static void on_pending_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	pending_conn *p = data;
	g_debug("%s: dropped before its first line: %s", gnut_conn_get_peer(conn), reason->message);
	p->listener->stats.dropped++;
	g_hash_table_remove(p->listener->pending, conn);
}

static gboolean on_line_timeout(gpointer data)
{
	pending_conn *p = data;
	g_clear_pointer(&p->timer, g_source_unref);
	g_autoptr(GError) err =
	    g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no first line in time");
	/* The closed callback that follows removes the entry. */
	gnut_conn_close(p->conn, err);
	return G_SOURCE_REMOVE;
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *sc, GObject *source,
                            gpointer data)
{
	gnut_listener *l = data;
	l->stats.accepted++;
	if (g_hash_table_size(l->pending) >= l->max_pending) {
		l->stats.refused++;
		g_io_stream_close(G_IO_STREAM(sc), NULL, NULL);
		return TRUE;
	}
	pending_conn *p = g_new0(pending_conn, 1);
	p->listener = l;
	p->conn = gnut_conn_new(sc);
	gnut_conn_set_input_cap(p->conn, l->line_max);
	p->timer = g_timeout_source_new(l->line_timeout_ms);
	g_source_set_callback(p->timer, on_line_timeout, p, NULL);
	g_source_attach(p->timer, l->ctx);
	g_hash_table_insert(l->pending, p->conn, p);
	gnut_conn_set_handlers(p->conn, on_pending_readable, on_pending_closed, p);
	return TRUE;
}

/* Binds config's address to the service; stores the port really bound. */
static gboolean listener_bind(gnut_listener *l, const gnut_listener_config *config, GError **error)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(config->address);
	if (addr == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "listen address is not an IP address: %s", config->address);
		return FALSE;
	}
	g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new(addr, config->port);
	g_autoptr(GSocketAddress) bound = NULL;
	g_socket_listener_set_backlog(G_SOCKET_LISTENER(l->service), LISTEN_BACKLOG);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(l->service), wanted,
	                                   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
	                                   &bound, error))
		return FALSE;
	l->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return TRUE;
}

gnut_listener *gnut_listener_new(const gnut_listener_config *config, gnut_listener_accept_fn accept,
                                 gpointer user_data, GError **error)
{
	g_return_val_if_fail(config != NULL && config->address != NULL && accept != NULL, NULL);
	gnut_listener *l = g_new0(gnut_listener, 1);
	l->ctx = g_main_context_ref_thread_default();
	l->max_pending =
	    config->max_pending > 0 ? config->max_pending : GNUT_LISTENER_DEFAULT_MAX_PENDING;
	l->line_timeout_ms = config->line_timeout_ms > 0 ? config->line_timeout_ms
	                                                 : GNUT_LISTENER_DEFAULT_LINE_TIMEOUT;
	l->line_max = config->line_max > 0 ? config->line_max : GNUT_LISTENER_DEFAULT_LINE_MAX;
	l->accept = accept;
	l->user_data = user_data;
	l->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
	l->service = g_socket_service_new();
	if (!listener_bind(l, config, error)) {
		gnut_listener_free(l);
		return NULL;
	}
	g_signal_connect(l->service, "incoming", G_CALLBACK(on_incoming), l);
	g_socket_service_start(l->service);
	return l;
}

void gnut_listener_free(gnut_listener *l)
{
	if (l == NULL)
		return;
	g_signal_handlers_disconnect_by_data(l->service, l);
	g_socket_service_stop(l->service);
	g_socket_listener_close(G_SOCKET_LISTENER(l->service));
	g_object_unref(l->service);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, l->pending);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		gnut_conn_set_handlers(key, NULL, NULL, NULL);
		gnut_conn_close(key, NULL);
	}
	g_hash_table_destroy(l->pending);
	g_main_context_unref(l->ctx);
	g_free(l);
}

guint16 gnut_listener_get_port(const gnut_listener *l)
{
	return l->port;
}

guint gnut_listener_get_pending(const gnut_listener *l)
{
	return g_hash_table_size(l->pending);
}

const gnut_listener_stats *gnut_listener_get_stats(const gnut_listener *l)
{
	return &l->stats;
}
