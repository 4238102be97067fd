/* bench-soak-links.c: the soak's Gnutella links to gnutd, all served by one
 * poll loop in the calling thread.
 *
 * Opening: link i is a non-blocking socket bound to the source address
 * 127.10.(k / 254).(k % 254 + 1), k = i % ceil(n / per_ip): consecutive
 * links come from different addresses and no address has more than per_ip
 * links (so that per-IP caps do not refuse them all, and never all at
 * once). Link i announces itself as an ultrapeer when i % 10 == 0, as a
 * leaf (X-Ultrapeer: False) otherwise. At most SOAK_WINDOW handshakes are in
 * flight at once. Each queues its CONNECT block at once (written when the
 * connect completes), reads the daemon's header block and answers a 200 with
 * its final 200; a leaf then sends a QRP table (RESET + PATCH, 64K slots)
 * holding the words of one of the query texts, so that the daemon routes the
 * queries for that text to it. With deflate, every link offers and then
 * uses "Content-Encoding: deflate" both ways (messages are compressed in a
 * batch per write, sync-flushed). Anything but a 200 is a refusal, counted by
 * its status line, as are resets, closes without an answer and handshakes
 * with no answer within SOAK_IO_TIMEOUT_S.
 *
 * Pumping: queries fall due at a steady rate from the pump's start; each
 * goes to the next linked ultrapeer in turn (a random GUID, TTL 2 or 3, hops
 * 0, one of soak_texts at random), unless that link's output already holds
 * SOAK_OUT_CAP bytes: then it is skipped and counted. Every link answers
 * pings with pongs, counts what else arrives and drops it. After the
 * duration no query is added: the outputs drain and the loop goes on until
 * nothing arrived for SOAK_QUIET_MS (at most SOAK_DRAIN_S). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>

#include "bench-soak.h"
#include "gnut/net/deflate-stream.h"
#include "gnut/proto/bye.h"
#include "gnut/proto/keywords.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/qrp-table.h"
#include "gnut/proto/query.h"

#define SOAK_WINDOW     64 /* handshakes in flight at once */
#define SOAK_HEAD_CAP   8192
#define SOAK_IO_CHUNK   (64 * 1024)
#define SOAK_OUT_CAP    (64 * 1024) /* bytes queued on a link before queries are skipped */
#define SOAK_REASON_CAP 100         /* bytes of a status line kept as a reason */
#define SOAK_DRAIN_S    5
#define SOAK_QUIET_MS   500
#define SOAK_SRC_NET    0x7f0a0000u /* 127.10.0.0 */

static const char connect_ultrapeer[] = "GNUTELLA CONNECT/0.6\r\n"
                                        "User-Agent: bench-soak/1\r\n"
                                        "X-Ultrapeer: True\r\n"
                                        "\r\n";
static const char connect_leaf[] = "GNUTELLA CONNECT/0.6\r\n"
                                   "User-Agent: bench-soak/1\r\n"
                                   "X-Ultrapeer: False\r\n"
                                   "X-Query-Routing: 0.1\r\n"
                                   "\r\n";
static const char final_block[] = "GNUTELLA/0.6 200 OK\r\n\r\n";
static const char deflate_offer[] = "Accept-Encoding: deflate\r\n";
static const char final_deflate[] = "GNUTELLA/0.6 200 OK\r\nContent-Encoding: deflate\r\n\r\n";

typedef enum {
	LINK_IDLE,      /* not opened yet */
	LINK_HANDSHAKE, /* CONNECT queued or sent, the daemon's answer awaited */
	LINK_UP,
	LINK_CLOSED,
} link_state;

typedef struct {
	int fd;
	link_state state;
	gboolean ultrapeer;
	guint index;
	guint32 src_ipv4; /* host order */
	GByteArray *in, *out;
	GByteArray *plain;       /* messages to compress into out (deflate) */
	GByteArray *zin;         /* compressed input (deflate) */
	gnut_deflater *deflater; /* once up, with deflate */
	gnut_inflater *inflater;
	gint64 deadline_us; /* of the handshake */
	char *bye;          /* the daemon's Bye, when it sent one */
} soak_link;

