/* Tests for the link layers (sniff/decode.c), IPv6 through libnids (reassembly/ip6.c,
 * ip6frag.c) and the connections seen without a handshake (reassembly/midflow.c): frames
 * are built here byte by byte and fed to reasm as a capture would. */
#include <CUnit/CUnit.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly/reasm.h"
#include "sniff/decode.h"
#include "tests/pkt.h"
#include "tests/suites.h"

/* ---- packets ---- */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* One side of a test connection: an IPv4 or IPv6 address and a port. */
typedef struct host {
    int v6;
    uint8_t addr[16];
    uint16_t port;
} host;

typedef struct conn {
    host cli, srv;
    uint32_t cli_seq, srv_seq;
} conn;

static host host4(uint8_t last, uint16_t port)
{
    host h = {0, {10, 0, 0, last}, port};
    return h;
}

static host host6(uint8_t last, uint16_t port)
{
    host h = {1, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}, port};
    return h;
}

static conn make_conn(host cli, host srv, uint32_t isn)
{
    conn c = {cli, srv, isn, isn + 100000};
    return c;
}

/* A TCP segment (header without options, then payload) with its checksum over the
 * pseudo-header of the family; bad spoils it. Returns the segment length. */
static size_t build_tcp(uint8_t *tcp, const host *from, const host *to, uint8_t flags, uint32_t seq,
                        uint32_t ack, const char *payload, int bad)
{
    size_t len = strlen(payload), n = from->v6 ? 16 : 4;
    memset(tcp, 0, 20);
    pkt_put16(tcp, from->port);
    pkt_put16(tcp + 2, to->port);
    pkt_put32(tcp + 4, seq);
    pkt_put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    pkt_put16(tcp + 14, 65535);
    memcpy(tcp + 20, payload, len);
    uint32_t pseudo = pkt_tcp_pseudo(from->addr, to->addr, n, 20 + len);
    pkt_put16(tcp + 16, pkt_tcp_checksum(tcp, 20 + len, pseudo) ^ (bad ? 0x5a5a : 0));
    return 20 + len;
}

/* An IP packet (IPv4 or IPv6, by the hosts) around a segment; returns its length. */
static size_t build_ip(uint8_t *ip, const host *from, const host *to, const uint8_t *seg,
                       size_t seglen)
{
    if (from->v6) {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        pkt_put16(ip + 4, (uint32_t)seglen);
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, from->addr, 16);
        memcpy(ip + 24, to->addr, 16);
        memcpy(ip + 40, seg, seglen);
        return 40 + seglen;
    }
    memset(ip, 0, 20);
    ip[0] = 0x45;
    pkt_put16(ip + 2, (uint32_t)(20 + seglen));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, from->addr, 4);
    memcpy(ip + 16, to->addr, 4);
    pkt_ip4_checksum(ip);
    memcpy(ip + 20, seg, seglen);
    return 20 + seglen;
}

/* ---- recording callbacks ---- */

enum ev_type { EV_OPEN, EV_DATA, EV_END, EV_UNSEEN };

typedef struct event {
    enum ev_type type;
    int session;
    uint64_t frame;
    char data[64];
    reasm_dir dir;
    reasm_endpoint client, server;
    reasm_unseen unseen;
    char client_data[REASM_UNSEEN_SAMPLE + 1], server_data[REASM_UNSEEN_SAMPLE + 1];
} event;

#define MAX_EVENTS 64
static event events[MAX_EVENTS];
static int n_events, n_sessions, stop_after_data;
static int sessions[16];

static event *record(enum ev_type t, void *session, uint64_t frame)
{
    event *e = &events[n_events < MAX_EVENTS ? n_events++ : MAX_EVENTS - 1];
    memset(e, 0, sizeof *e);
    e->type = t;
    e->session = session ? (int)((int *)session - sessions) : -1;
    e->frame = frame;
    return e;
}

static void *rec_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                      struct timeval ts, uint64_t frame)
{
    (void)ctx;
    (void)ts;
    if (server->port != 25 || n_sessions == 16)
        return NULL;
    event *e = record(EV_OPEN, &sessions[n_sessions], frame);
    e->client = *client;
    e->server = *server;
    return &sessions[n_sessions++];
}

