/* Tests for reassembly/: hand-made IPv4/TCP packets go through reasm and libnids, and
 * recording callbacks check what comes out (sessions, bytes, directions, frames, ends). */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reassembly/reasm.h"
#include "reassembly/synframe.h"
#include "sniff/sniff.h"
#include "tests/pkt.h"
#include "tests/suites.h"

/* ---- recording callbacks ---- */

enum ev_type { EV_OPEN, EV_DATA, EV_END };

typedef struct event {
    enum ev_type type;
    int session; /* index into sessions[] */
    uint64_t frame;
    struct timeval ts;
    reasm_dir dir;
    char data[64];
    size_t len;
    reasm_end_reason reason;
    int closed_by;
    reasm_endpoint client, server;
    uint64_t first_frame, last_frame; /* EV_END: the session's packets */
} event;

#define MAX_EVENTS 64
#define MAX_SESSIONS 16

static event events[MAX_EVENTS];
static int n_events;
static int sessions[MAX_SESSIONS]; /* handles point here; the value is the server port */
static int n_sessions;
static int open_calls;
static int refuse_port; /* the open callback refuses sessions to this server port */

static event *record(enum ev_type type, void *session, uint64_t frame, struct timeval ts)
{
    event *e = &events[n_events < MAX_EVENTS ? n_events++ : MAX_EVENTS - 1];

    memset(e, 0, sizeof *e);
    e->type = type;
    e->session = session ? (int)((int *)session - sessions) : -1;
    e->frame = frame;
    e->ts = ts;
    return e;
}

static void *rec_open(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                      struct timeval ts, uint64_t frame)
{
    event *e;

    (void)ctx;
    open_calls++;
    if (server->port == refuse_port || n_sessions == MAX_SESSIONS)
        return NULL;
    sessions[n_sessions] = server->port;
    e = record(EV_OPEN, &sessions[n_sessions], frame, ts);
    e->client = *client;
    e->server = *server;
    return &sessions[n_sessions++];
}

static void rec_data(void *ctx, void *session, const reasm_segment *seg)
{
    event *e = record(EV_DATA, session, seg->frame, seg->ts);

    (void)ctx;
    e->dir = seg->dir;
    e->len = seg->len;
    memcpy(e->data, seg->data, seg->len < sizeof e->data ? seg->len : sizeof e->data - 1);
}

static void rec_end(void *ctx, void *session, const reasm_end *end)
{
    event *e = record(EV_END, session, end->frame, end->ts);

    (void)ctx;
    e->reason = end->reason;
    e->closed_by = end->closed_by;
    e->first_frame = end->first_frame;
    e->last_frame = end->last_frame;
}

static const reasm_callbacks recorder = {.open = rec_open, .data = rec_data, .end = rec_end};

static int count_type(enum ev_type type)
{
    int i, n = 0;

    for (i = 0; i < n_events; i++)
        n += events[i].type == type;
    return n;
}

/* ---- packets ---- */

typedef struct conn {
    uint32_t cli_ip, srv_ip; /* host order */
    uint16_t cli_port, srv_port;
    uint32_t cli_seq, srv_seq; /* next sequence number each side sends */
} conn;

enum { FROM_CLIENT = 0, FROM_SERVER = 1 };
enum { GOOD_SUM = 0, BAD_SUM = 1 };

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static pcap_t *raw_link;
static uint16_t next_window = 65535; /* advertised by the packets the tests build */
static uint64_t frame_no;
static time_t now_sec;
static int link_offset; /* bytes of link header before IP (0 raw, 14 Ethernet, 18 VLAN) */

/* An IPv4 header and a TCP header (no options, window 65535) with the payload after them;
 * both checksums right unless bad_sum, which spoils the TCP one. Returns the IP length. */
static size_t build_ip(uint8_t *ip, const conn *c, int from, uint8_t flags, uint32_t seq,
                       uint32_t ack, const char *payload, size_t len, int bad_sum)
{
    uint8_t *tcp = ip + 20;
    size_t total = 40 + len;
    uint32_t pseudo;

    memset(ip, 0, 40);
    ip[0] = 0x45;
    pkt_put16(ip + 2, (uint32_t)total);
    ip[8] = 64;
    ip[9] = 6;
    pkt_put32(ip + 12, from == FROM_CLIENT ? c->cli_ip : c->srv_ip);
    pkt_put32(ip + 16, from == FROM_CLIENT ? c->srv_ip : c->cli_ip);
    pkt_ip4_checksum(ip);
    pkt_put16(tcp, from == FROM_CLIENT ? c->cli_port : c->srv_port);
    pkt_put16(tcp + 2, from == FROM_CLIENT ? c->srv_port : c->cli_port);
    pkt_put32(tcp + 4, seq);
    pkt_put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    pkt_put16(tcp + 14, next_window);
    memcpy(tcp + 20, payload, len);
    pseudo = pkt_tcp_pseudo(ip + 12, ip + 16, 4, 20 + len);
    pkt_put16(tcp + 16, pkt_tcp_checksum(tcp, 20 + len, pseudo) ^ (bad_sum ? 0x5a5a : 0));
    return total;
}

/* Hands one packet to reasm as the next frame, at the current test time. */
static void send_raw(const conn *c, int from, uint8_t flags, uint32_t seq, uint32_t ack,
                     const char *payload, int bad_sum)
{
    uint8_t pkt[256];
    struct pcap_pkthdr hdr;
    size_t len = strlen(payload);

    memset(pkt, 0, (size_t)link_offset);
    if (link_offset == 14) { /* Ethernet, type IPv4 */
        pkt[12] = 0x08;
        pkt[13] = 0x00;
    } else if (link_offset == 18) { /* Ethernet, 802.1Q tag, then type IPv4 */
        pkt[12] = 0x81;
        pkt[13] = 0x00;
        pkt[15] = 7; /* VLAN 7 */
        pkt[16] = 0x08;
        pkt[17] = 0x00;
    }
    len = (size_t)link_offset +
          build_ip(pkt + link_offset, c, from, flags, seq, ack, payload, len, bad_sum);
    memset(&hdr, 0, sizeof hdr);
    hdr.ts.tv_sec = now_sec;
    hdr.ts.tv_usec = 0;
    hdr.caplen = hdr.len = (bpf_u_int32)len;
    reasm_packet(++frame_no, &hdr, pkt);
}

