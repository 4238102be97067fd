/* test-ctl.c: the control API. The method table is called in-process on a
 * real servent (loopback, no bootstrap): the contract's field names, a
 * shared folder showing up, bad parameters refused. Then the HTTP transport
 * on 127.0.0.1 with a real SoupServer, driven by raw SoupSession requests
 * (401 without or with a wrong token, 200 with it, every refusal, every
 * connection closed after its reply) and by gnut's own client, which also
 * meets canned replies it must read to their length or refuse; and gnut's
 * --json output keeps the field names. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli-client.h"
#include "cli/cli-output.h"
#include "gnut/ctl/ctl-server.h"
#include "gnut/ctl/ctl-www.h"
#include "gnut/ctl/ctl.h"
#include "unit.h"

#define TOKEN   "0123456789abcdef-test-token"
#define WAIT_S  30         /* bound on any wait: turns a hang into a failure */
#define IDLE_US (2 * 1000) /* a nap when the main context has nothing to do */

/* A servent on loopback that dials nobody, in a fresh data folder. */
typedef struct {
	char *dir;
	gnut_servent *servent;
	guint stop_requests;
} fixture;

static void on_stop_requested(gpointer user_data)
{
	((fixture *)user_data)->stop_requests++;
}

static void fixture_init(fixture *f)
{
	memset(f, 0, sizeof *f);
	f->dir = gnut_unit_mkdtemp();
	gnut_servent_config config = {
	    .data_dir = f->dir,
	    .listen = "127.0.0.1:0",
	    .no_bootstrap = TRUE,
	};
	g_autoptr(GError) error = NULL;
	f->servent = gnut_servent_new(&config, NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->servent);
	CU_ASSERT_TRUE(gnut_servent_start(f->servent, &error));
	gnut_servent_set_stop_handler(f->servent, G_CALLBACK(on_stop_requested), f);
}

static void fixture_clear(fixture *f)
{
	gnut_servent_free(f->servent);
	gnut_unit_rmtree(f->dir);
	g_free(f->dir);
}

/* Runs the main context until cond holds or WAIT_S pass (a bound on a
 * wait, not a timing assertion: the test checks cond afterwards). */
static gboolean iterate_until(gboolean (*cond)(gpointer), gpointer data)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
	while (!cond(data) && g_get_monotonic_time() < deadline)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(IDLE_US);
	return cond(data);
}

/* Parses JSON text into an object for parameters. */
static JsonObject *params_of(const char *json)
{
	g_autoptr(JsonNode) n = json_from_string(json, NULL);
	g_assert(n != NULL && JSON_NODE_HOLDS_OBJECT(n));
	return json_object_ref(json_node_get_object(n));
}

/* Calls a method with params given as JSON text (NULL: none). */
static JsonNode *call(fixture *f, const char *method, const char *params, GError **error)
{
	g_autoptr(JsonObject) p = params ? params_of(params) : NULL;
	return gnut_ctl_call(f->servent, method, p, error);
}

/* The call fails with domain/code. */
static void assert_call_fails(fixture *f, const char *method, const char *params, GQuark domain,
                              int code)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(f, method, params, &error);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_EQUAL(error->domain, domain);
	CU_ASSERT_EQUAL(error->code, code);
	if (error->domain != domain || error->code != code)
		fprintf(stderr, "%s %s: %s\n", method, params ? params : "", error->message);
}

/* The object has exactly the members named (NULL-terminated). */
static gboolean has_exactly(JsonObject *o, const char *const *names)
{
	if (json_object_get_size(o) != g_strv_length((char **)names))
		return FALSE;
	for (const char *const *n = names; *n != NULL; n++)
		if (!json_object_has_member(o, *n))
			return FALSE;
	return TRUE;
}

static void test_method_table(void)
{
	static const char *const names[] = {
	    "status",         "peers",
	    "hosts",          "connect",
	    "search.start",   "search.hits",
	    "search.stop",    "downloads",
	    "download.start", "download.cancel",
	    "download.pause", "download.resume",
	    "download.retry", "download.sources",
	    "shares",         "share.add",
	    "rescan",         "stop",
	    "share.remove",   "limits",
	    "limits.set",     "disconnect",
	    "magnet",         "stats",
	};
	gsize n = 0;
	const gnut_ctl_method *all = gnut_ctl_methods(&n);
	CU_ASSERT_EQUAL(n, G_N_ELEMENTS(names));
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		const gnut_ctl_method *m = gnut_ctl_method_lookup(names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->name, names[i]);
		CU_ASSERT_TRUE(m >= all && m < all + n);
	}
	CU_ASSERT_PTR_NULL(gnut_ctl_method_lookup("Status"));
	CU_ASSERT_PTR_NULL(gnut_ctl_method_lookup(""));
	CU_ASSERT_EQUAL(gnut_ctl_method_lookup("stop")->flags, GNUT_CTL_METHOD_REPLY_FIRST);
	CU_ASSERT_EQUAL(gnut_ctl_method_lookup("status")->flags, GNUT_CTL_METHOD_NONE);
	CU_ASSERT_EQUAL(gnut_ctl_method_lookup("share.add")->flags, GNUT_CTL_METHOD_PERSIST);
	CU_ASSERT_EQUAL(gnut_ctl_method_lookup("limits.set")->flags, GNUT_CTL_METHOD_PERSIST);
}

static void test_status(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(&f, "status", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE_FATAL(JSON_NODE_HOLDS_OBJECT(r));
	JsonObject *o = json_node_get_object(r);
	static const char *const fields[] = {"version",
	                                     "mode",
	                                     "peers",
	                                     "shared_files",
	                                     "bytes_up",
	                                     "bytes_down",
	                                     "uptime",
	                                     "tcp_firewalled",
	                                     "udp_firewalled",
	                                     "oob_claims_sent",
	                                     "oob_hits_received",
	                                     "oob_hits_dropped",
	                                     "oob_offers_sent",
	                                     "oob_hits_sent",
	                                     "queries_received",
	                                     "qrp_skipped_leaves",
	                                     "qrp_skipped_ultrapeers",
	                                     "qrp_slots_held",
	                                     "push_proxy_requests",
	                                     "push_proxy_pushes",
	                                     "push_proxies",
	                                     "push_proxy_used",
	                                     "uploads_queued",
	                                     "role",
	                                     "role_reason",
	                                     NULL};
	CU_ASSERT_TRUE(has_exactly(o, fields));
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(o, "version"), PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(o, "mode"), "leaf");
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(o, "role"), "forced");
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(o, "role_reason"), "forced by --leaf");
	CU_ASSERT_EQUAL(gnut_cli_int(o, "peers"), 0);
	CU_ASSERT_EQUAL(gnut_cli_int(o, "shared_files"), 0);
	CU_ASSERT_EQUAL(gnut_cli_int(o, "bytes_up"), 0);
	CU_ASSERT_TRUE(gnut_cli_int(o, "uptime") >= 0);
	/* empty lists are arrays, not nulls */
	g_autoptr(JsonNode) peers = call(&f, "peers", "{}", &error);
	CU_ASSERT_TRUE(peers != NULL && JSON_NODE_HOLDS_ARRAY(peers));
	CU_ASSERT_EQUAL(json_array_get_length(json_node_get_array(peers)), 0);
	g_autoptr(JsonNode) downloads = call(&f, "downloads", NULL, &error);
	CU_ASSERT_TRUE(downloads != NULL && JSON_NODE_HOLDS_ARRAY(downloads));
	/* no host cache under --no-bootstrap: an empty list */
	g_autoptr(JsonNode) hosts = call(&f, "hosts", NULL, &error);
	CU_ASSERT_TRUE(hosts != NULL && JSON_NODE_HOLDS_ARRAY(hosts));
	CU_ASSERT_EQUAL(json_array_get_length(json_node_get_array(hosts)), 0);
	fixture_clear(&f);
}

typedef struct {
	fixture *f;
	gint64 want;
} shares_wait;

static gboolean shares_reached(gpointer p)
{
	shares_wait *w = p;
	g_autoptr(JsonNode) r = call(w->f, "status", NULL, NULL);
	return r != NULL && gnut_cli_int(json_node_get_object(r), "shared_files") == w->want;
}

