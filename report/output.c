/* report output: what the report's files (report.c, findings.c, unseen.c) all write with:
 * time stamps, the wrapped "=> fix:" advice, ranked causes in text and JSON, the end of a
 * JSON line. Below them all; it calls none of them. */
#include <string.h>
#include <time.h>

#include <inttypes.h>

#include "base/escape.h"
#include "report/internal.h"

void report_format_time(char *out, size_t cap, int64_t usec)
{
    time_t sec = (time_t)(usec / 1000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + n, cap - n, ".%06ld", (long)(usec % 1000000));
}

void report_advice(FILE *out, const char *name, const char *text)
{
    enum { WIDTH = 96, INDENT = 5 };
    int col = fprintf(out, "  => %s:", name);
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col + 1 + (int)word > WIDTH) {
            col = fprintf(out, "\n%*s", INDENT, "") - 1;
        } else {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%.*s", (int)word, text);
        text += word;
        text += *text == ' ';
    }
    fputc('\n', out);
}

void report_causes_text(FILE *out, const char *lead, const cause *c, unsigned n)
{
    fputs(lead, out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, "%s %s (%.2f)", i ? "," : "", smtp_cause_name(c[i].id), c[i].score);
    fputc('\n', out);
    report_advice(out, "fix", smtp_cause_fix(c[0].id));
}

void report_json_decimal(json *j, const char *key, double v)
{
    json_key(j, key);
    json_seconds(j, (int64_t)(v * 1e6 + 0.5));
}

void report_cause_json(json *j, const char *name, double score, const char *fix)
{
    json_begin_object(j);
    json_field_str(j, "cause", name);
    report_json_decimal(j, "score", score);
    json_field_str(j, "fix", fix);
    json_end_object(j);
}

void report_causes_json(json *j, const cause *c, unsigned n)
{
    json_key(j, "causes");
    json_begin_array(j);
    for (unsigned i = 0; i < n; i++)
        report_cause_json(j, smtp_cause_name(c[i].id), c[i].score, smtp_cause_fix(c[i].id));
    json_end_array(j);
}

void report_json_lines(json *j, const char *key, const char *first, size_t stride, unsigned n)
{
    json_key(j, key);
    json_begin_array(j);
    for (unsigned i = 0; i < n; i++)
        json_str(j, first + (size_t)i * stride);
    json_end_array(j);
}

void report_tag_append(char *tags, size_t cap, const char *key, const char *value)
{
    json t;
    json_init(&t);
    json_begin_object(&t);
    json_field_str(&t, key, value);
    json_end_object(&t);
    /* {"key":"value"} becomes ,"key":"value", after the tags already there */
    size_t have = strlen(tags);
    if (!t.failed && t.len >= 2 && have + t.len < cap)
        snprintf(tags + have, cap - have, ",%.*s", (int)(t.len - 2), t.buf + 1);
    json_free(&t);
}

void report_tag(report *r, const char *key, const char *value)
{
    report_tag_append(r->tag, sizeof r->tag, key, value);
}

void report_session_sensor(report *r, const char *name)
{
    snprintf(r->session_sensor, sizeof r->session_sensor, "%s", name ? name : "");
    snprintf(r->session_tag, sizeof r->session_tag, "%s", r->tag);
    if (name && !strstr(r->tag, ",\"sensor\":")) /* the run's own --sensor names its lines */
        report_tag_append(r->session_tag, sizeof r->session_tag, "sensor", name);
}

void report_json_session_line(report *r)
{
    if (report_json_flush_tagged(&r->j, r->out, r->session_sensor[0] ? r->session_tag : r->tag))
        r->write_error = 1;
}

void report_session_sensor_text(const report *r)
{
    char clean[sizeof r->session_sensor * 4];
    if (!r->session_sensor[0])
        return;
    escape_str(clean, sizeof clean, r->session_sensor);
    fprintf(r->out, "  sensor: %s (the frames are its capture's)\n", clean);
}

int report_json_flush_tagged(json *j, FILE *out, const char *tags)
{
    if (!tags || !tags[0] || j->failed || !j->len || j->buf[j->len - 1] != '}')
        return json_flush_line(j, out);
    int ok = fwrite(j->buf, 1, j->len - 1, out) == j->len - 1 && fputs(tags, out) >= 0 &&
             fputs("}\n", out) >= 0;
    json_reset(j);
    return ok ? 0 : -1;
}

void report_json_line(report *r)
{
    if (report_json_flush_tagged(&r->j, r->out, r->tag) != 0)
        r->write_error = 1;
}

void report_transcript_line(FILE *out, uint64_t frame, int64_t since, unsigned dir,
                            const char *text)
{
    static const char *const who[] = {"C:", "S:", "--"};
    char clean[SMTP_TRANSCRIPT_TEXT * 4 + 1];
    escape_str(clean, sizeof clean, text);
    fprintf(out, "    %8s %+10.3f  %s %s\n", report_frame_ref(frame).s, (double)since / 1e6,
            who[dir > 2 ? 2 : dir], clean);
}

void report_json_flag_list(json *j, unsigned flags, unsigned n, const char *(*name)(unsigned))
{
    json_key(j, "flags");
    json_begin_array(j);
    for (unsigned i = 0; i < n; i++)
        if (flags & (1u << i))
            json_str(j, name(i));
    json_end_array(j);
}

void report_json_flag_counts(json *j, const uint64_t *counts, unsigned n,
                             const char *(*name)(unsigned))
{
    json_key(j, "flags");
    json_begin_object(j);
    for (unsigned i = 0; i < n; i++) {
        json_key(j, name(i));
        json_uint(j, counts[i]);
    }
    json_end_object(j);
}
