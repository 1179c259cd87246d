/* quantile: percentiles of durations from a fixed log-scale histogram, whose memory does not
 * depend on how many samples it holds (one per server and measure in the report).
 *
 * Samples are microseconds. Bucket 0 holds 0 and values below 1 µs; bucket k >= 1 holds
 * [QUANTILE_RATIO^(k-1), QUANTILE_RATIO^k) µs, up to 1 day; longer values land in the last
 * bucket. The exact minimum and maximum are kept too. A percentile is the sample of rank
 * ceil(p * n) (nearest rank), estimated by the geometric middle of its bucket and clamped
 * to [min, max]:
 *
 *   error bound: |estimate - exact| <= QUANTILE_REL_ERROR * exact for exact values in
 *   1 µs .. 1 day (0 is exact; beyond a day the estimate is at most the exact maximum).
 *
 * With a ratio of 1.02 the bound is sqrt(1.02) - 1 < 0.996 %: 1,273 buckets of 4 bytes. */
#ifndef SMTPSCOPE_QUANTILE_H
#define SMTPSCOPE_QUANTILE_H

#include <stdint.h>

#define QUANTILE_RATIO 1.02
#define QUANTILE_REL_ERROR 0.00996
#define QUANTILE_MAX_US 86400000000.0 /* 1 day */
#define QUANTILE_BUCKETS 1273         /* 2 + floor(log(QUANTILE_MAX_US) / log(QUANTILE_RATIO)) */

typedef struct quantile {
    uint64_t n;
    int64_t min, max;
    uint32_t bucket[QUANTILE_BUCKETS]; /* saturate at UINT32_MAX */
} quantile;

/* All zero is empty; so is this. */
void quantile_init(quantile *q);
/* One sample, microseconds; a negative one counts as 0. */
void quantile_add(quantile *q, int64_t usec);
/* The p-quantile (0 < p <= 1) in microseconds; 0 when there are no samples (check q->n). */
double quantile_get(const quantile *q, double p);

/* The median of the gaps between n times (usec; sorted here, in place), in seconds: 0 with
 * fewer than two. gaps has room for n - 1. A duplicate's or a re-download's interval. */
double quantile_median_gap(int64_t *times, unsigned n, double *gaps);

#endif
