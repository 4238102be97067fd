/* push-service.c: transfers with firewalled servents (see push-service.h).
 * Downloading from one, the owner sends a PUSH along the link its hit came
 * from and the servent's connection arrives here ("GIV index:guid/name");
 * as a firewalled servent ourselves (--firewalled: the push flag in our
 * hits), we answer a PUSH for us by connecting to the downloader, saying
 * GIV, and serving its request. Connects run under one GCancellable,
 * cancelled when the service stops, so their callbacks never see it freed.
 * Which pushes we answer is decided by gnut_push_service_admit: the dial
 * rule, a table of recent connect-backs by (address, port, file) for
 * merging, and two sliding windows (ip-rate.h) for the caps. */
#include "config.h"

#include "gnut/core/transfer/push-service.h"

#include "gnut/base/ip-rate.h"
#include "gnut/core/transfer/filename.h"
#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "gnut/proto/giv.h"
#include "gnut/proto/push.h"

#define OVERALL_KEY 0 /* the one key of the total cap's table */

/* A connect-back under way or done lately, by what a repeat would ask. */
typedef struct {
	guint32 ip;
	guint16 port;
	guint32 index;
} dial_key;

typedef struct {
	dial_key key;
	gint64 started_us;
	gboolean under_way;
} recent_dial;

struct gnut_push_service {
	gnut_push_service_config config; /* the caps with their defaults filled in */
	GCancellable *cancel;
	GPtrArray *giv_readers; /* giv_reader*: connections that must say GIV */
	guint dials;            /* connects for peers' pushes under way */
	gint64 window_us;
	gnut_ip_rate *per_ip;  /* connect-backs by target IP */
	gnut_ip_rate *overall; /* all connect-backs, under OVERALL_KEY */
	GHashTable *recent;    /* dial_key -> recent_dial (owned): for merging */
	gnut_push_stats stats;
};

static guint dial_key_hash(gconstpointer k)
{
	const dial_key *d = k;
	return d->ip * 2654435761u ^ (guint)d->port << 16 ^ d->index * 40503u;
}

static gboolean dial_key_equal(gconstpointer a, gconstpointer b)
{
	const dial_key *x = a, *y = b;
	return x->ip == y->ip && x->port == y->port && x->index == y->index;
}

gnut_push_service *gnut_push_service_new(const gnut_push_service_config *config)
{
	gnut_push_service *p = g_new0(gnut_push_service, 1);
	p->config = *config;
	gnut_push_service_config *c = &p->config;
	if (c->clock == NULL)
		c->clock = gnut_clock_system();
	c->max_dials = c->max_dials ? c->max_dials : GNUT_PUSH_MAX_DIALS;
	c->max_per_ip = c->max_per_ip ? c->max_per_ip : GNUT_PUSH_MAX_PER_IP;
	c->max_total = c->max_total ? c->max_total : GNUT_PUSH_MAX_TOTAL;
	c->window_s = c->window_s ? c->window_s : GNUT_PUSH_WINDOW_S;
	p->window_us = (gint64)c->window_s * G_USEC_PER_SEC;
	p->cancel = g_cancellable_new();
	p->giv_readers = g_ptr_array_new();
	/* Only dials are noted, at most max_total per window: with that many
	 * keys, no IP is forgotten within its window. */
	p->per_ip = gnut_ip_rate_new(c->clock, MIN(c->max_per_ip, GNUT_IP_RATE_MAX_EVENTS),
	                             p->window_us, MAX(c->max_total, GNUT_PUSH_RATE_KEYS));
	p->overall =
	    gnut_ip_rate_new(c->clock, MIN(c->max_total, GNUT_IP_RATE_MAX_EVENTS), p->window_us, 1);
	p->recent = g_hash_table_new_full(dial_key_hash, dial_key_equal, NULL, g_free);
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
	gnut_ip_rate_free(p->per_ip);
	gnut_ip_rate_free(p->overall);
	g_hash_table_unref(p->recent);
	g_free(p);
}

/* ---- a PUSH for us: which ones we answer ---- */

static gboolean recent_dial_expired(gpointer key, gpointer value, gpointer data)
{
	const recent_dial *r = value;
	const gint64 *oldest_us = data;
	return !r->under_way && r->started_us < *oldest_us;
}

/* Why merge: a downloader repeats its push when no GIV came (and a hostile
 * peer repeats it on purpose); one connection answers them all. The table
 * holds dials of the last window and those under way, so it is bounded by
 * the caps (at most max_total per window). */
static gboolean merge_with_recent(gnut_push_service *p, const dial_key *key)
{
	gint64 oldest_us = gnut_clock_now_us(p->config.clock) - p->window_us;
	g_hash_table_foreach_remove(p->recent, recent_dial_expired, &oldest_us);
	return g_hash_table_contains(p->recent, key);
}

static gnut_push_verdict admit(gnut_push_service *p, const dial_key *key)
{
	if (gnut_dial_check_ipv4(key->ip, key->port, p->config.allow_local) != GNUT_DIAL_OK)
		return GNUT_PUSH_REFUSED_ADDRESS;
	if (merge_with_recent(p, key))
		return GNUT_PUSH_MERGED;
	if (!gnut_ip_rate_allows(p->per_ip, key->ip))
		return GNUT_PUSH_REFUSED_IP_RATE;
	if (!gnut_ip_rate_allows(p->overall, OVERALL_KEY))
		return GNUT_PUSH_REFUSED_RATE;
	if (p->dials >= p->config.max_dials)
		return GNUT_PUSH_REFUSED_BUSY;
	return GNUT_PUSH_DIAL;
}

