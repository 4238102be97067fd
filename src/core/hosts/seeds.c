/* seeds.c: the bootstrap service lists (see seeds.h): checking entries and
 * reading the built-in list files. */
#define G_LOG_DOMAIN "gnut-core"

#include "gnut/core/hosts/seeds.h"

#include <gio/gio.h>
#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/gwc.h"

static gboolean check_uhc(const char *entry, gboolean names_only, GError **error)
{
	gnut_addr_host_port hp;
	if (gnut_addr_parse_host_port(entry, strlen(entry), 0, &hp) != GNUT_PROTO_OK ||
	    hp.kind == GNUT_ADDR_HOST_IPV6) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" is not HOST:PORT", entry);
		return FALSE;
	}
	if (names_only && hp.kind != GNUT_ADDR_HOST_NAME) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\": a built-in list names hosts, not addresses", entry);
		return FALSE;
	}
	return TRUE;
}

static gboolean check_gwc(const char *entry, gboolean names_only, GError **error)
{
	gnut_gwc_url u;
	gnut_proto_err err = gnut_gwc_url_parse(entry, strlen(entry), &u);
	if (err != GNUT_PROTO_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\" is not an http:// URL without query (%s)", entry,
		            gnut_proto_strerror(err));
		return FALSE;
	}
	if (names_only && u.host_is_ipv4) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "\"%s\": a built-in list names hosts, not addresses", entry);
		return FALSE;
	}
	return TRUE;
}

gboolean gnut_seed_check(gnut_seed_kind kind, const char *entry, gboolean names_only,
                         GError **error)
{
	return kind == GNUT_SEED_UHC ? check_uhc(entry, names_only, error)
	                             : check_gwc(entry, names_only, error);
}

GStrv gnut_seeds_parse(gnut_seed_kind kind, const char *text, gsize len, GError **error)
{
	if (len > GNUT_SEEDS_MAX_FILE) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "over %u bytes",
		            GNUT_SEEDS_MAX_FILE);
		return NULL;
	}
	g_autofree char *copy = g_strndup(text, len);
	g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	guint n = 0;
	for (guint i = 0; lines[i] != NULL; i++) {
		char *entry = g_strstrip(lines[i]);
		if (*entry == '\0' || *entry == '#')
			continue;
		g_autoptr(GError) e = NULL;
		if (++n > GNUT_SEEDS_MAX || !gnut_seed_check(kind, entry, TRUE, &e)) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "line %u: %s",
			            i + 1, e != NULL ? e->message : "too many entries");
			return NULL;
		}
		g_strv_builder_add(b, entry);
	}
	return g_strv_builder_end(b);
}

static gboolean has_lists(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, GNUT_SEEDS_UHC_FILE, NULL);
	return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

static char *seeds_dir(void)
{
	const char *env = g_getenv(GNUT_SEEDS_DIR_ENV);
	if (env != NULL && *env != '\0')
		return g_strdup(env);
	g_autofree char *installed = g_build_filename(GNUT_DATADIR, "bootstrap", NULL);
	if (has_lists(installed))
		return g_steal_pointer(&installed);
	return g_build_filename(GNUT_SRC_SHAREDIR, "bootstrap", NULL);
}

GStrv gnut_seeds_builtin(gnut_seed_kind kind, GError **error)
{
	g_autofree char *dir = seeds_dir();
	g_autofree char *path = g_build_filename(
	    dir, kind == GNUT_SEED_UHC ? GNUT_SEEDS_UHC_FILE : GNUT_SEEDS_GWC_FILE, NULL);
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) e = NULL;
	GStrv list = NULL;
	if (g_file_get_contents(path, &text, &len, &e))
		list = gnut_seeds_parse(kind, text, len, &e);
	if (list == NULL)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, e->message);
	return list;
}

char *gnut_seed_record_format(const gnut_seed_record *r)
{
	return g_strdup_printf("%" G_GUINT64_FORMAT " %u %c %s", r->wait_s, r->failures,
	                       r->learned ? 'L' : 'C', r->entry);
}

gnut_seed_record gnut_seed_record_of(const char *entry, gboolean learned, guint failures,
                                     gint64 next_us, gint64 now_us)
{
	gint64 wait_s = MAX(next_us - now_us, 0) / G_USEC_PER_SEC;
	return (gnut_seed_record){(guint64)MIN(wait_s, GNUT_SEED_RECORD_MAX_WAIT_S),
	                          MIN(failures, GNUT_SEED_RECORD_MAX_FAILURES), learned, entry};
}

#define STATE_KEY "caches"

void gnut_seed_records_save(GKeyFile *kf, const char *group, const GArray *records)
{
	g_autoptr(GStrvBuilder) b = g_strv_builder_new();
	for (guint i = 0; i < records->len; i++) {
		g_autofree char *line =
		    gnut_seed_record_format(&g_array_index(records, gnut_seed_record, i));
		g_strv_builder_add(b, line);
	}
	g_auto(GStrv) lines = g_strv_builder_end(b);
	g_key_file_set_string_list(kf, group, STATE_KEY, (const char *const *)lines,
	                           g_strv_length(lines));
}

GStrv gnut_seed_records_lines(GKeyFile *kf, const char *group)
{
	return g_key_file_get_string_list(kf, group, STATE_KEY, NULL, NULL);
}

/* A decimal number of at most 9 digits ending at a space; *p moves past it. */
static gboolean take_number(const char **p, guint64 max, guint64 *out)
{
	const char *q = *p;
	guint64 v = 0;
	for (; g_ascii_isdigit(*q) && q - *p < 9; q++)
		v = v * 10 + (guint64)(*q - '0');
	if (q == *p || *q != ' ' || v > max)
		return FALSE;
	*out = v;
	*p = q + 1;
	return TRUE;
}

gboolean gnut_seed_record_parse(gnut_seed_kind kind, const char *text, gnut_seed_record *out)
{
	const char *p = text;
	guint64 wait, failures;
	if (!take_number(&p, GNUT_SEED_RECORD_MAX_WAIT_S, &wait) ||
	    !take_number(&p, GNUT_SEED_RECORD_MAX_FAILURES, &failures) ||
	    (p[0] != 'C' && p[0] != 'L') || p[1] != ' ')
		return FALSE;
	gboolean learned = p[0] == 'L';
	if (!gnut_seed_check(kind, p + 2, learned, NULL))
		return FALSE;
	*out = (gnut_seed_record){wait, (guint)failures, learned, p + 2};
	return TRUE;
}
