/* servent-push.c: transfers with firewalled servents. Downloading from one,
 * we send a PUSH along the link its hit came from and take the connection
 * it opens to us ("GIV index:guid/name"); as a firewalled servent ourselves
 * (--firewalled: the push flag in our hits), we answer a PUSH for us by
 * connecting to the downloader, saying GIV, and serving its request. */
#include "config.h"

#include <string.h>

#include "gnut/core/transfer/filename.h"
#include "gnut/proto/giv.h"
#include "gnut/proto/push.h"
#include "core/servent-private.h"

#define PUSH_TTL       7 /* a push travels the hit's path back: 7 covers any */
#define GIV_WAIT_MS    10000
#define MAX_PUSH_DIALS 8 /* connects for peers' pushes under way at once */

/* The downloads manager wants servent (firewalled) to connect to us. */
void servent_push_request(gnut_downloads *m, const gnut_guid *servent, guint32 index,
                          gpointer user_data)
{
	gnut_servent *s = user_data;
	guint64 link;
	gnut_node *node = NULL;
	if (gnut_router_push_route(s->router, servent, &link))
		node = g_hash_table_lookup(s->nodes, &link);
	if (node == NULL || s->public_ipv4 == 0) {
		g_message("cannot push to a firewalled source: %s",
		          node == NULL ? "no route to it" : "our address is not known");
		return; /* the download's wait for a GIV runs out */
	}
	gnut_push push = {
	    .servent = *servent,
	    .file_index = index,
	    .ipv4 = s->public_ipv4,
	    .port = s->listen_port,
	};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_push_encode(payload, &push);
	gnut_guid guid;
	gnut_guid_generate(&guid);
	gnut_router_note_own(s->router, &guid, GNUT_MSG_PUSH);
	gnut_node_send_msg(node, &guid, GNUT_MSG_PUSH, PUSH_TTL, 0, payload->data, payload->len,
	                   GNUT_PRIO_CONTROL);
}

/* ---- a GIV arriving on our listening port ---- */

typedef struct {
	gnut_servent *servent;
	gnut_conn *conn;
	GSource *deadline;
} giv_reader;

static void giv_reader_free(giv_reader *r)
{
	g_source_destroy(r->deadline);
	g_source_unref(r->deadline);
	g_ptr_array_remove_fast(r->servent->giv_readers, r);
	g_free(r);
}

/* Ends the wait for a GIV block: the connection goes to a download, or is
 * closed. */
static void giv_finish(giv_reader *r, const gnut_giv *giv, const char *error)
{
	gnut_conn *conn = r->conn;
	gnut_servent *s = r->servent;
	gnut_conn_set_handlers(conn, NULL, NULL, NULL);
	giv_reader_free(r);
	if (error == NULL && gnut_downloads_take_giv(s->downloads, conn, &giv->servent, giv->index))
		return;
	servent_log_bad_input(s, "GIV from %s refused: %s", gnut_conn_get_peer(conn),
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
void servent_take_giv(gnut_servent *s, gnut_conn *conn)
{
	giv_reader *r = g_new0(giv_reader, 1);
	r->servent = s;
	r->conn = conn;
	r->deadline = g_timeout_source_new(GIV_WAIT_MS);
	g_source_set_callback(r->deadline, on_giv_deadline, r, NULL);
	g_source_attach(r->deadline, g_main_context_get_thread_default());
	g_ptr_array_add(s->giv_readers, r);
	gnut_conn_set_input_cap(conn, GNUT_GIV_MAX_LINE + 4);
	gnut_conn_set_handlers(conn, on_giv_readable, on_giv_closed, r);
}

/* The servent is going away: drop the connections still saying GIV. */
void servent_push_free(gnut_servent *s)
{
	while (s->giv_readers->len > 0) {
		giv_reader *r = g_ptr_array_index(s->giv_readers, 0);
		gnut_conn *conn = r->conn;
		gnut_conn_set_handlers(conn, NULL, NULL, NULL);
		giv_reader_free(r);
		gnut_conn_unref(conn);
	}
	g_ptr_array_unref(s->giv_readers);
}

/* ---- a PUSH for us: connect back and serve ---- */

typedef struct {
	guint32 index;
	char *name;
} push_job;

static void on_push_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	push_job *job = NULL;
	gnut_servent *s = servent_ticket_redeem(user_data, (gpointer *)&job);
	if (s != NULL)
		s->push_dials--;
	if (s == NULL || s->stopped || conn == NULL) {
		if (s != NULL && conn == NULL)
			g_message("cannot connect back for a push: %s", error->message);
		if (conn != NULL)
			gnut_conn_unref(conn);
	} else {
		g_autoptr(GByteArray) giv = g_byte_array_new();
		gnut_giv_format(giv, job->index, &s->guid, job->name);
		gnut_conn_write_raw(conn, giv->data, giv->len);
		gnut_uploads_take(s->uploads, conn); /* its GET comes next */
	}
	g_free(job->name);
	g_free(job);
}

/* A PUSH the router delivered to us: the downloader behind it waits for our
 * GIV. Only for a file we share, and a bounded number at once, so pushes
 * cannot make us dial arbitrary hosts at will. */
void servent_push_received(gnut_servent *s, const gnut_msg_header *h, const guint8 *payload)
{
	gnut_push push;
	if (gnut_push_decode(payload, h->length, &push) != GNUT_PROTO_OK || push.port == 0 ||
	    push.ipv4 == 0) {
		servent_log_bad_input(s, "bad push dropped");
		return;
	}
	g_autoptr(gnut_shared_file) f = gnut_share_by_index(s->share, push.file_index);
	if (f == NULL || s->push_dials >= MAX_PUSH_DIALS)
		return;
	char ip[SERVENT_IPV4_LEN];
	servent_ipv4_format(push.ipv4, ip);
	g_autofree char *addr = g_strdup_printf("%s:%u", ip, push.port);
	push_job *job = g_new0(push_job, 1);
	job->index = f->index;
	/* The name in a GIV only informs: a sanitised one keeps the line valid. */
	job->name = gnut_filename_sanitize(f->name, -1);
	s->push_dials++;
	g_message("push for \"%s\": connecting back to %s", f->name, addr);
	gnut_conn_connect_async(addr, push.port, GNUT_SERVENT_DIAL_TIMEOUT_S, s->cancel,
	                        on_push_connected, servent_ticket_new(s, job));
}
