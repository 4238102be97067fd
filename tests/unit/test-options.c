/* test-options.c: gnutd's settings: command line, gnutd.conf, the command
 * line's precedence, rate suffixes, and one error line naming the option or
 * key for every bad value (what gnutd prints before exiting 2). */
#include <glib/gstdio.h>
#include <string.h>

#include "daemon/control-tls.h"
#include "daemon/options.h"
#include "gnut/base/ip-admit.h"
#include "unit.h"

/* Parses a NULL-terminated argument list (argv[0] added here). */
static gnut_options *parse(GError **error, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_ptr_array_add(args, "gnutd");
	va_list ap;
	va_start(ap, error);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL)
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	return gnut_options_parse((int)args->len, (char **)args->pdata, error);
}

static void write_conf(const char *dir, const char *text)
{
	g_autofree char *path = g_build_filename(dir, "gnutd.conf", NULL);
	CU_ASSERT_TRUE(g_file_set_contents(path, text, -1, NULL));
}

/* Checks a failed parse left one line that names key. */
static void assert_error_names(gnut_options *o, GError *error, const char *key)
{
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_EQUAL(error->domain, GNUT_OPTIONS_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, key));
	CU_ASSERT_PTR_NULL(strchr(error->message, '\n'));
	gnut_options_free(o);
}

/* $XDG_CONFIG_HOME for every test: GLib reads it once, at its first use. */
static char *config_home;

static int set_homes(void)
{
	config_home = gnut_unit_mkdtemp();
	g_setenv("XDG_CONFIG_HOME", config_home, TRUE);
	return 0;
}

static int clear_homes(void)
{
	gnut_unit_rmtree(config_home);
	g_free(config_home);
	return 0;
}

static void test_defaults(void)
{
	/* GLib reads XDG_DATA_HOME once, so set it before anyone asks */
	g_autofree char *home = gnut_unit_mkdtemp();
	g_setenv("XDG_DATA_HOME", home, TRUE);
	g_autofree char *expected = g_build_filename(home, "gnutd", NULL);
	GError *error = NULL;
	g_autoptr(gnut_options) o = parse(&error, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->data_dir, expected);
	CU_ASSERT_PTR_NULL(o->listen);
	CU_ASSERT_PTR_NULL(o->download_dir);
	CU_ASSERT_STRING_EQUAL(o->control, "127.0.0.1:6345");
	CU_ASSERT_TRUE(o->control_is_default);
	CU_ASSERT_EQUAL(o->log_level, GNUT_LOG_INFO);
	CU_ASSERT_PTR_NULL(o->conf_path);
	CU_ASSERT_PTR_NOT_NULL(o->shares);
	CU_ASSERT_PTR_NULL(o->shares[0]);
	CU_ASSERT_PTR_NULL(o->peers[0]);
	CU_ASSERT_FALSE(o->ultrapeer);
	CU_ASSERT_FALSE(o->no_bootstrap);
	CU_ASSERT_FALSE(o->firewalled);
	CU_ASSERT_FALSE(o->no_compression);
	CU_ASSERT_FALSE(o->no_tls);
	CU_ASSERT_EQUAL(o->upload_limit, 0);
	CU_ASSERT_EQUAL(o->download_limit, 0);
	gnut_unit_rmtree(home);
}

