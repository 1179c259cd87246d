/* html timeline: a duplicate group as one mark per attempt on a shared time axis —
 * acknowledged or not, the reply, the interval to the next — with its evidence. */
#include <inttypes.h>

#include "html/internal.h"

enum { WIDTH = 1000, LEFT = 70, AXIS = 860, AXIS_Y = 70, HEIGHT = 130, LABEL_ROOM = 56 };

static const char *mark_class(int acked)
{
    return acked == HTML_ACKED ? "ack" : acked == HTML_KEPT ? "keep" : "nack";
}

/* A mark, with its session and reply (or label) when there is room. */
static void mark(FILE *out, const html_attempt *a, double x, int labelled)
{
    fprintf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%d\" r=\"7\"/>", mark_class(a->acked), x,
            AXIS_Y);
    if (!labelled)
        return;
    fprintf(out,
            "<text class=\"lbl\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">session %" PRIu64
            "</text>",
            x, AXIS_Y - 14, a->session);
    if (a->label) {
        fprintf(out, "<text class=\"%s\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
                a->acked == HTML_NOT_ACKED ? "bad" : "srv", x, AXIS_Y + 24);
        html_text(out, a->label);
        fputs("</text>", out);
    } else if (a->reply)
        fprintf(out, "<text class=\"%s\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                a->acked ? "srv" : "bad", x, AXIS_Y + 24, a->reply);
    else
        fprintf(out,
                "<text class=\"bad\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">no reply</text>", x,
                AXIS_Y + 24);
}

static void interval(FILE *out, double x0, double x1, int64_t gap)
{
    fprintf(out, "<text class=\"gapt\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f s</text>",
            (x0 + x1) / 2, AXIS_Y + 44, (double)gap / 1e6);
}

static void draw_timeline(FILE *out, const html_group *g)
{
    unsigned n = g->n < HTML_ATTEMPTS_DRAWN ? g->n : HTML_ATTEMPTS_DRAWN;
    int64_t first = g->attempts[0].time, last = g->attempts[n - 1].time;
    char t0[40], t1[40];
    html_format_time(t0, sizeof t0, first);
    html_format_time(t1, sizeof t1, last);
    fprintf(out,
            "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", LEFT - 20,
            AXIS_Y, LEFT + AXIS + 20, AXIS_Y);
    fprintf(out, "<text class=\"t\" x=\"%d\" y=\"%d\">%s UTC</text>", LEFT - 20, HEIGHT - 8, t0);
    fprintf(out, "<text class=\"t\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s UTC</text>",
            LEFT + AXIS + 20, HEIGHT - 8, t1);
    double prev = -1e9;
    for (unsigned i = 0; i < n; i++) {
        const html_attempt *a = &g->attempts[i];
        double x = html_axis_x(a->time, first, last, LEFT, AXIS);
        /* crowded marks keep their circle; a label only where it has room */
        int room = x - prev >= LABEL_ROOM;
        if (i && room)
            interval(out, prev, x, a->time - g->attempts[i - 1].time);
        mark(out, a, x, room);
        if (room)
            prev = x;
    }
    fputs("</svg>\n", out);
}

/* The attempts' sessions, each a link to its ladder (a link to a session past the drawn
 * ones leads nowhere: it is listed in the table instead). */
static void attempts(FILE *out, const html_group *g)
{
    unsigned n = g->n < HTML_ATTEMPTS_DRAWN ? g->n : HTML_ATTEMPTS_DRAWN;
    fputs(g->pop3 ? "<p>Downloads (sessions):" : "<p>Attempts (sessions):", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s <a href=\"#s%" PRIu64 "\">%" PRIu64 "</a>", i ? "," : "",
                g->attempts[i].session, g->attempts[i].session);
    fputs("</p>\n", out);
}

static void heading_pop3(FILE *out, const html_group *g)
{
    fprintf(out, "<section class=\"group\" id=\"r%" PRIu64 "\"><h3>%s ", g->id,
            g->by_digest ? "Body digest" : "Message");
    html_text(out, g->key ? g->key : "-");
    fputs("</h3>\n<p>mailbox ", out);
    html_text(out, g->mail_from ? g->mail_from : "-");
    fprintf(out, ": <b>downloaded %u times</b>, median interval %.0f s.", g->n, g->interval_median);
    if (g->pop3_cause)
        fprintf(out, " Likely cause: <b>%s</b> (%.2f, %s). Fix: %s.", g->pop3_cause, g->cause.score,
                confidence_level(g->cause.score), g->pop3_fix);
    else
        fputs(" No cause visible in this capture.", out);
    fputs("</p>\n", out);
}

static void heading(FILE *out, const html_group *g)
{
    if (g->pop3) {
        heading_pop3(out, g);
        return;
    }
    fprintf(out, "<section class=\"group\" id=\"g%" PRIu64 "\"><h3>%s ", g->id,
            g->by_digest ? "Body digest" : "Message");
    html_text(out, g->key ? g->key : "-");
    fputs("</h3>\n<p>from ", out);
    html_text(out, g->mail_from ? g->mail_from : "-");
    fputs(" to ", out);
    html_text(out, g->rcpt ? g->rcpt : "-");
    fprintf(out, ": <b>%u attempts</b>, %u acknowledged, median interval %.0f s.", g->n,
            g->acknowledged, g->interval_median);
    if (g->cause.id != CAUSE_NONE)
        fprintf(out, " Likely cause: <b>%s</b> (%.2f, %s). Fix: %s.", smtp_cause_name(g->cause.id),
                g->cause.score, confidence_level(g->cause.score), smtp_cause_fix(g->cause.id));
    else
        fputs(" No cause visible in this capture.", out);
    fputs("</p>\n", out);
}

void html_group_timeline(html_doc *d, FILE *out, const html_group *g)
{
    if (!g->n)
        return;
    if (d->groups_written[g->pop3 != 0]++ >= HTML_GROUPS_DRAWN)
        return;
    heading(out, g);
    draw_timeline(out, g);
    if (g->n > HTML_ATTEMPTS_DRAWN)
        fprintf(out, "<p>The first %d of %u attempts are marked.</p>\n", HTML_ATTEMPTS_DRAWN, g->n);
    attempts(out, g);
    fputs("<ul class=\"find\">\n", out);
    for (unsigned i = 0; i < g->nevidence; i++) {
        fputs("<li>", out);
        html_text(out, g->evidence[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul></section>\n", out);
}
