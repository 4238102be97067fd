/* test-bootstrap.c: the bootstrap pieces of the hosts room on a manual
 * clock: the seed lists (the shipped files name hosts only; bad lines
 * refused), the reflection rule of udp-guard (every way an address gets
 * verified, the challenge and its release, the caps, expiry), and the UDP
 * host cache client driven through its send callback: the ping it sends,
 * an answer's hosts taken (capped, validated), a UDPHC cache learned,
 * back-off of a silent cache and pongs that are not ours ignored; the
 * GWebCache client against an HTTP server of this test on loopback (the
 * request it sends, hosts and caches taken, once an hour per cache, an
 * answer over the cap refused). */
#include "gnut/core/hosts/gwc-client.h"
#include "gnut/core/hosts/hostcache.h"
#include "gnut/core/hosts/inet4.h"
#include "gnut/core/hosts/seeds.h"
#include "gnut/core/hosts/udp-guard.h"
#include "gnut/core/hosts/uhc-client.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/gwc.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/uhc.h"
#include "unit.h"

#include <string.h>

#define IP(a, b, c, d) ((guint32)(a) << 24 | (guint32)(b) << 16 | (guint32)(c) << 8 | (guint32)(d))
#define SEC            ((gint64)G_USEC_PER_SEC)

static void test_shipped_lists(void)
{
	for (int kind = GNUT_SEED_UHC; kind <= GNUT_SEED_GWC; kind++) {
		GError *error = NULL;
		g_auto(GStrv) list = gnut_seeds_builtin((gnut_seed_kind)kind, &error);
		CU_ASSERT_PTR_NULL(error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(list);
		CU_ASSERT_TRUE(g_strv_length(list) >= 2);
		for (char **p = list; *p != NULL; p++)
			CU_ASSERT_TRUE(gnut_seed_check((gnut_seed_kind)kind, *p, TRUE, NULL));
	}
}

static void test_seed_lists(void)
{
	const char *ok = "# comment\n\n  uhc.example.org:1  \nb.example.org:2\n";
	g_auto(GStrv) l = gnut_seeds_parse(GNUT_SEED_UHC, ok, strlen(ok), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(g_strv_length(l), 2);
	CU_ASSERT_STRING_EQUAL(l[0], "uhc.example.org:1");
	static const struct {
		gnut_seed_kind kind;
		const char *text;
	} bad[] = {
	    {GNUT_SEED_UHC, "1.2.3.4:6346\n"},  /* a literal in a built-in list */
	    {GNUT_SEED_UHC, "a.example.org\n"}, /* no port */
	    {GNUT_SEED_GWC, "http://1.2.3.4/g.php\n"},
	    {GNUT_SEED_GWC, "https://a.example.org/\n"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		CU_ASSERT_PTR_NULL(
		    gnut_seeds_parse(bad[i].kind, bad[i].text, strlen(bad[i].text), &error));
		CU_ASSERT_PTR_NOT_NULL(error);
		if (error != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "line 1"));
		g_clear_error(&error);
	}
	/* the user's own may be literal addresses */
	CU_ASSERT_TRUE(gnut_seed_check(GNUT_SEED_UHC, "127.0.0.1:5", FALSE, NULL));
	CU_ASSERT_TRUE(gnut_seed_check(GNUT_SEED_GWC, "http://127.0.0.1:5/g", FALSE, NULL));
	GString *many = g_string_new(NULL);
	for (int i = 0; i <= GNUT_SEEDS_MAX; i++)
		g_string_append_printf(many, "h%d.example.org:1\n", i);
	CU_ASSERT_PTR_NULL(gnut_seeds_parse(GNUT_SEED_UHC, many->str, many->len, NULL));
	g_string_free(many, TRUE);
}

static guint32 linked_ip;

static gboolean linked(guint32 ip, gpointer data)
{
	(void)data;
	return ip == linked_ip;
}

static GBytes *bytes_of_len(gsize n)
{
	return g_bytes_new_take(g_malloc0(n), n);
}

static void test_guard_rule(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	gnut_udp_guard *g = gnut_udp_guard_new(clock, linked, NULL);
	g_autoptr(GBytes) big = bytes_of_len(100);
	gnut_guid ch;
	const guint32 a = IP(9, 9, 9, 9);
	/* no larger than the request: always */
	g_autoptr(GBytes) small = bytes_of_len(30);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 1, 30, small, &ch), GNUT_UDP_GUARD_SEND);
	/* larger to a stranger: a challenge, and the answer is held */
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 1, 30, big, &ch), GNUT_UDP_GUARD_CHALLENGE);
	CU_ASSERT_EQUAL(gnut_udp_guard_pending(g), 1);
	/* a pong from elsewhere, or with another GUID, releases nothing */
	gnut_guid other = ch;
	other.bytes[0] ^= 1;
	CU_ASSERT_PTR_NULL(gnut_udp_guard_pong(g, a, 2, &ch));
	CU_ASSERT_PTR_NULL(gnut_udp_guard_pong(g, IP(9, 9, 9, 8), 1, &ch));
	CU_ASSERT_PTR_NULL(gnut_udp_guard_pong(g, a, 1, &other));
	g_autoptr(GBytes) released = gnut_udp_guard_pong(g, a, 1, &ch);
	CU_ASSERT_PTR_EQUAL(released, big);
	CU_ASSERT_EQUAL(gnut_udp_guard_pending(g), 0);
	/* now verified (it answered): the next one goes at once, for a while */
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 1, 30, big, &ch), GNUT_UDP_GUARD_SEND);
	gnut_clock_manual_advance(clock, (GNUT_UDP_GUARD_PROVED_S + 1) * SEC);
	CU_ASSERT_FALSE(gnut_udp_guard_is_verified(g, a, 1));
	/* solicited: we sent it something lately */
	const guint32 b = IP(8, 8, 8, 8);
	gnut_udp_guard_solicited(g, b, 7);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, b, 7, 30, big, &ch), GNUT_UDP_GUARD_SEND);
	CU_ASSERT_FALSE(gnut_udp_guard_is_verified(g, b, 8)); /* by address and port */
	gnut_clock_manual_advance(clock, (GNUT_UDP_GUARD_SOLICITED_S + 1) * SEC);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, b, 7, 30, big, &ch), GNUT_UDP_GUARD_CHALLENGE);
	/* linked over TCP: any port */
	linked_ip = IP(7, 7, 7, 7);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, linked_ip, 9, 23, big, &ch), GNUT_UDP_GUARD_SEND);
	linked_ip = 0;
	gnut_udp_guard_free(g);
}

