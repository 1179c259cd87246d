/* Line assembly: lines cut across segments are kept (up to SMTP_LINE_MAX, the rest counted);
 * a line within one segment is used in place. */
#include <stdlib.h>
#include <string.h>

#include "smtp/internal.h"

/* Takes the next line from *p. Returns 1 with the line (without its line end) when one is
 * complete, 0 when the bytes ran out (kept in lb for the next segment). */
int smtp_take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out)
{
    const uint8_t *nl = memchr(*p, '\n', *len);
    size_t chunk = nl ? (size_t)(nl - *p) + 1 : *len;
    uint8_t before_lf = chunk >= 2 ? (*p)[chunk - 2] : (uint8_t)lb->last;
    if (nl && lb->len == 0 && !lb->overflow) {
        out->text = (const char *)*p;
        out->len = chunk - 1;
        out->full = chunk - 1;
        out->overflow = 0;
    } else {
        if (!lb->buf && !(lb->buf = malloc(SMTP_LINE_MAX)))
            return *p += chunk, *len -= chunk, 0;
        size_t room = SMTP_LINE_MAX - lb->len;
        size_t keep = chunk < room ? chunk : room;
        memcpy(lb->buf + lb->len, *p, keep);
        lb->len += keep;
        lb->full += chunk;
        lb->overflow |= keep < chunk;
        lb->last = (char)(*p)[chunk - 1];
        if (!nl) {
            *p += chunk;
            *len -= chunk;
            return 0;
        }
        out->text = lb->buf;
        out->len = lb->len - (lb->buf[lb->len - 1] == '\n');
        out->full = lb->full - 1;
        out->overflow = lb->overflow;
        lb->len = 0;
        lb->full = 0;
        lb->overflow = 0;
    }
    *p += chunk;
    *len -= chunk;
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
