/* gnut.c: the command-line remote of gnutd. It finds the daemon through
 * --data-dir (control.url and control.token written there) or --control
 * URL --token T, runs one command as control API calls, and prints the
 * answer for a human or, with --json, one JSON object per line (an error
 * too: {"error": {"message", "code"}} on stdout). Exit status (gnut(1)):
 * 0 done, 1 failed (the daemon refused, a download failed), 2 a usage
 * error, 3 not found (no such download, search, share...), 4 the daemon
 * cannot be reached (not running, no control.url, nothing listening). */
#include "config.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli-client.h"
#include "cli-output.h"
#include "gnut/base/rate-limit.h"
#include "gnut/ctl/ctl-protocol.h"

#define EXIT_USAGE       2
#define EXIT_NOT_FOUND   3
#define EXIT_UNREACHABLE 4
#define SEARCH_POLL_US   (200 * G_TIME_SPAN_MILLISECOND)
#define DOWNLOAD_POLL_US (250 * G_TIME_SPAN_MILLISECOND)
#define SEARCH_DEFAULT_S 10.0
#define SEARCH_MAX_S     ((double)(G_TIME_SPAN_DAY / G_TIME_SPAN_SECOND))
#define GET_SOURCE_TRIES 15 /* seconds a get by URN waits for a first source */

/* The options every command takes (before or after the command name). */
typedef struct {
	char *data_dir;
	char *control;
	char *token;
	char *fingerprint;
	char *color; /* --color: auto, always or never */
	gboolean json;
} cli_common;

typedef struct {
	cli_common global, local;
	gboolean version;
	double timeout;
	int max_hits; /* search --max: stop after this many hits (0: no cap) */
	gboolean wait;
	gboolean rotate;
	gboolean hit; /* magnet --hit */
	char *to;
	char *upload_limit, *download_limit; /* limits: RATE texts to set */
	char **args;                         /* the command's arguments, after its name */
	gboolean json;
	gnut_cli_client *client;
} cli;

typedef int (*cli_run)(cli *c);

typedef struct {
	const char *name;
	const char *usage;   /* parameter string for --help */
	const char *summary; /* one line */
	guint min_args, max_args;
	cli_run run;
} cli_command;

static void common_clear(cli_common *k)
{
	g_free(k->data_dir);
	g_free(k->control);
	g_free(k->token);
	g_free(k->fingerprint);
	g_free(k->color);
}

static void add_common_entries(GOptionContext *ctx, cli_common *k)
{
	const GOptionEntry entries[] = {
	    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &k->data_dir,
	     "gnutd's data folder (default $XDG_DATA_HOME/gnutd)", "DIR"},
	    {"control", 'c', 0, G_OPTION_ARG_STRING, &k->control,
	     "Control URL, instead of DIR/control.url", "URL"},
	    {"token", 't', 0, G_OPTION_ARG_STRING, &k->token, "Control token, with --control", "T"},
	    {"fingerprint", 0, 0, G_OPTION_ARG_STRING, &k->fingerprint,
	     "SHA-256 of gnutd's certificate, with an https --control URL", "HEX"},
	    {"json", 'j', 0, G_OPTION_ARG_NONE, &k->json, "Print one JSON object per line", NULL},
	    {"color", 0, 0, G_OPTION_ARG_STRING, &k->color,
	     "Colour states: auto (on a terminal without NO_COLOR), always or never", "WHEN"},
	    G_OPTION_ENTRY_NULL,
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
}

/* Fails the call when the result is not of the kind the method promises. */
static JsonNode *call(cli *c, const char *method, JsonObject *params, JsonNodeType kind,
                      GError **error)
{
	g_autoptr(JsonNode) result = gnut_cli_client_call(c->client, method, params, error);
	if (result == NULL)
		return NULL;
	if (JSON_NODE_TYPE(result) != kind) {
		g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_PROTOCOL,
		            "%s: unexpected reply from gnutd", method);
		return NULL;
	}
	return g_steal_pointer(&result);
}

/* Errors are JSON objects on stdout once --json is seen anywhere on the
 * command line (even before it is parsed: a usage error is one too). */
static gboolean errors_as_json;

