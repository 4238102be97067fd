/* test-thex-serve.c: a real gnutd on loopback serving a file's Tiger tree
 * and the download mesh, seen by a downloader as gtk-gnutella's would see
 * them. The file's answer names the tree (X-Thex-URI) with the root this
 * test computes from the file itself; the tree is fetched with
 * gnut_thex_fetch_async, verified against that root, and its slices check
 * the file (and catch a corrupted copy). A downloader's X-Alt shows up in
 * the X-Alt of the next downloader's answer, an X-Nalt takes one out. */
#include "gnut/core/transfer/thex-fetch.h"
#include "gnut/proto/alt-loc.h"
#include "gnut/proto/digest.h"
#include "gnut/proto/head.h"
#include "gnut/proto/http-msg.h"
#include "gnut/proto/thex-answer.h"
#include "gnut/proto/urn.h"
#include "../unit/thex-fetch-wait.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define START_WAIT_S  60
#define REPLY_WAIT_MS 10000
#define FETCH_WAIT_MS 30000
#define FILE_NAME     "tree.bin"
#define FILE_SIZE     (3 * 1024 * 1024 + 1) /* depth 4: 13 slices of 256 KiB */
#define SCAN_DONE     "sharing 2 files"

static gnutd_fixture fx;
static guint8 *content; /* the shared file's bytes */
static char urn[GNUT_URN_SHA1_LEN + 1];
static uint8_t root[GNUT_TIGER_LEN];

static int suite_init(void)
{
	gnut_digest_init();
	gnutd_fixture_init(&fx);
	content = g_malloc(FILE_SIZE);
	for (gsize i = 0; i < FILE_SIZE; i++)
		content[i] = (guint8)(i * 31 + i / 1000);
	g_autofree char *path = g_build_filename(fx.share, FILE_NAME, NULL);
	if (!g_file_set_contents(path, (const char *)content, FILE_SIZE, NULL))
		return 1;
	uint8_t sha1[GNUT_SHA1_LEN];
	gnut_sha1_buffer(content, FILE_SIZE, sha1);
	gnut_urn_format_sha1(sha1, urn);
	gnut_tiger_tree_buffer(content, FILE_SIZE, root);
	return gnutd_fixture_start(&fx, NULL, SCAN_DONE, START_WAIT_S) ? 0 : 1;
}

static int suite_cleanup(void)
{
	g_free(content);
	return gnutd_fixture_stop_clean(&fx);
}

/* Sends one request from from and reads the answer head (HEAD requests
 * only: no body follows); NULL when none came in time. */
static gnut_head *head_request(const char *from, const char *target, const char *extra)
{
	int fd = gnutd_fixture_dial_from(&fx, from);
	if (fd < 0)
		return NULL;
	g_autofree char *req =
	    g_strdup_printf("HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n%s\r\n",
	                    target, extra != NULL ? extra : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return NULL;
	}
	GByteArray *in = g_byte_array_new();
	gnut_head *head = NULL;
	gsize head_len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		guint8 buf[4096];
		if (poll(&p, 1, REPLY_WAIT_MS) <= 0)
			break;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		g_byte_array_append(in, buf, (guint)n);
		if (gnut_head_scan(in->data, in->len, &head_len) == GNUT_PROTO_OK) {
			gnut_head_parse(in->data, head_len, &head);
			break;
		}
	}
	g_byte_array_unref(in);
	close(fd);
	return head;
}

/* A file holding content with one byte flipped at offset (or none when
 * offset is past the end); returns its descriptor. */
