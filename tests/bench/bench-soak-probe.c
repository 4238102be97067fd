/* bench-soak-probe.c: control-API latency under load, timed from a thread
 * of its own while the main thread pumps the links. Each period it runs,
 * one after the other:
 *   `gnut --data-dir DIR status`, from posix_spawn to waitpid: what a user
 *       or a script waits for;
 *   the same call as one raw HTTP request, made the way gnut makes it
 *       (POST /rpc, "Authorization: Bearer" with the token of
 *       DIR/control.token, to the address of DIR/control.url: see
 *       gnut/ctl/ctl-protocol.h and src/cli/cli-client.c), on a fresh
 *       connection, timed from connect to the reply's last byte: the
 *       daemon's own answer time;
 *   `gnut --version`: gnut's start-up and exit alone.
 * gnut's output goes to /dev/null, its errors to a file whose first line
 * is kept when a run fails. A failed call is counted, not timed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "bench-soak.h"
#include "gnut/ctl/ctl-protocol.h"

#define SOAK_REPLY_CAP (1024 * 1024)

struct soak_probe {
	char **status_argv, **version_argv;
	char **envp;
	char *err_path; /* gnut's stderr */
	struct sockaddr_in ctl;
	char *request; /* the whole raw request */
	guint period_ms;
	gint stop;
	GThread *thread;
	soak_probe_result r;
};

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static void keep_error(soak_probe *p, const char *what, const GError *e)
{
	if (p->r.first_error == NULL)
		p->r.first_error = g_strdup_printf("%s: %s", what, e->message);
}

/* The first line of gnut's stderr, after a failed run. */
static char *first_err_line(const soak_probe *p)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(p->err_path, &text, NULL, NULL) || *text == '\0')
		return g_strdup("(nothing on stderr)");
	return g_strndup(text, strcspn(text, "\n"));
}

/* Runs argv to its exit; its wall-clock time in ms, or -1 (error set) when
 * it could not start or did not exit with status 0. */
static double spawn_timed(const soak_probe *p, char **argv, GError **error)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	gint64 t0 = now_us();
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, p->envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(rc), "cannot run %s: %s",
		            argv[0], g_strerror(rc));
		return -1;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	double ms = (double)(now_us() - t0) / 1000.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_autofree char *line = first_err_line(p);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "exit status 0x%x: %s", status,
		            line);
		return -1;
	}
	return ms;
}

/* TRUE when buf holds a whole reply: headers, then Content-Length bytes or
 * a last chunk. Without either, the reply ends when the server closes. */
static gboolean reply_complete(const GByteArray *buf)
{
	if (buf->len == 0)
		return FALSE;
	g_autofree char *text = g_ascii_strdown((const char *)buf->data, buf->len);
	const char *end = strstr(text, "\r\n\r\n");
	if (end == NULL)
		return FALSE;
	gsize head = (gsize)(end + 4 - text);
	const char *cl = strstr(text, "\r\ncontent-length:");
	if (cl != NULL && cl < end)
		return buf->len >= head + g_ascii_strtoull(cl + 17, NULL, 10);
	const char *te = strstr(text, "\r\ntransfer-encoding: chunked");
	return te != NULL && te < end && g_str_has_suffix(text, "\r\n0\r\n\r\n");
}

/* Reads the reply to the end and checks its status is 200. */
static gboolean read_reply(int fd, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[4096];
	while (!reply_complete(buf)) {
		ssize_t n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return soak_fail_errno(error, "recv");
		if (n == 0)
			break;
		if (buf->len + (gsize)n > SOAK_REPLY_CAP) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "a reply over 1 MiB");
			return FALSE;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	if (buf->len < 12 || memcmp(buf->data + 8, " 200", 4) != 0) {
		g_autofree char *line = g_strndup((const char *)buf->data, MIN(buf->len, 80));
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "not a 200: \"%s\"",
		            g_strdelimit(line, "\r\n", ' '));
		return FALSE;
	}
	return TRUE;
}

/* One raw status call on a fresh connection; ms or -1 (error set). */
static double raw_timed(const soak_probe *p, GError **error)
{
	gint64 t0 = now_us();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		soak_fail_errno(error, "socket");
		return -1;
	}
	struct timeval tv = {.tv_sec = SOAK_IO_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	gboolean ok = FALSE;
	gsize len = strlen(p->request);
	if (connect(fd, (const struct sockaddr *)&p->ctl, sizeof p->ctl) < 0)
		soak_fail_errno(error, "connect");
	else if (send(fd, p->request, len, MSG_NOSIGNAL) != (ssize_t)len)
		soak_fail_errno(error, "send");
	else
		ok = read_reply(fd, error);
	close(fd);
	return ok ? (double)(now_us() - t0) / 1000.0 : -1;
}

