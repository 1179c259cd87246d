/* reassembly: TCP stream reassembly over libnids 1.26. See reasm.h.
 *
 * libnids does the TCP work (handshake, sequence checks, out-of-order queue, retransmission
 * trimming, IPv4 defragmentation). This file feeds it one IP packet at a time through a
 * raw-IP pcap handle (IPv6 rewritten as IPv4 by ip6.c), tells its callbacks which frame is
 * being processed, and adds what libnids lacks: an idle timeout, a deterministic order at
 * capture end, end reasons with the side that closed the session, and a record of the
 * connections it could not follow (midflow.c). */
#include "reassembly/reasm.h"

#include <arpa/inet.h>
#include <limits.h>
#include <nids.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pkt.h"
#include "reassembly/ip6.h"
#include "reassembly/midflow.h"

/* libnids' private half-stream states (tcp.c, not in nids.h). A half in one of them has
 * sent a FIN: FIN_SENT/FIN_CONFIRMED once it is in order, TCP_CLOSING while it waits in the
 * out-of-order queue. */
#define NIDS_HALF_FIN_SENT 120
#define NIDS_HALF_FIN_CONFIRMED 121
#define NIDS_HALF_CLOSING 11

#define N_HOSTS 1024 /* IP defragmentation hash buckets: hosts with fragments in flight */

enum { BY_ACTIVITY, BY_OPENING, N_ORDERS };

/* A segment that arrived ahead of a gap. libnids queues it and hands it over later, inside
 * the callback of the packet that fills the gap; its own frame and time are kept here so
 * the evidence names the packet that really carried those bytes. */
typedef struct early_seg {
    uint32_t seq, len;
    uint64_t frame; /* 0: slot unused */
    struct timeval ts;
    int dir;
} early_seg;

enum { EARLY_SEGS = 4 };

/* One session libnids holds a stream for. libnids owns the stream; this only links it to
 * the caller's handle and keeps it in two lists, so no search is ever needed. A session the
 * caller refused (or stopped following) stays, with a NULL handle and no data collected, so
 * that its later packets are known as its own and not taken for a connection without a
 * handshake; libnids keeps it because it listens for urgent data. */
typedef struct session {
    void *handle; /* NULL: not followed */
    struct tcp_stream *tcp;
    struct {
        struct session *prev, *next;
    } link[N_ORDERS];
    struct timeval last;             /* time of the latest packet of the stream */
    uint64_t last_frame, open_frame; /* its latest packet's frame, and the one that opened it */
    int fin_first; /* reasm_dir of the side seen sending the first FIN, -1 none yet */
    early_seg early[EARLY_SEGS];
    unsigned early_next;
} session;

typedef struct list {
    session *head, *tail;
} list;

/* The TCP packet libnids is processing, as its IP layer saw it (after defragmentation), and
 * the stream it belonged to before libnids processed it. The header fields are read once, in
 * on_ip, while the packet's bytes are at hand. */
typedef struct current_tcp {
    int valid;
    uint32_t saddr, daddr; /* network order, as in struct tuple4 */
    uint16_t sport, dport; /* host order, as in struct tuple4 */
    uint8_t flags;
    uint32_t seq;
    uint16_t window;
    uint32_t len;                        /* payload bytes */
    struct tcp_stream *stream;           /* with a session; NULL once that session ends */
    int unfollowed;                      /* no session held a stream for it */
    uint8_t sample[REASM_UNSEEN_SAMPLE]; /* its first payload bytes, when unfollowed */
} current_tcp;

/* libnids is one global instance, so this is too. */
static struct {
    int active;
    reasm_config cfg;
    reasm_callbacks cb;
    reasm_stats stats;
    struct timeval idle; /* cfg.idle_timeout as a timeval; 0 when disabled */
    uint64_t frame;      /* the frame being processed: callbacks report it */
    struct timeval ts;
    current_tcp pkt;
    list order[N_ORDERS];
    pcap_t *raw;       /* the DLT_RAW handle libnids reads the link type from */
    int dlt;           /* the link type of the frames */
    int unfollow;      /* set by reasm_unfollow during a data callback */
    reasm_position at; /* where the callbacks being made happen (reasm_now) */
} R;

/* Kept static: libnids stores the pointer, not a copy. Matches every source address. The
 * synthetic IPv6 packets need no exception under --verify-checksums: their checksums are
 * carried over (ip6.c), and their IP header checksums are computed. */