/* Reports an error, as "gnut: message" on stderr or as
 * {"error": {"message", "code"}} on stdout; returns status. */
static int report(int status, const char *code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int report(int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!errors_as_json) {
		fprintf(stderr, "gnut: %s\n", message);
		return status;
	}
	g_autoptr(JsonObject) inner = json_object_new();
	json_object_set_string_member(inner, "message", message);
	json_object_set_string_member(inner, "code", code);
	g_autoptr(JsonObject) outer = json_object_new();
	json_object_set_object_member(outer, "error", json_object_ref(inner));
	gnut_cli_print_json(stdout, outer);
	return status;
}

#define usage_error(...) report(EXIT_USAGE, "usage", __VA_ARGS__)

/* The exit status and error code of a failed call. */
static int fail(GError *error)
{
	int status = EXIT_FAILURE;
	const char *code = "failed";
	if (g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_NOT_FOUND)) {
		status = EXIT_NOT_FOUND;
		code = "not_found";
	} else if (g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_SETUP) ||
	           g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNREACHABLE)) {
		status = EXIT_UNREACHABLE;
		code = "unreachable";
	} else if (g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNAUTHORIZED)) {
		code = "unauthorized";
	} else if (g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_UNTRUSTED)) {
		code = "untrusted";
	}
	report(status, code, "%s", error->message);
	g_error_free(error);
	return status;
}

/* Calls a method answering a list (params may be NULL) and prints each
 * object of it. */
static int print_list(cli *c, const char *method, JsonObject *params,
                      void (*print)(FILE *, JsonObject *, gboolean))
{
	GError *error = NULL;
	g_autoptr(JsonNode) list = call(c, method, params, JSON_NODE_ARRAY, &error);
	if (list == NULL)
		return fail(error);
	JsonArray *a = json_node_get_array(list);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *item = json_array_get_element(a, i);
		if (JSON_NODE_HOLDS_OBJECT(item))
			print(stdout, json_node_get_object(item), c->json);
	}
	return EXIT_SUCCESS;
}

/* Calls a method answering an object and prints it. */
static int print_object(cli *c, const char *method, void (*print)(FILE *, JsonObject *, gboolean))
{
	GError *error = NULL;
	g_autoptr(JsonNode) o = call(c, method, NULL, JSON_NODE_OBJECT, &error);
	if (o == NULL)
		return fail(error);
	print(stdout, json_node_get_object(o), c->json);
	return EXIT_SUCCESS;
}

static int run_status(cli *c)
{
	return print_object(c, "status", gnut_cli_print_status);
}

static int run_stats(cli *c)
{
	return print_object(c, "stats", gnut_cli_print_stats);
}

static int run_peers(cli *c)
{
	return print_list(c, "peers", NULL, gnut_cli_print_peer);
}

static int run_hosts(cli *c)
{
	return print_list(c, "hosts", NULL, gnut_cli_print_host);
}

static int run_downloads(cli *c)
{
	return print_list(c, "downloads", NULL, gnut_cli_print_download);
}

static int run_shares(cli *c)
{
	return print_list(c, "shares", NULL, gnut_cli_print_share);
}

/* An action: one call with at most one string parameter, then a message. */
static int run_action(cli *c, const char *method, const char *key, const char *value,
                      const char *message)
{
	g_autoptr(JsonObject) params = json_object_new();
	if (key != NULL)
		json_object_set_string_member(params, key, value);
	GError *error = NULL;
	g_autoptr(JsonNode) reply = call(c, method, params, JSON_NODE_OBJECT, &error);
	if (reply == NULL)
		return fail(error);
	gnut_cli_print_done(stdout, json_node_get_object(reply), c->json, message);
	return EXIT_SUCCESS;
}

/* Adds key = RATE (as --upload-limit takes it) to params; FALSE when RATE
 * is not a rate. */
static gboolean add_rate(JsonObject *params, const char *key, const char *text)
{
	guint64 rate = 0;
	if (text == NULL)
		return TRUE;
	if (!gnut_rate_limit_parse(text, &rate) || rate > G_MAXINT64)
		return FALSE;
	json_object_set_int_member(params, key, (gint64)rate);
	return TRUE;
}

