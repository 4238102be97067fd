/* test-download-push.c: downloads from firewalled sources, against the
 * loopback HTTP server of download-fixture.c. The push handler is asked
 * with the source's GUID and index, and the GIV connection is taken over
 * (the test plays the firewalled servent: a thread that connects to a
 * loopback listener of the test, says GIV and serves the file); a new push
 * for each new attempt, the push wait expiring on the manual clock, no
 * push handler, GIVs nobody waits for, and the flag in the state file. */
#include "download-fixture.h"

#include "core/transfer/download-private.h"
#include "gnut/net/conn.h"
#include "gnut/core/transfer/download.h"
#include "gnut/proto/guid.h"
#include "unit.h"

#include <gio/gio.h>
#include <string.h>

/* ---- firewalled sources ---- */

#define PUSH_INDEX 7

/* The owner's side of pushes: the handler records each push and, when told
 * to answer, plays the firewalled servent (a thread that connects to us,
 * says GIV, then serves the test server's file over that connection) and
 * the listener (reads the GIV, hands the connection over). */
typedef struct {
	dlfx_server *s;
	gnut_guid guid;     /* the firewalled servent's */
	gboolean answer;    /* connect back after a push */
	guint32 giv_index;  /* what the GIV names */
	guint calls;        /* pushes asked */
	guint min_calls;    /* for has_calls */
	gnut_guid got_guid; /* the last push asked */
	guint32 got_index;
	guint taken; /* GIVs the manager took */
	guint gived; /* GIVs sent */
} pusher;

typedef struct {
	dlfx_server *s;
	GSocketConnection *conn;
	char *giv;
} uploader;

/* The firewalled servent after the push: GIV, then it only answers. */
static gpointer uploader_thread(gpointer data)
{
	uploader *u = data;
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(u->conn));
	if (dlfx_write_text(out, u->giv))
		dlfx_serve_conn(u->s, u->conn);
	g_io_stream_close(G_IO_STREAM(u->conn), NULL, NULL);
	g_atomic_int_dec_and_test(&u->s->running);
	g_object_unref(u->conn);
	g_free(u->giv);
	g_free(u);
	return NULL;
}

/* Two ends of one loopback TCP connection: *up connected to *ours. */
static gboolean loopback_pair(GSocketConnection **up, GSocketConnection **ours)
{
	g_autoptr(GSocketListener) l = g_socket_listener_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	if (!g_socket_listener_add_address(l, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
	                                   NULL, &bound, NULL))
		return FALSE;
	g_autoptr(GSocketClient) c = g_socket_client_new();
	*up = g_socket_client_connect(c, G_SOCKET_CONNECTABLE(bound), NULL, NULL);
	*ours = *up != NULL ? g_socket_listener_accept(l, NULL, NULL, NULL) : NULL;
	g_socket_listener_close(l);
	if (*ours == NULL)
		g_clear_object(up);
	return *ours != NULL;
}

/* Connects back as the firewalled servent would, and reads its GIV as our
 * listener would; returns our end of the connection, or NULL. */
static GSocketConnection *connect_back(pusher *p)
{
	GSocketConnection *up = NULL, *ours = NULL;
	CU_ASSERT_TRUE(loopback_pair(&up, &ours));
	if (ours == NULL)
		return NULL;
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(&p->guid, hex);
	uploader *u = g_new0(uploader, 1);
	u->s = p->s;
	u->conn = up;
	u->giv = g_strdup_printf("GIV %" G_GUINT32_FORMAT ":%s/a b+c.bin\n\n", p->giv_index, hex);
	g_socket_set_timeout(g_socket_connection_get_socket(up), DLFX_SOCKET_TIMEOUT_S);
	g_socket_set_timeout(g_socket_connection_get_socket(ours), DLFX_SOCKET_TIMEOUT_S);
	g_autofree char *want = g_strdup(u->giv);
	g_atomic_int_inc(&p->s->running);
	g_thread_unref(g_thread_new("uploader", uploader_thread, u));
	char got[128] = {0};
	gsize n = 0;
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(ours));
	g_input_stream_read_all(in, got, strlen(want), &n, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	p->gived++;
	return ours;
}

