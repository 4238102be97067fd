/* outq.h: a bounded output queue of whole messages (GBytes) with priorities.
 *
 * A link queues messages here and its connection drains them to the socket.
 * The queue holds at most `cap` unsent bytes. When a new message would not
 * fit, queued messages of strictly lower priority are dropped, lowest
 * priority first and most recently queued first within a priority, but only
 * if that makes enough room; otherwise the new message is the one dropped.
 * The message being written (the "head", of which part may be on the wire
 * already) is never dropped, so a peer never sees half a message.
 *
 * Send order: the head first, then higher priorities before lower ones,
 * first in first out within a priority. Messages are referenced, never
 * copied, so one broadcast GBytes can sit in the queues of many links.
 *
 * A pure data structure: no socket, no main loop (tests drive it directly). */
#ifndef GNUT_OUTQ_H
#define GNUT_OUTQ_H

#include <gio/gio.h>
#include <glib.h>

/* Priorities, lowest first. Pings rank above hits because on a 0.6 link
 * they are mostly TTL-1 keep-alives: losing one can get the link dropped. */
typedef enum {
	GNUT_PRIO_BULK = 0, /* bulk data (QRP patches, browse results) */
	GNUT_PRIO_QUERY,    /* forwarded queries: the first thing to shed */
	GNUT_PRIO_HIT,      /* query hits travelling back to a searcher */
	GNUT_PRIO_PING,     /* pings, mostly keep-alives */
	GNUT_PRIO_PONG,     /* pongs (small, answer our own pings) */
	GNUT_PRIO_CONTROL,  /* bye, vendor and QRP control, push: never shed for others */
	GNUT_PRIO_COUNT,
} gnut_prio;

typedef struct gnut_outq gnut_outq;

/* Counters for status pages; they only ever grow. */
typedef struct {
	guint64 queued_msgs;                    /* messages accepted */
	guint64 sent_msgs;                      /* messages fully consumed */
	guint64 dropped_msgs[GNUT_PRIO_COUNT];  /* evicted or refused, per priority */
	guint64 dropped_bytes[GNUT_PRIO_COUNT]; /* their sizes */
} gnut_outq_stats;

/* A queue holding at most cap unsent bytes (cap > 0). */
gnut_outq *gnut_outq_new(gsize cap);
void gnut_outq_free(gnut_outq *q);

/* Changes the cap for later pushes; messages already queued stay. */
void gnut_outq_set_cap(gnut_outq *q, gsize cap);
gsize gnut_outq_get_cap(const gnut_outq *q);

/* Queues msg (a reference is taken) at prio, dropping lower-priority
 * messages if needed as described above. Returns TRUE when msg was queued;
 * FALSE when it was dropped (counted in the stats). An empty msg is accepted
 * and counts as sent at once. */
gboolean gnut_outq_push(gnut_outq *q, GBytes *msg, gnut_prio prio);

/* Unsent bytes and messages (the partly written head counts as one). */
gsize gnut_outq_bytes(const gnut_outq *q);
guint gnut_outq_length(const gnut_outq *q);
gboolean gnut_outq_is_empty(const gnut_outq *q);

/* Fills up to max_vec vectors with the unsent bytes in send order and
 * returns how many it filled (0 when empty). The pointers stay valid until
 * the next push, consume or clear. */
guint gnut_outq_peek(const gnut_outq *q, GOutputVector *vec, guint max_vec);

/* Marks the first n unsent bytes (in peek order) as written; n must not
 * exceed gnut_outq_bytes. A message partly consumed becomes the head. */
void gnut_outq_consume(gnut_outq *q, gsize n);

/* Drops everything, the head included (the link is going away); not
 * counted as drops. */
void gnut_outq_clear(gnut_outq *q);

const gnut_outq_stats *gnut_outq_get_stats(const gnut_outq *q);

/* "control", "pong", ... for logs. */
const char *gnut_prio_name(gnut_prio prio);

#endif
