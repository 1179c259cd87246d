/* ui view keys: what each key does (movement, detail pane, filter prompt, sort, pause, zoom
 * and pan of the time axis, the duplicate groups panel). */
#include <stdio.h>
#include <string.h>

#include "ui/view_internal.h"

static void toggle_pause(ui_view *v)
{
    if (v->paused) {
        v->paused = 0;
        return;
    }
    v->frozen_cap = *ui_model_capture(v->m);
    v->frozen_now = ui_view_now(v); /* still live: paused is set after */
    v->paused = 1;
    ui_view_freeze(v);
}

static int is_axis_key(int ch)
{
    return ch == KEY_LEFT || ch == KEY_RIGHT || (ch > 0 && ch < 0x80 && strchr("+=-_hl0", ch));
}

/* Zoom and pan (from the fitted axis, the first time), or back to fitted; 0: not such a key. */
static int axis_key(ui_view *v, int ch)
{
    if (!is_axis_key(ch))
        return 0;
    if (ch == '0') {
        v->manual_axis = 0;
        return 1;
    }
    if (!v->manual_axis) {
        ui_layout l = ui_view_layout(v);
        v->axis = ui_view_axis(v, l.tl_w > 0 ? l.tl_w : 1);
        v->manual_axis = 1;
    }
    if (ch == '+' || ch == '=')
        ui_axis_zoom(&v->axis, 0.5);
    else if (ch == '-' || ch == '_')
        ui_axis_zoom(&v->axis, 2.0);
    else
        ui_axis_pan(&v->axis, ch == KEY_LEFT || ch == 'h' ? -0.25 : 0.25);
    return 1;
}

static void prompt_key(ui_view *v, int ch)
{
    size_t n = strlen(v->prompt);
    if (ch == KEY_ESC) {
        v->prompting = 0;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        snprintf(v->filter.text, sizeof v->filter.text, "%s", v->prompt);
        v->prompting = 0;
        ui_view_refresh_rows(v, 1);
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

/* The step of a movement key, page rows for a page; 0 when ch moves nothing. */
static long step_of(int ch, long page)
{
    switch (ch) {
    case KEY_UP:
    case 'k':
        return -1;
    case KEY_DOWN:
    case 'j':
        return 1;
    case KEY_PPAGE:
        return -page;
    case KEY_NPAGE:
    case ' ':
        return page;
    case KEY_HOME:
    case 'g':
        return -(long)1e9;
    case KEY_END:
    case 'G':
        return (long)1e9;
    default:
        return 0;
    }
}

/* The step in rows of the list, or lines of the pane when it is open. */
static long move_step(const ui_view *v, int ch)
{
    long page = v->pane ? (v->pane_body_h > 1 ? v->pane_body_h - 1 : 1)
                        : (v->list_h > 1 ? v->list_h - 1 : 1);
    return step_of(ch, page);
}

/* Movement: scrolls the pane while it is open, else moves the selection; 0: not such a key. */
static int move_key(ui_view *v, int ch)
{
    long d = move_step(v, ch);
    if (!d)
        return 0;
    /* With the pane open, the arrow and page keys scroll it and the letters still move
     * through the list, so one can read session after session. */
    int letter = ch == 'j' || ch == 'k' || ch == 'g' || ch == 'G';
    if (v->pane && !letter) {
        v->pane_scroll += d; /* clamped when drawn, when the length is known */
    } else {
        ui_view_move_selection(v, d);
        v->pane_scroll = 0;
    }
    return 1;
}

/* The keys that change what is shown: help, pane, filters, sort, pause, a resize. */
static void view_key(ui_view *v, int ch)
{
    switch (ch) {
    case KEY_RESIZE:
        clearok(curscr, TRUE); /* repaint everything at the new size */
        break;
    case '?':
        v->help = 1;
        break;
    case KEY_ESC:
        v->pane = 0;
        if (v->dup_back) /* opened from a group's attempts: back to them */
            v->dups = DUPS_ATTEMPTS;
        v->dup_back = 0;
        break;
    case '\n':
    case '\r':
    case KEY_ENTER:
        v->pane = !v->pane;
        v->pane_scroll = 0;
        v->dup_back = 0;
        break;
    case 'd':
        v->dups = DUPS_GROUPS;
        v->dup_back = 0;
        break;
    case 'f':
        v->filter.flagged_only = !v->filter.flagged_only;
        ui_view_refresh_rows(v, 1);
        break;
    case '/':
        v->prompting = 1;
        snprintf(v->prompt, sizeof v->prompt, "%s", v->filter.text);
        break;
    case 's':
        v->sort = (ui_sort)((v->sort + 1) % UI_SORT_COUNT);
        ui_view_refresh_rows(v, 1);
        break;
    case 'p':
        toggle_pause(v);
        break;
    default:
        break;
    }
}

/* The d panel's keys: movement, Enter a level in, Esc or q a level back, d closes it; help,
 * pause and a resize as elsewhere. */
static void dups_key(ui_view *v, int ch)
{
    long d = step_of(ch, LINES > 8 ? LINES - 8 : 1);
    if (d) {
        ui_dups_move(v, d);
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        ui_dups_enter(v);
    } else if (ch == KEY_ESC || ch == 'q') {
        ui_dups_back(v);
    } else if (ch == 'd') {
        v->dups = DUPS_OFF;
    } else if (ch == '?' || ch == 'p' || ch == KEY_RESIZE) {
        view_key(v, ch);
    }
}

/* One key; returns 1 to quit. While the help shows, any key closes it. */
static int key(ui_view *v, int ch)
{
    v->note[0] = '\0'; /* a note is said until the next key */
    if (v->prompting) {
        prompt_key(v, ch);
        return 0;
    }
    if (v->help) {
        v->help = 0;
        return ch == 'q' && !v->dups;
    }
    if (v->dups) {
        dups_key(v, ch);
        return 0;
    }
    if (ch == 'q')
        return 1;
    if (!move_key(v, ch) && !axis_key(v, ch))
        view_key(v, ch);
    return 0;
}

int ui_view_input(ui_view *v)
{
    int ch;
    ui_view_refresh_rows(v, 0);
    if (v->dups)
        ui_dups_refresh(v);
    while ((ch = getch()) != ERR)
        if (key(v, ch))
            return 1;
    return 0;
}
