/* mesh.h: the download mesh, the sources known good for a file by its
 * SHA-1: peers we downloaded it from, and peers that downloaders announced
 * in X-Alt (themselves included) while fetching it from us. Uploads send
 * the freshest few back as X-Alt; an X-Nalt (a peer saying a source is bad)
 * removes one. Entries are validated by the caller (alt-loc.h: every
 * address a peer hands us), bounded per file and in all (the least recently
 * seen goes first) and expire ttl after they were last seen. One object,
 * owned by the servent and shared by uploads and downloads; the clock is
 * the caller's (now_us on every call). Not thread-safe. */
#ifndef GNUT_MESH_H
#define GNUT_MESH_H

#include <glib.h>

#include "gnut/proto/alt-loc.h"
#include "gnut/proto/digest.h"

#define GNUT_MESH_DEFAULT_PER_FILE 32
#define GNUT_MESH_DEFAULT_MAX      20000
#define GNUT_MESH_DEFAULT_TTL_US   (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)
/* Entries of one file that one announcer (a peer's IP) may hold: a single
 * peer can't fill a file's list with addresses of its choosing. */
#define GNUT_MESH_PER_ANNOUNCER 4
/* The announcer of entries a peer without an IPv4 address handed us. */
#define GNUT_MESH_ANNOUNCER_UNKNOWN G_MAXUINT32

typedef struct gnut_mesh gnut_mesh;

/* Zero arguments take the defaults above. */
gnut_mesh *gnut_mesh_new(guint per_file, guint max_entries, gint64 ttl_us);
void gnut_mesh_free(gnut_mesh *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gnut_mesh, gnut_mesh_free)

/* Adds a source of sha1 that we know good ourselves, or refreshes it (its
 * tls flag is or-ed in). */
void gnut_mesh_add(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *a,
                   gint64 now_us);
/* The same for a source that the peer at announcer_ip (IPv4, host order,
 * or GNUT_MESH_ANNOUNCER_UNKNOWN) named: past GNUT_MESH_PER_ANNOUNCER
 * entries of that file from that peer, its oldest gives way. */
void gnut_mesh_add_announced(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *a,
                             uint32_t announcer_ip, gint64 now_us);
/* Forgets ip:port as a source of sha1; TRUE when it was one. */
gboolean gnut_mesh_remove(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], uint32_t ip,
                          guint16 port);
/* Up to max live sources of sha1 into out, most recently seen first, none
 * on exclude_ip (the peer we are telling: 0 excludes none); returns how
 * many. */
gsize gnut_mesh_pick(gnut_mesh *m, const uint8_t sha1[GNUT_SHA1_LEN], uint32_t exclude_ip,
                     gint64 now_us, gnut_alt *out, gsize max);
/* Drops the entries not seen for ttl. */
void gnut_mesh_expire(gnut_mesh *m, gint64 now_us);
guint gnut_mesh_size(const gnut_mesh *m);

#endif
