/* bench-soak.c: gnutd under a long, steady load: many incoming links and a
 * flood of queries for a minute, with its memory, CPU and control-API
 * latency sampled throughout. Reported, never asserted.
 *
 * Method. A real gnutd is started here (--ultrapeer --no-bootstrap, listen
 * and control on 127.0.0.1, a fresh data dir, a share of SOAK_SHARED_TEXTS
 * small files named after some of the query texts), with the RLIMIT_NOFILE
 * soft limit this program was started with (this program raises its own to
 * the hard limit for the links; gnutd must size itself). Then:
 *   1. N links are attempted (-n, 1,000): 1 in 10 as ultrapeers, the rest
 *      as leaves with a small QRP table, from many 127.10.x.y source
 *      addresses (--per-ip links each), at most 64 handshakes at a time
 *      (bench-soak-links.c). Accepted and refused links are counted,
 *      refusals by the daemon's status line. gnutd's default caps
 *      (GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS, 32, and _MAX_LEAVES, 300, when
 *      this was written; --gnutd-arg=--max-leaves=N raises them) admit that
 *      many of each, handshakes under way counted, and answer the rest with
 *      a 503 naming the cap.
 *   2. For --duration seconds (60), queries are due at --rate per second
 *      (10,000) in all, spread over the accepted ultrapeer links in turn
 *      (distinct random GUIDs, TTL 2 or 3, 16 short texts, 4 of which match
 *      the share). Every link answers pings and counts what gnutd relays to
 *      it; then the outputs drain (up to 5 s). One thread does all of it
 *      with poll().
 *   3. Meanwhile, every second, gnutd's RSS (VmRSS of /proc/PID/status),
 *      CPU (utime + stime of /proc/PID/stat) and open descriptors
 *      (/proc/PID/fd) are sampled; and a second thread times, every
 *      SOAK_PROBE_PERIOD_MS, `gnut --data-dir DIR status` (the real CLI,
 *      fork+exec to exit), the same call as a raw HTTP request (the
 *      daemon's own answer time), and `gnut --version` (gnut's start-up
 *      alone) (bench-soak-probe.c).
 * Printed: the machine, links attempted and accepted, how the rest were
 * refused, the query rate achieved, queries relayed and hits returned,
 * gnutd's CPU per million relayed queries and per query received, RSS at
 * start / links up / after warm-up (SOAK_WARMUP_S, or a third of a shorter
 * run) / max / end with the least-squares slope after warm-up in KB/min
 * ("flat" when under 1% of the warm RSS a minute), gnutd's open descriptors
 * (each probe round opens two control connections: a steady climb is a
 * descriptor leak in the control API), and the three latencies' p50 / p99 /
 * max (nearest rank). gnutd gets a SIGTERM should this program die.
 *
 * Caveats. Everything runs on one machine: this program, gnut's processes
 * and gnutd share its CPUs, so on a busy or small machine the latencies
 * include waiting for a CPU (the bench thread's own CPU share is printed:
 * near 100% means the rate is this program's limit, not gnutd's). The
 * achieved rate falls short of the target when gnutd reads slower than the
 * queries come (a link's output is capped at 64 KiB: queries beyond it are
 * skipped and counted). "Relayed" counts every copy gnutd sent, so its CPU
 * per relayed query falls as links are added. gnutd's CPU includes the
 * control calls (a few a second). A minute may be too short for tables that
 * fill slowly (the route tables fill at the query rate): judge the slope
 * with the RSS series. The per-IP caps (--per-ip) shape what is accepted
 * once gnutd has them.
 *
 * Usage: bench-soak [-n LINKS] [--rate Q/S] [--duration S] [--per-ip K]
 * [--gnutd PATH] [--gnut PATH] [--gnutd-arg OPT]... [--show-log]; each
 * --gnutd-arg passes one more option to gnutd (raising its caps to soak
 * more links or queries than a default servent takes); gnutd and gnut default to
 * $GNUTD and $GNUT, else those of the build tree this program sits in.
 * Loopback only. Not run by make check. Build without sanitizers. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>

#include "bench-soak.h"
#include "gnut/core/links/links.h"

#define SOAK_WARMUP_S        10
#define SOAK_PRINT_EVERY_S   10
#define SOAK_PROBE_PERIOD_MS 250
#define SOAK_FLAT_FRACTION   0.01 /* of the warm RSS per minute */

typedef struct {
	gint n;
	double rate;
	double duration_s;
	gint per_ip;
	char *gnutd, *gnut;
	char **gnutd_args; /* more options for gnutd (--gnutd-arg, repeatable) */
	gboolean show_log;
} soak_opts;