static int copy_with_flip(gsize offset, char **path)
{
	int fd = g_file_open_tmp("thex-copy-XXXXXX", path, NULL);
	g_autofree guint8 *copy = g_memdup2(content, FILE_SIZE);
	if (offset < FILE_SIZE)
		copy[offset] ^= 0x5a;
	if (fd >= 0 && write(fd, copy, FILE_SIZE) != FILE_SIZE) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void test_tree_fetched_and_verified(void)
{
	g_autofree char *target = g_strdup_printf("/uri-res/N2R?%s", urn);
	g_autoptr(gnut_head) answer = head_request("127.0.0.1", target, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
	const char *thex_uri = gnut_head_get(answer, "X-Thex-URI");
	CU_ASSERT_PTR_NOT_NULL_FATAL(thex_uri);
	char path[GNUT_THEX_URI_MAX + 1];
	uint8_t announced[GNUT_TIGER_LEN];
	bool has_root = false;
	CU_ASSERT_EQUAL_FATAL(gnut_thex_uri_parse(thex_uri, path, &has_root, announced),
	                      GNUT_PROTO_OK);
	CU_ASSERT_TRUE_FATAL(has_root);
	CU_ASSERT_EQUAL(memcmp(announced, root, sizeof root), 0); /* the file's own root */

	g_autoptr(GError) err = NULL;
	g_autoptr(gnut_thex_level) level = thex_fetch_wait(0x7f000001, fx.port, path, FILE_SIZE,
	                                                   root, TRUE, NULL, FETCH_WAIT_MS, &err);
	if (err != NULL)
		fprintf(stderr, "\n  fetch: %s\n", err->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(level);
	CU_ASSERT_EQUAL(level->depth, gnut_thex_good_depth(FILE_SIZE));
	CU_ASSERT_EQUAL(level->n_nodes, 13);

	/* The true file checks good whole; a copy with one byte changed in
	 * slice 5 fails that slice alone. */
	g_autoptr(gnut_thex_verifier) v = gnut_thex_verifier_new(level);
	g_autofree char *good_path = NULL, *bad_path = NULL;
	int good = copy_with_flip(FILE_SIZE, &good_path);
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v, good, 0, FILE_SIZE, NULL, NULL), 13);
	g_autoptr(gnut_thex_verifier) v2 = gnut_thex_verifier_new(level);
	int bad = copy_with_flip(5 * 262144 + 77, &bad_path);
	g_autoptr(GArray) bad_ranges = g_array_new(FALSE, FALSE, sizeof(gnut_http_range));
	CU_ASSERT_EQUAL(gnut_thex_verifier_check(v2, bad, 0, FILE_SIZE, bad_ranges, NULL), 12);
	CU_ASSERT_EQUAL_FATAL(bad_ranges->len, 1);
	CU_ASSERT_EQUAL(g_array_index(bad_ranges, gnut_http_range, 0).start, 5 * 262144);
	CU_ASSERT_EQUAL(g_array_index(bad_ranges, gnut_http_range, 0).end, 6 * 262144 - 1);
	close(good);
	close(bad);
	g_unlink(good_path);
	g_unlink(bad_path);
}

static void test_downloader_alt_reaches_next_answer(void)
{
	g_autofree char *target = g_strdup_printf("/uri-res/N2R?%s", urn);
	/* gtk-gnutella names itself in X-Alt once it holds part of the file. */
	g_autoptr(gnut_head) first =
	    head_request("127.0.0.21", target, "X-Alt: tls=8, 127.0.0.21:36502, 127.0.0.22\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	g_autoptr(gnut_head) next = head_request("127.0.0.23", target, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(next);
	const char *alt = gnut_head_get(next, "X-Alt");
	CU_ASSERT_PTR_NOT_NULL_FATAL(alt);
	gnut_alt got[GNUT_ALT_MAX];
	size_t n = 0;
	CU_ASSERT_EQUAL(gnut_alt_parse_compact(alt, true, got, &n, NULL), GNUT_PROTO_OK);
	gboolean saw_21 = FALSE, saw_22 = FALSE;
	for (size_t i = 0; i < n; i++) {
		saw_21 = saw_21 || (got[i].ip == 0x7f000015 && got[i].port == 36502 && got[i].tls);
		saw_22 = saw_22 || (got[i].ip == 0x7f000016 && got[i].port == 6346);
	}
	CU_ASSERT_TRUE(saw_21);
	CU_ASSERT_TRUE(saw_22);
	/* A downloader reports 127.0.0.22 bad: it is not handed out again. */
	g_autoptr(gnut_head) nalt = head_request("127.0.0.24", target, "X-Nalt: 127.0.0.22\r\n");
	CU_ASSERT_PTR_NOT_NULL(nalt);
	g_autoptr(gnut_head) after = head_request("127.0.0.25", target, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	alt = gnut_head_get(after, "X-Alt");
	CU_ASSERT_TRUE(alt != NULL && strstr(alt, "127.0.0.22") == NULL &&
	               strstr(alt, "127.0.0.21:36502") != NULL);
}

static CU_TestInfo tests[] = {
    {"X-Thex-URI tree fetched, verified, slices checked", test_tree_fetched_and_verified},
    {"a downloader's X-Alt reaches the next answer, X-Nalt removes",
     test_downloader_alt_reaches_next_answer},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("thex-serve", tests, suite_init, suite_cleanup)
