/* report findings: what holds across sessions (messages sent more than once, clients that
 * never say QUIT) and the triage summary that closes the text report. */
#include <inttypes.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

enum { NEVER_QUIT_MIN = 3 };

/* Every gap within 20% of the median: the sender's retry timer, not chance. */
static int steady(const correlate *c, const corr_group *g)
{
    if (g->n < 3 || g->interval_median <= 0.0)
        return 0;
    int64_t prev = 0;
    for (unsigned i = 0; i < g->n; i++) {
        int64_t t = correlate_attempt(c, g->members[i])->time;
        double gap = (double)(t - prev) / 1e6;
        if (i && (gap < 0.8 * g->interval_median || gap > 1.2 * g->interval_median))
            return 0;
        prev = t;
    }
    return 1;
}

/* The lines of evidence under a duplicate, in the order shown. A flag row tells in how many
 * attempts any of its flags was raised (nothing when none); the others are worked out. */
typedef enum {
    EV_STEADY,       /* the attempts came at a steady interval */
    EV_FLAGS,        /* attempts with any of flags */
    EV_RESENT,       /* sent again after it was accepted */
    EV_SERVER_SIGNS, /* its servers turned others away or were late around the attempts */
    EV_FLAGS_ACKED   /* as EV_FLAGS, when some attempt was acknowledged */
} evidence_kind;

typedef struct evidence_row {
    evidence_kind kind;
    unsigned flags;
    const char *what;
} evidence_row;

static const evidence_row evidence_rows[] = {
    {EV_STEADY, 0, NULL},
    {EV_FLAGS, SMTP_FLAG_SPLIT_EOD_UNACKED, "end of data split across segments and never accepted"},
    {EV_FLAGS, SMTP_FLAG_MASKED_BANNER, "220 greeting masked with '*'"},
    {EV_FLAGS, SMTP_FLAG_EHLO_REFUSED | SMTP_FLAG_ESMTP_MASKED,
     "ESMTP refused or masked (EHLO 5xx / X'd keywords)"},
    {EV_FLAGS, SMTP_FLAG_SLOW_EOD_REPLY, "reply to end of data slower than the threshold"},
    {EV_SERVER_SIGNS, 0, NULL},
    {EV_FLAGS, SMTP_FLAG_REPLY_AFTER_CLOSE, "reply arrived after the client had closed"},
    {EV_FLAGS, SMTP_FLAG_CLIENT_GAVE_UP, "client gave up before any reply"},
    {EV_FLAGS, SMTP_FLAG_EOD_NO_REPLY, "whole end of data never answered"},
    {EV_FLAGS,
     SMTP_FLAG_EOD_RETRANSMITTED | SMTP_FLAG_EOD_REPLY_RETRANSMITTED | SMTP_FLAG_RST_AFTER_EOD,
     "TCP retransmission or reset around end of data"},
    {EV_RESENT, 0, NULL},
    {EV_FLAGS_ACKED, SMTP_FLAG_MISSING_QUIT, "session ended without QUIT"},
};

static unsigned attempts_with(const correlate *c, const corr_group *g, unsigned flags)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->n; i++)
        n += (correlate_attempt(c, g->members[i])->flags & flags) != 0;
    return n;
}

static void say(dup_evidence *e, unsigned count, unsigned of, const char *what)
{
    if (count && e->n < DUP_EVIDENCE_MAX)
        snprintf(e->line[e->n++], DUP_EVIDENCE_LEN, "%s in %u of %u attempts", what, count, of);
}

static void resend_evidence(const correlate *c, const corr_group *g, dup_evidence *e)
{
    const corr_attempt *acked = NULL;
    for (unsigned i = 0; i < g->n && !acked; i++) {
        const corr_attempt *a = correlate_attempt(c, g->members[i]);
        if (correlate_delivered(a))
            acked = a;
    }
    for (unsigned i = 0; acked && i < g->n && e->n < DUP_EVIDENCE_MAX; i++) {
        const corr_attempt *a = correlate_attempt(c, g->members[i]);
        if (a->time > acked->time) {
            snprintf(e->line[e->n++], DUP_EVIDENCE_LEN,
                     "accepted with %d in session %" PRIu32 ", sent again %.0f s later in "
                     "session %" PRIu32,
                     acked->reply, acked->session, (double)(a->time - acked->time) / 1e6,
                     a->session);
            return;
        }
    }
}

