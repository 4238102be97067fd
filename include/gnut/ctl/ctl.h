/* ctl.h: the control API as a table of methods, apart from any transport.
 * A method takes the servent and a JSON object of named parameters and
 * returns a JSON result (or a GError); the HTTP transport (ctl-server.h) and
 * the tests call the same table. Field names follow DESIGN.md's contract:
 *
 *   status                               -> {version, mode, peers, shared_files,
 *                                            bytes_up, bytes_down, uptime}
 *   stats                                -> {session: T, total: T}, T = {bytes_up,
 *                                            bytes_down, uploads_completed,
 *                                            downloads_completed, queries_sent,
 *                                            queries_answered, hits_received,
 *                                            messages_received, messages_sent,
 *                                            messages_dropped, uptime}; total adds
 *                                            the runs the daemon kept (stats-store.h)
 *   peers                                -> [{host, port, mode, user_agent}]
 *   connect         {address}            -> {ok, address}
 *   disconnect      {address}            -> {ok, address}  (not_found: no such link)
 *   search.start    {query}              -> {search_id}
 *   search.hits     {search_id, after?}  -> [{id, name, size, urn, host, port}]
 *   search.stop     {search_id}          -> {ok}
 *   download.start  {target, to?}        -> {id, name, size, done, state, path[, error],
 *                                            sources, active_sources, rate, eta}
 *   downloads                            -> [the same objects]
 *   download.cancel {id}                 -> {ok, id}
 *   download.pause  {id}                 -> {ok, id}
 *   download.resume {id}                 -> {ok, id}
 *   download.retry  {id}                 -> {ok, id}
 *   download.sources {id}                -> [{host, port, firewalled, state[, error],
 *                                            received, failures, retry_in
 *                                            [, range_start, range_end]}]
 *   shares                               -> [{path, size, urn}]
 *   share.add       {path}               -> {ok, path}
 *   share.remove    {path}               -> {ok, path}
 *   magnet          {hit} | {download} | {path} -> {magnet}  (one of the three: a hit
 *                                            id, a download id, a shared file's path)
 *   limits                               -> {upload_limit, download_limit}
 *   limits.set      {upload_limit?, download_limit?} -> {upload_limit, download_limit}
 *   rescan                               -> {ok}
 *   stop                                 -> {ok}
 *
 * Integers are JSON integers; ids are positive; folders must be absolute
 * (the daemon's working folder is not the caller's). A member not listed is
 * an error, so that a misspelt parameter is never silently ignored. */
#ifndef GNUT_CTL_H
#define GNUT_CTL_H

#include <json-glib/json-glib.h>

#include "gnut/core/servent.h"

#define GNUT_CTL_ERROR (gnut_ctl_error_quark())
GQuark gnut_ctl_error_quark(void);

typedef enum {
	GNUT_CTL_ERROR_UNKNOWN_METHOD,
	GNUT_CTL_ERROR_INVALID_PARAMS,
} gnut_ctl_error;

/* params is never NULL (an absent object is passed as an empty one). */
typedef JsonNode *(*gnut_ctl_fn)(gnut_servent *s, JsonObject *params, GError **error);

typedef enum {
	GNUT_CTL_METHOD_NONE = 0,
	/* The method ends the process serving the call (stop): a transport must
	 * send its reply, {"ok": true}, before it calls the method. */
	GNUT_CTL_METHOD_REPLY_FIRST = 1 << 0,
	/* The method changes a setting the daemon keeps across restarts
	 * (gnut_ctl_server_set_change_handler). */
	GNUT_CTL_METHOD_PERSIST = 1 << 1,
} gnut_ctl_method_flags;

typedef struct {
	const char *name;
	gnut_ctl_fn fn;
	gnut_ctl_method_flags flags;
} gnut_ctl_method;

/* The whole table, n_methods entries. */
const gnut_ctl_method *gnut_ctl_methods(gsize *n_methods);
/* NULL when there is no method of that name. */
const gnut_ctl_method *gnut_ctl_method_lookup(const char *name);

/* Looks name up and calls it; params may be NULL. An unknown name is
 * GNUT_CTL_ERROR_UNKNOWN_METHOD, a bad parameter GNUT_CTL_ERROR_INVALID_PARAMS,
 * and the servent's own errors come back as GNUT_ERROR. */
JsonNode *gnut_ctl_call(gnut_servent *s, const char *name, JsonObject *params, GError **error);

#endif
