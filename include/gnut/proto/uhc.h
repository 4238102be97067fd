/* uhc.h: what UDP host caches (UHC) exchange: a ping that carries GGEP
 * "SCP" (supports cached pongs: "send me other hosts"), answered by pongs
 * whose GGEP block holds "IPP" (packed hosts: per host an IPv4 address [4,
 * network order] and a port [LE16]) and, from a cache, "UDPHC" (the cache's
 * host name; empty when the sender is the cache itself). Pongs also carry
 * "VC" (vendor [4] and a version byte), "UP" (ultrapeer: protocol version,
 * free leaf slots, free ultrapeer slots), "DU" (daily uptime in seconds,
 * 1..4 bytes little-endian) and "TLS" (no data: the host accepts TLS
 * connections). Pure codecs over (buffer, length). */
#ifndef GNUT_UHC_H
#define GNUT_UHC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "gnut/proto/address.h"
#include "gnut/proto/proto-error.h"

#define GNUT_IPP_ENTRY_LEN 6
/* Hosts read from one pong's IPP; a longer list is TOO_LARGE. Caches send
 * some dozens at most. */
#define GNUT_UHC_MAX_IPP 64
/* SCP's data byte: the pinger wants ultrapeers (both roles dial them). */
#define GNUT_UHC_SCP_ULTRAPEERS 0x01

typedef struct {
	uint32_t ip; /* host order */
	uint16_t port;
} gnut_ipv4_port;

/* Decodes IPP data: len a multiple of GNUT_IPP_ENTRY_LEN (else TRUNCATED)
 * holding at most max hosts (else TOO_LARGE) into out; *n = hosts. Entries
 * are copied as they are: validating the addresses is the caller's job. */
gnut_proto_err gnut_ipp_decode(const uint8_t *buf, size_t len, gnut_ipv4_port *out, size_t max,
                               size_t *n);
/* Appends n hosts as IPP data. */
void gnut_ipp_encode(GByteArray *out, const gnut_ipv4_port *hosts, size_t n);

/* What a pong received over UDP tells a bootstrapping servent. */
typedef struct {
	uint32_t ip; /* the pong's own host, host order */
	uint16_t port;
	bool ultrapeer; /* GGEP UP present */
	bool is_cache;  /* GGEP UDPHC present */
	bool tls;       /* GGEP TLS present: the pong's host accepts TLS */
	/* the cache's host name from UDPHC, NUL-terminated; empty when absent,
	 * empty in the pong or not a valid host name (gnut_addr_is_host_name) */
	char cache_name[GNUT_ADDR_MAX_NAME + 1];
	gnut_ipv4_port hosts[GNUT_UHC_MAX_IPP]; /* from IPP */
	size_t n_hosts;
} gnut_uhc_pong;

/* Decodes a pong payload (gnut_pong_decode) and its GGEP block, if any.
 * Errors: the pong's, the GGEP block's, and IPP's (see gnut_ipp_decode).
 * Non-GGEP trailing bytes from old servents are ignored. */
gnut_proto_err gnut_uhc_pong_decode(const uint8_t *payload, size_t len, gnut_uhc_pong *out);

/* Decodes a ping payload; *scp = whether it carries GGEP SCP. A ping with a
 * GGEP block that does not decode is that block's error. */
gnut_proto_err gnut_uhc_ping_decode(const uint8_t *payload, size_t len, bool *scp);

/* Appends a ping payload with GGEP SCP (data: GNUT_UHC_SCP_ULTRAPEERS). */
void gnut_uhc_ping_encode(GByteArray *out);

/* What we say about ourselves in a pong sent over UDP. */
typedef struct {
	uint32_t ip; /* host order */
	uint16_t port;
	uint32_t files, kib;
	char vendor[4];              /* VC */
	uint8_t version;             /* VC's version byte: major << 4 | minor */
	bool ultrapeer;              /* UP, with the two slot counts */
	bool tls;                    /* TLS (no data): we accept TLS connections */
	uint8_t leaf_slots;          /* free leaf slots */
	uint8_t ultra_slots;         /* free ultrapeer slots */
	uint32_t uptime_s;           /* DU; 0: not sent */
	const gnut_ipv4_port *hosts; /* IPP; n_hosts 0: not sent */
	size_t n_hosts;              /* at most GNUT_UHC_MAX_IPP */
} gnut_uhc_pong_fields;

/* Appends a pong payload (fixed part and GGEP block) for f. */
void gnut_uhc_pong_encode(GByteArray *out, const gnut_uhc_pong_fields *f);

#endif
