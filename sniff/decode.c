/* decode: link layers and IP headers. See decode.h. Every byte is read through base/pkt.h,
 * each read checked where it stands. */
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

/* The length of the extension header whose second byte is len_byte. */
static size_t ext_len(uint8_t nh, uint8_t len_byte)
{
    if (nh == IP6_AH)
        return ((size_t)len_byte + 2) * 4;
    return ((size_t)len_byte + 1) * 8;
}

static int is_ext(uint8_t nh)
{
    return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_DSTOPTS || nh == IP6_AH ||
           nh == IP6_MOBILITY || nh == IP6_HIP || nh == IP6_SHIM6;
}

/* A hostile chain could be long; real ones have at most a handful. */
#define MAX_EXT 16

int net_ip6_skip_ext(pkt_view *ip, uint8_t *nh, size_t *off)
{
    for (int n = 0; n < MAX_EXT; n++) {
        size_t o = *off;
        if (*nh == IP6_ESP || *nh == IP6_NONE)
            return -1; /* encrypted or empty: no transport header to see */
        if (*nh == IP6_FRAGMENT) {
            if (!pkt_have(ip, o, 8))
                return -1;
            if ((pkt_be16(ip, o + 2) & 0xfff9) != 0)
                return 0;        /* a real fragment: the caller reassembles */
            *nh = pkt_u8(ip, o); /* atomic fragment (offset 0, no more): just a header */
            *off = o + 8;
            continue;
        }
        if (!is_ext(*nh))
            return 0;
        if (!pkt_have(ip, o, 2))
            return -1;
        size_t len = ext_len(*nh, pkt_u8(ip, o + 1));
        if (!pkt_have(ip, o, len))
            return -1;
        *off = o + len;
        *nh = pkt_u8(ip, o);
    }
    return -1;
}

/* ip: the IP packet up to the end of its payload as captured. (inline, as decode_ethertype:
 * both are on the way of every frame, and small.) */
static inline void set_ports(pkt_view *ip, net_packet *out)
{
    if (out->proto != IP6_TCP || out->l4_off == 0)
        return;
    pkt_view ports = pkt_sub(ip, out->l4_off, 4);
    if (ports.truncated)
        return;
    out->sport = pkt_be16(&ports, 0);
    out->dport = pkt_be16(&ports, 2);
    out->has_ports = 1;
}

static void decode_ip4(pkt_view *ip, net_packet *out)
{
    pkt_view h = pkt_sub(ip, 0, 20);
    unsigned hl = (pkt_u8(&h, 0) & 0x0fu) * 4u, frag = pkt_be16(&h, 6);

    out->family = NET_IP4;
    out->proto = pkt_u8(&h, 9);
    out->fragment = (frag & 0x3fff) != 0;
    if ((frag & 0x1fff) == 0 && hl >= 20 && hl <= ip->len)
        out->l4_off = (uint16_t)hl;
    set_ports(ip, out);
}

static void decode_ip6(pkt_view *ip, net_packet *out)
{
    pkt_view h = pkt_sub(ip, 0, 40);
    size_t plen = pkt_be16(&h, 4), end = 40 + plen, off = 40;
    uint8_t nh = pkt_u8(&h, 6);

    out->family = NET_IP6;
    if (plen == 0 || end > ip->len)
        end = plen == 0 ? 40 : ip->len; /* a jumbogram or truncated: what is there */
    pkt_view payload_end = pkt_sub(ip, 0, end);
    if (net_ip6_skip_ext(&payload_end, &nh, &off) != 0)
        return; /* proto stays 0: nothing for TCP here */
    out->proto = nh;
    if (nh == IP6_FRAGMENT) {
        out->fragment = 1;
        out->frag_off = (uint16_t)off;
        return;
    }
    out->l4_off = (uint16_t)off;
    set_ports(&payload_end, out);
}

