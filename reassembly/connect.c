/* connect: failed TCP connection attempts. See connect.h.
 *
 * Records come from a pool grown in chunks and reused through a free list, so a SYN never
 * costs an allocation once the pool is large enough; the pool never passes CONNECT_MAX. The
 * pending attempts are kept in one list by their latest SYN, oldest first: the timeout looks
 * at the head only, and a full table drops the head. */
#include "reassembly/connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "sniff/sniff.h"

#define CHUNK 1024
#define N_CHUNKS (CONNECT_MAX / CHUNK)

typedef struct attempt {
    uint32_t saddr, daddr; /* client, server */
    uint16_t sport, dport;
    reasm_endpoint client, server;
    struct timeval first, last;
    uint64_t first_frame, last_frame;
    unsigned syns;
    struct attempt *prev, *next;
} attempt;

static struct {
    map index; /* hash of the client -> server tuple -> the attempt (a pointer) */
    attempt *head, *tail, *free;
    attempt *chunk[N_CHUNKS];
    unsigned nchunks, count;
    uint64_t evicted;
    connect_endpoint_fn endpoint;
    connect_report_fn report;
} pending;

typedef struct tuple {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
} tuple;

void connect_init(connect_endpoint_fn endpoint, connect_report_fn report)
{
    memset(&pending, 0, sizeof pending);
    pending.endpoint = endpoint;
    pending.report = report;
}

unsigned connect_pending(void)
{
    return pending.count;
}

uint64_t connect_evicted(void)
{
    return pending.evicted;
}

/* Directional: the client -> server tuple. */
static uint64_t key_of(const tuple *t)
{
    uint64_t a = (uint64_t)t->saddr << 32 | t->daddr;
    uint64_t b = (uint64_t)t->sport << 16 | t->dport;
    return map_key((a ^ (b * 0xff51afd7ed558ccdULL)) * 0x9e3779b97f4a7c15ULL);
}

static int same_tuple(uint64_t value, const void *arg)
{
    const attempt *a = (const attempt *)(uintptr_t)value;
    const tuple *t = arg;
    return a->saddr == t->saddr && a->daddr == t->daddr && a->sport == t->sport &&
           a->dport == t->dport;
}

static int same_attempt(uint64_t value, const void *arg)
{
    return (const void *)(uintptr_t)value == arg;
}

static attempt *lookup(const tuple *t)
{
    const uint64_t *v = map_find(&pending.index, key_of(t), same_tuple, t);
    return v == NULL ? NULL : (attempt *)(uintptr_t)*v;
}

static void unlink_attempt(attempt *a)
{
    if (a->prev != NULL)
        a->prev->next = a->next;
    else
        pending.head = a->next;
    if (a->next != NULL)
        a->next->prev = a->prev;
    else
        pending.tail = a->prev;
}

static void append(attempt *a)
{
    a->prev = pending.tail;
    a->next = NULL;
    if (pending.tail != NULL)
        pending.tail->next = a;
    else
        pending.head = a;
    pending.tail = a;
}

static void out_of_memory(void)
{
    fprintf(stderr, "smtpscope: out of memory for connection attempts\n");
    exit(2);
}

/* Forgets a: out of the index and the list, back to the free list. */
static void forget(attempt *a)
{
    tuple t = {a->saddr, a->daddr, a->sport, a->dport};
    map_remove(&pending.index, key_of(&t), same_attempt, a, NULL);
    unlink_attempt(a);
    a->next = pending.free;
    pending.free = a;
    pending.count--;
}

static void report(const attempt *a, reasm_connect_reason reason, const connect_pkt *rst)
{
    reasm_connect_failure f;
    memset(&f, 0, sizeof f);
    f.client = a->client;
    f.server = a->server;
    f.reason = reason;
    f.attempts = a->syns;
    f.first = a->first;
    f.first_frame = a->first_frame;
    f.last = rst != NULL ? rst->ts : a->last;
    f.last_frame = rst != NULL ? rst->frame : a->last_frame;
    if (pending.report != NULL)
        pending.report(&f);
}

/* A record from the free list, the pool grown by a chunk when it is empty; NULL when the
 * pool is at CONNECT_MAX. */
static attempt *take(void)
{
    if (pending.free == NULL && pending.nchunks < N_CHUNKS) {
        attempt *c = calloc(CHUNK, sizeof *c);
        if (c == NULL)
            out_of_memory();
        pending.chunk[pending.nchunks++] = c;
        for (unsigned i = 0; i < CHUNK; i++) {
            c[i].next = pending.free;
            pending.free = &c[i];
        }
    }
    attempt *a = pending.free;
    if (a != NULL)
        pending.free = a->next;
    return a;
}

