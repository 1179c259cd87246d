/* pcapgen: writes the synthetic SMTP captures smtpscope is tested and demonstrated with.
 *
 * Every scenario is a short script of TCP events on one or more connections: handshake, data
 * from the client or the server, FIN, RST, out-of-order delivery, exact retransmission. The
 * generator keeps the sequence and acknowledgement numbers, sends the pure ACKs a receiving
 * TCP would send, and writes the frames sorted by time with fixed addresses, ports, ISNs and
 * timestamps, so every run gives byte-identical files.
 *
 * Pair scenarios script one traffic through a middlebox (a NAT box or an SMTP proxy) and
 * write what a capture on each side of it sees: the client's side (outside) and the server's
 * (inside), every crossing delayed by the box.
 *
 * Usage: pcapgen [--sample FILE] OUTDIR   every scenario as OUTDIR/<name>.pcap
 *        pcapgen --list                   the scenario names, one a line
 *        pcapgen --pairs OUTDIR           every pair as OUTDIR/<name>.outside.pcap and
 *                                         OUTDIR/<name>.inside.pcap
 *        pcapgen --list-pairs             the pair names, one a line
 * --sample FILE writes the demo capture to FILE instead of OUTDIR/sample.pcap. */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/pkt.h"

#define EPOCH 1772442000LL /* 2026-03-02 09:00:00 UTC: time 0 of every scenario */
#define SNAPLEN 65535
#define MSS 1460
#define FRAME_MAX (14 + 40 + 40 + MSS) /* IPv6, the largest SYN options */
#define MAX_CONNS 512
#define TEXT_MAX 8192

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* Receiver timing: data in order waits for the delayed-ACK timer (and usually rides on the
 * reply instead); FINs, holes and duplicates are ACKed at once. */
#define DELAYED_ACK 0.040
#define QUICK_ACK 0.0002
#define NO_ACK (-1.0)
#define WIRE_GAP 0.000012 /* one full-sized segment at 1 Gbit/s */

/* Script timing. */
#define REPLY 0.002  /* the server's answer to a command */
#define THINK 0.010  /* the client's pause before its next command */
#define QUEUE 0.080  /* the server's time to queue a message before its 250 */
#define GIVE_UP 60.0 /* how long a client waits for the reply to its end of data */

enum { CLI = 0, SRV = 1 };

typedef struct frame {
    int64_t us;   /* capture time, microseconds since the Unix epoch */
    size_t order; /* emission order: frames with equal times keep their script order */
    size_t len;
    uint8_t *bytes;
} frame;

typedef struct side {
    uint8_t mac[6];
    uint8_t ip[4];
    uint16_t port;
    uint16_t ip_id;
    uint32_t nxt;     /* next sequence number this side sends */
    uint32_t rcv;     /* next in-order sequence number expected from the peer: our ACK number */
    uint32_t ooo_end; /* end of the peer's bytes held beyond a hole, when has_ooo */
    int has_ooo;
    double ack_due;          /* when this side's owed pure ACK goes out, NO_ACK if none */
    uint8_t last[FRAME_MAX]; /* last data segment sent, byte for byte, for retransmit() */
    size_t last_len;
    uint32_t last_seq, last_span;
    uint16_t window; /* advertised in every segment this side sends */
} side;

typedef struct gen gen;

typedef struct conn {
    gen *g;
    side end[2];   /* indexed by CLI, SRV */
    double last_t; /* time of the latest frame: a script must not go back in time */
    int reset;     /* a RST was sent: nothing more may happen */
    double lag[2]; /* how long a segment from CLI, SRV takes to reach the peer: 0 but behind a
                      NAT box, whose capture points see each end's sending time */
} conn;

struct gen {
    frame *frames;
    size_t nframes, cap;
    conn *conns[MAX_CONNS];
    size_t nconns;
    int zero_tcp_csum;  /* every TCP checksum 0x0000, as captured on a host with offload */
    int linux_syn;      /* SYNs carry Linux's 20 bytes of options, not the MSS alone */
    int ip6;            /* written as IPv6: a.b.c.d becomes 2001:db8::a.b.c.d */
    unsigned snaplen;   /* written cut to this many bytes (tcpdump -s), the header says so */
    unsigned mix_ports; /* client ports overload-mix has handed out */
};

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pcapgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        fatal("out of memory");
    return p;
}

/* ---- text buffers: every overflow is a scenario bug, so it stops the program ---- */

static size_t fmt(char *out, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));

static size_t fmt(char *out, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int len = vsnprintf(out, n, f, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= n)
        fatal("text buffer too small for \"%.40s\"", f);
    return (size_t)len;
}

static void cat(char *out, size_t n, size_t *len, const char *s)
{
    size_t add = strlen(s);
    if (*len + add >= n)
        fatal("text buffer too small");
    memcpy(out + *len, s, add + 1);
    *len += add;
}

/* ---- frames ---- */

/* Ethernet and IPv4 (DF, TTL 64) headers for a TCP segment of tcplen bytes. */
static void put_eth_ipv4(uint8_t *f, const side *s, const side *r, size_t tcplen)
{
    uint8_t *ip = f + 14;
    memcpy(f, r->mac, 6);
    memcpy(f + 6, s->mac, 6);
    pkt_put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    pkt_put16(ip + 2, (uint32_t)(20 + tcplen));
    pkt_put16(ip + 4, s->ip_id);
    pkt_put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, s->ip, 4);
    memcpy(ip + 16, r->ip, 4);
    pkt_ip4_checksum(ip);
}

/* Linux's SYN options: MSS, SACK permitted, timestamps, NOP, window scale 7. */
static const uint8_t LINUX_SYN_OPTS[20] = {2, 4, MSS >> 8, MSS & 0xff, 4, 2, 8, 10, 0, 0,
                                           0, 1, 0,        0,          0, 0, 1, 3,  3, 7};

/* A whole frame: window 65535, the MSS option on SYNs (linux_syn: Linux's options). Returns its
 * length. */
static size_t build(uint8_t *f, const side *s, const side *r, uint8_t flags, uint32_t seq,
                    uint32_t ack, const uint8_t *data, size_t len, int zero_csum, int linux_syn)
{
    size_t opt = (flags & F_SYN) ? (linux_syn ? sizeof LINUX_SYN_OPTS : 4) : 0;
    size_t tcplen = 20 + opt + len;
    uint8_t *tcp = f + 14 + 20;

    put_eth_ipv4(f, s, r, tcplen);
    memset(tcp, 0, 20);
    pkt_put16(tcp, s->port);
    pkt_put16(tcp + 2, r->port);
    pkt_put32(tcp + 4, seq);
    pkt_put32(tcp + 8, ack);
    tcp[12] = (uint8_t)((20 + opt) / 4 << 4);
    tcp[13] = flags;
    pkt_put16(tcp + 14, s->window);
    if (opt == sizeof LINUX_SYN_OPTS) {
        memcpy(tcp + 20, LINUX_SYN_OPTS, opt);
    } else if (opt) {
        tcp[20] = 2; /* kind MSS, length 4 */
        tcp[21] = 4;
        pkt_put16(tcp + 22, MSS);
    }
    if (len)
        memcpy(tcp + 20 + opt, data, len);
    if (!zero_csum)
        pkt_put16(tcp + 16, pkt_tcp_checksum(tcp, tcplen, pkt_tcp_pseudo(s->ip, r->ip, 4, tcplen)));
    return 14 + 20 + tcplen;
}

static void add_frame_us(gen *g, int64_t us, const uint8_t *bytes, size_t len)
{
    if (g->nframes == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->frames = realloc(g->frames, g->cap * sizeof *g->frames);
        if (!g->frames)
            fatal("out of memory");
    }
    frame *f = &g->frames[g->nframes];
    f->us = us;
    f->order = g->nframes++;
    f->len = len;
    f->bytes = xmalloc(len);
    memcpy(f->bytes, bytes, len);
}

static int64_t stamp(double t)
{
    return EPOCH * 1000000 + (int64_t)(t * 1e6 + 0.5);
}

static void add_frame(gen *g, double t, const uint8_t *bytes, size_t len)
{
    add_frame_us(g, stamp(t), bytes, len);
}

/* ---- TCP: sequence numbers and the receiver's ACKs ---- */

static int seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

static void owe_ack(side *r, double due)
{
    if (r->ack_due < 0 || due < r->ack_due)
        r->ack_due = due; /* a running delayed-ACK timer is not restarted */
}

/* The receiver's view of a segment of `span` sequence numbers sent at t. */
static void arrive(conn *c, int to, uint32_t seq, uint32_t span, int fin, double t)
{
    side *r = &c->end[to];
    if (span == 0)
        return;
    /* Its ACK timers run from when the segment gets there. */
    t += c->lag[!to];
    if (seq != r->rcv) { /* beyond a hole, or a repeat: duplicate ACK at once */
        if (seq_after(seq, r->rcv) && (!r->has_ooo || seq_after(seq + span, r->ooo_end))) {
            r->ooo_end = seq + span;
            r->has_ooo = 1;
        }
        owe_ack(r, t + QUICK_ACK);
        return;
    }
    int filled = r->has_ooo;
    r->rcv = seq + span;
    if (r->has_ooo && seq_after(r->ooo_end, r->rcv))
        r->rcv = r->ooo_end;
    r->has_ooo = 0;
    owe_ack(r, t + (fin || filled ? QUICK_ACK : DELAYED_ACK));
}

static void tx(conn *c, int from, double t, uint8_t flags, uint32_t seq, const void *data,
               size_t len);

/* Before `from` sends at t, the pure ACKs that fell due go out; from's own owed ACK rides on
 * its segment. from < 0 flushes everything up to t. */
static void settle(conn *c, int from, double t)
{
    for (;;) {
        int s = -1;
        for (int i = 0; i < 2; i++) {
            double due = c->end[i].ack_due;
            if (due < 0 || due > t || (due == t && i == from))
                continue;
            if (s < 0 || due < c->end[s].ack_due)
                s = i;
        }
        if (s < 0)
            break;
        double due = c->end[s].ack_due;
        c->end[s].ack_due = NO_ACK;
        tx(c, s, due, F_ACK, c->end[s].nxt, NULL, 0);
    }
    if (from >= 0)
        c->end[from].ack_due = NO_ACK;
}

static void advance(conn *c, int from, double t)
{
    if (c->reset)
        fatal("segment after RST");
    if (t < c->last_t)
        fatal("scenario goes back in time (%.6f < %.6f)", t, c->last_t);
    settle(c, from, t);
    c->last_t = t;
}

/* One segment with an explicit sequence number; out-of-order helpers pick their own. */
static void tx(conn *c, int from, double t, uint8_t flags, uint32_t seq, const void *data,
               size_t len)
{
    side *s = &c->end[from];
    uint8_t f[FRAME_MAX];

    advance(c, from, t);
    uint32_t ack = (flags & F_ACK) ? s->rcv : 0;
    size_t n = build(f, s, &c->end[!from], flags, seq, ack, data, len, c->g->zero_tcp_csum,
                     c->g->linux_syn);
    s->ip_id++;
    add_frame(c->g, t, f, n);
    uint32_t span = (uint32_t)len + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
    if (len) {
        memcpy(s->last, f, n);
        s->last_len = n;
        s->last_seq = seq;
        s->last_span = span;
    }
    arrive(c, !from, seq, span, flags & F_FIN, t);
}

/* The next segment in sequence. */
static void seg(conn *c, int from, double t, uint8_t flags, const void *data, size_t len)
{
    side *s = &c->end[from];
    uint32_t seq = s->nxt;
    tx(c, from, t, flags, seq, data, len); /* a pure ACK it settles first still uses nxt */
    s->nxt = seq + (uint32_t)len + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
}

/* ---- the scripting API ---- */

static uint32_t fnv(const uint8_t *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* MAC 02:00:<IPv4 address>, ISN and first IP ID hashed from address and port. */
static void side_init(side *s, const char *ip, uint16_t port)
{
    memset(s, 0, sizeof *s);
    if (inet_pton(AF_INET, ip, s->ip) != 1)
        fatal("bad address %s", ip);
    s->mac[0] = 0x02;
    memcpy(s->mac + 2, s->ip, 4);
    s->port = port;
    uint8_t key[6] = {s->ip[0], s->ip[1], s->ip[2], s->ip[3], (uint8_t)(port >> 8), (uint8_t)port};
    s->nxt = fnv(key, sizeof key, 2166136261u);
    s->ip_id = (uint16_t)fnv(key, sizeof key, 0x9e3779b9u);
    s->ack_due = NO_ACK;
    s->window = 65535;
}

/* A connection's two sides, before any packet. */
static conn *conn_new(gen *g, const char *cip, uint16_t cport, const char *sip, uint16_t sport)
{
    if (g->nconns == MAX_CONNS)
        fatal("too many connections in one scenario");
    conn *c = xmalloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->g = g;
    side_init(&c->end[CLI], cip, cport);
    side_init(&c->end[SRV], sip, sport);
    c->end[CLI].rcv = c->end[SRV].nxt;
    c->end[SRV].rcv = c->end[CLI].nxt;
    g->conns[g->nconns++] = c;
    return c;
}

/* SYN, SYN/ACK and ACK, 0.5 ms apart. */
static void handshake(conn *c, double t)
{
    seg(c, CLI, t, F_SYN, NULL, 0);
    seg(c, SRV, t + 0.0005, F_SYN | F_ACK, NULL, 0);
    seg(c, CLI, t + 0.001, F_ACK, NULL, 0);
}

static conn *conn_open(gen *g, const char *cip, uint16_t cport, const char *sip, uint16_t sport,
                       double t)
{
    conn *c = conn_new(g, cip, cport, sip, sport);
    handshake(c, t);
    return c;
}

/* Nothing more goes out on c: not even the ACKs the far side would owe. */
static void conn_dead(conn *c)
{
    c->end[CLI].ack_due = NO_ACK;
    c->end[SRV].ack_due = NO_ACK;
    c->reset = 1;
}

/* A client's SYN that nothing answers (a full backlog, a DROP rule), sent again `retries`
 * times with the same sequence number after 1, 2, 4 ... s, as Linux does. */
static void syn_unanswered(gen *g, const char *cip, uint16_t cport, const char *sip, uint16_t sport,
                           double t, int retries)
{
    conn *c = conn_new(g, cip, cport, sip, sport);
    uint32_t isn = c->end[CLI].nxt;
    seg(c, CLI, t, F_SYN, NULL, 0);
    c->end[SRV].ack_due = NO_ACK; /* the server never saw it */
    double wait = 1.0;
    for (int i = 0; i < retries; i++, wait *= 2) {
        tx(c, CLI, t += wait, F_SYN, isn, NULL, 0);
        c->end[SRV].ack_due = NO_ACK;
    }
    conn_dead(c);
}

/* A client's SYN refused with RST/ACK: nothing listens on the port. */
static void syn_refused(gen *g, const char *cip, uint16_t cport, const char *sip, uint16_t sport,
                        double t)
{
    conn *c = conn_new(g, cip, cport, sip, sport);
    seg(c, CLI, t, F_SYN, NULL, 0);
    c->end[SRV].ack_due = NO_ACK;
    tx(c, SRV, t + 0.0003, F_RST | F_ACK, 0, NULL, 0);
    conn_dead(c);
}

/* One application write: MSS-sized segments back to back, PSH on the last. */
static void send_bytes(conn *c, int from, double t, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t off = 0; off < len; off += MSS) {
        size_t n = len - off < MSS ? len - off : MSS;
        uint8_t flags = F_ACK | (off + n == len ? F_PSH : 0);
        seg(c, from, t + (double)(off / MSS) * WIRE_GAP, flags, p + off, n);
    }
}

