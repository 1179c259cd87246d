/* correlate: the causes ranked from a session's flags, the same message found across
 * sessions (by Message-ID, by body digest), and clients that never QUIT (see correlate.h);
 * hops.c tells hops, loops and copies apart from duplicates. */
#include "report/correlate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/quantile.h"
#include "report/correlate_impl.h"
#include "report/servers.h"

/* ---- causes ---- */

#define HAS(flags, f) (((flags) & (f)) != 0)

/* A message that carries this many Received: lines has passed more relays than mail takes
 * (3 to 10 is usual; Postfix bounces a loop at 50, hopcount_limit): it is going round. */
enum { LOOP_RECEIVED_MIN = 25 };
#define LOOP_WEIGHT 0.6

/* Evidence for one cause combines as 1 - prod(1 - w), as independent signs do. */
static void add_sign(double *score, int present, double w)
{
    if (present)
        *score = 1.0 - (1.0 - *score) * (1.0 - w);
}

static int by_score(const void *a, const void *b)
{
    const cause *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (int)x->id - (int)y->id;
}

static unsigned sort_causes(const double score[CAUSE_COUNT], cause out[CAUSE_COUNT])
{
    unsigned n = 0;
    for (unsigned i = 0; i < CAUSE_COUNT; i++)
        if (score[i] > 0.0)
            out[n++] = (cause){(cause_id)i, score[i]};
    qsort(out, n, sizeof out[0], by_score);
    return n;
}

static int accepted_any(const smtp_report *s)
{
    for (unsigned i = 0; i < s->ntxn; i++)
        if (s->txns[i].eod.replied && s->txns[i].eod.reply / 100 == 2)
            return 1;
    return 0;
}

/* Whether a raised flag counts for its cause in this session (cause_rule). */
static int rule_holds(cause_rule rule, const smtp_report *s)
{
    unsigned f = s->flags;
    switch (rule) {
    case CAUSE_RULE_UNLESS_SPLIT:
        return !HAS(f, SMTP_FLAG_SPLIT_EOD_UNACKED);
    case CAUSE_RULE_IF_ACCEPTED:
        /* a client that gave up did not forget QUIT: that is the slow server's doing */
        return accepted_any(s) && !HAS(f, SMTP_FLAG_CLIENT_GAVE_UP);
    default:
        return 1;
    }
}

static int carries_many_received(const smtp_report *s)
{
    for (unsigned i = 0; i < s->ntxn; i++)
        if (s->txns[i].received >= LOOP_RECEIVED_MIN)
            return 1;
    return 0;
}

/* Each raised flag adds its weight (smtp/flags.def) to the cause it points at; a message with
 * a long trail of relays is evidence of a loop. */
static void session_scores(const smtp_report *s, double score[CAUSE_COUNT])
{
    memset(score, 0, sizeof(double) * CAUSE_COUNT);
    add_sign(&score[CAUSE_MAIL_LOOP], carries_many_received(s), LOOP_WEIGHT);
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++) {
        const smtp_flag_info *f = smtp_flag(i);
        if (!HAS(s->flags, 1u << i) || f->cause == CAUSE_NONE)
            continue;
        double w = f->rule == CAUSE_RULE_CONFIDENCE ? s->inspection_confidence : f->weight;
        add_sign(&score[f->cause], rule_holds(f->rule, s), w);
    }
}

unsigned correlate_rank_session(const smtp_report *s, cause out[CAUSE_COUNT])
{
    double score[CAUSE_COUNT];
    session_scores(s, score);
    return sort_causes(score, out);
}

/* A capture may hold millions of messages: the per-message record stays one cache line. */
_Static_assert(sizeof(corr_attempt) == 64, "corr_attempt is 64 bytes");

/* ---- what a key (a Message-ID's or a digest's hash) files under ---- */

/* The map's value of a key: the first attempt filed under it, and its group index + 1 (0
 * while the key was seen once), packed in one 64-bit value. */
static uint32_t first_attempt(uint64_t v)
{
    return (uint32_t)v;
}

static uint32_t group_of(uint64_t v)
{
    return (uint32_t)(v >> 32);
}

static uint64_t filed(uint32_t first, uint32_t group)
{
    return (uint64_t)group << 32 | first;
}

/* ---- the correlator ---- */

correlate *correlate_new(void)
{
    correlate *c = calloc(1, sizeof(correlate));
    if (c)
        c->rcpts.max = CORR_RCPT_NAMES_MAX;
    return c;
}

static void free_group(corr_group *g)
{
    free(g->message_id);
    free(g->mail_from);
    free(g->rcpt);
    free(g->members);
}

