/* bench-capacity.c: what one ultrapeer's links cost it: memory with a full
 * set of compressed links, and CPU per relayed query with many links.
 * Reported, never asserted.
 *
 * Method. Real gnutd processes are started here (bench-soak-daemon.c:
 * --ultrapeer --no-bootstrap on 127.0.0.1, a fresh data dir, a small share)
 * and linked to by bench-soak-links.c (one poll loop in this process).
 *   Memory. One gnutd with its default caps. Its RSS (VmRSS) is read once
 *   it has settled (CAP_SETTLE_S after its start), idle. Then --ultrapeers
 *   (32) links announcing ultrapeers and --leaves (300) leaves, every one
 *   compressed both ways (deflate), each leaf handing over a 64K-slot QRP
 *   table; RSS is read CAP_SETTLE_S after the tables went out (the links
 *   just used), again after CAP_IDLE_S with no traffic (gnutd gives idle
 *   links' compressors back after 5 s), then at the end of --mem-rate
 *   (1,000) queries/s for CAP_TRAFFIC_S over the ultrapeer links. The
 *   difference to idle over the links is the cost per link.
 *   CPU. For each of two runs, one gnutd with the caps lifted to take
 *   --cpu-links (1,000) links, 1 in 10 an ultrapeer, the rest leaves with
 *   tables (uncompressed unless --cpu-deflate: the compression would cost
 *   this program as much as gnutd), and --rate (10,000) queries/s offered
 *   over the ultrapeer links for --duration (20) s, as bench-soak pumps
 *   them. gnutd's CPU seconds (utime + stime) over the pump, divided by
 *   the queries it relayed (every copy on every link), give the CPU per
 *   relayed query. The first run routes queries to leaves through the slot
 *   index (qrp-index.c); the second with GNUT_QRP_INDEX=off in gnutd's
 *   environment, checking every leaf's table for every query as before
 *   the index: the ratio of the two is the index's gain in the same run.
 *   zlib. In this process: each compressor setting a link may use (zlib's
 *   default window 2^15 and memLevel 8, and smaller ones) compresses the
 *   same stream of CAP_ZLIB_MSGS query messages (the pump's texts, random
 *   GUIDs), sync-flushed every 1 to 4 messages as a quiet link's batches
 *   are: the ratio is compressed / plain bytes. The heap each one holds
 *   after its first batch, and each inflater after a stream of window 2^15
 *   (what other servents send) or 2^12, is mallinfo2's in-use bytes over
 *   CAP_ZLIB_STREAMS of them (allocated, a bound on what RSS counts).
 * Caveats: this program shares the machine's CPUs with gnutd (its pumping
 * thread's CPU is printed); at 10,000 queries/s gnutd may be the limit, in
 * which case fewer are relayed and the CPU per relayed query is what
 * counts. Build without sanitizers.
 *
 * Usage: bench-capacity [--ultrapeers N] [--leaves N] [--mem-rate Q/S]
 * [--cpu-links N] [--rate Q/S] [--duration S] [--cpu-deflate] [--no-memory]
 * [--no-cpu] [--no-zlib] [--gnutd PATH] [--show-log]; gnutd defaults to $GNUTD, else
 * that of the build tree. Loopback only. Not run by make check. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>
#include <glib.h>

#include "bench-soak.h"
#include "gnut/net/deflate-stream.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/query.h"

#define CAP_SETTLE_S     2  /* after a start, or after the tables went out */
#define CAP_IDLE_S       8  /* with no traffic: past gnutd's idle release (5 s) */
#define CAP_TRAFFIC_S    10 /* of queries, for the loaded figure */
#define CAP_PER_IP       2  /* links per source address: gnutd's default cap */
#define CAP_CPU_PER_IP   8
#define CAP_ZLIB_MSGS    20000 /* queries compressed per setting */
#define CAP_ZLIB_STREAMS 200   /* streams allocated to weigh one */

typedef struct {
	gint ultrapeers, leaves;
	double mem_rate;
	gint cpu_links;
	double rate, duration_s;
	gboolean cpu_deflate, no_memory, no_cpu, no_zlib, show_log;
	char *gnutd;
} cap_opts;

