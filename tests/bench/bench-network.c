/* bench-network.c: how far a search reaches and what it costs in a network
 * of real servents. N servents of the engine (gnut/core/servent.h) run in
 * this one process and its one main loop, each on its own loopback address
 * (127.20.x.y) with its own temporary data and share folders, in the
 * deployed network's shape: one in ULTRAPEER_EVERY is an ultrapeer, linked
 * to about ULTRAPEER_DEGREE other ultrapeers (a circulant graph with random
 * offsets: every ultrapeer has the same degree), and every leaf is linked to
 * LEAF_ULTRAPEERS of them (the deployed network's figures as issue 9 gives
 * them: a leaf keeps 3 ultrapeers, an ultrapeer about 30 ultrapeer links
 * and a few dozen leaves).
 *
 * Files: "titles" of two made-up words each, written as tiny real files
 * (they are hashed like any share). A quarter of N titles have one copy on
 * one servent (single-replica); N/4 more have copies on
 * max(2, N/10 / rank) servents (Zipf popularity). Queries come from random
 * leaves: half for a single-replica title, half for a title drawn by its
 * popularity. A query is found when a hit naming the file reaches the
 * querying leaf; the searching user then stops the search (what a user who
 * got the file does, and what leaf guidance tells the ultrapeers); a search
 * without it is stopped after --query-time seconds.
 *
 * Messages: the query, query hit and query status (leaf guidance) messages
 * all servents sent on their links (gnut_servent_counters_get) plus the
 * hits sent out of band, from the first query until the counters stay
 * still, over the queries.
 *
 * Two modes over the same network, files and queries (the network is
 * built afresh for each, from the same seed): "routed", the servents as
 * built (leaf to ultrapeer QRP, ultrapeer QRP on the last hop, dynamic
 * querying with leaf guidance), and "flood", the same servents with
 * flood_queries set (every query floods at TTL 4, no QRP filter).
 *
 * Run: make tests/bench/bench-network && tests/bench/bench-network
 * [--servents N] [--queries Q] [--seed S] [--query-time S] [--rate R]
 * [--parallel P];
 * build without sanitizers for N = 1,000. Links are uncompressed
 * (compression changes bytes, not messages, and costs this one thread).
 *
 * Caveats: everything runs on one thread, and GLib's main loop spends time
 * in proportion to the descriptors it polls (~12,000 at N = 1,000) on each
 * event it dispatches, so a flooded query costs this process about a
 * CPU-second at N = 1,000: the flood mode takes most of the run time, and
 * --parallel keeps late hits (a busy machine) from counting as not found. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "bench-soak.h"
#include "gnut/base/ip-admit.h"
#include "gnut/core/servent.h"

#define ULTRAPEER_EVERY  10 /* one servent in this many is an ultrapeer */
#define ULTRAPEER_DEGREE 30 /* ultrapeer links of an ultrapeer */
#define LEAF_ULTRAPEERS  3  /* ultrapeers of a leaf */
#define QRP_TABLE_SLOTS  65536u
#define SETUP_TIMEOUT_MS (240 * 1000)
#define SETUP_ROUNDS     4 /* dials of the links still missing */
#define POLL_MS          100
#define SETTLE_MS        2000
#define DRAIN_QUIET_MS   3000  /* the counters still this long: traffic over */
#define DRAIN_TIMEOUT_MS 30000 /* at most this long after the last query */
#define SINGLE_SHARE     0.5   /* of the queries, for a single-replica title */

static struct {
	gint servents;
	gint queries;
	gint64 seed;
	gint query_time_s;
	gdouble rate;
	gboolean verbose;
	gint parallel;
	gboolean flood_only;
} opt = {1000, 300, 1, 30, 10.0, FALSE, 10, FALSE};

typedef struct {
	char *file;      /* "word1 word2.txt" */
	char *query;     /* "word1 word2" */
	guint replicas;  /* servents sharing it */
	gboolean single; /* one replica by design */
	double weight;   /* query popularity (Zipf) */
} title;

typedef struct {
	guint leaf;  /* index of the querying servent */
	guint title; /* what it looks for */
} query_plan;

/* Messages all servents sent: query, query hit, query status (leaf
 * guidance) on links, hits out of band. */
typedef struct {
	guint64 queries, hits, status, oob_hits;
} traffic;