typedef struct {
	double t_s; /* since the pump's start */
	double rss_kb;
	double cpu_s;
	guint fds;
} soak_sample;

typedef struct {
	const soak_daemon *d;
	const soak_links *links;
	gint64 start_us;
	GArray *samples; /* soak_sample */
	gint64 next_print_s;
} soak_sampler;

static soak_sample sample_now(GPid pid, double t_s)
{
	return (soak_sample){t_s, soak_proc_rss_kb(pid), soak_proc_cpu_s(pid), soak_proc_fds(pid)};
}

/* CPU seconds (user + system) of the calling thread. */
static double thread_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- sampling ---- */

/* Once a second during the pump: one sample, and a line every
 * SOAK_PRINT_EVERY_S. */
static void on_tick(gpointer data, gint64 now_us)
{
	soak_sampler *s = data;
	double t_s = (double)(now_us - s->start_us) / 1e6;
	soak_sample x = sample_now(s->d->pid, t_s);
	g_array_append_val(s->samples, x);
	if ((gint64)t_s < s->next_print_s)
		return;
	s->next_print_s += SOAK_PRINT_EVERY_S;
	const soak_traffic *t = soak_links_traffic(s->links);
	printf("  t=%4.0f s  RSS %8.0f KB  CPU %7.2f s  fds %5u  queries queued %9" G_GUINT64_FORMAT
	       "  relayed %10" G_GUINT64_FORMAT "\n",
	       t_s, x.rss_kb, x.cpu_s, x.fds, t->queries_queued,
	       t->relayed_to_ultrapeers + t->relayed_to_leaves);
}

/* ---- report ---- */

static void print_links(const soak_opts *o, const soak_links *ls, double seconds)
{
	guint n_ips = ((guint)o->n + (guint)o->per_ip - 1) / (guint)o->per_ip;
	guint up = soak_links_up(ls, TRUE), leaves = soak_links_up(ls, FALSE);
	printf("links: %d attempted (%d as ultrapeers, the rest as leaves) from %u source "
	       "addresses 127.10.x.y, at most %d each\n",
	       o->n, (o->n + 9) / 10, n_ips, o->per_ip);
	printf("links: %u accepted (%u ultrapeers, %u leaves), %u refused, in %.2f s; "
	       "gnutd's default caps: %d ultrapeers, %d leaves\n",
	       up + leaves, up, leaves, (guint)o->n - up - leaves, seconds,
	       GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS, GNUT_LINKS_DEFAULT_MAX_LEAVES);
	soak_print_reasons("refused", soak_links_refusals(ls));
}

static double percentile(GArray *sorted, double p)
{
	if (sorted->len == 0)
		return NAN;
	guint rank = (guint)ceil(p / 100.0 * sorted->len);
	return g_array_index(sorted, double, MAX(rank, 1) - 1);
}

static gint cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void print_latency(const char *label, GArray *ms, guint failed)
{
	g_array_sort(ms, cmp_double);
	printf("  %-15s %4u calls  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  (%u failed)\n", label,
	       ms->len, percentile(ms, 50), percentile(ms, 99), percentile(ms, 100), failed);
}

static void print_probe(soak_probe_result *r)
{
	printf("control API (one of each every %d ms, under the load):\n", SOAK_PROBE_PERIOD_MS);
	print_latency("gnut status", r->status_ms, r->status_failed);
	print_latency("raw request", r->raw_ms, r->raw_failed);
	print_latency("gnut --version", r->version_ms, r->version_failed);
	if (r->first_error != NULL)
		printf("  first failure: %s\n", r->first_error);
}

static void print_traffic(const soak_opts *o, const soak_traffic *t, double cpu_s, double wall_s,
                          double bench_cpu_s)
{
	guint64 written = t->queries_queued - MIN(t->queries_unsent, t->queries_queued);
	guint64 relayed = t->relayed_to_ultrapeers + t->relayed_to_leaves;
	double send_s = (double)(t->end_us - t->start_us) / 1e6;
	printf("queries: %.0f/s target for %.0f s: %" G_GUINT64_FORMAT " written to gnutd "
	       "(%.0f/s achieved), %" G_GUINT64_FORMAT
	       " skipped (link output full), ~%" G_GUINT64_FORMAT " never written\n",
	       o->rate, o->duration_s, written, (double)written / MAX(send_s, 1e-6),
	       t->queries_skipped, t->queries_unsent);
	printf("relayed: %" G_GUINT64_FORMAT " queries (%" G_GUINT64_FORMAT
	       " to ultrapeers, %" G_GUINT64_FORMAT
	       " to leaves; %.2f per query written); %" G_GUINT64_FORMAT
	       " query hits, %" G_GUINT64_FORMAT " pings, %" G_GUINT64_FORMAT
	       " other messages; %u links lost\n",
	       relayed, t->relayed_to_ultrapeers, t->relayed_to_leaves,
	       (double)relayed / (double)MAX(written, 1), t->hits, t->pings, t->others,
	       t->links_lost);
	printf("gnutd CPU: %.2f s in %.1f s (%.0f%% of one CPU): %.2f CPU-s per million "
	       "relayed, %.1f us per query received\n",
	       cpu_s, wall_s, 100 * cpu_s / wall_s, cpu_s / (double)MAX(relayed, 1) * 1e6,
	       cpu_s / (double)MAX(written, 1) * 1e6);
	printf("bench CPU: its pumping thread %.2f s (%.0f%% of one CPU)\n", bench_cpu_s,
	       100 * bench_cpu_s / wall_s);
}

