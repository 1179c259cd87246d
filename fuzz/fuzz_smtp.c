/* libFuzzer target: the SMTP state machine fed an arbitrary sequence of segments and TCP
 * events in both directions (format in fuzz/segments.h), ended in an arbitrary way, then
 * rendered as the text report and as JSON, whose bytes are checked (fuzz/render.h). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/render.h"
#include "fuzz/seg_smtp.h"
#include "fuzz/segments.h"
#include "smtp/smtp.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

static void render_both(const smtp_session *s)
{
    static const report_format fmts[] = {REPORT_TEXT, REPORT_JSON};
    capture_summary cap = {.source = "fuzz", .frames = 1, .matched = 1, .first = T0, .last = T0};
    for (unsigned i = 0; i < 2; i++) {
        render_out o;
        render_open(&o, fmts[i]);
        report_session(o.rep, 1, "192.0.2.1:1025", "192.0.2.2:25", smtp_get_report(s));
        render_check(&o, fmts[i], &cap);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    smtp_end_reason why = (smtp_end_reason)((data[0] & 7) % (SMTP_END_EVICTED + 1));
    int closed_by = (data[0] >> 3 & 3) < 2 ? (data[0] >> 3 & 3) : -1;
    seg_reader r = {data + 1, data + size};
    smtp_session *s = smtp_session_new(T0, 1);
    if (!s)
        abort();
    int64_t ts = T0;
    uint64_t frame = 1;
    seg_record rec;
    while (seg_next(&r, &rec)) {
        ts += 1000; /* 1 ms apart: latencies and waits stay readable in crash reports */
        seg_smtp_apply(s, &rec, rec.data, ts, ++frame);
    }
    smtp_end(s, why, closed_by, ts + 1000, frame + 1);
    render_both(s);
    smtp_session_free(s);
    return 0;
}