/* What each sign is called in an evidence line, singular and plural. */
static const char *const sign_names[SERVER_SIGN_COUNT][2] = {
    [SERVER_SIGN_CONNECT_FAILED] = {"connection attempt failed", "connection attempts failed"},
    [SERVER_SIGN_BUSY_421] = {"other session answered 421", "other sessions answered 421"},
    [SERVER_SIGN_LATE_GREETING] = {"other session greeted late", "other sessions greeted late"},
    [SERVER_SIGN_LATE_REPLY] = {"other session's end of data answered late",
                                "other sessions' ends of data answered late"},
};

/* "around the attempts at 192.0.2.25:25: 3 connection attempts failed, 1 other session
 * answered 421": the signs correlate_finish found at the group's servers (correlate.h). */
static void signs_evidence(const correlate *c, const corr_group *g, dup_evidence *e)
{
    for (unsigned i = 0; i < g->nsigns && e->n < DUP_EVIDENCE_MAX; i++) {
        const corr_server_signs *f = &g->signs[i];
        const char *server = correlate_host(c, f->server);
        char *line = e->line[e->n++];
        int len = snprintf(line, DUP_EVIDENCE_LEN,
                           "around the attempts at %s:", server ? server : "the server");
        const char *sep = " ";
        for (unsigned k = 0; k < SERVER_SIGN_COUNT && len > 0 && len < DUP_EVIDENCE_LEN; k++) {
            if (!f->n[k])
                continue;
            len += snprintf(line + len, DUP_EVIDENCE_LEN - (size_t)len, "%s%u %s", sep, f->n[k],
                            sign_names[k][f->n[k] != 1]);
            sep = ", ";
        }
    }
}

static void steady_evidence(const correlate *c, const corr_group *g, dup_evidence *e)
{
    if (steady(c, g) && e->n < DUP_EVIDENCE_MAX)
        snprintf(e->line[e->n++], DUP_EVIDENCE_LEN,
                 "%u attempts every %.0f s: a steady interval is the sending MTA's retry timer",
                 g->n, g->interval_median);
}

void report_group_evidence(const correlate *c, const corr_group *g, dup_evidence *e)
{
    e->n = 0;
    for (size_t i = 0; i < sizeof evidence_rows / sizeof evidence_rows[0]; i++) {
        const evidence_row *row = &evidence_rows[i];
        if (row->kind == EV_STEADY)
            steady_evidence(c, g, e);
        else if (row->kind == EV_RESENT && g->resent_after_ack)
            resend_evidence(c, g, e);
        else if (row->kind == EV_SERVER_SIGNS)
            signs_evidence(c, g, e);
        else if (row->kind == EV_FLAGS || (row->kind == EV_FLAGS_ACKED && g->acknowledged))
            say(e, attempts_with(c, g, row->flags), g->n, row->what);
    }
}

/* ---- JSON ---- */

static void json_group_lists(json *j, const correlate *c, const corr_group *g)
{
    json_key(j, "sessions");
    json_begin_array(j);
    for (unsigned i = 0; i < g->n; i++)
        json_uint(j, correlate_attempt(c, g->members[i])->session);
    json_end_array(j);
    json_key(j, "times");
    json_begin_array(j);
    for (unsigned i = 0; i < g->n; i++)
        json_time(j, correlate_attempt(c, g->members[i])->time);
    json_end_array(j);
    json_key(j, "replies");
    json_begin_array(j);
    for (unsigned i = 0; i < g->n; i++) {
        int code = correlate_attempt(c, g->members[i])->reply;
        code ? json_int(j, code) : json_null(j);
    }
    json_end_array(j);
}

static void json_group_causes(json *j, const corr_group *g)
{
    json_field_str(j, "cause", g->ncauses ? smtp_cause_name(g->causes[0].id) : "unknown");
    report_causes_json(j, g->causes, g->ncauses);
}

void report_group_json(report *r, const corr_group *g, int final)
{
    const correlate *c = r->corr;
    json *j = &r->j;
    char hex[33];
    dup_evidence e;
    report_group_evidence(c, g, &e);
    correlate_digest_hex(g->digest, hex);
    json_begin_object(j);
    json_field_str(j, "type", "duplicate");
    json_field_uint(j, "group", correlate_group_id(c, g));
    json_field_bool(j, "final", final);
    json_field_str(j, "by", g->by_digest ? "digest" : "message_id");
    json_field_str(j, "message_id", g->message_id);
    json_field_str(j, "digest", g->has_digest ? hex : NULL);
    json_field_str(j, "mail_from", g->mail_from);
    json_field_str(j, "rcpt", g->rcpt);
    json_field_uint(j, "attempts", g->n);
    json_field_uint(j, "acknowledged", g->acknowledged);
    json_group_lists(j, c, g);
    json_field_time(j, "first", correlate_attempt(c, g->members[0])->time);
    json_field_time(j, "last", correlate_attempt(c, g->members[g->n - 1])->time);
    report_json_decimal(j, "interval_median", g->interval_median);
    json_field_bool(j, "steady_interval", steady(c, g));
    json_field_bool(j, "resent_after_ack", g->resent_after_ack);
    json_group_causes(j, g);
    report_json_lines(j, "evidence", e.line[0], sizeof e.line[0], e.n);
    json_end_object(j);
    report_json_line(r);
}

