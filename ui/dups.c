/* ui dups: the duplicate groups behind the live screen's d panel, fed by the report's hook
 * (report_on_duplicate), bounded to UI_DUP_CAPACITY groups (see model.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "ui/model_internal.h"

/* Attempts not yet acknowledged: what the worst-first order weighs first. */
static unsigned unacked(const ui_dup *g)
{
    return g->attempts > g->acknowledged ? g->attempts - g->acknowledged : 0;
}

/* <0 when a is worse than b: more unacknowledged attempts, more attempts, updated later. */
static int worse_first(const ui_dup *a, const ui_dup *b)
{
    if (unacked(a) != unacked(b))
        return unacked(a) > unacked(b) ? -1 : 1;
    if (a->attempts != b->attempts)
        return a->attempts > b->attempts ? -1 : 1;
    return a->updated > b->updated ? -1 : a->updated < b->updated ? 1 : 0;
}

long ui_model_find_dup(const ui_model *m, uint64_t group)
{
    for (size_t i = 0; i < m->ndups; i++) /* a few hundred at most, once per update */
        if (m->dups[i].group == group)
            return (long)i;
    return -1;
}

/* The least bad group, among the final ones when there are any: the one to make room. */
static size_t victim(const ui_model *m)
{
    size_t best = SIZE_MAX;
    for (int want_final = 1; want_final >= 0 && best == SIZE_MAX; want_final--)
        for (size_t i = 0; i < m->ndups; i++)
            if (m->dups[i].final == want_final &&
                (best == SIZE_MAX || worse_first(&m->dups[i], &m->dups[best]) > 0))
                best = i;
    return best;
}

/* The entry for a group not kept yet, making room when the table is full. */
static ui_dup *new_group(ui_model *m)
{
    m->dup_seen++;
    size_t i = m->ndups < UI_DUP_CAPACITY ? m->ndups++ : victim(m);
    memset(&m->dups[i], 0, sizeof m->dups[i]);
    return &m->dups[i];
}

/* The message as the panel names it: its Message-ID, else its body digest. */
static void copy_message(ui_dup *g, const report_dup *d)
{
    if (!d->by_digest && d->message_id && d->message_id[0]) {
        escape_str(g->message, sizeof g->message, d->message_id);
        return;
    }
    char hex[64];
    escape_str(hex, sizeof hex, d->digest_hex ? d->digest_hex : "?");
    snprintf(g->message, sizeof g->message, "digest %s", hex);
}

/* The first and the latest halves when the attempts do not all fit. */
static void copy_sessions(ui_dup *g, const report_dup *d)
{
    unsigned n = d->sessions ? d->attempts : 0, half = UI_DUP_SESSIONS / 2;
    if (n <= UI_DUP_SESSIONS) {
        if (n)
            memcpy(g->sessions, d->sessions, n * sizeof *g->sessions);
        g->nsessions = n;
        return;
    }
    memcpy(g->sessions, d->sessions, half * sizeof *g->sessions);
    memcpy(g->sessions + half, d->sessions + n - half, half * sizeof *g->sessions);
    g->nsessions = UI_DUP_SESSIONS;
}

/* Every attempt's session still kept shows the mark (also those between the kept halves). */
static void mark_sessions(ui_model *m, const report_dup *d)
{
    for (unsigned i = 0; d->sessions && i < d->attempts; i++) {
        long at = ui_model_find_id(m, d->sessions[i]);
        if (at < 0)
            continue;
        ui_session *s = &m->slot[m->kept[at]];
        s->dup = 1;
        s->dup_group = d->group;
    }
}

void ui_model_duplicate(void *ctx, const report_dup *d)
{
    ui_model *m = ctx;
    if (!m || !d)
        return;
    long at = ui_model_find_dup(m, d->group);
    ui_dup *g = at >= 0 ? &m->dups[at] : new_group(m);
    g->group = d->group;
    g->final = d->final != 0;
    g->by_digest = d->by_digest != 0;
    copy_message(g, d);
    escape_str(g->mail_from, sizeof g->mail_from, d->mail_from);
    escape_str(g->rcpt, sizeof g->rcpt, d->rcpt);
    escape_str(g->cause, sizeof g->cause, d->cause ? d->cause : "unknown");
    g->attempts = d->attempts;
    g->acknowledged = d->acknowledged;
    g->interval_median = d->interval_median;
    g->first = d->first;
    g->last = d->last;
    copy_sessions(g, d);
    g->updated = ++m->dup_updates;
    mark_sessions(m, d);
}

uint64_t ui_model_dup_groups(const ui_model *m)
{
    return m->dup_seen;
}

size_t ui_model_dup_count(const ui_model *m)
{
    return m->ndups;
}

const ui_dup *ui_model_dup(const ui_model *m, size_t i)
{
    return i < m->ndups ? &m->dups[i] : NULL;
}

unsigned ui_dup_unlisted(const ui_dup *g)
{
    return g->attempts > g->nsessions ? g->attempts - g->nsessions : 0;
}

/* qsort has no context: the rows are sorted as (index, pointer) pairs. */
typedef struct dup_key {
    size_t idx;
    const ui_dup *g;
} dup_key;

static int by_worst(const void *a, const void *b)
{
    const dup_key *x = a, *y = b;
    return worse_first(x->g, y->g);
}

size_t ui_dup_rows(const ui_model *m, size_t *rows, size_t cap)
{
    dup_key k[UI_DUP_CAPACITY];
    for (size_t i = 0; i < m->ndups; i++)
        k[i] = (dup_key){i, &m->dups[i]};
    qsort(k, m->ndups, sizeof *k, by_worst);
    size_t n = m->ndups < cap ? m->ndups : cap;
    for (size_t i = 0; i < n; i++)
        rows[i] = k[i].idx;
    return n;
}
