/* pipeline: from captured frames to protocol analysers. Each frame goes to the reassembly
 * (reassembly/, libnids); each TCP flow it opens is classified — by its server port, or with
 * --detect by what each side says first — and handed to the analyser of its protocol
 * (analyser/analyser.h; the list is in registry.c); when the flow ends, its report goes to
 * the sink, with the session number the sink gave it. Connections seen without their
 * handshake are classified the same way and told to the sink, and so are the attempts to
 * connect to an analyser's port that failed. The sink is the caller's:
 * the report writer in one process, the pipe to the parent in a worker, the live screen.
 *
 * One pipeline per process (libnids is one global instance). */
#ifndef SMTPSCOPE_PIPELINE_H
#define SMTPSCOPE_PIPELINE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "analyser/analyser.h"
#include "pipeline/summary.h"
#include "reassembly/reasm.h"
#include "sniff/sniff.h"

#define PIPELINE_PORT_BYTES (65536 / 8)

typedef struct pipeline_config {
    /* Server ports of each analyser (bit p of ports[proto][p / 8]); a flow whose server port
     * two analysers claim goes to the first in registry order. */
    const uint8_t *ports[PROTO_COUNT];
    /* Each analyser's implicit-TLS server ports (analyser.tls_ports_option), NULL for none. */
    const uint8_t *tls_ports[PROTO_COUNT];
    const void *analyser_config[PROTO_COUNT]; /* handed to each analyser's open */
    /* NULL: the registry's analyser; a test or a tool may stand in for one. */
    const analyser *analysers[PROTO_COUNT];
    int detect; /* flows on other ports are recognised by content (analyser.detect) */
    /* --workers: this process follows the flows whose address pair hashes to part modulo
     * nparts; the others only move its clock. nparts 0: every flow is this process's. */
    unsigned part, nparts;
    reasm_config reasm;
} pipeline_config;

/* An open flow handed to an analyser, as the sink's hooks see it. */
typedef struct pipeline_flow pipeline_flow;

typedef struct pipeline_sink {
    void *ctx;
    /* Required: the number of a session just recognised. */
    uint64_t (*number)(void *ctx);
    /* Optional: a session was recognised (f->report NULL while it is open); a non-NULL
     * return makes the session watched: its analyser's events and TCP ends go to the hooks
     * below with that value, until ended. */
    void *(*opened)(void *ctx, const flow_report *f, int64_t ts, uint64_t frame,
                    const pipeline_flow *flow);
    void (*event)(void *ctx, void *watch, proto_id proto, const void *event);
    /* A FIN seen from a side (rst 0), or the RST that ended the session (rst 1). */
    void (*tcp_end)(void *ctx, void *watch, int rst, flow_side from, int64_t ts, uint64_t frame);
    /* Required: a session ended; f and its report are valid during the call only. */
    void (*ended)(void *ctx, void *watch, const flow_report *f);
    /* Required: a connection seen without its handshake, on a protocol's port or (with
     * --detect) looking like one. */
    void (*unseen)(void *ctx, const unseen_conn *u);
    /* Optional: an attempt to connect to an analyser's server port failed (never answered,
     * or refused). */
    void (*connect_failed)(void *ctx, const connect_failed *c);
    /* Optional: after each frame (workers tell the merge how far they are). */
    void (*progress)(void *ctx, uint64_t frame);
} pipeline_sink;

typedef struct pipeline pipeline;

/* link: the capture's pcap handle (its link type). NULL with a message in err. */
pipeline *pipeline_open(const pipeline_config *cfg, const pipeline_sink *sink, pcap_t *link,
                        char *err, size_t errlen);
/* One frame as sniff delivers it; decoded: sniff_decoded's view of it, or NULL. */
void pipeline_packet(pipeline *pl, uint64_t frame, const struct pcap_pkthdr *hdr,
                     const uint8_t *bytes, const net_packet *decoded);
/* The packets ran out: every open session ends (capture_end), then the connections without
 * a handshake are told. Once; later calls do nothing. */
void pipeline_finish(pipeline *pl);
void pipeline_close(pipeline *pl);

/* The report so far of a watched session that is still open (the live screen's detail). */
flow_report pipeline_flow_report(const pipeline_flow *flow);

/* The analyser of a protocol (registry.c). */
const analyser *pipeline_analyser(proto_id proto);

/* The capture summary from the counters of sniff and the reassembly. */
void pipeline_summary(capture_summary *c, const char *source, const sniff_stats *st,
                      const reasm_stats *rs, const char *read_error);

#endif
