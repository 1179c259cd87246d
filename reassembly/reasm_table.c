/* reasm_table: reasm's own sessions by their addresses and ports, either way round. A packet
 * of a followed session costs one lookup here instead of one or two of libnids'
 * nids_find_tcp_stream (mkhash over the tuple, one orientation per call). See reasm_int.h. */
#include "reassembly/reasm_int.h"

#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

static session **buckets;
static size_t mask;
static uint64_t seed; /* random: packet bytes choose the tuples, so they must not choose buckets */

/* The same bucket either way round: the lower endpoint goes first. */
static size_t bucket_of(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    uint64_t a = (uint64_t)saddr << 16 | sport, b = (uint64_t)daddr << 16 | dport;
    uint64_t key[2] = {a < b ? a : b, a < b ? b : a};

    return (size_t)XXH3_64bits_withSeed(key, sizeof key, seed) & mask;
}

int reasm_table_init(int max_streams)
{
    size_t n = 1024;

    while (n < (size_t)max_streams) /* at most one session a bucket on average */
        n *= 2;
    buckets = calloc(n, sizeof *buckets);
    if (buckets == NULL)
        return -1;
    mask = n - 1;
    if (getentropy(&seed, sizeof seed) != 0)
        seed = (uint64_t)(uintptr_t)&seed ^ (uint64_t)getpid();
    return 0;
}

void reasm_table_free(void)
{
    free(buckets);
    buckets = NULL;
}

void reasm_table_add(session *s)
{
    const struct tuple4 *t = &s->tcp->addr;
    session **head = &buckets[bucket_of(t->saddr, t->source, t->daddr, t->dest)];

    s->hash_next = *head;
    s->hash_prev = head;
    if (*head != NULL)
        (*head)->hash_prev = &s->hash_next;
    *head = s;
}

void reasm_table_remove(session *s)
{
    *s->hash_prev = s->hash_next;
    if (s->hash_next != NULL)
        s->hash_next->hash_prev = s->hash_prev;
    s->hash_next = NULL;
    s->hash_prev = NULL;
}

/* The client's side is tried first, as libnids' own lookup does (a connection to itself). */
session *reasm_table_find(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, int *dir)
{
    for (session *s = buckets[bucket_of(saddr, sport, daddr, dport)]; s; s = s->hash_next) {
        const struct tuple4 *t = &s->tcp->addr;
        if (t->saddr == saddr && t->source == sport && t->daddr == daddr && t->dest == dport) {
            *dir = REASM_FROM_CLIENT;
            return s;
        }
        if (t->saddr == daddr && t->source == dport && t->daddr == saddr && t->dest == sport) {
            *dir = REASM_FROM_SERVER;
            return s;
        }
    }
    return NULL;
}
