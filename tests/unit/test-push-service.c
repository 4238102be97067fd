/* test-push-service.c: which pushes a firewalled servent answers with a
 * connect-back (gnut_push_service_admit), on a manual clock: the dial rule,
 * the cap per target IP and in all over a sliding window, the connects
 * under way, merging of repeats, and the counts of each refusal. No
 * connection is made: admit only decides (the integration test
 * test-hostile-dials dials for real, on loopback). */
#include <string.h>

#include "gnut/core/transfer/push-service.h"
#include "gnut/proto/address.h"
#include "unit.h"

#define SEC    G_USEC_PER_SEC
#define WINDOW ((gint64)GNUT_PUSH_WINDOW_S * SEC)

static uint32_t ip(const char *text)
{
	uint32_t v = 0;
	CU_ASSERT_EQUAL_FATAL(gnut_addr_parse_ipv4(text, strlen(text), &v), GNUT_PROTO_OK);
	return v;
}

/* A service with the default caps unless given, on clock. */
static gnut_push_service *service(gnut_clock *clock, gboolean allow_local, guint max_dials)
{
	gnut_push_service_config c = {
	    .clock = clock,
	    .allow_local = allow_local,
	    .max_dials = max_dials,
	};
	return gnut_push_service_new(&c);
}

static void test_address_rule(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	static const char *const never[] = {"0.0.0.0",   "224.0.0.1", "255.255.255.255",
	                                    "240.0.0.1", "239.1.2.3", "0.1.2.3"};
	gnut_push_service *pub = service(clock, FALSE, 100);
	gnut_push_service *priv = service(clock, TRUE, 100);
	for (size_t i = 0; i < G_N_ELEMENTS(never); i++) {
		CU_ASSERT_EQUAL(gnut_push_service_admit(pub, ip(never[i]), 6346, 1),
		                GNUT_PUSH_REFUSED_ADDRESS);
		CU_ASSERT_EQUAL(gnut_push_service_admit(priv, ip(never[i]), 6346, 1),
		                GNUT_PUSH_REFUSED_ADDRESS);
	}
	CU_ASSERT_EQUAL(gnut_push_service_admit(pub, ip("127.0.0.1"), 6346, 1),
	                GNUT_PUSH_REFUSED_ADDRESS);
	CU_ASSERT_EQUAL(gnut_push_service_admit(pub, ip("192.168.1.1"), 6346, 1),
	                GNUT_PUSH_REFUSED_ADDRESS);
	CU_ASSERT_EQUAL(gnut_push_service_admit(pub, ip("1.2.3.4"), 6346, 1), GNUT_PUSH_DIAL);
	CU_ASSERT_EQUAL(gnut_push_service_admit(priv, ip("127.0.0.1"), 6346, 1), GNUT_PUSH_DIAL);
	CU_ASSERT_EQUAL(gnut_push_service_admit(priv, ip("127.0.0.1"), 0, 2),
	                GNUT_PUSH_REFUSED_ADDRESS);
	gnut_push_stats st;
	gnut_push_service_get_stats(pub, &st);
	CU_ASSERT_EQUAL(st.refused_address, G_N_ELEMENTS(never) + 2);
	CU_ASSERT_EQUAL(st.dialed, 1);
	gnut_push_service_free(pub);
	gnut_push_service_free(priv);
}

/* 20 pushes to one IP within a second (each to its own port): 5 dials. */
static void test_cap_per_ip(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_push_service *p = service(clock, TRUE, 100);
	guint dials = 0;
	for (guint16 port = 1000; port < 1020; port++) {
		dials += gnut_push_service_admit(p, ip("127.0.0.2"), port, 1) == GNUT_PUSH_DIAL;
		gnut_clock_manual_advance(clock, SEC / 20);
	}
	CU_ASSERT_EQUAL(dials, GNUT_PUSH_MAX_PER_IP);
	/* another IP is not held back */
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.3"), 1000, 1), GNUT_PUSH_DIAL);
	gnut_push_stats st;
	gnut_push_service_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.refused_ip_rate, 20 - GNUT_PUSH_MAX_PER_IP);
	/* the window slides: once the first dials are 30 s old, more may go */
	gnut_clock_manual_advance(clock, WINDOW - SEC);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.2"), 2000, 1), GNUT_PUSH_DIAL);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.2"), 2001, 1),
	                GNUT_PUSH_REFUSED_IP_RATE);
	gnut_push_service_free(p);
}

