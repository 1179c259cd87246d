/* sniff: reads packets with libpcap, filters them with BPF and numbers every frame
 * (1-based, the way Wireshark numbers a file) before handing it on. */
#ifndef SMTPSCOPE_SNIFF_H
#define SMTPSCOPE_SNIFF_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sniff_config {
    const char *file;   /* capture file to read ("-" for stdin) */
    const char *filter; /* BPF expression, NULL for all packets */
    uint64_t count;     /* stop after this many matching packets, 0 for no limit */
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

/* Returns NULL with a message in err (file missing, not a capture, bad filter). */
sniff *sniff_open(const sniff_config *cfg, char *err, size_t errlen);
pcap_t *sniff_handle(sniff *s);
/* Runs the packet loop. Returns 0 at end of file or count, -1 when the file is damaged
 * (the packets before the damage were delivered; sniff_error tells what happened). */
int sniff_loop(sniff *s, sniff_packet_fn fn, void *ctx);
const char *sniff_error(const sniff *s);
const sniff_stats *sniff_get_stats(const sniff *s);
void sniff_close(sniff *s);

#endif