static void rec_data(void *ctx, void *session, const reasm_segment *seg)
{
    (void)ctx;
    event *e = record(EV_DATA, session, seg->frame);
    e->dir = seg->dir;
    memcpy(e->data, seg->data, seg->len < sizeof e->data ? seg->len : sizeof e->data - 1);
    if (stop_after_data)
        reasm_unfollow();
}

static void rec_end(void *ctx, void *session, const reasm_end *end)
{
    (void)ctx;
    record(EV_END, session, end->frame);
}

static void rec_unseen(void *ctx, const reasm_unseen *u)
{
    (void)ctx;
    event *e = record(EV_UNSEEN, NULL, u->first_frame);
    e->unseen = *u;
    e->client = u->client;
    e->server = u->server;
    memcpy(e->client_data, u->client_data, u->client_len);
    memcpy(e->server_data, u->server_data, u->server_len);
}

static const reasm_callbacks recorder = {
    .open = rec_open, .data = rec_data, .end = rec_end, .unseen = rec_unseen};

static int count(enum ev_type t)
{
    int n = 0;
    for (int i = 0; i < n_events; i++)
        n += events[i].type == t;
    return n;
}

static event *nth(enum ev_type t, int k)
{
    for (int i = 0; i < n_events; i++)
        if (events[i].type == t && k-- == 0)
            return &events[i];
    return &events[MAX_EVENTS - 1];
}

/* ---- feeding reasm ---- */

static pcap_t *eth_link;
static uint64_t frame_no;

