/* gnutd.c: the daemon, a thin shell around the engine: read the options,
 * lock the data folder, start a servent and its control server, print where
 * they listen, then run the main loop in the foreground until SIGINT,
 * SIGTERM or a control "stop". SIGHUP reloads the settings (reload.h).
 * Under systemd it says when it is ready and keeps the watchdog fed
 * (sd-notify.h). Exit status: 0 after a clean stop, 1 when the servent
 * cannot start (or another gnutd holds the data folder), 2 for a bad option
 * or configuration file. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control-tls.h"
#include "datadir-lock.h"
#include "gnut/base/fd-budget.h"
#include "gnut/core/servent.h"
#include "gnut/ctl/ctl-server.h"
#include "log.h"
#include "options-dump.h"
#include "options.h"
#include "reload.h"
#include "sd-notify.h"
#include "state.h"
#include "stats-store.h"

#define EXIT_USAGE 2

typedef struct {
	int argc;
	char **argv;
	gnut_options *options; /* the effective ones: command line, file, state */
	gnut_state *state;
	GMainLoop *loop;
	gnut_servent *servent;
	GSource *stopping; /* the idle that stops, once asked */
} daemon_state;

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
	gnut_sd_notify("STOPPING=1");
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

/* The command line, the configuration file and settings.state, as at
 * start; NULL with the error of the first bad one. */
static gnut_options *read_settings(daemon_state *d, gnut_state **state, GError **error)
{
	g_autoptr(gnut_options) o = gnut_options_parse(d->argc, d->argv, error);
	if (o == NULL || o->version)
		return g_steal_pointer(&o);
	g_autofree char *path = g_build_filename(o->data_dir, GNUT_STATE_FILE_NAME, NULL);
	g_autoptr(gnut_state) st = gnut_state_load(path, error);
	if (st == NULL)
		return NULL;
	gnut_state_apply(st, o);
	*state = g_steal_pointer(&st);
	return g_steal_pointer(&o);
}

/* SIGHUP: reads the settings again and applies what can change live. A bad
 * file keeps the running settings (and says so); gnutd never exits on it. */
static gboolean on_sighup(gpointer user_data)
{
	daemon_state *d = user_data;
	gnut_sd_notify("RELOADING=1");
	g_autoptr(GError) error = NULL;
	gnut_state *state = NULL;
	g_autoptr(gnut_options) fresh = read_settings(d, &state, &error);
	if (fresh == NULL) {
		g_warning("reload: %s; keeping the settings in force", error->message);
	} else {
		guint changed = gnut_reload_apply(d->servent, d->options, fresh);
		g_message("reload: %u setting%s changed (configuration: %s)", changed,
		          changed == 1 ? "" : "s", fresh->conf_path ? fresh->conf_path : "none");
		gnut_options_free(d->options);
		d->options = g_steal_pointer(&fresh);
		gnut_state_free(d->state);
		d->state = state;
	}
	gnut_sd_notify("READY=1");
	return G_SOURCE_CONTINUE;
}