/* The IP packet at off in the frame; version is the one the link layer announced (0: any). */
static void decode_ip(pkt_view *frame, size_t off, int version, net_packet *out)
{
    if (off >= frame->len)
        return;
    pkt_view ip = pkt_rest(frame, off);
    int v = pkt_u8(&ip, 0) >> 4;
    if (version != 0 && v != version)
        return;
    out->ip = ip.p;
    out->caplen = (uint32_t)ip.len;
    if (v == 4 && pkt_have(&ip, 0, 20))
        decode_ip4(&ip, out);
    else if (v == 6 && pkt_have(&ip, 0, 40))
        decode_ip6(&ip, out);
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
static void decode_type(pkt_view *frame, uint16_t type, size_t off, net_packet *out)
{
    int tags = 0;

    while ((type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) && tags++ < MAX_TAGS) {
        pkt_view tag = pkt_sub(frame, off, 4);
        if (tag.truncated)
            return;
        type = pkt_be16(&tag, 2); /* after the 2-byte tag control information */
        off += 4;
    }
    if (type == ETH_PPPOE) {
        pkt_view pppoe = pkt_sub(frame, off, 8);
        if (pppoe.truncated)
            return;
        int v = ppp_version(pkt_be16(&pppoe, 6));
        if (v > 0)
            decode_ip(frame, off + 8, v, out);
        return;
    }
    if (ethertype_version(type) > 0)
        decode_ip(frame, off, ethertype_version(type), out);
}

/* The Ethernet type at at, the payload right after it. */
static inline void decode_ethertype(pkt_view *frame, size_t at, net_packet *out)
{
    pkt_view type = pkt_sub(frame, at, 2);

    if (!type.truncated)
        decode_type(frame, pkt_be16(&type, 0), at + 2, out);
}

/* BSD loopback: the address family of the capturing host, in its byte order (DLT_NULL) or
 * in network order (DLT_LOOP). IPv6's value differs per system: Linux 10, Windows 23,
 * NetBSD/OpenBSD 24, FreeBSD 28, macOS 30. */
static void decode_null(pkt_view *frame, int network_order, net_packet *out)
{
    pkt_view h = pkt_sub(frame, 0, 4);
    uint32_t af;

    if (h.truncated)
        return;
    uint32_t b0 = pkt_u8(&h, 0), b1 = pkt_u8(&h, 1), b2 = pkt_u8(&h, 2), b3 = pkt_u8(&h, 3);
    if (network_order)
        af = pkt_be32(&h, 0);
    else if (b0 != 0 || (b1 | b2 | b3) == 0)
        af = b0 | b1 << 8 | b2 << 16;
    else
        af = b1 << 16 | b2 << 8 | b3; /* written big-endian */
    if (af == 2)
        decode_ip(frame, 4, 4, out);
    else if (af == 10 || af == 23 || af == 24 || af == 28 || af == 30)
        decode_ip(frame, 4, 6, out);
}

static void decode_ppp(pkt_view *frame, net_packet *out)
{
    size_t off = 0;

    if (pkt_have(frame, 0, 2) && pkt_u8(frame, 0) == 0xff && pkt_u8(frame, 1) == 0x03)
        off = 2; /* HDLC address and control */
    if (!pkt_have(frame, off, 2))
        return;
    int v = ppp_version(pkt_be16(frame, off));
    if (v > 0)
        decode_ip(frame, off + 2, v, out);
}

/* An 802.11 data frame at off: its header, then LLC/SNAP and an Ethernet type.
 * Management, control and protected frames carry nothing readable. */
static void decode_80211(pkt_view *frame, size_t off, net_packet *out)
{
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    pkt_view h = pkt_sub(frame, off, 24);
    uint16_t fc;
    size_t hl = 24;

    if (h.truncated)
        return;
    fc = pkt_le16(&h, 0);
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
    pkt_view llc = pkt_sub(frame, off, 8);
    if (llc.truncated || memcmp(pkt_bytes(&llc, 0, 6), snap, sizeof snap) != 0)
        return;
    decode_ethertype(frame, off + 6, out);
}

void net_decode(int dlt, const uint8_t *bytes, uint32_t caplen, net_packet *out)
{
    pkt_view frame = pkt_view_of(bytes, caplen);

    memset(out, 0, sizeof *out);
    switch (dlt) {
    case DLT_EN10MB:
        decode_ethertype(&frame, 12, out);
        break;
    case DLT_LINUX_SLL:
        decode_ethertype(&frame, 14, out);
        break;
    case DLT_LINUX_SLL2: /* the protocol first, then 18 bytes about the interface */
        if (pkt_have(&frame, 0, 20))
            decode_type(&frame, pkt_be16(&frame, 0), 20, out);
        break;
    case DLT_NULL:
    case DLT_LOOP:
        decode_null(&frame, dlt == DLT_LOOP, out);
        break;
    case DLT_RAW:
        decode_ip(&frame, 0, 0, out);
        break;
    case DLT_IPV4:
        decode_ip(&frame, 0, 4, out);
        break;
    case DLT_IPV6:
        decode_ip(&frame, 0, 6, out);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        decode_ppp(&frame, out);
        break;
    case DLT_IEEE802_11:
        decode_80211(&frame, 0, out);
        break;
    case DLT_IEEE802_11_RADIO: /* radiotap: its own length, little-endian, at 2 */
        if (pkt_have(&frame, 0, 4))
            decode_80211(&frame, pkt_le16(&frame, 2), out);
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
    pkt_view ip = pkt_view_of(p->ip, p->caplen);
    uint8_t pair[32];
    if (p->family == NET_NONE)
        return 0;
    const uint8_t *a = pkt_bytes(&ip, src, 2 * alen);
    if (a == NULL)
        return 0;
    const uint8_t *b = a + alen;
    if (memcmp(a, b, alen) > 0) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    memcpy(pair, a, alen);
    memcpy(pair + alen, b, alen);
    return XXH3_64bits(pair, 2 * alen);
}
