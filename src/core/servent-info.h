/* servent-info.h: the control API's views (gnut_*_info of servent.h) of
 * what the rooms hold. Private to src/core: only servent.c calls these, and
 * they know nothing of the servent object. */
#ifndef GNUT_SERVENT_INFO_H
#define GNUT_SERVENT_INFO_H

#include "gnut/core/hosts/hosts.h"
#include "gnut/core/links/links.h"
#include "gnut/core/search/search.h"
#include "gnut/core/servent.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/download.h"

/* Arrays of gnut_peer_info / gnut_hit_info / ... with their free functions. */
GPtrArray *servent_info_peers(const gnut_links *links);
GPtrArray *servent_info_hits(GPtrArray *hits);
GPtrArray *servent_info_downloads(gnut_downloads *downloads);
GPtrArray *servent_info_shares(gnut_share *share);
/* hosts may be NULL (--no-bootstrap): an empty array. now_us: the clock's. */
GPtrArray *servent_info_hosts(const gnut_hosts *hosts, gint64 now_us);

#endif
