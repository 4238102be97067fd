/* thex-fetch-wait.h: gnut_thex_fetch_async run to its end on the
 * thread-default main context, for the tests of thex-fetch (unit and
 * integration). */
#ifndef GNUT_THEX_FETCH_WAIT_H
#define GNUT_THEX_FETCH_WAIT_H

#include "gnut/core/transfer/thex-fetch.h"

/* Starts the fetch, cancels cancel right away when it is not NULL, and
 * iterates the main context until the callback ran (at most wait_ms):
 * the level or NULL and *error (also when it did not end in time). */
gnut_thex_level *thex_fetch_wait(uint32_t ip, guint16 port, const char *path, guint64 file_size,
                                 const uint8_t root[GNUT_TIGER_LEN], gboolean allow_local,
                                 GCancellable *cancel, guint wait_ms, GError **error);

#endif
