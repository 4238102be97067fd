/* bench-codec.c: how fast the message codecs run on the two messages a
 * servent handles most. A typical query (flags 0x8000|0x0800, "ubuntu iso
 * image", one urn:sha1 item and a small GGEP block) and a query hit with 10
 * results (names of ~30 bytes, a GGEP "H" per result, the QHD trailer with
 * a private GGEP block, the servent GUID) are built once with our encoders,
 * then each is, N times:
 *   decode      the 23-byte header and the payload (gnut_msg_header_decode,
 *               gnut_query_decode / gnut_qhit_decode and gnut_qhit_clear);
 *   urns        the content URNs read from the decoded message
 *               (gnut_query_sha1s / gnut_qhit_result_urn for each result);
 *   encode      header and payload written again from the decoded struct;
 *   round trip  decode then encode.
 * After a warm-up of N/10, each step is timed BENCH runs times (-r) and the
 * best run counts. Prints the machine, nanoseconds per message and messages
 * per second. A checksum over every result is printed last so the compiler
 * cannot drop the work. Before timing, the round trip is checked to give
 * back the very bytes it started from.
 * Usage: bench-codec [-n N] [-r RUNS]. Not run by make check. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gnut/proto/ggep.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/urn.h"

#define BENCH_QHIT_RESULTS 10

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_SANITIZED 1
#endif
#endif

/* One message under test: its wire bytes, a scratch output buffer reused by
 * every encode, and the checksum the steps feed. */
typedef struct {
	const char *name;
	GByteArray *wire;
	GByteArray *out;
	guint64 sum;
	gboolean is_hit;
	gnut_query query; /* decoded once, for the encode-only step */
	gnut_qhit hit;
} bench_msg;

typedef guint64 (*bench_step_fn)(bench_msg *m);

static guint64 now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (guint64)ts.tv_sec * 1000000000u + (guint64)ts.tv_nsec;
}

static void die(const char *what, gnut_proto_err err)
{
	fprintf(stderr, "bench-codec: %s: %s\n", what, gnut_proto_strerror(err));
	exit(1);
}

/* Deterministic "random" bytes, so every run measures the same messages. */
static void fill_bytes(GRand *rand, guint8 *out, gsize len)
{
	for (gsize i = 0; i < len; i++)
		out[i] = (guint8)g_rand_int_range(rand, 0, 256);
}

/* Writes the 23-byte header in front of a payload appended after it. */
static void finish_header(GByteArray *msg, const gnut_guid *guid, guint8 type, guint8 ttl,
                          guint8 hops)
{
	gnut_msg_header h = {*guid, type, ttl, hops, msg->len - GNUT_MSG_HEADER_LEN};
	gnut_msg_header_encode(&h, msg->data);
}