/* Shows the bandwidth limits; with --upload / --download, sets them first
 * (live, and kept across restarts by the daemon). */
static int run_limits(cli *c)
{
	g_autoptr(JsonObject) params = json_object_new();
	if (!add_rate(params, "upload_limit", c->upload_limit) ||
	    !add_rate(params, "download_limit", c->download_limit))
		return usage_error("limits: RATE is bytes per second, 0 for none, optional k or M "
		                   "suffix (64k, 2M)");
	gboolean set = json_object_get_size(params) > 0;
	GError *error = NULL;
	g_autoptr(JsonNode) reply =
	    call(c, set ? "limits.set" : "limits", set ? params : NULL, JSON_NODE_OBJECT, &error);
	if (reply == NULL)
		return fail(error);
	gnut_cli_print_limits(stdout, json_node_get_object(reply), c->json);
	return EXIT_SUCCESS;
}

/* HOST:PORT with HOST resolved to an IPv4 address when it is a name, so
 * that "localhost:P" and "127.0.0.1:P" are one servent to the daemon
 * (which dials names as given and tells peers apart by address). */
static char *resolved_address(const char *host_port, GError **error)
{
	g_autoptr(GSocketConnectable) na = g_network_address_parse(host_port, 0, error);
	if (na == NULL)
		return NULL;
	const char *host = g_network_address_get_hostname(G_NETWORK_ADDRESS(na));
	guint16 port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
	if (port == 0 || g_hostname_is_ip_address(host))
		return g_strdup(host_port); /* the daemon judges it */
	GList *ips = g_resolver_lookup_by_name(g_resolver_get_default(), host, NULL, error);
	g_autofree char *ip = NULL;
	for (GList *l = ips; l != NULL && ip == NULL; l = l->next)
		if (g_inet_address_get_family(l->data) == G_SOCKET_FAMILY_IPV4)
			ip = g_inet_address_to_string(l->data);
	g_resolver_free_addresses(ips);
	if (ip == NULL) {
		if (error != NULL && *error == NULL)
			g_set_error(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_NOT_FOUND,
			            "%s has no IPv4 address", host);
		return NULL;
	}
	return g_strdup_printf("%s:%u", ip, port);
}

/* connect or disconnect: one servent, its name resolved first. */
static int run_peer_method(cli *c, const char *method, const char *done)
{
	GError *error = NULL;
	g_autofree char *address = resolved_address(c->args[0], &error);
	if (address == NULL)
		return fail(error);
	g_autofree char *msg = g_strdup_printf("%s %s", done, address);
	return run_action(c, method, "address", address, msg);
}

static int run_connect(cli *c)
{
	return run_peer_method(c, "connect", "connecting to");
}

static int run_disconnect(cli *c)
{
	return run_peer_method(c, "disconnect", "disconnected from");
}

/* Prints the token gnut uses; with --rotate, asks for a new one first (the
 * daemon saves it in control.token; remotes given the old one need the new). */
static int run_token(cli *c)
{
	if (!c->rotate) {
		const char *token = gnut_cli_client_token(c->client);
		if (c->json) {
			g_autoptr(JsonObject) o = json_object_new();
			json_object_set_string_member(o, "token", token);
			gnut_cli_print_json(stdout, o);
		} else {
			printf("%s\n", token);
		}
		return EXIT_SUCCESS;
	}
	GError *error = NULL;
	g_autoptr(JsonNode) reply = call(c, GNUT_CTL_TOKEN_ROTATE, NULL, JSON_NODE_OBJECT, &error);
	if (reply == NULL)
		return fail(error);
	JsonObject *o = json_node_get_object(reply);
	if (c->json)
		gnut_cli_print_json(stdout, o);
	else
		printf("%s\n", gnut_cli_str(o, "token") ? gnut_cli_str(o, "token") : "");
	return EXIT_SUCCESS;
}

static int run_rescan(cli *c)
{
	return run_action(c, "rescan", NULL, NULL, "rescanning the shared folders");
}

static int run_stop(cli *c)
{
	return run_action(c, "stop", NULL, NULL, "gnutd is stopping");
}

