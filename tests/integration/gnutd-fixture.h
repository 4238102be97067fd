/* gnutd-fixture.h: one real gnutd for the hostile-peer integration tests,
 * in a temporary folder of its own: a share holding public.txt, a data
 * folder, a log of its stdout and stderr. gnutd_fixture_init makes the
 * folder, the caller adds files, gnutd_fixture_start spawns gnutd on
 * 127.0.0.1 and waits for its port; gnutd_fixture_stop_clean is the rule
 * of every suite's cleanup hook (still running, exits 0 on SIGTERM) and
 * gnutd_fixture_free kills what is left and removes the folder. */
#ifndef GNUTD_FIXTURE_H
#define GNUTD_FIXTURE_H

#include <glib.h>
#include <sys/resource.h>

#define GNUTD_FIXTURE_PUBLIC_NAME "public.txt" /* in every fixture's share */
#define GNUTD_FIXTURE_PUBLIC_TEXT "public content\n"

typedef struct {
	char *top;      /* the temporary folder holding all below */
	char *share;    /* top/share, gnutd's --share */
	char *data_dir; /* top/data, gnutd's --data-dir */
	char *log_path; /* top/gnutd.log */
	rlim_t nofile;  /* the descriptor limit gnutd starts under; 0: ours */
	GPid pid;       /* 0 once reaped */
	int status;     /* its wait status, once reaped */
	guint16 port;   /* its Gnutella port on 127.0.0.1, once started */
} gnutd_fixture;

/* Makes fx's folder, its share and share/public.txt. */
void gnutd_fixture_init(gnutd_fixture *fx);

/* Starts $builddir/src/daemon/gnutd with --data-dir, --listen and --control
 * on 127.0.0.1:0, --no-bootstrap, --share and then extra_args (NULL-ended,
 * may be NULL), and waits up to wait_s seconds for its "listening on" line
 * and, unless ready is NULL, for ready in its log. On failure it says why,
 * frees fx and returns FALSE. */
gboolean gnutd_fixture_start(gnutd_fixture *fx, const char *const *extra_args, const char *ready,
                             guint wait_s);

/* A blocking TCP connection to gnutd's port from the loopback address from
 * (any of 127/8, so that per-address caps of one test touch no other); -1
 * when it cannot be made. */
int gnutd_fixture_dial_from(const gnutd_fixture *fx, const char *from);
/* Whether gnutd still runs; reaps it (keeping its wait status) if not. */
gboolean gnutd_fixture_alive(gnutd_fixture *fx);

/* gnutd's log from byte offset on ("" when there is none). */
char *gnutd_fixture_log_from(const gnutd_fixture *fx, gsize offset);
gsize gnutd_fixture_log_size(const gnutd_fixture *fx);

/* Waits up to wait_s seconds, while gnutd runs, for text in its log from
 * offset on. */
gboolean gnutd_fixture_wait_log(gnutd_fixture *fx, gsize offset, const char *text, guint wait_s);

/* Sends gnutd SIGTERM: TRUE when it was still running and exited 0 within
 * 10 s; else FALSE, saying why on stderr. */
gboolean gnutd_fixture_stop(gnutd_fixture *fx);

/* A suite's cleanup hook: gnutd_fixture_stop, then gnutd_fixture_free
 * showing the log if it failed or any test did; 0 when it stopped clean,
 * 1 otherwise (which fails the program, see gnut_unit_main). */
int gnutd_fixture_stop_clean(gnutd_fixture *fx);

/* Kills gnutd if it still runs, prints its log when asked, removes the
 * folder and clears fx. */
void gnutd_fixture_free(gnutd_fixture *fx, gboolean show_log);

#endif
