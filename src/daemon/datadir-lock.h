/* datadir-lock.h: one gnutd per data folder. The lock is an exclusive
 * flock(2) on DATA-DIR/gnutd.lock, held for the life of the process: the
 * kernel releases it when the process ends however it ends (SIGKILL too), so
 * a stale lock file never blocks a restart. The file holds the owner's pid
 * for the message a second gnutd prints. */
#ifndef GNUT_DAEMON_DATADIR_LOCK_H
#define GNUT_DAEMON_DATADIR_LOCK_H

#include <glib.h>

#define GNUT_DATADIR_LOCK_NAME "gnutd.lock"

typedef struct gnut_datadir_lock gnut_datadir_lock;

/* Creates data_dir if needed and takes its lock. When another process holds
 * it: NULL with G_IO_ERROR_BUSY, "DIR is in use by another gnutd (pid N)". */
gnut_datadir_lock *gnut_datadir_lock_take(const char *data_dir, GError **error);
/* Releases the lock (the file stays: removing it would race a newcomer). */
void gnut_datadir_lock_release(gnut_datadir_lock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_datadir_lock, gnut_datadir_lock_release)

#endif
