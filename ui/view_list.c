/* ui view list: the top of the live screen (capture header, findings so far, column
 * headings) and the session list, a row per session with its state, badges and timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view_internal.h"

static void draw_header(ui_view *v)
{
    const ui_capture *c = ui_view_capture(v);
    char now[40], el[24], bytes[24], line[512];
    attr_t ha = ui_attr_header(v);
    ui_fill_line(0, ha);
    int x = ui_put(0, 0, ha | A_BOLD, " smtpscope ");
    if (v->paused)
        x = ui_put(0, x, ui_attr_pair(v, P_BADGE_SERIOUS, A_BOLD, A_BOLD | A_REVERSE), " PAUSED ");
    if (c->finished)
        x = ui_put(0, x, ui_attr_pair(v, P_BADGE, A_BOLD, A_BOLD), " end of file ");
    ui_fmt_clock(c->now, now, sizeof now, 1);
    ui_fmt_dur(c->now - c->first, el, sizeof el);
    ui_fmt_bytes(c->bytes, bytes, sizeof bytes);
    snprintf(line, sizeof line,
             " %s | %s (+%s) | %llu packets, %s | drops %llu | sessions %llu open, %llu ended",
             c->source[0] ? c->source : "?", c->first ? now : "no packets yet", el,
             (unsigned long long)c->packets, bytes, (unsigned long long)(c->drops + c->if_drops),
             (unsigned long long)ui_model_open_count(v->m),
             (unsigned long long)ui_model_ended_count(v->m));
    x = ui_put(0, x, ha, line);
    if (ui_model_untracked(v->m)) {
        snprintf(line, sizeof line, " | untracked %llu",
                 (unsigned long long)ui_model_untracked(v->m));
        ui_put(0, x, ha | A_BOLD, line);
    }
}

/* One protocol's badges with their counts from column x; *any is set when one was drawn. */
static int draw_counts(ui_view *v, proto_id p, int x, int *any)
{
    char buf[32];
    const flag_info *f;
    for (unsigned i = 0; (f = ui_proto_flag(p, i)); i++) {
        uint64_t n = ui_model_proto_flag_count(v->m, p, i);
        if (!n)
            continue;
        *any = 1;
        x = ui_put(1, x, A_NORMAL, " ");
        x = ui_put(1, x, ui_attr_badge_serious(v, f->serious), f->badge);
        snprintf(buf, sizeof buf, " %llu", (unsigned long long)n);
        x = ui_put(1, x, A_NORMAL, buf);
    }
    return x;
}

/* Findings so far (one badge per flag with its count: SMTP's, then POP3's once a POP3
 * session was seen, since the two tables name different things), the duplicate groups seen,
 * then the view settings. */
static void draw_findings(ui_view *v)
{
    char buf[160];
    int x = ui_put(1, 0, A_BOLD, " findings:");
    int any = 0;
    x = draw_counts(v, PROTO_SMTP, x, &any);
    if (ui_model_proto_sessions(v->m, PROTO_POP3)) { /* "none yet" then speaks of POP3 */
        x = ui_put(1, x, A_BOLD, any ? "  POP3:" : " POP3:");
        any = 0;
        x = draw_counts(v, PROTO_POP3, x, &any);
    }
    if (!any)
        x = ui_put(1, x, A_NORMAL, " none yet");
    uint64_t dups = ui_model_dup_groups(v->m);
    snprintf(buf, sizeof buf, "  | duplicate groups %llu", (unsigned long long)dups);
    x = ui_put(1, x, dups ? A_BOLD : A_NORMAL, buf);
    snprintf(buf, sizeof buf, "  | sort: %s%s%s%s%s", ui_sort_name(v->sort),
             v->filter.flagged_only ? " | flagged only" : "",
             v->filter.text[0] ? " | filter: \"" : "", v->filter.text,
             v->filter.text[0] ? "\"" : "");
    ui_put(1, x, A_NORMAL, buf);
}

