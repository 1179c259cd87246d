/* reasm_session: the sessions libnids holds streams for, from the handshake to their end (a
 * FIN, a RST, the idle timeout, eviction, capture end), and libnids' TCP callback that drives
 * them. See reasm_int.h. */
#include "reassembly/reasm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly/ip6.h"
#include "reassembly/midflow.h"
#include "reassembly/synframe.h"

/* ---- lists ---- */

static void list_append(int o, session *s)
{
    list *l = &reasm_state.order[o];

    s->link[o].prev = l->tail;
    s->link[o].next = NULL;
    if (l->tail != NULL)
        l->tail->link[o].next = s;
    else
        l->head = s;
    l->tail = s;
}

static void list_remove(int o, session *s)
{
    list *l = &reasm_state.order[o];

    if (s->link[o].prev != NULL)
        s->link[o].prev->link[o].next = s->link[o].next;
    else
        l->head = s->link[o].next;
    if (s->link[o].next != NULL)
        s->link[o].next->link[o].prev = s->link[o].prev;
    else
        l->tail = s->link[o].prev;
}

/* ---- session life ---- */

void reasm_out_of_memory(char *where)
{
    fprintf(stderr, "smtpscope: out of memory in %s\n", where);
    exit(2);
}

/* libnids' view of an endpoint turned into the real one: an IPv6 address stands behind a
 * synthetic one (ip6.h). A pair given away since (never while a session holds it) reads as
 * the unspecified address. */
reasm_endpoint reasm_endpoint_of(uint32_t addr, uint16_t port)
{
    reasm_endpoint e;

    memset(&e, 0, sizeof e);
    e.port = port;
    if (ip6_is_synthetic(addr)) {
        e.family = 6;
        ip6_real_address(addr, e.addr);
        return e;
    }
    e.family = 4;
    memcpy(e.addr, &addr, 4); /* already network order */
    return e;
}

static void end_session(session *s, reasm_end_reason reason, uint64_t frame, struct timeval ts,
                        int closed_by)
{
    /* the packet that ends it is its own unless it is another stream's (a reused port's SYN) */
    uint64_t last = frame && reasm_state.pkt.stream == s->tcp ? frame : s->last_frame;
    reasm_end e = {reason, ts, frame, closed_by, s->syn_frame, last};

    list_remove(BY_ACTIVITY, s);
    list_remove(BY_OPENING, s);
    reasm_table_remove(s);
    s->tcp->user = NULL; /* the stream may outlive the session until libnids frees it */
    if (reasm_state.pkt.stream == s->tcp)
        reasm_state.pkt.stream = NULL;
    ip6_release(s->tcp->addr.saddr);
    if (s->handle != NULL && reasm_state.cb.end != NULL)
        reasm_state.cb.end(reasm_state.cb.ctx, s->handle, &e);
    free(s);
}

/* FIN when libnids saw a FIN from either side, else the given reason. */
void reasm_end_fin_or(session *s, reasm_end_reason otherwise, uint64_t frame, struct timeval ts)
{
    reasm_note_fin(s);
    if (reasm_any_fin(s->tcp))
        end_session(s, REASM_END_FIN, frame, ts, s->fin_first);
    else
        end_session(s, otherwise, frame, ts, -1);
}

/* Keeps the stream in libnids without collecting its bytes: a listener that wants only
 * urgent data is enough for libnids to keep it and tell how it ends. */
static void stop_collecting(struct tcp_stream *a, int collecting)
{
    if (collecting) {
        a->client.collect--;
        a->server.collect--;
    }
    a->client.collect_urg++;
    a->server.collect_urg++;
}

