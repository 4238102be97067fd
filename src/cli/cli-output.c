/* cli-output.c: gnut's printing (see cli-output.h). Human lines favour
 * what a user scans for (name, size, state); --json prints the daemon's
 * objects as they came, one per line, for scripts. Remote text (file
 * names, user agents) reaches a human line only through gnut_cli_safe:
 * a peer must not be able to move the cursor or recolour the terminal.
 * Colours (download states, headings) are ours alone, and only when
 * gnut_cli_set_color turned them on. */
#include <string.h>

#include "cli-output.h"

#define PROGRESS_WIDTH 30
/* seconds in a minute, an hour, a day */
#define MINUTE_S (G_TIME_SPAN_MINUTE / G_TIME_SPAN_SECOND)
#define HOUR_S   (G_TIME_SPAN_HOUR / G_TIME_SPAN_SECOND)
#define DAY_S    (G_TIME_SPAN_DAY / G_TIME_SPAN_SECOND)

const char *gnut_cli_str(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

gint64 gnut_cli_int(JsonObject *o, const char *key)
{
	JsonNode *n = o ? json_object_get_member(o, key) : NULL;
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(n);
}

char *gnut_cli_safe(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, '?');
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* The text of a string member for a human line, made safe: "-" when
 * absent. Each result lives until SAFE_SLOTS more calls have been made
 * (a line prints a few at once). */
#define SAFE_SLOTS 8
static const char *str_or_dash(JsonObject *o, const char *key)
{
	static char *slots[SAFE_SLOTS];
	static guint next;
	const char *s = gnut_cli_str(o, key);
	if (s == NULL || *s == '\0')
		return "-";
	g_free(slots[next]);
	slots[next] = gnut_cli_safe(s);
	const char *safe = slots[next];
	next = (next + 1) % SAFE_SLOTS;
	return safe;
}

/* SGR sequences: bold, red, green, yellow, and back to normal. */
#define SGR_BOLD   "\033[1m"
#define SGR_RED    "\033[31m"
#define SGR_GREEN  "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_RESET  "\033[0m"

static gboolean color_on;

gboolean gnut_cli_color_parse(const char *text, gnut_cli_color *out)
{
	static const char *const names[] = {"auto", "always", "never"};
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_strcmp0(text ? text : "auto", names[i]) == 0) {
			*out = (gnut_cli_color)i;
			return TRUE;
		}
	return FALSE;
}

gboolean gnut_cli_color_wanted(gnut_cli_color mode, gboolean tty, const char *no_color,
                               const char *term)
{
	if (mode != GNUT_CLI_COLOR_AUTO)
		return mode == GNUT_CLI_COLOR_ALWAYS;
	/* no-color.org: NO_COLOR set to anything but "" turns colours off */
	gboolean refused = no_color != NULL && *no_color != '\0';
	return tty && !refused && g_strcmp0(term, "dumb") != 0;
}

void gnut_cli_set_color(gboolean on)
{
	color_on = on;
}

/* The colour of a download's or a source's state: green when done, red
 * when it failed or was cancelled, yellow while paused or waiting for a
 * source; NULL: none. */
static const char *state_color(const char *state)
{
	static const struct {
		const char *state, *sgr;
	} colors[] = {{"complete", SGR_GREEN},
	              {"failed", SGR_RED},
	              {"cancelled", SGR_RED},
	              {"paused", SGR_YELLOW},
	              {"waiting", SGR_YELLOW}};
	for (gsize i = 0; i < G_N_ELEMENTS(colors); i++)
		if (g_strcmp0(state, colors[i].state) == 0)
			return colors[i].sgr;
	return NULL;
}

/* text left-aligned in width columns, wrapped in sgr when colours are on
 * (the padding inside, so that columns stay aligned); g_free it. */
static char *painted(const char *text, int width, const char *sgr)
{
	if (!color_on || sgr == NULL)
		return g_strdup_printf("%-*s", width, text);
	return g_strdup_printf("%s%-*s%s", sgr, width, text, SGR_RESET);
}

