/* ui view help: the legend of the timeline's glyphs, the status line and the help screen. */
#include <stdio.h>
#include <string.h>

#include "ui/view_internal.h"

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
int ui_legend_rows(void)
{
    return legend_width() < COLS ? 1 : 2;
}

void ui_draw_legend(ui_view *v, int y)
{
    int x = ui_put(y, 0, A_NORMAL, " ");
    char buf[64];
    for (int i = 0; i < LEGEND_N; i++) {
        legend_item it = legend_at(i);
        snprintf(buf, sizeof buf, " %s ", it.name);
        if (x + 1 + (int)strlen(buf) > COLS && y < LINES - 2)
            x = ui_put(++y, 0, A_NORMAL, " ");
        buf[0] = it.glyph;
        buf[1] = '\0';
        x = ui_put(y, x, ui_attr_cell(v, it.cell), buf);
        snprintf(buf, sizeof buf, " %s ", it.name);
        x = ui_put(y, x, A_NORMAL, buf);
    }
}

void ui_draw_status(ui_view *v)
{
    int y = LINES - 1;
    char buf[160];
    if (v->prompting) {
        snprintf(buf, sizeof buf, " filter (address or sender): %s_   Enter applies, Esc cancels",
                 v->prompt);
        ui_put(y, 0, A_BOLD, buf);
        return;
    }
    int x = ui_put(y, 0, A_NORMAL,
                   " q quit  ? help  Enter detail  f flagged  / filter  s sort  p pause  "
                   "+/- zoom  h/l pan  0 fit");
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
    ui_put(y0, x, A_BOLD, "keys");
    for (int i = 0; i < (int)(sizeof help_keys / sizeof help_keys[0]) && i + 1 < h; i++)
        ui_put(y0 + 1 + i, x, A_NORMAL, help_keys[i]);
}

static void help_badges_col(const ui_view *v, int y0, int x, int h)
{
    ui_put(y0, x, A_BOLD, "badges (serious first in rows)");
    for (unsigned i = 0; i < SMTP_FLAG_COUNT && (int)i + 1 < h; i++) {
        int cx = ui_put(y0 + 1 + (int)i, x, ui_attr_badge(v, i), ui_flag_badge(i));
        ui_put(y0 + 1 + (int)i, cx + (7 - (int)strlen(ui_flag_badge(i))), A_NORMAL,
               smtp_flag_name(i));
    }
}

static void help_glyphs_col(const ui_view *v, int y0, int x, int h)
{
    char g[2] = {0};
    ui_put(y0, x, A_BOLD, "timeline");
    for (int i = 0; i < LEGEND_N && i + 1 < h; i++) {
        legend_item it = legend_at(i);
        g[0] = it.glyph;
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
