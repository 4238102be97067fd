/* ctl-metrics.c: the servent's counters in the Prometheus text exposition
 * format (version 0.0.4): for each metric a "# HELP" and a "# TYPE" line,
 * then "name{label="value"} number" samples. Every name starts with gnutd_;
 * counters end in _total and only grow while the daemon runs; gauges are
 * what is true now. */
#include <string.h>

#include "gnut/ctl/ctl-server.h"

/* One metric's HELP and TYPE lines. */
static void header(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(GString *out, const char *name, const char *labels, guint64 value)
{
	g_string_append_printf(out, "%s%s%s%s %" G_GUINT64_FORMAT "\n", name, labels ? "{" : "",
	                       labels ? labels : "", labels ? "}" : "", value);
}

static void single(GString *out, const char *name, const char *type, const char *help,
                   guint64 value)
{
	header(out, name, type, help);
	sample(out, name, NULL, value);
}

/* Links up now by the peer's mode (ultrapeer, leaf, other). */
static void links_by_mode(GString *out, gnut_servent *s)
{
	g_autoptr(GPtrArray) peers = gnut_servent_peers(s);
	guint64 ultrapeers = 0, leaves = 0, others = 0;
	for (guint i = 0; i < peers->len; i++) {
		const gnut_peer_info *p = g_ptr_array_index(peers, i);
		if (g_strcmp0(p->mode, "ultrapeer") == 0)
			ultrapeers++;
		else if (g_strcmp0(p->mode, "leaf") == 0)
			leaves++;
		else
			others++;
	}
	header(out, "gnutd_links", "gauge", "Gnutella links up now, by the peer's mode.");
	sample(out, "gnutd_links", "mode=\"ultrapeer\"", ultrapeers);
	sample(out, "gnutd_links", "mode=\"leaf\"", leaves);
	sample(out, "gnutd_links", "mode=\"other\"", others);
}

/* Downloads by state: every state is listed, 0 included, so that a
 * dashboard's series never vanish. */
static void downloads_by_state(GString *out, gnut_servent *s)
{
	static const char *const states[] = {"queued",   "connecting", "downloading", "verifying",
	                                     "complete", "failed",     "cancelled",   NULL};
	guint64 counts[G_N_ELEMENTS(states)] = {0};
	g_autoptr(GPtrArray) downloads = gnut_servent_downloads(s);
	for (guint i = 0; i < downloads->len; i++) {
		const gnut_download_info *d = g_ptr_array_index(downloads, i);
		gsize k = 0;
		while (states[k] != NULL && g_strcmp0(states[k], d->state) != 0)
			k++;
		counts[k]++; /* an unknown state counts as "other" */
	}
	header(out, "gnutd_downloads", "gauge", "Downloads in the list, by state.");
	for (gsize k = 0; k < G_N_ELEMENTS(states); k++) {
		g_autofree char *label =
		    g_strdup_printf("state=\"%s\"", states[k] ? states[k] : "other");
		sample(out, "gnutd_downloads", label, counts[k]);
	}
}

static void uploads(GString *out, const gnut_uploads_stats *u)
{
	header(out, "gnutd_uploads", "gauge", "Upload slots, by state.");
	sample(out, "gnutd_uploads", "state=\"active\"", u->active);
	sample(out, "gnutd_uploads", "state=\"free\"",
	       u->slots > u->active ? u->slots - u->active : 0);
	single(out, "gnutd_upload_connections", "gauge", "HTTP connections held for uploads now.",
	       u->connections);
	header(out, "gnutd_upload_requests_total", "counter",
	       "Upload requests answered, by outcome.");
	sample(out, "gnutd_upload_requests_total", "outcome=\"completed\"", u->uploads_done);
	sample(out, "gnutd_upload_requests_total", "outcome=\"busy\"", u->refused_busy);
	sample(out, "gnutd_upload_requests_total", "outcome=\"per_ip_cap\"", u->refused_per_ip);
	sample(out, "gnutd_upload_requests_total", "outcome=\"not_found\"", u->not_found);
	sample(out, "gnutd_upload_requests_total", "outcome=\"stale\"", u->stale);
	sample(out, "gnutd_upload_requests_total", "outcome=\"error\"", u->errors);
	single(out, "gnutd_upload_requests_seen_total", "counter", "Upload request heads answered.",
	       u->requests);
}

static void messages(GString *out, const gnut_servent_counters *c)
{
	header(out, "gnutd_link_messages_total", "counter",
	       "Gnutella messages on the links up now, by direction (received, sent, dropped).");
	sample(out, "gnutd_link_messages_total", "direction=\"received\"", c->link_msgs_in);
	sample(out, "gnutd_link_messages_total", "direction=\"sent\"", c->link_msgs_out);
	sample(out, "gnutd_link_messages_total", "direction=\"dropped\"", c->link_msgs_dropped);
	header(out, "gnutd_link_bytes_total", "counter",
	       "Bytes on the links up now (compressed when deflating).");
	sample(out, "gnutd_link_bytes_total", "direction=\"in\"", c->link_bytes_in);
	sample(out, "gnutd_link_bytes_total", "direction=\"out\"", c->link_bytes_out);
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
	header(out, "gnutd_queries_skipped_total", "counter",
	       "Queries kept from links by their QRP table, by the link's role.");
	sample(out, "gnutd_queries_skipped_total", "role=\"leaf\"", r->qrp_skipped_leaves);
	sample(out, "gnutd_queries_skipped_total", "role=\"ultrapeer\"", r->qrp_skipped_ultrapeers);
}

/* Every time a cap on what peers make us do was hit, by cap. */
static void caps(GString *out, const gnut_servent_counters *c)
{
	const gnut_routing_stats *r = &c->routing;
	header(out, "gnutd_caps_hit_total", "counter",
	       "Times a cap on what peers can make us do was hit, by cap.");
	sample(out, "gnutd_caps_hit_total", "cap=\"query_budget\"", r->queries_over_budget);
	sample(out, "gnutd_caps_hit_total", "cap=\"flooding\"", r->links_flooding);
	sample(out, "gnutd_caps_hit_total", "cap=\"leaf_queries\"", r->leaf_queries_refused);
	sample(out, "gnutd_caps_hit_total", "cap=\"hits_share\"", r->hits_over_share);
	sample(out, "gnutd_caps_hit_total", "cap=\"qrp_table_size\"", r->qrp_tables_refused);
	sample(out, "gnutd_caps_hit_total", "cap=\"handshakes\"", c->handshakes_refused);
	sample(out, "gnutd_caps_hit_total", "cap=\"role_full\"", c->links_refused_full);
	single(out, "gnutd_hops_flows_sent_total", "counter", "Hops Flow messages we sent.",
	       r->hops_flows_sent);
}

static void status(GString *out, const gnut_status_info *st)
{
	single(out, "gnutd_uptime_seconds", "gauge", "Seconds since the servent started.",
	       (guint64)MAX(st->uptime, 0));
	single(out, "gnutd_shared_files", "gauge", "Files shared.", st->shared_files);
	header(out, "gnutd_transfer_bytes_total", "counter",
	       "File bytes uploaded and downloaded, by direction.");
	sample(out, "gnutd_transfer_bytes_total", "direction=\"up\"", st->bytes_up);
	sample(out, "gnutd_transfer_bytes_total", "direction=\"down\"", st->bytes_down);
	header(out, "gnutd_oob_hits_total", "counter", "Out-of-band query hits, by fate.");
	sample(out, "gnutd_oob_hits_total", "fate=\"received\"", st->oob_hits_received);
	sample(out, "gnutd_oob_hits_total", "fate=\"dropped\"", st->oob_hits_dropped);
	sample(out, "gnutd_oob_hits_total", "fate=\"sent\"", st->oob_hits_sent);
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
	g_string_append_printf(out,
	                       "# HELP gnutd_info The running gnutd.\n# TYPE gnutd_info gauge\n"
	                       "gnutd_info{version=\"%s\",mode=\"%s\"} 1\n",
	                       st.version, st.mode);
	status(out, &st);
	links_by_mode(out, s);
	messages(out, &c);
	caps(out, &c);
	uploads(out, &c.uploads);
	downloads_by_state(out, s);
	return out;
}