/* An Ethernet frame around an IP packet; vlan tags: 0, 1 or 2 (QinQ). */
static size_t frame_eth(uint8_t *f, const uint8_t *ip, size_t len, int tags)
{
    size_t off = 12;
    memset(f, 0x02, 12);
    for (int t = 0; t < tags; t++) {
        pkt_put16(f + off, t == 0 && tags == 2 ? 0x88a8 : 0x8100);
        pkt_put16(f + off + 2, 7);
        off += 4;
    }
    pkt_put16(f + off, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
    memcpy(f + off + 2, ip, len);
    return off + 2 + len;
}

static void feed_ip(const uint8_t *ip, size_t len)
{
    static uint8_t f[70000];
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = 1700000000;
    h.caplen = h.len = (bpf_u_int32)frame_eth(f, ip, len, (int)(frame_no % 3));
    reasm_packet(++frame_no, &h, f);
}

static void send_raw(const conn *c, int from_srv, uint8_t flags, uint32_t seq, uint32_t ack,
                     const char *payload, int bad)
{
    uint8_t seg[2048], ip[2100];
    const host *from = from_srv ? &c->srv : &c->cli, *to = from_srv ? &c->cli : &c->srv;
    size_t n = build_tcp(seg, from, to, flags, seq, ack, payload, bad);
    feed_ip(ip, build_ip(ip, from, to, seg, n));
}

static void send_seg(conn *c, int from_srv, uint8_t flags, const char *payload)
{
    uint32_t *seq = from_srv ? &c->srv_seq : &c->cli_seq;
    uint32_t ack = from_srv ? c->cli_seq : c->srv_seq;
    send_raw(c, from_srv, flags | F_ACK, *seq, ack, payload, 0);
    *seq += (uint32_t)strlen(payload) + ((flags & F_FIN) ? 1 : 0);
}

static void handshake_sums(conn *c, int bad)
{
    send_raw(c, 0, F_SYN, c->cli_seq, 0, "", bad);
    send_raw(c, 1, F_SYN | F_ACK, c->srv_seq, c->cli_seq + 1, "", bad);
    c->cli_seq++;
    c->srv_seq++;
    send_raw(c, 0, F_ACK, c->cli_seq, c->srv_seq, "", bad);
}

static void handshake(conn *c)
{
    handshake_sums(c, 0);
}

static int start(int verify, int max_streams)
{
    reasm_config cfg = {verify, max_streams, 900.0};
    char err[256];
    reasm_finish();
    memset(events, 0, sizeof events);
    n_events = n_sessions = stop_after_data = 0;
    frame_no = 0;
    return reasm_init(&cfg, &recorder, eth_link, err, sizeof err);
}

static int suite_init(void)
{
    eth_link = pcap_open_dead(DLT_EN10MB, 65535);
    return eth_link == NULL;
}

static int suite_clean(void)
{
    reasm_finish();
    pcap_close(eth_link);
    return 0;
}

/* ---- decode ---- */

static uint8_t tcp4[64];
static size_t tcp4_len;

/* An IPv4 TCP packet from 10.0.0.1:40000 to 10.0.0.2:25 with 4 payload bytes. */
static void make_tcp4(void)
{
    host a = host4(1, 40000), b = host4(2, 25);
    uint8_t seg[64];
    size_t n = build_tcp(seg, &a, &b, F_ACK, 1, 1, "EHLO", 0);
    tcp4_len = build_ip(tcp4, &a, &b, seg, n);
}

static void expect_tcp4(int dlt, const uint8_t *f, size_t len, size_t ip_off)
{
    net_packet n;
    net_decode(dlt, f, (uint32_t)len, &n);
    CU_ASSERT_EQUAL(n.family, NET_IP4);
    CU_ASSERT_PTR_EQUAL(n.ip, f + ip_off);
    CU_ASSERT_EQUAL(n.proto, 6);
    CU_ASSERT(n.has_ports && n.sport == 40000 && n.dport == 25);
    CU_ASSERT_EQUAL(n.fragment, 0);
}

static void test_decode_link_layers(void)
{
    uint8_t f[256];
    size_t n;

    make_tcp4();
    for (int tags = 0; tags <= 2; tags++) {
        n = frame_eth(f, tcp4, tcp4_len, tags);
        expect_tcp4(DLT_EN10MB, f, n, 14 + 4u * (unsigned)tags);
    }
    memset(f, 0, 16); /* Linux cooked v1: protocol at 14 */
    pkt_put16(f + 14, 0x0800);
    memcpy(f + 16, tcp4, tcp4_len);
    expect_tcp4(DLT_LINUX_SLL, f, 16 + tcp4_len, 16);
    memset(f, 0, 20); /* cooked v2: protocol first, 20-byte header */
    pkt_put16(f, 0x0800);
    memcpy(f + 20, tcp4, tcp4_len);
    expect_tcp4(276, f, 20 + tcp4_len, 20);
    static const uint8_t af[3][4] = {{2, 0, 0, 0}, {0, 0, 0, 2}};
    for (int i = 0; i < 2; i++) { /* BSD loopback in either byte order */
        memcpy(f, af[i], 4);
        memcpy(f + 4, tcp4, tcp4_len);
        expect_tcp4(DLT_NULL, f, 4 + tcp4_len, 4);
    }
    expect_tcp4(DLT_LOOP, f, 4 + tcp4_len, 4); /* network order: 00 00 00 02 */
    expect_tcp4(DLT_RAW, tcp4, tcp4_len, 0);
    expect_tcp4(228, tcp4, tcp4_len, 0);
    f[0] = 0xff, f[1] = 0x03; /* PPP in HDLC framing */
    pkt_put16(f + 2, 0x0021);
    memcpy(f + 4, tcp4, tcp4_len);
    expect_tcp4(DLT_PPP, f, 4 + tcp4_len, 4);
}

static void test_decode_80211(void)
{
    static const uint8_t snap[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    uint8_t f[256];

    make_tcp4();
    memset(f, 0, sizeof f);
    f[2] = 8; /* radiotap header of 8 bytes, then a QoS data frame (subtype 8, type 2) */
    f[8] = 0x88;
    memcpy(f + 8 + 26, snap, 8);
    memcpy(f + 8 + 34, tcp4, tcp4_len);
    expect_tcp4(DLT_IEEE802_11_RADIO, f, 8 + 34 + tcp4_len, 42);
    f[8 + 1] = 0x40; /* protected: nothing readable */
    net_packet n;
    net_decode(DLT_IEEE802_11_RADIO, f, (uint32_t)(42 + tcp4_len), &n);
    CU_ASSERT_EQUAL(n.family, NET_NONE);
}

static void test_decode_not_ip_and_truncated(void)
{
    uint8_t f[256];
    net_packet n;
    size_t len;

    make_tcp4();
    len = frame_eth(f, tcp4, tcp4_len, 2);
    for (size_t cut = 0; cut < len; cut++) { /* every prefix: no read past it */
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, f, cut);
        net_decode(DLT_EN10MB, copy, (uint32_t)cut, &n);
        CU_ASSERT(n.family == NET_NONE || n.ip + n.caplen <= copy + cut);
        free(copy);
    }
    pkt_put16(f + 20, 0x0806); /* ARP inside the QinQ tags */
    net_decode(DLT_EN10MB, f, (uint32_t)len, &n);
    CU_ASSERT_EQUAL(n.family, NET_NONE);
    CU_ASSERT_EQUAL(net_link_supported(DLT_USB_LINUX), 0);
    CU_ASSERT_EQUAL(net_link_supported(DLT_LINUX_SLL), 1);
}

/* An IPv6 header (payload length plen, next header nh) from 2001:db8::1 to 2001:db8::2. */
static void ip6_header(uint8_t *ip, size_t plen, uint8_t nh)
{
    host a = host6(1, 0), b = host6(2, 0);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    pkt_put16(ip + 4, (uint32_t)plen);
    ip[6] = nh;
    ip[7] = 64;
    memcpy(ip + 8, a.addr, 16);
    memcpy(ip + 24, b.addr, 16);
}

static void test_decode_ip6_extension_headers(void)
{
    uint8_t ip[128];
    net_packet n;

    memset(ip, 0, sizeof ip);
    ip6_header(ip, 16 + 8 + 8 + 20, IP6_HOPOPTS);
    ip[40] = IP6_ROUTING; /* hop-by-hop, 8 bytes */
    ip[48] = IP6_DSTOPTS; /* routing, 16 bytes */
    ip[49] = 1;
    ip[64] = IP6_FRAGMENT; /* destination options, 8 bytes */
    ip[72] = IP6_TCP;      /* an atomic fragment: offset 0, no more */
    pkt_put16(ip + 80, 40000);
    pkt_put16(ip + 82, 25);
    net_decode(DLT_RAW, ip, 100, &n);
    CU_ASSERT_EQUAL(n.family, NET_IP6);
    CU_ASSERT_EQUAL(n.proto, 6);
    CU_ASSERT_EQUAL(n.l4_off, 80);
    CU_ASSERT(n.has_ports && n.sport == 40000 && n.dport == 25);
    CU_ASSERT_EQUAL(n.fragment, 0);
    pkt_put16(ip + 74, 0x0001); /* more fragments: a real one */
    net_decode(DLT_RAW, ip, 100, &n);
    CU_ASSERT(n.fragment && n.frag_off == 72 && n.l4_off == 0 && !n.has_ports);
    ip[64] = IP6_ESP; /* encrypted: no transport header to find */
    net_decode(DLT_RAW, ip, 100, &n);
    CU_ASSERT(n.family == NET_IP6 && n.proto == 0 && !n.has_ports);
    ip[49] = 200; /* a header longer than the packet */
    net_decode(DLT_RAW, ip, 100, &n);
    CU_ASSERT(n.proto == 0 && !n.has_ports);
}

/* ---- IPv6 through reasm ---- */

static void test_ip6_session(void)
{
    conn c = make_conn(host6(1, 40000), host6(0x25, 25), 1000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&c);
    send_seg(&c, 1, F_PSH, "220 mx ESMTP\r\n");
    send_seg(&c, 0, F_PSH, "EHLO a\r\n");
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_EQUAL(events[0].client.family, 6);
    CU_ASSERT_EQUAL(memcmp(events[0].client.addr, c.cli.addr, 16), 0);
    CU_ASSERT_EQUAL(events[0].client.port, 40000);
    CU_ASSERT_EQUAL(memcmp(events[0].server.addr, c.srv.addr, 16), 0);
    CU_ASSERT_EQUAL(events[0].frame, 3);
    CU_ASSERT_STRING_EQUAL(events[1].data, "220 mx ESMTP\r\n");
    CU_ASSERT_EQUAL(events[1].dir, REASM_FROM_SERVER);
    CU_ASSERT_STRING_EQUAL(events[2].data, "EHLO a\r\n");
    CU_ASSERT_EQUAL(events[2].dir, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(reasm_get_stats()->ip6_packets, 5);
    reasm_finish();
    CU_ASSERT_EQUAL(count(EV_END), 1);
}

/* An IPv6 SYN refused by a RST: the failure names the real IPv6 endpoints. */
static reasm_connect_failure refused6;
static int n_refused6;

static int any_port(void *ctx, uint16_t port)
{
    (void)ctx;
    (void)port;
    return 1;
}

static void rec_refused6(void *ctx, const reasm_connect_failure *f)
{
    (void)ctx;
    refused6 = *f;
    n_refused6++;
}

static void test_ip6_connect_refused(void)
{
    conn c = make_conn(host6(1, 40000), host6(0x25, 25), 1000);
    reasm_callbacks cb = recorder;
    reasm_config cfg = {0, 64, 900.0};
    char err[256];
    cb.wants_connect = any_port;
    cb.connect_failed = rec_refused6;
    reasm_finish();
    n_events = n_sessions = n_refused6 = 0;
    frame_no = 0;
    CU_ASSERT_FATAL(reasm_init(&cfg, &cb, eth_link, err, sizeof err) == 0);
    send_raw(&c, 0, F_SYN, c.cli_seq, 0, "", 0);
    send_raw(&c, 1, F_RST | F_ACK, 0, c.cli_seq + 1, "", 0);
    CU_ASSERT_EQUAL_FATAL(n_refused6, 1);
    CU_ASSERT_EQUAL(refused6.reason, REASM_CONNECT_REFUSED);
    CU_ASSERT_EQUAL(refused6.client.family, 6);
    CU_ASSERT_EQUAL(memcmp(refused6.client.addr, c.cli.addr, 16), 0);
    CU_ASSERT_EQUAL(memcmp(refused6.server.addr, c.srv.addr, 16), 0);
    CU_ASSERT_EQUAL(refused6.server.port, 25);
    reasm_finish();
    CU_ASSERT_EQUAL(n_refused6, 1);
}

static void test_ip6_loopback_and_mixed(void)
{
    host lo = {1, {[15] = 1}, 0};
    conn a = make_conn(lo, lo, 1000), b = make_conn(host4(1, 40001), host4(2, 25), 5000);
    conn d = make_conn(host6(7, 40002), host6(8, 25), 9000);

    a.cli.port = 40000;
    a.srv.port = 25;
    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&a); /* [::1]:40000 -> [::1]:25: one address on both sides */
    handshake(&b);
    handshake(&d);
    send_seg(&a, 1, F_PSH, "220 a\r\n");
    send_seg(&b, 1, F_PSH, "220 b\r\n");
    send_seg(&d, 1, F_PSH, "220 d\r\n");
    CU_ASSERT_EQUAL_FATAL(count(EV_OPEN), 3);
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 3);
    CU_ASSERT_EQUAL(memcmp(nth(EV_OPEN, 0)->server.addr, lo.addr, 16), 0);
    CU_ASSERT_EQUAL(nth(EV_OPEN, 1)->client.family, 4);
    CU_ASSERT_EQUAL(memcmp(nth(EV_OPEN, 2)->client.addr, d.cli.addr, 16), 0);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 0)->data, "220 a\r\n");
    CU_ASSERT_EQUAL(nth(EV_DATA, 2)->session, 2);
    reasm_finish();
}

