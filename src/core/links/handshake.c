/* handshake.c: the Gnutella 0.6 handshake state machine (see handshake.h).
 *
 * One function per state, looked up in a table: a step either moves to the
 * next state and returns TRUE (the next step runs at once), or returns
 * FALSE to wait for input, the close or the deadline. Header sets are built
 * and read in handshake-headers.c.
 *
 * Reporting: success is reported from the connection's readable callback,
 * so that the owner's gnut_handshake_steal_conn + gnut_conn_set_handlers
 * happen inside it and the bytes after the handshake go straight to the new
 * owner. Failures close the connection and are reported from an idle source
 * (or from the connection's closed callback after a refusal was flushed):
 * the done callback never runs inside a gnut_handshake_* call. */
#define G_LOG_DOMAIN "gnut-core"

#include "config.h"

#include "gnut/core/links/handshake.h"

#include <stdarg.h>
#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/handshake-msg.h"
#include "gnut/proto/wire.h"

/* Input held during the handshake: one block at its cap, plus one byte so
 * that gnut_head_scan, not the connection, says TOO_LARGE. */
#define HANDSHAKE_INPUT_CAP (GNUT_HEAD_MAX_SIZE + 1)

struct gnut_handshake {
	gnut_conn *conn; /* NULL once stolen or released */
	GMainContext *ctx;
	gnut_handshake_dir dir;
	gnut_handshake_state state;
	gnut_handshake_config config; /* listen_addr points at our copy */
	char *listen_addr;
	char *remote_ip;    /* the peer's IP, for our Remote-IP header */
	char *peer_address; /* "ip:port" of the socket, for logs */
	gnut_handshake_done_fn done;
	gpointer user_data;
	gint64 deadline_us;
	gnut_handshake_peer peer;
	guint code; /* the status that ended it (theirs or ours), 0: none */
	gboolean by_peer;
	gboolean tls_failed;
	gnut_handshake_needed sent_needed; /* our X-Ultrapeer-Needed in step 2 */
	char *error;
	GSource *report_src; /* delivers a failure from the main loop */
	gboolean reported;
	gboolean in_done;
	gboolean free_pending;
};

typedef gboolean (*step_fn)(gnut_handshake *hs);

static void on_readable(gnut_conn *conn, gpointer data);
static void on_closed(gnut_conn *conn, const GError *reason, gpointer data);

const char *gnut_handshake_state_name(gnut_handshake_state state)
{
	switch (state) {
	case GNUT_HANDSHAKE_SEND_CONNECT:
		return "send-connect";
	case GNUT_HANDSHAKE_READ_RESPONSE:
		return "read-response";
	case GNUT_HANDSHAKE_SEND_FINAL:
		return "send-final";
	case GNUT_HANDSHAKE_READ_CONNECT:
		return "read-connect";
	case GNUT_HANDSHAKE_SEND_RESPONSE:
		return "send-response";
	case GNUT_HANDSHAKE_READ_FINAL:
		return "read-final";
	case GNUT_HANDSHAKE_REFUSING:
		return "refusing";
	case GNUT_HANDSHAKE_TLS:
		return "tls";
	case GNUT_HANDSHAKE_SUCCEEDED:
		return "succeeded";
	case GNUT_HANDSHAKE_FAILED:
		return "failed";
	}
	return "unknown";
}

static gboolean is_terminal(const gnut_handshake *hs)
{
	return hs->state == GNUT_HANDSHAKE_SUCCEEDED || hs->state == GNUT_HANDSHAKE_FAILED;
}

/* Enters a waiting or sending state with a fresh deadline. */
static void enter(gnut_handshake *hs, gnut_handshake_state state)
{
	hs->state = state;
	hs->deadline_us =
	    gnut_clock_now_us(hs->config.clock) + (gint64)hs->config.timeout_s * G_USEC_PER_SEC;
}

