/* The verdict: what the box between the two captures did, in one sentence, gravest first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path/internal.h"

/* The messages whose end of data the box dropped: the one dropped most often (the first
 * dropped, among equals), in how many pairs, of how many pairs that carried it to its end,
 * and how many different messages. Sorted once, so a capture of many pairs costs
 * n log n, not a pass over every pair for each message. */
typedef struct dropped_msgs {
    const char *worst;
    unsigned dropped, carried, distinct;
} dropped_msgs;

typedef struct id_at {
    const char *id;
    size_t pair;
} id_at;

static int by_id_then_pair(const void *a, const void *b)
{
    const id_at *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->pair < y->pair ? -1 : x->pair > y->pair;
}

/* Entries of the sorted v[0..n) whose id is id: the first, and how many. */
static size_t count_id(const id_at *v, size_t n, const char *id, size_t *first)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    while (hi < n && !strcmp(v[hi].id, id))
        hi++;
    return hi - lo;
}

/* Each pair's messages that reached their end outside (each once a pair), and each pair's
 * dropped one. */
static int collect(const path_result *r, id_at **carried, size_t *nc, id_at **dropped, size_t *nd)
{
    *carried = malloc((r->paired * PATH_TXNS + 1) * sizeof **carried);
    *dropped = malloc((r->paired + 1) * sizeof **dropped);
    if (!*carried || !*dropped)
        return -1;
    *nc = *nd = 0;
    for (size_t k = 0; k < r->paired; k++) {
        const path_session *o = r->pairs[k].outside;
        for (unsigned t = 0; t < o->ntxn; t++) {
            int again = 0;
            for (unsigned u = 0; u < t && !again; u++)
                again = o->txn[u].eod_seen && !strcmp(o->txn[u].message_id, o->txn[t].message_id);
            if (o->txn[t].eod_seen && !again)
                (*carried)[(*nc)++] = (id_at){o->txn[t].message_id, k};
        }
        if (r->pairs[k].dropped_id)
            (*dropped)[(*nd)++] = (id_at){r->pairs[k].dropped_id, k};
    }
    qsort(*carried, *nc, sizeof **carried, by_id_then_pair);
    qsort(*dropped, *nd, sizeof **dropped, by_id_then_pair);
    return 0;
}

static dropped_msgs find_dropped(const path_result *r)
{
    dropped_msgs m = {NULL, 0, 0, 0};
    id_at *carried, *dropped;
    size_t nc, nd, first_pair = 0;
    if (collect(r, &carried, &nc, &dropped, &nd) == 0)
        for (size_t at = 0; at < nd;) {
            size_t first, d = count_id(dropped + at, nd - at, dropped[at].id, &first);
            m.distinct++;
            if (d > m.dropped || (d == m.dropped && dropped[at].pair < first_pair)) {
                m.worst = dropped[at].id;
                m.dropped = (unsigned)d;
                m.carried = (unsigned)count_id(carried, nc, m.worst, &first);
                first_pair = dropped[at].pair;
            }
            at += d;
        }
    free(carried);
    free(dropped);
    return m;
}

static const char *const doing[PATH_FINDING_COUNT] = {
    [PATH_DROPPED_EOD] = "dropped the end of data",
    [PATH_RESET] = "reset the connection (a RST neither endpoint sent)",
    [PATH_ANSWERED] = "answered the client itself (a reply the server never sent)",
    [PATH_REWROTE_COMMAND] = "rewrote a command on its way to the server",
    [PATH_MASKED_BANNER] = "masked the server's greeting",
};

static size_t put(char *out, size_t cap, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t put(char *out, size_t cap, size_t at, const char *fmt, ...)
{
    if (at >= cap)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + at, cap - at, fmt, ap);
    va_end(ap);
    return n < 0 ? at : at + (size_t)n;
}

static const char *sessions_word(size_t n)
{
    return n == 1 ? "session" : "sessions";
}

static unsigned gravest(const path_result *r)
{
    for (unsigned f = 0; f < PATH_DELAY; f++)
        if (r->with[f])
            return f;
    return PATH_DELAY;
}

void path_verdict(path_result *r)
{
    char *v = r->verdict;
    size_t cap = sizeof r->verdict, at = 0;
    if (!r->paired) {
        snprintf(v, cap,
                 "no session was seen on both sides: the two captures do not cover the "
                 "same sessions (another path, another time, or a box that answers "
                 "everything itself)");
        return;
    }
    unsigned g = gravest(r);
    dropped_msgs m = {NULL, 0, 0, 0};
    if (g == PATH_DROPPED_EOD)
        m = find_dropped(r);
    if (m.worst && m.dropped == r->with[g] && m.worst[0])
        at = put(v, cap, at,
                 "the box between the captures dropped the end of data of message %s "
                 "in %u of %u attempts",
                 m.worst, m.dropped, m.carried);
    else if (g == PATH_DROPPED_EOD)
        at = put(v, cap, at,
                 "the box between the captures dropped the end of data in %u of %zu "
                 "paired %s, %u different messages",
                 r->with[g], r->paired, sessions_word(r->paired), m.distinct);
    else if (g < PATH_DELAY)
        at = put(v, cap, at, "the box between the captures %s in %u of %zu paired %s", doing[g],
                 r->with[g], r->paired, sessions_word(r->paired));
    else
        at = put(v, cap, at,
                 "the box between the captures changed nothing in %zu paired %s; it "
                 "added a median of %.3f ms toward the server and %.3f ms back",
                 r->paired, sessions_word(r->paired), r->to_server.median * 1e3,
                 r->to_client.median * 1e3);
    const char *lead = " (also ";
    for (unsigned f = g + 1; f < PATH_DELAY; f++)
        if (r->with[f]) {
            at = put(v, cap, at, "%s%s in %u", lead, path_finding_name(f), r->with[f]);
            lead = ", ";
        }
    if (strcmp(lead, " (also ") != 0)
        at = put(v, cap, at, ")");
    if (r->outside_only)
        put(v, cap, at, "; %zu %s seen outside only never reached the inside capture",
            r->outside_only, sessions_word(r->outside_only));
}
