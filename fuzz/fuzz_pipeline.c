/* libFuzzer target: the whole pipeline from a capture file's bytes. The input is written to
 * a memfd and opened by name (/proc/self/fd/N), because sniff_open takes a file name; no
 * file is written anywhere. sniff (link layers decoded, every TCP port kept, as with
 * --detect) -> pipeline (reassembly: libnids, IPv6 mapping, TCP events, connections without
 * their handshake; the analysers) -> report, as cli/main.c runs it, except that every TCP
 * port is an SMTP port (more of the state machine is reached from mutated ports) and the
 * stream table is tiny (eviction is reached). Both report formats are checked
 * (fuzz/render.h). libnids is a global singleton: the pipeline opens and finishes once per
 * input, which also proves that it can again and again. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/memfd.h"
#include "fuzz/render.h"
#include "pipeline/pipeline.h"
#include "sniff/sniff.h"

static uint8_t every_port[PIPELINE_PORT_BYTES];

typedef struct run_state {
    render_out text, json;
    uint64_t next_id;
    sniff *sn;
    pipeline *pl;
} run_state;

static uint64_t number(void *ctx)
{
    run_state *r = ctx;
    return ++r->next_id;
}

static void ended(void *ctx, void *watch, const flow_report *f)
{
    run_state *r = ctx;
    (void)watch;
    report_flow(r->text.rep, f);
    report_flow(r->json.rep, f);
}

/* A connection without its handshake: what the report prints of it, checked like the rest. */
static void unseen(void *ctx, const unseen_conn *u)
{
    run_state *r = ctx;
    if (!oracle_text_ok(u->client, strlen(u->client)) ||
        !oracle_text_ok(u->server, strlen(u->server)))
        abort();
    report_unseen(r->text.rep, u);
    report_unseen(r->json.rep, u);
}

static void on_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                      const uint8_t *bytes)
{
    run_state *r = ctx;
    pipeline_packet(r->pl, frame, hdr, bytes, sniff_decoded(r->sn));
}

static void run(sniff *sn)
{
    run_state r = {.sn = sn};
    char err[PCAP_ERRBUF_SIZE + 256];
    /* Tiny table: 16 is the smallest --max-streams accepts. */
    pipeline_config cfg = {.reasm = {.max_streams = 16, .idle_timeout = 60.0}};
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        cfg.ports[p] = every_port;
    pipeline_sink sink = {.ctx = &r, .number = number, .ended = ended, .unseen = unseen};
    render_open(&r.text, REPORT_TEXT);
    render_open(&r.json, REPORT_JSON);
    r.pl = pipeline_open(&cfg, &sink, sniff_handle(sn), err, sizeof err);
    int read_failed = r.pl && sniff_loop(sn, on_packet, &r) < 0;
    if (r.pl)
        pipeline_finish(r.pl); /* else an unsupported link type: a clean refusal */
    capture_summary cap;
    pipeline_summary(&cap, "fuzz.pcap", sniff_get_stats(sn), reasm_get_stats(),
                     read_failed ? sniff_error(sn) : NULL);
    render_check(&r.text, REPORT_TEXT, &cap);
    render_check(&r.json, REPORT_JSON, &cap);
    pipeline_close(r.pl);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memset(every_port, 0xff, sizeof every_port);
    memfd_open();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memfd_fill(data, size);
    char err[PCAP_ERRBUF_SIZE + 256];
    sniff_config cfg = {.file = memfd_path, .any_tcp = 1};
    sniff *sn = sniff_open(&cfg, err, sizeof err);
    if (!sn)
        return 0; /* not a capture: refused with a message, nothing to analyse */
    run(sn);
    sniff_close(sn);
    return 0;
}