static int run_share(cli *c)
{
	gboolean add = strcmp(c->args[0], "add") == 0;
	if ((!add && strcmp(c->args[0], "remove") != 0) || c->args[1] == NULL)
		return usage_error("usage: gnut share add|remove DIR");
	g_autofree char *dir = g_canonicalize_filename(c->args[1], NULL);
	g_autofree char *msg =
	    g_strdup_printf(add ? "sharing %s (scanning)" : "no longer sharing %s", dir);
	return run_action(c, add ? "share.add" : "share.remove", "path", dir, msg);
}

static gboolean parse_id(const char *text, guint64 *id)
{
	return g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, id, NULL);
}

/* The {id} parameters of a download command; NULL (usage printed) when
 * its argument is not an id. */
static JsonObject *id_params(cli *c, const char *command, guint64 *id)
{
	if (!parse_id(c->args[0], id)) {
		(void)usage_error("%s: \"%s\" is not a download id", command, c->args[0]);
		return NULL;
	}
	JsonObject *params = json_object_new();
	json_object_set_int_member(params, "id", (gint64)*id);
	return params;
}

/* cancel, pause, resume, retry: one call on a download id. */
static int run_download_action(cli *c, const char *command, const char *method, const char *done)
{
	guint64 id;
	g_autoptr(JsonObject) params = id_params(c, command, &id);
	if (params == NULL)
		return EXIT_USAGE;
	GError *error = NULL;
	g_autoptr(JsonNode) reply = call(c, method, params, JSON_NODE_OBJECT, &error);
	if (reply == NULL)
		return fail(error);
	g_autofree char *msg = g_strdup_printf("download %" G_GUINT64_FORMAT " %s", id, done);
	gnut_cli_print_done(stdout, json_node_get_object(reply), c->json, msg);
	return EXIT_SUCCESS;
}

static int run_cancel(cli *c)
{
	return run_download_action(c, "cancel", "download.cancel", "cancelled");
}

static int run_pause(cli *c)
{
	return run_download_action(c, "pause", "download.pause", "paused");
}

static int run_resume(cli *c)
{
	return run_download_action(c, "resume", "download.resume", "resumed");
}

static int run_retry(cli *c)
{
	return run_download_action(c, "retry", "download.retry", "retrying every source");
}

static int run_sources(cli *c)
{
	guint64 id;
	g_autoptr(JsonObject) params = id_params(c, "sources", &id);
	if (params == NULL)
		return EXIT_USAGE;
	return print_list(c, "download.sources", params, gnut_cli_print_source);
}

static gboolean enough_hits(const cli *c, guint count)
{
	return c->max_hits > 0 && count >= (guint)c->max_hits;
}

/* Prints the hits of search_id numbered above *after, up to --max in all;
 * moves *after on. */
static gboolean poll_hits(cli *c, gint64 search_id, gint64 *after, guint *count, GError **error)
{
	g_autoptr(JsonObject) params = json_object_new();
	json_object_set_int_member(params, "search_id", search_id);
	json_object_set_int_member(params, "after", *after);
	g_autoptr(JsonNode) hits = call(c, "search.hits", params, JSON_NODE_ARRAY, error);
	if (hits == NULL)
		return FALSE;
	JsonArray *a = json_node_get_array(hits);
	for (guint i = 0; i < json_array_get_length(a) && !enough_hits(c, *count); i++) {
		JsonNode *item = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_OBJECT(item))
			continue;
		JsonObject *hit = json_node_get_object(item);
		gnut_cli_print_hit(stdout, hit, c->json);
		*after = MAX(*after, gnut_cli_int(hit, "id"));
		(*count)++;
	}
	return TRUE;
}

/* Starts a search, prints hits as they arrive (polled every 200 ms) until
 * the timeout or --max hits, then stops the search. */
