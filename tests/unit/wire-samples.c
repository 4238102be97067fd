/* wire-samples.c: a test helper (not a unit suite) for tshark-check.sh. It
 * writes a classic pcap file holding one loopback TCP connection to port
 * 6346: the TCP three-way handshake, the Gnutella 0.6 handshake, then one
 * ping, pong, query, query hit and push as our encoders produce them, so that
 * Wireshark's Gnutella dissector can judge our bytes. IP and TCP checksums
 * are computed, so tshark may validate them too.
 *
 * On stdout it prints the lines `tshark -V` must show for those messages, one
 * per line, so the values sent live in this file only.
 *
 * Usage: wire-samples OUT.pcap */
#include "gnut/proto/digest.h"
#include "gnut/proto/ggep.h"
#include "gnut/proto/guid.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/ping.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/push.h"
#include "gnut/proto/qhit.h"
#include "gnut/proto/query.h"
#include "gnut/proto/tiger-tree.h"
#include "gnut/proto/urn.h"
#include "gnut/proto/wire.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CLIENT_PORT  40000
#define SERVER_PORT  6346
#define LOOPBACK     0x7f000001u /* 127.0.0.1 */
#define ETH_LEN      14
#define IPV4_LEN     20
#define TCP_LEN      20
#define TCP_FIN      0x01
#define TCP_SYN      0x02
#define TCP_PSH      0x08
#define TCP_ACK      0x10
#define PCAP_SNAPLEN 65535

/* The capture being written and the state of its one TCP connection. */
typedef struct {
	FILE *out;
	uint32_t usec;        /* timestamp of the next frame, after a fixed epoch */
	uint32_t client_next; /* next sequence number each side sends */
	uint32_t server_next;
	uint16_t ip_id;
	bool failed; /* a write failed */
} capture;

/* One's-complement sum of n bytes added to acc (RFC 1071). */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += gnut_peek_be16(p + i);
	if (n % 2 != 0)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold_checksum(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void write_bytes(capture *c, const void *p, size_t n)
{
	if (fwrite(p, 1, n, c->out) != n)
		c->failed = true;
}

/* The pcap global header: little-endian, microsecond stamps, Ethernet. */
static void write_pcap_header(capture *c)
{
	uint8_t h[24];
	gnut_poke_le32(h, 0xa1b2c3d4);
	gnut_poke_le16(h + 4, 2);
	gnut_poke_le16(h + 6, 4);
	gnut_poke_le32(h + 8, 0);  /* time zone: UTC */
	gnut_poke_le32(h + 12, 0); /* accuracy of stamps */
	gnut_poke_le32(h + 16, PCAP_SNAPLEN);
	gnut_poke_le32(h + 20, 1); /* LINKTYPE_ETHERNET */
	write_bytes(c, h, sizeof h);
}

/* Fills the IPv4 header (with its checksum) at ip for a TCP segment of
 * tcp_len bytes, header included. */
static void fill_ipv4(capture *c, uint8_t *ip, size_t tcp_len)
{
	memset(ip, 0, IPV4_LEN);
	ip[0] = 0x45; /* version 4, 5 words of header */
	gnut_poke_be16(ip + 2, (uint16_t)(IPV4_LEN + tcp_len));
	gnut_poke_be16(ip + 4, c->ip_id++);
	gnut_poke_be16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;                     /* TTL */
	ip[9] = 6;                      /* TCP */
	gnut_poke_be32(ip + 12, LOOPBACK);
	gnut_poke_be32(ip + 16, LOOPBACK);
	gnut_poke_be16(ip + 10, fold_checksum(sum16(0, ip, IPV4_LEN)));
}

/* Fills the TCP header at tcp, data following it, with the checksum over the
 * IPv4 pseudo-header, the header and the data. */
static void fill_tcp(uint8_t *tcp, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                     uint8_t flags, size_t data_len)
{
	memset(tcp, 0, TCP_LEN);
	gnut_poke_be16(tcp, sport);
	gnut_poke_be16(tcp + 2, dport);
	gnut_poke_be32(tcp + 4, seq);
	gnut_poke_be32(tcp + 8, ack);
	tcp[12] = (TCP_LEN / 4) << 4;
	tcp[13] = flags;
	gnut_poke_be16(tcp + 14, 65535); /* window */

	uint8_t pseudo[12];
	gnut_poke_be32(pseudo, LOOPBACK);
	gnut_poke_be32(pseudo + 4, LOOPBACK);
	pseudo[8] = 0;
	pseudo[9] = 6;
	gnut_poke_be16(pseudo + 10, (uint16_t)(TCP_LEN + data_len));
	uint32_t acc = sum16(0, pseudo, sizeof pseudo);
	acc = sum16(acc, tcp, TCP_LEN + data_len);
	gnut_poke_be16(tcp + 16, fold_checksum(acc));
}

/* Writes one frame of the connection: a segment from the client (to port
 * 6346) or from the server, carrying len bytes. Sequence numbers advance by
 * the data and by one for SYN and FIN; every segment but the first SYN
 * acknowledges all the peer has sent. */
static void send_segment(capture *c, bool from_client, uint8_t flags, const void *data, size_t len)
{
	size_t frame_len = ETH_LEN + IPV4_LEN + TCP_LEN + len;
	g_assert(frame_len <= PCAP_SNAPLEN);
	uint8_t *frame = g_malloc0(frame_len);
	static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
	memcpy(frame, from_client ? server_mac : client_mac, 6);
	memcpy(frame + 6, from_client ? client_mac : server_mac, 6);
	gnut_poke_be16(frame + 12, 0x0800); /* IPv4 */
	fill_ipv4(c, frame + ETH_LEN, TCP_LEN + len);

	uint8_t *tcp = frame + ETH_LEN + IPV4_LEN;
	if (len > 0)
		memcpy(tcp + TCP_LEN, data, len);
	uint32_t *seq = from_client ? &c->client_next : &c->server_next;
	uint32_t ack = (flags & TCP_ACK) ? (from_client ? c->server_next : c->client_next) : 0;
	fill_tcp(tcp, from_client ? CLIENT_PORT : SERVER_PORT,
	         from_client ? SERVER_PORT : CLIENT_PORT, *seq, ack, flags, len);
	*seq += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);

	uint8_t rec[16];
	gnut_poke_le32(rec, 1700000000 + c->usec / 1000000);
	gnut_poke_le32(rec + 4, c->usec % 1000000);
	gnut_poke_le32(rec + 8, (uint32_t)frame_len);
	gnut_poke_le32(rec + 12, (uint32_t)frame_len);
	c->usec += 1000;
	write_bytes(c, rec, sizeof rec);
	write_bytes(c, frame, frame_len);
	g_free(frame);
}

