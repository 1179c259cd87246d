/* reassembly: TCP stream reassembly over libnids, for IPv4 and IPv6.
 *
 * Fed one captured frame at a time (with its 1-based frame number; the link layers
 * sniff/decode.h knows), it delivers events through callbacks: a session opened (three-way
 * handshake seen), one TCP segment's new in-order bytes for one direction, a session ended with a
 * reason, a connection seen without its handshake, which cannot be followed, and a connection
 * attempt that failed (its SYNs unanswered or refused with a RST). Addresses are
 * family-neutral: IPv6 goes through libnids too (ip6.h says how). */
#ifndef SMTPSCOPE_REASM_H
#define SMTPSCOPE_REASM_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "sniff/decode.h"

typedef struct reasm_endpoint {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
    uint16_t port; /* host order */
} reasm_endpoint;

typedef enum {
    REASM_END_FIN,         /* FIN seen (both sides, or one side before capture end) */
    REASM_END_RST,         /* a RST was accepted by the stream */
    REASM_END_TIMEOUT,     /* idle longer than the idle timeout */
    REASM_END_CAPTURE_END, /* still open when the packets ran out */
    REASM_END_EVICTED      /* dropped to make room in a full stream table: its end is unknown */
} reasm_end_reason;

typedef enum { REASM_FROM_CLIENT = 0, REASM_FROM_SERVER = 1 } reasm_dir;

typedef struct reasm_segment {
    const uint8_t *data;
    size_t len;
    struct timeval ts;
    uint64_t frame;
    reasm_dir dir;
} reasm_segment;

typedef struct reasm_end {
    reasm_end_reason reason;
    struct timeval ts; /* time of the packet (or sweep) that ended it */
    uint64_t frame;    /* 0 when no packet ended it (timeout sweep, capture end) */
    int closed_by;     /* -1 unknown, else the reasm_dir of the side that sent the FIN/RST */
    /* The session's packets: from its first SYN to the last packet the stream took (the
     * one that ended it, when a packet of its own did), as frames; every packet of the
     * 4-tuple between the two is the session's. */
    uint64_t first_frame, last_frame;
} reasm_end;

/* A TCP connection whose packets were seen but not its three-way handshake (the capture
 * started mid-session, or the SYN was lost or filtered out): libnids cannot follow it, so its
 * bytes are not analysed. Which side is the server is known when a SYN/ACK was seen
 * (oriented); otherwise client is the side whose packet came first, and the caller decides
 * from what each side sent and the ports. */
typedef struct reasm_unseen {
    reasm_endpoint client, server;
    struct timeval first, last;
    uint64_t first_frame, last_frame;
    uint64_t packets, bytes;                  /* TCP packets, and payload bytes, seen of it */
    int syn_seen;                             /* a SYN was seen but the handshake never completed */
    int oriented;                             /* a SYN/ACK told which side is the server */
    const uint8_t *client_data, *server_data; /* the first payload bytes each way */
    size_t client_len, server_len;            /* (at most REASM_UNSEEN_SAMPLE) */
} reasm_unseen;

#define REASM_UNSEEN_SAMPLE 16

/* A client's connection attempt that never became a connection: its SYNs (attempts counts
 * them, retransmissions included) got no SYN/ACK, or the server refused them with a RST. */
typedef enum { REASM_CONNECT_NO_SYNACK, REASM_CONNECT_REFUSED } reasm_connect_reason;

typedef struct reasm_connect_failure {
    reasm_endpoint client, server;
    reasm_connect_reason reason;
    unsigned attempts;
    struct timeval first, last; /* the first SYN; the last SYN, or the RST */
    uint64_t first_frame, last_frame;
} reasm_connect_failure;

/* TCP-level evidence about a followed session, seen before libnids digests the packet. */
typedef enum {
    REASM_EV_FIN,            /* the side sent a FIN (repeats possible) */
    REASM_EV_RETRANSMISSION, /* the side sent again bytes already delivered */
    REASM_EV_ZERO_WINDOW,    /* the side advertised a zero receive window */
    REASM_EV_SNAPLEN_CUT     /* the side's payload was cut by the capture's snaplen: from this
                              * packet on, the session's bytes are not delivered (once) */
} reasm_event_kind;

typedef struct reasm_tcp_event {
    reasm_event_kind kind;
    reasm_dir from;
    uint64_t offset, len; /* retransmission: stream offsets of the old bytes, from 0 */
    struct timeval ts;
    uint64_t frame;
} reasm_tcp_event;

typedef struct reasm_callbacks {
    /* Return a non-NULL handle to follow the session, NULL to ignore it. */
    void *(*open)(void *ctx, const reasm_endpoint *client, const reasm_endpoint *server,
                  struct timeval ts, uint64_t frame);
    /* May call reasm_unfollow. */
    void (*data)(void *ctx, void *session, const reasm_segment *seg);
    /* Called once per followed session; the handle is not used by reasm afterwards. */
    void (*end)(void *ctx, void *session, const reasm_end *end);
    void *ctx;
    /* May be NULL. Called once per connection seen without its handshake, when reasm stops
     * tracking it (at reasm_finish, in the order of their first packets, or earlier when
     * more of them are open than it keeps). */
    void (*unseen)(void *ctx, const reasm_unseen *u);
    /* May be NULL. FINs, retransmissions and zero windows of followed sessions. */
    void (*tcp_event)(void *ctx, void *session, const reasm_tcp_event *ev);
    /* May be NULL (no attempt is followed): should a client SYN to this port be followed
     * until it is answered? Asked once per SYN. */
    int (*wants_connect)(void *ctx, uint16_t server_port);
    /* May be NULL. A followed attempt failed (connect.h says when it is settled). */
    void (*connect_failed)(void *ctx, const reasm_connect_failure *f);
} reasm_callbacks;