static void build_query(GRand *rand, GByteArray *msg)
{
	gnut_urn urn = {.has_sha1 = TRUE};
	fill_bytes(rand, urn.sha1, sizeof urn.sha1);
	char urn_text[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(urn.sha1, urn_text);
	static const guint8 meta[] = {0x04};
	gnut_ggep_item items[] = {{"M", meta, sizeof meta, 0}, {"NP", NULL, 0, 0}};
	g_autoptr(GByteArray) ggep = g_byte_array_new();
	gnut_proto_err err = gnut_ggep_encode(items, G_N_ELEMENTS(items), ggep);
	if (err != GNUT_PROTO_OK)
		die("query GGEP", err);
	gnut_query q = {.flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H,
	                .text = "ubuntu iso image",
	                .text_len = strlen("ubuntu iso image"),
	                .n_urns = 1,
	                .n_ggep = 1};
	q.urns[0] = (gnut_slice){(const guint8 *)urn_text, GNUT_URN_SHA1_LEN};
	q.ggep[0] = (gnut_slice){ggep->data, ggep->len};
	gnut_guid guid;
	fill_bytes(rand, guid.bytes, sizeof guid.bytes);
	g_byte_array_set_size(msg, GNUT_MSG_HEADER_LEN);
	if ((err = gnut_query_encode(msg, &q)) != GNUT_PROTO_OK)
		die("query encode", err);
	finish_header(msg, &guid, GNUT_MSG_QUERY, 3, 0);
}

/* The results' names and extension areas live in one arena (names first,
 * NUL-separated), so the hit can point into it while it is encoded. */
static void build_qhit(GRand *rand, GByteArray *msg)
{
	g_autoptr(GByteArray) arena = g_byte_array_sized_new(2048);
	gsize name_at[BENCH_QHIT_RESULTS], ext_at[BENCH_QHIT_RESULTS], ext_len[BENCH_QHIT_RESULTS];
	for (unsigned i = 0; i < BENCH_QHIT_RESULTS; i++) {
		char name[64];
		int n = g_snprintf(name, sizeof name, "ubuntu-24.04-live-amd64-%02u.iso", i);
		name_at[i] = arena->len;
		g_byte_array_append(arena, (const guint8 *)name, (guint)n + 1);
	}
	for (unsigned i = 0; i < BENCH_QHIT_RESULTS; i++) {
		gnut_urn urn = {.has_sha1 = TRUE};
		fill_bytes(rand, urn.sha1, sizeof urn.sha1);
		ext_at[i] = arena->len;
		gnut_proto_err err = gnut_qhit_result_ext_encode(arena, &urn, FALSE, TRUE);
		if (err != GNUT_PROTO_OK)
			die("result extensions", err);
		ext_len[i] = arena->len - ext_at[i];
	}
	gnut_ggep_item priv_items[] = {{"BH", NULL, 0, 0}};
	gsize priv_at = arena->len;
	gnut_proto_err err = gnut_ggep_encode(priv_items, G_N_ELEMENTS(priv_items), arena);
	if (err != GNUT_PROTO_OK)
		die("private GGEP", err);
	gnut_qhit_result results[BENCH_QHIT_RESULTS];
	for (unsigned i = 0; i < BENCH_QHIT_RESULTS; i++) {
		const char *name = (const char *)arena->data + name_at[i];
		results[i] =
		    (gnut_qhit_result){1000 + i, 2800000000u + i * 4096u, name, strlen(name),
		                       (gnut_slice){arena->data + ext_at[i], ext_len[i]}};
	}
	gnut_qhit h = {.port = 6346,
	               .ipv4 = 0xC000020A, /* 192.0.2.10 */
	               .speed = 10000,
	               .results = results,
	               .n_results = BENCH_QHIT_RESULTS,
	               .vendor = {'G', 'T', 'K', 'G'},
	               .flags_valid = GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY | GNUT_QHIT_F_UPLOADED |
	                              GNUT_QHIT_F_SPEED,
	               .flags = GNUT_QHIT_F_UPLOADED,
	               .private_area = {arena->data + priv_at, arena->len - priv_at}};
	fill_bytes(rand, h.servent.bytes, sizeof h.servent.bytes);
	gnut_guid guid;
	fill_bytes(rand, guid.bytes, sizeof guid.bytes);
	g_byte_array_set_size(msg, GNUT_MSG_HEADER_LEN);
	if ((err = gnut_qhit_encode(msg, &h)) != GNUT_PROTO_OK)
		die("query hit encode", err);
	finish_header(msg, &guid, GNUT_MSG_QUERY_HIT, 3, 2);
}

/* Header and payload of m->wire into m->query or m->hit (a hit's result
 * array stays allocated until gnut_qhit_clear). Returns a value that depends
 * on what was decoded, for the checksum. */
static guint64 decode_into(bench_msg *m, gnut_query *q, gnut_qhit *h)
{
	gnut_msg_header hdr;
	gnut_proto_err err =
	    gnut_msg_header_decode(m->wire->data, m->wire->len, GNUT_MSG_MAX_PAYLOAD, &hdr);
	if (err != GNUT_PROTO_OK)
		die("header decode", err);
	const guint8 *payload = m->wire->data + GNUT_MSG_HEADER_LEN;
	if (!m->is_hit) {
		if ((err = gnut_query_decode(payload, hdr.length, q)) != GNUT_PROTO_OK)
			die("query decode", err);
		return hdr.guid.bytes[0] + q->text_len + q->n_urns + q->ggep[0].len;
	}
	if ((err = gnut_qhit_decode(payload, hdr.length, h)) != GNUT_PROTO_OK)
		die("query hit decode", err);
	return hdr.guid.bytes[0] + h->n_results + h->results[h->n_results - 1].size +
	       h->private_ggep.len;
}

/* Header and payload written again into m->out from a decoded message. */
static guint64 encode_from(bench_msg *m, const gnut_query *q, const gnut_qhit *h)
{
	g_byte_array_set_size(m->out, GNUT_MSG_HEADER_LEN);
	gnut_proto_err err = m->is_hit ? gnut_qhit_encode(m->out, h) : gnut_query_encode(m->out, q);
	if (err != GNUT_PROTO_OK)
		die("encode", err);
	gnut_msg_header hdr;
	memcpy(hdr.guid.bytes, m->wire->data, GNUT_GUID_LEN);
	hdr.type = m->wire->data[16];
	hdr.ttl = m->wire->data[17];
	hdr.hops = m->wire->data[18];
	hdr.length = m->out->len - GNUT_MSG_HEADER_LEN;
	gnut_msg_header_encode(&hdr, m->out->data);
	return m->out->len + m->out->data[m->out->len - 1];
}

static guint64 step_decode(bench_msg *m)
{
	gnut_query q;
	gnut_qhit h = {0};
	guint64 v = decode_into(m, &q, &h);
	gnut_qhit_clear(&h);
	return v;
}

static guint64 step_urns(bench_msg *m)
{
	gnut_urn urns[GNUT_QUERY_MAX_URNS];
	if (!m->is_hit) {
		unsigned n = gnut_query_sha1s(&m->query, urns, G_N_ELEMENTS(urns));
		return n > 0 ? n + urns[0].sha1[0] : 0;
	}
	guint64 v = 0;
	for (unsigned i = 0; i < m->hit.n_results; i++) {
		gnut_urn u = {0};
		if (gnut_qhit_result_urn(&m->hit.results[i], &u))
			v += u.sha1[19];
	}
	return v;
}

static guint64 step_encode(bench_msg *m)
{
	return encode_from(m, &m->query, &m->hit);
}

static guint64 step_round_trip(bench_msg *m)
{
	gnut_query q;
	gnut_qhit h = {0};
	guint64 v = decode_into(m, &q, &h);
	v += encode_from(m, &q, &h);
	gnut_qhit_clear(&h);
	return v;
}

/* Why the check: a benchmark of an encoder that wrote something else would
 * measure nothing worth knowing. */
static void check_round_trip(bench_msg *m)
{
	step_round_trip(m);
	if (m->out->len != m->wire->len || memcmp(m->out->data, m->wire->data, m->wire->len) != 0) {
		fprintf(stderr, "bench-codec: %s: the round trip changed the bytes\n", m->name);
		exit(1);
	}
}

/* Best of runs timed loops of n steps, after a warm-up of n/10; returns the
 * best nanoseconds per message. */
static double time_step(bench_msg *m, bench_step_fn step, guint64 n, guint runs)
{
	for (guint64 i = 0; i < n / 10; i++)
		m->sum += step(m);
	guint64 best = G_MAXUINT64;
	for (guint r = 0; r < runs; r++) {
		guint64 start = now_ns();
		for (guint64 i = 0; i < n; i++)
			m->sum += step(m);
		guint64 elapsed = now_ns() - start;
		best = MIN(best, elapsed);
	}
	return (double)best / (double)n;
}

static void print_machine(void)
{
	g_autofree char *cpuinfo = NULL;
	g_autofree char *model = NULL;
	if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
		char *line = strstr(cpuinfo, "model name");
		char *colon = line != NULL ? strchr(line, ':') : NULL;
		if (colon != NULL)
			model = g_strstrip(g_strndup(colon + 1, strcspn(colon + 1, "\n")));
	}
	printf("machine: %u CPUs, %s\n", g_get_num_processors(), model ? model : "unknown CPU");
#if defined(__clang__)
	printf("compiler: %s\n", __VERSION__);
#elif defined(__GNUC__)
	printf("compiler: gcc %s\n", __VERSION__);
#endif
#ifdef GNUT_BENCH_CFLAGS
	printf("flags: %s\n", GNUT_BENCH_CFLAGS);
#endif
#ifdef BENCH_SANITIZED
	printf("WARNING: built with sanitizers: these figures mean little\n");
#endif
#ifndef __OPTIMIZE__
	printf("WARNING: built without optimisation: these figures mean little\n");
#endif
}