static void cli(conn *c, double t, const char *text)
{
    send_bytes(c, CLI, t, text, strlen(text));
}

static void srv(conn *c, double t, const char *text)
{
    send_bytes(c, SRV, t, text, strlen(text));
}

/* Two client writes `gap` apart, so a and b land in separate segments. */
static void cli_parts(conn *c, double t, const char *a, double gap, const char *b)
{
    cli(c, t, a);
    cli(c, t + gap, b);
}

/* One side's text cut at the given offsets into segments `gap` apart. */
static void send_cuts(conn *c, int who, double t, const char *text, const size_t *cuts,
                      size_t ncuts, double gap)
{
    size_t from = 0, len = strlen(text);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        if (to <= from || to > len)
            fatal("bad cut %zu", to);
        send_bytes(c, who, t + (double)i * gap, text + from, to - from);
        from = to;
    }
}

static void cli_cuts(conn *c, double t, const char *text, const size_t *cuts, size_t ncuts,
                     double gap)
{
    send_cuts(c, CLI, t, text, cuts, ncuts, gap);
}

static void cli_cut(conn *c, double t, const char *text, size_t cut, double gap)
{
    cli_cuts(c, t, text, &cut, 1, gap);
}

/* The client's text in two segments, sent in order, but the later one (from `cut` on) reaches
 * the capture point at t and the earlier one `gap` after it. */
static void cli_ooo(conn *c, double t, const char *text, size_t cut, double gap)
{
    side *s = &c->end[CLI];
    size_t len = strlen(text);
    uint32_t first = s->nxt, second = first + (uint32_t)cut;
    tx(c, CLI, t, F_PSH | F_ACK, second, text + cut, len - cut);
    s->nxt = first + (uint32_t)len;
    tx(c, CLI, t + gap, F_PSH | F_ACK, first, text, cut);
}

/* The receiver's ACK of the last segment is lost before the capture point, so the sender will
 * retransmit. */
static void lose_ack(conn *c, int receiver)
{
    c->end[receiver].ack_due = NO_ACK;
}

/* The last data segment of one side again, byte for byte (same IP ID too). */
static void retransmit(conn *c, int from, double t)
{
    side *s = &c->end[from];
    if (!s->last_len)
        fatal("nothing to retransmit");
    advance(c, from, t);
    add_frame(c->g, t, s->last, s->last_len);
    arrive(c, !from, s->last_seq, s->last_span, 0, t);
}

static void cli_fin(conn *c, double t)
{
    seg(c, CLI, t, F_FIN | F_ACK, NULL, 0);
}

static void srv_fin(conn *c, double t)
{
    seg(c, SRV, t, F_FIN | F_ACK, NULL, 0);
}

/* An abortive close: nothing, not even an ACK, follows on this connection. */
static void rst_from_client(conn *c, double t)
{
    seg(c, CLI, t, F_RST | F_ACK, NULL, 0);
    c->end[CLI].ack_due = NO_ACK;
    c->end[SRV].ack_due = NO_ACK;
    c->reset = 1;
}

/* ---- writing a file ---- */

static int by_time(const void *a, const void *b)
{
    const frame *x = a, *y = b;
    if (x->us != y->us)
        return x->us < y->us ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* An Ethernet/IPv4 frame as Ethernet/IPv6 into out (a.b.c.d -> 2001:db8::a.b.c.d, hop limit
 * from the TTL, the TCP checksum computed again over the IPv6 pseudo-header). */
static size_t to_ip6(const uint8_t *f, size_t len, uint8_t *out)
{
    const uint8_t *ip4 = f + 14;
    size_t tcplen = len - 14 - 20;
    uint8_t *ip6 = out + 14, *tcp = out + 14 + 40;
    static const uint8_t prefix[12] = {0x20, 0x01, 0x0d, 0xb8};

    memcpy(out, f, 12);
    pkt_put16(out + 12, 0x86dd);
    memset(ip6, 0, 40);
    ip6[0] = 0x60;
    pkt_put16(ip6 + 4, (uint32_t)tcplen);
    ip6[6] = 6;
    ip6[7] = ip4[8];
    memcpy(ip6 + 8, prefix, 12);
    memcpy(ip6 + 20, ip4 + 12, 4);
    memcpy(ip6 + 24, prefix, 12);
    memcpy(ip6 + 36, ip4 + 16, 4);
    memcpy(tcp, ip4 + 20, tcplen);
    pkt_put16(tcp + 16, 0);
    pkt_put16(tcp + 16,
              pkt_tcp_checksum(tcp, tcplen, pkt_tcp_pseudo(ip6 + 8, ip6 + 24, 16, tcplen)));
    return 14 + 40 + tcplen;
}

static void write_frame(pcap_dumper_t *d, const gen *g, const frame *f)
{
    static uint8_t six[FRAME_MAX + 20];
    const uint8_t *bytes = g->ip6 ? six : f->bytes;
    size_t len = g->ip6 ? to_ip6(f->bytes, f->len, six) : f->len;
    struct pcap_pkthdr h = {.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
    if (g->snaplen && h.caplen > g->snaplen)
        h.caplen = g->snaplen;
    h.ts.tv_sec = (time_t)(f->us / 1000000);
    h.ts.tv_usec = (suseconds_t)(f->us % 1000000);
    pcap_dump((u_char *)d, &h, bytes);
}

static void gen_write(gen *g, const char *path)
{
    for (size_t i = 0; i < g->nconns; i++)
        if (!g->conns[i]->reset)
            settle(g->conns[i], -1, 1e12); /* the ACKs still owed when the script ends */
    qsort(g->frames, g->nframes, sizeof *g->frames, by_time);

    pcap_t *p = pcap_open_dead(DLT_EN10MB, g->snaplen ? (int)g->snaplen : SNAPLEN);
    if (!p)
        fatal("pcap_open_dead failed");
    pcap_dumper_t *d = pcap_dump_open(p, path);
    if (!d)
        fatal("%s: %s", path, pcap_geterr(p));
    for (size_t i = 0; i < g->nframes; i++)
        write_frame(d, g, &g->frames[i]);
    if (pcap_dump_flush(d) != 0)
        fatal("%s: write failed", path);
    pcap_dump_close(d);
    pcap_close(p);
}

static void gen_free(gen *g)
{
    for (size_t i = 0; i < g->nframes; i++)
        free(g->frames[i].bytes);
    free(g->frames);
    for (size_t i = 0; i < g->nconns; i++)
        free(g->conns[i]);
}

/* ---- SMTP building blocks ---- */

#define CLIENT "198.51.100.10"
#define SERVER "192.0.2.25"
#define EHLO_CMD "EHLO client.example.org\r\n"
#define HELO_CMD "HELO client.example.org\r\n"
#define BANNER "220 mx.example.net ESMTP Postfix\r\n"
#define EHLO_HEAD "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
#define EHLO_TAIL "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n"
#define EHLO_REPLY EHLO_HEAD EHLO_TAIL
#define QUEUED(id) "250 2.0.0 Ok: queued as " id "\r\n"

/* What a PIX with Mailguard ("fixup protocol smtp") leaves of the greeting: 5.1 keeps only the
 * digits 2 and 0, 4.4 masks the whole text. */
#define PIX51_BANNER "220 *********0****************2*****\r\n"
#define PIX44_BANNER "220 ****************************\r\n"

typedef struct mail {
    const char *id; /* Message-ID without the angle brackets */
    const char *from, *to, *subject;
    const char *body; /* lines end in \n (sent as CRLF), already dot-stuffed */
} mail;

/* The replies that differ between the servers behind the stories. */
typedef struct dialect {
    const char *mail_ok, *rcpt_ok, *go_ahead;
} dialect;

static const dialect POSTFIX = {"250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n",
                                "354 End data with <CR><LF>.<CR><LF>\r\n"};
static const dialect SENDMAIL = {"250 2.1.0 <alice@example.org>... Sender ok\r\n",
                                 "250 2.1.5 <bob@example.com>... Recipient ok\r\n",
                                 "354 Enter mail, end with \".\" on a line by itself\r\n"};

static const mail M_REPORT = {"20260302085958.4F1A2B@client.example.org", "alice@example.org",
                              "bob@example.net", "March figures",
                              "Hi Bob,\n\nThe March figures are in the shared folder.\n"
                              "Let me know if anything is missing.\n\nAlice\n"};
static const mail M_MINUTES = {"20260302090112.77C0DE@client.example.org", "alice@example.org",
                               "bob@example.net", "Minutes of Friday's meeting",
                               "Bob,\n\nMinutes below, decisions first.\n"
                               "1. Freeze on Thursday.\n2. Release on Monday.\n\nAlice\n"};
static const mail M_INVOICE = {"20260302085901.1D2E3F@client.example.org", "alice@example.org",
                               "bob@example.com", "Invoice 2026-031",
                               "Dear Bob,\n\nPlease find invoice 2026-031 for February below.\n"
                               "Amount due: EUR 1,250.00 by 2026-03-31.\n\nKind regards,\n"
                               "Alice\n"};
static const mail M_DOTS = {"20260302090000.5A6B7C@client.example.org", "alice@example.org",
                            "bob@example.net", "How to end a message in mail(1)",
                            "Hi Bob,\n\nIn mail(1) you end a message with a line holding one "
                            "dot:\n..\nLines that start with a dot are doubled on the wire:\n"
                            "..hidden files such as .profile are not listed by ls.\n\nAlice\n"};
static const mail M_LUNCH = {"20260302090230.9E8D7C@client.example.org", "alice@example.org",
                             "bob@example.net", "Lunch on Wednesday?",
                             "Bob,\n\nAre you free for lunch on Wednesday at noon?\n\nAlice\n"};
static const mail M_TEAM = {"20260302090005.3C4D5E@client.example.org", "alice@example.org",
                            "bob@example.net, carol@example.net", "Team offsite",
                            "Hi both,\n\nThe offsite is booked for 16-17 April.\n"
                            "Agenda to follow.\n\nAlice\n"};

/* The message as sent after DATA: CRLF lines, ending in CR LF . CR LF. */
static size_t payload(char *out, size_t n, const mail *m)
{
    size_t len = fmt(out, n,
                     "Message-ID: <%s>\r\nDate: Mon, 02 Mar 2026 08:59:58 +0000\r\n"
                     "From: Alice <%s>\r\nTo: %s\r\nSubject: %s\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
                     m->id, m->from, m->to, m->subject);
    for (const char *p = m->body; *p; p++) {
        char one[2] = {*p, 0};
        cat(out, n, &len, *p == '\n' ? "\r\n" : one);
    }
    cat(out, n, &len, ".\r\n");
    return len;
}

/* A command and its reply; returns the time of the reply. */
static double cmd(conn *c, double t, const char *line, const char *reply)
{
    cli(c, t, line);
    srv(c, t + REPLY, reply);
    return t + REPLY;
}

static double greet(conn *c, double t, const char *banner)
{
    srv(c, t + 0.005, banner);
    return t + 0.005;
}

static double ehlo(conn *c, double t)
{
    return cmd(c, t + THINK, EHLO_CMD, EHLO_REPLY);
}

/* MAIL, RCPT to one recipient and DATA, one at a time, up to the go-ahead. */
static double envelope_to(conn *c, double t, const dialect *d, const mail *m, const char *to)
{
    char line[256];
    fmt(line, sizeof line, "MAIL FROM:<%s>\r\n", m->from);
    t = cmd(c, t + THINK, line, d->mail_ok);
    fmt(line, sizeof line, "RCPT TO:<%s>\r\n", to);
    t = cmd(c, t + THINK, line, d->rcpt_ok);
    return cmd(c, t + THINK, "DATA\r\n", d->go_ahead);
}

static double envelope(conn *c, double t, const dialect *d, const mail *m)
{
    return envelope_to(c, t, d, m, m->to);
}

/* A whole transaction, the end of data whole in the body's segment. */
static double deliver(conn *c, double t, const dialect *d, const mail *m, const char *queued)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, m);
    t = envelope(c, t, d, m);
    cli(c, t += THINK, data);
    srv(c, t += QUEUE, queued);
    return t;
}

/* The client sends the body with CR LF . CR LF cut after its byte k (1..4). */
static double send_cut_eod(conn *c, double t, const mail *m, size_t k, double gap)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, m);
    cli_cut(c, t, data, len - 5 + k, gap);
    return t + gap;
}

/* QUIT and 221; the server closes first, as Postfix and Sendmail do, then the client. */
static double quit(conn *c, double t)
{
    t = cmd(c, t + THINK, "QUIT\r\n", "221 2.0.0 Bye\r\n");
    srv_fin(c, t += 0.0001);
    cli_fin(c, t += 0.001);
    return t;
}

/* The client closes without QUIT; the server sees EOF and closes its side at once. */
static double hang_up(conn *c, double t)
{
    cli_fin(c, t);
    srv_fin(c, t + 0.0001);
    return t + 0.0001;
}

/* ---- scenarios ---- */

/* The baseline every flag is measured against: nothing to report. */
static void sc_clean(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40001, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("ABC123"));
    quit(c, t);
}

