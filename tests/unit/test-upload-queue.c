/* test-upload-queue.c: the queue behind the upload slots on a manual
 * clock: serving while slots are free, positions and Retry-After, the ID
 * kept across polls, the slot kept for the head, round-robin between
 * addresses, an address with an upload going behind, caps, lifetime
 * expiry, the early-poll penalty, passive clients. */
#include "gnut/core/transfer/upload-queue.h"
#include "unit.h"

#include <string.h>

#define SEC G_USEC_PER_SEC

typedef struct {
	gnut_clock *clock;
	gnut_upload_queue *q;
	gnut_ip_admit *uploads; /* uploads under way per address */
	guint free_slots;
} fixture;

static void fixture_init(fixture *f, guint length, guint per_ip)
{
	f->clock = gnut_clock_manual_new(1000 * SEC);
	gnut_upload_queue_config c = {.max_length = length, .per_ip = per_ip};
	f->q = gnut_upload_queue_new(f->clock, &c);
	gnut_ip_admit_config ac = {.max_entries = 64};
	f->uploads = gnut_ip_admit_new(f->clock, &ac);
	f->free_slots = 0;
}

static void fixture_clear(fixture *f)
{
	gnut_upload_queue_free(f->q);
	gnut_ip_admit_free(f->uploads);
	gnut_clock_free(f->clock);
}

static gnut_ip_key key_of(guint8 last)
{
	guint8 addr[4] = {10, 0, 0, last};
	gnut_ip_key k;
	gnut_ip_key_from_bytes(&k, addr, sizeof addr);
	return k;
}

static const uint8_t *file_sha1(guint8 n)
{
	static uint8_t files[4][20];
	memset(files[n], n + 1, sizeof files[n]);
	return files[n];
}

/* A request from 10.0.0.<host> for file n, naming id (NULL: none). */
static void ask(fixture *f, guint8 host, guint8 file, const char *id, gnut_upload_answer *out)
{
	gnut_upload_ask a = {.key = key_of(host),
	                     .sha1 = file_sha1(file),
	                     .len = 1000,
	                     .active = TRUE,
	                     .id = id,
	                     .free_slots = f->free_slots,
	                     .uploads = f->uploads,
	                     .slots_per_ip = 1,
	                     .rate = 100};
	gnut_upload_queue_ask(f->q, &a, out);
}

static void start_upload(fixture *f, guint8 host)
{
	gnut_ip_key k = key_of(host);
	CU_ASSERT_TRUE(gnut_ip_admit_hold(f->uploads, &k, 1));
}

static void end_upload(fixture *f, guint8 host)
{
	gnut_ip_key k = key_of(host);
	gnut_ip_admit_release(f->uploads, &k);
}

static guint queued(const fixture *f)
{
	gnut_upload_queue_stats st;
	gnut_upload_queue_get_stats(f->q, &st);
	return st.queued;
}

static void test_serve_while_free(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	f.free_slots = 1;
	gnut_upload_answer a;
	ask(&f, 1, 0, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_SERVE);
	CU_ASSERT_EQUAL(queued(&f), 0);
	fixture_clear(&f);
}

