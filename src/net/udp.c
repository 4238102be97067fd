/* udp.c: a non-blocking UDP GSocket watched by a GSource. Each wake-up
 * reads a batch of datagrams into one buffer one byte longer than the cap
 * (so that an oversize datagram shows itself), checks its sender against a
 * per-address token bucket (gnut_ip_admit) and hands it to the owner. Sends
 * pass a per-destination bucket and a global byte budget (gnut_rate_limit)
 * first. See udp.h for the caps. */
#define G_LOG_DOMAIN "gnut-net"

#include "gnut/net/udp.h"

#include <string.h>

#include "gnut/base/ip-admit.h"
#include "gnut/base/log-limit.h"
#include "gnut/base/rate-limit.h"

#define RECV_BATCH 64 /* datagrams per wake-up: the rest of the loop runs too */

struct gnut_udp {
	GSocket *socket;
	GSource *watch;
	guint16 port;
	gsize max_datagram;
	guint8 *buffer; /* max_datagram + 1 bytes */
	gnut_ip_admit *recv_admit;
	gnut_ip_admit *send_admit;
	gnut_rate_limit *send_budget; /* NULL: unlimited */
	gnut_log_limit *drop_log;
	gnut_clock *clock;
	GHashTable *sent_to; /* gnut_ip_key* (owned) -> gint64* when we last sent there */
	gint64 swept_us;     /* when sent_to was last swept for old entries */
	gnut_udp_recv_fn recv;
	gpointer user_data;
	gnut_udp_stats stats;
};

static guint or_default(guint value, guint fallback)
{
	return value != 0 ? value : fallback;
}

static gboolean address_key(GInetSocketAddress *address, gnut_ip_key *key)
{
	GInetAddress *ip = g_inet_socket_address_get_address(address);
	return gnut_ip_key_from_bytes(key, g_inet_address_to_bytes(ip),
	                              g_inet_address_get_native_size(ip));
}

/* Whether we sent key's address a datagram within GNUT_UDP_SOLICITED_US. */
static gboolean solicited(gnut_udp *u, const gnut_ip_key *key)
{
	const gint64 *when = g_hash_table_lookup(u->sent_to, key);
	return when != NULL && gnut_clock_now_us(u->clock) - *when < GNUT_UDP_SOLICITED_US;
}

static gboolean sent_long_ago(gpointer key, gpointer value, gpointer data)
{
	(void)key;
	return *(const gint64 *)data - *(const gint64 *)value >= GNUT_UDP_SOLICITED_US;
}

/* Remembers that we sent to key's address now; when the table is full the
 * entries past the window go (a sweep at most once a second, so that a full
 * table of recent addresses does not cost a scan per send), and a new
 * address finds no room until then. */
static void note_sent(gnut_udp *u, const gnut_ip_key *key)
{
	gint64 now = gnut_clock_now_us(u->clock);
	gint64 *when = g_hash_table_lookup(u->sent_to, key);
	if (when == NULL && g_hash_table_size(u->sent_to) >= GNUT_UDP_ADDRESS_TABLE &&
	    now - u->swept_us >= G_USEC_PER_SEC) {
		g_hash_table_foreach_remove(u->sent_to, sent_long_ago, &now);
		u->swept_us = now;
	}
	if (when == NULL && g_hash_table_size(u->sent_to) < GNUT_UDP_ADDRESS_TABLE) {
		when = g_new(gint64, 1);
		g_hash_table_insert(u->sent_to, g_memdup2(key, sizeof *key), when);
	}
	if (when != NULL)
		*when = now;
}

/* One datagram read; FALSE when nothing more is waiting (or on an error,
 * which ends this wake-up: ICMP errors are reported on the next read). */
static gboolean receive_one(gnut_udp *u)
{
	GSocketAddress *from = NULL;
	g_autoptr(GError) error = NULL;
	gssize n = g_socket_receive_from(u->socket, &from, (gchar *)u->buffer, u->max_datagram + 1,
	                                 NULL, &error);
	if (n < 0) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			g_debug("udp: receive: %s", error->message);
		return FALSE;
	}
	g_autoptr(GSocketAddress) sender = from;
	if (!G_IS_INET_SOCKET_ADDRESS(sender))
		return TRUE;
	GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(sender);
	gnut_ip_key key;
	if (!address_key(inet, &key))
		return TRUE;
	if ((gsize)n > u->max_datagram) {
		u->stats.oversize++;
		gnut_log_limited(u->drop_log,
		                 "udp: dropped datagrams over %" G_GSIZE_FORMAT " bytes",
		                 u->max_datagram);
		return TRUE;
	}
	if (!gnut_ip_admit_arrive(u->recv_admit, &key)) {
		u->stats.throttled_in++;
		gnut_log_limited(u->drop_log, "udp: dropped datagrams from senders over "
		                              "their rate");
		return TRUE;
	}
	u->stats.received++;
	u->stats.received_bytes += (guint64)n;
	if (!solicited(u, &key))
		u->stats.unsolicited++;
	u->recv(u, u->buffer, (gsize)n, inet, u->user_data);
	return TRUE;
}

static gboolean on_readable(GSocket *socket, GIOCondition cond, gpointer data)
{
	(void)socket;
	(void)cond;
	gnut_udp *u = data;
	for (int i = 0; i < RECV_BATCH && u->socket != NULL; i++)
		if (!receive_one(u))
			break;
	return G_SOURCE_CONTINUE;
}

