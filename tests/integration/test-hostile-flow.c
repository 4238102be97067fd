/* test-hostile-flow.c: a real gnutd ultrapeer on loopback against peers that
 * flood it or try to fill its memory (issue 7, points 3 and 4):
 *   - a leaf flooding queries gets its excess dropped, then Bye 429, while
 *     another link keeps being answered;
 *   - an ultrapeer link flooding queries is first told Hops Flow 0, then Bye;
 *   - a leaf's queries past the dynamic-querying caps (16 running per leaf)
 *     reach none of gnutd's other ultrapeers, and an ultrapeer that sent
 *     Hops Flow 0 gets none of them at all;
 *   - one IP opening many links that announce the largest query routing
 *     table and stream its patch gets two links at most, its tables refused,
 *     and gnutd's resident memory stays within 20 MB of what it was;
 *   - at the end gnutd still links and answers a good peer.
 * Each peer speaks from an address of its own in 127.0.0.0/8 (gnutd takes
 * two links per IP), so that one attack's links never count against
 * another's. The daemon is the suite's fixture, as in test-hostile.c. */
#include "gnut/proto/msg-header.h"
#include "gnut/proto/qrp-msg.h"
#include "gnut/proto/vendor-bear.h"
#include "gnut/proto/vendor-msg.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define START_WAIT_S  20          /* for gnutd to listen and index its share */
#define REPLY_WAIT_MS 10000       /* for an answer, a Bye or a close */
#define QUIET_MS      1500        /* nothing more comes: gnutd is done with it */
#define RSS_BOUND_KB  (20 * 1024) /* what the QRP attack may add to gnutd's RSS */

static gnutd_fixture fx;

/* ---- the daemon ---- */

static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx);
}

/* Starts an ultrapeer gnutd sharing public.txt and waits until it listens
 * and has indexed the file (every test's queries are for it). */
static int suite_init(void)
{
	gnutd_fixture_init(&fx);
	/* the reconnection throttle lifted: these tests hit the caps that come
	 * after admission (test-hostile-admission tests the throttle) */
	const char *const extra[] = {"--ultrapeer", "--reconnect-limit=0", NULL};
	return gnutd_fixture_start(&fx, extra, "sharing 1 files", START_WAIT_S) ? 0 : 1;
}

/* gnutd's resident memory in KiB, from /proc/PID/status; 0 when unknown. */
static guint64 daemon_rss_kb(void)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)fx.pid);
	g_autofree char *status = NULL;
	if (!g_file_get_contents(path, &status, NULL, NULL))
		return 0;
	const char *at = strstr(status, "VmRSS:");
	return at != NULL ? g_ascii_strtoull(at + strlen("VmRSS:"), NULL, 10) : 0;
}

/* ---- a raw peer ---- */

/* One link to gnutd and what came back on it. */
typedef struct {
	int fd;
	GByteArray *in;          /* received, not yet framed */
	gboolean closed;         /* gnutd closed it */
	guint bye_code;          /* of gnutd's Bye, 0 when none */
	int hops_flow;           /* the last Hops Flow gnutd sent, -1 when none */
	guint pongs;             /* pongs received */
	GHashTable *hit_guids;   /* GUIDs of the query hits received (GBytes set) */
	GHashTable *query_guids; /* GUIDs of the queries received (GBytes set) */
} peer;

static void peer_free(peer *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	g_byte_array_unref(p->in);
	g_hash_table_unref(p->hit_guids);
	g_hash_table_unref(p->query_guids);
	g_free(p);
}

/* A TCP connection to gnutd from ip (an address of 127.0.0.0/8). */
static int dial_from(const char *ip)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in from = {.sin_family = AF_INET};
	inet_pton(AF_INET, ip, &from.sin_addr);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* gnutd may close on us mid-attack: that is the point */
		p += n;
		len -= (size_t)n;
	}
}

/* Handshakes from ip as a leaf or an ultrapeer; NULL when refused (its
 * status code in *code). */
