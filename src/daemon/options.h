/* options.h: gnutd's settings, from its command line and from gnutd.conf (a
 * GKeyFile in the data folder, group [gnutd], one key per long option with
 * the same name). The command line overrides the file. Every problem is one
 * GError whose message names the option or key, and gnutd exits 2 on it. */
#ifndef GNUT_DAEMON_OPTIONS_H
#define GNUT_DAEMON_OPTIONS_H

#include <glib.h>

#include "gnut/core/servent.h"
#include "log.h"

#define GNUT_OPTIONS_ERROR (gnut_options_error_quark())
GQuark gnut_options_error_quark(void);

typedef enum {
	GNUT_OPTIONS_ERROR_INVALID, /* a bad value, a bad option, a bad key */
	GNUT_OPTIONS_ERROR_CONFIG,  /* gnutd.conf cannot be read or parsed */
} gnut_options_error;

/* The control address when neither --control nor the file sets one:
 * loopback, on a fixed port so that remotes keep reaching it across
 * restarts; when that port is taken gnutd says so and takes a free one
 * (gnut still finds it in <data-dir>/control.url). */
#define GNUT_OPTIONS_DEFAULT_CONTROL_PORT 6345
#define GNUT_OPTIONS_DEFAULT_CONTROL      "127.0.0.1:6345"
#define GNUT_OPTIONS_CONF_NAME            "gnutd.conf"
#define GNUT_OPTIONS_SYSTEM_CONF          "/etc/gnutd/gnutd.conf"
/* What the control API changed, kept across restarts (state.h). */
#define GNUT_STATE_FILE_NAME "settings.state"

/* When the control API speaks HTTPS (--control-tls); the values' order is
 * that of their names "off", "on", "auto". */
typedef enum {
	GNUT_CONTROL_TLS_OFF,
	GNUT_CONTROL_TLS_ON,
	GNUT_CONTROL_TLS_AUTO, /* on when the control address is not loopback */
} gnut_control_tls;

typedef struct {
	char *data_dir;     /* absolute */
	char *conf_path;    /* the configuration file read, NULL if none */
	char *download_dir; /* NULL: the servent's default */
	char *listen;       /* NULL: the servent's default */
	char **shares;      /* NULL-terminated, never NULL */
	char **peers;       /* NULL-terminated, never NULL */
	char **uhc;         /* UDP host caches (--uhc), never NULL */
	char **gwc;         /* GWebCache URLs (--gwc), never NULL */
	gboolean ultrapeer;
	gboolean no_bootstrap;
	gboolean firewalled;
	gboolean no_compression;
	gboolean no_tls;
	guint64 upload_limit; /* bytes per second, 0 = unlimited */
	guint64 download_limit;
	char *control;               /* ADDR:PORT */
	gboolean control_is_default; /* nobody chose it: fall back if taken */
	gnut_control_tls control_tls;
	char *control_cert; /* absolute; NULL: the servent's certificate */
	gboolean check_config;
	gnut_log_level log_level;
	gboolean verbose;
	gboolean version;
	guint upload_slots; /* 0: the servent's default */
	guint upload_slots_per_ip;
	guint upload_connections_per_ip;
	guint upload_queue;           /* 0: the default (or none, with no_upload_queue) */
	gboolean no_upload_queue;     /* --upload-queue 0 */
	guint upload_queue_per_ip;    /* 0: the default */
	gboolean allow_private_peers; /* peers may make us dial local addresses */
	/* download-sources, download-retry-max; 0: the servent's default */
	guint download_sources;
	guint download_retry_max_s;
	gboolean share_partial; /* offer the verified chunks of downloads (default) */
	/* connection admission, as in gnut_servent_config: 0 = default */
	guint max_pending;
	guint max_handshakes;
	guint per_ip_pending;    /* GNUT_IP_ADMIT_UNLIMITED for "0" */
	guint per_ip_handshakes; /* idem */
	guint reconnect_burst;   /* GNUT_IP_ADMIT_UNLIMITED for "0" (no throttle) */
	guint reconnect_interval_s;
	/* caps on what peers can make us do or hold; 0: the servent's default */
	guint max_links_per_ip;
	guint leaf_query_rate;
	guint ultrapeer_query_rate;
	guint64 qrp_total_slots;
	guint max_ultrapeers;
	guint max_leaves;
	/* neither --ultrapeer nor --leaf: the role is chosen automatically,
	 * with these thresholds (0: the defaults of gnut/core/links/role.h) */
	gboolean auto_role;
	gnut_role_config role;
} gnut_options;

/* Parses argv (argv[0] is the program), then the configuration file (see
 * gnutd --help: --config, else the first of DATA-DIR/gnutd.conf,
 * $XDG_CONFIG_HOME/gnutd/gnutd.conf, /etc/gnutd/gnutd.conf), then checks
 * every value.
 * Returns NULL with one error line naming the option or key on failure. */
gnut_options *gnut_options_parse(int argc, char **argv, GError **error);
void gnut_options_free(gnut_options *o);
/* $XDG_CONFIG_HOME/gnutd/gnutd.conf (g_free it). */
char *gnut_options_user_conf_path(void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_options, gnut_options_free)

/* Fills a servent configuration that borrows o's strings. */
void gnut_options_to_config(const gnut_options *o, gnut_servent_config *config);

/* A count of connections: decimal digits, min to GNUT_OPTIONS_MAX_COUNT. */
#define GNUT_OPTIONS_MAX_COUNT 1000000
gboolean gnut_options_parse_count(const char *text, guint min, guint *out);
/* "true", "yes", "on", "1" or "false", "no", "off", "0" (any case). */
gboolean gnut_options_parse_bool(const char *text, gboolean *out);
/* "off", "on" or "auto". */
gboolean gnut_options_parse_control_tls(const char *text, gnut_control_tls *out);
const char *gnut_options_control_tls_name(gnut_control_tls when);
/* "BURST/SECONDS" (each 1 to GNUT_OPTIONS_MAX_COUNT), or "0" for no
 * throttle (burst GNUT_IP_ADMIT_UNLIMITED, seconds 0). */
gboolean gnut_options_parse_reconnect_limit(const char *text, guint *burst, guint *seconds);

#endif
