/* ui view dups: the d panel, duplicate groups worst first, one group's attempts with their
 * sessions, and the jump from an attempt to its session's detail pane. */
#include <stdio.h>
#include <string.h>

#include "ui/view_internal.h"

#define PANEL_Y 2 /* below the header and the findings line */

/* Rows of the panel's list: between its title and headings and the status line. */
static int list_rows(int head)
{
    int h = LINES - 1 - PANEL_Y - head;
    return h > 1 ? h : 1;
}

void ui_dups_refresh(ui_view *v)
{
    v->ndup_rows = ui_dup_rows(v->m, v->dup_rows, UI_DUP_CAPACITY);
    if (v->ndup_rows == 0) {
        v->dup_sel = 0;
        return;
    }
    for (size_t i = 0; v->have_dup && i < v->ndup_rows; i++)
        if (ui_model_dup(v->m, v->dup_rows[i])->group == v->dup_group)
            v->dup_sel = i;
    if (v->dup_sel >= v->ndup_rows)
        v->dup_sel = v->ndup_rows - 1;
    v->dup_group = ui_model_dup(v->m, v->dup_rows[v->dup_sel])->group;
    v->have_dup = 1;
}

const ui_dup *ui_dups_selected(const ui_view *v)
{
    long at = v->have_dup ? ui_model_find_dup(v->m, v->dup_group) : -1;
    return at >= 0 ? ui_model_dup(v->m, (size_t)at) : NULL;
}

static size_t clamp_move(size_t at, long delta, size_t n)
{
    long s = (long)at + delta;
    if (s >= (long)n)
        s = (long)n - 1;
    return s < 0 ? 0 : (size_t)s;
}

void ui_dups_move(ui_view *v, long delta)
{
    if (v->dups == DUPS_ATTEMPTS) {
        const ui_dup *g = ui_dups_selected(v);
        v->att_sel = g ? clamp_move(v->att_sel, delta, g->nsessions) : 0;
        return;
    }
    if (v->ndup_rows == 0)
        return;
    v->dup_sel = clamp_move(v->dup_sel, delta, v->ndup_rows);
    v->dup_group = ui_model_dup(v->m, v->dup_rows[v->dup_sel])->group;
    v->have_dup = 1;
}

/* The session list selects session id and opens its pane; a filter hiding it is cleared. */
static void jump_to_session(ui_view *v, uint64_t id)
{
    v->sel_id = id;
    v->have_sel = 1;
    ui_view_refresh_rows(v, 1);
    const ui_session *s = ui_view_row(v, v->sel);
    if (!s || s->id != id) {
        memset(&v->filter, 0, sizeof v->filter);
        v->sel_id = id;
        ui_view_refresh_rows(v, 1);
        snprintf(v->note, sizeof v->note, "filter cleared to show session %llu",
                 (unsigned long long)id);
    }
    v->pane = 1;
    v->pane_scroll = 0;
    v->dups = DUPS_OFF;
    v->dup_back = 1;
}

void ui_dups_enter(ui_view *v)
{
    const ui_dup *g = ui_dups_selected(v);
    if (!g)
        return;
    if (v->dups == DUPS_GROUPS) {
        v->dups = DUPS_ATTEMPTS;
        v->att_sel = v->att_top = 0;
        return;
    }
    if (v->att_sel >= g->nsessions)
        return;
    uint32_t id = g->sessions[v->att_sel];
    if (ui_model_find_id(v->m, id) < 0) {
        snprintf(v->note, sizeof v->note, "session %u is no longer kept on screen", id);
        return;
    }
    jump_to_session(v, id);
}

void ui_dups_back(ui_view *v)
{
    v->dups = v->dups == DUPS_ATTEMPTS ? DUPS_GROUPS : DUPS_OFF;
}

/* The first row shown so that the selection is in the h rows. */
static size_t scroll_to(size_t top, size_t sel, int h, size_t n)
{
    if (sel < top)
        top = sel;
    if (sel >= top + (size_t)h)
        top = sel - (size_t)h + 1;
    if (top + (size_t)h > n)
        top = n > (size_t)h ? n - (size_t)h : 0;
    return top;
}

static void draw_title(ui_view *v, int y, const char *text)
{
    attr_t ha = ui_attr_header(v);
    ui_fill_line(y, ha);
    ui_put(y, 0, ha | A_BOLD, text);
}

static void draw_group_row(ui_view *v, int y, const ui_dup *g, int selected)
{
    char buf[512], every[24];
    attr_t base = selected ? A_REVERSE : A_NORMAL;
    ui_fmt_dur((int64_t)(g->interval_median * 1e6), every, sizeof every);
    snprintf(buf, sizeof buf, "%c %-5s %8u %5u %9s  %-22s ", selected ? '>' : ' ',
             g->final ? "final" : "open", g->attempts, g->acknowledged, every, g->cause);
    int x = ui_put(y, 0, base, buf);
    attr_t ma = g->attempts > g->acknowledged ? ui_attr_cell(v, UI_CELL_BAD) : A_NORMAL;
    ui_put(y, x, ma | base, g->message);
}

