/* push-service.h: transfers with firewalled servents, both ways. A GIV that
 * arrives on our listening port ("GIV index:guid/name") is read within a
 * deadline and its connection handed to the download waiting for it; a PUSH
 * for us (we are firewalled) makes us connect to the downloader, say GIV,
 * and serve its request as an upload. */
#ifndef GNUT_PUSH_SERVICE_H
#define GNUT_PUSH_SERVICE_H

#include <glib.h>

#include "gnut/base/log-limit.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/download.h"
#include "gnut/core/transfer/upload.h"
#include "gnut/net/conn.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"

#define GNUT_PUSH_GIV_WAIT_MS  10000 /* for the GIV block of a pushed connection */
#define GNUT_PUSH_MAX_DIALS    8     /* connects for peers' pushes under way at once */
#define GNUT_PUSH_DIAL_TIMEOUT_S 10

typedef struct gnut_push_service gnut_push_service;

/* Nothing is owned; everything outlives the service. */
typedef struct {
	gnut_guid guid; /* ours, in our GIV lines */
	gnut_share *share;
	gnut_uploads *uploads;
	gnut_downloads *downloads;
	gnut_log_limit *bad_log;
} gnut_push_service_config;

gnut_push_service *gnut_push_service_new(const gnut_push_service_config *config);
/* Drops the connections still saying GIV; connects under way are cancelled. */
void gnut_push_service_free(gnut_push_service *p);
/* No new connects for pushes; those under way are cancelled. */
void gnut_push_service_stop(gnut_push_service *p);

/* A connection whose first line starts with "GIV ": reads its GIV block. */
void gnut_push_service_take_giv(gnut_push_service *p, gnut_conn *conn);
/* A PUSH the router delivered to us: connect back, for a file we share and
 * a bounded number at once. */
void gnut_push_service_received(gnut_push_service *p, const gnut_msg_header *h,
                                const guint8 *payload);

#endif
