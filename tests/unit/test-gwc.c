/* test-gwc.c: the GWebCache codecs: URLs (accepted and refused forms), the
 * request text, a version 2 answer read line by line (every line ending,
 * caps, junk), a version 1 host list, and the HTTP split cut at every
 * offset. */
#include "gnut/proto/gwc.h"
#include "unit.h"

#include <string.h>

static void test_url_ok(void)
{
	gnut_gwc_url u;
	const char *a = "http://cache.example.org/gwc.php";
	CU_ASSERT_EQUAL(gnut_gwc_url_parse(a, strlen(a), &u), GNUT_PROTO_OK);
	CU_ASSERT_STRING_EQUAL(u.host, "cache.example.org");
	CU_ASSERT_EQUAL(u.port, 80);
	CU_ASSERT_STRING_EQUAL(u.path, "/gwc.php");
	CU_ASSERT_FALSE(u.host_is_ipv4);
	const char *b = "HTTP://127.0.0.1:8080";
	CU_ASSERT_EQUAL(gnut_gwc_url_parse(b, strlen(b), &u), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(u.host_is_ipv4);
	CU_ASSERT_EQUAL(u.ipv4, 0x7f000001);
	CU_ASSERT_EQUAL(u.port, 8080);
	CU_ASSERT_STRING_EQUAL(u.path, "/");
}

static void test_url_refused(void)
{
	static const struct {
		const char *url;
		gnut_proto_err err;
	} bad[] = {
	    {"https://cache.example.org/", GNUT_PROTO_ERR_UNSUPPORTED},
	    {"ftp://cache.example.org/", GNUT_PROTO_ERR_UNSUPPORTED},
	    {"cache.example.org/gwc.php", GNUT_PROTO_ERR_MALFORMED},
	    {"http://", GNUT_PROTO_ERR_MALFORMED},
	    {"http://cache.example.org:0/", GNUT_PROTO_ERR_MALFORMED},
	    {"http://cache.example.org/a?b=1", GNUT_PROTO_ERR_MALFORMED},
	    {"http://cache.example.org/a b", GNUT_PROTO_ERR_MALFORMED},
	    {"http://cache.example.org/a#b", GNUT_PROTO_ERR_MALFORMED},
	    {"http://[::1]:80/", GNUT_PROTO_ERR_UNSUPPORTED},
	    {"http://bad_name/", GNUT_PROTO_ERR_MALFORMED},
	};
	gnut_gwc_url u;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		CU_ASSERT_EQUAL(gnut_gwc_url_parse(bad[i].url, strlen(bad[i].url), &u), bad[i].err);
	char longer[GNUT_GWC_MAX_URL + 2];
	memset(longer, 'a', sizeof longer);
	memcpy(longer, "http://x/", 9);
	CU_ASSERT_EQUAL(gnut_gwc_url_parse(longer, sizeof longer, &u), GNUT_PROTO_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(gnut_gwc_url_parse(longer, GNUT_GWC_MAX_URL, &u), GNUT_PROTO_OK);
}

static void test_request(void)
{
	gnut_gwc_url u;
	const char *a = "http://127.0.0.1:8080/g.php";
	CU_ASSERT_EQUAL(gnut_gwc_url_parse(a, strlen(a), &u), GNUT_PROTO_OK);
	g_autofree char *req = gnut_gwc_request(&u, "get=1&net=gnutella", "gnutd/1");
	CU_ASSERT_STRING_EQUAL(req, "GET /g.php?get=1&net=gnutella HTTP/1.0\r\n"
	                            "Host: 127.0.0.1:8080\r\nUser-Agent: gnutd/1\r\n"
	                            "Connection: close\r\n\r\n");
}

static const char v2_body[] = "I|pong|TestCache 1.0|gnutella\r\n"
                              "H|1.2.3.4:6346|120\r\n"
                              "H|5.6.7.8:6347|3|extra\n"
                              "H|not-an-ip:1|3\r"
                              "U|http://other.example.org/c.php|600\n"
                              "U|https://secure.example.org/|1\n"
                              "I|update|OK\n"
                              "junk\n"
                              "\n"
                              "H|9.9.9.9:1";

static void test_v2_answer(void)
{
	gnut_gwc_reply r;
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(v2_body, strlen(v2_body), &r), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.n_hosts, 3);
	CU_ASSERT_EQUAL(r.hosts[0].ip, 0x01020304);
	CU_ASSERT_EQUAL(r.hosts[0].port, 6346);
	CU_ASSERT_EQUAL(r.hosts[1].port, 6347);
	CU_ASSERT_EQUAL(r.hosts[2].ip, 0x09090909);
	CU_ASSERT_EQUAL(r.n_urls, 1);
	CU_ASSERT_STRING_EQUAL(r.urls[0], "http://other.example.org/c.php");
	CU_ASSERT_TRUE(r.update_ok);
	CU_ASSERT_FALSE(r.refused);
	CU_ASSERT_EQUAL(r.ignored, 3); /* not-an-ip, https, junk */
	/* any prefix parses, never past what is there */
	for (size_t cut = 0; cut < strlen(v2_body); cut++)
		CU_ASSERT_EQUAL(gnut_gwc_reply_parse(v2_body, cut, &r), GNUT_PROTO_OK);
}

static void test_v1_and_errors(void)
{
	gnut_gwc_reply r;
	const char *v1 = "1.2.3.4:6346\n5.6.7.8:1\n";
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(v1, strlen(v1), &r), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.n_hosts, 2);
	const char *err = "ERROR: go away\n";
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(err, strlen(err), &r), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(r.refused);
	const char *warn = "I|update|WARNING|Rejected IP\n";
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(warn, strlen(warn), &r), GNUT_PROTO_OK);
	CU_ASSERT_TRUE(r.refused);
	CU_ASSERT_FALSE(r.update_ok);
}

