/* test-outq.c: the output queue's send order, partial writes, drop policy
 * under its byte cap, shared buffers and counters, without any socket. */
#include "gnut/net/outq.h"
#include "unit.h"

#include <string.h>

/* A message of len bytes, all equal to tag, so peeks can be checked. */
static GBytes *msg_of(gsize len, guint8 tag)
{
	guint8 *data = g_malloc(len);
	memset(data, tag, len);
	return g_bytes_new_take(data, len);
}

static void push_new(gnut_outq *q, gsize len, guint8 tag, gnut_prio prio, gboolean expect)
{
	GBytes *m = msg_of(len, tag);
	CU_ASSERT_EQUAL(gnut_outq_push(q, m, prio), expect);
	g_bytes_unref(m);
}

/* Tags of the messages in send order, as peek reports them. */
static GString *send_order(const gnut_outq *q)
{
	GOutputVector vec[64];
	guint n = gnut_outq_peek(q, vec, G_N_ELEMENTS(vec));
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < n; i++)
		g_string_append_c(s, (char)((const guint8 *)vec[i].buffer)[0]);
	return s;
}

static void assert_order(const gnut_outq *q, const char *expect)
{
	GString *s = send_order(q);
	CU_ASSERT_STRING_EQUAL(s->str, expect);
	g_string_free(s, TRUE);
}

static void test_priority_then_fifo(void)
{
	gnut_outq *q = gnut_outq_new(1000);
	push_new(q, 10, 'q', GNUT_PRIO_QUERY, TRUE);
	push_new(q, 10, 'h', GNUT_PRIO_HIT, TRUE);
	push_new(q, 10, 'Q', GNUT_PRIO_QUERY, TRUE);
	push_new(q, 10, 'c', GNUT_PRIO_CONTROL, TRUE);
	push_new(q, 10, 'b', GNUT_PRIO_BULK, TRUE);
	push_new(q, 10, 'p', GNUT_PRIO_PONG, TRUE);
	push_new(q, 10, 'i', GNUT_PRIO_PING, TRUE);
	assert_order(q, "cpihqQb");
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 70);
	CU_ASSERT_EQUAL(gnut_outq_length(q), 7);
	CU_ASSERT_FALSE(gnut_outq_is_empty(q));
	gnut_outq_consume(q, 70);
	CU_ASSERT_TRUE(gnut_outq_is_empty(q));
	CU_ASSERT_EQUAL(gnut_outq_length(q), 0);
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->sent_msgs, 7);
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->queued_msgs, 7);
	gnut_outq_free(q);
}

static void test_partial_write_keeps_head(void)
{
	gnut_outq *q = gnut_outq_new(1000);
	push_new(q, 100, 'q', GNUT_PRIO_QUERY, TRUE);
	gnut_outq_consume(q, 30);
	/* A control message arriving now waits for the query's last 70 bytes. */
	push_new(q, 5, 'c', GNUT_PRIO_CONTROL, TRUE);
	GOutputVector vec[4];
	CU_ASSERT_EQUAL(gnut_outq_peek(q, vec, 4), 2);
	CU_ASSERT_EQUAL(vec[0].size, 70);
	CU_ASSERT_EQUAL(((const guint8 *)vec[0].buffer)[0], 'q');
	CU_ASSERT_EQUAL(vec[1].size, 5);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 75);
	/* Consuming across a message boundary. */
	gnut_outq_consume(q, 72);
	CU_ASSERT_EQUAL(gnut_outq_peek(q, vec, 4), 1);
	CU_ASSERT_EQUAL(vec[0].size, 3);
	CU_ASSERT_EQUAL(((const guint8 *)vec[0].buffer)[0], 'c');
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->sent_msgs, 1);
	gnut_outq_consume(q, 3);
	CU_ASSERT_EQUAL(gnut_outq_peek(q, vec, 4), 0);
	gnut_outq_free(q);
}

static void test_drops_lowest_priority_newest_first(void)
{
	gnut_outq *q = gnut_outq_new(100);
	push_new(q, 20, 'b', GNUT_PRIO_BULK, TRUE);
	push_new(q, 20, 'B', GNUT_PRIO_BULK, TRUE);
	push_new(q, 20, 'q', GNUT_PRIO_QUERY, TRUE);
	push_new(q, 20, 'h', GNUT_PRIO_HIT, TRUE);
	push_new(q, 20, 'H', GNUT_PRIO_HIT, TRUE);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 100);
	/* 30 bytes of pong: both bulk messages go, newest ('B') first. */
	push_new(q, 30, 'p', GNUT_PRIO_PONG, TRUE);
	assert_order(q, "phHq");
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 90);
	const gnut_outq_stats *st = gnut_outq_get_stats(q);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_BULK], 2);
	CU_ASSERT_EQUAL(st->dropped_bytes[GNUT_PRIO_BULK], 40);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_QUERY], 0);
	/* 20 more of control: only the query has to go. */
	push_new(q, 20, 'c', GNUT_PRIO_CONTROL, TRUE);
	assert_order(q, "cphH");
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_QUERY], 1);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 90);
	gnut_outq_free(q);
}

