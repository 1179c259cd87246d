/* sniff: reads packets with libpcap (pcap or pcapng, either compressed: decompress.h), numbers
 * every frame (1-based, the way Wireshark numbers a file), finds the IP packet in it whatever the
 * link layer (decode.h), filters, and hands it on. */
#ifndef SMTPSCOPE_SNIFF_H
#define SMTPSCOPE_SNIFF_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sniff/decode.h"
#include "sniff/rotate.h"

typedef struct sniff_config {
    const char *file; /* capture file to read ("-" for stdin), or NULL with iface */
    /* Several capture files read as one (-r A -r B): when nfiles > 1, file is not used and
     * their packets come merged in time order (merge.c); each keeps its own link type. */
    const char *const *files;
    unsigned nfiles;
    const char *iface;  /* live capture on this interface (file NULL) */
    const char *filter; /* BPF expression, run on the whole frame; NULL: see ports */
    uint64_t count;     /* stop after this many matching packets, 0 for no limit */
    /* Without a BPF expression: when ports is set, TCP packets with a source or destination
     * port set in this bitmap (bit p of ports[p / 8]) match, as do IPv4 and IPv6 fragments
     * (their later pieces carry no ports); else with any_tcp, every TCP packet and fragment;
     * else every frame. Decoding the link layer first lets this filter see through VLAN tags
     * and IPv6 extension headers, which a BPF "tcp port 25" does not. */
    const uint8_t *ports;
    int any_tcp;
    /* Live capture only. */
    int snaplen;    /* bytes kept of each packet; 0: SNIFF_DEFAULT_SNAPLEN */
    int buffer_kib; /* kernel capture buffer (tcpdump -B); 0: SNIFF_DEFAULT_BUFFER_KIB */
    int no_promisc; /* tcpdump -p */
    /* When dump is set (tcpdump -w), every frame read is also written there: dump is the
     * first file, rotate.pattern the -w name it was opened under (rotate_name after
     * rotate_start(rotate_start)), and with -G or -C the next files are made as rotate.h
     * says. */
    FILE *dump;
    rotate_config rotate;
    time_t rotate_start;
    /* When non-zero, join this AF_PACKET fanout group: the kernel spreads flows over the
     * processes in the group by a hash of each flow, both directions alike, IPv4 fragments
     * put back together first (--workers). */
    unsigned fanout_group;
} sniff_config;

#define SNIFF_DEFAULT_SNAPLEN 262144
/* Live: a read returns empty after this long without packets (sniff_set_tick). */
#define SNIFF_READ_TIMEOUT_MS 100
#define SNIFF_DEFAULT_BUFFER_KIB 32768

typedef struct sniff_stats {
    uint64_t frames;  /* records read from the file (live: from the kernel, after its filter) */
    uint64_t matched; /* frames that passed the filter and were handed on */
    uint64_t bytes;   /* original wire length of the matched frames */
    /* first and last: timestamps of the first and last matched frames */
    struct timeval first, last;
    int live;
    uint64_t drops, if_drops; /* live: pcap_stats ps_drop and ps_ifdrop (see sniff_poll_stats) */
    /* The capture's snaplen (a file's header, or the first pcapng interface's; live: -s), the
     * matched frames it cut (captured length below the wire length), and the longest of
     * those as captured: what the cut really was, should a header say otherwise. */
    uint32_t snaplen, cut_len;
    uint64_t cut_frames;
} sniff_stats;