static void test_guard_caps(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	gnut_udp_guard *g = gnut_udp_guard_new(clock, NULL, NULL);
	g_autoptr(GBytes) big = bytes_of_len(100);
	gnut_guid ch, first;
	const guint32 a = IP(9, 9, 9, 9);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 1, 30, big, &first), GNUT_UDP_GUARD_CHALLENGE);
	for (guint i = 1; i < GNUT_UDP_GUARD_PENDING_PER_IP; i++)
		CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 1, 30, big, &ch),
		                GNUT_UDP_GUARD_CHALLENGE);
	/* per IP, whatever the port */
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, a, 2, 30, big, &ch), GNUT_UDP_GUARD_DROP);
	CU_ASSERT_EQUAL(gnut_udp_guard_dropped(g), 1);
	/* in all */
	for (guint i = 0; gnut_udp_guard_pending(g) < GNUT_UDP_GUARD_PENDING; i++)
		CU_ASSERT_EQUAL(
		    gnut_udp_guard_check(g, IP(20, 0, i / 256, i % 256), 1, 30, big, &ch),
		    GNUT_UDP_GUARD_CHALLENGE);
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, IP(30, 0, 0, 1), 1, 30, big, &ch),
	                GNUT_UDP_GUARD_DROP);
	/* held answers expire: a late pong releases nothing, and room is made */
	gnut_clock_manual_advance(clock, (GNUT_UDP_GUARD_PENDING_S + 1) * SEC);
	CU_ASSERT_PTR_NULL(gnut_udp_guard_pong(g, a, 1, &first));
	CU_ASSERT_EQUAL(gnut_udp_guard_check(g, IP(30, 0, 0, 1), 1, 30, big, &ch),
	                GNUT_UDP_GUARD_CHALLENGE);
	CU_ASSERT_EQUAL(gnut_udp_guard_pending(g), 1);
	gnut_udp_guard_free(g);
}

