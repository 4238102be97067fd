/* hostcache.c: the hosts a servent may dial. A hash table finds a host by
 * address; a queue of the same hosts, most recently seen at the head, gives
 * both the eviction order (the tail goes first) and the pick order. A host
 * carries one "not before" time that serves as the hold-back after a pick
 * and as the back-off after a failure. The saved form is a strict line-based
 * text read with a size cap. */
#define G_LOG_DOMAIN "gnut-core"

#include "gnut/core/hosts/hostcache.h"

#include <gio/gio.h>
#include <string.h>

#include "gnut/base/atomic-file.h"
#include "gnut/proto/dial-rule.h"

#define FILE_HEADER    "gnutd-hostcache 2"
#define FILE_HEADER_V1 "gnutd-hostcache 1" /* before the TLS mark */
#define TLS_MARK       "tls"
#define MAX_AGE_S      G_MAXUINT32

typedef struct {
	GList link;  /* in gnut_hostcache.order; link.data is this host */
	guint64 key; /* ip << 16 | port: the hash table's key */
	guint32 ip;
	guint16 port;
	gboolean ultrapeer;
	gboolean tls;
	gnut_host_source source;
	guint failures;
	gint64 last_seen_us;
	gint64 retry_at_us;
} cached_host;

struct gnut_hostcache {
	gnut_clock *clock;
	char *path;
	gnut_hostcache_flags flags;
	GHashTable *by_key; /* &host->key -> host (owned) */
	GQueue order;       /* most recently seen first; links embedded in hosts */
	gboolean dirty;
};

static const char *const source_names[] = {
    [GNUT_HOST_SOURCE_PONG] = "pong",
    [GNUT_HOST_SOURCE_X_TRY_ULTRAPEERS] = "x-try-ultrapeers",
    [GNUT_HOST_SOURCE_HANDSHAKE] = "handshake",
    [GNUT_HOST_SOURCE_USER] = "user",
    [GNUT_HOST_SOURCE_UHC] = "uhc",
    [GNUT_HOST_SOURCE_GWC] = "gwc",
};

static guint64 host_key(guint32 ip, guint16 port)
{
	return (guint64)ip << 16 | port;
}

static gint64 now_us(const gnut_hostcache *hc)
{
	return gnut_clock_now_us(hc->clock);
}

gnut_hostcache *gnut_hostcache_new(gnut_clock *clock, const char *path, gnut_hostcache_flags flags,
                                   GError **error)
{
	g_return_val_if_fail(clock != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	gnut_hostcache *hc = g_new0(gnut_hostcache, 1);
	hc->clock = clock;
	hc->path = g_strdup(path);
	hc->flags = flags;
	hc->by_key = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	g_queue_init(&hc->order);
	if (path == NULL)
		return hc;

	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) local = NULL;
	if (gnut_read_file_capped(path, GNUT_HOSTCACHE_MAX_FILE_BYTES, &data, &len, &local)) {
		if (!gnut_hostcache_parse(hc, data, len, &local))
			g_warning("ignoring the damaged host cache %s: %s", path, local->message);
	} else if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NO_SPACE)) {
		g_warning("ignoring the host cache: %s", local->message);
	} else if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
		g_propagate_error(error, g_steal_pointer(&local));
		gnut_hostcache_free(hc);
		return NULL;
	}
	return hc;
}

void gnut_hostcache_free(gnut_hostcache *hc)
{
	if (hc == NULL)
		return;
	g_queue_init(&hc->order); /* its links die with their hosts */
	g_hash_table_unref(hc->by_key);
	g_free(hc->path);
	g_free(hc);
}

gboolean gnut_hostcache_is_acceptable(const gnut_hostcache *hc, guint32 ip, guint16 port)
{
	gboolean allow_local = (hc->flags & GNUT_HOSTCACHE_ALLOW_PRIVATE) != 0;
	return gnut_dial_check_ipv4(ip, port, allow_local) == GNUT_DIAL_OK;
}

