/* html pop3: what the page keeps of a finished POP3 session — its ladder's events (the
 * transcript, the connection's ends, where a download was cut and where deletions were
 * rolled back) and the facts written under it. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "html/internal.h"

static void add_line(html_sess *h, const pop3_tline *t)
{
    html_add_line(h, t->dir, t->ts, t->frame, t->text);
}

/* The transcript as the text report keeps it: the first lines, a mark, the latest. */
static void add_transcript(html_sess *h, const pop3_report *s)
{
    for (unsigned i = 0; i < s->nhead && i < s->nlines; i++)
        add_line(h, &s->lines[i]);
    if (s->dropped_lines && s->nlines > s->nhead)
        html_add_dropped(h, s->dropped_lines, s->lines[s->nhead].ts, s->lines[s->nhead].frame);
    for (unsigned i = s->nhead; i < s->nlines; i++)
        add_line(h, &s->lines[i]);
}

static void mark(html_sess *h, const pop3_report *s, const char *fmt, ...)
{
    html_event *e = html_add_event(h, HEV_MARK, 2, s->end, s->end_frame);
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
}

static unsigned uncommitted(const pop3_report *s)
{
    unsigned n = s->count.deleted_not_kept;
    for (unsigned i = 0; i < s->nmsgs; i++)
        n += s->msgs[i].deleted && !s->msgs[i].committed;
    return n;
}

/* The connection's ends, and at the end what the server was left with. */
static void add_ends(html_sess *h, const pop3_report *s)
{
    html_add_event(h, HEV_OPEN, 2, s->start, s->start_frame);
    for (int d = FLOW_CLIENT; d <= FLOW_SERVER; d++)
        if (s->fin_ts[d])
            html_add_event(h, HEV_FIN, d, s->fin_ts[d], 0);
    if (s->end_reason == FLOW_END_RST)
        html_add_event(h, HEV_RST, s->closed_by >= 0 ? s->closed_by : 2, s->end, s->end_frame);
    if (s->cut_inside)
        mark(h, s, "cut inside %s %" PRIu32 " after %" PRIu64 " octets",
             s->cut_top ? "TOP" : "RETR", s->cut_number, s->cut_octets);
    unsigned rolled = uncommitted(s);
    if (rolled)
        mark(h, s, "no +OK to QUIT: %u deletion%s rolled back", rolled, rolled == 1 ? "" : "s");
}

static void note(html_sess *h, const char *fmt, ...)
{
    if (h->nnotes >= HTML_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->notes[h->nnotes++], HTML_NOTE_LEN, fmt, ap);
    va_end(ap);
}

static const char *fate(const pop3_msg *m)
{
    return m->committed ? "deleted (committed by QUIT)"
           : m->deleted ? "deleted, never committed: the server keeps it"
                        : "left on the server";
}

static void add_notes(html_sess *h, const pop3_report *s)
{
    if (s->mailbox[0])
        note(h, "mailbox %s: %s", s->mailbox,
             s->login > 0   ? "logged in"
             : s->login < 0 ? "login refused"
                            : "login not seen");
    if (s->login_error[0])
        note(h, "the server said: %s", s->login_error);
    unsigned kept = 0;
    for (unsigned i = 0; i < s->nmsgs && kept < HTML_MESSAGES_KEPT; i++) {
        const pop3_msg *m = &s->msgs[i];
        if (!m->retrieved && !m->deleted)
            continue;
        kept++;
        note(h, "message %" PRIu32 " %s: %s, %" PRIu64 " octets; %s", m->number,
             m->message_id[0] ? m->message_id : "(no Message-ID)",
             !m->retrieved ? "not downloaded"
             : m->complete ? "downloaded"
                           : "download cut",
             m->octets, fate(m));
    }
    note(h, "QUIT: %s",
         !s->quit            ? "never sent"
         : s->quit_reply > 0 ? "answered +OK"
         : s->quit_reply < 0 ? "answered -ERR"
                             : "sent, never answered");
}

static html_basics basics(const html_pop3_in *in)
{
    const pop3_report *s = in->s;
    return (html_basics){in->id,   1,        in->client, in->server,    in->display_filter,
                         s->flags, s->start, s->end,     s->end_reason, s->closed_by};
}

static void keep_drawn(html_sess *h, const html_pop3_in *in)
{
    const pop3_report *s = in->s;
    html_basics b = basics(in);
    html_keep_basics(h, &b);
    html_copy(h->banner, sizeof h->banner, s->greeting_text);
    add_notes(h, s);
    add_ends(h, s); /* before the transcript: its bound loses lines, never these */
    add_transcript(h, s);
    html_sort_events(h);
}

static void keep_row(html_row *r, const html_pop3_in *in)
{
    html_basics b = basics(in);
    html_keep_row(r, &b, in->s->count.retrieved, CAUSE_NONE);
}

void html_add_pop3_session(html_doc *d, const html_pop3_in *in)
{
    d->pop3++;
    d->pop3_flagged += in->s->flags != 0;
    html_row *row;
    html_sess *h = html_take(d, in->s->flags != 0, &row);
    if (h) {
        keep_drawn(h, in);
        h->namer = d->namer;
    } else if (row) {
        keep_row(row, in);
    }
}