/* What one mode's run measured. */
typedef struct {
	guint found, single, single_found;
	traffic sent;
	double seconds;
} mode_result;

typedef struct {
	char *top; /* temp folder of the run */
	GPtrArray *titles;
	GArray *plans;      /* query_plan */
	GPtrArray **shares; /* per servent: title indices (GUINT_TO_POINTER) */
	guint n, n_up, degree;
	guint *up_offsets; /* the circulant graph's, n_up_offsets of them */
	guint n_up_offsets;
	guint (*leaf_ups)[LEAF_ULTRAPEERS];
} network_plan;

/* ---- the plan: names, files, topology and queries, from the seed ---- */

static char *made_up_word(GRand *rand, GHashTable *used)
{
	static const char consonants[] = "bdfgklmnprstvz";
	static const char vowels[] = "aeiou";
	for (;;) {
		char w[8];
		for (guint i = 0; i < 6; i += 2) {
			w[i] = consonants[g_rand_int_range(rand, 0, sizeof consonants - 1)];
			w[i + 1] = vowels[g_rand_int_range(rand, 0, sizeof vowels - 1)];
		}
		w[6] = '\0';
		if (!g_hash_table_contains(used, w)) {
			char *word = g_strdup(w);
			g_hash_table_add(used, word);
			return g_strdup(word);
		}
	}
}

static void title_free(gpointer p)
{
	title *t = p;
	g_free(t->file);
	g_free(t->query);
	g_free(t);
}

static title *title_new(GRand *rand, GHashTable *used, guint replicas, double weight)
{
	title *t = g_new0(title, 1);
	g_autofree char *a = made_up_word(rand, used);
	g_autofree char *b = made_up_word(rand, used);
	t->query = g_strdup_printf("%s %s", a, b);
	t->file = g_strdup_printf("%s.txt", t->query);
	t->replicas = replicas;
	t->single = replicas == 1;
	t->weight = weight;
	return t;
}

/* Puts t's copies on distinct random servents. */
static void place_title(network_plan *p, GRand *rand, guint index)
{
	const title *t = g_ptr_array_index(p->titles, index);
	g_autofree gboolean *has = g_new0(gboolean, p->n);
	for (guint placed = 0; placed < t->replicas;) {
		guint s = (guint)g_rand_int_range(rand, 0, (gint32)p->n);
		if (has[s])
			continue;
		has[s] = TRUE;
		g_ptr_array_add(p->shares[s], GUINT_TO_POINTER(index));
		placed++;
	}
}

static void plan_files(network_plan *p, GRand *rand)
{
	g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p->titles = g_ptr_array_new_with_free_func(title_free);
	guint n_each = MAX(p->n / 4, 1);
	for (guint i = 0; i < n_each; i++)
		g_ptr_array_add(p->titles, title_new(rand, used, 1, 0));
	for (guint rank = 1; rank <= n_each; rank++) {
		guint copies = MAX(2, p->n / 10 / rank);
		g_ptr_array_add(p->titles, title_new(rand, used, MIN(copies, p->n), 1.0 / rank));
	}
	p->shares = g_new0(GPtrArray *, p->n);
	for (guint s = 0; s < p->n; s++)
		p->shares[s] = g_ptr_array_new();
	for (guint i = 0; i < p->titles->len; i++)
		place_title(p, rand, i);
}

static gboolean is_ultrapeer(guint s)
{
	return s % ULTRAPEER_EVERY == 0;
}

static guint ups_per_leaf(const network_plan *p)
{
	return MIN(LEAF_ULTRAPEERS, p->n_up);
}

/* Distinct offsets in [1, (n_up - 1) / 2]: each gives every ultrapeer two
 * links (to u + o and from u - o), so the degree is twice their number. */
static void plan_ultrapeer_graph(network_plan *p, GRand *rand)
{
	guint max_offset = (p->n_up - 1) / 2;
	p->n_up_offsets = MIN(ULTRAPEER_DEGREE / 2, max_offset);
	p->up_offsets = g_new0(guint, MAX(p->n_up_offsets, 1));
	g_autofree gboolean *taken = g_new0(gboolean, max_offset + 1);
	for (guint i = 0; i < p->n_up_offsets;) {
		guint o = (guint)g_rand_int_range(rand, 1, (gint32)max_offset + 1);
		if (taken[o])
			continue;
		taken[o] = TRUE;
		p->up_offsets[i++] = o;
	}
	p->degree = 2 * p->n_up_offsets;
}

