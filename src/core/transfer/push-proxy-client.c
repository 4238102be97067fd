/* push-proxy-client.c: asking a firewalled servent's push proxies to push
 * it for us (see push-proxy-client.h). One job per push: it walks the
 * proxies, one connection at a time, and falls back to the owner's routed
 * push when none accepted. */
#include "config.h"

#include "gnut/core/transfer/push-proxy-client.h"

#include "gnut/net/conn.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/http-status.h"

#define ANSWER_CAP 4096 /* bytes of a proxy's answer head we read at most */

struct gnut_proxy_client {
	gboolean allow_local;
	gnut_proxy_client_fallback_fn fallback;
	gpointer fallback_data;
	GCancellable *cancel; /* of every connect */
	GHashTable *jobs;     /* proxy_job set: those under way */
	guint64 accepted;
	guint64 failed;
};

typedef struct {
	gnut_proxy_client *client;
	GCancellable *cancel; /* the client's, referenced: a late connect sees it */
	gnut_push_proxies proxies;
	unsigned next; /* proxies[next] is tried after the current one */
	gnut_guid servent;
	guint32 index;
	uint32_t ipv4;
	guint16 port;
	gnut_conn *conn;  /* while waiting for the answer */
	GSource *timeout; /* of the answer */
} proxy_job;

gnut_proxy_client *gnut_proxy_client_new(gboolean allow_local,
                                         gnut_proxy_client_fallback_fn fallback, gpointer data)
{
	gnut_proxy_client *c = g_new0(gnut_proxy_client, 1);
	c->allow_local = allow_local;
	c->fallback = fallback;
	c->fallback_data = data;
	c->cancel = g_cancellable_new();
	c->jobs = g_hash_table_new(NULL, NULL);
	return c;
}

/* Closes the job's connection without callbacks. */
static void drop_conn(proxy_job *job)
{
	if (job->timeout != NULL) {
		g_source_destroy(job->timeout);
		g_clear_pointer(&job->timeout, g_source_unref);
	}
	if (job->conn == NULL)
		return;
	gnut_conn_set_handlers(job->conn, NULL, NULL, NULL);
	gnut_conn_close(job->conn, NULL);
	g_clear_pointer(&job->conn, gnut_conn_unref);
}

static void job_free(proxy_job *job)
{
	drop_conn(job);
	g_object_unref(job->cancel);
	g_free(job);
}

void gnut_proxy_client_free(gnut_proxy_client *c)
{
	if (c == NULL)
		return;
	g_cancellable_cancel(c->cancel);
	/* Jobs connecting free themselves when their connect reports the
	 * cancel; those waiting for an answer end here. */
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, c->jobs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		proxy_job *job = key;
		job->client = NULL;
		if (job->conn != NULL)
			job_free(job);
	}
	g_hash_table_unref(c->jobs);
	g_object_unref(c->cancel);
	g_free(c);
}

static void try_next(proxy_job *job);

/* The current proxy failed or accepted: the job ends or moves on. */
static void proxy_done(proxy_job *job, gboolean accepted)
{
	gnut_proxy_client *c = job->client;
	drop_conn(job);
	if (!accepted) {
		c->failed++;
		try_next(job);
		return;
	}
	c->accepted++;
	g_hash_table_remove(c->jobs, job);
	job_free(job);
}

static void on_answer(gnut_conn *conn, gpointer data)
{
	proxy_job *job = data;
	gsize len = 0, head_len = 0;
	const guint8 *in = gnut_conn_peek_input(conn, &len);
	gnut_proto_err e = gnut_head_scan(in, len, &head_len);
	if (e == GNUT_PROTO_ERR_TRUNCATED && len < ANSWER_CAP)
		return;
	g_autoptr(gnut_head) head = NULL;
	gnut_http_status st = {0};
	if (e == GNUT_PROTO_OK && gnut_head_parse(in, head_len, &head) == GNUT_PROTO_OK)
		e = gnut_http_parse_status_line(gnut_head_start_line(head), &st);
	else
		e = GNUT_PROTO_ERR_MALFORMED;
	g_message("push proxy %s: %s", gnut_conn_get_peer(conn),
	          e == GNUT_PROTO_OK ? gnut_head_start_line(head) : "bad answer");
	proxy_done(job, e == GNUT_PROTO_OK && st.code == GNUT_HTTP_ACCEPTED);
}