static int run_search(cli *c)
{
	if (c->timeout <= 0 || c->timeout > SEARCH_MAX_S)
		return usage_error("search: --timeout must be from 0 to %.0f seconds",
		                   SEARCH_MAX_S);
	if (c->max_hits < 0)
		return usage_error("search: --max must be 0 (no cap) or more hits");
	g_autofree char *query = g_strjoinv(" ", c->args);
	g_autoptr(JsonObject) params = json_object_new();
	json_object_set_string_member(params, "query", query);
	GError *error = NULL;
	g_autoptr(JsonNode) started = call(c, "search.start", params, JSON_NODE_OBJECT, &error);
	if (started == NULL)
		return fail(error);
	gint64 search_id = gnut_cli_int(json_node_get_object(started), "search_id");
	gint64 deadline = g_get_monotonic_time() + (gint64)(c->timeout * G_USEC_PER_SEC);
	gint64 after = 0;
	guint count = 0;
	for (;;) {
		if (!poll_hits(c, search_id, &after, &count, &error))
			return fail(error);
		gint64 left = deadline - g_get_monotonic_time();
		if (left <= 0 || enough_hits(c, count))
			break;
		g_usleep((gulong)MIN(left, SEARCH_POLL_US));
	}
	g_autoptr(JsonObject) stop = json_object_new();
	json_object_set_int_member(stop, "search_id", search_id);
	g_autoptr(JsonNode) stopped = call(c, "search.stop", stop, JSON_NODE_OBJECT, &error);
	if (stopped == NULL)
		return fail(error);
	if (!c->json)
		fprintf(stderr, "%u hit%s for \"%s\"\n", count, count == 1 ? "" : "s", query);
	return EXIT_SUCCESS;
}

/* The download's record in the daemon's list, or NULL. */
static JsonObject *find_download(JsonNode *list, gint64 id)
{
	JsonArray *a = json_node_get_array(list);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *item = json_array_get_element(a, i);
		if (JSON_NODE_HOLDS_OBJECT(item) &&
		    gnut_cli_int(json_node_get_object(item), "id") == id)
			return json_node_get_object(item);
	}
	return NULL;
}

static gboolean is_final(const char *state)
{
	return state != NULL && (strcmp(state, "complete") == 0 || strcmp(state, "failed") == 0 ||
	                         strcmp(state, "cancelled") == 0);
}

/* Polls the download list until id is complete, failed or cancelled,
 * drawing a progress bar on stderr when stdout is a terminal. */
static int wait_download(cli *c, gint64 id)
{
	gboolean bar = isatty(STDOUT_FILENO);
	for (;;) {
		GError *error = NULL;
		g_autoptr(JsonNode) list = call(c, "downloads", NULL, JSON_NODE_ARRAY, &error);
		if (list == NULL) {
			if (bar)
				gnut_cli_progress_end(stderr);
			return fail(error);
		}
		JsonObject *d = find_download(list, id);
		if (d == NULL) {
			if (bar)
				gnut_cli_progress_end(stderr);
			return report(EXIT_NOT_FOUND, "not_found",
			              "download %" G_GINT64_FORMAT " is gone", id);
		}
		if (bar)
			gnut_cli_progress(stderr, d);
		const char *state = gnut_cli_str(d, "state");
		if (is_final(state)) {
			if (bar)
				gnut_cli_progress_end(stderr);
			gnut_cli_print_download(stdout, d, c->json);
			if (strcmp(state, "complete") == 0)
				return EXIT_SUCCESS;
			g_autofree char *why = gnut_cli_str(d, "error")
			                           ? gnut_cli_safe(gnut_cli_str(d, "error"))
			                           : NULL;
			return report(EXIT_FAILURE, "failed",
			              "download %" G_GINT64_FORMAT " %s%s%s", id, state,
			              why ? ": " : "", why ? why : "");
		}
		g_usleep(DOWNLOAD_POLL_US);
	}
}

