/* decode: link layers and IP headers. See decode.h. */
#include "sniff/decode.h"

#include <pcap/pcap.h>
#include <string.h>
#include <xxhash.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

enum {
    ETH_IP4 = 0x0800,
    ETH_IP6 = 0x86dd,
    ETH_VLAN = 0x8100,     /* 802.1Q */
    ETH_QINQ = 0x88a8,     /* 802.1ad service tag */
    ETH_QINQ_OLD = 0x9100, /* pre-standard QinQ, still sent by some switches */
    ETH_PPPOE = 0x8864,    /* PPPoE session stage */
    PPP_IP4 = 0x0021,
    PPP_IP6 = 0x0057,
};

/* Tags a frame may carry before its type: QinQ has two, a few carriers stack more. */
#define MAX_TAGS 8

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t get16le(const uint8_t *p)
{
    return (uint16_t)(p[1] << 8 | p[0]);
}

int net_link_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_IEEE802_11:
    case DLT_IEEE802_11_RADIO:
        return 1;
    default:
        return 0;
    }
}

const char *net_link_names(void)
{
    return "Ethernet with or without 802.1Q/QinQ tags, Linux cooked v1 and v2 (tcpdump -i any), "
           "BSD loopback/NULL, raw IP, PPP, 802.11";
}

/* ---- IP ---- */

static int ext_len(uint8_t nh, const uint8_t *h)
{
    if (nh == IP6_AH)
        return (h[1] + 2) * 4;
    return (h[1] + 1) * 8;
}

static int is_ext(uint8_t nh)
{
    return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_DSTOPTS || nh == IP6_AH ||
           nh == IP6_MOBILITY || nh == IP6_HIP || nh == IP6_SHIM6;
}

/* A hostile chain could be long; real ones have at most a handful. */
#define MAX_EXT 16

int ip6_skip_ext(const uint8_t *p, size_t end, uint8_t *nh, size_t *off)
{
    for (int n = 0; n < MAX_EXT; n++) {
        size_t o = *off;
        if (*nh == IP6_ESP || *nh == IP6_NONE)
            return -1; /* encrypted or empty: no transport header to see */
        if (*nh == IP6_FRAGMENT) {
            if (o + 8 > end)
                return -1;
            if ((get16(p + o + 2) & 0xfff9) != 0)
                return 0; /* a real fragment: the caller reassembles */
            *nh = p[o];   /* atomic fragment (offset 0, no more): just a header */
            *off = o + 8;
            continue;
        }
        if (!is_ext(*nh))
            return 0;
        if (o + 2 > end || o + (size_t)ext_len(*nh, p + o) > end)
            return -1;
        *off = o + (size_t)ext_len(*nh, p + o);
        *nh = p[o];
    }
    return -1;
}

static void set_ports(net_packet *out, size_t end)
{
    if (out->proto != IP6_TCP || out->l4_off == 0 || out->l4_off + 4u > end)
        return;
    out->sport = get16(out->ip + out->l4_off);
    out->dport = get16(out->ip + out->l4_off + 2);
    out->has_ports = 1;
}

static void decode_ip4(net_packet *out)
{
    const uint8_t *ip = out->ip;
    unsigned hl = (ip[0] & 0x0fu) * 4u, frag = get16(ip + 6);

    out->family = NET_IP4;
    out->proto = ip[9];
    out->fragment = (frag & 0x3fff) != 0;
    if ((frag & 0x1fff) == 0 && hl >= 20 && hl <= out->caplen)
        out->l4_off = (uint16_t)hl;
    set_ports(out, out->caplen);
}

static void decode_ip6(net_packet *out)
{
    const uint8_t *ip = out->ip;
    size_t plen = get16(ip + 4), end = 40 + plen, off = 40;
    uint8_t nh = ip[6];

    out->family = NET_IP6;
    if (plen == 0 || end > out->caplen)
        end = plen == 0 ? 40 : out->caplen; /* a jumbogram or truncated: what is there */
    if (ip6_skip_ext(ip, end, &nh, &off) != 0)
        return; /* proto stays 0: nothing for TCP here */
    out->proto = nh;
    if (nh == IP6_FRAGMENT) {
        out->fragment = 1;
        out->frag_off = (uint16_t)off;
        return;
    }
    out->l4_off = (uint16_t)off;
    set_ports(out, end);
}

/* The IP packet at frame + off; version is the one the link layer announced (0: any). */
static void decode_ip(const uint8_t *frame, uint32_t caplen, size_t off, int version,
                      net_packet *out)
{
    if (off >= caplen)
        return;
    const uint8_t *ip = frame + off;
    int v = ip[0] >> 4;
    if (version != 0 && v != version)
        return;
    out->ip = ip;
    out->caplen = caplen - (uint32_t)off;
    if (v == 4 && out->caplen >= 20)
        decode_ip4(out);
    else if (v == 6 && out->caplen >= 40)
        decode_ip6(out);
    else
        out->ip = NULL;
}

static int ethertype_version(uint16_t type)
{
    return type == ETH_IP4 ? 4 : type == ETH_IP6 ? 6 : -1;
}

static int ppp_version(uint16_t proto)
{
    return proto == PPP_IP4 ? 4 : proto == PPP_IP6 ? 6 : -1;
}