static void no_tick(gpointer data, gint64 now_us)
{
	(void)data;
	(void)now_us;
}

/* Services the links (pings, what they still have to write) for seconds,
 * pumping `rate` queries/s. */
static gboolean run_links(soak_links *ls, double rate, double seconds, GError **error)
{
	return soak_links_pump(ls, rate, seconds, no_tick, NULL, error);
}

static double thread_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Opens the links and says how many gnutd took. FALSE when none of the
 * ultrapeers was taken (nothing to pump) or polling failed. */
static gboolean open_links(soak_links *ls, GError **error)
{
	if (!soak_links_open(ls, error))
		return FALSE;
	guint up = soak_links_up(ls, TRUE), leaves = soak_links_up(ls, FALSE);
	printf("  links: %u ultrapeers and %u leaves accepted\n", up, leaves);
	soak_print_reasons("  refused", soak_links_refusals(ls));
	if (up > 0)
		return TRUE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "gnutd accepted no ultrapeer link");
	return FALSE;
}

static void print_rss(const char *what, double kb, double idle_kb, guint links)
{
	printf("  RSS %-44s %8.0f KB (%.1f MB)", what, kb, kb / 1024);
	if (idle_kb > 0 && links > 0)
		printf(", +%.0f KB over idle, %.1f KB a link", kb - idle_kb,
		       (kb - idle_kb) / links);
	printf("\n");
}

static gboolean memory_run(const cap_opts *o, soak_daemon *d, GError **error)
{
	printf("memory: %d ultrapeers + %d leaves, deflate both ways, 64K-slot tables\n",
	       o->ultrapeers, o->leaves);
	if (!soak_daemon_start(d, o->gnutd, NULL, error))
		return FALSE;
	g_usleep(CAP_SETTLE_S * G_USEC_PER_SEC);
	double idle = soak_proc_rss_kb(d->pid);
	print_rss("idle, no link", idle, 0, 0);
	soak_links_config lc = {.port = d->port,
	                        .n = (guint)(o->ultrapeers + o->leaves),
	                        .per_ip = CAP_PER_IP,
	                        .ultrapeers = o->ultrapeers,
	                        .deflate = TRUE};
	soak_links *ls = soak_links_new(&lc);
	gboolean ok = open_links(ls, error) && run_links(ls, 0, CAP_SETTLE_S, error);
	guint links = soak_links_up(ls, TRUE) + soak_links_up(ls, FALSE);
	if (ok)
		print_rss("links up, tables in", soak_proc_rss_kb(d->pid), idle, links);
	ok = ok && run_links(ls, 0, CAP_IDLE_S, error);
	if (ok)
		print_rss("links up, idle 8 s", soak_proc_rss_kb(d->pid), idle, links);
	ok = ok && run_links(ls, o->mem_rate, CAP_TRAFFIC_S, error);
	if (ok) {
		g_autofree char *what =
		    g_strdup_printf("after %.0f queries/s for %d s", o->mem_rate, CAP_TRAFFIC_S);
		print_rss(what, soak_proc_rss_kb(d->pid), idle, links);
		const soak_traffic *t = soak_links_traffic(ls);
		printf("  relayed %" G_GUINT64_FORMAT " to ultrapeers, %" G_GUINT64_FORMAT
		       " to leaves; %u links lost\n",
		       t->relayed_to_ultrapeers, t->relayed_to_leaves, t->links_lost);
		soak_print_reasons("  lost", soak_links_losses(ls));
	}
	soak_links_free(ls);
	soak_daemon_stop(d, !ok || o->show_log);
	return ok;
}

