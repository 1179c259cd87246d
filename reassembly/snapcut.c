/* snapcut: packets cut by the capture's snaplen, restored to their length. See snapcut.h. */
#include "reassembly/snapcut.h"

#include <string.h>

#include "base/pkt.h"

#define TCP_SYN 0x02
#define WSCALE_MAX 14 /* RFC 7323 */

static uint8_t whole[40 + 65535]; /* the largest IPv6 header plus payload length */

/* The IP packet's length as its header gives it; 0 for an IPv6 jumbogram. */
static size_t ip_total(const net_packet *p, pkt_view *ip)
{
    if (p->family == NET_IP4)
        return pkt_be16(ip, 2);
    size_t plen = pkt_be16(ip, 4);
    return plen ? 40 + plen : 0;
}

/* Options cut somewhere: none of them is trusted (a cut one would be read past its end). */
static void drop_options(uint8_t *tcp, size_t thl)
{
    memset(tcp + 20, 0, thl - 20);
    if ((tcp[13] & TCP_SYN) && thl >= 23) {
        tcp[20] = 3; /* window scale, length 3 */
        tcp[21] = 3;
        tcp[22] = WSCALE_MAX;
    }
}

/* RFC 1071 over the pseudo-header and the segment at l4 of the total bytes in whole. */
static void set_checksum(const net_packet *p, size_t l4, size_t total)
{
    pkt_view ip = pkt_view_of(whole, total);
    size_t seglen = total - l4;
    uint32_t sum = 6 + (uint32_t)seglen;

    pkt_put16(whole + l4 + 16, 0);
    sum = p->family == NET_IP4 ? pkt_sum(&ip, 12, 8, sum) : pkt_sum(&ip, 8, 32, sum);
    sum = pkt_sum(&ip, l4, seglen, sum);
    pkt_put16(whole + l4 + 16, (uint16_t)~pkt_fold(sum));
}

snapcut_result snapcut_restore(const net_packet *p, int fix_checksum, net_packet *out,
                               unsigned *lost)
{
    pkt_view ip = pkt_view_of(p->ip, p->caplen);
    size_t total = p->family == NET_NONE ? 0 : ip_total(p, &ip), l4 = p->l4_off;

    *lost = 0;
    if (total <= ip.len)
        return SNAPCUT_WHOLE;
    if (p->fragment || p->proto != IP6_TCP || l4 == 0 || ip.len < l4 + 14)
        return SNAPCUT_UNUSABLE;
    memcpy(whole, p->ip, ip.len);
    memset(whole + ip.len, 0, total - ip.len);
    uint8_t *tcp = whole + l4;
    size_t thl = (tcp[12] >> 4) * 4u;
    if (thl < 20 || l4 + thl > total)
        return SNAPCUT_WHOLE; /* a damaged header: libnids refuses it and says so */
    if (ip.len < l4 + 16)
        pkt_put16(tcp + 14, 0xffff); /* the window was not captured: not a zero window */
    if (ip.len < l4 + 20)
        *lost |= SNAPCUT_WINDOW;
    if (ip.len < l4 + thl && thl > 20) {
        drop_options(tcp, thl);
        *lost |= SNAPCUT_OPTIONS;
    }
    if (total > l4 + thl)
        *lost |= SNAPCUT_PAYLOAD;
    if (fix_checksum)
        set_checksum(p, l4, total);
    *out = *p;
    out->ip = whole;
    out->caplen = (uint32_t)total;
    return SNAPCUT_RESTORED;
}
