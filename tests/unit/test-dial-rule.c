/* test-dial-rule.c: which addresses a servent may dial on a peer's word,
 * for servents listening on public, wildcard, private, loopback and IPv6
 * addresses, with and without --allow-private-peers. A servent on a public
 * address cannot be started in a test (tests touch only loopback), so the
 * rule is checked here with the listen address as a parameter. */
#include <string.h>

#include "gnut/proto/address.h"
#include "gnut/proto/dial-rule.h"
#include "unit.h"

static uint32_t ip(const char *text)
{
	uint32_t v = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_addr_parse_ipv4(text, strlen(text), &v), GNUT_PROTO_OK);
	return v;
}

/* The verdict for a servent listening on listen, the option as given. */
static gnut_dial_verdict verdict(const char *listen, bool allow_private, const char *target,
                                 uint16_t port)
{
	bool local = gnut_dial_allows_local(listen, strlen(listen), allow_private);
	return gnut_dial_check_ipv4(ip(target), port, local);
}

/* Never dialed, whatever the servent listens on or the option says. */
static const char *const bogus[] = {
    "0.0.0.0",   "0.1.2.3",   "224.0.0.1",    "239.255.255.250", "240.0.0.1",  "255.255.255.255",
    "192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9",     "198.18.0.1",
};

/* Dialed only by a servent on a private network, or with the option. */
static const char *const local[] = {
    "127.0.0.1",      "127.0.0.2",   "10.1.2.3",   "172.16.0.1",
    "172.31.255.254", "192.168.1.1", "100.64.0.1", "169.254.1.1",
};

static const char *const public_hosts[] = {"1.2.3.4", "8.8.8.8", "172.32.0.1", "223.255.255.1"};

static void test_bogus_never(void)
{
	const char *listens[] = {"5.6.7.8", "0.0.0.0", "127.0.0.1", "192.168.0.2", "::"};
	for (size_t l = 0; l < G_N_ELEMENTS(listens); l++)
		for (int opt = 0; opt <= 1; opt++)
			for (size_t i = 0; i < G_N_ELEMENTS(bogus); i++)
				CU_ASSERT_EQUAL(verdict(listens[l], opt, bogus[i], 6346),
				                GNUT_DIAL_BOGUS);
	CU_ASSERT_EQUAL(verdict("127.0.0.1", true, "1.2.3.4", 0), GNUT_DIAL_NO_PORT);
	CU_ASSERT_EQUAL(verdict("127.0.0.1", true, "127.0.0.1", 0), GNUT_DIAL_NO_PORT);
}

/* Listening on a public address (or on every address), the option off:
 * local targets are refused, public ones dialed. */
static void test_public_servent(void)
{
	const char *listens[] = {"5.6.7.8", "0.0.0.0", "::", "2001:4860::8888"};
	for (size_t l = 0; l < G_N_ELEMENTS(listens); l++) {
		for (size_t i = 0; i < G_N_ELEMENTS(local); i++)
			CU_ASSERT_EQUAL(verdict(listens[l], false, local[i], 6346),
			                GNUT_DIAL_LOCAL);
		for (size_t i = 0; i < G_N_ELEMENTS(public_hosts); i++)
			CU_ASSERT_EQUAL(verdict(listens[l], false, public_hosts[i], 6346),
			                GNUT_DIAL_OK);
	}
}

/* The option lets a public servent dial local targets. */
static void test_option(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(local); i++)
		CU_ASSERT_EQUAL(verdict("5.6.7.8", true, local[i], 6346), GNUT_DIAL_OK);
	for (size_t i = 0; i < G_N_ELEMENTS(public_hosts); i++)
		CU_ASSERT_EQUAL(verdict("5.6.7.8", true, public_hosts[i], 6346), GNUT_DIAL_OK);
}

/* A servent on a private network (loopback in tests) dials local targets. */
static void test_private_servent(void)
{
	const char *listens[] = {
	    "127.0.0.1",          "10.0.0.5", "192.168.1.20", "172.20.1.1",   "100.100.0.1",
	    "169.254.9.9",        "::1",      "fe80::1",      "fd12:3456::1", "fec0::2",
	    "::ffff:192.168.1.20"};
	for (size_t l = 0; l < G_N_ELEMENTS(listens); l++) {
		CU_ASSERT_TRUE(gnut_dial_allows_local(listens[l], strlen(listens[l]), false));
		for (size_t i = 0; i < G_N_ELEMENTS(local); i++)
			CU_ASSERT_EQUAL(verdict(listens[l], false, local[i], 6346), GNUT_DIAL_OK);
	}
}

static void test_listen_text(void)
{
	const char *not_local[] = {
	    "",          "0.0.0.0",        "::",    "::ffff:8.8.8.8", "2001:db8::1",
	    "localhost", "127.0.0.1:6346", "[::1]", "ff02::1",        "127.1"};
	for (size_t i = 0; i < G_N_ELEMENTS(not_local); i++)
		CU_ASSERT_FALSE(gnut_dial_allows_local(not_local[i], strlen(not_local[i]), false));
	/* only the given span is read */
	CU_ASSERT_TRUE(gnut_dial_allows_local("127.0.0.1:6346", 9, false));
	CU_ASSERT_TRUE(gnut_dial_allows_local(NULL, 0, true));
	CU_ASSERT_STRING_EQUAL(gnut_dial_verdict_name(GNUT_DIAL_OK), "ok");
	CU_ASSERT_STRING_EQUAL(gnut_dial_verdict_name(GNUT_DIAL_LOCAL), "local address");
	CU_ASSERT_STRING_EQUAL(gnut_dial_verdict_name(GNUT_DIAL_BOGUS), "bogus address");
}

static CU_TestInfo tests[] = {
    {"bogus addresses are never dialed", test_bogus_never},
    {"a public servent dials no local address", test_public_servent},
    {"the option allows local addresses", test_option},
    {"a servent on a private network dials local addresses", test_private_servent},
    {"the listen address as text", test_listen_text},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("dial-rule", tests)
