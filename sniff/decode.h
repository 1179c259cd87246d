/* decode: finds the IP packet inside a captured frame, whatever the link layer, and reads the
 * few IPv4/IPv6 header fields the packet filter and the reassembler need. Pure functions on
 * the captured bytes: no state, no allocation, every read bounded by the captured length. */
#ifndef SMTPSCOPE_DECODE_H
#define SMTPSCOPE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/pkt.h"

enum { NET_NONE = 0, NET_IP4 = 4, NET_IP6 = 6 };

/* IPv6 next-header values that matter here (netinet/in.h spells them differently per libc). */
enum {
    IP6_HOPOPTS = 0,
    IP6_TCP = 6,
    IP6_ROUTING = 43,
    IP6_FRAGMENT = 44,
    IP6_ESP = 50,
    IP6_AH = 51,
    IP6_NONE = 59,
    IP6_DSTOPTS = 60,
    IP6_MOBILITY = 135,
    IP6_HIP = 139,
    IP6_SHIM6 = 140,
};

typedef struct net_packet {
    const uint8_t *ip; /* the IPv4 or IPv6 header; NULL when the frame holds no IP packet */
    uint32_t caplen;   /* bytes captured from ip on */
    uint8_t family;    /* NET_IP4, NET_IP6 or NET_NONE */
    uint8_t proto;     /* transport protocol (IPv6: after the extension headers) */
    uint8_t fragment;  /* part of a fragmented datagram (an IPv6 atomic fragment is not) */
    uint8_t has_ports; /* sport and dport were read (TCP, first fragment, captured) */
    uint16_t l4_off;   /* transport header offset from ip; 0 when it is not in this packet */
    uint16_t frag_off; /* IPv6 fragments: offset of the fragment header from ip */
    uint16_t sport, dport;
} net_packet;

/* 1 when frames of this DLT can be decoded. */
int net_link_supported(int dlt);
/* The supported link layers, for error messages. */
const char *net_link_names(void);
/* Fills out from one captured frame of link type dlt; out->family is NET_NONE when the frame
 * is not an IP packet or too short to be one. */
void net_decode(int dlt, const uint8_t *frame, uint32_t caplen, net_packet *out);

/* A hash of the packet's address pair, the same for both directions (0 for no IP packet):
 * what splits flows between processes (--workers). */
uint64_t net_pair_hash(const net_packet *p);

/* Skips IPv6 extension headers from next-header *nh at *off in ip, a view that ends where the
 * payload ends. Stops at the first header that is not an extension header (TCP, UDP, ...) or at
 * a fragment header that is not atomic, leaving *nh and *off there. Returns -1 for a chain that
 * is truncated, too long or unparsable (ESP, no next header). */
int net_ip6_skip_ext(pkt_view *ip, uint8_t *nh, size_t *off);

#endif
