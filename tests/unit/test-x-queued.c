/* test-x-queued.c: the X-Queued header: the specification's and
 * gtk-gnutella's values, formatting and round trips, every truncation,
 * rejects and caps. */
#include "gnut/proto/x-queued.h"
#include "unit.h"

#include <string.h>

#define SPEC_VALUE                                                                                 \
	"position=1503; length=1840; ETA=4200; lifetime=3600; "                                    \
	"ID=6a074979f3201edbf323b6425fef4a53"

/* Parses the first n bytes of s from a heap copy of exactly n bytes, so
 * ASan reports any read past the end. */
static gnut_proto_err parse_n(const char *s, size_t n, gnut_x_queued *out)
{
	char *copy = g_memdup2(s, n);
	gnut_proto_err e = gnut_x_queued_parse(copy, n, out);
	g_free(copy);
	return e;
}

static gnut_proto_err parse_str(const char *s, gnut_x_queued *out)
{
	return parse_n(s, strlen(s), out);
}

static void test_spec_value(void)
{
	gnut_x_queued q;
	CU_ASSERT_EQUAL(parse_str(SPEC_VALUE, &q), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(q.has_position && q.has_length && q.has_eta && q.has_lifetime);
	CU_ASSERT_EQUAL(q.position, 1503);
	CU_ASSERT_EQUAL(q.length, 1840);
	CU_ASSERT_EQUAL(q.eta_s, 4200);
	CU_ASSERT_EQUAL(q.lifetime_s, 3600);
	CU_ASSERT_STRING_EQUAL(q.id, "6a074979f3201edbf323b6425fef4a53");
}

/* What gtk-gnutella 1.2.3 sends (interop/http.txt): the ID alone on a 206,
 * position and ID on its next request. */
static void test_gtkg_values(void)
{
	gnut_x_queued q;
	CU_ASSERT_EQUAL(parse_str("ID=38bc6a9cbb233137db2b22d7e64345b3", &q), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(q.has_position || q.has_length || q.has_eta || q.has_lifetime);
	CU_ASSERT_STRING_EQUAL(q.id, "38bc6a9cbb233137db2b22d7e64345b3");
	CU_ASSERT_EQUAL(parse_str("position=0; ID=38bc6a9cbb233137db2b22d7e64345b3", &q),
	                GNUT_PROTO_OK);
	CU_ASSERT_TRUE(q.has_position);
	CU_ASSERT_EQUAL(q.position, 0);
}

static void test_case_spaces_unknown(void)
{
	gnut_x_queued q;
	CU_ASSERT_EQUAL(parse_str(" Position = 14 ;LENGTH=4300;\teta=21;id=Ab9;later=x y;;", &q),
	                GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.position, 14);
	CU_ASSERT_EQUAL(q.length, 4300);
	CU_ASSERT_EQUAL(q.eta_s, 21);
	CU_ASSERT_FALSE(q.has_lifetime);
	CU_ASSERT_STRING_EQUAL(q.id, "Ab9");
	CU_ASSERT_EQUAL(parse_str("", &q), GNUT_PROTO_OK);
	CU_ASSERT_FALSE(q.has_position);
	CU_ASSERT_STRING_EQUAL(q.id, "");
}

static void test_format_round_trip(void)
{
	gnut_x_queued q = {.has_position = true,
	                   .position = 2,
	                   .has_length = true,
	                   .length = 3,
	                   .has_eta = true,
	                   .eta_s = 40,
	                   .has_lifetime = true,
	                   .lifetime_s = 90};
	strcpy(q.id, "00112233445566778899aabbccddeeff");
	g_autoptr(GString) s = g_string_new(NULL);
	gnut_x_queued_format(s, &q);
	CU_ASSERT_STRING_EQUAL(s->str, "position=2; length=3; ETA=40; lifetime=90; "
	                               "ID=00112233445566778899aabbccddeeff");
	gnut_x_queued back;
	CU_ASSERT_EQUAL(parse_str(s->str, &back), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(memcmp(&back, &q, sizeof q), 0);
	gnut_x_queued partial = {.has_position = true, .position = 7};
	strcpy(partial.id, "ab");
	g_string_truncate(s, 0);
	gnut_x_queued_format(s, &partial);
	CU_ASSERT_STRING_EQUAL(s->str, "position=7; ID=ab");
}

/* Every cut of the specification's value parses or is refused, never
 * reads past the end; a cut inside a number or the ID gives the prefix. */
static void test_every_truncation(void)
{
	size_t n = strlen(SPEC_VALUE);
	for (size_t cut = 0; cut <= n; cut++) {
		gnut_x_queued q;
		memset(&q, 0x5a, sizeof q);
		gnut_proto_err e = parse_n(SPEC_VALUE, cut, &q);
		CU_ASSERT_TRUE(e == GNUT_PROTO_OK || e == GNUT_PROTO_ERR_MALFORMED);
		if (e == GNUT_PROTO_OK && q.has_position)
			CU_ASSERT_TRUE(q.position <= 1503);
		if (e == GNUT_PROTO_OK && q.id[0] != '\0')
			CU_ASSERT_EQUAL(
			    strncmp(q.id, "6a074979f3201edbf323b6425fef4a53", strlen(q.id)), 0);
	}
	gnut_x_queued q;
	CU_ASSERT_EQUAL(parse_n(SPEC_VALUE, strlen("position=15"), &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.position, 15);
	CU_ASSERT_EQUAL(parse_n(SPEC_VALUE, strlen("posi"), &q), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(parse_n(SPEC_VALUE, strlen("position="), &q), GNUT_PROTO_ERR_MALFORMED);
}

static void test_rejects(void)
{
	gnut_x_queued q = {.position = 99};
	const char *malformed[] = {
	    "position",   "position=x", "position=-1", "position=1;position=2",
	    "ID=a;ID=b",  "ID=",        "ID=ab-cd",    "=5",
	    "length=1 2", "ETA=0x10",   "lifetime=+3", "ID=a\r\nX-Evil: 1",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(malformed); i++)
		CU_ASSERT_EQUAL(parse_str(malformed[i], &q), GNUT_PROTO_ERR_MALFORMED);
	CU_ASSERT_EQUAL(q.position, 99); /* errors leave *out alone */
	CU_ASSERT_EQUAL(gnut_x_queued_parse(NULL, 1, &q), GNUT_PROTO_ERR_MALFORMED);
}

static void test_caps(void)
{
	gnut_x_queued q;
	CU_ASSERT_EQUAL(parse_str("position=4294967295", &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(q.position, UINT32_MAX);
	CU_ASSERT_EQUAL(parse_str("position=4294967296", &q), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(parse_str("ETA=00000000001", &q), GNUT_PROTO_ERR_TOO_LARGE);
	g_autofree char *id_max = g_strnfill(GNUT_X_QUEUED_ID_MAX, 'a');
	g_autofree char *at_max = g_strconcat("ID=", id_max, NULL);
	CU_ASSERT_EQUAL(parse_str(at_max, &q), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(strlen(q.id), GNUT_X_QUEUED_ID_MAX);
	g_autofree char *over = g_strconcat(at_max, "a", NULL);
	CU_ASSERT_EQUAL(parse_str(over, &q), GNUT_PROTO_ERR_TOO_LARGE);
	g_autofree char *huge = g_strnfill(GNUT_X_QUEUED_VALUE_MAX + 1, ';');
	CU_ASSERT_EQUAL(parse_str(huge, &q), GNUT_PROTO_ERR_TOO_LARGE);
	huge[GNUT_X_QUEUED_VALUE_MAX] = '\0';
	CU_ASSERT_EQUAL(parse_str(huge, &q), GNUT_PROTO_OK);
}

static CU_TestInfo tests[] = {
    {"the specification's value", test_spec_value},
    {"gtk-gnutella's values", test_gtkg_values},
    {"case, spaces, unknown names", test_case_spaces_unknown},
    {"format and round trip", test_format_round_trip},
    {"every truncation", test_every_truncation},
    {"rejects", test_rejects},
    {"caps", test_caps},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("x-queued", tests)
