/* oob-serve.h: the responder's side of out-of-band hit delivery
 * (gnut/proto/oob.h). A query that asks for OOB v3 hits (flag and GGEP
 * "SO"), that came from further than a neighbour (hops 1 or more, as the
 * specification advises: a neighbour has a link for the hits), and whose
 * GUID names a dialable ip:port (dial-rule.h) other than ours, is held
 * instead of answered over TCP: we send the querier a small LIME/12 over
 * UDP, and on its LIME/11 from that very ip:port we build the hits again
 * with its token in GGEP "SO" and send them there. Unclaimed queries expire.
 *
 * The LIME/12 goes to an address taken from a query, so it is small (33
 * bytes), at most one per held query, held queries are capped per querier
 * IP and in all, and the UDP socket caps what one destination gets. A
 * claim is honoured once. Anything refused here (caps, no UDP) is answered
 * over TCP by the caller, as before. */
#ifndef GNUT_OOB_SERVE_H
#define GNUT_OOB_SERVE_H

#include <stdint.h>

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/core/routing/responder.h"
#include "gnut/core/share/share.h"
#include "gnut/proto/msg-header.h"

#define GNUT_OOB_SERVE_MAX       256 /* queries held awaiting a claim */
#define GNUT_OOB_SERVE_PER_IP    8   /* of them for one querier address */
#define GNUT_OOB_SERVE_EXPIRE_US (30 * G_USEC_PER_SEC)

/* Sends msg (a whole message) over UDP to ipv4:port; FALSE when it could
 * not go (no socket, a cap). */
typedef gboolean (*gnut_oob_send_fn)(uint32_t ipv4, uint16_t port, GBytes *msg, gpointer data);

typedef struct {
	gnut_clock *clock;     /* not owned */
	gnut_share *share;     /* not owned: what the hits tell */
	gboolean allow_local;  /* querier addresses may be local (dial-rule.h) */
	gnut_oob_send_fn send; /* NULL: no UDP, nothing is held */
	gpointer send_data;
} gnut_oob_serve_config;

typedef struct {
	guint64 offered;      /* LIME/12 sent, queries held */
	guint64 refused;      /* OOB queries answered over TCP: caps, bad address, no UDP */
	guint64 claimed;      /* LIME/11 honoured */
	guint64 claims_bogus; /* LIME/11 for nothing held, from another address, or bad */
	guint64 expired;      /* held queries never claimed */
	guint64 hits_sent;    /* hit messages sent over UDP */
} gnut_oob_serve_stats;

typedef struct gnut_oob_serve gnut_oob_serve;

gnut_oob_serve *gnut_oob_serve_new(const gnut_oob_serve_config *config);
void gnut_oob_serve_free(gnut_oob_serve *o);

/* A query (header qh, payload[0..qh->length)) that our share answers with
 * n_results results. TRUE when it asked for OOB delivery and is now held
 * with a LIME/12 sent: the caller sends no hits over TCP. self says who we
 * are; unsolicited whether we can receive unsolicited UDP. */
gboolean gnut_oob_serve_offer(gnut_oob_serve *o, const gnut_responder_self *self,
                              const gnut_msg_header *qh, const guint8 *payload, guint n_results,
                              gboolean unsolicited);

/* A vendor message (header h, payload) from ipv4:port over UDP: when it is
 * a LIME/11 for a query held for that address, sends its hits (up to what
 * it claims) with its token. TRUE when it was a LIME/11 (honoured or not). */
gboolean gnut_oob_serve_claim(gnut_oob_serve *o, const gnut_responder_self *self,
                              const gnut_msg_header *h, const guint8 *payload, uint32_t ipv4,
                              uint16_t port);

/* Forgets held queries older than GNUT_OOB_SERVE_EXPIRE_US. */
void gnut_oob_serve_tick(gnut_oob_serve *o, gint64 now_us);

const gnut_oob_serve_stats *gnut_oob_serve_get_stats(const gnut_oob_serve *o);

#endif
