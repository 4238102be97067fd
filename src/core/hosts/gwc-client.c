/* gwc-client.c: the GWebCache client (see gwc-client.h): a list of cache
 * URLs each asked at most hourly, and one HTTP request at a time whose
 * state lives in a gwc_request that outlives the client if it must (a
 * cancelled operation still calls back once). */
#define G_LOG_DOMAIN "gnut-core"

#include "gnut/core/hosts/gwc-client.h"

#include <gio/gio.h>
#include <string.h>

#include "gnut/core/hosts/seeds.h"
#include "gnut/proto/gwc.h"

#define READ_CHUNK 4096
#define VENDOR     "GNTU"

typedef struct {
	char *url;
	gnut_gwc_url parsed;
	gboolean learned;
	guint failures;
	gint64 next_us;
} gwc_entry;

typedef struct gwc_request gwc_request;

struct gnut_gwc_client {
	gnut_gwc_client_config config; /* caches not kept; version owned */
	GPtrArray *entries;            /* gwc_entry */
	guint next;
	gwc_request *request; /* under way, or NULL */
	gint64 deadline_us;
	gint64 announced_us; /* last update sent */
	gnut_gwc_client_stats stats;
};

struct gwc_request {
	gnut_gwc_client *client; /* NULL once the client gave it up */
	gwc_entry *entry;
	gboolean announce; /* the request carried update=1 */
	GCancellable *cancel;
	GSocketClient *socket_client;
	GSocketConnection *conn;
	char *text;
	GByteArray *answer;
	guint8 chunk[READ_CHUNK];
};

static void entry_free(gpointer p)
{
	gwc_entry *e = p;
	g_free(e->url);
	g_free(e);
}

static guint learned_count(const gnut_gwc_client *c)
{
	guint n = 0;
	for (guint i = 0; i < c->entries->len; i++)
		n += ((gwc_entry *)g_ptr_array_index(c->entries, i))->learned;
	return n;
}

static gwc_entry *find_url(const gnut_gwc_client *c, const char *url)
{
	for (guint i = 0; i < c->entries->len; i++) {
		gwc_entry *e = g_ptr_array_index(c->entries, i);
		if (g_ascii_strcasecmp(e->url, url) == 0)
			return e;
	}
	return NULL;
}

static void add_entry(gnut_gwc_client *c, const char *url, gboolean learned)
{
	gnut_gwc_url parsed;
	if (gnut_gwc_url_parse(url, strlen(url), &parsed) != GNUT_PROTO_OK)
		return;
	if (find_url(c, url) != NULL)
		return;
	gwc_entry *e = g_new0(gwc_entry, 1);
	e->url = g_strdup(url);
	e->parsed = parsed;
	e->learned = learned;
	g_ptr_array_add(c->entries, e);
}

gnut_gwc_client *gnut_gwc_client_new(const gnut_gwc_client_config *config)
{
	gnut_gwc_client *c = g_new0(gnut_gwc_client, 1);
	c->config = *config;
	c->config.caches = NULL;
	c->config.version = g_strdup(config->version);
	c->entries = g_ptr_array_new_with_free_func(entry_free);
	for (const char *const *p = config->caches; p != NULL && *p != NULL; p++)
		add_entry(c, *p, FALSE);
	c->announced_us = gnut_clock_now_us(config->clock);
	return c;
}

static void request_free(gwc_request *r)
{
	g_clear_object(&r->conn);
	g_object_unref(r->socket_client);
	g_object_unref(r->cancel);
	g_free(r->text);
	g_byte_array_unref(r->answer);
	g_free(r);
}

/* The client lets go of its request: the pending operation ends cancelled
 * and its callback frees the request. */
static void abandon(gnut_gwc_client *c)
{
	if (c->request == NULL)
		return;
	c->request->client = NULL;
	g_cancellable_cancel(c->request->cancel);
	c->request = NULL;
}

void gnut_gwc_client_free(gnut_gwc_client *c)
{
	if (c == NULL)
		return;
	abandon(c);
	g_ptr_array_unref(c->entries);
	g_free((char *)c->config.version);
	g_free(c);
}

static gint64 now_us(const gnut_gwc_client *c)
{
	return gnut_clock_now_us(c->config.clock);
}