/* One CPU run; *per_query gets gnutd's CPU seconds per relayed query. */
static gboolean cpu_run(const cap_opts *o, gboolean index, double *per_query, GError **error)
{
	char *env[] = {"GNUT_QRP_INDEX=off", NULL};
	soak_daemon d = {.env = index ? NULL : env};
	getrlimit(RLIMIT_NOFILE, &d.nofile); /* gnutd gets this program's raised limit */
	guint ups = (guint)(o->cpu_links + 9) / 10;
	g_autofree char *max_ups = g_strdup_printf("--max-ultrapeers=%u", ups);
	g_autofree char *max_leaves = g_strdup_printf("--max-leaves=%u", (guint)o->cpu_links - ups);
	char *args[] = {max_ups,
	                max_leaves,
	                "--max-links-per-ip=" G_STRINGIFY(CAP_CPU_PER_IP),
	                "--per-ip-pending=0",
	                "--per-ip-handshakes=0",
	                "--reconnect-limit=0",
	                "--qrp-total-slots=256M",
	                "--ultrapeer-query-rate=1000000",
	                NULL};
	printf("cpu: %d links (%u ultrapeers), %.0f queries/s offered for %.0f s, %s, QRP %s\n",
	       o->cpu_links, ups, o->rate, o->duration_s, o->cpu_deflate ? "deflate" : "no deflate",
	       index ? "slot index" : "every table checked (GNUT_QRP_INDEX=off)");
	if (!soak_daemon_start(&d, o->gnutd, args, error))
		return FALSE;
	soak_links_config lc = {.port = d.port,
	                        .n = (guint)o->cpu_links,
	                        .per_ip = CAP_CPU_PER_IP,
	                        .ultrapeers = (gint)ups,
	                        .deflate = o->cpu_deflate};
	soak_links *ls = soak_links_new(&lc);
	gboolean ok = open_links(ls, error) && run_links(ls, 0, CAP_SETTLE_S, error);
	double cpu0 = soak_proc_cpu_s(d.pid), bench0 = thread_cpu_s();
	gint64 t0 = g_get_monotonic_time();
	ok = ok && run_links(ls, o->rate, o->duration_s, error);
	double cpu = soak_proc_cpu_s(d.pid) - cpu0, bench = thread_cpu_s() - bench0;
	double wall = (double)(g_get_monotonic_time() - t0) / 1e6;
	if (ok) {
		const soak_traffic *t = soak_links_traffic(ls);
		guint64 written = t->queries_queued - MIN(t->queries_unsent, t->queries_queued);
		guint64 relayed = t->relayed_to_ultrapeers + t->relayed_to_leaves;
		*per_query = cpu / (double)MAX(relayed, 1);
		printf("  %" G_GUINT64_FORMAT " queries written (%" G_GUINT64_FORMAT
		       " skipped: link output full), relayed %" G_GUINT64_FORMAT
		       " to ultrapeers and %" G_GUINT64_FORMAT " to leaves; %u links lost\n",
		       written, t->queries_skipped, t->relayed_to_ultrapeers, t->relayed_to_leaves,
		       t->links_lost);
		soak_print_reasons("  lost", soak_links_losses(ls));
		printf(
		    "  gnutd CPU %.2f s in %.1f s (%.0f%% of one CPU): %.2f us per relayed query, "
		    "%.1f us per query written; this program's thread %.0f%% of one CPU\n",
		    cpu, wall, 100 * cpu / wall, *per_query * 1e6,
		    cpu / (double)MAX(written, 1) * 1e6, 100 * bench / wall);
	}
	soak_links_free(ls);
	soak_daemon_stop(&d, !ok || o->show_log);
	return ok;
}

/* ---- zlib ---- */

/* The stream of query messages a link would carry, one GByteArray each. */
static GPtrArray *query_stream(GRand *rand)
{
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	for (guint i = 0; i < CAP_ZLIB_MSGS; i++) {
		const char *text = soak_texts[g_rand_int_range(rand, 0, SOAK_N_TEXTS)];
		gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H,
		                .text = text,
		                .text_len = strlen(text)};
		g_autoptr(GByteArray) payload = g_byte_array_new();
		gnut_query_encode(payload, &q);
		gnut_guid guid;
		for (guint b = 0; b < GNUT_GUID_LEN; b++)
			guid.bytes[b] = (guint8)g_rand_int(rand);
		GByteArray *m = g_byte_array_new();
		gnut_msg_append(m, &guid, GNUT_MSG_QUERY, 3, 0, payload->data, payload->len);
		g_ptr_array_add(msgs, m);
	}
	return msgs;
}

