/* listener.c: a non-blocking listening GSocket watched by a GSource. Each
 * wake-up accepts a batch of connections; each one passes admission (the
 * global cap, its address's throttle and cap: see listener.h), is wrapped
 * in a gnut_conn, waits for its first line under a deadline, and is
 * dispatched. Waiting connections live in a table keyed by conn; what each
 * address holds and its throttle live in a gnut_ip_admit table.
 *
 * Why not a GSocketService: when accept(2) fails (EMFILE), it logs a
 * warning and accepts again at once, while the backlog keeps the socket
 * readable: a busy loop that floods the log. Here a failure removes the
 * watch and a timer brings it back. */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/listener.h"

#include <string.h>

#include "gnut/base/log-limit.h"

#define LISTEN_BACKLOG       64
#define ACCEPT_BATCH         32   /* accepts per wake-up: the rest of the loop runs too */
#define TLS_HANDSHAKE_RECORD 0x16 /* first byte of a TLS ClientHello */

struct gnut_listener {
	GSocket *socket;
	GSource *watch;  /* the listening socket is readable; NULL while paused */
	GSource *resume; /* the end of a pause; NULL unless paused */
	GMainContext *ctx;
	guint16 port;
	guint max_pending;
	guint line_timeout_ms;
	gsize line_max;
	guint per_ip_pending;
	guint fd_pause_ms;
	gboolean out_of_fds; /* a descriptor shortage under way (logged once) */
	gnut_ip_admit *admit;
	gnut_log_limit *refusal_log;
	gnut_listener_accept_fn accept;
	gpointer user_data;
	GHashTable *pending; /* gnut_conn * -> pending_conn * */
	gnut_listener_stats stats;
	GTlsCertificate *tls_cert; /* NULL: no TLS from the first byte */
};

/* A connection waiting for its first line, and the hold it takes on its
 * address. */
typedef struct {
	gnut_listener *listener;
	gnut_conn *conn;
	GSource *timer;
	gnut_ip_key key;
} pending_conn;

static void pending_free(gpointer data)
{
	pending_conn *p = data;
	if (p->timer != NULL) {
		g_source_destroy(p->timer);
		g_source_unref(p->timer);
	}
	gnut_ip_admit_release(p->listener->admit, &p->key);
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
	pending_conn *p = data;
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	if (len > 0 && in[0] == TLS_HANDSHAKE_RECORD && p->listener->tls_cert != NULL &&
	    !gnut_conn_is_tls(conn)) {
		gnut_conn_start_tls(conn, TRUE, p->listener->tls_cert, NULL, NULL);
		return; /* the first line comes inside TLS */
	}
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

gboolean gnut_listener_conn_key(const gnut_conn *conn, gnut_ip_key *key)
{
	GInetSocketAddress *remote = gnut_conn_get_remote_address(conn);
	if (remote == NULL)
		return FALSE;
	GInetAddress *ip = g_inet_socket_address_get_address(remote);
	return gnut_ip_key_from_bytes(key, g_inet_address_to_bytes(ip),
	                              g_inet_address_get_native_size(ip));
}

/* Why a connection from remote is refused (NULL: admitted, and its
 * address's hold is taken). The global cap comes first: it costs the
 * address nothing; then the throttle, then the address's own cap. */
static const char *refusal(gnut_listener *l, GInetSocketAddress *remote, gnut_ip_key *key)
{
	if (g_hash_table_size(l->pending) >= l->max_pending) {
		l->stats.refused++;
		return "too many connections waiting for their first line";
	}
	GInetAddress *ip = g_inet_socket_address_get_address(remote);
	if (!gnut_ip_key_from_bytes(key, g_inet_address_to_bytes(ip),
	                            g_inet_address_get_native_size(ip))) {
		l->stats.refused++;
		return "not an IP address";
	}
	if (!gnut_ip_admit_arrive(l->admit, key)) {
		l->stats.throttled++;
		return "reconnecting too often";
	}
	if (!gnut_ip_admit_hold(l->admit, key, l->per_ip_pending)) {
		l->stats.refused_ip++;
		return "too many connections waiting from this address";
	}
	return NULL;
}

/* Admits an accepted socket as a pending connection, or closes it at once. */
static void admit(gnut_listener *l, GSocket *sock)
{
	l->stats.accepted++;
	g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(sock, NULL);
	if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS(remote)) {
		l->stats.dropped++; /* gone before we saw it */
		g_socket_close(sock, NULL);
		return;
	}
	GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(remote);
	gnut_ip_key key;
	const char *why = refusal(l, inet, &key);
	if (why != NULL) {
		g_autofree char *ip =
		    g_inet_address_to_string(g_inet_socket_address_get_address(inet));
		gnut_log_limited(l->refusal_log, "connection from %s refused: %s", ip, why);
		g_socket_close(sock, NULL);
		return;
	}
	g_autoptr(GSocketConnection) sc = g_socket_connection_factory_create_connection(sock);
	pending_conn *p = g_new0(pending_conn, 1);
	p->listener = l;
	p->key = key;
	p->conn = gnut_conn_new(sc);
	gnut_conn_set_input_cap(p->conn, l->line_max);
	p->timer = g_timeout_source_new(l->line_timeout_ms);
	g_source_set_callback(p->timer, on_line_timeout, p, NULL);
	g_source_attach(p->timer, l->ctx);
	g_hash_table_insert(l->pending, p->conn, p);
	gnut_conn_set_handlers(p->conn, on_pending_readable, on_pending_closed, p);
}

