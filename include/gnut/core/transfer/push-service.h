/* push-service.h: transfers with firewalled servents, both ways. A GIV that
 * arrives on our listening port ("GIV index:guid/name") is read within a
 * deadline and its connection handed to the download waiting for it; a PUSH
 * for us (we are firewalled) makes us connect to the downloader, say GIV,
 * and serve its request as an upload.
 *
 * A PUSH names any address and port: a hostile peer would use it to make us
 * connect wherever it likes, again and again. So a connect-back goes only
 * to an address the dial rule allows (gnut/proto/dial-rule.h: never a bogus
 * address, a local one only on a private network or with
 * --allow-private-peers), at most GNUT_PUSH_MAX_PER_IP times per window to
 * one IP and GNUT_PUSH_MAX_TOTAL times per window in all, at most
 * GNUT_PUSH_MAX_DIALS at once; a push repeating one under way or answered
 * within the window (same address, port and file) is merged into it. Each
 * refusal is counted (gnut_push_stats) and logged through the servent's
 * bad-input log limit (a line a second at most). */
#ifndef GNUT_PUSH_SERVICE_H
#define GNUT_PUSH_SERVICE_H

#include <glib.h>

#include "gnut/base/clock.h"
#include "gnut/base/log-limit.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/download.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/net/conn.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"

#define GNUT_PUSH_GIV_WAIT_MS    10000 /* for the GIV block of a pushed connection */
#define GNUT_PUSH_MAX_DIALS      8     /* connects for peers' pushes under way at once */
#define GNUT_PUSH_DIAL_TIMEOUT_S 10
#define GNUT_PUSH_MAX_PER_IP     5   /* connect-backs to one IP per window */
#define GNUT_PUSH_MAX_TOTAL      20  /* connect-backs per window in all */
#define GNUT_PUSH_WINDOW_S       30  /* the window of both, and of merging */
#define GNUT_PUSH_RATE_KEYS      256 /* target IPs remembered (at least max_total) */

typedef struct gnut_push_service gnut_push_service;

/* Nothing is owned; everything outlives the service. */
typedef struct {
	gnut_clock *clock; /* NULL: the system clock */
	gnut_guid guid;    /* ours, in our GIV lines */
	gnut_share *share;
	gnut_uploads *uploads;
	gnut_downloads *downloads;
	gnut_log_limit *bad_log;
	gboolean allow_local; /* connect back to local addresses (gnut_dial_allows_local) */
	/* The caps; 0 takes the default (GNUT_PUSH_MAX_DIALS, ...). */
	guint max_dials;
	guint max_per_ip;
	guint max_total;
	guint window_s;
} gnut_push_service_config;

/* What became of the pushes for us. */
typedef struct {
	guint64 received;        /* pushes delivered to us */
	guint64 dialed;          /* connect-backs started */
	guint64 malformed;       /* payloads that do not decode */
	guint64 not_shared;      /* for a file index we do not share */
	guint64 refused_address; /* a bogus or (not allowed) local address, or port 0 */
	guint64 merged;          /* repeats of a push under way or just answered */
	guint64 refused_ip_rate; /* over max_per_ip to that IP in the window */
	guint64 refused_rate;    /* over max_total in the window */
	guint64 refused_busy;    /* max_dials under way */
} gnut_push_stats;

/* The decision on one push (see gnut_push_service_admit). */
typedef enum {
	GNUT_PUSH_DIAL,
	GNUT_PUSH_REFUSED_ADDRESS,
	GNUT_PUSH_MERGED,
	GNUT_PUSH_REFUSED_IP_RATE,
	GNUT_PUSH_REFUSED_RATE,
	GNUT_PUSH_REFUSED_BUSY,
} gnut_push_verdict;

gnut_push_service *gnut_push_service_new(const gnut_push_service_config *config);
/* Drops the connections still saying GIV; connects under way are cancelled. */
void gnut_push_service_free(gnut_push_service *p);
/* No new connects for pushes; those under way are cancelled. */
void gnut_push_service_stop(gnut_push_service *p);

/* A connection whose first line starts with "GIV ": reads its GIV block. */
void gnut_push_service_take_giv(gnut_push_service *p, gnut_conn *conn);
/* A PUSH the router delivered to us: connect back, for a file we share and
 * when gnut_push_service_admit says so. File index 0 names no file: it is
 * a push proxy's PUSH, answered "GIV 0:<guid>/" under the same rule. */
void gnut_push_service_received(gnut_push_service *p, const gnut_msg_header *h,
                                const guint8 *payload);

/* The decision on a push asking us to connect to ip:port (ip in host order)
 * for our file index, in this order: the dial rule, merging, the cap per
 * IP, the total cap, the connects under way. GNUT_PUSH_DIAL counts as a
 * connect-back started (the caps and merging see it from now on; it stays
 * under way until its connect ends); the others are counted as refusals.
 * gnut_push_service_received calls it; tests call it on its own. */
gnut_push_verdict gnut_push_service_admit(gnut_push_service *p, guint32 ip, guint16 port,
                                          guint32 index);
/* "dial", "address refused", "merged with an earlier one", ... (for logs). */
const char *gnut_push_verdict_name(gnut_push_verdict v);

void gnut_push_service_get_stats(const gnut_push_service *p, gnut_push_stats *out);

#endif
