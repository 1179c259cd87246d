/* pipeline: flows from the reassembly to their analysers, and their reports to the sink.
 * See pipeline.h; --detect's probation is in detect.c, connections without a handshake in
 * unseen.c, the list of analysers in registry.c. */
#include "pipeline/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/internal.h"

static void free_flow(pipeline_flow *f)
{
    if (f->an)
        f->an->free(f->session);
    free(f->probe);
    free(f);
}

static void *on_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                     struct timeval ts, uint64_t frame)
{
    pipeline *pl = ctx;
    const analyser *an = pipeline_analyser_for_port(pl, server->port);
    if (!an && !pl->cfg.detect)
        return NULL;
    pipeline_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->pl = pl;
    f->start = sniff_usec(ts);
    f->start_frame = frame;
    reasm_format_endpoint(f->client, sizeof f->client, client);
    reasm_format_endpoint(f->server, sizeof f->server, server);
    if (an ? pipeline_start_analyser(f, an) < 0 : pipeline_probe_start(f) < 0) {
        free_flow(f);
        return NULL;
    }
    if (an && pipeline_tls_port(pl, server->port))
        an->implicit_tls(f->session);
    return f;
}

static void on_data(void *ctx, void *handle, const reasm_segment *seg)
{
    pipeline_flow *f = handle;
    (void)ctx;
    if (f->probe) {
        int r = pipeline_probe_segment(f, seg);
        if (r < 0) {
            free_flow(f);
            reasm_unfollow();
        }
        if (r <= 0)
            return;
    }
    pipeline_feed(f, seg);
}

static void on_tcp_event(void *ctx, void *handle, const reasm_tcp_event *ev)
{
    static const flow_tcp_kind kinds[] = {
        [REASM_EV_FIN] = FLOW_TCP_FIN,
        [REASM_EV_RETRANSMISSION] = FLOW_TCP_RETRANSMISSION,
        [REASM_EV_ZERO_WINDOW] = FLOW_TCP_ZERO_WINDOW,
        [REASM_EV_SNAPLEN_CUT] = FLOW_TCP_SNAPLEN_CUT,
    };
    pipeline *pl = ctx;
    pipeline_flow *f = handle;
    if (!f->an)
        return; /* still on probation (--detect): no analyser to inform yet */
    flow_tcp t = {kinds[ev->kind], pipeline_side(ev->from), ev->offset,
                  ev->len,         sniff_usec(ev->ts),      ev->frame};
    if (t.kind == FLOW_TCP_FIN && f->watch && pl->sink.tcp_end)
        pl->sink.tcp_end(pl->sink.ctx, f->watch, 0, t.from, t.ts, t.frame);
    f->an->tcp(f->session, &t);
}

static void on_end(void *ctx, void *handle, const reasm_end *end)
{
    static const flow_end reasons[] = {
        [REASM_END_FIN] = FLOW_END_FIN,         [REASM_END_RST] = FLOW_END_RST,
        [REASM_END_TIMEOUT] = FLOW_END_TIMEOUT, [REASM_END_CAPTURE_END] = FLOW_END_CAPTURE_END,
        [REASM_END_EVICTED] = FLOW_END_EVICTED,
    };
    pipeline *pl = ctx;
    pipeline_flow *f = handle;
    int closed_by = end->closed_by < 0 ? -1 : (int)pipeline_side((reasm_dir)end->closed_by);
    int64_t ts = sniff_usec(end->ts);
    if (f->probe && pipeline_probe_end(f) < 0) {
        free_flow(f);
        return;
    }
    f->an->end(f->session, reasons[end->reason], closed_by, ts, end->frame);
    if (end->reason == REASM_END_RST && f->watch && pl->sink.tcp_end)
        pl->sink.tcp_end(pl->sink.ctx, f->watch, 1, closed_by < 0 ? FLOW_CLIENT : closed_by, ts,
                         end->frame);
    flow_report r = pipeline_flow_report(f);
    r.first_frame = end->first_frame;
    r.last_frame = end->last_frame;
    pl->sink.ended(pl->sink.ctx, f->watch, &r);
    free_flow(f);
}

