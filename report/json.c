/* json: the JSON Lines writer; packet bytes escaped into valid JSON and UTF-8 (see json.h). */
#include "report/json.h"

#include "base/base64.h"

#include <stdlib.h>
#include <string.h>

void json_init(json *j)
{
    memset(j, 0, sizeof *j);
}

void json_free(json *j)
{
    free(j->buf);
    json_init(j);
}

void json_reset(json *j)
{
    j->len = 0;
    j->need_comma = 0;
    j->failed = 0;
}

static int reserve(json *j, size_t more)
{
    if (j->len + more <= j->cap)
        return 1;
    size_t cap = j->cap ? j->cap : 1024;
    while (cap < j->len + more)
        cap *= 2;
    char *p = realloc(j->buf, cap);
    if (!p) {
        j->failed = 1;
        return 0;
    }
    j->buf = p;
    j->cap = cap;
    return 1;
}

static void put(json *j, const char *s, size_t n)
{
    if (!reserve(j, n))
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void putc_(json *j, char c)
{
    put(j, &c, 1);
}

static void separate(json *j)
{
    if (j->need_comma)
        putc_(j, ',');
    j->need_comma = 1;
}

/* A value of n bytes that need no escaping, with the separator before it, quoted or not: one
 * reservation (a session's line is some 150 of these). */
static void put_value(json *j, const char *s, size_t n, int quoted)
{
    if (!reserve(j, n + 3))
        return;
    char *p = j->buf + j->len;
    if (j->need_comma)
        *p++ = ',';
    if (quoted)
        *p++ = '"';
    memcpy(p, s, n);
    p += n;
    if (quoted)
        *p++ = '"';
    j->len = (size_t)(p - j->buf);
    j->need_comma = 1;
}

/* 1 for a byte that goes into a JSON string as it is: printable ASCII but the quote and the
 * backslash (a table: the scan for runs of them is most of the time spent writing strings). */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static int plain(unsigned char c)
{
    return plain_byte[c];
}

/* An object or an array opens as a value and holds none yet; it closes as a value written. */
static void open_(json *j, char bracket)
{
    separate(j);
    putc_(j, bracket);
    j->need_comma = 0;
}

static void close_(json *j, char bracket)
{
    putc_(j, bracket);
    j->need_comma = 1;
}

void json_begin_object(json *j)
{
    open_(j, '{');
}

void json_end_object(json *j)
{
    close_(j, '}');
}

void json_begin_array(json *j)
{
    open_(j, '[');
}

void json_end_array(json *j)
{
    close_(j, ']');
}

/* One reservation for the separator, the quoted key and the colon. */
void json_key_n(json *j, const char *key, size_t n)
{
    if (!reserve(j, n + 4))
        return;
    char *p = j->buf + j->len;
    if (j->need_comma)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, key, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    j->len = (size_t)(p - j->buf);
    j->need_comma = 0;
}

/* Length of a valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c >= 0xf0 && c <= 0xf4   ? 4
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xc2 && c <= 0xdf ? 2
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

static void put_escaped_byte(json *j, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    put(j, e, 6);
}

static void put_escaped(json *j, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(j, e, 2);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c == '\r') {
            put(j, "\\r", 2);
        } else if (c == '\t') {
            put(j, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            put_escaped_byte(j, c);
        } else if (c >= 0x80) {
            size_t len = utf8_len(s + i, n - i);
            /* U+0080..U+009F are C1 controls: legal in JSON, but a terminal may obey them
             * (U+009B is CSI), so they go out escaped, as the same characters */
            if (len == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
                put_escaped_byte(j, s[i + 1]);
                i += 2;
                continue;
            }
            if (len) {
                put(j, (const char *)s + i, len);
                i += len;
                continue;
            }
            put_escaped_byte(j, c);
        } else { /* a run of bytes that need nothing, copied whole */
            size_t run = i + 1;
            while (run < n && plain(s[run]))
                run++;
            put(j, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        i++;
    }
}

void json_bytes(json *j, const char *s, size_t n)
{
    size_t run = 0;
    while (run < n && plain((unsigned char)s[run]))
        run++;
    if (run == n) { /* most strings: nothing to escape */
        put_value(j, s, n, 1);
        return;
    }
    separate(j);
    putc_(j, '"');
    put(j, s, run); /* the plain bytes already scanned */
    put_escaped(j, (const unsigned char *)s + run, n - run);
    putc_(j, '"');
}

void json_field_base64(json *j, const char *key, const void *data, size_t n)
{
    json_key(j, key);
    separate(j); /* after a key: no comma, and one before the next field */
    size_t len = base64_encoded_len(n);
    if (!reserve(j, len + 3)) /* the quotes, and base64_encode's NUL */
        return;
    j->buf[j->len++] = '"';
    base64_encode(j->buf + j->len, data, n); /* nothing in its alphabet needs escaping */
    j->len += len;
    j->buf[j->len++] = '"';
}

void json_str(json *j, const char *s)
{
    if (!s)
        json_null(j);
    else
        json_bytes(j, s, strlen(s));
}

/* Numbers are written by hand: printf's format parsing was a quarter of the run time on
 * captures of many small sessions (docs/performance.md). */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* The digits of v ending at end, two at a time (half the divisions), zero-padded to min_width. */
static size_t digits(char *end, uint64_t v, int min_width)
{
    char *p = end;
    while (v >= 100) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    while (end - p < min_width)
        *--p = '0';
    return (size_t)(end - p);
}

static void put_number(json *j, int negative, uint64_t v, int frac_usec)
{
    char buf[48], *end = buf + sizeof buf;
    size_t n = 0;
    if (frac_usec) {
        n += digits(end, v % 1000000, 6);
        buf[sizeof buf - n - 1] = '.';
        n++;
        v /= 1000000;
    }
    n += digits(end - n, v, 1);
    if (negative)
        buf[sizeof buf - ++n] = '-';
    put_value(j, end - n, n, 0);
}

void json_int(json *j, int64_t v)
{
    put_number(j, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 0);
}

void json_uint(json *j, uint64_t v)
{
    put_number(j, 0, v, 0);
}

static void put_word(json *j, const char *w, size_t n)
{
    put_value(j, w, n, 0);
}

void json_bool(json *j, int v)
{
    if (v)
        put_word(j, "true", 4);
    else
        put_word(j, "false", 5);
}

void json_null(json *j)
{
    put_word(j, "null", 4);
}

void json_seconds(json *j, int64_t usec)
{
    put_number(j, usec < 0, usec < 0 ? (uint64_t)0 - (uint64_t)usec : (uint64_t)usec, 1);
}

void json_time(json *j, int64_t usec)
{
    json_seconds(j, usec);
}

int json_flush_line(json *j, FILE *out)
{
    int rc = 0;
    if (!j->failed) {
        putc_(j, '\n');
        rc = fwrite(j->buf, 1, j->len, out) == j->len ? 0 : -1;
    }
    json_reset(j);
    return rc;
}
