/* test-address.c: IPv4/IPv6 literals, ports, host names and "host:port":
 * known vectors, every edge, the libc's inet_pton as a second opinion on
 * literals, truncation at every offset from exact-size heap copies (so ASan
 * reports any read past the end), formats and the IPv4 address classes. */
#include "gnut/proto/address.h"
#include "unit.h"

#include <arpa/inet.h>
#include <string.h>

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Each parser on the first n bytes of s, from a heap copy of exactly n bytes. */
static gnut_proto_err ipv4_n(const char *s, size_t n, uint32_t *ip)
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_addr_parse_ipv4(copy, n, ip);
	g_free(copy);
	return err;
}

static gnut_proto_err ipv4(const char *s, uint32_t *ip)
{
	return ipv4_n(s, strlen(s), ip);
}

static gnut_proto_err ipv6_n(const char *s, size_t n, uint8_t out[GNUT_ADDR_IPV6_BYTES])
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_addr_parse_ipv6(copy, n, out);
	g_free(copy);
	return err;
}

static gnut_proto_err port_of(const char *s, uint16_t *port)
{
	char *copy = g_memdup2(s, strlen(s));
	gnut_proto_err err = gnut_addr_parse_port(copy, strlen(s), port);
	g_free(copy);
	return err;
}

static gnut_proto_err ipv4_port_n(const char *s, size_t n, uint16_t def, uint32_t *ip,
                                  uint16_t *port)
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_addr_parse_ipv4_port(copy, n, def, ip, port);
	g_free(copy);
	return err;
}

/* Parses s as host:port; on OK the host is copied out (NUL-terminated) into
 * host, which holds strlen(s) + 1 bytes, after checking it lies in the copy. */
static gnut_proto_err host_port_n(const char *s, size_t n, uint16_t def, gnut_addr_host_port *out,
                                  char *host)
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err err = gnut_addr_parse_host_port(copy, n, def, out);
	if (err == GNUT_PROTO_OK) {
		g_assert(out->host >= copy && out->host + out->host_len <= copy + n);
		if (host != NULL) {
			memcpy(host, out->host, out->host_len);
			host[out->host_len] = '\0';
		}
	}
	g_free(copy);
	return err;
}

static gnut_proto_err host_port(const char *s, uint16_t def, gnut_addr_host_port *out, char *host)
{
	return host_port_n(s, strlen(s), def, out, host);
}

static bool is_host_name(const char *s)
{
	char *copy = g_memdup2(s, strlen(s));
	bool ok = gnut_addr_is_host_name(copy, strlen(s));
	g_free(copy);
	return ok;
}

