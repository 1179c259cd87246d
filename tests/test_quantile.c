/* base/quantile: the log-scale histogram's percentiles against exact ones, within the bound
 * quantile.h states, on several distributions and at the edges. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "base/quantile.h"
#include "tests/rng.h"
#include "tests/suites.h"

#define N_SAMPLES 20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    return rng_next(&rng_state);
}

static double uniform01(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0; /* [0, 1) */
}

typedef int64_t (*draw_fn)(void);

static int64_t d_uniform(void) /* 1 µs .. 1 s */
{
    return 1 + (int64_t)(uniform01() * 1e6);
}

static int64_t d_decades(void) /* log-uniform-ish over 1 µs .. 10^4 s */
{
    double v = 1.0 + uniform01() * 9.0;
    for (unsigned d = rnd() % 10; d > 0; d--)
        v *= 10.0;
    return (int64_t)v;
}

static int64_t d_heavy_tail(void) /* Pareto-like: 1 ms over a uniform in (0.001, 1] */
{
    return (int64_t)(1000.0 / (0.001 + uniform01() * 0.999));
}

static int64_t d_bimodal(void) /* fast replies, and a fifth that waits 30 s or so */
{
    if (rnd() % 5)
        return 1900 + (int64_t)(rnd() % 200);
    return 29000000 + (int64_t)(rnd() % 2000000);
}

static int64_t d_small(void) /* a few microseconds, zeros included */
{
    return (int64_t)(rnd() % 61);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The sample of rank ceil(p * n) in sorted v. */
static int64_t exact(const int64_t *v, size_t n, double p)
{
    double want = p * (double)n;
    size_t rank = (size_t)want;
    if ((double)rank < want || rank < 1)
        rank++;
    return v[(rank > n ? n : rank) - 1];
}

static void check_distribution(draw_fn draw)
{
    static const double ps[] = {0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
    int64_t *v = malloc(N_SAMPLES * sizeof *v);
    quantile *q = malloc(sizeof *q);
    CU_ASSERT_FATAL(v != NULL && q != NULL);
    quantile_init(q);
    for (size_t i = 0; i < N_SAMPLES; i++) {
        v[i] = draw();
        quantile_add(q, v[i]);
    }
    qsort(v, N_SAMPLES, sizeof *v, cmp_i64);
    CU_ASSERT_EQUAL(q->n, N_SAMPLES);
    CU_ASSERT_EQUAL(q->min, v[0]);
    CU_ASSERT_EQUAL(q->max, v[N_SAMPLES - 1]);
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        double want = (double)exact(v, N_SAMPLES, ps[i]), got = quantile_get(q, ps[i]);
        double err = got > want ? got - want : want - got;
        CU_ASSERT(err <= QUANTILE_REL_ERROR * want + 1e-9);
    }
    free(q);
    free(v);
}

static void test_uniform(void)
{
    check_distribution(d_uniform);
}

static void test_decades(void)
{
    check_distribution(d_decades);
}

static void test_heavy_tail(void)
{
    check_distribution(d_heavy_tail);
}

static void test_bimodal(void)
{
    check_distribution(d_bimodal);
}

static void test_small_values(void)
{
    check_distribution(d_small);
}

static void test_empty(void)
{
    quantile q;
    quantile_init(&q);
    CU_ASSERT_EQUAL(q.n, 0);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.5), 0.0);
    CU_ASSERT_EQUAL(quantile_get(&q, 1.0), 0.0);
}

static void test_one_sample(void)
{
    quantile q;
    quantile_init(&q);
    quantile_add(&q, 35002117);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.5), 35002117.0);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.99), 35002117.0);
    CU_ASSERT_EQUAL(quantile_get(&q, 1.0), 35002117.0);
}

static void test_all_equal(void)
{
    quantile q;
    quantile_init(&q);
    for (int i = 0; i < 1000; i++)
        quantile_add(&q, 4000);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.01), 4000.0); /* clamped to the exact min and max */
    CU_ASSERT_EQUAL(quantile_get(&q, 0.5), 4000.0);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.99), 4000.0);
}

static void test_zero_negative_and_huge(void)
{
    quantile q;
    quantile_init(&q);
    quantile_add(&q, -5); /* a clock that went back: counted as 0 */
    quantile_add(&q, 0);
    quantile_add(&q, 3 * 86400000000LL); /* three days: the last bucket, max exact */
    CU_ASSERT_EQUAL(q.min, 0);
    CU_ASSERT_EQUAL(quantile_get(&q, 0.5), 0.0);
    CU_ASSERT_EQUAL(quantile_get(&q, 1.0), 3 * 86400000000.0);
    double p = quantile_get(&q, 0.9); /* rank 3 of 3 */
    CU_ASSERT_EQUAL(p, 3 * 86400000000.0);
}

/* Bucket edges: every integer from 1 to 5000 alone is estimated within the bound. */
static void test_edges(void)
{
    for (int64_t v = 1; v <= 5000; v++) {
        quantile q;
        quantile_init(&q);
        quantile_add(&q, 0);
        quantile_add(&q, v);
        quantile_add(&q, 10 * v + 10);
        double got = quantile_get(&q, 0.5),
               err = got > (double)v ? got - (double)v : (double)v - got;
        CU_ASSERT(err <= QUANTILE_REL_ERROR * (double)v + 1e-9);
    }
}

/* The median gap: times in any order, an odd and an even number of gaps, too few. */
static void test_median_gap(void)
{
    double gaps[4];
    int64_t odd[4] = {600000000, 0, 1200000000, 1260000000}; /* gaps 600, 600, 60 s */
    CU_ASSERT_DOUBLE_EQUAL(quantile_median_gap(odd, 4, gaps), 600.0, 1e-9);
    CU_ASSERT_EQUAL(odd[0], 0);                /* sorted in place */
    int64_t even[3] = {30000000, 0, 10000000}; /* gaps 10, 20 s */
    CU_ASSERT_DOUBLE_EQUAL(quantile_median_gap(even, 3, gaps), 15.0, 1e-9);
    int64_t one[1] = {5};
    CU_ASSERT_DOUBLE_EQUAL(quantile_median_gap(one, 1, gaps), 0.0, 0.0);
}

void add_quantile_suite(void)
{
    CU_pSuite s = CU_add_suite("quantile", NULL, NULL);
    CU_add_test(s, "uniform samples within the bound", test_uniform);
    CU_add_test(s, "samples over ten decades within the bound", test_decades);
    CU_add_test(s, "heavy-tailed samples within the bound", test_heavy_tail);
    CU_add_test(s, "bimodal samples within the bound", test_bimodal);
    CU_add_test(s, "a few microseconds, zeros included", test_small_values);
    CU_add_test(s, "no samples", test_empty);
    CU_add_test(s, "one sample is exact", test_one_sample);
    CU_add_test(s, "all equal is exact", test_all_equal);
    CU_add_test(s, "zero, negative and beyond a day", test_zero_negative_and_huge);
    CU_add_test(s, "every value 1..5000 at the middle rank", test_edges);
    CU_add_test(s, "the median gap between times", test_median_gap);
}