void correlate_free(correlate *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->ngroups; i++)
        free_group(&c->groups[i]);
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++) {
        for (unsigned i = 0; i < c->npaths[k]; i++)
            free(c->paths[k][i].members);
        free(c->paths[k]);
    }
    for (unsigned i = 0; i < c->nclients; i++)
        free(c->clients[i].address);
    names_free(&c->hosts);
    names_free(&c->rcpts);
    free(c->groups);
    free(c->free_groups);
    free(c->touched);
    free(c->order);
    free(c->attempts);
    free(c->extra);
    map_free(&c->keys);
    map_free(&c->client_keys);
    free(c->clients);
    free(c);
}

void correlate_set_window(correlate *c, int64_t window, uint64_t budget)
{
    c->window = window;
    c->budget = budget;
}

static int grow(void **p, size_t size, uint32_t *cap, uint32_t need)
{
    return correlate_grow(p, size, cap, need, 256);
}

static uint64_t group_heap(const corr_group *g)
{
    return g->cap * sizeof *g->members + (g->message_id ? strlen(g->message_id) + 1 : 0) +
           (g->mail_from ? strlen(g->mail_from) + 1 : 0) + (g->rcpt ? strlen(g->rcpt) + 1 : 0);
}

/* Remembers that the last session's attempts joined group gi (once). */
static void touch(correlate *c, unsigned gi)
{
    for (unsigned i = 0; i < c->ntouched; i++)
        if (c->touched[i] == gi)
            return;
    uint32_t cap = c->tcap;
    if (correlate_grow((void **)&c->touched, sizeof *c->touched, &cap, c->ntouched + 1, 8) < 0)
        return;
    c->tcap = cap;
    c->touched[c->ntouched++] = gi;
}

/* A Message-ID group holds the attempt: a digest group of the same attempts adds nothing. */
static void mark_in_id_group(correlate *c, const corr_group *g, uint32_t attempt)
{
    if (!g->by_digest)
        corr_extra_of(c, attempt)->in_id_group = 1;
}

static void join(correlate *c, unsigned gi, uint32_t attempt)
{
    corr_group *g = &c->groups[gi];
    uint64_t before = group_heap(g);
    correlate_add_member(g, attempt);
    c->heap += group_heap(g) - before;
    mark_in_id_group(c, g, attempt);
    touch(c, gi);
}

static corr_group *new_group(correlate *c, const smtp_txn *t, int by_digest, uint64_t key,
                             uint32_t first)
{
    corr_group *g = correlate_new_group(c);
    if (!g)
        return NULL;
    g->key = key;
    g->first = first;
    g->by_digest = by_digest;
    g->message_id = correlate_dup(t->message_id);
    g->mail_from = correlate_dup(t->mail_from);
    g->rcpt = correlate_dup(t->nrcpt ? t->rcpt[0] : NULL);
    g->has_digest = t->has_digest;
    memcpy(g->digest, t->digest, sizeof g->digest);
    correlate_add_member(g, first);
    mark_in_id_group(c, g, first);
    c->heap += group_heap(g);
    return g;
}

static void file_under(correlate *c, uint64_t key, const smtp_txn *t, int by_digest,
                       uint32_t attempt)
{
    int added;
    uint64_t *v = map_upsert(&c->keys, key, &added);
    if (!v)
        return;
    if (added) {
        *v = filed(attempt, 0);
        return;
    }
    if (!group_of(*v)) {
        corr_group *g = new_group(c, t, by_digest, key, first_attempt(*v));
        if (!g)
            return;
        *v = filed(first_attempt(*v), (uint32_t)(g - c->groups) + 1);
    }
    join(c, group_of(*v) - 1, attempt);
}

static uint64_t digest_key(const smtp_txn *t)
{
    /* the same body from another sender, or to other recipients, is another message */
    XXH64_hash_t h = XXH3_64bits_withSeed(t->digest, sizeof t->digest, 2);
    const char *from = t->mail_from ? t->mail_from : "";
    const char *to = t->nrcpt ? t->rcpt[0] : "";
    h = XXH3_64bits_withSeed(from, strlen(from), h);
    return map_key(XXH3_64bits_withSeed(to, strlen(to), h));
}

static uint64_t message_id_key(const smtp_txn *t)
{
    return map_key(XXH3_64bits_withSeed(t->message_id, strlen(t->message_id), 1));
}

static int was_sent(const smtp_txn *t)
{
    return t->data_reply == 354 || t->bdat_chunks > 0;
}

/* Milliseconds from a to b, within int32_t. */
static int32_t ms_between(int64_t a, int64_t b)
{
    int64_t ms = (b - a) / 1000;
    return ms > INT32_MAX ? INT32_MAX : ms < INT32_MIN ? INT32_MIN : (int32_t)ms;
}

/* Keeps h among the CORR_RCPT_HASHES lowest in *out (ascending, 0 = free), once. */
static void keep_lowest(uint32_t out[CORR_RCPT_HASHES], uint32_t h)
{
    unsigned k = 0;
    while (k < CORR_RCPT_HASHES && out[k] && out[k] < h)
        k++;
    if (k == CORR_RCPT_HASHES || out[k] == h)
        return;
    memmove(&out[k + 1], &out[k], (CORR_RCPT_HASHES - 1 - k) * sizeof *out);
    out[k] = h;
}

