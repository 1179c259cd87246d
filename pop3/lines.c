/* Line assembly: a line cut across segments is kept in its buffer (up to POP3_LINE_MAX, the
 * rest counted); a line within one segment is used in place. */
#include <string.h>
#include <strings.h>

#include "pop3/internal.h"

static void strip_cr(line_t *out)
{
    if (out->len && out->text[out->len - 1] == '\r')
        out->len--;
}

int pop3_take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out)
{
    const uint8_t *nl = memchr(*p, '\n', *len);
    size_t chunk = nl ? (size_t)(nl - *p) + 1 : *len;
    if (nl && lb->full == 0) { /* the whole line is here: used in place */
        out->text = (const char *)*p;
        out->len = chunk - 1;
        out->overflow = 0;
    } else {
        size_t room = POP3_LINE_MAX - lb->len;
        size_t keep = chunk < room ? chunk : room;
        memcpy(lb->buf + lb->len, *p, keep);
        lb->len += keep;
        lb->full += chunk;
        if (nl) {
            out->text = lb->buf;
            out->overflow = lb->full > POP3_LINE_MAX;
            out->len = lb->len - (!out->overflow); /* the LF, when it was kept */
            lb->len = 0;
            lb->full = 0;
        }
    }
    *p += chunk;
    *len -= chunk;
    if (!nl)
        return 0;
    strip_cr(out);
    return 1;
}

void pop3_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int pop3_prefix_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}
