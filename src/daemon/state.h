/* state.h: the settings changed through the control API, kept across
 * restarts in DATA-DIR/settings.state (a key file, group [state], written
 * atomically). It records what the configuration did not say: folders
 * shared and unshared, peers added and removed, rate limits set. At start
 * and at every reload it is laid over the options from the command line and
 * the configuration file, so an API change outlives both until the API
 * changes it again (or the file is deleted). */
#ifndef GNUT_DAEMON_STATE_H
#define GNUT_DAEMON_STATE_H

#include <json-glib/json-glib.h>

#include "options.h"

typedef struct gnut_state gnut_state;

/* Reads path (a missing file is an empty state); a file that cannot be
 * parsed is an error naming it. */
gnut_state *gnut_state_load(const char *path, GError **error);
void gnut_state_free(gnut_state *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_state, gnut_state_free)

/* Applies the state to o: adds and removes shares and peers, sets limits. */
void gnut_state_apply(const gnut_state *st, gnut_options *o);

/* Records a successful control call that changes a setting (share.add,
 * share.remove, connect, disconnect, limits.set; others are ignored) and
 * saves the file. FALSE with error if it cannot be written. */
gboolean gnut_state_record(gnut_state *st, const char *method, JsonObject *params, GError **error);

#endif
