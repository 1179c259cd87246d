/* Line assembly: lines cut across segments are kept (up to SMTP_LINE_MAX, the rest counted);
 * a line within one segment is used in place. */
#include <stdlib.h>
#include <string.h>

#include "smtp/internal.h"

/* Appends a chunk to lb (what fits in SMTP_LINE_MAX; the rest is counted). When the chunk
 * ends with the line's LF, the line is complete: out gets it and lb starts over. */
static int buffer_chunk(linebuf *lb, const uint8_t *p, size_t chunk, int has_lf, line_t *out)
{
    if (!lb->buf && !(lb->buf = malloc(SMTP_LINE_MAX)))
        return 0;
    size_t room = SMTP_LINE_MAX - lb->len;
    size_t keep = chunk < room ? chunk : room;
    memcpy(lb->buf + lb->len, p, keep);
    lb->len += keep;
    lb->full += chunk;
    lb->overflow |= keep < chunk;
    lb->last = (char)p[chunk - 1];
    if (!has_lf)
        return 0;
    out->text = lb->buf;
    out->len = lb->len - (lb->buf[lb->len - 1] == '\n');
    out->full = lb->full - 1;
    out->overflow = lb->overflow;
    smtp_linebuf_reset(lb);
    return 1;
}

/* Takes the next line from *p. Returns 1 with the line (without its line end) when one is
 * complete, 0 when the bytes ran out (kept in lb for the next segment). */
int smtp_take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out)
{
    const uint8_t *nl = memchr(*p, '\n', *len);
    size_t chunk = nl ? (size_t)(nl - *p) + 1 : *len;
    uint8_t before_lf = chunk >= 2 ? (*p)[chunk - 2] : (uint8_t)lb->last;
    int complete = 1;
    if (nl && lb->len == 0 && !lb->overflow) { /* the whole line is here: used in place */
        out->text = (const char *)*p;
        out->len = chunk - 1;
        out->full = chunk - 1;
        out->overflow = 0;
    } else {
        complete = buffer_chunk(lb, *p, chunk, nl != NULL, out);
    }
    *p += chunk;
    *len -= chunk;
    if (!complete)
        return 0;
    out->crlf = before_lf == '\r';
    if (out->crlf) {
        out->full--;
        if (out->len && out->text[out->len - 1] == '\r')
            out->len--;
    }
    return 1;
}

void smtp_linebuf_reset(linebuf *lb)
{
    lb->len = 0;
    lb->full = 0;
    lb->overflow = 0;
}
