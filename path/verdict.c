/* The verdict: what the box between the two captures did, in one sentence, gravest first. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"

/* The message whose end of data the box dropped most often, and in how many of the pairs
 * that carried it. */
static const char *worst_dropped(const path_result *r, unsigned *dropped, unsigned *carried)
{
    const char *worst = NULL;
    *dropped = *carried = 0;
    for (size_t k = 0; k < r->paired; k++) {
        const char *id = r->pairs[k].dropped_id;
        if (!id || (worst && !strcmp(id, worst)))
            continue;
        unsigned d = 0, c = 0;
        for (size_t j = 0; j < r->paired; j++) {
            const path_pair *pj = &r->pairs[j];
            for (unsigned t = 0; t < pj->outside->ntxn; t++)
                if (pj->outside->txn[t].eod_seen && !strcmp(pj->outside->txn[t].message_id, id)) {
                    c++;
                    d += pj->dropped_id && !strcmp(pj->dropped_id, id);
                    break;
                }
        }
        if (d > *dropped)
            worst = id, *dropped = d, *carried = c;
    }
    return worst;
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

/* How many different messages the box dropped the end of. */
static unsigned dropped_messages(const path_result *r)
{
    unsigned n = 0;
    for (size_t k = 0; k < r->paired; k++) {
        const char *id = r->pairs[k].dropped_id;
        int before = 0;
        for (size_t j = 0; id && j < k && !before; j++)
            before = r->pairs[j].dropped_id && !strcmp(r->pairs[j].dropped_id, id);
        n += id && !before;
    }
    return n;
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
    unsigned g = gravest(r), dropped, carried;
    const char *id = g == PATH_DROPPED_EOD ? worst_dropped(r, &dropped, &carried) : NULL;
    if (id && dropped == r->with[g] && id[0])
        at = put(v, cap, at,
                 "the box between the captures dropped the end of data of message %s "
                 "in %u of %u attempts",
                 id, dropped, carried);
    else if (g == PATH_DROPPED_EOD)
        at = put(v, cap, at,
                 "the box between the captures dropped the end of data in %u of %zu "
                 "paired %s, %u different messages",
                 r->with[g], r->paired, sessions_word(r->paired), dropped_messages(r));
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
