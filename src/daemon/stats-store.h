/* stats-store.h: the totals gnut stats reports across restarts (bytes,
 * transfers, queries, hits, messages, uptime: gnut_servent_totals), kept in
 * DATA-DIR/stats.state, a key file (group [totals]) written atomically.
 * The daemon saves it every minute and at a clean stop, so a crash or
 * SIGKILL loses at most the last minute's counts. A damaged file is set
 * aside as stats.state.bad with a warning and counting starts again from
 * zero: the totals are a convenience, never a reason not to start. */
#ifndef GNUT_DAEMON_STATS_STORE_H
#define GNUT_DAEMON_STATS_STORE_H

#include "gnut/core/servent.h"

#define GNUT_STATS_FILE_NAME "stats.state"
#define GNUT_STATS_SAVE_S    60 /* seconds between saves */

/* Reads the totals in path: a missing file is all zero; a damaged one
 * (not a key file, a key missing, not a number, too large) is FALSE with
 * an error naming the file and what is wrong. */
gboolean gnut_stats_load(const char *path, gnut_servent_totals *out, GError **error);
/* Writes the totals to path atomically. */
gboolean gnut_stats_save(const char *path, const gnut_servent_totals *totals, GError **error);

/* Keeps a servent's totals in a file: at creation reads them (a damaged
 * file is logged, renamed to PATH.bad, and zero is used) and gives them to
 * the servent as its earlier runs'; then saves every interval_s seconds
 * on the thread-default main context, and once more when freed. */
typedef struct gnut_stats_keeper gnut_stats_keeper;
gnut_stats_keeper *gnut_stats_keeper_new(gnut_servent *s, const char *path, guint interval_s);
void gnut_stats_keeper_free(gnut_stats_keeper *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_stats_keeper, gnut_stats_keeper_free)

#endif