/* Least-squares slope of RSS over time for the samples from `from_s` on, in
 * KB per minute; NAN with fewer than two. */
static double rss_slope(const GArray *samples, double from_s)
{
	double n = 0, st = 0, sr = 0, stt = 0, str = 0;
	for (guint i = 0; i < samples->len; i++) {
		const soak_sample *x = &g_array_index(samples, soak_sample, i);
		if (x->t_s < from_s)
			continue;
		n++;
		st += x->t_s;
		sr += x->rss_kb;
		stt += x->t_s * x->t_s;
		str += x->t_s * x->rss_kb;
	}
	double var = n * stt - st * st;
	return n >= 2 && var > 0 ? (n * str - st * sr) / var * 60 : NAN;
}

/* RSS and descriptors at the start (before the links), with the links up
 * (sample 0), after warm-up, at most and at the end; then the slope. */
static void print_memory(const soak_sample *idle, const GArray *samples, double warmup_s)
{
	const soak_sample *first = &g_array_index(samples, soak_sample, 0);
	const soak_sample *last = &g_array_index(samples, soak_sample, samples->len - 1);
	const soak_sample *warm = last;
	double max_kb = 0;
	guint max_fds = 0;
	for (guint i = samples->len; i-- > 0;) {
		const soak_sample *x = &g_array_index(samples, soak_sample, i);
		if (x->t_s >= warmup_s)
			warm = x;
		max_kb = MAX(max_kb, x->rss_kb);
		max_fds = MAX(max_fds, x->fds);
	}
	printf("RSS: start %.0f KB, links up %.0f KB, after warm-up (%.0f s) %.0f KB, max %.0f "
	       "KB, end %.0f KB\n",
	       idle->rss_kb, first->rss_kb, warmup_s, warm->rss_kb, max_kb, last->rss_kb);
	double slope = rss_slope(samples, warmup_s);
	double limit = SOAK_FLAT_FRACTION * warm->rss_kb;
	printf("RSS after warm-up: %+.0f KB/min over %.0f s: %s (flat: under %.0f KB/min, 1%% of "
	       "the warm RSS)\n",
	       slope, last->t_s - warm->t_s,
	       isnan(slope)          ? "too few samples"
	       : fabs(slope) < limit ? "flat"
	                             : "NOT flat",
	       limit);
	printf("descriptors: start %u, links up %u, max %u, end %u\n", idle->fds, first->fds,
	       max_fds, last->fds);
}

/* ---- the run ---- */

/* Pumps with the probe running and the sampler ticking, then reports. */
static gboolean soak_pump(const soak_opts *o, soak_daemon *d, soak_links *ls,
                          const soak_sample *idle, GError **error)
{
	soak_sampler s = {d, ls, g_get_monotonic_time(),
	                  g_array_new(FALSE, FALSE, sizeof(soak_sample)), SOAK_PRINT_EVERY_S};
	soak_sample first = sample_now(d->pid, 0);
	g_array_append_val(s.samples, first);
	soak_probe *probe = soak_probe_start(o->gnut, d->data_dir, SOAK_PROBE_PERIOD_MS, error);
	double bench0 = thread_cpu_s();
	gboolean ok =
	    probe != NULL && soak_links_pump(ls, o->rate, o->duration_s, on_tick, &s, error);
	double wall_s = (double)(g_get_monotonic_time() - s.start_us) / 1e6;
	double bench_s = thread_cpu_s() - bench0;
	soak_sample x = sample_now(d->pid, wall_s);
	g_array_append_val(s.samples, x);
	soak_probe_result r = {0};
	if (probe != NULL)
		soak_probe_stop(probe, &r);
	if (ok) {
		print_traffic(o, soak_links_traffic(ls), x.cpu_s - first.cpu_s, wall_s, bench_s);
		soak_print_reasons("lost", soak_links_losses(ls));
		print_memory(idle, s.samples, MIN(SOAK_WARMUP_S, o->duration_s / 3));
		print_probe(&r);
	}
	soak_probe_result_clear(&r);
	g_array_unref(s.samples);
	return ok;
}

