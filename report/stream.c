/* report stream: duplicate groups as they change (--stream, the live screen's hook) and as
 * they leave the correlation window, written or handed over at once. */
#include <inttypes.h>
#include <stdlib.h>

#include "report/internal.h"

/* The live screen's view of a group: its sessions in time order, the digest in hex. */
static void tell_hook(report *r, const correlate *c, const corr_group *g, int final)
{
    if (!r->on_dup)
        return;
    uint32_t *sessions = malloc(g->n * sizeof *sessions);
    if (!sessions)
        return;
    for (unsigned i = 0; i < g->n; i++)
        sessions[i] = correlate_attempt(c, g->members[i])->session;
    char hex[33];
    correlate_digest_hex(g->digest, hex);
    report_dup d = {
        .group = correlate_group_id(c, g),
        .final = final,
        .by_digest = g->by_digest,
        .message_id = g->message_id,
        .digest_hex = g->has_digest ? hex : NULL,
        .mail_from = g->mail_from,
        .rcpt = g->rcpt,
        .attempts = g->n,
        .acknowledged = g->acknowledged,
        .interval_median = g->interval_median,
        .cause = g->ncauses ? smtp_cause_name(g->causes[0].id) : "unknown",
        .first = correlate_attempt(c, g->members[0])->time,
        .last = correlate_attempt(c, g->members[g->n - 1])->time,
        .sessions = sessions,
    };
    r->on_dup(r->on_dup_ctx, &d);
    free(sessions);
}

/* A group changed (written with --stream) or left the window (always written: it is final
 * and will not be at the end). */
static void on_group(void *ctx, const correlate *c, const corr_group *g, int final)
{
    report *r = ctx;
    tell_hook(r, c, g, final);
    if (!final && !r->stream)
        return;
    if (r->fmt == REPORT_JSON)
        report_group_json(r, g, final);
    else
        report_group_update_text(r, g, final);
}

static void on_path(void *ctx, const correlate *c, const corr_path *p)
{
    (void)c;
    report_path_now(ctx, p);
}

void report_set_correlation(report *r, int stream, int64_t window, uint64_t memory)
{
    r->stream = stream;
    r->window = window;
    r->memory = memory;
    correlate_set_window(r->corr, window, memory);
    if (r->rd) /* NULL in report_new: redownload_new starts with the defaults */
        redownload_set_window(r->rd, window, memory);
}

void report_on_duplicate(report *r, report_dup_fn fn, void *ctx)
{
    r->on_dup = fn;
    r->on_dup_ctx = ctx;
}

void report_stream_session(report *r)
{
    r->sink = (corr_sink){.group = on_group, .path = on_path, .ctx = r};
    correlate_set_sink(r->corr, r->servers, &r->sink);
    correlate_updates(r->corr); /* also counts the groups as they form */
    correlate_expire(r->corr);
}

void report_stream_finish(report *r)
{
    for (unsigned i = 0; i < correlate_ngroups(r->corr); i++)
        tell_hook(r, r->corr, correlate_group(r->corr, i), 1);
}

void report_correlation_json(report *r)
{
    corr_counts cc;
    correlate_counts(r->corr, &cc);
    json *j = &r->j;
    json_key(j, "correlation");
    json_begin_object(j);
    json_key(j, "window");
    json_seconds(j, r->window);
    json_field_uint(j, "memory", r->memory);
    json_field_uint(j, "expired", cc.expired);
    json_field_uint(j, "groups_expired", cc.groups_expired);
    json_field_uint(j, "clients_expired", cc.clients_expired);
    json_field_uint(j, "peak_bytes", cc.peak);
    json_end_object(j);
}

void report_correlation_text(report *r)
{
    corr_counts cc;
    correlate_counts(r->corr, &cc);
    if (!cc.expired && !cc.clients_expired)
        return;
    fprintf(r->out,
            "  correlation: %" PRIu64 " messages let go (older than the %.0f s window, or past "
            "%" PRIu64 " MiB), %" PRIu64 " duplicate groups written before the end as they left; "
            "copies further apart are not grouped (raise --dup-window / --dup-memory)\n",
            cc.expired, (double)r->window / 1e6, r->memory >> 20, cc.groups_expired);
}
