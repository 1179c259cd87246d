/* reasm_packet: one captured frame through libnids. Its IP packet (IPv6 rewritten as IPv4 by
 * ip6.c) is fed to libnids through the raw-IP handle; reasm_on_ip reads the TCP header as
 * libnids' IP layer passes it on (a reused port, the evidence, a packet of no session), and
 * after libnids is done the session is marked active or the packet goes to midflow. See
 * reasm_int.h. */
#include "reassembly/reasm_int.h"

#include <string.h>

#include "base/pkt.h"
#include "reassembly/connect.h"
#include "reassembly/ip6.h"
#include "reassembly/midflow.h"
#include "reassembly/synframe.h"
#include "reassembly/snapcut.h"

/* The address at off, in network order as libnids keeps it; 0 when it is not there. */
static uint32_t addr_at(pkt_view *ip, size_t off)
{
    const uint8_t *b = pkt_bytes(ip, off, 4);
    uint32_t a = 0;

    if (b != NULL)
        memcpy(&a, b, 4); /* packet bytes need not be aligned */
    return a;
}

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
 * ignore the SYN (tcp_flow_timeout is 0, see configure_libnids in reasm.c), and the new
 * connection would stay invisible; so the old stream is ended and freed here, before libnids
 * sees the SYN. A retransmitted SYN of the current connection has the old sequence number and
 * is left. */
