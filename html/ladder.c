/* html ladder: one flagged session as a sequence diagram in SVG — client and server columns,
 * each line and TCP event an arrow at its time with its frame — then its findings and
 * transcript. Long silences are compressed into a marked break so a 600 s wait does not
 * push the rest off the page. */
#include <inttypes.h>
#include <string.h>

#include "html/internal.h"

enum { WIDTH = 960, CLIENT_X = 250, SERVER_X = 850, TOP = 56, LABEL_MAX = 64 };

double html_ladder_rows(const int64_t *ts, unsigned n, double top, double *y, unsigned char *broken)
{
    double at = top;
    for (unsigned i = 0; i < n; i++) {
        double gap = i ? (double)(ts[i] - ts[i - 1]) / 1e6 : 0.0;
        broken[i] = gap > HTML_GAP_LINEAR;
        if (i)
            at += HTML_ROW + (broken[i] ? HTML_BREAK_PX : gap > 0.0 ? gap * HTML_PX_PER_S : 0.0);
        y[i] = at;
    }
    return at + HTML_ROW;
}

double html_axis_x(int64_t t, int64_t first, int64_t last, double left, double width)
{
    if (last <= first)
        return left + width / 2.0;
    return left + width * (double)(t - first) / (double)(last - first);
}

static int drawn(const html_event *e)
{
    return e->kind != HEV_NOTE;
}

/* An arrow from one column to the other at y, its head a small triangle. */
static void arrow(FILE *out, int from_client, double y, const char *cls)
{
    double x1 = from_client ? CLIENT_X : SERVER_X, x2 = from_client ? SERVER_X : CLIENT_X;
    double head = from_client ? -8 : 8;
    fprintf(out, "<line class=\"%s\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", cls, x1, y,
            x2, y);
    fprintf(out, "<polygon class=\"%s\" points=\"%.0f,%.1f %.0f,%.1f %.0f,%.1f\"/>", cls, x2, y,
            x2 + head, y - 4, x2 + head, y + 4);
}

/* The label above an arrow: the line as sent, cut to fit. */
static void label(FILE *out, double y, const char *cls, const char *text)
{
    fprintf(out, "<text class=\"%s\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">", cls,
            (CLIENT_X + SERVER_X) / 2, y - 4);
    html_text_cut(out, text, LABEL_MAX);
    fputs("</text>", out);
}

/* SMTP's 4xx and 5xx, POP3's -ERR. */
static const char *reply_class(const char *text)
{
    return text[0] == '4' || text[0] == '5' || text[0] == '-' ? "bad" : "srv";
}

/* A frame as the report names it (NAME#N with several capture files), escaped when written. */
static void frame_name(const html_sess *s, uint64_t frame, char *out, size_t cap)
{
    if (s->namer)
        s->namer(frame, out, cap);
    else
        snprintf(out, cap, "%" PRIu64, frame);
}

/* The time since the start and the frame, left of the columns, for Wireshark. */
static void margin(FILE *out, const html_sess *s, const html_event *e, double y)
{
    fprintf(out, "<text class=\"t\" x=\"4\" y=\"%.1f\">+%.3f s</text>", y + 4,
            (double)(e->ts - s->start) / 1e6);
    if (!e->frame)
        return;
    char name[288];
    frame_name(s, e->frame, name, sizeof name);
    fprintf(out, "<text class=\"f\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">#", CLIENT_X - 8,
            y + 4);
    html_text(out, name);
    fputs("</text>", out);
}

static void draw_eod_part(FILE *out, const html_event *e, double y)
{
    char what[96];
    if (e->m > 1)
        snprintf(what, sizeof what, "end of data, part %u of %u: %u byte%s", e->n, e->m, e->extra,
                 e->extra == 1 ? "" : "s");
    else
        snprintf(what, sizeof what, "end of data: %u bytes", e->extra);
    arrow(out, 1, y, "eod");
    label(out, y, "eod", what);
}

static void draw_no_reply(FILE *out, const html_event *e, double y)
{
    char what[96];
    snprintf(what, sizeof what, "no reply to end of data (waited %.3f s)", (double)e->extra / 1e3);
    fprintf(out,
            "<line class=\"miss\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
            "<path class=\"miss\" d=\"M%d %.1f l12 12 m0 -12 l-12 12\"/>",
            SERVER_X, y, (CLIENT_X + SERVER_X) / 2, y, SERVER_X - 6, y - 6);
    label(out, y, "bad", what);
}

/* What ended there, from the analyser (a download cut, deletions rolled back): a red dashed
 * line across both columns. */
