/* What a session tells as it goes: its transcript (the first lines, then a ring of the latest)
 * and the live observer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/internal.h"

void smtp_note_line(smtp_session *s, int dir, smtp_seg_ref at, const char *text, size_t len)
{
    if (s->no_transcript)
        return;
    if (!s->lines) {
        s->lines = calloc(SMTP_TRANSCRIPT, sizeof *s->lines);
        if (!s->lines)
            return;
        s->rep.head = s->lines;
        s->rep.tail = s->lines + HEAD_LINES;
    }
    smtp_tline *t;
    if (s->rep.nhead < HEAD_LINES) {
        t = &s->lines[s->rep.nhead++];
    } else {
        unsigned slot;
        if (s->rep.ntail < TAIL_LINES) {
            slot = (s->rep.tail_start + s->rep.ntail++) % TAIL_LINES;
        } else {
            slot = s->rep.tail_start;
            s->rep.tail_start = (slot + 1) % TAIL_LINES;
            s->rep.dropped_lines++;
        }
        t = &s->lines[HEAD_LINES + slot];
    }
    t->ts = at.ts;
    t->frame = at.frame;
    t->dir = (uint8_t)dir;
    smtp_copy_text(t->text, sizeof t->text, text, len);
}

void smtp_note_event(smtp_session *s, const char *fmt, ...)
{
    char buf[SMTP_TRANSCRIPT_TEXT];
    va_list ap;
    if (s->no_transcript)
        return; /* nothing to format: the output shows no transcript */
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    smtp_note_line(s, 2, s->now.ref, buf, strlen(buf));
}

void smtp_set_observer(smtp_session *s, smtp_event_fn fn, void *ctx)
{
    s->observer = fn;
    s->observer_ctx = ctx;
}

void smtp_notify(smtp_session *s, smtp_event ev)
{
    if (!s->observer)
        return;
    ev.ts = s->now.ref.ts;
    ev.frame = s->now.ref.frame;
    s->observer(s->observer_ctx, &ev);
}

const smtp_tline *smtp_tail_line(const smtp_report *r, unsigned i)
{
    return &r->tail[(r->tail_start + i) % TAIL_LINES];
}
