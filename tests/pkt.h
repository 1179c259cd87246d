/* tests/pkt.h: building packets, for the tests and the capture generators (tools/): the IPv4
 * header checksum and the TCP checksum with its pseudo-header, on base/pkt.h's writers
 * (pkt_put16, pkt_put32) and RFC 1071 sum, so that a frame built here checks out exactly as
 * smtpscope checks it. Header-only; the caller owns and sizes every buffer. */
#ifndef SMTPSCOPE_TESTS_PKT_H
#define SMTPSCOPE_TESTS_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "base/pkt.h"

/* Fills in the checksum of the IPv4 header at ip (its length from the IHL field). */
static inline void pkt_ip4_checksum(uint8_t *ip)
{
    size_t hl = (size_t)(ip[0] & 15) * 4;

    pkt_put16(ip + 10, 0);
    pkt_put16(ip + 10, (uint16_t)~pkt_fold(pkt_sum_bytes(ip, hl, 0)));
}

/* The sum of a TCP pseudo-header: source and destination addresses of alen bytes each (4 for
 * IPv4, 16 for IPv6), the protocol and the segment's length. */
static inline uint32_t pkt_tcp_pseudo(const uint8_t *src, const uint8_t *dst, size_t alen,
                                      size_t tcp_len)
{
    return pkt_sum_bytes(dst, alen, pkt_sum_bytes(src, alen, 6 + (uint32_t)tcp_len));
}

/* The checksum the TCP segment of len bytes should carry, given its pseudo-header sum. The
 * checksum field itself is left out of the sum, so this also tells whether the field the
 * segment carries is right. */
static inline uint16_t pkt_tcp_checksum(const uint8_t *tcp, size_t len, uint32_t pseudo)
{
    uint32_t sum = pkt_sum_bytes(tcp + 18, len - 18, pkt_sum_bytes(tcp, 16, pseudo));

    return (uint16_t)~pkt_fold(sum);
}

#endif
