/* quantile: a fixed log-scale histogram of durations. See quantile.h for the error bound. */
#include "base/quantile.h"

#include <stdlib.h>
#include <string.h>

/* bound[k]: the lower end of bucket k + 1, ratio^k (bucket k >= 1 is [bound[k-1], bound[k])).
 * Made once by multiplication, so no libm and no rounding of log() at the edges. */
static double bound[QUANTILE_BUCKETS];

static void make_bounds(void)
{
    if (bound[0] != 0.0)
        return;
    double b = 1.0;
    for (unsigned k = 0; k < QUANTILE_BUCKETS; k++, b *= QUANTILE_RATIO)
        bound[k] = b;
}

void quantile_init(quantile *q)
{
    memset(q, 0, sizeof *q);
}

/* The first k with usec < bound[k], by bisection: bucket 0 for 0, the last for a day or more. */
static unsigned bucket_of(int64_t usec)
{
    double v = (double)usec;
    unsigned lo = 0, hi = QUANTILE_BUCKETS - 1;
    make_bounds();
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (v < bound[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void quantile_add(quantile *q, int64_t usec)
{
    if (usec < 0)
        usec = 0;
    if (q->n == 0 || usec < q->min)
        q->min = usec;
    if (q->n == 0 || usec > q->max)
        q->max = usec;
    q->n++;
    uint32_t *b = &q->bucket[bucket_of(usec)];
    if (*b < UINT32_MAX)
        (*b)++;
}

/* The geometric middle of bucket k >= 1, bound[k - 1] * sqrt(ratio): within sqrt(ratio) of
 * anything in it. */
static double middle(unsigned k)
{
    static const double sqrt_ratio = 1.0099504938362078; /* sqrt(QUANTILE_RATIO) */
    return k == 0 ? 0.0 : bound[k - 1] * sqrt_ratio;
}

double quantile_get(const quantile *q, double p)
{
    if (q->n == 0)
        return 0.0;
    double want = p * (double)q->n;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank < 1)
        rank++; /* ceil, and at least the first */
    if (rank >= q->n)
        return (double)q->max; /* the largest is kept exactly */
    make_bounds();
    uint64_t seen = 0;
    unsigned k = 0;
    for (; k < QUANTILE_BUCKETS - 1; k++) {
        seen += q->bucket[k];
        if (seen >= rank)
            break;
    }
    double v = middle(k);
    if (v < (double)q->min)
        v = (double)q->min;
    return v > (double)q->max ? (double)q->max : v;
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double quantile_median_gap(int64_t *times, unsigned n, double *gaps)
{
    if (n < 2)
        return 0.0;
    qsort(times, n, sizeof *times, cmp_time);
    for (unsigned i = 1; i < n; i++)
        gaps[i - 1] = (double)(times[i] - times[i - 1]) / 1e6;
    unsigned k = n - 1;
    qsort(gaps, k, sizeof *gaps, cmp_double);
    return k % 2 ? gaps[k / 2] : (gaps[k / 2 - 1] + gaps[k / 2]) / 2.0;
}
