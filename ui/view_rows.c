/* ui view rows: which sessions the list shows and in what order (live, or frozen while
 * paused), the selection that follows a session, the time axis and the screen's layout. */
#include <stdlib.h>

#include "ui/view_internal.h"

const ui_session *ui_view_row(const ui_view *v, size_t r)
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

void ui_view_freeze(ui_view *v)
{
    if (v->nrows > v->frozen_cap_n) {
        uint64_t *p = realloc(v->frozen, v->nrows * sizeof *p);
        if (!p)
            return;
        v->frozen = p;
        v->frozen_cap_n = v->nrows;
    }
    for (size_t i = 0; i < v->nrows; i++)
        v->frozen[i] = ui_view_row(v, i)->order;
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
            if (ui_view_row(v, i)->id == v->sel_id) {
                v->sel = i;
                break;
            }
        }
    }
    if (v->sel >= v->nrows)
        v->sel = v->nrows - 1;
    v->sel_id = ui_view_row(v, v->sel)->id;
    v->have_sel = 1;
}

/* Live: filter and sort the model. Paused: the frozen order, minus sessions since dropped. */
void ui_view_refresh_rows(ui_view *v, int refreeze)
{
    size_t n = ui_model_count(v->m);
    if (!ensure_rows(v, n ? n : 1))
        return;
    if (!v->paused || refreeze) {
        v->nrows = ui_rows(v->m, &v->filter, v->sort, v->rows, v->rows_cap);
        if (v->paused)
            ui_view_freeze(v);
    } else {
        v->nrows = 0;
        for (size_t i = 0; i < v->nfrozen; i++) {
            long at = ui_model_find_order(v->m, v->frozen[i]);
            if (at >= 0)
                v->rows[v->nrows++] = (size_t)at;
        }
    }
    sync_selection(v);
}

void ui_view_move_selection(ui_view *v, long delta)
{
    if (v->nrows == 0)
        return;
    long s = (long)v->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= (long)v->nrows)
        s = (long)v->nrows - 1;
    v->sel = (size_t)s;
    v->sel_id = ui_view_row(v, v->sel)->id;
    v->have_sel = 1;
}

/* ---- time axis ---- */

const ui_capture *ui_view_capture(const ui_view *v)
{
    return v->paused ? &v->frozen_cap : ui_model_capture(v->m);
}

int64_t ui_view_now(const ui_view *v)
{
    int64_t now = v->paused ? v->frozen_now : ui_model_capture(v->m)->now;
    for (size_t i = 0; !now && i < ui_model_count(v->m); i++)
        if (ui_model_session(v->m, i)->last > now)
            now = ui_model_session(v->m, i)->last;
    return now;
}

/* By default the axis runs from the earliest kept session's start to now. */
ui_axis ui_view_axis(const ui_view *v, int width)
{
    if (v->manual_axis) {
        ui_axis a = v->axis;
        a.width = width;
        return a;
    }
    int64_t now = ui_view_now(v), from = now;
    for (size_t i = 0; i < ui_model_count(v->m); i++)
        if (ui_model_session(v->m, i)->start < from)
            from = ui_model_session(v->m, i)->start;
    return ui_axis_fit(from, now, width);
}

/* ---- layout ---- */

ui_layout ui_view_layout(const ui_view *v)
{
    ui_layout l = {0};
    int avail = LINES - HEAD_ROWS - FOOT_ROWS(v);
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