static struct nids_chksum_ctl no_checksum = {0, 0, NIDS_DONT_CHKSUM, 0};

/* ---- packet bytes ---- */

/* The address at off, in network order as libnids keeps it; 0 when it is not there. */
static uint32_t addr_at(pkt_view *ip, size_t off)
{
    const uint8_t *b = pkt_bytes(ip, off, 4);
    uint32_t a = 0;

    if (b != NULL)
        memcpy(&a, b, 4); /* packet bytes need not be aligned */
    return a;
}

/* ---- lists ---- */

static void list_append(int o, session *s)
{
    list *l = &R.order[o];

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
    list *l = &R.order[o];

    if (s->link[o].prev != NULL)
        s->link[o].prev->link[o].next = s->link[o].next;
    else
        l->head = s->link[o].next;
    if (s->link[o].next != NULL)
        s->link[o].next->link[o].prev = s->link[o].prev;
    else
        l->tail = s->link[o].prev;
}

/* ---- reading libnids state ---- */

static int half_sent_fin(const struct half_stream *h)
{
    return h->state == NIDS_HALF_FIN_SENT || h->state == NIDS_HALF_FIN_CONFIRMED ||
           h->state == NIDS_HALF_CLOSING;
}

static int any_fin(const struct tcp_stream *a)
{
    return half_sent_fin(&a->client) || half_sent_fin(&a->server);
}

/* Remembers which side sent the first FIN. Called after every packet of the stream: one
 * packet can add a FIN for its sender only, so when exactly one half shows a FIN, that
 * half's side was first. */
static void note_fin(session *s)
{
    int c = half_sent_fin(&s->tcp->client), v = half_sent_fin(&s->tcp->server);

    if (s->fin_first < 0 && c != v)
        s->fin_first = c ? REASM_FROM_CLIENT : REASM_FROM_SERVER;
}

/* The side that sent the packet being processed, -1 if it is not a TCP packet of a. */
static int current_sender(const struct tcp_stream *a)
{
    const current_tcp *p = &R.pkt;

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

static struct tcp_stream *find_stream(uint32_t saddr, uint16_t sport, uint32_t daddr,
                                      uint16_t dport)
{
    struct tuple4 t;

    memset(&t, 0, sizeof t); /* libnids compares tuples with memcmp */
    t.saddr = saddr;
    t.source = sport;
    t.daddr = daddr;
    t.dest = dport;
    return nids_find_tcp_stream(&t);
}

/* ---- session life ---- */

static void out_of_memory(char *where)
{
    fprintf(stderr, "smtpscope: out of memory in %s\n", where);
    exit(2);
}

/* libnids' view of an endpoint turned into the real one: an IPv6 address stands behind a
 * synthetic one (ip6.h). A pair given away since (never while a session holds it) reads as
 * the unspecified address. */
static reasm_endpoint endpoint(uint32_t addr, uint16_t port)
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
    reasm_end e = {reason, ts, frame, closed_by};

    list_remove(BY_ACTIVITY, s);
    list_remove(BY_OPENING, s);
    s->tcp->user = NULL; /* the stream may outlive the session until libnids frees it */
    if (R.pkt.stream == s->tcp)
        R.pkt.stream = NULL;
    ip6_release(s->tcp->addr.saddr);
    if (s->handle != NULL && R.cb.end != NULL)
        R.cb.end(R.cb.ctx, s->handle, &e);
    free(s);
}

/* FIN when libnids saw a FIN from either side, else the given reason. */
static void end_fin_or(session *s, reasm_end_reason otherwise, uint64_t frame, struct timeval ts)
{
    note_fin(s);
    if (any_fin(s->tcp))
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
    reasm_endpoint client = endpoint(a->addr.saddr, a->addr.source);
    reasm_endpoint server = endpoint(a->addr.daddr, a->addr.dest);
    void *handle;
    session *s;

    /* An earlier connection on these addresses and ports is told first. */
    midflow_opened(a->addr.saddr, a->addr.source, a->addr.daddr, a->addr.dest);
    handle = R.cb.open(R.cb.ctx, &client, &server, R.ts, R.frame);
    s = calloc(1, sizeof *s);

    if (s == NULL)
        out_of_memory("reasm_open");
    s->handle = handle;
    s->tcp = a;
    s->last = R.ts;
    s->last_frame = s->open_frame = R.frame;
    s->fin_first = -1;
    list_append(BY_ACTIVITY, s);
    list_append(BY_OPENING, s);
    a->user = s;
    ip6_hold(a->addr.saddr);
    if (handle == NULL) {
        stop_collecting(a, 0);
        return;
    }
    a->client.collect++;
    a->server.collect++;
    R.stats.sessions++;
}

