/* reload.h: what SIGHUP changes in a running servent. gnutd reads its
 * settings again (command line, configuration file, settings.state) and
 * hands the old and new ones here: shares, peers, rate limits and the log
 * level change at once; any other key that changed is logged as taking
 * effect at the next start. One log line per change. */
#ifndef GNUT_DAEMON_RELOAD_H
#define GNUT_DAEMON_RELOAD_H

#include "gnut/core/servent.h"
#include "options.h"

/* Applies what differs between before and after to s; returns the number of
 * settings that changed (live or not). */
guint gnut_reload_apply(gnut_servent *s, const gnut_options *before, const gnut_options *after);

#endif
