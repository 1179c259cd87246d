/* ui view help: the legend of the timeline's glyphs, the status line and the help screen. */
#include <stdio.h>
#include <string.h>

#include "ui/view_internal.h"

/* Legend entries: SMTP's event glyphs (with those both protocols share) and the strip's
 * other glyphs, then, under a heading, POP3's. A heading is an entry without a glyph. */
typedef struct legend_item {
    char glyph;
    uint8_t cell;
    const char *name;
} legend_item;

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const legend_item legend_extra[] = {{UI_GLYPH_SPLIT, UI_CELL_BAD, "split EOD"},
                                           {'-', UI_CELL_LIFE, "open"},
                                           {'~', UI_CELL_WAIT, "awaiting EOD reply"},
                                           {'<', UI_CELL_OFFAXIS, "or > events off the axis"}};
static const legend_item pop3_extra[] = {{0, 0, "POP3:"}}; /* its heading */
/* Kinds POP3 shares with SMTP, said again under its heading: its QUIT's +OK commits DELEs. */
static const legend_item pop3_shared[] = {{'Q', UI_CELL_EVENT, "QUIT"},
                                          {'q', UI_CELL_GOOD, "+OK to QUIT (DELEs done)"}};
#define SMTP_N (UI_EV_POP3_FIRST + NELEM(legend_extra))
#define POP3_KINDS (UI_EV_COUNT - UI_EV_POP3_FIRST)
#define POP3_N (NELEM(pop3_extra) + POP3_KINDS + NELEM(pop3_shared))

/* POP3's part of the legend bar only once a POP3 session was seen: an SMTP-only screen
 * keeps its one-line legend. */
static int legend_n(const ui_view *v)
{
    return SMTP_N + (!v || ui_model_proto_sessions(v->m, PROTO_POP3) ? POP3_N : 0);
}

static legend_item event_item(int k)
{
    ui_event e = {.kind = (uint8_t)k, .nparts = 1};
    return (legend_item){ui_event_glyph((ui_event_kind)k), (uint8_t)ui_event_cell(&e),
                         ui_event_name((ui_event_kind)k)};
}

static legend_item legend_at(int i)
{
    if (i < UI_EV_POP3_FIRST)
        return event_item(i);
    if ((i -= UI_EV_POP3_FIRST) < NELEM(legend_extra))
        return legend_extra[i];
    if ((i -= NELEM(legend_extra)) < NELEM(pop3_extra))
        return pop3_extra[i];
    if ((i -= NELEM(pop3_extra)) < POP3_KINDS)
        return event_item(UI_EV_POP3_FIRST + i);
    return pop3_shared[i - POP3_KINDS];
}

/* SMTP's part: one line when it fits, else two (so that every glyph is explained). */
static int smtp_rows(void)
{
    int w = 1;
    for (int i = 0; i < SMTP_N; i++)
        w += 3 + (int)strlen(legend_at(i).name);
    return w < COLS ? 1 : 2;
}

/* POP3's part, when shown, on a line of its own: its heading then reads as one. */
int ui_legend_rows(const ui_view *v)
{
    return smtp_rows() + (legend_n(v) > SMTP_N);
}

void ui_draw_legend(ui_view *v, int y)
{
    int x = ui_put(y, 0, A_NORMAL, " ");
    int last_smtp = y + smtp_rows() - 1;
    char buf[64];
    for (int i = 0; i < legend_n(v); i++) {
        legend_item it = legend_at(i);
        snprintf(buf, sizeof buf, " %s ", it.name);
        if (!it.glyph) { /* a heading: a line of its own */
            y = last_smtp + 1;
            x = ui_put(y, 0, A_NORMAL, " ");
            x = ui_put(y, x, A_BOLD, buf + 1);
            continue;
        }
        if (x + 1 + (int)strlen(buf) > COLS && y < last_smtp)
            x = ui_put(++y, 0, A_NORMAL, " ");
        buf[0] = it.glyph;
        buf[1] = '\0';
        x = ui_put(y, x, ui_attr_cell(v, it.cell), buf);
        snprintf(buf, sizeof buf, " %s ", it.name);
        x = ui_put(y, x, A_NORMAL, buf);
    }
}

/* The d panel's keys and where its selection is. */
static void draw_dups_status(const ui_view *v, int y)
{
    char buf[64];
    const ui_dup *g = ui_dups_selected(v);
    int attempts = v->dups == DUPS_ATTEMPTS && g;
    int x = ui_put(y, 0, A_NORMAL,
                   attempts ? " Enter session detail  Esc/q back to the groups  d close  ? help"
                            : " Enter its attempts  Esc/q back to the sessions  d close  ? help");
    if (attempts)
        snprintf(buf, sizeof buf, "  [%zu/%u]", g->nsessions ? v->att_sel + 1 : 0, g->nsessions);
    else
        snprintf(buf, sizeof buf, "  [%zu/%zu]", v->ndup_rows ? v->dup_sel + 1 : 0, v->ndup_rows);
    ui_put(y, x, A_BOLD, buf);
}