static void test_share_add(void)
{
	fixture f;
	fixture_init(&f);
	g_autofree char *folder = gnut_unit_mkdtemp();
	g_autofree char *a = g_build_filename(folder, "alpha song.mp3", NULL);
	g_autofree char *b = g_build_filename(folder, "beta.txt", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(a, "abcdefghij", 10, NULL));
	CU_ASSERT_TRUE(g_file_set_contents(b, "hello, world", 12, NULL));
	g_autofree char *params = g_strdup_printf("{\"path\": \"%s\"}", folder);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(&f, "share.add", params, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	JsonObject *o = json_node_get_object(r);
	CU_ASSERT_TRUE(json_object_get_boolean_member(o, "ok"));
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(o, "path"), folder);

	shares_wait w = {&f, 2};
	CU_ASSERT_TRUE(iterate_until(shares_reached, &w));
	g_autoptr(JsonNode) shares = call(&f, "shares", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(shares);
	JsonArray *arr = json_node_get_array(shares);
	CU_ASSERT_EQUAL_FATAL(json_array_get_length(arr), 2);
	static const char *const fields[] = {"path", "size", "urn", NULL};
	for (guint i = 0; i < 2; i++) {
		JsonObject *s = json_array_get_object_element(arr, i);
		CU_ASSERT_TRUE(has_exactly(s, fields));
		const char *path = gnut_cli_str(s, "path");
		CU_ASSERT_TRUE(g_strcmp0(path, a) == 0 || g_strcmp0(path, b) == 0);
		CU_ASSERT_EQUAL(gnut_cli_int(s, "size"), g_strcmp0(path, a) == 0 ? 10 : 12);
		CU_ASSERT_TRUE(g_str_has_prefix(gnut_cli_str(s, "urn"), "urn:sha1:"));
		CU_ASSERT_EQUAL(strlen(gnut_cli_str(s, "urn")), 9 + 32);
	}
	g_autoptr(JsonNode) rescan = call(&f, "rescan", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL(rescan);
	CU_ASSERT_TRUE(iterate_until(shares_reached, &w));
	fixture_clear(&f);
	gnut_unit_rmtree(folder);
}

/* magnet: a shared file by its path; one target exactly; none unknown. */
static void test_magnet(void)
{
	fixture f;
	fixture_init(&f);
	g_autofree char *folder = gnut_unit_mkdtemp();
	g_autofree char *a = g_build_filename(folder, "a&b.txt", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(a, "abc", 3, NULL));
	g_autofree char *share = g_strdup_printf("{\"path\": \"%s\"}", folder);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) added = call(&f, "share.add", share, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(added);
	shares_wait w = {&f, 1};
	CU_ASSERT_TRUE(iterate_until(shares_reached, &w));

	g_autofree char *file = g_strdup_printf("{\"path\": \"%s\"}", a);
	g_autoptr(JsonNode) r = call(&f, "magnet", file, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	static const char *const fields[] = {"magnet", NULL};
	CU_ASSERT_TRUE(has_exactly(json_node_get_object(r), fields));
	/* SHA-1 and Tiger root of "abc"; the name escaped; the size */
	const char *magnet = gnut_cli_str(json_node_get_object(r), "magnet");
	CU_ASSERT_TRUE(g_str_has_prefix(magnet, "magnet:?xt=urn:bitprint:"
	                                        "VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5."));
	CU_ASSERT_PTR_NOT_NULL(strstr(magnet, "&dn=a%26b.txt&xl=3"));

	GQuark ctl = GNUT_CTL_ERROR;
	int invalid = GNUT_CTL_ERROR_INVALID_PARAMS;
	assert_call_fails(&f, "magnet", NULL, ctl, invalid);
	assert_call_fails(&f, "magnet", "{\"hit\": 1, \"download\": 1}", ctl, invalid);
	assert_call_fails(&f, "magnet", "{\"path\": \"a&b.txt\"}", ctl, invalid);
	assert_call_fails(&f, "magnet", "{\"hit\": \"1\"}", ctl, invalid);
	assert_call_fails(&f, "magnet", "{\"file\": \"/x\"}", ctl, invalid);
	assert_call_fails(&f, "magnet", "{\"hit\": 7}", GNUT_ERROR, GNUT_ERROR_NOT_FOUND);
	assert_call_fails(&f, "magnet", "{\"download\": 7}", GNUT_ERROR, GNUT_ERROR_NOT_FOUND);
	assert_call_fails(&f, "magnet", "{\"path\": \"/nonexistent/x\"}", GNUT_ERROR,
	                  GNUT_ERROR_NOT_FOUND);
	fixture_clear(&f);
	gnut_unit_rmtree(folder);
}

static void test_search_and_connect(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) started =
	    call(&f, "search.start", "{\"query\": \"free music\"}", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(started);
	gint64 id = gnut_cli_int(json_node_get_object(started), "search_id");
	CU_ASSERT_TRUE(id > 0);
	g_autofree char *p =
	    g_strdup_printf("{\"search_id\": %" G_GINT64_FORMAT ", \"after\": 0}", id);
	g_autoptr(JsonNode) hits = call(&f, "search.hits", p, &error);
	CU_ASSERT_TRUE(hits != NULL && JSON_NODE_HOLDS_ARRAY(hits));
	g_autofree char *q = g_strdup_printf("{\"search_id\": %" G_GINT64_FORMAT "}", id);
	g_autoptr(JsonNode) stopped = call(&f, "search.stop", q, &error);
	CU_ASSERT_PTR_NOT_NULL(stopped);
	g_autoptr(JsonNode) conn = call(&f, "connect", "{\"address\": \"127.0.0.1:9\"}", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(json_node_get_object(conn), "address"), "127.0.0.1:9");
	fixture_clear(&f);
}

static void test_bad_params(void)
{
	fixture f;
	fixture_init(&f);
	const GQuark ctl = GNUT_CTL_ERROR, sv = GNUT_ERROR;
	const int invalid = GNUT_CTL_ERROR_INVALID_PARAMS;
	assert_call_fails(&f, "nosuch", NULL, ctl, GNUT_CTL_ERROR_UNKNOWN_METHOD);
	assert_call_fails(&f, "status", "{\"verbose\": true}", ctl, invalid);
	assert_call_fails(&f, "connect", NULL, ctl, invalid);
	assert_call_fails(&f, "connect", "{\"address\": 6346}", ctl, invalid);
	assert_call_fails(&f, "connect", "{\"address\": \"\"}", ctl, invalid);
	assert_call_fails(&f, "connect", "{\"address\": \"no port here\"}", sv, GNUT_ERROR_INVALID);
	assert_call_fails(&f, "connect", "{\"adress\": \"127.0.0.1:1\"}", ctl, invalid);
	assert_call_fails(&f, "search.start", "{\"query\": null}", ctl, invalid);
	assert_call_fails(&f, "search.hits", "{}", ctl, invalid);
	assert_call_fails(&f, "search.hits", "{\"search_id\": -1}", ctl, invalid);
	assert_call_fails(&f, "search.hits", "{\"search_id\": \"1\"}", ctl, invalid);
	assert_call_fails(&f, "search.hits", "{\"search_id\": 1.5}", ctl, invalid);
	assert_call_fails(&f, "search.hits", "{\"search_id\": 999}", sv, GNUT_ERROR_NOT_FOUND);
	assert_call_fails(&f, "share.add", "{\"path\": \"relative/dir\"}", ctl, invalid);
	assert_call_fails(&f, "share.add", "{\"path\": [\"/tmp\"]}", ctl, invalid);
	assert_call_fails(&f, "download.start", "{\"target\": \"not a target\"}", sv,
	                  GNUT_ERROR_INVALID);
	assert_call_fails(&f, "download.start", "{\"target\": \"77\"}", sv, GNUT_ERROR_NOT_FOUND);
	assert_call_fails(&f, "download.start", "{\"target\": \"1\", \"to\": \"rel\"}", ctl,
	                  invalid);
	assert_call_fails(&f, "download.start",
	                  "{\"target\": \"urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB\"}", sv,
	                  GNUT_ERROR_NOT_FOUND);
	assert_call_fails(&f, "download.start", "{\"target\": \"magnet:?dn=x\"}", sv,
	                  GNUT_ERROR_INVALID);
	assert_call_fails(&f, "download.cancel", "{\"id\": true}", ctl, invalid);
	assert_call_fails(&f, "stop", "{\"now\": true}", ctl, invalid);
	/* a string of 4097 bytes is over the cap */
	g_autofree char *big = g_strnfill(4097, 'x');
	g_autofree char *p = g_strdup_printf("{\"query\": \"%s\"}", big);
	assert_call_fails(&f, "search.start", p, ctl, invalid);
	/* a folder that is not there is the servent's error, not a crash */
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(&f, "share.add", "{\"path\": \"/nonexistent/gnut\"}", &error);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_PTR_NOT_NULL(error);
	CU_ASSERT_EQUAL(f.stop_requests, 0);
	fixture_clear(&f);
}

static void test_stop_method(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(&f, "stop", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE(json_object_get_boolean_member(json_node_get_object(r), "ok"));
	CU_ASSERT_EQUAL(f.stop_requests, 1);
	fixture_clear(&f);
}

/* A fixture plus its control server on 127.0.0.1, and a raw HTTP session. */
typedef struct {
	fixture f;
	gnut_ctl_server *ctl;
	SoupSession *session;
	char *rpc_url;
} server_fixture;

static void server_init(server_fixture *sf)
{
	fixture_init(&sf->f);
	g_autoptr(GError) error = NULL;
	sf->ctl = gnut_ctl_server_new(sf->f.servent, "127.0.0.1:0", TOKEN, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sf->ctl);
	CU_ASSERT_TRUE(g_str_has_prefix(gnut_ctl_server_url(sf->ctl), "http://127.0.0.1:"));
	sf->rpc_url = g_strconcat(gnut_ctl_server_url(sf->ctl), GNUT_CTL_RPC_PATH, NULL);
	sf->session = soup_session_new();
	soup_session_set_proxy_resolver(sf->session, NULL);
}

static void server_clear(server_fixture *sf)
{
	g_object_unref(sf->session);
	gnut_ctl_server_free(sf->ctl);
	g_free(sf->rpc_url);
	fixture_clear(&sf->f);
}

typedef struct {
	GBytes *body;
	GError *error;
	gboolean done;
} http_reply;

static void on_http_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	http_reply *r = user_data;
	r->body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &r->error);
	r->done = TRUE;
}

static gboolean http_done(gpointer p)
{
	return ((http_reply *)p)->done;
}

/* One request; returns the HTTP status (0 on a transport error) and the
 * reply body as text. */
static guint http(server_fixture *sf, const char *method, const char *url, const char *auth,
                  const char *body, char **reply_text)
{
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	if (auth != NULL)
		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
		                             auth);
	if (body != NULL) {
		g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", b);
	}
	http_reply r = {0};
	soup_session_send_and_read_async(sf->session, msg, G_PRIORITY_DEFAULT, NULL, on_http_done,
	                                 &r);
	iterate_until(http_done, &r);
	CU_ASSERT_TRUE(r.done);
	CU_ASSERT_PTR_NULL(r.error);
	if (reply_text != NULL)
		*reply_text =
		    r.body ? g_strndup(g_bytes_get_data(r.body, NULL), g_bytes_get_size(r.body))
		           : g_strdup("");
	g_clear_error(&r.error);
	g_clear_pointer(&r.body, g_bytes_unref);
	return soup_message_get_status(msg);
}

/* POSTs body to /rpc with the right token; checks the status and, for an
 * error, the error code in the reply. */
static void assert_rpc(server_fixture *sf, const char *body, guint status, const char *code)
{
	g_autofree char *text = NULL;
	guint got = http(sf, "POST", sf->rpc_url, "Bearer " TOKEN, body, &text);
	CU_ASSERT_EQUAL(got, status);
	g_autoptr(JsonNode) reply = json_from_string(text, NULL);
	CU_ASSERT_TRUE_FATAL(reply != NULL && JSON_NODE_HOLDS_OBJECT(reply));
	JsonObject *o = json_node_get_object(reply);
	if (code == NULL) {
		CU_ASSERT_TRUE(json_object_has_member(o, "result"));
		return;
	}
	JsonObject *err = json_object_get_object_member(o, "error");
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(err, "code"), code);
	CU_ASSERT_PTR_NOT_NULL(gnut_cli_str(err, "message"));
	if (got != status)
		fprintf(stderr, "%s -> %u %s\n", body, got, text);
}

