/* node.c: one established Gnutella link (see node.h): framing of the
 * message stream, output by priority, keep-alive and Bye.
 *
 * Framing works in place on the connection's input buffer: a message is
 * handed to the owner as a pointer into it and consumed after the call, so
 * nothing is copied. The input cap is one whole message at its largest, so
 * a message always fits and a larger length is refused by the header
 * decoder before anything is buffered for it. */
#define G_LOG_DOMAIN "gnut-core"

#include "config.h"

#include "gnut/core/links/node.h"

#include <stdarg.h>
#include <string.h>

#include "gnut/proto/bye.h"
#include "gnut/proto/ping.h"
#include "gnut/proto/push-proxy.h"
#include "gnut/proto/vendor-bear.h"
#include "gnut/proto/vendor-msg.h"

#define NODE_INPUT_CAP    (GNUT_MSG_HEADER_LEN + GNUT_MSG_MAX_PAYLOAD)
#define BYE_REASON_MAX    200 /* bytes of a Bye reason we send or log */
#define BYE_CODE_TOO_BIG  400 /* the bye spec's "packet deemed too big" */
#define BYE_CODE_IDLE     405 /* inactivity timeout */
#define BYE_CODE_NO_PONG  406 /* no reply to TTL-1 pings */
#define BYE_CODE_BAD_DATA 501 /* protocol desynchronisation */

struct gnut_node {
	gint ref_count;
	guint64 id;
	gnut_conn *conn;
	gnut_handshake_peer peer;
	gnut_clock *clock;
	gint64 keepalive_us;
	gint64 dead_us;
	gint64 bye_wait_us;
	guint max_unanswered;
	gsize output_cap;
	gnut_node_handlers handlers;
	gpointer user_data;
	char *address; /* socket "ip:port" */
	char *host;    /* listening IP when known, else the socket's */
	guint16 port;

	gboolean started;
	gboolean closing; /* our Bye is being flushed */
	gboolean closed;  /* the connection is closed */
	gboolean notified;
	GSource *notify_src; /* reports a close that happened before start */
	char *close_reason;
	guint16 bye_code_in;

	gint64 since_us;
	gint64 last_rx_us; /* last time bytes arrived (even part of a message) */
	gint64 last_ping_us;
	gint64 bye_deadline_us;
	gboolean backed_up;        /* output queue nearly full ... */
	gint64 backed_up_since_us; /* ... since then */
	guint unanswered;

	guint64 msgs_in;
	guint64 msgs_out;
	guint64 idle_mark;      /* msgs_out when it last changed ... */
	gint64 idle_since_us;   /* ... at this time */
	gboolean idle_released; /* the connection's memory was given back since */
	guint64 refused_out;    /* refused because the link was closing or closed */
	guint64 dropped_in;
	guint64 keepalives;
};

static void on_readable(gnut_conn *conn, gpointer data);
static void on_conn_closed(gnut_conn *conn, const GError *reason, gpointer data);

static gint64 now_us(const gnut_node *n)
{
	return gnut_clock_now_us(n->clock);
}

/* Splits the socket's remote end into host and port for `gnut peers`. */
static void set_host_port(gnut_node *n)
{
	if (n->peer.listen_ip != NULL && n->peer.listen_port != 0) {
		n->host = g_strdup(n->peer.listen_ip);
		n->port = n->peer.listen_port;
		return;
	}
	GInetSocketAddress *sa = gnut_conn_get_remote_address(n->conn);
	if (sa == NULL) {
		n->host = g_strdup("");
		return;
	}
	n->host = g_inet_address_to_string(g_inet_socket_address_get_address(sa));
	n->port = g_inet_socket_address_get_port(sa);
}

