/* html page: the document around the drawings — head (styles, the Content-Security-Policy
 * that forbids all but inline style), the verdict, the capture's facts, and the sessions
 * past the drawn ones as lines and a table. */
#include <inttypes.h>
#include <string.h>

#include "html/internal.h"

static const char style[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222;max-width:1100px}"
    "h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}"
    "h3{font-size:1.05em;margin:1.2em 0 .3em}"
    ".verdict{border:2px solid #b00;background:#fff4f4;padding:.6em 1em}"
    ".verdict.ok{border-color:#070;background:#f4fff4}"
    ".verdict .cause{font-size:1.25em;font-weight:bold}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}"
    "pre{background:#f6f6f6;padding:.5em;overflow-x:auto}code{word-break:break-all}"
    "svg text{font:12px monospace}svg .col{font:bold 13px sans-serif}"
    ".life{stroke:#999;stroke-width:2}.axis{stroke:#555;stroke-width:2}"
    "line.cli{stroke:#1f5fbf}polygon.cli,text.cli{fill:#1f5fbf}"
    "line.srv{stroke:#18813a}polygon.srv,text.srv{fill:#18813a}"
    "line.bad{stroke:#c00}polygon.bad,text.bad,b.bad{fill:#c00;color:#c00}"
    "line.eod{stroke:#d97700;stroke-width:3}polygon.eod,text.eod{fill:#d97700}"
    "line.tcp{stroke:#777;stroke-dasharray:4 3}polygon.tcp,text.tcp{fill:#777}"
    ".miss{stroke:#c00;stroke-width:2;stroke-dasharray:6 4;fill:none}"
    ".gap{fill:#fff;stroke:none}.zig{stroke:#999;stroke-width:2;fill:none}"
    ".gapt{fill:#555;font-style:italic}.t,.f{fill:#666}"
    ".ack{fill:#18813a}.nack{fill:#fff;stroke:#c00;stroke-width:3}.keep{fill:#999}"
    ".lbl{fill:#1f5fbf}"
    "section.sess,section.group{border-top:1px solid #eee}";

static void head(FILE *out, const html_facts *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>smtpscope report: ",
          out);
    html_text(out, f->source);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>smtpscope report: ", style);
    html_text(out, f->source);
    fputs("</h1>\n", out);
}

/* Without a duplicate group: the cause most flagged sessions point at, its best score. */
static cause_id sessions_cause(const html_doc *d)
{
    cause_id best = CAUSE_NONE;
    for (int c = 0; c < CAUSE_COUNT; c++)
        if (d->cause_sessions[c] &&
            (best == CAUSE_NONE || d->cause_sessions[c] > d->cause_sessions[best]))
            best = (cause_id)c;
    return best;
}

static void headline(const html_doc *d, FILE *out, const html_facts *f, const html_group *top,
                     unsigned ntop)
{
    html_cause c = {CAUSE_NONE, 0.0};
    const char *basis = "";
    if (ntop && top[0].cause.id != CAUSE_NONE) {
        c = top[0].cause;
        basis = " (from the message sent most often)";
    } else if ((c.id = sessions_cause(d)) != CAUSE_NONE) {
        c.score = d->cause_best[c.id];
        basis = " (from the flagged sessions)";
    }
    if (c.id == CAUSE_NONE && f->pop3_cause) {
        fprintf(out,
                "<p class=\"cause\">Likely cause: %s, confidence %.2f (%s) (from the message "
                "downloaded most often)</p>\n<p><b>Fix:</b> %s.</p>\n",
                f->pop3_cause, f->pop3_score, confidence_level(f->pop3_score), f->pop3_fix);
        return;
    }
    if (c.id == CAUSE_NONE) {
        fputs("<p class=\"cause\">No likely cause: nothing in this capture points at one.</p>\n",
              out);
        return;
    }
    fprintf(out,
            "<p class=\"cause\">Likely cause: %s, confidence %.2f (%s)%s</p>\n"
            "<p><b>Fix:</b> %s.</p>\n",
            smtp_cause_name(c.id), c.score, confidence_level(c.score), basis, smtp_cause_fix(c.id));
}

static void verdict_groups(FILE *out, const html_group *top, unsigned ntop, unsigned all)
{
    for (unsigned i = 0; i < ntop; i++) {
        const html_group *g = &top[i];
        fprintf(out, "<li><a href=\"#g%" PRIu64 "\">Message ", g->id);
        html_text(out, g->key ? g->key : "-");
        fprintf(out, "</a> was sent %u times (%u acknowledged, median %.0f s apart). ", g->n,
                g->acknowledged, g->interval_median);
        if (g->cause.id != CAUSE_NONE)
            fprintf(out, "Likely cause: %s (%.2f).</li>\n", smtp_cause_name(g->cause.id),
                    g->cause.score);
        else
            fputs("No cause visible in this capture.</li>\n", out);
    }
    if (all > ntop)
        fprintf(out, "<li>%u more messages sent more than once (Duplicates, below).</li>\n",
                all - ntop);
}

