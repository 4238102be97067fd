/* upload-headers.h: the Gnutella headers of an upload beyond plain HTTP:
 * what a downloader's request tells the mesh (X-Alt, X-Nalt, and the
 * legacy X-Gnutella-Alternate-Location / Alt-Location), and what an answer
 * tells the downloader (X-Thex-URI, X-Alt). Private to upload.c. */
#ifndef GNUT_UPLOAD_HEADERS_H
#define GNUT_UPLOAD_HEADERS_H

#include "gnut/base/log-limit.h"
#include "gnut/core/share/share.h"
#include "gnut/core/transfer/mesh.h"
#include "gnut/proto/head.h"

#define GNUT_UPLOAD_ALTS_SENT 10 /* X-Alt entries in one answer */

/* Adds the sources a request for f names to mesh (announced by peer_ip, 0
 * when the client has no IPv4 address) and removes those it says
 * are bad; refused addresses are logged (rate-limited through log). */
void gnut_upload_learn_mesh(gnut_mesh *mesh, const gnut_shared_file *f, const gnut_head *request,
                            uint32_t peer_ip, gboolean allow_local, gint64 now_us,
                            gnut_log_limit *log);

/* Adds X-Thex-URI (when f has a tree) and X-Alt (the freshest sources of f
 * but those on peer_ip; mesh may be NULL) to an answer serving f. */
void gnut_upload_add_file_headers(gnut_head *answer, gnut_mesh *mesh, const gnut_shared_file *f,
                                  uint32_t peer_ip, gint64 now_us);

#endif
