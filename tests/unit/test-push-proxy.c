/* test-push-proxy.c: the push proxy codecs: GGEP "PUSH" payloads, the
 * LIME/21 request and LIME/22 acknowledgement, and the push-proxy request
 * target, with vectors written by hand from doc/gnutella/push_proxy and
 * truncation at every offset (heap copies of exactly the bytes given, so
 * AddressSanitizer sees any read past them). */
#include "gnut/proto/push-proxy.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *prefix_copy(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	g_assert(copy != NULL);
	if (n > 0)
		memcpy(copy, p, n);
	return copy;
}

/* 127.0.0.1:12345 then 10.0.0.2:80. */
static const uint8_t push_vec[] = {0x7f, 0x00, 0x00, 0x01, 0x39, 0x30,
                                   0x0a, 0x00, 0x00, 0x02, 0x50, 0x00};

static void test_push_vector(void)
{
	gnut_push_proxies p;
	CU_ASSERT_EQUAL(gnut_push_proxies_decode(push_vec, sizeof push_vec, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.count, 2);
	CU_ASSERT_EQUAL(p.addr[0].ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(p.addr[0].port, 12345);
	CU_ASSERT_EQUAL(p.addr[1].ipv4, 0x0a000002);
	CU_ASSERT_EQUAL(p.addr[1].port, 80);
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_push_proxies_encode(out, &p);
	CU_ASSERT_EQUAL(out->len, sizeof push_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, push_vec, sizeof push_vec), 0);
}

static void test_push_truncated_and_capped(void)
{
	for (size_t n = 0; n < sizeof push_vec; n++) {
		uint8_t *copy = prefix_copy(push_vec, n);
		gnut_push_proxies p = {.count = 99};
		gnut_proto_err want = n == 6 ? GNUT_PROTO_OK : GNUT_PROTO_ERR_MALFORMED;
		CU_ASSERT_EQUAL(gnut_push_proxies_decode(copy, n, &p), want);
		CU_ASSERT_EQUAL(p.count, n == 6 ? 1u : 99u);
		free(copy);
	}
	uint8_t many[GNUT_PUSH_PROXY_ENTRY_LEN * 7];
	for (size_t i = 0; i < sizeof many; i++)
		many[i] = (uint8_t)i;
	gnut_push_proxies p;
	CU_ASSERT_EQUAL(gnut_push_proxies_decode(many, sizeof many, &p), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(p.count, GNUT_PUSH_PROXY_MAX);
	CU_ASSERT_EQUAL(p.addr[3].ipv4, 0x12131415);
}

static const uint8_t req_vec[] = {'L', 'I', 'M', 'E', 0x15, 0x00, 0x01, 0x00};
/* version 2: 127.0.0.1:12345 */
static const uint8_t ack_vec[] = {'L',  'I',  'M',  'E',  0x16, 0x00, 0x02,
                                  0x00, 0x7f, 0x00, 0x00, 0x01, 0x39, 0x30};

static void test_request(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_proxy_req_encode(out);
	CU_ASSERT_EQUAL(out->len, sizeof req_vec);
	CU_ASSERT_EQUAL(memcmp(out->data, req_vec, sizeof req_vec), 0);
	CU_ASSERT_EQUAL(gnut_proxy_req_decode(req_vec, sizeof req_vec), GNUT_PROTO_OK);
	for (size_t n = 0; n < sizeof req_vec; n++) {
		uint8_t *copy = prefix_copy(req_vec, n);
		CU_ASSERT_EQUAL(gnut_proxy_req_decode(copy, n), GNUT_PROTO_ERR_TRUNCATED);
		free(copy);
	}
	/* the acknowledgement is not a request */
	CU_ASSERT_EQUAL(gnut_proxy_req_decode(ack_vec, sizeof ack_vec), GNUT_PROTO_ERR_MALFORMED);
}

static void test_ack_vector(void)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gnut_proxy_ack_encode(out, 0x7f000001, 12345);
	CU_ASSERT_EQUAL(out->len, GNUT_PROXY_ACK_LEN);
	CU_ASSERT_EQUAL(memcmp(out->data, ack_vec, sizeof ack_vec), 0);
	uint32_t ip = 0;
	uint16_t port = 0;
	CU_ASSERT_EQUAL(gnut_proxy_ack_decode(ack_vec, sizeof ack_vec, &ip, &port), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0x7f000001);
	CU_ASSERT_EQUAL(port, 12345);
	/* version 1: the port alone */
	static const uint8_t v1[] = {'L', 'I', 'M', 'E', 0x16, 0x00, 0x01, 0x00, 0x39, 0x30};
	ip = 1;
	CU_ASSERT_EQUAL(gnut_proxy_ack_decode(v1, sizeof v1, &ip, &port), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0);
	CU_ASSERT_EQUAL(port, 12345);
	static const uint8_t v0[] = {'L', 'I', 'M', 'E', 0x16, 0x00, 0x00, 0x00, 0x39, 0x30};
	CU_ASSERT_EQUAL(gnut_proxy_ack_decode(v0, sizeof v0, &ip, &port),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(gnut_proxy_ack_decode(req_vec, sizeof req_vec, &ip, &port),
	                GNUT_PROTO_ERR_MALFORMED);
}

static void test_ack_truncated(void)
{
	for (size_t n = 0; n < sizeof ack_vec; n++) {
		uint8_t *copy = prefix_copy(ack_vec, n);
		uint32_t ip = 7;
		uint16_t port = 7;
		CU_ASSERT_EQUAL(gnut_proxy_ack_decode(copy, n, &ip, &port),
		                GNUT_PROTO_ERR_TRUNCATED);
		CU_ASSERT_EQUAL(ip, 7);
		CU_ASSERT_EQUAL(port, 7);
		free(copy);
	}
}

static void test_target_forms(void)
{
	gnut_guid want, got;
	for (unsigned i = 0; i < GNUT_GUID_LEN; i++)
		want.bytes[i] = (uint8_t)i;
	static const char *const good[] = {
	    "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4",
	    "/gnutella/push-proxy?serverid=aaaqeayeaudaocajbifqydiob4",
	    "/gnutella/push-proxy?file=0&ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4%3D%3D%3D%3D%3D%3D",
	    "/gnet/push-proxy?guid=000102030405060708090A0B0C0D0E0F",
	    "/gnet/push-proxy?file=3&guid=000102030405060708090a0b0c0d0e0f",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		memset(&got, 0xee, sizeof got);
		CU_ASSERT_EQUAL(gnut_push_proxy_parse_target(good[i], &got), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(memcmp(&got, &want, sizeof want), 0);
	}
	g_autofree char *ours = gnut_push_proxy_format_target(&want);
	CU_ASSERT_STRING_EQUAL(ours, good[0]);
}

static void test_target_refused(void)
{
	gnut_guid got;
	CU_ASSERT_EQUAL(gnut_push_proxy_parse_target("/get/1/a.txt", &got),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	CU_ASSERT_EQUAL(gnut_push_proxy_parse_target("/gnutella/push-proxyX?ServerId=A", &got),
	                GNUT_PROTO_ERR_UNSUPPORTED);
	static const char *const bad[] = {
	    "/gnutella/push-proxy",
	    "/gnutella/push-proxy?",
	    "/gnutella/push-proxy?ServerId=",
	    "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIO",    /* 15 bytes */
	    "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4A", /* 17 bits over */
	    "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB%",
	    "/gnutella/push-proxy?guid=000102030405060708090a0b0c0d0e0f",
	    "/gnet/push-proxy?guid=000102030405060708090a0b0c0d0e",
	    "/gnet/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_EQUAL(gnut_push_proxy_parse_target(bad[i], &got),
		                GNUT_PROTO_ERR_MALFORMED);
	/* cut at every offset: never more than a refusal */
	const char *full = "/gnutella/push-proxy?ServerId=AAAQEAYEAUDAOCAJBIFQYDIOB4";
	for (size_t n = 0; n < strlen(full); n++) {
		g_autofree char *cut = g_strndup(full, n);
		CU_ASSERT_NOT_EQUAL(gnut_push_proxy_parse_target(cut, &got), GNUT_PROTO_OK);
	}
}

static CU_TestInfo tests[] = {
    {"PUSH: known vector", test_push_vector},
    {"PUSH: truncated at every offset, capped", test_push_truncated_and_capped},
    {"LIME/21: vector and truncation", test_request},
    {"LIME/22: known vectors", test_ack_vector},
    {"LIME/22: truncated at every offset", test_ack_truncated},
    {"target: both forms", test_target_forms},
    {"target: refused", test_target_refused},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("push-proxy", tests)
