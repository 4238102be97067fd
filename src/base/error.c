/* error.c: the engine's GError domain (see error.h). */
#include "gnut/base/error.h"

GQuark gnut_error_quark(void)
{
	return g_quark_from_static_string("gnut-error-quark");
}