static void on_push(gnut_downloads *m, const gnut_guid *servent, guint32 index, gpointer data)
{
	pusher *p = data;
	p->calls++;
	p->got_guid = *servent;
	p->got_index = index;
	if (!p->answer)
		return;
	GSocketConnection *ours = connect_back(p);
	if (ours == NULL)
		return;
	gnut_conn *conn = gnut_conn_new(ours);
	g_object_unref(ours);
	if (gnut_downloads_take_giv(m, conn, &p->guid, p->giv_index))
		p->taken++;
	else
		gnut_conn_unref(conn);
}

static gboolean has_calls(gpointer data)
{
	const pusher *p = data;
	return p->calls >= p->min_calls;
}

static void pusher_init(pusher *p, dlfx_fixture *fx, dlfx_server *s, guint8 guid_byte)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	memset(p->guid.bytes, guid_byte, GNUT_GUID_LEN);
	p->answer = TRUE;
	p->giv_index = PUSH_INDEX;
	gnut_downloads_set_push_handler(fx->m, on_push, p);
}

static gnut_download_source firewalled_at(const pusher *p)
{
	/* a direct connect would be refused there, never reach anyone */
	gnut_download_source src = {.host = "127.0.0.1",
	                            .port = dlfx_dead_port(),
	                            .index = PUSH_INDEX,
	                            .name = "a b+c.bin",
	                            .has_guid = TRUE,
	                            .guid = p->guid,
	                            .firewalled = TRUE};
	return src;
}

static void add_firewalled(dlfx_fixture *fx, const pusher *p, const uint8_t sha1[GNUT_SHA1_LEN])
{
	gnut_download_source src = firewalled_at(p);
	g_autoptr(GError) err = NULL;
	fx->w.id =
	    gnut_downloads_add(fx->m, sha1, "pushed.bin", DLFX_FILE_SIZE, NULL, &src, 1, &err);
	CU_ASSERT_NOT_EQUAL(fx->w.id, 0);
	CU_ASSERT_PTR_NULL(err);
}

/* A GIV nobody waits for: FALSE, and the connection stays the caller's,
 * open. */
static void check_giv_refused(dlfx_fixture *fx, const gnut_guid *guid, guint32 index)
{
	GSocketConnection *up = NULL, *ours = NULL;
	CU_ASSERT_TRUE_FATAL(loopback_pair(&up, &ours));
	gnut_conn *conn = gnut_conn_new(ours);
	gboolean taken = gnut_downloads_take_giv(fx->m, conn, guid, index);
	CU_ASSERT_FALSE(taken);
	if (!taken) { /* else the manager owns it now */
		CU_ASSERT_FALSE(gnut_conn_is_closed(conn));
		gnut_conn_unref(conn);
	}
	g_object_unref(ours);
	g_object_unref(up);
}

static void test_push_whole_file(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(17);
	pusher p;
	pusher_init(&p, &fx, s, 0x5C);
	add_firewalled(&fx, &p, s->sha1);
	/* the scheduler has not run yet: no push, so no GIV is wanted */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);

	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_EQUAL(st.done, DLFX_FILE_SIZE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* one push, for the source's GUID and index; one connection, the one
	 * the source opened, kept alive for the six replies */
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(memcmp(p.got_guid.bytes, p.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(s->connections, 1);
	CU_ASSERT_EQUAL(dlfx_server_count(s, s->ranges), 6);
	g_autofree char *r0 = dlfx_server_get(s, s->ranges, 0);
	CU_ASSERT_STRING_EQUAL(r0 != NULL ? r0 : "", "bytes=0-1048575");
	g_autofree char *t0 = dlfx_server_get(s, s->targets, 0);
	CU_ASSERT_TRUE(t0 != NULL && g_str_has_prefix(t0, "/uri-res/N2R?urn:sha1:"));
	g_autofree char *host = dlfx_server_get(s, s->hosts, 0);
	CU_ASSERT_TRUE(host != NULL && g_str_has_prefix(host, "127.0.0.1:"));
	CU_ASSERT_EQUAL(fx.w.states->len, 4);
	if (fx.w.states->len == 4) {
		CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 0),
		                GNUT_DOWNLOAD_CONNECTING);
		CU_ASSERT_EQUAL(g_array_index(fx.w.states, gnut_download_state, 1),
		                GNUT_DOWNLOAD_DOWNLOADING);
	}
	/* over: the GUID is wanted no more, and an unknown one never was */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);
	gnut_guid unknown;
	memset(unknown.bytes, 0x77, GNUT_GUID_LEN);
	check_giv_refused(&fx, &unknown, PUSH_INDEX);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* The source closes after each reply: each attempt is a new push, never a
 * direct connect; and a GIV with another index (a push proxy says 0) is
 * matched on the GUID. */
