/* linkgen: rewrites a capture into the link layers, IP versions and file formats smtpscope
 * must read, so that one SMTP story (a pcapgen scenario, a real capture) can be checked in
 * every form: the analysis must stay the same but for addresses and frame sizes.
 *
 * Usage: linkgen [options] IN OUT
 *   --link TYPE      eth, vlan (802.1Q), qinq (802.1ad + 802.1Q), sll (Linux cooked v1),
 *                    sll2 (cooked v2), null (BSD loopback, little-endian AF; IPv6 as 30, macOS),
 *                    loop (OpenBSD loopback, network order), raw (LINKTYPE_RAW), ipv4, ipv6
 *                    (LINKTYPE_IPV4/IPV6), ppp, tokenring (one smtpscope does not decode);
 *                    default: eth
 *   --ip6            IPv4 becomes IPv6: a.b.c.d -> 2001:db8::a.b.c.d (checksums recomputed,
 *                    a wrong one stays wrong)
 *   --ip6-port P     only the connections with TCP port P become IPv6 (repeatable): a
 *                    dual-stack capture
 *   --ext            IPv6 gets a hop-by-hop and a destination-options header before TCP
 *   --frag N         IP datagrams with more than N payload bytes are fragmented into N-byte
 *                    pieces (IPv4 flags/offset, IPv6 fragment header; N a multiple of 8)
 *   --frag-reverse   fragments of a datagram are written last piece first
 *   --skip N         drop the first N frames (a capture started mid-session)
 *   --port A:B       TCP port A becomes B in both directions
 *   --pcapng         write pcapng instead of pcap
 *   --ifaces K       pcapng: K interfaces of the same link type, frame i on interface i % K
 *   --nsec           pcapng: interface 1 (or 0 if only one) stamps in nanoseconds
 *   --repeat N       N copies of the input, copy k started k ms after the first with client
 *                    addresses moved by k: a big capture of many concurrent sessions
 *   --nids-loop      no output: time a libnids-only loop over IN (DLT_EN10MB, IPv4), the
 *                    baseline smtpscope's speed is held to (docs/ipv6-design.md)
 *   --reasm-loop     no output: time the same loop through sniff/ and reassembly/ (any link
 *                    type, IPv4 and IPv6), to measure what they add to libnids
 *
 * The input may be any link type sniff/decode.h reads. Output is deterministic. */
#include <errno.h>
#include <nids.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reassembly/reasm.h"
#include "sniff/decode.h"
#include "sniff/sniff.h"
#include "tests/pkt.h"

#define MAX_FRAME (65536 + 64)
#define MAX_IP6_PORTS 16

enum link {
    L_ETH,
    L_VLAN,
    L_QINQ,
    L_SLL,
    L_SLL2,
    L_NULL,
    L_LOOP,
    L_RAW,
    L_IPV4,
    L_IPV6,
    L_PPP,
    L_TOKENRING
};

static const struct {
    const char *name;
    int dlt;
} links[] = {
    {"eth", DLT_EN10MB}, {"vlan", DLT_EN10MB}, {"qinq", DLT_EN10MB}, {"sll", DLT_LINUX_SLL},
    {"sll2", 276},       {"null", DLT_NULL},   {"loop", DLT_LOOP},   {"raw", DLT_RAW},
    {"ipv4", 228},       {"ipv6", 229},        {"ppp", DLT_PPP},     {"tokenring", DLT_IEEE802},
};

typedef struct options {
    enum link link;
    int ip6, ext, frag, frag_reverse, pcapng, ifaces, nsec, nids_loop, reasm_loop;
    long skip, repeat;
    int port_from, port_to;
    int ip6_ports[MAX_IP6_PORTS], n_ip6_ports;
    const char *in, *out;
} options;

/* One frame on its way out: the IP packet is rewritten in place, then wrapped. */
typedef struct pkt {
    struct timeval ts;
    uint8_t ip[MAX_FRAME];
    size_t len;
    uint8_t mac_src[6], mac_dst[6];
    int from_server; /* the source port is the lower one */
} pkt;

