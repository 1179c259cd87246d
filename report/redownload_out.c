/* report redownload: writes the POP3 correlator's findings (report/redownload.h): a
 * "redownload" object per message downloaded twice or more and a "concurrent_mailbox" object
 * per mailbox collected by two clients at once (JSON), the "Re-downloads" and "Concurrent
 * mailbox sessions" sections and their Triage lines (text). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "base/quantile.h"
#include "html/html.h"
#include "report/internal.h"

enum { EVIDENCE_MAX = 8, EVIDENCE_LEN = 320, TRIAGE_MESSAGES = 5 };

static const char *side(int dir)
{
    return dir == FLOW_CLIENT ? "client" : dir == FLOW_SERVER ? "server" : "?";
}

/* ---- evidence: one line per download ---- */

/* How the session ended, as the fix needs it: who ended it, how, in which frame. */
static void session_end(const rd_session *s, char *out, size_t cap)
{
    if (s->quit_reply > 0)
        snprintf(out, cap, "QUIT answered +OK");
    else if (s->quit_reply < 0)
        snprintf(out, cap, "QUIT answered -ERR");
    else
        snprintf(out, cap, "ended without a +OK to QUIT (%s by %s in frame %s)",
                 flow_end_name(s->end_reason), side(s->closed_by),
                 report_frame_ref(report_frame_unpack32(s->end_frame)).s);
}

static void what_became(const rd_download *d, char *out, size_t cap)
{
    if (d->deleted && d->committed)
        snprintf(out, cap, "DELE +OK in frame %s, committed",
                 report_frame_ref(report_frame_unpack32(d->dele_frame)).s);
    else if (d->deleted)
        snprintf(out, cap, "DELE +OK in frame %s, never committed",
                 report_frame_ref(report_frame_unpack32(d->dele_frame)).s);
    else
        snprintf(out, cap, "not deleted");
}

static void download_line(const redownload *rd, const rd_download *d, char *out, size_t cap)
{
    const rd_session *s = redownload_session_at(rd, d->session);
    char end[128 + REPORT_FRAME_REF_LEN], fate[64 + REPORT_FRAME_REF_LEN];
    session_end(s, end, sizeof end);
    what_became(d, fate, sizeof fate);
    int n = snprintf(out, cap, "session %" PRIu64 " from %s: %s in frame %s, %s; ", s->id,
                     redownload_client(rd, s->client), d->top ? "TOP" : "RETR",
                     report_frame_ref(report_frame_unpack32(d->frame)).s, fate);
    size_t used = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    /* a long client address may leave no room: the line is cut, never overrun */
    if (snprintf(out + used, cap - used, "session %s%s", end,
                 s->concurrent ? "; it overlapped another client's session of the mailbox" : "") <
        0)
        out[used] = 0;
}

typedef struct evidence {
    char line[EVIDENCE_MAX + 1][EVIDENCE_LEN];
    unsigned n;
} evidence;

static void build_evidence(const redownload *rd, const rd_message *m, evidence *e)
{
    e->n = 0;
    unsigned k = 0;
    for (uint32_t d = m->first; d != UINT32_MAX; d = redownload_download(rd, d)->next, k++)
        if (e->n < EVIDENCE_MAX)
            download_line(rd, redownload_download(rd, d), e->line[e->n++], EVIDENCE_LEN);
    if (k > EVIDENCE_MAX)
        snprintf(e->line[e->n++], EVIDENCE_LEN, "%u more downloads", k - EVIDENCE_MAX);
}

/* ---- JSON ---- */

static void json_lists(json *j, const redownload *rd, const rd_message *m)
{
    json_key(j, "sessions");
    json_begin_array(j);
    for (uint32_t d = m->first; d != UINT32_MAX; d = redownload_download(rd, d)->next)
        json_uint(j, redownload_session_at(rd, redownload_download(rd, d)->session)->id);
    json_end_array(j);
    json_key(j, "times");
    json_begin_array(j);
    for (uint32_t d = m->first; d != UINT32_MAX; d = redownload_download(rd, d)->next)
        json_time(j, redownload_download(rd, d)->time);
    json_end_array(j);
}

static void json_causes(json *j, const rd_cause *c, unsigned n)
{
    json_field_str(j, "cause", n ? pop3_cause_name(c[0].id) : "unknown");
    json_key(j, "causes");
    json_begin_array(j);
    for (unsigned i = 0; i < n; i++)
        report_cause_json(j, pop3_cause_name(c[i].id), c[i].score, pop3_cause_fix(c[i].id));
    json_end_array(j);
}

