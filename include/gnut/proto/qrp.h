/* qrp.h: the Query Routing Protocol hash (doc/gnutella/QRP, "Hashing
 * Details" and Appendix A). Every servent must compute exactly this, or
 * queries are routed to the wrong slots and never reach matching files. */
#ifndef GNUT_QRP_H
#define GNUT_QRP_H

#include <stddef.h>
#include <stdint.h>

/* The spec's 32-bit integer version of the golden ratio, (sqrt(5)-1)/2. */
#define GNUT_QRP_HASH_A 0x4F1BBCDCu

/* The full 32-bit product: the bytes of kw[0..len), ASCII A-Z lower-cased,
 * XOR-folded into 32 bits at little-endian byte positions (byte i lands at
 * bits 8*(i%4)), times GNUT_QRP_HASH_A modulo 2^32. The hash works on bytes,
 * as the reference servent does: callers pass normalised UTF-8 keywords
 * (gnut_keywords_split) so that other alphabets are already folded. */
uint32_t gnut_qrp_hashcode(const char *kw, size_t len);

/* The top `bits` bits of a hashcode: the slot of a table of 2^bits entries.
 * bits may be 0 (always slot 0) to 32. */
uint32_t gnut_qrp_hash_restrict(uint32_t hashcode, unsigned bits);

/* gnut_qrp_hash_restrict(gnut_qrp_hashcode(kw, len), bits). */
uint32_t gnut_qrp_hash(const char *kw, size_t len, unsigned bits);

#endif