/* The rewrite carries the TCP checksum over: under --verify-checksums a right IPv6 checksum
 * passes libnids' IPv4 check and a wrong one fails it. */
static void test_ip6_checksums_verified(void)
{
    conn c = make_conn(host6(1, 40000), host6(2, 25), 1000);
    conn d = make_conn(host6(3, 40001), host6(2, 25), 7000);

    CU_ASSERT_FATAL(start(1, 64) == 0);
    handshake(&c);
    send_raw(&c, 0, F_ACK | F_PSH, c.cli_seq, c.srv_seq, "BAD\r\n", 1);
    send_seg(&c, 0, F_PSH, "GOOD\r\n");
    handshake_sums(&d, 1);
    CU_ASSERT_EQUAL(count(EV_OPEN), 1);
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 1);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 0)->data, "GOOD\r\n");
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_tcp, 4);
    reasm_finish();
}

/* Sends one TCP segment of c as IPv6 fragments of n bytes, in the order given. */
static void send_fragments(const conn *c, const char *payload, size_t n, const int *order, int k,
                           uint32_t id)
{
    uint8_t seg[256], ip[512];
    size_t len =
        build_tcp(seg, &c->cli, &c->srv, F_ACK | F_PSH, c->cli_seq, c->srv_seq, payload, 0);
    for (int i = 0; i < k; i++) {
        size_t off = (size_t)order[i] * n, part = off + n > len ? len - off : n;
        int more = off + part < len;
        ip6_header(ip, 8 + part, IP6_FRAGMENT);
        memcpy(ip + 8, c->cli.addr, 16);
        memcpy(ip + 24, c->srv.addr, 16);
        memset(ip + 40, 0, 8);
        ip[40] = IP6_TCP;
        pkt_put16(ip + 42, (uint32_t)(off | (more ? 1u : 0u)));
        pkt_put32(ip + 44, id);
        memcpy(ip + 48, seg + off, part);
        feed_ip(ip, 48 + part);
    }
}

