/* options.c: gnutd's settings from argv (GOptionContext) and gnutd.conf
 * (GKeyFile, group [gnutd]). Each source is read into a raw layer and
 * checked on its own, so that an error names where the bad value came from
 * ("--listen: ..." or "/path/gnutd.conf: listen: ..."); then the command
 * line layer is laid over the file's. */
#include <string.h>

#include "gnut/base/ip-admit.h"
#include "gnut/base/rate-limit.h"
#include "gnut/proto/address.h"
#include "gnut/core/hosts/seeds.h"
#include "gnut/core/links/links.h"
#include "gnut/core/routing/flow.h"
#include "gnut/core/routing/routing.h"
#include "gnut/core/transfer/upload-queue.h"
#include "gnut/ctl/ctl-protocol.h"
#include "gnut/net/tls.h"
#include "log.h"
#include "options.h"

GQuark gnut_options_error_quark(void)
{
	return g_quark_from_static_string("gnut-options-error-quark");
}

/* One source of settings; NULL / FALSE means "not set here". */
typedef struct {
	char *data_dir;
	char *download_dir;
	char *listen;
	char **shares;
	char **peers;
	char **uhc;
	char **gwc;
	gboolean ultrapeer;
	gboolean leaf;
	gboolean no_bootstrap;
	gboolean firewalled;
	gboolean no_compression;
	gboolean no_tls;
	char *upload_limit;
	char *download_limit;
	char *control;
	char *control_tls;
	char *control_cert;
	gboolean verbose;
	gboolean version;
	char *upload_slots;
	char *upload_slots_per_ip;
	char *upload_connections_per_ip;
	char *upload_queue;
	char *upload_queue_per_ip;
	char *download_sources;
	char *download_retry_max;
	char *share_partial;
	gboolean allow_private_peers;
	char *max_pending;
	char *max_handshakes;
	char *per_ip_pending;
	char *per_ip_handshakes;
	char *reconnect_limit;
	char *max_links_per_ip;
	char *leaf_query_rate;
	char *ultrapeer_query_rate;
	char *qrp_total_slots;
	char *max_ultrapeers;
	char *max_leaves;
	char *leaf_ultrapeers;
	char *want_ultrapeers;
	char *auto_uptime;
	char *auto_min_upload;
	char *auto_min_download;
	char *auto_hold;
	char *auto_leaf_alone;
	char *auto_few_leaves;
	char *auto_idle_ultrapeer;
	char *config;
	gboolean check_config;
	char *log_level;
} options_layer;

/* The caps gnutd(8) lists under LIMITS: a whole number (k and M suffixes
 * too) from 1 to max each. */
#define MAX_LINKS_PER_IP    65535
#define MAX_LINKS_OF_A_ROLE 65535
#define MAX_ROLE_SECONDS    (30 * 24 * 3600)              /* the role's delays: 30 days */
#define MAX_ROLE_RATE       (G_GUINT64_CONSTANT(1) << 40) /* its bandwidth floors */
static const struct {
	const char *key;
	gsize layer_offset; /* of the char * in options_layer */
	guint64 max;
} cap_keys[] = {
    {"max-links-per-ip", G_STRUCT_OFFSET(options_layer, max_links_per_ip), MAX_LINKS_PER_IP},
    {"leaf-query-rate", G_STRUCT_OFFSET(options_layer, leaf_query_rate), GNUT_FLOW_MAX_RATE},
    {"ultrapeer-query-rate", G_STRUCT_OFFSET(options_layer, ultrapeer_query_rate),
     GNUT_FLOW_MAX_RATE},
    {"qrp-total-slots", G_STRUCT_OFFSET(options_layer, qrp_total_slots),
     GNUT_ROUTING_QRP_MAX_TOTAL},
    {"max-ultrapeers", G_STRUCT_OFFSET(options_layer, max_ultrapeers), MAX_LINKS_OF_A_ROLE},
    {"max-leaves", G_STRUCT_OFFSET(options_layer, max_leaves), MAX_LINKS_OF_A_ROLE},
    {"leaf-ultrapeers", G_STRUCT_OFFSET(options_layer, leaf_ultrapeers), MAX_LINKS_OF_A_ROLE},
    {"want-ultrapeers", G_STRUCT_OFFSET(options_layer, want_ultrapeers), MAX_LINKS_OF_A_ROLE},
    {"auto-uptime", G_STRUCT_OFFSET(options_layer, auto_uptime), MAX_ROLE_SECONDS},
    {"auto-min-upload", G_STRUCT_OFFSET(options_layer, auto_min_upload), MAX_ROLE_RATE},
    {"auto-min-download", G_STRUCT_OFFSET(options_layer, auto_min_download), MAX_ROLE_RATE},
    {"auto-hold", G_STRUCT_OFFSET(options_layer, auto_hold), GNUT_ROLE_MAX_HOLD_S},
    {"auto-leaf-alone", G_STRUCT_OFFSET(options_layer, auto_leaf_alone), MAX_ROLE_SECONDS},
    {"auto-few-leaves", G_STRUCT_OFFSET(options_layer, auto_few_leaves), MAX_LINKS_OF_A_ROLE},
    {"auto-idle-ultrapeer", G_STRUCT_OFFSET(options_layer, auto_idle_ultrapeer), MAX_ROLE_SECONDS},
};

static char **cap_text(options_layer *l, gsize i)
{
	return G_STRUCT_MEMBER_P(l, cap_keys[i].layer_offset);
}

static void layer_clear(options_layer *l)
{
	g_free(l->data_dir);
	g_free(l->download_dir);
	g_free(l->listen);
	g_strfreev(l->shares);
	g_strfreev(l->peers);
	g_strfreev(l->uhc);
	g_strfreev(l->gwc);
	g_free(l->upload_limit);
	g_free(l->download_limit);
	g_free(l->control);
	g_free(l->control_tls);
	g_free(l->control_cert);
	g_free(l->upload_slots);
	g_free(l->upload_slots_per_ip);
	g_free(l->download_sources);
	g_free(l->download_retry_max);
	g_free(l->share_partial);
	g_free(l->upload_connections_per_ip);
	g_free(l->upload_queue);
	g_free(l->upload_queue_per_ip);
	g_free(l->max_pending);
	g_free(l->max_handshakes);
	g_free(l->per_ip_pending);
	g_free(l->per_ip_handshakes);
	g_free(l->reconnect_limit);
	g_free(l->config);
	g_free(l->log_level);
	for (gsize i = 0; i < G_N_ELEMENTS(cap_keys); i++)
		g_free(*cap_text(l, i));
	memset(l, 0, sizeof *l);
}

