/* cli-output.h: how gnut prints what the daemon answers. With --json each
 * record is the daemon's JSON object on one line, field names untouched (the
 * contract in DESIGN.md); without, one aligned human line per record. */
#ifndef GNUT_CLI_OUTPUT_H
#define GNUT_CLI_OUTPUT_H

#include <json-glib/json-glib.h>
#include <stdio.h>

/* A member read without trusting its type: NULL / 0 when absent or of
 * another type. */
const char *gnut_cli_str(JsonObject *o, const char *key);
gint64 gnut_cli_int(JsonObject *o, const char *key);

void gnut_cli_print_json(FILE *out, JsonObject *o);

/* --color: auto (the default) colours only a terminal, and only when
 * NO_COLOR is unset (or empty) and TERM is not "dumb". */
typedef enum {
	GNUT_CLI_COLOR_AUTO,
	GNUT_CLI_COLOR_ALWAYS,
	GNUT_CLI_COLOR_NEVER,
} gnut_cli_color;

/* "auto", "always" or "never" (NULL: auto); FALSE for anything else. */
gboolean gnut_cli_color_parse(const char *text, gnut_cli_color *out);
/* Whether human lines get colours, given the mode, whether stdout is a
 * terminal and the values of NO_COLOR and TERM (NULL when unset). */
gboolean gnut_cli_color_wanted(gnut_cli_color mode, gboolean tty, const char *no_color,
                               const char *term);
/* Turns colours on or off for the human lines printed from now on (off
 * at start; --json lines never have any). */
void gnut_cli_set_color(gboolean on);

/* Remote text for a terminal: invalid UTF-8 repaired, and every control
 * character (C0, DEL, C1: escape sequences, carriage returns, bells) and
 * line separator replaced by '?'. g_free it. */
char *gnut_cli_safe(const char *text);
/* "1.5 MB": g_format_size with a plain ASCII space. g_free it. */
char *gnut_cli_format_size(gint64 bytes);

void gnut_cli_print_status(FILE *out, JsonObject *status, gboolean json);
/* The bandwidth limits ({upload_limit, download_limit}, bytes/s, 0 none). */
void gnut_cli_print_limits(FILE *out, JsonObject *limits, gboolean json);
/* stats ({session, total}): one line a figure, a column for each. */
void gnut_cli_print_stats(FILE *out, JsonObject *stats, gboolean json);
void gnut_cli_print_peer(FILE *out, JsonObject *peer, gboolean json);
void gnut_cli_print_hit(FILE *out, JsonObject *hit, gboolean json);
void gnut_cli_print_download(FILE *out, JsonObject *download, gboolean json);
void gnut_cli_print_share(FILE *out, JsonObject *share, gboolean json);
/* A download's source: address, state, bytes received, retry time, error. */
void gnut_cli_print_source(FILE *out, JsonObject *source, gboolean json);
/* A cached host: address, U(ltrapeer) or L(eaf), source, seconds since
 * seen, failed dials. */
void gnut_cli_print_host(FILE *out, JsonObject *host, gboolean json);
/* An action's reply ({ok, ...}): the object with --json, else message. */
void gnut_cli_print_done(FILE *out, JsonObject *reply, gboolean json, const char *message);

/* Redraws one progress line for a download ("\r[####    ]  45% ..."); end
 * it with gnut_cli_progress_end before printing anything else. */
void gnut_cli_progress(FILE *out, JsonObject *download);
void gnut_cli_progress_end(FILE *out);

#endif
