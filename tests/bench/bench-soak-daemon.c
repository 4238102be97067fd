/* bench-soak-daemon.c: what the benchmarks that run a real gnutd share
 * (bench-soak, bench-capacity): starting it on a fresh data dir and share
 * and stopping it, reading its CPU, RSS and descriptors from /proc, and a
 * few report helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "bench-soak.h"

#define SOAK_STOP_WAIT_MS  5000 /* SIGTERM to SIGKILL */
#define SOAK_LISTEN_PREFIX "listening on 127.0.0.1:"

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif

gboolean soak_fail_errno(GError **error, const char *what)
{
	int e = errno;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s: %s", what, g_strerror(e));
	return FALSE;
}

/* ---- /proc ---- */

/* utime + stime of a process, in seconds; negative when unreadable. */
double soak_proc_cpu_s(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	const char *p = strrchr(text, ')'); /* the command name may hold spaces */
	unsigned long long utime, stime;
	/* after ")": state (field 3) ... utime is field 14, stime 15 */
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	                        &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS in KB; negative when unreadable. */
double soak_proc_rss_kb(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	const char *p = strstr(text, "\nVmRSS:");
	return p != NULL ? g_ascii_strtod(p + 7, NULL) : -1;
}

guint soak_proc_fds(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
	GDir *dir = g_dir_open(path, 0, NULL);
	guint n = 0;
	if (dir == NULL)
		return 0;
	while (g_dir_read_name(dir) != NULL)
		n++;
	g_dir_close(dir);
	return n;
}

/* ---- the daemon ---- */

const char *const soak_texts[SOAK_N_TEXTS] = {
    "amber falcon",  "cobalt meadow", "silver harbor", "crimson lantern",
    "ubuntu iso",    "linux kernel",  "free jazz",     "open movie",
    "public domain", "night train",   "ocean waves",   "mountain echo",
    "paper moon",    "river stone",   "winter garden", "desert rain",
};

void soak_remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	if (dir != NULL) {
		const char *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			soak_remove_tree(child);
		}
		g_dir_close(dir);
	}
	g_remove(path);
}

/* A few small files named after the first query texts. */
static gboolean make_share(const char *share, GError **error)
{
	if (g_mkdir(share, 0700) < 0)
		return soak_fail_errno(error, share);
	for (guint i = 0; i < SOAK_SHARED_TEXTS; i++) {
		g_autofree char *name = g_strdup_printf("%s.txt", soak_texts[i]);
		g_autofree char *path = g_build_filename(share, name, NULL);
		g_autofree char *body = g_strnfill(4096 + i, (char)('a' + i));
		if (!g_file_set_contents(path, body, -1, error))
			return FALSE;
	}
	return TRUE;
}

/* The port from the daemon's "listening on 127.0.0.1:PORT" line (printed
 * once control.url and control.token are written), 0 before it. */
static guint16 daemon_port_from_log(const soak_daemon *d)
{
	g_autofree char *log = NULL;
	if (!g_file_get_contents(d->log_path, &log, NULL, NULL))
		return 0;
	const char *p = strstr(log, SOAK_LISTEN_PREFIX);
	if (p == NULL)
		return 0;
	guint64 port = g_ascii_strtoull(p + strlen(SOAK_LISTEN_PREFIX), NULL, 10);
	return port > 0 && port <= 65535 ? (guint16)port : 0;
}

static gboolean daemon_wait_port(soak_daemon *d, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + SOAK_IO_TIMEOUT_S * G_USEC_PER_SEC;
	while ((d->port = daemon_port_from_log(d)) == 0) {
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->running = FALSE;
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			            "gnutd exited at start (status %d)", status);
			return FALSE;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			            "gnutd printed no \"%s\" line in %d s", SOAK_LISTEN_PREFIX,
			            SOAK_IO_TIMEOUT_S);
			return FALSE;
		}
		g_usleep(20000);
	}
	return TRUE;
}

/* In the child, before exec: gnutd gets the descriptor limit this program
 * was started with, not the one it raised for itself, and a SIGTERM should
 * this program die first (no daemon is left behind by a crash or a ^C). */
static void child_setup(gpointer data)
{
	setrlimit(RLIMIT_NOFILE, data);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts gnutd on a fresh data dir and share, its output going to a log
 * file there (a pipe nobody drains could stall it), and waits for its port. */
gboolean soak_daemon_start(soak_daemon *d, const char *gnutd, char **extra, GError **error)
{
	d->dir = g_dir_make_tmp("gnut-bench-soak-XXXXXX", error);
	if (d->dir == NULL)
		return FALSE;
	d->data_dir = g_build_filename(d->dir, "data", NULL);
	d->log_path = g_build_filename(d->dir, "gnutd.log", NULL);
	g_autofree char *share = g_build_filename(d->dir, "share", NULL);
	if (g_mkdir(d->data_dir, 0700) < 0)
		return soak_fail_errno(error, d->data_dir);
	if (!make_share(share, error))
		return FALSE;
	int log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return soak_fail_errno(error, d->log_path);
	const char *base[] = {gnutd,         "--data-dir",  d->data_dir,     "--listen",
	                      "127.0.0.1:0", "--control",   "127.0.0.1:0",   "--share",
	                      share,         "--ultrapeer", "--no-bootstrap"};
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
		g_ptr_array_add(argv, (gpointer)base[i]);
	for (char **a = extra; a != NULL && *a != NULL; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, NULL);
	g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "G_MESSAGES_DEBUG");
	for (char **e = d->env; e != NULL && *e != NULL; e++) {
		g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
		if (kv[0] != NULL && kv[1] != NULL)
			env = g_environ_setenv(env, kv[0], kv[1], TRUE);
	}
	gboolean ok =
	    g_spawn_async_with_fds(NULL, (char **)argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD,
	                           child_setup, &d->nofile, &d->pid, -1, log_fd, log_fd, error);
	close(log_fd);
	if (!ok)
		return FALSE;
	d->running = TRUE;
	return daemon_wait_port(d, error);
}