static gboolean fail(GError **error, const char *where, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Sets "WHERE: KEY: problem" (WHERE empty for the command line, where the
 * key is spelt --key). */
static gboolean fail(GError **error, const char *where, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *problem = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (where == NULL)
		g_set_error(error, GNUT_OPTIONS_ERROR, GNUT_OPTIONS_ERROR_INVALID, "--%s: %s", key,
		            problem);
	else
		g_set_error(error, GNUT_OPTIONS_ERROR, GNUT_OPTIONS_ERROR_INVALID, "%s: %s: %s",
		            where, key, problem);
	return FALSE;
}

static const char *const control_tls_names[] = {"off", "on", "auto"};

const char *gnut_options_control_tls_name(gnut_control_tls when)
{
	return control_tls_names[when];
}

gboolean gnut_options_parse_control_tls(const char *text, gnut_control_tls *out)
{
	for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(control_tls_names); i++)
		if (strcmp(text, control_tls_names[i]) == 0) {
			*out = (gnut_control_tls)i;
			return TRUE;
		}
	return FALSE;
}

gboolean gnut_options_parse_count(const char *text, guint min, guint *out)
{
	if (text == NULL || *text == '\0' || strlen(text) > 7)
		return FALSE;
	for (const char *p = text; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	guint64 v = g_ascii_strtoull(text, NULL, 10);
	if (v < min || v > GNUT_OPTIONS_MAX_COUNT)
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

/* The count options of a layer, by key, for checking them all alike. */
static gboolean check_counts(const options_layer *l, const char *where, GError **error)
{
	const struct {
		const char *key;
		const char *value;
	} counts[] = {
	    {"upload-slots", l->upload_slots},
	    {"upload-slots-per-ip", l->upload_slots_per_ip},
	    {"upload-connections-per-ip", l->upload_connections_per_ip},
	    {"upload-queue-per-ip", l->upload_queue_per_ip},
	    {"download-sources", l->download_sources},
	    {"download-retry-max", l->download_retry_max},
	};
	guint v;
	for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
		if (counts[i].value != NULL && !gnut_options_parse_count(counts[i].value, 1, &v))
			return fail(error, where, counts[i].key,
			            "\"%s\" is not a count from 1 to %u", counts[i].value,
			            GNUT_OPTIONS_MAX_COUNT);
	if (l->upload_queue != NULL &&
	    (!gnut_options_parse_count(l->upload_queue, 0, &v) || v > GNUT_UPLOAD_QUEUE_MAX_LENGTH))
		return fail(error, where, "upload-queue", "\"%s\" is not a count from 0 to %u",
		            l->upload_queue, GNUT_UPLOAD_QUEUE_MAX_LENGTH);
	return TRUE;
}

gboolean gnut_options_parse_bool(const char *text, gboolean *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (gsize i = 0; text != NULL && i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0 || g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = g_ascii_strcasecmp(text, yes[i]) == 0;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean gnut_options_parse_reconnect_limit(const char *text, guint *burst, guint *seconds)
{
	if (text != NULL && strcmp(text, "0") == 0) {
		*burst = GNUT_IP_ADMIT_UNLIMITED;
		*seconds = 0;
		return TRUE;
	}
	const char *slash = text ? strchr(text, '/') : NULL;
	if (slash == NULL)
		return FALSE;
	g_autofree char *b = g_strndup(text, (gsize)(slash - text));
	guint bv, sv;
	if (!gnut_options_parse_count(b, 1, &bv) || !gnut_options_parse_count(slash + 1, 1, &sv))
		return FALSE;
	*burst = bv;
	*seconds = sv;
	return TRUE;
}

/* Checks the admission values of one layer (see gnutd(8), CAPS). */
static gboolean check_admission(const options_layer *l, const char *where, GError **error)
{
	guint n, m;
	const struct {
		const char *key;
		const char *value;
		guint min;
	} counts[] = {
	    {"max-pending", l->max_pending, 1},
	    {"max-handshakes", l->max_handshakes, 1},
	    {"per-ip-pending", l->per_ip_pending, 0},
	    {"per-ip-handshakes", l->per_ip_handshakes, 0},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
		if (counts[i].value != NULL &&
		    !gnut_options_parse_count(counts[i].value, counts[i].min, &n))
			return fail(error, where, counts[i].key,
			            "\"%s\" is not a count from %u to %u", counts[i].value,
			            counts[i].min, GNUT_OPTIONS_MAX_COUNT);
	if (l->reconnect_limit != NULL &&
	    !gnut_options_parse_reconnect_limit(l->reconnect_limit, &n, &m))
		return fail(error, where, "reconnect-limit",
		            "\"%s\" is not BURST/SECONDS (e.g. 5/12), or 0 for no limit",
		            l->reconnect_limit);
	return TRUE;
}

/* "ADDR" or "ADDR:PORT" or "[v6]:PORT" with ADDR an IP literal. */
static gboolean valid_bind_address(const char *text)
{
	g_autoptr(GSocketConnectable) na = g_network_address_parse(text, 0, NULL);
	if (na == NULL)
		return FALSE;
	g_autoptr(GInetAddress) ip =
	    g_inet_address_new_from_string(g_network_address_get_hostname(G_NETWORK_ADDRESS(na)));
	return ip != NULL;
}

/* "HOST:PORT" with a port from 1 to 65535. */
/* HOST:PORT as the servent checks it (gnut_addr_parse_host_port, port
 * required), so that an option the servent would refuse is refused here,
 * naming its key. */
static gboolean valid_peer(const char *text)
{
	gnut_addr_host_port hp;
	return gnut_addr_parse_host_port(text, strlen(text), 0, &hp) == GNUT_PROTO_OK;
}

/* The user's bootstrap services: HOST:PORT or http:// URLs, literal
 * addresses allowed (a test's loopback cache), at most GNUT_SEEDS_MAX. */
static gboolean check_seeds(char **list, gnut_seed_kind kind, const char *where, const char *key,
                            GError **error)
{
	guint n = 0;
	for (char **p = list; p != NULL && *p != NULL; p++) {
		g_autoptr(GError) e = NULL;
		if (!gnut_seed_check(kind, *p, FALSE, &e))
			return fail(error, where, key, "%s", e->message);
		if (++n > GNUT_SEEDS_MAX)
			return fail(error, where, key, "more than %u entries", GNUT_SEEDS_MAX);
	}
	return TRUE;
}

/* Makes a folder name absolute against base (the working folder for the
 * command line, the data folder for gnutd.conf). */
static char *absolute(const char *path, const char *base)
{
	return g_canonicalize_filename(path, base);
}

/* Checks one layer's values; rewrites folders as absolute names. */
static gboolean layer_check(options_layer *l, const char *where, const char *base, GError **error)
{
	guint64 rate;
	if (l->ultrapeer && l->leaf)
		return fail(error, where, "ultrapeer", "conflicts with %s: choose one",
		            where ? "leaf" : "--leaf");
	if (l->listen != NULL && !valid_bind_address(l->listen))
		return fail(error, where, "listen", "\"%s\" is not ADDR:PORT (an IP address)",
		            l->listen);
	if (l->control != NULL && !valid_bind_address(l->control))
		return fail(error, where, "control", "\"%s\" is not ADDR:PORT (an IP address)",
		            l->control);
	gnut_control_tls tls;
	if (l->control_tls != NULL && !gnut_options_parse_control_tls(l->control_tls, &tls))
		return fail(error, where, "control-tls", "\"%s\" is not off, on or auto",
		            l->control_tls);
	gnut_log_level level;
	if (l->log_level != NULL && !gnut_log_level_parse(l->log_level, &level))
		return fail(error, where, "log-level", "\"%s\" is not " GNUT_LOG_LEVEL_NAMES,
		            l->log_level);
	if (l->upload_limit != NULL && !gnut_rate_limit_parse(l->upload_limit, &rate))
		return fail(error, where, "upload-limit",
		            "\"%s\" is not a rate (bytes per second, optional k or M suffix)",
		            l->upload_limit);
	if (l->download_limit != NULL && !gnut_rate_limit_parse(l->download_limit, &rate))
		return fail(error, where, "download-limit",
		            "\"%s\" is not a rate (bytes per second, optional k or M suffix)",
		            l->download_limit);
	if (!check_counts(l, where, error))
		return FALSE;
	gboolean yes;
	if (l->share_partial != NULL && !gnut_options_parse_bool(l->share_partial, &yes))
		return fail(error, where, "share-partial", "\"%s\" is not true or false",
		            l->share_partial);
	for (char **p = l->peers; p != NULL && *p != NULL; p++)
		if (!valid_peer(*p))
			return fail(error, where, "peer", "\"%s\" is not HOST:PORT", *p);
	if (!check_seeds(l->uhc, GNUT_SEED_UHC, where, "uhc", error) ||
	    !check_seeds(l->gwc, GNUT_SEED_GWC, where, "gwc", error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(cap_keys); i++) {
		const char *text = *cap_text(l, i);
		if (text != NULL &&
		    (!gnut_rate_limit_parse(text, &rate) || rate == 0 || rate > cap_keys[i].max))
			return fail(error, where, cap_keys[i].key,
			            "\"%s\" is not a number from 1 to %" G_GUINT64_FORMAT
			            " (optional k or M suffix)",
			            text, cap_keys[i].max);
	}
	for (char **d = l->shares; d != NULL && *d != NULL; d++) {
		char *abs = absolute(*d, base);
		g_free(*d);
		*d = abs;
		if (!g_file_test(*d, G_FILE_TEST_IS_DIR))
			return fail(error, where, "share", "%s: no such folder", *d);
	}
	if (l->download_dir != NULL) {
		char *abs = absolute(l->download_dir, base);
		g_free(l->download_dir);
		l->download_dir = abs;
		if (g_file_test(abs, G_FILE_TEST_EXISTS) && !g_file_test(abs, G_FILE_TEST_IS_DIR))
			return fail(error, where, "download-dir", "%s: not a folder", abs);
	}
	if (l->control_cert != NULL) {
		char *abs = absolute(l->control_cert, base);
		g_free(l->control_cert);
		l->control_cert = abs;
	}
	return check_admission(l, where, error);
}

static void add_role_entries(GOptionContext *ctx, options_layer *l);

/* The options that set caps on what peers can make us do or hold (and
 * --allow-private-peers), after the others in --help (GLib copies them). */
static void add_limit_entries(GOptionContext *ctx, options_layer *l)
{
	GOptionEntry entries[] = {
	    {"upload-slots", 0, 0, G_OPTION_ARG_STRING, &l->upload_slots,
	     "Files uploaded at once, in all (default 4)", "N"},
	    {"upload-slots-per-ip", 0, 0, G_OPTION_ARG_STRING, &l->upload_slots_per_ip,
	     "Files uploaded at once to one address (default 1)", "N"},
	    {"upload-connections-per-ip", 0, 0, G_OPTION_ARG_STRING, &l->upload_connections_per_ip,
	     "HTTP connections one address may hold open (default 4)", "N"},
	    {"upload-queue", 0, 0, G_OPTION_ARG_STRING, &l->upload_queue,
	     "Uploads waiting in the queue behind the slots (default 64, 0: no queue)", "N"},
	    {"upload-queue-per-ip", 0, 0, G_OPTION_ARG_STRING, &l->upload_queue_per_ip,
	     "Queued uploads of one address (default 4)", "N"},
	    {"download-sources", 0, 0, G_OPTION_ARG_STRING, &l->download_sources,
	     "Sources one file is fetched from at once (default 4, at most 16)", "N"},
	    {"download-retry-max", 0, 0, G_OPTION_ARG_STRING, &l->download_retry_max,
	     "Longest wait before a failing source is tried again (default 600)", "S"},
	    {"share-partial", 0, 0, G_OPTION_ARG_STRING, &l->share_partial,
	     "Offer the verified chunks of files still downloading (default true)", "BOOL"},
	    {"allow-private-peers", 0, 0, G_OPTION_ARG_NONE, &l->allow_private_peers,
	     "Let peers make us dial loopback and private addresses", NULL},
	    {"max-pending", 0, 0, G_OPTION_ARG_STRING, &l->max_pending,
	     "Connections before their first line, in all (default: from the descriptor limit)",
	     "N"},
	    {"max-handshakes", 0, 0, G_OPTION_ARG_STRING, &l->max_handshakes,
	     "Incoming handshakes under way, in all (default: from the descriptor limit)", "N"},
	    {"per-ip-pending", 0, 0, G_OPTION_ARG_STRING, &l->per_ip_pending,
	     "Connections before their first line from one address (default 4, 0 = no cap)", "N"},
	    {"per-ip-handshakes", 0, 0, G_OPTION_ARG_STRING, &l->per_ip_handshakes,
	     "Incoming handshakes from one address (default 4, 0 = no cap)", "N"},
	    {"reconnect-limit", 0, 0, G_OPTION_ARG_STRING, &l->reconnect_limit,
	     "Connections from one address: BURST at once, then one per SECONDS (default 5/12, "
	     "0 = no limit)",
	     "BURST/SECONDS"},
	    {"max-links-per-ip", 0, 0, G_OPTION_ARG_STRING, &l->max_links_per_ip,
	     "Incoming links from one IP address (default " G_STRINGIFY(
	         GNUT_LINKS_DEFAULT_PER_IP) ")",
	     "N"},
	    {"leaf-query-rate", 0, 0, G_OPTION_ARG_STRING, &l->leaf_query_rate,
	     "Queries a second a leaf may send us (default " G_STRINGIFY(GNUT_FLOW_LEAF_RATE) ")",
	     "N"},
	    {"ultrapeer-query-rate", 0, 0, G_OPTION_ARG_STRING, &l->ultrapeer_query_rate,
	     "Queries a second any other link may send us (default " G_STRINGIFY(
	         GNUT_FLOW_ULTRAPEER_RATE) ")",
	     "N"},
	    {"qrp-total-slots", 0, 0, G_OPTION_ARG_STRING, &l->qrp_total_slots,
	     "Slots of all links' query routing tables together (default 32M)", "N"},
	    {"max-ultrapeers", 0, 0, G_OPTION_ARG_STRING, &l->max_ultrapeers,
	     "Links to ultrapeers (default " G_STRINGIFY(GNUT_LINKS_DEFAULT_MAX_ULTRAPEERS) ")",
	     "N"},
	    {"max-leaves", 0, 0, G_OPTION_ARG_STRING, &l->max_leaves,
	     "As an ultrapeer, links to leaves (default " G_STRINGIFY(
	         GNUT_LINKS_DEFAULT_MAX_LEAVES) ")",
	     "N"},
	    G_OPTION_ENTRY_NULL,
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
	add_role_entries(ctx, l);
}

/* The role's thresholds (gnutd(8), ROLES), after the caps in --help. */
static void add_role_entries(GOptionContext *ctx, options_layer *l)
{
	GOptionEntry entries[] = {
	    {"leaf-ultrapeers", 0, 0, G_OPTION_ARG_STRING, &l->leaf_ultrapeers,
	     "As a leaf, ultrapeers to keep links to (default " G_STRINGIFY(
	         GNUT_ROLE_DEFAULT_LEAF_ULTRAPEERS) ")",
	     "N"},
	    {"want-ultrapeers", 0, 0, G_OPTION_ARG_STRING, &l->want_ultrapeers,
	     "As an ultrapeer, ultrapeer links to keep; with as many, ultrapeers dialing us are "
	     "guided to be our leaves (default " G_STRINGIFY(GNUT_ROLE_DEFAULT_WANT_ULTRAPEERS) ")",
	     "N"},
	    {"auto-uptime", 0, 0, G_OPTION_ARG_STRING, &l->auto_uptime,
	     "Automatic role: uptime before becoming an ultrapeer (default " G_STRINGIFY(
	         GNUT_ROLE_DEFAULT_UPTIME_S) ")",
	     "SECONDS"},
	    {"auto-min-upload", 0, 0, G_OPTION_ARG_STRING, &l->auto_min_upload,
	     "Automatic role: an --upload-limit below this keeps us a leaf (default 10k)", "RATE"},
	    {"auto-min-download", 0, 0, G_OPTION_ARG_STRING, &l->auto_min_download,
	     "Automatic role: a --download-limit below this keeps us a leaf (default 15k)", "RATE"},
	    {"auto-hold", 0, 0, G_OPTION_ARG_STRING, &l->auto_hold,
	     "Automatic role: least time between two changes, doubled after each demotion "
	     "(default " G_STRINGIFY(GNUT_ROLE_DEFAULT_HOLD_S) ")",
	     "SECONDS"},
	    {"auto-leaf-alone", 0, 0, G_OPTION_ARG_STRING, &l->auto_leaf_alone,
	     "Automatic role: a leaf without ultrapeer link this long becomes one "
	     "(default " G_STRINGIFY(GNUT_ROLE_DEFAULT_LEAF_ALONE_S) ")",
	     "SECONDS"},
	    {"auto-few-leaves", 0, 0, G_OPTION_ARG_STRING, &l->auto_few_leaves,
	     "Automatic role: an ultrapeer with fewer leaves takes leaf guidance "
	     "(default " G_STRINGIFY(GNUT_ROLE_DEFAULT_FEW_LEAVES) ")",
	     "N"},
	    {"auto-idle-ultrapeer", 0, 0, G_OPTION_ARG_STRING, &l->auto_idle_ultrapeer,
	     "Automatic role: an ultrapeer with few leaves this long, next to one with room, "
	     "becomes a leaf (default " G_STRINGIFY(GNUT_ROLE_DEFAULT_IDLE_S) ")",
	     "SECONDS"},
	    G_OPTION_ENTRY_NULL,
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
}

/* The control API's address and its HTTPS. */
static void add_control_entries(GOptionContext *ctx, options_layer *l)
{
	GOptionEntry entries[] = {
	    {"control", 'c', 0, G_OPTION_ARG_STRING, &l->control,
	     "Control API address (default 127.0.0.1:6345, a free port if taken)", "ADDR:PORT"},
	    {"control-tls", 0, 0, G_OPTION_ARG_STRING, &l->control_tls,
	     "Control API over HTTPS: off, on, or auto (the default: on when --control is not "
	     "a loopback address)",
	     "WHEN"},
	    {"control-cert", 0, 0, G_OPTION_ARG_FILENAME, &l->control_cert,
	     "PEM file with the control API's certificate and key (default: the servent's own, "
	     "DATA-DIR/" GNUT_TLS_IDENTITY_FILE ")",
	     "FILE"},
	    G_OPTION_ENTRY_NULL,
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
}

static gboolean parse_argv(int argc, char **argv, options_layer *l, GError **error)
{
	GOptionEntry entries[] = {
	    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &l->data_dir,
	     "State and the control token (default $XDG_DATA_HOME/gnutd)", "DIR"},
	    {"download-dir", 0, 0, G_OPTION_ARG_FILENAME, &l->download_dir,
	     "Where finished downloads go (default DATA-DIR/downloads)", "DIR"},
	    {"listen", 'l', 0, G_OPTION_ARG_STRING, &l->listen,
	     "Gnutella address and port (default 0.0.0.0:6346)", "ADDR:PORT"},
	    {"share", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &l->shares,
	     "Share a folder (repeatable)", "DIR"},
	    {"peer", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &l->peers,
	     "Keep a link to this servent (repeatable)", "HOST:PORT"},
	    {"ultrapeer", 0, 0, G_OPTION_ARG_NONE, &l->ultrapeer,
	     "Always an ultrapeer (default: a leaf that becomes one when it qualifies)", NULL},
	    {"leaf", 0, 0, G_OPTION_ARG_NONE, &l->leaf, "Always a leaf", NULL},
	    {"upload-limit", 0, 0, G_OPTION_ARG_STRING, &l->upload_limit,
	     "Upload bytes per second, k/M suffixes, 0 = unlimited", "RATE"},
	    {"download-limit", 0, 0, G_OPTION_ARG_STRING, &l->download_limit,
	     "Download bytes per second, k/M suffixes, 0 = unlimited", "RATE"},
	    {"no-bootstrap", 0, 0, G_OPTION_ARG_NONE, &l->no_bootstrap,
	     "Dial no host but the --peer ones", NULL},
	    {"uhc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &l->uhc,
	     "Ask this UDP host cache for hosts (repeatable; replaces the built-in lists)",
	     "HOST:PORT"},
	    {"gwc", 0, 0, G_OPTION_ARG_STRING_ARRAY, &l->gwc,
	     "Ask this GWebCache (http://) for hosts (repeatable; replaces the built-in lists)",
	     "URL"},
	    {"firewalled", 0, 0, G_OPTION_ARG_NONE, &l->firewalled,
	     "Peers cannot connect to us: they push, we connect out (else detected)", NULL},
	    {"no-compression", 0, 0, G_OPTION_ARG_NONE, &l->no_compression,
	     "No deflate on links, raw QRP tables (packet captures stay readable)", NULL},
	    {"no-tls", 0, 0, G_OPTION_ARG_NONE, &l->no_tls,
	     "Never offer nor accept TLS on links and transfers", NULL},
	    {"config", 0, 0, G_OPTION_ARG_FILENAME, &l->config,
	     "Read this configuration file instead of looking for one (see below)", "FILE"},
	    {"check-config", 0, 0, G_OPTION_ARG_NONE, &l->check_config,
	     "Print the effective settings and exit (2 on an error)", NULL},
	    {"log-level", 0, 0, G_OPTION_ARG_STRING, &l->log_level,
	     "What to log: error, warning, info (the default: links, transfers) or debug", "LEVEL"},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &l->verbose, "Log debug messages too", NULL},
	    {"version", 0, 0, G_OPTION_ARG_NONE, &l->version, "Print the version and exit", NULL},
	    G_OPTION_ENTRY_NULL,
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- a Gnutella 0.6 servent");
	g_option_context_add_main_entries(ctx, entries, NULL);
	add_control_entries(ctx, l);
	add_limit_entries(ctx, l);
	g_option_context_set_description(
	    ctx,
	    "Every option but --data-dir, --config, --check-config, --verbose and --version\n"
	    "can also be set in a configuration file (a key file, group [gnutd], the same\n"
	    "names: share=/a;/b). gnutd reads one file: --config FILE, else the first that\n"
	    "exists of DATA-DIR/gnutd.conf, $XDG_CONFIG_HOME/gnutd/gnutd.conf and\n"
	    "/etc/gnutd/gnutd.conf. The command line overrides the file; what the control\n"
	    "API changes (shares, peers, limits) is kept in DATA-DIR/" GNUT_STATE_FILE_NAME " and\n"
	    "applied last. A commented sample: gnutd.conf.sample (see gnutd(8)).");
	g_auto(GStrv) args = g_new0(char *, argc + 1);
	for (int i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	GError *e = NULL;
	if (!g_option_context_parse_strv(ctx, &args, &e)) {
		g_set_error(error, GNUT_OPTIONS_ERROR, GNUT_OPTIONS_ERROR_INVALID, "%s",
		            e->message);
		g_error_free(e);
		return FALSE;
	}
	if (args[0] != NULL && args[1] != NULL) {
		g_set_error(error, GNUT_OPTIONS_ERROR, GNUT_OPTIONS_ERROR_INVALID,
		            "unexpected argument \"%s\" (see --help)", args[1]);
		return FALSE;
	}
	return TRUE;
}

/* The keys gnutd.conf may hold: the long options, less those that choose
 * the file itself or only make sense on a command line. */
static const char *const conf_keys[] = {
    "download-dir",
    "listen",
    "share",
    "peer",
    "ultrapeer",
    "leaf",
    "control",
    "control-tls",
    "control-cert",
    "upload-limit",
    "download-limit",
    "no-bootstrap",
    "uhc",
    "gwc",
    "firewalled",
    "no-compression",
    "no-tls",
    "upload-slots",
    "upload-slots-per-ip",
    "upload-connections-per-ip",
    "upload-queue",
    "upload-queue-per-ip",
    "download-sources",
    "download-retry-max",
    "share-partial",
    "allow-private-peers",
    "max-pending",
    "max-handshakes",
    "per-ip-pending",
    "per-ip-handshakes",
    "reconnect-limit",
    "log-level",
    NULL,
};

/* gnutd.conf may hold the caps too (cap_keys). */
static gboolean is_cap_key(const char *key)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cap_keys); i++)
		if (strcmp(cap_keys[i].key, key) == 0)
			return TRUE;
	return FALSE;
}

static gboolean conf_bool(GKeyFile *kf, const char *path, const char *key, gboolean *out,
                          GError **error)
{
	if (!g_key_file_has_key(kf, "gnutd", key, NULL))
		return TRUE;
	g_autoptr(GError) e = NULL;
	*out = g_key_file_get_boolean(kf, "gnutd", key, &e);
	if (e != NULL)
		return fail(error, path, key, "expected true or false");
	return TRUE;
}

static gboolean conf_string(GKeyFile *kf, const char *path, const char *key, char **out,
                            GError **error)
{
	if (!g_key_file_has_key(kf, "gnutd", key, NULL))
		return TRUE;
	g_autoptr(GError) e = NULL;
	*out = g_key_file_get_string(kf, "gnutd", key, &e);
	if (e != NULL)
		return fail(error, path, key, "%s", e->message);
	if (**out == '\0')
		return fail(error, path, key, "empty value");
	return TRUE;
}

static gboolean conf_list(GKeyFile *kf, const char *path, const char *key, char ***out,
                          GError **error)
{
	if (!g_key_file_has_key(kf, "gnutd", key, NULL))
		return TRUE;
	g_autoptr(GError) e = NULL;
	*out = g_key_file_get_string_list(kf, "gnutd", key, NULL, &e);
	if (e != NULL)
		return fail(error, path, key, "%s", e->message);
	for (char **p = *out; *p != NULL; p++)
		if (**p == '\0')
			return fail(error, path, key, "empty item in the list");
	return TRUE;
}

/* Refuses other groups and unknown keys, so that a typo in gnutd.conf is an
 * error rather than a setting silently ignored. */
static gboolean conf_check_names(GKeyFile *kf, const char *path, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g != NULL; g++)
		if (strcmp(*g, "gnutd") != 0)
			return fail(error, path, *g, "unknown group (settings go in [gnutd])");
	g_auto(GStrv) keys = g_key_file_get_keys(kf, "gnutd", NULL, NULL);
	for (char **k = keys; k != NULL && *k != NULL; k++) {
		if (strcmp(*k, "data-dir") == 0 || strcmp(*k, "config") == 0)
			return fail(error, path, *k,
			            "not allowed in a configuration file (give it on the command "
			            "line)");
		if (!g_strv_contains(conf_keys, *k) && !is_cap_key(*k))
			return fail(error, path, *k, "unknown key");
	}
	return TRUE;
}

static gboolean conf_caps(GKeyFile *kf, const char *path, options_layer *l, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cap_keys); i++)
		if (!conf_string(kf, path, cap_keys[i].key, cap_text(l, i), error))
			return FALSE;
	return TRUE;
}

/* Reads a configuration file into l; a NULL path (none found) is no error. */
static gboolean conf_load(const char *path, options_layer *l, GError **error)
{
	if (path == NULL)
		return TRUE;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		g_set_error(error, GNUT_OPTIONS_ERROR, GNUT_OPTIONS_ERROR_CONFIG, "%s: %s", path,
		            e->message);
		return FALSE;
	}
	return conf_check_names(kf, path, error) &&
	       conf_string(kf, path, "download-dir", &l->download_dir, error) &&
	       conf_string(kf, path, "listen", &l->listen, error) &&
	       conf_list(kf, path, "share", &l->shares, error) &&
	       conf_list(kf, path, "peer", &l->peers, error) &&
	       conf_bool(kf, path, "ultrapeer", &l->ultrapeer, error) &&
	       conf_bool(kf, path, "leaf", &l->leaf, error) &&
	       conf_string(kf, path, "control", &l->control, error) &&
	       conf_string(kf, path, "control-tls", &l->control_tls, error) &&
	       conf_string(kf, path, "control-cert", &l->control_cert, error) &&
	       conf_string(kf, path, "upload-limit", &l->upload_limit, error) &&
	       conf_string(kf, path, "download-limit", &l->download_limit, error) &&
	       conf_bool(kf, path, "no-bootstrap", &l->no_bootstrap, error) &&
	       conf_list(kf, path, "uhc", &l->uhc, error) &&
	       conf_list(kf, path, "gwc", &l->gwc, error) &&
	       conf_bool(kf, path, "firewalled", &l->firewalled, error) &&
	       conf_bool(kf, path, "no-compression", &l->no_compression, error) &&
	       conf_bool(kf, path, "no-tls", &l->no_tls, error) &&
	       conf_string(kf, path, "upload-slots", &l->upload_slots, error) &&
	       conf_string(kf, path, "upload-slots-per-ip", &l->upload_slots_per_ip, error) &&
	       conf_string(kf, path, "upload-connections-per-ip", &l->upload_connections_per_ip,
	                   error) &&
	       conf_string(kf, path, "upload-queue", &l->upload_queue, error) &&
	       conf_string(kf, path, "upload-queue-per-ip", &l->upload_queue_per_ip, error) &&
	       conf_string(kf, path, "download-sources", &l->download_sources, error) &&
	       conf_string(kf, path, "download-retry-max", &l->download_retry_max, error) &&
	       conf_string(kf, path, "share-partial", &l->share_partial, error) &&
	       conf_bool(kf, path, "allow-private-peers", &l->allow_private_peers, error) &&
	       conf_string(kf, path, "max-pending", &l->max_pending, error) &&
	       conf_string(kf, path, "max-handshakes", &l->max_handshakes, error) &&
	       conf_string(kf, path, "per-ip-pending", &l->per_ip_pending, error) &&
	       conf_string(kf, path, "per-ip-handshakes", &l->per_ip_handshakes, error) &&
	       conf_string(kf, path, "reconnect-limit", &l->reconnect_limit, error) &&
	       conf_string(kf, path, "log-level", &l->log_level, error) &&
	       conf_caps(kf, path, l, error);
}

static char *pick_string(char **cli, char **conf)
{
	return g_steal_pointer((*cli != NULL ? cli : conf));
}

static char **pick_list(char ***cli, char ***conf)
{
	char **v = g_steal_pointer((*cli != NULL ? cli : conf));
	return v != NULL ? v : g_new0(char *, 1);
}

/* A count from the command line, else from the file, else 0 (the default). */
static void merge_count(const char *cli, const char *conf, guint *out)
{
	const char *text = cli != NULL ? cli : conf;
	if (text != NULL)
		gnut_options_parse_count(text, 1, out);
}

/* --upload-queue: a length, or 0 for no queue. */
static void merge_upload_queue(gnut_options *o, const options_layer *cli, const options_layer *conf)
{
	const char *text = cli->upload_queue != NULL ? cli->upload_queue : conf->upload_queue;
	guint n = 0;
	if (text != NULL && gnut_options_parse_count(text, 0, &n)) {
		o->upload_queue = n;
		o->no_upload_queue = n == 0;
	}
	merge_count(cli->upload_queue_per_ip, conf->upload_queue_per_ip, &o->upload_queue_per_ip);
}

/* A per-address cap: 0 lifts it. */
static guint per_ip_cap(guint n)
{
	return n == 0 ? GNUT_IP_ADMIT_UNLIMITED : n;
}

static const char *either(const char *cli, const char *conf)
{
	return cli != NULL ? cli : conf;
}

/* The admission values, command line over file; both are checked. */
static void merge_admission(gnut_options *o, const options_layer *cli, const options_layer *conf)
{
	const char *v;
	guint n;
	if ((v = either(cli->max_pending, conf->max_pending)) != NULL &&
	    gnut_options_parse_count(v, 1, &n))
		o->max_pending = n;
	if ((v = either(cli->max_handshakes, conf->max_handshakes)) != NULL &&
	    gnut_options_parse_count(v, 1, &n))
		o->max_handshakes = n;
	if ((v = either(cli->per_ip_pending, conf->per_ip_pending)) != NULL &&
	    gnut_options_parse_count(v, 0, &n))
		o->per_ip_pending = per_ip_cap(n);
	if ((v = either(cli->per_ip_handshakes, conf->per_ip_handshakes)) != NULL &&
	    gnut_options_parse_count(v, 0, &n))
		o->per_ip_handshakes = per_ip_cap(n);
	if ((v = either(cli->reconnect_limit, conf->reconnect_limit)) != NULL)
		gnut_options_parse_reconnect_limit(v, &o->reconnect_burst,
		                                   &o->reconnect_interval_s);
}

/* Lays the command line over the file; both layers are already checked. */
static void merge(gnut_options *o, options_layer *cli, options_layer *conf)
{
	o->download_dir = pick_string(&cli->download_dir, &conf->download_dir);
	o->listen = pick_string(&cli->listen, &conf->listen);
	o->control = pick_string(&cli->control, &conf->control);
	if (o->control == NULL) {
		o->control = g_strdup(GNUT_OPTIONS_DEFAULT_CONTROL);
		o->control_is_default = TRUE;
	}
	o->control_tls = GNUT_CONTROL_TLS_AUTO;
	gnut_options_parse_control_tls(either(cli->control_tls, conf->control_tls),
	                               &o->control_tls);
	o->control_cert = pick_string(&cli->control_cert, &conf->control_cert);
	o->shares = pick_list(&cli->shares, &conf->shares);
	o->peers = pick_list(&cli->peers, &conf->peers);
	o->uhc = pick_list(&cli->uhc, &conf->uhc);
	o->gwc = pick_list(&cli->gwc, &conf->gwc);
	if (cli->ultrapeer || cli->leaf)
		o->ultrapeer = cli->ultrapeer;
	else
		o->ultrapeer = conf->ultrapeer && !conf->leaf;
	o->auto_role = !cli->ultrapeer && !cli->leaf && !conf->ultrapeer && !conf->leaf;
	o->no_bootstrap = cli->no_bootstrap || conf->no_bootstrap;
	o->firewalled = cli->firewalled || conf->firewalled;
	o->no_compression = cli->no_compression || conf->no_compression;
	o->no_tls = cli->no_tls || conf->no_tls;
	const char *up = cli->upload_limit ? cli->upload_limit : conf->upload_limit;
	const char *down = cli->download_limit ? cli->download_limit : conf->download_limit;
	if (up != NULL)
		gnut_rate_limit_parse(up, &o->upload_limit);
	if (down != NULL)
		gnut_rate_limit_parse(down, &o->download_limit);
	o->verbose = cli->verbose;
	o->check_config = cli->check_config;
	o->log_level = GNUT_LOG_INFO;
	gnut_log_level_parse(either(cli->log_level, conf->log_level), &o->log_level);
	if (o->verbose)
		o->log_level = GNUT_LOG_DEBUG;
	merge_count(cli->upload_slots, conf->upload_slots, &o->upload_slots);
	merge_count(cli->upload_slots_per_ip, conf->upload_slots_per_ip, &o->upload_slots_per_ip);
	merge_count(cli->upload_connections_per_ip, conf->upload_connections_per_ip,
	            &o->upload_connections_per_ip);
	merge_upload_queue(o, cli, conf);
	merge_count(cli->download_sources, conf->download_sources, &o->download_sources);
	merge_count(cli->download_retry_max, conf->download_retry_max, &o->download_retry_max_s);
	o->allow_private_peers = cli->allow_private_peers || conf->allow_private_peers;
	o->share_partial = TRUE;
	gnut_options_parse_bool(either(cli->share_partial, conf->share_partial), &o->share_partial);
	merge_admission(o, cli, conf);
	guint64 caps[G_N_ELEMENTS(cap_keys)] = {0}; /* in cap_keys' order */
	for (gsize i = 0; i < G_N_ELEMENTS(cap_keys); i++) {
		const char *text = *cap_text(cli, i) ? *cap_text(cli, i) : *cap_text(conf, i);
		if (text != NULL)
			gnut_rate_limit_parse(text, &caps[i]);
	}
	o->max_links_per_ip = (guint)caps[0];
	o->leaf_query_rate = (guint)caps[1];
	o->ultrapeer_query_rate = (guint)caps[2];
	o->qrp_total_slots = caps[3];
	o->max_ultrapeers = (guint)caps[4];
	o->max_leaves = (guint)caps[5];
	o->role.leaf_ultrapeers = (guint)caps[6];
	o->role.want_ultrapeers = (guint)caps[7];
	o->role.uptime_s = (guint)caps[8];
	o->role.min_upload = caps[9];
	o->role.min_download = caps[10];
	o->role.hold_s = (guint)caps[11];
	o->role.leaf_alone_s = (guint)caps[12];
	o->role.few_leaves = (guint)caps[13];
	o->role.idle_s = (guint)caps[14];
}

/* The configuration file to read (see --help): NULL when there is none. */
static gboolean find_conf(const char *given, const char *cwd, const char *data_dir, char **path,
                          GError **error)
{
	*path = NULL;
	if (given != NULL) {
		*path = absolute(given, cwd);
		if (!g_file_test(*path, G_FILE_TEST_IS_REGULAR))
			return fail(error, NULL, "config", "%s: no such file", *path);
		return TRUE;
	}
	g_autofree char *config_home = gnut_options_user_conf_path();
	const char *candidates[] = {NULL, config_home, GNUT_OPTIONS_SYSTEM_CONF};
	g_autofree char *in_data = g_build_filename(data_dir, GNUT_OPTIONS_CONF_NAME, NULL);
	candidates[0] = in_data;
	for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++)
		if (g_file_test(candidates[i], G_FILE_TEST_EXISTS)) {
			*path = g_strdup(candidates[i]);
			return TRUE;
		}
	return TRUE;
}

char *gnut_options_user_conf_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "gnutd", GNUT_OPTIONS_CONF_NAME, NULL);
}