void gnut_cli_print_json(FILE *out, JsonObject *o)
{
	g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(n, o);
	g_autofree char *text = json_to_string(n, FALSE);
	fprintf(out, "%s\n", text);
	fflush(out);
}

char *gnut_cli_format_size(gint64 bytes)
{
	/* g_format_size puts a no-break space (U+00A0) between number and
	 * unit, which awk and cut do not take for a field separator */
	g_autofree char *text = g_format_size(bytes < 0 ? 0 : (guint64)bytes);
	GString *out = g_string_new(NULL);
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (g_unichar_isspace(c) || c == 0x202f)
			g_string_append_c(out, ' ');
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static char *format_duration(gint64 s)
{
	if (s < 0)
		s = 0;
	if (s >= DAY_S)
		return g_strdup_printf("%" G_GINT64_FORMAT "d %02" G_GINT64_FORMAT
		                       "h %02" G_GINT64_FORMAT "m",
		                       s / DAY_S, (s % DAY_S) / HOUR_S, (s % HOUR_S) / MINUTE_S);
	if (s >= HOUR_S)
		return g_strdup_printf("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT
		                       "m %02" G_GINT64_FORMAT "s",
		                       s / HOUR_S, (s % HOUR_S) / MINUTE_S, s % MINUTE_S);
	if (s >= MINUTE_S)
		return g_strdup_printf("%" G_GINT64_FORMAT "m %02" G_GINT64_FORMAT "s",
		                       s / MINUTE_S, s % MINUTE_S);
	return g_strdup_printf("%" G_GINT64_FORMAT "s", s);
}

void gnut_cli_print_status(FILE *out, JsonObject *st, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, st);
		return;
	}
	g_autofree char *up = gnut_cli_format_size(gnut_cli_int(st, "bytes_up"));
	g_autofree char *down = gnut_cli_format_size(gnut_cli_int(st, "bytes_down"));
	g_autofree char *uptime = format_duration(gnut_cli_int(st, "uptime"));
	fprintf(out,
	        "version       %s\nmode          %s\npeers         %" G_GINT64_FORMAT
	        "\nshared files  %" G_GINT64_FORMAT "\nuploaded      %s\ndownloaded    %s\n"
	        "uptime        %s\n",
	        str_or_dash(st, "version"), str_or_dash(st, "mode"), gnut_cli_int(st, "peers"),
	        gnut_cli_int(st, "shared_files"), up, down, uptime);
	fflush(out);
}

/* One limit: "none" for 0, else the rate and its exact bytes per second. */
static char *format_limit(gint64 bytes_per_s)
{
	if (bytes_per_s <= 0)
		return g_strdup("none");
	g_autofree char *size = gnut_cli_format_size(bytes_per_s);
	return g_strdup_printf("%s/s (%" G_GINT64_FORMAT " bytes/s)", size, bytes_per_s);
}

void gnut_cli_print_limits(FILE *out, JsonObject *limits, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, limits);
		return;
	}
	g_autofree char *up = format_limit(gnut_cli_int(limits, "upload_limit"));
	g_autofree char *down = format_limit(gnut_cli_int(limits, "download_limit"));
	fprintf(out, "upload limit    %s\ndownload limit  %s\n", up, down);
}

/* One figure of stats as text: a size, a duration or a count; g_free it. */
static char *stats_figure(JsonObject *o, const char *key)
{
	gint64 v = gnut_cli_int(o, key);
	if (g_str_has_prefix(key, "bytes_"))
		return gnut_cli_format_size(v);
	if (strcmp(key, "uptime") == 0)
		return format_duration(v);
	return g_strdup_printf("%" G_GINT64_FORMAT, v);
}

