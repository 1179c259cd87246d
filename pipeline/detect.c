/* detect: --detect's probation. A flow on a port no analyser claims keeps its first bytes
 * until an analyser recognises what the two sides said (analyser.detect), or all refuse it;
 * recognised, the held segments go to that analyser in the order they came. Bounded: what
 * does not fit decides at once. */
#include <stdlib.h>
#include <string.h>

#include "pipeline/internal.h"

#define HOLD_SERVER 2048
#define HOLD_CLIENT 512
#define HOLD_SEGS 128 /* an interactive client may send its EHLO a byte at a time */

typedef struct held_seg {
    reasm_dir dir;
    uint32_t off, len; /* in that direction's buffer */
    uint64_t frame;
    struct timeval ts;
} held_seg;

struct probe {
    uint8_t server[HOLD_SERVER], client[HOLD_CLIENT];
    uint32_t server_len, client_len;
    held_seg seg[HOLD_SEGS];
    unsigned nseg;
};

int pipeline_probe_start(pipeline_flow *f)
{
    f->probe = calloc(1, sizeof *f->probe);
    return f->probe ? 0 : -1;
}

/* The first analyser that recognises the bytes; NULL with *undecided set when one may
 * still, NULL alone when none will. */
static const analyser *recognise(const pipeline_flow *f, const uint8_t *client, size_t client_len,
                                 int final, int *undecided)
{
    const probe *p = f->probe;
    *undecided = 0;
    for (unsigned i = 0; i < PROTO_COUNT; i++) {
        const analyser *an = f->pl->an[i];
        if (!an->detect)
            continue;
        detect_verdict v = an->detect(p->server, p->server_len, client, client_len, final);
        if (v == DETECT_YES)
            return an;
        *undecided |= v == DETECT_UNDECIDED;
    }
    return NULL;
}

/* Keeps a segment; 0 when it does not fit. */
static int hold(probe *p, const reasm_segment *seg)
{
    int srv = seg->dir == REASM_FROM_SERVER;
    uint32_t used = srv ? p->server_len : p->client_len, cap = srv ? HOLD_SERVER : HOLD_CLIENT;
    if (p->nseg == HOLD_SEGS || seg->len > cap - used)
        return 0;
    memcpy((srv ? p->server : p->client) + used, seg->data, seg->len);
    held_seg *h = &p->seg[p->nseg++];
    *h = (held_seg){seg->dir, used, (uint32_t)seg->len, seg->frame, seg->ts};
    if (srv)
        p->server_len += (uint32_t)seg->len;
    else
        p->client_len += (uint32_t)seg->len;
    return 1;
}

/* Recognised: the held segments go to the analyser in the order they came. */
static int promote(pipeline_flow *f, const analyser *an)
{
    probe *p = f->probe;
    if (pipeline_start_analyser(f, an) < 0)
        return -1;
    for (unsigned i = 0; i < p->nseg; i++) {
        const held_seg *h = &p->seg[i];
        const uint8_t *buf = h->dir == REASM_FROM_SERVER ? p->server : p->client;
        reasm_segment seg = {buf + h->off, h->len, h->ts, h->frame, h->dir};
        pipeline_feed(f, &seg);
    }
    free(p);
    f->probe = NULL;
    return 0;
}

int pipeline_probe_segment(pipeline_flow *f, const reasm_segment *seg)
{
    probe *p = f->probe;
    int undecided, held = hold(p, seg);
    const analyser *an;
    if (held)
        an = recognise(f, p->client, p->client_len, 0, &undecided);
    else if (seg->dir == REASM_FROM_CLIENT && p->client_len == 0)
        /* a first client segment that does not fit is judged by its own first line */
        an = recognise(f, seg->data, seg->len, 1, &undecided);
    else
        an = recognise(f, p->client, p->client_len, 1, &undecided);
    if (!an)
        return held && undecided ? 0 : -1;
    if (promote(f, an) < 0)
        return -1;
    return !held;
}

int pipeline_probe_end(pipeline_flow *f)
{
    int undecided;
    const analyser *an = recognise(f, f->probe->client, f->probe->client_len, 1, &undecided);
    return an ? promote(f, an) : -1;
}
