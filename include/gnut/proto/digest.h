/* digest.h: SHA-1 through libgcrypt (URNs of shared files, HUGE, GGEP "H"),
 * plus the one-time libgcrypt initialisation every program runs before it
 * hashes anything. */
#ifndef GNUT_DIGEST_H
#define GNUT_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define GNUT_SHA1_LEN 20

/* Initialises libgcrypt once (version check, no secure memory, initialisation
 * finished). Idempotent and thread-safe; every program calls it before
 * hashing anything. */
void gnut_digest_init(void);

/* An incremental SHA-1 computation. */
typedef struct gnut_sha1 gnut_sha1;

gnut_sha1 *gnut_sha1_new(void);
void gnut_sha1_update(gnut_sha1 *h, const void *data, size_t len);
/* Writes the digest to out and frees h. */
void gnut_sha1_finish(gnut_sha1 *h, uint8_t out[GNUT_SHA1_LEN]);
/* Drops an unfinished computation (an aborted hashing job). NULL is ignored. */
void gnut_sha1_free(gnut_sha1 *h);

/* SHA-1 of data[0..len) in one call. */
void gnut_sha1_buffer(const void *data, size_t len, uint8_t out[GNUT_SHA1_LEN]);

#endif
