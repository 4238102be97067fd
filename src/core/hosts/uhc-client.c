/* uhc-client.c: the UDP host cache client (see uhc-client.h): a rotating
 * list of caches with per-cache back-off, one query under way at a time. */
#define G_LOG_DOMAIN "gnut-core"

#include "gnut/core/hosts/uhc-client.h"

#include <string.h>

#include "gnut/core/hosts/inet4.h"
#include "gnut/core/hosts/seeds.h"
#include "gnut/proto/address.h"
#include "gnut/proto/uhc.h"
#include "gnut/proto/wire.h"

#define MAX_BACKOFF_S 3600

typedef struct {
	char *host; /* name or IPv4 literal */
	guint16 port;
	gboolean learned; /* from a UDPHC, not configured */
	guint failures;
	gint64 next_us; /* not asked before this */
} uhc_entry;

/* The query under way. */
typedef struct {
	uhc_entry *entry;
	GCancellable *resolving; /* while the name resolves */
	gboolean sent;
	gnut_guid guid;
	guint32 ip;
	gint64 deadline_us;
} uhc_query;

struct gnut_uhc_client {
	gnut_uhc_client_config config; /* caches not kept */
	GPtrArray *entries;            /* uhc_entry */
	guint next;                    /* rotation index */
	uhc_query query;               /* query.entry NULL: none */
	gnut_uhc_client_stats stats;
};

static void entry_free(gpointer p)
{
	uhc_entry *e = p;
	g_free(e->host);
	g_free(e);
}

static uhc_entry *find_entry(gnut_uhc_client *c, const char *host, gsize len, guint16 port)
{
	for (guint i = 0; i < c->entries->len; i++) {
		uhc_entry *e = g_ptr_array_index(c->entries, i);
		if (e->port == port && strlen(e->host) == len &&
		    g_ascii_strncasecmp(e->host, host, len) == 0)
			return e;
	}
	return NULL;
}

static void add_entry(gnut_uhc_client *c, const char *host, gsize len, guint16 port,
                      gboolean learned)
{
	if (find_entry(c, host, len, port) != NULL)
		return;
	uhc_entry *e = g_new0(uhc_entry, 1);
	e->host = g_strndup(host, len);
	e->port = port;
	e->learned = learned;
	g_ptr_array_add(c->entries, e);
}

gnut_uhc_client *gnut_uhc_client_new(const gnut_uhc_client_config *config)
{
	gnut_uhc_client *c = g_new0(gnut_uhc_client, 1);
	c->config = *config;
	c->config.caches = NULL;
	c->entries = g_ptr_array_new_with_free_func(entry_free);
	for (const char *const *p = config->caches; p != NULL && *p != NULL; p++) {
		gnut_addr_host_port hp;
		if (gnut_addr_parse_host_port(*p, strlen(*p), 0, &hp) == GNUT_PROTO_OK &&
		    hp.kind != GNUT_ADDR_HOST_IPV6)
			add_entry(c, hp.host, hp.host_len, hp.port, FALSE);
	}
	return c;
}

static void cancel_resolution(gnut_uhc_client *c)
{
	if (c->query.resolving != NULL) {
		g_cancellable_cancel(c->query.resolving);
		g_clear_object(&c->query.resolving);
	}
}

void gnut_uhc_client_free(gnut_uhc_client *c)
{
	if (c == NULL)
		return;
	cancel_resolution(c);
	g_ptr_array_unref(c->entries);
	g_free(c);
}

static gint64 now_us(const gnut_uhc_client *c)
{
	return gnut_clock_now_us(c->config.clock);
}

/* The query ended: a cache that answered rests, one that did not backs off
 * (a learned one that keeps failing is forgotten). */
