/* servers: per-server figures across the capture. See servers.h. */
#include "report/servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/map.h"

struct servers {
    map index; /* hash of the address -> index in list; same_address tells apart */
    server_stats *list;
    unsigned n, cap;
    uint64_t over_limit;
};

servers *servers_new(void)
{
    return calloc(1, sizeof(servers));
}

void servers_free(servers *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->n; i++) {
        free(s->list[i].banner_delay);
        free(s->list[i].eod_reply_delay);
        free(s->list[i].signs);
    }
    free(s->list);
    map_free(&s->index);
    free(s);
}

unsigned servers_count(const servers *s)
{
    return s->n;
}

const server_stats *servers_get(const servers *s, unsigned i)
{
    return i < s->n ? &s->list[i] : NULL;
}

uint64_t servers_over_limit(const servers *s)
{
    return s->over_limit;
}

static uint64_t key_of(const char *address)
{
    return map_key(XXH3_64bits(address, strlen(address)));
}

typedef struct lookup_arg {
    const servers *s;
    const char *address;
} lookup_arg;

static int same_address(uint64_t value, const void *arg)
{
    const lookup_arg *a = arg;
    return strcmp(a->s->list[value].address, a->address) == 0;
}

static server_stats *find(const servers *s, const char *address)
{
    lookup_arg arg = {s, address};
    const uint64_t *v = map_find(&s->index, key_of(address), same_address, &arg);
    return v ? &s->list[*v] : NULL;
}

/* The server's figures, added when new; NULL past SERVERS_MAX (or out of memory): the event
 * is counted in over_limit. */
static server_stats *server_of(servers *s, const char *address)
{
    server_stats *v = find(s, address);
    if (v)
        return v;
    if (s->n == s->cap && s->n < SERVERS_MAX) {
        unsigned cap = s->cap ? s->cap * 2 : 16;
        server_stats *l = realloc(s->list, cap * sizeof *l);
        if (l) {
            s->list = l;
            s->cap = cap;
        }
    }
    if (s->n == s->cap || map_add(&s->index, key_of(address), s->n) < 0) {
        s->over_limit++;
        return NULL;
    }
    v = &s->list[s->n++];
    memset(v, 0, sizeof *v);
    snprintf(v->address, sizeof v->address, "%s", address);
    return v;
}

void servers_opened(servers *s, const char *server)
{
    server_stats *v = server_of(s, server);
    if (!v)
        return;
    if (++v->open > v->peak_concurrent)
        v->peak_concurrent = v->open;
}

/* Adds a sample to a lazily made histogram (a server with none costs nothing). */
static void sample(quantile **q, int64_t usec)
{
    if (!*q && (*q = malloc(sizeof **q)) != NULL)
        quantile_init(*q);
    if (*q)
        quantile_add(*q, usec);
}

unsigned servers_replies_421(const smtp_report *r)
{
    /* the parser counts every 421, also to commands whose reply the report does not keep
     * (RSET, NOOP, AUTH): a server turning sessions away says so to any of them */
    return r->busy_replies;
}

unsigned servers_session_signs(uint32_t flags)
{
    /* server_busy_421 is raised by the first 421, whatever it answered: a session with any */
    return (flags & SMTP_FLAG_SERVER_BUSY_421 ? 1u << SERVER_SIGN_BUSY_421 : 0) |
           (flags & SMTP_FLAG_SLOW_BANNER ? 1u << SERVER_SIGN_LATE_GREETING : 0) |
           (flags & SMTP_FLAG_SLOW_EOD_REPLY ? 1u << SERVER_SIGN_LATE_REPLY : 0);
}

/* Kept over time for the correlation's evidence; without memory for them the figures stay
 * right and only the evidence goes. */
static void note_sign(server_stats *v, server_sign sign, int64_t ts)
{
    if (!v->signs && !(v->signs = calloc(SERVER_SIGN_COUNT, sizeof *v->signs)))
        return;
    timeline_add(&v->signs[sign], ts);
}

void servers_session(servers *s, const char *server, const smtp_report *r)
{
    server_stats *v = server_of(s, server);
    if (!v)
        return;
    v->sessions++;
    if (v->open > 0)
        v->open--;
    v->replies_421 += servers_replies_421(r);
    if (r->banner.seen)
        sample(&v->banner_delay, r->banner.at.ts - r->start);
    for (unsigned i = 0; i < r->ntxn; i++) {
        const smtp_eod *e = &r->txns[i].eod;
        if (!e->seen)
            continue;
        if (e->replied)
            sample(&v->eod_reply_delay, e->reply_at.ts - e->part[e->nparts - 1].ts);
        else
            v->unanswered_eod++;
    }
    unsigned signs = servers_session_signs(r->flags);
    for (unsigned k = 0; k < SERVER_SIGN_COUNT; k++)
        if (signs & 1u << k)
            note_sign(v, (server_sign)k, r->start);
}

void servers_connect_failed(servers *s, const connect_failed *c)
{
    server_stats *v = server_of(s, c->server);
    if (!v)
        return;
    v->connect_failed++;
    v->connect_refused += c->refused != 0;
    note_sign(v, SERVER_SIGN_CONNECT_FAILED, c->first);
}

unsigned servers_signs_between(const servers *s, const char *server, server_sign sign, int64_t from,
                               int64_t to)
{
    const server_stats *v = find(s, server);
    if (!v || !v->signs)
        return 0;
    uint64_t n = timeline_between(&v->signs[sign], from, to);
    return n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}