/* A Postfix session whose end of data is cut after byte k and never answered. */
static void split_unacked(gen *g, size_t k)
{
    conn *c = conn_open(g, CLIENT, (uint16_t)(40010 + k), SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    t = send_cut_eod(c, t + THINK, &M_REPORT, k, 0.2);
    hang_up(c, t + GIVE_UP);
}

static void sc_split_cut1(gen *g)
{
    split_unacked(g, 1);
}

static void sc_split_cut2(gen *g)
{
    split_unacked(g, 2);
}

static void sc_split_cut3(gen *g)
{
    split_unacked(g, 3);
}

static void sc_split_cut4(gen *g)
{
    split_unacked(g, 4);
}

/* A split end of data is harmless when the server answers it. */
static void sc_split_acked(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40020, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    t = send_cut_eod(c, t + THINK, &M_REPORT, 2, 0.2);
    srv(c, t += 0.3, QUEUED("4C5D6E7F80"));
    quit(c, t);
}

/* No answer, but the end of data was whole: not the Mailguard cut. */
static void sc_unsplit_unacked(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40021, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli(c, t += THINK, data);
    hang_up(c, t + GIVE_UP);
}

/* Offset just past the first k bytes of needle in text. */
static size_t cut_in(const char *text, const char *needle, size_t k)
{
    const char *p = strstr(text, needle);
    if (!p)
        fatal("\"%s\" not in the text", needle);
    return (size_t)(p - text) + k;
}

/* Segment ends that look like the start of an end of data but are dot-stuffed lines. */
static void sc_dotstuff_lookalike(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_DOTS);
    size_t cuts[2] = {cut_in(data, "\r\n..\r\n", 3), cut_in(data, "\r\n..hidden", 3)};
    conn *c = conn_open(g, CLIENT, 40030, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_DOTS);
    cli_cuts(c, t += THINK, data, cuts, 2, 0.05);
    srv(c, t += 0.1 + QUEUE, QUEUED("5A6B7C8D9E"));
    quit(c, t);
}

/* Exactly 180 bytes, CR LF . CR LF inside the first 120: with BDAT that is data, not an end. */
static const char BDAT_MSG[] = "Message-ID: <c1.0302@client.example.org>\r\n"
                               "From: alice@example.org\r\n"
                               "To: bob@example.net\r\n"
                               "Subject: dots\r\n"
                               "\r\n"
                               "Hi,\r\n"
                               ".\r\n"
                               "That dot is data: a BDAT chunk is counted, not dot-ended.\r\n"
                               "Cheers\r\n";

static void sc_bdat_lookalike(gen *g)
{
    const size_t first = 120, len = sizeof BDAT_MSG - 1;
    char a[512], b[512];
    size_t cut = cut_in(BDAT_MSG, "\r\n.\r\n", 2);
    if (cut >= first)
        fatal("BDAT message: the dot line must be in the first chunk");
    fmt(a, sizeof a, "BDAT %zu\r\n%.*s", first, (int)cut, BDAT_MSG);
    fmt(b, sizeof b, "%.*s", (int)(first - cut), BDAT_MSG + cut);

    conn *c = conn_open(g, CLIENT, 40040, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = cmd(c, t + THINK, "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n", "250 2.1.0 Ok\r\n");
    t = cmd(c, t + THINK, "RCPT TO:<bob@example.net>\r\n", "250 2.1.5 Ok\r\n");
    cli_parts(c, t += THINK, a, 0.2, b);
    srv(c, t += 0.2 + REPLY, "250 2.0.0 Ok: 120 bytes\r\n");
    fmt(a, sizeof a, "BDAT %zu LAST\r\n%s", len - first, BDAT_MSG + first);
    t = cmd(c, t + THINK, a, QUEUED("C1D2E3F4A5"));
    quit(c, t);
}

/* Postfix's reply to each line it reads as a command after refusing DATA. */
static void stray_replies(char *out, size_t n, const char *text)
{
    size_t len = 0;
    out[0] = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') + 1)
        cat(out, n, &len,
            strncmp(p, "\r\n", 2) ? "502 5.5.2 Error: command not recognized\r\n"
                                  : "500 5.5.2 Error: bad syntax\r\n");
}

/* A client that streams its body without waiting: after the 554 the body lines are stray
 * commands, so the split "." that follows is no end of data. */
static void sc_eod_before_354(gen *g)
{
    char data[TEXT_MAX], replies[TEXT_MAX];
    size_t len = payload(data, sizeof data, &M_LUNCH), cut = len - 3;
    conn *c = conn_open(g, CLIENT, 40050, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    cli(c, t += THINK, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<nobody@example.net>\r\nDATA\r\n");
    cli_cut(c, t + 0.0005, data, cut, 0.2);
    srv(c, t += 0.21,
        "250 2.1.0 Ok\r\n550 5.1.1 <nobody@example.net>: Recipient address rejected: User "
        "unknown in local recipient table\r\n554 5.5.1 Error: no valid recipients\r\n");
    stray_replies(replies, sizeof replies, data);
    srv(c, t += 0.001, replies);
    quit(c, t);
}

/* Reordering alone must not look like a split end of data. */
static void sc_ooo_whole(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40060, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli_ooo(c, t += THINK, data, cut_in(data, "Let me know", 0), 0.001);
    srv(c, t += 0.001 + QUEUE, QUEUED("6F7A8B9C0D"));
    quit(c, t);
}

/* A split end of data whose parts arrive in reverse order is still split. */
static void sc_ooo_split(gen *g)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40061, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli_ooo(c, t += THINK, data, len - 5 + 3, 0.001);
    hang_up(c, t + 0.001 + GIVE_UP);
}

/* A retransmitted first part must count once; the end of data is still split. */
static void sc_retrans_split(gen *g)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40070, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    data[len - 3] = 0; /* the first part: everything before ". CR LF" */
    cli(c, t += THINK, data);
    lose_ack(c, SRV);
    retransmit(c, CLI, t += 1.0);
    cli(c, t += 0.2, ".\r\n");
    hang_up(c, t + GIVE_UP);
}

/* One delivery attempt through a PIX with Mailguard: the masked greeting, EHLO turned into
 * XXXX and refused, HELO accepted, the end of data cut after CR LF and swallowed. The client
 * gives up after a minute without QUIT. Returns the time the connection is closed. */
static double mailguard_attempt(gen *g, const char *cip, uint16_t port, const char *sip, double t,
                                const mail *m)
{
    char helo_ok[160];
    fmt(helo_ok, sizeof helo_ok,
        "250 mail.example.com Hello client.example.org [%s], pleased to meet you\r\n", cip);
    conn *c = conn_open(g, cip, port, sip, 25, t);
    t = greet(c, t, PIX51_BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n");
    t = cmd(c, t + THINK, HELO_CMD, helo_ok);
    t = envelope(c, t, &SENDMAIL, m);
    t = send_cut_eod(c, t + THINK, m, 2, 0.2);
    return hang_up(c, t + GIVE_UP);
}

/* The whole Mailguard failure on one connection. */
static void sc_mailguard(gen *g)
{
    mailguard_attempt(g, CLIENT, 40080, "192.0.2.40", 0, &M_INVOICE);
}

/* What the sender does next: the same message again, every ten minutes. */
static void sc_mailguard_retry(gen *g)
{
    for (int i = 0; i < 3; i++)
        mailguard_attempt(g, CLIENT, (uint16_t)(40081 + i), "192.0.2.40", 600.0 * i, &M_INVOICE);
}

/* PIX 4.4 masks the whole greeting text; the rest of the session is fine. */
static void sc_masked_pix44(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40090, "192.0.2.40", 25, 0);
    double t = greet(c, 0, PIX44_BANNER);
    t = cmd(c, t + THINK, HELO_CMD,
            "250 mail.example.com Hello client.example.org [198.51.100.10], pleased to meet "
            "you\r\n");
    t = deliver(c, t, &SENDMAIL, &M_INVOICE,
                "250 2.0.0 6229A0a1000123 Message accepted for delivery\r\n");
    quit(c, t);
}

/* The masking ate the "220 " of the last line: the greeting never ends and the client
 * gives up without a command. */
static void sc_masked_multiline_unterminated(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40091, "192.0.2.40", 25, 0);
    double t =
        greet(c, 0, "220*******************\r\n220****************\r\n*****************\r\n");
    hang_up(c, t + 300);
}

/* Asterisks a server wrote itself are not masking. */
static void sc_banner_with_stars(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40100, SERVER, 25, 0);
    double t = greet(c, 0, "220 mx.example.net ESMTP ** no UCE **\r\n");
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("7B8C9D0E1F"));
    quit(c, t);
}

/* Commands and replies batched per segment; two transactions separated by RSET. */
static void sc_pipelining(gen *g)
{
    char data[TEXT_MAX];
    conn *c = conn_open(g, CLIENT, 40110, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = cmd(c, t + THINK,
            "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
            "RCPT TO:<carol@example.net>\r\nDATA\r\n",
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
            "354 End data with <CR><LF>.<CR><LF>\r\n");
    payload(data, sizeof data, &M_TEAM);
    cli(c, t += THINK, data);
    srv(c, t += QUEUE, QUEUED("8C9D0E1F2A"));
    t = cmd(c, t + THINK, "RSET\r\n", "250 2.0.0 Ok\r\n");
    t = cmd(c, t + THINK, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    payload(data, sizeof data, &M_LUNCH);
    cli(c, t += THINK, data);
    srv(c, t += QUEUE, QUEUED("9D0E1F2A3B"));
    quit(c, t);
}

/* ---- TLS records for starttls: well-formed headers, deterministic pseudo-random contents ---- */

typedef struct bytes {
    uint8_t b[2048];
    size_t n;
    uint32_t rng; /* xorshift32 state */
} bytes;

static void b_put(bytes *o, uint64_t v, size_t width)
{
    if (o->n + width > sizeof o->b)
        fatal("TLS buffer too small");
    for (size_t i = 0; i < width; i++)
        o->b[o->n++] = (uint8_t)(v >> 8 * (width - 1 - i));
}

static void b_rand(bytes *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        o->rng ^= o->rng << 13;
        o->rng ^= o->rng >> 17;
        o->rng ^= o->rng << 5;
        b_put(o, o->rng >> 24, 1);
    }
}

/* Reserves a length field of `width` bytes; b_close fills it with what followed. */
static size_t b_open(bytes *o, size_t width)
{
    size_t at = o->n;
    b_put(o, 0, width);
    return at;
}

static void b_close(bytes *o, size_t at, size_t width)
{
    size_t v = o->n - at - width;
    for (size_t i = 0; i < width; i++)
        o->b[at + i] = (uint8_t)(v >> 8 * (width - 1 - i));
}

static void tls_record(bytes *o, unsigned type, size_t n)
{
    b_put(o, type, 1);
    b_put(o, 0x0303, 2);
    b_put(o, (uint32_t)n, 2);
    b_rand(o, n);
}

/* A TLS 1.3 ClientHello: SNI, X25519 key share, the three TLS 1.3 suites. */
static void client_hello(bytes *o, const uint8_t sid[32])
{
    static const char sni[] = "mx.example.net";
    b_put(o, 0x160301, 3);
    size_t rec = b_open(o, 2);
    b_put(o, 0x01, 1);
    size_t hs = b_open(o, 3);
    b_put(o, 0x0303, 2);
    b_rand(o, 32);
    b_put(o, 32, 1);
    memcpy(o->b + o->n, sid, 32);
    o->n += 32;
    b_put(o, 0x000613011302, 6); /* 6 bytes of suites: AES-128-GCM, AES-256-GCM, */
    b_put(o, 0x1303, 2);         /* CHACHA20-POLY1305 */
    b_put(o, 0x0100, 2);         /* compression: null only */
    size_t ext = b_open(o, 2);
    b_put(o, 0x0000, 2); /* server_name */
    b_put(o, sizeof sni - 1 + 5, 2);
    b_put(o, sizeof sni - 1 + 3, 2);
    b_put(o, 0, 1);
    b_put(o, sizeof sni - 1, 2);
    for (const char *p = sni; *p; p++)
        b_put(o, (uint8_t)*p, 1);
    b_put(o, 0x000a00040002001d, 8); /* supported_groups: x25519 */
    b_put(o, 0x000d00080006, 6);     /* signature_algorithms: ecdsa-p256, rsa-pss, rsa-pkcs1 */
    b_put(o, 0x040308040401, 6);
    b_put(o, 0x002b0003020304, 7);   /* supported_versions: TLS 1.3 */
    b_put(o, 0x003300260024001d, 8); /* key_share, x25519 ... */
    b_put(o, 0x0020, 2);             /* ... 32-byte key */
    b_rand(o, 32);
    b_close(o, ext, 2);
    b_close(o, hs, 3);
    b_close(o, rec, 2);
}

/* ServerHello echoing the session id, then ChangeCipherSpec and the encrypted rest of the
 * server's flight as one application-data record. */
static void server_flight(bytes *o, const uint8_t sid[32])
{
    b_put(o, 0x160303, 3);
    size_t rec = b_open(o, 2);
    b_put(o, 0x02, 1);
    size_t hs = b_open(o, 3);
    b_put(o, 0x0303, 2);
    b_rand(o, 32);
    b_put(o, 32, 1);
    memcpy(o->b + o->n, sid, 32);
    o->n += 32;
    b_put(o, 0x130100, 3); /* suite, null compression */
    size_t ext = b_open(o, 2);
    b_put(o, 0x002b00020304, 6);
    b_put(o, 0x00330024001d0020, 8);
    b_rand(o, 32);
    b_close(o, ext, 2);
    b_close(o, hs, 3);
    b_close(o, rec, 2);
    b_put(o, 0x140303000101, 6); /* ChangeCipherSpec */
    tls_record(o, 0x17, 1104);
}

static void tls_send(conn *c, int from, double t, bytes *o)
{
    send_bytes(c, from, t, o->b, o->n);
    o->n = 0;
}

/* After STARTTLS nothing is SMTP any more: no command, QUIT included, can be seen. */
static void sc_starttls(gen *g)
{
    bytes o = {.rng = 0x2545f491};
    uint8_t sid[32];
    b_rand(&o, 32);
    memcpy(sid, o.b, 32);
    o.n = 0;

    conn *c = conn_open(g, CLIENT, 40120, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL);
    t = cmd(c, t + THINK, "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n");
    client_hello(&o, sid);
    tls_send(c, CLI, t += 0.001, &o);
    server_flight(&o, sid);
    tls_send(c, SRV, t += 0.004, &o);
    b_put(&o, 0x140303000101, 6);
    tls_record(&o, 0x17, 53); /* client Finished */
    tls_record(&o, 0x17, 41); /* EHLO */
    tls_send(c, CLI, t += 0.003, &o);
    /* The server's EHLO reply, the pipelined envelope and its replies, the body and its 250;
     * then the client hangs up without an (encrypted) QUIT. */
    static const size_t sizes[] = {215, 101, 112, 658, 46};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        tls_record(&o, 0x17, sizes[i]);
        tls_send(c, i % 2 ? CLI : SRV, t += i % 2 ? THINK : REPLY, &o);
    }
    hang_up(c, t + 0.02);
}

