/* ui view paint: the primitives every part of the live screen draws with (text clipped to
 * the screen and escaped, so nothing from a packet can send the terminal a control sequence;
 * colour attributes with their monochrome stand-ins) and its time, duration and size formats. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/escape.h"
#include "ui/view_internal.h"

int ui_put(int y, int x, attr_t a, const char *s)
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

void ui_fill_line(int y, attr_t a)
{
    if (y < 0 || y >= LINES)
        return;
    attrset(a);
    mvhline(y, 0, ' ', COLS);
    attrset(A_NORMAL);
}

attr_t ui_attr_pair(const ui_view *v, int pair, attr_t colour_extra, attr_t mono)
{
    return v->colour ? (attr_t)COLOR_PAIR(pair) | colour_extra : mono;
}

attr_t ui_attr_cell(const ui_view *v, uint8_t cell)
{
    switch (cell) {
    case UI_CELL_BAD:
        return ui_attr_pair(v, P_BAD, A_BOLD, A_BOLD | A_UNDERLINE);
    case UI_CELL_GOOD:
        return ui_attr_pair(v, P_GOOD, A_BOLD, A_UNDERLINE);
    case UI_CELL_WAIT:
        return ui_attr_pair(v, P_WAIT, A_BOLD, A_BOLD);
    case UI_CELL_EVENT:
        return ui_attr_pair(v, P_EVENT, 0, A_NORMAL);
    case UI_CELL_OFFAXIS:
        return ui_attr_pair(v, P_OFF, A_BOLD, A_BOLD);
    default:
        return A_NORMAL;
    }
}

attr_t ui_attr_badge(const ui_view *v, unsigned flag)
{
    return ui_attr_badge_serious(v, ui_flag_serious(flag));
}

attr_t ui_attr_badge_serious(const ui_view *v, int serious)
{
    if (serious)
        return ui_attr_pair(v, P_BADGE_SERIOUS, A_BOLD, A_REVERSE);
    return ui_attr_pair(v, P_BADGE, 0, A_UNDERLINE);
}

attr_t ui_attr_header(const ui_view *v)
{
    return ui_attr_pair(v, P_HEADER, 0, A_REVERSE);
}

/* ---- formatting ---- */

void ui_fmt_clock(int64_t ts, char *out, size_t cap, int with_date)
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

void ui_fmt_dur(int64_t us, char *out, size_t cap)
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

void ui_fmt_bytes(uint64_t b, char *out, size_t cap)
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