static void test_ip6_fragments(void)
{
    conn c = make_conn(host6(1, 40000), host6(2, 25), 1000);
    static const int forward[] = {0, 1, 2, 3}, backward[] = {3, 2, 1, 0}, dup[] = {0, 0, 1, 2, 3};

    CU_ASSERT_FATAL(start(1, 64) == 0); /* checksums verified over the reassembled segment */
    handshake(&c);
    send_fragments(&c, "MAIL FROM:<a@b>\r\n", 16, forward, 3, 1); /* 37 bytes: 3 pieces */
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 1);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 0)->data, "MAIL FROM:<a@b>\r\n");
    CU_ASSERT_EQUAL(nth(EV_DATA, 0)->frame, 6); /* the frame that completed it */
    c.cli_seq += 17;
    send_fragments(&c, "RCPT TO:<c@d>\r\n", 8, backward, 4, 2); /* 35 bytes: 5 pieces, 4 sent */
    CU_ASSERT_EQUAL(count(EV_DATA), 1);                         /* one piece is missing */
    send_fragments(&c, "RCPT TO:<c@d>\r\n", 8, (const int[]){4}, 1, 2);
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 2);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 1)->data, "RCPT TO:<c@d>\r\n");
    c.cli_seq += 15;
    send_fragments(&c, "DATA\r\n", 8, dup, 5, 3); /* an exact duplicate is ignored */
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 3);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 2)->data, "DATA\r\n");
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 0);
    reasm_finish();
}