/* A packet time as microseconds since the epoch, the unit everything downstream uses. */
static inline int64_t sniff_usec(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* With several files a frame is named by the file (its index on the command line) and its
 * frame in that file: the index sits above SNIFF_FILE_SHIFT bits, so the first file's frames
 * are plain numbers, as with one file. Within a file the numbers grow with time; across
 * overlapping files they do not (order by time there). */
#define SNIFF_FILE_SHIFT 40
#define SNIFF_MAX_FILES 4096
static inline uint64_t sniff_frame_make(unsigned file, uint64_t frame)
{
    return ((uint64_t)file << SNIFF_FILE_SHIFT) | frame;
}
static inline unsigned sniff_frame_file(uint64_t frame)
{
    return (unsigned)(frame >> SNIFF_FILE_SHIFT);
}
static inline uint64_t sniff_frame_in_file(uint64_t frame)
{
    return frame & (((uint64_t)1 << SNIFF_FILE_SHIFT) - 1);
}

/* The merge of several files: each file's next packet, if it has one. */
typedef struct sniff_head {
    int ready;
    struct timeval ts;
} sniff_head;
/* The head to deliver next: the earliest, on a tie the lowest index (the command line's
 * order), so files that do not overlap are read one after the other; -1 when none is ready. */
int sniff_merge_pick(const sniff_head *heads, unsigned n);

typedef void (*sniff_packet_fn)(void *ctx, uint64_t frame, const struct pcap_pkthdr *hdr,
                                const uint8_t *bytes);

typedef struct sniff sniff;

/* Returns NULL with a message in err (file missing, not a capture, a link type it cannot
 * decode, bad filter; no such interface, no permission to capture). */
sniff *sniff_open(const sniff_config *cfg, char *err, size_t errlen);
pcap_t *sniff_handle(sniff *s);
/* Runs the packet loop. Returns 0 at end of file, count or sniff_stop, -1 when the file is
 * damaged or the capture failed (the packets before were delivered; sniff_error tells). */
int sniff_loop(sniff *s, sniff_packet_fn fn, void *ctx);
/* Without waiting: delivers up to max packets that are ready. Returns how many were read
 * (0: none ready yet), SNIFF_END at end of file, count or sniff_stop, -1 as sniff_loop. */
#define SNIFF_END (-2)
int sniff_step(sniff *s, sniff_packet_fn fn, void *ctx, int max);
/* Live: a descriptor that poll() reports readable when packets wait; -1 for a file. */
int sniff_fd(const sniff *s);
/* Async-signal-safe: ends sniff_loop (a blocked live read wakes up) and sniff_step. */
void sniff_stop(sniff *s);
/* Live: fn(ctx) runs after every read of sniff_loop, a packet's or an empty one at least
 * every SNIFF_READ_TIMEOUT_MS, so that periodic work goes on while the link is idle (set
 * before sniff_loop; the capture is then read in non-blocking mode). fn NULL: none. */
void sniff_set_tick(sniff *s, void (*fn)(void *ctx), void *ctx);
typedef enum {
    SNIFF_IF_UNKNOWN, /* a file, "any", or the kernel would not say */
    SNIFF_IF_UP,
    SNIFF_IF_DOWN,       /* administratively down (ip link set X down) */
    SNIFF_IF_NO_CARRIER, /* up, but without a link (cable, peer) */
    SNIFF_IF_GONE        /* deleted, or replaced by another of the same name */
} sniff_if_state;
/* Live: the capture interface's state now. libpcap keeps reading, silently, while it is down
 * and goes on when it comes back; a deleted one fails the read ("The interface disappeared"),
 * but not when it was down first: so when it is found gone here the capture fails the same
 * way (sniff_loop returns -1, sniff_error tells). */
sniff_if_state sniff_iface_state(sniff *s);
/* "up", "down", "no_carrier", "gone", "unknown". */
const char *sniff_if_state_name(sniff_if_state st);
/* Live: refreshes drops and if_drops in the stats from the kernel's counters. */
void sniff_poll_stats(sniff *s);
/* The capture in messages: "interface eth0", "'file.pcap'", "standard input". */
const char *sniff_source(const sniff *s);
/* A file's compressed format ("gzip", "zstd", "xz", "bzip2"), NULL when it is not. */
const char *sniff_compression(const sniff *s);
/* Prints the interfaces libpcap can capture on (tcpdump -D); -1 with a message in err. */
int sniff_list_interfaces(FILE *out, char *err, size_t errlen);
/* With -w: fn(ctx, name, first_frame) at once for the file being written, then each time a
 * new one is begun (first_frame: its frame 1 in the capture's numbering), before any of its
 * frames is handed on. */
void sniff_on_capture_file(sniff *s, rotate_file_fn fn, void *ctx);
/* The capture ended because -G -W had written its last file (tcpdump ends there too). */
int sniff_files_done(const sniff *s);
/* During the packet callback: the frame as the port filter decoded it, so it need not be
 * decoded again; NULL when a BPF expression or no filter was used. */
const net_packet *sniff_decoded(const sniff *s);
const char *sniff_error(const sniff *s);
const sniff_stats *sniff_get_stats(const sniff *s);
/* Counters of several readers into sum: same_frames when they all read the same frames (the
 * one that read the most stands for all), else they add up (each saw its own packets). */
void sniff_stats_merge(sniff_stats *sum, const sniff_stats *s, int same_frames);
void sniff_close(sniff *s);

#endif