static cached_host *lookup(const gnut_hostcache *hc, guint32 ip, guint16 port)
{
	guint64 key = host_key(ip, port);
	return g_hash_table_lookup(hc->by_key, &key);
}

static void drop_host(gnut_hostcache *hc, cached_host *h)
{
	g_queue_unlink(&hc->order, &h->link);
	g_hash_table_remove(hc->by_key, &h->key); /* frees h */
	hc->dirty = TRUE;
}

static cached_host *insert_host(gnut_hostcache *hc, guint32 ip, guint16 port)
{
	cached_host *h = g_new0(cached_host, 1);
	h->link.data = h;
	h->key = host_key(ip, port);
	h->ip = ip;
	h->port = port;
	g_hash_table_insert(hc->by_key, &h->key, h);
	return h;
}

static void move_to_front(gnut_hostcache *hc, cached_host *h)
{
	g_queue_unlink(&hc->order, &h->link);
	g_queue_push_head_link(&hc->order, &h->link);
}

gboolean gnut_hostcache_add(gnut_hostcache *hc, guint32 ip, guint16 port, gnut_host_source source,
                            gboolean ultrapeer)
{
	g_return_val_if_fail(hc != NULL, FALSE);
	g_return_val_if_fail(source <= GNUT_HOST_SOURCE_GWC, FALSE);
	if (!gnut_hostcache_is_acceptable(hc, ip, port))
		return FALSE;
	cached_host *h = lookup(hc, ip, port);
	if (h != NULL) {
		move_to_front(hc, h);
	} else {
		if (g_hash_table_size(hc->by_key) >= GNUT_HOSTCACHE_MAX_HOSTS)
			drop_host(hc, hc->order.tail->data);
		h = insert_host(hc, ip, port);
		g_queue_push_head_link(&hc->order, &h->link);
	}
	h->last_seen_us = now_us(hc);
	h->source = source;
	h->ultrapeer = source == GNUT_HOST_SOURCE_HANDSHAKE ? ultrapeer : h->ultrapeer || ultrapeer;
	hc->dirty = TRUE;
	return TRUE;
}

/* Decimal digits of [p, end) as a number no larger than limit: at least one
 * digit, no leading zero (one spelling per value keeps files canonical). */
static gboolean parse_number(const char *p, const char *end, guint64 limit, guint64 *out)
{
	if (p == end || (*p == '0' && end - p > 1))
		return FALSE;
	guint64 v = 0;
	for (; p < end; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
		guint d = (guint)(*p - '0');
		if (d > limit || v > (limit - d) / 10)
			return FALSE;
		v = v * 10 + d;
	}
	*out = v;
	return TRUE;
}

gboolean gnut_hostcache_add_ip_string(gnut_hostcache *hc, const char *ip, guint16 port,
                                      gnut_host_source source, gboolean ultrapeer)
{
	g_return_val_if_fail(ip != NULL, FALSE);
	guint32 addr;
	if (gnut_addr_parse_ipv4(ip, strlen(ip), &addr) != GNUT_PROTO_OK)
		return FALSE;
	return gnut_hostcache_add(hc, addr, port, source, ultrapeer);
}

gboolean gnut_hostcache_add_host_port(gnut_hostcache *hc, const char *host_port,
                                      gnut_host_source source, gboolean ultrapeer)
{
	g_return_val_if_fail(host_port != NULL, FALSE);
	guint32 ip;
	guint16 port;
	if (gnut_addr_parse_ipv4_port(host_port, strlen(host_port), 0, &ip, &port) != GNUT_PROTO_OK)
		return FALSE;
	return gnut_hostcache_add(hc, ip, port, source, ultrapeer);
}

void gnut_hostcache_set_tls(gnut_hostcache *hc, guint32 ip, guint16 port, gboolean tls)
{
	cached_host *h = lookup(hc, ip, port);
	if (h == NULL || h->tls == tls)
		return;
	h->tls = tls;
	hc->dirty = TRUE;
}