/* The recipients as a bounded fingerprint (the lowest hashes: the same for the same set in
 * any order) and the first one's name for the fan-out report. */
static void note_recipients(correlate *c, corr_attempt *a, const smtp_txn *t)
{
    memset(a->rcpt_hash, 0, sizeof a->rcpt_hash);
    for (unsigned k = 0; k < t->nrcpt; k++) {
        uint32_t h = (uint32_t)XXH3_64bits_withSeed(t->rcpt[k], strlen(t->rcpt[k]), 4);
        keep_lowest(a->rcpt_hash, h ? h : 1);
    }
    a->nrcpt = (uint8_t)(t->rcpt_total > 255 ? 255 : t->rcpt_total);
    a->rcpt_name = t->nrcpt ? names_add(&c->rcpts, t->rcpt[0], strlen(t->rcpt[0])) : NAMES_NONE;
}

/* Who carried it: the client's host, the server's endpoint and host. */
static void note_hop(correlate *c, corr_attempt *a, const char *client, const char *server)
{
    const char *host;
    size_t n = names_host_part(client, &host);
    a->client = names_add(&c->hosts, host, n);
    a->server = names_add(&c->hosts, server, strlen(server));
    n = names_host_part(server, &host);
    a->server_host = names_add(&c->hosts, host, n);
}

static void note_times(corr_attempt *a, const smtp_txn *t)
{
    a->time = t->eod.seen ? t->eod.part[t->eod.nparts - 1].ts : t->data_at.ts;
    a->sent_ms = ms_between(t->data_at.ts, a->time);
    a->accepted_ms = t->eod.replied ? ms_between(a->time, t->eod.reply_at.ts) : -1;
    if (a->accepted_ms < -1)
        a->accepted_ms = 0; /* a reply before the end of data: as good as at once */
}

/* Room for one more attempt in the ring: doubles it, each live attempt moving to its place
 * under the new mask. */
static int ring_room(correlate *c)
{
    uint32_t live = c->next - c->oldest;
    if (live < c->cap)
        return 0;
    uint32_t cap = c->cap ? c->cap * 2 : 256;
    corr_attempt *a = malloc((size_t)cap * sizeof *a);
    corr_extra *x = malloc((size_t)cap * sizeof *x);
    if (!a || !x || !cap) {
        free(a);
        free(x);
        return -1;
    }
    for (uint32_t s = c->oldest; s != c->next; s++) {
        a[s & (cap - 1)] = *corr_at(c, s);
        x[s & (cap - 1)] = *corr_extra_of(c, s);
    }
    free(c->attempts);
    free(c->extra);
    c->attempts = a;
    c->extra = x;
    c->cap = cap;
    return 0;
}

static void retire_oldest(correlate *c, const servers *srv, const corr_sink *sink);
static uint64_t held_bytes(const correlate *c);
static int past_window(const correlate *c);

/* The ring is full and doubling it (and the key map that grows with it) would pass the
 * budget: the oldest attempt makes room instead. */
static int ring_full_at_budget(const correlate *c)
{
    uint64_t per_slot = sizeof(corr_attempt) + sizeof(corr_extra) + 4 * sizeof(map_slot);
    return c->budget && c->cap && c->next - c->oldest == c->cap &&
           held_bytes(c) + (uint64_t)c->cap * per_slot > c->budget;
}

static void add_attempt(correlate *c, uint64_t id, const char *client, const char *server,
                        unsigned i, const smtp_report *s, const double score[CAUSE_COUNT])
{
    const smtp_txn *t = &s->txns[i];
    if (ring_full_at_budget(c))
        retire_oldest(c, c->srv, c->sink);
    if (ring_room(c) < 0)
        return;
    uint32_t n = c->next;
    corr_attempt *a = corr_at(c, n);
    corr_extra *x = corr_extra_of(c, n);
    a->session = id > UINT32_MAX ? UINT32_MAX : (uint32_t)id;
    a->txn = (uint8_t)i;
    note_times(a, t);
    note_hop(c, a, client, server);
    note_recipients(c, a, t);
    a->received = (uint8_t)(t->received > 255 ? 255 : t->received);
    a->reply = t->eod.replied && t->eod.reply > 0 ? (uint16_t)t->eod.reply : 0;
    a->flags = s->flags;
    a->quit = (uint8_t)s->quit;
    for (unsigned k = 0; k < CAUSE_COUNT; k++)
        x->score[k] = (uint8_t)(score[k] * 100.0 + 0.5);
    x->in_id_group = 0;
    x->key[0] = t->message_id ? message_id_key(t) : 0;
    x->key[1] = t->has_digest ? digest_key(t) : 0;
    c->next++;
    c->next64++;
    if (a->time > c->now)
        c->now = a->time;
    /* what is older than the window goes before this attempt is filed: it groups with
     * nothing past the window */
    while (past_window(c) && c->oldest != n)
        retire_oldest(c, c->srv, c->sink);
    for (unsigned k = 0; k < 2; k++)
        if (x->key[k])
            file_under(c, x->key[k], t, k == 1, n);
}