/* AUTH LOGIN's 334 challenges and base64 lines between EHLO and MAIL. */
static void sc_auth_login(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40130, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, EHLO_HEAD "250-AUTH LOGIN PLAIN\r\n" EHLO_TAIL);
    t = cmd(c, t + THINK, "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n");             /* "Username:" */
    t = cmd(c, t + 0.2, "YWxpY2VAZXhhbXBsZS5vcmc=\r\n", "334 UGFzc3dvcmQ6\r\n"); /* "Password:" */
    t = cmd(c, t + 0.2, "VHIwdWI0ZG9yJjM=\r\n", "235 2.7.0 Authentication successful\r\n");
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("0E1F2A3B4C"));
    quit(c, t);
}

/* Credentials on the AUTH line itself (RFC 4954's initial response) and in the lines that
 * answer 334, in sessions that end without QUIT so that every report shows their
 * transcript: no output may carry them (tests/e2e.sh greps each format). */
static void sc_auth_plain(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40135, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, EHLO_HEAD "250-AUTH LOGIN PLAIN\r\n" EHLO_TAIL);
    /* "\0alice@example.org\0Tr0ub4dor&3" */
    t = cmd(c, t + THINK, "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAFRyMHViNGRvciYz\r\n",
            "235 2.7.0 Authentication successful\r\n");
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("0E1F2A3B4D"));
    hang_up(c, t + 0.05);
    c = conn_open(g, CLIENT, 40136, SERVER, 25, 60);
    t = greet(c, 60, BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, EHLO_HEAD "250-AUTH LOGIN PLAIN\r\n" EHLO_TAIL);
    t = cmd(c, t + THINK, "AUTH LOGIN YWxpY2VAZXhhbXBsZS5vcmc=\r\n", "334 UGFzc3dvcmQ6\r\n");
    t = cmd(c, t + 0.2, "VHIwdWI0ZG9yJjM=\r\n", "535 5.7.8 Authentication failed\r\n");
    hang_up(c, t + 0.05);
}

/* An abortive close: the client resets after 5 s without a reply to its end of data. */
static void sc_rst_after_data(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40140, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli(c, t += THINK, data);
    rst_from_client(c, t + 5);
}

/* Two transactions, two Message-IDs, one session. */
static void sc_two_messages(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40150, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("1F2A3B4C5D"));
    t = deliver(c, t, &POSTFIX, &M_MINUTES, QUEUED("2A3B4C5D6E"));
    quit(c, t);
}

/* Input an analyser must survive: a 5000-byte line over four segments and binary junk. */
static void sc_long_line_garbage(gen *g)
{
    char line[5001];
    memcpy(line, "EHLO ", 5);
    for (size_t i = 5; i < 4998; i++)
        line[i] = "abcdefghijklmnopqrstuvwxyz0123456789.-"[i % 38];
    memcpy(line + 4998, "\r\n", 3);

    bytes o = {.rng = 0x6d2b79f5};
    b_rand(&o, 298);
    for (size_t i = 0; i < o.n; i++)
        if (o.b[i] == '\n')
            o.b[i] = 'n'; /* one line, so one reply */
    memcpy(o.b + 20, "\0\x1b[2J\xff\xff", 7);
    memcpy(o.b + o.n, "\r\n", 2);
    o.n += 2;

    conn *c = conn_open(g, CLIENT, 40160, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = cmd(c, t + THINK, line, "500 5.5.2 Error: line too long\r\n");
    send_bytes(c, CLI, t += THINK, o.b, o.n);
    srv(c, t += REPLY, "500 5.5.2 Error: bad syntax\r\n");
    t = cmd(c, t + THINK, HELO_CMD, "250 mx.example.net\r\n");
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("3B4C5D6E7F"));
    quit(c, t);
}

/* The capture stops mid-DATA: the session is cut by the capture, not by the client. */
static void sc_capture_end_open(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_REPORT);
    data[cut_in(data, "Let me know", 0)] = 0;
    conn *c = conn_open(g, CLIENT, 40170, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli(c, t + THINK, data);
}

/* As captured on the sending host with checksum offload: every TCP checksum 0x0000. */
static void sc_bad_checksums(gen *g)
{
    g->zero_tcp_csum = 1;
    sc_clean(g);
}

/* A session that just stops after MAIL FROM, and 1200 s later (past the 900 s idle
 * timeout) a clean one. */
static void sc_idle_timeout(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40180, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = cmd(c, t + THINK, "MAIL FROM:<alice@example.org>\r\n", "250 2.1.0 Ok\r\n");

    t += 1200;
    c = conn_open(g, CLIENT, 40181, SERVER, 25, t);
    t = greet(c, t, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("4C5D6E7F8A"));
    quit(c, t);
}

/* A multi-line greeting and commands ended by a bare LF. */
static void sc_bare_lf_and_multiline(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_REPORT);
    conn *c = conn_open(g, CLIENT, 40190, SERVER, 25, 0);
    double t = greet(c, 0, "220-mx.example.net ESMTP\r\n220-no UCE\r\n220 ready\r\n");
    t = cmd(c, t + THINK, "HELO x\n", "250 mx.example.net\r\n");
    t = cmd(c, t + THINK, "MAIL FROM:<alice@example.org>\n", "250 2.1.0 Ok\r\n");
    t = cmd(c, t + THINK, "RCPT TO:<bob@example.net>\n", "250 2.1.5 Ok\r\n");
    t = cmd(c, t + THINK, "DATA\n", "354 End data with <CR><LF>.<CR><LF>\r\n");
    cli(c, t += THINK, data);
    srv(c, t += QUEUE, QUEUED("5D6E7F8A9B"));
    t = cmd(c, t + THINK, "QUIT\n", "221 2.0.0 Bye\r\n");
    srv_fin(c, t += 0.0001);
    cli_fin(c, t + 0.001);
}

/* The demo for `make run`, about three minutes: (a) a clean delivery, (b) the Mailguard failure,
 * (c) its retry 120 s later with the same Message-ID, (d) a delivery whose client never says
 * QUIT. (a), (b)+(c) and (d) talk to three different servers. */
static void sc_sample(gen *g)
{
    conn *c = conn_open(g, "198.51.100.10", 40200, "192.0.2.25", 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("ABC123"));
    quit(c, t);

    mailguard_attempt(g, "198.51.100.20", 51234, "192.0.2.40", 4.0, &M_INVOICE);
    mailguard_attempt(g, "198.51.100.20", 51287, "192.0.2.40", 124.0, &M_INVOICE);

    c = conn_open(g, "198.51.100.30", 41877, "192.0.2.60", 25, 30.0);
    t = greet(c, 30.0, "220 smtp.example.org ESMTP Postfix (Debian/GNU)\r\n");
    t = cmd(c, t + THINK, EHLO_CMD,
            "250-smtp.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" EHLO_TAIL);
    t = deliver(c, t, &POSTFIX, &M_MINUTES, QUEUED("6E7F8A9B0C"));
    hang_up(c, t + 0.05);
}

typedef struct scenario {
    const char *name;
    void (*run)(gen *g);
} scenario;

/* ---- duplicate deliveries and their causes ---- */

static const mail M_REPORT_NEW_ID = {"20260302091203.4F1A2B@client.example.org",
                                     "alice@example.org", "bob@example.net", "March figures",
                                     "Hi Bob,\n\nThe March figures are in the shared folder.\n"
                                     "Let me know if anything is missing.\n\nAlice\n"};

static double clean_delivery(gen *g, uint16_t port, double t, const mail *m, const char *id)
{
    conn *c = conn_open(g, CLIENT, port, SERVER, 25, t);
    t = greet(c, t, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, m, id);
    return quit(c, t);
}

/* The server accepted the message, and the sender sent it again five minutes later: the
 * duplicate comes from the sender, not from the network. */
static void sc_resend_after_ack(gen *g)
{
    clean_delivery(g, 40300, 0, &M_LUNCH, QUEUED("1A2B3C4D5E"));
    clean_delivery(g, 40301, 300, &M_LUNCH, QUEUED("2B3C4D5E6F"));
}

/* A slow server answers after 75 s; the client gave up at 60 s, so its 250 lands on a closed
 * connection, and the client sends the message again 5 minutes later. */
static void sc_slow_server_retry(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_MINUTES);
    conn *c = conn_open(g, CLIENT, 40310, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_MINUTES);
    cli(c, t += THINK, data);
    cli_fin(c, t + GIVE_UP);
    srv(c, t + 75.0, QUEUED("3C4D5E6F70"));
    srv_fin(c, t + 75.001);
    clean_delivery(g, 40311, 360, &M_MINUTES, QUEUED("4D5E6F7081"));
}

/* A session at t whose end of data the server never answers: the client gives up after
 * GIVE_UP and hangs up without QUIT, and its sender will try again. */
static void unanswered_delivery(gen *g, uint16_t port, double t, const mail *m)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, m);
    conn *c = conn_open(g, CLIENT, port, SERVER, 25, t);
    t = greet(c, t, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, m);
    cli(c, t += THINK, data);
    hang_up(c, t + GIVE_UP);
}

/* The sender re-sends with a new Message-ID after a silent server: only the body digest
 * ties the two attempts together. */
static void sc_new_msgid_resend(gen *g)
{
    unanswered_delivery(g, 40320, 0, &M_REPORT);
    clean_delivery(g, 40321, 600, &M_REPORT_NEW_ID, QUEUED("5E6F708192"));
}

#define ASA_EHLO                                                                                   \
    "250-mx.example.net\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250-8BITMIME\r\n"                     \
    "250 XXXXXXXXB\r\n"

/* ASA ESMTP inspection: extensions masked, STARTTLS refused, and a header line longer than
 * the 998 octets its default policy allows; the firewall resets the connection mid-message. */
static void sc_asa_esmtp(gen *g)
{
    char data[TEXT_MAX], head[2048];
    size_t n = fmt(head, sizeof head,
                   "Message-ID: <20260302091500.AA11BB@client.example.org>\r\n"
                   "Subject: long header\r\nX-Long-Header: ");
    for (size_t i = 0; i < 1010; i++)
        head[n++] = (char)('a' + i % 26);
    head[n] = '\0';
    fmt(data, sizeof data, "%s\r\n\r\nbody\r\n", head);
    conn *c = conn_open(g, CLIENT, 40330, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = cmd(c, t + THINK, EHLO_CMD, ASA_EHLO);
    t = cmd(c, t + THINK, "STARTTLS\r\n", "500 5.5.1 Command unrecognized\r\n");
    t = envelope(c, t, &POSTFIX, &M_REPORT);
    cli(c, t += THINK, data);
    seg(c, SRV, t + 0.001, F_RST | F_ACK, NULL, 0);
    c->reset = 1;
}

/* The server stops reading during DATA: zero window for 30 s, then the message goes through. */
static void sc_zero_window(gen *g)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, &M_TEAM);
    conn *c = conn_open(g, CLIENT, 40340, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_TEAM);
    char first[TEXT_MAX];
    memcpy(first, data, 100);
    first[100] = '\0';
    cli(c, t += THINK, first);
    c->end[SRV].window = 0;
    seg(c, SRV, t += 0.001, F_ACK, NULL, 0);
    c->end[SRV].window = 65535;
    seg(c, SRV, t += 30.0, F_ACK, NULL, 0);
    cli(c, t += 0.001, data + 100);
    (void)len;
    srv(c, t += QUEUE, QUEUED("6F708192A3"));
    quit(c, t);
}

/* Loss around the end of data: the terminator and the 250 are both sent twice, and the
 * client resets right after. */
static void sc_retrans_eod_rst(gen *g)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_LUNCH);
    conn *c = conn_open(g, CLIENT, 40350, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &M_LUNCH);
    lose_ack(c, SRV);
    cli(c, t += THINK, data);
    retransmit(c, CLI, t += 1.0);
    lose_ack(c, CLI);
    srv(c, t += QUEUE, QUEUED("708192A3B4"));
    retransmit(c, SRV, t += 1.0);
    rst_from_client(c, t + 0.5);
}

/* One client that never says QUIT: each delivery ends with FIN after the 250. */
static void sc_never_quit_client(gen *g)
{
    const mail *m[] = {&M_REPORT, &M_MINUTES, &M_LUNCH};
    for (int i = 0; i < 3; i++) {
        conn *c = conn_open(g, "198.51.100.77", (uint16_t)(40360 + i), SERVER, 25, i * 120.0);
        double t = greet(c, i * 120.0, BANNER);
        t = ehlo(c, t);
        t = deliver(c, t, &POSTFIX, m[i], QUEUED("8192A3B4C5"));
        hang_up(c, t + 0.05);
    }
}

/* Packets that try things on a terminal: set the title (OSC 0), clear the screen, blink,
 * and a C1 CSI in UTF-8. The text report, the JSON and the live screen must show them
 * escaped. The client never says QUIT, so the session is flagged and always shown. */
static void sc_terminal_escapes(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40190, SERVER, 25, 0);
    double t = greet(c, 0,
                     "220 mx.example.net \x1b]0;pwned\x07 ESMTP \x1b[2J\xc2\x9b"
                     "31m\r\n");
    t = cmd(c, t + THINK, "EHLO \x1b[5mclient\x1b[0m.example.org\r\n", "250 mx.example.net\r\n");
    t = deliver(c, t, &POSTFIX, &M_REPORT, QUEUED("1E5C0DE5AB"));
    hang_up(c, t + 0.05);
}

/* Markup where an HTML page shows packet text: in the greeting, the EHLO name, the envelope,
 * the Message-ID (the duplicate group's name) and the subject. Two attempts 600 s apart whose
 * end of data is split and never answered: a group and two ladders draw all of it. */
static const mail M_HOSTILE = {"<script>alert(1)</script>@client.example.org",
                               "javascript:alert(1)", "\"><img src=x onerror=alert(1)>",
                               "<script>alert(1)</script>",
                               "<script>alert(1)</script>\n\"><img src=x onerror=alert(1)>\n"};

static void hostile_attempt(gen *g, uint16_t port, double t0)
{
    conn *c = conn_open(g, CLIENT, port, SERVER, 25, t0);
    double t = greet(c, t0, "220 <script>alert(1)</script> ESMTP\r\n");
    t = cmd(c, t + THINK, "EHLO \"><img src=x onerror=alert(1)>\r\n",
            "250 javascript:alert(1)\r\n");
    t = envelope(c, t, &POSTFIX, &M_HOSTILE);
    t = send_cut_eod(c, t + THINK, &M_HOSTILE, 2, 0.2);
    hang_up(c, t + GIVE_UP);
}

static void sc_html_hostile(gen *g)
{
    hostile_attempt(g, 40400, 0);
    hostile_attempt(g, 40401, 600);
}

/* ---- overloaded servers and size limits (field notes: what a real Postfix does) ---- */

/* A delivery from ip to SERVER whose greeting comes `wait` seconds after the handshake
 * (reverse DNS before the banner, postscreen's greet wait, a full process limit). */