/* The next in-order segment from one side, acknowledging everything from the other. */
static void send_seg(conn *c, int from, uint8_t flags, const char *payload, int bad_sum)
{
    uint32_t *seq = from == FROM_CLIENT ? &c->cli_seq : &c->srv_seq;
    uint32_t ack = from == FROM_CLIENT ? c->srv_seq : c->cli_seq;

    send_raw(c, from, flags | F_ACK, *seq, ack, payload, bad_sum);
    *seq += (uint32_t)strlen(payload) + ((flags & F_FIN) ? 1 : 0);
}

static conn make_conn(uint16_t cli_port, uint32_t isn)
{
    conn c = {0x0a000001, 0x0a000002, cli_port, 25, isn, isn + 100000};
    return c;
}

static void handshake_sums(conn *c, int bad_sum)
{
    send_raw(c, FROM_CLIENT, F_SYN, c->cli_seq, 0, "", bad_sum);
    send_raw(c, FROM_SERVER, F_SYN | F_ACK, c->srv_seq, c->cli_seq + 1, "", bad_sum);
    c->cli_seq++;
    c->srv_seq++;
    send_raw(c, FROM_CLIENT, F_ACK, c->cli_seq, c->srv_seq, "", bad_sum);
}

static void handshake(conn *c)
{
    handshake_sums(c, GOOD_SUM);
}

/* ---- per test ---- */

static void reset_recorder(void)
{
    memset(events, 0, sizeof events);
    n_events = 0;
    n_sessions = 0;
    open_calls = 0;
    refuse_port = 0;
    frame_no = 0;
    now_sec = 1700000000;
    link_offset = 0;
}

static int start_on(pcap_t *link, double idle, int max_streams, int verify)
{
    reasm_config cfg = {verify, max_streams, idle};
    char err[256] = "";

    reasm_finish(); /* in case a failed assertion left the last test running */
    reset_recorder();
    if (reasm_init(&cfg, &recorder, link, err, sizeof err) != 0) {
        fprintf(stderr, "reasm_init: %s\n", err);
        return -1;
    }
    return 0;
}

static int start(void)
{
    return start_on(raw_link, 900.0, 64, 0);
}

static int suite_init(void)
{
    raw_link = pcap_open_dead(DLT_RAW, 65535);
    return raw_link == NULL;
}

static int suite_clean(void)
{
    reasm_finish(); /* libnids reads the link handle while it shuts down */
    pcap_close(raw_link);
    return 0;
}

/* ---- tests ---- */

static void test_open_on_handshake(void)
{
    conn c = make_conn(40000, 1000);
    static const uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};

    CU_ASSERT_FATAL(start() == 0);
    send_raw(&c, FROM_CLIENT, F_SYN, c.cli_seq, 0, "", GOOD_SUM);
    send_raw(&c, FROM_SERVER, F_SYN | F_ACK, c.srv_seq, c.cli_seq + 1, "", GOOD_SUM);
    CU_ASSERT_EQUAL(n_events, 0); /* not established before the client's ACK */
    now_sec++;
    send_raw(&c, FROM_CLIENT, F_ACK, c.cli_seq + 1, c.srv_seq + 1, "", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_events, 1);
    CU_ASSERT_EQUAL(events[0].type, EV_OPEN);
    CU_ASSERT_EQUAL(events[0].frame, 3);
    CU_ASSERT_EQUAL(events[0].ts.tv_sec, now_sec);
    CU_ASSERT_EQUAL(events[0].client.family, 4);
    CU_ASSERT_EQUAL(memcmp(events[0].client.addr, cli, 4), 0);
    CU_ASSERT_EQUAL(events[0].client.port, 40000);
    CU_ASSERT_EQUAL(events[0].server.family, 4);
    CU_ASSERT_EQUAL(memcmp(events[0].server.addr, srv, 4), 0);
    CU_ASSERT_EQUAL(events[0].server.port, 25);
    CU_ASSERT_EQUAL(reasm_get_stats()->sessions, 1);
    CU_ASSERT_EQUAL(reasm_get_stats()->packets, 3);
    reasm_finish();
}

static void test_data_both_directions(void)
{
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);
    send_seg(&c, FROM_SERVER, F_PSH, "220 mx ESMTP\r\n", GOOD_SUM);
    send_seg(&c, FROM_CLIENT, F_PSH, "EHLO a\r\n", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_EQUAL(events[1].type, EV_DATA);
    CU_ASSERT_EQUAL(events[1].dir, REASM_FROM_SERVER);
    CU_ASSERT_EQUAL(events[1].frame, 4);
    CU_ASSERT_EQUAL(events[1].len, 14);
    CU_ASSERT_STRING_EQUAL(events[1].data, "220 mx ESMTP\r\n");
    CU_ASSERT_EQUAL(events[2].type, EV_DATA);
    CU_ASSERT_EQUAL(events[2].dir, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(events[2].frame, 5);
    CU_ASSERT_EQUAL(events[2].len, 8);
    CU_ASSERT_STRING_EQUAL(events[2].data, "EHLO a\r\n");
    reasm_finish();
}

static void test_out_of_order_delivered_in_order(void)
{
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);
    send_raw(&c, FROM_CLIENT, F_ACK, c.cli_seq + 4, c.srv_seq, "BBBB", GOOD_SUM); /* frame 4 */
    CU_ASSERT_EQUAL(count_type(EV_DATA), 0); /* held back until the gap fills */
    send_raw(&c, FROM_CLIENT, F_ACK, c.cli_seq, c.srv_seq, "AAAA", GOOD_SUM); /* frame 5 */
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_EQUAL(events[1].type, EV_DATA);
    CU_ASSERT_STRING_EQUAL(events[1].data, "AAAA");
    CU_ASSERT_EQUAL(events[1].frame, 5);
    CU_ASSERT_EQUAL(events[2].type, EV_DATA);
    CU_ASSERT_STRING_EQUAL(events[2].data, "BBBB");
    CU_ASSERT_EQUAL(events[2].frame, 4); /* released by frame 5, carried by frame 4 */
    CU_ASSERT_EQUAL(events[2].dir, REASM_FROM_CLIENT);
    reasm_finish();
}