/* Each finding with its count of sessions, on one line: read at a glance. */
static void verdict_flags(FILE *out, const html_facts *f)
{
    const char *sep = "<li>Findings (sessions): ";
    for (unsigned i = 0; f->per_flag && i < SMTP_FLAG_COUNT; i++)
        if (f->per_flag[i]) {
            fprintf(out, "%s%s %" PRIu64, sep, smtp_flag_name(i), f->per_flag[i]);
            sep = ", ";
        }
    for (unsigned i = 0; f->pop3_per_flag && i < POP3_FLAG_COUNT; i++)
        if (f->pop3_per_flag[i]) {
            fprintf(out, "%s%s %" PRIu64, sep, pop3_flag_name(i), f->pop3_per_flag[i]);
            sep = ", ";
        }
    if (*sep == ',')
        fputs(".</li>\n", out);
}

/* The triage's other lines, one item each ("- " dropped). */
static void verdict_more(FILE *out, const char *lines)
{
    for (const char *at = lines; at && *at;) {
        const char *nl = strchr(at, '\n');
        size_t n = nl ? (size_t)(nl - at) : strlen(at);
        if (n > 2 && at[0] == '-' && at[1] == ' ') {
            fputs("<li>", out);
            html_textn(out, at + 2, n - 2);
            fputs("</li>\n", out);
        }
        at += n + (nl != NULL);
    }
}

/* The triage's lines: the totals, the worst duplicates, each finding's count, the servers
 * that turn mail away, the messages refused as too big. */
static void verdict(const html_doc *d, FILE *out, const html_facts *f, const html_group *top,
                    unsigned ntop)
{
    fprintf(out, "<div class=\"verdict%s\">\n", f->flagged || f->pop3_flagged ? "" : " ok");
    headline(d, out, f, top, ntop);
    fputs("<ul>\n", out);
    if (f->sessions || !f->pop3_sessions) /* a POP3 capture is not told of no SMTP */
        fprintf(out,
                "<li>%" PRIu64 " SMTP sessions, %" PRIu64 " with findings; %" PRIu64
                " messages, %" PRIu64 " end-of-data sequences split across segments, %" PRIu64
                " never acknowledged.</li>\n",
                f->sessions, f->flagged, f->messages, f->eod_split, f->eod_unacked);
    if (f->pop3_sessions)
        fprintf(out,
                "<li>%" PRIu64 " POP3 sessions, %" PRIu64 " with findings; %u message%s "
                "downloaded more than once.</li>\n",
                f->pop3_sessions, f->pop3_flagged, f->redownloads, f->redownloads == 1 ? "" : "s");
    verdict_groups(out, top, ntop, f->groups);
    verdict_flags(out, f);
    uint64_t busy = f->per_flag ? f->per_flag[SMTP_FLAG_BIT_SERVER_BUSY_421] : 0;
    uint64_t late = f->per_flag ? f->per_flag[SMTP_FLAG_BIT_SLOW_BANNER] : 0;
    if (busy || late)
        fprintf(out,
                "<li>Overloaded server: %" PRIu64 " turned away with 421, %" PRIu64
                " greeted late. Fix: %s.</li>\n",
                busy, late, smtp_cause_fix(CAUSE_SERVER_OVERLOADED));
    uint64_t big = f->per_flag ? f->per_flag[SMTP_FLAG_BIT_MESSAGE_TOO_BIG] : 0;
    if (big)
        fprintf(out, "<li>Message too big: refused in %" PRIu64 " session%s. Fix: %s.</li>\n", big,
                big == 1 ? "" : "s", smtp_cause_fix(CAUSE_MESSAGE_TOO_BIG));
    verdict_more(out, f->triage_more);
    fputs("</ul>\n</div>\n", out);
}

static void fact(FILE *out, const char *name)
{
    fprintf(out, "<tr><th>%s</th><td>", name);
}

