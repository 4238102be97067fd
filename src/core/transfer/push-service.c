/* push-service.c: transfers with firewalled servents (see push-service.h).
 * Downloading from one, the owner sends a PUSH along the link its hit came
 * from and the servent's connection arrives here ("GIV index:guid/name");
 * as a firewalled servent ourselves (--firewalled: the push flag in our
 * hits), we answer a PUSH for us by connecting to the downloader, saying
 * GIV, and serving its request. Connects run under one GCancellable,
 * cancelled when the service stops, so their callbacks never see it freed. */
#include "config.h"

#include "gnut/core/transfer/push-service.h"

#include "gnut/core/transfer/filename.h"
#include "gnut/proto/address.h"
#include "gnut/proto/giv.h"
#include "gnut/proto/push.h"

struct gnut_push_service {
	gnut_push_service_config config;
	GCancellable *cancel;
	GPtrArray *giv_readers; /* giv_reader*: connections that must say GIV */
	guint dials;            /* connects for peers' pushes under way */
};

gnut_push_service *gnut_push_service_new(const gnut_push_service_config *config)
{
	gnut_push_service *p = g_new0(gnut_push_service, 1);
	p->config = *config;
	p->cancel = g_cancellable_new();
	p->giv_readers = g_ptr_array_new();
	return p;
}

void gnut_push_service_stop(gnut_push_service *p)
{
	g_cancellable_cancel(p->cancel);
}

/* ---- a GIV arriving on our listening port ---- */

typedef struct {
	gnut_push_service *service;
	gnut_conn *conn;
	GSource *deadline;
} giv_reader;

static void giv_reader_free(giv_reader *r)
{
	g_source_destroy(r->deadline);
	g_source_unref(r->deadline);
	g_ptr_array_remove_fast(r->service->giv_readers, r);
	g_free(r);
}

/* Ends the wait for a GIV block: the connection goes to a download, or is
 * closed. */
static void giv_finish(giv_reader *r, const gnut_giv *giv, const char *error)
{
	gnut_conn *conn = r->conn;
	gnut_push_service *p = r->service;
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	giv_reader_free(r);
	if (error == NULL &&
	    gnut_downloads_take_giv(p->config.downloads, conn, &giv->servent, giv->index))
		return;
	gnut_log_limited(p->config.bad_log, "GIV from %s refused: %s", gnut_conn_get_peer(conn),
	                 error ? error : "no download waits for it");
	gnut_conn_close(conn, NULL);
	gnut_conn_unref(conn);
}

static void on_giv_readable(gnut_conn *conn, gpointer data)
{
	giv_reader *r = data;
	gsize len;
	const guint8 *buf = gnut_conn_peek_input(conn, &len);
	size_t block = 0;
	gnut_proto_err err = gnut_giv_scan(buf, len, &block);
	if (err == GNUT_PROTO_ERR_TRUNCATED)
		return;
	gnut_giv giv;
	if (err == GNUT_PROTO_OK)
		err = gnut_giv_parse_block(buf, block, &giv);
	if (err == GNUT_PROTO_OK)
		gnut_conn_consume_input(conn, block);
	giv_finish(r, &giv, err == GNUT_PROTO_OK ? NULL : gnut_proto_strerror(err));
}

static void on_giv_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	giv_finish(data, NULL, reason->message);
}

static gboolean on_giv_deadline(gpointer data)
{
	giv_finish(data, NULL, "no GIV line in time");
	return G_SOURCE_REMOVE;
}

/* Reads a GIV block ("GIV index:guid/name" and an empty line) from a
 * connection the listener dispatched, within GIV_WAIT_MS. */
void gnut_push_service_take_giv(gnut_push_service *p, gnut_conn *conn)
{
	giv_reader *r = g_new0(giv_reader, 1);
	r->service = p;
	r->conn = conn;
	r->deadline = g_timeout_source_new(GNUT_PUSH_GIV_WAIT_MS);
	g_source_set_callback(r->deadline, on_giv_deadline, r, NULL);
	g_source_attach(r->deadline, g_main_context_get_thread_default());
	g_ptr_array_add(p->giv_readers, r);
	gnut_conn_set_input_cap(conn, GNUT_GIV_MAX_LINE + 4);
	gnut_conn_set_handlers(conn, on_giv_readable, on_giv_closed, r);
}

void gnut_push_service_free(gnut_push_service *p)
{
	if (p == NULL)
		return;
	gnut_push_service_stop(p);
	while (p->giv_readers->len > 0) {
		giv_reader *r = g_ptr_array_index(p->giv_readers, 0);
		gnut_conn *conn = r->conn;
		gnut_conn_set_handlers(conn, NULL, NULL, NULL);
		giv_reader_free(r);
		gnut_conn_unref(conn);
	}
	g_ptr_array_unref(p->giv_readers);
	g_object_unref(p->cancel);
	g_free(p);
}

/* ---- a PUSH for us: connect back and serve ---- */

typedef struct {
	gnut_push_service *service;
	guint32 index;
	char *name;
} push_job;

static void push_job_free(push_job *job)
{
	g_free(job->name);
	g_free(job);
}

static void on_push_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	push_job *job = user_data;
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		push_job_free(job); /* the service stopped: it may be gone */
		return;
	}
	gnut_push_service *p = job->service;
	p->dials--;
	if (conn == NULL) {
		g_message("cannot connect back for a push: %s", error->message);
	} else {
		g_autoptr(GByteArray) giv = g_byte_array_new();
		gnut_giv_format(giv, job->index, &p->config.guid, job->name);
		gnut_conn_write_raw(conn, giv->data, giv->len);
		gnut_uploads_take(p->config.uploads, conn); /* its GET comes next */
	}
	push_job_free(job);
}

/* A PUSH the router delivered to us: the downloader behind it waits for our
 * GIV. Only for a file we share, and a bounded number at once, so pushes
 * cannot make us dial arbitrary hosts at will. */
void gnut_push_service_received(gnut_push_service *p, const gnut_msg_header *h,
                                const guint8 *payload)
{
	gnut_push push;
	if (gnut_push_decode(payload, h->length, &push) != GNUT_PROTO_OK || push.port == 0 ||
	    push.ipv4 == 0) {
		gnut_log_limited(p->config.bad_log, "bad push dropped");
		return;
	}
	g_autoptr(gnut_shared_file) f = gnut_share_by_index(p->config.share, push.file_index);
	if (f == NULL || p->dials >= GNUT_PUSH_MAX_DIALS || g_cancellable_is_cancelled(p->cancel))
		return;
	char addr[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(push.ipv4, push.port, addr);
	push_job *job = g_new0(push_job, 1);
	job->service = p;
	job->index = f->index;
	/* The name in a GIV only informs: a sanitised one keeps the line valid. */
	job->name = gnut_filename_sanitize(f->name, -1);
	p->dials++;
	g_message("push for \"%s\": connecting back to %s", f->name, addr);
	gnut_conn_connect_async(addr, push.port, GNUT_PUSH_DIAL_TIMEOUT_S, p->cancel,
	                        on_push_connected, job);
}