static void test_positions_and_retry(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_answer a, b;
	ask(&f, 1, 0, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	CU_ASSERT_EQUAL(a.position, 1);
	CU_ASSERT_EQUAL(a.length, 1);
	CU_ASSERT_EQUAL(a.retry_after_s, GNUT_UPLOAD_QUEUE_FIRST_POLL_S);
	CU_ASSERT_EQUAL(a.lifetime_s,
	                GNUT_UPLOAD_QUEUE_FIRST_POLL_S + GNUT_UPLOAD_QUEUE_LIFETIME_S);
	CU_ASSERT_EQUAL(strlen(a.id), GNUT_UPLOAD_QUEUE_ID_LEN);
	CU_ASSERT_TRUE(a.has_eta);
	CU_ASSERT_EQUAL(a.eta_s, 0);
	ask(&f, 2, 0, NULL, &b);
	CU_ASSERT_EQUAL(b.position, 2);
	CU_ASSERT_EQUAL(b.length, 2);
	CU_ASSERT_EQUAL(b.retry_after_s,
	                GNUT_UPLOAD_QUEUE_FIRST_POLL_S + GNUT_UPLOAD_QUEUE_POLL_STEP_S);
	CU_ASSERT_EQUAL(b.eta_s, 10); /* 1000 bytes ahead at 100 B/s */
	CU_ASSERT_STRING_NOT_EQUAL(a.id, b.id);
	fixture_clear(&f);
}

/* The same entry on each poll (by ID, or by address and file), and the
 * slot goes to it, not to a newcomer, when one frees. */
static void test_head_gets_the_slot(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	start_upload(&f, 9);
	gnut_upload_answer a, again, other;
	ask(&f, 1, 0, NULL, &a);
	gnut_clock_manual_advance(f.clock, (gint64)a.retry_after_s * SEC);
	ask(&f, 1, 0, a.id, &again);
	CU_ASSERT_EQUAL(again.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	CU_ASSERT_STRING_EQUAL(again.id, a.id);
	CU_ASSERT_EQUAL(queued(&f), 1);
	/* The upload ends: its slot is kept for the head. */
	end_upload(&f, 9);
	f.free_slots = 1;
	ask(&f, 2, 0, NULL, &other);
	CU_ASSERT_EQUAL(other.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	CU_ASSERT_EQUAL(other.position, 2);
	gnut_clock_manual_advance(f.clock, (gint64)again.retry_after_s * SEC);
	ask(&f, 1, 0, a.id, &again);
	CU_ASSERT_EQUAL(again.verdict, GNUT_UPLOAD_QUEUE_SERVE);
	CU_ASSERT_EQUAL(queued(&f), 1);
	/* Found by address and file when the ID is not given. */
	gnut_clock_manual_advance(f.clock, 60 * SEC);
	ask(&f, 2, 0, NULL, &again);
	CU_ASSERT_EQUAL(again.verdict, GNUT_UPLOAD_QUEUE_SERVE);
	CU_ASSERT_EQUAL(queued(&f), 0);
	fixture_clear(&f);
}

/* Round-robin: an address's second entry goes behind every address's
 * first; an address with an upload under way goes behind the others. */
static void test_fair_between_addresses(void)
{
	fixture f;
	fixture_init(&f, 0, 4);
	gnut_upload_answer a1, a2, b1, c1;
	ask(&f, 1, 0, NULL, &a1);
	ask(&f, 1, 1, NULL, &a2);
	ask(&f, 2, 0, NULL, &b1);
	CU_ASSERT_EQUAL(a1.position, 1);
	CU_ASSERT_EQUAL(a2.position, 2); /* alone then */
	CU_ASSERT_EQUAL(b1.position, 2); /* ahead of 1's second entry */
	start_upload(&f, 3);
	ask(&f, 3, 0, NULL, &c1);
	CU_ASSERT_EQUAL(c1.position, 4); /* rank 1, after a2 (rank 1, earlier) */
	gnut_clock_manual_advance(f.clock, 70 * SEC);
	ask(&f, 1, 1, a2.id, &a2);
	CU_ASSERT_EQUAL(a2.position, 3);
	CU_ASSERT_EQUAL(a2.length, 4);
	fixture_clear(&f);
}

/* An entry whose address has its uploads keeps its place but is passed
 * over: the slot goes to the next. */
static void test_busy_address_passed_over(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_answer a, b;
	ask(&f, 1, 0, NULL, &a);
	ask(&f, 2, 0, NULL, &b);
	start_upload(&f, 1);
	f.free_slots = 1;
	gnut_clock_manual_advance(f.clock, 60 * SEC);
	ask(&f, 2, 0, b.id, &b);
	CU_ASSERT_EQUAL(b.verdict, GNUT_UPLOAD_QUEUE_SERVE);
	CU_ASSERT_EQUAL(queued(&f), 1);
	fixture_clear(&f);
}

static void test_caps(void)
{
	fixture f;
	fixture_init(&f, 3, 2);
	gnut_upload_answer a;
	ask(&f, 1, 0, NULL, &a);
	ask(&f, 1, 1, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	ask(&f, 1, 2, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_FULL); /* the address's share */
	ask(&f, 2, 0, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	ask(&f, 3, 0, NULL, &a);
	CU_ASSERT_EQUAL(a.verdict, GNUT_UPLOAD_QUEUE_FULL); /* the whole queue */
	gnut_upload_queue_stats st;
	gnut_upload_queue_get_stats(f.q, &st);
	CU_ASSERT_EQUAL(st.queued, 3);
	CU_ASSERT_EQUAL(st.refused_per_ip, 1);
	CU_ASSERT_EQUAL(st.refused_full, 1);
	fixture_clear(&f);
}

static void test_lifetime_expiry(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_answer a, b;
	ask(&f, 1, 0, NULL, &a);
	ask(&f, 2, 0, NULL, &b);
	/* 2 comes back in its lifetime, 1 does not. */
	gnut_clock_manual_advance(f.clock, (gint64)b.retry_after_s * SEC);
	ask(&f, 2, 0, b.id, &b);
	CU_ASSERT_EQUAL(b.position, 2);
	gnut_clock_manual_advance(f.clock, (gint64)(a.lifetime_s - b.retry_after_s) * SEC);
	gnut_upload_queue_expire(f.q);
	CU_ASSERT_EQUAL(queued(&f), 1);
	gnut_clock_manual_advance(f.clock, (gint64)b.retry_after_s * SEC);
	ask(&f, 2, 0, b.id, &b);
	CU_ASSERT_EQUAL(b.position, 1);
	/* 1 lost its place: its ID is a new entry at the tail. */
	gnut_upload_answer late;
	ask(&f, 1, 0, a.id, &late);
	CU_ASSERT_STRING_NOT_EQUAL(late.id, a.id);
	CU_ASSERT_EQUAL(late.position, 2);
	gnut_upload_queue_stats st;
	gnut_upload_queue_get_stats(f.q, &st);
	CU_ASSERT_EQUAL(st.expired, 1);
	fixture_clear(&f);
}

/* An active client polling before Retry-After (less the slack) is queued
 * anew at the tail; within the slack it keeps its place. */
static void test_early_poll_penalty(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_answer a, b, again;
	ask(&f, 1, 0, NULL, &a);
	ask(&f, 2, 0, NULL, &b);
	gnut_clock_manual_advance(
	    f.clock, (gint64)(a.retry_after_s - GNUT_UPLOAD_QUEUE_EARLY_SLACK_S) * SEC);
	ask(&f, 1, 0, a.id, &again);
	CU_ASSERT_FALSE(again.penalised);
	CU_ASSERT_EQUAL(again.position, 1);
	gnut_clock_manual_advance(f.clock, 1 * SEC);
	ask(&f, 1, 0, a.id, &again);
	CU_ASSERT_TRUE(again.penalised);
	CU_ASSERT_STRING_NOT_EQUAL(again.id, a.id);
	CU_ASSERT_EQUAL(again.position, 2);
	gnut_upload_queue_stats st;
	gnut_upload_queue_get_stats(f.q, &st);
	CU_ASSERT_EQUAL(st.early, 1);
	CU_ASSERT_EQUAL(st.queued, 2);
	fixture_clear(&f);
}

/* A passive client (no X-Queue) is found by address and file, is never
 * penalised, and gets at least the passive lifetime. */
static void test_passive_client(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_ask a = {.key = key_of(1), .sha1 = file_sha1(0), .len = 10, .slots_per_ip = 1};
	gnut_upload_answer out, again;
	gnut_upload_queue_ask(f.q, &a, &out);
	CU_ASSERT_EQUAL(out.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	CU_ASSERT_FALSE(out.has_eta); /* no rate: no ETA */
	CU_ASSERT_EQUAL(out.lifetime_s, GNUT_UPLOAD_QUEUE_PASSIVE_S);
	a.id = out.id;
	gnut_upload_queue_ask(f.q, &a, &again);
	CU_ASSERT_FALSE(again.penalised);
	CU_ASSERT_STRING_EQUAL(again.id, out.id);
	fixture_clear(&f);
}

/* An ID given from another address is not that entry. */
static void test_id_bound_to_address(void)
{
	fixture f;
	fixture_init(&f, 0, 0);
	gnut_upload_answer a, thief;
	ask(&f, 1, 0, NULL, &a);
	f.free_slots = 1;
	gnut_clock_manual_advance(f.clock, 60 * SEC);
	ask(&f, 2, 0, a.id, &thief);
	CU_ASSERT_EQUAL(thief.verdict, GNUT_UPLOAD_QUEUE_QUEUED);
	CU_ASSERT_STRING_NOT_EQUAL(thief.id, a.id);
	CU_ASSERT_EQUAL(thief.position, 2);
	fixture_clear(&f);
}

static CU_TestInfo tests[] = {
    {"served while slots are free", test_serve_while_free},
    {"positions and Retry-After", test_positions_and_retry},
    {"the head gets the slot", test_head_gets_the_slot},
    {"fair between addresses", test_fair_between_addresses},
    {"a busy address is passed over", test_busy_address_passed_over},
    {"caps", test_caps},
    {"lifetime expiry", test_lifetime_expiry},
    {"early-poll penalty", test_early_poll_penalty},
    {"passive client", test_passive_client},
    {"an ID is bound to its address", test_id_bound_to_address},
    CU_TEST_INFO_NULL,
};

GNUT_UNIT_MAIN("upload-queue", tests)