gboolean gnut_hostcache_speaks_tls(const gnut_hostcache *hc, guint32 ip, guint16 port)
{
	const cached_host *h = lookup(hc, ip, port);
	return h != NULL && h->tls;
}

gboolean gnut_hostcache_remove(gnut_hostcache *hc, guint32 ip, guint16 port)
{
	cached_host *h = lookup(hc, ip, port);
	if (h == NULL)
		return FALSE;
	drop_host(hc, h);
	return TRUE;
}

gboolean gnut_hostcache_contains(const gnut_hostcache *hc, guint32 ip, guint16 port)
{
	return lookup(hc, ip, port) != NULL;
}

guint gnut_hostcache_size(const gnut_hostcache *hc)
{
	return g_hash_table_size(hc->by_key);
}

/* One pass from the most recently seen host: the first eligible ultrapeer
 * wins at once; otherwise the first eligible leaf seen on the way. */
gboolean gnut_hostcache_pick(gnut_hostcache *hc, gnut_hostcache_exclude_fn exclude,
                             gpointer user_data, guint32 *ip, guint16 *port)
{
	g_return_val_if_fail(hc != NULL && ip != NULL && port != NULL, FALSE);
	gint64 now = now_us(hc);
	cached_host *best = NULL;
	for (GList *l = hc->order.head; l != NULL; l = l->next) {
		cached_host *h = l->data;
		if (h->retry_at_us > now || (best != NULL && !h->ultrapeer))
			continue;
		if (exclude != NULL && exclude(h->ip, h->port, user_data))
			continue;
		best = h;
		if (h->ultrapeer)
			break;
	}
	if (best == NULL)
		return FALSE;
	best->retry_at_us = now + (gint64)GNUT_HOSTCACHE_ATTEMPT_S * G_USEC_PER_SEC;
	*ip = best->ip;
	*port = best->port;
	return TRUE;
}

void gnut_hostcache_failed(gnut_hostcache *hc, guint32 ip, guint16 port)
{
	cached_host *h = lookup(hc, ip, port);
	if (h == NULL)
		return;
	if (++h->failures >= GNUT_HOSTCACHE_MAX_FAILURES) {
		drop_host(hc, h);
		return;
	}
	gint64 backoff_s = (gint64)GNUT_HOSTCACHE_BACKOFF_S << (h->failures - 1);
	backoff_s = MIN(backoff_s, GNUT_HOSTCACHE_MAX_BACKOFF_S);
	h->retry_at_us = now_us(hc) + backoff_s * G_USEC_PER_SEC;
	hc->dirty = TRUE;
}

void gnut_hostcache_connected(gnut_hostcache *hc, guint32 ip, guint16 port)
{
	cached_host *h = lookup(hc, ip, port);
	if (h == NULL)
		return;
	h->failures = 0;
	h->retry_at_us = 0;
	h->last_seen_us = now_us(hc);
	move_to_front(hc, h);
	hc->dirty = TRUE;
}

GArray *gnut_hostcache_list(const gnut_hostcache *hc)
{
	GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(gnut_hostcache_entry),
	                                g_hash_table_size(hc->by_key));
	gint64 now = now_us(hc);
	for (GList *l = hc->order.head; l != NULL; l = l->next) {
		const cached_host *h = l->data;
		gnut_hostcache_entry e = {
		    .ip = h->ip,
		    .port = h->port,
		    .ultrapeer = h->ultrapeer,
		    .tls = h->tls,
		    .source = h->source,
		    .failures = h->failures,
		    .last_seen_us = h->last_seen_us,
		    .retry_at_us = h->retry_at_us > now ? h->retry_at_us : 0,
		};
		g_array_append_val(out, e);
	}
	return out;
}

guint gnut_hostcache_fresh_ultrapeers(const gnut_hostcache *hc, gint64 max_age_s,
                                      gnut_ipv4_port *out, guint max)
{
	gint64 oldest = now_us(hc) - max_age_s * G_USEC_PER_SEC;
	guint n = 0;
	for (GList *l = hc->order.head; l != NULL && n < max; l = l->next) {
		const cached_host *h = l->data;
		if (h->last_seen_us < oldest)
			break; /* the rest were seen earlier still */
		if (h->ultrapeer && h->failures == 0)
			out[n++] = (gnut_ipv4_port){h->ip, h->port};
	}
	return n;
}

