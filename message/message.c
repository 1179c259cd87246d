/* message: the header lines and the body digest as smtp/ and pop3/ both read them (see
 * message.h). */
#include "message/message.h"

#include <string.h>
#include <strings.h>

static int prefix_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* Removes the blanks (spaces, tabs) around the text at *p. */
static void trim_blanks(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t'))
        (*p)++, (*len)--;
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

message_header_kind message_header_line(message_header *h, const char *line, size_t len,
                                        const char **value, size_t *vlen)
{
    if (len == 0)
        return MESSAGE_HEADER_END;
    int folded = line[0] == ' ' || line[0] == '\t';
    const char *v = NULL;
    if (h->msgid_folded && folded)
        v = line;
    else if (prefix_nocase(line, len, "Message-ID:"))
        v = line + 11;
    h->msgid_folded = 0;
    if (!v)
        return !folded && prefix_nocase(line, len, "Received:") ? MESSAGE_HEADER_RECEIVED
                                                                : MESSAGE_HEADER_OTHER;
    size_t n = len - (size_t)(v - line);
    trim_blanks(&v, &n);
    if (n == 0) { /* the value is on the next, folded line */
        h->msgid_folded = 1;
        return MESSAGE_HEADER_OTHER;
    }
    *value = v;
    *vlen = n;
    return MESSAGE_HEADER_MESSAGE_ID;
}

void message_digest_final(XXH3_state_t *st, uint8_t out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
    memcpy(out, c.digest, 16);
}