static void test_transport_token(void)
{
	server_fixture sf;
	server_init(&sf);
	const char *status = "{\"method\": \"status\"}";
	static const char *const wrong[] = {
	    NULL,
	    "Bearer wrong",
	    "Bearer " TOKEN "x",
	    "Bearer 0123456789abcdef-test-toke",
	    "Bearer ",
	    "Basic " TOKEN,
	    TOKEN,
	};
	for (gsize i = 0; i < G_N_ELEMENTS(wrong); i++) {
		g_autofree char *text = NULL;
		CU_ASSERT_EQUAL(http(&sf, "POST", sf.rpc_url, wrong[i], status, &text), 401);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"unauthorized\""));
		CU_ASSERT_PTR_NULL(strstr(text, "\"result\""));
	}
	/* no token: refused before the path or the body is even looked at */
	g_autofree char *u = g_strconcat(gnut_ctl_server_url(sf.ctl), "/other", NULL);
	CU_ASSERT_EQUAL(http(&sf, "GET", u, NULL, NULL, NULL), 401);
	CU_ASSERT_EQUAL(http(&sf, "POST", sf.rpc_url, NULL, "not json", NULL), 401);

	g_autofree char *text = NULL;
	CU_ASSERT_EQUAL(http(&sf, "POST", sf.rpc_url, "Bearer " TOKEN, status, &text), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"version\":\"" PACKAGE_VERSION "\""));
	/* the scheme is case-insensitive (RFC 7235) */
	CU_ASSERT_EQUAL(http(&sf, "POST", sf.rpc_url, "bearer " TOKEN, status, NULL), 200);
	server_clear(&sf);
}

static void test_transport_refusals(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autofree char *text = NULL;
	CU_ASSERT_EQUAL(http(&sf, "GET", sf.rpc_url, "Bearer " TOKEN, NULL, &text), 405);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "method_not_allowed"));
	g_autofree char *other = g_strconcat(gnut_ctl_server_url(sf.ctl), "/rpc2", NULL);
	CU_ASSERT_EQUAL(http(&sf, "POST", other, "Bearer " TOKEN, "{}", NULL), 404);

	assert_rpc(&sf, "not json", 400, "bad_request");
	assert_rpc(&sf, "", 400, "bad_request");
	assert_rpc(&sf, "[\"status\"]", 400, "bad_request");
	assert_rpc(&sf, "{\"params\": {}}", 400, "bad_request");
	assert_rpc(&sf, "{\"method\": 7}", 400, "bad_request");
	assert_rpc(&sf, "{\"method\": \"status\", \"id\": 1}", 400, "bad_request");
	assert_rpc(&sf, "{\"method\": \"status\", \"params\": [1]}", 400, "bad_request");
	g_autofree char *open = g_strnfill(70, '[');
	g_autofree char *close = g_strnfill(70, ']');
	g_autofree char *deep =
	    g_strdup_printf("{\"method\": \"status\", \"params\": {\"a\": %s1%s}}", open, close);
	assert_rpc(&sf, deep, 400, "bad_request");
	/* json-glib takes C comments: nesting hidden behind one still counts */
	g_autofree char *hidden = g_strdup_printf("/*\"*/ %s1%s", open, close);
	assert_rpc(&sf, hidden, 400, "bad_request");
	assert_rpc(&sf, "{\"method\": \"nosuch\"}", 404, "unknown_method");
	assert_rpc(&sf, "{\"method\": \"connect\", \"params\": {}}", 400, "invalid_params");
	assert_rpc(&sf, "{\"method\": \"connect\", \"params\": {\"address\": \"x y\"}}", 400,
	           "invalid");
	assert_rpc(&sf, "{\"method\": \"search.hits\", \"params\": {\"search_id\": 99}}", 404,
	           "not_found");
	assert_rpc(&sf, "{\"method\": \"stop\", \"params\": {\"x\": 1}}", 400, "invalid_params");
	/* a few brackets inside a string are fine */
	assert_rpc(&sf, "{\"method\": \"status\", \"params\": null}", 200, NULL);
	assert_rpc(&sf,
	           "{\"method\": \"search.start\", \"params\": {\"query\": "
	           "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}}",
	           200, NULL);
	assert_rpc(&sf, "{\"method\": \"share.add\", \"params\": {\"path\": \"/nonexistent/x\"}}",
	           404, "not_found");
	g_autofree char *file = g_build_filename(sf.f.dir, "file", NULL);
	g_file_set_contents(file, "x", 1, NULL);
	g_autofree char *share_file =
	    g_strdup_printf("{\"method\": \"share.add\", \"params\": {\"path\": \"%s\"}}", file);
	assert_rpc(&sf, share_file, 400, "invalid");
	CU_ASSERT_EQUAL(sf.f.stop_requests, 0);
	server_clear(&sf);
}