static void draw_groups(ui_view *v)
{
    char buf[160];
    snprintf(buf, sizeof buf,
             " duplicate groups: %zu shown of %llu seen, worst first (Enter: its attempts, "
             "Esc/q back)",
             v->ndup_rows, (unsigned long long)ui_model_dup_groups(v->m));
    draw_title(v, PANEL_Y, buf);
    snprintf(buf, sizeof buf, "  %-5s %8s %5s %9s  %-22s %s", "state", "attempts", "acked",
             "interval", "likely cause", "message");
    ui_put(PANEL_Y + 1, 0, A_BOLD | A_UNDERLINE, buf);
    if (v->ndup_rows == 0) {
        ui_put(PANEL_Y + 2, 2, A_NORMAL, "no duplicate group yet");
        return;
    }
    int h = list_rows(2);
    v->dup_top = scroll_to(v->dup_top, v->dup_sel, h, v->ndup_rows);
    for (int i = 0; i < h && v->dup_top + (size_t)i < v->ndup_rows; i++) {
        size_t r = v->dup_top + (size_t)i;
        draw_group_row(v, PANEL_Y + 2 + i, ui_model_dup(v->m, v->dup_rows[r]), r == v->dup_sel);
    }
}

/* The group's own line: its envelope, its span, the attempts not kept. */
static void draw_group_info(const ui_dup *g, int y)
{
    char first[32], last[32], buf[512];
    ui_fmt_clock(g->first, first, sizeof first, 1);
    ui_fmt_clock(g->last, last, sizeof last, 1);
    int n = snprintf(buf, sizeof buf, " from %s to %s | %s to %s",
                     g->mail_from[0] ? g->mail_from : "?", g->rcpt[0] ? g->rcpt : "?", first, last);
    if (ui_dup_unlisted(g) && n > 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n, " | attempts %u to %u not kept",
                 UI_DUP_SESSIONS / 2 + 1, UI_DUP_SESSIONS / 2 + ui_dup_unlisted(g));
    ui_put(y, 0, A_NORMAL, buf);
}

/* Attempt i's number: those after the kept first half come after the ones not kept. */
static unsigned attempt_number(const ui_dup *g, unsigned i)
{
    return i < UI_DUP_SESSIONS / 2 ? i + 1 : i + 1 + ui_dup_unlisted(g);
}

static void draw_attempt_row(ui_view *v, int y, const ui_dup *g, unsigned i, int selected)
{
    char buf[512], start[32], st[16];
    attr_t base = selected ? A_REVERSE : A_NORMAL;
    long at = ui_model_find_id(v->m, g->sessions[i]);
    const ui_session *s = at >= 0 ? ui_model_session(v->m, (size_t)at) : NULL;
    if (!s) {
        snprintf(buf, sizeof buf, "%c%4u %8u  (no longer kept on screen)", selected ? '>' : ' ',
                 attempt_number(g, i), g->sessions[i]);
        ui_put(y, 0, base, buf);
        return;
    }
    ui_fmt_clock(s->start, start, sizeof start, 0);
    ui_state_text(s, st, sizeof st);
    snprintf(buf, sizeof buf, "%c%4u %8llu  %-12s  %s -> %s  %-*s ", selected ? '>' : ' ',
             attempt_number(g, i), (unsigned long long)s->id, start, s->client, s->server, STATE_W,
             st);
    int x = ui_put(y, 0, base, buf);
    ui_draw_badges(v, y, x, COLS - x, s, base);
}

static void draw_attempts(ui_view *v, const ui_dup *g)
{
    char buf[512], every[24];
    ui_fmt_dur((int64_t)(g->interval_median * 1e6), every, sizeof every);
    snprintf(buf, sizeof buf,
             " %s: %u attempts, %u acknowledged, every %s, likely %s%s (Enter: detail, Esc/q "
             "back)",
             g->message, g->attempts, g->acknowledged, every, g->cause, g->final ? ", final" : "");
    draw_title(v, PANEL_Y, buf);
    draw_group_info(g, PANEL_Y + 1);
    snprintf(buf, sizeof buf, " %4s %8s  %-12s  %s", "#", "session", "start",
             "client -> server, state, flags");
    ui_put(PANEL_Y + 2, 0, A_BOLD | A_UNDERLINE, buf);
    if (g->nsessions == 0) {
        ui_put(PANEL_Y + 3, 2, A_NORMAL, "no session known for it");
        return;
    }
    if (v->att_sel >= g->nsessions)
        v->att_sel = g->nsessions - 1;
    int h = list_rows(3);
    v->att_top = scroll_to(v->att_top, v->att_sel, h, g->nsessions);
    for (int i = 0; i < h && v->att_top + (size_t)i < g->nsessions; i++) {
        unsigned r = (unsigned)(v->att_top + (size_t)i);
        draw_attempt_row(v, PANEL_Y + 3 + i, g, r, r == v->att_sel);
    }
}

/* The panel covers the list, the pane and the legend (as the help does). */
void ui_draw_dups(ui_view *v)
{
    for (int y = PANEL_Y; y < LINES - 1; y++)
        ui_fill_line(y, A_NORMAL);
    const ui_dup *g = v->dups == DUPS_ATTEMPTS ? ui_dups_selected(v) : NULL;
    if (v->dups == DUPS_ATTEMPTS && !g) { /* it made room for another: back to the groups */
        v->dups = DUPS_GROUPS;
        snprintf(v->note, sizeof v->note, "that group is no longer kept");
    }
    if (g)
        draw_attempts(v, g);
    else
        draw_groups(v);
}