typedef struct reasm_config {
    int verify_checksums; /* 0: accept packets with wrong TCP checksums (offload) */
    int max_streams;      /* concurrent streams before the oldest is evicted */
    double idle_timeout;  /* seconds without a packet before a session ends as timeout */
} reasm_config;

typedef struct reasm_stats {
    uint64_t packets;          /* IP packets given to reasm */
    uint64_t ip6_packets;      /* IPv6 TCP packets handed to libnids (rewritten as IPv4) */
    uint64_t sessions;         /* opened and followed */
    uint64_t evicted;          /* ended because the stream table was full */
    uint64_t idle_expired;     /* ended by the idle timeout */
    uint64_t unseen;           /* connections reported through the unseen callback */
    uint64_t warn_ip;          /* warnings about IP headers / fragments (libnids' and IPv6) */
    uint64_t warn_tcp;         /* libnids warnings about TCP (bad header, big queue, too many) */
    uint64_t connect_failed;   /* attempts reported through the connect_failed callback */
    uint64_t connect_evicted;  /* attempts dropped unsettled from the full table (65536) */
    uint64_t snaplen_unusable; /* cut by the snaplen before the TCP flags: not followed */
    uint64_t snaplen_window;   /* cut inside the TCP header, after the flags (window unknown) */
} reasm_stats;

/* 65,536 concurrent mail connections (the default filter keeps only the analysers' ports):
 * libnids initialises its whole pool at start, 288 bytes a stream, so the table costs 19 MB
 * (262,144 cost 75 MB, most of the 1M-session benchmark's memory). A fuller table evicts the
 * oldest connection, says so once and counts it; --max-streams raises it. */
#define REASM_DEFAULT_MAX_STREAMS 65536
#define REASM_DEFAULT_IDLE_TIMEOUT 900.0

/* link_handle: the pcap handle whose link type the frames have. Returns 0, or -1 with a
 * message in err. Only one reassembler per process (libnids is global). */
int reasm_init(const reasm_config *cfg, const reasm_callbacks *cb, pcap_t *link_handle, char *err,
               size_t errlen);
/* One captured frame; frames that hold no IPv4 or IPv6 packet are ignored. */
void reasm_packet(uint64_t frame, const struct pcap_pkthdr *hdr, const uint8_t *bytes);
/* The same for a frame already decoded (sniff_decoded), which saves decoding it twice. */
void reasm_packet_decoded(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *ip);
/* A frame another process handles (--workers): only the clock moves, so that sessions idle
 * too long end at the same frame as when one process sees every packet. */
void reasm_tick(uint64_t frame, const struct pcap_pkthdr *hdr, const net_packet *p);

/* Where in the capture the callback being made happens. Processes that each see some of the
 * flows (but tick through every frame) compute it the same way, and their events sorted by
 * it come out in the order one process seeing everything makes them: ascending frame, then
 * phase, then sub (the frame of the session's latest packet for idle expiry, its opening
 * frame at capture end, the connection's first frame for unseen ones at capture end). */
typedef enum {
    REASM_AT_IDLE_EXPIRY,     /* before the frame's packet: idle sessions end */
    REASM_AT_CONNECT_EXPIRY,  /* then connection attempts unanswered too long (sub: last SYN) */
    REASM_AT_PACKET,          /* the frame's packet */
    REASM_AT_FINISH_SESSIONS, /* reasm_finish (frame UINT64_MAX): sessions still open */
    REASM_AT_FINISH_UNSEEN,   /* reasm_finish: connections seen without their handshake */
    REASM_AT_FINISH_CONNECTS  /* reasm_finish: attempts never answered (sub: first SYN) */
} reasm_phase;

typedef struct reasm_position {
    uint64_t frame;
    uint32_t phase; /* reasm_phase */
    uint64_t sub;
    int64_t usec; /* the time of the frame being processed (the last one's once it ended):
                   * the order of positions from different captures (--merge) */
} reasm_position;

/* Where the callbacks being made happen, and when. */
void reasm_now(reasm_position *at);

/* Called from the data callback: stop following that session. No more data and no end call
 * for it; the handle is not used by reasm afterwards. */
void reasm_unfollow(void);
/* End every session still open (in the order they opened) with REASM_END_CAPTURE_END,
 * or REASM_END_FIN where a FIN was already seen; report the connections seen without their
 * handshake; then release libnids. */
void reasm_finish(void);
const reasm_stats *reasm_get_stats(void);
/* Adds the counters of another reassembler (another worker's) to sum. */
void reasm_stats_add(reasm_stats *sum, const reasm_stats *s);
/* "192.0.2.1:25" or "[2001:db8::1]:25", as reports name endpoints. */
void reasm_format_endpoint(char *out, size_t cap, const reasm_endpoint *e);

#endif
