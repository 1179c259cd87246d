/* Tests for captures cut by a short snaplen (reassembly/snapcut.c, and the sessions they give
 * through reasm and the analysers) and for sessions on implicit-TLS ports. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "pop3/pop3.h"
#include "reassembly/reasm.h"
#include "reassembly/snapcut.h"
#include "smtp/smtp.h"
#include "tests/pkt.h"
#include "tests/suites.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_ACK 0x10

static const uint8_t SYN_OPTS[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2,
                                     3, 4, 0, 0,    0, 0, 1, 3,  3, 7};

/* An IPv4 TCP packet into ip: options opts (a multiple of 4), then len payload bytes of 'x'.
 * Returns its length. */
static size_t ip4_packet(uint8_t *ip, uint8_t flags, uint32_t seq, const uint8_t *opts,
                         size_t nopts, size_t len)
{
    size_t total = 20 + 20 + nopts + len;
    uint8_t *tcp = ip + 20;
    memset(ip, 0, total);
    ip[0] = 0x45;
    pkt_put16(ip + 2, (uint32_t)total);
    ip[8] = 64;
    ip[9] = 6;
    pkt_put32(ip + 12, 0x0a000001);
    pkt_put32(ip + 16, 0x0a000002);
    pkt_ip4_checksum(ip);
    pkt_put16(tcp, 40000);
    pkt_put16(tcp + 2, 25);
    pkt_put32(tcp + 4, seq);
    tcp[12] = (uint8_t)((20 + nopts) / 4 << 4);
    tcp[13] = flags;
    pkt_put16(tcp + 14, 512);
    if (nopts)
        memcpy(tcp + 20, opts, nopts);
    memset(tcp + 20 + nopts, 'x', len);
    return total;
}

/* The same as IPv6 (2001:db8::1 -> 2001:db8::2). */
static size_t ip6_packet(uint8_t *ip, uint8_t flags, uint32_t seq, size_t len)
{
    uint8_t *tcp = ip + 40;
    memset(ip, 0, 40 + 20 + len);
    ip[0] = 0x60;
    pkt_put16(ip + 4, (uint32_t)(20 + len));
    ip[6] = 6;
    ip[7] = 64;
    ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
    ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
    pkt_put16(tcp, 40000);
    pkt_put16(tcp + 2, 25);
    pkt_put32(tcp + 4, seq);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    pkt_put16(tcp + 14, 512);
    memset(tcp + 20, 'x', len);
    return 40 + 20 + len;
}

static net_packet decoded(const uint8_t *ip, uint32_t caplen)
{
    net_packet p;
    net_decode(DLT_RAW, ip, caplen, &p);
    return p;
}

static void test_whole_packet_is_left(void)
{
    uint8_t ip[128];
    size_t n = ip4_packet(ip, F_ACK, 1, NULL, 0, 30);
    net_packet p = decoded(ip, (uint32_t)n), out;
    unsigned lost = 99;
    CU_ASSERT_EQUAL(snapcut_restore(&p, 0, &out, &lost), SNAPCUT_WHOLE);
    CU_ASSERT_EQUAL(lost, 0);
}

static void test_cut_payload_restored_with_zeroes(void)
{
    uint8_t ip[256];
    size_t n = ip4_packet(ip, F_ACK, 1, NULL, 0, 100);
    net_packet p = decoded(ip, 54), out; /* 96-byte snaplen, Ethernet: 42 of 100 captured */
    unsigned lost = 0;
    CU_ASSERT_EQUAL_FATAL(snapcut_restore(&p, 0, &out, &lost), SNAPCUT_RESTORED);
    CU_ASSERT_EQUAL(lost, SNAPCUT_PAYLOAD);
    CU_ASSERT_EQUAL(out.caplen, n);
    CU_ASSERT_EQUAL(memcmp(out.ip, ip, 54), 0); /* what was captured, as it was */
    CU_ASSERT_EQUAL(out.ip[54], 0);
    CU_ASSERT_EQUAL(out.ip[n - 1], 0);
    CU_ASSERT_EQUAL(out.l4_off, 20);
}