static void end_query(gnut_uhc_client *c, gboolean answered)
{
	uhc_entry *e = c->query.entry;
	cancel_resolution(c);
	memset(&c->query, 0, sizeof c->query);
	if (answered) {
		e->failures = 0;
		e->next_us = now_us(c) + (gint64)GNUT_UHC_CLIENT_REASK_S * G_USEC_PER_SEC;
		return;
	}
	e->failures++;
	if (e->learned && e->failures >= GNUT_UHC_CLIENT_MAX_FAILURES) {
		g_ptr_array_remove(c->entries, e);
		return;
	}
	gint64 backoff = (gint64)GNUT_UHC_CLIENT_BACKOFF_S << MIN(e->failures - 1, 6u);
	e->next_us = now_us(c) + MIN(backoff, MAX_BACKOFF_S) * G_USEC_PER_SEC;
	g_message("bootstrap: UDP host cache %s:%u did not answer", e->host, e->port);
}

static void send_ping(gnut_uhc_client *c, guint32 ip)
{
	uhc_query *q = &c->query;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_uhc_ping_encode(payload);
	gnut_guid_generate(&q->guid);
	g_autoptr(GByteArray) msg = g_byte_array_new();
	gnut_msg_append(msg, &q->guid, GNUT_MSG_PING, 1, 0, payload->data, payload->len);
	g_autoptr(GSocketAddress) to = gnut_inet4_socket_address(ip, q->entry->port);
	q->ip = ip;
	q->sent = TRUE;
	q->deadline_us = now_us(c) + (gint64)GNUT_UHC_CLIENT_TIMEOUT_S * G_USEC_PER_SEC;
	c->stats.queries++;
	g_debug("bootstrap: asking UDP host cache %s:%u", q->entry->host, q->entry->port);
	if (!c->config.send(G_INET_SOCKET_ADDRESS(to), msg->data, msg->len, c->config.send_data))
		end_query(c, FALSE);
}

/* The first IPv4 address of a resolution, host order; 0 when none. */
static guint32 first_ipv4(GList *addresses)
{
	for (GList *l = addresses; l != NULL; l = l->next) {
		GInetAddress *a = l->data;
		if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4)
			return gnut_peek_be32(g_inet_address_to_bytes(a));
	}
	return 0;
}

static void on_resolved(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the client may be gone */
	gnut_uhc_client *c = user_data;
	g_clear_object(&c->query.resolving);
	guint32 ip = first_ipv4(addresses);
	g_resolver_free_addresses(addresses);
	if (ip == 0) {
		g_message("bootstrap: cannot resolve UDP host cache %s: %s", c->query.entry->host,
		          error != NULL ? error->message : "no IPv4 address");
		end_query(c, FALSE);
		return;
	}
	send_ping(c, ip);
}

static void start_query(gnut_uhc_client *c, uhc_entry *e)
{
	c->query.entry = e;
	c->query.deadline_us = now_us(c) + (gint64)GNUT_UHC_CLIENT_TIMEOUT_S * G_USEC_PER_SEC;
	guint32 ip;
	if (gnut_addr_parse_ipv4(e->host, strlen(e->host), &ip) == GNUT_PROTO_OK) {
		send_ping(c, ip);
		return;
	}
	c->query.resolving = g_cancellable_new();
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	g_resolver_lookup_by_name_async(resolver, e->host, c->query.resolving, on_resolved, c);
}

void gnut_uhc_client_tick(gnut_uhc_client *c, gboolean want_hosts)
{
	gint64 now = now_us(c);
	if (c->query.entry != NULL) {
		if (now >= c->query.deadline_us)
			end_query(c, FALSE);
		return;
	}
	if (!want_hosts)
		return;
	for (guint i = 0; i < c->entries->len; i++) {
		uhc_entry *e = g_ptr_array_index(c->entries, (c->next + i) % c->entries->len);
		if (e->next_us <= now) {
			c->next = (c->next + i + 1) % c->entries->len;
			start_query(c, e);
			return;
		}
	}
}

/* A cache named in UDPHC joins the list, on the port it answered from. */
static void learn_cache(gnut_uhc_client *c, const char *name, gsize len, guint16 port)
{
	guint learned = 0;
	for (guint i = 0; i < c->entries->len; i++)
		learned += ((uhc_entry *)g_ptr_array_index(c->entries, i))->learned;
	if (len > 0 && learned < GNUT_UHC_CLIENT_MAX_LEARNED)
		add_entry(c, name, len, port, TRUE);
}

/* The answer's hosts: the cache itself when it says it is an ultrapeer (at
 * the address it answered from when its pong leaves the address out; marked
 * as speaking TLS when its pong carries TLS), then IPP's (a list that tells
 * nothing of TLS). */
