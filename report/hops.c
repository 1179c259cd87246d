/* hops: tells what a group of attempts of one message is. Attempts with the same count of
 * Received: lines are the message at the same point of its path: one hop. Several counts
 * are successive hops (a relay path), or a loop when the message crossed a hop again or went
 * back the way it came, for the same recipients. On one hop, copies for
 * disjoint recipient sets are fan-out; what is left, the same message more than once over
 * the same hop, is a duplicate group. */
#include <stdlib.h>
#include <string.h>

#include "report/correlate_impl.h"

static const correlate *sort_ctx;

/* By Received: count, then time, then the order recorded. */
static int by_hop(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    const corr_attempt *a = corr_at(sort_ctx, i), *b = corr_at(sort_ctx, j);
    if (a->received != b->received)
        return a->received < b->received ? -1 : 1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return (i > j) - (i < j);
}

static int same_name(uint32_t a, uint32_t b)
{
    return a == b && a != NAMES_NONE;
}

/* The recipient sets share an address, as far as the fingerprints tell: the lowest hashes of
 * two sets that share one of the lowest of their union both hold it. An attempt whose
 * recipients were not seen shares with every other. */
static int rcpts_overlap(const corr_attempt *a, const corr_attempt *b)
{
    if (!a->rcpt_hash[0] || !b->rcpt_hash[0])
        return 1;
    unsigned i = 0, j = 0;
    while (i < CORR_RCPT_HASHES && j < CORR_RCPT_HASHES && a->rcpt_hash[i] && b->rcpt_hash[j]) {
        if (a->rcpt_hash[i] == b->rcpt_hash[j])
            return 1;
        a->rcpt_hash[i] < b->rcpt_hash[j] ? i++ : j++;
    }
    return 0;
}

/* b (a later hop) crossed a's hop again (same client host, same server), or went back from
 * a's server to a's client, for the same recipients. Reaching a's server from elsewhere is
 * not enough: a sender that tried the backup MX and then the primary too reaches the primary
 * twice without a loop. A relay handing to a filter on its own host (Postfix to amavis on
 * 127.0.0.1) goes to another port: not back. */
static int came_round(const corr_attempt *a, const corr_attempt *b)
{
    if (!rcpts_overlap(a, b))
        return 0;
    if (same_name(a->client, b->client) && same_name(a->server, b->server))
        return 1;
    return same_name(a->client, b->server_host) && same_name(a->server_host, b->client) &&
           a->client != a->server_host;
}

static int is_loop(const correlate *c, const uint32_t *hop, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (came_round(corr_at(c, hop[i]), corr_at(c, hop[j])))
                return 1;
    return 0;
}

static void add_path(correlate *c, corr_path_kind kind, const char *message_id,
                     const uint32_t *members, unsigned n)
{
    uint32_t cap = c->pcap[kind];
    if (correlate_grow((void **)&c->paths[kind], sizeof(corr_path), &cap, c->npaths[kind] + 1, 16) <
        0)
        return;
    c->pcap[kind] = cap;
    uint32_t *m = malloc(n * sizeof *m);
    if (!m)
        return;
    memcpy(m, members, n * sizeof *m);
    c->paths[kind][c->npaths[kind]++] = (corr_path){kind, message_id, m, n};
}

/* The attempt that stands for a hop: the first the client saw accepted, else the last. */
static uint32_t hop_attempt(const correlate *c, const uint32_t *m, unsigned n)
{
    uint32_t best = m[n - 1];
    for (unsigned i = n; i-- > 0;)
        if (correlate_delivered(corr_at(c, m[i])))
            best = m[i];
    return best;
}

/* Whether any attempt of m had no recipient seen: then the copies cannot be told apart. */
static int recipients_unknown(const correlate *c, const uint32_t *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (!corr_at(c, m[i])->rcpt_hash[0])
            return 1;
    return 0;
}

/* Groups the attempts of one hop by shared recipients: cluster[i] for m[i]; returns how many.
 * An attempt joins the cluster of the first recipient hash of its own already seen, so a
 * newsletter sent as 100,000 single-recipient copies costs 100,000 look-ups, not their
 * square. */
static unsigned by_recipients(const correlate *c, const uint32_t *m, unsigned n, unsigned *cluster)
{
    if (recipients_unknown(c, m, n)) {
        memset(cluster, 0, n * sizeof *cluster);
        return 1;
    }
    map seen = {0}; /* recipient hash -> its cluster */
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint32_t *h = corr_at(c, m[i])->rcpt_hash;
        unsigned j = k;
        for (unsigned r = 0; r < CORR_RCPT_HASHES && h[r] && j == k; r++) {
            const uint64_t *v = map_find(&seen, h[r], NULL, NULL);
            if (v)
                j = (unsigned)*v;
        }
        k += j == k;
        for (unsigned r = 0; r < CORR_RCPT_HASHES && h[r]; r++)
            if (!map_find(&seen, h[r], NULL, NULL))
                map_add(&seen, h[r], j);
        cluster[i] = j;
    }
    map_free(&seen);
    return k;
}

/* m reordered cluster by cluster (time order kept inside each) into out; start[j] is where
 * cluster j begins, start[k] = n. */
static void by_cluster(const uint32_t *m, unsigned n, const unsigned *cluster, unsigned k,
                       uint32_t *out, unsigned *start)
{
    memset(start, 0, (k + 1) * sizeof *start);
    for (unsigned i = 0; i < n; i++)
        start[cluster[i] + 1]++;
    for (unsigned j = 0; j < k; j++)
        start[j + 1] += start[j];
    for (unsigned i = 0; i < n; i++)
        out[start[cluster[i]]++] = m[i];
    memmove(start + 1, start, k * sizeof *start);
    start[0] = 0;
}

