/* ctl-protocol.c: the one part of the control protocol that is code rather
 * than a constant, in an object of its own so that gnut links no more of the
 * engine than it (see gnut/ctl/ctl-protocol.h). */
#include <glib.h>

#include "gnut/ctl/ctl-protocol.h"

char *gnut_ctl_default_data_dir(void)
{
	return g_build_filename(g_get_user_data_dir(), "gnutd", NULL);
}