static int run_get(cli *c)
{
	g_autoptr(JsonObject) params = json_object_new();
	json_object_set_string_member(params, "target", c->args[0]);
	if (c->to != NULL) {
		g_autofree char *to = g_canonicalize_filename(c->to, NULL);
		json_object_set_string_member(params, "to", to);
	}
	GError *error = NULL;
	g_autoptr(JsonNode) started = call(c, "download.start", params, JSON_NODE_OBJECT, &error);
	/* A URN or magnet with no source known yet: the daemon sent a search
	 * for it; ask again while its hits come in. */
	gboolean by_hash = !g_ascii_isdigit(c->args[0][0]);
	for (guint tries = 0; started == NULL && by_hash && tries < GET_SOURCE_TRIES &&
	                      g_error_matches(error, GNUT_CLI_ERROR, GNUT_CLI_ERROR_NOT_FOUND);
	     tries++) {
		if (tries == 0 && !c->json)
			fprintf(stderr, "gnut: %s; waiting for sources\n", error->message);
		g_clear_error(&error);
		g_usleep(G_USEC_PER_SEC);
		started = call(c, "download.start", params, JSON_NODE_OBJECT, &error);
	}
	if (started == NULL)
		return fail(error);
	JsonObject *d = json_node_get_object(started);
	if (c->wait)
		return wait_download(c, gnut_cli_int(d, "id"));
	gnut_cli_print_download(stdout, d, c->json);
	return EXIT_SUCCESS;
}

/* A magnet for a download (a number), a hit (a number with --hit) or a
 * shared file (an argument with a '/': a path). */
static int run_magnet(cli *c)
{
	const char *arg = c->args[0];
	g_autoptr(JsonObject) params = json_object_new();
	guint64 id;
	if (strchr(arg, '/') != NULL && !c->hit) {
		g_autofree char *path = g_canonicalize_filename(arg, NULL);
		json_object_set_string_member(params, "path", path);
	} else if (parse_id(arg, &id)) {
		json_object_set_int_member(params, c->hit ? "hit" : "download", (gint64)id);
	} else {
		return usage_error("magnet: \"%s\" is not a %s", arg,
		                   c->hit ? "hit id" : "download id nor a path (with a '/')");
	}
	GError *error = NULL;
	g_autoptr(JsonNode) reply = call(c, "magnet", params, JSON_NODE_OBJECT, &error);
	if (reply == NULL)
		return fail(error);
	JsonObject *o = json_node_get_object(reply);
	const char *magnet = gnut_cli_str(o, "magnet");
	if (magnet == NULL)
		return report(EXIT_FAILURE, "failed", "magnet: unexpected reply from gnutd");
	if (c->json) {
		gnut_cli_print_json(stdout, o);
	} else {
		g_autofree char *safe = gnut_cli_safe(magnet);
		printf("%s\n", safe);
	}
	return EXIT_SUCCESS;
}

static const cli_command commands[] = {
    {"status", "status", "the daemon's version, mode, links, shares, traffic", 0, 0, run_status},
    {"stats", "stats", "traffic, transfers, queries: this session and every run", 0, 0, run_stats},
    {"peers", "peers", "the servents linked to", 0, 0, run_peers},
    {"connect", "connect HOST:PORT", "link to a servent (and keep it)", 1, 1, run_connect},
    {"disconnect", "disconnect HOST:PORT", "drop a link and forget the peer", 1, 1, run_disconnect},
    {"hosts", "hosts", "the host cache: servents known, where from, how fresh", 0, 0, run_hosts},
    {"search", "search [--timeout S] [--max N] QUERY",
     "search the network, print hits as they arrive", 1, G_MAXUINT, run_search},
    {"get", "get [--wait] [--to DIR] URN|MAGNET|HIT-ID", "download a file", 1, 1, run_get},
    {"downloads", "downloads", "downloads and their progress", 0, 0, run_downloads},
    {"cancel", "cancel ID", "cancel a download", 1, 1, run_cancel},
    {"pause", "pause ID", "pause a download (kept until resumed)", 1, 1, run_pause},
    {"resume", "resume ID", "resume a paused download", 1, 1, run_resume},
    {"retry", "retry ID", "try every source of a download again, search for more", 1, 1, run_retry},
    {"sources", "sources ID", "a download's sources and their state", 1, 1, run_sources},
    {"shares", "shares", "the shared files", 0, 0, run_shares},
    {"share", "share add|remove DIR", "share a folder, or stop sharing it", 2, 2, run_share},
    {"limits", "limits [--upload RATE] [--download RATE]",
     "show the bandwidth limits, or set them (0 none; k, M)", 0, 0, run_limits},
    {"magnet", "magnet [--hit] ID|PATH",
     "a magnet for a download, a hit (--hit) or a shared file (a path)", 1, 1, run_magnet},
    {"rescan", "rescan", "rescan the shared folders", 0, 0, run_rescan},
    {"stop", "stop", "stop the daemon", 0, 0, run_stop},
    {"token", "token [--rotate]", "print the control token (--rotate: replace it)", 0, 0,
     run_token},
};