static void bench_message(bench_msg *m, guint64 n, guint runs)
{
	static const struct {
		const char *label;
		bench_step_fn fn;
	} steps[] = {{"decode", step_decode},
	             {"urns", step_urns},
	             {"encode", step_encode},
	             {"round trip", step_round_trip}};
	check_round_trip(m);
	decode_into(m, &m->query, &m->hit);
	printf("%s: %u bytes on the wire (header included)\n", m->name, m->wire->len);
	for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
		double ns = time_step(m, steps[i].fn, n, runs);
		printf("  %-10s %9.1f ns/msg %12.0f msg/s\n", steps[i].label, ns, 1e9 / ns);
	}
	gnut_qhit_clear(&m->hit);
}

int main(int argc, char **argv)
{
	gint64 n = 1000000, runs = 3;
	GOptionEntry entries[] = {
	    {"count", 'n', 0, G_OPTION_ARG_INT64, &n, "messages per timed run (1000000)", "N"},
	    {"runs", 'r', 0, G_OPTION_ARG_INT64, &runs, "timed runs per step, best kept (3)", "R"},
	    G_OPTION_ENTRY_NULL};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("- time the query and query hit codecs");
	g_option_context_add_main_entries(ctx, entries, NULL);
	GError *err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || n < 10 || runs < 1 || runs > 100) {
		fprintf(stderr, "bench-codec: %s\n",
		        err ? err->message : "need N >= 10, 1 <= R <= 100");
		return 2;
	}
	print_machine();
	printf("count: %" G_GINT64_FORMAT " messages per run, best of %" G_GINT64_FORMAT
	       " runs, after a warm-up of N/10\n",
	       n, runs);
	GRand *rand = g_rand_new_with_seed(6346);
	bench_msg msgs[2] = {{.name = "query", .is_hit = FALSE},
	                     {.name = "query hit (10 results)", .is_hit = TRUE}};
	guint64 sum = 0;
	for (gsize i = 0; i < G_N_ELEMENTS(msgs); i++) {
		bench_msg *m = &msgs[i];
		m->wire = g_byte_array_new();
		m->out = g_byte_array_sized_new(4096);
		(m->is_hit ? build_qhit : build_query)(rand, m->wire);
		bench_message(m, (guint64)n, (guint)runs);
		sum ^= m->sum;
		g_byte_array_unref(m->wire);
		g_byte_array_unref(m->out);
	}
	g_rand_free(rand);
	printf("checksum: %016" G_GINT64_MODIFIER "x\n", sum);
	return 0;
}
