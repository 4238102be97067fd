/* magnet.h: magnet URIs ("magnet:?xt=urn:sha1:...&dn=...&xl=...&xs=...")
 * as Gnutella servents exchange them: content URNs, a display name, the
 * exact length and source URLs. */
#ifndef GNUT_MAGNET_H
#define GNUT_MAGNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/proto-error.h"
#include "gnut/proto/urn.h"

#define GNUT_MAGNET_MAX_URI 8192 /* bytes of the whole URI */
#define GNUT_MAGNET_MAX_XT  16
#define GNUT_MAGNET_MAX_XS  16 /* cap on xs, and separately on as */

/* A parsed magnet. Every string is g_malloc'd, NUL-terminated UTF-8 and owned
 * by the struct; gnut_magnet_clear frees them. Zero-initialise before use. */
typedef struct {
	gnut_urn xt[GNUT_MAGNET_MAX_XT]; /* exact topics, in URI order */
	unsigned xt_count;
	char *dn; /* display name, NULL when absent */
	bool has_xl;
	uint64_t xl;                  /* exact length in bytes */
	char *xs[GNUT_MAGNET_MAX_XS]; /* exact sources */
	unsigned xs_count;
	char *as[GNUT_MAGNET_MAX_XS]; /* acceptable sources */
	unsigned as_count;
} gnut_magnet;

/* Parses uri[0..len) ("magnet:?" case-insensitive, then '&'-separated
 * key=value pairs). Values are percent-decoded; in dn '+' is a space. xt
 * values of other schemes (btih, ed2k, ...) and unknown keys are skipped; a
 * sha1/bitprint/tree:tiger URN that does not parse is MALFORMED, as are a
 * second dn or xl, a bad xl number, bad percent escapes, NUL bytes and
 * invalid UTF-8. More than the caps is TOO_LARGE. On error, out holds nothing
 * to free. */
gnut_proto_err gnut_magnet_parse(const char *uri, size_t len, gnut_magnet *out);

/* Frees the strings of m and zeroes it. */
void gnut_magnet_clear(gnut_magnet *m);

/* Appends the URI form of m to out: xt (urn:bitprint when both digests are
 * known, else urn:sha1 or urn:tree:tiger/), dn, xl, xs, as, in that order,
 * values percent-encoded. */
void gnut_magnet_format(const gnut_magnet *m, GString *out);

/* Helpers that fill a magnet under construction (copying s); false when the
 * matching cap is reached. */
bool gnut_magnet_add_xt(gnut_magnet *m, const gnut_urn *urn);
bool gnut_magnet_add_xs(gnut_magnet *m, const char *url);
bool gnut_magnet_add_as(gnut_magnet *m, const char *url);

/* The exact source URL servents write for a file at a host (HUGE's
 * N2R request): "http://a.b.c.d:port/uri-res/N2R?urn:sha1:BASE32";
 * ipv4 in host order. g_free it. */
char *gnut_magnet_n2r_url(uint32_t ipv4, uint16_t port, const uint8_t sha1[GNUT_SHA1_LEN]);

#endif
