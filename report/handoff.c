/* handoff: what the report gives Wireshark: each session's display filter, and the map of an
 * extract's frames to the capture's (--extract). */
#include <inttypes.h>

#include "base/escape.h"
#include "report/internal.h"

void report_fill_display_filter(report *r, const flow_report *f)
{
    wireshark_filter(r->display_filter, sizeof r->display_filter, f->client, f->server,
                     f->first_frame, f->last_frame);
}

void report_display_filter_text(const report *r)
{
    if (r->display_filter[0])
        fprintf(r->out, "  wireshark: %s\n", r->display_filter);
}

/* ---- the extract's frames ---- */

static void json_extract(report *r, const char *file, const extract_session *s)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "extract");
    json_field_str(j, "file", file);
    json_field_uint(j, "session", s->id);
    json_field_uint(j, "packets", s->packets);
    json_key(j, "frames");
    json_begin_array(j);
    for (size_t i = 0; i < s->nruns; i++) {
        json_begin_array(j);
        json_uint(j, s->runs[i].new_first);
        json_uint(j, s->runs[i].orig_first);
        json_uint(j, s->runs[i].count);
        json_end_array(j);
    }
    json_end_array(j);
    json_end_object(j);
    report_json_line(r);
}

static void text_run(FILE *out, uint64_t first, uint64_t count)
{
    if (count == 1)
        fprintf(out, "%" PRIu64, first);
    else
        fprintf(out, "%" PRIu64 "-%" PRIu64, first, first + count - 1);
}

/* "session 4: frames 1-17 of FILE are frames 203-219 of the capture, 18-30 are 240-252" */
static void text_extract(report *r, const char *clean, const extract_session *s)
{
    fprintf(r->out, "  session %" PRIu64 ": ", s->id);
    if (!s->nruns) {
        fprintf(r->out, "no packets\n");
        return;
    }
    for (size_t i = 0; i < s->nruns && i < REPORT_EXTRACT_RUNS_LISTED; i++) {
        const extract_run *run = &s->runs[i];
        fprintf(r->out, i ? ", " : "frames ");
        text_run(r->out, run->new_first, run->count);
        fprintf(r->out, i ? " are " : " of %s are frames ", clean);
        text_run(r->out, run->orig_first, run->count);
        if (!i)
            fprintf(r->out, " of the capture");
    }
    if (s->nruns > REPORT_EXTRACT_RUNS_LISTED)
        fprintf(r->out, ", and %zu more ranges (--json lists them all)",
                s->nruns - REPORT_EXTRACT_RUNS_LISTED);
    fputc('\n', r->out);
}

void report_extract(report *r, const char *file, const extract_session *s, size_t n,
                    uint64_t packets)
{
    char clean[4096];
    if (r->fmt == REPORT_JSON) {
        for (size_t i = 0; i < n; i++)
            json_extract(r, file, &s[i]);
        return;
    }
    escape_str(clean, sizeof clean, file);
    fprintf(r->out, "\nExtract: %" PRIu64 " packets of %zu session%s written to %s\n", packets, n,
            n == 1 ? "" : "s", clean);
    for (size_t i = 0; i < n; i++)
        text_extract(r, clean, &s[i]);
    if (ferror(r->out))
        r->write_error = 1;
}