void ui_draw_status(ui_view *v)
{
    int y = LINES - 1;
    char buf[160];
    if (v->prompting) {
        snprintf(buf, sizeof buf,
                 " filter (address, sender or mailbox): %s_   Enter applies, Esc cancels",
                 v->prompt);
        ui_put(y, 0, A_BOLD, buf);
        return;
    }
    if (v->note[0]) {
        ui_put(y, 0, A_BOLD, v->note);
        return;
    }
    if (v->dups) {
        draw_dups_status(v, y);
        return;
    }
    int x = ui_put(y, 0, A_NORMAL,
                   " q quit  ? help  Enter detail  f flagged  / filter  s sort  p pause  "
                   "+/- zoom  h/l pan  0 fit  d duplicates");
    snprintf(buf, sizeof buf, "  [%zu/%zu]", v->nrows ? v->sel + 1 : 0, v->nrows);
    ui_put(y, x, A_BOLD, buf);
}

static const char *const help_keys[] = {
    "Up/Down j/k     move; arrows scroll the pane when open",
    "PgUp/PgDn       a page (of the pane when open)",
    "Home/End g/G    first / last (Home/End: in the pane)",
    "Enter           detail pane on/off; Esc closes it",
    "f               flagged sessions only (and those awaiting",
    "                the reply to end of data)",
    "/               filter: address, sender or POP3",
    "                mailbox, any case;",
    "                Enter applies, Esc cancels, empty clears",
    "s               sort: newest, worst, oldest",
    "p               pause (a file replay waits)",
    "+ / -           zoom the time axis in / out",
    "Left/Right h/l  pan the time axis",
    "0               fit the axis to every session again",
    "d               duplicate groups, worst first (most",
    "                unacknowledged attempts): Enter lists",
    "                a group's attempts, Enter on one opens",
    "                its session's detail (Esc: back to",
    "                the attempts); Esc/q a level back",
    "?               this help (any key closes)",
    "q               quit",
};

/* Draws one help column from row y0; returns nothing, clipping at the box bottom. */
static void help_keys_col(int y0, int x, int h)
{
    ui_put(y0, x, A_BOLD, "keys");
    for (int i = 0; i < (int)(sizeof help_keys / sizeof help_keys[0]) && i + 1 < h; i++)
        ui_put(y0 + 1 + i, x, A_NORMAL, help_keys[i]);
}

/* One protocol's badges from row y (under its heading when it has one); returns the next. */
static int help_badges_of(const ui_view *v, proto_id p, const char *heading, int y, int x,
                          int bottom)
{
    const flag_info *f;
    if (heading && y < bottom)
        ui_put(y++, x, A_BOLD, heading);
    for (unsigned i = 0; (f = ui_proto_flag(p, i)) && y < bottom; i++, y++) {
        int cx = ui_put(y, x, ui_attr_badge_serious(v, f->serious), f->badge);
        ui_put(y, cx + (7 - (int)strlen(f->badge)), A_NORMAL, f->name);
    }
    return y;
}

static void help_badges_col(const ui_view *v, int y0, int x, int h)
{
    ui_put(y0, x, A_BOLD, "badges (serious first in rows)");
    int cx = ui_put(y0 + 1, x, ui_attr_badge_serious(v, 1), UI_BADGE_DUP);
    ui_put(y0 + 1, cx + (7 - (int)strlen(UI_BADGE_DUP)), A_NORMAL, "in a duplicate group (d)");
    int y = help_badges_of(v, PROTO_SMTP, NULL, y0 + 2, x, y0 + h);
    help_badges_of(v, PROTO_POP3, "POP3", y, x, y0 + h);
}

static void help_glyphs_col(const ui_view *v, int y0, int x, int h)
{
    char g[2] = {0};
    ui_put(y0, x, A_BOLD, "timeline");
    for (int i = 0; i < legend_n(NULL) && i + 1 < h; i++) { /* POP3's too, always */
        legend_item it = legend_at(i);
        g[0] = it.glyph;
        if (!it.glyph) {
            ui_put(y0 + 1 + i, x, A_BOLD, it.name);
            continue;
        }
        ui_put(y0 + 1 + i, x, ui_attr_cell(v, it.cell), g);
        ui_put(y0 + 1 + i, x + 2, A_NORMAL, it.name);
    }
}

/* The help covers everything between the header and the status line. */
void ui_draw_help(ui_view *v)
{
    int h = LINES - 2;
    if (h < 3 || COLS < 10)
        return;
    for (int y = 1; y < 1 + h; y++)
        ui_fill_line(y, A_NORMAL);
    ui_put(1, 2, A_BOLD | A_REVERSE, " smtpscope help ");
    int body = h - 2;
    help_keys_col(3, 2, body);
    if (COLS >= 62 + 34)
        help_badges_col(v, 3, 62, body);
    if (COLS >= 62 + 34 + 22)
        help_glyphs_col(v, 3, 62 + 34, body);
}