struct soak_links {
	guint16 port;
	gboolean deflate;
	guint n, n_ips;
	soak_link *links;
	guint next;      /* the next link to open */
	guint in_flight; /* handshakes */
	GPtrArray *open; /* soak_link *: handshaking or up (closed ones pruned at each poll) */
	GPtrArray *ultrapeers; /* soak_link *: up ultrapeers, the pump's targets */
	guint round_robin;
	GHashTable *refusals, *losses;   /* reason -> count */
	GByteArray *query[SOAK_N_TEXTS]; /* payloads */
	GByteArray *qrp[SOAK_N_TEXTS];   /* whole QRP messages, RESET then PATCHes */
	GArray *pfds;                    /* struct pollfd, parallel to polled */
	GPtrArray *polled;
	GRand *rand;
	soak_traffic traffic;
	gint64 last_in_us, last_query_write_us;
};

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static void random_guid(GRand *rand, gnut_guid *guid)
{
	for (int i = 0; i < GNUT_GUID_LEN; i += 4)
		gnut_poke_le32(guid->bytes + i, g_rand_int(rand));
	guid->bytes[8] = 0xff;
	guid->bytes[15] = 0x00;
}

/* ---- set-up ---- */

static GByteArray *query_payload(const char *text)
{
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H,
	                .text = text,
	                .text_len = strlen(text)};
	GByteArray *payload = g_byte_array_new();
	if (gnut_query_encode(payload, &q) != GNUT_PROTO_OK)
		g_error("cannot encode the query \"%s\"", text);
	return payload;
}

/* The messages a leaf sends to hand over a table holding text's words. */
static GByteArray *qrp_messages(const char *text, GRand *rand)
{
	g_autoptr(GPtrArray) words = gnut_keywords_split_unique(text, strlen(text));
	g_autoptr(gnut_qrp_table) table =
	    gnut_qrp_table_from_keywords(GNUT_QRP_DEFAULT_SLOTS, words, FALSE);
	g_autoptr(GPtrArray) payloads = gnut_qrp_table_encode_update(table, NULL, NULL);
	GByteArray *out = g_byte_array_new();
	for (guint i = 0; i < payloads->len; i++) {
		gsize len;
		const guint8 *p = g_bytes_get_data(g_ptr_array_index(payloads, i), &len);
		gnut_guid guid;
		random_guid(rand, &guid);
		gnut_msg_append(out, &guid, GNUT_QRP_MSG_TYPE, 1, 0, p, len);
	}
	return out;
}

soak_links *soak_links_new(const soak_links_config *c)
{
	soak_links *ls = g_new0(soak_links, 1);
	ls->port = c->port;
	ls->deflate = c->deflate;
	ls->n = c->n;
	ls->n_ips = (c->n + c->per_ip - 1) / c->per_ip;
	ls->links = g_new0(soak_link, c->n);
	for (guint i = 0; i < c->n; i++) {
		soak_link *l = &ls->links[i];
		guint k = i % ls->n_ips;
		l->fd = -1;
		l->index = i;
		l->ultrapeer = c->ultrapeers < 0 ? i % 10 == 0 : i < (guint)c->ultrapeers;
		l->src_ipv4 = SOAK_SRC_NET | ((k / 254) << 8) | (k % 254 + 1);
	}
	ls->open = g_ptr_array_new();
	ls->ultrapeers = g_ptr_array_new();
	ls->refusals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ls->losses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ls->pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
	ls->polled = g_ptr_array_new();
	ls->rand = g_rand_new();
	for (guint t = 0; t < SOAK_N_TEXTS; t++) {
		ls->query[t] = query_payload(soak_texts[t]);
		ls->qrp[t] = qrp_messages(soak_texts[t], ls->rand);
	}
	return ls;
}

static void link_close(soak_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->state = LINK_CLOSED;
	g_clear_pointer(&l->in, g_byte_array_unref);
	g_clear_pointer(&l->out, g_byte_array_unref);
	g_clear_pointer(&l->plain, g_byte_array_unref);
	g_clear_pointer(&l->zin, g_byte_array_unref);
	g_clear_pointer(&l->deflater, gnut_deflater_free);
	g_clear_pointer(&l->inflater, gnut_inflater_free);
	g_clear_pointer(&l->bye, g_free);
}

void soak_links_free(soak_links *ls)
{
	if (ls == NULL)
		return;
	for (guint i = 0; i < ls->n; i++)
		link_close(&ls->links[i]);
	g_free(ls->links);
	g_ptr_array_unref(ls->open);
	g_ptr_array_unref(ls->ultrapeers);
	g_hash_table_unref(ls->refusals);
	g_hash_table_unref(ls->losses);
	g_array_unref(ls->pfds);
	g_ptr_array_unref(ls->polled);
	g_rand_free(ls->rand);
	for (guint t = 0; t < SOAK_N_TEXTS; t++) {
		g_byte_array_unref(ls->query[t]);
		g_byte_array_unref(ls->qrp[t]);
	}
	g_free(ls);
}

