/* log.h: gnutd's log lines on stderr. Under systemd (stderr is the journal
 * stream named by $JOURNAL_STREAM) each line starts with a "<N>" syslog
 * priority that journald takes as the entry's priority, and carries no date
 * (the journal adds it); anywhere else a line reads
 * "YYYY-MM-DD HH:MM:SS.mmm LEVEL [domain] message". Newlines in a message
 * are folded so that each event stays one line. */
#ifndef GNUT_DAEMON_LOG_H
#define GNUT_DAEMON_LOG_H

#include <glib.h>

/* How much is logged: each level includes those before it. */
typedef enum {
	GNUT_LOG_ERROR,   /* errors and criticals */
	GNUT_LOG_WARNING, /* and warnings */
	GNUT_LOG_INFO,    /* and events: links up and down, transfers, searches (default) */
	GNUT_LOG_DEBUG,   /* and everything */
} gnut_log_level;

#define GNUT_LOG_LEVEL_NAMES "error, warning, info or debug"

/* "error", "warning", "info", "debug" -> level; FALSE for anything else. */
gboolean gnut_log_level_parse(const char *text, gnut_log_level *out);
const char *gnut_log_level_name(gnut_log_level level);

/* Installs the writer (once, at start) and sets how much it lets through;
 * call again to change the level (SIGHUP). */
void gnut_log_setup(gnut_log_level level);
void gnut_log_set_level(gnut_log_level level);

/* The line the writer prints for one event, for the journal or not (the
 * tests check both formats). */
char *gnut_log_format(GLogLevelFlags flags, const char *domain, const char *message,
                      gboolean journal, GDateTime *now);

#endif