static void late_greeting_from(gen *g, const char *ip, uint16_t port, double t0, double wait,
                               const mail *m, const char *queued)
{
    conn *c = conn_open(g, ip, port, SERVER, 25, t0);
    double t = greet(c, t0 + 0.001 + wait - 0.005, BANNER);
    t = ehlo(c, t);
    t = deliver(c, t, &POSTFIX, m, queued);
    quit(c, t);
}

/* The same from CLIENT. */
static void late_greeting(gen *g, uint16_t port, double t0, double wait, const mail *m,
                          const char *queued)
{
    late_greeting_from(g, CLIENT, port, t0, wait, m, queued);
}

/* A greeting 35 s after the handshake (over the default --slow-banner of 30), and one of
 * 29 s, which is not. */
static void sc_slow_banner(gen *g)
{
    late_greeting(g, 40400, 0, 35.0, &M_REPORT, QUEUED("7A8B9C0D1E"));
    late_greeting(g, 40401, 120, 29.0, &M_MINUTES, QUEUED("8B9C0D1E2F"));
}

/* Postfix over smtpd_client_connection_count_limit: anvil makes it greet with 421 and close.
 * The sender queues the message and delivers it five minutes later. */
static void sc_busy_421(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40410, SERVER, 25, 0);
    double t =
        greet(c, 0, "421 4.7.0 mx.example.net Error: too many connections from " CLIENT "\r\n");
    srv_fin(c, t += 0.0001);
    cli_fin(c, t + 0.001);
    clean_delivery(g, 40411, 300, &M_LUNCH, QUEUED("9C0D1E2F3A"));
}

/* A body of n lines of figures, for a message over a small size limit. */
static const char *figures_body(char *out, size_t n, unsigned lines)
{
    size_t len = fmt(out, n, "Bob,\n\nThe figures, line by line:\n");
    for (unsigned i = 0; i < lines; i++) {
        char line[96];
        fmt(line, sizeof line, "%03u  EUR %7u.00  cost centre %04u  March 2026\n", i,
            (i * 7919u) % 100000u, 1000u + i);
        cat(out, n, &len, line);
    }
    cat(out, n, &len, "\nAlice\n");
    return out;
}

#define SERVER_SMALL "192.0.2.26"
#define SMALL_EHLO "250-mx2.example.net\r\n250-PIPELINING\r\n250-SIZE 2048\r\n" EHLO_TAIL

/* Postfix's message_size_limit, twice. The sender declares SIZE= over the advertised limit
 * and MAIL FROM gets 552 5.3.4; a sender that declares nothing sends the whole message to a
 * server with a limit of 2048 octets and gets 552 5.3.4 to its end of data. */
static void sc_size_limit(gen *g)
{
    conn *c = conn_open(g, CLIENT, 40420, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    t = cmd(c, t + THINK, "MAIL FROM:<alice@example.org> SIZE=15728640\r\n",
            "552 5.3.4 Message size exceeds fixed limit\r\n");
    quit(c, t);

    char body[4096];
    const mail big = {"20260302091800.6D7E8F@client.example.org", "alice@example.org",
                      "bob@example.net", "March figures, all of them",
                      figures_body(body, sizeof body, 48)};
    char data[TEXT_MAX];
    payload(data, sizeof data, &big);
    c = conn_open(g, "198.51.100.20", 40421, SERVER_SMALL, 25, 60);
    t = greet(c, 60, "220 mx2.example.net ESMTP Postfix\r\n");
    t = cmd(c, t + THINK, EHLO_CMD, SMALL_EHLO);
    t = envelope(c, t, &POSTFIX, &big);
    cli(c, t += THINK, data);
    srv(c, t += QUEUE, "552 5.3.4 Error: message file too big\r\n");
    quit(c, t);
}

/* ---- overloaded servers ---- */

/* A client's SYN retried 3 times (1, 2, 4 s apart) with no SYN/ACK; 93 s later the same
 * client gets through from another port: one connect_failed (no_synack, 4 attempts), settled
 * by the timeout while the capture goes on. */
static void sc_syn_unanswered(gen *g)
{
    syn_unanswered(g, CLIENT, 40400, SERVER, 25, 0, 3);
    clean_delivery(g, 40401, 100, &M_REPORT, QUEUED("5E6F708192"));
}

/* Nothing listens on port 25: each SYN is refused with a RST; the client tries again a minute
 * later from another port. Two connect_failed (refused), no session. */
static void sc_syn_refused(gen *g)
{
    syn_refused(g, CLIENT, 40410, SERVER, 25, 0);
    syn_refused(g, CLIENT, 40411, SERVER, 25, 60);
}

/* An overloaded server: the client's SYNs go unanswered (a full backlog); it gets through
 * 20 s later, but the end of data is never answered and it gives up; five minutes later it
 * sends the message again and it is accepted. The failed connect at the same server, just
 * before the attempts, ranks the duplicate server_overloaded. */
static void sc_overload_retry(gen *g)
{
    syn_unanswered(g, CLIENT, 40420, SERVER, 25, 0, 3);
    unanswered_delivery(g, 40421, 20, &M_INVOICE);
    clean_delivery(g, 40422, 320, &M_INVOICE, QUEUED("6F708192A3"));
}

enum { BUSY_CLIENTS = 40 };

/* One busy-server client: i picks its greeting and end-of-data delays (a few slow ones), or
 * the 421 that turns it away. */
static void busy_client(gen *g, int i)
{
    char ip[32], line[128];
    fmt(ip, sizeof ip, "198.51.100.%d", 100 + i);
    double t = i * 0.1;
    conn *c = conn_open(g, ip, (uint16_t)(42000 + i), SERVER, 25, t);
    if (i == 20) { /* Postfix's anvil limit */
        fmt(line, sizeof line, "421 4.7.0 mx.example.net Error: too many connections from %s\r\n",
            ip);
        srv(c, t += 0.005, line);
        srv_fin(c, t += 0.0001);
        cli_fin(c, t + 0.001);
        return;
    }
    double banner = i % 10 == 3 ? 8.0 + i * 0.2 : 0.005 + 0.001 * (i % 7);
    double queue = i % 10 == 7 ? 20.0 + i * 0.5 : 0.5 + 0.05 * (i % 20);
    char id[64], body[128], data[TEXT_MAX];
    fmt(id, sizeof id, "20260302090000.B%04X@client%d.example.org", (unsigned)i, i);
    fmt(body, sizeof body, "Order %d confirmed.\n", 7000 + i);
    const mail m = {id, "shop@example.org", "bob@example.net", "Your order", body};
    payload(data, sizeof data, &m);
    srv(c, t += banner, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, &m);
    cli(c, t += THINK, data);
    fmt(line, sizeof line, "250 2.0.0 Ok: queued as B%04X\r\n", (unsigned)i);
    srv(c, t += queue, line);
    quit(c, t);
}

/* 40 clients at one server within 4 s: greetings late for four of them (8.6 to 14.6 s),
 * replies to end of data late for four (23.5 to 38.5 s), one turned away with a 421, and two
 * more clients whose SYNs the full backlog never answers (still waiting at capture end). The
 * server object shows the peak of sessions open at once and the delays' percentiles. */
static void sc_busy_server(gen *g)
{
    for (int i = 0; i < BUSY_CLIENTS; i++)
        busy_client(g, i);
    syn_unanswered(g, "198.51.100.200", 43000, SERVER, 25, 2.0, 2);
    syn_unanswered(g, "198.51.100.201", 43001, SERVER, 25, 2.5, 2);
}

/* ---- relays, loops and per-recipient copies: not duplicates ---- */

#define RELAY_A "192.0.2.31"
#define RELAY_B "192.0.2.32"
#define FINAL_MX "203.0.113.50"

static const mail M_ORDER = {"20260302090400.6A7B8C@client.example.org", "alice@example.org",
                             "bob@example.net", "Order 4711",
                             "Bob,\n\nOrder 4711 ships on Friday.\n\nAlice\n"};
static const mail M_NEWSLETTER = {"20260302090500.1F2E3D@client.example.org", "alice@example.org",
                                  "bob@example.net, carol@example.net, dave@example.net",
                                  "March newsletter",
                                  "Hello all,\n\nNews of March below.\n\n"
                                  "Alice\n"};

/* The message as a relay passes it on: `received` Received: lines above the headers of
 * payload(), the newest first, each folded over two lines as MTAs write them. */
static void relayed(char *out, size_t n, const mail *m, unsigned received)
{
    char line[256], rest[TEXT_MAX];
    size_t len = 0;
    out[0] = '\0';
    for (unsigned i = received; i > 0; i--) {
        fmt(line, sizeof line,
            "Received: from hop%u.example.org (hop%u.example.org [192.0.2.%u])\r\n"
            "\tby hop%u.example.org with ESMTP id H%u; Mon, 02 Mar 2026 09:00:%02u +0000\r\n",
            i - 1, i - 1, 100 + i, i, i, i);
        cat(out, n, &len, line);
    }
    payload(rest, sizeof rest, m);
    cat(out, n, &len, rest);
}

/* One transfer of m from cip to sip with `received` Received: lines, QUIT after; `queued`
 * NULL: the server never answers the end of data and the client gives up. Returns the end. */
static double hop(gen *g, const char *cip, uint16_t cport, const char *sip, double t, const mail *m,
                  unsigned received, const char *queued)
{
    char data[TEXT_MAX];
    relayed(data, sizeof data, m, received);
    conn *c = conn_open(g, cip, cport, sip, 25, t);
    t = greet(c, t, BANNER);
    t = ehlo(c, t);
    t = envelope(c, t, &POSTFIX, m);
    cli(c, t += THINK, data);
    if (!queued)
        return hang_up(c, t + GIVE_UP);
    srv(c, t += QUEUE, queued);
    return quit(c, t);
}

/* Two relays that route the domain to each other (relayhost pointing both ways): A -> B ->
 * A -> B, one more Received: each time. One loop, not duplicates. */
static void sc_mail_loop(gen *g)
{
    hop(g, RELAY_A, 40400, RELAY_B, 0, &M_ORDER, 4, QUEUED("4A00000001"));
    hop(g, RELAY_B, 40401, RELAY_A, 2, &M_ORDER, 5, QUEUED("5B00000002"));
    hop(g, RELAY_A, 40402, RELAY_B, 4, &M_ORDER, 6, QUEUED("4A00000003"));
}

/* A capture on a relay: the message comes in from the client and goes out to the final
 * server 3 s later with one more Received:. A relay path, not a duplicate. */
static void sc_relay_path(gen *g)
{
    hop(g, CLIENT, 40410, SERVER, 0, &M_ORDER, 1, QUEUED("1C00000001"));
    hop(g, SERVER, 40411, FINAL_MX, 3, &M_ORDER, 2, QUEUED("2D00000002"));
}

/* The same relay path, its first hop retried: the relay never answered the first end of
 * data, the client gave up and sent it again 5 minutes later. One duplicate group for that
 * hop, and the relay path. */
static void sc_retry_in_relay(gen *g)
{
    hop(g, CLIENT, 40420, SERVER, 0, &M_ORDER, 1, NULL);
    double t = hop(g, CLIENT, 40421, SERVER, 300, &M_ORDER, 1, QUEUED("1C00000003"));
    hop(g, SERVER, 40422, FINAL_MX, t + 2, &M_ORDER, 2, QUEUED("2D00000004"));
}

/* One message sent as three transactions of one RCPT each (a recipient limit of 1), all
 * accepted: per-recipient copies, not a duplicate. */
static void sc_fanout(gen *g)
{
    static const char *const to[] = {"bob@example.net", "carol@example.net", "dave@example.net"};
    static const char *const queued[] = {QUEUED("3E00000001"), QUEUED("3E00000002"),
                                         QUEUED("3E00000003")};
    char data[TEXT_MAX];
    payload(data, sizeof data, &M_NEWSLETTER);
    conn *c = conn_open(g, CLIENT, 40430, SERVER, 25, 0);
    double t = greet(c, 0, BANNER);
    t = ehlo(c, t);
    for (int i = 0; i < 3; i++) {
        t = envelope_to(c, t, &POSTFIX, &M_NEWSLETTER, to[i]);
        cli(c, t += THINK, data);
        srv(c, t += QUEUE, queued[i]);
    }
    quit(c, t);
}

/* ---- everything at once ---- */

enum {
    MIX_CLEAN = 200,
    MIX_SLOW = 20,
    MIX_BUSY = 20,
    MIX_BIG = 20,
    MIX_NO_SYNACK = 20,
    MIX_REFUSED = 20,
    MIX_LOOPS = 10,
    MIX_RELAYS = 10,
    MIX_FANOUTS = 10,
    MIX_RETRIES = 10,
};

/* The next client port of the mix, from 30000 on: every connection its own, so no two
 * collide. */
static uint16_t mix_port(gen *g)
{
    return (uint16_t)(30000 + g->mix_ports++);
}

/* Message i of a kind ('C' clean, 'S' slow greeting, 'L' loop, 'P' relay path, 'F' fan-out,
 * 'R' retry): its own Message-ID and body. */
static mail mix_mail(char kind, int i, char *id, size_t idn, char *body, size_t bodyn)
{
    fmt(id, idn, "20260302090000.%c%04X@client%d.example.org", kind, (unsigned)i, i);
    fmt(body, bodyn, "Hello,\n\nThis is message %c%d of the overload mix.\nOrder %d ships.\n", kind,
        i, 9000 + i);
    const mail m = {id, "alice@example.org", "bob@example.net", "Overload mix", body};
    return m;
}

/* Delivery i of a kind from ip, its greeting `wait` seconds after the handshake. */
static void mix_delivery(gen *g, const char *ip, double t0, double wait, const mail *m, char kind,
                         int i)
{
    char queued[64];
    fmt(queued, sizeof queued, "250 2.0.0 Ok: queued as %c%04X\r\n", kind, (unsigned)i);
    late_greeting_from(g, ip, mix_port(g), t0, wait, m, queued);
}

/* About five minutes at one busy server (192.0.2.25) and two relays, all interleaved: 200
 * clean deliveries, 20 greetings 35 s late, 20 421 greetings, 20 SIZE= refused with 552 5.3.4,
 * 20 SYNs never answered (retried 3 times), 20 refused with RST, 10 three-hop loops between
 * the relays, 10 two-hop relay paths, 10 messages sent as three single-RCPT transactions and
 * 10 messages re-sent over the same hop after an unanswered end of data. Each message has its
 * own Message-ID and body. */
static void sc_overload_mix(gen *g)
{
    char ip[32], id[96], body[160], line[160];
    for (int i = 0; i < MIX_CLEAN; i++) {
        const mail m = mix_mail('C', i, id, sizeof id, body, sizeof body);
        fmt(ip, sizeof ip, "198.51.100.%d", 100 + i % 100);
        mix_delivery(g, ip, 1.0 + i * 1.2, 0.005, &m, 'C', i);
    }
    for (int i = 0; i < MIX_SLOW; i++) {
        const mail m = mix_mail('S', i, id, sizeof id, body, sizeof body);
        fmt(ip, sizeof ip, "198.51.100.%d", 60 + i);
        mix_delivery(g, ip, 3.0 + i * 11, 35.0, &m, 'S', i);
    }
    for (int i = 0; i < MIX_BUSY; i++) {
        fmt(ip, sizeof ip, "198.51.100.%d", 30 + i);
        double t = 5.0 + i * 12;
        conn *c = conn_open(g, ip, mix_port(g), SERVER, 25, t);
        fmt(line, sizeof line, "421 4.7.0 mx.example.net Error: too many connections from %s\r\n",
            ip);
        t = greet(c, t, line);
        srv_fin(c, t += 0.0001);
        cli_fin(c, t + 0.001);
    }
    for (int i = 0; i < MIX_BIG; i++) {
        fmt(ip, sizeof ip, "198.51.100.%d", 10 + i);
        double t = 7.0 + i * 12;
        conn *c = conn_open(g, ip, mix_port(g), SERVER, 25, t);
        t = greet(c, t, BANNER);
        t = ehlo(c, t);
        fmt(line, sizeof line, "MAIL FROM:<alice@example.org> SIZE=%u\r\n", 15728640u + 1024u * i);
        t = cmd(c, t + THINK, line, "552 5.3.4 Message size exceeds fixed limit\r\n");
        quit(c, t);
    }
    for (int i = 0; i < MIX_NO_SYNACK; i++) {
        fmt(ip, sizeof ip, "198.51.100.%d", 200 + i);
        syn_unanswered(g, ip, mix_port(g), SERVER, 25, 2.0 + i * 10, 3);
    }
    for (int i = 0; i < MIX_REFUSED; i++) {
        fmt(ip, sizeof ip, "198.51.100.%d", 230 + i);
        syn_refused(g, ip, mix_port(g), SERVER, 25, 4.0 + i * 10);
    }
    for (int i = 0; i < MIX_LOOPS; i++) {
        const mail m = mix_mail('L', i, id, sizeof id, body, sizeof body);
        double t = 10.0 + i * 20;
        for (unsigned h = 0; h < 3; h++) {
            fmt(line, sizeof line, "250 2.0.0 Ok: queued as L%02d%u\r\n", i, h);
            hop(g, h % 2 ? RELAY_B : RELAY_A, mix_port(g), h % 2 ? RELAY_A : RELAY_B, t + 2 * h, &m,
                4 + h, line);
        }
    }
    for (int i = 0; i < MIX_RELAYS; i++) {
        const mail m = mix_mail('P', i, id, sizeof id, body, sizeof body);
        fmt(ip, sizeof ip, "198.51.100.%d", 80 + i);
        double t = 12.0 + i * 20;
        fmt(line, sizeof line, "250 2.0.0 Ok: queued as P%02d0\r\n", i);
        t = hop(g, ip, mix_port(g), SERVER, t, &m, 1, line);
        fmt(line, sizeof line, "250 2.0.0 Ok: queued as P%02d1\r\n", i);
        hop(g, SERVER, mix_port(g), FINAL_MX, t + 3, &m, 2, line);
    }
    static const char *const to[] = {"bob@example.net", "carol@example.net", "dave@example.net"};
    for (int i = 0; i < MIX_FANOUTS; i++) {
        const mail m = mix_mail('F', i, id, sizeof id, body, sizeof body);
        char data[TEXT_MAX];
        payload(data, sizeof data, &m);
        fmt(ip, sizeof ip, "198.51.100.%d", 40 + i);
        conn *c = conn_open(g, ip, mix_port(g), SERVER, 25, 14.0 + i * 20);
        double t = greet(c, 14.0 + i * 20, BANNER);
        t = ehlo(c, t);
        for (int k = 0; k < 3; k++) {
            t = envelope_to(c, t, &POSTFIX, &m, to[k]);
            cli(c, t += THINK, data);
            fmt(line, sizeof line, "250 2.0.0 Ok: queued as F%02d%d\r\n", i, k);
            srv(c, t += QUEUE, line);
        }
        quit(c, t);
    }
    for (int i = 0; i < MIX_RETRIES; i++) {
        const mail m = mix_mail('R', i, id, sizeof id, body, sizeof body);
        fmt(ip, sizeof ip, "198.51.100.%d", 90 + i);
        double t = 16.0 + i * 15;
        hop(g, ip, mix_port(g), SERVER, t, &m, 0, NULL);
        fmt(line, sizeof line, "250 2.0.0 Ok: queued as R%02d\r\n", i);
        hop(g, ip, mix_port(g), SERVER, t + 120, &m, 0, line);
    }
}

/* ---- POP3 (RFC 1939): a mailbox collected from a Dovecot-like server ---- */

#define POP3_SERVER "192.0.2.110"
#define POP3_GREETING "+OK Dovecot ready.\r\n"
#define POP3_UIDL "+OK\r\n1 000000014f1a2b01\r\n2 000000024f1a2b02\r\n.\r\n"

/* Greeting, USER and PASS accepted; returns the time of the last reply. */
static double pop3_login(conn *c, double t, const char *user)
{
    char line[128];
    t = greet(c, t, POP3_GREETING);
    fmt(line, sizeof line, "USER %s\r\n", user);
    t = cmd(c, t + THINK, line, "+OK\r\n");
    return cmd(c, t + THINK, "PASS Tr0ub4dor&3\r\n", "+OK Logged in.\r\n");
}

/* "+OK n octets" and the message, as RETR answers it. */
static void retr_response(char *out, size_t n, const mail *m)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, m);
    fmt(out, n, "+OK %zu octets\r\n%s", len - 3, data);
}