static void test_caps(void)
{
	GString *body = g_string_new(NULL);
	for (int i = 0; i < GNUT_GWC_MAX_HOSTS + 5; i++)
		g_string_append_printf(body, "H|1.2.3.%d:6346|1\n", i + 1);
	for (int i = 0; i < GNUT_GWC_MAX_URLS + 2; i++)
		g_string_append_printf(body, "U|http://c%d.example.org/|1\n", i);
	gnut_gwc_reply r;
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(body->str, body->len, &r), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(r.n_hosts, GNUT_GWC_MAX_HOSTS);
	CU_ASSERT_EQUAL(r.n_urls, GNUT_GWC_MAX_URLS);
	CU_ASSERT_EQUAL(r.ignored, 7);
	g_string_free(body, TRUE);
	g_autofree char *big = g_malloc0(GNUT_GWC_MAX_RESPONSE + 1);
	CU_ASSERT_EQUAL(gnut_gwc_reply_parse(big, GNUT_GWC_MAX_RESPONSE + 1, &r),
	                GNUT_PROTO_ERR_TOO_LARGE);
}

static void test_http_split(void)
{
	const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nH|1.2.3.4:1|1\n";
	unsigned code = 0;
	size_t off = 0;
	size_t len = strlen(resp);
	CU_ASSERT_EQUAL(gnut_gwc_http_split(resp, len, &code, &off), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(code, 200);
	CU_ASSERT_STRING_EQUAL(resp + off, "H|1.2.3.4:1|1\n");
	size_t head = (size_t)(strstr(resp, "\r\n\r\n") - resp) + 4;
	for (size_t cut = 0; cut < head; cut++)
		CU_ASSERT_EQUAL(gnut_gwc_http_split(resp, cut, &code, &off),
		                GNUT_PROTO_ERR_TRUNCATED);
	const char lf[] = "HTTP/1.0 404 Not Found\n\nnothing";
	CU_ASSERT_EQUAL(gnut_gwc_http_split(lf, strlen(lf), &code, &off), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(code, 404);
	const char bad[] = "SPAM 200 OK\r\n\r\n";
	CU_ASSERT_NOT_EQUAL(gnut_gwc_http_split(bad, strlen(bad), &code, &off), GNUT_PROTO_OK);
}

static CU_TestInfo tests[] = {
    {"URLs accepted", test_url_ok},
    {"URLs refused", test_url_refused},
    {"the request", test_request},
    {"a version 2 answer", test_v2_answer},
    {"version 1 hosts and refusals", test_v1_and_errors},
    {"caps on hosts, URLs and size", test_caps},
    {"HTTP split cut at every offset", test_http_split},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("gwc", tests)
