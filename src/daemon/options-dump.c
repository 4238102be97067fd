/* options-dump.c: gnutd's effective settings as a key file (see
 * options-dump.h). A 0 that means "the servent's default" is printed as
 * "default" so that a reader does not take it for a cap of nothing. */
#include "gnut/base/ip-admit.h"
#include "log.h"
#include "options-dump.h"

#define GROUP "gnutd"

static void set_count(GKeyFile *kf, const char *key, guint64 n)
{
	if (n == 0) {
		g_key_file_set_string(kf, GROUP, key, "default");
		return;
	}
	g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, n);
	g_key_file_set_string(kf, GROUP, key, text);
}

/* A per-address cap: GNUT_IP_ADMIT_UNLIMITED is written "0" (no cap). */
static void set_per_ip(GKeyFile *kf, const char *key, guint n)
{
	if (n == GNUT_IP_ADMIT_UNLIMITED)
		g_key_file_set_string(kf, GROUP, key, "0");
	else
		set_count(kf, key, n);
}

static void set_list(GKeyFile *kf, const char *key, char **list)
{
	g_key_file_set_string_list(kf, GROUP, key, (const char *const *)list, g_strv_length(list));
}

static void set_string(GKeyFile *kf, const char *key, const char *value)
{
	g_key_file_set_string(kf, GROUP, key, value != NULL ? value : "default");
}

static void set_reconnect(GKeyFile *kf, const gnut_options *o)
{
	if (o->reconnect_burst == GNUT_IP_ADMIT_UNLIMITED) {
		g_key_file_set_string(kf, GROUP, "reconnect-limit", "0");
	} else if (o->reconnect_burst == 0) {
		set_string(kf, "reconnect-limit", NULL);
	} else {
		g_autofree char *text =
		    g_strdup_printf("%u/%u", o->reconnect_burst, o->reconnect_interval_s);
		g_key_file_set_string(kf, GROUP, "reconnect-limit", text);
	}
}

/* The automatic role's thresholds (0: role.h's defaults). */
static void set_role(GKeyFile *kf, const gnut_role_config *r)
{
	set_count(kf, "leaf-ultrapeers", r->leaf_ultrapeers);
	set_count(kf, "want-ultrapeers", r->want_ultrapeers);
	set_count(kf, "auto-uptime", r->uptime_s);
	set_count(kf, "auto-min-upload", r->min_upload);
	set_count(kf, "auto-min-download", r->min_download);
	set_count(kf, "auto-hold", r->hold_s);
	set_count(kf, "auto-leaf-alone", r->leaf_alone_s);
	set_count(kf, "auto-few-leaves", r->few_leaves);
	set_count(kf, "auto-idle-ultrapeer", r->idle_s);
}

GKeyFile *gnut_options_to_keyfile(const gnut_options *o)
{
	GKeyFile *kf = g_key_file_new();
	set_string(kf, "download-dir", o->download_dir);
	set_string(kf, "listen", o->listen);
	set_list(kf, "share", o->shares);
	set_list(kf, "peer", o->peers);
	/* both false: the role is automatic */
	g_key_file_set_boolean(kf, GROUP, "ultrapeer", !o->auto_role && o->ultrapeer);
	g_key_file_set_boolean(kf, GROUP, "leaf", !o->auto_role && !o->ultrapeer);
	set_string(kf, "control", o->control);
	g_key_file_set_string(kf, GROUP, "control-tls",
	                      gnut_options_control_tls_name(o->control_tls));
	set_string(kf, "control-cert", o->control_cert);
	g_key_file_set_uint64(kf, GROUP, "upload-limit", o->upload_limit);
	g_key_file_set_uint64(kf, GROUP, "download-limit", o->download_limit);
	g_key_file_set_boolean(kf, GROUP, "no-bootstrap", o->no_bootstrap);
	set_list(kf, "uhc", o->uhc);
	set_list(kf, "gwc", o->gwc);
	g_key_file_set_boolean(kf, GROUP, "firewalled", o->firewalled);
	g_key_file_set_boolean(kf, GROUP, "no-compression", o->no_compression);
	g_key_file_set_boolean(kf, GROUP, "no-tls", o->no_tls);
	set_count(kf, "upload-slots", o->upload_slots);
	set_count(kf, "upload-slots-per-ip", o->upload_slots_per_ip);
	set_count(kf, "upload-connections-per-ip", o->upload_connections_per_ip);
	if (o->no_upload_queue)
		g_key_file_set_string(kf, GROUP, "upload-queue", "0");
	else
		set_count(kf, "upload-queue", o->upload_queue);
	set_count(kf, "upload-queue-per-ip", o->upload_queue_per_ip);
	set_count(kf, "download-sources", o->download_sources);
	set_count(kf, "download-retry-max", o->download_retry_max_s);
	g_key_file_set_boolean(kf, GROUP, "allow-private-peers", o->allow_private_peers);
	g_key_file_set_boolean(kf, GROUP, "share-partial", o->share_partial);
	set_count(kf, "max-pending", o->max_pending);
	set_count(kf, "max-handshakes", o->max_handshakes);
	set_per_ip(kf, "per-ip-pending", o->per_ip_pending);
	set_per_ip(kf, "per-ip-handshakes", o->per_ip_handshakes);
	set_reconnect(kf, o);
	set_count(kf, "max-links-per-ip", o->max_links_per_ip);
	set_count(kf, "leaf-query-rate", o->leaf_query_rate);
	set_count(kf, "ultrapeer-query-rate", o->ultrapeer_query_rate);
	set_count(kf, "qrp-total-slots", o->qrp_total_slots);
	set_count(kf, "max-ultrapeers", o->max_ultrapeers);
	set_count(kf, "max-leaves", o->max_leaves);
	set_role(kf, &o->role);
	g_key_file_set_string(kf, GROUP, "log-level", gnut_log_level_name(o->log_level));
	return kf;
}