/* SIGTERM, then SIGKILL when it has not exited SOAK_STOP_WAIT_MS later.
 * Returns how it ended; free it. */
static char *daemon_kill(soak_daemon *d)
{
	if (!d->running)
		return g_strdup("not running");
	kill(d->pid, SIGTERM);
	const char *after = "SIGTERM";
	int status = 0;
	gint64 deadline = g_get_monotonic_time() + SOAK_STOP_WAIT_MS * 1000;
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			after = "SIGTERM, then SIGKILL";
			break;
		}
		g_usleep(20000);
	}
	g_spawn_close_pid(d->pid);
	d->running = FALSE;
	return WIFEXITED(status)
	           ? g_strdup_printf("exit status %d after %s", WEXITSTATUS(status), after)
	           : g_strdup_printf("killed by signal %d after %s", WTERMSIG(status), after);
}

/* Stops it, shows its log on stderr when asked, removes its dir. */
void soak_daemon_stop(soak_daemon *d, gboolean show_log)
{
	g_autofree char *how = daemon_kill(d);
	printf("gnutd: %s\n", how);
	g_autofree char *log = NULL;
	if (show_log && d->log_path != NULL && g_file_get_contents(d->log_path, &log, NULL, NULL))
		g_printerr("---- gnutd log ----\n%s---- end of the log ----\n", log);
	if (d->dir != NULL)
		soak_remove_tree(d->dir);
	g_clear_pointer(&d->dir, g_free);
	g_clear_pointer(&d->data_dir, g_free);
	g_clear_pointer(&d->log_path, g_free);
}

void soak_print_machine(void)
{
	g_autofree char *cpuinfo = NULL;
	g_autofree char *model = NULL;
	if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
		char *line = strstr(cpuinfo, "model name");
		char *colon = line != NULL ? strchr(line, ':') : NULL;
		if (colon != NULL)
			model = g_strstrip(g_strndup(colon + 1, strcspn(colon + 1, "\n")));
	}
	printf("machine: %u CPUs, %s; loopback TCP\n", g_get_num_processors(),
	       model ? model : "unknown CPU");
#ifdef SOAK_SANITIZED
	printf("warning: built with sanitizers: figures mean little\n");
#endif
}

static gint by_count_desc(gconstpointer a, gconstpointer b, gpointer table)
{
	guint ca = GPOINTER_TO_UINT(g_hash_table_lookup(table, *(char *const *)a));
	guint cb = GPOINTER_TO_UINT(g_hash_table_lookup(table, *(char *const *)b));
	return ca == cb ? strcmp(*(char *const *)a, *(char *const *)b) : (ca < cb ? 1 : -1);
}

/* Each reason with its count, most frequent first. */
void soak_print_reasons(const char *label, GHashTable *table)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(keys, key);
	g_ptr_array_sort_with_data(keys, by_count_desc, table);
	for (guint i = 0; i < keys->len; i++) {
		const char *k = g_ptr_array_index(keys, i);
		printf("  %s %6u  \"%s\"\n", label, GPOINTER_TO_UINT(g_hash_table_lookup(table, k)),
		       k);
	}
}

/* $ENV, else rel_path in the build tree this program sits in, else the
 * same path from the current directory. */
char *soak_default_program(const char *argv0, const char *env, const char *rel_path)
{
	if (g_getenv(env) != NULL)
		return g_strdup(g_getenv(env));
	g_autofree char *dir = g_path_get_dirname(argv0);
	char *next = g_build_filename(dir, "..", "..", rel_path, NULL);
	if (g_file_test(next, G_FILE_TEST_IS_EXECUTABLE))
		return next;
	g_free(next);
	return g_strdup(rel_path);
}

/* This program's soft descriptor limit up to the hard one; *old gets what
 * it was (gnutd starts with that). */
void soak_raise_nofile(struct rlimit *old)
{
	getrlimit(RLIMIT_NOFILE, old);
	struct rlimit raised = {old->rlim_max, old->rlim_max};
	if (setrlimit(RLIMIT_NOFILE, &raised) < 0)
		g_printerr("bench-soak: cannot raise RLIMIT_NOFILE: %s\n", g_strerror(errno));
}