static void test_push_again_after_close(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(18);
	s->close_each = TRUE;
	pusher p;
	pusher_init(&p, &fx, s, 0x6D);
	p.giv_index = 0;
	add_firewalled(&fx, &p, s->sha1);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(s->connections, 6);
	CU_ASSERT_EQUAL(p.calls, 6);
	CU_ASSERT_EQUAL(p.taken, 6);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(fx.w.connects, 6);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static gboolean is_queued_again(gpointer data)
{
	return dlfx_count_state(data, GNUT_DOWNLOAD_QUEUED) >= 1;
}

static void check_state(dlfx_watch *w, gnut_download_state want)
{
	gnut_download_status st = dlfx_status_of(w);
	CU_ASSERT_EQUAL(st.state, want);
	gnut_download_status_clear(&st);
}

/* No GIV within push_wait_s of the injected clock: the source failed, and
 * after its back-off the next attempt is a new push, which works. */
static void test_push_wait_expires_then_retry(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	dlfx_server *s = dlfx_server_new(19);
	pusher p;
	pusher_init(&p, &fx, s, 0x2B);
	p.answer = FALSE;
	add_firewalled(&fx, &p, s->sha1);
	p.min_calls = 1;
	CU_ASSERT_TRUE(dlfx_run_until(has_calls, &p));
	check_state(&fx.w, GNUT_DOWNLOAD_CONNECTING);
	/* the default wait is 30 s */
	dlfx_advance_s_and_spin(&fx, 29);
	check_state(&fx.w, GNUT_DOWNLOAD_CONNECTING);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_QUEUED), 0);
	gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(dlfx_run_until(is_queued_again, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_QUEUED);
	CU_ASSERT_EQUAL(st.sources, 1);
	CU_ASSERT_PTR_NULL(st.error);
	gnut_download_status_clear(&st);
	/* a late GIV finds nobody waiting */
	check_giv_refused(&fx, &p.guid, PUSH_INDEX);
	/* the first back-off is 5 s: no push before */
	dlfx_advance_s_and_spin(&fx, 4);
	CU_ASSERT_EQUAL(p.calls, 1);
	p.answer = TRUE;
	gnut_clock_manual_advance(fx.clock, 1 * G_USEC_PER_SEC);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 2);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(fx.w.connects, 2);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* A source that never says GIV fails as one that refuses connections:
 * pushes with back-off; after MAX_ATTEMPTS the download waits (the
 * source no longer counts), still pushing now and then, never failing. */
static void test_push_never_answered_waits(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	gnut_downloads_free(fx.m);
	fx.push_wait_s = 10;
	fx.m = dlfx_manager_new(&fx, 0);
	pusher p;
	pusher_init(&p, &fx, NULL, 0x3A);
	p.answer = FALSE;
	uint8_t sha1[GNUT_SHA1_LEN] = {31};
	add_firewalled(&fx, &p, sha1);
	for (guint k = 1; k <= 5; k++) {
		p.min_calls = k;
		gboolean pushed = dlfx_run_until(has_calls, &p);
		CU_ASSERT_TRUE(pushed);
		CU_ASSERT_EQUAL(p.calls, k);
		gnut_clock_manual_advance(fx.clock, 11 * G_USEC_PER_SEC);
		fx.w.min_done = k;
		gboolean queued = pushed && dlfx_run_until(dlfx_waiting_again, &fx.w);
		CU_ASSERT_TRUE(queued);
		if (!queued)
			break;
		gnut_clock_manual_advance(fx.clock, 601 * G_USEC_PER_SEC);
	}
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "no GIV after push") : NULL);
	CU_ASSERT_EQUAL(st.sources, 0);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 5);
	CU_ASSERT_EQUAL(fx.w.connects, 5);
	CU_ASSERT_EQUAL(dlfx_count_state(&fx.w, GNUT_DOWNLOAD_FAILED), 0);
	dlfx_fixture_clear(&fx);
}

/* Without a push handler a firewalled source is given up: alone, the
 * download waits; with a direct source too, that one serves the file. */
