/* base/timeline: counts over any span within the bound timeline.h states, as the buckets
 * widen; events out of order, before 1970, far apart. */
#include <CUnit/CUnit.h>
#include <stdlib.h>

#include "base/timeline.h"
#include "tests/rng.h"
#include "tests/suites.h"

#define N_EVENTS 5000

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    return rng_next(&rng_state);
}

static uint64_t exact(const int64_t *ev, unsigned n, int64_t from, int64_t to)
{
    uint64_t c = 0;
    for (unsigned i = 0; i < n; i++)
        c += ev[i] >= from && ev[i] <= to;
    return c;
}

/* Every answer lies between the exact count and the exact count widened by a bucket on each
 * side; the total is kept. */
static void check_bound(const timeline *t, const int64_t *ev, unsigned n, int64_t lo, int64_t span)
{
    int64_t w = timeline_width(t);
    CU_ASSERT_EQUAL(t->total, n);
    unsigned bad = 0;
    for (unsigned q = 0; q < 2000; q++) {
        int64_t from = lo + (int64_t)(rnd() % (uint64_t)span);
        int64_t to = from + (int64_t)(rnd() % (uint64_t)(span / 8 + 1));
        uint64_t got = timeline_between(t, from, to);
        bad += got < exact(ev, n, from, to) || got > exact(ev, n, from - w, to + w);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void run(int64_t start, int64_t span, int shuffled)
{
    static int64_t ev[N_EVENTS];
    timeline t = {0};
    for (unsigned i = 0; i < N_EVENTS; i++) {
        int64_t off =
            shuffled ? (int64_t)(rnd() % (uint64_t)span) : (int64_t)((double)span * i / N_EVENTS);
        ev[i] = start + off;
        timeline_add(&t, ev[i]);
    }
    check_bound(&t, ev, N_EVENTS, start - span / 10, span + span / 5);
}

/* Within TIMELINE_BUCKETS seconds the width stays one second: whole-second spans are exact. */
static void test_short_span_exact(void)
{
    timeline t = {0};
    int64_t s = 1772442000LL * 1000000;
    for (int i = 0; i < 100; i++)
        timeline_add(&t, s + i * 1000000LL + 500000);
    CU_ASSERT_EQUAL(timeline_width(&t), TIMELINE_FIRST_WIDTH);
    CU_ASSERT_EQUAL(timeline_between(&t, s, s + 9999999), 10);
    CU_ASSERT_EQUAL(timeline_between(&t, s + 10000000, s + 10999999), 1);
    CU_ASSERT_EQUAL(timeline_between(&t, s - 5000000, s - 1), 0);
    CU_ASSERT_EQUAL(timeline_between(&t, s + 200000000, s + 300000000), 0);
}

static void test_spans(void)
{
    int64_t s = 1772442000LL * 1000000;
    run(s, 60LL * 1000000, 0);                         /* a minute, in order */
    run(s, 3600LL * 1000000, 1);                       /* an hour, out of order */
    run(s, 7 * 86400LL * 1000000, 1);                  /* a week */
    run(-86400LL * 1000000, 86400LL * 1000000 * 2, 1); /* across 1970 */
}

/* The memory is the struct: a week of events widens the buckets instead of adding any. */
static void test_widens(void)
{
    timeline t = {0};
    int64_t s = 1772442000LL * 1000000;
    timeline_add(&t, s);
    timeline_add(&t, s + 7 * 86400LL * 1000000);
    CU_ASSERT(timeline_width(&t) * TIMELINE_BUCKETS > 7 * 86400LL * 1000000);
    CU_ASSERT(timeline_width(&t) <= 2 * 7 * 86400LL * 1000000 / (TIMELINE_BUCKETS - 1));
    CU_ASSERT_EQUAL(timeline_between(&t, s - 1, s + 1), 1);
    timeline_add(&t, s - 86400LL * 1000000); /* earlier than all: the window moves back */
    CU_ASSERT_EQUAL(timeline_between(&t, INT64_MIN / 2, INT64_MAX / 2), 3);
}

/* Hostile times: the extremes of int64 neither crash nor lose the count. */
static void test_extremes(void)
{
    timeline t = {0};
    timeline_add(&t, INT64_MAX);
    timeline_add(&t, INT64_MIN);
    timeline_add(&t, 0);
    CU_ASSERT_EQUAL(t.total, 3);
    CU_ASSERT_EQUAL(timeline_between(&t, INT64_MIN, INT64_MAX), 3);
    timeline empty = {0};
    CU_ASSERT_EQUAL(timeline_between(&empty, INT64_MIN, INT64_MAX), 0);
}

void add_timeline_suite(void)
{
    CU_pSuite s = CU_add_suite("timeline", NULL, NULL);
    CU_add_test(s, "short span exact", test_short_span_exact);
    CU_add_test(s, "bound over spans", test_spans);
    CU_add_test(s, "widens, moves back", test_widens);
    CU_add_test(s, "extremes", test_extremes);
}
