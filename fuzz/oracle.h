/* Checks on what smtpscope prints, shared by the fuzz targets and tests/test_hostile.c.
 * Whatever bytes a capture holds, the text report must be printable ASCII lines and every
 * JSON line must be valid JSON (RFC 8259) in valid UTF-8. A fuzzer only finds what it can
 * see fail, so these turn a silent escaping mistake into a crash with its input.
 *
 * Header-only (static inline) so the unit tests can use it without a change to the
 * Makefile's list of test sources. */
#ifndef SMTPSCOPE_FUZZ_ORACLE_H
#define SMTPSCOPE_FUZZ_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* 1 when every byte is printable ASCII or a line feed: nothing a terminal would act on. */
static inline int oracle_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\n' && (c < 0x20 || c >= 0x7f))
            return 0;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 when invalid. Written apart from
 * report/json.c's own check on purpose: an oracle that shares the code under test would
 * share its mistakes. */
static inline size_t oracle_utf8_len(const unsigned char *s, size_t n)
{
    static const struct {
        unsigned char lo, hi, next_lo, next_hi, len;
    } ranges[] = {{0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
                  {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3},
                  {0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
                  {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4}};
    if (s[0] < 0x80)
        return 1;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        if (s[0] < ranges[r].lo || s[0] > ranges[r].hi)
            continue;
        size_t len = ranges[r].len;
        if (n < len || s[1] < ranges[r].next_lo || s[1] > ranges[r].next_hi)
            return 0;
        for (size_t i = 2; i < len; i++)
            if (s[i] < 0x80 || s[i] > 0xbf)
                return 0;
        return len;
    }
    return 0;
}

/* A recursive-descent JSON checker over one line. */
typedef struct oracle_json {
    const unsigned char *p, *end;
    int depth;
} oracle_json;

enum { ORACLE_JSON_DEPTH = 64 };

static inline void oracle_ws(oracle_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static inline int oracle_lit(oracle_json *j, const char *word)
{
    for (; *word; word++, j->p++)
        if (j->p >= j->end || *j->p != (unsigned char)*word)
            return 0;
    return 1;
}

static inline int oracle_hex4(oracle_json *j)
{
    for (int i = 0; i < 4; i++, j->p++) {
        unsigned char c = j->p < j->end ? *j->p : 0;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static inline int oracle_string(oracle_json *j)
{
    j->p++; /* opening quote */
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = *j->p;
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                return 0;
            c = *j->p++;
            if (c == 'u') {
                if (!oracle_hex4(j))
                    return 0;
            } else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                         c == 'r' || c == 't')) {
                return 0;
            }
            continue;
        }
        size_t len = oracle_utf8_len(j->p, (size_t)(j->end - j->p));
        if (len == 0)
            return 0;
        j->p += len;
    }
    if (j->p >= j->end)
        return 0;
    j->p++;
    return 1;
}

static inline int oracle_digits(oracle_json *j)
{
    const unsigned char *start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > start;
}

static inline int oracle_number(oracle_json *j)
{
    if (*j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!oracle_digits(j))
        return 0;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!oracle_digits(j))
            return 0;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!oracle_digits(j))
            return 0;
    }
    return 1;
}

static inline int oracle_value(oracle_json *j);

/* Object members or array elements, after the opening bracket. */
static inline int oracle_members(oracle_json *j, unsigned char close, int keyed)
{
    oracle_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 1;
    }
    for (;;) {
        oracle_ws(j);
        if (keyed) {
            if (j->p >= j->end || *j->p != '"' || !oracle_string(j))
                return 0;
            oracle_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return 0;
        }
        if (!oracle_value(j))
            return 0;
        oracle_ws(j);
        if (j->p >= j->end)
            return 0;
        unsigned char c = *j->p++;
        if (c == close)
            return 1;
        if (c != ',')
            return 0;
    }
}

static inline int oracle_value(oracle_json *j)
{
    oracle_ws(j);
    if (j->p >= j->end)
        return 0;
    unsigned char c = *j->p;
    if (c == '{' || c == '[') {
        if (++j->depth > ORACLE_JSON_DEPTH)
            return 0;
        j->p++;
        int ok = oracle_members(j, c == '{' ? '}' : ']', c == '{');
        j->depth--;
        return ok;
    }
    if (c == '"')
        return oracle_string(j);
    if (c == 't')
        return oracle_lit(j, "true");
    if (c == 'f')
        return oracle_lit(j, "false");
    if (c == 'n')
        return oracle_lit(j, "null");
    return oracle_number(j);
}

/* 1 when s holds only complete lines, each one valid JSON value. */
static inline int oracle_json_lines_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *nl = p;
        while (nl < end && *nl != '\n')
            nl++;
        if (nl == end)
            return 0; /* a line without its end */
        oracle_json j = {p, nl, 0};
        if (!oracle_value(&j))
            return 0;
        oracle_ws(&j);
        if (j.p != nl)
            return 0;
        p = nl + 1;
    }
    return 1;
}

/* 1 when no Unicode C1 control (U+0080..U+009F, UTF-8 C2 80..C2 9F) is present. Valid
 * JSON may carry them raw, yet a terminal may act on U+009B as CSI. */
static inline int oracle_no_c1(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return 0;
    return 1;
}

#endif
