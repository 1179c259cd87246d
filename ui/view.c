/* ui view: the ncurses screen (see view.h). Every string drawn goes through put(), which
 * sanitises it: nothing that came from a packet can send the terminal a control sequence. */
#include "ui/view.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/escape.h"

enum {
    P_HEADER = 1,
    P_BAD,
    P_GOOD,
    P_WAIT,
    P_EVENT,
    P_OFF,
    P_BADGE_SERIOUS,
    P_BADGE,
};

#define HEAD_ROWS 3                   /* two header lines and the column headings */
#define FOOT_ROWS (legend_rows() + 1) /* legend and status */
static int legend_rows(void);
#define KEY_ESC 27
#define STATE_W 9 /* "wait-eod", "greeting", "timeout" */

struct ui_view {
    ui_model *m;
    ui_live_detail_fn detail_fn;
    void *ctx;
    SCREEN *scr;
    int colour;
    /* rows shown, as model indexes, and the selection (followed by session id) */
    size_t *rows;
    size_t nrows, rows_cap;
    uint64_t sel_id;
    int have_sel;
    size_t sel, top;
    int list_h; /* rows of the list at the last draw: the page size */
    ui_filter filter;
    ui_sort sort;
    /* filter prompt */
    int prompting;
    char prompt[sizeof(((ui_filter *)0)->text)];
    /* detail pane and help */
    int pane, help;
    long pane_scroll;
    int pane_body_h;
    /* time axis: fitted to everything unless the user zoomed or panned */
    int manual_axis;
    ui_axis axis;
    /* pause: the header, "now" and the row order (by insertion order number) are frozen */
    int paused;
    ui_capture frozen_cap;
    int64_t frozen_now;
    uint64_t *frozen;
    size_t nfrozen, frozen_cap_n;
    /* one timeline strip */
    char *strip;
    uint8_t *cells;
    int strip_cap;
};

/* ---- drawing primitives ---- */

/* Draws s at (y, x) clipped to the screen, sanitised; returns the column after it. */
static int put(int y, int x, attr_t a, const char *s)
{
    char buf[1024];
    if (y < 0 || y >= LINES || x < 0 || x >= COLS)
        return x;
    size_t n = escape_line(buf, sizeof buf, s, strlen(s));
    int room = COLS - x - (y == LINES - 1); /* the bottom-right cell would scroll */
    if ((int)n > room)
        n = room > 0 ? (size_t)room : 0;
    if (n == 0)
        return x;
    attrset(a);
    mvaddnstr(y, x, buf, (int)n);
    attrset(A_NORMAL);
    return x + (int)n;
}

static void fill_line(int y, attr_t a)
{
    if (y < 0 || y >= LINES)
        return;
    attrset(a);
    mvhline(y, 0, ' ', COLS);
    attrset(A_NORMAL);
}

static attr_t pair_or(const ui_view *v, int pair, attr_t colour_extra, attr_t mono)
{
    return v->colour ? (attr_t)COLOR_PAIR(pair) | colour_extra : mono;
}

static attr_t cell_attr(const ui_view *v, uint8_t cell)
{
    switch (cell) {
    case UI_CELL_BAD:
        return pair_or(v, P_BAD, A_BOLD, A_BOLD | A_UNDERLINE);
    case UI_CELL_GOOD:
        return pair_or(v, P_GOOD, A_BOLD, A_UNDERLINE);
    case UI_CELL_WAIT:
        return pair_or(v, P_WAIT, A_BOLD, A_BOLD);
    case UI_CELL_EVENT:
        return pair_or(v, P_EVENT, 0, A_NORMAL);
    case UI_CELL_OFFAXIS:
        return pair_or(v, P_OFF, A_BOLD, A_BOLD);
    default:
        return A_NORMAL;
    }
}

static attr_t badge_attr(const ui_view *v, unsigned flag)
{
    if (ui_flag_serious(flag))
        return pair_or(v, P_BADGE_SERIOUS, A_BOLD, A_REVERSE);
    return pair_or(v, P_BADGE, 0, A_UNDERLINE);
}

static attr_t header_attr(const ui_view *v)
{
    return pair_or(v, P_HEADER, 0, A_REVERSE);
}