gnut_options *gnut_options_parse(int argc, char **argv, GError **error)
{
	options_layer cli = {0}, conf = {0};
	g_autoptr(gnut_options) o = g_new0(gnut_options, 1);
	g_autofree char *cwd = g_get_current_dir();
	gboolean ok = parse_argv(argc, argv, &cli, error);
	if (ok && cli.version) {
		o->version = TRUE;
		layer_clear(&cli);
		return g_steal_pointer(&o);
	}
	ok = ok && layer_check(&cli, NULL, cwd, error);
	if (ok) {
		o->data_dir =
		    cli.data_dir ? absolute(cli.data_dir, cwd) : gnut_ctl_default_data_dir();
		if (g_file_test(o->data_dir, G_FILE_TEST_EXISTS) &&
		    !g_file_test(o->data_dir, G_FILE_TEST_IS_DIR))
			ok = fail(error, NULL, "data-dir", "%s: not a folder", o->data_dir);
		else
			ok = find_conf(cli.config, cwd, o->data_dir, &o->conf_path, error);
	}
	ok = ok && conf_load(o->conf_path, &conf, error) &&
	     layer_check(&conf, o->conf_path, o->data_dir, error);
	if (ok)
		merge(o, &cli, &conf);
	layer_clear(&cli);
	layer_clear(&conf);
	return ok ? g_steal_pointer(&o) : NULL;
}