/* The UHC client's datagrams, as its send callback saw them. */
typedef struct {
	GPtrArray *sent; /* GBytes */
	guint32 to_ip;
	guint16 to_port;
} sent_log;

static gboolean record_send(GInetSocketAddress *to, const guint8 *data, gsize len,
                            gpointer user_data)
{
	sent_log *log = user_data;
	g_ptr_array_add(log->sent, g_bytes_new(data, len));
	gnut_inet4_from_socket_address(to, &log->to_ip, &log->to_port);
	return TRUE;
}

/* A cache's answer to the ping last sent: IPP with n hosts 1.0.0.i:6346 and
 * the 0.0.0.0 and 224.0.0.1 that must be refused, UDPHC name. */
static GByteArray *answer_to(const sent_log *log, guint n, const char *udphc, gnut_msg_header *h)
{
	GBytes *ping = g_ptr_array_index(log->sent, log->sent->len - 1);
	gsize len;
	const guint8 *data = g_bytes_get_data(ping, &len);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(data, len, 4096, h), GNUT_PROTO_OK);
	gnut_ipv4_port hosts[GNUT_UHC_MAX_IPP];
	for (guint i = 0; i < n; i++)
		hosts[i] = (gnut_ipv4_port){IP(1, 0, 0, i + 1), 6346};
	hosts[n] = (gnut_ipv4_port){0, 6346};
	hosts[n + 1] = (gnut_ipv4_port){IP(224, 0, 0, 1), 6346};
	g_autoptr(GByteArray) ipp = g_byte_array_new();
	gnut_ipp_encode(ipp, hosts, n + 2);
	gnut_ggep_item items[] = {
	    {.id = "IPP", .data = ipp->data, .len = ipp->len},
	    {.id = "UDPHC", .data = (const guint8 *)udphc, .len = strlen(udphc)},
	};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_ggep_encode(items, G_N_ELEMENTS(items), ggep);
	gnut_pong p = {.port = 6346, .ipv4 = IP(2, 2, 2, 2), .ggep = {ggep->data, ggep->len}};
	GByteArray *out = g_byte_array_new();
	gnut_pong_encode(out, &p);
	h->type = GNUT_MSG_PONG;
	h->length = out->len;
	return out;
}

static void test_uhc_client(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	sent_log log = {.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
	const char *caches[] = {"3.3.3.3:9000", "4.4.4.4:9001", NULL};
	gnut_uhc_client_config cfg = {clock, cache, caches, record_send, &log};
	gnut_uhc_client *c = gnut_uhc_client_new(&cfg);
	gnut_uhc_client_tick(c, FALSE);
	CU_ASSERT_EQUAL(log.sent->len, 0); /* nothing wanted: nothing sent */
	gnut_uhc_client_tick(c, TRUE);
	CU_ASSERT_EQUAL_FATAL(log.sent->len, 1);
	CU_ASSERT_EQUAL(log.to_ip, IP(3, 3, 3, 3));
	CU_ASSERT_EQUAL(log.to_port, 9000);
	gnut_msg_header h;
	g_autoptr(GByteArray) pong = answer_to(&log, GNUT_UHC_CLIENT_MAX_ADD + 5, "localhost", &h);
	CU_ASSERT_EQUAL(h.ttl, 1);
	/* from another address or port, or another GUID: not ours */
	g_autoptr(GSocketAddress) wrong = gnut_inet4_socket_address(IP(3, 3, 3, 3), 9001);
	CU_ASSERT_FALSE(gnut_uhc_client_pong(c, &h, pong->data, G_INET_SOCKET_ADDRESS(wrong)));
	g_autoptr(GSocketAddress) from = gnut_inet4_socket_address(IP(3, 3, 3, 3), 9000);
	gnut_msg_header other = h;
	other.guid.bytes[3] ^= 0xff;
	CU_ASSERT_FALSE(gnut_uhc_client_pong(c, &other, pong->data, G_INET_SOCKET_ADDRESS(from)));
	CU_ASSERT_TRUE(gnut_uhc_client_pong(c, &h, pong->data, G_INET_SOCKET_ADDRESS(from)));
	CU_ASSERT_EQUAL(gnut_hostcache_size(cache), GNUT_UHC_CLIENT_MAX_ADD);
	CU_ASSERT_TRUE(gnut_hostcache_contains(cache, IP(1, 0, 0, 1), 6346));
	/* a second answer to the same ping is not taken */
	CU_ASSERT_FALSE(gnut_uhc_client_pong(c, &h, pong->data, G_INET_SOCKET_ADDRESS(from)));
	gnut_uhc_client_stats st;
	gnut_uhc_client_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.caches, 3); /* the UDPHC name joined */
	CU_ASSERT_EQUAL(st.answers, 1);
	/* the next cache in turn; silence backs it off */
	gnut_uhc_client_tick(c, TRUE);
	CU_ASSERT_EQUAL(log.to_ip, IP(4, 4, 4, 4));
	gnut_clock_manual_advance(clock, (GNUT_UHC_CLIENT_TIMEOUT_S + 1) * SEC);
	gnut_uhc_client_tick(c, TRUE); /* ends the query */
	guint before = log.sent->len;
	gnut_uhc_client_tick(c, TRUE); /* localhost: resolving, not waited for */
	gnut_uhc_client_free(c);       /* cancels the resolution */
	CU_ASSERT_EQUAL(log.sent->len, before);
	g_ptr_array_unref(log.sent);
}

