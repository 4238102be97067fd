/* ctl-metrics.c: the servent's counters in the Prometheus text exposition
 * format (version 0.0.4): for each metric a "# HELP" and a "# TYPE" line,
 * then "name{label="value"} number" samples. Every name starts with gnutd_;
 * counters end in _total and only grow while the daemon runs; gauges are
 * what is true now. A labelled metric lists every label value, 0 included,
 * so that a dashboard's series never vanish. */
#include <string.h>

#include "gnut/ctl/ctl-server.h"

/* One sample of a labelled metric: the label's value and the number. */
typedef struct {
	const char *label;
	guint64 value;
} metric_sample;

static void header(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric without labels. */
static void single(GString *out, const char *name, const char *type, const char *help,
                   guint64 value)
{
	header(out, name, type, help);
	g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

/* A metric with one label, key, taking each value of samples. */
static void family(GString *out, const char *name, const char *type, const char *help,
                   const char *key, const metric_sample *samples, gsize n)
{
	header(out, name, type, help);
	for (gsize i = 0; i < n; i++)
		g_string_append_printf(out, "%s{%s=\"%s\"} %" G_GUINT64_FORMAT "\n", name, key,
		                       samples[i].label, samples[i].value);
}

#define FAMILY(out, name, type, help, key, samples)                                                \
	family(out, name, type, help, key, samples, G_N_ELEMENTS(samples))

/* Counts one more of label in samples, whose last entry ("other") takes
 * what no other names. */
static void count_label(metric_sample *samples, gsize n, const char *label)
{
	gsize k = 0;
	while (k + 1 < n && g_strcmp0(samples[k].label, label) != 0)
		k++;
	samples[k].value++;
}

/* Links up now by the peer's mode (ultrapeer, leaf, other). */
static void links_by_mode(GString *out, gnut_servent *s)
{
	g_autoptr(GPtrArray) peers = gnut_servent_peers(s);
	metric_sample modes[] = {{"ultrapeer", 0}, {"leaf", 0}, {"other", 0}};
	for (guint i = 0; i < peers->len; i++) {
		const gnut_peer_info *p = g_ptr_array_index(peers, i);
		count_label(modes, G_N_ELEMENTS(modes), p->mode);
	}
	FAMILY(out, "gnutd_links", "gauge", "Gnutella links up now, by the peer's mode.", "mode",
	       modes);
}

static void downloads_by_state(GString *out, gnut_servent *s)
{
	metric_sample states[] = {{"queued", 0},    {"connecting", 0}, {"downloading", 0},
	                          {"verifying", 0}, {"complete", 0},   {"failed", 0},
	                          {"cancelled", 0}, {"other", 0}};
	g_autoptr(GPtrArray) downloads = gnut_servent_downloads(s);
	for (guint i = 0; i < downloads->len; i++) {
		const gnut_download_info *d = g_ptr_array_index(downloads, i);
		count_label(states, G_N_ELEMENTS(states), d->state);
	}
	FAMILY(out, "gnutd_downloads", "gauge", "Downloads in the list, by state.", "state",
	       states);
}

static void uploads(GString *out, const gnut_uploads_stats *u)
{
	const metric_sample slots[] = {{"active", u->active},
	                               {"free", u->slots > u->active ? u->slots - u->active : 0}};
	FAMILY(out, "gnutd_uploads", "gauge", "Upload slots, by state.", "state", slots);
	single(out, "gnutd_upload_connections", "gauge", "HTTP connections held for uploads now.",
	       u->connections);
	const metric_sample outcomes[] = {{"completed", u->uploads_done},
	                                  {"busy", u->refused_busy},
	                                  {"per_ip_cap", u->refused_per_ip},
	                                  {"not_found", u->not_found},
	                                  {"stale", u->stale},
	                                  {"error", u->errors}};
	FAMILY(out, "gnutd_upload_requests_total", "counter",
	       "Upload requests answered, by outcome.", "outcome", outcomes);
	single(out, "gnutd_upload_requests_seen_total", "counter", "Upload request heads answered.",
	       u->requests);
	single(out, "gnutd_upload_queued", "gauge", "Upload requests waiting in the queue now.",
	       u->queued);
	const metric_sample left[] = {
	    {"served", u->queue_served}, {"expired", u->queue_expired}, {"early", u->queue_early}};
	FAMILY(out, "gnutd_upload_queue_left_total", "counter",
	       "Entries that left the upload queue, by why.", "reason", left);
}

static void messages(GString *out, const gnut_servent_counters *c)
{
	const metric_sample msgs[] = {{"received", c->link_msgs_in},
	                              {"sent", c->link_msgs_out},
	                              {"dropped", c->link_msgs_dropped}};
	FAMILY(out, "gnutd_link_messages_total", "counter",
	       "Gnutella messages on the links up now, by direction.", "direction", msgs);
	const metric_sample bytes[] = {{"in", c->link_bytes_in}, {"out", c->link_bytes_out}};
	FAMILY(out, "gnutd_link_bytes_total", "counter",
	       "Bytes on the links up now (compressed when deflating).", "direction", bytes);
	const gnut_routing_stats *r = &c->routing;
	single(out, "gnutd_messages_dropped_total", "counter",
	       "Messages the router dropped: no route, duplicates, full queues, flow control.",
	       r->dropped);
	single(out, "gnutd_queries_received_total", "counter",
	       "Queries delivered to us (duplicates not counted).", r->queries_received);
	single(out, "gnutd_queries_answered_total", "counter", "Queries our share had results for.",
	       r->queries_answered);
	single(out, "gnutd_query_results_sent_total", "counter",
	       "Results we answered queries with (over TCP or offered out of band).",
	       r->results_sent);
	single(out, "gnutd_hits_received_total", "counter", "Hits received for our searches.",
	       c->hits_received);
	const metric_sample skipped[] = {{"leaf", r->qrp_skipped_leaves},
	                                 {"ultrapeer", r->qrp_skipped_ultrapeers}};
	FAMILY(out, "gnutd_queries_skipped_total", "counter",
	       "Queries kept from links by their QRP table, by the link's role.", "role", skipped);
}

/* Every time a cap on what peers make us do was hit, by cap. */
static void caps(GString *out, const gnut_servent_counters *c)
{
	const gnut_routing_stats *r = &c->routing;
	const metric_sample hit[] = {
	    {"query_budget", r->queries_over_budget},  {"flooding", r->links_flooding},
	    {"leaf_queries", r->leaf_queries_refused}, {"hits_share", r->hits_over_share},
	    {"qrp_table_size", r->qrp_tables_refused}, {"handshakes", c->handshakes_refused},
	    {"role_full", c->links_refused_full}};
	FAMILY(out, "gnutd_caps_hit_total", "counter",
	       "Times a cap on what peers can make us do was hit, by cap.", "cap", hit);
	single(out, "gnutd_hops_flows_sent_total", "counter", "Hops Flow messages we sent.",
	       r->hops_flows_sent);
}

static void status(GString *out, const gnut_status_info *st)
{
	single(out, "gnutd_uptime_seconds", "gauge", "Seconds since the servent started.",
	       (guint64)MAX(st->uptime, 0));
	single(out, "gnutd_shared_files", "gauge", "Files shared.", st->shared_files);
	const metric_sample bytes[] = {{"up", st->bytes_up}, {"down", st->bytes_down}};
	FAMILY(out, "gnutd_transfer_bytes_total", "counter",
	       "File bytes uploaded and downloaded, by direction.", "direction", bytes);
	const metric_sample oob[] = {{"received", st->oob_hits_received},
	                             {"dropped", st->oob_hits_dropped},
	                             {"sent", st->oob_hits_sent}};
	FAMILY(out, "gnutd_oob_hits_total", "counter", "Out-of-band query hits, by fate.", "fate",
	       oob);
	single(out, "gnutd_push_proxy_requests_total", "counter",
	       "HTTP push-proxy requests for our leaves.", st->push_proxy_requests);
}

GString *gnut_ctl_metrics(gnut_servent *s)
{
	GString *out = g_string_sized_new(4096);
	gnut_status_info st = {0};
	gnut_servent_status(s, &st);
	gnut_servent_counters c;
	gnut_servent_counters_get(s, &c);
	header(out, "gnutd_info", "gauge", "The running gnutd.");
	g_string_append_printf(out, "gnutd_info{version=\"%s\",mode=\"%s\"} 1\n", st.version,
	                       st.mode);
	status(out, &st);
	links_by_mode(out, s);
	messages(out, &c);
	caps(out, &c);
	uploads(out, &c.uploads);
	downloads_by_state(out, s);
	return out;
}