static peer *peer_open(const char *ip, gboolean ultrapeer, guint *code)
{
	*code = 0;
	int fd = dial_from(ip);
	if (fd < 0)
		return NULL;
	g_autofree char *hello = g_strdup_printf(
	    "GNUTELLA CONNECT/0.6\r\nUser-Agent: hostile-flow/1\r\nX-Ultrapeer: %s\r\n"
	    "X-Query-Routing: 0.1\r\nBye-Packet: 0.1\r\nVendor-Message: 0.1\r\n\r\n",
	    ultrapeer ? "True" : "False");
	send_all(fd, hello, strlen(hello));
	GString *got = g_string_new(NULL);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (strstr(got->str, "\r\n\r\n") == NULL && poll(&pfd, 1, REPLY_WAIT_MS) > 0) {
		char c;
		if (recv(fd, &c, 1, 0) != 1)
			break;
		g_string_append_c(got, c);
	}
	if (g_str_has_prefix(got->str, "GNUTELLA/0.6 "))
		*code = (guint)atoi(got->str + strlen("GNUTELLA/0.6 "));
	g_string_free(got, TRUE);
	if (*code != 200) {
		close(fd);
		return NULL;
	}
	send_all(fd, "GNUTELLA/0.6 200 OK\r\n\r\n", 23);
	peer *p = g_new0(peer, 1);
	p->fd = fd;
	p->in = g_byte_array_new();
	p->hops_flow = -1;
	p->hit_guids =
	    g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	p->query_guids =
	    g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	return p;
}

static void peer_send(peer *p, const guint8 guid[GNUT_GUID_LEN], guint8 type, guint8 ttl,
                      guint8 hops, const void *payload, gsize len)
{
	guint8 h[GNUT_MSG_HEADER_LEN];
	memcpy(h, guid, GNUT_GUID_LEN);
	h[16] = type;
	h[17] = ttl;
	h[18] = hops;
	gnut_poke_le32(h + 19, (guint32)len);
	send_all(p->fd, h, sizeof h);
	if (len > 0)
		send_all(p->fd, payload, len);
}

/* A GUID of its own for each (tag, n). */
static void guid_for(guint8 out[GNUT_GUID_LEN], guint8 tag, guint32 n)
{
	memset(out, 0x5a, GNUT_GUID_LEN);
	out[0] = tag;
	gnut_poke_le32(out + 1, n);
}

/* A query for public.txt: flags (none), text, NUL. */
static void send_query(peer *p, const guint8 guid[GNUT_GUID_LEN])
{
	static const char q[] = "\x00\x00public";
	peer_send(p, guid, GNUT_MSG_QUERY, 3, 0, q, sizeof q);
}

static void send_vendor(peer *p, const GByteArray *payload)
{
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0xee, (guint32)g_random_int());
	peer_send(p, guid, GNUT_MSG_VENDOR, 1, 0, payload->data, payload->len);
}

/* Our Messages Supported: Hops Flow, so that gnutd may send us one. */
static void send_supported(peer *p)
{
	const gnut_vmsg_entry ours[] = {{{'B', 'E', 'A', 'R'}, GNUT_BEAR_SEL_HOPS_FLOW, 1}};
	g_autoptr(GByteArray) list = g_byte_array_new();
	gnut_vmsg_supported_encode(list, ours, G_N_ELEMENTS(ours));
	gnut_vendor_msg vm = {.selector = GNUT_VMSG_SEL_SUPPORTED};
	vm.data.data = list->data;
	vm.data.len = list->len;
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_vendor_msg_encode(payload, &vm);
	send_vendor(p, payload);
}

/* Takes note of one message from gnutd. */
static void take(peer *p, const guint8 *m, guint32 len)
{
	const guint8 *payload = m + GNUT_MSG_HEADER_LEN;
	GBytes *guid = g_bytes_new(m, GNUT_GUID_LEN);
	guint8 hops;
	switch (m[16]) {
	case GNUT_MSG_QUERY_HIT:
		g_hash_table_add(p->hit_guids, g_bytes_ref(guid));
		break;
	case GNUT_MSG_QUERY:
		g_hash_table_add(p->query_guids, g_bytes_ref(guid));
		break;
	case GNUT_MSG_PONG:
		p->pongs++;
		break;
	case GNUT_MSG_BYE:
		if (len >= 2)
			p->bye_code = gnut_peek_le16(payload);
		break;
	case GNUT_MSG_VENDOR:
		if (gnut_bear_hops_flow_decode(payload, len, &hops) == GNUT_PROTO_OK)
			p->hops_flow = hops;
		break;
	default:
		break;
	}
	g_bytes_unref(guid);
}

/* Reads what is there (waiting up to ms for the first bytes) and takes
 * note of every whole message. */