static double pop3_retr(conn *c, double t, unsigned number, const mail *m)
{
    char line[32], resp[TEXT_MAX];
    fmt(line, sizeof line, "RETR %u\r\n", number);
    retr_response(resp, sizeof resp, m);
    return cmd(c, t + THINK, line, resp);
}

static double pop3_quit(conn *c, double t, const char *reply)
{
    t = cmd(c, t + THINK, "QUIT\r\n", reply);
    srv_fin(c, t += 0.0001);
    cli_fin(c, t += 0.001);
    return t;
}

/* STAT, UIDL, RETR 2, DELE 2, QUIT +OK: the message is gone from the server. */
static double pop3_collect(conn *c, double t)
{
    t = pop3_login(c, t, "bob");
    t = cmd(c, t + THINK, "STAT\r\n", "+OK 2 1093\r\n");
    t = cmd(c, t + THINK, "UIDL\r\n", POP3_UIDL);
    t = pop3_retr(c, t, 2, &M_REPORT);
    return cmd(c, t + THINK, "DELE 2\r\n", "+OK Marked to be deleted.\r\n");
}

static void sc_pop3_clean(gen *g)
{
    conn *c = conn_open(g, CLIENT, 41001, POP3_SERVER, 110, 0);
    pop3_quit(c, pop3_collect(c, 0), "+OK Logging out, messages deleted.\r\n");
}

/* DELE accepted, then the client resets: the server rolls the deletion back. */
static void sc_pop3_dele_dropped(gen *g)
{
    conn *c = conn_open(g, CLIENT, 41002, POP3_SERVER, 110, 0);
    rst_from_client(c, pop3_collect(c, 0) + 0.5);
}

/* The connection is reset in the middle of RETR 1's message. */
static void sc_pop3_retr_cut(gen *g)
{
    char resp[TEXT_MAX];
    conn *c = conn_open(g, CLIENT, 41003, POP3_SERVER, 110, 0);
    double t = pop3_login(c, 0, "bob");
    retr_response(resp, sizeof resp, &M_MINUTES);
    resp[strlen(resp) / 2] = '\0';
    cli(c, t += THINK, "RETR 1\r\n");
    srv(c, t += REPLY, resp);
    rst_from_client(c, t + 2.0);
}

/* QUIT refused: the deletions are not done. */
static void sc_pop3_quit_err(gen *g)
{
    conn *c = conn_open(g, CLIENT, 41004, POP3_SERVER, 110, 0);
    pop3_quit(c, pop3_collect(c, 0), "-ERR Some deleted messages were not removed\r\n");
}

/* A second collector finds the mailbox locked (RFC 2449 [IN-USE]). */
static void sc_pop3_in_use(gen *g)
{
    conn *c = conn_open(g, CLIENT, 41005, POP3_SERVER, 110, 0);
    double t = greet(c, 0, POP3_GREETING);
    t = cmd(c, t + THINK, "USER bob\r\n", "+OK\r\n");
    t = cmd(c, t + THINK, "PASS Tr0ub4dor&3\r\n",
            "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n");
    pop3_quit(c, t, "+OK Logging out.\r\n");
}

/* CAPA, STLS accepted, then TLS records: counted, not parsed. */
static void sc_pop3_stls(gen *g)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03};
    static const uint8_t server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x03, 0x02, 0x00, 0x00};
    conn *c = conn_open(g, CLIENT, 41006, POP3_SERVER, 110, 0);
    double t = greet(c, 0, POP3_GREETING);
    t = cmd(c, t + THINK, "CAPA\r\n", "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nSTLS\r\nPIPELINING\r\n.\r\n");
    t = cmd(c, t + THINK, "STLS\r\n", "+OK Begin TLS negotiation now.\r\n");
    send_bytes(c, CLI, t += THINK, hello, sizeof hello);
    send_bytes(c, SRV, t += REPLY, server_hello, sizeof server_hello);
    hang_up(c, t + 1.0);
}

/* Messages whose terminator is cut after each of its bytes 1..4 across server segments, then
 * one sent byte by byte; the body with dot-stuffed look-alikes. All complete. */
static void sc_pop3_retr_split_terminator(gen *g)
{
    static const mail *const mails[] = {&M_DOTS, &M_MINUTES, &M_INVOICE, &M_LUNCH, &M_REPORT};
    conn *c = conn_open(g, CLIENT, 41007, POP3_SERVER, 110, 0);
    double t = pop3_login(c, 0, "bob");
    for (unsigned k = 1; k <= 5; k++) {
        char line[32], resp[TEXT_MAX];
        retr_response(resp, sizeof resp, mails[k - 1]);
        size_t len = strlen(resp);
        size_t cuts[4] = {len - 5 + k, 0, 0, 0};
        size_t ncuts = 1;
        if (k == 5) /* the whole terminator a byte a segment */
            for (ncuts = 0; ncuts < 4; ncuts++)
                cuts[ncuts] = len - 4 + ncuts;
        fmt(line, sizeof line, "RETR %u\r\n", k);
        cli(c, t += THINK, line);
        send_cuts(c, SRV, t += REPLY, resp, cuts, ncuts, 0.002);
        t += 0.01;
    }
    pop3_quit(c, t, "+OK Logging out.\r\n");
}

/* ---- POP3 across sessions: the same message downloaded again ---- */

/* Login, UIDL, RETR 1 and 2, no DELE, QUIT +OK: a client that leaves mail on the server. */
static double pop3_keep_all(conn *c, double t)
{
    t = pop3_login(c, t, "bob");
    t = cmd(c, t + THINK, "UIDL\r\n", POP3_UIDL);
    t = pop3_retr(c, t, 1, &M_LUNCH);
    t = pop3_retr(c, t, 2, &M_REPORT);
    return pop3_quit(c, t, "+OK Logging out.\r\n");
}

/* RETR 2 and DELE 2, then a reset: the deletion is rolled back, and the next session (a
 * minute later) downloads message 2 again and QUITs: pop3_rollback. */
static void sc_pop3_rollback(gen *g)
{
    conn *c = conn_open(g, CLIENT, 41011, POP3_SERVER, 110, 0);
    rst_from_client(c, pop3_collect(c, 0) + 0.5);
    c = conn_open(g, CLIENT, 41012, POP3_SERVER, 110, 60.0);
    pop3_quit(c, pop3_collect(c, 60.0), "+OK Logging out, messages deleted.\r\n");
}

/* Two sessions five minutes apart, each RETRs both messages and DELEs none: leave_on_server. */
static void sc_pop3_leave_on_server(gen *g)
{
    pop3_keep_all(conn_open(g, CLIENT, 41013, POP3_SERVER, 110, 0), 0);
    pop3_keep_all(conn_open(g, CLIENT, 41014, POP3_SERVER, 110, 300.0), 300.0);
}

/* Two clients log into one mailbox a moment apart and both RETR and DELE message 2: both
 * sessions pop3_concurrent_mailbox, the message concurrent_collectors. */
static void sc_pop3_two_collectors(gen *g)
{
    conn *a = conn_open(g, CLIENT, 41015, POP3_SERVER, 110, 0);
    conn *b = conn_open(g, "198.51.100.11", 41016, POP3_SERVER, 110, 0.005);
    double ta = pop3_collect(a, 0), tb = pop3_collect(b, 0.005);
    pop3_quit(a, ta, "+OK Logging out, messages deleted.\r\n");
    pop3_quit(b, tb, "+OK Logging out, messages deleted.\r\n");
}

/* ---- captures cut by a short snaplen, and implicit TLS ---- */

/* An SMTP delivery ended by FINs, one reset by the client after its greeting, and a POP3
 * collection, with Linux's SYN options, written cut at snaplen bytes (IPv6 when ip6): what
 * `tcpdump -s 68` or `-s 96` keeps of them. */
static void snaplen_sessions(gen *g, unsigned snaplen, int ip6)
{
    g->linux_syn = 1;
    g->ip6 = ip6;
    g->snaplen = snaplen;
    sc_clean(g);
    conn *c = conn_open(g, CLIENT, 40002, SERVER, 25, 5.0);
    rst_from_client(c, greet(c, 5.0, BANNER) + 1.0);
    c = conn_open(g, CLIENT, 41001, POP3_SERVER, 110, 10.0);
    pop3_quit(c, pop3_collect(c, 10.0), "+OK Logging out, messages deleted.\r\n");
}

static void sc_snaplen_68(gen *g)
{
    snaplen_sessions(g, 68, 0);
}

static void sc_snaplen_96(gen *g)
{
    snaplen_sessions(g, 96, 0);
}

static void sc_snaplen_68_ip6(gen *g)
{
    snaplen_sessions(g, 68, 1);
}

static void sc_snaplen_96_ip6(gen *g)
{
    snaplen_sessions(g, 96, 1);
}