static void draw_mark(FILE *out, const html_event *e, double y)
{
    fprintf(out, "<line class=\"miss\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", CLIENT_X, y,
            SERVER_X, y);
    label(out, y, "bad", e->text);
}

static void draw_end(FILE *out, const html_event *e, double y)
{
    const char *what = e->kind == HEV_FIN ? "FIN" : "RST";
    const char *cls = e->kind == HEV_FIN ? "tcp" : "bad";
    char text[64];
    if (e->dir == 2) {
        snprintf(text, sizeof text, "%s (sender unknown)", what);
        label(out, y, cls, text);
        return;
    }
    snprintf(text, sizeof text, "%s from the %s", what,
             e->dir == SMTP_CLIENT ? "client" : "server");
    arrow(out, e->dir == SMTP_CLIENT, y, cls);
    label(out, y, cls, text);
}

static void draw_event(FILE *out, const html_sess *s, const html_event *e, double y)
{
    margin(out, s, e, y);
    switch (e->kind) {
    case HEV_OPEN:
        arrow(out, 1, y, "tcp");
        label(out, y, "tcp", "TCP handshake complete");
        break;
    case HEV_CMD:
        arrow(out, 1, y, "cli");
        label(out, y, "cli", e->text);
        break;
    case HEV_REPLY:
        arrow(out, 0, y, reply_class(e->text));
        label(out, y, reply_class(e->text), e->text);
        break;
    case HEV_LINES: {
        char what[64];
        snprintf(what, sizeof what, "... %u transcript lines not kept ...", e->n);
        label(out, y, "tcp", what);
        break;
    }
    case HEV_EOD_PART:
        draw_eod_part(out, e, y);
        break;
    case HEV_NO_REPLY:
        draw_no_reply(out, e, y);
        break;
    case HEV_MARK:
        draw_mark(out, e, y);
        break;
    default:
        draw_end(out, e, y);
        break;
    }
}

/* A compressed silence: a zigzag across both lifelines and how long it was. */
static void draw_break(FILE *out, double y0, double y1, int64_t gap)
{
    double mid = (y0 + y1) / 2;
    fprintf(out, "<rect class=\"gap\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>",
            CLIENT_X - 30, mid - 9, SERVER_X - CLIENT_X + 60, 18.0);
    for (int x = CLIENT_X; x <= SERVER_X; x += SERVER_X - CLIENT_X)
        fprintf(out, "<path class=\"zig\" d=\"M%d %.1f l6 4 l-12 6 l6 4\"/>", x, mid - 7);
    fprintf(out,
            "<text class=\"gapt\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%.3f s of silence "
            "(compressed)</text>",
            (CLIENT_X + SERVER_X) / 2, mid + 4, (double)gap / 1e6);
}

static void draw_ladder(FILE *out, const html_sess *s)
{
    const html_event *ev[HTML_EVENTS_MAX];
    int64_t ts[HTML_EVENTS_MAX] = {0};
    double y[HTML_EVENTS_MAX];
    unsigned char broken[HTML_EVENTS_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < s->nev; i++)
        if (drawn(&s->ev[i])) {
            ev[n] = &s->ev[i];
            ts[n++] = s->ev[i].ts;
        }
    double bottom = html_ladder_rows(ts, n, TOP, y, broken);
    fprintf(out,
            "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\">",
            WIDTH + 60, bottom + 10, WIDTH + 60, bottom + 10);
    fprintf(out, "<text class=\"col\" x=\"%d\" y=\"20\" text-anchor=\"middle\">client ", CLIENT_X);
    html_text(out, s->client);
    fprintf(out, "</text><text class=\"col\" x=\"%d\" y=\"20\" text-anchor=\"middle\">server ",
            SERVER_X);
    html_text(out, s->server);
    fputs("</text>", out);
    for (int x = CLIENT_X; x <= SERVER_X; x += SERVER_X - CLIENT_X)
        fprintf(out, "<line class=\"life\" x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"%.0f\"/>", x, x,
                bottom);
    for (unsigned i = 0; i < n; i++) {
        if (broken[i])
            draw_break(out, y[i - 1], y[i], ts[i] - ts[i - 1]);
        draw_event(out, s, ev[i], y[i]);
    }
    fputs("</svg>\n", out);
}