typedef struct writer {
    const options *o;
    pcap_dumper_t *dump;
    pcap_t *dead;
    FILE *ng;
    uint64_t frames;
    uint32_t frag_id;
} writer;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "linkgen: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

/* ---- bytes and checksums (the writers and sums are tests/pkt.h's) ---- */

/* The 16- or 32-bit field at off of the packet in p; 0 past its end. */
static uint16_t field16(const pkt *p, size_t off)
{
    pkt_view v = pkt_view_of(p->ip, p->len);
    return pkt_be16(&v, off);
}

static uint32_t field32(const pkt *p, size_t off)
{
    pkt_view v = pkt_view_of(p->ip, p->len);
    return pkt_be32(&v, off);
}

static uint32_t pseudo4(const uint8_t *ip, size_t tcp_len)
{
    return pkt_tcp_pseudo(ip + 12, ip + 16, 4, tcp_len);
}

/* ---- options ---- */

static long number(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
        die("bad number '%s'", s);
    return v;
}

static enum link link_named(const char *name)
{
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (strcmp(links[i].name, name) == 0)
            return (enum link)i;
    die("unknown link type '%s'", name);
    return L_ETH;
}

static void parse_port_map(options *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    char a[16];
    if (colon == NULL || (size_t)(colon - arg) >= sizeof a)
        die("bad port map '%s' (A:B)", arg);
    memcpy(a, arg, (size_t)(colon - arg));
    a[colon - arg] = '\0';
    o->port_from = (int)number(a, 1, 65535);
    o->port_to = (int)number(colon + 1, 1, 65535);
}

static const char *need(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        die("option %s needs a value", argv[*i]);
    return argv[++*i];
}

static int parse_flag(options *o, const char *a)
{
    int *flag = strcmp(a, "--ip6") == 0            ? &o->ip6
                : strcmp(a, "--ext") == 0          ? &o->ext
                : strcmp(a, "--frag-reverse") == 0 ? &o->frag_reverse
                : strcmp(a, "--pcapng") == 0       ? &o->pcapng
                : strcmp(a, "--nsec") == 0         ? &o->nsec
                : strcmp(a, "--nids-loop") == 0    ? &o->nids_loop
                : strcmp(a, "--reasm-loop") == 0   ? &o->reasm_loop
                                                   : NULL;
    if (flag == NULL)
        return 0;
    *flag = 1;
    return 1;
}

static void parse(options *o, int argc, char **argv)
{
    int i, pos = 0;
    memset(o, 0, sizeof *o);
    o->ifaces = 1;
    o->repeat = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (parse_flag(o, a))
            continue;
        if (strcmp(a, "--link") == 0)
            o->link = link_named(need(argc, argv, &i));
        else if (strcmp(a, "--frag") == 0)
            o->frag = (int)number(need(argc, argv, &i), 8, 65528);
        else if (strcmp(a, "--skip") == 0)
            o->skip = number(need(argc, argv, &i), 0, 1L << 40);
        else if (strcmp(a, "--repeat") == 0)
            o->repeat = number(need(argc, argv, &i), 1, 65535);
        else if (strcmp(a, "--ifaces") == 0)
            o->ifaces = (int)number(need(argc, argv, &i), 1, 64);
        else if (strcmp(a, "--port") == 0)
            parse_port_map(o, need(argc, argv, &i));
        else if (strcmp(a, "--ip6-port") == 0 && o->n_ip6_ports < MAX_IP6_PORTS)
            o->ip6_ports[o->n_ip6_ports++] = (int)number(need(argc, argv, &i), 1, 65535);
        else if (a[0] == '-' && a[1] == '-')
            die("unknown option '%s'", a);
        else if (pos == 0)
            o->in = a, pos++;
        else if (pos == 1)
            o->out = a, pos++;
        else
            die("too many arguments at '%s'", a);
    }
    if (o->frag % 8 != 0)
        die("--frag %s: not a multiple of 8", "N");
    if (o->in == NULL || (o->out == NULL && !o->nids_loop && !o->reasm_loop))
        die("%s",
            "usage: linkgen [options] IN OUT (see the comment at the top of tools/linkgen.c)");
}