static void set_error(gnut_handshake *hs, guint code, gboolean by_peer, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void set_error(gnut_handshake *hs, guint code, gboolean by_peer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_free(hs->error);
	hs->error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	hs->code = code;
	hs->by_peer = by_peer;
}

/* Hands everything the owner needs to the done callback, then lets go of
 * a connection the owner did not take. Must be the caller's last use of hs:
 * the callback may free it. */
static void report(gnut_handshake *hs)
{
	gboolean ok = hs->state == GNUT_HANDSHAKE_SUCCEEDED;
	gnut_handshake_result r = {
	    .ok = ok,
	    .direction = hs->dir,
	    .code = ok ? GNUT_HTTP_OK : hs->code,
	    .by_peer = !ok && hs->by_peer,
	    .error = ok ? NULL : hs->error,
	    .peer = &hs->peer,
	    .tls_failed = !ok && hs->tls_failed,
	};
	r.not_now =
	    r.by_peer && (r.code == GNUT_HTTP_CONFLICT || r.code == GNUT_HTTP_TOO_MANY_REQUESTS ||
	                  r.code == GNUT_HTTP_SERVICE_UNAVAILABLE);
	hs->reported = TRUE;
	hs->in_done = TRUE;
	hs->done(hs, &r, hs->user_data);
	hs->in_done = FALSE;
	if (hs->conn != NULL) {
		gnut_conn_set_handlers(hs->conn, NULL, NULL, NULL);
		gnut_conn_close(hs->conn, NULL);
		g_clear_pointer(&hs->conn, gnut_conn_unref);
	}
	if (hs->free_pending)
		gnut_handshake_free(hs);
}

static gboolean on_report(gpointer data)
{
	gnut_handshake *hs = data;
	g_clear_pointer(&hs->report_src, g_source_unref);
	report(hs);
	return G_SOURCE_REMOVE;
}

/* Ends the handshake as failed (the error is already set): closes the
 * connection and reports from the main loop. */
static void abort_link(gnut_handshake *hs)
{
	hs->state = GNUT_HANDSHAKE_FAILED;
	g_debug("%s: handshake failed: %s", hs->peer_address, hs->error);
	if (hs->conn != NULL) {
		gnut_conn_set_handlers(hs->conn, NULL, NULL, NULL);
		g_autoptr(GError) why =
		    g_error_new_literal(GNUT_CONN_ERROR, GNUT_CONN_ERROR_LOCAL, hs->error);
		gnut_conn_close(hs->conn, why);
	}
	if (hs->report_src == NULL) {
		hs->report_src = g_idle_source_new();
		g_source_set_callback(hs->report_src, on_report, hs, NULL);
		g_source_attach(hs->report_src, hs->ctx);
	}
}

static void fail(gnut_handshake *hs, guint code, gboolean by_peer, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void fail(gnut_handshake *hs, guint code, gboolean by_peer, const char *fmt, ...)
{
	if (is_terminal(hs))
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	set_error(hs, code, by_peer, "%s", msg);
	abort_link(hs);
}

static gboolean send_block(gnut_handshake *hs, const gnut_head *h)
{
	g_autoptr(GString) text = gnut_head_serialize(h);
	if (gnut_conn_write_raw(hs->conn, text->str, text->len))
		return TRUE;
	fail(hs, 0, FALSE, "cannot write the %s block", gnut_handshake_state_name(hs->state));
	return FALSE;
}

/* Takes one complete header block off the input. FALSE while it is
 * incomplete, and when it is over a cap or malformed (the handshake then
 * failed). */
static gboolean take_block(gnut_handshake *hs, gnut_head **out)
{
	gsize len = 0;
	const guint8 *in = gnut_conn_peek_input(hs->conn, &len);
	size_t head_len = 0;
	gnut_proto_err e = gnut_head_scan(in, len, &head_len);
	if (e == GNUT_PROTO_ERR_TRUNCATED)
		return FALSE;
	if (e == GNUT_PROTO_OK)
		e = gnut_head_parse(in, head_len, out);
	if (e != GNUT_PROTO_OK) {
		fail(hs, 0, FALSE, "bad header block in %s: %s",
		     gnut_handshake_state_name(hs->state), gnut_proto_strerror(e));
		return FALSE;
	}
	gnut_conn_consume_input(hs->conn, head_len);
	return TRUE;
}

/* Sends a refusal status with our identity and the hosts to try instead,
 * then waits for it to be written out before the link closes. */
static void refuse(gnut_handshake *hs, guint code, const char *reason, const char *tries)
{
	if (reason == NULL || *reason == '\0' || !gnut_head_is_valid_value(reason))
		reason = gnut_handshake_reason_for(code);
	g_autoptr(gnut_head) h = gnut_handshake_new_status(code, reason);
	gnut_head_add(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
	if (hs->remote_ip != NULL)
		gnut_head_add(h, "Remote-IP", hs->remote_ip);
	if (tries != NULL && *tries != '\0' && gnut_head_is_valid_value(tries))
		gnut_head_add(h, "X-Try-Ultrapeers", tries);
	set_error(hs, code, FALSE, "we refused: %u %s", code, reason);
	if (!send_block(hs, h))
		return;
	g_debug("%s: refusing: %u %s", hs->peer_address, code, reason);
	enter(hs, GNUT_HANDSHAKE_REFUSING);
	gnut_conn_set_handlers(hs->conn, NULL, on_closed, hs);
	gnut_conn_flush_and_close(hs->conn);
}

/* Our admission rules, then the owner's. FALSE when the peer was refused. */
static gboolean judge(gnut_handshake *hs)
{
	guint code = GNUT_HTTP_OK;
	g_autoptr(GString) reason = g_string_new(NULL);
	g_autoptr(GString) tries = g_string_new(NULL);
	if (!hs->peer.has_ultrapeer) {
		code = GNUT_HTTP_FORBIDDEN;
		g_string_assign(reason, "X-Ultrapeer required");
	} else if (!hs->config.ultrapeer && !hs->peer.ultrapeer) {
		code = GNUT_HTTP_SERVICE_UNAVAILABLE;
		g_string_assign(reason, "Shielded leaf node");
	} else if (hs->config.admit != NULL) {
		code = hs->config.admit(&hs->peer, hs->dir, reason, tries, hs->config.admit_data);
	}
	if (code == GNUT_HTTP_OK)
		return TRUE;
	refuse(hs, code, reason->str, tries->str);
	return FALSE;
}

/* A peer's status text for our log: valid UTF-8, not too long. */
static char *clean_reason(const char *reason)
{
	return g_utf8_make_valid(reason, (gssize)MIN(strlen(reason), (gsize)120));
}

/* Reads a step 2 or step 3 status line; FALSE (failed) when it is not 200. */
static gboolean check_status(gnut_handshake *hs, const gnut_head *h)
{
	gnut_handshake_status st;
	gnut_proto_err e = gnut_handshake_parse_status(gnut_head_start_line(h), &st);
	if (e != GNUT_PROTO_OK) {
		fail(hs, 0, FALSE, "bad status line: %s", gnut_proto_strerror(e));
		return FALSE;
	}
	if (st.code != GNUT_HTTP_OK) {
		g_autofree char *why = clean_reason(st.reason);
		fail(hs, st.code, TRUE, "peer refused: %u %s", st.code, why);
		return FALSE;
	}
	return TRUE;
}

/* A link between a leaf and an ultrapeer carries little (a leaf's queries
 * and hits, the queries its tables let through) and an ultrapeer holds
 * hundreds: its compressor gets a small window and small hash tables
 * (about 32 KiB of zlib state instead of 256 KiB). */
static void switch_compression(gnut_handshake *hs)
{
	if (hs->peer.deflate_in)
		gnut_conn_enable_inflate(hs->conn);
	if (!hs->peer.deflate_out)
		return;
	if (hs->config.ultrapeer != hs->peer.ultrapeer)
		gnut_conn_enable_deflate_sized(hs->conn, GNUT_HANDSHAKE_LEAF_WINDOW_BITS,
		                               GNUT_HANDSHAKE_LEAF_MEM_LEVEL);
	else
		gnut_conn_enable_deflate(hs->conn);
}

/* Connection: Upgrade: the block takes the other side's Upgrade offer. */
static gboolean asks_upgrade(const gnut_head *h)
{
	const char *v = gnut_head_get(h, "Connection");
	return v != NULL && gnut_head_value_has_token(v, "Upgrade");
}

/* TLS can be offered on a plain link when we have a certificate. */
static gboolean can_upgrade(const gnut_handshake *hs)
{
	return hs->config.tls_cert != NULL && !gnut_conn_is_tls(hs->conn);
}

static void on_tls_ready(gnut_conn *conn, gpointer data)
{
	gnut_handshake *hs = data;
	switch_compression(hs);
	hs->state = GNUT_HANDSHAKE_SUCCEEDED;
	g_debug("%s: handshake done inside TLS", hs->peer_address);
	report(hs);
}

/* After step 3, both sides switch to TLS, the dialer as client; the link
 * (and its compression) starts once TLS is up. A failed TLS handshake
 * closes the connection: the handshake fails from on_closed. */
static void upgrade_to_tls(gnut_handshake *hs)
{
	enter(hs, GNUT_HANDSHAKE_TLS);
	gnut_conn_start_tls(hs->conn, hs->dir == GNUT_HANDSHAKE_INCOMING, hs->config.tls_cert,
	                    on_tls_ready, hs);
}

/* Finishes a handshake whose step 3 is out or in: in TLS when agreed. */
static void finish(gnut_handshake *hs)
{
	if (hs->peer.tls && !gnut_conn_is_tls(hs->conn)) {
		upgrade_to_tls(hs);
		return;
	}
	switch_compression(hs);
	hs->state = GNUT_HANDSHAKE_SUCCEEDED;
}

/* Dialing as an ultrapeer, an ultrapeer answered X-Ultrapeer-Needed:
 * False: the owner decides whether we become its leaf. From then on we
 * are a leaf on this link (its compression is sized for one). */
static void consider_leaf_guidance(gnut_handshake *hs)
{
	const gnut_handshake_peer *p = &hs->peer;
	if (!hs->config.ultrapeer || !p->ultrapeer || !p->has_ultrapeer_needed ||
	    p->ultrapeer_needed || hs->config.take_leaf_guidance == NULL ||
	    !hs->config.take_leaf_guidance(p, hs->config.admit_data))
		return;
	hs->peer.leaf_guidance = TRUE;
	hs->config.ultrapeer = FALSE;
	g_debug("%s: taking its leaf guidance", hs->peer_address);
}

/* After our leaf guidance, an ultrapeer's step 3 may say X-Ultrapeer:
 * False: it is our leaf now. Without our guidance the header is ignored
 * (the role the peer was admitted to stands). */
static void read_leaf_answer(gnut_handshake *hs, const gnut_head *h)
{
	const char *v = gnut_head_get(h, "X-Ultrapeer");
	bool up = true;
	if (hs->sent_needed != GNUT_HANDSHAKE_NEEDED_FALSE || !hs->peer.ultrapeer || v == NULL ||
	    gnut_head_parse_bool(v, &up) != GNUT_PROTO_OK || up)
		return;
	hs->peer.ultrapeer = FALSE;
	hs->peer.leaf_guidance = TRUE;
	g_debug("%s: took our leaf guidance", hs->peer_address);
}

static gboolean step_send_connect(gnut_handshake *hs);

/* TLS from the first byte is up: the handshake starts inside it. */
static void on_tls_first_ready(gnut_conn *conn, gpointer data)
{
	gnut_handshake *hs = data;
	enter(hs, GNUT_HANDSHAKE_SEND_CONNECT);
	step_send_connect(hs);
}

static gboolean step_send_connect(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = gnut_handshake_new_connect();
	gnut_handshake_add_our_headers(h, &hs->config, hs->remote_ip);
	if (can_upgrade(hs))
		gnut_head_add(h, "Upgrade", "TLS/1.0");
	if (!send_block(hs, h))
		return FALSE;
	enter(hs, GNUT_HANDSHAKE_READ_RESPONSE);
	return TRUE;
}

static gboolean step_read_response(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = NULL;
	if (!take_block(hs, &h))
		return FALSE;
	/* Read the headers even from a refusal: it may list hosts to try. */
	gnut_handshake_peer_read(h, &hs->peer);
	if (!check_status(hs, h))
		return FALSE;
	if (hs->peer.sends_deflate && !hs->config.deflate) {
		fail(hs, 0, FALSE, "peer compresses although we did not offer it");
		return FALSE;
	}
	if (!judge(hs))
		return FALSE;
	hs->peer.deflate_in = hs->peer.sends_deflate;
	hs->peer.deflate_out = hs->config.deflate && hs->peer.accepts_deflate;
	consider_leaf_guidance(hs);
	/* Upgrade alone may be their own offer (the reference sends it to
	 * everyone); with Connection: Upgrade it takes ours. */
	hs->peer.tls = gnut_conn_is_tls(hs->conn) ||
	               (can_upgrade(hs) && hs->peer.offers_tls && asks_upgrade(h));
	enter(hs, GNUT_HANDSHAKE_SEND_FINAL);
	return TRUE;
}

/* Step 3 carries no capability headers, only our choice of compression,
 * X-Ultrapeer: False when we took leaf guidance and, when the acceptor took
 * our TLS offer, Connection: Upgrade. */
static gboolean step_send_final(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = gnut_handshake_new_status(GNUT_HTTP_OK, "OK");
	if (hs->peer.leaf_guidance)
		gnut_head_add(h, "X-Ultrapeer", "False");
	if (hs->peer.deflate_out)
		gnut_head_add(h, "Content-Encoding", "deflate");
	if (hs->peer.tls && !gnut_conn_is_tls(hs->conn))
		gnut_head_add(h, "Connection", "Upgrade");
	if (!send_block(hs, h))
		return FALSE;
	finish(hs);
	return hs->state == GNUT_HANDSHAKE_SUCCEEDED;
}

static gboolean step_read_connect(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = NULL;
	if (!take_block(hs, &h))
		return FALSE;
	unsigned major = 0, minor = 0;
	if (gnut_handshake_parse_connect(gnut_head_start_line(h), &major, &minor) !=
	    GNUT_PROTO_OK) {
		fail(hs, 0, FALSE, "not a Gnutella connect line");
		return FALSE;
	}
	if (major == 0 && minor < 6) {
		fail(hs, 0, FALSE, "Gnutella %u.%u is not supported", major, minor);
		return FALSE;
	}
	gnut_handshake_peer_read(h, &hs->peer);
	if (!judge(hs))
		return FALSE;
	if (hs->config.ultrapeer && hs->config.ultrapeer_needed != NULL)
		hs->sent_needed = hs->config.ultrapeer_needed(&hs->peer, hs->config.admit_data);
	hs->peer.deflate_out = hs->config.deflate && hs->peer.accepts_deflate;
	/* Without a certificate their offer is ignored (no Connection: Upgrade). */
	hs->peer.tls = gnut_conn_is_tls(hs->conn) || (can_upgrade(hs) && hs->peer.offers_tls);
	enter(hs, GNUT_HANDSHAKE_SEND_RESPONSE);
	return TRUE;
}

static gboolean step_send_response(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = gnut_handshake_new_status(GNUT_HTTP_OK, "OK");
	gnut_handshake_add_our_headers(h, &hs->config, hs->remote_ip);
	if (hs->sent_needed != GNUT_HANDSHAKE_NEEDED_NONE)
		gnut_head_add(h, "X-Ultrapeer-Needed",
		              hs->sent_needed == GNUT_HANDSHAKE_NEEDED_TRUE ? "True" : "False");
	if (hs->peer.deflate_out)
		gnut_head_add(h, "Content-Encoding", "deflate");
	if (hs->peer.tls && !gnut_conn_is_tls(hs->conn)) {
		gnut_head_add(h, "Upgrade", "TLS/1.0");
		gnut_head_add(h, "Connection", "Upgrade");
	}
	if (!send_block(hs, h))
		return FALSE;
	enter(hs, GNUT_HANDSHAKE_READ_FINAL);
	return TRUE;
}

static gboolean step_read_final(gnut_handshake *hs)
{
	g_autoptr(gnut_head) h = NULL;
	if (!take_block(hs, &h))
		return FALSE;
	if (!check_status(hs, h))
		return FALSE;
	const char *ce = gnut_head_get(h, "Content-Encoding");
	hs->peer.sends_deflate = ce != NULL && gnut_head_value_has_token(ce, "deflate");
	if (hs->peer.sends_deflate && !hs->config.deflate) {
		fail(hs, 0, FALSE, "peer compresses although we did not offer it");
		return FALSE;
	}
	hs->peer.deflate_in = hs->peer.sends_deflate;
	read_leaf_answer(hs, h);
	/* The dialer confirms the upgrade in step 3; without it, plain. */
	if (!gnut_conn_is_tls(hs->conn))
		hs->peer.tls = hs->peer.tls && asks_upgrade(h);
	finish(hs);
	return hs->state == GNUT_HANDSHAKE_SUCCEEDED;
}

/* NULL: nothing to do but wait (a refusal flushing) or nothing left. */
static const step_fn steps[] = {
    [GNUT_HANDSHAKE_SEND_CONNECT] = step_send_connect,
    [GNUT_HANDSHAKE_READ_RESPONSE] = step_read_response,
    [GNUT_HANDSHAKE_SEND_FINAL] = step_send_final,
    [GNUT_HANDSHAKE_READ_CONNECT] = step_read_connect,
    [GNUT_HANDSHAKE_SEND_RESPONSE] = step_send_response,
    [GNUT_HANDSHAKE_READ_FINAL] = step_read_final,
    [GNUT_HANDSHAKE_REFUSING] = NULL,
    [GNUT_HANDSHAKE_TLS] = NULL,
    [GNUT_HANDSHAKE_SUCCEEDED] = NULL,
    [GNUT_HANDSHAKE_FAILED] = NULL,
};

static void on_readable(gnut_conn *conn, gpointer data)
{
	gnut_handshake *hs = data;
	while (steps[hs->state] != NULL && steps[hs->state](hs))
		;
	if (hs->state == GNUT_HANDSHAKE_SUCCEEDED && !hs->reported) {
		g_debug("%s: handshake done (%s, deflate in %d out %d)", hs->peer_address,
		        hs->peer.ultrapeer ? "ultrapeer" : "leaf", hs->peer.deflate_in,
		        hs->peer.deflate_out);
		report(hs);
	}
}

static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	gnut_handshake *hs = data;
	if (is_terminal(hs))
		return;
	if (hs->state != GNUT_HANDSHAKE_REFUSING)
		set_error(hs, 0, FALSE, "connection closed in %s: %s",
		          gnut_handshake_state_name(hs->state), reason->message);
	hs->tls_failed = g_error_matches(reason, GNUT_CONN_ERROR, GNUT_CONN_ERROR_TLS);
	hs->state = GNUT_HANDSHAKE_FAILED;
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	report(hs);
}

/* The peer's IP for Remote-IP, as IPv4 when a dual-stack socket shows it
 * as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
static char *remote_ip_of(gnut_conn *conn)
{
	GInetSocketAddress *sa = gnut_conn_get_remote_address(conn);
	if (sa == NULL)
		return NULL;
	GInetAddress *a = g_inet_socket_address_get_address(sa);
	static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const guint8 *b = g_inet_address_to_bytes(a);
	if (g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV6 || memcmp(b, mapped, 12) != 0)
		return g_inet_address_to_string(a);
	char text[GNUT_ADDR_IPV4_LEN];
	gnut_addr_format_ipv4(gnut_peek_be32(b + 12), text);
	return g_strdup(text);
}

gnut_handshake *gnut_handshake_new(gnut_conn *conn, gnut_handshake_dir dir,
                                   const gnut_handshake_config *config, gnut_handshake_done_fn done,
                                   gpointer user_data)
{
	g_return_val_if_fail(conn != NULL && config != NULL && done != NULL, NULL);
	gnut_handshake *hs = g_new0(gnut_handshake, 1);
	hs->conn = conn;
	hs->ctx = g_main_context_ref_thread_default();
	hs->dir = dir;
	hs->config = *config;
	if (hs->config.clock == NULL)
		hs->config.clock = gnut_clock_system();
	if (hs->config.timeout_s == 0)
		hs->config.timeout_s = GNUT_HANDSHAKE_TIMEOUT_S;
	hs->listen_addr = g_strdup(config->listen_addr);
	hs->config.listen_addr = hs->listen_addr;
	hs->remote_ip = remote_ip_of(conn);
	hs->peer_address = g_strdup(gnut_conn_get_peer(conn));
	hs->done = done;
	hs->user_data = user_data;
	enter(hs, dir == GNUT_HANDSHAKE_OUTGOING ? GNUT_HANDSHAKE_SEND_CONNECT
	                                         : GNUT_HANDSHAKE_READ_CONNECT);
	if (gnut_conn_is_closed(conn)) {
		set_error(hs, 0, FALSE, "connection closed before the handshake");
		abort_link(hs);
		return hs;
	}
	gnut_conn_set_input_cap(conn, HANDSHAKE_INPUT_CAP);
	gnut_conn_set_handlers(conn, on_readable, on_closed, hs);
	/* Only the first write (or the start of TLS) happens here; input (and
	 * so any report) comes from the main loop. */
	if (dir == GNUT_HANDSHAKE_OUTGOING && hs->config.tls_first && can_upgrade(hs)) {
		enter(hs, GNUT_HANDSHAKE_TLS);
		gnut_conn_start_tls(conn, FALSE, hs->config.tls_cert, on_tls_first_ready, hs);
	} else if (dir == GNUT_HANDSHAKE_OUTGOING) {
		step_send_connect(hs);
	}
	return hs;
}

gnut_conn *gnut_handshake_steal_conn(gnut_handshake *hs)
{
	g_return_val_if_fail(hs != NULL, NULL);
	if (hs->state != GNUT_HANDSHAKE_SUCCEEDED || hs->conn == NULL)
		return NULL;
	gnut_conn_set_handlers(hs->conn, NULL, NULL, NULL);
	return g_steal_pointer(&hs->conn);
}

void gnut_handshake_tick(gnut_handshake *hs, gint64 now_us)
{
	g_return_if_fail(hs != NULL);
	if (is_terminal(hs) || now_us < hs->deadline_us)
		return;
	if (hs->state != GNUT_HANDSHAKE_REFUSING)
		set_error(hs, 0, FALSE, "timed out in %s after %u s",
		          gnut_handshake_state_name(hs->state), hs->config.timeout_s);
	/* A peer that never finishes TLS does not speak it. */
	hs->tls_failed = hs->state == GNUT_HANDSHAKE_TLS;
	abort_link(hs);
}

gnut_handshake_state gnut_handshake_get_state(const gnut_handshake *hs)
{
	return hs->state;
}

gnut_handshake_dir gnut_handshake_get_direction(const gnut_handshake *hs)
{
	return hs->dir;
}

const char *gnut_handshake_get_peer_address(const gnut_handshake *hs)
{
	return hs->peer_address;
}

void gnut_handshake_free(gnut_handshake *hs)
{
	if (hs == NULL)
		return;
	if (hs->in_done) {
		hs->free_pending = TRUE;
		return;
	}
	if (hs->report_src != NULL) {
		g_source_destroy(hs->report_src);
		g_clear_pointer(&hs->report_src, g_source_unref);
	}
	if (hs->conn != NULL) {
		gnut_conn_set_handlers(hs->conn, NULL, NULL, NULL);
		g_clear_pointer(&hs->conn, gnut_conn_unref);
	}
	gnut_handshake_peer_clear(&hs->peer);
	g_main_context_unref(hs->ctx);
	g_free(hs->listen_addr);
	g_free(hs->remote_ip);
	g_free(hs->peer_address);
	g_free(hs->error);
	g_free(hs);
}