static attempt *create(const connect_pkt *p, const tuple *t)
{
    attempt *a = take();
    if (a == NULL) { /* full: the attempt waiting longest makes room, unreported */
        pending.evicted++;
        forget(pending.head);
        a = take();
    }
    memset(a, 0, sizeof *a);
    a->saddr = t->saddr;
    a->daddr = t->daddr;
    a->sport = t->sport;
    a->dport = t->dport;
    a->client = pending.endpoint(p->saddr, p->sport);
    a->server = pending.endpoint(p->daddr, p->dport);
    a->first = p->ts;
    a->first_frame = p->frame;
    if (map_add(&pending.index, key_of(t), (uintptr_t)a) != 0)
        out_of_memory();
    append(a);
    pending.count++;
    return a;
}

void connect_syn(const connect_pkt *p)
{
    tuple t = {p->saddr, p->daddr, p->sport, p->dport};
    attempt *a = lookup(&t);
    if (a == NULL)
        a = create(p, &t);
    else {
        unlink_attempt(a); /* the latest SYN goes to the end of the list */
        append(a);
    }
    a->syns++;
    a->last = p->ts;
    a->last_frame = p->frame;
}

void connect_other(const connect_pkt *p)
{
    tuple from_server = {p->daddr, p->saddr, p->dport, p->sport};
    attempt *a = lookup(&from_server);
    if (a != NULL) {
        if (p->flags & 0x04) /* RST */
            report(a, REASM_CONNECT_REFUSED, p);
        forget(a); /* a SYN/ACK, or the server talking: answered */
        return;
    }
    tuple from_client = {p->saddr, p->daddr, p->sport, p->dport};
    a = lookup(&from_client);
    if (a != NULL && !(p->flags & 0x04))
        forget(a); /* the client went on past the handshake: its SYN/ACK was not captured */
}

static int older_than(struct timeval t, struct timeval now, long secs)
{
    return now.tv_sec - t.tv_sec > secs ||
           (now.tv_sec - t.tv_sec == secs && now.tv_usec >= t.tv_usec);
}

void connect_expire(struct timeval now, uint64_t frame, reasm_position *at)
{
    while (pending.head != NULL && older_than(pending.head->last, now, CONNECT_TIMEOUT)) {
        attempt *a = pending.head;
        *at = (reasm_position){frame, REASM_AT_CONNECT_EXPIRY, a->last_frame, 0};
        report(a, REASM_CONNECT_NO_SYNACK, NULL);
        forget(a);
    }
}

static int by_first_frame(const void *x, const void *y)
{
    const attempt *a = *(attempt *const *)x, *b = *(attempt *const *)y;
    return (a->first_frame > b->first_frame) - (a->first_frame < b->first_frame);
}

/* Several capture files (sniff.h): a frame number orders one file's frames, not another's
 * that overlaps it in time; the first SYN's time does, the frame breaking ties. */
static int by_first_time(const void *x, const void *y)
{
    const attempt *a = *(attempt *const *)x, *b = *(attempt *const *)y;
    if (timercmp(&a->first, &b->first, !=))
        return timercmp(&a->first, &b->first, <) ? -1 : 1;
    return by_first_frame(x, y);
}

/* Attempts from one file (or the first of several) keep the order of their frames, as
 * with one file whatever its times; from several, time order. */
static int several_files(attempt *const *order, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (sniff_frame_file(order[i]->first_frame) != 0)
            return 1;
    return 0;
}

void connect_finish(struct timeval last, reasm_position *at)
{
    attempt **order = pending.count ? calloc(pending.count, sizeof *order) : NULL;
    unsigned n = 0;
    if (pending.count && order == NULL)
        out_of_memory();
    for (attempt *a = pending.head; a != NULL; a = a->next)
        order[n++] = a;
    if (n > 1)
        qsort(order, n, sizeof *order, several_files(order, n) ? by_first_time : by_first_frame);
    for (unsigned i = 0; i < n; i++) {
        if (!older_than(order[i]->first, last, CONNECT_GRACE))
            continue;
        *at = (reasm_position){UINT64_MAX, REASM_AT_FINISH_CONNECTS, order[i]->first_frame, 0};
        report(order[i], REASM_CONNECT_NO_SYNACK, NULL);
    }
    free(order);
    for (unsigned i = 0; i < pending.nchunks; i++)
        free(pending.chunk[i]);
    map_free(&pending.index);
    uint64_t evicted = pending.evicted;
    connect_init(pending.endpoint, pending.report);
    pending.evicted = evicted;
}