static void test_cut_syn_options_announce_scaling(void)
{
    uint8_t ip[128];
    ip4_packet(ip, F_SYN, 1, SYN_OPTS, sizeof SYN_OPTS, 0);
    net_packet p = decoded(ip, 54), out; /* 68 bytes with Ethernet: 14 of 20 option bytes */
    unsigned lost = 0;
    CU_ASSERT_EQUAL_FATAL(snapcut_restore(&p, 0, &out, &lost), SNAPCUT_RESTORED);
    CU_ASSERT_EQUAL(lost, SNAPCUT_OPTIONS); /* a SYN has no payload to lose */
    const uint8_t *opt = out.ip + 40;
    CU_ASSERT(opt[0] == 3 && opt[1] == 3 && opt[2] == 14);
    for (unsigned i = 3; i < sizeof SYN_OPTS; i++)
        CU_ASSERT_EQUAL(opt[i], 0); /* the rest ends the options */
}

static void test_ip6_cut_inside_tcp_header(void)
{
    uint8_t ip[256];
    ip6_packet(ip, F_ACK | F_FIN, 7, 40);
    net_packet p = decoded(ip, 54), out; /* 68 with Ethernet: 14 bytes of TCP header */
    unsigned lost = 0;
    CU_ASSERT_EQUAL_FATAL(snapcut_restore(&p, 1, &out, &lost), SNAPCUT_RESTORED);
    CU_ASSERT_EQUAL(lost, SNAPCUT_PAYLOAD | SNAPCUT_WINDOW);
    CU_ASSERT_EQUAL(out.ip[40 + 13], F_ACK | F_FIN);
    pkt_view v = pkt_view_of(out.ip, out.caplen);
    CU_ASSERT_EQUAL(pkt_be16(&v, 40 + 14), 0xffff); /* never a zero window */
    uint32_t sum = pkt_sum(&v, 8, 32, 6 + 60);
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum(&v, 40, 60, sum)), 0xffff); /* the checksum verifies */
}

static void test_cut_before_flags_is_unusable(void)
{
    uint8_t ip[256];
    ip6_packet(ip, F_ACK, 7, 40);
    net_packet p = decoded(ip, 52), out;
    unsigned lost = 0;
    CU_ASSERT_EQUAL(snapcut_restore(&p, 0, &out, &lost), SNAPCUT_UNUSABLE);
}

/* ---- through the reassembly ---- */

static int opened, ended, end_reason, data_bytes, cut_events;

static int handle;

static void *on_open(void *ctx, const reasm_endpoint *c, const reasm_endpoint *s, struct timeval ts,
                     uint64_t frame)
{
    (void)ctx, (void)c, (void)s, (void)ts, (void)frame;
    opened++;
    return &handle;
}

static void on_data(void *ctx, void *session, const reasm_segment *seg)
{
    (void)ctx, (void)session;
    data_bytes += (int)seg->len;
}

static void on_end(void *ctx, void *session, const reasm_end *e)
{
    (void)ctx, (void)session;
    ended++;
    end_reason = e->reason;
}

static void on_tcp(void *ctx, void *session, const reasm_tcp_event *ev)
{
    (void)ctx, (void)session;
    cut_events += ev->kind == REASM_EV_SNAPLEN_CUT;
}

/* One packet as a raw-IP frame cut to snaplen. */
static void feed_cut(uint64_t frame, const uint8_t *ip, size_t len, uint32_t snaplen)
{
    struct pcap_pkthdr h = {.ts = {1700000000, (suseconds_t)frame}};
    h.len = (bpf_u_int32)len;
    h.caplen = (bpf_u_int32)(len < snaplen ? len : snaplen);
    reasm_packet(frame, &h, ip);
}

/* Client and server packets of one connection at 10.0.0.1:40000 <-> 10.0.0.2:25. */
static size_t tcp_pkt(uint8_t *ip, int from_server, uint8_t flags, uint32_t seq, uint32_t ack,
                      size_t len)
{
    size_t n = ip4_packet(ip, flags, seq, flags & F_SYN ? SYN_OPTS : NULL,
                          flags & F_SYN ? sizeof SYN_OPTS : 0, len);
    if (from_server) {
        pkt_put32(ip + 12, 0x0a000002);
        pkt_put32(ip + 16, 0x0a000001);
        pkt_put16(ip + 20, 25);
        pkt_put16(ip + 22, 40000);
    }
    pkt_put32(ip + 28, ack);
    return n;
}

