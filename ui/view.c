/* ui view: the ncurses screen over a ui_model (see view.h): takes the terminal over and
 * gives it back, and draws a frame from its parts (view_list.c, view_pane.c, view_dups.c,
 * view_help.c). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ui/view_internal.h"

void ui_view_draw(ui_view *v)
{
    ui_view_refresh_rows(v, 0);
    ui_layout l = ui_view_layout(v);
    ui_axis a = ui_view_axis(v, l.tl_w > 0 ? l.tl_w : 1);
    if (!v->manual_axis)
        v->axis = a; /* where zoom and pan start from */
    erase();
    ui_draw_top(v, &l, &a);
    if (v->dups) {
        ui_dups_refresh(v);
        ui_draw_dups(v);
    } else {
        ui_draw_list(v, &l, &a);
        if (l.pane_h)
            ui_draw_pane(v, &l);
        ui_draw_legend(v, LINES - FOOT_ROWS(v));
    }
    ui_draw_status(v);
    if (v->help)
        ui_draw_help(v);
    wnoutrefresh(stdscr);
    doupdate();
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
