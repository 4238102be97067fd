/* servent-magnet.h: magnet URIs for what the rooms hold: a hit of a search,
 * a download, a shared file. Private to src/core: servent.c calls these
 * with its rooms. Each returns a g_malloc'd "magnet:?..." or NULL with
 * GNUT_ERROR_NOT_FOUND (no such hit, download or shared file) or
 * GNUT_ERROR_INVALID (a hit without a SHA-1: nothing can name it). */
#ifndef GNUT_SERVENT_MAGNET_H
#define GNUT_SERVENT_MAGNET_H

#include "gnut/core/search/search.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/download.h"

/* xt, dn, xl, and the hit's servent as xs unless it is firewalled. */
char *servent_magnet_hit(gnut_searches *searches, guint64 hit_id, GError **error);
/* xt, dn, xl, and the download's sources that can be dialed as xs. */
char *servent_magnet_download(gnut_downloads *downloads, guint64 id, GError **error);
/* The shared file at path (as `gnut shares` lists it): xt (a bitprint when
 * its Tiger tree is known), dn, xl, and self_ipv4:port as xs unless
 * self_ipv4 is 0 (not known yet, or firewalled). */
char *servent_magnet_file(gnut_share *share, const char *path, uint32_t self_ipv4, guint16 port,
                          GError **error);

#endif
