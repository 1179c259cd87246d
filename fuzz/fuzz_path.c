/* libFuzzer target: two capture points (path/). One arbitrary SMTP session (fuzz/segments.h)
 * is seen outside a box; the inside sees each of its records as the box chose: passed, held
 * back, rewritten (its first bytes made 'X') or delayed, by the bits of a second byte. Three
 * such sessions a side, their clocks apart by an arbitrary offset, are paired and compared,
 * and the comparison is written as text and JSON, whose bytes are checked (fuzz/oracle.h).
 *
 *   byte 0   how both sessions end (as fuzz_smtp's byte 0)
 *   byte 1   the box: bits 0-1 what it does to every fourth record starting at bit 2-3's
 *            phase, bits 4-7 the inside clock's offset in seconds (0..15)
 *   then     the records */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/oracle.h"
#include "fuzz/seg_smtp.h"
#include "fuzz/segments.h"
#include "path/path.h"
#include "report/report.h"
#include "smtp/smtp.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

enum { PASS, HOLD, REWRITE, DELAY };

/* The inside's copy of a record: what the box does to it. */
static void cross(smtp_session *in, const seg_record *rec, int what, int64_t ts, uint64_t frame)
{
    static uint8_t copy[65536];
    if (what == HOLD)
        return;
    const uint8_t *data = rec->data;
    if (what == REWRITE && rec->kind == SEG_DATA) {
        memcpy(copy, rec->data, rec->len);
        for (size_t i = 0; i < rec->len && i < 4; i++)
            copy[i] = 'X';
        data = copy;
    }
    seg_smtp_apply(in, rec, data, ts + (what == DELAY ? 900000 : 300), frame);
}

static void one_pair(path *pt, const uint8_t *data, size_t size, int64_t t0, uint64_t id)
{
    smtp_end_reason why = (smtp_end_reason)((data[0] & 7) % (SMTP_END_EVICTED + 1));
    int closed_by = (data[0] >> 3 & 3) < 2 ? (data[0] >> 3 & 3) : -1;
    int box = data[1] & 3, phase = data[1] >> 2 & 3;
    int64_t offset = (int64_t)(data[1] >> 4) * 1000000;
    smtp_session *s[2] = {smtp_session_new(t0, 1), smtp_session_new(t0 + offset, 1)};
    if (!s[0] || !s[1])
        abort();
    seg_reader r = {data + 2, data + size};
    seg_record rec;
    int64_t ts = t0;
    uint64_t frame = 1;
    for (unsigned k = 0; seg_next(&r, &rec); k++) {
        ts += 1000;
        frame++;
        seg_smtp_apply(s[0], &rec, rec.data, ts, frame);
        cross(s[1], &rec, (k & 3) == (unsigned)phase ? box : PASS, ts + offset, frame);
    }
    smtp_end(s[0], why, closed_by, ts + 1000, frame + 1);
    smtp_end(s[1], why, closed_by, ts + offset + 2000, frame + 1);
    path_add(pt, PATH_OUTSIDE, id, "192.0.2.10:40000", "198.51.100.25:25", smtp_get_report(s[0]));
    path_add(pt, PATH_INSIDE, id + 3, "10.9.0.1:61000", "10.9.0.25:25", smtp_get_report(s[1]));
    smtp_session_free(s[0]);
    smtp_session_free(s[1]);
}

static void render(const path_result *r, report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    report_path_sides sides = {{"outside.pcap", "inside.pcap"}, {0, 0}, 3, NULL};
    if (report_path(f, fmt, 1, r, &sides) != 0 || fclose(f) != 0)
        abort();
    int ok = fmt == REPORT_TEXT ? oracle_text_ok(buf, len) : oracle_json_lines_ok(buf, len);
    if (!ok) {
        fprintf(stderr, "oracle: the comparison's %s broke its promise:\n%.*s\n",
                fmt == REPORT_TEXT ? "text" : "JSON", (int)len, buf);
        abort();
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    path *pt = path_new(0, NULL, NULL);
    if (!pt)
        abort();
    for (uint64_t k = 0; k < 3; k++) /* a retry every 20 s: the pairing must keep them apart */
        one_pair(pt, data, size, T0 + (int64_t)k * 20000000, k + 1);
    const path_result *r = path_compare(pt);
    if (!r || r->paired + r->outside_only != 3 || r->paired + r->inside_only != 3)
        abort();
    render(r, REPORT_TEXT);
    render(r, REPORT_JSON);
    path_free(pt);
    return 0;
}