/* The sequence number of the next in-order byte a half expects (libnids' EXP_SEQ). */
static uint32_t expected_seq(const struct half_stream *rcv, const struct half_stream *snd)
{
    return snd->first_data_seq + (uint32_t)rcv->count + (uint32_t)rcv->urg_count;
}

static int seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Bytes starting at seq that a queued segment carried take that segment's frame and time. */
static void claim_early(session *s, uint32_t seq, reasm_dir dir, reasm_segment *seg)
{
    for (unsigned i = 0; i < EARLY_SEGS; i++) {
        early_seg *e = &s->early[i];
        if (e->frame && e->dir == (int)dir && !seq_before(seq, e->seq) &&
            seq_before(seq, e->seq + e->len)) {
            seg->frame = e->frame;
            seg->ts = e->ts;
            e->frame = 0;
            return;
        }
    }
}

/* Called before libnids processes a TCP packet with payload of a followed session: one that
 * lies beyond the next expected byte will be queued, so its origin is remembered. */
static void note_if_early(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    const current_tcp *p = &R.pkt;
    uint32_t next = dir == REASM_FROM_CLIENT ? expected_seq(&a->server, &a->client)
                                             : expected_seq(&a->client, &a->server);

    if (p->len == 0 || s->handle == NULL || !seq_before(next, p->seq))
        return;
    early_seg *e = &s->early[s->early_next++ % EARLY_SEGS];
    e->seq = p->seq;
    e->len = p->len;
    e->frame = R.frame;
    e->ts = R.ts;
    e->dir = dir;
}

static void emit(session *s, reasm_tcp_event *ev, reasm_event_kind kind, int dir)
{
    ev->kind = kind;
    ev->from = (reasm_dir)dir;
    ev->ts = R.ts;
    ev->frame = R.frame;
    R.cb.tcp_event(R.cb.ctx, s->handle, ev);
}

/* Evidence for the diagnostics, taken before libnids digests the packet: a FIN, a zero
 * window, or payload that starts before the next byte libnids expects (sent before, so a
 * retransmission; a keep-alive probe of one old byte is not). */
static void note_tcp_events(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    const current_tcp *p = &R.pkt;
    reasm_tcp_event ev = {0};

    if (s->handle == NULL || R.cb.tcp_event == NULL)
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

/* The caller stopped following the session from its data callback. */
static void unfollow(session *s)
{
    s->handle = NULL;
    R.stats.sessions--;
    stop_collecting(s->tcp, 1);
}

/* New bytes sit at the end of the half's buffer; since nids_discard is never called, the
 * buffer holds exactly them, but the general formula from API.txt is used anyway. */
static void deliver(session *s, const struct half_stream *h, const struct half_stream *sender,
                    reasm_dir dir)
{
    reasm_segment seg;

    if (h->count_new <= 0 || R.cb.data == NULL || s->handle == NULL)
        return;
    seg.data = (const uint8_t *)h->data + (h->count - h->offset - h->count_new);
    seg.len = (size_t)h->count_new;
    seg.ts = R.ts;
    seg.frame = R.frame;
    seg.dir = dir;
    claim_early(s, expected_seq(h, sender) - (uint32_t)h->count_new, dir, &seg);
    R.unfollow = 0;
    R.cb.data(R.cb.ctx, s->handle, &seg);
    if (R.unfollow)
        unfollow(s);
    R.unfollow = 0;
}

void reasm_unfollow(void)
{
    R.unfollow = 1;
}

/* libnids' closing timeout (10 s after FINs, tcp_workarounds) runs through the head of
 * nids_tcp_timeouts; any other NIDS_TIMED_OUT is the eviction of the oldest stream. */
static int is_closing_timeout(const struct tcp_stream *a)
{
    return nids_tcp_timeouts != NULL && nids_tcp_timeouts->a_tcp == a &&
           nids_tcp_timeouts->timeout.tv_sec <= R.ts.tv_sec;
}

static void on_tcp(struct tcp_stream *a, void **unused)
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
        note_fin(s);
        end_session(s, REASM_END_FIN, R.frame, R.ts, s->fin_first);
        break;
    case NIDS_RESET:
        end_session(s, REASM_END_RST, R.frame, R.ts, current_sender(a));
        break;
    case NIDS_TIMED_OUT:
        /* Neither is a packet of this stream, hence frame 0. */
        if (is_closing_timeout(a)) {
            end_fin_or(s, REASM_END_TIMEOUT, 0, R.ts);
            break;
        }
        if (s->handle != NULL)
            R.stats.evicted++;
        end_fin_or(s, REASM_END_EVICTED, 0, R.ts);
        break;
    default:
        break;
    }
}

