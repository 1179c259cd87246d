/* ui timeline: the shared time axis and one session's strip on it (see model.h). */
#include <string.h>

#include "ui/model.h"

/* One table per protocol: the glyph of each kind and its name for the legend. SMTP's also
 * holds the kinds both protocols share (connect, banner, STARTTLS, QUIT, its reply, FIN,
 * RST); POP3's glyphs are distinct from every SMTP one, so a glyph means one thing. */
typedef struct kind_info {
    char glyph;
    const char *name;
} kind_info;

static const kind_info smtp_kinds[UI_EV_POP3_FIRST] = {
    [UI_EV_CONNECT] = {'o', "connect"},
    [UI_EV_BANNER] = {'B', "banner"},
    [UI_EV_BANNER_MASKED] = {'*', "masked banner"},
    [UI_EV_HELO] = {'H', "HELO"},
    [UI_EV_HELO_REFUSED] = {'X', "EHLO 5xx"},
    [UI_EV_MAIL] = {'M', "MAIL"},
    [UI_EV_RCPT] = {'R', "RCPT"},
    [UI_EV_DATA] = {'D', "DATA"},
    [UI_EV_EOD_PART] = {'E', "end of data"},
    [UI_EV_EOD_REPLY_OK] = {'+', "EOD 2xx"},
    [UI_EV_EOD_REPLY_FAIL] = {'!', "EOD failed"},
    [UI_EV_STARTTLS] = {'T', "STARTTLS"},
    [UI_EV_QUIT] = {'Q', "QUIT"},
    [UI_EV_QUIT_REPLY] = {'q', "221"},
    [UI_EV_FIN] = {'F', "FIN"},
    [UI_EV_RST] = {'#', "RST"},
};

static const kind_info pop3_kinds[UI_EV_COUNT - UI_EV_POP3_FIRST] = {
#define P(k) [(k)-UI_EV_POP3_FIRST]
    P(UI_EV_POP3_LOGIN) = {'L', "login"},
    P(UI_EV_POP3_LOGIN_REFUSED) = {'x', "login refused"},
    P(UI_EV_POP3_LIST) = {'U', "LIST/UIDL"},
    P(UI_EV_POP3_RETR) = {'G', "RETR/TOP"},
    P(UI_EV_POP3_RETR_DONE) = {'g', "message complete"},
    P(UI_EV_POP3_RETR_CUT) = {'%', "message cut"},
    P(UI_EV_POP3_DELE) = {'d', "DELE"},
#undef P
};

static const kind_info *kind_of(ui_event_kind k)
{
    if ((unsigned)k < UI_EV_POP3_FIRST)
        return &smtp_kinds[k];
    if ((unsigned)k < UI_EV_COUNT)
        return &pop3_kinds[k - UI_EV_POP3_FIRST];
    return NULL;
}

char ui_event_glyph(ui_event_kind k)
{
    const kind_info *i = kind_of(k);
    return i ? i->glyph : '?';
}

const char *ui_event_name(ui_event_kind k)
{
    const kind_info *i = kind_of(k);
    return i ? i->name : "?";
}

/* ---- axis ---- */

/* Bounds on a span: one microsecond per column, and about 30 years across. */
#define SPAN_MAX ((int64_t)1000000000000000)

int ui_axis_column(const ui_axis *a, int64_t ts)
{
    if (a->width <= 0 || a->span <= 0 || ts < a->start)
        return -1;
    uint64_t d = (uint64_t)ts - (uint64_t)a->start;
    uint64_t span = (uint64_t)a->span, w = (uint64_t)a->width;
    if (d >= span)
        return -1;
#ifdef __SIZEOF_INT128__
    uint64_t col = (uint64_t)((unsigned __int128)d * w / span); /* exact for any span */
#else
    uint64_t col = d <= UINT64_MAX / w ? d * w / span : (uint64_t)((double)d / (double)span * w);
#endif
    return col >= w ? a->width - 1 : (int)col;
}

ui_axis ui_axis_fit(int64_t from, int64_t to, int width)
{
    if (width < 1)
        width = 1;
    if (to < from)
        to = from;
    /* A margin of 5% (at least a column) keeps "now" off the right edge. */
    int margin = width >= 20 ? width / 20 : 1;
    int usable = width - margin > 0 ? width - margin : 1;
    double x = ((double)(to - from) + 1.0) * width / usable;
    double span = (double)(int64_t)x;
    if (span < x)
        span += 1;                       /* round up: to must stay inside */
    double min = (double)width * 1000.0; /* at least 1 ms per column: a lone event is a dot */
    if (span < min)
        span = min;
    if (span > (double)SPAN_MAX)
        span = (double)SPAN_MAX;
    return (ui_axis){.start = from, .span = (int64_t)span, .width = width};
}

void ui_axis_zoom(ui_axis *a, double factor)
{
    if (!(factor > 0))
        return;
    int64_t centre = a->start + a->span / 2;
    double span = (double)a->span * factor + 0.5;
    double min = a->width > 0 ? a->width : 1;
    if (span < min)
        span = min;
    if (span > (double)SPAN_MAX)
        span = (double)SPAN_MAX;
    a->span = (int64_t)span;
    a->start = centre - a->span / 2;
}