/* Compressed / plain bytes of the stream, flushed every 1-4 messages. */
static double stream_ratio(const GPtrArray *msgs, int window_bits, int mem_level, GRand *rand)
{
	gnut_deflater *d = gnut_deflater_new_sized(-1, window_bits, mem_level);
	g_autoptr(GByteArray) out = g_byte_array_new();
	guint64 plain = 0, compressed = 0;
	for (guint i = 0; i < msgs->len;) {
		for (gint k = g_rand_int_range(rand, 1, 5); k > 0 && i < msgs->len; k--, i++) {
			const GByteArray *m = g_ptr_array_index(msgs, i);
			gnut_deflater_write(d, m->data, m->len, out);
			plain += m->len;
		}
		gnut_deflater_flush(d, out);
		compressed += out->len;
		g_byte_array_set_size(out, 0);
	}
	gnut_deflater_free(d);
	return (double)compressed / (double)plain;
}

/* Heap bytes one compressor holds after a first flushed batch. */
static double deflater_bytes(const GByteArray *batch, int window_bits, int mem_level)
{
	gnut_deflater *d[CAP_ZLIB_STREAMS];
	g_autoptr(GByteArray) out = g_byte_array_new();
	size_t before = mallinfo2().uordblks;
	for (guint i = 0; i < CAP_ZLIB_STREAMS; i++) {
		d[i] = gnut_deflater_new_sized(-1, window_bits, mem_level);
		gnut_deflater_write(d[i], batch->data, batch->len, out);
		gnut_deflater_flush(d[i], out);
		g_byte_array_set_size(out, 0);
	}
	size_t after = mallinfo2().uordblks;
	for (guint i = 0; i < CAP_ZLIB_STREAMS; i++)
		gnut_deflater_free(d[i]);
	return (double)(after - before) / CAP_ZLIB_STREAMS;
}

/* Heap bytes one inflater holds after inflating a stream of that window. */
static double inflater_bytes(const GByteArray *batch, int window_bits)
{
	g_autoptr(GByteArray) wire = g_byte_array_new();
	gnut_deflater *d = gnut_deflater_new_sized(-1, window_bits, 8);
	gnut_deflater_write(d, batch->data, batch->len, wire);
	gnut_deflater_flush(d, wire);
	gnut_deflater_free(d);
	gnut_inflater *z[CAP_ZLIB_STREAMS];
	guint8 plain[4096];
	size_t before = mallinfo2().uordblks;
	for (guint i = 0; i < CAP_ZLIB_STREAMS; i++) {
		z[i] = gnut_inflater_new(0, 0);
		gsize used, made;
		gnut_inflater_run(z[i], wire->data, wire->len, &used, plain, sizeof plain, &made,
		                  NULL);
	}
	size_t after = mallinfo2().uordblks;
	for (guint i = 0; i < CAP_ZLIB_STREAMS; i++)
		gnut_inflater_free(z[i]);
	return (double)(after - before) / CAP_ZLIB_STREAMS;
}

static void zlib_costs(void)
{
	static const int settings[][2] = {{15, 8}, {13, 6}, {12, 5}, {11, 4}, {9, 1}};
	GRand *rand = g_rand_new_with_seed(6346);
	g_autoptr(GPtrArray) msgs = query_stream(rand);
	g_autoptr(GByteArray) batch = g_byte_array_new();
	for (guint i = 0; i < 4; i++) {
		const GByteArray *m = g_ptr_array_index(msgs, i);
		g_byte_array_append(batch, m->data, m->len);
	}
	printf("zlib: %u queries, flushed every 1-4 (a quiet link's batches)\n", CAP_ZLIB_MSGS);
	for (gsize i = 0; i < G_N_ELEMENTS(settings); i++)
		printf("  deflate window 2^%d, memLevel %d: ratio %.3f, %.1f KB held\n",
		       settings[i][0], settings[i][1],
		       stream_ratio(msgs, settings[i][0], settings[i][1], rand),
		       deflater_bytes(batch, settings[i][0], settings[i][1]) / 1024);
	printf(
	    "  inflate of a window 2^15 stream: %.1f KB held; of a window 2^12 stream: %.1f KB\n",
	    inflater_bytes(batch, 15) / 1024, inflater_bytes(batch, 12) / 1024);
	g_rand_free(rand);
}