static void test_refuses_without_evicting_in_vain(void)
{
	gnut_outq *q = gnut_outq_new(100);
	push_new(q, 40, 'q', GNUT_PRIO_QUERY, TRUE);
	push_new(q, 50, 'h', GNUT_PRIO_HIT, TRUE);
	/* A query of 20 may not push out anything of its own priority. */
	push_new(q, 20, 'Q', GNUT_PRIO_QUERY, FALSE);
	/* A hit of 60 could only fit by dropping the other hit: refused, and
	 * the query below it is kept since dropping it alone would not do. */
	push_new(q, 60, 'H', GNUT_PRIO_HIT, FALSE);
	assert_order(q, "hq");
	const gnut_outq_stats *st = gnut_outq_get_stats(q);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_QUERY], 1);
	CU_ASSERT_EQUAL(st->dropped_bytes[GNUT_PRIO_QUERY], 20);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_HIT], 1);
	/* Larger than the whole cap: always refused. */
	push_new(q, 101, 'c', GNUT_PRIO_CONTROL, FALSE);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_CONTROL], 1);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 90);
	gnut_outq_free(q);
}

static void test_head_is_never_dropped(void)
{
	gnut_outq *q = gnut_outq_new(100);
	push_new(q, 60, 'b', GNUT_PRIO_BULK, TRUE);
	gnut_outq_consume(q, 1); /* 59 bytes of it are still to go */
	push_new(q, 30, 'B', GNUT_PRIO_BULK, TRUE);
	/* 50 bytes of control: the queued bulk goes, the head cannot, and
	 * 59 + 50 > 100, so the control message is refused without evicting. */
	push_new(q, 50, 'c', GNUT_PRIO_CONTROL, FALSE);
	assert_order(q, "bB");
	/* 41 fits once 'B' is evicted. */
	push_new(q, 41, 'c', GNUT_PRIO_CONTROL, TRUE);
	assert_order(q, "bc");
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 100);
	GOutputVector vec[2];
	gnut_outq_peek(q, vec, 2);
	CU_ASSERT_EQUAL(vec[0].size, 59);
	gnut_outq_free(q);
}

static void test_shared_buffer_not_copied(void)
{
	gnut_outq *a = gnut_outq_new(100);
	gnut_outq *b = gnut_outq_new(100);
	GBytes *bcast = msg_of(23, 'x');
	CU_ASSERT_TRUE(gnut_outq_push(a, bcast, GNUT_PRIO_QUERY));
	CU_ASSERT_TRUE(gnut_outq_push(b, bcast, GNUT_PRIO_QUERY));
	GOutputVector va, vb;
	gnut_outq_peek(a, &va, 1);
	gnut_outq_peek(b, &vb, 1);
	CU_ASSERT_PTR_EQUAL(va.buffer, g_bytes_get_data(bcast, NULL));
	CU_ASSERT_PTR_EQUAL(vb.buffer, va.buffer);
	/* The queues hold their own references: the caller's can go. */
	g_bytes_unref(bcast);
	gnut_outq_consume(a, 23);
	gnut_outq_peek(b, &vb, 1);
	CU_ASSERT_EQUAL(((const guint8 *)vb.buffer)[22], 'x');
	gnut_outq_free(a);
	gnut_outq_free(b);
}

static void test_peek_limits_and_clear(void)
{
	gnut_outq *q = gnut_outq_new(1000);
	for (int i = 0; i < 10; i++)
		push_new(q, 7, (guint8)('a' + i), GNUT_PRIO_HIT, TRUE);
	GOutputVector vec[3];
	CU_ASSERT_EQUAL(gnut_outq_peek(q, vec, 3), 3);
	CU_ASSERT_EQUAL(((const guint8 *)vec[2].buffer)[0], 'c');
	gnut_outq_consume(q, 10); /* 'a' done, 3 bytes of 'b' */
	CU_ASSERT_EQUAL(gnut_outq_length(q), 9);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 60);
	gnut_outq_clear(q);
	CU_ASSERT_TRUE(gnut_outq_is_empty(q));
	CU_ASSERT_EQUAL(gnut_outq_length(q), 0);
	CU_ASSERT_EQUAL(gnut_outq_peek(q, vec, 3), 0);
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->dropped_msgs[GNUT_PRIO_HIT], 0);
	/* The queue still works after a clear. */
	push_new(q, 5, 'z', GNUT_PRIO_BULK, TRUE);
	assert_order(q, "z");
	gnut_outq_free(q);
}