/* TLS from the first byte on dport: ClientHello, the server's flight, records each way, FINs
 * (bytes shaped like TLS 1.3; nothing decrypts them). */
static void tls_session(gen *g, uint16_t cport, const char *server, uint16_t dport, double t,
                        uint32_t seed)
{
    bytes o = {.rng = seed};
    uint8_t sid[32];
    b_rand(&o, 32);
    memcpy(sid, o.b, 32);
    o.n = 0;
    conn *c = conn_open(g, CLIENT, cport, server, dport, t);
    client_hello(&o, sid);
    tls_send(c, CLI, t += 0.002, &o);
    server_flight(&o, sid);
    tls_send(c, SRV, t += 0.004, &o);
    static const size_t sizes[] = {53, 215, 101, 658, 46};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        tls_record(&o, 0x17, sizes[i]);
        tls_send(c, i % 2 ? SRV : CLI, t += i % 2 ? REPLY : THINK, &o);
    }
    cli_fin(c, t += THINK);
    srv_fin(c, t + QUICK_ACK);
}

/* SMTPS (465) and POP3S (995): encrypted from the first byte. */
static void sc_implicit_tls(gen *g)
{
    tls_session(g, 40465, SERVER, 465, 0, 0x7a3c91e5);
    tls_session(g, 41995, POP3_SERVER, 995, 1.0, 0x51f0c2d7);
}

static const scenario SCENARIOS[] = {
    {"clean", sc_clean},
    {"split-cut1", sc_split_cut1},
    {"split-cut2", sc_split_cut2},
    {"split-cut3", sc_split_cut3},
    {"split-cut4", sc_split_cut4},
    {"split-acked", sc_split_acked},
    {"unsplit-unacked", sc_unsplit_unacked},
    {"dotstuff-lookalike", sc_dotstuff_lookalike},
    {"bdat-lookalike", sc_bdat_lookalike},
    {"eod-before-354", sc_eod_before_354},
    {"ooo-whole", sc_ooo_whole},
    {"ooo-split", sc_ooo_split},
    {"retrans-split", sc_retrans_split},
    {"mailguard", sc_mailguard},
    {"mailguard-retry", sc_mailguard_retry},
    {"masked-pix44", sc_masked_pix44},
    {"masked-multiline-unterminated", sc_masked_multiline_unterminated},
    {"banner-with-stars", sc_banner_with_stars},
    {"pipelining", sc_pipelining},
    {"starttls", sc_starttls},
    {"auth-login", sc_auth_login},
    {"auth-plain", sc_auth_plain},
    {"rst-after-data", sc_rst_after_data},
    {"two-messages", sc_two_messages},
    {"long-line-garbage", sc_long_line_garbage},
    {"capture-end-open", sc_capture_end_open},
    {"bad-checksums", sc_bad_checksums},
    {"idle-timeout", sc_idle_timeout},
    {"bare-lf-and-multiline", sc_bare_lf_and_multiline},
    {"resend-after-ack", sc_resend_after_ack},
    {"slow-server-retry", sc_slow_server_retry},
    {"new-msgid-resend", sc_new_msgid_resend},
    {"asa-esmtp", sc_asa_esmtp},
    {"zero-window", sc_zero_window},
    {"retrans-eod-rst", sc_retrans_eod_rst},
    {"never-quit-client", sc_never_quit_client},
    {"terminal-escapes", sc_terminal_escapes},
    {"html-hostile", sc_html_hostile},
    {"slow-banner", sc_slow_banner},
    {"busy-421", sc_busy_421},
    {"size-limit", sc_size_limit},
    {"syn-unanswered", sc_syn_unanswered},
    {"syn-refused", sc_syn_refused},
    {"busy-server", sc_busy_server},
    {"overload-retry", sc_overload_retry},
    {"mail-loop", sc_mail_loop},
    {"relay-path", sc_relay_path},
    {"retry-in-relay", sc_retry_in_relay},
    {"fanout", sc_fanout},
    {"overload-mix", sc_overload_mix},
    {"sample", sc_sample},
    {"pop3-clean", sc_pop3_clean},
    {"pop3-dele-dropped", sc_pop3_dele_dropped},
    {"pop3-retr-cut", sc_pop3_retr_cut},
    {"pop3-quit-err", sc_pop3_quit_err},
    {"pop3-in-use", sc_pop3_in_use},
    {"pop3-stls", sc_pop3_stls},
    {"pop3-retr-split-terminator", sc_pop3_retr_split_terminator},
    {"pop3-rollback", sc_pop3_rollback},
    {"pop3-leave-on-server", sc_pop3_leave_on_server},
    {"pop3-two-collectors", sc_pop3_two_collectors},
    {"snaplen-68", sc_snaplen_68},
    {"snaplen-96", sc_snaplen_96},
    {"snaplen-68-ip6", sc_snaplen_68_ip6},
    {"snaplen-96-ip6", sc_snaplen_96_ip6},
    {"implicit-tls", sc_implicit_tls},
};

/* ---- pairs: the same traffic captured on both sides of a middlebox ---- */

/* The outside sees the client and the box's public address for the server; the inside sees
 * the box's own address and the real server. */
#define OUT_CLIENT "192.0.2.10"
#define PUBLIC "198.51.100.25"
#define BOX_IN "10.9.0.1"
#define SERVER_IN "10.9.0.25"
#define INSIDE_CLIENT "10.9.0.50"

#define STACK 0.0001      /* a TCP stack's answer to a SYN or a SYN/ACK */
#define BOX_TURN 0.0003   /* a proxy's answer to what it handles itself */
#define PROXY_DIAL 0.0004 /* from the outside handshake's end to the proxy's SYN inside */
#define MAX_NAT MAX_CONNS

enum { NAT, PROXY };

/* A NAT box forwards every segment of one TCP connection, addresses and ports rewritten; a
 * proxy ends the client's connection and opens its own to the server. */
typedef struct box {
    int kind;
    double delay[2]; /* what the box adds to a crossing from CLI and from SRV */
    gen out, in;     /* the two captures */
    gen wire;        /* NAT: the connections end to end, each frame at its sender's time */
    uint16_t nat_port[MAX_NAT][2]; /* NAT: a client's port outside, the box's port inside */
    size_t nnat;
} box;

/* One session through the box. Times in its script are the client's for what the client
 * sends (the outside capture's) and the server's for what the server sends (the inside's). */
typedef struct path {
    box *b;
    conn *out; /* proxy: the client's connection to the box; NAT: the one connection */
    conn *in;  /* proxy: the box's connection to the server; NAT: NULL */
} path;

/* The server's ISN hashed with the client's address and port too, as real stacks give each
 * 4-tuple its own: a pair's sessions to one server must not share sequence numbers, which a
 * matcher could otherwise confuse. */
static void isn_per_client(conn *c)
{
    side *k = &c->end[CLI], *s = &c->end[SRV];
    uint8_t key[6];
    memcpy(key, k->ip, 4);
    key[4] = (uint8_t)(k->port >> 8);
    key[5] = (uint8_t)k->port;
    s->nxt = fnv(key, sizeof key, s->nxt);
    k->rcv = s->nxt;
}

/* A connection of a pair's capture: conn_open with isn_per_client. */
static conn *pair_conn(gen *g, const char *cip, uint16_t cport, const char *sip, double t)
{
    conn *c = conn_new(g, cip, cport, sip, 25);
    isn_per_client(c);
    handshake(c, t);
    return c;
}

/* NAT: the connection end to end, its segments reaching each end `delay` late. */
static double nat_open(box *b, path *p, uint16_t port, uint16_t in_port, double t)
{
    if (b->nnat == MAX_NAT)
        fatal("too many NAT sessions");
    b->nat_port[b->nnat][0] = port;
    b->nat_port[b->nnat++][1] = in_port;
    conn *c = conn_new(&b->wire, OUT_CLIENT, port, PUBLIC, 25);
    isn_per_client(c);
    c->lag[CLI] = b->delay[CLI];
    c->lag[SRV] = b->delay[SRV];
    p->out = c;
    seg(c, CLI, t, F_SYN, NULL, 0);
    double synack = t + b->delay[CLI] + STACK;
    seg(c, SRV, synack, F_SYN | F_ACK, NULL, 0);
    double ack = synack + b->delay[SRV] + STACK;
    seg(c, CLI, ack, F_ACK, NULL, 0);
    return ack + b->delay[CLI];
}

/* A session from the client's port, the box using in_port inside, the client's SYN at t.
 * Returns when the server has its end of the handshake. */
static double path_open(box *b, path *p, uint16_t port, uint16_t in_port, double t)
{
    memset(p, 0, sizeof *p);
    p->b = b;
    if (b->kind == NAT)
        return nat_open(b, p, port, in_port, t);
    p->out = pair_conn(&b->out, OUT_CLIENT, port, PUBLIC, t);
    t += 0.001 + PROXY_DIAL;
    p->in = pair_conn(&b->in, BOX_IN, in_port, SERVER_IN, t);
    return t + 0.001;
}

/* The client's write at t as the server gets it `delay` later; inside is what the box sends
 * instead (NULL: nothing). Returns when the server has it. */
static double cross_cli(path *p, double t, const char *text, const char *inside, double delay)
{
    if (!p->in && (inside != text || delay != p->b->delay[CLI]))
        fatal("a NAT box forwards segments as they are");
    cli(p->out, t, text);
    if (p->in && inside)
        cli(p->in, t + delay, inside);
    return t + delay;
}

/* The server's write at t as the client gets it `delay` later, outside what the box sends. */
static double cross_srv(path *p, double t, const char *text, const char *outside, double delay)
{
    if (!p->in) {
        if (outside != text || delay != p->b->delay[SRV])
            fatal("a NAT box forwards segments as they are");
        srv(p->out, t, text);
        return t + delay;
    }
    srv(p->in, t, text);
    if (outside)
        srv(p->out, t + delay, outside);
    return t + delay;
}

static double p_cli(path *p, double t, const char *text)
{
    return cross_cli(p, t, text, text, p->b->delay[CLI]);
}

static double p_srv(path *p, double t, const char *text)
{
    return cross_srv(p, t, text, text, p->b->delay[SRV]);
}

/* A command and its reply, both forwarded; returns when the client has the reply. */
static double p_cmd(path *p, double t, const char *line, const char *reply)
{
    return p_srv(p, p_cli(p, t, line) + REPLY, reply);
}

/* A proxy keeps the client's line and answers it itself; returns the time of its answer. */
static double box_answers(path *p, double t, const char *line, const char *reply)
{
    cross_cli(p, t, line, NULL, 0);
    srv(p->out, t + BOX_TURN, reply);
    return t + BOX_TURN;
}

/* A FIN from one end, and the FIN the box sends on (a proxy) or forwards (NAT). */
static double p_cli_fin(path *p, double t)
{
    cli_fin(p->out, t);
    if (p->in)
        cli_fin(p->in, t + p->b->delay[CLI]);
    return t + p->b->delay[CLI];
}

static double p_srv_fin(path *p, double t)
{
    if (!p->in) {
        srv_fin(p->out, t);
        return t + p->b->delay[SRV];
    }
    srv_fin(p->in, t);
    srv_fin(p->out, t + p->b->delay[SRV]);
    return t + p->b->delay[SRV];
}

/* The greeting 5 ms after the server's handshake (t); outside: what the client gets. */
static double p_greet(path *p, double t, const char *outside)
{
    return cross_srv(p, t + 0.005, BANNER, outside, p->b->delay[SRV]);
}

static double p_ehlo(path *p, double t)
{
    return p_cmd(p, t + THINK, EHLO_CMD, EHLO_REPLY);
}

static double p_helo(path *p, double t)
{
    return p_cmd(p, t + THINK, HELO_CMD, "250 mx.example.net\r\n");
}

/* MAIL, RCPT and DATA one at a time, Postfix's replies. */
static double p_envelope(path *p, double t, const mail *m)
{
    char line[256];
    fmt(line, sizeof line, "MAIL FROM:<%s>\r\n", m->from);
    t = p_cmd(p, t + THINK, line, POSTFIX.mail_ok);
    fmt(line, sizeof line, "RCPT TO:<%s>\r\n", m->to);
    t = p_cmd(p, t + THINK, line, POSTFIX.rcpt_ok);
    return p_cmd(p, t + THINK, "DATA\r\n", POSTFIX.go_ahead);
}

/* The same with PIPELINING: the three commands in one segment, the replies in one. */
static double p_envelope_pipelined(path *p, double t, const mail *m)
{
    char line[512], replies[256];
    fmt(line, sizeof line, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", m->from, m->to);
    fmt(replies, sizeof replies, "%s%s%s", POSTFIX.mail_ok, POSTFIX.rcpt_ok, POSTFIX.go_ahead);
    return p_cmd(p, t + THINK, line, replies);
}

/* The body in one segment, the box holding it `hold`, and the server's 250 `queue` after it
 * has it. Returns when the client has the 250. */
static double p_body(path *p, double t, const mail *m, double hold, double queue,
                     const char *queued)
{
    char data[TEXT_MAX];
    payload(data, sizeof data, m);
    double at = cross_cli(p, t + THINK, data, data, hold);
    return p_srv(p, at + queue, queued);
}

static double p_deliver(path *p, double t, const mail *m, const char *queued)
{
    t = p_envelope(p, t, m);
    return p_body(p, t, m, p->b->delay[CLI], QUEUE, queued);
}

/* QUIT and 221; the server closes first, then the client, each FIN carried across. */
static double p_quit(path *p, double t)
{
    double at = p_cli(p, t + THINK, "QUIT\r\n");
    p_srv(p, at + REPLY, "221 2.0.0 Bye\r\n");
    double fin = p_srv_fin(p, at + REPLY + 0.0001);
    return p_cli_fin(p, fin + 0.001);
}

/* The body up to its last CR LF, and ". CR LF" alone a second later, which the box keeps.
 * Returns the time of the ". CR LF". */
static double p_body_eod_kept(path *p, double t, const mail *m)
{
    char data[TEXT_MAX];
    size_t len = payload(data, sizeof data, m);
    data[len - 3] = '\0';
    p_cli(p, t + THINK, data);
    cross_cli(p, t + THINK + 1.0, ".\r\n", NULL, 0);
    return t + THINK + 1.0;
}

/* ---- the NAT box's two captures ---- */

/* A copy of a wire frame with the addresses and ports one capture sees (the MACs derived
 * from them as side_init does), the TTL one less if it crossed the box, checksums redone. */
static void nat_copy(gen *g, int64_t us, const frame *f, const char *sip, uint16_t sport,
                     const char *dip, uint16_t dport, int crossed)
{
    uint8_t b[FRAME_MAX];
    side s, r;
    side_init(&s, sip, sport);
    side_init(&r, dip, dport);
    memcpy(b, f->bytes, f->len);
    uint8_t *ip = b + 14, *tcp = b + 14 + 20;
    size_t tcplen = f->len - 14 - 20;
    memcpy(b, r.mac, 6);
    memcpy(b + 6, s.mac, 6);
    memcpy(ip + 12, s.ip, 4);
    memcpy(ip + 16, r.ip, 4);
    ip[8] = (uint8_t)(ip[8] - crossed);
    pkt_ip4_checksum(ip);
    pkt_put16(tcp, sport);
    pkt_put16(tcp + 2, dport);
    pkt_put16(tcp + 16, pkt_tcp_checksum(tcp, tcplen, pkt_tcp_pseudo(s.ip, r.ip, 4, tcplen)));
    add_frame_us(g, us, b, f->len);
}

static uint16_t nat_inside_port(const box *b, uint16_t port)
{
    for (size_t i = 0; i < b->nnat; i++)
        if (b->nat_port[i][0] == port)
            return b->nat_port[i][1];
    fatal("no NAT session for port %u", port);
}

/* Every wire frame into both captures: the sender's side sees it when it is sent, the other
 * side the box's delay later. */
static void nat_project(box *b)
{
    gen *w = &b->wire;
    int64_t cs = (int64_t)(b->delay[CLI] * 1e6 + 0.5), sc = (int64_t)(b->delay[SRV] * 1e6 + 0.5);
    for (size_t i = 0; i < w->nconns; i++)
        if (!w->conns[i]->reset)
            settle(w->conns[i], -1, 1e12);
    for (size_t i = 0; i < w->nframes; i++) {
        const frame *f = &w->frames[i];
        const uint8_t *tcp = f->bytes + 14 + 20;
        uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]), dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
        if (sport == 25) {
            nat_copy(&b->in, f->us, f, SERVER_IN, 25, BOX_IN, nat_inside_port(b, dport), 0);
            nat_copy(&b->out, f->us + sc, f, PUBLIC, 25, OUT_CLIENT, dport, 1);
        } else {
            nat_copy(&b->out, f->us, f, OUT_CLIENT, sport, PUBLIC, 25, 0);
            nat_copy(&b->in, f->us + cs, f, BOX_IN, nat_inside_port(b, sport), SERVER_IN, 25, 1);
        }
    }
}

