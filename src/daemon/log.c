/* log.c: gnutd's log writer (see log.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static gnut_log_level current_level = GNUT_LOG_INFO;
static gboolean to_journal;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

gboolean gnut_log_level_parse(const char *text, gnut_log_level *out)
{
	for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(level_names); i++)
		if (strcmp(text, level_names[i]) == 0) {
			*out = (gnut_log_level)i;
			return TRUE;
		}
	return FALSE;
}

const char *gnut_log_level_name(gnut_log_level level)
{
	return level_names[MIN((gsize)level, G_N_ELEMENTS(level_names) - 1)];
}

/* The syslog priority (journald's) and our level of a GLib level. */
static int priority_of(GLogLevelFlags flags, gnut_log_level *level, const char **name)
{
	static const struct {
		GLogLevelFlags flag;
		int priority;
		gnut_log_level level;
		const char *name;
	} map[] = {
	    {G_LOG_LEVEL_ERROR, 3, GNUT_LOG_ERROR, "error"},
	    {G_LOG_LEVEL_CRITICAL, 2, GNUT_LOG_ERROR, "critical"},
	    {G_LOG_LEVEL_WARNING, 4, GNUT_LOG_WARNING, "warning"},
	    {G_LOG_LEVEL_MESSAGE, 5, GNUT_LOG_INFO, "notice"},
	    {G_LOG_LEVEL_INFO, 6, GNUT_LOG_INFO, "info"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
		if (flags & map[i].flag) {
			*level = map[i].level;
			*name = map[i].name;
			return map[i].priority;
		}
	*level = GNUT_LOG_DEBUG;
	*name = "debug";
	return 7;
}

char *gnut_log_format(GLogLevelFlags flags, const char *domain, const char *message,
                      gboolean journal, GDateTime *now)
{
	gnut_log_level level;
	const char *name;
	int priority = priority_of(flags, &level, &name);
	g_autofree char *text = g_strdup(message ? message : "");
	g_strdelimit(text, "\r\n", ' ');
	g_autofree char *dom = domain ? g_strdup_printf("[%s] ", domain) : g_strdup("");
	if (journal)
		return g_strdup_printf("<%d>%s%s", priority, dom, text);
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
	return g_strdup_printf("%s.%03d %s %s%s", stamp,
	                       (int)(g_date_time_get_microsecond(now) / G_TIME_SPAN_MILLISECOND),
	                       name, dom, text);
}

static GLogWriterOutput write_log(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
                                  gpointer user_data)
{
	const char *message = NULL, *domain = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
		else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
	}
	gnut_log_level level;
	const char *name;
	priority_of(flags, &level, &name);
	if (level > current_level &&
	    (level != GNUT_LOG_DEBUG || g_log_writer_default_would_drop(flags, domain)))
		return G_LOG_WRITER_HANDLED;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *line = gnut_log_format(flags, domain, message, to_journal, now);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's socket; stderr is that
 * socket only if they match (a child with stderr redirected is not). */
static gboolean stderr_is_journal(void)
{
	const char *env = g_getenv("JOURNAL_STREAM");
	struct stat st;
	if (env == NULL || fstat(2, &st) != 0)
		return FALSE;
	g_autofree char *mine =
	    g_strdup_printf("%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	return strcmp(env, mine) == 0;
}

void gnut_log_setup(gnut_log_level level)
{
	current_level = level;
	to_journal = stderr_is_journal();
	g_log_set_writer_func(write_log, NULL, NULL);
}

void gnut_log_set_level(gnut_log_level level)
{
	current_level = level;
}