/* ---- formatting ---- */

static void fmt_clock(int64_t ts, char *out, size_t cap, int with_date)
{
    time_t t = (time_t)(ts / 1000000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "?");
        return;
    }
    char base[24];
    if (!strftime(base, sizeof base, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
        base[0] = '\0';
    if (with_date)
        snprintf(out, cap, "%.20s UTC", base);
    else
        snprintf(out, cap, "%.20s.%03d", base, (int)(ts % 1000000 / 1000));
}

static void fmt_dur(int64_t us, char *out, size_t cap)
{
    if (us < 0)
        us = 0;
    double s = (double)us / 1e6;
    long long whole = (long long)(us / 1000000);
    if (s < 10)
        snprintf(out, cap, "%.3fs", s);
    else if (s < 60)
        snprintf(out, cap, "%.1fs", s);
    else if (whole < 3600)
        snprintf(out, cap, "%lldm%02llds", whole / 60, whole % 60);
    else
        snprintf(out, cap, "%lldh%02lldm%02llds", whole / 3600, whole / 60 % 60, whole % 60);
}

static void fmt_bytes(uint64_t b, char *out, size_t cap)
{
    static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
    double x = (double)b;
    unsigned u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%llu B", (unsigned long long)b);
    else
        snprintf(out, cap, "%.1f %s", x, unit[u]);
}

/* ---- rows and selection ---- */

static const ui_session *row_session(const ui_view *v, size_t r)
{
    return r < v->nrows ? ui_model_session(v->m, v->rows[r]) : NULL;
}

static int ensure_rows(ui_view *v, size_t n)
{
    if (n <= v->rows_cap)
        return 1;
    size_t *p = realloc(v->rows, n * sizeof *p);
    if (!p)
        return 0;
    v->rows = p;
    v->rows_cap = n;
    return 1;
}

/* Index of the kept session with this insertion number: kept sessions are in insertion
 * order, so their numbers ascend. */
static long find_order(const ui_model *m, uint64_t order)
{
    size_t lo = 0, hi = ui_model_count(m);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t o = ui_model_session(m, mid)->order;
        if (o == order)
            return (long)mid;
        if (o < order)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void freeze(ui_view *v)
{
    if (v->nrows > v->frozen_cap_n) {
        uint64_t *p = realloc(v->frozen, v->nrows * sizeof *p);
        if (!p)
            return;
        v->frozen = p;
        v->frozen_cap_n = v->nrows;
    }
    for (size_t i = 0; i < v->nrows; i++)
        v->frozen[i] = row_session(v, i)->order;
    v->nfrozen = v->nrows;
}

static void sync_selection(ui_view *v)
{
    if (v->nrows == 0) {
        v->sel = 0;
        return;
    }
    if (v->have_sel) {
        for (size_t i = 0; i < v->nrows; i++) {
            if (row_session(v, i)->id == v->sel_id) {
                v->sel = i;
                break;
            }
        }
    }
    if (v->sel >= v->nrows)
        v->sel = v->nrows - 1;
    v->sel_id = row_session(v, v->sel)->id;
    v->have_sel = 1;
}

/* Live: filter and sort the model. Paused: the frozen order, minus sessions since dropped. */
static void refresh_rows(ui_view *v, int refreeze)
{
    size_t n = ui_model_count(v->m);
    if (!ensure_rows(v, n ? n : 1))
        return;
    if (!v->paused || refreeze) {
        v->nrows = ui_rows(v->m, &v->filter, v->sort, v->rows, v->rows_cap);
        if (v->paused)
            freeze(v);
    } else {
        v->nrows = 0;
        for (size_t i = 0; i < v->nfrozen; i++) {
            long at = find_order(v->m, v->frozen[i]);
            if (at >= 0)
                v->rows[v->nrows++] = (size_t)at;
        }
    }
    sync_selection(v);
}

static void move_selection(ui_view *v, long delta)
{
    if (v->nrows == 0)
        return;
    long s = (long)v->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= (long)v->nrows)
        s = (long)v->nrows - 1;
    v->sel = (size_t)s;
    v->sel_id = row_session(v, v->sel)->id;
    v->have_sel = 1;
}

/* ---- time axis ---- */

static const ui_capture *shown_capture(const ui_view *v)
{
    return v->paused ? &v->frozen_cap : ui_model_capture(v->m);
}

static int64_t shown_now(const ui_view *v)
{
    int64_t now = v->paused ? v->frozen_now : ui_model_capture(v->m)->now;
    for (size_t i = 0; !now && i < ui_model_count(v->m); i++)
        if (ui_model_session(v->m, i)->last > now)
            now = ui_model_session(v->m, i)->last;
    return now;
}

/* By default the axis runs from the earliest kept session's start to now. */
static ui_axis current_axis(const ui_view *v, int width)
{
    if (v->manual_axis) {
        ui_axis a = v->axis;
        a.width = width;
        return a;
    }
    int64_t now = shown_now(v), from = now;
    for (size_t i = 0; i < ui_model_count(v->m); i++)
        if (ui_model_session(v->m, i)->start < from)
            from = ui_model_session(v->m, i)->start;
    return ui_axis_fit(from, now, width);
}

/* ---- layout ---- */

typedef struct layout {
    int list_y, list_h;
    int pane_y, pane_h; /* pane_h 0: closed */
    int addr_w, flags_w, tl_x, tl_w;
} layout;

static layout compute_layout(const ui_view *v)
{
    layout l = {0};
    int avail = LINES - HEAD_ROWS - FOOT_ROWS;
    if (avail < 1)
        avail = 1;
    l.list_y = HEAD_ROWS;
    l.list_h = avail;
    if (v->pane && avail >= 6) {
        l.pane_h = avail * 3 / 5;
        l.list_h = avail - l.pane_h;
        l.pane_y = l.list_y + l.list_h;
    }
    /* Room for IPv4 address:port (21) unless the screen is narrow; more for IPv6. */
    l.addr_w = COLS >= 160 ? 28 : COLS >= 90 ? 21 : 15;
    l.flags_w = COLS >= 110 ? 18 : 12;
    /* marker+id(7) client " -> " server " " state(9) " " flags " " */
    l.tl_x = 7 + l.addr_w + 4 + l.addr_w + 1 + STATE_W + 1 + l.flags_w + 1;
    l.tl_w = COLS - l.tl_x - 1;
    if (l.tl_w < 8)
        l.tl_w = 0;
    return l;
}

/* ---- header ---- */

static void draw_header(ui_view *v)
{
    const ui_capture *c = shown_capture(v);
    char now[40], el[24], bytes[24], line[512];
    attr_t ha = header_attr(v);
    fill_line(0, ha);
    int x = put(0, 0, ha | A_BOLD, " smtpscope ");
    if (v->paused)
        x = put(0, x, pair_or(v, P_BADGE_SERIOUS, A_BOLD, A_BOLD | A_REVERSE), " PAUSED ");
    if (c->finished)
        x = put(0, x, pair_or(v, P_BADGE, A_BOLD, A_BOLD), " end of file ");
    fmt_clock(c->now, now, sizeof now, 1);
    fmt_dur(c->now - c->first, el, sizeof el);
    fmt_bytes(c->bytes, bytes, sizeof bytes);
    snprintf(line, sizeof line,
             " %s | %s (+%s) | %llu packets, %s | drops %llu | sessions %llu open, %llu ended",
             c->source[0] ? c->source : "?", c->first ? now : "no packets yet", el,
             (unsigned long long)c->packets, bytes, (unsigned long long)(c->drops + c->if_drops),
             (unsigned long long)ui_model_open_count(v->m),
             (unsigned long long)ui_model_ended_count(v->m));
    x = put(0, x, ha, line);
    if (ui_model_untracked(v->m)) {
        snprintf(line, sizeof line, " | untracked %llu",
                 (unsigned long long)ui_model_untracked(v->m));
        put(0, x, ha | A_BOLD, line);
    }
}

/* Findings so far (one badge per flag with its count), then the view settings. */
static void draw_findings(ui_view *v)
{
    char buf[160];
    int x = put(1, 0, A_BOLD, " findings:");
    int any = 0;
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++) {
        uint64_t n = ui_model_flag_count(v->m, i);
        if (!n)
            continue;
        any = 1;
        x = put(1, x, A_NORMAL, " ");
        x = put(1, x, badge_attr(v, i), ui_flag_badge(i));
        snprintf(buf, sizeof buf, " %llu", (unsigned long long)n);
        x = put(1, x, A_NORMAL, buf);
    }
    if (!any)
        x = put(1, x, A_NORMAL, " none yet");
    snprintf(buf, sizeof buf, "  | sort: %s%s%s%s%s", ui_sort_name(v->sort),
             v->filter.flagged_only ? " | flagged only" : "",
             v->filter.text[0] ? " | filter: \"" : "", v->filter.text,
             v->filter.text[0] ? "\"" : "");
    put(1, x, A_NORMAL, buf);
}