gnut_node *gnut_node_new(gnut_conn *conn, const gnut_handshake_peer *peer,
                         const gnut_node_config *config, const gnut_node_handlers *handlers,
                         gpointer user_data)
{
	g_return_val_if_fail(conn != NULL && peer != NULL && config != NULL, NULL);
	g_return_val_if_fail(handlers != NULL && handlers->message != NULL, NULL);
	gnut_node *n = g_new0(gnut_node, 1);
	n->ref_count = 1;
	n->id = config->id;
	n->conn = conn;
	gnut_handshake_peer_copy(peer, &n->peer);
	n->clock = config->clock != NULL ? config->clock : gnut_clock_system();
	guint keepalive = config->keepalive_s;
	if (keepalive == 0)
		keepalive = peer->ultrapeer ? GNUT_NODE_KEEPALIVE_UP_S : GNUT_NODE_KEEPALIVE_LEAF_S;
	guint dead =
	    config->dead_s != 0 ? config->dead_s : MAX(3 * keepalive, GNUT_NODE_MIN_DEAD_S);
	n->keepalive_us = (gint64)keepalive * G_USEC_PER_SEC;
	n->dead_us = (gint64)dead * G_USEC_PER_SEC;
	n->bye_wait_us =
	    (gint64)(config->bye_wait_s != 0 ? config->bye_wait_s : GNUT_NODE_BYE_WAIT_S) *
	    G_USEC_PER_SEC;
	n->max_unanswered =
	    config->max_unanswered != 0 ? config->max_unanswered : GNUT_NODE_MAX_UNANSWERED;
	n->output_cap = config->output_cap;
	n->handlers = *handlers;
	n->user_data = user_data;
	n->address = g_strdup(gnut_conn_get_peer(conn));
	set_host_port(n);
	return n;
}

gnut_node *gnut_node_ref(gnut_node *n)
{
	g_return_val_if_fail(n != NULL, NULL);
	n->ref_count++;
	return n;
}

void gnut_node_unref(gnut_node *n)
{
	g_return_if_fail(n != NULL);
	if (--n->ref_count > 0)
		return;
	if (n->notify_src != NULL) {
		g_source_destroy(n->notify_src);
		g_source_unref(n->notify_src);
	}
	gnut_conn_set_handlers(n->conn, NULL, NULL, NULL);
	gnut_conn_unref(n->conn);
	gnut_handshake_peer_clear(&n->peer);
	g_free(n->address);
	g_free(n->host);
	g_free(n->close_reason);
	g_free(n);
}

