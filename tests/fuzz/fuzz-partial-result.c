/* fuzz-partial-result.c: the "PRU" payload decoder and the "PRU" finder of
 * extension areas on arbitrary bytes; a payload that decodes with its size
 * is encoded again and must come back byte for byte. */
#include "fuzz.h"
#include "gnut/proto/partial-result.h"

#include <stdlib.h>
#include <string.h>

static void check_payload(const uint8_t *data, size_t size)
{
	gnut_pru p;
	if (gnut_pru_decode(data, size, &p) != GNUT_PROTO_OK || !p.has_info)
		return;
	uint8_t out[GNUT_PRU_MAX_LEN];
	size_t n = gnut_pru_encode(&p, out);
	if (n != size || memcmp(out, data, size) != 0)
		abort();
}

static void check_area(const uint8_t *data, size_t size)
{
	gnut_pru p;
	if (!gnut_pru_ext_find((gnut_slice){data, size}, &p))
		return;
	if (!p.has_info && (p.mtime != 0 || p.available != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_payload(data, size);
	check_area(data, size);
	return 0;
}
