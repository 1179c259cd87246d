/* Pairing: each outside session with the inside session that carried it across the box. A
 * box that proxies or translates gives the inside its own ports and sequence numbers, and the
 * two captures' clocks may differ, so sessions pair by what they carry (Message-ID, body
 * digest, MAIL FROM and RCPT, HELO), then by time once the offset between the clocks is known
 * from the content-matched ones, and by server (an outside server maps to one inside
 * server). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "path/internal.h"

struct path {
    size_t max;
    path_session *s[2];
    size_t n[2], cap[2];
    uint64_t not_kept[2];
    path_work names; /* only its frame namer */
    path_result res;
    path_work *work; /* per pair, while comparing */
};

path *path_new(size_t max_sessions, path_frame_fn name_frame, void *ctx)
{
    path *p = calloc(1, sizeof *p);
    if (p) {
        p->max = max_sessions ? max_sessions : PATH_DEFAULT_MAX_SESSIONS;
        p->names.name_frame = name_frame;
        p->names.name_ctx = ctx;
    }
    return p;
}

void path_free(path *p)
{
    if (!p)
        return;
    free(p->s[0]);
    free(p->s[1]);
    for (size_t k = 0; k < p->res.npairs; k++)
        free(p->res.pairs[k].evidence);
    free(p->res.pairs);
    free(p->work);
    free(p);
}

/* buf with room for one more element (n of *cap used): doubled from 64 when full; NULL when
 * out of memory (buf is then still the caller's). */
static void *room_for_one(void *buf, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return buf;
    size_t grown_cap = *cap ? 2 * *cap : 64;
    void *grown = realloc(buf, grown_cap * elem);
    if (grown)
        *cap = grown_cap;
    return grown;
}

void path_add(path *p, path_vantage v, uint64_t id, const char *client, const char *server,
              const smtp_report *r)
{
    if (p->n[v] >= p->max) {
        p->not_kept[v]++;
        return;
    }
    path_session *room = room_for_one(p->s[v], &p->cap[v], p->n[v], sizeof *room);
    if (!room) {
        p->not_kept[v]++;
        return;
    }
    p->s[v] = room;
    path_session_from(&p->s[v][p->n[v]++], id, client, server, r);
}

uint64_t path_not_kept(const path *p, path_vantage v)
{
    return p->not_kept[v];
}

/* ---- content ---- */

enum { SCORE_ID = 8, SCORE_DIGEST = 8, SCORE_ENVELOPE = 4, SCORE_FROM = 2, SCORE_HELO = 1 };
#define SCORE_CONTENT SCORE_ENVELOPE /* enough to measure the clocks' offset from */
#define SCORE_CONFLICT (-1)

static int txn_score(const path_txn *a, const path_txn *b)
{
    int s = 0;
    if (a->id_hash && a->id_hash == b->id_hash)
        s += SCORE_ID;
    if (a->has_digest && b->has_digest && !memcmp(a->digest, b->digest, sizeof a->digest))
        s += SCORE_DIGEST;
    if (a->from_hash && a->from_hash == b->from_hash)
        s += a->rcpt_hash && a->rcpt_hash == b->rcpt_hash ? SCORE_ENVELOPE : SCORE_FROM;
    return s;
}

/* How sure it is that o and i are one session: the best transaction match, the HELO;
 * SCORE_CONFLICT when both carry Message-IDs and none is the same. */
static int pair_score(const path_session *o, const path_session *i, const char **by)
{
    int best = 0, ids = 0;
    *by = "time";
    for (unsigned a = 0; a < o->ntxn; a++)
        for (unsigned b = 0; b < i->ntxn; b++) {
            int s = txn_score(&o->txn[a], &i->txn[b]);
            ids |= o->txn[a].id_hash && i->txn[b].id_hash;
            if (s > best)
                best = s;
        }
    if (ids && best < SCORE_ID)
        return SCORE_CONFLICT;
    if (best >= SCORE_ID)
        *by = "Message-ID";
    else if (best >= SCORE_DIGEST)
        *by = "body digest";
    else if (best >= SCORE_ENVELOPE)
        *by = "MAIL FROM and RCPT";
    else if (best)
        *by = "MAIL FROM";
    if (o->helo_hash && o->helo_hash == i->helo_hash) {
        best += SCORE_HELO;
        *by = best > SCORE_HELO ? *by : "HELO";
    }
    return best;
}