static void draw_headings(ui_view *v, const layout *l, const ui_axis *a)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%6s %-*s    %-*s %-*s %-*s", "id", l->addr_w, "client", l->addr_w,
             "server", STATE_W, "state", l->flags_w, "flags");
    put(2, 0, A_BOLD | A_UNDERLINE, buf);
    if (!l->tl_w)
        return;
    char from[32], span[24], per[24];
    fmt_clock(a->start, from, sizeof from, 0);
    fmt_dur(a->span, span, sizeof span);
    fmt_dur(a->span / (a->width > 0 ? a->width : 1), per, sizeof per);
    snprintf(buf, sizeof buf, "%s +%s (%s/col)%s", from, span, per,
             v->manual_axis ? " zoomed" : "");
    put(2, l->tl_x, A_BOLD | A_UNDERLINE, buf);
}

/* ---- session list ---- */

static void draw_badges(const ui_view *v, int y, int x, int w, unsigned flags, attr_t base)
{
    int end = x + w, shown = 0, total = __builtin_popcount(flags);
    /* Serious badges first: they are what the row is about. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++) {
            if (!(flags & (1u << i)) || ui_flag_serious(i) != !pass)
                continue;
            const char *b = ui_flag_badge(i);
            int rest = total - shown - 1; /* room for a "+N" after it if more follow */
            if (x + (int)strlen(b) + (rest ? 3 : 0) > end) {
                char more[16];
                snprintf(more, sizeof more, "+%d", total - shown);
                put(y, x, base | A_BOLD, more);
                return;
            }
            x = put(y, x, badge_attr(v, i), b);
            x = put(y, x, base, " ");
            shown++;
        }
    }
}

