/* pcap2seg: turns captures into seed inputs for the fuzz targets. Through the pipeline, with
 * a recorder standing in for the SMTP analyser on every port, for every TCP session of each
 * capture it writes the session's segments in fuzz_smtp's format (fuzz/segments.h)
 * to SMTP_DIR/NAME-ID, and the first line the server sent to BANNER_DIR/NAME-ID, so the
 * fuzzers start from real conversations instead of from nothing.
 * Usage: pcap2seg SMTP_DIR BANNER_DIR CAPTURE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/segments.h"
#include "pipeline/pipeline.h"
#include "sniff/sniff.h"

typedef struct seg_file {
    uint8_t *buf;
    size_t len, cap;
    int banner_done;
    char banner[1024];
    size_t banner_len;
} seg_file;

typedef struct ctx {
    const char *smtp_dir, *banner_dir, *name;
    sniff *sn;
    pipeline *pl;
    uint64_t next_id;
    int failed;
} ctx;

static void put(seg_file *f, const void *p, size_t n)
{
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + n)
            cap *= 2;
        uint8_t *grown = realloc(f->buf, cap);
        if (!grown) {
            fprintf(stderr, "pcap2seg: out of memory\n");
            exit(2);
        }
        f->buf = grown;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static void put_segment(seg_file *f, int server, const uint8_t *d, size_t n)
{
    while (n > 0) {
        size_t part = n > 65535 ? 65535 : n;
        uint8_t h = server ? SEG_DIR_SERVER : 0;
        if (part <= SEG_SHORT_MAX) {
            h |= (uint8_t)part;
            put(f, &h, 1);
        } else {
            uint8_t hdr[3] = {(uint8_t)(h | SEG_LONG), (uint8_t)(part & 0xff),
                              (uint8_t)(part >> 8)};
            put(f, hdr, 3);
        }
        put(f, d, part);
        d += part;
        n -= part;
    }
}

/* ---- the recorder: an analyser that keeps each session's segments as a seed ---- */

static void *rec_open(const void *config, int64_t ts, uint64_t frame)
{
    (void)config;
    (void)ts;
    (void)frame;
    seg_file *f = calloc(1, sizeof *f);
    if (!f)
        exit(2);
    uint8_t how = 0; /* rewritten at the end */
    put(f, &how, 1);
    return f;
}

/* The banner seed: the server's first line, without its line end. */
static void note_banner(seg_file *f, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n && !f->banner_done; i++) {
        if (d[i] == '\n' || f->banner_len == sizeof f->banner)
            f->banner_done = 1;
        else
            f->banner[f->banner_len++] = (char)d[i];
    }
}

static void rec_data(void *session, const flow_segment *seg)
{
    seg_file *f = session;
    int server = seg->from == FLOW_SERVER;
    put_segment(f, server, seg->data, seg->len);
    if (server)
        note_banner(f, seg->data, seg->len);
}

/* TCP events go in as zero-length records (fuzz/segments.h). */
static void rec_tcp(void *session, const flow_tcp *ev)
{
    seg_file *f = session;
    uint8_t rec[8] = {ev->from == FLOW_SERVER ? SEG_DIR_SERVER : 0};
    size_t n = 2;
    if (ev->kind == FLOW_TCP_FIN) {
        rec[1] = SEG_EV_FIN;
    } else if (ev->kind == FLOW_TCP_ZERO_WINDOW) {
        rec[1] = SEG_EV_ZERO_WINDOW;
    } else {
        rec[1] = SEG_EV_RETRANSMISSION;
        for (unsigned i = 0; i < 4; i++)
            rec[2 + i] = (uint8_t)(ev->offset >> (8 * i));
        rec[6] = (uint8_t)ev->len;
        rec[7] = (uint8_t)(ev->len >> 8);
        n = 8;
    }
    put(f, rec, n);
}