static void test_ipv4_known(void)
{
	static const struct {
		const char *text;
		uint32_t ip;
	} good[] = {
	    {"0.0.0.0", 0},
	    {"255.255.255.255", 0xffffffff},
	    {"1.2.3.4", 0x01020304},
	    {"10.0.0.1", IP(10, 0, 0, 1)},
	    {"192.168.100.254", IP(192, 168, 100, 254)},
	    {"127.0.0.1", 0x7f000001},
	    {"100.64.0.0", IP(100, 64, 0, 0)},
	    {"9.99.199.249", IP(9, 99, 199, 249)},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		uint32_t ip = 0xdeadbeef;
		CU_ASSERT_EQUAL(ipv4(good[i].text, &ip), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(ip, good[i].ip);
	}
}

static void test_ipv4_rejects(void)
{
	static const char *const bad[] = {
	    "",           "256.1.1.1",  "1.256.1.1", "1.2.3.256", "1.2.3",     "1.2.3.4.",
	    "1.2.3.4.5",  " 1.2.3.4",   "1.2.3.4 ",  "01.2.3.4",  "1.2.3.04",  "00.0.0.0",
	    "1.2.3.010",  "1..2.3",     ".1.2.3.4",  "1.2.3.-4",  "+1.2.3.4",  "0x1.2.3.4",
	    "1.2.3.4x",   "1.2.3.1000", "a.b.c.d",   "1,2,3,4",   "1.2.3.4\n", "1.2.3.4:80",
	    "4294967295", "1.2.3.4/8",  "1.2.3. 4",  "999.1.1.1", "::1",       ".",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint32_t ip = 42;
		CU_ASSERT_EQUAL(ipv4(bad[i], &ip), GNUT_PROTO_ERR_MALFORMED);
		CU_ASSERT_EQUAL(ip, 42); /* untouched on error */
	}
	/* an embedded NUL is a byte like any other, not an end */
	uint32_t ip = 0;
	CU_ASSERT_EQUAL(ipv4_n("1.2.3.4\0", 8, &ip), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(ipv4_n("1.2.3\0.4", 8, &ip), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(gnut_addr_parse_ipv4(NULL, 0, &ip), GNUT_PROTO_ERR_MALFORMED);
}

/* The libc agrees on every vector above and on every prefix of these. */
static void test_ipv4_like_inet_pton(void)
{
	static const char *const texts[] = {
	    "255.255.255.255", "1.2.3.45",  "0.0.0.0",   "01.2.3.4", "1.2.3.4.5",
	    "100.200.30.4",    "256.1.1.1", "1.2.3.010", "1..2.3",   "9.8.7.6x",
	};
	size_t checked = 0, agreed = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		size_t len = strlen(texts[i]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *z = g_strndup(texts[i], cut);
			struct in_addr want;
			int libc_ok = inet_pton(AF_INET, z, &want) == 1;
			uint32_t ip = 0;
			bool ok = ipv4_n(texts[i], cut, &ip) == GNUT_PROTO_OK;
			checked++;
			agreed += ok == libc_ok && (!ok || ip == ntohl(want.s_addr));
			g_free(z);
		}
	}
	CU_ASSERT_EQUAL(agreed, checked);
	/* "1.2.3.45" cut after "1.2.3.4" is a literal too */
	uint32_t ip = 0;
	CU_ASSERT_EQUAL(ipv4_n("1.2.3.45", 7, &ip), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0x01020304);
}

static bool ipv6_is(const char *text, const uint8_t want[GNUT_ADDR_IPV6_BYTES])
{
	uint8_t got[GNUT_ADDR_IPV6_BYTES];
	return ipv6_n(text, strlen(text), got) == GNUT_PROTO_OK &&
	       memcmp(got, want, GNUT_ADDR_IPV6_BYTES) == 0;
}

static void test_ipv6(void)
{
	static const uint8_t zero[16] = {0};
	static const uint8_t one[16] = {[15] = 1};
	static const uint8_t doc[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t mapped[16] = {[10] = 0xff, 0xff, 1, 2, 3, 4};
	static const uint8_t full[16] = {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8};
	static const uint8_t up[16] = {0xff, 0xff, [14] = 0xab, 0xcd};
	static const uint8_t last_gap[16] = {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0};
	CU_ASSERT_TRUE(ipv6_is("::", zero));
	CU_ASSERT_TRUE(ipv6_is("0:0:0:0:0:0:0:0", zero));
	CU_ASSERT_TRUE(ipv6_is("::1", one));
	CU_ASSERT_TRUE(ipv6_is("0000:0000::0001", one));
	CU_ASSERT_TRUE(ipv6_is("2001:db8::1", doc));
	CU_ASSERT_TRUE(ipv6_is("2001:DB8:0:0:0:0:0:1", doc));
	CU_ASSERT_TRUE(ipv6_is("::ffff:1.2.3.4", mapped));
	CU_ASSERT_TRUE(ipv6_is("0:0:0:0:0:ffff:1.2.3.4", mapped));
	CU_ASSERT_TRUE(ipv6_is("1:2:3:4:5:6:7:8", full));
	CU_ASSERT_TRUE(ipv6_is("FFFF::abcd", up));
	CU_ASSERT_TRUE(ipv6_is("1:2:3:4:5:6:7::", last_gap));

	static const char *const bad[] = {
	    "",
	    ":",
	    ":::",
	    "1:::2",
	    "1::2::3",
	    ":1::",
	    "1::2:",
	    "1:",
	    "1:2:3:4:5:6:7",
	    "1:2:3:4:5:6:7:8:9",
	    "1:2:3:4:5:6:7:8::",
	    "::1:2:3:4:5:6:7:8",
	    "12345::",
	    "1::g",
	    "1.2.3.4",
	    "::1.2.3",
	    "::01.2.3.4",
	    "::1.2.3.4:1",
	    "1:2:3:4:5:6:7:1.2.3.4",
	    "1.2.3.4::",
	    "fe80::1%eth0",
	    "[::1]",
	    " ::1",
	    "::1 ",
	    "::ab.2.3.4",
	};
	uint8_t out[16];
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		memset(out, 0x5a, sizeof out);
		CU_ASSERT_EQUAL(ipv6_n(bad[i], strlen(bad[i]), out), GNUT_PROTO_ERR_MALFORMED);
		CU_ASSERT_EQUAL(out[0], 0x5a);
	}
}

/* Every vector above and every prefix of these, against inet_pton. */
static void test_ipv6_like_inet_pton(void)
{
	static const char *const texts[] = {
	    "2001:db8:85a3:8d3:1319:8a2e:370:7348",
	    "::ffff:192.168.100.200",
	    "1::2:3:4:5:6:7",
	    "abcd:ef01::2345:6789",
	    "1:2:3:4:5:6:7:8::",
	    "::1.2.3.4",
	    "fe80::1%eth0",
	    "12345::1",
	    "1:::2",
	};
	size_t checked = 0, agreed = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		size_t len = strlen(texts[i]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *z = g_strndup(texts[i], cut);
			uint8_t want[16], got[16];
			int libc_ok = inet_pton(AF_INET6, z, want) == 1;
			bool ok = ipv6_n(texts[i], cut, got) == GNUT_PROTO_OK;
			checked++;
			agreed += ok == libc_ok && (!ok || memcmp(got, want, 16) == 0);
			g_free(z);
		}
	}
	CU_ASSERT_EQUAL(agreed, checked);
}

static void test_ports(void)
{
	static const struct {
		const char *text;
		uint16_t port;
	} good[] = {{"1", 1}, {"80", 80}, {"6346", 6346}, {"10000", 10000}, {"65535", 65535}};
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		uint16_t port = 0;
		CU_ASSERT_EQUAL(port_of(good[i].text, &port), GNUT_PROTO_OK);
		CU_ASSERT_EQUAL(port, good[i].port);
	}
	static const char *const bad[] = {
	    "0",  "65536", "99999", "100000", "+1",  "-1",  "0x10", "",       "06346",
	    "00", " 1",    "1 ",    "6346a",  "1e3", "0.5", "١",    "65535 ", "4294967297",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint16_t port = 7;
		CU_ASSERT_EQUAL(port_of(bad[i], &port), GNUT_PROTO_ERR_MALFORMED);
		CU_ASSERT_EQUAL(port, 7);
	}
}

