/* ip6: IPv6 through libnids, which knows IPv4 only (internal to reassembly/).
 *
 * Each IPv6 TCP packet is rewritten as an IPv4 packet whose addresses stand for the IPv6
 * address pair: pair number i of a bounded table gets 240.0.0.0/4 addresses 240.0.0.0 +
 * 2i (the lower IPv6 address) and + 2i + 1 (the higher). The TCP header and payload are
 * copied unchanged except the checksum, which is adjusted for the new pseudo-header
 * (RFC 1624), so a right checksum stays right and a wrong one stays wrong: libnids verifies
 * IPv6 segments exactly as it verifies IPv4 ones. Fragments are reassembled here first
 * (libnids reassembles only IPv4 ones). docs/ipv6-design.md tells why and what it costs. */
#ifndef SMTPSCOPE_IP6_H
#define SMTPSCOPE_IP6_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "sniff/decode.h"

/* 240.0.0.0/4 ("reserved for future use", never routed): real IPv4 packets from or to it are
 * dropped, so a synthetic address can never meet a real one. */
#define IP6_SYNTH_NET 0xf0000000u

typedef enum {
    IP6_NOTHING,   /* nothing for libnids: not TCP, or a fragment kept until the rest comes */
    IP6_PACKET,    /* *out holds an IPv4 packet of *len bytes, valid until the next call */
    IP6_MALFORMED, /* truncated or invalid header, bad fragment: a warning about IP */
    IP6_NO_ROOM,   /* the address-pair table is full of pairs with live sessions */
} ip6_result;

/* Sizes the pair table for max_streams concurrent connections; nothing is allocated before
 * the first IPv6 packet. */
void ip6_init(int max_streams);
void ip6_exit(void);
ip6_result ip6_translate(const net_packet *p, struct timeval ts, const uint8_t **out, size_t *len);

/* 1 when addr (network order) lies in the synthetic range. */
int ip6_is_synthetic(uint32_t addr);
/* The IPv6 address a synthetic one stands for: 0, or -1 when its pair was given away. */
int ip6_real_address(uint32_t addr, uint8_t out[16]);
/* A session holds its pair while libnids follows it, so the pair is never given away. */
void ip6_hold(uint32_t addr);
void ip6_release(uint32_t addr);

/* ---- fragments (ip6frag.c) ---- */

typedef struct ip6_datagram {
    const uint8_t *src, *dst; /* the addresses of the reassembled datagram */
    uint8_t nh;               /* next header after the fragment header */
    const uint8_t *data;      /* the fragmentable part, reassembled */
    size_t len;
} ip6_datagram;

typedef enum { FRAG_HELD, FRAG_DONE, FRAG_BAD } frag_result;

/* Adds the fragment p (p->fragment set); FRAG_DONE fills d, valid until the next call. */
frag_result ip6_frag_add(const net_packet *p, struct timeval ts, ip6_datagram *d);
void ip6_frag_exit(void);

#endif
