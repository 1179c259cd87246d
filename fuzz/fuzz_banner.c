/* libFuzzer target: the greeting classifier, and the two escapers every packet byte goes
 * through on its way out (escape_line for the terminal, json_bytes for JSON), on the
 * same arbitrary line. Each result is checked against what it promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "fuzz/oracle.h"
#include "report/json.h"
#include "smtp/banner.h"

/* The verdict recomputed from the rule in README.md, not from banner.c: masked exactly when
 * the judged text (after an intact "NNN " or "NNN-") holds only '*', '2', '0' and blanks,
 * with at least 3 stars and more than twice as many stars as spared digits; "all" when no
 * digit was spared. */
static banner_mask expected_mask(const char *line, size_t len)
{
    size_t start = 0, stars = 0, spared = 0;
    if (len >= 4 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' && line[1] <= '9' &&
        line[2] >= '0' && line[2] <= '9' && (line[3] == ' ' || line[3] == '-'))
        start = 4;
    for (size_t i = start; i < len; i++) {
        if (line[i] == '*')
            stars++;
        else if (line[i] == '2' || line[i] == '0')
            spared++;
        else if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return BANNER_NORMAL;
    }
    if (stars < 3 || stars <= 2 * spared)
        return BANNER_NORMAL;
    return spared ? BANNER_MASKED_EXCEPT_20 : BANNER_MASKED_ALL;
}

static void check_banner(const char *line, size_t len)
{
    if (smtp_banner_classify(line, len) != expected_mask(line, len))
        abort();
}

static void check_sanitize(const char *line, size_t len)
{
    /* a deliberately small buffer too: truncation must keep the output terminated */
    static char out[4 * 1024 + 8], small[13];
    escape_line(out, sizeof out, line, len);
    size_t n = strlen(out), escaped = 0;
    if (!oracle_text_ok(out, n) || memchr(out, '\n', n))
        abort();
    for (size_t i = 0; i < len; i++)
        escaped += (unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f;
    if (len <= 1024 && n != len + 3 * escaped) /* each byte shown, as itself or as \xNN */
        abort();
    escape_line(small, sizeof small, line, len);
    if (strlen(small) >= sizeof small)
        abort();
}

static void check_json(const char *line, size_t len)
{
    json j;
    json_init(&j);
    json_begin_object(&j);
    json_key(&j, "s");
    json_bytes(&j, line, len);
    json_end_object(&j);
    if (j.failed)
        abort();
    char *copy = malloc(j.len + 1);
    if (!copy)
        abort();
    memcpy(copy, j.buf, j.len);
    copy[j.len] = '\n';
    if (!oracle_json_lines_ok(copy, j.len + 1))
        abort();
    free(copy);
    json_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    check_banner(line, size);
    check_sanitize(line, size);
    check_json(line, size);
    return 0;
}