static void peer_read(peer *p, int ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	while (!p->closed && poll(&pfd, 1, ms) > 0) {
		guint8 buf[65536];
		ssize_t n = recv(p->fd, buf, sizeof buf, 0);
		if (n <= 0) {
			p->closed = TRUE;
			break;
		}
		g_byte_array_append(p->in, buf, (guint)n);
		ms = 0;
	}
	while (p->in->len >= GNUT_MSG_HEADER_LEN) {
		guint32 len = gnut_peek_le32(p->in->data + 19);
		if (p->in->len - GNUT_MSG_HEADER_LEN < len)
			break;
		take(p, p->in->data, len);
		g_byte_array_remove_range(p->in, 0, GNUT_MSG_HEADER_LEN + len);
	}
}

typedef gboolean (*peer_cond)(peer *p, gconstpointer data);

/* Reads p (and keeps the others read, so that gnutd never backs up on
 * them) until cond holds or timeout_ms passes; returns cond. */
static gboolean wait_for(peer *p, peer_cond cond, gconstpointer data, peer **others, guint n,
                         int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!cond(p, data) && g_get_monotonic_time() < deadline) {
		peer_read(p, 20);
		for (guint i = 0; i < n; i++)
			if (others[i] != NULL)
				peer_read(others[i], 0);
	}
	return cond(p, data);
}

static gboolean is_closed(peer *p, gconstpointer data)
{
	return p->closed;
}

static gboolean has_hit(peer *p, gconstpointer guid)
{
	g_autoptr(GBytes) key = g_bytes_new(guid, GNUT_GUID_LEN);
	return g_hash_table_contains(p->hit_guids, key);
}

static gboolean has_pongs(peer *p, gconstpointer n)
{
	return p->pongs >= GPOINTER_TO_UINT(n);
}

static gboolean has_hops_flow(peer *p, gconstpointer data)
{
	return p->hops_flow >= 0;
}

/* A TTL-1 ping and its pong: gnutd has handled all p sent before it. */
static gboolean ping_through(peer *p)
{
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0xb0, (guint32)g_random_int());
	guint before = p->pongs;
	peer_send(p, guid, GNUT_MSG_PING, 1, 0, NULL, 0);
	return wait_for(p, has_pongs, GUINT_TO_POINTER(before + 1), NULL, 0, REPLY_WAIT_MS);
}

/* A query from p for public.txt is answered with a hit. */
static gboolean query_answered(peer *p, guint32 n)
{
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0xa0, n);
	send_query(p, guid);
	return wait_for(p, has_hit, guid, NULL, 0, REPLY_WAIT_MS);
}

/* ---- the attacks ---- */

/* A leaf sends 300 queries at once: the first 10 (its burst) are answered,
 * the next 100 dropped, and then it is told Bye 429 and closed. A good
 * link from elsewhere is answered before, during and after. */
