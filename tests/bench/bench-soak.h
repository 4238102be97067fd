/* bench-soak.h: what the files of bench-soak (and bench-capacity, and
 * bench-relay for its daemon) share.
 * bench-soak.c samples the daemon and reports (its top comment explains
 * the method); bench-soak-daemon.c runs the daemon and reads /proc;
 * bench-soak-links.c holds the Gnutella links and pumps the queries;
 * bench-soak-probe.c times the control API from a thread. */
#ifndef GNUT_BENCH_SOAK_H
#define GNUT_BENCH_SOAK_H

#include <glib.h>
#include <sys/resource.h>

#define SOAK_IO_TIMEOUT_S 10 /* a handshake, a control request, the daemon's start */

/* The query texts. The first SOAK_SHARED_TEXTS name the files of the
 * daemon's share, so that queries for them bring query hits back. */
#define SOAK_N_TEXTS      16
#define SOAK_SHARED_TEXTS 4
extern const char *const soak_texts[SOAK_N_TEXTS];

/* ---- links (bench-soak-links.c) ---- */

/* What the pump did and what came back, over the whole pump and drain. */
typedef struct {
	guint64 queries_queued;        /* put on an ultrapeer link's output */
	guint64 queries_unsent;        /* of those, still unwritten at the end (estimate) */
	guint64 queries_skipped;       /* due, but the link's output was full */
	guint64 relayed_to_ultrapeers; /* queries the daemon sent our ultrapeer links */
	guint64 relayed_to_leaves;     /* ... and our leaves */
	guint64 hits;                  /* query hits it sent */
	guint64 pings;                 /* pings it sent (each answered by a pong) */
	guint64 others;                /* any other message */
	guint links_lost;              /* links it closed during the pump */
	gint64 start_us;               /* the pump's start */
	gint64 end_us;                 /* the last write on an ultrapeer link */
} soak_traffic;

typedef struct soak_links soak_links;

/* Called about once a second during the pump, from the pumping thread. */
typedef void (*soak_tick_fn)(gpointer data, gint64 now_us);

/* How the links are made. */
typedef struct {
	guint16 port;     /* gnutd's, on 127.0.0.1 */
	guint n;          /* links, from source addresses 127.10.x.y ... */
	guint per_ip;     /* ... per_ip links each */
	gint ultrapeers;  /* links 0..ultrapeers-1 announce an ultrapeer, the rest leaves;
	                     -1: link i is an ultrapeer when i % 10 == 0 */
	gboolean deflate; /* every link compressed both ways (Accept- and Content-Encoding) */
} soak_links_config;

soak_links *soak_links_new(const soak_links_config *config);
void soak_links_free(soak_links *ls);

/* Opens every link (handshakes in a bounded window) until each is linked
 * or refused. FALSE only when poll itself fails. */
gboolean soak_links_open(soak_links *ls, GError **error);

/* Links up right now, ultrapeers or leaves. */
guint soak_links_up(const soak_links *ls, gboolean ultrapeers);

/* How the refused links were refused: reason -> count (GUINT_TO_POINTER).
 * And how links were lost during the pump, the same way. */
GHashTable *soak_links_refusals(const soak_links *ls);
GHashTable *soak_links_losses(const soak_links *ls);

/* Pumps `rate` queries/s over the ultrapeer links for duration_s, keeping
 * every link alive, then drains (see bench-soak.c). */
gboolean soak_links_pump(soak_links *ls, double rate, double duration_s, soak_tick_fn tick,
                         gpointer tick_data, GError **error);

const soak_traffic *soak_links_traffic(const soak_links *ls);

/* ---- the control API probe (bench-soak-probe.c) ---- */

/* Latencies in milliseconds (GArray of double), and failures. */
typedef struct {
	GArray *status_ms;  /* `gnut --data-dir DIR status`, fork+exec to exit */
	GArray *raw_ms;     /* the same call as one raw HTTP request */
	GArray *version_ms; /* `gnut --version`: gnut's own start-up */
	guint status_failed, raw_failed, version_failed;
	char *first_error; /* what the first failure was, or NULL */
} soak_probe_result;

typedef struct soak_probe soak_probe;

/* Reads control.url and control.token from data_dir, then starts a thread
 * that times one of each call every period_ms until stopped. */
soak_probe *soak_probe_start(const char *gnut, const char *data_dir, guint period_ms,
                             GError **error);

/* Stops the thread, waits for it, and hands its results over (free them
 * with soak_probe_result_clear). */
void soak_probe_stop(soak_probe *p, soak_probe_result *out);
void soak_probe_result_clear(soak_probe_result *r);

/* ---- the daemon, /proc and reports (bench-soak-daemon.c) ---- */

typedef struct {
	GPid pid;
	char *dir; /* temporary: data dir, share, log */
	char *data_dir;
	char *log_path;
	guint16 port;
	gboolean running;
	struct rlimit nofile; /* what gnutd starts with */
	char **env;           /* "KEY=VALUE" set in its environment, or NULL */
} soak_daemon;

/* Starts gnutd (--ultrapeer --no-bootstrap, listen and control on
 * 127.0.0.1, a fresh data dir and a share of SOAK_SHARED_TEXTS files named
 * after the first query texts, then the extra options) with d->nofile as
 * its descriptor limit and d->env added to its environment, its output to a
 * log file; waits for its listening port (d->port). */
gboolean soak_daemon_start(soak_daemon *d, const char *gnutd, char **extra, GError **error);
/* SIGTERM (then SIGKILL), says how it ended, shows its log on stderr when
 * asked, removes its dir. */
void soak_daemon_stop(soak_daemon *d, gboolean show_log);

/* utime + stime in seconds, VmRSS in KB (negative when unreadable), open
 * descriptors. */
double soak_proc_cpu_s(GPid pid);
double soak_proc_rss_kb(GPid pid);
guint soak_proc_fds(GPid pid);

/* "machine: N CPUs, model", and a warning for a sanitized build. */
void soak_print_machine(void);
/* Removes path and everything below it. */
void soak_remove_tree(const char *path);
/* Each reason of a reason -> count table, most frequent first. */
void soak_print_reasons(const char *label, GHashTable *table);
/* $ENV, else rel_path in the build tree argv0 sits in, else rel_path. */
char *soak_default_program(const char *argv0, const char *env, const char *rel_path);
/* Raises this program's soft descriptor limit to the hard one; *old gets
 * what it was. */
void soak_raise_nofile(struct rlimit *old);
gboolean soak_fail_errno(GError **error, const char *what);

#endif