static char *commands_summary(void)
{
	GString *s = g_string_new("Commands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		g_string_append_printf(s, "  %-42s %s\n", commands[i].usage, commands[i].summary);
	g_string_append(s,
	                "\n\"gnut COMMAND --help\" shows a command's options.\n"
	                "Exit status: 0 done, 1 failed, 2 usage error, 3 not found, 4 the daemon\n"
	                "cannot be reached. With --json an error is {\"error\": {message, code}}.");
	return g_string_free(s, FALSE);
}

static const cli_command *find_command(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The options only some commands take. */
static void add_command_entries(GOptionContext *ctx, const cli_command *cmd, cli *c)
{
	const GOptionEntry search_entries[] = {
	    {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &c->timeout,
	     "Seconds to wait for hits (default 10)", "S"},
	    {"max", 'm', 0, G_OPTION_ARG_INT, &c->max_hits,
	     "Stop once N hits were printed (default: no cap)", "N"},
	    G_OPTION_ENTRY_NULL,
	};
	const GOptionEntry get_entries[] = {
	    {"wait", 'w', 0, G_OPTION_ARG_NONE, &c->wait,
	     "Wait until the download completes or fails", NULL},
	    {"to", 0, 0, G_OPTION_ARG_FILENAME, &c->to, "Put the file in DIR", "DIR"},
	    G_OPTION_ENTRY_NULL,
	};
	const GOptionEntry token_entries[] = {
	    {"rotate", 0, 0, G_OPTION_ARG_NONE, &c->rotate,
	     "Replace the token with a new one and print it", NULL},
	    G_OPTION_ENTRY_NULL,
	};
	const GOptionEntry limits_entries[] = {
	    {"upload", 0, 0, G_OPTION_ARG_STRING, &c->upload_limit,
	     "Set the upload limit (bytes/s, 0 none, k or M suffix)", "RATE"},
	    {"download", 0, 0, G_OPTION_ARG_STRING, &c->download_limit,
	     "Set the download limit (bytes/s, 0 none, k or M suffix)", "RATE"},
	    G_OPTION_ENTRY_NULL,
	};
	const GOptionEntry magnet_entries[] = {
	    {"hit", 0, 0, G_OPTION_ARG_NONE, &c->hit,
	     "ID is a hit id (as gnut search prints), not a download id", NULL},
	    G_OPTION_ENTRY_NULL,
	};
	if (cmd->run == run_token)
		g_option_context_add_main_entries(ctx, token_entries, NULL);
	if (cmd->run == run_limits)
		g_option_context_add_main_entries(ctx, limits_entries, NULL);
	if (cmd->run == run_magnet)
		g_option_context_add_main_entries(ctx, magnet_entries, NULL);
	if (cmd->run == run_search)
		g_option_context_add_main_entries(ctx, search_entries, NULL);
	else if (cmd->run == run_get)
		g_option_context_add_main_entries(ctx, get_entries, NULL);
}

/* Parses "CMD [options] ARGS" (args[0] is CMD); keeps the arguments. */
static int parse_command(cli *c, const cli_command *cmd, char **args)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(cmd->usage);
	g_option_context_set_summary(ctx, cmd->summary);
	add_common_entries(ctx, &c->local);
	add_command_entries(ctx, cmd, c);
	g_auto(GStrv) v = g_strdupv(args);
	g_free(v[0]);
	v[0] = g_strdup("gnut");
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse_strv(ctx, &v, &error))
		return usage_error("%s: %s", cmd->name, error->message);
	guint n = g_strv_length(v) - 1;
	if (n < cmd->min_args || n > cmd->max_args)
		return usage_error("usage: gnut %s", cmd->usage);
	c->args = g_strdupv(v + 1);
	return EXIT_SUCCESS;
}

/* Colours for human lines on a terminal (--color, NO_COLOR, TERM); never
 * under --json. */
