/* timeline: how many events fell in a span of time, for any span, from a fixed number of
 * counting buckets whose width doubles as the events spread (a week of events at one server
 * costs what a minute costs). The report asks it "how many failed connects, 421s, late
 * greetings at this server around these attempts?" long after the events passed.
 *
 * Buckets are aligned on multiples of their width since the epoch, so doubling merges
 * neighbours exactly. A count over [from, to] adds the buckets that overlap it:
 *
 *   error bound: exact(from, to) <= timeline_between(from, to)
 *                                <= exact(from - width, to + width)
 *
 * where width is timeline_width() (TIMELINE_FIRST_WIDTH until the events span more than
 * TIMELINE_BUCKETS of it). */
#ifndef SMTPSCOPE_TIMELINE_H
#define SMTPSCOPE_TIMELINE_H

#include <stdint.h>

#define TIMELINE_BUCKETS 256
#define TIMELINE_FIRST_WIDTH 1000000 /* 1 s, in microseconds */

typedef struct timeline {
    uint64_t total;
    int64_t width;                    /* microseconds a bucket; 0 while empty */
    int64_t base;                     /* absolute index (time / width) of count[0] */
    int64_t lo, hi;                   /* absolute indices of the first and last bucket used */
    uint32_t count[TIMELINE_BUCKETS]; /* saturate at UINT32_MAX */
} timeline;

/* All zero is empty. */
void timeline_add(timeline *t, int64_t ts);
/* Events in [from, to] (microseconds), within the bound above. */
uint64_t timeline_between(const timeline *t, int64_t from, int64_t to);
int64_t timeline_width(const timeline *t);

#endif