static void state_text(const ui_session *s, char *out, size_t cap)
{
    static const char *const reason[] = {"fin", "rst", "timeout", "eof", "evicted"};
    if (s->ended && (unsigned)s->end_reason < 5)
        snprintf(out, cap, "%s", reason[s->end_reason]);
    else
        snprintf(out, cap, "%s", ui_state_name(s->state));
}

static int ensure_strip(ui_view *v, int w)
{
    if (w + 1 <= v->strip_cap)
        return 1;
    char *t = realloc(v->strip, (size_t)w + 1);
    if (!t)
        return 0;
    v->strip = t;
    uint8_t *c = realloc(v->cells, (size_t)w + 1);
    if (!c)
        return 0;
    v->cells = c;
    v->strip_cap = w + 1;
    return 1;
}

/* The strip, one run of equal cells at a time (one attribute change per run). */
static void draw_strip(ui_view *v, int y, int x, const ui_session *s, const ui_axis *a, int64_t now)
{
    if (a->width <= 0 || !ensure_strip(v, a->width))
        return;
    ui_timeline(s, a, now, v->strip, v->cells);
    for (int c = 0; c < a->width;) {
        int e = c;
        while (e < a->width && v->cells[e] == v->cells[c])
            e++;
        char run[1024];
        int n = e - c < (int)sizeof run - 1 ? e - c : (int)sizeof run - 1;
        memcpy(run, v->strip + c, (size_t)n);
        run[n] = '\0';
        put(y, x + c, cell_attr(v, v->cells[c]), run);
        c = e;
    }
}