const char *gnut_host_source_name(gnut_host_source source)
{
	g_return_val_if_fail(source < G_N_ELEMENTS(source_names), "?");
	return source_names[source];
}

GBytes *gnut_hostcache_serialize(const gnut_hostcache *hc)
{
	GString *out = g_string_new(FILE_HEADER "\n");
	gint64 now = now_us(hc);
	for (GList *l = hc->order.head; l != NULL; l = l->next) {
		const cached_host *h = l->data;
		gint64 age_s = (now - h->last_seen_us) / G_USEC_PER_SEC;
		age_s = CLAMP(age_s, 0, (gint64)MAX_AGE_S);
		char addr[GNUT_ADDR_IPV4_PORT_LEN];
		gnut_addr_format_ipv4_port(h->ip, h->port, addr);
		g_string_append_printf(out, "%s %" G_GINT64_FORMAT " %c %s %u %s\n", addr, age_s,
		                       h->ultrapeer ? 'U' : 'L', source_names[h->source],
		                       h->failures, h->tls ? TLS_MARK : "-");
	}
	return g_string_free_to_bytes(out);
}

/* One line of a saved file, before it joins the cache. */
typedef struct {
	guint32 ip;
	guint16 port;
	gboolean ultrapeer;
	gboolean tls;
	gnut_host_source source;
	guint failures;
	guint64 age_s;
	guint index; /* line order, so that equal ages keep it */
} parsed_host;

/* Cuts [*p, end) at the next space: [*p, *field_end) is the field and *p
 * moves past the space. FALSE when there is no space or the field is empty. */
static gboolean next_field(const char **p, const char *end, const char **field_end)
{
	const char *sp = memchr(*p, ' ', (gsize)(end - *p));
	if (sp == NULL || sp == *p)
		return FALSE;
	*field_end = sp;
	return TRUE;
}

static gboolean parse_source(const char *p, const char *end, gnut_host_source *out)
{
	for (guint s = 0; s < G_N_ELEMENTS(source_names); s++) {
		if ((gsize)(end - p) == strlen(source_names[s]) &&
		    memcmp(p, source_names[s], (gsize)(end - p)) == 0) {
			*out = (gnut_host_source)s;
			return TRUE;
		}
	}
	return FALSE;
}

/* The last field of a line: "tls" or "-". */
static gboolean parse_tls_mark(const char *p, const char *end, gboolean *tls)
{
	gsize len = (gsize)(end - p);
	*tls = len == strlen(TLS_MARK) && memcmp(p, TLS_MARK, len) == 0;
	return *tls || (len == 1 && *p == '-');
}

/* "<a.b.c.d>:<port> <age> <U|L> <source> <failures> <tls|->", single
 * spaces; a version 1 line (v1) ends after <failures>. */
static gboolean parse_line(const char *p, const char *end, gboolean v1, parsed_host *out)
{
	const char *fe;
	guint64 v;
	if (!next_field(&p, end, &fe) ||
	    gnut_addr_parse_ipv4_port(p, (gsize)(fe - p), 0, &out->ip, &out->port) != GNUT_PROTO_OK)
		return FALSE;
	p = fe + 1;
	if (!next_field(&p, end, &fe) || !parse_number(p, fe, MAX_AGE_S, &out->age_s))
		return FALSE;
	p = fe + 1;
	if (!next_field(&p, end, &fe) || fe - p != 1 || (*p != 'U' && *p != 'L'))
		return FALSE;
	out->ultrapeer = *p == 'U';
	p = fe + 1;
	if (!next_field(&p, end, &fe) || !parse_source(p, fe, &out->source))
		return FALSE;
	p = fe + 1;
	if (!v1 && !next_field(&p, end, &fe))
		return FALSE;
	if (!parse_number(p, v1 ? end : fe, GNUT_HOSTCACHE_MAX_FAILURES - 1, &v))
		return FALSE;
	out->failures = (guint)v;
	return v1 || parse_tls_mark(fe + 1, end, &out->tls);
}

