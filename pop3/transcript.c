/* The transcript (the first lines, then a ring of the latest) and the live observer. Only
 * what the client and server files hand it is kept: they have already replaced credentials. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3/internal.h"

enum { TAIL_LINES = POP3_TRANSCRIPT - POP3_HEAD_LINES };

static pop3_tline *next_slot(pop3_session *s)
{
    if (!s->lines && !(s->lines = calloc(POP3_TRANSCRIPT, sizeof *s->lines)))
        return NULL;
    unsigned n = s->nlines_total++;
    if (n < POP3_HEAD_LINES)
        return &s->lines[n];
    return &s->lines[POP3_HEAD_LINES + (n - POP3_HEAD_LINES) % TAIL_LINES];
}

void pop3_keep_no_transcript(pop3_session *s)
{
    s->no_transcript = 1;
}

void pop3_note_line(pop3_session *s, int dir, const char *text, size_t len)
{
    if (s->ended || s->no_transcript)
        return;
    pop3_tline *t = next_slot(s);
    if (!t)
        return;
    t->ts = s->now.ts;
    t->frame = s->now.frame;
    t->dir = (uint8_t)dir;
    pop3_copy_text(t->text, sizeof t->text, text, len);
}

void pop3_note_event(pop3_session *s, const char *fmt, ...)
{
    char buf[POP3_TRANSCRIPT_TEXT];
    va_list ap;
    if (s->no_transcript)
        return; /* nothing to format: the output shows no transcript */
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= 0)
        pop3_note_line(s, 2, buf, strlen(buf));
}

void pop3_notify(pop3_session *s, pop3_event ev)
{
    if (!s->observer)
        return;
    ev.ts = s->now.ts;
    ev.frame = s->now.frame;
    s->observer(s->observer_ctx, &ev);
}

/* Rotates the ring so that its oldest line comes first: the report reads lines in order. */
void pop3_transcript_settle(pop3_session *s)
{
    pop3_report *r = &s->rep;
    unsigned n = s->nlines_total;
    r->nhead = n < POP3_HEAD_LINES ? n : POP3_HEAD_LINES;
    unsigned ntail = n <= POP3_HEAD_LINES ? 0 : n - POP3_HEAD_LINES;
    r->dropped_lines = ntail > TAIL_LINES ? ntail - TAIL_LINES : 0;
    ntail = ntail > TAIL_LINES ? TAIL_LINES : ntail;
    r->nlines = r->nhead + ntail;
    r->lines = s->lines;
    if (!s->lines || r->dropped_lines == 0)
        return;
    pop3_tline ring[TAIL_LINES];
    unsigned start = (n - POP3_HEAD_LINES) % TAIL_LINES; /* the oldest kept */
    pop3_tline *tail = s->lines + POP3_HEAD_LINES;
    for (unsigned i = 0; i < TAIL_LINES; i++)
        ring[i] = tail[(start + i) % TAIL_LINES];
    memcpy(tail, ring, sizeof ring);
}