static void test_uhc_client_backoff(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	sent_log log = {.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
	const char *caches[] = {"3.3.3.3:9000", NULL};
	gnut_uhc_client_config cfg = {clock, cache, caches, record_send, &log};
	gnut_uhc_client *c = gnut_uhc_client_new(&cfg);
	gnut_uhc_client_tick(c, TRUE);
	CU_ASSERT_EQUAL(log.sent->len, 1);
	gnut_clock_manual_advance(clock, (GNUT_UHC_CLIENT_TIMEOUT_S + 1) * SEC);
	gnut_uhc_client_tick(c, TRUE); /* timed out */
	gnut_uhc_client_tick(c, TRUE); /* backed off: nothing */
	CU_ASSERT_EQUAL(log.sent->len, 1);
	gnut_clock_manual_advance(clock, GNUT_UHC_CLIENT_BACKOFF_S * SEC);
	gnut_uhc_client_tick(c, TRUE);
	CU_ASSERT_EQUAL(log.sent->len, 2);
	gnut_uhc_client_free(c);
	g_ptr_array_unref(log.sent);
}

/* A GWebCache on 127.0.0.1 serving one canned answer to every request and
 * keeping the last request's first line. Its handler runs in a thread of
 * its own (GThreadedSocketService): it reads blocking, while the client
 * under test runs in the main loop. */
typedef struct {
	GSocketService *service;
	guint16 port;
	const char *answer;
	gsize answer_len;
	gint served; /* atomic */
	gint active; /* handlers running, atomic */
	char *last_line;
} test_gwc;

static gboolean on_run(GThreadedSocketService *service, GSocketConnection *conn, GObject *source,
                       gpointer data)
{
	(void)service;
	(void)source;
	test_gwc *t = data;
	g_atomic_int_inc(&t->active);
	g_socket_set_timeout(g_socket_connection_get_socket(conn), 5);
	char buf[2048];
	gssize n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
	                               sizeof buf - 1, NULL, NULL);
	buf[MAX(n, 0)] = '\0';
	g_free(t->last_line);
	t->last_line = g_strndup(buf, strcspn(buf, "\r\n"));
	g_atomic_int_inc(&t->served); /* before the answer: the client waits for that */
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), t->answer,
	                          t->answer_len, NULL, NULL, NULL);
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	g_atomic_int_dec_and_test(&t->active);
	return TRUE;
}