void correlate_session(correlate *c, uint64_t id, const char *client, const char *server,
                       const smtp_report *s)
{
    double score[CAUSE_COUNT];
    session_scores(s, score);
    c->ntouched = 0;
    c->session_first = c->next;
    for (unsigned i = 0; i < s->ntxn; i++)
        if (was_sent(&s->txns[i]))
            add_attempt(c, id, client, server, i, s, score);
}

/* ---- settling the groups ---- */

static double median_interval(const correlate *c, const corr_group *g)
{
    int64_t *t = malloc(g->n * sizeof *t);
    double *d = malloc(g->n * sizeof *d);
    double m = 0.0;
    if (t && d) {
        for (unsigned i = 0; i < g->n; i++)
            t[i] = corr_at(c, g->members[i])->time;
        m = quantile_median_gap(t, g->n, d);
    }
    free(t);
    free(d);
    return m;
}

static const correlate *sort_ctx;

static int by_attempt_time(const void *a, const void *b)
{
    int64_t x = corr_at(sort_ctx, *(const uint32_t *)a)->time;
    int64_t y = corr_at(sort_ctx, *(const uint32_t *)b)->time;
    return (x > y) - (x < y);
}

/* An attempt of the group carried a long trail of relays (seen on one hop only, a loop
 * shows no other way). */
static int group_went_round(const correlate *c, const corr_group *g)
{
    for (unsigned i = 0; i < g->n; i++)
        if (corr_at(c, g->members[i])->received >= LOOP_RECEIVED_MIN)
            return 1;
    return 0;
}

/* A sender that found a server busy retries within minutes and then delivers: what the
 * server did from 10 minutes before the first attempt to a minute after the last belongs to
 * it. */
#define SIGNS_BEFORE (600 * (int64_t)1000000)
#define SIGNS_AFTER (60 * (int64_t)1000000)

/* How much each sign of an overloaded server says, before its count adds up to 0.5 more:
 * a server turning connections away says it plainly, lateness less so (a slow disk, a
 * content scan). */