/* The object as at the end; one that left the window before it says "final":true. */
static void json_message(report *r, const rd_message *m, int left)
{
    const redownload *rd = r->rd;
    json *j = &r->j;
    char hex[33];
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned nc = redownload_causes(rd, m, c);
    evidence e;
    build_evidence(rd, m, &e);
    correlate_digest_hex(m->digest, hex);
    json_begin_object(j);
    json_field_str(j, "type", "redownload");
    json_field_str(j, "mailbox", redownload_mailbox(rd, m->mailbox));
    json_field_str(j, "message_id", m->message_id);
    json_field_str(j, "uidl", m->uidl);
    json_field_str(j, "digest", m->has_digest ? hex : NULL);
    json_field_uint(j, "downloads", m->n);
    json_lists(j, rd, m);
    json_causes(j, c, nc);
    report_json_lines(j, "evidence", e.line[0], sizeof e.line[0], e.n);
    if (left)
        json_field_bool(j, "final", 1);
    json_end_object(j);
    report_json_line(r);
}

/* Its clients, each once, in the order they appear. */
static unsigned distinct_clients(const redownload *rd, const uint32_t *s, unsigned n, uint32_t *out)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t c = redownload_session_at(rd, s[i])->client;
        unsigned x = 0;
        while (x < k && out[x] != c)
            x++;
        if (x == k)
            out[k++] = c;
    }
    return k;
}

static void json_mailbox(report *r, unsigned i)
{
    const redownload *rd = r->rd;
    json *j = &r->j;
    uint32_t s[REDOWNLOAD_LISTED], cl[REDOWNLOAD_LISTED];
    unsigned total, n = redownload_mailbox_sessions(rd, i, s, &total);
    unsigned ncl = distinct_clients(rd, s, n, cl);
    int64_t first, last;
    uint32_t box = redownload_concurrent_mailbox(rd, i, &first, &last);
    json_begin_object(j);
    json_field_str(j, "type", "concurrent_mailbox");
    json_field_str(j, "mailbox", redownload_mailbox(rd, box));
    json_field_uint(j, "sessions_total", total);
    json_key(j, "sessions");
    json_begin_array(j);
    for (unsigned k = 0; k < n; k++)
        json_uint(j, redownload_session_at(rd, s[k])->id);
    json_end_array(j);
    json_key(j, "clients");
    json_begin_array(j);
    for (unsigned k = 0; k < ncl; k++)
        json_str(j, redownload_client(rd, cl[k]));
    json_end_array(j);
    json_field_time(j, "first", first);
    json_field_time(j, "last", last);
    json_end_object(j);
    report_json_line(r);
}

void report_redownload_json(report *r)
{
    for (unsigned i = 0; i < redownload_nmailboxes(r->rd); i++)
        json_mailbox(r, i);
    for (unsigned i = 0; i < redownload_count(r->rd); i++)
        json_message(r, redownload_message(r->rd, i), 0);
}

/* ---- text ---- */