/* ---- per packet ---- */

/* RFC 1071 sum over the TCP segment (at hl in the IP packet) and its pseudo-header; 1 when it
 * verifies. */
static int tcp_checksum_ok(pkt_view *ip, size_t hl)
{
    uint32_t sum = IPPROTO_TCP + (uint32_t)(ip->len - hl);

    sum = pkt_sum(ip, 12, 8, sum);
    sum = pkt_sum(ip, hl, ip->len - hl, sum);
    return pkt_fold(sum) == 0xffff;
}

/* A client SYN with a new sequence number on the 4-tuple of a live stream means the port
 * was reused, so the old connection is gone even though its end was not seen. libnids would
 * ignore the SYN (tcp_flow_timeout is 0, see configure_libnids), and the new
 * connection would stay invisible; so the old stream is ended and freed here, before libnids
 * sees the SYN. A retransmitted SYN of the current connection has the old sequence number and
 * is left. */
static void check_port_reuse(pkt_view *ip, size_t hl)
{
    const current_tcp *p = &R.pkt;
    struct tcp_stream *a;

    if ((p->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
        return;
    a = find_stream(p->saddr, p->sport, p->daddr, p->dport);
    if (a == NULL)
        return;
    if (p->seq + 1 == a->client.first_data_seq)
        return;
    if (R.cfg.verify_checksums && !tcp_checksum_ok(ip, hl))
        return;
    if (a->user != NULL)
        end_fin_or(a->user, REASM_END_TIMEOUT, R.frame, R.ts);
    nids_free_tcp_stream(a); /* safe: not inside a tcp callback of a */
}

/* A packet of no session's stream: kept for midflow, unless it is a SYN (a new stream) or,
 * under --verify-checksums, a packet libnids will drop. Its payload pointer may not outlive
 * libnids' processing (a reassembled IPv4 datagram is freed), so the first bytes are copied. */
static void mark_unfollowed(pkt_view *ip, size_t hl, size_t thl)
{
    current_tcp *p = &R.pkt;

    if ((p->flags & (TH_SYN | TH_ACK)) == TH_SYN)
        return;
    if (R.cfg.verify_checksums && !tcp_checksum_ok(ip, hl))
        return;
    p->unfollowed = 1;
    if (p->len == 0)
        return;
    size_t n = p->len < REASM_UNSEEN_SAMPLE ? p->len : REASM_UNSEEN_SAMPLE;
    const uint8_t *payload = pkt_bytes(ip, hl + thl, n);
    if (payload != NULL)
        memcpy(p->sample, payload, n);
}

/* The stream of the current packet and the side that sent it; NULL when there is none. */
static struct tcp_stream *current_stream(int *dir)
{
    const current_tcp *p = &R.pkt;
    struct tcp_stream *a = find_stream(p->saddr, p->sport, p->daddr, p->dport);

    *dir = REASM_FROM_CLIENT;
    if (a == NULL) {
        a = find_stream(p->daddr, p->dport, p->saddr, p->sport);
        *dir = REASM_FROM_SERVER;
    }
    return a;
}

/* The TCP header (at hl in the IP packet) into R.pkt; returns its length. */
static size_t read_tcp(pkt_view *ip, size_t hl)
{
    current_tcp *p = &R.pkt;
    pkt_view th = pkt_rest(ip, hl);
    size_t thl = (pkt_u8(&th, 12) >> 4) * 4u;

    p->valid = 1;
    p->saddr = addr_at(ip, 12);
    p->daddr = addr_at(ip, 16);
    p->sport = pkt_be16(&th, 0);
    p->dport = pkt_be16(&th, 2);
    p->seq = pkt_be32(&th, 4);
    p->flags = pkt_u8(&th, 13);
    p->window = pkt_be16(&th, 14);
    p->len = (uint32_t)(ip->len > hl + thl ? ip->len - hl - thl : 0);
    return thl;
}

/* Registered as a libnids IP callback, so it runs for every IP datagram libnids accepted
 * (defragmented, headers checked) just before libnids' own TCP processing of it. libnids
 * passes only a datagram whose 20-byte header it checked and whose total length it holds
 * (gen_ip_frag_proc drops the others; a reassembled one is allocated at that length), so the
 * packet is read as a view of its total length. */
static void on_ip(struct ip *iph, int skblen)
{
    pkt_view header = pkt_view_of((const uint8_t *)iph, 20);
    pkt_view ip = pkt_view_of((const uint8_t *)iph, pkt_be16(&header, 2));
    size_t hl = (pkt_u8(&ip, 0) & 0x0fu) * 4u, thl;
    struct tcp_stream *a;
    int dir;

    (void)skblen;
    if (pkt_u8(&ip, 9) != IPPROTO_TCP || ip.len < hl + 20)
        return;
    thl = read_tcp(&ip, hl);
    check_port_reuse(&ip, hl);
    a = current_stream(&dir);
    if (a != NULL && a->user != NULL) {
        R.pkt.stream = a;
        note_if_early(a, dir);
        note_tcp_events(a, dir);
    } else {
        mark_unfollowed(&ip, hl, thl);
    }
}

/* After libnids processed the packet: a session's stream is marked active (O(1): a move to
 * the tail) with the FIN it may have carried; a packet of no session goes to midflow, unless
 * it completed a handshake. */
static void after_packet(void)
{
    const current_tcp *p = &R.pkt;
    struct tcp_stream *a = p->stream;
    int dir;

    if (a == NULL && p->unfollowed) {
        a = current_stream(&dir);
        if (a != NULL && a->user == NULL && p->len == 0)
            return; /* a handshake under way */
        if (a == NULL || a->user == NULL) {
            midflow_pkt m = {p->saddr,  p->daddr, p->sport, p->dport, p->flags,
                             p->sample, p->len,   R.frame,  R.ts,     a != NULL};
            midflow_note(&m);
            return;
        }
    }
    if (a == NULL || a->user == NULL)
        return;
    session *s = a->user;
    s->last = R.ts;
    s->last_frame = R.frame;
    list_remove(BY_ACTIVITY, s);
    list_append(BY_ACTIVITY, s);
    note_fin(s);
}

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
static void expire_idle(void)
{
    session *s;

    if (R.idle.tv_sec == 0 && R.idle.tv_usec == 0)
        return;
    while ((s = R.order[BY_ACTIVITY].head) != NULL) {
        struct timeval deadline = tv_add(s->last, R.idle);
        struct tcp_stream *a = s->tcp;
        int both_fin = half_sent_fin(&a->client) && half_sent_fin(&a->server);

        if (!timercmp(&R.ts, &deadline, >))
            return;
        if (s->handle != NULL)
            R.stats.idle_expired++;
        R.at = (reasm_position){R.frame, REASM_AT_IDLE_EXPIRY, s->last_frame};
        note_fin(s);
        /* Both FINs seen and only the last ACK missing: that session closed normally. */
        if (both_fin)
            end_session(s, REASM_END_FIN, 0, deadline, s->fin_first);
        else
            end_session(s, REASM_END_TIMEOUT, 0, deadline, -1);
        nids_free_tcp_stream(a); /* so libnids forgets it too */
    }
}

/* One IPv4 packet (real or rewritten) through libnids. */
static void feed(const uint8_t *ip, size_t len)
{
    struct pcap_pkthdr hdr;

    memset(&hdr, 0, sizeof hdr);
    hdr.ts = R.ts;
    hdr.caplen = hdr.len = (bpf_u_int32)len;
    memset(&R.pkt, 0, sizeof R.pkt);
    /* libnids takes non-const pointers but does not write through them. */
    nids_pcap_handler(NULL, &hdr, (u_char *)ip);
    after_packet();
}

/* Real IPv4 packets from or to the synthetic range could join a rewritten IPv6 stream. */
static int synthetic_ip4(const net_packet *p)
{
    pkt_view ip = pkt_view_of(p->ip, p->caplen);

    if (!pkt_have(&ip, 0, 20))
        return 0;
    return ip6_is_synthetic(addr_at(&ip, 12)) || ip6_is_synthetic(addr_at(&ip, 16));
}

static void packet6(const net_packet *p)
{
    const uint8_t *ip4;
    size_t len;

    switch (ip6_translate(p, R.ts, &ip4, &len)) {
    case IP6_PACKET:
        R.stats.ip6_packets++;
        feed(ip4, len);
        break;
    case IP6_MALFORMED:
    case IP6_NO_ROOM:
        R.stats.warn_ip++;
        break;
    case IP6_NOTHING:
        break;
    }
}

/* Time moves on to this frame: sessions idle too long end first. */
static void advance(uint64_t frame, const struct pcap_pkthdr *hdr)
{
    R.frame = frame;
    R.ts = hdr->ts;
    expire_idle();
}

void reasm_tick(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *p)
{
    if (R.active && p->family != NET_NONE)
        advance(frame, hdr);
}

void reasm_now(reasm_position *at)
{
    *at = R.at;
}

void reasm_packet_decoded(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *p)
{
    if (!R.active || p->family == NET_NONE)
        return;
    advance(frame, hdr);
    R.stats.packets++;
    R.at = (reasm_position){frame, REASM_AT_PACKET, 0};
    if (p->family == NET_IP6)
        packet6(p);
    else if (synthetic_ip4(p))
        R.stats.warn_ip++;
    else
        feed(p->ip, p->caplen);
}

void reasm_packet(uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes)
{
    net_packet p;

    if (!R.active)
        return;
    net_decode(R.dlt, bytes, hdr->caplen, &p);
    reasm_packet_decoded(frame, hdr, &p);
}

/* ---- setup and teardown ---- */

static void count_warning(int type, int errnum, struct ip *iph, void *data)
{
    (void)errnum;
    (void)iph;
    (void)data;
    if (type == NIDS_WARN_IP)
        R.stats.warn_ip++;
    else if (type == NIDS_WARN_TCP)
        R.stats.warn_tcp++; /* includes NIDS_WARN_TCP_TOOMUCH: table full */
}

static void report_unseen(const reasm_unseen *u)
{
    if (R.at.phase == REASM_AT_FINISH_UNSEEN)
        R.at.sub = u->first_frame;
    R.stats.unseen++;
    if (R.cb.unseen != NULL)
        R.cb.unseen(R.cb.ctx, u);
}

/* libnids keeps at most 3/4 of n_tcp_streams streams. */
static int table_size(int max_streams)
{
    long long n = ((long long)max_streams * 4 + 2) / 3;

    while (3 * n / 4 < max_streams)
        n++;
    return n > INT_MAX / 4 ? INT_MAX / 4 : (int)n; /* libnids computes 3 * n in an int */
}

static void configure_libnids(void)
{
    nids_params.pcap_desc = R.raw;
    nids_params.filename = NULL;
    nids_params.device = NULL;
    nids_params.pcap_filter = NULL;
    nids_params.n_tcp_streams = table_size(R.cfg.max_streams);
    nids_params.n_hosts = N_HOSTS;
    nids_params.scan_num_hosts = 0; /* no port-scan detection */
    nids_params.tcp_workarounds = 1;
    nids_params.one_loop_less = 0;
    nids_params.multiproc = 0;
    nids_params.dev_addon = -1; /* recomputed from the link type, not kept from a last run */
    /* With a positive tcp_flow_timeout, a client SYN on a stream older than it frees the
     * stream without any callback, which would leave our session pointing at freed memory.
     * check_port_reuse handles reused ports instead. */
    nids_params.tcp_flow_timeout = 0;
    nids_params.syslog = count_warning;
    nids_params.no_mem = out_of_memory;
}

static void set_config(const reasm_config *cfg)
{
    double t;

    if (cfg != NULL)
        R.cfg = *cfg;
    else
        R.cfg.idle_timeout = REASM_DEFAULT_IDLE_TIMEOUT;
    if (R.cfg.max_streams <= 0)
        R.cfg.max_streams = REASM_DEFAULT_MAX_STREAMS;
    t = R.cfg.idle_timeout;
    if (!(t > 0)) /* also NaN: no idle timeout */
        return;
    if (t > 1e9) /* beyond any capture; keeps the conversion defined */
        t = 1e9;
    R.idle.tv_sec = (time_t)t;
    R.idle.tv_usec = (suseconds_t)((t - (double)R.idle.tv_sec) * 1e6 + 0.5);
    if (R.idle.tv_usec >= 1000000) {
        R.idle.tv_sec++;
        R.idle.tv_usec -= 1000000;
    }
    if (R.idle.tv_sec == 0 && R.idle.tv_usec == 0)
        R.idle.tv_usec = 1; /* a tiny positive timeout must not read as "disabled" */
}

static void link_name(int dlt, char *out, size_t outlen)
{
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    if (name == NULL)
        snprintf(out, outlen, "DLT %d", dlt);
    else if (desc == NULL)
        snprintf(out, outlen, "%s", name);
    else
        snprintf(out, outlen, "%s (%s)", name, desc);
}

/* Every packet reaches libnids as bare IP through a raw-IP handle: the link layers are
 * decode.c's work, which lets IPv6, QinQ and cooked v2 captures in, and keeps libnids' own
 * link code (one VLAN tag, no SLL2) out of the way. */
int reasm_init(const reasm_config *cfg, const reasm_callbacks *cb, pcap_t *link_handle, char *err,
               size_t errlen)
{
    char name[256];
    int dlt;

    if (R.active) {
        snprintf(err, errlen, "reassembler already running (call reasm_finish first)");
        return -1;
    }
    if (cb == NULL || cb->open == NULL || link_handle == NULL) {
        snprintf(err, errlen, "reasm_init: missing callbacks or link handle");
        return -1;
    }
    dlt = pcap_datalink(link_handle);
    if (!net_link_supported(dlt)) {
        link_name(dlt, name, sizeof name);
        snprintf(err, errlen, "link type %s is not supported for TCP reassembly", name);
        return -1;
    }
    memset(&R, 0, sizeof R);
    R.dlt = dlt;
    set_config(cfg);
    R.cb = *cb;
    R.raw = pcap_open_dead(DLT_RAW, 65535);
    if (R.raw == NULL) {
        snprintf(err, errlen, "cannot start TCP reassembly: no raw-IP pcap handle");
        return -1;
    }
    configure_libnids();
    if (!nids_init()) { /* DLT_RAW is among the link types it accepts: cannot fail on it */
        snprintf(err, errlen, "cannot start TCP reassembly: %s", nids_errbuf);
        pcap_close(R.raw);
        return -1;
    }
    nids_register_tcp(on_tcp);
    nids_register_ip(on_ip); /* put first in the list, so it runs before libnids' TCP code */
    nids_register_chksum_ctl(R.cfg.verify_checksums ? NULL : &no_checksum,
                             R.cfg.verify_checksums ? 0 : 1);
    ip6_init(R.cfg.max_streams);
    midflow_init(endpoint, report_unseen);
    R.active = 1;
    return 0;
}

void reasm_finish(void)
{
    session *s;

    if (!R.active)
        return;
    while ((s = R.order[BY_OPENING].head) != NULL) {
        R.at = (reasm_position){UINT64_MAX, REASM_AT_FINISH_SESSIONS, s->open_frame};
        end_fin_or(s, REASM_END_CAPTURE_END, 0, R.ts);
    }
    R.at = (reasm_position){UINT64_MAX, REASM_AT_FINISH_UNSEEN, 0};
    midflow_finish(); /* needs the IPv6 table for the addresses */
    /* nids_init resets libnids' callback lists without freeing them, and nids_exit frees
     * only the first node of the IP list, which must be libnids' own: unregistering ours
     * first frees exactly what was allocated. */
    nids_unregister_ip(on_ip);
    nids_unregister_tcp(on_tcp);
    nids_exit(); /* its NIDS_EXITING callbacks find no session and do nothing */
    nids_register_chksum_ctl(NULL, 0);
    pcap_close(R.raw); /* after nids_exit, which reads its error buffer */
    ip6_exit();
    R.active = 0;
}

const reasm_stats *reasm_get_stats(void)
{
    return &R.stats;
}

void reasm_format_endpoint(char *out, size_t cap, const reasm_endpoint *e)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, addr, sizeof addr);
    snprintf(out, cap, e->family == 6 ? "[%s]:%u" : "%s:%u", addr, e->port);
}
