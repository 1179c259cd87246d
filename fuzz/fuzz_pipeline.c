/* libFuzzer target: the whole pipeline from a capture file's bytes. The input is written to
 * a memfd and opened by name (/proc/self/fd/N), because sniff_open takes a file name; no
 * file is written anywhere. sniff (link layers decoded, every TCP port kept, as with
 * --detect) -> reassembly (libnids, IPv6 mapping, TCP events, connections without their
 * handshake) -> smtp -> report, wired as cli/main.c does, except that every TCP port counts
 * as SMTP from the start (more of the state machine is reached from mutated ports) and the
 * stream table is tiny (eviction is reached). Both report formats are checked
 * (fuzz/render.h). libnids is a global singleton: reasm_init and reasm_finish run once per
 * input, which also proves they can be called again and again. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/render.h"
#include "reassembly/reasm.h"
#include "smtp/smtp.h"
#include "sniff/sniff.h"

/* Tiny table: 16 is the smallest --max-streams accepts. */
static const reasm_config fuzz_reasm = {.max_streams = 16, .idle_timeout = 60.0};
static int memfd = -1;
static char memfd_path[64];

typedef struct pipeline {
    render_out text, json;
    uint64_t next_id;
    const sniff *sn;
} pipeline;

typedef struct session {
    uint64_t id;
    char client[64], server[64];
    smtp_session *smtp;
} session;

static void *on_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                     struct timeval ts, uint64_t frame)
{
    pipeline *p = ctx;
    session *s = calloc(1, sizeof *s);
    if (!s || !(s->smtp = smtp_session_new(sniff_usec(ts), frame)))
        abort();
    s->id = ++p->next_id;
    reasm_format_endpoint(s->client, sizeof s->client, client);
    reasm_format_endpoint(s->server, sizeof s->server, server);
    return s;
}

static void on_data(void *ctx, void *handle, const reasm_segment *seg)
{
    (void)ctx;
    session *s = handle;
    smtp_feed(s->smtp, seg->dir == REASM_FROM_CLIENT ? SMTP_CLIENT : SMTP_SERVER, seg->data,
              seg->len, sniff_usec(seg->ts), seg->frame);
}

static void on_tcp_event(void *ctx, void *handle, const reasm_tcp_event *ev)
{
    session *s = handle;
    smtp_dir from = ev->from == REASM_FROM_CLIENT ? SMTP_CLIENT : SMTP_SERVER;
    (void)ctx;
    if (ev->kind == REASM_EV_FIN)
        smtp_tcp_fin(s->smtp, from, sniff_usec(ev->ts), ev->frame);
    else if (ev->kind == REASM_EV_RETRANSMISSION)
        smtp_tcp_retransmission(s->smtp, from, ev->offset, ev->len, sniff_usec(ev->ts), ev->frame);
    else if (ev->kind == REASM_EV_ZERO_WINDOW)
        smtp_tcp_zero_window(s->smtp, from, sniff_usec(ev->ts), ev->frame);
}

/* A connection without its handshake: what the CLI prints of it, checked like the rest. */
static void on_unseen(void *ctx, const reasm_unseen *u)
{
    char client[64], server[64];
    (void)ctx;
    reasm_format_endpoint(client, sizeof client, &u->client);
    reasm_format_endpoint(server, sizeof server, &u->server);
    if (!oracle_text_ok(client, strlen(client)) || !oracle_text_ok(server, strlen(server)) ||
        u->client_len > REASM_UNSEEN_SAMPLE || u->server_len > REASM_UNSEEN_SAMPLE)
        abort();
}

static void on_end(void *ctx, void *handle, const reasm_end *end)
{
    static const smtp_end_reason reasons[] = {SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT,
                                              SMTP_END_CAPTURE_END, SMTP_END_EVICTED};
    pipeline *p = ctx;
    session *s = handle;
    int closed_by = end->closed_by == REASM_FROM_CLIENT   ? SMTP_CLIENT
                    : end->closed_by == REASM_FROM_SERVER ? SMTP_SERVER
                                                          : -1;
    if ((size_t)end->reason >= sizeof reasons / sizeof reasons[0])
        abort(); /* a new end reason this target does not know yet */
    smtp_end(s->smtp, reasons[end->reason], closed_by, sniff_usec(end->ts), end->frame);
    const smtp_report *r = smtp_get_report(s->smtp);
    report_session(p->text.rep, s->id, s->client, s->server, r);
    report_session(p->json.rep, s->id, s->client, s->server, r);
    smtp_session_free(s->smtp);
    free(s);
}

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    const pipeline *p = ctx;
    const net_packet *decoded = sniff_decoded(p->sn);
    if (decoded)
        reasm_packet_decoded(frame, hdr, decoded);
    else
        reasm_packet(frame, hdr, bytes);
}

static void fill_capture(capture_summary *c, const sniff *sn, int read_failed)
{
    const sniff_stats *st = sniff_get_stats(sn);
    const reasm_stats *rs = reasm_get_stats();
    *c = (capture_summary){.source = "fuzz.pcap",
                           .frames = st->frames,
                           .matched = st->matched,
                           .bytes = st->bytes,
                           .first = sniff_usec(st->first),
                           .last = sniff_usec(st->last),
                           .streams_evicted = rs->evicted,
                           .idle_expired = rs->idle_expired,
                           .warn_ip = rs->warn_ip,
                           .warn_tcp = rs->warn_tcp,
                           .read_error = read_failed ? sniff_error(sn) : NULL};
}

static void run(sniff *sn)
{
    pipeline p = {.next_id = 0, .sn = sn};
    char err[PCAP_ERRBUF_SIZE + 256];
    reasm_callbacks cb = {.open = on_open,
                          .data = on_data,
                          .end = on_end,
                          .ctx = &p,
                          .unseen = on_unseen,
                          .tcp_event = on_tcp_event};
    if (reasm_init(&fuzz_reasm, &cb, sniff_handle(sn), err, sizeof err) < 0)
        return; /* an unsupported link type: a clean refusal */
    render_open(&p.text, REPORT_TEXT);
    render_open(&p.json, REPORT_JSON);
    int read_failed = sniff_loop(sn, on_packet, &p) < 0;
    reasm_finish();
    capture_summary cap;
    fill_capture(&cap, sn, read_failed);
    render_check(&p.text, REPORT_TEXT, &cap);
    render_check(&p.json, REPORT_JSON, &cap);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd = memfd_create("smtpscope-fuzz", 0);
    if (memfd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
    char err[PCAP_ERRBUF_SIZE + 256];
    sniff_config cfg = {.file = memfd_path, .any_tcp = 1};
    sniff *sn = sniff_open(&cfg, err, sizeof err);
    if (!sn)
        return 0; /* not a capture: refused with a message, nothing to analyse */
    run(sn);
    sniff_close(sn);
    return 0;
}