static void test_ip6_bad_fragments(void)
{
    conn c = make_conn(host6(1, 40000), host6(2, 25), 1000);
    uint8_t ip[128];

    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&c);
    send_fragments(&c, "QUIT\r\nQUIT\r\n", 16, (const int[]){0}, 1, 9); /* 32 bytes: 2 pieces */
    ip6_header(ip, 8 + 16, IP6_FRAGMENT); /* a second piece overlapping the first */
    memcpy(ip + 8, c.cli.addr, 16);
    memcpy(ip + 24, c.srv.addr, 16);
    memset(ip + 40, 0, 8);
    ip[40] = IP6_TCP;
    pkt_put16(ip + 42, 8);
    pkt_put32(ip + 44, 9);
    memset(ip + 48, 'X', 16);
    feed_ip(ip, 64);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 1); /* RFC 5722: the datagram is dropped */
    pkt_put16(ip + 42, 8 | 1);
    feed_ip(ip, 60); /* a middle piece whose length is no multiple of 8 */
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 2);
    pkt_put16(ip + 4, 200); /* longer than captured */
    feed_ip(ip, 60);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 3);
    CU_ASSERT_EQUAL(count(EV_DATA), 0);
    reasm_finish();
}

/* Real IPv4 packets in 240.0.0.0/4, where IPv6 pairs are mapped, are dropped. */
static void test_synthetic_range_dropped(void)
{
    conn c = make_conn(host4(1, 40000), host4(2, 25), 1000);

    c.cli.addr[0] = 240;
    c.srv.addr[0] = 240;
    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&c);
    CU_ASSERT_EQUAL(count(EV_OPEN), 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 3);
    reasm_finish();
}

/* More address pairs than the table holds: the pairs of live sessions stay, others are
 * given away, and a session on a reused slot shows its own addresses. */