static void test_cut_session_keeps_handshake_and_fin(void)
{
    pcap_t *raw = pcap_open_dead(DLT_RAW, 68);
    reasm_callbacks cb = {.open = on_open, .data = on_data, .end = on_end, .tcp_event = on_tcp};
    reasm_config cfg = {0, 16, 900};
    char err[256];
    uint8_t ip[256];
    uint32_t c = 1000, s = 5000;
    opened = ended = data_bytes = cut_events = 0;
    end_reason = -1;
    CU_ASSERT_EQUAL_FATAL(reasm_init(&cfg, &cb, raw, err, sizeof err), 0);
    const uint32_t snap = 54; /* tcpdump -s 68 over Ethernet */
    feed_cut(1, ip, tcp_pkt(ip, 0, F_SYN, c, 0, 0), snap);
    feed_cut(2, ip, tcp_pkt(ip, 1, F_SYN | F_ACK, s, c + 1, 0), snap);
    c++, s++;
    feed_cut(3, ip, tcp_pkt(ip, 0, F_ACK, c, s, 0), snap);
    CU_ASSERT_EQUAL(opened, 1); /* the SYNs' options were cut: still a handshake */
    feed_cut(4, ip, tcp_pkt(ip, 1, F_ACK, s, c, 100), snap);
    s += 100;
    feed_cut(5, ip, tcp_pkt(ip, 0, F_ACK, c, s, 50), snap);
    c += 50;
    feed_cut(6, ip, tcp_pkt(ip, 0, F_ACK | F_FIN, c, s, 0), snap);
    feed_cut(7, ip, tcp_pkt(ip, 1, F_ACK | F_FIN, s, c + 1, 0), snap);
    feed_cut(8, ip, tcp_pkt(ip, 0, F_ACK, c + 1, s + 1, 0), snap);
    CU_ASSERT_EQUAL(ended, 1);
    CU_ASSERT_EQUAL(end_reason, REASM_END_FIN); /* the FINs lie beyond the cut bytes */
    CU_ASSERT_EQUAL(cut_events, 1);
    CU_ASSERT_EQUAL(data_bytes, 0); /* no zeroes reach the analyser */
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_ip, 0);
    CU_ASSERT_EQUAL(reasm_get_stats()->warn_tcp, 0);
    reasm_finish();
    pcap_close(raw);
}

/* ---- the analysers ---- */

static const int64_t T0 = 1772442000000000;

static void test_smtp_cut_raises_nothing_unseen(void)
{
    smtp_session *s = smtp_session_new(T0, 1);
    smtp_feed(s, SMTP_SERVER, (const uint8_t *)"220 mx\r\n", 8, T0 + 1000, 4);
    smtp_snaplen_cut(s, T0 + 2000, 6);
    smtp_feed(s, SMTP_CLIENT, (const uint8_t *)"HELO c\r\n", 8, T0 + 3000, 6);
    smtp_end(s, SMTP_END_RST, SMTP_CLIENT, T0 + 100000000, 9);
    const smtp_report *r = smtp_get_report(s);
    CU_ASSERT(r->snaplen_cut);
    CU_ASSERT_EQUAL(r->snaplen_cut_frame, 6);
    CU_ASSERT(r->banner.seen);
    CU_ASSERT_EQUAL(r->helo[0], '\0'); /* nothing parsed after the cut */
    CU_ASSERT_EQUAL(r->flags, 0);      /* no missing_quit: the QUIT may be in the cut bytes */
    smtp_session_free(s);
}

static void test_smtp_implicit_tls(void)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03};
    smtp_session *s = smtp_session_new(T0, 1);
    smtp_implicit_tls(s);
    smtp_feed(s, SMTP_CLIENT, hello, sizeof hello, T0 + 1000, 4);
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, T0 + 100000000, 9); /* longer than --slow-banner */
    const smtp_report *r = smtp_get_report(s);
    CU_ASSERT(r->tls && r->implicit_tls);
    CU_ASSERT(!r->non_smtp);
    CU_ASSERT_EQUAL(r->flags, 0); /* neither missing_quit nor slow_banner */
    smtp_session_free(s);

    s = smtp_session_new(T0, 1); /* a server without TLS on the port greets in clear */
    smtp_implicit_tls(s);
    smtp_feed(s, SMTP_SERVER, (const uint8_t *)"220 mx\r\n", 8, T0 + 1000, 4);
    smtp_feed(s, SMTP_CLIENT, hello, sizeof hello, T0 + 2000, 5);
    smtp_feed(s, SMTP_SERVER, (const uint8_t *)"500 5.5.2 Error\r\n", 17, T0 + 3000, 6);
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, T0 + 4000, 9);
    r = smtp_get_report(s);
    CU_ASSERT(!r->tls && !r->implicit_tls);
    CU_ASSERT(r->banner.seen);
    CU_ASSERT_EQUAL(r->count.replies, 2);
    smtp_session_free(s);

    s = smtp_session_new(T0, 1); /* no byte at all: what the port promises */
    smtp_implicit_tls(s);
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, T0 + 4000, 9);
    CU_ASSERT(smtp_get_report(s)->implicit_tls && smtp_get_report(s)->tls);
    CU_ASSERT_EQUAL(smtp_get_report(s)->flags, 0);
    smtp_session_free(s);
}

