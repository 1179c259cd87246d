/* ui view pane: the detail pane, the selected session's report text (live while it is
 * open) and its events, scrolled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "ui/view_internal.h"

static void write_events(FILE *f, const ui_session *s)
{
    fprintf(f, "\nevents (%u kept", s->nev);
    if (s->ev_dropped)
        fprintf(f, ", %u dropped between the first and the latest", s->ev_dropped);
    fprintf(f, "):\n");
    for (unsigned i = 0; i < s->nev; i++) {
        const ui_event *e = ui_session_event(s, i);
        char glyph = e->kind == UI_EV_EOD_PART && e->nparts > 1
                         ? UI_GLYPH_SPLIT
                         : ui_event_glyph((ui_event_kind)e->kind);
        fprintf(f, "  %+10.3f s  frame %-8s %c %s", (double)(e->ts - s->start) / 1e6,
                report_frame_ref(e->frame).s, glyph, ui_event_name((ui_event_kind)e->kind));
        if (e->kind == UI_EV_EOD_PART && e->nparts > 1)
            fprintf(f, " (terminator split over %u segments)", e->nparts);
        if (e->kind == UI_EV_FIN || e->kind == UI_EV_RST)
            fprintf(f, " from %s", e->from == SMTP_CLIENT ? "client" : "server");
        fputc('\n', f);
    }
}

/* Text of the pane: the report (live for an open session), then the events. */
static char *pane_text(ui_view *v, const ui_session *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    if (s->detail) {
        fwrite(s->detail, 1, s->detail_len, f);
    } else if (!s->ended && s->owner && v->detail_fn) {
        v->detail_fn(v->ctx, s->owner, f);
    } else {
        fprintf(f, "(no report text)\n");
    }
    write_events(f, s);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The title bar; returns the selected session, or NULL when there is none. */
static const ui_session *draw_title(ui_view *v, const ui_layout *l)
{
    const ui_session *s = ui_view_row(v, v->sel);
    char title[256];
    attr_t ha = ui_attr_header(v);
    ui_fill_line(l->pane_y, ha);
    if (!s) {
        ui_put(l->pane_y, 0, ha, " detail: no session selected (Esc closes)");
        return NULL;
    }
    snprintf(title, sizeof title,
             " session %llu  %s -> %s  (arrows/PgUp/PgDn scroll, j/k next session, Esc closes)",
             (unsigned long long)s->id, s->client, s->server);
    ui_put(l->pane_y, 0, ha | A_BOLD, title);
    return s;
}

/* The start of the line after the one at p. */
static const char *next_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : end;
}

/* Keeps the scroll within the text now that its length is known. */
static void clamp_scroll(ui_view *v, const char *text, size_t len)
{
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        lines++;
    long max = lines - v->pane_body_h;
    if (v->pane_scroll > max)
        v->pane_scroll = max;
    if (v->pane_scroll < 0)
        v->pane_scroll = 0;
}

void ui_draw_pane(ui_view *v, const ui_layout *l)
{
    const ui_session *s = draw_title(v, l);
    size_t len = 0;
    char *text = s ? pane_text(v, s, &len) : NULL;
    if (!text)
        return;
    v->pane_body_h = l->pane_h - 1;
    clamp_scroll(v, text, len);
    /* Walk to the first visible line, then draw each one up to its newline. */
    const char *p = text, *end = text + len;
    for (long i = 0; i < v->pane_scroll && p < end; i++)
        p = next_line(p, end);
    for (int y = 0; y < v->pane_body_h && p < end; y++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        char line[1024];
        escape_line(line, sizeof line, p, (size_t)((nl ? nl : end) - p));
        ui_put(l->pane_y + 1 + y, 1, A_NORMAL, line);
        p = next_line(p, end);
    }
    free(text);
}