static gboolean on_listen_ready(GSocket *sock, GIOCondition condition, gpointer data);

static void watch_start(gnut_listener *l)
{
	l->watch = g_socket_create_source(l->socket, G_IO_IN, NULL);
	g_source_set_callback(l->watch, G_SOURCE_FUNC(on_listen_ready), l, NULL);
	g_source_attach(l->watch, l->ctx);
}

static void watch_stop(gnut_listener *l)
{
	if (l->watch != NULL) {
		g_source_destroy(l->watch);
		g_clear_pointer(&l->watch, g_source_unref);
	}
	if (l->resume != NULL) {
		g_source_destroy(l->resume);
		g_clear_pointer(&l->resume, g_source_unref);
	}
}

static gboolean on_resume(gpointer data)
{
	gnut_listener *l = data;
	g_clear_pointer(&l->resume, g_source_unref);
	watch_start(l);
	return G_SOURCE_REMOVE;
}

/* accept(2) failed with something else than "nothing waiting": the backlog
 * keeps the socket readable, so accepting again at once would spin. Stop
 * watching it for fd_pause_ms. Out of descriptors, one line says so for the
 * whole shortage (see shortage_over); other failures go through the
 * refusal log limit. */
static void pause_accepting(gnut_listener *l, const GError *error)
{
	l->stats.accept_errors++;
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)) {
		l->stats.fd_pauses++;
		if (!l->out_of_fds)
			g_warning("out of descriptors (%s): accepting paused, retried every %u ms",
			          error->message, l->fd_pause_ms);
		l->out_of_fds = TRUE;
	} else {
		gnut_log_limited(l->refusal_log, "accept failed (%s): accepting paused for %u ms",
		                 error->message, l->fd_pause_ms);
	}
	watch_stop(l);
	l->resume = g_timeout_source_new(l->fd_pause_ms);
	g_source_set_callback(l->resume, on_resume, l, NULL);
	g_source_attach(l->resume, l->ctx);
}

/* accept(2) found nothing waiting: Linux takes a descriptor before it
 * looks at the backlog, so there was one to spare, and every peer that
 * waited is in. Only this ends a shortage: an accept that succeeds while
 * others wait may take the last descriptor again, and a shortage that
 * comes and goes under a steady flood stays one episode, one line. */
static void shortage_over(gnut_listener *l)
{
	if (!l->out_of_fds)
		return;
	g_message("descriptors available again: accepting resumed after %" G_GUINT64_FORMAT
	          " pauses",
	          l->stats.fd_pauses);
	l->out_of_fds = FALSE;
}

static gboolean on_listen_ready(GSocket *listening, GIOCondition condition, gpointer data)
{
	gnut_listener *l = data;
	for (guint i = 0; i < ACCEPT_BATCH; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) sock = g_socket_accept(listening, NULL, &error);
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			shortage_over(l);
			return G_SOURCE_CONTINUE;
		}
		if (sock == NULL) {
			pause_accepting(l, error);
			return G_SOURCE_REMOVE;
		}
		admit(l, sock);
	}
	return G_SOURCE_CONTINUE;
}

