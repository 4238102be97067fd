/* fd-budget.h: the descriptor budget, and the caps on connections not yet
 * admitted that it allows.
 *
 * Every open connection, file and watch costs a descriptor; once the
 * process runs out (EMFILE), it can neither accept a peer nor open a file.
 * A peer that makes connections it never finishes (silent sockets,
 * half-finished handshakes) must therefore be capped well below the limit,
 * leaving room for what the servent holds on purpose. gnutd raises its soft
 * RLIMIT_NOFILE to the hard one at start, then sizes two caps from it: the
 * connections before their first line, and the incoming handshakes under
 * way. Each is
 *
 *     clamp((nofile - GNUT_FD_BUDGET_FIXED - reserved) / 4,
 *           GNUT_FD_BUDGET_CAP_MIN, GNUT_FD_BUDGET_CAP_MAX)
 *
 * where reserved counts the descriptors the servent may hold on purpose
 * (links, upload connections, downloads, push dials) and FIXED the rest
 * (standard streams, the main loop, listening sockets, the control API and
 * its clients, state files, the share scan). The two caps together take at
 * most half of what is left; the other half is headroom. gnutd(8), CAPS,
 * documents the formula with the servent's figures. */
#ifndef GNUT_FD_BUDGET_H
#define GNUT_FD_BUDGET_H

#include <glib.h>

#define GNUT_FD_BUDGET_FIXED   64
#define GNUT_FD_BUDGET_CAP_MIN 4
#define GNUT_FD_BUDGET_CAP_MAX 512

/* The soft descriptor limit now (G_MAXUINT64 when unlimited). */
guint64 gnut_fd_budget_limit(void);

/* Raises the soft descriptor limit to the hard one; *before and *after get
 * the soft limit before and after. FALSE with error when it cannot. */
gboolean gnut_fd_budget_raise(guint64 *before, guint64 *after, GError **error);

/* Each admission cap for a descriptor limit of nofile, with reserved
 * descriptors held on purpose (see above). */
guint gnut_fd_budget_admission_cap(guint64 nofile, guint64 reserved);

#endif
