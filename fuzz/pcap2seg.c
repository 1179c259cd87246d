/* pcap2seg: turns captures into seed inputs for the fuzz targets. For every TCP session of
 * each capture it writes the session's segments in fuzz_smtp's format (fuzz/segments.h)
 * to SMTP_DIR/NAME-ID, and the first line the server sent to BANNER_DIR/NAME-ID, so the
 * fuzzers start from real conversations instead of from nothing.
 * Usage: pcap2seg SMTP_DIR BANNER_DIR CAPTURE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/segments.h"
#include "reassembly/reasm.h"
#include "smtp/smtp.h"
#include "sniff/sniff.h"

typedef struct seg_file {
    uint8_t *buf;
    size_t len, cap;
    uint64_t id;
    int banner_done;
    char banner[1024];
    size_t banner_len;
} seg_file;

typedef struct ctx {
    const char *smtp_dir, *banner_dir, *name;
    const sniff *sn;
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

static void *on_open(void *vc, const reasm_endpoint *client, const reasm_endpoint *server,
                     struct timeval ts, uint64_t frame)
{
    (void)client;
    (void)server;
    (void)ts;
    (void)frame;
    ctx *c = vc;
    seg_file *f = calloc(1, sizeof *f);
    if (!f)
        exit(2);
    f->id = ++c->next_id;
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

static void on_data(void *vc, void *handle, const reasm_segment *seg)
{
    (void)vc;
    seg_file *f = handle;
    int server = seg->dir == REASM_FROM_SERVER;
    put_segment(f, server, seg->data, seg->len);
    if (server)
        note_banner(f, seg->data, seg->len);
}

/* TCP events go in as zero-length records (fuzz/segments.h). */
static void on_tcp_event(void *vc, void *handle, const reasm_tcp_event *ev)
{
    (void)vc;
    seg_file *f = handle;
    uint8_t rec[8] = {ev->from == REASM_FROM_SERVER ? SEG_DIR_SERVER : 0};
    size_t n = 2;
    if (ev->kind == REASM_EV_FIN) {
        rec[1] = SEG_EV_FIN;
    } else if (ev->kind == REASM_EV_ZERO_WINDOW) {
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

static void on_end(void *vc, void *handle, const reasm_end *end)
{
    ctx *c = vc;
    seg_file *f = handle;
    static const smtp_end_reason reasons[] = {SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT,
                                              SMTP_END_CAPTURE_END, SMTP_END_EVICTED};
    int closer = end->closed_by < 0 ? 3 : end->closed_by;
    f->buf[0] = (uint8_t)((unsigned)reasons[end->reason] | (unsigned)closer << 3);
    if (write_file(c->smtp_dir, c->name, f->id, f->buf, f->len) < 0)
        c->failed = 1;
    if (f->banner_len && f->banner[f->banner_len - 1] == '\r')
        f->banner_len--;
    if (f->banner_len && write_file(c->banner_dir, c->name, f->id, f->banner, f->banner_len) < 0)
        c->failed = 1;
    free(f->buf);
    free(f);
}

static void on_packet(void *vc, uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes)
{
    const net_packet *decoded = sniff_decoded(((ctx *)vc)->sn);
    if (decoded)
        reasm_packet_decoded(frame, hdr, decoded);
    else
        reasm_packet(frame, hdr, bytes);
}

static int convert(ctx *c, const char *file)
{
    char err[PCAP_ERRBUF_SIZE + 256];
    sniff_config sc = {.file = file, .any_tcp = 1}; /* decoded: VLAN, IPv6, cooked links */
    sniff *sn = sniff_open(&sc, err, sizeof err);
    if (!sn)
        return fprintf(stderr, "pcap2seg: skipped: %s\n", err), -1;
    reasm_callbacks cb = {
        .open = on_open, .data = on_data, .end = on_end, .ctx = c, .tcp_event = on_tcp_event};
    reasm_config rc = {.max_streams = 1024}; /* no idle timeout */
    if (reasm_init(&rc, &cb, sniff_handle(sn), err, sizeof err) < 0) {
        sniff_close(sn);
        return fprintf(stderr, "pcap2seg: skipped %s: %s\n", file, err), -1;
    }
    const char *slash = strrchr(file, '/');
    c->name = slash ? slash + 1 : file;
    c->next_id = 0;
    c->sn = sn;
    sniff_loop(sn, on_packet, c); /* a damaged capture still gives its sessions */
    reasm_finish();
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