/* A duplicate group of the n attempts m, with the strings of group gi. */
static void split_off(correlate *c, unsigned gi, const uint32_t *m, unsigned n)
{
    corr_group *g = correlate_new_group(c);
    if (!g)
        return;
    const corr_group *from = &c->groups[gi];
    g->by_digest = from->by_digest;
    g->has_digest = from->has_digest;
    memcpy(g->digest, from->digest, sizeof g->digest);
    g->message_id = correlate_dup(from->message_id);
    g->mail_from = correlate_dup(from->mail_from);
    g->rcpt = correlate_dup(names_get(&c->rcpts, corr_at(c, m[0])->rcpt_name));
    for (unsigned i = 0; i < n; i++)
        correlate_add_member(g, m[i]);
}

static uint32_t first_delivered(const correlate *c, const uint32_t *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (correlate_delivered(corr_at(c, m[i])))
            return m[i];
    return UINT32_MAX;
}

/* The clusters of one hop: each seen more than once is a duplicate group; two or more
 * accepted are fan-out (one copy each, the first accepted). */
static void sort_out_clusters(correlate *c, unsigned gi, const uint32_t *order,
                              const unsigned *start, unsigned k, uint32_t *copies)
{
    unsigned ncopies = 0;
    for (unsigned j = 0; j < k; j++) {
        unsigned size = start[j + 1] - start[j];
        uint32_t delivered = first_delivered(c, order + start[j], size);
        if (size > 1)
            split_off(c, gi, order + start[j], size);
        if (delivered != UINT32_MAX)
            copies[ncopies++] = delivered;
    }
    if (ncopies < 2)
        return;
    sort_ctx = c;
    qsort(copies, ncopies, sizeof *copies, by_hop);
    sort_ctx = NULL;
    add_path(c, CORR_FANOUT, c->groups[gi].message_id, copies, ncopies);
}

/* The copies of one hop (see sort_out_clusters). Returns whether group gi had to be split:
 * not when it is all one hop (whole) and one recipient set. */
static int sort_out_hop(correlate *c, unsigned gi, const uint32_t *m, unsigned n, int whole)
{
    unsigned *cluster = malloc(n * sizeof *cluster), *start = malloc((n + 1) * sizeof *start);
    uint32_t *order = malloc(n * sizeof *order), *copies = malloc(n * sizeof *copies);
    unsigned k = 0;
    if (cluster && start && order && copies)
        k = by_recipients(c, m, n, cluster);
    if (whole && k == 1)
        k = 0;
    if (k) {
        by_cluster(m, n, cluster, k, order, start);
        sort_out_clusters(c, gi, order, start, k, copies);
    }
    free(cluster);
    free(start);
    free(order);
    free(copies);
    return k > 0;
}

/* The start of each hop in m (sorted by_hop) into start[]; returns how many hops. */
static unsigned hops_of(const correlate *c, const uint32_t *m, unsigned n, unsigned *start)
{
    unsigned h = 0;
    for (unsigned i = 0; i < n; i++)
        if (!i || corr_at(c, m[i])->received != corr_at(c, m[i - 1])->received)
            start[h++] = i;
    start[h] = n;
    return h;
}

/* Sorts group gi's attempts out by hop (see the top of this file). */
static void sort_out(correlate *c, unsigned gi, uint32_t *m, unsigned n, unsigned *start,
                     uint32_t *hop)
{
    unsigned h = hops_of(c, m, n, start);
    for (unsigned i = 0; i < h; i++)
        hop[i] = hop_attempt(c, m + start[i], start[i + 1] - start[i]);
    const char *id = c->groups[gi].message_id;
    if (h > 1 && is_loop(c, hop, h)) {
        add_path(c, CORR_LOOP, id, hop, h); /* retries inside a loop are part of it */
        c->groups[gi].split = 1;
        return;
    }
    int split = h > 1;
    if (split)
        add_path(c, CORR_RELAY, id, hop, h);
    for (unsigned i = 0; i < h; i++)
        split |= sort_out_hop(c, gi, m + start[i], start[i + 1] - start[i], h == 1);
    c->groups[gi].split = split;
}

void hops_sort_out(correlate *c, unsigned gi)
{
    unsigned n = c->groups[gi].n;
    uint32_t *m = malloc(n * sizeof *m), *hop = malloc(n * sizeof *hop);
    unsigned *start = malloc((n + 1) * sizeof *start);
    if (m && hop && start) {
        memcpy(m, c->groups[gi].members, n * sizeof *m);
        sort_ctx = c;
        qsort(m, n, sizeof *m, by_hop);
        sort_ctx = NULL;
        sort_out(c, gi, m, n, start, hop);
    }
    free(m);
    free(hop);
    free(start);
}

static int by_first_attempt(const void *x, const void *y)
{
    const corr_path *p = x, *q = y;
    int64_t a = corr_at(sort_ctx, p->members[0])->time;
    int64_t b = corr_at(sort_ctx, q->members[0])->time;
    if (a != b)
        return a < b ? -1 : 1;
    return (p->members[0] > q->members[0]) - (p->members[0] < q->members[0]);
}

void hops_order(correlate *c)
{
    sort_ctx = c;
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++)
        if (c->npaths[k])
            qsort(c->paths[k], c->npaths[k], sizeof(corr_path), by_first_attempt);
    sort_ctx = NULL;
}
