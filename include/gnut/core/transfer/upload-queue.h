/* upload-queue.h: the queue behind the upload slots (PARQ,
 * doc/gnutella/PARQ), without sockets: upload.c asks it what to do with
 * each request for a body, and answers as it says.
 *
 * A request that finds no slot for it is queued and answered 503 with
 * X-Queued (position, length, ETA when the upload rate is limited,
 * lifetime, ID) and Retry-After. The client must come back no sooner than
 * Retry-After and before the lifetime ends:
 *  - Retry-After: 30 s at position 1, 20 s more for each place behind, up
 *    to position 20 (410 s); 600 s behind that (the specification's
 *    formula);
 *  - lifetime: Retry-After + 60 s for a client that sent X-Queue ("active"),
 *    at least 300 s for one that did not ("passive": legacy clients that
 *    may only know their own retry timer). An entry not asked for again
 *    in its lifetime is dropped.
 * Which entry a request is: the one its X-Queued ID names, when that entry
 * was made for the same address (an ID from another address is ignored:
 * nobody takes over someone else's place); else the entry of its address
 * for the same file, if any; else a new one.
 * Early polls: an active client that names its entry by ID and comes back
 * more than GNUT_UPLOAD_QUEUE_EARLY_SLACK_S before its Retry-After loses its
 * place: the entry is dropped and the request queued again at the tail,
 * with a new ID. Passive clients are not penalised (the specification asks
 * not to): they keep their place whenever they come.
 *
 * Fairness: the queue is first come, first served between addresses, and
 * round-robin within them: an entry's rank is the number of entries its
 * address made before it plus the uploads under way to that address, and
 * entries are served by rank, then by arrival. So an address with an upload
 * under way, or with several entries, cannot starve the others, and one
 * address holds at most per_ip entries (beyond: refused with a plain 503);
 * the whole queue at most max_length.
 *
 * Slots: the first entries in order, as many as slots are free, have a slot
 * kept for them until they come back (at most their lifetime): a request
 * that is not one of them gets a slot only when more slots are free than
 * entries wait for them. An entry whose address already has its
 * slots_per_ip uploads under way keeps its place but is passed over. */
#ifndef GNUT_UPLOAD_QUEUE_H
#define GNUT_UPLOAD_QUEUE_H

#include <glib.h>
#include <stdint.h>

#include "gnut/base/clock.h"
#include "gnut/base/ip-admit.h"

#define GNUT_UPLOAD_QUEUE_DEFAULT_LENGTH 64
#define GNUT_UPLOAD_QUEUE_DEFAULT_PER_IP 4
#define GNUT_UPLOAD_QUEUE_MAX_LENGTH     4096 /* what max_length may be */
#define GNUT_UPLOAD_QUEUE_FIRST_POLL_S   30   /* Retry-After at position 1 */
#define GNUT_UPLOAD_QUEUE_POLL_STEP_S    20   /* more for each place behind */
#define GNUT_UPLOAD_QUEUE_STEP_PLACES    20   /* positions that step */
#define GNUT_UPLOAD_QUEUE_FAR_POLL_S     600  /* Retry-After behind them */
#define GNUT_UPLOAD_QUEUE_LIFETIME_S     60   /* lifetime beyond Retry-After */
#define GNUT_UPLOAD_QUEUE_PASSIVE_S      300  /* least lifetime of a passive entry */
#define GNUT_UPLOAD_QUEUE_EARLY_SLACK_S  5    /* tolerated before Retry-After */
#define GNUT_UPLOAD_QUEUE_ID_LEN         32   /* hex characters */

typedef struct gnut_upload_queue gnut_upload_queue;

/* Zero fields take the defaults. */
typedef struct {
	guint max_length; /* entries in all (capped at MAX_LENGTH) */
	guint per_ip;     /* entries of one address */
} gnut_upload_queue_config;

/* One request for a body, as upload.c sees it. */
typedef struct {
	gnut_ip_key key;              /* the client's address */
	const uint8_t *sha1;          /* the file asked (GNUT_SHA1_LEN bytes) */
	guint64 len;                  /* bytes asked (for the ETA of those behind) */
	gboolean active;              /* the request has X-Queue */
	const char *id;               /* its X-Queued ID, or NULL */
	guint free_slots;             /* upload slots free now */
	const gnut_ip_admit *uploads; /* uploads under way, per address */
	guint slots_per_ip;           /* uploads one address may have */
	guint64 rate;                 /* the upload limit (bytes/s), 0: none */
} gnut_upload_ask;

typedef enum {
	GNUT_UPLOAD_QUEUE_SERVE,  /* take a slot now */
	GNUT_UPLOAD_QUEUE_QUEUED, /* 503 with X-Queued and Retry-After */
	GNUT_UPLOAD_QUEUE_FULL, /* 503 without a place: the queue or the address's share is full */
} gnut_upload_verdict;

typedef struct {
	gnut_upload_verdict verdict;
	/* QUEUED: */
	guint position;      /* 1: next */
	guint length;        /* entries now */
	gboolean has_eta;    /* the upload rate is limited: the ETA is known */
	guint eta_s;         /* bytes asked by the entries ahead / rate */
	guint lifetime_s;    /* come back before this */
	guint retry_after_s; /* and not before this */
	char id[GNUT_UPLOAD_QUEUE_ID_LEN + 1];
	gboolean penalised; /* came too early: lost its place, queued anew */
} gnut_upload_answer;

typedef struct {
	guint queued;           /* entries now */
	guint64 served;         /* entries that got their slot */
	guint64 expired;        /* entries dropped at the end of their lifetime */
	guint64 early;          /* entries lost by a poll before Retry-After */
	guint64 refused_full;   /* requests refused: the queue was full */
	guint64 refused_per_ip; /* requests refused: their address had per_ip entries */
} gnut_upload_queue_stats;

/* clock is borrowed and must outlive the queue; NULL config: defaults. */
gnut_upload_queue *gnut_upload_queue_new(gnut_clock *clock, const gnut_upload_queue_config *config);
void gnut_upload_queue_free(gnut_upload_queue *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_upload_queue, gnut_upload_queue_free)

/* Decides what to do with the request ask (see the top of this file). */
void gnut_upload_queue_ask(gnut_upload_queue *q, const gnut_upload_ask *ask,
                           gnut_upload_answer *out);

/* Drops the entries whose lifetime has ended (asks do it too). */
void gnut_upload_queue_expire(gnut_upload_queue *q);

void gnut_upload_queue_get_stats(const gnut_upload_queue *q, gnut_upload_queue_stats *out);

#endif