static void test_push_without_handler(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, FALSE, 0);
	dlfx_server *s = dlfx_server_new(20);
	pusher p;
	pusher_init(&p, &fx, s, 0x4E);
	gnut_downloads_set_push_handler(fx.m, NULL, NULL);
	uint8_t sha1[GNUT_SHA1_LEN] = {32};
	add_firewalled(&fx, &p, sha1);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_waiting, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_WAITING);
	CU_ASSERT_PTR_NOT_NULL(st.error != NULL ? strstr(st.error, "no push handler") : NULL);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(fx.w.connects, 0);

	g_array_set_size(fx.w.states, 0);
	fx.w.connects = 0;
	gnut_download_source two[2] = {firewalled_at(&p), dlfx_source_at(s)};
	fx.w.id =
	    gnut_downloads_add(fx.m, s->sha1, "mixed.bin", DLFX_FILE_SIZE, NULL, two, 2, NULL);
	CU_ASSERT_NOT_EQUAL(fx.w.id, 0);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	CU_ASSERT_EQUAL(st.sources, 1);
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 0);
	CU_ASSERT_EQUAL(fx.w.connects, 1);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

/* Checks of a firewalled source, and merging: a firewalled source is its
 * GUID, whatever host:port its hit gave. */
static void test_push_source_checks(void)
{
	gnut_download_source src = {.host = "192.168.1.2", .port = 0, .firewalled = TRUE};
	g_autoptr(GError) err = NULL;
	CU_ASSERT_FALSE(gnut_download_source_check(&src, &err));
	CU_ASSERT_TRUE(g_error_matches(err, GNUT_DOWNLOAD_ERROR, GNUT_DOWNLOAD_ERROR_INVALID));
	src.has_guid = TRUE;
	memset(src.guid.bytes, 1, GNUT_GUID_LEN);
	CU_ASSERT_TRUE(gnut_download_source_check(&src, NULL));
	src.firewalled = FALSE;
	CU_ASSERT_FALSE(gnut_download_source_check(&src, NULL));

	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	gnut_download_source a = {
	    .host = "127.0.0.1", .port = dlfx_dead_port(), .has_guid = TRUE, .firewalled = TRUE};
	memset(a.guid.bytes, 0xA1, GNUT_GUID_LEN);
	gnut_download_source b = a;
	memset(b.guid.bytes, 0xB2, GNUT_GUID_LEN);
	gnut_download_source a_moved = a;
	a_moved.port = dlfx_dead_port();
	gnut_download_source direct = a;
	direct.firewalled = FALSE;
	uint8_t sha1[GNUT_SHA1_LEN] = {33};
	guint64 id = gnut_downloads_add(fx.m, sha1, "m", 10, NULL, &a, 1, NULL);
	CU_ASSERT_NOT_EQUAL_FATAL(id, 0);
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &b, NULL));
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &a_moved, NULL));
	CU_ASSERT_TRUE(gnut_downloads_add_source(fx.m, id, &direct, NULL));
	gnut_download_status st = {0};
	CU_ASSERT_TRUE(gnut_downloads_get(fx.m, id, &st));
	CU_ASSERT_EQUAL(st.sources, 3);
	gnut_download_status_clear(&st);
	gnut_downloads_cancel(fx.m, id, NULL);
	dlfx_fixture_clear(&fx);
}

/* firewalled="1" in downloads.xml, read back; a file from before the
 * attribute existed means FALSE; a firewalled source without a GUID is a
 * bad source. */
