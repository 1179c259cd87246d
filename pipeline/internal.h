/* Internal to pipeline/: a flow's state, shared by the flow's life (pipeline.c), --detect's
 * probation (detect.c) and the connections without a handshake (unseen.c). */
#ifndef SMTPSCOPE_PIPELINE_INTERNAL_H
#define SMTPSCOPE_PIPELINE_INTERNAL_H

#include "pipeline/pipeline.h"

typedef struct probe probe;

struct pipeline_flow {
    pipeline *pl;
    const analyser *an; /* NULL while on probation */
    void *session;      /* the analyser's */
    probe *probe;       /* non-NULL while on probation (--detect) */
    uint64_t id;
    char client[64], server[64];
    int64_t start;
    uint64_t start_frame;
    void *watch; /* the sink's, when it watches the session */
    analyser_observer observer;
};

struct pipeline {
    pipeline_config cfg;
    pipeline_sink sink;
    const analyser *an[PROTO_COUNT];
    int dlt;
    int finished;
};

static inline flow_side pipeline_side(reasm_dir dir)
{
    return dir == REASM_FROM_CLIENT ? FLOW_CLIENT : FLOW_SERVER;
}

/* ---- flow.c ---- */

/* The analyser whose ports hold port, or NULL. */
const analyser *pipeline_analyser_for_port(const pipeline *pl, uint16_t port);
/* 1 when port is one of that analyser's implicit-TLS ports (and none's plain port). */
int pipeline_tls_port(const pipeline *pl, uint16_t port);
/* Gives the flow its analyser, its number and maybe a watcher; -1 when out of memory. */
int pipeline_start_analyser(pipeline_flow *f, const analyser *an);
/* One segment to the flow's analyser. */
void pipeline_feed(pipeline_flow *f, const reasm_segment *seg);

/* --detect (detect.c). A flow on no analyser's port starts on probation; each segment is
 * held until what the sides said decides it: 1 when the flow now has an analyser and seg
 * must still be fed, 0 when seg was held (and maybe fed by the promotion), -1 when the flow
 * is no protocol's. At the end, 0 when promoted (the held bytes fed), -1 when not. */
int pipeline_probe_start(pipeline_flow *f);
int pipeline_probe_segment(pipeline_flow *f, const reasm_segment *seg);
int pipeline_probe_end(pipeline_flow *f);

/* The reassembly's unseen callback (unseen.c). */
void pipeline_on_unseen(void *ctx, const reasm_unseen *u);

#endif