static void test_leaf_flood(void)
{
	guint code;
	peer *good = peer_open("127.0.0.2", TRUE, &code);
	peer *leaf = peer_open("127.0.0.3", FALSE, &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leaf);
	CU_ASSERT_TRUE(query_answered(good, 1));
	for (guint32 i = 0; i < 300; i++) {
		guint8 guid[GNUT_GUID_LEN];
		guid_for(guid, 0x10, i);
		send_query(leaf, guid);
	}
	CU_ASSERT_TRUE(query_answered(good, 2));
	CU_ASSERT_TRUE(wait_for(leaf, is_closed, NULL, &good, 1, REPLY_WAIT_MS));
	guint answered = g_hash_table_size(leaf->hit_guids);
	fprintf(stderr, "flooding leaf: %u of 300 queries answered, bye %u\n", answered,
	        leaf->bye_code);
	CU_ASSERT(answered >= 10 && answered <= 20);
	CU_ASSERT_EQUAL(leaf->bye_code, 429);
	CU_ASSERT_TRUE(query_answered(good, 3));
	peer_free(leaf);
	peer_free(good);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* Sends p queries 50 at a time (numbering them from *n on), each batch
 * followed by a ping whose pong says gnutd has handled it, until cond holds
 * or max were sent; returns cond. */
static gboolean flood_until(peer *p, guint32 *n, guint32 max, peer_cond cond)
{
	while (!cond(p, NULL) && !p->closed && *n < max) {
		for (guint32 end = *n + 50; *n < end; (*n)++) {
			guint8 guid[GNUT_GUID_LEN];
			guid_for(guid, 0x20, *n);
			send_query(p, guid);
		}
		ping_through(p);
	}
	return wait_for(p, cond, NULL, NULL, 0, REPLY_WAIT_MS);
}

/* An ultrapeer link that understands Hops Flow floods: once its budget
 * (500, then 50 a second) is spent, gnutd asks it for its own queries only
 * (Hops Flow 0), and closes it when the flood goes on. Sent 50 at a time,
 * each batch handled before the next goes, so that the Hops Flow is seen
 * before the 100 drops that end the link. */
static void test_ultrapeer_flood_hops_flow(void)
{
	guint code;
	peer *up = peer_open("127.0.0.4", TRUE, &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(up);
	send_supported(up);
	CU_ASSERT_TRUE(ping_through(up));
	guint32 sent = 0;
	CU_ASSERT_TRUE(flood_until(up, &sent, 5000, has_hops_flow));
	fprintf(stderr, "flooding ultrapeer: Hops Flow %d after %u queries\n", up->hops_flow, sent);
	CU_ASSERT_EQUAL(up->hops_flow, 0);
	CU_ASSERT_FALSE(up->closed);
	CU_ASSERT_TRUE(flood_until(up, &sent, 10000, is_closed));
	CU_ASSERT_EQUAL(up->bye_code, 429);
	peer_free(up);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

#define OBSERVERS 5

/* Whether any observer received the leaf query n. */
static gboolean observed(peer **obs, guint32 n)
{
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0x30, n);
	g_autoptr(GBytes) key = g_bytes_new(guid, GNUT_GUID_LEN);
	for (guint i = 0; i < OBSERVERS; i++)
		if (obs[i] != NULL && g_hash_table_contains(obs[i]->query_guids, key))
			return TRUE;
	return FALSE;
}

/* A leaf keeps 18 queries running (within its query budget: 10 at once,
 * then one a second); gnutd runs 16 per leaf. The two past the cap reach
 * none of the five other ultrapeers (they were flooded to all of them
 * once); the others reach them by dynamic querying, but for the ultrapeer
 * that asked for Hops Flow 0: relayed queries (hops 1 and more), the
 * leaf's and another ultrapeer's alike, are not for it. */
static void test_leaf_queries_past_dq_caps(void)
{
	peer *obs[OBSERVERS] = {NULL};
	guint code;
	for (guint i = 0; i < OBSERVERS; i++) {
		g_autofree char *ip = g_strdup_printf("127.0.0.%u", 11 + i);
		obs[i] = peer_open(ip, TRUE, &code);
		CU_ASSERT_PTR_NOT_NULL_FATAL(obs[i]);
	}
	peer *muted = obs[OBSERVERS - 1];
	g_autoptr(GByteArray) hf = g_byte_array_new();
	gnut_bear_hops_flow_encode(hf, 0);
	send_vendor(muted, hf);
	CU_ASSERT_TRUE(ping_through(muted)); /* its Hops Flow is in */
	peer *leaf = peer_open("127.0.0.5", FALSE, &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(leaf);
	for (guint32 n = 0; n < 18; n++) {
		guint8 guid[GNUT_GUID_LEN];
		guid_for(guid, 0x30, n);
		send_query(leaf, guid);
		if (n >= 9) /* past its burst: one a second, and a little */
			wait_for(leaf, is_closed, NULL, obs, OBSERVERS, 1100);
	}
	wait_for(leaf, is_closed, NULL, obs, OBSERVERS, QUIET_MS);
	guint seen = 0;
	for (guint32 n = 0; n < 16; n++)
		seen += observed(obs, n);
	fprintf(stderr,
	        "leaf queries seen by other ultrapeers: %u of the first 16, 17th %s, "
	        "18th %s; by the one with Hops Flow 0: %u\n",
	        seen, observed(obs, 16) ? "yes" : "no", observed(obs, 17) ? "yes" : "no",
	        g_hash_table_size(muted->query_guids));
	CU_ASSERT_EQUAL(seen, 16);
	CU_ASSERT_FALSE(observed(obs, 16));
	CU_ASSERT_FALSE(observed(obs, 17));
	CU_ASSERT_EQUAL(g_hash_table_size(muted->query_guids), 0);
	CU_ASSERT_FALSE(leaf->closed);
	/* an ultrapeer's query, flooded to the others (hops 1): not to it */
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0x31, 0);
	send_query(obs[0], guid);
	g_autoptr(GBytes) relayed = g_bytes_new(guid, GNUT_GUID_LEN);
	wait_for(leaf, is_closed, NULL, obs, OBSERVERS, QUIET_MS);
	CU_ASSERT_TRUE(g_hash_table_contains(obs[1]->query_guids, relayed));
	CU_ASSERT_FALSE(g_hash_table_contains(muted->query_guids, relayed));
	peer_free(leaf);
	for (guint i = 0; i < OBSERVERS; i++)
		peer_free(obs[i]);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

#define QRP_LINKS 8

/* Announces the largest table (2^22 slots) and streams its patch with
 * 8-bit entries, uncompressed (4 MiB), all but its last message: a servent
 * collecting patches whole would hold all of it. */
static void send_huge_table(peer *p)
{
	g_autoptr(GByteArray) reset = g_byte_array_new();
	gnut_qrp_reset r = {.table_length = GNUT_QRP_MAX_SLOTS, .infinity = 7};
	gnut_qrp_reset_encode(&r, reset);
	guint8 guid[GNUT_GUID_LEN];
	guid_for(guid, 0x40, 0);
	peer_send(p, guid, GNUT_QRP_MSG_TYPE, 1, 0, reset->data, reset->len);
	const gsize total = GNUT_QRP_MAX_SLOTS, slice = GNUT_QRP_MAX_PATCH_DATA;
	const guint8 seq_size = (guint8)((total + slice - 1) / slice);
	g_autofree guint8 *data = g_malloc(slice);
	memset(data, 0xfa, slice); /* -6: every slot present */
	for (guint8 seq = 1; seq < seq_size && !p->closed; seq++) {
		g_autoptr(GByteArray) patch = g_byte_array_new();
		gnut_qrp_patch pt = {.seq_no = seq,
		                     .seq_size = seq_size,
		                     .compressor = GNUT_QRP_COMPRESSOR_NONE,
		                     .entry_bits = 8,
		                     .data = {data, slice}};
		gnut_qrp_patch_encode(&pt, patch);
		guid_for(guid, 0x40, seq);
		peer_send(p, guid, GNUT_QRP_MSG_TYPE, 1, 0, patch->data, patch->len);
		peer_read(p, 0);
	}
}

/* Eight leaf links from one IP, each announcing the largest table: two get
 * in, their tables are refused (Bye 413), and gnutd's memory barely moves. */
static void test_huge_qrp_tables_one_ip(void)
{
	guint64 rss_before = daemon_rss_kb();
	peer *links[QRP_LINKS] = {NULL};
	guint accepted = 0, refused_429 = 0;
	for (guint i = 0; i < QRP_LINKS; i++) {
		guint code;
		links[i] = peer_open("127.0.0.6", FALSE, &code);
		accepted += links[i] != NULL;
		refused_429 += code == 429;
	}
	for (guint i = 0; i < QRP_LINKS; i++)
		if (links[i] != NULL)
			send_huge_table(links[i]);
	guint bye_413 = 0;
	for (guint i = 0; i < QRP_LINKS; i++) {
		if (links[i] == NULL)
			continue;
		/* closed for its table, or (with no cap) done reading it */
		if (!wait_for(links[i], is_closed, NULL, links, QRP_LINKS, QUIET_MS))
			ping_through(links[i]);
		bye_413 += links[i]->bye_code == 413;
	}
	guint64 rss_after = daemon_rss_kb();
	fprintf(stderr,
	        "QRP attack from one IP: %u links of %u accepted (%u refused with 429), "
	        "%u tables refused with 413; gnutd RSS %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
	        " KiB\n",
	        accepted, QRP_LINKS, refused_429, bye_413, rss_before, rss_after);
	CU_ASSERT(rss_before > 0 && rss_after > 0);
	CU_ASSERT(rss_after < rss_before + RSS_BOUND_KB);
	CU_ASSERT(accepted <= 2);
	CU_ASSERT_EQUAL(accepted + refused_429, QRP_LINKS);
	CU_ASSERT_EQUAL(bye_413, accepted);
	for (guint i = 0; i < QRP_LINKS; i++)
		peer_free(links[i]);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

/* gnutd still links a good peer and answers it (its clean exit is checked
 * by suite_cleanup, after the last test). */
static void test_still_serving(void)
{
	guint code;
	peer *good = peer_open("127.0.0.7", TRUE, &code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_TRUE(query_answered(good, 4));
	CU_ASSERT_TRUE(ping_through(good));
	peer_free(good);
	CU_ASSERT_TRUE(gnutd_fixture_alive(&fx));
}

static CU_TestInfo tests[] = {
    {"a flooding leaf is cut, another link is served", test_leaf_flood},
    {"a flooding ultrapeer link gets Hops Flow 0, then Bye", test_ultrapeer_flood_hops_flow},
    {"leaf queries past the dynamic-querying caps are not flooded", test_leaf_queries_past_dq_caps},
    {"huge QRP tables from one IP: refused, memory bounded", test_huge_qrp_tables_one_ip},
    {"still serving", test_still_serving},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("hostile flow", tests, suite_init, suite_cleanup)
