/* reasm_nids: what libnids' stream state says (FINs, the next byte expected, which side sent a
 * packet), and the TCP evidence taken from the packet before libnids digests it. See
 * reasm_int.h.
 *
 * libnids tells how a stream ends but not which side sent its FIN, nor that a segment repeats
 * bytes it already delivered; both are read here from its half-stream state, which is not all
 * in nids.h. */
#include "reassembly/reasm_int.h"

#include <string.h>

/* libnids' private half-stream states (tcp.c, not in nids.h). A half in one of them has
 * sent a FIN: FIN_SENT/FIN_CONFIRMED once it is in order, TCP_CLOSING while it waits in the
 * out-of-order queue. */
#define NIDS_HALF_FIN_SENT 120
#define NIDS_HALF_FIN_CONFIRMED 121
#define NIDS_HALF_CLOSING 11

int reasm_half_sent_fin(const struct half_stream *h)
{
    return h->state == NIDS_HALF_FIN_SENT || h->state == NIDS_HALF_FIN_CONFIRMED ||
           h->state == NIDS_HALF_CLOSING;
}

int reasm_any_fin(const struct tcp_stream *a)
{
    return reasm_half_sent_fin(&a->client) || reasm_half_sent_fin(&a->server);
}

/* Remembers which side sent the first FIN. Called after every packet of the stream: one
 * packet can add a FIN for its sender only, so when exactly one half shows a FIN, that
 * half's side was first. */
void reasm_note_fin(session *s)
{
    int c = reasm_half_sent_fin(&s->tcp->client), v = reasm_half_sent_fin(&s->tcp->server);

    if (s->fin_first < 0 && c != v)
        s->fin_first = c ? REASM_FROM_CLIENT : REASM_FROM_SERVER;
}

/* The side that sent the packet being processed, -1 if it is not a TCP packet of a. */
int reasm_current_sender(const struct tcp_stream *a)
{
    const current_tcp *p = &reasm_state.pkt;

    if (!p->valid)
        return -1;
    if (p->saddr == a->addr.saddr && p->sport == a->addr.source && p->daddr == a->addr.daddr &&
        p->dport == a->addr.dest)
        return REASM_FROM_CLIENT;
    if (p->saddr == a->addr.daddr && p->sport == a->addr.dest && p->daddr == a->addr.saddr &&
        p->dport == a->addr.source)
        return REASM_FROM_SERVER;
    return -1;
}

struct tcp_stream *reasm_find_stream(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    struct tuple4 t;

    memset(&t, 0, sizeof t); /* libnids compares tuples with memcmp */
    t.saddr = saddr;
    t.source = sport;
    t.daddr = daddr;
    t.dest = dport;
    return nids_find_tcp_stream(&t);
}

/* libnids' closing timeout (10 s after FINs, tcp_workarounds) runs through the head of
 * nids_tcp_timeouts; any other NIDS_TIMED_OUT is the eviction of the oldest stream. */
int reasm_is_closing_timeout(const struct tcp_stream *a)
{
    return nids_tcp_timeouts != NULL && nids_tcp_timeouts->a_tcp == a &&
           nids_tcp_timeouts->timeout.tv_sec <= reasm_state.ts.tv_sec;
}

/* ---- segments ahead of a gap ---- */

/* The sequence number of the next in-order byte a half expects (libnids' EXP_SEQ). */
static uint32_t expected_seq(const struct half_stream *rcv, const struct half_stream *snd)
{
    return snd->first_data_seq + (uint32_t)rcv->count + (uint32_t)rcv->urg_count;
}

static int seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Called before libnids processes a TCP packet with payload of a followed session: one that
 * lies beyond the next expected byte will be queued, so its origin is remembered. */
void reasm_note_if_early(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    const current_tcp *p = &reasm_state.pkt;
    uint32_t next = dir == REASM_FROM_CLIENT ? expected_seq(&a->server, &a->client)
                                             : expected_seq(&a->client, &a->server);

    if (p->len == 0 || s->handle == NULL || !seq_before(next, p->seq))
        return;
    early_seg *e = &s->early[s->early_next++ % EARLY_SEGS];
    e->seq = p->seq;
    e->len = p->len;
    e->frame = reasm_state.frame;
    e->ts = reasm_state.ts;
    e->dir = dir;
}

/* The new bytes of half h (sent by sender) in seg: when a queued segment carried the first of
 * them, they take that segment's frame and time. */
void reasm_claim_early(session *s, const struct half_stream *h, const struct half_stream *sender,
                       reasm_segment *seg)
{
    uint32_t seq = expected_seq(h, sender) - (uint32_t)h->count_new;

    for (unsigned i = 0; i < EARLY_SEGS; i++) {
        early_seg *e = &s->early[i];
        if (e->frame && e->dir == (int)seg->dir && !seq_before(seq, e->seq) &&
            seq_before(seq, e->seq + e->len)) {
            seg->frame = e->frame;
            seg->ts = e->ts;
            e->frame = 0;
            return;
        }
    }
}

/* ---- evidence ---- */

static void emit(session *s, reasm_tcp_event *ev, reasm_event_kind kind, int dir)
{
    ev->kind = kind;
    ev->from = (reasm_dir)dir;
    ev->ts = reasm_state.ts;
    ev->frame = reasm_state.frame;
    reasm_state.cb.tcp_event(reasm_state.cb.ctx, s->handle, ev);
}

/* Evidence for the diagnostics, taken before libnids digests the packet: a FIN, a zero
 * window, or payload that starts before the next byte libnids expects (sent before, so a
 * retransmission; a keep-alive probe of one old byte is not). */
void reasm_note_tcp_events(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    const current_tcp *p = &reasm_state.pkt;
    reasm_tcp_event ev = {0};

    if (s->handle == NULL || reasm_state.cb.tcp_event == NULL)
        return;
    if (p->flags & TH_FIN)
        emit(s, &ev, REASM_EV_FIN, dir);
    if (!(p->flags & (TH_RST | TH_SYN)) && p->window == 0)
        emit(s, &ev, REASM_EV_ZERO_WINDOW, dir);
    if (p->len == 0)
        return;
    const struct half_stream *snd = dir == REASM_FROM_CLIENT ? &a->client : &a->server;
    const struct half_stream *rcv = dir == REASM_FROM_CLIENT ? &a->server : &a->client;
    uint32_t next = expected_seq(rcv, snd);
    if (!seq_before(p->seq, next) || (p->len == 1 && p->seq + 1 == next))
        return;
    uint32_t end = p->seq + p->len;
    ev.offset = p->seq - snd->first_data_seq;
    ev.len = (seq_before(end, next) ? end : next) - p->seq;
    emit(s, &ev, REASM_EV_RETRANSMISSION, dir);
}