/* ---- rewriting the IP packet ---- */

static int tcp_ports(const pkt *p, uint16_t *sport, uint16_t *dport)
{
    size_t hl = (size_t)(p->ip[0] & 15) * 4;
    if ((p->ip[0] >> 4) != 4 || p->ip[9] != 6 || (field16(p, 6) & 0x3fff) || p->len < hl + 20)
        return 0;
    *sport = field16(p, hl);
    *dport = field16(p, hl + 2);
    return 1;
}

static void map_ports(const options *o, pkt *p)
{
    size_t hl = (size_t)(p->ip[0] & 15) * 4;
    uint16_t s, d;
    if (o->port_from == 0 || !tcp_ports(p, &s, &d))
        return;
    int good = pkt_tcp_checksum(p->ip + hl, p->len - hl, pseudo4(p->ip, p->len - hl)) ==
               field16(p, hl + 16);
    if (s == o->port_from)
        pkt_put16(p->ip + hl, (uint32_t)o->port_to);
    if (d == o->port_from)
        pkt_put16(p->ip + hl + 2, (uint32_t)o->port_to);
    uint16_t sum = pkt_tcp_checksum(p->ip + hl, p->len - hl, pseudo4(p->ip, p->len - hl));
    pkt_put16(p->ip + hl + 16, good ? sum : sum ^ 0x5a5a);
}

/* Copy k of --repeat: the client (the higher port) moves k addresses up. */
static void shift_client(pkt *p, long k)
{
    size_t hl = (size_t)(p->ip[0] & 15) * 4;
    uint16_t s, d;
    if (k == 0 || !tcp_ports(p, &s, &d))
        return;
    int good = pkt_tcp_checksum(p->ip + hl, p->len - hl, pseudo4(p->ip, p->len - hl)) ==
               field16(p, hl + 16);
    size_t a = s > d ? 12 : 16;
    pkt_put32(p->ip + a, field32(p, a) + (uint32_t)k);
    pkt_ip4_checksum(p->ip);
    uint16_t sum = pkt_tcp_checksum(p->ip + hl, p->len - hl, pseudo4(p->ip, p->len - hl));
    pkt_put16(p->ip + hl + 16, good ? sum : sum ^ 0x5a5a);
}

static int wants_ip6(const options *o, const pkt *p)
{
    uint16_t s, d;
    if (!o->ip6 && o->n_ip6_ports == 0)
        return 0;
    if (o->n_ip6_ports == 0)
        return 1;
    if (!tcp_ports(p, &s, &d))
        return 0;
    for (int i = 0; i < o->n_ip6_ports; i++)
        if (s == o->ip6_ports[i] || d == o->ip6_ports[i])
            return 1;
    return 0;
}

static void addr6(uint8_t *out, const uint8_t *v4)
{
    static const uint8_t prefix[12] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(out, prefix, 12);
    memcpy(out + 12, v4, 4);
}

/* Hop-by-hop then destination options, each 8 bytes of PadN. */
static size_t put_ext(uint8_t *h)
{
    static const uint8_t pad[8] = {IP6_DSTOPTS, 0, 1, 4, 0, 0, 0, 0};
    memcpy(h, pad, 8);
    memcpy(h + 8, pad, 8);
    h[8] = IP6_TCP;
    return 16;
}