static int setup_color(cli *c)
{
	gnut_cli_color mode;
	if (!gnut_cli_color_parse(c->local.color ? c->local.color : c->global.color, &mode))
		return usage_error("--color must be auto, always or never");
	gnut_cli_set_color(!c->json &&
	                   gnut_cli_color_wanted(mode, isatty(STDOUT_FILENO), g_getenv("NO_COLOR"),
	                                         g_getenv("TERM")));
	return EXIT_SUCCESS;
}

/* Finds the daemon: --control URL --token T, else DIR/control.url. */
static int open_client(cli *c)
{
	const char *data_dir = c->local.data_dir ? c->local.data_dir : c->global.data_dir;
	const char *control = c->local.control ? c->local.control : c->global.control;
	const char *token = c->local.token ? c->local.token : c->global.token;
	const char *pin = c->local.fingerprint ? c->local.fingerprint : c->global.fingerprint;
	c->json = c->local.json || c->global.json;
	if (setup_color(c) != EXIT_SUCCESS)
		return EXIT_USAGE;
	if (control != NULL) {
		if (token == NULL)
			return usage_error("--control needs --token");
		c->client = gnut_cli_client_new(control, token);
		if (pin != NULL && !gnut_cli_client_set_fingerprint(c->client, pin))
			return usage_error("--fingerprint: \"%s\" is not a SHA-256 fingerprint",
			                   pin);
		return EXIT_SUCCESS;
	}
	if (pin != NULL)
		return usage_error("--fingerprint goes with --control (else DIR/%s is read)",
		                   GNUT_CTL_PIN_FILE);
	g_autofree char *dir =
	    data_dir ? g_canonicalize_filename(data_dir, NULL) : gnut_ctl_default_data_dir();
	GError *error = NULL;
	c->client = gnut_cli_client_new_from_dir(dir, &error);
	return c->client != NULL ? EXIT_SUCCESS : fail(error);
}

/* Parses the options before the command name (stopping at it). */
static GStrv parse_global(cli *c, int argc, char **argv, int *status)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGS...]");
	g_option_context_set_summary(ctx, "The command-line remote of gnutd, a Gnutella servent.");
	g_autofree char *description = commands_summary();
	g_option_context_set_description(ctx, description);
	g_option_context_set_strict_posix(ctx, TRUE);
	add_common_entries(ctx, &c->global);
	const GOptionEntry entries[] = {
	    {"version", 0, 0, G_OPTION_ARG_NONE, &c->version, "Print the version and exit", NULL},
	    G_OPTION_ENTRY_NULL,
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_auto(GStrv) v = g_new0(char *, argc + 1);
	for (int i = 0; i < argc; i++)
		v[i] = g_strdup(argv[i]);
	g_autoptr(GError) error = NULL;
	*status = EXIT_SUCCESS;
	if (!g_option_context_parse_strv(ctx, &v, &error)) {
		*status = usage_error("%s", error->message);
	} else if (!c->version && g_strv_length(v) < 2) {
		g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
		fputs(help, stderr);
		*status = EXIT_USAGE;
	}
	return *status == EXIT_SUCCESS ? g_steal_pointer(&v) : NULL;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_set_prgname("gnut");
	cli c = {.timeout = SEARCH_DEFAULT_S};
	int status;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			errors_as_json = TRUE;
	g_auto(GStrv) rest = parse_global(&c, argc, argv, &status);
	if (rest != NULL && c.version) {
		printf("gnut %s\n", PACKAGE_VERSION);
	} else if (rest != NULL) {
		const cli_command *cmd = find_command(rest[1]);
		if (cmd == NULL) {
			status = usage_error("unknown command \"%s\" (see gnut --help)", rest[1]);
		} else {
			status = parse_command(&c, cmd, rest + 1);
			if (status == EXIT_SUCCESS)
				status = open_client(&c);
			if (status == EXIT_SUCCESS)
				status = cmd->run(&c);
		}
	}
	gnut_cli_client_free(c.client);
	g_strfreev(c.args);
	g_free(c.to);
	g_free(c.upload_limit);
	g_free(c.download_limit);
	common_clear(&c.global);
	common_clear(&c.local);
	return status;
}
