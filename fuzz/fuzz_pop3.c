/* libFuzzer target: the POP3 state machine fed an arbitrary sequence of segments in both
 * directions (format in fuzz/segments.h; TCP events other than FIN are skipped), ended in an
 * arbitrary way, then rendered as the text report and as JSON, whose bytes are checked
 * (fuzz/render.h). Independent oracles besides:
 *   - a canary password sent first (PASS, or AUTH PLAIN and a SASL line: bit 5 of byte 0)
 *     never appears in any output unless the input itself holds it;
 *   - complete retrievals never outnumber the "." lines a plain re-scan of the server's bytes
 *     finds, and retrievals never outnumber the client's RETR and TOP lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz/render.h"
#include "fuzz/segments.h"
#include "pop3/pop3.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */
static const char CANARY[] = "Zq9canaryPW7x";

/* The bytes of one side, kept whole for the re-scans. */
typedef struct stream {
    uint8_t *p;
    size_t len;
} stream;

static size_t find(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return i;
    return (size_t)-1;
}

/* Lines that are a lone dot, after a line end: the most terminators there can be. */
static unsigned dot_lines(const stream *s)
{
    unsigned n = 0;
    for (size_t i = 1; i + 1 < s->len; i++)
        if (s->p[i - 1] == '\n' && s->p[i] == '.' &&
            (s->p[i + 1] == '\n' || (s->p[i + 1] == '\r' && i + 2 < s->len && s->p[i + 2] == '\n')))
            n++;
    return n;
}

/* Lines beginning RETR or TOP, any case: the most retrievals the client asked for. */
static unsigned retr_lines(const stream *s)
{
    unsigned n = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (i > 0 && s->p[i - 1] != '\n')
            continue;
        size_t left = s->len - i;
        n += (left >= 4 && strncasecmp((const char *)s->p + i, "RETR", 4) == 0) ||
             (left >= 3 && strncasecmp((const char *)s->p + i, "TOP", 3) == 0);
    }
    return n;
}

static void render_both(const pop3_report *r, const uint8_t *input, size_t size)
{
    static const report_format fmts[] = {REPORT_TEXT, REPORT_JSON};
    capture_summary cap = {.source = "fuzz", .frames = 1, .matched = 1, .first = T0, .last = T0};
    flow_report f = {1, "192.0.2.1:1025", "192.0.2.2:110", PROTO_POP3, r, 0, 0};
    int canary_in_input = find(input, size, CANARY) != (size_t)-1;
    for (unsigned i = 0; i < 2; i++) {
        render_out o;
        render_open(&o, fmts[i]);
        report_flow(o.rep, &f);
        if (fmts[i] == REPORT_TEXT) /* the detail view's text too: transcript, flagged or not */
            report_flow_text(o.f, &f);
        fflush(o.f);
        if (!canary_in_input && find((const uint8_t *)o.buf, o.len, CANARY) != (size_t)-1)
            abort(); /* a credential left the analyser */
        render_check(&o, fmts[i], &cap);
    }
}

static void take(stream *s, const uint8_t *d, size_t n)
{
    memcpy(s->p + s->len, d, n);
    s->len += n;
}

static void login_prefix(pop3_session *s, stream *client, int sasl)
{
    char line[96];
    if (sasl)
        snprintf(line, sizeof line, "AUTH PLAIN %s\r\n%s\r\n", CANARY, CANARY);
    else
        snprintf(line, sizeof line, "USER u\r\nPASS %s\r\n", CANARY);
    pop3_feed(s, FLOW_CLIENT, (const uint8_t *)line, strlen(line), T0, 1);
    take(client, (const uint8_t *)line, strlen(line));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    flow_end why = (flow_end)((data[0] & 7) % (FLOW_END_EVICTED + 1));
    int closed_by = (data[0] >> 3 & 3) < 2 ? (data[0] >> 3 & 3) : -1;
    stream side[2] = {{malloc(size + 96), 0}, {malloc(size + 1), 0}};
    pop3_session *s = pop3_session_new(T0, 1);
    if (!s || !side[0].p || !side[1].p)
        abort();
    login_prefix(s, &side[FLOW_CLIENT], data[0] >> 5 & 1);
    seg_reader rd = {data + 1, data + size};
    int64_t ts = T0;
    uint64_t frame = 1;
    seg_record rec;
    while (seg_next(&rd, &rec)) {
        flow_side dir = rec.server ? FLOW_SERVER : FLOW_CLIENT;
        ts += 1000;
        if (rec.kind == SEG_DATA) {
            pop3_feed(s, dir, rec.data, rec.len, ts, ++frame);
            take(&side[dir], rec.data, rec.len);
        } else if (rec.kind == SEG_EV_FIN) {
            pop3_tcp_fin(s, dir, ts, ++frame);
        }
    }
    pop3_end(s, why, closed_by, ts + 1000, frame + 1);
    const pop3_report *r = pop3_get_report(s);
    if (r->count.retrieved_complete > r->count.retrieved ||
        r->count.retrieved_complete > dot_lines(&side[FLOW_SERVER]) ||
        r->count.retrieved > retr_lines(&side[FLOW_CLIENT]))
        abort();
    render_both(r, data, size);
    pop3_session_free(s);
    free(side[0].p);
    free(side[1].p);
    return 0;
}