static void open_session(struct tcp_stream *a)
{
    reasm_endpoint client = reasm_endpoint_of(a->addr.saddr, a->addr.source);
    reasm_endpoint server = reasm_endpoint_of(a->addr.daddr, a->addr.dest);
    void *handle;
    session *s;

    /* An earlier connection on these addresses and ports is told first. */
    midflow_opened(a->addr.saddr, a->addr.source, a->addr.daddr, a->addr.dest);
    handle = reasm_state.cb.open(reasm_state.cb.ctx, &client, &server, reasm_state.ts,
                                 reasm_state.frame);
    s = calloc(1, sizeof *s);

    if (s == NULL)
        reasm_out_of_memory("reasm_open");
    s->handle = handle;
    s->tcp = a;
    s->last = reasm_state.ts;
    s->last_frame = s->open_frame = reasm_state.frame;
    s->syn_frame = synframe_take(a->addr.saddr, a->addr.source, a->addr.daddr, a->addr.dest);
    if (s->syn_frame == 0)
        s->syn_frame = s->open_frame;
    s->fin_first = -1;
    list_append(BY_ACTIVITY, s);
    list_append(BY_OPENING, s);
    a->user = s;
    reasm_table_add(s);
    ip6_hold(a->addr.saddr);
    if (handle == NULL) {
        stop_collecting(a, 0);
        return;
    }
    a->client.collect++;
    a->server.collect++;
    reasm_state.stats.sessions++;
}

/* A packet of the session was processed: it moves to the tail of the activity list (O(1)), with
 * the FIN the packet may have carried. */
void reasm_session_seen(session *s)
{
    s->last = reasm_state.ts;
    s->last_frame = reasm_state.frame;
    list_remove(BY_ACTIVITY, s);
    list_append(BY_ACTIVITY, s);
    reasm_note_fin(s);
}

/* ---- data ---- */

/* The new bytes of half h (sent by sender) in seg: when a queued segment carried the first of
 * them, they take that segment's frame and time. */
static void claim_early(session *s, const struct half_stream *h, const struct half_stream *sender,
                        reasm_segment *seg)
{
    if (s->early_next == 0)
        return; /* none ever (most sessions): their early[] lines stay out of the cache */
    uint32_t seq = reasm_expected_seq(h, sender) - (uint32_t)h->count_new;

    for (unsigned i = 0; i < EARLY_SEGS; i++) {
        early_seg *e = &s->early[i];
        if (e->frame && e->dir == (int)seg->dir && !reasm_seq_before(seq, e->seq) &&
            reasm_seq_before(seq, e->seq + e->len)) {
            seg->frame = e->frame;
            seg->ts = e->ts;
            e->frame = 0;
            return;
        }
    }
}

/* The caller stopped following the session from its data callback. */
static void unfollow(session *s)
{
    s->handle = NULL;
    reasm_state.stats.sessions--;
    stop_collecting(s->tcp, 1);
}

/* New bytes sit at the end of the half's buffer; since nids_discard is never called, the
 * buffer holds exactly them, but the general formula from API.txt is used anyway. */
static void deliver(session *s, const struct half_stream *h, const struct half_stream *sender,
                    reasm_dir dir)
{
    reasm_segment seg;

    if (h->count_new <= 0 || reasm_state.cb.data == NULL || s->handle == NULL || s->snaplen_cut)
        return;
    seg.data = (const uint8_t *)h->data + (h->count - h->offset - h->count_new);
    seg.len = (size_t)h->count_new;
    seg.ts = reasm_state.ts;
    seg.frame = reasm_state.frame;
    seg.dir = dir;
    claim_early(s, h, sender, &seg);
    reasm_state.unfollow = 0;
    reasm_state.cb.data(reasm_state.cb.ctx, s->handle, &seg);
    if (reasm_state.unfollow)
        unfollow(s);
    reasm_state.unfollow = 0;
}

void reasm_unfollow(void)
{
    reasm_state.unfollow = 1;
}

/* ---- libnids' TCP callback ---- */

/* The side that sent the packet being processed, -1 if it is not a TCP packet of a. */
static int current_sender(const struct tcp_stream *a)
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

/* libnids' closing timeout (10 s after FINs, tcp_workarounds) runs through the head of
 * nids_tcp_timeouts; any other NIDS_TIMED_OUT is the eviction of the oldest stream. */