/* The IPv4 TCP packet becomes IPv6. Only whole TCP packets are converted. */
static void to_ip6(const options *o, pkt *p)
{
    uint8_t tcp[65536], *ip = p->ip;
    size_t hl = (size_t)(ip[0] & 15) * 4, tlen = field16(p, 2) - hl, ext = 0;
    uint16_t s, d;
    if (!tcp_ports(p, &s, &d) || field16(p, 2) > p->len)
        return;
    int good = pkt_tcp_checksum(ip + hl, tlen, pseudo4(ip, tlen)) == field16(p, hl + 16);
    uint8_t src[16], dst[16];
    addr6(src, ip + 12);
    addr6(dst, ip + 16);
    memcpy(tcp, ip + hl, tlen);
    uint8_t tos = ip[1], ttl = ip[8];
    memset(ip, 0, 40);
    ip[0] = (uint8_t)(0x60 | tos >> 4);
    ip[1] = (uint8_t)(tos << 4);
    ip[6] = IP6_TCP;
    ip[7] = ttl;
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    if (o->ext) {
        ip[6] = IP6_HOPOPTS;
        ext = put_ext(ip + 40);
    }
    uint16_t sum = pkt_tcp_checksum(tcp, tlen, pkt_tcp_pseudo(src, dst, 16, tlen));
    pkt_put16(tcp + 16, good ? sum : sum ^ 0x5a5a);
    memcpy(ip + 40 + ext, tcp, tlen);
    pkt_put16(ip + 4, (uint32_t)(ext + tlen));
    p->len = 40 + ext + tlen;
}

/* ---- link layers ---- */

static size_t put_eth(uint8_t *f, const pkt *p, uint16_t type, int tags)
{
    size_t off = 12;
    memcpy(f, p->mac_dst, 6);
    memcpy(f + 6, p->mac_src, 6);
    if (tags == 2) { /* the provider's service tag outside the customer's tag */
        pkt_put16(f + off, 0x88a8);
        pkt_put16(f + off + 2, 200);
        off += 4;
    }
    if (tags >= 1) {
        pkt_put16(f + off, 0x8100);
        pkt_put16(f + off + 2, 100);
        off += 4;
    }
    pkt_put16(f + off, type);
    return off + 2;
}

static size_t put_sll(uint8_t *f, const pkt *p, uint16_t type)
{
    memset(f, 0, 16);
    pkt_put16(f, p->from_server ? 4 : 0); /* sent by this host, or to it */
    pkt_put16(f + 2, 1);                  /* ARPHRD_ETHER */
    pkt_put16(f + 4, 6);
    memcpy(f + 6, p->mac_src, 6);
    pkt_put16(f + 14, type);
    return 16;
}

static size_t put_sll2(uint8_t *f, const pkt *p, uint16_t type)
{
    memset(f, 0, 20);
    pkt_put16(f, type);
    pkt_put32(f + 4, 1); /* interface index */
    pkt_put16(f + 8, 1); /* ARPHRD_ETHER */
    f[10] = p->from_server ? 4 : 0;
    f[11] = 6;
    memcpy(f + 12, p->mac_src, 6);
    return 20;
}

/* The link header for the packet in p; returns its length. */
static size_t put_link(enum link l, uint8_t *f, const pkt *p)
{
    int v6 = (p->ip[0] >> 4) == 6;
    uint16_t type = v6 ? 0x86dd : 0x0800;
    switch (l) {
    case L_ETH:
    case L_VLAN:
    case L_QINQ:
        return put_eth(f, p, type, l == L_ETH ? 0 : l == L_VLAN ? 1 : 2);
    case L_SLL:
        return put_sll(f, p, type);
    case L_SLL2:
        return put_sll2(f, p, type);
    case L_NULL: /* little-endian, as written on x86 */
        memset(f, 0, 4);
        f[0] = v6 ? 30 : 2;
        return 4;
    case L_LOOP:
        memset(f, 0, 4);
        f[3] = v6 ? 24 : 2;
        return 4;
    case L_PPP:
        f[0] = 0xff;
        f[1] = 0x03;
        pkt_put16(f + 2, v6 ? 0x0057 : 0x0021);
        return 4;
    case L_TOKENRING:
        memset(f, 0, 22);
        return 22;
    default:
        return 0;
    }
}

/* ---- output ---- */