static void draw_row(ui_view *v, const layout *l, int y, const ui_session *s, int selected,
                     const ui_axis *a, int64_t now)
{
    char buf[256], st[16];
    attr_t base = selected ? A_REVERSE : A_NORMAL;
    snprintf(buf, sizeof buf, "%c%5llu %-*.*s -> %-*.*s ", selected ? '>' : ' ',
             (unsigned long long)s->id, l->addr_w, l->addr_w, s->client, l->addr_w, l->addr_w,
             s->server);
    int x = put(y, 0, base, buf);
    /* Open sessions stand out; one awaiting the reply to end of data in the wait colour. */
    attr_t sa = s->ended ? base : base | A_BOLD;
    if (!s->ended && s->eod_wait)
        sa = cell_attr(v, UI_CELL_WAIT) | base;
    state_text(s, st, sizeof st);
    snprintf(buf, sizeof buf, "%-*s", STATE_W, st);
    x = put(y, x, sa, buf);
    x = put(y, x, base, " ");
    draw_badges(v, y, x, l->flags_w, s->flags, base);
    if (l->tl_w)
        draw_strip(v, y, l->tl_x, s, a, now);
}

static void draw_list(ui_view *v, const layout *l, const ui_axis *a)
{
    v->list_h = l->list_h;
    if (v->sel < v->top)
        v->top = v->sel;
    if (v->sel >= v->top + (size_t)l->list_h)
        v->top = v->sel - (size_t)l->list_h + 1;
    if (v->top + (size_t)l->list_h > v->nrows)
        v->top = v->nrows > (size_t)l->list_h ? v->nrows - (size_t)l->list_h : 0;
    if (v->nrows == 0) {
        put(l->list_y, 2, A_NORMAL,
            ui_model_count(v->m) ? "no session matches the filter" : "no SMTP session yet");
        return;
    }
    int64_t now = shown_now(v);
    for (int i = 0; i < l->list_h && v->top + (size_t)i < v->nrows; i++) {
        size_t r = v->top + (size_t)i;
        draw_row(v, l, l->list_y + i, row_session(v, r), r == v->sel, a, now);
    }
}

/* ---- detail pane ---- */

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
        fprintf(f, "  %+10.3f s  frame %-8llu %c %s", (double)(e->ts - s->start) / 1e6,
                (unsigned long long)e->frame, glyph, ui_event_name((ui_event_kind)e->kind));
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

