/* html doc: what the page keeps of each finished session, bounded: the first flagged ones in
 * full (their ladder's events), the next flagged ones and the clean ones as a line each, the
 * rest only counted. */
#include <stdlib.h>
#include <string.h>

#include "html/internal.h"

html_doc *html_new(unsigned drawn)
{
    html_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->drawn_max = drawn;
    d->drawn = drawn ? calloc(drawn, sizeof *d->drawn) : NULL;
    d->listed = calloc(HTML_SESSIONS_LISTED, sizeof *d->listed);
    d->clean = calloc(HTML_CLEAN_LISTED, sizeof *d->clean);
    if ((drawn && !d->drawn) || !d->listed || !d->clean) {
        html_free(d);
        return NULL;
    }
    return d;
}

void html_free(html_doc *d)
{
    if (!d)
        return;
    free(d->drawn);
    free(d->listed);
    free(d->clean);
    free(d);
}

void html_set_frame_namer(html_doc *d, html_frame_name_fn fn)
{
    d->namer = fn;
}

void html_count_other(html_doc *d)
{
    d->others++;
}

void html_copy(char *out, size_t cap, const char *s)
{
    snprintf(out, cap, "%s", s ? s : "");
}

html_event *html_add_event(html_sess *h, html_ev_kind kind, int dir, int64_t ts, uint64_t frame)
{
    if (h->nev >= HTML_EVENTS_MAX)
        return NULL;
    html_event *e = &h->ev[h->nev++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->dir = (uint8_t)dir;
    e->ts = ts;
    e->frame = frame;
    e->seq = h->nev;
    return e;
}

void html_add_line(html_sess *h, int dir, int64_t ts, uint64_t frame, const char *text)
{
    html_ev_kind kind = dir == 0 ? HEV_CMD : dir == 1 ? HEV_REPLY : HEV_NOTE;
    html_event *e = html_add_event(h, kind, dir, ts, frame);
    if (e)
        html_copy(e->text, sizeof e->text, text);
}

void html_add_dropped(html_sess *h, unsigned n, int64_t ts, uint64_t frame)
{
    html_event *e = html_add_event(h, HEV_LINES, 2, ts, frame);
    if (e)
        e->n = n;
}

static void add_line(html_sess *h, const smtp_tline *t)
{
    html_add_line(h, t->dir, t->ts, t->frame, t->text);
}

/* The transcript as the text report keeps it: the first lines, a mark for those not kept,
 * the latest. */
static void add_transcript(html_sess *h, const smtp_report *s)
{
    for (unsigned i = 0; i < s->nhead; i++)
        add_line(h, &s->head[i]);
    if (s->dropped_lines && s->ntail)
        html_add_dropped(h, s->dropped_lines, smtp_tail_line(s, 0)->ts,
                         smtp_tail_line(s, 0)->frame);
    for (unsigned i = 0; i < s->ntail; i++)
        add_line(h, smtp_tail_line(s, i));
}

/* Each segment of each terminator apart (the split Mailguard drops), and where an
 * unanswered one stopped being waited for. */
static void add_eod(html_sess *h, const smtp_report *s, const smtp_eod *e)
{
    if (!e->seen)
        return;
    for (int i = 0; i < e->nparts && !e->bdat; i++) {
        html_event *ev =
            html_add_event(h, HEV_EOD_PART, SMTP_CLIENT, e->part[i].ts, e->part[i].frame);
        if (ev) {
            ev->n = (unsigned)i + 1;
            ev->m = (unsigned)e->nparts;
            ev->extra = e->part_len[i];
        }
    }
    if (!e->replied) {
        const smtp_seg_ref *last = &e->part[e->nparts - 1];
        /* drawn where the client stopped waiting: its FIN, else the end */
        int64_t fin = s->tcp.fin_ts[SMTP_CLIENT];
        int use_fin = fin && fin >= last->ts && fin < s->end;
        html_event *ev = html_add_event(h, HEV_NO_REPLY, SMTP_SERVER, use_fin ? fin : s->end,
                                        use_fin ? s->tcp.fin_frame[SMTP_CLIENT] : s->end_frame);
        if (ev)
            ev->extra = (unsigned)((s->end - last->ts) / 1000); /* ms waited */
    }
}

static void add_tcp(html_sess *h, const smtp_report *s)
{
    html_add_event(h, HEV_OPEN, 2, s->start, s->start_frame);
    for (int d = SMTP_CLIENT; d <= SMTP_SERVER; d++)
        if (s->tcp.fin_ts[d])
            html_add_event(h, HEV_FIN, d, s->tcp.fin_ts[d], s->tcp.fin_frame[d]);
    if (s->end_reason == SMTP_END_RST)
        html_add_event(h, HEV_RST, s->closed_by >= 0 ? s->closed_by : 2, s->end, s->end_frame);
}

/* At one time: the handshake before anything, the end of the connection after all but
 * what the analyser says it left behind (a rollback), last. */
static int rank(const html_event *e)
{
    return e->kind == HEV_OPEN                        ? 0
           : e->kind == HEV_FIN || e->kind == HEV_RST ? 2
           : e->kind == HEV_MARK                      ? 3
                                                      : 1;
}

/* Time order; at one time by rank, then the order they were added (the transcript's). */
static int by_time(const void *a, const void *b)
{
    const html_event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (rank(x) != rank(y))
        return rank(x) - rank(y);
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void html_sort_events(html_sess *h)
{
    qsort(h->ev, h->nev, sizeof h->ev[0], by_time);
}

static void keep_message(html_message *m, const smtp_report *s, const smtp_txn *t)
{
    html_copy(m->id, sizeof m->id, t->message_id);
    html_copy(m->from, sizeof m->from, t->mail_from);
    html_copy(m->to, sizeof m->to, t->nrcpt ? t->rcpt[0] : NULL);
    m->bytes = t->bytes;
    m->eod_seen = t->eod.seen;
    m->bdat = t->eod.bdat;
    m->nparts = t->eod.nparts;
    m->replied = t->eod.replied;
    m->reply = t->eod.reply;
    if (!t->eod.seen)
        return;
    smtp_format_cut(&t->eod, m->cut, sizeof m->cut);
    int64_t last = t->eod.part[t->eod.nparts - 1].ts;
    m->waited = (t->eod.replied ? t->eod.reply_at.ts : s->end) - last;
}

void html_keep_basics(html_sess *h, const html_basics *b)
{
    memset(h, 0, sizeof *h);
    h->id = b->id;
    h->pop3 = b->pop3;
    html_copy(h->client, sizeof h->client, b->client);
    html_copy(h->server, sizeof h->server, b->server);
    html_copy(h->filter, sizeof h->filter, b->filter);
    h->flags = b->flags;
    h->start = b->start;
    h->end = b->end;
    h->end_reason = b->end_reason;
    h->closed_by = b->closed_by;
}

void html_keep_row(html_row *r, const html_basics *b, unsigned messages, cause_id cause)
{
    memset(r, 0, sizeof *r);
    r->id = b->id;
    r->pop3 = b->pop3;
    html_copy(r->client, sizeof r->client, b->client);
    html_copy(r->server, sizeof r->server, b->server);
    r->flags = b->flags;
    r->start = b->start;
    r->end = b->end;
    r->end_reason = b->end_reason;
    r->messages = messages;
    r->cause = cause;
}

static html_basics basics(const html_session_in *in)
{
    const smtp_report *s = in->s;
    return (html_basics){in->id,   0,        in->client, in->server,    in->display_filter,
                         s->flags, s->start, s->end,     s->end_reason, s->closed_by};
}

static void keep_drawn(html_sess *h, const html_session_in *in)
{
    const smtp_report *s = in->s;
    html_basics b = basics(in);
    html_keep_basics(h, &b);
    for (unsigned i = 0; i < in->ncauses && i < HTML_CAUSES; i++)
        h->causes[h->ncauses++] = in->causes[i];
    if (s->banner.seen)
        html_copy(h->banner, sizeof h->banner, s->banner.text);
    h->msg_total = s->ntxn;
    for (unsigned i = 0; i < s->ntxn && h->nmsg < HTML_MESSAGES_KEPT; i++)
        keep_message(&h->msg[h->nmsg++], s, &s->txns[i]);
    /* the TCP events and terminators first: a transcript too long for the bound loses its
     * last lines, never the events the findings stand on */
    add_tcp(h, s);
    for (unsigned i = 0; i < s->ntxn && i < HTML_MESSAGES_KEPT; i++)
        add_eod(h, s, &s->txns[i].eod);
    add_transcript(h, s);
    html_sort_events(h);
}

static void keep_row(html_row *r, const html_session_in *in)
{
    html_basics b = basics(in);
    html_keep_row(r, &b, in->s->ntxn, in->ncauses ? in->causes[0].id : CAUSE_NONE);
}

static void tally_cause(html_doc *d, const html_session_in *in)
{
    if (!in->ncauses || in->causes[0].id < 0 || in->causes[0].id >= CAUSE_COUNT)
        return;
    cause_id c = in->causes[0].id;
    d->cause_sessions[c]++;
    if (in->causes[0].score > d->cause_best[c])
        d->cause_best[c] = in->causes[0].score;
}

html_sess *html_take(html_doc *d, int flagged, html_row **row)
{
    *row = NULL;
    if (!flagged) {
        if (d->nclean < HTML_CLEAN_LISTED)
            *row = &d->clean[d->nclean];
        d->nclean++;
        return NULL;
    }
    if (d->ndrawn < d->drawn_max)
        return &d->drawn[d->ndrawn++];
    if (d->nlisted < HTML_SESSIONS_LISTED)
        *row = &d->listed[d->nlisted];
    d->nlisted++;
    return NULL;
}

void html_add_session(html_doc *d, const html_session_in *in)
{
    if (in->s->flags)
        tally_cause(d, in);
    html_row *row;
    html_sess *h = html_take(d, in->s->flags != 0, &row);
    if (h) {
        keep_drawn(h, in);
        h->namer = d->namer;
    } else if (row) {
        keep_row(row, in);
    }
}