static const double sign_weight[SERVER_SIGN_COUNT] = {
    [SERVER_SIGN_CONNECT_FAILED] = 0.4,
    [SERVER_SIGN_BUSY_421] = 0.4,
    [SERVER_SIGN_LATE_GREETING] = 0.3,
    [SERVER_SIGN_LATE_REPLY] = 0.3,
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The group's own sessions at server that show each sign: the group's own flags already
 * count in its causes, so "around the attempts" means the server's other sessions. */
static void own_signs(const correlate *c, const corr_group *g, uint32_t server,
                      unsigned own[SERVER_SIGN_COUNT])
{
    for (unsigned i = 0; i < g->n; i++) {
        const corr_attempt *a = corr_at(c, g->members[i]);
        if (a->server != server || (i && a->session == corr_at(c, g->members[i - 1])->session))
            continue;
        unsigned signs = servers_session_signs(a->flags);
        for (unsigned k = 0; k < SERVER_SIGN_COUNT; k++)
            own[k] += (signs >> k) & 1;
    }
}

/* One server's signs count for the cause in full; the evidence keeps the first
 * CORR_SIGN_SERVERS servers, as the evidence lines are few. */
static void note_server(corr_group *g, const corr_server_signs *found, double *score)
{
    unsigned any = 0;
    for (unsigned k = 0; k < SERVER_SIGN_COUNT; k++) {
        unsigned n = found->n[k];
        add_sign(score, n > 0, sign_weight[k] + 0.1 * (n < 5 ? n : 5));
        any += n;
    }
    if (any && g->nsigns < CORR_SIGN_SERVERS)
        g->signs[g->nsigns++] = *found;
}

/* Each distinct server of the group (its attempts sorted by time) that turned connects away,
 * answered 421, greeted or answered end of data late around the attempts in other sessions:
 * the server was overloaded, and its senders retried. */
static void server_signs(const correlate *c, corr_group *g, const servers *srv, double *score)
{
    g->nsigns = 0;
    uint32_t *at = srv ? malloc(g->n * sizeof *at) : NULL;
    if (!at)
        return;
    for (unsigned i = 0; i < g->n; i++)
        at[i] = corr_at(c, g->members[i])->server;
    qsort(at, g->n, sizeof *at, cmp_u32);
    int64_t from = corr_at(c, g->members[0])->time - SIGNS_BEFORE;
    int64_t to = corr_at(c, g->members[g->n - 1])->time + SIGNS_AFTER;
    for (unsigned i = 0; i < g->n; i++) {
        const char *name = correlate_host(c, at[i]);
        if ((i && at[i] == at[i - 1]) || !name)
            continue;
        corr_server_signs found = {.server = at[i]};
        unsigned own[SERVER_SIGN_COUNT] = {0};
        own_signs(c, g, at[i], own);
        for (unsigned k = 0; k < SERVER_SIGN_COUNT; k++) {
            unsigned n = servers_signs_between(srv, name, (server_sign)k, from, to);
            found.n[k] = n > own[k] ? n - own[k] : 0;
        }
        note_server(g, &found, score);
    }
    free(at);
}

/* Causes of a group: the mean over the attempts that failed (the ones that explain a
 * re-send), or over all when none failed; plus the sender re-sending an accepted message. */
static void settle_group(correlate *c, corr_group *g, const servers *srv)
{
    sort_ctx = c;
    qsort(g->members, g->n, sizeof *g->members, by_attempt_time);
    sort_ctx = NULL;
    double score[CAUSE_COUNT] = {0};
    int64_t first_ack = 0;
    g->acknowledged = 0;
    g->resent_after_ack = 0;
    for (unsigned i = 0; i < g->n; i++) {
        const corr_attempt *a = corr_at(c, g->members[i]);
        g->acknowledged += a->reply / 100 == 2;
        if (correlate_delivered(a) && (!first_ack || a->time < first_ack))
            first_ack = a->time;
    }
    unsigned failed = 0;
    for (unsigned i = 0; i < g->n; i++)
        failed += !correlate_delivered(corr_at(c, g->members[i]));
    for (unsigned i = 0; i < g->n; i++) {
        if (failed && correlate_delivered(corr_at(c, g->members[i])))
            continue;
        for (unsigned k = 0; k < CAUSE_COUNT; k++)
            score[k] +=
                corr_extra_of(c, g->members[i])->score[k] / 100.0 / (failed ? failed : g->n);
    }
    for (unsigned i = 0; i < g->n && first_ack; i++)
        g->resent_after_ack |= corr_at(c, g->members[i])->time > first_ack;
    add_sign(&score[CAUSE_SENDER_RESENT], g->resent_after_ack, 0.9);
    add_sign(&score[CAUSE_MAIL_LOOP], group_went_round(c, g), LOOP_WEIGHT);
    server_signs(c, g, srv, &score[CAUSE_SERVER_OVERLOADED]);
    g->ncauses = sort_causes(score, g->causes);
    g->interval_median = median_interval(c, g);
}

static int group_badness(const corr_group *g)
{
    return (int)(g->n - g->acknowledged) * 1000 + (int)g->n;
}

static int worst_first(const void *a, const void *b)
{
    const corr_group *x = &sort_ctx->groups[*(const unsigned *)a];
    const corr_group *y = &sort_ctx->groups[*(const unsigned *)b];
    int bx = group_badness(x), by = group_badness(y);
    if (bx != by)
        return by - bx;
    int64_t tx = corr_at(sort_ctx, x->members[0])->time;
    int64_t ty = corr_at(sort_ctx, y->members[0])->time;
    return (tx > ty) - (tx < ty);
}

/* A digest group adds nothing when all its attempts are already in Message-ID groups. */
static int adds_news(const correlate *c, const corr_group *g)
{
    if (!g->by_digest)
        return 1;
    for (unsigned i = 0; i < g->n; i++)
        if (!corr_extra_of(c, g->members[i])->in_id_group)
            return 1;
    return 0;
}

/* When an attempt's DATA went out and when its end of data was answered (microseconds). */
static int64_t sent_at(const corr_attempt *a)
{
    return a->time - (int64_t)a->sent_ms * 1000;
}

static int64_t answered_at(const corr_attempt *a)
{
    return a->time + (int64_t)a->accepted_ms * 1000;
}

/* Two messages with one body, sender and recipient (a template, a test tool's default text)
 * look to the digest like a message re-sent under a new Message-ID. A sender re-sends only
 * what it believes failed: copies each accepted, each sent while the one before it still
 * waited for its answer, are messages of their own, not one message twice. */
static int concurrent_copies(const correlate *c, const corr_group *g)
{
    if (!g->by_digest || g->n < 2)
        return 0;
    uint32_t *m = malloc(g->n * sizeof *m);
    if (!m)
        return 0;
    memcpy(m, g->members, g->n * sizeof *m);
    sort_ctx = c;
    qsort(m, g->n, sizeof *m, by_attempt_time);
    sort_ctx = NULL;
    int concurrent = 1;
    for (unsigned i = 0; i + 1 < g->n && concurrent; i++) {
        const corr_attempt *a = corr_at(c, m[i]), *b = corr_at(c, m[i + 1]);
        concurrent = correlate_delivered(a) && correlate_delivered(b) &&
                     !(a->flags & SMTP_FLAG_CLIENT_GAVE_UP) && sent_at(b) < answered_at(a);
    }
    free(m);
    return concurrent;
}

/* Whether raw group g stands for duplicates at all: a digest group of attempts all in
 * Message-ID groups adds nothing, and copies each accepted while the one before waited are
 * several messages. */
static int worth_sorting(const correlate *c, const corr_group *g)
{
    return !g->dead && g->key && adds_news(c, g) && !concurrent_copies(c, g);
}

/* Each group found while recording is split by hop (hops.c): what stays a group, or is
 * split off as one, is the same message more than once over the same hop. */
static void sort_out_hops(correlate *c)
{
    unsigned found = c->ngroups;
    for (unsigned i = 0; i < found; i++) {
        corr_group *g = &c->groups[i];
        if (g->dead || !adds_news(c, g))
            continue;
        if (concurrent_copies(c, g))
            g->split = 1; /* no duplicate: several messages */
        else
            hops_sort_out(c, i);
    }
    hops_order(c);
}

void correlate_finish(correlate *c, const servers *srv)
{
    sort_out_hops(c);
    free(c->order);
    c->order = malloc((c->ngroups ? c->ngroups : 1) * sizeof *c->order);
    c->norder = 0;
    if (!c->order)
        return;
    for (unsigned i = 0; i < c->ngroups; i++) {
        if (c->groups[i].dead || c->groups[i].split || !adds_news(c, &c->groups[i]))
            continue;
        settle_group(c, &c->groups[i], srv);
        c->order[c->norder++] = i;
    }
    sort_ctx = c;
    qsort(c->order, c->norder, sizeof *c->order, worst_first);
    sort_ctx = NULL;
}

/* ---- groups as they stand: streaming and the window ---- */

/* Serials in the order recorded, wrap or not. */
static uint32_t age(const correlate *c, uint32_t serial)
{
    return serial - c->oldest;
}

uint64_t correlate_group_id(const correlate *c, const corr_group *g)
{
    uint32_t first = g->members[0];
    for (unsigned i = 1; i < g->n; i++)
        if (age(c, g->members[i]) < age(c, first))
            first = g->members[i];
    uint64_t serial = c->next64 - (uint32_t)(c->next - first) + 1;
    return serial * 2 + (g->by_digest != 0);
}

static int holds_since(const correlate *c, const corr_group *g, uint32_t since)
{
    for (unsigned i = 0; i < g->n; i++)
        if (age(c, g->members[i]) >= age(c, since))
            return 1;
    return 0;
}

typedef struct standing {
    unsigned ngroups, npaths[CORR_PATH_KINDS];
} standing;

/* Takes back what working out group gi's standing added: the groups split from it, the
 * paths found. */
static void take_back(correlate *c, unsigned gi, const standing *st)
{
    for (unsigned i = st->ngroups; i < c->ngroups; i++)
        free_group(&c->groups[i]);
    c->ngroups = st->ngroups;
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++) {
        for (unsigned i = st->npaths[k]; i < c->npaths[k]; i++)
            free(c->paths[k][i].members);
        c->npaths[k] = st->npaths[k];
    }
    c->groups[gi].split = 0;
    c->no_reuse = 0;
}