static void draw_headings(ui_view *v, const ui_layout *l, const ui_axis *a)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%6s %-*s    %-*s %-*s %-*s", "id", l->addr_w, "client", l->addr_w,
             "server", STATE_W, "state", l->flags_w, "flags");
    ui_put(2, 0, A_BOLD | A_UNDERLINE, buf);
    if (!l->tl_w)
        return;
    char from[32], span[24], per[24];
    ui_fmt_clock(a->start, from, sizeof from, 0);
    ui_fmt_dur(a->span, span, sizeof span);
    ui_fmt_dur(a->span / (a->width > 0 ? a->width : 1), per, sizeof per);
    snprintf(buf, sizeof buf, "%s +%s (%s/col)%s", from, span, per,
             v->manual_axis ? " zoomed" : "");
    ui_put(2, l->tl_x, A_BOLD | A_UNDERLINE, buf);
}

/* The session's badges, by its own analyser's flag table. */
void ui_draw_badges(const ui_view *v, int y, int x, int w, const ui_session *s, attr_t base)
{
    unsigned flags = s->flags;
    int end = x + w, shown = 0, total = __builtin_popcount(flags);
    const flag_info *f;
    if (s->dup && x + (int)strlen(UI_BADGE_DUP) + (total ? 3 : 0) <= end) {
        x = ui_put(y, x, ui_attr_badge_serious(v, 1), UI_BADGE_DUP);
        x = ui_put(y, x, base, " ");
    }
    /* Serious badges first: they are what the row is about. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; (f = ui_session_flag(s, i)); i++) {
            if (!(flags & (1u << i)) || (f->serious != 0) != !pass)
                continue;
            const char *b = f->badge;
            int rest = total - shown - 1; /* room for a "+N" after it if more follow */
            if (x + (int)strlen(b) + (rest ? 3 : 0) > end) {
                char more[16];
                snprintf(more, sizeof more, "+%d", total - shown);
                ui_put(y, x, base | A_BOLD, more);
                return;
            }
            x = ui_put(y, x, ui_attr_badge_serious(v, f->serious), b);
            x = ui_put(y, x, base, " ");
            shown++;
        }
    }
}

void ui_state_text(const ui_session *s, char *out, size_t cap)
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
        ui_put(y, x + c, ui_attr_cell(v, v->cells[c]), run);
        c = e;
    }
}

static void draw_row(ui_view *v, const ui_layout *l, int y, const ui_session *s, int selected,
                     const ui_axis *a, int64_t now)
{
    char buf[256], st[16];
    attr_t base = selected ? A_REVERSE : A_NORMAL;
    snprintf(buf, sizeof buf, "%c%5llu %-*.*s -> %-*.*s ", selected ? '>' : ' ',
             (unsigned long long)s->id, l->addr_w, l->addr_w, s->client, l->addr_w, l->addr_w,
             s->server);
    int x = ui_put(y, 0, base, buf);
    /* Open sessions stand out; one awaiting the reply to end of data in the wait colour. */
    attr_t sa = s->ended ? base : base | A_BOLD;
    if (!s->ended && s->eod_wait)
        sa = ui_attr_cell(v, UI_CELL_WAIT) | base;
    ui_state_text(s, st, sizeof st);
    snprintf(buf, sizeof buf, "%-*s", STATE_W, st);
    x = ui_put(y, x, sa, buf);
    x = ui_put(y, x, base, " ");
    ui_draw_badges(v, y, x, l->flags_w, s, base);
    if (l->tl_w)
        draw_strip(v, y, l->tl_x, s, a, now);
}

void ui_draw_list(ui_view *v, const ui_layout *l, const ui_axis *a)
{
    v->list_h = l->list_h;
    if (v->sel < v->top)
        v->top = v->sel;
    if (v->sel >= v->top + (size_t)l->list_h)
        v->top = v->sel - (size_t)l->list_h + 1;
    if (v->top + (size_t)l->list_h > v->nrows)
        v->top = v->nrows > (size_t)l->list_h ? v->nrows - (size_t)l->list_h : 0;
    if (v->nrows == 0) {
        ui_put(l->list_y, 2, A_NORMAL,
               ui_model_count(v->m) ? "no session matches the filter" : "no session yet");
        return;
    }
    int64_t now = ui_view_now(v);
    for (int i = 0; i < l->list_h && v->top + (size_t)i < v->nrows; i++) {
        size_t r = v->top + (size_t)i;
        draw_row(v, l, l->list_y + i, ui_view_row(v, r), r == v->sel, a, now);
    }
}

void ui_draw_top(ui_view *v, const ui_layout *l, const ui_axis *a)
{
    draw_header(v);
    draw_findings(v);
    draw_headings(v, l, a);
}
