/* timeline: counts of events over time in a fixed number of buckets that widen as needed
 * (see timeline.h for the bound). */
#include <string.h>

#include "base/timeline.h"

/* floor(a / b) for b > 0, also for negative a (times before 1970 are hostile input, not an
 * error). */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - (a % b != 0 && a < 0);
}

/* Twice the width: neighbours merge, which the alignment on multiples of the width keeps
 * exact. */
static void coarsen(timeline *t)
{
    uint32_t merged[TIMELINE_BUCKETS] = {0};
    int64_t base = floor_div(t->base, 2);
    for (int64_t i = 0; i < TIMELINE_BUCKETS; i++) {
        uint32_t *to = &merged[floor_div(t->base + i, 2) - base];
        uint64_t sum = (uint64_t)*to + t->count[i];
        *to = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    }
    memcpy(t->count, merged, sizeof merged);
    t->base = base;
    t->lo = floor_div(t->lo, 2);
    t->hi = floor_div(t->hi, 2);
    t->width *= 2;
}

/* Moves the window of buckets so that it starts at the first one used. */
static void rebase(timeline *t)
{
    int64_t shift = t->lo - t->base;
    if (shift > 0) {
        memmove(t->count, t->count + shift, (size_t)(TIMELINE_BUCKETS - shift) * sizeof *t->count);
        memset(t->count + TIMELINE_BUCKETS - shift, 0, (size_t)shift * sizeof *t->count);
    } else if (shift < 0) {
        memmove(t->count - shift, t->count, (size_t)(TIMELINE_BUCKETS + shift) * sizeof *t->count);
        memset(t->count, 0, (size_t)-shift * sizeof *t->count);
    }
    t->base = t->lo;
}

void timeline_add(timeline *t, int64_t ts)
{
    if (!t->width) {
        t->width = TIMELINE_FIRST_WIDTH;
        t->base = t->lo = t->hi = floor_div(ts, t->width);
    }
    int64_t k = floor_div(ts, t->width);
    while ((k < t->lo ? t->hi - k : k > t->hi ? k - t->lo : 0) >= TIMELINE_BUCKETS) {
        coarsen(t);
        k = floor_div(ts, t->width);
    }
    if (k < t->lo)
        t->lo = k;
    if (k > t->hi)
        t->hi = k;
    if (t->lo < t->base || t->hi >= t->base + TIMELINE_BUCKETS)
        rebase(t);
    uint32_t *c = &t->count[k - t->base];
    if (*c < UINT32_MAX)
        (*c)++;
    t->total++;
}

uint64_t timeline_between(const timeline *t, int64_t from, int64_t to)
{
    if (!t->width || from > to)
        return 0;
    int64_t first = floor_div(from, t->width), last = floor_div(to, t->width);
    if (first < t->base)
        first = t->base;
    if (last > t->base + TIMELINE_BUCKETS - 1)
        last = t->base + TIMELINE_BUCKETS - 1;
    uint64_t n = 0;
    for (int64_t k = first; k <= last; k++)
        n += t->count[k - t->base];
    return n;
}

int64_t timeline_width(const timeline *t)
{
    return t->width ? t->width : TIMELINE_FIRST_WIDTH;
}