/* ---- time ---- */

static const path_session *sort_base;

static int by_start(const void *a, const void *b)
{
    const path_session *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static size_t *sorted_by_start(path_session *s, size_t n)
{
    size_t *ix = malloc((n ? n : 1) * sizeof *ix);
    if (!ix)
        return NULL;
    for (size_t k = 0; k < n; k++)
        ix[k] = k;
    sort_base = s;
    qsort(ix, n, sizeof *ix, by_start);
    return ix;
}

/* The first of the sorted sessions that starts at or after t. */
static size_t first_from(const path_session *s, const size_t *ix, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[ix[mid]].start < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define USEC(sec) ((int64_t)((sec)*1e6))
/* Inside sessions looked at per outside session and key: enough for retries of a message. */
#define CANDIDATES 64

/* The inside's transactions by what identifies their message (the Message-ID, else sender and
 * recipients), then by start: an outside session finds its content candidates by search. */
typedef struct keyed {
    uint64_t key;
    int64_t start;
    size_t session;
} keyed;

static uint64_t txn_key(const path_txn *t)
{
    if (t->id_hash)
        return t->id_hash;
    return t->from_hash && t->rcpt_hash ? (t->from_hash * 0x9E3779B97F4A7C15ull) ^ t->rcpt_hash : 0;
}

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->session < y->session ? -1 : x->session > y->session;
}

static keyed *index_inside(const path *p, size_t *nk)
{
    keyed *k = malloc((p->n[1] * PATH_TXNS + 1) * sizeof *k);
    if (!k)
        return NULL;
    *nk = 0;
    for (size_t b = 0; b < p->n[1]; b++)
        for (unsigned t = 0; t < p->s[1][b].ntxn; t++) {
            uint64_t key = txn_key(&p->s[1][b].txn[t]);
            if (key)
                k[(*nk)++] = (keyed){key, p->s[1][b].start, b};
        }
    qsort(k, *nk, sizeof *k, by_key);
    return k;
}

/* The first entry of the index at or after (key, t). */
static size_t first_keyed(const keyed *k, size_t n, uint64_t key, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k[mid].key < key || (k[mid].key == key && k[mid].start < t))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef void (*visit_fn)(void *ctx, size_t o, size_t i);

/* Each inside session that shares a message with outside session o and starts within
 * [from, to]. */
static void visit_keyed(const path *p, const keyed *k, size_t nk, size_t o, int64_t from,
                        int64_t to, visit_fn fn, void *ctx)
{
    const path_session *s = &p->s[0][o];
    for (unsigned t = 0; t < s->ntxn; t++) {
        uint64_t key = txn_key(&s->txn[t]);
        if (!key)
            continue;
        size_t j = first_keyed(k, nk, key, from);
        for (unsigned seen = 0; j < nk && k[j].key == key && k[j].start <= to && seen < CANDIDATES;
             j++, seen++)
            fn(ctx, o, k[j].session);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct deltas {
    const path *p;
    int64_t *d;
    size_t n, cap;
    int failed;
} deltas;

static void add_delta(void *ctx, size_t o, size_t i)
{
    deltas *ds = ctx;
    const char *by;
    const path_session *os = &ds->p->s[0][o], *is = &ds->p->s[1][i];
    if (ds->failed || pair_score(os, is, &by) < SCORE_CONTENT)
        return;
    int64_t *room = room_for_one(ds->d, &ds->cap, ds->n, sizeof *room);
    if (!room) {
        ds->failed = 1;
        return;
    }
    ds->d = room;
    ds->d[ds->n++] = is->start - os->start;
}

/* The offset between the two sides' session starts: where most content-matched candidates
 * agree (the densest second of their differences), their median there. Retries of one
 * message a fixed interval apart give other differences too, but fewer of each. */
static int measure_offset(const path *p, const keyed *k, size_t nk, int64_t *offset)
{
    deltas ds = {p, NULL, 0, 0, 0};
    for (size_t o = 0; o < p->n[0]; o++) {
        int64_t t = p->s[0][o].start;
        visit_keyed(p, k, nk, o, t - USEC(PATH_MAX_CLOCK_OFFSET), t + USEC(PATH_MAX_CLOCK_OFFSET),
                    add_delta, &ds);
    }
    *offset = 0;
    if (ds.failed || !ds.n)
        return free(ds.d), ds.failed ? -1 : 0;
    qsort(ds.d, ds.n, sizeof *ds.d, cmp_i64);
    size_t best_lo = 0, best_n = 0;
    for (size_t lo = 0, hi = 0; lo < ds.n; lo++) {
        while (hi < ds.n && ds.d[hi] - ds.d[lo] <= USEC(1))
            hi++;
        if (hi - lo > best_n)
            best_lo = lo, best_n = hi - lo;
    }
    *offset = ds.d[best_lo + best_n / 2];
    free(ds.d);
    return 1;
}

/* ---- matching ---- */

typedef struct edge {
    size_t o, i; /* indexes into the sides' sessions */
    int score;
    int64_t dist; /* from where the offset puts the inside's start */
    const char *by;
} edge;

static int by_strength(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    if (x->o != y->o)
        return x->o < y->o ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int has_content(const path_session *s)
{
    for (unsigned t = 0; t < s->ntxn; t++)
        if (s->txn[t].from_hash || s->txn[t].id_hash)
            return 1;
    return 0;
}

/* A pair worth considering: content that agrees, or two sessions without content (refused
 * before MAIL) that began together. */
static int plausible(const path_session *o, const path_session *in, int score, int64_t dist)
{
    if (score == SCORE_CONFLICT || dist > USEC(PATH_WINDOW))
        return 0;
    if (score >= SCORE_FROM)
        return 1;
    return !has_content(o) && !has_content(in) && dist <= USEC(PATH_NEAR);
}

typedef struct edges {
    const path *p;
    int64_t offset;
    edge *e;
    size_t n, cap;
    int failed;
} edges;

static void add_edge(void *ctx, size_t o, size_t i)
{
    edges *es = ctx;
    const path_session *os = &es->p->s[0][o], *is = &es->p->s[1][i];
    int64_t dist = llabs(is->start - (os->start + es->offset));
    const char *by;
    int score = pair_score(os, is, &by);
    if (es->failed || !plausible(os, is, score, dist))
        return;
    edge *room = room_for_one(es->e, &es->cap, es->n, sizeof *room);
    if (!room) {
        es->failed = 1;
        return;
    }
    es->e = room;
    es->e[es->n++] = (edge){o, i, score, dist, by};
}

/* Sessions without a message pair by time alone: the inside ones that began nearest to
 * where the offset puts the outside's start, a few each way. */
static void visit_near(const path *p, const size_t *ix, size_t o, int64_t at, visit_fn fn,
                       void *ctx)
{
    size_t ni = p->n[1], mid = first_from(p->s[1], ix, ni, at);
    for (size_t b = mid, seen = 0; b < ni && seen < 8; b++, seen++) {
        if (p->s[1][ix[b]].start > at + USEC(PATH_NEAR))
            break;
        fn(ctx, o, ix[b]);
    }
    for (size_t b = mid, seen = 0; b > 0 && seen < 8; b--, seen++) {
        if (p->s[1][ix[b - 1]].start < at - USEC(PATH_NEAR))
            break;
        fn(ctx, o, ix[b - 1]);
    }
}

static edge *candidate_edges(const path *p, const size_t *ix, const keyed *k, size_t nk,
                             int64_t offset, size_t *nedges)
{
    edges es = {p, offset, NULL, 0, 0, 0};
    for (size_t o = 0; o < p->n[0]; o++) {
        int64_t at = p->s[0][o].start + offset;
        visit_keyed(p, k, nk, o, at - USEC(PATH_WINDOW), at + USEC(PATH_WINDOW), add_edge, &es);
        if (!has_content(&p->s[0][o]))
            visit_near(p, ix, o, at, add_edge, &es);
    }
    if (es.failed)
        return free(es.e), NULL;
    *nedges = es.n;
    return es.e ? es.e : calloc(1, sizeof *es.e);
}

/* Which inside server each outside server is, as the content-matched pairs showed it. */
#define SERVER_MAP 256
typedef struct server_map {
    const char *outside[SERVER_MAP], *inside[SERVER_MAP];
    unsigned n;
} server_map;

static const char *inside_server(const server_map *m, const char *outside)
{
    for (unsigned k = 0; k < m->n; k++)
        if (!strcmp(m->outside[k], outside))
            return m->inside[k];
    return NULL;
}

static void learn_server(server_map *m, const char *outside, const char *inside)
{
    if (m->n < SERVER_MAP && !inside_server(m, outside)) {
        m->outside[m->n] = outside;
        m->inside[m->n++] = inside;
    }
}

/* Greedy on strength: content first, then the nearest in time; weak pairs (no shared
 * message) also need the server pairing the strong ones showed (when they showed one). */
static void match(const path *p, edge *e, size_t ne, size_t *mate_o, size_t *mate_i,
                  const char **by)
{
    static server_map servers; /* 4 KB: off the stack */
    servers.n = 0;
    qsort(e, ne, sizeof *e, by_strength);
    for (size_t k = 0; k < ne; k++) {
        const char *os = p->s[0][e[k].o].server, *is = p->s[1][e[k].i].server;
        if (mate_o[e[k].o] != SIZE_MAX || mate_i[e[k].i] != SIZE_MAX)
            continue;
        const char *known = inside_server(&servers, os);
        if (e[k].score < SCORE_CONTENT && known && strcmp(known, is) != 0)
            continue;
        if (e[k].score >= SCORE_CONTENT)
            learn_server(&servers, os, is);
        mate_o[e[k].o] = e[k].i;
        mate_i[e[k].i] = e[k].o;
        by[e[k].o] = e[k].by;
    }
}

/* ---- the result ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static path_delays delays_of(double *v, unsigned n)
{
    path_delays d = {n, 0, 0};
    if (!n)
        return d;
    qsort(v, n, sizeof *v, cmp_double);
    d.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    d.max = v[n - 1];
    return d;
}

/* The inside clock's lead: none while every crossing takes time forward; else estimated so
 * that the fastest crossing each way takes as long (only the round trip is certain). */
static void measure_clock(path_result *r, const path_work *w, size_t n)
{
    int64_t min[2] = {INT64_MAX, INT64_MAX};
    for (size_t k = 0; k < n; k++)
        for (int d = 0; d < 2; d++)
            for (unsigned j = 0; j < w[k].nraw[d]; j++)
                if (w[k].raw[d][j] < min[d])
                    min[d] = w[k].raw[d][j];
    r->clock_offset = 0;
    r->clock_estimated = (min[0] != INT64_MAX && min[0] < 0) || (min[1] != INT64_MAX && min[1] < 0);
    if (!r->clock_estimated)
        return;
    if (min[0] != INT64_MAX && min[1] != INT64_MAX)
        r->clock_offset = (double)(min[0] - min[1]) / 2e6;
    else
        r->clock_offset = min[0] != INT64_MAX ? (double)min[0] / 1e6 : -(double)min[1] / 1e6;
}

static int settle_delays(path_result *r, const path_work *w)
{
    size_t total[2] = {0, 0};
    for (size_t k = 0; k < r->paired; k++)
        total[0] += w[k].nraw[0], total[1] += w[k].nraw[1];
    double *all[2] = {malloc((total[0] + 1) * sizeof(double)),
                      malloc((total[1] + 1) * sizeof(double))};
    if (!all[0] || !all[1])
        return free(all[0]), free(all[1]), -1;
    size_t used[2] = {0, 0};
    for (size_t k = 0; k < r->paired; k++) {
        path_pair *pr = &r->pairs[k];
        double one[2][PATH_STEPS + 1];
        for (int d = 0; d < 2; d++) {
            double shift = d == 0 ? -r->clock_offset : r->clock_offset;
            for (unsigned j = 0; j < w[k].nraw[d]; j++) {
                one[d][j] = (double)w[k].raw[d][j] / 1e6 + shift;
                all[d][used[d]++] = one[d][j];
            }
        }
        pr->to_server = delays_of(one[0], w[k].nraw[0]);
        pr->to_client = delays_of(one[1], w[k].nraw[1]);
        if (pr->to_server.n || pr->to_client.n)
            pr->findings |= 1u << PATH_DELAY;
    }
    r->to_server = delays_of(all[0], (unsigned)used[0]);
    r->to_client = delays_of(all[1], (unsigned)used[1]);
    free(all[0]);
    free(all[1]);
    return 0;
}

static int build_pairs(path *p, const size_t *ox, const size_t *ix, const size_t *mate_o,
                       const size_t *mate_i, const char **by)
{
    path_result *r = &p->res;
    size_t n = p->n[0] + p->n[1];
    r->pairs = calloc(n ? n : 1, sizeof *r->pairs);
    if (!r->pairs)
        return -1;
    for (size_t a = 0; a < p->n[0]; a++)
        if (mate_o[ox[a]] != SIZE_MAX)
            r->pairs[r->npairs++] = (path_pair){.outside = &p->s[0][ox[a]],
                                                .inside = &p->s[1][mate_o[ox[a]]],
                                                .matched_by = by[ox[a]]};
    r->paired = r->npairs;
    for (size_t a = 0; a < p->n[0]; a++)
        if (mate_o[ox[a]] == SIZE_MAX)
            r->pairs[r->npairs++] = (path_pair){.outside = &p->s[0][ox[a]]};
    r->outside_only = r->npairs - r->paired;
    for (size_t b = 0; b < p->n[1]; b++)
        if (mate_i[ix[b]] == SIZE_MAX)
            r->pairs[r->npairs++] = (path_pair){.inside = &p->s[1][ix[b]]};
    r->inside_only = r->npairs - r->paired - r->outside_only;
    return 0;
}

static int compare_all(path *p)
{
    path_result *r = &p->res;
    p->work = calloc(r->paired ? r->paired : 1, sizeof *p->work);
    if (!p->work)
        return -1;
    for (size_t k = 0; k < r->paired; k++) {
        p->work[k].name_frame = p->names.name_frame;
        p->work[k].name_ctx = p->names.name_ctx;
        path_compare_pair(&r->pairs[k], &p->work[k]);
    }
    measure_clock(r, p->work, r->paired);
    if (settle_delays(r, p->work) < 0)
        return -1;
    for (size_t k = 0; k < r->paired; k++)
        for (unsigned f = 0; f < PATH_FINDING_COUNT; f++)
            r->with[f] += (r->pairs[k].findings >> f) & 1;
    return 0;
}

static int pair_sessions(path *p, const size_t *ox, const size_t *ix)
{
    size_t nk = 0, ne = 0;
    keyed *k = index_inside(p, &nk);
    int64_t offset = 0;
    int from_content = k ? measure_offset(p, k, nk, &offset) : -1;
    p->res.coarse_offset = (double)offset / 1e6;
    p->res.offset_from_content = from_content > 0;
    size_t *mate_o = malloc((p->n[0] + 1) * sizeof *mate_o),
           *mate_i = malloc((p->n[1] + 1) * sizeof *mate_i);
    const char **by = calloc(p->n[0] + 1, sizeof *by);
    edge *e = from_content >= 0 ? candidate_edges(p, ix, k, nk, offset, &ne) : NULL;
    int rc = -1;
    if (mate_o && mate_i && by && e) {
        memset(mate_o, 0xff, (p->n[0] + 1) * sizeof *mate_o);
        memset(mate_i, 0xff, (p->n[1] + 1) * sizeof *mate_i);
        match(p, e, ne, mate_o, mate_i, by);
        rc = build_pairs(p, ox, ix, mate_o, mate_i, by);
    }
    free(k);
    free(e);
    free(mate_o);
    free(mate_i);
    free(by);
    return rc;
}

const path_result *path_compare(path *p)
{
    if (p->res.pairs)
        return &p->res;
    size_t *ox = sorted_by_start(p->s[0], p->n[0]), *ix = sorted_by_start(p->s[1], p->n[1]);
    int rc = ox && ix ? pair_sessions(p, ox, ix) : -1;
    free(ox);
    free(ix);
    if (rc < 0 || compare_all(p) < 0)
        return NULL;
    path_verdict(&p->res);
    return &p->res;
}