static void check_port_reuse(pkt_view *ip, size_t hl)
{
    const current_tcp *p = &reasm_state.pkt;
    struct tcp_stream *a;

    if ((p->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
        return;
    a = reasm_find_stream(p->saddr, p->sport, p->daddr, p->dport);
    if (a == NULL)
        return;
    if (p->seq + 1 == a->client.first_data_seq)
        return;
    if (reasm_state.cfg.verify_checksums && !tcp_checksum_ok(ip, hl))
        return;
    if (a->user != NULL)
        reasm_end_fin_or(a->user, REASM_END_TIMEOUT, reasm_state.frame, reasm_state.ts);
    nids_free_tcp_stream(a); /* safe: not inside a tcp callback of a */
}

/* A packet of no session's stream: kept for midflow, unless it is a SYN (a new stream) or,
 * under --verify-checksums, a packet libnids will drop. Its payload pointer may not outlive
 * libnids' processing (a reassembled IPv4 datagram is freed), so the first bytes are copied. */
static void mark_unfollowed(pkt_view *ip, size_t hl, size_t thl)
{
    current_tcp *p = &reasm_state.pkt;

    if ((p->flags & (TH_SYN | TH_ACK)) == TH_SYN)
        return;
    if (reasm_state.cfg.verify_checksums && !tcp_checksum_ok(ip, hl))
        return;
    p->unfollowed = 1;
    if (p->len == 0)
        return;
    size_t n = p->len < REASM_UNSEEN_SAMPLE ? p->len : REASM_UNSEEN_SAMPLE;
    const uint8_t *payload = pkt_bytes(ip, hl + thl, n);
    if (payload != NULL)
        memcpy(p->sample, payload, n);
}

/* The stream libnids holds for the current packet and the side that sent it; NULL when there
 * is none. Two of libnids' lookups for a server's packet: only where a stream without a
 * session matters (a SYN, a packet no session took). */
static struct tcp_stream *libnids_stream(int *dir)
{
    const current_tcp *p = &reasm_state.pkt;
    struct tcp_stream *a = reasm_find_stream(p->saddr, p->sport, p->daddr, p->dport);

    *dir = REASM_FROM_CLIENT;
    if (a == NULL) {
        a = reasm_find_stream(p->daddr, p->dport, p->saddr, p->sport);
        *dir = REASM_FROM_SERVER;
    }
    return a;
}

/* The stream of the current packet's session and the side that sent it; NULL when no session
 * holds it: one lookup in reasm's own table. */
static struct tcp_stream *session_stream(int *dir)
{
    const current_tcp *p = &reasm_state.pkt;
    session *s = reasm_table_find(p->saddr, p->sport, p->daddr, p->dport, dir);

    return s != NULL ? s->tcp : NULL;
}

/* The stream of the current packet before libnids processes it: its session's, else for a
 * client SYN libnids' own (whether it already holds the connection decides if the SYN opens
 * one). Any other packet without a session is treated alike whether libnids holds a stream
 * for it or not (follow_connect, mark_unfollowed), so libnids is not asked. */
static struct tcp_stream *current_stream(int *dir)
{
    struct tcp_stream *a = session_stream(dir);

    if (a == NULL && (reasm_state.pkt.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN)
        a = libnids_stream(dir);
    return a;
}

/* The addresses (from the 20-byte IP header) and the TCP header (20 bytes at hl in the IP
 * packet, which reasm_on_ip checked are there) into reasm_state.pkt; returns the TCP header's
 * length. */
static size_t read_tcp(pkt_view *header, pkt_view *ip, size_t hl)
{
    current_tcp *p = &reasm_state.pkt;
    pkt_view th = pkt_sub(ip, hl, 20);
    size_t thl = (pkt_u8(&th, 12) >> 4) * 4u;

    p->valid = 1;
    p->saddr = addr_at(header, 12);
    p->daddr = addr_at(header, 16);
    p->sport = pkt_be16(&th, 0);
    p->dport = pkt_be16(&th, 2);
    p->seq = pkt_be32(&th, 4);
    p->flags = pkt_u8(&th, 13);
    p->window = pkt_be16(&th, 14);
    p->len = (uint32_t)(ip->len > hl + thl ? ip->len - hl - thl : 0);
    return thl;
}

/* ---- the TCP evidence, taken before libnids digests the packet ---- */

/* Called before libnids processes a TCP packet with payload of a followed session: one that
 * lies beyond the next expected byte will be queued, so its origin is remembered. */
static void note_if_early(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    const current_tcp *p = &reasm_state.pkt;
    uint32_t next = dir == REASM_FROM_CLIENT ? reasm_expected_seq(&a->server, &a->client)
                                             : reasm_expected_seq(&a->client, &a->server);

    if (p->len == 0 || s->handle == NULL || !reasm_seq_before(next, p->seq))
        return;
    early_seg *e = &s->early[s->early_next++ % EARLY_SEGS];
    e->seq = p->seq;
    e->len = p->len;
    e->frame = reasm_state.frame;
    e->ts = reasm_state.ts;
    e->dir = dir;
}

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
static void note_tcp_events(struct tcp_stream *a, int dir)
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
    uint32_t next = reasm_expected_seq(rcv, snd);
    if (!reasm_seq_before(p->seq, next) || (p->len == 1 && p->seq + 1 == next))
        return;
    uint32_t end = p->seq + p->len;
    ev.offset = p->seq - snd->first_data_seq;
    ev.len = (reasm_seq_before(end, next) ? end : next) - p->seq;
    emit(s, &ev, REASM_EV_RETRANSMISSION, dir);
}

/* The packet lost payload to the snaplen: the session's analyser hears it once, and from here
 * on gets none of its bytes (libnids sees zeroes where the payload was). */
static void note_snaplen_cut(struct tcp_stream *a, int dir)
{
    session *s = a->user;
    reasm_tcp_event ev = {0};

    if (!reasm_state.payload_cut || s->snaplen_cut)
        return;
    s->snaplen_cut = 1;
    if (s->handle != NULL && reasm_state.cb.tcp_event != NULL)
        emit(s, &ev, REASM_EV_SNAPLEN_CUT, dir);
}

/* Connection attempts (connect.h): a client SYN to a port the caller follows (not one of a
 * session whose handshake completed: a late duplicate), and while attempts wait, the packets
 * that may settle one: SYN/ACKs, RSTs, and packets of no session (a session's own packets
 * come after its handshake, which settled its attempt). Under --verify-checksums only what
 * libnids will accept counts. */
static void follow_connect(pkt_view *ip, size_t hl, const struct tcp_stream *a)
{
    const current_tcp *p = &reasm_state.pkt;
    int syn = (p->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
    int in_session = a != NULL && a->user != NULL;

    if (syn ? in_session || reasm_state.cb.wants_connect == NULL : connect_pending() == 0)
        return;
    if (!syn && in_session && !(p->flags & (TH_SYN | TH_RST)))
        return;
    if (syn && !reasm_state.cb.wants_connect(reasm_state.cb.ctx, p->dport))
        return;
    if (reasm_state.cfg.verify_checksums && !tcp_checksum_ok(ip, hl))
        return;
    connect_pkt c = {p->saddr, p->daddr,          p->sport,      p->dport,
                     p->flags, reasm_state.frame, reasm_state.ts};
    if (syn)
        connect_syn(&c);
    else
        connect_other(&c);
}

/* A client SYN that libnids will make a new stream of: where its session will begin. */
static void note_syn(void)
{
    const current_tcp *p = &reasm_state.pkt;
    synframe_note(p->saddr, p->sport, p->daddr, p->dport, reasm_state.frame);
}

/* Registered as a libnids IP callback, so it runs for every IP datagram libnids accepted
 * (defragmented, headers checked) just before libnids' own TCP processing of it. libnids
 * passes only a datagram whose 20-byte header it checked and whose total length it holds
 * (gen_ip_frag_proc drops the others; a reassembled one is allocated at that length), so the
 * header is read as a view of 20 bytes, the rest as one of the total length. */
void reasm_on_ip(struct ip *iph, int skblen)
{
    pkt_view header = pkt_view_of((const uint8_t *)iph, 20);
    pkt_view ip = pkt_view_of((const uint8_t *)iph, pkt_be16(&header, 2));
    size_t hl = (pkt_u8(&header, 0) & 0x0fu) * 4u, thl;
    struct tcp_stream *a;
    int dir;

    (void)skblen;
    if (pkt_u8(&header, 9) != IPPROTO_TCP || ip.len < hl + 20)
        return;
    thl = read_tcp(&header, &ip, hl);
    check_port_reuse(&ip, hl);
    a = current_stream(&dir);
    if (a == NULL && (reasm_state.pkt.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN)
        note_syn();
    follow_connect(&ip, hl, a);
    if (a != NULL && a->user != NULL) {
        reasm_state.pkt.stream = a;
        note_if_early(a, dir);
        note_tcp_events(a, dir);
        note_snaplen_cut(a, dir);
    } else {
        mark_unfollowed(&ip, hl, thl);
    }
}

/* A packet of no followed stream, for midflow; syn_seen: libnids holds a stream for it whose
 * handshake is not complete. */
static void to_midflow(const current_tcp *p, int syn_seen)
{
    midflow_pkt m = {.saddr = p->saddr,
                     .daddr = p->daddr,
                     .sport = p->sport,
                     .dport = p->dport,
                     .flags = p->flags,
                     .payload = p->sample,
                     .len = p->len,
                     .frame = reasm_state.frame,
                     .ts = reasm_state.ts,
                     .syn_seen = syn_seen};

    midflow_note(&m);
}

/* After libnids processed the packet: a session's stream is marked active with the FIN it may
 * have carried; a packet of no session goes to midflow, unless it completed a handshake. */
static void after_packet(void)
{
    const current_tcp *p = &reasm_state.pkt;
    struct tcp_stream *a = p->stream;
    int dir;

    if (a == NULL && p->unfollowed) {
        a = session_stream(&dir);
        if (a == NULL)
            a = libnids_stream(&dir);
        if (a != NULL && a->user == NULL && p->len == 0)
            return; /* a handshake under way */
        if (a == NULL || a->user == NULL) {
            to_midflow(p, a != NULL);
            return;
        }
    }
    if (a == NULL || a->user == NULL)
        return;
    reasm_session_seen(a->user);
}

/* One IPv4 packet (real or rewritten) through libnids. */
static void feed(const uint8_t *ip, size_t len)
{
    struct pcap_pkthdr hdr;

    memset(&hdr, 0, sizeof hdr);
    hdr.ts = reasm_state.ts;
    hdr.caplen = hdr.len = (bpf_u_int32)len;
    memset(&reasm_state.pkt, 0, sizeof reasm_state.pkt);
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

    switch (ip6_translate(p, reasm_state.ts, &ip4, &len)) {
    case IP6_PACKET:
        reasm_state.stats.ip6_packets++;
        feed(ip4, len);
        break;
    case IP6_MALFORMED:
    case IP6_NO_ROOM:
        reasm_state.stats.warn_ip++;
        break;
    case IP6_NOTHING:
        break;
    }
}

/* Time moves on to this frame: sessions idle too long end first, then attempts unanswered
 * too long. */
static void advance(uint64_t frame, const struct pcap_pkthdr *hdr)
{
    reasm_state.frame = frame;
    reasm_state.ts = hdr->ts;
    reasm_expire_idle();
    connect_expire(reasm_state.ts, frame, &reasm_state.at);
}

void reasm_tick(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *p)
{
    if (reasm_state.active && p->family != NET_NONE)
        advance(frame, hdr);
}

/* A frame the snaplen cut: its packet at full length (snapcut.h), or NULL when nothing of it
 * can be followed. Not an IP warning: the headers are whole up to the cut. */
static const net_packet *uncut(const struct pcap_pkthdr *hdr, const net_packet *p,
                               net_packet *whole)
{
    unsigned lost = 0;

    reasm_state.payload_cut = 0;
    if (hdr->caplen >= hdr->len)
        return p;
    switch (snapcut_restore(p, reasm_state.cfg.verify_checksums, whole, &lost)) {
    case SNAPCUT_RESTORED:
        reasm_state.payload_cut = (lost & SNAPCUT_PAYLOAD) != 0;
        reasm_state.stats.snaplen_window += (lost & SNAPCUT_WINDOW) != 0;
        return whole;
    case SNAPCUT_UNUSABLE:
        reasm_state.stats.snaplen_unusable++;
        return NULL;
    case SNAPCUT_WHOLE:
        break;
    }
    return p;
}

void reasm_packet_decoded(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *p)
{
    net_packet whole;

    if (!reasm_state.active || p->family == NET_NONE)
        return;
    advance(frame, hdr);
    reasm_state.stats.packets++;
    reasm_state.at = (reasm_position){frame, REASM_AT_PACKET, 0, 0};
    if ((p = uncut(hdr, p, &whole)) == NULL)
        return;
    if (p->family == NET_IP6)
        packet6(p);
    else if (synthetic_ip4(p))
        reasm_state.stats.warn_ip++;
    else
        feed(p->ip, p->caplen);
}

void reasm_packet(uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes)
{
    net_packet p;

    if (!reasm_state.active)
        return;
    net_decode(reasm_state.dlt, bytes, hdr->caplen, &p);
    reasm_packet_decoded(frame, hdr, &p);
}