/* Each leaf's ultrapeers: distinct, at random. */
static void plan_leaves(network_plan *p, GRand *rand)
{
	p->leaf_ups = g_malloc0_n(p->n, sizeof *p->leaf_ups);
	guint per_leaf = ups_per_leaf(p);
	for (guint s = 0; s < p->n; s++) {
		if (is_ultrapeer(s))
			continue;
		for (guint k = 0; k < per_leaf;) {
			guint u = (guint)g_rand_int_range(rand, 0, (gint32)p->n_up);
			gboolean dup = FALSE;
			for (guint j = 0; j < k; j++)
				dup = dup || p->leaf_ups[s][j] == u;
			if (!dup)
				p->leaf_ups[s][k++] = u;
		}
	}
}

static guint pick_popular(const network_plan *p, GRand *rand)
{
	double total = 0;
	for (guint i = 0; i < p->titles->len; i++)
		total += ((const title *)g_ptr_array_index(p->titles, i))->weight;
	double x = g_rand_double(rand) * total;
	for (guint i = 0; i < p->titles->len; i++) {
		const title *t = g_ptr_array_index(p->titles, i);
		if (x < t->weight)
			return i;
		x -= t->weight;
	}
	return p->titles->len - 1;
}

static void plan_queries(network_plan *p, GRand *rand)
{
	p->plans = g_array_new(FALSE, FALSE, sizeof(query_plan));
	guint n_single = MAX(p->n / 4, 1);
	for (gint i = 0; i < opt.queries; i++) {
		query_plan q;
		do
			q.leaf = (guint)g_rand_int_range(rand, 0, (gint32)p->n);
		while (is_ultrapeer(q.leaf));
		if (g_rand_double(rand) < SINGLE_SHARE)
			q.title = (guint)g_rand_int_range(rand, 0, (gint32)n_single);
		else
			q.title = pick_popular(p, rand);
		g_array_append_val(p->plans, q);
	}
}

static void plan_init(network_plan *p)
{
	memset(p, 0, sizeof *p);
	p->n = (guint)opt.servents;
	p->n_up = (p->n + ULTRAPEER_EVERY - 1) / ULTRAPEER_EVERY;
	g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)opt.seed);
	plan_files(p, rand);
	plan_ultrapeer_graph(p, rand);
	plan_leaves(p, rand);
	plan_queries(p, rand);
}

static void plan_clear(network_plan *p)
{
	for (guint s = 0; s < p->n; s++)
		g_ptr_array_unref(p->shares[s]);
	g_free(p->shares);
	g_ptr_array_unref(p->titles);
	g_array_unref(p->plans);
	g_free(p->up_offsets);
	g_free(p->leaf_ups);
}

/* ---- the servents ---- */

typedef struct {
	network_plan *plan;
	const char *dir; /* this mode's folder */
	gnut_servent **s;
	char **addr; /* "127.20.x.y:port" once started */
	gboolean flood;
} network;

static gboolean write_share(network *net, guint i, const char *share, GError **error)
{
	if (g_mkdir_with_parents(share, 0700) < 0)
		return soak_fail_errno(error, share);
	GPtrArray *mine = net->plan->shares[i];
	for (guint k = 0; k < mine->len; k++) {
		const title *t = g_ptr_array_index(net->plan->titles,
		                                   GPOINTER_TO_UINT(g_ptr_array_index(mine, k)));
		g_autofree char *path = g_build_filename(share, t->file, NULL);
		g_autofree char *body = g_strdup_printf("%s\n", t->query);
		if (!g_file_set_contents(path, body, -1, error))
			return FALSE;
	}
	return TRUE;
}

