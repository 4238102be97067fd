/* seeds.h: the bootstrap services a servent asks for hosts when its own
 * host cache has none it can dial: UDP host caches ("HOST:PORT") and
 * GWebCaches ("http://host[:port]/path"). The built-in lists are data files,
 * share/bootstrap/uhc.txt and gwc.txt, installed in the package data folder;
 * they name hosts, never literal addresses. The user's own entries (--uhc,
 * --gwc) may be literals (tests give loopback caches). Nothing here opens a
 * socket or resolves a name. */
#ifndef GNUT_SEEDS_H
#define GNUT_SEEDS_H

#include <glib.h>

#define GNUT_SEEDS_MAX      64                /* entries in one list */
#define GNUT_SEEDS_MAX_FILE (16 * 1024)       /* bytes of a list file */
#define GNUT_SEEDS_DIR_ENV  "GNUTD_SHARE_DIR" /* overrides where the lists are */
#define GNUT_SEEDS_UHC_FILE "uhc.txt"
#define GNUT_SEEDS_GWC_FILE "gwc.txt"

typedef enum {
	GNUT_SEED_UHC, /* a UDP host cache, HOST:PORT */
	GNUT_SEED_GWC, /* a GWebCache URL (gnut/proto/gwc.h) */
} gnut_seed_kind;

/* Whether entry is a valid seed of kind; names_only refuses literal
 * addresses (the built-in lists). G_IO_ERROR_INVALID_ARGUMENT says why. */
gboolean gnut_seed_check(gnut_seed_kind kind, const char *entry, gboolean names_only,
                         GError **error);

/* The entries of a list file's text: one a line, '#' comments and blank
 * lines skipped, surrounding blanks trimmed; each must pass
 * gnut_seed_check with names_only. Any bad line, more than GNUT_SEEDS_MAX
 * entries or more than GNUT_SEEDS_MAX_FILE bytes fails the whole list
 * (G_IO_ERROR_INVALID_DATA naming the line). */
GStrv gnut_seeds_parse(gnut_seed_kind kind, const char *text, gsize len, GError **error);

/* The built-in list of kind, read from the folder holding the built-in
 * lists: $GNUTD_SHARE_DIR when set, else the installed package data folder
 * when it has them, else the source tree's share/bootstrap (a build that is
 * not installed: tests, the demo). An unreadable or bad file is an error. */
GStrv gnut_seeds_builtin(gnut_seed_kind kind, GError **error);

/* What a client remembers of one cache across restarts, as one line of
 * the bootstrap state file: "<wait s> <failures> <C|L> <entry>", C for a
 * configured cache, L for one learned from another cache's answer; wait:
 * seconds before it may be asked again. */
typedef struct {
	guint64 wait_s;
	guint failures;
	gboolean learned;
	const char *entry; /* points into the parsed text */
} gnut_seed_record;

#define GNUT_SEED_RECORD_MAX_WAIT_S   (24 * 3600)
#define GNUT_SEED_RECORD_MAX_FAILURES 64

char *gnut_seed_record_format(const gnut_seed_record *r);
/* The record of a cache that may be asked again at next_us (clock time),
 * now being now_us; wait and failures clamped to the parser's limits. */
gnut_seed_record gnut_seed_record_of(const char *entry, gboolean learned, guint failures,
                                     gint64 next_us, gint64 now_us);
/* Stores records (a GArray of gnut_seed_record) as the "caches" list of
 * group; reads that list back (NULL when absent). */
void gnut_seed_records_save(GKeyFile *kf, const char *group, const GArray *records);
GStrv gnut_seed_records_lines(GKeyFile *kf, const char *group);
/* FALSE for anything off that form, a wait over
 * GNUT_SEED_RECORD_MAX_WAIT_S or failures over
 * GNUT_SEED_RECORD_MAX_FAILURES, or an entry that fails gnut_seed_check of
 * kind (names only for a learned one). */
gboolean gnut_seed_record_parse(gnut_seed_kind kind, const char *text, gnut_seed_record *out);

#endif