static void test_retransmissions_deliver_only_new_bytes(void)
{
    conn c = make_conn(40000, 1000);
    uint32_t seq;

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);
    seq = c.cli_seq;
    send_seg(&c, FROM_CLIENT, F_PSH, "MAIL", GOOD_SUM);                      /* frame 4 */
    send_raw(&c, FROM_CLIENT, F_ACK, seq, c.srv_seq, "MAIL", GOOD_SUM);      /* frame 5 */
    CU_ASSERT_EQUAL(count_type(EV_DATA), 1);                                 /* not twice */
    send_raw(&c, FROM_CLIENT, F_ACK, seq, c.srv_seq, "MAIL FROM", GOOD_SUM); /* frame 6 */
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_STRING_EQUAL(events[1].data, "MAIL");
    CU_ASSERT_EQUAL(events[1].frame, 4);
    CU_ASSERT_EQUAL(events[2].len, 5);
    CU_ASSERT_STRING_EQUAL(events[2].data, " FROM");
    CU_ASSERT_EQUAL(events[2].frame, 6);
    reasm_finish();
}

static void test_fin_from_both_sides(void)
{
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);
    send_seg(&c, FROM_CLIENT, F_FIN, "", GOOD_SUM); /* frame 4 */
    send_seg(&c, FROM_SERVER, F_FIN, "", GOOD_SUM); /* frame 5 */
    CU_ASSERT_EQUAL(count_type(EV_END), 0);         /* the last ACK is still to come */
    send_seg(&c, FROM_CLIENT, 0, "", GOOD_SUM);     /* frame 6 */
    CU_ASSERT_EQUAL_FATAL(n_events, 2);
    CU_ASSERT_EQUAL(events[1].type, EV_END);
    CU_ASSERT_EQUAL(events[1].reason, REASM_END_FIN);
    CU_ASSERT_EQUAL(events[1].closed_by, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(events[1].frame, 6);
    CU_ASSERT_EQUAL(events[1].first_frame, 1); /* the SYN */
    CU_ASSERT_EQUAL(events[1].last_frame, 6);  /* the last ACK is the session's */
    reasm_finish();
    CU_ASSERT_EQUAL(n_events, 2); /* ended once only */
}

static void test_rst_names_the_sender(void)
{
    conn a = make_conn(40001, 1000), b = make_conn(40002, 7000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&a);                                                                /* frames 1-3 */
    handshake(&b);                                                                /* frames 4-6 */
    send_seg(&a, FROM_SERVER, F_PSH, "220\r\n", GOOD_SUM);                        /* frame 7 */
    send_raw(&a, FROM_SERVER, F_RST | F_ACK, a.srv_seq, a.cli_seq, "", GOOD_SUM); /* 8 */
    send_raw(&b, FROM_CLIENT, F_RST, b.cli_seq, 0, "", GOOD_SUM);                 /* 9 */
    CU_ASSERT_EQUAL_FATAL(n_events, 5);
    CU_ASSERT_EQUAL(events[3].type, EV_END);
    CU_ASSERT_EQUAL(events[3].session, 0);
    CU_ASSERT_EQUAL(events[3].reason, REASM_END_RST);
    CU_ASSERT_EQUAL(events[3].closed_by, REASM_FROM_SERVER);
    CU_ASSERT_EQUAL(events[3].frame, 8);
    CU_ASSERT_EQUAL(events[4].type, EV_END);
    CU_ASSERT_EQUAL(events[4].session, 1);
    CU_ASSERT_EQUAL(events[4].reason, REASM_END_RST);
    CU_ASSERT_EQUAL(events[4].closed_by, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(events[4].frame, 9);
    CU_ASSERT_EQUAL(events[3].first_frame, 1);
    CU_ASSERT_EQUAL(events[3].last_frame, 8);
    CU_ASSERT_EQUAL(events[4].first_frame, 4); /* interleaved with a's frames: its own SYN */
    CU_ASSERT_EQUAL(events[4].last_frame, 9);
    reasm_finish();
}

static void test_bad_checksum_accepted_by_default(void)
{
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(start() == 0);
    handshake_sums(&c, BAD_SUM);
    send_seg(&c, FROM_CLIENT, F_PSH, "EHLO a\r\n", BAD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_events, 2);
    CU_ASSERT_EQUAL(events[0].type, EV_OPEN);
    CU_ASSERT_EQUAL(events[1].type, EV_DATA);
    CU_ASSERT_STRING_EQUAL(events[1].data, "EHLO a\r\n");
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_tcp, 0);
    reasm_finish();
}

static void test_bad_checksum_dropped_when_verifying(void)
{
    conn c = make_conn(40000, 1000), d = make_conn(40001, 5000);

    CU_ASSERT_FATAL(start_on(raw_link, 900.0, 64, 1) == 0);
    handshake(&c);                                                                 /* 1-3 */
    send_raw(&c, FROM_CLIENT, F_ACK, c.cli_seq, c.srv_seq, "EHLO a\r\n", BAD_SUM); /* 4 */
    CU_ASSERT_EQUAL(count_type(EV_DATA), 0);
    send_seg(&c, FROM_CLIENT, F_PSH, "EHLO b\r\n", GOOD_SUM); /* 5 */
    CU_ASSERT_EQUAL_FATAL(n_events, 2);
    CU_ASSERT_STRING_EQUAL(events[1].data, "EHLO b\r\n");
    CU_ASSERT_EQUAL(events[1].frame, 5);
    handshake_sums(&d, BAD_SUM); /* no stream without a good SYN */
    CU_ASSERT_EQUAL(open_calls, 1);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_tcp, 4); /* libnids warns per bad segment */
    reasm_finish();
}

static void test_finish_ends_open_sessions_in_opening_order(void)
{
    conn a = make_conn(40001, 1000), b = make_conn(40002, 2000), c = make_conn(40003, 3000);
    int i;

    CU_ASSERT_FATAL(start() == 0);
    handshake(&a);
    handshake(&b);
    handshake(&c);
    now_sec += 5;
    send_seg(&c, FROM_SERVER, F_PSH, "220 c\r\n", GOOD_SUM); /* activity now b, a.. */
    send_seg(&a, FROM_SERVER, F_PSH, "220 a\r\n", GOOD_SUM); /* ..then b, c, a */
    CU_ASSERT_EQUAL(count_type(EV_END), 0);
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(n_events, 8);
    for (i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(events[5 + i].type, EV_END);
        CU_ASSERT_EQUAL(events[5 + i].session, i); /* a, b, c */
        CU_ASSERT_EQUAL(events[5 + i].reason, REASM_END_CAPTURE_END);
        CU_ASSERT_EQUAL(events[5 + i].frame, 0);
        CU_ASSERT_EQUAL(events[5 + i].closed_by, -1);
        CU_ASSERT_EQUAL(events[5 + i].ts.tv_sec, now_sec);
    }
}