static gnut_servent *servent_start(network *net, guint i, GError **error)
{
	g_autofree char *base = g_strdup_printf("%s/s%04u", net->dir, i);
	g_autofree char *data = g_build_filename(base, "data", NULL);
	g_autofree char *share = g_build_filename(base, "share", NULL);
	if (!write_share(net, i, share, error))
		return NULL;
	g_autofree char *listen = g_strdup_printf("127.20.%u.%u:0", (i + 1) >> 8, (i + 1) & 255);
	const char *shares[] = {share, NULL};
	gnut_servent_config c = {
	    .data_dir = data,
	    .listen = listen,
	    .shares = shares,
	    .ultrapeer = is_ultrapeer(i),
	    .no_bootstrap = TRUE,
	    .no_tls = TRUE,
	    .no_compression = TRUE,
	    .max_ultrapeers = ULTRAPEER_DEGREE + 2,
	    /* every link comes from 127.0.0.1: no per-address caps */
	    .per_ip_pending = GNUT_IP_ADMIT_UNLIMITED,
	    .per_ip_handshakes = GNUT_IP_ADMIT_UNLIMITED,
	    .reconnect_burst = GNUT_IP_ADMIT_UNLIMITED,
	    .max_links_per_ip = GNUT_IP_ADMIT_UNLIMITED,
	    .leaf_query_rate = 100,
	    .ultrapeer_query_rate = 10000,
	    .flood_queries = net->flood,
	};
	gnut_servent *s = gnut_servent_new(&c, NULL, error);
	if (s != NULL && !gnut_servent_start(s, error))
		g_clear_pointer(&s, gnut_servent_free);
	if (s != NULL)
		net->addr[i] = g_strdup_printf("127.20.%u.%u:%u", (i + 1) >> 8, (i + 1) & 255,
		                               gnut_servent_port(s));
	return s;
}

static gboolean wake(gpointer flag)
{
	*(gboolean *)flag = TRUE;
	return G_SOURCE_REMOVE;
}

/* Runs the main loop for ms milliseconds. */
static void run_for(guint ms)
{
	gboolean done = FALSE;
	g_timeout_add(ms, wake, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

/* Runs the main loop until cond holds (checked every POLL_MS) or timeout_ms. */
static gboolean run_until(gboolean (*cond)(network *), network *net, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!cond(net)) {
		if (g_get_monotonic_time() >= deadline)
			return FALSE;
		run_for(POLL_MS);
	}
	return TRUE;
}

static gboolean shares_scanned(network *net)
{
	for (guint i = 0; i < net->plan->n; i++) {
		gnut_status_info st;
		gnut_servent_status(net->s[i], &st);
		if (st.shared_files != net->plan->shares[i]->len)
			return FALSE;
	}
	return TRUE;
}

static guint leaves_of(const network_plan *p, guint up)
{
	guint n = 0;
	for (guint s = 0; s < p->n; s++)
		for (guint k = 0; k < ups_per_leaf(p) && !is_ultrapeer(s); k++)
			n += p->leaf_ups[s][k] == up;
	return n;
}

/* Every servent has its links and each link's QRP table reached the
 * ultrapeer (with_ups: the ultrapeer links too). */
/* How many servents lack links, or (ultrapeers) their links' tables. */
static guint servents_short(network *net, gboolean with_ups)
{
	const network_plan *p = net->plan;
	guint n = 0;
	for (guint i = 0; i < p->n; i++) {
		gnut_status_info st;
		gnut_servent_status(net->s[i], &st);
		guint want = ups_per_leaf(p);
		if (is_ultrapeer(i))
			want = leaves_of(p, i / ULTRAPEER_EVERY) + (with_ups ? p->degree : 0);
		if (st.peers < want ||
		    (is_ultrapeer(i) && st.qrp_slots_held != (guint64)st.peers * QRP_TABLE_SLOTS))
			n++;
	}
	return n;
}

static gboolean links_and_tables(network *net, gboolean with_ups)
{
	return servents_short(net, with_ups) == 0;
}

static gboolean leaves_up(network *net)
{
	return links_and_tables(net, FALSE);
}

static gboolean all_up(network *net)
{
	return links_and_tables(net, TRUE);
}

static void dial(network *net, guint from, guint to)
{
	g_autoptr(GError) error = NULL;
	if (!gnut_servent_connect(net->s[from], net->addr[to], &error))
		g_printerr("bench-network: servent %u cannot dial %s: %s\n", from, net->addr[to],
		           error->message);
}

static gboolean timed_out(GError **error, const char *what, guint ms)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s in %u s", what, ms / 1000);
	return FALSE;
}

/* Is from's outgoing link to `to` up? (Seen from the dialling side, where
 * the peer's address is its listening one.) */