/* Counts the verdict; a DIAL is noted everywhere it is capped. */
static void count(gnut_push_service *p, const dial_key *key, gnut_push_verdict v)
{
	gnut_push_stats *st = &p->stats;
	switch (v) {
	case GNUT_PUSH_DIAL: {
		recent_dial *r = g_new0(recent_dial, 1);
		r->key = *key;
		r->started_us = gnut_clock_now_us(p->config.clock);
		r->under_way = TRUE;
		g_hash_table_replace(p->recent, &r->key, r);
		gnut_ip_rate_note(p->per_ip, key->ip);
		gnut_ip_rate_note(p->overall, OVERALL_KEY);
		p->dials++;
		st->dialed++;
		break;
	}
	case GNUT_PUSH_REFUSED_ADDRESS:
		st->refused_address++;
		break;
	case GNUT_PUSH_MERGED:
		st->merged++;
		break;
	case GNUT_PUSH_REFUSED_IP_RATE:
		st->refused_ip_rate++;
		break;
	case GNUT_PUSH_REFUSED_RATE:
		st->refused_rate++;
		break;
	case GNUT_PUSH_REFUSED_BUSY:
		st->refused_busy++;
		break;
	}
}

gnut_push_verdict gnut_push_service_admit(gnut_push_service *p, guint32 ip, guint16 port,
                                          guint32 index)
{
	dial_key key = {.ip = ip, .port = port, .index = index};
	gnut_push_verdict v = admit(p, &key);
	count(p, &key, v);
	return v;
}

const char *gnut_push_verdict_name(gnut_push_verdict v)
{
	switch (v) {
	case GNUT_PUSH_DIAL:
		return "dial";
	case GNUT_PUSH_REFUSED_ADDRESS:
		return "address refused";
	case GNUT_PUSH_MERGED:
		return "merged with an earlier one";
	case GNUT_PUSH_REFUSED_IP_RATE:
		return "too many to this address";
	case GNUT_PUSH_REFUSED_RATE:
		return "too many in all";
	case GNUT_PUSH_REFUSED_BUSY:
		return "too many under way";
	}
	return "?";
}

void gnut_push_service_get_stats(const gnut_push_service *p, gnut_push_stats *out)
{
	*out = p->stats;
}

/* ---- a PUSH for us: connect back and serve ---- */

typedef struct {
	gnut_push_service *service;
	dial_key key; /* the file index is key.index */
	char *name;
} push_job;

static void push_job_free(push_job *job)
{
	g_free(job->name);
	g_free(job);
}

/* The connect is over: it stays in the merging table for the window. */
static void dial_ended(gnut_push_service *p, const dial_key *key)
{
	recent_dial *r = g_hash_table_lookup(p->recent, key);
	if (r != NULL)
		r->under_way = FALSE;
	p->dials--;
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
	dial_ended(p, &job->key);
	if (conn == NULL) {
		g_message("cannot connect back for a push: %s", error->message);
	} else {
		g_autoptr(GByteArray) giv = g_byte_array_new();
		gnut_giv_format(giv, job->key.index, &p->config.guid, job->name);
		gnut_conn_write_raw(conn, giv->data, giv->len);
		gnut_uploads_take(p->config.uploads, conn); /* its GET comes next */
	}
	push_job_free(job);
}

/* A PUSH the router delivered to us: the downloader behind it waits for our
 * GIV. Only for a file we share, and only as gnut_push_service_admit allows,
 * so that pushes cannot make us dial arbitrary hosts at will. */
void gnut_push_service_received(gnut_push_service *p, const gnut_msg_header *h,
                                const guint8 *payload)
{
	gnut_push push;
	p->stats.received++;
	if (gnut_push_decode(payload, h->length, &push) != GNUT_PROTO_OK) {
		p->stats.malformed++;
		gnut_log_limited(p->config.bad_log, "bad push dropped");
		return;
	}
	/* Index 0 names no file: a push proxy's Push (doc/gnutella/push_proxy),
	 * answered with "GIV 0:<guid>/" and whatever the downloader asks. */
	g_autoptr(gnut_shared_file) f =
	    push.file_index != 0 ? gnut_share_by_index(p->config.share, push.file_index) : NULL;
	if (f == NULL && push.file_index != 0) {
		p->stats.not_shared++;
		return;
	}
	if (g_cancellable_is_cancelled(p->cancel))
		return;
	const char *name = f != NULL ? f->name : "";
	char addr[GNUT_ADDR_IPV4_PORT_LEN];
	gnut_addr_format_ipv4_port(push.ipv4, push.port, addr);
	gnut_push_verdict v = gnut_push_service_admit(p, push.ipv4, push.port, push.file_index);
	if (v != GNUT_PUSH_DIAL) {
		gnut_log_limited(p->config.bad_log, "push to %s for \"%s\" refused: %s", addr, name,
		                 gnut_push_verdict_name(v));
		return;
	}
	push_job *job = g_new0(push_job, 1);
	job->service = p;
	job->key = (dial_key){.ip = push.ipv4, .port = push.port, .index = push.file_index};
	/* The name in a GIV only informs: a sanitised one keeps the line valid. */
	job->name = f != NULL ? gnut_filename_sanitize(name, -1) : g_strdup("");
	g_message("push for \"%s\": connecting back to %s", name, addr);
	gnut_conn_connect_async(addr, push.port, GNUT_PUSH_DIAL_TIMEOUT_S, p->cancel,
	                        on_push_connected, job);
}
