/* report connect bursts: a flood of failed connection attempts to one server (a SYN flood,
 * spoofed sources or not; senders hammering a dead MX) is written as a few connect_failed
 * lines a minute and one connect_failed_burst line for the rest of that minute, not a line
 * per connection: a capture left running for days must not turn a flood into millions of
 * lines. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/map.h"
#include "report/internal.h"

/* Lines of their own a server gets per window before the rest are counted in one burst
 * line; servers followed at once (past that, the one idle longest is written out and its slot
 * reused). */
enum { BURST_LINES = 20, BURST_SERVERS = 4096 };
#define BURST_WINDOW (60 * (int64_t)1000000)

typedef struct burst {
    uint64_t key;
    int64_t window_start; /* the first failure of the window */
    unsigned lines;       /* written on their own in this window */
    /* the failures past BURST_LINES in this window, not yet written */
    uint64_t connections, attempts, refused;
    int64_t first, last;
    uint64_t first_frame, last_frame;
    char server[64];
} burst;

struct connect_bursts {
    map index; /* key -> slot */
    unsigned n;
    burst slot[BURST_SERVERS];
};

static uint64_t server_key(const connect_failed *c)
{
    return map_key(XXH3_64bits_withSeed(c->server, strnlen(c->server, sizeof c->server), 7));
}

static void write_burst(report *r, burst *b)
{
    if (!b->connections)
        return;
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "connect_failed_burst");
    json_field_str(j, "server", b->server);
    json_field_uint(j, "connections", b->connections);
    json_field_uint(j, "refused", b->refused);
    json_field_uint(j, "attempts", b->attempts);
    json_field_time(j, "first", b->first);
    json_field_time(j, "last", b->last);
    json_field_frame(j, "first_frame", b->first_frame);
    json_field_frame(j, "last_frame", b->last_frame);
    json_end_object(j);
    report_json_line(r);
    b->connections = b->attempts = b->refused = 0;
}

/* A free slot, or the one idle longest written out and taken. */
static unsigned free_slot(report *r, connect_bursts *t)
{
    if (t->n < BURST_SERVERS)
        return t->n++;
    unsigned i = 0;
    for (unsigned k = 1; k < BURST_SERVERS; k++)
        if (t->slot[k].window_start < t->slot[i].window_start)
            i = k;
    write_burst(r, &t->slot[i]);
    map_remove(&t->index, t->slot[i].key, NULL, NULL, NULL);
    return i;
}

/* The slot of c's server, found or taken. */
static burst *slot_of(report *r, const connect_failed *c)
{
    connect_bursts *t = r->bursts;
    uint64_t key = server_key(c);
    const uint64_t *v = map_find(&t->index, key, NULL, NULL);
    if (v)
        return &t->slot[*v];
    unsigned i = free_slot(r, t);
    burst *b = &t->slot[i];
    memset(b, 0, sizeof *b);
    b->key = key;
    b->window_start = c->first;
    snprintf(b->server, sizeof b->server, "%s", c->server);
    map_add(&t->index, key, i);
    return b;
}

static void count_in(burst *b, const connect_failed *c)
{
    if (!b->connections) {
        b->first = c->first;
        b->first_frame = c->first_frame;
    }
    b->connections++;
    b->attempts += c->attempts;
    b->refused += c->refused != 0;
    b->last = c->last;
    b->last_frame = c->last_frame;
}

int report_connect_burst(report *r, const connect_failed *c)
{
    if (!r->bursts && !(r->bursts = calloc(1, sizeof *r->bursts)))
        return 0; /* out of memory: the failure gets a line of its own */
    burst *b = slot_of(r, c);
    if (c->first - b->window_start >= BURST_WINDOW) {
        write_burst(r, b);
        b->window_start = c->first;
        b->lines = 0;
    }
    if (b->lines < BURST_LINES) {
        b->lines++;
        return 0;
    }
    count_in(b, c);
    return 1;
}

void report_connect_bursts_end(report *r)
{
    connect_bursts *t = r->bursts;
    for (unsigned i = 0; t && i < t->n; i++)
        write_burst(r, &t->slot[i]);
}

void report_connect_bursts_free(report *r)
{
    if (!r->bursts)
        return;
    map_free(&r->bursts->index);
    free(r->bursts);
}