/* A raw request sent from a thread (blocking I/O there while the main
 * context serves it here): for what a SoupSession will not send, such as
 * headers promising a body that never comes. */
typedef struct {
	guint16 port;
	const char *request;
	char reply[512];
	gint done;
} raw_call;

static gpointer raw_thread(gpointer p)
{
	raw_call *rc = p;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_to_host(client, "127.0.0.1", rc->port, NULL, NULL);
	if (conn != NULL) {
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
		GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
		g_output_stream_write_all(out, rc->request, strlen(rc->request), NULL, NULL, NULL);
		gsize got = 0;
		g_input_stream_read_all(in, rc->reply, 12, &got, NULL, NULL);
		rc->reply[got] = '\0';
	}
	g_atomic_int_set(&rc->done, 1);
	return NULL;
}

static gboolean raw_done(gpointer p)
{
	return g_atomic_int_get(&((raw_call *)p)->done);
}

/* Sends request and returns the first 12 bytes of the reply ("HTTP/1.1 413"). */
static char *raw_request(server_fixture *sf, const char *request)
{
	const char *url = gnut_ctl_server_url(sf->ctl);
	raw_call rc = {.port = (guint16)atoi(strrchr(url, ':') + 1), .request = request};
	GThread *t = g_thread_new("raw", raw_thread, &rc);
	CU_ASSERT_TRUE(iterate_until(raw_done, &rc));
	g_thread_join(t);
	return g_strdup(rc.reply);
}

/* A kept-alive request (HTTP/1.1, no "Connection: close"), read from a
 * thread until the server closes or CLOSE_WAIT_S pass. */
#define CLOSE_WAIT_S 5

typedef struct {
	guint16 port;
	const char *request;
	GString *reply;
	gboolean closed; /* the server closed (not the timeout) */
	gint done;
} kept_alive_call;

static gpointer kept_alive_thread(gpointer p)
{
	kept_alive_call *kc = p;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_socket_client_set_timeout(client, CLOSE_WAIT_S);
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_to_host(client, "127.0.0.1", kc->port, NULL, NULL);
	if (conn != NULL) {
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
		GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
		g_output_stream_write_all(out, kc->request, strlen(kc->request), NULL, NULL, NULL);
		char buf[4096];
		gssize n;
		while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
			g_string_append_len(kc->reply, buf, n);
		kc->closed = n == 0;
	}
	g_atomic_int_set(&kc->done, 1);
	return NULL;
}

static gboolean kept_alive_done(gpointer p)
{
	return g_atomic_int_get(&((kept_alive_call *)p)->done);
}

/* Every reply closes its connection, a kept-alive one too: Debian's
 * libsoup 3.2 would otherwise keep the socket in CLOSE-WAIT once the
 * client left (a descriptor per gnut call). */
static void test_transport_closes(void)
{
	server_fixture sf;
	server_init(&sf);
	const char *url = gnut_ctl_server_url(sf.ctl);
	const char *requests[] = {
	    "POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n"
	    "Content-Length: 19\r\n\r\n{\"method\":\"status\"}",
	    "POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
	    "Content-Length: 19\r\n\r\n{\"method\":\"status\"}",
	    "POST /rpc HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN "\r\n"
	    "Content-Length: 5\r\n\r\nnope!",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(requests); i++) {
		kept_alive_call kc = {.port = (guint16)atoi(strrchr(url, ':') + 1),
		                      .request = requests[i],
		                      .reply = g_string_new(NULL)};
		GThread *t = g_thread_new("kept-alive", kept_alive_thread, &kc);
		CU_ASSERT_TRUE(iterate_until(kept_alive_done, &kc));
		g_thread_join(t);
		CU_ASSERT_TRUE(g_str_has_prefix(kc.reply->str, "HTTP/1.1 "));
		CU_ASSERT_PTR_NOT_NULL(strstr(kc.reply->str, "Connection: close\r\n"));
		CU_ASSERT_TRUE(kc.closed);
		g_string_free(kc.reply, TRUE);
	}
	server_clear(&sf);
}

/* A server that answers every connection with one canned reply, from its
 * own thread, after reading the request: what gnut's client must read to
 * its length, or refuse. */
typedef struct {
	GSocketService *service;
	guint16 port;
	const char *reply;
	gboolean keep_open; /* after the reply, wait for the client to close */
	GMutex lock;
	GCond done_cond;
	guint done; /* connections served to their end */
} canned_server;

static gboolean canned_run(GThreadedSocketService *service, GSocketConnection *conn,
                           GObject *source, gpointer user_data)
{
	canned_server *cs = user_data;
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	g_autoptr(GString) request = g_string_new(NULL);
	char buf[1024];
	gssize n;
	/* the request ends with its JSON body's last brace */
	while (!g_str_has_suffix(request->str, "}") &&
	       (n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
		g_string_append_len(request, buf, n);
	g_output_stream_write_all(out, cs->reply, strlen(cs->reply), NULL, NULL, NULL);
	while (cs->keep_open && g_input_stream_read(in, buf, sizeof buf, NULL, NULL) > 0)
		;
	g_mutex_lock(&cs->lock);
	cs->done++;
	g_cond_broadcast(&cs->done_cond);
	g_mutex_unlock(&cs->lock);
	return TRUE;
}

static void canned_start(canned_server *cs)
{
	g_mutex_init(&cs->lock);
	g_cond_init(&cs->done_cond);
	cs->service = g_threaded_socket_service_new(4);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	CU_ASSERT_TRUE_FATAL(
	    g_socket_listener_add_address(G_SOCKET_LISTENER(cs->service), sa, G_SOCKET_TYPE_STREAM,
	                                  G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
	cs->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_signal_connect(cs->service, "run", G_CALLBACK(canned_run), cs);
	g_socket_service_start(cs->service);
}

/* Waits (at most 5 s) until the one connection of a call was served to
 * its end: the server's thread reads cs and the reply until then. */
static void canned_stop(canned_server *cs)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	g_mutex_lock(&cs->lock);
	while (cs->done < 1 && g_cond_wait_until(&cs->done_cond, &cs->lock, deadline))
		;
	g_mutex_unlock(&cs->lock);
	g_socket_service_stop(cs->service);
	g_socket_listener_close(G_SOCKET_LISTENER(cs->service));
	g_object_unref(cs->service);
	g_mutex_clear(&cs->lock);
	g_cond_clear(&cs->done_cond);
}

static JsonNode *call_canned(const char *reply, gboolean keep_open, GError **error)
{
	canned_server cs = {.reply = reply, .keep_open = keep_open};
	canned_start(&cs);
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", cs.port);
	gnut_cli_client *c = gnut_cli_client_new(url, TOKEN);
	JsonNode *result = gnut_cli_client_call(c, "status", NULL, error);
	gnut_cli_client_free(c); /* closes the connection a kept-open server waits on */
	canned_stop(&cs);
	return result;
}

static void test_client_replies(void)
{
	g_autoptr(GError) error = NULL;
	/* read to its Content-Length, though the server keeps the connection */
	g_autoptr(JsonNode) sized = call_canned("HTTP/1.1 200 OK\r\ncontent-length:  12 \r\n\r\n"
	                                        "{\"result\":7}trailing junk",
	                                        TRUE, &error);
	CU_ASSERT_TRUE(sized != NULL && json_node_get_int(sized) == 7);
	/* no length: read to the close */
	g_autoptr(JsonNode) to_close =
	    call_canned("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n{\"result\":[1]}", FALSE, &error);
	CU_ASSERT_TRUE(to_close != NULL && JSON_NODE_HOLDS_ARRAY(to_close));
	static const char *const refused[] = {
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n{\"result\":7}\r\n0\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"result\":7}",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "SSH-2.0-OpenSSH_9.2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Len",
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_clear_error(&error);
		g_autoptr(JsonNode) r = call_canned(refused[i], FALSE, &error);
		CU_ASSERT_PTR_NULL(r);
		CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL));
	}
	/* a head that never ends is cut at the cap */
	GString *endless = g_string_new("HTTP/1.1 200 OK\r\n");
	while (endless->len < 64 * 1024)
		g_string_append(endless, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	g_clear_error(&error);
	g_autoptr(JsonNode) none = call_canned(endless->str, TRUE, &error);
	CU_ASSERT_PTR_NULL(none);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL));
	g_string_free(endless, TRUE);
	/* an error reply with its status */
	g_clear_error(&error);
	g_autoptr(JsonNode) missing = call_canned(
	    "HTTP/1.1 404 Not Found\r\n\r\n{\"error\":{\"message\":\"no such\",\"code\":\"x\"}}",
	    FALSE, &error);
	CU_ASSERT_PTR_NULL(missing);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_NOT_FOUND));
}