void gnut_options_free(gnut_options *o)
{
	if (o == NULL)
		return;
	g_free(o->data_dir);
	g_free(o->conf_path);
	g_free(o->download_dir);
	g_free(o->listen);
	g_strfreev(o->shares);
	g_strfreev(o->peers);
	g_strfreev(o->uhc);
	g_strfreev(o->gwc);
	g_free(o->control);
	g_free(o->control_cert);
	g_free(o);
}

void gnut_options_to_config(const gnut_options *o, gnut_servent_config *config)
{
	memset(config, 0, sizeof *config);
	config->data_dir = o->data_dir;
	config->download_dir = o->download_dir;
	config->listen = o->listen;
	config->shares = (const char *const *)o->shares;
	config->peers = (const char *const *)o->peers;
	config->uhc = (const char *const *)o->uhc;
	config->gwc = (const char *const *)o->gwc;
	config->ultrapeer = o->ultrapeer;
	config->no_bootstrap = o->no_bootstrap;
	config->firewalled = o->firewalled;
	config->no_compression = o->no_compression;
	config->no_tls = o->no_tls;
	config->upload_limit = o->upload_limit;
	config->download_limit = o->download_limit;
	config->upload_slots = o->upload_slots;
	config->upload_slots_per_ip = o->upload_slots_per_ip;
	config->upload_connections_per_ip = o->upload_connections_per_ip;
	config->upload_queue = o->upload_queue;
	config->no_upload_queue = o->no_upload_queue;
	config->upload_queue_per_ip = o->upload_queue_per_ip;
	config->download_sources = o->download_sources;
	config->download_retry_max_s = o->download_retry_max_s;
	config->no_share_partial = !o->share_partial;
	config->allow_private_peers = o->allow_private_peers;
	config->max_pending = o->max_pending;
	config->max_handshakes = o->max_handshakes;
	config->per_ip_pending = o->per_ip_pending;
	config->per_ip_handshakes = o->per_ip_handshakes;
	config->reconnect_burst = o->reconnect_burst;
	config->reconnect_interval_s = o->reconnect_interval_s;
	config->max_links_per_ip = o->max_links_per_ip;
	config->leaf_query_rate = o->leaf_query_rate;
	config->ultrapeer_query_rate = o->ultrapeer_query_rate;
	config->qrp_total_slots = o->qrp_total_slots;
	config->max_ultrapeers = o->max_ultrapeers;
	config->max_leaves = o->max_leaves;
	config->auto_role = o->auto_role;
	config->role = o->role;
}
