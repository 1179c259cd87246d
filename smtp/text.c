/* Text helpers of the analyser: bounded copies of what it keeps and the checks its parsers
 * share. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/internal.h"

void smtp_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

char *smtp_dup_text(const char *src, size_t len)
{
    if (len >= SMTP_TEXT_MAX)
        len = SMTP_TEXT_MAX - 1;
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, src, len);
    p[len] = '\0';
    return p;
}

int smtp_prefix_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

int smtp_has_binary(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return 1;
    }
    return 0;
}