/* ---- pair scenarios ---- */

static const mail M_GATE_1 = {"20260302090700.1A2B3C@client.example.org", "alice@example.org",
                              "bob@example.net", "Quarterly review",
                              "Bob,\n\nThe quarterly review is on Tuesday at ten.\n\nAlice\n"};
static const mail M_GATE_2 = {"20260302090702.4D5E6F@sales.example.org", "alice@sales.example.org",
                              "bob@example.net", "Price list 2026",
                              "Hello Bob,\n\nThe new price list applies from 1 April.\n"
                              "Questions to sales, please.\n\nAlice\n"};
static const mail M_GATE_3 = {"20260302090704.7A8B9C@hr.example.org", "alice@hr.example.org",
                              "bob@example.net", "Holiday planner",
                              "Bob,\n\nPlease enter your summer holidays by Friday.\n\nAlice\n"};

/* Three sessions 2 s apart through a NAT box, the second pipelined: only the delay. */
static void pc_nat(box *b)
{
    static const mail *const m[] = {&M_GATE_1, &M_GATE_2, &M_GATE_3};
    static const char *const queued[] = {QUEUED("A100000001"), QUEUED("A100000002"),
                                         QUEUED("A100000003")};
    for (int i = 0; i < 3; i++) {
        path p;
        double t = path_open(b, &p, (uint16_t)(50001 + i), (uint16_t)(61001 + i), 2.0 * i);
        t = p_greet(&p, t, BANNER);
        t = p_ehlo(&p, t);
        t = i == 1 ? p_envelope_pipelined(&p, t, m[i]) : p_envelope(&p, t, m[i]);
        t = p_body(&p, t, m[i], b->delay[CLI], QUEUE, queued[i]);
        p_quit(&p, t);
    }
}

/* A slow proxy: 200 ms each way in, 40 ms out, and the second session's end of data held
 * 900 ms. */
static void pc_delay(box *b)
{
    static const mail *const m[] = {&M_GATE_1, &M_GATE_2};
    static const char *const queued[] = {QUEUED("A200000001"), QUEUED("A200000002")};
    for (int i = 0; i < 2; i++) {
        path p;
        double t = path_open(b, &p, (uint16_t)(50011 + i), (uint16_t)(61011 + i), 5.0 * i);
        t = p_greet(&p, t, BANNER);
        t = p_ehlo(&p, t);
        t = p_envelope(&p, t, m[i]);
        t = p_body(&p, t, m[i], i == 1 ? 0.9 : b->delay[CLI], QUEUE, queued[i]);
        p_quit(&p, t);
    }
}

/* PIX Mailguard's greeting: "220 ", then every byte but 2, 0, space, CR and LF as '*'. */
static void mask_banner(char *out, size_t n, const char *banner)
{
    fmt(out, n, "%s", banner);
    for (char *c = out + 4; *c; c++)
        if (!strchr("20 \r\n", *c))
            *c = '*';
}

/* A proxy like PIX Mailguard: the greeting masked, EHLO answered by the box with 500 and
 * kept; HELO passes and the message goes through. */
static void pc_answered(box *b)
{
    char masked[64];
    mask_banner(masked, sizeof masked, BANNER);
    path p;
    double t = path_open(b, &p, 50021, 61021, 0);
    t = p_greet(&p, t, masked);
    t = box_answers(&p, t + THINK, EHLO_CMD, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n");
    t = p_helo(&p, t);
    t = p_deliver(&p, t, &M_GATE_1, QUEUED("A300000001"));
    p_quit(&p, t);
}

/* A proxy like ASA inspect esmtp: EHLO reaches the server as XXXX, which refuses it. */
static void pc_rewrite(box *b)
{
    path p;
    double t = path_open(b, &p, 50031, 61031, 0);
    t = p_greet(&p, t, BANNER);
    double at = cross_cli(&p, t + THINK, EHLO_CMD, "XXXX client.example.org\r\n", b->delay[CLI]);
    t = p_srv(&p, at + REPLY, "502 5.5.2 Error: command not recognized\r\n");
    t = p_helo(&p, t);
    t = p_deliver(&p, t, &M_GATE_1, QUEUED("A400000001"));
    p_quit(&p, t);
}

/* The envelope of an attempt whose end of data the proxy swallows. */
static double eod_session(box *b, path *p, uint16_t port, uint16_t in_port, double t)
{
    t = path_open(b, p, port, in_port, t);
    t = p_greet(p, t, BANNER);
    t = p_helo(p, t);
    t = p_envelope(p, t, &M_GATE_2);
    return p_body_eod_kept(p, t, &M_GATE_2);
}

/* Three attempts 20 s apart; ". CR LF" never leaves the box, the client gives up after 10 s
 * and closes, and the box closes the inside. */
static void pc_dropped_eod(box *b)
{
    for (int i = 0; i < 3; i++) {
        path p;
        double t = eod_session(b, &p, (uint16_t)(50041 + i), (uint16_t)(61041 + i), 20.0 * i);
        p_srv_fin(&p, p_cli_fin(&p, t + 10.0) + 0.0001);
    }
}

/* The box's RST on its side of a connection: nothing follows it there. */
static void rst_from_server(conn *c, double t)
{
    seg(c, SRV, t, F_RST | F_ACK, NULL, 0);
    conn_dead(c);
}

/* Session 1: after the kept ". CR LF" the box resets the client and closes the inside with a
 * FIN. Session 2: the box answers QUIT itself and resets the server instead of passing it. */
static void pc_reset(box *b)
{
    path p;
    double t = eod_session(b, &p, 50051, 61051, 0);
    rst_from_server(p.out, t + BOX_TURN);
    cli_fin(p.in, t + BOX_TURN);
    srv_fin(p.in, t + BOX_TURN + 0.0001);

    t = path_open(b, &p, 50052, 61052, 5.0);
    t = p_greet(&p, t, BANNER);
    t = p_ehlo(&p, t);
    t = p_deliver(&p, t, &M_GATE_3, QUEUED("A600000002"));
    cross_cli(&p, t += THINK, "QUIT\r\n", NULL, 0);
    rst_from_client(p.in, t + b->delay[CLI]);
    srv(p.out, t += BOX_TURN, "221 2.0.0 Bye\r\n");
    srv_fin(p.out, t += 0.0001);
    cli_fin(p.out, t + 0.001);
}

/* A: through the proxy. B: outside only, the box refuses the client itself. C: inside only,
 * an internal client straight to the server. */
static void pc_one_sided(box *b)
{
    path p;
    double t = path_open(b, &p, 50061, 61061, 0);
    t = p_greet(&p, t, BANNER);
    t = p_ehlo(&p, t);
    t = p_deliver(&p, t, &M_GATE_1, QUEUED("A700000001"));
    p_quit(&p, t);

    conn *c = pair_conn(&b->out, OUT_CLIENT, 50062, PUBLIC, 3.0);
    t = greet(c, 3.0, "554 5.7.1 connection refused by policy\r\n");
    quit(c, t);

    c = pair_conn(&b->in, INSIDE_CLIENT, 41061, SERVER_IN, 6.0);
    t = greet(c, 6.0, BANNER);
    t = cmd(c, t + THINK, "EHLO app1.example.net\r\n", EHLO_REPLY);
    t = deliver(c, t, &POSTFIX, &M_GATE_3, QUEUED("A700000003"));
    quit(c, t);
}

enum { BUSY_PATHS = 20 };

/* 20 overlapping sessions 50 ms apart through a NAT box, each its own message, the server
 * taking 1.4 s to queue each: only the delay. */
static void pc_busy(box *b)
{
    for (int i = 0; i < BUSY_PATHS; i++) {
        char id[64], body[128], queued[64];
        fmt(id, sizeof id, "20260302090800.C%04X@client.example.org", (unsigned)i);
        fmt(body, sizeof body, "Order %d confirmed.\nIt ships within two days.\n", 8000 + i);
        fmt(queued, sizeof queued, "250 2.0.0 Ok: queued as C8%08X\r\n", (unsigned)i);
        const mail m = {id, "shop@example.org", "bob@example.net", "Your order", body};
        path p;
        double t = path_open(b, &p, (uint16_t)(50100 + i), (uint16_t)(61100 + i), 0.05 * i);
        t = p_greet(&p, t, BANNER);
        t = p_ehlo(&p, t);
        t = p_envelope(&p, t, &m);
        t = p_body(&p, t, &m, b->delay[CLI], 1.4, queued);
        p_quit(&p, t);
    }
}

typedef struct pair_scenario {
    const char *name;
    int kind;
    double to_server, to_client; /* the box's delay each way */
    void (*run)(box *b);
} pair_scenario;

static const pair_scenario PAIRS[] = {
    {"path-nat", NAT, 0.0005, 0.0002, pc_nat},
    {"path-delay", PROXY, 0.2, 0.04, pc_delay},
    {"path-answered", PROXY, 0.0008, 0.0003, pc_answered},
    {"path-rewrite", PROXY, 0.0008, 0.0003, pc_rewrite},
    {"path-dropped-eod", PROXY, 0.0008, 0.0003, pc_dropped_eod},
    {"path-reset", PROXY, 0.0008, 0.0003, pc_reset},
    {"path-one-sided", PROXY, 0.0008, 0.0003, pc_one_sided},
    {"path-busy", NAT, 0.0005, 0.0002, pc_busy},
};

/* Every pair as outdir/<name>.outside.pcap and outdir/<name>.inside.pcap. */
static void write_pairs(const char *outdir)
{
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
        fatal("%s: %s", outdir, strerror(errno));
    for (size_t k = 0; k < sizeof PAIRS / sizeof *PAIRS; k++) {
        box b = {.kind = PAIRS[k].kind, .delay = {PAIRS[k].to_server, PAIRS[k].to_client}};
        char path[4096];
        PAIRS[k].run(&b);
        if (b.kind == NAT)
            nat_project(&b);
        fmt(path, sizeof path, "%s/%s.outside.pcap", outdir, PAIRS[k].name);
        gen_write(&b.out, path);
        fmt(path, sizeof path, "%s/%s.inside.pcap", outdir, PAIRS[k].name);
        gen_write(&b.in, path);
        gen_free(&b.out);
        gen_free(&b.in);
        gen_free(&b.wire);
    }
}

static void usage(FILE *out)
{
    fputs("usage: pcapgen [--sample FILE] OUTDIR   write every scenario as OUTDIR/<name>.pcap\n"
          "       pcapgen --list                   print the scenario names\n"
          "       pcapgen --pairs OUTDIR           write every middlebox pair as\n"
          "                                        OUTDIR/<name>.outside.pcap and .inside.pcap\n"
          "       pcapgen --list-pairs             print the pair names\n"
          "--sample FILE writes the demo capture to FILE instead of OUTDIR/sample.pcap\n",
          out);
}

/* Every scenario as outdir/<name>.pcap; the demo to sample_path when one is given. */
static void write_all(const char *outdir, const char *sample_path)
{
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST)
        fatal("%s: %s", outdir, strerror(errno));
    for (size_t k = 0; k < sizeof SCENARIOS / sizeof *SCENARIOS; k++) {
        char path[4096];
        if (sample_path && !strcmp(SCENARIOS[k].name, "sample"))
            fmt(path, sizeof path, "%s", sample_path);
        else
            fmt(path, sizeof path, "%s/%s.pcap", outdir, SCENARIOS[k].name);
        gen g = {0};
        SCENARIOS[k].run(&g);
        gen_write(&g, path);
        gen_free(&g);
    }
}

int main(int argc, char **argv)
{
    const char *outdir = NULL, *sample = NULL;
    const size_t count = sizeof SCENARIOS / sizeof *SCENARIOS;
    int pairs = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list")) {
            for (size_t k = 0; k < count; k++)
                puts(SCENARIOS[k].name);
            return 0;
        } else if (!strcmp(argv[i], "--list-pairs")) {
            for (size_t k = 0; k < sizeof PAIRS / sizeof *PAIRS; k++)
                puts(PAIRS[k].name);
            return 0;
        } else if (!strcmp(argv[i], "--pairs")) {
            pairs = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--sample") && i + 1 < argc) {
            sample = argv[++i];
        } else if (argv[i][0] == '-' || outdir) {
            usage(stderr);
            return 2;
        } else {
            outdir = argv[i];
        }
    }
    if (!outdir || (pairs && sample)) {
        usage(stderr);
        return 2;
    }
    if (pairs)
        write_pairs(outdir);
    else
        write_all(outdir, sample);
    return 0;
}
