/* summary: what the pipeline hands the report besides sessions: the capture's counters at
 * the end, each connection it could not analyse because its handshake is not in the
 * capture, and each attempt to connect to a server's port that failed. Plain data, so that
 * workers can send it to the parent as bytes. */
#ifndef SMTPSCOPE_PIPELINE_SUMMARY_H
#define SMTPSCOPE_PIPELINE_SUMMARY_H

#include <stdint.h>

typedef struct capture_summary {
    const char *source;      /* file name, or "interface NAME" */
    const char *compression; /* the file's: "gzip", "zstd", "xz", "bzip2"; NULL: none */
    uint64_t frames, matched, bytes;
    int64_t first, last; /* packet times, microseconds */
    uint64_t streams_evicted, idle_expired, warn_ip, warn_tcp;
    uint64_t connect_evicted; /* connection attempts dropped unsettled from a full table */
    const char *read_error;   /* NULL, or what went wrong reading the file */
    int live;                 /* captured from an interface: the drop counters mean something */
    uint64_t drops, if_drops; /* packets the kernel's buffer / the interface dropped */
    /* The snaplen: the capture's (its header's), the longest cut frame as captured, the
     * frames cut, those cut before their TCP flags (not followed), and those cut inside the
     * TCP header after the flags (followed; their window unknown). */
    uint32_t snaplen, cut_len;
    uint64_t cut_frames, snaplen_unusable, snaplen_window;
} capture_summary;

/* A mail connection seen without its three-way handshake (it started before the capture, or
 * the SYN was lost): counted and listed, its bytes not analysed. */
typedef struct unseen_conn {
    char client[64], server[64]; /* "addr:port" */
    int64_t first, last;         /* microseconds */
    uint64_t first_frame, last_frame, packets, bytes;
    int syn_seen; /* a SYN was seen, the handshake never completed */
} unseen_conn;

/* A client's attempt to connect to an analyser's server port that failed: its SYNs (attempts,
 * retransmissions included) got no SYN/ACK, or the server refused them with a RST. */
typedef struct connect_failed {
    char client[64], server[64]; /* "addr:port" */
    int refused;                 /* 1: RST; 0: no SYN/ACK */
    unsigned attempts;
    int64_t first, last; /* microseconds: the first SYN; the last SYN, or the RST */
    uint64_t first_frame, last_frame;
} connect_failed;

#endif
