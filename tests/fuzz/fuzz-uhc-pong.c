/* fuzz-uhc-pong.c: a pong received over UDP (fixed part, GGEP, IPP, UDPHC)
 * and a UDP ping, from arbitrary bytes; what decodes holds at most the IPP
 * cap and a valid cache name. */
#include "fuzz.h"
#include "gnut/proto/uhc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnut_uhc_pong p;
	if (gnut_uhc_pong_decode(data, size, &p) == GNUT_PROTO_OK) {
		size_t name = strlen(p.cache_name);
		if (p.n_hosts > GNUT_UHC_MAX_IPP || name > GNUT_ADDR_MAX_NAME ||
		    (name > 0 && !gnut_addr_is_host_name(p.cache_name, name)))
			abort();
	}
	bool scp;
	(void)gnut_uhc_ping_decode(data, size, &scp);
	return 0;
}