/* A frame whose Ethernet type is type and whose payload starts at off: VLAN tags, PPPoE or IP. */
static void decode_type(const uint8_t *frame, uint32_t caplen, uint16_t type, size_t off,
                        net_packet *out)
{
    int tags = 0;

    while ((type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) && tags++ < MAX_TAGS) {
        if (off + 4 > caplen)
            return;
        type = get16(frame + off + 2); /* after the 2-byte tag control information */
        off += 4;
    }
    if (type == ETH_PPPOE) {
        if (off + 8 > caplen)
            return;
        int v = ppp_version(get16(frame + off + 6));
        if (v > 0)
            decode_ip(frame, caplen, off + 8, v, out);
        return;
    }
    if (ethertype_version(type) > 0)
        decode_ip(frame, caplen, off, ethertype_version(type), out);
}

/* The Ethernet type at frame + at, the payload right after it. */
static void decode_ethertype(const uint8_t *frame, uint32_t caplen, size_t at, net_packet *out)
{
    if (at + 2 <= caplen)
        decode_type(frame, caplen, get16(frame + at), at + 2, out);
}

/* BSD loopback: the address family of the capturing host, in its byte order (DLT_NULL) or
 * in network order (DLT_LOOP). IPv6's value differs per system: Linux 10, Windows 23,
 * NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. */
static void decode_null(const uint8_t *frame, uint32_t caplen, int network_order, net_packet *out)
{
    uint32_t af;

    if (caplen < 4)
        return;
    if (network_order)
        af = (uint32_t)frame[0] << 24 | (uint32_t)frame[1] << 16 | get16(frame + 2);
    else if (frame[0] != 0 || (frame[1] | frame[2] | frame[3]) == 0)
        af = frame[0] | (uint32_t)frame[1] << 8 | (uint32_t)frame[2] << 16;
    else
        af = (uint32_t)frame[1] << 16 | get16(frame + 2); /* written big-endian */
    if (af == 2)
        decode_ip(frame, caplen, 4, 4, out);
    else if (af == 10 || af == 23 || af == 24 || af == 28 || af == 30)
        decode_ip(frame, caplen, 4, 6, out);
}

static void decode_ppp(const uint8_t *frame, uint32_t caplen, net_packet *out)
{
    size_t off = 0;

    if (caplen >= 2 && frame[0] == 0xff && frame[1] == 0x03)
        off = 2; /* HDLC address and control */
    if (off + 2 > caplen)
        return;
    int v = ppp_version(get16(frame + off));
    if (v > 0)
        decode_ip(frame, caplen, off + 2, v, out);
}

/* An 802.11 data frame at frame + off: its header, then LLC/SNAP and an Ethernet type.
 * Management, control and protected frames carry nothing readable. */
static void decode_80211(const uint8_t *frame, uint32_t caplen, size_t off, net_packet *out)
{
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    uint16_t fc;
    size_t hl = 24;

    if (off + 24 > caplen)
        return;
    fc = get16le(frame + off);
    if (((fc >> 2) & 3) != 2 || (fc & 0x4000) != 0)
        return;
    if ((fc & 0x0300) == 0x0300)
        hl += 6; /* to and from the distribution system: a fourth address */
    if ((fc >> 4) & 0x8) {
        hl += 2; /* QoS control */
        if (fc & 0x8000)
            hl += 4; /* HT control */
    }
    off += hl;
    if (off + 8 > caplen || memcmp(frame + off, snap, sizeof snap) != 0)
        return;
    decode_ethertype(frame, caplen, off + 6, out);
}

void net_decode(int dlt, const uint8_t *frame, uint32_t caplen, net_packet *out)
{
    memset(out, 0, sizeof *out);
    switch (dlt) {
    case DLT_EN10MB:
        decode_ethertype(frame, caplen, 12, out);
        break;
    case DLT_LINUX_SLL:
        decode_ethertype(frame, caplen, 14, out);
        break;
    case DLT_LINUX_SLL2: /* the protocol first, then 18 bytes about the interface */
        if (caplen >= 20)
            decode_type(frame, caplen, get16(frame), 20, out);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        decode_null(frame, caplen, dlt == DLT_LOOP, out);
        break;
    case DLT_RAW:
        decode_ip(frame, caplen, 0, 0, out);
        break;
    case DLT_IPV4:
        decode_ip(frame, caplen, 0, 4, out);
        break;
    case DLT_IPV6:
        decode_ip(frame, caplen, 0, 6, out);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        decode_ppp(frame, caplen, out);
        break;
    case DLT_IEEE802_11:
        decode_80211(frame, caplen, 0, out);
        break;
    case DLT_IEEE802_11_RADIO:
        if (caplen >= 4)
            decode_80211(frame, caplen, get16le(frame + 2), out);
        break;
    default:
        break;
    }
}

/* Symmetric: both directions of a flow, and every fragment of its datagrams (which carry no
 * ports), hash alike. */
uint64_t net_pair_hash(const net_packet *p)
{
    size_t alen = p->family == NET_IP4 ? 4 : 16;
    size_t src = p->family == NET_IP4 ? 12 : 8;
    uint8_t pair[32];
    if (p->family == NET_NONE || p->caplen < src + 2 * alen)
        return 0;
    const uint8_t *a = p->ip + src, *b = a + alen;
    if (memcmp(a, b, alen) > 0) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    memcpy(pair, a, alen);
    memcpy(pair + alen, b, alen);
    return XXH3_64bits(pair, 2 * alen);
}