static void ng_block(FILE *f, uint32_t type, const uint8_t *body, size_t len)
{
    static const uint8_t zero[4];
    uint32_t total = (uint32_t)(12 + ((len + 3) & ~(size_t)3));
    fwrite(&type, 4, 1, f);
    fwrite(&total, 4, 1, f);
    fwrite(body, 1, len, f);
    fwrite(zero, 1, (4 - len % 4) % 4, f);
    fwrite(&total, 4, 1, f);
}

static void ng_header(writer *w, int dlt)
{
    uint8_t shb[16], idb[20];
    uint32_t magic = 0x1a2b3c4d, snap = 262144;
    uint16_t major = 1, minor = 0, type = (uint16_t)dlt, zero = 0;
    int64_t section = -1;
    memcpy(shb, &magic, 4);
    memcpy(shb + 4, &major, 2);
    memcpy(shb + 6, &minor, 2);
    memcpy(shb + 8, &section, 8);
    ng_block(w->ng, 0x0a0d0d0a, shb, sizeof shb);
    for (int i = 0; i < w->o->ifaces; i++) {
        int nsec = w->o->nsec && i == (w->o->ifaces > 1 ? 1 : 0);
        memcpy(idb, &type, 2);
        memcpy(idb + 2, &zero, 2);
        memcpy(idb + 4, &snap, 4);
        /* if_tsresol (9) = 9: nanoseconds; then the end of options */
        static const uint8_t tsresol[8] = {9, 0, 1, 0, 9, 0, 0, 0};
        memcpy(idb + 8, tsresol, 8);
        memset(idb + 16, 0, 4);
        ng_block(w->ng, 1, idb, nsec ? 20 : 8);
    }
}

static void ng_packet(writer *w, const struct timeval *ts, const uint8_t *f, size_t len)
{
    static uint8_t body[20 + MAX_FRAME];
    uint32_t iface = (uint32_t)(w->frames % (uint64_t)w->o->ifaces);
    int nsec = w->o->nsec && iface == (w->o->ifaces > 1 ? 1u : 0u);
    uint64_t t = (uint64_t)ts->tv_sec * (nsec ? 1000000000u : 1000000u) +
                 (uint64_t)ts->tv_usec * (nsec ? 1000u : 1u);
    uint32_t hi = (uint32_t)(t >> 32), lo = (uint32_t)t, l = (uint32_t)len;
    memcpy(body, &iface, 4);
    memcpy(body + 4, &hi, 4);
    memcpy(body + 8, &lo, 4);
    memcpy(body + 12, &l, 4);
    memcpy(body + 16, &l, 4);
    memcpy(body + 20, f, len);
    ng_block(w->ng, 6, body, 20 + len);
}

static void open_writer(writer *w, const options *o)
{
    int dlt = links[o->link].dlt;
    memset(w, 0, sizeof *w);
    w->o = o;
    if (o->pcapng) {
        if ((w->ng = fopen(o->out, "wb")) == NULL)
            die("cannot write '%s'", o->out);
        ng_header(w, dlt);
        return;
    }
    w->dead = pcap_open_dead(dlt, 65535);
    if (w->dead == NULL || (w->dump = pcap_dump_open(w->dead, o->out)) == NULL)
        die("cannot write '%s'", o->out);
}

static void close_writer(writer *w)
{
    if (w->ng != NULL && fclose(w->ng) != 0)
        die("writing '%s' failed", w->o->out);
    if (w->dump != NULL) {
        pcap_dump_close(w->dump);
        pcap_close(w->dead);
    }
}

static void emit(writer *w, const pkt *p, const uint8_t *ip, size_t len)
{
    static uint8_t f[64 + MAX_FRAME];
    size_t hl = put_link(w->o->link, f, p);
    memcpy(f + hl, ip, len);
    if (w->ng != NULL) {
        ng_packet(w, &p->ts, f, hl + len);
    } else {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts = p->ts;
        h.caplen = h.len = (bpf_u_int32)(hl + len);
        pcap_dump((u_char *)w->dump, &h, f);
    }
    w->frames++;
}

/* ---- fragmentation ---- */