static gboolean feed_watchdog(gpointer user_data)
{
	gnut_sd_notify("WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static void on_stop_request(gpointer user_data)
{
	request_stop(user_data, "asked through the control API");
}

/* A control call changed a setting: keep it in settings.state, and in the
 * settings in force (a reload compares against them). */
static void on_setting_changed(const char *method, JsonObject *params, gpointer user_data)
{
	daemon_state *d = user_data;
	g_autoptr(GError) error = NULL;
	if (!gnut_state_record(d->state, method, params, &error))
		g_warning("cannot keep the change of %s: %s", method, error->message);
	gnut_state_apply(d->state, d->options);
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

/* Listens on the control address; the default one, when taken (another
 * gnutd on another data folder), gives way to a free port with a warning. */
static gnut_ctl_server *listen_control(const gnut_options *o, gnut_servent *s, const char *token,
                                       GTlsCertificate *cert, GError **error)
{
	GError *e = NULL;
	gnut_ctl_server *ctl = gnut_ctl_server_new_tls(s, o->control, token, cert, &e);
	if (ctl != NULL || !o->control_is_default ||
	    !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
		if (e != NULL)
			g_propagate_error(error, e);
		return ctl;
	}
	g_error_free(e);
	g_warning("control: %s is taken (another gnutd?): listening on a free port instead "
	          "(gnut finds it in control.url; --control sets one)",
	          o->control);
	return gnut_ctl_server_new_tls(s, "127.0.0.1:0", token, cert, error);
}

/* Starts the control server with the token kept in the data folder, and
 * writes control.url and control.token. */
static gnut_ctl_server *start_control(const gnut_options *o, gnut_servent *s, GError **error)
{
	GError *e = NULL;
	g_autoptr(GTlsCertificate) cert = gnut_control_tls_certificate(o, &e);
	if (e != NULL) {
		g_propagate_error(error, e);
		return NULL;
	}
	g_autofree char *token = gnut_ctl_token_load_or_new(o->data_dir, error);
	if (token == NULL)
		return NULL;
	g_autoptr(gnut_ctl_server) ctl = listen_control(o, s, token, cert, error);
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

/* Tells systemd we serve, and feeds its watchdog at half its interval. */
static GSource *notify_ready(const char *listen, const char *control)
{
	g_autofree char *ready =
	    g_strdup_printf("READY=1\nSTATUS=listening on %s, control on %s", listen, control);
	gnut_sd_notify(ready);
	guint64 usec = gnut_sd_watchdog_usec();
	if (usec == 0)
		return NULL;
	GSource *src = g_timeout_source_new((guint)MAX(usec / 2000, 1));
	g_source_set_callback(src, feed_watchdog, NULL, NULL);
	g_source_attach(src, NULL);
	return src;
}

static void destroy_source(GSource *src)
{
	if (src == NULL)
		return;
	g_source_destroy(src);
	g_source_unref(src);
}

static int serve(daemon_state *d, gnut_servent *s, gnut_ctl_server *ctl)
{
	const gnut_options *o = d->options;
	g_autofree char *listen = listen_address(o, gnut_servent_port(s));
	printf("gnutd %s: listening on %s\ncontrol on %s (token in %s/%s)\n", PACKAGE_VERSION,
	       listen, gnut_ctl_server_url(ctl), o->data_dir, GNUT_CTL_TOKEN_FILE);
	if (gnut_ctl_server_fingerprint(ctl) != NULL)
		printf("control certificate sha256 %s (in %s/%s)\n",
		       gnut_ctl_server_fingerprint(ctl), o->data_dir, GNUT_CTL_PIN_FILE);
	fflush(stdout);
	if (o->conf_path != NULL)
		g_message("configuration: %s", o->conf_path);

	d->servent = s;
	g_autofree char *stats_path = g_build_filename(o->data_dir, GNUT_STATS_FILE_NAME, NULL);
	gnut_stats_keeper *stats = gnut_stats_keeper_new(s, stats_path, GNUT_STATS_SAVE_S);
	gnut_servent_set_stop_handler(s, G_CALLBACK(on_stop_request), d);
	gnut_ctl_server_set_change_handler(ctl, on_setting_changed, d);
	GSource *signals[] = {
	    watch_signal(SIGINT, on_sigint, d), watch_signal(SIGTERM, on_sigterm, d),
	    watch_signal(SIGHUP, on_sighup, d), notify_ready(listen, gnut_ctl_server_url(ctl))};
	g_main_loop_run(d->loop);

	for (gsize i = 0; i < G_N_ELEMENTS(signals); i++)
		destroy_source(signals[i]);
	gnut_stats_keeper_free(stats);                   /* the last save, the links closed */
	gnut_ctl_server_unpublish(d->options->data_dir); /* o may be gone (reload) */
	gnut_ctl_server_set_change_handler(ctl, NULL, NULL);
	gnut_servent_set_stop_handler(s, NULL, NULL);
	g_message("stopped");
	return EXIT_SUCCESS;
}

static int run(daemon_state *d)
{
	const gnut_options *o = d->options;
	g_autoptr(GError) error = NULL;
	g_autoptr(gnut_datadir_lock) lock = gnut_datadir_lock_take(o->data_dir, &error);
	if (lock == NULL) {
		fprintf(stderr, "gnutd: %s\n", error->message);
		return EXIT_FAILURE;
	}
	raise_fd_limit();
	gnut_servent_config config;
	gnut_options_to_config(o, &config);
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
	return serve(d, s, ctl);
}

/* --check-config: the effective settings as a key file on stdout. */
static int check_config(const gnut_options *o)
{
	g_autoptr(GKeyFile) kf = gnut_options_to_keyfile(o);
	g_autofree char *text = g_key_file_to_data(kf, NULL, NULL);
	g_autofree char *state = g_build_filename(o->data_dir, GNUT_STATE_FILE_NAME, NULL);
	printf("# gnutd %s: effective settings\n# data folder: %s\n# configuration file: %s\n"
	       "# changes made through the control API: %s\n%s",
	       PACKAGE_VERSION, o->data_dir, o->conf_path ? o->conf_path : "none", state, text);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_set_prgname("gnutd");
	daemon_state d = {.argc = argc, .argv = argv};
	g_autoptr(GError) error = NULL;
	d.options = read_settings(&d, &d.state, &error);
	if (d.options == NULL) {
		fprintf(stderr, "gnutd: %s\n", error->message);
		return EXIT_USAGE;
	}
	int status;
	if (d.options->version) {
		printf("gnutd %s\n", PACKAGE_VERSION);
		status = EXIT_SUCCESS;
	} else if (d.options->check_config) {
		status = check_config(d.options);
	} else {
		gnut_log_setup(d.options->log_level);
		signal(SIGHUP, SIG_IGN); /* until serve() handles it: a reload, never an exit */
		d.loop = g_main_loop_new(NULL, FALSE);
		status = run(&d);
		destroy_source(d.stopping);
		g_main_loop_unref(d.loop);
	}
	gnut_state_free(d.state);
	gnut_options_free(d.options);
	return status;
}