static void take_answer(gnut_uhc_client *c, const gnut_uhc_pong *p, guint32 from_ip,
                        guint16 from_port)
{
	guint added = 0;
	guint32 self_ip = p->ip != 0 ? p->ip : from_ip;
	if (p->ultrapeer &&
	    gnut_hostcache_add(c->config.cache, self_ip, p->port, GNUT_HOST_SOURCE_UHC, TRUE)) {
		added++;
		if (p->tls)
			gnut_hostcache_set_tls(c->config.cache, self_ip, p->port, TRUE);
	}
	for (size_t i = 0; i < p->n_hosts && added < GNUT_UHC_CLIENT_MAX_ADD; i++)
		added += gnut_hostcache_add(c->config.cache, p->hosts[i].ip, p->hosts[i].port,
		                            GNUT_HOST_SOURCE_UHC, TRUE);
	learn_cache(c, p->cache_name, strlen(p->cache_name), from_port);
	c->stats.answers++;
	c->stats.added += added;
	g_message("bootstrap: UDP host cache %s:%u gave %u hosts", c->query.entry->host,
	          c->query.entry->port, added);
}

gboolean gnut_uhc_client_pong(gnut_uhc_client *c, const gnut_msg_header *h, const guint8 *payload,
                              GInetSocketAddress *from)
{
	const uhc_query *q = &c->query;
	if (q->entry == NULL || !q->sent || memcmp(&h->guid, &q->guid, sizeof q->guid) != 0)
		return FALSE;
	guint32 ip;
	guint16 port;
	if (!gnut_inet4_from_socket_address(from, &ip, &port) || ip != q->ip ||
	    port != q->entry->port)
		return FALSE;
	gnut_uhc_pong p;
	gnut_proto_err err = gnut_uhc_pong_decode(payload, h->length, &p);
	if (err != GNUT_PROTO_OK) {
		g_message("bootstrap: bad answer from UDP host cache %s: %s", q->entry->host,
		          gnut_proto_strerror(err));
		end_query(c, FALSE);
		return TRUE;
	}
	take_answer(c, &p, ip, port);
	end_query(c, TRUE);
	return TRUE;
}

void gnut_uhc_client_get_stats(const gnut_uhc_client *c, gnut_uhc_client_stats *out)
{
	*out = c->stats;
	out->caches = c->entries->len;
}

#define STATE_GROUP "uhc"

void gnut_uhc_client_save(const gnut_uhc_client *c, GKeyFile *kf)
{
	g_autoptr(GArray) records = g_array_new(FALSE, FALSE, sizeof(gnut_seed_record));
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < c->entries->len; i++) {
		const uhc_entry *e = g_ptr_array_index(c->entries, i);
		char *entry = g_strdup_printf("%s:%u", e->host, e->port);
		g_ptr_array_add(names, entry);
		gnut_seed_record r =
		    gnut_seed_record_of(entry, e->learned, e->failures, e->next_us, now_us(c));
		g_array_append_val(records, r);
	}
	gnut_seed_records_save(kf, STATE_GROUP, records);
}

void gnut_uhc_client_load(gnut_uhc_client *c, GKeyFile *kf)
{
	g_auto(GStrv) lines = gnut_seed_records_lines(kf, STATE_GROUP);
	for (char **l = lines; l != NULL && *l != NULL; l++) {
		gnut_seed_record r;
		gnut_addr_host_port hp;
		if (!gnut_seed_record_parse(GNUT_SEED_UHC, *l, &r) ||
		    gnut_addr_parse_host_port(r.entry, strlen(r.entry), 0, &hp) != GNUT_PROTO_OK)
			continue;
		if (r.learned && find_entry(c, hp.host, hp.host_len, hp.port) == NULL)
			learn_cache(c, hp.host, hp.host_len, hp.port);
		uhc_entry *e = find_entry(c, hp.host, hp.host_len, hp.port);
		if (e == NULL)
			continue;
		e->failures = r.failures;
		e->next_us = now_us(c) + (gint64)r.wait_s * G_USEC_PER_SEC;
	}
}