/* ---- one link ---- */

static void count_reason(GHashTable *table, const char *reason)
{
	gpointer old = g_hash_table_lookup(table, reason);
	g_hash_table_replace(table, g_strdup(reason), GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
}

/* Closes l and counts why: as a refusal while it handshakes, as a loss once
 * it is up (its Bye, when the daemon sent one, is the reason then). */
static void link_end(soak_links *ls, soak_link *l, const char *reason)
{
	if (l->state == LINK_HANDSHAKE) {
		ls->in_flight--;
		count_reason(ls->refusals, reason);
	} else if (l->state == LINK_UP) {
		ls->traffic.links_lost++;
		count_reason(ls->losses, l->bye != NULL ? l->bye : reason);
	}
	link_close(l);
}

static void link_end_errno(soak_links *ls, soak_link *l, const char *what, int err)
{
	g_autofree char *reason = g_strdup_printf("%s: %s", what, g_strerror(err));
	link_end(ls, l, reason);
}

/* Starts the connect and queues the CONNECT block behind it. */
static void link_open(soak_links *ls, soak_link *l, gint64 now)
{
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(l->src_ipv4)};
	struct sockaddr_in dst = {.sin_family = AF_INET,
	                          .sin_port = htons(ls->port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	l->state = LINK_HANDSHAKE;
	l->deadline_us = now + SOAK_IO_TIMEOUT_S * G_USEC_PER_SEC;
	l->in = g_byte_array_new();
	l->out = g_byte_array_new();
	l->plain = g_byte_array_new();
	l->zin = g_byte_array_new();
	ls->in_flight++;
	g_ptr_array_add(ls->open, l);
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		link_end_errno(ls, l, "socket", errno);
		return;
	}
	if (bind(l->fd, (struct sockaddr *)&src, sizeof src) < 0) {
		link_end_errno(ls, l, "bind", errno);
		return;
	}
	if (connect(l->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
		link_end_errno(ls, l, "connect", errno);
		return;
	}
	const char *block = l->ultrapeer ? connect_ultrapeer : connect_leaf;
	/* the block without its empty line, the offer, then the empty line */
	g_byte_array_append(l->out, (const guint8 *)block, (guint)strlen(block) - 2);
	if (ls->deflate)
		g_byte_array_append(l->out, (const guint8 *)deflate_offer,
		                    sizeof deflate_offer - 1);
	g_byte_array_append(l->out, (const guint8 *)"\r\n", 2);
}

/* Where l's messages go: plain, or to be compressed on the next flush. */
static GByteArray *link_output(soak_link *l)
{
	return l->deflater != NULL ? l->plain : l->out;
}

/* Bytes l has to write, compressed or not yet. */
static gsize link_pending(const soak_link *l)
{
	return l->out->len + l->plain->len;
}

/* Writes what l has queued, as far as the socket takes it. FALSE when the
 * link ended. */
static gboolean link_flush(soak_links *ls, soak_link *l, gint64 now)
{
	if (l->deflater != NULL && l->plain->len > 0) {
		gnut_deflater_write(l->deflater, l->plain->data, l->plain->len, l->out);
		gnut_deflater_flush(l->deflater, l->out);
		g_byte_array_set_size(l->plain, 0);
	}
	while (l->out->len > 0) {
		ssize_t n = send(l->fd, l->out->data, l->out->len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		if (n < 0) {
			link_end_errno(ls, l, "send", errno);
			return FALSE;
		}
		g_byte_array_remove_range(l->out, 0, (guint)n);
		if (l->ultrapeer && l->state == LINK_UP)
			ls->last_query_write_us = now;
	}
	return TRUE;
}

typedef enum { READ_OK, READ_EOF, READ_ERROR } read_status;

/* Inflates what zin holds into in. FALSE when the stream is bad. */
static gboolean link_inflate(soak_link *l)
{
	gsize off = 0;
	while (off < l->zin->len) {
		guint old = l->in->len;
		g_byte_array_set_size(l->in, old + SOAK_IO_CHUNK);
		gsize used = 0, made = 0;
		gboolean ok =
		    gnut_inflater_run(l->inflater, l->zin->data + off, l->zin->len - off, &used,
		                      l->in->data + old, SOAK_IO_CHUNK, &made, NULL);
		g_byte_array_set_size(l->in, old + (guint)made);
		off += used;
		if (!ok)
			return FALSE;
		if (used == 0 && made == 0)
			break;
	}
	g_byte_array_remove_range(l->zin, 0, (guint)off);
	return TRUE;
}

/* Reads what is there, a few chunks at most so that the caller parses as
 * it goes (inflated first with deflate). */
static read_status link_read(soak_links *ls, soak_link *l, int *err, gint64 now)
{
	read_status rs = READ_OK;
	GByteArray *dst = l->inflater != NULL ? l->zin : l->in;
	for (int round = 0; round < 4; round++) {
		guint old = dst->len;
		g_byte_array_set_size(dst, old + SOAK_IO_CHUNK);
		ssize_t n = recv(l->fd, dst->data + old, SOAK_IO_CHUNK, 0);
		*err = errno;
		g_byte_array_set_size(dst, old + (guint)MAX(n, 0));
		if (n > 0)
			ls->last_in_us = now;
		if (n > 0 && n < SOAK_IO_CHUNK)
			break;
		if (n > 0 || (n < 0 && *err == EINTR))
			continue;
		if (n < 0 && !(*err == EAGAIN || *err == EWOULDBLOCK))
			rs = n == 0 ? READ_EOF : READ_ERROR;
		else if (n == 0)
			rs = READ_EOF;
		break;
	}
	if (l->inflater != NULL && !link_inflate(l)) {
		*err = EPROTO;
		return READ_ERROR;
	}
	return rs;
}

/* The daemon's answer to our CONNECT, once its header block is in: a 200
 * makes the link up (our final 200, and a leaf's QRP table, are queued),
 * anything else ends it, counted by its status line. */
static void link_read_answer(soak_links *ls, soak_link *l)
{
	const char *data = (const char *)l->in->data;
	const char *end = g_strstr_len(data, l->in->len, "\r\n\r\n");
	if (end == NULL) {
		if (l->in->len >= SOAK_HEAD_CAP)
			link_end(ls, l, "an answer over 8 KiB");
		return;
	}
	if (l->in->len < 16 || memcmp(data, "GNUTELLA/0.6 200", 16) != 0) {
		g_autofree char *head = g_strndup(data, MIN((gsize)(end - data), SOAK_REASON_CAP));
		head[strcspn(head, "\r\n")] = '\0';
		g_autofree char *line = g_utf8_make_valid(head, -1);
		link_end(ls, l, line);
		return;
	}
	gboolean deflate =
	    ls->deflate && g_strstr_len(data, end - data, "Content-Encoding: deflate") != NULL;
	g_byte_array_remove_range(l->in, 0, (guint)(end + 4 - data));
	const char *final = deflate ? final_deflate : final_block;
	g_byte_array_append(l->out, (const guint8 *) final, (guint)strlen(final));
	if (deflate) {
		l->inflater = gnut_inflater_new(GNUT_INFLATE_LINK_MAX_RATIO, 0);
		l->deflater = gnut_deflater_new(-1);
	}
	if (!l->ultrapeer) {
		const GByteArray *qrp = ls->qrp[l->index % SOAK_N_TEXTS];
		g_byte_array_append(link_output(l), qrp->data, qrp->len);
	}
	l->state = LINK_UP;
	ls->in_flight--;
	if (l->ultrapeer)
		g_ptr_array_add(ls->ultrapeers, l);
}

/* A pong for the ping h: an idle servent at the link's own address. */
static void queue_pong(soak_link *l, const gnut_msg_header *h)
{
	gnut_pong p = {.port = 6346, .ipv4 = l->src_ipv4};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_pong_encode(payload, &p);
	gnut_msg_append(link_output(l), &h->guid, GNUT_MSG_PONG, 1, 0, payload->data, payload->len);
}

/* Keeps the first line of a Bye as the reason the link will end with. */
static void keep_bye(soak_link *l, const guint8 *payload, gsize len)
{
	gnut_bye bye;
	if (gnut_bye_decode(payload, len, &bye) != GNUT_PROTO_OK)
		return;
	g_autofree char *line = g_strndup(bye.reason, MIN(bye.line_len, SOAK_REASON_CAP));
	g_autofree char *valid = g_utf8_make_valid(line, -1);
	g_free(l->bye);
	l->bye = g_strdup_printf("Bye %u %s", bye.code, valid);
}

/* Counts the whole messages in l->in and drops them from it; answers pings. */
static void link_parse(soak_links *ls, soak_link *l)
{
	soak_traffic *t = &ls->traffic;
	gsize pos = 0;
	while (l->in->len - pos >= GNUT_MSG_HEADER_LEN) {
		gnut_msg_header h;
		const guint8 *at = l->in->data + pos;
		if (gnut_msg_header_decode(at, l->in->len - pos, GNUT_MSG_MAX_PAYLOAD, &h) !=
		    GNUT_PROTO_OK) {
			link_end(ls, l, "a bad message header from gnutd");
			return;
		}
		if (l->in->len - pos - GNUT_MSG_HEADER_LEN < h.length)
			break;
		pos += GNUT_MSG_HEADER_LEN + h.length;
		if (h.type == GNUT_MSG_QUERY && l->ultrapeer)
			t->relayed_to_ultrapeers++;
		else if (h.type == GNUT_MSG_QUERY)
			t->relayed_to_leaves++;
		else if (h.type == GNUT_MSG_QUERY_HIT)
			t->hits++;
		else if (h.type == GNUT_MSG_PING)
			t->pings++;
		else
			t->others++;
		if (h.type == GNUT_MSG_PING)
			queue_pong(l, &h);
		else if (h.type == GNUT_MSG_BYE)
			keep_bye(l, at + GNUT_MSG_HEADER_LEN, h.length);
	}
	g_byte_array_remove_range(l->in, 0, (guint)pos);
}

/* What poll said about l: write, read, then act on what was read (the
 * bytes before an end of stream count too). */
static void link_service(soak_links *ls, soak_link *l, short revents, gint64 now)
{
	if ((revents & (POLLOUT | POLLERR)) && !link_flush(ls, l, now))
		return;
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	int err = 0;
	read_status rs = link_read(ls, l, &err, now);
	if (l->state == LINK_HANDSHAKE)
		link_read_answer(ls, l);
	if (l->state == LINK_UP)
		link_parse(ls, l);
	if (rs == READ_OK || l->state == LINK_CLOSED)
		return;
	if (rs == READ_ERROR)
		link_end_errno(ls, l, "recv", err);
	else
		link_end(ls, l,
		         l->state == LINK_HANDSHAKE ? "closed without an answer"
		                                    : "closed by gnutd");
}

/* ---- the loop ---- */

/* One poll round over every open link. Handshakes past their deadline end. */
static gboolean links_poll(soak_links *ls, int timeout_ms, GError **error)
{
	g_array_set_size(ls->pfds, 0);
	g_ptr_array_set_size(ls->polled, 0);
	for (guint i = 0; i < ls->open->len;) {
		soak_link *l = g_ptr_array_index(ls->open, i);
		if (l->state == LINK_CLOSED) {
			g_ptr_array_remove_index_fast(ls->open, i);
			continue;
		}
		struct pollfd p = {.fd = l->fd,
		                   .events = POLLIN | (link_pending(l) > 0 ? POLLOUT : 0)};
		g_array_append_val(ls->pfds, p);
		g_ptr_array_add(ls->polled, l);
		i++;
	}
	struct pollfd *pfds = (struct pollfd *)(void *)ls->pfds->data;
	if (poll(pfds, ls->pfds->len, timeout_ms) < 0 && errno != EINTR)
		return soak_fail_errno(error, "poll");
	gint64 now = now_us();
	for (guint i = 0; i < ls->polled->len; i++) {
		soak_link *l = g_ptr_array_index(ls->polled, i);
		if (pfds[i].revents != 0 && l->state != LINK_CLOSED)
			link_service(ls, l, pfds[i].revents, now);
		if (l->state == LINK_HANDSHAKE && now > l->deadline_us)
			link_end(ls, l, "no answer in 10 s");
	}
	return TRUE;
}

gboolean soak_links_open(soak_links *ls, GError **error)
{
	while (ls->next < ls->n || ls->in_flight > 0) {
		gint64 now = now_us();
		while (ls->in_flight < SOAK_WINDOW && ls->next < ls->n)
			link_open(ls, &ls->links[ls->next++], now);
		if (!links_poll(ls, 50, error))
			return FALSE;
	}
	return TRUE;
}

guint soak_links_up(const soak_links *ls, gboolean ultrapeers)
{
	guint up = 0;
	for (guint i = 0; i < ls->n; i++)
		up += ls->links[i].state == LINK_UP && ls->links[i].ultrapeer == ultrapeers;
	return up;
}

GHashTable *soak_links_refusals(const soak_links *ls)
{
	return ls->refusals;
}

GHashTable *soak_links_losses(const soak_links *ls)
{
	return ls->losses;
}

const soak_traffic *soak_links_traffic(const soak_links *ls)
{
	return &ls->traffic;
}

/* The next ultrapeer in turn that is still up (closed ones leave the
 * rotation), or NULL when none is. */
static soak_link *next_ultrapeer(soak_links *ls)
{
	while (ls->ultrapeers->len > 0) {
		guint i = ls->round_robin++ % ls->ultrapeers->len;
		soak_link *l = g_ptr_array_index(ls->ultrapeers, i);
		if (l->state == LINK_UP)
			return l;
		g_ptr_array_remove_index_fast(ls->ultrapeers, i);
	}
	return NULL;
}

/* Queues every query due elapsed_us after the start at `rate` per second. */
static void queue_due(soak_links *ls, double rate, gint64 elapsed_us)
{
	soak_traffic *t = &ls->traffic;
	guint64 due = (guint64)(rate * (double)elapsed_us / 1e6);
	while (t->queries_queued + t->queries_skipped < due) {
		soak_link *l = next_ultrapeer(ls);
		if (l == NULL || link_pending(l) >= SOAK_OUT_CAP) {
			t->queries_skipped++;
			continue;
		}
		guint text = (guint)g_rand_int_range(ls->rand, 0, SOAK_N_TEXTS);
		guint8 ttl = (guint8)g_rand_int_range(ls->rand, 2, 4);
		gnut_guid guid;
		random_guid(ls->rand, &guid);
		gnut_msg_append(link_output(l), &guid, GNUT_MSG_QUERY, ttl, 0,
		                ls->query[text]->data, ls->query[text]->len);
		t->queries_queued++;
	}
}

static gboolean outputs_empty(const soak_links *ls)
{
	for (guint i = 0; i < ls->open->len; i++) {
		const soak_link *l = g_ptr_array_index(ls->open, i);
		if (l->state == LINK_UP && link_pending(l) > 0)
			return FALSE;
	}
	return TRUE;
}

/* What the ultrapeer outputs still hold, in queries of average length: an
 * estimate, as the outputs hold pongs too. */
static guint64 unsent_queries(const soak_links *ls)
{
	gsize bytes = 0, text_bytes = 0;
	for (guint i = 0; i < ls->ultrapeers->len; i++) {
		const soak_link *l = g_ptr_array_index(ls->ultrapeers, i);
		if (l->state == LINK_UP)
			bytes += link_pending(l);
	}
	for (guint t = 0; t < SOAK_N_TEXTS; t++)
		text_bytes += GNUT_MSG_HEADER_LEN + ls->query[t]->len;
	return (guint64)(bytes * SOAK_N_TEXTS / text_bytes);
}

gboolean soak_links_pump(soak_links *ls, double rate, double duration_s, soak_tick_fn tick,
                         gpointer tick_data, GError **error)
{
	memset(&ls->traffic, 0, sizeof ls->traffic);
	gint64 start = now_us(), t = start;
	gint64 end = start + (gint64)(duration_s * G_USEC_PER_SEC);
	gint64 drain_end = end + SOAK_DRAIN_S * G_USEC_PER_SEC;
	gint64 next_tick = start + G_USEC_PER_SEC;
	ls->traffic.start_us = start;
	ls->last_in_us = ls->last_query_write_us = start;
	while (t < drain_end) {
		if (t < end)
			queue_due(ls, rate, t - start);
		else if (outputs_empty(ls) && t - ls->last_in_us >= SOAK_QUIET_MS * 1000)
			break;
		if (!links_poll(ls, t < end ? 1 : 10, error))
			return FALSE;
		t = now_us();
		if (t >= next_tick) {
			tick(tick_data, t);
			next_tick += G_USEC_PER_SEC;
		}
	}
	ls->traffic.end_us = MAX(ls->last_query_write_us, start + 1);
	ls->traffic.queries_unsent = unsent_queries(ls);
	return TRUE;
}
