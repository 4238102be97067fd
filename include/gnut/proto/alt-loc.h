/* alt-loc.h: the download mesh headers, the other sources of a file that
 * uploads and downloads tell each other about:
 *
 * - compact (X-Alt: good sources, X-Nalt: bad ones), as gtk-gnutella sends
 *   it: "tls=<hex>, a.b.c.d:port, e.f.g.h" with an optional first item
 *   "tls=<hex>", a bit string written nibble by nibble, most significant bit
 *   first, whose bit i says entry i speaks TLS ("tls=8": the first one);
 *   an entry without a port is on 6346;
 * - legacy (X-Gnutella-Alternate-Location, Alt-Location, HUGE 0.94): full
 *   URLs "http://a.b.c.d:port/uri-res/N2R?urn:sha1:<32>" each optionally
 *   followed by a space and a date, comma-separated.
 *
 * Every address is validated: never an unspecified, multicast, broadcast,
 * reserved or documentation address (address.h: bogus), never port 0, and a
 * loopback or private address only when allow_local says we ourselves are
 * on such a network. Push locations ("<GUID>;ip:port"), IPv6 entries, host
 * names and /get/ URLs are skipped. */
#ifndef GNUT_ALT_LOC_H
#define GNUT_ALT_LOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/digest.h" /* GNUT_SHA1_LEN */
#include "gnut/proto/proto-error.h"

#define GNUT_ALT_MAX          32   /* entries taken from one header */
#define GNUT_ALT_DEFAULT_PORT 6346 /* of a compact entry without a port */

/* One direct source; ip in host order. */
typedef struct {
	uint32_t ip;
	uint16_t port;
	bool tls;
} gnut_alt;

/* What a parse kept and dropped. */
typedef struct {
	size_t refused; /* well-formed entries with an address we do not accept */
	size_t skipped; /* entries of another kind (push, IPv6, /get/, junk) */
} gnut_alt_counts;

/* Whether ip:port may enter or leave the mesh (see above). */
bool gnut_alt_address_ok(uint32_t ip, uint16_t port, bool allow_local);

/* The compact form: OK with out[0..*n) (duplicates kept once); TOO_LARGE
 * past GNUT_ALT_MAX accepted entries, with the first GNUT_ALT_MAX in out,
 * which a caller may still use. counts may be NULL. */
gnut_proto_err gnut_alt_parse_compact(const char *value, bool allow_local,
                                      gnut_alt out[GNUT_ALT_MAX], size_t *n,
                                      gnut_alt_counts *counts);
/* Appends "tls=<hex>, a.b.c.d:port, ..." (the tls item only when one entry
 * has tls). */
void gnut_alt_format_compact(GString *out, const gnut_alt *alts, size_t n);

/* The legacy form, for the file whose SHA-1 is sha1: URLs naming another
 * SHA-1 are skipped; a URL without a port is on 80. Results as above. */
gnut_proto_err gnut_alt_parse_legacy(const char *value, const uint8_t sha1[GNUT_SHA1_LEN],
                                     bool allow_local, gnut_alt out[GNUT_ALT_MAX], size_t *n,
                                     gnut_alt_counts *counts);
/* Appends "http://a.b.c.d:port/uri-res/N2R?urn:sha1:<32>, ...". */
void gnut_alt_format_legacy(GString *out, const uint8_t sha1[GNUT_SHA1_LEN], const gnut_alt *alts,
                            size_t n);

#endif