/* One request without a token to the control server's PATH; returns the
 * message for its status and headers. */
static SoupMessage *www_request(server_fixture *sf, const char *method, const char *path)
{
	g_autofree char *url = g_strconcat(gnut_ctl_server_url(sf->ctl), path, NULL);
	SoupMessage *msg = soup_message_new(method, url);
	http_reply r = {0};
	soup_session_send_and_read_async(sf->session, msg, G_PRIORITY_DEFAULT, NULL, on_http_done,
	                                 &r);
	iterate_until(http_done, &r);
	CU_ASSERT_PTR_NULL(r.error);
	g_clear_error(&r.error);
	g_clear_pointer(&r.body, g_bytes_unref);
	return msg;
}

static const char *reply_header(SoupMessage *msg, const char *name)
{
	const char *v = soup_message_headers_get_one(soup_message_get_response_headers(msg), name);
	return v != NULL ? v : "";
}

/* The web UI's files from GNUTD_WWW_DIR, without the token, with their
 * headers; a symbolic link, another method or an unknown name is the API's. */
static void test_transport_www(void)
{
	g_autofree char *www = gnut_unit_mkdtemp();
	g_autofree char *index = g_build_filename(www, "index.html", NULL);
	g_autofree char *script = g_build_filename(www, "app.js", NULL);
	g_autofree char *link = g_build_filename(www, "link.js", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(index, "<p>hello</p>", -1, NULL));
	CU_ASSERT_TRUE(g_file_set_contents(script, "'use strict';", -1, NULL));
	CU_ASSERT_EQUAL(symlink(script, link), 0);
	g_setenv(GNUT_WWW_DIR_ENV, www, TRUE);
	server_fixture sf;
	server_init(&sf);
	g_unsetenv(GNUT_WWW_DIR_ENV);

	g_autoptr(SoupMessage) page = www_request(&sf, "GET", "/");
	CU_ASSERT_EQUAL(soup_message_get_status(page), 200);
	CU_ASSERT_STRING_EQUAL(reply_header(page, "Content-Type"), "text/html; charset=utf-8");
	CU_ASSERT_STRING_EQUAL(reply_header(page, "Content-Length"), "12");
	CU_ASSERT_STRING_EQUAL(reply_header(page, "Cache-Control"), "no-cache");
	CU_ASSERT_STRING_EQUAL(reply_header(page, "X-Content-Type-Options"), "nosniff");
	CU_ASSERT_STRING_EQUAL(reply_header(page, "Content-Security-Policy"), GNUT_WWW_CSP);
	g_autoptr(SoupMessage) head = www_request(&sf, "HEAD", "/app.js");
	CU_ASSERT_EQUAL(soup_message_get_status(head), 200);
	CU_ASSERT_STRING_EQUAL(reply_header(head, "Content-Type"),
	                       "text/javascript; charset=utf-8");
	static const char *const refused[][2] = {
	    {"GET", "/link.js"}, {"GET", "/missing.js"}, {"GET", "/index.htm"},
	    {"POST", "/"},       {"PUT", "/app.js"},     {"GET", "/rpc"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(SoupMessage) m = www_request(&sf, refused[i][0], refused[i][1]);
		CU_ASSERT_EQUAL(soup_message_get_status(m), 401);
	}
	server_clear(&sf);
	gnut_unit_rmtree(www);
}

static void test_transport_body_limits(void)
{
	server_fixture sf;
	server_init(&sf);
	/* too large: refused from the headers, the megabyte is never sent */
	g_autofree char *big = raw_request(&sf, "POST /rpc HTTP/1.1\r\nHost: x\r\n"
	                                        "Authorization: Bearer " TOKEN "\r\n"
	                                        "Content-Length: 1000000\r\n"
	                                        "Expect: 100-continue\r\n\r\n");
	CU_ASSERT_STRING_EQUAL(big, "HTTP/1.1 413");
	g_autofree char *chunked = raw_request(&sf, "POST /rpc HTTP/1.1\r\nHost: x\r\n"
	                                            "Authorization: Bearer " TOKEN "\r\n"
	                                            "Transfer-Encoding: chunked\r\n"
	                                            "Expect: 100-continue\r\n\r\n");
	CU_ASSERT_STRING_EQUAL(chunked, "HTTP/1.1 411");
	/* without the token the size does not matter: 401 first */
	g_autofree char *anon = raw_request(&sf, "POST /rpc HTTP/1.1\r\nHost: x\r\n"
	                                         "Content-Length: 1000000\r\n"
	                                         "Expect: 100-continue\r\n\r\n");
	CU_ASSERT_STRING_EQUAL(anon, "HTTP/1.1 401");
	/* a client that sends its oversized body anyway: read, dropped, refused */
	g_autofree char *filler = g_strnfill(4 * GNUT_CTL_MAX_REQUEST, 'x');
	g_autofree char *sent = g_strdup_printf("POST /rpc HTTP/1.1\r\nHost: x\r\n"
	                                        "Authorization: Bearer " TOKEN "\r\n"
	                                        "Content-Length: %d\r\n\r\n%s",
	                                        4 * GNUT_CTL_MAX_REQUEST, filler);
	g_autofree char *over = raw_request(&sf, sent);
	CU_ASSERT_STRING_EQUAL(over, "HTTP/1.1 413");
	/* just under the cap is read and parsed (and is not JSON) */
	g_autofree char *pad = g_strnfill(GNUT_CTL_MAX_REQUEST, ' ');
	g_autofree char *ok_size = g_strdup_printf("POST /rpc HTTP/1.1\r\nHost: x\r\n"
	                                           "Authorization: Bearer " TOKEN "\r\n"
	                                           "Content-Length: %d\r\n\r\n%s",
	                                           GNUT_CTL_MAX_REQUEST, pad);
	g_autofree char *under = raw_request(&sf, ok_size);
	CU_ASSERT_STRING_EQUAL(under, "HTTP/1.1 400");
	server_clear(&sf);
}

static void test_client(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autoptr(GError) error = NULL;
	/* a bare HOST:PORT and a trailing slash are accepted */
	const char *url = gnut_ctl_server_url(sf.ctl);
	g_autofree char *slash = g_strconcat(url + strlen("http://"), "/", NULL);
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new(slash, TOKEN "\n");
	CU_ASSERT_STRING_EQUAL(gnut_cli_client_url(c), url);
	g_autoptr(JsonNode) st = gnut_cli_client_call(c, "status", NULL, &error);
	CU_ASSERT_TRUE_FATAL(st != NULL && JSON_NODE_HOLDS_OBJECT(st));
	CU_ASSERT_STRING_EQUAL(gnut_cli_str(json_node_get_object(st), "mode"), "leaf");

	g_autoptr(JsonObject) empty = json_object_new();
	g_autoptr(JsonNode) none = gnut_cli_client_call(c, "connect", empty, &error);
	CU_ASSERT_PTR_NULL(none);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_REMOTE));
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "address") : NULL);
	g_clear_error(&error);

	g_autoptr(gnut_cli_client) bad = gnut_cli_client_new(url, "not-the-token");
	g_autoptr(JsonNode) refused = gnut_cli_client_call(bad, "status", NULL, &error);
	CU_ASSERT_PTR_NULL(refused);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNAUTHORIZED));
	g_clear_error(&error);
	server_clear(&sf);
}

