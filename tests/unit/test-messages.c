/* test-messages.c: the message header and the small payloads (ping, pong,
 * push, bye, vendor messages): byte vectors written by hand from the
 * specifications, round trips, truncation at every offset and inflated
 * lengths. Truncated inputs are private heap copies of exactly the bytes
 * given, so AddressSanitizer reports any read past them. */
#include "gnut/proto/bye.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/ping.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/push.h"
#include "gnut/proto/vendor-bear.h"
#include "gnut/proto/vendor-msg.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of the first n bytes of p, sized exactly n (malloc(0) under
 * ASan is a valid zero-byte block, so even n == 0 is checked). */
static uint8_t *prefix_copy(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n);
	g_assert(copy != NULL || n == 0);
	if (n > 0)
		memcpy(copy, p, n);
	return copy;
}

/* ---- message header ---- */

/* GUID 00..0f, query, TTL 4, hops 1, 258 bytes of payload. */
static const uint8_t header_vec[GNUT_MSG_HEADER_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x80, 0x04, 0x01, 0x02, 0x01, 0x00, 0x00,
};

static void test_header_vector(void)
{
	gnut_msg_header h;
	CU_ASSERT_EQUAL(
	    gnut_msg_header_decode(header_vec, sizeof header_vec, GNUT_MSG_MAX_PAYLOAD, &h),
	    GNUT_PROTO_OK);
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		CU_ASSERT_EQUAL(h.guid.bytes[i], i);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_QUERY);
	CU_ASSERT_EQUAL(h.ttl, 4);
	CU_ASSERT_EQUAL(h.hops, 1);
	CU_ASSERT_EQUAL(h.length, 258);

	uint8_t out[GNUT_MSG_HEADER_LEN];
	gnut_msg_header_encode(&h, out);
	CU_ASSERT_EQUAL(memcmp(out, header_vec, sizeof out), 0);
}

static void test_header_truncated(void)
{
	for (size_t n = 0; n < GNUT_MSG_HEADER_LEN; n++) {
		uint8_t *cut = prefix_copy(header_vec, n);
		gnut_msg_header h;
		CU_ASSERT_EQUAL(gnut_msg_header_decode(cut, n, GNUT_MSG_MAX_PAYLOAD, &h),
		                GNUT_PROTO_ERR_TRUNCATED);
		free(cut);
	}
}

static void test_header_inflated_length(void)
{
	uint8_t buf[GNUT_MSG_HEADER_LEN];
	gnut_msg_header h;
	memcpy(buf, header_vec, sizeof buf);

	gnut_poke_le32(buf + 19, GNUT_MSG_MAX_PAYLOAD);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.length, GNUT_MSG_MAX_PAYLOAD);
	gnut_poke_le32(buf + 19, GNUT_MSG_MAX_PAYLOAD + 1);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_ERR_TOO_LARGE);
	gnut_poke_le32(buf + 19, 0xffffffffu);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_ERR_TOO_LARGE);
	/* gtk-gnutella's reserved "flags" mark (bit 31) is no exemption */
	gnut_poke_le32(buf + 19, 0x80000010u);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_ERR_TOO_LARGE);
	/* the caller's own, smaller cap */
	gnut_poke_le32(buf + 19, 101);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, 100, &h), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(buf, sizeof buf, 101, &h), GNUT_PROTO_OK);
}

static void test_type_names(void)
{
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x00), "ping");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x01), "pong");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x02), "bye");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x30), "qrp");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x31), "vendor");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x32), "vendor std");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x40), "push");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x80), "query");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x81), "query hit");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0x03), "unknown");
	CU_ASSERT_STRING_EQUAL(gnut_msg_type_name(0xff), "unknown");
}