static void probe_once(soak_probe *p, const char *what, double ms, GError *e, GArray *into,
                       guint *failed)
{
	if (ms >= 0) {
		g_array_append_val(into, ms);
	} else {
		(*failed)++;
		keep_error(p, what, e);
	}
}

static gpointer probe_main(gpointer data)
{
	soak_probe *p = data;
	while (!g_atomic_int_get(&p->stop)) {
		gint64 round_end = now_us() + p->period_ms * 1000;
		g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
		double ms = spawn_timed(p, p->status_argv, &e1);
		probe_once(p, "gnut status", ms, e1, p->r.status_ms, &p->r.status_failed);
		ms = raw_timed(p, &e2);
		probe_once(p, "raw request", ms, e2, p->r.raw_ms, &p->r.raw_failed);
		ms = spawn_timed(p, p->version_argv, &e3);
		probe_once(p, "gnut --version", ms, e3, p->r.version_ms, &p->r.version_failed);
		gint64 t;
		while (!g_atomic_int_get(&p->stop) && (t = now_us()) < round_end)
			g_usleep((gulong)MIN(round_end - t, 10000));
	}
	return NULL;
}

/* One line of data_dir/name, stripped. */
static char *read_line(const char *data_dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, name, NULL);
	char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	return g_strstrip(text);
}

/* The control address (an IPv4 literal: the soak passes --control
 * 127.0.0.1:0) and the raw request gnut would send to it. */
static gboolean probe_setup(soak_probe *p, const char *data_dir, GError **error)
{
	g_autofree char *url = read_line(data_dir, GNUT_CTL_URL_FILE, error);
	g_autofree char *token = url ? read_line(data_dir, GNUT_CTL_TOKEN_FILE, error) : NULL;
	if (token == NULL)
		return FALSE;
	g_autofree char *host = NULL;
	gint port = 0;
	if (!g_uri_split_network(url, G_URI_FLAGS_NONE, NULL, &host, &port, error))
		return FALSE;
	p->ctl.sin_family = AF_INET;
	p->ctl.sin_port = htons((guint16)port);
	if (inet_pton(AF_INET, host, &p->ctl.sin_addr) != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "control URL %s: not an IPv4 address", url);
		return FALSE;
	}
	static const char body[] = "{\"method\":\"status\"}";
	p->request =
	    g_strdup_printf("POST %s HTTP/1.1\r\n"
	                    "Host: %s:%d\r\n"
	                    "User-Agent: bench-soak/1\r\n"
	                    "%s: %s %s\r\n"
	                    "Content-Type: %s\r\n"
	                    "Content-Length: %zu\r\n"
	                    "\r\n%s",
	                    GNUT_CTL_RPC_PATH, host, port, GNUT_CTL_AUTH_HEADER,
	                    GNUT_CTL_AUTH_SCHEME, token, GNUT_CTL_CONTENT_TYPE, strlen(body), body);
	memset(token, 0, strlen(token));
	return TRUE;
}

static void probe_free(soak_probe *p)
{
	g_strfreev(p->status_argv);
	g_strfreev(p->version_argv);
	g_strfreev(p->envp);
	if (p->err_path != NULL)
		g_unlink(p->err_path);
	g_free(p->err_path);
	g_free(p->request);
	g_free(p);
}

soak_probe *soak_probe_start(const char *gnut, const char *data_dir, guint period_ms,
                             GError **error)
{
	soak_probe *p = g_new0(soak_probe, 1);
	if (!probe_setup(p, data_dir, error)) {
		probe_free(p);
		return NULL;
	}
	p->period_ms = period_ms;
	p->status_argv =
	    g_strdupv((char *[]){(char *)gnut, "--data-dir", (char *)data_dir, "status", NULL});
	p->version_argv = g_strdupv((char *[]){(char *)gnut, "--version", NULL});
	p->envp = g_environ_unsetenv(g_get_environ(), "G_MESSAGES_DEBUG");
	p->err_path = g_build_filename(data_dir, "..", "gnut-stderr.txt", NULL);
	p->r.status_ms = g_array_new(FALSE, FALSE, sizeof(double));
	p->r.raw_ms = g_array_new(FALSE, FALSE, sizeof(double));
	p->r.version_ms = g_array_new(FALSE, FALSE, sizeof(double));
	p->thread = g_thread_new("probe", probe_main, p);
	return p;
}

void soak_probe_stop(soak_probe *p, soak_probe_result *out)
{
	g_atomic_int_set(&p->stop, 1);
	g_thread_join(p->thread);
	*out = p->r;
	probe_free(p);
}

void soak_probe_result_clear(soak_probe_result *r)
{
	g_clear_pointer(&r->status_ms, g_array_unref);
	g_clear_pointer(&r->raw_ms, g_array_unref);
	g_clear_pointer(&r->version_ms, g_array_unref);
	g_clear_pointer(&r->first_error, g_free);
}