/* A fixed GUID per message, so that every run writes the same file. */
static gnut_guid sample_guid(uint8_t seed)
{
	gnut_guid g;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		g.bytes[i] = (uint8_t)(seed + 17 * i);
	g.bytes[8] = 0xff;
	g.bytes[15] = 0x00;
	return g;
}

/* Frames payload as a message of the given type and sends it. */
static void send_message(capture *c, bool from_client, uint8_t type, uint8_t seed,
                         const GByteArray *payload)
{
	gnut_guid guid = sample_guid(seed);
	GByteArray *msg = g_byte_array_new();
	gnut_msg_append(msg, &guid, type, 7, 0, payload->data, payload->len);
	g_assert(msg->len == GNUT_MSG_HEADER_LEN + payload->len);
	send_segment(c, from_client, TCP_PSH | TCP_ACK, msg->data, msg->len);
	g_byte_array_unref(msg);
}

static void expect(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Prints one line tshark -V must show. */
static void expect(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void expect_guid(const char *label, const gnut_guid *g)
{
	char hex[GNUT_GUID_HEX_LEN + 1];
	gnut_guid_to_hex(g, hex);
	expect("%s: %s", label, hex);
}

/* Appends a GGEP block of one extension to out. */
static void append_ggep1(GByteArray *out, const char *id, const void *data, size_t len)
{
	gnut_ggep_item item = {.id = id, .data = data, .len = len, .flags = 0};
	gnut_proto_err err = gnut_ggep_encode(&item, 1, out);
	g_assert(err == GNUT_PROTO_OK);
}

/* The three steps of the 0.6 handshake, each a header block of its own. */
static void send_handshake(capture *c)
{
	static const char step1[] = "GNUTELLA CONNECT/0.6\r\n"
	                            "User-Agent: gnutd/wire-samples\r\n"
	                            "X-Ultrapeer: False\r\n"
	                            "\r\n";
	static const char step2[] = "GNUTELLA/0.6 200 OK\r\n"
	                            "User-Agent: gnutd/wire-samples\r\n"
	                            "X-Ultrapeer: True\r\n"
	                            "\r\n";
	static const char step3[] = "GNUTELLA/0.6 200 OK\r\n"
	                            "\r\n";
	send_segment(c, true, TCP_PSH | TCP_ACK, step1, strlen(step1));
	send_segment(c, false, TCP_PSH | TCP_ACK, step2, strlen(step2));
	send_segment(c, true, TCP_PSH | TCP_ACK, step3, strlen(step3));
}

/* A ping carrying GGEP "SCP" (the sender wants cached pongs). */
static void send_ping(capture *c)
{
	GByteArray *ggep = g_byte_array_new();
	GByteArray *payload = g_byte_array_new();
	append_ggep1(ggep, "SCP", NULL, 0);
	gnut_ping_encode(payload, ggep->data, ggep->len);
	send_message(c, true, GNUT_MSG_PING, 0x10, payload);
	expect("Payload: 0 (Ping)");
	expect("Length: %u", payload->len);
	g_byte_array_unref(payload);
	g_byte_array_unref(ggep);
}

/* A pong with a GGEP "VC" (vendor code and version) block. */
static void send_pong(capture *c)
{
	static const uint8_t vc[] = {'G', 'N', 'U', 'T', 0x01};
	GByteArray *ggep = g_byte_array_new();
	GByteArray *payload = g_byte_array_new();
	append_ggep1(ggep, "VC", vc, sizeof vc);
	gnut_pong pong = {
	    .port = 6348,
	    .ipv4 = 0x7f000003, /* 127.0.0.3 */
	    .files = 42,
	    .kib = 1337,
	    .ggep = {ggep->data, ggep->len},
	};
	gnut_pong_encode(payload, &pong);
	send_message(c, false, GNUT_MSG_PONG, 0x20, payload);
	expect("Payload: 1 (Pong)");
	expect("Port: 6348");
	expect("IP: 127.0.0.3");
	expect("Files Shared: 42");
	expect("KBytes Shared: 1337");
	g_byte_array_unref(payload);
	g_byte_array_unref(ggep);
}

/* A query in the flag form with a HUGE urn:sha1 item and a GGEP "H" block
 * naming the same file. */
static void send_query(capture *c)
{
	static const char text[] = "gnutd wire sample";
	gnut_urn urn = {.has_sha1 = true};
	gnut_sha1_buffer(text, strlen(text), urn.sha1);
	char urn_text[GNUT_URN_SHA1_LEN + 1];
	gnut_urn_format_sha1(urn.sha1, urn_text);

	GByteArray *h = g_byte_array_new();
	GByteArray *ggep = g_byte_array_new();
	GByteArray *payload = g_byte_array_new();
	g_assert(gnut_ggep_h_encode(&urn, h) == GNUT_PROTO_OK);
	append_ggep1(ggep, "H", h->data, h->len);
	gnut_query q = {
	    .flags = GNUT_QUERY_F_MARK | GNUT_QUERY_F_GGEP_H | GNUT_QUERY_F_XML,
	    .text = text,
	    .text_len = strlen(text),
	    .urns = {{(const uint8_t *)urn_text, strlen(urn_text)}},
	    .n_urns = 1,
	    .ggep = {{ggep->data, ggep->len}},
	    .n_ggep = 1,
	};
	g_assert(gnut_query_encode(payload, &q) == GNUT_PROTO_OK);
	send_message(c, true, GNUT_MSG_QUERY, 0x30, payload);
	expect("Payload: 128 (Query)");
	/* The dissector knows only the old little-endian minimum speed: the
	 * first wire byte (the flags' high byte) is its low byte. */
	expect("Min Speed: %u", (unsigned)((q.flags >> 8) | ((q.flags & 0xff) << 8)));
	expect("Search: %s", text);
	g_byte_array_unref(payload);
	g_byte_array_unref(ggep);
	g_byte_array_unref(h);
}

/* One result of a query hit: its name, size, and extensions naming the
 * content by urn:sha1 text and by a GGEP "H" bitprint (digests computed over
 * the given bytes, as a share would be hashed). */
static gnut_qhit_result sample_result(GByteArray *ext, uint32_t index, const char *name,
                                      const char *content)
{
	gnut_urn urn = {.has_sha1 = true, .has_tiger = true};
	gnut_sha1_buffer(content, strlen(content), urn.sha1);
	gnut_tiger_tree_buffer(content, strlen(content), urn.tiger);
	g_assert(gnut_qhit_result_ext_encode(ext, &urn, true, true) == GNUT_PROTO_OK);
	return (gnut_qhit_result){
	    .index = index,
	    .size = (uint32_t)strlen(content),
	    .name = name,
	    .name_len = strlen(name),
	    .ext = {ext->data, ext->len},
	};
}

/* A query hit with two results and a full trailer: vendor code, open data
 * flags and a GGEP block ("BUP": browse host supported) in the private
 * area, then the servent GUID. */
static void send_query_hit(capture *c)
{
	GByteArray *ext1 = g_byte_array_new();
	GByteArray *ext2 = g_byte_array_new();
	GByteArray *ggep = g_byte_array_new();
	GByteArray *payload = g_byte_array_new();
	gnut_qhit_result results[2] = {
	    sample_result(ext1, 3, "gnutd sample.ogg", "not really an ogg file"),
	    sample_result(ext2, 12, "second sample.txt", "some text to share\n"),
	};
	append_ggep1(ggep, "BUP", NULL, 0);
	gnut_qhit h = {
	    .port = 6347,
	    .ipv4 = 0x7f000002, /* 127.0.0.2 */
	    .speed = 512,
	    .results = results,
	    .n_results = G_N_ELEMENTS(results),
	    .vendor = {'G', 'N', 'U', 'T'},
	    .flags_valid = GNUT_QHIT_F_PUSH | GNUT_QHIT_F_BUSY | GNUT_QHIT_F_UPLOADED,
	    .flags = GNUT_QHIT_F_UPLOADED,
	    .private_area = {ggep->data, ggep->len},
	    .servent = sample_guid(0x60),
	};
	g_assert(gnut_qhit_encode(payload, &h) == GNUT_PROTO_OK);
	send_message(c, false, GNUT_MSG_QUERY_HIT, 0x70, payload);
	expect("Payload: 129 (QueryHit)");
	expect("Count: 2");
	expect("Port: 6347");
	expect("IP: 127.0.0.2");
	expect("Speed: 512");
	for (size_t i = 0; i < G_N_ELEMENTS(results); i++) {
		expect("Index: %u", results[i].index);
		expect("Size: %u", results[i].size);
		expect("Name: %s", results[i].name);
	}
	expect_guid("Servent ID", &h.servent);
	g_byte_array_unref(payload);
	g_byte_array_unref(ggep);
	g_byte_array_unref(ext2);
	g_byte_array_unref(ext1);
}

/* A push asking the servent to connect back to 127.0.0.1:6349, with a GGEP
 * "TLS" block (the pusher accepts TLS). */
static void send_push(capture *c)
{
	GByteArray *ggep = g_byte_array_new();
	GByteArray *payload = g_byte_array_new();
	append_ggep1(ggep, "TLS", NULL, 0);
	gnut_push push = {
	    .servent = sample_guid(0x50),
	    .file_index = 7,
	    .ipv4 = LOOPBACK,
	    .port = 6349,
	    .ggep = {ggep->data, ggep->len},
	};
	gnut_push_encode(payload, &push);
	send_message(c, true, GNUT_MSG_PUSH, 0x40, payload);
	expect("Payload: 64 (Push)");
	expect_guid("Servent ID", &push.servent);
	expect("Index: 7");
	expect("IP: 127.0.0.1");
	expect("Port: 6349");
	g_byte_array_unref(payload);
	g_byte_array_unref(ggep);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.pcap\n", argv[0]);
		return 2;
	}
	gnut_digest_init();
	capture c = {.client_next = 1000, .server_next = 5000, .ip_id = 1};
	c.out = fopen(argv[1], "wb");
	if (c.out == NULL) {
		perror(argv[1]);
		return 1;
	}
	write_pcap_header(&c);
	send_segment(&c, true, TCP_SYN, NULL, 0);
	send_segment(&c, false, TCP_SYN | TCP_ACK, NULL, 0);
	send_segment(&c, true, TCP_ACK, NULL, 0);
	send_handshake(&c);
	send_ping(&c);
	send_pong(&c);
	send_query(&c);
	send_query_hit(&c);
	send_push(&c);
	send_segment(&c, false, TCP_ACK, NULL, 0);
	if (fclose(c.out) != 0 || c.failed) {
		fprintf(stderr, "%s: write failed\n", argv[1]);
		return 1;
	}
	return 0;
}
