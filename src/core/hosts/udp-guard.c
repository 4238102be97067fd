/* udp-guard.c: the reflection rule (see udp-guard.h): a table of verified
 * addresses with their expiry, and a bounded table of answers held back
 * until their address passes a challenge. */
#define G_LOG_DOMAIN "gnut-core"

#include "gnut/core/hosts/udp-guard.h"

#include <string.h>

typedef struct {
	gnut_guid guid; /* the challenge's: the table's key */
	guint32 ip;
	guint16 port;
	GBytes *answer;
	gint64 expires_us;
} held_answer;

struct gnut_udp_guard {
	gnut_clock *clock;
	gnut_udp_guard_linked_fn is_linked;
	gpointer data;
	GHashTable *verified;    /* ip << 16 | port (gint64 *) -> expiry (gint64 *) */
	GHashTable *held;        /* &guid -> held_answer */
	GHashTable *held_per_ip; /* ip -> count */
	guint64 dropped;
};

static gint64 *new_key(guint32 ip, guint16 port)
{
	gint64 *k = g_new(gint64, 1);
	*k = (gint64)ip << 16 | port;
	return k;
}

static void held_free(gpointer p)
{
	held_answer *h = p;
	g_bytes_unref(h->answer);
	g_free(h);
}

gnut_udp_guard *gnut_udp_guard_new(gnut_clock *clock, gnut_udp_guard_linked_fn is_linked,
                                   gpointer data)
{
	gnut_udp_guard *g = g_new0(gnut_udp_guard, 1);
	g->clock = clock;
	g->is_linked = is_linked;
	g->data = data;
	g->verified = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	g->held = g_hash_table_new_full(gnut_guid_hash, gnut_guid_equal, NULL, held_free);
	g->held_per_ip = g_hash_table_new(g_direct_hash, g_direct_equal);
	return g;
}

void gnut_udp_guard_free(gnut_udp_guard *g)
{
	if (g == NULL)
		return;
	g_hash_table_unref(g->verified);
	g_hash_table_unref(g->held);
	g_hash_table_unref(g->held_per_ip);
	g_free(g);
}

static gint64 now_us(const gnut_udp_guard *g)
{
	return gnut_clock_now_us(g->clock);
}

static gboolean is_expired(gpointer key, gpointer value, gpointer now)
{
	(void)key;
	return *(gint64 *)value <= *(gint64 *)now;
}

/* Records ip:port as verified until now + seconds (never shortens). */
static void verify_for(gnut_udp_guard *g, guint32 ip, guint16 port, gint64 seconds)
{
	gint64 now = now_us(g);
	gint64 until = now + seconds * G_USEC_PER_SEC;
	gint64 key = (gint64)ip << 16 | port;
	gint64 *expiry = g_hash_table_lookup(g->verified, &key);
	if (expiry != NULL) {
		*expiry = MAX(*expiry, until);
		return;
	}
	if (g_hash_table_size(g->verified) >= GNUT_UDP_GUARD_MAX_ADDRESSES)
		g_hash_table_foreach_remove(g->verified, is_expired, &now);
	if (g_hash_table_size(g->verified) >= GNUT_UDP_GUARD_MAX_ADDRESSES)
		return; /* full of live entries: this one will be challenged */
	gint64 *v = g_new(gint64, 1);
	*v = until;
	g_hash_table_insert(g->verified, new_key(ip, port), v);
}

void gnut_udp_guard_solicited(gnut_udp_guard *g, guint32 ip, guint16 port)
{
	verify_for(g, ip, port, GNUT_UDP_GUARD_SOLICITED_S);
}

void gnut_udp_guard_proved(gnut_udp_guard *g, guint32 ip, guint16 port)
{
	verify_for(g, ip, port, GNUT_UDP_GUARD_PROVED_S);
}

gboolean gnut_udp_guard_is_verified(gnut_udp_guard *g, guint32 ip, guint16 port)
{
	if (g->is_linked != NULL && g->is_linked(ip, g->data))
		return TRUE;
	gint64 key = (gint64)ip << 16 | port;
	const gint64 *expiry = g_hash_table_lookup(g->verified, &key);
	return expiry != NULL && *expiry > now_us(g);
}

static void held_count(gnut_udp_guard *g, guint32 ip, gint delta)
{
	gpointer k = GUINT_TO_POINTER(ip);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(g->held_per_ip, k));
	n = (guint)((gint)n + delta);
	if (n == 0)
		g_hash_table_remove(g->held_per_ip, k);
	else
		g_hash_table_insert(g->held_per_ip, k, GUINT_TO_POINTER(n));
}

static gboolean held_expired(gpointer key, gpointer value, gpointer user_data)
{
	(void)key;
	gnut_udp_guard *g = user_data;
	held_answer *h = value;
	if (h->expires_us > now_us(g))
		return FALSE;
	held_count(g, h->ip, -1);
	return TRUE;
}

gnut_udp_guard_verdict gnut_udp_guard_check(gnut_udp_guard *g, guint32 ip, guint16 port,
                                            gsize request_len, GBytes *answer, gnut_guid *challenge)
{
	if (g_bytes_get_size(answer) <= request_len || gnut_udp_guard_is_verified(g, ip, port))
		return GNUT_UDP_GUARD_SEND;
	g_hash_table_foreach_remove(g->held, held_expired, g);
	guint per_ip = GPOINTER_TO_UINT(g_hash_table_lookup(g->held_per_ip, GUINT_TO_POINTER(ip)));
	if (per_ip >= GNUT_UDP_GUARD_PENDING_PER_IP ||
	    g_hash_table_size(g->held) >= GNUT_UDP_GUARD_PENDING) {
		g->dropped++;
		return GNUT_UDP_GUARD_DROP;
	}
	held_answer *h = g_new0(held_answer, 1);
	gnut_guid_generate(&h->guid);
	h->ip = ip;
	h->port = port;
	h->answer = g_bytes_ref(answer);
	h->expires_us = now_us(g) + (gint64)GNUT_UDP_GUARD_PENDING_S * G_USEC_PER_SEC;
	g_hash_table_insert(g->held, &h->guid, h);
	held_count(g, ip, +1);
	*challenge = h->guid;
	return GNUT_UDP_GUARD_CHALLENGE;
}

GBytes *gnut_udp_guard_pong(gnut_udp_guard *g, guint32 ip, guint16 port, const gnut_guid *guid)
{
	held_answer *h = g_hash_table_lookup(g->held, guid);
	if (h == NULL || h->ip != ip || h->port != port || h->expires_us <= now_us(g))
		return NULL;
	GBytes *answer = g_bytes_ref(h->answer);
	held_count(g, ip, -1);
	g_hash_table_remove(g->held, guid);
	gnut_udp_guard_proved(g, ip, port);
	return answer;
}

guint gnut_udp_guard_pending(const gnut_udp_guard *g)
{
	return g_hash_table_size(g->held);
}

guint64 gnut_udp_guard_dropped(const gnut_udp_guard *g)
{
	return g->dropped;
}