static void facts(const html_doc *d, FILE *out, const html_facts *f)
{
    char first[40] = "-", last[40] = "-";
    if (f->packets) {
        html_format_time(first, sizeof first, f->first);
        html_format_time(last, sizeof last, f->last);
    }
    fputs("<h2>The capture</h2>\n<table>\n", out);
    fact(out, "file");
    html_text(out, f->source);
    if (f->compression) {
        fputs(" (", out);
        html_text(out, f->compression);
        fputs("-compressed)", out);
    }
    fputs("</td></tr>\n", out);
    fact(out, "span");
    fprintf(out, "%s to %s UTC (%.3f s)</td></tr>\n", first, last,
            f->packets ? (double)(f->last - f->first) / 1e6 : 0.0);
    fact(out, "packets");
    fprintf(out, "%" PRIu64 " (%" PRIu64 " matched the filter), %" PRIu64 " bytes</td></tr>\n",
            f->packets, f->matched, f->bytes);
    fact(out, "sessions");
    fprintf(out, "%" PRIu64 " SMTP, %" PRIu64 " flagged; ", f->sessions, f->flagged);
    if (d->pop3)
        fprintf(out, "%" PRIu64 " POP3, %" PRIu64 " flagged; ", d->pop3, d->pop3_flagged);
    fprintf(out,
            "%" PRIu64 " of other protocols; %" PRIu64 " connections without a handshake; %" PRIu64
            " failed connection attempts</td></tr>\n",
            d->others, f->not_analysed, f->connects_failed);
    fact(out, "drops");
    if (f->live)
        fprintf(out, "%" PRIu64 " by the kernel, %" PRIu64 " by the interface</td></tr>\n",
                f->drops, f->if_drops);
    else
        fputs("none (read from a file)</td></tr>\n", out);
    if (f->read_error) {
        fact(out, "damaged");
        html_text(out, f->read_error);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* Before the re-downloaded messages: the duplicates' overflow, the heading. */
void html_redownloads(html_doc *d, FILE *out, unsigned n)
{
    if (d->groups_written[0] > HTML_GROUPS_DRAWN)
        fprintf(out, "<p>... and %u more duplicate groups, not drawn.</p>\n",
                d->groups_written[0] - HTML_GROUPS_DRAWN);
    if (n)
        fprintf(out, "<h2>Re-downloads: %u message%s downloaded more than once by POP3</h2>\n", n,
                n == 1 ? "" : "s");
}

void html_begin(html_doc *d, FILE *out, const html_facts *f, const html_group *top, unsigned ntop)
{
    d->groups_written[0] = d->groups_written[1] = 0; /* a live page: written again each period */
    head(out, f);
    verdict(d, out, f, top, ntop);
    facts(d, out, f);
    if (f->groups)
        fprintf(out, "<h2>Duplicates: %u message%s sent more than once</h2>\n", f->groups,
                f->groups == 1 ? "" : "s");
}

static void row(FILE *out, const html_row *r, int flagged)
{
    char start[40];
    html_format_time(start, sizeof start, r->start);
    /* the id: a duplicate's timeline links every attempt, drawn or not */
    fprintf(out, "<tr id=\"s%" PRIu64 "\"><td>%" PRIu64 "</td><td>", r->id, r->id);
    html_text(out, r->client);
    fputs("</td><td>", out);
    html_text(out, r->server);
    fprintf(out, "</td><td>%s</td><td>%.3f s</td><td>%s</td><td>%u</td><td>", start,
            (double)(r->end - r->start) / 1e6, flow_end_name(r->end_reason), r->messages);
    if (flagged) {
        html_flag_names(out, r->pop3, r->flags);
        fprintf(out, "</td><td>%s", r->cause != CAUSE_NONE ? smtp_cause_name(r->cause) : "-");
    }
    fputs("</td></tr>\n", out);
}

static void table(FILE *out, const html_row *rows, uint64_t kept, uint64_t all, int flagged)
{
    fprintf(out,
            "<table>\n<tr><th>session</th><th>client</th><th>server</th><th>start "
            "(UTC)</th><th>duration</th><th>ended</th><th>messages</th>%s</tr>\n",
            flagged ? "<th>flags</th><th>likely cause</th>" : "");
    for (uint64_t i = 0; i < kept; i++)
        row(out, &rows[i], flagged);
    fputs("</table>\n", out);
    if (all > kept)
        fprintf(out,
                "<p>... and %" PRIu64 " more, not listed here (the JSON report has all).</p>\n",
                all - kept);
}

void html_end(html_doc *d, FILE *out)
{
    if (d->groups_written[1] > HTML_GROUPS_DRAWN)
        fprintf(out, "<p>... and %u more re-downloaded messages, not drawn.</p>\n",
                d->groups_written[1] - HTML_GROUPS_DRAWN);
    uint64_t flagged = d->ndrawn + d->nlisted;
    fprintf(out, "<h2>Flagged sessions: %" PRIu64 "</h2>\n", flagged);
    for (unsigned i = 0; i < d->ndrawn; i++)
        html_session_section(out, &d->drawn[i]);
    if (d->nlisted) {
        fprintf(out, "<h3>Flagged sessions not drawn (past the first %u)</h3>\n", d->drawn_max);
        uint64_t kept = d->nlisted < HTML_SESSIONS_LISTED ? d->nlisted : HTML_SESSIONS_LISTED;
        table(out, d->listed, kept, d->nlisted, 1);
    }
    fprintf(out, "<h2>Sessions without findings: %" PRIu64 "</h2>\n", d->nclean);
    if (d->nclean) {
        uint64_t kept = d->nclean < HTML_CLEAN_LISTED ? d->nclean : HTML_CLEAN_LISTED;
        table(out, d->clean, kept, d->nclean, 0);
    }
    fputs("<p class=\"foot\">Made by smtpscope. Frame numbers are the capture's, as Wireshark "
          "shows them.</p>\n</body>\n</html>\n",
          out);
}
