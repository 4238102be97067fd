/* test-udp-reflection.c: a real gnutd ultrapeer's UDP side against raw
 * datagrams on loopback. A UDP ping (with or without SCP) from an address
 * gnutd never heard of gets nothing larger than itself: a bare 23-byte ping
 * (the challenge). The pong to that challenge releases the held answer (a
 * pong with our ping's GUID, VC GNTU, UP), and from then on that address is
 * answered at once. Unanswered challenges are capped per IP: a third ping
 * gets nothing. */
#include "gnut/proto/ggep.h"
#include "gnut/proto/msg-header.h"
#include "gnut/proto/pong.h"
#include "gnut/proto/uhc.h"
#include "../unit/unit.h"
#include "gnutd-fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define START_WAIT_S  10
#define REPLY_WAIT_MS 3000
#define QUIET_WAIT_MS 700 /* to be sure nothing more comes */

static gnutd_fixture fx;

static int suite_init(void)
{
	gnutd_fixture_init(&fx);
	const char *const extra[] = {"--ultrapeer", NULL};
	return gnutd_fixture_start(&fx, extra, NULL, START_WAIT_S) ? 0 : 1;
}

static int suite_cleanup(void)
{
	return gnutd_fixture_stop_clean(&fx);
}

/* A UDP socket on 127.0.0.1, any port. */
static int udp_open(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void udp_send(int fd, const GByteArray *msg)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(sendto(fd, msg->data, msg->len, 0, (struct sockaddr *)&to, sizeof to),
	                (ssize_t)msg->len);
}

/* The next datagram within wait_ms into buf; its length, or -1. */
static ssize_t udp_recv(int fd, guint8 *buf, gsize cap, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) != 1)
		return -1;
	return recv(fd, buf, cap, 0);
}

/* A UDP ping with GGEP SCP (or empty), its GUID in *guid. */
static GByteArray *ping(gboolean scp, gnut_guid *guid)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();
	if (scp)
		gnut_uhc_ping_encode(payload);
	gnut_guid_generate(guid);
	GByteArray *msg = g_byte_array_new();
	gnut_msg_append(msg, guid, GNUT_MSG_PING, 1, 0, payload->data, payload->len);
	return msg;
}

/* Reads the challenge: a bare ping, never larger than what we sent. */
static gboolean read_challenge(int fd, gsize sent, gnut_msg_header *h)
{
	guint8 buf[4096];
	ssize_t n = udp_recv(fd, buf, sizeof buf, REPLY_WAIT_MS);
	CU_ASSERT_TRUE(n > 0 && (gsize)n <= sent);
	if (n < 0 || gnut_msg_header_decode(buf, (gsize)n, 4096, h) != GNUT_PROTO_OK)
		return FALSE;
	CU_ASSERT_EQUAL(h->type, GNUT_MSG_PING);
	CU_ASSERT_EQUAL(h->length, 0);
	CU_ASSERT_EQUAL(n, GNUT_MSG_HEADER_LEN);
	return h->type == GNUT_MSG_PING;
}

static void answer_challenge(int fd, const gnut_msg_header *challenge)
{
	gnut_pong p = {.port = 1, .ipv4 = 0x7f000001};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gnut_pong_encode(payload, &p);
	g_autoptr(GByteArray) msg = g_byte_array_new();
	gnut_msg_append(msg, &challenge->guid, GNUT_MSG_PONG, 1, 0, payload->data, payload->len);
	udp_send(fd, msg);
}

/* Reads gnutd's pong to our ping guid: its port, VC GNTU and UP. */
static void read_pong(int fd, const gnut_guid *guid)
{
	guint8 buf[4096];
	ssize_t n = udp_recv(fd, buf, sizeof buf, REPLY_WAIT_MS);
	CU_ASSERT_TRUE_FATAL(n > GNUT_MSG_HEADER_LEN);
	gnut_msg_header h;
	CU_ASSERT_EQUAL_FATAL(gnut_msg_header_decode(buf, (gsize)n, 4096, &h), GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(h.type, GNUT_MSG_PONG);
	CU_ASSERT_EQUAL(memcmp(&h.guid, guid, sizeof *guid), 0);
	gnut_pong pong;
	CU_ASSERT_EQUAL_FATAL(gnut_pong_decode(buf + GNUT_MSG_HEADER_LEN, h.length, &pong),
	                      GNUT_PROTO_OK);
	CU_ASSERT_EQUAL(pong.port, fx.port);
	gnut_ggep g;
	gsize used;
	CU_ASSERT_EQUAL_FATAL(gnut_ggep_decode(pong.ggep.data, pong.ggep.len, &g, &used),
	                      GNUT_PROTO_OK);
	const gnut_ggep_ext *vc = gnut_ggep_find(&g, "VC");
	CU_ASSERT_TRUE(vc != NULL && vc->len == 5 && memcmp(vc->data, "GNTU", 4) == 0);
	CU_ASSERT_PTR_NOT_NULL(gnut_ggep_find(&g, "UP"));
	gnut_ggep_clear(&g);
}

static void test_challenge_then_answer(void)
{
	int fd = udp_open();
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	gnut_guid guid;
	g_autoptr(GByteArray) msg = ping(TRUE, &guid);
	udp_send(fd, msg);
	gnut_msg_header challenge;
	CU_ASSERT_TRUE_FATAL(read_challenge(fd, msg->len, &challenge));
	/* nothing else until the challenge is answered */
	guint8 buf[4096];
	CU_ASSERT_EQUAL(udp_recv(fd, buf, sizeof buf, QUIET_WAIT_MS), -1);
	answer_challenge(fd, &challenge);
	read_pong(fd, &guid);
	/* verified now: a plain ping is answered at once */
	gnut_guid again;
	g_autoptr(GByteArray) plain = ping(FALSE, &again);
	udp_send(fd, plain);
	read_pong(fd, &again);
	close(fd);
}

static void test_unanswered_challenges_capped(void)
{
	int fd = udp_open();
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	guint challenges = 0;
	for (int i = 0; i < 3; i++) {
		gnut_guid guid;
		g_autoptr(GByteArray) msg = ping(i % 2 == 0, &guid);
		udp_send(fd, msg);
		guint8 buf[4096];
		ssize_t n = udp_recv(fd, buf, sizeof buf, i < 2 ? REPLY_WAIT_MS : QUIET_WAIT_MS);
		if (n > 0) {
			CU_ASSERT_EQUAL(n, GNUT_MSG_HEADER_LEN);
			challenges++;
		}
	}
	CU_ASSERT_EQUAL(challenges, 2);
	close(fd);
}

static CU_TestInfo tests[] = {
    {"a stranger is challenged, then answered", test_challenge_then_answer},
    {"unanswered challenges are capped per IP", test_unanswered_challenges_capped},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN_WITH_FIXTURE("UDP reflection", tests, suite_init, suite_cleanup)
