/* test-ctl-pin.c: the certificate fingerprints of the control API's TLS
 * (gnut/ctl/ctl-protocol.h): the SHA-256 as written to control.fingerprint,
 * and every form a user may type it in, refused when cut or wrong. */
#include <string.h>

#include "gnut/ctl/ctl-protocol.h"
#include "unit.h"

/* SHA-256("abc"), FIPS 180-2's first example. */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_COLONS                                                                                 \
	"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:"  \
	"00:15:AD"

static void test_fingerprint(void)
{
	char out[GNUT_CTL_PIN_LEN + 1];
	gnut_ctl_fingerprint((const guint8 *)"abc", 3, out);
	CU_ASSERT_STRING_EQUAL(out, ABC_SHA256);
}

static void test_parse_forms(void)
{
	static const char *const forms[] = {
	    ABC_SHA256,
	    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
	    ABC_COLONS,
	    "sha256:" ABC_SHA256,
	    "SHA256:" ABC_COLONS,
	    "sha256=" ABC_SHA256,
	    "SHA256=" ABC_COLONS, /* openssl x509 -fingerprint -sha256, less its "Fingerprint" */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(forms); i++) {
		char out[GNUT_CTL_PIN_LEN + 1] = "";
		CU_ASSERT_TRUE(gnut_ctl_fingerprint_parse(forms[i], out));
		CU_ASSERT_STRING_EQUAL(out, ABC_SHA256);
	}
}

/* ABC_SHA256 or ABC_COLONS with the character at i replaced by c. */
static gboolean parses_with(const char *form, gsize i, char c)
{
	g_autofree char *s = g_strdup(form);
	s[i] = c;
	char out[GNUT_CTL_PIN_LEN + 1];
	return gnut_ctl_fingerprint_parse(s, out);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
	    "",
	    "sha256:",
	    ABC_SHA256 "00",    /* too long */
	    ABC_SHA256 ":",     /* trailing colon */
	    ABC_COLONS ":",     /* trailing colon */
	    "sha1:" ABC_SHA256, /* another hash's name */
	    "md5=" ABC_COLONS,  /* another hash's name */
	    " " ABC_SHA256,     /* a space */
	};
	char out[GNUT_CTL_PIN_LEN + 1];
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_FALSE(gnut_ctl_fingerprint_parse(bad[i], out));
	CU_ASSERT_FALSE(parses_with(ABC_SHA256, 0, 'g'));  /* not hex */
	CU_ASSERT_FALSE(parses_with(ABC_SHA256, 63, ':')); /* a colon in plain hex */
	CU_ASSERT_FALSE(parses_with(ABC_COLONS, 3, ':'));  /* "BA::8": doubled colon */
	CU_ASSERT_FALSE(parses_with(ABC_COLONS, 2, '7'));  /* "BA7816:": out of step */
	CU_ASSERT_FALSE(parses_with(ABC_COLONS, 94, 'x')); /* not hex */
	/* cut at every length, both forms */
	for (gsize cut = 0; cut < strlen(ABC_SHA256); cut++) {
		g_autofree char *s = g_strndup(ABC_SHA256, cut);
		CU_ASSERT_FALSE(gnut_ctl_fingerprint_parse(s, out));
	}
	for (gsize cut = 0; cut < strlen(ABC_COLONS); cut++) {
		g_autofree char *s = g_strndup(ABC_COLONS, cut);
		CU_ASSERT_FALSE(gnut_ctl_fingerprint_parse(s, out));
	}
}

static CU_TestInfo tests[] = {
    {"SHA-256 of a certificate", test_fingerprint},
    {"the forms a fingerprint is written in", test_parse_forms},
    {"malformed fingerprints", test_parse_rejects},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("ctl-pin", tests)