/* Which header [p, end) is: FALSE when neither; *v1 for the old one. */
static gboolean parse_header(const char *p, const char *end, gboolean *v1)
{
	gsize len = (gsize)(end - p);
	*v1 = len == strlen(FILE_HEADER_V1) && memcmp(p, FILE_HEADER_V1, len) == 0;
	return *v1 || (len == strlen(FILE_HEADER) && memcmp(p, FILE_HEADER, len) == 0);
}

/* Splits data into lines (each ended by '\n'), checks the header and parses
 * every other line into hosts. */
static gboolean parse_lines(const char *data, gsize len, GArray *hosts, GError **error)
{
	const char *p = data;
	const char *end = data + len;
	gboolean v1 = FALSE;
	for (guint line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		if (nl == NULL) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            "line %u: no end of line (truncated?)", line);
			return FALSE;
		}
		parsed_host h = {.index = line};
		gboolean ok = line == 1 ? parse_header(p, nl, &v1) : parse_line(p, nl, v1, &h);
		if (!ok) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "line %u: %s", line,
			            line == 1 ? "not a gnutd host cache" : "malformed host");
			return FALSE;
		}
		if (line > 1)
			g_array_append_val(hosts, h);
		p = nl + 1;
	}
	if (p == data) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "empty host cache");
		return FALSE;
	}
	return TRUE;
}

static gint compare_age(gconstpointer a, gconstpointer b)
{
	const parsed_host *x = a;
	const parsed_host *y = b;
	if (x->age_s != y->age_s)
		return x->age_s < y->age_s ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

gboolean gnut_hostcache_parse(gnut_hostcache *hc, const char *data, gsize len, GError **error)
{
	g_return_val_if_fail(hc != NULL && (data != NULL || len == 0), FALSE);
	if (len > GNUT_HOSTCACHE_MAX_FILE_BYTES) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            "host cache too large (%" G_GSIZE_FORMAT " bytes)", len);
		return FALSE;
	}
	g_autoptr(GArray) hosts = g_array_new(FALSE, FALSE, sizeof(parsed_host));
	if (!parse_lines(data, len, hosts, error))
		return FALSE;
	g_array_sort(hosts, compare_age);

	g_queue_init(&hc->order);
	g_hash_table_remove_all(hc->by_key);
	gint64 now = now_us(hc);
	for (guint i = 0; i < hosts->len; i++) {
		const parsed_host *p = &g_array_index(hosts, parsed_host, i);
		if (g_hash_table_size(hc->by_key) >= GNUT_HOSTCACHE_MAX_HOSTS)
			break;
		if (!gnut_hostcache_is_acceptable(hc, p->ip, p->port) ||
		    lookup(hc, p->ip, p->port) != NULL)
			continue;
		cached_host *h = insert_host(hc, p->ip, p->port);
		h->ultrapeer = p->ultrapeer;
		h->tls = p->tls;
		h->source = p->source;
		h->failures = p->failures;
		h->last_seen_us = now - (gint64)p->age_s * G_USEC_PER_SEC;
		g_queue_push_tail_link(&hc->order, &h->link);
	}
	hc->dirty = FALSE;
	return TRUE;
}

gboolean gnut_hostcache_save(gnut_hostcache *hc, GError **error)
{
	g_return_val_if_fail(hc != NULL, FALSE);
	if (hc->path == NULL)
		return TRUE;
	g_autoptr(GBytes) text = gnut_hostcache_serialize(hc);
	gsize len = 0;
	const void *data = g_bytes_get_data(text, &len);
	if (!gnut_atomic_write(hc->path, data, len, error))
		return FALSE;
	hc->dirty = FALSE;
	return TRUE;
}

gboolean gnut_hostcache_is_dirty(const gnut_hostcache *hc)
{
	return hc->dirty;
}