static void draw_pane(ui_view *v, const layout *l)
{
    const ui_session *s = row_session(v, v->sel);
    char title[256];
    attr_t ha = header_attr(v);
    fill_line(l->pane_y, ha);
    if (!s) {
        put(l->pane_y, 0, ha, " detail: no session selected (Esc closes)");
        return;
    }
    snprintf(title, sizeof title,
             " session %llu  %s -> %s  (arrows/PgUp/PgDn scroll, j/k next session, Esc closes)",
             (unsigned long long)s->id, s->client, s->server);
    put(l->pane_y, 0, ha | A_BOLD, title);
    size_t len = 0;
    char *text = pane_text(v, s, &len);
    if (!text)
        return;
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (len && text[len - 1] != '\n')
        lines++;
    v->pane_body_h = l->pane_h - 1;
    long max = lines - v->pane_body_h;
    if (v->pane_scroll > max)
        v->pane_scroll = max;
    if (v->pane_scroll < 0)
        v->pane_scroll = 0;
    /* Walk to the first visible line, then draw each one up to its newline. */
    const char *p = text, *end = text + len;
    for (long i = 0; i < v->pane_scroll && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    for (int y = 0; y < v->pane_body_h && p < end; y++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        char line[1024];
        escape_line(line, sizeof line, p, n);
        put(l->pane_y + 1 + y, 1, A_NORMAL, line);
        p = nl ? nl + 1 : end;
    }
    free(text);
}

/* ---- legend, status, help ---- */

/* Legend entries: every event glyph, then the strip's other glyphs. */
typedef struct legend_item {
    char glyph;
    uint8_t cell;
    const char *name;
} legend_item;

static const legend_item legend_extra[] = {{UI_GLYPH_SPLIT, UI_CELL_BAD, "split EOD"},
                                           {'-', UI_CELL_LIFE, "open"},
                                           {'~', UI_CELL_WAIT, "awaiting EOD reply"},
                                           {'<', UI_CELL_OFFAXIS, "or > events off the axis"}};
#define LEGEND_N (UI_EV_COUNT + (int)(sizeof legend_extra / sizeof legend_extra[0]))

static legend_item legend_at(int i)
{
    if (i >= UI_EV_COUNT)
        return legend_extra[i - UI_EV_COUNT];
    ui_event e = {.kind = (uint8_t)i, .nparts = 1};
    return (legend_item){ui_event_glyph((ui_event_kind)i), (uint8_t)ui_event_cell(&e),
                         ui_event_name((ui_event_kind)i)};
}

static int legend_width(void)
{
    int w = 1;
    for (int i = 0; i < LEGEND_N; i++)
        w += 3 + (int)strlen(legend_at(i).name);
    return w;
}

/* One line when it fits, else two (so that every glyph is explained). */
static int legend_rows(void)
{
    return legend_width() < COLS ? 1 : 2;
}

static void draw_legend(ui_view *v, int y)
{
    int x = put(y, 0, A_NORMAL, " ");
    char buf[64];
    for (int i = 0; i < LEGEND_N; i++) {
        legend_item it = legend_at(i);
        snprintf(buf, sizeof buf, " %s ", it.name);
        if (x + 1 + (int)strlen(buf) > COLS && y < LINES - 2)
            x = put(++y, 0, A_NORMAL, " ");
        buf[0] = it.glyph;
        buf[1] = '\0';
        x = put(y, x, cell_attr(v, it.cell), buf);
        snprintf(buf, sizeof buf, " %s ", it.name);
        x = put(y, x, A_NORMAL, buf);
    }
}

static void draw_status(ui_view *v)
{
    int y = LINES - 1;
    char buf[160];
    if (v->prompting) {
        snprintf(buf, sizeof buf, " filter (address or sender): %s_   Enter applies, Esc cancels",
                 v->prompt);
        put(y, 0, A_BOLD, buf);
        return;
    }
    int x = put(y, 0, A_NORMAL,
                " q quit  ? help  Enter detail  f flagged  / filter  s sort  p pause  "
                "+/- zoom  h/l pan  0 fit");
    snprintf(buf, sizeof buf, "  [%zu/%zu]", v->nrows ? v->sel + 1 : 0, v->nrows);
    put(y, x, A_BOLD, buf);
}

static const char *const help_keys[] = {
    "Up/Down j/k     move; arrows scroll the pane when open",
    "PgUp/PgDn       a page (of the pane when open)",
    "Home/End g/G    first / last (Home/End: in the pane)",
    "Enter           detail pane on/off; Esc closes it",
    "f               flagged sessions only (and those awaiting",
    "                the reply to end of data)",
    "/               filter: address or sender, any case;",
    "                Enter applies, Esc cancels, empty clears",
    "s               sort: newest, worst, oldest",
    "p               pause (a file replay waits)",
    "+ / -           zoom the time axis in / out",
    "Left/Right h/l  pan the time axis",
    "0               fit the axis to every session again",
    "?               this help (any key closes)",
    "q               quit",
};

/* Draws one help column from row y0; returns nothing, clipping at the box bottom. */
static void help_keys_col(int y0, int x, int h)
{
    put(y0, x, A_BOLD, "keys");
    for (int i = 0; i < (int)(sizeof help_keys / sizeof help_keys[0]) && i + 1 < h; i++)
        put(y0 + 1 + i, x, A_NORMAL, help_keys[i]);
}

static void help_badges_col(const ui_view *v, int y0, int x, int h)
{
    put(y0, x, A_BOLD, "badges (serious first in rows)");
    for (unsigned i = 0; i < SMTP_FLAG_COUNT && (int)i + 1 < h; i++) {
        int cx = put(y0 + 1 + (int)i, x, badge_attr(v, i), ui_flag_badge(i));
        put(y0 + 1 + (int)i, cx + (7 - (int)strlen(ui_flag_badge(i))), A_NORMAL, smtp_flag_name(i));
    }
}

static void help_glyphs_col(const ui_view *v, int y0, int x, int h)
{
    char g[2] = {0};
    put(y0, x, A_BOLD, "timeline");
    for (int i = 0; i < LEGEND_N && i + 1 < h; i++) {
        legend_item it = legend_at(i);
        g[0] = it.glyph;
        put(y0 + 1 + i, x, cell_attr(v, it.cell), g);
        put(y0 + 1 + i, x + 2, A_NORMAL, it.name);
    }
}

/* The help covers everything between the header and the status line. */
static void draw_help(ui_view *v)
{
    int h = LINES - 2;
    if (h < 3 || COLS < 10)
        return;
    for (int y = 1; y < 1 + h; y++)
        fill_line(y, A_NORMAL);
    put(1, 2, A_BOLD | A_REVERSE, " smtpscope help ");
    int body = h - 2;
    help_keys_col(3, 2, body);
    if (COLS >= 62 + 34)
        help_badges_col(v, 3, 62, body);
    if (COLS >= 62 + 34 + 22)
        help_glyphs_col(v, 3, 62 + 34, body);
}

/* ---- public ---- */

void ui_view_draw(ui_view *v)
{
    refresh_rows(v, 0);
    layout l = compute_layout(v);
    ui_axis a = current_axis(v, l.tl_w > 0 ? l.tl_w : 1);
    if (!v->manual_axis)
        v->axis = a; /* where zoom and pan start from */
    erase();
    draw_header(v);
    draw_findings(v);
    draw_headings(v, &l, &a);
    draw_list(v, &l, &a);
    if (l.pane_h)
        draw_pane(v, &l);
    draw_legend(v, LINES - FOOT_ROWS);
    draw_status(v);
    if (v->help)
        draw_help(v);
    wnoutrefresh(stdscr);
    doupdate();
}

static void toggle_pause(ui_view *v)
{
    if (v->paused) {
        v->paused = 0;
        return;
    }
    v->frozen_cap = *ui_model_capture(v->m);
    v->frozen_now = shown_now(v); /* still live: paused is set after */
    v->paused = 1;
    freeze(v);
}

static void axis_key(ui_view *v, int ch)
{
    if (ch == '0') {
        v->manual_axis = 0;
        return;
    }
    if (!v->manual_axis) {
        layout l = compute_layout(v);
        v->axis = current_axis(v, l.tl_w > 0 ? l.tl_w : 1);
        v->manual_axis = 1;
    }
    if (ch == '+' || ch == '=')
        ui_axis_zoom(&v->axis, 0.5);
    else if (ch == '-' || ch == '_')
        ui_axis_zoom(&v->axis, 2.0);
    else
        ui_axis_pan(&v->axis, ch == KEY_LEFT || ch == 'h' ? -0.25 : 0.25);
}

static void prompt_key(ui_view *v, int ch)
{
    size_t n = strlen(v->prompt);
    if (ch == KEY_ESC) {
        v->prompting = 0;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        snprintf(v->filter.text, sizeof v->filter.text, "%s", v->prompt);
        v->prompting = 0;
        refresh_rows(v, 1);
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n)
            v->prompt[n - 1] = '\0';
    } else if (ch == 21) { /* Ctrl-U */
        v->prompt[0] = '\0';
    } else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof v->prompt) {
        v->prompt[n] = (char)ch;
        v->prompt[n + 1] = '\0';
    }
}