static void test_ip6_pair_table_reuse(void)
{
    conn live = make_conn(host6(1, 40000), host6(2, 25), 1000);

    CU_ASSERT_FATAL(start(0, 16) == 0); /* the pair table's minimum: 1024 pairs */
    handshake(&live);
    for (int i = 0; i < 2500; i++) {
        host h = host6(3, 25);
        h.addr[12] = (uint8_t)(i >> 8);
        h.addr[13] = (uint8_t)i;
        conn other = make_conn(h, host6(4, 40000), 7);
        send_raw(&other, 0, F_ACK, 7, 7, "", 0); /* a lone ACK: nothing to follow */
    }
    send_seg(&live, 1, F_PSH, "220 still here\r\n");
    CU_ASSERT_EQUAL_FATAL(count(EV_DATA), 1);
    CU_ASSERT_STRING_EQUAL(nth(EV_DATA, 0)->data, "220 still here\r\n");
    conn late = make_conn(host6(9, 40009), host6(10, 25), 3000);
    handshake(&late);
    CU_ASSERT_EQUAL_FATAL(count(EV_OPEN), 2);
    CU_ASSERT_EQUAL(memcmp(nth(EV_OPEN, 1)->client.addr, late.cli.addr, 16), 0);
    CU_ASSERT_EQUAL(memcmp(nth(EV_OPEN, 1)->server.addr, late.srv.addr, 16), 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 0);
    reasm_finish();
}

/* ---- connections without a handshake ---- */