static void pop3_line(pop3_session *s, flow_side from, const char *line, uint64_t frame)
{
    pop3_feed(s, from, (const uint8_t *)line, strlen(line), T0 + (int64_t)frame * 1000, frame);
}

static void test_pop3_cut_and_implicit_tls(void)
{
    pop3_session *s = pop3_session_new(T0, 1);
    pop3_line(s, FLOW_SERVER, "+OK ready\r\n", 4);
    pop3_line(s, FLOW_CLIENT, "USER a\r\n", 5);
    pop3_line(s, FLOW_SERVER, "+OK\r\n", 6);
    pop3_line(s, FLOW_CLIENT, "PASS b\r\n", 7);
    pop3_line(s, FLOW_SERVER, "+OK in\r\n", 8);
    pop3_snaplen_cut(s, T0 + 6000, 9);
    pop3_end(s, FLOW_END_FIN, FLOW_CLIENT, T0 + 7000, 10);
    const pop3_report *r = pop3_get_report(s);
    CU_ASSERT(r->snaplen_cut && r->login > 0);
    CU_ASSERT_EQUAL(r->flags, 0); /* logged in, no QUIT seen: not missing_quit after a cut */
    pop3_session_free(s);

    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03};
    s = pop3_session_new(T0, 1);
    pop3_implicit_tls(s);
    pop3_feed(s, FLOW_CLIENT, hello, sizeof hello, T0 + 1000, 4);
    pop3_end(s, FLOW_END_FIN, FLOW_CLIENT, T0 + 7000, 10);
    r = pop3_get_report(s);
    CU_ASSERT(r->tls && r->implicit_tls && !r->stls);
    pop3_session_free(s);

    s = pop3_session_new(T0, 1); /* plain POP3 on the port: parsed */
    pop3_implicit_tls(s);
    pop3_line(s, FLOW_SERVER, "+OK ready\r\n", 4);
    pop3_end(s, FLOW_END_FIN, FLOW_CLIENT, T0 + 7000, 10);
    r = pop3_get_report(s);
    CU_ASSERT(!r->tls && !r->implicit_tls && r->greeting > 0);
    pop3_session_free(s);

    s = pop3_session_new(T0, 1); /* TLS from the first byte on another port: not implicit */
    pop3_feed(s, FLOW_CLIENT, hello, sizeof hello, T0 + 1000, 4);
    pop3_end(s, FLOW_END_FIN, FLOW_CLIENT, T0 + 7000, 10);
    r = pop3_get_report(s);
    CU_ASSERT(r->tls && !r->implicit_tls);
    pop3_session_free(s);
}

void add_snapcut_suite(void)
{
    CU_pSuite s = CU_add_suite("snaplen and implicit TLS", NULL, NULL);
    CU_add_test(s, "a whole packet is left as it is", test_whole_packet_is_left);
    CU_add_test(s, "cut payload restored with zeroes", test_cut_payload_restored_with_zeroes);
    CU_add_test(s, "cut SYN options announce window scaling",
                test_cut_syn_options_announce_scaling);
    CU_add_test(s, "IPv6 cut inside the TCP header", test_ip6_cut_inside_tcp_header);
    CU_add_test(s, "cut before the TCP flags is unusable", test_cut_before_flags_is_unusable);
    CU_add_test(s, "a cut session keeps its handshake and FINs",
                test_cut_session_keeps_handshake_and_fin);
    CU_add_test(s, "SMTP: a cut raises nothing unseen", test_smtp_cut_raises_nothing_unseen);
    CU_add_test(s, "SMTP: implicit TLS", test_smtp_implicit_tls);
    CU_add_test(s, "POP3: a cut, and implicit TLS", test_pop3_cut_and_implicit_tls);
}