static void hand_one(correlate *c, corr_group *g, const servers *srv, int final,
                     const corr_sink *sink)
{
    settle_group(c, g, srv);
    sink->group(sink->ctx, c, g, final);
    c->groups_expired += final != 0;
    c->groups_formed += !final && g->n == 2; /* its first update */
}

/* Raw group gi as the end of the capture would report it now: itself, or the duplicate
 * groups split from it by hop that hold an attempt at or after since, handed to the sink;
 * with final, also the paths it is. Nothing of it is kept. */
static void hand_over(correlate *c, unsigned gi, const servers *srv, uint32_t since, int final,
                      const corr_sink *sink)
{
    if (!sink || !worth_sorting(c, &c->groups[gi]))
        return;
    standing st = {.ngroups = c->ngroups};
    memcpy(st.npaths, c->npaths, sizeof st.npaths);
    c->no_reuse = 1;
    hops_sort_out(c, gi);
    for (unsigned i = st.ngroups; i < c->ngroups; i++) {
        if (!holds_since(c, &c->groups[i], since))
            continue;
        hand_one(c, &c->groups[i], srv, final, sink);
    }
    if (!c->groups[gi].split)
        hand_one(c, &c->groups[gi], srv, final, sink);
    for (unsigned k = 0; k < CORR_PATH_KINDS && final && sink->path; k++)
        for (unsigned i = st.npaths[k]; i < c->npaths[k]; i++)
            sink->path(sink->ctx, c, &c->paths[k][i]);
    take_back(c, gi, &st);
}

void correlate_set_sink(correlate *c, const servers *srv, const corr_sink *sink)
{
    c->srv = srv;
    c->sink = sink;
}

/* Each update sorts the group's attempts: a group that keeps growing (a retry storm, one
 * message sent again and again) is worked out again when its count doubles past
 * CORR_UPDATE_EVERY, not at each attempt, or a run would cost the square of its size. */