static void test_gwc_start(test_gwc *t, const char *answer, gsize len)
{
	t->answer = answer;
	t->answer_len = len;
	t->service = g_threaded_socket_service_new(2);
	g_autoptr(GSocketAddress) any = gnut_inet4_socket_address(IP(127, 0, 0, 1), 0);
	g_autoptr(GSocketAddress) bound = NULL;
	CU_ASSERT_TRUE_FATAL(
	    g_socket_listener_add_address(G_SOCKET_LISTENER(t->service), any, G_SOCKET_TYPE_STREAM,
	                                  G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
	t->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_signal_connect(t->service, "run", G_CALLBACK(on_run), t);
	g_socket_service_start(t->service);
}

static gboolean handlers_done(gpointer data)
{
	test_gwc *t = data;
	return g_atomic_int_get(&t->active) == 0;
}

/* Stops the service once no handler runs: the answer it writes belongs to
 * the test. */
static void test_gwc_stop(test_gwc *t)
{
	CU_ASSERT_TRUE(gnut_unit_run_until(handlers_done, t, 10000));
	g_socket_service_stop(t->service);
	g_socket_listener_close(G_SOCKET_LISTENER(t->service));
	g_object_unref(t->service);
	g_free(t->last_line);
}

typedef struct {
	gnut_gwc_client *client;
	guint64 done; /* answers + failed to wait for */
} gwc_wait;

static gboolean gwc_done(gpointer data)
{
	gwc_wait *w = data;
	gnut_gwc_client_stats st;
	gnut_gwc_client_get_stats(w->client, &st);
	return st.answers + st.failed >= w->done;
}

static const char gwc_answer[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                                 "I|pong|test 1|gnutella\r\n"
                                 "H|1.0.0.1:6346|10\r\n"
                                 "H|1.0.0.2:6347|20\r\n"
                                 "H|10.0.0.1:6346|20\r\n" /* private: refused */
                                 "U|http://localhost:1/gwc|30\r\n"
                                 "U|http://1.2.3.4/gwc|30\r\n"; /* a literal: not learned */

static void test_gwc_client(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	test_gwc t = {0};
	test_gwc_start(&t, gwc_answer, strlen(gwc_answer));
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/gwc.php", t.port);
	const char *caches[] = {url, NULL};
	gnut_gwc_client_config cfg = {clock, cache, caches, "1.2"};
	gnut_gwc_client *c = gnut_gwc_client_new(&cfg);
	gnut_gwc_client_tick(c, FALSE, FALSE, 0, 0);
	gwc_wait w = {c, 1};
	gnut_gwc_client_tick(c, TRUE, FALSE, 0, 0);
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(gwc_done, &w, 5000));
	CU_ASSERT_EQUAL(g_atomic_int_get(&t.served), 1);
	CU_ASSERT_STRING_EQUAL(t.last_line,
	                       "GET /gwc.php?get=1&net=gnutella&client=GNTU&version=1.2 "
	                       "HTTP/1.0");
	CU_ASSERT_EQUAL(gnut_hostcache_size(cache), 2);
	CU_ASSERT_TRUE(gnut_hostcache_contains(cache, IP(1, 0, 0, 2), 6347));
	gnut_gwc_client_stats st;
	gnut_gwc_client_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.answers, 1);
	CU_ASSERT_EQUAL(st.added, 2);
	CU_ASSERT_EQUAL(st.caches, 2); /* localhost learned, the literal not */
	gnut_gwc_client_free(c);
	test_gwc_stop(&t);
}

/* Once an hour per cache; an announce carries update=1 and our address. */
static void test_gwc_client_hourly(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	static const char ok[] = "HTTP/1.0 200 OK\r\n\r\nI|update|OK\r\n";
	test_gwc t = {0};
	test_gwc_start(&t, ok, strlen(ok));
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/", t.port);
	const char *caches[] = {url, NULL};
	gnut_gwc_client_config cfg = {clock, cache, caches, "1.2"};
	gnut_gwc_client *c = gnut_gwc_client_new(&cfg);
	gwc_wait w = {c, 1};
	gnut_gwc_client_tick(c, TRUE, TRUE, IP(1, 2, 3, 4), 6346);
	CU_ASSERT_TRUE_FATAL(gnut_unit_run_until(gwc_done, &w, 5000));
	CU_ASSERT_PTR_NULL(strstr(t.last_line, "update=1")); /* not up an hour yet */
	gnut_gwc_client_tick(c, TRUE, TRUE, IP(1, 2, 3, 4), 6346);
	CU_ASSERT_FALSE(gnut_unit_run_until(gwc_done, &(gwc_wait){c, 2}, 300));
	CU_ASSERT_EQUAL(g_atomic_int_get(&t.served), 1);
	gnut_clock_manual_advance(clock, GNUT_GWC_CLIENT_INTERVAL_S * SEC);
	gnut_gwc_client_tick(c, FALSE, TRUE, IP(1, 2, 3, 4), 6346);
	CU_ASSERT_TRUE(gnut_unit_run_until(gwc_done, &(gwc_wait){c, 2}, 5000));
	CU_ASSERT_EQUAL(g_atomic_int_get(&t.served), 2);
	CU_ASSERT_STRING_EQUAL(
	    t.last_line, "GET /?update=1&ip=1.2.3.4:6346&net=gnutella&client=GNTU&version=1.2 "
	                 "HTTP/1.0");
	gnut_gwc_client_stats st;
	gnut_gwc_client_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.updates, 1);
	gnut_gwc_client_free(c);
	test_gwc_stop(&t);
}

