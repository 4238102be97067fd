/* upload-partial.h: uploads of partial files (partial file sharing, the
 * PFSP of gtk-gnutella's doc/gnutella/PFSP): a file this servent is still
 * downloading, found in the registry of partials.h by its SHA-1 (the
 * /uri-res/N2R?urn:sha1: form only), serves only the ranges published as
 * available, and every answer for it says which (X-Available-Ranges:
 * "bytes a-b,c-d"). Private to upload.c. */
#ifndef GNUT_UPLOAD_PARTIAL_H
#define GNUT_UPLOAD_PARTIAL_H

#include <glib.h>

#include "gnut/core/share/partials.h"
#include "gnut/proto/head.h"

/* Opens pf's partial file read-only (no symlink followed at its last
 * component) and checks it holds every available byte: 0 and *fd (the
 * caller closes it), else the HTTP status (404: gone, 500: anything else). */
unsigned gnut_upload_partial_open(const gnut_partial_file *pf, int *fd);

/* The part of the request head's Range (none: the whole file, as PFSP's
 * "bytes=0-" lets the server choose) that pf serves: the first available
 * bytes of its first spec that has any, as 206 with [*start, *start +
 * *len); 416 when none is available, 400 for a Range that does not parse. */
unsigned gnut_upload_partial_pick_range(const gnut_head *request, const gnut_partial_file *pf,
                                        guint64 *start, guint64 *len);

/* X-Available-Ranges for an answer about pf. */
void gnut_upload_partial_add_headers(gnut_head *answer, const gnut_partial_file *pf);

#endif