static void test_push_store(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *path = g_build_filename(dir, "downloads.xml", NULL);
	g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(gnut_download_record_free);
	gnut_download_record *r = gnut_download_record_new();
	r->id = 9;
	memset(r->sha1, 0x22, GNUT_SHA1_LEN);
	r->name = g_strdup("fw.bin");
	r->size = 10;
	gnut_download_source fw = {.host = g_strdup("192.168.0.3"),
	                           .port = 0,
	                           .index = 4,
	                           .has_guid = TRUE,
	                           .firewalled = TRUE};
	memset(fw.guid.bytes, 0xC3, GNUT_GUID_LEN);
	gnut_download_source direct = {.host = g_strdup("10.0.0.2"), .port = 6346};
	g_array_append_val(r->sources, fw);
	g_array_append_val(r->sources, direct);
	g_ptr_array_add(recs, r);
	CU_ASSERT_TRUE_FATAL(gnut_download_store_save(path, recs, NULL));
	g_autofree char *text = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
	CU_ASSERT_PTR_NOT_NULL(text != NULL ? strstr(text, "firewalled=\"1\"") : NULL);
	g_autoptr(GPtrArray) back = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_EQUAL_FATAL(back->len, 1);
	const gnut_download_record *b = g_ptr_array_index(back, 0);
	CU_ASSERT_EQUAL_FATAL(b->sources->len, 2);
	const gnut_download_source *bf = &g_array_index(b->sources, gnut_download_source, 0);
	const gnut_download_source *bd = &g_array_index(b->sources, gnut_download_source, 1);
	CU_ASSERT_TRUE(bf->firewalled);
	CU_ASSERT_TRUE(bf->has_guid);
	CU_ASSERT_EQUAL(memcmp(bf->guid.bytes, fw.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(bf->port, 0);
	CU_ASSERT_EQUAL(bf->index, 4);
	CU_ASSERT_FALSE(bd->firewalled);

	const char *old = "<gnutd-downloads version=\"1\">"
	                  "<download id=\"1\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"old\">"
	                  "<source host=\"1.2.3.4\" port=\"1\" index=\"0\" get-only=\"0\" "
	                  "guid=\"0123456789abcdef0123456789abcdef\"/></download>"
	                  "<download id=\"2\" urn=\"" DLFX_URN_A "\" size=\"10\" name=\"no guid\">"
	                  "<source host=\"1.2.3.4\" port=\"1\" index=\"0\" firewalled=\"1\"/>"
	                  "</download></gnutd-downloads>";
	g_file_set_contents(path, old, -1, NULL);
	g_autoptr(GPtrArray) got = gnut_download_store_load(path, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL_FATAL(got->len, 1);
	const gnut_download_record *g = g_ptr_array_index(got, 0);
	CU_ASSERT_EQUAL(g->id, 1);
	CU_ASSERT_EQUAL_FATAL(g->sources->len, 1);
	const gnut_download_source *gs = &g_array_index(g->sources, gnut_download_source, 0);
	CU_ASSERT_TRUE(gs->has_guid);
	CU_ASSERT_FALSE(gs->firewalled);
	gnut_unit_rmtree(dir);
}

/* A manager restarted on the same data dir still knows the source is
 * firewalled: its first attempt is a push again, and the GIV finishes it. */
static void test_push_survives_restart(void)
{
	dlfx_fixture fx;
	dlfx_fixture_init(&fx, TRUE, 0);
	dlfx_server *s = dlfx_server_new(21);
	pusher p;
	pusher_init(&p, &fx, s, 0x1F);
	p.answer = FALSE;
	add_firewalled(&fx, &p, s->sha1);
	p.min_calls = 1;
	CU_ASSERT_TRUE(dlfx_run_until(has_calls, &p));
	gnut_downloads_free(fx.m);
	g_autofree char *saved = dlfx_state_file_text(&fx);
	CU_ASSERT_PTR_NOT_NULL(saved != NULL ? strstr(saved, "firewalled=\"1\"") : NULL);

	fx.m = dlfx_manager_new(&fx, 0);
	pusher_init(&p, &fx, s, 0x1F);
	CU_ASSERT_TRUE(dlfx_run_until(dlfx_is_final, &fx.w));
	gnut_download_status st = dlfx_status_of(&fx.w);
	CU_ASSERT_EQUAL(st.state, GNUT_DOWNLOAD_COMPLETE);
	CU_ASSERT_TRUE(dlfx_file_equals(st.path, s->file));
	gnut_download_status_clear(&st);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(memcmp(p.got_guid.bytes, p.guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(p.got_index, PUSH_INDEX);
	CU_ASSERT_EQUAL(p.taken, 1);
	CU_ASSERT_EQUAL(s->connections, 1);
	dlfx_fixture_clear(&fx);
	dlfx_server_free(s);
}

static CU_TestInfo tests[] = {
    {"firewalled: push, GIV, the file over it", test_push_whole_file},
    {"firewalled: a new push after each close", test_push_again_after_close},
    {"firewalled: no GIV in time, then a retry", test_push_wait_expires_then_retry},
    {"firewalled: never a GIV: the download waits", test_push_never_answered_waits},
    {"firewalled: no push handler", test_push_without_handler},
    {"firewalled: checks and merging", test_push_source_checks},
    {"firewalled: state file", test_push_store},
    {"firewalled: still pushed after a restart", test_push_survives_restart},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("download-push", tests)