/* An answer over GNUT_GWC_MAX_RESPONSE is refused whole. */
static void test_gwc_client_cap(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	GString *big = g_string_new("HTTP/1.0 200 OK\r\n\r\n");
	while (big->len <= GNUT_GWC_MAX_RESPONSE)
		g_string_append(big, "H|1.0.0.1:6346|1\r\n");
	test_gwc t = {0};
	test_gwc_start(&t, big->str, big->len);
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/", t.port);
	const char *caches[] = {url, NULL};
	gnut_gwc_client_config cfg = {clock, cache, caches, "1.2"};
	gnut_gwc_client *c = gnut_gwc_client_new(&cfg);
	gnut_gwc_client_tick(c, TRUE, FALSE, 0, 0);
	CU_ASSERT_TRUE(gnut_unit_run_until(gwc_done, &(gwc_wait){c, 1}, 5000));
	gnut_gwc_client_stats st;
	gnut_gwc_client_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.failed, 1);
	CU_ASSERT_EQUAL(st.answers, 0);
	CU_ASSERT_EQUAL(gnut_hostcache_size(cache), 0);
	gnut_gwc_client_free(c);
	test_gwc_stop(&t);
	g_string_free(big, TRUE);
}

static void test_seed_records(void)
{
	gnut_seed_record r = {3600, 2, TRUE, "http://a.example.org/g.php"};
	g_autofree char *text = gnut_seed_record_format(&r);
	CU_ASSERT_STRING_EQUAL(text, "3600 2 L http://a.example.org/g.php");
	gnut_seed_record back;
	CU_ASSERT_TRUE(gnut_seed_record_parse(GNUT_SEED_GWC, text, &back));
	CU_ASSERT_EQUAL(back.wait_s, 3600);
	CU_ASSERT_EQUAL(back.failures, 2);
	CU_ASSERT_TRUE(back.learned);
	CU_ASSERT_STRING_EQUAL(back.entry, "http://a.example.org/g.php");
	CU_ASSERT_TRUE(gnut_seed_record_parse(GNUT_SEED_UHC, "0 0 C 127.0.0.1:5", &back));
	static const char *const bad[] = {
	    "",
	    "1 2 C",
	    "1 2 X a.example.org:1",
	    "x 2 C a.example.org:1",
	    "1  2 C a.example.org:1",
	    "99999999 0 C a.example.org:1", /* over a day */
	    "1 65 C a.example.org:1",       /* too many failures */
	    "1 2 L 127.0.0.1:5",            /* a learned literal */
	    "1 2 C a.example.org",          /* no port */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_FALSE(gnut_seed_record_parse(GNUT_SEED_UHC, bad[i], &back));
	/* every prefix of a good record is refused */
	const char *good = "10 1 C a.example.org:1";
	for (gsize cut = 0; cut + 1 < strlen(good); cut++) {
		g_autofree char *prefix = g_strndup(good, cut);
		CU_ASSERT_FALSE(gnut_seed_record_parse(GNUT_SEED_UHC, prefix, &back));
	}
}

/* The clients' state survives a restart: a cache asked an hour's wait ago
 * is not asked again by a new client that loaded it; learned caches come
 * back. */
static void test_state_across_restart(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(1000 * SEC);
	g_autoptr(gnut_hostcache) cache =
	    gnut_hostcache_new(clock, NULL, GNUT_HOSTCACHE_FLAGS_NONE, NULL);
	const char *gwcs[] = {"http://127.0.0.1:1/", NULL}; /* a dead loopback port */
	gnut_gwc_client_config gc = {clock, cache, gwcs, "1"};
	gnut_gwc_client *g = gnut_gwc_client_new(&gc);
	gnut_gwc_client_tick(g, TRUE, FALSE, 0, 0);
	sent_log log = {.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref)};
	const char *uhcs[] = {"3.3.3.3:9000", NULL};
	gnut_uhc_client_config uc = {clock, cache, uhcs, record_send, &log};
	gnut_uhc_client *u = gnut_uhc_client_new(&uc);
	gnut_uhc_client_tick(u, TRUE);
	gnut_msg_header h;
	g_autoptr(GByteArray) pong = answer_to(&log, 1, "localhost", &h);
	g_autoptr(GSocketAddress) from = gnut_inet4_socket_address(IP(3, 3, 3, 3), 9000);
	CU_ASSERT_TRUE(gnut_uhc_client_pong(u, &h, pong->data, G_INET_SOCKET_ADDRESS(from)));
	g_autoptr(GKeyFile) kf = g_key_file_new();
	gnut_gwc_client_save(g, kf);
	gnut_uhc_client_save(u, kf);
	gnut_gwc_client_free(g);
	gnut_uhc_client_free(u);
	gsize len = 0;
	g_autofree char *text = g_key_file_to_data(kf, &len, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "3600 0 C http://127.0.0.1:1/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "L localhost:9000"));

	g_autoptr(GKeyFile) again = g_key_file_new();
	CU_ASSERT_TRUE(g_key_file_load_from_data(again, text, len, G_KEY_FILE_NONE, NULL));
	g = gnut_gwc_client_new(&gc);
	u = gnut_uhc_client_new(&uc);
	gnut_gwc_client_load(g, again);
	gnut_uhc_client_load(u, again);
	gnut_uhc_client_stats us;
	gnut_uhc_client_get_stats(u, &us);
	CU_ASSERT_EQUAL(us.caches, 2); /* 3.3.3.3 and the learned localhost */
	gnut_uhc_client_tick(u, TRUE); /* 3.3.3.3 rests, localhost is asked (resolving) */
	gnut_uhc_client_get_stats(u, &us);
	CU_ASSERT_EQUAL(us.queries, 0);
	gnut_gwc_client_tick(g, TRUE, FALSE, 0, 0);
	gnut_gwc_client_stats gs;
	gnut_gwc_client_get_stats(g, &gs);
	CU_ASSERT_EQUAL(gs.requests, 0); /* asked less than an hour ago */
	gnut_clock_manual_advance(clock, GNUT_GWC_CLIENT_INTERVAL_S * SEC);
	gnut_gwc_client_tick(g, TRUE, FALSE, 0, 0);
	gnut_gwc_client_get_stats(g, &gs);
	CU_ASSERT_EQUAL(gs.requests, 1);
	gnut_gwc_client_free(g);
	gnut_uhc_client_free(u);
	g_ptr_array_unref(log.sent);
}

static CU_TestInfo tests[] = {
    {"the shipped seed lists", test_shipped_lists},
    {"seed lists: accepted and refused", test_seed_lists},
    {"reflection rule: verification and challenge", test_guard_rule},
    {"reflection rule: caps and expiry", test_guard_caps},
    {"UDP host cache client: a query and its answer", test_uhc_client},
    {"UDP host cache client: back-off", test_uhc_client_backoff},
    {"GWebCache client: a request and its answer", test_gwc_client},
    {"GWebCache client: once an hour, announces", test_gwc_client_hourly},
    {"GWebCache client: an answer over the cap", test_gwc_client_cap},
    {"state records", test_seed_records},
    {"state across a restart", test_state_across_restart},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("bootstrap", tests)