static void set_close_reason(gnut_node *n, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The first reason wins: it is the cause, what follows are consequences. */
static void set_close_reason(gnut_node *n, const char *fmt, ...)
{
	if (n->close_reason != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	n->close_reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

/* Tells the owner, once; the caller holds a reference. */
static void notify_closed(gnut_node *n)
{
	if (n->notified)
		return;
	n->notified = TRUE;
	g_debug("%s: link %" G_GUINT64_FORMAT " closed: %s", n->address, n->id, n->close_reason);
	if (n->handlers.closed != NULL)
		n->handlers.closed(n, n->close_reason, n->user_data);
}

static void on_conn_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	gnut_node *n = gnut_node_ref(data);
	n->closed = TRUE;
	set_close_reason(n, "%s", reason->message);
	notify_closed(n);
	gnut_node_unref(n);
}

static gboolean on_notify(gpointer data)
{
	gnut_node *n = gnut_node_ref(data);
	g_clear_pointer(&n->notify_src, g_source_unref);
	notify_closed(n);
	gnut_node_unref(n);
	return G_SOURCE_REMOVE;
}

static gboolean queue(gnut_node *n, GBytes *msg, gnut_prio prio)
{
	if (!n->started || n->closing || n->closed || gnut_conn_is_closed(n->conn)) {
		n->refused_out++;
		return FALSE;
	}
	/* A refusal by the queue itself is counted in its own stats. */
	if (!gnut_conn_send(n->conn, msg, prio))
		return FALSE;
	n->msgs_out++;
	return TRUE;
}

static gboolean queue_new(gnut_node *n, const gnut_guid *guid, guint8 type, guint8 ttl, guint8 hops,
                          const guint8 *payload, gsize len, gnut_prio prio)
{
	g_return_val_if_fail(len <= GNUT_MSG_MAX_PAYLOAD, FALSE);
	GByteArray *buf = g_byte_array_sized_new((guint)(GNUT_MSG_HEADER_LEN + len));
	gnut_msg_append(buf, guid, type, ttl, hops, payload, len);
	g_autoptr(GBytes) msg = g_byte_array_free_to_bytes(buf);
	return queue(n, msg, prio);
}

gboolean gnut_node_send(gnut_node *n, GBytes *msg, gnut_prio prio)
{
	g_return_val_if_fail(n != NULL && msg != NULL, FALSE);
	return queue(n, msg, prio);
}

gboolean gnut_node_send_msg(gnut_node *n, const gnut_guid *guid, guint8 type, guint8 ttl,
                            guint8 hops, const guint8 *payload, gsize len, gnut_prio prio)
{
	g_return_val_if_fail(n != NULL && guid != NULL && (payload != NULL || len == 0), FALSE);
	return queue_new(n, guid, type, ttl, hops, payload, len, prio);
}

/* A TTL-1 ping with a fresh GUID: the opening ping and the keep-alives. */
static void send_ping(gnut_node *n, gint64 now)
{
	gnut_guid guid;
	gnut_guid_generate(&guid);
	if (!queue_new(n, &guid, GNUT_MSG_PING, 1, 0, NULL, 0, GNUT_PRIO_PING))
		return;
	n->keepalives++;
	n->unanswered++;
	n->last_ping_us = now;
	if (n->handlers.ping_sent != NULL)
		n->handlers.ping_sent(n, &guid, n->user_data);
}

/* Messages Supported: the vendor messages a peer may send us (it sends
 * none we do not list). Hops Flow, so that a peer can be asked to stop
 * relaying queries to us (the routing room's flow control); the push proxy
 * request and acknowledgement (the routing room's push proxying). */
static void send_messages_supported(gnut_node *n)
{
	static const gnut_vmsg_entry ours[] = {
	    {{'B', 'E', 'A', 'R'}, GNUT_BEAR_SEL_HOPS_FLOW, 1},
	    {{'L', 'I', 'M', 'E'}, GNUT_LIME_SEL_PROXY_REQ, GNUT_PROXY_ACK_VERSION},
	    {{'L', 'I', 'M', 'E'}, GNUT_LIME_SEL_PROXY_ACK, GNUT_PROXY_ACK_VERSION},
	};
	gnut_vendor_msg vm = {.selector = GNUT_VMSG_SEL_SUPPORTED, .version = 0};
	g_autoptr(GByteArray) data = g_byte_array_new();
	gnut_vmsg_supported_encode(data, ours, G_N_ELEMENTS(ours));
	vm.data.data = data->data;
	vm.data.len = data->len;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_vendor_msg_encode(payload, &vm);
	gnut_guid zero = {{0}};
	queue_new(n, &zero, GNUT_MSG_VENDOR, 1, 0, payload->data, payload->len, GNUT_PRIO_CONTROL);
}

void gnut_node_start(gnut_node *n)
{
	g_return_if_fail(n != NULL && !n->started);
	n->started = TRUE;
	n->since_us = n->last_rx_us = n->last_ping_us = now_us(n);
	gnut_conn_set_input_cap(n->conn, NODE_INPUT_CAP);
	if (n->output_cap > 0)
		gnut_conn_set_output_cap(n->conn, n->output_cap);
	gnut_conn_set_handlers(n->conn, on_readable, on_conn_closed, n);
	if (gnut_conn_is_closed(n->conn)) {
		/* Closed while nobody listened: its closed callback is gone. */
		const GError *why = gnut_conn_get_close_reason(n->conn);
		n->closed = TRUE;
		set_close_reason(n, "%s", why != NULL ? why->message : "closed before start");
		n->notify_src = g_idle_source_new();
		g_source_set_callback(n->notify_src, on_notify, n, NULL);
		g_source_attach(n->notify_src, g_main_context_get_thread_default());
		return;
	}
	if (n->peer.vendor_messages)
		send_messages_supported(n);
	send_ping(n, n->since_us);
}

/* A Bye reason fit for the log: the first line, capped, valid UTF-8, no
 * control characters. */
static char *clean_text(const char *s, gsize len)
{
	char *out = g_utf8_make_valid(s, (gssize)MIN(len, (gsize)BYE_REASON_MAX));
	for (char *p = out; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

static void close_now(gnut_node *n, const char *why)
{
	set_close_reason(n, "%s", why);
	g_autoptr(GError) err = g_error_new_literal(GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL, why);
	gnut_conn_close(n->conn, err);
}

/* The peer leaves: log its code and reason, and close without answering
 * (the bye spec: no Bye goes back). A relayed Bye (hops > 0) is bogus and
 * only dropped. */
static void handle_bye(gnut_node *n, const gnut_msg_header *h, const guint8 *payload)
{
	if (h->hops != 0) {
		n->dropped_in++;
		g_debug("%s: relayed bye dropped", n->address);
		return;
	}
	gnut_bye bye;
	gnut_proto_err e = gnut_bye_decode(payload, h->length, &bye);
	if (e != GNUT_PROTO_OK) {
		g_autofree char *why =
		    g_strdup_printf("peer said bye (unreadable: %s)", gnut_proto_strerror(e));
		close_now(n, why);
		return;
	}
	g_autofree char *text = clean_text(bye.reason, bye.line_len);
	n->bye_code_in = bye.code;
	g_message("%s: bye %u: %s", n->address, bye.code, text);
	g_autofree char *why = g_strdup_printf("peer said bye: %u %s", bye.code, text);
	close_now(n, why);
}

static void handle_message(gnut_node *n, const gnut_msg_header *h, const guint8 *payload)
{
	n->msgs_in++;
	if (h->type == GNUT_MSG_PONG)
		n->unanswered = 0;
	if (h->type == GNUT_MSG_BYE) {
		handle_bye(n, h, payload);
		return;
	}
	n->handlers.message(n, h, payload, n->user_data);
}

/* Frames and delivers every complete message in the buffer. A length over
 * the cap means the stream can no longer be trusted: the link goes. When
 * the owner drops its last reference from a callback, only ours is left
 * and delivery stops. */
static void on_readable(gnut_conn *conn, gpointer data)
{
	gnut_node *n = gnut_node_ref(data);
	n->last_rx_us = now_us(n);
	while (n->ref_count > 1 && !n->closing && !gnut_conn_is_closed(conn)) {
		gsize len = 0;
		const guint8 *in = gnut_conn_peek_input(conn, &len);
		gnut_msg_header h;
		gnut_proto_err e = gnut_msg_header_decode(in, len, GNUT_MSG_MAX_PAYLOAD, &h);
		if (e == GNUT_PROTO_ERR_TRUNCATED)
			break;
		if (e != GNUT_PROTO_OK) {
			g_warning("%s: %s message of %u bytes over the %u-byte cap: dropping link",
			          n->address, gnut_msg_type_name(in[16]), gnut_peek_le32(in + 19),
			          (guint)GNUT_MSG_MAX_PAYLOAD);
			gnut_node_bye(n, BYE_CODE_TOO_BIG, "Message too large");
			break;
		}
		if (len - GNUT_MSG_HEADER_LEN < h.length)
			break;
		handle_message(n, &h, in + GNUT_MSG_HEADER_LEN);
		gnut_conn_consume_input(conn, GNUT_MSG_HEADER_LEN + h.length);
	}
	gnut_node_unref(n);
}

void gnut_node_bye(gnut_node *n, guint16 code, const char *reason)
{
	g_return_if_fail(n != NULL && reason != NULL);
	if (n->closing || n->closed || gnut_conn_is_closed(n->conn))
		return;
	g_autofree char *text = clean_text(reason, strlen(reason));
	g_autofree char *why = g_strdup_printf("we said bye: %u %s", code, text);
	if (!n->started || !n->peer.bye_packet) {
		close_now(n, why);
		return;
	}
	/* The long form the bye spec asks for: reason, then a Server header. */
	g_autofree char *body =
	    g_strdup_printf("%s\r\nServer: %s/%s\r\n\r\n", text, PACKAGE_NAME, PACKAGE_VERSION);
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_bye_encode(payload, code, body);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	queue_new(n, &guid, GNUT_MSG_BYE, 1, 0, payload->data, payload->len, GNUT_PRIO_CONTROL);
	set_close_reason(n, "%s", why);
	n->closing = TRUE;
	n->bye_deadline_us = now_us(n) + n->bye_wait_us;
	gnut_conn_flush_and_close(n->conn);
}

void gnut_node_close(gnut_node *n, const char *reason)
{
	g_return_if_fail(n != NULL);
	if (gnut_conn_is_closed(n->conn))
		return;
	close_now(n, reason != NULL ? reason : "closed locally");
}

gboolean gnut_node_output_backed_up(const gnut_node *n)
{
	const gnut_outq *q = gnut_conn_get_outq(n->conn);
	return gnut_outq_bytes(q) >= gnut_outq_get_cap(q) / 4 * 3;
}

/* A peer that reads slower than we send backs up our output queue, which
 * then sheds queries and hits; a queue that stays nearly full (3/4 of its
 * cap) for GNUT_NODE_BACKED_UP_S means the peer cannot keep up at all. */
static gboolean stayed_backed_up(gnut_node *n, gint64 now)
{
	if (!gnut_node_output_backed_up(n)) {
		n->backed_up = FALSE;
		return FALSE;
	}
	if (!n->backed_up) {
		n->backed_up = TRUE;
		n->backed_up_since_us = now;
	}
	return now - n->backed_up_since_us >= (gint64)GNUT_NODE_BACKED_UP_S * G_USEC_PER_SEC;
}

/* A link that sent nothing for GNUT_NODE_IDLE_RELEASE_S gives back its
 * compressor's state and its buffers' memory, once per quiet spell: most
 * of an ultrapeer's leaves are quiet most of the time. */
static void release_when_idle(gnut_node *n, gint64 now)
{
	if (n->msgs_out != n->idle_mark || n->idle_since_us == 0) {
		n->idle_mark = n->msgs_out;
		n->idle_since_us = now;
		n->idle_released = FALSE;
		return;
	}
	if (!n->idle_released &&
	    now - n->idle_since_us >= GNUT_NODE_IDLE_RELEASE_S * G_USEC_PER_SEC)
		n->idle_released = gnut_conn_release_idle(n->conn);
}

void gnut_node_tick(gnut_node *n, gint64 now)
{
	g_return_if_fail(n != NULL);
	if (!n->started || n->closed || gnut_conn_is_closed(n->conn))
		return;
	if (n->closing) {
		if (now >= n->bye_deadline_us)
			close_now(n, "bye not written out in time");
		return;
	}
	if (stayed_backed_up(n, now)) {
		close_now(n, "output queue stayed full: the peer does not read");
		return;
	}
	release_when_idle(n, now);
	gint64 silence = now - n->last_rx_us;
	if (silence >= n->dead_us) {
		gnut_node_bye(n, BYE_CODE_IDLE, "Activity timeout");
		return;
	}
	if (silence < n->keepalive_us || now - n->last_ping_us < n->keepalive_us)
		return;
	if (n->unanswered >= n->max_unanswered) {
		gnut_node_bye(n, BYE_CODE_NO_PONG, "No reply to alive pings");
		return;
	}
	send_ping(n, now);
}

guint64 gnut_node_get_id(const gnut_node *n)
{
	return n->id;
}

const gnut_handshake_peer *gnut_node_get_peer(const gnut_node *n)
{
	return &n->peer;
}

gboolean gnut_node_is_ultrapeer(const gnut_node *n)
{
	return n->peer.ultrapeer;
}

const char *gnut_node_get_mode(const gnut_node *n)
{
	return n->peer.ultrapeer ? "ultrapeer" : "leaf";
}

const char *gnut_node_get_user_agent(const gnut_node *n)
{
	return n->peer.user_agent != NULL ? n->peer.user_agent : "";
}

const char *gnut_node_get_host(const gnut_node *n)
{
	return n->host;
}

guint16 gnut_node_get_port(const gnut_node *n)
{
	return n->port;
}

const char *gnut_node_get_address(const gnut_node *n)
{
	return n->address;
}

void gnut_node_get_stats(const gnut_node *n, gnut_node_stats *out)
{
	gnut_conn_stats cs;
	gnut_conn_get_stats(n->conn, &cs);
	const gnut_outq_stats *qs = gnut_outq_get_stats(gnut_conn_get_outq(n->conn));
	memset(out, 0, sizeof *out);
	out->msgs_in = n->msgs_in;
	out->msgs_out = n->msgs_out;
	out->msgs_dropped = n->refused_out + n->dropped_in;
	for (guint p = 0; p < GNUT_PRIO_COUNT; p++)
		out->msgs_dropped += qs->dropped_msgs[p];
	out->bytes_in = cs.bytes_in;
	out->bytes_out = cs.bytes_out;
	out->keepalives = n->keepalives;
	out->since_us = n->since_us;
}

gboolean gnut_node_is_closing(const gnut_node *n)
{
	return n->closing || n->closed || gnut_conn_is_closed(n->conn);
}

gboolean gnut_node_is_closed(const gnut_node *n)
{
	return n->closed || gnut_conn_is_closed(n->conn);
}

guint16 gnut_node_get_bye_code(const gnut_node *n)
{
	return n->bye_code_in;
}

const char *gnut_node_get_close_reason(const gnut_node *n)
{
	return n->close_reason;
}