static gboolean parse_opts(cap_opts *o, int *argc, char ***argv, GError **error)
{
	GOptionEntry entries[] = {
	    {"ultrapeers", 0, 0, G_OPTION_ARG_INT, &o->ultrapeers, "memory: ultrapeer links (32)",
	     "N"},
	    {"leaves", 0, 0, G_OPTION_ARG_INT, &o->leaves, "memory: leaves (300)", "N"},
	    {"mem-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o->mem_rate, "memory: queries/s (1000)",
	     "Q/S"},
	    {"cpu-links", 0, 0, G_OPTION_ARG_INT, &o->cpu_links, "cpu: links (1000)", "N"},
	    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &o->rate, "cpu: queries/s offered (10000)", "Q/S"},
	    {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration_s, "cpu: seconds of each run (20)",
	     "S"},
	    {"cpu-deflate", 0, 0, G_OPTION_ARG_NONE, &o->cpu_deflate, "cpu: links compressed",
	     NULL},
	    {"no-memory", 0, 0, G_OPTION_ARG_NONE, &o->no_memory, "skip the memory part", NULL},
	    {"no-cpu", 0, 0, G_OPTION_ARG_NONE, &o->no_cpu, "skip the CPU part", NULL},
	    {"no-zlib", 0, 0, G_OPTION_ARG_NONE, &o->no_zlib, "skip the zlib part", NULL},
	    {"gnutd", 0, 0, G_OPTION_ARG_FILENAME, &o->gnutd, "the daemon to run", "PATH"},
	    {"show-log", 0, 0, G_OPTION_ARG_NONE, &o->show_log, "print gnutd's logs", NULL},
	    G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- an ultrapeer's memory and CPU");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (o->ultrapeers < 1 || o->leaves < 0 || o->ultrapeers + o->leaves > 20000 ||
	    o->cpu_links < 10 || o->cpu_links > 20000 || o->rate < 0 || o->mem_rate < 0 ||
	    o->duration_s < 1) {
		g_set_error(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "need 1 <= ultrapeers, 0 <= leaves, 10 <= cpu-links <= 20000, rates >= 0, "
		    "duration >= 1");
		return FALSE;
	}
	return TRUE;
}

static gboolean run(const cap_opts *o, GError **error)
{
	if (!o->no_zlib)
		zlib_costs();
	if (!o->no_memory) {
		soak_daemon d = {0};
		getrlimit(RLIMIT_NOFILE, &d.nofile);
		if (!memory_run(o, &d, error))
			return FALSE;
	}
	if (o->no_cpu)
		return TRUE;
	double with_index = 0, without = 0;
	if (!cpu_run(o, TRUE, &with_index, error) || !cpu_run(o, FALSE, &without, error))
		return FALSE;
	printf("cpu per relayed query: %.2f us with the slot index, %.2f us checking every table: "
	       "%.2fx\n",
	       with_index * 1e6, without * 1e6, without / MAX(with_index, 1e-12));
	return TRUE;
}

int main(int argc, char **argv)
{
	cap_opts o = {.ultrapeers = 32,
	              .leaves = 300,
	              .mem_rate = 1000,
	              .cpu_links = 1000,
	              .rate = 10000,
	              .duration_s = 20};
	g_autoptr(GError) error = NULL;
	if (!parse_opts(&o, &argc, &argv, &error)) {
		g_printerr("bench-capacity: %s\n", error->message);
		return 2;
	}
	if (o.gnutd == NULL)
		o.gnutd = soak_default_program(argv[0], "GNUTD", "src/daemon/gnutd");
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rlimit old;
	soak_raise_nofile(&old);
	soak_print_machine();
	gboolean ok = run(&o, &error);
	g_free(o.gnutd);
	if (!ok) {
		g_printerr("bench-capacity: %s\n", error->message);
		return 1;
	}
	return 0;
}