static void test_host_names(void)
{
	static const char *const good[] = {
	    "a",    "localhost", "example.org", "Example.ORG",           "a-b.c-d.e",
	    "x.1a", "1a",        "123.com",     "xn--bcher-kva.example", "uhc.gtk-gnutella.nl",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++)
		CU_ASSERT_TRUE(is_host_name(good[i]));
	static const char *const bad[] = {
	    "",
	    "-a",
	    "a-",
	    "a..b",
	    ".a",
	    "a.",
	    "a_b",
	    "1.2.3",
	    "123",
	    "a.123",
	    "a b",
	    "a:80",
	    "[::1]",
	    "1.2.3.4",
	    "a.b-.c",
	    "a.-b.c",
	    "exa\xc3\xa9mple",
	    "a/b",
	    "*.a",
	    "a.b.c.4",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_FALSE(is_host_name(bad[i]));

	/* Labels of 63 bytes pass, 64 do not; names of 253 bytes pass, 254 not. */
	char label[65];
	memset(label, 'a', 64);
	label[64] = '\0';
	CU_ASSERT_FALSE(is_host_name(label));
	label[63] = '\0';
	CU_ASSERT_TRUE(is_host_name(label));
	GString *name = g_string_new(NULL);
	while (name->len < GNUT_ADDR_MAX_NAME)
		g_string_append(name, "abcdefghi.");
	g_string_truncate(name, GNUT_ADDR_MAX_NAME);
	if (name->str[name->len - 1] == '.')
		name->str[name->len - 1] = 'z';
	CU_ASSERT_TRUE(is_host_name(name->str));
	g_string_append_c(name, 'z');
	CU_ASSERT_FALSE(is_host_name(name->str));
	g_string_free(name, TRUE);
}

static void test_ipv4_port(void)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	const char *s = "1.2.3.4:6346";
	CU_ASSERT_EQUAL(ipv4_port_n(s, strlen(s), 0, &ip, &port), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0x01020304);
	CU_ASSERT_EQUAL(port, 6346);
	s = "255.255.255.255:65535";
	CU_ASSERT_EQUAL(ipv4_port_n(s, strlen(s), 0, &ip, &port), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0xffffffff);
	CU_ASSERT_EQUAL(port, 65535);
	/* a bare address takes the default, if there is one */
	CU_ASSERT_EQUAL(ipv4_port_n("5.6.7.8", 7, 6346, &ip, &port), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(ip, 0x05060708);
	CU_ASSERT_EQUAL(port, 6346);
	ip = 1;
	port = 1;
	CU_ASSERT_EQUAL(ipv4_port_n("5.6.7.8", 7, 0, &ip, &port), GNUT_PROTO_ERR_MALFORMED);
	static const char *const bad[] = {
	    "1.2.3.4:",    "1.2.3.4:0",     "1.2.3.4:65536", ":6346",          "1.2.3.4:6346:1",
	    "[1.2.3.4]:1", "1.2.3.4 :1",    "1.2.3.4: 1",    "1.2.3:1",        "01.2.3.4:1",
	    "1.2.3.4:+1",  "1.2.3.4:0x10",  "1.2.3.4:06346", "host.example:1", "",
	    "1.2.3.4;1",   "1.2.3.4:6346 ",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_EQUAL(ipv4_port_n(bad[i], strlen(bad[i]), 6346, &ip, &port),
		                GNUT_PROTO_ERR_MALFORMED);
		CU_ASSERT_EQUAL(ip, 1); /* untouched on error */
		CU_ASSERT_EQUAL(port, 1);
	}
}

static void test_host_port_kinds(void)
{
	gnut_addr_host_port hp;
	char host[64];
	CU_ASSERT_EQUAL(host_port("1.2.3.4:6346", 0, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.kind, GNUT_ADDR_HOST_IPV4);
	CU_ASSERT_EQUAL(hp.ipv4, 0x01020304);
	CU_ASSERT_STRING_EQUAL(host, "1.2.3.4");
	CU_ASSERT_EQUAL(hp.port, 6346);

	static const uint8_t one[16] = {[15] = 1};
	CU_ASSERT_EQUAL(host_port("[::1]:80", 0, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.kind, GNUT_ADDR_HOST_IPV6);
	CU_ASSERT_EQUAL(memcmp(hp.ipv6, one, 16), 0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(hp.port, 80);

	CU_ASSERT_EQUAL(host_port("Uhc.Example.org:19104", 0, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.kind, GNUT_ADDR_HOST_NAME);
	CU_ASSERT_STRING_EQUAL(host, "Uhc.Example.org");
	CU_ASSERT_EQUAL(hp.port, 19104);

	/* default ports */
	CU_ASSERT_EQUAL(host_port("example.org", 6346, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.port, 6346);
	CU_ASSERT_EQUAL(host_port("[::ffff:1.2.3.4]", 6346, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(host, "::ffff:1.2.3.4");
	CU_ASSERT_EQUAL(hp.port, 6346);
	CU_ASSERT_EQUAL(host_port("9.9.9.9", 1, &hp, host), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.port, 1);
	CU_ASSERT_EQUAL(host_port("example.org", 0, &hp, host), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(host_port("[::1]", 0, &hp, host), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(host_port("1.2.3.4", 0, &hp, host), GNUT_PROTO_ERR_MALFORMED);
}

static void test_host_port_rejects(void)
{
	static const char *const bad[] = {
	    "",
	    ":6346",
	    "::1:6346",
	    "[::1:80",
	    "[::1]x",
	    "[::1]:",
	    "[::1]:0",
	    "[]:1",
	    "[1.2.3.4]:1",
	    "[example.org]:1",
	    "[[::1]]:1",
	    "1.2.3:5",
	    "1.2.3.4.5:6",
	    "256.1.1.1:1",
	    "host.example:0",
	    "host.example:65536",
	    "a:b:1",
	    "a:1:1",
	    "1.2.3.4 :7",
	    " 1.2.3.4:7",
	    "1.2.3.4:7 ",
	    "host_name:1",
	    "-host:1",
	    "host.:1",
	    "fe80::1%eth0:1",
	    "[fe80::1%eth0]:1",
	};
	gnut_addr_host_port hp = {.port = 99};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		CU_ASSERT_EQUAL(host_port(bad[i], 6346, &hp, NULL), GNUT_PROTO_ERR_MALFORMED);
		CU_ASSERT_EQUAL(hp.port, 99); /* untouched on error */
	}
}

/* The longest name passes with the longest port; one byte more is
 * TOO_LARGE, whether in the name or anywhere. */
static void test_host_port_caps(void)
{
	GString *s = g_string_new(NULL);
	while (s->len < GNUT_ADDR_MAX_NAME)
		g_string_append(s, "abcdefghijk.");
	g_string_truncate(s, GNUT_ADDR_MAX_NAME);
	s->str[s->len - 1] = 'z';
	g_string_append(s, ":65535");
	CU_ASSERT_EQUAL(s->len, GNUT_ADDR_MAX_HOST_PORT);
	gnut_addr_host_port hp;
	CU_ASSERT_EQUAL(host_port(s->str, 0, &hp, NULL), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(hp.host_len, GNUT_ADDR_MAX_NAME);
	CU_ASSERT_EQUAL(hp.port, 65535);
	g_string_insert_c(s, 0, 'y');
	CU_ASSERT_EQUAL(host_port(s->str, 0, &hp, NULL), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_truncate(s, GNUT_ADDR_MAX_NAME + 1);
	g_string_append(s, ":1"); /* a 254-byte name in a short enough text */
	CU_ASSERT_EQUAL(host_port(s->str, 0, &hp, NULL), GNUT_PROTO_ERR_TOO_LARGE);
	g_string_free(s, TRUE);
	CU_ASSERT_EQUAL(gnut_addr_parse_host_port(NULL, 0, 6346, &hp), GNUT_PROTO_ERR_MALFORMED);
}

/* Every prefix of a text whose port must be given (default 0) fails until
 * the first digit of the port is there, then parses; no cut reads past. */
static void test_truncation_every_offset(void)
{
	static const char *const texts[] = {
	    "255.255.255.255:65535",
	    "[2001:db8::1]:6346",
	    "uhc.example.org:19104",
	    "[::ffff:1.2.3.4]:9",
	    "a:1",
	    "10.0.0.1:6346",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		size_t len = strlen(texts[i]);
		size_t first_ok = (size_t)(strrchr(texts[i], ':') - texts[i]) + 2;
		size_t wrong = 0;
		for (size_t cut = 0; cut <= len; cut++) {
			gnut_addr_host_port hp;
			bool ok = host_port_n(texts[i], cut, 0, &hp, NULL) == GNUT_PROTO_OK;
			wrong += ok != (cut >= first_ok);
			uint32_t ip;
			uint16_t port;
			/* what ipv4_port takes, host_port takes as the same IPv4 */
			if (ipv4_port_n(texts[i], cut, 0, &ip, &port) == GNUT_PROTO_OK)
				wrong += !ok || hp.kind != GNUT_ADDR_HOST_IPV4 || ip != hp.ipv4 ||
				         port != hp.port;
			uint8_t v6[16];
			ipv6_n(texts[i], cut, v6);
			ipv4_n(texts[i], cut, &ip);
		}
		CU_ASSERT_EQUAL(wrong, 0);
	}
}

static void test_format(void)
{
	char a[GNUT_ADDR_IPV4_LEN];
	CU_ASSERT_EQUAL(gnut_addr_format_ipv4(0, a), 7);
	CU_ASSERT_STRING_EQUAL(a, "0.0.0.0");
	CU_ASSERT_EQUAL(gnut_addr_format_ipv4(0xffffffff, a), 15);
	CU_ASSERT_STRING_EQUAL(a, "255.255.255.255");
	CU_ASSERT_EQUAL(gnut_addr_format_ipv4(IP(10, 0, 20, 3), a), 9);
	CU_ASSERT_STRING_EQUAL(a, "10.0.20.3");
	char b[GNUT_ADDR_IPV4_PORT_LEN];
	CU_ASSERT_EQUAL(gnut_addr_format_ipv4_port(0xffffffff, 65535, b), 21);
	CU_ASSERT_STRING_EQUAL(b, "255.255.255.255:65535");
	CU_ASSERT_EQUAL(gnut_addr_format_ipv4_port(0x01020304, 1, b), 9);
	CU_ASSERT_STRING_EQUAL(b, "1.2.3.4:1");

	/* Round trips over a spread of addresses and ports. */
	uint32_t x = 12345;
	size_t wrong = 0;
	for (int i = 0; i < 20000; i++) {
		x = x * 1664525u + 1013904223u;
		uint16_t port = (uint16_t)((x >> 7) | 1);
		size_t n = gnut_addr_format_ipv4_port(x, port, b);
		uint32_t ip;
		uint16_t p;
		wrong += n != strlen(b) ||
		         gnut_addr_parse_ipv4_port(b, n, 0, &ip, &p) != GNUT_PROTO_OK || ip != x ||
		         p != port;
	}
	CU_ASSERT_EQUAL(wrong, 0);

	GString *s = g_string_new(NULL);
	gnut_addr_append_host_port(s, "::1", 6346);
	g_string_append_c(s, ' ');
	gnut_addr_append_host_port(s, "example.org", 80);
	g_string_append_c(s, ' ');
	gnut_addr_append_host_port(s, "1.2.3.4", 65535);
	CU_ASSERT_STRING_EQUAL(s->str, "[::1]:6346 example.org:80 1.2.3.4:65535");
	g_string_free(s, TRUE);
}

static void test_classes(void)
{
	static const struct {
		uint32_t ip;
		gnut_addr_ipv4_class cls;
	} v[] = {
	    {IP(0, 0, 0, 0), GNUT_ADDR_IPV4_UNSPECIFIED},
	    {IP(0, 255, 255, 255), GNUT_ADDR_IPV4_UNSPECIFIED},
	    {IP(1, 0, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(9, 255, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(10, 0, 0, 0), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(10, 255, 255, 255), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(11, 0, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(100, 63, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(100, 64, 0, 0), GNUT_ADDR_IPV4_SHARED},
	    {IP(100, 127, 255, 255), GNUT_ADDR_IPV4_SHARED},
	    {IP(100, 128, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(126, 255, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(127, 0, 0, 0), GNUT_ADDR_IPV4_LOOPBACK},
	    {IP(127, 255, 255, 255), GNUT_ADDR_IPV4_LOOPBACK},
	    {IP(128, 0, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(169, 253, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(169, 254, 0, 0), GNUT_ADDR_IPV4_LINK_LOCAL},
	    {IP(169, 254, 255, 255), GNUT_ADDR_IPV4_LINK_LOCAL},
	    {IP(169, 255, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(172, 15, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(172, 16, 0, 0), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(172, 31, 255, 255), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(172, 32, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(191, 255, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(192, 0, 0, 0), GNUT_ADDR_IPV4_PROTOCOL},
	    {IP(192, 0, 0, 255), GNUT_ADDR_IPV4_PROTOCOL},
	    {IP(192, 0, 1, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(192, 0, 2, 0), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(192, 0, 2, 255), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(192, 0, 3, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(192, 167, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(192, 168, 0, 0), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(192, 168, 255, 255), GNUT_ADDR_IPV4_PRIVATE},
	    {IP(192, 169, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(198, 17, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(198, 18, 0, 0), GNUT_ADDR_IPV4_BENCHMARK},
	    {IP(198, 19, 255, 255), GNUT_ADDR_IPV4_BENCHMARK},
	    {IP(198, 20, 0, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(198, 51, 99, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(198, 51, 100, 0), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(198, 51, 100, 255), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(198, 51, 101, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(203, 0, 112, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(203, 0, 113, 0), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(203, 0, 113, 255), GNUT_ADDR_IPV4_DOCUMENTATION},
	    {IP(203, 0, 114, 0), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(223, 255, 255, 255), GNUT_ADDR_IPV4_PUBLIC},
	    {IP(224, 0, 0, 0), GNUT_ADDR_IPV4_MULTICAST},
	    {IP(239, 255, 255, 255), GNUT_ADDR_IPV4_MULTICAST},
	    {IP(240, 0, 0, 0), GNUT_ADDR_IPV4_RESERVED},
	    {IP(255, 255, 255, 254), GNUT_ADDR_IPV4_RESERVED},
	    {IP(255, 255, 255, 255), GNUT_ADDR_IPV4_BROADCAST},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		gnut_addr_ipv4_class c = gnut_addr_ipv4_classify(v[i].ip);
		CU_ASSERT_EQUAL(c, v[i].cls);
		bool local = c == GNUT_ADDR_IPV4_LOOPBACK || c == GNUT_ADDR_IPV4_PRIVATE ||
		             c == GNUT_ADDR_IPV4_SHARED || c == GNUT_ADDR_IPV4_LINK_LOCAL;
		CU_ASSERT_EQUAL(gnut_addr_ipv4_is_local(v[i].ip), local);
		CU_ASSERT_EQUAL(gnut_addr_ipv4_is_bogus(v[i].ip),
		                !local && c != GNUT_ADDR_IPV4_PUBLIC);
	}
	/* every class has its own name */
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	for (int c = GNUT_ADDR_IPV4_PUBLIC; c <= GNUT_ADDR_IPV4_BROADCAST; c++)
		g_hash_table_add(names,
		                 (gpointer)gnut_addr_ipv4_class_name((gnut_addr_ipv4_class)c));
	CU_ASSERT_EQUAL(g_hash_table_size(names), GNUT_ADDR_IPV4_BROADCAST + 1);
	CU_ASSERT_FALSE(g_hash_table_contains(names, "?"));
	g_hash_table_unref(names);
	CU_ASSERT_STRING_EQUAL(gnut_addr_ipv4_class_name(GNUT_ADDR_IPV4_SHARED), "shared");
	CU_ASSERT_STRING_EQUAL(gnut_addr_ipv4_class_name((gnut_addr_ipv4_class)99), "?");
}

static CU_TestInfo tests[] = {
    {"IPv4: known literals", test_ipv4_known},
    {"IPv4: rejects", test_ipv4_rejects},
    {"IPv4: every prefix as inet_pton reads it", test_ipv4_like_inet_pton},
    {"IPv6: known literals and rejects", test_ipv6},
    {"IPv6: every prefix as inet_pton reads it", test_ipv6_like_inet_pton},
    {"ports", test_ports},
    {"host names", test_host_names},
    {"a.b.c.d:port", test_ipv4_port},
    {"host:port kinds and default ports", test_host_port_kinds},
    {"host:port rejects", test_host_port_rejects},
    {"host:port caps", test_host_port_caps},
    {"truncation at every offset", test_truncation_every_offset},
    {"formats and round trips", test_format},
    {"IPv4 classes", test_classes},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("address", tests)