static void emit_frag4(writer *w, const pkt *p, size_t off, size_t n, int more)
{
    static uint8_t f[MAX_FRAME];
    size_t hl = (size_t)(p->ip[0] & 15) * 4;
    memcpy(f, p->ip, hl);
    memcpy(f + hl, p->ip + hl + off, n);
    pkt_put16(f + 2, (uint32_t)(hl + n));
    pkt_put16(f + 6, (uint32_t)((more ? 0x2000 : 0) | off / 8));
    pkt_ip4_checksum(f);
    emit(w, p, f, hl + n);
}

/* The unfragmentable part is the header and a hop-by-hop header (--ext); the rest is cut. */
static void emit_frag6(writer *w, const pkt *p, size_t off, size_t n, int more)
{
    static uint8_t f[MAX_FRAME];
    size_t unfrag = p->ip[6] == IP6_HOPOPTS ? 48 : 40;
    memcpy(f, p->ip, unfrag);
    uint8_t *fh = f + unfrag;
    fh[0] = p->ip[unfrag == 48 ? 40 : 6];
    fh[1] = 0;
    pkt_put16(fh + 2, (uint32_t)(off | (more ? 1 : 0)));
    pkt_put32(fh + 4, w->frag_id);
    if (unfrag == 48)
        f[40] = IP6_FRAGMENT;
    else
        f[6] = IP6_FRAGMENT;
    memcpy(fh + 8, p->ip + unfrag + off, n);
    pkt_put16(f + 4, (uint32_t)(unfrag - 40 + 8 + n));
    emit(w, p, f, unfrag + 8 + n);
}

static void write_packet(writer *w, const pkt *p)
{
    int v6 = (p->ip[0] >> 4) == 6;
    size_t head = v6 ? (p->ip[6] == IP6_HOPOPTS ? 48 : 40) : (size_t)(p->ip[0] & 15) * 4;
    size_t body = p->len - head, n = (size_t)w->o->frag, count;
    if (n == 0 || body <= n || (!v6 && (field16(p, 6) & 0x3fff))) {
        emit(w, p, p->ip, p->len);
        return;
    }
    w->frag_id++;
    count = (body + n - 1) / n;
    for (size_t i = 0; i < count; i++) {
        size_t k = w->o->frag_reverse ? count - 1 - i : i, off = k * n;
        size_t len = off + n > body ? body - off : n;
        if (v6)
            emit_frag6(w, p, off, len, k + 1 < count);
        else
            emit_frag4(w, p, off, len, k + 1 < count);
    }
}

/* ---- input ---- */

typedef struct input {
    pcap_t *pcap;
    int dlt;
    struct pcap_pkthdr *hdr;
    const u_char *bytes;
} input;

/* Reads the next IP frame of the input into p; 0 at the end. Non-IP frames are skipped. */
static int read_packet(input *in, pkt *p)
{
    net_packet n;
    while (pcap_next_ex(in->pcap, &in->hdr, &in->bytes) == 1) {
        net_decode(in->dlt, in->bytes, in->hdr->caplen, &n);
        if (n.family == NET_NONE || n.caplen > MAX_FRAME)
            continue;
        p->ts = in->hdr->ts;
        memcpy(p->ip, n.ip, n.caplen);
        p->len = n.caplen;
        if (n.family == NET_IP4 && field16(p, 2) <= p->len)
            p->len = field16(p, 2); /* without the Ethernet padding */
        p->from_server = n.has_ports && n.sport < n.dport;
        if (in->dlt == DLT_EN10MB && in->hdr->caplen >= 12) {
            memcpy(p->mac_dst, in->bytes, 6);
            memcpy(p->mac_src, in->bytes + 6, 6);
        }
        return 1;
    }
    return 0;
}

static void open_input(input *in, const char *file)
{
    char err[PCAP_ERRBUF_SIZE];
    in->pcap = pcap_open_offline(file, err);
    if (in->pcap == NULL)
        die("%s", err);
    in->dlt = pcap_datalink(in->pcap);
}

