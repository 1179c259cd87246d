/* html text: packet bytes and names written as HTML text, times, and the names of a set of
 * flags. */
#include <string.h>
#include <time.h>

#include "base/escape.h"
#include "html/internal.h"

enum { CHUNK = 256 };

void html_textn(FILE *out, const char *s, size_t n)
{
    char buf[CHUNK * ESCAPE_HTML_MAX + 1];
    for (size_t at = 0; at < n; at += CHUNK) {
        size_t k = n - at < CHUNK ? n - at : CHUNK;
        size_t len = escape_html(buf, sizeof buf, s + at, k);
        fwrite(buf, 1, len, out);
    }
}

void html_text(FILE *out, const char *s)
{
    if (s)
        html_textn(out, s, strlen(s));
}

void html_text_cut(FILE *out, const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n <= max) {
        html_textn(out, s, n);
        return;
    }
    html_textn(out, s, max);
    fputs("...", out);
}

void html_format_time(char *out, size_t cap, int64_t usec)
{
    time_t secs = (time_t)(usec / 1000000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, cap, "?");
        return;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03d", day, (int)(usec % 1000000 / 1000));
}

void html_flag_names(FILE *out, int pop3, unsigned flags)
{
    const char *sep = "";
    for (unsigned i = 0; i < (pop3 ? POP3_FLAG_COUNT : SMTP_FLAG_COUNT); i++)
        if (flags & (1u << i)) {
            fprintf(out, "%s%s", sep, pop3 ? pop3_flag_name(i) : smtp_flag_name(i));
            sep = " ";
        }
}
