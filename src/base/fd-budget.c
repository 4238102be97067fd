/* fd-budget.c: the descriptor limit and the admission caps sized from it
 * (see fd-budget.h). */
#include "gnut/base/fd-budget.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/resource.h>

static guint64 from_rlim(rlim_t v)
{
	return v == RLIM_INFINITY ? G_MAXUINT64 : (guint64)v;
}

guint64 gnut_fd_budget_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return G_MAXUINT64;
	return from_rlim(rl.rlim_cur);
}

gboolean gnut_fd_budget_raise(guint64 *before, guint64 *after, GError **error)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		int e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
		            "cannot read the descriptor limit: %s", g_strerror(e));
		return FALSE;
	}
	*before = *after = from_rlim(rl.rlim_cur);
	if (rl.rlim_cur == rl.rlim_max)
		return TRUE;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		int e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
		            "cannot raise the descriptor limit to %" G_GUINT64_FORMAT ": %s",
		            from_rlim(rl.rlim_max), g_strerror(e));
		return FALSE;
	}
	*after = from_rlim(rl.rlim_cur);
	return TRUE;
}

guint gnut_fd_budget_admission_cap(guint64 nofile, guint64 reserved)
{
	guint64 used = GNUT_FD_BUDGET_FIXED + reserved;
	guint64 spare = nofile > used ? nofile - used : 0;
	return (guint)CLAMP(spare / 4, GNUT_FD_BUDGET_CAP_MIN, GNUT_FD_BUDGET_CAP_MAX);
}
