/* guid.h: the 16-byte GUIDs that name messages and servents. */
#ifndef GNUT_GUID_H
#define GNUT_GUID_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define GNUT_GUID_LEN     16
#define GNUT_GUID_HEX_LEN 32

typedef struct {
	uint8_t bytes[GNUT_GUID_LEN];
} gnut_guid;

/* A fresh random GUID marked as a modern servent's (byte 8 = 0xff, byte 15 =
 * 0x00, as the 0.6 specification recommends so old servents can tell). */
void gnut_guid_generate(gnut_guid *out);

/* Lower-case hex form, NUL-terminated (out holds GNUT_GUID_HEX_LEN + 1). */
void gnut_guid_to_hex(const gnut_guid *g, char out[GNUT_GUID_HEX_LEN + 1]);

/* Parses exactly 32 hex digits (either case). */
bool gnut_guid_from_hex(const char *hex, size_t len, gnut_guid *out);

bool gnut_guid_is_zero(const gnut_guid *g);

/* GHashTable callbacks for keys that point at a gnut_guid. */
guint gnut_guid_hash(gconstpointer key);
gboolean gnut_guid_equal(gconstpointer a, gconstpointer b);

#endif