static void learn(gnut_gwc_client *c, const gnut_gwc_reply *r)
{
	guint added = 0, learned = learned_count(c);
	for (size_t i = 0; i < r->n_hosts; i++)
		added += gnut_hostcache_add(c->config.cache, r->hosts[i].ip, r->hosts[i].port,
		                            GNUT_HOST_SOURCE_GWC, TRUE);
	for (size_t i = 0; i < r->n_urls && learned < GNUT_GWC_CLIENT_MAX_LEARNED; i++) {
		gnut_gwc_url u;
		if (gnut_gwc_url_parse(r->urls[i], strlen(r->urls[i]), &u) == GNUT_PROTO_OK &&
		    !u.host_is_ipv4) {
			add_entry(c, r->urls[i], TRUE);
			learned++;
		}
	}
	c->stats.added += added;
	c->stats.updates += r->update_ok && c->request->announce;
	g_message("bootstrap: GWebCache %s gave %u hosts", c->request->entry->url, added);
}

/* Reads a whole answer: TRUE when it was a 200 with a body we could read. */
static gboolean take_answer(gnut_gwc_client *c, const GByteArray *a)
{
	unsigned code = 0;
	size_t body = 0;
	gnut_gwc_reply reply;
	const char *text = (const char *)a->data;
	if (gnut_gwc_http_split(text, a->len, &code, &body) != GNUT_PROTO_OK || code != 200 ||
	    gnut_gwc_reply_parse(text + body, a->len - body, &reply) != GNUT_PROTO_OK) {
		g_message("bootstrap: GWebCache %s: no usable answer (HTTP %u)",
		          c->request->entry->url, code);
		return FALSE;
	}
	c->stats.answers++;
	learn(c, &reply);
	return !reply.refused || reply.n_hosts > 0;
}

/* The request ended; ok: answered. The entry rests an hour either way; a
 * learned cache that keeps failing is forgotten. */
static void finish(gwc_request *r, gboolean ok)
{
	gnut_gwc_client *c = r->client;
	if (c != NULL) {
		gwc_entry *e = r->entry;
		c->request = NULL;
		c->stats.failed += !ok;
		e->failures = ok ? 0 : e->failures + 1;
		if (!ok && e->learned && e->failures >= GNUT_GWC_CLIENT_MAX_FAILURES)
			g_ptr_array_remove(c->entries, e);
	}
	request_free(r);
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data);

/* Reads the next chunk of the answer. */
static void read_more(gwc_request *r)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(r->conn));
	g_input_stream_read_async(in, r->chunk, sizeof r->chunk, G_PRIORITY_DEFAULT, r->cancel,
	                          on_read, r);
}

static void on_read(GObject *source, GAsyncResult *res, gpointer user_data)
{
	gwc_request *r = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &error);
	if (r->client == NULL || n < 0) {
		if (r->client != NULL)
			g_message("bootstrap: GWebCache %s: %s", r->entry->url, error->message);
		finish(r, FALSE);
		return;
	}
	if (n == 0) {
		finish(r, take_answer(r->client, r->answer));
		return;
	}
	g_byte_array_append(r->answer, r->chunk, (guint)n);
	if (r->answer->len > GNUT_GWC_MAX_RESPONSE) {
		g_message("bootstrap: GWebCache %s: answer over %u bytes", r->entry->url,
		          GNUT_GWC_MAX_RESPONSE);
		finish(r, FALSE);
		return;
	}
	read_more(r);
}

static void on_written(GObject *source, GAsyncResult *res, gpointer user_data)
{
	gwc_request *r = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error) ||
	    r->client == NULL) {
		finish(r, FALSE);
		return;
	}
	read_more(r);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	gwc_request *r = user_data;
	g_autoptr(GError) error = NULL;
	r->conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &error);
	if (r->conn == NULL || r->client == NULL) {
		if (r->client != NULL)
			g_message("bootstrap: GWebCache %s: %s", r->entry->url, error->message);
		finish(r, FALSE);
		return;
	}
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(r->conn));
	g_output_stream_write_all_async(out, r->text, strlen(r->text), G_PRIORITY_DEFAULT,
	                                r->cancel, on_written, r);
}

static char *request_query(const gnut_gwc_client *c, gboolean want_hosts, gboolean announce,
                           guint32 self_ip, guint16 self_port)
{
	GString *q = g_string_new(NULL);
	if (want_hosts)
		g_string_append(q, "get=1&");
	if (announce) {
		char addr[GNUT_ADDR_IPV4_PORT_LEN];
		gnut_addr_format_ipv4_port(self_ip, self_port, addr);
		g_string_append_printf(q, "update=1&ip=%s&", addr);
	}
	g_string_append_printf(q, "net=gnutella&client=" VENDOR "&version=%s", c->config.version);
	return g_string_free(q, FALSE);
}