/* ---- --repeat: a k-way merge of time-shifted copies of the (small) input ---- */

/* An input frame kept for the copies: the packet's bytes only, not a whole pkt buffer. */
typedef struct kept {
    struct timeval ts;
    uint8_t *ip;
    size_t len;
    uint8_t mac_src[6], mac_dst[6];
    int from_server;
} kept;

typedef struct frames {
    kept *p;
    size_t n;
} frames;

static void keep(frames *fr, size_t *cap, const pkt *p)
{
    if (fr->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        fr->p = realloc(fr->p, *cap * sizeof *fr->p);
    }
    uint8_t *ip = malloc(p->len);
    if (fr->p == NULL || ip == NULL)
        die("%s", "out of memory");
    memcpy(ip, p->ip, p->len);
    kept *k = &fr->p[fr->n++];
    *k = (kept){p->ts, ip, p->len, {0}, {0}, p->from_server};
    memcpy(k->mac_src, p->mac_src, 6);
    memcpy(k->mac_dst, p->mac_dst, 6);
}

static frames load_all(const char *file)
{
    static pkt p;
    input in;
    frames fr = {NULL, 0};
    size_t cap = 0;
    open_input(&in, file);
    while (read_packet(&in, &p))
        keep(&fr, &cap, &p);
    pcap_close(in.pcap);
    return fr;
}

static void unkeep(pkt *p, const kept *k)
{
    p->ts = k->ts;
    memcpy(p->ip, k->ip, k->len);
    p->len = k->len;
    memcpy(p->mac_src, k->mac_src, 6);
    memcpy(p->mac_dst, k->mac_dst, 6);
    p->from_server = k->from_server;
}

static struct timeval shifted(struct timeval t, long k)
{
    t.tv_usec += (suseconds_t)(k % 1000) * 1000;
    t.tv_sec += k / 1000 + t.tv_usec / 1000000;
    t.tv_usec %= 1000000;
    return t;
}

typedef struct cursor {
    long copy;
    size_t next;
} cursor;

static int before(const frames *fr, const cursor *a, const cursor *b)
{
    struct timeval ta = shifted(fr->p[a->next].ts, a->copy);
    struct timeval tb = shifted(fr->p[b->next].ts, b->copy);
    if (timercmp(&ta, &tb, !=))
        return timercmp(&ta, &tb, <);
    return a->copy < b->copy;
}

static void sift_down(const frames *fr, cursor *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && before(fr, &h[l], &h[m]))
            m = l;
        if (l + 1 < n && before(fr, &h[l + 1], &h[m]))
            m = l + 1;
        if (m == i)
            return;
        cursor t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* ---- the conversion ---- */

static void convert_one(writer *w, pkt *p, long copy)
{
    const options *o = w->o;
    shift_client(p, copy);
    map_ports(o, p);
    if (wants_ip6(o, p))
        to_ip6(o, p);
    if (o->link == L_IPV4 && (p->ip[0] >> 4) != 4)
        die("%s", "--link ipv4 holds IPv4 only");
    if (o->link == L_IPV6 && (p->ip[0] >> 4) != 6)
        die("%s", "--link ipv6 holds IPv6 only (add --ip6)");
    write_packet(w, p);
}

static void convert_repeated(writer *w)
{
    frames fr = load_all(w->o->in);
    size_t n = 0;
    cursor *h = calloc((size_t)w->o->repeat, sizeof *h);
    static pkt p;
    if (h == NULL)
        die("%s", "out of memory");
    for (long k = 0; k < w->o->repeat && fr.n > 0; k++)
        h[n++] = (cursor){k, 0};
    for (size_t i = n / 2; i-- > 0;)
        sift_down(&fr, h, n, i);
    while (n > 0) {
        unkeep(&p, &fr.p[h[0].next]);
        p.ts = shifted(p.ts, h[0].copy);
        convert_one(w, &p, h[0].copy);
        if (++h[0].next == fr.n)
            h[0] = h[--n];
        sift_down(&fr, h, n, 0);
    }
    free(h);
    for (size_t i = 0; i < fr.n; i++)
        free(fr.p[i].ip);
    free(fr.p);
}