/* Pushes to ever new IPs: GNUT_PUSH_MAX_TOTAL dials per window. */
static void test_cap_in_all(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_push_service *p = service(clock, TRUE, 100);
	guint dials = 0;
	for (guint32 i = 0; i < 100; i++)
		dials += gnut_push_service_admit(p, ip("10.0.0.0") + i, 6346, 1) == GNUT_PUSH_DIAL;
	CU_ASSERT_EQUAL(dials, GNUT_PUSH_MAX_TOTAL);
	gnut_push_stats st;
	gnut_push_service_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.refused_rate, 100 - GNUT_PUSH_MAX_TOTAL);
	gnut_clock_manual_advance(clock, WINDOW);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("10.1.0.0"), 6346, 1), GNUT_PUSH_DIAL);
	gnut_push_service_free(p);
}

/* Connects under way are capped too (none ends here). */
static void test_under_way(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_push_service *p = service(clock, TRUE, 3);
	for (guint32 i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("10.0.0.1") + i, 6346, 1),
		                GNUT_PUSH_DIAL);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("10.0.0.9"), 6346, 1),
	                GNUT_PUSH_REFUSED_BUSY);
	gnut_push_stats st;
	gnut_push_service_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.refused_busy, 1);
	CU_ASSERT_EQUAL(st.dialed, 3);
	gnut_push_service_free(p);
}

/* The same address, port and file while one is under way: merged, and
 * counted as such rather than against the caps. */
static void test_merge(void)
{
	g_autoptr(gnut_clock) clock = gnut_clock_manual_new(0);
	gnut_push_service *p = service(clock, TRUE, 100);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.4"), 5000, 7), GNUT_PUSH_DIAL);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.4"), 5000, 7),
		                GNUT_PUSH_MERGED);
	/* another file or port is another push */
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.4"), 5000, 8), GNUT_PUSH_DIAL);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.4"), 5001, 7), GNUT_PUSH_DIAL);
	/* still under way after the window: still merged */
	gnut_clock_manual_advance(clock, 2 * WINDOW);
	CU_ASSERT_EQUAL(gnut_push_service_admit(p, ip("127.0.0.4"), 5000, 7), GNUT_PUSH_MERGED);
	gnut_push_stats st;
	gnut_push_service_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.merged, 11);
	CU_ASSERT_EQUAL(st.dialed, 3);
	CU_ASSERT_EQUAL(st.refused_ip_rate, 0);
	gnut_push_service_free(p);
}

static void test_verdict_names(void)
{
	CU_ASSERT_STRING_EQUAL(gnut_push_verdict_name(GNUT_PUSH_DIAL), "dial");
	CU_ASSERT_STRING_EQUAL(gnut_push_verdict_name(GNUT_PUSH_REFUSED_ADDRESS),
	                       "address refused");
	CU_ASSERT_STRING_EQUAL(gnut_push_verdict_name(GNUT_PUSH_REFUSED_IP_RATE),
	                       "too many to this address");
}

static CU_TestInfo tests[] = {
    {"the dial rule", test_address_rule},
    {"at most 5 connect-backs to one IP per 30 s", test_cap_per_ip},
    {"at most 20 connect-backs per 30 s in all", test_cap_in_all},
    {"at most 8 connects under way", test_under_way},
    {"repeats are merged", test_merge},
    {"verdict names", test_verdict_names},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("push-service", tests)