static void test_command_line(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *s1 = g_build_filename(dir, "a", NULL);
	g_autofree char *s2 = g_build_filename(dir, "b", NULL);
	g_mkdir(s1, 0700);
	g_mkdir(s2, 0700);
	GError *error = NULL;
	g_autoptr(gnut_options) o = parse(
	    &error, "--data-dir", dir, "--listen", "127.0.0.1:0", "--share", s1, "--share", s2,
	    "--peer", "127.0.0.1:6346", "--peer", "example.org:6347", "--ultrapeer", "--control",
	    "127.0.0.1:5000", "--upload-limit", "64k", "--download-limit", "2M", "--no-bootstrap",
	    "--firewalled", "--no-compression", "--no-tls", "--download-dir", "dl", NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->data_dir, dir);
	CU_ASSERT_STRING_EQUAL(o->listen, "127.0.0.1:0");
	CU_ASSERT_EQUAL(g_strv_length(o->shares), 2);
	CU_ASSERT_STRING_EQUAL(o->shares[0], s1);
	CU_ASSERT_STRING_EQUAL(o->shares[1], s2);
	CU_ASSERT_EQUAL(g_strv_length(o->peers), 2);
	CU_ASSERT_STRING_EQUAL(o->peers[1], "example.org:6347");
	CU_ASSERT_TRUE(o->ultrapeer);
	CU_ASSERT_TRUE(o->firewalled);
	CU_ASSERT_TRUE(o->no_compression);
	CU_ASSERT_TRUE(o->no_bootstrap);
	CU_ASSERT_TRUE(o->no_tls);
	CU_ASSERT_STRING_EQUAL(o->control, "127.0.0.1:5000");
	CU_ASSERT_EQUAL(o->upload_limit, 65536);
	CU_ASSERT_EQUAL(o->download_limit, 2 * 1024 * 1024);
	/* a relative folder on the command line is relative to the working folder */
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *dl = g_build_filename(cwd, "dl", NULL);
	CU_ASSERT_STRING_EQUAL(o->download_dir, dl);

	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_PTR_EQUAL(c.data_dir, o->data_dir);
	CU_ASSERT_STRING_EQUAL(c.shares[1], s2);
	CU_ASSERT_PTR_NULL(c.shares[2]);
	CU_ASSERT_STRING_EQUAL(c.peers[0], "127.0.0.1:6346");
	CU_ASSERT_TRUE(c.ultrapeer);
	CU_ASSERT_TRUE(c.firewalled);
	CU_ASSERT_TRUE(c.no_compression);
	CU_ASSERT_TRUE(c.no_bootstrap);
	CU_ASSERT_TRUE(c.no_tls);
	CU_ASSERT_EQUAL(c.upload_limit, 65536);
	gnut_unit_rmtree(dir);
}

static void test_conf_file(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *s1 = g_build_filename(dir, "music", NULL);
	g_mkdir(s1, 0700);
	write_conf(dir, "# gnutd settings\n[gnutd]\nlisten=127.0.0.1:7000\nshare=music;/tmp\n"
	                "peer=127.0.0.1:1;127.0.0.1:2;127.0.0.1:3\nultrapeer=true\n"
	                "control=127.0.0.1:7001\nupload-limit=10k\ndownload-limit=0\n"
	                "no-bootstrap=true\nno-compression=true\nno-tls=true\ndownload-dir=done\n");
	GError *error = NULL;
	g_autoptr(gnut_options) o = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->listen, "127.0.0.1:7000");
	/* relative folders in the file are relative to the data folder */
	CU_ASSERT_STRING_EQUAL(o->shares[0], s1);
	CU_ASSERT_STRING_EQUAL(o->shares[1], "/tmp");
	CU_ASSERT_EQUAL(g_strv_length(o->peers), 3);
	CU_ASSERT_TRUE(o->ultrapeer);
	CU_ASSERT_STRING_EQUAL(o->control, "127.0.0.1:7001");
	CU_ASSERT_EQUAL(o->upload_limit, 10240);
	CU_ASSERT_EQUAL(o->download_limit, 0);
	CU_ASSERT_TRUE(o->no_bootstrap);
	CU_ASSERT_TRUE(o->no_compression);
	CU_ASSERT_TRUE(o->no_tls);
	g_autofree char *done = g_build_filename(dir, "done", NULL);
	CU_ASSERT_STRING_EQUAL(o->download_dir, done);
	gnut_unit_rmtree(dir);
}