static void test_finish_after_one_sided_fin(void)
{
    conn a = make_conn(40001, 1000), b = make_conn(40002, 2000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&a);
    handshake(&b);
    send_seg(&a, FROM_CLIENT, F_FIN, "QUIT\r\n", GOOD_SUM); /* client closes.. */
    send_seg(&a, FROM_SERVER, 0, "", GOOD_SUM);             /* ..server only acks */
    send_seg(&b, FROM_SERVER, F_FIN, "", GOOD_SUM);         /* server closes, no answer */
    CU_ASSERT_EQUAL(count_type(EV_END), 0);
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(count_type(EV_END), 2);
    CU_ASSERT_EQUAL(events[n_events - 2].session, 0);
    CU_ASSERT_EQUAL(events[n_events - 2].reason, REASM_END_FIN);
    CU_ASSERT_EQUAL(events[n_events - 2].closed_by, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(events[n_events - 1].session, 1);
    CU_ASSERT_EQUAL(events[n_events - 1].reason, REASM_END_FIN);
    CU_ASSERT_EQUAL(events[n_events - 1].closed_by, REASM_FROM_SERVER);
    CU_ASSERT_EQUAL(events[n_events - 1].frame, 0);
}

static void test_idle_timeout_ends_silent_session(void)
{
    conn a = make_conn(40001, 1000), b = make_conn(40002, 2000);
    time_t t0 = 1700000000;

    CU_ASSERT_FATAL(start_on(raw_link, 60.0, 64, 0) == 0);
    handshake(&a);                                         /* frames 1-3 at t0 */
    send_seg(&a, FROM_SERVER, F_PSH, "220\r\n", GOOD_SUM); /* 4: a's last activity */
    now_sec = t0 + 30;
    handshake(&b); /* 5-7 */
    now_sec = t0 + 60;
    send_seg(&b, FROM_CLIENT, F_PSH, "EHLO\r\n", GOOD_SUM); /* 8: idle exactly 60 s */
    CU_ASSERT_EQUAL(count_type(EV_END), 0);
    now_sec = t0 + 61;
    send_seg(&b, FROM_CLIENT, F_PSH, "MAIL\r\n", GOOD_SUM); /* 9: now a is over */
    CU_ASSERT_EQUAL_FATAL(n_events, 6);
    CU_ASSERT_EQUAL(events[4].type, EV_END); /* before frame 9's bytes */
    CU_ASSERT_EQUAL(events[4].session, 0);
    CU_ASSERT_EQUAL(events[4].reason, REASM_END_TIMEOUT);
    CU_ASSERT_EQUAL(events[4].frame, 0);
    CU_ASSERT_EQUAL(events[4].ts.tv_sec, t0 + 60); /* last activity + timeout */
    CU_ASSERT_EQUAL(events[5].type, EV_DATA);
    CU_ASSERT_EQUAL(events[5].session, 1);
    CU_ASSERT_EQUAL(reasm_get_stats()->idle_expired, 1);
    send_seg(&a, FROM_CLIENT, F_PSH, "late\r\n", GOOD_SUM); /* libnids forgot a */
    CU_ASSERT_EQUAL(n_events, 6);
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(n_events, 7);
    CU_ASSERT_EQUAL(events[6].session, 1);
    CU_ASSERT_EQUAL(events[6].reason, REASM_END_CAPTURE_END);
}

static void test_activity_keeps_session_alive(void)
{
    conn a = make_conn(40001, 1000), b = make_conn(40002, 2000);
    time_t t0 = 1700000000;

    CU_ASSERT_FATAL(start_on(raw_link, 60.0, 64, 0) == 0);
    handshake(&a);
    handshake(&b);
    now_sec = t0 + 50;
    send_seg(&a, FROM_CLIENT, 0, "", GOOD_SUM); /* a pure ACK is activity too */
    now_sec = t0 + 100;
    send_seg(&b, FROM_CLIENT, F_PSH, "x", GOOD_SUM); /* b idle 100 s, a only 50 s */
    CU_ASSERT_EQUAL_FATAL(count_type(EV_END), 1);
    CU_ASSERT_EQUAL(events[2].type, EV_END);
    CU_ASSERT_EQUAL(events[2].session, 1);
    CU_ASSERT_EQUAL(events[2].reason, REASM_END_TIMEOUT);
    CU_ASSERT_EQUAL(events[2].ts.tv_sec, t0 + 60);
    reasm_finish();
    CU_ASSERT_EQUAL(events[n_events - 1].session, 0);
    CU_ASSERT_EQUAL(events[n_events - 1].reason, REASM_END_CAPTURE_END);
}

static void test_idle_session_after_both_fins_ends_as_fin(void)
{
    conn c = make_conn(40001, 1000), other = make_conn(40002, 2000);
    time_t t0 = 1700000000;

    CU_ASSERT_FATAL(start_on(raw_link, 60.0, 64, 0) == 0);
    handshake(&c);
    send_seg(&c, FROM_SERVER, F_FIN, "221 bye\r\n", GOOD_SUM); /* the server closes first */
    send_seg(&c, FROM_CLIENT, F_FIN, "", GOOD_SUM);            /* the last ACK is lost */
    now_sec = t0 + 100;
    handshake(&other);
    CU_ASSERT_EQUAL_FATAL(count_type(EV_END), 1);
    CU_ASSERT_EQUAL(events[2].type, EV_END);
    CU_ASSERT_EQUAL(events[2].session, 0);
    CU_ASSERT_EQUAL(events[2].reason, REASM_END_FIN);
    CU_ASSERT_EQUAL(events[2].closed_by, REASM_FROM_SERVER);
    CU_ASSERT_EQUAL(events[2].ts.tv_sec, t0 + 60);
    CU_ASSERT_EQUAL(reasm_get_stats()->idle_expired, 1);
    reasm_finish();
}

static void test_refused_session_is_silent(void)
{
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(start() == 0);
    refuse_port = 25;
    handshake(&c);
    send_seg(&c, FROM_SERVER, F_PSH, "220\r\n", GOOD_SUM);
    send_seg(&c, FROM_CLIENT, F_FIN, "QUIT\r\n", GOOD_SUM);
    send_seg(&c, FROM_SERVER, F_FIN, "", GOOD_SUM);
    send_seg(&c, FROM_CLIENT, 0, "", GOOD_SUM);
    reasm_finish();
    CU_ASSERT_EQUAL(open_calls, 1);
    CU_ASSERT_EQUAL(n_events, 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->sessions, 0);
}

static void test_port_reuse_starts_new_session(void)
{
    conn c = make_conn(40000, 1000), again = make_conn(40000, 90000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);                                           /* 1-3 */
    send_seg(&c, FROM_SERVER, F_PSH, "220\r\n", GOOD_SUM);   /* 4 */
    send_raw(&c, FROM_CLIENT, F_SYN, 1000, 0, "", GOOD_SUM); /* 5: old SYN again: ignored */
    CU_ASSERT_EQUAL(count_type(EV_END), 0);
    handshake(&again); /* 6-8: same 4-tuple, new sequence numbers */
    CU_ASSERT_EQUAL_FATAL(n_events, 4);
    CU_ASSERT_EQUAL(events[2].type, EV_END);
    CU_ASSERT_EQUAL(events[2].session, 0);
    CU_ASSERT_EQUAL(events[2].reason, REASM_END_TIMEOUT);
    CU_ASSERT_EQUAL(events[2].frame, 6);
    CU_ASSERT_EQUAL(events[3].type, EV_OPEN);
    CU_ASSERT_EQUAL(events[3].frame, 8);
    send_seg(&again, FROM_SERVER, F_PSH, "220 new\r\n", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_events, 5);
    CU_ASSERT_EQUAL(events[4].session, 1);
    CU_ASSERT_STRING_EQUAL(events[4].data, "220 new\r\n");
    reasm_finish();
    /* the old session's packets end at its SYN sent again, not at the new SYN that ended it */
    CU_ASSERT_EQUAL(events[2].first_frame, 1);
    CU_ASSERT_EQUAL(events[2].last_frame, 5);
    CU_ASSERT_EQUAL_FATAL(n_events, 6);
    CU_ASSERT_EQUAL(events[5].type, EV_END);
    CU_ASSERT_EQUAL(events[5].first_frame, 6); /* the new one's SYN, two frames before it opened */
    CU_ASSERT_EQUAL(events[5].last_frame, 9);
}

static void test_full_table_evicts_oldest(void)
{
    conn c[4];
    int i;

    CU_ASSERT_FATAL(start_on(raw_link, 900.0, 3, 0) == 0);
    for (i = 0; i < 4; i++) {
        c[i] = make_conn((uint16_t)(40001 + i), 1000u * (uint32_t)(i + 1));
        handshake(&c[i]);
    }
    CU_ASSERT_EQUAL(count_type(EV_END), 0); /* libnids keeps one more than its 3/4 */
    c[3].cli_port = 40009;
    handshake(&c[3]); /* a fifth stream */
    CU_ASSERT_EQUAL_FATAL(count_type(EV_END), 1);
    CU_ASSERT_EQUAL(events[4].type, EV_END);
    CU_ASSERT_EQUAL(events[4].session, 0);
    CU_ASSERT_EQUAL(events[4].reason, REASM_END_EVICTED);
    CU_ASSERT_EQUAL(events[4].frame, 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->evicted, 1);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_tcp, 1); /* NIDS_WARN_TCP_TOOMUCH */
    reasm_finish();
}