static void convert(const options *o)
{
    static pkt p;
    writer w;
    input in;
    long seen = 0;
    open_writer(&w, o);
    if (o->repeat > 1) {
        convert_repeated(&w);
    } else {
        open_input(&in, o->in);
        while (read_packet(&in, &p))
            if (seen++ >= o->skip)
                convert_one(&w, &p, 0);
        pcap_close(in.pcap);
    }
    close_writer(&w);
}

/* ---- --nids-loop: the baseline ---- */

static uint64_t nids_bytes;

static void nids_tcp(struct tcp_stream *a, void **unused)
{
    (void)unused;
    if (a->nids_state == NIDS_JUST_EST) {
        a->client.collect++;
        a->server.collect++;
    } else if (a->nids_state == NIDS_DATA) {
        nids_bytes += (uint64_t)(a->client.count_new + a->server.count_new);
    }
}

static void nids_loop(const options *o)
{
    static struct nids_chksum_ctl none = {0, 0, NIDS_DONT_CHKSUM, 0};
    struct timespec t0, t1;
    input in;
    uint64_t n = 0;
    open_input(&in, o->in);
    nids_params.pcap_desc = in.pcap;
    nids_params.n_tcp_streams = 87382; /* 65536 streams, as smtpscope's default */
    nids_params.n_hosts = 1024;
    nids_params.scan_num_hosts = 0;
    nids_params.tcp_workarounds = 1;
    if (!nids_init())
        die("nids_init: %s", nids_errbuf);
    nids_register_chksum_ctl(&none, 1);
    nids_register_tcp(nids_tcp);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pcap_next_ex(in.pcap, &in.hdr, &in.bytes) == 1) {
        nids_pcap_handler(NULL, in.hdr, (u_char *)in.bytes);
        n++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("libnids-only loop: %llu packets, %llu bytes delivered, %.3f s\n", (unsigned long long)n,
           (unsigned long long)nids_bytes,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ---- --reasm-loop: the same through sniff/ and reassembly/ ---- */

static int reasm_token;

static void *loop_open(void *ctx, const reasm_endpoint *c, const reasm_endpoint *s,
                       struct timeval ts, uint64_t frame)
{
    (void)ctx, (void)c, (void)s, (void)ts, (void)frame;
    return &reasm_token;
}

static void loop_data(void *ctx, void *session, const reasm_segment *seg)
{
    (void)ctx, (void)session;
    nids_bytes += seg->len;
}

static void loop_end(void *ctx, void *session, const reasm_end *end)
{
    (void)ctx, (void)session, (void)end;
}

static void loop_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                        const uint8_t *bytes)
{
    (void)ctx;
    reasm_packet(frame, hdr, bytes);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void reasm_loop(const options *o)
{
    sniff_config sc = {.file = o->in};
    reasm_callbacks cb = {.open = loop_open, .data = loop_data, .end = loop_end};
    char err[PCAP_ERRBUF_SIZE + 512];
    struct timespec t0;
    sniff *sn = sniff_open(&sc, err, sizeof err);
    if (sn == NULL || reasm_init(NULL, &cb, sniff_handle(sn), err, sizeof err) != 0)
        die("%s", err);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sniff_loop(sn, loop_packet, NULL);
    reasm_finish();
    printf("sniff + reassembly loop: %llu packets, %llu bytes delivered, %.3f s\n",
           (unsigned long long)sniff_get_stats(sn)->frames, (unsigned long long)nids_bytes,
           seconds_since(&t0));
    sniff_close(sn);
}

int main(int argc, char **argv)
{
    options o;
    parse(&o, argc, argv);
    if (o.reasm_loop)
        reasm_loop(&o);
    else if (o.nids_loop)
        nids_loop(&o);
    else
        convert(&o);
    return 0;
}
