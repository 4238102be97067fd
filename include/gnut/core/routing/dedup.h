/* dedup.h: has this (GUID, message type) been seen recently?
 *
 * Broadcast messages (pings, queries) and pushes reach a servent along
 * several paths; only the first copy is handled and relayed. The key is the
 * GUID together with the message type, as in the reference servent: a ping
 * and a query that happen to share a GUID are different messages. (Replies
 * are not deduplicated here: pongs and query hits reuse their request's GUID,
 * so many distinct replies share one.)
 *
 * Entries expire after a lifetime on the injected clock, and at most
 * max_entries are held: recording into a full set forgets the oldest. */
#ifndef GNUT_DEDUP_H
#define GNUT_DEDUP_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"

typedef struct gnut_dedup gnut_dedup;

/* lifetime_us > 0, max_entries > 0. The clock must outlive the set. */
gnut_dedup *gnut_dedup_new(gnut_clock *clock, gint64 lifetime_us, guint max_entries);
void gnut_dedup_free(gnut_dedup *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_dedup, gnut_dedup_free)

/* TRUE when (guid, type) was recorded within the lifetime (a duplicate; the
 * record is not refreshed). Otherwise records it as of now, returns FALSE. */
gboolean gnut_dedup_check_and_add(gnut_dedup *d, const gnut_guid *guid, guint8 type);

/* Whether (guid, type) is recorded and unexpired, without recording it. */
gboolean gnut_dedup_seen(const gnut_dedup *d, const gnut_guid *guid, guint8 type);

/* Frees expired records now (check_and_add does it as it goes). */
void gnut_dedup_expire(gnut_dedup *d);

/* Records held, expired ones not yet freed included. */
guint gnut_dedup_size(const gnut_dedup *d);

#endif