void gnut_cli_print_stats(FILE *out, JsonObject *stats, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, stats);
		return;
	}
	static const struct {
		const char *key, *label;
	} rows[] = {{"bytes_up", "uploaded"},
	            {"bytes_down", "downloaded"},
	            {"uploads_completed", "uploads completed"},
	            {"downloads_completed", "downloads completed"},
	            {"queries_sent", "queries sent"},
	            {"queries_answered", "queries answered"},
	            {"hits_received", "hits received"},
	            {"messages_received", "messages received"},
	            {"messages_sent", "messages sent"},
	            {"messages_dropped", "messages dropped"},
	            {"uptime", "uptime"}};
	JsonNode *sn = json_object_get_member(stats, "session");
	JsonNode *tn = json_object_get_member(stats, "total");
	JsonObject *session = sn && JSON_NODE_HOLDS_OBJECT(sn) ? json_node_get_object(sn) : NULL;
	JsonObject *total = tn && JSON_NODE_HOLDS_OBJECT(tn) ? json_node_get_object(tn) : NULL;
	g_autofree char *heading =
	    g_strdup_printf("%-20s  %16s  %16s", "", "this session", "total");
	g_autofree char *bold = painted(heading, 0, SGR_BOLD);
	fprintf(out, "%s\n", bold);
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *now = stats_figure(session, rows[i].key);
		g_autofree char *all = stats_figure(total, rows[i].key);
		fprintf(out, "%-20s  %16s  %16s\n", rows[i].label, now, all);
	}
	fflush(out);
}

void gnut_cli_print_peer(FILE *out, JsonObject *p, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, p);
		return;
	}
	g_autofree char *addr = g_strdup_printf("%s:%" G_GINT64_FORMAT, str_or_dash(p, "host"),
	                                        gnut_cli_int(p, "port"));
	gboolean tls = json_object_has_member(p, "tls") && json_object_get_boolean_member(p, "tls");
	fprintf(out, "%-22s  %-9s  %-5s  %s\n", addr, str_or_dash(p, "mode"), tls ? "tls" : "plain",
	        str_or_dash(p, "user_agent"));
	fflush(out);
}

void gnut_cli_print_host(FILE *out, JsonObject *h, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, h);
		return;
	}
	g_autofree char *addr = g_strdup_printf("%s:%" G_GINT64_FORMAT, str_or_dash(h, "host"),
	                                        gnut_cli_int(h, "port"));
	gboolean up = json_object_has_member(h, "ultrapeer") &&
	              json_object_get_boolean_member(h, "ultrapeer");
	gboolean tls = json_object_has_member(h, "tls") && json_object_get_boolean_member(h, "tls");
	fprintf(out,
	        "%-22s  %c  %-5s  %-16s  %8" G_GINT64_FORMAT "s ago  %" G_GINT64_FORMAT
	        " failures\n",
	        addr, up ? 'U' : 'L', tls ? "tls" : "plain", str_or_dash(h, "source"),
	        gnut_cli_int(h, "last_seen"), gnut_cli_int(h, "failures"));
	fflush(out);
}

void gnut_cli_print_hit(FILE *out, JsonObject *h, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, h);
		return;
	}
	g_autofree char *size = gnut_cli_format_size(gnut_cli_int(h, "size"));
	g_autofree char *addr = g_strdup_printf("%s:%" G_GINT64_FORMAT, str_or_dash(h, "host"),
	                                        gnut_cli_int(h, "port"));
	fprintf(out, "%6" G_GINT64_FORMAT "  %10s  %-21s  %s\n        %s\n", gnut_cli_int(h, "id"),
	        size, addr, str_or_dash(h, "name"), str_or_dash(h, "urn"));
	fflush(out);
}

static int percent(gint64 done, gint64 size)
{
	if (size <= 0)
		return done > 0 ? 100 : 0;
	return (int)(MIN(done, size) * 100 / size);
}

/* "1.2 MB/s, 3m left, 2/4 sources" (a download's flow); g_free it. */
static char *format_flow(JsonObject *d)
{
	g_autofree char *rate = gnut_cli_format_size(gnut_cli_int(d, "rate"));
	JsonNode *eta = json_object_get_member(d, "eta");
	g_autofree char *left = eta != NULL && JSON_NODE_HOLDS_VALUE(eta)
	                            ? format_duration(json_node_get_int(eta))
	                            : g_strdup("?");
	return g_strdup_printf("%s/s, %s left, %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " sources",
	                       rate, left, gnut_cli_int(d, "active_sources"),
	                       gnut_cli_int(d, "sources"));
}

