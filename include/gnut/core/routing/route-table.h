/* route-table.h: GUID -> link id, the memory that lets replies travel back.
 * The router keeps three of them: ping GUID -> link it came from (pongs go
 * back there), query GUID -> link (query hits go back there), and servent
 * GUID -> link that brought that servent's hits (pushes go there).
 *
 * Links are named by id, never by pointer: when a link closes, at worst an
 * entry names an id that no longer exists, and whoever uses a looked-up id
 * checks that the link is still there. Id 0 means "us" (we originated it).
 *
 * Entries expire after a lifetime measured on the injected clock, and the
 * table holds at most max_entries: adding to a full table evicts the entry
 * that was added (or refreshed) longest ago. A cap per link can be set too:
 * adding to a link that holds its cap evicts that link's oldest entry, so
 * that one link flooding requests cannot push the routes of the others
 * out. Every operation but purge_link costs O(1) (amortised over expiry),
 * whatever the table holds; purge_link costs O(the link's entries). */
#ifndef GNUT_ROUTE_TABLE_H
#define GNUT_ROUTE_TABLE_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"

typedef struct gnut_route_table gnut_route_table;

/* lifetime_us > 0, max_entries > 0. The clock must outlive the table. */
gnut_route_table *gnut_route_table_new(gnut_clock *clock, gint64 lifetime_us, guint max_entries);
void gnut_route_table_free(gnut_route_table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_route_table, gnut_route_table_free)

/* At most max_per_link entries naming one link (0, the default: no cap but
 * max_entries). Entries over a new cap stay until they expire or are
 * refreshed. */
void gnut_route_table_set_max_per_link(gnut_route_table *t, guint max_per_link);

/* Remembers guid -> link as of now, replacing any previous route for guid and
 * restarting its lifetime (a route in use stays alive). */
void gnut_route_table_put(gnut_route_table *t, const gnut_guid *guid, guint64 link);

/* TRUE and *link (may be NULL) when guid has a route that has not expired. */
gboolean gnut_route_table_lookup(const gnut_route_table *t, const gnut_guid *guid, guint64 *link);

/* Forgets guid; TRUE if it had a route. */
gboolean gnut_route_table_remove(gnut_route_table *t, const gnut_guid *guid);

/* Forgets every route through link (it closed); returns how many. */
guint gnut_route_table_purge_link(gnut_route_table *t, guint64 link);

/* Frees expired entries now (put does it as it goes; this is for timers). */
void gnut_route_table_expire(gnut_route_table *t);

/* Entries held, expired ones not yet freed included. */
guint gnut_route_table_size(const gnut_route_table *t);
/* Of which naming link. */
guint gnut_route_table_link_size(const gnut_route_table *t, guint64 link);

#endif