/* flow_end has smtp_end_reason's values (smtp/analyser.c checks it). */
static void rec_end(void *session, flow_end why, int closed_by, int64_t ts, uint64_t frame)
{
    seg_file *f = session;
    int closer = closed_by < 0 ? 3 : closed_by;
    (void)ts;
    (void)frame;
    f->buf[0] = (uint8_t)((unsigned)why | (unsigned)closer << 3);
}

static const void *rec_report(const void *session)
{
    return session;
}

static void rec_free(void *session)
{
    seg_file *f = session;
    free(f->buf);
    free(f);
}

static void rec_observe(void *session, const analyser_observer *o)
{
    (void)session;
    (void)o;
}

static const analyser recorder = {.proto = PROTO_SMTP,
                                  .name = "recorder",
                                  .open = rec_open,
                                  .data = rec_data,
                                  .tcp = rec_tcp,
                                  .end = rec_end,
                                  .report = rec_report,
                                  .free = rec_free,
                                  .observe = rec_observe};

/* ---- the pipeline's sink: each session's seed into a file ---- */

static int write_file(const char *dir, const char *name, uint64_t id, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%llu", dir, name, (unsigned long long)id);
    FILE *out = fopen(path, "wb");
    if (!out)
        return -1;
    size_t w = fwrite(p, 1, n, out);
    return fclose(out) == 0 && w == n ? 0 : -1;
}

static uint64_t number(void *vc)
{
    ctx *c = vc;
    return ++c->next_id;
}

static void ended(void *vc, void *watch, const flow_report *r)
{
    ctx *c = vc;
    seg_file *f = (seg_file *)r->report;
    (void)watch;
    if (write_file(c->smtp_dir, c->name, r->id, f->buf, f->len) < 0)
        c->failed = 1;
    if (f->banner_len && f->banner[f->banner_len - 1] == '\r')
        f->banner_len--;
    if (f->banner_len && write_file(c->banner_dir, c->name, r->id, f->banner, f->banner_len) < 0)
        c->failed = 1;
}

static void unseen(void *vc, const unseen_conn *u)
{
    (void)vc;
    (void)u;
}

static void on_packet(void *vc, uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes)
{
    ctx *c = vc;
    pipeline_packet(c->pl, frame, hdr, bytes, sniff_decoded(c->sn));
}

static int convert(ctx *c, const char *file)
{
    char err[PCAP_ERRBUF_SIZE + 256];
    static uint8_t every_port[PIPELINE_PORT_BYTES];
    memset(every_port, 0xff, sizeof every_port);
    sniff_config sc = {.file = file, .any_tcp = 1}; /* decoded: VLAN, IPv6, cooked links */
    sniff *sn = sniff_open(&sc, err, sizeof err);
    if (!sn)
        return fprintf(stderr, "pcap2seg: skipped: %s\n", err), -1;
    pipeline_config cfg = {.reasm = {.max_streams = 1024}}; /* no idle timeout */
    cfg.ports[PROTO_SMTP] = every_port;
    cfg.analysers[PROTO_SMTP] = &recorder;
    pipeline_sink sink = {.ctx = c, .number = number, .ended = ended, .unseen = unseen};
    c->pl = pipeline_open(&cfg, &sink, sniff_handle(sn), err, sizeof err);
    if (!c->pl) {
        sniff_close(sn);
        return fprintf(stderr, "pcap2seg: skipped %s: %s\n", file, err), -1;
    }
    const char *slash = strrchr(file, '/');
    c->name = slash ? slash + 1 : file;
    c->next_id = 0;
    c->sn = sn;
    sniff_loop(sn, on_packet, c); /* a damaged capture still gives its sessions */
    pipeline_close(c->pl);
    sniff_close(sn);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: pcap2seg SMTP_DIR BANNER_DIR CAPTURE...\n");
        return 2;
    }
    ctx c = {.smtp_dir = argv[1], .banner_dir = argv[2]};
    /* a capture smtpscope refuses (a link type it cannot decode) gives no seed: skipped,
     * as the pipeline target's seeds still hold the file itself */
    for (int i = 3; i < argc; i++)
        convert(&c, argv[i]);
    return c.failed ? 1 : 0;
}
