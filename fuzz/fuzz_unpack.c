/* libFuzzer target: a finished SMTP session's report packed (as --workers' pipes and --merge's
 * records carry it), its bytes then damaged, and unpacked: --merge reads them from files anyone
 * may edit. Whatever the damage, unpacking either refuses the bytes or gives a report that the
 * text report and JSON render within their promises (fuzz/render.h), under ASan and UBSan.
 *
 *   bytes 0-1   L, little endian: the next L bytes are a session in fuzz/segments.h's format
 *   then        damage, 3 bytes each: an offset into the packed bytes (2 bytes, little endian,
 *               modulo their length) and a byte XORed there; a last lone byte, when there is
 *               one, cuts that many 8-byte words off the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/render.h"
#include "fuzz/seg_smtp.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

/* The session's report, packed into a fresh 8-byte-aligned buffer (*len bytes). */
static uint8_t *packed_session(const uint8_t *seg, size_t n, size_t *len)
{
    smtp_session *s = smtp_session_new(T0, 1);
    if (!s)
        abort();
    seg_reader r = {seg, seg + n};
    seg_record rec;
    int64_t ts = T0;
    uint64_t frame = 1;
    while (seg_next(&r, &rec))
        seg_smtp_apply(s, &rec, rec.data, ts += 1000, ++frame);
    smtp_end(s, SMTP_END_FIN, 0, ts + 1000, frame + 1);
    *len = smtp_report_pack(smtp_get_report(s), NULL, 0);
    uint8_t *buf = aligned_alloc(8, (*len + 7) & ~(size_t)7);
    if (!buf || smtp_report_pack(smtp_get_report(s), buf, *len) != *len)
        abort();
    smtp_session_free(s);
    return buf;
}

static void render_both(const smtp_report *rep)
{
    static const report_format fmts[] = {REPORT_TEXT, REPORT_JSON};
    capture_summary cap = {.source = "fuzz", .frames = 1, .matched = 1, .first = T0, .last = T0};
    for (unsigned i = 0; i < 2; i++) {
        render_out o;
        render_open(&o, fmts[i]);
        report_session(o.rep, 1, "192.0.2.1:1025", "192.0.2.2:25", rep);
        render_check(&o, fmts[i], &cap);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t seg = (size_t)data[0] | (size_t)data[1] << 8;
    if (seg > size - 2)
        seg = size - 2;
    size_t len;
    uint8_t *buf = packed_session(data + 2, seg, &len);
    const uint8_t *d = data + 2 + seg, *end = data + size;
    for (; end - d >= 3 && len; d += 3)
        buf[((size_t)d[0] | (size_t)d[1] << 8) % len] ^= d[2];
    if (d < end) {
        size_t cut = (size_t)*d * 8;
        len = cut < len ? len - cut : 0;
    }
    const smtp_report *rep;
    if (smtp_report_unpack(buf, len, &rep) == 0)
        render_both(rep);
    free(buf);
    return 0;
}