static void test_unseen_mid_session(void)
{
    conn c = make_conn(host6(1, 40000), host6(2, 25), 1000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    send_seg(&c, 0, F_PSH, "RCPT TO:<x@y>\r\n"); /* the capture starts here */
    send_seg(&c, 1, F_PSH, "250 2.1.5 Ok\r\n");
    send_seg(&c, 0, 0, "");
    CU_ASSERT_EQUAL(n_events, 0); /* told at the end */
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(count(EV_UNSEEN), 1);
    event *e = nth(EV_UNSEEN, 0);
    CU_ASSERT_EQUAL(e->unseen.first_frame, 1);
    CU_ASSERT_EQUAL(e->unseen.last_frame, 3);
    CU_ASSERT_EQUAL(e->unseen.packets, 3);
    CU_ASSERT_EQUAL(e->unseen.bytes, 29);
    CU_ASSERT_EQUAL(e->unseen.syn_seen, 0);
    /* no SYN/ACK: the side seen first is told as the client, the pipeline decides */
    CU_ASSERT_EQUAL(e->unseen.oriented, 0);
    CU_ASSERT_EQUAL(e->client.port, 40000);
    CU_ASSERT_EQUAL(e->server.port, 25);
    CU_ASSERT_EQUAL(memcmp(e->server.addr, c.srv.addr, 16), 0);
    CU_ASSERT_STRING_EQUAL(e->server_data, "250 2.1.5 Ok\r\n");
    CU_ASSERT_STRING_EQUAL(e->client_data, "RCPT TO:<x@y>\r\n");
    CU_ASSERT_EQUAL(reasm_get_stats()->unseen, 1);
}

static void test_unseen_synack_and_incomplete(void)
{
    conn a = make_conn(host4(1, 40000), host4(2, 2500), 1000);
    conn b = make_conn(host4(3, 40001), host4(2, 25), 5000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    send_raw(&a, 1, F_SYN | F_ACK, a.srv_seq, a.cli_seq + 1, "", 0); /* its SYN was lost */
    send_raw(&b, 0, F_SYN, b.cli_seq, 0, "", 0);                     /* no SYN/ACK ever */
    b.cli_seq++;
    send_seg(&b, 0, F_PSH, "EHLO b\r\n");
    send_raw(&a, 0, F_ACK, 1, 1, "", 0); /* a lone ACK joins a's record */
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(count(EV_UNSEEN), 2);
    event *ea = nth(EV_UNSEEN, 0), *eb = nth(EV_UNSEEN, 1);
    CU_ASSERT_EQUAL(ea->server.port, 2500); /* the SYN/ACK's sender, though seen first */
    CU_ASSERT_EQUAL(ea->unseen.oriented, 1);
    CU_ASSERT_EQUAL(ea->unseen.packets, 2);
    CU_ASSERT_EQUAL(eb->unseen.syn_seen, 1);
    CU_ASSERT_EQUAL(eb->unseen.oriented, 0);
    CU_ASSERT_EQUAL(eb->client.port, 40001); /* seen first */
    CU_ASSERT_EQUAL(eb->unseen.first_frame, 3);
}

/* The tail of a connection that ended, and the packets of a refused one, are no such
 * connection. */
static void test_unseen_not_for_known_connections(void)
{
    conn c = make_conn(host4(1, 40000), host4(2, 25), 1000);
    conn r = make_conn(host4(1, 40001), host4(2, 80), 3000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&c);
    send_seg(&c, 0, F_FIN, "QUIT\r\n");
    send_seg(&c, 1, F_FIN, "221 bye\r\n");
    send_seg(&c, 0, 0, "");
    send_seg(&c, 0, 0, ""); /* a late duplicate ACK */
    handshake(&r);          /* refused by the open callback: port 80 */
    send_seg(&r, 1, F_PSH, "HTTP/1.1 200 OK\r\n");
    send_seg(&r, 0, F_PSH, "GET / HTTP/1.1\r\n");
    reasm_finish();
    CU_ASSERT_EQUAL(count(EV_UNSEEN), 0);
    CU_ASSERT_EQUAL(count(EV_OPEN), 1);
    CU_ASSERT_EQUAL(count(EV_END), 1);
}

/* Data of an earlier connection, then a new handshake on the same addresses and ports:
 * the earlier one is reported at once, the new one followed. */
static void test_unseen_then_port_reused(void)
{
    conn old = make_conn(host4(1, 40000), host4(2, 25), 1000);
    conn now = make_conn(host4(1, 40000), host4(2, 25), 900000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    send_seg(&old, 1, F_PSH, "354 go on\r\n");
    handshake(&now);
    CU_ASSERT_EQUAL_FATAL(n_events, 2);
    CU_ASSERT_EQUAL(events[0].type, EV_UNSEEN);
    CU_ASSERT_EQUAL(events[1].type, EV_OPEN);
    reasm_finish();
    CU_ASSERT_EQUAL(count(EV_UNSEEN), 1);
}

static void test_unfollow(void)
{
    conn c = make_conn(host4(1, 40000), host4(2, 25), 1000);

    CU_ASSERT_FATAL(start(0, 64) == 0);
    handshake(&c);
    stop_after_data = 1;
    send_seg(&c, 0, F_PSH, "GET / HTTP/1.1\r\n");
    send_seg(&c, 1, F_PSH, "HTTP/1.1 200 OK\r\n");
    send_seg(&c, 0, F_PSH, "more\r\n");
    reasm_finish();
    CU_ASSERT_EQUAL(count(EV_DATA), 1);
    CU_ASSERT_EQUAL(count(EV_END), 0);
    CU_ASSERT_EQUAL(count(EV_UNSEEN), 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->sessions, 0);
}

void add_link_suite(void)
{
    CU_pSuite s = CU_add_suite("link layers and IPv6", suite_init, suite_clean);

    CU_add_test(s, "decode: every link layer", test_decode_link_layers);
    CU_add_test(s, "decode: 802.11 with radiotap", test_decode_80211);
    CU_add_test(s, "decode: not IP, truncated", test_decode_not_ip_and_truncated);
    CU_add_test(s, "decode: IPv6 extension headers", test_decode_ip6_extension_headers);
    CU_add_test(s, "IPv6 session through libnids", test_ip6_session);
    CU_add_test(s, "IPv6 SYN refused: a connection failure", test_ip6_connect_refused);
    CU_add_test(s, "IPv6 loopback, IPv4 and IPv6 together", test_ip6_loopback_and_mixed);
    CU_add_test(s, "IPv6 checksums verified", test_ip6_checksums_verified);
    CU_add_test(s, "IPv6 fragments", test_ip6_fragments);
    CU_add_test(s, "IPv6 bad fragments", test_ip6_bad_fragments);
    CU_add_test(s, "synthetic range dropped", test_synthetic_range_dropped);
    CU_add_test(s, "IPv6 pair table reuse", test_ip6_pair_table_reuse);
    CU_add_test(s, "unseen: mid-session", test_unseen_mid_session);
    CU_add_test(s, "unseen: SYN/ACK only, incomplete handshake", test_unseen_synack_and_incomplete);
    CU_add_test(s, "unseen: not for known connections", test_unseen_not_for_known_connections);
    CU_add_test(s, "unseen: then port reused", test_unseen_then_port_reused);
    CU_add_test(s, "unfollow", test_unfollow);
}