static int worth_an_update(const corr_group *g)
{
    return g->n <= CORR_UPDATE_EVERY || !(g->n & (g->n - 1));
}

void correlate_updates(correlate *c)
{
    for (unsigned i = 0; i < c->ntouched && c->sink; i++)
        if (worth_an_update(&c->groups[c->touched[i]]))
            hand_over(c, c->touched[i], c->srv, c->session_first, 0, c->sink);
    c->ntouched = 0;
}

/* Group gi leaves: handed over final, its key and slot freed. */
static void retire_group(correlate *c, unsigned gi, const servers *srv, const corr_sink *sink)
{
    hand_over(c, gi, srv, c->groups[gi].first, 1, sink);
    corr_group *g = &c->groups[gi];
    c->heap -= group_heap(g);
    free_group(g);
    memset(g, 0, sizeof *g);
    g->dead = 1;
    uint32_t cap = c->fcap;
    if (correlate_grow((void **)&c->free_groups, sizeof *c->free_groups, &cap, c->nfree + 1, 16) ==
        0) {
        c->fcap = cap;
        c->free_groups[c->nfree++] = gi;
    }
}

/* The oldest attempt leaves: the keys filed under it alone go, and a group it began leaves
 * with it. */
static void retire_oldest(correlate *c, const servers *srv, const corr_sink *sink)
{
    uint32_t s = c->oldest;
    const corr_extra *x = corr_extra_of(c, s);
    for (unsigned k = 0; k < 2; k++) {
        uint64_t *v = x->key[k] ? map_find(&c->keys, x->key[k], NULL, NULL) : NULL;
        if (!v || first_attempt(*v) != s)
            continue;
        uint32_t gi = group_of(*v);
        map_remove(&c->keys, x->key[k], NULL, NULL, NULL);
        if (gi && !c->groups[gi - 1].dead && c->groups[gi - 1].first == s)
            retire_group(c, gi - 1, srv, sink);
    }
    c->oldest++;
    c->expired++;
}

/* What the correlator holds: the per-attempt arrays at their capacity, the key maps, the
 * groups and their members and strings, the name tables, the clients. */
static uint64_t held_bytes(const correlate *c)
{
    return (uint64_t)c->cap * (sizeof(corr_attempt) + sizeof(corr_extra)) +
           (c->keys.cap + c->client_keys.cap) * sizeof(map_slot) +
           (uint64_t)c->gcap * sizeof(corr_group) + c->heap + names_bytes(&c->hosts) +
           names_bytes(&c->rcpts) + c->client_heap + (uint64_t)c->ccap * sizeof(corr_client);
}

static int past_window(const correlate *c)
{
    return c->oldest != c->next && c->window && corr_at(c, c->oldest)->time < c->now - c->window;
}

/* The name tables again from the attempts still held: hosts and recipients of attempts gone
 * are not kept. */
static void rebuild_names(correlate *c)
{
    names hosts = {0}, rcpts = {.max = CORR_RCPT_NAMES_MAX};
    for (uint32_t s = c->oldest; s != c->next; s++) {
        corr_attempt *a = corr_at(c, s);
        a->client = names_carry(&c->hosts, &hosts, a->client);
        a->server = names_carry(&c->hosts, &hosts, a->server);
        a->server_host = names_carry(&c->hosts, &hosts, a->server_host);
        a->rcpt_name = names_carry(&c->rcpts, &rcpts, a->rcpt_name);
    }
    names_free(&c->hosts);
    names_free(&c->rcpts);
    c->hosts = hosts;
    c->rcpts = rcpts;
}

/* A client's host as its key in client_keys. */
static uint64_t client_key(const char *host, size_t len)
{
    return map_key(XXH3_64bits_withSeed(host, len, 3));
}

/* Clients whose last session ended before keep go (their never-QUIT counts start again). */
static void sweep_clients(correlate *c, int64_t keep)
{
    unsigned n = 0;
    map_free(&c->client_keys);
    c->client_heap = 0;
    for (unsigned i = 0; i < c->nclients; i++) {
        corr_client *cl = &c->clients[i];
        if (cl->last < keep) {
            free(cl->address);
            c->clients_expired++;
            continue;
        }
        size_t len = strlen(cl->address);
        c->clients[n] = *cl;
        c->client_heap += len + 1;
        map_add(&c->client_keys, client_key(cl->address, len), n);
        n++;
    }
    c->nclients = n;
    /* the array shrinks with them, else its high-water mark stays */
    unsigned cap = n * 2 > 256 ? n * 2 : 256;
    corr_client *smaller = cap < c->ccap ? realloc(c->clients, cap * sizeof *smaller) : NULL;
    if (smaller) {
        c->clients = smaller;
        c->ccap = cap;
    }
}