static void test_publish(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE(gnut_ctl_server_publish(sf.ctl, sf.f.dir, &error));
	g_autofree char *token_path = g_build_filename(sf.f.dir, GNUT_CTL_TOKEN_FILE, NULL);
	g_autofree char *url_path = g_build_filename(sf.f.dir, GNUT_CTL_URL_FILE, NULL);
	GStatBuf st;
	CU_ASSERT_EQUAL(g_stat(token_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	g_autofree char *token = NULL, *url = NULL;
	CU_ASSERT_TRUE(g_file_get_contents(token_path, &token, NULL, NULL));
	CU_ASSERT_TRUE(g_file_get_contents(url_path, &url, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(token, TOKEN "\n");
	g_autofree char *url_line = g_strconcat(gnut_ctl_server_url(sf.ctl), "\n", NULL);
	CU_ASSERT_STRING_EQUAL(url, url_line);

	g_autoptr(gnut_cli_client) c = gnut_cli_client_new_from_dir(sf.f.dir, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	g_autoptr(JsonNode) shares = gnut_cli_client_call(c, "shares", NULL, &error);
	CU_ASSERT_TRUE(shares != NULL && JSON_NODE_HOLDS_ARRAY(shares));

	gnut_ctl_server_unpublish(sf.f.dir);
	CU_ASSERT_FALSE(g_file_test(url_path, G_FILE_TEST_EXISTS));
	CU_ASSERT_TRUE(g_file_test(token_path, G_FILE_TEST_EXISTS)); /* kept for the restart */
	g_autoptr(gnut_cli_client) gone = gnut_cli_client_new_from_dir(sf.f.dir, &error);
	CU_ASSERT_PTR_NULL(gone);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP));
	server_clear(&sf);
}

static void test_tokens(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *a = gnut_ctl_token_new(&error);
	g_autofree char *b = gnut_ctl_token_new(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(strlen(a), 64);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	for (const char *p = a; *p; p++)
		CU_ASSERT_TRUE(g_ascii_isxdigit(*p) && !g_ascii_isupper(*p));
	g_autofree char *dd = gnut_ctl_default_data_dir();
	CU_ASSERT_TRUE(g_str_has_suffix(dd, G_DIR_SEPARATOR_S "gnutd"));
	CU_ASSERT_TRUE(g_str_has_prefix(dd, g_get_user_data_dir()));
}

/* The error domains' names, as g_quark_to_string shows them. */
static void test_error_domains(void)
{
	CU_ASSERT_STRING_EQUAL(g_quark_to_string(GNUT_CTL_ERROR), "gnut-ctl-error-quark");
	CU_ASSERT_STRING_EQUAL(g_quark_to_string(GNUT_CLI_ERROR), "gnut-cli-error-quark");
}

/* A port nothing listens on: bind one, note it, close it. */
static guint16 closed_port(void)
{
	g_autoptr(GSocket) s =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
	g_socket_bind(s, sa, FALSE, NULL);
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_socket_close(s, NULL);
	return port;
}

static void test_connection_refused(void)
{
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", closed_port());
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new(url, TOKEN);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = gnut_cli_client_call(c, "status", NULL, &error);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE));
	CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, url) : NULL);
}

static gboolean stop_requested(gpointer p)
{
	return ((fixture *)p)->stop_requests > 0;
}

/* "stop" answers first, then asks the servent's owner to stop. */
static void test_stop_over_http(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_cli_client) c = gnut_cli_client_new(gnut_ctl_server_url(sf.ctl), TOKEN);
	g_autoptr(JsonNode) r = gnut_cli_client_call(c, "stop", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE(json_object_get_boolean_member(json_node_get_object(r), "ok"));
	CU_ASSERT_TRUE(iterate_until(stop_requested, &sf.f));
	CU_ASSERT_EQUAL(sf.f.stop_requests, 1);
	server_clear(&sf);
}

/* Prints with fn into a string. */
static char *printed(void (*fn)(FILE *, JsonObject *, gboolean), JsonObject *o, gboolean json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	fn(out, o, json);
	fclose(out);
	return buf;
}

