/* udp-guard.h: the reflection rule for what a servent answers over UDP.
 * A datagram's sender address is not proof of anything: a forged one would
 * make us send our answer to a victim. So we never send an unverified
 * address more bytes than its datagram carried. An address is verified when
 *  - we hold a TCP link with it (the owner's is_linked callback says so),
 *  - it answered a UDP ping of ours with a pong of the same GUID (it
 *    receives at that address: GNUT_UDP_GUARD_PROVED_S),
 *  - or we sent it a datagram ourselves lately (we solicited its answer:
 *    GNUT_UDP_GUARD_SOLICITED_S).
 * A larger answer for an unverified address is held back (at most
 * GNUT_UDP_GUARD_PENDING_PER_IP per IP and GNUT_UDP_GUARD_PENDING in all,
 * for GNUT_UDP_GUARD_PENDING_S), and the address gets a challenge instead: a
 * bare ping (a 23-byte header, no payload, never larger than any Gnutella
 * datagram). Its pong to that challenge, from the same address and port,
 * verifies it and releases the held answer. Time comes from the injected
 * clock; nothing here sends: the owner does what the verdicts say. */
#ifndef GNUT_UDP_GUARD_H
#define GNUT_UDP_GUARD_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/proto/guid.h"

#define GNUT_UDP_GUARD_SOLICITED_S    60
#define GNUT_UDP_GUARD_PROVED_S       600
#define GNUT_UDP_GUARD_PENDING_S      10
#define GNUT_UDP_GUARD_PENDING_PER_IP 2
#define GNUT_UDP_GUARD_PENDING        256
#define GNUT_UDP_GUARD_MAX_ADDRESSES  4096 /* verified addresses remembered */

typedef struct gnut_udp_guard gnut_udp_guard;

/* TRUE when the owner holds a TCP link with ip (host order). */
typedef gboolean (*gnut_udp_guard_linked_fn)(guint32 ip, gpointer data);

typedef enum {
	GNUT_UDP_GUARD_SEND,      /* send the answer now */
	GNUT_UDP_GUARD_CHALLENGE, /* held back: send the challenge ping instead */
	GNUT_UDP_GUARD_DROP,      /* held-back answers are at their cap: send nothing */
} gnut_udp_guard_verdict;

gnut_udp_guard *gnut_udp_guard_new(gnut_clock *clock, gnut_udp_guard_linked_fn is_linked,
                                   gpointer data);
void gnut_udp_guard_free(gnut_udp_guard *g);

/* We sent a datagram to ip:port (each send of ours is recorded). */
void gnut_udp_guard_solicited(gnut_udp_guard *g, guint32 ip, guint16 port);
/* ip:port answered a ping of ours with a pong of its GUID. */
void gnut_udp_guard_proved(gnut_udp_guard *g, guint32 ip, guint16 port);
gboolean gnut_udp_guard_is_verified(gnut_udp_guard *g, guint32 ip, guint16 port);

/* What to do with answer (a whole message) for a request_len-byte datagram
 * from ip:port. On CHALLENGE the answer is kept and *challenge (16 bytes)
 * is the GUID the challenge ping must carry. */
gnut_udp_guard_verdict gnut_udp_guard_check(gnut_udp_guard *g, guint32 ip, guint16 port,
                                            gsize request_len, GBytes *answer,
                                            gnut_guid *challenge);

/* A pong with GUID guid arrived from ip:port. When it answers one of our
 * challenges the address is verified and the held answer is returned (the
 * caller sends and unrefs it); otherwise NULL and nothing changes. */
GBytes *gnut_udp_guard_pong(gnut_udp_guard *g, guint32 ip, guint16 port, const gnut_guid *guid);

/* Answers held back now (expired ones count until the next check drops
 * them), and answers not held because the caps were reached. */
guint gnut_udp_guard_pending(const gnut_udp_guard *g);
guint64 gnut_udp_guard_dropped(const gnut_udp_guard *g);

#endif