/* Movement: scrolls the pane while it is open, else moves the selection. */
static int move_key(ui_view *v, int ch)
{
    long page = v->pane ? (v->pane_body_h > 1 ? v->pane_body_h - 1 : 1)
                        : (v->list_h > 1 ? v->list_h - 1 : 1);
    long d;
    switch (ch) {
    case KEY_UP:
    case 'k':
        d = -1;
        break;
    case KEY_DOWN:
    case 'j':
        d = 1;
        break;
    case KEY_PPAGE:
        d = -page;
        break;
    case KEY_NPAGE:
    case ' ':
        d = page;
        break;
    case KEY_HOME:
    case 'g':
        d = -(long)1e9;
        break;
    case KEY_END:
    case 'G':
        d = (long)1e9;
        break;
    default:
        return 0;
    }
    /* With the pane open, the arrow and page keys scroll it and the letters still move
     * through the list, so one can read session after session. */
    int letter = ch == 'j' || ch == 'k' || ch == 'g' || ch == 'G';
    if (v->pane && !letter) {
        v->pane_scroll += d; /* clamped when drawn, when the length is known */
    } else {
        move_selection(v, d);
        v->pane_scroll = 0;
    }
    return 1;
}

/* One key; returns 1 to quit. */
static int key(ui_view *v, int ch)
{
    if (v->prompting) {
        prompt_key(v, ch);
        return 0;
    }
    if (v->help) {
        v->help = 0;
        return ch == 'q';
    }
    if (move_key(v, ch))
        return 0;
    switch (ch) {
    case 'q':
        return 1;
    case KEY_RESIZE:
        clearok(curscr, TRUE); /* repaint everything at the new size */
        break;
    case '?':
        v->help = 1;
        break;
    case KEY_ESC:
        v->pane = 0;
        break;
    case '\n':
    case '\r':
    case KEY_ENTER:
        v->pane = !v->pane;
        v->pane_scroll = 0;
        break;
    case 'f':
        v->filter.flagged_only = !v->filter.flagged_only;
        refresh_rows(v, 1);
        break;
    case '/':
        v->prompting = 1;
        snprintf(v->prompt, sizeof v->prompt, "%s", v->filter.text);
        break;
    case 's':
        v->sort = (ui_sort)((v->sort + 1) % UI_SORT_COUNT);
        refresh_rows(v, 1);
        break;
    case 'p':
        toggle_pause(v);
        break;
    case '+':
    case '=':
    case '-':
    case '_':
    case 'h':
    case 'l':
    case KEY_LEFT:
    case KEY_RIGHT:
    case '0':
        axis_key(v, ch);
        break;
    default:
        break;
    }
    return 0;
}

