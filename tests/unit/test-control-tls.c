/* test-control-tls.c: which certificate the control API is served with
 * (daemon/control-tls.h): none and no word on loopback with TLS off, a
 * warning when a control address beyond loopback runs in the clear, the
 * servent's own certificate (made once, then the same), a certificate file
 * of the user's, and a clear error for one that cannot be read. */
#include <glib/gstdio.h>
#include <string.h>

#include "daemon/control-tls.h"
#include "gnut/net/tls.h"
#include "unit.h"

static guint clear_warnings; /* log lines saying the token travels in clear */

static GLogWriterOutput count_warnings(GLogLevelFlags level, const GLogField *fields,
                                       gsize n_fields, gpointer data)
{
	for (gsize i = 0; i < n_fields; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
		    strstr(fields[i].value, "in the clear") != NULL &&
		    (level & G_LOG_LEVEL_WARNING))
			clear_warnings++;
	return g_log_writer_default(level, fields, n_fields, data);
}

static int set_writer(void)
{
	g_log_set_writer_func(count_warnings, NULL, NULL);
	return 0;
}

static void test_off(void)
{
	gnut_options o = {.control = "127.0.0.1:6345", .control_tls = GNUT_CONTROL_TLS_OFF};
	GError *error = NULL;
	clear_warnings = 0;
	CU_ASSERT_PTR_NULL(gnut_control_tls_certificate(&o, &error));
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_EQUAL(clear_warnings, 0);
	o.control_tls = GNUT_CONTROL_TLS_AUTO; /* loopback: off */
	CU_ASSERT_PTR_NULL(gnut_control_tls_certificate(&o, &error));
	CU_ASSERT_EQUAL(clear_warnings, 0);

	/* nothing is bound here: the address is only looked at */
	o.control = "0.0.0.0:6345";
	o.control_tls = GNUT_CONTROL_TLS_OFF;
	CU_ASSERT_PTR_NULL(gnut_control_tls_certificate(&o, &error));
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_EQUAL(clear_warnings, 1);
}

static gboolean same_certificate(GTlsCertificate *a, GTlsCertificate *b)
{
	return a != NULL && b != NULL && g_tls_certificate_is_same(a, b);
}

static void test_servent_certificate(void)
{
	if (!gnut_tls_available()) {
		puts("no TLS backend: skipped");
		return;
	}
	g_autofree char *dir = gnut_unit_mkdtemp();
	gnut_options o = {
	    .data_dir = dir, .control = "0.0.0.0:6345", .control_tls = GNUT_CONTROL_TLS_AUTO};
	GError *error = NULL;
	g_autoptr(GTlsCertificate) made = gnut_control_tls_certificate(&o, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(made);
	g_autofree char *pem = g_build_filename(dir, GNUT_TLS_IDENTITY_FILE, NULL);
	CU_ASSERT_TRUE(g_file_test(pem, G_FILE_TEST_IS_REGULAR));
	o.control = "127.0.0.1:6345";
	o.control_tls = GNUT_CONTROL_TLS_ON;
	g_autoptr(GTlsCertificate) again = gnut_control_tls_certificate(&o, &error);
	CU_ASSERT_TRUE(same_certificate(made, again)); /* kept, not made anew */

	/* a file of the user's: the same PEM under another name */
	g_autofree char *mine = g_build_filename(dir, "mine.pem", NULL);
	g_autofree char *text = NULL;
	gsize len = 0;
	CU_ASSERT_TRUE_FATAL(g_file_get_contents(pem, &text, &len, NULL));
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(mine, text, (gssize)len, NULL));
	o.control_cert = mine;
	g_autoptr(GTlsCertificate) given = gnut_control_tls_certificate(&o, &error);
	CU_ASSERT_PTR_NULL(error);
	CU_ASSERT_TRUE(same_certificate(made, given));

	/* a missing file, and one that is no PEM */
	g_autofree char *missing = g_build_filename(dir, "none.pem", NULL);
	o.control_cert = missing;
	CU_ASSERT_PTR_NULL(gnut_control_tls_certificate(&o, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "control-cert: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, missing));
	g_clear_error(&error);
	CU_ASSERT_TRUE_FATAL(g_file_set_contents(mine, "not a certificate\n", -1, NULL));
	o.control_cert = mine;
	CU_ASSERT_PTR_NULL(gnut_control_tls_certificate(&o, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	gnut_unit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"off: no certificate; a warning beyond loopback", test_off},
    {"the servent's certificate, or the user's", test_servent_certificate},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("control-tls", tests, set_writer, NULL)
