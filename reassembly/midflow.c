/* midflow: connections seen without their handshake. See midflow.h.
 *
 * Records are allocated one per connection (never per packet), at most MAX_FLOWS at a time;
 * past that the one idle longest is reported and freed. Lookups hash the tuple in a way that
 * does not depend on the direction, so both directions find the same record. */
#include "reassembly/midflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"

#define MAX_FLOWS 16384

enum { BY_USE, BY_START, N_LISTS };

typedef struct flow {
    uint32_t addr[2]; /* side 0 sent the first packet seen */
    uint16_t port[2];
    reasm_endpoint ep[2];
    struct timeval first, last;
    uint64_t first_frame, last_frame, packets, bytes;
    uint8_t sample[2][REASM_UNSEEN_SAMPLE];
    uint8_t sample_len[2];
    int synack_from; /* side that sent a SYN/ACK, -1 none */
    int syn_seen;
    struct flow *prev[N_LISTS], *next[N_LISTS];
} flow;

static struct {
    map index; /* symmetric hash of the tuple -> the flow (a pointer); same_tuple tells apart */
    flow *head[N_LISTS], *tail[N_LISTS];
    unsigned count;
    midflow_endpoint_fn endpoint;
    midflow_report_fn report;
} flows;

static void list_append(int l, flow *f)
{
    f->prev[l] = flows.tail[l];
    f->next[l] = NULL;
    if (flows.tail[l] != NULL)
        flows.tail[l]->next[l] = f;
    else
        flows.head[l] = f;
    flows.tail[l] = f;
}

static void list_remove(int l, flow *f)
{
    if (f->prev[l] != NULL)
        f->prev[l]->next[l] = f->next[l];
    else
        flows.head[l] = f->next[l];
    if (f->next[l] != NULL)
        f->next[l]->prev[l] = f->prev[l];
    else
        flows.tail[l] = f->prev[l];
}

void midflow_init(midflow_endpoint_fn endpoint, midflow_report_fn report)
{
    memset(&flows, 0, sizeof flows);
    flows.endpoint = endpoint;
    flows.report = report;
}

/* Symmetric in the two endpoints, so either direction gives the same key. */
static uint64_t key_of(uint32_t a, uint16_t pa, uint32_t b, uint16_t pb)
{
    uint64_t x = ((uint64_t)a << 16 | pa) ^ ((uint64_t)b << 16 | pb);
    uint64_t y = ((uint64_t)a << 16 | pa) + ((uint64_t)b << 16 | pb);

    return map_key((x ^ (y << 23) ^ (y >> 41)) * 0x9e3779b97f4a7c15ULL);
}

typedef struct tuple {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
} tuple;

/* Which side of f the source of t is: 0 or 1, -1 when t is not f's, either way round. */
static int side_of(const flow *f, const tuple *t)
{
    for (int s = 0; s < 2; s++)
        if (f->addr[s] == t->saddr && f->port[s] == t->sport && f->addr[!s] == t->daddr &&
            f->port[!s] == t->dport)
            return s;
    return -1;
}

static int same_tuple(uint64_t value, const void *arg)
{
    return side_of((const flow *)(uintptr_t)value, arg) >= 0;
}

static int same_flow(uint64_t value, const void *arg)
{
    return (const void *)(uintptr_t)value == arg;
}

/* The record of the tuple, and through *side which side the source (saddr) is. */
static flow *lookup(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, int *side)
{
    tuple t = {saddr, daddr, sport, dport};
    const uint64_t *v = map_find(&flows.index, key_of(saddr, sport, daddr, dport), same_tuple, &t);

    if (v == NULL)
        return NULL;
    flow *f = (flow *)(uintptr_t)*v;
    *side = side_of(f, &t);
    return f;
}

/* The server is the side that sent a SYN/ACK; without one, which side serves is a question
 * of the protocol (the pipeline asks its analysers), so side 0, whose packet came first, is
 * told as the client. */
static int server_side(const flow *f)
{
    return f->synack_from >= 0 ? f->synack_from : 1;
}

static void report(const flow *f)
{
    reasm_unseen u;
    int srv = server_side(f);

    memset(&u, 0, sizeof u);
    u.client = f->ep[!srv];
    u.server = f->ep[srv];
    u.first = f->first;
    u.last = f->last;
    u.first_frame = f->first_frame;
    u.last_frame = f->last_frame;
    u.packets = f->packets;
    u.bytes = f->bytes;
    u.syn_seen = f->syn_seen;
    u.oriented = f->synack_from >= 0;
    u.client_data = f->sample[!srv];
    u.client_len = f->sample_len[!srv];
    u.server_data = f->sample[srv];
    u.server_len = f->sample_len[srv];
    if (flows.report != NULL)
        flows.report(&u);
}

static void drop(flow *f)
{
    map_remove(&flows.index, key_of(f->addr[0], f->port[0], f->addr[1], f->port[1]), same_flow, f,
               NULL);
    list_remove(BY_USE, f);
    list_remove(BY_START, f);
    flows.count--;
    free(f);
}

static void out_of_memory(void)
{
    fprintf(stderr, "smtpscope: out of memory for connections without a handshake\n");
    exit(2);
}

static flow *create(const midflow_pkt *p)
{
    flow *f;

    if (flows.count >= MAX_FLOWS) {
        report(flows.head[BY_USE]);
        drop(flows.head[BY_USE]);
    }
    f = calloc(1, sizeof *f);
    if (f == NULL)
        out_of_memory();
    f->addr[0] = p->saddr;
    f->addr[1] = p->daddr;
    f->port[0] = p->sport;
    f->port[1] = p->dport;
    f->ep[0] = flows.endpoint(p->saddr, p->sport);
    f->ep[1] = flows.endpoint(p->daddr, p->dport);
    f->first = p->ts;
    f->first_frame = p->frame;
    f->synack_from = -1;
    if (map_add(&flows.index, key_of(p->saddr, p->sport, p->daddr, p->dport), (uintptr_t)f) != 0)
        out_of_memory();
    list_append(BY_USE, f);
    list_append(BY_START, f);
    flows.count++;
    return f;
}

void midflow_note(const midflow_pkt *p)
{
    int side = 0;
    flow *f = lookup(p->saddr, p->sport, p->daddr, p->dport, &side);
    int synack = (p->flags & 0x12) == 0x12;

    if (f == NULL) {
        if (p->len == 0 && !synack)
            return;
        f = create(p);
    } else {
        list_remove(BY_USE, f);
        list_append(BY_USE, f);
    }
    f->last = p->ts;
    f->last_frame = p->frame;
    f->packets++;
    f->bytes += p->len;
    f->syn_seen |= p->syn_seen;
    if (synack && f->synack_from < 0)
        f->synack_from = side;
    if (p->len > 0 && f->sample_len[side] == 0) {
        unsigned n = p->len < REASM_UNSEEN_SAMPLE ? p->len : REASM_UNSEEN_SAMPLE;
        memcpy(f->sample[side], p->payload, n);
        f->sample_len[side] = (uint8_t)n;
    }
}

void midflow_opened(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    int side;
    flow *f = lookup(saddr, sport, daddr, dport, &side);

    if (f == NULL)
        return;
    if (!f->syn_seen)
        report(f);
    drop(f);
}

void midflow_finish(void)
{
    while (flows.head[BY_START] != NULL) {
        report(flows.head[BY_START]);
        drop(flows.head[BY_START]);
    }
    map_free(&flows.index);
}