static void on_conn_closed(gnut_conn *conn, const GError *reason, gpointer data)
{
	proxy_job *job = data;
	g_message("push proxy %s: closed without an answer: %s", gnut_conn_get_peer(conn),
	          reason->message);
	proxy_done(job, FALSE);
}

static gboolean on_timeout(gpointer data)
{
	proxy_job *job = data;
	g_message("push proxy %s: no answer in time", gnut_conn_get_peer(job->conn));
	g_clear_pointer(&job->timeout, g_source_unref); /* it ends by returning REMOVE */
	proxy_done(job, FALSE);
	return G_SOURCE_REMOVE;
}

/* The request: the specification's target, X-Node for the GIV. */
static void send_request(proxy_job *job)
{
	g_autofree char *target = gnut_push_proxy_format_target(&job->servent);
	g_autoptr(gnut_head) h = gnut_http_new_request("GET", target);
	char node[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(job->ipv4, job->port, node);
	gnut_head_add(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
	gnut_head_add(h, "X-Node", node);
	gnut_head_add(h, "Connection", "close");
	g_autoptr(GString) text = gnut_head_serialize(h);
	gnut_conn_write_raw(job->conn, text->str, text->len);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
	proxy_job *job = data;
	g_autoptr(GError) error = NULL;
	gnut_conn *conn = gnut_conn_connect_finish(res, &error);
	if (g_cancellable_is_cancelled(job->cancel)) {
		if (conn != NULL)
			gnut_conn_unref(conn);
		job_free(job); /* the client is gone */
		return;
	}
	if (conn == NULL) {
		g_message("push proxy: cannot connect: %s", error->message);
		proxy_done(job, FALSE);
		return;
	}
	job->conn = conn;
	gnut_conn_set_input_cap(conn, ANSWER_CAP);
	send_request(job);
	job->timeout = g_timeout_source_new_seconds(GNUT_PROXY_CLIENT_TIMEOUT_S);
	g_source_set_callback(job->timeout, on_timeout, job, NULL);
	g_source_attach(job->timeout, g_main_context_get_thread_default());
	gnut_conn_set_handlers(conn, on_answer, on_conn_closed, job);
}

/* Connects to the next proxy the dial rule allows; with none left, the
 * owner's fallback. */
static void try_next(proxy_job *job)
{
	gnut_proxy_client *c = job->client;
	while (job->next < job->proxies.count) {
		const gnut_push_proxy *p = &job->proxies.addr[job->next++];
		if (gnut_dial_check_ipv4(p->ipv4, p->port, c->allow_local) != GNUT_DIAL_OK) {
			c->failed++;
			continue;
		}
		char addr[GNUT_ADDR_IPV4_PORT_LEN];
		gnut_addr_format_ipv4_port(p->ipv4, p->port, addr);
		g_message("asking push proxy %s for a push", addr);
		gnut_conn_connect_async(addr, p->port, GNUT_PROXY_CLIENT_TIMEOUT_S, c->cancel,
		                        on_connected, job);
		return;
	}
	g_hash_table_remove(c->jobs, job);
	gnut_guid servent = job->servent;
	guint32 index = job->index;
	job_free(job);
	c->fallback(&servent, index, c->fallback_data);
}

void gnut_proxy_client_push(gnut_proxy_client *c, const gnut_push_proxies *proxies,
                            const gnut_guid *servent, guint32 index, uint32_t ipv4, guint16 port)
{
	g_return_if_fail(c != NULL && proxies != NULL && servent != NULL);
	if (g_hash_table_size(c->jobs) >= GNUT_PROXY_CLIENT_MAX_JOBS || proxies->count == 0) {
		c->fallback(servent, index, c->fallback_data);
		return;
	}
	proxy_job *job = g_new0(proxy_job, 1);
	job->client = c;
	job->cancel = g_object_ref(c->cancel);
	job->proxies = *proxies;
	job->servent = *servent;
	job->index = index;
	job->ipv4 = ipv4;
	job->port = port;
	g_hash_table_add(c->jobs, job);
	try_next(job);
}

guint64 gnut_proxy_client_accepted(const gnut_proxy_client *c)
{
	return c->accepted;
}

guint64 gnut_proxy_client_failed(const gnut_proxy_client *c)
{
	return c->failed;
}