int ui_view_input(ui_view *v)
{
    int ch;
    refresh_rows(v, 0);
    while ((ch = getch()) != ERR)
        if (key(v, ch))
            return 1;
    return 0;
}

int ui_view_fd(const ui_view *v)
{
    (void)v;
    return STDIN_FILENO;
}

int ui_view_paused(const ui_view *v)
{
    return v->paused;
}

static void init_colours(ui_view *v)
{
    const char *no = getenv("NO_COLOR");
    if (!has_colors() || (no && *no) || start_color() == ERR)
        return;
    use_default_colors();
    init_pair(P_HEADER, COLOR_BLACK, COLOR_CYAN);
    init_pair(P_BAD, COLOR_RED, -1);
    init_pair(P_GOOD, COLOR_GREEN, -1);
    init_pair(P_WAIT, COLOR_YELLOW, -1);
    init_pair(P_EVENT, COLOR_CYAN, -1);
    init_pair(P_OFF, COLOR_MAGENTA, -1);
    init_pair(P_BADGE_SERIOUS, COLOR_WHITE, COLOR_RED);
    init_pair(P_BADGE, COLOR_BLACK, COLOR_YELLOW);
    v->colour = 1;
}

ui_view *ui_view_open(ui_model *m, ui_live_detail_fn detail, void *ctx, char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "the live view needs a terminal on standard input and output");
        return NULL;
    }
    ui_view *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->m = m;
    v->detail_fn = detail;
    v->ctx = ctx;
    v->list_h = 10;
    v->scr = newterm(NULL, stdout, stdin);
    if (!v->scr) {
        const char *t = getenv("TERM");
        snprintf(err, errlen, "cannot use the terminal (TERM=%s)", t ? t : "unset");
        free(v);
        return NULL;
    }
    set_term(v->scr);
    noecho();
    cbreak(); /* not raw(): Ctrl-C must still raise SIGINT */
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25); /* Esc closes the pane without a one-second wait */
    curs_set(0);
    init_colours(v);
    return v;
}

void ui_view_close(ui_view *v)
{
    if (!v)
        return;
    curs_set(1);
    endwin();
    delscreen(v->scr);
    free(v->rows);
    free(v->frozen);
    free(v->strip);
    free(v->cells);
    free(v);
}