static void findings_messages(FILE *out, const html_sess *s)
{
    for (unsigned i = 0; i < s->nmsg; i++) {
        const html_message *m = &s->msg[i];
        fprintf(out, "<li>message %u: ", i + 1);
        html_text(out, m->id[0] ? m->id : "-");
        fputs(" from ", out);
        html_text(out, m->from[0] ? m->from : "-");
        fputs(" to ", out);
        html_text(out, m->to[0] ? m->to : "-");
        fprintf(out, ", %" PRIu64 " bytes", m->bytes);
        if (m->eod_seen && m->nparts > 1 && !m->bdat)
            fprintf(out, "; end of data split %s over %d segments", m->cut, m->nparts);
        if (m->eod_seen && m->replied)
            fprintf(out, "; answered %d after %.3f s", m->reply, (double)m->waited / 1e6);
        else if (m->eod_seen)
            fprintf(out, "; <b class=\"bad\">never answered</b>: the client waited %.3f s",
                    (double)m->waited / 1e6);
        fputs("</li>\n", out);
    }
    if (s->msg_total > s->nmsg)
        fprintf(out, "<li>%u more messages in this session</li>\n", s->msg_total - s->nmsg);
}

static void findings_pop3(FILE *out, const html_sess *s)
{
    for (unsigned i = 0; i < s->nnotes; i++) {
        fputs("<li>", out);
        html_text(out, s->notes[i]);
        fputs("</li>\n", out);
    }
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            fprintf(out, "<li><b>%s</b>: %s</li>\n", pop3_flag_name(i), pop3_flag(i)->advice);
}

static void findings(FILE *out, const html_sess *s)
{
    fputs("<ul class=\"find\">\n", out);
    if (s->banner[0]) {
        fprintf(out, "<li>%s: <code>", s->pop3 ? "greeting" : "banner");
        html_text(out, s->banner);
        fputs("</code></li>\n", out);
    }
    if (s->pop3) {
        findings_pop3(out, s);
        fputs("</ul>\n", out);
        return;
    }
    findings_messages(out, s);
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            fprintf(out, "<li><b>%s</b>: %s</li>\n", smtp_flag_name(i), smtp_flag(i)->info.advice);
    for (unsigned i = 0; i < s->ncauses; i++)
        fprintf(out, "<li>%s <b>%s</b> (%.2f, %s)%s%s</li>\n",
                i ? "also possible:" : "likely cause:", smtp_cause_name(s->causes[i].id),
                s->causes[i].score, confidence_level(s->causes[i].score),
                i ? "" : ". Fix: ", i ? "" : smtp_cause_fix(s->causes[i].id));
    fputs("</ul>\n", out);
}

static void transcript(FILE *out, const html_sess *s)
{
    fputs("<details><summary>transcript</summary><pre>", out);
    for (unsigned i = 0; i < s->nev; i++) {
        const html_event *e = &s->ev[i];
        if (e->kind == HEV_LINES)
            fprintf(out, "    ... %u lines not kept ...\n", e->n);
        if (e->kind != HEV_CMD && e->kind != HEV_REPLY && e->kind != HEV_NOTE)
            continue;
        char name[288];
        frame_name(s, e->frame, name, sizeof name);
        size_t len = strlen(name); /* right-aligned in 8 columns, as the text report's */
        fprintf(out, "%*s", len < 8 ? (int)(8 - len) : 0, "");
        html_text(out, name);
        fprintf(out, " %+10.3f  %s ", (double)(e->ts - s->start) / 1e6,
                e->kind == HEV_CMD     ? "C:"
                : e->kind == HEV_REPLY ? "S:"
                                       : "--");
        html_text(out, e->text);
        fputc('\n', out);
    }
    fputs("</pre></details>\n", out);
}

void html_session_section(FILE *out, const html_sess *s)
{
    char start[40];
    html_format_time(start, sizeof start, s->start);
    fprintf(out, "<section class=\"sess\" id=\"s%" PRIu64 "\"><h3>%s session %" PRIu64 ": ", s->id,
            s->pop3 ? "POP3" : "SMTP", s->id);
    html_text(out, s->client);
    fputs(" &rarr; ", out);
    html_text(out, s->server);
    fprintf(out, "</h3>\n<p>%s UTC, %.3f s, ended: %s%s%s. Flags: <b>", start,
            (double)(s->end - s->start) / 1e6, flow_end_name(s->end_reason),
            s->closed_by >= 0 ? " by the " : "",
            s->closed_by == SMTP_CLIENT   ? "client"
            : s->closed_by == SMTP_SERVER ? "server"
                                          : "");
    html_flag_names(out, s->pop3, s->flags);
    fputs("</b></p>\n", out);
    if (s->filter[0]) {
        fputs("<p class=\"ws\">Wireshark: <code>", out);
        html_text(out, s->filter);
        fputs("</code></p>\n", out);
    }
    draw_ladder(out, s);
    findings(out, s);
    transcript(out, s);
    fputs("</section>\n", out);
}
