/* Renders one finished SMTP session as the text report and as JSON Lines, into memory, and
 * aborts (a finding, for the fuzzer) when either output breaks its promise: text stays
 * printable ASCII, JSON stays valid JSON in valid UTF-8. */
#ifndef SMTPSCOPE_FUZZ_RENDER_H
#define SMTPSCOPE_FUZZ_RENDER_H

#include <stdio.h>
#include <stdlib.h>

#include "fuzz/oracle.h"
#include "report/report.h"

typedef struct render_out {
    FILE *f;
    char *buf;
    size_t len;
    report *rep;
} render_out;

static inline void render_open(render_out *o, report_format fmt)
{
    o->buf = NULL;
    o->len = 0;
    o->f = open_memstream(&o->buf, &o->len);
    if (!o->f)
        abort();
    o->rep = report_new(o->f, fmt, 1);
    if (!o->rep)
        abort();
}

/* Closes the stream and checks every byte written; the summary is included. */
static inline void render_check(render_out *o, report_format fmt, const capture_summary *cap)
{
    report_summary(o->rep, cap);
    if (report_error(o->rep) != 0)
        abort();
    report_free(o->rep);
    if (fclose(o->f) != 0)
        abort();
    int ok =
        fmt == REPORT_TEXT ? oracle_text_ok(o->buf, o->len) : oracle_json_lines_ok(o->buf, o->len);
    if (!ok) {
        fprintf(stderr, "oracle: %s output broke its promise:\n%.*s\n",
                fmt == REPORT_TEXT ? "text" : "JSON", (int)o->len, o->buf);
        abort();
    }
    free(o->buf);
}

#endif