static void test_empty_message_and_cap_change(void)
{
	gnut_outq *q = gnut_outq_new(50);
	GBytes *empty = g_bytes_new(NULL, 0);
	CU_ASSERT_TRUE(gnut_outq_push(q, empty, GNUT_PRIO_QUERY));
	g_bytes_unref(empty);
	CU_ASSERT_TRUE(gnut_outq_is_empty(q));
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->sent_msgs, 1);
	push_new(q, 50, 'q', GNUT_PRIO_QUERY, TRUE);
	push_new(q, 1, 'Q', GNUT_PRIO_QUERY, FALSE);
	gnut_outq_set_cap(q, 60);
	CU_ASSERT_EQUAL(gnut_outq_get_cap(q), 60);
	push_new(q, 10, 'Q', GNUT_PRIO_QUERY, TRUE);
	/* Lowering the cap keeps what is queued until the next push, which
	 * has to make room under the new cap. */
	gnut_outq_set_cap(q, 20);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 60);
	push_new(q, 1, 'q', GNUT_PRIO_QUERY, FALSE);
	push_new(q, 1, 'c', GNUT_PRIO_CONTROL, TRUE);
	CU_ASSERT_EQUAL(gnut_outq_bytes(q), 1);
	CU_ASSERT_EQUAL(gnut_outq_get_stats(q)->dropped_msgs[GNUT_PRIO_QUERY], 4);
	CU_ASSERT_STRING_EQUAL(gnut_prio_name(GNUT_PRIO_CONTROL), "control");
	CU_ASSERT_STRING_EQUAL(gnut_prio_name(GNUT_PRIO_BULK), "bulk");
	gnut_outq_free(q);
}

/* A slow link: the queue never holds more than its cap whatever is pushed,
 * and the drops fall on low priorities while control always gets through. */
static void test_bounded_under_pressure(void)
{
	gnut_outq *q = gnut_outq_new(4096);
	guint control_refused = 0;
	for (int i = 0; i < 5000; i++) {
		gnut_prio prio = (gnut_prio)(i % (GNUT_PRIO_COUNT - 1));
		if (i % 50 == 0)
			prio = GNUT_PRIO_CONTROL;
		GBytes *m = msg_of(23 + (gsize)(i % 200), (guint8)prio);
		if (!gnut_outq_push(q, m, prio) && prio == GNUT_PRIO_CONTROL)
			control_refused++;
		g_bytes_unref(m);
		if (gnut_outq_bytes(q) > 4096)
			break;
		if (i % 7 == 0) /* the reader takes a little now and then */
			gnut_outq_consume(q, MIN(gnut_outq_bytes(q), 100));
	}
	CU_ASSERT_TRUE(gnut_outq_bytes(q) <= 4096);
	CU_ASSERT_EQUAL(control_refused, 0);
	const gnut_outq_stats *st = gnut_outq_get_stats(q);
	CU_ASSERT_TRUE(st->dropped_msgs[GNUT_PRIO_BULK] > 0);
	CU_ASSERT_TRUE(st->dropped_msgs[GNUT_PRIO_BULK] >= st->dropped_msgs[GNUT_PRIO_PONG]);
	CU_ASSERT_EQUAL(st->dropped_msgs[GNUT_PRIO_CONTROL], 0);
	gnut_outq_free(q);
}

static CU_TestInfo tests[] = {
    {"priority order, FIFO within", test_priority_then_fifo},
    {"partial write keeps its head", test_partial_write_keeps_head},
    {"drops lowest priority, newest first", test_drops_lowest_priority_newest_first},
    {"refuses without evicting in vain", test_refuses_without_evicting_in_vain},
    {"the head is never dropped", test_head_is_never_dropped},
    {"shared buffers are not copied", test_shared_buffer_not_copied},
    {"peek limits and clear", test_peek_limits_and_clear},
    {"empty message, cap changes", test_empty_message_and_cap_change},
    {"bounded under pressure", test_bounded_under_pressure},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("outq", tests)
