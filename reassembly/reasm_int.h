/* reasm_int: what the files of the reassembler share (internal to reassembly/).
 *
 * reasm.c sets it up and tears it down, reasm_packet.c feeds libnids one packet at a time,
 * reasm_session.c follows the sessions libnids holds streams for, and reasm_nids.c reads
 * libnids' stream state and the TCP evidence. They share one state, because libnids is one
 * global instance and calls back into them without a context pointer. */
#ifndef SMTPSCOPE_REASM_INT_H
#define SMTPSCOPE_REASM_INT_H

#include <nids.h>
#include <stdint.h>
#include <sys/time.h>

#include "reassembly/reasm.h"

enum { BY_ACTIVITY, BY_OPENING, N_ORDERS };

/* A segment that arrived ahead of a gap. libnids queues it and hands it over later, inside
 * the callback of the packet that fills the gap; its own frame and time are kept here so
 * the evidence names the packet that really carried those bytes. */
typedef struct early_seg {
    uint32_t seq, len;
    uint64_t frame; /* 0: slot unused */
    struct timeval ts;
    int dir;
} early_seg;

enum { EARLY_SEGS = 4 };

/* One session libnids holds a stream for. libnids owns the stream; this only links it to
 * the caller's handle and keeps it in two lists, so no search is ever needed. A session the
 * caller refused (or stopped following) stays, with a NULL handle and no data collected, so
 * that its later packets are known as its own and not taken for a connection without a
 * handshake; libnids keeps it because it listens for urgent data. */
typedef struct session {
    void *handle; /* NULL: not followed */
    struct tcp_stream *tcp;
    struct {
        struct session *prev, *next;
    } link[N_ORDERS];
    struct timeval last;             /* time of the latest packet of the stream */
    uint64_t last_frame, open_frame; /* its latest packet's frame, and the one that opened it */
    int fin_first; /* reasm_dir of the side seen sending the first FIN, -1 none yet */
    early_seg early[EARLY_SEGS];
    unsigned early_next;
} session;

typedef struct list {
    session *head, *tail;
} list;

/* The TCP packet libnids is processing, as its IP layer saw it (after defragmentation), and
 * the stream it belonged to before libnids processed it. The header fields are read once, in
 * reasm_on_ip, while the packet's bytes are at hand. */
typedef struct current_tcp {
    int valid;
    uint32_t saddr, daddr; /* network order, as in struct tuple4 */
    uint16_t sport, dport; /* host order, as in struct tuple4 */
    uint8_t flags;
    uint32_t seq;
    uint16_t window;
    uint32_t len;                        /* payload bytes */
    struct tcp_stream *stream;           /* with a session; NULL once that session ends */
    int unfollowed;                      /* no session held a stream for it */
    uint8_t sample[REASM_UNSEEN_SAMPLE]; /* its first payload bytes, when unfollowed */
} current_tcp;

typedef struct reasm_global {
    int active;
    reasm_config cfg;
    reasm_callbacks cb;
    reasm_stats stats;
    struct timeval idle; /* cfg.idle_timeout as a timeval; 0 when disabled */
    uint64_t frame;      /* the frame being processed: callbacks report it */
    struct timeval ts;
    current_tcp pkt;
    list order[N_ORDERS];
    pcap_t *raw;       /* the DLT_RAW handle libnids reads the link type from */
    int dlt;           /* the link type of the frames */
    int unfollow;      /* set by reasm_unfollow during a data callback */
    reasm_position at; /* where the callbacks being made happen (reasm_now) */
} reasm_global;

/* libnids is one global instance, so this is too (defined in reasm.c). */
extern reasm_global reasm_state;

/* ---- reasm_nids.c: libnids' stream state, and the evidence read before it changes ---- */

int reasm_half_sent_fin(const struct half_stream *h);
int reasm_any_fin(const struct tcp_stream *a);
void reasm_note_fin(session *s);
int reasm_current_sender(const struct tcp_stream *a);
struct tcp_stream *reasm_find_stream(uint32_t saddr, uint16_t sport, uint32_t daddr,
                                     uint16_t dport);
int reasm_is_closing_timeout(const struct tcp_stream *a);
void reasm_note_if_early(struct tcp_stream *a, int dir);
void reasm_claim_early(session *s, const struct half_stream *h, const struct half_stream *sender,
                       reasm_segment *seg);
void reasm_note_tcp_events(struct tcp_stream *a, int dir);

/* ---- reasm_session.c: sessions from the handshake to their end ---- */

void reasm_out_of_memory(char *where);
reasm_endpoint reasm_endpoint_of(uint32_t addr, uint16_t port);
void reasm_on_tcp(struct tcp_stream *a, void **unused);
void reasm_end_fin_or(session *s, reasm_end_reason otherwise, uint64_t frame, struct timeval ts);
void reasm_session_seen(session *s);
void reasm_expire_idle(void);
void reasm_end_all(void);

/* ---- reasm_packet.c: one packet through libnids ---- */

void reasm_on_ip(struct ip *iph, int skblen);

#endif