static void text_causes(FILE *out, const rd_cause *c, unsigned n)
{
    if (!n) {
        fprintf(out, "    likely cause: unknown from this capture\n");
        return;
    }
    fputs("    likely cause:", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s %s (%.2f)", i ? "," : "", pop3_cause_name(c[i].id), c[i].score);
    fputc('\n', out);
    report_advice(out, "fix", pop3_cause_fix(c[0].id));
}

static void text_message(report *r, const rd_message *m)
{
    const redownload *rd = r->rd;
    char mid[POP3_TEXT_MAX * 4], uidl[POP3_UIDL_MAX * 4], box[POP3_TEXT_MAX * 4 + 256], hex[33];
    char first[40], last[40];
    correlate_digest_hex(m->digest, hex);
    escape_str(mid, sizeof mid, m->message_id ? m->message_id : m->has_digest ? hex : "-");
    escape_str(uidl, sizeof uidl, m->uidl ? m->uidl : "-");
    escape_str(box, sizeof box, redownload_mailbox(rd, m->mailbox));
    report_format_time(first, sizeof first, redownload_download(rd, m->first)->time);
    report_format_time(last, sizeof last, redownload_download(rd, m->last)->time);
    fprintf(r->out, "  %s %s uidl %s from %s\n", m->message_id ? "message" : "body digest", mid,
            uidl, box);
    fprintf(r->out, "    %" PRIu32 " downloads, %s to %s UTC\n", m->n, first, last + 11);
    evidence e;
    build_evidence(rd, m, &e);
    for (unsigned i = 0; i < e.n; i++) {
        char clean[EVIDENCE_LEN * 4];
        escape_str(clean, sizeof clean, e.line[i]);
        fprintf(r->out, "    - %s\n", clean);
    }
    rd_cause c[POP3_CAUSE_COUNT];
    text_causes(r->out, c, redownload_causes(rd, m, c));
}

static void text_mailbox(report *r, unsigned i)
{
    const redownload *rd = r->rd;
    uint32_t s[REDOWNLOAD_LISTED], cl[REDOWNLOAD_LISTED];
    unsigned total, n = redownload_mailbox_sessions(rd, i, s, &total);
    unsigned ncl = distinct_clients(rd, s, n, cl);
    char box[POP3_TEXT_MAX * 4 + 256];
    int64_t first, last;
    escape_str(box, sizeof box,
               redownload_mailbox(rd, redownload_concurrent_mailbox(rd, i, &first, &last)));
    if (!n) {
        char from[40], to[40];
        report_format_time(from, sizeof from, first);
        report_format_time(to, sizeof to, last);
        fprintf(r->out, "  %s: %u sessions overlapped, %s to %s UTC (left the window)\n", box,
                total, from, to + 11);
        return;
    }
    fprintf(r->out, "  %s: %u sessions from", box, total);
    for (unsigned k = 0; k < ncl; k++) {
        char addr[256];
        escape_str(addr, sizeof addr, redownload_client(rd, cl[k]));
        fprintf(r->out, "%s %s", k ? "," : "", addr);
    }
    fprintf(r->out, " overlapped; sessions:");
    for (unsigned k = 0; k < n; k++)
        fprintf(r->out, "%s %" PRIu64, k ? "," : "", redownload_session_at(rd, s[k])->id);
    fprintf(r->out, "%s\n", total > n ? ", ..." : "");
}

void report_redownload_text(report *r)
{
    unsigned n = redownload_nmailboxes(r->rd);
    if (n) {
        fprintf(r->out,
                "Concurrent mailbox sessions: %u mailbox%s collected by two clients at once\n", n,
                n == 1 ? "" : "es");
        for (unsigned i = 0; i < n; i++)
            text_mailbox(r, i);
        report_advice(r->out, "fix", pop3_cause_fix(POP3_CAUSE_CONCURRENT));
        fputc('\n', r->out);
    }
    n = redownload_count(r->rd);
    if (!n)
        return;
    fprintf(r->out, "Re-downloads: %u message%s downloaded more than once (POP3), worst first\n", n,
            n == 1 ? "" : "s");
    for (unsigned i = 0; i < n; i++)
        text_message(r, redownload_message(r->rd, i));
    fputc('\n', r->out);
}

/* A message downloaded again leaving the window: its object at once ("final"), or in text a
 * line under the session lines; it is not in the report at the end. */
void report_redownload_leaving(void *ctx, const redownload *rd, const rd_message *m)
{
    report *r = ctx;
    (void)rd; /* r->rd */
    if (r->fmt == REPORT_JSON) {
        json_message(r, m, 1);
        return;
    }
    char mid[POP3_TEXT_MAX * 4], box[POP3_TEXT_MAX * 4 + 256], hex[33], last[40];
    correlate_digest_hex(m->digest, hex);
    escape_str(mid, sizeof mid, m->message_id ? m->message_id : m->has_digest ? hex : "-");
    escape_str(box, sizeof box, redownload_mailbox(r->rd, m->mailbox));
    report_format_time(last, sizeof last, redownload_download(r->rd, m->last)->time);
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned nc = redownload_causes(r->rd, m, c);
    fprintf(r->out,
            "redownload (final): %s %s from %s: %" PRIu32 " downloads, the last at %s, likely "
            "cause %s\n",
            m->message_id ? "message" : "body digest", mid, box, m->n, last,
            nc ? pop3_cause_name(c[0].id) : "unknown");
}

/* One Triage line per cause that leads some message: how many messages, the most downloads
 * of one, and the fix. */
void report_redownload_triage(report *r)
{
    unsigned count[POP3_CAUSE_COUNT] = {0}, worst[POP3_CAUSE_COUNT] = {0}, unknown = 0;
    for (unsigned i = 0; i < redownload_count(r->rd); i++) {
        const rd_message *m = redownload_message(r->rd, i);
        rd_cause c[POP3_CAUSE_COUNT];
        if (!redownload_causes(r->rd, m, c)) {
            unknown++;
            continue;
        }
        count[c[0].id]++;
        worst[c[0].id] = m->n > worst[c[0].id] ? m->n : worst[c[0].id];
    }
    for (unsigned id = 0; id < POP3_CAUSE_COUNT; id++)
        if (count[id])
            fprintf(r->out,
                    "- Re-downloaded by POP3: %u message%s (up to %u times), likely cause %s. "
                    "Fix: %s.\n",
                    count[id], count[id] == 1 ? "" : "s", worst[id], pop3_cause_name(id),
                    pop3_cause_fix(id));
    if (unknown)
        fprintf(r->out,
                "- Re-downloaded by POP3: %u message%s, no cause visible in this capture.\n",
                unknown, unknown == 1 ? "" : "s");
    unsigned nb = redownload_nmailboxes(r->rd);
    if (nb)
        fprintf(r->out,
                "- pop3_concurrent_mailbox: %u mailbox%s collected by two clients at once (see "
                "Concurrent mailbox sessions).\n",
                nb, nb == 1 ? "" : "es");
}

/* The correlator's order, and the sessions flagged concurrent after their line was written
 * counted in the summary's pop3 flags like the others. */
void report_redownload_finish(report *r)
{
    unsigned had_no_flags;
    redownload_finish(r->rd);
    r->pop3.per_flag[POP3_FLAG_BIT_CONCURRENT_MAILBOX] +=
        redownload_late_flagged(r->rd, &had_no_flags);
    r->pop3.flagged += had_no_flags;
}

/* ---- the --html page ---- */

const char *report_redownload_lead(report *r, const char **fix, double *score)
{
    rd_cause c[POP3_CAUSE_COUNT];
    if (!redownload_count(r->rd) || !redownload_causes(r->rd, redownload_message(r->rd, 0), c))
        return NULL;
    *fix = pop3_cause_fix(c[0].id);
    *score = c[0].score;
    return pop3_cause_name(c[0].id);
}

static void attempt_of(const redownload *rd, const rd_download *d, html_attempt *a)
{
    *a = (html_attempt){.session = redownload_session_at(rd, d->session)->id, .time = d->time};
    a->acked = d->committed ? HTML_ACKED : d->deleted ? HTML_NOT_ACKED : HTML_KEPT;
    a->label = d->committed ? "deleted" : d->deleted ? "rolled back" : "kept";
}

static int message_html(report *r, FILE *out, unsigned i)
{
    const redownload *rd = r->rd;
    const rd_message *m = redownload_message(rd, i);
    html_attempt *a = malloc(m->n * sizeof *a);
    int64_t *times = malloc(m->n * sizeof *times);
    double *gaps = malloc(m->n * sizeof *gaps);
    evidence *e = malloc(sizeof *e);
    if (!a || !times || !gaps || !e) {
        free(a), free(times), free(gaps), free(e);
        return -1;
    }
    unsigned n = 0;
    for (uint32_t d = m->first; d != UINT32_MAX && n < m->n; d = redownload_download(rd, d)->next)
        attempt_of(rd, redownload_download(rd, d), &a[n++]);
    for (unsigned k = 0; k < n; k++)
        times[k] = a[k].time;
    build_evidence(rd, m, e);
    const char *lines[EVIDENCE_MAX + 1];
    for (unsigned k = 0; k < e->n; k++)
        lines[k] = e->line[k];
    rd_cause c[POP3_CAUSE_COUNT];
    unsigned nc = redownload_causes(rd, m, c);
    char hex[33];
    correlate_digest_hex(m->digest, hex);
    html_group g = {.id = i,
                    .pop3 = 1,
                    .pop3_cause = nc ? pop3_cause_name(c[0].id) : NULL,
                    .pop3_fix = nc ? pop3_cause_fix(c[0].id) : NULL,
                    .by_digest = !m->message_id && !m->uidl,
                    .key = m->message_id ? m->message_id
                           : m->uidl     ? m->uidl
                                         : hex,
                    .mail_from = redownload_mailbox(rd, m->mailbox),
                    .interval_median = quantile_median_gap(times, n, gaps),
                    .attempts = a,
                    .n = n,
                    .cause = {CAUSE_NONE, nc ? c[0].score : 0.0},
                    .evidence = lines,
                    .nevidence = e->n};
    html_group_timeline(r->html, out, &g);
    free(a), free(times), free(gaps), free(e);
    return 0;
}

int report_redownload_html(report *r, FILE *out)
{
    for (unsigned i = 0; i < redownload_count(r->rd); i++)
        if (message_html(r, out, i) < 0)
            return -1;
    return 0;
}