static gboolean linked_to(network *net, guint from, guint to)
{
	g_autoptr(GPtrArray) peers = gnut_servent_peers(net->s[from]);
	g_autofree char *want = g_strdup(net->addr[to]);
	for (guint i = 0; i < peers->len; i++) {
		const gnut_peer_info *pi = g_ptr_array_index(peers, i);
		g_autofree char *addr = g_strdup_printf("%s:%u", pi->host, pi->port);
		if (strcmp(addr, want) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Dials the planned links that are not up: the leaves' (with_ups: the
 * ultrapeers' too). A busy machine lets some handshakes time out. */
static void dial_missing(network *net, gboolean with_ups)
{
	const network_plan *p = net->plan;
	for (guint s = 0; s < p->n; s++)
		for (guint k = 0; k < ups_per_leaf(p) && !is_ultrapeer(s); k++)
			if (!linked_to(net, s, p->leaf_ups[s][k] * ULTRAPEER_EVERY))
				dial(net, s, p->leaf_ups[s][k] * ULTRAPEER_EVERY);
	for (guint u = 0; u < p->n_up && with_ups; u++)
		for (guint k = 0; k < p->n_up_offsets; k++) {
			guint to = ((u + p->up_offsets[k]) % p->n_up) * ULTRAPEER_EVERY;
			if (!linked_to(net, u * ULTRAPEER_EVERY, to))
				dial(net, u * ULTRAPEER_EVERY, to);
		}
}

/* Dials what is missing until cond holds, SETUP_ROUNDS times at most. */
static gboolean links_until(network *net, gboolean with_ups, gboolean (*cond)(network *),
                            const char *what, GError **error)
{
	for (guint round = 0; round < SETUP_ROUNDS; round++) {
		dial_missing(net, with_ups);
		if (run_until(cond, net, SETUP_TIMEOUT_MS / SETUP_ROUNDS))
			return TRUE;
	}
	g_printerr("bench-network: %u servents short of links or tables\n",
	           servents_short(net, with_ups));
	return timed_out(error, what, SETUP_TIMEOUT_MS);
}

/* Shares first, then the leaves' links (their tables reach the
 * ultrapeers), then the ultrapeers' links: the aggregate tables they
 * exchange on meeting hold every leaf's. */
static gboolean network_build(network *net, GError **error)
{
	const network_plan *p = net->plan;
	for (guint i = 0; i < p->n; i++)
		if ((net->s[i] = servent_start(net, i, error)) == NULL)
			return FALSE;
	if (!run_until(shares_scanned, net, SETUP_TIMEOUT_MS))
		return timed_out(error, "shares not scanned", SETUP_TIMEOUT_MS);
	if (!links_until(net, FALSE, leaves_up, "leaf links or tables not up", error) ||
	    !links_until(net, TRUE, all_up, "ultrapeer links or tables not up", error))
		return FALSE;
	run_for(SETTLE_MS);
	return TRUE;
}

static void network_free(network *net)
{
	for (guint i = 0; i < net->plan->n; i++) {
		if (net->s[i] != NULL)
			gnut_servent_free(net->s[i]);
		g_free(net->addr[i]);
	}
	g_free(net->s);
	g_free(net->addr);
}

/* ---- the queries ---- */

typedef struct {
	guint64 search; /* 0: not started or over */
	guint64 last_hit;
	gint64 started_us;
	gboolean found;
} query_state;

static guint64 traffic_total(const traffic *t)
{
	return t->queries + t->hits + t->status + t->oob_hits;
}

/* Sums every servent's counters into t; returns the total. */
static guint64 traffic_now(network *net, traffic *t)
{
	memset(t, 0, sizeof *t);
	for (guint i = 0; i < net->plan->n; i++) {
		gnut_servent_counters c;
		gnut_servent_counters_get(net->s[i], &c);
		gnut_status_info st;
		gnut_servent_status(net->s[i], &st);
		t->queries += c.routing.queries_sent;
		t->hits += c.routing.hits_sent;
		t->status += c.routing.query_status_sent;
		t->oob_hits += st.oob_hits_sent;
	}
	return traffic_total(t);
}

/* Looks at a running query's new hits; stops it once found or too old. */
static void query_poll(network *net, const query_plan *plan, query_state *q, gint64 now)
{
	gnut_servent *leaf = net->s[plan->leaf];
	const title *t = g_ptr_array_index(net->plan->titles, plan->title);
	g_autoptr(GPtrArray) hits = gnut_servent_search_hits(leaf, q->search, q->last_hit, NULL);
	for (guint i = 0; hits != NULL && i < hits->len; i++) {
		const gnut_hit_info *h = g_ptr_array_index(hits, i);
		q->last_hit = h->id;
		q->found = q->found || strcmp(h->name, t->file) == 0;
	}
	if (q->found || now - q->started_us >= (gint64)opt.query_time_s * G_USEC_PER_SEC) {
		gnut_servent_search_stop(leaf, q->search);
		q->search = 0;
	}
}

/* Starts the queries at opt.rate a second at most, opt.parallel at once at
 * most (the servents share one thread: a flood's work delays every other
 * query's, and a search stopped after --query-time by a late machine would
 * count as not found); polls the running ones until
 * every one is over. */
static void queries_run(network *net, query_state *qs)
{
	const GArray *plans = net->plan->plans;
	gint64 next_start = g_get_monotonic_time();
	guint started = 0, running = 0;
	while (started < plans->len || running > 0) {
		gint64 now = g_get_monotonic_time();
		while (started < plans->len && now >= next_start && running < (guint)opt.parallel) {
			next_start = now + (gint64)(G_USEC_PER_SEC / opt.rate);
			const query_plan *plan = &g_array_index(plans, query_plan, started);
			const title *t = g_ptr_array_index(net->plan->titles, plan->title);
			query_state *q = &qs[started++];
			q->started_us = now;
			q->search = gnut_servent_search_start(net->s[plan->leaf], t->query, NULL);
			running += q->search != 0;
		}
		for (guint i = 0; i < started; i++)
			if (qs[i].search != 0) {
				query_poll(net, &g_array_index(plans, query_plan, i), &qs[i], now);
				running -= qs[i].search == 0;
			}
		run_for(POLL_MS);
	}
}

/* Runs until the message counters stay still for DRAIN_QUIET_MS. */
static void drain(network *net)
{
	traffic t;
	guint64 last = traffic_now(net, &t);
	gint64 quiet_since = g_get_monotonic_time();
	gint64 deadline = quiet_since + (gint64)DRAIN_TIMEOUT_MS * 1000;
	while (g_get_monotonic_time() - quiet_since < (gint64)DRAIN_QUIET_MS * 1000 &&
	       g_get_monotonic_time() < deadline) {
		run_for(POLL_MS * 5);
		guint64 now = traffic_now(net, &t);
		if (now != last)
			quiet_since = g_get_monotonic_time();
		last = now;
	}
}

static gboolean mode_run(network_plan *plan, gboolean flood, mode_result *out, GError **error)
{
	memset(out, 0, sizeof *out);
	g_autofree char *dir = g_build_filename(plan->top, flood ? "flood" : "routed", NULL);
	network net = {
	    .plan = plan,
	    .dir = dir,
	    .s = g_new0(gnut_servent *, plan->n),
	    .addr = g_new0(char *, plan->n),
	    .flood = flood,
	};
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = network_build(&net, error);
	if (ok) {
		traffic before, after;
		traffic_now(&net, &before);
		g_autofree query_state *qs = g_new0(query_state, plan->plans->len);
		queries_run(&net, qs);
		drain(&net);
		traffic_now(&net, &after);
		for (guint i = 0; i < plan->plans->len; i++) {
			const query_plan *qp = &g_array_index(plan->plans, query_plan, i);
			gboolean single =
			    ((const title *)g_ptr_array_index(plan->titles, qp->title))->single;
			out->found += qs[i].found;
			out->single += single;
			out->single_found += single && qs[i].found;
		}
		out->sent.queries = after.queries - before.queries;
		out->sent.hits = after.hits - before.hits;
		out->sent.status = after.status - before.status;
		out->sent.oob_hits = after.oob_hits - before.oob_hits;
	}
	network_free(&net);
	soak_remove_tree(dir);
	out->seconds = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	return ok;
}

/* ---- report ---- */

static double per_query(const mode_result *r)
{
	return (double)traffic_total(&r->sent) / MAX(opt.queries, 1);
}

static void print_mode(const char *name, const mode_result *r, const mode_result *flood)
{
	printf(
	    "%s: found %.1f%% (single-replica %.1f%%), messages per query %.0f, %.1f%% of flood\n",
	    name, 100.0 * r->found / MAX(opt.queries, 1),
	    100.0 * r->single_found / MAX(r->single, 1), per_query(r),
	    100.0 * per_query(r) / MAX(per_query(flood), 1e-9));
	double q = MAX(opt.queries, 1);
	printf("  (%s: a query %.1f queries, %.1f hits, %.1f query status, %.1f hits out of "
	       "band; %.0f s with the network's set-up)\n",
	       name, r->sent.queries / q, r->sent.hits / q, r->sent.status / q,
	       r->sent.oob_hits / q, r->seconds);
}

static void print_network(const network_plan *p)
{
	guint files = 0, singles = 0, single_queries = 0;
	for (guint s = 0; s < p->n; s++)
		files += p->shares[s]->len;
	for (guint i = 0; i < p->titles->len; i++)
		singles += ((const title *)g_ptr_array_index(p->titles, i))->single;
	for (guint i = 0; i < p->plans->len; i++)
		single_queries += ((const title *)g_ptr_array_index(
		                       p->titles, g_array_index(p->plans, query_plan, i).title))
		                      ->single;
	printf("servents: N = %u (%u ultrapeers with %u ultrapeer links each, %u leaves with %u "
	       "ultrapeers), one process\n",
	       p->n, p->n_up, p->degree, p->n - p->n_up, ups_per_leaf(p));
	printf("files: %u titles (%u single-replica), %u shared files; queries: %u (%u for "
	       "single-replica titles), %.0f/s and %d at once at most, at most %d s each; seed "
	       "%" G_GINT64_FORMAT "\n",
	       p->titles->len, singles, files, p->plans->len, single_queries, opt.rate,
	       opt.parallel, opt.query_time_s, opt.seed);
}

static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                     gpointer data)
{
	(void)data;
	if (!opt.verbose && (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, NULL);
}

static gboolean parse_options(int argc, char **argv)
{
	GOptionEntry entries[] = {
	    {"servents", 0, 0, G_OPTION_ARG_INT, &opt.servents, "servents in the network (1000)",
	     "N"},
	    {"queries", 0, 0, G_OPTION_ARG_INT, &opt.queries, "queries per mode (300)", "Q"},
	    {"seed", 0, 0, G_OPTION_ARG_INT64, &opt.seed, "random seed (1)", "S"},
	    {"query-time", 0, 0, G_OPTION_ARG_INT, &opt.query_time_s,
	     "seconds before an unfound search is stopped (30)", "S"},
	    {"rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt.rate, "queries started a second (10)", "R"},
	    {"parallel", 0, 0, G_OPTION_ARG_INT, &opt.parallel,
	     "queries running at once at most (10)", "P"},
	    {"flood-only", 0, 0, G_OPTION_ARG_NONE, &opt.flood_only, "the flood mode only", NULL},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose, "the servents' log too", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- searches in a network of servents");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) error = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("bench-network: %s\n", error->message);
		return FALSE;
	}
	if (opt.servents < 2 * ULTRAPEER_EVERY || opt.queries < 1 || opt.query_time_s < 1 ||
	    opt.parallel < 1 || opt.rate <= 0) {
		g_printerr("bench-network: needs --servents >= %d, --queries, --query-time and "
		           "--rate > 0\n",
		           2 * ULTRAPEER_EVERY);
		return FALSE;
	}
	return TRUE;
}

int main(int argc, char **argv)
{
	if (!parse_options(argc, argv))
		return 2;
	g_log_set_writer_func(quiet_writer, NULL, NULL);
	struct rlimit old;
	soak_raise_nofile(&old);
	network_plan plan;
	plan_init(&plan);
	g_autoptr(GError) error = NULL;
	plan.top = g_dir_make_tmp("bench-network-XXXXXX", &error);
	if (plan.top == NULL) {
		g_printerr("bench-network: %s\n", error->message);
		return 1;
	}
	soak_print_machine();
	print_network(&plan);
	fflush(stdout);
	mode_result flood, routed;
	gboolean ok = mode_run(&plan, TRUE, &flood, &error) &&
	              (opt.flood_only || mode_run(&plan, FALSE, &routed, &error));
	if (ok) {
		if (!opt.flood_only)
			print_mode("routed", &routed, &flood);
		print_mode("flood", &flood, &flood);
	} else {
		g_printerr("bench-network: %s\n", error->message);
	}
	soak_remove_tree(plan.top);
	g_free(plan.top);
	plan_clear(&plan);
	return ok ? 0 : 1;
}
