/* gnutd-fixture.c: a real gnutd in a temporary folder, for the hostile-peer
 * integration tests (see gnutd-fixture.h): started, watched through its log,
 * signalled with a deadline, required to exit 0 on SIGTERM, and removed. */
#include "gnutd-fixture.h"
#include "../unit/unit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_US     (50 * 1000) /* how often a wait looks again */
#define EXIT_WAIT_S 10          /* for gnutd to exit on a signal */
#define LISTENING   "listening on 127.0.0.1:"

void gnutd_fixture_init(gnutd_fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	fx->top = gnut_unit_mkdtemp();
	fx->share = g_build_filename(fx->top, "share", NULL);
	fx->data_dir = g_build_filename(fx->top, "data", NULL);
	fx->log_path = g_build_filename(fx->top, "gnutd.log", NULL);
	g_mkdir(fx->share, 0700);
	g_autofree char *file = g_build_filename(fx->share, GNUTD_FIXTURE_PUBLIC_NAME, NULL);
	g_file_set_contents(file, GNUTD_FIXTURE_PUBLIC_TEXT, -1, NULL);
}

int gnutd_fixture_dial_from(const gnutd_fixture *fx, const char *from)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in local = {.sin_family = AF_INET};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fx->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || inet_pton(AF_INET, from, &local.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&local, sizeof local) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

gboolean gnutd_fixture_alive(gnutd_fixture *fx)
{
	if (fx->pid > 0 && waitpid(fx->pid, &fx->status, WNOHANG) == fx->pid)
		fx->pid = 0;
	return fx->pid > 0;
}

char *gnutd_fixture_log_from(const gnutd_fixture *fx, gsize offset)
{
	g_autofree char *log = NULL;
	gsize len = 0;
	if (fx->log_path == NULL || !g_file_get_contents(fx->log_path, &log, &len, NULL) ||
	    offset > len)
		return g_strdup("");
	return g_strdup(log + offset);
}

gsize gnutd_fixture_log_size(const gnutd_fixture *fx)
{
	g_autofree char *log = gnutd_fixture_log_from(fx, 0);
	return strlen(log);
}

gboolean gnutd_fixture_wait_log(gnutd_fixture *fx, gsize offset, const char *text, guint wait_s)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_s * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < deadline && gnutd_fixture_alive(fx)) {
		g_autofree char *log = gnutd_fixture_log_from(fx, offset);
		if (strstr(log, text) != NULL)
			return TRUE;
		g_usleep(POLL_US);
	}
	return FALSE;
}

/* In the child before exec: the descriptor limit asked for (0: as is). */
static void child_limit(gpointer data)
{
	rlim_t n = (rlim_t)GPOINTER_TO_SIZE(data);
	struct rlimit rl = {.rlim_cur = n, .rlim_max = n};
	if (n > 0)
		setrlimit(RLIMIT_NOFILE, &rl);
}

/* Spawns gnutd with its output in fx->log_path; FALSE when it cannot. */
static gboolean spawn(gnutd_fixture *fx, const char *const *extra_args)
{
	const char *builddir = g_getenv("builddir");
	g_autofree char *gnutd =
	    g_build_filename(builddir ? builddir : ".", "src", "daemon", "gnutd", NULL);
	const char *const base[] = {gnutd,         "--data-dir", fx->data_dir,  "--listen",
	                            "127.0.0.1:0", "--control",  "127.0.0.1:0", "--no-bootstrap",
	                            "--share",     fx->share};
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
		g_ptr_array_add(argv, (gpointer)base[i]);
	for (const char *const *e = extra_args; e != NULL && *e != NULL; e++)
		g_ptr_array_add(argv, (gpointer)*e);
	g_ptr_array_add(argv, NULL);
	int log_fd = open(fx->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	g_autoptr(GError) error = NULL;
	gboolean spawned = g_spawn_async_with_fds(
	    NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_limit,
	    GSIZE_TO_POINTER((gsize)fx->nofile), &fx->pid, -1, log_fd, log_fd, &error);
	close(log_fd);
	if (!spawned)
		fprintf(stderr, "cannot start %s: %s\n", gnutd, error->message);
	return spawned;
}

gboolean gnutd_fixture_start(gnutd_fixture *fx, const char *const *extra_args, const char *ready,
                             guint wait_s)
{
	if (!spawn(fx, extra_args)) {
		gnutd_fixture_free(fx, FALSE);
		return FALSE;
	}
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_s * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < deadline && gnutd_fixture_alive(fx)) {
		g_autofree char *log = gnutd_fixture_log_from(fx, 0);
		const char *at = strstr(log, LISTENING);
		if (at != NULL)
			fx->port = (guint16)atoi(at + strlen(LISTENING));
		if (fx->port != 0 && (ready == NULL || strstr(log, ready) != NULL))
			return TRUE;
		g_usleep(POLL_US);
	}
	fprintf(stderr, "gnutd did not start%s%s\n", ready ? " or log " : "", ready ? ready : "");
	gnutd_fixture_free(fx, TRUE);
	return FALSE;
}

/* Signals gnutd and waits for it to exit; FALSE when it did not within
 * EXIT_WAIT_S. */
static gboolean signal_and_wait(gnutd_fixture *fx, int sig)
{
	kill(fx->pid, sig);
	gint64 deadline = g_get_monotonic_time() + EXIT_WAIT_S * G_USEC_PER_SEC;
	while (gnutd_fixture_alive(fx) && g_get_monotonic_time() < deadline)
		g_usleep(POLL_US);
	return !gnutd_fixture_alive(fx);
}

gboolean gnutd_fixture_stop(gnutd_fixture *fx)
{
	if (!gnutd_fixture_alive(fx))
		fprintf(stderr, "gnutd was gone before it was stopped\n");
	else if (!signal_and_wait(fx, SIGTERM))
		fprintf(stderr, "gnutd did not exit on SIGTERM\n");
	else if (!WIFEXITED(fx->status) || WEXITSTATUS(fx->status) != 0)
		fprintf(stderr, "gnutd ended with wait status %d on SIGTERM\n", fx->status);
	else
		return TRUE;
	return FALSE;
}

int gnutd_fixture_stop_clean(gnutd_fixture *fx)
{
	gboolean clean = gnutd_fixture_stop(fx);
	gnutd_fixture_free(fx, !clean || CU_get_number_of_failures() > 0);
	return clean ? 0 : 1;
}

void gnutd_fixture_free(gnutd_fixture *fx, gboolean show_log)
{
	if (gnutd_fixture_alive(fx) && !signal_and_wait(fx, SIGKILL))
		fprintf(stderr, "gnutd (pid %d) survived SIGKILL\n", (int)fx->pid);
	if (show_log) {
		g_autofree char *log = gnutd_fixture_log_from(fx, 0);
		fprintf(stderr, "--- gnutd log\n%s\n", log);
	}
	if (fx->top != NULL)
		gnut_unit_rmtree(fx->top);
	g_free(fx->top);
	g_free(fx->share);
	g_free(fx->data_dir);
	g_free(fx->log_path);
	memset(fx, 0, sizeof *fx);
}