static void test_libnids_closing_timeout_ends_as_fin(void)
{
    conn c = make_conn(40000, 1000), other = make_conn(40001, 5000);

    CU_ASSERT_FATAL(start() == 0);
    handshake(&c);
    /* The client's FIN arrives before a byte it follows (lost): libnids queues it, then
     * the server's FIN starts libnids' 10 s closing timeout. */
    send_raw(&c, FROM_CLIENT, F_FIN | F_ACK, c.cli_seq + 1, c.srv_seq, "T\r\n", GOOD_SUM);
    send_seg(&c, FROM_SERVER, F_FIN, "", GOOD_SUM);
    now_sec += 9;
    handshake(&other);
    CU_ASSERT_EQUAL(count_type(EV_END), 0);
    now_sec += 1;
    send_seg(&other, FROM_CLIENT, F_PSH, "x", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(count_type(EV_END), 1);
    CU_ASSERT_EQUAL(events[2].type, EV_END);
    CU_ASSERT_EQUAL(events[2].session, 0);
    CU_ASSERT_EQUAL(events[2].reason, REASM_END_FIN);
    CU_ASSERT_EQUAL(events[2].closed_by, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(events[2].frame, 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->evicted, 0);
    reasm_finish();
}

static void test_ethernet_and_vlan_frames(void)
{
    pcap_t *eth = pcap_open_dead(DLT_EN10MB, 65535);
    conn c = make_conn(40000, 1000);

    CU_ASSERT_FATAL(eth != NULL);
    CU_ASSERT_FATAL(start_on(eth, 900.0, 64, 0) == 0);
    link_offset = 14;
    handshake(&c);
    send_seg(&c, FROM_SERVER, F_PSH, "220\r\n", GOOD_SUM);
    link_offset = 18;
    send_seg(&c, FROM_CLIENT, F_PSH, "EHLO\r\n", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_EQUAL(events[0].type, EV_OPEN);
    CU_ASSERT_EQUAL(events[0].frame, 3);
    CU_ASSERT_EQUAL(events[1].type, EV_DATA);
    CU_ASSERT_STRING_EQUAL(events[1].data, "220\r\n");
    CU_ASSERT_EQUAL(events[2].type, EV_DATA);
    CU_ASSERT_EQUAL(events[2].frame, 5);
    CU_ASSERT_STRING_EQUAL(events[2].data, "EHLO\r\n");
    reasm_finish();
    pcap_close(eth);
}

static void test_reinit_and_unsupported_link(void)
{
    pcap_t *odd = pcap_open_dead(DLT_USB_LINUX, 65535); /* no IP in it to decode */
    char err[256] = "";
    int round;

    CU_ASSERT_FATAL(odd != NULL);
    reasm_finish();
    CU_ASSERT_EQUAL(reasm_init(NULL, &recorder, odd, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "USB_LINUX"));
    pcap_close(odd);
    for (round = 0; round < 3; round++) {
        conn c = make_conn(40000, 1000);

        CU_ASSERT_FATAL(start() == 0);
        CU_ASSERT_EQUAL(reasm_init(NULL, &recorder, raw_link, err, sizeof err), -1);
        handshake(&c);
        send_seg(&c, FROM_CLIENT, F_PSH, "EHLO\r\n", GOOD_SUM);
        reasm_finish();
        CU_ASSERT_EQUAL(n_events, 3);
        CU_ASSERT_EQUAL(events[2].reason, REASM_END_CAPTURE_END);
        CU_ASSERT_EQUAL(reasm_get_stats()->sessions, 1);
    }
}

/* ---- sniff: the packets reach reasm through it, so its numbering is tested here too ---- */

static char capture_path[64];

static void sniff_record(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                         const uint8_t *bytes)
{
    event *e = record(EV_DATA, NULL, frame, hdr->ts);

    (void)ctx;
    e->len = hdr->len;
    e->data[0] = (char)bytes[9]; /* the IP protocol */
}

/* Writes a raw-IP capture whose records alternate TCP, UDP, TCP, UDP, TCP (frames 1-5, at
 * seconds 1001-1005); keep_bytes cuts the file short to make it damaged. */
static int write_capture(long keep_bytes)
{
    pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
    conn c = make_conn(40000, 1000);
    pcap_dumper_t *w;
    int fd, i;

    snprintf(capture_path, sizeof capture_path, "/tmp/smtpscope-test-XXXXXX");
    fd = mkstemp(capture_path);
    if (fd < 0 || dead == NULL)
        return -1;
    close(fd);
    w = pcap_dump_open(dead, capture_path);
    for (i = 0; w != NULL && i < 5; i++) {
        uint8_t ip[64];
        struct pcap_pkthdr hdr;

        memset(&hdr, 0, sizeof hdr);
        hdr.caplen = hdr.len = (bpf_u_int32)build_ip(ip, &c, FROM_CLIENT, F_ACK, 1, 1, "x", 1, 0);
        ip[9] = i % 2 ? 17 : 6;
        hdr.ts.tv_sec = 1001 + i;
        pcap_dump((u_char *)w, &hdr, ip);
    }
    if (w == NULL)
        return -1;
    pcap_dump_close(w);
    pcap_close(dead);
    if (keep_bytes > 0 && truncate(capture_path, keep_bytes) != 0)
        return -1;
    return 0;
}

static void test_sniff_numbers_every_record(void)
{
    sniff_config cfg = {.file = capture_path, .filter = "tcp"};
    char err[256] = "";
    const sniff_stats *st;
    sniff *s;

    reset_recorder();
    CU_ASSERT_FATAL(write_capture(0) == 0);
    s = sniff_open(&cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sniff_loop(s, sniff_record, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(n_events, 3);
    CU_ASSERT_EQUAL(events[0].frame, 1); /* Wireshark's numbers, though UDP was skipped */
    CU_ASSERT_EQUAL(events[1].frame, 3);
    CU_ASSERT_EQUAL(events[2].frame, 5);
    CU_ASSERT_EQUAL(events[1].data[0], 6);
    st = sniff_get_stats(s);
    CU_ASSERT_EQUAL(st->frames, 5);
    CU_ASSERT_EQUAL(st->matched, 3);
    CU_ASSERT_EQUAL(st->bytes, 3 * 41);
    CU_ASSERT_EQUAL(st->first.tv_sec, 1001);
    CU_ASSERT_EQUAL(st->last.tv_sec, 1005);
    CU_ASSERT_STRING_EQUAL(sniff_error(s), "");
    sniff_close(s);
    unlink(capture_path);
}

static void test_sniff_count_stops_after_matches(void)
{
    sniff_config cfg = {.file = capture_path, .filter = "udp", .count = 1};
    char err[256] = "";
    sniff *s;

    reset_recorder();
    CU_ASSERT_FATAL(write_capture(0) == 0);
    s = sniff_open(&cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sniff_loop(s, sniff_record, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(n_events, 1);
    CU_ASSERT_EQUAL(events[0].frame, 2);
    CU_ASSERT_EQUAL(sniff_get_stats(s)->frames, 2); /* record 3 is never read */
    sniff_close(s);
    unlink(capture_path);
}

static void test_sniff_damaged_file(void)
{
    sniff_config cfg = {.file = capture_path};
    char err[256] = "";
    sniff *s;

    reset_recorder();
    /* 24-byte file header, then 16 + 41 per record: cut inside the third record's data */
    CU_ASSERT_FATAL(write_capture(24 + 2 * 57 + 16 + 10) == 0);
    s = sniff_open(&cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sniff_loop(s, sniff_record, NULL), -1);
    CU_ASSERT_EQUAL(n_events, 2); /* the good records first */
    CU_ASSERT_PTR_NOT_NULL(strstr(sniff_error(s), "truncated"));
    sniff_close(s);
    unlink(capture_path);
}

static void test_sniff_open_errors(void)
{
    sniff_config missing = {.file = "/nonexistent/x.pcap"};
    sniff_config bad_filter = {.file = capture_path, .filter = "tcp port"};
    sniff_config not_capture = {.file = capture_path};
    char err[256] = "";
    FILE *f;

    CU_ASSERT_PTR_NULL(sniff_open(&missing, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err,
                           "cannot read capture '/nonexistent/x.pcap': No such file or directory");
    CU_ASSERT_FATAL(write_capture(0) == 0);
    CU_ASSERT_PTR_NULL(sniff_open(&bad_filter, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "bad filter expression 'tcp port': syntax error");
    f = fopen(capture_path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("HELO not a capture\n", f);
    fclose(f);
    CU_ASSERT_PTR_NULL(sniff_open(&not_capture, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "' is not a capture file (unknown file format)"));
    unlink(capture_path);
}

/* ---- TCP evidence for the diagnostics ---- */

static reasm_tcp_event tcp_events[8];
static int n_tcp_events;

static void rec_tcp_event(void *ctx, void *session, const reasm_tcp_event *ev)
{
    (void)ctx;
    (void)session;
    if (n_tcp_events < 8)
        tcp_events[n_tcp_events++] = *ev;
}

static void test_tcp_events(void)
{
    reasm_callbacks cb = recorder;
    reasm_config cfg = {0, 64, 900.0};
    char err[256];
    conn c = make_conn(40000, 1000);

    cb.tcp_event = rec_tcp_event;
    n_tcp_events = 0;
    reasm_finish();
    reset_recorder();
    CU_ASSERT_FATAL(reasm_init(&cfg, &cb, raw_link, err, sizeof err) == 0);
    handshake(&c);
    uint32_t seq = c.cli_seq;
    send_seg(&c, FROM_CLIENT, F_PSH, "DATA\r\n", GOOD_SUM);                  /* offsets 0..5 */
    send_raw(&c, FROM_CLIENT, F_ACK, seq + 4, c.srv_seq, "\r\nX", GOOD_SUM); /* 2 old, 1 new */
    CU_ASSERT_EQUAL_FATAL(n_tcp_events, 1);
    CU_ASSERT_EQUAL(tcp_events[0].kind, REASM_EV_RETRANSMISSION);
    CU_ASSERT_EQUAL(tcp_events[0].from, REASM_FROM_CLIENT);
    CU_ASSERT_EQUAL(tcp_events[0].offset, 4);
    CU_ASSERT_EQUAL(tcp_events[0].len, 2);
    CU_ASSERT_EQUAL(tcp_events[0].frame, frame_no);
    send_raw(&c, FROM_CLIENT, F_ACK, seq + 6, c.srv_seq, "Y", GOOD_SUM); /* a keep-alive */
    CU_ASSERT_EQUAL(n_tcp_events, 1);
    next_window = 0;
    send_seg(&c, FROM_SERVER, 0, "", GOOD_SUM);
    next_window = 65535;
    CU_ASSERT_EQUAL_FATAL(n_tcp_events, 2);
    CU_ASSERT_EQUAL(tcp_events[1].kind, REASM_EV_ZERO_WINDOW);
    CU_ASSERT_EQUAL(tcp_events[1].from, REASM_FROM_SERVER);
    send_seg(&c, FROM_CLIENT, F_FIN, "", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_tcp_events, 3);
    CU_ASSERT_EQUAL(tcp_events[2].kind, REASM_EV_FIN);
    CU_ASSERT_EQUAL(tcp_events[2].from, REASM_FROM_CLIENT);
    reasm_finish();
}

/* ---- connection attempts that failed (connect.c) ---- */

static reasm_connect_failure failures[8];
static int n_failures;
static reasm_position failure_at[8];

static int wants_port_25(void *ctx, uint16_t port)
{
    (void)ctx;
    return port == 25;
}

static void rec_connect_failed(void *ctx, const reasm_connect_failure *f)
{
    (void)ctx;
    if (n_failures < 8) {
        reasm_now(&failure_at[n_failures]);
        failures[n_failures++] = *f;
    }
}

static int start_connects(void)
{
    reasm_config cfg = {0, 64, 900.0};
    reasm_callbacks cb = recorder;
    char err[256] = "";
    cb.wants_connect = wants_port_25;
    cb.connect_failed = rec_connect_failed;
    reasm_finish();
    reset_recorder();
    n_failures = 0;
    return reasm_init(&cfg, &cb, raw_link, err, sizeof err);
}

/* SYNs sent again (the same sequence number, then a new one) are one attempt; 75 s without
 * a SYN settle it at the next packet, before that packet. */
static void test_connect_syn_unanswered(void)
{
    CU_ASSERT_FATAL(start_connects() == 0);
    conn c = make_conn(40000, 1000), other = make_conn(40001, 5000);
    send_raw(&c, FROM_CLIENT, F_SYN, c.cli_seq, 0, "", GOOD_SUM);
    now_sec += 1;
    send_raw(&c, FROM_CLIENT, F_SYN, c.cli_seq, 0, "", GOOD_SUM);
    now_sec += 2;
    send_raw(&c, FROM_CLIENT, F_SYN, c.cli_seq + 777, 0, "", GOOD_SUM);
    now_sec += 74;
    send_raw(&other, FROM_CLIENT, F_ACK, 1, 1, "", GOOD_SUM); /* 74 s: still waiting */
    CU_ASSERT_EQUAL(n_failures, 0);
    now_sec += 1;
    send_raw(&other, FROM_CLIENT, F_ACK, 1, 1, "", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_failures, 1);
    CU_ASSERT_EQUAL(failures[0].reason, REASM_CONNECT_NO_SYNACK);
    CU_ASSERT_EQUAL(failures[0].attempts, 3);
    CU_ASSERT_EQUAL(failures[0].first_frame, 1);
    CU_ASSERT_EQUAL(failures[0].last_frame, 3);
    CU_ASSERT_EQUAL(failures[0].last.tv_sec - failures[0].first.tv_sec, 3);
    CU_ASSERT_EQUAL(failures[0].client.port, 40000);
    CU_ASSERT_EQUAL(failures[0].server.port, 25);
    CU_ASSERT_EQUAL(failure_at[0].frame, 5);
    CU_ASSERT_EQUAL(failure_at[0].phase, REASM_AT_CONNECT_EXPIRY);
    CU_ASSERT_EQUAL(failure_at[0].sub, 3);
    reasm_finish();
    CU_ASSERT_EQUAL(n_failures, 1);
    CU_ASSERT_EQUAL(reasm_get_stats()->connect_failed, 1);
}

static void test_connect_refused(void)
{
    CU_ASSERT_FATAL(start_connects() == 0);
    conn c = make_conn(40010, 1000);
    send_raw(&c, FROM_CLIENT, F_SYN, c.cli_seq, 0, "", GOOD_SUM);
    send_raw(&c, FROM_SERVER, F_RST | F_ACK, 0, c.cli_seq + 1, "", GOOD_SUM);
    CU_ASSERT_EQUAL_FATAL(n_failures, 1);
    CU_ASSERT_EQUAL(failures[0].reason, REASM_CONNECT_REFUSED);
    CU_ASSERT_EQUAL(failures[0].attempts, 1);
    CU_ASSERT_EQUAL(failures[0].last_frame, 2);
    CU_ASSERT_EQUAL(failure_at[0].phase, REASM_AT_PACKET);
    reasm_finish();
    CU_ASSERT_EQUAL(n_failures, 1);
}

/* Answered attempts are not failures: a completed handshake, a SYN/ACK whose ACK never came,
 * a SYN/ACK missed by the capture (the client's ACK tells), a session's own packets, a SYN to
 * a port nobody follows. */
static void test_connect_answered_is_not_failed(void)
{
    CU_ASSERT_FATAL(start_connects() == 0);
    conn ok = make_conn(40020, 1000), half = make_conn(40021, 2000),
         missed = make_conn(40022, 3000);
    conn web = make_conn(40023, 4000);
    web.srv_port = 80;
    handshake(&ok);
    send_seg(&ok, FROM_SERVER, F_PSH, "220 hi\r\n", GOOD_SUM);
    send_raw(&half, FROM_CLIENT, F_SYN, half.cli_seq, 0, "", GOOD_SUM);
    send_raw(&half, FROM_SERVER, F_SYN | F_ACK, half.srv_seq, half.cli_seq + 1, "", GOOD_SUM);
    send_raw(&missed, FROM_CLIENT, F_SYN, missed.cli_seq, 0, "", GOOD_SUM);
    send_raw(&missed, FROM_CLIENT, F_ACK, missed.cli_seq + 1, missed.srv_seq + 1, "", GOOD_SUM);
    send_raw(&web, FROM_CLIENT, F_SYN, web.cli_seq, 0, "", GOOD_SUM);
    now_sec += 200;
    send_seg(&ok, FROM_CLIENT, F_PSH, "QUIT\r\n", GOOD_SUM);
    reasm_finish();
    CU_ASSERT_EQUAL(n_failures, 0);
}

/* At capture end an attempt is told only when its first SYN is 3 s old or more: a younger
 * one may just be waiting for its SYN/ACK. Told in the order of their first SYNs. */
static void test_connect_at_capture_end(void)
{
    CU_ASSERT_FATAL(start_connects() == 0);
    conn a = make_conn(40031, 1000), b = make_conn(40030, 2000), young = make_conn(40032, 3000);
    send_raw(&a, FROM_CLIENT, F_SYN, a.cli_seq, 0, "", GOOD_SUM);
    send_raw(&b, FROM_CLIENT, F_SYN, b.cli_seq, 0, "", GOOD_SUM);
    now_sec += 2;
    send_raw(&a, FROM_CLIENT, F_SYN, a.cli_seq, 0, "", GOOD_SUM); /* a's latest SYN after b's */
    now_sec += 1;
    send_raw(&young, FROM_CLIENT, F_SYN, young.cli_seq, 0, "", GOOD_SUM);
    reasm_finish();
    CU_ASSERT_EQUAL_FATAL(n_failures, 2);
    CU_ASSERT_EQUAL(failures[0].client.port, 40031);
    CU_ASSERT_EQUAL(failures[0].attempts, 2);
    CU_ASSERT_EQUAL(failures[1].client.port, 40030);
    CU_ASSERT_EQUAL(failure_at[0].phase, REASM_AT_FINISH_CONNECTS);
    CU_ASSERT_EQUAL(failure_at[0].sub, 1);
    CU_ASSERT_EQUAL(failure_at[1].sub, 2);
}

/* Two thousand clients that differ in their address's last byte and second byte only, all from
 * port 1024 (a benchmark's, a NAT pool's): every SYN noted is found at its handshake's end.
 * The table's first hash let such clients share one probe window and push each other out. */
static void test_synframe_keeps_similar_clients(void)
{
    enum { CLIENTS = 2000 };
    uint32_t server = inet_addr("198.19.0.25");
    for (unsigned i = 0; i < CLIENTS; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.%u.%u", i / 250, i % 250 + 1);
        synframe_note(inet_addr(a), 1024, server, 25, 100 + i);
    }
    unsigned found = 0;
    for (unsigned i = 0; i < CLIENTS; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.%u.%u", i / 250, i % 250 + 1);
        found += synframe_take(inet_addr(a), 1024, server, 25) == 100 + i;
    }
    CU_ASSERT_EQUAL(found, CLIENTS);
    CU_ASSERT_EQUAL(synframe_take(inet_addr("198.18.0.1"), 1024, server, 25), 0); /* taken */
    synframe_free();
}

void add_reasm_suite(void)
{
    CU_pSuite s = CU_add_suite("reassembly", suite_init, suite_clean);

    CU_add_test(s, "session opens on handshake", test_open_on_handshake);
    CU_add_test(s, "data in both directions", test_data_both_directions);
    CU_add_test(s, "out of order delivered in order", test_out_of_order_delivered_in_order);
    CU_add_test(s, "TCP events for the diagnostics", test_tcp_events);
    CU_add_test(s, "retransmissions deliver only new bytes",
                test_retransmissions_deliver_only_new_bytes);
    CU_add_test(s, "FIN from both sides", test_fin_from_both_sides);
    CU_add_test(s, "RST names the sender", test_rst_names_the_sender);
    CU_add_test(s, "bad checksum accepted by default", test_bad_checksum_accepted_by_default);
    CU_add_test(s, "bad checksum dropped when verifying", test_bad_checksum_dropped_when_verifying);
    CU_add_test(s, "finish ends sessions in opening order",
                test_finish_ends_open_sessions_in_opening_order);
    CU_add_test(s, "finish after one-sided FIN", test_finish_after_one_sided_fin);
    CU_add_test(s, "idle timeout ends silent session", test_idle_timeout_ends_silent_session);
    CU_add_test(s, "activity keeps session alive", test_activity_keeps_session_alive);
    CU_add_test(s, "idle session after both FINs ends as FIN",
                test_idle_session_after_both_fins_ends_as_fin);
    CU_add_test(s, "refused session is silent", test_refused_session_is_silent);
    CU_add_test(s, "port reuse starts new session", test_port_reuse_starts_new_session);
    CU_add_test(s, "full table evicts oldest", test_full_table_evicts_oldest);
    CU_add_test(s, "libnids closing timeout ends as FIN", test_libnids_closing_timeout_ends_as_fin);
    CU_add_test(s, "Ethernet and VLAN frames", test_ethernet_and_vlan_frames);
    CU_add_test(s, "re-init and unsupported link", test_reinit_and_unsupported_link);
    CU_add_test(s, "connect: SYNs unanswered, settled by the timeout", test_connect_syn_unanswered);
    CU_add_test(s, "connect: SYN refused by RST", test_connect_refused);
    CU_add_test(s, "connect: answered attempts are not failures",
                test_connect_answered_is_not_failed);
    CU_add_test(s, "connect: at capture end, 3 s old or more", test_connect_at_capture_end);
    CU_add_test(s, "SYN frames of clients alike but for an address byte",
                test_synframe_keeps_similar_clients);

    s = CU_add_suite("sniff", NULL, NULL);
    CU_add_test(s, "numbers every record", test_sniff_numbers_every_record);
    CU_add_test(s, "count stops after matches", test_sniff_count_stops_after_matches);
    CU_add_test(s, "damaged file", test_sniff_damaged_file);
    CU_add_test(s, "open errors", test_sniff_open_errors);
}
