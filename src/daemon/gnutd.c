/* gnutd.c: the daemon, a thin shell around the engine: read the options,
 * start a servent and its control server, print where they listen, then run
 * the main loop in the foreground until SIGINT, SIGTERM or a control "stop".
 * Logs go to stderr, one line per event. Exit status: 0 after a clean stop,
 * 1 when the servent cannot start, 2 for a bad option or gnutd.conf. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gnut/base/fd-budget.h"
#include "gnut/ctl/ctl-server.h"
#include "gnut/core/servent.h"
#include "options.h"

#define EXIT_USAGE 2

typedef struct {
	GMainLoop *loop;
	gnut_servent *servent;
	gboolean verbose;
	GSource *stopping; /* the idle that stops, once asked */
} daemon_state;

static const char *level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "message";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

/* One line per event on stderr: "HH:MM:SS.mmm level [domain] message", with
 * newlines in the message folded so that each event stays one line. Debug
 * and info lines only with --verbose (or G_MESSAGES_DEBUG). */
static GLogWriterOutput write_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                  gpointer user_data)
{
	const daemon_state *d = user_data;
	const char *message = NULL, *domain = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
		else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
	}
	if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !d->verbose &&
	    g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%H:%M:%S");
	g_autofree char *line = g_strdup(message ? message : "");
	g_strdelimit(line, "\r\n", ' ');
	fprintf(stderr, "%s.%03d %s%s%s%s %s\n", stamp,
	        (int)(g_date_time_get_microsecond(now) / G_TIME_SPAN_MILLISECOND),
	        level_name(level), domain ? " [" : "", domain ? domain : "", domain ? "]" : "",
	        line);
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

static void on_stopped(GObject *source, GAsyncResult *res, gpointer user_data)
{
	daemon_state *d = user_data;
	gnut_servent_stop_finish(d->servent, res, NULL);
	g_main_loop_quit(d->loop);
}

static gboolean stop_now(gpointer user_data)
{
	daemon_state *d = user_data;
	gnut_servent_stop_async(d->servent, on_stopped, d);
	return G_SOURCE_REMOVE;
}

/* Stops from the main loop rather than from inside whoever asked (a signal
 * source, the control server's "finished" handler). */
static void request_stop(daemon_state *d, const char *why)
{
	if (d->stopping != NULL)
		return;
	g_message("stopping: %s", why);
	d->stopping = g_idle_source_new();
	g_source_set_callback(d->stopping, stop_now, d, NULL);
	g_source_attach(d->stopping, NULL);
}

static gboolean on_sigint(gpointer user_data)
{
	request_stop(user_data, "SIGINT");
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigterm(gpointer user_data)
{
	request_stop(user_data, "SIGTERM");
	return G_SOURCE_CONTINUE;
}

static void on_stop_request(gpointer user_data)
{
	request_stop(user_data, "asked through the control API");
}

static GSource *watch_signal(int signum, GSourceFunc func, daemon_state *d)
{
	GSource *src = g_unix_signal_source_new(signum);
	g_source_set_callback(src, func, d, NULL);
	g_source_attach(src, NULL);
	return src;
}

/* "ADDR:PORT" of the Gnutella listener, with the port really bound. */
static char *listen_address(const gnut_options *o, guint16 port)
{
	g_autoptr(GSocketConnectable) na =
	    o->listen ? g_network_address_parse(o->listen, 0, NULL) : NULL;
	const char *host = na ? g_network_address_get_hostname(G_NETWORK_ADDRESS(na)) : "0.0.0.0";
	if (strchr(host, ':') != NULL)
		return g_strdup_printf("[%s]:%u", host, port);
	return g_strdup_printf("%s:%u", host, port);
}

/* Starts the control server and writes control.url and control.token. */
static gnut_ctl_server *start_control(const gnut_options *o, gnut_servent *s, GError **error)
{
	g_autofree char *token = gnut_ctl_token_new(error);
	if (token == NULL)
		return NULL;
	g_autoptr(gnut_ctl_server) ctl = gnut_ctl_server_new(s, o->control, token, error);
	memset(token, 0, strlen(token));
	if (ctl == NULL || !gnut_ctl_server_publish(ctl, o->data_dir, error))
		return NULL;
	return g_steal_pointer(&ctl);
}

/* Raises the soft descriptor limit to the hard one: the servent sizes its
 * caps on connections not yet admitted from it (gnut/base/fd-budget.h). */
static void raise_fd_limit(void)
{
	guint64 before = 0, after = 0;
	g_autoptr(GError) error = NULL;
	if (!gnut_fd_budget_raise(&before, &after, &error))
		g_warning("%s", error->message);
	else if (after != before)
		g_message("descriptor limit raised from %" G_GUINT64_FORMAT
		          " to %" G_GUINT64_FORMAT,
		          before, after);
	else
		g_message("descriptor limit: %" G_GUINT64_FORMAT " (the hard limit)", after);
}

static int run(const gnut_options *o, daemon_state *d)
{
	raise_fd_limit();
	gnut_servent_config config;
	gnut_options_to_config(o, &config);
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_servent) s = gnut_servent_new(&config, NULL, &error);
	if (s == NULL || !gnut_servent_start(s, &error)) {
		fprintf(stderr, "gnutd: %s\n", error->message);
		return g_error_matches(error, GNUT_ERROR, GNUT_ERROR_INVALID) ? EXIT_USAGE
		                                                              : EXIT_FAILURE;
	}
	g_autoptr(gnut_ctl_server) ctl = start_control(o, s, &error);
	if (ctl == NULL) {
		fprintf(stderr, "gnutd: %s\n", error->message);
		return EXIT_FAILURE;
	}
	g_autofree char *listen = listen_address(o, gnut_servent_port(s));
	printf("gnutd %s: listening on %s\ncontrol on %s (token in %s/%s)\n", PACKAGE_VERSION,
	       listen, gnut_ctl_server_url(ctl), o->data_dir, GNUT_CTL_TOKEN_FILE);
	fflush(stdout);

	d->servent = s;
	gnut_servent_set_stop_handler(s, G_CALLBACK(on_stop_request), d);
	GSource *sigint = watch_signal(SIGINT, on_sigint, d);
	GSource *sigterm = watch_signal(SIGTERM, on_sigterm, d);
	g_main_loop_run(d->loop);

	g_source_destroy(sigint);
	g_source_destroy(sigterm);
	g_source_unref(sigint);
	g_source_unref(sigterm);
	gnut_ctl_server_unpublish(o->data_dir);
	g_clear_pointer(&ctl, gnut_ctl_server_free);
	gnut_servent_set_stop_handler(s, NULL, NULL);
	g_message("stopped");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_set_prgname("gnutd");
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_options) o = gnut_options_parse(argc, argv, &error);
	if (o == NULL) {
		fprintf(stderr, "gnutd: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (o->version) {
		printf("gnutd %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	daemon_state d = {.verbose = o->verbose};
	g_log_set_writer_func(write_log, &d, NULL);
	d.loop = g_main_loop_new(NULL, FALSE);
	int status = run(o, &d);
	if (d.stopping != NULL) {
		g_source_destroy(d.stopping);
		g_source_unref(d.stopping);
	}
	g_main_loop_unref(d.loop);
	return status;
}