static void test_command_line_overrides_file(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	write_conf(dir, "[gnutd]\nlisten=127.0.0.1:7000\nshare=/tmp\npeer=127.0.0.1:1\n"
	                "ultrapeer=true\nupload-limit=10k\ncontrol=127.0.0.1:7001\n");
	GError *error = NULL;
	g_autoptr(gnut_options) o = parse(&error, "--data-dir", dir, "--listen", "127.0.0.1:8000",
	                                  "--share", dir, "--leaf", "--upload-limit", "1M", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->listen, "127.0.0.1:8000");
	CU_ASSERT_EQUAL(g_strv_length(o->shares), 1); /* replaced, not appended */
	CU_ASSERT_STRING_EQUAL(o->shares[0], dir);
	CU_ASSERT_FALSE(o->ultrapeer);
	CU_ASSERT_EQUAL(o->upload_limit, 1048576);
	/* what the command line does not set comes from the file */
	CU_ASSERT_STRING_EQUAL(o->peers[0], "127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(o->control, "127.0.0.1:7001");
	gnut_unit_rmtree(dir);
}

static void test_command_line_errors(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *file = g_build_filename(dir, "f", NULL);
	g_file_set_contents(file, "x", 1, NULL);
	static const struct {
		const char *args[4];
		const char *key;
	} cases[] = {
	    {{"--listen", "bogus"}, "--listen"},
	    {{"--listen", "host.example:6346"}, "--listen"},
	    {{"--listen", "127.0.0.1:70000"}, "--listen"},
	    {{"--control", "localhost:1"}, "--control"},
	    {{"--upload-limit", "12x"}, "--upload-limit"},
	    {{"--download-limit", "-1"}, "--download-limit"},
	    {{"--peer", "nohost"}, "--peer"},
	    {{"--peer", "127.0.0.1:0"}, "--peer"},
	    {{"--share", "/nonexistent/gnutd-test"}, "--share"},
	    {{"--ultrapeer", "--leaf"}, "--ultrapeer"},
	    {{"--uhc", "nohost"}, "--uhc"},
	    {{"--uhc", "[::1]:1"}, "--uhc"},
	    {{"--gwc", "https://cache.example.org/"}, "--gwc"},
	    {{"--gwc", "cache.example.org"}, "--gwc"},
	    {{"--frobnicate"}, "--frobnicate"},
	    {{"--listen"}, "--listen"},
	    {{"stray"}, "stray"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		gnut_options *o =
		    parse(&error, "--data-dir", dir, cases[i].args[0], cases[i].args[1], NULL);
		assert_error_names(o, error, cases[i].key);
		g_clear_error(&error);
	}
	GError *error = NULL;
	gnut_options *o = parse(&error, "--data-dir", dir, "--share", dir, "--share", file, NULL);
	assert_error_names(o, error, "--share");
	g_clear_error(&error);
	o = parse(&error, "--data-dir", dir, "--download-dir", file, NULL);
	assert_error_names(o, error, "--download-dir");
	g_clear_error(&error);
	o = parse(&error, "--data-dir", file, NULL);
	assert_error_names(o, error, "--data-dir");
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

static void test_conf_errors(void)
{
	static const struct {
		const char *text;
		const char *key;
	} cases[] = {
	    {"[gnutd]\nlisten 127.0.0.1:1\n", "gnutd.conf"},
	    {"[gnutd]\nlisen=127.0.0.1:1\n", "lisen"},
	    {"[other]\nlisten=127.0.0.1:1\n", "other"},
	    {"[gnutd]\ndata-dir=/tmp\n", "data-dir"},
	    {"[gnutd]\nultrapeer=maybe\n", "ultrapeer"},
	    {"[gnutd]\nultrapeer=true\nleaf=true\n", "ultrapeer"},
	    {"[gnutd]\nupload-limit=fast\n", "upload-limit"},
	    {"[gnutd]\ndownload-limit=1G\n", "download-limit"},
	    {"[gnutd]\nlisten=\n", "listen"},
	    {"[gnutd]\ncontrol=nowhere\n", "control"},
	    {"[gnutd]\nshare=/nonexistent/gnutd-test\n", "share"},
	    {"[gnutd]\nshare=/tmp;;/tmp\n", "share"},
	    {"[gnutd]\npeer=127.0.0.1:1;bad\n", "peer"},
	    {"[gnutd]\nno-bootstrap=yes please\n", "no-bootstrap"},
	    {"[gnutd]\nuhc=uhc.example.org\n", "uhc"},
	    {"[gnutd]\ngwc=http://a.example.org/?x=1\n", "gwc"},
	    {"[gnutd]\nverbose=true\n", "verbose"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = gnut_unit_mkdtemp();
		write_conf(dir, cases[i].text);
		GError *error = NULL;
		gnut_options *o = parse(&error, "--data-dir", dir, NULL);
		assert_error_names(o, error, cases[i].key);
		/* and the file is named, so the user knows where to look */
		if (error != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "gnutd.conf"));
		g_clear_error(&error);
		gnut_unit_rmtree(dir);
	}
}

/* The caps of gnutd(8)'s LIMITS: unset they are 0 (the servent's
 * defaults); set on the command line or in gnutd.conf (the command line
 * first), they reach the servent's config; 0, too big or not a number is
 * an error naming the key. */
static void test_caps(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	gnut_options *o = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->max_links_per_ip, 0);
	CU_ASSERT_EQUAL(o->leaf_query_rate, 0);
	CU_ASSERT_EQUAL(o->ultrapeer_query_rate, 0);
	CU_ASSERT_EQUAL(o->qrp_total_slots, 0);
	gnut_options_free(o);

	write_conf(dir, "[gnutd]\nmax-links-per-ip=8\nleaf-query-rate=3\n"
	                "ultrapeer-query-rate=200\nqrp-total-slots=64M\nmax-ultrapeers=40\n"
	                "max-leaves=500\n");
	o = parse(&error, "--data-dir", dir, "--leaf-query-rate", "5", "--max-leaves", "1k", NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->max_links_per_ip, 8);
	CU_ASSERT_EQUAL(o->leaf_query_rate, 5);
	CU_ASSERT_EQUAL(o->ultrapeer_query_rate, 200);
	CU_ASSERT_EQUAL(o->qrp_total_slots, 64u << 20);
	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_EQUAL(c.max_links_per_ip, 8);
	CU_ASSERT_EQUAL(c.leaf_query_rate, 5);
	CU_ASSERT_EQUAL(c.ultrapeer_query_rate, 200);
	CU_ASSERT_EQUAL(c.qrp_total_slots, 64u << 20);
	CU_ASSERT_EQUAL(c.max_ultrapeers, 40);
	CU_ASSERT_EQUAL(c.max_leaves, 1024);
	gnut_options_free(o);

	static const struct {
		const char *args[2];
		const char *key;
	} bad[] = {
	    {{"--max-links-per-ip", "0"}, "--max-links-per-ip"},
	    {{"--max-links-per-ip", "65536"}, "--max-links-per-ip"},
	    {{"--leaf-query-rate", "10000001"}, "--leaf-query-rate"},
	    {{"--ultrapeer-query-rate", "fast"}, "--ultrapeer-query-rate"},
	    {{"--qrp-total-slots", "8192M"}, "--qrp-total-slots"},
	    {{"--max-ultrapeers", "0"}, "--max-ultrapeers"},
	    {{"--max-leaves", "65536"}, "--max-leaves"},
	};
	write_conf(dir, "[gnutd]\n");
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		o = parse(&error, "--data-dir", dir, bad[i].args[0], bad[i].args[1], NULL);
		assert_error_names(o, error, bad[i].key);
		g_clear_error(&error);
	}
	write_conf(dir, "[gnutd]\nqrp-total-slots=0\n");
	o = parse(&error, "--data-dir", dir, NULL);
	assert_error_names(o, error, "qrp-total-slots");
	CU_ASSERT_PTR_NOT_NULL(error != NULL ? strstr(error->message, "gnutd.conf") : NULL);
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

/* The role: automatic unless --ultrapeer or --leaf (or the file's keys)
 * force one; its thresholds from the file and the command line reach the
 * servent's config; 0 or too big is an error naming the key. */
static void test_role(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	gnut_options *o = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->auto_role);
	CU_ASSERT_EQUAL(o->role.uptime_s, 0); /* the servent's default */
	gnut_options_free(o);
	o = parse(&error, "--data-dir", dir, "--leaf", NULL);
	CU_ASSERT_FALSE(o->auto_role || o->ultrapeer);
	gnut_options_free(o);
	write_conf(dir, "[gnutd]\nultrapeer=true\nauto-uptime=2k\nleaf-ultrapeers=2\n"
	                "auto-few-leaves=5\nauto-min-upload=20k\n");
	o = parse(&error, "--data-dir", dir, "--auto-uptime", "30", "--want-ultrapeers", "4",
	          "--auto-hold", "60", "--auto-leaf-alone", "10", "--auto-idle-ultrapeer", "90",
	          "--auto-min-download", "1M", NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_FALSE(o->auto_role);
	CU_ASSERT_TRUE(o->ultrapeer);
	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_FALSE(c.auto_role);
	CU_ASSERT_EQUAL(c.role.uptime_s, 30);
	CU_ASSERT_EQUAL(c.role.leaf_ultrapeers, 2);
	CU_ASSERT_EQUAL(c.role.want_ultrapeers, 4);
	CU_ASSERT_EQUAL(c.role.few_leaves, 5);
	CU_ASSERT_EQUAL(c.role.hold_s, 60);
	CU_ASSERT_EQUAL(c.role.leaf_alone_s, 10);
	CU_ASSERT_EQUAL(c.role.idle_s, 90);
	CU_ASSERT_EQUAL(c.role.min_upload, 20 * 1024);
	CU_ASSERT_EQUAL(c.role.min_download, 1024 * 1024);
	gnut_options_free(o);
	static const char *const bad[][2] = {
	    {"--auto-uptime", "0"},          {"--auto-hold", "61201"},
	    {"--leaf-ultrapeers", "65536"},  {"--want-ultrapeers", "x"},
	    {"--auto-few-leaves", "0"},      {"--auto-leaf-alone", "2592001"},
	    {"--auto-idle-ultrapeer", "-1"}, {"--auto-min-upload", "2048G"},
	};
	write_conf(dir, "[gnutd]\n");
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		o = parse(&error, "--data-dir", dir, bad[i][0], bad[i][1], NULL);
		assert_error_names(o, error, bad[i][0]);
		g_clear_error(&error);
	}
	gnut_unit_rmtree(dir);
}

static void test_version_skips_checks(void)
{
	GError *error = NULL;
	g_autoptr(gnut_options) o =
	    parse(&error, "--version", "--data-dir", "/nonexistent/x", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->version);
}

/* The upload caps: counts from the command line over the file's, 0 (the
 * servent's defaults) when unset, and a bad count named. */
static void test_upload_caps(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	gnut_options *o = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->upload_slots, 0);
	CU_ASSERT_EQUAL(o->upload_slots_per_ip, 0);
	CU_ASSERT_EQUAL(o->upload_connections_per_ip, 0);
	gnut_options_free(o);
	write_conf(dir, "[gnutd]\nupload-slots=8\nupload-slots-per-ip=2\n"
	                "upload-connections-per-ip=6\n");
	o = parse(&error, "--data-dir", dir, "--upload-slots-per-ip", "3", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->upload_slots, 8);
	CU_ASSERT_EQUAL(o->upload_slots_per_ip, 3);
	CU_ASSERT_EQUAL(o->upload_connections_per_ip, 6);
	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_EQUAL(c.upload_slots, 8);
	CU_ASSERT_EQUAL(c.upload_slots_per_ip, 3);
	CU_ASSERT_EQUAL(c.upload_connections_per_ip, 6);
	gnut_options_free(o);
	static const struct {
		const char *option;
		const char *value;
	} bad[] = {
	    {"--upload-slots", "0"},
	    {"--upload-slots-per-ip", "-1"},
	    {"--upload-connections-per-ip", "4k"},
	    {"--upload-slots", "+2"},
	    {"--upload-slots", " 2"},
	    {"--upload-slots-per-ip", "1000001"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		o = parse(&error, "--data-dir", dir, bad[i].option, bad[i].value, NULL);
		g_autofree char *key = g_strdup_printf("%s: ", bad[i].option);
		assert_error_names(o, error, key);
		g_clear_error(&error);
	}
	write_conf(dir, "[gnutd]\nupload-connections-per-ip=many\n");
	o = parse(&error, "--data-dir", dir, NULL);
	assert_error_names(o, error, "gnutd.conf: upload-connections-per-ip: ");
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

/* The error domain's name, as GError messages and g_quark_to_string show it. */
static void test_error_domain(void)
{
	CU_ASSERT_STRING_EQUAL(g_quark_to_string(GNUT_OPTIONS_ERROR), "gnut-options-error-quark");
}

/* --allow-private-peers and its key: off by default, on from either. */
static void test_allow_private_peers(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	g_autoptr(gnut_options) none = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(none);
	CU_ASSERT_FALSE(none->allow_private_peers);
	g_autoptr(gnut_options) cli =
	    parse(&error, "--data-dir", dir, "--allow-private-peers", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_TRUE(cli->allow_private_peers);
	gnut_servent_config c;
	gnut_options_to_config(cli, &c);
	CU_ASSERT_TRUE(c.allow_private_peers);
	write_conf(dir, "[gnutd]\nallow-private-peers=true\n");
	g_autoptr(gnut_options) conf = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	CU_ASSERT_TRUE(conf->allow_private_peers);
	write_conf(dir, "[gnutd]\nallow-private-peers=sometimes\n");
	gnut_options *bad = parse(&error, "--data-dir", dir, NULL);
	assert_error_names(bad, error, "allow-private-peers");
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

/* The admission caps: defaults (0), the command line, gnutd.conf under
 * it, what reaches the servent, and errors naming the option or key. */
static void test_admission(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	gnut_options *o = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->max_pending, 0);
	CU_ASSERT_EQUAL(o->max_handshakes, 0);
	CU_ASSERT_EQUAL(o->per_ip_pending, 0);
	CU_ASSERT_EQUAL(o->per_ip_handshakes, 0);
	CU_ASSERT_EQUAL(o->reconnect_burst, 0);
	CU_ASSERT_EQUAL(o->reconnect_interval_s, 0);
	gnut_options_free(o);

	o = parse(&error, "--data-dir", dir, "--max-pending", "100", "--max-handshakes", "50",
	          "--per-ip-pending", "0", "--per-ip-handshakes", "2", "--reconnect-limit", "3/20",
	          NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_EQUAL(c.max_pending, 100);
	CU_ASSERT_EQUAL(c.max_handshakes, 50);
	CU_ASSERT_EQUAL(c.per_ip_pending, GNUT_IP_ADMIT_UNLIMITED);
	CU_ASSERT_EQUAL(c.per_ip_handshakes, 2);
	CU_ASSERT_EQUAL(c.reconnect_burst, 3);
	CU_ASSERT_EQUAL(c.reconnect_interval_s, 20);
	gnut_options_free(o);

	write_conf(dir, "[gnutd]\nmax-pending=10\nreconnect-limit=0\nper-ip-pending=6\n"
	                "per-ip-handshakes=0\n");
	o = parse(&error, "--data-dir", dir, "--per-ip-pending", "7", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->max_pending, 10);
	CU_ASSERT_EQUAL(o->per_ip_pending, 7);
	CU_ASSERT_EQUAL(o->per_ip_handshakes, GNUT_IP_ADMIT_UNLIMITED);
	CU_ASSERT_EQUAL(o->reconnect_burst, GNUT_IP_ADMIT_UNLIMITED);
	CU_ASSERT_EQUAL(o->reconnect_interval_s, 0);
	gnut_options_free(o);

	static const struct {
		const char *args[2];
		const char *key;
	} bad[] = {
	    {{"--max-pending", "0"}, "--max-pending"},
	    {{"--max-handshakes", "-3"}, "--max-handshakes"},
	    {{"--per-ip-pending", "4k"}, "--per-ip-pending"},
	    {{"--per-ip-handshakes", "99999999"}, "--per-ip-handshakes"},
	    {{"--reconnect-limit", "5"}, "--reconnect-limit"},
	    {{"--reconnect-limit", "0/12"}, "--reconnect-limit"},
	    {{"--reconnect-limit", "5/"}, "--reconnect-limit"},
	    {{"--reconnect-limit", "off"}, "--reconnect-limit"},
	};
	g_autofree char *empty = gnut_unit_mkdtemp();
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		o = parse(&error, "--data-dir", empty, bad[i].args[0], bad[i].args[1], NULL);
		assert_error_names(o, error, bad[i].key);
		g_clear_error(&error);
	}
	write_conf(dir, "[gnutd]\nmax-handshakes=many\n");
	o = parse(&error, "--data-dir", dir, NULL);
	assert_error_names(o, error, "max-handshakes");
	if (error != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "gnutd.conf"));
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
	gnut_unit_rmtree(empty);
}

/* --uhc and --gwc: repeatable, literal addresses allowed (loopback test
 * caches), the file's list replaced by the command line's, both reaching
 * the servent's config. */
static void test_bootstrap_lists(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	write_conf(dir, "[gnutd]\nuhc=uhc.example.org:1;127.0.0.1:2\n"
	                "gwc=http://gwc.example.org/g.php\n");
	GError *error = NULL;
	g_autoptr(gnut_options) f = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(g_strv_length(f->uhc), 2);
	CU_ASSERT_STRING_EQUAL(f->gwc[0], "http://gwc.example.org/g.php");
	g_autoptr(gnut_options) o =
	    parse(&error, "--data-dir", dir, "--uhc", "127.0.0.1:9", "--gwc",
	          "http://127.0.0.1:8/gwc", "--gwc", "http://b.example.org/", NULL);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(g_strv_length(o->uhc), 1);
	CU_ASSERT_STRING_EQUAL(o->uhc[0], "127.0.0.1:9");
	CU_ASSERT_EQUAL(g_strv_length(o->gwc), 2);
	gnut_servent_config c;
	gnut_options_to_config(o, &c);
	CU_ASSERT_STRING_EQUAL(c.uhc[0], "127.0.0.1:9");
	CU_ASSERT_STRING_EQUAL(c.gwc[1], "http://b.example.org/");
	CU_ASSERT_PTR_NULL(c.gwc[2]);
	gnut_unit_rmtree(dir);
}

/* Which file is read: --config, else DATA-DIR/gnutd.conf, else
 * $XDG_CONFIG_HOME/gnutd/gnutd.conf (/etc/gnutd/gnutd.conf last, not
 * tested: a test must not write there). Only one file is read. */
static void test_conf_precedence(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	g_autofree char *user_dir = g_build_filename(config_home, "gnutd", NULL);
	g_autofree char *user_conf = g_build_filename(user_dir, "gnutd.conf", NULL);
	g_autofree char *given = g_build_filename(dir, "given.conf", NULL);
	CU_ASSERT_EQUAL(g_mkdir_with_parents(user_dir, 0700), 0);
	CU_ASSERT_TRUE(g_file_set_contents(user_conf, "[gnutd]\nupload-limit=1k\n", -1, NULL));
	CU_ASSERT_TRUE(g_file_set_contents(given, "[gnutd]\nupload-limit=3k\n", -1, NULL));
	GError *error = NULL;
	g_autoptr(gnut_options) user = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(user);
	CU_ASSERT_STRING_EQUAL(user->conf_path, user_conf);
	CU_ASSERT_EQUAL(user->upload_limit, 1024);

	write_conf(dir, "[gnutd]\nupload-limit=2k\n");
	g_autoptr(gnut_options) in_data = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in_data);
	CU_ASSERT_EQUAL(in_data->upload_limit, 2048);

	g_autoptr(gnut_options) explicit =
	    parse(&error, "--data-dir", dir, "--config", given, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(explicit);
	CU_ASSERT_STRING_EQUAL(explicit->conf_path, given);
	CU_ASSERT_EQUAL(explicit->upload_limit, 3072);

	g_autoptr(gnut_options) cli =
	    parse(&error, "--data-dir", dir, "--config", given, "--upload-limit", "4k", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL(cli->upload_limit, 4096);

	g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
	g_autoptr(gnut_options) none = parse(&error, "--data-dir", dir, "--config", missing, NULL);
	assert_error_names(g_steal_pointer(&none), error, "--config: ");
	g_clear_error(&error);
	g_unlink(user_conf);
	gnut_unit_rmtree(dir);
}

static void test_log_level_and_check_config(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	write_conf(dir, "[gnutd]\nlog-level=warning\n");
	g_autoptr(gnut_options) o = parse(&error, "--data-dir", dir, "--check-config", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->check_config);
	CU_ASSERT_EQUAL(o->log_level, GNUT_LOG_WARNING);
	g_autoptr(gnut_options) v = parse(&error, "--data-dir", dir, "-v", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->log_level, GNUT_LOG_DEBUG);
	g_autoptr(gnut_options) bad = parse(&error, "--data-dir", dir, "--log-level", "loud", NULL);
	assert_error_names(g_steal_pointer(&bad), error, "--log-level: ");
	g_clear_error(&error);
	write_conf(dir, "[gnutd]\nconfig=/x\n");
	g_autoptr(gnut_options) nested = parse(&error, "--data-dir", dir, NULL);
	assert_error_names(g_steal_pointer(&nested), error, "gnutd.conf: config: ");
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

/* --control-tls and --control-cert: values, the file, and when auto is on. */
static void test_control_tls(void)
{
	g_autofree char *dir = gnut_unit_mkdtemp();
	GError *error = NULL;
	g_autoptr(gnut_options) def = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	CU_ASSERT_EQUAL(def->control_tls, GNUT_CONTROL_TLS_AUTO);
	CU_ASSERT_PTR_NULL(def->control_cert);
	CU_ASSERT_FALSE(gnut_control_wants_tls(def)); /* 127.0.0.1:6345 */

	write_conf(dir, "[gnutd]\ncontrol=0.0.0.0:7001\ncontrol-cert=my.pem\n");
	g_autoptr(gnut_options) wide = parse(&error, "--data-dir", dir, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wide);
	CU_ASSERT_TRUE(gnut_control_wants_tls(wide)); /* auto, beyond loopback */
	g_autofree char *pem = g_build_filename(dir, "my.pem", NULL);
	CU_ASSERT_STRING_EQUAL(wide->control_cert, pem); /* relative to the data folder */
	g_autoptr(gnut_options) off =
	    parse(&error, "--data-dir", dir, "--control-tls", "off", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(off);
	CU_ASSERT_FALSE(gnut_control_wants_tls(off));
	g_autoptr(gnut_options) on =
	    parse(&error, "--data-dir", dir, "--control", "[::1]:9", "--control-tls", "on", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(on);
	CU_ASSERT_TRUE(gnut_control_wants_tls(on));

	g_autoptr(gnut_options) bad =
	    parse(&error, "--data-dir", dir, "--control-tls", "yes", NULL);
	assert_error_names(g_steal_pointer(&bad), error, "--control-tls");
	g_clear_error(&error);
	gnut_unit_rmtree(dir);

	CU_ASSERT_TRUE(gnut_control_address_is_loopback("127.0.0.1:6345"));
	CU_ASSERT_TRUE(gnut_control_address_is_loopback("127.8.9.10:1"));
	CU_ASSERT_TRUE(gnut_control_address_is_loopback("[::1]:6345"));
	CU_ASSERT_FALSE(gnut_control_address_is_loopback("0.0.0.0:6345"));
	CU_ASSERT_FALSE(gnut_control_address_is_loopback("[::]:6345"));
	CU_ASSERT_FALSE(gnut_control_address_is_loopback("192.168.1.2:6345"));
	CU_ASSERT_FALSE(gnut_control_address_is_loopback("localhost:6345")); /* not an IP */
}

static CU_TestInfo tests[] = {
    {"defaults ($XDG_DATA_HOME/gnutd)", test_defaults},
    {"command line", test_command_line},
    {"gnutd.conf", test_conf_file},
    {"command line overrides gnutd.conf", test_command_line_overrides_file},
    {"command line errors name the option", test_command_line_errors},
    {"gnutd.conf errors name the key", test_conf_errors},
    {"caps (LIMITS)", test_caps},
    {"the role and its thresholds", test_role},
    {"--version", test_version_skips_checks},
    {"the error domain's name", test_error_domain},
    {"upload caps", test_upload_caps},
    {"--allow-private-peers", test_allow_private_peers},
    {"--uhc and --gwc", test_bootstrap_lists},
    {"admission caps", test_admission},
    {"which configuration file", test_conf_precedence},
    {"--log-level and --check-config", test_log_level_and_check_config},
    {"--control-tls and --control-cert", test_control_tls},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("options", tests, set_homes, clear_homes)