/* Past the budget, the oldest eighth of the attempts goes at a time, and the name tables
 * and clients are rebuilt from what stays when they hold an eighth of it: the work is done
 * once per many sessions, not for each. */
static void keep_budget(correlate *c, const servers *srv, const corr_sink *sink)
{
    while (c->budget && held_bytes(c) > c->budget && c->oldest != c->next) {
        for (uint32_t n = (c->next - c->oldest) / 8 + 1; n > 0 && c->oldest != c->next; n--)
            retire_oldest(c, srv, sink);
        if (names_bytes(&c->hosts) + names_bytes(&c->rcpts) > c->budget / 8)
            rebuild_names(c);
        if (c->client_heap + (uint64_t)c->ccap * sizeof(corr_client) > c->budget / 8)
            sweep_clients(c, c->oldest != c->next ? corr_at(c, c->oldest)->time : c->now);
    }
}

void correlate_expire(correlate *c)
{
    while (past_window(c))
        retire_oldest(c, c->srv, c->sink);
    /* at most 16 sweeps a window: each costs a pass over the clients */
    if (c->window && c->nclients && c->clients[0].last < c->now - c->window &&
        c->now - c->swept_at > c->window / 16) {
        sweep_clients(c, c->now - c->window);
        c->swept_at = c->now;
    }
    keep_budget(c, c->srv, c->sink);
    uint64_t held = held_bytes(c);
    if (held > c->peak)
        c->peak = held;
}

unsigned correlate_ngroups(const correlate *c)
{
    return c->norder;
}

const corr_group *correlate_group(const correlate *c, unsigned i)
{
    return &c->groups[c->order[i]];
}

const corr_attempt *correlate_attempt(const correlate *c, uint32_t index)
{
    return corr_at(c, index);
}

unsigned correlate_npaths(const correlate *c, corr_path_kind kind)
{
    return kind < CORR_PATH_KINDS ? c->npaths[kind] : 0;
}

const corr_path *correlate_path(const correlate *c, corr_path_kind kind, unsigned i)
{
    return kind < CORR_PATH_KINDS && i < c->npaths[kind] ? &c->paths[kind][i] : NULL;
}

const char *correlate_host(const correlate *c, uint32_t index)
{
    return names_get(&c->hosts, index);
}

const char *correlate_rcpt(const correlate *c, uint32_t index)
{
    return names_get(&c->rcpts, index);
}

int64_t correlate_held(const corr_attempt *a, const corr_attempt *b)
{
    int64_t accepted = a->time + (int64_t)(a->accepted_ms < 0 ? 0 : a->accepted_ms) * 1000;
    int64_t sent = b->time - (int64_t)b->sent_ms * 1000;
    return sent - accepted;
}

void correlate_digest_hex(const uint8_t digest[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[32] = '\0';
}

/* ---- clients that never say QUIT ---- */

void correlate_client(correlate *c, const char *endpoint, const smtp_report *s)
{
    const char *host;
    size_t n = names_host_part(endpoint, &host);
    int added;
    uint64_t *v = map_upsert(&c->client_keys, client_key(host, n), &added);
    if (!v)
        return;
    if (added) {
        uint32_t cap = c->ccap;
        char *addr = malloc(n + 1);
        if (!addr || grow((void **)&c->clients, sizeof *c->clients, &cap, c->nclients + 1) < 0) {
            free(addr);
            *v = UINT32_MAX;
            return;
        }
        c->ccap = cap;
        memcpy(addr, host, n);
        addr[n] = '\0';
        c->clients[c->nclients] = (corr_client){addr, 0, 0, 0};
        c->client_heap += n + 1;
        *v = c->nclients++;
    }
    if (*v == UINT32_MAX)
        return;
    corr_client *cl = &c->clients[*v];
    cl->sessions++;
    cl->missing_quit += HAS(s->flags, SMTP_FLAG_MISSING_QUIT);
    cl->last = c->now;
}

static int never_quits(const corr_client *cl, unsigned min_sessions)
{
    return cl->sessions >= min_sessions && cl->missing_quit == cl->sessions;
}

unsigned correlate_nclients_never_quit(const correlate *c, unsigned min_sessions)
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->nclients; i++)
        n += never_quits(&c->clients[i], min_sessions);
    return n;
}

const corr_client *correlate_next_never_quit(const correlate *c, unsigned min_sessions,
                                             unsigned *pos)
{
    while (*pos < c->nclients) {
        const corr_client *cl = &c->clients[(*pos)++];
        if (never_quits(cl, min_sessions))
            return cl;
    }
    return NULL;
}

void correlate_counts(const correlate *c, corr_counts *out)
{
    *out = (corr_counts){.groups = c->groups_formed,
                         .expired = c->expired,
                         .bytes = held_bytes(c),
                         .peak = c->peak,
                         .attempts = c->next - c->oldest,
                         .groups_expired = c->groups_expired,
                         .clients_expired = c->clients_expired};
}