void ui_axis_pan(ui_axis *a, double fraction)
{
    double d = (double)a->span * fraction;
    a->start += (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
}

/* ---- strip ---- */

/* Which cell wins a column: symptoms, then good news, then ordinary events, then lines. */
static int rank(uint8_t cell)
{
    switch (cell) {
    case UI_CELL_BAD:
        return 3;
    case UI_CELL_GOOD:
        return 2;
    case UI_CELL_EVENT:
        return 1;
    default:
        return 0;
    }
}

static int is_split_part(const ui_event *e)
{
    return e->kind == UI_EV_EOD_PART && e->nparts > 1;
}

ui_cell ui_event_cell(const ui_event *e)
{
    switch (e->kind) {
    case UI_EV_BANNER_MASKED:
    case UI_EV_HELO_REFUSED:
    case UI_EV_EOD_REPLY_FAIL:
    case UI_EV_RST:
    case UI_EV_POP3_LOGIN_REFUSED:
    case UI_EV_POP3_RETR_CUT:
        return UI_CELL_BAD;
    case UI_EV_EOD_REPLY_OK:
    case UI_EV_QUIT_REPLY:
    case UI_EV_POP3_RETR_DONE:
        return UI_CELL_GOOD;
    default:
        return is_split_part(e) ? UI_CELL_BAD : UI_CELL_EVENT;
    }
}

/* Fills the columns of [from, to] (clipped to the axis) with a line glyph where nothing is
 * drawn yet: events are drawn first, then waits, then the life line. */
static void fill(const ui_axis *a, int64_t from, int64_t to, char glyph, uint8_t cell, char *text,
                 uint8_t *cells)
{
    int64_t end = a->start + a->span; /* first time past the axis */
    if (to < from || to < a->start || from >= end)
        return;
    int c0 = from < a->start ? 0 : ui_axis_column(a, from);
    int c1 = to >= end ? a->width - 1 : ui_axis_column(a, to);
    for (int c = c0; c <= c1; c++) {
        if (cells[c] == UI_CELL_EMPTY) {
            text[c] = glyph;
            cells[c] = cell;
        }
    }
}

/* Where the wait after the terminator ending at event i stops: its reply; when the ring lost
 * the reply, the next event that is not a close; with none, life_end if still waiting. */
static int64_t wait_end(const ui_session *s, unsigned i, int64_t life_end)
{
    int64_t fallback = -1;
    for (unsigned j = i + 1; j < s->nev; j++) {
        const ui_event *e = ui_session_event(s, j);
        if (e->kind == UI_EV_EOD_REPLY_OK || e->kind == UI_EV_EOD_REPLY_FAIL)
            return e->ts;
        if (fallback < 0 && e->kind != UI_EV_FIN && e->kind != UI_EV_RST && e->kind != UI_EV_QUIT)
            fallback = e->ts;
    }
    if (s->eod_wait)
        return life_end;
    return fallback;
}

static void draw_waits(const ui_session *s, const ui_axis *a, int64_t life_end, char *text,
                       uint8_t *cells)
{
    for (unsigned i = 0; i < s->nev; i++) {
        const ui_event *e = ui_session_event(s, i);
        if (e->kind != UI_EV_EOD_PART)
            continue;
        if (i + 1 < s->nev && ui_session_event(s, i + 1)->kind == UI_EV_EOD_PART)
            continue; /* not the terminator's last segment */
        int64_t to = wait_end(s, i, life_end);
        if (to >= 0)
            fill(a, e->ts, to, '~', UI_CELL_WAIT, text, cells);
    }
}

/* Events in time order; in one column the higher rank wins, and at equal rank the later one
 * (the newest state of the session is what the column should say). */
static void draw_events(const ui_session *s, const ui_axis *a, char *text, uint8_t *cells,
                        int *before, int *after)
{
    for (unsigned i = 0; i < s->nev; i++) {
        const ui_event *e = ui_session_event(s, i);
        if (e->ts < a->start) {
            *before = 1;
            continue;
        }
        int c = ui_axis_column(a, e->ts);
        if (c < 0) {
            *after = 1;
            continue;
        }
        uint8_t cell = (uint8_t)ui_event_cell(e);
        if (rank(cell) < rank(cells[c]))
            continue;
        text[c] = is_split_part(e) ? UI_GLYPH_SPLIT : ui_event_glyph((ui_event_kind)e->kind);
        cells[c] = cell;
    }
}

/* A POP3 download cut by the connection's end shares its column with the RST or FIN that cut
 * it (the same moment, drawn later): the cut wins, it is what the end cost. */
static void draw_cuts(const ui_session *s, const ui_axis *a, char *text, uint8_t *cells)
{
    for (unsigned i = 0; i < s->nev; i++) {
        const ui_event *e = ui_session_event(s, i);
        int c = e->kind == UI_EV_POP3_RETR_CUT ? ui_axis_column(a, e->ts) : -1;
        if (c >= 0) {
            text[c] = ui_event_glyph(UI_EV_POP3_RETR_CUT);
            cells[c] = UI_CELL_BAD;
        }
    }
}

void ui_timeline(const ui_session *s, const ui_axis *a, int64_t now, char *text, uint8_t *cells)
{
    int w = a->width > 0 ? a->width : 0;
    memset(text, ' ', (size_t)w);
    memset(cells, UI_CELL_EMPTY, (size_t)w);
    text[w] = '\0';
    if (w == 0 || a->span <= 0)
        return;
    int64_t life_end = s->ended ? s->last : (now > s->last ? now : s->last);
    int before = 0, after = 0;
    draw_events(s, a, text, cells, &before, &after);
    draw_cuts(s, a, text, cells);
    draw_waits(s, a, life_end, text, cells);
    fill(a, s->start, life_end, '-', UI_CELL_LIFE, text, cells);
    /* The edge markers win: they are the only hint that the strip hides events. */
    if (before) {
        text[0] = '<';
        cells[0] = UI_CELL_OFFAXIS;
    }
    if (after) {
        text[w - 1] = '>';
        cells[w - 1] = UI_CELL_OFFAXIS;
    }
}