static void test_msg_append(void)
{
	gnut_guid guid;
	for (int i = 0; i < GNUT_GUID_LEN; i++)
		guid.bytes[i] = (uint8_t)(0xf0 + i);
	GByteArray *out = g_byte_array_new();
	gnut_msg_append(out, &guid, GNUT_MSG_BYE, 1, 0, (const uint8_t *)"abc", 3);
	CU_ASSERT_EQUAL(out->len, GNUT_MSG_HEADER_LEN + 3);

	gnut_msg_header h;
	CU_ASSERT_EQUAL(gnut_msg_header_decode(out->data, out->len, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(memcmp(h.guid.bytes, guid.bytes, GNUT_GUID_LEN), 0);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_BYE);
	CU_ASSERT_EQUAL(h.ttl, 1);
	CU_ASSERT_EQUAL(h.hops, 0);
	CU_ASSERT_EQUAL(h.length, 3);
	CU_ASSERT_EQUAL(memcmp(out->data + GNUT_MSG_HEADER_LEN, "abc", 3), 0);
	/* the raw length bytes, little-endian */
	CU_ASSERT_EQUAL(out->data[19], 3);
	CU_ASSERT_EQUAL(out->data[22], 0);

	/* an empty payload: a 23-byte message */
	gnut_msg_append(out, &guid, GNUT_MSG_PING, 4, 0, NULL, 0);
	CU_ASSERT_EQUAL(out->len, 2 * GNUT_MSG_HEADER_LEN + 3);
	CU_ASSERT_EQUAL(gnut_msg_header_decode(out->data + GNUT_MSG_HEADER_LEN + 3,
	                                       GNUT_MSG_HEADER_LEN, GNUT_MSG_MAX_PAYLOAD, &h),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_PING);
	CU_ASSERT_EQUAL(h.length, 0);
	g_byte_array_unref(out);
}

/* ---- ping ---- */

static void test_ping(void)
{
	gnut_ping p;
	static const uint8_t empty[1];
	CU_ASSERT_EQUAL(gnut_ping_decode(empty, 0, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ggep.len, 0);
	CU_ASSERT_EQUAL(p.legacy.len, 0);

	/* GGEP block with one extension "SCP" of one byte: last|idlen 3, "SCP", len 1 */
	static const uint8_t ggep[] = {0xc3, 0x83, 'S', 'C', 'P', 0x41, 0x01};
	CU_ASSERT_EQUAL(gnut_ping_decode(ggep, sizeof ggep, &p), GNUT_PROTO_OK);
	CU_ASSERT_PTR_EQUAL(p.ggep.data, ggep);
	CU_ASSERT_EQUAL(p.ggep.len, sizeof ggep);
	CU_ASSERT_EQUAL(p.legacy.len, 0);

	/* an old servent's non-GGEP payload: accepted, set aside */
	static const uint8_t group[] = "none:128:false";
	CU_ASSERT_EQUAL(gnut_ping_decode(group, sizeof group, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ggep.len, 0);
	CU_ASSERT_EQUAL(p.legacy.len, sizeof group);
	CU_ASSERT_PTR_EQUAL(p.legacy.data, group);

	uint8_t *big = g_malloc0(GNUT_PING_MAX_PAYLOAD + 1);
	big[0] = GNUT_MSG_GGEP_MAGIC;
	CU_ASSERT_EQUAL(gnut_ping_decode(big, GNUT_PING_MAX_PAYLOAD, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(gnut_ping_decode(big, GNUT_PING_MAX_PAYLOAD + 1, &p),
	                GNUT_PROTO_ERR_TOO_LARGE);
	g_free(big);

	GByteArray *out = g_byte_array_new();
	gnut_ping_encode(out, NULL, 0);
	CU_ASSERT_EQUAL(out->len, 0);
	gnut_ping_encode(out, ggep, sizeof ggep);
	CU_ASSERT_EQUAL(out->len, sizeof ggep);
	CU_ASSERT_EQUAL(memcmp(out->data, ggep, sizeof ggep), 0);
	g_byte_array_unref(out);
}

/* ---- pong ---- */

/* port 6346, 1.2.3.4, 100 files, 2048 KiB, then a GGEP "DU" of 2 bytes. */
static const uint8_t pong_vec[] = {
    0xca, 0x18, 0x01, 0x02, 0x03, 0x04, 0x64, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0xc3, 0x82, 'D',  'U',  0x42, 0x10, 0x0e,
};

static void test_pong_vector(void)
{
	gnut_pong p;
	CU_ASSERT_EQUAL(gnut_pong_decode(pong_vec, sizeof pong_vec, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.port, 6346);
	CU_ASSERT_EQUAL(p.ipv4, 0x01020304u);
	CU_ASSERT_EQUAL(p.files, 100);
	CU_ASSERT_EQUAL(p.kib, 2048);
	CU_ASSERT_PTR_EQUAL(p.ggep.data, pong_vec + GNUT_PONG_LEN);
	CU_ASSERT_EQUAL(p.ggep.len, sizeof pong_vec - GNUT_PONG_LEN);
	CU_ASSERT_EQUAL(p.legacy.len, 0);

	/* the classic 14-byte pong */
	CU_ASSERT_EQUAL(gnut_pong_decode(pong_vec, GNUT_PONG_LEN, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ggep.len, 0);

	GByteArray *out = g_byte_array_new();
	gnut_pong q = {.port = 6346, .ipv4 = 0x01020304u, .files = 100, .kib = 2048};
	q.ggep.data = pong_vec + GNUT_PONG_LEN;
	q.ggep.len = sizeof pong_vec - GNUT_PONG_LEN;
	gnut_pong_encode(out, &q);
	CU_ASSERT_EQUAL(out->len, sizeof pong_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, pong_vec, sizeof pong_vec), 0);
	g_byte_array_unref(out);
}

static void test_pong_round_trip_and_limits(void)
{
	gnut_pong q = {.port = 0xfffe, .ipv4 = 0xc0a80001u, .files = 0xffffffffu, .kib = 7};
	GByteArray *out = g_byte_array_new();
	gnut_pong_encode(out, &q);
	CU_ASSERT_EQUAL(out->len, GNUT_PONG_LEN);
	CU_ASSERT_EQUAL(out->data[2], 192); /* network order on the wire */
	CU_ASSERT_EQUAL(out->data[5], 1);
	gnut_pong p;
	CU_ASSERT_EQUAL(gnut_pong_decode(out->data, out->len, &p), GNUT_PROTO_OK);
	CU_ASSERT(p.port == q.port && p.ipv4 == q.ipv4 && p.files == q.files && p.kib == q.kib);

	/* non-GGEP bytes after the fixed part */
	static const uint8_t junk[] = {'x', 'y'};
	g_byte_array_append(out, junk, sizeof junk);
	CU_ASSERT_EQUAL(gnut_pong_decode(out->data, out->len, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.ggep.len, 0);
	CU_ASSERT_EQUAL(p.legacy.len, 2);
	g_byte_array_unref(out);

	uint8_t *big = g_malloc0(GNUT_PONG_MAX_PAYLOAD + 1);
	CU_ASSERT_EQUAL(gnut_pong_decode(big, GNUT_PONG_MAX_PAYLOAD + 1, &p),
	                GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_pong_decode(big, GNUT_PONG_MAX_PAYLOAD, &p), GNUT_PROTO_OK);
	g_free(big);
}

static void test_pong_truncated(void)
{
	for (size_t n = 0; n < sizeof pong_vec; n++) {
		uint8_t *cut = prefix_copy(pong_vec, n);
		gnut_pong p;
		gnut_proto_err err = gnut_pong_decode(cut, n, &p);
		if (n < GNUT_PONG_LEN) {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_TRUNCATED);
		} else {
			/* the GGEP block is not parsed here: a cut one is the GGEP decoder's */
			CU_ASSERT_EQUAL(err, GNUT_PROTO_OK);
			CU_ASSERT_EQUAL(p.ggep.len, n - GNUT_PONG_LEN);
		}
		free(cut);
	}
}

/* ---- push ---- */

/* servent GUID a0..af, file index 0x01020304, to 10.0.0.1 port 6347, then
 * GGEP "TLS" with no data (last|idlen 3, "TLS", len 0). */
static const uint8_t push_vec[] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0x04, 0x03, 0x02, 0x01, 0x0a, 0x00, 0x00, 0x01, 0xcb, 0x18, 0xc3, 0x83, 'T',  'L',  'S',  0x40,
};

static void test_push_vector(void)
{
	gnut_push p;
	CU_ASSERT_EQUAL(gnut_push_decode(push_vec, sizeof push_vec, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.servent.bytes[0], 0xa0);
	CU_ASSERT_EQUAL(p.servent.bytes[15], 0xaf);
	CU_ASSERT_EQUAL(p.file_index, 0x01020304u);
	CU_ASSERT_EQUAL(p.ipv4, 0x0a000001u);
	CU_ASSERT_EQUAL(p.port, 6347);
	CU_ASSERT_EQUAL(p.ggep.len, 6);
	CU_ASSERT_EQUAL(p.ggep.data[0], GNUT_MSG_GGEP_MAGIC);
	CU_ASSERT_EQUAL(p.legacy.len, 0);

	GByteArray *out = g_byte_array_new();
	gnut_push_encode(out, &p);
	CU_ASSERT_EQUAL(out->len, sizeof push_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, push_vec, sizeof push_vec), 0);

	/* without GGEP: exactly the 26 fixed bytes */
	p.ggep.len = 0;
	g_byte_array_set_size(out, 0);
	gnut_push_encode(out, &p);
	CU_ASSERT_EQUAL(out->len, GNUT_PUSH_LEN);
	CU_ASSERT_EQUAL(memcmp(out->data, push_vec, GNUT_PUSH_LEN), 0);
	g_byte_array_unref(out);

	uint8_t *big = g_malloc0(GNUT_PUSH_MAX_PAYLOAD + 1);
	CU_ASSERT_EQUAL(gnut_push_decode(big, GNUT_PUSH_MAX_PAYLOAD + 1, &p),
	                GNUT_PROTO_ERR_TOO_LARGE);
	g_free(big);
}

static void test_push_truncated(void)
{
	for (size_t n = 0; n < sizeof push_vec; n++) {
		uint8_t *cut = prefix_copy(push_vec, n);
		gnut_push p;
		gnut_proto_err err = gnut_push_decode(cut, n, &p);
		if (n < GNUT_PUSH_LEN) {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_TRUNCATED);
		} else {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_OK);
			CU_ASSERT_EQUAL(p.ggep.len, n - GNUT_PUSH_LEN);
		}
		free(cut);
	}
}

/* ---- bye ---- */

/* code 200, the HTTP-like form of the specification's first example. */
static const uint8_t bye_vec[] = "\xc8\x00"
                                 "Shutting Down\r\n"
                                 "Server: gnutd/0.1\r\n"
                                 "\r\n";

static void test_bye_vector(void)
{
	gnut_bye b;
	CU_ASSERT_EQUAL(gnut_bye_decode(bye_vec, sizeof bye_vec, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.code, 200);
	CU_ASSERT_TRUE(b.has_code);
	CU_ASSERT_TRUE(b.nul_terminated);
	CU_ASSERT_EQUAL(b.reason_len, sizeof bye_vec - 3);
	CU_ASSERT_PTR_EQUAL(b.reason, (const char *)bye_vec + 2);
	CU_ASSERT_EQUAL(b.line_len, strlen("Shutting Down"));
	CU_ASSERT_EQUAL(b.headers_len, strlen("Server: gnutd/0.1\r\n\r\n"));
	CU_ASSERT_EQUAL(memcmp(b.headers, "Server: ", 8), 0);

	GByteArray *out = g_byte_array_new();
	gnut_bye_encode(out, 200, "Shutting Down\r\nServer: gnutd/0.1\r\n\r\n");
	CU_ASSERT_EQUAL(out->len, sizeof bye_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, bye_vec, sizeof bye_vec), 0);
	g_byte_array_unref(out);
}

static void test_bye_short_form(void)
{
	/* 502, one line and no headers; an empty reason */
	GByteArray *out = g_byte_array_new();
	gnut_bye_encode(out, 502, "Send Queue Full");
	CU_ASSERT_EQUAL(out->data[0], 0xf6);
	CU_ASSERT_EQUAL(out->data[1], 0x01);
	gnut_bye b;
	CU_ASSERT_EQUAL(gnut_bye_decode(out->data, out->len, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.code, 502);
	CU_ASSERT_EQUAL(b.line_len, strlen("Send Queue Full"));
	CU_ASSERT_EQUAL(b.reason_len, b.line_len);
	CU_ASSERT_EQUAL(b.headers_len, 0);

	g_byte_array_set_size(out, 0);
	gnut_bye_encode(out, 200, "");
	CU_ASSERT_EQUAL(out->len, 3);
	CU_ASSERT_EQUAL(gnut_bye_decode(out->data, out->len, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.reason_len, 0);
	CU_ASSERT_TRUE(b.nul_terminated);
	g_byte_array_unref(out);
}

static void test_bye_leniency(void)
{
	gnut_bye b;
	/* no NUL at the end */
	static const uint8_t no_nul[] = {0x91, 0x01, 'I', 'd', 'l', 'e'};
	uint8_t *copy = prefix_copy(no_nul, sizeof no_nul);
	CU_ASSERT_EQUAL(gnut_bye_decode(copy, sizeof no_nul, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.code, 401);
	CU_ASSERT_FALSE(b.nul_terminated);
	CU_ASSERT_EQUAL(b.reason_len, 4);
	free(copy);

	/* bytes after the NUL are ignored */
	static const uint8_t after[] = {0xc8, 0x00, 'O', 'K', 0x00, 'z', 'z'};
	CU_ASSERT_EQUAL(gnut_bye_decode(after, sizeof after, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.reason_len, 2);
	CU_ASSERT_TRUE(b.nul_terminated);

	/* a code-less bye: "Bye" read as a code would be 0x7942 */
	static const uint8_t no_code[] = "Bye now";
	CU_ASSERT_EQUAL(gnut_bye_decode(no_code, sizeof no_code, &b), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(b.has_code);
	CU_ASSERT_EQUAL(b.code, 0);
	CU_ASSERT_EQUAL(b.reason_len, 7);
	CU_ASSERT_PTR_EQUAL(b.reason, (const char *)no_code);

	/* an out-of-range code that is not text stays a code */
	static const uint8_t odd_code[] = {0xff, 0xff, 'x', 0x00};
	CU_ASSERT_EQUAL(gnut_bye_decode(odd_code, sizeof odd_code, &b), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(b.has_code);
	CU_ASSERT_EQUAL(b.code, 0xffff);
}

static void test_bye_truncated_and_capped(void)
{
	for (size_t n = 0; n < sizeof bye_vec; n++) {
		uint8_t *cut = prefix_copy(bye_vec, n);
		gnut_bye b;
		gnut_proto_err err = gnut_bye_decode(cut, n, &b);
		if (n < GNUT_BYE_CODE_LEN) {
			CU_ASSERT_EQUAL(err, GNUT_PROTO_ERR_TRUNCATED);
		} else {
			/* lenient on a missing NUL: the reason is what arrived */
			CU_ASSERT_EQUAL(err, GNUT_PROTO_OK);
			CU_ASSERT_FALSE(b.nul_terminated);
			CU_ASSERT_EQUAL(b.reason_len, n - GNUT_BYE_CODE_LEN);
		}
		free(cut);
	}

	size_t len = GNUT_BYE_CODE_LEN + GNUT_BYE_MAX_REASON + 1;
	uint8_t *big = g_malloc(len + 1);
	memset(big, 'a', len + 1);
	big[0] = 0xc8;
	big[1] = 0x00;
	big[len] = '\0';
	gnut_bye b;
	CU_ASSERT_EQUAL(gnut_bye_decode(big, len + 1, &b), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_bye_decode(big, len, &b), GNUT_PROTO_ERR_TOO_LARGE);
	big[len - 1] = '\0';
	CU_ASSERT_EQUAL(gnut_bye_decode(big, len, &b), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(b.reason_len, GNUT_BYE_MAX_REASON);
	g_free(big);
}

/* ---- vendor messages ---- */

/* BEAR/4 version 1 "Hops Flow" with hops 5, from the vendor_msg specification. */
static const uint8_t hops_flow_vec[] = {'B', 'E', 'A', 'R', 0x04, 0x00, 0x01, 0x00, 0x05};

static void test_vendor_vector(void)
{
	gnut_vendor_msg m;
	CU_ASSERT_EQUAL(gnut_vendor_msg_decode(hops_flow_vec, sizeof hops_flow_vec, &m),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(memcmp(m.vendor, "BEAR", 4), 0);
	CU_ASSERT_EQUAL(m.selector, 4);
	CU_ASSERT_EQUAL(m.version, 1);
	CU_ASSERT_EQUAL(m.data.len, 1);
	CU_ASSERT_EQUAL(m.data.data[0], 5);
	CU_ASSERT_FALSE(gnut_vendor_msg_is_supported_list(&m));

	GByteArray *out = g_byte_array_new();
	gnut_vendor_msg_encode(out, &m);
	CU_ASSERT_EQUAL(out->len, sizeof hops_flow_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, hops_flow_vec, sizeof hops_flow_vec), 0);
	g_byte_array_unref(out);

	for (size_t n = 0; n < GNUT_VENDOR_MSG_HEAD; n++) {
		uint8_t *cut = prefix_copy(hops_flow_vec, n);
		CU_ASSERT_EQUAL(gnut_vendor_msg_decode(cut, n, &m), GNUT_PROTO_ERR_TRUNCATED);
		free(cut);
	}
	CU_ASSERT_EQUAL(gnut_vendor_msg_decode(hops_flow_vec, GNUT_VENDOR_MSG_HEAD, &m),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(m.data.len, 0);
}

/* The same vector through the Hops Flow codec: hops 5 read, written back
 * byte for byte; cut short, padded, of version 0 or another selector, it is
 * refused and *hops left alone. */
static void test_hops_flow_codec(void)
{
	uint8_t hops = 0;
	CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(hops_flow_vec, sizeof hops_flow_vec, &hops),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hops, 5);
	GByteArray *out = g_byte_array_new();
	gnut_bear_hops_flow_encode(out, 5);
	CU_ASSERT_EQUAL(out->len, GNUT_BEAR_HOPS_FLOW_LEN);
	CU_ASSERT_EQUAL(memcmp(out->data, hops_flow_vec, sizeof hops_flow_vec), 0);
	g_byte_array_unref(out);

	hops = 42;
	for (size_t n = 0; n < sizeof hops_flow_vec; n++)
		CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(hops_flow_vec, n, &hops),
		                GNUT_PROTO_ERR_TRUNCATED);
	uint8_t v[sizeof hops_flow_vec + 1];
	memcpy(v, hops_flow_vec, sizeof hops_flow_vec);
	v[sizeof hops_flow_vec] = 0;
	CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(v, sizeof v, &hops), GNUT_PROTO_ERR_TRAILING);
	v[6] = 2; /* version 2 may carry more: accepted */
	CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(v, sizeof v, &hops), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hops, 5);
	hops = 42;
	v[6] = 0;
	CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(v, sizeof v, &hops), GNUT_PROTO_ERR_UNSUPPORTED);
	v[6] = 1;
	v[4] = 11;
	CU_ASSERT_EQUAL(gnut_bear_hops_flow_decode(v, sizeof v - 1, &hops),
	                GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(hops, 42);
}

/* Messages Supported, whole payload: vendor 0000, selector 0, version 0,
 * count 2, then BEAR/4 v1 and GTKG/7 v2. */
static const uint8_t supported_vec[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 'B',  'E',  'A',
    'R',  0x04, 0x00, 0x01, 0x00, 'G',  'T',  'K',  'G',  0x07, 0x00, 0x02, 0x00,
};

static void test_supported_vector(void)
{
	gnut_vendor_msg m;
	CU_ASSERT_EQUAL(gnut_vendor_msg_decode(supported_vec, sizeof supported_vec, &m),
	                GNUT_PROTO_OK);
	CU_ASSERT_TRUE(gnut_vendor_msg_is_supported_list(&m));
	gnut_vmsg_supported s;
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(m.data.data, m.data.len, &s), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(s.count, 2);
	gnut_vmsg_entry e;
	CU_ASSERT_TRUE(gnut_vmsg_supported_get(&s, 0, &e));
	CU_ASSERT_EQUAL(memcmp(e.vendor, "BEAR", 4), 0);
	CU_ASSERT_EQUAL(e.selector, 4);
	CU_ASSERT_EQUAL(e.version, 1);
	CU_ASSERT_TRUE(gnut_vmsg_supported_get(&s, 1, &e));
	CU_ASSERT_EQUAL(memcmp(e.vendor, "GTKG", 4), 0);
	CU_ASSERT_EQUAL(e.selector, 7);
	CU_ASSERT_EQUAL(e.version, 2);
	CU_ASSERT_FALSE(gnut_vmsg_supported_get(&s, 2, &e));

	/* encode the same list and wrap it: byte for byte the vector */
	const gnut_vmsg_entry list[] = {{{'B', 'E', 'A', 'R'}, 4, 1}, {{'G', 'T', 'K', 'G'}, 7, 2}};
	GByteArray *data = g_byte_array_new();
	gnut_vmsg_supported_encode(data, list, G_N_ELEMENTS(list));
	gnut_vendor_msg w = {.selector = GNUT_VMSG_SEL_SUPPORTED, .version = 0};
	w.data.data = data->data;
	w.data.len = data->len;
	GByteArray *out = g_byte_array_new();
	gnut_vendor_msg_encode(out, &w);
	CU_ASSERT_EQUAL(out->len, sizeof supported_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, supported_vec, sizeof supported_vec), 0);
	g_byte_array_unref(out);
	g_byte_array_unref(data);
}

static void test_supported_truncated_and_inflated(void)
{
	const uint8_t *data = supported_vec + GNUT_VENDOR_MSG_HEAD;
	size_t len = sizeof supported_vec - GNUT_VENDOR_MSG_HEAD;
	gnut_vmsg_supported s;
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = prefix_copy(data, n);
		CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(cut, n, &s), GNUT_PROTO_ERR_TRUNCATED);
		free(cut);
	}

	uint8_t *copy = prefix_copy(data, len);
	gnut_poke_le16(copy, 3); /* one entry more than there is */
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(copy, len, &s), GNUT_PROTO_ERR_TRUNCATED);
	gnut_poke_le16(copy, GNUT_VMSG_SUPPORTED_MAX + 1);
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(copy, len, &s), GNUT_PROTO_ERR_TOO_LARGE);
	gnut_poke_le16(copy, 0xffff);
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(copy, len, &s), GNUT_PROTO_ERR_TOO_LARGE);
	/* fewer entries than there are bytes for: the rest is ignored */
	gnut_poke_le16(copy, 1);
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(copy, len, &s), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(s.count, 1);
	CU_ASSERT_EQUAL(s.entries.len, GNUT_VMSG_ENTRY_LEN);
	gnut_poke_le16(copy, 0);
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(copy, len, &s), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(s.count, 0);
	free(copy);

	/* the cap itself decodes */
	size_t full = 2 + (size_t)GNUT_VMSG_SUPPORTED_MAX * GNUT_VMSG_ENTRY_LEN;
	uint8_t *max = g_malloc0(full);
	gnut_poke_le16(max, GNUT_VMSG_SUPPORTED_MAX);
	CU_ASSERT_EQUAL(gnut_vmsg_supported_decode(max, full, &s), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(s.count, GNUT_VMSG_SUPPORTED_MAX);
	g_free(max);
}

static CU_TestInfo tests[] = {
    {"header: known vector", test_header_vector},
    {"header: truncated at every offset", test_header_truncated},
    {"header: inflated length", test_header_inflated_length},
    {"header: type names", test_type_names},
    {"header: msg_append", test_msg_append},
    {"ping: empty, GGEP, legacy, cap", test_ping},
    {"pong: known vector", test_pong_vector},
    {"pong: round trip and limits", test_pong_round_trip_and_limits},
    {"pong: truncated at every offset", test_pong_truncated},
    {"push: known vector", test_push_vector},
    {"push: truncated at every offset", test_push_truncated},
    {"bye: known vector", test_bye_vector},
    {"bye: short form", test_bye_short_form},
    {"bye: leniency", test_bye_leniency},
    {"bye: truncated and capped", test_bye_truncated_and_capped},
    {"vendor: known vector", test_vendor_vector},
    {"vendor: Hops Flow codec", test_hops_flow_codec},
    {"vendor: messages supported vector", test_supported_vector},
    {"vendor: messages supported truncated and inflated", test_supported_truncated_and_inflated},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("messages", tests)
