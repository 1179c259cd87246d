/* sniff: reads packets with libpcap (pcap or pcapng), numbers every frame (1-based, the way
 * Wireshark numbers a file), finds the IP packet in it whatever the link layer (decode.h),
 * filters, and hands it on. */
#ifndef SMTPSCOPE_SNIFF_H
#define SMTPSCOPE_SNIFF_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "sniff/decode.h"

typedef struct sniff_config {
    const char *file;   /* capture file to read ("-" for stdin) */
    const char *filter; /* BPF expression, run on the whole frame; NULL: see ports */
    uint64_t count;     /* stop after this many matching packets, 0 for no limit */
    /* Without a BPF expression: when ports is set, TCP packets with a source or destination
     * port set in this bitmap (bit p of ports[p / 8]) match, as do IPv4 and IPv6 fragments
     * (their later pieces carry no ports); else with any_tcp, every TCP packet and fragment;
     * else every frame. Decoding the link layer first lets this filter see through VLAN tags
     * and IPv6 extension headers, which a BPF "tcp port 25" does not. */
    const uint8_t *ports;
    int any_tcp;
} sniff_config;

typedef struct sniff_stats {
    uint64_t frames;  /* records read from the file */
    uint64_t matched; /* frames that passed the filter and were handed on */
    uint64_t bytes;   /* original wire length of the matched frames */
    /* first and last: timestamps of the first and last matched frames */
    struct timeval first, last;
} sniff_stats;

typedef void (*sniff_packet_fn)(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                                const uint8_t *bytes);

typedef struct sniff sniff;

/* Returns NULL with a message in err (file missing, not a capture, a link type it cannot
 * decode, bad filter). */
sniff *sniff_open(const sniff_config *cfg, char *err, size_t errlen);
pcap_t *sniff_handle(sniff *s);
/* Runs the packet loop. Returns 0 at end of file or count, -1 when the file is damaged
 * (the packets before the damage were delivered; sniff_error tells what happened). */
int sniff_loop(sniff *s, sniff_packet_fn fn, void *ctx);
/* During the packet callback: the frame as the port filter decoded it, so it need not be
 * decoded again; NULL when a BPF expression or no filter was used. */
const net_packet *sniff_decoded(const sniff *s);
const char *sniff_error(const sniff *s);
const sniff_stats *sniff_get_stats(const sniff *s);
void sniff_close(sniff *s);

#endif
