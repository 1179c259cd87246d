/* AUTH PLAIN's user name (RFC 4616: base64 of authzid NUL authcid NUL password): the mailbox
 * when the session logs in that way. Only a well-formed response (exactly two NULs) gives a
 * name, so the password can never be taken for one; the decoded bytes are wiped. */
#include <string.h>

#include "base/base64.h"
#include "pop3/internal.h"

enum { PLAIN_MAX = 768 }; /* decoded bytes looked at: names and password together */

/* Decodes base64 up to the first '=' or invalid byte; returns the bytes written. */
static size_t b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    size_t len = 0;
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < n && len < cap; i++) {
        int v = base64_value((unsigned char)in[i]);
        if (v < 0)
            break;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (unsigned char)(acc >> bits);
        }
    }
    return len;
}

static void wipe(unsigned char *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void pop3_plain_name(const char *b64, size_t n, char *out, size_t cap)
{
    unsigned char buf[PLAIN_MAX];
    size_t len = b64_decode(b64, n, buf, sizeof buf);
    const unsigned char *nul1 = memchr(buf, 0, len);
    const unsigned char *nul2 = nul1 ? memchr(nul1 + 1, 0, len - (size_t)(nul1 + 1 - buf)) : NULL;
    int two = nul2 && !memchr(nul2 + 1, 0, len - (size_t)(nul2 + 1 - buf));
    if (two) {
        /* the authorisation identity when given (the mailbox acted on), else the user's */
        const unsigned char *name = nul1 > buf ? buf : nul1 + 1;
        size_t nlen = nul1 > buf ? (size_t)(nul1 - buf) : (size_t)(nul2 - nul1 - 1);
        pop3_copy_text(out, cap, (const char *)name, nlen);
    }
    wipe(buf, sizeof buf);
}