void gnut_cli_print_download(FILE *out, JsonObject *d, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, d);
		return;
	}
	gint64 done = gnut_cli_int(d, "done"), size = gnut_cli_int(d, "size");
	g_autofree char *done_s = gnut_cli_format_size(done);
	g_autofree char *size_s = gnut_cli_format_size(size);
	g_autofree char *flow = format_flow(d);
	const char *state = str_or_dash(d, "state");
	g_autofree char *state_s = painted(state, 11, state_color(state));
	fprintf(out, "%4" G_GINT64_FORMAT "  %s  %3d%%  %10s / %-10s  %s\n      %s\n      %s\n",
	        gnut_cli_int(d, "id"), state_s, percent(done, size), done_s, size_s,
	        str_or_dash(d, "name"), flow, str_or_dash(d, "path"));
	if (gnut_cli_str(d, "error") != NULL)
		fprintf(out, "      error: %s\n", str_or_dash(d, "error"));
	fflush(out);
}

void gnut_cli_print_source(FILE *out, JsonObject *s, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, s);
		return;
	}
	g_autofree char *addr = g_strdup_printf("%s:%" G_GINT64_FORMAT, str_or_dash(s, "host"),
	                                        gnut_cli_int(s, "port"));
	g_autofree char *got = gnut_cli_format_size(gnut_cli_int(s, "received"));
	const char *state = str_or_dash(s, "state");
	g_autofree char *state_s = painted(state, 11, state_color(state));
	fprintf(out, "%-22s  %s  %10s", addr, state_s, got);
	if (gnut_cli_int(s, "queue_position") > 0)
		fprintf(out, "  position %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT,
		        gnut_cli_int(s, "queue_position"), gnut_cli_int(s, "queue_length"));
	if (gnut_cli_int(s, "retry_in") > 0)
		fprintf(out, "  retry in %" G_GINT64_FORMAT " s", gnut_cli_int(s, "retry_in"));
	if (gnut_cli_str(s, "error") != NULL)
		fprintf(out, "  (%s)", gnut_cli_str(s, "error"));
	fputc('\n', out);
	fflush(out);
}

void gnut_cli_print_share(FILE *out, JsonObject *s, gboolean json)
{
	if (json) {
		gnut_cli_print_json(out, s);
		return;
	}
	g_autofree char *size = gnut_cli_format_size(gnut_cli_int(s, "size"));
	fprintf(out, "%10s  %s  %s\n", size, str_or_dash(s, "urn"), str_or_dash(s, "path"));
	fflush(out);
}

void gnut_cli_print_done(FILE *out, JsonObject *reply, gboolean json, const char *message)
{
	if (json)
		gnut_cli_print_json(out, reply);
	else
		fprintf(out, "%s\n", message);
	fflush(out);
}

void gnut_cli_progress(FILE *out, JsonObject *d)
{
	gint64 done = gnut_cli_int(d, "done"), size = gnut_cli_int(d, "size");
	int pct = percent(done, size);
	char bar[PROGRESS_WIDTH + 1];
	int filled = pct * PROGRESS_WIDTH / 100;
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(PROGRESS_WIDTH - filled));
	bar[PROGRESS_WIDTH] = '\0';
	g_autofree char *done_s = gnut_cli_format_size(done);
	g_autofree char *size_s = gnut_cli_format_size(size);
	g_autofree char *flow = format_flow(d);
	/* \033[K clears what a longer previous line left behind */
	fprintf(out, "\r[%s] %3d%%  %s / %s  %s  %s\033[K", bar, pct, done_s, size_s,
	        str_or_dash(d, "state"), flow);
	fflush(out);
}

void gnut_cli_progress_end(FILE *out)
{
	fputc('\n', out);
	fflush(out);
}