/* ---- connection attempts: followed to an analyser's port (a later protocol's too) ---- */

static int wants_connect(void *ctx, uint16_t server_port)
{
    return pipeline_analyser_for_port(ctx, server_port) != NULL;
}

static void on_connect_failed(void *ctx, const reasm_connect_failure *f)
{
    pipeline *pl = ctx;
    connect_failed c;
    if (!pl->sink.connect_failed)
        return;
    memset(&c, 0, sizeof c); /* sent whole to the parent with --workers */
    reasm_format_endpoint(c.client, sizeof c.client, &f->client);
    reasm_format_endpoint(c.server, sizeof c.server, &f->server);
    c.refused = f->reason == REASM_CONNECT_REFUSED;
    c.attempts = f->attempts;
    c.first = sniff_usec(f->first);
    c.last = sniff_usec(f->last);
    c.first_frame = f->first_frame;
    c.last_frame = f->last_frame;
    pl->sink.connect_failed(pl->sink.ctx, &c);
}

/* ---- the packets ---- */

void pipeline_packet(pipeline *pl, uint64_t frame, const struct pcap_pkthdr *hdr,
                     const uint8_t *bytes, const net_packet *decoded)
{
    net_packet p;
    if (pl->cfg.nparts == 0) {
        if (decoded)
            reasm_packet_decoded(frame, hdr, decoded);
        else
            reasm_packet(frame, hdr, bytes);
    } else {
        if (!decoded) {
            net_decode(pl->dlt, bytes, hdr->caplen, &p);
            decoded = &p;
        }
        /* Every worker reads every frame; the clock moves on in all, the packet goes to one. */
        if (net_pair_hash(decoded) % pl->cfg.nparts == pl->cfg.part)
            reasm_packet_decoded(frame, hdr, decoded);
        else
            reasm_tick(frame, hdr, decoded);
    }
    if (pl->sink.progress)
        pl->sink.progress(pl->sink.ctx, frame);
}

/* ---- setup ---- */

pipeline *pipeline_open(const pipeline_config *cfg, const pipeline_sink *sink, pcap_t *link,
                        char *err, size_t errlen)
{
    pipeline *pl = calloc(1, sizeof *pl);
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pl->cfg = *cfg;
    pl->sink = *sink;
    pl->dlt = pcap_datalink(link);
    for (unsigned p = 0; p < PROTO_COUNT; p++)
        pl->an[p] = cfg->analysers[p] ? cfg->analysers[p] : pipeline_analyser((proto_id)p);
    reasm_callbacks cb = {on_open,      on_data,       on_end,           pl, pipeline_on_unseen,
                          on_tcp_event, wants_connect, on_connect_failed};
    if (reasm_init(&cfg->reasm, &cb, link, err, errlen) < 0) {
        free(pl);
        return NULL;
    }
    return pl;
}

void pipeline_finish(pipeline *pl)
{
    if (!pl->finished)
        reasm_finish();
    pl->finished = 1;
}

void pipeline_close(pipeline *pl)
{
    if (!pl)
        return;
    pipeline_finish(pl);
    free(pl);
}

void pipeline_summary(capture_summary *c, const char *source, const sniff_stats *st,
                      const reasm_stats *rs, const char *read_error)
{
    memset(c, 0, sizeof *c);
    c->source = source;
    c->frames = st->frames;
    c->matched = st->matched;
    c->bytes = st->bytes;
    c->first = sniff_usec(st->first);
    c->last = sniff_usec(st->last);
    c->streams_evicted = rs->evicted;
    c->idle_expired = rs->idle_expired;
    c->warn_ip = rs->warn_ip;
    c->warn_tcp = rs->warn_tcp;
    c->connect_evicted = rs->connect_evicted;
    c->snaplen = st->snaplen;
    c->cut_len = st->cut_len;
    c->cut_frames = st->cut_frames;
    c->snaplen_unusable = rs->snaplen_unusable;
    c->snaplen_window = rs->snaplen_window;
    c->read_error = read_error;
    c->live = st->live;
    c->drops = st->drops;
    c->if_drops = st->if_drops;
}
