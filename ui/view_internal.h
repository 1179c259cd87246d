/* Internal to the live screen's files (ui/view*.c): the view's state, the screen's layout,
 * and what those files call in each other. Nothing here is for the capture loop (view.h). */
#ifndef SMTPSCOPE_UI_VIEW_INTERNAL_H
#define SMTPSCOPE_UI_VIEW_INTERNAL_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "ui/view.h"

/* Colour pairs. */
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

#define HEAD_ROWS 3                          /* two header lines and the column headings */
#define FOOT_ROWS(v) (ui_legend_rows(v) + 1) /* legend and status */
#define KEY_ESC 27
#define UI_BADGE_DUP "DUP" /* a session that is an attempt of a duplicate group */
#define STATE_W 9          /* "wait-eod", "greeting", "timeout" */

/* What the d panel shows: closed, the groups, or one group's attempts. */
typedef enum { DUPS_OFF, DUPS_GROUPS, DUPS_ATTEMPTS } ui_dups_level;

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
    /* duplicate groups panel (d): its level, the groups worst first, the selected group
     * (followed by id as updates re-rank them) and the selected attempt */
    int dups; /* ui_dups_level */
    size_t dup_rows[UI_DUP_CAPACITY];
    size_t ndup_rows, dup_sel, dup_top;
    uint64_t dup_group;
    int have_dup;
    size_t att_sel, att_top;
    int dup_back;   /* the pane was opened from a group's attempts: Esc goes back there */
    char note[128]; /* said once on the status line (a jump that could not be made) */
    /* one timeline strip */
    char *strip;
    uint8_t *cells;
    int strip_cap;
};

/* Where the parts of the screen go at its current size. */
typedef struct ui_layout {
    int list_y, list_h;
    int pane_y, pane_h; /* pane_h 0: closed */
    int addr_w, flags_w, tl_x, tl_w;
} ui_layout;

/* ---- view_paint.c: drawing primitives and formats ---- */

/* Draws s at (y, x) clipped to the screen, escaped; returns the column after it. */
int ui_put(int y, int x, attr_t a, const char *s);
void ui_fill_line(int y, attr_t a);
/* The colour pair with colour_extra when colours are on, else the monochrome attribute. */
attr_t ui_attr_pair(const ui_view *v, int pair, attr_t colour_extra, attr_t mono);
attr_t ui_attr_cell(const ui_view *v, uint8_t cell); /* ui_cell */
attr_t ui_attr_badge(const ui_view *v, unsigned flag);
/* A badge's attribute by whether its flag is serious. */
attr_t ui_attr_badge_serious(const ui_view *v, int serious);
attr_t ui_attr_header(const ui_view *v);
/* "2026-03-02 09:00:00 UTC" with_date, else "09:00:00.123". */
void ui_fmt_clock(int64_t ts, char *out, size_t cap, int with_date);
/* "1.234s", "12.3s", "4m05s", "1h02m03s". */
void ui_fmt_dur(int64_t us, char *out, size_t cap);
/* "512 B", "1.5 KB" ... */
void ui_fmt_bytes(uint64_t b, char *out, size_t cap);

/* ---- view_rows.c: the rows shown, the selection, the time axis, the layout ---- */

/* The session of row r, or NULL past the last. */
const ui_session *ui_view_row(const ui_view *v, size_t r);
/* Remembers the rows' order, for while the view is paused. */
void ui_view_freeze(ui_view *v);
/* Live: filter and sort the model. Paused: the frozen order, minus sessions since dropped
 * (refreeze: filter and sort anew all the same, and freeze that). */
void ui_view_refresh_rows(ui_view *v, int refreeze);
void ui_view_move_selection(ui_view *v, long delta);
/* The capture as shown: frozen while paused. */
const ui_capture *ui_view_capture(const ui_view *v);
/* The latest capture time shown. */
int64_t ui_view_now(const ui_view *v);
/* The time axis, width columns wide: fitted to every session unless zoomed or panned. */
ui_axis ui_view_axis(const ui_view *v, int width);
ui_layout ui_view_layout(const ui_view *v);

/* ---- view_list.c: the header lines and the session list ---- */

/* The capture header, the findings line and the column headings. */
void ui_draw_top(ui_view *v, const ui_layout *l, const ui_axis *a);
void ui_draw_list(ui_view *v, const ui_layout *l, const ui_axis *a);
/* Its state while open, how it ended once ended ("fin", "rst", "timeout", ...). */
void ui_state_text(const ui_session *s, char *out, size_t cap);
/* The session's badges from (y, x) in w columns: DUP first when it is an attempt of a
 * duplicate group, then its flags, serious first, "+N" for those that do not fit. */
void ui_draw_badges(const ui_view *v, int y, int x, int w, const ui_session *s, attr_t base);

/* ---- view_dups.c: the duplicate groups panel ---- */

/* The groups worst first, and the selection following its group. */
void ui_dups_refresh(ui_view *v);
/* The selected group, or NULL when there is none. */
const ui_dup *ui_dups_selected(const ui_view *v);
/* Moves the selection of the level shown (groups or attempts). */
void ui_dups_move(ui_view *v, long delta);
/* Enter: a group's attempts, or from an attempt its session's detail pane. */
void ui_dups_enter(ui_view *v);
/* Esc or q: one level back (attempts to groups, groups to the session list). */
void ui_dups_back(ui_view *v);
/* Draws the panel over the rows between the findings line and the status line. */
void ui_draw_dups(ui_view *v);

/* ---- view_pane.c: the detail pane ---- */

void ui_draw_pane(ui_view *v, const ui_layout *l);

/* ---- view_help.c: legend, status line, help ---- */

/* Rows the legend takes: 1 when it fits the width, else 2. */
int ui_legend_rows(const ui_view *v);
void ui_draw_legend(ui_view *v, int y);
void ui_draw_status(ui_view *v);
void ui_draw_help(ui_view *v);

#endif
