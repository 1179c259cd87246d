/* What SMTP looks like: the verb table of smtp/verbs.def and the classifiers of command and
 * reply lines, shared by the analyser and by the protocol detection (--detect). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtp/internal.h"

static const struct {
    const char *name;
    smtp_verb verb;
    int opens;
} verbs[] = {
#define VERB(id, name, opens) {name, SMTP_VERB_##id, opens},
#include "smtp/verbs.def"
};

enum { NVERBS = sizeof verbs / sizeof verbs[0] };

/* Values the live screen and other observers were built against. */
_Static_assert(SMTP_VERB_STARTTLS == 10 && SMTP_VERB_EOD == 11, "smtp_verb values changed");

smtp_verb smtp_parse_verb(const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && line[n] != ' ')
        n++;
    for (size_t i = 0; i < NVERBS; i++)
        if (n == strlen(verbs[i].name) && strncasecmp(line, verbs[i].name, n) == 0)
            return verbs[i].verb;
    return SMTP_VERB_OTHER;
}

/* p (at least 4 bytes) starts with the first four letters of name, in any case. */
static int first_four_letters(const uint8_t *p, const char *name)
{
    size_t i = 0;
    while (i < 4 && (p[i] & 0xdf) == (uint8_t)name[i])
        i++;
    return i == 4;
}

int smtp_looks_like_command(const uint8_t *p, size_t n)
{
    if (n < 4)
        return 0;
    for (size_t i = 0; i < NVERBS; i++)
        if (first_four_letters(p, verbs[i].name))
            return 1;
    return 0;
}

int smtp_opens_session(const uint8_t *line, size_t n)
{
    if (n < 4 || (n > 4 && line[4] != ' ' && line[4] != '\r' && line[4] != '\n'))
        return 0;
    for (size_t i = 0; i < NVERBS; i++)
        if (verbs[i].opens && first_four_letters(line, verbs[i].name))
            return 1;
    return 0;
}

int smtp_reply_code(const char *line, size_t len, int *more)
{
    if (len < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return -1;
    if (len > 3 && line[3] != ' ' && line[3] != '-')
        return -1;
    *more = len > 3 && line[3] == '-';
    return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

int smtp_looks_like_reply(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    const uint8_t *nl = memchr(p, '\n', n);
    size_t len = nl ? (size_t)(nl - p) : n;
    if (len && p[len - 1] == '\r')
        len--;
    int more;
    int code = smtp_reply_code((const char *)p, len, &more);
    return code >= 200 && code < 600 && code / 10 % 10 <= 5;
}

int smtp_greeting_prefix(const uint8_t *p, size_t n)
{
    static const char code[] = "220";
    for (size_t i = 0; i < 3 && i < n; i++)
        if (p[i] != (uint8_t)code[i])
            return 0;
    return n < 4 || p[3] == ' ' || p[3] == '-' || p[3] == '\r' || p[3] == '\n';
}

int smtp_is_2xx(int code)
{
    return code >= 200 && code < 300;
}

const char *smtp_answered_name(int answered)
{
    if (answered == SMTP_ANSWERED_GREETING)
        return "greeting";
    if (answered == SMTP_VERB_OTHER)
        return "other command";
    if (answered == SMTP_VERB_EOD)
        return "end of data";
    for (size_t i = 0; i < NVERBS; i++)
        if ((int)verbs[i].verb == answered)
            return verbs[i].name;
    return NULL;
}

/* "5.3.4" after the code: an RFC 3463 enhanced status (class, subject and detail of 1 to 3
 * digits each). Returns 1 and the three numbers when the line has one. */
static int enhanced_status(const char *line, size_t len, int num[3])
{
    size_t i = 4; /* past "552 " or "552-" */
    for (int k = 0; k < 3; k++) {
        size_t start = i;
        num[k] = 0;
        while (i < len && i - start < 3 && isdigit((unsigned char)line[i]))
            num[k] = num[k] * 10 + (line[i++] - '0');
        if (i == start || (k < 2 && (i >= len || line[i++] != '.')))
            return 0;
    }
    return i == len || line[i] == ' ';
}

int smtp_reply_too_big(int code, const char *line, size_t len)
{
    int st[3];
    if (code < 500 || code > 599)
        return 0;
    if (!enhanced_status(line, len, st))
        return code == 552;
    int size_status = (st[1] == 3 && st[2] == 4) || (st[1] == 2 && st[2] == 3);
    return size_status && (st[0] == 5 || code == 552);
}
