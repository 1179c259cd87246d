/* escape: the terminal escaping of the text report and the live screen, and the HTML escaping
 * of --html. See escape.h. */
#include "base/escape.h"

#include <string.h>

static int plain(unsigned char c, int keep_newlines)
{
    return (c >= 0x20 && c < 0x7f) || (keep_newlines && c == '\n');
}

size_t escape_text(char *out, size_t cap, const char *in, size_t len, int keep_newlines)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int keep = plain(c, keep_newlines);
        if (n + (keep ? 1 : 4) >= cap)
            break; /* stop before an escape would be cut */
        if (keep) {
            out[n++] = (char)c;
            continue;
        }
        out[n++] = '\\';
        out[n++] = 'x';
        out[n++] = hex[c >> 4];
        out[n++] = hex[c & 15];
    }
    out[n] = '\0';
    return n;
}

size_t escape_line(char *out, size_t cap, const char *in, size_t len)
{
    return escape_text(out, cap, in, len, 0);
}

size_t escape_str(char *out, size_t cap, const char *s)
{
    return s ? escape_line(out, cap, s, strlen(s)) : escape_line(out, cap, "", 0);
}

size_t escape_len(const char *in, size_t len, int keep_newlines)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += plain((unsigned char)in[i], keep_newlines) ? 1 : 4;
    return n;
}

/* The entity of a byte HTML gives a meaning to, NULL for the others. */
static const char *html_entity(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case ':': /* no "javascript:" or other scheme survives as a string in the file */
        return "&#58;";
    default:
        return NULL;
    }
}

size_t escape_html(char *out, size_t cap, const char *in, size_t len)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        const char *entity = html_entity((unsigned char)in[i]);
        char one[8];
        size_t k = entity ? strlen(entity) : escape_line(one, sizeof one, in + i, 1);
        if (n + k >= cap)
            break; /* never half an entity */
        memcpy(out + n, entity ? entity : one, k);
        n += k;
    }
    out[n] = '\0';
    return n;
}