static void test_json_output(void)
{
	g_autoptr(JsonObject) hit =
	    params_of("{\"id\": 7, \"name\": \"a b.mp3\", \"size\": 1234, \"urn\": "
	              "\"urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB\", \"host\": \"127.0.0.1\", "
	              "\"port\": 6346}");
	g_autofree char *line = printed(gnut_cli_print_hit, hit, TRUE);
	CU_ASSERT_TRUE(g_str_has_suffix(line, "}\n"));
	CU_ASSERT_PTR_EQUAL(strchr(line, '\n'), line + strlen(line) - 1);
	g_autoptr(JsonNode) back = json_from_string(line, NULL);
	CU_ASSERT_TRUE_FATAL(back != NULL && JSON_NODE_HOLDS_OBJECT(back));
	static const char *const fields[] = {"id", "name", "size", "urn", "host", "port", NULL};
	CU_ASSERT_TRUE(has_exactly(json_node_get_object(back), fields));
	CU_ASSERT_EQUAL(gnut_cli_int(json_node_get_object(back), "size"), 1234);
	g_autofree char *human = printed(gnut_cli_print_hit, hit, FALSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(human, "a b.mp3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(human, "127.0.0.1:6346"));

	g_autoptr(JsonObject) dl =
	    params_of("{\"id\": 3, \"name\": \"f\", \"size\": 200, \"done\": "
	              "50, \"state\": \"failed\", \"path\": null, "
	              "\"error\": \"no source\"}");
	g_autofree char *dh = printed(gnut_cli_print_download, dl, FALSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(dh, " 25%"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dh, "no source"));
	/* values of the wrong type read as absent, never as a crash */
	g_autoptr(JsonObject) odd = params_of("{\"id\": \"x\", \"name\": 5, \"size\": [1]}");
	CU_ASSERT_EQUAL(gnut_cli_int(odd, "id"), 0);
	CU_ASSERT_PTR_NULL(gnut_cli_str(odd, "name"));
	CU_ASSERT_EQUAL(gnut_cli_int(odd, "size"), 0);
	g_autofree char *oh = printed(gnut_cli_print_hit, odd, FALSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(oh, "-"));
}

/* gnut status shows the uptime in the largest units that fit. */
static void test_human_uptime(void)
{
	static const struct {
		const char *uptime, *shown;
	} cases[] = {
	    {"0", "uptime        0s\n"},
	    {"59", "uptime        59s\n"},
	    {"61", "uptime        1m 01s\n"},
	    {"3661", "uptime        1h 01m 01s\n"},
	    {"90061", "uptime        1d 01h 01m\n"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *json = g_strdup_printf("{\"uptime\": %s}", cases[i].uptime);
		g_autoptr(JsonObject) st = params_of(json);
		g_autofree char *text = printed(gnut_cli_print_status, st, FALSE);
		CU_ASSERT_TRUE(g_str_has_suffix(text, cases[i].shown));
	}
}

/* stats: this session and the total, the same fields in each; with no
 * earlier runs given, the total is the session. */
static void test_stats(void)
{
	fixture f;
	fixture_init(&f);
	static const char *const fields[] = {"bytes_up",
	                                     "bytes_down",
	                                     "uploads_completed",
	                                     "downloads_completed",
	                                     "queries_sent",
	                                     "queries_answered",
	                                     "hits_received",
	                                     "messages_received",
	                                     "messages_sent",
	                                     "messages_dropped",
	                                     "uptime",
	                                     NULL};
	static const char *const parts[] = {"session", "total", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) r = call(&f, "stats", NULL, &error);
	CU_ASSERT_TRUE_FATAL(r != NULL && JSON_NODE_HOLDS_OBJECT(r));
	JsonObject *o = json_node_get_object(r);
	CU_ASSERT_TRUE(has_exactly(o, parts));
	for (gsize i = 0; parts[i] != NULL; i++)
		CU_ASSERT_TRUE(has_exactly(json_object_get_object_member(o, parts[i]), fields));
	gnut_servent_totals before = {.bytes_up = 1000, .uptime = 50, .messages_dropped = 3};
	gnut_servent_set_totals_before(f.servent, &before);
	g_autoptr(JsonNode) again = call(&f, "stats", NULL, &error);
	JsonObject *total = json_object_get_object_member(json_node_get_object(again), "total");
	JsonObject *session = json_object_get_object_member(json_node_get_object(again), "session");
	CU_ASSERT_EQUAL(gnut_cli_int(total, "bytes_up"), 1000 + gnut_cli_int(session, "bytes_up"));
	CU_ASSERT_EQUAL(gnut_cli_int(total, "uptime"), 50 + gnut_cli_int(session, "uptime"));
	CU_ASSERT_EQUAL(gnut_cli_int(total, "messages_dropped"),
	                3 + gnut_cli_int(session, "messages_dropped"));
	CU_ASSERT_PTR_NULL(call(&f, "stats", "{\"since\": 1}", &error));
	CU_ASSERT_TRUE(g_error_matches(error, GNUT_CTL_ERROR, GNUT_CTL_ERROR_INVALID_PARAMS));
	fixture_clear(&f);
}

/* Colours: auto only on a terminal without NO_COLOR and TERM=dumb; the
 * escape codes only when on, the columns aligned either way. */
static void test_colors(void)
{
	gnut_cli_color mode;
	CU_ASSERT_TRUE(gnut_cli_color_parse(NULL, &mode) && mode == GNUT_CLI_COLOR_AUTO);
	CU_ASSERT_TRUE(gnut_cli_color_parse("never", &mode) && mode == GNUT_CLI_COLOR_NEVER);
	CU_ASSERT_TRUE(gnut_cli_color_parse("always", &mode) && mode == GNUT_CLI_COLOR_ALWAYS);
	CU_ASSERT_FALSE(gnut_cli_color_parse("yes", &mode));
	CU_ASSERT_TRUE(gnut_cli_color_wanted(GNUT_CLI_COLOR_AUTO, TRUE, NULL, "xterm"));
	CU_ASSERT_TRUE(gnut_cli_color_wanted(GNUT_CLI_COLOR_AUTO, TRUE, "", "xterm"));
	CU_ASSERT_FALSE(gnut_cli_color_wanted(GNUT_CLI_COLOR_AUTO, FALSE, NULL, "xterm"));
	CU_ASSERT_FALSE(gnut_cli_color_wanted(GNUT_CLI_COLOR_AUTO, TRUE, "1", "xterm"));
	CU_ASSERT_FALSE(gnut_cli_color_wanted(GNUT_CLI_COLOR_AUTO, TRUE, NULL, "dumb"));
	CU_ASSERT_TRUE(gnut_cli_color_wanted(GNUT_CLI_COLOR_ALWAYS, FALSE, "1", "dumb"));
	CU_ASSERT_FALSE(gnut_cli_color_wanted(GNUT_CLI_COLOR_NEVER, TRUE, NULL, "xterm"));

	g_autoptr(JsonObject) d = params_of("{\"id\": 3, \"state\": \"complete\", \"size\": 10, "
	                                    "\"done\": 10, \"name\": \"a\"}");
	g_autofree char *plain = printed(gnut_cli_print_download, d, FALSE);
	CU_ASSERT_PTR_NULL(strchr(plain, '\033'));
	CU_ASSERT_PTR_NOT_NULL(strstr(plain, "   3  complete     100%"));
	gnut_cli_set_color(TRUE);
	g_autofree char *green = printed(gnut_cli_print_download, d, FALSE);
	g_autofree char *json = printed(gnut_cli_print_download, d, TRUE);
	g_autoptr(JsonObject) stats = params_of("{\"session\": {}, \"total\": {}}");
	g_autofree char *heading = printed(gnut_cli_print_stats, stats, FALSE);
	gnut_cli_set_color(FALSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(green, "   3  \033[32mcomplete   \033[0m  100%"));
	CU_ASSERT_PTR_NULL(strchr(json, '\033'));
	CU_ASSERT_TRUE(g_str_has_prefix(heading, "\033[1m"));
}

static void test_request_parse(void)
{
	static const char valid[] = "{\"method\": \"search.hits\", \"params\": {\"search_id\": 3}}";
	g_autofree char *method = NULL;
	g_autoptr(JsonObject) params = NULL;
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE_FATAL(
	    gnut_ctl_request_parse(valid, strlen(valid), &method, &params, &error));
	CU_ASSERT_STRING_EQUAL(method, "search.hits");
	CU_ASSERT_EQUAL(gnut_cli_int(params, "search_id"), 3);
	/* every truncation is refused */
	for (gsize n = 0; n < strlen(valid); n++) {
		char *m = NULL;
		JsonObject *p = NULL;
		char *cut = g_strndup(valid, n);
		CU_ASSERT_FALSE(gnut_ctl_request_parse(cut, n, &m, &p, NULL));
		CU_ASSERT_PTR_NULL(m);
		CU_ASSERT_PTR_NULL(p);
		g_free(cut);
	}
	static const char *const bad[] = {
	    "null",
	    "[]",
	    "\"status\"",
	    "{}",
	    "{\"method\": null}",
	    "{\"method\": [\"a\"]}",
	    "{\"method\": \"a\", \"params\": 1}",
	    "{\"method\": \"a\", \"params\": \"x\"}",
	    "{\"method\": \"a\", \"extra\": 1}",
	    "{method: \"a\"}",
	    "\xff\xfe",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *m = NULL;
		JsonObject *p = NULL;
		CU_ASSERT_FALSE(gnut_ctl_request_parse(bad[i], strlen(bad[i]), &m, &p, NULL));
	}
	g_autofree char *m2 = NULL;
	g_autoptr(JsonObject) p2 = NULL;
	CU_ASSERT_TRUE(
	    gnut_ctl_request_parse("{\"method\":\"stop\",\"params\":null}", 31, &m2, &p2, NULL));
	CU_ASSERT_PTR_NULL(p2);
	/* the cap on size, and on brackets */
	g_autofree char *big = g_strnfill(GNUT_CTL_MAX_REQUEST + 1, ' ');
	char *m = NULL;
	JsonObject *p = NULL;
	CU_ASSERT_FALSE(gnut_ctl_request_parse(big, strlen(big), &m, &p, NULL));
	g_autofree char *brackets = g_strnfill(GNUT_CTL_MAX_BRACKETS + 1, '[');
	CU_ASSERT_FALSE(gnut_ctl_request_parse(brackets, strlen(brackets), &m, &p, NULL));
}

/* share.remove forgets a folder added before; an unknown one is not_found. */
static void test_share_remove(void)
{
	fixture f;
	fixture_init(&f);
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *params = g_strdup_printf("{\"path\": \"%s\"}", dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) added = call(&f, "share.add", params, &error);
	CU_ASSERT_PTR_NOT_NULL(added);
	g_autoptr(JsonNode) removed = call(&f, "share.remove", params, &error);
	CU_ASSERT_PTR_NOT_NULL(removed);
	assert_call_fails(&f, "share.remove", params, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	assert_call_fails(&f, "share.remove", "{\"path\": \"relative\"}", GNUT_CTL_ERROR,
	                  GNUT_CTL_ERROR_INVALID_PARAMS);
	gnut_unit_rmtree(dir);
	fixture_clear(&f);
}

static void test_limits(void)
{
	fixture f;
	fixture_init(&f);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) set = call(&f, "limits.set", "{\"upload_limit\": 65536}", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	g_autoptr(JsonNode) got = call(&f, "limits", NULL, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	JsonObject *o = json_node_get_object(got);
	CU_ASSERT_EQUAL(gnut_cli_int(o, "upload_limit"), 65536);
	CU_ASSERT_EQUAL(gnut_cli_int(o, "download_limit"), 0);
	assert_call_fails(&f, "limits.set", "{\"upload_limit\": -1}", GNUT_CTL_ERROR,
	                  GNUT_CTL_ERROR_INVALID_PARAMS);
	assert_call_fails(&f, "limits.set", "{\"upload\": 1}", GNUT_CTL_ERROR,
	                  GNUT_CTL_ERROR_INVALID_PARAMS);
	fixture_clear(&f);
}

typedef struct {
	guint calls;
	char *method;
} change_log;

static void on_change(const char *method, JsonObject *params, gpointer data)
{
	change_log *log = data;
	log->calls++;
	g_free(log->method);
	log->method = g_strdup(method);
	CU_ASSERT_PTR_NOT_NULL(params);
}

/* The change handler hears successful calls of PERSIST methods only. */
static void test_change_handler(void)
{
	server_fixture sf;
	server_init(&sf);
	change_log log = {0};
	gnut_ctl_server_set_change_handler(sf.ctl, on_change, &log);
	assert_rpc(&sf, "{\"method\": \"status\"}", SOUP_STATUS_OK, NULL);
	CU_ASSERT_EQUAL(log.calls, 0);
	assert_rpc(&sf, "{\"method\": \"limits.set\", \"params\": {\"download_limit\": 1}}",
	           SOUP_STATUS_OK, NULL);
	CU_ASSERT_EQUAL(log.calls, 1);
	CU_ASSERT_STRING_EQUAL(log.method, "limits.set");
	assert_rpc(&sf, "{\"method\": \"connect\", \"params\": {\"address\": \"x\"}}",
	           SOUP_STATUS_BAD_REQUEST, "invalid");
	CU_ASSERT_EQUAL(log.calls, 1);
	g_free(log.method);
	server_clear(&sf);
}

/* token.rotate: the old token stops working, the new one is saved. */
static void test_token_rotate(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autoptr(GError) error = NULL;
	CU_ASSERT_TRUE(gnut_ctl_server_publish(sf.ctl, sf.f.dir, &error));
	g_autofree char *text = NULL;
	guint status = http(&sf, "POST", sf.rpc_url, "Bearer " TOKEN,
	                    "{\"method\": \"" GNUT_CTL_TOKEN_ROTATE "\"}", &text);
	CU_ASSERT_EQUAL(status, SOUP_STATUS_OK);
	g_autoptr(JsonNode) reply = json_from_string(text, NULL);
	CU_ASSERT_TRUE_FATAL(reply != NULL && JSON_NODE_HOLDS_OBJECT(reply));
	JsonObject *result = json_object_get_object_member(json_node_get_object(reply), "result");
	const char *fresh = gnut_cli_str(result, "token");
	CU_ASSERT_TRUE_FATAL(fresh != NULL && strlen(fresh) == 64);
	CU_ASSERT_EQUAL(
	    http(&sf, "POST", sf.rpc_url, "Bearer " TOKEN, "{\"method\": \"status\"}", NULL),
	    SOUP_STATUS_UNAUTHORIZED);
	g_autofree char *auth = g_strconcat("Bearer ", fresh, NULL);
	CU_ASSERT_EQUAL(http(&sf, "POST", sf.rpc_url, auth, "{\"method\": \"status\"}", NULL),
	                SOUP_STATUS_OK);
	g_autofree char *saved = gnut_ctl_token_load_or_new(sf.f.dir, &error);
	CU_ASSERT_STRING_EQUAL(saved, fresh);
	server_clear(&sf);
}

/* Checks text is the Prometheus text format: every sample's metric has a
 * TYPE before it, counters end in _total, values are numbers. Returns the
 * samples as "name{labels}" -> value. */
static GHashTable *parse_metrics(const char *text)
{
	GHashTable *samples = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) types =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GRegex) sample_re = g_regex_new(
	    "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-z_]+=\"[^\"\\\\]*\"(,[a-z_]+=\"[^\"\\\\]*\")*\\})? "
	    "([0-9]+)$",
	    0, 0, NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	CU_ASSERT_TRUE(g_str_has_suffix(text, "\n"));
	for (char **l = lines; *l != NULL && **l != '\0'; l++) {
		g_auto(GStrv) words = g_strsplit(*l, " ", 4);
		if (g_str_has_prefix(*l, "# TYPE ")) {
			CU_ASSERT_TRUE(
			    g_strv_length(words) == 4 &&
			    (strcmp(words[3], "counter") == 0 || strcmp(words[3], "gauge") == 0));
			if (strcmp(words[3], "counter") == 0)
				CU_ASSERT_TRUE(g_str_has_suffix(words[2], "_total"));
			g_hash_table_insert(types, g_strdup(words[2]), g_strdup(words[3]));
			continue;
		}
		if (g_str_has_prefix(*l, "# HELP "))
			continue;
		g_autoptr(GMatchInfo) m = NULL;
		CU_ASSERT_TRUE_FATAL(g_regex_match(sample_re, *l, 0, &m));
		g_autofree char *name = g_match_info_fetch(m, 1);
		g_autofree char *value = g_match_info_fetch(m, 4);
		CU_ASSERT_TRUE(g_hash_table_contains(types, name));
		CU_ASSERT_TRUE(g_str_has_prefix(name, "gnutd_"));
		char *key = g_strndup(*l, strlen(*l) - strlen(value) - 1);
		CU_ASSERT_FALSE(g_hash_table_contains(samples, key));
		g_hash_table_insert(samples, key,
		                    GSIZE_TO_POINTER(g_ascii_strtoull(value, NULL, 10)));
	}
	return samples;
}

static void test_metrics(void)
{
	server_fixture sf;
	server_init(&sf);
	g_autofree char *url =
	    g_strconcat(gnut_ctl_server_url(sf.ctl), GNUT_CTL_METRICS_PATH, NULL);
	CU_ASSERT_EQUAL(http(&sf, "GET", url, NULL, NULL, NULL), SOUP_STATUS_UNAUTHORIZED);
	CU_ASSERT_EQUAL(http(&sf, "POST", url, "Bearer " TOKEN, "{}", NULL),
	                SOUP_STATUS_METHOD_NOT_ALLOWED);
	g_autofree char *text = NULL;
	CU_ASSERT_EQUAL(http(&sf, "GET", url, "Bearer " TOKEN, NULL, &text), SOUP_STATUS_OK);
	g_autoptr(GHashTable) samples = parse_metrics(text);
	const char *expected[] = {
	    "gnutd_links{mode=\"ultrapeer\"}",
	    "gnutd_links{mode=\"leaf\"}",
	    "gnutd_transfer_bytes_total{direction=\"up\"}",
	    "gnutd_transfer_bytes_total{direction=\"down\"}",
	    "gnutd_link_messages_total{direction=\"received\"}",
	    "gnutd_messages_dropped_total",
	    "gnutd_queries_received_total",
	    "gnutd_downloads{state=\"complete\"}",
	    "gnutd_uploads{state=\"active\"}",
	    "gnutd_upload_queued",
	    "gnutd_upload_queue_left_total{reason=\"early\"}",
	    "gnutd_caps_hit_total{cap=\"handshakes\"}",
	    "gnutd_info{version=\"" PACKAGE_VERSION "\",mode=\"leaf\"}",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
		CU_ASSERT_TRUE(g_hash_table_contains(samples, expected[i]));
		if (!g_hash_table_contains(samples, expected[i]))
			fprintf(stderr, "missing %s\n", expected[i]);
	}
	CU_ASSERT_EQUAL(
	    GPOINTER_TO_SIZE(g_hash_table_lookup(samples, "gnutd_links{mode=\"leaf\"}")), 0);
	CU_ASSERT_EQUAL(GPOINTER_TO_SIZE(g_hash_table_lookup(
	                    samples, "gnutd_info{version=\"" PACKAGE_VERSION "\",mode=\"leaf\"}")),
	                1);
	server_clear(&sf);
}

/* Remote text for a human line: control characters (C0, DEL, C1), line
 * separators and invalid UTF-8 never reach the terminal; sizes split on an
 * ASCII space. */
static void test_safe_text(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain name.mp3", "plain name.mp3"},
	    {"evil\033[31mred\033[0m.txt", "evil?[31mred?[0m.txt"},
	    {"cr\rbell\atab\tdel\x7f", "cr?bell?tab?del?"},
	    {"c1 \xc2\x9b"
	     "2J",
	     "c1 ?2J"},
	    {"line\xe2\x80\xa8sep", "line?sep"},
	    {"caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *safe = gnut_cli_safe(cases[i].in);
		CU_ASSERT_STRING_EQUAL(safe, cases[i].out);
	}
	g_autofree char *bad = gnut_cli_safe("bad \xff\xfe utf8");
	CU_ASSERT_TRUE(g_utf8_validate(bad, -1, NULL));
	CU_ASSERT_PTR_NULL(strchr(bad, '\xff'));
	g_autofree char *size = gnut_cli_format_size(5000);
	CU_ASSERT_STRING_EQUAL(size, "5.0 kB");
	g_autofree char *bytes = gnut_cli_format_size(-3);
	CU_ASSERT_STRING_EQUAL(bytes, "0 bytes");
}

static CU_TestInfo tests[] = {
    {"request decoding", test_request_parse},
    {"method table", test_method_table},
    {"status and empty lists", test_status},
    {"share.add of a folder", test_share_add},
    {"magnet of a shared file, and its errors", test_magnet},
    {"search and connect", test_search_and_connect},
    {"bad parameters are errors", test_bad_params},
    {"stop calls the stop handler", test_stop_method},
    {"HTTP: 401 without or with a wrong token", test_transport_token},
    {"HTTP: bad requests refused", test_transport_refusals},
    {"HTTP: body size limits", test_transport_body_limits},
    {"HTTP: the web UI's files without the token", test_transport_www},
    {"client: calls, remote errors, wrong token", test_client},
    {"control.url and control.token", test_publish},
    {"tokens and the default data folder", test_tokens},
    {"the error domains' names", test_error_domains},
    {"share.remove", test_share_remove},
    {"limits and limits.set", test_limits},
    {"the change handler hears setting changes", test_change_handler},
    {"token.rotate", test_token_rotate},
    {"/metrics in the Prometheus text format", test_metrics},
    {"remote text made safe, sizes with ASCII spaces", test_safe_text},
    {"client: connection refused", test_connection_refused},
    {"HTTP: every reply closes its connection", test_transport_closes},
    {"client: replies read to their length or refused", test_client_replies},
    {"HTTP: stop replies first", test_stop_over_http},
    {"gnut --json output keeps the field names", test_json_output},
    {"gnut status: uptime in days, hours, minutes", test_human_uptime},
    {"stats: session and total", test_stats},
    {"gnut colours only when asked", test_colors},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ctl", tests)