static gboolean soak_run(const soak_opts *o, soak_daemon *d, GError **error)
{
	if (!soak_daemon_start(d, o->gnutd, o->gnutd_args, error))
		return FALSE;
	printf("gnutd: %s, started with RLIMIT_NOFILE %llu (hard %llu)\n", o->gnutd,
	       (unsigned long long)d->nofile.rlim_cur, (unsigned long long)d->nofile.rlim_max);
	soak_sample idle = sample_now(d->pid, 0);
	soak_links_config lc = {
	    .port = d->port, .n = (guint)o->n, .per_ip = (guint)o->per_ip, .ultrapeers = -1};
	soak_links *ls = soak_links_new(&lc);
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = soak_links_open(ls, error);
	if (ok)
		print_links(o, ls, (double)(g_get_monotonic_time() - t0) / 1e6);
	if (ok && soak_links_up(ls, TRUE) == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
		            "gnutd accepted no ultrapeer link: no query to pump");
		ok = FALSE;
	}
	if (ok)
		printf("pump: %.0f queries/s over %u ultrapeer links for %.0f s, gnut from %s\n",
		       o->rate, soak_links_up(ls, TRUE), o->duration_s, o->gnut);
	ok = ok && soak_pump(o, d, ls, &idle, error);
	soak_links_free(ls);
	return ok;
}

static gboolean parse_opts(soak_opts *o, int *argc, char ***argv, GError **error)
{
	GOptionEntry entries[] = {
	    {"links", 'n', 0, G_OPTION_ARG_INT, &o->n, "links to attempt (1000)", "LINKS"},
	    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &o->rate, "queries per second in all (10000)",
	     "Q/S"},
	    {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration_s, "seconds of pumping (60)", "S"},
	    {"per-ip", 0, 0, G_OPTION_ARG_INT, &o->per_ip, "links per source address (8)", "K"},
	    {"gnutd", 0, 0, G_OPTION_ARG_FILENAME, &o->gnutd, "the daemon to run", "PATH"},
	    {"gnut", 0, 0, G_OPTION_ARG_FILENAME, &o->gnut, "the CLI to time", "PATH"},
	    {"gnutd-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->gnutd_args,
	     "one more option for gnutd (repeatable), e.g. --gnutd-arg=--max-links-per-ip=8",
	     "OPT"},
	    {"show-log", 0, 0, G_OPTION_ARG_NONE, &o->show_log, "print the daemon's log at the end",
	     NULL},
	    G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("- gnutd under many links and a query flood");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (o->n < 1 || o->n > 50000 || o->rate < 0 || o->rate > 1e7 || o->duration_s < 1 ||
	    o->duration_s > 86400 || o->per_ip < 1) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "need 1 <= LINKS <= 50000, 0 <= Q/S <= 1e7, 1 <= S <= 86400, K >= 1");
		return FALSE;
	}
	return TRUE;
}

int main(int argc, char **argv)
{
	soak_opts o = {.n = 1000, .rate = 10000, .duration_s = 60, .per_ip = 8};
	g_autoptr(GError) error = NULL;
	if (!parse_opts(&o, &argc, &argv, &error)) {
		g_printerr("bench-soak: %s\n", error->message);
		return 2;
	}
	if (o.gnutd == NULL)
		o.gnutd = soak_default_program(argv[0], "GNUTD", "src/daemon/gnutd");
	if (o.gnut == NULL)
		o.gnut = soak_default_program(argv[0], "GNUT", "src/cli/gnut");
	const char *missing = !g_file_test(o.gnutd, G_FILE_TEST_IS_EXECUTABLE)  ? o.gnutd
	                      : !g_file_test(o.gnut, G_FILE_TEST_IS_EXECUTABLE) ? o.gnut
	                                                                        : NULL;
	if (missing != NULL) {
		g_printerr("bench-soak: %s: not an executable (see --gnutd, --gnut)\n", missing);
		g_free(o.gnutd);
		g_free(o.gnut);
		g_strfreev(o.gnutd_args);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	soak_daemon d = {0};
	soak_raise_nofile(&d.nofile);
	soak_print_machine();
	gboolean ok = soak_run(&o, &d, &error);
	soak_daemon_stop(&d, !ok || o.show_log);
	g_free(o.gnutd);
	g_strfreev(o.gnutd_args);
	g_free(o.gnut);
	if (!ok) {
		g_printerr("bench-soak: %s\n", error->message);
		return 1;
	}
	return 0;
}