/* Makes the listening socket for config's address; stores the port really
 * bound. */
static gboolean listener_bind(gnut_listener *l, const gnut_listener_config *config, GError **error)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(config->address);
	if (addr == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "listen address is not an IP address: %s", config->address);
		return FALSE;
	}
	l->socket = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM,
	                         G_SOCKET_PROTOCOL_TCP, error);
	if (l->socket == NULL)
		return FALSE;
	g_socket_set_blocking(l->socket, FALSE);
	g_socket_set_listen_backlog(l->socket, LISTEN_BACKLOG);
	g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new(addr, config->port);
	if (!g_socket_bind(l->socket, wanted, TRUE, error) || !g_socket_listen(l->socket, error))
		return FALSE;
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(l->socket, error);
	if (bound == NULL)
		return FALSE;
	l->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return TRUE;
}

static guint or_default(guint value, guint fallback)
{
	return value > 0 ? value : fallback;
}

gnut_listener *gnut_listener_new(const gnut_listener_config *config, gnut_listener_accept_fn accept,
                                 gpointer user_data, GError **error)
{
	g_return_val_if_fail(config != NULL && config->address != NULL && accept != NULL, NULL);
	gnut_listener *l = g_new0(gnut_listener, 1);
	l->ctx = g_main_context_ref_thread_default();
	l->max_pending = or_default(config->max_pending, GNUT_LISTENER_DEFAULT_MAX_PENDING);
	l->line_timeout_ms =
	    or_default(config->line_timeout_ms, GNUT_LISTENER_DEFAULT_LINE_TIMEOUT);
	l->line_max = config->line_max > 0 ? config->line_max : GNUT_LISTENER_DEFAULT_LINE_MAX;
	l->per_ip_pending =
	    or_default(config->per_ip_pending, GNUT_LISTENER_DEFAULT_PER_IP_PENDING);
	l->fd_pause_ms = or_default(config->fd_pause_ms, GNUT_LISTENER_DEFAULT_FD_PAUSE);
	gnut_clock *clock = config->clock != NULL ? config->clock : gnut_clock_system();
	gnut_ip_admit_config ac = {
	    /* more than max_pending: the table is never full of holds */
	    .max_entries = l->max_pending > G_MAXUINT - GNUT_LISTENER_ADMIT_TABLE
	                       ? G_MAXUINT
	                       : l->max_pending + GNUT_LISTENER_ADMIT_TABLE,
	    .burst = or_default(config->reconnect_burst, GNUT_LISTENER_DEFAULT_RECONNECT_BURST),
	    .interval_us = (gint64)or_default(config->reconnect_interval_ms,
	                                      GNUT_LISTENER_DEFAULT_RECONNECT_INTERVAL) *
	                   G_TIME_SPAN_MILLISECOND,
	};
	l->admit = gnut_ip_admit_new(clock, &ac);
	l->refusal_log = gnut_log_limit_new(clock);
	l->accept = accept;
	l->user_data = user_data;
	if (config->tls_cert != NULL)
		l->tls_cert = g_object_ref(config->tls_cert);
	l->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
	if (!listener_bind(l, config, error)) {
		gnut_listener_free(l);
		return NULL;
	}
	watch_start(l);
	return l;
}

void gnut_listener_free(gnut_listener *l)
{
	if (l == NULL)
		return;
	watch_stop(l);
	if (l->socket != NULL) {
		g_socket_close(l->socket, NULL);
		g_object_unref(l->socket);
	}
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, l->pending);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		gnut_conn_set_handlers(key, NULL, NULL, NULL);
		gnut_conn_close(key, NULL);
	}
	g_hash_table_destroy(l->pending); /* releases the holds: the table goes after */
	gnut_ip_admit_free(l->admit);
	gnut_log_limit_free(l->refusal_log);
	g_main_context_unref(l->ctx);
	g_clear_object(&l->tls_cert);
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

gboolean gnut_listener_is_paused(const gnut_listener *l)
{
	return l->resume != NULL;
}
