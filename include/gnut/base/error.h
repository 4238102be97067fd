/* error.h: the engine's one GError domain for what a caller asked wrongly
 * (a bad argument, something that does not exist) or what the system
 * refused. The control API maps its codes to HTTP statuses. */
#ifndef GNUT_ERROR_H
#define GNUT_ERROR_H

#include <glib.h>

#define GNUT_ERROR (gnut_error_quark())
GQuark gnut_error_quark(void);

typedef enum {
	GNUT_ERROR_INVALID, /* a bad argument: address, target, folder */
	GNUT_ERROR_NOT_FOUND,
	GNUT_ERROR_IO,
} gnut_error_code;

#endif
