/* options-dump.h: gnutd's effective settings as a key file, group [gnutd],
 * with every key a configuration file may hold (defaults included): what
 * `gnutd --check-config` prints and what a reload compares. */
#ifndef GNUT_DAEMON_OPTIONS_DUMP_H
#define GNUT_DAEMON_OPTIONS_DUMP_H

#include "options.h"

GKeyFile *gnut_options_to_keyfile(const gnut_options *o);

#endif