static void start_request(gnut_gwc_client *c, gwc_entry *e, gboolean want_hosts, gboolean announce,
                          guint32 self_ip, guint16 self_port)
{
	gwc_request *r = g_new0(gwc_request, 1);
	r->client = c;
	r->entry = e;
	r->announce = announce;
	r->cancel = g_cancellable_new();
	r->answer = g_byte_array_new();
	g_autofree char *query = request_query(c, want_hosts, announce, self_ip, self_port);
	g_autofree char *agent = g_strdup_printf("gnutd/%s", c->config.version);
	r->text = gnut_gwc_request(&e->parsed, query, agent);
	r->socket_client = g_socket_client_new();
	g_socket_client_set_timeout(r->socket_client, GNUT_GWC_CLIENT_TIMEOUT_S);
	c->request = r;
	c->deadline_us = now_us(c) + (gint64)GNUT_GWC_CLIENT_TIMEOUT_S * G_USEC_PER_SEC;
	e->next_us = now_us(c) + (gint64)GNUT_GWC_CLIENT_INTERVAL_S * G_USEC_PER_SEC;
	if (announce)
		c->announced_us = now_us(c);
	c->stats.requests++;
	g_debug("bootstrap: asking GWebCache %s", e->url);
	g_socket_client_connect_to_host_async(r->socket_client, e->parsed.host, e->parsed.port,
	                                      r->cancel, on_connected, r);
}

void gnut_gwc_client_tick(gnut_gwc_client *c, gboolean want_hosts, gboolean announce,
                          guint32 self_ip, guint16 self_port)
{
	gint64 now = now_us(c);
	if (c->request != NULL) {
		if (now >= c->deadline_us) {
			g_message("bootstrap: GWebCache %s: no answer in %u s",
			          c->request->entry->url, GNUT_GWC_CLIENT_TIMEOUT_S);
			gwc_request *r = c->request;
			r->entry->failures++;
			c->stats.failed++;
			abandon(c);
		}
		return;
	}
	announce = announce && self_ip != 0 && self_port != 0 &&
	           now - c->announced_us >= (gint64)GNUT_GWC_CLIENT_INTERVAL_S * G_USEC_PER_SEC;
	if (!want_hosts && !announce)
		return;
	for (guint i = 0; i < c->entries->len; i++) {
		gwc_entry *e = g_ptr_array_index(c->entries, (c->next + i) % c->entries->len);
		if (e->next_us <= now) {
			c->next = (c->next + i + 1) % c->entries->len;
			start_request(c, e, want_hosts, announce, self_ip, self_port);
			return;
		}
	}
}

void gnut_gwc_client_get_stats(const gnut_gwc_client *c, gnut_gwc_client_stats *out)
{
	*out = c->stats;
	out->caches = c->entries->len;
}

#define STATE_GROUP "gwc"

void gnut_gwc_client_save(const gnut_gwc_client *c, GKeyFile *kf)
{
	g_autoptr(GArray) records = g_array_new(FALSE, FALSE, sizeof(gnut_seed_record));
	for (guint i = 0; i < c->entries->len; i++) {
		const gwc_entry *e = g_ptr_array_index(c->entries, i);
		gnut_seed_record r =
		    gnut_seed_record_of(e->url, e->learned, e->failures, e->next_us, now_us(c));
		g_array_append_val(records, r);
	}
	gnut_seed_records_save(kf, STATE_GROUP, records);
}

void gnut_gwc_client_load(gnut_gwc_client *c, GKeyFile *kf)
{
	g_auto(GStrv) lines = gnut_seed_records_lines(kf, STATE_GROUP);
	for (char **l = lines; l != NULL && *l != NULL; l++) {
		gnut_seed_record r;
		if (!gnut_seed_record_parse(GNUT_SEED_GWC, *l, &r))
			continue;
		if (r.learned && find_url(c, r.entry) == NULL &&
		    learned_count(c) < GNUT_GWC_CLIENT_MAX_LEARNED)
			add_entry(c, r.entry, TRUE);
		gwc_entry *e = find_url(c, r.entry);
		if (e == NULL)
			continue;
		e->failures = r.failures;
		e->next_us = now_us(c) + (gint64)r.wait_s * G_USEC_PER_SEC;
	}
}