gboolean gnut_udp_send(gnut_udp *u, GInetSocketAddress *to, const guint8 *data, gsize len)
{
	g_return_val_if_fail(u != NULL && to != NULL && (data != NULL || len == 0), FALSE);
	gnut_ip_key key;
	if (!address_key(to, &key)) {
		u->stats.send_errors++;
		return FALSE;
	}
	if (u->send_budget != NULL && gnut_rate_limit_available(u->send_budget) < len) {
		u->stats.over_budget++;
		return FALSE;
	}
	if (!gnut_ip_admit_arrive(u->send_admit, &key)) {
		u->stats.throttled_out++;
		return FALSE;
	}
	g_autoptr(GError) error = NULL;
	gssize n = g_socket_send_to(u->socket, G_SOCKET_ADDRESS(to), (const gchar *)data, len, NULL,
	                            &error);
	if (n != (gssize)len) {
		u->stats.send_errors++;
		gnut_log_limited(u->drop_log, "udp: send failed: %s",
		                 error != NULL ? error->message : "short write");
		return FALSE;
	}
	if (u->send_budget != NULL)
		gnut_rate_limit_take(u->send_budget, len);
	u->stats.sent++;
	u->stats.sent_bytes += len;
	note_sent(u, &key);
	return TRUE;
}

static gboolean udp_bind(gnut_udp *u, const gnut_udp_config *config, GError **error)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(config->address);
	if (addr == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "udp: not an IP address: %s", config->address);
		return FALSE;
	}
	u->socket = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_DATAGRAM,
	                         G_SOCKET_PROTOCOL_UDP, error);
	if (u->socket == NULL)
		return FALSE;
	g_socket_set_blocking(u->socket, FALSE);
	g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new(addr, config->port);
	if (!g_socket_bind(u->socket, wanted, TRUE, error))
		return FALSE;
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(u->socket, error);
	if (bound == NULL)
		return FALSE;
	u->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	u->watch = g_socket_create_source(u->socket, G_IO_IN, NULL);
	g_source_set_callback(u->watch, G_SOURCE_FUNC(on_readable), u, NULL);
	g_source_attach(u->watch, g_main_context_get_thread_default());
	return TRUE;
}

static gnut_ip_admit *new_throttle(gnut_clock *clock, guint burst, guint interval_ms)
{
	gnut_ip_admit_config ac = {
	    .max_entries = GNUT_UDP_ADDRESS_TABLE,
	    .burst = burst,
	    .interval_us = (gint64)interval_ms * G_TIME_SPAN_MILLISECOND,
	};
	return gnut_ip_admit_new(clock, &ac);
}

gnut_udp *gnut_udp_new(const gnut_udp_config *config, gnut_udp_recv_fn recv, gpointer user_data,
                       GError **error)
{
	g_return_val_if_fail(config != NULL && config->address != NULL && recv != NULL, NULL);
	gnut_udp *u = g_new0(gnut_udp, 1);
	gnut_clock *clock = config->clock != NULL ? config->clock : gnut_clock_system();
	u->max_datagram =
	    config->max_datagram != 0 ? config->max_datagram : GNUT_UDP_DEFAULT_MAX_DATAGRAM;
	u->buffer = g_malloc(u->max_datagram + 1);
	u->recv_admit =
	    new_throttle(clock, or_default(config->recv_burst, GNUT_UDP_DEFAULT_RECV_BURST),
	                 or_default(config->recv_interval_ms, GNUT_UDP_DEFAULT_RECV_INTERVAL));
	u->send_admit =
	    new_throttle(clock, or_default(config->send_burst, GNUT_UDP_DEFAULT_SEND_BURST),
	                 or_default(config->send_interval_ms, GNUT_UDP_DEFAULT_SEND_INTERVAL));
	guint64 rate = config->send_rate != 0 ? config->send_rate : GNUT_UDP_DEFAULT_SEND_RATE;
	/* a burst of one second's budget, and always room for one datagram */
	if (rate != G_MAXUINT64)
		u->send_budget = gnut_rate_limit_new(clock, rate, MAX(rate, u->max_datagram));
	u->drop_log = gnut_log_limit_new(clock);
	u->clock = clock;
	u->sent_to = g_hash_table_new_full(gnut_ip_key_hash, gnut_ip_key_equal, g_free, g_free);
	u->recv = recv;
	u->user_data = user_data;
	if (!udp_bind(u, config, error)) {
		gnut_udp_free(u);
		return NULL;
	}
	return u;
}

void gnut_udp_free(gnut_udp *u)
{
	if (u == NULL)
		return;
	if (u->watch != NULL) {
		g_source_destroy(u->watch);
		g_source_unref(u->watch);
	}
	if (u->socket != NULL) {
		g_socket_close(u->socket, NULL);
		g_object_unref(u->socket);
	}
	gnut_ip_admit_free(u->recv_admit);
	gnut_ip_admit_free(u->send_admit);
	if (u->sent_to != NULL)
		g_hash_table_unref(u->sent_to);
	if (u->send_budget != NULL)
		gnut_rate_limit_free(u->send_budget);
	gnut_log_limit_free(u->drop_log);
	g_free(u->buffer);
	g_free(u);
}

guint16 gnut_udp_get_port(const gnut_udp *u)
{
	return u->port;
}

const gnut_udp_stats *gnut_udp_get_stats(const gnut_udp *u)
{
	return &u->stats;
}