static void json_client(report *r, const corr_client *cl)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "client");
    json_field_str(j, "client", cl->address);
    json_field_str(j, "finding", "never_quits");
    json_field_uint(j, "sessions", cl->sessions);
    json_field_uint(j, "missing_quit", cl->missing_quit);
    json_end_object(j);
    report_json_line(r);
}

void report_findings_json(report *r)
{
    for (unsigned i = 0; i < correlate_ngroups(r->corr); i++)
        report_group_json(r, correlate_group(r->corr, i), 1);
    report_paths_json(r);
    const corr_client *cl;
    for (unsigned pos = 0; (cl = correlate_next_never_quit(r->corr, NEVER_QUIT_MIN, &pos));)
        json_client(r, cl);
}

/* ---- text ---- */

static const char *text_or(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static void text_group_head(report *r, const corr_group *g)
{
    const correlate *c = r->corr;
    char mid[SMTP_TEXT_MAX * 4], from[SMTP_TEXT_MAX * 4], to[SMTP_TEXT_MAX * 4], hex[33];
    char first[40], last[40];
    correlate_digest_hex(g->digest, hex);
    escape_str(mid, sizeof mid, g->by_digest ? hex : text_or(g->message_id, "-"));
    escape_str(from, sizeof from, text_or(g->mail_from, "-"));
    escape_str(to, sizeof to, text_or(g->rcpt, "-"));
    report_format_time(first, sizeof first, correlate_attempt(c, g->members[0])->time);
    report_format_time(last, sizeof last, correlate_attempt(c, g->members[g->n - 1])->time);
    fprintf(r->out, "  %s %s from %s to %s\n", g->by_digest ? "body digest" : "message", mid, from,
            to);
    fprintf(r->out, "    %u attempts, %u acknowledged, %s to %s UTC, median interval %.0f s\n",
            g->n, g->acknowledged, first, last + 11, g->interval_median);
    fprintf(r->out, "    sessions:");
    for (unsigned i = 0; i < g->n; i++)
        fprintf(r->out, "%s %" PRIu32, i ? "," : "", correlate_attempt(c, g->members[i])->session);
    fputc('\n', r->out);
}

static void text_group(report *r, const corr_group *g)
{
    dup_evidence e;
    report_group_evidence(r->corr, g, &e);
    text_group_head(r, g);
    for (unsigned i = 0; i < e.n; i++)
        fprintf(r->out, "    - %s\n", e.line[i]);
    if (!g->ncauses) {
        fprintf(r->out, "    likely cause: unknown from this capture\n");
        return;
    }
    report_causes_text(r->out, "    likely cause:", g->causes, g->ncauses);
}

void report_group_update_text(report *r, const corr_group *g, int final)
{
    const correlate *c = r->corr;
    char mid[SMTP_TEXT_MAX * 4], hex[33], last[40];
    correlate_digest_hex(g->digest, hex);
    escape_str(mid, sizeof mid, g->by_digest ? hex : text_or(g->message_id, "-"));
    report_format_time(last, sizeof last, correlate_attempt(c, g->members[g->n - 1])->time);
    fprintf(r->out,
            "duplicate%s: group %" PRIu64 ", %s %s: attempt %u at %s, %u acknowledged, median "
            "interval %.0f s, likely cause %s\n",
            final ? " (final)" : "", correlate_group_id(c, g),
            g->by_digest ? "body digest" : "message", mid, g->n, last, g->acknowledged,
            g->interval_median, g->ncauses ? smtp_cause_name(g->causes[0].id) : "unknown");
}

void report_findings_text(report *r)
{
    unsigned n = correlate_ngroups(r->corr);
    if (n) {
        fprintf(r->out, "Duplicates: %u message%s sent more than once, worst first\n", n,
                n == 1 ? "" : "s");
        for (unsigned i = 0; i < n; i++)
            text_group(r, correlate_group(r->corr, i));
        fputc('\n', r->out);
    }
    report_paths_text(r);
    unsigned k = correlate_nclients_never_quit(r->corr, NEVER_QUIT_MIN);
    if (k) {
        fprintf(r->out, "Clients that never send QUIT (%u or more sessions, all without it)\n",
                NEVER_QUIT_MIN);
        const corr_client *cl;
        for (unsigned pos = 0; (cl = correlate_next_never_quit(r->corr, NEVER_QUIT_MIN, &pos));) {
            char addr[256];
            escape_str(addr, sizeof addr, cl->address);
            fprintf(r->out, "  %s: %u sessions\n", addr, cl->sessions);
        }
        fputc('\n', r->out);
    }
}

static void triage_group(report *r, const corr_group *g)
{
    char mid[SMTP_TEXT_MAX * 4], hex[33];
    correlate_digest_hex(g->digest, hex);
    escape_str(mid, sizeof mid, g->by_digest ? hex : text_or(g->message_id, "-"));
    fprintf(r->out, "- Message %s was sent %u times (%u acknowledged, median %.0f s apart). ", mid,
            g->n, g->acknowledged, g->interval_median);
    if (g->ncauses)
        fprintf(r->out, "Likely cause: %s (%.2f). Fix: %s.\n", smtp_cause_name(g->causes[0].id),
                g->causes[0].score, smtp_cause_fix(g->causes[0].id));
    else
        fprintf(r->out, "No cause visible in this capture.\n");
}

/* Servers that turn sessions away or greet late, and messages refused as too big, in plain
 * words with their fix: no duplicate group names them when nothing was sent twice. */
static void triage_server_limits(report *r)
{
    const totals *t = &r->t;
    uint64_t busy = t->per_flag[SMTP_FLAG_BIT_SERVER_BUSY_421];
    uint64_t late = t->per_flag[SMTP_FLAG_BIT_SLOW_BANNER];
    uint64_t big = t->per_flag[SMTP_FLAG_BIT_MESSAGE_TOO_BIG];
    if (busy || late)
        fprintf(r->out,
                "- Overloaded server: %" PRIu64 " session%s turned away with 421, %" PRIu64
                " greeted late. Fix: %s.\n",
                busy, busy == 1 ? "" : "s", late, smtp_cause_fix(CAUSE_SERVER_OVERLOADED));
    if (big)
        fprintf(r->out, "- Message too big: refused in %" PRIu64 " session%s. Fix: %s.\n", big,
                big == 1 ? "" : "s", smtp_cause_fix(CAUSE_MESSAGE_TOO_BIG));
}

void report_findings_triage(report *r)
{
    const totals *t = &r->t;
    fprintf(r->out, "\nTriage\n");
    fprintf(r->out,
            "- %" PRIu64 " SMTP sessions, %" PRIu64 " with findings; %" PRIu64 " messages, %" PRIu64
            " end-of-data sequences split across segments, %" PRIu64 " never acknowledged.\n",
            t->sessions, t->flagged, t->messages, t->eod_split, t->eod_unacked);
    unsigned n = correlate_ngroups(r->corr);
    for (unsigned i = 0; i < n && i < REPORT_TRIAGE_GROUPS; i++)
        triage_group(r, correlate_group(r->corr, i));
    if (n > REPORT_TRIAGE_GROUPS)
        fprintf(r->out, "- %u more messages sent more than once (see Duplicates).\n",
                n - REPORT_TRIAGE_GROUPS);
    report_paths_triage(r);
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        if (t->per_flag[i])
            fprintf(r->out, "- %s: %" PRIu64 " session%s.\n", smtp_flag_name(i), t->per_flag[i],
                    t->per_flag[i] == 1 ? "" : "s");
    triage_server_limits(r);
    report_never_quit_triage(r);
}

void report_never_quit_triage(report *r)
{
    unsigned k = correlate_nclients_never_quit(r->corr, NEVER_QUIT_MIN);
    const corr_client *cl;
    for (unsigned i = 0, pos = 0; i < REPORT_TRIAGE_GROUPS &&
                                  (cl = correlate_next_never_quit(r->corr, NEVER_QUIT_MIN, &pos));
         i++) {
        char addr[256];
        escape_str(addr, sizeof addr, cl->address);
        fprintf(r->out, "- Client %s never sent QUIT in %u sessions.\n", addr, cl->sessions);
    }
    if (k > REPORT_TRIAGE_GROUPS)
        fprintf(r->out, "- %u more clients never sent QUIT (see Clients that never send QUIT).\n",
                k - REPORT_TRIAGE_GROUPS);
}
