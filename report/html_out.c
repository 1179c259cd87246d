/* report html_out: what the --html page is given — each finished session with its ranked
 * causes, then at the end the capture's facts, the triage's worst groups and every
 * duplicate group with its attempts and evidence, from the same data as the text report. */
#include <stdlib.h>

#include "html/html.h"
#include "report/internal.h"

static void name_frame(uint64_t frame, char *out, size_t cap)
{
    snprintf(out, cap, "%s", report_frame_ref(frame).s);
}

void report_set_html(report *r, struct html_doc *doc)
{
    r->html = doc;
    if (doc)
        html_set_frame_namer(doc, name_frame);
}

void report_html_session(report *r, uint64_t id, const char *client, const char *server,
                         const smtp_report *s)
{
    if (!r->html)
        return;
    cause c[CAUSE_COUNT];
    html_cause hc[CAUSE_COUNT];
    unsigned n = s->flags ? correlate_rank_session(s, c) : 0;
    for (unsigned i = 0; i < n; i++)
        hc[i] = (html_cause){c[i].id, c[i].score};
    html_session_in in = {.id = id,
                          .client = client,
                          .server = server,
                          .display_filter = r->display_filter[0] ? r->display_filter : NULL,
                          .s = s,
                          .causes = hc,
                          .ncauses = n};
    html_add_session(r->html, &in);
}

void report_html_pop3(report *r, const flow_report *f, const pop3_report *s)
{
    if (!r->html)
        return;
    html_pop3_in in = {.id = f->id,
                       .client = f->client,
                       .server = f->server,
                       .display_filter = r->display_filter[0] ? r->display_filter : NULL,
                       .s = s};
    html_add_pop3_session(r->html, &in);
}

void report_html_other(report *r)
{
    if (r->html)
        html_count_other(r->html);
}

static void facts(report *r, const capture_summary *c, html_facts *f)
{
    const totals *t = &r->t;
    *f = (html_facts){.source = c->source,
                      .compression = c->compression,
                      .packets = c->frames,
                      .matched = c->matched,
                      .bytes = c->bytes,
                      .first = c->first,
                      .last = c->last,
                      .live = c->live,
                      .drops = c->drops,
                      .if_drops = c->if_drops,
                      .read_error = c->read_error,
                      .sessions = t->sessions,
                      .flagged = t->flagged,
                      .messages = t->messages,
                      .eod_split = t->eod_split,
                      .eod_unacked = t->eod_unacked,
                      .not_analysed = r->not_analysed,
                      .connects_failed = r->connects_failed,
                      .per_flag = t->per_flag,
                      .groups = correlate_ngroups(r->corr),
                      .pop3_sessions = r->pop3.sessions,
                      .pop3_flagged = r->pop3.flagged,
                      .pop3_per_flag = r->pop3.per_flag,
                      .redownloads = redownload_count(r->rd)};
    f->pop3_cause = report_redownload_lead(r, &f->pop3_fix, &f->pop3_score);
}

/* The triage writers write to r->out: pointed at out for a moment, they give the page the
 * text report's own words. */
void report_triage_more(report *r, FILE *out)
{
    FILE *was = r->out;
    r->out = out;
    report_paths_triage(r);
    report_never_quit_triage(r);
    report_redownload_triage(r);
    report_servers_triage(r);
    r->out = was;
}

/* The triage's other lines as the text report words them, in memory. */
static char *triage_more(report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    report_triage_more(r, m);
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* One group as the page takes it: the attempts and evidence live in a and e. */
typedef struct group_view {
    html_group g;
    html_attempt *a;
    dup_evidence e;
    const char *lines[DUP_EVIDENCE_MAX];
    char hex[33];
} group_view;

static int view_group(const report *r, const corr_group *g, group_view *v)
{
    const correlate *c = r->corr;
    v->a = malloc(g->n * sizeof *v->a);
    if (!v->a)
        return -1;
    for (unsigned i = 0; i < g->n; i++) {
        const corr_attempt *at = correlate_attempt(c, g->members[i]);
        v->a[i] = (html_attempt){at->session, at->time, at->reply, correlate_delivered(at), NULL};
    }
    report_group_evidence(c, g, &v->e);
    for (unsigned i = 0; i < v->e.n; i++)
        v->lines[i] = v->e.line[i];
    correlate_digest_hex(g->digest, v->hex);
    v->g = (html_group){
        .id = correlate_group_id(c, g),
        .by_digest = g->by_digest,
        .key = g->by_digest ? v->hex : g->message_id,
        .mail_from = g->mail_from,
        .rcpt = g->rcpt,
        .acknowledged = g->acknowledged,
        .interval_median = g->interval_median,
        .attempts = v->a,
        .n = g->n,
        .cause = {g->ncauses ? g->causes[0].id : CAUSE_NONE, g->ncauses ? g->causes[0].score : 0.0},
        .evidence = v->lines,
        .nevidence = v->e.n};
    return 0;
}

int report_write_html(report *r, const capture_summary *cap, FILE *out)
{
    if (!r->html)
        return 0;
    html_facts f;
    facts(r, cap, &f);
    unsigned ng = correlate_ngroups(r->corr),
             ntop = ng < REPORT_TRIAGE_GROUPS ? ng : REPORT_TRIAGE_GROUPS;
    group_view top[REPORT_TRIAGE_GROUPS];
    html_group tg[REPORT_TRIAGE_GROUPS];
    unsigned made = 0;
    int rc = 0;
    for (; made < ntop && rc == 0; made++) {
        rc = view_group(r, correlate_group(r->corr, made), &top[made]);
        tg[made] = top[made].g;
    }
    char *more = triage_more(r);
    f.triage_more = more;
    if (rc == 0) {
        html_begin(r->html, out, &f, tg, ntop);
        for (unsigned i = 0; i < ng && rc == 0; i++) {
            group_view v;
            if ((rc = view_group(r, correlate_group(r->corr, i), &v)) == 0)
                html_group_timeline(r->html, out, &v.g);
            free(v.a);
        }
        html_redownloads(r->html, out, redownload_count(r->rd));
        if (rc == 0)
            rc = report_redownload_html(r, out);
        html_end(r->html, out);
    }
    free(more);
    for (unsigned i = 0; i < made; i++)
        free(top[i].a);
    return rc < 0 || fflush(out) != 0 || ferror(out) ? -1 : 0;
}
