/* thex-fetch.c: fetching a source's Tiger tree over HTTP (thex-fetch.h).
 *
 * The fetch is one connection, one GET, "Connection: close": the answer's
 * head and body must fit the input cap (a head, then at most
 * GNUT_THEX_ANSWER_MAX bytes announced by Content-Length), and everything
 * is read before the tree is decoded and verified in one go. */
#define G_LOG_DOMAIN "gnut-thex"

#include "config.h"

#include "gnut/core/transfer/thex-fetch.h"

#include <string.h>

#include "gnut/net/conn.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-status.h"
#include "gnut/proto/thex-answer.h"

#define ANSWER_CAP (GNUT_HEAD_MAX_SIZE + GNUT_THEX_ANSWER_MAX)

typedef struct {
	GTask *task;
	gnut_conn *conn;
	GSource *timeout;
	GSource *cancelled;
	char *path;
	char host[GNUT_ADDR_IPV4_PORT_LEN];
	guint64 file_size;
	uint8_t root[GNUT_TIGER_LEN];
} fetch_job;

static void job_free(fetch_job *job)
{
	if (job->conn != NULL) {
		gnut_conn_set_handlers(job->conn, NULL, NULL, NULL);
		gnut_conn_close(job->conn, NULL);
		gnut_conn_unref(job->conn);
	}
	if (job->timeout != NULL) {
		g_source_destroy(job->timeout);
		g_source_unref(job->timeout);
	}
	if (job->cancelled != NULL) {
		g_source_destroy(job->cancelled);
		g_source_unref(job->cancelled);
	}
	g_object_unref(job->task);
	g_free(job->path);
	g_free(job);
}

/* Ends the job with level (taken) or an error. */
static void finish(fetch_job *job, gnut_thex_level *level, GError *error)
{
	if (level != NULL)
		g_task_return_pointer(job->task, level, (GDestroyNotify)gnut_thex_level_free);
	else
		g_task_return_error(job->task, error);
	job_free(job);
}

static void fail(fetch_job *job, GIOErrorEnum code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void fail(fetch_job *job, GIOErrorEnum code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	finish(job, NULL, g_error_new(G_IO_ERROR, code, "THEX from %s: %s", job->host, msg));
}

/* The body length a complete head announces, or FALSE after failing job. */
static gboolean answer_length(fetch_job *job, const gnut_head *head, gsize *len)
{
	gnut_http_status st;
	if (gnut_http_parse_status_line(gnut_head_start_line(head), &st) != GNUT_PROTO_OK) {
		fail(job, G_IO_ERROR_INVALID_DATA, "bad status line");
		return FALSE;
	}
	if (st.code != GNUT_HTTP_OK) {
		fail(job, G_IO_ERROR_NOT_FOUND, "status %u", st.code);
		return FALSE;
	}
	const char *cl = gnut_head_get(head, "Content-Length");
	guint64 n = 0;
	if (gnut_head_get(head, "Transfer-Encoding") != NULL || cl == NULL ||
	    !g_ascii_string_to_unsigned(cl, 10, 0, GNUT_THEX_ANSWER_MAX, &n, NULL)) {
		fail(job, G_IO_ERROR_INVALID_DATA, "no Content-Length up to %u bytes",
		     GNUT_THEX_ANSWER_MAX);
		return FALSE;
	}
	*len = (gsize)n;
	return TRUE;
}

static void on_answer(gnut_conn *conn, gpointer data)
{
	fetch_job *job = data;
	gsize len = 0, head_len = 0, body_len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	gnut_proto_err e = gnut_head_scan(in, len, &head_len);
	if (e == GNUT_PROTO_ERR_TRUNCATED)
		return; /* the input cap bounds the wait */
	g_autoptr(gnut_head) head = NULL;
	if (e != GNUT_PROTO_OK || gnut_head_parse(in, head_len, &head) != GNUT_PROTO_OK) {
		fail(job, G_IO_ERROR_INVALID_DATA, "bad answer head");
		return;
	}
	if (!answer_length(job, head, &body_len))
		return;
	if (len - head_len < body_len)
		return; /* more to come */
	gnut_thex_level *level = NULL;
	e = gnut_thex_answer_parse(in + head_len, body_len, job->file_size, job->root, &level);
	if (e != GNUT_PROTO_OK) {
		fail(job, G_IO_ERROR_INVALID_DATA, "tree refused: %s", gnut_proto_strerror(e));
		return;
	}
	g_debug("THEX from %s: %zu nodes at depth %u", job->host, level->n_nodes, level->depth);
	finish(job, level, NULL);
}

static void on_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	fail(data, G_IO_ERROR_CONNECTION_CLOSED, "closed before the whole answer: %s",
	     reason->message);
}

static gboolean on_timeout(gpointer data)
{
	fail(data, G_IO_ERROR_TIMED_OUT, "no answer within %u s", GNUT_THEX_FETCH_TIMEOUT_S);
	return G_SOURCE_REMOVE;
}

static gboolean on_cancelled(GCancellable *cancellable, gpointer data)
{
	fail(data, G_IO_ERROR_CANCELLED, "cancelled");
	return G_SOURCE_REMOVE;
}

static void send_request(fetch_job *job)
{
	g_autoptr(gnut_head) h = gnut_http_new_request("GET", job->path);
	gnut_head_add(h, "Host", job->host);
	gnut_head_add(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
	gnut_head_add(h, "Connection", "close");
	g_autoptr(GString) text = gnut_head_serialize(h);
	gnut_conn_write_raw(job->conn, text->str, text->len);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
	fetch_job *job = data;
	GError *error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	if (conn == NULL) {
		finish(job, NULL, error); /* a cancel is reported here too */
		return;
	}
	job->conn = conn;
	gnut_conn_set_input_cap(conn, ANSWER_CAP);
	send_request(job);
	GMainContext *ctx = g_main_context_get_thread_default();
	job->timeout = g_timeout_source_new_seconds(GNUT_THEX_FETCH_TIMEOUT_S);
	g_source_set_callback(job->timeout, on_timeout, job, NULL);
	g_source_attach(job->timeout, ctx);
	GCancellable *cancel = g_task_get_cancellable(job->task);
	if (cancel != NULL) {
		job->cancelled = g_cancellable_source_new(cancel);
		g_source_set_callback(job->cancelled, G_SOURCE_FUNC(on_cancelled), job, NULL);
		g_source_attach(job->cancelled, ctx);
	}
	gnut_conn_set_handlers(conn, on_answer, on_closed, job);
}

void gnut_thex_fetch_async(uint32_t ip, guint16 port, const char *path, guint64 file_size,
                           const uint8_t root[GNUT_TIGER_LEN], gboolean allow_local,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
	g_return_if_fail(path != NULL && root != NULL);
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	g_task_set_source_tag(task, gnut_thex_fetch_async);
	if (gnut_dial_check_ipv4(ip, port, allow_local) != GNUT_DIAL_OK) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		                        "THEX: may not dial that address");
		g_object_unref(task);
		return;
	}
	fetch_job *job = g_new0(fetch_job, 1);
	job->task = task;
	job->path = g_strdup(path);
	job->file_size = file_size;
	memcpy(job->root, root, GNUT_TIGER_LEN);
	gnut_addr_format_ipv4_port(ip, port, job->host);
	gnut_conn_connect_async(job->host, 0, GNUT_THEX_FETCH_TIMEOUT_S, cancellable, on_connected,
	                        job);
}

gnut_thex_level *gnut_thex_fetch_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