static int is_closing_timeout(const struct tcp_stream *a)
{
    return nids_tcp_timeouts != NULL && nids_tcp_timeouts->a_tcp == a &&
           nids_tcp_timeouts->timeout.tv_sec <= reasm_state.ts.tv_sec;
}

void reasm_on_tcp(struct tcp_stream *a, void **unused)
{
    session *s = a->user;

    (void)unused;
    if (a->nids_state == NIDS_JUST_EST) {
        open_session(a);
        return;
    }
    if (s == NULL)
        return; /* NIDS_EXITING after reasm_finish ended everything */
    switch (a->nids_state) {
    case NIDS_DATA:
        deliver(s, &a->server, &a->client, REASM_FROM_CLIENT); /* the server half receives */
        deliver(s, &a->client, &a->server, REASM_FROM_SERVER);
        break;
    case NIDS_CLOSE:
        reasm_note_fin(s);
        end_session(s, REASM_END_FIN, reasm_state.frame, reasm_state.ts, s->fin_first);
        break;
    case NIDS_RESET:
        end_session(s, REASM_END_RST, reasm_state.frame, reasm_state.ts, current_sender(a));
        break;
    case NIDS_TIMED_OUT:
        /* Neither is a packet of this stream, hence frame 0. */
        if (is_closing_timeout(a)) {
            reasm_end_fin_or(s, REASM_END_TIMEOUT, 0, reasm_state.ts);
            break;
        }
        if (s->handle != NULL)
            reasm_state.stats.evicted++;
        reasm_end_fin_or(s, REASM_END_EVICTED, 0, reasm_state.ts);
        break;
    default:
        break;
    }
}

/* ---- ends without a packet ---- */

static struct timeval tv_add(struct timeval a, struct timeval b)
{
    struct timeval r;

    r.tv_sec = a.tv_sec + b.tv_sec;
    r.tv_usec = a.tv_usec + b.tv_usec;
    if (r.tv_usec >= 1000000) {
        r.tv_sec++;
        r.tv_usec -= 1000000;
    }
    return r;
}

/* Ends the sessions idle longer than the timeout. The activity list has the longest idle
 * first, so when its head has not expired nothing has: the check is O(1) per packet, cheaper
 * than counting capture-seconds, and exact. The end time is the moment the session became
 * idle too long (last packet + timeout), not the time of the packet that revealed it, which
 * may come hours later. */
void reasm_expire_idle(void)
{
    session *s;

    if (reasm_state.idle.tv_sec == 0 && reasm_state.idle.tv_usec == 0)
        return;
    while ((s = reasm_state.order[BY_ACTIVITY].head) != NULL) {
        struct timeval deadline = tv_add(s->last, reasm_state.idle);
        struct tcp_stream *a = s->tcp;
        int both_fin = reasm_half_sent_fin(&a->client) && reasm_half_sent_fin(&a->server);

        if (!timercmp(&reasm_state.ts, &deadline, >))
            return;
        if (s->handle != NULL)
            reasm_state.stats.idle_expired++;
        reasm_state.at =
            (reasm_position){reasm_state.frame, REASM_AT_IDLE_EXPIRY, s->last_frame, 0};
        reasm_note_fin(s);
        /* Both FINs seen and only the last ACK missing: that session closed normally. */
        if (both_fin)
            end_session(s, REASM_END_FIN, 0, deadline, s->fin_first);
        else
            end_session(s, REASM_END_TIMEOUT, 0, deadline, -1);
        nids_free_tcp_stream(a); /* so libnids forgets it too */
    }
}

/* Ends every session still open, in the order they opened, at capture end. */
void reasm_end_all(void)
{
    session *s;

    while ((s = reasm_state.order[BY_OPENING].head) != NULL) {
        reasm_state.at = (reasm_position){UINT64_MAX, REASM_AT_FINISH_SESSIONS, s->open_frame, 0};
        reasm_end_fin_or(s, REASM_END_CAPTURE_END, 0, reasm_state.ts);
    }
}
