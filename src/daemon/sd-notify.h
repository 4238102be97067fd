/* sd-notify.h: the systemd notification protocol, done by hand (one
 * datagram on the AF_UNIX socket named by $NOTIFY_SOCKET) so that gnutd
 * needs no libsystemd: READY=1 once serving, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1, WATCHDOG=1 keep-alives, STATUS=... lines. Outside
 * systemd ($NOTIFY_SOCKET unset) every call does nothing. */
#ifndef GNUT_DAEMON_SD_NOTIFY_H
#define GNUT_DAEMON_SD_NOTIFY_H

#include <glib.h>

/* Sends state ("READY=1\nSTATUS=..."). TRUE if sent, FALSE if there is no
 * socket to send to or the send failed (a warning says why, once). */
gboolean gnut_sd_notify(const char *state);

/* The watchdog interval systemd asks for (WatchdogSec=, as $WATCHDOG_USEC
 * for this very process when $WATCHDOG_PID is set), in microseconds; 0
 * when there is no watchdog. */
guint64 gnut_sd_watchdog_usec(void);

#endif
