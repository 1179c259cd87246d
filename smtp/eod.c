/* The end of a message: the scanner that finds CR LF . CR LF (or its bare-LF forms) even when it
 * is cut across segments, and the rules and wording for what it found. */
#include "smtp/eod.h"

#include <string.h>

#include "smtp/internal.h"

/* The body seen through a window: the kept tail bytes, then the new segment. */
typedef struct view {
    const eod_scan *e;
    const uint8_t *d;
    size_t len;
} view;

static size_t view_len(const view *v)
{
    return v->e->tn + v->len;
}

static uint8_t view_at(const view *v, size_t i)
{
    return i < v->e->tn ? v->e->tail[i] : v->d[i - v->e->tn];
}

enum { NO_MATCH = 0, INCOMPLETE = -1 };

/* With a LF at i: the index just past a terminator that begins there, NO_MATCH, or
 * INCOMPLETE when the window ends before it can tell. */
static long match_after_lf(const view *v, size_t i)
{
    size_t n = view_len(v);
    if (i + 1 >= n)
        return INCOMPLETE;
    if (view_at(v, i + 1) != '.')
        return NO_MATCH;
    if (i + 2 >= n)
        return INCOMPLETE;
    uint8_t c = view_at(v, i + 2);
    if (c == '\n')
        return (long)(i + 3);
    if (c != '\r')
        return NO_MATCH;
    if (i + 3 >= n)
        return INCOMPLETE;
    return view_at(v, i + 3) == '\n' ? (long)(i + 4) : NO_MATCH;
}

static eod_seg seg_at(const view *v, size_t i, eod_seg cur)
{
    return i < v->e->tn ? v->e->tseg[i] : cur;
}

static void record_parts(const view *v, size_t start, size_t end, eod_seg cur, smtp_eod *eod)
{
    eod->nparts = 0;
    eod->cuts = 0;
    eod->term_len = 0;
    uint64_t prev_id = 0;
    for (size_t i = start; i < end; i++) {
        eod_seg s = seg_at(v, i, cur);
        if (i == start || s.id != prev_id) {
            if (i != start)
                eod->cuts |= (uint8_t)(1u << (i - start));
            eod->part[eod->nparts] = s.ref;
            eod->part_len[eod->nparts] = 0;
            eod->nparts++;
            prev_id = s.id;
        }
        eod->part_len[eod->nparts - 1]++;
        eod->term[eod->term_len++] = (char)view_at(v, i);
    }
}

static void found_at(const view *v, size_t lf, size_t end, eod_seg cur, smtp_eod *eod,
                     uint64_t *body_bytes)
{
    size_t start = lf > 0 && view_at(v, lf - 1) == '\r' ? lf - 1 : lf;
    eod->seen = 1;
    eod->bare_lf = !(start + 5 == end);
    record_parts(v, start, end, cur, eod);
    /* the dot follows the LF; tail index 0 sits at body offset (offset - tn) */
    *body_bytes = v->e->offset + (lf + 1) - v->e->tn;
}

static void keep_tail(eod_scan *e, const uint8_t *d, size_t len, eod_seg seg)
{
    if (len >= 4) {
        memcpy(e->tail, d + len - 4, 4);
        for (int i = 0; i < 4; i++)
            e->tseg[i] = seg;
        e->tn = 4;
        return;
    }
    size_t drop = e->tn + len > 4 ? e->tn + len - 4 : 0;
    memmove(e->tail, e->tail + drop, e->tn - drop);
    memmove(e->tseg, e->tseg + drop, (e->tn - drop) * sizeof e->tseg[0]);
    e->tn -= (unsigned)drop;
    for (size_t i = 0; i < len; i++) {
        e->tail[e->tn] = d[i];
        e->tseg[e->tn++] = seg;
    }
}

void smtp_eod_scan_start(eod_scan *e, eod_seg data_line, int data_line_crlf)
{
    memset(e, 0, sizeof *e);
    if (data_line_crlf)
        e->tail[e->tn++] = '\r';
    e->tail[e->tn++] = '\n';
    e->tseg[0] = e->tseg[1] = data_line;
    /* the seeded line end is not body: offsets start at zero after it */
}

size_t smtp_eod_scan_feed(eod_scan *e, const uint8_t *d, size_t len, eod_seg seg, smtp_eod *eod,
                          uint64_t *body_bytes, int *found)
{
    view v = {e, d, len};
    *found = 0;
    for (size_t i = 0; i < e->tn; i++) {
        if (e->tail[i] != '\n')
            continue;
        long end = match_after_lf(&v, i);
        if (end > 0) {
            found_at(&v, i, (size_t)end, seg, eod, body_bytes);
            *found = 1;
            return (size_t)end - e->tn;
        }
    }
    const uint8_t *p = d;
    while ((p = memchr(p, '\n', len - (size_t)(p - d))) != NULL) {
        size_t i = e->tn + (size_t)(p - d);
        long end = match_after_lf(&v, i);
        if (end == INCOMPLETE)
            break;
        if (end > 0) {
            found_at(&v, i, (size_t)end, seg, eod, body_bytes);
            *found = 1;
            return (size_t)end - e->tn;
        }
        p++;
    }
    keep_tail(e, d, len, seg);
    e->offset += len;
    return len;
}

int smtp_eod_split_unacked(const smtp_eod *e)
{
    return e->seen && !e->bdat && e->nparts > 1 && !(e->replied && smtp_is_2xx(e->reply));
}

void smtp_format_cut(const smtp_eod *e, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < e->term_len && n + 4 < cap; i++) {
        if (i > 0 && (e->cuts & (1u << i)))
            out[n++] = '|';
        char c = e->term[i];
        const char *name = c == '\r' ? "CR" : c == '\n' ? "LF" : ".";
        size_t len = strlen(name);
        memcpy(out + n, name, len);
        n += len;
    }
    out[n] = '\0';
}
