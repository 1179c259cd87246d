/* flow: a flow's analyser — which one its server port names, giving it one (its number, a
 * watcher), feeding it — for the pipeline (pipeline.c) and --detect's probation (detect.c). */
#include "pipeline/internal.h"

/* ---- classification by port ---- */

static int port_set(const uint8_t *ports, uint16_t port)
{
    return ports && (ports[port / 8] >> (port % 8)) & 1;
}

/* A port among an analyser's plain ports goes to it, else one among its implicit-TLS ports. */
static const analyser *port_owner(const pipeline *pl, uint16_t port, int *tls)
{
    *tls = 0;
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        if (port_set(pl->cfg.ports[p], port))
            return pl->an[p];
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        if (port_set(pl->cfg.tls_ports[p], port) && pl->an[p]->implicit_tls) {
            *tls = 1;
            return pl->an[p];
        }
    return NULL;
}

const analyser *pipeline_analyser_for_port(const pipeline *pl, uint16_t port)
{
    int tls;
    return port_owner(pl, port, &tls);
}

int pipeline_tls_port(const pipeline *pl, uint16_t port)
{
    int tls;
    port_owner(pl, port, &tls);
    return tls;
}

/* ---- a flow's life ---- */

static void relay_event(void *ctx, proto_id proto, const void *event)
{
    pipeline_flow *f = ctx;
    f->pl->sink.event(f->pl->sink.ctx, f->watch, proto, event);
}

flow_report pipeline_flow_report(const pipeline_flow *f)
{
    flow_report r = {f->id, f->client, f->server, PROTO_COUNT, NULL, 0, 0};
    if (f->an) {
        r.proto = f->an->proto;
        r.report = f->an->report(f->session);
    }
    return r;
}

int pipeline_start_analyser(pipeline_flow *f, const analyser *an)
{
    pipeline *pl = f->pl;
    f->session = an->open(pl->cfg.analyser_config[an->proto], f->start, f->start_frame);
    if (!f->session)
        return -1;
    f->an = an;
    f->id = pl->sink.number(pl->sink.ctx);
    if (!pl->sink.opened)
        return 0;
    flow_report r = {f->id, f->client, f->server, an->proto, NULL, 0, 0};
    f->watch = pl->sink.opened(pl->sink.ctx, &r, f->start, f->start_frame, f);
    if (f->watch && pl->sink.event) {
        f->observer = (analyser_observer){relay_event, f};
        an->observe(f->session, &f->observer);
    }
    return 0;
}

void pipeline_feed(pipeline_flow *f, const reasm_segment *seg)
{
    flow_segment s = {pipeline_side(seg->dir), seg->data, seg->len, sniff_usec(seg->ts),
                      seg->frame};
    f->an->data(f->session, &s);
}
